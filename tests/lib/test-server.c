/* RtmpCoreServer on 127.0.0.1 (and ::1) with a free port: publishers made
 * with RtmpCoreClient, with a raw client that writes the wire itself with
 * the codec (OBS's command order, refusals, hostile input), and with
 * ffmpeg when it is installed. Every wait has a deadline. */
#include <string.h>
#include <glib/gstdio.h>
#include <rtmpcore.h>

#define STREAM_KEY "s3cr3t-key"
#define QUERY_SECRET "t0ken-xyz"
#define OBS_FLASH_VERSION "FMLE/3.0 (compatible; FMSc/1.0)"
#define N_MEDIA 200
#define BIG_MEDIA_SIZE (200 * 1024)
#define DEADLINE_S 60

/* ---- waiting in the main context ---- */

static gboolean
keep_going (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Iterates the default main context until @cond holds; a periodic tick
 * makes sure the deadline is checked even when nothing else happens. */
#define WAIT_FOR(cond) G_STMT_START { \
    gint64 _deadline = g_get_monotonic_time () + DEADLINE_S * G_USEC_PER_SEC; \
    guint _tick = g_timeout_add (10, keep_going, NULL); \
    while (!(cond)) { \
      if (g_get_monotonic_time () > _deadline) \
        g_error ("timed out waiting for %s", #cond); \
      g_main_context_iteration (NULL, TRUE); \
    } \
    g_source_remove (_tick); \
  } G_STMT_END

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Lets pending closes and cancelled I/O finish, so nothing leaks. */
static void
drain_context (void)
{
  gboolean done = FALSE;

  g_timeout_add (100, set_flag, &done);
  WAIT_FOR (done);
}

/* ---- log check: no secret ever reaches a log line ---- */

static gboolean
contains_secret (const gchar * text)
{
  return strstr (text, STREAM_KEY) != NULL ||
      strstr (text, QUERY_SECRET) != NULL;
}

static GLogWriterOutput
log_writer (GLogLevelFlags level, const GLogField * fields, gsize n_fields,
    gpointer user_data)
{
  gsize i;

  for (i = 0; i < n_fields; i++) {
    if (strcmp (fields[i].key, "MESSAGE") == 0) {
      gchar *text = fields[i].length < 0 ? g_strdup (fields[i].value) :
          g_strndup (fields[i].value, fields[i].length);

      if (contains_secret (text)) {
        g_printerr ("a log line holds a secret: %s\n", text);
        abort ();
      }
      g_free (text);
    }
  }
  if ((level & G_LOG_LEVEL_DEBUG) && !g_test_verbose ())
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (level, fields, n_fields, user_data);
}

/* ---- the server under test ---- */

typedef struct {
  RtmpCoreServer *server;
  guint port;
  RtmpCoreServerDecision decision;
  gchar *refused_stream;        /* only this stream gets @decision */

  guint n_opened;
  guint n_requests;
  gchar *app, *stream, *query, *tc_url, *flash_version, *address;

  GPtrArray *media;             /* owned RtmpCoreMessage copies */
  GPtrArray *media_sessions;    /* session of each, referenced */
  GPtrArray *started;           /* sessions, referenced */
  GPtrArray *stopped;
  GPtrArray *stop_errors;       /* GError or NULL */
  GPtrArray *closed;
  GPtrArray *close_errors;
} Fixture;

static void
free_error (gpointer error)
{
  if (error)
    g_error_free (error);
}

static GError *
copy_error (const GError * error)
{
  if (error)
    g_assert_false (contains_secret (error->message));
  return error ? g_error_copy (error) : NULL;
}

static void
on_session_opened (RtmpCoreServer * server, RtmpCoreServerSession * session,
    Fixture * f)
{
  g_assert_cmpint (rtmp_core_server_session_get_state (session), ==,
      RTMP_CORE_SERVER_SESSION_STATE_HANDSHAKING);
  f->n_opened++;
}

static RtmpCoreServerDecision
on_publish_request (RtmpCoreServer * server, RtmpCoreServerSession * session,
    Fixture * f)
{
  f->n_requests++;
#define KEEP(field, getter) \
  g_free (f->field); \
  f->field = g_strdup (rtmp_core_server_session_get_ ## getter (session))
  KEEP (app, application);
  KEEP (stream, stream);
  KEEP (query, query);
  KEEP (tc_url, tc_url);
  KEEP (flash_version, flash_version);
  KEEP (address, remote_address);
#undef KEEP
  if (f->refused_stream && g_strcmp0 (f->refused_stream, f->stream) != 0)
    return RTMP_CORE_SERVER_DECISION_ACCEPT;
  return f->decision;
}

static void
on_publish_started (RtmpCoreServer * server, RtmpCoreServerSession * session,
    Fixture * f)
{
  g_assert_cmpint (rtmp_core_server_session_get_state (session), ==,
      RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING);
  g_ptr_array_add (f->started, g_object_ref (session));
}

static void
on_media (RtmpCoreServer * server, RtmpCoreServerSession * session,
    RtmpCoreMessage * msg, Fixture * f)
{
  g_assert_cmpuint (msg->stream_id, ==,
      rtmp_core_server_session_get_stream_id (session));
  g_ptr_array_add (f->media, rtmp_core_message_copy (msg));
  g_ptr_array_add (f->media_sessions, g_object_ref (session));
}

static void
on_publish_stopped (RtmpCoreServer * server, RtmpCoreServerSession * session,
    const GError * error, Fixture * f)
{
  g_ptr_array_add (f->stopped, g_object_ref (session));
  g_ptr_array_add (f->stop_errors, copy_error (error));
}

static void
on_session_closed (RtmpCoreServer * server, RtmpCoreServerSession * session,
    const GError * error, Fixture * f)
{
  g_assert_cmpint (rtmp_core_server_session_get_state (session), ==,
      RTMP_CORE_SERVER_SESSION_STATE_CLOSED);
  g_ptr_array_add (f->closed, g_object_ref (session));
  g_ptr_array_add (f->close_errors, copy_error (error));
}

static Fixture *
fixture_new (void)
{
  Fixture *f = g_new0 (Fixture, 1);

  f->server = rtmp_core_server_new ();
  g_object_set (f->server, "address", "127.0.0.1", "port", 0, NULL);
  f->media = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  f->media_sessions = g_ptr_array_new_with_free_func (g_object_unref);
  f->started = g_ptr_array_new_with_free_func (g_object_unref);
  f->stopped = g_ptr_array_new_with_free_func (g_object_unref);
  f->stop_errors = g_ptr_array_new_with_free_func (free_error);
  f->closed = g_ptr_array_new_with_free_func (g_object_unref);
  f->close_errors = g_ptr_array_new_with_free_func (free_error);

  g_signal_connect (f->server, "session-opened",
      G_CALLBACK (on_session_opened), f);
  g_signal_connect (f->server, "publish-request",
      G_CALLBACK (on_publish_request), f);
  g_signal_connect (f->server, "publish-started",
      G_CALLBACK (on_publish_started), f);
  g_signal_connect (f->server, "media", G_CALLBACK (on_media), f);
  g_signal_connect (f->server, "publish-stopped",
      G_CALLBACK (on_publish_stopped), f);
  g_signal_connect (f->server, "session-closed",
      G_CALLBACK (on_session_closed), f);
  return f;
}

static void
fixture_start (Fixture * f)
{
  GError *error = NULL;

  g_assert_true (rtmp_core_server_start (f->server, NULL, &error));
  g_assert_no_error (error);
  g_object_get (f->server, "current-port", &f->port, NULL);
  g_assert_cmpuint (f->port, >, 0);
  g_assert_cmpuint (f->port, ==,
      rtmp_core_server_get_current_port (f->server));
}

static void
fixture_free (Fixture * f)
{
  rtmp_core_server_stop (f->server);
  g_assert_cmpuint (rtmp_core_server_get_current_port (f->server), ==, 0);
  g_object_unref (f->server);
  drain_context ();
  g_ptr_array_unref (f->media);
  g_ptr_array_unref (f->media_sessions);
  g_ptr_array_unref (f->started);
  g_ptr_array_unref (f->stopped);
  g_ptr_array_unref (f->stop_errors);
  g_ptr_array_unref (f->closed);
  g_ptr_array_unref (f->close_errors);
  g_free (f->refused_stream);
  g_free (f->app);
  g_free (f->stream);
  g_free (f->query);
  g_free (f->tc_url);
  g_free (f->flash_version);
  g_free (f->address);
  g_free (f);
}

static guint
stats_active (Fixture * f)
{
  GVariant *stats = rtmp_core_server_get_stats (f->server);
  guint active = 0;

  g_variant_ref_sink (stats);
  g_assert_true (g_variant_lookup (stats, "connections-active", "u",
          &active));
  g_variant_unref (stats);
  return active;
}

static guint64
stats_counter (Fixture * f, const gchar * key)
{
  GVariant *stats = rtmp_core_server_get_stats (f->server);
  guint64 value = 0;

  g_variant_ref_sink (stats);
  g_assert_true (g_variant_lookup (stats, key, "t", &value));
  g_variant_unref (stats);
  return value;
}

/* ---- media to send and to expect ---- */

typedef struct {
  guint8 type;
  guint32 timestamp;
  GBytes *payload;
} Expected;

static void
expected_free (gpointer data)
{
  Expected *e = data;

  g_bytes_unref (e->payload);
  g_free (e);
}

static void
expect (GPtrArray * expected, guint8 type, guint32 timestamp,
    GBytes * payload)
{
  Expected *e = g_new0 (Expected, 1);

  e->type = type;
  e->timestamp = timestamp;
  e->payload = g_bytes_ref (payload);
  g_ptr_array_add (expected, e);
}

/* Message @i of a test publish: audio or video of varied sizes (one of
 * 200 KB), timestamps crossing 0xFFFFFF (extended timestamps). */
static RtmpCoreMessage *
make_media (guint i)
{
  gsize size = i == N_MEDIA / 2 ? BIG_MEDIA_SIZE : 1 + (i * 7919) % 20000;
  guint8 type = i % 3 == 0 ? RTMP_CORE_MESSAGE_AUDIO :
      RTMP_CORE_MESSAGE_VIDEO;
  guint8 *data = g_malloc (size);
  gsize j;

  for (j = 0; j < size; j++)
    data[j] = (guint8) (i * 31 + j * 7 + (j >> 8));
  data[0] = type == RTMP_CORE_MESSAGE_AUDIO ? 0xAF : 0x27;
  return rtmp_core_message_new_take (type, 0, 0, 0xFFFF00 + i * 33, data,
      size);
}

/* A bare onMetaData body (what an FLV script tag holds). */
static GBytes *
make_metadata (void)
{
  GPtrArray *values = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_amf_value_unref);
  RtmpCoreAmfValue *array = rtmp_core_amf_value_new_ecma_array ();
  GBytes *bytes;

  rtmp_core_amf_value_take_field (array, "duration",
      rtmp_core_amf_value_new_number (2));
  rtmp_core_amf_value_take_field (array, "encoder",
      rtmp_core_amf_value_new_string ("test-server"));
  g_ptr_array_add (values, rtmp_core_amf_value_new_string ("onMetaData"));
  g_ptr_array_add (values, array);
  bytes = rtmp_core_amf_values_to_amf0 (values);
  g_ptr_array_unref (values);
  return bytes;
}

static void
append_sub_tag (GByteArray * out, guint8 type, guint32 timestamp,
    const guint8 * data, guint32 size)
{
  guint8 header[11] = { type, size >> 16, size >> 8, size,
    timestamp >> 16, timestamp >> 8, timestamp, timestamp >> 24, 0, 0, 0
  };
  guint32 back = size + 11;
  guint8 back_pointer[4] = { back >> 24, back >> 16, back >> 8, back };

  g_byte_array_append (out, header, sizeof (header));
  g_byte_array_append (out, data, size);
  g_byte_array_append (out, back_pointer, sizeof (back_pointer));
}

static void
assert_media_equal (GPtrArray * media, GPtrArray * expected)
{
  guint i;

  g_assert_cmpuint (media->len, ==, expected->len);
  for (i = 0; i < expected->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (media, i);
    Expected *e = g_ptr_array_index (expected, i);
    gsize size, expected_size;
    const guint8 *data = rtmp_core_message_peek_data (msg, &size);
    const guint8 *expected_data = g_bytes_get_data (e->payload,
        &expected_size);

    g_assert_cmpuint (msg->type, ==, e->type);
    g_assert_cmpuint (msg->timestamp, ==, e->timestamp);
    g_assert_cmpmem (data, size, expected_data, expected_size);
  }
}

/* ---- RtmpCoreClient helpers ---- */

typedef struct {
  gboolean done;
  gboolean ok;
  GError *error;
} Op;

static void
connect_done (GObject * source, GAsyncResult * result, gpointer data)
{
  Op *op = data;

  op->ok = rtmp_core_client_connect_finish (RTMP_CORE_CLIENT (source),
      result, &op->error);
  op->done = TRUE;
}

static void
publish_done (GObject * source, GAsyncResult * result, gpointer data)
{
  Op *op = data;

  op->ok = rtmp_core_client_publish_finish (RTMP_CORE_CLIENT (source),
      result, &op->error);
  op->done = TRUE;
}

static void
stop_done (GObject * source, GAsyncResult * result, gpointer data)
{
  Op *op = data;

  op->ok = rtmp_core_client_stop_finish (RTMP_CORE_CLIENT (source), result,
      &op->error);
  op->done = TRUE;
}

static RtmpCoreClient *
client_new (const gchar * location)
{
  GError *error = NULL;
  RtmpCoreUrl *url = rtmp_core_url_parse (location, &error);
  RtmpCoreClient *client;

  g_assert_no_error (error);
  client = rtmp_core_client_new (url);
  rtmp_core_url_free (url);
  return client;
}

/* Connects and publishes; returns FALSE with @error if either failed. */
static gboolean
client_connect_publish (RtmpCoreClient * client, GError ** error)
{
  Op op = { 0 };

  rtmp_core_client_connect_async (client, NULL, connect_done, &op);
  WAIT_FOR (op.done);
  if (!op.ok) {
    g_propagate_error (error, op.error);
    return FALSE;
  }
  memset (&op, 0, sizeof (op));
  rtmp_core_client_publish_async (client, NULL, publish_done, &op);
  WAIT_FOR (op.done);
  if (!op.ok) {
    g_propagate_error (error, op.error);
    return FALSE;
  }
  return TRUE;
}

static RtmpCoreClient *
client_publish (const gchar * location)
{
  RtmpCoreClient *client = client_new (location);
  GError *error = NULL;

  g_assert_true (client_connect_publish (client, &error));
  g_assert_no_error (error);
  return client;
}

static void
client_stop (RtmpCoreClient * client)
{
  Op op = { 0 };

  rtmp_core_client_stop_async (client, NULL, stop_done, &op);
  WAIT_FOR (op.done);
  g_assert_no_error (op.error);
  g_assert_true (op.ok);
}

static void
client_send (RtmpCoreClient * client, RtmpCoreMessage * msg)
{
  GError *error = NULL;

  g_assert_true (rtmp_core_client_send_media (client, msg, &error));
  g_assert_no_error (error);
}

/* Sends N_MEDIA messages, an aggregate of two sub-tags and metadata, and
 * records what the server should emit. */
static void
client_send_test_media (RtmpCoreClient * client, GPtrArray * expected)
{
  static const guint8 sub_audio[] = { 0xAF, 0x01, 0x11, 0x22, 0x33 };
  static const guint8 sub_video[] = { 0x27, 0x01, 0x00, 0x00, 0x00, 0x44 };
  guint32 aggregate_ts = 0xFFFF00 + N_MEDIA * 33;
  GByteArray *aggregate = g_byte_array_new ();
  GBytes *bytes;
  RtmpCoreMessage *msg;
  guint i;

  for (i = 0; i < N_MEDIA; i++) {
    msg = make_media (i);
    bytes = rtmp_core_message_get_payload (msg);
    expect (expected, msg->type, msg->timestamp, bytes);
    g_bytes_unref (bytes);
    client_send (client, msg);
    rtmp_core_message_unref (msg);
  }

  /* sub-tag timestamps count from the first sub-tag */
  append_sub_tag (aggregate, RTMP_CORE_MESSAGE_AUDIO, 1000, sub_audio,
      sizeof (sub_audio));
  append_sub_tag (aggregate, RTMP_CORE_MESSAGE_VIDEO, 1040, sub_video,
      sizeof (sub_video));
  bytes = g_byte_array_free_to_bytes (aggregate);
  msg = rtmp_core_message_new (RTMP_CORE_MESSAGE_AGGREGATE, 0, 0,
      aggregate_ts, bytes);
  client_send (client, msg);
  rtmp_core_message_unref (msg);
  g_bytes_unref (bytes);
  bytes = g_bytes_new_static (sub_audio, sizeof (sub_audio));
  expect (expected, RTMP_CORE_MESSAGE_AUDIO, aggregate_ts, bytes);
  g_bytes_unref (bytes);
  bytes = g_bytes_new_static (sub_video, sizeof (sub_video));
  expect (expected, RTMP_CORE_MESSAGE_VIDEO, aggregate_ts + 40, bytes);
  g_bytes_unref (bytes);

  /* the client adds "@setDataFrame"; the server takes it away again */
  bytes = make_metadata ();
  msg = rtmp_core_message_new (RTMP_CORE_MESSAGE_DATA_AMF0, 0, 0,
      aggregate_ts + 80, bytes);
  client_send (client, msg);
  rtmp_core_message_unref (msg);
  expect (expected, RTMP_CORE_MESSAGE_DATA_AMF0, aggregate_ts + 80, bytes);
  g_bytes_unref (bytes);
}

static gchar *
location (Fixture * f, const gchar * host, const gchar * scheme,
    const gchar * stream)
{
  return g_strdup_printf ("%s://%s:%u/live/%s", scheme, host, f->port,
      stream);
}

/* ---- a raw client writing the wire with the codec (blocking, for a
 * thread of its own) ---- */

typedef struct {
  GSocketConnection *conn;
  GInputStream *in;
  GOutputStream *out;
  RtmpCoreChunkWriter *writer;
  RtmpCoreChunkReader *reader;
  GPtrArray *received;          /* owned messages */
  guint8 *buf;
  gboolean closed;              /* end of stream or error seen */
} RawClient;

#define RAW_BUF_SIZE (64 * 1024)

static void
raw_on_message (const RtmpCoreMessage * msg, gpointer data)
{
  RawClient *raw = data;

  g_ptr_array_add (raw->received, rtmp_core_message_copy (msg));
}

static RawClient *
raw_new (guint port)
{
  RawClient *raw = g_new0 (RawClient, 1);
  GSocketClient *sc = g_socket_client_new ();
  GError *error = NULL;

  g_socket_client_set_timeout (sc, 20);
  raw->conn = g_socket_client_connect_to_host (sc, "127.0.0.1", port, NULL,
      &error);
  g_assert_no_error (error);
  g_object_unref (sc);
  raw->in = g_io_stream_get_input_stream (G_IO_STREAM (raw->conn));
  raw->out = g_io_stream_get_output_stream (G_IO_STREAM (raw->conn));
  raw->writer = rtmp_core_chunk_writer_new ();
  raw->reader = rtmp_core_chunk_reader_new ();
  rtmp_core_chunk_reader_set_callback (raw->reader, raw_on_message, raw,
      NULL);
  raw->received = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  raw->buf = g_malloc (RAW_BUF_SIZE);
  return raw;
}

static void
raw_free (RawClient * raw)
{
  g_io_stream_close (G_IO_STREAM (raw->conn), NULL, NULL);
  g_object_unref (raw->conn);
  rtmp_core_chunk_writer_unref (raw->writer);
  rtmp_core_chunk_reader_unref (raw->reader);
  g_ptr_array_unref (raw->received);
  g_free (raw->buf);
  g_free (raw);
}

/* Hostile peers expect the server to hang up mid-write: errors only end
 * the writing. */
static gboolean
raw_write (RawClient * raw, const void *data, gsize size)
{
  return g_output_stream_write_all (raw->out, data, size, NULL, NULL, NULL);
}

static void
raw_write_bytes (RawClient * raw, GBytes * bytes)
{
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);

  raw_write (raw, data, size);
}

