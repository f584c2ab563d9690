/* rtmpserversrc against every kind of publisher, each compared tag by tag
 * with what it sent (payload bytes, and timestamp spacing of the FLV tags
 * and of the buffers' DTS):
 *   - ffmpeg -c copy: H.264 + AAC, audio only, video only;
 *   - GStreamer's rtmp2sink and librtmp's rtmpsink (flvdemux ! flvmux);
 *   - librtmpcore's client with chunk size 1 and then 0x7FFFFFFF, on
 *     three-byte chunk stream ids, with aborted messages, extended
 *     timestamps and a 32-bit timestamp wrap.
 * Then hostile clients while ffmpeg publishes in real time: the stream
 * arrives intact, memory stays bounded, and the statistics count the
 * connections.
 *
 * The library client runs in a child process (this binary with
 * --publish-client), like the other element tests do; in this process
 * librtmpcore is only used for its codec (FLV parsing, chunk and command
 * encoding) next to raw GIO sockets. */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <rtmpcore.h>

static gchar *tmp_dir;
static gchar *in_av;            /* H.264 + AAC, 5 s */
static gchar *in_audio;         /* AAC only, 2 s */
static gchar *in_video;         /* H.264 only, 2 s */

/* FLV header flags */
#define HAS_VIDEO 1
#define HAS_AUDIO 4

/* ---- tags ---- */

/* One FLV tag, from a file or from a buffer the element pushed. */
typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
  GstClockTime dts;             /* of the buffer, NONE for file tags */
  gboolean discont;
} Tag;

#define TAG(array, i) ((Tag *) g_ptr_array_index ((array), (i)))

static void
tag_free (Tag * tag)
{
  g_bytes_unref (tag->payload);
  g_free (tag);
}

static GPtrArray *
tag_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) tag_free);
}

static void
collect_file_tag (const RtmpCoreMessage * msg, gpointer user_data)
{
  Tag *tag = g_new0 (Tag, 1);

  tag->type = msg->type;
  tag->timestamp = msg->timestamp;
  tag->payload = rtmp_core_message_get_payload (msg);
  tag->dts = GST_CLOCK_TIME_NONE;
  g_ptr_array_add (user_data, tag);
}

/* Every tag of the FLV file @path, in file order. */
static GPtrArray *
read_tags (const gchar * path)
{
  GPtrArray *tags = tag_array_new ();
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GError *error = NULL;
  gchar *contents;
  gsize size;

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  rtmp_core_flv_parser_set_callback (parser, collect_file_tag, tags, NULL);
  g_assert_true (rtmp_core_flv_parser_feed (parser, (guint8 *) contents, size,
          &error));
  g_assert_no_error (error);
  rtmp_core_flv_parser_unref (parser);
  g_free (contents);
  return tags;
}

/* onMetaData (without @setDataFrame) or a codec configuration. */
static gboolean
is_header_tag (const Tag * tag)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (tag->payload, &size);

  switch (tag->type) {
    case RTMP_CORE_MESSAGE_DATA_AMF0:
      return size >= 13 && memcmp (data, "\x02\x00\x0aonMetaData", 13) == 0;
    case RTMP_CORE_MESSAGE_VIDEO:
      return rtmp_core_video_info_is_sequence_header (data, size);
    case RTMP_CORE_MESSAGE_AUDIO:
      return rtmp_core_audio_info_is_sequence_header (data, size);
    default:
      return FALSE;
  }
}

/* The media tags of @path: all but onMetaData and the configurations. */
static GPtrArray *
media_tags (const gchar * path)
{
  GPtrArray *tags = read_tags (path);
  guint i = 0;

  while (i < tags->len) {
    if (is_header_tag (TAG (tags, i)))
      g_ptr_array_remove_index (tags, i);
    else
      i++;
  }
  return tags;
}

/* Removes the H.264 end of sequence from @tags and returns it. */
static Tag *
take_sequence_end (GPtrArray * tags)
{
  RtmpCoreVideoInfo info;
  guint i;

  for (i = 0; i < tags->len; i++) {
    Tag *tag = TAG (tags, i);
    gsize size;
    const guint8 *data = g_bytes_get_data (tag->payload, &size);

    if (tag->type == RTMP_CORE_MESSAGE_VIDEO &&
        rtmp_core_video_info_parse (data, size, &info, NULL) &&
        info.is_sequence_end)
      return g_ptr_array_steal_index (tags, i);
  }
  g_assert_not_reached ();
  return NULL;
}

/* The configuration tag of @type in @path. */
static GBytes *
config_of (const gchar * path, guint8 type)
{
  GPtrArray *tags = read_tags (path);
  GBytes *found = NULL;
  guint i;

  for (i = 0; i < tags->len && found == NULL; i++) {
    if (TAG (tags, i)->type == type && is_header_tag (TAG (tags, i)))
      found = g_bytes_ref (TAG (tags, i)->payload);
  }
  g_ptr_array_unref (tags);
  g_assert_nonnull (found);
  return found;
}

static void
assert_bytes_equal (GBytes * got, GBytes * want)
{
  gsize n_got, n_want;
  const guint8 *d_got = g_bytes_get_data (got, &n_got);
  const guint8 *d_want = g_bytes_get_data (want, &n_want);

  g_assert_cmpmem (d_got, n_got, d_want, n_want);
}

/* ---- the element's output ---- */

/* Big-endian reads byte by byte: GST_READ_UINT32_BE does unaligned
 * loads, which UBSan reports. */
static guint32
read_be (const guint8 * p, guint n)
{
  guint32 v = 0;
  guint i;

  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

/* One FLV tag buffer: 11-byte header, payload, 4-byte back pointer. */
static Tag *
tag_from_buffer (GstBuffer * buf)
{
  Tag *tag = g_new0 (Tag, 1);
  GstMapInfo map;
  guint32 size;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, >=, 15);
  size = read_be (map.data + 1, 3);
  g_assert_cmpuint (map.size, ==, 11 + size + 4);
  g_assert_cmpuint (read_be (map.data + 11 + size, 4), ==, 11 + size);
  g_assert_cmpuint (read_be (map.data + 8, 3), ==, 0);
  tag->type = map.data[0];
  tag->timestamp = read_be (map.data + 4, 3) | ((guint32) map.data[7] << 24);
  tag->payload = g_bytes_new (map.data + 11, size);
  gst_buffer_unmap (buf, &map);
  tag->dts = GST_BUFFER_DTS (buf);
  tag->discont = GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return tag;
}

