/* AMF values, AMF0 decode/encode and AMF3 decode, against hand-made byte
 * vectors. Hex escapes are ended by a string break so that text after them
 * is not taken as more hex digits. */
#include <math.h>
#include <string.h>
#include <rtmpcore.h>

#define BYTES(s) (const guint8 *) (s), (sizeof (s) - 1)

static RtmpCoreAmfValue *
decode_ok (const guint8 * data, gsize size)
{
  GError *error = NULL;
  gsize consumed = 0;
  RtmpCoreAmfValue *value = rtmp_core_amf0_decode (data, size, &consumed, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_cmpuint (consumed, ==, size);
  return value;
}

static void
decode_fails (const guint8 * data, gsize size, gint code)
{
  GError *error = NULL;
  RtmpCoreAmfValue *value = rtmp_core_amf0_decode (data, size, NULL, &error);

  g_assert_error (error, RTMP_CORE_ERROR, code);
  g_assert_null (value);
  /* Errors name the offset of the value at fault. */
  g_assert_nonnull (strstr (error->message, "offset"));
  g_error_free (error);
}

static RtmpCoreAmfValue *
decode3_ok (const guint8 * data, gsize size)
{
  GError *error = NULL;
  gsize consumed = 0;
  RtmpCoreAmfValue *value = rtmp_core_amf3_decode (data, size, &consumed, &error);

  g_assert_no_error (error);
  g_assert_nonnull (value);
  g_assert_cmpuint (consumed, ==, size);
  return value;
}

static void
decode3_fails (const guint8 * data, gsize size, gint code)
{
  GError *error = NULL;
  RtmpCoreAmfValue *value = rtmp_core_amf3_decode (data, size, NULL, &error);

  g_assert_error (error, RTMP_CORE_ERROR, code);
  g_assert_null (value);
  g_assert_nonnull (strstr (error->message, "offset"));
  g_error_free (error);
}

static void
assert_encodes (const RtmpCoreAmfValue * value, const guint8 * expected,
    gsize size)
{
  GBytes *bytes = rtmp_core_amf_value_to_amf0 (value);

  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
      expected, size);
  g_bytes_unref (bytes);
}

/* Decodes, checks the kind, and checks that encoding gives the bytes back. */
static RtmpCoreAmfValue *
round_trip (const guint8 * data, gsize size, RtmpCoreAmfType kind)
{
  RtmpCoreAmfValue *value = decode_ok (data, size);

  g_assert_cmpint (rtmp_core_amf_value_get_kind (value), ==, kind);
  assert_encodes (value, data, size);
  return value;
}

static void
append_u29 (GByteArray * out, guint32 v)
{
  guint8 b[4];

  if (v < 0x80) {
    b[0] = v;
    g_byte_array_append (out, b, 1);
  } else if (v < 0x4000) {
    b[0] = 0x80 | (v >> 7);
    b[1] = v & 0x7f;
    g_byte_array_append (out, b, 2);
  } else if (v < 0x200000) {
    b[0] = 0x80 | (v >> 14);
    b[1] = 0x80 | ((v >> 7) & 0x7f);
    b[2] = v & 0x7f;
    g_byte_array_append (out, b, 3);
  } else {
    b[0] = 0x80 | (v >> 22);
    b[1] = 0x80 | ((v >> 15) & 0x7f);
    b[2] = 0x80 | ((v >> 8) & 0x7f);
    b[3] = v & 0xff;
    g_byte_array_append (out, b, 4);
  }
}

/* ---- AMF0 scalars ---- */