/* Reads once into the chunk reader; FALSE at the end of the stream. */
static gboolean
raw_read_some (RawClient * raw)
{
  GError *error = NULL;
  gssize n;

  if (raw->closed)
    return FALSE;
  n = g_input_stream_read (raw->in, raw->buf, RAW_BUF_SIZE, NULL, &error);
  if (n <= 0) {
    /* a reset after the server closed counts as the end too */
    g_assert_true (error == NULL ||
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED) ||
        g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE));
    g_clear_error (&error);
    raw->closed = TRUE;
    return FALSE;
  }
  g_assert_true (rtmp_core_chunk_reader_feed (raw->reader, raw->buf, n,
          &error));
  g_assert_no_error (error);
  return TRUE;
}

static void
raw_wait_closed (RawClient * raw)
{
  while (raw_read_some (raw));
}

static void
raw_handshake (RawClient * raw)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_PLAIN);
  GError *error = NULL;
  GBytes *out;

  out = rtmp_core_handshake_take_output (hs);
  raw_write_bytes (raw, out);
  g_bytes_unref (out);
  while (!rtmp_core_handshake_is_done (hs)) {
    gssize n = g_input_stream_read (raw->in, raw->buf, RAW_BUF_SIZE, NULL,
        &error);
    gsize off = 0;

    g_assert_no_error (error);
    g_assert_cmpint (n, >, 0);
    while (off < (gsize) n && !rtmp_core_handshake_is_done (hs)) {
      gsize consumed = 0;

      g_assert_true (rtmp_core_handshake_feed (hs, raw->buf + off, n - off,
              &consumed, &error));
      g_assert_no_error (error);
      if (consumed == 0)
        break;
      off += consumed;
    }
    out = rtmp_core_handshake_take_output (hs);
    if (out)
      raw_write_bytes (raw, out);
    g_clear_pointer (&out, g_bytes_unref);
    if (off < (gsize) n) {
      g_assert_true (rtmp_core_chunk_reader_feed (raw->reader, raw->buf +
              off, n - off, &error));
      g_assert_no_error (error);
    }
  }
  rtmp_core_handshake_unref (hs);
}

