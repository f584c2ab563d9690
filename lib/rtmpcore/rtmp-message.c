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
 * Adds a reference to @msg. The count is atomic, so owned messages may be
 * shared between threads once nobody modifies them. A borrowed view from
 * a chunk reader callback cannot be referenced: use
 * rtmp_core_message_copy() to keep it instead.
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
 * Gets the message body as a #GBytes that stays valid after @msg is gone,
 * e.g. to hand media data on without copying it.
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
 * @size: (out) (optional): the payload length
 *
 * Gives direct access to the message body without taking a reference or
 * copying, for parsing in C. Works on borrowed views too; the bytes must
 * not be modified.
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
 * Gets the length of the message body, i.e. the message length sent in the
 * chunk header (at most 2^24 - 1 bytes for a message from the wire).
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
 * Tells whether @msg carries stream content rather than protocol or
 * command traffic, e.g. to decide what to forward to an FLV muxer or to a
 * media pipeline. Aggregates are not counted: split them first with
 * rtmp_core_message_split_aggregate().
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

/* Protocol control and user control messages always travel on chunk
 * stream 2, message stream 0, with timestamp 0. */
#define CONTROL_CHUNK_STREAM 2

static RtmpCoreMessage *
new_control (guint8 type, const guint8 * payload, gsize size)
{
  return rtmp_core_message_new_take (type, CONTROL_CHUNK_STREAM, 0, 0,
      g_memdup2 (payload, size), size);
}

static RtmpCoreMessage *
new_control_uint32 (guint8 type, guint32 value)
{
  guint8 buf[4];

  rtmp_write_u32_be (buf, value);
  return new_control (type, buf, sizeof (buf));
}

/**
 * rtmp_core_message_new_set_chunk_size:
 * @chunk_size: the new maximum chunk size, 1..0x7FFFFFFF
 *
 * Makes a Set Chunk Size message (type 1). The top bit must be 0 and 0 is
 * not a valid chunk size.
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_set_chunk_size (guint32 chunk_size)
{
  g_return_val_if_fail (chunk_size != 0, NULL);
  g_return_val_if_fail ((chunk_size & 0x80000000) == 0, NULL);
  return new_control_uint32 (RTMP_CORE_MESSAGE_SET_CHUNK_SIZE, chunk_size);
}

/**
 * rtmp_core_message_new_abort:
 * @chunk_stream_id: the chunk stream whose partial message the peer should
 *   discard
 *
 * Makes an Abort message (type 2).
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_abort (guint32 chunk_stream_id)
{
  return new_control_uint32 (RTMP_CORE_MESSAGE_ABORT, chunk_stream_id);
}

/**
 * rtmp_core_message_new_acknowledgement:
 * @sequence_number: the number of bytes received so far, modulo 2^32
 *
 * Makes an Acknowledgement message (type 3).
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_acknowledgement (guint32 sequence_number)
{
  return new_control_uint32 (RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT,
      sequence_number);
}

/**
 * rtmp_core_message_new_window_ack_size:
 * @window_size: the number of bytes after which the peer should acknowledge
 *
 * Makes a Window Acknowledgement Size message (type 5).
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_window_ack_size (guint32 window_size)
{
  return new_control_uint32 (RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE, window_size);
}

/**
 * rtmp_core_message_new_set_peer_bandwidth:
 * @window_size: the acknowledgement window the peer should use
 * @limit: the limit type
 *
 * Makes a Set Peer Bandwidth message (type 6): the window size followed by
 * one byte of limit type.
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_set_peer_bandwidth (guint32 window_size,
    RtmpCoreBandwidthLimit limit)
{
  guint8 buf[5];

  g_return_val_if_fail (limit <= RTMP_CORE_BANDWIDTH_LIMIT_DYNAMIC, NULL);
  rtmp_write_u32_be (buf, window_size);
  buf[4] = limit;
  return new_control (RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH, buf, sizeof (buf));
}

/**
 * rtmp_core_message_parse_uint32:
 * @msg: a Set Chunk Size, Abort, Acknowledgement or Window Acknowledgement
 *   Size message (types 1, 2, 3 and 5)
 * @value: (out) (optional): the 32-bit value it carries
 * @error: return location for a #GError
 *
 * Reads the big-endian 32-bit value of a protocol control message. The
 * value is reported raw: for Set Chunk Size, checking the range (and the
 * top bit) is up to the caller. Bytes after the first four are ignored.
 *
 * Returns: %TRUE on success; %FALSE with %RTMP_CORE_ERROR_MALFORMED if the
 *   payload is shorter than 4 bytes
 *
 * Since: 0.1
 */
