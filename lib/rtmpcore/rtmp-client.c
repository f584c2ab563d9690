/* RtmpCoreClient: connect, publish and play over an RtmpCoreConnection.
 *
 * Every step that waits for the server is a small GTask (a "wait"): either a
 * reply (_result/_error) to one of our transaction ids, or an onStatus on a
 * message stream. Waits carry their own timeout and cancellation sources in
 * the client's context; the public operations chain them. */
#include <string.h>

#include "rtmp-client.h"
#include "rtmp-connection-private.h"
#include "rtmp-auth.h"
#include "rtmp-command.h"
#include "rtmp-error.h"
#include "rtmp-flv.h"
#include "rtmpcore-enumtypes.h"

/* connect, createStream, FCPublish, deleteStream... go on chunk stream 3 and
 * message stream 0; publish and play on chunk stream 8 of the new stream,
 * where ffmpeg and OBS put them too. */
#define CONTROL_CHUNK_STREAM 3
#define STREAM_CHUNK_STREAM 8

#define DEFAULT_TIMEOUT 10
#define DEFAULT_CHUNK_SIZE 4096
#define DEFAULT_BUFFER_LENGTH 1000

/* Capabilities announced in connect: the values ffmpeg sends (every legacy
 * audio codec, every legacy video codec, seek support). */
#define CONNECT_CAPABILITIES 15.0
#define CONNECT_AUDIO_CODECS 4071.0
#define CONNECT_VIDEO_CODECS 252.0
#define CONNECT_VIDEO_FUNCTION 1.0

/* Secrets shorter than this are not scrubbed from server texts: replacing
 * every "ab" of a sentence would garble it without protecting anything. */
#define MIN_SCRUB_LENGTH 3

/* Each connect attempt of an authentication sends more. */
typedef enum
{
  AUTH_STEP_NONE,               /* plain connect */
  AUTH_STEP_USER,               /* authmod and user announced */
  AUTH_STEP_RESPONSE,           /* the challenge answered */
} AuthStep;

typedef enum
{
  STATE_NEW,
  STATE_CONNECTING,
  STATE_CONNECTED,
  STATE_STARTING,
  STATE_PUBLISHING,
  STATE_PLAYING,
  STATE_STOPPING,
  STATE_CLOSED,
} ClientState;

/**
 * RtmpCoreClient:
 *
 * An RTMP client: connects to a server, then publishes or plays one stream.
 *
 * The client is bound to the thread-default #GMainContext at the time
 * rtmp_core_client_new() is called: every asynchronous operation, every
 * timeout and every signal of its #RtmpCoreConnection runs there. Call the
 * client's methods from the thread that runs that context, and run it as
 * that thread's thread-default context (see
 * g_main_context_push_thread_default()): the tasks and the connection the
 * client creates from its callbacks attach to the thread-default context.
 *
 * Thread safety: reference counting and cancelling the #GCancellable given
 * to an operation are safe from any thread; everything else must happen in
 * the client's context. Properties are read when connecting; changing them
 * afterwards has no effect on the current connection.
 *
 * Sequence: rtmp_core_client_connect_async(), then either
 * rtmp_core_client_publish_async() followed by any number of
 * rtmp_core_client_send_media() calls, or rtmp_core_client_play_async()
 * after which media arrives as the #RtmpCoreConnection::message signal of
 * rtmp_core_client_get_connection() (audio, video and data messages on
 * message stream rtmp_core_client_get_stream_id()); finally
 * rtmp_core_client_stop_async(). Only one of connect, publish and play may
 * be in progress at a time; stop may be called at any time and makes an
 * unfinished one fail. When connect, publish or play fails the connection
 * is closed and the client cannot be reused. Dropping the last reference
 * closes the connection at once, without writing what is still queued.
 *
 * Authentication (Adobe and Limelight, from `user:pass@` in the location
 * or the #RtmpCoreClient:username and #RtmpCoreClient:password properties)
 * happens during connect, reconnecting as the scheme requires; see
 * #RtmpCoreClient:authmod.
 *
 * Error messages and debug logs never contain the password, the stream
 * name or its query, nor the authentication query: they are masked.
 *
 * Since: 0.1
 */
struct _RtmpCoreClient
{
  GObject parent_instance;

  GMainContext *context;
  RtmpCoreUrl *url;

  gchar *flash_version;
  GTlsCertificateFlags tls_validation_flags;
  GTlsDatabase *tls_database;
  guint timeout;
  guint chunk_size;
  RtmpCoreHandshakeMode handshake_mode;
  gchar **fourcc_list;
  guint window_ack_size;
  guint buffer_length;
  RtmpCoreAmfValue *extra_connect_args;
  RtmpCoreAuthmod authmod;
  gchar *username;              /* overrides the URL's */
  gchar *password;              /* overrides the URL's */

  ClientState state;
  gboolean publisher;
  RtmpCoreConnection *conn;
  gulong message_id;
  gulong closed_id;
  /* the connect, publish or play in progress */
  GTask *op;
  /* why the connection went away when the peer or I/O closed it */
  GError *close_error;
  guint next_transaction_id;
  guint32 stream_id;

  /* transaction id -> GTask waiting for its _result or _error */
  GHashTable *calls;
  /* GTasks waiting for an onStatus */
  GPtrArray *status_waits;

  /* the TCP/TLS connect and the handshake run under one timeout, which
   * cancels this cancellable */
  GCancellable *connect_cancellable;
  GCancellable *user_cancellable;
  gulong user_cancelled_id;
  GSource *connect_timeout_source;
  gboolean connect_timed_out;

  /* authentication: the query appended to the application and the tcUrl
   * of connect (never logged), how far the exchange got, and the response
   * sent (scrubbed from server texts) */
  gchar *auth_query;
  AuthStep auth_step;
  gchar *auth_response;
};