typedef struct
{
  GstCaps *caps;                /* of the first buffer */
  guint8 flv_flags;             /* of the FLV header buffer */
  GPtrArray *headers;           /* the other HEADER buffers before media */
  GPtrArray *changes;           /* HEADER buffers after media */
  GPtrArray *media;             /* all other buffers */
} Output;

static void
output_free (Output * out)
{
  gst_clear_caps (&out->caps);
  g_ptr_array_unref (out->headers);
  g_ptr_array_unref (out->changes);
  g_ptr_array_unref (out->media);
  g_free (out);
}

/* Whether the streamheader of @caps holds a buffer with the bytes of
 * @buf. */
static gboolean
streamheader_has (GstCaps * caps, GstBuffer * buf)
{
  const GValue *sh = gst_structure_get_value (gst_caps_get_structure (caps,
          0), "streamheader");
  gboolean found = FALSE;
  GstMapInfo map;
  guint i;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  for (i = 0; sh && i < gst_value_array_get_size (sh) && !found; i++) {
    GstBuffer *h = gst_value_get_buffer (gst_value_array_get_value (sh, i));

    found = gst_buffer_get_size (h) == map.size &&
        gst_buffer_memcmp (h, 0, map.data, map.size) == 0;
  }
  gst_buffer_unmap (buf, &map);
  return found;
}

/* The next sample of appsink @sink, NULL at EOS; fails after 30 s. */
static GstSample *
pull (GstElement * sink)
{
  GstSample *sample = NULL;
  gboolean eos = FALSE;
  guint i;

  for (i = 0; i < 300 && sample == NULL && !eos; i++) {
    g_signal_emit_by_name (sink, "try-pull-sample", 100 * GST_MSECOND,
        &sample);
    if (sample == NULL)
      g_object_get (sink, "eos", &eos, NULL);
  }
  g_assert_true (sample != NULL || eos);
  return sample;
}

/* Pulls until EOS or, if @n_media > 0, until that many media buffers.
 * The stream header pushed first must match the caps; header buffers
 * pushed later must be in the caps of their sample. */
static Output *
collect (GstElement * sink, guint n_media)
{
  Output *out = g_new0 (Output, 1);
  GstSample *sample;

  out->headers = tag_array_new ();
  out->changes = tag_array_new ();
  out->media = tag_array_new ();
  while ((n_media == 0 || out->media->len < n_media) &&
      (sample = pull (sink)) != NULL) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    gboolean file_header;
    GstMapInfo map;

    if (out->caps == NULL)
      out->caps = gst_caps_ref (gst_sample_get_caps (sample));
    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
      g_assert_true (GST_BUFFER_DTS_IS_VALID (buf));
      g_assert_true (GST_BUFFER_PTS_IS_VALID (buf));
      g_assert_cmpuint (GST_BUFFER_PTS (buf), >=, GST_BUFFER_DTS (buf));
      g_ptr_array_add (out->media, tag_from_buffer (buf));
    } else if (out->media->len > 0) {
      /* a configuration or onMetaData that changed: new caps first */
      g_assert_true (streamheader_has (gst_sample_get_caps (sample), buf));
      g_ptr_array_add (out->changes, tag_from_buffer (buf));
    } else {
      g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
      file_header = map.size == 13 && memcmp (map.data, "FLV\x01", 4) == 0;
      if (file_header)
        out->flv_flags = map.data[4];
      gst_buffer_unmap (buf, &map);
      if (!file_header)
        g_ptr_array_add (out->headers, tag_from_buffer (buf));
    }
    gst_sample_unref (sample);
  }
  return out;
}

/* The stream header, in the caps and pushed first: the FLV header with
 * @flags, onMetaData (@setDataFrame stripped), and exactly the
 * configurations of @file for the streams in @flags. */
static void
assert_stream_header (Output * out, const gchar * file, guint8 flags)
{
  const GValue *sh;
  guint i, n_meta = 0, n_video = 0, n_audio = 0;
  GBytes *config;

  g_assert_nonnull (out->caps);
  sh = gst_structure_get_value (gst_caps_get_structure (out->caps, 0),
      "streamheader");
  g_assert_nonnull (sh);
  g_assert_true (GST_VALUE_HOLDS_ARRAY (sh));
  g_assert_cmpuint (out->flv_flags, ==, flags);
  g_assert_cmpuint (gst_value_array_get_size (sh), ==, 1 + out->headers->len);

  for (i = 0; i < out->headers->len; i++) {
    Tag *tag = TAG (out->headers, i);
    Tag *in_caps = tag_from_buffer (gst_value_get_buffer
        (gst_value_array_get_value (sh, i + 1)));

    assert_bytes_equal (tag->payload, in_caps->payload);
    tag_free (in_caps);
    g_assert_true (is_header_tag (tag));
    switch (tag->type) {
      case RTMP_CORE_MESSAGE_DATA_AMF0:
        n_meta++;
        break;
      case RTMP_CORE_MESSAGE_VIDEO:
      case RTMP_CORE_MESSAGE_AUDIO:
        if (tag->type == RTMP_CORE_MESSAGE_VIDEO)
          n_video++;
        else
          n_audio++;
        config = config_of (file, tag->type);
        assert_bytes_equal (tag->payload, config);
        g_bytes_unref (config);
        break;
      default:
        g_assert_not_reached ();
    }
  }
  g_assert_cmpuint (n_meta, ==, 1);
  g_assert_cmpuint (n_video, ==, (flags & HAS_VIDEO) ? 1 : 0);
  g_assert_cmpuint (n_audio, ==, (flags & HAS_AUDIO) ? 1 : 0);
}

/* @got[@start...] holds exactly the tags of @want: each type in the same
 * order, byte for byte, with the same spacing of FLV timestamps and of
 * buffer DTS (one offset for all types); if @interleaved, the order across
 * types is the same too. */
static void
assert_same_tags (GPtrArray * want, GPtrArray * got, guint start,
    gboolean interleaved)
{
  guint next[256] = { 0, };
  gint64 ts_offset = 0, dts_offset = 0;
  guint i, j;

  g_assert_cmpuint (got->len, >=, start + want->len);
  for (i = 0; i < want->len; i++) {
    Tag *g = TAG (got, start + i), *w;

    for (j = next[g->type]; j < want->len; j++) {
      if (TAG (want, j)->type == g->type)
        break;
    }
    if (j == want->len || (interleaved && j != i))
      g_printerr ("tag %u (type %u, timestamp %u) is not the next one "
          "sent\n", i, g->type, g->timestamp);
    g_assert_cmpuint (j, <, want->len);
    if (interleaved)
      g_assert_cmpuint (j, ==, i);
    next[g->type] = j + 1;
    w = TAG (want, j);

    assert_bytes_equal (g->payload, w->payload);
    if (i == 0) {
      ts_offset = (gint64) g->timestamp - w->timestamp;
      dts_offset = (gint64) g->dts - (gint64) w->timestamp * GST_MSECOND;
    }
    g_assert_cmpint ((gint64) g->timestamp - w->timestamp, ==, ts_offset);
    g_assert_cmpint ((gint64) g->dts - (gint64) w->timestamp * GST_MSECOND,
        ==, dts_offset);
  }
}

