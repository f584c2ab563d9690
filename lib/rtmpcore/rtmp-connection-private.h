/* Internal hooks of RtmpCoreConnection, for the tests. Never installed. */
#pragma once

#include "rtmp-connection.h"

G_BEGIN_DECLS

/* Pretends @bytes_in bytes were already received (and acknowledged), so a
 * test can make the acknowledgement counter cross 2^32 quickly. */
void rtmp_core_connection_set_bytes_in_for_test (RtmpCoreConnection * conn,
    guint64 bytes_in);

/* rtmp_core_connection_set_ping_interval() with millisecond resolution. */
void rtmp_core_connection_set_ping_interval_ms (RtmpCoreConnection * conn,
    guint interval_ms, guint timeout_ms);

G_END_DECLS
