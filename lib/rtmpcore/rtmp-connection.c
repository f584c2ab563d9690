/* RtmpCoreConnection: the RTMP chunk stream over a GIOStream.
 *
 * The codec pieces (handshake, chunk reader and writer) know nothing about
 * I/O; this object drives them from GIO async calls in one GMainContext.
 *
 * Lifetime: pending GIO operations do not keep the connection alive. They
 * hold a reference to an IoState (stream, read buffer, chunk writer and the
 * messages being written) whose back pointer to the connection is cleared
 * in dispose, so dropping the last reference with I/O pending cancels it
 * and frees the connection at once; the IoState goes when the cancelled
 * operations have come back, after closing the stream. */
#include "rtmp-connection.h"
#include "rtmp-connection-private.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-chunk-writer.h"
#include "rtmp-error.h"

#include <string.h>
#ifdef G_OS_UNIX
#include <netinet/in.h>
#include <netinet/tcp.h>
#endif

/* Reads are at least this large: one read usually takes a whole batch. */
#define READ_BUFFER_SIZE (64 * 1024)
/* A write batch stops growing once this many bytes are chunked. */
#define MAX_BATCH_BYTES (256 * 1024)

/* ---- message ring buffer ---- */

typedef struct {
  RtmpCoreMessage **items;
  guint head;
  guint len;
  guint alloc;
} MessageQueue;

static void
message_queue_push (MessageQueue * q, RtmpCoreMessage * msg)
{
  if (q->len == q->alloc) {
    guint new_alloc = MAX (16, q->alloc * 2);
    RtmpCoreMessage **items = g_new (RtmpCoreMessage *, new_alloc);
    guint i;

    for (i = 0; i < q->len; i++)
      items[i] = q->items[(q->head + i) % q->alloc];
    g_free (q->items);
    q->items = items;
    q->alloc = new_alloc;
    q->head = 0;
  }
  q->items[(q->head + q->len) % q->alloc] = msg;
  q->len++;
}

static RtmpCoreMessage *
message_queue_pop (MessageQueue * q)
{
  RtmpCoreMessage *msg;

  if (q->len == 0)
    return NULL;
  msg = q->items[q->head];
  q->head = (q->head + 1) % q->alloc;
  q->len--;
  return msg;
}

static void
message_queue_clear (MessageQueue * q)
{
  RtmpCoreMessage *msg;

  while ((msg = message_queue_pop (q)))
    rtmp_core_message_unref (msg);
  g_clear_pointer (&q->items, g_free);
  q->alloc = 0;
  q->head = 0;
}

/* ---- I/O state shared with pending operations ---- */

typedef struct {
  gint ref_count;
  RtmpCoreConnection *conn;     /* NULL once the connection is disposed */
  GMainContext *context;
  GIOStream *stream;
  GInputStream *in;
  GOutputStream *out;

  guint8 *read_buf;
  gboolean read_pending;

  RtmpCoreChunkWriter *writer;
  GPtrArray *inflight;          /* messages whose chunks are being written */
  gsize inflight_payload;
  GArray *vectors;              /* our copy: writev_all modifies them */
  GBytes *handshake_out;        /* handshake bytes being written */
  gboolean write_pending;

  gboolean close_stream;
  gboolean stream_closing;
} IoState;

static IoState *
io_state_new (RtmpCoreConnection * conn, GMainContext * context,
    GIOStream * stream)
{
  IoState *io = g_new0 (IoState, 1);

  io->ref_count = 1;
  io->conn = conn;
  io->context = g_main_context_ref (context);
  io->stream = g_object_ref (stream);
  io->in = g_io_stream_get_input_stream (stream);
  io->out = g_io_stream_get_output_stream (stream);
  io->read_buf = g_malloc (READ_BUFFER_SIZE);
  io->writer = rtmp_core_chunk_writer_new ();
  io->inflight = g_ptr_array_new_with_free_func ((GDestroyNotify)
      rtmp_core_message_unref);
  io->vectors = g_array_new (FALSE, FALSE, sizeof (GOutputVector));
  return io;
}

static IoState *
io_state_ref (IoState * io)
{
  io->ref_count++;
  return io;
}

static void
io_state_unref (IoState * io)
{
  if (--io->ref_count > 0)
    return;
  g_free (io->read_buf);
  rtmp_core_chunk_writer_unref (io->writer);
  g_ptr_array_unref (io->inflight);
  g_array_unref (io->vectors);
  g_clear_pointer (&io->handshake_out, g_bytes_unref);
  g_object_unref (io->stream);
  g_main_context_unref (io->context);
  g_free (io);
}

static void
stream_closed_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  IoState *io = user_data;

  /* Nobody is left to tell: the connection already reported why it
   * closed, and a failing close only means the peer is gone too. */
  g_io_stream_close_finish (G_IO_STREAM (source), result, NULL);
  io_state_unref (io);
}

/* The stream is closed only once no read or write is pending on it, so
 * the close never races with an operation that is being cancelled. */
static void
io_state_maybe_close_stream (IoState * io)
{
  if (!io->close_stream || io->stream_closing || io->read_pending ||
      io->write_pending)
    return;
  io->stream_closing = TRUE;
  g_main_context_push_thread_default (io->context);
  g_io_stream_close_async (io->stream, G_PRIORITY_DEFAULT, NULL,
      stream_closed_cb, io_state_ref (io));
  g_main_context_pop_thread_default (io->context);
}

/* ---- the object ---- */

typedef enum {
  GRACEFUL_NONE,
  GRACEFUL_FLUSHING,            /* writing what is queued */
  GRACEFUL_SHUTTING,            /* closing our write side */
  GRACEFUL_DRAINING,            /* reading until the peer closes */
} GracefulPhase;

typedef struct {
  guint64 bytes_in;
  guint64 bytes_out;
  guint64 bytes_acked;
  guint64 messages_in;
  guint64 messages_out;
  guint64 queued_bytes;
  guint32 last_ack_raw;
  guint32 in_chunk_size;
  guint32 out_chunk_size;
  guint32 peer_window;
  guint32 out_window;
  guint32 peer_bandwidth;
  gint64 rtt_us;
} Stats;

struct _RtmpCoreConnection {
  GObject parent;

  GMainContext *context;
  GIOStream *stream;
  IoState *io;
  GCancellable *cancellable;    /* cancels our own I/O on close */
  GSource *kick_source;         /* deferred start and write batches */
  GSource *ping_source;

  gboolean started;
  gboolean start_pending;
  gboolean closed;

  /* rtmp_core_connection_close_gracefully_async() */
  GracefulPhase graceful_phase;
  GTask *graceful_task;
  guint graceful_timeout_ms;
  GSource *graceful_timer;
  GSource *graceful_cancel_source;
  gint64 last_tx_us;            /* when a write last completed */

  GTask *handshake_task;
  RtmpCoreHandshake *handshake;
  GCancellable *handshake_cancellable;
  gulong handshake_cancel_id;
  GBytes *leftover;             /* bytes read beyond the handshake */

  RtmpCoreChunkReader *reader;
  guint64 last_ack_at;          /* bytes_in when we last acknowledged */
  gint64 last_rx_us;

  MessageQueue queue;
  gsize max_queue_bytes;
  gboolean drain_armed;
  GPtrArray *flush_tasks;

  gint64 start_us;
  gboolean ping_outstanding;
  guint32 ping_value;
  gint64 ping_sent_us;
  guint ping_interval_ms;
  guint ping_timeout_ms;

  /* Written only by the owner thread, always under the lock; read under
   * the lock from any thread, or without it by the owner thread. */
  GMutex stats_lock;
  Stats stats;
};

