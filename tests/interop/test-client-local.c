/* RtmpCoreClient against a tiny in-process server built from an
 * RtmpCoreConnection in the server role, on 127.0.0.1 with a free port.
 * The server answers with hand-built commands and records everything it
 * receives, so the tests check the client's wire behaviour. */
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <rtmpcore.h>

#define STREAM_KEY "s3cr3t-key"
#define AUTH_USER "publisher"
#define AUTH_PASSWORD "pa55-w0rd"
/* distinct, so the test sees which one the client answers */
#define AUTH_SALT "c2FsdA=="
#define AUTH_CHALLENGE "Y2hhbGxlbmdl"
#define AUTH_OPAQUE "b3BhcXVl"
#define AUTH_NONCE "bm9uY2U"
#define SERVER_STREAM_ID 7
#define N_MEDIA 200
#define MEDIA_SIZE 16000

/* A self-signed certificate for 127.0.0.1 (valid 2000-2100) and its key,
 * made for this test only. */
static const gchar test_cert_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBZjCCAQ2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w\n"
    "LjEwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM\n"
    "CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCK7jpzQEyfo/6dN\n"
    "NES1geXu1T9VhfHo+hJrMj9opl9Gp017lnfwdmbUhYx0JGU7UBFzH3FrxsHll43P\n"
    "HOMPCBejTjBMMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9j\n"
    "YWxob3N0MB0GA1UdDgQWBBQI2/rheXW7Yw6YSdP61axMrMy03zAKBggqhkjOPQQD\n"
    "AgNHADBEAiBViaw39Ph3Z55RA2vbjnFS9B97NwwXpUb7PMRrHfWclgIgduMPmZzO\n"
    "s8Vx3ecIweOfm4ai9Y7NPl4UXqpZaqrY7qc=\n"
    "-----END CERTIFICATE-----\n";

static const gchar test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtp+EWbVQP+u8H2tA\n"
    "SnLyKvl/VUVT+Szw7XP3SZvHcGKhRANCAAQiu46c0BMn6P+nTTREtYHl7tU/VYXx\n"
    "6PoSazI/aKZfRqdNe5Z38HZm1IWMdCRlO1ARcx9xa8bB5ZeNzxzjDwgX\n"
    "-----END PRIVATE KEY-----\n";

typedef enum
{
  SERVER_ACCEPT,
  SERVER_SILENT,                /* never answers connect */
  SERVER_REJECT_AUTH,           /* _error to connect asking for authmod */
  SERVER_REJECT_STATUS,         /* onStatus NetConnection.Connect.Rejected */
  SERVER_BAD_NAME,              /* publish: NetStream.Publish.BadName */
  SERVER_UNAUTHORIZED,          /* publish: NetStream.Publish.Unauthorized */
  SERVER_NOT_FOUND,             /* play: NetStream.Play.StreamNotFound */
  SERVER_CLOSE_ON_CREATE,       /* closes the connection on createStream */
  SERVER_ADOBE_AUTH,            /* demands Adobe authentication */
  SERVER_LLNW_AUTH,             /* demands Limelight authentication */
  SERVER_SPAM,                  /* floods the publisher with pings and data */
} ServerMode;

typedef struct
{
  ServerMode mode;
  GTlsCertificate *certificate; /* set: the server speaks rtmps */
  GSocketService *service;
  guint16 port;
  RtmpCoreConnection *conn;
  gboolean closed;
  GError *closed_error;         /* why the last connection closed */
  guint n_connections;
  GPtrArray *connect_apps;      /* gchar*: "app" of each connect */
  GPtrArray *connect_tc_urls;   /* gchar*: "tcUrl" of each connect */

  /* what the server received, in order */
  GPtrArray *commands;          /* RtmpCoreCommand */
  GArray *command_streams;      /* guint32 message stream of each command */
  GPtrArray *media;             /* owned RtmpCoreMessage */
  /* gchar*: "command:NAME", "media" or "user:EVENT" */
  GPtrArray *events;
  guint32 buffer_length_stream;
  guint32 buffer_length_ms;
  guint n_media_before_unpublish;
} Server;

/* ---- server ---- */

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
server_send (Server * server, RtmpCoreCommand * cmd, guint32 stream_id)
{
  RtmpCoreMessage *msg = rtmp_core_command_to_message (cmd, 3, stream_id);
  GError *error = NULL;

  g_assert_true (rtmp_core_connection_queue_message (server->conn, msg,
          &error));
  g_assert_no_error (error);
  rtmp_core_message_unref (msg);
  rtmp_core_command_unref (cmd);
}

/* name (transaction, null, info) */
static void
server_send_reply (Server * server, const gchar * name, gdouble transaction,
    RtmpCoreAmfValue * arg, guint32 stream_id)
{
  RtmpCoreAmfValue *null = rtmp_core_amf_value_new_null ();
  RtmpCoreCommand *cmd = rtmp_core_command_new (name, transaction, null);

  rtmp_core_amf_value_unref (null);
  if (arg)
    rtmp_core_command_take_argument (cmd, arg);
  server_send (server, cmd, stream_id);
}

static void
server_send_status (Server * server, guint32 stream_id, const gchar * level,
    const gchar * code, const gchar * description)
{
  server_send_reply (server, "onStatus", 0,
      status_object (level, code, description), stream_id);
}

/* ---- an authenticating server, as FMS and Wowza behave ---- */

static gchar *
b64_md5 (const gchar * text)
{
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize len = sizeof (digest);
  gchar *out;

  g_checksum_update (md5, (const guchar *) text, -1);
  g_checksum_get_digest (md5, digest, &len);
  out = g_base64_encode (digest, len);
  g_checksum_free (md5);
  return out;
}

/* base64 (md5 (base64 (md5 (user salt password)) opaque client_challenge)) */
static gchar *
expected_adobe_response (const gchar * client_challenge)
{
  gchar *hash = b64_md5 (AUTH_USER AUTH_SALT AUTH_PASSWORD);
  gchar *second = g_strconcat (hash, AUTH_OPAQUE, client_challenge, NULL);
  gchar *response = b64_md5 (second);

  g_free (hash);
  g_free (second);
  return response;
}

/* RFC 2617 digest: realm "live", method "publish", URI /live/_definst_ */
static gchar *
expected_llnw_response (const gchar * cnonce)
{
  gchar *ha1 = g_compute_checksum_for_string (G_CHECKSUM_MD5,
      AUTH_USER ":live:" AUTH_PASSWORD, -1);
  gchar *ha2 = g_compute_checksum_for_string (G_CHECKSUM_MD5,
      "publish:/live/_definst_", -1);
  gchar *kd = g_strdup_printf ("%s:" AUTH_NONCE ":00000001:%s:auth:%s", ha1,
      cnonce, ha2);
  gchar *response = g_compute_checksum_for_string (G_CHECKSUM_MD5, kd, -1);

  g_free (ha1);
  g_free (ha2);
  g_free (kd);
  return response;
}

static void
server_reject (Server * server, gdouble id, const gchar * description)
{
  server_send_reply (server, "_error", id, status_object ("error",
          "NetConnection.Connect.Rejected", description), 0);
  /* as FMS does: the rejection reaches the client, then the server closes */
  rtmp_core_connection_close_gracefully_async (server->conn, 2000, NULL, NULL,
      NULL);
}

