/* Chunk reader and writer: byte vectors from the specification, the edge
 * cases of RTMP-NOTES.md, and writer -> reader round trips. */
#include <rtmpcore.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct {
  GPtrArray *messages;          /* owned copies */
  const guint8 *input;          /* the buffer being fed, for zero-copy checks */
  gsize input_size;
  gboolean last_in_input;
} Collector;

static void
collect_cb (const RtmpCoreMessage * msg, gpointer user_data)
{
  Collector *c = user_data;
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (msg, &size);

  g_assert_cmpint (msg->ref_count, ==, 0);
  c->last_in_input = c->input && size > 0 && data >= c->input
      && data + size <= c->input + c->input_size;
  g_ptr_array_add (c->messages, rtmp_core_message_copy (msg));
}

static RtmpCoreChunkReader *
reader_new (Collector * c)
{
  RtmpCoreChunkReader *reader = rtmp_core_chunk_reader_new ();

  memset (c, 0, sizeof (*c));
  c->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  rtmp_core_chunk_reader_set_callback (reader, collect_cb, c, NULL);
  return reader;
}

static void
collector_clear (Collector * c)
{
  g_ptr_array_unref (c->messages);
}

static gboolean
feed (RtmpCoreChunkReader * reader, Collector * c, const guint8 * data,
    gsize size, GError ** error)
{
  c->input = data;
  c->input_size = size;
  return rtmp_core_chunk_reader_feed (reader, data, size, error);
}

/* Feeds one byte at a time: every header split is exercised. */
static gboolean
feed_bytewise (RtmpCoreChunkReader * reader, const guint8 * data, gsize size,
    GError ** error)
{
  gsize i;

  for (i = 0; i < size; i++)
    if (!rtmp_core_chunk_reader_feed (reader, data + i, 1, error))
      return FALSE;
  return TRUE;
}

static void
assert_message (const RtmpCoreMessage * msg, guint8 type, guint32 csid,
    guint32 stream_id, guint32 timestamp, const guint8 * data, gsize size)
{
  gsize got_size;
  const guint8 *got = rtmp_core_message_peek_data (msg, &got_size);

  g_assert_cmpuint (msg->type, ==, type);
  g_assert_cmpuint (msg->chunk_stream_id, ==, csid);
  g_assert_cmpuint (msg->stream_id, ==, stream_id);
  g_assert_cmpuint (msg->timestamp, ==, timestamp);
  g_assert_cmpmem (got, got_size, data, size);
}

static guint8 *
pattern (gsize size, guint seed)
{
  guint8 *p = g_malloc (size ? size : 1);
  gsize i;

  /* Neighbouring bytes differ by 7, so no run looks like an extended
   * timestamp such as 01 00 00 00. */
  for (i = 0; i < size; i++)
    p[i] = (guint8) (seed * 31 + i * 7);
  return p;
}

static RtmpCoreMessage *
message_new (guint8 type, guint32 csid, guint32 stream_id, guint32 ts,
    gsize size, guint seed)
{
  return rtmp_core_message_new_take (type, csid, stream_id, ts,
      pattern (size, seed), size);
}

static GBytes *
write_one (RtmpCoreChunkWriter * writer, const RtmpCoreMessage * msg)
{
  GError *error = NULL;
  GBytes *bytes = rtmp_core_chunk_writer_write_bytes (writer, msg, &error);

  g_assert_no_error (error);
  g_assert_nonnull (bytes);
  return bytes;
}

static void
append_bytes (GByteArray * out, GBytes * bytes)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  g_byte_array_append (out, data, size);
  g_bytes_unref (bytes);
}

/* ---- vectors from the specification (section 5.3.2.2) ---- */

/* Example 1: four 32-byte audio messages on chunk stream 3, message
 * stream 12345, timestamps 1000, 1020, 1040, 1060: type 0, type 2, then
 * type 3 headers. */
static GByteArray *
spec_audio_bytes (const guint8 * body)
{
  static const guint8 h0[] = { 0x03, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x20,
    0x08, 0x39, 0x30, 0x00, 0x00
  };
  static const guint8 h2[] = { 0x83, 0x00, 0x00, 0x14 };
  static const guint8 h3[] = { 0xc3 };
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, h0, sizeof (h0));
  g_byte_array_append (a, body, 32);
  g_byte_array_append (a, h2, sizeof (h2));
  g_byte_array_append (a, body, 32);
  g_byte_array_append (a, h3, 1);
  g_byte_array_append (a, body, 32);
  g_byte_array_append (a, h3, 1);
  g_byte_array_append (a, body, 32);
  return a;
}

/* Example 2: a 307-byte video message on chunk stream 4, message stream
 * 12346, timestamp 1000, at chunk size 128: one type 0 chunk and two
 * type 3 chunks. */
static GByteArray *
spec_video_bytes (const guint8 * body)
{
  static const guint8 h0[] = { 0x04, 0x00, 0x03, 0xe8, 0x00, 0x01, 0x33,
    0x09, 0x3a, 0x30, 0x00, 0x00
  };
  static const guint8 h3[] = { 0xc4 };
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, h0, sizeof (h0));
  g_byte_array_append (a, body, 128);
  g_byte_array_append (a, h3, 1);
  g_byte_array_append (a, body + 128, 128);
  g_byte_array_append (a, h3, 1);
  g_byte_array_append (a, body + 256, 51);
  return a;
}

