#include "gstrtmputils.h"
#include <rtmpcore.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_utils_debug);
#define GST_CAT_DEFAULT rtmp_utils_debug

void
gst_rtmp_utils_init_debug (void)
{
  GST_DEBUG_CATEGORY_INIT (rtmp_utils_debug, "rtmpcoreutils", 0,
      "rtmpcore plugin helpers");
}

void
gst_rtmp_post_error (GstElement * element, const GError * error,
    gboolean writing, const gchar * what)
{
  if (g_error_matches (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNAUTHORIZED)) {
    GST_ELEMENT_ERROR (element, RESOURCE, NOT_AUTHORIZED,
        ("%s: not authorized: %s", what, error->message),
        ("Check the stream key, user name and password"));
  } else if (g_error_matches (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)) {
    if (writing)
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_WRITE,
          ("%s: refused: %s", what, error->message),
          ("Check the server address, application and stream name"));
    else
      GST_ELEMENT_ERROR (element, RESOURCE, OPEN_READ,
          ("%s: refused: %s", what, error->message),
          ("Check the server address, application and stream name"));
  } else {
    GST_ELEMENT_ERROR (element, RESOURCE, FAILED,
        ("%s: %s", what, error->message), (NULL));
  }
}
