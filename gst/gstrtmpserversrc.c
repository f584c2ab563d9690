/**
 * SECTION:element-rtmpserversrc
 * @title: rtmpserversrc
 *
 * An RTMP ingest server inside a pipeline: encoders (OBS, ffmpeg,
 * rtmp2sink, ...) publish to it and the stream comes out as FLV, one tag
 * per buffer, with the FLV header, onMetaData and the codec configurations
 * in the caps `streamheader` (and pushed first, flagged HEADER), so that
 * flvdemux decodes from the first buffer even when the publisher started
 * earlier.
 *
 * Several rtmpserversrc elements of one process that listen on the same
 * address and port share one listener; each publish goes to the element
 * whose #GstRtmpServerSrc:application and #GstRtmpServerSrc:stream match
 * (an unset one matches anything, the most specific element wins). A
 * publish that matches no element is refused with
 * `NetStream.Publish.BadName`, as is a second publisher of an element
 * unless #GstRtmpServerSrc:allow-takeover is set.
 *
 * Enhanced RTMP tags (HEVC, AV1, VP9 with the extended header) pass through
 * byte-exact and their SequenceStart goes into the streamheader, but
 * GStreamer 1.22's flvdemux cannot demux them: record them with filesink
 * or parse them yourself.
 *
 * Timestamps: the first tag is stamped with the running time at which it
 * arrived, the following ones keep the publisher's spacing (32-bit RTMP
 * timestamps are unwrapped to 64 bits). Video buffers carry DTS and
 * PTS = DTS + composition time.
 *
 * The media is received in a thread of the shared server; the element
 * never blocks it: tags beyond #GstRtmpServerSrc:max-bytes are dropped (with
 * a warning message) and the stream resumes at the next video keyframe.
 *
 * The #GstRtmpServerSrc::authorize signal and the bus messages
 * `rtmpserversrc-publish-started` and `rtmpserversrc-publish-stopped`
 * (fields address, application, stream, flash-version and, for stop,
 * reason) are emitted from the server thread. Stream keys are always
 * masked ("ab****") in messages, statistics and logs.
 *
 * ## Example launch lines
 * |[
 * gst-launch-1.0 rtmpserversrc port=1935 application=live stream=secret ! flvdemux name=d d.video ! queue ! h264parse ! mp4mux ! filesink location=in.mp4
 * ]| Waits for a publish to rtmp://HOST/live/secret and records its video
 * to an MP4 file until the publisher stops.
 * |[
 * gst-launch-1.0 rtmpserversrc port=1935 persistent=true allow-takeover=true ! flvdemux name=d d.video ! queue ! decodebin ! autovideosink
 * ]| Shows whatever is published to any application and stream on port
 * 1935, across reconnects of the encoder.
 * |[
 * gst-launch-1.0 rtmpserversrc port=1936 tls-pem-file=server.pem ! filesink location=dump.flv
 * ]| Accepts RTMPS publishers (certificate and key in server.pem) and
 * dumps the FLV stream to a file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmpserversrc.h"

#include <rtmpcore.h>
#include "gstrtmputils.h"
#include "gstrtmpserverregistry.h"
#include "gstrtmpstreamheader.h"

GST_DEBUG_CATEGORY_STATIC (gst_rtmp_server_src_debug);
#define GST_CAT_DEFAULT gst_rtmp_server_src_debug

#define DEFAULT_PORT RTMP_CORE_SERVER_DEFAULT_PORT
#define DEFAULT_MAX_CONNECTIONS RTMP_CORE_SERVER_DEFAULT_MAX_CONNECTIONS
#define DEFAULT_TIMEOUT 10
#define DEFAULT_IDLE_TIMEOUT 60
#define DEFAULT_MAX_MESSAGE_SIZE RTMP_CORE_DEFAULT_MAX_MESSAGE_SIZE
#define DEFAULT_MAX_BYTES (32 * 1024 * 1024)

enum
{
  PROP_0,
  PROP_ADDRESS,
  PROP_PORT,
  PROP_CURRENT_PORT,
  PROP_APPLICATION,
  PROP_STREAM,
  PROP_PERSISTENT,
  PROP_ALLOW_TAKEOVER,
  PROP_MAX_CONNECTIONS,
  PROP_TIMEOUT,
  PROP_IDLE_TIMEOUT,
  PROP_MAX_MESSAGE_SIZE,
  PROP_MAX_BYTES,
  PROP_TLS_CERTIFICATE,
  PROP_TLS_PEM_FILE,
  PROP_STATS,
};

enum
{
  SIGNAL_AUTHORIZE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

struct _GstRtmpServerSrc
{
  GstPushSrc parent;

  /* properties, under the object lock */
  gchar *address;
  guint port;
  gchar *application;
  gchar *stream;
  gboolean persistent;
  gboolean allow_takeover;
  guint max_connections;
  guint timeout;
  guint idle_timeout;
  guint max_message_size;
  guint64 max_bytes;
  GTlsCertificate *tls_certificate;
  gchar *tls_pem_file;
  guint current_port;
  GstRtmpServerRoute *route;

  /* the stream, under @lock; written by the server thread */
  GMutex lock;
  GCond cond;
  GQueue queue;                 /* GstBuffer, GstCaps or an EOS GstEvent */
  gsize queued_bytes;
  gboolean flushing;
  gboolean finished;            /* EOS queued: no more publishers */
  gboolean overflowing;
  RtmpCoreServerSession *session;
  GstRtmpStreamHeader *header;
  gboolean header_sent;
  RtmpCoreTimestampUnwrapper unwrapper;
  gboolean have_first;          /* of the session */
  guint64 first_unwrapped;
  gint64 session_offset_ms;
  gint64 last_out_ms;           /* -1 before any media */
  GstClockTime first_running_time;
  gboolean need_keyframe;
  gboolean discont;
};

