/* rtmpserversrc against real publishers on 127.0.0.1 (port 0 and
 * current-port): ffmpeg (-c copy from an H.264+AAC FLV made by ffmpeg) and
 * librtmpcore's client. Every media tag that comes out is compared with
 * the source file: payload bytes, and timestamps up to a constant. */
#include <string.h>
#include <glib/gstdio.h>
#include <gst/check/gstcheck.h>
#include <rtmpcore.h>

static gchar *tmp_dir;
static gchar *in_flv;           /* H.264 + AAC, 2 s */
static gchar *in_b_flv;         /* H.264 only, another size, 1 s */

typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
} Tag;

static void
tag_free (Tag * tag)
{
  g_bytes_unref (tag->payload);
  g_free (tag);
}

/* ---- files and tags ---- */

static void
collect_tag (const RtmpCoreMessage * msg, gpointer user_data)
{
  Tag *tag = g_new0 (Tag, 1);

  tag->type = msg->type;
  tag->timestamp = msg->timestamp;
  tag->payload = rtmp_core_message_get_payload (msg);
  g_ptr_array_add (user_data, tag);
}

static GPtrArray *
read_tags (const gchar * path)
{
  GPtrArray *tags = g_ptr_array_new_with_free_func ((GDestroyNotify) tag_free);
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GError *error = NULL;
  gchar *contents;
  gsize size;

  g_assert_true (g_file_get_contents (path, &contents, &size, &error));
  rtmp_core_flv_parser_set_callback (parser, collect_tag, tags, NULL);
  g_assert_true (rtmp_core_flv_parser_feed (parser, (guint8 *) contents, size,
          &error));
  g_assert_no_error (error);
  rtmp_core_flv_parser_unref (parser);
  g_free (contents);
  return tags;
}

static gboolean
tag_is_header (guint8 type, const guint8 * data, gsize size)
{
  if (type == 18)
    return size >= 13 && memcmp (data + 3, "onMetaData", 10) == 0;
  if (type == 9)
    return rtmp_core_video_info_is_sequence_header (data, size);
  if (type == 8)
    return rtmp_core_audio_info_is_sequence_header (data, size);
  return FALSE;
}

/* The tags of @path that are media (not onMetaData nor configurations). */
static GPtrArray *
media_tags (const gchar * path)
{
  GPtrArray *tags = read_tags (path);
  guint i = 0;

  while (i < tags->len) {
    Tag *t = g_ptr_array_index (tags, i);
    gsize size;
    const guint8 *data = g_bytes_get_data (t->payload, &size);

    if (tag_is_header (t->type, data, size))
      g_ptr_array_remove_index (tags, i);
    else
      i++;
  }
  return tags;
}

/* Coded video frames (not configurations nor ends of sequence). */
static guint
count_video_frames (GPtrArray * tags)
{
  guint i, n = 0;

  for (i = 0; i < tags->len; i++) {
    Tag *t = g_ptr_array_index (tags, i);
    RtmpCoreVideoInfo info;
    gsize size;
    const guint8 *data = g_bytes_get_data (t->payload, &size);

    if (t->type == 9 && rtmp_core_video_info_parse (data, size, &info, NULL)
        && !info.is_sequence_end && !info.is_sequence_header
        && !info.is_command)
      n++;
  }
  return n;
}

static GBytes *
config_of (const gchar * path, guint8 type)
{
  GPtrArray *tags = read_tags (path);
  GBytes *found = NULL;
  guint i;

  for (i = 0; i < tags->len && !found; i++) {
    Tag *t = g_ptr_array_index (tags, i);
    gsize size;
    const guint8 *data = g_bytes_get_data (t->payload, &size);

    if (t->type == type && tag_is_header (type, data, size))
      found = g_bytes_ref (t->payload);
  }
  g_ptr_array_unref (tags);
  g_assert_nonnull (found);
  return found;
}

/* ---- one FLV tag in a buffer ---- */

typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
} FlvBuf;

static void
parse_buffer (GstBuffer * buf, FlvBuf * out)
{
  GstMapInfo map;
  guint32 size;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, >=, 15);
  size = GST_READ_UINT24_BE (map.data + 1);
  g_assert_cmpuint (map.size, ==, 11 + size + 4);
  /* Byte by byte: the tag's back pointer is not 4-byte aligned (UBSan). */
  g_assert_cmpuint ((GST_READ_UINT24_BE (map.data + 11 + size) << 8) |
      map.data[11 + size + 3], ==, 11 + size);
  out->type = map.data[0];
  out->timestamp = GST_READ_UINT24_BE (map.data + 4) |
      ((guint32) map.data[7] << 24);
  out->payload = g_bytes_new (map.data + 11, size);
  gst_buffer_unmap (buf, &map);
}

/* ---- pipelines ---- */

/* Sets @desc to PLAYING; with @port, waits until the element "src"
 * listens (a live pipeline completes its state change only with data). */
static GstElement *
pipeline_start (const gchar * desc, guint * port)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstElement *src;

  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
      GST_STATE_CHANGE_FAILURE);
  if (port) {
    src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
    g_assert_cmpint (gst_element_get_state (src, NULL, NULL,
            10 * GST_SECOND), ==, GST_STATE_CHANGE_SUCCESS);
    g_object_get (src, "current-port", port, NULL);
    g_assert_cmpuint (*port, >, 0);
    gst_object_unref (src);
  }
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
get_sink (GstElement * pipeline, const gchar * name)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), name);

  g_assert_nonnull (sink);
  return sink;
}

/* The next sample of @sink, NULL at EOS; fails after 20 s. */
static GstSample *
pull (GstElement * sink)
{
  GstSample *sample = NULL;
  gboolean eos = FALSE;
  gint i;

  for (i = 0; i < 200 && sample == NULL && !eos; i++) {
    g_signal_emit_by_name (sink, "try-pull-sample", 100 * GST_MSECOND,
        &sample);
    if (sample == NULL)
      g_object_get (sink, "eos", &eos, NULL);
  }
  g_assert_true (sample != NULL || eos);
  return sample;
}

/* ---- publishers ---- */

typedef struct
{
  gchar **argv;
  gint status;
  GThread *thread;
} Publisher;

static gpointer
publisher_run (gpointer user_data)
{
  Publisher *p = user_data;
  GError *error = NULL;

  g_assert_true (g_spawn_sync (NULL, p->argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
          NULL, NULL, &p->status, &error));
  g_assert_no_error (error);
  return NULL;
}

/* ffmpeg -c copy @file to @url, in a thread. */
static Publisher *
ffmpeg_publish (const gchar * file, const gchar * url)
{
  Publisher *p = g_new0 (Publisher, 1);
  gchar *argv[] = { (gchar *) "ffmpeg", (gchar *) "-nostdin",
    (gchar *) "-loglevel", (gchar *) "error", (gchar *) "-rw_timeout",
    (gchar *) "10000000", (gchar *) "-i", (gchar *) file, (gchar *) "-c",
    (gchar *) "copy", (gchar *) "-tls_verify", (gchar *) "0", (gchar *) "-f",
    (gchar *) "flv", (gchar *) url, NULL
  };

  p->argv = g_strdupv (argv);
  p->thread = g_thread_new ("publisher", publisher_run, p);
  return p;
}

/* Waits for the publisher; TRUE if it succeeded. */
static gboolean
publisher_wait (Publisher * p)
{
  gboolean ok;

  g_thread_join (p->thread);
  ok = g_spawn_check_wait_status (p->status, NULL);
  g_strfreev (p->argv);
  g_free (p);
  return ok;
}