static void
test_amf0_number (void)
{
  g_autoptr (RtmpCoreAmfValue) one = NULL;
  g_autoptr (RtmpCoreAmfValue) neg = NULL;
  g_autoptr (RtmpCoreAmfValue) integer = NULL;

  one = round_trip (BYTES ("\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"),
      RTMP_CORE_AMF_NUMBER);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (one), ==, 1.0);
  neg = round_trip (BYTES ("\x00\xc0\x04\x00\x00\x00\x00\x00\x00"),
      RTMP_CORE_AMF_NUMBER);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (neg), ==, -2.5);

  /* AMF0 has no integer type: AMF3 integers are written as numbers. */
  integer = rtmp_core_amf_value_new_integer (-3);
  assert_encodes (integer, BYTES ("\x00\xc0\x08\x00\x00\x00\x00\x00\x00"));

  decode_fails (BYTES ("\x00\x3f\xf0\x00"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf0_boolean (void)
{
  g_autoptr (RtmpCoreAmfValue) t = NULL;
  g_autoptr (RtmpCoreAmfValue) f = NULL;
  g_autoptr (RtmpCoreAmfValue) odd = NULL;

  t = round_trip (BYTES ("\x01\x01"), RTMP_CORE_AMF_BOOLEAN);
  g_assert_true (rtmp_core_amf_value_get_boolean (t));
  f = round_trip (BYTES ("\x01\x00"), RTMP_CORE_AMF_BOOLEAN);
  g_assert_false (rtmp_core_amf_value_get_boolean (f));
  /* Any non-zero byte is true; it encodes back as 1. */
  odd = decode_ok (BYTES ("\x01\x05"));
  g_assert_true (rtmp_core_amf_value_get_boolean (odd));
  assert_encodes (odd, BYTES ("\x01\x01"));
}

static void
test_amf0_string (void)
{
  g_autoptr (RtmpCoreAmfValue) hello = NULL;
  g_autoptr (RtmpCoreAmfValue) empty = NULL;
  g_autoptr (RtmpCoreAmfValue) utf8 = NULL;
  g_autoptr (RtmpCoreAmfValue) nul = NULL;
  g_autoptr (RtmpCoreAmfValue) bad = NULL;
  g_autoptr (RtmpCoreAmfValue) long_short = NULL;

  hello = round_trip (BYTES ("\x02\x00\x05" "hello"), RTMP_CORE_AMF_STRING);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (hello), ==, "hello");
  empty = round_trip (BYTES ("\x02\x00\x00"), RTMP_CORE_AMF_STRING);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (empty), ==, "");
  utf8 = round_trip (BYTES ("\x02\x00\x02\xc3\xa9"), RTMP_CORE_AMF_STRING);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (utf8), ==, "\xc3\xa9");

  /* NULs are kept; the length says where the string ends. */
  nul = round_trip (BYTES ("\x02\x00\x03" "a\x00" "b"), RTMP_CORE_AMF_STRING);
  g_assert_cmpuint (rtmp_core_amf_value_get_string_length (nul), ==, 3);
  g_assert_cmpmem (rtmp_core_amf_value_get_string (nul), 4, "a\0b", 4);

  /* Invalid UTF-8 becomes U+FFFD so bindings can always read it. */
  bad = decode_ok (BYTES ("\x02\x00\x02" "a\xff"));
  g_assert_cmpstr (rtmp_core_amf_value_get_string (bad), ==, "a\xef\xbf\xbd");

  /* A short long string (type 12) decodes to a string, written as type 2. */
  long_short = decode_ok (BYTES ("\x0c\x00\x00\x00\x02" "ok"));
  g_assert_cmpstr (rtmp_core_amf_value_get_string (long_short), ==, "ok");
  assert_encodes (long_short, BYTES ("\x02\x00\x02" "ok"));

  decode_fails (BYTES ("\x02\x00\x05" "hell"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x0c\xff\xff\xff\xff" "x"), RTMP_CORE_ERROR_MALFORMED);
}

static void
check_long_string (gsize len, guint8 marker, gsize header)
{
  gchar *text = g_malloc (len + 1);
  g_autoptr (RtmpCoreAmfValue) value = NULL;
  g_autoptr (RtmpCoreAmfValue) back = NULL;
  GBytes *bytes;
  const guint8 *data;
  gsize size;

  memset (text, 'x', len);
  text[len] = '\0';
  value = rtmp_core_amf_value_new_string (text);
  bytes = rtmp_core_amf_value_to_amf0 (value);
  data = g_bytes_get_data (bytes, &size);
  g_assert_cmpuint (size, ==, header + len);
  g_assert_cmphex (data[0], ==, marker);
  if (marker == 0x02) {
    g_assert_cmphex (data[1], ==, len >> 8);
    g_assert_cmphex (data[2], ==, len & 0xff);
  } else {
    g_assert_cmphex (data[1], ==, len >> 24);
    g_assert_cmphex (data[2], ==, (len >> 16) & 0xff);
    g_assert_cmphex (data[3], ==, (len >> 8) & 0xff);
    g_assert_cmphex (data[4], ==, len & 0xff);
  }
  back = decode_ok (data, size);
  g_assert_cmpuint (rtmp_core_amf_value_get_string_length (back), ==, len);
  g_assert_true (rtmp_core_amf_value_equal (value, back));
  g_bytes_unref (bytes);
  g_free (text);
}

static void
test_amf0_long_string_boundary (void)
{
  check_long_string (65535, 0x02, 3);
  check_long_string (65536, 0x0c, 5);
}

static void
test_amf0_null_undefined (void)
{
  g_autoptr (RtmpCoreAmfValue) null = NULL;
  g_autoptr (RtmpCoreAmfValue) undef = NULL;
  g_autoptr (RtmpCoreAmfValue) unsupported = NULL;

  null = round_trip (BYTES ("\x05"), RTMP_CORE_AMF_NULL);
  undef = round_trip (BYTES ("\x06"), RTMP_CORE_AMF_UNDEFINED);
  /* The "unsupported" marker reads as undefined. */
  unsupported = decode_ok (BYTES ("\x0d"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (unsupported), ==,
      RTMP_CORE_AMF_UNDEFINED);
}

static void
test_amf0_object (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = NULL;
  g_autoptr (RtmpCoreAmfValue) empty_key = NULL;
  g_autoptr (RtmpCoreAmfValue) built = NULL;
  gdouble n = 0;

  obj = round_trip (BYTES ("\x03"
          "\x00\x01" "b" "\x00\x40\x00\x00\x00\x00\x00\x00\x00"
          "\x00\x01" "a" "\x02\x00\x01" "x"
          "\x00\x00\x09"), RTMP_CORE_AMF_OBJECT);
  /* Insertion order is kept. */
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 0), ==, "b");
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 1), ==, "a");
  g_assert_true (rtmp_core_amf_value_lookup_number (obj, "b", &n));
  g_assert_cmpfloat (n, ==, 2.0);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "a"), ==, "x");
  g_assert_null (rtmp_core_amf_value_lookup_string (obj, "b"));

  /* An empty name followed by something other than 09 is a field "". */
  empty_key = round_trip (BYTES ("\x03" "\x00\x00\x05" "\x00\x00\x09"),
      RTMP_CORE_AMF_OBJECT);
  g_assert_nonnull (rtmp_core_amf_value_get_field (empty_key, ""));

  built = rtmp_core_amf_value_new_object ();
  rtmp_core_amf_value_take_field (built, "k",
      rtmp_core_amf_value_new_boolean (TRUE));
  assert_encodes (built, BYTES ("\x03\x00\x01" "k" "\x01\x01\x00\x00\x09"));

  /* Duplicate names: the later value replaces the earlier in place. */
  g_clear_pointer (&obj, rtmp_core_amf_value_unref);
  obj = decode_ok (BYTES ("\x03"
          "\x00\x01" "a" "\x05"
          "\x00\x01" "b" "\x05"
          "\x00\x01" "a" "\x01\x01"
          "\x00\x00\x09"));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 0), ==, "a");
  g_assert_cmpint (rtmp_core_amf_value_get_kind (rtmp_core_amf_value_get_field
          (obj, "a")), ==, RTMP_CORE_AMF_BOOLEAN);

  /* Names stay C strings: a NUL in a name becomes U+FFFD. */
  g_clear_pointer (&obj, rtmp_core_amf_value_unref);
  obj = decode_ok (BYTES ("\x10\x00\x02" "T\x00" "\x00\x03" "a\x00" "b" "\x05"
          "\x00\x00\x09"));
  g_assert_cmpstr (rtmp_core_amf_value_get_class_name (obj), ==, "T\xef\xbf\xbd");
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 0), ==,
      "a\xef\xbf\xbd" "b");
  assert_encodes (obj, BYTES ("\x10\x00\x04" "T\xef\xbf\xbd"
          "\x00\x05" "a\xef\xbf\xbd" "b" "\x05" "\x00\x00\x09"));

  /* Missing end marker, or an end marker as a field value. */
  decode_fails (BYTES ("\x03\x00\x01" "a" "\x05"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x03\x00\x01" "a" "\x09"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf0_ecma_array (void)
{
  g_autoptr (RtmpCoreAmfValue) ecma = NULL;
  g_autoptr (RtmpCoreAmfValue) hinted = NULL;

  ecma = round_trip (BYTES ("\x08\x00\x00\x00\x02"
          "\x00\x08" "duration" "\x00\x00\x00\x00\x00\x00\x00\x00\x00"
          "\x00\x05" "width" "\x00\x40\x93\x4a\x00\x00\x00\x00\x00"
          "\x00\x00\x09"), RTMP_CORE_AMF_ECMA_ARRAY);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (ecma), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (ecma, 1), ==, "width");

  /* The declared count is only a hint; encoding writes the real count. */
  hinted = decode_ok (BYTES ("\x08\xff\xff\xff\xff"
          "\x00\x01" "a" "\x05" "\x00\x00\x09"));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (hinted), ==, 1);
  assert_encodes (hinted, BYTES ("\x08\x00\x00\x00\x01"
          "\x00\x01" "a" "\x05" "\x00\x00\x09"));
}

