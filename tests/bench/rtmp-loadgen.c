/* rtmp-loadgen: N RTMP publishers in one process and one main loop, on
 * librtmpcore's RtmpCoreClient, for the scale benchmark.
 *
 *   rtmp-loadgen --url rtmp://127.0.0.1:PORT/live --publishers N
 *       [--duration S] [--fps 25] [--video-size 10000]
 *       [--audio-rate 50] [--audio-size 200] [--ramp 200]
 *
 * Publisher i publishes stream "s<i>" of the given application. Each one
 * sends, paced in real time, an AVC and an AAC sequence header, then
 * video messages (a keyframe every 2 s) and audio messages whose payloads
 * carry a per-stream sequence number that rtmp-ingest-host checks. The
 * defaults make 25 * 10000 + 50 * 200 bytes/s = 2.08 Mbit/s per publisher.
 *
 * Connections are opened at --ramp per second (a burst of hundreds of
 * simultaneous handshakes would only measure the listen backlog). When
 * every publisher is publishing, they all stream for --duration seconds,
 * then stop (FCUnpublish, deleteStream, graceful close, so nothing queued
 * is lost). It prints one "stream=... video_sent=... audio_sent=..." line
 * per publisher and a "summary" line. */
#include <rtmpcore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define TICK_MS 5
#define KEYFRAME_INTERVAL_S 2

typedef enum {
  PUB_IDLE,
  PUB_CONNECTING,
  PUB_PUBLISHING,
  PUB_STOPPING,
  PUB_DONE,
  PUB_FAILED,
} PubState;

typedef struct _LoadGen LoadGen;

typedef struct {
  LoadGen *gen;
  guint index;
  gchar *name;
  RtmpCoreClient *client;
  PubState state;
  gint64 start_us;              /* when publishing began */
  guint64 video_sent, audio_sent, bytes_sent;
  guint64 send_errors;          /* queue full: the generator's own backlog */
  gint64 next_video_us, next_audio_us;
} Publisher;

struct _LoadGen {
  GMainLoop *loop;
  gchar *base_url;
  Publisher *pubs;
  guint n;
  guint started;                /* connections begun by the ramp */
  guint publishing, finished, failed;
  gint duration_s;
  gint fps, video_size, audio_rate, audio_size, ramp;
  gint64 video_interval_us, audio_interval_us;
  gint64 ramp_start_us, all_up_us, stop_at_us;
  gint64 max_lateness_us;       /* how far behind schedule sending ran */
  gboolean stopping;
  guint8 *video_template, *audio_template;
};

static void
write_be32 (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

/* Streaming for --duration starts once every publisher publishes or has
 * failed. */
static void
check_all_up (LoadGen * gen)
{
  if (gen->all_up_us != 0 || gen->publishing + gen->failed < gen->n)
    return;
  gen->all_up_us = g_get_monotonic_time ();
  gen->stop_at_us = gen->all_up_us + gen->duration_s * G_USEC_PER_SEC;
  g_printerr ("loadgen: %u publishing after %.2f s\n", gen->publishing,
      (gen->all_up_us - gen->ramp_start_us) / 1e6);
}

static void
pub_fail (Publisher * pub, const GError * error)
{
  if (pub->state == PUB_FAILED || pub->state == PUB_DONE)
    return;
  g_printerr ("loadgen: %s failed: %s\n", pub->name,
      error ? error->message : "unknown error");
  if (pub->state == PUB_PUBLISHING)
    pub->gen->publishing--;
  pub->state = PUB_FAILED;
  pub->gen->failed++;
  pub->gen->finished++;
  check_all_up (pub->gen);
  if (pub->gen->finished == pub->gen->n)
    g_main_loop_quit (pub->gen->loop);
}

/* Sends one message; the payload is fresh memory, as an encoder's is. */
static void
pub_send (Publisher * pub, guint8 type, const guint8 * tmpl, gsize size,
    gint64 due_us)
{
  RtmpCoreMessage *msg;
  GError *error = NULL;
  guint32 ts = (guint32) ((due_us - pub->start_us) / 1000);

  msg = rtmp_core_message_new_take (type, 0, 0, ts, g_memdup2 (tmpl, size),
      size);
  if (rtmp_core_client_send_media (pub->client, msg, &error)) {
    pub->bytes_sent += size;
  } else if (g_error_matches (error, RTMP_CORE_ERROR,
          RTMP_CORE_ERROR_QUEUE_FULL)) {
    pub->send_errors++;
    g_clear_error (&error);
  } else {
    pub_fail (pub, error);
    g_clear_error (&error);
  }
  rtmp_core_message_unref (msg);
}

static void
pub_send_video (Publisher * pub, gint64 due_us)
{
  LoadGen *gen = pub->gen;
  guint64 frame = pub->video_sent;
  gboolean key = frame % (guint64) (gen->fps * KEYFRAME_INTERVAL_S) == 0;

  gen->video_template[0] = key ? 0x17 : 0x27;
  write_be32 (gen->video_template + 5, (guint32) frame);
  pub_send (pub, RTMP_CORE_MESSAGE_VIDEO, gen->video_template,
      gen->video_size, due_us);
  pub->video_sent++;
}

static void
pub_send_audio (Publisher * pub, gint64 due_us)
{
  LoadGen *gen = pub->gen;

  write_be32 (gen->audio_template + 2, (guint32) pub->audio_sent);
  pub_send (pub, RTMP_CORE_MESSAGE_AUDIO, gen->audio_template,
      gen->audio_size, due_us);
  pub->audio_sent++;
}

static void
pub_send_headers (Publisher * pub)
{
  /* AVCDecoderConfigurationRecord shape (version 1, High profile, one
   * tiny SPS and PPS) and AudioSpecificConfig for AAC-LC 48 kHz stereo:
   * the server passes them through, a player would accept them. */
  static const guint8 avc_header[] = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x28, 0xff, 0xe1,
    0x00, 0x04, 0x67, 0x64, 0x00, 0x28, 0x01, 0x00, 0x04, 0x68, 0xee,
    0x3c, 0x80
  };
  static const guint8 aac_header[] = { 0xaf, 0x00, 0x11, 0x90 };

  pub_send (pub, RTMP_CORE_MESSAGE_VIDEO, avc_header, sizeof (avc_header),
      pub->start_us);
  pub_send (pub, RTMP_CORE_MESSAGE_AUDIO, aac_header, sizeof (aac_header),
      pub->start_us);
}