static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-flv"));

#define gst_rtmp_server_src_parent_class parent_class
G_DEFINE_TYPE (GstRtmpServerSrc, gst_rtmp_server_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE (rtmpserversrc, "rtmpserversrc", GST_RANK_NONE,
    GST_TYPE_RTMP_SERVER_SRC);

/* ---- the queue (callers hold @lock) ---- */

static gsize
item_size (GstMiniObject * item)
{
  return GST_IS_BUFFER (item) ? gst_buffer_get_size (GST_BUFFER (item)) : 0;
}

static void
queue_push (GstRtmpServerSrc * src, gpointer item)
{
  src->queued_bytes += item_size (item);
  g_queue_push_tail (&src->queue, item);
  g_cond_signal (&src->cond);
}

static void
queue_clear (GstRtmpServerSrc * src)
{
  gpointer item;

  while ((item = g_queue_pop_head (&src->queue)))
    gst_mini_object_unref (item);
  src->queued_bytes = 0;
}

/* Forgets the stream, for a fresh start. */
static void
reset_stream (GstRtmpServerSrc * src)
{
  queue_clear (src);
  g_clear_object (&src->session);
  gst_rtmp_stream_header_clear (src->header);
  src->header_sent = FALSE;
  src->finished = FALSE;
  src->overflowing = FALSE;
  src->have_first = FALSE;
  src->session_offset_ms = 0;
  src->last_out_ms = -1;
  src->first_running_time = GST_CLOCK_TIME_NONE;
  src->need_keyframe = TRUE;
  src->discont = FALSE;
}

/* ---- helpers ---- */

static GstClockTime
current_running_time (GstRtmpServerSrc * src)
{
  GstClock *clock;
  GstClockTime now, base;

  GST_OBJECT_LOCK (src);
  clock = GST_ELEMENT_CLOCK (src);
  if (clock == NULL || GST_STATE (src) != GST_STATE_PLAYING) {
    GST_OBJECT_UNLOCK (src);
    return GST_CLOCK_TIME_NONE;
  }
  gst_object_ref (clock);
  base = GST_ELEMENT_CAST (src)->base_time;
  GST_OBJECT_UNLOCK (src);

  now = gst_clock_get_time (clock);
  gst_object_unref (clock);
  return now > base ? now - base : 0;
}

static GstStructure *
publish_info (const gchar * name, RtmpCoreServerSession * session)
{
  gchar *key = rtmp_core_mask_secret (rtmp_core_server_session_get_stream
      (session));
  const gchar *flash = rtmp_core_server_session_get_flash_version (session);
  GstStructure *s;

  s = gst_structure_new (name,
      "address", G_TYPE_STRING,
      rtmp_core_server_session_get_remote_address (session),
      "application", G_TYPE_STRING,
      rtmp_core_server_session_get_application (session),
      "stream", G_TYPE_STRING, key,
      "flash-version", G_TYPE_STRING, flash ? flash : "", NULL);
  g_free (key);
  return s;
}

/* ---- route callbacks (server thread) ---- */

static RtmpCoreServerDecision
on_request (RtmpCoreServerSession * session, gpointer user_data)
{
  GstRtmpServerSrc *src = user_data;
  gboolean finished, ok = TRUE;
  const gchar *query, *tc_url, *flash;
  gchar *key;

  g_mutex_lock (&src->lock);
  finished = src->finished;
  g_mutex_unlock (&src->lock);
  key = rtmp_core_mask_secret (rtmp_core_server_session_get_stream (session));
  if (finished) {
    GST_INFO_OBJECT (src, "refusing %s (stream %s): the stream has ended",
        rtmp_core_server_session_get_remote_address (session), key);
    g_free (key);
    return RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME;
  }

  query = rtmp_core_server_session_get_query (session);
  tc_url = rtmp_core_server_session_get_tc_url (session);
  flash = rtmp_core_server_session_get_flash_version (session);
  g_signal_emit (src, signals[SIGNAL_AUTHORIZE], 0,
      rtmp_core_server_session_get_application (session),
      rtmp_core_server_session_get_stream (session), query ? query : "",
      rtmp_core_server_session_get_remote_address (session),
      tc_url ? tc_url : "", flash ? flash : "", &ok);
  GST_INFO_OBJECT (src, "%s %s to publish stream %s",
      ok ? "authorized" : "did not authorize",
      rtmp_core_server_session_get_remote_address (session), key);
  g_free (key);
  return ok ? RTMP_CORE_SERVER_DECISION_ACCEPT :
      RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED;
}

static void
on_started (RtmpCoreServerSession * session, gpointer user_data)
{
  GstRtmpServerSrc *src = user_data;

  g_mutex_lock (&src->lock);
  g_set_object (&src->session, session);
  rtmp_core_timestamp_unwrapper_init (&src->unwrapper);
  src->have_first = FALSE;
  src->need_keyframe = TRUE;
  /* a later session continues the stream after a gap */
  if (src->last_out_ms >= 0)
    src->discont = TRUE;
  g_mutex_unlock (&src->lock);

  GST_INFO_OBJECT (src, "publish started by %s",
      rtmp_core_server_session_get_remote_address (session));
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src),
          publish_info ("rtmpserversrc-publish-started", session)));
}

