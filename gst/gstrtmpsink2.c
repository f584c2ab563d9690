/**
 * SECTION:element-rtmpsink2
 * @title: rtmpsink2
 *
 * Publishes an FLV stream to an RTMP server (nginx-rtmp, SRS, MediaMTX,
 * YouTube, Twitch, ffmpeg -listen, rtmpserversrc...) with librtmpcore.
 *
 * The input is any FLV byte stream: tag-aligned buffers from flvmux (whose
 * caps `streamheader` is sent once before the first media tag, while the
 * in-band copies of those header buffers are skipped), or arbitrary chunks
 * of an FLV file: the element parses the tags itself. Each tag becomes one
 * RTMP message with the tag's timestamp; payloads are not copied.
 *
 * On EOS everything still queued is written, then the #rtmpsink2:stop-commands,
 * then the socket is half-closed and the element waits (at most
 * #rtmpsink2:timeout seconds) for the server to close, so that no tag at
 * the tail is lost.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! h264parse ! flvmux streamable=true name=m ! rtmpsink2 location=rtmp://localhost/live/key  audiotestsrc is-live=true ! avenc_aac ! m.
 * ]| Encodes test video and audio and publishes them live as stream "key"
 * of application "live".
 * |[
 * gst-launch-1.0 filesrc location=movie.flv ! rtmpsink2 location=rtmps://live.example.com/app/key sync=false
 * ]| Publishes an FLV file over TLS as fast as the network allows.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmpsink2.h"
#include "gstrtmplocation.h"
#include "gstrtmputils.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_sink2_debug_category);
#define GST_CAT_DEFAULT gst_rtmp_sink2_debug_category

#define DEFAULT_CHUNK_SIZE 4096
#define DEFAULT_STOP_COMMANDS (GST_RTMP_CORE_STOP_COMMANDS_FCUNPUBLISH | \
    GST_RTMP_CORE_STOP_COMMANDS_DELETE_STREAM)
#define DEFAULT_ASYNC_CONNECT TRUE

/* Bytes of parsed tags handed to the I/O thread but not yet accepted by
 * the connection's own queue; render() blocks above this. */
#define PENDING_LIMIT (256 * 1024)

/* chunk streams for commands, as librtmpcore's client uses them */
#define CONTROL_CHUNK_STREAM 3
#define STREAM_CHUNK_STREAM 8

#define STATS_INTERVAL_MS 1000
#define PING_INTERVAL_S 5

typedef enum
{
  CONN_IDLE,                    /* no connection attempt yet */
  CONN_CONNECTING,              /* connect and publish in progress */
  CONN_PUBLISHING,
  CONN_STOPPING,                /* the EOS sequence is running */
  CONN_STOPPED,                 /* the EOS sequence is over */
  CONN_FAILED,                  /* an error was posted */
} ConnState;

/* Steps of the EOS sequence, in the I/O thread. */
typedef enum
{
  STOP_NONE,
  STOP_DRAINING,                /* moving the pending tags to the connection */
  STOP_FLUSHING,                /* waiting for the connection to write all */
  STOP_HALF_CLOSED,             /* waiting for the server to close */
} StopPhase;

struct _GstRtmpSink2
{
  GstBaseSink parent;

  /* properties, under the object lock */
  GstRtmpCoreLocation location;
  guint chunk_size;
  GstRtmpCoreStopCommands stop_commands;
  gboolean async_connect;
  gchar **fourcc_list;

  /* the I/O thread and its context; set in start(), cleared in stop() */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  /* shared between the streaming and the I/O thread, under lock */
  GMutex lock;
  GCond cond;
  ConnState state;
  gboolean flushing;
  GQueue pending;               /* RtmpCoreMessage, in order */
  gsize pending_bytes;
  gboolean pump_scheduled;
  /* borrowed from the client, readable here for stats only while set */
  RtmpCoreConnection *conn;
  guint64 bitrate;

  /* I/O thread only */
  RtmpCoreClient *client;
  GstRtmpCoreLocation io_location;
  GstRtmpCoreStopCommands io_stop_commands;
  gchar *masked_location;
  GCancellable *cancellable;
  gulong drained_id;
  gulong closed_id;
  gboolean waiting_drain;
  gboolean shutting_down;
  StopPhase stop_phase;
  GSource *stats_source;
  GSource *stop_timeout_source;
  guint64 last_bytes_out;
  gint64 last_sample_time;
  gint64 last_progress_time;
  gint64 last_ping_time;
  GSList *watched;               /* client and connection, until finalized */

  /* streaming thread only */
  RtmpCoreFlvParser *parser;
  GPtrArray *headers;           /* GstBuffer from the caps streamheader */
  gboolean headers_sent;
};

enum
{
  PROP_0,
  PROP_CHUNK_SIZE,
  PROP_STOP_COMMANDS,
  PROP_ASYNC_CONNECT,
  PROP_FOURCC_LIST,
  PROP_STATS,
  PROP_LOCATION_FIRST,
};

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmp_sink2_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstRtmpSink2, gst_rtmp_sink2, GST_TYPE_BASE_SINK,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_rtmp_sink2_uri_handler_init));
GST_ELEMENT_REGISTER_DEFINE (rtmpsink2, "rtmpsink2", GST_RANK_NONE,
    GST_TYPE_RTMP_SINK2);

