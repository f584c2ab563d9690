/* FLV tag parser and writers. */
#include <rtmpcore.h>
#include <string.h>

/* Header (audio + video), PreviousTagSize0, then three tags: onMetaData-ish
 * script data, an AAC config and an AVC frame whose timestamp uses the
 * extension byte (0x12 << 24 | 0x56789A). */
static const guint8 flv_file[] = {
  'F', 'L', 'V', 0x01, 0x05, 0x00, 0x00, 0x00, 0x09,
  0x00, 0x00, 0x00, 0x00,
  /* offset 13: script, 5 bytes, ts 0 */
  0x12, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x02, 0x00, 0x02, 'o', 'k',
  0x00, 0x00, 0x00, 0x10,
  /* offset 33: audio, 4 bytes, ts 0x21 */
  0x08, 0x00, 0x00, 0x04, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00,
  0xAF, 0x00, 0x12, 0x10,
  0x00, 0x00, 0x00, 0x0F,
  /* offset 52: video, 6 bytes, ts 0x1256789A */
  0x09, 0x00, 0x00, 0x06, 0x56, 0x78, 0x9A, 0x12, 0x00, 0x00, 0x00,
  0x17, 0x01, 0x00, 0x00, 0x00, 0x65,
  0x00, 0x00, 0x00, 0x11,
};

#define TAG1_DATA 24
#define TAG2_DATA 44
#define TAG3_DATA 63

typedef struct {
  GPtrArray *tags;              /* owned copies */
  GPtrArray *pointers;          /* data pointers as reported */
} Collector;

static void
collect_tag (const RtmpCoreMessage * tag, gpointer user_data)
{
  Collector *c = user_data;

  g_assert_cmpint (tag->ref_count, ==, 0);
  g_assert_null (tag->bytes);
  g_assert_cmpuint (tag->stream_id, ==, 0);
  g_assert_cmpuint (tag->chunk_stream_id, ==, 0);
  g_ptr_array_add (c->tags, rtmp_core_message_copy (tag));
  g_ptr_array_add (c->pointers, (gpointer) rtmp_core_message_peek_data (tag,
          NULL));
}

static RtmpCoreFlvParser *
new_parser (Collector * c)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();

  c->tags = g_ptr_array_new_with_free_func
      ((GDestroyNotify) rtmp_core_message_unref);
  c->pointers = g_ptr_array_new ();
  rtmp_core_flv_parser_set_callback (parser, collect_tag, c, NULL);
  return parser;
}

static void
collector_clear (Collector * c)
{
  g_ptr_array_unref (c->tags);
  g_ptr_array_unref (c->pointers);
}

static void
assert_tag (GPtrArray * tags, guint i, guint8 type, guint32 timestamp,
    const guint8 * data, gsize size)
{
  RtmpCoreMessage *tag = g_ptr_array_index (tags, i);
  gsize tag_size;
  const guint8 *tag_data = rtmp_core_message_peek_data (tag, &tag_size);

  g_assert_cmpuint (tag->type, ==, type);
  g_assert_cmphex (tag->timestamp, ==, timestamp);
  g_assert_cmpmem (tag_data, tag_size, data, size);
}

static void
assert_file_tags (GPtrArray * tags)
{
  g_assert_cmpuint (tags->len, ==, 3);
  assert_tag (tags, 0, RTMP_CORE_FLV_TAG_SCRIPT, 0, flv_file + TAG1_DATA, 5);
  assert_tag (tags, 1, RTMP_CORE_FLV_TAG_AUDIO, 0x21, flv_file + TAG2_DATA, 4);
  assert_tag (tags, 2, RTMP_CORE_FLV_TAG_VIDEO, 0x1256789A,
      flv_file + TAG3_DATA, 6);
}