enum {
  PROP_0,
  PROP_STREAM,
  PROP_MAX_QUEUE_BYTES,
  PROP_RTT,
  PROP_BYTES_IN,
  PROP_BYTES_OUT,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

enum {
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  SIGNAL_QUEUE_DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RtmpCoreConnection, rtmp_core_connection, G_TYPE_OBJECT)

#define STATS_LOCK(c) g_mutex_lock (&(c)->stats_lock)
#define STATS_UNLOCK(c) g_mutex_unlock (&(c)->stats_lock)

/* TRUE in the thread that iterates the connection's context, or in any
 * thread while nobody iterates it (the best GMainContext can tell). */
static gboolean
in_owner_thread (RtmpCoreConnection * conn)
{
  if (!g_main_context_acquire (conn->context))
    return FALSE;
  g_main_context_release (conn->context);
  return TRUE;
}

static void close_internal (RtmpCoreConnection * conn, const GError * reason);
static void write_next_batch (RtmpCoreConnection * conn);
static void read_next (RtmpCoreConnection * conn);
static void graceful_on_flushed (RtmpCoreConnection * conn);
static void graceful_succeed (RtmpCoreConnection * conn);
static GTask *graceful_take_task (RtmpCoreConnection * conn);

static void
close_with_new_error (RtmpCoreConnection * conn, gint code,
    const gchar * message)
{
  GError *error = g_error_new_literal (RTMP_CORE_ERROR, code, message);

  close_internal (conn, error);
  g_error_free (error);
}

static void
kick (RtmpCoreConnection * conn)
{
  if (conn->kick_source)
    g_source_set_ready_time (conn->kick_source, 0);
}

/* A GSource that dispatches whenever its ready time is reached; the
 * callback sets the next ready time itself. */
static gboolean
ready_source_dispatch (GSource * source, GSourceFunc callback,
    gpointer user_data)
{
  g_source_set_ready_time (source, -1);
  return callback (user_data);
}

static GSourceFuncs ready_source_funcs = {
  NULL, NULL, ready_source_dispatch, NULL, NULL, NULL
};

static GSource *
ready_source_new (RtmpCoreConnection * conn, GSourceFunc func,
    const gchar * name)
{
  GSource *source = g_source_new (&ready_source_funcs, sizeof (GSource));

  g_source_set_callback (source, func, conn, NULL);
  g_source_set_name (source, name);
  g_source_set_ready_time (source, -1);
  g_source_attach (source, conn->context);
  return source;
}

/* ---- output ---- */

static void
set_queued_bytes (RtmpCoreConnection * conn, guint64 queued)
{
  STATS_LOCK (conn);
  conn->stats.queued_bytes = queued;
  STATS_UNLOCK (conn);
}

/* Appends @msg (a reference is taken) without any limit check. */
static void
enqueue (RtmpCoreConnection * conn, RtmpCoreMessage * msg)
{
  guint64 queued = conn->stats.queued_bytes + msg->size;

  message_queue_push (&conn->queue, msg);
  set_queued_bytes (conn, queued);
  if (conn->max_queue_bytes && queued >= conn->max_queue_bytes / 2)
    conn->drain_armed = TRUE;
  kick (conn);
}

/* Once our write side is shut down nothing may be written any more:
 * acknowledgements and ping answers the peer provokes are dropped. */
static gboolean
can_write (RtmpCoreConnection * conn)
{
  return !conn->closed && conn->graceful_phase < GRACEFUL_SHUTTING;
}

static void
enqueue_control (RtmpCoreConnection * conn, RtmpCoreMessage * msg)
{
  if (can_write (conn))
    enqueue (conn, msg);
  else
    rtmp_core_message_unref (msg);
}

static gboolean
is_refusable (const RtmpCoreMessage * msg)
{
  return rtmp_core_message_is_media (msg) ||
      msg->type == RTMP_CORE_MESSAGE_AGGREGATE;
}

/* Returns success, or a copy of @error, and drops the task. */
static void
task_complete (GTask * task, const GError * error)
{
  if (error)
    g_task_return_error (task, g_error_copy (error));
  else
    g_task_return_boolean (task, TRUE);
  g_object_unref (task);
}

/* Fails the task of an async call at once when the connection is closed. */
static gboolean
task_fail_if_closed (RtmpCoreConnection * conn, GTask * task)
{
  if (!conn->closed)
    return FALSE;
  g_task_return_new_error (task, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
      "The connection is closed");
  g_object_unref (task);
  return TRUE;
}

static gboolean
flush_is_done (RtmpCoreConnection * conn)
{
  return conn->queue.len == 0 && !conn->io->write_pending &&
      conn->handshake_task == NULL;
}

static void
flush_task_return (RtmpCoreConnection * conn, GTask * task,
    const GError * error)
{
  GSource *cancel_source = g_task_get_task_data (task);

  if (cancel_source)
    g_source_destroy (cancel_source);
  g_ptr_array_remove_fast (conn->flush_tasks, task);
  task_complete (task, error);
}

static void
complete_flushes (RtmpCoreConnection * conn, const GError * error)
{
  while (conn->flush_tasks->len > 0)
    flush_task_return (conn, g_ptr_array_index (conn->flush_tasks, 0), error);
}

static void
on_batch_written (RtmpCoreConnection * conn, gboolean ok, gsize written,
    guint n_messages, gsize payload, GError * error)
{
  guint64 queued;

  if (conn->closed)
    return;
  if (!ok) {
    close_internal (conn, error);
    return;
  }

  queued = conn->stats.queued_bytes - payload;
  STATS_LOCK (conn);
  conn->stats.bytes_out += written;
  conn->stats.messages_out += n_messages;
  conn->stats.queued_bytes = queued;
  STATS_UNLOCK (conn);

  if (conn->drain_armed &&
      (queued == 0 || queued < conn->max_queue_bytes / 4)) {
    conn->drain_armed = FALSE;
    g_signal_emit (conn, signals[SIGNAL_QUEUE_DRAINED], 0);
    if (conn->closed)
      return;
  }

  conn->last_tx_us = g_get_monotonic_time ();
  if (conn->queue.len > 0) {
    write_next_batch (conn);
  } else {
    complete_flushes (conn, NULL);
    graceful_on_flushed (conn);
  }
}

static void
batch_written_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  IoState *io = user_data;
  GError *error = NULL;
  gsize written = 0;
  gboolean ok;
  guint n_messages = io->inflight->len;
  gsize payload = io->inflight_payload;

  ok = g_output_stream_writev_all_finish (G_OUTPUT_STREAM (source), result,
      &written, &error);
  io->write_pending = FALSE;
  rtmp_core_chunk_writer_clear (io->writer);
  g_ptr_array_set_size (io->inflight, 0);
  io->inflight_payload = 0;

  if (io->conn) {
    RtmpCoreConnection *conn = g_object_ref (io->conn);

    on_batch_written (conn, ok, written, n_messages, payload, error);
    g_object_unref (conn);
  }
  g_clear_error (&error);
  io_state_maybe_close_stream (io);
  io_state_unref (io);
}

/* Applies a Set Chunk Size we are sending to the chunks that follow it. */
static gboolean
apply_outgoing_chunk_size (RtmpCoreConnection * conn,
    const RtmpCoreMessage * msg, GError ** error)
{
  guint32 size;

  if (!rtmp_core_message_parse_uint32 (msg, &size, error) ||
      !rtmp_core_chunk_writer_set_chunk_size (conn->io->writer, size, error))
    return FALSE;
  STATS_LOCK (conn);
  conn->stats.out_chunk_size = size;
  STATS_UNLOCK (conn);
  return TRUE;
}

/* Chunks queued messages until the batch is large enough, then writes
 * them all with one vectored write. Never more than one write at a time. */
static void
write_next_batch (RtmpCoreConnection * conn)
{
  IoState *io = conn->io;
  GError *error = NULL;
  const GOutputVector *vectors;
  gsize n_vectors;

  if (conn->closed || io->write_pending || conn->handshake_task ||
      conn->queue.len == 0)
    return;

  while (conn->queue.len > 0 &&
      rtmp_core_chunk_writer_get_pending_size (io->writer) < MAX_BATCH_BYTES) {
    RtmpCoreMessage *msg = message_queue_pop (&conn->queue);

    g_ptr_array_add (io->inflight, msg);
    io->inflight_payload += msg->size;
    if (!rtmp_core_chunk_writer_write (io->writer, msg, &error))
      break;
    if (msg->type == RTMP_CORE_MESSAGE_SET_CHUNK_SIZE && msg->stream_id == 0
        && !apply_outgoing_chunk_size (conn, msg, &error))
      break;
  }
  if (error) {
    rtmp_core_chunk_writer_clear (io->writer);
    g_ptr_array_set_size (io->inflight, 0);
    io->inflight_payload = 0;
    close_internal (conn, error);
    g_error_free (error);
    return;
  }

  vectors = rtmp_core_chunk_writer_get_vectors (io->writer, &n_vectors);
  g_array_set_size (io->vectors, 0);
  g_array_append_vals (io->vectors, vectors, n_vectors);

  io->write_pending = TRUE;
  g_main_context_push_thread_default (conn->context);
  g_output_stream_writev_all_async (io->out,
      (GOutputVector *) io->vectors->data, io->vectors->len,
      G_PRIORITY_DEFAULT, conn->cancellable, batch_written_cb,
      io_state_ref (io));
  g_main_context_pop_thread_default (conn->context);
}

/* ---- input ---- */

static void
send_ping (RtmpCoreConnection * conn)
{
  gint64 now = g_get_monotonic_time ();

  conn->ping_value = (guint32) ((now - conn->start_us) / 1000);
  conn->ping_sent_us = now;
  conn->ping_outstanding = TRUE;
  enqueue_control (conn, rtmp_core_message_new_user_control
      (RTMP_CORE_USER_CONTROL_PING_REQUEST, conn->ping_value, 0));
}

static void
set_rtt (RtmpCoreConnection * conn, gint64 rtt_us)
{
  STATS_LOCK (conn);
  conn->stats.rtt_us = rtt_us;
  STATS_UNLOCK (conn);
  g_object_notify_by_pspec (G_OBJECT (conn), props[PROP_RTT]);
}

