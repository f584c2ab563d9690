/* Sans-IO chunk stream reader: bytes in, whole messages out. */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE:
 *
 * Default cap on one message's length: 8 MiB (the wire allows 16 MiB - 1).
 *
 * Since: 0.1
 */
#define RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE (8 * 1024 * 1024)

/**
 * RTMP_CORE_DEFAULT_MAX_PARTIAL_MESSAGES:
 *
 * Default cap on the number of chunk streams holding a partial message.
 *
 * Since: 0.1
 */
#define RTMP_CORE_DEFAULT_MAX_PARTIAL_MESSAGES 64

/**
 * RTMP_CORE_DEFAULT_MAX_CHUNK_SIZE:
 *
 * Default cap on the peer's chunk size: the protocol maximum 0x7FFFFFFF.
 * Values above 0xFFFFFF behave like 0xFFFFFF since no message is longer.
 *
 * Since: 0.1
 */
#define RTMP_CORE_DEFAULT_MAX_CHUNK_SIZE 0x7FFFFFFF

/**
 * RTMP_CORE_CHUNK_READER_MAX_CHUNK_STREAMS:
 *
 * The most chunk streams one reader tracks. A peer that opens more fails
 * with %RTMP_CORE_ERROR_TOO_MANY_STREAMS: real peers use a handful, and each
 * tracked stream costs memory.
 *
 * Since: 0.1
 */
#define RTMP_CORE_CHUNK_READER_MAX_CHUNK_STREAMS 1024

/**
 * RtmpCoreChunkReaderFunc:
 * @msg: (transfer none): a complete message, a view valid only during the call
 * @user_data: user data
 *
 * Receives each complete message. Protocol control messages (Set Chunk Size,
 * Abort) are applied by the reader itself before they are reported.
 *
 * Since: 0.1
 */
typedef void (*RtmpCoreChunkReaderFunc) (const RtmpCoreMessage * msg,
    gpointer user_data);

/**
 * RtmpCoreChunkReader:
 *
 * Reassembles RTMP messages from a chunk stream. Feed it bytes in any split;
 * it calls back once per complete message. It never allocates from a
 * declared length: reassembly buffers grow as data arrives, and are reused,
 * so steady-state reading allocates nothing. A message that fits in one
 * chunk and arrives whole in one feed is reported straight from the fed
 * bytes, without a copy.
 *
 * Set Chunk Size (type 1) and Abort (type 2) messages on message stream 0
 * are applied by the reader itself, then reported like any other message.
 *
 * Peers disagree on whether type 3 chunks repeat a 4-byte extended
 * timestamp. The reader takes the 4 bytes after a type 3 header as that
 * field only if they equal it, otherwise as payload. When fewer than 4
 * bytes have arrived and they match so far, it waits for more rather than
 * guess; this can only delay a message whose last chunk is shorter than
 * 4 bytes until the peer sends anything else.
 *
 * Only a type 3 header continues a partial message: a type 0, 1 or 2
 * header on a chunk stream holding one is a %RTMP_CORE_ERROR_PROTOCOL
 * error, even when it restates the message's length and type.
 *
 * Not thread-safe: use one reader from one thread.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreChunkReader RtmpCoreChunkReader;

#define RTMP_CORE_TYPE_CHUNK_READER (rtmp_core_chunk_reader_get_type ())

RTMP_CORE_API
GType rtmp_core_chunk_reader_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreChunkReader *rtmp_core_chunk_reader_new (void);

RTMP_CORE_API
RtmpCoreChunkReader *rtmp_core_chunk_reader_ref (RtmpCoreChunkReader * reader);

RTMP_CORE_API
void rtmp_core_chunk_reader_unref (RtmpCoreChunkReader * reader);

RTMP_CORE_API
void rtmp_core_chunk_reader_set_callback (RtmpCoreChunkReader * reader,
    RtmpCoreChunkReaderFunc func, gpointer user_data, GDestroyNotify notify);

RTMP_CORE_API
void rtmp_core_chunk_reader_set_max_message_size (RtmpCoreChunkReader * reader,
    guint32 max_size);

RTMP_CORE_API
void rtmp_core_chunk_reader_set_max_partial_messages (RtmpCoreChunkReader * reader,
    guint max_partial);

RTMP_CORE_API
void rtmp_core_chunk_reader_set_max_chunk_size (RtmpCoreChunkReader * reader,
    guint32 max_chunk_size);

RTMP_CORE_API
void rtmp_core_chunk_reader_set_chunk_size (RtmpCoreChunkReader * reader,
    guint32 chunk_size);

RTMP_CORE_API
guint32 rtmp_core_chunk_reader_get_chunk_size (RtmpCoreChunkReader * reader);

RTMP_CORE_API
void rtmp_core_chunk_reader_set_type3_after_type0_repeats_timestamp (RtmpCoreChunkReader * reader,
    gboolean repeats);

RTMP_CORE_API
guint rtmp_core_chunk_reader_get_n_partial_messages (RtmpCoreChunkReader * reader);

RTMP_CORE_API
gboolean rtmp_core_chunk_reader_feed (RtmpCoreChunkReader * reader,
    const guint8 * data, gsize size, GError ** error);

RTMP_CORE_API
GPtrArray *rtmp_core_chunk_reader_feed_bytes (RtmpCoreChunkReader * reader,
    GBytes * data, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreChunkReader, rtmp_core_chunk_reader_unref)

G_END_DECLS
