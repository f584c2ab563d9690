/* Commands (message types 20 and 17) and data messages (types 18 and 15). */
#include <string.h>

#include "rtmp-command.h"
#include "rtmp-error.h"
#include "rtmpcore-enumtypes.h"

struct _RtmpCoreCommand {
  gint ref_count;
  gchar *name;
  gdouble transaction_id;
  RtmpCoreAmfValue *object;     /* NULL stands for AMF null */
  GPtrArray *arguments;         /* RtmpCoreAmfValue* */
};

G_DEFINE_BOXED_TYPE (RtmpCoreCommand, rtmp_core_command,
    rtmp_core_command_ref, rtmp_core_command_unref)

/* "@setDataFrame" as an AMF0 string. */
static const guint8 set_data_frame[] = {
  0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D', 'a', 't', 'a', 'F', 'r', 'a', 'm',
  'e'
};

/**
 * rtmp_core_command_new:
 * @name: the command name, e.g. "connect" or "_result"
 * @transaction_id: the transaction id; 0 for commands that expect no answer
 * @command_object: (nullable) (transfer none): the command object; %NULL
 *   encodes as AMF null
 *
 * Makes a command without arguments; add them with
 * rtmp_core_command_add_argument().
 *
 * Returns: (transfer full): a new command
 *
 * Since: 0.1
 */
RtmpCoreCommand *
rtmp_core_command_new (const gchar * name, gdouble transaction_id,
    RtmpCoreAmfValue * command_object)
{
  RtmpCoreCommand *cmd;

  g_return_val_if_fail (name != NULL, NULL);

  cmd = g_new0 (RtmpCoreCommand, 1);
  cmd->ref_count = 1;
  cmd->name = g_strdup (name);
  cmd->transaction_id = transaction_id;
  cmd->object = command_object ? rtmp_core_amf_value_ref (command_object) : NULL;
  cmd->arguments = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rtmp_core_amf_value_unref);
  return cmd;
}

/**
 * rtmp_core_command_ref:
 * @cmd: a command
 *
 * Takes a reference. Thread-safe.
 *
 * Returns: (transfer full): @cmd
 *
 * Since: 0.1
 */
RtmpCoreCommand *
rtmp_core_command_ref (RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, NULL);
  g_atomic_int_inc (&cmd->ref_count);
  return cmd;
}

/**
 * rtmp_core_command_unref:
 * @cmd: (transfer full): a command
 *
 * Drops a reference. Thread-safe.
 *
 * Since: 0.1
 */
void
rtmp_core_command_unref (RtmpCoreCommand * cmd)
{
  g_return_if_fail (cmd != NULL);
  if (!g_atomic_int_dec_and_test (&cmd->ref_count))
    return;
  g_free (cmd->name);
  g_clear_pointer (&cmd->object, rtmp_core_amf_value_unref);
  g_ptr_array_unref (cmd->arguments);
  g_free (cmd);
}

/**
 * rtmp_core_command_get_name:
 * @cmd: a command
 *
 * Reads the command name.
 *
 * Returns: (transfer none): the command name
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_command_get_name (const RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, NULL);
  return cmd->name;
}

/**
 * rtmp_core_command_get_transaction_id:
 * @cmd: a command
 *
 * Reads the transaction id.
 *
 * Returns: the transaction id, which answers (`_result`, `_error`) repeat
 *
 * Since: 0.1
 */
gdouble
rtmp_core_command_get_transaction_id (const RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, 0);
  return cmd->transaction_id;
}

/**
 * rtmp_core_command_get_object:
 * @cmd: a command
 *
 * Reads the command object (the third value of the command), e.g. the
 * properties of connect.
 *
 * Returns: (transfer none) (nullable): the command object, or %NULL when it
 *   is AMF null or missing
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_command_get_object (const RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, NULL);
  return cmd->object;
}

/**
 * rtmp_core_command_add_argument:
 * @cmd: a command
 * @arg: (transfer none): a value to append to the arguments; it gets
 *   referenced
 *
 * Appends an argument after the command object.
 *
 * Since: 0.1
 */
void
rtmp_core_command_add_argument (RtmpCoreCommand * cmd, RtmpCoreAmfValue * arg)
{
  g_return_if_fail (arg != NULL);
  rtmp_core_command_take_argument (cmd, rtmp_core_amf_value_ref (arg));
}