static void
on_stopped (RtmpCoreServerSession * session, const GError * reason,
    gboolean replaced, gpointer user_data)
{
  GstRtmpServerSrc *src = user_data;
  GstStructure *s;
  const gchar *why;
  gboolean persistent;

  GST_OBJECT_LOCK (src);
  persistent = src->persistent;
  GST_OBJECT_UNLOCK (src);

  g_mutex_lock (&src->lock);
  if (src->session != session) {
    g_mutex_unlock (&src->lock);
    return;
  }
  g_clear_object (&src->session);
  if (!persistent && !replaced) {
    src->finished = TRUE;
    queue_push (src, gst_event_new_eos ());
  }
  g_mutex_unlock (&src->lock);

  why = replaced ? "taken over by another publisher" :
      reason ? reason->message : "unpublished";
  GST_INFO_OBJECT (src, "publish by %s stopped: %s",
      rtmp_core_server_session_get_remote_address (session), why);
  s = publish_info ("rtmpserversrc-publish-stopped", session);
  gst_structure_set (s, "reason", G_TYPE_STRING, why, NULL);
  gst_element_post_message (GST_ELEMENT (src),
      gst_message_new_element (GST_OBJECT (src), s));
}

/* Where the first tag of a session goes on the output timeline: 0 for
 * the first session, else just after the last output, or later if the
 * clock says that more time went by. */
static gint64
session_start_ms (GstRtmpServerSrc * src)
{
  GstClockTime now;
  gint64 start;

  if (src->last_out_ms < 0)
    return 0;
  start = src->last_out_ms + 1;
  now = current_running_time (src);
  if (GST_CLOCK_TIME_IS_VALID (now) &&
      GST_CLOCK_TIME_IS_VALID (src->first_running_time) &&
      now > src->first_running_time)
    start = MAX (start, (gint64) ((now - src->first_running_time) /
            GST_MSECOND));
  return start;
}

/* A header tag that changed after the header went out: new caps, then the
 * tag itself, so that a demuxer reconfigures in place. */
static void
queue_header_change (GstRtmpServerSrc * src, guint8 type, GBytes * payload)
{
  GstBuffer *buf = gst_rtmp_flv_tag_buffer_new (type, 0, payload);

  GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_HEADER);
  queue_push (src, gst_rtmp_stream_header_make_caps (src->header));
  queue_push (src, buf);
}

static void
queue_header (GstRtmpServerSrc * src)
{
  GPtrArray *buffers = gst_rtmp_stream_header_get_buffers (src->header);
  guint i;

  queue_push (src, gst_rtmp_stream_header_make_caps (src->header));
  for (i = 0; i < buffers->len; i++)
    queue_push (src, gst_buffer_ref (g_ptr_array_index (buffers, i)));
  g_ptr_array_unref (buffers);
  src->header_sent = TRUE;
}

/* A media tag at @out_ms on the output timeline; its DTS and PTS are
 * relative to the first tag until create() adds the running time of that
 * one. @video is the header of a video tag, NULL for others. */
