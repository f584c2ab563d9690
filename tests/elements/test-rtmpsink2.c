/* rtmpsink2: properties, location and URI handling, and publishing to real
 * peers on loopback (ffmpeg -listen, nginx-rtmp, and a small RTMP server
 * built here on RtmpCoreConnection that records everything it receives).
 * What the peers received is compared tag by tag with what was sent.
 * Reconnecting (the server killed and started again on the same port) and
 * congestion (the server stopped for a while) with a live encoder. */
#include <gst/check/gstcheck.h>
#include <glib/gstdio.h>
#include <rtmpcore.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECRET_KEY "sEcReTkEy42"
#define NGINX_RTMP_MODULE "/usr/lib/nginx/modules/ngx_rtmp_module.so"

/* ---------------------------------------------------------------- */
/* helpers                                                           */
/* ---------------------------------------------------------------- */

static GstElement *
make_sink (void)
{
  GstElement *sink = gst_element_factory_make ("rtmpsink2", NULL);

  fail_unless (sink != NULL, "rtmpsink2 is not available");
  return sink;
}

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

static void
die_with_parent (gpointer user_data)
{
  /* a failing test must not leave servers behind */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocess *
spawn (GSubprocessFlags flags, const gchar * const *argv)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  GError *error = NULL;
  GSubprocess *process;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL,
      NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_object_unref (launcher);
  return process;
}

static void
wait_done_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *(gboolean *) user_data = TRUE;
}

/* Waits for @process to exit; kills it after @seconds. */
static gboolean
wait_process (GSubprocess * process, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  gboolean done = FALSE;

  g_subprocess_wait_async (process, NULL, wait_done_cb, &done);
  while (!done && g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (10 * 1000);
  }
  if (!done) {
    g_subprocess_force_exit (process);
    while (!done)
      g_main_context_iteration (NULL, TRUE);
    return FALSE;
  }
  return TRUE;
}

static gchar *
make_tmpdir (void)
{
  GError *error = NULL;
  gchar *dir = g_dir_make_tmp ("rtmpsink2-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_tmpdir (gchar * dir)
{
  GDir *d = g_dir_open (dir, 0, NULL);
  const gchar *name;

  while (d && (name = g_dir_read_name (d)) != NULL) {
    gchar *path = g_build_filename (dir, name, NULL);

    g_remove (path);
    g_free (path);
  }
  if (d)
    g_dir_close (d);
  g_rmdir (dir);
  g_free (dir);
}

typedef struct
{
  gboolean eos;
  GError *error;
  gchar *debug;
  gint64 elapsed_us;
} RunResult;

static void
run_result_clear (RunResult * r)
{
  g_clear_error (&r->error);
  g_clear_pointer (&r->debug, g_free);
}

/* Waits for EOS or ERROR on an already playing pipeline. */
static void
wait_pipeline (GstElement * pipeline, guint seconds, gint64 start,
    RunResult * r)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg;

  msg = gst_bus_timed_pop_filtered (bus, seconds * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "the pipeline neither finished nor failed "
      "within %u s", seconds);
  r->elapsed_us = g_get_monotonic_time () - start;
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
    gst_message_parse_error (msg, &r->error, &r->debug);
  else
    r->eos = TRUE;
  gst_message_unref (msg);
  gst_object_unref (bus);
}

static void
run_pipeline (GstElement * pipeline, guint seconds, RunResult * r)
{
  gint64 start = g_get_monotonic_time ();

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  wait_pipeline (pipeline, seconds, start, r);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
}

static GstElement *
parse_pipeline (const gchar * description)
{
  GError *error = NULL;
  GstElement *pipeline = gst_parse_launch (description, &error);

  g_assert_no_error (error);
  return pipeline;
}

/* ---- FLV ---- */

static GPtrArray *
read_flv (const gchar * path)
{
  GError *error = NULL;
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  gchar *data;
  gsize size;
  GBytes *bytes;
  GPtrArray *tags;

  fail_unless (g_file_get_contents (path, &data, &size, &error),
      "cannot read %s", path);
  bytes = g_bytes_new_take (data, size);
  tags = rtmp_core_flv_parser_feed_bytes (parser, bytes, &error);
  g_assert_no_error (error);
  fail_unless (rtmp_core_flv_parser_finish (parser, &error));
  g_ptr_array_set_free_func (tags, (GDestroyNotify) rtmp_core_message_unref);
  g_bytes_unref (bytes);
  rtmp_core_flv_parser_unref (parser);
  return tags;
}

/* AVC or HEVC/AV1 (ExHeader) sequence start, or AAC AudioSpecificConfig */
static gboolean
is_codec_config (const RtmpCoreMessage * m)
{
  gsize size;
  const guint8 *d = rtmp_core_message_peek_data (m, &size);

  if (size < 2)
    return FALSE;
  if (m->type == RTMP_CORE_MESSAGE_VIDEO)
    return (d[0] & 0x80) ? (d[0] & 0x0f) == 0 :
        ((d[0] & 0x0f) == 7 && d[1] == 0);
  if (m->type == RTMP_CORE_MESSAGE_AUDIO)
    return (d[0] >> 4) == 10 && d[1] == 0;
  return FALSE;
}

static gboolean
same_payload (const RtmpCoreMessage * a, const RtmpCoreMessage * b)
{
  gsize sa, sb;
  const guint8 *da = rtmp_core_message_peek_data (a, &sa);
  const guint8 *db = rtmp_core_message_peek_data (b, &sb);

  return sa == sb && memcmp (da, db, sa) == 0;
}

/* The audio and video tags; with @dedup, codec configurations identical
 * to one already seen are dropped (nginx's recorder writes the cached
 * configurations first, then the stream's own again). */
static GPtrArray *
media_tags (GPtrArray * tags, gboolean dedup)
{
  GPtrArray *out = g_ptr_array_new ();
  GPtrArray *configs = g_ptr_array_new ();
  guint i, j;

  for (i = 0; i < tags->len; i++) {
    RtmpCoreMessage *m = g_ptr_array_index (tags, i);
    gboolean repeated = FALSE;

    if (m->type != RTMP_CORE_MESSAGE_AUDIO && m->type != RTMP_CORE_MESSAGE_VIDEO)
      continue;
    if (dedup && is_codec_config (m)) {
      for (j = 0; j < configs->len; j++)
        repeated |= m->type == ((RtmpCoreMessage *) configs->pdata[j])->type
            && same_payload (m, configs->pdata[j]);
      if (repeated)
        continue;
      g_ptr_array_add (configs, m);
    }
    g_ptr_array_add (out, m);
  }
  g_ptr_array_unref (configs);
  return out;
}

/* Same number of audio and video tags, same payload bytes, same
 * timestamps up to one constant offset. */
static void
assert_same_media (GPtrArray * sent_tags, GPtrArray * received_tags,
    gboolean dedup)
{
  GPtrArray *sent = media_tags (sent_tags, dedup);
  GPtrArray *received = media_tags (received_tags, dedup);
  gint64 offset;
  guint i;

  fail_unless (sent->len > 0);
  fail_unless_equals_int (received->len, sent->len);
  offset = (gint64) ((RtmpCoreMessage *) received->pdata[0])->timestamp -
      ((RtmpCoreMessage *) sent->pdata[0])->timestamp;
  for (i = 0; i < sent->len; i++) {
    RtmpCoreMessage *a = g_ptr_array_index (sent, i);
    RtmpCoreMessage *b = g_ptr_array_index (received, i);

    fail_unless_equals_int (b->type, a->type);
    fail_unless (same_payload (a, b), "tag %u of %u differs", i, sent->len);
    fail_unless_equals_int64 ((gint64) b->timestamp - a->timestamp, offset);
  }
  g_ptr_array_unref (sent);
  g_ptr_array_unref (received);
}

static RtmpCoreMessage *
message_new (guint8 type, guint32 timestamp, const guint8 * data, gsize size)
{
  GBytes *bytes = g_bytes_new (data, size);
  RtmpCoreMessage *m = rtmp_core_message_new (type, 0, 0, timestamp, bytes);

  g_bytes_unref (bytes);
  return m;
}

/* Takes @bytes. */
static GstBuffer *
bytes_to_buffer (GBytes * bytes)
{
  GstBuffer *buffer = gst_buffer_new_memdup (g_bytes_get_data (bytes, NULL),
      g_bytes_get_size (bytes));

  g_bytes_unref (bytes);
  return buffer;
}

static GstBuffer *
tag_buffer (const RtmpCoreMessage * m)
{
  return bytes_to_buffer (rtmp_core_flv_tag_from_message (m));
}

static GBytes *
metadata_payload (void)
{
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_amf_value_unref);
  RtmpCoreAmfValue *array = rtmp_core_amf_value_new_ecma_array ();
  GBytes *bytes;

  rtmp_core_amf_value_take_field (array, "duration",
      rtmp_core_amf_value_new_number (0));
  rtmp_core_amf_value_take_field (array, "videocodecid",
      rtmp_core_amf_value_new_number (7));
  g_ptr_array_add (values, rtmp_core_amf_value_new_string ("onMetaData"));
  g_ptr_array_add (values, array);
  bytes = rtmp_core_amf_values_to_amf0 (values);
  g_ptr_array_unref (values);
  return bytes;
}

/* ---------------------------------------------------------------- */
/* a recording RTMP server on RtmpCoreConnection                     */
/* ---------------------------------------------------------------- */

/* The server runs in a child process (this test binary started with
 * --test-server CODE accept|reject PORT RCVBUF): the plugin carries its
 * own copy of librtmpcore, and two copies registering the same GTypes in
 * one process would clash; a process can also be killed (the server goes
 * away) or stopped (it stops reading). The child prints its port on a
 * line, then one record per message received ('M', type, stream id,
 * timestamp, length, payload; big-endian) and 'C' when the connection
 * closed. */

static const gchar *test_binary;

typedef struct
{
  RtmpCoreConnection *conn;
  const gchar *publish_code;
  gboolean reject_connect;
} ServerChild;

static void
put_u32 (guint8 * out, guint32 v)
{
  out[0] = v >> 24;
  out[1] = v >> 16;
  out[2] = v >> 8;
  out[3] = v;
}

static void
child_record (const RtmpCoreMessage * m)
{
  guint8 head[14];
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (m, &size);

  head[0] = 'M';
  head[1] = m->type;
  put_u32 (head + 2, m->stream_id);
  put_u32 (head + 6, m->timestamp);
  put_u32 (head + 10, size);
  fwrite (head, 1, sizeof (head), stdout);
  fwrite (data, 1, size, stdout);
  fflush (stdout);
}

static void
child_send (ServerChild * c, RtmpCoreCommand * cmd, guint32 stream_id)
{
  RtmpCoreMessage *msg = rtmp_core_command_to_message (cmd, 3, stream_id);

  rtmp_core_connection_queue_message (c->conn, msg, NULL);
  rtmp_core_message_unref (msg);
  rtmp_core_command_unref (cmd);
}

static RtmpCoreAmfValue *
status_object (const gchar * level, const gchar * code,
    const gchar * description)
{
  RtmpCoreAmfValue *info = rtmp_core_amf_value_new_object ();

  rtmp_core_amf_value_take_field (info, "level",
      rtmp_core_amf_value_new_string (level));
  rtmp_core_amf_value_take_field (info, "code",
      rtmp_core_amf_value_new_string (code));
  rtmp_core_amf_value_take_field (info, "description",
      rtmp_core_amf_value_new_string (description));
  return info;
}

