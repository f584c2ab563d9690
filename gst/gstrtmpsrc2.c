/* placeholder: filled in by its owner */
#include <gst/gst.h>

gboolean gst_element_register_rtmpsrc2 (GstPlugin * plugin);

gboolean
gst_element_register_rtmpsrc2 (GstPlugin * plugin)
{
  return TRUE;
}