static void
test_parse_whole_zero_copy (void)
{
  Collector c;
  RtmpCoreFlvParser *parser = new_parser (&c);
  GError *error = NULL;
  guint8 flags = 0;

  g_assert_false (rtmp_core_flv_parser_get_header (parser, &flags));
  g_assert_true (rtmp_core_flv_parser_feed (parser, flv_file,
          sizeof (flv_file), &error));
  g_assert_no_error (error);
  assert_file_tags (c.tags);
  /* Whole tags in the fed buffer are reported in place. */
  g_assert_true (g_ptr_array_index (c.pointers, 0) == flv_file + TAG1_DATA);
  g_assert_true (g_ptr_array_index (c.pointers, 1) == flv_file + TAG2_DATA);
  g_assert_true (g_ptr_array_index (c.pointers, 2) == flv_file + TAG3_DATA);

  g_assert_true (rtmp_core_flv_parser_get_header (parser, &flags));
  g_assert_cmpuint (flags, ==, RTMP_CORE_FLV_HAS_AUDIO |
      RTMP_CORE_FLV_HAS_VIDEO);
  g_assert_cmpuint (rtmp_core_flv_parser_get_n_bad_back_pointers (parser), ==,
      0);
  g_assert_true (rtmp_core_flv_parser_finish (parser, &error));
  g_assert_no_error (error);

  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
}

static void
test_parse_every_chunk_size (void)
{
  gsize chunk;

  for (chunk = 1; chunk <= sizeof (flv_file); chunk++) {
    Collector c;
    RtmpCoreFlvParser *parser = new_parser (&c);
    GError *error = NULL;
    gsize off;

    for (off = 0; off < sizeof (flv_file); off += chunk) {
      gsize n = MIN (chunk, sizeof (flv_file) - off);

      g_assert_true (rtmp_core_flv_parser_feed (parser, flv_file + off, n,
              &error));
      g_assert_no_error (error);
    }
    assert_file_tags (c.tags);
    g_assert_true (rtmp_core_flv_parser_get_header (parser, NULL));
    g_assert_cmpuint (rtmp_core_flv_parser_get_n_bad_back_pointers (parser),
        ==, 0);
    g_assert_true (rtmp_core_flv_parser_finish (parser, &error));
    g_assert_no_error (error);
    rtmp_core_flv_parser_unref (parser);
    collector_clear (&c);
  }
}

static void
test_parse_every_split_point (void)
{
  gsize split;

  for (split = 0; split <= sizeof (flv_file); split++) {
    Collector c;
    RtmpCoreFlvParser *parser = new_parser (&c);
    GError *error = NULL;
    guint8 *copy = g_memdup2 (flv_file, sizeof (flv_file));

    g_assert_true (rtmp_core_flv_parser_feed (parser, copy, split, &error));
    g_assert_true (rtmp_core_flv_parser_feed (parser, copy + split,
            sizeof (flv_file) - split, &error));
    g_assert_no_error (error);
    /* Overwrite the input: reassembled tags must not point into it. */
    memset (copy, 0xEE, sizeof (flv_file));
    assert_file_tags (c.tags);
    g_free (copy);
    rtmp_core_flv_parser_unref (parser);
    collector_clear (&c);
  }
}

static void
test_parse_bare_tags (void)
{
  Collector c;
  RtmpCoreFlvParser *parser = new_parser (&c);
  GError *error = NULL;
  guint8 flags = 0xFF;
  gsize i;

  /* No file header: the stream starts with a tag. Byte by byte, so the
   * header detection must decide on the first byte. */
  for (i = 13; i < sizeof (flv_file); i++)
    g_assert_true (rtmp_core_flv_parser_feed (parser, flv_file + i, 1,
            &error));
  g_assert_no_error (error);
  assert_file_tags (c.tags);
  g_assert_false (rtmp_core_flv_parser_get_header (parser, &flags));
  g_assert_cmpuint (flags, ==, 0);
  g_assert_true (rtmp_core_flv_parser_finish (parser, &error));
  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
}

