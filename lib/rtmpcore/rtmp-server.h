/* RtmpCoreServer: an RTMP ingest server core (publishers only), one
 * RtmpCoreServerSession per client connection. */
#pragma once

#include <gio/gio.h>
#include "rtmpcore-prelude.h"
#include "rtmp-amf.h"
#include "rtmp-connection.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_SERVER_DEFAULT_PORT:
 *
 * The port a server listens on by default.
 *
 * Since: 0.1
 */
#define RTMP_CORE_SERVER_DEFAULT_PORT 1935

/**
 * RTMP_CORE_SERVER_DEFAULT_CHUNK_SIZE:
 *
 * The chunk size a server announces by default (64 KiB). ffmpeg echoes the
 * server's chunk size for what it publishes, so large chunks mean fewer
 * chunk headers to parse on the ingest path.
 *
 * Since: 0.1
 */
#define RTMP_CORE_SERVER_DEFAULT_CHUNK_SIZE 65536

/**
 * RTMP_CORE_SERVER_DEFAULT_MAX_CONNECTIONS:
 *
 * How many connections a server serves at once by default.
 *
 * Since: 0.1
 */
#define RTMP_CORE_SERVER_DEFAULT_MAX_CONNECTIONS 1000

/**
 * RtmpCoreServerDecision:
 * @RTMP_CORE_SERVER_DECISION_ACCEPT: let the client publish
 * @RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED: answer
 *   `onStatus NetStream.Publish.Unauthorized` and close (bad credentials)
 * @RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME: answer
 *   `onStatus NetStream.Publish.BadName` and close (no such route, or the
 *   stream is in use)
 * @RTMP_CORE_SERVER_DECISION_REJECT_CONNECT: answer
 *   `onStatus NetConnection.Connect.Rejected` and close
 *
 * What a #RtmpCoreServer::publish-request handler decides.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_SERVER_DECISION_ACCEPT,
  RTMP_CORE_SERVER_DECISION_REJECT_UNAUTHORIZED,
  RTMP_CORE_SERVER_DECISION_REJECT_BAD_NAME,
  RTMP_CORE_SERVER_DECISION_REJECT_CONNECT,
} RtmpCoreServerDecision;

/**
 * RtmpCoreServerSessionState:
 * @RTMP_CORE_SERVER_SESSION_STATE_HANDSHAKING: accepted; the TLS and RTMP
 *   handshakes are running
 * @RTMP_CORE_SERVER_SESSION_STATE_CONNECTING: handshaken, waiting for
 *   `connect`
 * @RTMP_CORE_SERVER_SESSION_STATE_CONNECTED: `connect` was answered
 * @RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING: a publish was accepted; media
 *   flows
 * @RTMP_CORE_SERVER_SESSION_STATE_CLOSING: a refusal status is being
 *   delivered before the connection closes
 * @RTMP_CORE_SERVER_SESSION_STATE_CLOSED: the connection is closed
 *
 * Where a server session stands.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_SERVER_SESSION_STATE_HANDSHAKING,
  RTMP_CORE_SERVER_SESSION_STATE_CONNECTING,
  RTMP_CORE_SERVER_SESSION_STATE_CONNECTED,
  RTMP_CORE_SERVER_SESSION_STATE_PUBLISHING,
  RTMP_CORE_SERVER_SESSION_STATE_CLOSING,
  RTMP_CORE_SERVER_SESSION_STATE_CLOSED,
} RtmpCoreServerSessionState;

/* ---- RtmpCoreServerSession ---- */

#define RTMP_CORE_TYPE_SERVER_SESSION (rtmp_core_server_session_get_type ())

RTMP_CORE_API
G_DECLARE_FINAL_TYPE (RtmpCoreServerSession, rtmp_core_server_session,
    RTMP_CORE, SERVER_SESSION, GObject)

RTMP_CORE_API
const gchar *rtmp_core_server_session_get_remote_address (RtmpCoreServerSession * session);

RTMP_CORE_API
const gchar *rtmp_core_server_session_get_application (RtmpCoreServerSession * session);

RTMP_CORE_API
const gchar *rtmp_core_server_session_get_stream (RtmpCoreServerSession * session);

RTMP_CORE_API
const gchar *rtmp_core_server_session_get_query (RtmpCoreServerSession * session);

RTMP_CORE_API
const gchar *rtmp_core_server_session_get_tc_url (RtmpCoreServerSession * session);

RTMP_CORE_API
const gchar *rtmp_core_server_session_get_flash_version (RtmpCoreServerSession * session);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_server_session_get_connect_object (RtmpCoreServerSession * session);

RTMP_CORE_API
guint32 rtmp_core_server_session_get_stream_id (RtmpCoreServerSession * session);

RTMP_CORE_API
RtmpCoreServerSessionState rtmp_core_server_session_get_state (RtmpCoreServerSession * session);

RTMP_CORE_API
GVariant *rtmp_core_server_session_get_stats (RtmpCoreServerSession * session);

RTMP_CORE_API
RtmpCoreConnection *rtmp_core_server_session_get_connection (RtmpCoreServerSession * session);

RTMP_CORE_API
void rtmp_core_server_session_close (RtmpCoreServerSession * session,
    const GError * reason);

/* ---- RtmpCoreServer ---- */

#define RTMP_CORE_TYPE_SERVER (rtmp_core_server_get_type ())

RTMP_CORE_API
G_DECLARE_FINAL_TYPE (RtmpCoreServer, rtmp_core_server, RTMP_CORE, SERVER, GObject)

RTMP_CORE_API
RtmpCoreServer *rtmp_core_server_new (void);

RTMP_CORE_API
gboolean rtmp_core_server_start (RtmpCoreServer * server, GMainContext * context,
    GError ** error);

RTMP_CORE_API
void rtmp_core_server_stop (RtmpCoreServer * server);

RTMP_CORE_API
guint rtmp_core_server_get_current_port (RtmpCoreServer * server);

RTMP_CORE_API
GPtrArray *rtmp_core_server_list_sessions (RtmpCoreServer * server);

RTMP_CORE_API
GVariant *rtmp_core_server_get_stats (RtmpCoreServer * server);

G_END_DECLS
