/* Process-wide RTMP servers shared by rtmpserversrc elements.
 *
 * One ServerEntry per address:port runs an RtmpCoreServer in its own thread
 * and GMainContext, and lives as long as a route uses it. Routes are only
 * touched in that thread (additions and removals are run there
 * synchronously), so once gst_rtmp_server_registry_remove_route() returns
 * no callback of the route runs any more.
 *
 * The server's own one-publisher-per-name rule is switched off
 * (allow-publisher-takeover) because a route with an unset stream covers
 * many names: the rule "one publisher per route, unless the route allows
 * a takeover" is applied here instead. */
#include "gstrtmpserverregistry.h"

GST_DEBUG_CATEGORY_STATIC (rtmp_server_registry_debug);
#define GST_CAT_DEFAULT rtmp_server_registry_debug

typedef struct {
  gint n_routes;                /* under registry_lock */
  gchar *address;
  GstRtmpServerConfig config;   /* address points to @address */
  guint port;

  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  RtmpCoreServer *server;

  /* server thread only */
  GList *routes;
  GHashTable *bindings;         /* RtmpCoreServerSession* -> route */
} ServerEntry;

struct _GstRtmpServerRoute
{
  ServerEntry *entry;
  gchar *application;
  gchar *stream;
  gboolean allow_takeover;
  GstRtmpServerRouteFuncs funcs;
  gpointer user_data;

  GMutex lock;                  /* guards @session for the stats */
  RtmpCoreServerSession *session;
};

static GMutex registry_lock;
static GList *entries;

/* ---- running code in the server thread ---- */