static void
child_answer (ServerChild * c, RtmpCoreCommand * cmd)
{
  const gchar *name = rtmp_core_command_get_name (cmd);
  gdouble tid = rtmp_core_command_get_transaction_id (cmd);
  RtmpCoreCommand *reply;

  if (g_strcmp0 (name, "connect") == 0 && c->reject_connect) {
    reply = rtmp_core_command_new ("_error", tid, NULL);
    rtmp_core_command_take_argument (reply, status_object ("error",
            "NetConnection.Connect.Rejected",
            "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ]"));
    child_send (c, reply, 0);
  } else if (g_strcmp0 (name, "connect") == 0) {
    RtmpCoreAmfValue *props = rtmp_core_amf_value_new_object ();
    RtmpCoreAmfValue *info = status_object ("status",
        "NetConnection.Connect.Success", "Connection succeeded.");

    rtmp_core_amf_value_take_field (props, "fmsVer",
        rtmp_core_amf_value_new_string ("FMS/3,0,1,123"));
    rtmp_core_amf_value_take_field (info, "objectEncoding",
        rtmp_core_amf_value_new_number (0));
    reply = rtmp_core_command_new ("_result", tid, props);
    rtmp_core_amf_value_unref (props);
    rtmp_core_command_take_argument (reply, info);
    child_send (c, reply, 0);
  } else if (g_strcmp0 (name, "createStream") == 0) {
    reply = rtmp_core_command_new ("_result", tid, NULL);
    rtmp_core_command_take_argument (reply,
        rtmp_core_amf_value_new_number (1));
    child_send (c, reply, 0);
  } else if (g_strcmp0 (name, "publish") == 0) {
    gboolean ok = g_str_equal (c->publish_code, "NetStream.Publish.Start");
    const gchar *stream = rtmp_core_amf_value_get_string
        (rtmp_core_command_get_argument (cmd, 0));
    gchar *description = g_strdup_printf ("%s is %s", stream,
        ok ? "now published" : "already in use");

    reply = rtmp_core_command_new ("onStatus", 0, NULL);
    rtmp_core_command_take_argument (reply, status_object (ok ? "status" :
            "error", c->publish_code, description));
    g_free (description);
    child_send (c, reply, 1);
  }
}

static void
child_on_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  ServerChild *c = user_data;

  child_record (msg);
  if (msg->type == RTMP_CORE_MESSAGE_COMMAND_AMF0) {
    RtmpCoreCommand *cmd = rtmp_core_command_parse (msg, NULL);

    if (cmd) {
      child_answer (c, cmd);
      rtmp_core_command_unref (cmd);
    }
  }
}

static void
child_on_closed (RtmpCoreConnection * conn, const GError * error,
    gpointer user_data)
{
  fputc ('C', stdout);
  fflush (stdout);
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
  g_signal_connect (c->conn, "closed", G_CALLBACK (child_on_closed), c);
  rtmp_core_connection_handshake_async (c->conn, RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN, NULL, child_handshake_done, c);
}

/* Listens on 127.0.0.1:@port (0: any free port). A @rcvbuf above 0 sets
 * the receive buffer before listen(), so that accepted connections
 * inherit it and announce a window that fits: a server that stops reading
 * then stops the sender quickly instead of absorbing seconds of media. */
static GSocket *
child_listen (guint port, gint rcvbuf)
{
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, port);
  gboolean ok;

  if (rcvbuf > 0)
    g_socket_set_option (socket, SOL_SOCKET, SO_RCVBUF, rcvbuf, NULL);
  ok = g_socket_bind (socket, address, TRUE, NULL) &&
      g_socket_listen (socket, NULL);
  g_object_unref (address);
  g_object_unref (loopback);
  if (!ok)
    g_clear_object (&socket);
  return socket;
}

/* Serves one connection until killed. */
static int
test_server_main (const gchar * publish_code, gboolean reject_connect,
    guint port, gint rcvbuf)
{
  ServerChild c = { NULL, publish_code, reject_connect };
  GSocketListener *listener = g_socket_listener_new ();
  GSocket *socket = child_listen (port, rcvbuf);
  GSocketAddress *local;
  GMainLoop *loop = g_main_loop_new (NULL, FALSE);

  if (socket == NULL || !g_socket_listener_add_socket (listener, socket,
          NULL, NULL))
    return 1;
  local = g_socket_get_local_address (socket, NULL);
  printf ("%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS
          (local)));
  fflush (stdout);
  g_socket_listener_accept_async (listener, NULL, child_accepted, &c);
  g_main_loop_run (loop);
  return 0;
}

typedef struct
{
  GSubprocess *process;
  GThread *reader;
  guint port;

  GMutex lock;
  GCond cond;
  GPtrArray *messages;          /* every message received */
  gboolean closed;
} TestServer;

static guint32
get_u32 (const guint8 * in)
{
  return ((guint32) in[0] << 24) | (in[1] << 16) | (in[2] << 8) | in[3];
}

static gpointer
server_reader (gpointer data)
{
  TestServer *s = data;
  GInputStream *in = g_subprocess_get_stdout_pipe (s->process);
  guint8 head[14];
  gsize got;

  while (g_input_stream_read_all (in, head, 1, &got, NULL, NULL) && got == 1) {
    guint8 *payload;
    guint32 size;

    if (head[0] == 'C') {
      g_mutex_lock (&s->lock);
      s->closed = TRUE;
      g_cond_broadcast (&s->cond);
      g_mutex_unlock (&s->lock);
      continue;
    }
    if (!g_input_stream_read_all (in, head + 1, 13, &got, NULL, NULL) ||
        got != 13)
      break;
    size = get_u32 (head + 10);
    payload = g_malloc (size ? size : 1);
    if (!g_input_stream_read_all (in, payload, size, &got, NULL, NULL) ||
        got != size) {
      g_free (payload);
      break;
    }
    g_mutex_lock (&s->lock);
    g_ptr_array_add (s->messages, rtmp_core_message_new_take (head[1], 3,
            get_u32 (head + 2), get_u32 (head + 6), payload, size));
    g_cond_broadcast (&s->cond);
    g_mutex_unlock (&s->lock);
  }
  return NULL;
}

/* Starts a recording server on @port (0: any) with receive buffer
 * @rcvbuf (0: the system's). */
static TestServer *
server_start_full (const gchar * publish_code, gboolean reject_connect,
    guint port, gint rcvbuf)
{
  TestServer *s = g_new0 (TestServer, 1);
  GInputStream *in;
  gchar line[16];
  gsize i = 0, got;
  gchar *port_arg = g_strdup_printf ("%u", port);
  gchar *rcvbuf_arg = g_strdup_printf ("%d", rcvbuf);
  const gchar *argv[] = { test_binary, "--test-server", publish_code,
    reject_connect ? "reject" : "accept", port_arg, rcvbuf_arg, NULL
  };

  g_mutex_init (&s->lock);
  g_cond_init (&s->cond);
  s->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  s->process = spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, argv);

  /* byte by byte: the records that follow must stay in the pipe */
  in = g_subprocess_get_stdout_pipe (s->process);
  while (i < sizeof (line) - 1 && g_input_stream_read_all (in, line + i, 1,
          &got, NULL, NULL) && got == 1 && line[i] != '\n')
    i++;
  line[i] = '\0';
  s->port = atoi (line);
  fail_unless (s->port > 0, "the test server did not start");
  s->reader = g_thread_new ("test-server-reader", server_reader, s);
  g_free (port_arg);
  g_free (rcvbuf_arg);
  return s;
}

static TestServer *
server_start (const gchar * publish_code, gboolean reject_connect)
{
  return server_start_full (publish_code, reject_connect, 0, 0);
}

static void
server_stop (TestServer * s)
{
  g_subprocess_force_exit (s->process);
  g_thread_join (s->reader);
  g_subprocess_wait (s->process, NULL, NULL);
  g_object_unref (s->process);
  g_ptr_array_unref (s->messages);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->cond);
  g_free (s);
}

static gboolean
server_wait_closed (TestServer * s, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  gboolean closed;

  g_mutex_lock (&s->lock);
  while (!s->closed && g_cond_wait_until (&s->cond, &s->lock, deadline));
  closed = s->closed;
  g_mutex_unlock (&s->lock);
  return closed;
}

static gboolean
is_media_message (const RtmpCoreMessage * m)
{
  return m->type == RTMP_CORE_MESSAGE_AUDIO ||
      m->type == RTMP_CORE_MESSAGE_VIDEO ||
      m->type == RTMP_CORE_MESSAGE_DATA_AMF0;
}

static guint
server_count_media (TestServer * s)
{
  guint i, n = 0;

  for (i = 0; i < s->messages->len; i++)
    n += is_media_message (s->messages->pdata[i]);
  return n;
}

static gboolean
server_wait_media (TestServer * s, guint count, guint seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  gboolean ok;

  g_mutex_lock (&s->lock);
  while (server_count_media (s) < count &&
      g_cond_wait_until (&s->cond, &s->lock, deadline));
  ok = server_count_media (s) >= count;
  g_mutex_unlock (&s->lock);
  return ok;
}

/* The received media (audio, video, data) messages, in order. */
static GPtrArray *
server_media (TestServer * s)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  guint i;

  g_mutex_lock (&s->lock);
  for (i = 0; i < s->messages->len; i++)
    if (is_media_message (s->messages->pdata[i]))
      g_ptr_array_add (out, rtmp_core_message_ref (s->messages->pdata[i]));
  g_mutex_unlock (&s->lock);
  return out;
}

/* The names of the commands received, space separated. */
static gchar *
server_command_names (TestServer * s)
{
  GString *names = g_string_new (NULL);
  guint i;

  g_mutex_lock (&s->lock);
  for (i = 0; i < s->messages->len; i++) {
    RtmpCoreMessage *m = s->messages->pdata[i];
    RtmpCoreCommand *cmd;

    if (m->type != RTMP_CORE_MESSAGE_COMMAND_AMF0)
      continue;
    cmd = rtmp_core_command_parse (m, NULL);
    fail_unless (cmd != NULL);
    g_string_append_printf (names, "%s%s", names->len ? " " : "",
        rtmp_core_command_get_name (cmd));
    rtmp_core_command_unref (cmd);
  }
  g_mutex_unlock (&s->lock);
  return g_string_free (names, FALSE);
}

static RtmpCoreCommand *
server_find_command (TestServer * s, const gchar * name)
{
  RtmpCoreCommand *found = NULL;
  guint i;

  g_mutex_lock (&s->lock);
  for (i = 0; i < s->messages->len && found == NULL; i++) {
    RtmpCoreMessage *m = s->messages->pdata[i];
    RtmpCoreCommand *cmd;

    if (m->type != RTMP_CORE_MESSAGE_COMMAND_AMF0)
      continue;
    cmd = rtmp_core_command_parse (m, NULL);
    if (g_strcmp0 (rtmp_core_command_get_name (cmd), name) == 0)
      found = cmd;
    else
      rtmp_core_command_unref (cmd);
  }
  g_mutex_unlock (&s->lock);
  return found;
}

static gboolean
server_find_uint32 (TestServer * s, guint8 type, guint32 * value)
{
  gboolean found = FALSE;
  guint i;

  g_mutex_lock (&s->lock);
  for (i = 0; i < s->messages->len && !found; i++) {
    RtmpCoreMessage *m = s->messages->pdata[i];

    if (m->type == type)
      found = rtmp_core_message_parse_uint32 (m, value, NULL);
  }
  g_mutex_unlock (&s->lock);
  return found;
}

/* ---------------------------------------------------------------- */
/* secrets in the debug log                                          */
/* ---------------------------------------------------------------- */

static gint secret_leaks;

static void
secret_log_function (GstDebugCategory * category, GstDebugLevel level,
    const gchar * file, const gchar * function, gint line, GObject * object,
    GstDebugMessage * message, gpointer user_data)
{
  const gchar *text = gst_debug_message_get (message);

  if (text && strstr (text, SECRET_KEY))
    g_atomic_int_inc (&secret_leaks);
}

static void
watch_logs_for_secrets (void)
{
  g_atomic_int_set (&secret_leaks, 0);
  gst_debug_add_log_function (secret_log_function, NULL, NULL);
  gst_debug_set_threshold_for_name ("rtmpsink2", GST_LEVEL_LOG);
  gst_debug_set_threshold_for_name ("rtmpcore*", GST_LEVEL_LOG);
}

