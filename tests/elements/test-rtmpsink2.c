/* placeholder: filled in by its owner */
#include <gst/check/gstcheck.h>

static Suite *
rtmpsink2_suite (void)
{
  return suite_create ("rtmpsink2");
}

GST_CHECK_MAIN (rtmpsink2);