/**
 * rtmp_core_command_take_argument: (skip)
 * @cmd: a command
 * @arg: (transfer full): a value to append to the arguments
 *
 * Like rtmp_core_command_add_argument() but takes ownership of @arg.
 *
 * Since: 0.1
 */
void
rtmp_core_command_take_argument (RtmpCoreCommand * cmd, RtmpCoreAmfValue * arg)
{
  g_return_if_fail (arg != NULL);
  if (cmd == NULL) {
    rtmp_core_amf_value_unref (arg);
    g_return_if_fail (cmd != NULL);
    return;
  }
  g_ptr_array_add (cmd->arguments, arg);
}

/**
 * rtmp_core_command_get_n_arguments:
 * @cmd: a command
 *
 * Counts the arguments after the command object.
 *
 * Returns: the number of arguments after the command object
 *
 * Since: 0.1
 */
guint
rtmp_core_command_get_n_arguments (const RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, 0);
  return cmd->arguments->len;
}

/**
 * rtmp_core_command_get_argument:
 * @cmd: a command
 * @index: the position of the argument, from 0
 *
 * Reads an argument after the command object.
 *
 * Returns: (transfer none) (nullable): the argument, or %NULL if @index is
 *   out of range
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_command_get_argument (const RtmpCoreCommand * cmd, guint index)
{
  g_return_val_if_fail (cmd != NULL, NULL);
  if (index >= cmd->arguments->len)
    return NULL;
  return g_ptr_array_index (cmd->arguments, index);
}

static const gchar *
kind_nick (RtmpCoreAmfType kind)
{
  GEnumClass *klass = g_type_class_ref (rtmp_core_amf_type_get_type ());
  GEnumValue *value = g_enum_get_value (klass, kind);
  const gchar *nick = value ? value->value_nick : "unknown value";

  /* Static enum classes live as long as the process: the nick stays valid. */
  g_type_class_unref (klass);
  return nick;
}

/* The AMF0 body of a command or data message: type 17 and 15 bodies start
 * with a 0x00 format byte, which some peers leave out. */
static gboolean
amf_body (const RtmpCoreMessage * msg, guint8 amf0_type, guint8 amf3_type,
    const gchar * what, const guint8 ** data, gsize * size, GError ** error)
{
  *data = rtmp_core_message_peek_data (msg, size);
  if (msg->type == amf3_type) {
    if (*size > 0 && (*data)[0] == 0x00) {
      (*data)++;
      (*size)--;
    }
  } else if (msg->type != amf0_type) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED,
        "message type %u is not a %s message (types %u and %u)", msg->type,
        what, amf0_type, amf3_type);
    return FALSE;
  }
  return TRUE;
}

/**
 * rtmp_core_command_parse:
 * @msg: a command message, type 20 (AMF0) or 17 (AMF3)
 * @error: return location for a #GError
 *
 * Decodes a command: a name (string), a transaction id (number), then
 * optionally a command object and arguments. A type 17 body starts with a
 * 0x00 byte that is skipped (a body starting with another byte is read as
 * AMF0 right away); its values may switch to AMF3 with the 0x11 marker.
 *
 * Errors: %RTMP_CORE_ERROR_UNSUPPORTED for other message types,
 * %RTMP_CORE_ERROR_MALFORMED when the body is empty, does not start with a
 * string and a number, or does not decode (see rtmp_core_amf0_decode_all()),
 * and %RTMP_CORE_ERROR_LIMIT when it is too big.
 *
 * Returns: (transfer full) (nullable): the command, or %NULL on error
 *
 * Since: 0.1
 */
