/**
 * SECTION:element-rtmpsrc2
 * @title: rtmpsrc2
 *
 * Plays an RTMP stream (from nginx-rtmp, SRS, MediaMTX, `ffmpeg -listen`,
 * ...) with librtmpcore and outputs it as a live FLV stream: one FLV tag
 * per buffer, with the FLV header, onMetaData and the codec configurations
 * in the caps `streamheader` and pushed first, flagged HEADER, so that
 * flvdemux decodes from the first buffer even when joining a stream that
 * started long ago. The output starts at the first video keyframe (at
 * the first audio tag for a stream without video): earlier tags are
 * dropped.
 * The caps are updated (and the new configuration tag pushed) whenever the
 * publisher changes its codec configuration.
 *
 * Timestamps: the first tag is stamped with the running time at which it
 * arrived, the following ones keep the server's spacing (32-bit RTMP
 * timestamps are unwrapped to 64 bits). Both the buffer DTS and the FLV
 * tag timestamp follow that timeline; video buffers carry
 * PTS = DTS + composition time.
 *
 * The connection lives in a thread of its own that never waits for
 * downstream, so acknowledgements and pings keep flowing when downstream is
 * slow: tags go into a queue bounded by #GstRtmpSrc2:max-queue-bytes and
 * #GstRtmpSrc2:max-queue-time. When it is full, tags are dropped (with a
 * warning message per episode, counted in #GstRtmpSrc2:stats) and the
 * output resumes, marked DISCONT, at the next video keyframe.
 *
 * The stream ends with EOS on `NetStream.Play.Stop`,
 * `NetStream.Play.Complete`, `NetStream.Play.UnpublishNotify`, a Stream
 * EOF user control event for the message stream the server assigned, or
 * the `FCUnpublish` or `deleteStream` with which a server that publishes
 * to its player (`ffmpeg -listen 1`) ends. A
 * server closing the connection without one of these is an error unless
 * #GstRtmpSrc2:no-eof-is-error is %FALSE. `NetStream.Play.StreamNotFound`
 * is a `RESOURCE NOT_FOUND` error.
 *
 * The element handles rtmp:// and rtmps:// URIs with a rank above
 * GStreamer's rtmp2src and rtmpsrc, so playbin and uridecodebin pick it.
 * To prefer another element, lower its rank with the environment variable
 * `GST_PLUGIN_FEATURE_RANK=rtmpsrc2:NONE` (or raise the other one, e.g.
 * `GST_PLUGIN_FEATURE_RANK=rtmp2src:MAX`).
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtmpsrc2 location=rtmp://127.0.0.1/live/cam1 ! flvdemux name=d d.video ! queue ! h264parse ! avdec_h264 ! autovideosink
 * ]| Plays the video of stream "cam1" of application "live".
 * |[
 * gst-launch-1.0 playbin uri=rtmps://live.example.com/app/cam1
 * ]| Plays audio and video of a stream over TLS with playbin (which picks
 * rtmpsrc2 for the URI).
 * |[
 * gst-launch-1.0 rtmpsrc2 location=rtmp://127.0.0.1/live/cam1 idle-timeout=10 ! filesink location=dump.flv
 * ]| Records a stream to an FLV file, failing when no media arrives for
 * 10 seconds.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmpsrc2.h"

#include <string.h>
#include <rtmpcore.h>
#include "gstrtmplocation.h"
#include "gstrtmpstreamheader.h"
#include "gstrtmputils.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_src2_debug_category);
#define GST_CAT_DEFAULT gst_rtmp_src2_debug_category

#define DEFAULT_IDLE_TIMEOUT 0
#define DEFAULT_NO_EOF_IS_ERROR TRUE
#define DEFAULT_MAX_QUEUE_BYTES (16 * 1024 * 1024)
#define DEFAULT_MAX_QUEUE_TIME (10 * GST_SECOND)

#define TICK_INTERVAL_MS 1000
#define PING_INTERVAL_US (5 * G_USEC_PER_SEC)
/* how long stop() lets cancelled operations finish before giving up */
#define SHUTDOWN_GRACE_US (2 * G_USEC_PER_SEC)

/* An FLV tag costs its body plus the tag header and back pointer. */
/* audio tags kept while waiting for the first video keyframe */
#define MAX_HELD_AUDIO 256
#define HELD_AUDIO_WINDOW_MS 500

#define TAG_OVERHEAD (RTMP_CORE_FLV_TAG_HEADER_SIZE + 4)

typedef enum
{
  ITEM_CAPS,                    /* new caps (streamheader changed) */
  ITEM_HEADER,                  /* a header buffer, ready to push */
  ITEM_MEDIA,                   /* a media tag, stamped in create() */
  ITEM_END,                     /* EOS or an error */
} ItemKind;

typedef struct
{
  ItemKind kind;
  GstCaps *caps;
  GstBuffer *buffer;
  /* media */
  guint8 type;
  GBytes *payload;
  gint64 rel_ms;                /* DTS relative to the first media tag */
  gint32 composition_time;
  gboolean delta;
  gboolean discont;
  GstClockTime arrival;         /* running time when it arrived, or NONE */
  /* end */
  GError *error;                /* NULL for EOS */
  gchar *what;                  /* masked location for the error message */
  gsize size;
} Item;

struct _GstRtmpSrc2
{
  GstPushSrc parent;

  /* properties, under the object lock */
  GstRtmpCoreLocation location;
  guint idle_timeout;
  gboolean no_eof_is_error;
  guint64 max_queue_bytes;
  guint64 max_queue_time;
  gchar **fourcc_list;

  /* the I/O thread and its context; set in start(), cleared in stop() */
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;

  /* shared between the streaming and the I/O thread, under @lock */
  GMutex lock;
  GCond cond;
  GQueue queue;                 /* Item */
  gsize queue_bytes;
  guint queue_media;
  gint64 queue_tail_ms;         /* rel_ms of the newest media item */
  gboolean flushing;
  RtmpCoreConnection *conn;     /* a reference, for the stats */
  guint64 bitrate;
  guint64 dropped;