static void
raw_send (RawClient * raw, RtmpCoreMessage * msg)
{
  GError *error = NULL;
  GBytes *bytes = rtmp_core_chunk_writer_write_bytes (raw->writer, msg,
      &error);

  g_assert_no_error (error);
  raw_write_bytes (raw, bytes);
  g_bytes_unref (bytes);
  if (msg->type == RTMP_CORE_MESSAGE_SET_CHUNK_SIZE) {
    guint32 size;

    g_assert_true (rtmp_core_message_parse_uint32 (msg, &size, NULL));
    g_assert_true (rtmp_core_chunk_writer_set_chunk_size (raw->writer, size,
            NULL));
  }
  rtmp_core_message_unref (msg);
}

/* Sends @cmd (taken). */
static void
raw_send_command (RawClient * raw, RtmpCoreCommand * cmd,
    guint32 chunk_stream_id, guint32 stream_id)
{
  raw_send (raw, rtmp_core_command_to_message (cmd, chunk_stream_id,
          stream_id));
  rtmp_core_command_unref (cmd);
}

/* name (transaction_id, null, @string) */
static RtmpCoreCommand *
command_with_string (const gchar * name, gdouble transaction_id,
    const gchar * string)
{
  RtmpCoreCommand *cmd = rtmp_core_command_new (name, transaction_id, NULL);

  if (string)
    rtmp_core_command_take_argument (cmd,
        rtmp_core_amf_value_new_string (string));
  return cmd;
}

/* The first received command called @name (with @transaction_id unless it
 * is negative, on @stream_id unless it is G_MAXUINT32); its index goes to
 * @index. */
static RtmpCoreCommand *
raw_find_command (RawClient * raw, const gchar * name,
    gdouble transaction_id, guint32 stream_id, guint * index)
{
  guint i;

  for (i = 0; i < raw->received->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (raw->received, i);
    RtmpCoreCommand *cmd;

    if (msg->type != RTMP_CORE_MESSAGE_COMMAND_AMF0)
      continue;
    if (stream_id != G_MAXUINT32 && msg->stream_id != stream_id)
      continue;
    cmd = rtmp_core_command_parse (msg, NULL);
    g_assert_nonnull (cmd);
    if (strcmp (rtmp_core_command_get_name (cmd), name) == 0 &&
        (transaction_id < 0 ||
            rtmp_core_command_get_transaction_id (cmd) == transaction_id)) {
      if (index)
        *index = i;
      return cmd;
    }
    rtmp_core_command_unref (cmd);
  }
  return NULL;
}

/* Reads until a command called @name arrives; NULL if the stream ends. */
static RtmpCoreCommand *
raw_wait_command (RawClient * raw, const gchar * name,
    gdouble transaction_id, guint32 stream_id, guint * index)
{
  RtmpCoreCommand *cmd;

  while (!(cmd = raw_find_command (raw, name, transaction_id, stream_id,
              index)))
    if (!raw_read_some (raw))
      return NULL;
  return cmd;
}

/* The first received control message of @type; its value and index. */
static gboolean
raw_find_control (RawClient * raw, guint8 type, guint32 * value,
    guint * index)
{
  guint i;

  for (i = 0; i < raw->received->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (raw->received, i);

    if (msg->type != type)
      continue;
    if (type == RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH)
      g_assert_true (rtmp_core_message_parse_set_peer_bandwidth (msg, value,
              NULL, NULL));
    else
      g_assert_true (rtmp_core_message_parse_uint32 (msg, value, NULL));
    *index = i;
    return TRUE;
  }
  return FALSE;
}