GType
gst_rtmp_core_stop_commands_get_type (void)
{
  static GType type = 0;
  static const GFlagsValue values[] = {
    {GST_RTMP_CORE_STOP_COMMANDS_NONE, "No command", "none"},
    {GST_RTMP_CORE_STOP_COMMANDS_FCUNPUBLISH, "FCUnpublish", "fcunpublish"},
    {GST_RTMP_CORE_STOP_COMMANDS_CLOSE_STREAM, "closeStream", "closestream"},
    {GST_RTMP_CORE_STOP_COMMANDS_DELETE_STREAM, "deleteStream",
        "deletestream"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_flags_register_static ("GstRtmpCoreStopCommands", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

/* ------------------------------------------------------------------ */
/* I/O thread                                                          */
/* ------------------------------------------------------------------ */

static void io_pump (GstRtmpSink2 * self);

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static void
set_state_locked (GstRtmpSink2 * self, ConnState state)
{
  self->state = state;
  g_cond_broadcast (&self->cond);
}

static void
set_state (GstRtmpSink2 * self, ConnState state)
{
  g_mutex_lock (&self->lock);
  set_state_locked (self, state);
  g_mutex_unlock (&self->lock);
}

static void
watched_object_gone (gpointer data, GObject * where_the_object_was)
{
  GstRtmpSink2 *self = data;

  self->watched = g_slist_remove (self->watched, where_the_object_was);
}

static void
watch_object (GstRtmpSink2 * self, gpointer object)
{
  if (g_slist_find (self->watched, object))
    return;
  g_object_weak_ref (object, watched_object_gone, self);
  self->watched = g_slist_prepend (self->watched, object);
}

static void
unwatch_all (GstRtmpSink2 * self)
{
  GSList *l;

  for (l = self->watched; l; l = l->next)
    g_object_weak_unref (l->data, watched_object_gone, self);
  g_clear_pointer (&self->watched, g_slist_free);
}

/* Drops the client; its connection closes (dropping anything unsent) if
 * it is still open. */
static void
io_release_client (GstRtmpSink2 * self)
{
  RtmpCoreConnection *conn;

  destroy_source (&self->stats_source);
  destroy_source (&self->stop_timeout_source);
  self->stop_phase = STOP_NONE;
  self->waiting_drain = FALSE;

  g_mutex_lock (&self->lock);
  conn = self->conn;
  self->conn = NULL;
  g_mutex_unlock (&self->lock);

  if (conn) {
    g_clear_signal_handler (&self->drained_id, conn);
    g_clear_signal_handler (&self->closed_id, conn);
    if (!rtmp_core_connection_is_closed (conn))
      rtmp_core_connection_close (conn, NULL);
  }
  if (self->client) {
    conn = rtmp_core_client_get_connection (self->client);
    if (conn)
      watch_object (self, conn);
    watch_object (self, self->client);
  }
  g_clear_object (&self->client);
}

/* Posts @error (taken) as the element's error, unless the element is
 * shutting down anyway, and gives up the connection. */
static void
io_fail (GstRtmpSink2 * self, GError * error)
{
  if (self->shutting_down) {
    GST_DEBUG_OBJECT (self, "ignoring an error while shutting down: %s",
        error->message);
    g_error_free (error);
    return;
  }

  GST_DEBUG_OBJECT (self, "failed: %s", error->message);
  io_release_client (self);
  /* posted before render() returns an error, so that it is the first
   * error on the bus, not upstream's "internal data stream error" */
  gst_rtmp_post_error (GST_ELEMENT (self), error, TRUE,
      self->masked_location);
  g_error_free (error);
  set_state (self, CONN_FAILED);
}

static void
io_finish_stop (GstRtmpSink2 * self)
{
  GST_DEBUG_OBJECT (self, "publish of %s ended", self->masked_location);
  io_release_client (self);
  set_state (self, CONN_STOPPED);
}

static gboolean
io_stop_timed_out (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  /* everything was written: a server that keeps the connection open after
   * our half-close loses nothing by being closed on */
  GST_DEBUG_OBJECT (self, "the server did not close within %u s, closing",
      self->io_location.timeout);
  g_clear_pointer (&self->stop_timeout_source, g_source_unref);
  io_finish_stop (self);
  return G_SOURCE_REMOVE;
}

static GSocket *
stream_socket (GIOStream * stream)
{
  GIOStream *base = NULL;
  GSocket *socket = NULL;

  if (G_IS_SOCKET_CONNECTION (stream))
    return g_object_ref (g_socket_connection_get_socket
        (G_SOCKET_CONNECTION (stream)));
  if (G_IS_TLS_CONNECTION (stream)) {
    g_object_get (stream, "base-io-stream", &base, NULL);
    if (G_IS_SOCKET_CONNECTION (base))
      socket = g_object_ref (g_socket_connection_get_socket
          (G_SOCKET_CONNECTION (base)));
    g_clear_object (&base);
  }
  return socket;
}

/* Everything is written: half-close, so the server reads every byte up to
 * our FIN and then closes on its side. Closing outright while the server
 * still has data for us would make our kernel answer with a reset, and a
 * reset makes the server's kernel drop whatever it has not read yet. */
static void
io_flushed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  GError *error = NULL;
  GSocket *socket;

  if (!rtmp_core_connection_flush_finish (RTMP_CORE_CONNECTION (source),
          result, &error)) {
    if (self->stop_phase == STOP_FLUSHING)
      io_fail (self, error);
    else
      g_error_free (error);
    return;
  }
  if (self->stop_phase != STOP_FLUSHING)
    return;

  GST_DEBUG_OBJECT (self, "everything written, half-closing");
  socket = stream_socket (rtmp_core_connection_get_stream (self->conn));
  if (socket == NULL || !g_socket_shutdown (socket, FALSE, TRUE, &error)) {
    GST_DEBUG_OBJECT (self, "cannot half-close (%s), closing",
        error ? error->message : "not a socket");
    g_clear_error (&error);
    g_clear_object (&socket);
    io_finish_stop (self);
    return;
  }
  g_object_unref (socket);

  self->stop_phase = STOP_HALF_CLOSED;
  self->stop_timeout_source =
      g_timeout_source_new ((guint64) self->io_location.timeout * 1000);
  g_source_set_callback (self->stop_timeout_source, io_stop_timed_out, self,
      NULL);
  g_source_attach (self->stop_timeout_source, self->context);
}

static gboolean
io_queue_command (GstRtmpSink2 * self, RtmpCoreCommand * cmd,
    guint32 chunk_stream_id, guint32 stream_id, GError ** error)
{
  RtmpCoreMessage *msg = rtmp_core_command_to_message (cmd, chunk_stream_id,
      stream_id);
  gboolean ok;

  GST_DEBUG_OBJECT (self, "sending %s", rtmp_core_command_get_name (cmd));
  ok = rtmp_core_connection_queue_message (self->conn, msg, error);
  rtmp_core_message_unref (msg);
  rtmp_core_command_unref (cmd);
  return ok;
}

/* Queues the stop commands (transaction id 0: no answer is awaited) in the
 * order rtmp2sink and OBS send them. */
static gboolean
io_send_stop_commands (GstRtmpSink2 * self, GError ** error)
{
  guint32 stream_id = rtmp_core_client_get_stream_id (self->client);
  const gchar *stream = self->io_location.stream;
  RtmpCoreCommand *cmd;

  if (self->io_stop_commands & GST_RTMP_CORE_STOP_COMMANDS_FCUNPUBLISH) {
    cmd = rtmp_core_command_new ("FCUnpublish", 0, NULL);
    rtmp_core_command_take_argument (cmd,
        rtmp_core_amf_value_new_string (stream ? stream : ""));
    if (!io_queue_command (self, cmd, CONTROL_CHUNK_STREAM, 0, error))
      return FALSE;
  }
  if (self->io_stop_commands & GST_RTMP_CORE_STOP_COMMANDS_CLOSE_STREAM) {
    cmd = rtmp_core_command_new ("closeStream", 0, NULL);
    if (!io_queue_command (self, cmd, STREAM_CHUNK_STREAM, stream_id, error))
      return FALSE;
  }
  if (self->io_stop_commands & GST_RTMP_CORE_STOP_COMMANDS_DELETE_STREAM) {
    cmd = rtmp_core_command_new ("deleteStream", 0, NULL);
    rtmp_core_command_take_argument (cmd,
        rtmp_core_amf_value_new_number (stream_id));
    if (!io_queue_command (self, cmd, CONTROL_CHUNK_STREAM, 0, error))
      return FALSE;
  }
  return TRUE;
}

/* Called whenever the pump ran: once every pending tag is in the
 * connection's queue, the stop sequence goes on. */
static void
io_maybe_continue_stop (GstRtmpSink2 * self)
{
  GError *error = NULL;
  gboolean empty;

  if (self->stop_phase != STOP_DRAINING || self->waiting_drain)
    return;
  g_mutex_lock (&self->lock);
  empty = g_queue_is_empty (&self->pending);
  g_mutex_unlock (&self->lock);
  if (!empty)
    return;

  if (!io_send_stop_commands (self, &error)) {
    io_fail (self, error);
    return;
  }
  self->stop_phase = STOP_FLUSHING;
  self->last_progress_time = g_get_monotonic_time ();
  rtmp_core_connection_flush_async (self->conn, self->cancellable,
      io_flushed, self);
}

/* Moves pending tags into the connection's queue until it is full. */
static void
io_pump (GstRtmpSink2 * self)
{
  GError *error = NULL;

  while (self->client && !self->waiting_drain) {
    RtmpCoreMessage *msg;
    gsize size;

    g_mutex_lock (&self->lock);
    msg = g_queue_pop_head (&self->pending);
    g_mutex_unlock (&self->lock);
    if (msg == NULL)
      break;

    size = rtmp_core_message_get_size (msg);
    if (!rtmp_core_client_send_media (self->client, msg, &error)) {
      if (g_error_matches (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_QUEUE_FULL)) {
        g_clear_error (&error);
        g_mutex_lock (&self->lock);
        g_queue_push_head (&self->pending, msg);
        g_mutex_unlock (&self->lock);
        self->waiting_drain = TRUE;
        break;
      }
      rtmp_core_message_unref (msg);
      io_fail (self, error);
      return;
    }
    rtmp_core_message_unref (msg);

    g_mutex_lock (&self->lock);
    self->pending_bytes -= size;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  io_maybe_continue_stop (self);
}

static gboolean
io_pump_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  g_mutex_lock (&self->lock);
  self->pump_scheduled = FALSE;
  g_mutex_unlock (&self->lock);
  io_pump (self);
  return G_SOURCE_REMOVE;
}

static void
on_queue_drained (RtmpCoreConnection * conn, gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  self->waiting_drain = FALSE;
  io_pump (self);
}

static void
on_closed (RtmpCoreConnection * conn, const GError * error,
    gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  switch (self->stop_phase) {
    case STOP_HALF_CLOSED:
      GST_DEBUG_OBJECT (self, "the server closed after our half-close");
      io_finish_stop (self);
      break;
    case STOP_FLUSHING:
      /* the failing flush reports it */
      break;
    default:
      io_fail (self, error ? g_error_copy (error) :
          g_error_new_literal (RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
              "The connection was closed"));
      break;
  }
}

/* Once a second: the bitrate for the stats, a ping now and then for the
 * round trip time, and the stall check of the final flush. */
static gboolean
io_stats_tick (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 bytes_out = 0;
  gint64 elapsed = now - self->last_sample_time;

  g_object_get (self->conn, "bytes-out", &bytes_out, NULL);
  if (bytes_out != self->last_bytes_out)
    self->last_progress_time = now;

  g_mutex_lock (&self->lock);
  if (elapsed > 0)
    self->bitrate = (bytes_out - self->last_bytes_out) * 8 * G_USEC_PER_SEC /
        elapsed;
  g_mutex_unlock (&self->lock);
  self->last_bytes_out = bytes_out;
  self->last_sample_time = now;

  if (self->stop_phase == STOP_NONE &&
      now - self->last_ping_time >= PING_INTERVAL_S * G_USEC_PER_SEC) {
    rtmp_core_connection_ping (self->conn);
    self->last_ping_time = now;
  }

  if (self->stop_phase == STOP_FLUSHING &&
      now - self->last_progress_time >=
      (gint64) self->io_location.timeout * G_USEC_PER_SEC) {
    g_clear_pointer (&self->stats_source, g_source_unref);
    io_fail (self, g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT,
            "The server accepted nothing for %u s: the end of the stream "
            "(%" G_GSIZE_FORMAT " bytes) could not be sent",
            self->io_location.timeout,
            rtmp_core_connection_get_queued_bytes (self->conn)));
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
io_published (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  GError *error = NULL;
  RtmpCoreConnection *conn;

  if (!rtmp_core_client_publish_finish (RTMP_CORE_CLIENT (source), result,
          &error)) {
    io_fail (self, error);
    return;
  }
  if (self->shutting_down || self->client == NULL)
    return;

  GST_INFO_OBJECT (self, "publishing to %s", self->masked_location);
  conn = rtmp_core_client_get_connection (self->client);
  self->drained_id = g_signal_connect (conn, "queue-drained",
      G_CALLBACK (on_queue_drained), self);
  self->closed_id = g_signal_connect (conn, "closed", G_CALLBACK (on_closed),
      self);

  self->last_sample_time = self->last_progress_time =
      self->last_ping_time = g_get_monotonic_time ();
  self->last_bytes_out = 0;
  rtmp_core_connection_ping (conn);
  self->stats_source = g_timeout_source_new (STATS_INTERVAL_MS);
  g_source_set_callback (self->stats_source, io_stats_tick, self, NULL);
  g_source_attach (self->stats_source, self->context);

  g_mutex_lock (&self->lock);
  self->conn = conn;
  if (self->state == CONN_CONNECTING)
    set_state_locked (self, CONN_PUBLISHING);
  g_mutex_unlock (&self->lock);

  io_pump (self);
}

static void
io_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_connect_finish (RTMP_CORE_CLIENT (source), result,
          &error)) {
    io_fail (self, error);
    return;
  }
  if (self->shutting_down || self->client == NULL)
    return;
  GST_DEBUG_OBJECT (self, "connected to %s", self->masked_location);
  rtmp_core_client_publish_async (self->client, self->cancellable,
      io_published, self);
}

static gboolean
io_connect_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  RtmpCoreUrl *url;
  GError *error = NULL;
  guint chunk_size;
  gchar **fourcc_list;

  GST_OBJECT_LOCK (self);
  gst_rtmp_core_location_clear (&self->io_location);
  gst_rtmp_core_location_copy (&self->io_location, &self->location);
  chunk_size = self->chunk_size;
  fourcc_list = g_strdupv (self->fourcc_list);
  GST_OBJECT_UNLOCK (self);

  g_free (self->masked_location);
  self->masked_location =
      gst_rtmp_core_location_get_masked_uri (&self->io_location);

  url = gst_rtmp_core_location_to_url (&self->io_location, &error);
  if (url != NULL && (self->io_location.stream == NULL ||
          *self->io_location.stream == '\0')) {
    g_set_error_literal (&error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "No stream name is set");
    g_clear_pointer (&url, rtmp_core_url_free);
  }
  if (url == NULL) {
    g_strfreev (fourcc_list);
    io_fail (self, error);
    return G_SOURCE_REMOVE;
  }

  GST_INFO_OBJECT (self, "connecting to %s", self->masked_location);
  self->client = rtmp_core_client_new (url);
  rtmp_core_url_free (url);
  gst_rtmp_core_location_configure_client (&self->io_location, self->client);
  g_object_set (self->client, "chunk-size", chunk_size, "fourcc-list",
      fourcc_list, NULL);
  g_strfreev (fourcc_list);

  rtmp_core_client_connect_async (self->client, self->cancellable,
      io_connected, self);
  return G_SOURCE_REMOVE;
}

static gboolean
io_stop_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  if (self->client == NULL || self->stop_phase != STOP_NONE)
    return G_SOURCE_REMOVE;

  GST_OBJECT_LOCK (self);
  self->io_stop_commands = self->stop_commands;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "EOS: sending the tail");
  self->stop_phase = STOP_DRAINING;
  io_pump (self);
  return G_SOURCE_REMOVE;
}

