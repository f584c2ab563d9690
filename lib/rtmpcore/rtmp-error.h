/* The single error domain of librtmpcore. */
#pragma once

#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_ERROR:
 *
 * The error domain of librtmpcore. Errors from GIO (#G_IO_ERROR) are passed
 * through unchanged; everything the RTMP layer itself detects uses this
 * domain with a #RtmpCoreError code.
 *
 * Since: 0.1
 */
#define RTMP_CORE_ERROR (rtmp_core_error_quark ())

/**
 * RtmpCoreError:
 * @RTMP_CORE_ERROR_FAILED: an error that fits no other code
 * @RTMP_CORE_ERROR_BAD_VERSION: the peer's handshake version byte is not 3
 *   (6 means RTMPE, which is not supported)
 * @RTMP_CORE_ERROR_HANDSHAKE: the handshake is malformed or its digest is wrong
 * @RTMP_CORE_ERROR_PROTOCOL: a chunk stream rule was broken (e.g. a header
 *   change while a message is partial, or a continuation with no prior header)
 * @RTMP_CORE_ERROR_CHUNK_SIZE: a Set Chunk Size outside 1..0x7FFFFFFF, or
 *   above the configured maximum
 * @RTMP_CORE_ERROR_MESSAGE_TOO_LARGE: a message is longer than the configured
 *   maximum message size
 * @RTMP_CORE_ERROR_TOO_MANY_STREAMS: more chunk streams hold partial messages
 *   than the configured maximum
 * @RTMP_CORE_ERROR_MALFORMED: a message, AMF value or FLV tag cannot be parsed
 * @RTMP_CORE_ERROR_LIMIT: an AMF nesting depth or element count limit was hit
 * @RTMP_CORE_ERROR_UNSUPPORTED: valid but not supported input
 * @RTMP_CORE_ERROR_REFUSED: the peer refused the connection, the publish or
 *   the play (the message carries the peer's status text)
 * @RTMP_CORE_ERROR_UNAUTHORIZED: the peer asked for credentials, or rejected
 *   the ones given
 * @RTMP_CORE_ERROR_STREAM_NOT_FOUND: the requested stream does not exist
 * @RTMP_CORE_ERROR_TIMEOUT: the peer did not answer in time
 * @RTMP_CORE_ERROR_CLOSED: the peer closed the connection
 * @RTMP_CORE_ERROR_QUEUE_FULL: the output queue is over its limit
 * @RTMP_CORE_ERROR_INVALID_URL: a location could not be parsed
 *
 * Error codes in the #RTMP_CORE_ERROR domain.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_ERROR_FAILED,
  RTMP_CORE_ERROR_BAD_VERSION,
  RTMP_CORE_ERROR_HANDSHAKE,
  RTMP_CORE_ERROR_PROTOCOL,
  RTMP_CORE_ERROR_CHUNK_SIZE,
  RTMP_CORE_ERROR_MESSAGE_TOO_LARGE,
  RTMP_CORE_ERROR_TOO_MANY_STREAMS,
  RTMP_CORE_ERROR_MALFORMED,
  RTMP_CORE_ERROR_LIMIT,
  RTMP_CORE_ERROR_UNSUPPORTED,
  RTMP_CORE_ERROR_REFUSED,
  RTMP_CORE_ERROR_UNAUTHORIZED,
  RTMP_CORE_ERROR_STREAM_NOT_FOUND,
  RTMP_CORE_ERROR_TIMEOUT,
  RTMP_CORE_ERROR_CLOSED,
  RTMP_CORE_ERROR_QUEUE_FULL,
  RTMP_CORE_ERROR_INVALID_URL,
} RtmpCoreError;

RTMP_CORE_API
GQuark rtmp_core_error_quark (void);

G_END_DECLS
