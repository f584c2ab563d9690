/* RtmpCoreConnection: the RTMP chunk stream over any GIOStream. */
#pragma once

#include <gio/gio.h>
#include "rtmpcore-prelude.h"
#include "rtmp-handshake.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE:
 *
 * The acknowledgement window a connection announces by default (2.5 MB, as
 * ffmpeg and nginx-rtmp use).
 *
 * Since: 0.1
 */
#define RTMP_CORE_DEFAULT_WINDOW_ACK_SIZE 2500000

/**
 * RTMP_CORE_DEFAULT_MAX_QUEUE_BYTES:
 *
 * Default cap on bytes queued for sending (8 MiB).
 *
 * Since: 0.1
 */
#define RTMP_CORE_DEFAULT_MAX_QUEUE_BYTES (8 * 1024 * 1024)

#define RTMP_CORE_TYPE_CONNECTION (rtmp_core_connection_get_type ())

RTMP_CORE_API
G_DECLARE_FINAL_TYPE (RtmpCoreConnection, rtmp_core_connection, RTMP_CORE,
    CONNECTION, GObject)

RTMP_CORE_API
RtmpCoreConnection *rtmp_core_connection_new (GIOStream * stream);

RTMP_CORE_API
GIOStream *rtmp_core_connection_get_stream (RtmpCoreConnection * conn);

RTMP_CORE_API
void rtmp_core_connection_handshake_async (RtmpCoreConnection * conn,
    RtmpCoreHandshakeRole role, RtmpCoreHandshakeMode mode,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_connection_handshake_finish (RtmpCoreConnection * conn,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
void rtmp_core_connection_start (RtmpCoreConnection * conn);

RTMP_CORE_API
gboolean rtmp_core_connection_queue_message (RtmpCoreConnection * conn,
    RtmpCoreMessage * msg, GError ** error);

RTMP_CORE_API
gsize rtmp_core_connection_get_queued_bytes (RtmpCoreConnection * conn);

RTMP_CORE_API
void rtmp_core_connection_set_max_queue_bytes (RtmpCoreConnection * conn, gsize max_bytes);

RTMP_CORE_API
void rtmp_core_connection_flush_async (RtmpCoreConnection * conn,
    GCancellable * cancellable, GAsyncReadyCallback callback, gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_connection_flush_finish (RtmpCoreConnection * conn,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
void rtmp_core_connection_set_chunk_size (RtmpCoreConnection * conn, guint32 chunk_size);

RTMP_CORE_API
void rtmp_core_connection_set_window_ack_size (RtmpCoreConnection * conn,
    guint32 window_size);

RTMP_CORE_API
void rtmp_core_connection_set_limits (RtmpCoreConnection * conn,
    guint32 max_message_size, guint max_partial_messages, guint32 max_chunk_size);

RTMP_CORE_API
void rtmp_core_connection_ping (RtmpCoreConnection * conn);

RTMP_CORE_API
void rtmp_core_connection_set_ping_interval (RtmpCoreConnection * conn,
    guint interval_seconds, guint timeout_seconds);

RTMP_CORE_API
void rtmp_core_connection_close (RtmpCoreConnection * conn, const GError * reason);

RTMP_CORE_API
void rtmp_core_connection_close_gracefully_async (RtmpCoreConnection * conn,
    guint timeout_ms, GCancellable * cancellable, GAsyncReadyCallback callback,
    gpointer user_data);

RTMP_CORE_API
gboolean rtmp_core_connection_close_gracefully_finish (RtmpCoreConnection * conn,
    GAsyncResult * result, GError ** error);

RTMP_CORE_API
gboolean rtmp_core_connection_is_closed (RtmpCoreConnection * conn);

RTMP_CORE_API
GVariant *rtmp_core_connection_get_stats (RtmpCoreConnection * conn);

RTMP_CORE_API
gint64 rtmp_core_connection_get_rtt (RtmpCoreConnection * conn);

G_END_DECLS
