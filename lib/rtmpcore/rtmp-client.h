/* RtmpCoreClient: connect, publish and play over an RtmpCoreConnection. */
#pragma once

#include <gio/gio.h>
#include "rtmpcore-prelude.h"
#include "rtmp-amf.h"
#include "rtmp-connection.h"
#include "rtmp-url.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_DEFAULT_FLASH_VERSION:
 *
 * The flashVer a client sends unless told otherwise.
 *
 * Since: 0.1
 */
#define RTMP_CORE_DEFAULT_FLASH_VERSION "FMLE/3.0 (compatible; librtmpcore)"

#define RTMP_CORE_TYPE_CLIENT (rtmp_core_client_get_type ())

RTMP_CORE_API
G_DECLARE_FINAL_TYPE (RtmpCoreClient, rtmp_core_client, RTMP_CORE, CLIENT, GObject)

RTMP_CORE_API
RtmpCoreClient *rtmp_core_client_new (const RtmpCoreUrl * url);

RTMP_CORE_API
const RtmpCoreUrl *rtmp_core_client_get_url (RtmpCoreClient * client);

RTMP_CORE_API
void rtmp_core_client_set_extra_connect_args (RtmpCoreClient * client,
    RtmpCoreAmfValue * args);

RTMP_CORE_API
void rtmp_core_client_connect_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_client_connect_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
void rtmp_core_client_publish_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_client_publish_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
void rtmp_core_client_play_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_client_play_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
gboolean rtmp_core_client_send_media (RtmpCoreClient * client,
    RtmpCoreMessage * msg, GError ** error);

RTMP_CORE_API
void rtmp_core_client_stop_async (RtmpCoreClient * client,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_client_stop_finish (RtmpCoreClient * client,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
RtmpCoreConnection *rtmp_core_client_get_connection (RtmpCoreClient * client);

RTMP_CORE_API
guint32 rtmp_core_client_get_stream_id (RtmpCoreClient * client);

G_END_DECLS
