/* RtmpCoreServer: an RTMP ingest server core.
 *
 * The server accepts with a GSocketListener in the GMainContext given to
 * rtmp_core_server_start(), wraps each connection in TLS if it has a
 * certificate, and hands it to an RtmpCoreServerSession that runs the
 * server side of the handshake and of the NetConnection / NetStream
 * commands over an RtmpCoreConnection. Media of an accepted publish is
 * emitted on the server's "media" signal.
 *
 * A session ends in session_finish(), reached from the connection's
 * "closed" signal: every way of ending (peer, I/O error, protocol error,
 * timeout, refusal, local close, server stop) goes through
 * rtmp_core_connection_close() or the connection closing itself. */
#include <string.h>

#include "rtmp-server.h"
#include "rtmp-connection-private.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-command.h"
#include "rtmp-error.h"
#include "rtmp-url.h"
#include "rtmpcore-enumtypes.h"

/* NetConnection replies go on chunk stream 3, NetStream statuses on 5, as
 * nginx-rtmp and FMS send them. */
#define CONTROL_CHUNK_STREAM 3
#define STATUS_CHUNK_STREAM 5

/* What we claim to be in the connect _result: the values FMS 3.5 sends,
 * which Flash-era clients look for. */
#define FMS_VERSION "FMS/3,5,7,7009"
#define FMS_CAPABILITIES 31.0
#define FMS_MODE 1.0

/* Enhanced RTMP capsEx bits we honour: media is passed through as bytes,
 * so multitrack (2) and ModEx (4) cost nothing; reconnect (1) and
 * nanosecond offsets (8) would need support we do not have. */
#define CAPS_EX_SUPPORTED (2 | 4)

/* A refused client gets this long to read its status before we close. */
#define CLOSE_LINGER_MS 2000

/* createStream ids are never reused; past this a client is misbehaving. */
#define MAX_STREAM_ID 65535

/* Bitrate: a sample of the media byte counter every 250 ms at most, over
 * the last 16 samples (4 s). */
#define RATE_SAMPLE_INTERVAL_US (250 * G_TIME_SPAN_MILLISECOND)
#define RATE_SAMPLES 16

/* Names from the wire are cut to this many bytes in logs and errors. */
#define MAX_PRINTED_NAME 64

static const gchar *const state_names[] = {
  "handshaking", "connecting", "connected", "publishing", "closing", "closed"
};

typedef struct {
  gint64 time_us;
  guint64 bytes;
} RateSample;

struct _RtmpCoreServerSession {
  GObject parent;

  RtmpCoreServer *server;       /* not owned; NULL once the session ended */
  RtmpCoreConnection *conn;
  gulong message_id;
  gulong closed_id;
  gchar *remote_address;

  /* Written only in the server's context, always under the lock; read
   * under the lock by the statistics from any thread. */
  GMutex lock;
  RtmpCoreServerSessionState state;
  gchar *application;
  gchar *app_query;
  gchar *stream;
  gchar *query;
  gchar *tc_url;
  gchar *flash_version;
  gint64 accepted_us;
  gint64 publish_start_us;
  guint64 media_bytes;
  RateSample samples[RATE_SAMPLES];
  guint sample_head;
  guint n_samples;

  RtmpCoreAmfValue *connect_object;
  guint32 next_stream_id;
  guint32 publish_stream_id;
  gchar *publish_key;           /* "app/stream" in the publishers table */

  GSource *handshake_timer;
  GSource *closing_timer;
  GCancellable *closing_cancellable;
  gboolean reason_set;          /* close_reason (maybe NULL) is final */
  GError *close_reason;
};

G_DEFINE_FINAL_TYPE (RtmpCoreServerSession, rtmp_core_server_session,
    G_TYPE_OBJECT)

struct _RtmpCoreServer {
  GObject parent;

  gchar *address;
  guint port;
  guint max_connections;
  guint handshake_timeout;
  guint idle_timeout;
  guint max_message_size;
  guint chunk_size;
  guint window_ack_size;
  GTlsCertificate *tls_certificate;
  gboolean allow_takeover;

  GMainContext *context;        /* set while started */
  GSocketListener *listener;
  GCancellable *accept_cancellable;
  GSource *accept_retry;
  guint current_port;

  /* "app/stream" -> the publishing session (not owned) */
  GHashTable *publishers;

  /* Changed only in the server's context, under the lock; the statistics
   * read them under the lock from any thread. */
  GMutex lock;
  GPtrArray *sessions;          /* owned references */
  guint64 connections_total;
  guint64 connections_refused;
};

G_DEFINE_FINAL_TYPE (RtmpCoreServer, rtmp_core_server, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_CURRENT_PORT,
  PROP_MAX_CONNECTIONS,
  PROP_HANDSHAKE_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_MESSAGE_SIZE,
  PROP_CHUNK_SIZE,
  PROP_WINDOW_ACK_SIZE,
  PROP_TLS_CERTIFICATE,
  PROP_ALLOW_PUBLISHER_TAKEOVER,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_SESSION_OPENED,
  SIGNAL_PUBLISH_REQUEST,
  SIGNAL_PUBLISH_STARTED,
  SIGNAL_MEDIA,
  SIGNAL_PUBLISH_STOPPED,
  SIGNAL_SESSION_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void server_remove_session (RtmpCoreServer * server,
    RtmpCoreServerSession * session);

/* ---- small helpers ---- */

static GSource *
timeout_new (GMainContext * context, guint ms, GSourceFunc func,
    gpointer data)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_attach (source, context);
  return source;
}

/* Wire text made fit for a log line or an error: valid UTF-8, cut short. */
static gchar *
printable (const gchar * text)
{
  gsize len;

  if (text == NULL)
    return g_strdup ("");
  len = strlen (text);
  return g_utf8_make_valid (text, MIN (len, MAX_PRINTED_NAME));
}

static gchar *
masked_secret (const gchar * secret)
{
  gchar *masked = rtmp_core_mask_secret (secret ? secret : "");
  gchar *valid = printable (masked);

  g_free (masked);
  return valid;
}

/* "app/ab****": what logs and errors may show of a stream. */
static gchar *
describe_stream (RtmpCoreServerSession * session)
{
  gchar *app = printable (session->application);
  gchar *stream = masked_secret (session->stream);
  gchar *text = g_strdup_printf ("%s/%s", app, stream);

  g_free (app);
  g_free (stream);
  return text;
}

/* Splits "name?query"; @query gets NULL when there is no '?'. */
static void
split_query (const gchar * text, gchar ** name, gchar ** query)
{
  const gchar *mark = strchr (text, '?');

  if (mark) {
    *name = g_strndup (text, mark - text);
    *query = g_strdup (mark + 1);
  } else {
    *name = g_strdup (text);
    *query = NULL;
  }
}

/* ---- session: state and statistics ---- */

#define SESSION_LOCK(s) g_mutex_lock (&(s)->lock)
#define SESSION_UNLOCK(s) g_mutex_unlock (&(s)->lock)

static void
session_set_state (RtmpCoreServerSession * session,
    RtmpCoreServerSessionState state)
{
  SESSION_LOCK (session);
  session->state = state;
  SESSION_UNLOCK (session);
}

static gboolean
session_is_ending (RtmpCoreServerSession * session)
{
  return session->state >= RTMP_CORE_SERVER_SESSION_STATE_CLOSING;
}

static void
session_count_media (RtmpCoreServerSession * session, gsize size)
{
  gint64 now = g_get_monotonic_time ();
  const RateSample *newest;

  SESSION_LOCK (session);
  newest = session->n_samples == 0 ? NULL : &session->samples[
      (session->sample_head + session->n_samples - 1) % RATE_SAMPLES];
  if (newest == NULL || now - newest->time_us >= RATE_SAMPLE_INTERVAL_US) {
    RateSample sample = { now, session->media_bytes };

    if (session->n_samples < RATE_SAMPLES) {
      session->samples[(session->sample_head + session->n_samples) %
          RATE_SAMPLES] = sample;
      session->n_samples++;
    } else {
      session->samples[session->sample_head] = sample;
      session->sample_head = (session->sample_head + 1) % RATE_SAMPLES;
    }
  }
  session->media_bytes += size;
  SESSION_UNLOCK (session);
}

/* Media bits per second since the oldest sample of the window; called
 * with the lock held. */
static guint64
session_bitrate (RtmpCoreServerSession * session, gint64 now)
{
  const RateSample *base;
  gint64 elapsed;

  if (session->n_samples == 0)
    return 0;
  base = &session->samples[session->sample_head];
  elapsed = now - base->time_us;
  if (elapsed <= 0)
    return 0;
  return (guint64) ((gdouble) (session->media_bytes - base->bytes) * 8.0 *
      G_USEC_PER_SEC / elapsed);
}

static void
add_string (GVariantBuilder * b, const gchar * key, const gchar * value)
{
  gchar *valid = g_utf8_make_valid (value ? value : "", -1);

  g_variant_builder_add (b, "{sv}", key, g_variant_new_take_string (valid));
}

/* ---- session: sending ---- */

