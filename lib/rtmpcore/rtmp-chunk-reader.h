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
 * so steady-state reading allocates nothing.
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
guint rtmp_core_chunk_reader_get_n_partial_messages (RtmpCoreChunkReader * reader);

RTMP_CORE_API
gboolean rtmp_core_chunk_reader_feed (RtmpCoreChunkReader * reader,
    const guint8 * data, gsize size, GError ** error);

RTMP_CORE_API
GPtrArray *rtmp_core_chunk_reader_feed_bytes (RtmpCoreChunkReader * reader,
    GBytes * data, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreChunkReader, rtmp_core_chunk_reader_unref)

G_END_DECLS
