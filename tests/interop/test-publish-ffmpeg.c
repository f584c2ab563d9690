/* Interop: RtmpCoreClient publishes an H.264 + AAC FLV to ffmpeg in listen
 * mode (`ffmpeg -listen 1 -i rtmp://... -c copy out.flv`), and every audio
 * and video tag ffmpeg writes must equal the one we sent, byte for byte.
 *
 * Exits 77 (meson SKIP) when ffmpeg or its libx264 encoder is missing.
 * Everything runs on 127.0.0.1. */
#include <stdlib.h>
#include <string.h>
#include <glib/gstdio.h>
#ifdef __linux__
#include <signal.h>
#include <sys/prctl.h>
#endif
#include <rtmpcore.h>

#define SKIP_EXIT_CODE 77
#define CONNECT_RETRY_MS 100
#define CONNECT_RETRY_LIMIT_S 10
#define FFMPEG_EXIT_TIMEOUT_S 30
#define TAIL_LENGTH 5
#define SMALL_QUEUE_BYTES (32 * 1024)

typedef struct
{
  gchar *dir;
  gchar *in_path;
  gchar *out_path;
  GPtrArray *in_tags;           /* RtmpCoreMessage, every tag of in.flv */
  GPtrArray *out_tags;          /* RtmpCoreMessage, every tag of out.flv */
} Run;

static Run run;