/* TRUE when the query of @app passes the authentication of the server's
 * mode; otherwise sends the rejection that moves the client on. */
static gboolean
server_authenticate (Server * server, gdouble id, const gchar * app,
    const gchar * tc_url)
{
  const gchar *query = strchr (app, '?');
  const gchar *scheme = server->mode == SERVER_ADOBE_AUTH ? "adobe" : "llnw";
  GHashTable *params = NULL;
  const gchar *user, *response;
  gchar *description = NULL, *want;
  gboolean ok = FALSE;

  /* the tcUrl carries the same query */
  g_assert_true (query == NULL || g_str_has_suffix (tc_url, query));
  if (query)
    params = g_uri_parse_params (query + 1, -1, "&", G_URI_PARAMS_NONE, NULL);
  if (params == NULL || g_strcmp0 (g_hash_table_lookup (params, "authmod"),
          scheme) != 0) {
    description = g_strdup_printf ("[ AccessManager.Reject ] : [ code=403 "
        "need auth; authmod=%s ] : ", scheme);
    goto out;
  }
  user = g_hash_table_lookup (params, "user");
  response = g_hash_table_lookup (params, "response");
  if (g_strcmp0 (user, AUTH_USER) != 0) {
    description = g_strdup_printf ("[ AccessManager.Reject ] : [ authmod=%s "
        "] : ?reason=nosuchuser", scheme);
    goto out;
  }
  if (response == NULL) {
    description = server->mode == SERVER_ADOBE_AUTH ?
        g_strdup ("[ AccessManager.Reject ] : [ authmod=adobe ] : "
        "?reason=needauth&user=" AUTH_USER "&salt=" AUTH_SALT "&challenge="
        AUTH_CHALLENGE "&opaque=" AUTH_OPAQUE) :
        g_strdup ("[ AccessManager.Reject ] : [ authmod=llnw ] : "
        "?reason=needauth&user=" AUTH_USER "&nonce=" AUTH_NONCE);
    goto out;
  }

  if (server->mode == SERVER_ADOBE_AUTH) {
    g_assert_cmpstr (g_hash_table_lookup (params, "opaque"), ==, AUTH_OPAQUE);
    want = expected_adobe_response (g_hash_table_lookup (params,
            "challenge"));
  } else {
    g_assert_cmpstr (g_hash_table_lookup (params, "nonce"), ==, AUTH_NONCE);
    g_assert_cmpstr (g_hash_table_lookup (params, "nc"), ==, "00000001");
    want = expected_llnw_response (g_hash_table_lookup (params, "cnonce"));
  }
  ok = g_str_equal (response, want);
  g_free (want);
  if (!ok)
    description = g_strdup_printf ("[ AccessManager.Reject ] : [ authmod=%s "
        "] : ?reason=authfailed&opaque=" AUTH_OPAQUE, scheme);

out:
  if (description)
    server_reject (server, id, description);
  g_free (description);
  g_clear_pointer (&params, g_hash_table_unref);
  return ok;
}

static void
server_answer_connect (Server * server, RtmpCoreCommand * cmd)
{
  gdouble id = rtmp_core_command_get_transaction_id (cmd);
  RtmpCoreAmfValue *obj = rtmp_core_command_get_object (cmd);
  const gchar *app = rtmp_core_amf_value_lookup_string (obj, "app");
  const gchar *tc_url = rtmp_core_amf_value_lookup_string (obj, "tcUrl");
  RtmpCoreAmfValue *props, *info;
  RtmpCoreCommand *reply;

  g_assert_nonnull (app);
  g_assert_nonnull (tc_url);
  g_ptr_array_add (server->connect_apps, g_strdup (app));
  g_ptr_array_add (server->connect_tc_urls, g_strdup (tc_url));
  if (server->mode == SERVER_SILENT)
    return;
  if ((server->mode == SERVER_ADOBE_AUTH || server->mode == SERVER_LLNW_AUTH)
      && !server_authenticate (server, id, app, tc_url))
    return;
  if (server->mode == SERVER_REJECT_AUTH) {
    server_send_reply (server, "_error", id, status_object ("error",
            "NetConnection.Connect.Rejected",
            "[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth"),
        0);
    return;
  }
  if (server->mode == SERVER_REJECT_STATUS) {
    server_send_status (server, 0, "error", "NetConnection.Connect.Rejected",
        "Banned for a while");
    return;
  }
  /* an unrelated reply first: the client must match by transaction id */
  server_send_reply (server, "_result", 99, NULL, 0);

  props = rtmp_core_amf_value_new_object ();
  rtmp_core_amf_value_take_field (props, "fmsVer",
      rtmp_core_amf_value_new_string ("FMS/3,0,1,123"));
  reply = rtmp_core_command_new ("_result", id, props);
  rtmp_core_amf_value_unref (props);
  info = status_object ("status", "NetConnection.Connect.Success",
      "Connection succeeded.");
  rtmp_core_amf_value_take_field (info, "objectEncoding",
      rtmp_core_amf_value_new_number (0));
  rtmp_core_command_take_argument (reply, info);
  server_send (server, reply, 0);
  server_send_reply (server, "onBWDone", 0, NULL, 0);
}

static void
server_answer_publish (Server * server)
{
  RtmpCoreMessage *begin;
  GError *error = NULL;

  switch (server->mode) {
    case SERVER_BAD_NAME:
      server_send_status (server, SERVER_STREAM_ID, "error",
          "NetStream.Publish.BadName", "Stream " STREAM_KEY " is busy");
      return;
    case SERVER_UNAUTHORIZED:
      server_send_status (server, SERVER_STREAM_ID, "error",
          "NetStream.Publish.Unauthorized", "Wrong key " STREAM_KEY);
      return;
    default:
      break;
  }
  begin = rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_STREAM_BEGIN, SERVER_STREAM_ID, 0);
  g_assert_true (rtmp_core_connection_queue_message (server->conn, begin,
          &error));
  g_assert_no_error (error);
  rtmp_core_message_unref (begin);
  server_send_status (server, SERVER_STREAM_ID, "status",
      "NetStream.Publish.Start", STREAM_KEY " is now published");
}

static void
server_answer_play (Server * server)
{
  if (server->mode == SERVER_NOT_FOUND) {
    server_send_status (server, SERVER_STREAM_ID, "error",
        "NetStream.Play.StreamNotFound", "No such stream " STREAM_KEY);
    return;
  }
  server_send_status (server, SERVER_STREAM_ID, "status",
      "NetStream.Play.Reset", "Resetting");
  server_send_status (server, SERVER_STREAM_ID, "status",
      "NetStream.Play.Start", "Started playing");
}