enum
{
  PROP_0,
  PROP_URL,
  PROP_FLASH_VERSION,
  PROP_TLS_VALIDATION_FLAGS,
  PROP_TLS_DATABASE,
  PROP_TIMEOUT,
  PROP_CHUNK_SIZE,
  PROP_HANDSHAKE_MODE,
  PROP_FOURCC_LIST,
  PROP_WINDOW_ACK_SIZE,
  PROP_BUFFER_LENGTH,
  PROP_AUTHMOD,
  PROP_USERNAME,
  PROP_PASSWORD,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (RtmpCoreClient, rtmp_core_client, G_TYPE_OBJECT)

/* ---- masking ---- */

static void
scrub_one (GString * text, const gchar * secret)
{
  gchar *masked;
  gsize secret_len, masked_len, pos = 0;
  const gchar *hit;

  if (secret == NULL || strlen (secret) < MIN_SCRUB_LENGTH)
    return;

  secret_len = strlen (secret);
  masked = rtmp_core_mask_secret (secret);
  masked_len = strlen (masked);
  while ((hit = strstr (text->str + pos, secret)) != NULL) {
    pos = hit - text->str;
    g_string_erase (text, pos, secret_len);
    g_string_insert (text, pos, masked);
    pos += masked_len;
  }
  g_free (masked);
}

/* Scrubs @secret from @text, and its name and query parts if it has one. */
static void
scrub_with_query (GString * text, const gchar * secret)
{
  const gchar *query = secret ? strchr (secret, '?') : NULL;
  gchar *name;

  scrub_one (text, secret);
  if (query == NULL)
    return;
  name = g_strndup (secret, query - secret);
  scrub_one (text, name);
  scrub_one (text, query + 1);
  g_free (name);
}

/* Servers like to echo the stream key or the authentication query in
 * their descriptions. */
static gchar *
client_scrub (RtmpCoreClient * self, const gchar * text)
{
  const gchar *app = rtmp_core_url_get_application (self->url);
  GString *out = g_string_new (text);

  scrub_with_query (out, rtmp_core_url_get_stream (self->url));
  if (app && strchr (app, '?'))
    scrub_one (out, strchr (app, '?') + 1);
  scrub_one (out, rtmp_core_url_get_password (self->url));
  scrub_one (out, self->password);
  scrub_one (out, self->auth_response);
  return g_string_free (out, FALSE);
}

/* ---- status objects ---- */

/* The info object of an onStatus or _error: the first object argument,
 * else the command object. */
static RtmpCoreAmfValue *
command_info (const RtmpCoreCommand * cmd)
{
  guint i, n = rtmp_core_command_get_n_arguments (cmd);
  RtmpCoreAmfValue *obj;

  for (i = 0; i < n; i++) {
    RtmpCoreAmfValue *arg = rtmp_core_command_get_argument (cmd, i);
    RtmpCoreAmfType kind = rtmp_core_amf_value_get_kind (arg);

    if (kind == RTMP_CORE_AMF_OBJECT || kind == RTMP_CORE_AMF_ECMA_ARRAY)
      return arg;
  }
  obj = rtmp_core_command_get_object (cmd);
  if (obj && rtmp_core_amf_value_get_kind (obj) == RTMP_CORE_AMF_OBJECT)
    return obj;
  return NULL;
}

static const gchar *
command_level (const RtmpCoreCommand * cmd)
{
  RtmpCoreAmfValue *info = command_info (cmd);

  return info ? rtmp_core_amf_value_lookup_string (info, "level") : NULL;
}

static gboolean
contains_nocase (const gchar * haystack, const gchar * needle)
{
  gchar *h, *n;
  gboolean found;

  if (haystack == NULL)
    return FALSE;
  h = g_ascii_strdown (haystack, -1);
  n = g_ascii_strdown (needle, -1);
  found = strstr (h, n) != NULL;
  g_free (h);
  g_free (n);
  return found;
}

static RtmpCoreError
classify_status (const gchar * code, const gchar * description)
{
  if (contains_nocase (code, "Unauthorized") ||
      contains_nocase (description, "authmod") ||
      contains_nocase (description, "code=403") ||
      contains_nocase (description, "need auth"))
    return RTMP_CORE_ERROR_UNAUTHORIZED;
  if (contains_nocase (code, "StreamNotFound"))
    return RTMP_CORE_ERROR_STREAM_NOT_FOUND;
  return RTMP_CORE_ERROR_REFUSED;
}

/* An error saying what the server refused, with its status code and its
 * (scrubbed) description, with @error_code (or one derived from the
 * status if -1). */
static GError *
status_error_with_code (RtmpCoreClient * self, const RtmpCoreCommand * cmd,
    const gchar * what, gint error_code)
{
  const gchar *code = rtmp_core_command_get_status_code (cmd);
  const gchar *description = rtmp_core_command_get_status_description (cmd);
  gchar *scrubbed = client_scrub (self, description ? description : "");
  GError *error;

  if (error_code < 0)
    error_code = classify_status (code, description);
  error = g_error_new (RTMP_CORE_ERROR, error_code,
      "%s: the server answered %s%s%s%s%s", what,
      rtmp_core_command_get_name (cmd),
      code ? " " : " without a status code", code ? code : "",
      *scrubbed ? ": " : "", scrubbed);
  g_free (scrubbed);
  return error;
}

static GError *
status_error (RtmpCoreClient * self, const RtmpCoreCommand * cmd,
    const gchar * what)
{
  return status_error_with_code (self, cmd, what, -1);
}

static gchar *
describe_operation (RtmpCoreClient * self, const gchar * verb)
{
  gchar *masked = rtmp_core_url_to_masked_string (self->url);
  gchar *what = g_strdup_printf ("%s %s", verb, masked);

  g_free (masked);
  return what;
}

/* ---- waits: one GTask per awaited reply or status ---- */

typedef struct
{
  guint transaction_id;         /* a reply wait, or 0 for a status wait */
  guint32 stream_id;            /* status waits: the message stream */
  const gchar *success_code;    /* status waits: the code meaning success */
  gchar *what;                  /* for the timeout message */
  GSource *timeout_source;
  GSource *cancel_source;
} Wait;

static void
wait_free (gpointer data)
{
  Wait *w = data;

  rtmp_clear_source (&w->timeout_source);
  rtmp_clear_source (&w->cancel_source);
  g_free (w->what);
  g_free (w);
}

/* Takes the task out of the tables and returns @reply or @error (taken). */
static void
wait_complete (RtmpCoreClient * self, GTask * task,
    RtmpCoreCommand * reply, GError * error)
{
  Wait *w = g_task_get_task_data (task);

  if (w->transaction_id != 0)
    g_hash_table_steal (self->calls, GUINT_TO_POINTER (w->transaction_id));
  else
    g_ptr_array_remove (self->status_waits, task);
  rtmp_clear_source (&w->timeout_source);
  rtmp_clear_source (&w->cancel_source);

  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, rtmp_core_command_ref (reply),
        (GDestroyNotify) rtmp_core_command_unref);
  g_object_unref (task);
}

static gboolean
wait_timed_out (gpointer user_data)
{
  GTask *task = user_data;
  RtmpCoreClient *self = g_task_get_source_object (task);
  Wait *w = g_task_get_task_data (task);
  gchar *masked = rtmp_core_url_to_masked_string (self->url);

  wait_complete (self, task, NULL, g_error_new (RTMP_CORE_ERROR,
          RTMP_CORE_ERROR_TIMEOUT, "%s: the server did not answer %s within "
          "%u s", masked, w->what, self->timeout));
  g_free (masked);
  return G_SOURCE_REMOVE;
}

static gboolean
wait_cancelled (GCancellable * cancellable, gpointer user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  wait_complete (g_task_get_source_object (task), task, NULL, error);
  return G_SOURCE_REMOVE;
}

/* A task for one wait, with its timeout and cancellation armed. The
 * caller stores it in calls or status_waits, which own the reference. */
static GTask *
wait_new (RtmpCoreClient * self, const gchar * what,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Wait *w = g_new0 (Wait, 1);

  w->what = g_strdup (what);
  g_task_set_task_data (task, w, wait_free);

  w->timeout_source = g_timeout_source_new ((guint64) self->timeout * 1000);
  g_source_set_callback (w->timeout_source, wait_timed_out, task, NULL);
  g_source_attach (w->timeout_source, self->context);

  if (cancellable) {
    w->cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (w->cancel_source, G_SOURCE_FUNC (wait_cancelled),
        task, NULL);
    g_source_attach (w->cancel_source, self->context);
  }
  return task;
}