  /* I/O thread only */
  RtmpCoreClient *client;
  GstRtmpCoreLocation io_location;
  guint io_idle_timeout;
  gboolean io_no_eof_is_error;
  guint64 io_max_queue_bytes;
  guint64 io_max_queue_time;
  gchar *masked_location;
  GCancellable *cancellable;
  gulong message_id;
  gulong closed_id;
  gboolean ended;               /* EOS or error queued: ignore the rest */
  gboolean shutting_down;
  GstRtmpStreamHeader *header;
  gboolean header_sent;
  gboolean need_keyframe;
  gboolean overflowing;
  gboolean discont;
  gboolean have_video;
  gboolean have_header_tag;
  GQueue held;                  /* Item: audio before the output started */
  RtmpCoreTimestampUnwrapper unwrapper;
  gboolean have_first;
  guint64 first_unwrapped;
  GSource *tick_source;
  gint64 last_media_us;
  gint64 last_ping_us;
  gint64 last_sample_us;
  guint64 last_bytes_in;
  GSList *watched;              /* client and connection, until finalized */

  /* streaming thread only */
  GstClockTime base_time;       /* running time of the first media tag */
  GstFlowReturn end_ret;
};

enum
{
  PROP_0,
  PROP_IDLE_TIMEOUT,
  PROP_NO_EOF_IS_ERROR,
  PROP_MAX_QUEUE_BYTES,
  PROP_MAX_QUEUE_TIME,
  PROP_FOURCC_LIST,
  PROP_STATS,
  PROP_LOCATION_FIRST,
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

static void gst_rtmp_src2_uri_handler_init (gpointer g_iface,
    gpointer iface_data);

G_DEFINE_TYPE_WITH_CODE (GstRtmpSrc2, gst_rtmp_src2, GST_TYPE_PUSH_SRC,
    G_IMPLEMENT_INTERFACE (GST_TYPE_URI_HANDLER,
        gst_rtmp_src2_uri_handler_init));
/* rtmp2src has PRIMARY + 1 and would win a tie on its name */
GST_ELEMENT_REGISTER_DEFINE (rtmpsrc2, "rtmpsrc2", GST_RANK_PRIMARY + 2,
    GST_TYPE_RTMP_SRC2);

/* ------------------------------------------------------------------ */
/* queue items                                                         */
/* ------------------------------------------------------------------ */

static void
item_free (Item * item)
{
  if (item->caps)
    gst_caps_unref (item->caps);
  if (item->buffer)
    gst_buffer_unref (item->buffer);
  if (item->payload)
    g_bytes_unref (item->payload);
  g_clear_error (&item->error);
  g_free (item->what);
  g_free (item);
}

static Item *
item_new (ItemKind kind)
{
  Item *item = g_new0 (Item, 1);

  item->kind = kind;
  item->arrival = GST_CLOCK_TIME_NONE;
  return item;
}

/* Queues @item (taken) for create(). */
static void
queue_push (GstRtmpSrc2 * self, Item * item)
{
  g_mutex_lock (&self->lock);
  self->queue_bytes += item->size;
  if (item->kind == ITEM_MEDIA) {
    self->queue_media++;
    self->queue_tail_ms = item->rel_ms;
  }
  g_queue_push_tail (&self->queue, item);
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

/* Whether a media tag of @size bytes at @rel_ms fits in the bounds. */
static gboolean
queue_has_room (GstRtmpSrc2 * self, gsize size, gint64 rel_ms)
{
  gboolean room = TRUE;
  GList *l;

  g_mutex_lock (&self->lock);
  if (self->io_max_queue_bytes > 0 &&
      self->queue_bytes + size > self->io_max_queue_bytes)
    room = FALSE;
  if (room && self->io_max_queue_time > 0 && self->queue_media > 0) {
    for (l = self->queue.head; l; l = l->next) {
      Item *item = l->data;

      if (item->kind != ITEM_MEDIA)
        continue;
      if ((rel_ms - item->rel_ms) * GST_MSECOND >
          (gint64) self->io_max_queue_time)
        room = FALSE;
      break;
    }
  }
  g_mutex_unlock (&self->lock);
  return room;
}

static void
queue_clear (GstRtmpSrc2 * self)
{
  g_mutex_lock (&self->lock);
  g_queue_clear_full (&self->queue, (GDestroyNotify) item_free);
  self->queue_bytes = 0;
  self->queue_media = 0;
  g_mutex_unlock (&self->lock);
}

/* ------------------------------------------------------------------ */
/* I/O thread                                                          */
/* ------------------------------------------------------------------ */

static void
destroy_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

static GstClockTime
current_running_time (GstRtmpSrc2 * self)
{
  GstClock *clock;
  GstClockTime now, base;

  GST_OBJECT_LOCK (self);
  clock = GST_ELEMENT_CLOCK (self);
  if (clock == NULL || GST_STATE (self) != GST_STATE_PLAYING) {
    GST_OBJECT_UNLOCK (self);
    return GST_CLOCK_TIME_NONE;
  }
  gst_object_ref (clock);
  base = GST_ELEMENT_CAST (self)->base_time;
  GST_OBJECT_UNLOCK (self);

  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

static void
watched_object_gone (gpointer data, GObject * where_the_object_was)
{
  GstRtmpSrc2 *self = data;

  self->watched = g_slist_remove (self->watched, where_the_object_was);
}

/* Cancelled operations keep the client and connection alive for a while;
 * the I/O thread runs until they are gone. */
static void
watch_object (GstRtmpSrc2 * self, gpointer object)
{
  if (object == NULL || g_slist_find (self->watched, object))
    return;
  g_object_weak_ref (object, watched_object_gone, self);
  self->watched = g_slist_prepend (self->watched, object);
}

static void
io_release_client (GstRtmpSrc2 * self)
{
  RtmpCoreConnection *conn;

  destroy_source (&self->tick_source);

  g_mutex_lock (&self->lock);
  conn = self->conn;
  self->conn = NULL;
  self->bitrate = 0;
  g_mutex_unlock (&self->lock);

  if (conn) {
    g_clear_signal_handler (&self->message_id, conn);
    g_clear_signal_handler (&self->closed_id, conn);
    if (!rtmp_core_connection_is_closed (conn))
      rtmp_core_connection_close (conn, NULL);
    watch_object (self, conn);
    g_object_unref (conn);
  }
  if (self->client)
    watch_object (self, self->client);
  g_clear_object (&self->client);
}

/* Ends the stream: EOS when @error is NULL, else the error (taken), after
 * the tags already queued. */
static void
io_end (GstRtmpSrc2 * self, GError * error)
{
  Item *item;

  if (self->ended || self->shutting_down) {
    if (error)
      GST_DEBUG_OBJECT (self, "ignoring a late error: %s", error->message);
    g_clear_error (&error);
    return;
  }
  self->ended = TRUE;
  if (error)
    GST_INFO_OBJECT (self, "failed: %s", error->message);
  else
    GST_INFO_OBJECT (self, "the stream %s ended", self->masked_location);

  item = item_new (ITEM_END);
  item->error = error;
  item->what = g_strdup (self->masked_location);
  queue_push (self, item);
  io_release_client (self);
}

/* Pushes the caps and the header buffers before the first media tag. */
static void
io_push_header (GstRtmpSrc2 * self)
{
  GPtrArray *buffers = gst_rtmp_stream_header_get_buffers (self->header);
  Item *item;
  guint i;

  item = item_new (ITEM_CAPS);
  item->caps = gst_rtmp_stream_header_make_caps (self->header);
  queue_push (self, item);
  for (i = 0; i < buffers->len; i++) {
    item = item_new (ITEM_HEADER);
    item->buffer = gst_buffer_ref (g_ptr_array_index (buffers, i));
    item->size = gst_buffer_get_size (item->buffer);
    if (i == 0)
      GST_BUFFER_FLAG_SET (item->buffer, GST_BUFFER_FLAG_DISCONT);
    queue_push (self, item);
  }
  g_ptr_array_unref (buffers);
  self->header_sent = TRUE;
}

/* A configuration that changed after the header went out: new caps, then
 * the tag itself, so that the demuxer reconfigures in place. */
static void
io_push_header_change (GstRtmpSrc2 * self, guint8 type, GBytes * payload)
{
  Item *item = item_new (ITEM_CAPS);

  item->caps = gst_rtmp_stream_header_make_caps (self->header);
  queue_push (self, item);
  item = item_new (ITEM_HEADER);
  item->buffer = gst_rtmp_flv_tag_buffer_new (type, 0, payload);
  GST_BUFFER_FLAG_SET (item->buffer, GST_BUFFER_FLAG_HEADER);
  item->size = gst_buffer_get_size (item->buffer);
  queue_push (self, item);
}

/* The overflow policy: once a tag does not fit, drop everything until a
 * video keyframe (any tag for a stream without video) fits again. */
static gboolean
io_admit (GstRtmpSrc2 * self, gsize size, gint64 rel_ms, gboolean keyframe)
{
  gboolean can_resume = keyframe || !self->have_video;

  if (self->overflowing && can_resume && queue_has_room (self, size, rel_ms)) {
    GST_INFO_OBJECT (self, "resuming after dropping tags");
    self->overflowing = FALSE;
    self->discont = TRUE;
    return TRUE;
  }
  if (!self->overflowing && queue_has_room (self, size, rel_ms))
    return TRUE;

  if (!self->overflowing) {
    self->overflowing = TRUE;
    GST_ELEMENT_WARNING (self, STREAM, FAILED,
        ("Downstream is too slow: dropping media until the next keyframe"),
        ("the queue holds more than %" G_GUINT64_FORMAT " bytes or %"
            GST_TIME_FORMAT, self->io_max_queue_bytes,
            GST_TIME_ARGS (self->io_max_queue_time)));
  }
  g_mutex_lock (&self->lock);
  self->dropped++;
  g_mutex_unlock (&self->lock);
  return FALSE;
}

/* Whether the output has started at this tag. It starts at the first
 * video keyframe, or at the first audio tag of a stream without video, so
 * that the demuxer's first pad is one that downstream decodes (flvdemux
 * fails with not-linked when only unlinked pads exist). Script tags other
 * than onMetaData (nginx's |RtmpSampleAccess) do not start it. */
static gboolean
io_output_started (GstRtmpSrc2 * self, guint8 type, gboolean keyframe)
{
  gboolean video_expected = self->have_video ||
      (self->have_header_tag &&
      (gst_rtmp_stream_header_get_flags (self->header) &
          RTMP_CORE_FLV_HAS_VIDEO));

  if (!self->need_keyframe)
    return TRUE;
  if ((type == RTMP_CORE_FLV_TAG_VIDEO && keyframe) ||
      (type == RTMP_CORE_FLV_TAG_AUDIO && !video_expected)) {
    self->need_keyframe = FALSE;
    return TRUE;
  }
  GST_LOG_OBJECT (self, "dropping a tag of type %u before the start", type);
  return FALSE;
}

/* Queues a media tag at @unwrapped ms, if the queue bounds allow. */
static void
io_queue_media (GstRtmpSrc2 * self, guint8 type, GBytes * payload,
    guint64 unwrapped, const RtmpCoreVideoInfo * video)
{
  gsize size = g_bytes_get_size (payload);
  gboolean keyframe = video && video->is_keyframe;
  gint64 rel_ms;
  Item *item;

  /* a server's small reordering must not go before the first tag */
  rel_ms = MAX (0, (gint64) (unwrapped - self->first_unwrapped));
  if (!io_admit (self, size + TAG_OVERHEAD, rel_ms, keyframe))
    return;
  if (!self->header_sent)
    io_push_header (self);

  item = item_new (ITEM_MEDIA);
  item->type = type;
  item->payload = g_bytes_ref (payload);
  item->rel_ms = rel_ms;
  item->composition_time = video ? video->composition_time : 0;
  item->delta = video && !video->is_keyframe;
  item->discont = self->discont;
  item->size = size + TAG_OVERHEAD;
  self->discont = FALSE;
  if (rel_ms == 0)
    item->arrival = current_running_time (self);
  queue_push (self, item);
}

/* Audio that arrives before the first video keyframe is kept for a while:
 * the tags from HELD_AUDIO_WINDOW_MS before the keyframe's timestamp on
 * (encoders delay video, so a file starts with audio a little earlier)
 * follow the keyframe once the output starts. */
static void
io_hold_audio (GstRtmpSrc2 * self, GBytes * payload, guint64 unwrapped)
{
  Item *item = item_new (ITEM_MEDIA);

  item->type = RTMP_CORE_FLV_TAG_AUDIO;
  item->payload = g_bytes_ref (payload);
  item->rel_ms = (gint64) unwrapped;
  g_queue_push_tail (&self->held, item);
  if (self->held.length > MAX_HELD_AUDIO)
    item_free (g_queue_pop_head (&self->held));
}

/* The timeline starts at the first tag output: the keyframe at @start_ms,
 * or held audio from shortly before it. */
static guint64
io_first_timestamp (GstRtmpSrc2 * self, guint64 start_ms)
{
  guint64 first = start_ms;
  GList *l;

  for (l = self->held.head; l; l = l->next) {
    guint64 ts = ((Item *) l->data)->rel_ms;

    if (ts < first && ts + HELD_AUDIO_WINDOW_MS >= start_ms)
      first = ts;
  }
  return first;
}

static void
io_release_held (GstRtmpSrc2 * self)
{
  Item *item;

  while ((item = g_queue_pop_head (&self->held))) {
    if ((guint64) item->rel_ms >= self->first_unwrapped)
      io_queue_media (self, item->type, item->payload, item->rel_ms, NULL);
    item_free (item);
  }
}

/* One audio, video or script tag body from the server. */
static void
io_handle_media (GstRtmpSrc2 * self, guint8 type, guint32 timestamp,
    GBytes * payload)
{
  RtmpCoreVideoInfo video = { 0, };
  GstRtmpStreamHeaderChange change;
  gsize size = g_bytes_get_size (payload);
  const guint8 *data = g_bytes_get_data (payload, NULL);
  gboolean is_video = type == RTMP_CORE_FLV_TAG_VIDEO;
  guint64 unwrapped;

  if (size == 0 || size > RTMP_CORE_FLV_MAX_TAG_SIZE)
    return;
  self->last_media_us = g_get_monotonic_time ();

  change = gst_rtmp_stream_header_update (self->header, type, payload);
  if (change != GST_RTMP_STREAM_HEADER_NOT_HEADER) {
    GST_DEBUG_OBJECT (self, "header tag of type %u (%s)", type,
        change == GST_RTMP_STREAM_HEADER_CHANGED ? "changed" : "unchanged");
    self->have_header_tag = TRUE;
    if (is_video)
      self->have_video = TRUE;
    if (change == GST_RTMP_STREAM_HEADER_CHANGED && self->header_sent)
      io_push_header_change (self, type, payload);
    return;
  }

  if (is_video) {
    self->have_video = TRUE;
    if (!rtmp_core_video_info_parse (data, size, &video, NULL)) {
      video.is_keyframe = FALSE;
      video.composition_time = 0;
    }
  }
  if (!io_output_started (self, type, video.is_keyframe)) {
    if (type == RTMP_CORE_FLV_TAG_AUDIO)
      io_hold_audio (self, payload, rtmp_core_timestamp_unwrapper_unwrap
          (&self->unwrapper, timestamp));
    return;
  }

  unwrapped = rtmp_core_timestamp_unwrapper_unwrap (&self->unwrapper,
      timestamp);
  if (!self->have_first) {
    self->have_first = TRUE;
    self->first_unwrapped = io_first_timestamp (self, unwrapped);
  }
  io_queue_media (self, type, payload, unwrapped, is_video ? &video : NULL);
  io_release_held (self);
}

static void
io_handle_message_media (GstRtmpSrc2 * self, const RtmpCoreMessage * msg)
{
  GBytes *payload = rtmp_core_message_get_payload (msg);

  if (msg->type == RTMP_CORE_MESSAGE_DATA_AMF0) {
    GBytes *stripped = rtmp_core_data_strip_set_data_frame (payload);

    g_bytes_unref (payload);
    payload = stripped;
  }
  io_handle_media (self, msg->type, msg->timestamp, payload);
  g_bytes_unref (payload);
}

static void
io_handle_aggregate (GstRtmpSrc2 * self, const RtmpCoreMessage * msg)
{
  GError *error = NULL;
  GPtrArray *parts = rtmp_core_message_split_aggregate (msg, &error);
  guint i;

  if (parts == NULL) {
    io_end (self, error);
    return;
  }
  for (i = 0; i < parts->len && !self->ended; i++) {
    RtmpCoreMessage *part = g_ptr_array_index (parts, i);

    if (part->type == RTMP_CORE_MESSAGE_AUDIO ||
        part->type == RTMP_CORE_MESSAGE_VIDEO ||
        part->type == RTMP_CORE_MESSAGE_DATA_AMF0)
      io_handle_message_media (self, part);
  }
  g_ptr_array_unref (parts);
}

/* The stream id is known once createStream was answered, which is before
 * any media or status of the play can arrive. */
static guint32
io_stream_id (GstRtmpSrc2 * self)
{
  return self->client ? rtmp_core_client_get_stream_id (self->client) : 0;
}

static gboolean
status_is_end (const gchar * code)
{
  return g_strcmp0 (code, "NetStream.Play.Stop") == 0 ||
      g_strcmp0 (code, "NetStream.Play.Complete") == 0 ||
      g_strcmp0 (code, "NetStream.Play.UnpublishNotify") == 0;
}

static void
io_handle_status (GstRtmpSrc2 * self, guint32 stream_id,
    RtmpCoreCommand * cmd)
{
  const gchar *code = rtmp_core_command_get_status_code (cmd);
  const gchar *description = rtmp_core_command_get_status_description (cmd);
  RtmpCoreAmfValue *info = NULL;
  const gchar *level = NULL;
  guint i;

  for (i = 0; i < rtmp_core_command_get_n_arguments (cmd) && !info; i++) {
    RtmpCoreAmfValue *arg = rtmp_core_command_get_argument (cmd, i);

    if (rtmp_core_amf_value_get_kind (arg) == RTMP_CORE_AMF_OBJECT)
      info = arg;
  }
  if (info)
    level = rtmp_core_amf_value_lookup_string (info, "level");

  GST_DEBUG_OBJECT (self, "onStatus on stream %u: %s (level %s)", stream_id,
      code ? code : "(none)", level ? level : "(none)");
  if (stream_id != 0 && stream_id != io_stream_id (self))
    return;

  if (status_is_end (code)) {
    io_end (self, NULL);
  } else if (g_strcmp0 (code, "NetStream.Play.StreamNotFound") == 0) {
    io_end (self, g_error_new (RTMP_CORE_ERROR,
            RTMP_CORE_ERROR_STREAM_NOT_FOUND, "The server has no such "
            "stream (NetStream.Play.StreamNotFound)"));
  } else if (g_strcmp0 (level, "error") == 0) {
    /* the description may echo the stream key: leave it to the debug log */
    GST_DEBUG_OBJECT (self, "error status description: %s",
        description ? "(present)" : "(none)");
    io_end (self, g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED,
            "The server stopped the play with %s", code ? code : "an error"));
  } else if (g_strcmp0 (code, "NetStream.Play.Reset") == 0 ||
      g_strcmp0 (code, "NetStream.Play.Start") == 0) {
    GST_DEBUG_OBJECT (self, "play (re)started");
  }
}

/* A server that publishes to us, as `ffmpeg -listen 1` does, ends with
 * the commands a publisher sends: FCUnpublish and deleteStream. */
static gboolean
peer_ends_stream (RtmpCoreCommand * cmd, guint32 stream_id)
{
  const gchar *name = rtmp_core_command_get_name (cmd);
  RtmpCoreAmfValue *arg;

  if (g_strcmp0 (name, "FCUnpublish") == 0)
    return TRUE;
  if (g_strcmp0 (name, "deleteStream") != 0 &&
      g_strcmp0 (name, "closeStream") != 0)
    return FALSE;
  if (rtmp_core_command_get_n_arguments (cmd) == 0)
    return TRUE;
  arg = rtmp_core_command_get_argument (cmd, 0);
  return rtmp_core_amf_value_get_kind (arg) != RTMP_CORE_AMF_NUMBER ||
      rtmp_core_amf_value_get_number (arg) == stream_id;
}

static void
io_handle_command (GstRtmpSrc2 * self, const RtmpCoreMessage * msg)
{
  RtmpCoreCommand *cmd = rtmp_core_command_parse (msg, NULL);
  const gchar *name;

  if (cmd == NULL)
    return;
  name = rtmp_core_command_get_name (cmd);
  GST_LOG_OBJECT (self, "command %s on stream %u", name, msg->stream_id);
  if (g_strcmp0 (name, "onStatus") == 0)
    io_handle_status (self, msg->stream_id, cmd);
  else if (peer_ends_stream (cmd, io_stream_id (self)))
    io_end (self, NULL);
  rtmp_core_command_unref (cmd);
}

static void
io_handle_user_control (GstRtmpSrc2 * self, const RtmpCoreMessage * msg)
{
  guint event;
  guint32 value;

  if (!rtmp_core_message_parse_user_control (msg, &event, &value, NULL, NULL))
    return;
  if (event == RTMP_CORE_USER_CONTROL_STREAM_BEGIN)
    GST_DEBUG_OBJECT (self, "Stream Begin for stream %u", value);
  if (event != RTMP_CORE_USER_CONTROL_STREAM_EOF)
    return;
  GST_DEBUG_OBJECT (self, "Stream EOF for stream %u (ours: %u)", value,
      io_stream_id (self));
  if (io_stream_id (self) != 0 && value == io_stream_id (self))
    io_end (self, NULL);
}

static void
on_message (RtmpCoreConnection * conn, RtmpCoreMessage * msg,
    gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;

  if (self->ended)
    return;
  switch (msg->type) {
    case RTMP_CORE_MESSAGE_AUDIO:
    case RTMP_CORE_MESSAGE_VIDEO:
    case RTMP_CORE_MESSAGE_DATA_AMF0:
      io_handle_message_media (self, msg);
      break;
    case RTMP_CORE_MESSAGE_AGGREGATE:
      io_handle_aggregate (self, msg);
      break;
    case RTMP_CORE_MESSAGE_USER_CONTROL:
      io_handle_user_control (self, msg);
      break;
    case RTMP_CORE_MESSAGE_COMMAND_AMF0:
    case RTMP_CORE_MESSAGE_COMMAND_AMF3:
      io_handle_command (self, msg);
      break;
    default:
      break;
  }
}

static void
on_closed (RtmpCoreConnection * conn, const GError * error,
    gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;

  if (self->ended)
    return;
  if (error && !g_error_matches (error, RTMP_CORE_ERROR,
          RTMP_CORE_ERROR_CLOSED)) {
    io_end (self, g_error_copy (error));
  } else if (self->io_no_eof_is_error) {
    io_end (self, g_error_new_literal (RTMP_CORE_ERROR,
            RTMP_CORE_ERROR_CLOSED, "The server closed the connection "
            "without ending the stream (no NetStream.Play.Stop or Stream "
            "EOF)"));
  } else {
    GST_INFO_OBJECT (self, "the server closed the connection: EOS");
    io_end (self, NULL);
  }
}

/* Once a second: the idle timeout, the bitrate and a ping for the RTT. */
static gboolean
io_tick (gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;
  gint64 now = g_get_monotonic_time ();
  gint64 elapsed = now - self->last_sample_us;
  guint64 bytes_in = 0;

  if (self->io_idle_timeout > 0 && now - self->last_media_us >=
      (gint64) self->io_idle_timeout * G_USEC_PER_SEC) {
    g_clear_pointer (&self->tick_source, g_source_unref);
    io_end (self, g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_TIMEOUT,
            "No media arrived for %u s (idle-timeout)",
            self->io_idle_timeout));
    return G_SOURCE_REMOVE;
  }

  g_object_get (self->conn, "bytes-in", &bytes_in, NULL);
  g_mutex_lock (&self->lock);
  if (elapsed > 0)
    self->bitrate = (bytes_in - self->last_bytes_in) * 8 * G_USEC_PER_SEC /
        elapsed;
  g_mutex_unlock (&self->lock);
  self->last_bytes_in = bytes_in;
  self->last_sample_us = now;

  if (now - self->last_ping_us >= PING_INTERVAL_US) {
    rtmp_core_connection_ping (self->conn);
    self->last_ping_us = now;
  }
  return G_SOURCE_CONTINUE;
}

static void
io_played (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_play_finish (RTMP_CORE_CLIENT (source), result,
          &error)) {
    io_end (self, error);
    return;
  }
  if (self->ended || self->shutting_down || self->conn == NULL)
    return;

