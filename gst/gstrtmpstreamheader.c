/* The caps streamheader of an FLV stream made from RTMP messages.
 *
 * flvdemux needs the FLV file header, and the AVC/AAC (or Enhanced RTMP)
 * sequence starts before any frame; a receiver that joins a running
 * publish never sees them on the wire again, so they are kept here and
 * put in the caps "streamheader" and pushed, flagged HEADER, before the
 * first media buffer. */
#include "gstrtmpstreamheader.h"

#include <string.h>
#include <rtmpcore.h>

struct _GstRtmpStreamHeader
{
  GBytes *metadata;
  GBytes *video_config;
  GBytes *audio_config;
  /* what onMetaData announced */
  guint8 metadata_flags;
};

GstRtmpStreamHeader *
gst_rtmp_stream_header_new (void)
{
  return g_new0 (GstRtmpStreamHeader, 1);
}

void
gst_rtmp_stream_header_clear (GstRtmpStreamHeader * header)
{
  g_clear_pointer (&header->metadata, g_bytes_unref);
  g_clear_pointer (&header->video_config, g_bytes_unref);
  g_clear_pointer (&header->audio_config, g_bytes_unref);
  header->metadata_flags = 0;
}

void
gst_rtmp_stream_header_free (GstRtmpStreamHeader * header)
{
  if (header == NULL)
    return;
  gst_rtmp_stream_header_clear (header);
  g_free (header);
}

/* An AMF0 script tag whose name is "onMetaData" (the server already
 * stripped "@setDataFrame"). */
gboolean
gst_rtmp_is_metadata (const guint8 * data, gsize size)
{
  static const guint8 name[] = { 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't',
    'a', 'D', 'a', 't', 'a'
  };

  return size >= sizeof (name) && memcmp (data, name, sizeof (name)) == 0;
}

/* Which media onMetaData announces. A metadata object we cannot decode
 * announces nothing: the configuration tags still set the flags. */
static guint8
metadata_flags (GBytes * payload)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (payload, &size);
  GPtrArray *values;
  RtmpCoreAmfValue *obj;
  guint8 flags = 0;

  values = rtmp_core_amf0_decode_all (data, size, NULL);
  if (values == NULL)
    return 0;
  if (values->len >= 2) {
    obj = g_ptr_array_index (values, 1);
    if (rtmp_core_amf_value_get_field (obj, "videocodecid"))
      flags |= RTMP_CORE_FLV_HAS_VIDEO;
    if (rtmp_core_amf_value_get_field (obj, "audiocodecid"))
      flags |= RTMP_CORE_FLV_HAS_AUDIO;
  }
  g_ptr_array_unref (values);
  return flags;
}

static GstRtmpStreamHeaderChange
keep (GBytes ** slot, GBytes * payload)
{
  if (*slot && g_bytes_equal (*slot, payload))
    return GST_RTMP_STREAM_HEADER_UNCHANGED;
  if (*slot)
    g_bytes_unref (*slot);
  *slot = g_bytes_ref (payload);
  return GST_RTMP_STREAM_HEADER_CHANGED;
}

/* Looks at one tag body of @type (8, 9 or 18): onMetaData and codec
 * configurations are kept, everything else is media. */
GstRtmpStreamHeaderChange
gst_rtmp_stream_header_update (GstRtmpStreamHeader * header, guint8 type,
    GBytes * payload)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (payload, &size);
  GstRtmpStreamHeaderChange change;

  switch (type) {
    case RTMP_CORE_FLV_TAG_SCRIPT:
      if (!gst_rtmp_is_metadata (data, size))
        return GST_RTMP_STREAM_HEADER_NOT_HEADER;
      change = keep (&header->metadata, payload);
      if (change == GST_RTMP_STREAM_HEADER_CHANGED)
        header->metadata_flags = metadata_flags (payload);
      return change;
    case RTMP_CORE_FLV_TAG_VIDEO:
      if (!rtmp_core_video_info_is_sequence_header (data, size))
        return GST_RTMP_STREAM_HEADER_NOT_HEADER;
      return keep (&header->video_config, payload);
    case RTMP_CORE_FLV_TAG_AUDIO:
      if (!rtmp_core_audio_info_is_sequence_header (data, size))
        return GST_RTMP_STREAM_HEADER_NOT_HEADER;
      return keep (&header->audio_config, payload);
    default:
      return GST_RTMP_STREAM_HEADER_NOT_HEADER;
  }
}

