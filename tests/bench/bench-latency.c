/* bench-latency: per-FLV-tag latency through an RTMP path, in one process.
 *
 *   bench-latency --input in.flv --sink rtmpsink2 --location rtmp://... \
 *       --receiver "rtmpserversrc port=P" [--seconds 20]
 *
 * The tags of --input are pushed one per buffer into
 *   appsrc ! SINK location=... sync=false
 * in real time (each tag when its timestamp is due), exactly as flvmux
 * would hand them over. The receiver pipeline
 *   RECEIVER ! appsink sync=false
 * yields FLV again; its tags are matched to the sent ones by a hash of
 * their type and payload (identical payloads are matched oldest first), and
 * the latency is the time from the push into appsrc to the arrival of the
 * tag's last byte in the appsink callback. Tags the path rewrites (e.g.
 * onMetaData) simply find no match.
 *
 * --sink loopback measures the harness itself: appsrc ! queue ! appsink.
 *
 * Output: one line
 *   sent=N matched=M p50_ms=... p90_ms=... p99_ms=... max_ms=... mean_ms=...
 */
#include <gst/gst.h>
#include <gst/app/app.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLV_HEADER_SIZE 13      /* header (9) + PreviousTagSize0 (4) */
#define TAG_HEADER_SIZE 11

typedef struct {
  guint64 ts_ms;
  GBytes *tag;                  /* tag header + data + PreviousTagSize */
  guint64 key;
} SentTag;

/* One tag in flight, and later its measurement. */
typedef struct {
  gint64 sent_ns;
  gint64 latency_ns;
  guint32 ts_ms;
  guint8 type;
  guint32 size;
} Sample;

typedef struct {
  GMutex lock;
  GHashTable *pending;          /* key -> GQueue of Sample* */
  GArray *latencies;            /* gint64 ns */
  GArray *samples;              /* Sample, in arrival order */
  GByteArray *rx;               /* receiver bytes not yet parsed */
  gboolean rx_header_done;
  guint64 sent, received_tags;
} Bench;

static gint64
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

static void
sleep_until_ns (gint64 t)
{
  struct timespec ts;

  ts.tv_sec = t / 1000000000;
  ts.tv_nsec = t % 1000000000;
  while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0);
}