static RtmpCoreCommand *
wait_finish (RtmpCoreClient * self, GAsyncResult * result, GError ** error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static gboolean
any_entry (gpointer key, gpointer value, gpointer user_data)
{
  return TRUE;
}

/* Completing a wait runs its callback, which may fail the operation and
 * so come back here: pick one wait at a time from the live tables. */
static void
fail_all_waits (RtmpCoreClient * self, const GError * error)
{
  for (;;) {
    GTask *task = g_hash_table_find (self->calls, any_entry, NULL);

    if (task == NULL && self->status_waits->len > 0)
      task = g_ptr_array_index (self->status_waits, 0);
    if (task == NULL)
      return;
    wait_complete (self, task, NULL, g_error_copy (error));
  }
}

/* ---- sending commands ---- */

static RtmpCoreCommand *
client_new_command (RtmpCoreClient * self, const gchar * name,
    gboolean with_transaction)
{
  /* a NULL command object encodes as AMF null */
  return rtmp_core_command_new (name,
      with_transaction ? self->next_transaction_id++ : 0, NULL);
}

static void
command_take_string (RtmpCoreCommand * cmd, const gchar * string)
{
  rtmp_core_command_take_argument (cmd,
      rtmp_core_amf_value_new_string (string));
}

static void
command_take_number (RtmpCoreCommand * cmd, gdouble number)
{
  rtmp_core_command_take_argument (cmd,
      rtmp_core_amf_value_new_number (number));
}

static gboolean
client_send_command (RtmpCoreClient * self, RtmpCoreCommand * cmd,
    guint32 chunk_stream_id, guint32 stream_id, GError ** error)
{
  RtmpCoreMessage *msg = rtmp_core_command_to_message (cmd, chunk_stream_id,
      stream_id);
  gboolean ok;

  g_debug ("sending %s (transaction %g) on stream %u",
      rtmp_core_command_get_name (cmd),
      rtmp_core_command_get_transaction_id (cmd), stream_id);
  ok = rtmp_core_connection_queue_message (self->conn, msg, error);
  rtmp_core_message_unref (msg);
  return ok;
}

/* Sends @name (the stream name) on the control stream with a transaction
 * id that is not awaited: servers answer releaseStream, FCPublish and
 * FCUnpublish with _result or _error, or not at all. */
static gboolean
client_send_stream_notice (RtmpCoreClient * self, const gchar * name,
    GError ** error)
{
  const gchar *stream = rtmp_core_url_get_stream (self->url);
  RtmpCoreCommand *cmd = client_new_command (self, name, TRUE);
  gboolean ok;

  command_take_string (cmd, stream ? stream : "");
  ok = client_send_command (self, cmd, CONTROL_CHUNK_STREAM, 0, error);
  rtmp_core_command_unref (cmd);
  return ok;
}

/* Sends @cmd (which has a transaction id of its own) on the control stream
 * and completes with the server's _result or _error command. */
static void
client_call_async (RtmpCoreClient * self, RtmpCoreCommand * cmd,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  gchar *what = g_strdup_printf ("%s (transaction %g)",
      rtmp_core_command_get_name (cmd),
      rtmp_core_command_get_transaction_id (cmd));
  GTask *task = wait_new (self, what, cancellable, callback, user_data);
  Wait *w = g_task_get_task_data (task);
  GError *error = NULL;

  g_free (what);
  w->transaction_id = (guint) rtmp_core_command_get_transaction_id (cmd);
  g_hash_table_insert (self->calls, GUINT_TO_POINTER (w->transaction_id),
      task);
  if (!client_send_command (self, cmd, CONTROL_CHUNK_STREAM, 0, &error))
    wait_complete (self, task, NULL, error);
}

/* Completes with the first onStatus on @stream_id that settles the
 * operation: @success_code, or an error. */
static void
client_wait_status (RtmpCoreClient * self, guint32 stream_id,
    const gchar * success_code, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  gchar *what = g_strdup_printf ("with %s", success_code);
  GTask *task = wait_new (self, what, cancellable, callback, user_data);
  Wait *w = g_task_get_task_data (task);

  g_free (what);
  w->stream_id = stream_id;
  w->success_code = success_code;
  g_ptr_array_add (self->status_waits, task);
}

/* ---- incoming commands ---- */

static gboolean
status_settles (const Wait * w, const gchar * code, const gchar * level)
{
  static const gchar *const failures[] = { "BadName", "Unauthorized",
    "Rejected", "Failed", "NotFound", "Denied", NULL
  };
  guint i;

  if (g_strcmp0 (code, w->success_code) == 0 || g_strcmp0 (level, "error") == 0)
    return TRUE;
  for (i = 0; failures[i]; i++)
    if (contains_nocase (code, failures[i]))
      return TRUE;
  return FALSE;
}

static void
handle_status (RtmpCoreClient * self, guint32 stream_id,
    RtmpCoreCommand * cmd)
{
  const gchar *code = rtmp_core_command_get_status_code (cmd);
  const gchar *level = command_level (cmd);
  guint i;

  g_debug ("onStatus on stream %u: %s (level %s)", stream_id,
      code ? code : "(no code)", level ? level : "(none)");

  /* A connection-level error fails whatever we were waiting for. */
  if (stream_id == 0 && g_str_has_prefix (code ? code : "", "NetConnection.")
      && g_strcmp0 (level, "error") == 0) {
    gchar *what = describe_operation (self, "Connection to");
    GError *error = status_error (self, cmd, what);

    fail_all_waits (self, error);
    g_error_free (error);
    g_free (what);
    return;
  }

  for (i = 0; i < self->status_waits->len; i++) {
    GTask *task = g_ptr_array_index (self->status_waits, i);
    Wait *w = g_task_get_task_data (task);
    gboolean ours = w->stream_id == stream_id || (stream_id == 0 &&
        g_str_has_prefix (code ? code : "", "NetStream."));

    if (ours && status_settles (w, code, level)) {
      wait_complete (self, task, cmd, NULL);
      return;
    }
  }
}

static void
dispatch_command (RtmpCoreClient * self, guint32 stream_id,
    RtmpCoreCommand * cmd)
{
  const gchar *name = rtmp_core_command_get_name (cmd);
  gdouble id = rtmp_core_command_get_transaction_id (cmd);

  if (g_strcmp0 (name, "_result") == 0 || g_strcmp0 (name, "_error") == 0) {
    GTask *task = NULL;

    if (id >= 1 && id <= G_MAXUINT && id == (guint) id)
      task = g_hash_table_lookup (self->calls, GUINT_TO_POINTER ((guint) id));
    if (task)
      wait_complete (self, task, cmd, NULL);
    else      /* e.g. the answers to releaseStream and FCPublish */
      g_debug ("ignoring %s for transaction %g", name, id);
  } else if (g_strcmp0 (name, "onStatus") == 0) {
    handle_status (self, stream_id, cmd);
  } else {
    /* onBWDone, onFCPublish, onFCUnpublish, _checkbw... */
    g_debug ("ignoring command %s", name);
  }
}

static void
on_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  RtmpCoreClient *self = user_data;
  RtmpCoreCommand *cmd;
  GError *error = NULL;

  if (msg->type != RTMP_CORE_MESSAGE_COMMAND_AMF0 &&
      msg->type != RTMP_CORE_MESSAGE_COMMAND_AMF3)
    return;

  cmd = rtmp_core_command_parse (msg, &error);
  if (cmd == NULL) {
    g_debug ("ignoring a command that does not parse: %s", error->message);
    g_error_free (error);
    return;
  }
  /* a completed wait may run a callback that drops the last reference */
  g_object_ref (self);
  dispatch_command (self, msg->stream_id, cmd);
  g_object_unref (self);
  rtmp_core_command_unref (cmd);
}

static void
on_closed (RtmpCoreConnection * conn, const GError * error,
    gpointer user_data)
{
  RtmpCoreClient *self = user_data;

  if (self->close_error == NULL)
    self->close_error = error ? g_error_copy (error) :
        g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
        "The server closed the connection");
  g_debug ("connection closed: %s", self->close_error->message);
  if (self->state != STATE_STOPPING)
    self->state = STATE_CLOSED;

  g_object_ref (self);
  fail_all_waits (self, self->close_error);
  g_object_unref (self);
}

/* Stops listening to the connection and closes it, unless it closed
 * itself already. */
static void
client_detach (RtmpCoreClient * self, const GError * reason)
{
  if (self->conn == NULL)
    return;
  g_clear_signal_handler (&self->message_id, self->conn);
  g_clear_signal_handler (&self->closed_id, self->conn);
  if (!rtmp_core_connection_is_closed (self->conn))
    rtmp_core_connection_close (self->conn, reason);
}

/* Closes our side; the connection's own signals no longer reach us. */
static void
client_close (RtmpCoreClient * self, const GError * reason)
{
  self->state = STATE_CLOSED;
  client_detach (self, reason);
}

static void
connect_phase_done (RtmpCoreClient * self)
{
  rtmp_clear_source (&self->connect_timeout_source);
  if (self->user_cancellable) {
    g_cancellable_disconnect (self->user_cancellable, self->user_cancelled_id);
    self->user_cancelled_id = 0;
    g_clear_object (&self->user_cancellable);
  }
}

/* Ends the current connect, publish or play: with success, or with @error
 * (taken), which also gives up the connection. Steps still in flight then
 * find that their operation is no longer current and drop their result. */
static void
op_complete (RtmpCoreClient * self, GError * error)
{
  GTask *op = g_steal_pointer (&self->op);

  connect_phase_done (self);
  if (error) {
    g_debug ("%s", error->message);
    if (self->connect_cancellable)
      g_cancellable_cancel (self->connect_cancellable);
    client_close (self, error);
    fail_all_waits (self, error);
  }
  if (op == NULL) {
    g_clear_error (&error);
    return;
  }
  if (error)
    g_task_return_error (op, error);
  else
    g_task_return_boolean (op, TRUE);
  g_object_unref (op);
}

/* Each step of an operation holds a reference on its task; the step goes
 * on only if that operation is still the current one. */
static gboolean
step_is_current (RtmpCoreClient * self, GTask * op)
{
  return self->op == op;
}

/* ---- connect ---- */

/* Replaces the cancellation caused by our own timer with a timeout error. */
static GError *
connect_phase_error (RtmpCoreClient * self, GError * error)
{
  gchar *what;
  GError *timeout;

  if (!self->connect_timed_out ||
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return error;

  what = describe_operation (self, "Connecting to");
  timeout = g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT,
      "%s: no connection and handshake within %u s", what, self->timeout);
  g_free (what);
  g_error_free (error);
  return timeout;
}

static gboolean
connect_timed_out (gpointer user_data)
{
  RtmpCoreClient *self = user_data;

  self->connect_timed_out = TRUE;
  g_cancellable_cancel (self->connect_cancellable);
  return G_SOURCE_REMOVE;
}