/* The FLV header flags: what onMetaData and the configurations say; both
 * when nothing is known, so that flvdemux waits for either. */
guint8
gst_rtmp_stream_header_get_flags (GstRtmpStreamHeader * header)
{
  guint8 flags = header->metadata_flags;

  if (header->video_config)
    flags |= RTMP_CORE_FLV_HAS_VIDEO;
  if (header->audio_config)
    flags |= RTMP_CORE_FLV_HAS_AUDIO;
  if (flags == 0)
    flags = RTMP_CORE_FLV_HAS_VIDEO | RTMP_CORE_FLV_HAS_AUDIO;
  return flags;
}

/* One FLV tag as a buffer: an 11-byte tag header, @payload wrapped without
 * a copy, and the 4-byte previous tag size. @payload must not exceed
 * RTMP_CORE_FLV_MAX_TAG_SIZE. */
GstBuffer *
gst_rtmp_flv_tag_buffer_new (guint8 type, guint32 timestamp, GBytes * payload)
{
  gsize size = g_bytes_get_size (payload);
  guint8 *head, *tail;
  GstBuffer *buf;

  g_return_val_if_fail (size <= RTMP_CORE_FLV_MAX_TAG_SIZE, NULL);

  head = g_malloc (RTMP_CORE_FLV_TAG_HEADER_SIZE);
  tail = g_malloc (4);
  rtmp_core_flv_write_tag_header (head, type, size, timestamp);
  GST_WRITE_UINT32_BE (tail, size + RTMP_CORE_FLV_TAG_HEADER_SIZE);

  buf = gst_buffer_new_wrapped (head, RTMP_CORE_FLV_TAG_HEADER_SIZE);
  if (size > 0)
    gst_buffer_append_memory (buf, gst_memory_new_wrapped
        (GST_MEMORY_FLAG_READONLY, (gpointer) g_bytes_get_data (payload, NULL),
            size, 0, size, g_bytes_ref (payload),
            (GDestroyNotify) g_bytes_unref));
  gst_buffer_append_memory (buf, gst_memory_new_wrapped (0, tail, 4, 0, 4,
          tail, g_free));
  return buf;
}

static void
add_tag (GPtrArray * buffers, guint8 type, GBytes * payload)
{
  if (payload)
    g_ptr_array_add (buffers, gst_rtmp_flv_tag_buffer_new (type, 0, payload));
}

/* The header buffers, flagged HEADER, in the order a reader needs them:
 * file header, onMetaData, video configuration, audio configuration. */
GPtrArray *
gst_rtmp_stream_header_get_buffers (GstRtmpStreamHeader * header)
{
  GPtrArray *buffers =
      g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  GBytes *file_header;
  guint i;

  file_header = rtmp_core_flv_make_header (gst_rtmp_stream_header_get_flags
      (header));
  g_ptr_array_add (buffers, gst_buffer_new_wrapped_bytes (file_header));
  g_bytes_unref (file_header);
  add_tag (buffers, RTMP_CORE_FLV_TAG_SCRIPT, header->metadata);
  add_tag (buffers, RTMP_CORE_FLV_TAG_VIDEO, header->video_config);
  add_tag (buffers, RTMP_CORE_FLV_TAG_AUDIO, header->audio_config);

  for (i = 0; i < buffers->len; i++)
    GST_BUFFER_FLAG_SET (g_ptr_array_index (buffers, i), GST_BUFFER_FLAG_HEADER);
  return buffers;
}

/* video/x-flv with the header buffers as "streamheader". */
GstCaps *
gst_rtmp_stream_header_make_caps (GstRtmpStreamHeader * header)
{
  GPtrArray *buffers = gst_rtmp_stream_header_get_buffers (header);
  GValue array = G_VALUE_INIT;
  GstCaps *caps;
  guint i;

  g_value_init (&array, GST_TYPE_ARRAY);
  for (i = 0; i < buffers->len; i++) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_BUFFER);
    g_value_set_boxed (&v, g_ptr_array_index (buffers, i));
    gst_value_array_append_and_take_value (&array, &v);
  }
  caps = gst_caps_new_empty_simple ("video/x-flv");
  gst_structure_take_value (gst_caps_get_structure (caps, 0), "streamheader",
      &array);
  g_ptr_array_unref (buffers);
  return caps;
}
