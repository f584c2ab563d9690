/* The caps streamheader of an FLV stream built from RTMP messages: the FLV
 * file header, onMetaData and the codec configuration tags that a late
 * joiner needs before any frame. Shared by the elements that turn RTMP
 * into FLV (rtmpserversrc, rtmpsrc2). Not thread-safe: one owner. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

/**
 * GstRtmpStreamHeaderChange:
 * @GST_RTMP_STREAM_HEADER_NOT_HEADER: the tag is media: output it
 * @GST_RTMP_STREAM_HEADER_UNCHANGED: a header tag equal to the one kept
 * @GST_RTMP_STREAM_HEADER_CHANGED: a new or different header tag; it is
 *   kept and the caps must be updated
 *
 * What gst_rtmp_stream_header_update() made of a tag.
 */
typedef enum {
  GST_RTMP_STREAM_HEADER_NOT_HEADER,
  GST_RTMP_STREAM_HEADER_UNCHANGED,
  GST_RTMP_STREAM_HEADER_CHANGED,
} GstRtmpStreamHeaderChange;

typedef struct _GstRtmpStreamHeader GstRtmpStreamHeader;

GstRtmpStreamHeader *gst_rtmp_stream_header_new (void);

void gst_rtmp_stream_header_free (GstRtmpStreamHeader * header);

void gst_rtmp_stream_header_clear (GstRtmpStreamHeader * header);

GstRtmpStreamHeaderChange gst_rtmp_stream_header_update (GstRtmpStreamHeader *
    header, guint8 type, GBytes * payload);

guint8 gst_rtmp_stream_header_get_flags (GstRtmpStreamHeader * header);

GPtrArray *gst_rtmp_stream_header_get_buffers (GstRtmpStreamHeader * header);

GstCaps *gst_rtmp_stream_header_make_caps (GstRtmpStreamHeader * header);

GstBuffer *gst_rtmp_flv_tag_buffer_new (guint8 type, guint32 timestamp,
    GBytes * payload);

gboolean gst_rtmp_is_metadata (const guint8 * data, gsize size);

G_END_DECLS
