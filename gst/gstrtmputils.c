#include "gstrtmputils.h"
#include <rtmpcore.h>
#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_utils_debug);
#define GST_CAT_DEFAULT rtmp_utils_debug

void
gst_rtmp_utils_init_debug (void)
{
  GST_DEBUG_CATEGORY_INIT (rtmp_utils_debug, "rtmpcoreutils", 0,
      "rtmpcore plugin helpers");
}

/* Keeps the first two characters so logs stay useful for telling streams
 * apart, hides the rest: "abcdef" -> "ab****". */
gchar *
gst_rtmp_mask_secret (const gchar * secret)
{
  gsize len;

  if (secret == NULL)
    return NULL;
  len = strlen (secret);
  if (len <= 2)
    return g_strnfill (len, '*');
  return g_strdup_printf ("%.2s****", secret);
}

/* Masks the password, the stream key (last path segment) and the query of
 * an rtmp[s]:// location. */
gchar *
gst_rtmp_mask_location (const gchar * location)
{
  GUri *uri;
  gchar *masked, *key, *path, *slash;
  const gchar *raw_path;

  if (location == NULL)
    return NULL;

  uri = g_uri_parse (location, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
  if (uri == NULL)
    return g_strdup ("<unparsable location>");

  raw_path = g_uri_get_path (uri);
  slash = strrchr (raw_path, '/');
  if (slash && slash != raw_path && slash[1] != '\0') {
    key = gst_rtmp_mask_secret (slash + 1);
    path = g_strdup_printf ("%.*s/%s", (int) (slash - raw_path), raw_path, key);
    g_free (key);
  } else {
    path = g_strdup (raw_path);
  }

  masked = g_uri_join_with_user (G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED,
      g_uri_get_scheme (uri), g_uri_get_user (uri),
      g_uri_get_password (uri) ? "****" : NULL, NULL, g_uri_get_host (uri),
      g_uri_get_port (uri), path, g_uri_get_query (uri) ? "****" : NULL, NULL);
  g_free (path);
  g_uri_unref (uri);
  return masked;
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
