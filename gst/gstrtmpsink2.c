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
 * ## Reconnecting
 *
 * Once publishing has started, a connection that drops (the server closes
 * or resets it, a write fails, or the server acknowledges nothing for
 * max(2 × #rtmpsink2:timeout, 10) seconds while data waits) does not stop
 * the pipeline when #rtmpsink2:reconnect is %TRUE (the default). The element
 * posts an element message `rtmpsink2-reconnecting` (fields `attempt`,
 * `max-attempts`, `delay-ms`, `reason`, `location`), waits, connects and
 * publishes again; attempt n waits #rtmpsink2:reconnect-delay-min × 2^(n-1)
 * milliseconds, at most #rtmpsink2:reconnect-delay-max, ±10 % jitter.
 *
 * Meanwhile rendering goes on: the element keeps up to
 * #rtmpsink2:max-buffer-time of media; beyond that, with a live upstream,
 * it drops the oldest whole GOPs of video, and audio only once it is
 * older than that window (with a non-live upstream, e.g. a file, rendering
 * waits instead, so nothing is lost). What the old connection had not
 * delivered (by the socket's count of unacknowledged bytes) is sent again,
 * from the key frame of the GOP it was in, so the new connection gets the
 * video without a gap.
 *
 * Once publishing again it posts `rtmpsink2-reconnected` (`attempt`,
 * `downtime-ms`, `location`), sends the metadata and the codec
 * configurations valid at that point (with the timestamp of what follows),
 * then the queued audio and the video from its first key frame on (video
 * before it cannot be decoded and is dropped; if no key frame is queued,
 * video resumes at the next one). Tags keep their timestamps, so the
 * timeline continues where it was.
 *
 * Only when #rtmpsink2:reconnect-attempts attempts in a row failed is an
 * ERROR posted, naming the number of attempts and the last error. The
 * first connection is not retried: an error there is usually a
 * configuration error and is posted at once. EOS during an outage waits
 * for the reconnection, then sends the tail and the stop commands.
 *
 * ## Congestion
 *
 * The element measures its send backlog: the bytes it queues plus those in
 * the connection's queue and in the socket's send buffer not yet
 * acknowledged by the peer, and the duration of the media they hold. It
 * hands data to the socket only while less than about twice the
 * bandwidth-delay product (at least 64 KiB) is unacknowledged, so the
 * backlog stays where it can be measured and dropped. Every
 * #rtmpsink2:congestion-interval milliseconds it posts an element message
 * `rtmpsink2-congestion` with `queued-bytes`, `queued-ms`, `bitrate` (bit/s
 * delivered over the interval), `input-bitrate` (bit/s entering the
 * element), `suggested-bitrate`, `dropped-frames` and `connected`. The
 * suggestion is 80 % of the delivered bitrate while the backlog is over
 * 500 ms (half of #rtmpsink2:max-latency when set) and not shrinking, or
 * frames were dropped since the last message, otherwise the input bitrate:
 * an application can feed it to the encoder.
 * With #rtmpsink2:max-latency set, the element keeps the stream live
 * itself: over that backlog it drops non-key video frames (and everything
 * depending on them up to the next key frame), and the oldest queued GOPs
 * and audio.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 videotestsrc is-live=true ! x264enc tune=zerolatency ! h264parse ! flvmux streamable=true name=m ! rtmpsink2 location=rtmp://localhost/live/key  audiotestsrc is-live=true ! avenc_aac ! m.
 * ]| Encodes test video and audio and publishes them live as stream "key"
 * of application "live", reconnecting up to 10 times if the connection
 * drops.
 * |[
 * gst-launch-1.0 filesrc location=movie.flv ! rtmpsink2 location=rtmps://live.example.com/app/key sync=false
 * ]| Publishes an FLV file over TLS as fast as the network allows.
 * |[
 * gst-launch-1.0 -m v4l2src ! videoconvert ! x264enc tune=zerolatency key-int-max=30 ! flvmux streamable=true ! rtmpsink2 location=rtmp://example.com/live/key max-latency=1000 reconnect-attempts=0
 * ]| Publishes a camera over a weak link: never more than about a second
 * behind (frames are dropped instead), reconnecting forever, and prints
 * the congestion messages.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmpsink2.h"
#include "gstrtmplocation.h"
#include "gstrtmpstreamheader.h"
#include "gstrtmputils.h"

#include <string.h>

#ifdef __linux__
#include <sys/ioctl.h>
#include <linux/sockios.h>
#endif

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_sink2_debug_category);
#define GST_CAT_DEFAULT gst_rtmp_sink2_debug_category

#define DEFAULT_CHUNK_SIZE 4096
#define DEFAULT_STOP_COMMANDS (GST_RTMP_CORE_STOP_COMMANDS_FCUNPUBLISH | \
    GST_RTMP_CORE_STOP_COMMANDS_DELETE_STREAM)
#define DEFAULT_ASYNC_CONNECT TRUE
#define DEFAULT_RECONNECT TRUE
#define DEFAULT_RECONNECT_ATTEMPTS 10
#define DEFAULT_RECONNECT_DELAY_MIN 1000
#define DEFAULT_RECONNECT_DELAY_MAX 30000
#define DEFAULT_MAX_BUFFER_TIME 10000
#define DEFAULT_MAX_LATENCY 0
#define DEFAULT_CONGESTION_INTERVAL 1000

/* While publishing, render() waits once the queue holds this much and
 * #rtmpsink2:max-buffer-time of media... */
#define PENDING_MIN_BYTES (256 * 1024)
/* ...or this much, whatever its duration. Reconnecting, it drops instead. */
#define PENDING_MAX_BYTES (64 * 1024 * 1024)

/* Bytes written but unacknowledged are capped at twice the delivery rate
 * times the round trip plus this headroom, and at least INFLIGHT_MIN_BYTES:
 * enough to keep the link busy, little enough that a backlog builds up in
 * our queue, where it can be measured and dropped, not in the kernel. */
#define INFLIGHT_MIN_BYTES (64 * 1024)
#define INFLIGHT_HEADROOM_MS 200
/* how often the pump looks again while the socket holds enough */
#define GATE_POLL_MS 10

/* A connection that delivers nothing for max(2 × timeout, this) seconds
 * while data waits counts as lost. */
#define STALL_MIN_S 10

/* A backlog under this (or half of max-latency) is not congestion. */
#define CONGESTED_MS 500

/* chunk streams for commands, as librtmpcore's client uses them */
#define CONTROL_CHUNK_STREAM 3
#define STREAM_CHUNK_STREAM 8

#define STATS_INTERVAL_MS 1000
#define PING_INTERVAL_S 5

typedef enum
{
  CONN_IDLE,                    /* no connection attempt yet */
  CONN_CONNECTING,              /* the first connect and publish */
  CONN_PUBLISHING,
  CONN_RECONNECTING,            /* lost, waiting or trying again */
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

/* What a tag is to the queue: what may be dropped, where video can
 * resume, what a new connection needs first. */
typedef enum
{
  TAG_OTHER,                    /* script data other than onMetaData */
  TAG_METADATA,
  TAG_VIDEO_CONFIG,
  TAG_AUDIO_CONFIG,
  TAG_VIDEO_KEY,
  TAG_VIDEO_INTER,              /* later frames up to a key frame need it */
  TAG_VIDEO_DISPOSABLE,         /* nothing depends on it */
  TAG_VIDEO_OTHER,              /* end of sequence, command: no picture */
  TAG_AUDIO,
} TagKind;

typedef struct
{
  RtmpCoreMessage *msg;
  gsize size;
  TagKind kind;
  guint64 seq;                  /* input order */
  guint64 ts;                   /* unwrapped milliseconds, frames only */
  guint64 end;                  /* handed to a connection: its byte offset
                                 * there once written */
} Tag;

/* Counters at the start of a rate measurement. */
typedef struct
{
  gint64 time;
  guint64 delivered;
  guint64 input;
} RateSample;

struct _GstRtmpSink2
{
  GstBaseSink parent;

  /* properties, under the object lock */
  GstRtmpCoreLocation location;
  guint chunk_size;
  GstRtmpCoreStopCommands stop_commands;
  gboolean async_connect;
  gchar **fourcc_list;
  gboolean reconnect;
  guint reconnect_attempts;
  guint reconnect_delay_min;
  guint reconnect_delay_max;
  guint max_buffer_time;
  guint max_latency;
  guint congestion_interval;

  /* the I/O thread and its context; set in start(), cleared in stop() */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  /* shared between the streaming and the I/O thread, under lock */
  GMutex lock;
  GCond cond;
  ConnState state;
  gboolean flushing;
  GQueue pending;               /* Tag, in order */
  gsize pending_bytes;
  GQueue configs;               /* Tag: the metadata and configurations a
                                 * resume may need, in input order */
  guint64 next_seq;
  guint64 newest_ts;            /* of the latest frame that came in */
  gboolean has_video;
  gboolean need_keyframe;       /* drop inter frames until a key frame */
  guint64 conn_span;            /* ms of media the connection holds */
  guint64 input_bytes;
  guint64 dropped_frames;
  guint reconnects;
  guint64 bitrate;              /* delivered, over the last second */
  guint64 input_bitrate;
  guint64 sent_base;            /* bytes-sent and bytes-acked of the */
  guint64 acked_base;           /* connections before this one */
  gboolean pump_scheduled;
  /* borrowed from the client, readable here for stats only while set */
  RtmpCoreConnection *conn;
  GSocket *socket;

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
  gboolean stopping;            /* EOS: send the tail, then stop */
  gboolean published;           /* once: a lost connection reconnects */
  StopPhase stop_phase;
  GSource *stats_source;
  GSource *stop_timeout_source;
  GSource *gate_source;
  GSource *reconnect_source;
  GSource *congestion_source;
  GQueue sent;                  /* Tag handed to the connection and maybe
                                 * not delivered yet */
  GQueue delivered;             /* Tag delivered, from the last key frame
                                 * on: a new connection starts there */
  guint64 sent_total;           /* payload bytes handed to the connection */
  guint64 last_handed_ts;
  gsize inflight_limit;
  guint64 delivered_base;       /* delivered by earlier connections */
  guint64 conn_delivered;       /* by this one: written and acknowledged */
  guint attempt;                /* reconnection attempt, 0 when connected */
  gint64 outage_start;
  RateSample stats_sample;
  RateSample congestion_sample;
  guint64 last_queued_ms;
  guint64 last_dropped;
  gint64 last_progress_time;
  gint64 last_ping_time;
  GSList *watched;              /* client and connection, until finalized */

  /* streaming thread only */
  gboolean live_known;
  gboolean upstream_live;
  RtmpCoreFlvParser *parser;
  RtmpCoreTimestampUnwrapper unwrapper;
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
  PROP_RECONNECT,
  PROP_RECONNECT_ATTEMPTS,
  PROP_RECONNECT_DELAY_MIN,
  PROP_RECONNECT_DELAY_MAX,
  PROP_MAX_BUFFER_TIME,
  PROP_MAX_LATENCY,
  PROP_CONGESTION_INTERVAL,
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
/* tags and the queue                                                  */
/* ------------------------------------------------------------------ */

static TagKind
classify (const RtmpCoreMessage * msg)
{
  gsize size;
  const guint8 *data = rtmp_core_message_peek_data (msg, &size);

  switch (msg->type) {
    case RTMP_CORE_MESSAGE_VIDEO:{
      RtmpCoreVideoInfo info;

      /* unparsable: pass it on, but never resume at it */
      if (!rtmp_core_video_info_parse (data, size, &info, NULL))
        return TAG_VIDEO_OTHER;
      if (info.is_sequence_header)
        return TAG_VIDEO_CONFIG;
      if (info.is_command || info.is_sequence_end)
        return TAG_VIDEO_OTHER;
      if (info.is_keyframe)
        return TAG_VIDEO_KEY;
      if (info.frame_type == RTMP_CORE_VIDEO_FRAME_DISPOSABLE)
        return TAG_VIDEO_DISPOSABLE;
      return TAG_VIDEO_INTER;
    }
    case RTMP_CORE_MESSAGE_AUDIO:
      return rtmp_core_audio_info_is_sequence_header (data, size) ?
          TAG_AUDIO_CONFIG : TAG_AUDIO;
    case RTMP_CORE_MESSAGE_DATA_AMF0:
      return gst_rtmp_is_metadata (data, size) ? TAG_METADATA : TAG_OTHER;
    default:
      return TAG_OTHER;
  }
}

static gboolean
is_video_frame (TagKind kind)
{
  return kind == TAG_VIDEO_KEY || kind == TAG_VIDEO_INTER ||
      kind == TAG_VIDEO_DISPOSABLE || kind == TAG_VIDEO_OTHER;
}

/* audio and video frames: what has a duration and may be dropped */
static gboolean
is_frame (TagKind kind)
{
  return kind == TAG_AUDIO || is_video_frame (kind);
}

static gboolean
is_header (TagKind kind)
{
  return kind == TAG_METADATA || kind == TAG_VIDEO_CONFIG ||
      kind == TAG_AUDIO_CONFIG;
}

static Tag *
tag_new (RtmpCoreMessage * msg, TagKind kind, guint64 seq, guint64 ts)
{
  Tag *t = g_new0 (Tag, 1);

  t->msg = rtmp_core_message_ref (msg);
  t->size = rtmp_core_message_get_size (msg);
  t->kind = kind;
  t->seq = seq;
  t->ts = ts;
  return t;
}

static void
tag_free (gpointer data)
{
  Tag *t = data;

  rtmp_core_message_unref (t->msg);
  g_free (t);
}

static void
drop_pending_link_locked (GstRtmpSink2 * self, GList * link)
{
  Tag *t = link->data;

  if (is_frame (t->kind))
    self->dropped_frames++;
  self->pending_bytes -= t->size;
  g_queue_delete_link (&self->pending, link);
  tag_free (t);
}

/* Milliseconds of media in the element's queue. */
static guint64
pending_span_locked (GstRtmpSink2 * self)
{
  GList *l;

  for (l = self->pending.head; l; l = l->next) {
    Tag *t = l->data;

    if (is_frame (t->kind))
      return self->newest_ts > t->ts ? self->newest_ts - t->ts : 0;
  }
  return 0;
}

/* Milliseconds of media waiting: in the element's queue, plus what the
 * connection and the socket hold undelivered. Gaps left by dropped GOPs
 * do not count: this is how far behind the receiver would be once the
 * link is fast again. */
static guint64
queued_ms_locked (GstRtmpSink2 * self)
{
  return self->conn_span + pending_span_locked (self);
}

/* Drops the video frames before the second key frame of the queue (or
 * before the first, when the queue starts within a GOP), if the first
 * video frame is older than @cutoff. What is dropped is the tail of a GOP:
 * no frame kept refers to it. */
static gboolean
drop_oldest_gop_locked (GstRtmpSink2 * self, guint64 cutoff)
{
  GList *l, *next, *first_video = NULL, *next_key = NULL;

  for (l = self->pending.head; l && next_key == NULL; l = l->next) {
    Tag *t = l->data;

    if (!is_video_frame (t->kind))
      continue;
    if (first_video == NULL) {
      if (t->ts >= cutoff)
        return FALSE;
      first_video = l;
    } else if (t->kind == TAG_VIDEO_KEY) {
      next_key = l;
    }
  }
  if (next_key == NULL)
    return FALSE;

  for (l = first_video; l != next_key; l = next) {
    next = l->next;
    if (is_video_frame (((Tag *) l->data)->kind))
      drop_pending_link_locked (self, l);
  }
  return TRUE;
}

/* Keeps at most @limit ms of media in the element's queue: whole GOPs go,
 * oldest first, while a later key frame is queued; audio goes only once
 * it is older than the window. A GOP longer than the window stays until
 * the next key frame comes, unless the queue is over its byte cap. */
static void
trim_locked (GstRtmpSink2 * self, guint64 limit)
{
  guint64 cutoff;
  GList *l, *next;

  if (self->newest_ts > limit) {
    cutoff = self->newest_ts - limit;
    while (drop_oldest_gop_locked (self, cutoff));

    for (l = self->pending.head; l; l = next) {
      Tag *t = l->data;

      next = l->next;
      if (!is_frame (t->kind))
        continue;
      if (t->ts >= cutoff)
        break;
      if (t->kind == TAG_AUDIO)
        drop_pending_link_locked (self, l);
    }
  }

  if (self->pending_bytes > PENDING_MAX_BYTES) {
    GST_DEBUG_OBJECT (self, "%" G_GSIZE_FORMAT " bytes queued: dropping all "
        "queued video until the next key frame", self->pending_bytes);
    for (l = self->pending.head; l; l = next) {
      next = l->next;
      if (is_video_frame (((Tag *) l->data)->kind))
        drop_pending_link_locked (self, l);
    }
    self->need_keyframe = TRUE;
  }
}

/* Forgets configurations superseded before the oldest tag still held
 * (@oldest_seq): a resume can never need them. */
static void
prune_configs_locked (GstRtmpSink2 * self, guint64 oldest_seq)
{
  GList *l, *m, *next;

  for (l = self->configs.head; l; l = next) {
    Tag *t = l->data;

    next = l->next;
    for (m = l->next; m; m = m->next) {
      Tag *u = m->data;

      if (u->kind == t->kind && u->seq <= oldest_seq) {
        g_queue_delete_link (&self->configs, l);
        tag_free (t);
        break;
      }
    }
  }
}

/* The latest configuration of @kind from before @seq. */
static Tag *
config_before_locked (GstRtmpSink2 * self, TagKind kind, guint64 seq)
{
  GList *l;
  Tag *found = NULL;

  for (l = self->configs.head; l; l = l->next) {
    Tag *t = l->data;

    if (t->seq >= seq)
      break;
    if (t->kind == kind)
      found = t;
  }
  return found;
}

/* Prepares the queue for a new connection: the metadata and configurations
 * valid at the resume point first (with the resume point's timestamp, so
 * the timeline has no jump back), then the audio and other data queued
 * before the first key frame, then everything from that key frame on.
 * Video before it cannot be decoded without what was lost. */
static void
resume_queue_locked (GstRtmpSink2 * self)
{
  static const TagKind header_kinds[] = { TAG_AUDIO_CONFIG, TAG_VIDEO_CONFIG,
    TAG_METADATA
  };
  GQueue kept = G_QUEUE_INIT;
  GList *l, *key = NULL;
  guint64 resume_seq;
  guint32 timestamp;
  Tag *t;
  guint i;

  for (l = self->pending.head; l && key == NULL; l = l->next)
    if (((Tag *) l->data)->kind == TAG_VIDEO_KEY)
      key = l;
  resume_seq = key ? ((Tag *) key->data)->seq : self->next_seq;

  while (self->pending.head != key) {
    t = g_queue_pop_head (&self->pending);
    if (t->kind == TAG_AUDIO || t->kind == TAG_OTHER) {
      g_queue_push_tail (&kept, t);
      continue;
    }
    if (is_frame (t->kind))
      self->dropped_frames++;
    self->pending_bytes -= t->size;
    tag_free (t);
  }
  if (key == NULL && self->has_video)
    self->need_keyframe = TRUE;
  while ((t = g_queue_pop_tail (&kept)))
    g_queue_push_head (&self->pending, t);

  t = g_queue_peek_head (&self->pending);
  timestamp = t ? t->msg->timestamp : (guint32) self->newest_ts;
  for (i = 0; i < G_N_ELEMENTS (header_kinds); i++) {
    Tag *config = config_before_locked (self, header_kinds[i], resume_seq);
    RtmpCoreMessage *msg;
    GBytes *payload;

    if (config == NULL)
      continue;
    payload = rtmp_core_message_get_payload (config->msg);
    msg = rtmp_core_message_new (config->msg->type,
        config->msg->chunk_stream_id, config->msg->stream_id, timestamp,
        payload);
    g_bytes_unref (payload);
    t = tag_new (msg, config->kind, config->seq, self->newest_ts);
    rtmp_core_message_unref (msg);
    g_queue_push_head (&self->pending, t);
    self->pending_bytes += t->size;
  }
}

/* ------------------------------------------------------------------ */
/* I/O thread                                                          */
/* ------------------------------------------------------------------ */

static void io_pump (GstRtmpSink2 * self);
static void io_connection_lost (GstRtmpSink2 * self, GError * error);
static void io_start_client (GstRtmpSink2 * self);

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static GSource *
attach_timeout (GstRtmpSink2 * self, guint ms, GSourceFunc func)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, self, NULL);
  g_source_attach (source, self->context);
  return source;
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
post_element_message (GstRtmpSink2 * self, GstStructure * s)
{
  gst_element_post_message (GST_ELEMENT (self),
      gst_message_new_element (GST_OBJECT (self), s));
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

/* Bytes in the socket's send buffer that the peer's TCP has not
 * acknowledged yet (0 where the system cannot tell). */
static guint64
socket_unacked (GSocket * socket)
{
#ifdef SIOCOUTQ
  int n = 0;

  if (socket && !g_socket_is_closed (socket) &&
      ioctl (g_socket_get_fd (socket), SIOCOUTQ, &n) == 0 && n > 0)
    return n;
#endif
  return 0;
}

static guint64
io_bytes_out (GstRtmpSink2 * self)
{
  guint64 bytes_out = 0;

  g_object_get (self->conn, "bytes-out", &bytes_out, NULL);
  return bytes_out;
}

/* Bytes the connection's queue and the socket hold; forgets the tags the
 * peer has received; updates what the streaming thread sees of it. Only
 * on an open connection: a closed one reports nothing queued. */
static guint64
io_account (GstRtmpSink2 * self)
{
  guint64 unacked, inflight, delivered, bytes_out, span = 0;
  Tag *t;
  GList *l;

  if (self->conn == NULL || rtmp_core_connection_is_closed (self->conn))
    return 0;

  unacked = socket_unacked (self->socket);
  bytes_out = io_bytes_out (self);
  inflight = rtmp_core_connection_get_queued_bytes (self->conn) + unacked;
  /* the connection's queue and the socket also hold control messages and
   * chunk headers: this errs on the side of "not delivered yet" */
  delivered = self->sent_total > inflight ? self->sent_total - inflight : 0;
  while ((t = g_queue_peek_head (&self->sent)) && t->end <= delivered) {
    g_queue_pop_head (&self->sent);
    if (t->kind == TAG_VIDEO_KEY)
      g_queue_clear_full (&self->delivered, tag_free);
    if (t->kind == TAG_VIDEO_KEY || !g_queue_is_empty (&self->delivered))
      g_queue_push_tail (&self->delivered, t);
    else
      tag_free (t);
  }
  self->conn_delivered = MAX (self->conn_delivered,
      bytes_out - MIN (unacked, bytes_out));

  for (l = self->sent.head; l; l = l->next) {
    t = l->data;
    if (is_frame (t->kind)) {
      span = self->last_handed_ts > t->ts ? self->last_handed_ts - t->ts : 0;
      break;
    }
  }

  t = g_queue_peek_head (&self->delivered);
  if (t == NULL)
    t = g_queue_peek_head (&self->sent);
  g_mutex_lock (&self->lock);
  self->conn_span = span;
  if (t == NULL)
    t = g_queue_peek_head (&self->pending);
  prune_configs_locked (self, t ? t->seq : self->next_seq);
  g_mutex_unlock (&self->lock);
  return inflight;
}

/* Puts what the lost connection may not have delivered back in front of
 * the queue, for the next connection, and what it delivered of the
 * current GOP: the new connection starts at that GOP's key frame, so the
 * video goes on without a gap. */
static void
io_requeue_sent (GstRtmpSink2 * self)
{
  Tag *t;

  g_mutex_lock (&self->lock);
  while ((t = g_queue_pop_tail (&self->sent)) ||
      (t = g_queue_pop_tail (&self->delivered))) {
    g_queue_push_head (&self->pending, t);
    self->pending_bytes += t->size;
  }
  self->conn_span = 0;
  g_mutex_unlock (&self->lock);
  self->sent_total = 0;
  self->last_handed_ts = 0;
}

/* Drops the client; its connection closes (dropping anything unsent) if
 * it is still open. */
static void
io_release_client (GstRtmpSink2 * self)
{
  RtmpCoreConnection *conn;
  GSocket *socket;
  guint64 bytes_out = 0, bytes_acked = 0;

  destroy_source (&self->stats_source);
  destroy_source (&self->stop_timeout_source);
  destroy_source (&self->gate_source);
  self->stop_phase = STOP_NONE;
  self->waiting_drain = FALSE;

  if (self->conn) {
    GVariant *stats = g_variant_ref_sink (rtmp_core_connection_get_stats
        (self->conn));

    g_variant_lookup (stats, "bytes-out", "t", &bytes_out);
    g_variant_lookup (stats, "bytes-acked", "t", &bytes_acked);
    g_variant_unref (stats);
  }

  g_mutex_lock (&self->lock);
  conn = self->conn;
  socket = self->socket;
  self->conn = NULL;
  self->socket = NULL;
  self->sent_base += bytes_out;
  self->acked_base += bytes_acked;
  self->conn_span = 0;
  g_mutex_unlock (&self->lock);
  g_clear_object (&socket);
  self->delivered_base += self->conn_delivered;
  self->conn_delivered = 0;

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

/* Everything that ends publishing for good. */
static void
io_end (GstRtmpSink2 * self, ConnState state)
{
  io_release_client (self);
  destroy_source (&self->reconnect_source);
  destroy_source (&self->congestion_source);
  g_queue_clear_full (&self->sent, tag_free);
  g_queue_clear_full (&self->delivered, tag_free);
  set_state (self, state);
}

/* Posts @error (taken) as the element's error, unless the element is
 * shutting down anyway, and gives up publishing. @what names what
 * failed; NULL for the location. */
static void
io_fail_full (GstRtmpSink2 * self, GError * error, const gchar * what)
{
  if (self->shutting_down) {
    GST_DEBUG_OBJECT (self, "ignoring an error while shutting down: %s",
        error->message);
    g_error_free (error);
    return;
  }

  GST_DEBUG_OBJECT (self, "failed: %s", error->message);
  /* posted before render() returns an error, so that it is the first
   * error on the bus, not upstream's "internal data stream error" */
  gst_rtmp_post_error (GST_ELEMENT (self), error, TRUE,
      what ? what : self->masked_location);
  g_error_free (error);
  io_end (self, CONN_FAILED);
}

static void
io_fail (GstRtmpSink2 * self, GError * error)
{
  io_fail_full (self, error, NULL);
}

static void
io_finish_stop (GstRtmpSink2 * self)
{
  GST_DEBUG_OBJECT (self, "publish of %s ended", self->masked_location);
  io_end (self, CONN_STOPPED);
}

/* Attempt n waits min × 2^(n-1), at most max, ±10 % so that many
 * publishers cut off together do not come back together. */
static guint
backoff_delay (guint attempt, guint delay_min, guint delay_max)
{
  gdouble delay = delay_min;
  guint i;

  for (i = 1; i < attempt && delay < delay_max; i++)
    delay *= 2;
  delay = MIN (delay, MAX (delay_min, delay_max));
  return (guint) (delay * g_random_double_range (0.9, 1.1));
}

static gboolean
io_reconnect_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  g_clear_pointer (&self->reconnect_source, g_source_unref);
  GST_INFO_OBJECT (self, "reconnecting to %s, attempt %u",
      self->masked_location, self->attempt);
  io_start_client (self);
  return G_SOURCE_REMOVE;
}

/* Schedules the next reconnection attempt after @error (taken), or gives
 * up when the attempts are exhausted. */
static void
io_schedule_reconnect (GstRtmpSink2 * self, GError * error)
{
  guint max_attempts, delay_min, delay_max, delay;

  if (self->shutting_down) {
    g_error_free (error);
    return;
  }

  GST_OBJECT_LOCK (self);
  max_attempts = self->reconnect_attempts;
  delay_min = self->reconnect_delay_min;
  delay_max = self->reconnect_delay_max;
  GST_OBJECT_UNLOCK (self);

  if (max_attempts != 0 && self->attempt >= max_attempts) {
    gchar *what = g_strdup_printf ("%s (gave up after %u reconnection "
        "attempt%s)", self->masked_location, self->attempt,
        self->attempt == 1 ? "" : "s");

    io_fail_full (self, error, what);
    g_free (what);
    return;
  }

  self->attempt++;
  delay = backoff_delay (self->attempt, delay_min, delay_max);
  GST_WARNING_OBJECT (self, "reconnecting to %s in %u ms (attempt %u): %s",
      self->masked_location, delay, self->attempt, error->message);
  post_element_message (self, gst_structure_new ("rtmpsink2-reconnecting",
          "attempt", G_TYPE_UINT, self->attempt,
          "max-attempts", G_TYPE_UINT, max_attempts,
          "delay-ms", G_TYPE_UINT, delay,
          "reason", G_TYPE_STRING, error->message,
          "location", G_TYPE_STRING, self->masked_location, NULL));
  g_error_free (error);
  self->reconnect_source = attach_timeout (self, delay, io_reconnect_cb);
}

/* A connect or publish failed: the first one is an error, later ones
 * are reconnection attempts. */
static void
io_attempt_failed (GstRtmpSink2 * self, GError * error)
{
  if (!self->published || self->shutting_down) {
    io_fail (self, error);
    return;
  }
  io_release_client (self);
  io_schedule_reconnect (self, error);
}

/* The connection is gone (@error, taken, says why): the end of the EOS
 * sequence, an error, or the start of reconnecting. */
static void
io_connection_lost (GstRtmpSink2 * self, GError * error)
{
  gboolean reconnect;

  if (self->shutting_down || self->conn == NULL) {
    g_error_free (error);
    return;
  }
  /* our stop commands went out and the server closed: its normal answer */
  if (self->stop_phase == STOP_HALF_CLOSED ||
      (self->stop_phase == STOP_FLUSHING &&
          g_error_matches (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED))) {
    GST_DEBUG_OBJECT (self, "the server closed after our stop commands");
    g_error_free (error);
    io_finish_stop (self);
    return;
  }

  GST_OBJECT_LOCK (self);
  reconnect = self->reconnect;
  GST_OBJECT_UNLOCK (self);
  if (!reconnect) {
    io_fail (self, error);
    return;
  }

  GST_WARNING_OBJECT (self, "lost the connection to %s: %s",
      self->masked_location, error->message);
  io_requeue_sent (self);
  io_release_client (self);
  self->outage_start = g_get_monotonic_time ();
  self->attempt = 0;
  set_state (self, CONN_RECONNECTING);
  io_schedule_reconnect (self, error);
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
  gboolean current = (gpointer) source == (gpointer) self->conn &&
      self->stop_phase == STOP_FLUSHING;

  if (!rtmp_core_connection_flush_finish (RTMP_CORE_CONNECTION (source),
          result, &error)) {
    if (current)
      io_connection_lost (self, error);
    else
      g_error_free (error);
    return;
  }
  if (!current)
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
  self->stop_timeout_source = attach_timeout (self,
      self->io_location.timeout * 1000, io_stop_timed_out);
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
    io_connection_lost (self, error);
    return;
  }
  self->stop_phase = STOP_FLUSHING;
  self->last_progress_time = g_get_monotonic_time ();
  rtmp_core_connection_flush_async (self->conn, self->cancellable,
      io_flushed, self);
}

static gboolean
io_gate_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  g_clear_pointer (&self->gate_source, g_source_unref);
  io_pump (self);
  return G_SOURCE_REMOVE;
}

/* Moves pending tags into the connection's queue while the connection and
 * the socket hold less than the in-flight limit. */
static void
io_pump (GstRtmpSink2 * self)
{
  GError *error = NULL;
  guint64 inflight;

  if (self->conn == NULL || self->waiting_drain)
    return;

  inflight = io_account (self);
  for (;;) {
    Tag *t;

    if (inflight >= self->inflight_limit) {
      /* no event says when the peer acknowledged more: look again soon */
      if (self->gate_source == NULL)
        self->gate_source = attach_timeout (self, GATE_POLL_MS, io_gate_cb);
      break;
    }

    g_mutex_lock (&self->lock);
    t = g_queue_pop_head (&self->pending);
    g_mutex_unlock (&self->lock);
    if (t == NULL)
      break;

    if (!rtmp_core_client_send_media (self->client, t->msg, &error)) {
      g_mutex_lock (&self->lock);
      g_queue_push_head (&self->pending, t);
      g_mutex_unlock (&self->lock);
      if (g_error_matches (error, RTMP_CORE_ERROR,
              RTMP_CORE_ERROR_QUEUE_FULL)) {
        g_clear_error (&error);
        self->waiting_drain = TRUE;
        break;
      }
      io_connection_lost (self, error);
      return;
    }

    inflight += t->size;
    self->sent_total += t->size;
    t->end = self->sent_total;
    if (is_frame (t->kind))
      self->last_handed_ts = t->ts;
    g_queue_push_tail (&self->sent, t);

    g_mutex_lock (&self->lock);
    self->pending_bytes -= t->size;
    g_cond_broadcast (&self->cond);
    g_mutex_unlock (&self->lock);
  }
  io_account (self);
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

  io_connection_lost (self, error ? g_error_copy (error) :
      g_error_new_literal (RTMP_CORE_ERROR, RTMP_CORE_ERROR_CLOSED,
          "The connection was closed"));
}

/* Bytes delivered over all connections, and media bytes that came in. */
static void
rate_sample_take (GstRtmpSink2 * self, RateSample * sample, gint64 now,
    guint64 * delivered_rate, guint64 * input_rate)
{
  guint64 delivered = self->delivered_base + self->conn_delivered;
  guint64 input;
  gint64 elapsed = now - sample->time;

  g_mutex_lock (&self->lock);
  input = self->input_bytes;
  g_mutex_unlock (&self->lock);

  *delivered_rate = *input_rate = 0;
  if (elapsed > 0) {
    *delivered_rate = (delivered - sample->delivered) * 8 * G_USEC_PER_SEC /
        elapsed;
    *input_rate = (input - sample->input) * 8 * G_USEC_PER_SEC / elapsed;
  }
  sample->time = now;
  sample->delivered = delivered;
  sample->input = input;
}

/* Once a second: the bitrates for the stats and the in-flight limit, a
 * ping now and then for the round trip time, and the stall checks. */
static gboolean
io_stats_tick (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 before = self->conn_delivered, inflight, bitrate, input_bitrate;
  gint64 rtt_us, stall_us;

  if (rtmp_core_connection_is_closed (self->conn))
    return G_SOURCE_CONTINUE;
  inflight = io_account (self);
  if (self->conn_delivered != before || inflight == 0)
    self->last_progress_time = now;

  rate_sample_take (self, &self->stats_sample, now, &bitrate, &input_bitrate);
  g_mutex_lock (&self->lock);
  self->bitrate = bitrate;
  self->input_bitrate = input_bitrate;
  g_mutex_unlock (&self->lock);

  rtt_us = MAX (rtmp_core_connection_get_rtt (self->conn), 0);
  self->inflight_limit = MAX (INFLIGHT_MIN_BYTES, bitrate / 8 *
      (2 * rtt_us + INFLIGHT_HEADROOM_MS * 1000) / G_USEC_PER_SEC);

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
            "(%" G_GUINT64_FORMAT " bytes) could not be sent",
            self->io_location.timeout, inflight));
    return G_SOURCE_REMOVE;
  }

  stall_us = MAX (2 * (gint64) self->io_location.timeout, STALL_MIN_S) *
      G_USEC_PER_SEC;
  if (self->stop_phase == STOP_NONE &&
      now - self->last_progress_time >= stall_us) {
    g_clear_pointer (&self->stats_source, g_source_unref);
    io_connection_lost (self, g_error_new (RTMP_CORE_ERROR,
            RTMP_CORE_ERROR_TIMEOUT, "The server acknowledged nothing for "
            "%" G_GINT64_FORMAT " s (%" G_GUINT64_FORMAT " bytes waiting)",
            stall_us / G_USEC_PER_SEC, inflight));
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

/* Every congestion-interval: the backlog and the bitrates, and what the
 * encoder could do about them. */
static gboolean
io_congestion_tick (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  gint64 now = g_get_monotonic_time ();
  guint64 inflight, queued_bytes, queued_ms, bitrate, input_bitrate;
  guint64 suggested, dropped, congested_ms;
  gboolean connected;
  guint max_latency;

  GST_OBJECT_LOCK (self);
  max_latency = self->max_latency;
  GST_OBJECT_UNLOCK (self);
  congested_ms = max_latency ? max_latency / 2 : CONGESTED_MS;

  inflight = io_account (self);
  rate_sample_take (self, &self->congestion_sample, now, &bitrate,
      &input_bitrate);

  g_mutex_lock (&self->lock);
  queued_ms = queued_ms_locked (self);
  queued_bytes = self->pending_bytes + inflight;
  dropped = self->dropped_frames;
  connected = self->state == CONN_PUBLISHING;
  g_mutex_unlock (&self->lock);

  /* dropping frames keeps the backlog from growing: still congestion */
  if (connected && ((queued_ms >= congested_ms &&
              queued_ms >= self->last_queued_ms) ||
          dropped > self->last_dropped))
    suggested = bitrate * 8 / 10;
  else
    suggested = input_bitrate;
  self->last_queued_ms = queued_ms;
  self->last_dropped = dropped;

  GST_LOG_OBJECT (self, "backlog %" G_GUINT64_FORMAT " bytes, %"
      G_GUINT64_FORMAT " ms; %" G_GUINT64_FORMAT " bit/s out, %"
      G_GUINT64_FORMAT " in", queued_bytes, queued_ms, bitrate,
      input_bitrate);
  post_element_message (self, gst_structure_new ("rtmpsink2-congestion",
          "queued-bytes", G_TYPE_UINT64, queued_bytes,
          "queued-ms", G_TYPE_UINT64, queued_ms,
          "bitrate", G_TYPE_UINT64, bitrate,
          "input-bitrate", G_TYPE_UINT64, input_bitrate,
          "suggested-bitrate", G_TYPE_UINT64, suggested,
          "dropped-frames", G_TYPE_UINT64, dropped,
          "connected", G_TYPE_BOOLEAN, connected, NULL));
  return G_SOURCE_CONTINUE;
}

static void
io_published (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  GError *error = NULL;
  RtmpCoreConnection *conn;
  GSocket *socket;
  gboolean resumed = self->published;
  guint congestion_interval;
  gint64 now;

  if (!rtmp_core_client_publish_finish (RTMP_CORE_CLIENT (source), result,
          &error)) {
    io_attempt_failed (self, error);
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
  socket = stream_socket (rtmp_core_connection_get_stream (conn));

  now = g_get_monotonic_time ();
  self->last_progress_time = self->last_ping_time = now;
  self->inflight_limit = INFLIGHT_MIN_BYTES;
  self->sent_total = 0;
  self->last_handed_ts = 0;
  rtmp_core_connection_ping (conn);
  self->stats_source = attach_timeout (self, STATS_INTERVAL_MS,
      io_stats_tick);

  g_mutex_lock (&self->lock);
  self->conn = conn;
  self->socket = socket;
  if (resumed) {
    resume_queue_locked (self);
    self->reconnects++;
  }
  if (self->state == CONN_CONNECTING || self->state == CONN_RECONNECTING)
    set_state_locked (self, CONN_PUBLISHING);
  g_mutex_unlock (&self->lock);

  if (resumed) {
    guint64 downtime = (now - self->outage_start) / 1000;

    GST_INFO_OBJECT (self, "reconnected after %" G_GUINT64_FORMAT " ms, "
        "attempt %u", downtime, self->attempt);
    post_element_message (self, gst_structure_new ("rtmpsink2-reconnected",
            "attempt", G_TYPE_UINT, self->attempt,
            "downtime-ms", G_TYPE_UINT64, downtime,
            "location", G_TYPE_STRING, self->masked_location, NULL));
  } else {
    self->stats_sample.time = self->congestion_sample.time = now;
    GST_OBJECT_LOCK (self);
    congestion_interval = self->congestion_interval;
    GST_OBJECT_UNLOCK (self);
    if (congestion_interval > 0)
      self->congestion_source = attach_timeout (self, congestion_interval,
          io_congestion_tick);
  }
  self->published = TRUE;
  self->attempt = 0;

  if (self->stopping && self->stop_phase == STOP_NONE)
    self->stop_phase = STOP_DRAINING;
  io_pump (self);
}

static void
io_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSink2 *self = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_connect_finish (RTMP_CORE_CLIENT (source), result,
          &error)) {
    io_attempt_failed (self, error);
    return;
  }
  if (self->shutting_down || self->client == NULL)
    return;
  GST_DEBUG_OBJECT (self, "connected to %s", self->masked_location);
  rtmp_core_client_publish_async (self->client, self->cancellable,
      io_published, self);
}