static RtmpCoreAmfValue *
status_info (const gchar * level, const gchar * code,
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
session_queue (RtmpCoreServerSession * session, RtmpCoreMessage * msg)
{
  GError *error = NULL;

  /* fails only once the connection is closed, and then nobody listens */
  if (!rtmp_core_connection_queue_message (session->conn, msg, &error)) {
    g_debug ("session %s: not sent: %s", session->remote_address,
        error->message);
    g_error_free (error);
  }
  rtmp_core_message_unref (msg);
}

/* Sends @cmd (taken) on message stream @stream_id. */
static void
session_send_command (RtmpCoreServerSession * session, RtmpCoreCommand * cmd,
    guint32 stream_id)
{
  session_queue (session, rtmp_core_command_to_message (cmd,
          stream_id ? STATUS_CHUNK_STREAM : CONTROL_CHUNK_STREAM, stream_id));
  rtmp_core_command_unref (cmd);
}

/* name (transaction_id, null, @arg): @arg (taken) may be NULL. */
static void
session_send_reply (RtmpCoreServerSession * session, const gchar * name,
    gdouble transaction_id, RtmpCoreAmfValue * arg, guint32 stream_id)
{
  RtmpCoreCommand *cmd = rtmp_core_command_new (name, transaction_id, NULL);

  if (arg)
    rtmp_core_command_take_argument (cmd, arg);
  session_send_command (session, cmd, stream_id);
}

static void
session_send_status (RtmpCoreServerSession * session, guint32 stream_id,
    const gchar * level, const gchar * code, const gchar * description)
{
  session_send_reply (session, "onStatus", 0,
      status_info (level, code, description), stream_id);
}

/* Answers @cmd with `_result` when it carries a transaction id. */
static void
session_answer_result (RtmpCoreServerSession * session,
    const RtmpCoreCommand * cmd)
{
  gdouble id = rtmp_core_command_get_transaction_id (cmd);

  if (id != 0)
    session_send_reply (session, "_result", id, NULL, 0);
}

/* ---- session: ending ---- */

/* Ends an accepted publish: emits "publish-stopped" with @reason (NULL
 * for a clean unpublish). */
static void
session_end_publish (RtmpCoreServerSession * session, const GError * reason)
{
  RtmpCoreServer *server = session->server;
  gchar *what;

  if (session->state != RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING)
    return;

  if (server && session->publish_key &&
      g_hash_table_lookup (server->publishers, session->publish_key) ==
      session)
    g_hash_table_remove (server->publishers, session->publish_key);
  g_clear_pointer (&session->publish_key, g_free);
  session->publish_stream_id = 0;
  session_set_state (session, RTMP_CORE_SERVER_SESSION_STATE_CONNECTED);

  what = describe_stream (session);
  g_debug ("session %s: publish of %s stopped%s%s", session->remote_address,
      what, reason ? ": " : "", reason ? reason->message : "");
  g_free (what);
  if (server)
    g_signal_emit (server, signals[SIGNAL_PUBLISH_STOPPED], 0, session,
        reason);
}

/* Emits the end of the session once: from the connection's "closed"
 * signal, or from rtmp_core_server_session_close() when the connection
 * closed before the session listened to it. */
static void
session_finish (RtmpCoreServerSession * session, const GError * conn_error)
{
  RtmpCoreServer *server = session->server;
  const GError *reason;

  if (session->state == RTMP_CORE_SERVER_SESSION_STATE_CLOSED)
    return;
  reason = session->reason_set ? session->close_reason : conn_error;

  g_object_ref (session);
  if (server)
    g_object_ref (server);

  session_end_publish (session, reason);
  session_set_state (session, RTMP_CORE_SERVER_SESSION_STATE_CLOSED);
  rtmp_clear_source (&session->handshake_timer);
  rtmp_clear_source (&session->closing_timer);
  if (session->closing_cancellable)
    g_cancellable_cancel (session->closing_cancellable);
  g_clear_signal_handler (&session->message_id, session->conn);
  g_clear_signal_handler (&session->closed_id, session->conn);

  g_debug ("session %s closed%s%s", session->remote_address,
      reason ? ": " : "", reason ? reason->message : "");
  if (server) {
    g_signal_emit (server, signals[SIGNAL_SESSION_CLOSED], 0, session,
        reason);
    server_remove_session (server, session);
    g_object_unref (server);
  }
  g_object_unref (session);
}

static void
session_keep_reason (RtmpCoreServerSession * session, const GError * reason)
{
  if (session->reason_set)
    return;
  session->reason_set = TRUE;
  session->close_reason = reason ? g_error_copy (reason) : NULL;
}

static gboolean
closing_timed_out (gpointer user_data)
{
  RtmpCoreServerSession *session = user_data;

  g_clear_pointer (&session->closing_timer, g_source_unref);
  rtmp_core_connection_close (session->conn, session->close_reason);
  return G_SOURCE_REMOVE;
}

static void
closing_flushed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  RtmpCoreServerSession *session = user_data;
  GIOStream *stream;

  if (!rtmp_core_connection_flush_finish (RTMP_CORE_CONNECTION (source),
          result, NULL)) {
    rtmp_core_connection_close (session->conn, session->close_reason);
  } else if (session->state == RTMP_CORE_SERVER_SESSION_STATE_CLOSING) {
    /* Closing a socket with unread input resets it, and a reset can
     * destroy the status still in flight. So only our direction ends
     * here: the peer reads the status and the end of stream, and closes
     * (or the linger timer does). */
    stream = rtmp_core_connection_get_stream (session->conn);
    if (G_IS_SOCKET_CONNECTION (stream))
      g_socket_shutdown (g_socket_connection_get_socket (G_SOCKET_CONNECTION
              (stream)), FALSE, TRUE, NULL);
  }
  g_object_unref (session);
}

/* Ends the session after what was queued (a refusal status) reached the
 * peer, with @reason (taken) as the reason. */
static void
session_close_after_flush (RtmpCoreServerSession * session, GError * reason)
{
  RtmpCoreServer *server = session->server;

  if (session_is_ending (session) || server == NULL) {
    g_error_free (reason);
    return;
  }
  g_debug ("session %s: closing: %s", session->remote_address,
      reason->message);
  session_end_publish (session, reason);
  if (session_is_ending (session)) {
    g_error_free (reason);
    return;
  }
  session_keep_reason (session, reason);
  g_error_free (reason);
  session_set_state (session, RTMP_CORE_SERVER_SESSION_STATE_CLOSING);
  rtmp_clear_source (&session->handshake_timer);

  session->closing_timer = timeout_new (server->context, CLOSE_LINGER_MS,
      closing_timed_out, session);
  session->closing_cancellable = g_cancellable_new ();
  g_main_context_push_thread_default (server->context);
  rtmp_core_connection_flush_async (session->conn,
      session->closing_cancellable, closing_flushed, g_object_ref (session));
  g_main_context_pop_thread_default (server->context);
}

/* Closes at once with a new error. */
static void
session_fail (RtmpCoreServerSession * session, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (3, 4);

static void
session_fail (RtmpCoreServerSession * session, gint code,
    const gchar * format, ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (RTMP_CORE_ERROR, code, format, args);
  va_end (args);
  rtmp_core_server_session_close (session, error);
  g_error_free (error);
}

/* ---- session: connect ---- */

/* Enhanced RTMP: a client announcing codecs and capabilities learns which
 * ones we accept. We pass media through untouched, so every codec is. */
static void
add_enhanced_rtmp (RtmpCoreAmfValue * reply_props,
    const RtmpCoreAmfValue * request)
{
  static const gchar *const echoed[] = { "fourCcList", "videoFourCcInfoMap",
    "audioFourCcInfoMap"
  };
  gdouble caps;
  guint i;

  for (i = 0; i < G_N_ELEMENTS (echoed); i++) {
    RtmpCoreAmfValue *field = rtmp_core_amf_value_get_field (request,
        echoed[i]);

    if (field)
      rtmp_core_amf_value_set_field (reply_props, echoed[i], field);
  }
  if (rtmp_core_amf_value_lookup_number (request, "capsEx", &caps)) {
    guint32 bits = caps >= 0 && caps <= G_MAXUINT32 ? (guint32) caps : 0;

    rtmp_core_amf_value_take_field (reply_props, "capsEx",
        rtmp_core_amf_value_new_number (bits & CAPS_EX_SUPPORTED));
  }
}

static void
session_answer_connect (RtmpCoreServerSession * session,
    const RtmpCoreCommand * cmd, gdouble object_encoding)
{
  RtmpCoreAmfValue *reply_props = rtmp_core_amf_value_new_object ();
  RtmpCoreAmfValue *info;
  RtmpCoreCommand *reply;

  rtmp_core_amf_value_take_field (reply_props, "fmsVer",
      rtmp_core_amf_value_new_string (FMS_VERSION));
  rtmp_core_amf_value_take_field (reply_props, "capabilities",
      rtmp_core_amf_value_new_number (FMS_CAPABILITIES));
  rtmp_core_amf_value_take_field (reply_props, "mode",
      rtmp_core_amf_value_new_number (FMS_MODE));
  add_enhanced_rtmp (reply_props, session->connect_object);

  info = status_info ("status", "NetConnection.Connect.Success",
      "Connection succeeded.");
  rtmp_core_amf_value_take_field (info, "objectEncoding",
      rtmp_core_amf_value_new_number (object_encoding));

  reply = rtmp_core_command_new ("_result",
      rtmp_core_command_get_transaction_id (cmd), reply_props);
  rtmp_core_amf_value_unref (reply_props);
  rtmp_core_command_take_argument (reply, info);
  session_send_command (session, reply, 0);
}

static void
session_handle_connect (RtmpCoreServerSession * session,
    const RtmpCoreCommand * cmd)
{
  RtmpCoreAmfValue *obj = rtmp_core_command_get_object (cmd);
  const gchar *app = rtmp_core_amf_value_lookup_string (obj, "app");
  gdouble encoding = 0;
  gchar *application, *app_query, *app_text;

  if (app == NULL) {
    session_send_reply (session, "_error",
        rtmp_core_command_get_transaction_id (cmd),
        status_info ("error", "NetConnection.Connect.Rejected",
            "connect must carry an object with an app name"), 0);
    session_close_after_flush (session, g_error_new (RTMP_CORE_ERROR,
            RTMP_CORE_ERROR_MALFORMED, "The connect command from %s carries "
            "no app name", session->remote_address));
    return;
  }

  /* only AMF0 (0) and AMF3 (3) exist */
  if (!rtmp_core_amf_value_lookup_number (obj, "objectEncoding", &encoding)
      || encoding != 3)
    encoding = 0;

  split_query (app, &application, &app_query);
  SESSION_LOCK (session);
  session->application = application;
  session->app_query = app_query;
  session->tc_url = g_strdup (rtmp_core_amf_value_lookup_string (obj,
          "tcUrl"));
  session->flash_version = g_strdup (rtmp_core_amf_value_lookup_string (obj,
          "flashVer"));
  session->state = RTMP_CORE_SERVER_SESSION_STATE_CONNECTED;
  SESSION_UNLOCK (session);
  session->connect_object = rtmp_core_amf_value_ref (obj);
  rtmp_clear_source (&session->handshake_timer);

  app_text = printable (application);
  g_debug ("session %s: connect to app \"%s\"%s", session->remote_address,
      app_text, app_query ? " (with a query)" : "");
  g_free (app_text);
  session_answer_connect (session, cmd, encoding);
}

/* ---- session: publish ---- */

/* Sends the status matching @decision on @stream_id and closes. */
static void
session_refuse (RtmpCoreServerSession * session,
    RtmpCoreServerDecision decision, guint32 stream_id, const gchar * why)
{
  const gchar *code;
  gint error_code = RTMP_CORE_ERROR_REFUSED;
  gchar *what = describe_stream (session);

  switch (decision) {
    case RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED:
      code = "NetStream.Publish.Unauthorized";
      error_code = RTMP_CORE_ERROR_UNAUTHORIZED;
      break;
    case RTMP_CORE_SERVER_DECISION_REJECT_CONNECT:
      code = "NetConnection.Connect.Rejected";
      stream_id = 0;
      break;
    case RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME:
    default:
      code = "NetStream.Publish.BadName";
      break;
  }
  session_send_status (session, stream_id, "error", code, why);
  session_close_after_flush (session, g_error_new (RTMP_CORE_ERROR,
          error_code, "Publishing %s from %s refused (%s): %s", what,
          session->remote_address, code, why));
  g_free (what);
}

static void
session_accept_publish (RtmpCoreServerSession * session, guint32 stream_id,
    gchar * key)
{
  RtmpCoreServer *server = session->server;
  gchar *what = describe_stream (session);

  g_hash_table_insert (server->publishers, g_strdup (key), session);
  session->publish_key = key;
  session->publish_stream_id = stream_id;
  SESSION_LOCK (session);
  session->state = RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING;
  session->publish_start_us = g_get_monotonic_time ();
  session->media_bytes = 0;
  session->n_samples = 0;
  session->sample_head = 0;
  SESSION_UNLOCK (session);

  session_queue (session, rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_STREAM_BEGIN, stream_id, 0));
  session_send_status (session, stream_id, "status",
      "NetStream.Publish.Start", "Publishing started.");
  /* one round trip measured early, for the statistics */
  rtmp_core_connection_ping (session->conn);

  g_debug ("session %s: publishing %s on stream %u", session->remote_address,
      what, stream_id);
  g_free (what);
  g_signal_emit (server, signals[SIGNAL_PUBLISH_STARTED], 0, session);
}

