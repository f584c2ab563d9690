/* Commands and data messages against hand-made message bodies. Hex escapes
 * are ended by a string break so that text after them is not taken as more
 * hex digits. */
#include <string.h>
#include <rtmpcore.h>

#define BYTES(s) (const guint8 *) (s), (sizeof (s) - 1)
#define NUMBER_0 "\x00\x00\x00\x00\x00\x00\x00\x00\x00"
#define NUMBER_1 "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
#define NUMBER_2 "\x00\x40\x00\x00\x00\x00\x00\x00\x00"

static void
assert_bytes (const guint8 * data, gsize size, const guint8 * expected,
    gsize expected_size)
{
  g_assert_cmpmem (data, size, expected, expected_size);
}

static RtmpCoreMessage *
make_message (guint8 type, const guint8 * data, gsize size)
{
  GBytes *bytes = g_bytes_new (data, size);
  RtmpCoreMessage *msg = rtmp_core_message_new (type, 3, 0, 0, bytes);

  g_bytes_unref (bytes);
  return msg;
}

static RtmpCoreCommand *
parse_ok (guint8 type, const guint8 * data, gsize size)
{
  RtmpCoreMessage *msg = make_message (type, data, size);
  GError *error = NULL;
  RtmpCoreCommand *cmd = rtmp_core_command_parse (msg, &error);

  g_assert_no_error (error);
  g_assert_nonnull (cmd);
  rtmp_core_message_unref (msg);
  return cmd;
}

static void
parse_fails (guint8 type, const guint8 * data, gsize size, gint code)
{
  RtmpCoreMessage *msg = make_message (type, data, size);
  GError *error = NULL;
  RtmpCoreCommand *cmd = rtmp_core_command_parse (msg, &error);

  g_assert_error (error, RTMP_CORE_ERROR, code);
  g_assert_null (cmd);
  g_error_free (error);
  rtmp_core_message_unref (msg);
}

/* OBS: connect(1, {app, type, flashVer, swfUrl, tcUrl}). */
static const gchar obs_connect[] =
    "\x02\x00\x07" "connect"
    NUMBER_1
    "\x03"
    "\x00\x03" "app" "\x02\x00\x04" "live"
    "\x00\x04" "type" "\x02\x00\x0a" "nonprivate"
    "\x00\x08" "flashVer" "\x02\x00\x1f" "FMLE/3.0 (compatible; FMSc/1.0)"
    "\x00\x06" "swfUrl" "\x02\x00\x15" "rtmp://localhost/live"
    "\x00\x05" "tcUrl" "\x02\x00\x15" "rtmp://localhost/live"
    "\x00\x00\x09";

static void
test_parse_obs_connect (void)
{
  g_autoptr (RtmpCoreCommand) cmd = NULL;
  RtmpCoreAmfValue *obj;

  cmd = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES (obs_connect));
  g_assert_cmpstr (rtmp_core_command_get_name (cmd), ==, "connect");
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (cmd), ==, 1);
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (cmd), ==, 0);
  obj = rtmp_core_command_get_object (cmd);
  g_assert_nonnull (obj);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 5);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "app"), ==, "live");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "type"), ==,
      "nonprivate");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "flashVer"), ==,
      "FMLE/3.0 (compatible; FMSc/1.0)");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "swfUrl"), ==,
      "rtmp://localhost/live");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "tcUrl"), ==,
      "rtmp://localhost/live");
  /* Not a status command. */
  g_assert_null (rtmp_core_command_get_status_code (cmd));
}

static void
test_parse_result_info (void)
{
  g_autoptr (RtmpCoreCommand) cmd = NULL;
  RtmpCoreAmfValue *info;
  gdouble encoding = -1, caps = 0;

  cmd = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x07" "_result"
          NUMBER_1
          "\x03"
          "\x00\x06" "fmsVer" "\x02\x00\x0d" "FMS/3,0,1,123"
          "\x00\x0c" "capabilities" "\x00\x40\x3f\x00\x00\x00\x00\x00\x00"
          "\x00\x00\x09"
          "\x03"
          "\x00\x05" "level" "\x02\x00\x06" "status"
          "\x00\x04" "code" "\x02\x00\x1d" "NetConnection.Connect.Success"
          "\x00\x0b" "description" "\x02\x00\x15" "Connection succeeded."
          "\x00\x0e" "objectEncoding" NUMBER_0
          "\x00\x00\x09"));
  g_assert_cmpstr (rtmp_core_command_get_name (cmd), ==, "_result");
  g_assert_true (rtmp_core_amf_value_lookup_number
      (rtmp_core_command_get_object (cmd), "capabilities", &caps));
  g_assert_cmpfloat (caps, ==, 31);
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (cmd), ==, 1);
  info = rtmp_core_command_get_argument (cmd, 0);
  g_assert_true (rtmp_core_amf_value_lookup_number (info, "objectEncoding",
          &encoding));
  g_assert_cmpfloat (encoding, ==, 0);
  g_assert_cmpstr (rtmp_core_command_get_status_code (cmd), ==,
      "NetConnection.Connect.Success");
  g_assert_cmpstr (rtmp_core_command_get_status_description (cmd), ==,
      "Connection succeeded.");
  g_assert_null (rtmp_core_command_get_argument (cmd, 1));
}