static gboolean
io_shutdown_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  self->shutting_down = TRUE;
  g_cancellable_cancel (self->cancellable);
  io_release_client (self);
  g_main_loop_quit (self->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
quit_loop_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

static gpointer
io_thread_func (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  gint64 deadline;
  GSource *tick;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);

  /* Cancelled operations and the closing stream still hold the client and
   * the connection: let them complete so nothing leaks, for a while. */
  deadline = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
  tick = g_timeout_source_new (50);
  g_source_set_callback (tick, quit_loop_cb, self->loop, NULL);
  g_source_attach (tick, self->context);
  while (self->watched && g_get_monotonic_time () < deadline)
    g_main_loop_run (self->loop);
  if (self->watched) {
    GST_WARNING_OBJECT (self, "%u connection objects still busy after 2 s",
        g_slist_length (self->watched));
    unwatch_all (self);
  }
  g_source_destroy (tick);
  g_source_unref (tick);

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

/* Runs @func in the I/O thread. */
static void
io_invoke (GstRtmpSink2 * self, GSourceFunc func)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  g_source_unref (source);
}

/* ------------------------------------------------------------------ */
/* streaming thread                                                    */
/* ------------------------------------------------------------------ */

/* Starts connecting if nobody did yet, then waits until publishing. */
static GstFlowReturn
wait_publishing (GstRtmpSink2 * self)
{
  GstFlowReturn ret = GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  if (self->state == CONN_IDLE) {
    set_state_locked (self, CONN_CONNECTING);
    io_invoke (self, io_connect_cb);
  }
  while (!self->flushing && self->state == CONN_CONNECTING)
    g_cond_wait (&self->cond, &self->lock);

  if (self->flushing)
    ret = GST_FLOW_FLUSHING;
  else if (self->state == CONN_FAILED)
    ret = GST_FLOW_ERROR;
  else if (self->state != CONN_PUBLISHING)
    ret = GST_FLOW_EOS;
  g_mutex_unlock (&self->lock);
  return ret;
}

