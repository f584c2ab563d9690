/* Sans-IO chunk stream writer: messages in, header/payload slices out. */
#pragma once

#include <gio/gio.h>
#include "rtmpcore-prelude.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/**
 * RtmpCoreChunkWriter:
 *
 * Splits messages into chunks with the smallest legal header for each. The
 * output is a list of #GOutputVector slices for a vectored write: chunk
 * headers live in the writer's own buffer, payload slices point into the
 * messages, which the caller keeps alive until it has written the slices
 * and called rtmp_core_chunk_writer_clear(). Very small chunks are copied
 * next to their headers so tiny chunk sizes do not explode the slice count.
 *
 * Not thread-safe: use one writer from one thread.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreChunkWriter RtmpCoreChunkWriter;

#define RTMP_CORE_TYPE_CHUNK_WRITER (rtmp_core_chunk_writer_get_type ())

RTMP_CORE_API
GType rtmp_core_chunk_writer_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreChunkWriter *rtmp_core_chunk_writer_new (void);

RTMP_CORE_API
RtmpCoreChunkWriter *rtmp_core_chunk_writer_ref (RtmpCoreChunkWriter * writer);

RTMP_CORE_API
void rtmp_core_chunk_writer_unref (RtmpCoreChunkWriter * writer);

RTMP_CORE_API
gboolean rtmp_core_chunk_writer_set_chunk_size (RtmpCoreChunkWriter * writer,
    guint32 chunk_size, GError ** error);

RTMP_CORE_API
guint32 rtmp_core_chunk_writer_get_chunk_size (RtmpCoreChunkWriter * writer);

RTMP_CORE_API
void rtmp_core_chunk_writer_set_extended_timestamp_in_continuation (RtmpCoreChunkWriter * writer,
    gboolean repeat);

RTMP_CORE_API
gboolean rtmp_core_chunk_writer_write (RtmpCoreChunkWriter * writer,
    const RtmpCoreMessage * msg, GError ** error);

RTMP_CORE_API
const GOutputVector *rtmp_core_chunk_writer_get_vectors (RtmpCoreChunkWriter * writer,
    gsize * n_vectors);

RTMP_CORE_API
gsize rtmp_core_chunk_writer_get_pending_size (RtmpCoreChunkWriter * writer);

RTMP_CORE_API
void rtmp_core_chunk_writer_clear (RtmpCoreChunkWriter * writer);

RTMP_CORE_API
GBytes *rtmp_core_chunk_writer_write_bytes (RtmpCoreChunkWriter * writer,
    const RtmpCoreMessage * msg, GError ** error);

RTMP_CORE_API
void rtmp_core_chunk_writer_reset (RtmpCoreChunkWriter * writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreChunkWriter, rtmp_core_chunk_writer_unref)

G_END_DECLS