static void
test_amf0_ecma_array_no_end (void)
{
  g_autoptr (RtmpCoreAmfValue) top = NULL;
  GPtrArray *values;
  GError *error = NULL;

  /* At top level, the end of the data may stand for the end marker. */
  top = decode_ok (BYTES ("\x08\x00\x00\x00\x01" "\x00\x01" "a" "\x05"));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (top), ==, 1);

  values = rtmp_core_amf0_decode_all (BYTES ("\x02\x00\x0a" "onMetaData"
          "\x08\x00\x00\x00\x01" "\x00\x03" "fps" "\x00\x40\x3f\x00\x00\x00\x00"
          "\x00\x00"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 2);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (values->pdata[1]), ==, 1);
  g_ptr_array_unref (values);

  /* But not when nested, nor in the middle of a field. */
  decode_fails (BYTES ("\x0a\x00\x00\x00\x01" "\x08\x00\x00\x00\x01"
          "\x00\x01" "a" "\x05"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x08\x00\x00\x00\x01" "\x00\x01" "a"),
      RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x08\x00\x00\x00\x01" "\x00"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf0_strict_array (void)
{
  g_autoptr (RtmpCoreAmfValue) arr = NULL;
  RtmpCoreAmfValue *elem;

  arr = round_trip (BYTES ("\x0a\x00\x00\x00\x03"
          "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
          "\x02\x00\x01" "x"
          "\x05"), RTMP_CORE_AMF_STRICT_ARRAY);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (arr), ==, 3);
  elem = rtmp_core_amf_value_get_element (arr, 1);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (elem), ==, "x");
  g_assert_null (rtmp_core_amf_value_get_element (arr, 3));

  /* A count beyond the data is rejected before allocating anything. */
  decode_fails (BYTES ("\x0a\xff\xff\xff\xff\x05"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x0a\x00\x00\x00\x02\x05"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf0_date (void)
{
  g_autoptr (RtmpCoreAmfValue) date = NULL;

  date = round_trip (BYTES ("\x0b\x42\x75\xd3\xef\x79\x80\x00\x00\xff\xc4"),
      RTMP_CORE_AMF_DATE);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (date), ==, 1.5e12);
  g_assert_cmpint (rtmp_core_amf_value_get_timezone (date), ==, -60);
  decode_fails (BYTES ("\x0b\x42\x75\xd3\xef\x79\x80\x00\x00\xff"),
      RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf0_typed_object (void)
{
  g_autoptr (RtmpCoreAmfValue) typed = NULL;
  g_autoptr (RtmpCoreAmfValue) built = NULL;

  typed = round_trip (BYTES ("\x10\x00\x03" "Foo"
          "\x00\x01" "x" "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
          "\x00\x00\x09"), RTMP_CORE_AMF_TYPED_OBJECT);
  g_assert_cmpstr (rtmp_core_amf_value_get_class_name (typed), ==, "Foo");
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (typed), ==, 1);

  built = rtmp_core_amf_value_new_typed_object ("Foo");
  rtmp_core_amf_value_take_field (built, "x", rtmp_core_amf_value_new_number (1));
  g_assert_true (rtmp_core_amf_value_equal (built, typed));
}

static void
test_amf0_xml (void)
{
  g_autoptr (RtmpCoreAmfValue) xml = NULL;

  xml = round_trip (BYTES ("\x0f\x00\x00\x00\x04" "<a/>"), RTMP_CORE_AMF_XML);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (xml), ==, "<a/>");
}

static void
test_amf0_byte_array (void)
{
  g_autoptr (GBytes) bytes = g_bytes_new ("\x01\x02\x03", 3);
  g_autoptr (RtmpCoreAmfValue) value = rtmp_core_amf_value_new_byte_array (bytes);
  g_autoptr (RtmpCoreAmfValue) back = NULL;
  g_autoptr (GBytes) big = NULL;
  g_autoptr (RtmpCoreAmfValue) big_value = NULL;
  GBytes *encoded;
  const guint8 *data;
  gsize size;

  /* AMF0 has no byte array: AMF3 switch, AMF3 byte array, U29 (3 << 1 | 1). */
  back = round_trip (BYTES ("\x11\x0c\x07\x01\x02\x03"),
      RTMP_CORE_AMF_BYTE_ARRAY);
  g_assert_true (g_bytes_equal (rtmp_core_amf_value_get_bytes (back), bytes));
  assert_encodes (value, BYTES ("\x11\x0c\x07\x01\x02\x03"));

  /* 64 bytes need a two-byte U29: 129 = 0x81 0x01. */
  big = g_bytes_new_take (g_malloc0 (64), 64);
  big_value = rtmp_core_amf_value_new_byte_array (big);
  encoded = rtmp_core_amf_value_to_amf0 (big_value);
  data = g_bytes_get_data (encoded, &size);
  g_assert_cmpuint (size, ==, 4 + 64);
  g_assert_cmpmem (data, 4, "\x11\x0c\x81\x01", 4);
  g_bytes_unref (encoded);
}

static void
test_amf0_amf3_switch (void)
{
  GError *error = NULL;
  GPtrArray *values;
  g_autoptr (RtmpCoreAmfValue) integer = NULL;

  integer = decode_ok (BYTES ("\x11\x04\x05"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (integer), ==,
      RTMP_CORE_AMF_INTEGER);
  g_assert_cmpint (rtmp_core_amf_value_get_integer (integer), ==, 5);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (integer), ==, 5.0);

  /* The AMF3 string table is shared by the values of one message. */
  values = rtmp_core_amf0_decode_all (BYTES ("\x11\x06\x07" "abc"
          "\x11\x06\x00"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (values->pdata[1]), ==, "abc");
  g_ptr_array_unref (values);

  /* ...but each single decode starts afresh. */
  decode_fails (BYTES ("\x11\x06\x00"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x11"), RTMP_CORE_ERROR_MALFORMED);
}

/* The command object of ffmpeg's publishing "connect". */
static const gchar ffmpeg_connect[] =
    "\x03"
    "\x00\x03" "app" "\x02\x00\x04" "live"
    "\x00\x04" "type" "\x02\x00\x0a" "nonprivate"
    "\x00\x08" "flashVer" "\x02\x00\x24" "FMLE/3.0 (compatible; Lavf60.16.100)"
    "\x00\x05" "tcUrl" "\x02\x00\x1a" "rtmp://127.0.0.1:1935/live"
    "\x00\x00\x09";

static void
test_amf0_ffmpeg_connect_object (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = NULL;

  obj = round_trip (BYTES (ffmpeg_connect), RTMP_CORE_AMF_OBJECT);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 4);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "app"), ==, "live");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "type"), ==,
      "nonprivate");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "flashVer"), ==,
      "FMLE/3.0 (compatible; Lavf60.16.100)");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "tcUrl"), ==,
      "rtmp://127.0.0.1:1935/live");
  g_assert_null (rtmp_core_amf_value_lookup_string (obj, "swfUrl"));
}

static void
test_amf0_reference_decode (void)
{
  g_autoptr (RtmpCoreAmfValue) arr = NULL;
  RtmpCoreAmfValue *first, *second;

  /* Index 0 is the array itself, index 1 the object inside it. */
  arr = decode_ok (BYTES ("\x0a\x00\x00\x00\x02"
          "\x03\x00\x01" "a" "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00" "\x00\x00\x09"
          "\x07\x00\x01"));
  first = rtmp_core_amf_value_get_element (arr, 0);
  second = rtmp_core_amf_value_get_element (arr, 1);
  g_assert_true (first == second);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (second), ==,
      RTMP_CORE_AMF_OBJECT);
}