  GST_INFO_OBJECT (self, "playing %s on stream %u", self->masked_location,
      io_stream_id (self));
  self->last_media_us = self->last_sample_us = self->last_ping_us =
      g_get_monotonic_time ();
  self->last_bytes_in = 0;
  rtmp_core_connection_ping (self->conn);
  self->tick_source = g_timeout_source_new (TICK_INTERVAL_MS);
  g_source_set_callback (self->tick_source, io_tick, self, NULL);
  g_source_attach (self->tick_source, self->context);
}

static void
io_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;
  GError *error = NULL;
  RtmpCoreConnection *conn;

  if (!rtmp_core_client_connect_finish (RTMP_CORE_CLIENT (source), result,
          &error)) {
    io_end (self, error);
    return;
  }
  if (self->ended || self->shutting_down || self->client == NULL)
    return;

  GST_DEBUG_OBJECT (self, "connected to %s", self->masked_location);
  /* connected before play: the media may follow Play.Start in the very
   * read that completes the play */
  conn = g_object_ref (rtmp_core_client_get_connection (self->client));
  self->message_id = g_signal_connect (conn, "message",
      G_CALLBACK (on_message), self);
  self->closed_id = g_signal_connect (conn, "closed", G_CALLBACK (on_closed),
      self);
  g_mutex_lock (&self->lock);
  self->conn = conn;
  g_mutex_unlock (&self->lock);

  rtmp_core_client_play_async (self->client, self->cancellable, io_played,
      self);
}