/* ---- pipelines ---- */

#define SRC_PIPELINE(props) \
  "rtmpserversrc name=src address=127.0.0.1 port=0 application=live " \
  "stream=key " props " ! appsink name=sink sync=false"

/* Sets @desc to PLAYING and waits until its element "src" listens. */
static GstElement *
pipeline_start (const gchar * desc, guint * port)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *src;

  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  /* a live source reaches PLAYING without data */
  g_assert_cmpint (gst_element_get_state (src, NULL, NULL, 10 * GST_SECOND),
      ==, GST_STATE_CHANGE_SUCCESS);
  g_object_get (src, "current-port", port, NULL);
  g_assert_cmpuint (*port, >, 0);
  gst_object_unref (src);
  return pipeline;
}

static void
pipeline_stop (GstElement * pipeline)
{
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

static GstElement *
get_element (GstElement * pipeline, const gchar * name)
{
  GstElement *element = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_assert_nonnull (element);
  return element;
}

/* Waits (at most 20 s) for the element message @name on the bus. */
static void
wait_element_message (GstElement * pipeline, const gchar * name)
{
  GstMessage *msg;
  gboolean found = FALSE;

  while (!found) {
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
        20 * GST_SECOND, GST_MESSAGE_ELEMENT);
    g_assert_nonnull (msg);
    found = gst_structure_has_name (gst_message_get_structure (msg), name);
    gst_message_unref (msg);
  }
}

static gchar *
url_for (guint port)
{
  return g_strdup_printf ("rtmp://127.0.0.1:%u/live/key", port);
}

/* ---- publishers: processes, each waited for in a thread ---- */

typedef struct
{
  gchar **argv;
  gchar *err;
  gint status;
  GThread *thread;
} Publisher;

static gpointer
publisher_run (gpointer user_data)
{
  Publisher *p = user_data;
  GError *error = NULL;

  g_assert_true (g_spawn_sync (NULL, p->argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &p->err, &p->status,
          &error));
  g_assert_no_error (error);
  return NULL;
}

/* Runs @argv (taken) in the background. */
static Publisher *
publisher_start (gchar ** argv)
{
  Publisher *p = g_new0 (Publisher, 1);

  p->argv = argv;
  p->thread = g_thread_new ("publisher", publisher_run, p);
  return p;
}

/* Waits for the publisher; TRUE if it exited with 0 (else its stderr is
 * shown). */
static gboolean
publisher_wait (Publisher * p)
{
  gboolean ok;

  g_thread_join (p->thread);
  ok = g_spawn_check_wait_status (p->status, NULL);
  if (!ok)
    g_printerr ("%s failed:\n%s\n", p->argv[0], p->err);
  g_strfreev (p->argv);
  g_free (p->err);
  g_free (p);
  return ok;
}

/* ffmpeg -c copy @file to @url; with @realtime (-re) it lasts as long as
 * the file. */
static gchar **
ffmpeg_argv (const gchar * file, const gchar * url, gboolean realtime)
{
  GStrvBuilder *b = g_strv_builder_new ();
  gchar **argv;

  g_strv_builder_add_many (b, "ffmpeg", "-nostdin", "-loglevel", "error",
      NULL);
  if (realtime)
    g_strv_builder_add (b, "-re");
  g_strv_builder_add_many (b, "-i", file, "-c", "copy", "-f", "flv", url,
      NULL);
  argv = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  return argv;
}

/* gst-launch-1.0: @file through flvdemux, the parsers and flvmux (as an
 * application would feed an encoder's output) into @sink_desc. */
static gchar **
gst_launch_argv (const gchar * file, const gchar * sink_desc)
{
  gchar *line = g_strdup_printf ("gst-launch-1.0 -q filesrc location=%s "
      "! flvdemux name=d d.video ! queue ! h264parse ! flvmux "
      "streamable=true name=m ! %s  d.audio ! queue ! aacparse ! m.", file,
      sink_desc);
  gchar **argv = NULL;

  g_assert_true (g_shell_parse_argv (line, NULL, &argv, NULL));
  g_free (line);
  return argv;
}

/* ---- librtmpcore's client, in a child process ---- */

/* Timestamps start here: extended (above 0xFFFFFF) from the first tag,
 * and they wrap past 2^32 4.096 s into the stream. */
#define CLIENT_BASE 0xFFFFF000u

/* three-byte chunk stream ids: 320 is the first, 65599 the last */
#define AUDIO_CSID 320
#define VIDEO_CSID 65599
#define DATA_CSID 65598
#define ABORT_CSID 65000

/* Media messages sent after an aborted partial copy, as fractions (in
 * 1/20) of the media: one before the timestamp wrap, one after it. */
static const guint abort_points[] = { 5, 18 };

static guint32
chunk_stream_for (guint8 type)
{
  switch (type) {
    case RTMP_CORE_MESSAGE_AUDIO:
      return AUDIO_CSID;
    case RTMP_CORE_MESSAGE_VIDEO:
      return VIDEO_CSID;
    default:
      return DATA_CSID;
  }
}