static void
handle_ping_response (RtmpCoreConnection * conn, guint32 value)
{
  gint64 now = g_get_monotonic_time ();

  if (conn->ping_outstanding && value == conn->ping_value) {
    conn->ping_outstanding = FALSE;
    set_rtt (conn, now - conn->ping_sent_us);
  } else {
    /* an answer to an older ping: the value is its send time in ms */
    guint32 elapsed_ms = (guint32) ((now - conn->start_us) / 1000) - value;

    if (elapsed_ms < G_MAXINT32)
      set_rtt (conn, (gint64) elapsed_ms * 1000);
  }
}

static void
handle_user_control (RtmpCoreConnection * conn, const RtmpCoreMessage * msg)
{
  guint event;
  guint32 value;

  /* Malformed or unknown events (Flash's 31 and 32) carry nothing we
   * need; they are still reported on the "message" signal. */
  if (!rtmp_core_message_parse_user_control (msg, &event, &value, NULL, NULL))
    return;
  if (event == RTMP_CORE_USER_CONTROL_PING_REQUEST)
    enqueue_control (conn, rtmp_core_message_new_user_control
        (RTMP_CORE_USER_CONTROL_PING_RESPONSE, value, 0));
  else if (event == RTMP_CORE_USER_CONTROL_PING_RESPONSE)
    handle_ping_response (conn, value);
}

/* Acts on the protocol control messages the connection owns. Returns
 * FALSE if the message was malformed and the connection closed. */
static gboolean
handle_control (RtmpCoreConnection * conn, const RtmpCoreMessage * msg)
{
  GError *error = NULL;
  guint32 value;
  RtmpCoreBandwidthLimit limit;

  switch (msg->type) {
    case RTMP_CORE_MESSAGE_SET_CHUNK_SIZE:
      STATS_LOCK (conn);
      conn->stats.in_chunk_size =
          rtmp_core_chunk_reader_get_chunk_size (conn->reader);
      STATS_UNLOCK (conn);
      break;
    case RTMP_CORE_MESSAGE_WINDOW_ACK_SIZE:
      if (!rtmp_core_message_parse_uint32 (msg, &value, &error))
        goto malformed;
      STATS_LOCK (conn);
      conn->stats.peer_window = value;
      STATS_UNLOCK (conn);
      break;
    case RTMP_CORE_MESSAGE_ACKNOWLEDGEMENT:
      if (!rtmp_core_message_parse_uint32 (msg, &value, &error))
        goto malformed;
      STATS_LOCK (conn);
      /* unwrap: the peer's counter wraps modulo 2^32 */
      conn->stats.bytes_acked += (guint32) (value - conn->stats.last_ack_raw);
      conn->stats.last_ack_raw = value;
      STATS_UNLOCK (conn);
      break;
    case RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH:
      if (!rtmp_core_message_parse_set_peer_bandwidth (msg, &value, &limit,
              &error))
        goto malformed;
      STATS_LOCK (conn);
      conn->stats.peer_bandwidth = value;
      STATS_UNLOCK (conn);
      /* librtmp sizes its acknowledgements from Set Peer Bandwidth and
       * expects a matching Window Ack Size in return */
      if (conn->stats.out_window != value) {
        STATS_LOCK (conn);
        conn->stats.out_window = value;
        STATS_UNLOCK (conn);
        enqueue_control (conn, rtmp_core_message_new_window_ack_size (value));
      }
      break;
    case RTMP_CORE_MESSAGE_USER_CONTROL:
      handle_user_control (conn, msg);
      break;
    default:
      break;
  }
  return TRUE;

malformed:
  close_internal (conn, error);
  g_error_free (error);
  return FALSE;
}

static void
on_reader_message (const RtmpCoreMessage * msg, gpointer user_data)
{
  RtmpCoreConnection *conn = user_data;

  /* a handler may have closed us while the reader still holds messages */
  if (conn->closed)
    return;

  STATS_LOCK (conn);
  conn->stats.messages_in++;
  STATS_UNLOCK (conn);

  if (msg->type <= RTMP_CORE_MESSAGE_SET_PEER_BANDWIDTH &&
      !handle_control (conn, msg))
    return;
  g_signal_emit (conn, signals[SIGNAL_MESSAGE], 0, msg);
}

/* Sends an Acknowledgement once another full window has arrived. The
 * 64-bit counter is never reset; the value sent wraps modulo 2^32. */
static void
maybe_acknowledge (RtmpCoreConnection * conn)
{
  guint32 window = conn->stats.peer_window;
  guint64 bytes_in = conn->stats.bytes_in;

  if (window == 0 || bytes_in - conn->last_ack_at < window)
    return;
  conn->last_ack_at = bytes_in;
  enqueue_control (conn,
      rtmp_core_message_new_acknowledgement ((guint32) bytes_in));
}

/* Feeds chunk stream bytes to the reader. Returns FALSE if the connection
 * is closed afterwards. */
static gboolean
process_input (RtmpCoreConnection * conn, const guint8 * data, gsize size)
{
  GError *error = NULL;

  STATS_LOCK (conn);
  conn->stats.bytes_in += size;
  STATS_UNLOCK (conn);
  conn->last_rx_us = g_get_monotonic_time ();

  if (!rtmp_core_chunk_reader_feed (conn->reader, data, size, &error)) {
    close_internal (conn, error);
    g_error_free (error);
    return FALSE;
  }
  if (conn->closed)
    return FALSE;
  maybe_acknowledge (conn);
  return TRUE;
}

static void
handshake_pump (RtmpCoreConnection * conn);

/* Feeds the handshake; bytes after its end are kept for start(). */
static void
handshake_on_read (RtmpCoreConnection * conn, gsize n)
{
  const guint8 *data = conn->io->read_buf;
  GError *error = NULL;
  gsize off = 0;

  while (off < n && !rtmp_core_handshake_is_done (conn->handshake)) {
    gsize consumed = 0;

    if (!rtmp_core_handshake_feed (conn->handshake, data + off, n - off,
            &consumed, &error)) {
      close_internal (conn, error);
      g_error_free (error);
      return;
    }
    if (consumed == 0)
      break;
    off += consumed;
  }
  if (off < n)
    conn->leftover = g_bytes_new (data + off, n - off);
  handshake_pump (conn);
}

static void
on_read (RtmpCoreConnection * conn, gssize n, const GError * error)
{
  if (conn->closed)
    return;
  if (conn->graceful_phase >= GRACEFUL_SHUTTING && (n == 0 ||
          g_error_matches (error, G_TLS_ERROR, G_TLS_ERROR_EOF))) {
    /* The answer to our half-close: the peer read everything and closed
     * (a TLS peer may omit its close_notify; its TCP close still counts). */
    graceful_succeed (conn);
    return;
  }
  if (n < 0) {
    close_internal (conn, error);
    return;
  }
  if (n == 0) {
    close_with_new_error (conn, RTMP_CORE_ERROR_CLOSED,
        conn->handshake_task ? "The peer closed the connection during the "
        "handshake" : "The peer closed the connection");
    return;
  }

  if (conn->handshake_task)
    handshake_on_read (conn, n);
  else if (process_input (conn, conn->io->read_buf, n))
    read_next (conn);
}

static void
read_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  IoState *io = user_data;
  GError *error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  io->read_pending = FALSE;
  if (io->conn) {
    RtmpCoreConnection *conn = g_object_ref (io->conn);

    on_read (conn, n, error);
    g_object_unref (conn);
  }
  g_clear_error (&error);
  io_state_maybe_close_stream (io);
  io_state_unref (io);
}

static void
read_next (RtmpCoreConnection * conn)
{
  IoState *io = conn->io;

  if (conn->closed || io->read_pending)
    return;
  io->read_pending = TRUE;
  g_main_context_push_thread_default (conn->context);
  g_input_stream_read_async (io->in, io->read_buf, READ_BUFFER_SIZE,
      G_PRIORITY_DEFAULT, conn->cancellable, read_cb, io_state_ref (io));
  g_main_context_pop_thread_default (conn->context);
}

/* ---- handshake ---- */

static void
handshake_task_return (RtmpCoreConnection * conn, const GError * error)
{
  GTask *task = g_steal_pointer (&conn->handshake_task);

  if (conn->handshake_cancellable) {
    g_cancellable_disconnect (conn->handshake_cancellable,
        conn->handshake_cancel_id);
    conn->handshake_cancel_id = 0;
    g_clear_object (&conn->handshake_cancellable);
  }
  g_clear_pointer (&conn->handshake, rtmp_core_handshake_unref);
  task_complete (task, error);
}

/* A write outside the message batches (a handshake packet, the close of
 * our side) is back: goes on with @next, or closes the connection with
 * @error (taken). */
static void
io_state_write_done (IoState * io, gboolean ok, GError * error,
    void (*next) (RtmpCoreConnection * conn))
{
  io->write_pending = FALSE;
  if (io->conn && !io->conn->closed) {
    RtmpCoreConnection *conn = g_object_ref (io->conn);

    if (ok)
      next (conn);
    else
      close_internal (conn, error);
    g_object_unref (conn);
  }
  g_clear_error (&error);
  io_state_maybe_close_stream (io);
  io_state_unref (io);
}