static gboolean
ffmpeg_publish_sync (const gchar * file, const gchar * url)
{
  return publisher_wait (ffmpeg_publish (file, url));
}

static gchar *
url_for (guint port, const gchar * path)
{
  return g_strdup_printf ("rtmp://127.0.0.1:%u/%s", port, path);
}

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

/* Video frames of @path that ffmpeg decodes (out of process: the
 * decoders' libraries do not run under valgrind). */
static guint
ffprobe_count_frames (const gchar * path)
{
  gchar *argv[] = { (gchar *) "ffprobe", (gchar *) "-v", (gchar *) "error",
    (gchar *) "-count_frames", (gchar *) "-select_streams", (gchar *) "v",
    (gchar *) "-show_entries", (gchar *) "stream=nb_read_frames",
    (gchar *) "-of", (gchar *) "csv=p=0", (gchar *) path, NULL
  };
  gchar *out = NULL;
  gint status;
  guint n;

  g_assert_true (g_spawn_sync (NULL, argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  n = (guint) g_ascii_strtoull (out, NULL, 10);
  g_free (out);
  return n;
}

/* ---- checks ---- */

/* The caps streamheader: FLV header with @flags, onMetaData, then the
 * configurations of @file; returns how many buffers it has. */
static guint
check_streamheader (GstCaps * caps, const gchar * file, guint8 flags)
{
  const GValue *sh = gst_structure_get_value (gst_caps_get_structure (caps,
          0), "streamheader");
  GstBuffer *buf;
  GstMapInfo map;
  FlvBuf tag;
  guint i = 1;
  GBytes *config;

  g_assert_true (gst_structure_has_name (gst_caps_get_structure (caps, 0),
          "video/x-flv"));
  g_assert_nonnull (sh);
  g_assert_true (GST_VALUE_HOLDS_ARRAY (sh));

  buf = gst_value_get_buffer (gst_value_array_get_value (sh, 0));
  g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER));
  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, 13);
  g_assert_cmpmem (map.data, 4, "FLV\x01", 4);
  g_assert_cmpuint (map.data[4], ==, flags);
  gst_buffer_unmap (buf, &map);

  parse_buffer (gst_value_get_buffer (gst_value_array_get_value (sh, i++)),
      &tag);
  g_assert_cmpuint (tag.type, ==, 18);
  g_assert_true (tag_is_header (18, g_bytes_get_data (tag.payload, NULL),
          g_bytes_get_size (tag.payload)));
  g_bytes_unref (tag.payload);

  parse_buffer (gst_value_get_buffer (gst_value_array_get_value (sh, i++)),
      &tag);
  config = config_of (file, 9);
  g_assert_cmpuint (tag.type, ==, 9);
  g_assert_true (g_bytes_equal (tag.payload, config));
  g_bytes_unref (config);
  g_bytes_unref (tag.payload);

  if (flags & 4) {
    parse_buffer (gst_value_get_buffer (gst_value_array_get_value (sh, i++)),
        &tag);
    config = config_of (file, 8);
    g_assert_cmpuint (tag.type, ==, 8);
    g_assert_true (g_bytes_equal (tag.payload, config));
    g_bytes_unref (config);
    g_bytes_unref (tag.payload);
  }
  g_assert_cmpuint (gst_value_array_get_size (sh), ==, i);
  return i;
}

static void
assert_same_bytes (GstBuffer * a, GstBuffer * b)
{
  GstMapInfo ma, mb;

  g_assert_true (gst_buffer_map (a, &ma, GST_MAP_READ));
  g_assert_true (gst_buffer_map (b, &mb, GST_MAP_READ));
  g_assert_cmpmem (ma.data, ma.size, mb.data, mb.size);
  gst_buffer_unmap (a, &ma);
  gst_buffer_unmap (b, &mb);
}

/* Pulls the header buffers (checked against the caps) and then the media
 * of @file until EOS (or, if @n_sessions > 0, until that many copies of
 * it arrived), checking each tag against the file: type, payload bytes,
 * and tag timestamp and DTS spacing within each copy. Returns the media
 * buffers, and the first caps in @caps. */
static GPtrArray *
receive_and_check (GstElement * sink, const gchar * file, guint8 flags,
    guint n_sessions, GstCaps ** caps)
{
  GPtrArray *expected = media_tags (file);
  GPtrArray *got = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *sample;
  const GValue *sh;
  guint n_header, i;
  gint64 offset = 0;
  GstClockTime first_dts = 0;
  guint32 first_ts = ((Tag *) g_ptr_array_index (expected, 0))->timestamp;

  sample = pull (sink);
  g_assert_nonnull (sample);
  n_header = check_streamheader (gst_sample_get_caps (sample), file, flags);
  if (caps)
    *caps = gst_caps_ref (gst_sample_get_caps (sample));
  sh = gst_structure_get_value (gst_caps_get_structure (gst_sample_get_caps
          (sample), 0), "streamheader");
  for (i = 0; i < n_header; i++) {
    GstBuffer *buf = gst_sample_get_buffer (sample);

    g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER));
    assert_same_bytes (buf,
        gst_value_get_buffer (gst_value_array_get_value (sh, i)));
    gst_sample_unref (sample);
    sample = pull (sink);
    g_assert_nonnull (sample);
    sh = gst_structure_get_value (gst_caps_get_structure (gst_sample_get_caps
            (sample), 0), "streamheader");
  }

  while (sample) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    guint index = got->len % expected->len;
    Tag *want = g_ptr_array_index (expected, index);
    FlvBuf tag;

    g_assert_false (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER));
    g_assert_true (GST_BUFFER_DTS_IS_VALID (buf));
    g_assert_true (GST_BUFFER_PTS_IS_VALID (buf));
    parse_buffer (buf, &tag);
    g_assert_cmpuint (tag.type, ==, want->type);
    g_assert_true (g_bytes_equal (tag.payload, want->payload));
    g_bytes_unref (tag.payload);
    if (index == 0) {
      offset = (gint64) tag.timestamp - want->timestamp;
      first_dts = GST_BUFFER_DTS (buf);
    }
    g_assert_cmpint ((gint64) tag.timestamp - want->timestamp, ==, offset);
    g_assert_cmpuint (GST_BUFFER_DTS (buf) - first_dts, ==,
        (want->timestamp - first_ts) * GST_MSECOND);
    if (want->type == 8)
      g_assert_cmpuint (GST_BUFFER_PTS (buf), ==, GST_BUFFER_DTS (buf));
    else
      g_assert_cmpuint (GST_BUFFER_PTS (buf), >=, GST_BUFFER_DTS (buf));
    g_ptr_array_add (got, gst_buffer_ref (buf));
    gst_sample_unref (sample);
    if (n_sessions > 0 && got->len == n_sessions * expected->len)
      break;
    sample = pull (sink);
  }
  g_assert_cmpuint (got->len, ==, MAX (n_sessions, 1) * expected->len);
  g_ptr_array_unref (expected);
  return got;
}

/* ---- tests ---- */

#define SINK_PIPELINE(props) \
  "rtmpserversrc name=src address=127.0.0.1 port=0 " props \
  " ! appsink name=sink sync=false"

/* ffmpeg publishes in.flv; every tag comes out as it was sent, after the
 * stream header; EOS when ffmpeg leaves. */