static gboolean
io_connect_cb (gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;
  GError *error = NULL;
  RtmpCoreUrl *url;
  gchar **fourcc_list;

  GST_OBJECT_LOCK (self);
  gst_rtmp_core_location_clear (&self->io_location);
  gst_rtmp_core_location_copy (&self->io_location, &self->location);
  self->io_idle_timeout = self->idle_timeout;
  self->io_no_eof_is_error = self->no_eof_is_error;
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
    io_end (self, error);
    return G_SOURCE_REMOVE;
  }

  GST_INFO_OBJECT (self, "connecting to %s", self->masked_location);
  self->client = rtmp_core_client_new (url);
  rtmp_core_url_free (url);
  gst_rtmp_core_location_configure_client (&self->io_location, self->client);
  g_object_set (self->client, "fourcc-list", fourcc_list, NULL);
  g_strfreev (fourcc_list);

  rtmp_core_client_connect_async (self->client, self->cancellable,
      io_connected, self);
  return G_SOURCE_REMOVE;
}

static gboolean
io_shutdown_cb (gpointer user_data)
{
  GstRtmpSrc2 *self = user_data;

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
  GstRtmpSrc2 *self = user_data;
  gint64 deadline;
  GSource *tick;
  GSList *l;

  g_main_context_push_thread_default (self->context);
  g_main_loop_run (self->loop);

  deadline = g_get_monotonic_time () + SHUTDOWN_GRACE_US;
  tick = g_timeout_source_new (50);
  g_source_set_callback (tick, quit_loop_cb, self->loop, NULL);
  g_source_attach (tick, self->context);
  while (self->watched && g_get_monotonic_time () < deadline)
    g_main_loop_run (self->loop);
  if (self->watched)
    GST_WARNING_OBJECT (self, "%u connection objects still busy after "
        "shutting down", g_slist_length (self->watched));
  for (l = self->watched; l; l = l->next)
    g_object_weak_unref (l->data, watched_object_gone, self);
  g_clear_pointer (&self->watched, g_slist_free);
  g_source_destroy (tick);
  g_source_unref (tick);

  g_main_context_pop_thread_default (self->context);
  return NULL;
}

