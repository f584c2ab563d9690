/* Helpers shared by the rtmpcore elements: the mapping of librtmpcore
 * errors to GStreamer element errors. Secrets are masked with
 * rtmp_core_mask_secret() and rtmp_core_url_to_masked_string(). */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

void gst_rtmp_utils_init_debug (void);

void gst_rtmp_post_error (GstElement * element, const GError * error,
    gboolean writing, const gchar * what);

G_END_DECLS