/* Connects and publishes with the settings taken at the first connect. */
static void
io_start_client (GstRtmpSink2 * self)
{
  RtmpCoreUrl *url;
  GError *error = NULL;
  guint chunk_size;
  gchar **fourcc_list;

  url = gst_rtmp_core_location_to_url (&self->io_location, &error);
  if (url != NULL && (self->io_location.stream == NULL ||
          *self->io_location.stream == '\0')) {
    g_set_error_literal (&error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "No stream name is set");
    g_clear_pointer (&url, rtmp_core_url_free);
  }
  if (url == NULL) {
    io_fail (self, error);
    return;
  }

  GST_OBJECT_LOCK (self);
  chunk_size = self->chunk_size;
  fourcc_list = g_strdupv (self->fourcc_list);
  GST_OBJECT_UNLOCK (self);

  GST_INFO_OBJECT (self, "connecting to %s", self->masked_location);
  self->client = rtmp_core_client_new (url);
  rtmp_core_url_free (url);
  gst_rtmp_core_location_configure_client (&self->io_location, self->client);
  g_object_set (self->client, "chunk-size", chunk_size, "fourcc-list",
      fourcc_list, NULL);
  g_strfreev (fourcc_list);

  rtmp_core_client_connect_async (self->client, self->cancellable,
      io_connected, self);
}