static void
test_amf0_reference_encode (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = rtmp_core_amf_value_new_object ();
  g_autoptr (RtmpCoreAmfValue) arr = rtmp_core_amf_value_new_strict_array ();
  g_autoptr (RtmpCoreAmfValue) back = NULL;

  rtmp_core_amf_value_take_field (obj, "a", rtmp_core_amf_value_new_number (1));
  rtmp_core_amf_value_append (arr, obj);
  rtmp_core_amf_value_append (arr, obj);
  back = round_trip (BYTES ("\x0a\x00\x00\x00\x02"
          "\x03\x00\x01" "a" "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00" "\x00\x00\x09"
          "\x07\x00\x01"), RTMP_CORE_AMF_STRICT_ARRAY);
  assert_encodes (arr, BYTES ("\x0a\x00\x00\x00\x02"
          "\x03\x00\x01" "a" "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00" "\x00\x00\x09"
          "\x07\x00\x01"));
  g_assert_true (rtmp_core_amf_value_equal (arr, back));
}

static void
test_amf0_reference_errors (void)
{
  /* Out of range: only the array (index 0) exists. */
  decode_fails (BYTES ("\x0a\x00\x00\x00\x01\x07\x00\x05"),
      RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x07\x00\x00"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x07\x00"), RTMP_CORE_ERROR_MALFORMED);
  /* A reference to an object from inside itself would be a cycle. */
  decode_fails (BYTES ("\x03\x00\x01" "a" "\x07\x00\x00" "\x00\x00\x09"),
      RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x0a\x00\x00\x00\x01" "\x0a\x00\x00\x00\x01"
          "\x07\x00\x00"), RTMP_CORE_ERROR_MALFORMED);
}

static GByteArray *
nested_objects (guint n)
{
  GByteArray *out = g_byte_array_new ();
  guint i;

  for (i = 0; i + 1 < n; i++)
    g_byte_array_append (out, (const guint8 *) "\x03\x00\x01" "a", 4);
  g_byte_array_append (out, (const guint8 *) "\x03\x00\x00\x09", 4);
  for (i = 0; i + 1 < n; i++)
    g_byte_array_append (out, (const guint8 *) "\x00\x00\x09", 3);
  return out;
}

static void
test_amf0_depth_limit (void)
{
  GByteArray *ok = nested_objects (RTMP_CORE_AMF_MAX_DEPTH);
  GByteArray *deep = nested_objects (RTMP_CORE_AMF_MAX_DEPTH + 1);
  RtmpCoreAmfValue *value = decode_ok (ok->data, ok->len);

  rtmp_core_amf_value_unref (value);
  decode_fails (deep->data, deep->len, RTMP_CORE_ERROR_LIMIT);
  g_byte_array_unref (ok);
  g_byte_array_unref (deep);
}

static GByteArray *
array_of_nulls (guint32 n)
{
  GByteArray *out = g_byte_array_new ();
  guint8 header[5] = { 0x0a, n >> 24, n >> 16, n >> 8, n };
  guint32 i;

  g_byte_array_append (out, header, 5);
  for (i = 0; i < n; i++)
    g_byte_array_append (out, (const guint8 *) "\x05", 1);
  return out;
}

static void
test_amf0_count_limit (void)
{
  /* The array counts too: n elements make n + 1 values. */
  GByteArray *ok = array_of_nulls (RTMP_CORE_AMF_MAX_VALUES - 1);
  GByteArray *many = array_of_nulls (RTMP_CORE_AMF_MAX_VALUES);
  RtmpCoreAmfValue *value = decode_ok (ok->data, ok->len);

  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (value), ==,
      RTMP_CORE_AMF_MAX_VALUES - 1);
  rtmp_core_amf_value_unref (value);
  decode_fails (many->data, many->len, RTMP_CORE_ERROR_LIMIT);
  g_byte_array_unref (ok);
  g_byte_array_unref (many);
}

static void
test_amf0_reference_expansion (void)
{
  RtmpCoreAmfValue *level = rtmp_core_amf_value_new_strict_array ();
  GBytes *bytes;
  guint i;

  /* Each level holds the previous one twice: 2^20 values once expanded,
   * written in a few hundred bytes thanks to references. */
  rtmp_core_amf_value_take_element (level, rtmp_core_amf_value_new_null ());
  for (i = 0; i < 20; i++) {
    RtmpCoreAmfValue *next = rtmp_core_amf_value_new_strict_array ();

    rtmp_core_amf_value_append (next, level);
    rtmp_core_amf_value_take_element (next, level);
    level = next;
  }
  bytes = rtmp_core_amf_value_to_amf0 (level);
  g_assert_cmpuint (g_bytes_get_size (bytes), <, 400);
  decode_fails (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
      RTMP_CORE_ERROR_LIMIT);
  g_bytes_unref (bytes);
  rtmp_core_amf_value_unref (level);
}

/* A typed object holding one of nearly every type. */
static const gchar complex_amf0[] =
    "\x10\x00\x01" "T"
    "\x00\x01" "s" "\x02\x00\x03" "str"
    "\x00\x01" "n" "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
    "\x00\x01" "l" "\x0a\x00\x00\x00\x02" "\x01\x01" "\x05"
    "\x00\x01" "d" "\x0b\x42\x75\xd3\xef\x79\x80\x00\x00\x00\x00"
    "\x00\x01" "o" "\x03\x00\x01" "x" "\x06" "\x00\x00\x09"
    "\x00\x01" "e" "\x08\x00\x00\x00\x01" "\x00\x01" "k" "\x0c\x00\x00\x00\x01"
    "v" "\x00\x00\x09"
    "\x00\x01" "r" "\x07\x00\x02"
    "\x00\x01" "x" "\x0f\x00\x00\x00\x03" "<a>"
    "\x00\x01" "b" "\x11\x0c\x03\xaa"
    "\x00\x00\x09";

static void
test_amf0_truncated (void)
{
  g_autoptr (RtmpCoreAmfValue) full = NULL;
  gsize len;

  full = decode_ok (BYTES (complex_amf0));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (full), ==, 9);
  g_assert_true (rtmp_core_amf_value_get_field (full, "r")
      == rtmp_core_amf_value_get_field (full, "o"));
  assert_encodes (full, BYTES ("\x10\x00\x01" "T"
          "\x00\x01" "s" "\x02\x00\x03" "str"
          "\x00\x01" "n" "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"
          "\x00\x01" "l" "\x0a\x00\x00\x00\x02" "\x01\x01" "\x05"
          "\x00\x01" "d" "\x0b\x42\x75\xd3\xef\x79\x80\x00\x00\x00\x00"
          "\x00\x01" "o" "\x03\x00\x01" "x" "\x06" "\x00\x00\x09"
          "\x00\x01" "e" "\x08\x00\x00\x00\x01" "\x00\x01" "k" "\x02\x00\x01"
          "v" "\x00\x00\x09"
          "\x00\x01" "r" "\x07\x00\x02"
          "\x00\x01" "x" "\x0f\x00\x00\x00\x03" "<a>"
          "\x00\x01" "b" "\x11\x0c\x03\xaa"
          "\x00\x00\x09"));

  for (len = 0; len < sizeof (complex_amf0) - 1; len++) {
    /* An exact-size copy so that any over-read shows under valgrind. */
    guint8 *copy = g_memdup2 (complex_amf0, len);

    decode_fails (copy, len, RTMP_CORE_ERROR_MALFORMED);
    g_free (copy);
  }
}