/* Hands parsed tags to the I/O thread, after waiting for room. */
static GstFlowReturn
queue_messages (GstRtmpSink2 * self, GPtrArray * messages)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  if (messages->len == 0)
    return GST_FLOW_OK;

  g_mutex_lock (&self->lock);
  while (!self->flushing && self->state == CONN_PUBLISHING &&
      self->pending_bytes >= PENDING_LIMIT)
    g_cond_wait (&self->cond, &self->lock);

  if (self->flushing) {
    ret = GST_FLOW_FLUSHING;
  } else if (self->state != CONN_PUBLISHING) {
    ret = self->state == CONN_FAILED ? GST_FLOW_ERROR : GST_FLOW_EOS;
  } else {
    for (i = 0; i < messages->len; i++) {
      RtmpCoreMessage *msg = g_ptr_array_index (messages, i);

      self->pending_bytes += rtmp_core_message_get_size (msg);
      g_queue_push_tail (&self->pending, rtmp_core_message_ref (msg));
    }
    if (!self->pump_scheduled) {
      self->pump_scheduled = TRUE;
      io_invoke (self, io_pump_cb);
    }
  }
  g_mutex_unlock (&self->lock);
  return ret;
}

typedef struct
{
  GstBuffer *buffer;
  GstMapInfo map;
} BufferMapping;

