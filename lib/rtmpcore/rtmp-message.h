/* RTMP messages: the unit the chunk stream carries, plus protocol control
 * and user control messages. */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RtmpCoreMessageType:
 * @RTMP_CORE_MESSAGE_SET_CHUNK_SIZE: protocol control 1
 * @RTMP_CORE_MESSAGE_ABORT: protocol control 2
 * @RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT: protocol control 3
 * @RTMP_CORE_MESSAGE_USER_CONTROL: user control event (4)
 * @RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE: protocol control 5
 * @RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH: protocol control 6
 * @RTMP_CORE_MESSAGE_AUDIO: audio data (8), an FLV audio tag body
 * @RTMP_CORE_MESSAGE_VIDEO: video data (9), an FLV video tag body
 * @RTMP_CORE_MESSAGE_DATA_AMF3: data message in AMF3 (15)
 * @RTMP_CORE_MESSAGE_SHARED_OBJECT_AMF3: shared object in AMF3 (16)
 * @RTMP_CORE_MESSAGE_COMMAND_AMF3: command in AMF3 (17)
 * @RTMP_CORE_MESSAGE_DATA_AMF0: data message in AMF0 (18), e.g. onMetaData
 * @RTMP_CORE_MESSAGE_SHARED_OBJECT_AMF0: shared object in AMF0 (19)
 * @RTMP_CORE_MESSAGE_COMMAND_AMF0: command in AMF0 (20)
 * @RTMP_CORE_MESSAGE_AGGREGATE: aggregate of FLV-like sub-tags (22)
 *
 * RTMP message type ids.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_MESSAGE_SET_CHUNK_SIZE = 1,
  RTMP_CORE_MESSAGE_ABORT = 2,
  RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT = 3,
  RTMP_CORE_MESSAGE_USER_CONTROL = 4,
  RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE = 5,
  RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH = 6,
  RTMP_CORE_MESSAGE_AUDIO = 8,
  RTMP_CORE_MESSAGE_VIDEO = 9,
  RTMP_CORE_MESSAGE_DATA_AMF3 = 15,
  RTMP_CORE_MESSAGE_SHARED_OBJECT_AMF3 = 16,
  RTMP_CORE_MESSAGE_COMMAND_AMF3 = 17,
  RTMP_CORE_MESSAGE_DATA_AMF0 = 18,
  RTMP_CORE_MESSAGE_SHARED_OBJECT_AMF0 = 19,
  RTMP_CORE_MESSAGE_COMMAND_AMF0 = 20,
  RTMP_CORE_MESSAGE_AGGREGATE = 22,
} RtmpCoreMessageType;

