/* RtmpCoreConnection over real sockets (socketpairs and TCP loopback),
 * driven by the default main context of the test thread. */
#include <stdlib.h>
#include <rtmpcore.h>
#include "rtmp-connection-private.h"

#include <string.h>
#include <sys/socket.h>

/* A normal run takes well under a second. The valgrind setup sets
 * RTMP_CORE_TEST_TIMEOUT_SCALE, since TLS under valgrind is very slow. */
#define SAFETY_TIMEOUT_SECONDS 60

static guint safety_id;

static gboolean
safety_timeout_cb (gpointer user_data)
{
  g_error ("%s: timed out after %u s", g_test_get_path (),
      GPOINTER_TO_UINT (user_data));
  return G_SOURCE_REMOVE;
}

static void
test_begin (void)
{
  const gchar *scale = g_getenv ("RTMP_CORE_TEST_TIMEOUT_SCALE");
  guint seconds = SAFETY_TIMEOUT_SECONDS * (scale ? MAX (1, atoi (scale)) : 1);

  safety_id = g_timeout_add_seconds (seconds, safety_timeout_cb,
      GUINT_TO_POINTER (seconds));
}

/* Runs whatever is ready, a few times over, so that operations cancelled
 * or completed just now have reported back. */
static void
drain_context (void)
{
  gint i;

  for (i = 0; i < 20; i++) {
    while (g_main_context_iteration (NULL, FALSE));
    g_usleep (1000);
  }
}

/* Lets pending closes and cancelled operations finish so nothing leaks. */
static void
test_end (void)
{
  g_source_remove (safety_id);
  drain_context ();
}

#define WAIT_UNTIL(cond) G_STMT_START { \
    while (!(cond)) \
      g_main_context_iteration (NULL, TRUE); \
  } G_STMT_END

/* ---- streams ---- */

static GIOStream *
stream_from_fd (int fd)
{
  GError *error = NULL;
  GSocket *socket = g_socket_new_from_fd (fd, &error);
  GSocketConnection *conn;

  g_assert_no_error (error);
  conn = g_socket_connection_factory_create_connection (socket);
  g_object_unref (socket);
  return G_IO_STREAM (conn);
}

static void
socketpair_fds (int fds[2])
{
  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM, 0, fds), ==, 0);
}

static void
make_socketpair_streams (GIOStream ** a, GIOStream ** b)
{
  int fds[2];

  socketpair_fds (fds);
  *a = stream_from_fd (fds[0]);
  *b = stream_from_fd (fds[1]);
}

static void
got_async_result (GObject * source, GAsyncResult * result, gpointer user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* A TCP connection over loopback: listener on port 0, in this thread. */
static void
make_tcp_streams (GIOStream ** a, GIOStream ** b)
{
  GSocketListener *listener = g_socket_listener_new ();
  GSocketClient *client = g_socket_client_new ();
  GInetAddress *loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  GSocketAddress *addr = g_inet_socket_address_new (loopback, 0);
  GSocketAddress *bound = NULL;
  GAsyncResult *accepted = NULL, *connected = NULL;
  GError *error = NULL;

  g_socket_listener_add_address (listener, addr, G_SOCKET_TYPE_STREAM,
      G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);

  g_socket_listener_accept_async (listener, NULL, got_async_result, &accepted);
  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (bound), NULL,
      got_async_result, &connected);
  WAIT_UNTIL (accepted && connected);

  *a = G_IO_STREAM (g_socket_client_connect_finish (client, connected,
          &error));
  g_assert_no_error (error);
  *b = G_IO_STREAM (g_socket_listener_accept_finish (listener, accepted, NULL,
          &error));
  g_assert_no_error (error);

  g_object_unref (accepted);
  g_object_unref (connected);
  g_object_unref (bound);
  g_object_unref (addr);
  g_object_unref (loopback);
  g_object_unref (client);
  g_socket_listener_close (listener);
  g_object_unref (listener);
}

/* ---- a connection with everything it reports recorded ---- */

typedef struct {
  RtmpCoreConnection *conn;
  GPtrArray *messages;          /* owned copies, in arrival order */
  guint n_closed;
  GError *closed_error;
  guint n_drained;
  gboolean handshake_done;
  GError *handshake_error;
} Peer;

static void
on_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg, Peer * p)
{
  /* a borrowed view: the copy must own its payload */
  g_assert_cmpint (msg->ref_count, ==, 0);
  g_ptr_array_add (p->messages, rtmp_core_message_copy (msg));
}

static void
on_closed (RtmpCoreConnection * conn, const GError * error, Peer * p)
{
  p->n_closed++;
  g_assert_true (rtmp_core_connection_is_closed (conn));
  g_clear_error (&p->closed_error);
  if (error)
    p->closed_error = g_error_copy (error);
}

static void
on_drained (RtmpCoreConnection * conn, Peer * p)
{
  p->n_drained++;
}

static void
peer_init (Peer * p, GIOStream * stream)
{
  memset (p, 0, sizeof (*p));
  p->conn = rtmp_core_connection_new (stream);
  g_assert_true (rtmp_core_connection_get_stream (p->conn) == stream);
  g_object_unref (stream);
  p->messages = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  g_signal_connect (p->conn, "message", G_CALLBACK (on_message), p);
  g_signal_connect (p->conn, "closed", G_CALLBACK (on_closed), p);
  g_signal_connect (p->conn, "queue-drained", G_CALLBACK (on_drained), p);
}

static void
peer_clear (Peer * p)
{
  if (p->conn) {
    gpointer weak = p->conn;

    /* nothing else may keep the connection alive */
    g_object_add_weak_pointer (G_OBJECT (p->conn), &weak);
    g_clear_object (&p->conn);
    g_assert_null (weak);
  }
  g_ptr_array_unref (p->messages);
  g_clear_error (&p->closed_error);
  g_clear_error (&p->handshake_error);
}

static void
handshake_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Peer *p = user_data;

  rtmp_core_connection_handshake_finish (RTMP_CORE_CONNECTION (source), result,
      &p->handshake_error);
  p->handshake_done = TRUE;
}

static guint64
stat_u64 (RtmpCoreConnection * conn, const gchar * key)
{
  GVariant *stats = rtmp_core_connection_get_stats (conn);
  guint64 v = 0;

  g_variant_ref_sink (stats);
  g_assert_true (g_variant_lookup (stats, key, "t", &v));
  g_variant_unref (stats);
  return v;
}

static guint32
stat_u32 (RtmpCoreConnection * conn, const gchar * key)
{
  GVariant *stats = rtmp_core_connection_get_stats (conn);
  guint32 v = 0;

  g_variant_ref_sink (stats);
  g_assert_true (g_variant_lookup (stats, key, "u", &v));
  g_variant_unref (stats);
  return v;
}

/* Messages of @type received by @p, starting at index @from. */
static guint
count_type (Peer * p, guint8 type)
{
  guint i, n = 0;

  for (i = 0; i < p->messages->len; i++)
    if (((RtmpCoreMessage *) g_ptr_array_index (p->messages, i))->type == type)
      n++;
  return n;
}

static RtmpCoreMessage *
nth_of_type (Peer * p, guint8 type, guint nth)
{
  guint i;

  for (i = 0; i < p->messages->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (p->messages, i);

    if (msg->type == type && nth-- == 0)
      return msg;
  }
  g_assert_not_reached ();
  return NULL;
}