static void
on_stopped (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Publisher *pub = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_stop_finish (pub->client, result, &error)) {
    pub_fail (pub, error);
    g_error_free (error);
    return;
  }
  if (pub->state != PUB_STOPPING)
    return;
  pub->state = PUB_DONE;
  pub->gen->finished++;
  if (pub->gen->finished == pub->gen->n)
    g_main_loop_quit (pub->gen->loop);
}

static void
on_published (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Publisher *pub = user_data;
  LoadGen *gen = pub->gen;
  GError *error = NULL;

  if (!rtmp_core_client_publish_finish (pub->client, result, &error)) {
    pub_fail (pub, error);
    g_error_free (error);
    return;
  }
  pub->state = PUB_PUBLISHING;
  pub->start_us = g_get_monotonic_time ();
  /* audio half a video interval after video, so sends spread out */
  pub->next_video_us = pub->start_us;
  pub->next_audio_us = pub->start_us + gen->video_interval_us / 2;
  pub_send_headers (pub);
  gen->publishing++;
  check_all_up (gen);
}

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Publisher *pub = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_connect_finish (pub->client, result, &error)) {
    pub_fail (pub, error);
    g_error_free (error);
    return;
  }
  rtmp_core_client_publish_async (pub->client, NULL, on_published, pub);
}

static void
pub_start (Publisher * pub)
{
  gchar *location = g_strdup_printf ("%s/%s", pub->gen->base_url, pub->name);
  GError *error = NULL;
  RtmpCoreUrl *url = rtmp_core_url_parse (location, &error);

  g_free (location);
  if (url == NULL) {
    pub_fail (pub, error);
    g_error_free (error);
    return;
  }
  pub->client = rtmp_core_client_new (url);
  rtmp_core_url_free (url);
  pub->state = PUB_CONNECTING;
  rtmp_core_client_connect_async (pub->client, NULL, on_connected, pub);
}

static void
stop_all (LoadGen * gen)
{
  guint i;

  gen->stopping = TRUE;
  for (i = 0; i < gen->n; i++) {
    Publisher *pub = &gen->pubs[i];

    if (pub->state == PUB_PUBLISHING) {
      pub->state = PUB_STOPPING;
      gen->publishing--;
      rtmp_core_client_stop_async (pub->client, NULL, on_stopped, pub);
    }
  }
}

/* One timer drives everything: the connection ramp, the pacing of every
 * publisher, and the end of the run. */