static void
test_amf0_bad_markers (void)
{
  GError *error = NULL;
  RtmpCoreAmfValue *value;

  decode_fails (BYTES ("\x09"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES ("\x04"), RTMP_CORE_ERROR_UNSUPPORTED);
  decode_fails (BYTES ("\x0e"), RTMP_CORE_ERROR_UNSUPPORTED);
  decode_fails (BYTES ("\x12"), RTMP_CORE_ERROR_MALFORMED);
  decode_fails (BYTES (""), RTMP_CORE_ERROR_MALFORMED);

  /* The message names the marker and where it was. */
  value = rtmp_core_amf0_decode (BYTES ("\x03\x00\x01" "a" "\x04"), NULL,
      &error);
  g_assert_null (value);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "movieclip"));
  g_assert_nonnull (strstr (error->message, "0x04"));
  g_assert_nonnull (strstr (error->message, "offset 4"));
  g_error_free (error);
}

static void
test_amf0_decode_all (void)
{
  GError *error = NULL;
  GPtrArray *values;
  g_autoptr (GBytes) with_trailing = NULL;
  RtmpCoreAmfValue *value;

  values = rtmp_core_amf0_decode_all (BYTES ("\x02\x00\x01" "a" "\x05"
          "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 3);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (values->pdata[1]), ==,
      RTMP_CORE_AMF_NULL);
  g_ptr_array_unref (values);

  values = rtmp_core_amf0_decode_all (NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 0);
  g_ptr_array_unref (values);

  values = rtmp_core_amf0_decode_all (BYTES ("\x05\x02\x00"), &error);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_assert_null (values);
  g_clear_error (&error);

  /* from_amf0 wants exactly one value. */
  with_trailing = g_bytes_new_static ("\x05\x05", 2);
  value = rtmp_core_amf_value_from_amf0 (with_trailing, &error);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_assert_null (value);
  g_clear_error (&error);
}

/* ---- the value type ---- */

static void
test_value_fields (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = rtmp_core_amf_value_new_ecma_array ();
  g_autoptr (RtmpCoreAmfValue) two = rtmp_core_amf_value_new_number (2);
  gchar name[8];
  guint i;

  rtmp_core_amf_value_take_field (obj, "a", rtmp_core_amf_value_new_number (1));
  rtmp_core_amf_value_take_field (obj, "b", rtmp_core_amf_value_new_null ());
  rtmp_core_amf_value_set_field (obj, "a", two);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 0), ==, "a");
  g_assert_true (rtmp_core_amf_value_get_field_value (obj, 0) == two);
  g_assert_null (rtmp_core_amf_value_get_field_name (obj, 2));

  /* Past the index threshold lookups, replacement and removal still hold. */
  for (i = 0; i < 40; i++) {
    g_snprintf (name, sizeof (name), "f%u", i);
    rtmp_core_amf_value_take_field (obj, name,
        rtmp_core_amf_value_new_number (i));
  }
  rtmp_core_amf_value_take_field (obj, "f7", rtmp_core_amf_value_new_boolean (1));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 42);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 9), ==, "f7");
  g_assert_true (rtmp_core_amf_value_remove_field (obj, "f7"));
  g_assert_false (rtmp_core_amf_value_remove_field (obj, "f7"));
  g_assert_null (rtmp_core_amf_value_get_field (obj, "f7"));
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (obj, 9), ==, "f8");
  g_assert_true (rtmp_core_amf_value_lookup_number (obj, "f39", NULL));
  g_assert_true (rtmp_core_amf_value_get_field (obj, "a") == two);

  /* Lookups on nothing or on non-objects give defaults. */
  g_assert_null (rtmp_core_amf_value_lookup_string (NULL, "a"));
  g_assert_false (rtmp_core_amf_value_lookup_number (two, "a", NULL));
  g_assert_null (rtmp_core_amf_value_get_field (two, "a"));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (two), ==, 0);
  g_assert_cmpuint (g_type_fundamental (RTMP_CORE_TYPE_AMF_VALUE), ==,
      G_TYPE_BOXED);
}

static void
test_value_equal (void)
{
  g_autoptr (RtmpCoreAmfValue) nan1 = rtmp_core_amf_value_new_number (NAN);
  g_autoptr (RtmpCoreAmfValue) nan2 = rtmp_core_amf_value_new_number (NAN);
  g_autoptr (RtmpCoreAmfValue) three = rtmp_core_amf_value_new_number (3);
  g_autoptr (RtmpCoreAmfValue) int3 = rtmp_core_amf_value_new_integer (3);
  g_autoptr (RtmpCoreAmfValue) a = rtmp_core_amf_value_new_object ();
  g_autoptr (RtmpCoreAmfValue) b = rtmp_core_amf_value_new_object ();
  g_autoptr (RtmpCoreAmfValue) t1 = rtmp_core_amf_value_new_typed_object ("A");
  g_autoptr (RtmpCoreAmfValue) t2 = rtmp_core_amf_value_new_typed_object ("B");
  g_autoptr (RtmpCoreAmfValue) s1 = rtmp_core_amf_value_new_string_len ("a\0b", 3);
  g_autoptr (RtmpCoreAmfValue) s2 = rtmp_core_amf_value_new_string_len ("a\0c", 3);

  g_assert_true (rtmp_core_amf_value_equal (nan1, nan2));
  g_assert_false (rtmp_core_amf_value_equal (nan1, three));
  g_assert_true (rtmp_core_amf_value_equal (three, int3));
  g_assert_false (rtmp_core_amf_value_equal (s1, s2));

  rtmp_core_amf_value_take_field (a, "x", rtmp_core_amf_value_new_number (1));
  rtmp_core_amf_value_take_field (a, "y", rtmp_core_amf_value_new_null ());
  rtmp_core_amf_value_take_field (b, "y", rtmp_core_amf_value_new_null ());
  g_assert_false (rtmp_core_amf_value_equal (a, b));
  rtmp_core_amf_value_take_field (b, "x", rtmp_core_amf_value_new_number (1));
  g_assert_true (rtmp_core_amf_value_equal (a, b));
  rtmp_core_amf_value_take_field (b, "x", rtmp_core_amf_value_new_number (2));
  g_assert_false (rtmp_core_amf_value_equal (a, b));
  g_assert_false (rtmp_core_amf_value_equal (t1, t2));
  g_assert_false (rtmp_core_amf_value_equal (a, t1));
}