/**
 * RtmpCoreUserControlEvent:
 * @RTMP_CORE_USER_CONTROL_STREAM_BEGIN: stream id became functional (0)
 * @RTMP_CORE_USER_CONTROL_STREAM_EOF: playback of the stream ended (1)
 * @RTMP_CORE_USER_CONTROL_STREAM_DRY: no more data on the stream for now (2)
 * @RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH: client buffer length: stream id
 *   and milliseconds (3)
 * @RTMP_CORE_USER_CONTROL_STREAM_IS_RECORDED: the stream is recorded (4)
 * @RTMP_CORE_USER_CONTROL_PING_REQUEST: ping with a timestamp (6)
 * @RTMP_CORE_USER_CONTROL_PING_RESPONSE: answer to a ping (7)
 *
 * User control event types. Other values (e.g. Flash's 31 and 32) are
 * reported as they are and must be ignored by the receiver.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_USER_CONTROL_STREAM_BEGIN = 0,
  RTMP_CORE_USER_CONTROL_STREAM_EOF = 1,
  RTMP_CORE_USER_CONTROL_STREAM_DRY = 2,
  RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH = 3,
  RTMP_CORE_USER_CONTROL_STREAM_IS_RECORDED = 4,
  RTMP_CORE_USER_CONTROL_PING_REQUEST = 6,
  RTMP_CORE_USER_CONTROL_PING_RESPONSE = 7,
} RtmpCoreUserControlEvent;

/**
 * RtmpCoreBandwidthLimit:
 * @RTMP_CORE_BANDWIDTH_LIMIT_HARD: the peer should limit to the given size
 * @RTMP_CORE_BANDWIDTH_LIMIT_SOFT: limit to the smaller of this and the current
 * @RTMP_CORE_BANDWIDTH_LIMIT_DYNAMIC: hard if the previous was hard, else ignore
 *
 * The limit type of a Set Peer Bandwidth message.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_BANDWIDTH_LIMIT_HARD = 0,
  RTMP_CORE_BANDWIDTH_LIMIT_SOFT = 1,
  RTMP_CORE_BANDWIDTH_LIMIT_DYNAMIC = 2,
} RtmpCoreBandwidthLimit;

/**
 * RtmpCoreMessage:
 * @type: the message type id (a #RtmpCoreMessageType value, or any other
 *   byte as received)
 * @chunk_stream_id: the chunk stream the message arrived on, or should be
 *   sent on (2..65599)
 * @stream_id: the message stream id
 * @timestamp: the absolute 32-bit timestamp in milliseconds (wraps)
 *
 * One RTMP message. Messages handed to callbacks by the chunk reader are
 * borrowed views valid only during the callback; use rtmp_core_message_copy()
 * to keep one. Messages made with rtmp_core_message_new() are reference
 * counted and immutable once shared.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreMessage RtmpCoreMessage;

struct _RtmpCoreMessage {
  guint8 type;
  guint32 chunk_stream_id;
  guint32 stream_id;
  guint32 timestamp;

  /*< private >*/
  const guint8 *data;
  gsize size;
  GBytes *bytes;          /* owns @data when not NULL */
  gint ref_count;         /* 0 for a borrowed view */
  gpointer _padding[4];
};

#define RTMP_CORE_TYPE_MESSAGE (rtmp_core_message_get_type ())

RTMP_CORE_API
GType rtmp_core_message_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new (guint8 type, guint32 chunk_stream_id,
    guint32 stream_id, guint32 timestamp, GBytes * payload);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_take (guint8 type, guint32 chunk_stream_id,
    guint32 stream_id, guint32 timestamp, guint8 * data, gsize size);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_ref (RtmpCoreMessage * msg);

RTMP_CORE_API
void rtmp_core_message_unref (RtmpCoreMessage * msg);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_copy (const RtmpCoreMessage * msg);

RTMP_CORE_API
GBytes *rtmp_core_message_get_payload (const RtmpCoreMessage * msg);

RTMP_CORE_API
const guint8 *rtmp_core_message_peek_data (const RtmpCoreMessage * msg, gsize * size);

RTMP_CORE_API
gsize rtmp_core_message_get_size (const RtmpCoreMessage * msg);

RTMP_CORE_API
gboolean rtmp_core_message_is_media (const RtmpCoreMessage * msg);

/* Protocol control messages (chunk stream 2, message stream 0) */

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_set_chunk_size (guint32 chunk_size);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_abort (guint32 chunk_stream_id);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_acknowledgement (guint32 sequence_number);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_window_ack_size (guint32 window_size);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_set_peer_bandwidth (guint32 window_size,
    RtmpCoreBandwidthLimit limit);

RTMP_CORE_API
gboolean rtmp_core_message_parse_uint32 (const RtmpCoreMessage * msg,
    guint32 * value, GError ** error);

RTMP_CORE_API
gboolean rtmp_core_message_parse_set_peer_bandwidth (const RtmpCoreMessage * msg,
    guint32 * window_size, RtmpCoreBandwidthLimit * limit, GError ** error);

/* User control messages (type 4, chunk stream 2, message stream 0) */

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_message_new_user_control (RtmpCoreUserControlEvent event,
    guint32 value, guint32 value2);

RTMP_CORE_API
gboolean rtmp_core_message_parse_user_control (const RtmpCoreMessage * msg,
    guint * event, guint32 * value, guint32 * value2, GError ** error);

/* Aggregate messages (type 22) */

RTMP_CORE_API
GPtrArray *rtmp_core_message_split_aggregate (const RtmpCoreMessage * msg,
    GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreMessage, rtmp_core_message_unref)

G_END_DECLS