static gboolean
on_tick (gpointer user_data)
{
  LoadGen *gen = user_data;
  gint64 now = g_get_monotonic_time ();
  guint target, i;

  target = MIN (gen->n,
      (guint) ((now - gen->ramp_start_us) * gen->ramp / G_USEC_PER_SEC) + 1);
  while (gen->started < target)
    pub_start (&gen->pubs[gen->started++]);

  for (i = 0; i < gen->n; i++) {
    Publisher *pub = &gen->pubs[i];

    while (pub->state == PUB_PUBLISHING && pub->next_video_us <= now) {
      gen->max_lateness_us = MAX (gen->max_lateness_us,
          now - pub->next_video_us);
      pub_send_video (pub, pub->next_video_us);
      pub->next_video_us += gen->video_interval_us;
    }
    while (pub->state == PUB_PUBLISHING && pub->next_audio_us <= now) {
      pub_send_audio (pub, pub->next_audio_us);
      pub->next_audio_us += gen->audio_interval_us;
    }
  }

  if (gen->stop_at_us != 0 && now >= gen->stop_at_us) {
    stop_all (gen);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static void
print_report (LoadGen * gen)
{
  guint64 video = 0, audio = 0, bytes = 0, errors = 0;
  struct rusage ru;
  gdouble cpu_s;
  guint i;

  for (i = 0; i < gen->n; i++) {
    Publisher *pub = &gen->pubs[i];

    g_print ("stream=%s video_sent=%" G_GUINT64_FORMAT " audio_sent=%"
        G_GUINT64_FORMAT " bytes_sent=%" G_GUINT64_FORMAT " queue_full=%"
        G_GUINT64_FORMAT " ok=%d\n", pub->name, pub->video_sent,
        pub->audio_sent, pub->bytes_sent, pub->send_errors,
        pub->state == PUB_DONE);
    video += pub->video_sent;
    audio += pub->audio_sent;
    bytes += pub->bytes_sent;
    errors += pub->send_errors;
  }
  getrusage (RUSAGE_SELF, &ru);
  cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
      ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  g_print ("summary publishers=%u failed=%u video_sent=%" G_GUINT64_FORMAT
      " audio_sent=%" G_GUINT64_FORMAT " bytes_sent=%" G_GUINT64_FORMAT
      " queue_full=%" G_GUINT64_FORMAT " ramp_s=%.2f max_lateness_ms=%.1f"
      " cpu_s=%.2f\n", gen->n, gen->failed, video, audio, bytes, errors,
      gen->all_up_us ? (gen->all_up_us - gen->ramp_start_us) / 1e6 : -1.0,
      gen->max_lateness_us / 1e3, cpu_s);
}

int
main (int argc, char **argv)
{
  gchar *url = NULL;
  gint n = 10;
  LoadGen gen = { 0 };
  GOptionEntry entries[] = {
    {"url", 'u', 0, G_OPTION_ARG_STRING, &url,
        "Base location rtmp://HOST:PORT/APP (streams are s0000, s0001, ...)",
        "URL"},
    {"publishers", 'n', 0, G_OPTION_ARG_INT, &n, "Publishers", "N"},
    {"duration", 'd', 0, G_OPTION_ARG_INT, &gen.duration_s,
        "Seconds to stream once all publish", "S"},
    {"fps", 0, 0, G_OPTION_ARG_INT, &gen.fps, "Video messages per second",
        "F"},
    {"video-size", 0, 0, G_OPTION_ARG_INT, &gen.video_size,
        "Bytes per video message", "B"},
    {"audio-rate", 0, 0, G_OPTION_ARG_INT, &gen.audio_rate,
        "Audio messages per second", "R"},
    {"audio-size", 0, 0, G_OPTION_ARG_INT, &gen.audio_size,
        "Bytes per audio message", "B"},
    {"ramp", 0, 0, G_OPTION_ARG_INT, &gen.ramp,
        "Connections opened per second", "R"},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx =
      g_option_context_new ("- RTMP publisher load generator");
  GError *error = NULL;
  guint i;

  gen.duration_s = 15;
  gen.fps = 25;
  gen.video_size = 10000;
  gen.audio_rate = 50;
  gen.audio_size = 200;
  gen.ramp = 200;
  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || url == NULL) {
    g_printerr ("%s\n", error ? error->message : "--url is required");
    return EXIT_FAILURE;
  }
  g_option_context_free (ctx);
  if (n < 1 || gen.fps < 1 || gen.audio_rate < 1 || gen.video_size < 9 ||
      gen.audio_size < 6 || gen.ramp < 1 || gen.duration_s < 1) {
    g_printerr ("invalid arguments\n");
    return EXIT_FAILURE;
  }

  gen.loop = g_main_loop_new (NULL, FALSE);
  gen.base_url = url;
  gen.n = n;
  gen.video_interval_us = G_USEC_PER_SEC / gen.fps;
  gen.audio_interval_us = G_USEC_PER_SEC / gen.audio_rate;
  gen.video_template = g_malloc (gen.video_size);
  gen.audio_template = g_malloc (gen.audio_size);
  /* pseudo-random filler, so that nothing on the way could compress it */
  for (i = 0; i < (guint) gen.video_size; i++)
    gen.video_template[i] = (guint8) (i * 2654435761u >> 13);
  for (i = 0; i < (guint) gen.audio_size; i++)
    gen.audio_template[i] = (guint8) (i * 40503u >> 5);
  /* AVC NALU packet, composition time 0; AAC raw frame */
  gen.video_template[1] = 1;
  gen.video_template[2] = gen.video_template[3] = gen.video_template[4] = 0;
  gen.audio_template[0] = 0xaf;
  gen.audio_template[1] = 1;

  gen.pubs = g_new0 (Publisher, gen.n);
  for (i = 0; i < gen.n; i++) {
    gen.pubs[i].gen = &gen;
    gen.pubs[i].index = i;
    gen.pubs[i].name = g_strdup_printf ("s%04u", i);
  }

  gen.ramp_start_us = g_get_monotonic_time ();
  g_timeout_add (TICK_MS, on_tick, &gen);
  g_main_loop_run (gen.loop);

  print_report (&gen);
  for (i = 0; i < gen.n; i++) {
    g_clear_object (&gen.pubs[i].client);
    g_free (gen.pubs[i].name);
  }
  g_free (gen.pubs);
  g_free (gen.video_template);
  g_free (gen.audio_template);
  g_free (url);
  g_main_loop_unref (gen.loop);
  return gen.failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