static RtmpCoreServerDecision
emit_publish_request (RtmpCoreServer * server,
    RtmpCoreServerSession * session)
{
  RtmpCoreServerDecision decision = RTMP_CORE_SERVER_DECISION_ACCEPT;

  g_signal_emit (server, signals[SIGNAL_PUBLISH_REQUEST], 0, session,
      &decision);
  return decision;
}

static const gchar *
decision_reason (RtmpCoreServerDecision decision)
{
  switch (decision) {
    case RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED:
      return "not authorized to publish";
    case RTMP_CORE_SERVER_DECISION_REJECT_CONNECT:
      return "connection rejected";
    default:
      return "no such stream";
  }
}

/* The rest of a publish once its name is known: the one-publisher rule,
 * the "publish-request" decision, a takeover, and the answer. */
static void
session_authorize_publish (RtmpCoreServerSession * session,
    guint32 stream_id)
{
  RtmpCoreServer *server = session->server;
  gchar *key = g_strdup_printf ("%s/%s", session->application,
      session->stream);
  RtmpCoreServerSession *current;
  RtmpCoreServerDecision decision;

  current = g_hash_table_lookup (server->publishers, key);
  if (current && !server->allow_takeover) {
    session_refuse (session, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
        stream_id, "the stream is already being published");
    goto out;
  }

  decision = emit_publish_request (server, session);
  if (session->state != RTMP_CORE_SERVER_SESSION_STATE_CONNECTED)
    goto out;                   /* a handler closed it */
  if (decision != RTMP_CORE_SERVER_DECISION_ACCEPT) {
    session_refuse (session, decision, stream_id, decision_reason (decision));
    goto out;
  }

  /* handlers may have started or ended other publishes meanwhile */
  current = g_hash_table_lookup (server->publishers, key);
  if (current && !server->allow_takeover) {
    session_refuse (session, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
        stream_id, "the stream is already being published");
    goto out;
  }
  if (current) {
    gchar *what = describe_stream (session);
    GError *error = g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED,
        "Publisher %s took over %s", session->remote_address, what);

    rtmp_core_server_session_close (current, error);
    g_error_free (error);
    g_free (what);
    if (session->state != RTMP_CORE_SERVER_SESSION_STATE_CONNECTED)
      goto out;
    /* a handler of the old session's signals published it again */
    if (g_hash_table_contains (server->publishers, key)) {
      session_refuse (session, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
          stream_id, "the stream is already being published");
      goto out;
    }
  }
  session_accept_publish (session, stream_id, g_steal_pointer (&key));

out:
  g_free (key);
}

static void
session_handle_publish (RtmpCoreServerSession * session,
    const RtmpCoreCommand * cmd, guint32 stream_id)
{
  RtmpCoreAmfValue *arg = rtmp_core_command_get_argument (cmd, 0);
  const gchar *name = NULL;
  gchar *stream, *query;

  if (arg && rtmp_core_amf_value_get_kind (arg) == RTMP_CORE_AMF_STRING)
    name = rtmp_core_amf_value_get_string (arg);

  if (session->state == RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING) {
    session_refuse (session, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
        stream_id, "this connection already publishes a stream");
    return;
  }
  if (stream_id == 0 || stream_id >= session->next_stream_id) {
    session_refuse (session, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
        stream_id, "publish must be sent on a stream made by createStream");
    return;
  }
  if (name == NULL || name[0] == '\0' || name[0] == '?') {
    session_refuse (session, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
        stream_id, "the stream name is empty");
    return;
  }

  split_query (name, &stream, &query);
  SESSION_LOCK (session);
  g_free (session->stream);
  g_free (session->query);
  session->stream = stream;
  session->query = query;
  SESSION_UNLOCK (session);
  session_authorize_publish (session, stream_id);
}

/* FCUnpublish, deleteStream or closeStream of the publish stream. */
static void
session_handle_unpublish (RtmpCoreServerSession * session)
{
  guint32 stream_id = session->publish_stream_id;

  if (session->state != RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING)
    return;
  session_send_status (session, stream_id, "status",
      "NetStream.Unpublish.Success", "Stopped publishing.");
  session_end_publish (session, NULL);
}

static void
session_handle_create_stream (RtmpCoreServerSession * session,
    const RtmpCoreCommand * cmd)
{
  gdouble id = rtmp_core_command_get_transaction_id (cmd);

  if (session->next_stream_id > MAX_STREAM_ID) {
    session_send_reply (session, "_error", id, status_info ("error",
            "NetConnection.Call.Failed", "Too many streams."), 0);
    return;
  }
  session_send_reply (session, "_result", id,
      rtmp_core_amf_value_new_number (session->next_stream_id++), 0);
}

static gboolean
argument_is_number (const RtmpCoreCommand * cmd, guint index, gdouble value)
{
  RtmpCoreAmfValue *arg = rtmp_core_command_get_argument (cmd, index);

  return arg && rtmp_core_amf_value_get_kind (arg) == RTMP_CORE_AMF_NUMBER &&
      rtmp_core_amf_value_get_number (arg) == value;
}

/* Commands after connect. Each answer carries the command's own
 * transaction id; a command without one gets no answer. */
static void
session_dispatch (RtmpCoreServerSession * session,
    const RtmpCoreCommand * cmd, guint32 stream_id)
{
  const gchar *name = rtmp_core_command_get_name (cmd);
  gdouble id = rtmp_core_command_get_transaction_id (cmd);

  if (strcmp (name, "releaseStream") == 0) {
    session_answer_result (session, cmd);
  } else if (strcmp (name, "FCPublish") == 0) {
    session_answer_result (session, cmd);
    session_send_reply (session, "onFCPublish", 0, status_info ("status",
            "NetStream.Publish.Start", "FCPublish accepted."), 0);
  } else if (strcmp (name, "createStream") == 0) {
    session_handle_create_stream (session, cmd);
  } else if (strcmp (name, "publish") == 0) {
    session_handle_publish (session, cmd, stream_id);
  } else if (strcmp (name, "FCUnpublish") == 0) {
    session_handle_unpublish (session);
    session_answer_result (session, cmd);
  } else if (strcmp (name, "deleteStream") == 0) {
    if (session->publish_stream_id != 0 &&
        argument_is_number (cmd, 0, session->publish_stream_id))
      session_handle_unpublish (session);
  } else if (strcmp (name, "closeStream") == 0) {
    if (session->publish_stream_id != 0 &&
        stream_id == session->publish_stream_id)
      session_handle_unpublish (session);
  } else if (strcmp (name, "play") == 0) {
    session_send_status (session, stream_id, "error", "NetStream.Play.Failed",
        "This server only accepts publishers.");
  } else if (strcmp (name, "_result") == 0 || strcmp (name, "_error") == 0 ||
      strcmp (name, "onStatus") == 0) {
    /* answers: never answered */
  } else if (id != 0) {
    session_send_reply (session, "_error", id, status_info ("error",
            "NetConnection.Call.Failed", "Unknown command."), 0);
  }
}