static void
store_result (GObject * source, GAsyncResult * result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the default main context until *@result is set; returns it,
 * and clears *@result for the next call (the caller unrefs). */
static GAsyncResult *
wait_result (GAsyncResult ** result)
{
  GAsyncResult *done;

  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  done = *result;
  *result = NULL;
  return done;
}

/* Keeps the connection's queue short: the client refuses media beyond
 * its limit. */
static void
wait_queue_drained (RtmpCoreConnection * conn)
{
  while (rtmp_core_connection_get_queued_bytes (conn) > 1024 * 1024 &&
      !rtmp_core_connection_is_closed (conn))
    g_main_context_iteration (NULL, TRUE);
}

/* Writes the first @n_chunks chunks of @msg (chunk size 1, the one in
 * use) straight to the socket, once everything queued is out, then queues
 * an Abort for its chunk stream: the server must forget those bytes. */
static gboolean
send_partial_then_abort (RtmpCoreClient * client, RtmpCoreMessage * msg,
    guint n_chunks, GError ** error)
{
  RtmpCoreConnection *conn = rtmp_core_client_get_connection (client);
  GOutputStream *out =
      g_io_stream_get_output_stream (rtmp_core_connection_get_stream (conn));
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  GBytes *payload = rtmp_core_message_get_payload (msg);
  RtmpCoreMessage *raw = rtmp_core_message_new (msg->type,
      msg->chunk_stream_id, rtmp_core_client_get_stream_id (client),
      msg->timestamp, payload);
  gsize ext = msg->timestamp >= 0xFFFFFF ? 4 : 0;
  /* a three-byte basic header; the first chunk has the 11-byte type 0
   * header; each chunk repeats the extended timestamp */
  gsize first = 3 + 11 + ext + 1, next = 3 + ext + 1;
  GAsyncResult *result = NULL, *done;
  RtmpCoreMessage *abort_msg;
  GBytes *chunks = NULL;
  gboolean ok;

  g_assert_cmpuint (g_bytes_get_size (payload), >, n_chunks);
  rtmp_core_connection_flush_async (conn, NULL, store_result, &result);
  done = wait_result (&result);
  ok = rtmp_core_connection_flush_finish (conn, done, error);
  g_object_unref (done);

  rtmp_core_chunk_writer_set_extended_timestamp_in_continuation (writer,
      TRUE);
  ok = ok && rtmp_core_chunk_writer_set_chunk_size (writer, 1, error);
  if (ok) {
    chunks = rtmp_core_chunk_writer_write_bytes (writer, raw, error);
    ok = chunks != NULL;
  }
  if (ok) {
    g_assert_cmpuint (g_bytes_get_size (chunks), ==, first +
        (g_bytes_get_size (payload) - 1) * next);
    ok = g_output_stream_write_all (out, g_bytes_get_data (chunks, NULL),
        first + (n_chunks - 1) * next, NULL, NULL, error);
  }
  if (ok) {
    abort_msg = rtmp_core_message_new_abort (msg->chunk_stream_id);
    ok = rtmp_core_connection_queue_message (conn, abort_msg, error);
    rtmp_core_message_unref (abort_msg);
  }
  g_clear_pointer (&chunks, g_bytes_unref);
  rtmp_core_message_unref (raw);
  g_bytes_unref (payload);
  rtmp_core_chunk_writer_unref (writer);
  return ok;
}

/* Connects, publishes to live/key and sends every tag of @file with
 * timestamps from CLIENT_BASE. "tiny": chunk size 1 (announced before
 * connect) and aborted partial messages; "huge": chunk size 0x7FFFFFFF. */
static gboolean
client_publish_file (RtmpCoreClient * client, const gchar * file,
    gboolean tiny, GError ** error)
{
  GAsyncResult *result = NULL, *done;
  RtmpCoreConnection *conn;
  GPtrArray *tags;
  guint i, n_media = 0, media_index = 0, next_abort = 0;
  gboolean ok;

  if (tiny)
    g_object_set (client, "chunk-size", 1, NULL);
  rtmp_core_client_connect_async (client, NULL, store_result, &result);
  done = wait_result (&result);
  ok = rtmp_core_client_connect_finish (client, done, error);
  g_object_unref (done);
  if (!ok)
    return FALSE;
  conn = rtmp_core_client_get_connection (client);
  if (!tiny)
    rtmp_core_connection_set_chunk_size (conn, 0x7FFFFFFF);
  rtmp_core_client_publish_async (client, NULL, store_result, &result);
  done = wait_result (&result);
  ok = rtmp_core_client_publish_finish (client, done, error);
  g_object_unref (done);

  tags = read_tags (file);
  for (i = 0; i < tags->len; i++)
    n_media += !is_header_tag (TAG (tags, i));
  for (i = 0; ok && i < tags->len; i++) {
    Tag *t = TAG (tags, i);
    guint32 csid = chunk_stream_for (t->type);
    gboolean aborted = FALSE;
    RtmpCoreMessage *msg;

    if (tiny && !is_header_tag (t)) {
      if (next_abort < G_N_ELEMENTS (abort_points) &&
          media_index == n_media * abort_points[next_abort] / 20) {
        /* the whole message goes on the chunk stream of the aborted copy */
        csid = ABORT_CSID + next_abort++;
        aborted = TRUE;
      }
      media_index++;
    }
    msg = rtmp_core_message_new (t->type, csid, 0, CLIENT_BASE + t->timestamp,
        t->payload);
    if (aborted)
      ok = send_partial_then_abort (client, msg, 10, error);
    ok = ok && rtmp_core_client_send_media (client, msg, error);
    rtmp_core_message_unref (msg);
    wait_queue_drained (conn);
  }
  g_ptr_array_unref (tags);
  if (ok && tiny)
    g_assert_cmpuint (next_abort, ==, G_N_ELEMENTS (abort_points));

  if (ok) {
    rtmp_core_client_stop_async (client, NULL, store_result, &result);
    done = wait_result (&result);
    ok = rtmp_core_client_stop_finish (client, done, error);
    g_object_unref (done);
  }
  return ok;
}

static int
client_publish_main (const gchar * port, const gchar * file,
    const gchar * mode)
{
  gchar *location = g_strdup_printf ("rtmp://127.0.0.1:%s/live/key", port);
  GError *error = NULL;
  RtmpCoreUrl *url = rtmp_core_url_parse (location, &error);
  RtmpCoreClient *client;
  gboolean ok;

  g_assert_no_error (error);
  client = rtmp_core_client_new (url);
  ok = client_publish_file (client, file, g_str_equal (mode, "tiny"), &error);
  if (!ok)
    g_printerr ("publisher (%s): %s\n", mode, error->message);
  g_clear_error (&error);
  g_object_unref (client);
  rtmp_core_url_free (url);
  g_free (location);
  return ok ? 0 : 1;
}

static Publisher *
client_publish (guint port, const gchar * file, const gchar * mode)
{
  gchar **argv = g_new0 (gchar *, 6);

  argv[0] = g_file_read_link ("/proc/self/exe", NULL);
  argv[1] = g_strdup ("--publish-client");
  argv[2] = g_strdup_printf ("%u", port);
  argv[3] = g_strdup (file);
  argv[4] = g_strdup (mode);
  return publisher_start (argv);
}

/* ---- tests: publishers ---- */

/* ffmpeg -c copy @file: the stream header says what @file has, and every
 * tag comes out as sent, in order. */
static void
check_ffmpeg (const gchar * file, guint8 flags)
{
  guint port;
  GstElement *pipeline = pipeline_start (SRC_PIPELINE (""), &port);
  GstElement *sink = get_element (pipeline, "sink");
  gchar *url = url_for (port);
  Publisher *pub = publisher_start (ffmpeg_argv (file, url, FALSE));
  GPtrArray *want = media_tags (file);
  Output *out;

  /* appsink keeps everything: first see that the publisher succeeded */
  fail_unless (publisher_wait (pub));
  out = collect (sink, 0);
  assert_stream_header (out, file, flags);
  g_assert_cmpuint (out->changes->len, ==, 0);
  g_assert_cmpuint (out->media->len, ==, want->len);
  assert_same_tags (want, out->media, 0, TRUE);

  output_free (out);
  g_ptr_array_unref (want);
  g_free (url);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}

GST_START_TEST (test_ffmpeg_audio_video)
{
  check_ffmpeg (in_av, HAS_AUDIO | HAS_VIDEO);
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_audio_only)
{
  check_ffmpeg (in_audio, HAS_AUDIO);
}
GST_END_TEST;

GST_START_TEST (test_ffmpeg_video_only)
{
  check_ffmpeg (in_video, HAS_VIDEO);
}
GST_END_TEST;

/* A GStreamer publisher: in_av through flvdemux ! flvmux into
 * @sink_factory. flvmux interleaves by itself, so each type is compared in
 * order. */
static void
check_gst_sink (const gchar * sink_factory)
{
  GstElementFactory *factory = gst_element_factory_find (sink_factory);
  GstElement *pipeline, *sink;
  GPtrArray *want;
  Tag *want_end, *got_end;
  Publisher *pub;
  Output *out;
  gchar *url, *sink_desc;
  guint port, i;

  if (factory == NULL) {
    g_print ("SKIP %s: the element is not installed (package "
        "gstreamer1.0-plugins-bad)\n", sink_factory);
    return;
  }
  gst_object_unref (factory);

  pipeline = pipeline_start (SRC_PIPELINE (""), &port);
  sink = get_element (pipeline, "sink");
  url = url_for (port);
  sink_desc = g_strdup_printf ("%s location=%s sync=false", sink_factory,
      url);
  pub = publisher_start (gst_launch_argv (in_av, sink_desc));
  want = media_tags (in_av);

  /* appsink keeps everything: first see that the publisher succeeded */
  fail_unless (publisher_wait (pub));
  out = collect (sink, 0);
  assert_stream_header (out, in_av, HAS_AUDIO | HAS_VIDEO);
  /* flvmux makes onMetaData twice (for the caps and in the stream), with
   * a creationdate that may differ by a second, and these sinks send
   * both: the element passes the second on as a header change */
  for (i = 0; i < out->changes->len; i++) {
    g_assert_cmpuint (TAG (out->changes, i)->type, ==,
        RTMP_CORE_MESSAGE_DATA_AMF0);
    g_assert_true (is_header_tag (TAG (out->changes, i)));
  }
  g_assert_cmpuint (out->media->len, ==, want->len);
  /* flvdemux drops the end of sequence of the file and flvmux makes its
   * own, at its last timestamp */
  want_end = take_sequence_end (want);
  got_end = take_sequence_end (out->media);
  assert_bytes_equal (got_end->payload, want_end->payload);
  assert_same_tags (want, out->media, 0, FALSE);
  g_assert_cmpuint (got_end->dts, >=, TAG (out->media,
          out->media->len - 1)->dts);

  tag_free (want_end);
  tag_free (got_end);
  output_free (out);
  g_ptr_array_unref (want);
  g_free (sink_desc);
  g_free (url);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}

GST_START_TEST (test_rtmp2sink)
{
  check_gst_sink ("rtmp2sink");
}
GST_END_TEST;

GST_START_TEST (test_librtmp_rtmpsink)
{
  check_gst_sink ("rtmpsink");
}
GST_END_TEST;

/* librtmpcore's client, twice into a persistent element: chunk size 1
 * with two aborted messages, then chunk size 0x7FFFFFFF; three-byte chunk
 * stream ids, timestamps from 0xFFFFF000 across the 32-bit wrap. Each
 * session comes out complete and in order, without the aborted bytes,
 * with the spacing of the file, and the output never goes back. */
GST_START_TEST (test_client_chunking)
{
  guint port, i, s;
  GstElement *pipeline =
      pipeline_start (SRC_PIPELINE ("persistent=true"), &port);
  GstElement *sink = get_element (pipeline, "sink");
  GPtrArray *want = media_tags (in_av);
  GstClockTime last_dts[256] = { 0, }, max_dts = 0;
  gint64 last_ts[256] = { 0, }, max_ts = -1;
  Output *out;

  fail_unless (publisher_wait (client_publish (port, in_av, "tiny")));
  wait_element_message (pipeline, "rtmpserversrc-publish-stopped");
  fail_unless (publisher_wait (client_publish (port, in_av, "huge")));
  out = collect (sink, 2 * want->len);

  assert_stream_header (out, in_av, HAS_AUDIO | HAS_VIDEO);
  g_assert_cmpuint (out->changes->len, ==, 0);
  g_assert_cmpuint (out->media->len, ==, 2 * want->len);
  for (s = 0; s < 2; s++) {
    assert_same_tags (want, out->media, s * want->len, TRUE);
    g_assert_cmpint (TAG (out->media, s * want->len)->discont, ==, s == 1);
  }
  /* per type, never backwards; the second session after all of the first */
  for (i = 0; i < out->media->len; i++) {
    Tag *t = TAG (out->media, i);

    if (i == want->len) {
      g_assert_cmpuint (t->dts, >, max_dts);
      g_assert_cmpint (t->timestamp, >, max_ts);
    } else {
      g_assert_cmpuint (t->dts, >=, last_dts[t->type]);
      g_assert_cmpint (t->timestamp, >=, last_ts[t->type]);
    }
    last_dts[t->type] = t->dts;
    last_ts[t->type] = t->timestamp;
    max_dts = MAX (max_dts, t->dts);
    max_ts = MAX (max_ts, (gint64) t->timestamp);
  }
  /* the wrap was inside the first session (4.096 s of 5 s) */
  g_assert_cmpuint (TAG (out->media, want->len - 1)->timestamp -
      TAG (out->media, 0)->timestamp, >, 4096);

  output_free (out);
  g_ptr_array_unref (want);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}
GST_END_TEST;

/* ---- hostile clients ---- */

#define MAX_CONNECTIONS 10
#define N_FLOOD 20

static GSocketConnection *
raw_connect (guint port)
{
  GSocketClient *client = g_socket_client_new ();
  GError *error = NULL;
  GSocketConnection *conn;

  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 10);
  g_object_unref (client);
  return conn;
}