static void
test_value_to_string (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = rtmp_core_amf_value_new_object ();
  g_autoptr (RtmpCoreAmfValue) list = rtmp_core_amf_value_new_strict_array ();
  g_autoptr (RtmpCoreAmfValue) ecma = rtmp_core_amf_value_new_ecma_array ();
  g_autoptr (GBytes) bytes = g_bytes_new ("\x01\xff", 2);
  gchar *text;

  rtmp_core_amf_value_take_field (obj, "app", rtmp_core_amf_value_new_string ("live"));
  rtmp_core_amf_value_take_field (obj, "n", rtmp_core_amf_value_new_number (1.5));
  rtmp_core_amf_value_take_element (list, rtmp_core_amf_value_new_boolean (TRUE));
  rtmp_core_amf_value_take_element (list, rtmp_core_amf_value_new_null ());
  rtmp_core_amf_value_take_element (list, rtmp_core_amf_value_new_undefined ());
  rtmp_core_amf_value_take_element (list, rtmp_core_amf_value_new_integer (7));
  rtmp_core_amf_value_take_element (list,
      rtmp_core_amf_value_new_byte_array (bytes));
  rtmp_core_amf_value_set_field (obj, "list", list);
  rtmp_core_amf_value_take_field (obj, "q", rtmp_core_amf_value_new_string ("a\"b\n"));
  rtmp_core_amf_value_take_field (ecma, "d", rtmp_core_amf_value_new_date (0.5, 0));
  rtmp_core_amf_value_set_field (obj, "e", ecma);

  text = rtmp_core_amf_value_to_string (obj);
  g_assert_cmpstr (text, ==, "{\"app\": \"live\", \"n\": 1.5, "
      "\"list\": [true, null, undefined, 7, bytes(2: 01 ff)], "
      "\"q\": \"a\\\"b\\n\", \"e\": ecma-array {\"d\": date(0.5, tz 0)}}");
  g_free (text);
}

/* ---- AMF3 ---- */

static void
check_u29 (const guint8 * data, gsize size, gint32 expected)
{
  g_autoptr (RtmpCoreAmfValue) value = decode3_ok (data, size);

  g_assert_cmpint (rtmp_core_amf_value_get_kind (value), ==,
      RTMP_CORE_AMF_INTEGER);
  g_assert_cmpint (rtmp_core_amf_value_get_integer (value), ==, expected);
}

static void
test_amf3_u29 (void)
{
  check_u29 (BYTES ("\x04\x00"), 0);
  check_u29 (BYTES ("\x04\x7f"), 0x7f);
  check_u29 (BYTES ("\x04\x81\x00"), 0x80);
  check_u29 (BYTES ("\x04\xff\x7f"), 0x3fff);
  check_u29 (BYTES ("\x04\x81\x80\x00"), 0x4000);
  check_u29 (BYTES ("\x04\xff\xff\x7f"), 0x1fffff);
  check_u29 (BYTES ("\x04\x80\xc0\x80\x00"), 0x200000);
  /* The fourth byte carries 8 bits. */
  check_u29 (BYTES ("\x04\x80\x80\x80\xff"), 0xff);
  check_u29 (BYTES ("\x04\xbf\xff\xff\xff"), 0x0fffffff);
  /* Bit 28 is the sign. */
  check_u29 (BYTES ("\x04\xc0\x80\x80\x00"), -0x10000000);
  check_u29 (BYTES ("\x04\xff\xff\xff\xff"), -1);
  check_u29 (BYTES ("\x04\xff\xff\xff\xfe"), -2);

  decode3_fails (BYTES ("\x04\x80\x80\x80"), RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES ("\x04"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf3_scalars (void)
{
  g_autoptr (RtmpCoreAmfValue) undef = decode3_ok (BYTES ("\x00"));
  g_autoptr (RtmpCoreAmfValue) null = decode3_ok (BYTES ("\x01"));
  g_autoptr (RtmpCoreAmfValue) f = decode3_ok (BYTES ("\x02"));
  g_autoptr (RtmpCoreAmfValue) t = decode3_ok (BYTES ("\x03"));
  g_autoptr (RtmpCoreAmfValue) d = NULL;
  g_autoptr (RtmpCoreAmfValue) date = NULL;
  g_autoptr (RtmpCoreAmfValue) xml = NULL;
  g_autoptr (RtmpCoreAmfValue) xmldoc = NULL;

  g_assert_cmpint (rtmp_core_amf_value_get_kind (undef), ==,
      RTMP_CORE_AMF_UNDEFINED);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (null), ==, RTMP_CORE_AMF_NULL);
  g_assert_false (rtmp_core_amf_value_get_boolean (f));
  g_assert_true (rtmp_core_amf_value_get_boolean (t));

  d = decode3_ok (BYTES ("\x05\xc0\x04\x00\x00\x00\x00\x00\x00"));
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (d), ==, -2.5);

  date = decode3_ok (BYTES ("\x08\x01\x42\x75\xd3\xef\x79\x80\x00\x00"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (date), ==, RTMP_CORE_AMF_DATE);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (date), ==, 1.5e12);
  g_assert_cmpint (rtmp_core_amf_value_get_timezone (date), ==, 0);
  /* Dates re-encode as AMF0 dates. */
  assert_encodes (date, BYTES ("\x0b\x42\x75\xd3\xef\x79\x80\x00\x00\x00\x00"));

  xml = decode3_ok (BYTES ("\x0b\x09" "<a/>"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (xml), ==, RTMP_CORE_AMF_XML);
  g_assert_cmpstr (rtmp_core_amf_value_get_string (xml), ==, "<a/>");
  xmldoc = decode3_ok (BYTES ("\x07\x09" "<b/>"));
  g_assert_cmpstr (rtmp_core_amf_value_get_string (xmldoc), ==, "<b/>");
}

static void
test_amf3_string_refs (void)
{
  g_autoptr (RtmpCoreAmfValue) arr = NULL;

  /* ["abc", ref 0, ""]: the empty string does not enter the table. */
  arr = decode3_ok (BYTES ("\x09\x07\x01" "\x06\x07" "abc" "\x06\x00" "\x06\x01"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (arr), ==,
      RTMP_CORE_AMF_STRICT_ARRAY);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (arr), ==, 3);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (arr, 1)), ==, "abc");
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (arr, 2)), ==, "");

  /* So index 1 does not exist after "abc" and "". */
  decode3_fails (BYTES ("\x09\x07\x01" "\x06\x07" "abc" "\x06\x01" "\x06\x02"),
      RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES ("\x06\x00"), RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES ("\x06\x07" "ab"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf3_sealed_traits (void)
{
  g_autoptr (RtmpCoreAmfValue) arr = NULL;
  RtmpCoreAmfValue *p1, *p2;
  gdouble x = 0, y = 0;

  /* Two objects of class "Pt" with sealed members x and y; the second one
   * refers to the traits of the first (U29O-traits-ref 0 = 0x01). */
  arr = decode3_ok (BYTES ("\x09\x05\x01"
          "\x0a\x23\x05" "Pt" "\x03" "x" "\x03" "y" "\x04\x01\x04\x02"
          "\x0a\x01\x04\x03\x04\x04"));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (arr), ==, 2);
  p1 = rtmp_core_amf_value_get_element (arr, 0);
  p2 = rtmp_core_amf_value_get_element (arr, 1);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (p2), ==,
      RTMP_CORE_AMF_TYPED_OBJECT);
  g_assert_cmpstr (rtmp_core_amf_value_get_class_name (p1), ==, "Pt");
  g_assert_cmpstr (rtmp_core_amf_value_get_class_name (p2), ==, "Pt");
  g_assert_true (rtmp_core_amf_value_lookup_number (p1, "y", &y));
  g_assert_cmpfloat (y, ==, 2);
  g_assert_true (rtmp_core_amf_value_lookup_number (p2, "x", &x));
  g_assert_true (rtmp_core_amf_value_lookup_number (p2, "y", &y));
  g_assert_cmpfloat (x, ==, 3);
  g_assert_cmpfloat (y, ==, 4);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (p2, 0), ==, "x");
}

