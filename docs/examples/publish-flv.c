/* rtmpcore-publish-flv: publishes an FLV file to an RTMP server with
 * librtmpcore, in the file's own pace (--realtime) or as fast as the
 * connection takes it.
 *
 *   rtmpcore-publish-flv [--realtime] in.flv rtmp://127.0.0.1/live/key
 *
 * It shows the intended use of the GIO layer: one GMainLoop, the client's
 * _async/_finish calls chained through callbacks, and back-pressure from
 * the connection's bounded queue ("queue-drained"). */
#include <stdlib.h>
#include <rtmpcore.h>

typedef struct {
  GMainLoop *loop;
  RtmpCoreClient *client;
  GPtrArray *tags;              /* every tag of the file, owned messages */
  guint next;                   /* index of the next tag to send */
  gboolean realtime;
  gint64 start_us;              /* monotonic time of the first tag */
  guint32 first_ts;
  gboolean stopping;            /* stop_async called: send nothing more */
  gint status;
} Publisher;

static void send_tags (Publisher * pub);

static void
collect_tag (const RtmpCoreMessage * tag, gpointer user_data)
{
  g_ptr_array_add (user_data, rtmp_core_message_copy (tag));
}

static GPtrArray *
read_flv (const gchar * path, GError ** error)
{
  GPtrArray *tags = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rtmp_core_message_unref);
  RtmpCoreFlvParser *parser = rtmp_core_flv_parser_new ();
  gchar *contents = NULL;
  gsize len = 0;
  gboolean ok;

  rtmp_core_flv_parser_set_callback (parser, collect_tag, tags, NULL);
  ok = g_file_get_contents (path, &contents, &len, error) &&
      rtmp_core_flv_parser_feed (parser, (const guint8 *) contents, len, error) &&
      rtmp_core_flv_parser_finish (parser, error);
  rtmp_core_flv_parser_unref (parser);
  g_free (contents);
  if (!ok)
    g_clear_pointer (&tags, g_ptr_array_unref);
  return tags;
}

static void
finish (Publisher * pub, gint status, const GError * error)
{
  if (error)
    g_printerr ("error: %s\n", error->message);
  pub->status = status;
  g_main_loop_quit (pub->loop);
}

static void
on_stopped (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Publisher *pub = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_stop_finish (pub->client, result, &error)) {
    finish (pub, EXIT_FAILURE, error);
    g_error_free (error);
    return;
  }
  g_print ("sent %u tags\n", pub->tags->len);
  finish (pub, EXIT_SUCCESS, NULL);
}

static gboolean
send_tags_again (gpointer user_data)
{
  send_tags (user_data);
  return G_SOURCE_REMOVE;
}

/* Sends until the queue is full (then "queue-drained" calls us again), the
 * next tag is not due yet (--realtime), or the file is done. */
static void
send_tags (Publisher * pub)
{
  /* "queue-drained" may still fire while the stop commands flush. */
  if (pub->stopping)
    return;
  while (pub->next < pub->tags->len) {
    RtmpCoreMessage *tag = g_ptr_array_index (pub->tags, pub->next);
    GError *error = NULL;

    if (pub->realtime) {
      gint64 due = pub->start_us +
          (gint64) rtmp_core_timestamp_diff (tag->timestamp, pub->first_ts) * 1000;
      gint64 now = g_get_monotonic_time ();

      if (due > now) {
        g_timeout_add (MAX (1, (due - now) / 1000), send_tags_again, pub);
        return;
      }
    }

    if (!rtmp_core_client_send_media (pub->client, tag, &error)) {
      if (g_error_matches (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_QUEUE_FULL)) {
        g_error_free (error);
        return;
      }
      finish (pub, EXIT_FAILURE, error);
      g_error_free (error);
      return;
    }
    pub->next++;
  }
  pub->stopping = TRUE;
  rtmp_core_client_stop_async (pub->client, NULL, on_stopped, pub);
}

static void
on_queue_drained (RtmpCoreConnection * conn, gpointer user_data)
{
  send_tags (user_data);
}

static void
on_published (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Publisher *pub = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_publish_finish (pub->client, result, &error)) {
    finish (pub, EXIT_FAILURE, error);
    g_error_free (error);
    return;
  }
  g_signal_connect (rtmp_core_client_get_connection (pub->client),
      "queue-drained", G_CALLBACK (on_queue_drained), pub);
  pub->start_us = g_get_monotonic_time ();
  send_tags (pub);
}

static void
on_connected (GObject * source, GAsyncResult * result, gpointer user_data)
{
  Publisher *pub = user_data;
  GError *error = NULL;

  if (!rtmp_core_client_connect_finish (pub->client, result, &error)) {
    finish (pub, EXIT_FAILURE, error);
    g_error_free (error);
    return;
  }
  rtmp_core_client_publish_async (pub->client, NULL, on_published, pub);
}

int
main (int argc, char **argv)
{
  gboolean realtime = FALSE;
  GOptionEntry entries[] = {
    {"realtime", 'r', 0, G_OPTION_ARG_NONE, &realtime,
        "Send tags at the pace of their timestamps", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL}
  };
  GOptionContext *ctx = g_option_context_new ("FILE.flv rtmp[s]://HOST[:PORT]/APP/STREAM");
  Publisher pub = { 0 };
  RtmpCoreUrl *url;
  GError *error = NULL;
  gchar *masked;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 3) {
    g_printerr ("%s\n", error ? error->message : "need a file and a location");
    g_printerr ("%s", g_option_context_get_help (ctx, TRUE, NULL));
    return EXIT_FAILURE;
  }
  g_option_context_free (ctx);

  url = rtmp_core_url_parse (argv[2], &error);
  pub.tags = url ? read_flv (argv[1], &error) : NULL;
  if (pub.tags == NULL) {
    g_printerr ("error: %s\n", error->message);
    return EXIT_FAILURE;
  }
  if (pub.tags->len == 0) {
    g_printerr ("error: %s holds no FLV tags\n", argv[1]);
    return EXIT_FAILURE;
  }

  pub.realtime = realtime;
  pub.first_ts = ((RtmpCoreMessage *) g_ptr_array_index (pub.tags, 0))->timestamp;
  pub.loop = g_main_loop_new (NULL, FALSE);
  pub.client = rtmp_core_client_new (url);
  masked = rtmp_core_url_to_masked_string (url);
  g_print ("publishing %u tags to %s\n", pub.tags->len, masked);
  g_free (masked);

  rtmp_core_client_connect_async (pub.client, NULL, on_connected, &pub);
  g_main_loop_run (pub.loop);

  g_object_unref (pub.client);
  g_main_loop_unref (pub.loop);
  g_ptr_array_unref (pub.tags);
  rtmp_core_url_free (url);
  return pub.status;
}