static void
buffer_mapping_free (gpointer data)
{
  BufferMapping *m = data;

  gst_buffer_unmap (m->buffer, &m->map);
  gst_buffer_unref (m->buffer);
  g_free (m);
}

/* Parses @buffer's bytes into tags and queues them. The tags share the
 * buffer's memory: it stays mapped until the last one is written.
 *
 * Tag timestamps go out unchanged: FLV and RTMP timestamps are both 32-bit
 * milliseconds, so when flvmux's wrap after 49.7 days the wire value wraps
 * with them and receivers unwrap it by serial-number arithmetic. Composition
 * time offsets live inside the video payload and are not touched. */
static GstFlowReturn
send_buffer (GstRtmpSink2 * self, GstBuffer * buffer)
{
  BufferMapping *m = g_new0 (BufferMapping, 1);
  GError *error = NULL;
  GPtrArray *messages;
  GBytes *bytes;
  GstFlowReturn ret;

  if (!gst_buffer_map (buffer, &m->map, GST_MAP_READ)) {
    g_free (m);
    GST_ELEMENT_ERROR (self, RESOURCE, READ, ("Could not map a buffer"),
        (NULL));
    return GST_FLOW_ERROR;
  }
  m->buffer = gst_buffer_ref (buffer);
  bytes = g_bytes_new_with_free_func (m->map.data, m->map.size,
      buffer_mapping_free, m);

  messages = rtmp_core_flv_parser_feed_bytes (self->parser, bytes, &error);
  g_bytes_unref (bytes);
  if (messages == NULL) {
    GST_ELEMENT_ERROR (self, STREAM, DECODE, ("The input is not valid FLV"),
        ("%s", error->message));
    g_error_free (error);
    return GST_FLOW_ERROR;
  }
  g_ptr_array_set_free_func (messages,
      (GDestroyNotify) rtmp_core_message_unref);
  GST_LOG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes gave %u tags",
      gst_buffer_get_size (buffer), messages->len);
  ret = queue_messages (self, messages);
  g_ptr_array_unref (messages);
  return ret;
}