static void
server_handle_command (Server * server, RtmpCoreCommand * cmd,
    guint32 stream_id)
{
  const gchar *name = rtmp_core_command_get_name (cmd);
  gdouble id = rtmp_core_command_get_transaction_id (cmd);

  g_ptr_array_add (server->commands, rtmp_core_command_ref (cmd));
  g_array_append_val (server->command_streams, stream_id);
  g_ptr_array_add (server->events, g_strconcat ("command:", name, NULL));

  if (g_str_equal (name, "connect")) {
    server_answer_connect (server, cmd);
  } else if (g_str_equal (name, "releaseStream")) {
    /* as nginx-rtmp-less servers do: the client must ignore it */
    server_send_reply (server, "_error", id, status_object ("error",
            "NetConnection.Call.Failed", "Method not found"), 0);
  } else if (g_str_equal (name, "FCPublish")) {
    server_send_reply (server, "onFCPublish", 0, status_object ("status",
            "NetStream.Publish.Start", "FCPublish"), 0);
  } else if (g_str_equal (name, "createStream")) {
    if (server->mode == SERVER_CLOSE_ON_CREATE) {
      rtmp_core_connection_close (server->conn, NULL);
      return;
    }
    server_send_reply (server, "_result", id,
        rtmp_core_amf_value_new_number (SERVER_STREAM_ID), 0);
  } else if (g_str_equal (name, "publish")) {
    server_answer_publish (server);
  } else if (g_str_equal (name, "play")) {
    server_answer_play (server);
  } else if (g_str_equal (name, "FCUnpublish")) {
    server->n_media_before_unpublish = server->media->len;
  }
}

/* Keeps the publisher's receive side busy: a ping and 8 kB of status
 * text for every media message. Refusals (queue full, closed) are fine. */
static void
server_spam (Server * server)
{
  gchar *text = g_strnfill (8000, 'x');
  RtmpCoreCommand *cmd = rtmp_core_command_new ("onStatus", 0, NULL);
  RtmpCoreMessage *msg;

  rtmp_core_command_take_argument (cmd, status_object ("status",
          "NetStream.Data.Spam", text));
  msg = rtmp_core_command_to_message (cmd, 5, SERVER_STREAM_ID);
  rtmp_core_connection_queue_message (server->conn, msg, NULL);
  rtmp_core_connection_ping (server->conn);
  rtmp_core_message_unref (msg);
  rtmp_core_command_unref (cmd);
  g_free (text);
}

static void
server_on_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  Server *server = user_data;
  GError *error = NULL;

  if (msg->type == RTMP_CORE_MESSAGE_COMMAND_AMF0) {
    RtmpCoreCommand *cmd = rtmp_core_command_parse (msg, &error);

    g_assert_no_error (error);
    server_handle_command (server, cmd, msg->stream_id);
    rtmp_core_command_unref (cmd);
  } else if (rtmp_core_message_is_media (msg)) {
    g_ptr_array_add (server->media, rtmp_core_message_copy (msg));
    g_ptr_array_add (server->events, g_strdup ("media"));
    if (server->mode == SERVER_SPAM)
      server_spam (server);
  } else if (msg->type == RTMP_CORE_MESSAGE_USER_CONTROL) {
    guint event;
    guint32 value, value2;

    g_assert_true (rtmp_core_message_parse_user_control (msg, &event, &value,
            &value2, &error));
    g_assert_no_error (error);
    g_ptr_array_add (server->events, g_strdup_printf ("user:%u", event));
    if (event == RTMP_CORE_USER_CONTROL_SET_BUFFER_LENGTH) {
      server->buffer_length_stream = value;
      server->buffer_length_ms = value2;
    }
  }
}

static void
server_on_closed (RtmpCoreConnection * conn, const GError * error,
    gpointer user_data)
{
  Server *server = user_data;

  server->closed = TRUE;
  g_clear_error (&server->closed_error);
  if (error)
    server->closed_error = g_error_copy (error);
}

static void
server_handshake_done (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  Server *server = user_data;
  GError *error = NULL;

  if (!rtmp_core_connection_handshake_finish (RTMP_CORE_CONNECTION (source),
          result, &error)) {
    /* the client gave up first (connect timeout test) */
    g_error_free (error);
    return;
  }
  if (RTMP_CORE_CONNECTION (source) == server->conn)
    rtmp_core_connection_start (server->conn);
}

static gboolean
server_incoming (GSocketService * service, GSocketConnection * connection,
    GObject * source_object, gpointer user_data)
{
  Server *server = user_data;
  GIOStream *stream = g_object_ref (G_IO_STREAM (connection));

  /* an authenticating client reconnects: the last connection is current */
  if (server->conn) {
    g_signal_handlers_disconnect_by_data (server->conn, server);
    if (!rtmp_core_connection_is_closed (server->conn))
      rtmp_core_connection_close (server->conn, NULL);
    g_clear_object (&server->conn);
  }
  server->n_connections++;
  server->closed = FALSE;
  if (server->certificate) {
    GError *error = NULL;

    g_object_unref (stream);
    stream = G_IO_STREAM (g_tls_server_connection_new (G_IO_STREAM
            (connection), server->certificate, &error));
    g_assert_no_error (error);
  }
  server->conn = rtmp_core_connection_new (stream);
  g_object_unref (stream);
  g_signal_connect (server->conn, "message", G_CALLBACK (server_on_message),
      server);
  g_signal_connect (server->conn, "closed", G_CALLBACK (server_on_closed),
      server);
  rtmp_core_connection_handshake_async (server->conn,
      RTMP_CORE_HANDSHAKE_SERVER, RTMP_CORE_HANDSHAKE_PLAIN, NULL,
      server_handshake_done, server);
  return TRUE;
}

static Server *
server_new (ServerMode mode)
{
  Server *server = g_new0 (Server, 1);
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *any_port = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound = NULL;
  GError *error = NULL;

  server->mode = mode;
  server->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service),
      any_port, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL, &bound,
      &error);
  g_assert_no_error (error);
  server->port =
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (server->service, "incoming", G_CALLBACK (server_incoming),
      server);
  g_socket_service_start (server->service);

  server->commands = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_command_unref);
  server->command_streams = g_array_new (FALSE, FALSE, sizeof (guint32));
  server->media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  server->events = g_ptr_array_new_with_free_func (g_free);
  server->connect_apps = g_ptr_array_new_with_free_func (g_free);
  server->connect_tc_urls = g_ptr_array_new_with_free_func (g_free);

  g_object_unref (bound);
  g_object_unref (any_port);
  g_object_unref (loopback);
  return server;
}

static void
server_free (Server * server)
{
  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_object_unref (server->service);
  if (server->conn) {
    g_signal_handlers_disconnect_by_data (server->conn, server);
    if (!rtmp_core_connection_is_closed (server->conn))
      rtmp_core_connection_close (server->conn, NULL);
    g_object_unref (server->conn);
  }
  g_ptr_array_unref (server->commands);
  g_array_unref (server->command_streams);
  g_ptr_array_unref (server->media);
  g_ptr_array_unref (server->events);
  g_ptr_array_unref (server->connect_apps);
  g_ptr_array_unref (server->connect_tc_urls);
  g_clear_error (&server->closed_error);
  g_clear_object (&server->certificate);
  g_free (server);
}

static RtmpCoreCommand *
server_find_command (Server * server, const gchar * name, guint32 * stream_id)
{
  guint i;

  for (i = 0; i < server->commands->len; i++) {
    RtmpCoreCommand *cmd = g_ptr_array_index (server->commands, i);

    if (g_str_equal (rtmp_core_command_get_name (cmd), name)) {
      if (stream_id)
        *stream_id = g_array_index (server->command_streams, guint32, i);
      return cmd;
    }
  }
  return NULL;
}

static gint
server_find_event (Server * server, const gchar * event)
{
  guint i;

  for (i = 0; i < server->events->len; i++)
    if (g_str_equal (g_ptr_array_index (server->events, i), event))
      return i;
  return -1;
}

/* ---- client helpers ---- */

