/* The rtmpcore GStreamer plugin: rtmpsink2, rtmpsrc2 and rtmpserversrc on
 * top of librtmpcore. The elements arrive with their own issues; this is the
 * plugin's entry point. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <gst/gst.h>
#include "gstrtmputils.h"

GST_ELEMENT_REGISTER_DECLARE (rtmpsink2);
GST_ELEMENT_REGISTER_DECLARE (rtmpsrc2);
GST_ELEMENT_REGISTER_DECLARE (rtmpserversrc);

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ok = FALSE;

  gst_rtmp_utils_init_debug ();
  ok |= GST_ELEMENT_REGISTER (rtmpsink2, plugin);
  ok |= GST_ELEMENT_REGISTER (rtmpsrc2, plugin);
  ok |= GST_ELEMENT_REGISTER (rtmpserversrc, plugin);
  return ok;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, rtmpcore,
    "RTMP elements built on librtmpcore (publish, play and ingest server)",
    plugin_init, VERSION, GST_LICENSE, GST_PACKAGE_NAME, GST_PACKAGE_ORIGIN)