static void
test_amf3_dynamic_object (void)
{
  g_autoptr (RtmpCoreAmfValue) obj = NULL;
  g_autoptr (RtmpCoreAmfValue) shared = NULL;

  /* 0x0b: inline object, inline traits, dynamic, no sealed members,
   * anonymous class; then "a" = 5, "b" = ref to string "a", end. */
  obj = decode3_ok (BYTES ("\x0a\x0b\x01" "\x03" "a" "\x04\x05"
          "\x03" "b" "\x06\x00" "\x01"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (obj), ==, RTMP_CORE_AMF_OBJECT);
  g_assert_null (rtmp_core_amf_value_get_class_name (obj));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (obj), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "b"), ==, "a");
  assert_encodes (obj, BYTES ("\x03"
          "\x00\x01" "a" "\x00\x40\x14\x00\x00\x00\x00\x00\x00"
          "\x00\x01" "b" "\x02\x00\x01" "a" "\x00\x00\x09"));

  /* An object reference shares the object: [obj, ref 1]. */
  shared = decode3_ok (BYTES ("\x09\x05\x01" "\x0a\x0b\x01\x01" "\x0a\x02"));
  g_assert_true (rtmp_core_amf_value_get_element (shared, 0)
      == rtmp_core_amf_value_get_element (shared, 1));
}

