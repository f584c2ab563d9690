/* RtmpCoreChunkReader: reassembles RTMP messages from chunks.
 *
 * The feed loop alternates between two steps: parse one whole chunk header
 * (from the input, or from a small stash when a header is split across
 * feeds), then take as much of that chunk's body as the input holds with a
 * single memcpy. A message that fits in one chunk and arrives whole is
 * reported straight from the input without any copy. */
#include "rtmp-chunk-reader.h"
#include "rtmp-error.h"
#include "rtmp-bytes-private.h"

#include <string.h>

/* Chunk streams below this id live in an array inside the reader. */
#define N_LOW_CSIDS 64
/* 3-byte basic header, 11-byte type 0 header, 4-byte extended timestamp. */
#define MAX_HEADER_SIZE 18
#define EXTENDED_TIMESTAMP 0xFFFFFF
#define MAX_CSID 65599
/* Finished messages leave their reassembly buffer with the chunk stream for
 * the next message; only this many idle buffers are kept, so a peer cycling
 * through many chunk streams cannot pin memory. */
#define MAX_IDLE_BUFFERS 8
#define MIN_BUFFER_SIZE 4096

typedef struct {
  gboolean has_header;
  /* A header started a message whose body is not complete yet. */
  gboolean in_message;
  /* The last full header was type 0, which decides the delta of a type 3
   * header that starts a new message. */
  gboolean after_type0;
  /* The last full header used the extended timestamp field, holding
   * @ext_value: type 3 chunks may repeat it. */
  gboolean ext;
  guint32 ext_value;

  guint32 csid;
  guint8 type;
  guint32 stream_id;
  guint32 length;
  guint32 timestamp;
  guint32 delta;

  guint8 *buf;
  gsize buf_size;
  gsize filled;
} ChunkStream;

typedef struct {
  guint fmt;
  guint32 csid;
  guint32 field;                /* timestamp or delta, extended included */
  gboolean ext;
  guint32 length;
  guint8 type;
  guint32 stream_id;
} ChunkHeader;

struct _RtmpCoreChunkReader {
  gint ref_count;

  RtmpCoreChunkReaderFunc func;
  gpointer user_data;
  GDestroyNotify notify;
  GPtrArray *collect;           /* set during feed_bytes() */

  guint32 max_message_size;
  guint max_partial;
  guint32 max_chunk_size;
  guint32 chunk_size;
  gboolean type3_repeats;

  ChunkStream low[N_LOW_CSIDS];
  GHashTable *high;             /* csid -> ChunkStream, created on demand */
  guint n_streams;
  guint n_partial;
  guint n_idle_buffers;

  /* The chunk whose body is being read, or NULL between chunks. */
  ChunkStream *cur;
  guint32 chunk_left;

  guint8 stash[MAX_HEADER_SIZE];
  gsize stash_len;

  gboolean feeding;
  GError *error;                /* sticky: once failed, always failed */
};

G_DEFINE_BOXED_TYPE (RtmpCoreChunkReader, rtmp_core_chunk_reader,
    rtmp_core_chunk_reader_ref, rtmp_core_chunk_reader_unref)

static void
chunk_stream_free (gpointer data)
{
  ChunkStream *cs = data;

  g_free (cs->buf);
  g_free (cs);
}

/**
 * rtmp_core_chunk_reader_new:
 *
 * Makes a reader with chunk size 128, the default limits
 * (%RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE, %RTMP_CORE_DEFAULT_MAX_PARTIAL_MESSAGES,
 * %RTMP_CORE_DEFAULT_MAX_CHUNK_SIZE) and the specification's reading of a
 * type 3 header after a type 0 header.
 *
 * Returns: (transfer full): a new reader
 *
 * Since: 0.1
 */
RtmpCoreChunkReader *
rtmp_core_chunk_reader_new (void)
{
  RtmpCoreChunkReader *reader = g_new0 (RtmpCoreChunkReader, 1);

  reader->ref_count = 1;
  reader->max_message_size = RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE;
  reader->max_partial = RTMP_CORE_DEFAULT_MAX_PARTIAL_MESSAGES;
  reader->max_chunk_size = RTMP_CORE_DEFAULT_MAX_CHUNK_SIZE;
  reader->chunk_size = 128;
  reader->type3_repeats = TRUE;
  return reader;
}