static void
test_status_lookup (void)
{
  g_autoptr (RtmpCoreCommand) status = NULL;
  g_autoptr (RtmpCoreCommand) created = NULL;
  g_autoptr (RtmpCoreCommand) error = NULL;

  status = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x08"
          "onStatus" NUMBER_0 "\x05"
          "\x03"
          "\x00\x05" "level" "\x02\x00\x06" "status"
          "\x00\x04" "code" "\x02\x00\x17" "NetStream.Publish.Start"
          "\x00\x0b" "description" "\x02\x00\x10" "Start publishing"
          "\x00\x00\x09"));
  g_assert_null (rtmp_core_command_get_object (status));
  g_assert_cmpstr (rtmp_core_command_get_status_code (status), ==,
      "NetStream.Publish.Start");
  g_assert_cmpstr (rtmp_core_command_get_status_description (status), ==,
      "Start publishing");

  /* createStream's _result carries a number, not an info object. */
  created = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x07"
          "_result" NUMBER_2 "\x05" NUMBER_1));
  g_assert_null (rtmp_core_command_get_status_code (created));
  g_assert_null (rtmp_core_command_get_status_description (created));

  /* The first object argument counts, even after other arguments; a code
   * that is not a string is no code. */
  error = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x06"
          "_error" NUMBER_2 "\x05" "\x02\x00\x01" "x"
          "\x03" "\x00\x04" "code" NUMBER_1 "\x00\x00\x09"));
  g_assert_null (rtmp_core_command_get_status_code (error));
}

static void
test_parse_amf3_command (void)
{
  g_autoptr (RtmpCoreCommand) cmd = NULL;
  g_autoptr (RtmpCoreCommand) bare = NULL;
  RtmpCoreAmfValue *n;

  /* Type 17: a 0x00 format byte, then AMF0 values that may switch to AMF3
   * (0x11) for one value each. */
  cmd = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF3, BYTES ("\x00"
          "\x02\x00\x04" "play" NUMBER_0 "\x05"
          "\x11\x06\x09" "test"
          "\x03" "\x00\x01" "n" "\x11\x04\x2a" "\x00\x00\x09"));
  g_assert_cmpstr (rtmp_core_command_get_name (cmd), ==, "play");
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (cmd), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (cmd, 0)), ==, "test");
  n = rtmp_core_amf_value_get_field (rtmp_core_command_get_argument (cmd, 1),
      "n");
  g_assert_cmpint (rtmp_core_amf_value_get_integer (n), ==, 42);

  /* Some peers leave the format byte out. */
  bare = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF3, BYTES ("\x02\x00\x04" "play"
          NUMBER_2));
  g_assert_cmpstr (rtmp_core_command_get_name (bare), ==, "play");
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (bare), ==, 2);

  /* A 0x00 format byte alone is an empty command. */
  parse_fails (RTMP_CORE_MESSAGE_COMMAND_AMF3, BYTES ("\x00"),
      RTMP_CORE_ERROR_MALFORMED);
}

static void
test_name_and_id_only (void)
{
  g_autoptr (RtmpCoreCommand) cmd = NULL;

  cmd = parse_ok (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x0b"
          "closeStream" NUMBER_0));
  g_assert_cmpstr (rtmp_core_command_get_name (cmd), ==, "closeStream");
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (cmd), ==, 0);
  g_assert_null (rtmp_core_command_get_object (cmd));
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (cmd), ==, 0);
}