static void
session_handle_command (RtmpCoreServerSession * session,
    const RtmpCoreMessage * msg)
{
  GError *error = NULL;
  RtmpCoreCommand *cmd = rtmp_core_command_parse (msg, &error);
  gchar *name;

  if (cmd == NULL) {
    rtmp_core_server_session_close (session, error);
    g_error_free (error);
    return;
  }

  name = printable (rtmp_core_command_get_name (cmd));
  g_debug ("session %s: command %s (transaction %g) on stream %u",
      session->remote_address, name,
      rtmp_core_command_get_transaction_id (cmd), msg->stream_id);

  if (session->state == RTMP_CORE_SERVER_SESSION_STATE_CONNECTING) {
    if (strcmp (rtmp_core_command_get_name (cmd), "connect") == 0)
      session_handle_connect (session, cmd);
    else
      session_fail (session, RTMP_CORE_ERROR_PROTOCOL, "%s sent the "
          "command \"%s\" before connect", session->remote_address, name);
  } else if (strcmp (rtmp_core_command_get_name (cmd), "connect") == 0) {
    session_send_reply (session, "_error",
        rtmp_core_command_get_transaction_id (cmd), status_info ("error",
            "NetConnection.Call.Failed", "Already connected."), 0);
  } else {
    session_dispatch (session, cmd, msg->stream_id);
  }
  g_free (name);
  rtmp_core_command_unref (cmd);
}

/* ---- session: media ---- */

/* Emits a data message as an AMF0 body without "@setDataFrame", the way
 * an FLV script tag holds it. @skip drops the 0 byte that starts an AMF3
 * data message (type 15) whose values are AMF0. */
static void
session_emit_data (RtmpCoreServerSession * session,
    const RtmpCoreMessage * msg, gsize skip)
{
  GBytes *payload = rtmp_core_message_get_payload (msg);
  GBytes *body = g_bytes_new_from_bytes (payload, skip,
      g_bytes_get_size (payload) - skip);
  GBytes *stripped = rtmp_core_data_strip_set_data_frame (body);
  RtmpCoreMessage *out = rtmp_core_message_new (RTMP_CORE_MESSAGE_DATA_AMF0,
      msg->chunk_stream_id, msg->stream_id, msg->timestamp, stripped);

  g_signal_emit (session->server, signals[SIGNAL_MEDIA], 0, session, out);
  rtmp_core_message_unref (out);
  g_bytes_unref (stripped);
  g_bytes_unref (body);
  g_bytes_unref (payload);
}

static void
session_emit_media (RtmpCoreServerSession * session,
    const RtmpCoreMessage * msg)
{
  gsize size;
  const guint8 *data;

  if (session->state != RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING)
    return;
  switch (msg->type) {
    case RTMP_CORE_MESSAGE_AUDIO:
    case RTMP_CORE_MESSAGE_VIDEO:
      g_signal_emit (session->server, signals[SIGNAL_MEDIA], 0, session, msg);
      break;
    case RTMP_CORE_MESSAGE_DATA_AMF0:
      session_emit_data (session, msg, 0);
      break;
    case RTMP_CORE_MESSAGE_DATA_AMF3:
      data = rtmp_core_message_peek_data (msg, &size);
      if (size > 0 && data[0] == 0)
        session_emit_data (session, msg, 1);
      else
        g_signal_emit (session->server, signals[SIGNAL_MEDIA], 0, session,
            msg);
      break;
    default:
      /* an aggregate's sub-tag of another kind carries nothing for us */
      break;
  }
}

static void
session_handle_media (RtmpCoreServerSession * session,
    const RtmpCoreMessage * msg)
{
  GPtrArray *subs;
  GError *error = NULL;
  guint i;

  if (session->state != RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING ||
      msg->stream_id != session->publish_stream_id)
    return;

  session_count_media (session, msg->size);
  if (msg->type != RTMP_CORE_MESSAGE_AGGREGATE) {
    session_emit_media (session, msg);
    return;
  }

  subs = rtmp_core_message_split_aggregate (msg, &error);
  if (subs == NULL) {
    rtmp_core_server_session_close (session, error);
    g_error_free (error);
    return;
  }
  for (i = 0; i < subs->len; i++)
    session_emit_media (session, g_ptr_array_index (subs, i));
  g_ptr_array_unref (subs);
}

/* ---- session: connection callbacks ---- */

static void
on_conn_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  RtmpCoreServerSession *session = user_data;
  RtmpCoreServer *server = session->server;

  if (session_is_ending (session) || server == NULL)
    return;

  /* handlers may close the session or stop the server */
  g_object_ref (session);
  g_object_ref (server);
  switch (msg->type) {
    case RTMP_CORE_MESSAGE_COMMAND_AMF0:
    case RTMP_CORE_MESSAGE_COMMAND_AMF3:
      session_handle_command (session, msg);
      break;
    case RTMP_CORE_MESSAGE_AUDIO:
    case RTMP_CORE_MESSAGE_VIDEO:
    case RTMP_CORE_MESSAGE_DATA_AMF0:
    case RTMP_CORE_MESSAGE_DATA_AMF3:
    case RTMP_CORE_MESSAGE_AGGREGATE:
      session_handle_media (session, msg);
      break;
    default:
      /* protocol control is the connection's business */
      break;
  }
  g_object_unref (server);
  g_object_unref (session);
}

static void
on_conn_closed (RtmpCoreConnection * conn, const GError * error,
    gpointer user_data)
{
  session_finish (RTMP_CORE_SERVER_SESSION (user_data), error);
}

static gboolean
handshake_timed_out (gpointer user_data)
{
  RtmpCoreServerSession *session = user_data;
  guint timeout = session->server ? session->server->handshake_timeout : 0;

  g_clear_pointer (&session->handshake_timer, g_source_unref);
  session_fail (session, RTMP_CORE_ERROR_TIMEOUT, "%s did not complete the "
      "handshake and connect within %u s", session->remote_address, timeout);
  return G_SOURCE_REMOVE;
}

static void
handshake_done (GObject * source, GAsyncResult * result, gpointer user_data)
{
  RtmpCoreServerSession *session = user_data;
  RtmpCoreServer *server = session->server;
  GError *error = NULL;

  if (!rtmp_core_connection_handshake_finish (session->conn, result,
          &error)) {
    /* the connection closed itself, which ended the session */
    g_debug ("session %s: handshake failed: %s", session->remote_address,
        error->message);
    g_error_free (error);
  } else if (session->state == RTMP_CORE_SERVER_SESSION_STATE_HANDSHAKING &&
      server) {
    session_set_state (session, RTMP_CORE_SERVER_SESSION_STATE_CONNECTING);
    rtmp_core_connection_start (session->conn);
    if (server->window_ack_size)
      rtmp_core_connection_set_window_ack_size (session->conn,
          server->window_ack_size);
    rtmp_core_connection_set_chunk_size (session->conn, server->chunk_size);
    if (server->idle_timeout)
      rtmp_core_connection_set_ping_interval (session->conn,
          server->idle_timeout, MAX (server->idle_timeout / 2, 1));
  }
  g_object_unref (session);
}

static void
session_begin (RtmpCoreServerSession * session)
{
  RtmpCoreServer *server = session->server;

  rtmp_core_connection_set_limits (session->conn, server->max_message_size,
      0, 0);
  session->message_id = g_signal_connect (session->conn, "message",
      G_CALLBACK (on_conn_message), session);
  session->closed_id = g_signal_connect (session->conn, "closed",
      G_CALLBACK (on_conn_closed), session);
  if (server->handshake_timeout)
    session->handshake_timer = timeout_new (server->context,
        server->handshake_timeout * 1000, handshake_timed_out, session);

  g_main_context_push_thread_default (server->context);
  rtmp_core_connection_handshake_async (session->conn,
      RTMP_CORE_HANDSHAKE_SERVER, RTMP_CORE_HANDSHAKE_PLAIN, NULL,
      handshake_done, g_object_ref (session));
  g_main_context_pop_thread_default (server->context);
}

static RtmpCoreServerSession *
session_new (RtmpCoreServer * server, GIOStream * stream, gchar * address)
{
  RtmpCoreServerSession *session =
      g_object_new (RTMP_CORE_TYPE_SERVER_SESSION, NULL);

  session->server = server;
  session->remote_address = address;
  g_main_context_push_thread_default (server->context);
  session->conn = rtmp_core_connection_new (stream);
  g_main_context_pop_thread_default (server->context);
  return session;
}

/* ---- session: public API ---- */

/**
 * rtmp_core_server_session_get_remote_address:
 * @session: a session
 *
 * Gets the address the client connected from, for logs and for access
 * control by address. It is fixed when the connection is accepted and
 * stays valid for the life of @session.
 *
 * Returns: (transfer none): the client's address as "ip:port", with
 *   IPv6 addresses in brackets ("[::1]:50000") and IPv4-mapped IPv6
 *   addresses shown as IPv4
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_server_session_get_remote_address (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->remote_address;
}

/**
 * rtmp_core_server_session_get_application:
 * @session: a session
 *
 * Gets the application the client connected to, e.g. "live", to route the
 * publish. Any `?query` on it is split off;
 * rtmp_core_server_session_get_query() returns that query when the
 * publish name carries none.
 *
 * Returns: (transfer none) (nullable): the "app" of `connect` without its
 *   `?query`, %NULL before `connect`
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_server_session_get_application (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->application;
}

/**
 * rtmp_core_server_session_get_stream:
 * @session: a session
 *
 * The stream name is usually the stream key: never log it unmasked (see
 * rtmp_core_mask_secret()).
 *
 * Returns: (transfer none) (nullable): the name given to `publish`
 *   without its `?query`, %NULL before `publish`
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_server_session_get_stream (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->stream;
}

/**
 * rtmp_core_server_session_get_query:
 * @session: a session
 *
 * Clients put credentials in the query of the stream name (OBS, most
 * services) or of the application (ffmpeg's authentication): this gives
 * the first of them that exists. Never log it.
 *
 * Returns: (transfer none) (nullable): the text after the '?' of the
 *   publish name, else after the '?' of the application, else %NULL
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_server_session_get_query (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->query ? session->query : session->app_query;
}

/**
 * rtmp_core_server_session_get_tc_url:
 * @session: a session
 *
 * Gets the URL the client says it connected to, as sent. It is
 * informational only: clients fill it in freely, so do not use it for
 * access decisions.
 *
 * Returns: (transfer none) (nullable): the "tcUrl" of `connect`, %NULL if
 *   there was none
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_server_session_get_tc_url (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->tc_url;
}

/**
 * rtmp_core_server_session_get_flash_version:
 * @session: a session
 *
 * Gets the client's self-description, useful in logs and to work around
 * quirks of a known encoder. It is not verified.
 *
 * Returns: (transfer none) (nullable): the "flashVer" of `connect` (e.g.
 *   "FMLE/3.0 (compatible; FMSc/1.0)"), %NULL if there was none
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_server_session_get_flash_version (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->flash_version;
}

/**
 * rtmp_core_server_session_get_connect_object:
 * @session: a session
 *
 * Gives the whole command object of `connect`, for fields the other
 * getters do not cover (e.g. "fourCcList", or custom fields).
 *
 * Returns: (transfer none) (nullable): the object, %NULL before `connect`
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_server_session_get_connect_object (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->connect_object;
}

/**
 * rtmp_core_server_session_get_stream_id:
 * @session: a session
 *
 * Gets the message stream carrying the client's media while a publish is
 * accepted; it goes back to 0 when the publish stops.
 *
 * Returns: the message stream id the client publishes on, 0 when it is not
 *   publishing
 *
 * Since: 0.1
 */