static void
user_cancelled (GCancellable * cancellable, gpointer user_data)
{
  /* may run in any thread: GCancellable is thread-safe */
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static RtmpCoreCommand *
build_connect_command (RtmpCoreClient * self)
{
  RtmpCoreAmfValue *obj = rtmp_core_amf_value_new_object ();
  RtmpCoreCommand *cmd;
  gchar *tc_url = rtmp_core_url_get_tc_url (self->url);
  const gchar *url_app = rtmp_core_url_get_application (self->url);
  gchar *app = g_strdup (url_app ? url_app : "");

  /* both carry the authentication query, as FMS-style servers expect */
  if (self->auth_query) {
    gchar *with_query = rtmp_core_auth_append_query (app, self->auth_query);

    g_free (app);
    app = with_query;
    with_query = rtmp_core_auth_append_query (tc_url, self->auth_query);
    g_free (tc_url);
    tc_url = with_query;
  }

#define TAKE(name, value) rtmp_core_amf_value_take_field (obj, name, value)
  TAKE ("app", rtmp_core_amf_value_new_string (app));
  TAKE ("type", rtmp_core_amf_value_new_string ("nonprivate"));
  TAKE ("flashVer", rtmp_core_amf_value_new_string (self->flash_version));
  TAKE ("tcUrl", rtmp_core_amf_value_new_string (tc_url));
  TAKE ("fpad", rtmp_core_amf_value_new_boolean (FALSE));
  TAKE ("capabilities", rtmp_core_amf_value_new_number (CONNECT_CAPABILITIES));
  TAKE ("audioCodecs", rtmp_core_amf_value_new_number (CONNECT_AUDIO_CODECS));
  TAKE ("videoCodecs", rtmp_core_amf_value_new_number (CONNECT_VIDEO_CODECS));
  TAKE ("videoFunction",
      rtmp_core_amf_value_new_number (CONNECT_VIDEO_FUNCTION));
  TAKE ("objectEncoding", rtmp_core_amf_value_new_number (0));
  if (self->fourcc_list) {
    RtmpCoreAmfValue *list = rtmp_core_amf_value_new_strict_array ();
    gchar **fourcc;

    for (fourcc = self->fourcc_list; *fourcc; fourcc++)
      rtmp_core_amf_value_take_element (list,
          rtmp_core_amf_value_new_string (*fourcc));
    TAKE ("fourCcList", list);
  }
#undef TAKE

  cmd = rtmp_core_command_new ("connect", self->next_transaction_id++, obj);
  rtmp_core_amf_value_unref (obj);
  if (self->extra_connect_args)
    rtmp_core_command_add_argument (cmd, self->extra_connect_args);
  g_free (tc_url);
  g_free (app);
  return cmd;
}

static gboolean auth_on_rejection (RtmpCoreClient * self,
    const RtmpCoreCommand * reply, GError ** error);
static void auth_reconnect (RtmpCoreClient * self, GTask * op);

static void
connect_got_reply (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (source);
  GTask *op = user_data;
  GError *error = NULL;
  RtmpCoreCommand *reply = wait_finish (self, result, &error);
  gchar *what;

  if (!step_is_current (self, op)) {
    g_clear_error (&error);
  } else if (reply == NULL) {
    op_complete (self, error);
  } else if (g_strcmp0 (rtmp_core_command_get_name (reply), "_result") != 0) {
    if (!auth_on_rejection (self, reply, &error)) {
      what = describe_operation (self, "Connecting to");
      op_complete (self, status_error (self, reply, what));
      g_free (what);
    } else if (error) {
      op_complete (self, error);
    } else {
      auth_reconnect (self, op);
    }
  } else {
    g_debug ("connected: %s", rtmp_core_command_get_status_code (reply));
    self->state = STATE_CONNECTED;
    op_complete (self, NULL);
  }
  g_clear_pointer (&reply, rtmp_core_command_unref);
  g_object_unref (op);
}

static void
connect_handshake_done (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  GTask *op = user_data;
  RtmpCoreClient *self = g_task_get_source_object (op);
  RtmpCoreCommand *cmd;
  GError *error = NULL;
  gboolean ok;

  ok = rtmp_core_connection_handshake_finish (RTMP_CORE_CONNECTION (source),
      result, &error);
  if (!step_is_current (self, op)) {
    g_clear_error (&error);
  } else if (!ok) {
    op_complete (self, connect_phase_error (self, error));
  } else {
    connect_phase_done (self);
    rtmp_core_connection_start (self->conn);
    if (self->chunk_size != 0)
      rtmp_core_connection_set_chunk_size (self->conn, self->chunk_size);
    if (self->window_ack_size != 0)
      rtmp_core_connection_set_window_ack_size (self->conn,
          self->window_ack_size);

    cmd = build_connect_command (self);
    client_call_async (self, cmd, g_task_get_cancellable (op),
        connect_got_reply, g_object_ref (op));
    rtmp_core_command_unref (cmd);
  }
  g_object_unref (op);
}

static void
connect_socket_done (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  GTask *op = user_data;
  RtmpCoreClient *self = g_task_get_source_object (op);
  GSocketConnection *socket_conn;
  GError *error = NULL;

  socket_conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source),
      result, &error);
  if (!step_is_current (self, op)) {
    g_clear_error (&error);
  } else if (socket_conn == NULL) {
    op_complete (self, connect_phase_error (self, error));
  } else {
    self->conn = rtmp_core_connection_new (G_IO_STREAM (socket_conn));
    self->message_id = g_signal_connect (self->conn, "message",
        G_CALLBACK (on_message), self);
    self->closed_id = g_signal_connect (self->conn, "closed",
        G_CALLBACK (on_closed), self);
    rtmp_core_connection_handshake_async (self->conn,
        RTMP_CORE_HANDSHAKE_CLIENT, self->handshake_mode,
        self->connect_cancellable, connect_handshake_done, g_object_ref (op));
  }
  g_clear_object (&socket_conn);
  g_object_unref (op);
}

static gboolean
accept_certificate (GTlsConnection * tls, GTlsCertificate * peer_cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  RtmpCoreClient *self = user_data;
  GTlsCertificateFlags checked = errors & self->tls_validation_flags;

  if (checked != 0) {
    g_debug ("rejecting the server certificate (flags 0x%x)", checked);
    return FALSE;
  }
  g_debug ("accepting the server certificate despite flags 0x%x", errors);
  return TRUE;
}

static void
socket_client_event (GSocketClient * client, GSocketClientEvent event,
    GSocketConnectable * connectable, GIOStream * connection,
    gpointer user_data)
{
  RtmpCoreClient *self = user_data;

  if (event != G_SOCKET_CLIENT_TLS_HANDSHAKING ||
      !G_IS_TLS_CONNECTION (connection))
    return;
  if (self->tls_database)
    g_tls_connection_set_database (G_TLS_CONNECTION (connection),
        self->tls_database);
  /* Certificates failing only checks the user turned off are accepted
   * here: the validation-flags API of GTlsClientConnection is deprecated. */
  g_signal_connect_object (connection, "accept-certificate",
      G_CALLBACK (accept_certificate), self, 0);
}

static guint
client_port (RtmpCoreClient * self)
{
  guint port = rtmp_core_url_get_port (self->url);

  if (port != 0)
    return port;
  return rtmp_core_url_get_scheme (self->url) == RTMP_CORE_SCHEME_RTMPS ?
      443 : 1935;
}

/* Starts one connection attempt: TCP (and TLS), then the handshake, all
 * under one timeout and the operation's cancellable. */
static void
connect_phase_begin (RtmpCoreClient * self, GTask * op)
{
  GCancellable *cancellable = g_task_get_cancellable (op);
  GSocketClient *socket_client;
  GSocketConnectable *address;

  connect_phase_done (self);
  g_clear_object (&self->connect_cancellable);
  self->connect_cancellable = g_cancellable_new ();
  self->connect_timed_out = FALSE;
  if (cancellable) {
    self->user_cancellable = g_object_ref (cancellable);
    self->user_cancelled_id = g_cancellable_connect (cancellable,
        G_CALLBACK (user_cancelled), g_object_ref (self->connect_cancellable),
        g_object_unref);
  }
  self->connect_timeout_source =
      g_timeout_source_new ((guint64) self->timeout * 1000);
  g_source_set_callback (self->connect_timeout_source, connect_timed_out,
      self, NULL);
  g_source_attach (self->connect_timeout_source, self->context);

  socket_client = g_socket_client_new ();
  if (rtmp_core_url_get_scheme (self->url) == RTMP_CORE_SCHEME_RTMPS) {
    g_socket_client_set_tls (socket_client, TRUE);
    g_signal_connect_object (socket_client, "event",
        G_CALLBACK (socket_client_event), self, 0);
  }
  address = g_network_address_new (rtmp_core_url_get_host (self->url),
      client_port (self));
  g_socket_client_connect_async (socket_client, address,
      self->connect_cancellable, connect_socket_done, g_object_ref (op));
  g_object_unref (address);
  g_object_unref (socket_client);
}

/* ---- authentication ---- */

static const gchar *
client_username (RtmpCoreClient * self)
{
  return self->username ? self->username :
      rtmp_core_url_get_username (self->url);
}

static const gchar *
client_password (RtmpCoreClient * self)
{
  return self->password ? self->password :
      rtmp_core_url_get_password (self->url);
}

static void
auth_set_query (RtmpCoreClient * self, gchar * query, AuthStep step)
{
  const gchar *response = strstr (query, "response=");

  g_free (self->auth_query);
  self->auth_query = query;
  self->auth_step = step;
  g_free (self->auth_response);
  self->auth_response = response ? g_strndup (response + strlen ("response="),
      strcspn (response, "&") - strlen ("response=")) : NULL;
}

/* Both schemes start by naming the user; both need a password. */
static gboolean
auth_check_credentials (RtmpCoreClient * self, RtmpCoreAuthmod scheme,
    GError ** error)
{
  const gchar *user = client_username (self);
  const gchar *password = client_password (self);
  gchar *what;

  if (user && *user && password)
    return TRUE;
  what = describe_operation (self, "Connecting to");
  g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNAUTHORIZED,
      "%s: %s authentication needs a user name and a password (user:pass@ "
      "in the location, or the username and password properties)", what,
      rtmp_core_authmod_to_string (scheme));
  g_free (what);
  return FALSE;
}

static gboolean
auth_announce_user (RtmpCoreClient * self, RtmpCoreAuthmod scheme,
    GError ** error)
{
  if (!auth_check_credentials (self, scheme, error))
    return FALSE;
  auth_set_query (self, rtmp_core_auth_build_user_query (scheme,
          client_username (self)), AUTH_STEP_USER);
  return TRUE;
}