/**
 * rtmp_core_chunk_reader_ref:
 * @reader: a reader
 *
 * Adds a reference to @reader. The count itself is atomic, but the reader
 * is not thread-safe: every holder must use it from the same thread.
 *
 * Returns: (transfer full): @reader
 *
 * Since: 0.1
 */
RtmpCoreChunkReader *
rtmp_core_chunk_reader_ref (RtmpCoreChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, NULL);
  g_atomic_int_inc (&reader->ref_count);
  return reader;
}

/**
 * rtmp_core_chunk_reader_unref:
 * @reader: (transfer full): a reader
 *
 * Drops a reference; the last one frees the reader, its buffers and the
 * callback's user data.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_unref (RtmpCoreChunkReader * reader)
{
  guint i;

  g_return_if_fail (reader != NULL);
  if (!g_atomic_int_dec_and_test (&reader->ref_count))
    return;

  if (reader->notify)
    reader->notify (reader->user_data);
  for (i = 0; i < N_LOW_CSIDS; i++)
    g_free (reader->low[i].buf);
  g_clear_pointer (&reader->high, g_hash_table_unref);
  g_clear_error (&reader->error);
  g_free (reader);
}

/**
 * rtmp_core_chunk_reader_set_callback:
 * @reader: a reader
 * @func: (scope notified) (closure user_data) (destroy notify) (nullable):
 *   called once per complete message
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data when replaced or when @reader is freed
 *
 * Sets the function that receives complete messages from
 * rtmp_core_chunk_reader_feed().
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_set_callback (RtmpCoreChunkReader * reader,
    RtmpCoreChunkReaderFunc func, gpointer user_data, GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (reader != NULL);
  old_notify = reader->notify;
  old_data = reader->user_data;
  reader->func = func;
  reader->user_data = user_data;
  reader->notify = notify;
  if (old_notify)
    old_notify (old_data);
}

/**
 * rtmp_core_chunk_reader_set_max_message_size:
 * @reader: a reader
 * @max_size: the longest message accepted, in bytes
 *
 * A header announcing a longer message fails the reader with
 * %RTMP_CORE_ERROR_MESSAGE_TOO_LARGE. The wire cannot carry more than
 * 0xFFFFFF bytes anyway.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_set_max_message_size (RtmpCoreChunkReader * reader,
    guint32 max_size)
{
  g_return_if_fail (reader != NULL);
  reader->max_message_size = max_size;
}

/**
 * rtmp_core_chunk_reader_set_max_partial_messages:
 * @reader: a reader
 * @max_partial: how many chunk streams may hold an incomplete message at
 *   once, at least 1
 *
 * One more fails the reader with %RTMP_CORE_ERROR_TOO_MANY_STREAMS. With the
 * maximum message size this bounds the reader's memory.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_set_max_partial_messages (RtmpCoreChunkReader * reader,
    guint max_partial)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (max_partial > 0);
  reader->max_partial = max_partial;
}

/**
 * rtmp_core_chunk_reader_set_max_chunk_size:
 * @reader: a reader
 * @max_chunk_size: the largest chunk size the peer may set, 1..0x7FFFFFFF
 *
 * A Set Chunk Size message above this fails the reader with
 * %RTMP_CORE_ERROR_CHUNK_SIZE.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_set_max_chunk_size (RtmpCoreChunkReader * reader,
    guint32 max_chunk_size)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (max_chunk_size >= 1 && max_chunk_size <= 0x7FFFFFFF);
  reader->max_chunk_size = max_chunk_size;
}

/**
 * rtmp_core_chunk_reader_set_chunk_size:
 * @reader: a reader
 * @chunk_size: the peer's chunk size, 1..0x7FFFFFFF
 *
 * Sets the chunk size for the chunks that follow. The reader applies the
 * peer's Set Chunk Size messages itself, so this is only for a size agreed
 * some other way.
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_set_chunk_size (RtmpCoreChunkReader * reader,
    guint32 chunk_size)
{
  g_return_if_fail (reader != NULL);
  g_return_if_fail (chunk_size >= 1 && chunk_size <= 0x7FFFFFFF);
  reader->chunk_size = chunk_size;
}

/**
 * rtmp_core_chunk_reader_get_chunk_size:
 * @reader: a reader
 *
 * Gets the size the reader currently splits incoming chunks by: 128 at
 * first, then whatever the peer's latest Set Chunk Size message or
 * rtmp_core_chunk_reader_set_chunk_size() set.
 *
 * Returns: the chunk size in force, as the peer announced it (values above
 *   0xFFFFFF behave like 0xFFFFFF)
 *
 * Since: 0.1
 */