GST_START_TEST (test_ffmpeg_tags)
{
  guint port;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("application=live stream=key"), &port);
  GstElement *sink = get_sink (pipeline, "sink");
  gchar *url = url_for (port, "live/key");
  Publisher *pub = ffmpeg_publish (in_flv, url);
  GPtrArray *got;
  GstBuffer *first;

  got = receive_and_check (sink, in_flv, 5, 0, NULL);
  fail_unless (publisher_wait (pub));
  first = g_ptr_array_index (got, 0);
  /* the first media is a keyframe */
  g_assert_false (GST_BUFFER_FLAG_IS_SET (first, GST_BUFFER_FLAG_DELTA_UNIT));
  g_ptr_array_unref (got);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (url);
}
GST_END_TEST;

/* librtmpcore's client publishes an FLV file, its timestamps shifted by a
 * base. It runs in a child process (this binary with --publish-client
 * PORT FILE BASE): the plugin holds its own copy of librtmpcore, whose
 * GTypes would clash with the test's. */
#define WRAP_BASE (G_MAXUINT32 - 999)

static GAsyncResult *
wait_result (GMainContext * context, GAsyncResult ** result)
{
  while (*result == NULL)
    g_main_context_iteration (context, TRUE);
  return *result;
}

static void
store_result (GObject * source, GAsyncResult * result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static int
client_publish_main (const gchar * port, const gchar * file,
    const gchar * base_str)
{
  guint32 base = (guint32) g_ascii_strtoull (base_str, NULL, 10);
  GMainContext *context = g_main_context_default ();
  GAsyncResult *result = NULL;
  GError *error = NULL;
  RtmpCoreClient *client;
  RtmpCoreUrl *url;
  GPtrArray *tags;
  gchar *location;
  gboolean ok;
  guint i;

  location = g_strdup_printf ("rtmp://127.0.0.1:%s/live/key", port);
  url = rtmp_core_url_parse (location, &error);
  g_assert_no_error (error);
  client = rtmp_core_client_new (url);

  rtmp_core_client_connect_async (client, NULL, store_result, &result);
  ok = rtmp_core_client_connect_finish (client, wait_result (context,
          &result), &error);
  g_clear_object (&result);
  if (ok) {
    rtmp_core_client_publish_async (client, NULL, store_result, &result);
    ok = rtmp_core_client_publish_finish (client, wait_result (context,
            &result), &error);
    g_clear_object (&result);
  }

  tags = read_tags (file);
  for (i = 0; ok && i < tags->len; i++) {
    Tag *t = g_ptr_array_index (tags, i);
    RtmpCoreMessage *msg = rtmp_core_message_new (t->type, 0, 0,
        t->timestamp + base, t->payload);

    ok = rtmp_core_client_send_media (client, msg, &error);
    rtmp_core_message_unref (msg);
  }
  g_ptr_array_unref (tags);

  if (ok) {
    rtmp_core_client_stop_async (client, NULL, store_result, &result);
    ok = rtmp_core_client_stop_finish (client, wait_result (context,
            &result), &error);
    g_clear_object (&result);
  }
  if (error)
    g_printerr ("publisher: %s\n", error->message);
  g_clear_error (&error);
  g_object_unref (client);
  rtmp_core_url_free (url);
  g_free (location);
  return ok ? 0 : 1;
}

static Publisher *
client_publish (guint port, const gchar * file, guint32 base)
{
  Publisher *pub = g_new0 (Publisher, 1);

  pub->argv = g_new0 (gchar *, 6);
  pub->argv[0] = g_file_read_link ("/proc/self/exe", NULL);
  pub->argv[1] = g_strdup ("--publish-client");
  pub->argv[2] = g_strdup_printf ("%u", port);
  pub->argv[3] = g_strdup (file);
  pub->argv[4] = g_strdup_printf ("%u", base);
  pub->thread = g_thread_new ("publisher", publisher_run, pub);
  return pub;
}

GST_START_TEST (test_client_timestamp_wrap)
{
  guint port, i;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("application=live stream=key"), &port);
  GstElement *sink = get_sink (pipeline, "sink");
  Publisher *pub = client_publish (port, in_flv, WRAP_BASE);
  GPtrArray *got;
  FlvBuf first, last;

  got = receive_and_check (sink, in_flv, 5, 0, NULL);
  fail_unless (publisher_wait (pub));
  /* the 32-bit wrap happened 1 s in: the output went on, not back */
  parse_buffer (g_ptr_array_index (got, 0), &first);
  parse_buffer (g_ptr_array_index (got, got->len - 1), &last);
  g_assert_cmpuint (last.timestamp - first.timestamp, >, 1900);
  g_bytes_unref (first.payload);
  g_bytes_unref (last.payload);
  for (i = 1; i < got->len; i++)
    g_assert_cmpuint (GST_BUFFER_DTS (g_ptr_array_index (got, i)) + 100 *
        GST_MSECOND, >=, GST_BUFFER_DTS (g_ptr_array_index (got, i - 1)));
  g_ptr_array_unref (got);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}
GST_END_TEST;

static guint
count_samples (const gchar * desc)
{
  GstElement *pipeline = pipeline_start (desc, NULL);
  GstElement *sink = get_sink (pipeline, "sink");
  GstSample *sample;
  guint n = 0;

  while ((sample = pull (sink))) {
    n++;
    gst_sample_unref (sample);
  }
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  return n;
}

/* ffmpeg into rtmpserversrc ! flvdemux ! h264parse ! mp4mux: the MP4 has
 * every frame, and decodes. */
GST_START_TEST (test_ffmpeg_to_mp4)
{
  guint port, n_video;
  gchar *mp4 = g_build_filename (tmp_dir, "out.mp4", NULL);
  gchar *desc = g_strdup_printf ("rtmpserversrc name=src address=127.0.0.1 "
      "port=0 application=live ! flvdemux name=d d.video ! queue ! h264parse "
      "! mp4mux ! filesink location=%s  d.audio ! queue ! fakesink", mp4);
  GstElement *pipeline = pipeline_start (desc, &port);
  gchar *url = url_for (port, "live/any-key");
  GstMessage *msg;
  GPtrArray *media = media_tags (in_flv);

  fail_unless (ffmpeg_publish_sync (in_flv, url));
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      20 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  g_assert_cmpint (GST_MESSAGE_TYPE (msg), ==, GST_MESSAGE_EOS);
  gst_message_unref (msg);
  pipeline_stop (pipeline);
  g_free (desc);

  n_video = count_video_frames (media);
  /* 2 s at 25 frames/s */
  g_assert_cmpuint (n_video, ==, 50);
  desc = g_strdup_printf ("filesrc location=%s ! qtdemux ! h264parse ! "
      "appsink name=sink sync=false", mp4);
  g_assert_cmpuint (count_samples (desc), ==, n_video);
  g_assert_cmpuint (ffprobe_count_frames (mp4), ==, n_video);

  g_ptr_array_unref (media);
  g_free (desc);
  g_free (url);
  g_free (mp4);
}
GST_END_TEST;

/* Two elements on one port, two publishers at once: each element gets its
 * own stream only. */