static void
test_parse_errors (void)
{
  /* Empty, name not a string, id missing or not a number. */
  parse_fails (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES (""),
      RTMP_CORE_ERROR_MALFORMED);
  parse_fails (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES (NUMBER_1 NUMBER_1),
      RTMP_CORE_ERROR_MALFORMED);
  parse_fails (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x01" "x"),
      RTMP_CORE_ERROR_MALFORMED);
  parse_fails (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x01" "x"
          "\x02\x00\x00"), RTMP_CORE_ERROR_MALFORMED);
  /* Bad AMF anywhere fails the whole command. */
  parse_fails (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x02\x00\x01" "x"
          NUMBER_1 "\x03\x00\x01" "a"), RTMP_CORE_ERROR_MALFORMED);
  /* Not a command message at all. */
  parse_fails (RTMP_CORE_MESSAGE_VIDEO, BYTES ("\x02\x00\x01" "x" NUMBER_1),
      RTMP_CORE_ERROR_UNSUPPORTED);
  parse_fails (RTMP_CORE_MESSAGE_DATA_AMF0, BYTES ("\x02\x00\x01" "x" NUMBER_1),
      RTMP_CORE_ERROR_UNSUPPORTED);
}

static void
test_encode_bytes (void)
{
  g_autoptr (RtmpCoreCommand) cmd = rtmp_core_command_new ("createStream", 2,
      NULL);
  g_autoptr (RtmpCoreMessage) msg = rtmp_core_command_to_message (cmd, 3, 0);
  const guint8 *data;
  gsize size;

  g_assert_cmpuint (msg->type, ==, RTMP_CORE_MESSAGE_COMMAND_AMF0);
  data = rtmp_core_message_peek_data (msg, &size);
  assert_bytes (data, size, BYTES ("\x02\x00\x0c" "createStream" NUMBER_2
          "\x05"));
}

static void
test_round_trip (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = rtmp_core_amf_value_new_object ();
  g_autoptr (RtmpCoreCommand) cmd = NULL;
  g_autoptr (RtmpCoreCommand) back = NULL;
  g_autoptr (RtmpCoreMessage) msg = NULL;
  GError *error = NULL;

  rtmp_core_amf_value_take_field (obj, "app", rtmp_core_amf_value_new_string ("live"));
  cmd = rtmp_core_command_new ("publish", 7, obj);
  rtmp_core_command_take_argument (cmd, rtmp_core_amf_value_new_string ("key"));
  rtmp_core_command_take_argument (cmd, rtmp_core_amf_value_new_string ("live"));

  msg = rtmp_core_command_to_message (cmd, 8, 1);
  g_assert_cmpuint (msg->type, ==, RTMP_CORE_MESSAGE_COMMAND_AMF0);
  g_assert_cmpuint (msg->chunk_stream_id, ==, 8);
  g_assert_cmpuint (msg->stream_id, ==, 1);
  g_assert_cmpuint (msg->timestamp, ==, 0);

  back = rtmp_core_command_parse (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rtmp_core_command_get_name (back), ==, "publish");
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (back), ==, 7);
  g_assert_true (rtmp_core_amf_value_equal (rtmp_core_command_get_object (back),
          obj));
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (back), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (back, 1)), ==, "live");

  /* A fractional transaction id survives too. */
  g_clear_pointer (&cmd, rtmp_core_command_unref);
  g_clear_pointer (&back, rtmp_core_command_unref);
  g_clear_pointer (&msg, rtmp_core_message_unref);
  cmd = rtmp_core_command_new ("_result", 4.5, NULL);
  msg = rtmp_core_command_to_message (cmd, 3, 0);
  back = rtmp_core_command_parse (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (back), ==, 4.5);
  g_assert_null (rtmp_core_command_get_object (back));
  g_assert_cmpuint (g_type_fundamental (RTMP_CORE_TYPE_COMMAND), ==,
      G_TYPE_BOXED);
}

static void
test_shared_values (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = rtmp_core_amf_value_new_object ();
  g_autoptr (RtmpCoreCommand) cmd = NULL;
  g_autoptr (RtmpCoreCommand) back = NULL;
  g_autoptr (RtmpCoreMessage) msg = NULL;
  GError *error = NULL;
  const guint8 *data;
  gsize size;

  /* One object as command object and argument: written once, then as an
   * AMF0 reference to index 0 of the message's reference table. */
  rtmp_core_amf_value_take_field (obj, "a", rtmp_core_amf_value_new_null ());
  cmd = rtmp_core_command_new ("x", 1, obj);
  rtmp_core_command_add_argument (cmd, obj);
  msg = rtmp_core_command_to_message (cmd, 3, 0);
  data = rtmp_core_message_peek_data (msg, &size);
  assert_bytes (data, size, BYTES ("\x02\x00\x01" "x" NUMBER_1
          "\x03\x00\x01" "a" "\x05\x00\x00\x09" "\x07\x00\x00"));

  back = rtmp_core_command_parse (msg, &error);
  g_assert_no_error (error);
  g_assert_true (rtmp_core_command_get_object (back)
      == rtmp_core_command_get_argument (back, 0));
}