static RtmpCoreAmfValue *
connect_object (const gchar * app, const gchar * tc_url)
{
  RtmpCoreAmfValue *obj = rtmp_core_amf_value_new_object ();

  rtmp_core_amf_value_take_field (obj, "app",
      rtmp_core_amf_value_new_string (app));
  rtmp_core_amf_value_take_field (obj, "type",
      rtmp_core_amf_value_new_string ("nonprivate"));
  rtmp_core_amf_value_take_field (obj, "flashVer",
      rtmp_core_amf_value_new_string (OBS_FLASH_VERSION));
  rtmp_core_amf_value_take_field (obj, "swfUrl",
      rtmp_core_amf_value_new_string (tc_url));
  rtmp_core_amf_value_take_field (obj, "tcUrl",
      rtmp_core_amf_value_new_string (tc_url));
  return obj;
}

/* Handshake, connect (7), createStream (8): the stream id. */
static guint32
raw_connect_and_create_stream (RawClient * raw, guint port)
{
  gchar *tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live", port);
  RtmpCoreAmfValue *obj = connect_object ("live", tc_url);
  RtmpCoreCommand *reply;
  RtmpCoreAmfValue *id;
  guint32 stream_id;

  raw_handshake (raw);
  raw_send_command (raw, rtmp_core_command_new ("connect", 7, obj), 3, 0);
  raw_send_command (raw, command_with_string ("createStream", 8, NULL), 3,
      0);
  reply = raw_wait_command (raw, "_result", 8, 0, NULL);
  g_assert_nonnull (reply);
  id = rtmp_core_command_get_argument (reply, 0);
  g_assert_nonnull (id);
  stream_id = (guint32) rtmp_core_amf_value_get_number (id);
  rtmp_core_command_unref (reply);
  rtmp_core_amf_value_unref (obj);
  g_free (tc_url);
  return stream_id;
}

/* A raw client's thread and the flag the main loop waits on. */
typedef struct _RawRun RawRun;
typedef void (*RawFunc) (RawRun * run);

struct _RawRun {
  guint port;
  gint done;
  const gchar *name;
  RawFunc func;
  GThread *thread;
};

static gpointer
raw_run_thread (gpointer data)
{
  RawRun *run = data;

  run->func (run);
  g_atomic_int_set (&run->done, 1);
  return NULL;
}

static void
raw_run_start (RawRun * run, guint port, const gchar * name, RawFunc func)
{
  run->port = port;
  run->name = name;
  run->func = func;
  run->thread = g_thread_new (name, raw_run_thread, run);
}

static void
raw_run_join (RawRun * run)
{
  WAIT_FOR (g_atomic_int_get (&run->done));
  g_thread_join (run->thread);
}

/* ---- /server/publish: RtmpCoreClient publishes ---- */

static void
test_publish (void)
{
  Fixture *f = fixture_new ();
  GPtrArray *expected = g_ptr_array_new_with_free_func (expected_free);
  RtmpCoreClient *client;
  RtmpCoreServerSession *session;
  GVariant *stats, *publishers, *entry;
  gchar *where, *tc_url, *masked = NULL, *app = NULL, *address = NULL;
  guint64 bytes_in = 0, bitrate = 0;
  gint64 rtt = 0;
  guint i;

  fixture_start (f);
  where = location (f, "127.0.0.1", "rtmp",
      STREAM_KEY "?token=" QUERY_SECRET);
  client = client_new (where);
  /* a Flash-style digest C1 must be answered too */
  g_object_set (client, "handshake-mode", RTMP_CORE_HANDSHAKE_DIGEST, NULL);
  {
    GError *error = NULL;

    g_assert_true (client_connect_publish (client, &error));
    g_assert_no_error (error);
  }

  /* what publish-request saw */
  g_assert_cmpuint (f->n_opened, ==, 1);
  g_assert_cmpuint (f->n_requests, ==, 1);
  g_assert_cmpstr (f->app, ==, "live");
  g_assert_cmpstr (f->stream, ==, STREAM_KEY);
  g_assert_cmpstr (f->query, ==, "token=" QUERY_SECRET);
  tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live", f->port);
  g_assert_cmpstr (f->tc_url, ==, tc_url);
  g_free (tc_url);
  g_assert_cmpstr (f->flash_version, ==, RTMP_CORE_DEFAULT_FLASH_VERSION);
  g_assert_true (g_str_has_prefix (f->address, "127.0.0.1:"));
  g_assert_cmpuint (f->started->len, ==, 1);
  session = g_ptr_array_index (f->started, 0);
  g_assert_cmpuint (rtmp_core_server_session_get_stream_id (session), ==,
      rtmp_core_client_get_stream_id (client));
  g_assert_nonnull (rtmp_core_server_session_get_connection (session));
  g_assert_nonnull (rtmp_core_server_session_get_connect_object (session));

  client_send_test_media (client, expected);
  WAIT_FOR (f->media->len == expected->len);
  assert_media_equal (f->media, expected);
  for (i = 0; i < f->media_sessions->len; i++)
    g_assert_true (g_ptr_array_index (f->media_sessions, i) == session);

  /* statistics: one publisher, stream masked */
  stats = g_variant_ref_sink (rtmp_core_server_get_stats (f->server));
  publishers = g_variant_lookup_value (stats, "publishers",
      G_VARIANT_TYPE ("aa{sv}"));
  g_assert_cmpuint (g_variant_n_children (publishers), ==, 1);
  entry = g_variant_get_child_value (publishers, 0);
  g_assert_true (g_variant_lookup (entry, "stream", "s", &masked));
  g_assert_cmpstr (masked, ==, "s3****");
  g_assert_true (g_variant_lookup (entry, "application", "s", &app));
  g_assert_cmpstr (app, ==, "live");
  g_assert_true (g_variant_lookup (entry, "address", "s", &address));
  g_assert_cmpstr (address, ==, f->address);
  g_assert_true (g_variant_lookup (entry, "bytes-in", "t", &bytes_in));
  g_assert_cmpuint (bytes_in, >, BIG_MEDIA_SIZE);
  g_assert_true (g_variant_lookup (entry, "bitrate", "t", &bitrate));
  g_assert_cmpuint (bitrate, >, 0);
  g_assert_true (g_variant_lookup (entry, "rtt-us", "x", &rtt));
  g_assert_cmpuint (stats_active (f), ==, 1);
  g_assert_cmpuint (stats_counter (f, "connections-total"), ==, 1);
  g_free (masked);
  g_free (app);
  g_free (address);
  g_variant_unref (entry);
  g_variant_unref (publishers);
  g_variant_unref (stats);

  client_stop (client);
  WAIT_FOR (f->closed->len == 1);
  g_assert_cmpuint (f->stopped->len, ==, 1);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));
  g_assert_cmpuint (stats_active (f), ==, 0);
  g_assert_cmpuint (f->media->len, ==, expected->len);

  g_object_unref (client);
  g_free (where);
  g_ptr_array_unref (expected);
  fixture_free (f);
}

/* ---- /server/obs-order: the raw client's OBS-like sequence ---- */