gboolean
rtmp_core_message_parse_uint32 (const RtmpCoreMessage * msg,
    guint32 * value, GError ** error)
{
  RtmpByteReader r;
  guint32 v;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (msg->type == RTMP_CORE_MESSAGE_SET_CHUNK_SIZE ||
      msg->type == RTMP_CORE_MESSAGE_ABORT ||
      msg->type == RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT ||
      msg->type == RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rtmp_byte_reader_init (&r, msg->data, msg->size);
  if (!rtmp_byte_reader_get_u32_be (&r, &v)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "Protocol control message of type %u has %" G_GSIZE_FORMAT
        " payload bytes, needs 4", msg->type, msg->size);
    return FALSE;
  }
  if (value)
    *value = v;
  return TRUE;
}

/**
 * rtmp_core_message_parse_set_peer_bandwidth:
 * @msg: a Set Peer Bandwidth message (type 6)
 * @window_size: (out) (optional): the acknowledgement window size
 * @limit: (out) (optional): the limit type; values other than 0..2 are
 *   reported as they are
 * @error: return location for a #GError
 *
 * Reads a Set Peer Bandwidth message.
 *
 * Returns: %TRUE on success; %FALSE with %RTMP_CORE_ERROR_MALFORMED if the
 *   payload is shorter than 5 bytes
 *
 * Since: 0.1
 */
gboolean
rtmp_core_message_parse_set_peer_bandwidth (const RtmpCoreMessage * msg,
    guint32 * window_size, RtmpCoreBandwidthLimit * limit, GError ** error)
{
  RtmpByteReader r;
  guint32 size;
  guint8 type;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (msg->type == RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH,
      FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rtmp_byte_reader_init (&r, msg->data, msg->size);
  if (!rtmp_byte_reader_get_u32_be (&r, &size) ||
      !rtmp_byte_reader_get_u8 (&r, &type)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "Set Peer Bandwidth has %" G_GSIZE_FORMAT " payload bytes, needs 5",
        msg->size);
    return FALSE;
  }
  if (window_size)
    *window_size = size;
  if (limit)
    *limit = (RtmpCoreBandwidthLimit) type;
  return TRUE;
}

/**
 * rtmp_core_message_new_user_control:
 * @event: the event type
 * @value: the event data: a stream id, or the timestamp of a ping
 * @value2: the buffer length in milliseconds for
 *   %RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH; ignored for other events
 *
 * Makes a User Control message (type 4): a 16-bit event type and a 32-bit
 * value, plus a second 32-bit value for Set Buffer Length.
 *
 * Returns: (transfer full): a new message
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_message_new_user_control (RtmpCoreUserControlEvent event,
    guint32 value, guint32 value2)
{
  guint8 buf[10];
  gsize size = 6;

  g_return_val_if_fail (event <= G_MAXUINT16, NULL);
  rtmp_write_u16_be (buf, event);
  rtmp_write_u32_be (buf + 2, value);
  if (event == RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH) {
    rtmp_write_u32_be (buf + 6, value2);
    size = 10;
  }
  return new_control (RTMP_CORE_MESSAGE_USER_CONTROL, buf, size);
}

/**
 * rtmp_core_message_parse_user_control:
 * @msg: a User Control message (type 4)
 * @event: (out) (optional): the event type; unknown types (e.g. Flash's 31
 *   and 32) are reported as they are, for the caller to ignore
 * @value: (out) (optional): the first 32-bit value
 * @value2: (out) (optional): the buffer length for Set Buffer Length, else 0
 * @error: return location for a #GError
 *
 * Reads a User Control message. Every event needs at least the 6 bytes of
 * type and value; Set Buffer Length needs 10. Extra bytes are ignored.
 *
 * Returns: %TRUE on success; %FALSE with %RTMP_CORE_ERROR_MALFORMED if the
 *   payload is too short
 *
 * Since: 0.1
 */
gboolean
rtmp_core_message_parse_user_control (const RtmpCoreMessage * msg,
    guint * event, guint32 * value, guint32 * value2, GError ** error)
{
  RtmpByteReader r;
  guint16 type;
  guint32 v, v2 = 0;

  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (msg->type == RTMP_CORE_MESSAGE_USER_CONTROL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  rtmp_byte_reader_init (&r, msg->data, msg->size);
  if (!rtmp_byte_reader_get_u16_be (&r, &type) ||
      !rtmp_byte_reader_get_u32_be (&r, &v)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "User Control message has %" G_GSIZE_FORMAT " payload bytes, "
        "needs at least 6", msg->size);
    return FALSE;
  }
  if (type == RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH &&
      !rtmp_byte_reader_get_u32_be (&r, &v2)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "Set Buffer Length event has %" G_GSIZE_FORMAT " payload bytes, "
        "needs 10", msg->size);
    return FALSE;
  }
  if (event)
    *event = type;
  if (value)
    *value = v;
  if (value2)
    *value2 = v2;
  return TRUE;
}

