/* rtmp-ingest-host: the scale benchmark's server side. One process, one
 * main loop, one RtmpCoreServer (the server core rtmpserversrc runs on)
 * that accepts every publisher and counts what each one delivers.
 *
 *   rtmp-ingest-host --expect N [--port P]
 *
 * It prints "port=P" once listening. Media payloads written by
 * rtmp-loadgen carry a per-stream sequence number, so gaps (lost or
 * reordered messages) are counted too. The measurement window opens when
 * N publishers are publishing and closes when the first one stops (or on
 * SIGINT/SIGTERM); CPU and RSS are sampled at both ends. On SIGINT or
 * SIGTERM it prints one "stream=..." line per publisher and a "summary"
 * line, then exits. */
#include <rtmpcore.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
  gchar *name;
  guint64 video, audio, data, bytes;
  guint32 next_video_seq, next_audio_seq;
  guint64 gaps;
  gboolean stopped;
  gboolean failed;              /* stopped with an error */
} Stream;

typedef struct {
  gint64 wall_us;
  gint64 cpu_us;
  gint64 rss_kib;
} Sample;

typedef struct {
  GMainLoop *loop;
  RtmpCoreServer *server;
  GHashTable *streams;          /* RtmpCoreServerSession* -> Stream* */
  GPtrArray *all;               /* every Stream, in publish order */
  guint expect;
  guint publishing;
  guint sessions_closed_with_error;
  Sample baseline, all_up, window_end;
  gboolean window_open, window_closed;
} Host;

static gint64
read_rss_kib (void)
{
  gchar *status = NULL;
  const gchar *line;
  gint64 kib = -1;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "VmRSS:");
  if (line)
    kib = g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
  g_free (status);
  return kib;
}

static void
take_sample (Sample * s)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  s->wall_us = g_get_monotonic_time ();
  s->cpu_us = (gint64) ru.ru_utime.tv_sec * G_USEC_PER_SEC +
      ru.ru_utime.tv_usec + (gint64) ru.ru_stime.tv_sec * G_USEC_PER_SEC +
      ru.ru_stime.tv_usec;
  s->rss_kib = read_rss_kib ();
}

static void
stream_free (gpointer data)
{
  Stream *st = data;

  g_free (st->name);
  g_free (st);
}

/* Payload layout written by rtmp-loadgen: AVC NALU video (0x17/0x27, 1,
 * CTS) then a big-endian sequence number at offset 5; AAC raw audio (0xAF,
 * 1) then the sequence number at offset 2. */
static guint32
read_be32 (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) |
      ((guint32) p[2] << 8) | p[3];
}

static void
check_sequence (Stream * st, const RtmpCoreMessage * msg)
{
  gsize size;
  const guint8 *d = rtmp_core_message_peek_data (msg, &size);
  guint32 seq;

  if (msg->type == RTMP_CORE_MESSAGE_VIDEO && size >= 9 && d[1] == 1) {
    seq = read_be32 (d + 5);
    if (seq != st->next_video_seq)
      st->gaps++;
    st->next_video_seq = seq + 1;
  } else if (msg->type == RTMP_CORE_MESSAGE_AUDIO && size >= 6 && d[1] == 1) {
    seq = read_be32 (d + 2);
    if (seq != st->next_audio_seq)
      st->gaps++;
    st->next_audio_seq = seq + 1;
  }
}

static void
on_media (RtmpCoreServer * server, RtmpCoreServerSession * session,
    RtmpCoreMessage * msg, Host * host)
{
  Stream *st = g_hash_table_lookup (host->streams, session);

  if (st == NULL)
    return;
  switch (msg->type) {
    case RTMP_CORE_MESSAGE_VIDEO:
      st->video++;
      break;
    case RTMP_CORE_MESSAGE_AUDIO:
      st->audio++;
      break;
    default:
      st->data++;
      break;
  }
  st->bytes += rtmp_core_message_get_size (msg);
  check_sequence (st, msg);
}

static void
on_publish_started (RtmpCoreServer * server, RtmpCoreServerSession * session,
    Host * host)
{
  Stream *st = g_new0 (Stream, 1);

  st->name = g_strdup (rtmp_core_server_session_get_stream (session));
  g_hash_table_insert (host->streams, session, st);
  g_ptr_array_add (host->all, st);
  host->publishing++;
  if (!host->window_open && host->publishing >= host->expect) {
    take_sample (&host->all_up);
    host->window_open = TRUE;
    g_printerr ("ingest-host: %u publishers up\n", host->publishing);
  }
}

