/* rtmpsrc2: properties and URI handling, and playing from real peers on
 * loopback (ffmpeg -listen, nginx-rtmp fed by ffmpeg, and a small RTMP
 * server built here on RtmpCoreConnection). What arrives is compared tag
 * by tag with the FLV file that was sent. */
#include <gst/check/gstcheck.h>
#include <gst/base/gstbasesrc.h>
#include <glib/gstdio.h>
#include <rtmpcore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_KEY "sEcReTkEy42"
#define NGINX_RTMP_MODULE "/usr/lib/nginx/modules/ngx_rtmp_module.so"
/* the message stream our test server assigns: not the usual 1 */
#define TEST_STREAM_ID 7

static const gchar *test_binary;
static gchar *work_dir;
static gchar *input_flv;

/* ---------------------------------------------------------------- */
/* helpers                                                           */
/* ---------------------------------------------------------------- */

static guint
free_port (void)
{
  GSocket *socket;
  GInetAddress *loopback;
  GSocketAddress *address, *bound;
  guint port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, 0);
  fail_unless (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_object_unref (bound);
  g_object_unref (address);
  g_object_unref (loopback);
  g_socket_close (socket, NULL);
  g_object_unref (socket);
  return port;
}

/* Waits until something listens on 127.0.0.1:@port, without connecting:
 * ffmpeg -listen serves exactly one connection. */
static gboolean
wait_listening (guint port, guint seconds)
{
  gchar *needle = g_strdup_printf ("0100007F:%04X 00000000:0000 0A", port);
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  gboolean found = FALSE;

  while (!found && g_get_monotonic_time () < deadline) {
    gchar *table = NULL;

    if (g_file_get_contents ("/proc/net/tcp", &table, NULL, NULL))
      found = strstr (table, needle) != NULL;
    g_free (table);
    if (!found)
      g_usleep (20 * 1000);
  }
  g_free (needle);
  return found;
}

static GSubprocess *
spawn (const gchar * const *argv)
{
  GError *error = NULL;
  GSubprocess *p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE
      | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);

  g_assert_no_error (error);
  return p;
}

static void
kill_process (GSubprocess * p)
{
  if (p == NULL)
    return;
  g_subprocess_force_exit (p);
  g_subprocess_wait (p, NULL, NULL);
  g_object_unref (p);
}

static gboolean
have_program (const gchar * name)
{
  gchar *path = g_find_program_in_path (name);
  gboolean found = path != NULL;

  g_free (path);
  return found;
}

/* 3 s of H.264 (keyframe every 30 frames) and AAC, as ffmpeg writes it.
 * g_spawn_sync(), not GSubprocess: this runs before check forks the tests,
 * and a forked child has no GLib worker thread to reap its processes. */
static gboolean
make_input (void)
{
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-y", "-f", "lavfi", "-i",
    "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i",
    "sine=frequency=440:sample_rate=44100", "-t", "3", "-c:v", "libx264",
    "-preset", "ultrafast", "-g", "30", "-pix_fmt", "yuv420p", "-c:a", "aac",
    "-f", "flv", NULL, NULL
  };
  gint status = -1;

  argv[G_N_ELEMENTS (argv) - 2] = input_flv;
  if (!g_spawn_sync (NULL, (gchar **) argv, NULL, G_SPAWN_SEARCH_PATH |
          G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
          NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status (status, NULL);
}

/* ---------------------------------------------------------------- */
/* FLV tags                                                          */
/* ---------------------------------------------------------------- */

typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *data;
} Tag;

static void
tag_free (Tag * tag)
{
  g_bytes_unref (tag->data);
  g_free (tag);
}

static guint32
flv_timestamp (const guint8 * head)
{
  return ((guint32) head[7] << 24) | (head[4] << 16) | (head[5] << 8) |
      head[6];
}

/* One FLV tag (header, data, back pointer) at @data, or NULL. */
static Tag *
parse_tag (const guint8 * data, gsize size, gsize * used)
{
  Tag *tag;
  gsize body;

  if (size < 15)
    return NULL;
  body = (data[1] << 16) | (data[2] << 8) | data[3];
  if (body > size - 15)
    return NULL;
  tag = g_new0 (Tag, 1);
  tag->type = data[0];
  tag->timestamp = flv_timestamp (data);
  tag->data = g_bytes_new (data + 11, body);
  *used = body + 15;
  return tag;
}

/* The tags of an FLV file. */
static GPtrArray *
read_flv (const gchar * path)
{
  GPtrArray *tags = g_ptr_array_new_with_free_func ((GDestroyNotify)
      tag_free);
  gchar *contents;
  gsize size, off, used;
  Tag *tag;

  fail_unless (g_file_get_contents (path, &contents, &size, NULL));
  fail_unless (size > 13 && memcmp (contents, "FLV", 3) == 0);
  off = 13;
  while ((tag = parse_tag ((guint8 *) contents + off, size - off, &used))) {
    g_ptr_array_add (tags, tag);
    off += used;
  }
  g_free (contents);
  return tags;
}