static void
obs_sequence (RawRun * run)
{
  RawClient *raw = raw_new (run->port);
  gchar *tc_url = g_strdup_printf ("rtmp://127.0.0.1:%u/live", run->port);
  RtmpCoreAmfValue *obj = connect_object ("live", tc_url);
  RtmpCoreAmfValue *list = rtmp_core_amf_value_new_strict_array ();
  RtmpCoreAmfValue *props, *info, *echoed, *id;
  RtmpCoreCommand *cmd, *reply;
  RtmpCoreMessage *msg;
  guint connect_index, status_index, i;
  guint32 value, stream_id;
  guint index;
  gdouble number;
  gboolean begin_seen = FALSE;
  GBytes *bytes;
  guint8 *video;

  raw_handshake (raw);
  /* OBS: Set Chunk Size before connect */
  raw_send (raw, rtmp_core_message_new_set_chunk_size (4096));

  rtmp_core_amf_value_take_element (list,
      rtmp_core_amf_value_new_string ("hvc1"));
  rtmp_core_amf_value_take_element (list,
      rtmp_core_amf_value_new_string ("av01"));
  rtmp_core_amf_value_take_field (obj, "fourCcList", list);
  rtmp_core_amf_value_take_field (obj, "capsEx",
      rtmp_core_amf_value_new_number (15));
  raw_send_command (raw, rtmp_core_command_new ("connect", 7, obj), 3, 0);
  /* no waiting, and never transaction ids 1..4 */
  raw_send_command (raw, command_with_string ("releaseStream", 8,
          STREAM_KEY), 3, 0);
  raw_send_command (raw, command_with_string ("FCPublish", 9, STREAM_KEY), 3,
      0);
  raw_send_command (raw, command_with_string ("createStream", 10, NULL), 3,
      0);

  reply = raw_wait_command (raw, "_result", 10, 0, NULL);
  g_assert_nonnull (reply);
  id = rtmp_core_command_get_argument (reply, 0);
  g_assert_nonnull (id);
  g_assert_cmpint (rtmp_core_amf_value_get_kind (id), ==,
      RTMP_CORE_AMF_NUMBER);
  g_assert_cmpfloat (rtmp_core_amf_value_get_number (id), ==, 1);
  stream_id = 1;
  rtmp_core_command_unref (reply);

  /* connect: _result by its own id, with the server's properties, the
   * Enhanced RTMP echo and objectEncoding */
  reply = raw_find_command (raw, "_result", 7, 0, &connect_index);
  g_assert_nonnull (reply);
  g_assert_cmpstr (rtmp_core_command_get_status_code (reply), ==,
      "NetConnection.Connect.Success");
  props = rtmp_core_command_get_object (reply);
  g_assert_nonnull (props);
  g_assert_nonnull (rtmp_core_amf_value_lookup_string (props, "fmsVer"));
  echoed = rtmp_core_amf_value_get_field (props, "fourCcList");
  g_assert_nonnull (echoed);
  g_assert_cmpuint (rtmp_core_amf_value_get_n_elements (echoed), ==, 2);
  g_assert_cmpstr (rtmp_core_amf_value_get_string
      (rtmp_core_amf_value_get_element (echoed, 0)), ==, "hvc1");
  g_assert_true (rtmp_core_amf_value_lookup_number (props, "capsEx",
          &number));
  g_assert_cmpfloat (number, ==, 6);
  info = rtmp_core_command_get_argument (reply, 0);
  g_assert_nonnull (info);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (info, "level"), ==,
      "status");
  g_assert_true (rtmp_core_amf_value_lookup_number (info, "objectEncoding",
          &number));
  g_assert_cmpfloat (number, ==, 0);
  rtmp_core_command_unref (reply);

  /* flow control came before the connect answer */
  g_assert_true (raw_find_control (raw, RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE,
          &value, &index));
  g_assert_cmpuint (value, ==, 2500000);
  g_assert_cmpuint (index, <, connect_index);
  g_assert_true (raw_find_control (raw, RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH,
          &value, &index));
  g_assert_cmpuint (value, ==, 2500000);
  g_assert_true (raw_find_control (raw, RTMP_CORE_MESSAGE_SET_CHUNK_SIZE,
          &value, &index));
  g_assert_cmpuint (value, ==, RTMP_CORE_SERVER_DEFAULT_CHUNK_SIZE);
  g_assert_cmpuint (index, <, connect_index);

  /* releaseStream and FCPublish answered by their ids, plus onFCPublish */
  reply = raw_find_command (raw, "_result", 8, 0, NULL);
  g_assert_nonnull (reply);
  rtmp_core_command_unref (reply);
  reply = raw_find_command (raw, "_result", 9, 0, NULL);
  g_assert_nonnull (reply);
  rtmp_core_command_unref (reply);
  reply = raw_find_command (raw, "onFCPublish", -1, 0, NULL);
  g_assert_nonnull (reply);
  info = rtmp_core_command_get_argument (reply, 0);
  g_assert_nonnull (info);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (info, "code"), ==,
      "NetStream.Publish.Start");
  rtmp_core_command_unref (reply);

  /* publish on the new stream; OBS uses chunk stream 4 */
  cmd = command_with_string ("publish", 11,
      STREAM_KEY "?token=" QUERY_SECRET);
  rtmp_core_command_take_argument (cmd,
      rtmp_core_amf_value_new_string ("live"));
  raw_send_command (raw, cmd, 4, stream_id);
  reply = raw_wait_command (raw, "onStatus", 0, stream_id, &status_index);
  g_assert_nonnull (reply);
  g_assert_cmpstr (rtmp_core_command_get_status_code (reply), ==,
      "NetStream.Publish.Start");
  rtmp_core_command_unref (reply);
  for (i = 0; i < status_index; i++) {
    guint event;
    guint32 stream;

    msg = g_ptr_array_index (raw->received, i);
    if (msg->type == RTMP_CORE_MESSAGE_USER_CONTROL &&
        rtmp_core_message_parse_user_control (msg, &event, &stream, NULL,
            NULL) && event == RTMP_CORE_USER_CONTROL_STREAM_BEGIN)
      begin_seen = stream == stream_id;
  }
  g_assert_true (begin_seen);

  /* media at chunk size 4096, metadata with @setDataFrame */
  bytes = g_bytes_new_static ("\xaf\x00\x12\x10", 4);
  raw_send (raw, rtmp_core_message_new (RTMP_CORE_MESSAGE_AUDIO, 4,
          stream_id, 0, bytes));
  g_bytes_unref (bytes);
  video = g_malloc (10000);
  for (i = 0; i < 10000; i++)
    video[i] = (guint8) (i * 13);
  raw_send (raw, rtmp_core_message_new_take (RTMP_CORE_MESSAGE_VIDEO, 6,
          stream_id, 40, video, 10000));
  {
    GBytes *bare = make_metadata ();

    bytes = rtmp_core_data_add_set_data_frame (bare);
    raw_send (raw, rtmp_core_message_new (RTMP_CORE_MESSAGE_DATA_AMF0, 5,
            stream_id, 0, bytes));
    g_bytes_unref (bytes);
    g_bytes_unref (bare);
  }

  /* unpublish as OBS does */
  raw_send_command (raw, command_with_string ("FCUnpublish", 12, STREAM_KEY),
      3, 0);
  cmd = rtmp_core_command_new ("deleteStream", 13, NULL);
  rtmp_core_command_take_argument (cmd,
      rtmp_core_amf_value_new_number (stream_id));
  raw_send_command (raw, cmd, 3, 0);
  reply = raw_wait_command (raw, "_result", 12, 0, NULL);
  g_assert_nonnull (reply);
  rtmp_core_command_unref (reply);

  rtmp_core_amf_value_unref (obj);
  g_free (tc_url);
  raw_free (raw);
}

static void
test_obs_order (void)
{
  Fixture *f = fixture_new ();
  RawRun run = { 0 };
  RtmpCoreMessage *msg;
  GBytes *bare;
  gsize size;
  const guint8 *data;
  guint i;

  fixture_start (f);
  raw_run_start (&run, f->port, "obs", obs_sequence);
  raw_run_join (&run);
  WAIT_FOR (f->closed->len == 1);

  g_assert_cmpstr (f->app, ==, "live");
  g_assert_cmpstr (f->stream, ==, STREAM_KEY);
  g_assert_cmpstr (f->query, ==, "token=" QUERY_SECRET);
  g_assert_cmpstr (f->flash_version, ==, OBS_FLASH_VERSION);
  g_assert_cmpuint (f->started->len, ==, 1);
  g_assert_cmpuint (f->stopped->len, ==, 1);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));

  g_assert_cmpuint (f->media->len, ==, 3);
  msg = g_ptr_array_index (f->media, 0);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpuint (msg->type, ==, RTMP_CORE_MESSAGE_AUDIO);
  g_assert_cmpmem (data, size, "\xaf\x00\x12\x10", 4);
  msg = g_ptr_array_index (f->media, 1);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpuint (msg->type, ==, RTMP_CORE_MESSAGE_VIDEO);
  g_assert_cmpuint (msg->timestamp, ==, 40);
  g_assert_cmpuint (size, ==, 10000);
  for (i = 0; i < 10000; i++)
    g_assert_cmpuint (data[i], ==, (guint8) (i * 13));
  msg = g_ptr_array_index (f->media, 2);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpuint (msg->type, ==, RTMP_CORE_MESSAGE_DATA_AMF0);
  bare = make_metadata ();
  g_assert_cmpmem (data, size, g_bytes_get_data (bare, NULL),
      g_bytes_get_size (bare));
  g_bytes_unref (bare);
  fixture_free (f);
}

/* ---- /server/refusals ---- */

static void
raw_unauthorized_sequence (RawRun * run)
{
  RawClient *raw = raw_new (run->port);
  guint32 stream_id = raw_connect_and_create_stream (raw, run->port);
  RtmpCoreCommand *cmd = command_with_string ("publish", 0, STREAM_KEY);
  RtmpCoreAmfValue *info;

  raw_send_command (raw, cmd, 8, stream_id);
  /* the status arrives, then the end of the stream */
  raw_wait_closed (raw);
  cmd = raw_find_command (raw, "onStatus", 0, stream_id, NULL);
  g_assert_nonnull (cmd);
  g_assert_cmpstr (rtmp_core_command_get_status_code (cmd), ==,
      "NetStream.Publish.Unauthorized");
  info = rtmp_core_command_get_argument (cmd, 0);
  g_assert_cmpstr (rtmp_core_amf_value_lookup_string (info, "level"), ==,
      "error");
  rtmp_core_command_unref (cmd);
  raw_free (raw);
}

