/* placeholder: filled in by its owner */
#include <gst/gst.h>

gboolean gst_element_register_rtmpserversrc (GstPlugin * plugin);

gboolean
gst_element_register_rtmpserversrc (GstPlugin * plugin)
{
  return TRUE;
}