static Tag *
buffer_to_tag (GstBuffer * buf)
{
  GstMapInfo map;
  Tag *tag;
  gsize used = 0;

  fail_unless (gst_buffer_map (buf, &map, GST_MAP_READ));
  tag = parse_tag (map.data, map.size, &used);
  fail_unless (tag != NULL, "a buffer is not an FLV tag");
  fail_unless_equals_int (used, map.size);
  gst_buffer_unmap (buf, &map);
  return tag;
}

static gboolean
is_config (const Tag * tag)
{
  const guint8 *d = g_bytes_get_data (tag->data, NULL);

  return g_bytes_get_size (tag->data) >= 2 && d[1] == 0 &&
      ((tag->type == 9 && (d[0] & 0x0f) == 7) ||
      (tag->type == 8 && (d[0] >> 4) == 10));
}

/* The audio or video tags of @tags that are frames, not configurations. */
static GPtrArray *
frames_of (GPtrArray * tags, guint8 type)
{
  GPtrArray *out = g_ptr_array_new ();
  guint i;

  for (i = 0; i < tags->len; i++) {
    Tag *tag = g_ptr_array_index (tags, i);

    if (tag->type == type && !is_config (tag))
      g_ptr_array_add (out, tag);
  }
  return out;
}

static Tag *
find_config (GPtrArray * tags, guint8 type)
{
  guint i;

  for (i = 0; i < tags->len; i++) {
    Tag *tag = g_ptr_array_index (tags, i);

    if (tag->type == type && is_config (tag))
      return tag;
  }
  return NULL;
}

/* Same payloads, same timestamp spacing. */
static void
compare_frames (GPtrArray * sent, GPtrArray * received, guint8 type)
{
  GPtrArray *a = frames_of (sent, type), *b = frames_of (received, type);
  guint i;

  fail_unless (a->len > 0);
  fail_unless (b->len == a->len, "%u tags of type %u received, %u sent",
      b->len, type, a->len);
  for (i = 0; i < a->len; i++) {
    Tag *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);
    Tag *x0 = g_ptr_array_index (a, 0), *y0 = g_ptr_array_index (b, 0);

    fail_unless (g_bytes_equal (x->data, y->data),
        "payload of tag %u of type %u differs", i, type);
    fail_unless_equals_int (y->timestamp - y0->timestamp,
        x->timestamp - x0->timestamp);
  }
  g_ptr_array_unref (a);
  g_ptr_array_unref (b);
}

/* ---------------------------------------------------------------- */
/* running a pipeline                                                */
/* ---------------------------------------------------------------- */

typedef struct
{
  GMutex lock;
  GPtrArray *buffers;           /* what the sink received */
  guint frames;                 /* handoffs of a counting sink */
} Received;

static void
on_handoff (GstElement * sink, GstBuffer * buf, GstPad * pad,
    gpointer user_data)
{
  Received *r = user_data;

  g_mutex_lock (&r->lock);
  if (r->buffers)
    g_ptr_array_add (r->buffers, gst_buffer_ref (buf));
  r->frames++;
  g_mutex_unlock (&r->lock);
}

static void
received_init (Received * r, gboolean keep)
{
  g_mutex_init (&r->lock);
  r->buffers = keep ? g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref) : NULL;
  r->frames = 0;
}

static void
received_clear (Received * r)
{
  g_clear_pointer (&r->buffers, g_ptr_array_unref);
  g_mutex_clear (&r->lock);
}

static guint
received_frames (Received * r)
{
  guint n;

  g_mutex_lock (&r->lock);
  n = r->frames;
  g_mutex_unlock (&r->lock);
  return n;
}

/* Runs @pipeline until EOS or an error, or until @enough frames arrived
 * (0: no such limit), for at most @seconds. Returns the EOS or ERROR
 * message (NULL on timeout or enough frames); every WARNING and ERROR
 * message goes to @problems if not NULL. */
static GstMessage *
run_pipeline (GstElement * pipeline, guint seconds, Received * r,
    guint enough, GPtrArray * problems)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  GstMessage *end = NULL;

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  while (end == NULL && g_get_monotonic_time () < deadline) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 50 * GST_MSECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);

    if (msg && GST_MESSAGE_TYPE (msg) != GST_MESSAGE_EOS && problems)
      g_ptr_array_add (problems, gst_message_ref (msg));
    if (msg && GST_MESSAGE_TYPE (msg) != GST_MESSAGE_WARNING)
      end = gst_message_ref (msg);
    if (msg)
      gst_message_unref (msg);
    if (enough > 0 && r && received_frames (r) >= enough)
      break;
  }
  gst_object_unref (bus);
  return end;
}

static void
stop_pipeline (GstElement * pipeline)
{
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  gst_object_unref (pipeline);
}

static GstElement *
make_pipeline (const gchar * description, Received * r)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);
  GstElement *sink;

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  if (sink) {
    g_object_set (sink, "signal-handoffs", TRUE, NULL);
    g_signal_connect (sink, "handoff", G_CALLBACK (on_handoff), r);
    gst_object_unref (sink);
  }
  return pipeline;
}

/* ---------------------------------------------------------------- */
/* nginx-rtmp                                                        */
/* ---------------------------------------------------------------- */