/* FALSE when the server closed the connection first. */
static gboolean
raw_write (GSocketConnection * conn, const void *data, gsize size)
{
  return g_output_stream_write_all (g_io_stream_get_output_stream
      (G_IO_STREAM (conn)), data, size, NULL, NULL, NULL);
}

/* Reads until the server closes the connection: TRUE, or FALSE if it
 * stays open for 10 s. What it sent goes to @received if not NULL. */
static gboolean
raw_wait_closed (GSocketConnection * conn, GByteArray * received)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn));
  GError *error = NULL;
  guint8 buf[4096];
  gboolean closed;
  gssize n;

  while ((n = g_input_stream_read (in, buf, sizeof (buf), NULL, &error)) > 0) {
    if (received)
      g_byte_array_append (received, buf, n);
  }
  if (n == 0)
    return TRUE;
  closed = !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
  g_error_free (error);
  return closed;
}

/* A plain handshake: C0 C1, read S0 S1 S2, C2 = S1. */
static void
raw_handshake (GSocketConnection * conn)
{
  guint8 c0c1[1 + 1536] = { 3, };
  guint8 s0s1s2[1 + 2 * 1536];
  gsize n = 0;

  g_assert_true (raw_write (conn, c0c1, sizeof (c0c1)));
  g_assert_true (g_input_stream_read_all (g_io_stream_get_input_stream
          (G_IO_STREAM (conn)), s0s1s2, sizeof (s0s1s2), &n, NULL, NULL));
  g_assert_cmpuint (n, ==, sizeof (s0s1s2));
  g_assert_cmpuint (s0s1s2[0], ==, 3);
  g_assert_true (raw_write (conn, s0s1s2 + 1, 1536));
}