guint32
rtmp_core_chunk_reader_get_chunk_size (RtmpCoreChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->chunk_size;
}

/**
 * rtmp_core_chunk_reader_set_type3_after_type0_repeats_timestamp:
 * @reader: a reader
 * @repeats: %TRUE to follow the specification, %FALSE to follow nginx-rtmp
 *   and gortmplib
 *
 * Chooses the timestamp delta of a type 3 header that starts a new message
 * right after a type 0 header. The specification says the delta is the
 * type 0 header's timestamp (the default, %TRUE); nginx-rtmp and gortmplib
 * use a delta of 0, so the new message repeats the timestamp (%FALSE).
 *
 * Since: 0.1
 */
void
rtmp_core_chunk_reader_set_type3_after_type0_repeats_timestamp (RtmpCoreChunkReader * reader,
    gboolean repeats)
{
  g_return_if_fail (reader != NULL);
  reader->type3_repeats = ! !repeats;
}

/**
 * rtmp_core_chunk_reader_get_n_partial_messages:
 * @reader: a reader
 *
 * Counts the messages that have started but not yet been completed, one
 * per chunk stream. Useful to watch memory use against the limit set with
 * rtmp_core_chunk_reader_set_max_partial_messages().
 *
 * Returns: how many chunk streams hold an incomplete message
 *
 * Since: 0.1
 */
guint
rtmp_core_chunk_reader_get_n_partial_messages (RtmpCoreChunkReader * reader)
{
  g_return_val_if_fail (reader != NULL, 0);
  return reader->n_partial;
}