typedef struct
{
  gchar *dir;
  guint port;
  GSubprocess *nginx;
} Nginx;

static Nginx *
nginx_start (void)
{
  Nginx *n;
  gchar *conf, *conf_path;
  const gchar *argv[] = { "nginx", "-c", NULL, "-p", NULL, NULL };

  if (!have_program ("nginx") && !g_file_test ("/usr/sbin/nginx",
          G_FILE_TEST_IS_EXECUTABLE))
    return NULL;
  if (!g_file_test (NGINX_RTMP_MODULE, G_FILE_TEST_EXISTS))
    return NULL;

  n = g_new0 (Nginx, 1);
  n->dir = g_dir_make_tmp ("rtmpsrc2-nginx-XXXXXX", NULL);
  n->port = free_port ();
  conf = g_strdup_printf ("load_module %s;\ndaemon off;\nmaster_process off;\n"
      "error_log %s/e.log;\npid %s/n.pid;\nevents {}\n"
      "rtmp { server { listen 127.0.0.1:%u; application live { live on; } } }\n",
      NGINX_RTMP_MODULE, n->dir, n->dir, n->port);
  conf_path = g_build_filename (n->dir, "nginx.conf", NULL);
  fail_unless (g_file_set_contents (conf_path, conf, -1, NULL));
  argv[0] = g_file_test ("/usr/sbin/nginx", G_FILE_TEST_IS_EXECUTABLE) ?
      "/usr/sbin/nginx" : "nginx";
  argv[2] = conf_path;
  argv[4] = n->dir;
  n->nginx = spawn (argv);
  fail_unless (wait_listening (n->port, 10), "nginx did not start");
  g_free (conf);
  g_free (conf_path);
  return n;
}

static void
remove_dir (const gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      remove_dir (path);
    else
      g_remove (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
}

static void
nginx_stop (Nginx * n)
{
  kill_process (n->nginx);
  remove_dir (n->dir);
  g_free (n->dir);
  g_free (n);
}

/* ffmpeg publishing the input in real time to nginx. */
static GSubprocess *
publish_to (guint port)
{
  gchar *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/cam", port);
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-re", "-i", input_flv,
    "-c", "copy", "-f", "flv", url, NULL
  };
  GSubprocess *p = spawn (argv);

  g_free (url);
  return p;
}

#define SKIP_WITHOUT_NGINX(n) G_STMT_START {                          \
  if ((n) == NULL) {                                                  \
    g_print ("SKIP: nginx with the RTMP module (%s) is not installed\n", \
        NGINX_RTMP_MODULE);                                           \
    return;                                                           \
  }                                                                   \
} G_STMT_END

/* ---------------------------------------------------------------- */
/* a tiny RTMP server on RtmpCoreConnection, in a child process      */
/* ---------------------------------------------------------------- */

/* The plugin carries its own copy of librtmpcore: two copies registering
 * the same GTypes in one process would clash, so the server runs in this
 * binary started with --test-server MODE and prints its port. Modes:
 * "notfound" answers play with NetStream.Play.StreamNotFound; "media"
 * starts the play on stream TEST_STREAM_ID, sends metadata, an AVC
 * configuration and an aggregate of two frames, a Stream EOF for another
 * stream (to be ignored), one more frame, then Stream EOF for ours. */

typedef struct
{
  RtmpCoreConnection *conn;
  const gchar *mode;
} ServerChild;

static void
child_queue (ServerChild * c, RtmpCoreMessage * msg)
{
  rtmp_core_connection_queue_message (c->conn, msg, NULL);
  rtmp_core_message_unref (msg);
}

static void
child_send (ServerChild * c, RtmpCoreCommand * cmd, guint32 stream_id)
{
  child_queue (c, rtmp_core_command_to_message (cmd, 3, stream_id));
  rtmp_core_command_unref (cmd);
}

static void
child_status (ServerChild * c, const gchar * level, const gchar * code)
{
  RtmpCoreCommand *cmd = rtmp_core_command_new ("onStatus", 0, NULL);
  RtmpCoreAmfValue *info = rtmp_core_amf_value_new_object ();

  rtmp_core_amf_value_take_field (info, "level",
      rtmp_core_amf_value_new_string (level));
  rtmp_core_amf_value_take_field (info, "code",
      rtmp_core_amf_value_new_string (code));
  rtmp_core_amf_value_take_field (info, "description",
      rtmp_core_amf_value_new_string ("about " SECRET_KEY));
  rtmp_core_command_take_argument (cmd, info);
  child_send (c, cmd, TEST_STREAM_ID);
}

static void
child_media (ServerChild * c, guint8 type, guint32 timestamp,
    const guint8 * data, gsize size)
{
  child_queue (c, rtmp_core_message_new (type, 6, TEST_STREAM_ID, timestamp,
          g_bytes_new (data, size)));
}

/* Hand-made tags: metadata, an AVC sequence header, key and inter frames,
 * and an aggregate whose sub-tag timestamps (0 and 33) are relative. */