/* The handshake and a proper connect to "live": from then on only idle
 * pings (60 s) would close the connection, not the handshake timeout, so
 * an attack that follows is closed because it was recognized. */
static void
raw_handshake_and_connect (GSocketConnection * conn, guint port)
{
  RtmpCoreAmfValue *object = rtmp_core_amf_value_new_object ();
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  gchar *tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live", port);
  RtmpCoreCommand *cmd;
  RtmpCoreMessage *msg;
  GBytes *chunks;

  rtmp_core_amf_value_take_field (object, "app",
      rtmp_core_amf_value_new_string ("live"));
  rtmp_core_amf_value_take_field (object, "tcUrl",
      rtmp_core_amf_value_new_string (tc_url));
  cmd = rtmp_core_command_new ("connect", 1, object);
  msg = rtmp_core_command_to_message (cmd, 3, 0);
  chunks = rtmp_core_chunk_writer_write_bytes (writer, msg, NULL);
  g_assert_nonnull (chunks);

  raw_handshake (conn);
  g_assert_true (raw_write (conn, g_bytes_get_data (chunks, NULL),
          g_bytes_get_size (chunks)));

  g_bytes_unref (chunks);
  rtmp_core_message_unref (msg);
  rtmp_core_command_unref (cmd);
  rtmp_core_amf_value_unref (object);
  rtmp_core_chunk_writer_unref (writer);
  g_free (tc_url);
}

static gboolean
attack_garbage (guint port)
{
  static const gchar request[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  GSocketConnection *conn = raw_connect (port);
  gboolean closed;

  raw_write (conn, request, sizeof (request) - 1);
  closed = raw_wait_closed (conn, NULL);
  g_object_unref (conn);
  return closed;
}

/* RTMPE */
static gboolean
attack_version_6 (guint port)
{
  guint8 c0c1[1 + 1536] = { 6, };
  GSocketConnection *conn = raw_connect (port);
  gboolean closed;

  raw_write (conn, c0c1, sizeof (c0c1));
  closed = raw_wait_closed (conn, NULL);
  g_object_unref (conn);
  return closed;
}

/* 3000 chunk streams, each starting a 0xFFFFFF-byte video message with
 * one 128-byte chunk. */
static gboolean
attack_many_chunk_streams (guint port)
{
  GSocketConnection *conn = raw_connect (port);
  GByteArray *out = g_byte_array_new ();
  guint8 payload[128];
  gboolean closed;
  guint i;

  memset (payload, 0x55, sizeof (payload));
  for (i = 0; i < 3000; i++) {
    guint csid = 64 + i;
    /* type 0, three-byte id; timestamp 0, length 0xFFFFFF, video,
     * message stream 1 */
    guint8 header[] = { 0x01, (csid - 64) & 0xFF, (csid - 64) >> 8,
      0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x09, 0x01, 0x00, 0x00, 0x00
    };

    g_byte_array_append (out, header, sizeof (header));
    g_byte_array_append (out, payload, sizeof (payload));
  }
  raw_handshake_and_connect (conn, port);
  raw_write (conn, out->data, out->len);
  closed = raw_wait_closed (conn, NULL);
  g_byte_array_unref (out);
  g_object_unref (conn);
  return closed;
}

static gboolean
attack_chunk_size_0 (guint port)
{
  /* Set Chunk Size (type 1) on chunk stream 2, carrying 0 */
  static const guint8 bytes[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00
  };
  GSocketConnection *conn = raw_connect (port);
  gboolean closed;

  raw_handshake_and_connect (conn, port);
  raw_write (conn, bytes, sizeof (bytes));
  closed = raw_wait_closed (conn, NULL);
  g_object_unref (conn);
  return closed;
}

static gboolean
contains (GByteArray * bytes, const gchar * text)
{
  gsize n = strlen (text), i;

  for (i = 0; i + n <= bytes->len; i++) {
    if (memcmp (bytes->data + i, text, n) == 0)
      return TRUE;
  }
  return FALSE;
}

/* Closed without an answer to the connect. */
static gboolean
attack_malformed_connect (guint port)
{
  /* type 0 on chunk stream 3: a 25-byte command message, then "connect",
   * 1.0, and an object whose first key claims 0x7FFF bytes */
  static const guint8 bytes[] = {
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x19, 0x14, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x07, 'c', 'o', 'n', 'n', 'e', 'c', 't',
    0x00, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x7F, 0xFF, 'a', 'p', 'p'
  };
  GSocketConnection *conn = raw_connect (port);
  GByteArray *received = g_byte_array_new ();
  gboolean closed;

  raw_handshake (conn);
  raw_write (conn, bytes, sizeof (bytes));
  closed = raw_wait_closed (conn, received);
  g_assert_false (contains (received, "_result"));
  g_byte_array_unref (received);
  g_object_unref (conn);
  return closed;
}

/* 100 bytes of a 50000-byte video message, then the client goes away. */
static gboolean
attack_cut_mid_message (guint port)
{
  static const guint8 header[] = {
    0x06, 0x00, 0x00, 0x00, 0x00, 0xC3, 0x50, 0x09, 0x01, 0x00, 0x00, 0x00
  };
  GSocketConnection *conn = raw_connect (port);
  guint8 payload[100];

  memset (payload, 0x27, sizeof (payload));
  raw_handshake_and_connect (conn, port);
  raw_write (conn, header, sizeof (header));
  raw_write (conn, payload, sizeof (payload));
  g_io_stream_close (G_IO_STREAM (conn), NULL, NULL);
  g_object_unref (conn);
  return TRUE;
}

/* One handshake byte every 500 ms: with timeout=1 the server must close
 * the connection long before 20 bytes. */
static gboolean
attack_slowloris (guint port)
{
  GSocketConnection *conn = raw_connect (port);
  GSocket *socket = g_socket_connection_get_socket (conn);
  guint8 byte = 3;
  gboolean closed = FALSE;
  guint i;

  for (i = 0; i < 20 && !closed; i++) {
    closed = !raw_write (conn, &byte, 1);
    byte = 0;
    g_usleep (500 * 1000);
    /* the server sends nothing before C1 is complete: readable means
     * closed */
    if (!closed && g_socket_condition_check (socket, G_IO_IN | G_IO_HUP |
            G_IO_ERR))
      closed = raw_wait_closed (conn, NULL);
  }
  g_object_unref (conn);
  return closed;
}

typedef gboolean (*AttackFunc) (guint port);

typedef struct
{
  const gchar *name;
  AttackFunc func;
  guint port;
  gboolean closed;
  GThread *thread;
} Attack;

static gpointer
attack_run (gpointer user_data)
{
  Attack *attack = user_data;

  attack->closed = attack->func (attack->port);
  return NULL;
}

/* The resident memory of this process, in KiB. */
static guint64
vm_rss_kib (void)
{
  gchar *status = NULL;
  const gchar *line;
  guint64 kib;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL,
          NULL));
  line = strstr (status, "\nVmRSS:");
  g_assert_nonnull (line);
  kib = g_ascii_strtoull (line + strlen ("\nVmRSS:"), NULL, 10);
  g_free (status);
  return kib;
}

