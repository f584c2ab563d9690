/* Chunk reader and writer throughput on one core, and allocations per
 * message in steady state.
 *
 * The stream mixes 100 KB video and 400 B audio messages on two chunk
 * streams. The reader is fed in 64 KiB blocks, as the connection reads
 * them; the writer only produces the vectors (payload is never copied).
 * Allocations are counted by interposing malloc and friends in this
 * executable, so every g_malloc in the library is seen. */
#include <rtmpcore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VIDEO_SIZE (100 * 1000)
#define AUDIO_SIZE 400
#define FEED_BLOCK (64 * 1024)
#define TOTAL_BYTES (1000 * 1000 * 1000)
/* Messages in one generated stream segment: 40 video, 80 audio (~4 MB). */
#define SEGMENT_CYCLES 40
/* Each figure is the median of this many measurements: the machine is
 * shared, single runs are noisy. */
#define REPEATS 5

/* ---- allocation counter ---- */

#define BENCH_EXPORT __attribute__ ((visibility ("default")))

extern void *__libc_malloc (size_t size);
extern void *__libc_calloc (size_t n, size_t size);
extern void *__libc_realloc (void *ptr, size_t size);
extern void *__libc_memalign (size_t alignment, size_t size);
extern void __libc_free (void *ptr);

BENCH_EXPORT void *malloc (size_t size);
BENCH_EXPORT void *calloc (size_t n, size_t size);
BENCH_EXPORT void *realloc (void *ptr, size_t size);
BENCH_EXPORT void free (void *ptr);
BENCH_EXPORT int posix_memalign (void **out, size_t alignment, size_t size);
BENCH_EXPORT void *aligned_alloc (size_t alignment, size_t size);
BENCH_EXPORT void *memalign (size_t alignment, size_t size);

static volatile gsize n_allocs;

void *
malloc (size_t size)
{
  n_allocs++;
  return __libc_malloc (size);
}

void *
calloc (size_t n, size_t size)
{
  n_allocs++;
  return __libc_calloc (n, size);
}

void *
realloc (void *ptr, size_t size)
{
  n_allocs++;
  return __libc_realloc (ptr, size);
}

void
free (void *ptr)
{
  __libc_free (ptr);
}

int
posix_memalign (void **out, size_t alignment, size_t size)
{
  n_allocs++;
  *out = __libc_memalign (alignment, size);
  return *out ? 0 : 12 /* ENOMEM */ ;
}

void *
aligned_alloc (size_t alignment, size_t size)
{
  n_allocs++;
  return __libc_memalign (alignment, size);
}

void *
memalign (size_t alignment, size_t size)
{
  n_allocs++;
  return __libc_memalign (alignment, size);
}

/* ---- workload ---- */

typedef struct {
  RtmpCoreMessage *video;
  RtmpCoreMessage *audio;
} Media;

static RtmpCoreMessage *
payload_message (guint8 type, guint32 csid, gsize size)
{
  guint8 *data = g_malloc (size);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = (guint8) (i * 13 + type);
  return rtmp_core_message_new_take (type, csid, 1, 0, data, size);
}

/* Message i of the stream: two audio messages per video message. */
static RtmpCoreMessage *
nth_message (Media * media, guint i, guint32 timestamp)
{
  RtmpCoreMessage *msg = i % 3 == 0 ? media->video : media->audio;

  msg->timestamp = timestamp;
  return msg;
}

static guint32
nth_timestamp (guint i)
{
  return i * 11;
}

static gdouble
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

static gint
compare_doubles (gconstpointer a, gconstpointer b)
{
  gdouble x = *(const gdouble *) a, y = *(const gdouble *) b;

  return x < y ? -1 : x > y;
}

static gdouble
median (gdouble * values, guint n)
{
  qsort (values, n, sizeof (gdouble), compare_doubles);
  return values[n / 2];
}

typedef struct {
  guint64 messages;
  guint64 bytes;
  guint first_bytes;
} ReaderCount;

static void
count_message (const RtmpCoreMessage * msg, gpointer user_data)
{
  ReaderCount *count = user_data;
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (msg, &size);

  count->messages++;
  count->bytes += size;
  /* Look at the payload the way a consumer would start to. */
  if (size)
    count->first_bytes += data[0];
}

/* A segment that starts with type 0 headers on every chunk stream and ends
 * on a message boundary, so it can be fed again and again. */
static GByteArray *
make_segment (Media * media, guint32 chunk_size, guint * n_messages)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  GByteArray *wire = g_byte_array_new ();
  guint i;

  rtmp_core_chunk_writer_set_chunk_size (writer, chunk_size, NULL);
  for (i = 0; i < SEGMENT_CYCLES * 3; i++) {
    GBytes *out = rtmp_core_chunk_writer_write_bytes (writer,
        nth_message (media, i, nth_timestamp (i)), NULL);

    g_byte_array_append (wire, g_bytes_get_data (out, NULL),
        g_bytes_get_size (out));
    g_bytes_unref (out);
  }
  *n_messages = SEGMENT_CYCLES * 3;
  rtmp_core_chunk_writer_unref (writer);
  return wire;
}