static void
handshake_written_cb (GObject * source, GAsyncResult * result,
    gpointer user_data)
{
  IoState *io = user_data;
  GError *error = NULL;
  gboolean ok;

  ok = g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result,
      NULL, &error);
  g_clear_pointer (&io->handshake_out, g_bytes_unref);
  io_state_write_done (io, ok, error, handshake_pump);
}

/* Writes what the handshake has to say, reads while it expects more, and
 * completes once the peer's last packet is in and ours are on the wire. */
static void
handshake_pump (RtmpCoreConnection * conn)
{
  IoState *io = conn->io;

  if (!io->write_pending) {
    GBytes *out = rtmp_core_handshake_take_output (conn->handshake);

    if (out && g_bytes_get_size (out) > 0) {
      gsize size;
      gconstpointer data = g_bytes_get_data (out, &size);

      io->handshake_out = out;
      io->write_pending = TRUE;
      g_main_context_push_thread_default (conn->context);
      g_output_stream_write_all_async (io->out, data, size,
          G_PRIORITY_DEFAULT, conn->cancellable, handshake_written_cb,
          io_state_ref (io));
      g_main_context_pop_thread_default (conn->context);
    } else if (out) {
      g_bytes_unref (out);
    }
  }

  if (rtmp_core_handshake_is_done (conn->handshake)) {
    if (!io->write_pending) {
      handshake_task_return (conn, NULL);
      /* messages queued meanwhile go out now; flushes waiting on the
       * handshake alone are done */
      if (conn->queue.len > 0) {
        kick (conn);
      } else if (!conn->closed) {
        complete_flushes (conn, NULL);
        graceful_on_flushed (conn);
      }
    }
    return;
  }
  read_next (conn);
}

/* May run in any thread: only touches the (thread-safe) cancellable. */
static void
handshake_cancelled_cb (GCancellable * cancellable, gpointer user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/**
 * rtmp_core_connection_handshake_async:
 * @conn: a connection that was neither started nor handshaken
 * @role: which side of the handshake to play
 * @mode: the flavour of C1 a client sends (a server answers in kind)
 * @cancellable: (nullable): cancels the handshake, e.g. on a timeout
 * @callback: (scope async): called when the handshake completed or failed
 * @user_data: data for @callback
 *
 * Runs the RTMP handshake over the stream. Bytes the peer sent after its
 * last handshake packet are kept for rtmp_core_connection_start().
 *
 * A handshake that never completes (a slowloris peer) is not timed out by
 * the connection: cancel @cancellable from a timeout. When the handshake
 * fails or is cancelled the connection is closed with that error (and
 * #RtmpCoreConnection::closed is emitted).
 *
 * Since: 0.1
 */
void
rtmp_core_connection_handshake_async (RtmpCoreConnection * conn,
    RtmpCoreHandshakeRole role, RtmpCoreHandshakeMode mode,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task;

  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  g_return_if_fail (!conn->started && conn->handshake_task == NULL);
  g_return_if_fail (!conn->io->read_pending && !conn->io->write_pending);

  task = g_task_new (conn, cancellable, callback, user_data);
  g_task_set_source_tag (task, rtmp_core_connection_handshake_async);
  if (task_fail_if_closed (conn, task))
    return;

  conn->handshake_task = task;
  conn->handshake = rtmp_core_handshake_new (role, mode);
  if (cancellable) {
    conn->handshake_cancellable = g_object_ref (cancellable);
    conn->handshake_cancel_id = g_cancellable_connect (cancellable,
        G_CALLBACK (handshake_cancelled_cb), g_object_ref (conn->cancellable),
        g_object_unref);
  }
  handshake_pump (conn);
}

/**
 * rtmp_core_connection_handshake_finish:
 * @conn: a connection
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes rtmp_core_connection_handshake_async(). On success, call
 * rtmp_core_connection_start() to begin exchanging messages; on failure
 * the connection is already closed.
 *
 * Returns: %TRUE if the handshake completed. Errors: those of the
 *   handshake codec (%RTMP_CORE_ERROR_BAD_VERSION, ...), the stream's
 *   #GIOErrorEnum errors, %G_IO_ERROR_CANCELLED, or %RTMP_CORE_ERROR_CLOSED
 *   if the peer or rtmp_core_connection_close() closed the connection
 *
 * Since: 0.1
 */
gboolean
rtmp_core_connection_handshake_finish (RtmpCoreConnection * conn,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, conn), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_connection_handshake_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- start, close ---- */

static void
run_start (RtmpCoreConnection * conn)
{
  GBytes *leftover = g_steal_pointer (&conn->leftover);

  conn->last_rx_us = g_get_monotonic_time ();
  if (leftover) {
    gsize size;
    const guint8 *data = g_bytes_get_data (leftover, &size);
    gboolean ok = process_input (conn, data, size);

    g_bytes_unref (leftover);
    if (!ok)
      return;
  }
  read_next (conn);
}

static gboolean
kick_cb (gpointer user_data)
{
  RtmpCoreConnection *conn = g_object_ref (user_data);

  if (conn->start_pending && !conn->closed) {
    conn->start_pending = FALSE;
    run_start (conn);
  }
  write_next_batch (conn);
  g_object_unref (conn);
  return G_SOURCE_CONTINUE;
}

static void arm_ping_timer (RtmpCoreConnection * conn);

/**
 * rtmp_core_connection_start:
 * @conn: a connection, handshaken or not
 *
 * Starts reading the chunk stream: from here on every message arrives on
 * #RtmpCoreConnection::message, acknowledgements and ping responses are
 * sent, and a read error or the peer closing ends in
 * #RtmpCoreConnection::closed. Reading begins from the main context, not
 * within this call, so handlers connected right after it see every
 * message. Call it once.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_start (RtmpCoreConnection * conn)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  g_return_if_fail (!conn->started);
  g_return_if_fail (conn->handshake_task == NULL);

  conn->started = TRUE;
  if (conn->closed)
    return;
  conn->start_pending = TRUE;
  kick (conn);
  arm_ping_timer (conn);
}

/* Ends everything: fails the pending operations, cancels the I/O, closes
 * the stream once the I/O is back, and emits "closed" exactly once. */
static void
close_internal (RtmpCoreConnection * conn, const GError * reason)
{
  GError *closed_error;

  if (conn->closed)
    return;
  conn->closed = TRUE;
  g_object_ref (conn);

  g_cancellable_cancel (conn->cancellable);
  rtmp_clear_source (&conn->ping_source);
  message_queue_clear (&conn->queue);
  set_queued_bytes (conn, 0);
  conn->io->close_stream = TRUE;
  io_state_maybe_close_stream (conn->io);

  closed_error = reason ? g_error_copy (reason) :
      g_error_new_literal (RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
      "The connection was closed");
  if (conn->handshake_task)
    handshake_task_return (conn, closed_error);
  complete_flushes (conn, closed_error);
  if (conn->graceful_task)
    task_complete (graceful_take_task (conn), closed_error);
  g_error_free (closed_error);

  g_signal_emit (conn, signals[SIGNAL_CLOSED], 0, reason);
  g_object_unref (conn);
}

/**
 * rtmp_core_connection_close:
 * @conn: a connection
 * @reason: (nullable): why it is closed, or %NULL for a clean local close
 *
 * Closes the connection: pending reads and writes are cancelled, queued
 * messages are dropped (use rtmp_core_connection_flush_async() first to
 * get them on the wire), pending flushes and handshakes fail with @reason
 * (or %RTMP_CORE_ERROR_CLOSED), the stream is closed asynchronously and
 * #RtmpCoreConnection::closed is emitted with @reason. Calling it again,
 * or on a connection that already closed itself, does nothing.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_close (RtmpCoreConnection * conn, const GError * reason)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  close_internal (conn, reason);
}

/**
 * rtmp_core_connection_is_closed:
 * @conn: a connection
 *
 * Tells whether the connection has closed, so that a caller can stop
 * queueing messages without waiting for #RtmpCoreConnection::closed. Once
 * %TRUE it stays %TRUE. Call it from the connection's thread.
 *
 * Returns: %TRUE once the connection was closed, by either side or by an
 *   error
 *
 * Since: 0.1
 */
gboolean
rtmp_core_connection_is_closed (RtmpCoreConnection * conn)
{
  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), TRUE);
  return conn->closed;
}

/* ---- graceful close ---- */

/* Ends the graceful close: its task is handed to the caller, who returns
 * it once the connection is closed. */
static GTask *
graceful_take_task (RtmpCoreConnection * conn)
{
  rtmp_clear_source (&conn->graceful_timer);
  rtmp_clear_source (&conn->graceful_cancel_source);
  return g_steal_pointer (&conn->graceful_task);
}

/* The peer closed after our half-close, or did not within the timeout:
 * everything was written, so closing now loses nothing. */
static void
graceful_succeed (RtmpCoreConnection * conn)
{
  GTask *task = graceful_take_task (conn);

  close_internal (conn, NULL);
  task_complete (task, NULL);
}