static void
test_reader_spec_audio (void)
{
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  guint8 *body = pattern (32, 1);
  GByteArray *a = spec_audio_bytes (body);
  GError *error = NULL;
  guint i;

  g_assert_true (feed (reader, &c, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 4);
  for (i = 0; i < 4; i++)
    assert_message (c.messages->pdata[i], 8, 3, 12345, 1000 + 20 * i, body,
        32);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_n_partial_messages (reader),
      ==, 0);

  g_byte_array_unref (a);
  g_free (body);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
test_reader_spec_video (void)
{
  Collector c;
  RtmpCoreChunkReader *reader;
  guint8 *body = pattern (307, 2);
  GByteArray *a = spec_video_bytes (body);
  GError *error = NULL;

  reader = reader_new (&c);
  g_assert_true (feed (reader, &c, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 1);
  assert_message (c.messages->pdata[0], 9, 4, 12346, 1000, body, 307);
  g_assert_false (c.last_in_input);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);

  /* The same bytes one at a time. */
  reader = reader_new (&c);
  g_assert_true (feed_bytewise (reader, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 1);
  assert_message (c.messages->pdata[0], 9, 4, 12346, 1000, body, 307);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);

  g_byte_array_unref (a);
  g_free (body);
}

static void
test_writer_spec_audio (void)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  guint8 *body = pattern (32, 1);
  GByteArray *expected = spec_audio_bytes (body);
  GError *error = NULL;
  RtmpCoreMessage *msgs[4];
  const GOutputVector *v;
  gsize n;
  guint i;

  for (i = 0; i < 4; i++) {
    msgs[i] = message_new (8, 3, 12345, 1000 + 20 * i, 32, 1);
    g_assert_true (rtmp_core_chunk_writer_write (writer, msgs[i], &error));
    g_assert_no_error (error);
  }
  /* Every body is under 64 bytes: copied next to its header, and all the
   * arena slices merge into one vector. */
  v = rtmp_core_chunk_writer_get_vectors (writer, &n);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpmem (v[0].buffer, v[0].size, expected->data, expected->len);
  g_assert_cmpuint (rtmp_core_chunk_writer_get_pending_size (writer), ==,
      expected->len);

  rtmp_core_chunk_writer_clear (writer);
  v = rtmp_core_chunk_writer_get_vectors (writer, &n);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (rtmp_core_chunk_writer_get_pending_size (writer), ==, 0);

  for (i = 0; i < 4; i++)
    rtmp_core_message_unref (msgs[i]);
  g_byte_array_unref (expected);
  g_free (body);
  rtmp_core_chunk_writer_unref (writer);
}

static void
test_writer_spec_video (void)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  RtmpCoreMessage *msg = message_new (9, 4, 12346, 1000, 307, 2);
  GByteArray *expected = spec_video_bytes (msg->data);
  GError *error = NULL;
  const GOutputVector *v;
  gsize n, i, off = 0;

  g_assert_true (rtmp_core_chunk_writer_write (writer, msg, &error));
  g_assert_no_error (error);
  v = rtmp_core_chunk_writer_get_vectors (writer, &n);

  /* header | 128 payload | C4 | 128 payload | C4 + 51 copied bytes */
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpuint (v[0].size, ==, 12);
  g_assert_true (v[1].buffer == msg->data);
  g_assert_cmpuint (v[1].size, ==, 128);
  g_assert_cmpuint (v[2].size, ==, 1);
  g_assert_true (v[3].buffer == msg->data + 128);
  g_assert_cmpuint (v[4].size, ==, 52);
  for (i = 0; i < n; i++) {
    g_assert_cmpmem (v[i].buffer, v[i].size, expected->data + off,
        v[i].size);
    off += v[i].size;
  }
  g_assert_cmpuint (off, ==, expected->len);

  rtmp_core_chunk_writer_clear (writer);
  rtmp_core_message_unref (msg);
  g_byte_array_unref (expected);
  rtmp_core_chunk_writer_unref (writer);
}

/* ---- basic header forms ---- */

static void
test_basic_header_forms (void)
{
  static const struct {
    guint32 csid;
    guint8 bytes[3];
    gsize len;
  } forms[] = {
    {2, {0x02}, 1},
    {63, {0x3f}, 1},
    {64, {0x00, 0x00}, 2},
    {319, {0x00, 0xff}, 2},
    {320, {0x01, 0x00, 0x01}, 3},
    {65599, {0x01, 0xff, 0xff}, 3},
  };
  /* Type 0 header tail: timestamp 7, length 1, type 20, stream 0, body. */
  static const guint8 tail[] = { 0x00, 0x00, 0x07, 0x00, 0x00, 0x01, 0x14,
    0x00, 0x00, 0x00, 0x00, 0xab
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (forms); i++) {
    RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
    RtmpCoreMessage *msg;
    GBytes *out;
    GByteArray *expected = g_byte_array_new ();
    Collector c;
    RtmpCoreChunkReader *reader = reader_new (&c);
    GError *error = NULL;
    static const guint8 body = 0xab;

    g_byte_array_append (expected, forms[i].bytes, forms[i].len);
    g_byte_array_append (expected, tail, sizeof (tail));

    msg = rtmp_core_message_new_take (20, forms[i].csid, 0, 7,
        g_memdup2 (&body, 1), 1);
    out = write_one (writer, msg);
    g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
        expected->data, expected->len);

    g_assert_true (feed_bytewise (reader, expected->data, expected->len,
            &error));
    g_assert_no_error (error);
    g_assert_cmpuint (c.messages->len, ==, 1);
    assert_message (c.messages->pdata[0], 20, forms[i].csid, 0, 7, &body, 1);

    collector_clear (&c);
    rtmp_core_chunk_reader_unref (reader);
    g_bytes_unref (out);
    g_byte_array_unref (expected);
    rtmp_core_message_unref (msg);
    rtmp_core_chunk_writer_unref (writer);
  }
}