RtmpCoreCommand *
rtmp_core_command_parse (const RtmpCoreMessage * msg, GError ** error)
{
  RtmpCoreCommand *cmd;
  RtmpCoreAmfValue *name, *id;
  const guint8 *data;
  GPtrArray *values;
  gsize size;
  guint i;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!amf_body (msg, RTMP_CORE_MESSAGE_COMMAND_AMF0,
          RTMP_CORE_MESSAGE_COMMAND_AMF3, "command", &data, &size, error))
    return NULL;
  values = rtmp_core_amf0_decode_all (data, size, error);
  if (!values) {
    g_prefix_error (error, "command message: ");
    return NULL;
  }

  if (values->len == 0) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "command message: empty body");
    goto failed;
  }
  name = g_ptr_array_index (values, 0);
  if (rtmp_core_amf_value_get_kind (name) != RTMP_CORE_AMF_STRING) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "command message: the name must be a string, got %s",
        kind_nick (rtmp_core_amf_value_get_kind (name)));
    goto failed;
  }
  id = values->len > 1 ? g_ptr_array_index (values, 1) : NULL;
  if (!id || (rtmp_core_amf_value_get_kind (id) != RTMP_CORE_AMF_NUMBER
          && rtmp_core_amf_value_get_kind (id) != RTMP_CORE_AMF_INTEGER)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "command message \"%s\": the transaction id must be a number, got %s",
        rtmp_core_amf_value_get_string (name),
        id ? kind_nick (rtmp_core_amf_value_get_kind (id)) : "nothing");
    goto failed;
  }

  cmd = rtmp_core_command_new (rtmp_core_amf_value_get_string (name),
      rtmp_core_amf_value_get_number (id), NULL);
  if (values->len > 2) {
    RtmpCoreAmfValue *object = g_ptr_array_index (values, 2);

    if (rtmp_core_amf_value_get_kind (object) != RTMP_CORE_AMF_NULL)
      cmd->object = rtmp_core_amf_value_ref (object);
  }
  for (i = 3; i < values->len; i++)
    rtmp_core_command_add_argument (cmd, g_ptr_array_index (values, i));
  g_ptr_array_unref (values);
  return cmd;

failed:
  g_ptr_array_unref (values);
  return NULL;
}

/**
 * rtmp_core_command_to_message:
 * @cmd: a command
 * @chunk_stream_id: the chunk stream to send it on (commands usually use 3)
 * @stream_id: the message stream id (0 for NetConnection commands)
 *
 * Encodes the command as an AMF0 command message (type 20) with timestamp
 * 0: name, transaction id, command object (or null), arguments. A value
 * shared between the object and the arguments is written once and then
 * referenced.
 *
 * Returns: (transfer full): the message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_command_to_message (const RtmpCoreCommand * cmd,
    guint32 chunk_stream_id, guint32 stream_id)
{
  GPtrArray *values;
  GBytes *payload;
  RtmpCoreMessage *msg;
  guint i;

  g_return_val_if_fail (cmd != NULL, NULL);

  values = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rtmp_core_amf_value_unref);
  g_ptr_array_add (values, rtmp_core_amf_value_new_string (cmd->name));
  g_ptr_array_add (values,
      rtmp_core_amf_value_new_number (cmd->transaction_id));
  g_ptr_array_add (values, cmd->object ? rtmp_core_amf_value_ref (cmd->object)
      : rtmp_core_amf_value_new_null ());
  for (i = 0; i < cmd->arguments->len; i++)
    g_ptr_array_add (values,
        rtmp_core_amf_value_ref (g_ptr_array_index (cmd->arguments, i)));

  payload = rtmp_core_amf_values_to_amf0 (values);
  msg = rtmp_core_message_new (RTMP_CORE_MESSAGE_COMMAND_AMF0, chunk_stream_id,
      stream_id, 0, payload);
  g_bytes_unref (payload);
  g_ptr_array_unref (values);
  return msg;
}

/* A string field of the info object of a status or result command. */
static const gchar *
lookup_info (const RtmpCoreCommand * cmd, const gchar * field)
{
  guint i;

  if (strcmp (cmd->name, "onStatus") != 0 && strcmp (cmd->name, "_result") != 0
      && strcmp (cmd->name, "_error") != 0)
    return NULL;
  for (i = 0; i < cmd->arguments->len; i++) {
    RtmpCoreAmfValue *arg = g_ptr_array_index (cmd->arguments, i);

    switch (rtmp_core_amf_value_get_kind (arg)) {
      case RTMP_CORE_AMF_OBJECT:
      case RTMP_CORE_AMF_ECMA_ARRAY:
      case RTMP_CORE_AMF_TYPED_OBJECT:
        return rtmp_core_amf_value_lookup_string (arg, field);
      default:
        break;
    }
  }
  return NULL;
}