/* ---- small helpers ---- */

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
store_result (GObject * source, GAsyncResult * result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the default context until *@result is set; fails after
 * @timeout_s seconds rather than hanging. */
static void
wait_for_result (GAsyncResult ** result, guint timeout_s, const gchar * what)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (timeout_s, set_flag, &expired);

  while (*result == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("%s did not finish within %u s", what, timeout_s);
  g_source_remove (id);
}

static void
sleep_in_loop (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static GPtrArray *
parse_flv (const gchar * path)
{
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  GMappedFile *file;
  GBytes *bytes;
  GPtrArray *tags;
  GError *error = NULL;

  file = g_mapped_file_new (path, FALSE, &error);
  g_assert_no_error (error);
  bytes = g_mapped_file_get_bytes (file);
  tags = rtmp_core_flv_parser_feed_bytes (parser, bytes, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tags);
  g_assert_true (rtmp_core_flv_parser_finish (parser, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_flv_parser_get_n_bad_back_pointers (parser), ==,
      0);

  g_bytes_unref (bytes);
  g_mapped_file_unref (file);
  rtmp_core_flv_parser_unref (parser);
  return tags;
}

/* A free TCP port on 127.0.0.1: bind to port 0, read it back, close. */
static guint16
pick_free_port (void)
{
  GSocket *socket;
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound;
  guint16 port;
  GError *error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);

  g_object_unref (bound);
  g_object_unref (socket);
  g_object_unref (address);
  g_object_unref (loopback);
  return port;
}

/* ---- preparation (before the GTest cases; may skip) ---- */

static void
remove_run_files (void)
{
  g_remove (run.in_path);
  g_remove (run.out_path);
  g_rmdir (run.dir);
}

static void
skip (const gchar * reason)
{
  g_print ("1..0 # SKIP %s\n", reason);
  exit (SKIP_EXIT_CODE);
}

/* Makes in.flv: 3 s of H.264 (keyframe every second) and AAC. */
static void
make_input (void)
{
  const gchar *argv[] = { "ffmpeg", "-hide_banner", "-loglevel", "error",
    "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
    "-t", "3", "-c:v", "libx264", "-preset", "ultrafast", "-g", "30",
    "-c:a", "aac", "-b:a", "64k", "-f", "flv", run.in_path, NULL
  };
  gchar *err_text = NULL;
  gint status;
  GError *error = NULL;

  if (!g_spawn_sync (run.dir, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH,
          NULL, NULL, NULL, &err_text, &status, &error))
    g_error ("could not run ffmpeg: %s", error->message);
  if (!g_spawn_check_wait_status (status, NULL)) {
    if (strstr (err_text, "libx264") || strstr (err_text, "Unknown encoder")) {
      remove_run_files ();
      skip ("ffmpeg has no libx264 encoder");
    }
    g_error ("ffmpeg could not make the input file: %s", err_text);
  }
  g_free (err_text);
}

/* ---- the publish ---- */

typedef struct
{
  RtmpCoreClient *client;
  gboolean drained;
  guint n_queue_full;
} Publisher;

static void
on_queue_drained (RtmpCoreConnection * conn, gpointer user_data)
{
  ((Publisher *) user_data)->drained = TRUE;
}

/* Connects, retrying while ffmpeg is not listening yet. */
static RtmpCoreClient *
connect_with_retry (const RtmpCoreUrl * url)
{
  gint64 deadline = g_get_monotonic_time () +
      CONNECT_RETRY_LIMIT_S * G_TIME_SPAN_SECOND;

  for (;;) {
    RtmpCoreClient *client = rtmp_core_client_new (url);
    GAsyncResult *result = NULL;
    GError *error = NULL;

    rtmp_core_client_connect_async (client, NULL, store_result, &result);
    wait_for_result (&result, 20, "connect");
    if (rtmp_core_client_connect_finish (client, result, &error)) {
      g_object_unref (result);
      return client;
    }
    g_object_unref (result);
    g_object_unref (client);
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
        g_get_monotonic_time () > deadline)
      g_error ("could not connect to ffmpeg: %s", error->message);
    g_error_free (error);
    sleep_in_loop (CONNECT_RETRY_MS);
  }
}

/* Sends one tag, waiting for the queue to drain whenever it is full. */
static void
send_tag (Publisher * pub, RtmpCoreMessage * tag)
{
  GError *error = NULL;

  while (!rtmp_core_client_send_media (pub->client, tag, &error)) {
    if (!g_error_matches (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_QUEUE_FULL))
      g_error ("send_media failed: %s", error->message);
    g_clear_error (&error);
    pub->n_queue_full++;
    pub->drained = FALSE;
    while (!pub->drained)
      g_main_context_iteration (NULL, TRUE);
  }
}

static void
publish_file (guint16 port)
{
  Publisher pub = { NULL, FALSE, 0 };
  RtmpCoreUrl *url = rtmp_core_url_new (RTMP_CORE_SCHEME_RTMP, "127.0.0.1",
      port, "live", "key");
  GAsyncResult *result = NULL;
  RtmpCoreConnection *conn;
  gulong drained_id;
  guint i;
  GError *error = NULL;

  pub.client = connect_with_retry (url);
  rtmp_core_client_publish_async (pub.client, NULL, store_result, &result);
  wait_for_result (&result, 20, "publish");
  rtmp_core_client_publish_finish (pub.client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  /* a small queue, so that sending as fast as possible hits QUEUE_FULL and
   * waits for queue-drained */
  conn = rtmp_core_client_get_connection (pub.client);
  rtmp_core_connection_set_max_queue_bytes (conn, SMALL_QUEUE_BYTES);
  drained_id = g_signal_connect (conn, "queue-drained",
      G_CALLBACK (on_queue_drained), &pub);
  for (i = 0; i < run.in_tags->len; i++)
    send_tag (&pub, g_ptr_array_index (run.in_tags, i));

  g_print ("# the queue was full %u times\n", pub.n_queue_full);
  g_assert_cmpuint (pub.n_queue_full, >, 0);

  rtmp_core_client_stop_async (pub.client, NULL, store_result, &result);
  wait_for_result (&result, 20, "stop");
  rtmp_core_client_stop_finish (pub.client, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);

  g_signal_handler_disconnect (conn, drained_id);
  g_object_unref (pub.client);
  rtmp_core_url_free (url);
}

static void
wait_for_ffmpeg (GSubprocess * ffmpeg)
{
  GAsyncResult *result = NULL;
  GError *error = NULL;

  g_subprocess_wait_async (ffmpeg, NULL, store_result, &result);
  wait_for_result (&result, FFMPEG_EXIT_TIMEOUT_S, "ffmpeg");
  g_subprocess_wait_finish (ffmpeg, result, &error);
  g_assert_no_error (error);
  g_object_unref (result);
  g_assert_true (g_subprocess_get_if_exited (ffmpeg));
  g_assert_cmpint (g_subprocess_get_exit_status (ffmpeg), ==, 0);
}

/* Runs in the forked child: a failing (aborting) test must not leave an
 * ffmpeg listening forever. */
static void
kill_with_parent (gpointer user_data)
{
#ifdef __linux__
  prctl (PR_SET_PDEATHSIG, SIGKILL);
#endif
}

/* Publishes in.flv to a fresh ffmpeg listener and parses its out.flv, once
 * for every test case. */
static void
ensure_run (void)
{
  GSubprocessLauncher *launcher;
  GSubprocess *ffmpeg;
  guint16 port;
  gchar *location;
  GError *error = NULL;

  if (run.out_tags)
    return;

  port = pick_free_port ();
  location = g_strdup_printf ("rtmp://127.0.0.1:%u/live/key", port);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_set_child_setup (launcher, kill_with_parent, NULL,
      NULL);
  ffmpeg = g_subprocess_launcher_spawn (launcher, &error, "ffmpeg",
      "-hide_banner", "-loglevel", "error", "-listen", "1", "-i", location,
      "-c", "copy", "-f", "flv", run.out_path, NULL);
  g_assert_no_error (error);
  g_object_unref (launcher);

  publish_file (port);
  wait_for_ffmpeg (ffmpeg);
  run.out_tags = parse_flv (run.out_path);

  g_object_unref (ffmpeg);
  g_free (location);
}

/* ---- comparison ---- */

static GPtrArray *
media_tags (GPtrArray * tags, guint8 type)
{
  GPtrArray *out = g_ptr_array_new ();
  guint i;

  for (i = 0; i < tags->len; i++) {
    RtmpCoreMessage *tag = g_ptr_array_index (tags, i);

    if (tag->type == type)
      g_ptr_array_add (out, tag);
  }
  return out;
}

static gboolean
has_on_metadata (GPtrArray * tags)
{
  guint i;

  for (i = 0; i < tags->len; i++) {
    RtmpCoreMessage *tag = g_ptr_array_index (tags, i);
    GPtrArray *values;
    gboolean found;

    if (tag->type != RTMP_CORE_MESSAGE_DATA_AMF0)
      continue;
    values = rtmp_core_data_message_parse (tag, NULL);
    found = values && values->len >= 1 &&
        g_strcmp0 (rtmp_core_amf_value_get_string
        (g_ptr_array_index (values, 0)), "onMetaData") == 0;
    g_clear_pointer (&values, g_ptr_array_unref);
    if (found)
      return TRUE;
  }
  return FALSE;
}

/* Payloads must be identical; timestamps may differ by one constant offset
 * (should ffmpeg rebase them) but their spacing must not. */
static void
compare_tags (GPtrArray * in, GPtrArray * out, const gchar * kind)
{
  guint i;
  gint64 offset;

  g_assert_cmpuint (out->len, ==, in->len);
  g_assert_cmpuint (in->len, >, 0);
  offset = (gint64) ((RtmpCoreMessage *) out->pdata[0])->timestamp -
      ((RtmpCoreMessage *) in->pdata[0])->timestamp;
  for (i = 0; i < in->len; i++) {
    RtmpCoreMessage *a = g_ptr_array_index (in, i);
    RtmpCoreMessage *b = g_ptr_array_index (out, i);
    gsize a_size, b_size;
    const guint8 *a_data = rtmp_core_message_peek_data (a, &a_size);
    const guint8 *b_data = rtmp_core_message_peek_data (b, &b_size);

    if ((gint64) b->timestamp - a->timestamp != offset)
      g_error ("%s tag %u: timestamp %u became %u (offset %" G_GINT64_FORMAT
          " expected)", kind, i, a->timestamp, b->timestamp, offset);
    g_assert_cmpmem (b_data, b_size, a_data, a_size);
  }
}

static void
test_tags_identical (void)
{
  GPtrArray *in_video, *in_audio, *out_video, *out_audio;

  ensure_run ();
  in_video = media_tags (run.in_tags, RTMP_CORE_MESSAGE_VIDEO);
  in_audio = media_tags (run.in_tags, RTMP_CORE_MESSAGE_AUDIO);
  out_video = media_tags (run.out_tags, RTMP_CORE_MESSAGE_VIDEO);
  out_audio = media_tags (run.out_tags, RTMP_CORE_MESSAGE_AUDIO);

  compare_tags (in_video, out_video, "video");
  compare_tags (in_audio, out_audio, "audio");
  g_assert_true (has_on_metadata (run.in_tags));
  g_assert_true (has_on_metadata (run.out_tags));
  g_print ("# %u video + %u audio tags identical\n", in_video->len,
      in_audio->len);

  g_ptr_array_unref (in_video);
  g_ptr_array_unref (in_audio);
  g_ptr_array_unref (out_video);
  g_ptr_array_unref (out_audio);
}

/* The stop flushed everything: the last tags we sent are in out.flv. */
static void
test_tail_complete (void)
{
  GPtrArray *in_media = g_ptr_array_new (), *out_media = g_ptr_array_new ();
  guint i;

  ensure_run ();
  for (i = 0; i < run.in_tags->len; i++)
    if (((RtmpCoreMessage *) run.in_tags->pdata[i])->type !=
        RTMP_CORE_MESSAGE_DATA_AMF0)
      g_ptr_array_add (in_media, run.in_tags->pdata[i]);
  for (i = 0; i < run.out_tags->len; i++)
    if (((RtmpCoreMessage *) run.out_tags->pdata[i])->type !=
        RTMP_CORE_MESSAGE_DATA_AMF0)
      g_ptr_array_add (out_media, run.out_tags->pdata[i]);

  g_assert_cmpuint (in_media->len, >=, TAIL_LENGTH);
  g_assert_cmpuint (out_media->len, ==, in_media->len);
  for (i = in_media->len - TAIL_LENGTH; i < in_media->len; i++) {
    RtmpCoreMessage *a = g_ptr_array_index (in_media, i);
    RtmpCoreMessage *b = g_ptr_array_index (out_media, i);
    gsize a_size, b_size;
    const guint8 *a_data = rtmp_core_message_peek_data (a, &a_size);
    const guint8 *b_data = rtmp_core_message_peek_data (b, &b_size);

    g_assert_cmpuint (b->type, ==, a->type);
    g_assert_cmpmem (b_data, b_size, a_data, a_size);
  }
  g_ptr_array_unref (in_media);
  g_ptr_array_unref (out_media);
}

int
main (int argc, char **argv)
{
  gchar *ffmpeg;
  GError *error = NULL;
  int ret;

  /* Loopback only: keep the machine's proxy settings (and libproxy, which
   * throws C++ exceptions that AddressSanitizer cannot intercept in a C
   * program) out of the test. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

  ffmpeg = g_find_program_in_path ("ffmpeg");
  if (ffmpeg == NULL)
    skip ("ffmpeg is not installed");
  g_free (ffmpeg);

  run.dir = g_dir_make_tmp ("rtmpcore-ffmpeg-XXXXXX", &error);
  g_assert_no_error (error);
  run.in_path = g_build_filename (run.dir, "in.flv", NULL);
  run.out_path = g_build_filename (run.dir, "out.flv", NULL);
  make_input ();
  run.in_tags = parse_flv (run.in_path);

  g_test_add_func ("/interop/ffmpeg/publish/tags-identical",
      test_tags_identical);
  g_test_add_func ("/interop/ffmpeg/publish/tail-complete",
      test_tail_complete);
  ret = g_test_run ();

  remove_run_files ();
  g_ptr_array_unref (run.in_tags);
  g_clear_pointer (&run.out_tags, g_ptr_array_unref);
  g_free (run.in_path);
  g_free (run.out_path);
  g_free (run.dir);
  return ret;
}
