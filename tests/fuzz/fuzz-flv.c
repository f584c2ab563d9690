/* Fuzzes the FLV parser: the whole input in one feed, then in splits
 * derived from the input, checking that every split reports the same tags
 * and the same outcome. Each tag is also run through the codec header
 * parsers and the tag writer/reader. */
#include <stdint.h>
#include <stddef.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

typedef struct {
  guint8 type;
  guint32 timestamp;
  gsize size;
  guint32 hash;
} TagSummary;

static guint32
hash_bytes (const guint8 * data, gsize size)
{
  guint32 h = 2166136261u;
  gsize i;

  for (i = 0; i < size; i++)
    h = (h ^ data[i]) * 16777619u;
  return h;
}

static void
check_tag (const RtmpCoreMessage * tag)
{
  RtmpCoreVideoInfo vinfo;
  RtmpCoreAudioInfo ainfo;
  RtmpCoreMessage *back;
  GBytes *bytes;
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (tag, &size);

  if (tag->type == RTMP_CORE_FLV_TAG_VIDEO &&
      rtmp_core_video_info_parse (data, size, &vinfo, NULL))
    g_assert_cmpuint (vinfo.header_size, <=, size);
  if (tag->type == RTMP_CORE_FLV_TAG_AUDIO &&
      rtmp_core_audio_info_parse (data, size, &ainfo, NULL))
    g_assert_cmpuint (ainfo.header_size, <=, size);

  /* Writing the tag and reading it back gives the same tag. */
  bytes = rtmp_core_flv_tag_from_message (tag);
  back = rtmp_core_flv_tag_to_message (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes), 0, 1, NULL);
  g_assert_nonnull (back);
  g_assert_cmpuint (back->type, ==, tag->type);
  g_assert_cmpuint (back->timestamp, ==, tag->timestamp);
  g_assert_cmpmem (rtmp_core_message_peek_data (back, NULL),
      rtmp_core_message_get_size (back), data, size);
  rtmp_core_message_unref (back);
  g_bytes_unref (bytes);
}

static void
on_tag (const RtmpCoreMessage * tag, gpointer user_data)
{
  GArray *summaries = user_data;
  TagSummary s = { 0, };
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (tag, &size);

  s.type = tag->type;
  s.timestamp = tag->timestamp;
  s.size = size;
  s.hash = hash_bytes (data, size);
  g_array_append_val (summaries, s);
}

/* Feeds @data in pieces of 1..@max_piece bytes (sizes drawn from @seed),
 * or all at once if @max_piece is 0. Returns how the stream ended: -1
 * failed in a feed, 0 truncated at finish, 1 clean. */
static gint
run (const guint8 * data, gsize size, guint32 seed, guint max_piece,
    guint32 max_tag_size, GArray * summaries)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GError *error = NULL;
  gsize off = 0;
  gint result = 1;

  rtmp_core_flv_parser_set_max_tag_size (parser, max_tag_size);
  rtmp_core_flv_parser_set_callback (parser, on_tag, summaries, NULL);
  while (off < size) {
    gsize n = size - off;

    if (max_piece) {
      seed = seed * 1103515245u + 12345u;
      n = MIN (n, 1 + ((seed >> 16) % max_piece));
    }
    if (!rtmp_core_flv_parser_feed (parser, data + off, n, &error)) {
      g_assert_nonnull (error);
      g_clear_error (&error);
      result = -1;
      break;
    }
    off += n;
  }
  if (result == 1 && !rtmp_core_flv_parser_finish (parser, &error)) {
    g_assert_nonnull (error);
    g_clear_error (&error);
    result = 0;
  }
  rtmp_core_flv_parser_unref (parser);
  return result;
}

static void
run_feed_bytes (const guint8 * data, gsize size, GArray * expected)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GBytes *bytes = g_bytes_new (data, size);
  GPtrArray *tags = rtmp_core_flv_parser_feed_bytes (parser, bytes, NULL);
  guint i;

  if (tags) {
    g_assert_cmpuint (tags->len, ==, expected->len);
    for (i = 0; i < tags->len; i++) {
      RtmpCoreMessage *tag = g_ptr_array_index (tags, i);
      TagSummary *s = &g_array_index (expected, TagSummary, i);
      gsize tag_size;
      const guint8 *tag_data = rtmp_core_message_peek_data (tag, &tag_size);

      g_assert_cmpuint (tag->type, ==, s->type);
      g_assert_cmpuint (tag_size, ==, s->size);
      g_assert_cmpuint (hash_bytes (tag_data, tag_size), ==, s->hash);
      check_tag (tag);
    }
    g_ptr_array_unref (tags);
  }
  g_bytes_unref (bytes);
  rtmp_core_flv_parser_unref (parser);
}

static void
assert_same (gint result_a, GArray * a, gint result_b, GArray * b)
{
  guint i;

  g_assert_cmpint (result_a, ==, result_b);
  g_assert_cmpuint (a->len, ==, b->len);
  for (i = 0; i < a->len; i++) {
    TagSummary *x = &g_array_index (a, TagSummary, i);
    TagSummary *y = &g_array_index (b, TagSummary, i);

    g_assert_cmpuint (x->type, ==, y->type);
    g_assert_cmpuint (x->timestamp, ==, y->timestamp);
    g_assert_cmpuint (x->size, ==, y->size);
    g_assert_cmpuint (x->hash, ==, y->hash);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GArray *whole = g_array_new (FALSE, FALSE, sizeof (TagSummary));
  GArray *split = g_array_new (FALSE, FALSE, sizeof (TagSummary));
  guint32 seed = 1 + hash_bytes (data, MIN (size, 16));
  gint whole_result, split_result;
  guint32 max_tag_size = size > 0 && (data[0] & 1) ? 64 :
      RTMP_CORE_FLV_MAX_TAG_SIZE;

  whole_result = run (data, size, 0, 0, max_tag_size, whole);
  split_result = run (data, size, seed, 37, max_tag_size, split);
  assert_same (whole_result, whole, split_result, split);

  /* One byte at a time, on short inputs only to keep the fuzzer fast. */
  if (size <= 512) {
    g_array_set_size (split, 0);
    split_result = run (data, size, 0, 1, max_tag_size, split);
    assert_same (whole_result, whole, split_result, split);
  }

  if (max_tag_size == RTMP_CORE_FLV_MAX_TAG_SIZE)
    run_feed_bytes (data, size, whole);

  g_array_unref (whole);
  g_array_unref (split);
  return 0;
}