static void
test_data_message (void)
{
  g_autoptr (RtmpCoreMessage) amf0 = NULL;
  g_autoptr (RtmpCoreMessage) amf3 = NULL;
  g_autoptr (RtmpCoreMessage) wrong = NULL;
  GError *error = NULL;
  GPtrArray *values;

  amf0 = make_message (RTMP_CORE_MESSAGE_DATA_AMF0, BYTES ("\x02\x00\x0d"
          "@setDataFrame" "\x02\x00\x0a" "onMetaData"
          "\x08\x00\x00\x00\x01" "\x00\x08" "duration" NUMBER_0 "\x00\x00\x09"));
  values = rtmp_core_data_message_parse (amf0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 3);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (values->pdata[1]), ==,
      "onMetaData");
  g_assert_cmpint (rtmp_core_amf_value_get_kind (values->pdata[2]), ==,
      RTMP_CORE_AMF_ECMA_ARRAY);
  g_ptr_array_unref (values);

  /* Type 15 starts with a 0x00 format byte. */
  amf3 = make_message (RTMP_CORE_MESSAGE_DATA_AMF3, BYTES ("\x00"
          "\x02\x00\x0a" "onMetaData" "\x11\x0a\x0b\x01\x01"));
  values = rtmp_core_data_message_parse (amf3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 2);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (values->pdata[1]), ==,
      RTMP_CORE_AMF_OBJECT);
  g_ptr_array_unref (values);

  wrong = make_message (RTMP_CORE_MESSAGE_COMMAND_AMF0, BYTES ("\x05"));
  values = rtmp_core_data_message_parse (wrong, &error);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED);
  g_assert_null (values);
  g_clear_error (&error);
}

static const gchar with_frame[] =
    "\x02\x00\x0d" "@setDataFrame" "\x02\x00\x0a" "onMetaData" "\x05";

static void
test_strip_set_data_frame (void)
{
  g_autoptr (GBytes) in = g_bytes_new_static (with_frame, sizeof (with_frame) - 1);
  g_autoptr (GBytes) out = rtmp_core_data_strip_set_data_frame (in);
  g_autoptr (GBytes) plain = g_bytes_new_static ("\x02\x00\x0a" "onMetaData", 13);
  g_autoptr (GBytes) plain_out = rtmp_core_data_strip_set_data_frame (plain);
  g_autoptr (GBytes) other = g_bytes_new_static ("\x02\x00\x0e" "@setDataFrameX",
      17);
  g_autoptr (GBytes) other_out = rtmp_core_data_strip_set_data_frame (other);
  gsize size;
  const guint8 *data = g_bytes_get_data (out, &size);

  assert_bytes (data, size, BYTES ("\x02\x00\x0a" "onMetaData" "\x05"));
  /* The result shares the input's memory. */
  g_assert_true (data == (const guint8 *) with_frame + 16);
  g_assert_true (plain_out == plain);
  g_assert_true (other_out == other);
}

static void
test_add_set_data_frame (void)
{
  g_autoptr (GBytes) plain = g_bytes_new_static ("\x02\x00\x0a" "onMetaData"
      "\x05", 14);
  g_autoptr (GBytes) added = rtmp_core_data_add_set_data_frame (plain);
  g_autoptr (GBytes) again = rtmp_core_data_add_set_data_frame (added);
  g_autoptr (GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) empty_added = rtmp_core_data_add_set_data_frame (empty);
  gsize size;
  const guint8 *data = g_bytes_get_data (added, &size);

  assert_bytes (data, size, BYTES (with_frame));
  g_assert_true (again == added);
  data = g_bytes_get_data (empty_added, &size);
  assert_bytes (data, size, BYTES ("\x02\x00\x0d" "@setDataFrame"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/command/parse-obs-connect", test_parse_obs_connect);
  g_test_add_func ("/command/parse-result-info", test_parse_result_info);
  g_test_add_func ("/command/status-lookup", test_status_lookup);
  g_test_add_func ("/command/parse-amf3-command", test_parse_amf3_command);
  g_test_add_func ("/command/name-and-id-only", test_name_and_id_only);
  g_test_add_func ("/command/parse-errors", test_parse_errors);
  g_test_add_func ("/command/encode-bytes", test_encode_bytes);
  g_test_add_func ("/command/round-trip", test_round_trip);
  g_test_add_func ("/command/shared-values", test_shared_values);
  g_test_add_func ("/command/data-message", test_data_message);
  g_test_add_func ("/command/strip-set-data-frame", test_strip_set_data_frame);
  g_test_add_func ("/command/add-set-data-frame", test_add_set_data_frame);

  return g_test_run ();
}