typedef struct {
  GSourceFunc func;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_call_run (gpointer user_data)
{
  SyncCall *call = user_data;

  call->func (call->data);
  g_mutex_lock (&call->lock);
  call->done = TRUE;
  g_cond_signal (&call->cond);
  g_mutex_unlock (&call->lock);
  return G_SOURCE_REMOVE;
}

/* Runs @func in @entry's thread and waits for it; runs it directly when
 * called from that thread (e.g. from a bus sync handler). */
static void
run_sync (ServerEntry * entry, GSourceFunc func, gpointer data)
{
  SyncCall call = { 0, };

  call.func = func;
  call.data = data;
  if (g_main_context_is_owner (entry->context)) {
    func (data);
    return;
  }
  g_mutex_init (&call.lock);
  g_cond_init (&call.cond);
  g_main_context_invoke (entry->context, sync_call_run, &call);
  g_mutex_lock (&call.lock);
  while (!call.done)
    g_cond_wait (&call.cond, &call.lock);
  g_mutex_unlock (&call.lock);
  g_mutex_clear (&call.lock);
  g_cond_clear (&call.cond);
}

static gpointer
server_thread (gpointer user_data)
{
  ServerEntry *entry = user_data;

  g_main_context_push_thread_default (entry->context);
  g_main_loop_run (entry->loop);
  g_main_context_pop_thread_default (entry->context);
  return NULL;
}

/* ---- routing (server thread) ---- */

static gchar *
masked (const gchar * secret)
{
  return rtmp_core_mask_secret (secret ? secret : "");
}

/* The route of @session: the one that names the most of application and
 * stream among those that match; the first added on a tie. */
static GstRtmpServerRoute *
find_route (ServerEntry * entry, RtmpCoreServerSession * session)
{
  const gchar *app = rtmp_core_server_session_get_application (session);
  const gchar *stream = rtmp_core_server_session_get_stream (session);
  GstRtmpServerRoute *best = NULL;
  gint best_score = -1;
  GList *l;

  for (l = entry->routes; l; l = l->next) {
    GstRtmpServerRoute *route = l->data;
    gint score = 0;

    if (route->application) {
      if (g_strcmp0 (route->application, app) != 0)
        continue;
      score++;
    }
    if (route->stream) {
      if (g_strcmp0 (route->stream, stream) != 0)
        continue;
      score++;
    }
    if (score > best_score) {
      best = route;
      best_score = score;
    }
  }
  return best;
}

static void
bind_session (ServerEntry * entry, GstRtmpServerRoute * route,
    RtmpCoreServerSession * session)
{
  g_hash_table_insert (entry->bindings, g_object_ref (session), route);
  g_mutex_lock (&route->lock);
  g_set_object (&route->session, session);
  g_mutex_unlock (&route->lock);
}

/* Returns the route @session was bound to, now unbound, or NULL. */
static GstRtmpServerRoute *
unbind_session (ServerEntry * entry, RtmpCoreServerSession * session)
{
  GstRtmpServerRoute *route = g_hash_table_lookup (entry->bindings, session);

  if (route == NULL)
    return NULL;
  g_mutex_lock (&route->lock);
  if (route->session == session)
    g_clear_object (&route->session);
  g_mutex_unlock (&route->lock);
  g_hash_table_remove (entry->bindings, session);
  return route;
}

static RtmpCoreServerDecision
on_publish_request (RtmpCoreServer * server, RtmpCoreServerSession * session,
    ServerEntry * entry)
{
  GstRtmpServerRoute *route = find_route (entry, session);
  RtmpCoreServerSession *old;
  RtmpCoreServerDecision decision;
  GError *error;
  gchar *key;

  if (route == NULL) {
    key = masked (rtmp_core_server_session_get_stream (session));
    GST_INFO ("port %u: no rtmpserversrc for application \"%s\" stream "
        "\"%s\": refused", entry->port,
        rtmp_core_server_session_get_application (session), key);
    g_free (key);
    return RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME;
  }
  if (route->session && !route->allow_takeover) {
    GST_INFO ("port %u: %s: the route is busy and takeover is not allowed",
        entry->port, rtmp_core_server_session_get_remote_address (session));
    return RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME;
  }

  decision = route->funcs.request (session, route->user_data);
  if (decision != RTMP_CORE_SERVER_DECISION_ACCEPT)
    return decision;

  if (route->session) {
    old = g_object_ref (route->session);
    unbind_session (entry, old);
    error = g_error_new (RTMP_CORE_ERROR, RTMP_CORE_ERROR_REFUSED,
        "Publisher %s took over from %s",
        rtmp_core_server_session_get_remote_address (session),
        rtmp_core_server_session_get_remote_address (old));
    route->funcs.stopped (old, error, TRUE, route->user_data);
    rtmp_core_server_session_close (old, error);
    g_error_free (error);
    g_object_unref (old);
  }
  bind_session (entry, route, session);
  return RTMP_CORE_SERVER_DECISION_ACCEPT;
}

static void
on_publish_started (RtmpCoreServer * server, RtmpCoreServerSession * session,
    ServerEntry * entry)
{
  GstRtmpServerRoute *route = g_hash_table_lookup (entry->bindings, session);

  if (route)
    route->funcs.started (session, route->user_data);
}

static void
on_media (RtmpCoreServer * server, RtmpCoreServerSession * session,
    const RtmpCoreMessage * msg, ServerEntry * entry)
{
  GstRtmpServerRoute *route = g_hash_table_lookup (entry->bindings, session);

  if (route)
    route->funcs.media (session, msg, route->user_data);
}

static void
on_publish_stopped (RtmpCoreServer * server, RtmpCoreServerSession * session,
    const GError * reason, ServerEntry * entry)
{
  GstRtmpServerRoute *route = unbind_session (entry, session);

  if (route)
    route->funcs.stopped (session, reason, FALSE, route->user_data);
}

/* A session accepted by a route that closed before its publish started. */
static void
on_session_closed (RtmpCoreServer * server, RtmpCoreServerSession * session,
    const GError * reason, ServerEntry * entry)
{
  unbind_session (entry, session);
}

/* ---- server entries ---- */

typedef struct {
  ServerEntry *entry;
  GError *error;
} StartCall;

static gboolean
start_server (gpointer user_data)
{
  StartCall *call = user_data;
  ServerEntry *entry = call->entry;
  const GstRtmpServerConfig *c = &entry->config;

  entry->server = g_object_new (RTMP_CORE_TYPE_SERVER, "address", c->address,
      "port", c->port, "tls-certificate", c->certificate, "max-connections",
      c->max_connections, "handshake-timeout", c->handshake_timeout,
      "idle-timeout", c->idle_timeout, "max-message-size",
      c->max_message_size, "allow-publisher-takeover", TRUE, NULL);
  g_signal_connect (entry->server, "publish-request",
      G_CALLBACK (on_publish_request), entry);
  g_signal_connect (entry->server, "publish-started",
      G_CALLBACK (on_publish_started), entry);
  g_signal_connect (entry->server, "media", G_CALLBACK (on_media), entry);
  g_signal_connect (entry->server, "publish-stopped",
      G_CALLBACK (on_publish_stopped), entry);
  g_signal_connect (entry->server, "session-closed",
      G_CALLBACK (on_session_closed), entry);
  if (rtmp_core_server_start (entry->server, entry->context, &call->error))
    entry->port = rtmp_core_server_get_current_port (entry->server);
  else
    g_clear_object (&entry->server);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_server (gpointer user_data)
{
  ServerEntry *entry = user_data;

  g_signal_handlers_disconnect_by_data (entry->server, entry);
  rtmp_core_server_stop (entry->server);
  g_clear_object (&entry->server);
  g_hash_table_remove_all (entry->bindings);
  return G_SOURCE_REMOVE;
}

static void
entry_free (ServerEntry * entry)
{
  g_main_loop_quit (entry->loop);
  g_thread_join (entry->thread);
  g_main_loop_unref (entry->loop);
  g_main_context_unref (entry->context);
  g_hash_table_unref (entry->bindings);
  g_clear_object (&entry->config.certificate);
  g_free (entry->address);
  g_free (entry);
}

static ServerEntry *
entry_new (const GstRtmpServerConfig * config, GError ** error)
{
  ServerEntry *entry = g_new0 (ServerEntry, 1);
  StartCall call = { entry, NULL };

  entry->address = g_strdup (config->address);
  entry->config = *config;
  entry->config.address = entry->address;
  if (config->certificate)
    g_object_ref (config->certificate);
  entry->context = g_main_context_new ();
  entry->loop = g_main_loop_new (entry->context, FALSE);
  entry->bindings = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  entry->thread = g_thread_new ("rtmpserver", server_thread, entry);

  run_sync (entry, start_server, &call);
  if (call.error) {
    g_propagate_error (error, call.error);
    entry_free (entry);
    return NULL;
  }
  return entry;
}

static gboolean
same_certificate (GTlsCertificate * a, GTlsCertificate * b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_tls_certificate_is_same (a, b);
}

/* An entry listening where @config asks (never for port 0), checked for
 * settings that must agree; NULL without error when there is none. */
static ServerEntry *
find_entry (const GstRtmpServerConfig * config, GError ** error)
{
  GList *l;

  if (config->port == 0)
    return NULL;
  for (l = entries; l; l = l->next) {
    ServerEntry *e = l->data;
    const GstRtmpServerConfig *c = &e->config;

    if (e->port != config->port || g_strcmp0 (e->address, config->address))
      continue;
    if (!same_certificate (c->certificate, config->certificate)) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_FAILED,
          "Port %u is already served %s TLS by another rtmpserversrc: "
          "elements sharing a port must use the same certificate",
          config->port, c->certificate ? "with a different" : "without");
      return NULL;
    }
    if (c->max_connections != config->max_connections ||
        c->handshake_timeout != config->handshake_timeout ||
        c->idle_timeout != config->idle_timeout ||
        c->max_message_size != config->max_message_size) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_FAILED,
          "Port %u is already served by another rtmpserversrc with other "
          "limits (max-connections %u, timeout %u, idle-timeout %u, "
          "max-message-size %u; this element asks for %u, %u, %u, %u): "
          "elements sharing a port must agree", config->port,
          c->max_connections, c->handshake_timeout, c->idle_timeout,
          c->max_message_size, config->max_connections,
          config->handshake_timeout, config->idle_timeout,
          config->max_message_size);
      return NULL;
    }
    return e;
  }
  return NULL;
}