static guint32
read_be24 (const guint8 * p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

/* FNV-1a over the tag type and its data. */
static guint64
tag_key (guint8 type, const guint8 * data, gsize size)
{
  guint64 h = G_GUINT64_CONSTANT (14695981039346656037) ^ type;
  gsize i;

  h *= G_GUINT64_CONSTANT (1099511628211);
  for (i = 0; i < size; i++) {
    h ^= data[i];
    h *= G_GUINT64_CONSTANT (1099511628211);
  }
  return h;
}

static GArray *
read_flv (const gchar * path, guint seconds, GBytes ** header,
    GError ** error)
{
  gchar *contents;
  gsize len, off;
  GArray *tags;
  GBytes *all;

  if (!g_file_get_contents (path, &contents, &len, error))
    return NULL;
  if (len < FLV_HEADER_SIZE || memcmp (contents, "FLV", 3) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s is not an FLV file", path);
    g_free (contents);
    return NULL;
  }
  all = g_bytes_new_take (contents, len);
  *header = g_bytes_new_from_bytes (all, 0, FLV_HEADER_SIZE);
  tags = g_array_new (FALSE, FALSE, sizeof (SentTag));
  off = FLV_HEADER_SIZE;
  while (len - off >= TAG_HEADER_SIZE) {
    const guint8 *p = (const guint8 *) contents + off;
    guint32 data_size = read_be24 (p + 1);
    SentTag t;

    if (data_size + 4 > len - off - TAG_HEADER_SIZE)
      break;
    t.ts_ms = read_be24 (p + 4) | ((guint32) p[7] << 24);
    if (t.ts_ms >= seconds * 1000u)
      break;
    t.tag = g_bytes_new_from_bytes (all, off, TAG_HEADER_SIZE + data_size + 4);
    t.key = tag_key (p[0] & 0x1f, p + TAG_HEADER_SIZE, data_size);
    g_array_append_val (tags, t);
    off += TAG_HEADER_SIZE + data_size + 4;
  }
  g_bytes_unref (all);
  return tags;
}

static void
bench_match (Bench * b, guint8 type, const guint8 * data, gsize size,
    gint64 t)
{
  guint64 key = tag_key (type, data, size);
  GQueue *q;

  b->received_tags++;
  q = g_hash_table_lookup (b->pending, &key);
  if (q && !g_queue_is_empty (q)) {
    Sample *sm = g_queue_pop_head (q);

    sm->latency_ns = t - sm->sent_ns;
    g_array_append_val (b->latencies, sm->latency_ns);
    g_array_append_val (b->samples, *sm);
    g_free (sm);
  }
}

/* The receiver's bytes, whatever their buffer boundaries: a leading FLV
 * header (and a repeated one, as a new streamheader) is skipped, every
 * complete tag matched. */
static void
bench_receive (Bench * b, const guint8 * data, gsize size, gint64 t)
{
  gsize off = 0;

  g_byte_array_append (b->rx, data, size);
  while (b->rx->len - off >= TAG_HEADER_SIZE) {
    const guint8 *p = b->rx->data + off;
    guint32 data_size;

    if (memcmp (p, "FLV", 3) == 0) {
      if (b->rx->len - off < FLV_HEADER_SIZE)
        break;
      off += FLV_HEADER_SIZE;
      continue;
    }
    data_size = read_be24 (p + 1);
    if (data_size + 4 > b->rx->len - off - TAG_HEADER_SIZE)
      break;
    bench_match (b, p[0] & 0x1f, p + TAG_HEADER_SIZE, data_size, t);
    off += TAG_HEADER_SIZE + data_size + 4;
  }
  g_byte_array_remove_range (b->rx, 0, off);
}

static GstFlowReturn
on_new_sample (GstAppSink * sink, gpointer user_data)
{
  Bench *b = user_data;
  gint64 t = now_ns ();
  GstSample *sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buf;
  GstMapInfo map;

  if (sample == NULL)
    return GST_FLOW_EOS;
  buf = gst_sample_get_buffer (sample);
  if (gst_buffer_map (buf, &map, GST_MAP_READ)) {
    g_mutex_lock (&b->lock);
    bench_receive (b, map.data, map.size, t);
    g_mutex_unlock (&b->lock);
    gst_buffer_unmap (buf, &map);
  }
  gst_sample_unref (sample);
  return GST_FLOW_OK;
}

static void
record_sent (Bench * b, const SentTag * tag, gint64 t)
{
  guint64 key = tag->key;
  GQueue *q;
  Sample *v = g_new0 (Sample, 1);
  const guint8 *p = g_bytes_get_data (tag->tag, NULL);

  v->sent_ns = t;
  v->ts_ms = tag->ts_ms;
  v->type = p[0] & 0x1f;
  v->size = read_be24 (p + 1);
  g_mutex_lock (&b->lock);
  q = g_hash_table_lookup (b->pending, &key);
  if (q == NULL) {
    guint64 *k = g_new (guint64, 1);

    *k = key;
    q = g_queue_new ();
    g_hash_table_insert (b->pending, k, q);
  }
  g_queue_push_tail (q, v);
  b->sent++;
  g_mutex_unlock (&b->lock);
}

static void
free_queue (gpointer q)
{
  g_queue_free_full (q, g_free);
}

static gint
cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static gdouble
percentile_ms (GArray * sorted, gdouble p)
{
  guint i;

  if (sorted->len == 0)
    return -1;
  i = (guint) (p / 100.0 * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, gint64, i) / 1e6;
}

static void
write_dump (const gchar * path, GArray * samples)
{
  FILE *f = fopen (path, "w");
  guint i;

  if (f == NULL) {
    g_printerr ("cannot write %s\n", path);
    return;
  }
  fprintf (f, "# ts_ms type size latency_ms\n");
  for (i = 0; i < samples->len; i++) {
    Sample *sm = &g_array_index (samples, Sample, i);

    fprintf (f, "%u %u %u %.3f\n", sm->ts_ms, sm->type, sm->size,
        sm->latency_ns / 1e6);
  }
  fclose (f);
}

static gboolean
check_bus (GstElement * pipeline, const gchar * what)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;
  gboolean ok = TRUE;

  while ((msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR))) {
    GError *err = NULL;

    gst_message_parse_error (msg, &err, NULL);
    g_printerr ("%s error: %s\n", what, err->message);
    g_error_free (err);
    gst_message_unref (msg);
    ok = FALSE;
  }
  gst_object_unref (bus);
  return ok;
}