GST_START_TEST (test_two_elements_one_port)
{
  guint port_a, port_b;
  GstElement *a = pipeline_start (SINK_PIPELINE ("application=live stream=a"),
      &port_a);
  gchar *desc_b = g_strdup_printf ("rtmpserversrc name=src address=127.0.0.1 "
      "port=%u application=live stream=b ! appsink name=sink sync=false",
      port_a);
  GstElement *b = pipeline_start (desc_b, &port_b);
  GstElement *sink_a = get_sink (a, "sink"), *sink_b = get_sink (b, "sink");
  gchar *url_a = url_for (port_a, "live/a"), *url_b = url_for (port_a,
      "live/b");
  Publisher *pub_a, *pub_b;
  GPtrArray *got_a, *got_b;
  GstStructure *stats;
  GstElement *src_b;
  const GValue *publishers;
  guint64 total;

  g_assert_cmpuint (port_a, ==, port_b);
  pub_a = ffmpeg_publish (in_flv, url_a);
  pub_b = ffmpeg_publish (in_b_flv, url_b);
  got_a = receive_and_check (sink_a, in_flv, 5, 0, NULL);
  got_b = receive_and_check (sink_b, in_b_flv, 1, 0, NULL);
  fail_unless (publisher_wait (pub_a));
  fail_unless (publisher_wait (pub_b));

  src_b = gst_bin_get_by_name (GST_BIN (b), "src");
  g_object_get (src_b, "stats", &stats, NULL);
  gst_object_unref (src_b);
  g_assert_true (gst_structure_get_uint64 (stats, "connections-total",
          &total));
  g_assert_cmpuint (total, ==, 2);
  publishers = gst_structure_get_value (stats, "publishers");
  g_assert_cmpuint (gst_value_array_get_size (publishers), ==, 0);
  gst_structure_free (stats);

  g_ptr_array_unref (got_a);
  g_ptr_array_unref (got_b);
  gst_object_unref (sink_a);
  gst_object_unref (sink_b);
  pipeline_stop (a);
  pipeline_stop (b);
  g_free (desc_b);
  g_free (url_a);
  g_free (url_b);
}
GST_END_TEST;

static gboolean
refuse_bad_token (GstElement * src, const gchar * application,
    const gchar * stream, const gchar * query, const gchar * address,
    const gchar * tc_url, const gchar * flash_version, gpointer user_data)
{
  guint port;
  gchar *want_tc_url;

  g_object_get (src, "current-port", &port, NULL);
  want_tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live", port);
  g_assert_cmpstr (application, ==, "live");
  g_assert_cmpstr (stream, ==, "secret");
  g_assert_true (g_str_has_prefix (address, "127.0.0.1:"));
  g_assert_cmpstr (tc_url, ==, want_tc_url);
  g_assert_nonnull (strstr (flash_version, "Lavf"));
  g_free (want_tc_url);
  (*(guint *) user_data)++;
  return g_strcmp0 (query, "token=good") == 0;
}

/* A wrong key, and a refusal by the authorize signal, make ffmpeg fail;
 * the element then serves a correct publisher. */
GST_START_TEST (test_refused)
{
  guint port, n_asked = 0;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("application=live stream=secret"),
      &port);
  GstElement *sink = get_sink (pipeline, "sink");
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  gchar *wrong = url_for (port, "live/wrong");
  gchar *other_app = url_for (port, "other/secret");
  gchar *bad = url_for (port, "live/secret?token=bad");
  gchar *good = url_for (port, "live/secret?token=good");
  GPtrArray *got;

  g_signal_connect (src, "authorize", G_CALLBACK (refuse_bad_token),
      &n_asked);
  fail_if (ffmpeg_publish_sync (in_flv, wrong));
  fail_if (ffmpeg_publish_sync (in_flv, other_app));
  g_assert_cmpuint (n_asked, ==, 0);
  fail_if (ffmpeg_publish_sync (in_flv, bad));
  g_assert_cmpuint (n_asked, ==, 1);

  {
    Publisher *pub = ffmpeg_publish (in_flv, good);

    got = receive_and_check (sink, in_flv, 5, 0, NULL);
    fail_unless (publisher_wait (pub));
  }
  g_assert_cmpuint (n_asked, ==, 2);
  g_ptr_array_unref (got);
  gst_object_unref (src);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (wrong);
  g_free (other_app);
  g_free (bad);
  g_free (good);
}
GST_END_TEST;

/* persistent=true across three publisher sessions: one continuous stream,
 * DISCONT at each new session, and it decodes. */
GST_START_TEST (test_persistent)
{
  guint port, i, n_media, n_video;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("application=live persistent=true"),
      &port);
  GstElement *sink = get_sink (pipeline, "sink");
  gchar *url = url_for (port, "live/key");
  GPtrArray *media = media_tags (in_flv);
  Publisher *pubs[3];
  GPtrArray *got;
  GstSample *sample;
  GstBus *bus = GST_ELEMENT_BUS (pipeline);
  GstMessage *msg;
  guint n_started = 0, n_stopped = 0;
  GstCaps *caps = NULL;
  GstClockTime last_dts[2] = { 0, 0 }, max_dts = 0;
  guint32 last_ts[2] = { 0, 0 }, max_ts = 0;

  n_media = media->len;
  n_video = count_video_frames (media);
  /* one session after the other: each ffmpeg finishes before the next */
  for (i = 0; i < 3; i++) {
    pubs[i] = ffmpeg_publish (in_flv, url);
    fail_unless (publisher_wait (pubs[i]));
  }
  got = receive_and_check (sink, in_flv, 5, 3, &caps);
  g_assert_cmpuint (got->len, ==, 3 * n_media);

  /* the source itself interleaves audio and video loosely (its last video
   * frame comes after later audio), so order is checked per type, and each
   * session must start after everything before it */
  for (i = 0; i < got->len; i++) {
    GstBuffer *buf = g_ptr_array_index (got, i);
    FlvBuf tag;

    parse_buffer (buf, &tag);
    if (i > 0 && i % n_media == 0) {
      g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
      g_assert_cmpuint (GST_BUFFER_DTS (buf), >, max_dts);
      g_assert_cmpuint (tag.timestamp, >, max_ts);
    } else {
      g_assert_false (i > 0 &&
          GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
      g_assert_true (i == 0 || GST_BUFFER_DTS (buf) >= last_dts[tag.type & 1]);
      g_assert_cmpuint (tag.timestamp, >=, last_ts[tag.type & 1]);
    }
    last_dts[tag.type & 1] = GST_BUFFER_DTS (buf);
    last_ts[tag.type & 1] = tag.timestamp;
    max_dts = MAX (max_dts, GST_BUFFER_DTS (buf));
    max_ts = MAX (max_ts, tag.timestamp);
    g_bytes_unref (tag.payload);
  }
  /* no EOS between sessions: nothing more is waiting */
  g_signal_emit_by_name (sink, "try-pull-sample", 200 * GST_MSECOND,
      &sample);
  g_assert_null (sample);

  /* the last stop may be announced after its media was pulled */
  while (n_stopped < 3 && (msg = gst_bus_timed_pop_filtered (bus,
              20 * GST_SECOND, GST_MESSAGE_ELEMENT))) {
    const GstStructure *s = gst_message_get_structure (msg);

    if (gst_structure_has_name (s, "rtmpserversrc-publish-started"))
      n_started++;
    if (gst_structure_has_name (s, "rtmpserversrc-publish-stopped")) {
      n_stopped++;
      g_assert_nonnull (gst_structure_get_string (s, "reason"));
    }
    g_assert_cmpstr (gst_structure_get_string (s, "stream"), ==, "ke****");
    g_assert_cmpstr (gst_structure_get_string (s, "application"), ==, "live");
    g_assert_true (g_str_has_prefix (gst_structure_get_string (s, "address"),
            "127.0.0.1:"));
    gst_message_unref (msg);
  }
  g_assert_cmpuint (n_started, ==, 3);
  g_assert_cmpuint (n_stopped, ==, 3);
  gst_object_unref (sink);
  pipeline_stop (pipeline);

  /* the whole output, header first, decodes into every video frame */
  {
    const GValue *sh = gst_structure_get_value (gst_caps_get_structure (caps,
            0), "streamheader");
    gchar *path = g_build_filename (tmp_dir, "persistent.flv", NULL);
    GByteArray *flv = g_byte_array_new ();
    GstMapInfo map;

    for (i = 0; i < gst_value_array_get_size (sh) + got->len; i++) {
      GstBuffer *buf = i < gst_value_array_get_size (sh) ?
          gst_value_get_buffer (gst_value_array_get_value (sh, i)) :
          g_ptr_array_index (got, i - gst_value_array_get_size (sh));

      gst_buffer_map (buf, &map, GST_MAP_READ);
      g_byte_array_append (flv, map.data, map.size);
      gst_buffer_unmap (buf, &map);
    }
    g_assert_true (g_file_set_contents (path, (gchar *) flv->data, flv->len,
            NULL));
    g_assert_cmpuint (ffprobe_count_frames (path), ==, 3 * n_video);
    g_byte_array_unref (flv);
    g_free (path);
  }
  gst_caps_unref (caps);
  g_ptr_array_unref (got);
  g_ptr_array_unref (media);
  g_free (url);
}
GST_END_TEST;

