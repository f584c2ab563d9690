/* placeholder: filled in by its owner */
#include <gst/check/gstcheck.h>

static Suite *
rtmpserversrc_peers_suite (void)
{
  return suite_create ("rtmpserversrc-peers");
}

GST_CHECK_MAIN (rtmpserversrc_peers);