static void
store_result (GObject * source, GAsyncResult * result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
set_flag (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Iterates the default context until *@result is set (or 20 s pass, which
 * fails the test rather than hanging it). */
static void
wait_for_result (GAsyncResult ** result)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (20, set_flag, &expired);

  while (*result == NULL && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (id);
}

static void
wait_for_flag (gboolean * flag)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add_seconds (20, set_flag, &expired);

  while (!*flag && !expired)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (expired);
  g_source_remove (id);
}

static RtmpCoreClient *
client_new_with_userinfo (Server * server, const gchar * userinfo)
{
  gchar *location = g_strdup_printf ("%s://%s%s127.0.0.1:%u/live/" STREAM_KEY,
      server->certificate ? "rtmps" : "rtmp", userinfo ? userinfo : "",
      userinfo ? "@" : "", server->port);
  GError *error = NULL;
  RtmpCoreUrl *url = rtmp_core_url_parse (location, &error);
  RtmpCoreClient *client;

  g_assert_no_error (error);
  client = rtmp_core_client_new (url);
  rtmp_core_url_free (url);
  g_free (location);
  return client;
}

static RtmpCoreClient *
client_new (Server * server)
{
  return client_new_with_userinfo (server, NULL);
}

static gboolean
client_connect (RtmpCoreClient * client, GError ** error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rtmp_core_client_connect_async (client, NULL, store_result, &result);
  wait_for_result (&result);
  ok = rtmp_core_client_connect_finish (client, result, error);
  g_object_unref (result);
  return ok;
}

static gboolean
client_publish (RtmpCoreClient * client, GError ** error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rtmp_core_client_publish_async (client, NULL, store_result, &result);
  wait_for_result (&result);
  ok = rtmp_core_client_publish_finish (client, result, error);
  g_object_unref (result);
  return ok;
}

static gboolean
client_play (RtmpCoreClient * client, GError ** error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rtmp_core_client_play_async (client, NULL, store_result, &result);
  wait_for_result (&result);
  ok = rtmp_core_client_play_finish (client, result, error);
  g_object_unref (result);
  return ok;
}

static gboolean
client_stop (RtmpCoreClient * client, GError ** error)
{
  GAsyncResult *result = NULL;
  gboolean ok;

  rtmp_core_client_stop_async (client, NULL, store_result, &result);
  wait_for_result (&result);
  ok = rtmp_core_client_stop_finish (client, result, error);
  g_object_unref (result);
  return ok;
}

static void
assert_no_secret (const GError * error)
{
  g_assert_nonnull (error);
  g_assert_null (strstr (error->message, STREAM_KEY));
}

/* ---- tests ---- */

static void
test_connect_fields (void)
{
  Server *server = server_new (SERVER_ACCEPT);
  RtmpCoreClient *client = client_new (server);
  const gchar *fourccs[] = { "hvc1", "av01", NULL };
  RtmpCoreAmfValue *extra = rtmp_core_amf_value_new_object ();
  RtmpCoreCommand *connect;
  RtmpCoreAmfValue *obj, *list, *arg;
  gchar *tc_url;
  gdouble number;
  guint32 stream_id = G_MAXUINT32;
  GError *error = NULL;

  g_object_set (client, "fourcc-list", fourccs, NULL);
  rtmp_core_amf_value_take_field (extra, "token",
      rtmp_core_amf_value_new_string ("t0k3n"));
  rtmp_core_client_set_extra_connect_args (client, extra);
  rtmp_core_amf_value_unref (extra);

  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);

  connect = server_find_command (server, "connect", &stream_id);
  g_assert_nonnull (connect);
  g_assert_cmpuint (stream_id, ==, 0);
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (connect), ==, 1);
  obj = rtmp_core_command_get_object (connect);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "app"), ==,
      "live");
  tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live", server->port);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "tcUrl"), ==,
      tc_url);
  g_free (tc_url);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "flashVer"), ==,
      RTMP_CORE_DEFAULT_FLASH_VERSION);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (obj, "type"), ==,
      "nonprivate");
  g_assert_true (rtmp_core_amf_value_lookup_number (obj, "objectEncoding",
          &number));
  g_assert_cmpfloat (number, ==, 0);
  g_assert_true (rtmp_core_amf_value_lookup_number (obj, "videoCodecs",
          &number));
  g_assert_cmpfloat (number, ==, 252);

  list = rtmp_core_amf_value_get_field (obj, "fourCcList");
  g_assert_nonnull (list);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (list), ==,
      RTMP_CORE_AMF_STRICT_ARRAY);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (list), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (list, 0)), ==, "hvc1");
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (list, 1)), ==, "av01");

  /* the extra arguments come after the command object */
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (connect), ==, 1);
  arg = rtmp_core_command_get_argument (connect, 0);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (arg, "token"), ==,
      "t0k3n");

  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  g_object_unref (client);
  server_free (server);
}

static RtmpCoreMessage *
make_media (guint i)
{
  guint8 type = i % 3 == 0 ? RTMP_CORE_MESSAGE_AUDIO :
      RTMP_CORE_MESSAGE_VIDEO;
  gsize size = type == RTMP_CORE_MESSAGE_AUDIO ? 300 : MEDIA_SIZE + i;
  guint8 *data = g_malloc (size);
  gsize j;

  for (j = 0; j < size; j++)
    data[j] = (guint8) (i * 31 + j);
  /* chunk stream 0: the client picks one; stream id 0: the client sets it */
  return rtmp_core_message_new_take (type, 0, 0, i * 20, data, size);
}

static RtmpCoreMessage *
make_metadata (void)
{
  RtmpCoreAmfValue *name = rtmp_core_amf_value_new_string ("onMetaData");
  RtmpCoreAmfValue *meta = rtmp_core_amf_value_new_ecma_array ();
  GByteArray *out = g_byte_array_new ();
  gsize size;
  guint8 *data;

  rtmp_core_amf_value_take_field (meta, "width",
      rtmp_core_amf_value_new_number (320));
  rtmp_core_amf0_encode (out, name);
  rtmp_core_amf0_encode (out, meta);
  rtmp_core_amf_value_unref (name);
  rtmp_core_amf_value_unref (meta);
  size = out->len;
  data = g_byte_array_free (out, FALSE);
  return rtmp_core_message_new_take (RTMP_CORE_MESSAGE_DATA_AMF0, 0, 0, 0,
      data, size);
}