static gboolean
auth_answer (RtmpCoreClient * self, const RtmpCoreAuthChallenge * challenge,
    GError ** error)
{
  const gchar *app = rtmp_core_url_get_application (self->url);
  gchar *plain_app = g_strndup (app ? app : "", strcspn (app ? app : "",
          "?"));
  gchar *nonce = rtmp_core_auth_new_client_nonce ();
  gchar *query;

  query = rtmp_core_auth_build_response_query (challenge,
      client_username (self), client_password (self), plain_app, nonce,
      error);
  g_free (plain_app);
  g_free (nonce);
  if (query == NULL)
    return FALSE;
  auth_set_query (self, query, AUTH_STEP_RESPONSE);
  return TRUE;
}

/* Why the server refused what we sent, as an unauthorized error carrying
 * the (scrubbed) server text. */
static GError *
auth_error (RtmpCoreClient * self, const RtmpCoreCommand * reply,
    const gchar * why)
{
  gchar *target = describe_operation (self, "Connecting to");
  gchar *what = g_strdup_printf ("%s: %s", target, why);
  GError *error = status_error_with_code (self, reply, what,
      RTMP_CORE_ERROR_UNAUTHORIZED);

  g_free (what);
  g_free (target);
  return error;
}

/* Decides what to do with a rejected connect: FALSE when it is no
 * authentication request (the caller reports it as is), else TRUE with
 * either a new query set for the next attempt or *@error set. */
static gboolean
auth_on_rejection (RtmpCoreClient * self, const RtmpCoreCommand * reply,
    GError ** error)
{
  const gchar *description = rtmp_core_command_get_status_description (reply);
  RtmpCoreAuthChallenge *challenge;
  RtmpCoreAuthmod scheme;
  GError *local = NULL;
  gchar *why;

  if (self->authmod == RTMP_CORE_AUTHMOD_NONE || description == NULL)
    return FALSE;
  challenge = rtmp_core_auth_challenge_parse (description, &local);
  if (challenge == NULL) {
    gboolean unsupported = g_error_matches (local, RTMP_CORE_ERROR,
        RTMP_CORE_ERROR_UNSUPPORTED);

    if (unsupported)
      *error = auth_error (self, reply, local->message);
    g_error_free (local);
    return unsupported;
  }

  scheme = rtmp_core_auth_challenge_get_authmod (challenge);
  if (self->authmod != RTMP_CORE_AUTHMOD_AUTO && scheme != self->authmod) {
    why = g_strdup_printf ("the server asks for %s authentication, but "
        "authmod is %s", rtmp_core_authmod_to_string (scheme),
        rtmp_core_authmod_to_string (self->authmod));
    *error = auth_error (self, reply, why);
    g_free (why);
    goto out;
  }
  if (!auth_check_credentials (self, scheme, &local)) {
    *error = auth_error (self, reply, "the server asks for credentials, "
        "but none were given");
    g_error_free (local);
    goto out;
  }

  switch (rtmp_core_auth_challenge_get_reason (challenge)) {
    case RTMP_CORE_AUTH_REASON_NONE:
      if (self->auth_step == AUTH_STEP_NONE)
        auth_announce_user (self, scheme, NULL);
      else
        *error = auth_error (self, reply, "the server did not accept the "
            "user");
      break;
    case RTMP_CORE_AUTH_REASON_NEEDAUTH:
      if (self->auth_step == AUTH_STEP_RESPONSE) {
        *error = auth_error (self, reply, "the server did not accept the "
            "answer to its challenge");
      } else if (!auth_answer (self, challenge, &local)) {
        *error = auth_error (self, reply, local->message);
        g_error_free (local);
      }
      break;
    case RTMP_CORE_AUTH_REASON_AUTHFAILED:
    case RTMP_CORE_AUTH_REASON_NOSUCHUSER:
      why = g_strdup_printf ("authentication as user \"%s\" failed "
          "(authmod=%s): wrong user name or password?", client_username (self),
          rtmp_core_authmod_to_string (scheme));
      *error = auth_error (self, reply, why);
      g_free (why);
      break;
    default:
      *error = auth_error (self, reply, "authentication failed");
      break;
  }

out:
  rtmp_core_auth_challenge_free (challenge);
  return TRUE;
}

/* The server closes a rejected connection anyway: connect afresh with the
 * new query. */
static void
auth_reconnect (RtmpCoreClient * self, GTask * op)
{
  g_debug ("reconnecting to authenticate (step %d)", self->auth_step);
  client_detach (self, NULL);
  g_clear_object (&self->conn);
  self->next_transaction_id = 1;
  connect_phase_begin (self, op);
}

/* Makes @op the current operation if the client is in @required state. */
static gboolean
begin_operation (RtmpCoreClient * self, GTask * op, ClientState required,
    ClientState next)
{
  if (self->state == required) {
    self->state = next;
    self->op = op;
    return TRUE;
  }
  if (required == STATE_NEW)
    g_task_return_new_error (op, G_IO_ERROR, G_IO_ERROR_FAILED,
        "This client has already connected once");
  else
    g_task_return_new_error (op, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
        self->state == STATE_CLOSED ? "The connection is closed" :
        "The client must be connected and neither publishing nor playing");
  g_object_unref (op);
  return FALSE;
}

/**
 * rtmp_core_client_connect_async:
 * @client: a new client
 * @cancellable: (nullable): cancels the connect
 * @callback: (scope async): called in the client's context when done
 * @user_data: (closure): data for @callback
 *
 * Resolves the host, connects over TCP (and TLS for rtmps), performs the
 * handshake, announces the chunk size and acknowledgement window, and sends
 * `connect`. The TCP/TLS connect and the handshake together, and then the
 * `connect` round trip, must each finish within #RtmpCoreClient:timeout
 * seconds. A client connects only once.
 *
 * Since: 0.1
 */
void
rtmp_core_client_connect_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *op;
  gchar *masked;

  g_return_if_fail (RTMP_CORE_IS_CLIENT (client));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (op, rtmp_core_client_connect_async);
  if (!begin_operation (client, op, STATE_NEW, STATE_CONNECTING))
    return;

  masked = rtmp_core_url_to_masked_string (client->url);
  g_debug ("connecting to %s", masked);
  g_free (masked);

  if (client->authmod == RTMP_CORE_AUTHMOD_ADOBE ||
      client->authmod == RTMP_CORE_AUTHMOD_LLNW) {
    GError *error = NULL;

    if (!auth_announce_user (client, client->authmod, &error)) {
      op_complete (client, error);
      return;
    }
  }
  connect_phase_begin (client, op);
}

/**
 * rtmp_core_client_connect_finish:
 * @client: a client
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Errors: %RTMP_CORE_ERROR_REFUSED or %RTMP_CORE_ERROR_UNAUTHORIZED when the
 * server answered `connect` with an error (the message carries its status
 * code and description), %RTMP_CORE_ERROR_TIMEOUT, %RTMP_CORE_ERROR_CLOSED,
 * or the #GIOErrorEnum / #GTlsError of the transport.
 *
 * Returns: %TRUE when the server accepted `connect`
 *
 * Since: 0.1
 */
gboolean
rtmp_core_client_connect_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_client_connect_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- publish and play ---- */

/* The stream id in a createStream _result, or 0 when there is none. */
static guint32
parse_stream_id (const RtmpCoreCommand * reply)
{
  guint i, n = rtmp_core_command_get_n_arguments (reply);

  for (i = 0; i < n; i++) {
    RtmpCoreAmfValue *arg = rtmp_core_command_get_argument (reply, i);
    gdouble id;

    if (rtmp_core_amf_value_get_kind (arg) != RTMP_CORE_AMF_NUMBER)
      continue;
    id = rtmp_core_amf_value_get_number (arg);
    if (id >= 1 && id <= G_MAXUINT32 && id == (guint32) id)
      return (guint32) id;
    return 0;
  }
  return 0;
}

static void
start_got_status (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (source);
  GTask *op = user_data;
  GError *error = NULL;
  RtmpCoreCommand *status = wait_finish (self, result, &error);
  const gchar *success = self->publisher ? "NetStream.Publish.Start" :
      "NetStream.Play.Start";
  gchar *what;

  if (!step_is_current (self, op)) {
    g_clear_error (&error);
  } else if (status == NULL) {
    op_complete (self, error);
  } else if (g_strcmp0 (rtmp_core_command_get_status_code (status),
          success) != 0) {
    what = describe_operation (self, self->publisher ? "Publishing to" :
        "Playing from");
    op_complete (self, status_error (self, status, what));
    g_free (what);
  } else {
    g_debug ("%s on stream %u", success, self->stream_id);
    self->state = self->publisher ? STATE_PUBLISHING : STATE_PLAYING;
    op_complete (self, NULL);
  }
  g_clear_pointer (&status, rtmp_core_command_unref);
  g_object_unref (op);
}