typedef struct
{
  gint stop;
  guint64 peak_kib;
  GThread *thread;
} RssWatch;

static gpointer
rss_watch_run (gpointer user_data)
{
  RssWatch *watch = user_data;

  while (!g_atomic_int_get (&watch->stop)) {
    watch->peak_kib = MAX (watch->peak_kib, vm_rss_kib ());
    g_usleep (20 * 1000);
  }
  return NULL;
}

static GstStructure *
get_stats (GstElement * src)
{
  GstStructure *stats = NULL;

  g_object_get (src, "stats", &stats, NULL);
  g_assert_nonnull (stats);
  return stats;
}

static guint64
stats_counter (GstElement * src, const gchar * name)
{
  GstStructure *stats = get_stats (src);
  guint64 value = 0;

  g_assert_true (gst_structure_get_uint64 (stats, name, &value));
  gst_structure_free (stats);
  return value;
}

static guint
stats_active (GstElement * src)
{
  GstStructure *stats = get_stats (src);
  guint active = 0;

  g_assert_true (gst_structure_get_uint (stats, "connections-active",
          &active));
  gst_structure_free (stats);
  return active;
}

/* Waits (at most 10 s) until only @n connections are left. */
static void
wait_active (GstElement * src, guint n)
{
  guint i;

  for (i = 0; i < 200 && stats_active (src) != n; i++)
    g_usleep (50 * 1000);
  g_assert_cmpuint (stats_active (src), ==, n);
}

/* While ffmpeg publishes in real time: garbage, RTMPE, thousands of
 * chunk streams announcing 0xFFFFFF bytes, chunk size 0, a malformed
 * connect, a cut message and a slowloris at once, then more connections
 * than max-connections. Each hostile connection is closed, the statistics
 * count them, memory stays bounded, and the stream arrives intact. */