static gboolean
is_flv_file_header (GstBuffer * buffer)
{
  return gst_buffer_get_size (buffer) >= 3 &&
      gst_buffer_memcmp (buffer, 0, "FLV", 3) == 0;
}

/* Sends the caps streamheader (metadata and codec configuration) once,
 * before the first media tag. */
static GstFlowReturn
send_headers (GstRtmpSink2 * self)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint i;

  self->headers_sent = TRUE;
  if (self->headers == NULL)
    return GST_FLOW_OK;

  for (i = 0; i < self->headers->len && ret == GST_FLOW_OK; i++) {
    GstBuffer *header = g_ptr_array_index (self->headers, i);

    /* a second file header in the middle of the byte stream would not
     * parse as a tag */
    if (is_flv_file_header (header) &&
        rtmp_core_flv_parser_get_header (self->parser, NULL))
      continue;
    ret = send_buffer (self, header);
  }
  return ret;
}

static gboolean
is_known_header (GstRtmpSink2 * self, GstBuffer * buffer)
{
  gsize size = gst_buffer_get_size (buffer);
  guint i;

  if (self->headers == NULL)
    return FALSE;
  for (i = 0; i < self->headers->len; i++) {
    GstBuffer *header = g_ptr_array_index (self->headers, i);
    GstMapInfo map;
    gboolean same;

    if (header == buffer)
      return TRUE;
    if (gst_buffer_get_size (header) != size ||
        !gst_buffer_map (header, &map, GST_MAP_READ))
      continue;
    same = gst_buffer_memcmp (buffer, 0, map.data, map.size) == 0;
    gst_buffer_unmap (header, &map);
    if (same)
      return TRUE;
  }
  return FALSE;
}

static GstFlowReturn
gst_rtmp_sink2_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);
  GstFlowReturn ret;

  ret = wait_publishing (self);
  if (ret != GST_FLOW_OK)
    return ret;

  if (!self->headers_sent) {
    ret = send_headers (self);
    if (ret != GST_FLOW_OK)
      return ret;
  }
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER) &&
      is_known_header (self, buffer)) {
    GST_LOG_OBJECT (self, "skipping an in-band copy of a caps header");
    return GST_FLOW_OK;
  }
  return send_buffer (self, buffer);
}

static void
clear_headers (GstRtmpSink2 * self)
{
  g_clear_pointer (&self->headers, g_ptr_array_unref);
}

static gboolean
gst_rtmp_sink2_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const GValue *streamheader = gst_structure_get_value (s, "streamheader");
  guint i, n;

  clear_headers (self);
  self->headers_sent = FALSE;
  if (streamheader == NULL || !GST_VALUE_HOLDS_ARRAY (streamheader))
    return TRUE;

  n = gst_value_array_get_size (streamheader);
  self->headers = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_buffer_unref);
  for (i = 0; i < n; i++) {
    const GValue *v = gst_value_array_get_value (streamheader, i);

    if (GST_VALUE_HOLDS_BUFFER (v))
      g_ptr_array_add (self->headers, gst_buffer_ref (gst_value_get_buffer
              (v)));
  }
  GST_DEBUG_OBJECT (self, "%u streamheader buffers", self->headers->len);
  return TRUE;
}

/* EOS: waits until the I/O thread has sent the tail, the stop commands
 * and closed; each step is bounded by the timeout there. */
static gboolean
handle_eos (GstRtmpSink2 * self)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (!self->flushing && self->state == CONN_CONNECTING)
    g_cond_wait (&self->cond, &self->lock);
  if (!self->flushing && self->state == CONN_PUBLISHING) {
    set_state_locked (self, CONN_STOPPING);
    io_invoke (self, io_stop_cb);
    while (!self->flushing && self->state == CONN_STOPPING)
      g_cond_wait (&self->cond, &self->lock);
  } else if (self->state == CONN_IDLE) {
    set_state_locked (self, CONN_STOPPED);
  }
  ok = self->flushing || self->state != CONN_FAILED;
  g_mutex_unlock (&self->lock);
  return ok;
}