static void
refuse_with_client (Fixture * f, RtmpCoreServerDecision decision,
    gint client_code, const gchar * status_code, gint server_code)
{
  gchar *where = location (f, "127.0.0.1", "rtmp", STREAM_KEY);
  RtmpCoreClient *client = client_new (where);
  guint n_closed = f->closed->len;
  GError *error = NULL, *reason;

  f->decision = decision;
  g_assert_false (client_connect_publish (client, &error));
  g_assert_error (error, RTMP_CORE_ERROR, client_code);
  g_assert_nonnull (strstr (error->message, status_code));
  g_assert_false (contains_secret (error->message));
  g_error_free (error);

  WAIT_FOR (f->closed->len == n_closed + 1);
  reason = g_ptr_array_index (f->close_errors, n_closed);
  g_assert_error (reason, RTMP_CORE_ERROR, server_code);
  g_assert_nonnull (strstr (reason->message, "live/s3****"));
  g_object_unref (client);
  g_free (where);
}

static void
test_refusals (void)
{
  Fixture *f = fixture_new ();
  RawRun run = { 0 };

  fixture_start (f);
  refuse_with_client (f, RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED,
      RTMP_CORE_ERROR_UNAUTHORIZED, "NetStream.Publish.Unauthorized",
      RTMP_CORE_ERROR_UNAUTHORIZED);
  refuse_with_client (f, RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
      RTMP_CORE_ERROR_REFUSED, "NetStream.Publish.BadName",
      RTMP_CORE_ERROR_REFUSED);
  refuse_with_client (f, RTMP_CORE_SERVER_DECISION_REJECT_CONNECT,
      RTMP_CORE_ERROR_REFUSED, "NetConnection.Connect.Rejected",
      RTMP_CORE_ERROR_REFUSED);

  f->decision = RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED;
  raw_run_start (&run, f->port, "unauthorized",
      raw_unauthorized_sequence);
  raw_run_join (&run);
  WAIT_FOR (f->closed->len == 4);

  g_assert_cmpuint (f->n_requests, ==, 4);
  g_assert_cmpuint (f->started->len, ==, 0);
  g_assert_cmpuint (f->stopped->len, ==, 0);
  g_assert_cmpuint (f->media->len, ==, 0);
  g_assert_cmpuint (stats_active (f), ==, 0);
  fixture_free (f);
}

/* ---- /server/busy-stream and /server/takeover ---- */

static void
send_some_media (RtmpCoreClient * client, GPtrArray * expected, guint first,
    guint n)
{
  guint i;

  for (i = first; i < first + n; i++) {
    RtmpCoreMessage *msg = make_media (i);
    GBytes *bytes = rtmp_core_message_get_payload (msg);

    expect (expected, msg->type, msg->timestamp, bytes);
    client_send (client, msg);
    g_bytes_unref (bytes);
    rtmp_core_message_unref (msg);
  }
}

static void
test_busy_stream (void)
{
  Fixture *f = fixture_new ();
  GPtrArray *expected = g_ptr_array_new_with_free_func (expected_free);
  RtmpCoreClient *first, *second;
  GError *error = NULL, *reason;
  gchar *where;

  fixture_start (f);
  where = location (f, "127.0.0.1", "rtmp", STREAM_KEY);
  first = client_publish (where);
  send_some_media (first, expected, 0, 5);

  /* the same stream, even with another query, is busy */
  g_free (where);
  where = location (f, "127.0.0.1", "rtmp", STREAM_KEY "?other=1");
  second = client_new (where);
  g_assert_false (client_connect_publish (second, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED);
  g_assert_nonnull (strstr (error->message, "NetStream.Publish.BadName"));
  g_error_free (error);
  WAIT_FOR (f->closed->len == 1);
  reason = g_ptr_array_index (f->close_errors, 0);
  g_assert_error (reason, RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED);
  /* the rule applies before asking the handlers */
  g_assert_cmpuint (f->n_requests, ==, 1);

  /* the first publisher goes on */
  send_some_media (first, expected, 5, 5);
  WAIT_FOR (f->media->len == expected->len);
  assert_media_equal (f->media, expected);
  g_assert_cmpuint (f->stopped->len, ==, 0);

  client_stop (first);
  WAIT_FOR (f->closed->len == 2);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));
  g_object_unref (first);
  g_object_unref (second);
  g_free (where);
  g_ptr_array_unref (expected);
  fixture_free (f);
}

static void
test_takeover (void)
{
  Fixture *f = fixture_new ();
  GPtrArray *expected = g_ptr_array_new_with_free_func (expected_free);
  RtmpCoreClient *first, *second;
  RtmpCoreServerSession *old_session, *new_session;
  GError *reason;
  gchar *where;
  guint i;

  g_object_set (f->server, "allow-publisher-takeover", TRUE, NULL);
  fixture_start (f);
  where = location (f, "127.0.0.1", "rtmp", STREAM_KEY);
  first = client_publish (where);
  second = client_publish (where);

  g_assert_cmpuint (f->started->len, ==, 2);
  old_session = g_ptr_array_index (f->started, 0);
  new_session = g_ptr_array_index (f->started, 1);
  g_assert_cmpuint (f->stopped->len, ==, 1);
  g_assert_true (g_ptr_array_index (f->stopped, 0) == old_session);
  reason = g_ptr_array_index (f->stop_errors, 0);
  g_assert_error (reason, RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED);
  WAIT_FOR (f->closed->len == 1);
  g_assert_true (g_ptr_array_index (f->closed, 0) == old_session);

  send_some_media (second, expected, 0, 10);
  WAIT_FOR (f->media->len == expected->len);
  assert_media_equal (f->media, expected);
  for (i = 0; i < f->media_sessions->len; i++)
    g_assert_true (g_ptr_array_index (f->media_sessions, i) == new_session);

  /* stopping the server ends the remaining publish cleanly */
  rtmp_core_server_stop (f->server);
  g_assert_cmpuint (f->stopped->len, ==, 2);
  g_assert_null (g_ptr_array_index (f->stop_errors, 1));
  g_assert_cmpuint (f->closed->len, ==, 2);
  g_assert_null (g_ptr_array_index (f->close_errors, 1));
  g_assert_cmpuint (stats_active (f), ==, 0);

  g_object_unref (first);
  g_object_unref (second);
  g_free (where);
  g_ptr_array_unref (expected);
  fixture_free (f);
}

/* ---- /server/hostile ---- */

static void
hostile_garbage (RawRun * run)
{
  static const gchar request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  RawClient *raw = raw_new (run->port);

  raw_write (raw, request, strlen (request));
  raw_wait_closed (raw);
  raw_free (raw);
}

static void
hostile_version_6 (RawRun * run)
{
  RawClient *raw = raw_new (run->port);
  guint8 *c0c1 = g_malloc0 (1 + RTMP_CORE_HANDSHAKE_PACKET_SIZE);

  c0c1[0] = 6;                  /* RTMPE */
  raw_write (raw, c0c1, 1 + RTMP_CORE_HANDSHAKE_PACKET_SIZE);
  raw_wait_closed (raw);
  g_free (c0c1);
  raw_free (raw);
}

static void
hostile_chunk_size_0 (RawRun * run)
{
  /* Set Chunk Size (type 1) on chunk stream 2 carrying 0 */
  static const guint8 bytes[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00
  };
  RawClient *raw = raw_new (run->port);

  raw_handshake (raw);
  raw_write (raw, bytes, sizeof (bytes));
  raw_wait_closed (raw);
  raw_free (raw);
}

static void
hostile_many_chunk_streams (RawRun * run)
{
  RawClient *raw = raw_new (run->port);
  GByteArray *out = g_byte_array_new ();
  guint8 payload[128];
  guint i;

  memset (payload, 0x55, sizeof (payload));
  raw_handshake (raw);
  /* 3000 chunk streams, each starting a 0xFFFFFF-byte video message */
  for (i = 0; i < 3000; i++) {
    guint csid = 64 + i;
    guint8 header[14] = { 0x01, (csid - 64) & 0xFF, (csid - 64) >> 8,
      0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x09, 0x01, 0x00, 0x00, 0x00
    };

    g_byte_array_append (out, header, sizeof (header));
    g_byte_array_append (out, payload, sizeof (payload));
  }
  raw_write (raw, out->data, out->len);
  raw_wait_closed (raw);
  g_byte_array_unref (out);
  raw_free (raw);
}

static void
hostile_malformed_connect (RawRun * run)
{
  /* "connect", 1.0, then an object whose first key claims 0x7FFF bytes */
  static const guint8 body[] = {
    0x02, 0x00, 0x07, 'c', 'o', 'n', 'n', 'e', 'c', 't',
    0x00, 0x3F, 0xF0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x03, 0x7F, 0xFF, 'a', 'p', 'p'
  };
  RawClient *raw = raw_new (run->port);
  GBytes *bytes = g_bytes_new_static (body, sizeof (body));

  raw_handshake (raw);
  raw_send (raw, rtmp_core_message_new (RTMP_CORE_MESSAGE_COMMAND_AMF0, 3, 0,
          0, bytes));
  raw_wait_closed (raw);
  g_bytes_unref (bytes);
  raw_free (raw);
}

