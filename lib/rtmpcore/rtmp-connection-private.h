/* Internals of the GIO layer: hooks of RtmpCoreConnection for the tests,
 * and what the connection, the client and the server share. Never
 * installed. */
#pragma once

#include "rtmp-connection.h"

G_BEGIN_DECLS

/* Destroys a source held in *@source, drops that reference and clears the
 * pointer; does nothing when it is NULL. */
static inline void
rtmp_clear_source (GSource ** source)
{
  if (*source) {
    g_source_destroy (*source);
    g_source_unref (*source);
    *source = NULL;
  }
}

/* Pretends @bytes_in bytes were already received (and acknowledged), so a
 * test can make the acknowledgement counter cross 2^32 quickly. */
void rtmp_core_connection_set_bytes_in_for_test (RtmpCoreConnection * conn,
    guint64 bytes_in);

/* rtmp_core_connection_set_ping_interval() with millisecond resolution. */
void rtmp_core_connection_set_ping_interval_ms (RtmpCoreConnection * conn,
    guint interval_ms, guint timeout_ms);

G_END_DECLS