guint32
rtmp_core_server_session_get_stream_id (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), 0);
  return session->publish_stream_id;
}

/**
 * rtmp_core_server_session_get_state:
 * @session: a session
 *
 * Thread-safe.
 *
 * Returns: where the session stands
 *
 * Since: 0.1
 */
RtmpCoreServerSessionState
rtmp_core_server_session_get_state (RtmpCoreServerSession * session)
{
  RtmpCoreServerSessionState state;

  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session),
      RTMP_CORE_SERVER_SESSION_STATE_CLOSED);
  SESSION_LOCK (session);
  state = session->state;
  SESSION_UNLOCK (session);
  return state;
}

/**
 * rtmp_core_server_session_get_stats:
 * @session: a session
 *
 * Gives a snapshot as a vardict (`a{sv}`) with:
 *
 * - "address" (s): as rtmp_core_server_session_get_remote_address()
 * - "application" (s): the application without its query ("" before
 *   `connect`)
 * - "stream" (s): the stream name, masked ("ab****")
 * - "flash-version" (s): the client's flashVer ("" if none)
 * - "state" (s): "handshaking", "connecting", "connected", "publishing",
 *   "closing" or "closed"
 * - "bytes-in" (t), "bytes-out" (t): chunk stream bytes after the handshake
 * - "bitrate" (t): media payload bits per second over the last 4 s
 * - "duration-ms" (t): time since the connection was accepted
 * - "publish-duration-ms" (t): time since the publish started, 0 when not
 *   publishing
 * - "rtt-us" (x): the last ping round trip, -1 if unknown
 *
 * Thread-safe.
 *
 * Returns: (transfer floating): the statistics
 *
 * Since: 0.1
 */
GVariant *
rtmp_core_server_session_get_stats (RtmpCoreServerSession * session)
{
  GVariantBuilder b;
  guint64 bytes_in = 0, bytes_out = 0;
  gint64 now = g_get_monotonic_time ();
  gint64 rtt;
  gboolean publishing;

  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);

  g_object_get (session->conn, "bytes-in", &bytes_in, "bytes-out",
      &bytes_out, NULL);
  rtt = rtmp_core_connection_get_rtt (session->conn);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  SESSION_LOCK (session);
  publishing = session->state == RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING;
  add_string (&b, "address", session->remote_address);
  add_string (&b, "application", session->application);
  g_variant_builder_add (&b, "{sv}", "stream",
      g_variant_new_take_string (masked_secret (session->stream)));
  add_string (&b, "flash-version", session->flash_version);
  add_string (&b, "state", state_names[session->state]);
  g_variant_builder_add (&b, "{sv}", "bytes-in",
      g_variant_new_uint64 (bytes_in));
  g_variant_builder_add (&b, "{sv}", "bytes-out",
      g_variant_new_uint64 (bytes_out));
  g_variant_builder_add (&b, "{sv}", "bitrate",
      g_variant_new_uint64 (publishing ? session_bitrate (session, now) : 0));
  g_variant_builder_add (&b, "{sv}", "duration-ms",
      g_variant_new_uint64 ((now - session->accepted_us) / 1000));
  g_variant_builder_add (&b, "{sv}", "publish-duration-ms",
      g_variant_new_uint64 (publishing ?
          (now - session->publish_start_us) / 1000 : 0));
  SESSION_UNLOCK (session);
  g_variant_builder_add (&b, "{sv}", "rtt-us", g_variant_new_int64 (rtt));
  return g_variant_builder_end (&b);
}

/**
 * rtmp_core_server_session_get_connection:
 * @session: a session
 *
 * Gives the session's connection, e.g. for its statistics. Do not queue
 * messages or close it behind the session's back; use
 * rtmp_core_server_session_close().
 *
 * Returns: (transfer none): the connection
 *
 * Since: 0.1
 */
RtmpCoreConnection *
rtmp_core_server_session_get_connection (RtmpCoreServerSession * session)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER_SESSION (session), NULL);
  return session->conn;
}

/**
 * rtmp_core_server_session_close:
 * @session: a session
 * @reason: (nullable): why, or %NULL for a clean local close
 *
 * Closes the connection at once (nothing more is sent to the client).
 * #RtmpCoreServer::publish-stopped (if it was publishing) and
 * #RtmpCoreServer::session-closed are emitted with @reason before this
 * returns. Closing a closed session does nothing.
 *
 * Since: 0.1
 */
void
rtmp_core_server_session_close (RtmpCoreServerSession * session,
    const GError * reason)
{
  g_return_if_fail (RTMP_CORE_IS_SERVER_SESSION (session));

  if (session->state == RTMP_CORE_SERVER_SESSION_STATE_CLOSED)
    return;
  g_object_ref (session);
  session_keep_reason (session, reason);
  rtmp_core_connection_close (session->conn, reason);
  /* the connection was closed already if "closed" did not come */
  session_finish (session, reason);
  g_object_unref (session);
}

static void
rtmp_core_server_session_init (RtmpCoreServerSession * session)
{
  g_mutex_init (&session->lock);
  session->state = RTMP_CORE_SERVER_SESSION_STATE_HANDSHAKING;
  session->accepted_us = g_get_monotonic_time ();
  session->next_stream_id = 1;
}

static void
rtmp_core_server_session_dispose (GObject * object)
{
  RtmpCoreServerSession *session = RTMP_CORE_SERVER_SESSION (object);

  rtmp_clear_source (&session->handshake_timer);
  rtmp_clear_source (&session->closing_timer);
  if (session->conn) {
    g_clear_signal_handler (&session->message_id, session->conn);
    g_clear_signal_handler (&session->closed_id, session->conn);
  }
  g_clear_object (&session->conn);
  g_clear_object (&session->closing_cancellable);

  G_OBJECT_CLASS (rtmp_core_server_session_parent_class)->dispose (object);
}

static void
rtmp_core_server_session_finalize (GObject * object)
{
  RtmpCoreServerSession *session = RTMP_CORE_SERVER_SESSION (object);

  g_free (session->remote_address);
  g_free (session->application);
  g_free (session->app_query);
  g_free (session->stream);
  g_free (session->query);
  g_free (session->tc_url);
  g_free (session->flash_version);
  g_free (session->publish_key);
  g_clear_pointer (&session->connect_object, rtmp_core_amf_value_unref);
  g_clear_error (&session->close_reason);
  g_mutex_clear (&session->lock);

  G_OBJECT_CLASS (rtmp_core_server_session_parent_class)->finalize (object);
}

/**
 * RtmpCoreServerSession:
 *
 * One client connection of a #RtmpCoreServer, from accept to close. The
 * server makes sessions; applications meet them in the server's signals.
 *
 * The getters for the names the client sent (application, stream, query,
 * tcUrl, flashVer) and rtmp_core_server_session_close() must be used from
 * the server's context (e.g. in a signal handler).
 * rtmp_core_server_session_get_stats(), rtmp_core_server_session_get_state()
 * and reference counting are thread-safe.
 *
 * Since: 0.1
 */
static void
rtmp_core_server_session_class_init (RtmpCoreServerSessionClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rtmp_core_server_session_dispose;
  object_class->finalize = rtmp_core_server_session_finalize;
}

/* ---- server: accepting ---- */

#define SERVER_LOCK(s) g_mutex_lock (&(s)->lock)
#define SERVER_UNLOCK(s) g_mutex_unlock (&(s)->lock)

static void
server_remove_session (RtmpCoreServer * server,
    RtmpCoreServerSession * session)
{
  guint index;
  gboolean found;

  SERVER_LOCK (server);
  found = g_ptr_array_find (server->sessions, session, &index);
  if (found)
    g_ptr_array_steal_index (server->sessions, index);
  SERVER_UNLOCK (server);
  session->server = NULL;
  if (found)
    g_object_unref (session);
}

/* "ip:port", "[ipv6]:port"; IPv4 clients of a dual-stack socket arrive as
 * IPv4-mapped IPv6 addresses and are shown as IPv4. */