static void
assert_no_secret_logged (void)
{
  gst_debug_remove_log_function (secret_log_function);
  fail_unless_equals_int (g_atomic_int_get (&secret_leaks), 0);
}

static guint64
get_u64 (const GstStructure * s, const gchar * field)
{
  guint64 v = 0;

  fail_unless (gst_structure_get_uint64 (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  return v;
}

static guint
get_uint (const GstStructure * s, const gchar * field)
{
  guint v = 0;

  fail_unless (gst_structure_get_uint (s, field, &v), "no %s in %"
      GST_PTR_FORMAT, field, s);
  return v;
}

/* ---------------------------------------------------------------- */
/* properties, location, URI                                         */
/* ---------------------------------------------------------------- */

GST_START_TEST (test_property_defaults)
{
  GstElement *sink = make_sink ();
  gchar *location, *host, *app, *stream, *flash;
  gint port;
  guint timeout, chunk_size, stop_commands, tls_flags;
  gboolean async_connect;
  gchar **fourcc;
  GstStructure *extra, *stats;
  gint scheme;
  gboolean reconnect;
  guint attempts, delay_min, delay_max, max_buffer_time, max_latency;
  guint congestion_interval;

  g_object_get (sink, "location", &location, "host", &host, "port", &port,
      "application", &app, "stream", &stream, "scheme", &scheme,
      "timeout", &timeout, "chunk-size", &chunk_size, "stop-commands",
      &stop_commands, "async-connect", &async_connect, "flash-version",
      &flash, "fourcc-list", &fourcc, "extra-connect-args", &extra,
      "tls-validation-flags", &tls_flags, "stats", &stats, NULL);
  fail_unless_equals_string (location, "rtmp://localhost/live/myStream");
  fail_unless_equals_string (host, "localhost");
  fail_unless_equals_int (port, 1935);
  fail_unless_equals_string (app, "live");
  fail_unless_equals_string (stream, "myStream");
  fail_unless_equals_int (scheme, RTMP_CORE_SCHEME_RTMP);
  fail_unless_equals_int (timeout, 5);
  fail_unless_equals_int (chunk_size, 4096);
  /* rtmp2sink's default: FCUnpublish (1) | deleteStream (4) */
  fail_unless_equals_int (stop_commands, 5);
  fail_unless (async_connect);
  fail_unless_equals_string (flash, RTMP_CORE_DEFAULT_FLASH_VERSION);
  fail_unless (fourcc == NULL);
  fail_unless (extra == NULL);
  fail_unless_equals_int (tls_flags, G_TLS_CERTIFICATE_VALIDATE_ALL);

  /* nothing sent yet */
  fail_unless (stats != NULL);
  fail_unless (gst_structure_has_field_typed (stats, "bytes-sent",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "bytes-acked",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "bitrate",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "rtt", G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "queue-bytes",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "chunk-size",
          G_TYPE_UINT));
  fail_unless (gst_structure_has_field_typed (stats, "reconnects",
          G_TYPE_UINT));
  fail_unless (gst_structure_has_field_typed (stats, "dropped-frames",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "queue-ms",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "input-bitrate",
          G_TYPE_UINT64));
  fail_unless (gst_structure_has_field_typed (stats, "connected",
          G_TYPE_BOOLEAN));
  fail_unless_equals_int (get_uint (stats, "reconnects"), 0);
  fail_unless_equals_int64 (get_u64 (stats, "dropped-frames"), 0);

  /* reconnecting and congestion */
  g_object_get (sink, "reconnect", &reconnect, "reconnect-attempts",
      &attempts, "reconnect-delay-min", &delay_min, "reconnect-delay-max",
      &delay_max, "max-buffer-time", &max_buffer_time, "max-latency",
      &max_latency, "congestion-interval", &congestion_interval, NULL);
  fail_unless (reconnect);
  fail_unless_equals_int (attempts, 10);
  fail_unless_equals_int (delay_min, 1000);
  fail_unless_equals_int (delay_max, 30000);
  fail_unless_equals_int (max_buffer_time, 10000);
  fail_unless_equals_int (max_latency, 0);
  fail_unless_equals_int (congestion_interval, 1000);

  g_free (location);
  g_free (host);
  g_free (app);
  g_free (stream);
  g_free (flash);
  gst_structure_free (stats);
  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_property_round_trip)
{
  GstElement *sink = make_sink ();
  const gchar *const fourccs[] = { "hvc1", "av01", NULL };
  GstStructure *extra = gst_structure_new ("args", "token", G_TYPE_STRING,
      "abc", "n", G_TYPE_INT, 5, NULL);
  GstStructure *extra_out;
  gchar *flash, *host, **fourcc_out;
  guint chunk_size, stop_commands, timeout, tls_flags;
  gboolean async_connect, reconnect;
  guint attempts, delay_min, delay_max, max_buffer_time, max_latency;
  guint congestion_interval;
  gint port, scheme;

  g_object_set (sink, "host", "example.org", "port", 1940, "scheme",
      RTMP_CORE_SCHEME_RTMPS, "timeout", 17, "chunk-size", 60000,
      "stop-commands", 2, "async-connect", FALSE, "flash-version",
      "TEST/1.0", "fourcc-list", fourccs, "extra-connect-args", extra,
      "tls-validation-flags", G_TLS_CERTIFICATE_UNKNOWN_CA, NULL);
  g_object_get (sink, "host", &host, "port", &port, "scheme", &scheme,
      "timeout", &timeout, "chunk-size", &chunk_size, "stop-commands",
      &stop_commands, "async-connect", &async_connect, "flash-version",
      &flash, "fourcc-list", &fourcc_out, "extra-connect-args", &extra_out,
      "tls-validation-flags", &tls_flags, NULL);
  fail_unless_equals_string (host, "example.org");
  fail_unless_equals_int (port, 1940);
  fail_unless_equals_int (scheme, RTMP_CORE_SCHEME_RTMPS);
  fail_unless_equals_int (timeout, 17);
  fail_unless_equals_int (chunk_size, 60000);
  fail_unless_equals_int (stop_commands, 2);
  fail_unless (!async_connect);
  fail_unless_equals_string (flash, "TEST/1.0");
  fail_unless (g_strv_equal ((const gchar * const *) fourcc_out, fourccs));
  fail_unless (gst_structure_is_equal (extra_out, extra));
  fail_unless_equals_int (tls_flags, G_TLS_CERTIFICATE_UNKNOWN_CA);

  g_object_set (sink, "reconnect", FALSE, "reconnect-attempts", 0,
      "reconnect-delay-min", 50, "reconnect-delay-max", 60000,
      "max-buffer-time", 2500, "max-latency", 700, "congestion-interval",
      250, NULL);
  g_object_get (sink, "reconnect", &reconnect, "reconnect-attempts",
      &attempts, "reconnect-delay-min", &delay_min, "reconnect-delay-max",
      &delay_max, "max-buffer-time", &max_buffer_time, "max-latency",
      &max_latency, "congestion-interval", &congestion_interval, NULL);
  fail_unless (!reconnect);
  fail_unless_equals_int (attempts, 0);
  fail_unless_equals_int (delay_min, 50);
  fail_unless_equals_int (delay_max, 60000);
  fail_unless_equals_int (max_buffer_time, 2500);
  fail_unless_equals_int (max_latency, 700);
  fail_unless_equals_int (congestion_interval, 250);

  /* NULL flash-version restores the default */
  g_object_set (sink, "flash-version", NULL, NULL);
  g_free (flash);
  g_object_get (sink, "flash-version", &flash, NULL);
  fail_unless_equals_string (flash, RTMP_CORE_DEFAULT_FLASH_VERSION);

  g_free (flash);
  g_free (host);
  g_strfreev (fourcc_out);
  gst_structure_free (extra);
  gst_structure_free (extra_out);
  gst_object_unref (sink);
}

GST_END_TEST;

static void
assert_location_parts (GstElement * sink, gint scheme, const gchar * host,
    gint port, const gchar * app, const gchar * stream)
{
  gchar *h, *a, *s;
  gint p, sc;

  g_object_get (sink, "scheme", &sc, "host", &h, "port", &p, "application",
      &a, "stream", &s, NULL);
  fail_unless_equals_int (sc, scheme);
  fail_unless_equals_string (h, host);
  fail_unless_equals_int (p, port);
  fail_unless_equals_string (a, app);
  fail_unless_equals_string (s, stream);
  g_free (h);
  g_free (a);
  g_free (s);
}

static void
assert_location (GstElement * sink, const gchar * expected)
{
  gchar *location;

  g_object_get (sink, "location", &location, NULL);
  fail_unless_equals_string (location, expected);
  g_free (location);
}

GST_START_TEST (test_location_parsing)
{
  GstElement *sink = make_sink ();

  g_object_set (sink, "location", "rtmp://example.com/live/key1", NULL);
  assert_location_parts (sink, RTMP_CORE_SCHEME_RTMP, "example.com", 1935,
      "live", "key1");
  assert_location (sink, "rtmp://example.com/live/key1");

  g_object_set (sink, "location", "rtmps://a.example.com:4443/app/inst/"
      "key2?token=t0k", NULL);
  assert_location_parts (sink, RTMP_CORE_SCHEME_RTMPS, "a.example.com", 4443,
      "app/inst", "key2?token=t0k");
  assert_location (sink, "rtmps://a.example.com:4443/app/inst/key2?token=t0k");

  /* rtmps without a port: 443 */
  g_object_set (sink, "location", "rtmps://b.example.com/live/k", NULL);
  assert_location_parts (sink, RTMP_CORE_SCHEME_RTMPS, "b.example.com", 443,
      "live", "k");
  assert_location (sink, "rtmps://b.example.com/live/k");

  /* user information is kept and printed back */
  g_object_set (sink, "location", "rtmp://us%40er:pa%3Ass@[::1]:1936/live/k3",
      NULL);
  assert_location_parts (sink, RTMP_CORE_SCHEME_RTMP, "::1", 1936, "live",
      "k3");
  assert_location (sink, "rtmp://us%40er:pa%3Ass@[::1]:1936/live/k3");

  /* the parts override the split of the location */
  g_object_set (sink, "location", "rtmp://example.com/live/key1",
      "application", "live/inst", "stream", "other", "port", 1999, NULL);
  assert_location (sink, "rtmp://example.com:1999/live/inst/other");

  /* invalid locations change nothing */
  g_object_set (sink, "location", "http://example.com/live/x", NULL);
  assert_location (sink, "rtmp://example.com:1999/live/inst/other");
  g_object_set (sink, "location", "rtmp://example.com/onlyapp", NULL);
  assert_location (sink, "rtmp://example.com:1999/live/inst/other");
  g_object_set (sink, "location", "rtmp://example.com:99999/live/x", NULL);
  assert_location (sink, "rtmp://example.com:1999/live/inst/other");

  gst_object_unref (sink);
}

GST_END_TEST;

GST_START_TEST (test_uri_handler)
{
  GstElement *sink = make_sink ();
  GstURIHandler *handler;
  const gchar *const *protocols;
  GError *error = NULL;
  gchar *uri;

  fail_unless (GST_IS_URI_HANDLER (sink));
  handler = GST_URI_HANDLER (sink);
  fail_unless_equals_int (gst_uri_handler_get_uri_type (handler),
      GST_URI_SINK);
  protocols = gst_uri_handler_get_protocols (handler);
  fail_unless (g_strv_contains (protocols, "rtmp"));
  fail_unless (g_strv_contains (protocols, "rtmps"));
  fail_unless_equals_int (g_strv_length ((gchar **) protocols), 2);

  fail_unless (gst_uri_handler_set_uri (handler,
          "rtmps://example.net:8443/app/key9", &error));
  g_assert_no_error (error);
  uri = gst_uri_handler_get_uri (handler);
  fail_unless_equals_string (uri, "rtmps://example.net:8443/app/key9");
  g_free (uri);
  assert_location (sink, "rtmps://example.net:8443/app/key9");
  assert_location_parts (sink, RTMP_CORE_SCHEME_RTMPS, "example.net", 8443,
      "app", "key9");

  fail_if (gst_uri_handler_set_uri (handler, "rtsp://example.net/app/key",
          &error));
  g_assert_error (error, GST_URI_ERROR, GST_URI_ERROR_UNSUPPORTED_PROTOCOL);
  g_clear_error (&error);
  fail_if (gst_uri_handler_set_uri (handler, "rtmp://example.net/app",
          &error));
  g_assert_error (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI);
  g_clear_error (&error);
  assert_location (sink, "rtmps://example.net:8443/app/key9");

  gst_object_unref (sink);
}

GST_END_TEST;

/* ---------------------------------------------------------------- */
/* errors                                                            */
/* ---------------------------------------------------------------- */

static void
assert_no_secret (const RunResult * r)
{
  fail_unless (strstr (r->error->message, SECRET_KEY) == NULL,
      "the error message shows the key: %s", r->error->message);
  fail_unless (r->debug == NULL || strstr (r->debug, SECRET_KEY) == NULL,
      "the error details show the key: %s", r->debug);
}

GST_START_TEST (test_refused)
{
  gchar *description = g_strdup_printf ("appsrc caps=video/x-flv ! "
      "rtmpsink2 timeout=3 location=rtmp://127.0.0.1:%u/live/" SECRET_KEY
      "?pass=" SECRET_KEY, free_port ());
  GstElement *pipeline = parse_pipeline (description);
  RunResult r = { 0, };

  watch_logs_for_secrets ();
  run_pipeline (pipeline, 20, &r);
  assert_no_secret_logged ();

  fail_unless (r.error != NULL, "no error for a closed port");
  g_assert_error (r.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE);
  assert_no_secret (&r);
  fail_unless (strstr (r.error->message, "127.0.0.1") != NULL);
  /* bounded by the timeout, not by TCP's own retries */
  fail_unless (r.elapsed_us < 10 * G_USEC_PER_SEC);

  run_result_clear (&r);
  gst_object_unref (pipeline);
  g_free (description);
}

GST_END_TEST;

/* A server that accepts TCP connections (the kernel does, from the listen
 * backlog) and never answers the handshake. */
static GSocketListener *
silent_server (guint * port)
{
  GSocketListener *listener = g_socket_listener_new ();
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *effective = NULL;

  fail_unless (g_socket_listener_add_address (listener, address,
          G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective,
          NULL));
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_object_unref (effective);
  g_object_unref (address);
  g_object_unref (loopback);
  return listener;
}

GST_START_TEST (test_no_server_reply)
{
  guint port;
  GSocketListener *listener = silent_server (&port);
  gchar *description = g_strdup_printf ("appsrc name=src caps=video/x-flv ! "
      "rtmpsink2 timeout=2 location=rtmp://127.0.0.1:%u/live/" SECRET_KEY,
      port);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstBuffer *header = bytes_to_buffer (rtmp_core_flv_make_header
      (RTMP_CORE_FLV_HAS_VIDEO));
  GstFlowReturn flow;
  RunResult r = { 0, };

  /* a buffer then EOS: render waits for the connection, which times out */
  g_signal_emit_by_name (src, "push-buffer", header, &flow);
  g_signal_emit_by_name (src, "end-of-stream", &flow);
  run_pipeline (pipeline, 20, &r);

  fail_unless (r.error != NULL);
  g_assert_error (r.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED);
  fail_unless (strstr (r.error->message, "within 2 s") != NULL,
      "unexpected error: %s", r.error->message);
  assert_no_secret (&r);
  fail_unless (r.elapsed_us < 10 * G_USEC_PER_SEC);

  gst_buffer_unref (header);
  run_result_clear (&r);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (description);
  g_socket_listener_close (listener);
  g_object_unref (listener);
}

GST_END_TEST;

/* EOS before any buffer with async-connect=false: no connection at all,
 * so EOS comes at once even though the server would never answer. */
GST_START_TEST (test_eos_without_data)
{
  guint port;
  GSocketListener *listener = silent_server (&port);
  gchar *description = g_strdup_printf ("appsrc name=src caps=video/x-flv ! "
      "rtmpsink2 timeout=30 async-connect=false "
      "location=rtmp://127.0.0.1:%u/live/key", port);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstFlowReturn flow;
  RunResult r = { 0, };

  g_signal_emit_by_name (src, "end-of-stream", &flow);
  run_pipeline (pipeline, 10, &r);
  fail_unless (r.eos);
  fail_unless (r.error == NULL);

  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (description);
  g_socket_listener_close (listener);
  g_object_unref (listener);
}

GST_END_TEST;

/* Going to NULL while render() waits for a connection that will never
 * come must not wait for the timeout. */
GST_START_TEST (test_stop_while_connecting)
{
  guint port;
  GSocketListener *listener = silent_server (&port);
  gchar *description = g_strdup_printf ("appsrc name=src caps=video/x-flv ! "
      "rtmpsink2 timeout=60 location=rtmp://127.0.0.1:%u/live/key", port);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstBuffer *header = bytes_to_buffer (rtmp_core_flv_make_header
      (RTMP_CORE_FLV_HAS_VIDEO));
  GstFlowReturn flow;
  gint64 start;

  g_signal_emit_by_name (src, "push-buffer", header, &flow);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  g_usleep (200 * 1000);
  start = g_get_monotonic_time ();
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  fail_unless (g_get_monotonic_time () - start < 10 * G_USEC_PER_SEC);

  gst_buffer_unref (header);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (description);
  g_socket_listener_close (listener);
  g_object_unref (listener);
}

GST_END_TEST;

GST_START_TEST (test_dns_failure)
{
  GstElement *pipeline = parse_pipeline ("appsrc caps=video/x-flv ! "
      "rtmpsink2 timeout=3 location=rtmp://no-such-host.invalid/live/"
      SECRET_KEY);
  RunResult r = { 0, };

  run_pipeline (pipeline, 20, &r);
  fail_unless (r.error != NULL);
  fail_unless (r.error->domain == GST_RESOURCE_ERROR);
  fail_unless (strstr (r.error->message, "no-such-host.invalid") != NULL,
      "the error does not name the host: %s", r.error->message);
  assert_no_secret (&r);

  run_result_clear (&r);
  gst_object_unref (pipeline);
}

GST_END_TEST;

GST_START_TEST (test_publish_rejected)
{
  TestServer *s = server_start ("NetStream.Publish.BadName", FALSE);
  gchar *description = g_strdup_printf ("appsrc caps=video/x-flv ! "
      "rtmpsink2 timeout=5 location=rtmp://127.0.0.1:%u/live/" SECRET_KEY,
      s->port);
  GstElement *pipeline = parse_pipeline (description);
  RunResult r = { 0, };

  watch_logs_for_secrets ();
  run_pipeline (pipeline, 20, &r);
  assert_no_secret_logged ();

  fail_unless (r.error != NULL);
  g_assert_error (r.error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_OPEN_WRITE);
  fail_unless (strstr (r.error->message, "NetStream.Publish.BadName") != NULL,
      "the error does not give the server's status: %s", r.error->message);
  assert_no_secret (&r);

  run_result_clear (&r);
  gst_object_unref (pipeline);
  g_free (description);
  server_stop (s);
}

GST_END_TEST;

GST_START_TEST (test_connect_unauthorized)
{
  TestServer *s = server_start ("NetStream.Publish.Start", TRUE);
  gchar *description = g_strdup_printf ("appsrc caps=video/x-flv ! "
      "rtmpsink2 timeout=5 location=rtmp://127.0.0.1:%u/live/" SECRET_KEY,
      s->port);
  GstElement *pipeline = parse_pipeline (description);
  RunResult r = { 0, };

  run_pipeline (pipeline, 20, &r);

  fail_unless (r.error != NULL);
  g_assert_error (r.error, GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  fail_unless (strstr (r.error->message, "NetConnection.Connect.Rejected")
      != NULL, "no status text in: %s", r.error->message);
  assert_no_secret (&r);

  run_result_clear (&r);
  gst_object_unref (pipeline);
  g_free (description);
  server_stop (s);
}

GST_END_TEST;

/* ---------------------------------------------------------------- */
/* publishing to the recording server                                */
/* ---------------------------------------------------------------- */

/* A video keyframe, audio frames, and timestamps that cross 2^32 ms as
 * flvmux's do after 49.7 days. */
static GPtrArray *
make_media (void)
{
  static const guint8 avc_frame[] = { 0x17, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x02, 0x65, 0x88
  };
  static const guint8 avc_delta[] = { 0x27, 0x01, 0x00, 0x00, 0x21, 0x00,
    0x00, 0x00, 0x02, 0x41, 0x9a
  };
  static const guint8 aac_frame[] = { 0xaf, 0x01, 0x21, 0x10, 0x04 };
  static const guint32 timestamps[] = { 0xFFFFFF00, 0xFFFFFF80, 0xFFFFFFF0,
    0x10, 0x100, 0x1000
  };
  GPtrArray *media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  guint i;

  for (i = 0; i < G_N_ELEMENTS (timestamps); i++) {
    g_ptr_array_add (media, message_new (RTMP_CORE_MESSAGE_VIDEO,
            timestamps[i], i == 0 ? avc_frame : avc_delta,
            sizeof (avc_frame)));
    g_ptr_array_add (media, message_new (RTMP_CORE_MESSAGE_AUDIO,
            timestamps[i] + 5, aac_frame, sizeof (aac_frame)));
  }
  return media;
}

typedef struct
{
  GstCaps *caps;
  GPtrArray *header_buffers;    /* as in the caps streamheader */
  RtmpCoreMessage *metadata;
  RtmpCoreMessage *avc_config;
  RtmpCoreMessage *aac_config;
} FlvHeaders;

/* What flvmux puts in its caps: the file header, onMetaData and the codec
 * configurations, each flagged HEADER. */
static void
flv_headers_init (FlvHeaders * h)
{
  static const guint8 avc_config[] = { 0x17, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f, 0x01,
    0x00, 0x04, 0x68, 0xee, 0x3c, 0x80
  };
  static const guint8 aac_config[] = { 0xaf, 0x00, 0x12, 0x10 };
  GBytes *meta = metadata_payload ();
  GValue array = G_VALUE_INIT;
  guint i;

  h->metadata = rtmp_core_message_new (RTMP_CORE_MESSAGE_DATA_AMF0, 0, 0, 0,
      meta);
  g_bytes_unref (meta);
  h->avc_config = message_new (RTMP_CORE_MESSAGE_VIDEO, 0, avc_config,
      sizeof (avc_config));
  h->aac_config = message_new (RTMP_CORE_MESSAGE_AUDIO, 0, aac_config,
      sizeof (aac_config));

  h->header_buffers = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_buffer_unref);
  g_ptr_array_add (h->header_buffers, bytes_to_buffer
      (rtmp_core_flv_make_header (RTMP_CORE_FLV_HAS_VIDEO |
              RTMP_CORE_FLV_HAS_AUDIO)));
  g_ptr_array_add (h->header_buffers, tag_buffer (h->metadata));
  g_ptr_array_add (h->header_buffers, tag_buffer (h->avc_config));
  g_ptr_array_add (h->header_buffers, tag_buffer (h->aac_config));

  g_value_init (&array, GST_TYPE_ARRAY);
  for (i = 0; i < h->header_buffers->len; i++) {
    GstBuffer *b = g_ptr_array_index (h->header_buffers, i);
    GValue v = G_VALUE_INIT;

    GST_BUFFER_FLAG_SET (b, GST_BUFFER_FLAG_HEADER);
    g_value_init (&v, GST_TYPE_BUFFER);
    gst_value_set_buffer (&v, b);
    gst_value_array_append_and_take_value (&array, &v);
  }
  h->caps = gst_caps_new_empty_simple ("video/x-flv");
  gst_structure_take_value (gst_caps_get_structure (h->caps, 0),
      "streamheader", &array);
}

static void
flv_headers_clear (FlvHeaders * h)
{
  gst_caps_unref (h->caps);
  g_ptr_array_unref (h->header_buffers);
  rtmp_core_message_unref (h->metadata);
  rtmp_core_message_unref (h->avc_config);
  rtmp_core_message_unref (h->aac_config);
}

static void
push (GstElement * src, GstBuffer * buffer)
{
  GstFlowReturn flow;

  g_signal_emit_by_name (src, "push-buffer", buffer, &flow);
  gst_buffer_unref (buffer);
  fail_unless_equals_int (flow, GST_FLOW_OK);
}

/* Checks the received media: metadata with @setDataFrame, then each codec
 * configuration once, then @media in order with unchanged timestamps. */
static void
assert_received (TestServer * s, FlvHeaders * h, GPtrArray * media)
{
  GPtrArray *got = server_media (s);
  GBytes *meta = rtmp_core_message_get_payload (h->metadata);
  GBytes *expected_meta = rtmp_core_data_add_set_data_frame (meta);
  GBytes *got_meta;
  guint i;

  fail_unless_equals_int (got->len, 3 + media->len);
  fail_unless_equals_int (((RtmpCoreMessage *) got->pdata[0])->type,
      RTMP_CORE_MESSAGE_DATA_AMF0);
  got_meta = rtmp_core_message_get_payload (got->pdata[0]);
  fail_unless (g_bytes_equal (got_meta, expected_meta));
  fail_unless (same_payload (got->pdata[1], h->avc_config));
  fail_unless_equals_int (((RtmpCoreMessage *) got->pdata[1])->type,
      RTMP_CORE_MESSAGE_VIDEO);
  fail_unless (same_payload (got->pdata[2], h->aac_config));
  fail_unless_equals_int (((RtmpCoreMessage *) got->pdata[2])->type,
      RTMP_CORE_MESSAGE_AUDIO);
  for (i = 0; i < media->len; i++) {
    RtmpCoreMessage *a = g_ptr_array_index (media, i);
    RtmpCoreMessage *b = g_ptr_array_index (got, 3 + i);

    fail_unless_equals_int (b->type, a->type);
    fail_unless_equals_int64 (b->timestamp, a->timestamp);
    fail_unless (same_payload (a, b));
    fail_unless_equals_int (b->stream_id, 1);
  }
  g_bytes_unref (got_meta);
  g_bytes_unref (expected_meta);
  g_bytes_unref (meta);
  g_ptr_array_unref (got);
}

/* flvmux-style input (caps streamheader plus the same header buffers
 * in-band), connect arguments, chunk size, stats while publishing, the
 * default stop commands and the half-close at the end. */
GST_START_TEST (test_publish_flvmux_style)
{
  TestServer *s = server_start ("NetStream.Publish.Start", FALSE);
  gchar *description = g_strdup_printf ("appsrc name=src ! rtmpsink2 "
      "name=sink timeout=5 chunk-size=1000 flash-version=\"TEST/1.0 x\" "
      "location=rtmp://127.0.0.1:%u/live/" SECRET_KEY, s->port);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  const gchar *const fourccs[] = { "hvc1", "av01", NULL };
  GstStructure *extra = gst_structure_new ("args", "token", G_TYPE_STRING,
      "abc", "n", G_TYPE_INT, 5, "flag", G_TYPE_BOOLEAN, TRUE, NULL);
  GPtrArray *media = make_media ();
  RtmpCoreCommand *connect;
  RtmpCoreAmfValue *obj, *list, *args;
  GstStructure *stats;
  guint64 bytes_sent, queue_bytes, rtt = GST_CLOCK_TIME_NONE;
  guint chunk_size, announced = 0;
  gint64 deadline;
  gdouble n;
  FlvHeaders h;
  gchar *names;
  RunResult r = { 0, };
  GstFlowReturn flow;
  guint i;

  flv_headers_init (&h);
  g_object_set (src, "caps", h.caps, NULL);
  g_object_set (sink, "fourcc-list", fourccs, "extra-connect-args", extra,
      "sync", FALSE, NULL);
  watch_logs_for_secrets ();

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  /* in-band copies of the headers, as flvmux pushes them */
  for (i = 0; i < h.header_buffers->len; i++)
    push (src, gst_buffer_copy (g_ptr_array_index (h.header_buffers, i)));
  for (i = 0; i < media->len; i++)
    push (src, tag_buffer (g_ptr_array_index (media, i)));

  fail_unless (server_wait_media (s, 3 + media->len, 10));
  /* the connection pings on publish: wait for the answer; the queue
   * counts bytes until the server's TCP acknowledged them, which a
   * delayed ACK may hold back a little */
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  do {
    g_object_get (sink, "stats", &stats, NULL);
    fail_unless (gst_structure_get (stats, "bytes-sent", G_TYPE_UINT64,
            &bytes_sent, "queue-bytes", G_TYPE_UINT64, &queue_bytes,
            "chunk-size", G_TYPE_UINT, &chunk_size, "rtt", G_TYPE_UINT64,
            &rtt, NULL));
    gst_structure_free (stats);
    if (rtt == GST_CLOCK_TIME_NONE || queue_bytes > 0)
      g_usleep (20 * 1000);
  } while ((rtt == GST_CLOCK_TIME_NONE || queue_bytes > 0) &&
      g_get_monotonic_time () < deadline);
  fail_unless (bytes_sent > 0);
  fail_unless_equals_int (queue_bytes, 0);
  fail_unless_equals_int (chunk_size, 1000);
  fail_unless (rtt != GST_CLOCK_TIME_NONE, "no round trip time measured");

  g_signal_emit_by_name (src, "end-of-stream", &flow);
  wait_pipeline (pipeline, 20, g_get_monotonic_time (), &r);
  fail_unless (r.eos, "error instead of EOS: %s",
      r.error ? r.error->message : "");
  /* the server saw our half-close and closed: everything was read */
  fail_unless (server_wait_closed (s, 5));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  assert_no_secret_logged ();

  assert_received (s, &h, media);

  names = server_command_names (s);
  fail_unless_equals_string (names, "connect releaseStream FCPublish "
      "createStream publish FCUnpublish deleteStream");
  g_free (names);

  fail_unless (server_find_uint32 (s, RTMP_CORE_MESSAGE_SET_CHUNK_SIZE,
          &announced));
  fail_unless_equals_int (announced, 1000);

  connect = server_find_command (s, "connect");
  obj = rtmp_core_command_get_object (connect);
  fail_unless_equals_string (rtmp_core_amf_value_lookup_string (obj,
          "flashVer"), "TEST/1.0 x");
  list = rtmp_core_amf_value_get_field (obj, "fourCcList");
  fail_unless (list != NULL);
  fail_unless_equals_int (rtmp_core_amf_value_get_n_elements (list), 2);
  fail_unless_equals_string (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (list, 0)), "hvc1");
  fail_unless_equals_string (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (list, 1)), "av01");
  fail_unless_equals_int (rtmp_core_command_get_n_arguments (connect), 1);
  args = rtmp_core_command_get_argument (connect, 0);
  fail_unless_equals_string (rtmp_core_amf_value_lookup_string (args,
          "token"), "abc");
  fail_unless (rtmp_core_amf_value_lookup_number (args, "n", &n));
  fail_unless_equals_float (n, 5.0);
  fail_unless (rtmp_core_amf_value_get_boolean
      (rtmp_core_amf_value_get_field (args, "flag")));
  rtmp_core_command_unref (connect);

  run_result_clear (&r);
  flv_headers_clear (&h);
  g_ptr_array_unref (media);
  gst_structure_free (extra);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  g_free (description);
  server_stop (s);
}

