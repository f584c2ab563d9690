/* 32-bit RTMP timestamps: serial-number arithmetic and 64-bit unwrapping. */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RtmpCoreTimestampUnwrapper:
 *
 * Turns a sequence of 32-bit millisecond timestamps, which wrap every
 * 49.7 days, into a monotonic-as-sent 64-bit timeline. Each new value is
 * placed at the 64-bit value closest to the previous one (RFC 1982 serial
 * number arithmetic), so small reorderings go backwards a little and a wrap
 * goes forwards.
 *
 * A plain struct: declare it on the stack or in your object and call
 * rtmp_core_timestamp_unwrapper_init().
 *
 * Since: 0.1
 */
typedef struct {
  /*< private >*/
  guint64 last;
  gboolean started;
  gpointer _padding[2];
} RtmpCoreTimestampUnwrapper;

#define RTMP_CORE_TYPE_TIMESTAMP_UNWRAPPER (rtmp_core_timestamp_unwrapper_get_type ())

RTMP_CORE_API
GType rtmp_core_timestamp_unwrapper_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreTimestampUnwrapper *rtmp_core_timestamp_unwrapper_new (void);

RTMP_CORE_API
RtmpCoreTimestampUnwrapper *rtmp_core_timestamp_unwrapper_copy (const RtmpCoreTimestampUnwrapper * u);

RTMP_CORE_API
void rtmp_core_timestamp_unwrapper_free (RtmpCoreTimestampUnwrapper * u);

RTMP_CORE_API
void rtmp_core_timestamp_unwrapper_init (RtmpCoreTimestampUnwrapper * u);

RTMP_CORE_API
guint64 rtmp_core_timestamp_unwrapper_unwrap (RtmpCoreTimestampUnwrapper * u,
    guint32 timestamp);

RTMP_CORE_API
gint32 rtmp_core_timestamp_diff (guint32 a, guint32 b);

RTMP_CORE_API
gint rtmp_core_timestamp_compare (guint32 a, guint32 b);

G_END_DECLS