static gboolean
graceful_timer_cb (gpointer user_data)
{
  RtmpCoreConnection *conn = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 timeout_us = (gint64) conn->graceful_timeout_ms * 1000;
  gchar *message;

  if (conn->graceful_phase >= GRACEFUL_SHUTTING) {
    g_debug ("the peer did not close within %u ms of our half-close",
        conn->graceful_timeout_ms);
    graceful_succeed (conn);
    return G_SOURCE_REMOVE;
  }

  /* flushing: a peer that accepts nothing more fails the close */
  if (now - conn->last_tx_us < timeout_us) {
    g_source_set_ready_time (conn->graceful_timer,
        conn->last_tx_us + timeout_us);
    return G_SOURCE_CONTINUE;
  }
  message = g_strdup_printf ("The peer accepted nothing for %u ms while "
      "closing: %" G_GUINT64_FORMAT " queued bytes were not sent",
      conn->graceful_timeout_ms, conn->stats.queued_bytes);
  g_object_ref (conn);
  close_with_new_error (conn, RTMP_CORE_ERROR_TIMEOUT, message);
  g_object_unref (conn);
  g_free (message);
  return G_SOURCE_REMOVE;
}

static gboolean
graceful_cancelled_cb (GCancellable * cancellable, gpointer user_data)
{
  RtmpCoreConnection *conn = g_object_ref (user_data);
  GTask *task = graceful_take_task (conn);
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  close_internal (conn, NULL);
  g_task_return_error (task, error);
  g_object_unref (task);
  g_object_unref (conn);
  return G_SOURCE_REMOVE;
}

/* The TCP socket under @stream: a GSocketConnection (also the
 * GTcpWrapperConnection GSocketClient puts around TLS), or the base
 * stream of a GTlsConnection. */
static GSocket *
stream_get_socket (GIOStream * stream)
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

/* Writes are already batched into one writev per round, so Nagle's
 * algorithm only delays small messages (audio, acks, pings) behind a
 * delayed ACK: it measured 10-20 ms at p99 per tag on loopback. */
static void
set_no_delay (GIOStream * stream)
{
#if defined(G_OS_UNIX) && defined(TCP_NODELAY)
  GSocket *socket = stream_get_socket (stream);

  if (socket && g_socket_get_family (socket) != G_SOCKET_FAMILY_UNIX)
    g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  g_clear_object (&socket);
#endif
}

/* Sends our FIN and starts waiting for the peer's. */
static void
graceful_shutdown_socket (RtmpCoreConnection * conn)
{
  GSocket *socket = stream_get_socket (conn->stream);
  GError *error = NULL;

  conn->graceful_phase = GRACEFUL_DRAINING;
  if (socket == NULL)
    return;
  /* e.g. ENOTCONN when the peer is gone already: the read reports it */
  if (!g_socket_shutdown (socket, FALSE, TRUE, &error)) {
    g_debug ("cannot shut down the write side: %s", error->message);
    g_error_free (error);
  }
  g_object_unref (socket);
}

static void
output_closed_cb (GObject * source, GAsyncResult * result, gpointer user_data)
{
  IoState *io = user_data;
  GError *error = NULL;
  gboolean ok;

  ok = g_output_stream_close_finish (G_OUTPUT_STREAM (source), result,
      &error);
  io_state_write_done (io, ok, error, graceful_shutdown_socket);
}

/* Everything is written: end our direction only, and keep reading. */
static void
graceful_shutdown (RtmpCoreConnection * conn)
{
  IoState *io = conn->io;

  conn->graceful_phase = GRACEFUL_SHUTTING;
  rtmp_clear_source (&conn->ping_source);
  if (conn->graceful_timeout_ms > 0)
    g_source_set_ready_time (conn->graceful_timer, g_get_monotonic_time () +
        (gint64) conn->graceful_timeout_ms * 1000);
  else
    g_source_set_ready_time (conn->graceful_timer, -1);

  /* the peer's close can only be seen by reading */
  if (!conn->started) {
    conn->started = TRUE;
    run_start (conn);
    if (conn->closed)
      return;
  }

  if (G_IS_SOCKET_CONNECTION (conn->stream) &&
      !G_IS_TCP_WRAPPER_CONNECTION (conn->stream)) {
    graceful_shutdown_socket (conn);
    return;
  }

  /* Closing the output stream of a GTlsConnection (directly, or inside
   * the GTcpWrapperConnection made by GSocketClient) sends close_notify
   * and leaves reading open; of a pipe-like stream, it closes the write
   * end. The TCP FIN follows once that is done. */
  io->write_pending = TRUE;
  g_main_context_push_thread_default (conn->context);
  g_output_stream_close_async (io->out, G_PRIORITY_DEFAULT, conn->cancellable,
      output_closed_cb, io_state_ref (io));
  g_main_context_pop_thread_default (conn->context);
}

static void
graceful_on_flushed (RtmpCoreConnection * conn)
{
  if (conn->closed || conn->graceful_phase != GRACEFUL_FLUSHING ||
      !flush_is_done (conn))
    return;
  graceful_shutdown (conn);
}

static gboolean
graceful_start_cb (gpointer user_data)
{
  graceful_on_flushed (user_data);
  return G_SOURCE_REMOVE;
}

/**
 * rtmp_core_connection_close_gracefully_async:
 * @conn: a connection
 * @timeout_ms: how long to wait for the peer, in milliseconds: for each
 *   write while flushing, and for the peer to close after our half-close;
 *   0 waits for ever
 * @cancellable: (nullable): closes the connection at once
 * @callback: (scope async): called once the connection is closed
 * @user_data: data for @callback
 *
 * Closes the connection without losing the tail of what was sent: writes
 * everything queued, then shuts down our direction only (a TCP FIN; over
 * TLS a close_notify first), and keeps reading, reporting messages as
 * usual, until the peer closes its side or @timeout_ms pass; then closes.
 *
 * Closing a socket outright while the peer's data still waits in our
 * receive buffer makes the kernel send a reset, and the peer's kernel then
 * discards whatever the peer had not read yet: the last messages are
 * lost. Waiting for the peer's end avoids that.
 *
 * From the call on, rtmp_core_connection_queue_message() refuses new
 * messages with %RTMP_CORE_ERROR_CLOSED; acknowledgements and ping answers
 * stop once our side is shut down. A connection that was not started is
 * started, so that the peer's close can be seen. #RtmpCoreConnection::closed
 * is emitted with %NULL on success.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_close_gracefully_async (RtmpCoreConnection * conn,
    guint timeout_ms, GCancellable * cancellable,
    GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *task;
  GSource *start;

  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (in_owner_thread (conn));

  task = g_task_new (conn, cancellable, callback, user_data);
  g_task_set_source_tag (task, rtmp_core_connection_close_gracefully_async);
  if (task_fail_if_closed (conn, task))
    return;
  if (conn->graceful_task) {
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
        "The connection is already closing");
    g_object_unref (task);
    return;
  }

  conn->graceful_task = task;
  conn->graceful_phase = GRACEFUL_FLUSHING;
  conn->graceful_timeout_ms = timeout_ms;
  conn->last_tx_us = g_get_monotonic_time ();
  conn->graceful_timer = ready_source_new (conn, graceful_timer_cb,
      "RtmpCoreConnection graceful close");
  if (timeout_ms > 0)
    g_source_set_ready_time (conn->graceful_timer, conn->last_tx_us +
        (gint64) timeout_ms * 1000);
  if (cancellable) {
    conn->graceful_cancel_source = g_cancellable_source_new (cancellable);
    g_source_set_callback (conn->graceful_cancel_source,
        G_SOURCE_FUNC (graceful_cancelled_cb), conn, NULL);
    g_source_attach (conn->graceful_cancel_source, conn->context);
  }

  /* an empty queue shuts down from the main loop, not within this call */
  start = g_idle_source_new ();
  g_source_set_priority (start, G_PRIORITY_DEFAULT);
  g_source_set_callback (start, graceful_start_cb, g_object_ref (conn),
      g_object_unref);
  g_source_attach (start, conn->context);
  g_source_unref (start);
}

/**
 * rtmp_core_connection_close_gracefully_finish:
 * @conn: a connection
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes rtmp_core_connection_close_gracefully_async(). The connection
 * is closed by then, whatever the result.
 *
 * Returns: %TRUE when everything queued was written and our side shut
 *   down, and the peer then closed or the timeout passed; %FALSE with
 *   %RTMP_CORE_ERROR_TIMEOUT when the peer accepted no data for the
 *   timeout, %G_IO_ERROR_CANCELLED, %G_IO_ERROR_PENDING if a graceful close
 *   was already under way, or the error that closed the connection first
 *   (%RTMP_CORE_ERROR_CLOSED if the peer closed before everything was
 *   written)
 *
 * Since: 0.1
 */
gboolean
rtmp_core_connection_close_gracefully_finish (RtmpCoreConnection * conn,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, conn), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_connection_close_gracefully_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- queueing and flushing ---- */

