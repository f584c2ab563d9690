/* placeholder: filled in by its owner */
#include <gst/check/gstcheck.h>

static Suite *
rtmpserversrc_suite (void)
{
  return suite_create ("rtmpserversrc");
}

GST_CHECK_MAIN (rtmpserversrc);
