/* RtmpCoreChunkWriter: splits messages into chunks as vectored output.
 *
 * Headers (and very small chunk bodies) go into an arena; payload slices
 * point into the messages. The arena may move while messages are added, so
 * slices record arena offsets, and rtmp_core_chunk_writer_get_vectors()
 * turns them into pointers. */
#include "rtmp-chunk-writer.h"
#include "rtmp-error.h"
#include "rtmp-timestamp.h"
#include "rtmp-bytes-private.h"

#include <string.h>

#define N_LOW_CSIDS 64
#define MIN_CSID 2
#define MAX_CSID 65599
#define MAX_MESSAGE_SIZE 0xFFFFFF
#define EXTENDED_TIMESTAMP 0xFFFFFF
/* 3-byte basic header, 11-byte type 0 header, 4-byte extended timestamp. */
#define MAX_HEADER_SIZE 18
/* Type 3 basic header plus a repeated extended timestamp. */
#define MAX_CONTINUATION_HEADER_SIZE 7
/* Chunk bodies shorter than this are copied next to their header rather
 * than given a slice of their own. */
#define COPY_THRESHOLD 64
/* clear() gives back buffers that grew beyond this (tiny chunk sizes). */
#define MAX_KEPT_ARENA (4 * 1024 * 1024)

typedef struct {
  gboolean has_header;
  /* @delta came from a type 1 or 2 header, so a type 3 header may start a
   * new message with it: after a type 0 header readers disagree. */
  gboolean delta_valid;
  guint8 type;
  guint32 stream_id;
  guint32 length;
  guint32 timestamp;
  guint32 delta;
} WriterStream;

typedef struct {
  const guint8 *data;           /* NULL for a slice of the arena */
  gsize offset;                 /* into the arena */
  gsize size;
} Slice;

struct _RtmpCoreChunkWriter {
  gint ref_count;
  guint32 chunk_size;
  gboolean repeat_ext;

  WriterStream low[N_LOW_CSIDS];
  GHashTable *high;             /* csid -> WriterStream */

  guint8 *arena;
  gsize arena_len;
  gsize arena_size;

  Slice *slices;
  gsize n_slices;
  gsize slices_size;

  GOutputVector *vectors;
  gsize vectors_size;

  gsize pending;
};

G_DEFINE_BOXED_TYPE (RtmpCoreChunkWriter, rtmp_core_chunk_writer,
    rtmp_core_chunk_writer_ref, rtmp_core_chunk_writer_unref)

/**
 * rtmp_core_chunk_writer_new:
 *
 * Makes a writer with chunk size 128 that repeats the extended timestamp
 * in continuation chunks.
 *
 * Returns: (transfer full): a new writer
 *
 * Since: 0.1
 */
RtmpCoreChunkWriter *
rtmp_core_chunk_writer_new (void)
{
  RtmpCoreChunkWriter *writer = g_new0 (RtmpCoreChunkWriter, 1);

  writer->ref_count = 1;
  writer->chunk_size = 128;
  writer->repeat_ext = TRUE;
  return writer;
}

/**
 * rtmp_core_chunk_writer_ref:
 * @writer: a writer
 *
 * Adds a reference to @writer. The count itself is atomic, but the writer
 * is not thread-safe: every holder must use it from the same thread.
 *
 * Returns: (transfer full): @writer
 *
 * Since: 0.1
 */
RtmpCoreChunkWriter *
rtmp_core_chunk_writer_ref (RtmpCoreChunkWriter * writer)
{
  g_return_val_if_fail (writer != NULL, NULL);
  g_atomic_int_inc (&writer->ref_count);
  return writer;
}

/**
 * rtmp_core_chunk_writer_unref:
 * @writer: (transfer full): a writer
 *
 * Drops a reference; the last one frees the writer.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_writer_unref (RtmpCoreChunkWriter * writer)
{
  g_return_if_fail (writer != NULL);
  if (!g_atomic_int_dec_and_test (&writer->ref_count))
    return;

  g_clear_pointer (&writer->high, g_hash_table_unref);
  g_free (writer->arena);
  g_free (writer->slices);
  g_free (writer->vectors);
  g_free (writer);
}

/**
 * rtmp_core_chunk_writer_set_chunk_size:
 * @writer: a writer
 * @chunk_size: the new outgoing chunk size, 1..0x7FFFFFFF
 * @error: return location for a #GError
 *
 * Sets the chunk size for the messages written from now on. The writer
 * does not announce it: the caller sends the Set Chunk Size message first
 * (with the old size in force). Sizes above 0xFFFFFF behave like 0xFFFFFF
 * since no message is longer.
 *
 * Returns: %TRUE, or %FALSE with %RTMP_CORE_ERROR_CHUNK_SIZE if @chunk_size
 *   is out of range
 *
 * Since: 0.1
 */