static void
io_invoke (GstRtmpSrc2 * self, GSourceFunc func)
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

static GstBuffer *
make_media_buffer (GstRtmpSrc2 * self, Item * item)
{
  GstClockTime dts;
  gint64 pts_ms;
  guint64 dts_ms;
  GstBuffer *buf;

  if (!GST_CLOCK_TIME_IS_VALID (self->base_time)) {
    self->base_time = GST_CLOCK_TIME_IS_VALID (item->arrival) ?
        item->arrival : current_running_time (self);
    if (!GST_CLOCK_TIME_IS_VALID (self->base_time))
      self->base_time = 0;
    /* whole milliseconds, so that tag timestamps and DTS agree */
    self->base_time -= self->base_time % GST_MSECOND;
    GST_DEBUG_OBJECT (self, "first tag at running time %" GST_TIME_FORMAT,
        GST_TIME_ARGS (self->base_time));
  }
  dts_ms = self->base_time / GST_MSECOND + item->rel_ms;
  dts = dts_ms * GST_MSECOND;
  pts_ms = MAX (0, (gint64) dts_ms + item->composition_time);

  /* the FLV timestamp is the low 32 bits of the running time in ms */
  buf = gst_rtmp_flv_tag_buffer_new (item->type, (guint32) dts_ms,
      item->payload);
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_PTS (buf) = pts_ms * GST_MSECOND;
  if (item->delta)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  if (item->discont)
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
  return buf;
}