/* Pulls everything until EOS: the media buffers (header buffers dropped). */
static GPtrArray *
pull_media_until_eos (GstElement * sink)
{
  GPtrArray *got = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  GstSample *sample;

  while ((sample = pull (sink))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);

    if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER))
      g_ptr_array_add (got, gst_buffer_ref (buf));
    gst_sample_unref (sample);
  }
  return got;
}

static void
wait_publish_started (GstElement * pipeline)
{
  GstMessage *msg;

  for (;;) {
    msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
        20 * GST_SECOND, GST_MESSAGE_ELEMENT);
    g_assert_nonnull (msg);
    if (gst_structure_has_name (gst_message_get_structure (msg),
            "rtmpserversrc-publish-started")) {
      gst_message_unref (msg);
      return;
    }
    gst_message_unref (msg);
  }
}

/* ffmpeg -re: a publisher that lasts as long as the file. */
static Publisher *
ffmpeg_publish_realtime (const gchar * file, const gchar * url)
{
  Publisher *p = g_new0 (Publisher, 1);
  gchar *argv[] = { (gchar *) "ffmpeg", (gchar *) "-nostdin",
    (gchar *) "-loglevel", (gchar *) "error", (gchar *) "-re", (gchar *) "-i",
    (gchar *) file, (gchar *) "-c", (gchar *) "copy", (gchar *) "-f",
    (gchar *) "flv", (gchar *) url, NULL
  };

  p->argv = g_strdupv (argv);
  p->thread = g_thread_new ("publisher", publisher_run, p);
  return p;
}

/* A second publisher is refused while the first streams; with
 * allow-takeover it replaces the first, and the stream goes on (DISCONT)
 * until the second leaves. */
GST_START_TEST (test_takeover)
{
  GPtrArray *media = media_tags (in_flv);
  guint port, i, start;
  GstElement *pipeline;
  GstElement *sink;
  gchar *url;
  Publisher *first;
  GPtrArray *got;

  /* refused */
  pipeline = pipeline_start (SINK_PIPELINE ("application=live"), &port);
  sink = get_sink (pipeline, "sink");
  url = url_for (port, "live/key");
  first = ffmpeg_publish_realtime (in_b_flv, url);
  wait_publish_started (pipeline);
  fail_if (ffmpeg_publish_sync (in_flv, url));
  g_ptr_array_unref (receive_and_check (sink, in_b_flv, 1, 0, NULL));
  fail_unless (publisher_wait (first));
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (url);

  /* taken over */
  pipeline = pipeline_start (SINK_PIPELINE ("application=live "
          "allow-takeover=true"), &port);
  sink = get_sink (pipeline, "sink");
  url = url_for (port, "live/key");
  first = ffmpeg_publish_realtime (in_b_flv, url);
  wait_publish_started (pipeline);
  fail_unless (ffmpeg_publish_sync (in_flv, url));
  got = pull_media_until_eos (sink);
  /* part of the first (ffmpeg -re sends a little ahead), all of the second */
  g_assert_cmpuint (got->len, >, media->len);
  start = got->len - media->len;
  g_assert_true (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (got, start),
          GST_BUFFER_FLAG_DISCONT));
  for (i = 0; i < media->len; i++) {
    FlvBuf tag;

    parse_buffer (g_ptr_array_index (got, start + i), &tag);
    g_assert_true (g_bytes_equal (tag.payload,
            ((Tag *) g_ptr_array_index (media, i))->payload));
    g_bytes_unref (tag.payload);
  }
  publisher_wait (first);
  {
    GstMessage *msg;
    gboolean taken_over = FALSE;

    while ((msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline),
                GST_MESSAGE_ELEMENT))) {
      const GstStructure *st = gst_message_get_structure (msg);

      if (gst_structure_has_name (st, "rtmpserversrc-publish-stopped") &&
          g_strcmp0 (gst_structure_get_string (st, "reason"),
              "taken over by another publisher") == 0)
        taken_over = TRUE;
      gst_message_unref (msg);
    }
    g_assert_true (taken_over);
  }
  g_ptr_array_unref (got);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (url);
  g_ptr_array_unref (media);
}
GST_END_TEST;

/* A downstream that does not read: the element drops media beyond
 * max-bytes with a warning, never blocks the server, and resumes at a
 * keyframe. */
GST_START_TEST (test_overflow)
{
  guint port, i;
  GstElement *pipeline = pipeline_start ("rtmpserversrc name=src "
      "address=127.0.0.1 port=0 max-bytes=30000 ! appsink name=sink "
      "sync=false max-buffers=1", &port);
  GstElement *sink = get_sink (pipeline, "sink");
  gchar *url = url_for (port, "live/key");
  GPtrArray *media = media_tags (in_flv);
  GPtrArray *got;
  GstMessage *msg;
  gboolean after_discont = FALSE;

  fail_unless (ffmpeg_publish_sync (in_flv, url));
  /* ffmpeg may be done before the server read everything */
  msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
      20 * GST_SECOND, GST_MESSAGE_WARNING);
  g_assert_nonnull (msg);
  gst_message_unref (msg);

  got = pull_media_until_eos (sink);
  g_assert_cmpuint (got->len, >, 0);
  g_assert_cmpuint (got->len, <, media->len);
  for (i = 0; i < got->len; i++) {
    GstBuffer *buf = g_ptr_array_index (got, i);
    FlvBuf tag;

    parse_buffer (buf, &tag);
    if (i > 0 && GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      after_discont = TRUE;
    if (tag.type == 9 && after_discont) {
      /* the first video after a gap is a keyframe */
      g_assert_false (GST_BUFFER_FLAG_IS_SET (buf,
              GST_BUFFER_FLAG_DELTA_UNIT));
      g_assert_true (rtmp_core_video_info_is_keyframe (g_bytes_get_data
              (tag.payload, NULL), g_bytes_get_size (tag.payload)));
      after_discont = FALSE;
    }
    g_bytes_unref (tag.payload);
  }
  g_ptr_array_unref (got);
  g_ptr_array_unref (media);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (url);
}
GST_END_TEST;

