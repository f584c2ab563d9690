/* The process-wide registry of RTMP servers used by rtmpserversrc: one
 * RtmpCoreServer per address:port, shared by every element that listens
 * there, served in a thread of its own. Each element adds a route
 * (application, stream; NULL matches anything) and receives the publishes
 * routed to it through callbacks, all called in the server thread. */
#pragma once

#include <gst/gst.h>
#include <rtmpcore.h>

G_BEGIN_DECLS

/**
 * GstRtmpServerConfig:
 * @address: (nullable): address to listen on, %NULL for every interface
 * @port: port, 0 for a free one (never shared)
 * @certificate: (nullable): TLS certificate with key, %NULL for plain RTMP
 * @max_connections: RtmpCoreServer:max-connections
 * @handshake_timeout: RtmpCoreServer:handshake-timeout
 * @idle_timeout: RtmpCoreServer:idle-timeout
 * @max_message_size: RtmpCoreServer:max-message-size
 *
 * How a server listens. Every element sharing a port must give the same.
 */
typedef struct {
  const gchar *address;
  guint port;
  GTlsCertificate *certificate;
  guint max_connections;
  guint handshake_timeout;
  guint idle_timeout;
  guint max_message_size;
} GstRtmpServerConfig;

/**
 * GstRtmpServerRouteFuncs:
 * @request: decides on a publish routed here (the one-publisher rule was
 *   checked already)
 * @started: the publish accepted by @request started; media follows
 * @media: one audio, video or data message (a borrowed view)
 * @stopped: the publish ended; @replaced when a new publisher took over
 *   (its @started follows)
 *
 * Callbacks of a route; all run in the server thread and must not block.
 */
typedef struct {
  RtmpCoreServerDecision (*request) (RtmpCoreServerSession * session,
      gpointer user_data);
  void (*started) (RtmpCoreServerSession * session, gpointer user_data);
  void (*media) (RtmpCoreServerSession * session, const RtmpCoreMessage * msg,
      gpointer user_data);
  void (*stopped) (RtmpCoreServerSession * session, const GError * reason,
      gboolean replaced, gpointer user_data);
} GstRtmpServerRouteFuncs;

typedef struct _GstRtmpServerRoute GstRtmpServerRoute;

GstRtmpServerRoute *gst_rtmp_server_registry_add_route (const
    GstRtmpServerConfig * config, const gchar * application,
    const gchar * stream, gboolean allow_takeover,
    const GstRtmpServerRouteFuncs * funcs, gpointer user_data, GError ** error);

void gst_rtmp_server_registry_remove_route (GstRtmpServerRoute * route);

guint gst_rtmp_server_route_get_port (GstRtmpServerRoute * route);

GstStructure *gst_rtmp_server_route_get_stats (GstRtmpServerRoute * route);

G_END_DECLS