static gboolean
io_connect_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  GST_OBJECT_LOCK (self);
  gst_rtmp_core_location_clear (&self->io_location);
  gst_rtmp_core_location_copy (&self->io_location, &self->location);
  GST_OBJECT_UNLOCK (self);

  g_free (self->masked_location);
  self->masked_location =
      gst_rtmp_core_location_get_masked_uri (&self->io_location);
  io_start_client (self);
  return G_SOURCE_REMOVE;
}

/* EOS: send the tail now, or once publishing again. */
static gboolean
io_stop_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  if (self->stopping)
    return G_SOURCE_REMOVE;

  GST_OBJECT_LOCK (self);
  self->io_stop_commands = self->stop_commands;
  GST_OBJECT_UNLOCK (self);

  GST_DEBUG_OBJECT (self, "EOS: sending the tail");
  self->stopping = TRUE;
  if (self->conn != NULL) {
    self->stop_phase = STOP_DRAINING;
    io_pump (self);
  }
  return G_SOURCE_REMOVE;
}

static gboolean
io_shutdown_cb (gpointer user_data)
{
  GstRtmpSink2 *self = user_data;

  self->shutting_down = TRUE;
  g_cancellable_cancel (self->cancellable);
  io_end (self, CONN_IDLE);
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

/* Starts connecting if nobody did yet, then waits until the first
 * publish is done. */
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
  else if (self->state != CONN_PUBLISHING &&
      self->state != CONN_RECONNECTING)
    ret = GST_FLOW_EOS;
  g_mutex_unlock (&self->lock);
  return ret;
}