/* Sends publish or play (after Set Buffer Length) on the new stream. */
static gboolean
start_send_request (RtmpCoreClient * self, GError ** error)
{
  const gchar *stream = rtmp_core_url_get_stream (self->url);
  RtmpCoreCommand *cmd;
  gboolean ok;

  if (self->publisher) {
    cmd = client_new_command (self, "publish", FALSE);
    command_take_string (cmd, stream ? stream : "");
    command_take_string (cmd, "live");
  } else {
    RtmpCoreMessage *buffer_length = rtmp_core_message_new_user_control
        (RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH, self->stream_id,
        self->buffer_length);

    ok = rtmp_core_connection_queue_message (self->conn, buffer_length,
        error);
    rtmp_core_message_unref (buffer_length);
    if (!ok)
      return FALSE;
    cmd = client_new_command (self, "play", FALSE);
    command_take_string (cmd, stream ? stream : "");
    /* -2: the live stream if there is one, else the recorded one */
    command_take_number (cmd, -2);
  }
  ok = client_send_command (self, cmd, STREAM_CHUNK_STREAM, self->stream_id,
      error);
  rtmp_core_command_unref (cmd);
  return ok;
}

static void
start_got_stream (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (source);
  GTask *op = user_data;
  GError *error = NULL;
  RtmpCoreCommand *reply = wait_finish (self, result, &error);
  gchar *what;

  if (!step_is_current (self, op)) {
    g_clear_error (&error);
    goto out;
  }
  if (reply == NULL) {
    op_complete (self, error);
    goto out;
  }

  what = describe_operation (self, "Creating a stream on");
  if (g_strcmp0 (rtmp_core_command_get_name (reply), "_result") != 0) {
    error = status_error (self, reply, what);
  } else {
    self->stream_id = parse_stream_id (reply);
    if (self->stream_id == 0)
      error = g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "%s: the createStream result holds no valid stream id", what);
  }
  g_free (what);
  if (error) {
    op_complete (self, error);
    goto out;
  }
  g_debug ("created stream %u", self->stream_id);

  /* armed before sending, so no answer can slip past */
  client_wait_status (self, self->stream_id, self->publisher ?
      "NetStream.Publish.Start" : "NetStream.Play.Start",
      g_task_get_cancellable (op), start_got_status, g_object_ref (op));
  if (!start_send_request (self, &error))
    op_complete (self, error);

out:
  g_clear_pointer (&reply, rtmp_core_command_unref);
  g_object_unref (op);
}

static void
start_create_stream (RtmpCoreClient * self, GTask * op)
{
  RtmpCoreCommand *cmd = client_new_command (self, "createStream", TRUE);

  client_call_async (self, cmd, g_task_get_cancellable (op), start_got_stream,
      g_object_ref (op));
  rtmp_core_command_unref (cmd);
}

/**
 * rtmp_core_client_publish_async:
 * @client: a connected client
 * @cancellable: (nullable): cancels the operation
 * @callback: (scope async): called in the client's context when done
 * @user_data: (closure): data for @callback
 *
 * Publishes the URL's stream (with its query, as given): sends
 * `releaseStream` and `FCPublish` without waiting, `createStream`, then
 * `publish` (name, "live") on the new message stream, and waits for
 * `NetStream.Publish.Start`. Each round trip must complete within
 * #RtmpCoreClient:timeout seconds.
 *
 * Since: 0.1
 */
void
rtmp_core_client_publish_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  static const gchar *const fire_and_forget[] = { "releaseStream",
    "FCPublish"
  };
  GTask *op;
  guint i;

  g_return_if_fail (RTMP_CORE_IS_CLIENT (client));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (op, rtmp_core_client_publish_async);
  if (!begin_operation (client, op, STATE_CONNECTED, STATE_STARTING))
    return;
  client->publisher = TRUE;

  for (i = 0; i < G_N_ELEMENTS (fire_and_forget); i++) {
    GError *error = NULL;

    if (!client_send_stream_notice (client, fire_and_forget[i], &error)) {
      op_complete (client, error);
      return;
    }
  }
  start_create_stream (client, op);
}

/**
 * rtmp_core_client_publish_finish:
 * @client: a client
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Errors: %RTMP_CORE_ERROR_REFUSED (e.g. `NetStream.Publish.BadName`, the
 * stream is in use), %RTMP_CORE_ERROR_UNAUTHORIZED, %RTMP_CORE_ERROR_TIMEOUT,
 * %RTMP_CORE_ERROR_CLOSED, %RTMP_CORE_ERROR_MALFORMED (no stream id).
 *
 * Returns: %TRUE when publishing started
 *
 * Since: 0.1
 */
gboolean
rtmp_core_client_publish_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_client_publish_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * rtmp_core_client_play_async:
 * @client: a connected client
 * @cancellable: (nullable): cancels the operation
 * @callback: (scope async): called in the client's context when done
 * @user_data: (closure): data for @callback
 *
 * Plays the URL's stream: sends `createStream`, a Set Buffer Length of
 * #RtmpCoreClient:buffer-length ms and `play` (name, -2) on the new message
 * stream, and waits for `NetStream.Play.Start` (ignoring
 * `NetStream.Play.Reset` and other notices before it).
 *
 * Afterwards media arrives through the #RtmpCoreConnection::message signal
 * of rtmp_core_client_get_connection(): audio (8), video (9) and data (18)
 * messages on message stream rtmp_core_client_get_stream_id().
 *
 * Since: 0.1
 */
void
rtmp_core_client_play_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *op;

  g_return_if_fail (RTMP_CORE_IS_CLIENT (client));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  op = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (op, rtmp_core_client_play_async);
  if (!begin_operation (client, op, STATE_CONNECTED, STATE_STARTING))
    return;
  client->publisher = FALSE;
  start_create_stream (client, op);
}

/**
 * rtmp_core_client_play_finish:
 * @client: a client
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Errors: %RTMP_CORE_ERROR_STREAM_NOT_FOUND, %RTMP_CORE_ERROR_REFUSED,
 * %RTMP_CORE_ERROR_UNAUTHORIZED, %RTMP_CORE_ERROR_TIMEOUT,
 * %RTMP_CORE_ERROR_CLOSED.
 *
 * Returns: %TRUE when playing started
 *
 * Since: 0.1
 */
gboolean
rtmp_core_client_play_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_client_play_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- media ---- */

static gboolean
is_bare_on_metadata (const RtmpCoreMessage * msg)
{
  /* AMF0 string marker, 16-bit length 10, "onMetaData" */
  static const guint8 prefix[] = { 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e', 't',
    'a', 'D', 'a', 't', 'a'
  };
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (msg, &size);

  return msg->type == RTMP_CORE_MESSAGE_DATA_AMF0 && size >= sizeof (prefix)
      && memcmp (data, prefix, sizeof (prefix)) == 0;
}

/**
 * rtmp_core_client_send_media:
 * @client: a publishing client
 * @msg: (transfer none): an audio, video, data or aggregate message
 * @error: return location for a #GError
 *
 * Queues @msg on the publish stream. The message's stream id is replaced by
 * the publish stream's; a chunk stream id below 2 picks
 * rtmp_core_flv_default_chunk_stream() (4 for audio, 6 for video, 5 for
 * data). A bare `onMetaData` data message
 * gets `@setDataFrame` prepended. The payload is shared, never copied,
 * except to add that prefix.
 *
 * Errors: %RTMP_CORE_ERROR_QUEUE_FULL when the connection's queue is over
 * its limit (wait for #RtmpCoreConnection::queue-drained and try again),
 * %RTMP_CORE_ERROR_CLOSED or the error that closed the connection,
 * %G_IO_ERROR_NOT_CONNECTED when not publishing.
 *
 * Returns: %TRUE when queued
 *
 * Since: 0.1
 */
gboolean
rtmp_core_client_send_media (RtmpCoreClient * client,
    RtmpCoreMessage * msg, GError ** error)
{
  RtmpCoreMessage *out;
  GBytes *payload;
  guint32 chunk_stream_id;
  gboolean ok;

  g_return_val_if_fail (RTMP_CORE_IS_CLIENT (client), FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (client->state == STATE_CLOSED && client->close_error) {
    g_propagate_error (error, g_error_copy (client->close_error));
    return FALSE;
  }
  if (client->state != STATE_PUBLISHING) {
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
        "Media can only be sent while publishing");
    return FALSE;
  }
  if (!rtmp_core_message_is_media (msg) &&
      msg->type != RTMP_CORE_MESSAGE_AGGREGATE) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED,
        "Message type %u is not a media message", msg->type);
    return FALSE;
  }

  chunk_stream_id = msg->chunk_stream_id >= 2 ? msg->chunk_stream_id :
      rtmp_core_flv_default_chunk_stream (msg->type);
  payload = rtmp_core_message_get_payload (msg);
  if (is_bare_on_metadata (msg)) {
    GBytes *prefixed = rtmp_core_data_add_set_data_frame (payload);

    g_bytes_unref (payload);
    payload = prefixed;
  }
  out = rtmp_core_message_new (msg->type, chunk_stream_id, client->stream_id,
      msg->timestamp, payload);
  g_bytes_unref (payload);
  ok = rtmp_core_connection_queue_message (client->conn, out, error);
  rtmp_core_message_unref (out);
  return ok;
}