static void
entry_release (ServerEntry * entry)
{
  g_mutex_lock (&registry_lock);
  if (--entry->n_routes == 0) {
    entries = g_list_remove (entries, entry);
    run_sync (entry, stop_server, entry);
    entry_free (entry);
  }
  g_mutex_unlock (&registry_lock);
}

/* ---- routes ---- */

typedef struct {
  GstRtmpServerRoute *route;
  GError *error;
} RouteCall;

static gboolean
add_route_in_thread (gpointer user_data)
{
  RouteCall *call = user_data;
  GstRtmpServerRoute *route = call->route;
  ServerEntry *entry = route->entry;
  GList *l;

  for (l = entry->routes; l; l = l->next) {
    GstRtmpServerRoute *other = l->data;

    if (g_strcmp0 (other->application, route->application) == 0 &&
        g_strcmp0 (other->stream, route->stream) == 0) {
      gchar *key = masked (route->stream);

      g_set_error (&call->error, RTMP_CORE_ERROR,
          RTMP_CORE_ERROR_FAILED,
          "Another rtmpserversrc on port %u already serves application "
          "\"%s\" stream \"%s\"", entry->port,
          route->application ? route->application : "(any)",
          route->stream ? key : "(any)");
      g_free (key);
      return G_SOURCE_REMOVE;
    }
  }
  entry->routes = g_list_append (entry->routes, route);
  return G_SOURCE_REMOVE;
}