/**
 * rtmp_core_connection_queue_message:
 * @conn: a connection
 * @msg: (transfer none): the message to send; an owned message is
 *   referenced, a borrowed view (e.g. from #RtmpCoreConnection::message)
 *   is copied
 * @error: return location for a #GError
 *
 * Appends @msg to the output queue. Messages are written in queue order,
 * from the main context, batched into vectored writes. Messages queued
 * during the handshake are sent once it completes.
 *
 * Only media (audio, video, data and aggregate messages) is refused when
 * the queue holds #RtmpCoreConnection:max-queue-bytes or more; control and
 * command messages are always accepted. After a refusal,
 * #RtmpCoreConnection::queue-drained tells when to send again.
 *
 * Returns: %TRUE if queued; %FALSE with %RTMP_CORE_ERROR_QUEUE_FULL,
 *   %RTMP_CORE_ERROR_MESSAGE_TOO_LARGE (more than 0xFFFFFF payload bytes),
 *   or %RTMP_CORE_ERROR_CLOSED
 *
 * Since: 0.1
 */
gboolean
rtmp_core_connection_queue_message (RtmpCoreConnection * conn,
    RtmpCoreMessage * msg, GError ** error)
{
  guint64 queued;

  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);
  g_return_val_if_fail (msg->chunk_stream_id >= 2 &&
      msg->chunk_stream_id <= 65599, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (in_owner_thread (conn), FALSE);

  if (conn->closed) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
        "The connection is closed");
    return FALSE;
  }
  if (conn->graceful_phase != GRACEFUL_NONE) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
        "The connection is closing");
    return FALSE;
  }
  if (msg->size > 0xFFFFFF) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE,
        "A message of %" G_GSIZE_FORMAT " bytes cannot be sent: RTMP "
        "messages carry at most 16777215 bytes", msg->size);
    return FALSE;
  }
  queued = conn->stats.queued_bytes;
  if (conn->max_queue_bytes && queued >= conn->max_queue_bytes &&
      is_refusable (msg)) {
    conn->drain_armed = TRUE;
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_QUEUE_FULL,
        "The output queue is full: %" G_GUINT64_FORMAT " bytes queued, "
        "limit %" G_GSIZE_FORMAT, queued, conn->max_queue_bytes);
    return FALSE;
  }

  enqueue (conn, rtmp_core_message_copy (msg));
  return TRUE;
}

/**
 * rtmp_core_connection_get_queued_bytes:
 * @conn: a connection
 *
 * Gets how much media and control data waits to be sent, for back-pressure:
 * media is refused once this reaches #RtmpCoreConnection:max-queue-bytes.
 * Chunk headers are not counted. Thread-safe.
 *
 * Returns: the payload bytes of the messages queued and not yet completely
 *   written, including the batch being written
 *
 * Since: 0.1
 */
gsize
rtmp_core_connection_get_queued_bytes (RtmpCoreConnection * conn)
{
  gsize queued;

  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), 0);
  STATS_LOCK (conn);
  queued = conn->stats.queued_bytes;
  STATS_UNLOCK (conn);
  return queued;
}

/**
 * rtmp_core_connection_set_max_queue_bytes:
 * @conn: a connection
 * @max_bytes: the queue size at which media is refused, 0 for no limit
 *
 * Sets #RtmpCoreConnection:max-queue-bytes.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_set_max_queue_bytes (RtmpCoreConnection * conn,
    gsize max_bytes)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  if (conn->max_queue_bytes == max_bytes)
    return;
  conn->max_queue_bytes = max_bytes;
  g_object_notify_by_pspec (G_OBJECT (conn), props[PROP_MAX_QUEUE_BYTES]);
}

static gboolean
flush_cancelled_cb (GCancellable * cancellable, gpointer user_data)
{
  GTask *task = user_data;
  RtmpCoreConnection *conn = g_task_get_source_object (task);
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  flush_task_return (conn, task, error);
  g_error_free (error);
  return G_SOURCE_REMOVE;
}

/**
 * rtmp_core_connection_flush_async:
 * @conn: a connection
 * @cancellable: (nullable): stops waiting (the queue is not touched)
 * @callback: (scope async): called once everything queued was written
 * @user_data: data for @callback
 *
 * Waits until the output queue is empty and the last write completed, so
 * that everything queued so far was handed to the stream; e.g. to get the
 * tail of a publish onto the wire before closing.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_flush_async (RtmpCoreConnection * conn,
    GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data)
{
  GTask *task;

  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));

  task = g_task_new (conn, cancellable, callback, user_data);
  g_task_set_source_tag (task, rtmp_core_connection_flush_async);
  if (task_fail_if_closed (conn, task))
    return;
  if (flush_is_done (conn)) {
    task_complete (task, NULL);
    return;
  }

  if (cancellable) {
    GSource *source = g_cancellable_source_new (cancellable);

    g_source_set_callback (source, G_SOURCE_FUNC (flush_cancelled_cb), task,
        NULL);
    g_source_attach (source, conn->context);
    g_task_set_task_data (task, source, (GDestroyNotify) g_source_unref);
  }
  g_ptr_array_add (conn->flush_tasks, task);
}

/**
 * rtmp_core_connection_flush_finish:
 * @conn: a connection
 * @result: the result given to the callback
 * @error: return location for a #GError
 *
 * Finishes rtmp_core_connection_flush_async(). Success means the data was
 * handed to the stream, not that the peer received it.
 *
 * Returns: %TRUE once everything queued was written; %FALSE with the error
 *   that closed the connection first (%RTMP_CORE_ERROR_CLOSED for a local
 *   close), or %G_IO_ERROR_CANCELLED
 *
 * Since: 0.1
 */
gboolean
rtmp_core_connection_flush_finish (RtmpCoreConnection * conn,
    GAsyncResult * result, GError ** error)
{
  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, conn), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
      rtmp_core_connection_flush_async, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- flow control and limits ---- */

/**
 * rtmp_core_connection_set_chunk_size:
 * @conn: a connection
 * @chunk_size: the outgoing chunk size, 1..0x7FFFFFFF
 *
 * Queues a Set Chunk Size message. The new size applies to the chunks that
 * follow that message in the stream, not to messages queued before it.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_set_chunk_size (RtmpCoreConnection * conn,
    guint32 chunk_size)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (chunk_size >= 1 && chunk_size <= 0x7FFFFFFF);
  g_return_if_fail (in_owner_thread (conn));
  enqueue_control (conn, rtmp_core_message_new_set_chunk_size (chunk_size));
}

/**
 * rtmp_core_connection_set_window_ack_size:
 * @conn: a connection
 * @window_size: how many bytes the peer may receive between its
 *   acknowledgements, e.g. %RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE
 *
 * Queues a Window Acknowledgement Size and a Set Peer Bandwidth (limit
 * type dynamic, as ffmpeg and nginx-rtmp send) with the same value.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_set_window_ack_size (RtmpCoreConnection * conn,
    guint32 window_size)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  if (!can_write (conn))
    return;
  STATS_LOCK (conn);
  conn->stats.out_window = window_size;
  STATS_UNLOCK (conn);
  enqueue (conn, rtmp_core_message_new_window_ack_size (window_size));
  enqueue (conn, rtmp_core_message_new_set_peer_bandwidth (window_size,
          RTMP_CORE_BANDWIDTH_LIMIT_DYNAMIC));
}

/**
 * rtmp_core_connection_set_limits:
 * @conn: a connection
 * @max_message_size: the longest message accepted from the peer, or 0 to
 *   keep the current limit (%RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE)
 * @max_partial_messages: how many chunk streams may hold a partial message,
 *   or 0 to keep the current limit (%RTMP_CORE_DEFAULT_MAX_PARTIAL_MESSAGES)
 * @max_chunk_size: the largest chunk size the peer may set, or 0 to keep
 *   the current limit (%RTMP_CORE_DEFAULT_MAX_CHUNK_SIZE)
 *
 * Sets the limits of the chunk reader. A peer exceeding one closes the
 * connection with the reader's error.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_set_limits (RtmpCoreConnection * conn,
    guint32 max_message_size, guint max_partial_messages,
    guint32 max_chunk_size)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  if (max_message_size)
    rtmp_core_chunk_reader_set_max_message_size (conn->reader,
        max_message_size);
  if (max_partial_messages)
    rtmp_core_chunk_reader_set_max_partial_messages (conn->reader,
        max_partial_messages);
  if (max_chunk_size)
    rtmp_core_chunk_reader_set_max_chunk_size (conn->reader, max_chunk_size);
}

/* ---- ping ---- */