/* RTMPS: ffmpeg publishes over TLS to an element with a PEM file made by
 * openssl; a plain RTMP publisher cannot. */
GST_START_TEST (test_rtmps)
{
  gchar *openssl = g_find_program_in_path ("openssl");
  gchar *key, *cert, *pem, *cmd, *desc, *url, *plain, *a, *b, *both;
  GstElement *pipeline, *sink;
  Publisher *pub;
  guint port;

  if (openssl == NULL) {
    g_print ("openssl is not installed: RTMPS not tested\n");
    return;
  }
  g_free (openssl);
  key = g_build_filename (tmp_dir, "key.pem", NULL);
  cert = g_build_filename (tmp_dir, "cert.pem", NULL);
  pem = g_build_filename (tmp_dir, "server.pem", NULL);
  cmd = g_strdup_printf ("openssl req -x509 -newkey rsa:2048 -nodes -keyout "
      "%s -out %s -days 2 -subj /CN=127.0.0.1", key, cert);
  fail_unless (run_quiet (cmd));
  g_assert_true (g_file_get_contents (cert, &a, NULL, NULL));
  g_assert_true (g_file_get_contents (key, &b, NULL, NULL));
  both = g_strconcat (a, b, NULL);
  g_assert_true (g_file_set_contents (pem, both, -1, NULL));

  desc = g_strdup_printf (SINK_PIPELINE ("application=live tls-pem-file=%s"),
      pem);
  pipeline = pipeline_start (desc, &port);
  sink = get_sink (pipeline, "sink");
  plain = url_for (port, "live/key");
  fail_if (ffmpeg_publish_sync (in_flv, plain));
  url = g_strdup_printf ("rtmps://127.0.0.1:%u/live/key", port);
  pub = ffmpeg_publish (in_flv, url);
  g_ptr_array_unref (receive_and_check (sink, in_flv, 5, 0, NULL));
  fail_unless (publisher_wait (pub));
  gst_object_unref (sink);
  pipeline_stop (pipeline);

  g_free (a);
  g_free (b);
  g_free (both);
  g_free (plain);
  g_free (url);
  g_free (desc);
  g_free (cmd);
  g_free (key);
  g_free (cert);
  g_free (pem);
}
GST_END_TEST;

/* The stream header tag of @type in @caps. */
static GBytes *
caps_config (GstCaps * caps, guint8 type)
{
  const GValue *sh = gst_structure_get_value (gst_caps_get_structure (caps,
          0), "streamheader");
  GBytes *found = NULL;
  guint i;

  for (i = 1; i < gst_value_array_get_size (sh) && !found; i++) {
    FlvBuf tag;

    parse_buffer (gst_value_get_buffer (gst_value_array_get_value (sh, i)),
        &tag);
    if (tag.type == type)
      found = g_bytes_ref (tag.payload);
    g_bytes_unref (tag.payload);
  }
  return found;
}

static void
append_buffer (GByteArray * flv, GstBuffer * buf)
{
  GstMapInfo map;

  gst_buffer_map (buf, &map, GST_MAP_READ);
  g_byte_array_append (flv, map.data, map.size);
  gst_buffer_unmap (buf, &map);
}

/* persistent=true, and the second publisher has another video
 * configuration: new caps, the new configuration pushed in the stream
 * (flagged HEADER) before its media, and the whole output decodes. */
GST_START_TEST (test_config_change)
{
  guint port, n_media = 0, n_total, n_inline = 0, i;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("persistent=true"), &port);
  GstElement *sink = get_sink (pipeline, "sink");
  gchar *url = url_for (port, "live/key");
  GPtrArray *media_a = media_tags (in_flv), *media_b = media_tags (in_b_flv);
  GPtrArray *tags_a = read_tags (in_flv), *tags_b = read_tags (in_b_flv);
  GBytes *config_a = config_of (in_flv, 9), *config_b = config_of (in_b_flv,
      9), *aac = config_of (in_flv, 8), *got_config;
  gchar *path = g_build_filename (tmp_dir, "changed.flv", NULL);
  GByteArray *flv = g_byte_array_new ();
  gboolean saw_new_config = FALSE;
  GstSample *sample;

  fail_unless (ffmpeg_publish_sync (in_flv, url));
  fail_unless (ffmpeg_publish_sync (in_b_flv, url));
  n_total = media_a->len + media_b->len;

  while (n_media < n_total && (sample = pull (sink))) {
    GstBuffer *buf = gst_sample_get_buffer (sample);
    GstCaps *caps = gst_sample_get_caps (sample);
    FlvBuf tag;

    append_buffer (flv, buf);
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
      if (n_media > 0) {
        n_inline++;
        parse_buffer (buf, &tag);
        if (tag.type == 9) {
          g_assert_true (g_bytes_equal (tag.payload, config_b));
          saw_new_config = TRUE;
        }
        g_bytes_unref (tag.payload);
      }
      gst_sample_unref (sample);
      continue;
    }
    parse_buffer (buf, &tag);
    if (n_media < media_a->len) {
      g_assert_true (g_bytes_equal (tag.payload, ((Tag *)
                  g_ptr_array_index (media_a, n_media))->payload));
      got_config = caps_config (caps, 9);
      g_assert_true (g_bytes_equal (got_config, config_a));
    } else {
      g_assert_true (g_bytes_equal (tag.payload, ((Tag *)
                  g_ptr_array_index (media_b, n_media - media_a->len))->
              payload));
      g_assert_true (saw_new_config);
      if (n_media == media_a->len)
        g_assert_true (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT));
      got_config = caps_config (caps, 9);
      g_assert_true (g_bytes_equal (got_config, config_b));
    }
    g_bytes_unref (got_config);
    /* the audio configuration of the first publisher is kept */
    got_config = caps_config (caps, 8);
    g_assert_true (g_bytes_equal (got_config, aac));
    g_bytes_unref (got_config);
    g_bytes_unref (tag.payload);
    n_media++;
    gst_sample_unref (sample);
  }
  g_assert_cmpuint (n_media, ==, n_total);
  /* the new onMetaData and the new video configuration */
  g_assert_cmpuint (n_inline, ==, 2);

  g_assert_true (g_file_set_contents (path, (gchar *) flv->data, flv->len,
          NULL));
  g_assert_cmpuint (ffprobe_count_frames (path), ==,
      count_video_frames (tags_a) + count_video_frames (tags_b));

  for (i = 0; i < 2; i++)
    g_ptr_array_unref (i ? media_b : media_a);
  g_ptr_array_unref (tags_a);
  g_ptr_array_unref (tags_b);
  g_bytes_unref (config_a);
  g_bytes_unref (config_b);
  g_bytes_unref (aac);
  g_byte_array_unref (flv);
  g_free (path);
  g_free (url);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
}
GST_END_TEST;

/* stats while a publisher streams; max-connections, max-message-size and
 * the handshake timeout are enforced. */
