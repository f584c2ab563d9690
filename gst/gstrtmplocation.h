/* Location handling shared by the rtmpcore elements: the properties that
 * say where and how to connect (location, host, port, application, stream,
 * scheme, timeout, tls-validation-flags, flash-version, extra-connect-args),
 * the rtmp/rtmps URI handler, and the mapping to an RtmpCoreUrl and an
 * RtmpCoreClient. */
#pragma once

#include <gst/gst.h>
#include <rtmpcore.h>

G_BEGIN_DECLS

#define GST_RTMP_CORE_DEFAULT_HOST "localhost"
#define GST_RTMP_CORE_DEFAULT_APPLICATION "live"
#define GST_RTMP_CORE_DEFAULT_STREAM "myStream"
#define GST_RTMP_CORE_DEFAULT_TIMEOUT 5

/**
 * GstRtmpCoreLocation:
 *
 * Where and how an element connects. Plain data: the owning element
 * protects it with its object lock and hands snapshots (see
 * gst_rtmp_core_location_copy()) to its I/O thread.
 *
 * @port 0 means the scheme's default (1935 for rtmp, 443 for rtmps).
 * @username and @password come only from the user information of the
 * location; they are kept so the location prints back as given.
 */
typedef struct
{
  RtmpCoreScheme scheme;
  gchar *host;
  guint port;
  gchar *application;
  gchar *stream;
  gchar *username;
  gchar *password;
  guint timeout;
  GTlsCertificateFlags tls_validation_flags;
  gchar *flash_version;
  GstStructure *extra_connect_args;
} GstRtmpCoreLocation;

/* The properties gst_rtmp_core_location_install_properties() installs, as
 * offsets from the first property id the element gives it. */
typedef enum
{
  GST_RTMP_CORE_LOCATION_PROP_LOCATION,
  GST_RTMP_CORE_LOCATION_PROP_HOST,
  GST_RTMP_CORE_LOCATION_PROP_PORT,
  GST_RTMP_CORE_LOCATION_PROP_APPLICATION,
  GST_RTMP_CORE_LOCATION_PROP_STREAM,
  GST_RTMP_CORE_LOCATION_PROP_SCHEME,
  GST_RTMP_CORE_LOCATION_PROP_TIMEOUT,
  GST_RTMP_CORE_LOCATION_PROP_TLS_VALIDATION_FLAGS,
  GST_RTMP_CORE_LOCATION_PROP_FLASH_VERSION,
  GST_RTMP_CORE_LOCATION_PROP_EXTRA_CONNECT_ARGS,
  GST_RTMP_CORE_LOCATION_N_PROPS
} GstRtmpCoreLocationProp;

void gst_rtmp_core_location_init (GstRtmpCoreLocation * location);

void gst_rtmp_core_location_clear (GstRtmpCoreLocation * location);

void gst_rtmp_core_location_copy (GstRtmpCoreLocation * dest,
    const GstRtmpCoreLocation * src);

void gst_rtmp_core_location_install_properties (GObjectClass * klass,
    guint first_prop_id);

gboolean gst_rtmp_core_location_set_property (GstRtmpCoreLocation * location,
    GObject * object, guint first_prop_id, guint prop_id,
    const GValue * value);

gboolean gst_rtmp_core_location_get_property (const GstRtmpCoreLocation *
    location, guint first_prop_id, guint prop_id, GValue * value);

gboolean gst_rtmp_core_location_set_uri (GstRtmpCoreLocation * location,
    const gchar * uri, GError ** error);

gchar *gst_rtmp_core_location_get_uri (const GstRtmpCoreLocation * location);

gchar *gst_rtmp_core_location_get_masked_uri (const GstRtmpCoreLocation *
    location);

RtmpCoreUrl *gst_rtmp_core_location_to_url (const GstRtmpCoreLocation *
    location, GError ** error);

void gst_rtmp_core_location_configure_client (const GstRtmpCoreLocation *
    location, RtmpCoreClient * client);

RtmpCoreAmfValue *gst_rtmp_core_structure_to_amf (const GstStructure *
    structure);

const gchar *const *gst_rtmp_core_location_get_protocols (void);

G_END_DECLS