static gboolean
feed_segment (RtmpCoreChunkReader * reader, const GByteArray * wire)
{
  gsize off;
  GError *error = NULL;

  for (off = 0; off < wire->len; off += FEED_BLOCK) {
    if (!rtmp_core_chunk_reader_feed (reader, wire->data + off,
            MIN (FEED_BLOCK, wire->len - off), &error)) {
      fprintf (stderr, "reader failed: %s\n", error->message);
      g_error_free (error);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
bench_reader (Media * media, guint32 chunk_size)
{
  RtmpCoreChunkReader *reader = rtmp_core_chunk_reader_new ();
  ReaderCount count = { 0, 0, 0 };
  guint n_messages, rounds, r, rep;
  GByteArray *wire = make_segment (media, chunk_size, &n_messages);
  gdouble secs[REPEATS];
  gsize allocs = 0;
  guint64 messages = 0;

  rtmp_core_chunk_reader_set_chunk_size (reader, chunk_size);
  rtmp_core_chunk_reader_set_callback (reader, count_message, &count, NULL);
  rounds = MAX (1, TOTAL_BYTES / wire->len);

  /* Warm up: reassembly buffers reach their steady size. */
  if (!feed_segment (reader, wire))
    return FALSE;

  for (rep = 0; rep < REPEATS; rep++) {
    gsize before = n_allocs;
    gint64 start;

    count.messages = count.bytes = 0;
    start = g_get_monotonic_time ();
    for (r = 0; r < rounds; r++)
      if (!feed_segment (reader, wire))
        return FALSE;
    secs[rep] = seconds_since (start);
    allocs += n_allocs - before;
    messages += count.messages;
    g_assert (count.messages == (guint64) rounds * n_messages);
  }

  printf ("reader cs=%-5u %8.0f MB/s, %.3f allocs/msg  "
      "[median of %d x %.0f MB, %" G_GUINT64_FORMAT " msgs each]\n",
      chunk_size, (gdouble) rounds * wire->len / median (secs, REPEATS) / 1e6,
      (gdouble) allocs / messages, REPEATS,
      (gdouble) rounds * wire->len / 1e6, count.messages);

  g_byte_array_unref (wire);
  rtmp_core_chunk_reader_unref (reader);
  return TRUE;
}

static gboolean
bench_writer (Media * media, guint32 chunk_size)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  guint64 messages = 0, total_messages = 0, wire = 0, vectors = 0;
  gdouble secs[REPEATS];
  gsize allocs = 0;
  guint i, rep;

  rtmp_core_chunk_writer_set_chunk_size (writer, chunk_size, NULL);

  /* Warm up: the arena and vector arrays reach their steady size. */
  for (i = 0; i < 30; i++) {
    gsize n;

    rtmp_core_chunk_writer_write (writer, nth_message (media, i,
            nth_timestamp (i)), NULL);
    rtmp_core_chunk_writer_get_vectors (writer, &n);
    rtmp_core_chunk_writer_clear (writer);
  }

  for (rep = 0; rep < REPEATS; rep++) {
    gsize before = n_allocs;
    gint64 start = g_get_monotonic_time ();

    wire = vectors = messages = 0;
    for (; wire < TOTAL_BYTES; i++) {
      RtmpCoreMessage *msg = nth_message (media, i, nth_timestamp (i));
      const GOutputVector *v;
      gsize n;

      if (!rtmp_core_chunk_writer_write (writer, msg, NULL))
        return FALSE;
      v = rtmp_core_chunk_writer_get_vectors (writer, &n);
      g_assert (n > 0 && v[0].size > 0);
      vectors += n;
      wire += rtmp_core_chunk_writer_get_pending_size (writer);
      messages++;
      rtmp_core_chunk_writer_clear (writer);
    }
    secs[rep] = seconds_since (start);
    allocs += n_allocs - before;
    total_messages += messages;
  }

  printf ("writer cs=%-5u %8.0f MB/s, %.3f allocs/msg  "
      "[median of %d x %.0f MB, %" G_GUINT64_FORMAT " msgs each, "
      "%.1f vectors/msg]\n", chunk_size,
      wire / median (secs, REPEATS) / 1e6, (gdouble) allocs / total_messages,
      REPEATS, wire / 1e6, messages, (gdouble) vectors / messages);

  rtmp_core_chunk_writer_unref (writer);
  return TRUE;
}

int
main (int argc, char **argv)
{
  static const guint32 chunk_sizes[] = { 128, 4096 };
  Media media;
  gsize setup_allocs;
  gboolean ok = TRUE;
  guint i;

  setup_allocs = n_allocs;
  media.video = payload_message (RTMP_CORE_MESSAGE_VIDEO, 6, VIDEO_SIZE);
  media.audio = payload_message (RTMP_CORE_MESSAGE_AUDIO, 4, AUDIO_SIZE);
  /* Proves the counter sees the library's allocations. */
  if (n_allocs - setup_allocs < 2) {
    fprintf (stderr, "malloc interposition does not work\n");
    return 1;
  }

  printf ("chunk reader/writer, one core, %d B video + 2 x %d B audio, "
      "~%d MB per measurement\n", VIDEO_SIZE, AUDIO_SIZE, TOTAL_BYTES / 1000000);
  for (i = 0; ok && i < G_N_ELEMENTS (chunk_sizes); i++)
    ok = bench_reader (&media, chunk_sizes[i]);
  for (i = 0; ok && i < G_N_ELEMENTS (chunk_sizes); i++)
    ok = bench_writer (&media, chunk_sizes[i]);

  rtmp_core_message_unref (media.video);
  rtmp_core_message_unref (media.audio);
  return ok ? 0 : 1;
}