static gchar *
describe_remote (GSocketConnection * socket_conn)
{
  GSocketAddress *address = g_socket_connection_get_remote_address
      (socket_conn, NULL);
  GInetSocketAddress *inet;
  gchar *ip, *text;
  const gchar *shown;

  if (!G_IS_INET_SOCKET_ADDRESS (address)) {
    g_clear_object (&address);
    return g_strdup ("(unknown)");
  }
  inet = G_INET_SOCKET_ADDRESS (address);
  ip = g_inet_address_to_string (g_inet_socket_address_get_address (inet));
  shown = ip;
  if (g_str_has_prefix (ip, "::ffff:") && strchr (ip, '.'))
    shown = ip + strlen ("::ffff:");
  if (strchr (shown, ':'))
    text = g_strdup_printf ("[%s]:%u", shown,
        g_inet_socket_address_get_port (inet));
  else
    text = g_strdup_printf ("%s:%u", shown,
        g_inet_socket_address_get_port (inet));
  g_free (ip);
  g_object_unref (address);
  return text;
}

/* The stream a session runs over: the TCP connection, or a TLS server
 * connection around it. The TLS handshake happens on the first read. */
static GIOStream *
server_wrap_stream (RtmpCoreServer * server, GSocketConnection * socket_conn,
    const gchar * address)
{
  GIOStream *tls;
  GError *error = NULL;

  if (server->tls_certificate == NULL)
    return g_object_ref (G_IO_STREAM (socket_conn));

  tls = g_tls_server_connection_new (G_IO_STREAM (socket_conn),
      server->tls_certificate, &error);
  if (tls == NULL) {
    g_debug ("cannot serve TLS to %s: %s", address, error->message);
    g_error_free (error);
    return NULL;
  }
  /* encoders often drop the TCP connection without a TLS close_notify */
  g_tls_connection_set_require_close_notify (G_TLS_CONNECTION (tls), FALSE);
  return tls;
}

static void
server_take_connection (RtmpCoreServer * server,
    GSocketConnection * socket_conn)
{
  gchar *address = describe_remote (socket_conn);
  RtmpCoreServerSession *session;
  GIOStream *stream = NULL;

  if (server->max_connections == 0 ||
      server->sessions->len < server->max_connections)
    stream = server_wrap_stream (server, socket_conn, address);
  else
    g_debug ("refusing %s: already %u connections", address,
        server->sessions->len);

  if (stream == NULL) {
    SERVER_LOCK (server);
    server->connections_refused++;
    SERVER_UNLOCK (server);
    g_io_stream_close (G_IO_STREAM (socket_conn), NULL, NULL);
    g_free (address);
    return;
  }

  g_debug ("accepted %s", address);
  session = session_new (server, stream, address);
  g_object_unref (stream);
  SERVER_LOCK (server);
  g_ptr_array_add (server->sessions, session);
  server->connections_total++;
  SERVER_UNLOCK (server);

  g_object_ref (session);
  g_signal_emit (server, signals[SIGNAL_SESSION_OPENED], 0, session);
  if (session->server == server &&
      session->state == RTMP_CORE_SERVER_SESSION_STATE_HANDSHAKING)
    session_begin (session);
  g_object_unref (session);
}

static void server_accept_next (RtmpCoreServer * server);

static gboolean
accept_retry_cb (gpointer user_data)
{
  RtmpCoreServer *server = user_data;

  g_clear_pointer (&server->accept_retry, g_source_unref);
  server_accept_next (server);
  return G_SOURCE_REMOVE;
}

/* A pending accept does not keep the server alive. */
static void
accepted_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GWeakRef *weak = user_data;
  RtmpCoreServer *server = g_weak_ref_get (weak);
  GSocketConnection *socket_conn;
  GError *error = NULL;

  g_weak_ref_clear (weak);
  g_free (weak);
  socket_conn = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source),
      result, NULL, &error);

  if (server == NULL || server->listener != (gpointer) source) {
    /* the server stopped (or restarted with another listener) */
    if (socket_conn)
      g_io_stream_close (G_IO_STREAM (socket_conn), NULL, NULL);
  } else if (socket_conn == NULL) {
    if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
      /* e.g. out of file descriptors: try again a little later */
      g_debug ("accept failed: %s", error->message);
      server->accept_retry = timeout_new (server->context, 100,
          accept_retry_cb, server);
    }
  } else {
    server_take_connection (server, socket_conn);
    if (server->listener == (gpointer) source)
      server_accept_next (server);
  }
  g_clear_object (&socket_conn);
  g_clear_error (&error);
  g_clear_object (&server);
}

static void
server_accept_next (RtmpCoreServer * server)
{
  GWeakRef *weak = g_new0 (GWeakRef, 1);

  g_weak_ref_init (weak, server);
  g_main_context_push_thread_default (server->context);
  g_socket_listener_accept_async (server->listener,
      server->accept_cancellable, accepted_cb, weak);
  g_main_context_pop_thread_default (server->context);
}

/* ---- server: public API ---- */

/**
 * rtmp_core_server_new:
 *
 * Makes a server with default properties. Set them, then call
 * rtmp_core_server_start().
 *
 * Returns: (transfer full): a new server
 *
 * Since: 0.1
 */
RtmpCoreServer *
rtmp_core_server_new (void)
{
  return g_object_new (RTMP_CORE_TYPE_SERVER, NULL);
}

static gboolean
server_bind (RtmpCoreServer * server, GSocketListener * listener,
    GError ** error)
{
  GInetAddress *inet;
  GSocketAddress *address, *effective = NULL;
  gboolean ok;

  if (server->address == NULL) {
    /* IPv6 and IPv4 on every interface */
    if (server->port != 0) {
      server->current_port = server->port;
      return g_socket_listener_add_inet_port (listener, server->port, NULL,
          error);
    }
    server->current_port = g_socket_listener_add_any_inet_port (listener,
        NULL, error);
    return server->current_port != 0;
  }

  inet = g_inet_address_new_from_string (server->address);
  if (inet == NULL) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
        "Cannot listen on \"%s\": not an IPv4 or IPv6 address",
        server->address);
    return FALSE;
  }
  address = g_inet_socket_address_new (inet, server->port);
  ok = g_socket_listener_add_address (listener, address,
      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &effective, error);
  if (ok)
    server->current_port =
        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_clear_object (&effective);
  g_object_unref (address);
  g_object_unref (inet);
  return ok;
}

/**
 * rtmp_core_server_start:
 * @server: a stopped server
 * @context: (nullable): the main context to serve in; %NULL for the
 *   thread-default context of the calling thread
 * @error: return location for a #GError
 *
 * Binds to #RtmpCoreServer:address and #RtmpCoreServer:port and accepts
 * connections in @context. Every session, timer and signal of the server
 * lives in @context from now on. Once it returns,
 * #RtmpCoreServer:current-port holds the bound port.
 *
 * Returns: %TRUE if listening; %FALSE with a #GIOErrorEnum error (e.g.
 *   %G_IO_ERROR_ADDRESS_IN_USE, or %G_IO_ERROR_INVALID_ARGUMENT for an
 *   address that is not an IP address)
 *
 * Since: 0.1
 */
gboolean
rtmp_core_server_start (RtmpCoreServer * server, GMainContext * context,
    GError ** error)
{
  GSocketListener *listener;

  g_return_val_if_fail (RTMP_CORE_IS_SERVER (server), FALSE);
  g_return_val_if_fail (server->listener == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  listener = g_socket_listener_new ();
  /* bursts of encoders reconnecting at once */
  g_socket_listener_set_backlog (listener, 128);
  if (!server_bind (server, listener, error)) {
    g_socket_listener_close (listener);
    g_object_unref (listener);
    server->current_port = 0;
    return FALSE;
  }

  server->listener = listener;
  server->context = context ? g_main_context_ref (context) :
      g_main_context_ref_thread_default ();
  server->accept_cancellable = g_cancellable_new ();
  g_debug ("listening on %s port %u", server->address ? server->address :
      "every address", server->current_port);
  server_accept_next (server);
  g_object_notify_by_pspec (G_OBJECT (server), props[PROP_CURRENT_PORT]);
  return TRUE;
}

/**
 * rtmp_core_server_stop:
 * @server: a server
 *
 * Stops listening and closes every session (emitting
 * #RtmpCoreServer::publish-stopped and #RtmpCoreServer::session-closed
 * with a %NULL reason for each). The server can be started again. Stopping
 * a stopped server does nothing.
 *
 * Since: 0.1
 */
void
rtmp_core_server_stop (RtmpCoreServer * server)
{
  GPtrArray *sessions;
  guint i;

  g_return_if_fail (RTMP_CORE_IS_SERVER (server));
  if (server->listener == NULL)
    return;

  g_object_ref (server);
  g_cancellable_cancel (server->accept_cancellable);
  g_clear_object (&server->accept_cancellable);
  rtmp_clear_source (&server->accept_retry);
  g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);

  sessions = rtmp_core_server_list_sessions (server);
  for (i = 0; i < sessions->len; i++)
    rtmp_core_server_session_close (g_ptr_array_index (sessions, i), NULL);
  g_ptr_array_unref (sessions);

  g_clear_pointer (&server->context, g_main_context_unref);
  server->current_port = 0;
  g_debug ("stopped");
  g_object_notify_by_pspec (G_OBJECT (server), props[PROP_CURRENT_PORT]);
  g_object_unref (server);
}

/**
 * rtmp_core_server_get_current_port:
 * @server: a server
 *
 * Gets the port actually bound by rtmp_core_server_start(): the one asked
 * for, or the one the system chose when #RtmpCoreServer:port is 0 (as
 * tests do). Also readable as the #RtmpCoreServer:current-port property.
 * Thread-safe.
 *
 * Returns: the port the server listens on, 0 when it is stopped
 *
 * Since: 0.1
 */
guint
rtmp_core_server_get_current_port (RtmpCoreServer * server)
{
  g_return_val_if_fail (RTMP_CORE_IS_SERVER (server), 0);
  return server->current_port;
}

/**
 * rtmp_core_server_list_sessions:
 * @server: a server
 *
 * Takes a snapshot of the open sessions, e.g. for a status page. Each
 * session in the array is referenced, so it stays valid after it closes;
 * unref the array when done. Thread-safe.
 *
 * Returns: (transfer container) (element-type RtmpCoreServerSession): the
 *   sessions that are not closed yet, in the order they were accepted
 *
 * Since: 0.1
 */