/* The queue is full when it holds max-buffer-time of media (and a
 * minimum of bytes), or its byte cap. Then render() waits while
 * publishing, and while reconnecting if upstream is not live: a file
 * waits for the connection instead of losing GOPs. */
static gboolean
queue_full_locked (GstRtmpSink2 * self, guint max_buffer_time)
{
  return (self->state == CONN_PUBLISHING ||
      (self->state == CONN_RECONNECTING && !self->upstream_live)) &&
      (self->pending_bytes >= PENDING_MAX_BYTES ||
      (self->pending_bytes >= PENDING_MIN_BYTES &&
          queued_ms_locked (self) >= max_buffer_time));
}

/* Queues one tag, unless a policy drops it. */
static void
push_tag_locked (GstRtmpSink2 * self, RtmpCoreMessage * msg, TagKind kind,
    guint64 ts, guint max_latency)
{
  gboolean droppable = kind == TAG_VIDEO_INTER ||
      kind == TAG_VIDEO_DISPOSABLE;
  Tag *t;

  self->input_bytes += rtmp_core_message_get_size (msg);
  if (is_frame (kind))
    self->newest_ts = MAX (self->newest_ts, ts);
  else
    ts = self->newest_ts;
  if (is_video_frame (kind))
    self->has_video = TRUE;

  if (kind == TAG_VIDEO_KEY) {
    self->need_keyframe = FALSE;
  } else if (droppable && self->need_keyframe) {
    self->dropped_frames++;
    return;
  } else if (droppable && max_latency > 0 &&
      self->state == CONN_PUBLISHING &&
      queued_ms_locked (self) > max_latency) {
    /* everything up to the next key frame may refer to an inter frame */
    self->dropped_frames++;
    if (kind == TAG_VIDEO_INTER)
      self->need_keyframe = TRUE;
    return;
  }

  t = tag_new (msg, kind, self->next_seq++, ts);
  g_queue_push_tail (&self->pending, t);
  self->pending_bytes += t->size;
  if (is_header (kind))
    g_queue_push_tail (&self->configs, tag_new (msg, kind, t->seq, ts));
}