/**
 * rtmp_core_connection_ping:
 * @conn: a connection
 *
 * Queues a Ping Request carrying the milliseconds since the connection was
 * made. The answer updates #RtmpCoreConnection:rtt.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_ping (RtmpCoreConnection * conn)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  send_ping (conn);
}

static gboolean
ping_timer_cb (gpointer user_data)
{
  RtmpCoreConnection *conn = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 interval_us = (gint64) conn->ping_interval_ms * 1000;
  gint64 timeout_us = (gint64) conn->ping_timeout_ms * 1000;
  gint64 next;

  if (timeout_us > 0 && conn->ping_outstanding &&
      conn->last_rx_us < conn->ping_sent_us) {
    /* waiting for any sign of life since our ping */
    if (now - conn->ping_sent_us >= timeout_us) {
      gchar *message = g_strdup_printf ("The peer sent nothing for %u ms "
          "after a ping", conn->ping_timeout_ms);

      g_object_ref (conn);
      close_with_new_error (conn, RTMP_CORE_ERROR_TIMEOUT, message);
      g_object_unref (conn);
      g_free (message);
      return G_SOURCE_REMOVE;
    }
    next = conn->ping_sent_us + timeout_us;
  } else if (now - conn->last_rx_us >= interval_us) {
    send_ping (conn);
    next = now + (timeout_us > 0 ? MIN (timeout_us, interval_us) : interval_us);
  } else {
    next = conn->last_rx_us + interval_us;
  }
  g_source_set_ready_time (conn->ping_source, next);
  return G_SOURCE_CONTINUE;
}

static void
arm_ping_timer (RtmpCoreConnection * conn)
{
  rtmp_clear_source (&conn->ping_source);
  if (!conn->started || !can_write (conn) || conn->ping_interval_ms == 0)
    return;
  conn->ping_source = ready_source_new (conn, ping_timer_cb,
      "RtmpCoreConnection ping");
  g_source_set_ready_time (conn->ping_source, g_get_monotonic_time () +
      (gint64) conn->ping_interval_ms * 1000);
}

/**
 * rtmp_core_connection_set_ping_interval:
 * @conn: a connection
 * @interval_seconds: ping the peer after this long without receiving
 *   anything, 0 to never ping
 * @timeout_seconds: close with %RTMP_CORE_ERROR_TIMEOUT if nothing at all
 *   arrives this long after a ping, 0 to never time out
 *
 * Finds half-open connections, as nginx-rtmp does with ping 60 s and
 * ping_timeout 30 s. Takes effect once the connection is started.
 *
 * Since: 0.1
 */
void
rtmp_core_connection_set_ping_interval (RtmpCoreConnection * conn,
    guint interval_seconds, guint timeout_seconds)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (interval_seconds <= G_MAXUINT / 1000);
  g_return_if_fail (timeout_seconds <= G_MAXUINT / 1000);
  rtmp_core_connection_set_ping_interval_ms (conn, interval_seconds * 1000,
      timeout_seconds * 1000);
}

void
rtmp_core_connection_set_ping_interval_ms (RtmpCoreConnection * conn,
    guint interval_ms, guint timeout_ms)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  g_return_if_fail (in_owner_thread (conn));
  conn->ping_interval_ms = interval_ms;
  conn->ping_timeout_ms = timeout_ms;
  arm_ping_timer (conn);
}

/* ---- statistics ---- */

/**
 * rtmp_core_connection_get_stats:
 * @conn: a connection
 *
 * Gives a snapshot of the counters, as a vardict (`a{sv}`) with:
 *
 * - "bytes-in" (t): chunk stream bytes received after the handshake
 * - "bytes-out" (t): chunk stream bytes written after the handshake
 * - "bytes-acked" (t): what the peer acknowledged, unwrapped to 64 bits
 * - "messages-in" (t), "messages-out" (t): whole messages
 * - "queued-bytes" (t): see rtmp_core_connection_get_queued_bytes()
 * - "in-chunk-size" (u), "out-chunk-size" (u): the current chunk sizes
 * - "window-ack-size" (u): the peer's window: we acknowledge each time
 *   that many bytes arrived (0: the peer asked for none)
 * - "out-window-ack-size" (u): the window we announced to the peer
 * - "peer-bandwidth" (u): the peer's last Set Peer Bandwidth (0: none)
 * - "rtt-us" (x): the last ping round trip in microseconds, -1 if unknown
 *
 * Thread-safe.
 *
 * Returns: (transfer floating): the statistics
 *
 * Since: 0.1
 */
GVariant *
rtmp_core_connection_get_stats (RtmpCoreConnection * conn)
{
  GVariantBuilder b;
  Stats s;

  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), NULL);

  STATS_LOCK (conn);
  s = conn->stats;
  STATS_UNLOCK (conn);

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "bytes-in",
      g_variant_new_uint64 (s.bytes_in));
  g_variant_builder_add (&b, "{sv}", "bytes-out",
      g_variant_new_uint64 (s.bytes_out));
  g_variant_builder_add (&b, "{sv}", "bytes-acked",
      g_variant_new_uint64 (s.bytes_acked));
  g_variant_builder_add (&b, "{sv}", "messages-in",
      g_variant_new_uint64 (s.messages_in));
  g_variant_builder_add (&b, "{sv}", "messages-out",
      g_variant_new_uint64 (s.messages_out));
  g_variant_builder_add (&b, "{sv}", "queued-bytes",
      g_variant_new_uint64 (s.queued_bytes));
  g_variant_builder_add (&b, "{sv}", "in-chunk-size",
      g_variant_new_uint32 (s.in_chunk_size));
  g_variant_builder_add (&b, "{sv}", "out-chunk-size",
      g_variant_new_uint32 (s.out_chunk_size));
  g_variant_builder_add (&b, "{sv}", "window-ack-size",
      g_variant_new_uint32 (s.peer_window));
  g_variant_builder_add (&b, "{sv}", "out-window-ack-size",
      g_variant_new_uint32 (s.out_window));
  g_variant_builder_add (&b, "{sv}", "peer-bandwidth",
      g_variant_new_uint32 (s.peer_bandwidth));
  g_variant_builder_add (&b, "{sv}", "rtt-us", g_variant_new_int64 (s.rtt_us));
  return g_variant_builder_end (&b);
}

/**
 * rtmp_core_connection_get_rtt:
 * @conn: a connection
 *
 * Thread-safe.
 *
 * Returns: the last ping round trip time in microseconds, or -1 before the
 *   first answer
 *
 * Since: 0.1
 */
gint64
rtmp_core_connection_get_rtt (RtmpCoreConnection * conn)
{
  gint64 rtt;

  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), -1);
  STATS_LOCK (conn);
  rtt = conn->stats.rtt_us;
  STATS_UNLOCK (conn);
  return rtt;
}

/**
 * rtmp_core_connection_get_stream:
 * @conn: a connection
 *
 * Gets the stream given to rtmp_core_connection_new(), e.g. to look at the
 * peer's address or TLS certificate. Do not read from or write to it: the
 * connection owns its I/O and closes it when the connection closes.
 *
 * Returns: (transfer none): the stream the connection runs over
 *
 * Since: 0.1
 */
GIOStream *
rtmp_core_connection_get_stream (RtmpCoreConnection * conn)
{
  g_return_val_if_fail (RTMP_CORE_IS_CONNECTION (conn), NULL);
  return conn->stream;
}

void
rtmp_core_connection_set_bytes_in_for_test (RtmpCoreConnection * conn,
    guint64 bytes_in)
{
  g_return_if_fail (RTMP_CORE_IS_CONNECTION (conn));
  STATS_LOCK (conn);
  conn->stats.bytes_in = bytes_in;
  STATS_UNLOCK (conn);
  conn->last_ack_at = bytes_in;
}

/* ---- GObject ---- */

/**
 * rtmp_core_connection_new:
 * @stream: (transfer none): a connected stream, e.g. a #GSocketConnection
 *   or a #GTlsConnection
 *
 * Makes a connection over @stream, bound to the thread-default main
 * context of the calling thread. The connection takes charge of the
 * stream: closing or finalizing the connection closes it.
 *
 * Returns: (transfer full): a new connection
 *
 * Since: 0.1
 */
RtmpCoreConnection *
rtmp_core_connection_new (GIOStream * stream)
{
  g_return_val_if_fail (G_IS_IO_STREAM (stream), NULL);
  return g_object_new (RTMP_CORE_TYPE_CONNECTION, "stream", stream, NULL);
}

static void
rtmp_core_connection_init (RtmpCoreConnection * conn)
{
  conn->context = g_main_context_ref_thread_default ();
  conn->cancellable = g_cancellable_new ();
  conn->start_us = g_get_monotonic_time ();
  conn->max_queue_bytes = RTMP_CORE_DEFAULT_MAX_QUEUE_BYTES;
  conn->flush_tasks = g_ptr_array_new ();
  g_mutex_init (&conn->stats_lock);
  conn->stats.in_chunk_size = 128;
  conn->stats.out_chunk_size = 128;
  conn->stats.rtt_us = -1;

  conn->reader = rtmp_core_chunk_reader_new ();
  rtmp_core_chunk_reader_set_callback (conn->reader, on_reader_message, conn,
      NULL);
}

static void
rtmp_core_connection_constructed (GObject * object)
{
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (object);

  G_OBJECT_CLASS (rtmp_core_connection_parent_class)->constructed (object);
  g_assert (conn->stream != NULL);
  conn->io = io_state_new (conn, conn->context, conn->stream);
  conn->kick_source = ready_source_new (conn, kick_cb,
      "RtmpCoreConnection kick");
  set_no_delay (conn->stream);
}