static gboolean fail (RtmpCoreChunkReader * reader, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (RtmpCoreChunkReader * reader, gint code, const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  reader->error = g_error_new_valist (RTMP_CORE_ERROR, code, format, args);
  va_end (args);
  return FALSE;
}

static inline ChunkStream *
lookup_stream (RtmpCoreChunkReader * reader, guint32 csid)
{
  ChunkStream *cs;

  if (G_LIKELY (csid < N_LOW_CSIDS)) {
    cs = &reader->low[csid];
    return cs->has_header ? cs : NULL;
  }
  if (reader->high == NULL)
    return NULL;
  return g_hash_table_lookup (reader->high, GUINT_TO_POINTER (csid));
}

static ChunkStream *
add_stream (RtmpCoreChunkReader * reader, guint32 csid)
{
  ChunkStream *cs;

  if (reader->n_streams >= RTMP_CORE_CHUNK_READER_MAX_CHUNK_STREAMS) {
    fail (reader, RTMP_CORE_ERROR_TOO_MANY_STREAMS,
        "chunk stream %u would be the %u-th chunk stream, more than the "
        "limit of %u", csid, reader->n_streams + 1,
        RTMP_CORE_CHUNK_READER_MAX_CHUNK_STREAMS);
    return NULL;
  }
  if (csid < N_LOW_CSIDS) {
    cs = &reader->low[csid];
  } else {
    if (reader->high == NULL)
      reader->high = g_hash_table_new_full (NULL, NULL, NULL,
          chunk_stream_free);
    cs = g_new0 (ChunkStream, 1);
    g_hash_table_insert (reader->high, GUINT_TO_POINTER (csid), cs);
  }
  cs->has_header = TRUE;
  cs->csid = csid;
  reader->n_streams++;
  return cs;
}

/* Parses the chunk header at @p without changing any state. Returns its
 * length, or 0 when @avail bytes do not hold all of it yet. *@cs_out is the
 * chunk stream it names, if known.
 *
 * A type 3 chunk on a chunk stream whose header used the extended timestamp
 * may or may not repeat the 4-byte field (the specification and ffmpeg do,
 * OBS's librtmp does not). The next bytes are taken as that field only if
 * they equal it. When fewer than 4 bytes are available and they match as
 * far as they go, the reader waits for more rather than guess: a wrong
 * guess would corrupt the stream, while waiting only delays a message whose
 * last chunk is under 4 bytes long until the peer sends anything more. */
static gsize
parse_header (RtmpCoreChunkReader * reader, const guint8 * p, gsize avail,
    ChunkHeader * h, ChunkStream ** cs_out)
{
  static const guint8 sizes[4] = { 11, 7, 3, 0 };
  gsize n;
  guint8 b0 = p[0];
  ChunkStream *cs;

  h->fmt = b0 >> 6;
  switch (b0 & 0x3f) {
    case 0:
      if (avail < 2)
        return 0;
      h->csid = 64 + p[1];
      n = 2;
      break;
    case 1:
      if (avail < 3)
        return 0;
      h->csid = 64 + p[1] + 256 * (guint32) p[2];
      n = 3;
      break;
    default:
      h->csid = b0 & 0x3f;
      n = 1;
      break;
  }

  if (sizes[h->fmt] > avail - n)
    return 0;
  cs = lookup_stream (reader, h->csid);
  *cs_out = cs;

  h->ext = FALSE;
  if (h->fmt == 3) {
    if (cs && cs->ext) {
      guint8 expected[4];
      gsize k = MIN (avail - n, 4);

      rtmp_write_u32_be (expected, cs->ext_value);
      if (memcmp (p + n, expected, k) == 0) {
        if (k < 4)
          return 0;
        n += 4;
      }
    }
    return n;
  }

  h->field = rtmp_read_u24_be (p + n);
  if (h->fmt <= 1) {
    h->length = rtmp_read_u24_be (p + n + 3);
    h->type = p[n + 6];
  }
  if (h->fmt == 0)
    h->stream_id = p[n + 7] | (p[n + 8] << 8) | (p[n + 9] << 16)
        | ((guint32) p[n + 10] << 24);
  n += sizes[h->fmt];

  if (h->field == EXTENDED_TIMESTAMP) {
    if (4 > avail - n)
      return 0;
    h->field = rtmp_read_u32_be (p + n);
    h->ext = TRUE;
    n += 4;
  }
  return n;
}

static void
begin_message (RtmpCoreChunkReader * reader, ChunkStream * cs)
{
  cs->in_message = TRUE;
  cs->filled = 0;
  reader->n_partial++;
  if (cs->buf)
    reader->n_idle_buffers--;
}

static void
end_message (RtmpCoreChunkReader * reader, ChunkStream * cs)
{
  cs->in_message = FALSE;
  cs->filled = 0;
  reader->n_partial--;
}

/* Called once a finished message's buffer is no longer in use. */
static void
release_buffer (RtmpCoreChunkReader * reader, ChunkStream * cs)
{
  if (cs->buf == NULL)
    return;
  if (reader->n_idle_buffers >= MAX_IDLE_BUFFERS) {
    g_clear_pointer (&cs->buf, g_free);
    cs->buf_size = 0;
  } else {
    reader->n_idle_buffers++;
  }
}

static gboolean
apply_control (RtmpCoreChunkReader * reader, const RtmpCoreMessage * msg)
{
  guint32 value;
  ChunkStream *target;

  if (msg->stream_id != 0 || (msg->type != RTMP_CORE_MESSAGE_SET_CHUNK_SIZE
          && msg->type != RTMP_CORE_MESSAGE_ABORT))
    return TRUE;

  if (msg->size < 4)
    return fail (reader, RTMP_CORE_ERROR_MALFORMED,
        "%s message on chunk stream %u has %" G_GSIZE_FORMAT
        " bytes, needs 4",
        msg->type == RTMP_CORE_MESSAGE_ABORT ? "Abort" : "Set Chunk Size",
        msg->chunk_stream_id, msg->size);
  value = rtmp_read_u32_be (msg->data);

  if (msg->type == RTMP_CORE_MESSAGE_SET_CHUNK_SIZE) {
    if (value == 0 || value > 0x7FFFFFFF)
      return fail (reader, RTMP_CORE_ERROR_CHUNK_SIZE,
          "peer set chunk size %u (0x%08x), valid is 1..0x7FFFFFFF", value,
          value);
    if (value > reader->max_chunk_size)
      return fail (reader, RTMP_CORE_ERROR_CHUNK_SIZE,
          "peer set chunk size %u, above the limit of %u", value,
          reader->max_chunk_size);
    reader->chunk_size = value;
    return TRUE;
  }

  /* Abort: only a partial message on the named chunk stream goes away. */
  target = value <= MAX_CSID ? lookup_stream (reader, value) : NULL;
  if (target && target->in_message) {
    end_message (reader, target);
    release_buffer (reader, target);
  }
  return TRUE;
}

static gboolean
deliver (RtmpCoreChunkReader * reader, ChunkStream * cs, const guint8 * data)
{
  RtmpCoreMessage msg = { 0, };

  msg.type = cs->type;
  msg.chunk_stream_id = cs->csid;
  msg.stream_id = cs->stream_id;
  msg.timestamp = cs->timestamp;
  msg.data = data ? data : (const guint8 *) "";
  msg.size = cs->length;

  /* The message is done before the callback sees it; its buffer stays in
   * place until the callback returns. */
  end_message (reader, cs);
  if (!apply_control (reader, &msg))
    return FALSE;

  if (reader->collect)
    g_ptr_array_add (reader->collect, rtmp_core_message_copy (&msg));
  else if (reader->func)
    reader->func (&msg, reader->user_data);

  release_buffer (reader, cs);
  return TRUE;
}

static gboolean
start_chunk (RtmpCoreChunkReader * reader, const ChunkHeader * h,
    ChunkStream * cs)
{
  if (cs == NULL) {
    if (h->fmt != 0)
      return fail (reader, RTMP_CORE_ERROR_PROTOCOL,
          "chunk stream %u: header type %u but no earlier header to refer to",
          h->csid, h->fmt);
    cs = add_stream (reader, h->csid);
    if (cs == NULL)
      return FALSE;
  }

  if (cs->in_message) {
    /* Only type 3 continues a message. A new header here, even one that
     * restates the length, would splice two messages together; one with a
     * different length is the CVE-2016-10191 overflow pattern. */
    if (h->fmt != 3)
      return fail (reader, RTMP_CORE_ERROR_PROTOCOL,
          "chunk stream %u: header type %u (length %u, type %u) while a "
          "message of length %u type %u is incomplete (%" G_GSIZE_FORMAT
          " bytes read)", h->csid, h->fmt, h->length, h->type, cs->length,
          cs->type, cs->filled);
  } else {
    switch (h->fmt) {
      case 0:
        cs->timestamp = h->field;
        cs->delta = h->field;
        cs->stream_id = h->stream_id;
        break;
      case 3:
        if (cs->after_type0 && !reader->type3_repeats)
          cs->delta = 0;
        cs->timestamp += cs->delta;
        break;
      default:
        cs->delta = h->field;
        cs->timestamp += h->field;
        break;
    }
    if (h->fmt != 3) {
      cs->after_type0 = h->fmt == 0;
      cs->ext = h->ext;
      cs->ext_value = h->field;
    } else {
      cs->after_type0 = FALSE;
    }
    if (h->fmt <= 1) {
      cs->length = h->length;
      cs->type = h->type;
    }

    if (cs->length > reader->max_message_size)
      return fail (reader, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE,
          "chunk stream %u: message of %u bytes, above the limit of %u",
          h->csid, cs->length, reader->max_message_size);

    begin_message (reader, cs);
    if (reader->n_partial > reader->max_partial)
      return fail (reader, RTMP_CORE_ERROR_TOO_MANY_STREAMS,
          "chunk stream %u: %u chunk streams hold incomplete messages, "
          "above the limit of %u", h->csid, reader->n_partial,
          reader->max_partial);
    if (cs->length == 0)
      return deliver (reader, cs, NULL);
  }

  reader->cur = cs;
  reader->chunk_left = MIN (reader->chunk_size, cs->length - cs->filled);
  return TRUE;
}

/* Makes room for @need bytes: grows geometrically from what has arrived,
 * never straight to the announced length. */
static void
reserve_buffer (ChunkStream * cs, gsize need)
{
  gsize size;

  if (need <= cs->buf_size)
    return;
  size = MAX (cs->buf_size * 2, MIN_BUFFER_SIZE);
  size = MIN (size, cs->length);
  size = MAX (size, need);
  cs->buf = g_realloc (cs->buf, size);
  cs->buf_size = size;
}

static gboolean
take_body (RtmpCoreChunkReader * reader, const guint8 * p, gsize n)
{
  ChunkStream *cs = reader->cur;

  reader->chunk_left -= n;
  if (reader->chunk_left == 0)
    reader->cur = NULL;

  /* The whole message in one chunk, all in the input: no copy at all. */
  if (cs->filled == 0 && n == cs->length)
    return deliver (reader, cs, p);

  reserve_buffer (cs, cs->filled + n);
  memcpy (cs->buf + cs->filled, p, n);
  cs->filled += n;
  if (cs->filled == cs->length)
    return deliver (reader, cs, cs->buf);
  return TRUE;
}

static gboolean
feed_internal (RtmpCoreChunkReader * reader, const guint8 * data, gsize size)
{
  gsize pos = 0;

  while (pos < size) {
    ChunkHeader h;
    ChunkStream *cs = NULL;
    gsize n;

    if (reader->cur) {
      n = MIN (reader->chunk_left, size - pos);
      if (!take_body (reader, data + pos, n))
        return FALSE;
      pos += n;
      continue;
    }

    if (reader->stash_len > 0) {
      /* A header split across feeds: complete it in the stash. */
      gsize have = reader->stash_len;
      gsize copy = MIN (MAX_HEADER_SIZE - have, size - pos);

      memcpy (reader->stash + have, data + pos, copy);
      n = parse_header (reader, reader->stash, have + copy, &h, &cs);
      if (n == 0) {
        reader->stash_len = have + copy;
        return TRUE;
      }
      reader->stash_len = 0;
      if (n < have) {
        /* Stashed bytes after a type 3 header that did not match the
         * extended timestamp: they are body bytes, read them first. */
        guint8 rest[MAX_HEADER_SIZE];

        memcpy (rest, reader->stash + n, have - n);
        if (!start_chunk (reader, &h, cs))
          return FALSE;
        if (!feed_internal (reader, rest, have - n))
          return FALSE;
        continue;
      }
      pos += n - have;
    } else {
      n = parse_header (reader, data + pos, size - pos, &h, &cs);
      if (n == 0) {
        memcpy (reader->stash, data + pos, size - pos);
        reader->stash_len = size - pos;
        return TRUE;
      }
      pos += n;
    }

    if (!start_chunk (reader, &h, cs))
      return FALSE;
  }
  return TRUE;
}

/**
 * rtmp_core_chunk_reader_feed:
 * @reader: a reader
 * @data: (array length=size): bytes received from the peer
 * @size: their length
 * @error: return location for a #GError
 *
 * Consumes @data, calling the callback for every message it completes.
 * Messages are borrowed views: valid only during the callback. The callback
 * may change the reader's settings but must not feed it.
 *
 * After an error the reader stays failed: every later call returns the
 * same error.
 *
 * Returns: %TRUE on success, %FALSE with @error set if the peer broke the
 *   protocol or a limit
 *
 * Since: 0.1
 */
gboolean
rtmp_core_chunk_reader_feed (RtmpCoreChunkReader * reader,
    const guint8 * data, gsize size, GError ** error)
{
  gboolean ok;

  g_return_val_if_fail (reader != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (!reader->feeding, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (reader->error) {
    g_propagate_error (error, g_error_copy (reader->error));
    return FALSE;
  }

  /* The callback may drop the last outside reference. */
  rtmp_core_chunk_reader_ref (reader);
  reader->feeding = TRUE;
  ok = feed_internal (reader, data, size);
  reader->feeding = FALSE;
  if (!ok)
    g_propagate_error (error, g_error_copy (reader->error));
  rtmp_core_chunk_reader_unref (reader);
  return ok;
}

/**
 * rtmp_core_chunk_reader_feed_bytes:
 * @reader: a reader
 * @data: (transfer none): bytes received from the peer
 * @error: return location for a #GError
 *
 * Like rtmp_core_chunk_reader_feed(), but returns the completed messages
 * (owned copies) instead of calling the callback. Meant for bindings and
 * tests.
 *
 * Returns: (element-type RtmpCoreMessage) (transfer container): the messages
 *   completed by @data, possibly none, or %NULL on error
 *
 * Since: 0.1
 */
GPtrArray *
rtmp_core_chunk_reader_feed_bytes (RtmpCoreChunkReader * reader,
    GBytes * data, GError ** error)
{
  GPtrArray *messages;
  gconstpointer bytes;
  gsize size;

  g_return_val_if_fail (reader != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (reader->collect == NULL, NULL);

  messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  bytes = g_bytes_get_data (data, &size);
  reader->collect = messages;
  if (!rtmp_core_chunk_reader_feed (reader, bytes, size, error))
    g_clear_pointer (&messages, g_ptr_array_unref);
  reader->collect = NULL;
  return messages;
}