GST_END_TEST;

/* A whole FLV file in 7-byte pieces, no caps streamheader. */
static GstBuffer *
flv_file (FlvHeaders * h, GPtrArray * media)
{
  GByteArray *file = g_byte_array_new ();
  guint i;

  for (i = 0; i < h->header_buffers->len; i++) {
    GstBuffer *b = g_ptr_array_index (h->header_buffers, i);
    GstMapInfo map;

    gst_buffer_map (b, &map, GST_MAP_READ);
    g_byte_array_append (file, map.data, map.size);
    gst_buffer_unmap (b, &map);
  }
  for (i = 0; i < media->len; i++) {
    GBytes *tag = rtmp_core_flv_tag_from_message (media->pdata[i]);

    g_byte_array_append (file, g_bytes_get_data (tag, NULL),
        g_bytes_get_size (tag));
    g_bytes_unref (tag);
  }
  i = file->len;
  return gst_buffer_new_wrapped (g_byte_array_free (file, FALSE), i);
}

static void
publish_with_stop_commands (guint stop_commands, const gchar * expected)
{
  TestServer *s = server_start ("NetStream.Publish.Start", FALSE);
  gchar *description = g_strdup_printf ("appsrc name=src caps=video/x-flv ! "
      "rtmpsink2 name=sink timeout=5 stop-commands=%u sync=false "
      "location=rtmp://127.0.0.1:%u/live/key", stop_commands, s->port);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GPtrArray *media = make_media ();
  GstBuffer *file;
  GstMapInfo map;
  gsize off;
  gchar *names;
  FlvHeaders h;
  RunResult r = { 0, };
  GstFlowReturn flow;

  flv_headers_init (&h);
  file = flv_file (&h, media);
  gst_buffer_map (file, &map, GST_MAP_READ);
  for (off = 0; off < map.size; off += 7)
    push (src, gst_buffer_new_memdup (map.data + off, MIN (7,
                map.size - off)));
  gst_buffer_unmap (file, &map);
  gst_buffer_unref (file);
  g_signal_emit_by_name (src, "end-of-stream", &flow);

  run_pipeline (pipeline, 20, &r);
  fail_unless (r.eos, "error instead of EOS: %s",
      r.error ? r.error->message : "");
  fail_unless (server_wait_closed (s, 5));
  assert_received (s, &h, media);
  names = server_command_names (s);
  fail_unless_equals_string (names, expected);
  g_free (names);

  run_result_clear (&r);
  flv_headers_clear (&h);
  g_ptr_array_unref (media);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (description);
  server_stop (s);
}