static void
rtmp_core_connection_dispose (GObject * object)
{
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (object);

  /* Pending operations and handshakes hold a reference, so only the I/O
   * of a started connection can still be pending here: cancel it and let
   * the IoState close the stream once it is back. No signal is emitted. */
  if (conn->io) {
    conn->io->conn = NULL;
    if (!conn->closed) {
      conn->closed = TRUE;
      g_cancellable_cancel (conn->cancellable);
      conn->io->close_stream = TRUE;
      io_state_maybe_close_stream (conn->io);
    }
    g_clear_pointer (&conn->io, io_state_unref);
  }
  rtmp_clear_source (&conn->kick_source);
  rtmp_clear_source (&conn->ping_source);
  message_queue_clear (&conn->queue);
  g_clear_pointer (&conn->leftover, g_bytes_unref);
  g_clear_object (&conn->stream);

  G_OBJECT_CLASS (rtmp_core_connection_parent_class)->dispose (object);
}

static void
rtmp_core_connection_finalize (GObject * object)
{
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (object);

  rtmp_core_chunk_reader_unref (conn->reader);
  g_ptr_array_unref (conn->flush_tasks);
  g_object_unref (conn->cancellable);
  g_main_context_unref (conn->context);
  g_mutex_clear (&conn->stats_lock);

  G_OBJECT_CLASS (rtmp_core_connection_parent_class)->finalize (object);
}

static void
rtmp_core_connection_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (object);

  switch (prop_id) {
    case PROP_STREAM:
      conn->stream = g_value_dup_object (value);
      break;
    case PROP_MAX_QUEUE_BYTES:
      rtmp_core_connection_set_max_queue_bytes (conn,
          (gsize) MIN (g_value_get_uint64 (value), G_MAXSIZE));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

static void
rtmp_core_connection_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  RtmpCoreConnection *conn = RTMP_CORE_CONNECTION (object);

  switch (prop_id) {
    case PROP_STREAM:
      g_value_set_object (value, conn->stream);
      break;
    case PROP_MAX_QUEUE_BYTES:
      g_value_set_uint64 (value, conn->max_queue_bytes);
      break;
    case PROP_RTT:
      g_value_set_int64 (value, rtmp_core_connection_get_rtt (conn));
      break;
    case PROP_BYTES_IN:
      STATS_LOCK (conn);
      g_value_set_uint64 (value, conn->stats.bytes_in);
      STATS_UNLOCK (conn);
      break;
    case PROP_BYTES_OUT:
      STATS_LOCK (conn);
      g_value_set_uint64 (value, conn->stats.bytes_out);
      STATS_UNLOCK (conn);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
}

/**
 * RtmpCoreConnection:
 *
 * The RTMP chunk stream over a #GIOStream (plain TCP or TLS): the
 * handshake, message reassembly and chunking, acknowledgements, pings and
 * an output queue with a size limit.
 *
 * Typical use: rtmp_core_connection_new(), connect to
 * #RtmpCoreConnection::message and #RtmpCoreConnection::closed,
 * rtmp_core_connection_handshake_async(), then
 * rtmp_core_connection_start() and rtmp_core_connection_queue_message().
 *
 * The connection answers Ping Requests, acknowledges every window of bytes
 * the peer announced with Window Acknowledgement Size (the 64-bit counter
 * is sent modulo 2^32 and never reset), answers a Set Peer Bandwidth with
 * a matching Window Acknowledgement Size, and measures the round trip of
 * its own pings. All messages, including those it handles itself, are
 * then reported on #RtmpCoreConnection::message.
 *
 * Threading: a connection belongs to the thread-default #GMainContext of
 * the thread that created it; all its I/O callbacks, signals and async
 * callbacks run there. Its methods must be called from the thread that
 * iterates that context (or, while no thread iterates it, from the thread
 * that created it), and the last reference must be dropped there too.
 * Only rtmp_core_connection_get_stats(), rtmp_core_connection_get_rtt(),
 * rtmp_core_connection_get_queued_bytes(), reading the
 * #RtmpCoreConnection:rtt, #RtmpCoreConnection:bytes-in and
 * #RtmpCoreConnection:bytes-out properties, and g_object_ref() are safe
 * from any thread.
 *
 * Dropping the last reference while I/O is pending cancels it and closes
 * the stream; no signal is emitted from then on.
 *
 * Since: 0.1
 */
static void
rtmp_core_connection_class_init (RtmpCoreConnectionClass * klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = rtmp_core_connection_constructed;
  object_class->dispose = rtmp_core_connection_dispose;
  object_class->finalize = rtmp_core_connection_finalize;
  object_class->set_property = rtmp_core_connection_set_property;
  object_class->get_property = rtmp_core_connection_get_property;

  /**
   * RtmpCoreConnection:stream:
   *
   * The stream the connection runs over.
   *
   * Since: 0.1
   */
  props[PROP_STREAM] = g_param_spec_object ("stream", "Stream",
      "The connected stream the RTMP chunk stream runs over",
      G_TYPE_IO_STREAM, G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
      G_PARAM_STATIC_STRINGS);

  /**
   * RtmpCoreConnection:max-queue-bytes:
   *
   * Once this many payload bytes are queued, media messages are refused
   * with %RTMP_CORE_ERROR_QUEUE_FULL. 0 means no limit.
   *
   * Since: 0.1
   */
  props[PROP_MAX_QUEUE_BYTES] = g_param_spec_uint64 ("max-queue-bytes",
      "Maximum queued bytes",
      "Queued payload bytes at which media messages are refused (0: no limit)",
      0, G_MAXUINT64, RTMP_CORE_DEFAULT_MAX_QUEUE_BYTES,
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * RtmpCoreConnection:rtt:
   *
   * The round trip time of the last answered ping, in microseconds; -1
   * until one is answered. Notified on change. Readable from any thread.
   *
   * Since: 0.1
   */
  props[PROP_RTT] = g_param_spec_int64 ("rtt", "Round trip time",
      "Round trip time of the last answered ping in microseconds (-1: unknown)",
      -1, G_MAXINT64, -1, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * RtmpCoreConnection:bytes-in:
   *
   * Chunk stream bytes received after the handshake. Not notified.
   * Readable from any thread.
   *
   * Since: 0.1
   */
  props[PROP_BYTES_IN] = g_param_spec_uint64 ("bytes-in", "Bytes in",
      "Chunk stream bytes received after the handshake",
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  /**
   * RtmpCoreConnection:bytes-out:
   *
   * Chunk stream bytes written after the handshake. Not notified.
   * Readable from any thread.
   *
   * Since: 0.1
   */
  props[PROP_BYTES_OUT] = g_param_spec_uint64 ("bytes-out", "Bytes out",
      "Chunk stream bytes written after the handshake",
      0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, props);

  /**
   * RtmpCoreConnection::message:
   * @conn: the connection
   * @msg: (transfer none): the message, a borrowed view valid only during
   *   the emission
   *
   * Emitted for every message received, including the protocol and user
   * control messages the connection already acted upon. The payload is not
   * copied: a handler that keeps the message must take
   * rtmp_core_message_copy().
   *
   * Since: 0.1
   */
  signals[SIGNAL_MESSAGE] = g_signal_new ("message",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
      g_cclosure_marshal_VOID__BOXED, G_TYPE_NONE, 1,
      RTMP_CORE_TYPE_MESSAGE | G_SIGNAL_TYPE_STATIC_SCOPE);
  g_signal_set_va_marshaller (signals[SIGNAL_MESSAGE],
      G_TYPE_FROM_CLASS (klass), g_cclosure_marshal_VOID__BOXEDv);

  /**
   * RtmpCoreConnection::closed:
   * @conn: the connection
   * @error: (nullable): why: %RTMP_CORE_ERROR_CLOSED if the peer closed
   *   the connection, the reader's error for a protocol violation,
   *   %RTMP_CORE_ERROR_TIMEOUT for an unanswered ping, a #GIOErrorEnum
   *   for a failed read or write, or the reason given to
   *   rtmp_core_connection_close() (%NULL for a clean local close)
   *
   * Emitted exactly once when the connection closes, whoever closed it.
   * Not emitted once the connection is being finalized.
   *
   * Since: 0.1
   */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
      g_cclosure_marshal_VOID__BOXED, G_TYPE_NONE, 1, G_TYPE_ERROR);

  /**
   * RtmpCoreConnection::queue-drained:
   * @conn: the connection
   *
   * Emitted when the output queue, having held at least half of
   * #RtmpCoreConnection:max-queue-bytes (or having refused a message),
   * falls below a quarter of it: the time to queue media again.
   *
   * Since: 0.1
   */
  signals[SIGNAL_QUEUE_DRAINED] = g_signal_new ("queue-drained",
      G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
      g_cclosure_marshal_VOID__VOID, G_TYPE_NONE, 0);
}
