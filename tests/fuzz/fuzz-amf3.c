/* AMF3 decoding: decode values one after another over the input until one
 * fails, and check that each survives conversion to AMF0. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

/* AMF0 cuts field and class names of 64 KiB or more. */
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
check_as_amf0 (const RtmpCoreAmfValue * value)
{
  GBytes *bytes = rtmp_core_amf_value_to_amf0 (value);
  GError *error = NULL;
  RtmpCoreAmfValue *back = rtmp_core_amf_value_from_amf0 (bytes, &error);
  gchar *text = rtmp_core_amf_value_to_string (value);

  g_assert_no_error (error);
  if (!has_long_names (value))
    g_assert_true (rtmp_core_amf_value_equal (value, back));
  rtmp_core_amf_value_unref (back);
  g_bytes_unref (bytes);
  g_free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gsize offset = 0;

  while (offset < size) {
    gsize consumed = 0;
    RtmpCoreAmfValue *value = rtmp_core_amf3_decode (data + offset,
        size - offset, &consumed, NULL);

    if (!value)
      break;
    g_assert_cmpuint (consumed, >, 0);
    g_assert_cmpuint (consumed, <=, size - offset);
    check_as_amf0 (value);
    rtmp_core_amf_value_unref (value);
    offset += consumed;
  }
  return 0;
}