gboolean
rtmp_core_chunk_writer_set_chunk_size (RtmpCoreChunkWriter * writer,
    guint32 chunk_size, GError ** error)
{
  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (chunk_size == 0 || chunk_size > 0x7FFFFFFF) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CHUNK_SIZE,
        "chunk size %u (0x%08x) is invalid, valid is 1..0x7FFFFFFF",
        chunk_size, chunk_size);
    return FALSE;
  }
  writer->chunk_size = chunk_size;
  return TRUE;
}

/**
 * rtmp_core_chunk_writer_get_chunk_size:
 * @writer: a writer
 *
 * Gets the size the writer splits outgoing messages by: 128 until changed
 * with rtmp_core_chunk_writer_set_chunk_size().
 *
 * Returns: the outgoing chunk size
 *
 * Since: 0.1
 */
guint32
rtmp_core_chunk_writer_get_chunk_size (RtmpCoreChunkWriter * writer)
{
  g_return_val_if_fail (writer != NULL, 0);
  return writer->chunk_size;
}

/**
 * rtmp_core_chunk_writer_set_extended_timestamp_in_continuation:
 * @writer: a writer
 * @repeat: whether type 3 chunks repeat the extended timestamp field
 *
 * The specification, and ffmpeg, repeat the 4-byte extended timestamp in
 * every continuation chunk of a message that uses it (%TRUE, the default).
 * OBS's librtmp leaves it out (%FALSE). Readers that peek at the field
 * accept both.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_writer_set_extended_timestamp_in_continuation (RtmpCoreChunkWriter * writer,
    gboolean repeat)
{
  g_return_if_fail (writer != NULL);
  writer->repeat_ext = ! !repeat;
}

static WriterStream *
get_stream (RtmpCoreChunkWriter * writer, guint32 csid)
{
  WriterStream *ws;

  if (csid < N_LOW_CSIDS)
    return &writer->low[csid];
  if (writer->high == NULL)
    writer->high = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  ws = g_hash_table_lookup (writer->high, GUINT_TO_POINTER (csid));
  if (ws == NULL) {
    ws = g_new0 (WriterStream, 1);
    g_hash_table_insert (writer->high, GUINT_TO_POINTER (csid), ws);
  }
  return ws;
}

/* Decides the header type for @msg and updates the stream's state.
 * *@field receives the timestamp or delta the header carries. */
static guint
choose_format (WriterStream * ws, const RtmpCoreMessage * msg,
    guint32 * field)
{
  guint32 delta = msg->timestamp - ws->timestamp;
  guint fmt;

  if (!ws->has_header || ws->stream_id != msg->stream_id
      || rtmp_core_timestamp_diff (msg->timestamp, ws->timestamp) < 0) {
    fmt = 0;
    *field = msg->timestamp;
  } else if (ws->length != msg->size || ws->type != msg->type) {
    fmt = 1;
    *field = delta;
  } else if (ws->delta_valid && delta == ws->delta
      && delta < EXTENDED_TIMESTAMP) {
    /* An extended delta goes in a type 2 header instead: readers differ on
     * whether a new message's type 3 header carries the field. */
    fmt = 3;
    *field = delta;
  } else {
    fmt = 2;
    *field = delta;
  }

  ws->has_header = TRUE;
  ws->delta_valid = fmt != 0;
  ws->type = msg->type;
  ws->stream_id = msg->stream_id;
  ws->length = msg->size;
  ws->timestamp = msg->timestamp;
  ws->delta = *field;
  return fmt;
}

static inline guint8 *
put_basic_header (guint8 * p, guint fmt, guint32 csid)
{
  if (csid < 64) {
    *p++ = (fmt << 6) | csid;
  } else if (csid < 320) {
    *p++ = fmt << 6;
    *p++ = csid - 64;
  } else {
    *p++ = (fmt << 6) | 1;
    *p++ = (csid - 64) & 0xff;
    *p++ = (csid - 64) >> 8;
  }
  return p;
}