static void
hostile_cut_mid_message (RawRun * run)
{
  /* a 50000-byte video message on chunk stream 6, of which 100 bytes */
  static const guint8 header[] = {
    0x06, 0x00, 0x00, 0x00, 0x00, 0xC3, 0x50, 0x09, 0x01, 0x00, 0x00, 0x00
  };
  RawClient *raw = raw_new (run->port);
  guint8 payload[100];

  memset (payload, 0x27, sizeof (payload));
  raw_connect_and_create_stream (raw, run->port);
  raw_write (raw, header, sizeof (header));
  raw_write (raw, payload, sizeof (payload));
  raw_free (raw);
}

/* Connects, then stays silent and never answers the server's ping. */
static void
hostile_idle (RawRun * run)
{
  RawClient *raw = raw_new (run->port);
  gboolean pinged = FALSE;
  guint i;

  raw_connect_and_create_stream (raw, run->port);
  raw_wait_closed (raw);
  for (i = 0; i < raw->received->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (raw->received, i);
    guint event;

    if (msg->type == RTMP_CORE_MESSAGE_USER_CONTROL &&
        rtmp_core_message_parse_user_control (msg, &event, NULL, NULL, NULL)
        && event == RTMP_CORE_USER_CONTROL_PING_REQUEST)
      pinged = TRUE;
  }
  g_assert_true (pinged);
  raw_free (raw);
}

static void
hostile_slowloris (RawRun * run)
{
  RawClient *raw = raw_new (run->port);

  raw_wait_closed (raw);
  raw_free (raw);
}

static void
hostile_slow_handshake (RawRun * run)
{
  RawClient *raw = raw_new (run->port);
  guint8 partial[100] = { 3 };

  raw_write (raw, partial, sizeof (partial));
  raw_wait_closed (raw);
  raw_free (raw);
}

typedef struct {
  RtmpCoreClient *client;
  GPtrArray *expected;
  guint next;
  guint n;
} Feeder;

static gboolean
feed_one (gpointer data)
{
  Feeder *feeder = data;

  send_some_media (feeder->client, feeder->expected, feeder->next++, 1);
  return feeder->next < feeder->n ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static guint
count_close_code (Fixture * f, gint code)
{
  guint i, n = 0;

  for (i = 0; i < f->close_errors->len; i++) {
    GError *error = g_ptr_array_index (f->close_errors, i);

    if (error && g_error_matches (error, RTMP_CORE_ERROR, code))
      n++;
  }
  return n;
}

/* attacks[]: the fast ones, then the idle one, then the slow ones */
#define N_FAST_ATTACKS 6
#define IDLE_ATTACK 6

static void
test_hostile (void)
{
  static const struct {
    const gchar *name;
    RawFunc func;
  } attacks[] = {
    { "garbage", hostile_garbage },
    { "version-6", hostile_version_6 },
    { "chunk-size-0", hostile_chunk_size_0 },
    { "many-chunk-streams", hostile_many_chunk_streams },
    { "malformed-connect", hostile_malformed_connect },
    { "cut-mid-message", hostile_cut_mid_message },
    { "idle", hostile_idle },
    { "slowloris", hostile_slowloris },
    { "slow-handshake", hostile_slow_handshake },
  };
  Fixture *f = fixture_new ();
  GPtrArray *expected = g_ptr_array_new_with_free_func (expected_free);
  RawRun runs[G_N_ELEMENTS (attacks)];
  Feeder feeder = { 0 };
  RtmpCoreServerSession *legit;
  gchar *where;
  guint i;

  /* messages up to the wire limit are allowed, so the many partial
   * messages hit the chunk stream limit rather than the size limit */
  g_object_set (f->server, "max-message-size", 0xFFFFFF, NULL);
  fixture_start (f);
  where = location (f, "127.0.0.1", "rtmp", STREAM_KEY);
  feeder.client = client_publish (where);
  feeder.expected = expected;
  feeder.n = 100;
  legit = g_ptr_array_index (f->started, 0);
  g_timeout_add (2, feed_one, &feeder);

  /* The idle timeout is read at the end of the handshake and the
   * handshake timeout at accept: the legitimate publisher keeps the
   * defaults, and the slow attackers come once the fast ones are done. */
  g_object_set (f->server, "idle-timeout", 1, NULL);
  memset (runs, 0, sizeof (runs));
  for (i = 0; i <= IDLE_ATTACK; i++)
    raw_run_start (&runs[i], f->port, attacks[i].name, attacks[i].func);
  for (i = 0; i < N_FAST_ATTACKS; i++)
    raw_run_join (&runs[i]);
  WAIT_FOR (f->closed->len - count_close_code (f, RTMP_CORE_ERROR_TIMEOUT)
      == N_FAST_ATTACKS);
  g_object_set (f->server, "handshake-timeout", 1, NULL);
  for (i = IDLE_ATTACK + 1; i < G_N_ELEMENTS (attacks); i++)
    raw_run_start (&runs[i], f->port, attacks[i].name, attacks[i].func);
  for (i = IDLE_ATTACK; i < G_N_ELEMENTS (attacks); i++)
    raw_run_join (&runs[i]);
  WAIT_FOR (f->closed->len == G_N_ELEMENTS (attacks) &&
      feeder.next == feeder.n);

  g_assert_cmpuint (count_close_code (f, RTMP_CORE_ERROR_BAD_VERSION), ==, 2);
  g_assert_cmpuint (count_close_code (f, RTMP_CORE_ERROR_CHUNK_SIZE), ==, 1);
  g_assert_cmpuint (count_close_code (f, RTMP_CORE_ERROR_TOO_MANY_STREAMS),
      ==, 1);
  g_assert_cmpuint (count_close_code (f, RTMP_CORE_ERROR_MALFORMED), ==, 1);
  g_assert_cmpuint (count_close_code (f, RTMP_CORE_ERROR_CLOSED), ==, 1);
  g_assert_cmpuint (count_close_code (f, RTMP_CORE_ERROR_TIMEOUT), ==, 3);
  for (i = 0; i < f->closed->len; i++)
    g_assert_true (g_ptr_array_index (f->closed, i) != legit);
  g_assert_cmpuint (stats_active (f), ==, 1);
  g_assert_cmpuint (stats_counter (f, "connections-total"), ==,
      1 + G_N_ELEMENTS (attacks));

  WAIT_FOR (f->media->len == expected->len);
  assert_media_equal (f->media, expected);
  g_assert_cmpuint (f->stopped->len, ==, 0);

  client_stop (feeder.client);
  WAIT_FOR (f->closed->len == G_N_ELEMENTS (attacks) + 1);
  g_assert_cmpuint (stats_active (f), ==, 0);
  g_assert_cmpuint (f->stopped->len, ==, 1);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));

  g_object_unref (feeder.client);
  g_free (where);
  g_ptr_array_unref (expected);
  fixture_free (f);
}

/* ---- /server/max-connections ---- */

static GSocketConnection *
tcp_connect (guint port)
{
  GSocketClient *sc = g_socket_client_new ();
  GError *error = NULL;
  GSocketConnection *conn = g_socket_client_connect_to_host (sc,
      "127.0.0.1", port, NULL, &error);

  g_assert_no_error (error);
  g_object_unref (sc);
  return conn;
}

static void
test_max_connections (void)
{
  Fixture *f = fixture_new ();
  GSocketConnection *first, *second;
  GSocket *socket;
  GError *error = NULL;
  gchar byte;

  g_object_set (f->server, "max-connections", 1, NULL);
  fixture_start (f);
  first = tcp_connect (f->port);
  WAIT_FOR (f->n_opened == 1);
  second = tcp_connect (f->port);
  WAIT_FOR (stats_counter (f, "connections-refused") == 1);

  /* the second one is closed right away */
  socket = g_socket_connection_get_socket (second);
  g_socket_set_timeout (socket, 20);
  g_assert_cmpint (g_socket_receive (socket, &byte, 1, NULL, &error), <=, 0);
  g_clear_error (&error);
  g_assert_cmpuint (f->n_opened, ==, 1);
  g_assert_cmpuint (stats_active (f), ==, 1);
  g_assert_cmpuint (stats_counter (f, "connections-total"), ==, 1);

  g_io_stream_close (G_IO_STREAM (first), NULL, NULL);
  WAIT_FOR (f->closed->len == 1);
  g_assert_error ((GError *) g_ptr_array_index (f->close_errors, 0),
      RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  g_assert_cmpuint (stats_active (f), ==, 0);

  g_io_stream_close (G_IO_STREAM (second), NULL, NULL);
  g_object_unref (first);
  g_object_unref (second);
  fixture_free (f);
}

/* ---- /server/ipv6 ---- */

static void
test_ipv6 (void)
{
  Fixture *f = fixture_new ();
  GPtrArray *expected = g_ptr_array_new_with_free_func (expected_free);
  RtmpCoreClient *client;
  GError *error = NULL;
  gchar *where;

  g_object_set (f->server, "address", "::1", NULL);
  if (!rtmp_core_server_start (f->server, NULL, &error)) {
    gchar *why = g_strdup_printf ("no IPv6 loopback: %s", error->message);

    g_test_skip (why);
    g_free (why);
    g_error_free (error);
    g_ptr_array_unref (expected);
    fixture_free (f);
    return;
  }
  f->port = rtmp_core_server_get_current_port (f->server);
  where = location (f, "[::1]", "rtmp", STREAM_KEY);
  client = client_publish (where);
  g_assert_true (g_str_has_prefix (f->address, "[::1]:"));

  send_some_media (client, expected, 95, 10);
  WAIT_FOR (f->media->len == expected->len);
  assert_media_equal (f->media, expected);
  client_stop (client);
  WAIT_FOR (f->closed->len == 1);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));

  g_object_unref (client);
  g_free (where);
  g_ptr_array_unref (expected);
  fixture_free (f);
}