GPtrArray *
rtmp_core_server_list_sessions (RtmpCoreServer * server)
{
  GPtrArray *list;
  guint i;

  g_return_val_if_fail (RTMP_CORE_IS_SERVER (server), NULL);

  list = g_ptr_array_new_with_free_func (g_object_unref);
  SERVER_LOCK (server);
  for (i = 0; i < server->sessions->len; i++)
    g_ptr_array_add (list, g_object_ref (g_ptr_array_index (server->sessions,
                i)));
  SERVER_UNLOCK (server);
  return list;
}

/**
 * rtmp_core_server_get_stats:
 * @server: a server
 *
 * Gives a snapshot as a vardict (`a{sv}`) with:
 *
 * - "connections-active" (u): sessions not closed yet
 * - "connections-total" (t): connections accepted since the server was made
 *   (not counting refused ones)
 * - "connections-refused" (t): connections closed right after accept
 *   because of #RtmpCoreServer:max-connections (or a TLS setup failure)
 * - "publishers" (aa{sv}): rtmp_core_server_session_get_stats() of each
 *   publishing session; stream names are masked
 *
 * Thread-safe.
 *
 * Returns: (transfer floating): the statistics
 *
 * Since: 0.1
 */
GVariant *
rtmp_core_server_get_stats (RtmpCoreServer * server)
{
  GVariantBuilder b, publishers;
  GPtrArray *sessions;
  guint64 total, refused;
  guint i;

  g_return_val_if_fail (RTMP_CORE_IS_SERVER (server), NULL);

  SERVER_LOCK (server);
  total = server->connections_total;
  refused = server->connections_refused;
  SERVER_UNLOCK (server);
  sessions = rtmp_core_server_list_sessions (server);

  g_variant_builder_init (&publishers, G_VARIANT_TYPE ("aa{sv}"));
  for (i = 0; i < sessions->len; i++) {
    RtmpCoreServerSession *session = g_ptr_array_index (sessions, i);

    if (rtmp_core_server_session_get_state (session) ==
        RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING)
      g_variant_builder_add_value (&publishers,
          rtmp_core_server_session_get_stats (session));
  }

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "connections-active",
      g_variant_new_uint32 (sessions->len));
  g_variant_builder_add (&b, "{sv}", "connections-total",
      g_variant_new_uint64 (total));
  g_variant_builder_add (&b, "{sv}", "connections-refused",
      g_variant_new_uint64 (refused));
  g_variant_builder_add (&b, "{sv}", "publishers",
      g_variant_builder_end (&publishers));
  g_ptr_array_unref (sessions);
  return g_variant_builder_end (&b);
}

/* ---- server: GObject ---- */

static gboolean
decision_accumulator (GSignalInvocationHint * hint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  gint decision = g_value_get_enum (handler_return);

  g_value_set_enum (return_accu, decision);
  return decision == RTMP_CORE_SERVER_DECISION_ACCEPT;
}

static void
rtmp_core_server_init (RtmpCoreServer * server)
{
  g_mutex_init (&server->lock);
  server->port = RTMP_CORE_SERVER_DEFAULT_PORT;
  server->max_connections = RTMP_CORE_SERVER_DEFAULT_MAX_CONNECTIONS;
  server->handshake_timeout = 10;
  server->idle_timeout = 60;
  server->max_message_size = RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE;
  server->chunk_size = RTMP_CORE_SERVER_DEFAULT_CHUNK_SIZE;
  server->window_ack_size = RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE;
  server->sessions = g_ptr_array_new ();
  server->publishers = g_hash_table_new_full (g_str_hash, g_str_equal,
      g_free, NULL);
}

static void
rtmp_core_server_dispose (GObject * object)
{
  RtmpCoreServer *server = RTMP_CORE_SERVER (object);

  rtmp_core_server_stop (server);
  g_clear_object (&server->tls_certificate);

  G_OBJECT_CLASS (rtmp_core_server_parent_class)->dispose (object);
}

static void
rtmp_core_server_finalize (GObject * object)
{
  RtmpCoreServer *server = RTMP_CORE_SERVER (object);

  g_free (server->address);
  g_ptr_array_unref (server->sessions);
  g_hash_table_unref (server->publishers);
  g_mutex_clear (&server->lock);

  G_OBJECT_CLASS (rtmp_core_server_parent_class)->finalize (object);
}

static void
rtmp_core_server_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  RtmpCoreServer *server = RTMP_CORE_SERVER (object);

  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (server->address);
      server->address = g_value_dup_string (value);
      break;
    case PROP_PORT:
      server->port = g_value_get_uint (value);
      break;
    case PROP_MAX_CONNECTIONS:
      server->max_connections = g_value_get_uint (value);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      server->handshake_timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      server->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      server->max_message_size = g_value_get_uint (value);
      break;
    case PROP_CHUNK_SIZE:
      server->chunk_size = g_value_get_uint (value);
      break;
    case PROP_WINDOW_ACK_SIZE:
      server->window_ack_size = g_value_get_uint (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_clear_object (&server->tls_certificate);
      server->tls_certificate = g_value_dup_object (value);
      break;
    case PROP_ALLOW_PUBLISHER_TAKEOVER:
      server->allow_takeover = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
rtmp_core_server_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  RtmpCoreServer *server = RTMP_CORE_SERVER (object);

  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, server->address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, server->port);
      break;
    case PROP_CURRENT_PORT:
      g_value_set_uint (value, server->current_port);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, server->max_connections);
      break;
    case PROP_HANDSHAKE_TIMEOUT:
      g_value_set_uint (value, server->handshake_timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, server->idle_timeout);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, server->max_message_size);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, server->chunk_size);
      break;
    case PROP_WINDOW_ACK_SIZE:
      g_value_set_uint (value, server->window_ack_size);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, server->tls_certificate);
      break;
    case PROP_ALLOW_PUBLISHER_TAKEOVER:
      g_value_set_boolean (value, server->allow_takeover);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/**
 * RtmpCoreServer:
 *
 * An RTMP ingest server: it accepts publishers (OBS, ffmpeg, hardware
 * encoders, GStreamer) over RTMP or RTMPS, and hands their media to the
 * application through the #RtmpCoreServer::media signal. It plays nothing
 * back. No GStreamer is needed; the `rtmpserversrc` element is a thin layer
 * on top (several elements can share one server per port and route by
 * application and stream name).
 *
 * Typical use: rtmp_core_server_new(), set #RtmpCoreServer:port (0 picks a
 * free one, see #RtmpCoreServer:current-port), connect to
 * #RtmpCoreServer::publish-request to authorize and route, to
 * #RtmpCoreServer::media and #RtmpCoreServer::publish-stopped, then
 * rtmp_core_server_start() with the #GMainContext to serve in, and
 * rtmp_core_server_stop() at the end.
 *
 * Protocol: after the handshake (plain or digest C1) the server announces
 * #RtmpCoreServer:window-ack-size (with a matching Set Peer Bandwidth) and
 * #RtmpCoreServer:chunk-size; it accepts a client's Set Chunk Size at any
 * time, including before `connect` (OBS). Every command is answered by its
 * own transaction id: `connect` with `_result` (fmsVer, capabilities, and
 * the Enhanced RTMP fourCcList, codec info maps and supported capsEx bits
 * the client announced; objectEncoding as the client asked),
 * `releaseStream` and `FCPublish` with `_result` (plus `onFCPublish`),
 * `createStream` with a new stream id (1, 2, ...), and `publish` with
 * Stream Begin and `onStatus NetStream.Publish.Start` on the publish
 * stream. `FCUnpublish`, `deleteStream` (of the publish stream) and
 * `closeStream` end the publish. Unknown commands with a transaction id get
 * `_error`; those without one are ignored. A refusal is always sent as a
 * status (`NetStream.Publish.BadName`, `NetStream.Publish.Unauthorized` or
 * `NetConnection.Connect.Rejected`) and delivered before the connection is
 * closed, so encoders report it instead of retrying blindly.
 *
 * One publisher per application/stream: a second publish of a stream that
 * is being published is refused with BadName, unless
 * #RtmpCoreServer:allow-publisher-takeover is set, in which case the old
 * publisher is closed and the new one accepted.
 *
 * Limits: #RtmpCoreServer:max-connections, #RtmpCoreServer:handshake-timeout
 * (slow or silent clients), #RtmpCoreServer:idle-timeout (half-open
 * connections), #RtmpCoreServer:max-message-size, and the chunk stream and
 * AMF limits of #RtmpCoreConnection. A client that breaks the protocol or
 * sends malformed AMF only loses its own connection: its session is closed
 * with the error and the server goes on. Stream names and queries never
 * appear unmasked in logs or error messages.
 *
 * Threading: the server lives in the #GMainContext given to
 * rtmp_core_server_start(): accepting, every session, every timer and
 * every signal run there. Properties are read when a connection is
 * accepted; set them before rtmp_core_server_start() or from that context.
 * rtmp_core_server_start(), rtmp_core_server_stop() and the sessions'
 * methods must be called from the thread that runs that context (or,
 * while no thread runs it, from any one thread at a time).
 * rtmp_core_server_get_stats(), rtmp_core_server_list_sessions(),
 * rtmp_core_server_get_current_port(), rtmp_core_server_session_get_stats()
 * and reference counting are thread-safe. Signal handlers run in the
 * server's context and must not block it: acknowledgements and pings of
 * every session wait while they run.
 *
 * Since: 0.1
 */