static void
reserve (RtmpCoreChunkWriter * writer, gsize arena_need, gsize slices_need)
{
  if (arena_need > writer->arena_size - writer->arena_len) {
    gsize size = MAX (writer->arena_size * 2, 256);

    size = MAX (size, writer->arena_len + arena_need);
    writer->arena = g_realloc (writer->arena, size);
    writer->arena_size = size;
  }
  if (slices_need > writer->slices_size - writer->n_slices) {
    gsize size = MAX (writer->slices_size * 2, 16);

    size = MAX (size, writer->n_slices + slices_need);
    writer->slices = g_renew (Slice, writer->slices, size);
    writer->slices_size = size;
  }
}

/* Records arena bytes [start, arena_len) as output, growing the previous
 * slice when it ends right there. */
static void
close_arena_slice (RtmpCoreChunkWriter * writer, gsize start)
{
  gsize size = writer->arena_len - start;
  Slice *last = writer->n_slices ? &writer->slices[writer->n_slices - 1] : NULL;

  if (size == 0)
    return;
  if (last && last->data == NULL && last->offset + last->size == start) {
    last->size += size;
  } else {
    Slice *s = &writer->slices[writer->n_slices++];

    s->data = NULL;
    s->offset = start;
    s->size = size;
  }
  writer->pending += size;
}

/**
 * rtmp_core_chunk_writer_write:
 * @writer: a writer
 * @msg: (transfer none): the message to send, on its @chunk_stream_id
 *   (2..65599)
 * @error: return location for a #GError
 *
 * Appends the chunks of @msg to the pending output, each with the smallest
 * header the receiver can decode unambiguously. The payload is not copied
 * (except chunk bodies under 64 bytes): keep @msg alive until the output
 * was written and rtmp_core_chunk_writer_clear() was called.
 *
 * Returns: %TRUE, or %FALSE with %RTMP_CORE_ERROR_MESSAGE_TOO_LARGE if the
 *   payload is longer than the 0xFFFFFF bytes a message can carry
 *
 * Since: 0.1
 */
gboolean
rtmp_core_chunk_writer_write (RtmpCoreChunkWriter * writer,
    const RtmpCoreMessage * msg, GError ** error)
{
  WriterStream *ws;
  guint32 field, chunk_size, csid;
  guint fmt;
  gboolean ext;
  gsize n_chunks, off, start;
  guint8 *p;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (msg->chunk_stream_id >= MIN_CSID
      && msg->chunk_stream_id <= MAX_CSID, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (msg->size > MAX_MESSAGE_SIZE) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE,
        "message of %" G_GSIZE_FORMAT " bytes, the most a message can carry "
        "is %u", msg->size, MAX_MESSAGE_SIZE);
    return FALSE;
  }

  csid = msg->chunk_stream_id;
  ws = get_stream (writer, csid);
  fmt = choose_format (ws, msg, &field);
  ext = field >= EXTENDED_TIMESTAMP;
  chunk_size = MIN (writer->chunk_size, MAX_MESSAGE_SIZE);
  n_chunks = msg->size ? (msg->size - 1) / chunk_size + 1 : 1;

  /* Worst case: every continuation header at full size, and either every
   * body copied (tiny chunks) or only the last one. */
  reserve (writer, MAX_HEADER_SIZE
      + (n_chunks - 1) * MAX_CONTINUATION_HEADER_SIZE
      + (chunk_size < COPY_THRESHOLD ? msg->size : COPY_THRESHOLD),
      2 * n_chunks);

  start = writer->arena_len;
  p = put_basic_header (writer->arena + start, fmt, csid);
  if (fmt != 3) {
    rtmp_write_u24_be (p, ext ? EXTENDED_TIMESTAMP : field);
    p += 3;
  }
  if (fmt <= 1) {
    rtmp_write_u24_be (p, msg->size);
    p[3] = msg->type;
    p += 4;
  }
  if (fmt == 0) {
    rtmp_write_u32_le (p, msg->stream_id);
    p += 4;
  }
  if (ext) {
    rtmp_write_u32_be (p, field);
    p += 4;
  }

  off = 0;
  for (;;) {
    gsize body = MIN (chunk_size, msg->size - off);

    if (body < COPY_THRESHOLD) {
      if (body > 0)
        memcpy (p, msg->data + off, body);
      p += body;
      writer->arena_len = p - writer->arena;
      close_arena_slice (writer, start);
    } else {
      Slice *s;

      writer->arena_len = p - writer->arena;
      close_arena_slice (writer, start);
      s = &writer->slices[writer->n_slices++];
      s->data = msg->data + off;
      s->size = body;
      writer->pending += body;
    }
    off += body;
    if (off >= msg->size)
      break;

    start = writer->arena_len;
    p = put_basic_header (writer->arena + start, 3, csid);
    if (ext && writer->repeat_ext) {
      rtmp_write_u32_be (p, field);
      p += 4;
    }
  }
  return TRUE;
}