GST_START_TEST (test_stop_commands)
{
  publish_with_stop_commands (0, "connect releaseStream FCPublish "
      "createStream publish");
  publish_with_stop_commands (2, "connect releaseStream FCPublish "
      "createStream publish closeStream");
  publish_with_stop_commands (7, "connect releaseStream FCPublish "
      "createStream publish FCUnpublish closeStream deleteStream");
}

GST_END_TEST;

/* ---------------------------------------------------------------- */
/* real peers                                                        */
/* ---------------------------------------------------------------- */

static void
run_command (const gchar * const *argv)
{
  GError *error = NULL;
  gint status;

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  fail_unless (g_spawn_check_wait_status (status, NULL), "%s failed",
      argv[0]);
}

/* ffmpeg -listen records what it receives; the file goes in 1000-byte
 * pieces, so tags straddle buffers. Every tag, the last ones included,
 * must arrive unchanged. */
GST_START_TEST (test_ffmpeg_unaligned_file)
{
  gchar *dir = make_tmpdir ();
  gchar *in = g_build_filename (dir, "in.flv", NULL);
  gchar *out = g_build_filename (dir, "out.flv", NULL);
  guint port = free_port ();
  gchar *url = g_strdup_printf ("rtmp://127.0.0.1:%u/live/" SECRET_KEY, port);
  const gchar *const make_input[] = { "ffmpeg", "-nostdin", "-loglevel",
    "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "3",
    "-c:v", "libx264", "-preset", "ultrafast", "-g", "30", "-c:a", "aac",
    "-f", "flv", in, NULL
  };
  GSubprocess *ffmpeg;
  GstElement *pipeline;
  gchar *description;
  GPtrArray *sent, *received;
  RunResult r = { 0, };

  run_command (make_input);
  {
    const gchar *const listen[] = { "ffmpeg", "-nostdin", "-loglevel",
      "error", "-y", "-listen", "1", "-i", url, "-c", "copy", "-f", "flv",
      out, NULL
    };

    ffmpeg = spawn (G_SUBPROCESS_FLAGS_STDERR_SILENCE, listen);
  }
  fail_unless (wait_listening (port, 10), "ffmpeg does not listen");

  description = g_strdup_printf ("filesrc location=\"%s\" blocksize=1000 ! "
      "rtmpsink2 location=%s timeout=10", in, url);
  pipeline = parse_pipeline (description);
  run_pipeline (pipeline, 60, &r);
  fail_unless (r.eos, "error instead of EOS: %s",
      r.error ? r.error->message : "");
  fail_unless (wait_process (ffmpeg, 20), "ffmpeg did not exit");
  fail_unless (g_subprocess_get_successful (ffmpeg), "ffmpeg failed");

  sent = read_flv (in);
  received = read_flv (out);
  assert_same_media (sent, received, FALSE);

  g_ptr_array_unref (sent);
  g_ptr_array_unref (received);
  run_result_clear (&r);
  gst_object_unref (pipeline);
  g_object_unref (ffmpeg);
  g_free (description);
  g_free (url);
  g_free (in);
  g_free (out);
  remove_tmpdir (dir);
}