/* ---- stop ---- */

static void
stop_closed (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GTask *task = user_data;
  RtmpCoreClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (rtmp_core_connection_close_gracefully_finish (RTMP_CORE_CONNECTION
          (source), result, &error)) {
    g_debug ("everything sent, connection closed");
    client_close (self, NULL);
    g_task_return_boolean (task, TRUE);
  } else {
    client_close (self, error);
    g_task_return_error (task, error);
  }
  g_object_unref (task);
}

static gboolean
stop_send_commands (RtmpCoreClient * self, GError ** error)
{
  RtmpCoreCommand *cmd;
  gboolean ok = TRUE;

  if (self->publisher)
    ok = client_send_stream_notice (self, "FCUnpublish", error);
  if (ok) {
    cmd = client_new_command (self, "deleteStream", FALSE);
    command_take_number (cmd, self->stream_id);
    ok = client_send_command (self, cmd, CONTROL_CHUNK_STREAM, 0, error);
    rtmp_core_command_unref (cmd);
  }
  return ok;
}

/**
 * rtmp_core_client_stop_async:
 * @client: a client
 * @cancellable: (nullable): closes the connection at once instead of waiting
 * @callback: (scope async): called in the client's context when done
 * @user_data: (closure): data for @callback
 *
 * Ends the session. A publisher sends `FCUnpublish` and `deleteStream`, a
 * player `deleteStream`; then the connection is closed gracefully with
 * rtmp_core_connection_close_gracefully_async(): every queued byte is
 * written, our side is shut down, and the client keeps reading until the
 * server closes its side (at most #RtmpCoreClient:timeout seconds), so
 * that the server reads the tail of the stream. An unfinished connect,
 * publish or play fails with %RTMP_CORE_ERROR_CLOSED; stopping a client
 * that is not connected succeeds at once.
 *
 * Since: 0.1
 */
void
rtmp_core_client_stop_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task;
  GError *error = NULL;

  g_return_if_fail (RTMP_CORE_IS_CLIENT (client));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (client, cancellable, callback, user_data);
  g_task_set_source_tag (task, rtmp_core_client_stop_async);

  switch (client->state) {
    case STATE_STOPPING:
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
          "The client is already stopping");
      break;
    case STATE_CONNECTED:
    case STATE_PUBLISHING:
    case STATE_PLAYING:
      if (client->state == STATE_CONNECTED ||
          stop_send_commands (client, &error)) {
        client->state = STATE_STOPPING;
        rtmp_core_connection_close_gracefully_async (client->conn,
            client->timeout * 1000, cancellable, stop_closed, task);
        return;
      }
      client_close (client, error);
      g_task_return_error (task, error);
      break;
    default:
      if (client->op)
        op_complete (client, g_error_new (RTMP_CORE_ERROR,
                RTMP_CORE_ERROR_CLOSED, "The client was stopped"));
      client_close (client, NULL);
      g_task_return_boolean (task, TRUE);
      break;
  }
  g_object_unref (task);
}

/**
 * rtmp_core_client_stop_finish:
 * @client: a client
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes rtmp_core_client_stop_async(). Whatever the result, the
 * connection is closed by then; an error means that some queued data may
 * not have reached the stream. %G_IO_ERROR_PENDING means a stop was
 * already under way; that earlier stop closes the connection.
 *
 * Returns: %TRUE when everything queued was written and our side shut
 *   down before closing (the server then closed, or did not within the
 *   timeout); %FALSE with %RTMP_CORE_ERROR_TIMEOUT when the server accepted
 *   no data for #RtmpCoreClient:timeout seconds, %G_IO_ERROR_CANCELLED,
 *   or the error that closed the connection
 *
 * Since: 0.1
 */