/**
 * rtmp_core_chunk_writer_get_vectors: (skip)
 * @writer: a writer
 * @n_vectors: (out): the number of vectors
 *
 * Gives the pending output as slices for g_output_stream_writev(). They
 * stay valid until the next call that changes the writer.
 *
 * Returns: (array length=n_vectors): the slices, owned by @writer
 *
 * Since: 0.1
 */
const GOutputVector *
rtmp_core_chunk_writer_get_vectors (RtmpCoreChunkWriter * writer,
    gsize * n_vectors)
{
  gsize i;

  g_return_val_if_fail (writer != NULL, NULL);
  g_return_val_if_fail (n_vectors != NULL, NULL);

  if (writer->n_slices > writer->vectors_size) {
    writer->vectors_size = MAX (writer->n_slices, writer->vectors_size * 2);
    writer->vectors = g_renew (GOutputVector, writer->vectors,
        writer->vectors_size);
  }
  for (i = 0; i < writer->n_slices; i++) {
    const Slice *s = &writer->slices[i];

    writer->vectors[i].buffer = s->data ? s->data : writer->arena + s->offset;
    writer->vectors[i].size = s->size;
  }
  *n_vectors = writer->n_slices;
  return writer->vectors;
}

/**
 * rtmp_core_chunk_writer_get_pending_size:
 * @writer: a writer
 *
 * Gets the total length of the pending output, chunk headers included:
 * the number of bytes the slices from rtmp_core_chunk_writer_get_vectors()
 * add up to. Useful to size a write or to account for queued data.
 *
 * Returns: the number of bytes written since the last clear
 *
 * Since: 0.1
 */
gsize
rtmp_core_chunk_writer_get_pending_size (RtmpCoreChunkWriter * writer)
{
  g_return_val_if_fail (writer != NULL, 0);
  return writer->pending;
}

/**
 * rtmp_core_chunk_writer_clear:
 * @writer: a writer
 *
 * Drops the pending output once the caller has sent it. The chunk streams'
 * header state is kept. Buffers are kept for reuse unless a tiny chunk
 * size made them unusually large.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_writer_clear (RtmpCoreChunkWriter * writer)
{
  g_return_if_fail (writer != NULL);

  writer->arena_len = 0;
  writer->n_slices = 0;
  writer->pending = 0;
  if (writer->arena_size > MAX_KEPT_ARENA) {
    g_clear_pointer (&writer->arena, g_free);
    writer->arena_size = 0;
  }
  if (writer->slices_size * sizeof (Slice) > MAX_KEPT_ARENA) {
    g_clear_pointer (&writer->slices, g_free);
    writer->slices_size = 0;
    g_clear_pointer (&writer->vectors, g_free);
    writer->vectors_size = 0;
  }
}

/**
 * rtmp_core_chunk_writer_write_bytes:
 * @writer: a writer
 * @msg: (transfer none): the message to send
 * @error: return location for a #GError
 *
 * Writes @msg like rtmp_core_chunk_writer_write(), then returns all the
 * pending output as one buffer and clears it. Meant for bindings and tests.
 *
 * Returns: (transfer full) (nullable): the bytes to send, or %NULL on error
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_chunk_writer_write_bytes (RtmpCoreChunkWriter * writer,
    const RtmpCoreMessage * msg, GError ** error)
{
  const GOutputVector *vectors;
  gsize n, i, off = 0;
  guint8 *out;

  g_return_val_if_fail (writer != NULL, NULL);

  if (!rtmp_core_chunk_writer_write (writer, msg, error))
    return NULL;

  vectors = rtmp_core_chunk_writer_get_vectors (writer, &n);
  out = g_malloc (writer->pending);
  for (i = 0; i < n; i++) {
    memcpy (out + off, vectors[i].buffer, vectors[i].size);
    off += vectors[i].size;
  }
  rtmp_core_chunk_writer_clear (writer);
  return g_bytes_new_take (out, off);
}

/**
 * rtmp_core_chunk_writer_reset:
 * @writer: a writer
 *
 * Forgets every chunk stream's header state, so the next message on each
 * gets a type 0 header, and drops the pending output. The chunk size is
 * kept.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_writer_reset (RtmpCoreChunkWriter * writer)
{
  g_return_if_fail (writer != NULL);

  memset (writer->low, 0, sizeof (writer->low));
  if (writer->high)
    g_hash_table_remove_all (writer->high);
  rtmp_core_chunk_writer_clear (writer);
}