GST_END_TEST;

/* flvmux → rtmpsink2 → nginx-rtmp (recording), while a tee writes what
 * flvmux produced to a file: the recording must hold the same tags. */
GST_START_TEST (test_nginx_flvmux)
{
  gchar *dir, *conf_path, *conf, *ref, *recording, *description, *nginx;
  guint port;
  GSubprocess *server;
  GstElement *pipeline;
  GPtrArray *sent, *received;
  RunResult r = { 0, };

  nginx = g_find_program_in_path ("nginx");
  if (nginx == NULL)
    nginx = g_strdup ("/usr/sbin/nginx");
  if (!g_file_test (nginx, G_FILE_TEST_IS_EXECUTABLE) ||
      !g_file_test (NGINX_RTMP_MODULE, G_FILE_TEST_EXISTS)) {
    g_print ("SKIP: nginx with the RTMP module (" NGINX_RTMP_MODULE ") is "
        "not installed\n");
    g_free (nginx);
    return;
  }

  dir = make_tmpdir ();
  port = free_port ();
  conf_path = g_build_filename (dir, "nginx.conf", NULL);
  conf = g_strdup_printf ("load_module " NGINX_RTMP_MODULE ";\n"
      "daemon off;\nmaster_process off;\nerror_log %s/error.log;\n"
      "pid %s/nginx.pid;\nevents {}\n"
      "rtmp { server { listen 127.0.0.1:%u; application live { live on; "
      "record all; record_path %s; record_unique off; } } }\n",
      dir, dir, port, dir);
  fail_unless (g_file_set_contents (conf_path, conf, -1, NULL));
  {
    const gchar *const argv[] = { nginx, "-c", conf_path, "-p", dir, "-e",
      "stderr", NULL
    };

    server = spawn (G_SUBPROCESS_FLAGS_STDERR_SILENCE, argv);
  }
  fail_unless (wait_listening (port, 10), "nginx does not listen");

  ref = g_build_filename (dir, "ref.flv", NULL);
  recording = g_build_filename (dir, SECRET_KEY ".flv", NULL);
  description = g_strdup_printf ("videotestsrc num-buffers=90 ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency key-int-max=30 ! h264parse ! "
      "flvmux streamable=true name=m ! tee name=t ! queue ! "
      "filesink sync=false location=\"%s\" "
      "t. ! queue ! rtmpsink2 sync=false timeout=10 "
      "location=rtmp://127.0.0.1:%u/live/" SECRET_KEY " "
      "audiotestsrc num-buffers=130 ! avenc_aac ! m.", ref, port);
  pipeline = parse_pipeline (description);
  run_pipeline (pipeline, 60, &r);
  fail_unless (r.eos, "error instead of EOS: %s",
      r.error ? r.error->message : "");

  g_subprocess_send_signal (server, SIGQUIT);
  fail_unless (wait_process (server, 10), "nginx did not exit");

  sent = read_flv (ref);
  received = read_flv (recording);
  assert_same_media (sent, received, TRUE);

  g_ptr_array_unref (sent);
  g_ptr_array_unref (received);
  run_result_clear (&r);
  gst_object_unref (pipeline);
  g_object_unref (server);
  g_free (description);
  g_free (ref);
  g_free (recording);
  g_free (conf);
  g_free (conf_path);
  g_free (nginx);
  remove_tmpdir (dir);
}

GST_END_TEST;

/* ---------------------------------------------------------------- */
/* reconnecting and congestion, with a live encoder                  */
/* ---------------------------------------------------------------- */

/* Live test video (1.5 Mbit/s, a key frame every 15 frames: GOPs of
 * 500 ms) and AAC audio, muxed by flvmux into rtmpsink2. */
static GstElement *
live_pipeline (guint port, const gchar * sink_properties)
{
  gchar *description = g_strdup_printf ("videotestsrc is-live=true ! "
      "video/x-raw,width=320,height=240,framerate=30/1 ! "
      "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 "
      "bitrate=1500 ! h264parse ! flvmux streamable=true name=m ! "
      "rtmpsink2 name=sink location=rtmp://127.0.0.1:%u/live/key %s "
      "audiotestsrc is-live=true ! audio/x-raw,rate=44100,channels=2 ! "
      "avenc_aac ! m.", port, sink_properties);
  GstElement *pipeline = parse_pipeline (description);

  g_free (description);
  return pipeline;
}

#define GOP_MS 500
/* a video frame (33 ms) or an AAC frame (23 ms), rounded up */
#define FRAME_MS 40

/* What the bus said, in order. */
typedef struct
{
  GstElement *pipeline;
  GPtrArray *reconnecting;      /* GstStructure */
  GPtrArray *reconnected;
  GPtrArray *congestion;
  GError *error;
  gboolean eos;
} BusLog;

static void
bus_log_init (BusLog * log, GstElement * pipeline)
{
  log->pipeline = pipeline;
  log->reconnecting = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  log->reconnected = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  log->congestion = g_ptr_array_new_with_free_func ((GDestroyNotify)
      gst_structure_free);
  log->error = NULL;
  log->eos = FALSE;
}

static void
bus_log_clear (BusLog * log)
{
  g_ptr_array_unref (log->reconnecting);
  g_ptr_array_unref (log->reconnected);
  g_ptr_array_unref (log->congestion);
  g_clear_error (&log->error);
}

/* Collects bus messages for @ms milliseconds, or until EOS or ERROR. */
static void
bus_log_run (BusLog * log, guint ms)
{
  GstBus *bus = gst_element_get_bus (log->pipeline);
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (!log->eos && log->error == NULL) {
    gint64 left = deadline - g_get_monotonic_time ();
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, MAX (left, 0) *
        GST_USECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR |
        GST_MESSAGE_ELEMENT);
    const GstStructure *s;

    if (msg == NULL)
      break;
    s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS)
      log->eos = TRUE;
    else if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR)
      gst_message_parse_error (msg, &log->error, NULL);
    else if (gst_structure_has_name (s, "rtmpsink2-reconnecting"))
      g_ptr_array_add (log->reconnecting, gst_structure_copy (s));
    else if (gst_structure_has_name (s, "rtmpsink2-reconnected"))
      g_ptr_array_add (log->reconnected, gst_structure_copy (s));
    else if (gst_structure_has_name (s, "rtmpsink2-congestion"))
      g_ptr_array_add (log->congestion, gst_structure_copy (s));
    gst_message_unref (msg);
  }
  gst_object_unref (bus);
}

/* Sends EOS and waits for it to come out. */
static void
bus_log_finish (BusLog * log, guint seconds)
{
  gst_element_send_event (log->pipeline, gst_event_new_eos ());
  bus_log_run (log, seconds * 1000);
  fail_unless (log->error == NULL, "error: %s",
      log->error ? log->error->message : "");
  fail_unless (log->eos, "no EOS within %u s", seconds);
}

static GstStructure *
sink_stats (GstElement * pipeline)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  GstStructure *stats;

  g_object_get (sink, "stats", &stats, NULL);
  gst_object_unref (sink);
  return stats;
}

static gboolean
is_video_keyframe (const RtmpCoreMessage * m)
{
  gsize size;
  const guint8 *d = rtmp_core_message_peek_data (m, &size);

  return m->type == RTMP_CORE_MESSAGE_VIDEO && !is_codec_config (m) &&
      size >= 1 && (d[0] >> 4) == 1;
}

/* The frames (not the configurations, not the metadata) of @media. */
static GPtrArray *
frames_of (GPtrArray * media, guint8 type)
{
  GPtrArray *out = g_ptr_array_new ();
  guint i;

  for (i = 0; i < media->len; i++) {
    RtmpCoreMessage *m = g_ptr_array_index (media, i);

    if (m->type == type && !is_codec_config (m))
      g_ptr_array_add (out, m);
  }
  return out;
}

static guint32
first_timestamp (GPtrArray * media, guint8 type)
{
  GPtrArray *frames = frames_of (media, type);
  guint32 ts;

  fail_unless (frames->len > 0);
  ts = ((RtmpCoreMessage *) frames->pdata[0])->timestamp;
  g_ptr_array_unref (frames);
  return ts;
}

static guint32
last_timestamp (GPtrArray * media, guint8 type)
{
  GPtrArray *frames = frames_of (media, type);
  guint32 ts;

  fail_unless (frames->len > 0);
  ts = ((RtmpCoreMessage *) frames->pdata[frames->len - 1])->timestamp;
  g_ptr_array_unref (frames);
  return ts;
}

/* Writes the received @media as an FLV file and has ffprobe decode every
 * video frame: the stream must decode without a single error message.
 * Returns the number of frames decoded. */
static guint
assert_decodes (GPtrArray * media)
{
  gchar *dir = make_tmpdir ();
  gchar *path = g_build_filename (dir, "received.flv", NULL);
  GByteArray *file = g_byte_array_new ();
  GBytes *header = rtmp_core_flv_make_header (RTMP_CORE_FLV_HAS_VIDEO |
      RTMP_CORE_FLV_HAS_AUDIO);
  gchar *out = NULL, *err = NULL;
  gint status;
  guint i, frames;
  const gchar *argv[] = { "ffprobe", "-v", "error", "-count_frames",
    "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
    "-of", "csv=p=0", path, NULL
  };

  g_byte_array_append (file, g_bytes_get_data (header, NULL),
      g_bytes_get_size (header));
  g_bytes_unref (header);
  for (i = 0; i < media->len; i++) {
    RtmpCoreMessage *m = g_ptr_array_index (media, i);
    RtmpCoreMessage *tag = rtmp_core_message_ref (m);
    GBytes *bytes;

    if (m->type == RTMP_CORE_MESSAGE_DATA_AMF0) {
      GBytes *payload = rtmp_core_message_get_payload (m);
      GBytes *stripped = rtmp_core_data_strip_set_data_frame (payload);

      rtmp_core_message_unref (tag);
      tag = rtmp_core_message_new (m->type, 0, 0, m->timestamp, stripped);
      g_bytes_unref (stripped);
      g_bytes_unref (payload);
    }
    bytes = rtmp_core_flv_tag_from_message (tag);
    g_byte_array_append (file, g_bytes_get_data (bytes, NULL),
        g_bytes_get_size (bytes));
    g_bytes_unref (bytes);
    rtmp_core_message_unref (tag);
  }
  fail_unless (g_file_set_contents (path, (const gchar *) file->data,
          file->len, NULL));
  g_byte_array_unref (file);

  fail_unless (g_spawn_sync (NULL, (gchar **) argv, NULL,
          G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, NULL));
  fail_unless (g_spawn_check_wait_status (status, NULL), "ffprobe failed: %s",
      err);
  fail_unless_equals_string (err, "");
  frames = atoi (out);
  fail_unless (frames > 0, "ffprobe decoded nothing: %s", out);

  g_free (out);
  g_free (err);
  g_free (path);
  remove_tmpdir (dir);
  return frames;
}