int
main (int argc, char **argv)
{
  gchar *input = NULL, *sink = NULL, *location = NULL, *receiver = NULL;
  gchar *dump = NULL;
  gint seconds = 20, settle_ms = 1000;
  GOptionEntry entries[] = {
    {"input", 'i', 0, G_OPTION_ARG_FILENAME, &input, "FLV file", "FILE"},
    {"sink", 's', 0, G_OPTION_ARG_STRING, &sink,
        "Sink element (rtmpsink2, rtmp2sink), or \"loopback\" to measure "
        "the harness alone (appsrc ! queue ! appsink)", "NAME"},
    {"location", 'l', 0, G_OPTION_ARG_STRING, &location,
        "Where the sink publishes", "URL"},
    {"receiver", 'r', 0, G_OPTION_ARG_STRING, &receiver,
        "Receiving source description, e.g. \"rtmpsrc2 location=...\"",
        "DESC"},
    {"seconds", 't', 0, G_OPTION_ARG_INT, &seconds,
        "Seconds of the input to send", "S"},
    {"dump", 'o', 0, G_OPTION_ARG_FILENAME, &dump,
        "Write \"ts_ms type size latency_ms\" per matched tag to FILE",
        "FILE"},
    {"settle-ms", 0, 0, G_OPTION_ARG_INT, &settle_ms,
        "Wait after starting both pipelines before sending", "MS"},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx = g_option_context_new ("- per-tag RTMP latency");
  GError *error = NULL;
  GstElement *rx_pipe, *tx_pipe, *appsrc, *appsink;
  GstAppSinkCallbacks callbacks = { 0 };
  GBytes *header = NULL;
  GArray *tags, *sorted;
  Bench b = { 0 };
  gchar *desc;
  gint64 start;
  gdouble sum = 0;
  guint i, matched;
  gboolean ok, loopback;

  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_add_group (ctx, gst_init_get_option_group ());
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || !input || !sink) {
    g_printerr ("%s\n", error ? error->message :
        "--input and --sink are required");
    return EXIT_FAILURE;
  }
  g_option_context_free (ctx);
  loopback = strcmp (sink, "loopback") == 0;
  if (!loopback && (!location || !receiver)) {
    g_printerr ("--location and --receiver are required\n");
    return EXIT_FAILURE;
  }

  tags = read_flv (input, MAX (seconds, 1), &header, &error);
  if (tags == NULL) {
    g_printerr ("%s\n", error->message);
    return EXIT_FAILURE;
  }

  g_mutex_init (&b.lock);
  b.pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
      free_queue);
  b.latencies = g_array_new (FALSE, FALSE, sizeof (gint64));
  b.samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  b.rx = g_byte_array_new ();

  if (loopback) {
    /* the harness alone: two thread hand-overs, no RTMP */
    rx_pipe = gst_parse_launch ("appsrc name=in is-live=true format=time "
        "caps=video/x-flv max-bytes=0 ! queue ! appsink name=out sync=false",
        &error);
    if (rx_pipe == NULL) {
      g_printerr ("loopback: %s\n", error->message);
      return EXIT_FAILURE;
    }
    tx_pipe = gst_object_ref (rx_pipe);
  } else {
    desc = g_strdup_printf ("%s ! appsink name=out sync=false", receiver);
    rx_pipe = gst_parse_launch (desc, &error);
    g_free (desc);
    if (rx_pipe == NULL) {
      g_printerr ("receiver: %s\n", error->message);
      return EXIT_FAILURE;
    }
    desc = g_strdup_printf ("appsrc name=in is-live=true format=time "
        "caps=video/x-flv max-bytes=0 ! %s location=%s sync=false", sink,
        location);
    tx_pipe = gst_parse_launch (desc, &error);
    g_free (desc);
    if (tx_pipe == NULL) {
      g_printerr ("sender: %s\n", error->message);
      return EXIT_FAILURE;
    }
  }
  appsink = gst_bin_get_by_name (GST_BIN (rx_pipe), "out");
  appsrc = gst_bin_get_by_name (GST_BIN (tx_pipe), "in");
  callbacks.new_sample = on_new_sample;
  gst_app_sink_set_callbacks (GST_APP_SINK (appsink), &callbacks, &b, NULL);

  /* receiver first: a server must listen, a player waits for the stream */
  gst_element_set_state (rx_pipe, GST_STATE_PLAYING);
  g_usleep (300 * 1000);
  gst_element_set_state (tx_pipe, GST_STATE_PLAYING);
  g_usleep ((gulong) MAX (settle_ms, 0) * 1000);

  {
    GstBuffer *hbuf = gst_buffer_new_wrapped_bytes (header);

    GST_BUFFER_FLAG_SET (hbuf, GST_BUFFER_FLAG_HEADER);
    GST_BUFFER_PTS (hbuf) = GST_BUFFER_DTS (hbuf) = 0;
    gst_app_src_push_buffer (GST_APP_SRC (appsrc), hbuf);
  }
  start = now_ns ();
  for (i = 0; i < tags->len; i++) {
    SentTag *t = &g_array_index (tags, SentTag, i);
    GstBuffer *buf = gst_buffer_new_wrapped_bytes (t->tag);

    GST_BUFFER_PTS (buf) = GST_BUFFER_DTS (buf) = t->ts_ms * GST_MSECOND;
    sleep_until_ns (start + (gint64) t->ts_ms * 1000000);
    record_sent (&b, t, now_ns ());
    if (gst_app_src_push_buffer (GST_APP_SRC (appsrc), buf) != GST_FLOW_OK)
      break;
    if (i % 64 == 0 && (!check_bus (tx_pipe, "sender")
            || !check_bus (rx_pipe, "receiver")))
      break;
  }
  /* let the last tags arrive */
  g_usleep (2 * G_USEC_PER_SEC);
  ok = check_bus (tx_pipe, "sender") && check_bus (rx_pipe, "receiver");

  gst_app_src_end_of_stream (GST_APP_SRC (appsrc));
  g_usleep (500 * 1000);
  gst_element_set_state (tx_pipe, GST_STATE_NULL);
  gst_element_set_state (rx_pipe, GST_STATE_NULL);
  g_free (input);
  g_free (sink);
  g_free (location);
  g_free (receiver);

  g_mutex_lock (&b.lock);
  sorted = b.latencies;
  matched = sorted->len;
  g_array_sort (sorted, cmp_gint64);
  for (i = 0; i < sorted->len; i++)
    sum += g_array_index (sorted, gint64, i);
  g_print ("sent=%" G_GUINT64_FORMAT " received=%" G_GUINT64_FORMAT
      " matched=%u p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f"
      " mean_ms=%.3f\n", b.sent, b.received_tags, sorted->len,
      percentile_ms (sorted, 50), percentile_ms (sorted, 90),
      percentile_ms (sorted, 99), percentile_ms (sorted, 100),
      sorted->len ? sum / sorted->len / 1e6 : -1.0);
  if (dump)
    write_dump (dump, b.samples);
  g_mutex_unlock (&b.lock);

  gst_object_unref (appsink);
  gst_object_unref (appsrc);
  gst_object_unref (rx_pipe);
  gst_object_unref (tx_pipe);
  for (i = 0; i < tags->len; i++)
    g_bytes_unref (g_array_index (tags, SentTag, i).tag);
  g_array_unref (tags);
  g_bytes_unref (header);
  g_hash_table_unref (b.pending);
  g_array_unref (b.latencies);
  g_array_unref (b.samples);
  g_free (dump);
  g_byte_array_unref (b.rx);
  g_mutex_clear (&b.lock);
  return ok && matched > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