static guint32
payload_u32 (const RtmpCoreMessage * msg, gsize offset)
{
  gsize size;
  const guint8 *d = rtmp_core_message_peek_data (msg, &size);

  g_assert_cmpuint (size, >=, offset + 4);
  d += offset;
  return ((guint32) d[0] << 24) | ((guint32) d[1] << 16) |
      ((guint32) d[2] << 8) | d[3];
}

static void
connect_pair (Peer * a, Peer * b, gboolean tcp)
{
  GIOStream *sa, *sb;

  if (tcp)
    make_tcp_streams (&sa, &sb);
  else
    make_socketpair_streams (&sa, &sb);
  peer_init (a, sa);
  peer_init (b, sb);
}

static void
handshake_pair (Peer * client, Peer * server, RtmpCoreHandshakeMode mode)
{
  rtmp_core_connection_handshake_async (client->conn,
      RTMP_CORE_HANDSHAKE_CLIENT, mode, NULL, handshake_cb, client);
  rtmp_core_connection_handshake_async (server->conn,
      RTMP_CORE_HANDSHAKE_SERVER, RTMP_CORE_HANDSHAKE_PLAIN, NULL,
      handshake_cb, server);
  WAIT_UNTIL (client->handshake_done && server->handshake_done);
  g_assert_no_error (client->handshake_error);
  g_assert_no_error (server->handshake_error);
}

static RtmpCoreMessage *
make_message (guint8 type, guint32 csid, guint32 stream_id, guint32 ts,
    gsize size, guint32 seed)
{
  guint8 *data = g_malloc (size);
  GRand *rand = g_rand_new_with_seed (seed);
  gsize i;

  for (i = 0; i < size; i++)
    data[i] = g_rand_int (rand) & 0xff;
  g_rand_free (rand);
  return rtmp_core_message_new_take (type, csid, stream_id, ts, data, size);
}

static void
queue_ok (Peer * p, RtmpCoreMessage * msg)
{
  GError *error = NULL;

  g_assert_true (rtmp_core_connection_queue_message (p->conn, msg, &error));
  g_assert_no_error (error);
}

static void
assert_same_message (const RtmpCoreMessage * got, const RtmpCoreMessage * want)
{
  gsize got_size, want_size;
  const guint8 *got_data = rtmp_core_message_peek_data (got, &got_size);
  const guint8 *want_data = rtmp_core_message_peek_data (want, &want_size);

  g_assert_cmpuint (got->type, ==, want->type);
  g_assert_cmpuint (got->chunk_stream_id, ==, want->chunk_stream_id);
  g_assert_cmpuint (got->stream_id, ==, want->stream_id);
  g_assert_cmpuint (got->timestamp, ==, want->timestamp);
  g_assert_cmpmem (got_data, got_size, want_data, want_size);
}

/* ---- raw socket peer ---- */

static GSocket *
raw_socket_from_fd (int fd)
{
  GError *error = NULL;
  GSocket *socket = g_socket_new_from_fd (fd, &error);

  g_assert_no_error (error);
  g_socket_set_blocking (socket, FALSE);
  return socket;
}

static void
raw_send (GSocket * socket, const guint8 * data, gsize size)
{
  GError *error = NULL;
  gsize sent = 0;

  while (sent < size) {
    gssize n = g_socket_send_with_blocking (socket, (const gchar *) data + sent,
        size - sent, TRUE, NULL, &error);

    g_assert_no_error (error);
    sent += n;
  }
}

/* Reads exactly @size bytes while the connection side keeps running. */
static void
raw_recv (GSocket * socket, guint8 * buf, gsize size)
{
  gsize got = 0;

  while (got < size) {
    GError *error = NULL;
    gssize n = g_socket_receive_with_blocking (socket, (gchar *) buf + got,
        size - got, FALSE, NULL, &error);

    if (n < 0) {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      g_clear_error (&error);
      if (!g_main_context_iteration (NULL, FALSE))
        g_socket_condition_timed_wait (socket, G_IO_IN, 2000, NULL, NULL);
      continue;
    }
    g_assert_cmpint (n, >, 0);
    got += n;
  }
}

/* A connection on one end of a socketpair, a raw socket on the other. */
static GSocket *
connect_raw (Peer * p)
{
  int fds[2];

  socketpair_fds (fds);
  peer_init (p, stream_from_fd (fds[0]));
  return raw_socket_from_fd (fds[1]);
}

/* ---- handshake ---- */

static void
exchange_one_each_way (Peer * a, Peer * b)
{
  static const guint8 cmd[] = { 0x02, 0x00, 0x07, 'c', 'o', 'n', 'n', 'e',
    'c', 't'
  };
  RtmpCoreMessage *to_b = rtmp_core_message_new_take (20, 3, 0, 0,
      g_memdup2 (cmd, sizeof (cmd)), sizeof (cmd));
  RtmpCoreMessage *to_a = make_message (9, 6, 1, 1234, 3000, 7);

  rtmp_core_connection_start (a->conn);
  rtmp_core_connection_start (b->conn);
  queue_ok (a, to_b);
  queue_ok (b, to_a);
  WAIT_UNTIL (count_type (b, 20) == 1 && count_type (a, 9) == 1);
  assert_same_message (nth_of_type (b, 20, 0), to_b);
  assert_same_message (nth_of_type (a, 9, 0), to_a);
  rtmp_core_message_unref (to_a);
  rtmp_core_message_unref (to_b);
}

static void
test_handshake (gconstpointer data)
{
  RtmpCoreHandshakeMode mode = GPOINTER_TO_INT (data);
  Peer a, b;

  test_begin ();
  connect_pair (&a, &b, TRUE);
  handshake_pair (&a, &b, mode);
  g_assert_false (rtmp_core_connection_is_closed (a.conn));
  g_assert_false (rtmp_core_connection_is_closed (b.conn));
  exchange_one_each_way (&a, &b);
  /* the handshake does not count as chunk stream bytes */
  g_assert_cmpuint (stat_u64 (b.conn, "bytes-in"), ==,
      stat_u64 (a.conn, "bytes-out"));
  g_assert_cmpuint (stat_u64 (a.conn, "bytes-in"), ==,
      stat_u64 (b.conn, "bytes-out"));
  g_assert_cmpuint (a.n_closed, ==, 0);
  g_assert_cmpuint (b.n_closed, ==, 0);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

typedef struct {
  gboolean done;
  gboolean ok;
  GError *error;
  guint64 queued_at_done;
  guint64 bytes_out_at_done;
} FlushResult;

static void
flush_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  FlushResult *r = user_data;
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (source);

  r->ok = rtmp_core_connection_flush_finish (conn, result, &r->error);
  r->queued_at_done = rtmp_core_connection_get_queued_bytes (conn);
  r->bytes_out_at_done = stat_u64 (conn, "bytes-out");
  r->done = TRUE;
}