static void
test_parse_long_header (void)
{
  /* A header size of 12: three extra bytes to skip. */
  static const guint8 head[] = {
    'F', 'L', 'V', 0x01, 0x01, 0x00, 0x00, 0x00, 0x0C, 0xAA, 0xBB, 0xCC,
    0x00, 0x00, 0x00, 0x00,
  };
  Collector c;
  RtmpCoreFlvParser *parser = new_parser (&c);
  GError *error = NULL;
  guint8 flags = 0;
  gsize i;

  for (i = 0; i < sizeof (head); i++)
    g_assert_true (rtmp_core_flv_parser_feed (parser, head + i, 1, &error));
  g_assert_true (rtmp_core_flv_parser_feed (parser, flv_file + 13,
          sizeof (flv_file) - 13, &error));
  g_assert_no_error (error);
  assert_file_tags (c.tags);
  g_assert_true (rtmp_core_flv_parser_get_header (parser, &flags));
  g_assert_cmpuint (flags, ==, RTMP_CORE_FLV_HAS_VIDEO);
  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
}

static void
test_parse_bad_header_size (void)
{
  static const guint8 head[] = {
    'F', 'L', 'V', 0x01, 0x05, 0x00, 0x00, 0x00, 0x08,
  };
  Collector c;
  RtmpCoreFlvParser *parser = new_parser (&c);
  GError *error = NULL;

  g_assert_false (rtmp_core_flv_parser_feed (parser, head, sizeof (head),
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  /* The parser stays failed. */
  g_assert_false (rtmp_core_flv_parser_feed (parser, flv_file + 13, 10,
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_false (rtmp_core_flv_parser_finish (parser, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_cmpuint (c.tags->len, ==, 0);
  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
}

static void
test_finish_truncated (void)
{
  /* Cuts inside the header, a tag header, a tag body, a back pointer. */
  static const gsize cuts[] = { 2, 5, 11, 15, 26, 30, 40, sizeof (flv_file) - 1 };
  /* Cuts where the stream ends between tags (last back pointer missing). */
  static const gsize clean[] = { 0, 13, 29, 33, 48, 52, 69, sizeof (flv_file) };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cuts); i++) {
    RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
    GError *error = NULL;

    g_assert_true (rtmp_core_flv_parser_feed (parser, flv_file, cuts[i],
            &error));
    g_assert_false (rtmp_core_flv_parser_finish (parser, &error));
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
    g_clear_error (&error);
    rtmp_core_flv_parser_unref (parser);
  }
  for (i = 0; i < G_N_ELEMENTS (clean); i++) {
    RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
    GError *error = NULL;

    g_assert_true (rtmp_core_flv_parser_feed (parser, flv_file, clean[i],
            &error));
    g_assert_true (rtmp_core_flv_parser_finish (parser, &error));
    g_assert_no_error (error);
    rtmp_core_flv_parser_unref (parser);
  }
}

static void
test_bad_back_pointer (void)
{
  Collector c;
  RtmpCoreFlvParser *parser = new_parser (&c);
  GError *error = NULL;
  guint8 *copy = g_memdup2 (flv_file, sizeof (flv_file));

  copy[12] = 0x01;              /* PreviousTagSize0 must be 0 */
  copy[51] = 0x99;              /* after the audio tag: 15 expected */
  g_assert_true (rtmp_core_flv_parser_feed (parser, copy, sizeof (flv_file),
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.tags->len, ==, 3);
  g_assert_cmpuint (rtmp_core_flv_parser_get_n_bad_back_pointers (parser), ==,
      2);
  g_free (copy);
  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
}

static void
test_tag_types (void)
{
  static const guint8 tags[] = {
    /* unknown type 15, 1 byte */
    0x0F, 0x00, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x42,
    0x00, 0x00, 0x00, 0x0C,
    /* reserved top bits set on an audio tag: ignored; zero-length body */
    0xC8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x0B,
    /* encrypted video (filter bit) */
    0x29, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x17,
    0x00, 0x00, 0x00, 0x0C,
  };
  static const guint8 unknown_data[] = { 0x42 };
  Collector c;
  RtmpCoreFlvParser *parser = new_parser (&c);
  GError *error = NULL;

  g_assert_false (rtmp_core_flv_parser_feed (parser, tags, sizeof (tags),
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_cmpuint (c.tags->len, ==, 2);
  assert_tag (c.tags, 0, 15, 1, unknown_data, 1);
  assert_tag (c.tags, 1, RTMP_CORE_FLV_TAG_AUDIO, 2, NULL, 0);
  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
}

static void
test_max_tag_size (void)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GError *error = NULL;

  rtmp_core_flv_parser_set_max_tag_size (parser, 5);
  /* The script tag (5 bytes) passes, the video tag (6 bytes) does not. */
  g_assert_false (rtmp_core_flv_parser_feed (parser, flv_file,
          sizeof (flv_file), &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  rtmp_core_flv_parser_unref (parser);
}

static void
test_feed_bytes (void)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GBytes *first = g_bytes_new (flv_file, 40);
  GBytes *second = g_bytes_new (flv_file + 40, sizeof (flv_file) - 40);
  GError *error = NULL;
  GPtrArray *tags, *more;
  const guint8 *base;

  tags = rtmp_core_flv_parser_feed_bytes (parser, first, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (tags->len, ==, 1);
  assert_tag (tags, 0, RTMP_CORE_FLV_TAG_SCRIPT, 0, flv_file + TAG1_DATA, 5);
  /* A whole tag inside the fed GBytes shares its storage. */
  base = g_bytes_get_data (first, NULL);
  g_assert_true (rtmp_core_message_peek_data (g_ptr_array_index (tags, 0),
          NULL) == base + TAG1_DATA);
  g_assert_cmpint (((RtmpCoreMessage *) g_ptr_array_index (tags, 0))->ref_count,
      ==, 1);

  more = rtmp_core_flv_parser_feed_bytes (parser, second, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (more->len, ==, 2);
  assert_tag (more, 0, RTMP_CORE_FLV_TAG_AUDIO, 0x21, flv_file + TAG2_DATA, 4);
  assert_tag (more, 1, RTMP_CORE_FLV_TAG_VIDEO, 0x1256789A,
      flv_file + TAG3_DATA, 6);

  g_ptr_array_unref (tags);
  g_ptr_array_unref (more);
  g_bytes_unref (first);
  g_bytes_unref (second);
  rtmp_core_flv_parser_unref (parser);
}

static void
count_notify (gpointer data)
{
  (*(gint *) data)++;
}

static void
test_callback_notify (void)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  gint first = 0, second = 0;

  g_assert_true (G_TYPE_IS_BOXED (RTMP_CORE_TYPE_FLV_PARSER));
  rtmp_core_flv_parser_set_callback (parser, NULL, &first, count_notify);
  rtmp_core_flv_parser_set_callback (parser, NULL, &second, count_notify);
  g_assert_cmpint (first, ==, 1);
  g_assert_cmpint (second, ==, 0);
  g_assert_true (rtmp_core_flv_parser_ref (parser) == parser);
  rtmp_core_flv_parser_unref (parser);
  g_assert_cmpint (second, ==, 0);
  rtmp_core_flv_parser_unref (parser);
  g_assert_cmpint (second, ==, 1);
}

static void
test_make_header (void)
{
  static const guint8 av[] = {
    0x46, 0x4C, 0x56, 0x01, 0x05, 0x00, 0x00, 0x00, 0x09,
    0x00, 0x00, 0x00, 0x00,
  };
  static const guint8 audio_only[] = {
    0x46, 0x4C, 0x56, 0x01, 0x04, 0x00, 0x00, 0x00, 0x09,
    0x00, 0x00, 0x00, 0x00,
  };
  GBytes *header;

  header = rtmp_core_flv_make_header (RTMP_CORE_FLV_HAS_AUDIO |
      RTMP_CORE_FLV_HAS_VIDEO);
  g_assert_cmpmem (g_bytes_get_data (header, NULL), g_bytes_get_size (header),
      av, sizeof (av));
  g_bytes_unref (header);
  header = rtmp_core_flv_make_header (RTMP_CORE_FLV_HAS_AUDIO);
  g_assert_cmpmem (g_bytes_get_data (header, NULL), g_bytes_get_size (header),
      audio_only, sizeof (audio_only));
  g_bytes_unref (header);
  g_assert_true (G_TYPE_IS_FLAGS (rtmp_core_flv_header_flags_get_type ()));
}

static void
test_write_tag_header (void)
{
  static const guint8 expected[] = {
    0x08, 0x01, 0x02, 0x03, 0xBB, 0xCC, 0xDD, 0xAA, 0x00, 0x00, 0x00,
  };
  guint8 out[RTMP_CORE_FLV_TAG_HEADER_SIZE];

  memset (out, 0xEE, sizeof (out));
  rtmp_core_flv_write_tag_header (out, 8, 0x010203, 0xAABBCCDD);
  g_assert_cmpmem (out, sizeof (out), expected, sizeof (expected));
}

static void
test_tag_from_message (void)
{
  static const guint8 payload[] = { 0x17, 0x01 };
  static const guint8 expected[] = {
    0x09, 0x00, 0x00, 0x02, 0x02, 0x03, 0x04, 0x01, 0x00, 0x00, 0x00,
    0x17, 0x01,
    0x00, 0x00, 0x00, 0x0D,
  };
  static const guint8 empty_expected[] = {
    0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x0B,
  };
  GBytes *bytes = g_bytes_new_static (payload, sizeof (payload));
  /* Stream and chunk stream ids do not appear in the tag. */
  RtmpCoreMessage *msg = rtmp_core_message_new (RTMP_CORE_MESSAGE_VIDEO, 6,
      1, 0x01020304, bytes);
  GBytes *tag = rtmp_core_flv_tag_from_message (msg);

  g_assert_cmpmem (g_bytes_get_data (tag, NULL), g_bytes_get_size (tag),
      expected, sizeof (expected));
  g_bytes_unref (tag);
  rtmp_core_message_unref (msg);

  msg = rtmp_core_message_new (RTMP_CORE_MESSAGE_DATA_AMF0, 5, 1, 0, NULL);
  tag = rtmp_core_flv_tag_from_message (msg);
  g_assert_cmpmem (g_bytes_get_data (tag, NULL), g_bytes_get_size (tag),
      empty_expected, sizeof (empty_expected));
  g_bytes_unref (tag);
  rtmp_core_message_unref (msg);
  g_bytes_unref (bytes);
}

static void
test_tag_to_message (void)
{
  const guint8 *tag = flv_file + 52;
  RtmpCoreMessage *msg;
  GError *error = NULL;
  gsize size;
  const guint8 *data;

  /* With the previous tag size. */
  msg = rtmp_core_flv_tag_to_message (tag, 21, 0, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msg->type, ==, RTMP_CORE_MESSAGE_VIDEO);
  g_assert_cmphex (msg->timestamp, ==, 0x1256789A);
  g_assert_cmpuint (msg->chunk_stream_id, ==, 6);
  g_assert_cmpuint (msg->stream_id, ==, 1);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpmem (data, size, flv_file + TAG3_DATA, 6);
  g_assert_true (data != flv_file + TAG3_DATA);
  rtmp_core_message_unref (msg);

  /* Without it, and with an explicit chunk stream. */
  msg = rtmp_core_flv_tag_to_message (tag, 17, 9, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msg->chunk_stream_id, ==, 9);
  g_assert_cmpuint (msg->stream_id, ==, 3);
  g_assert_cmpuint (rtmp_core_message_get_size (msg), ==, 6);
  rtmp_core_message_unref (msg);

  /* Sizes that do not match the announced data size. */
  g_assert_null (rtmp_core_flv_tag_to_message (tag, 16, 0, 1, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (rtmp_core_flv_tag_to_message (tag, 19, 0, 1, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  g_assert_null (rtmp_core_flv_tag_to_message (tag, 10, 0, 1, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
}

static void
test_round_trip (void)
{
  static const guint8 audio[] = { 0xAF, 0x01, 0x21, 0x10, 0x04 };
  static const guint8 video[] = { 0x27, 0x01, 0xFF, 0xFF, 0x9C, 0x41 };
  RtmpCoreMessage *msgs[3];
  GByteArray *file = g_byte_array_new ();
  GBytes *bytes;
  Collector c;
  RtmpCoreFlvParser *parser;
  GError *error = NULL;
  guint i;

  msgs[0] = rtmp_core_message_new_take (RTMP_CORE_MESSAGE_AUDIO, 4, 1,
      0xFFFFFFFF, g_memdup2 (audio, sizeof (audio)), sizeof (audio));
  msgs[1] = rtmp_core_message_new_take (RTMP_CORE_MESSAGE_VIDEO, 6, 1,
      0x00FFFFFF, g_memdup2 (video, sizeof (video)), sizeof (video));
  msgs[2] = rtmp_core_message_new_take (RTMP_CORE_MESSAGE_VIDEO, 6, 1,
      0x01000000, NULL, 0);

  bytes = rtmp_core_flv_make_header (RTMP_CORE_FLV_HAS_AUDIO |
      RTMP_CORE_FLV_HAS_VIDEO);
  g_byte_array_append (file, g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));
  g_bytes_unref (bytes);
  for (i = 0; i < G_N_ELEMENTS (msgs); i++) {
    bytes = rtmp_core_flv_tag_from_message (msgs[i]);
    g_byte_array_append (file, g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));
    g_bytes_unref (bytes);
  }

  parser = new_parser (&c);
  g_assert_true (rtmp_core_flv_parser_feed (parser, file->data, file->len,
          &error));
  g_assert_no_error (error);
  g_assert_true (rtmp_core_flv_parser_finish (parser, &error));
  g_assert_cmpuint (rtmp_core_flv_parser_get_n_bad_back_pointers (parser), ==,
      0);
  g_assert_cmpuint (c.tags->len, ==, G_N_ELEMENTS (msgs));
  for (i = 0; i < G_N_ELEMENTS (msgs); i++) {
    gsize size;
    const guint8 *data = rtmp_core_message_peek_data (msgs[i], &size);

    assert_tag (c.tags, i, msgs[i]->type, msgs[i]->timestamp, data, size);
    rtmp_core_message_unref (msgs[i]);
  }
  rtmp_core_flv_parser_unref (parser);
  collector_clear (&c);
  g_byte_array_unref (file);
}

static void
test_default_chunk_stream (void)
{
  guint t;

  g_assert_cmpuint (rtmp_core_flv_default_chunk_stream (8), ==, 4);
  g_assert_cmpuint (rtmp_core_flv_default_chunk_stream (9), ==, 6);
  g_assert_cmpuint (rtmp_core_flv_default_chunk_stream (18), ==, 5);
  g_assert_cmpuint (rtmp_core_flv_default_chunk_stream (15), ==, 5);
  g_assert_cmpuint (rtmp_core_flv_default_chunk_stream (20), ==, 3);
  for (t = 0; t < 256; t++) {
    guint32 csid = rtmp_core_flv_default_chunk_stream (t);

    g_assert_cmpuint (csid, >=, 3);
    g_assert_cmpuint (csid, <=, 63);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/flv/parse/whole-zero-copy", test_parse_whole_zero_copy);
  g_test_add_func ("/flv/parse/every-chunk-size", test_parse_every_chunk_size);
  g_test_add_func ("/flv/parse/every-split-point",
      test_parse_every_split_point);
  g_test_add_func ("/flv/parse/bare-tags", test_parse_bare_tags);
  g_test_add_func ("/flv/parse/long-header", test_parse_long_header);
  g_test_add_func ("/flv/parse/bad-header-size", test_parse_bad_header_size);
  g_test_add_func ("/flv/parse/finish-truncated", test_finish_truncated);
  g_test_add_func ("/flv/parse/bad-back-pointer", test_bad_back_pointer);
  g_test_add_func ("/flv/parse/tag-types", test_tag_types);
  g_test_add_func ("/flv/parse/max-tag-size", test_max_tag_size);
  g_test_add_func ("/flv/parse/feed-bytes", test_feed_bytes);
  g_test_add_func ("/flv/parse/callback-notify", test_callback_notify);
  g_test_add_func ("/flv/write/header", test_make_header);
  g_test_add_func ("/flv/write/tag-header", test_write_tag_header);
  g_test_add_func ("/flv/write/tag-from-message", test_tag_from_message);
  g_test_add_func ("/flv/tag-to-message", test_tag_to_message);
  g_test_add_func ("/flv/round-trip", test_round_trip);
  g_test_add_func ("/flv/default-chunk-stream", test_default_chunk_stream);

  return g_test_run ();
}