/* The server goes away mid-publish and comes back on the same port 1.5 s
 * later: no error; the reconnect messages; the new server gets metadata
 * and both configurations first, video from a key frame on (the one of
 * the GOP the first server was in: no frame is missing), the timeline
 * continued, and a stream that decodes without an error. */
GST_START_TEST (test_reconnect)
{
  TestServer *s1 = server_start ("NetStream.Publish.Start", FALSE);
  guint port = s1->port;
  GstElement *pipeline = live_pipeline (port, "reconnect-delay-min=200 "
      "reconnect-delay-max=1000");
  GPtrArray *media1, *media2, *video2;
  GBytes *payload;
  TestServer *s2;
  GstStructure *stats, *msg;
  BusLog log;
  guint i, frames;

  bus_log_init (&log, pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (server_wait_media (s1, 90, 20));
  media1 = server_media (s1);
  server_stop (s1);

  bus_log_run (&log, 1500);
  fail_unless (log.error == NULL, "error: %s", log.error->message);
  fail_unless (log.reconnecting->len >= 1, "no reconnecting message");
  s2 = server_start_full ("NetStream.Publish.Start", FALSE, port, 0);
  fail_unless (server_wait_media (s2, 90, 20), "the stream did not resume");
  bus_log_run (&log, 0);

  stats = sink_stats (pipeline);
  fail_unless_equals_int (get_uint (stats, "reconnects"), 1);
  gst_structure_free (stats);
  bus_log_finish (&log, 20);
  fail_unless (server_wait_closed (s2, 5));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  /* one reconnecting message per attempt, numbered, then one reconnected */
  for (i = 0; i < log.reconnecting->len; i++) {
    msg = g_ptr_array_index (log.reconnecting, i);
    fail_unless_equals_int (get_uint (msg, "attempt"), i + 1);
    fail_unless_equals_int (get_uint (msg, "max-attempts"), 10);
    fail_unless (get_uint (msg, "delay-ms") >= 180);
    fail_unless (get_uint (msg, "delay-ms") <= 1100);
    fail_unless (gst_structure_get_string (msg, "reason") != NULL);
  }
  fail_unless_equals_int (log.reconnected->len, 1);
  msg = g_ptr_array_index (log.reconnected, 0);
  fail_unless (get_uint (msg, "attempt") >= 1);
  fail_unless_equals_int (get_uint (msg, "attempt"), log.reconnecting->len);
  fail_unless (get_u64 (msg, "downtime-ms") >= 1000,
      "downtime %" G_GUINT64_FORMAT " ms", get_u64 (msg, "downtime-ms"));

  /* headers first, then video from a key frame on */
  media2 = server_media (s2);
  fail_unless (media2->len > 10);
  fail_unless_equals_int (((RtmpCoreMessage *) media2->pdata[0])->type,
      RTMP_CORE_MESSAGE_DATA_AMF0);
  payload = rtmp_core_message_get_payload (media2->pdata[0]);
  fail_unless (g_bytes_get_size (payload) > 30);
  fail_unless (memcmp (g_bytes_get_data (payload, NULL),
          "\x02\x00\x0d@setDataFrame\x02\x00\x0aonMetaData", 28) == 0);
  g_bytes_unref (payload);
  fail_unless_equals_int (((RtmpCoreMessage *) media2->pdata[1])->type,
      RTMP_CORE_MESSAGE_VIDEO);
  fail_unless (is_codec_config (media2->pdata[1]));
  fail_unless_equals_int (((RtmpCoreMessage *) media2->pdata[2])->type,
      RTMP_CORE_MESSAGE_AUDIO);
  fail_unless (is_codec_config (media2->pdata[2]));
  video2 = frames_of (media2, RTMP_CORE_MESSAGE_VIDEO);
  fail_unless (is_video_keyframe (video2->pdata[0]));
  g_ptr_array_unref (video2);

  /* the timeline continues, with nothing lost but at most one GOP */
  GST_INFO ("server 1: video up to %u, audio up to %u; server 2: video "
      "from %u, audio from %u", last_timestamp (media1,
          RTMP_CORE_MESSAGE_VIDEO), last_timestamp (media1,
          RTMP_CORE_MESSAGE_AUDIO), first_timestamp (media2,
          RTMP_CORE_MESSAGE_VIDEO), first_timestamp (media2,
          RTMP_CORE_MESSAGE_AUDIO));
  fail_unless (last_timestamp (media1, RTMP_CORE_MESSAGE_VIDEO) > 1000);
  fail_unless (first_timestamp (media2, RTMP_CORE_MESSAGE_VIDEO) + GOP_MS +
      FRAME_MS >= last_timestamp (media1, RTMP_CORE_MESSAGE_VIDEO));
  fail_unless (first_timestamp (media2, RTMP_CORE_MESSAGE_VIDEO) <=
      last_timestamp (media1, RTMP_CORE_MESSAGE_VIDEO) + FRAME_MS);
  fail_unless (first_timestamp (media2, RTMP_CORE_MESSAGE_AUDIO) <=
      last_timestamp (media1, RTMP_CORE_MESSAGE_AUDIO) + FRAME_MS);
  for (i = 4; i < media2->len; i++)
    fail_unless (((RtmpCoreMessage *) media2->pdata[i])->timestamp + 100 >=
        ((RtmpCoreMessage *) media2->pdata[i - 1])->timestamp);

  frames = assert_decodes (media2);
  GST_INFO ("%u frames decoded after reconnecting", frames);

  g_ptr_array_unref (media1);
  g_ptr_array_unref (media2);
  bus_log_clear (&log);
  gst_object_unref (pipeline);
  server_stop (s2);
}

GST_END_TEST;

/* Video every 100 ms from @from to @to (a key frame every 1000 ms), each
 * followed by an audio frame 50 ms later. */
static void
add_gops (GPtrArray * media, guint32 from, guint32 to)
{
  static const guint8 key[] = { 0x17, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0x65, 0x88
  };
  static const guint8 inter[] = { 0x27, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x02, 0x41, 0x9a
  };
  static const guint8 audio[] = { 0xaf, 0x01, 0x21, 0x10, 0x04 };
  guint32 t;

  for (t = from; t < to; t += 100) {
    g_ptr_array_add (media, message_new (RTMP_CORE_MESSAGE_VIDEO, t,
            t % 1000 == 0 ? key : inter, sizeof (key)));
    g_ptr_array_add (media, message_new (RTMP_CORE_MESSAGE_AUDIO, t + 50,
            audio, sizeof (audio)));
  }
}

static void
wait_dropped (GstElement * pipeline, guint64 expected)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint64 dropped;

  do {
    GstStructure *stats = sink_stats (pipeline);

    dropped = get_u64 (stats, "dropped-frames");
    gst_structure_free (stats);
    if (dropped != expected)
      g_usleep (20 * 1000);
  } while (dropped != expected && g_get_monotonic_time () < deadline);
  fail_unless_equals_int64 (dropped, expected);
}

/* One GOP reaches the first server, which then goes away. Three more GOPs
 * and EOS come while reconnecting, with max-buffer-time=1500. From a live
 * source, the oldest GOPs go whole, audio only once older than 1.5 s:
 * when a server is back it gets the headers (stamped with the resume
 * point's time), the audio of the window, the video from the last key
 * frame on. From a non-live source nothing is dropped: the new server
 * gets everything from the key frame of the GOP the first one was in.
 * Then the stop commands: EOS waited for all of it. */
static void
reconnect_buffering (gboolean live)
{
  TestServer *s1 = server_start ("NetStream.Publish.Start", FALSE);
  guint port = s1->port;
  gchar *description = g_strdup_printf ("appsrc name=src is-live=%d ! "
      "rtmpsink2 name=sink sync=false reconnect-attempts=0 "
      "reconnect-delay-min=300 reconnect-delay-max=300 max-buffer-time=1500 "
      "location=rtmp://127.0.0.1:%u/live/key", live, port);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GPtrArray *before_loss = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  GPtrArray *while_lost = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  GPtrArray *expected = g_ptr_array_new ();
  GPtrArray *got;
  GstStructure *stats;
  GstFlowReturn flow;
  FlvHeaders h;
  TestServer *s2;
  BusLog log;
  gchar *names;
  guint i;

  flv_headers_init (&h);
  g_object_set (src, "caps", h.caps, NULL);
  add_gops (before_loss, 0, 1000);
  add_gops (while_lost, 1000, 4000);
  bus_log_init (&log, pipeline);

  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < before_loss->len; i++)
    push (src, tag_buffer (before_loss->pdata[i]));
  fail_unless (server_wait_media (s1, 3 + before_loss->len, 10));
  server_stop (s1);
  for (i = 0; i < 50 && log.reconnecting->len == 0; i++)
    bus_log_run (&log, 100);
  fail_unless (log.reconnecting->len > 0, "no reconnecting message");
  fail_unless_equals_int (get_uint (log.reconnecting->pdata[0],
          "max-attempts"), 0);

  for (i = 0; i < while_lost->len; i++)
    push (src, tag_buffer (while_lost->pdata[i]));
  g_signal_emit_by_name (src, "end-of-stream", &flow);
  /* live: the first GOP (sent again from its key frame) and two more are
   * gone (30 video frames), and the audio before 3950 - 1500 (24 frames) */
  if (live)
    wait_dropped (pipeline, 54);

  s2 = server_start_full ("NetStream.Publish.Start", FALSE, port, 0);
  bus_log_run (&log, 20000);
  fail_unless (log.error == NULL, "error: %s", log.error->message);
  fail_unless (log.eos);
  fail_unless (server_wait_closed (s2, 5));
  stats = sink_stats (pipeline);
  fail_unless_equals_int (get_uint (stats, "reconnects"), 1);
  fail_unless_equals_int64 (get_u64 (stats, "dropped-frames"), live ? 54 : 0);
  gst_structure_free (stats);
  fail_unless_equals_int (log.reconnected->len, 1);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  if (!live)
    g_ptr_array_extend (expected, before_loss, NULL, NULL);
  for (i = 0; i < while_lost->len; i++) {
    RtmpCoreMessage *m = g_ptr_array_index (while_lost, i);

    if (!live || m->timestamp >= 3000 ||
        (m->type == RTMP_CORE_MESSAGE_AUDIO && m->timestamp >= 2450))
      g_ptr_array_add (expected, m);
  }
  got = server_media (s2);
  fail_unless_equals_int (got->len, 3 + expected->len);
  fail_unless_equals_int (((RtmpCoreMessage *) got->pdata[0])->type,
      RTMP_CORE_MESSAGE_DATA_AMF0);
  fail_unless (same_payload (got->pdata[1], h.avc_config));
  fail_unless (same_payload (got->pdata[2], h.aac_config));
  for (i = 0; i < 3; i++)
    fail_unless_equals_int (((RtmpCoreMessage *) got->pdata[i])->timestamp,
        live ? 2450 : 0);
  for (i = 0; i < expected->len; i++) {
    RtmpCoreMessage *a = g_ptr_array_index (expected, i);
    RtmpCoreMessage *b = g_ptr_array_index (got, 3 + i);

    fail_unless_equals_int (b->type, a->type);
    fail_unless_equals_int (b->timestamp, a->timestamp);
    fail_unless (same_payload (a, b));
  }
  names = server_command_names (s2);
  fail_unless_equals_string (names, "connect releaseStream FCPublish "
      "createStream publish FCUnpublish deleteStream");

  g_free (names);
  g_ptr_array_unref (got);
  g_ptr_array_unref (expected);
  g_ptr_array_unref (before_loss);
  g_ptr_array_unref (while_lost);
  flv_headers_clear (&h);
  bus_log_clear (&log);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (description);
  server_stop (s2);
}

GST_START_TEST (test_reconnect_buffering_live)
{
  reconnect_buffering (TRUE);
}