/* ---- /server/rtmps ---- */

static GTlsCertificate *
make_certificate (void)
{
  gchar *dir, *cert_path, *key_path, *openssl, *out = NULL, *err = NULL;
  GTlsCertificate *cert;
  GError *error = NULL;
  gint status = 0;

  openssl = g_find_program_in_path ("openssl");
  if (openssl == NULL)
    return NULL;
  dir = g_dir_make_tmp ("test-server-XXXXXX", &error);
  g_assert_no_error (error);
  cert_path = g_build_filename (dir, "cert.pem", NULL);
  key_path = g_build_filename (dir, "key.pem", NULL);
  {
    const gchar *argv[] = { openssl, "req", "-x509", "-newkey", "ec",
      "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
      key_path, "-out", cert_path, "-days", "1", "-subj", "/CN=localhost",
      NULL
    };

    g_assert_true (g_spawn_sync (NULL, (gchar **) argv, NULL,
            G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  }
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  cert = g_tls_certificate_new_from_files (cert_path, key_path, &error);
  g_assert_no_error (error);

  g_unlink (cert_path);
  g_unlink (key_path);
  g_rmdir (dir);
  g_free (out);
  g_free (err);
  g_free (cert_path);
  g_free (key_path);
  g_free (dir);
  g_free (openssl);
  return cert;
}

static void
test_rtmps (void)
{
  Fixture *f;
  GPtrArray *expected;
  GTlsCertificate *cert;
  RtmpCoreClient *client;
  GError *error = NULL;
  gchar *where;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ())) {
    g_test_skip ("no TLS backend (glib-networking)");
    return;
  }
  cert = make_certificate ();
  if (cert == NULL) {
    g_test_skip ("openssl is not installed");
    return;
  }

  f = fixture_new ();
  expected = g_ptr_array_new_with_free_func (expected_free);
  g_object_set (f->server, "tls-certificate", cert, NULL);
  fixture_start (f);
  where = location (f, "127.0.0.1", "rtmps", STREAM_KEY);
  client = client_new (where);
  g_object_set (client, "tls-validation-flags", 0, NULL);
  g_assert_true (client_connect_publish (client, &error));
  g_assert_no_error (error);
  g_assert_true (G_IS_TLS_CONNECTION (rtmp_core_connection_get_stream
          (rtmp_core_server_session_get_connection (g_ptr_array_index
                  (f->started, 0)))));

  send_some_media (client, expected, 95, 10);
  WAIT_FOR (f->media->len == expected->len);
  assert_media_equal (f->media, expected);
  client_stop (client);
  WAIT_FOR (f->closed->len == 1);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));

  g_object_unref (client);
  g_object_unref (cert);
  g_free (where);
  g_ptr_array_unref (expected);
  fixture_free (f);
}

/* ---- /server/ffmpeg ---- */

static void
subprocess_done (GObject * source, GAsyncResult * result, gpointer data)
{
  gboolean *done = data;

  g_assert_true (g_subprocess_wait_finish (G_SUBPROCESS (source), result,
          NULL));
  *done = TRUE;
}

/* Runs ffmpeg publishing 2 s of H.264 + AAC to @stream; its exit status. */
static gint
run_ffmpeg (Fixture * f, const gchar * stream)
{
  gchar *where = location (f, "127.0.0.1", "rtmp", stream);
  GSubprocessFlags flags = g_test_verbose () ? G_SUBPROCESS_FLAGS_NONE :
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE;
  GSubprocess *process;
  GError *error = NULL;
  gboolean done = FALSE;
  gint status;

  process = g_subprocess_new (flags, &error, "ffmpeg", "-nostdin",
      "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i",
      "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine", "-t",
      "2", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-f",
      "flv", where, NULL);
  g_assert_no_error (error);
  g_subprocess_wait_async (process, NULL, subprocess_done, &done);
  WAIT_FOR (done);
  g_assert_true (g_subprocess_get_if_exited (process));
  status = g_subprocess_get_exit_status (process);
  g_object_unref (process);
  g_free (where);
  return status;
}

static gboolean
ffmpeg_usable (void)
{
  gchar *path = g_find_program_in_path ("ffmpeg");
  gchar *out = NULL;
  gboolean ok;

  if (path == NULL)
    return FALSE;
  g_free (path);
  ok = g_spawn_command_line_sync ("ffmpeg -hide_banner -encoders", &out,
      NULL, NULL, NULL) && out && strstr (out, "libx264") != NULL;
  g_free (out);
  return ok;
}

static void
test_ffmpeg (void)
{
  Fixture *f;
  gboolean avc_config = FALSE, aac_config = FALSE, metadata = FALSE;
  guint i, n_video = 0, n_audio = 0;

  if (!ffmpeg_usable ()) {
    g_test_skip ("ffmpeg with libx264 is not installed");
    return;
  }

  f = fixture_new ();
  f->decision = RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED;
  f->refused_stream = g_strdup ("refused");
  fixture_start (f);

  g_assert_cmpint (run_ffmpeg (f, STREAM_KEY), ==, 0);
  WAIT_FOR (f->closed->len == 1);
  g_assert_cmpuint (f->stopped->len, ==, 1);
  g_assert_null (g_ptr_array_index (f->stop_errors, 0));
  g_assert_true (g_str_has_prefix (f->flash_version, "FMLE/3.0"));
  g_assert_cmpstr (f->stream, ==, STREAM_KEY);

  for (i = 0; i < f->media->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (f->media, i);
    gsize size;
    const guint8 *data = rtmp_core_message_peek_data (msg, &size);

    if (msg->type == RTMP_CORE_MESSAGE_VIDEO && size >= 2) {
      /* AVC (7): sequence header first, then frames */
      g_assert_cmpuint (data[0] & 0x0F, ==, 7);
      if (data[1] == 0)
        avc_config = TRUE;
      else
        g_assert_true (avc_config);
      n_video++;
    } else if (msg->type == RTMP_CORE_MESSAGE_AUDIO && size >= 2) {
      g_assert_cmpuint (data[0] >> 4, ==, 10);  /* AAC */
      if (data[1] == 0)
        aac_config = TRUE;
      else
        g_assert_true (aac_config);
      n_audio++;
    } else if (msg->type == RTMP_CORE_MESSAGE_DATA_AMF0) {
      metadata |= size > 13 && memcmp (data, "\x02\x00\x0aonMetaData", 13) == 0;
    }
  }
  g_assert_true (avc_config);
  g_assert_true (aac_config);
  g_assert_true (metadata);
  g_assert_cmpuint (n_video, >=, 50);
  g_assert_cmpuint (n_audio, >=, 50);

  /* refused: ffmpeg fails */
  g_assert_cmpint (run_ffmpeg (f, "refused"), !=, 0);
  WAIT_FOR (f->closed->len == 2);
  g_assert_error ((GError *) g_ptr_array_index (f->close_errors, 1),
      RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (f->started->len, ==, 1);
  fixture_free (f);
}

int
main (int argc, char **argv)
{
  g_log_set_writer_func (log_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/publish", test_publish);
  g_test_add_func ("/server/obs-order", test_obs_order);
  g_test_add_func ("/server/refusals", test_refusals);
  g_test_add_func ("/server/busy-stream", test_busy_stream);
  g_test_add_func ("/server/takeover", test_takeover);
  g_test_add_func ("/server/hostile", test_hostile);
  g_test_add_func ("/server/max-connections", test_max_connections);
  g_test_add_func ("/server/ipv6", test_ipv6);
  g_test_add_func ("/server/rtmps", test_rtmps);
  g_test_add_func ("/server/ffmpeg", test_ffmpeg);
  return g_test_run ();
}