/**
 * rtmp_core_command_get_status_code:
 * @cmd: a command
 *
 * For `onStatus`, `_result` and `_error`, looks up the "code" string (e.g.
 * "NetStream.Publish.Start") of the info object: the first argument that
 * is an object.
 *
 * Returns: (transfer none) (nullable): the code, or %NULL if @cmd is another
 *   command, has no info object or the info object has no string "code"
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_command_get_status_code (const RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, NULL);
  return lookup_info (cmd, "code");
}

/**
 * rtmp_core_command_get_status_description:
 * @cmd: a command
 *
 * Like rtmp_core_command_get_status_code() for the "description" string.
 *
 * Returns: (transfer none) (nullable): the description, or %NULL
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_command_get_status_description (const RtmpCoreCommand * cmd)
{
  g_return_val_if_fail (cmd != NULL, NULL);
  return lookup_info (cmd, "description");
}

/**
 * rtmp_core_data_message_parse:
 * @msg: a data message, type 18 (AMF0) or 15 (AMF3)
 * @error: return location for a #GError
 *
 * Decodes every value of a data message, e.g. "@setDataFrame", "onMetaData"
 * and the metadata ECMA array. A leading 0x00 byte of a type 15 body is
 * skipped. Errors as for rtmp_core_command_parse().
 *
 * Returns: (transfer container) (element-type RtmpCoreAmfValue) (nullable):
 *   the values, or %NULL on error; freeing the array frees them, as for
 *   rtmp_core_amf0_decode_all()
 *
 * Since: 0.1
 */
GPtrArray *
rtmp_core_data_message_parse (const RtmpCoreMessage * msg, GError ** error)
{
  const guint8 *data;
  GPtrArray *values;
  gsize size;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!amf_body (msg, RTMP_CORE_MESSAGE_DATA_AMF0,
          RTMP_CORE_MESSAGE_DATA_AMF3, "data", &data, &size, error))
    return NULL;
  values = rtmp_core_amf0_decode_all (data, size, error);
  if (!values)
    g_prefix_error (error, "data message: ");
  return values;
}

static gboolean
has_set_data_frame (const guint8 * data, gsize size)
{
  return size >= sizeof (set_data_frame)
      && memcmp (data, set_data_frame, sizeof (set_data_frame)) == 0;
}

/**
 * rtmp_core_data_strip_set_data_frame:
 * @payload: an AMF0 data message body
 *
 * Publishers send metadata as "@setDataFrame", "onMetaData", metadata; the
 * FLV script tag that receivers keep has no "@setDataFrame". This removes
 * it without copying.
 *
 * Returns: (transfer full): the body after a leading AMF0 string
 *   "@setDataFrame" (sharing the memory of @payload), or @payload itself if it
 *   does not start with one
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_data_strip_set_data_frame (GBytes * payload)
{
  const guint8 *data;
  gsize size;

  g_return_val_if_fail (payload != NULL, NULL);
  data = g_bytes_get_data (payload, &size);
  if (!has_set_data_frame (data, size))
    return g_bytes_ref (payload);
  return g_bytes_new_from_bytes (payload, sizeof (set_data_frame),
      size - sizeof (set_data_frame));
}

/**
 * rtmp_core_data_add_set_data_frame:
 * @payload: an AMF0 data message body, e.g. an FLV script tag body
 *
 * Prepends the AMF0 string "@setDataFrame", as publishers do for metadata.
 *
 * Returns: (transfer full): the new body, or @payload itself if it already
 *   starts with "@setDataFrame"
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_data_add_set_data_frame (GBytes * payload)
{
  const guint8 *data;
  guint8 *out;
  gsize size;

  g_return_val_if_fail (payload != NULL, NULL);
  data = g_bytes_get_data (payload, &size);
  if (has_set_data_frame (data, size))
    return g_bytes_ref (payload);

  out = g_malloc (sizeof (set_data_frame) + size);
  memcpy (out, set_data_frame, sizeof (set_data_frame));
  if (size > 0)
    memcpy (out + sizeof (set_data_frame), data, size);
  return g_bytes_new_take (out, sizeof (set_data_frame) + size);
}