static const guint8 test_metadata[] = {
  0x02, 0x00, 0x0d, '@', 's', 'e', 't', 'D', 'a', 't', 'a', 'F', 'r', 'a',
  'm', 'e', 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't', 'a', 'D', 'a', 't',
  'a', 0x03, 0x00, 0x0c, 'v', 'i', 'd', 'e', 'o', 'c', 'o', 'd', 'e', 'c',
  'i', 'd', 0x00, 0x40, 0x1c, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x09
};
static const guint8 test_avc_config[] = { 0x17, 0x00, 0, 0, 0, 0x01, 0x42,
  0xc0, 0x0d, 0xff
};
static const guint8 test_key[] = { 0x17, 0x01, 0, 0, 0x21, 0xaa, 0xbb };
static const guint8 test_inter[] = { 0x27, 0x01, 0, 0, 0, 0xcc };
static const guint8 test_aggregate[] = {
  0x09, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x17, 0x01, 0, 0, 0x21, 0xaa, 0xbb, 0x00, 0x00, 0x00, 0x12,
  0x09, 0x00, 0x00, 0x06, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00,
  0x27, 0x01, 0, 0, 0, 0xcc, 0x00, 0x00, 0x00, 0x11
};

static void
child_play (ServerChild * c)
{
  if (g_str_equal (c->mode, "notfound")) {
    child_status (c, "error", "NetStream.Play.StreamNotFound");
    return;
  }
  child_queue (c, rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_STREAM_BEGIN, TEST_STREAM_ID, 0));
  child_status (c, "status", "NetStream.Play.Reset");
  child_status (c, "status", "NetStream.Play.Start");
  child_media (c, 18, 0, test_metadata, sizeof (test_metadata));
  child_media (c, 9, 0, test_avc_config, sizeof (test_avc_config));
  /* before the first keyframe: dropped */
  child_media (c, 9, 990, test_inter, sizeof (test_inter));
  /* timestamps close to the 32-bit wrap: unwrapped */
  child_media (c, 22, 0xFFFFFFF0, test_aggregate, sizeof (test_aggregate));
  child_queue (c, rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_STREAM_EOF, 1, 0));
  child_media (c, 9, 0x00000020, test_inter, sizeof (test_inter));
  child_queue (c, rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_STREAM_EOF, TEST_STREAM_ID, 0));
}

static void
child_answer (ServerChild * c, RtmpCoreCommand * cmd)
{
  const gchar *name = rtmp_core_command_get_name (cmd);
  gdouble tid = rtmp_core_command_get_transaction_id (cmd);
  RtmpCoreCommand *reply;

  if (g_strcmp0 (name, "connect") == 0) {
    RtmpCoreAmfValue *info = rtmp_core_amf_value_new_object ();

    rtmp_core_amf_value_take_field (info, "level",
        rtmp_core_amf_value_new_string ("status"));
    rtmp_core_amf_value_take_field (info, "code",
        rtmp_core_amf_value_new_string ("NetConnection.Connect.Success"));
    rtmp_core_amf_value_take_field (info, "objectEncoding",
        rtmp_core_amf_value_new_number (0));
    reply = rtmp_core_command_new ("_result", tid, NULL);
    rtmp_core_command_take_argument (reply, info);
    child_send (c, reply, 0);
  } else if (g_strcmp0 (name, "createStream") == 0) {
    reply = rtmp_core_command_new ("_result", tid, NULL);
    rtmp_core_command_take_argument (reply,
        rtmp_core_amf_value_new_number (TEST_STREAM_ID));
    child_send (c, reply, 0);
  } else if (g_strcmp0 (name, "play") == 0) {
    child_play (c);
  }
}

static void
child_on_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  RtmpCoreCommand *cmd;

  if (msg->type != RTMP_CORE_MESSAGE_COMMAND_AMF0)
    return;
  cmd = rtmp_core_command_parse (msg, NULL);
  if (cmd) {
    child_answer (user_data, cmd);
    rtmp_core_command_unref (cmd);
  }
}

static void
child_handshake_done (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  if (rtmp_core_connection_handshake_finish (RTMP_CORE_CONNECTION (source),
          result, NULL))
    rtmp_core_connection_start (RTMP_CORE_CONNECTION (source));
}

static void
child_accepted (GObject * source, GAsyncResult * result, gpointer user_data)
{
  ServerChild *c = user_data;
  GSocketConnection *connection;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source),
      result, NULL, NULL);
  if (connection == NULL)
    return;
  c->conn = rtmp_core_connection_new (G_IO_STREAM (connection));
  g_object_unref (connection);
  g_signal_connect (c->conn, "message", G_CALLBACK (child_on_message), c);
  rtmp_core_connection_handshake_async (c->conn, RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN, NULL, child_handshake_done, c);
}

/* Serves one connection until killed. */
static int
test_server_main (const gchar * mode)
{
  ServerChild c = { NULL, mode };
  GSocketListener *listener = g_socket_listener_new ();
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *effective = NULL;
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  if (!g_socket_listener_add_address (listener, address,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          NULL))
    return 1;
  printf ("%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
          (effective)));
  fflush (stdout);
  g_socket_listener_accept_async (listener, NULL, child_accepted, &c);
  g_main_loop_run (loop);
  return 0;
}