GST_END_TEST;

GST_START_TEST (test_reconnect_buffering_file)
{
  reconnect_buffering (FALSE);
}

GST_END_TEST;

/* The server never comes back: an error once the attempts are used up,
 * saying so; with reconnect=false, an error at once. */
static void
lose_server (const gchar * sink_properties, guint expected_attempts)
{
  TestServer *s = server_start ("NetStream.Publish.Start", FALSE);
  gchar *description = g_strdup_printf ("appsrc name=src ! rtmpsink2 "
      "sync=false location=rtmp://127.0.0.1:%u/live/key %s", s->port,
      sink_properties);
  GstElement *pipeline = parse_pipeline (description);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GPtrArray *media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  FlvHeaders h;
  BusLog log;
  guint i;

  flv_headers_init (&h);
  g_object_set (src, "caps", h.caps, NULL);
  add_gops (media, 0, 1000);
  bus_log_init (&log, pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  for (i = 0; i < media->len; i++)
    push (src, tag_buffer (media->pdata[i]));
  fail_unless (server_wait_media (s, 3 + media->len, 10));
  server_stop (s);

  bus_log_run (&log, 15000);
  fail_unless (log.error != NULL, "no error");
  GST_INFO ("error: %s", log.error->message);
  fail_unless_equals_int (log.reconnecting->len, expected_attempts);
  for (i = 0; i < log.reconnecting->len; i++)
    fail_unless_equals_int (get_uint (g_ptr_array_index (log.reconnecting,
                i), "attempt"), i + 1);
  fail_unless_equals_int (log.reconnected->len, 0);
  fail_unless (log.error->domain == GST_RESOURCE_ERROR);
  if (expected_attempts > 0) {
    gchar *text = g_strdup_printf ("gave up after %u reconnection attempts",
        expected_attempts);

    g_assert_error (log.error, GST_RESOURCE_ERROR,
        GST_RESOURCE_ERROR_OPEN_WRITE);
    fail_unless (strstr (log.error->message, text) != NULL,
        "unexpected error: %s", log.error->message);
    fail_unless (strstr (log.error->message, "refused") != NULL,
        "the last error is missing: %s", log.error->message);
    g_free (text);
  }

  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);
  bus_log_clear (&log);
  flv_headers_clear (&h);
  g_ptr_array_unref (media);
  gst_object_unref (src);
  gst_object_unref (pipeline);
  g_free (description);
}

GST_START_TEST (test_reconnect_exhausted)
{
  lose_server ("reconnect-attempts=3 reconnect-delay-min=100 "
      "reconnect-delay-max=200", 3);
  lose_server ("reconnect=false", 0);
}

GST_END_TEST;

/* The receiver stops reading for 3 s (SIGSTOP), with a small receive
 * buffer so that its kernel does not absorb the stall. Returns the
 * recorded media; @log gets the bus messages, [@stall_start, @stall_end)
 * is the index range of the congestion messages posted during the stall,
 * @media_at_resume what the server had then, @stats the sink's stats
 * before EOS. */
static GPtrArray *
publish_through_stall (const gchar * sink_properties, BusLog * log,
    guint * stall_start, guint * stall_end, guint * media_at_resume,
    GstStructure ** stats)
{
  TestServer *s = server_start_full ("NetStream.Publish.Start", FALSE, 0,
      16 * 1024);
  gchar *properties = g_strdup_printf ("congestion-interval=200 %s",
      sink_properties);
  GstElement *pipeline = live_pipeline (s->port, properties);
  GPtrArray *media;

  bus_log_init (log, pipeline);
  fail_unless (gst_element_set_state (pipeline, GST_STATE_PLAYING) !=
      GST_STATE_CHANGE_FAILURE);
  fail_unless (server_wait_media (s, 90, 20));
  bus_log_run (log, 500);

  *stall_start = log->congestion->len;
  g_subprocess_send_signal (s->process, SIGSTOP);
  bus_log_run (log, 3000);
  *stall_end = log->congestion->len;
  g_mutex_lock (&s->lock);
  *media_at_resume = server_count_media (s);
  g_mutex_unlock (&s->lock);
  g_subprocess_send_signal (s->process, SIGCONT);

  bus_log_run (log, 2500);
  fail_unless (log->error == NULL, "error: %s", log->error->message);
  *stats = sink_stats (pipeline);
  bus_log_finish (log, 20);
  fail_unless (server_wait_closed (s, 5));
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
      GST_STATE_CHANGE_SUCCESS);

  media = server_media (s);
  server_stop (s);
  g_free (properties);
  gst_object_unref (pipeline);
  return media;
}

static guint64
max_queued_ms (BusLog * log, guint from, guint to)
{
  guint64 max = 0;
  guint i;

  for (i = from; i < to; i++)
    max = MAX (max, get_u64 (g_ptr_array_index (log->congestion, i),
            "queued-ms"));
  return max;
}

/* Without a drop policy the backlog grows through the stall, the
 * suggestion drops below the input bitrate, and afterwards everything
 * arrives, in order, decodable. */
GST_START_TEST (test_congestion_stall)
{
  BusLog log;
  guint start, end, at_resume, i, growing = 0;
  guint64 last_ms = 0;
  GPtrArray *media;
  GstStructure *stats, *msg;
  gboolean lowered = FALSE;

  media = publish_through_stall ("", &log, &start, &end, &at_resume, &stats);

  fail_unless (end - start >= 10, "%u congestion messages in 3 s",
      end - start);
  for (i = start; i < end; i++) {
    msg = g_ptr_array_index (log.congestion, i);
    GST_INFO ("stalled: %" GST_PTR_FORMAT, msg);
    if (get_u64 (msg, "queued-ms") > last_ms)
      growing++;
    last_ms = get_u64 (msg, "queued-ms");
    if (get_u64 (msg, "queued-ms") >= 1000)
      lowered |= get_u64 (msg, "suggested-bitrate") <
          get_u64 (msg, "input-bitrate") / 2;
    /* the first one may come before the stall shows */
    if (i > start)
      fail_unless (get_u64 (msg, "queued-bytes") > 0);
  }
  fail_unless (growing >= end - start - 2, "the backlog grew %u times in %u",
      growing, end - start);
  fail_unless (max_queued_ms (&log, start, end) >= 2000,
      "at most %" G_GUINT64_FORMAT " ms queued during a 3 s stall",
      max_queued_ms (&log, start, end));
  fail_unless (lowered, "no lower bitrate suggested");
  /* drained afterwards */
  msg = g_ptr_array_index (log.congestion, log.congestion->len - 1);
  fail_unless (get_u64 (msg, "queued-ms") < 1000,
      "still %" G_GUINT64_FORMAT " ms queued", get_u64 (msg, "queued-ms"));
  fail_unless (get_u64 (msg, "bitrate") > 0);

  fail_unless_equals_int (get_u64 (stats, "dropped-frames"), 0);
  fail_unless (media->len > at_resume + 60, "the stream did not continue");
  for (i = 1; i < media->len; i++)
    fail_unless (((RtmpCoreMessage *) media->pdata[i])->timestamp + 100 >=
        ((RtmpCoreMessage *) media->pdata[i - 1])->timestamp);
  assert_decodes (media);

  gst_structure_free (stats);
  g_ptr_array_unref (media);
  bus_log_clear (&log);
}

GST_END_TEST;

/* With max-latency=500 the backlog stays within the bound plus one GOP,
 * frames are dropped, and what arrives still decodes without an error. */
GST_START_TEST (test_congestion_max_latency)
{
  BusLog log;
  guint start, end, at_resume, i;
  GPtrArray *media;
  GstStructure *stats, *msg;
  guint64 dropped;

  media = publish_through_stall ("max-latency=500", &log, &start, &end,
      &at_resume, &stats);

  fail_unless (end - start >= 10);
  for (i = 0; i < log.congestion->len; i++) {
    msg = g_ptr_array_index (log.congestion, i);
    GST_INFO ("%s: %" GST_PTR_FORMAT, i >= start && i < end ? "stalled" :
        "flowing", msg);
  }
  fail_unless (max_queued_ms (&log, 0, log.congestion->len) <=
      500 + GOP_MS + 250, "%" G_GUINT64_FORMAT " ms queued with "
      "max-latency=500", max_queued_ms (&log, 0, log.congestion->len));
  fail_unless (max_queued_ms (&log, start, end) >= 400,
      "the stall left no trace: %" G_GUINT64_FORMAT " ms",
      max_queued_ms (&log, start, end));

  /* while dropping, the suggestion stays below the input */
  for (i = start + 5; i < end; i++) {
    msg = g_ptr_array_index (log.congestion, i);
    fail_unless (get_u64 (msg, "suggested-bitrate") <
        get_u64 (msg, "input-bitrate"), "%" GST_PTR_FORMAT, msg);
  }

  dropped = get_u64 (stats, "dropped-frames");
  fail_unless (dropped > 0, "nothing dropped");
  msg = g_ptr_array_index (log.congestion, log.congestion->len - 1);
  fail_unless (get_u64 (msg, "dropped-frames") >= dropped);
  fail_unless (media->len > at_resume + 60, "the stream did not continue");
  assert_decodes (media);

  gst_structure_free (stats);
  g_ptr_array_unref (media);
  bus_log_clear (&log);
}

GST_END_TEST;

static Suite *
rtmpsink2_suite (void)
{
  Suite *s = suite_create ("rtmpsink2");
  TCase *props = tcase_create ("properties");
  TCase *errors = tcase_create ("errors");
  TCase *publish = tcase_create ("publish");
  TCase *peers = tcase_create ("peers");
  TCase *live = tcase_create ("live");

  suite_add_tcase (s, props);
  tcase_add_test (props, test_property_defaults);
  tcase_add_test (props, test_property_round_trip);
  tcase_add_test (props, test_location_parsing);
  tcase_add_test (props, test_uri_handler);

  suite_add_tcase (s, errors);
  tcase_set_timeout (errors, 60);
  tcase_add_test (errors, test_refused);
  tcase_add_test (errors, test_no_server_reply);
  tcase_add_test (errors, test_eos_without_data);
  tcase_add_test (errors, test_stop_while_connecting);
  tcase_add_test (errors, test_dns_failure);
  tcase_add_test (errors, test_publish_rejected);
  tcase_add_test (errors, test_connect_unauthorized);

  suite_add_tcase (s, publish);
  tcase_set_timeout (publish, 60);
  tcase_add_test (publish, test_publish_flvmux_style);
  tcase_add_test (publish, test_stop_commands);

  suite_add_tcase (s, peers);
  tcase_set_timeout (peers, 120);
  tcase_add_test (peers, test_ffmpeg_unaligned_file);
  tcase_add_test (peers, test_nginx_flvmux);

  suite_add_tcase (s, live);
  tcase_set_timeout (live, 60);
  tcase_add_test (live, test_reconnect);
  tcase_add_test (live, test_reconnect_buffering_live);
  tcase_add_test (live, test_reconnect_buffering_file);
  tcase_add_test (live, test_reconnect_exhausted);
  tcase_add_test (live, test_congestion_stall);
  tcase_add_test (live, test_congestion_max_latency);
  return s;
}

int
main (int argc, char **argv)
{
  gchar *ffmpeg;

  if (argc == 6 && g_str_equal (argv[1], "--test-server"))
    return test_server_main (argv[2], g_str_equal (argv[3], "reject"),
        atoi (argv[4]), atoi (argv[5]));

  test_binary = argv[0];
  gst_check_init (&argc, &argv);
  ffmpeg = g_find_program_in_path ("ffmpeg");
  if (ffmpeg == NULL) {
    g_print ("SKIP: ffmpeg is not installed; the publish tests need it\n");
    return 77;
  }
  g_free (ffmpeg);
  gst_registry_scan_path (gst_registry_get (), PLUGIN_PATH);
  return gst_check_run_suite (rtmpsink2_suite (), "rtmpsink2", __FILE__);
}