/* Removes the route and closes its publisher, if any: a closed element
 * must not leave an encoder streaming into nothing. */
static gboolean
remove_route_in_thread (gpointer user_data)
{
  GstRtmpServerRoute *route = user_data;
  ServerEntry *entry = route->entry;
  RtmpCoreServerSession *session;

  entry->routes = g_list_remove (entry->routes, route);
  g_mutex_lock (&route->lock);
  session = route->session ? g_object_ref (route->session) : NULL;
  g_mutex_unlock (&route->lock);
  if (session) {
    unbind_session (entry, session);
    rtmp_core_server_session_close (session, NULL);
    g_object_unref (session);
  }
  return G_SOURCE_REMOVE;
}

static void
route_free (GstRtmpServerRoute * route)
{
  g_clear_object (&route->session);
  g_mutex_clear (&route->lock);
  g_free (route->application);
  g_free (route->stream);
  g_free (route);
}

/* Listens as @config says (sharing a server already there) and routes
 * the publishes of @application/@stream (NULL: any) to @funcs. */
GstRtmpServerRoute *
gst_rtmp_server_registry_add_route (const GstRtmpServerConfig * config,
    const gchar * application, const gchar * stream, gboolean allow_takeover,
    const GstRtmpServerRouteFuncs * funcs, gpointer user_data,
    GError ** error)
{
  static gsize debug_once = 0;
  GstRtmpServerRoute *route;
  ServerEntry *entry;
  RouteCall call = { NULL, NULL };
  GError *err = NULL;

  if (g_once_init_enter (&debug_once)) {
    GST_DEBUG_CATEGORY_INIT (rtmp_server_registry_debug, "rtmpserverregistry",
        0, "RTMP servers shared by rtmpserversrc elements");
    g_once_init_leave (&debug_once, 1);
  }

  g_mutex_lock (&registry_lock);
  entry = find_entry (config, &err);
  if (entry == NULL && err == NULL) {
    entry = entry_new (config, &err);
    if (entry)
      entries = g_list_prepend (entries, entry);
  }
  if (entry)
    entry->n_routes++;
  g_mutex_unlock (&registry_lock);
  if (entry == NULL) {
    g_propagate_error (error, err);
    return NULL;
  }

  route = g_new0 (GstRtmpServerRoute, 1);
  route->entry = entry;
  route->application = g_strdup (application);
  route->stream = g_strdup (stream);
  route->allow_takeover = allow_takeover;
  route->funcs = *funcs;
  route->user_data = user_data;
  g_mutex_init (&route->lock);

  call.route = route;
  run_sync (entry, add_route_in_thread, &call);
  if (call.error) {
    g_propagate_error (error, call.error);
    route_free (route);
    entry_release (entry);
    return NULL;
  }
  return route;
}