/* Messages queued before the handshake wait for it; so do flushes. */
static void
test_handshake_queue_before (void)
{
  Peer a, b;
  FlushResult client_flush = { 0 }, server_flush = { 0 };
  RtmpCoreMessage *msg = make_message (20, 3, 0, 0, 300, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  queue_ok (&a, msg);
  rtmp_core_connection_handshake_async (a.conn, RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_PLAIN, NULL, handshake_cb, &a);
  rtmp_core_connection_handshake_async (b.conn, RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN, NULL, handshake_cb, &b);
  rtmp_core_connection_flush_async (a.conn, NULL, flush_cb, &client_flush);
  rtmp_core_connection_flush_async (b.conn, NULL, flush_cb, &server_flush);

  WAIT_UNTIL (b.handshake_done && server_flush.done);
  g_assert_no_error (b.handshake_error);
  g_assert_true (server_flush.ok);
  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (a.handshake_done && client_flush.done && b.messages->len == 1);
  g_assert_no_error (a.handshake_error);
  g_assert_true (client_flush.ok);
  assert_same_message (g_ptr_array_index (b.messages, 0), msg);
  g_assert_cmpuint (client_flush.bytes_out_at_done, ==, 12 + 300 + 2);

  rtmp_core_message_unref (msg);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* C2 and the first chunk arrive in one read: the bytes after the handshake
 * must reach the chunk reader once the connection is started. */
static void
test_handshake_leftover (void)
{
  static const guint8 chunk[] = {
    0x04,                       /* fmt 0, chunk stream 4 */
    0x00, 0x00, 0x0a,           /* timestamp 10 */
    0x00, 0x00, 0x03,           /* length 3 */
    0x08,                       /* audio */
    0x01, 0x00, 0x00, 0x00,     /* message stream 1, little-endian */
    'a', 'b', 'c'
  };
  Peer p;
  GSocket *raw = connect_raw (&p);
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_PLAIN);
  guint8 s012[1 + 2 * RTMP_CORE_HANDSHAKE_PACKET_SIZE];
  GBytes *out;
  GByteArray *c2_and_chunk;
  GError *error = NULL;
  gsize consumed, size;
  const guint8 *data;
  RtmpCoreMessage *msg;

  test_begin ();
  rtmp_core_connection_handshake_async (p.conn, RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN, NULL, handshake_cb, &p);

  out = rtmp_core_handshake_take_output (hs);
  data = g_bytes_get_data (out, &size);
  g_assert_cmpuint (size, ==, 1 + RTMP_CORE_HANDSHAKE_PACKET_SIZE);
  raw_send (raw, data, size);
  g_bytes_unref (out);

  raw_recv (raw, s012, sizeof (s012));
  g_assert_true (rtmp_core_handshake_feed (hs, s012, sizeof (s012), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, sizeof (s012));
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_false (p.handshake_done);

  out = rtmp_core_handshake_take_output (hs);
  c2_and_chunk = g_byte_array_new ();
  data = g_bytes_get_data (out, &size);
  g_assert_cmpuint (size, ==, RTMP_CORE_HANDSHAKE_PACKET_SIZE);
  g_byte_array_append (c2_and_chunk, data, size);
  g_byte_array_append (c2_and_chunk, chunk, sizeof (chunk));
  raw_send (raw, c2_and_chunk->data, c2_and_chunk->len);
  g_byte_array_unref (c2_and_chunk);
  g_bytes_unref (out);

  WAIT_UNTIL (p.handshake_done);
  g_assert_no_error (p.handshake_error);
  rtmp_core_connection_start (p.conn);
  WAIT_UNTIL (p.messages->len == 1);

  msg = g_ptr_array_index (p.messages, 0);
  g_assert_cmpuint (msg->type, ==, 8);
  g_assert_cmpuint (msg->chunk_stream_id, ==, 4);
  g_assert_cmpuint (msg->stream_id, ==, 1);
  g_assert_cmpuint (msg->timestamp, ==, 10);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpmem (data, size, "abc", 3);
  g_assert_cmpuint (stat_u64 (p.conn, "bytes-in"), ==, sizeof (chunk));
  g_assert_cmpuint (stat_u64 (p.conn, "messages-in"), ==, 1);

  rtmp_core_handshake_unref (hs);
  g_object_unref (raw);
  peer_clear (&p);
  test_end ();
}

static void
test_handshake_bad_version (void)
{
  guint8 c0c1[1 + RTMP_CORE_HANDSHAKE_PACKET_SIZE] = { 6 };
  Peer p;
  GSocket *raw = connect_raw (&p);

  test_begin ();
  rtmp_core_connection_handshake_async (p.conn, RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN, NULL, handshake_cb, &p);
  raw_send (raw, c0c1, sizeof (c0c1));
  WAIT_UNTIL (p.handshake_done);
  g_assert_error (p.handshake_error, RTMP_CORE_ERROR,
      RTMP_CORE_ERROR_BAD_VERSION);
  /* a failed handshake closes the connection with the same error */
  g_assert_cmpuint (p.n_closed, ==, 1);
  g_assert_error (p.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_BAD_VERSION);
  g_assert_true (rtmp_core_connection_is_closed (p.conn));

  g_object_unref (raw);
  peer_clear (&p);
  test_end ();
}

static gboolean
cancel_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_REMOVE;
}

/* The peer never answers: the caller's cancellable ends the handshake. */
static void
test_handshake_cancel (void)
{
  Peer p;
  GSocket *raw = connect_raw (&p);
  GCancellable *cancellable = g_cancellable_new ();
  guint8 c0c1[1 + RTMP_CORE_HANDSHAKE_PACKET_SIZE];

  test_begin ();
  rtmp_core_connection_handshake_async (p.conn, RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_DIGEST, cancellable, handshake_cb, &p);
  raw_recv (raw, c0c1, sizeof (c0c1));
  g_assert_cmpuint (c0c1[0], ==, 3);
  g_timeout_add (10, cancel_cb, cancellable);
  WAIT_UNTIL (p.handshake_done);
  g_assert_error (p.handshake_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (p.n_closed, ==, 1);
  g_assert_true (rtmp_core_connection_is_closed (p.conn));

  g_object_unref (cancellable);
  g_object_unref (raw);
  peer_clear (&p);
  test_end ();
}

/* ---- message exchange ---- */

typedef struct {
  guint32 chunk_size;           /* 0: keep the current one */
  guint8 type;
  guint32 csid;
  guint32 stream_id;
  guint32 timestamp;
  gsize size;
} Step;

static const Step a_to_b[] = {
  {0, 9, 6, 1, 0, 1024 * 1024},
  {0, 8, 4, 1, 20, 100},
  {4096, 8, 4, 1, 40, 1024 * 1024},
  {1, 18, 5, 1, 60, 20000},
  {65536, 9, 6, 1, 0x1000000, 1024 * 1024},     /* extended timestamp */
  {0, 9, 6, 1, 0x1000021, 300000},
  {128, 20, 3, 0, 0, 5000},
};

static const Step b_to_a[] = {
  {60000, 9, 7, 2, 0, 1024 * 1024},
  {0, 8, 319, 2, 5, 70000},     /* largest two-byte chunk stream id */
  {7, 8, 65599, 2, 5, 4000},    /* largest three-byte chunk stream id */
  {0x7FFFFFFF, 9, 7, 2, 10, 1024 * 1024},
};

static void
send_steps (Peer * from, const Step * steps, guint n, GPtrArray * sent,
    guint32 seed)
{
  guint i;

  for (i = 0; i < n; i++) {
    RtmpCoreMessage *msg;

    if (steps[i].chunk_size)
      rtmp_core_connection_set_chunk_size (from->conn, steps[i].chunk_size);
    msg = make_message (steps[i].type, steps[i].csid, steps[i].stream_id,
        steps[i].timestamp, steps[i].size, seed + i);
    queue_ok (from, msg);
    g_ptr_array_add (sent, msg);
  }
}

static guint
count_media (Peer * p)
{
  guint i, n = 0;

  for (i = 0; i < p->messages->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (p->messages, i);

    if (msg->type >= 8)
      n++;
  }
  return n;
}

static void
assert_received (Peer * p, GPtrArray * sent)
{
  guint i, j = 0;

  for (i = 0; i < p->messages->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (p->messages, i);

    if (msg->type < 8)
      continue;
    g_assert_cmpuint (j, <, sent->len);
    assert_same_message (msg, g_ptr_array_index (sent, j));
    j++;
  }
  g_assert_cmpuint (j, ==, sent->len);
}

static void
test_exchange_large (gconstpointer data)
{
  gboolean tcp = GPOINTER_TO_INT (data);
  GPtrArray *sent_ab = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  GPtrArray *sent_ba = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  Peer a, b;

  test_begin ();
  connect_pair (&a, &b, tcp);
  handshake_pair (&a, &b, RTMP_CORE_HANDSHAKE_PLAIN);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);

  /* both directions at once, changing chunk sizes between messages */
  send_steps (&a, a_to_b, G_N_ELEMENTS (a_to_b), sent_ab, 100);
  send_steps (&b, b_to_a, G_N_ELEMENTS (b_to_a), sent_ba, 200);
  WAIT_UNTIL (count_media (&b) == sent_ab->len &&
      count_media (&a) == sent_ba->len);

  assert_received (&b, sent_ab);
  assert_received (&a, sent_ba);

  /* each Set Chunk Size arrived as a message, in order */
  g_assert_cmpuint (count_type (&b, 1), ==, 4);
  g_assert_cmpuint (payload_u32 (nth_of_type (&b, 1, 1), 0), ==, 1);
  g_assert_cmpuint (count_type (&a, 1), ==, 3);
  g_assert_cmpuint (stat_u32 (b.conn, "in-chunk-size"), ==, 128);
  g_assert_cmpuint (stat_u32 (a.conn, "out-chunk-size"), ==, 128);
  g_assert_cmpuint (stat_u32 (a.conn, "in-chunk-size"), ==, 0x7FFFFFFF);
  g_assert_cmpuint (stat_u32 (b.conn, "out-chunk-size"), ==, 0x7FFFFFFF);

  g_assert_cmpuint (stat_u64 (b.conn, "bytes-in"), ==,
      stat_u64 (a.conn, "bytes-out"));
  g_assert_cmpuint (stat_u64 (a.conn, "bytes-in"), ==,
      stat_u64 (b.conn, "bytes-out"));
  g_assert_cmpuint (stat_u64 (a.conn, "messages-out"), ==,
      G_N_ELEMENTS (a_to_b) + 4);
  g_assert_cmpuint (stat_u64 (b.conn, "messages-in"), ==,
      G_N_ELEMENTS (a_to_b) + 4);
  g_assert_cmpuint (stat_u64 (a.conn, "queued-bytes"), ==, 0);

  g_ptr_array_unref (sent_ab);
  g_ptr_array_unref (sent_ba);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* A message handler may queue the borrowed view it got: it is copied. */
static void
echo_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg, gpointer data)
{
  if (msg->type == 9)
    g_assert_true (rtmp_core_connection_queue_message (conn, msg, NULL));
}

static void
test_echo_borrowed (void)
{
  Peer a, b;
  RtmpCoreMessage *msg = make_message (9, 6, 1, 77, 200000, 5);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  g_signal_connect (b.conn, "message", G_CALLBACK (echo_message), NULL);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);
  queue_ok (&a, msg);
  WAIT_UNTIL (count_type (&a, 9) == 1);
  assert_same_message (nth_of_type (&a, 9, 0), msg);
  rtmp_core_message_unref (msg);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* ---- ping ---- */

static void
on_rtt_notify (GObject * object, GParamSpec * pspec, guint * n)
{
  (*n)++;
}

static void
test_ping (void)
{
  Peer a, b;
  guint n_notify = 0;
  guint event;
  guint32 request_value, response_value;
  gint64 rtt;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  g_signal_connect (a.conn, "notify::rtt", G_CALLBACK (on_rtt_notify),
      &n_notify);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);
  g_assert_cmpint (rtmp_core_connection_get_rtt (a.conn), ==, -1);

  rtmp_core_connection_ping (a.conn);
  WAIT_UNTIL (n_notify == 1);

  rtt = rtmp_core_connection_get_rtt (a.conn);
  g_assert_cmpint (rtt, >=, 0);
  g_object_get (a.conn, "rtt", &rtt, NULL);
  g_assert_cmpint (rtt, >=, 0);

  /* b got the request and reported it; a got the response */
  g_assert_cmpuint (count_type (&b, 4), ==, 1);
  g_assert_true (rtmp_core_message_parse_user_control (nth_of_type (&b, 4, 0),
          &event, &request_value, NULL, NULL));
  g_assert_cmpuint (event, ==, RTMP_CORE_USER_CONTROL_PING_REQUEST);
  g_assert_cmpuint (count_type (&a, 4), ==, 1);
  g_assert_true (rtmp_core_message_parse_user_control (nth_of_type (&a, 4, 0),
          &event, &response_value, NULL, NULL));
  g_assert_cmpuint (event, ==, RTMP_CORE_USER_CONTROL_PING_RESPONSE);
  g_assert_cmpuint (response_value, ==, request_value);

  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* Pings while idle; the peer answers so the connection stays up. */
static void
test_ping_interval (void)
{
  Peer a, b;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);
  rtmp_core_connection_set_ping_interval_ms (a.conn, 10, 5000);
  WAIT_UNTIL (count_type (&a, 4) >= 3);
  g_assert_cmpuint (a.n_closed, ==, 0);
  g_assert_cmpint (rtmp_core_connection_get_rtt (a.conn), >=, 0);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* The peer is silent after our ping: closed with a timeout. */
static void
test_ping_timeout (void)
{
  static const guint8 ping_header[] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x06
  };
  guint8 buf[sizeof (ping_header) + 4];
  Peer p;
  GSocket *raw = connect_raw (&p);

  test_begin ();
  rtmp_core_connection_start (p.conn);
  rtmp_core_connection_set_ping_interval_ms (p.conn, 10, 30);
  raw_recv (raw, buf, sizeof (buf));
  g_assert_cmpmem (buf, sizeof (ping_header), ping_header,
      sizeof (ping_header));
  WAIT_UNTIL (p.n_closed == 1);
  g_assert_error (p.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT);

  g_object_unref (raw);
  peer_clear (&p);
  test_end ();
}