static GstBuffer *
media_buffer (guint8 type, GBytes * payload, gint64 out_ms,
    const RtmpCoreVideoInfo * video)
{
  GstBuffer *buf = gst_rtmp_flv_tag_buffer_new (type, (guint32) out_ms,
      payload);
  GstClockTime dts = out_ms * GST_MSECOND;
  gint64 pts_ms = out_ms;

  if (video) {
    pts_ms = MAX (0, out_ms + video->composition_time);
    if (!video->is_keyframe)
      GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DELTA_UNIT);
  }
  GST_BUFFER_DTS (buf) = dts;
  GST_BUFFER_PTS (buf) = pts_ms * GST_MSECOND;
  return buf;
}

static void
on_media (RtmpCoreServerSession * session, const RtmpCoreMessage * msg,
    gpointer user_data)
{
  GstRtmpServerSrc *src = user_data;
  RtmpCoreVideoInfo video = { 0, };
  gboolean is_video = msg->type == RTMP_CORE_FLV_TAG_VIDEO;
  GstRtmpStreamHeaderChange change;
  GBytes *payload;
  const guint8 *data;
  gsize size;
  guint64 unwrapped;
  gint64 out_ms;
  GstBuffer *buf;
  guint64 max_bytes;

  if (msg->type != RTMP_CORE_FLV_TAG_AUDIO && !is_video &&
      msg->type != RTMP_CORE_FLV_TAG_SCRIPT)
    return;

  GST_OBJECT_LOCK (src);
  max_bytes = src->max_bytes;
  GST_OBJECT_UNLOCK (src);

  payload = rtmp_core_message_get_payload (msg);
  data = g_bytes_get_data (payload, &size);
  if (is_video && !rtmp_core_video_info_parse (data, size, &video, NULL)) {
    /* not a frame we understand: pass it on, without a keyframe flag */
    video.is_keyframe = FALSE;
    video.composition_time = 0;
  }

  g_mutex_lock (&src->lock);
  if (src->session != session)
    goto out;

  change = gst_rtmp_stream_header_update (src->header, msg->type, payload);
  if (change != GST_RTMP_STREAM_HEADER_NOT_HEADER) {
    GST_DEBUG_OBJECT (src, "header tag of type %u (%s)", msg->type,
        change == GST_RTMP_STREAM_HEADER_CHANGED ? "changed" : "unchanged");
    if (change == GST_RTMP_STREAM_HEADER_CHANGED && src->header_sent)
      queue_header_change (src, msg->type, payload);
    goto out;
  }

  unwrapped = rtmp_core_timestamp_unwrapper_unwrap (&src->unwrapper,
      msg->timestamp);
  if (!src->have_first) {
    src->have_first = TRUE;
    src->first_unwrapped = unwrapped;
    src->session_offset_ms = session_start_ms (src);
    if (!GST_CLOCK_TIME_IS_VALID (src->first_running_time))
      src->first_running_time = current_running_time (src);
  }
  out_ms = src->session_offset_ms + (gint64) (unwrapped - src->first_unwrapped);
  /* a publisher's small reordering must not go before the session start */
  out_ms = MAX (out_ms, src->session_offset_ms);

  if (is_video && src->need_keyframe) {
    if (!video.is_keyframe) {
      GST_LOG_OBJECT (src, "dropping a video frame before a keyframe");
      goto out;
    }
    src->need_keyframe = FALSE;
  }

  if (src->queued_bytes + size + 15 > max_bytes) {
    if (!src->overflowing) {
      src->overflowing = TRUE;
      g_mutex_unlock (&src->lock);
      GST_ELEMENT_WARNING (src, STREAM, FAILED,
          ("Downstream is too slow: dropping media"),
          ("more than %" G_GUINT64_FORMAT " bytes queued; resuming at the "
              "next keyframe", max_bytes));
      g_mutex_lock (&src->lock);
    }
    src->need_keyframe = TRUE;
    src->discont = TRUE;
    goto out;
  }
  src->overflowing = FALSE;

  if (!src->header_sent)
    queue_header (src);
  buf = media_buffer (msg->type, payload, out_ms, is_video ? &video : NULL);
  if (src->discont) {
    GST_BUFFER_FLAG_SET (buf, GST_BUFFER_FLAG_DISCONT);
    src->discont = FALSE;
  }
  /* the largest: publishers interleave audio and video loosely */
  src->last_out_ms = MAX (src->last_out_ms, out_ms);
  queue_push (src, buf);

out:
  g_mutex_unlock (&src->lock);
  g_bytes_unref (payload);
}

static const GstRtmpServerRouteFuncs route_funcs = {
  on_request, on_started, on_media, on_stopped
};

