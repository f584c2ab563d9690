/* Protocol control, user control and aggregate messages. */
#include <rtmpcore.h>

static void
assert_control (RtmpCoreMessage * msg, guint8 type, const guint8 * expected,
    gsize expected_size)
{
  gsize size;
  const guint8 *data;

  g_assert_nonnull (msg);
  g_assert_cmpuint (msg->type, ==, type);
  g_assert_cmpuint (msg->chunk_stream_id, ==, 2);
  g_assert_cmpuint (msg->stream_id, ==, 0);
  g_assert_cmpuint (msg->timestamp, ==, 0);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpmem (data, size, expected, expected_size);
}

/* A borrowed view over literal bytes, as the chunk reader hands them out. */
static RtmpCoreMessage
make_view (guint8 type, const guint8 * data, gsize size)
{
  RtmpCoreMessage view = { 0, };

  view.type = type;
  view.chunk_stream_id = 2;
  view.data = data;
  view.size = size;
  return view;
}

static void
test_set_chunk_size (void)
{
  static const guint8 expected[] = { 0x00, 0x00, 0x10, 0x00 };
  static const guint8 top_bit[] = { 0x80, 0x00, 0x00, 0x01 };
  RtmpCoreMessage *msg = rtmp_core_message_new_set_chunk_size (4096);
  RtmpCoreMessage view;
  GError *error = NULL;
  guint32 value = 0;

  assert_control (msg, RTMP_CORE_MESSAGE_SET_CHUNK_SIZE, expected, 4);
  g_assert_true (rtmp_core_message_parse_uint32 (msg, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (value, ==, 4096);
  rtmp_core_message_unref (msg);

  msg = rtmp_core_message_new_set_chunk_size (0x7FFFFFFF);
  g_assert_true (rtmp_core_message_parse_uint32 (msg, &value, &error));
  g_assert_cmphex (value, ==, 0x7FFFFFFF);
  rtmp_core_message_unref (msg);

  /* The parser reports the raw value; range checks are the caller's. */
  view = make_view (RTMP_CORE_MESSAGE_SET_CHUNK_SIZE, top_bit, 4);
  g_assert_true (rtmp_core_message_parse_uint32 (&view, &value, &error));
  g_assert_no_error (error);
  g_assert_cmphex (value, ==, 0x80000001);
}

static void
test_set_chunk_size_invalid (void)
{
  if (g_test_subprocess ()) {
    rtmp_core_message_new_set_chunk_size (0);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*chunk_size != 0*");
}

static void
test_set_chunk_size_top_bit (void)
{
  if (g_test_subprocess ()) {
    rtmp_core_message_new_set_chunk_size (0x80000000);
    return;
  }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stderr ("*0x80000000*");
}

static void
test_uint32_controls (void)
{
  static const guint8 abort_bytes[] = { 0x00, 0x00, 0x00, 0x05 };
  static const guint8 ack_bytes[] = { 0xDE, 0xAD, 0xBE, 0xEF };
  static const guint8 window_bytes[] = { 0x00, 0x26, 0x25, 0xA0 };
  RtmpCoreMessage *msg;
  GError *error = NULL;
  guint32 value = 0;

  msg = rtmp_core_message_new_abort (5);
  assert_control (msg, RTMP_CORE_MESSAGE_ABORT, abort_bytes, 4);
  g_assert_true (rtmp_core_message_parse_uint32 (msg, &value, &error));
  g_assert_cmpuint (value, ==, 5);
  rtmp_core_message_unref (msg);

  msg = rtmp_core_message_new_acknowledgement (0xDEADBEEF);
  assert_control (msg, RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT, ack_bytes, 4);
  g_assert_true (rtmp_core_message_parse_uint32 (msg, &value, &error));
  g_assert_cmphex (value, ==, 0xDEADBEEF);
  rtmp_core_message_unref (msg);

  msg = rtmp_core_message_new_window_ack_size (2500000);
  assert_control (msg, RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE, window_bytes, 4);
  g_assert_true (rtmp_core_message_parse_uint32 (msg, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (value, ==, 2500000);
  rtmp_core_message_unref (msg);
}

static void
test_uint32_short (void)
{
  static const guint8 three[] = { 0x00, 0x00, 0x10 };
  static const guint8 five[] = { 0x00, 0x00, 0x10, 0x00, 0xFF };
  RtmpCoreMessage view;
  GError *error = NULL;
  guint32 value = 77;

  view = make_view (RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT, three, 3);
  g_assert_false (rtmp_core_message_parse_uint32 (&view, &value, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_assert_cmpuint (value, ==, 77);
  g_clear_error (&error);

  view = make_view (RTMP_CORE_MESSAGE_SET_CHUNK_SIZE, NULL, 0);
  g_assert_false (rtmp_core_message_parse_uint32 (&view, NULL, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);

  /* Trailing bytes are ignored. */
  view = make_view (RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE, five, 5);
  g_assert_true (rtmp_core_message_parse_uint32 (&view, &value, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (value, ==, 4096);
}

static void
test_set_peer_bandwidth (void)
{
  static const guint8 expected[] = { 0x00, 0x26, 0x25, 0xA0, 0x02 };
  static const guint8 short_bytes[] = { 0x00, 0x26, 0x25, 0xA0 };
  RtmpCoreMessage *msg;
  RtmpCoreMessage view;
  GError *error = NULL;
  guint32 window = 0;
  RtmpCoreBandwidthLimit limit = RTMP_CORE_BANDWIDTH_LIMIT_HARD;

  msg = rtmp_core_message_new_set_peer_bandwidth (2500000,
      RTMP_CORE_BANDWIDTH_LIMIT_DYNAMIC);
  assert_control (msg, RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH, expected, 5);
  g_assert_true (rtmp_core_message_parse_set_peer_bandwidth (msg, &window,
          &limit, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (window, ==, 2500000);
  g_assert_cmpint (limit, ==, RTMP_CORE_BANDWIDTH_LIMIT_DYNAMIC);
  rtmp_core_message_unref (msg);

  msg = rtmp_core_message_new_set_peer_bandwidth (1,
      RTMP_CORE_BANDWIDTH_LIMIT_SOFT);
  g_assert_true (rtmp_core_message_parse_set_peer_bandwidth (msg, &window,
          &limit, &error));
  g_assert_cmpuint (window, ==, 1);
  g_assert_cmpint (limit, ==, RTMP_CORE_BANDWIDTH_LIMIT_SOFT);
  rtmp_core_message_unref (msg);

  view = make_view (RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH, short_bytes, 4);
  g_assert_false (rtmp_core_message_parse_set_peer_bandwidth (&view, &window,
          &limit, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
}

static void
test_user_control_stream_begin (void)
{
  static const guint8 expected[] = { 0x00, 0x00, 0x00, 0x00, 0x00, 0x01 };
  RtmpCoreMessage *msg;
  GError *error = NULL;
  guint event = 99;
  guint32 value = 0, value2 = 99;

  /* value2 is not written for events other than Set Buffer Length. */
  msg = rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_STREAM_BEGIN, 1, 1234);
  assert_control (msg, RTMP_CORE_MESSAGE_USER_CONTROL, expected, 6);
  g_assert_true (rtmp_core_message_parse_user_control (msg, &event, &value,
          &value2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (event, ==, RTMP_CORE_USER_CONTROL_STREAM_BEGIN);
  g_assert_cmpuint (value, ==, 1);
  g_assert_cmpuint (value2, ==, 0);
  rtmp_core_message_unref (msg);
}

static void
test_user_control_ping (void)
{
  static const guint8 request[] = { 0x00, 0x06, 0x12, 0x34, 0x56, 0x78 };
  static const guint8 response[] = { 0x00, 0x07, 0x12, 0x34, 0x56, 0x78 };
  RtmpCoreMessage *msg;
  GError *error = NULL;
  guint event = 0;
  guint32 value = 0;

  msg = rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_PING_REQUEST, 0x12345678, 0);
  assert_control (msg, RTMP_CORE_MESSAGE_USER_CONTROL, request, 6);
  g_assert_true (rtmp_core_message_parse_user_control (msg, &event, &value,
          NULL, &error));
  g_assert_cmpuint (event, ==, RTMP_CORE_USER_CONTROL_PING_REQUEST);
  g_assert_cmphex (value, ==, 0x12345678);
  rtmp_core_message_unref (msg);

  /* The response echoes the request's timestamp. */
  msg = rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_PING_RESPONSE, value, 0);
  assert_control (msg, RTMP_CORE_MESSAGE_USER_CONTROL, response, 6);
  rtmp_core_message_unref (msg);
}

static void
test_user_control_set_buffer_length (void)
{
  static const guint8 expected[] = {
    0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0B, 0xB8
  };
  RtmpCoreMessage *msg;
  RtmpCoreMessage view;
  GError *error = NULL;
  guint event = 0;
  guint32 value = 0, value2 = 0;

  msg = rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH, 1, 3000);
  assert_control (msg, RTMP_CORE_MESSAGE_USER_CONTROL, expected, 10);
  g_assert_true (rtmp_core_message_parse_user_control (msg, &event, &value,
          &value2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (event, ==, RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH);
  g_assert_cmpuint (value, ==, 1);
  g_assert_cmpuint (value2, ==, 3000);
  rtmp_core_message_unref (msg);

  /* Set Buffer Length needs all 10 bytes. */
  view = make_view (RTMP_CORE_MESSAGE_USER_CONTROL, expected, 9);
  g_assert_false (rtmp_core_message_parse_user_control (&view, &event,
          &value, &value2, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  view = make_view (RTMP_CORE_MESSAGE_USER_CONTROL, expected, 6);
  g_assert_false (rtmp_core_message_parse_user_control (&view, NULL, NULL,
          NULL, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
}

static void
test_user_control_unknown_event (void)
{
  /* Flash's undocumented event 31 (buffer empty) with a stream id. */
  static const guint8 bytes[] = { 0x00, 0x1F, 0x00, 0x00, 0x00, 0x01 };
  RtmpCoreMessage view = make_view (RTMP_CORE_MESSAGE_USER_CONTROL, bytes, 6);
  GError *error = NULL;
  guint event = 0;
  guint32 value = 0, value2 = 5;

  g_assert_true (rtmp_core_message_parse_user_control (&view, &event, &value,
          &value2, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (event, ==, 31);
  g_assert_cmpuint (value, ==, 1);
  g_assert_cmpuint (value2, ==, 0);
}

static void
test_user_control_short (void)
{
  static const guint8 bytes[] = { 0x00, 0x06, 0x12, 0x34, 0x56 };
  RtmpCoreMessage view;
  GError *error = NULL;
  guint event = 42;

  view = make_view (RTMP_CORE_MESSAGE_USER_CONTROL, bytes, 5);
  g_assert_false (rtmp_core_message_parse_user_control (&view, &event, NULL,
          NULL, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_assert_cmpuint (event, ==, 42);
  g_clear_error (&error);

  view = make_view (RTMP_CORE_MESSAGE_USER_CONTROL, bytes, 1);
  g_assert_false (rtmp_core_message_parse_user_control (&view, &event, NULL,
          NULL, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
}

/* Three sub-tags: audio at 0xFFFFF0, video at 0x01000010 (extension byte
 * 1: 32 ms later), script at 0xFFFFE0 (16 ms earlier than the first). */
static const guint8 aggregate[] = {
  0x08, 0x00, 0x00, 0x02, 0xFF, 0xFF, 0xF0, 0x00, 0x00, 0x00, 0x00,
  0xAA, 0xBB,
  0x00, 0x00, 0x00, 0x0D,
  0x09, 0x00, 0x00, 0x03, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x02, 0x03,
  0x00, 0x00, 0x00, 0x0E,
  0x12, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xE0, 0x00, 0x00, 0x00, 0x00,
  0x05,
  0x00, 0x00, 0x00, 0x0C,
};

static void
assert_sub (GPtrArray * subs, guint i, guint8 type, guint32 timestamp,
    const guint8 * data, gsize size)
{
  RtmpCoreMessage *sub = g_ptr_array_index (subs, i);
  gsize sub_size;
  const guint8 *sub_data = rtmp_core_message_peek_data (sub, &sub_size);

  g_assert_cmpuint (sub->type, ==, type);
  g_assert_cmphex (sub->timestamp, ==, timestamp);
  g_assert_cmpuint (sub->stream_id, ==, 1);
  g_assert_cmpuint (sub->chunk_stream_id, ==, 7);
  g_assert_cmpmem (sub_data, sub_size, data, size);
}

static void
test_aggregate_split (void)
{
  static const guint8 audio[] = { 0xAA, 0xBB };
  static const guint8 video[] = { 0x01, 0x02, 0x03 };
  static const guint8 script[] = { 0x05 };
  GBytes *payload = g_bytes_new_static (aggregate, sizeof (aggregate));
  RtmpCoreMessage *agg = rtmp_core_message_new (RTMP_CORE_MESSAGE_AGGREGATE,
      7, 1, 1000, payload);
  GError *error = NULL;
  GPtrArray *subs;

  subs = rtmp_core_message_split_aggregate (agg, &error);
  g_assert_no_error (error);
  g_assert_nonnull (subs);
  g_assert_cmpuint (subs->len, ==, 3);
  assert_sub (subs, 0, 8, 1000, audio, 2);
  assert_sub (subs, 1, 9, 1032, video, 3);
  assert_sub (subs, 2, 18, 984, script, 1);
  /* Owned aggregate: the sub-messages share its storage. */
  g_assert_true (rtmp_core_message_peek_data (g_ptr_array_index (subs, 1),
          NULL) == aggregate + 28);
  g_ptr_array_unref (subs);

  /* Relative timestamps wrap modulo 2^32 with the aggregate's. */
  agg->timestamp = 0xFFFFFFF0;
  subs = rtmp_core_message_split_aggregate (agg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 3);
  assert_sub (subs, 0, 8, 0xFFFFFFF0, audio, 2);
  assert_sub (subs, 1, 9, 0x10, video, 3);
  assert_sub (subs, 2, 18, 0xFFFFFFE0, script, 1);
  g_ptr_array_unref (subs);

  rtmp_core_message_unref (agg);
  g_bytes_unref (payload);
}

static void
test_aggregate_borrowed (void)
{
  static const guint8 video[] = { 0x01, 0x02, 0x03 };
  RtmpCoreMessage view = make_view (RTMP_CORE_MESSAGE_AGGREGATE, aggregate,
      sizeof (aggregate));
  GError *error = NULL;
  GPtrArray *subs;
  RtmpCoreMessage *sub;

  view.chunk_stream_id = 7;
  view.stream_id = 1;
  view.timestamp = 5;
  subs = rtmp_core_message_split_aggregate (&view, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 3);
  assert_sub (subs, 1, 9, 37, video, 3);
  /* A borrowed view only lives for a callback: the subs hold copies. */
  sub = g_ptr_array_index (subs, 1);
  g_assert_true (rtmp_core_message_peek_data (sub, NULL) != aggregate + 28);
  g_assert_cmpint (sub->ref_count, ==, 1);
  g_ptr_array_unref (subs);
}

static void
test_aggregate_edges (void)
{
  RtmpCoreMessage view;
  GError *error = NULL;
  GPtrArray *subs;

  /* Empty aggregate: no sub-messages. */
  view = make_view (RTMP_CORE_MESSAGE_AGGREGATE, NULL, 0);
  subs = rtmp_core_message_split_aggregate (&view, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 0);
  g_ptr_array_unref (subs);

  /* The last back pointer may be missing; its value is not checked. */
  view = make_view (RTMP_CORE_MESSAGE_AGGREGATE, aggregate,
      sizeof (aggregate) - 4);
  subs = rtmp_core_message_split_aggregate (&view, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (subs->len, ==, 3);
  g_ptr_array_unref (subs);
}

static void
test_aggregate_truncated (void)
{
  /* Cut inside the header, the data and the back pointer of a sub-tag. */
  static const gsize cuts[] = { 5, 12, 15, 18, 30, 38, 49, 50 };
  RtmpCoreMessage view;
  GError *error = NULL;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cuts); i++) {
    view = make_view (RTMP_CORE_MESSAGE_AGGREGATE, aggregate, cuts[i]);
    g_assert_null (rtmp_core_message_split_aggregate (&view, &error));
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
    g_clear_error (&error);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/message/set-chunk-size", test_set_chunk_size);
  g_test_add_func ("/message/set-chunk-size/zero",
      test_set_chunk_size_invalid);
  g_test_add_func ("/message/set-chunk-size/top-bit",
      test_set_chunk_size_top_bit);
  g_test_add_func ("/message/uint32-controls", test_uint32_controls);
  g_test_add_func ("/message/uint32-short", test_uint32_short);
  g_test_add_func ("/message/set-peer-bandwidth", test_set_peer_bandwidth);
  g_test_add_func ("/message/user-control/stream-begin",
      test_user_control_stream_begin);
  g_test_add_func ("/message/user-control/ping", test_user_control_ping);
  g_test_add_func ("/message/user-control/set-buffer-length",
      test_user_control_set_buffer_length);
  g_test_add_func ("/message/user-control/unknown-event",
      test_user_control_unknown_event);
  g_test_add_func ("/message/user-control/short", test_user_control_short);
  g_test_add_func ("/message/aggregate/split", test_aggregate_split);
  g_test_add_func ("/message/aggregate/borrowed", test_aggregate_borrowed);
  g_test_add_func ("/message/aggregate/edges", test_aggregate_edges);
  g_test_add_func ("/message/aggregate/truncated", test_aggregate_truncated);

  return g_test_run ();
}