static gboolean
gst_rtmp_sink2_event (GstBaseSink * sink, GstEvent * event)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_EOS:
      if (!handle_eos (self)) {
        /* the error is already on the bus */
        gst_event_unref (event);
        return FALSE;
      }
      break;
    case GST_EVENT_FLUSH_STOP:
      /* the bytes after a flush do not continue the old ones */
      rtmp_core_flv_parser_unref (self->parser);
      self->parser = rtmp_core_flv_parser_new ();
      break;
    default:
      break;
  }
  return GST_BASE_SINK_CLASS (gst_rtmp_sink2_parent_class)->event (sink,
      event);
}

static gboolean
gst_rtmp_sink2_unlock (GstBaseSink * sink)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmp_sink2_unlock_stop (GstBaseSink * sink)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmp_sink2_start (GstBaseSink * sink)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);
  gboolean async_connect;

  self->parser = rtmp_core_flv_parser_new ();
  self->headers_sent = FALSE;
  self->shutting_down = FALSE;
  self->stop_phase = STOP_NONE;
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);

  g_mutex_lock (&self->lock);
  self->state = CONN_IDLE;
  self->flushing = FALSE;
  self->bitrate = 0;
  g_mutex_unlock (&self->lock);

  self->thread = g_thread_new ("rtmpsink2-io", io_thread_func, self);

  GST_OBJECT_LOCK (self);
  async_connect = self->async_connect;
  GST_OBJECT_UNLOCK (self);
  if (async_connect) {
    g_mutex_lock (&self->lock);
    set_state_locked (self, CONN_CONNECTING);
    io_invoke (self, io_connect_cb);
    g_mutex_unlock (&self->lock);
  }
  return TRUE;
}

static gboolean
gst_rtmp_sink2_stop (GstBaseSink * sink)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);

  io_invoke (self, io_shutdown_cb);
  g_thread_join (self->thread);
  self->thread = NULL;
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);

  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->pending,
      (GDestroyNotify) rtmp_core_message_unref);
  self->pending_bytes = 0;
  self->pump_scheduled = FALSE;
  self->state = CONN_IDLE;
  g_mutex_unlock (&self->lock);

  g_clear_pointer (&self->parser, rtmp_core_flv_parser_unref);
  clear_headers (self);
  gst_rtmp_core_location_clear (&self->io_location);
  g_clear_pointer (&self->masked_location, g_free);
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* properties                                                          */
/* ------------------------------------------------------------------ */