/* ---- GstBaseSrc ---- */

static GTlsCertificate *
load_certificate (GstRtmpServerSrc * src, GError ** error)
{
  GTlsCertificate *cert = NULL;
  gchar *pem_file;

  GST_OBJECT_LOCK (src);
  if (src->tls_certificate)
    cert = g_object_ref (src->tls_certificate);
  pem_file = g_strdup (src->tls_pem_file);
  GST_OBJECT_UNLOCK (src);

  if (cert && pem_file) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_FAILED,
        "Both tls-certificate and tls-pem-file (%s) are set: set only one",
        pem_file);
    g_clear_object (&cert);
  } else if (pem_file) {
    cert = g_tls_certificate_new_from_file (pem_file, error);
    if (cert == NULL)
      g_prefix_error (error, "Cannot load the certificate and key of "
          "tls-pem-file %s: ", pem_file);
  }
  g_free (pem_file);
  return cert;
}

static gboolean
gst_rtmp_server_src_start (GstBaseSrc * bsrc)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (bsrc);
  GstRtmpServerConfig config;
  GstRtmpServerRoute *route;
  GTlsCertificate *cert;
  gchar *address, *app, *stream, *key, *what;
  gboolean takeover;
  GError *error = NULL;

  cert = load_certificate (src, &error);
  if (error) {
    GST_ELEMENT_ERROR (src, RESOURCE, SETTINGS, ("%s", error->message),
        (NULL));
    g_error_free (error);
    return FALSE;
  }

  g_mutex_lock (&src->lock);
  reset_stream (src);
  src->flushing = FALSE;
  g_mutex_unlock (&src->lock);

  GST_OBJECT_LOCK (src);
  address = g_strdup (src->address);
  app = g_strdup (src->application);
  stream = g_strdup (src->stream);
  takeover = src->allow_takeover;
  config.address = address;
  config.port = src->port;
  config.certificate = cert;
  config.max_connections = src->max_connections;
  config.handshake_timeout = src->timeout;
  config.idle_timeout = src->idle_timeout;
  config.max_message_size = src->max_message_size;
  GST_OBJECT_UNLOCK (src);

  key = rtmp_core_mask_secret (stream ? stream : "");
  what = g_strdup_printf ("Listening on %s port %u (application %s, "
      "stream %s)", address ? address : "every address", config.port,
      app ? app : "any", stream ? key : "any");
  GST_DEBUG_OBJECT (src, "%s", what);

  route = gst_rtmp_server_registry_add_route (&config, app, stream, takeover,
      &route_funcs, src, &error);
  if (route == NULL) {
    gst_rtmp_post_error (GST_ELEMENT (src), error, FALSE, what);
    g_error_free (error);
  } else {
    GST_OBJECT_LOCK (src);
    src->route = route;
    src->current_port = gst_rtmp_server_route_get_port (route);
    GST_OBJECT_UNLOCK (src);
    GST_INFO_OBJECT (src, "listening on port %u",
        gst_rtmp_server_route_get_port (route));
    g_object_notify (G_OBJECT (src), "current-port");
  }

  g_clear_object (&cert);
  g_free (what);
  g_free (key);
  g_free (address);
  g_free (app);
  g_free (stream);
  return route != NULL;
}

static gboolean
gst_rtmp_server_src_stop (GstBaseSrc * bsrc)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (bsrc);
  GstRtmpServerRoute *route;

  GST_OBJECT_LOCK (src);
  route = g_steal_pointer (&src->route);
  src->current_port = 0;
  GST_OBJECT_UNLOCK (src);

  /* after this no callback runs */
  if (route)
    gst_rtmp_server_registry_remove_route (route);

  g_mutex_lock (&src->lock);
  reset_stream (src);
  g_mutex_unlock (&src->lock);
  g_object_notify (G_OBJECT (src), "current-port");
  return TRUE;
}

static gboolean
gst_rtmp_server_src_unlock (GstBaseSrc * bsrc)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (bsrc);

  g_mutex_lock (&src->lock);
  src->flushing = TRUE;
  g_cond_broadcast (&src->cond);
  g_mutex_unlock (&src->lock);
  return TRUE;
}

static gboolean
gst_rtmp_server_src_unlock_stop (GstBaseSrc * bsrc)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (bsrc);

  g_mutex_lock (&src->lock);
  src->flushing = FALSE;
  g_mutex_unlock (&src->lock);
  return TRUE;
}

/* Caps come with the stream: the streamheader is known only once the
 * publisher sent its configurations. */
static gboolean
gst_rtmp_server_src_negotiate (GstBaseSrc * bsrc)
{
  return TRUE;
}