/* An aggregate sub-tag: an FLV tag header (rtmp_read_flv_tag_header()),
 * then the data and a 32-bit back pointer. */
#define AGGREGATE_SUB_HEADER_SIZE 11
#define AGGREGATE_BACK_POINTER_SIZE 4

static RtmpCoreMessage *
aggregate_sub_message (const RtmpCoreMessage * agg, guint8 type,
    guint32 timestamp, gsize offset, gsize size)
{
  GBytes *payload;
  RtmpCoreMessage *sub;

  /* Share the aggregate's storage when it has one; a borrowed view's data
   * only lives for the callback, so copy it. */
  if (agg->bytes)
    payload = g_bytes_new_from_bytes (agg->bytes, offset, size);
  else
    payload = g_bytes_new (agg->data + offset, size);
  sub = rtmp_core_message_new (type, agg->chunk_stream_id, agg->stream_id,
      timestamp, payload);
  g_bytes_unref (payload);
  return sub;
}

/**
 * rtmp_core_message_split_aggregate:
 * @msg: an Aggregate message (type 22)
 * @error: return location for a #GError
 *
 * Splits an aggregate into its sub-messages. Each sub-tag has an 11-byte
 * FLV-like header, its data and a 4-byte back pointer (whose value is not
 * checked; it may be missing after the last sub-tag). Sub-message timestamps
 * are relative: each is the aggregate's timestamp plus the sub-tag's offset
 * from the first sub-tag, modulo 2^32. The sub-messages take the aggregate's
 * chunk stream and message stream ids, and share its payload storage when
 * @msg owns it (otherwise they hold copies).
 *
 * Returns: (transfer container) (element-type RtmpCoreMessage): the sub-messages
 *   in order (possibly none), or %NULL with %RTMP_CORE_ERROR_MALFORMED if a
 *   sub-tag is truncated
 *
 * Since: 0.1
 */
GPtrArray *
rtmp_core_message_split_aggregate (const RtmpCoreMessage * msg,
    GError ** error)
{
  GPtrArray *subs;
  RtmpByteReader r;
  guint32 first_ts = 0;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (msg->type == RTMP_CORE_MESSAGE_AGGREGATE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  subs = g_ptr_array_new_with_free_func
      ((GDestroyNotify) rtmp_core_message_unref);
  rtmp_byte_reader_init (&r, msg->data, msg->size);

  while (rtmp_byte_reader_remaining (&r) > 0) {
    gsize start = r.pos;
    const guint8 *header;
    guint8 type;
    guint32 size, ts, timestamp;

    if (!rtmp_byte_reader_get_data (&r, AGGREGATE_SUB_HEADER_SIZE, &header)) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "Aggregate sub-tag %u at offset %" G_GSIZE_FORMAT " has a "
          "truncated header: %" G_GSIZE_FORMAT " of 11 bytes",
          subs->len, start, msg->size - start);
      goto fail;
    }
    rtmp_read_flv_tag_header (header, &type, &size, &ts);
    if (!rtmp_byte_reader_skip (&r, size)) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "Aggregate sub-tag %u at offset %" G_GSIZE_FORMAT " announces %u "
          "data bytes but only %" G_GSIZE_FORMAT " remain",
          subs->len, start, size,
          msg->size - start - AGGREGATE_SUB_HEADER_SIZE);
      goto fail;
    }

    if (subs->len == 0)
      first_ts = ts;
    /* Unsigned arithmetic wraps modulo 2^32 as the timestamps do. */
    timestamp = msg->timestamp + (ts - first_ts);
    g_ptr_array_add (subs, aggregate_sub_message (msg, type, timestamp,
            start + AGGREGATE_SUB_HEADER_SIZE, size));

    if (rtmp_byte_reader_remaining (&r) == 0)
      break;
    if (!rtmp_byte_reader_skip (&r, AGGREGATE_BACK_POINTER_SIZE)) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "Aggregate sub-tag %u has a truncated back pointer: %"
          G_GSIZE_FORMAT " of 4 bytes", subs->len - 1,
          rtmp_byte_reader_remaining (&r));
      goto fail;
    }
  }
  return subs;

fail:
  g_ptr_array_unref (subs);
  return NULL;
}