static GstStructure *
make_stats (GstRtmpSink2 * self)
{
  GstStructure *s;
  GVariant *stats = NULL;
  guint64 bytes_out = 0, bytes_acked = 0, queued = 0;
  guint32 chunk_size = 0;
  gint64 rtt_us = -1;

  g_mutex_lock (&self->lock);
  if (self->conn) {
    stats = g_variant_ref_sink (rtmp_core_connection_get_stats (self->conn));
    g_variant_lookup (stats, "bytes-out", "t", &bytes_out);
    g_variant_lookup (stats, "bytes-acked", "t", &bytes_acked);
    g_variant_lookup (stats, "queued-bytes", "t", &queued);
    g_variant_lookup (stats, "out-chunk-size", "u", &chunk_size);
    g_variant_lookup (stats, "rtt-us", "x", &rtt_us);
    g_variant_unref (stats);
  }
  s = gst_structure_new ("application/x-rtmpsink2-stats",
      "bytes-sent", G_TYPE_UINT64, bytes_out,
      "bytes-acked", G_TYPE_UINT64, bytes_acked,
      "bitrate", G_TYPE_UINT64, self->conn ? self->bitrate : (guint64) 0,
      "rtt", G_TYPE_UINT64, rtt_us >= 0 ?
      (guint64) rtt_us * GST_USECOND : GST_CLOCK_TIME_NONE,
      "queue-bytes", G_TYPE_UINT64, queued + self->pending_bytes,
      "chunk-size", G_TYPE_UINT, chunk_size,
      "reconnects", G_TYPE_UINT, 0,
      "dropped-frames", G_TYPE_UINT64, (guint64) 0, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_rtmp_sink2_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (object);

  GST_OBJECT_LOCK (self);
  if (gst_rtmp_core_location_set_property (&self->location, object,
          PROP_LOCATION_FIRST, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_STOP_COMMANDS:
      self->stop_commands = g_value_get_flags (value);
      break;
    case PROP_ASYNC_CONNECT:
      self->async_connect = g_value_get_boolean (value);
      break;
    case PROP_FOURCC_LIST:
      g_strfreev (self->fourcc_list);
      self->fourcc_list = g_value_dup_boxed (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_rtmp_sink2_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, make_stats (self));
    return;
  }

  GST_OBJECT_LOCK (self);
  if (gst_rtmp_core_location_get_property (&self->location,
          PROP_LOCATION_FIRST, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_STOP_COMMANDS:
      g_value_set_flags (value, self->stop_commands);
      break;
    case PROP_ASYNC_CONNECT:
      g_value_set_boolean (value, self->async_connect);
      break;
    case PROP_FOURCC_LIST:
      g_value_set_boxed (value, self->fourcc_list);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* ------------------------------------------------------------------ */
/* URI handler                                                         */
/* ------------------------------------------------------------------ */

static GstURIType
uri_get_type (GType type)
{
  return GST_URI_SINK;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  return gst_rtmp_core_location_get_protocols ();
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (handler);
  gchar *uri;

  GST_OBJECT_LOCK (self);
  uri = gst_rtmp_core_location_get_uri (&self->location);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (handler);
  GError *parse_error = NULL;
  gboolean ok;

  if (GST_STATE (self) > GST_STATE_READY) {
    g_set_error_literal (error, GST_URI_ERROR, GST_URI_ERROR_BAD_STATE,
        "The location can only be changed in the NULL or READY state");
    return FALSE;
  }
  GST_OBJECT_LOCK (self);
  ok = gst_rtmp_core_location_set_uri (&self->location, uri, &parse_error);
  GST_OBJECT_UNLOCK (self);
  if (!ok) {
    g_set_error_literal (error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI,
        parse_error->message);
    g_error_free (parse_error);
    return FALSE;
  }
  g_object_notify (G_OBJECT (self), "location");
  return TRUE;
}

static void
gst_rtmp_sink2_uri_handler_init (gpointer g_iface, gpointer iface_data)
{
  GstURIHandlerInterface *iface = g_iface;

  iface->get_type = uri_get_type;
  iface->get_protocols = uri_get_protocols;
  iface->get_uri = uri_get_uri;
  iface->set_uri = uri_set_uri;
}

/* ------------------------------------------------------------------ */
/* GObject                                                             */
/* ------------------------------------------------------------------ */

static void
gst_rtmp_sink2_finalize (GObject * object)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (object);

  gst_rtmp_core_location_clear (&self->location);
  gst_rtmp_core_location_clear (&self->io_location);
  g_strfreev (self->fourcc_list);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_rtmp_sink2_parent_class)->finalize (object);
}

static void
gst_rtmp_sink2_init (GstRtmpSink2 * self)
{
  gst_rtmp_core_location_init (&self->location);
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->stop_commands = DEFAULT_STOP_COMMANDS;
  self->async_connect = DEFAULT_ASYNC_CONNECT;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
}

static void
gst_rtmp_sink2_class_init (GstRtmpSink2Class * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *base_sink_class = GST_BASE_SINK_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_rtmp_sink2_debug_category, "rtmpsink2", 0,
      "RTMP publisher (librtmpcore)");

  gobject_class->set_property = gst_rtmp_sink2_set_property;
  gobject_class->get_property = gst_rtmp_sink2_get_property;
  gobject_class->finalize = gst_rtmp_sink2_finalize;

  base_sink_class->start = gst_rtmp_sink2_start;
  base_sink_class->stop = gst_rtmp_sink2_stop;
  base_sink_class->render = gst_rtmp_sink2_render;
  base_sink_class->set_caps = gst_rtmp_sink2_set_caps;
  base_sink_class->event = gst_rtmp_sink2_event;
  base_sink_class->unlock = gst_rtmp_sink2_unlock;
  base_sink_class->unlock_stop = gst_rtmp_sink2_unlock_stop;

  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_set_static_metadata (element_class, "RTMP publish sink",
      "Sink/Network", "Publishes an FLV stream to an RTMP server",
      "gst-rtmpcore developers");

  gst_rtmp_core_location_install_properties (gobject_class,
      PROP_LOCATION_FIRST);

  g_object_class_install_property (gobject_class, PROP_CHUNK_SIZE,
      g_param_spec_uint ("chunk-size", "Chunk size",
          "RTMP chunk size announced to the server and used for sending",
          1, 0xFFFFFF, DEFAULT_CHUNK_SIZE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_STOP_COMMANDS,
      g_param_spec_flags ("stop-commands", "Stop commands",
          "RTMP commands sent on EOS after the last media message, before "
          "closing the connection", GST_TYPE_RTMP_CORE_STOP_COMMANDS,
          DEFAULT_STOP_COMMANDS, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_ASYNC_CONNECT,
      g_param_spec_boolean ("async-connect", "Async connect",
          "Connect in the background from the READY to PAUSED change; "
          "otherwise connect when the first buffer arrives. Rendering "
          "waits for the connection either way", DEFAULT_ASYNC_CONNECT,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_FOURCC_LIST,
      g_param_spec_boxed ("fourcc-list", "FourCC list",
          "Enhanced RTMP codecs announced as fourCcList in connect, e.g. "
          "<\"hvc1\", \"av01\"> or <\"*\">; none when unset", G_TYPE_STRV,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Publishing statistics: bytes-sent, bytes-acked, bitrate (bit/s "
          "over the last second), rtt (ns, NONE until measured), "
          "queue-bytes (not yet written), chunk-size, reconnects, "
          "dropped-frames", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_CORE_STOP_COMMANDS, 0);
}