static GstFlowReturn
gst_rtmp_server_src_create (GstPushSrc * psrc, GstBuffer ** outbuf)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (psrc);
  GstMiniObject *item;
  GstBuffer *buf;

  g_mutex_lock (&src->lock);
  for (;;) {
    while (!src->flushing && g_queue_is_empty (&src->queue))
      g_cond_wait (&src->cond, &src->lock);
    if (src->flushing) {
      g_mutex_unlock (&src->lock);
      return GST_FLOW_FLUSHING;
    }
    item = g_queue_pop_head (&src->queue);
    src->queued_bytes -= item_size (item);

    if (GST_IS_CAPS (item)) {
      g_mutex_unlock (&src->lock);
      GST_DEBUG_OBJECT (src, "caps %" GST_PTR_FORMAT, item);
      gst_base_src_set_caps (GST_BASE_SRC (src), GST_CAPS (item));
      gst_mini_object_unref (item);
      g_mutex_lock (&src->lock);
      continue;
    }
    if (GST_IS_EVENT (item)) {
      g_mutex_unlock (&src->lock);
      gst_mini_object_unref (item);
      GST_INFO_OBJECT (src, "the publisher left: end of stream");
      return GST_FLOW_EOS;
    }
    break;
  }

  buf = GST_BUFFER (item);
  if (!GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_HEADER)) {
    /* media that arrived before PLAYING is stamped when it leaves */
    if (!GST_CLOCK_TIME_IS_VALID (src->first_running_time)) {
      src->first_running_time = current_running_time (src);
      if (!GST_CLOCK_TIME_IS_VALID (src->first_running_time))
        src->first_running_time = 0;
    }
    GST_BUFFER_DTS (buf) += src->first_running_time;
    GST_BUFFER_PTS (buf) += src->first_running_time;
  }
  g_mutex_unlock (&src->lock);

  *outbuf = buf;
  return GST_FLOW_OK;
}

/* ---- GObject ---- */

static GstStructure *
get_stats (GstRtmpServerSrc * src)
{
  GstRtmpServerRoute *route;
  GstStructure *s;
  GValue empty = G_VALUE_INIT;

  /* the route lives until stop(), which takes the state lock; the object
   * lock only guards the pointer, so hold it while reading */
  GST_OBJECT_LOCK (src);
  route = src->route;
  if (route) {
    s = gst_rtmp_server_route_get_stats (route);
    GST_OBJECT_UNLOCK (src);
    return s;
  }
  GST_OBJECT_UNLOCK (src);

  g_value_init (&empty, GST_TYPE_ARRAY);
  s = gst_structure_new ("application/x-rtmpserversrc-stats",
      "connections-active", G_TYPE_UINT, 0,
      "connections-total", G_TYPE_UINT64, (guint64) 0,
      "connections-refused", G_TYPE_UINT64, (guint64) 0, NULL);
  gst_structure_take_value (s, "publishers", &empty);
  return s;
}

static void
gst_rtmp_server_src_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (object);

  GST_OBJECT_LOCK (src);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_free (src->address);
      src->address = g_value_dup_string (value);
      break;
    case PROP_PORT:
      src->port = g_value_get_uint (value);
      break;
    case PROP_APPLICATION:
      g_free (src->application);
      src->application = g_value_dup_string (value);
      break;
    case PROP_STREAM:
      g_free (src->stream);
      src->stream = g_value_dup_string (value);
      break;
    case PROP_PERSISTENT:
      src->persistent = g_value_get_boolean (value);
      break;
    case PROP_ALLOW_TAKEOVER:
      src->allow_takeover = g_value_get_boolean (value);
      break;
    case PROP_MAX_CONNECTIONS:
      src->max_connections = g_value_get_uint (value);
      break;
    case PROP_TIMEOUT:
      src->timeout = g_value_get_uint (value);
      break;
    case PROP_IDLE_TIMEOUT:
      src->idle_timeout = g_value_get_uint (value);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      src->max_message_size = g_value_get_uint (value);
      break;
    case PROP_MAX_BYTES:
      src->max_bytes = g_value_get_uint64 (value);
      break;
    case PROP_TLS_CERTIFICATE:
      g_clear_object (&src->tls_certificate);
      src->tls_certificate = g_value_dup_object (value);
      break;
    case PROP_TLS_PEM_FILE:
      g_free (src->tls_pem_file);
      src->tls_pem_file = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (src);
}