static GstFlowReturn
handle_end (GstRtmpSrc2 * self, Item * item)
{
  if (item->error == NULL) {
    GST_DEBUG_OBJECT (self, "EOS");
    return GST_FLOW_EOS;
  }
  if (g_error_matches (item->error, RTMP_CORE_ERROR,
          RTMP_CORE_ERROR_STREAM_NOT_FOUND)) {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("%s: stream not found: %s", item->what, item->error->message),
        ("Check the application and stream name, and that the stream is "
            "being published"));
  } else {
    gst_rtmp_post_error (GST_ELEMENT (self), item->error, FALSE, item->what);
  }
  return GST_FLOW_ERROR;
}

static GstFlowReturn
gst_rtmp_src2_create (GstPushSrc * src, GstBuffer ** outbuf)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (src);
  GstFlowReturn ret = GST_FLOW_OK;
  Item *item = NULL;

  while (*outbuf == NULL && ret == GST_FLOW_OK) {
    g_mutex_lock (&self->lock);
    while (!self->flushing && self->end_ret == GST_FLOW_OK &&
        g_queue_is_empty (&self->queue))
      g_cond_wait (&self->cond, &self->lock);
    if (self->flushing) {
      ret = GST_FLOW_FLUSHING;
    } else if (self->end_ret != GST_FLOW_OK) {
      ret = self->end_ret;
    } else {
      item = g_queue_pop_head (&self->queue);
      self->queue_bytes -= item->size;
      if (item->kind == ITEM_MEDIA)
        self->queue_media--;
    }
    g_mutex_unlock (&self->lock);
    if (item == NULL)
      break;

    switch (item->kind) {
      case ITEM_CAPS:
        GST_DEBUG_OBJECT (self, "new caps %" GST_PTR_FORMAT, item->caps);
        if (!gst_base_src_set_caps (GST_BASE_SRC (self), item->caps))
          ret = GST_FLOW_NOT_NEGOTIATED;
        break;
      case ITEM_HEADER:
        *outbuf = gst_buffer_ref (item->buffer);
        break;
      case ITEM_MEDIA:
        *outbuf = make_media_buffer (self, item);
        break;
      case ITEM_END:
        ret = handle_end (self, item);
        g_mutex_lock (&self->lock);
        self->end_ret = ret;
        g_mutex_unlock (&self->lock);
        break;
    }
    item_free (item);
    item = NULL;
  }
  return ret;
}