GST_START_TEST (test_stats_and_limits)
{
  guint port;
  GstElement *pipeline = pipeline_start (SINK_PIPELINE ("application=live "
          "stream=key max-connections=1 timeout=1"), &port);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = get_sink (pipeline, "sink");
  gchar *url = url_for (port, "live/key");
  Publisher *pub = ffmpeg_publish_realtime (in_b_flv, url);
  GstStructure *stats;
  const GstStructure *p;
  const GValue *publishers;
  guint64 refused, bytes;
  guint active;
  GSocketClient *client;
  GSocketConnection *conn;
  GError *error = NULL;
  gchar *desc;
  guint8 byte;

  wait_publish_started (pipeline);
  /* one connection at a time: another one is closed at once */
  fail_if (ffmpeg_publish_sync (in_flv, url));

  g_object_get (src, "stats", &stats, NULL);
  g_assert_true (gst_structure_get_uint (stats, "connections-active",
          &active));
  g_assert_cmpuint (active, ==, 1);
  g_assert_true (gst_structure_get_uint64 (stats, "connections-refused",
          &refused));
  g_assert_cmpuint (refused, ==, 1);
  publishers = gst_structure_get_value (stats, "publishers");
  g_assert_cmpuint (gst_value_array_get_size (publishers), ==, 1);
  p = gst_value_get_structure (gst_value_array_get_value (publishers, 0));
  g_assert_cmpstr (gst_structure_get_string (p, "stream"), ==, "ke****");
  g_assert_cmpstr (gst_structure_get_string (p, "application"), ==, "live");
  g_assert_true (g_str_has_prefix (gst_structure_get_string (p, "address"),
          "127.0.0.1:"));
  g_assert_nonnull (strstr (gst_structure_get_string (p, "flash-version"),
          "Lavf"));
  g_assert_true (gst_structure_get_uint64 (p, "bytes", &bytes));
  g_assert_cmpuint (bytes, >, 0);
  g_assert_true (gst_structure_has_field (p, "bitrate"));
  g_assert_true (gst_structure_has_field (p, "duration"));
  g_assert_true (gst_structure_has_field (p, "rtt"));
  gst_structure_free (stats);

  g_ptr_array_unref (receive_and_check (sink, in_b_flv, 1, 0, NULL));
  fail_unless (publisher_wait (pub));

  /* a client that connects and says nothing is closed after timeout=1 */
  client = g_socket_client_new ();
  g_socket_client_set_enable_proxy (client, FALSE);
  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL,
      &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (conn), 20);
  g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream
          (G_IO_STREAM (conn)), &byte, 1, NULL, &error), ==, 0);
  g_assert_no_error (error);
  g_object_unref (conn);
  g_object_unref (client);

  gst_object_unref (src);
  gst_object_unref (sink);
  pipeline_stop (pipeline);

  /* a message longer than max-message-size closes the publisher (ffmpeg
   * may have written everything to the socket already and not notice):
   * the stream ends early, with the reason */
  desc = g_strdup_printf (SINK_PIPELINE ("max-message-size=1000"));
  pipeline = pipeline_start (desc, &port);
  sink = get_sink (pipeline, "sink");
  g_free (url);
  url = url_for (port, "live/key");
  ffmpeg_publish_sync (in_flv, url);
  {
    GPtrArray *got = pull_media_until_eos (sink);
    GstMessage *msg;
    const gchar *reason = NULL;

    GPtrArray *media = media_tags (in_flv);

    /* small audio frames may pass before the first video frame */
    g_assert_cmpuint (got->len, <, media->len / 2);
    g_ptr_array_unref (media);
    while (reason == NULL) {
      msg = gst_bus_timed_pop_filtered (GST_ELEMENT_BUS (pipeline),
          10 * GST_SECOND, GST_MESSAGE_ELEMENT);
      g_assert_nonnull (msg);
      if (gst_structure_has_name (gst_message_get_structure (msg),
              "rtmpserversrc-publish-stopped")) {
        reason = gst_structure_get_string (gst_message_get_structure (msg),
            "reason");
        g_assert_cmpstr (reason, !=, "unpublished");
      }
      gst_message_unref (msg);
    }
    g_ptr_array_unref (got);
  }
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (desc);
  g_free (url);
}
GST_END_TEST;

static void
assert_start_fails (const gchar * desc, const gchar * text)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &error);
  GstMessage *msg;
  GError *err = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), ==,
      GST_STATE_CHANGE_FAILURE);
  msg = gst_bus_pop_filtered (GST_ELEMENT_BUS (pipeline), GST_MESSAGE_ERROR);
  g_assert_nonnull (msg);
  gst_message_parse_error (msg, &err, NULL);
  if (strstr (err->message, text) == NULL)
    g_printerr ("error: %s\n", err->message);
  g_assert_nonnull (strstr (err->message, text));
  g_error_free (err);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
}

/* Elements sharing a port must agree on TLS and limits, and must not
 * serve the same application and stream. */
GST_START_TEST (test_shared_port_conflicts)
{
  guint port;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("application=live stream=a"), &port);
  gchar *desc;
  gchar *cert = g_build_filename (tmp_dir, "missing.pem", NULL);

  desc = g_strdup_printf ("rtmpserversrc address=127.0.0.1 port=%u "
      "application=live stream=a ! fakesink", port);
  /* the key is masked in the error too */
  assert_start_fails (desc, "already serves application \"live\" stream "
      "\"*\"");
  g_free (desc);

  desc = g_strdup_printf ("rtmpserversrc address=127.0.0.1 port=%u "
      "application=live stream=b max-connections=5 ! fakesink", port);
  assert_start_fails (desc, "must agree");
  g_free (desc);

  desc = g_strdup_printf ("rtmpserversrc address=127.0.0.1 port=%u "
      "tls-pem-file=%s ! fakesink", port, cert);
  assert_start_fails (desc, "tls-pem-file");
  g_free (desc);

  pipeline_stop (pipeline);
  g_free (cert);
}
GST_END_TEST;

/* Listening on IPv6 loopback (skipped where the machine has none). */
GST_START_TEST (test_ipv6)
{
  GSocket *probe = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  GSocketAddress *addr = g_inet_socket_address_new (lo, 0);
  gboolean have_ipv6 = probe && g_socket_bind (probe, addr, TRUE, NULL);
  GstElement *pipeline, *sink;
  Publisher *pub;
  gchar *url;
  guint port;

  g_clear_object (&probe);
  g_object_unref (addr);
  g_object_unref (lo);
  if (!have_ipv6) {
    g_print ("no IPv6 loopback: IPv6 not tested\n");
    return;
  }
  pipeline = pipeline_start ("rtmpserversrc name=src address=::1 port=0 "
      "! appsink name=sink sync=false", &port);
  sink = get_sink (pipeline, "sink");
  url = g_strdup_printf ("rtmp://[::1]:%u/live/key", port);
  pub = ffmpeg_publish (in_flv, url);
  g_ptr_array_unref (receive_and_check (sink, in_flv, 5, 0, NULL));
  fail_unless (publisher_wait (pub));
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (url);
}
GST_END_TEST;

static void
append_tag (GByteArray * flv, guint8 type, guint32 timestamp,
    const guint8 * data, gsize size)
{
  guint8 head[11], tail[4];

  rtmp_core_flv_write_tag_header (head, type, size, timestamp);
  GST_WRITE_UINT32_BE (tail, size + 11);
  g_byte_array_append (flv, head, 11);
  g_byte_array_append (flv, data, size);
  g_byte_array_append (flv, tail, 4);
}

/* An Enhanced RTMP HEVC stream (which ffmpeg 5 cannot publish), written
 * by hand: onMetaData, an hvc1 SequenceStart, then a key frame and inter
 * frames (CodedFrames with a composition time, and CodedFramesX). */
