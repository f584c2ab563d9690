/* AMF0 decoding: decode a whole message, then re-encode what was decoded and
 * check that it decodes to equal values; also decode value by value with
 * fresh reference tables, as a stream of separate values. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* AMF0 cuts field and class names of 64 KiB or more (only AMF3 can carry
 * them), so such values cannot round-trip. */
static gboolean
has_long_names (const RtmpCoreAmfValue * value)
{
  const gchar *class_name = rtmp_core_amf_value_get_class_name (value);
  guint i;

  if (class_name && strlen (class_name) > G_MAXUINT16)
    return TRUE;
  for (i = 0; i < rtmp_core_amf_value_get_n_fields (value); i++) {
    if (strlen (rtmp_core_amf_value_get_field_name (value, i)) > G_MAXUINT16
        || has_long_names (rtmp_core_amf_value_get_field_value (value, i)))
      return TRUE;
  }
  for (i = 0; i < rtmp_core_amf_value_get_n_elements (value); i++) {
    if (has_long_names (rtmp_core_amf_value_get_element (value, i)))
      return TRUE;
  }
  return FALSE;
}

static void
check_round_trip (GPtrArray * values)
{
  GByteArray *out = g_byte_array_new ();
  GError *error = NULL;
  GPtrArray *again;
  guint i;

  rtmp_core_amf0_encode_all (out, (RtmpCoreAmfValue * const *) values->pdata,
      values->len);
  again = rtmp_core_amf0_decode_all (out->data, out->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->len, ==, values->len);

  for (i = 0; i < values->len; i++) {
    RtmpCoreAmfValue *value = values->pdata[i];
    GBytes *bytes = rtmp_core_amf_value_to_amf0 (value);
    RtmpCoreAmfValue *single = rtmp_core_amf_value_from_amf0 (bytes, &error);
    gchar *text = rtmp_core_amf_value_to_string (value);

    g_assert_no_error (error);
    if (!has_long_names (value)) {
      g_assert_true (rtmp_core_amf_value_equal (value, again->pdata[i]));
      g_assert_true (rtmp_core_amf_value_equal (value, single));
    }
    g_free (text);
    rtmp_core_amf_value_unref (single);
    g_bytes_unref (bytes);
  }
  g_ptr_array_unref (again);
  g_byte_array_unref (out);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GPtrArray *values = rtmp_core_amf0_decode_all (data, size, NULL);
  gsize offset = 0;

  if (values) {
    check_round_trip (values);
    g_ptr_array_unref (values);
  }

  /* Separate values, each with its own reference tables. */
  while (offset < size) {
    gsize consumed = 0;
    RtmpCoreAmfValue *value = rtmp_core_amf0_decode (data + offset,
        size - offset, &consumed, NULL);

    if (!value)
      break;
    g_assert_cmpuint (consumed, >, 0);
    g_assert_cmpuint (consumed, <=, size - offset);
    offset += consumed;
    rtmp_core_amf_value_unref (value);
  }
  return 0;
}