static gboolean
gst_rtmp_src2_unlock (GstBaseSrc * src)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (src);

  g_mutex_lock (&self->lock);
  self->flushing = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmp_src2_unlock_stop (GstBaseSrc * src)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (src);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  g_mutex_unlock (&self->lock);
  return TRUE;
}

static gboolean
gst_rtmp_src2_start (GstBaseSrc * src)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (src);

  self->ended = FALSE;
  self->shutting_down = FALSE;
  self->header_sent = FALSE;
  self->need_keyframe = TRUE;
  self->overflowing = FALSE;
  self->discont = FALSE;
  self->have_video = FALSE;
  self->have_header_tag = FALSE;
  self->have_first = FALSE;
  rtmp_core_timestamp_unwrapper_init (&self->unwrapper);
  self->header = gst_rtmp_stream_header_new ();
  self->base_time = GST_CLOCK_TIME_NONE;
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);

  GST_OBJECT_LOCK (self);
  self->io_max_queue_bytes = self->max_queue_bytes;
  self->io_max_queue_time = self->max_queue_time;
  GST_OBJECT_UNLOCK (self);

  g_mutex_lock (&self->lock);
  self->flushing = FALSE;
  self->end_ret = GST_FLOW_OK;
  self->dropped = 0;
  self->bitrate = 0;
  g_mutex_unlock (&self->lock);

  self->thread = g_thread_new ("rtmpsrc2-io", io_thread_func, self);
  io_invoke (self, io_connect_cb);
  return TRUE;
}

static gboolean
gst_rtmp_src2_stop (GstBaseSrc * src)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (src);

  io_invoke (self, io_shutdown_cb);
  g_thread_join (self->thread);
  self->thread = NULL;
  g_clear_pointer (&self->loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->cancellable);
  queue_clear (self);
  g_clear_pointer (&self->header, gst_rtmp_stream_header_free);
  g_queue_clear_full (&self->held, (GDestroyNotify) item_free);
  gst_rtmp_core_location_clear (&self->io_location);
  g_clear_pointer (&self->masked_location, g_free);
  return TRUE;
}

static gboolean
gst_rtmp_src2_query (GstBaseSrc * src, GstQuery * query)
{
  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY) {
    /* buffers are stamped when they arrive: no latency of our own */
    gst_query_set_latency (query, TRUE, 0, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS (gst_rtmp_src2_parent_class)->query (src, query);
}

/* ------------------------------------------------------------------ */
/* properties                                                          */
/* ------------------------------------------------------------------ */

static GstStructure *
make_stats (GstRtmpSrc2 * self)
{
  GVariant *stats;
  guint64 bytes_in = 0;
  gint64 rtt_us = -1;
  GstStructure *s;

  g_mutex_lock (&self->lock);
  if (self->conn) {
    stats = g_variant_ref_sink (rtmp_core_connection_get_stats (self->conn));
    g_variant_lookup (stats, "bytes-in", "t", &bytes_in);
    g_variant_lookup (stats, "rtt-us", "x", &rtt_us);
    g_variant_unref (stats);
  }
  s = gst_structure_new ("application/x-rtmpsrc2-stats",
      "bytes-received", G_TYPE_UINT64, bytes_in,
      "bitrate", G_TYPE_UINT64, self->bitrate,
      "rtt", G_TYPE_UINT64, rtt_us >= 0 ?
      (guint64) rtt_us * GST_USECOND : GST_CLOCK_TIME_NONE,
      "queue-bytes", G_TYPE_UINT64, (guint64) self->queue_bytes,
      "queue-tags", G_TYPE_UINT, self->queue.length,
      "reconnects", G_TYPE_UINT, 0,
      "dropped-tags", G_TYPE_UINT64, self->dropped, NULL);
  g_mutex_unlock (&self->lock);
  return s;
}

static void
gst_rtmp_src2_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (object);

  GST_OBJECT_LOCK (self);
  if (gst_rtmp_core_location_set_property (&self->location, object,
          PROP_LOCATION_FIRST, prop_id, value)) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  switch (prop_id) {
    case PROP_IDLE_TIMEOUT:
      self->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_NO_EOF_IS_ERROR:
      self->no_eof_is_error = g_value_get_boolean (value);
      break;
    case PROP_MAX_QUEUE_BYTES:
      self->max_queue_bytes = g_value_get_uint64 (value);
      break;
    case PROP_MAX_QUEUE_TIME:
      self->max_queue_time = g_value_get_uint64 (value);
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
gst_rtmp_src2_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (object);

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
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, self->idle_timeout);
      break;
    case PROP_NO_EOF_IS_ERROR:
      g_value_set_boolean (value, self->no_eof_is_error);
      break;
    case PROP_MAX_QUEUE_BYTES:
      g_value_set_uint64 (value, self->max_queue_bytes);
      break;
    case PROP_MAX_QUEUE_TIME:
      g_value_set_uint64 (value, self->max_queue_time);
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
  return GST_URI_SRC;
}