static void
test_publish_and_stop (void)
{
  Server *server = server_new (SERVER_ACCEPT);
  RtmpCoreClient *client = client_new (server);
  RtmpCoreCommand *cmd, *release, *fcpublish, *create;
  RtmpCoreMessage *meta, *sent, *got;
  RtmpCoreAmfValue *arg;
  GPtrArray *data_values;
  guint32 stream_id;
  gint unpublish_at, delete_at;
  guint i;
  GError *error = NULL;

  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (client_publish (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_client_get_stream_id (client), ==,
      SERVER_STREAM_ID);

  /* releaseStream, FCPublish and createStream carry distinct increasing
   * transaction ids after connect's 1 */
  release = server_find_command (server, "releaseStream", NULL);
  fcpublish = server_find_command (server, "FCPublish", NULL);
  create = server_find_command (server, "createStream", NULL);
  g_assert_nonnull (release);
  g_assert_nonnull (fcpublish);
  g_assert_nonnull (create);
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (release), >, 1);
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (fcpublish), >,
      rtmp_core_command_get_transaction_id (release));
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id (create), >,
      rtmp_core_command_get_transaction_id (fcpublish));
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (release, 0)), ==, STREAM_KEY);

  /* publish (name, "live") on the stream the server chose */
  cmd = server_find_command (server, "publish", &stream_id);
  g_assert_nonnull (cmd);
  g_assert_cmpuint (stream_id, ==, SERVER_STREAM_ID);
  g_assert_cmpuint (rtmp_core_command_get_n_arguments (cmd), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (cmd, 0)), ==, STREAM_KEY);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (cmd, 1)), ==, "live");

  meta = make_metadata ();
  g_assert_true (rtmp_core_client_send_media (client, meta, &error));
  g_assert_no_error (error);
  for (i = 0; i < N_MEDIA; i++) {
    sent = make_media (i);
    g_assert_true (rtmp_core_client_send_media (client, sent, &error));
    g_assert_no_error (error);
    rtmp_core_message_unref (sent);
  }
  /* stop right away: the flush must deliver everything still queued */
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  wait_for_flag (&server->closed);

  g_assert_cmpuint (server->media->len, ==, N_MEDIA + 1);
  got = g_ptr_array_index (server->media, 0);
  g_assert_cmpuint (got->type, ==, RTMP_CORE_MESSAGE_DATA_AMF0);
  g_assert_cmpuint (got->stream_id, ==, SERVER_STREAM_ID);
  data_values = rtmp_core_data_message_parse (got, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (data_values->len, ==, 3);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (g_ptr_array_index (data_values, 0)), ==, "@setDataFrame");
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (g_ptr_array_index (data_values, 1)), ==, "onMetaData");
  g_ptr_array_unref (data_values);
  rtmp_core_message_unref (meta);

  for (i = 0; i < N_MEDIA; i++) {
    gsize sent_size, got_size;
    const guint8 *sent_data, *got_data;

    sent = make_media (i);
    got = g_ptr_array_index (server->media, i + 1);
    g_assert_cmpuint (got->type, ==, sent->type);
    g_assert_cmpuint (got->stream_id, ==, SERVER_STREAM_ID);
    g_assert_cmpuint (got->timestamp, ==, sent->timestamp);
    g_assert_cmpuint (got->chunk_stream_id, ==,
        sent->type == RTMP_CORE_MESSAGE_AUDIO ? 4 : 6);
    sent_data = rtmp_core_message_peek_data (sent, &sent_size);
    got_data = rtmp_core_message_peek_data (got, &got_size);
    g_assert_cmpmem (got_data, got_size, sent_data, sent_size);
    rtmp_core_message_unref (sent);
  }

  /* FCUnpublish (name) then deleteStream (7), after all the media */
  g_assert_cmpuint (server->n_media_before_unpublish, ==, N_MEDIA + 1);
  cmd = server_find_command (server, "FCUnpublish", &stream_id);
  g_assert_nonnull (cmd);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (cmd, 0)), ==, STREAM_KEY);
  cmd = server_find_command (server, "deleteStream", &stream_id);
  g_assert_nonnull (cmd);
  g_assert_cmpuint (stream_id, ==, 0);
  arg = rtmp_core_command_get_argument (cmd, 0);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (arg), ==,
      SERVER_STREAM_ID);
  unpublish_at = server_find_event (server, "command:FCUnpublish");
  delete_at = server_find_event (server, "command:deleteStream");
  g_assert_cmpint (unpublish_at, >, 0);
  g_assert_cmpint (delete_at, >, unpublish_at);
  g_assert_cmpint (delete_at, ==, (gint) server->events->len - 1);

  /* after stop, nothing more can be sent */
  sent = make_media (0);
  g_assert_false (rtmp_core_client_send_media (client, sent, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  rtmp_core_message_unref (sent);

  g_object_unref (client);
  server_free (server);
}

static void
check_publish_refused (ServerMode mode, gint code, const gchar * status)
{
  Server *server = server_new (mode);
  RtmpCoreClient *client = client_new (server);
  GError *error = NULL;

  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (client_publish (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, code);
  g_assert_nonnull (strstr (error->message, status));
  /* the description echoed the key: it must come out masked */
  assert_no_secret (error);
  g_assert_nonnull (strstr (error->message, "s3****"));
  g_clear_error (&error);

  /* the failed client is closed; stopping it still succeeds */
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  g_object_unref (client);
  server_free (server);
}

static void
test_publish_bad_name (void)
{
  check_publish_refused (SERVER_BAD_NAME, RTMP_CORE_ERROR_REFUSED,
      "NetStream.Publish.BadName");
}

static void
test_publish_unauthorized (void)
{
  check_publish_refused (SERVER_UNAUTHORIZED, RTMP_CORE_ERROR_UNAUTHORIZED,
      "NetStream.Publish.Unauthorized");
}

static void
test_connect_timeout (void)
{
  Server *server = server_new (SERVER_SILENT);
  RtmpCoreClient *client = client_new (server);
  GError *error = NULL;

  g_object_set (client, "timeout", 1, NULL);
  g_assert_false (client_connect (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT);
  assert_no_secret (error);
  g_clear_error (&error);
  g_object_unref (client);
  server_free (server);
}

static void
test_connect_rejected_authmod (void)
{
  Server *server = server_new (SERVER_REJECT_AUTH);
  RtmpCoreClient *client = client_new (server);
  GError *error = NULL;

  g_assert_false (client_connect (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "NetConnection.Connect.Rejected"));
  g_assert_nonnull (strstr (error->message, "authmod=adobe"));
  assert_no_secret (error);
  g_clear_error (&error);
  g_object_unref (client);
  server_free (server);
}

/* Some servers reject with an onStatus instead of an _error. */
static void
test_connect_rejected_status (void)
{
  Server *server = server_new (SERVER_REJECT_STATUS);
  RtmpCoreClient *client = client_new (server);
  GError *error = NULL;

  g_assert_false (client_connect (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "NetConnection.Connect.Rejected"));
  g_assert_nonnull (strstr (error->message, "Banned for a while"));
  assert_no_secret (error);
  g_clear_error (&error);
  g_object_unref (client);
  server_free (server);
}

static void
test_closed_while_waiting (void)
{
  Server *server = server_new (SERVER_CLOSE_ON_CREATE);
  RtmpCoreClient *client = client_new (server);
  GError *error = NULL;

  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (client_publish (client, &error));
  /* the connection's own error, not a timeout */
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  assert_no_secret (error);
  g_clear_error (&error);
  g_object_unref (client);
  server_free (server);
}

/* A listening socket that never accepts: the kernel completes the TCP
 * handshake, but no S0/S1 ever comes back. */
static void
test_handshake_timeout (void)
{
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *address = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound;
  GSocket *socket;
  RtmpCoreUrl *url;
  RtmpCoreClient *client;
  GAsyncResult *result = NULL;
  GError *error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, TRUE, &error);
  g_assert_no_error (error);
  g_socket_listen (socket, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);

  url = rtmp_core_url_new (RTMP_CORE_SCHEME_RTMP, "127.0.0.1",
      g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)), "live",
      STREAM_KEY);
  client = rtmp_core_client_new (url);
  g_object_set (client, "timeout", 1, NULL);
  rtmp_core_client_connect_async (client, NULL, store_result, &result);
  wait_for_result (&result);
  g_assert_false (rtmp_core_client_connect_finish (client, result, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT);
  assert_no_secret (error);
  g_clear_error (&error);

  g_object_unref (result);
  g_object_unref (client);
  rtmp_core_url_free (url);
  g_socket_close (socket, NULL);
  g_object_unref (socket);
  g_object_unref (bound);
  g_object_unref (address);
  g_object_unref (loopback);
}

static gboolean
cancel_soon (gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
  return G_SOURCE_REMOVE;
}

/* Cancelling while connect waits for its answer. */
static void
test_connect_cancelled (void)
{
  Server *server = server_new (SERVER_SILENT);
  RtmpCoreClient *client = client_new (server);
  GCancellable *cancellable = g_cancellable_new ();
  GAsyncResult *result = NULL;
  GError *error = NULL;

  rtmp_core_client_connect_async (client, cancellable, store_result, &result);
  g_timeout_add (100, cancel_soon, cancellable);
  wait_for_result (&result);
  g_assert_false (rtmp_core_client_connect_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (server_find_command (server, "createStream", NULL));

  /* a client connects once */
  g_clear_object (&result);
  rtmp_core_client_connect_async (client, NULL, store_result, &result);
  wait_for_result (&result);
  g_assert_false (rtmp_core_client_connect_finish (client, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_clear_error (&error);

  g_object_unref (result);
  g_object_unref (cancellable);
  g_object_unref (client);
  server_free (server);
}

/* Publishing before connecting is refused, not crashed on. */
static void
test_publish_not_connected (void)
{
  Server *server = server_new (SERVER_ACCEPT);
  RtmpCoreClient *client = client_new (server);
  RtmpCoreMessage *msg = make_media (1);
  GError *error = NULL;

  g_assert_false (client_publish (client, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_false (rtmp_core_client_send_media (client, msg, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
  g_clear_error (&error);
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);

  rtmp_core_message_unref (msg);
  g_object_unref (client);
  server_free (server);
}

static Server *
tls_server_new (void)
{
  Server *server;
  gchar *pem;
  GError *error = NULL;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    return NULL;
  server = server_new (SERVER_ACCEPT);
  pem = g_strconcat (test_cert_pem, test_key_pem, NULL);
  server->certificate = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_free (pem);
  return server;
}

/* A self-signed certificate is refused by default... */
static void
test_tls_untrusted (void)
{
  Server *server = tls_server_new ();
  RtmpCoreClient *client;
  GError *error = NULL;

  if (server == NULL) {
    g_test_skip ("no TLS backend (glib-networking)");
    return;
  }
  client = client_new (server);
  g_assert_false (client_connect (client, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);
  g_assert_null (server_find_command (server, "connect", NULL));
  g_object_unref (client);
  server_free (server);
}

/* ...accepted when the only failing check is switched off... */
static void
test_tls_unknown_ca_allowed (void)
{
  Server *server = tls_server_new ();
  RtmpCoreClient *client;
  RtmpCoreCommand *connect;
  gchar *tc_url;
  GError *error = NULL;

  if (server == NULL) {
    g_test_skip ("no TLS backend (glib-networking)");
    return;
  }
  client = client_new (server);
  g_object_set (client, "tls-validation-flags",
      G_TLS_CERTIFICATE_VALIDATE_ALL & ~G_TLS_CERTIFICATE_UNKNOWN_CA, NULL);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  connect = server_find_command (server, "connect", NULL);
  g_assert_nonnull (connect);
  tc_url = g_strdup_printf ("rtmps://127.0.0.1:%u/live", server->port);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string
      (rtmp_core_command_get_object (connect), "tcUrl"), ==, tc_url);
  g_free (tc_url);
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  g_object_unref (client);
  server_free (server);
}

/* ...and trusted with full validation once it is in the database. */
static void
test_tls_database (void)
{
  Server *server = tls_server_new ();
  RtmpCoreClient *client;
  GTlsDatabase *database;
  gchar *anchors;
  gint fd;
  GError *error = NULL;

  if (server == NULL) {
    g_test_skip ("no TLS backend (glib-networking)");
    return;
  }
  fd = g_file_open_tmp ("rtmpcore-ca-XXXXXX.pem", &anchors, &error);
  g_assert_no_error (error);
  close (fd);
  g_file_set_contents (anchors, test_cert_pem, -1, &error);
  g_assert_no_error (error);
  database = g_tls_file_database_new (anchors, &error);
  g_assert_no_error (error);

  client = client_new (server);
  g_object_set (client, "tls-database", database, NULL);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);

  g_object_unref (client);
  g_object_unref (database);
  g_remove (anchors);
  g_free (anchors);
  server_free (server);
}

static void
on_client_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  GPtrArray *received = user_data;

  if (rtmp_core_message_is_media (msg))
    g_ptr_array_add (received, rtmp_core_message_copy (msg));
}

static void
test_play (void)
{
  static const guint8 frame[] = { 0x17, 0x01, 0x00, 0x00, 0x00, 0xAB, 0xCD };
  Server *server = server_new (SERVER_ACCEPT);
  RtmpCoreClient *client = client_new (server);
  GPtrArray *received = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  RtmpCoreCommand *play;
  RtmpCoreMessage *video, *got;
  GBytes *payload;
  guint32 stream_id;
  gint buffer_at, play_at;
  gsize size;
  const guint8 *data;
  GError *error = NULL;

  g_object_set (client, "buffer-length", 2500, NULL);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (client_play (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (rtmp_core_client_get_stream_id (client), ==,
      SERVER_STREAM_ID);

  /* Set Buffer Length (7, 2500 ms) before play (name, -2) on stream 7 */
  g_assert_cmpuint (server->buffer_length_stream, ==, SERVER_STREAM_ID);
  g_assert_cmpuint (server->buffer_length_ms, ==, 2500);
  buffer_at = server_find_event (server, "user:3");
  play_at = server_find_event (server, "command:play");
  g_assert_cmpint (buffer_at, >=, 0);
  g_assert_cmpint (play_at, >, buffer_at);
  play = server_find_command (server, "play", &stream_id);
  g_assert_cmpuint (stream_id, ==, SERVER_STREAM_ID);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_command_get_argument (play, 0)), ==, STREAM_KEY);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number
      (rtmp_core_command_get_argument (play, 1)), ==, -2);

  /* media then arrives through the connection's message signal */
  g_signal_connect (rtmp_core_client_get_connection (client), "message",
      G_CALLBACK (on_client_message), received);
  payload = g_bytes_new_static (frame, sizeof (frame));
  video = rtmp_core_message_new (RTMP_CORE_MESSAGE_VIDEO, 6, SERVER_STREAM_ID,
      40, payload);
  g_assert_true (rtmp_core_connection_queue_message (server->conn, video,
          &error));
  g_assert_no_error (error);
  while (received->len == 0)
    g_main_context_iteration (NULL, TRUE);
  got = g_ptr_array_index (received, 0);
  g_assert_cmpuint (got->type, ==, RTMP_CORE_MESSAGE_VIDEO);
  g_assert_cmpuint (got->stream_id, ==, SERVER_STREAM_ID);
  g_assert_cmpuint (got->timestamp, ==, 40);
  data = rtmp_core_message_peek_data (got, &size);
  g_assert_cmpmem (data, size, frame, sizeof (frame));

  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  wait_for_flag (&server->closed);
  play = server_find_command (server, "deleteStream", NULL);
  g_assert_nonnull (play);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number
      (rtmp_core_command_get_argument (play, 0)), ==, SERVER_STREAM_ID);
  g_assert_null (server_find_command (server, "FCUnpublish", NULL));

  rtmp_core_message_unref (video);
  g_bytes_unref (payload);
  g_ptr_array_unref (received);
  g_object_unref (client);
  server_free (server);
}

static void
test_play_not_found (void)
{
  Server *server = server_new (SERVER_NOT_FOUND);
  RtmpCoreClient *client = client_new (server);
  GError *error = NULL;

  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_false (client_play (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_STREAM_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "NetStream.Play.StreamNotFound"));
  assert_no_secret (error);
  g_clear_error (&error);
  g_object_unref (client);
  server_free (server);
}

static void
test_properties (void)
{
  RtmpCoreUrl *url = rtmp_core_url_new (RTMP_CORE_SCHEME_RTMP, "127.0.0.1",
      0, "live", STREAM_KEY);
  RtmpCoreClient *client = rtmp_core_client_new (url);
  gchar *flash_version;
  guint timeout, chunk_size, window, buffer_length;
  GTlsCertificateFlags flags;
  RtmpCoreHandshakeMode mode;
  gchar **fourccs;

  /* the client keeps its own copy of the URL */
  rtmp_core_url_set_stream (url, "other");
  g_assert_cmpstr (rtmp_core_url_get_stream (rtmp_core_client_get_url
          (client)), ==, STREAM_KEY);

  g_object_get (client, "flash-version", &flash_version, "timeout", &timeout,
      "chunk-size", &chunk_size, "window-ack-size", &window,
      "buffer-length", &buffer_length, "tls-validation-flags", &flags,
      "handshake-mode", &mode, "fourcc-list", &fourccs, NULL);
  g_assert_cmpstr (flash_version, ==, RTMP_CORE_DEFAULT_FLASH_VERSION);
  g_assert_cmpuint (timeout, ==, 10);
  g_assert_cmpuint (chunk_size, ==, 4096);
  g_assert_cmpuint (window, ==, RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE);
  g_assert_cmpuint (buffer_length, ==, 1000);
  g_assert_cmpuint (flags, ==, G_TLS_CERTIFICATE_VALIDATE_ALL);
  g_assert_cmpint (mode, ==, RTMP_CORE_HANDSHAKE_PLAIN);
  g_assert_null (fourccs);
  g_assert_null (rtmp_core_client_get_connection (client));
  g_assert_cmpuint (rtmp_core_client_get_stream_id (client), ==, 0);
  g_free (flash_version);

  g_object_unref (client);
  rtmp_core_url_free (url);
}

/* ---- authentication ---- */

static void
publish_one_and_stop (Server * server, RtmpCoreClient * client)
{
  RtmpCoreMessage *msg = make_media (1);
  GError *error = NULL;

  g_assert_true (client_publish (client, &error));
  g_assert_no_error (error);
  g_assert_true (rtmp_core_client_send_media (client, msg, &error));
  g_assert_no_error (error);
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  wait_for_flag (&server->closed);
  g_assert_cmpuint (server->media->len, ==, 1);
  rtmp_core_message_unref (msg);
}

/* authmod=auto (the default): a plain connect, then the user, then the
 * answer to the challenge, each on a new connection. */
static void
test_auth_adobe_auto (void)
{
  Server *server = server_new (SERVER_ADOBE_AUTH);
  RtmpCoreClient *client = client_new_with_userinfo (server,
      AUTH_USER ":" AUTH_PASSWORD);
  RtmpCoreAuthmod authmod;
  const gchar *app;
  GError *error = NULL;

  g_object_get (client, "authmod", &authmod, NULL);
  g_assert_cmpint (authmod, ==, RTMP_CORE_AUTHMOD_AUTO);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (server->n_connections, ==, 3);
  g_assert_cmpuint (server->connect_apps->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (server->connect_apps, 0), ==, "live");
  g_assert_cmpstr (g_ptr_array_index (server->connect_apps, 1), ==,
      "live?authmod=adobe&user=" AUTH_USER);
  app = g_ptr_array_index (server->connect_apps, 2);
  g_assert_true (g_str_has_prefix (app, "live?authmod=adobe&user=" AUTH_USER
          "&challenge="));
  g_assert_nonnull (strstr (app, "&response="));
  g_assert_true (g_str_has_suffix (app, "&opaque=" AUTH_OPAQUE));
  g_assert_null (strstr (app, AUTH_PASSWORD));
  /* each connect starts the transaction ids afresh */
  g_assert_cmpfloat (rtmp_core_command_get_transaction_id
      (server_find_command (server, "connect", NULL)), ==, 1);

  publish_one_and_stop (server, client);
  g_object_unref (client);
  server_free (server);
}

/* authmod=adobe names the user in the first connect. */
static void
test_auth_adobe_direct (void)
{
  Server *server = server_new (SERVER_ADOBE_AUTH);
  RtmpCoreClient *client = client_new_with_userinfo (server,
      AUTH_USER ":" AUTH_PASSWORD);
  gchar *tc_url;
  GError *error = NULL;

  g_object_set (client, "authmod", RTMP_CORE_AUTHMOD_ADOBE, NULL);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (server->n_connections, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (server->connect_apps, 0), ==,
      "live?authmod=adobe&user=" AUTH_USER);
  tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live?authmod=adobe&user="
      AUTH_USER, server->port);
  g_assert_cmpstr (g_ptr_array_index (server->connect_tc_urls, 0), ==,
      tc_url);
  g_free (tc_url);

  publish_one_and_stop (server, client);
  g_object_unref (client);
  server_free (server);
}

static void
assert_auth_failed (Server * server, RtmpCoreClient * client,
    const gchar * needle)
{
  GError *error = NULL;

  g_assert_false (client_connect (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_null (strstr (error->message, AUTH_PASSWORD));
  g_assert_null (strstr (error->message, "wrong-secret"));
  g_assert_null (strstr (error->message, "response="));
  assert_no_secret (error);
  g_clear_error (&error);
  g_assert_null (server_find_command (server, "createStream", NULL));
}

static void
test_auth_adobe_wrong_password (void)
{
  Server *server = server_new (SERVER_ADOBE_AUTH);
  RtmpCoreClient *client = client_new_with_userinfo (server,
      AUTH_USER ":wrong-secret");

  assert_auth_failed (server, client, "authfailed");
  /* plain, user, response: then no more tries */
  g_assert_cmpuint (server->n_connections, ==, 3);
  g_object_unref (client);
  server_free (server);
}

static void
test_auth_adobe_unknown_user (void)
{
  Server *server = server_new (SERVER_ADOBE_AUTH);
  RtmpCoreClient *client = client_new_with_userinfo (server,
      "nobody:" AUTH_PASSWORD);

  assert_auth_failed (server, client, "nosuchuser");
  g_assert_cmpuint (server->n_connections, ==, 2);
  g_object_unref (client);
  server_free (server);
}

/* authmod=none never answers; a scheme other than the one asked for is
 * refused rather than tried. */
static void
test_auth_modes_refused (void)
{
  Server *server = server_new (SERVER_ADOBE_AUTH);
  RtmpCoreClient *client = client_new_with_userinfo (server,
      AUTH_USER ":" AUTH_PASSWORD);

  g_object_set (client, "authmod", RTMP_CORE_AUTHMOD_NONE, NULL);
  assert_auth_failed (server, client, "authmod=adobe");
  g_assert_cmpuint (server->n_connections, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (server->connect_apps, 0), ==, "live");
  g_object_unref (client);
  server_free (server);

  server = server_new (SERVER_LLNW_AUTH);
  client = client_new_with_userinfo (server, AUTH_USER ":" AUTH_PASSWORD);
  g_object_set (client, "authmod", RTMP_CORE_AUTHMOD_ADOBE, NULL);
  assert_auth_failed (server, client, "authmod is adobe");
  g_assert_cmpuint (server->n_connections, ==, 1);
  g_object_unref (client);
  server_free (server);

  /* a forced scheme without credentials fails before connecting */
  server = server_new (SERVER_ADOBE_AUTH);
  client = client_new (server);
  g_object_set (client, "authmod", RTMP_CORE_AUTHMOD_LLNW, NULL);
  assert_auth_failed (server, client, "user name and a password");
  g_assert_cmpuint (server->n_connections, ==, 0);
  g_object_unref (client);
  server_free (server);
}

/* Limelight, with the credentials given as properties instead. */
static void
test_auth_llnw_properties (void)
{
  Server *server = server_new (SERVER_LLNW_AUTH);
  RtmpCoreClient *client = client_new (server);
  const gchar *app;
  gchar *password = NULL;
  GError *error = NULL;

  g_object_set (client, "username", AUTH_USER, "password", AUTH_PASSWORD,
      NULL);
  g_object_get (client, "password", &password, NULL);
  g_assert_cmpstr (password, ==, AUTH_PASSWORD);
  g_free (password);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (server->n_connections, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (server->connect_apps, 1), ==,
      "live?authmod=llnw&user=" AUTH_USER);
  app = g_ptr_array_index (server->connect_apps, 2);
  g_assert_true (g_str_has_prefix (app, "live?authmod=llnw&user=" AUTH_USER
          "&nonce=" AUTH_NONCE "&cnonce="));
  g_assert_nonnull (strstr (app, "&nc=00000001&response="));

  publish_one_and_stop (server, client);
  g_object_unref (client);
  server_free (server);
}

/* ---- the tail of a publish ---- */

/* The server floods the publisher with pings and status text while it
 * publishes a lot and stops at once: every byte reaches the server, which
 * sees a clean end of stream (for rtmps: a close_notify), not a reset. */
static void
check_stop_keeps_tail (Server * server)
{
  RtmpCoreClient *client;
  RtmpCoreConnection *conn;
  guint64 bytes_out = 0, bytes_in = 0;
  guint i;
  GError *error = NULL;

  client = client_new (server);
  if (server->certificate)
    g_object_set (client, "tls-validation-flags", 0, NULL);
  g_assert_true (client_connect (client, &error));
  g_assert_no_error (error);
  g_assert_true (client_publish (client, &error));
  g_assert_no_error (error);
  conn = rtmp_core_client_get_connection (client);

  for (i = 0; i < N_MEDIA; i++) {
    RtmpCoreMessage *sent = make_media (i);

    g_assert_true (rtmp_core_client_send_media (client, sent, &error));
    g_assert_no_error (error);
    rtmp_core_message_unref (sent);
  }
  g_assert_true (client_stop (client, &error));
  g_assert_no_error (error);
  g_assert_true (rtmp_core_connection_is_closed (conn));
  wait_for_flag (&server->closed);

  g_assert_error (server->closed_error, RTMP_CORE_ERROR,
      RTMP_CORE_ERROR_CLOSED);
  g_assert_nonnull (strstr (server->closed_error->message, "peer closed"));
  g_object_get (conn, "bytes-out", &bytes_out, NULL);
  g_object_get (server->conn, "bytes-in", &bytes_in, NULL);
  g_assert_cmpuint (bytes_in, ==, bytes_out);
  g_assert_cmpuint (server->media->len, ==, N_MEDIA);
  for (i = 0; i < N_MEDIA; i++) {
    RtmpCoreMessage *sent = make_media (i);
    RtmpCoreMessage *got = g_ptr_array_index (server->media, i);
    gsize sent_size, got_size;
    const guint8 *sent_data = rtmp_core_message_peek_data (sent, &sent_size);
    const guint8 *got_data = rtmp_core_message_peek_data (got, &got_size);

    g_assert_cmpmem (got_data, got_size, sent_data, sent_size);
    rtmp_core_message_unref (sent);
  }
  /* the stop commands came last, after all the media */
  g_assert_cmpuint (server->n_media_before_unpublish, ==, N_MEDIA);
  g_assert_nonnull (server_find_command (server, "deleteStream", NULL));

  g_object_unref (client);
  server_free (server);
}

static void
test_stop_keeps_tail (void)
{
  check_stop_keeps_tail (server_new (SERVER_SPAM));
}

static void
test_stop_keeps_tail_tls (void)
{
  Server *server = tls_server_new ();

  if (server == NULL) {
    g_test_skip ("no TLS backend (glib-networking)");
    return;
  }
  server->mode = SERVER_SPAM;
  check_stop_keeps_tail (server);
}

int
main (int argc, char **argv)
{
  /* Loopback only: keep the machine's proxy settings (and libproxy, which
   * throws C++ exceptions that AddressSanitizer cannot intercept in a C
   * program) out of the test. */
  g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/properties", test_properties);
  g_test_add_func ("/client/connect-fields", test_connect_fields);
  g_test_add_func ("/client/connect-timeout", test_connect_timeout);
  g_test_add_func ("/client/handshake-timeout", test_handshake_timeout);
  g_test_add_func ("/client/connect-cancelled", test_connect_cancelled);
  g_test_add_func ("/client/publish-not-connected",
      test_publish_not_connected);
  g_test_add_func ("/client/connect-rejected-authmod",
      test_connect_rejected_authmod);
  g_test_add_func ("/client/connect-rejected-status",
      test_connect_rejected_status);
  g_test_add_func ("/client/publish-and-stop", test_publish_and_stop);
  g_test_add_func ("/client/publish-bad-name", test_publish_bad_name);
  g_test_add_func ("/client/publish-unauthorized", test_publish_unauthorized);
  g_test_add_func ("/client/closed-while-waiting", test_closed_while_waiting);
  g_test_add_func ("/client/play", test_play);
  g_test_add_func ("/client/play-not-found", test_play_not_found);
  g_test_add_func ("/client/tls/untrusted", test_tls_untrusted);
  g_test_add_func ("/client/tls/unknown-ca-allowed",
      test_tls_unknown_ca_allowed);
  g_test_add_func ("/client/tls/database", test_tls_database);
  g_test_add_func ("/client/auth/adobe-auto", test_auth_adobe_auto);
  g_test_add_func ("/client/auth/adobe-direct", test_auth_adobe_direct);
  g_test_add_func ("/client/auth/adobe-wrong-password",
      test_auth_adobe_wrong_password);
  g_test_add_func ("/client/auth/adobe-unknown-user",
      test_auth_adobe_unknown_user);
  g_test_add_func ("/client/auth/modes-refused", test_auth_modes_refused);
  g_test_add_func ("/client/auth/llnw-properties", test_auth_llnw_properties);
  g_test_add_func ("/client/stop/keeps-tail", test_stop_keeps_tail);
  g_test_add_func ("/client/stop/keeps-tail-tls", test_stop_keeps_tail_tls);

  return g_test_run ();
}