static gchar *
make_hevc_flv (void)
{
  /* { videocodecid: 1752589105.0 (the FourCC hvc1 as a number) } */
  static const guint8 metadata[] = {
    0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't', 'a',
    0x03, 0x00, 0x0c, 'v', 'i', 'd', 'e', 'o', 'c', 'o', 'd', 'e', 'c', 'i',
    'd', 0x00, 0x41, 0xda, 0x1d, 0x98, 0xcc, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x09
  };
  /* IsExHeader | key frame | SequenceStart, "hvc1", a configuration */
  static const guint8 config[] = {
    0x90, 'h', 'v', 'c', '1', 0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x5d, 0xf0, 0x00, 0xfc, 0xfd, 0xf8, 0xf8,
    0x00, 0x00, 0x0f, 0x00
  };
  GByteArray *flv = g_byte_array_new ();
  GBytes *header = rtmp_core_flv_make_header (RTMP_CORE_FLV_HAS_VIDEO);
  gchar *path = g_build_filename (tmp_dir, "hevc.flv", NULL);
  guint i;

  g_byte_array_append (flv, g_bytes_get_data (header, NULL), 13);
  g_bytes_unref (header);
  append_tag (flv, 18, 0, metadata, sizeof (metadata));
  append_tag (flv, 9, 0, config, sizeof (config));
  for (i = 0; i < 20; i++) {
    guint8 frame[64];

    /* CodedFrames (1) with a 24-bit composition time of 40 ms for key
     * frames, CodedFramesX (3) for inter frames */
    memset (frame, i, sizeof (frame));
    memcpy (frame + 1, "hvc1", 4);
    if (i % 10 == 0) {
      frame[0] = 0x80 | (1 << 4) | 1;
      frame[5] = 0;
      frame[6] = 0;
      frame[7] = 40;
    } else {
      frame[0] = 0x80 | (2 << 4) | 3;
    }
    append_tag (flv, 9, i * 40, frame, sizeof (frame));
  }
  g_assert_true (g_file_set_contents (path, (gchar *) flv->data, flv->len,
          NULL));
  g_byte_array_unref (flv);
  return path;
}

/* Enhanced RTMP HEVC tags pass byte-exact; the SequenceStart is in the
 * stream header; key frames and composition times are understood. */
GST_START_TEST (test_enhanced_hevc)
{
  gchar *hevc = make_hevc_flv ();
  guint port, i;
  GstElement *pipeline =
      pipeline_start (SINK_PIPELINE ("application=live"), &port);
  GstElement *sink = get_sink (pipeline, "sink");
  Publisher *pub = client_publish (port, hevc, 1000);
  GPtrArray *got;

  got = receive_and_check (sink, hevc, 1, 0, NULL);
  fail_unless (publisher_wait (pub));
  g_assert_cmpuint (got->len, ==, 20);
  for (i = 0; i < got->len; i++) {
    GstBuffer *buf = g_ptr_array_index (got, i);

    g_assert_cmpint (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT),
        ==, i % 10 != 0);
    g_assert_cmpuint (GST_BUFFER_PTS (buf) - GST_BUFFER_DTS (buf), ==,
        i % 10 == 0 ? 40 * GST_MSECOND : 0);
  }
  g_ptr_array_unref (got);
  gst_object_unref (sink);
  pipeline_stop (pipeline);
  g_free (hevc);
}
GST_END_TEST;

/* gst-inspect-1.0 shows the element without warnings. */
GST_START_TEST (test_inspect)
{
  gchar *argv[] = { (gchar *) "gst-inspect-1.0", (gchar *) "rtmpserversrc",
    NULL
  };
  gchar **env = g_environ_setenv (g_get_environ (), "GST_PLUGIN_PATH_1_0",
      PLUGIN_PATH, TRUE);
  gchar *out = NULL, *err = NULL;
  gint status;
  GError *error = NULL;

  env = g_environ_setenv (env, "G_DEBUG", "fatal-warnings", TRUE);
  g_assert_true (g_spawn_sync (NULL, argv, env, G_SPAWN_SEARCH_PATH, NULL,
          NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_assert_cmpstr (err, ==, "");
  g_assert_nonnull (strstr (out, "rtmpserversrc"));
  g_assert_nonnull (strstr (out, "current-port"));
  g_assert_nonnull (strstr (out, "authorize"));
  g_assert_null (strstr (out, "WARNING"));
  g_assert_null (strstr (out, "CRITICAL"));
  g_free (out);
  g_free (err);
  g_strfreev (env);
}
GST_END_TEST;

static Suite *
rtmpserversrc_suite (void)
{
  Suite *s = suite_create ("rtmpserversrc");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_inspect);
  tcase_add_test (tc, test_ffmpeg_tags);
  tcase_add_test (tc, test_client_timestamp_wrap);
  tcase_add_test (tc, test_ffmpeg_to_mp4);
  tcase_add_test (tc, test_two_elements_one_port);
  tcase_add_test (tc, test_refused);
  tcase_add_test (tc, test_persistent);
  tcase_add_test (tc, test_takeover);
  tcase_add_test (tc, test_overflow);
  tcase_add_test (tc, test_rtmps);
  tcase_add_test (tc, test_config_change);
  tcase_add_test (tc, test_stats_and_limits);
  tcase_add_test (tc, test_shared_port_conflicts);
  tcase_add_test (tc, test_ipv6);
  tcase_add_test (tc, test_enhanced_hevc);
  return s;
}

/* The test media: made by ffmpeg, as a publisher would send it. */
static gboolean
make_inputs (void)
{
  gchar *cmd;
  gboolean ok;

  tmp_dir = g_dir_make_tmp ("rtmpserversrc-XXXXXX", NULL);
  in_flv = g_build_filename (tmp_dir, "in.flv", NULL);
  in_b_flv = g_build_filename (tmp_dir, "in-b.flv", NULL);
  cmd = g_strdup_printf ("ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "testsrc2=size=320x240:rate=25 -f lavfi -i sine=frequency=440:"
      "sample_rate=44100 -t 2 -c:v libx264 -preset ultrafast -g 25 -c:a aac "
      "-f flv %s", in_flv);
  ok = run_quiet (cmd);
  g_free (cmd);
  cmd = g_strdup_printf ("ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "testsrc=size=160x120:rate=10 -t 1 -c:v libx264 -preset ultrafast "
      "-f flv %s", in_b_flv);
  ok = ok && run_quiet (cmd);
  g_free (cmd);
  return ok;
}

static void
remove_inputs (void)
{
  GDir *dir = g_dir_open (tmp_dir, 0, NULL);
  const gchar *name;

  while (dir && (name = g_dir_read_name (dir))) {
    gchar *path = g_build_filename (tmp_dir, name, NULL);

    g_remove (path);
    g_free (path);
  }
  if (dir)
    g_dir_close (dir);
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  g_free (in_flv);
  g_free (in_b_flv);
}

int
main (int argc, char **argv)
{
  gchar *encoders = NULL;
  gchar *ffmpeg;
  int ret;

  if (argc == 5 && g_str_equal (argv[1], "--publish-client"))
    return client_publish_main (argv[2], argv[3], argv[4]);
  ffmpeg = g_find_program_in_path ("ffmpeg");
  gst_check_init (&argc, &argv);
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

  ret = gst_check_run_suite (rtmpserversrc_suite (), "rtmpserversrc",
      __FILE__);
  remove_inputs ();
  return ret;
}