static GSubprocess *
server_start (const gchar * mode, guint * port)
{
  GError *error = NULL;
  GSubprocess *p;
  GInputStream *in;
  gchar line[16];
  gsize i = 0, got;

  p = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, test_binary,
      "--test-server", mode, NULL);
  g_assert_no_error (error);
  in = g_subprocess_get_stdout_pipe (p);
  while (i < sizeof (line) - 1 && g_input_stream_read_all (in, line + i, 1,
          &got, NULL, NULL) && got == 1 && line[i] != '\n')
    i++;
  line[i] = '\0';
  *port = atoi (line);
  fail_unless (*port > 0, "the test server did not start");
  return p;
}

/* ---------------------------------------------------------------- */
/* tests                                                             */
/* ---------------------------------------------------------------- */

GST_START_TEST (test_properties)
{
  GstElement *src = gst_element_factory_make ("rtmpsrc2", NULL);
  GstElementFactory *factory;
  GstStructure *stats = NULL;
  gchar *location = NULL, *uri;
  guint64 max_bytes, max_time, dropped = 1;
  gboolean no_eof;
  guint idle;

  fail_unless (src != NULL);
  factory = gst_element_get_factory (src);
  /* above rtmp2src (PRIMARY + 1) and librtmp's rtmpsrc (PRIMARY) */
  fail_unless_equals_int (gst_plugin_feature_get_rank (GST_PLUGIN_FEATURE
          (factory)), GST_RANK_PRIMARY + 2);
  fail_unless (gst_base_src_is_live (GST_BASE_SRC (src)));

  g_object_get (src, "idle-timeout", &idle, "no-eof-is-error", &no_eof,
      "max-queue-bytes", &max_bytes, "max-queue-time", &max_time, NULL);
  fail_unless_equals_int (idle, 0);
  fail_unless (no_eof);
  fail_unless_equals_uint64 (max_bytes, 16 * 1024 * 1024);
  fail_unless_equals_uint64 (max_time, 10 * GST_SECOND);

  fail_unless (gst_uri_handler_set_uri (GST_URI_HANDLER (src),
          "rtmps://example.com:444/app/inst/key?x=1", NULL));
  g_object_get (src, "location", &location, NULL);
  fail_unless_equals_string (location,
      "rtmps://example.com:444/app/inst/key?x=1");
  uri = gst_uri_handler_get_uri (GST_URI_HANDLER (src));
  fail_unless_equals_string (uri, location);
  fail_unless_equals_int (gst_uri_handler_get_uri_type (GST_URI_HANDLER
          (src)), GST_URI_SRC);
  fail_if (gst_uri_handler_set_uri (GST_URI_HANDLER (src), "http://x/y/z",
          NULL));
  g_free (uri);
  g_free (location);

  g_object_get (src, "stats", &stats, NULL);
  fail_unless (stats != NULL);
  fail_unless (gst_structure_get_uint64 (stats, "dropped-tags", &dropped));
  fail_unless_equals_uint64 (dropped, 0);
  fail_unless (gst_structure_has_field (stats, "bitrate"));
  fail_unless (gst_structure_has_field (stats, "rtt"));
  fail_unless (gst_structure_has_field (stats, "queue-bytes"));
  fail_unless (gst_structure_has_field (stats, "reconnects"));
  fail_unless (gst_structure_has_field (stats, "bytes-received"));
  gst_structure_free (stats);
  gst_object_unref (src);
}

GST_END_TEST;

/* ffmpeg -listen publishes the file to us and ends with FCUnpublish and
 * deleteStream: a clean end, so EOS. */