GST_START_TEST (test_hostile_clients)
{
  static const struct
  {
    const gchar *name;
    AttackFunc func;
  } kinds[] = {
    {"garbage", attack_garbage},
    {"version-6", attack_version_6},
    {"many-chunk-streams", attack_many_chunk_streams},
    {"chunk-size-0", attack_chunk_size_0},
    {"malformed-connect", attack_malformed_connect},
    {"cut-mid-message", attack_cut_mid_message},
    {"slowloris", attack_slowloris},
  };
  Attack attacks[G_N_ELEMENTS (kinds)];
  GSocketConnection *flood[N_FLOOD];
  RssWatch watch = { 0, };
  guint port, i;
  gchar *desc = g_strdup_printf (SRC_PIPELINE ("timeout=1 "
          "max-connections=%u max-message-size=16777215"), MAX_CONNECTIONS);
  GstElement *pipeline = pipeline_start (desc, &port);
  GstElement *src = get_element (pipeline, "src");
  GstElement *sink = get_element (pipeline, "sink");
  gchar *url = url_for (port);
  Publisher *pub = publisher_start (ffmpeg_argv (in_av, url, TRUE));
  GPtrArray *want = media_tags (in_av);
  guint64 total, refused, rss_before;
  GstStructure *stats;
  const GValue *publishers;
  Output *out;

  wait_element_message (pipeline, "rtmpserversrc-publish-started");
  total = stats_counter (src, "connections-total");
  refused = stats_counter (src, "connections-refused");
  g_assert_cmpuint (total, ==, 1);
  g_assert_cmpuint (refused, ==, 0);
  rss_before = vm_rss_kib ();
  watch.peak_kib = rss_before;
  watch.thread = g_thread_new ("rss", rss_watch_run, &watch);

  for (i = 0; i < G_N_ELEMENTS (attacks); i++) {
    attacks[i].name = kinds[i].name;
    attacks[i].func = kinds[i].func;
    attacks[i].port = port;
    attacks[i].closed = FALSE;
    attacks[i].thread = g_thread_new (attacks[i].name, attack_run,
        &attacks[i]);
  }
  for (i = 0; i < G_N_ELEMENTS (attacks); i++) {
    g_thread_join (attacks[i].thread);
    if (!attacks[i].closed)
      g_printerr ("%s: the connection stayed open\n", attacks[i].name);
    g_assert_true (attacks[i].closed);
  }
  wait_active (src, 1);
  g_assert_cmpuint (stats_counter (src, "connections-total"), ==,
      total + G_N_ELEMENTS (attacks));
  g_assert_cmpuint (stats_counter (src, "connections-refused"), ==, 0);

  /* beyond max-connections (the publisher holds one) connections are
   * closed at once and counted as refused; the others time out */
  for (i = 0; i < N_FLOOD; i++)
    flood[i] = raw_connect (port);
  for (i = 0; i < N_FLOOD; i++) {
    g_assert_true (raw_wait_closed (flood[i], NULL));
    g_object_unref (flood[i]);
  }
  wait_active (src, 1);
  g_assert_cmpuint (stats_counter (src, "connections-refused"), ==,
      N_FLOOD - (MAX_CONNECTIONS - 1));
  g_assert_cmpuint (stats_counter (src, "connections-total"), ==,
      total + G_N_ELEMENTS (attacks) + MAX_CONNECTIONS - 1);

  g_atomic_int_set (&watch.stop, 1);
  g_thread_join (watch.thread);
  g_print ("hostile clients: VmRSS %" G_GUINT64_FORMAT " KiB before, peak %"
      G_GUINT64_FORMAT " KiB\n", rss_before, watch.peak_kib);
  g_assert_cmpuint (watch.peak_kib - rss_before, <, 100 * 1024);

  /* the publisher was served all along */
  stats = get_stats (src);
  publishers = gst_structure_get_value (stats, "publishers");
  if (gst_value_array_get_size (publishers) == 0)
    g_print ("hostile clients: the publisher had finished before the last "
        "attack\n");
  gst_structure_free (stats);

  /* appsink keeps everything: first see that the publisher succeeded */
  fail_unless (publisher_wait (pub));
  out = collect (sink, 0);
  assert_stream_header (out, in_av, HAS_AUDIO | HAS_VIDEO);
  g_assert_cmpuint (out->changes->len, ==, 0);
  g_assert_cmpuint (out->media->len, ==, want->len);
  assert_same_tags (want, out->media, 0, TRUE);

  output_free (out);
  g_ptr_array_unref (want);
  g_free (url);
  g_free (desc);
  gst_object_unref (src);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}
GST_END_TEST;

static Suite *
rtmpserversrc_peers_suite (void)
{
  Suite *s = suite_create ("rtmpserversrc-peers");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_ffmpeg_audio_video);
  tcase_add_test (tc, test_ffmpeg_audio_only);
  tcase_add_test (tc, test_ffmpeg_video_only);
  tcase_add_test (tc, test_rtmp2sink);
  tcase_add_test (tc, test_librtmp_rtmpsink);
  tcase_add_test (tc, test_client_chunking);
  tcase_add_test (tc, test_hostile_clients);
  return s;
}

/* ---- test media, made by ffmpeg as a publisher would send it ---- */

static gboolean
run_quiet (const gchar * command)
{
  gchar **argv = NULL;
  gint status;
  gboolean ok;

  g_assert_true (g_shell_parse_argv (command, NULL, &argv, NULL));
  ok = g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
      NULL, NULL, &status, NULL) && g_spawn_check_wait_status (status, NULL);
  g_strfreev (argv);
  return ok;
}

static gboolean
make_inputs (void)
{
  static const gchar video[] = "-f lavfi -i testsrc2=size=320x240:rate=25";
  static const gchar audio[] = "-f lavfi -i sine=frequency=440:"
      "sample_rate=44100";
  static const gchar h264[] = "-c:v libx264 -preset ultrafast -g 25";
  gchar *cmd[3];
  gboolean ok = TRUE;
  guint i;

  tmp_dir = g_dir_make_tmp ("rtmpserversrc-peers-XXXXXX", NULL);
  in_av = g_build_filename (tmp_dir, "av.flv", NULL);
  in_audio = g_build_filename (tmp_dir, "audio.flv", NULL);
  in_video = g_build_filename (tmp_dir, "video.flv", NULL);
  cmd[0] = g_strdup_printf ("ffmpeg -nostdin -loglevel error -y %s %s -t 5 %s -c:a aac "
      "-f flv %s", video, audio, h264, in_av);
  cmd[1] = g_strdup_printf ("ffmpeg -nostdin -loglevel error -y %s -t 2 -c:a aac -f flv %s",
      audio, in_audio);
  cmd[2] = g_strdup_printf ("ffmpeg -nostdin -loglevel error -y %s -t 2 %s -f flv %s", video,
      h264, in_video);
  for (i = 0; i < G_N_ELEMENTS (cmd); i++) {
    ok = ok && run_quiet (cmd[i]);
    g_free (cmd[i]);
  }
  return ok;
}

static void
remove_inputs (void)
{
  g_remove (in_av);
  g_remove (in_audio);
  g_remove (in_video);
  g_rmdir (tmp_dir);
  g_free (in_av);
  g_free (in_audio);
  g_free (in_video);
  g_free (tmp_dir);
}

int
main (int argc, char **argv)
{
  gchar *ffmpeg, *encoders = NULL;
  int ret;

  if (argc == 5 && g_str_equal (argv[1], "--publish-client"))
    return client_publish_main (argv[2], argv[3], argv[4]);

  gst_check_init (&argc, &argv);
  /* a critical in any log domain (RtmpCore too) fails the test */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  ffmpeg = g_find_program_in_path ("ffmpeg");
  if (ffmpeg == NULL) {
    g_print ("SKIP: ffmpeg is not installed\n");
    return 77;
  }
  g_free (ffmpeg);
  if (!g_spawn_command_line_sync ("ffmpeg -hide_banner -encoders", &encoders,
          NULL, NULL, NULL) || strstr (encoders, "libx264") == NULL) {
    g_print ("SKIP: ffmpeg has no libx264 encoder\n");
    g_free (encoders);
    return 77;
  }
  g_free (encoders);
  if (!make_inputs ()) {
    g_print ("SKIP: ffmpeg could not make the test media\n");
    remove_inputs ();
    return 77;
  }

  ret = gst_check_run_suite (rtmpserversrc_peers_suite (),
      "rtmpserversrc-peers", __FILE__);
  remove_inputs ();
  return ret;
}