static void
gst_rtmp_server_src_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (object);

  if (prop_id == PROP_STATS) {
    g_value_take_boxed (value, get_stats (src));
    return;
  }

  GST_OBJECT_LOCK (src);
  switch (prop_id) {
    case PROP_ADDRESS:
      g_value_set_string (value, src->address);
      break;
    case PROP_PORT:
      g_value_set_uint (value, src->port);
      break;
    case PROP_CURRENT_PORT:
      g_value_set_uint (value, src->current_port);
      break;
    case PROP_APPLICATION:
      g_value_set_string (value, src->application);
      break;
    case PROP_STREAM:
      g_value_set_string (value, src->stream);
      break;
    case PROP_PERSISTENT:
      g_value_set_boolean (value, src->persistent);
      break;
    case PROP_ALLOW_TAKEOVER:
      g_value_set_boolean (value, src->allow_takeover);
      break;
    case PROP_MAX_CONNECTIONS:
      g_value_set_uint (value, src->max_connections);
      break;
    case PROP_TIMEOUT:
      g_value_set_uint (value, src->timeout);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, src->idle_timeout);
      break;
    case PROP_MAX_MESSAGE_SIZE:
      g_value_set_uint (value, src->max_message_size);
      break;
    case PROP_MAX_BYTES:
      g_value_set_uint64 (value, src->max_bytes);
      break;
    case PROP_TLS_CERTIFICATE:
      g_value_set_object (value, src->tls_certificate);
      break;
    case PROP_TLS_PEM_FILE:
      g_value_set_string (value, src->tls_pem_file);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (src);
}

static void
gst_rtmp_server_src_finalize (GObject * object)
{
  GstRtmpServerSrc *src = GST_RTMP_SERVER_SRC (object);

  queue_clear (src);
  g_clear_object (&src->session);
  gst_rtmp_stream_header_free (src->header);
  g_mutex_clear (&src->lock);
  g_cond_clear (&src->cond);
  g_free (src->address);
  g_free (src->application);
  g_free (src->stream);
  g_clear_object (&src->tls_certificate);
  g_free (src->tls_pem_file);
  G_OBJECT_CLASS (parent_class)->finalize (object);
}

/* The first handler that refuses settles it: later ones are not asked. */
static gboolean
authorize_accumulator (GSignalInvocationHint * hint, GValue * return_accu,
    const GValue * handler_return, gpointer data)
{
  gboolean ok = g_value_get_boolean (handler_return);

  g_value_set_boolean (return_accu, ok);
  return ok;
}

static gboolean
default_authorize (GstRtmpServerSrc * src, const gchar * application,
    const gchar * stream, const gchar * query, const gchar * address,
    const gchar * tc_url, const gchar * flash_version)
{
  return TRUE;
}