GST_START_TEST (test_ffmpeg_listen)
{
  guint port = free_port ();
  gchar *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/cam", port);
  const gchar *argv[] = { "ffmpeg", "-nostdin", "-re", "-i", input_flv, "-c",
    "copy", "-f", "flv", "-listen", "1", url, NULL
  };
  GSubprocess *ffmpeg = spawn (argv);
  GPtrArray *sent = read_flv (input_flv);
  GPtrArray *received = g_ptr_array_new_with_free_func ((GDestroyNotify)
      tag_free);
  GstElement *pipeline;
  GstElement *sink;
  GstMessage *end;
  GstCaps *caps;
  const GValue *sh;
  GstBuffer *head;
  Received r;
  gchar *desc;
  guint i, headers = 0;
  GstClockTime first_dts = GST_CLOCK_TIME_NONE;
  guint32 first_ts = 0;

  fail_unless (wait_listening (port, 10), "ffmpeg does not listen");
  received_init (&r, TRUE);
  desc = g_strdup_printf ("rtmpsrc2 location=%s ! fakesink name=out "
      "sync=false", url);
  pipeline = make_pipeline (desc, &r);
  end = run_pipeline (pipeline, 30, &r, 0, NULL);
  fail_unless (end != NULL, "no EOS within 30 s");
  fail_unless_equals_int (GST_MESSAGE_TYPE (end), GST_MESSAGE_EOS);
  gst_message_unref (end);

  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  {
    GstPad *pad = gst_element_get_static_pad (sink, "sink");

    caps = gst_pad_get_current_caps (pad);
    gst_object_unref (pad);
  }
  gst_object_unref (sink);
  stop_pipeline (pipeline);

  /* the caps: FLV header (audio + video), onMetaData, AVC, AAC */
  fail_unless (caps != NULL);
  sh = gst_structure_get_value (gst_caps_get_structure (caps, 0),
      "streamheader");
  fail_unless (sh != NULL && GST_VALUE_HOLDS_ARRAY (sh));
  fail_unless_equals_int (gst_value_array_get_size (sh), 4);
  {
    GstBuffer *b = gst_value_get_buffer (gst_value_array_get_value (sh, 0));
    const guint8 expected[] = { 'F', 'L', 'V', 1, 5, 0, 0, 0, 9, 0, 0, 0, 0 };
    Tag *meta, *avc, *aac;

    fail_unless_equals_int (gst_buffer_get_size (b), sizeof (expected));
    fail_unless (gst_buffer_memcmp (b, 0, expected, sizeof (expected)) == 0);
    meta = buffer_to_tag (gst_value_get_buffer (gst_value_array_get_value
            (sh, 1)));
    avc = buffer_to_tag (gst_value_get_buffer (gst_value_array_get_value
            (sh, 2)));
    aac = buffer_to_tag (gst_value_get_buffer (gst_value_array_get_value
            (sh, 3)));
    fail_unless_equals_int (meta->type, 18);
    fail_unless (memcmp (g_bytes_get_data (meta->data, NULL),
            "\x02\x00\x0aonMetaData", 13) == 0);
    fail_unless (g_bytes_equal (avc->data, find_config (sent, 9)->data));
    fail_unless (g_bytes_equal (aac->data, find_config (sent, 8)->data));
    tag_free (meta);
    tag_free (avc);
    tag_free (aac);
  }
  gst_caps_unref (caps);

  /* the header buffers come first, flagged HEADER; each buffer is a tag
   * whose timestamp matches its DTS */
  fail_unless (r.buffers->len > 4);
  head = g_ptr_array_index (r.buffers, 0);
  fail_unless (gst_buffer_memcmp (head, 0, "FLV", 3) == 0);
  for (i = 0; i < r.buffers->len; i++) {
    GstBuffer *b = g_ptr_array_index (r.buffers, i);

    if (GST_BUFFER_FLAG_IS_SET (b, GST_BUFFER_FLAG_HEADER)) {
      fail_unless_equals_int (i, headers);
      headers++;
      continue;
    }
    g_ptr_array_add (received, buffer_to_tag (b));
    if (!GST_CLOCK_TIME_IS_VALID (first_dts)) {
      first_dts = GST_BUFFER_DTS (b);
      first_ts = ((Tag *) g_ptr_array_index (received, 0))->timestamp;
      fail_unless (GST_CLOCK_TIME_IS_VALID (first_dts));
    }
    /* signed: audio from just before the first keyframe follows it */
    fail_unless_equals_int64 ((gint64) (GST_BUFFER_DTS (b) - first_dts),
        (gint64) ((gint32) (((Tag *) g_ptr_array_index (received,
                        received->len - 1))->timestamp - first_ts)) *
        GST_MSECOND);
  }
  fail_unless_equals_int (headers, 4);

  compare_frames (sent, received, 9);
  compare_frames (sent, received, 8);

  g_ptr_array_unref (received);
  g_ptr_array_unref (sent);
  received_clear (&r);
  g_free (desc);
  g_free (url);
  kill_process (ffmpeg);
}

GST_END_TEST;

/* Joining nginx-rtmp a second after the publisher started: the first
 * buffers carry the streamheader and the decoder never complains. */
GST_START_TEST (test_nginx_late_join)
{
  Nginx *n = nginx_start ();
  GSubprocess *publisher;
  GPtrArray *problems;
  GstElement *pipeline;
  GstMessage *end;
  Received r;
  gchar *desc;
  guint i;

  SKIP_WITHOUT_NGINX (n);
  publisher = publish_to (n->port);
  g_usleep (G_USEC_PER_SEC);

  received_init (&r, FALSE);
  problems = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_message_unref);
  desc = g_strdup_printf ("rtmpsrc2 location=rtmp://127.0.0.1:%u/live/cam "
      "! flvdemux name=d d.video ! h264parse ! avdec_h264 name=dec "
      "! fakesink name=out sync=false", n->port);
  pipeline = make_pipeline (desc, &r);
  end = run_pipeline (pipeline, 30, &r, 0, problems);
  for (i = 0; i < problems->len; i++) {
    GstMessage *m = g_ptr_array_index (problems, i);
    GError *error = NULL;

    if (GST_MESSAGE_TYPE (m) == GST_MESSAGE_ERROR)
      gst_message_parse_error (m, &error, NULL);
    else
      gst_message_parse_warning (m, &error, NULL);
    fail ("%s from %s: %s", GST_MESSAGE_TYPE_NAME (m),
        GST_OBJECT_NAME (GST_MESSAGE_SRC (m)), error->message);
  }
  /* nginx says NetStream.Play.UnpublishNotify when the publisher ends */
  fail_unless (end != NULL && GST_MESSAGE_TYPE (end) == GST_MESSAGE_EOS);
  gst_message_unref (end);
  /* about 2 s at 30 frames/s remain after joining */
  fail_unless (received_frames (&r) > 20, "only %u frames decoded",
      received_frames (&r));

  stop_pipeline (pipeline);
  g_ptr_array_unref (problems);
  received_clear (&r);
  g_free (desc);
  kill_process (publisher);
  nginx_stop (n);
}

