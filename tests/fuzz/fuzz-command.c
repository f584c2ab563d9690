/* Commands and data messages: the input as the body of a type 20, 17, 18 and
 * 15 message. A parsed command must survive encoding and parsing again. */
#include <math.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

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

static gboolean
values_match (const RtmpCoreAmfValue * a, const RtmpCoreAmfValue * b)
{
  if (!a || !b)
    return a == b;
  return has_long_names (a) || rtmp_core_amf_value_equal (a, b);
}

static void
check_command (const RtmpCoreCommand * cmd)
{
  RtmpCoreMessage *msg = rtmp_core_command_to_message (cmd, 3, 1);
  GError *error = NULL;
  RtmpCoreCommand *back = rtmp_core_command_parse (msg, &error);
  gdouble id = rtmp_core_command_get_transaction_id (cmd);
  guint i;

  g_assert_no_error (error);
  g_assert_cmpstr (rtmp_core_command_get_name (back), ==,
      rtmp_core_command_get_name (cmd));
  g_assert_true (id == rtmp_core_command_get_transaction_id (back)
      || (isnan (id) && isnan (rtmp_core_command_get_transaction_id (back))));
  g_assert_true (values_match (rtmp_core_command_get_object (cmd),
          rtmp_core_command_get_object (back)));
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (cmd), ==,
      rtmp_core_command_get_n_arguments (back));
  for (i = 0; i < rtmp_core_command_get_n_arguments (cmd); i++)
    g_assert_true (values_match (rtmp_core_command_get_argument (cmd, i),
            rtmp_core_command_get_argument (back, i)));
  g_assert_cmpstr (rtmp_core_command_get_status_code (back), ==,
      rtmp_core_command_get_status_code (cmd));

  rtmp_core_command_unref (back);
  rtmp_core_message_unref (msg);
}

static void
parse_as (guint8 type, GBytes * payload)
{
  RtmpCoreMessage *msg = rtmp_core_message_new (type, 3, 0, 0, payload);
  RtmpCoreCommand *cmd;
  GPtrArray *values;

  if (type == RTMP_CORE_MESSAGE_COMMAND_AMF0
      || type == RTMP_CORE_MESSAGE_COMMAND_AMF3) {
    cmd = rtmp_core_command_parse (msg, NULL);
    if (cmd) {
      rtmp_core_command_get_status_code (cmd);
      rtmp_core_command_get_status_description (cmd);
      check_command (cmd);
      rtmp_core_command_unref (cmd);
    }
  } else {
    values = rtmp_core_data_message_parse (msg, NULL);
    if (values)
      g_ptr_array_unref (values);
  }
  rtmp_core_message_unref (msg);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  GBytes *payload = g_bytes_new (data, size);
  GBytes *stripped = rtmp_core_data_strip_set_data_frame (payload);
  GBytes *added = rtmp_core_data_add_set_data_frame (stripped);
  GBytes *restripped = rtmp_core_data_strip_set_data_frame (added);

  /* Stripping what was added gives back what was stripped, unless nothing
   * was added because it was there already. */
  g_assert_true (added == stripped || g_bytes_equal (stripped, restripped));

  parse_as (RTMP_CORE_MESSAGE_COMMAND_AMF0, payload);
  parse_as (RTMP_CORE_MESSAGE_COMMAND_AMF3, payload);
  parse_as (RTMP_CORE_MESSAGE_DATA_AMF0, payload);
  parse_as (RTMP_CORE_MESSAGE_DATA_AMF3, payload);
  parse_as (RTMP_CORE_MESSAGE_DATA_AMF0, stripped);

  g_bytes_unref (restripped);
  g_bytes_unref (added);
  g_bytes_unref (stripped);
  g_bytes_unref (payload);
  return 0;
}