static void
on_publish_stopped (RtmpCoreServer * server, RtmpCoreServerSession * session,
    const GError * reason, Host * host)
{
  Stream *st = g_hash_table_lookup (host->streams, session);

  if (host->window_open && !host->window_closed) {
    take_sample (&host->window_end);
    host->window_closed = TRUE;
  }
  if (st == NULL)
    return;
  st->stopped = TRUE;
  st->failed = reason != NULL;
  if (reason)
    g_printerr ("ingest-host: %s stopped: %s\n", st->name, reason->message);
  g_hash_table_remove (host->streams, session);
  host->publishing--;
}

static gboolean
on_quit_signal (gpointer user_data)
{
  Host *host = user_data;

  g_main_loop_quit (host->loop);
  return G_SOURCE_CONTINUE;
}

static void
print_report (Host * host)
{
  guint64 video = 0, audio = 0, bytes = 0, gaps = 0;
  guint failed = 0, i;
  gdouble window_s = 0, cpu_pct = 0;
  gint64 rss_up = 0, rss_end = 0;

  if (host->window_open && !host->window_closed)
    take_sample (&host->window_end);

  for (i = 0; i < host->all->len; i++) {
    Stream *st = g_ptr_array_index (host->all, i);

    g_print ("stream=%s video=%" G_GUINT64_FORMAT " audio=%" G_GUINT64_FORMAT
        " bytes=%" G_GUINT64_FORMAT " gaps=%" G_GUINT64_FORMAT " failed=%d\n",
        st->name, st->video, st->audio, st->bytes, st->gaps, st->failed);
    video += st->video;
    audio += st->audio;
    bytes += st->bytes;
    gaps += st->gaps;
    failed += st->failed;
  }

  if (host->window_open) {
    window_s = (host->window_end.wall_us - host->all_up.wall_us) / 1e6;
    if (window_s > 0)
      cpu_pct = 100.0 * (host->window_end.cpu_us - host->all_up.cpu_us) /
          (window_s * 1e6);
    rss_up = host->all_up.rss_kib;
    rss_end = host->window_end.rss_kib;
  }
  g_print ("summary publishers=%u video=%" G_GUINT64_FORMAT " audio=%"
      G_GUINT64_FORMAT " bytes=%" G_GUINT64_FORMAT " gaps=%" G_GUINT64_FORMAT
      " failed=%u window_s=%.2f cpu_pct=%.1f rss_base_kib=%" G_GINT64_FORMAT
      " rss_all_up_kib=%" G_GINT64_FORMAT " rss_end_kib=%" G_GINT64_FORMAT
      "\n", host->all->len, video, audio, bytes, gaps, failed, window_s,
      cpu_pct, host->baseline.rss_kib, rss_up, rss_end);
}

int
main (int argc, char **argv)
{
  gint port = 0, expect = 1;
  GOptionEntry entries[] = {
    {"port", 'p', 0, G_OPTION_ARG_INT, &port, "Port (0: a free one)", "P"},
    {"expect", 'n', 0, G_OPTION_ARG_INT, &expect,
        "Publishers to wait for before measuring", "N"},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx =
      g_option_context_new ("- RTMP ingest host for the scale benchmark");
  GError *error = NULL;
  Host host = { 0 };

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error)) {
    g_printerr ("%s\n", error->message);
    return EXIT_FAILURE;
  }
  g_option_context_free (ctx);

  host.expect = MAX (expect, 1);
  port = CLAMP (port, 0, 65535);
  host.loop = g_main_loop_new (NULL, FALSE);
  host.streams = g_hash_table_new (NULL, NULL);
  host.all = g_ptr_array_new_with_free_func (stream_free);
  host.server = g_object_new (RTMP_CORE_TYPE_SERVER, "address", "127.0.0.1",
      "port", (guint) port, "max-connections", 0, NULL);
  g_signal_connect (host.server, "media", G_CALLBACK (on_media), &host);
  g_signal_connect (host.server, "publish-started",
      G_CALLBACK (on_publish_started), &host);
  g_signal_connect (host.server, "publish-stopped",
      G_CALLBACK (on_publish_stopped), &host);
  g_unix_signal_add (SIGINT, on_quit_signal, &host);
  g_unix_signal_add (SIGTERM, on_quit_signal, &host);

  if (!rtmp_core_server_start (host.server, NULL, &error)) {
    g_printerr ("cannot start the server: %s\n", error->message);
    return EXIT_FAILURE;
  }
  take_sample (&host.baseline);
  g_print ("port=%u\n", rtmp_core_server_get_current_port (host.server));
  fflush (stdout);

  g_main_loop_run (host.loop);

  print_report (&host);
  rtmp_core_server_stop (host.server);
  g_object_unref (host.server);
  g_hash_table_unref (host.streams);
  g_ptr_array_unref (host.all);
  g_main_loop_unref (host.loop);
  return EXIT_SUCCESS;
}
