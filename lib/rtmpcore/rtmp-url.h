/* RtmpCoreUrl: rtmp[s]://[user:pass@]host[:port]/app[/instance]/stream[?query] */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RtmpCoreScheme:
 * @RTMP_CORE_SCHEME_RTMP: plain TCP, default port 1935
 * @RTMP_CORE_SCHEME_RTMPS: TLS, default port 443
 *
 * The transport of an RTMP location.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_SCHEME_RTMP,
  RTMP_CORE_SCHEME_RTMPS,
} RtmpCoreScheme;

/**
 * RtmpCoreUrl:
 *
 * A parsed RTMP location. The application is everything between the host
 * and the last path segment ("app/instance"); the stream is the last
 * segment with its query. Both may be overridden after parsing.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreUrl RtmpCoreUrl;

#define RTMP_CORE_TYPE_URL (rtmp_core_url_get_type ())

RTMP_CORE_API
GType rtmp_core_url_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreUrl *rtmp_core_url_parse (const gchar * location, GError ** error);

RTMP_CORE_API
RtmpCoreUrl *rtmp_core_url_new (RtmpCoreScheme scheme, const gchar * host, guint port,
    const gchar * application, const gchar * stream);

RTMP_CORE_API
RtmpCoreUrl *rtmp_core_url_copy (const RtmpCoreUrl * url);

RTMP_CORE_API
void rtmp_core_url_free (RtmpCoreUrl * url);

RTMP_CORE_API
RtmpCoreScheme rtmp_core_url_get_scheme (const RtmpCoreUrl * url);

RTMP_CORE_API
const gchar *rtmp_core_url_get_host (const RtmpCoreUrl * url);

RTMP_CORE_API
guint rtmp_core_url_get_port (const RtmpCoreUrl * url);

RTMP_CORE_API
const gchar *rtmp_core_url_get_application (const RtmpCoreUrl * url);

RTMP_CORE_API
void rtmp_core_url_set_application (RtmpCoreUrl * url, const gchar * application);

RTMP_CORE_API
const gchar *rtmp_core_url_get_stream (const RtmpCoreUrl * url);

RTMP_CORE_API
void rtmp_core_url_set_stream (RtmpCoreUrl * url, const gchar * stream);

RTMP_CORE_API
const gchar *rtmp_core_url_get_username (const RtmpCoreUrl * url);

RTMP_CORE_API
const gchar *rtmp_core_url_get_password (const RtmpCoreUrl * url);

RTMP_CORE_API
gchar *rtmp_core_url_get_tc_url (const RtmpCoreUrl * url);

RTMP_CORE_API
gchar *rtmp_core_url_to_string (const RtmpCoreUrl * url);

RTMP_CORE_API
gchar *rtmp_core_url_to_masked_string (const RtmpCoreUrl * url);

RTMP_CORE_API
gchar *rtmp_core_mask_secret (const gchar * secret);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreUrl, rtmp_core_url_free)

G_END_DECLS
