/* Helpers shared by the rtmpcore elements: secret masking and the mapping
 * of librtmpcore errors to GStreamer element errors. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void gst_rtmp_utils_init_debug (void);

gchar *gst_rtmp_mask_secret (const gchar * secret);

gchar *gst_rtmp_mask_location (const gchar * location);

void gst_rtmp_post_error (GstElement * element, const GError * error,
    gboolean writing, const gchar * what);

G_END_DECLS
