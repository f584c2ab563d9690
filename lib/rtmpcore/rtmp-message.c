/* RtmpCoreMessage: reference counting, payload access. The protocol control,
 * user control and aggregate helpers follow below. */
#include "rtmp-message.h"
#include "rtmp-error.h"
#include "rtmp-bytes-private.h"

G_DEFINE_BOXED_TYPE (RtmpCoreMessage, rtmp_core_message,
    rtmp_core_message_copy, rtmp_core_message_unref)

/**
 * rtmp_core_message_new:
 * @type: the message type id
 * @chunk_stream_id: the chunk stream id to send it on (2..65599)
 * @stream_id: the message stream id
 * @timestamp: the 32-bit timestamp in milliseconds
 * @payload: (nullable): the message body
 *
 * Makes a reference-counted message. The payload is referenced, not copied.
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new (guint8 type, guint32 chunk_stream_id,
    guint32 stream_id, guint32 timestamp, GBytes * payload)
{
  RtmpCoreMessage *msg = g_new0 (RtmpCoreMessage, 1);

  msg->type = type;
  msg->chunk_stream_id = chunk_stream_id;
  msg->stream_id = stream_id;
  msg->timestamp = timestamp;
  msg->bytes = payload ? g_bytes_ref (payload) : g_bytes_new_static ("", 0);
  msg->data = g_bytes_get_data (msg->bytes, &msg->size);
  msg->ref_count = 1;
  return msg;
}

/**
 * rtmp_core_message_new_take: (skip)
 * @type: the message type id
 * @chunk_stream_id: the chunk stream id
 * @stream_id: the message stream id
 * @timestamp: the 32-bit timestamp in milliseconds
 * @data: (transfer full) (array length=size): g_malloc()ed payload
 * @size: its length
 *
 * Like rtmp_core_message_new() but takes ownership of @data.
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_take (guint8 type, guint32 chunk_stream_id,
    guint32 stream_id, guint32 timestamp, guint8 * data, gsize size)
{
  GBytes *bytes = g_bytes_new_take (data, size);
  RtmpCoreMessage *msg = rtmp_core_message_new (type, chunk_stream_id,
      stream_id, timestamp, bytes);
  g_bytes_unref (bytes);
  return msg;
}

/**
 * rtmp_core_message_ref:
 * @msg: an owned message (not a borrowed view)
 *
 * Returns: (transfer full): @msg
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_ref (RtmpCoreMessage * msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (msg->ref_count > 0, NULL);
  g_atomic_int_inc (&msg->ref_count);
  return msg;
}

/**
 * rtmp_core_message_unref:
 * @msg: (transfer full): an owned message
 *
 * Drops a reference.
 *
 * Since: 0.1
 */
void
rtmp_core_message_unref (RtmpCoreMessage * msg)
{
  g_return_if_fail (msg != NULL);
  g_return_if_fail (msg->ref_count > 0);
  if (g_atomic_int_dec_and_test (&msg->ref_count)) {
    g_clear_pointer (&msg->bytes, g_bytes_unref);
    g_free (msg);
  }
}

/**
 * rtmp_core_message_copy:
 * @msg: a message, owned or borrowed
 *
 * Gives an owned message with the same content. An owned message is just
 * referenced; a borrowed view's payload is copied.
 *
 * Returns: (transfer full): an owned message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_copy (const RtmpCoreMessage * msg)
{
  GBytes *bytes;
  RtmpCoreMessage *copy;

  g_return_val_if_fail (msg != NULL, NULL);
  if (msg->ref_count > 0)
    return rtmp_core_message_ref ((RtmpCoreMessage *) msg);

  bytes = g_bytes_new (msg->data, msg->size);
  copy = rtmp_core_message_new (msg->type, msg->chunk_stream_id,
      msg->stream_id, msg->timestamp, bytes);
  g_bytes_unref (bytes);
  return copy;
}

/**
 * rtmp_core_message_get_payload:
 * @msg: a message
 *
 * Returns: (transfer full): the payload; for an owned message this shares
 *   its storage, for a borrowed view it is a copy
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_message_get_payload (const RtmpCoreMessage * msg)
{
  g_return_val_if_fail (msg != NULL, NULL);
  if (msg->bytes)
    return g_bytes_ref (msg->bytes);
  return g_bytes_new (msg->data, msg->size);
}

/**
 * rtmp_core_message_peek_data: (skip)
 * @msg: a message
 * @size: (out): the payload length
 *
 * Returns: the payload bytes, valid as long as @msg is
 *
 * Since: 0.1
 */
const guint8 *
rtmp_core_message_peek_data (const RtmpCoreMessage * msg, gsize * size)
{
  g_return_val_if_fail (msg != NULL, NULL);
  if (size)
    *size = msg->size;
  return msg->data;
}

/**
 * rtmp_core_message_get_size:
 * @msg: a message
 *
 * Returns: the payload length in bytes
 *
 * Since: 0.1
 */
gsize
rtmp_core_message_get_size (const RtmpCoreMessage * msg)
{
  g_return_val_if_fail (msg != NULL, 0);
  return msg->size;
}

/**
 * rtmp_core_message_is_media:
 * @msg: a message
 *
 * Returns: %TRUE for audio, video and AMF0/AMF3 data messages, the ones that
 *   map to FLV tags
 *
 * Since: 0.1
 */
gboolean
rtmp_core_message_is_media (const RtmpCoreMessage * msg)
{
  g_return_val_if_fail (msg != NULL, FALSE);
  switch (msg->type) {
    case RTMP_CORE_MESSAGE_AUDIO:
    case RTMP_CORE_MESSAGE_VIDEO:
    case RTMP_CORE_MESSAGE_DATA_AMF0:
    case RTMP_CORE_MESSAGE_DATA_AMF3:
      return TRUE;
    default:
      return FALSE;
  }
}

/* ---- protocol control, user control and aggregate messages ---- */