/* Removes @route: when this returns none of its callbacks runs any more.
 * The server stops with its last route. */
void
gst_rtmp_server_registry_remove_route (GstRtmpServerRoute * route)
{
  ServerEntry *entry = route->entry;

  run_sync (entry, remove_route_in_thread, route);
  route_free (route);
  entry_release (entry);
}

guint
gst_rtmp_server_route_get_port (GstRtmpServerRoute * route)
{
  return route->entry->port;
}

static guint64
lookup_u64 (GVariant * dict, const gchar * key)
{
  guint64 v = 0;

  g_variant_lookup (dict, key, "t", &v);
  return v;
}

static GstStructure *
publisher_stats (RtmpCoreServerSession * session)
{
  GVariant *s = g_variant_ref_sink (rtmp_core_server_session_get_stats
      (session));
  const gchar *address = "", *app = "", *stream = "", *flash = "";
  gint64 rtt = -1;
  GstStructure *st;

  g_variant_lookup (s, "address", "&s", &address);
  g_variant_lookup (s, "application", "&s", &app);
  g_variant_lookup (s, "stream", "&s", &stream);
  g_variant_lookup (s, "flash-version", "&s", &flash);
  g_variant_lookup (s, "rtt-us", "x", &rtt);
  st = gst_structure_new ("publisher", "address", G_TYPE_STRING, address,
      "application", G_TYPE_STRING, app, "stream", G_TYPE_STRING, stream,
      "flash-version", G_TYPE_STRING, flash,
      "bytes", G_TYPE_UINT64, lookup_u64 (s, "bytes-in"),
      "bitrate", G_TYPE_UINT64, lookup_u64 (s, "bitrate"),
      "duration", G_TYPE_UINT64,
      lookup_u64 (s, "publish-duration-ms") * GST_MSECOND,
      "rtt", G_TYPE_UINT64,
      rtt < 0 ? GST_CLOCK_TIME_NONE : (guint64) rtt * GST_USECOND, NULL);
  g_variant_unref (s);
  return st;
}

/* Connection counts of the whole port, and the publisher of this route
 * (stream masked). Thread-safe. */
GstStructure *
gst_rtmp_server_route_get_stats (GstRtmpServerRoute * route)
{
  GVariant *s = g_variant_ref_sink (rtmp_core_server_get_stats
      (route->entry->server));
  GValue publishers = G_VALUE_INIT;
  RtmpCoreServerSession *session;
  guint32 active = 0;
  GstStructure *st;

  g_value_init (&publishers, GST_TYPE_ARRAY);
  g_mutex_lock (&route->lock);
  session = route->session ? g_object_ref (route->session) : NULL;
  g_mutex_unlock (&route->lock);
  if (session) {
    GValue v = G_VALUE_INIT;

    g_value_init (&v, GST_TYPE_STRUCTURE);
    g_value_take_boxed (&v, publisher_stats (session));
    gst_value_array_append_and_take_value (&publishers, &v);
    g_object_unref (session);
  }

  g_variant_lookup (s, "connections-active", "u", &active);
  st = gst_structure_new ("application/x-rtmpserversrc-stats",
      "connections-active", G_TYPE_UINT, active,
      "connections-total", G_TYPE_UINT64, lookup_u64 (s, "connections-total"),
      "connections-refused", G_TYPE_UINT64,
      lookup_u64 (s, "connections-refused"), NULL);
  gst_structure_take_value (st, "publishers", &publishers);
  g_variant_unref (s);
  return st;
}