/* ---- flow control ---- */

#define ACK_START (G_GUINT64_CONSTANT (0x100000000) - 2000)

/* The receiver's counter starts 2000 bytes before 2^32 with a window of
 * 1000 bytes. Every message below is 717 bytes on the wire (a type 0 header
 * on a fresh chunk stream, 700 bytes in 6 chunks of 128), the Window Ack
 * Size 16, so the acknowledgements are due at 1450, 2884 and 4318 bytes,
 * carrying 2^32 - 550 and then the wrapped 884 and 2318. */
static void
test_ack_wraps (void)
{
  static const guint32 expected[] = { 4294966746u, 884, 2318 };
  Peer a, b;
  RtmpCoreMessage *msg;
  guint i, n_acks = 0;
  guint64 sent = 16;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_set_bytes_in_for_test (b.conn, ACK_START);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);

  msg = rtmp_core_message_new_window_ack_size (1000);
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);
  WAIT_UNTIL (stat_u64 (b.conn, "bytes-in") == ACK_START + sent);
  g_assert_cmpuint (stat_u32 (b.conn, "window-ack-size"), ==, 1000);

  for (i = 0; i < 6; i++) {
    msg = make_message (8, 4 + i, 1, 0, 700, i);
    queue_ok (&a, msg);
    rtmp_core_message_unref (msg);
    sent += 717;
    /* one message per read, so acknowledgements fall where expected */
    WAIT_UNTIL (stat_u64 (b.conn, "bytes-in") == ACK_START + sent);
    if (i % 2 == 1) {
      n_acks++;
      WAIT_UNTIL (count_type (&a, 3) == n_acks);
    }
  }
  g_assert_cmpuint (stat_u64 (a.conn, "bytes-out"), ==, 16 + 6 * 717);
  g_assert_cmpuint (stat_u64 (b.conn, "bytes-in"), ==,
      G_GUINT64_CONSTANT (0x100000000) + 2318);

  /* no acknowledgement beyond the three due */
  drain_context ();
  g_assert_cmpuint (count_type (&a, 3), ==, G_N_ELEMENTS (expected));
  for (i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (payload_u32 (nth_of_type (&a, 3, i), 0), ==,
        expected[i]);
  /* the sender unwraps what the peer acknowledged */
  g_assert_cmpuint (stat_u64 (a.conn, "bytes-acked"), ==,
      G_GUINT64_CONSTANT (0x100000000) + 2318);

  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* Set Peer Bandwidth is answered with a Window Ack Size of that size. */
static void
test_window_and_bandwidth (void)
{
  static const guint8 spb[] = { 0x00, 0x00, 0x13, 0x88, 0x02 };
  Peer a, b;
  RtmpCoreMessage *msg;
  gsize size;
  const guint8 *data;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);

  rtmp_core_connection_set_window_ack_size (b.conn, 5000);
  WAIT_UNTIL (count_type (&a, 6) == 1 && count_type (&b, 5) == 1);

  g_assert_cmpuint (count_type (&a, 5), ==, 1);
  g_assert_cmpuint (payload_u32 (nth_of_type (&a, 5, 0), 0), ==, 5000);
  msg = nth_of_type (&a, 6, 0);
  data = rtmp_core_message_peek_data (msg, &size);
  g_assert_cmpmem (data, size, spb, sizeof (spb));
  g_assert_cmpuint (payload_u32 (nth_of_type (&b, 5, 0), 0), ==, 5000);

  g_assert_cmpuint (stat_u32 (a.conn, "window-ack-size"), ==, 5000);
  g_assert_cmpuint (stat_u32 (a.conn, "peer-bandwidth"), ==, 5000);
  g_assert_cmpuint (stat_u32 (a.conn, "out-window-ack-size"), ==, 5000);
  g_assert_cmpuint (stat_u32 (b.conn, "out-window-ack-size"), ==, 5000);
  g_assert_cmpuint (stat_u32 (b.conn, "window-ack-size"), ==, 5000);

  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* ---- output queue ---- */

static void
test_queue_full (void)
{
  Peer a, b;
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  RtmpCoreMessage *msg;
  GError *error = NULL;
  guint64 max_bytes = 0;
  guint i;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  g_object_set (a.conn, "max-queue-bytes", (guint64) 100000, NULL);
  g_object_get (a.conn, "max-queue-bytes", &max_bytes, NULL);
  g_assert_cmpuint (max_bytes, ==, 100000);

  for (i = 0; i < 3; i++) {
    msg = make_message (9, 6, 1, i, 40000, i);
    queue_ok (&a, msg);
    g_ptr_array_add (sent, msg);
  }
  g_assert_cmpuint (rtmp_core_connection_get_queued_bytes (a.conn), ==, 120000);

  msg = make_message (9, 6, 1, 3, 40000, 3);
  g_assert_false (rtmp_core_connection_queue_message (a.conn, msg, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_QUEUE_FULL);
  g_clear_error (&error);
  rtmp_core_message_unref (msg);

  /* commands are never refused */
  msg = make_message (20, 3, 0, 0, 50, 9);
  queue_ok (&a, msg);
  g_ptr_array_add (sent, msg);
  g_assert_cmpuint (a.n_drained, ==, 0);

  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (a.n_drained == 1);
  g_assert_cmpuint (rtmp_core_connection_get_queued_bytes (a.conn), <, 25000);
  WAIT_UNTIL (count_media (&b) == sent->len);
  assert_received (&b, sent);
  g_assert_cmpuint (a.n_drained, ==, 1);

  g_ptr_array_unref (sent);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

static void
test_flush (void)
{
  Peer a, b;
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  FlushResult r = { 0 }, empty = { 0 };
  guint i;

  test_begin ();
  connect_pair (&a, &b, TRUE);
  rtmp_core_connection_start (a.conn);

  /* nothing queued: completes at once (from the main loop) */
  rtmp_core_connection_flush_async (a.conn, NULL, flush_cb, &empty);
  g_assert_false (empty.done);
  WAIT_UNTIL (empty.done);
  g_assert_true (empty.ok);

  for (i = 0; i < 4; i++) {
    RtmpCoreMessage *msg = make_message (9, 6, 1, i, 1024 * 1024, i);

    queue_ok (&a, msg);
    g_ptr_array_add (sent, msg);
  }
  rtmp_core_connection_flush_async (a.conn, NULL, flush_cb, &r);

  /* the peer starts reading only now: more than the socket buffers */
  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (r.queued_at_done, ==, 0);
  g_assert_cmpuint (r.bytes_out_at_done, >, 4 * 1024 * 1024);

  /* everything written was received */
  WAIT_UNTIL (stat_u64 (b.conn, "bytes-in") == r.bytes_out_at_done);
  WAIT_UNTIL (count_media (&b) == sent->len);
  assert_received (&b, sent);

  g_ptr_array_unref (sent);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

static void
test_flush_fails_on_close (void)
{
  Peer a, b;
  FlushResult r = { 0 }, cancelled = { 0 };
  GCancellable *cancellable = g_cancellable_new ();
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 4 * 1024 * 1024, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);

  rtmp_core_connection_flush_async (a.conn, cancellable, flush_cb, &cancelled);
  rtmp_core_connection_flush_async (a.conn, NULL, flush_cb, &r);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (cancelled.done);
  g_assert_error (cancelled.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (r.done);

  /* b never reads, so the write cannot complete */
  WAIT_UNTIL (stat_u64 (a.conn, "bytes-out") == 0 &&
      !g_main_context_pending (NULL));
  g_assert_false (r.done);
  rtmp_core_connection_close (a.conn, NULL);
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_error (r.error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_null (a.closed_error);

  g_clear_error (&r.error);
  g_clear_error (&cancelled.error);
  g_object_unref (cancellable);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* ---- closing ---- */

static void
test_peer_close (void)
{
  Peer a, b;
  GError *error = NULL;
  RtmpCoreMessage *msg;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);

  rtmp_core_connection_close (b.conn, NULL);
  g_assert_cmpuint (b.n_closed, ==, 1);
  g_assert_null (b.closed_error);
  rtmp_core_connection_close (b.conn, NULL);
  g_assert_cmpuint (b.n_closed, ==, 1);

  WAIT_UNTIL (a.n_closed == 1);
  g_assert_error (a.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  g_assert_nonnull (strstr (a.closed_error->message, "peer closed"));
  g_assert_true (rtmp_core_connection_is_closed (a.conn));

  msg = make_message (9, 6, 1, 0, 10, 1);
  g_assert_false (rtmp_core_connection_queue_message (a.conn, msg, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  g_clear_error (&error);
  rtmp_core_message_unref (msg);

  test_end ();
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_cmpuint (b.n_closed, ==, 1);
  peer_clear (&a);
  peer_clear (&b);
}

/* A local close with a reason reports that reason. */
static void
test_close_reason (void)
{
  Peer a, b;
  GError *reason = g_error_new_literal (RTMP_CORE_ERROR,
      RTMP_CORE_ERROR_UNAUTHORIZED, "go away");

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_close (a.conn, reason);
  g_assert_error (a.closed_error, RTMP_CORE_ERROR,
      RTMP_CORE_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (a.closed_error->message, ==, "go away");
  g_error_free (reason);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

typedef struct {
  const gchar *name;
  guint8 bytes[32];
  gsize size;
  gint code;
} GarbageCase;

static const GarbageCase garbage_cases[] = {
  /* a 16 MB message with a 1000-byte limit */
  {"too-large", {0x04, 0, 0, 0, 0xff, 0xff, 0xff, 0x09, 0, 0, 0, 0}, 12,
      RTMP_CORE_ERROR_MESSAGE_TOO_LARGE},
  /* Set Chunk Size 0 */
  {"chunk-size-0", {0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0, 0, 0, 0}, 16,
      RTMP_CORE_ERROR_CHUNK_SIZE},
  /* a Window Ack Size with two payload bytes */
  {"short-window", {0x02, 0, 0, 0, 0, 0, 2, 0x05, 0, 0, 0, 0, 0x10, 0}, 14,
      RTMP_CORE_ERROR_MALFORMED},
  /* an Acknowledgement with one payload byte */
  {"short-ack", {0x02, 0, 0, 0, 0, 0, 1, 0x03, 0, 0, 0, 0, 0x10}, 13,
      RTMP_CORE_ERROR_MALFORMED},
};

static void
test_garbage (gconstpointer data)
{
  const GarbageCase *c = data;
  Peer p;
  GSocket *raw = connect_raw (&p);

  test_begin ();
  rtmp_core_connection_set_limits (p.conn, 1000, 0, 0);
  rtmp_core_connection_start (p.conn);
  raw_send (raw, c->bytes, c->size);
  WAIT_UNTIL (p.n_closed == 1);
  g_assert_error (p.closed_error, RTMP_CORE_ERROR, c->code);
  test_end ();
  g_assert_cmpuint (p.n_closed, ==, 1);
  /* nothing is reported after the error */
  g_assert_cmpuint (p.messages->len, ==, 0);

  g_object_unref (raw);
  peer_clear (&p);
}

/* Dropping the last reference with a read pending frees the connection at
 * once; the cancelled read comes back later and closes the stream, which
 * the peer sees. */
static void
test_unref_with_pending_read (void)
{
  Peer a, b;
  gpointer weak;
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 2 * 1024 * 1024, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  /* b does not read yet, so a's write of 2 MB stays pending too */
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);
  WAIT_UNTIL (!g_main_context_pending (NULL));
  g_assert_cmpuint (rtmp_core_connection_get_queued_bytes (a.conn), ==,
      2 * 1024 * 1024);

  weak = a.conn;
  g_object_add_weak_pointer (G_OBJECT (a.conn), &weak);
  g_clear_object (&a.conn);
  g_assert_null (weak);
  g_assert_cmpuint (a.n_closed, ==, 0);

  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (b.n_closed == 1);
  g_assert_error (b.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  test_end ();
  g_assert_cmpuint (a.n_closed, ==, 0);
  peer_clear (&a);
  peer_clear (&b);
}

/* The user drops the connection from its own "message" handler. */
static void
drop_in_handler (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    Peer * p)
{
  g_clear_object (&p->conn);
}

static void
test_unref_in_handler (void)
{
  Peer a, b;
  RtmpCoreMessage *msg = make_message (8, 4, 1, 0, 10, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  g_signal_connect (b.conn, "message", G_CALLBACK (drop_in_handler), &b);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);
  /* two messages in one read: the second must not reach a freed object */
  queue_ok (&a, msg);
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);
  WAIT_UNTIL (b.conn == NULL);
  /* b is disposed once its read callback returns: a sees the close */
  WAIT_UNTIL (a.n_closed == 1);
  g_assert_cmpuint (b.messages->len, >=, 1);
  g_assert_cmpuint (b.n_closed, ==, 0);
  test_end ();
  peer_clear (&a);
  peer_clear (&b);
}

static void
test_stats (void)
{
  Peer a, b;
  RtmpCoreMessage *msg;
  GVariant *stats;
  guint64 u64;
  gint64 rtt;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  stats = rtmp_core_connection_get_stats (a.conn);
  g_assert_true (g_variant_is_floating (stats));
  g_variant_ref_sink (stats);
  g_assert_true (g_variant_is_of_type (stats, G_VARIANT_TYPE_VARDICT));
  g_assert_true (g_variant_lookup (stats, "bytes-in", "t", &u64));
  g_assert_true (g_variant_lookup (stats, "bytes-out", "t", &u64));
  g_assert_true (g_variant_lookup (stats, "bytes-acked", "t", &u64));
  g_assert_true (g_variant_lookup (stats, "messages-in", "t", &u64));
  g_assert_true (g_variant_lookup (stats, "messages-out", "t", &u64));
  g_assert_true (g_variant_lookup (stats, "queued-bytes", "t", &u64));
  g_assert_true (g_variant_lookup (stats, "rtt-us", "x", &rtt));
  g_assert_cmpint (rtt, ==, -1);
  g_variant_unref (stats);
  g_assert_cmpuint (stat_u32 (a.conn, "in-chunk-size"), ==, 128);
  g_assert_cmpuint (stat_u32 (a.conn, "out-chunk-size"), ==, 128);
  g_assert_cmpuint (stat_u32 (a.conn, "window-ack-size"), ==, 0);

  g_object_get (a.conn, "bytes-in", &u64, NULL);
  g_assert_cmpuint (u64, ==, 0);
  g_object_get (a.conn, "max-queue-bytes", &u64, NULL);
  g_assert_cmpuint (u64, ==, RTMP_CORE_DEFAULT_MAX_QUEUE_BYTES);

  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_start (b.conn);
  msg = rtmp_core_message_new_abort (4);
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);
  WAIT_UNTIL (count_type (&b, 2) == 1);
  g_object_get (b.conn, "bytes-in", &u64, NULL);
  g_assert_cmpuint (u64, ==, 16);
  g_object_get (a.conn, "bytes-out", &u64, NULL);
  g_assert_cmpuint (u64, ==, 16);
  g_assert_cmpuint (stat_u64 (a.conn, "messages-out"), ==, 1);

  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* ---- graceful close ---- */

/* A self-signed certificate for 127.0.0.1 (valid 2000-2100) and its key,
 * made for these tests only. */
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
    "-----END CERTIFICATE-----\n"
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtp+EWbVQP+u8H2tA\n"
    "SnLyKvl/VUVT+Szw7XP3SZvHcGKhRANCAAQiu46c0BMn6P+nTTREtYHl7tU/VYXx\n"
    "6PoSazI/aKZfRqdNe5Z38HZm1IWMdCRlO1ARcx9xa8bB5ZeNzxzjDwgX\n"
    "-----END PRIVATE KEY-----\n";

static gboolean
accept_any_certificate (GTlsConnection * conn, GTlsCertificate * cert,
    GTlsCertificateFlags errors, gpointer user_data)
{
  return TRUE;
}

static void
tls_handshake_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GError *error = NULL;

  g_assert_true (g_tls_connection_handshake_finish (G_TLS_CONNECTION (source),
          result, &error));
  g_assert_no_error (error);
  (*(guint *) user_data)++;
}

/* TLS over TCP loopback: @a is the client, @b the server. Both are plain
 * GTlsConnections, as a server makes them. */
static gboolean
make_tls_streams (GIOStream ** a, GIOStream ** b)
{
  GIOStream *tcp_a, *tcp_b;
  GTlsCertificate *cert;
  guint n_done = 0;
  GError *error = NULL;

  if (!g_tls_backend_supports_tls (g_tls_backend_get_default ()))
    return FALSE;
  cert = g_tls_certificate_new_from_pem (test_cert_pem, -1, &error);
  g_assert_no_error (error);
  make_tcp_streams (&tcp_a, &tcp_b);
  *a = G_IO_STREAM (g_tls_client_connection_new (tcp_a, NULL, &error));
  g_assert_no_error (error);
  *b = G_IO_STREAM (g_tls_server_connection_new (tcp_b, cert, &error));
  g_assert_no_error (error);
  g_signal_connect (*a, "accept-certificate",
      G_CALLBACK (accept_any_certificate), NULL);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (*a), G_PRIORITY_DEFAULT,
      NULL, tls_handshake_cb, &n_done);
  g_tls_connection_handshake_async (G_TLS_CONNECTION (*b), G_PRIORITY_DEFAULT,
      NULL, tls_handshake_cb, &n_done);
  WAIT_UNTIL (n_done == 2);
  g_object_unref (tcp_a);
  g_object_unref (tcp_b);
  g_object_unref (cert);
  return TRUE;
}

typedef struct {
  gboolean done;
  gboolean ok;
  GError *error;
} CloseResult;



static void
close_gracefully_cb (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  CloseResult *r = user_data;
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (source);

  r->ok = rtmp_core_connection_close_gracefully_finish (conn, result,
      &r->error);
  /* the connection is closed by the time the result arrives, unless
   * this was a second call while closing */
  if (!g_error_matches (r->error, G_IO_ERROR, G_IO_ERROR_PENDING))
    g_assert_true (rtmp_core_connection_is_closed (conn));
  r->done = TRUE;
}


/* Answers every video message with 16 kB of data, for as long as it can. */
static void
spam_back (RtmpCoreConnection * conn, RtmpCoreMessage * msg, gpointer data)
{
  RtmpCoreMessage *reply;

  if (msg->type != 9)
    return;
  reply = make_message (18, 5, 1, 0, 16 * 1024, msg->timestamp);
  /* refused once the queue is full or the peer closed: fine */
  rtmp_core_connection_queue_message (conn, reply, NULL);
  rtmp_core_message_unref (reply);
}

#define TAIL_MESSAGE_SIZE (64 * 1024)

/* The peer keeps sending while we publish a lot and then close: every
 * byte we sent arrives, and the peer sees a clean end of stream (for TLS:
 * a close_notify, which GTlsConnection requires), not a reset. */
static void
test_close_gracefully_tail (gconstpointer data)
{
  gboolean tls = GPOINTER_TO_INT (data);
  GPtrArray *sent = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  /* more than the socket buffers hold; TLS is slower, so less there */
  guint n_messages = tls ? 24 : 64;
  GIOStream *sa, *sb;
  CloseResult r = { 0 };
  Peer a, b;
  guint i;

  test_begin ();
  if (tls) {
    if (!make_tls_streams (&sa, &sb)) {
      g_test_skip ("no TLS backend (glib-networking)");
      g_ptr_array_unref (sent);
      test_end ();
      return;
    }
  } else {
    make_tcp_streams (&sa, &sb);
  }
  peer_init (&a, sa);
  peer_init (&b, sb);
  handshake_pair (&a, &b, RTMP_CORE_HANDSHAKE_PLAIN);
  g_signal_connect (b.conn, "message", G_CALLBACK (spam_back), NULL);

  /* b fills a's receive side; a reads it all the time */
  rtmp_core_connection_start (a.conn);
  for (i = 0; i < n_messages; i++) {
    RtmpCoreMessage *msg = make_message (18, 5, 1, i, 64 * 1024, 1000 + i);

    queue_ok (&b, msg);
    rtmp_core_message_unref (msg);
  }
  /* a publishes more than the socket buffers hold, b is not reading yet */
  for (i = 0; i < n_messages; i++) {
    RtmpCoreMessage *msg = make_message (9, 6, 1, i, TAIL_MESSAGE_SIZE, i);

    queue_ok (&a, msg);
    g_ptr_array_add (sent, msg);
  }
  /* no timeout: only the peer's close can end it */
  rtmp_core_connection_close_gracefully_async (a.conn, 0, NULL,
      close_gracefully_cb, &r);
  g_assert_false (r.done);

  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (r.done && b.n_closed == 1);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);

  /* a closed cleanly, after b */
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_null (a.closed_error);
  /* b saw the end of the stream, not a reset */
  g_assert_error (b.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  g_assert_nonnull (strstr (b.closed_error->message, "peer closed"));
  /* and got every byte */
  g_assert_cmpuint (stat_u64 (b.conn, "bytes-in"), ==,
      stat_u64 (a.conn, "bytes-out"));
  g_assert_cmpuint (stat_u64 (a.conn, "bytes-out"), >,
      n_messages * TAIL_MESSAGE_SIZE);
  assert_received (&b, sent);
  /* a read b's data, as messages, all along */
  g_assert_cmpuint (count_type (&a, 18), >, 0);

  g_ptr_array_unref (sent);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* A peer that reads everything but never closes: the close completes
 * after the timeout, successfully, once everything was written. */
static void
test_close_gracefully_timeout (void)
{
  Peer a, b;
  CloseResult r = { 0 };
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 5000, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  queue_ok (&a, msg);
  rtmp_core_connection_close_gracefully_async (a.conn, 200, NULL,
      close_gracefully_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_null (a.closed_error);

  /* b reads the message, then a's end */
  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (b.n_closed == 1);
  g_assert_cmpuint (count_type (&b, 9), ==, 1);
  assert_same_message (nth_of_type (&b, 9, 0), msg);
  g_assert_error (b.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);

  rtmp_core_message_unref (msg);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* A peer that reads nothing: the flush stalls and the close fails with a
 * timeout instead of waiting for ever. */
static void
test_close_gracefully_stall (void)
{
  Peer a, b;
  CloseResult r = { 0 };
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 4 * 1024 * 1024, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);
  rtmp_core_connection_close_gracefully_async (a.conn, 300, NULL,
      close_gracefully_cb, &r);
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_error (r.error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (r.error->message, "300 ms"));
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_error (a.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT);

  g_clear_error (&r.error);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* Once closing, nothing new is queued, and a second close is refused;
 * cancelling while waiting for the peer closes at once. */
static void
test_close_gracefully_refuse_and_cancel (void)
{
  Peer a, b;
  CloseResult r = { 0 }, again = { 0 };
  GCancellable *cancellable = g_cancellable_new ();
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 100, 1);
  GError *error = NULL;

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  rtmp_core_connection_close_gracefully_async (a.conn, 0, cancellable,
      close_gracefully_cb, &r);
  g_assert_false (rtmp_core_connection_queue_message (a.conn, msg, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);
  g_assert_nonnull (strstr (error->message, "closing"));
  g_clear_error (&error);
  g_assert_false (rtmp_core_connection_is_closed (a.conn));

  rtmp_core_connection_close_gracefully_async (a.conn, 0, NULL,
      close_gracefully_cb, &again);
  WAIT_UNTIL (again.done);
  g_assert_error (again.error, G_IO_ERROR, G_IO_ERROR_PENDING);

  /* b never closes and there is no timeout: only cancelling ends it */
  WAIT_UNTIL (!g_main_context_pending (NULL));
  g_assert_false (r.done);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (r.done);
  g_assert_error (r.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_null (a.closed_error);

  /* b got a's end of stream */
  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (b.n_closed == 1);
  g_assert_error (b.closed_error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);

  g_clear_error (&r.error);
  g_clear_error (&again.error);
  g_object_unref (cancellable);
  rtmp_core_message_unref (msg);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* A connection that was never started is started, so that the peer's
 * close can be seen; an already closed one fails at once. */
static void
test_close_gracefully_not_started (void)
{
  Peer a, b;
  CloseResult r = { 0 }, closed = { 0 };
  RtmpCoreMessage *msg = make_message (8, 4, 1, 7, 300, 3);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  handshake_pair (&a, &b, RTMP_CORE_HANDSHAKE_PLAIN);
  queue_ok (&a, msg);
  rtmp_core_connection_close_gracefully_async (a.conn, 0, NULL,
      close_gracefully_cb, &r);
  rtmp_core_connection_start (b.conn);
  WAIT_UNTIL (r.done);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (b.n_closed, ==, 1);
  g_assert_cmpuint (count_type (&b, 8), ==, 1);
  assert_same_message (nth_of_type (&b, 8, 0), msg);

  rtmp_core_connection_close_gracefully_async (a.conn, 0, NULL,
      close_gracefully_cb, &closed);
  WAIT_UNTIL (closed.done);
  g_assert_error (closed.error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED);

  g_clear_error (&closed.error);
  rtmp_core_message_unref (msg);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* The peer goes away before everything was written: that is an error. */
static void
test_close_gracefully_peer_gone (void)
{
  Peer a, b;
  CloseResult r = { 0 };
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 4 * 1024 * 1024, 1);

  test_begin ();
  connect_pair (&a, &b, FALSE);
  rtmp_core_connection_start (a.conn);
  queue_ok (&a, msg);
  rtmp_core_message_unref (msg);
  rtmp_core_connection_close_gracefully_async (a.conn, 30000, NULL,
      close_gracefully_cb, &r);
  WAIT_UNTIL (!g_main_context_pending (NULL));
  rtmp_core_connection_close (b.conn, NULL);
  WAIT_UNTIL (r.done);
  g_assert_false (r.ok);
  g_assert_nonnull (r.error);
  g_assert_cmpuint (a.n_closed, ==, 1);
  g_assert_nonnull (a.closed_error);

  g_clear_error (&r.error);
  peer_clear (&a);
  peer_clear (&b);
  test_end ();
}

/* A TLS peer that reads everything and then closes its TCP socket without
 * a close_notify (as some servers do): still a success. */
typedef struct {
  GIOStream *stream;
  guint64 n_read;
} RawTlsPeer;

static gpointer
raw_tls_read_all (gpointer data)
{
  RawTlsPeer *peer = data;
  GInputStream *in = g_io_stream_get_input_stream (peer->stream);
  GIOStream *base = NULL;
  guint8 buf[4096];
  gssize n;
  GError *error = NULL;

  /* ends at our close_notify */
  while ((n = g_input_stream_read (in, buf, sizeof (buf), NULL, &error)) > 0)
    peer->n_read += n;
  g_assert_no_error (error);
  g_object_get (peer->stream, "base-io-stream", &base, NULL);
  g_socket_close (g_socket_connection_get_socket (G_SOCKET_CONNECTION (base)),
      &error);
  g_assert_no_error (error);
  g_object_unref (base);
  return NULL;
}

static void
test_close_gracefully_tls_no_close_notify (void)
{
  RawTlsPeer peer = { 0 };
  CloseResult r = { 0 };
  GIOStream *sa;
  GThread *thread;
  Peer a;
  RtmpCoreMessage *msg = make_message (9, 6, 1, 0, 30000, 5);

  test_begin ();
  if (!make_tls_streams (&sa, &peer.stream)) {
    g_test_skip ("no TLS backend (glib-networking)");
    rtmp_core_message_unref (msg);
    test_end ();
    return;
  }
  peer_init (&a, sa);
  queue_ok (&a, msg);
  thread = g_thread_new ("raw-tls-peer", raw_tls_read_all, &peer);
  rtmp_core_connection_close_gracefully_async (a.conn, 0, NULL,
      close_gracefully_cb, &r);
  WAIT_UNTIL (r.done);
  g_thread_join (thread);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_null (a.closed_error);
  g_assert_cmpuint (peer.n_read, ==, stat_u64 (a.conn, "bytes-out"));

  g_object_unref (peer.stream);
  rtmp_core_message_unref (msg);
  peer_clear (&a);
  test_end ();
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);

  g_test_add_data_func ("/connection/handshake/plain",
      GINT_TO_POINTER (RTMP_CORE_HANDSHAKE_PLAIN), test_handshake);
  g_test_add_data_func ("/connection/handshake/digest",
      GINT_TO_POINTER (RTMP_CORE_HANDSHAKE_DIGEST), test_handshake);
  g_test_add_func ("/connection/handshake/leftover", test_handshake_leftover);
  g_test_add_func ("/connection/handshake/queue-before",
      test_handshake_queue_before);
  g_test_add_func ("/connection/handshake/bad-version",
      test_handshake_bad_version);
  g_test_add_func ("/connection/handshake/cancel", test_handshake_cancel);
  g_test_add_data_func ("/connection/exchange/large-socketpair",
      GINT_TO_POINTER (FALSE), test_exchange_large);
  g_test_add_data_func ("/connection/exchange/large-tcp",
      GINT_TO_POINTER (TRUE), test_exchange_large);
  g_test_add_func ("/connection/exchange/echo-borrowed", test_echo_borrowed);
  g_test_add_func ("/connection/ping/rtt", test_ping);
  g_test_add_func ("/connection/ping/interval", test_ping_interval);
  g_test_add_func ("/connection/ping/timeout", test_ping_timeout);
  g_test_add_func ("/connection/ack/wraps", test_ack_wraps);
  g_test_add_func ("/connection/ack/peer-bandwidth", test_window_and_bandwidth);
  g_test_add_func ("/connection/queue/full", test_queue_full);
  g_test_add_func ("/connection/flush/complete", test_flush);
  g_test_add_func ("/connection/flush/fails-on-close",
      test_flush_fails_on_close);
  g_test_add_func ("/connection/close/peer", test_peer_close);
  g_test_add_func ("/connection/close/reason", test_close_reason);
  for (i = 0; i < G_N_ELEMENTS (garbage_cases); i++) {
    gchar *path = g_strdup_printf ("/connection/close/garbage/%s",
        garbage_cases[i].name);

    g_test_add_data_func (path, &garbage_cases[i], test_garbage);
    g_free (path);
  }
  g_test_add_func ("/connection/close/unref-pending-read",
      test_unref_with_pending_read);
  g_test_add_func ("/connection/close/unref-in-handler",
      test_unref_in_handler);
  g_test_add_func ("/connection/stats", test_stats);
  g_test_add_data_func ("/connection/close-gracefully/tail-tcp",
      GINT_TO_POINTER (FALSE), test_close_gracefully_tail);
  g_test_add_data_func ("/connection/close-gracefully/tail-tls",
      GINT_TO_POINTER (TRUE), test_close_gracefully_tail);
  g_test_add_func ("/connection/close-gracefully/tls-no-close-notify",
      test_close_gracefully_tls_no_close_notify);
  g_test_add_func ("/connection/close-gracefully/timeout",
      test_close_gracefully_timeout);
  g_test_add_func ("/connection/close-gracefully/stall",
      test_close_gracefully_stall);
  g_test_add_func ("/connection/close-gracefully/refuse-and-cancel",
      test_close_gracefully_refuse_and_cancel);
  g_test_add_func ("/connection/close-gracefully/not-started",
      test_close_gracefully_not_started);
  g_test_add_func ("/connection/close-gracefully/peer-gone",
      test_close_gracefully_peer_gone);

  return g_test_run ();
}