static void
gst_rtmp_server_src_class_init (GstRtmpServerSrcClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSrcClass *base_class = GST_BASE_SRC_CLASS (klass);
  GstPushSrcClass *push_class = GST_PUSH_SRC_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw_ready = rw | GST_PARAM_MUTABLE_READY;

  GST_DEBUG_CATEGORY_INIT (gst_rtmp_server_src_debug, "rtmpserversrc", 0,
      "RTMP ingest server source");

  gobject_class->set_property = gst_rtmp_server_src_set_property;
  gobject_class->get_property = gst_rtmp_server_src_get_property;
  gobject_class->finalize = gst_rtmp_server_src_finalize;

  g_object_class_install_property (gobject_class, PROP_ADDRESS,
      g_param_spec_string ("address", "Address",
          "IPv4 or IPv6 address to listen on (NULL: every interface)", NULL,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_PORT,
      g_param_spec_uint ("port", "Port",
          "TCP port to listen on (0: a free port, see current-port); "
          "elements with the same address and port share one listener",
          0, 65535, DEFAULT_PORT, rw_ready));
  g_object_class_install_property (gobject_class, PROP_CURRENT_PORT,
      g_param_spec_uint ("current-port", "Current port",
          "The port actually listened on, once started (0: not listening)",
          0, 65535, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_APPLICATION,
      g_param_spec_string ("application", "Application",
          "RTMP application to accept publishes for (NULL: any)", NULL,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_STREAM,
      g_param_spec_string ("stream", "Stream key",
          "Stream name (key) to accept publishes for (NULL: any); never "
          "logged unmasked", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_PERSISTENT,
      g_param_spec_boolean ("persistent", "Persistent",
          "When the publisher leaves, wait for the next one and continue "
          "the stream (DISCONT) instead of ending it (EOS)", FALSE,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ALLOW_TAKEOVER,
      g_param_spec_boolean ("allow-takeover", "Allow takeover",
          "A new publisher replaces the current one instead of being "
          "refused with NetStream.Publish.BadName", FALSE, rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_CONNECTIONS,
      g_param_spec_uint ("max-connections", "Maximum connections",
          "Connections served at once on this port; more are closed at "
          "once (0: no limit)", 0, G_MAXUINT, DEFAULT_MAX_CONNECTIONS,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Handshake timeout",
          "Seconds a client has from accept to complete the handshakes and "
          "send connect (0: no limit)", 0, 3600, DEFAULT_TIMEOUT, rw_ready));
  g_object_class_install_property (gobject_class, PROP_IDLE_TIMEOUT,
      g_param_spec_uint ("idle-timeout", "Idle timeout",
          "Seconds of silence after which a client is pinged, and closed if "
          "it stays silent (0: never)", 0, 3600, DEFAULT_IDLE_TIMEOUT,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_MESSAGE_SIZE,
      g_param_spec_uint ("max-message-size", "Maximum message size",
          "Longest RTMP message accepted from a client, in bytes; a longer "
          "one closes its connection", 1, 0xFFFFFF, DEFAULT_MAX_MESSAGE_SIZE,
          rw_ready));
  g_object_class_install_property (gobject_class, PROP_MAX_BYTES,
      g_param_spec_uint64 ("max-bytes", "Maximum queued bytes",
          "Bytes of FLV tags queued for downstream; beyond it media is "
          "dropped until the next video keyframe", 1, G_MAXUINT64,
          DEFAULT_MAX_BYTES, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TLS_CERTIFICATE,
      g_param_spec_object ("tls-certificate", "TLS certificate",
          "Certificate with its private key: clients must use RTMPS",
          G_TYPE_TLS_CERTIFICATE, rw_ready));
  g_object_class_install_property (gobject_class, PROP_TLS_PEM_FILE,
      g_param_spec_string ("tls-pem-file", "TLS PEM file",
          "PEM file holding the certificate and its private key: clients "
          "must use RTMPS", NULL, rw_ready));
  g_object_class_install_property (gobject_class, PROP_STATS,
      g_param_spec_boxed ("stats", "Statistics",
          "Connections (active, total, refused) on the port, and this "
          "element's publisher (address, application, masked stream, "
          "flash-version, bytes, bitrate, duration, rtt)", GST_TYPE_STRUCTURE,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * GstRtmpServerSrc::authorize:
   * @src: the element
   * @application: the application
   * @stream: the stream name (the key, unmasked)
   * @query: the query of the stream name, "" if none
   * @address: the client's address and port
   * @tc_url: the tcUrl of connect, "" if none
   * @flash_version: the flashVer of connect, "" if none
   *
   * Emitted in the server thread for each publish routed to this element.
   * Return %FALSE to refuse it with `NetStream.Publish.Unauthorized`; the
   * first handler returning %FALSE settles it. Without handlers every
   * publish is accepted.
   *
   * Returns: %TRUE to accept the publish
   */
  signals[SIGNAL_AUTHORIZE] =
      g_signal_new_class_handler ("authorize", G_TYPE_FROM_CLASS (klass),
      G_SIGNAL_RUN_LAST, G_CALLBACK (default_authorize),
      authorize_accumulator, NULL, NULL, G_TYPE_BOOLEAN, 6, G_TYPE_STRING,
      G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING,
      G_TYPE_STRING);

  gst_element_class_add_static_pad_template (element_class, &src_template);
  gst_element_class_set_static_metadata (element_class,
      "RTMP ingest server source", "Source/Network",
      "Receives RTMP publishes (OBS, ffmpeg, ...) and outputs them as FLV",
      "rtmpcore developers");

  base_class->start = gst_rtmp_server_src_start;
  base_class->stop = gst_rtmp_server_src_stop;
  base_class->unlock = gst_rtmp_server_src_unlock;
  base_class->unlock_stop = gst_rtmp_server_src_unlock_stop;
  base_class->negotiate = gst_rtmp_server_src_negotiate;
  push_class->create = gst_rtmp_server_src_create;
}

static void
gst_rtmp_server_src_init (GstRtmpServerSrc * src)
{
  src->port = DEFAULT_PORT;
  src->max_connections = DEFAULT_MAX_CONNECTIONS;
  src->timeout = DEFAULT_TIMEOUT;
  src->idle_timeout = DEFAULT_IDLE_TIMEOUT;
  src->max_message_size = DEFAULT_MAX_MESSAGE_SIZE;
  src->max_bytes = DEFAULT_MAX_BYTES;
  g_mutex_init (&src->lock);
  g_cond_init (&src->cond);
  g_queue_init (&src->queue);
  src->header = gst_rtmp_stream_header_new ();
  src->last_out_ms = -1;
  src->first_running_time = GST_CLOCK_TIME_NONE;

  gst_base_src_set_live (GST_BASE_SRC (src), TRUE);
  gst_base_src_set_format (GST_BASE_SRC (src), GST_FORMAT_TIME);
}