/* The three-byte form may also name ids below 320. */
static void
test_reader_long_form_small_id (void)
{
  static const guint8 bytes[] = { 0x01, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00
  };
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  g_assert_true (feed (reader, &c, bytes, sizeof (bytes), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 1);
  assert_message (c.messages->pdata[0], 8, 70, 0, 0, NULL, 0);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

/* ---- extended timestamps ---- */

static void
test_reader_extended_type0 (void)
{
  /* csid 3, timestamp 0xFFFFFF escape, length 2, audio, stream 1, then the
   * real timestamp 0x01020304. */
  static const guint8 bytes[] = { 0x03, 0xff, 0xff, 0xff, 0x00, 0x00, 0x02,
    0x08, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb
  };
  static const guint8 body[] = { 0xaa, 0xbb };
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  RtmpCoreMessage *msg;
  GBytes *out;
  GError *error = NULL;

  g_assert_true (feed (reader, &c, bytes, sizeof (bytes), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 1);
  assert_message (c.messages->pdata[0], 8, 3, 1, 0x01020304, body, 2);

  msg = rtmp_core_message_new_take (8, 3, 1, 0x01020304,
      g_memdup2 (body, 2), 2);
  out = write_one (writer, msg);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
      bytes, sizeof (bytes));

  g_bytes_unref (out);
  rtmp_core_message_unref (msg);
  rtmp_core_chunk_writer_unref (writer);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

/* A 200-byte message at timestamp 0x01000000 on csid 3 at chunk size 128;
 * the continuation chunk with or without the repeated extended field. The
 * body starts with @first so the peek sees a near miss when asked. */
static GByteArray *
extended_message_bytes (gboolean repeat, const guint8 * body)
{
  static const guint8 h0[] = { 0x03, 0xff, 0xff, 0xff, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00
  };
  static const guint8 h3[] = { 0xc3, 0x01, 0x00, 0x00, 0x00 };
  GByteArray *a = g_byte_array_new ();

  g_byte_array_append (a, h0, sizeof (h0));
  g_byte_array_append (a, body, 128);
  g_byte_array_append (a, h3, repeat ? 5 : 1);
  g_byte_array_append (a, body + 128, 72);
  return a;
}

static void
check_extended_continuation (gboolean repeat, guint8 b0, guint8 b1,
    guint8 b2, guint8 b3)
{
  guint8 *body = pattern (200, 5);
  GByteArray *a;
  guint mode;

  body[128] = b0;
  body[129] = b1;
  body[130] = b2;
  body[131] = b3;
  a = extended_message_bytes (repeat, body);

  for (mode = 0; mode < 2; mode++) {
    Collector c;
    RtmpCoreChunkReader *reader = reader_new (&c);
    GError *error = NULL;

    if (mode == 0)
      g_assert_true (feed (reader, &c, a->data, a->len, &error));
    else
      g_assert_true (feed_bytewise (reader, a->data, a->len, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (c.messages->len, ==, 1);
    assert_message (c.messages->pdata[0], 9, 3, 1, 0x01000000, body, 200);
    collector_clear (&c);
    rtmp_core_chunk_reader_unref (reader);
  }
  g_byte_array_unref (a);
  g_free (body);
}

static void
test_reader_continuation_ext_repeated (void)
{
  check_extended_continuation (TRUE, 0x10, 0x20, 0x30, 0x40);
  /* The body may even start like the field: the repeat is consumed first. */
  check_extended_continuation (TRUE, 0x01, 0x00, 0x00, 0x00);
}

static void
test_reader_continuation_ext_omitted (void)
{
  check_extended_continuation (FALSE, 0x10, 0x20, 0x30, 0x40);
  /* Bodies that match the field for 1, 2 and 3 bytes: fed byte by byte the
   * reader must wait, then hand the stashed bytes to the body. */
  check_extended_continuation (FALSE, 0x01, 0x55, 0x00, 0x00);
  check_extended_continuation (FALSE, 0x01, 0x00, 0x55, 0x00);
  check_extended_continuation (FALSE, 0x01, 0x00, 0x00, 0x55);
}

/* ---- protocol control ---- */

static void
test_reader_abort (void)
{
  static const guint8 start[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  static const guint8 abort_msg[] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04
  };
  /* A new message with a different length: legal only after the abort. */
  static const guint8 fresh[] = { 0x44, 0x00, 0x00, 0x05, 0x00, 0x00, 0x02,
    0x09, 0x77, 0x88
  };
  static const guint8 fresh_body[] = { 0x77, 0x88 };
  static const guint8 abort_body[] = { 0x00, 0x00, 0x00, 0x04 };
  guint8 *body = pattern (128, 9);
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  g_assert_true (feed (reader, &c, start, sizeof (start), &error));
  g_assert_true (feed (reader, &c, body, 128, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_n_partial_messages (reader),
      ==, 1);

  g_assert_true (feed (reader, &c, abort_msg, sizeof (abort_msg), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_n_partial_messages (reader),
      ==, 0);

  g_assert_true (feed (reader, &c, fresh, sizeof (fresh), &error));
  g_assert_no_error (error);

  g_assert_cmpuint (c.messages->len, ==, 2);
  assert_message (c.messages->pdata[0], 2, 2, 0, 0, abort_body, 4);
  assert_message (c.messages->pdata[1], 9, 4, 1, 5, fresh_body, 2);

  g_free (body);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
feed_expect_error (const guint8 * bytes, gsize size, gint code)
{
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  g_assert_false (feed (reader, &c, bytes, size, &error));
  g_assert_error (error, RTMP_CORE_ERROR, code);
  g_clear_error (&error);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
test_reader_length_change_mid_message (void)
{
  GByteArray *a = g_byte_array_new ();
  static const guint8 start[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  /* Type 1 on the same chunk stream announcing 100 bytes. */
  static const guint8 change[] = { 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64,
    0x09
  };
  /* Type 0 announcing a different message type. */
  static const guint8 change_type[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xc8, 0x08, 0x01, 0x00, 0x00, 0x00
  };
  guint8 *body = pattern (128, 3);

  g_byte_array_append (a, start, sizeof (start));
  g_byte_array_append (a, body, 128);
  g_byte_array_append (a, change, sizeof (change));
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_PROTOCOL);

  g_byte_array_set_size (a, 0);
  g_byte_array_append (a, start, sizeof (start));
  g_byte_array_append (a, body, 128);
  g_byte_array_append (a, change_type, sizeof (change_type));
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_PROTOCOL);

  g_byte_array_unref (a);
  g_free (body);
}

/* Only a type 3 header continues a message: a type 0 that restates the
 * partial message's length, type and stream would splice a stale prefix
 * onto the next message, so it is a protocol error too. */
static void
test_reader_header_restated_mid_message (void)
{
  static const guint8 start[] = { 0x04, 0x00, 0x00, 0x10, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  GByteArray *a = g_byte_array_new ();
  guint8 *body = pattern (200, 4);

  g_byte_array_append (a, start, sizeof (start));
  g_byte_array_append (a, body, 128);
  g_byte_array_append (a, start, sizeof (start));
  g_byte_array_append (a, body + 128, 72);
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_PROTOCOL);

  g_byte_array_unref (a);
  g_free (body);
}

static void
test_reader_no_previous_header (void)
{
  static const guint8 type1[] = { 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x09, 0x00
  };
  static const guint8 type2[] = { 0x84, 0x00, 0x00, 0x00, 0x00 };
  static const guint8 type3[] = { 0xc4, 0x00 };
  /* Known chunk stream 4 does not make chunk stream 5 known. */
  static const guint8 other[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x00, 0xc5
  };

  feed_expect_error (type1, sizeof (type1), RTMP_CORE_ERROR_PROTOCOL);
  feed_expect_error (type2, sizeof (type2), RTMP_CORE_ERROR_PROTOCOL);
  feed_expect_error (type3, sizeof (type3), RTMP_CORE_ERROR_PROTOCOL);
  feed_expect_error (other, sizeof (other), RTMP_CORE_ERROR_PROTOCOL);
}

static GByteArray *
set_chunk_size_bytes (guint32 value)
{
  static const guint8 h[] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
    0x01, 0x00, 0x00, 0x00, 0x00
  };
  GByteArray *a = g_byte_array_new ();
  guint8 v[4];

  v[0] = value >> 24;
  v[1] = value >> 16;
  v[2] = value >> 8;
  v[3] = value;
  g_byte_array_append (a, h, sizeof (h));
  g_byte_array_append (a, v, 4);
  return a;
}

static void
test_reader_chunk_size_invalid (void)
{
  GByteArray *a;
  Collector c;
  RtmpCoreChunkReader *reader;
  GError *error = NULL;

  a = set_chunk_size_bytes (0);
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_CHUNK_SIZE);
  g_byte_array_unref (a);

  a = set_chunk_size_bytes (0x80000000);
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_CHUNK_SIZE);
  g_byte_array_unref (a);

  a = set_chunk_size_bytes (0xFFFFFFFF);
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_CHUNK_SIZE);
  g_byte_array_unref (a);

  /* Above a configured maximum. */
  a = set_chunk_size_bytes (65537);
  reader = reader_new (&c);
  rtmp_core_chunk_reader_set_max_chunk_size (reader, 65536);
  g_assert_false (feed (reader, &c, a->data, a->len, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CHUNK_SIZE);
  g_clear_error (&error);
  g_assert_cmpuint (c.messages->len, ==, 0);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
  g_byte_array_unref (a);

  /* A short Set Chunk Size payload cannot be applied. */
  a = set_chunk_size_bytes (4096);
  a->data[6] = 2;
  g_byte_array_set_size (a, a->len - 2);
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_MALFORMED);
  g_byte_array_unref (a);
}

/* Set Chunk Size is applied to the chunks after it, and reported. A value
 * above 0xFFFFFF works like 0xFFFFFF: any message fits one chunk. */
static void
check_set_chunk_size (guint32 value, gsize msg_size)
{
  static const guint8 h0[] = { 0x06, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  GByteArray *a = set_chunk_size_bytes (value);
  guint8 *body = pattern (msg_size, 8);
  guint8 hdr[sizeof (h0)];
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;
  guint8 be[4];

  memcpy (hdr, h0, sizeof (h0));
  hdr[4] = msg_size >> 16;
  hdr[5] = msg_size >> 8;
  hdr[6] = msg_size;
  g_byte_array_append (a, hdr, sizeof (hdr));
  g_byte_array_append (a, body, msg_size);

  g_assert_true (feed (reader, &c, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_chunk_size (reader), ==, value);
  g_assert_cmpuint (c.messages->len, ==, 2);
  be[0] = value >> 24;
  be[1] = value >> 16;
  be[2] = value >> 8;
  be[3] = value;
  assert_message (c.messages->pdata[0], 1, 2, 0, 0, be, 4);
  assert_message (c.messages->pdata[1], 9, 6, 1, 0x21, body, msg_size);
  /* One chunk, all in the input: reported without a copy. */
  g_assert_true (c.last_in_input);

  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
  g_byte_array_unref (a);
  g_free (body);
}

static void
test_reader_set_chunk_size_applied (void)
{
  check_set_chunk_size (4096, 4096);
  check_set_chunk_size (1, 1);
  check_set_chunk_size (0x7FFFFFFF, 300000);
  check_set_chunk_size (0x1000000, 1000000);
}

static void
test_reader_max_message_size (void)
{
  static const guint8 bytes[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  rtmp_core_chunk_reader_set_max_message_size (reader, 0x1000);
  g_assert_false (feed (reader, &c, bytes, sizeof (bytes), &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);

  /* 0x1001 is fine with the default limit. */
  reader = reader_new (&c);
  g_assert_true (feed (reader, &c, bytes, sizeof (bytes), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_n_partial_messages (reader),
      ==, 1);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

/* Thousands of chunk streams each announcing a 0xFFFFFF message and sending
 * one chunk of it: the reader must stop at the partial-message limit, so
 * it never holds more than limit x chunk size bytes. */
static void
test_reader_too_many_partial (void)
{
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  guint8 *body = pattern (128, 6);
  GError *error = NULL;
  guint csid;
  gboolean ok = TRUE;

  rtmp_core_chunk_reader_set_max_message_size (reader, 0xFFFFFF);
  for (csid = 320; csid < 5320 && ok; csid++) {
    guint8 h[14] = { 0x01, (csid - 64) & 0xff, (csid - 64) >> 8,
      0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x09, 0x01, 0x00, 0x00, 0x00
    };

    ok = feed (reader, &c, h, sizeof (h), &error);
    if (ok)
      ok = feed (reader, &c, body, 128, &error);
  }
  g_assert_false (ok);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TOO_MANY_STREAMS);
  g_clear_error (&error);
  /* The 65th header went over the default limit of 64. */
  g_assert_cmpuint (csid, ==, 320 + RTMP_CORE_DEFAULT_MAX_PARTIAL_MESSAGES + 1);
  g_assert_cmpuint (c.messages->len, ==, 0);

  g_free (body);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

/* Chunk streams without partial messages are bounded too. */
static void
test_reader_too_many_chunk_streams (void)
{
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;
  guint csid;
  gboolean ok = TRUE;

  for (csid = 320; csid < 5320 && ok; csid++) {
    guint8 h[14] = { 0x01, (csid - 64) & 0xff, (csid - 64) >> 8,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x01, 0x00, 0x00, 0x00
    };

    ok = feed (reader, &c, h, sizeof (h), &error);
  }
  g_assert_false (ok);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TOO_MANY_STREAMS);
  g_clear_error (&error);
  g_assert_cmpuint (c.messages->len, ==,
      RTMP_CORE_CHUNK_READER_MAX_CHUNK_STREAMS);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
test_reader_stays_failed (void)
{
  static const guint8 bad[] = { 0x44, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x09, 0x00
  };
  static const guint8 good[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x09, 0x00, 0x00, 0x00, 0x00
  };
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  g_assert_false (feed (reader, &c, bad, sizeof (bad), &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (feed (reader, &c, good, sizeof (good), &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_false (feed (reader, &c, good, 0, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_cmpuint (c.messages->len, ==, 0);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

/* Type 0 at 1000, then two type 3 headers that start new messages. */
static void
check_type3_after_type0 (gboolean repeats, guint32 ts2, guint32 ts3)
{
  static const guint8 bytes[] = {
    0x05, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
    0x11,
    0xc5, 0x22,
    0xc5, 0x33
  };
  static const guint8 b1 = 0x11, b2 = 0x22, b3 = 0x33;
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  rtmp_core_chunk_reader_set_type3_after_type0_repeats_timestamp (reader,
      repeats);
  g_assert_true (feed (reader, &c, bytes, sizeof (bytes), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 3);
  assert_message (c.messages->pdata[0], 8, 5, 1, 1000, &b1, 1);
  assert_message (c.messages->pdata[1], 8, 5, 1, ts2, &b2, 1);
  assert_message (c.messages->pdata[2], 8, 5, 1, ts3, &b3, 1);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
test_reader_type3_after_type0 (void)
{
  /* The specification: the delta is the type 0 timestamp. */
  check_type3_after_type0 (TRUE, 2000, 3000);
  /* nginx-rtmp, gortmplib: a delta of 0. */
  check_type3_after_type0 (FALSE, 1000, 1000);
}

/* After a type 2 header, type 3 reuses its delta in both modes. */
static void
test_reader_type3_after_type2 (void)
{
  static const guint8 bytes[] = {
    0x05, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x01, 0x08, 0x01, 0x00, 0x00, 0x00,
    0x11,
    0x85, 0x00, 0x00, 0x21, 0x22,
    0xc5, 0x33
  };
  guint mode;

  for (mode = 0; mode < 2; mode++) {
    Collector c;
    RtmpCoreChunkReader *reader = reader_new (&c);
    GError *error = NULL;

    rtmp_core_chunk_reader_set_type3_after_type0_repeats_timestamp (reader,
        mode == 0);
    g_assert_true (feed (reader, &c, bytes, sizeof (bytes), &error));
    g_assert_no_error (error);
    g_assert_cmpuint (c.messages->len, ==, 3);
    g_assert_cmpuint (((RtmpCoreMessage *) c.messages->pdata[1])->timestamp,
        ==, 1033);
    g_assert_cmpuint (((RtmpCoreMessage *) c.messages->pdata[2])->timestamp,
        ==, 1066);
    collector_clear (&c);
    rtmp_core_chunk_reader_unref (reader);
  }
}

static void
test_reader_zero_copy (void)
{
  static const guint8 bytes[] = { 0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03,
    0x09, 0x01, 0x00, 0x00, 0x00, 0x0a, 0x0b, 0x0c
  };
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  g_assert_true (feed (reader, &c, bytes, sizeof (bytes), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 1);
  g_assert_true (c.last_in_input);
  assert_message (c.messages->pdata[0], 9, 4, 1, 1, bytes + 12, 3);

  /* The header split off in an earlier feed: the body is still whole in
   * the second buffer. */
  g_assert_true (feed (reader, &c, bytes, 12, &error));
  g_assert_true (feed (reader, &c, bytes + 12, 3, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 2);
  g_assert_true (c.last_in_input);

  /* A body split across feeds is copied. */
  g_assert_true (feed (reader, &c, bytes, 13, &error));
  g_assert_true (feed (reader, &c, bytes + 13, 2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 3);
  g_assert_false (c.last_in_input);
  assert_message (c.messages->pdata[2], 9, 4, 1, 1, bytes + 12, 3);

  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
test_reader_feed_bytes (void)
{
  RtmpCoreChunkReader *reader = rtmp_core_chunk_reader_new ();
  guint8 *body = pattern (32, 1);
  GByteArray *a = spec_audio_bytes (body);
  GBytes *first = g_bytes_new (a->data, 50);
  GBytes *rest = g_bytes_new (a->data + 50, a->len - 50);
  GBytes *bad;
  GError *error = NULL;
  GPtrArray *msgs;
  static const guint8 bad_bytes[] = { 0x47, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x09, 0x00
  };

  msgs = rtmp_core_chunk_reader_feed_bytes (reader, first, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 1);
  g_assert_cmpint (((RtmpCoreMessage *) msgs->pdata[0])->ref_count, ==, 1);
  assert_message (msgs->pdata[0], 8, 3, 12345, 1000, body, 32);
  g_ptr_array_unref (msgs);

  msgs = rtmp_core_chunk_reader_feed_bytes (reader, rest, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (msgs->len, ==, 3);
  assert_message (msgs->pdata[2], 8, 3, 12345, 1060, body, 32);
  g_ptr_array_unref (msgs);

  bad = g_bytes_new_static (bad_bytes, sizeof (bad_bytes));
  msgs = rtmp_core_chunk_reader_feed_bytes (reader, bad, &error);
  g_assert_null (msgs);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_PROTOCOL);
  g_clear_error (&error);

  g_bytes_unref (bad);
  g_bytes_unref (first);
  g_bytes_unref (rest);
  g_byte_array_unref (a);
  g_free (body);
  rtmp_core_chunk_reader_unref (reader);
}

/* Audio (csid 4) and video (csid 6) interleaved at chunk boundaries: the
 * video message spans three chunks with two audio messages between. */
static void
test_reader_interleaved (void)
{
  static const guint8 v0[] = { 0x06, 0x00, 0x00, 0x28, 0x00, 0x01, 0x2c,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  static const guint8 a0[] = { 0x04, 0x00, 0x00, 0x28, 0x00, 0x00, 0x0a,
    0x08, 0x01, 0x00, 0x00, 0x00
  };
  static const guint8 a2[] = { 0x84, 0x00, 0x00, 0x17 };
  static const guint8 v3[] = { 0xc6 };
  guint8 *video = pattern (300, 11);
  guint8 *audio = pattern (10, 12);
  GByteArray *a = g_byte_array_new ();
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  g_byte_array_append (a, v0, sizeof (v0));
  g_byte_array_append (a, video, 128);
  g_byte_array_append (a, a0, sizeof (a0));
  g_byte_array_append (a, audio, 10);
  g_byte_array_append (a, v3, 1);
  g_byte_array_append (a, video + 128, 128);
  g_byte_array_append (a, a2, sizeof (a2));
  g_byte_array_append (a, audio, 10);
  g_byte_array_append (a, v3, 1);
  g_byte_array_append (a, video + 256, 44);

  g_assert_true (feed (reader, &c, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 3);
  assert_message (c.messages->pdata[0], 8, 4, 1, 40, audio, 10);
  assert_message (c.messages->pdata[1], 8, 4, 1, 63, audio, 10);
  assert_message (c.messages->pdata[2], 9, 6, 1, 40, video, 300);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);

  reader = reader_new (&c);
  g_assert_true (feed_bytewise (reader, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 3);
  assert_message (c.messages->pdata[2], 9, 6, 1, 40, video, 300);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);

  g_byte_array_unref (a);
  g_free (video);
  g_free (audio);
}

/* More chunk streams than the reader keeps idle buffers for, each with
 * messages that need reassembly, interleaved chunk by chunk. */
static void
test_reader_many_buffered_streams (void)
{
  GByteArray *a = g_byte_array_new ();
  guint8 *body = pattern (300, 13);
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;
  guint round, csid, i;

  for (round = 0; round < 3; round++) {
    for (csid = 3; csid < 23; csid++) {
      guint8 h[12] = { csid, 0x00, 0x00, round, 0x00, 0x01, 0x2c, 0x09,
        0x01, 0x00, 0x00, 0x00
      };
      g_byte_array_append (a, h, sizeof (h));
      g_byte_array_append (a, body, 128);
    }
    for (csid = 3; csid < 23; csid++) {
      guint8 h3 = 0xc0 | csid;

      g_byte_array_append (a, &h3, 1);
      g_byte_array_append (a, body + 128, 128);
    }
    for (csid = 3; csid < 23; csid++) {
      guint8 h3 = 0xc0 | csid;

      g_byte_array_append (a, &h3, 1);
      g_byte_array_append (a, body + 256, 44);
    }
  }

  g_assert_true (feed (reader, &c, a->data, a->len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.messages->len, ==, 60);
  for (i = 0; i < 60; i++)
    assert_message (c.messages->pdata[i], 9, 3 + i % 20, 1, i / 20, body,
        300);

  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
  g_byte_array_unref (a);
  g_free (body);
}

static void
test_reader_stream_id_change_mid_message (void)
{
  static const guint8 start[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00
  };
  static const guint8 change[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0x09, 0x02, 0x00, 0x00, 0x00
  };
  GByteArray *a = g_byte_array_new ();
  guint8 *body = pattern (128, 3);

  g_byte_array_append (a, start, sizeof (start));
  g_byte_array_append (a, body, 128);
  g_byte_array_append (a, change, sizeof (change));
  feed_expect_error (a->data, a->len, RTMP_CORE_ERROR_PROTOCOL);
  g_byte_array_unref (a);
  g_free (body);
}

static void
test_reader_max_partial_setting (void)
{
  static const guint8 h4[] = { 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00, 0xee
  };
  static const guint8 h5[] = { 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8,
    0x09, 0x01, 0x00, 0x00, 0x00, 0xee
  };
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GError *error = NULL;

  /* Chunks of one byte: each header plus a byte ends a chunk. */
  rtmp_core_chunk_reader_set_chunk_size (reader, 1);
  rtmp_core_chunk_reader_set_max_partial_messages (reader, 1);
  g_assert_true (feed (reader, &c, h4, sizeof (h4), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_n_partial_messages (reader),
      ==, 1);
  g_assert_false (feed (reader, &c, h5, sizeof (h5), &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TOO_MANY_STREAMS);
  g_clear_error (&error);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
}

static void
count_notify (gpointer data)
{
  (*(guint *) data)++;
}

static void
test_reader_callback_notify (void)
{
  RtmpCoreChunkReader *reader = rtmp_core_chunk_reader_new ();
  guint first = 0, second = 0;

  rtmp_core_chunk_reader_set_callback (reader, collect_cb, &first,
      count_notify);
  rtmp_core_chunk_reader_set_callback (reader, collect_cb, &second,
      count_notify);
  g_assert_cmpuint (first, ==, 1);
  g_assert_cmpuint (second, ==, 0);
  rtmp_core_chunk_reader_unref (rtmp_core_chunk_reader_ref (reader));
  g_assert_cmpuint (second, ==, 0);
  rtmp_core_chunk_reader_unref (reader);
  g_assert_cmpuint (second, ==, 1);
}

/* ---- writer ---- */

static void
assert_written (RtmpCoreChunkWriter * writer, RtmpCoreMessage * msg,
    const guint8 * expected, gsize expected_size)
{
  GBytes *out = write_one (writer, msg);

  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out),
      expected, expected_size);
  g_bytes_unref (out);
  rtmp_core_message_unref (msg);
}

static void
test_writer_header_choice (void)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  static const guint8 m1[] = { 0x07, 0x00, 0x00, 0x64, 0x00, 0x00, 0x01,
    0x09, 0x01, 0x00, 0x00, 0x00, 0x00
  };
  /* Same delta 0 but right after type 0: type 2, never type 3. */
  static const guint8 m2[] = { 0x87, 0x00, 0x00, 0x00, 0x00 };
  /* Same delta 0 after type 2: type 3. */
  static const guint8 m3[] = { 0xc7, 0x00 };
  /* Different delta: type 2. */
  static const guint8 m4[] = { 0x87, 0x00, 0x00, 0x21, 0x00 };
  /* Same delta again: type 3. */
  static const guint8 m5[] = { 0xc7, 0x00 };
  /* Other length: type 1. */
  static const guint8 m6[] = { 0x47, 0x00, 0x00, 0x21, 0x00, 0x00, 0x02,
    0x09, 0x00, 0x07
  };
  /* Other type, same length: type 1. */
  static const guint8 m7[] = { 0x47, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02,
    0x08, 0x00, 0x07
  };
  /* Timestamp goes backwards: type 0. */
  static const guint8 m8[] = { 0x07, 0x00, 0x00, 0x10, 0x00, 0x00, 0x02,
    0x08, 0x01, 0x00, 0x00, 0x00, 0x00, 0x07
  };
  /* Other message stream: type 0. */
  static const guint8 m9[] = { 0x07, 0x00, 0x00, 0x10, 0x00, 0x00, 0x02,
    0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x07
  };
  /* A different chunk stream has its own state: type 0. */
  static const guint8 m10[] = { 0x08, 0x00, 0x00, 0x10, 0x00, 0x00, 0x02,
    0x08, 0x02, 0x00, 0x00, 0x00, 0x00, 0x07
  };

  assert_written (writer, message_new (9, 7, 1, 100, 1, 0), m1, sizeof (m1));
  assert_written (writer, message_new (9, 7, 1, 100, 1, 0), m2, sizeof (m2));
  assert_written (writer, message_new (9, 7, 1, 100, 1, 0), m3, sizeof (m3));
  assert_written (writer, message_new (9, 7, 1, 133, 1, 0), m4, sizeof (m4));
  assert_written (writer, message_new (9, 7, 1, 166, 1, 0), m5, sizeof (m5));
  assert_written (writer, message_new (9, 7, 1, 199, 2, 0), m6, sizeof (m6));
  assert_written (writer, message_new (8, 7, 1, 200, 2, 0), m7, sizeof (m7));
  assert_written (writer, message_new (8, 7, 1, 16, 2, 0), m8, sizeof (m8));
  assert_written (writer, message_new (8, 7, 2, 16, 2, 0), m9, sizeof (m9));
  assert_written (writer, message_new (8, 8, 2, 16, 2, 0), m10, sizeof (m10));

  /* After a reset every chunk stream starts again with type 0. */
  rtmp_core_chunk_writer_reset (writer);
  assert_written (writer, message_new (8, 8, 2, 16, 2, 0), m10, sizeof (m10));

  rtmp_core_chunk_writer_unref (writer);
}

/* Extended timestamp in a type 0 header and its continuation chunks. */
static void
test_writer_extended_continuation (void)
{
  guint mode;

  for (mode = 0; mode < 2; mode++) {
    RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
    RtmpCoreMessage *msg = message_new (9, 3, 1, 0x01000000, 200, 5);
    GByteArray *expected = extended_message_bytes (mode == 0, msg->data);
    static const guint8 next[] = { 0x83, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00,
      0x00
    };

    if (mode == 1)
      rtmp_core_chunk_writer_set_extended_timestamp_in_continuation (writer,
          FALSE);
    assert_written (writer, msg, expected->data, expected->len);

    /* The next message 0x01000000 later: an extended delta in a type 2
     * header, not a type 3 one, though the delta would qualify. */
    msg = message_new (9, 3, 1, 0x02000000, 200, 5);
    g_byte_array_set_size (expected, 0);
    g_byte_array_append (expected, next, sizeof (next));
    g_byte_array_append (expected, msg->data, 128);
    if (mode == 0)
      g_byte_array_append (expected, (const guint8 *) "\xc3\x01\x00\x00\x00",
          5);
    else
      g_byte_array_append (expected, (const guint8 *) "\xc3", 1);
    g_byte_array_append (expected, msg->data + 128, 72);
    assert_written (writer, msg, expected->data, expected->len);

    msg = message_new (9, 3, 1, 0x03000000, 200, 5);
    g_byte_array_set_size (expected, 0);
    g_byte_array_append (expected, next, sizeof (next));
    g_byte_array_append (expected, msg->data, 128);
    if (mode == 0)
      g_byte_array_append (expected, (const guint8 *) "\xc3\x01\x00\x00\x00",
          5);
    else
      g_byte_array_append (expected, (const guint8 *) "\xc3", 1);
    g_byte_array_append (expected, msg->data + 128, 72);
    assert_written (writer, msg, expected->data, expected->len);

    g_byte_array_unref (expected);
    rtmp_core_chunk_writer_unref (writer);
  }
}

static void
test_writer_errors (void)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  RtmpCoreMessage *msg;
  GError *error = NULL;

  g_assert_false (rtmp_core_chunk_writer_set_chunk_size (writer, 0, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CHUNK_SIZE);
  g_clear_error (&error);
  g_assert_false (rtmp_core_chunk_writer_set_chunk_size (writer, 0x80000000,
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CHUNK_SIZE);
  g_clear_error (&error);
  g_assert_cmpuint (rtmp_core_chunk_writer_get_chunk_size (writer), ==, 128);
  g_assert_true (rtmp_core_chunk_writer_set_chunk_size (writer, 0x7FFFFFFF,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_chunk_writer_get_chunk_size (writer), ==,
      0x7FFFFFFF);

  msg = message_new (9, 3, 1, 0, 0x1000000, 0);
  g_assert_false (rtmp_core_chunk_writer_write (writer, msg, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE);
  g_clear_error (&error);
  g_assert_cmpuint (rtmp_core_chunk_writer_get_pending_size (writer), ==, 0);
  rtmp_core_message_unref (msg);

  rtmp_core_chunk_writer_unref (writer);
}

/* ---- round trips ---- */

static void
feed_random_splits (RtmpCoreChunkReader * reader, GRand * rand,
    const guint8 * data, gsize size)
{
  gsize pos = 0;
  GError *error = NULL;

  while (pos < size) {
    gsize n;

    switch (g_rand_int_range (rand, 0, 4)) {
      case 0:
        n = g_rand_int_range (rand, 1, 4);
        break;
      case 1:
        n = g_rand_int_range (rand, 1, 20);
        break;
      case 2:
        n = g_rand_int_range (rand, 1, 5000);
        break;
      default:
        n = g_rand_int_range (rand, 1, 70000);
        break;
    }
    n = MIN (n, size - pos);
    g_assert_true (rtmp_core_chunk_reader_feed (reader, data + pos, n,
            &error));
    g_assert_no_error (error);
    pos += n;
  }
}

static void
assert_same_messages (GPtrArray * got, GPtrArray * expected)
{
  guint i;

  g_assert_cmpuint (got->len, ==, expected->len);
  for (i = 0; i < got->len; i++) {
    const RtmpCoreMessage *e = expected->pdata[i];

    assert_message (got->pdata[i], e->type, e->chunk_stream_id, e->stream_id,
        e->timestamp, e->data, e->size);
  }
}

static const guint32 roundtrip_timestamps[] = {
  0, 0xFFFFFE, 0xFFFFFF, 0x1000000, 0x1000021, 0x1000021,
  0xFFFFFFF0, 0x10, 0x31, 0x1000031, 0x2000031
};

static void
roundtrip (guint32 chunk_size, guint32 csid, gboolean repeat_ext,
    guint seed)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GPtrArray *expected = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  GByteArray *wire = g_byte_array_new ();
  GRand *rand = g_rand_new_with_seed (seed);
  GError *error = NULL;
  gsize sizes[6];
  guint i, j;

  /* Around the chunk size, capped so the test stays fast. */
  sizes[0] = 0;
  sizes[1] = 1;
  sizes[2] = chunk_size - 1;
  sizes[3] = chunk_size;
  sizes[4] = (gsize) chunk_size + 1;
  sizes[5] = 3 * (gsize) chunk_size + 5;
  for (i = 0; i < G_N_ELEMENTS (sizes); i++)
    sizes[i] = MIN (sizes[i], chunk_size == 1 ? 9 : 40000);

  g_assert_true (rtmp_core_chunk_writer_set_chunk_size (writer, chunk_size,
          &error));
  g_assert_no_error (error);
  rtmp_core_chunk_writer_set_extended_timestamp_in_continuation (writer,
      repeat_ext);
  rtmp_core_chunk_reader_set_chunk_size (reader, chunk_size);

  for (i = 0; i < G_N_ELEMENTS (sizes); i++) {
    for (j = 0; j < G_N_ELEMENTS (roundtrip_timestamps); j++) {
      RtmpCoreMessage *msg = message_new (j % 3 ? 9 : 8, csid, 1 + (j == 5),
          roundtrip_timestamps[j], sizes[i], i * 100 + j);

      append_bytes (wire, write_one (writer, msg));
      g_ptr_array_add (expected, msg);
    }
  }

  feed_random_splits (reader, rand, wire->data, wire->len);
  assert_same_messages (c.messages, expected);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_n_partial_messages (reader),
      ==, 0);

  g_rand_free (rand);
  g_byte_array_unref (wire);
  g_ptr_array_unref (expected);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
  rtmp_core_chunk_writer_unref (writer);
}

static const guint32 roundtrip_chunk_sizes[] = {
  1, 2, 127, 128, 129, 4096, 65536, 16777216
};

static const guint32 roundtrip_csids[] = { 2, 63, 64, 319, 320, 65599 };

static void
test_roundtrip_matrix (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (roundtrip_chunk_sizes); i++)
    for (j = 0; j < G_N_ELEMENTS (roundtrip_csids); j++)
      roundtrip (roundtrip_chunk_sizes[i], roundtrip_csids[j], TRUE,
          i * 10 + j);
}

static void
test_roundtrip_no_repeat_ext (void)
{
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (roundtrip_chunk_sizes); i++)
    for (j = 0; j < G_N_ELEMENTS (roundtrip_csids); j++)
      roundtrip (roundtrip_chunk_sizes[i], roundtrip_csids[j], FALSE,
          1000 + i * 10 + j);
}

/* Several chunk streams through one writer and one reader, with a chunk
 * size change announced in band, as a connection does it. */
static void
test_roundtrip_interleaved (void)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  Collector c;
  RtmpCoreChunkReader *reader = reader_new (&c);
  GPtrArray *expected = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  GByteArray *wire = g_byte_array_new ();
  GRand *rand = g_rand_new_with_seed (42);
  GError *error = NULL;
  RtmpCoreMessage *msg;
  guint i;

  for (i = 0; i < 300; i++) {
    guint32 ts = 0xFFFFF000u + i * 23;

    if (i == 100) {
      /* Announce with the old size in force, then switch. */
      msg = rtmp_core_message_new_set_chunk_size (4000);
      append_bytes (wire, write_one (writer, msg));
      g_ptr_array_add (expected, msg);
      g_assert_true (rtmp_core_chunk_writer_set_chunk_size (writer, 4000,
              &error));
    }
    if (i % 3 == 0)
      msg = message_new (9, 6, 1, ts, 1000 + (i * 977) % 20000, i);
    else if (i % 3 == 1)
      msg = message_new (8, 4, 1, ts + 5, 200 + i % 7, i);
    else
      msg = message_new (18, 65599, 1, ts, i % 5 ? 40 : 300, i);
    append_bytes (wire, write_one (writer, msg));
    g_ptr_array_add (expected, msg);
  }

  feed_random_splits (reader, rand, wire->data, wire->len);
  assert_same_messages (c.messages, expected);
  g_assert_cmpuint (rtmp_core_chunk_reader_get_chunk_size (reader), ==, 4000);

  g_rand_free (rand);
  g_byte_array_unref (wire);
  g_ptr_array_unref (expected);
  collector_clear (&c);
  rtmp_core_chunk_reader_unref (reader);
  rtmp_core_chunk_writer_unref (writer);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/chunk/reader/spec-audio-example", test_reader_spec_audio);
  g_test_add_func ("/chunk/reader/spec-video-example", test_reader_spec_video);
  g_test_add_func ("/chunk/writer/spec-audio-example", test_writer_spec_audio);
  g_test_add_func ("/chunk/writer/spec-video-example", test_writer_spec_video);
  g_test_add_func ("/chunk/basic-header-forms", test_basic_header_forms);
  g_test_add_func ("/chunk/reader/long-form-small-id",
      test_reader_long_form_small_id);
  g_test_add_func ("/chunk/reader/extended-timestamp-type0",
      test_reader_extended_type0);
  g_test_add_func ("/chunk/reader/continuation-ext-repeated",
      test_reader_continuation_ext_repeated);
  g_test_add_func ("/chunk/reader/continuation-ext-omitted",
      test_reader_continuation_ext_omitted);
  g_test_add_func ("/chunk/reader/abort", test_reader_abort);
  g_test_add_func ("/chunk/reader/length-change-mid-message",
      test_reader_length_change_mid_message);
  g_test_add_func ("/chunk/reader/header-restated-mid-message",
      test_reader_header_restated_mid_message);
  g_test_add_func ("/chunk/reader/no-previous-header",
      test_reader_no_previous_header);
  g_test_add_func ("/chunk/reader/chunk-size-invalid",
      test_reader_chunk_size_invalid);
  g_test_add_func ("/chunk/reader/set-chunk-size-applied",
      test_reader_set_chunk_size_applied);
  g_test_add_func ("/chunk/reader/max-message-size",
      test_reader_max_message_size);
  g_test_add_func ("/chunk/reader/too-many-partial",
      test_reader_too_many_partial);
  g_test_add_func ("/chunk/reader/too-many-chunk-streams",
      test_reader_too_many_chunk_streams);
  g_test_add_func ("/chunk/reader/stays-failed", test_reader_stays_failed);
  g_test_add_func ("/chunk/reader/type3-after-type0",
      test_reader_type3_after_type0);
  g_test_add_func ("/chunk/reader/type3-after-type2",
      test_reader_type3_after_type2);
  g_test_add_func ("/chunk/reader/zero-copy", test_reader_zero_copy);
  g_test_add_func ("/chunk/reader/feed-bytes", test_reader_feed_bytes);
  g_test_add_func ("/chunk/reader/interleaved", test_reader_interleaved);
  g_test_add_func ("/chunk/reader/many-buffered-streams",
      test_reader_many_buffered_streams);
  g_test_add_func ("/chunk/reader/stream-id-change-mid-message",
      test_reader_stream_id_change_mid_message);
  g_test_add_func ("/chunk/reader/max-partial-setting",
      test_reader_max_partial_setting);
  g_test_add_func ("/chunk/reader/callback-notify",
      test_reader_callback_notify);
  g_test_add_func ("/chunk/writer/header-choice", test_writer_header_choice);
  g_test_add_func ("/chunk/writer/extended-continuation",
      test_writer_extended_continuation);
  g_test_add_func ("/chunk/writer/errors", test_writer_errors);
  g_test_add_func ("/chunk/roundtrip/matrix", test_roundtrip_matrix);
  g_test_add_func ("/chunk/roundtrip/no-repeat-ext",
      test_roundtrip_no_repeat_ext);
  g_test_add_func ("/chunk/roundtrip/interleaved", test_roundtrip_interleaved);

  return g_test_run ();
}