static void
rtmp_core_server_class_init (RtmpCoreServerClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->dispose = rtmp_core_server_dispose;
  object_class->finalize = rtmp_core_server_finalize;
  object_class->set_property = rtmp_core_server_set_property;
  object_class->get_property = rtmp_core_server_get_property;

  /**
   * RtmpCoreServer:address:
   *
   * The IPv4 or IPv6 address literal to listen on (e.g. "127.0.0.1",
   * "::1"); %NULL listens on every interface, IPv6 and IPv4. Read by
   * rtmp_core_server_start().
   *
   * Since: 0.1
   */
  props[PROP_ADDRESS] = g_param_spec_string ("address", "Address",
      "IP address to listen on (NULL: every interface, IPv6 and IPv4)",
      NULL, rw);

  /**
   * RtmpCoreServer:port:
   *
   * The TCP port to listen on; 0 picks a free one (read it back from
   * #RtmpCoreServer:current-port). Read by rtmp_core_server_start().
   *
   * Since: 0.1
   */
  props[PROP_PORT] = g_param_spec_uint ("port", "Port",
      "TCP port to listen on (0: pick a free port)", 0, 65535,
      RTMP_CORE_SERVER_DEFAULT_PORT, rw);

  /**
   * RtmpCoreServer:current-port:
   *
   * The port actually bound while started, 0 otherwise. Notified by
   * rtmp_core_server_start() and rtmp_core_server_stop().
   *
   * Since: 0.1
   */
  props[PROP_CURRENT_PORT] = g_param_spec_uint ("current-port",
      "Current port", "The port the server listens on (0: not started)",
      0, 65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * RtmpCoreServer:max-connections:
   *
   * How many connections are served at once; one more is closed right
   * after accept and counted in "connections-refused" of
   * rtmp_core_server_get_stats(). 0 means no limit.
   *
   * Since: 0.1
   */
  props[PROP_MAX_CONNECTIONS] = g_param_spec_uint ("max-connections",
      "Maximum connections",
      "Connections served at once; more are closed at once (0: no limit)",
      0, G_MAXUINT, RTMP_CORE_SERVER_DEFAULT_MAX_CONNECTIONS, rw);

  /**
   * RtmpCoreServer:handshake-timeout:
   *
   * Seconds a client has, from accept, to complete the TLS and RTMP
   * handshakes and send `connect`; a slower one is closed with
   * %RTMP_CORE_ERROR_TIMEOUT. 0 means no limit (not recommended: a
   * client that sends nothing would hold its connection forever).
   *
   * Since: 0.1
   */
  props[PROP_HANDSHAKE_TIMEOUT] = g_param_spec_uint ("handshake-timeout",
      "Handshake timeout",
      "Seconds allowed from accept to connect (0: no limit)", 0, 3600, 10,
      rw);

  /**
   * RtmpCoreServer:idle-timeout:
   *
   * A client that sends nothing for this many seconds is pinged, and
   * closed with %RTMP_CORE_ERROR_TIMEOUT if nothing arrives within half
   * that time (at least 1 s) again. Finds half-open connections. 0 never
   * pings.
   *
   * Since: 0.1
   */
  props[PROP_IDLE_TIMEOUT] = g_param_spec_uint ("idle-timeout",
      "Idle timeout",
      "Seconds of silence after which a client is pinged (0: never)",
      0, 3600, 60, rw);

  /**
   * RtmpCoreServer:max-message-size:
   *
   * The longest message a client may send, in bytes; a longer one closes
   * its connection with %RTMP_CORE_ERROR_MESSAGE_TOO_LARGE.
   *
   * Since: 0.1
   */
  props[PROP_MAX_MESSAGE_SIZE] = g_param_spec_uint ("max-message-size",
      "Maximum message size", "Longest message accepted from a client",
      1, 0xFFFFFF, RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE, rw);

  /**
   * RtmpCoreServer:chunk-size:
   *
   * The chunk size announced to clients after the handshake. ffmpeg
   * publishes with the same chunk size, so a large one means less
   * chunking work on the ingest path; the default is
   * %RTMP_CORE_SERVER_DEFAULT_CHUNK_SIZE (nginx-rtmp uses 4096).
   *
   * Since: 0.1
   */
  props[PROP_CHUNK_SIZE] = g_param_spec_uint ("chunk-size", "Chunk size",
      "Chunk size announced to clients", 128, 0xFFFFFF,
      RTMP_CORE_SERVER_DEFAULT_CHUNK_SIZE, rw);

  /**
   * RtmpCoreServer:window-ack-size:
   *
   * The acknowledgement window announced to clients, with a Set Peer
   * Bandwidth of the same value. 0 announces nothing.
   *
   * Since: 0.1
   */
  props[PROP_WINDOW_ACK_SIZE] = g_param_spec_uint ("window-ack-size",
      "Window ack size",
      "Acknowledgement window announced to clients in bytes (0: none)",
      0, G_MAXUINT32, RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE, rw);

  /**
   * RtmpCoreServer:tls-certificate:
   *
   * A certificate with its private key. When set, every accepted
   * connection is served over TLS (RTMPS).
   *
   * Since: 0.1
   */
  props[PROP_TLS_CERTIFICATE] = g_param_spec_object ("tls-certificate",
      "TLS certificate",
      "Certificate with private key; if set, clients must use TLS (rtmps)",
      G_TYPE_TLS_CERTIFICATE, rw);

  /**
   * RtmpCoreServer:allow-publisher-takeover:
   *
   * What happens when a client publishes an application/stream that
   * another session publishes: %FALSE refuses the newcomer with
   * `NetStream.Publish.BadName`; %TRUE closes the old session (its
   * #RtmpCoreServer::publish-stopped carries %RTMP_CORE_ERROR_REFUSED) and
   * accepts the newcomer, which suits encoders that reconnect before the
   * server noticed their old connection died.
   *
   * Since: 0.1
   */
  props[PROP_ALLOW_PUBLISHER_TAKEOVER] =
      g_param_spec_boolean ("allow-publisher-takeover",
      "Allow publisher takeover",
      "A new publisher of a stream replaces the current one instead of "
      "being refused", FALSE, rw);

  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * RtmpCoreServer::session-opened:
   * @server: the server
   * @session: the new session, still handshaking
   *
   * Emitted when a connection was accepted, before its handshake.
   *
   * Since: 0.1
   */
  signals[SIGNAL_SESSION_OPENED] = g_signal_new ("session-opened",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, RTMP_CORE_TYPE_SERVER_SESSION);

  /**
   * RtmpCoreServer::publish-request:
   * @server: the server
   * @session: the session asking to publish: its application, stream,
   *   query, tcUrl, flashVer and remote address are known
   *
   * Decides whether @session may publish. The first handler returning
   * anything but %RTMP_CORE_SERVER_DECISION_ACCEPT settles the matter and
   * the remaining handlers are not called; with no handler, or when all
   * accept, the publish is accepted. A handler for one route must return
   * %RTMP_CORE_SERVER_DECISION_ACCEPT for streams that are not its own;
   * to refuse unrouted streams, let one handler know all routes.
   *
   * Not emitted when the stream is already being published and
   * #RtmpCoreServer:allow-publisher-takeover is %FALSE.
   *
   * Returns: the decision
   *
   * Since: 0.1
   */
  signals[SIGNAL_PUBLISH_REQUEST] = g_signal_new ("publish-request",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
      decision_accumulator, NULL, NULL, RTMP_CORE_TYPE_SERVER_DECISION, 1,
      RTMP_CORE_TYPE_SERVER_SESSION);

  /**
   * RtmpCoreServer::publish-started:
   * @server: the server
   * @session: the publishing session
   *
   * Emitted when a publish was accepted, after the client was told.
   *
   * Since: 0.1
   */
  signals[SIGNAL_PUBLISH_STARTED] = g_signal_new ("publish-started",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 1, RTMP_CORE_TYPE_SERVER_SESSION);

  /**
   * RtmpCoreServer::media:
   * @server: the server
   * @session: the publishing session
   * @msg: (transfer none): an audio (8), video (9) or data (18) message of
   *   the publish stream; valid only during the emission
   *
   * Emitted for each media message of an accepted publish, in order, with
   * the client's timestamps and bytes. Aggregate messages (22) are split
   * into their sub-messages first. Data messages come as AMF0 (type 18)
   * without their "@setDataFrame" prefix, as in an FLV script tag; an AMF3
   * data message (15) whose body is AMF0 after a 0 byte becomes type 18.
   *
   * @msg may be a borrowed view of the read buffer: keep it with
   * rtmp_core_message_copy(), or its payload with
   * rtmp_core_message_get_payload(). Handlers run in the server's context
   * and must not block; hand the message to a bounded queue instead.
   *
   * Since: 0.1
   */
  signals[SIGNAL_MEDIA] = g_signal_new ("media",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, RTMP_CORE_TYPE_SERVER_SESSION,
      RTMP_CORE_TYPE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * RtmpCoreServer::publish-stopped:
   * @server: the server
   * @session: the session whose publish ended
   * @reason: (nullable): %NULL for a clean end (the client unpublished,
   *   or the session or server was closed locally without a reason), else
   *   why: the connection's error (e.g. %RTMP_CORE_ERROR_CLOSED when the
   *   client vanished), %RTMP_CORE_ERROR_REFUSED when another publisher
   *   took over, or the reason given to rtmp_core_server_session_close()
   *
   * Emitted once for each accepted publish, when it ends.
   *
   * Since: 0.1
   */
  signals[SIGNAL_PUBLISH_STOPPED] = g_signal_new ("publish-stopped",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, RTMP_CORE_TYPE_SERVER_SESSION, G_TYPE_ERROR);

  /**
   * RtmpCoreServer::session-closed:
   * @server: the server
   * @session: the session, now closed
   * @reason: (nullable): why: the refusal or limit that made the server
   *   close it, the connection's error (%RTMP_CORE_ERROR_CLOSED when the
   *   client closed it), or the reason given to
   *   rtmp_core_server_session_close() (%NULL for a clean local close)
   *
   * Emitted once per session, after #RtmpCoreServer::publish-stopped if
   * it was publishing. The server drops the session afterwards.
   *
   * Since: 0.1
   */
  signals[SIGNAL_SESSION_CLOSED] = g_signal_new ("session-closed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
      G_TYPE_NONE, 2, RTMP_CORE_TYPE_SERVER_SESSION, G_TYPE_ERROR);
}