/* Hands parsed tags to the I/O thread, after waiting for room while
 * publishing. While reconnecting it never waits: it drops the oldest
 * media beyond max-buffer-time. */
static GstFlowReturn
queue_messages (GstRtmpSink2 * self, GPtrArray * messages)
{
  GstFlowReturn ret = GST_FLOW_OK;
  guint max_buffer_time, max_latency, i;
  TagKind *kinds;
  guint64 *ts;

  if (messages->len == 0)
    return GST_FLOW_OK;

  GST_OBJECT_LOCK (self);
  max_buffer_time = self->max_buffer_time;
  max_latency = self->max_latency;
  GST_OBJECT_UNLOCK (self);

  kinds = g_new (TagKind, messages->len);
  ts = g_new0 (guint64, messages->len);
  for (i = 0; i < messages->len; i++) {
    RtmpCoreMessage *msg = g_ptr_array_index (messages, i);

    kinds[i] = classify (msg);
    /* configurations may carry 0 in the middle of the stream */
    if (is_frame (kinds[i]))
      ts[i] = rtmp_core_timestamp_unwrapper_unwrap (&self->unwrapper,
          msg->timestamp);
  }

  g_mutex_lock (&self->lock);
  while (!self->flushing && queue_full_locked (self, max_buffer_time))
    g_cond_wait (&self->cond, &self->lock);

  if (self->flushing) {
    ret = GST_FLOW_FLUSHING;
  } else if (self->state != CONN_PUBLISHING &&
      self->state != CONN_RECONNECTING) {
    ret = self->state == CONN_FAILED ? GST_FLOW_ERROR : GST_FLOW_EOS;
  } else {
    for (i = 0; i < messages->len; i++)
      push_tag_locked (self, g_ptr_array_index (messages, i), kinds[i], ts[i],
          max_latency);

    if (self->state == CONN_RECONNECTING && self->upstream_live) {
      Tag *head;

      trim_locked (self, max_buffer_time);
      /* nothing is with a connection: the queue holds all */
      head = g_queue_peek_head (&self->pending);
      prune_configs_locked (self, head ? head->seq : self->next_seq);
    } else if (max_latency > 0 && queued_ms_locked (self) > max_latency) {
      trim_locked (self, max_latency > self->conn_span ?
          max_latency - self->conn_span : 0);
    }
    if (self->state == CONN_PUBLISHING && !self->pump_scheduled) {
      self->pump_scheduled = TRUE;
      io_invoke (self, io_pump_cb);
    }
  }
  g_mutex_unlock (&self->lock);
  g_free (kinds);
  g_free (ts);
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

  if (!self->live_known) {
    gst_base_sink_query_latency (sink, NULL, &self->upstream_live, NULL,
        NULL);
    self->live_known = TRUE;
    GST_DEBUG_OBJECT (self, "upstream is %slive",
        self->upstream_live ? "" : "not ");
  }

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
 * and closed, reconnecting first if the connection is down; each step is
 * bounded by the timeout or the reconnection attempts there. */
static gboolean
handle_eos (GstRtmpSink2 * self)
{
  gboolean ok = TRUE;

  g_mutex_lock (&self->lock);
  while (!self->flushing && self->state == CONN_CONNECTING)
    g_cond_wait (&self->cond, &self->lock);
  if (!self->flushing && (self->state == CONN_PUBLISHING ||
          self->state == CONN_RECONNECTING)) {
    io_invoke (self, io_stop_cb);
    while (!self->flushing && self->state != CONN_STOPPED &&
        self->state != CONN_FAILED)
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

static void
clear_queues_locked (GstRtmpSink2 * self)
{
  g_queue_clear_full (&self->pending, tag_free);
  g_queue_clear_full (&self->configs, tag_free);
  self->pending_bytes = 0;
  self->next_seq = 0;
  self->newest_ts = 0;
  self->has_video = FALSE;
  self->need_keyframe = FALSE;
  self->conn_span = 0;
  self->input_bytes = 0;
  self->dropped_frames = 0;
  self->reconnects = 0;
  self->bitrate = 0;
  self->input_bitrate = 0;
  self->sent_base = 0;
  self->acked_base = 0;
  self->pump_scheduled = FALSE;
}

static gboolean
gst_rtmp_sink2_start (GstBaseSink * sink)
{
  GstRtmpSink2 *self = GST_RTMP_SINK2 (sink);
  gboolean async_connect;

  self->parser = rtmp_core_flv_parser_new ();
  rtmp_core_timestamp_unwrapper_init (&self->unwrapper);
  self->headers_sent = FALSE;
  self->live_known = self->upstream_live = FALSE;
  self->shutting_down = FALSE;
  self->stopping = FALSE;
  self->published = FALSE;
  self->stop_phase = STOP_NONE;
  self->attempt = 0;
  self->delivered_base = self->conn_delivered = 0;
  self->last_queued_ms = 0;
  self->last_dropped = 0;
  memset (&self->stats_sample, 0, sizeof (self->stats_sample));
  memset (&self->congestion_sample, 0, sizeof (self->congestion_sample));
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);

  g_mutex_lock (&self->lock);
  self->state = CONN_IDLE;
  self->flushing = FALSE;
  clear_queues_locked (self);
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
  clear_queues_locked (self);
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
  guint64 bytes_out = 0, bytes_acked = 0, queued = 0, queue_ms;
  guint32 chunk_size = 0;
  gint64 rtt_us = -1;
  gboolean connected;

  g_mutex_lock (&self->lock);
  connected = self->conn != NULL;
  if (connected) {
    stats = g_variant_ref_sink (rtmp_core_connection_get_stats (self->conn));
    g_variant_lookup (stats, "bytes-out", "t", &bytes_out);
    g_variant_lookup (stats, "bytes-acked", "t", &bytes_acked);
    g_variant_lookup (stats, "queued-bytes", "t", &queued);
    g_variant_lookup (stats, "out-chunk-size", "u", &chunk_size);
    g_variant_lookup (stats, "rtt-us", "x", &rtt_us);
    g_variant_unref (stats);
    queued += socket_unacked (self->socket);
  }
  queue_ms = pending_span_locked (self) + (queued > 0 ? self->conn_span : 0);
  s = gst_structure_new ("application/x-rtmpsink2-stats",
      "bytes-sent", G_TYPE_UINT64, self->sent_base + bytes_out,
      "bytes-acked", G_TYPE_UINT64, self->acked_base + bytes_acked,
      "bitrate", G_TYPE_UINT64, connected ? self->bitrate : (guint64) 0,
      "input-bitrate", G_TYPE_UINT64, self->input_bitrate,
      "rtt", G_TYPE_UINT64, rtt_us >= 0 ?
      (guint64) rtt_us * GST_USECOND : GST_CLOCK_TIME_NONE,
      "queue-bytes", G_TYPE_UINT64, queued + self->pending_bytes,
      "queue-ms", G_TYPE_UINT64, queue_ms,
      "chunk-size", G_TYPE_UINT, chunk_size,
      "connected", G_TYPE_BOOLEAN, self->state == CONN_PUBLISHING,
      "reconnects", G_TYPE_UINT, self->reconnects,
      "dropped-frames", G_TYPE_UINT64, self->dropped_frames, NULL);
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
    case PROP_RECONNECT:
      self->reconnect = g_value_get_boolean (value);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      self->reconnect_attempts = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_DELAY_MIN:
      self->reconnect_delay_min = g_value_get_uint (value);
      break;
    case PROP_RECONNECT_DELAY_MAX:
      self->reconnect_delay_max = g_value_get_uint (value);
      break;
    case PROP_MAX_BUFFER_TIME:
      self->max_buffer_time = g_value_get_uint (value);
      break;
    case PROP_MAX_LATENCY:
      self->max_latency = g_value_get_uint (value);
      break;
    case PROP_CONGESTION_INTERVAL:
      self->congestion_interval = g_value_get_uint (value);
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
    case PROP_RECONNECT:
      g_value_set_boolean (value, self->reconnect);
      break;
    case PROP_RECONNECT_ATTEMPTS:
      g_value_set_uint (value, self->reconnect_attempts);
      break;
    case PROP_RECONNECT_DELAY_MIN:
      g_value_set_uint (value, self->reconnect_delay_min);
      break;
    case PROP_RECONNECT_DELAY_MAX:
      g_value_set_uint (value, self->reconnect_delay_max);
      break;
    case PROP_MAX_BUFFER_TIME:
      g_value_set_uint (value, self->max_buffer_time);
      break;
    case PROP_MAX_LATENCY:
      g_value_set_uint (value, self->max_latency);
      break;
    case PROP_CONGESTION_INTERVAL:
      g_value_set_uint (value, self->congestion_interval);
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
  self->reconnect = DEFAULT_RECONNECT;
  self->reconnect_attempts = DEFAULT_RECONNECT_ATTEMPTS;
  self->reconnect_delay_min = DEFAULT_RECONNECT_DELAY_MIN;
  self->reconnect_delay_max = DEFAULT_RECONNECT_DELAY_MAX;
  self->max_buffer_time = DEFAULT_MAX_BUFFER_TIME;
  self->max_latency = DEFAULT_MAX_LATENCY;
  self->congestion_interval = DEFAULT_CONGESTION_INTERVAL;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->pending);
  g_queue_init (&self->configs);
  g_queue_init (&self->sent);
  g_queue_init (&self->delivered);
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
          "Publishing statistics: bytes-sent and bytes-acked (over all "
          "connections), bitrate (bit/s delivered over the last second), "
          "input-bitrate (bit/s coming in), rtt (ns, NONE until measured), "
          "queue-bytes and queue-ms (the backlog not yet delivered, in "
          "bytes and in milliseconds of media), chunk-size, connected, "
          "reconnects (successful reconnections) and dropped-frames (audio "
          "and video frames dropped while reconnecting or by max-latency)",
          GST_TYPE_STRUCTURE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_property (gobject_class, PROP_RECONNECT,
      g_param_spec_boolean ("reconnect", "Reconnect",
          "When the connection drops after publishing started, connect and "
          "publish again (posting rtmpsink2-reconnecting and "
          "rtmpsink2-reconnected element messages) instead of posting an "
          "error. The first connection is never retried",
          DEFAULT_RECONNECT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_RECONNECT_ATTEMPTS,
      g_param_spec_uint ("reconnect-attempts", "Reconnect attempts",
          "Failed reconnection attempts in a row after which an error is "
          "posted (0: try forever)", 0, G_MAXUINT,
          DEFAULT_RECONNECT_ATTEMPTS, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_RECONNECT_DELAY_MIN,
      g_param_spec_uint ("reconnect-delay-min", "Minimum reconnect delay",
          "Milliseconds before the first reconnection attempt; each further "
          "attempt waits twice as long, up to reconnect-delay-max (±10 % "
          "jitter)", 0, 3600 * 1000, DEFAULT_RECONNECT_DELAY_MIN,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_RECONNECT_DELAY_MAX,
      g_param_spec_uint ("reconnect-delay-max", "Maximum reconnect delay",
          "Longest wait between two reconnection attempts, in milliseconds",
          0, 3600 * 1000, DEFAULT_RECONNECT_DELAY_MAX, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_MAX_BUFFER_TIME,
      g_param_spec_uint ("max-buffer-time", "Maximum buffer time",
          "Milliseconds of media queued at most. While publishing, and "
          "while reconnecting with a non-live upstream, rendering waits "
          "beyond it; while reconnecting with a live upstream, the oldest "
          "whole GOPs of video are dropped, and audio older than this "
          "window",
          0, G_MAXUINT, DEFAULT_MAX_BUFFER_TIME, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_MAX_LATENCY,
      g_param_spec_uint ("max-latency", "Maximum latency",
          "Keep the stream live: over this backlog (in milliseconds of "
          "media not yet delivered), drop non-key video frames and what "
          "depends on them up to the next key frame, and the oldest queued "
          "GOPs and audio (0: never drop, let the backlog grow up to "
          "max-buffer-time)", 0, G_MAXUINT, DEFAULT_MAX_LATENCY,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  g_object_class_install_property (gobject_class, PROP_CONGESTION_INTERVAL,
      g_param_spec_uint ("congestion-interval", "Congestion interval",
          "Milliseconds between two rtmpsink2-congestion element messages "
          "(queued-bytes, queued-ms, bitrate, input-bitrate, "
          "suggested-bitrate, dropped-frames, connected), from the first "
          "publish on; 0: none", 0, G_MAXUINT, DEFAULT_CONGESTION_INTERVAL,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_type_mark_as_plugin_api (GST_TYPE_RTMP_CORE_STOP_COMMANDS, 0);
}