static void
test_amf3_array_assoc_dense (void)
{
  g_autoptr (RtmpCoreAmfValue) arr = NULL;
  gdouble n = 0;

  /* 2 dense elements, associative "k" = "v". */
  arr = decode3_ok (BYTES ("\x09\x05" "\x03" "k" "\x06\x03" "v" "\x01"
          "\x04\x01\x04\x02"));
  g_assert_cmpint (rtmp_core_amf_value_get_kind (arr), ==,
      RTMP_CORE_AMF_ECMA_ARRAY);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (arr), ==, 3);
  g_assert_cmpstr (rtmp_core_amf_value_get_field_name (arr, 0), ==, "k");
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (arr, "k"), ==, "v");
  g_assert_true (rtmp_core_amf_value_lookup_number (arr, "1", &n));
  g_assert_cmpfloat (n, ==, 2);

  /* An impossible dense count fails before any allocation. */
  decode3_fails (BYTES ("\x09\xff\xff\xff\xff\x01"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf3_byte_array (void)
{
  g_autoptr (RtmpCoreAmfValue) ba = NULL;
  g_autoptr (RtmpCoreAmfValue) arr = NULL;
  gsize size;
  const guint8 *data;

  ba = decode3_ok (BYTES ("\x0c\x07\x01\x02\x03"));
  data = g_bytes_get_data (rtmp_core_amf_value_get_bytes (ba), &size);
  g_assert_cmpmem (data, size, "\x01\x02\x03", 3);

  /* Index 0 is the array, index 1 the byte array. */
  arr = decode3_ok (BYTES ("\x09\x05\x01" "\x0c\x07\x01\x02\x03" "\x0c\x02"));
  g_assert_true (rtmp_core_amf_value_get_element (arr, 0)
      == rtmp_core_amf_value_get_element (arr, 1));
  decode3_fails (BYTES ("\x0c\x09\x01\x02\x03"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf3_bad_refs (void)
{
  /* Object and traits references out of range. */
  decode3_fails (BYTES ("\x0a\x00"), RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES ("\x0a\x01"), RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES ("\x0c\x02"), RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES ("\x08\x00"), RTMP_CORE_ERROR_MALFORMED);
  /* An array containing a reference to itself. */
  decode3_fails (BYTES ("\x09\x03\x01" "\x09\x00"), RTMP_CORE_ERROR_MALFORMED);
  /* A date marker referring to a byte array. */
  decode3_fails (BYTES ("\x09\x05\x01" "\x0c\x01" "\x08\x02"),
      RTMP_CORE_ERROR_MALFORMED);
  /* A traits reference beyond the one defined. */
  decode3_fails (BYTES ("\x09\x05\x01" "\x0a\x03\x01" "\x0a\x05"),
      RTMP_CORE_ERROR_MALFORMED);
  /* More sealed members than bytes. */
  decode3_fails (BYTES ("\x0a\xff\xff\xff\xf3\x01"), RTMP_CORE_ERROR_MALFORMED);
}

static void
test_amf3_unsupported (void)
{
  decode3_fails (BYTES ("\x0a\x07\x07" "Ext"), RTMP_CORE_ERROR_UNSUPPORTED);
  decode3_fails (BYTES ("\x0d\x01\x00"), RTMP_CORE_ERROR_UNSUPPORTED);
  decode3_fails (BYTES ("\x10\x01\x00\x01"), RTMP_CORE_ERROR_UNSUPPORTED);
  decode3_fails (BYTES ("\x11\x01\x00"), RTMP_CORE_ERROR_UNSUPPORTED);
  decode3_fails (BYTES ("\x12"), RTMP_CORE_ERROR_MALFORMED);
  decode3_fails (BYTES (""), RTMP_CORE_ERROR_MALFORMED);
}

static const gchar complex_amf3[] =
    "\x0a\x2b\x05" "Pt"                         /* dynamic, 2 sealed */
    "\x03" "x" "\x03" "y"
    "\x04\xbf\xff\xff\xff"                      /* x = 0x0fffffff */
    "\x09\x05\x03" "k" "\x06\x00" "\x01"        /* y = {k: "Pt", 0: .., 1: ..} */
    "\x0c\x03\xaa" "\x08\x01\x42\x75\xd3\xef\x79\x80\x00\x00"
    "\x03" "z" "\x0a\x01\x02\x03\x01"           /* z = Pt{x: false, y: true} */
    "\x03" "w" "\x0b\x07" "<a>"
    "\x01";

static void
test_amf3_truncated (void)
{
  g_autoptr (RtmpCoreAmfValue) full = NULL;
  RtmpCoreAmfValue *z;
  gsize len;

  full = decode3_ok (BYTES (complex_amf3));
  g_assert_cmpuint (rtmp_core_amf_value_get_n_fields (full), ==, 4);
  z = rtmp_core_amf_value_get_field (full, "z");
  g_assert_cmpstr (rtmp_core_amf_value_get_class_name (z), ==, "Pt");
  g_assert_true (rtmp_core_amf_value_get_boolean
      (rtmp_core_amf_value_get_field (z, "y")));

  for (len = 0; len < sizeof (complex_amf3) - 1; len++) {
    guint8 *copy = g_memdup2 (complex_amf3, len);

    decode3_fails (copy, len, RTMP_CORE_ERROR_MALFORMED);
    g_free (copy);
  }
}

/* An array of a 4 KiB string followed by @n_refs references to it. */
static GByteArray *
repeated_string (guint n_refs)
{
  GByteArray *out = g_byte_array_new ();
  guint8 *text = g_malloc (4096);
  guint i;

  memset (text, 'x', 4096);
  g_byte_array_append (out, (const guint8 *) "\x09", 1);
  append_u29 (out, ((n_refs + 1) << 1) | 1);
  g_byte_array_append (out, (const guint8 *) "\x01\x06", 2);
  append_u29 (out, (4096 << 1) | 1);
  g_byte_array_append (out, text, 4096);
  for (i = 0; i < n_refs; i++)
    g_byte_array_append (out, (const guint8 *) "\x06\x00", 2);
  g_free (text);
  return out;
}

static void
test_amf3_referenced_bytes_limit (void)
{
  /* References may repeat 1 MiB of strings per message: 256 copies of
   * 4 KiB are fine, 257 are not. */
  GByteArray *ok = repeated_string (256);
  GByteArray *over = repeated_string (257);
  RtmpCoreAmfValue *value = decode3_ok (ok->data, ok->len);

  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (value), ==, 257);
  rtmp_core_amf_value_unref (value);
  decode3_fails (over->data, over->len, RTMP_CORE_ERROR_LIMIT);
  g_byte_array_unref (ok);
  g_byte_array_unref (over);
}

/* Each value is {a: reference to the previous value}: sharing makes value i
 * nest i levels below itself, so the depth cap must count through
 * references (found by fuzz-amf0: re-encoding such a value overflowed it). */
static GByteArray *
reference_chain (guint n)
{
  static const guint8 first[] = { 0x03, 0x00, 0x01, 'a', 0x05, 0x00, 0x00, 0x09 };
  GByteArray *bytes = g_byte_array_new ();
  guint i;

  g_byte_array_append (bytes, first, sizeof (first));
  for (i = 1; i < n; i++) {
    guint8 link[] = { 0x03, 0x00, 0x01, 'a', 0x07, (i - 1) >> 8, (i - 1) & 0xff,
      0x00, 0x00, 0x09
    };
    g_byte_array_append (bytes, link, sizeof (link));
  }
  return bytes;
}

static void
test_amf0_reference_depth (void)
{
  GByteArray *ok_chain = reference_chain (RTMP_CORE_AMF_MAX_DEPTH);
  GByteArray *deep_chain = reference_chain (RTMP_CORE_AMF_MAX_DEPTH + 1);
  GError *error = NULL;
  GPtrArray *values;

  values = rtmp_core_amf0_decode_all (ok_chain->data, ok_chain->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, RTMP_CORE_AMF_MAX_DEPTH);
  g_ptr_array_unref (values);

  values = rtmp_core_amf0_decode_all (deep_chain->data, deep_chain->len, &error);
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_LIMIT);
  g_assert_null (values);
  g_clear_error (&error);

  g_byte_array_unref (ok_chain);
  g_byte_array_unref (deep_chain);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/amf/amf0/number", test_amf0_number);
  g_test_add_func ("/amf/amf0/reference-depth", test_amf0_reference_depth);
  g_test_add_func ("/amf/amf0/boolean", test_amf0_boolean);
  g_test_add_func ("/amf/amf0/string", test_amf0_string);
  g_test_add_func ("/amf/amf0/long-string-boundary",
      test_amf0_long_string_boundary);
  g_test_add_func ("/amf/amf0/null-undefined", test_amf0_null_undefined);
  g_test_add_func ("/amf/amf0/object", test_amf0_object);
  g_test_add_func ("/amf/amf0/ecma-array", test_amf0_ecma_array);
  g_test_add_func ("/amf/amf0/ecma-array-no-end", test_amf0_ecma_array_no_end);
  g_test_add_func ("/amf/amf0/strict-array", test_amf0_strict_array);
  g_test_add_func ("/amf/amf0/date", test_amf0_date);
  g_test_add_func ("/amf/amf0/typed-object", test_amf0_typed_object);
  g_test_add_func ("/amf/amf0/xml", test_amf0_xml);
  g_test_add_func ("/amf/amf0/byte-array", test_amf0_byte_array);
  g_test_add_func ("/amf/amf0/amf3-switch", test_amf0_amf3_switch);
  g_test_add_func ("/amf/amf0/ffmpeg-connect-object",
      test_amf0_ffmpeg_connect_object);
  g_test_add_func ("/amf/amf0/reference-decode", test_amf0_reference_decode);
  g_test_add_func ("/amf/amf0/reference-encode", test_amf0_reference_encode);
  g_test_add_func ("/amf/amf0/reference-errors", test_amf0_reference_errors);
  g_test_add_func ("/amf/amf0/reference-expansion",
      test_amf0_reference_expansion);
  g_test_add_func ("/amf/amf0/depth-limit", test_amf0_depth_limit);
  g_test_add_func ("/amf/amf0/count-limit", test_amf0_count_limit);
  g_test_add_func ("/amf/amf0/truncated", test_amf0_truncated);
  g_test_add_func ("/amf/amf0/bad-markers", test_amf0_bad_markers);
  g_test_add_func ("/amf/amf0/decode-all", test_amf0_decode_all);
  g_test_add_func ("/amf/value/fields", test_value_fields);
  g_test_add_func ("/amf/value/equal", test_value_equal);
  g_test_add_func ("/amf/value/to-string", test_value_to_string);
  g_test_add_func ("/amf/amf3/u29", test_amf3_u29);
  g_test_add_func ("/amf/amf3/scalars", test_amf3_scalars);
  g_test_add_func ("/amf/amf3/string-refs", test_amf3_string_refs);
  g_test_add_func ("/amf/amf3/sealed-traits", test_amf3_sealed_traits);
  g_test_add_func ("/amf/amf3/dynamic-object", test_amf3_dynamic_object);
  g_test_add_func ("/amf/amf3/array-assoc-dense", test_amf3_array_assoc_dense);
  g_test_add_func ("/amf/amf3/byte-array", test_amf3_byte_array);
  g_test_add_func ("/amf/amf3/bad-refs", test_amf3_bad_refs);
  g_test_add_func ("/amf/amf3/unsupported", test_amf3_unsupported);
  g_test_add_func ("/amf/amf3/truncated", test_amf3_truncated);
  g_test_add_func ("/amf/amf3/referenced-bytes-limit",
      test_amf3_referenced_bytes_limit);

  return g_test_run ();
}