GST_END_TEST;

static void
on_source_setup (GstElement * playbin, GstElement * source,
    gpointer user_data)
{
  gchar **name = user_data;

  g_free (*name);
  *name = g_strdup (GST_OBJECT_NAME (gst_element_get_factory (source)));
}

GST_START_TEST (test_playbin)
{
  Nginx *n = nginx_start ();
  GSubprocess *publisher;
  GstElement *playbin, *vsink, *asink;
  GstMessage *end;
  GstState state;
  gchar *uri, *source_factory = NULL;
  Received r;

  SKIP_WITHOUT_NGINX (n);
  publisher = publish_to (n->port);
  g_usleep (G_USEC_PER_SEC / 2);

  received_init (&r, FALSE);
  playbin = gst_element_factory_make ("playbin", NULL);
  vsink = gst_element_factory_make ("fakesink", NULL);
  asink = gst_element_factory_make ("fakesink", NULL);
  fail_unless (playbin && vsink && asink);
  g_object_set (vsink, "signal-handoffs", TRUE, NULL);
  g_signal_connect (vsink, "handoff", G_CALLBACK (on_handoff), &r);
  uri = g_strdup_printf ("rtmp://127.0.0.1:%u/live/cam", n->port);
  g_object_set (playbin, "uri", uri, "video-sink", vsink, "audio-sink", asink,
      NULL);
  g_signal_connect (playbin, "source-setup", G_CALLBACK (on_source_setup),
      &source_factory);

  end = run_pipeline (playbin, 20, &r, 10, NULL);
  if (end) {
    GError *error = NULL;

    if (GST_MESSAGE_TYPE (end) == GST_MESSAGE_ERROR)
      gst_message_parse_error (end, &error, NULL);
    fail ("playbin ended before decoding 10 frames: %s",
        error ? error->message : "EOS");
  }
  fail_unless (received_frames (&r) >= 10);
  fail_unless_equals_string (source_factory, "rtmpsrc2");
  fail_unless_equals_int (gst_element_get_state (playbin, &state, NULL,
          5 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
  fail_unless_equals_int (state, GST_STATE_PLAYING);

  stop_pipeline (playbin);
  received_clear (&r);
  g_free (source_factory);
  g_free (uri);
  kill_process (publisher);
  nginx_stop (n);
}

GST_END_TEST;

static void
check_error (GstMessage * end, GQuark domain, gint code)
{
  GError *error = NULL;
  gchar *debug = NULL;

  fail_unless (end != NULL, "no error within the timeout");
  fail_unless_equals_int (GST_MESSAGE_TYPE (end), GST_MESSAGE_ERROR);
  gst_message_parse_error (end, &error, &debug);
  fail_unless (g_error_matches (error, domain, code), "unexpected error: %s",
      error->message);
  fail_if (strstr (error->message, SECRET_KEY) != NULL, "%s", error->message);
  fail_if (debug && strstr (debug, SECRET_KEY) != NULL, "%s", debug);
  g_error_free (error);
  g_free (debug);
  gst_message_unref (end);
}

GST_START_TEST (test_stream_not_found)
{
  guint port = 0;
  GSubprocess *server = server_start ("notfound", &port);
  GstElement *pipeline;
  gchar *desc;

  desc = g_strdup_printf ("rtmpsrc2 location=rtmp://127.0.0.1:%u/live/"
      SECRET_KEY " timeout=5 ! fakesink", port);
  pipeline = make_pipeline (desc, NULL);
  check_error (run_pipeline (pipeline, 10, NULL, 0, NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND);
  stop_pipeline (pipeline);
  g_free (desc);
  kill_process (server);
}

GST_END_TEST;

GST_START_TEST (test_connection_refused)
{
  guint port = free_port ();
  GstElement *pipeline;
  gchar *desc;

  desc = g_strdup_printf ("rtmpsrc2 location=rtmp://127.0.0.1:%u/live/"
      SECRET_KEY " timeout=3 ! fakesink", port);
  pipeline = make_pipeline (desc, NULL);
  check_error (run_pipeline (pipeline, 10, NULL, 0, NULL),
      GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_READ);
  stop_pipeline (pipeline);
  g_free (desc);
}

GST_END_TEST;

/* Our own server: stream id 7, Play.Reset before Play.Start, an aggregate
 * across the 32-bit timestamp wrap, a Stream EOF for another stream that
 * must be ignored, then Stream EOF for ours: EOS. */
GST_START_TEST (test_aggregate_and_stream_eof)
{
  guint port = 0;
  GSubprocess *server = server_start ("media", &port);
  GstElement *pipeline;
  GstMessage *end;
  Received r;
  gchar *desc;
  GPtrArray *tags = g_ptr_array_new_with_free_func ((GDestroyNotify)
      tag_free);
  guint i;
  GstBuffer *key;

  received_init (&r, TRUE);
  desc = g_strdup_printf ("rtmpsrc2 location=rtmp://127.0.0.1:%u/live/cam "
      "! fakesink name=out sync=false", port);
  pipeline = make_pipeline (desc, &r);
  end = run_pipeline (pipeline, 10, &r, 0, NULL);
  fail_unless (end != NULL && GST_MESSAGE_TYPE (end) == GST_MESSAGE_EOS);
  gst_message_unref (end);
  stop_pipeline (pipeline);

  /* FLV header (video only, from metadata and configuration), metadata
   * without @setDataFrame, configuration, then three frames */
  fail_unless_equals_int (r.buffers->len, 6);
  fail_unless (gst_buffer_memcmp (g_ptr_array_index (r.buffers, 0), 0,
          "FLV\x01\x01", 5) == 0);
  for (i = 1; i < r.buffers->len; i++)
    g_ptr_array_add (tags, buffer_to_tag (g_ptr_array_index (r.buffers, i)));
  fail_unless_equals_int (((Tag *) g_ptr_array_index (tags, 0))->type, 18);
  fail_unless (g_bytes_get_size (((Tag *) g_ptr_array_index (tags,
                  0))->data) == sizeof (test_metadata) - 16);
  fail_unless (memcmp (g_bytes_get_data (((Tag *) g_ptr_array_index (tags,
                  0))->data, NULL), test_metadata + 16,
          sizeof (test_metadata) - 16) == 0);
  fail_unless (memcmp (g_bytes_get_data (((Tag *) g_ptr_array_index (tags,
                  1))->data, NULL), test_avc_config,
          sizeof (test_avc_config)) == 0);
  fail_unless (memcmp (g_bytes_get_data (((Tag *) g_ptr_array_index (tags,
                  2))->data, NULL), test_key, sizeof (test_key)) == 0);
  fail_unless (memcmp (g_bytes_get_data (((Tag *) g_ptr_array_index (tags,
                  3))->data, NULL), test_inter, sizeof (test_inter)) == 0);
  fail_unless (memcmp (g_bytes_get_data (((Tag *) g_ptr_array_index (tags,
                  4))->data, NULL), test_inter, sizeof (test_inter)) == 0);
  /* 0xFFFFFFF0, +33 ms, then 0x20 after the wrap: +48 ms */
  fail_unless_equals_int (((Tag *) g_ptr_array_index (tags, 3))->timestamp -
      ((Tag *) g_ptr_array_index (tags, 2))->timestamp, 33);
  fail_unless_equals_int (((Tag *) g_ptr_array_index (tags, 4))->timestamp -
      ((Tag *) g_ptr_array_index (tags, 2))->timestamp, 48);
  key = g_ptr_array_index (r.buffers, 3);
  fail_if (GST_BUFFER_FLAG_IS_SET (key, GST_BUFFER_FLAG_DELTA_UNIT));
  fail_unless (GST_BUFFER_FLAG_IS_SET (g_ptr_array_index (r.buffers, 4),
          GST_BUFFER_FLAG_DELTA_UNIT));
  /* composition time 0x21 = 33 ms */
  fail_unless_equals_uint64 (GST_BUFFER_PTS (key) - GST_BUFFER_DTS (key),
      33 * GST_MSECOND);
  fail_unless_equals_uint64 (GST_BUFFER_DTS (g_ptr_array_index (r.buffers,
              5)) - GST_BUFFER_DTS (key), 48 * GST_MSECOND);

  g_ptr_array_unref (tags);
  received_clear (&r);
  g_free (desc);
  kill_process (server);
}

GST_END_TEST;

static Suite *
rtmpsrc2_suite (void)
{
  Suite *s = suite_create ("rtmpsrc2");
  TCase *tc = tcase_create ("general");

  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_properties);
  tcase_add_test (tc, test_stream_not_found);
  tcase_add_test (tc, test_connection_refused);
  tcase_add_test (tc, test_aggregate_and_stream_eof);
  tcase_add_test (tc, test_ffmpeg_listen);
  tcase_add_test (tc, test_nginx_late_join);
  tcase_add_test (tc, test_playbin);
  return s;
}

int
main (int argc, char **argv)
{
  int ret;

  test_binary = argv[0];
  if (argc == 3 && g_str_equal (argv[1], "--test-server"))
    return test_server_main (argv[2]);

  gst_check_init (&argc, &argv);
  if (!have_program ("ffmpeg")) {
    g_print ("SKIP: ffmpeg is not installed\n");
    return 77;
  }
  work_dir = g_dir_make_tmp ("rtmpsrc2-XXXXXX", NULL);
  input_flv = g_build_filename (work_dir, "in.flv", NULL);
  if (!make_input ()) {
    g_print ("SKIP: ffmpeg cannot encode with libx264 and aac\n");
    remove_dir (work_dir);
    return 77;
  }
  ret = gst_check_run_suite (rtmpsrc2_suite (), "rtmpsrc2", __FILE__);
  remove_dir (work_dir);
  g_free (work_dir);
  g_free (input_flv);
  return ret;
}
