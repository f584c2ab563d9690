/* Fuzzes the audio and video header parsers and the aggregate splitter
 * (as an owned message and as a borrowed view) on the input. */
#include <stdint.h>
#include <stddef.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
fuzz_video (const guint8 * data, gsize size)
{
  RtmpCoreVideoInfo info;
  GError *error = NULL;

  if (rtmp_core_video_info_parse (data, size, &info, &error)) {
    g_assert_no_error (error);
    g_assert_cmpuint (info.header_size, <=, size);
    g_assert_cmpuint (info.track_size, <=, size);
    /* At most one of these describes a payload. */
    g_assert_false (info.is_keyframe && info.is_sequence_header);
    g_assert_false (info.is_command && (info.is_keyframe ||
            info.is_sequence_header || info.is_sequence_end));
    g_assert_cmpint (info.is_keyframe, ==,
        rtmp_core_video_info_is_keyframe (data, size));
  } else {
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
    g_clear_error (&error);
    g_assert_cmpuint (info.header_size, ==, 0);
  }
}

static void
fuzz_audio (const guint8 * data, gsize size)
{
  RtmpCoreAudioInfo info;
  GError *error = NULL;

  if (rtmp_core_audio_info_parse (data, size, &info, &error)) {
    g_assert_no_error (error);
    g_assert_cmpuint (info.header_size, <=, size);
    g_assert_cmpuint (info.track_size, <=, size - info.header_size);
    g_assert_cmpint (info.is_silence, ==, size == 0);
    g_assert_cmpint (info.is_sequence_header, ==,
        rtmp_core_audio_info_is_sequence_header (data, size));
  } else {
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
    g_clear_error (&error);
  }
}

static volatile guint8 sink;

/* Reads every byte, so ASan sees a sub-message pointing out of bounds. */
static void
touch (const guint8 * data, gsize size)
{
  guint8 x = 0;
  gsize i;

  for (i = 0; i < size; i++)
    x ^= data[i];
  sink = x;
}

static void
check_subs (GPtrArray * subs, const RtmpCoreMessage * agg)
{
  gsize total = 0;
  guint i;

  for (i = 0; i < subs->len; i++) {
    RtmpCoreMessage *sub = g_ptr_array_index (subs, i);
    gsize sub_size;
    const guint8 *sub_data = rtmp_core_message_peek_data (sub, &sub_size);

    g_assert_cmpuint (sub->stream_id, ==, agg->stream_id);
    g_assert_cmpuint (sub->chunk_stream_id, ==, agg->chunk_stream_id);
    total += sub_size;
    touch (sub_data, sub_size);
  }
  g_assert_cmpuint (total, <=, rtmp_core_message_get_size (agg));
}

static void
fuzz_aggregate (const guint8 * data, gsize size)
{
  RtmpCoreMessage view = { 0, };
  RtmpCoreMessage *owned;
  GPtrArray *from_view, *from_owned;
  guint i;

  view.type = RTMP_CORE_MESSAGE_AGGREGATE;
  view.chunk_stream_id = 6;
  view.stream_id = 1;
  view.timestamp = size > 0 ? (guint32) data[0] << 24 : 0;
  view.data = data;
  view.size = size;

  owned = rtmp_core_message_copy (&view);
  from_view = rtmp_core_message_split_aggregate (&view, NULL);
  from_owned = rtmp_core_message_split_aggregate (owned, NULL);
  /* Owned or borrowed, the split is the same. */
  g_assert_cmpint (from_view == NULL, ==, from_owned == NULL);
  if (from_view) {
    check_subs (from_view, &view);
    check_subs (from_owned, owned);
    g_assert_cmpuint (from_view->len, ==, from_owned->len);
    for (i = 0; i < from_view->len; i++) {
      RtmpCoreMessage *a = g_ptr_array_index (from_view, i);
      RtmpCoreMessage *b = g_ptr_array_index (from_owned, i);

      g_assert_cmpuint (a->type, ==, b->type);
      g_assert_cmpuint (a->timestamp, ==, b->timestamp);
      g_assert_cmpmem (rtmp_core_message_peek_data (a, NULL),
          rtmp_core_message_get_size (a),
          rtmp_core_message_peek_data (b, NULL),
          rtmp_core_message_get_size (b));
      fuzz_video (rtmp_core_message_peek_data (a, NULL),
          rtmp_core_message_get_size (a));
    }
    g_ptr_array_unref (from_view);
    g_ptr_array_unref (from_owned);
  }
  rtmp_core_message_unref (owned);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  fuzz_video (data, size);
  fuzz_audio (data, size);
  fuzz_aggregate (data, size);
  return 0;
}