static const gchar *const *
uri_get_protocols (GType type)
{
  return gst_rtmp_core_location_get_protocols ();
}

static gchar *
uri_get_uri (GstURIHandler * handler)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (handler);
  gchar *uri;

  GST_OBJECT_LOCK (self);
  uri = gst_rtmp_core_location_get_uri (&self->location);
  GST_OBJECT_UNLOCK (self);
  return uri;
}

static gboolean
uri_set_uri (GstURIHandler * handler, const gchar * uri, GError ** error)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (handler);
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
gst_rtmp_src2_uri_handler_init (gpointer g_iface, gpointer iface_data)
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
gst_rtmp_src2_finalize (GObject * object)
{
  GstRtmpSrc2 *self = GST_RTMP_SRC2 (object);

  gst_rtmp_core_location_clear (&self->location);
  gst_rtmp_core_location_clear (&self->io_location);
  g_strfreev (self->fourcc_list);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  G_OBJECT_CLASS (gst_rtmp_src2_parent_class)->finalize (object);
}

static void
gst_rtmp_src2_init (GstRtmpSrc2 * self)
{
  gst_rtmp_core_location_init (&self->location);
  gst_rtmp_core_location_init (&self->io_location);
  self->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  self->no_eof_is_error = DEFAULT_NO_EOF_IS_ERROR;
  self->max_queue_bytes = DEFAULT_MAX_QUEUE_BYTES;
  self->max_queue_time = DEFAULT_MAX_QUEUE_TIME;
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  g_queue_init (&self->queue);
  g_queue_init (&self->held);
  self->end_ret = GST_FLOW_OK;

  gst_base_src_set_live (GST_BASE_SRC (self), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (self), GST_FORMAT_TIME);
}

static void
gst_rtmp_src2_class_init (GstRtmpSrc2Class * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_src_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_src_class = GST_PUSH_SRC_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (gst_rtmp_src2_debug_category, "rtmpsrc2", 0,
      "RTMP player (librtmpcore)");

  gobject_class->set_property = gst_rtmp_src2_set_property;
  gobject_class->get_property = gst_rtmp_src2_get_property;
  gobject_class->finalize = gst_rtmp_src2_finalize;

  base_src_class->start = gst_rtmp_src2_start;
  base_src_class->stop = gst_rtmp_src2_stop;
  base_src_class->unlock = gst_rtmp_src2_unlock;
  base_src_class->unlock_stop = gst_rtmp_src2_unlock_stop;
  base_src_class->query = gst_rtmp_src2_query;
  push_src_class->create = gst_rtmp_src2_create;

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class, "RTMP play source",
      "Source/Network", "Plays a stream from an RTMP server as live FLV",
      "gst-rtmpcore developers");

  gst_rtmp_core_location_install_properties (gobject_class,
      PROP_LOCATION_FIRST);

  g_object_class_install_property (gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint ("idle-timeout", "Idle timeout",
          "Seconds without any media from the server after which playing "
          "fails with an error (0 = no timeout)", 0, G_MAXUINT,
          DEFAULT_IDLE_TIMEOUT, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_NO_EOF_IS_ERROR,
      g_param_spec_boolean ("no-eof-is-error", "No EOF is error",
          "Whether a connection the server closes without first ending the "
          "stream (NetStream.Play.Stop, Play.Complete, Play.UnpublishNotify, "
          "Stream EOF, FCUnpublish or deleteStream) is an error; otherwise "
          "it is EOS",
          DEFAULT_NO_EOF_IS_ERROR, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_BYTES,
      g_param_spec_uint64 ("max-queue-bytes", "Maximum queued bytes",
          "Bytes of FLV tags waiting for downstream above which tags are "
          "dropped until the next video keyframe (0 = no limit)", 0,
          G_MAXUINT64, DEFAULT_MAX_QUEUE_BYTES, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_MAX_QUEUE_TIME,
      g_param_spec_uint64 ("max-queue-time", "Maximum queued time",
          "Duration (ns) of FLV tags waiting for downstream above which "
          "tags are dropped until the next video keyframe (0 = no limit)",
          0, G_MAXUINT64, DEFAULT_MAX_QUEUE_TIME, G_PARAM_READWRITE |
          G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_FOURCC_LIST,
      g_param_spec_boxed ("fourcc-list", "FourCC list",
          "Enhanced RTMP codecs announced as fourCcList in connect, e.g. "
          "<\"hvc1\", \"av01\"> or <\"*\">; none when unset", G_TYPE_STRV,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Playing statistics: bytes-received, bitrate (bit/s over the last "
          "second), rtt (ns, NONE until measured), queue-bytes and "
          "queue-tags (waiting for downstream), reconnects, dropped-tags "
          "(dropped because the queue was full)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}
