/* placeholder: filled in by its owner */
#include <gst/check/gstcheck.h>

static Suite *
rtmpsrc2_suite (void)
{
  return suite_create ("rtmpsrc2");
}

GST_CHECK_MAIN (rtmpsrc2);