gboolean
rtmp_core_client_stop_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (g_task_is_valid (result, client), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_client_stop_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- accessors ---- */

/**
 * rtmp_core_client_new:
 * @url: where to connect; copied
 *
 * Makes a client bound to the thread-default #GMainContext.
 *
 * Returns: (transfer full): a new client
 *
 * Since: 0.1
 */
RtmpCoreClient *
rtmp_core_client_new (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return g_object_new (RTMP_CORE_TYPE_CLIENT, "url", url, NULL);
}

/**
 * rtmp_core_client_get_url:
 * @client: a client
 *
 * Gets the location the client was made with (the #RtmpCoreClient:url
 * property, fixed at construction). It includes any password and stream
 * key: log it with rtmp_core_url_to_masked_string() only.
 *
 * Returns: (transfer none): the client's copy of the location
 *
 * Since: 0.1
 */
const RtmpCoreUrl *
rtmp_core_client_get_url (RtmpCoreClient * client)
{
  g_return_val_if_fail (RTMP_CORE_IS_CLIENT (client), NULL);
  return client->url;
}

/**
 * rtmp_core_client_set_extra_connect_args:
 * @client: a client
 * @args: (nullable): an AMF value (usually an object), or %NULL for none
 *
 * Sets a value appended to `connect` as an extra argument after the
 * command object, as servers that authenticate through connect arguments
 * expect. The value is referenced; do not change it afterwards.
 *
 * Since: 0.1
 */
void
rtmp_core_client_set_extra_connect_args (RtmpCoreClient * client,
    RtmpCoreAmfValue * args)
{
  g_return_if_fail (RTMP_CORE_IS_CLIENT (client));

  if (args)
    rtmp_core_amf_value_ref (args);
  g_clear_pointer (&client->extra_connect_args, rtmp_core_amf_value_unref);
  client->extra_connect_args = args;
}

/**
 * rtmp_core_client_get_connection:
 * @client: a client
 *
 * Gets the connection the client runs over, e.g. to read its statistics
 * with rtmp_core_connection_get_stats() or watch its queue. It is kept
 * after the client stops, until the client is finalized. Media should go
 * through rtmp_core_client_send_media(), which sets the right stream id.
 *
 * Returns: (transfer none) (nullable): the connection once the TCP
 *   connection is up, else %NULL
 *
 * Since: 0.1
 */
RtmpCoreConnection *
rtmp_core_client_get_connection (RtmpCoreClient * client)
{
  g_return_val_if_fail (RTMP_CORE_IS_CLIENT (client), NULL);
  return client->conn;
}

/**
 * rtmp_core_client_get_stream_id:
 * @client: a client
 *
 * Gets the message stream the client publishes or plays on, for example to
 * build messages by hand or to match them in logs. It keeps its value after
 * the client stops.
 *
 * Returns: the message stream id the server gave in answer to
 *   `createStream`, or 0 before that
 *
 * Since: 0.1
 */
guint32
rtmp_core_client_get_stream_id (RtmpCoreClient * client)
{
  g_return_val_if_fail (RTMP_CORE_IS_CLIENT (client), 0);
  return client->stream_id;
}

/* ---- GObject ---- */

/* Overwrites a secret before its memory goes back to the allocator. */
static void
clear_secret (gchar ** secret)
{
  if (*secret)
    memset (*secret, 0, strlen (*secret));
  g_clear_pointer (secret, g_free);
}

static void
rtmp_core_client_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (object);

  switch (prop_id) {
    case PROP_URL:
      g_clear_pointer (&self->url, rtmp_core_url_free);
      self->url = g_value_dup_boxed (value);
      break;
    case PROP_FLASH_VERSION:
      g_free (self->flash_version);
      self->flash_version = g_value_dup_string (value);
      if (self->flash_version == NULL)
        self->flash_version = g_strdup (RTMP_CORE_DEFAULT_FLASH_VERSION);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      self->tls_validation_flags = g_value_get_flags (value);
      break;
    case PROP_TLS_DATABASE:
      g_clear_object (&self->tls_database);
      self->tls_database = g_value_dup_object (value);
      break;
    case PROP_TIMEOUT:
      self->timeout = g_value_get_uint (value);
      break;
    case PROP_CHUNK_SIZE:
      self->chunk_size = g_value_get_uint (value);
      break;
    case PROP_HANDSHAKE_MODE:
      self->handshake_mode = g_value_get_enum (value);
      break;
    case PROP_FOURCC_LIST:
      g_strfreev (self->fourcc_list);
      self->fourcc_list = g_value_dup_boxed (value);
      break;
    case PROP_WINDOW_ACK_SIZE:
      self->window_ack_size = g_value_get_uint (value);
      break;
    case PROP_BUFFER_LENGTH:
      self->buffer_length = g_value_get_uint (value);
      break;
    case PROP_AUTHMOD:
      self->authmod = g_value_get_enum (value);
      break;
    case PROP_USERNAME:
      g_free (self->username);
      self->username = g_value_dup_string (value);
      break;
    case PROP_PASSWORD:
      clear_secret (&self->password);
      self->password = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
rtmp_core_client_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (object);

  switch (prop_id) {
    case PROP_URL:
      g_value_set_boxed (value, self->url);
      break;
    case PROP_FLASH_VERSION:
      g_value_set_string (value, self->flash_version);
      break;
    case PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags (value, self->tls_validation_flags);
      break;
    case PROP_TLS_DATABASE:
      g_value_set_object (value, self->tls_database);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, self->timeout);
      break;
    case PROP_CHUNK_SIZE:
      g_value_set_uint (value, self->chunk_size);
      break;
    case PROP_HANDSHAKE_MODE:
      g_value_set_enum (value, self->handshake_mode);
      break;
    case PROP_FOURCC_LIST:
      g_value_set_boxed (value, self->fourcc_list);
      break;
    case PROP_WINDOW_ACK_SIZE:
      g_value_set_uint (value, self->window_ack_size);
      break;
    case PROP_BUFFER_LENGTH:
      g_value_set_uint (value, self->buffer_length);
      break;
    case PROP_AUTHMOD:
      g_value_set_enum (value, self->authmod);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_PASSWORD:
      g_value_set_string (value, self->password);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
rtmp_core_client_dispose (GObject * object)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (object);

  connect_phase_done (self);
  if (self->conn) {
    client_close (self, NULL);
    g_clear_object (&self->conn);
  }
  G_OBJECT_CLASS (rtmp_core_client_parent_class)->dispose (object);
}

static void
rtmp_core_client_finalize (GObject * object)
{
  RtmpCoreClient *self = RTMP_CORE_CLIENT (object);

  /* every wait holds a reference on the client, so none is left here */
  g_hash_table_unref (self->calls);
  g_ptr_array_unref (self->status_waits);
  g_clear_object (&self->connect_cancellable);
  g_clear_error (&self->close_error);
  g_clear_pointer (&self->url, rtmp_core_url_free);
  g_free (self->flash_version);
  g_clear_object (&self->tls_database);
  g_strfreev (self->fourcc_list);
  g_clear_pointer (&self->extra_connect_args, rtmp_core_amf_value_unref);
  g_free (self->username);
  clear_secret (&self->password);
  clear_secret (&self->auth_query);
  clear_secret (&self->auth_response);
  g_main_context_unref (self->context);
  G_OBJECT_CLASS (rtmp_core_client_parent_class)->finalize (object);
}

static void
rtmp_core_client_class_init (RtmpCoreClientClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->set_property = rtmp_core_client_set_property;
  object_class->get_property = rtmp_core_client_get_property;
  object_class->dispose = rtmp_core_client_dispose;
  object_class->finalize = rtmp_core_client_finalize;

  /**
   * RtmpCoreClient:url:
   *
   * The location to connect to (a copy). Set at construction.
   *
   * Since: 0.1
   */
  properties[PROP_URL] = g_param_spec_boxed ("url", "URL",
      "The location to connect to", RTMP_CORE_TYPE_URL,
      G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  /**
   * RtmpCoreClient:flash-version:
   *
   * The flashVer sent in `connect`. %NULL restores the default.
   *
   * Since: 0.1
   */
  properties[PROP_FLASH_VERSION] = g_param_spec_string ("flash-version",
      "Flash version", "The flashVer sent in connect",
      RTMP_CORE_DEFAULT_FLASH_VERSION, rw);

  /**
   * RtmpCoreClient:tls-validation-flags:
   *
   * Which certificate checks must pass for rtmps. A certificate failing
   * only checks outside these flags is accepted.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_VALIDATION_FLAGS] =
      g_param_spec_flags ("tls-validation-flags", "TLS validation flags",
      "Which server certificate checks must pass for rtmps",
      G_TYPE_TLS_CERTIFICATE_FLAGS, G_TLS_CERTIFICATE_VALIDATE_ALL, rw);

  /**
   * RtmpCoreClient:tls-database:
   *
   * The certificate database used to verify the server for rtmps, or
   * %NULL for the system default.
   *
   * Since: 0.1
   */
  properties[PROP_TLS_DATABASE] = g_param_spec_object ("tls-database",
      "TLS database", "Database to verify the server certificate with "
      "(NULL: the system default)", G_TYPE_TLS_DATABASE, rw);

  /**
   * RtmpCoreClient:timeout:
   *
   * Seconds allowed for the TCP/TLS connect plus the handshake, and for
   * each command round trip.
   *
   * Since: 0.1
   */
  properties[PROP_TIMEOUT] = g_param_spec_uint ("timeout", "Timeout",
      "Seconds allowed for connect plus handshake, and for each command "
      "round trip", 1, 3600, DEFAULT_TIMEOUT, rw);

  /**
   * RtmpCoreClient:chunk-size:
   *
   * The chunk size announced after the handshake and used for sending;
   * 0 keeps the protocol default of 128.
   *
   * Since: 0.1
   */
  properties[PROP_CHUNK_SIZE] = g_param_spec_uint ("chunk-size",
      "Chunk size", "Chunk size to announce and send with (0: keep 128)",
      0, 0xFFFFFF, DEFAULT_CHUNK_SIZE, rw);

  /**
   * RtmpCoreClient:handshake-mode:
   *
   * The flavour of handshake to send.
   *
   * Since: 0.1
   */
  properties[PROP_HANDSHAKE_MODE] = g_param_spec_enum ("handshake-mode",
      "Handshake mode", "Plain or digest (Flash style) handshake",
      rtmp_core_handshake_mode_get_type (), RTMP_CORE_HANDSHAKE_PLAIN, rw);

  /**
   * RtmpCoreClient:fourcc-list:
   *
   * The Enhanced RTMP codecs to announce as `fourCcList` in `connect`
   * (e.g. "hvc1", "av01", or "*"); %NULL sends no list.
   *
   * Since: 0.1
   */
  properties[PROP_FOURCC_LIST] = g_param_spec_boxed ("fourcc-list",
      "FourCC list", "Enhanced RTMP codecs announced in connect "
      "(NULL: none)", G_TYPE_STRV, rw);

  /**
   * RtmpCoreClient:window-ack-size:
   *
   * The acknowledgement window announced after the handshake; 0 announces
   * none.
   *
   * Since: 0.1
   */
  properties[PROP_WINDOW_ACK_SIZE] = g_param_spec_uint ("window-ack-size",
      "Window ack size", "Acknowledgement window to announce in bytes "
      "(0: none)", 0, G_MAXUINT32, RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE, rw);

  /**
   * RtmpCoreClient:buffer-length:
   *
   * The buffer length in milliseconds a player announces before `play`.
   *
   * Since: 0.1
   */
  properties[PROP_BUFFER_LENGTH] = g_param_spec_uint ("buffer-length",
      "Buffer length", "Buffer length in ms announced before play",
      0, G_MAXUINT32, DEFAULT_BUFFER_LENGTH, rw);

  /**
   * RtmpCoreClient:authmod:
   *
   * How to authenticate. With %RTMP_CORE_AUTHMOD_AUTO the client first
   * connects without credentials and, when the server's rejection names
   * the Adobe or Limelight scheme and a user name and password are known,
   * reconnects to answer it, as ffmpeg and GStreamer's rtmp2 do.
   * %RTMP_CORE_AUTHMOD_ADOBE and %RTMP_CORE_AUTHMOD_LLNW name the user in
   * the first connect and accept no other scheme.
   *
   * Since: 0.1
   */
  properties[PROP_AUTHMOD] = g_param_spec_enum ("authmod",
      "Authentication mode", "How to authenticate: none, auto (answer the "
      "scheme the server asks for), adobe or llnw", RTMP_CORE_TYPE_AUTHMOD,
      RTMP_CORE_AUTHMOD_AUTO, rw);

  /**
   * RtmpCoreClient:username:
   *
   * The user name to authenticate with; %NULL takes the one in the
   * location (`rtmp://user:pass@host/...`).
   *
   * Since: 0.1
   */
  properties[PROP_USERNAME] = g_param_spec_string ("username", "User name",
      "User name to authenticate with (NULL: the location's)", NULL, rw);

  /**
   * RtmpCoreClient:password:
   *
   * The password to authenticate with; %NULL takes the one in the
   * location. It never appears in errors or logs.
   *
   * Since: 0.1
   */
  properties[PROP_PASSWORD] = g_param_spec_string ("password", "Password",
      "Password to authenticate with (NULL: the location's)", NULL, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rtmp_core_client_init (RtmpCoreClient * self)
{
  self->context = g_main_context_ref_thread_default ();
  self->flash_version = g_strdup (RTMP_CORE_DEFAULT_FLASH_VERSION);
  self->tls_validation_flags = G_TLS_CERTIFICATE_VALIDATE_ALL;
  self->timeout = DEFAULT_TIMEOUT;
  self->chunk_size = DEFAULT_CHUNK_SIZE;
  self->handshake_mode = RTMP_CORE_HANDSHAKE_PLAIN;
  self->window_ack_size = RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE;
  self->buffer_length = DEFAULT_BUFFER_LENGTH;
  self->authmod = RTMP_CORE_AUTHMOD_AUTO;
  self->next_transaction_id = 1;
  self->calls = g_hash_table_new (NULL, NULL);
  self->status_waits = g_ptr_array_new ();
}
