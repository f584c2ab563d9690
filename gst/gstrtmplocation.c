/* Location handling shared by the rtmpcore elements.
 *
 * An element embeds a GstRtmpCoreLocation, installs its properties with
 * gst_rtmp_core_location_install_properties() and forwards its
 * set_property/get_property calls (under its object lock). The property
 * names and meanings follow GStreamer's rtmp2 elements where they overlap,
 * so users can switch without rewriting their pipelines. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstrtmplocation.h"
#include "gstrtmputils.h"

#include <string.h>

GST_DEBUG_CATEGORY_STATIC (rtmp_location_debug);
#define GST_CAT_DEFAULT rtmp_location_debug

#define DEFAULT_SCHEME RTMP_CORE_SCHEME_RTMP
#define DEFAULT_PORT 1935
#define DEFAULT_TLS_VALIDATION_FLAGS G_TLS_CERTIFICATE_VALIDATE_ALL

static guint
scheme_default_port (RtmpCoreScheme scheme)
{
  return scheme == RTMP_CORE_SCHEME_RTMPS ? 443 : 1935;
}

void
gst_rtmp_core_location_init (GstRtmpCoreLocation * location)
{
  memset (location, 0, sizeof (*location));
  location->scheme = DEFAULT_SCHEME;
  location->host = g_strdup (GST_RTMP_CORE_DEFAULT_HOST);
  location->port = DEFAULT_PORT;
  location->application = g_strdup (GST_RTMP_CORE_DEFAULT_APPLICATION);
  location->stream = g_strdup (GST_RTMP_CORE_DEFAULT_STREAM);
  location->timeout = GST_RTMP_CORE_DEFAULT_TIMEOUT;
  location->tls_validation_flags = DEFAULT_TLS_VALIDATION_FLAGS;
  location->flash_version = g_strdup (RTMP_CORE_DEFAULT_FLASH_VERSION);
}

/* Overwrites a secret before freeing it, as RtmpCoreUrl does. */
static void
clear_secret (gchar ** secret)
{
  if (*secret) {
    memset (*secret, 0, strlen (*secret));
    g_clear_pointer (secret, g_free);
  }
}

void
gst_rtmp_core_location_clear (GstRtmpCoreLocation * location)
{
  g_clear_pointer (&location->host, g_free);
  g_clear_pointer (&location->application, g_free);
  g_clear_pointer (&location->stream, g_free);
  g_clear_pointer (&location->username, g_free);
  clear_secret (&location->password);
  g_clear_pointer (&location->flash_version, g_free);
  g_clear_pointer (&location->extra_connect_args, gst_structure_free);
}

void
gst_rtmp_core_location_copy (GstRtmpCoreLocation * dest,
    const GstRtmpCoreLocation * src)
{
  dest->scheme = src->scheme;
  dest->host = g_strdup (src->host);
  dest->port = src->port;
  dest->application = g_strdup (src->application);
  dest->stream = g_strdup (src->stream);
  dest->username = g_strdup (src->username);
  dest->password = g_strdup (src->password);
  dest->timeout = src->timeout;
  dest->tls_validation_flags = src->tls_validation_flags;
  dest->flash_version = g_strdup (src->flash_version);
  dest->extra_connect_args = src->extra_connect_args ?
      gst_structure_copy (src->extra_connect_args) : NULL;
}

void
gst_rtmp_core_location_install_properties (GObjectClass * klass,
    guint first_prop_id)
{
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  gchar *default_location = g_strdup_printf ("rtmp://%s/%s/%s",
      GST_RTMP_CORE_DEFAULT_HOST, GST_RTMP_CORE_DEFAULT_APPLICATION,
      GST_RTMP_CORE_DEFAULT_STREAM);

  GST_DEBUG_CATEGORY_INIT (rtmp_location_debug, "rtmpcorelocation", 0,
      "rtmpcore location handling");

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "RTMP location: rtmp[s]://[user:pass@]host[:port]/app[/instance]"
          "/stream[?query]. Setting it sets scheme, host, port, application "
          "and stream; reading it combines them",
          default_location, rw));
  g_free (default_location);

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_HOST,
      g_param_spec_string ("host", "Host",
          "RTMP server host name or IP address", GST_RTMP_CORE_DEFAULT_HOST,
          rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_PORT,
      g_param_spec_int ("port", "Port",
          "RTMP server TCP port (a location without a port sets 1935 for "
          "rtmp and 443 for rtmps)", 1, 65535, DEFAULT_PORT, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_APPLICATION,
      g_param_spec_string ("application", "Application",
          "RTMP application, everything between the host and the stream "
          "name (e.g. \"live\" or \"app/instance\"); overrides the split "
          "of the location", GST_RTMP_CORE_DEFAULT_APPLICATION, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_STREAM,
      g_param_spec_string ("stream", "Stream",
          "RTMP stream name (stream key), with its ?query if any",
          GST_RTMP_CORE_DEFAULT_STREAM, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_SCHEME,
      g_param_spec_enum ("scheme", "Scheme",
          "RTMP transport: plain TCP (rtmp) or TLS (rtmps)",
          RTMP_CORE_TYPE_SCHEME, DEFAULT_SCHEME, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_TIMEOUT,
      g_param_spec_uint ("timeout", "Timeout",
          "Seconds allowed for connecting (TCP, TLS and handshake), for each "
          "command round trip, and for sending the tail on EOS",
          1, 3600, GST_RTMP_CORE_DEFAULT_TIMEOUT, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_TLS_VALIDATION_FLAGS,
      g_param_spec_flags ("tls-validation-flags", "TLS validation flags",
          "Server certificate checks that must pass for rtmps; a "
          "certificate failing only other checks is accepted",
          G_TYPE_TLS_CERTIFICATE_FLAGS, DEFAULT_TLS_VALIDATION_FLAGS, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_FLASH_VERSION,
      g_param_spec_string ("flash-version", "Flash version",
          "The flashVer string sent to the server in connect (NULL restores "
          "the default)", RTMP_CORE_DEFAULT_FLASH_VERSION, rw));

  g_object_class_install_property (klass,
      first_prop_id + GST_RTMP_CORE_LOCATION_PROP_EXTRA_CONNECT_ARGS,
      g_param_spec_boxed ("extra-connect-args", "Extra connect arguments",
          "A structure sent as an extra AMF object argument of connect: "
          "booleans stay booleans, numbers become numbers, strings strings, "
          "nested structures objects, other values their serialized text",
          GST_TYPE_STRUCTURE, rw));
}

static void
set_string (gchar ** field, const GValue * value, const gchar * fallback)
{
  const gchar *s = g_value_get_string (value);

  g_free (*field);
  *field = g_strdup (s ? s : fallback);
}

gboolean
gst_rtmp_core_location_set_property (GstRtmpCoreLocation * location,
    GObject * object, guint first_prop_id, guint prop_id,
    const GValue * value)
{
  GError *error = NULL;
  const GstStructure *s;

  if (prop_id < first_prop_id ||
      prop_id >= first_prop_id + GST_RTMP_CORE_LOCATION_N_PROPS)
    return FALSE;

  switch ((GstRtmpCoreLocationProp) (prop_id - first_prop_id)) {
    case GST_RTMP_CORE_LOCATION_PROP_LOCATION:
      if (!gst_rtmp_core_location_set_uri (location,
              g_value_get_string (value), &error)) {
        /* the message never quotes the location: it may hold secrets */
        GST_WARNING_OBJECT (object, "Ignoring the location: %s",
            error->message);
        g_error_free (error);
      }
      break;
    case GST_RTMP_CORE_LOCATION_PROP_HOST:
      set_string (&location->host, value, NULL);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_PORT:
      location->port = g_value_get_int (value);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_APPLICATION:
      set_string (&location->application, value, NULL);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_STREAM:
      set_string (&location->stream, value, NULL);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_SCHEME:
      location->scheme = g_value_get_enum (value);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_TIMEOUT:
      location->timeout = g_value_get_uint (value);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_TLS_VALIDATION_FLAGS:
      location->tls_validation_flags = g_value_get_flags (value);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_FLASH_VERSION:
      set_string (&location->flash_version, value,
          RTMP_CORE_DEFAULT_FLASH_VERSION);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_EXTRA_CONNECT_ARGS:
      s = gst_value_get_structure (value);
      g_clear_pointer (&location->extra_connect_args, gst_structure_free);
      location->extra_connect_args = s ? gst_structure_copy (s) : NULL;
      break;
    case GST_RTMP_CORE_LOCATION_N_PROPS:
      return FALSE;
  }
  return TRUE;
}

gboolean
gst_rtmp_core_location_get_property (const GstRtmpCoreLocation * location,
    guint first_prop_id, guint prop_id, GValue * value)
{
  if (prop_id < first_prop_id ||
      prop_id >= first_prop_id + GST_RTMP_CORE_LOCATION_N_PROPS)
    return FALSE;

  switch ((GstRtmpCoreLocationProp) (prop_id - first_prop_id)) {
    case GST_RTMP_CORE_LOCATION_PROP_LOCATION:
      g_value_take_string (value, gst_rtmp_core_location_get_uri (location));
      break;
    case GST_RTMP_CORE_LOCATION_PROP_HOST:
      g_value_set_string (value, location->host);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_PORT:
      g_value_set_int (value, location->port);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_APPLICATION:
      g_value_set_string (value, location->application);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_STREAM:
      g_value_set_string (value, location->stream);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_SCHEME:
      g_value_set_enum (value, location->scheme);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_TIMEOUT:
      g_value_set_uint (value, location->timeout);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_TLS_VALIDATION_FLAGS:
      g_value_set_flags (value, location->tls_validation_flags);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_FLASH_VERSION:
      g_value_set_string (value, location->flash_version);
      break;
    case GST_RTMP_CORE_LOCATION_PROP_EXTRA_CONNECT_ARGS:
      gst_value_set_structure (value, location->extra_connect_args);
      break;
    case GST_RTMP_CORE_LOCATION_N_PROPS:
      return FALSE;
  }
  return TRUE;
}

/* Replaces every part of @location that a URI names: scheme, user
 * information, host, port, application and stream. On error nothing
 * changes. The error never quotes @uri. */
gboolean
gst_rtmp_core_location_set_uri (GstRtmpCoreLocation * location,
    const gchar * uri, GError ** error)
{
  RtmpCoreUrl *url;
  const gchar *stream;

  if (uri == NULL) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "No RTMP location given");
    return FALSE;
  }
  url = rtmp_core_url_parse (uri, error);
  if (url == NULL)
    return FALSE;

  stream = rtmp_core_url_get_stream (url);
  if (stream == NULL || *stream == '\0') {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "Invalid RTMP location: it has no stream name (expected "
        "rtmp://host/app/stream)");
    rtmp_core_url_free (url);
    return FALSE;
  }

  location->scheme = rtmp_core_url_get_scheme (url);
  g_free (location->host);
  location->host = g_strdup (rtmp_core_url_get_host (url));
  location->port = rtmp_core_url_get_port (url);
  g_free (location->application);
  location->application = g_strdup (rtmp_core_url_get_application (url));
  g_free (location->stream);
  location->stream = g_strdup (stream);
  g_free (location->username);
  location->username = g_strdup (rtmp_core_url_get_username (url));
  clear_secret (&location->password);
  location->password = g_strdup (rtmp_core_url_get_password (url));
  rtmp_core_url_free (url);
  return TRUE;
}

static void
append_userinfo (GString * s, const gchar * part)
{
  g_string_append_uri_escaped (s, part,
      G_URI_RESERVED_CHARS_SUBCOMPONENT_DELIMITERS, TRUE);
}

/* Builds the RtmpCoreUrl to connect to. The user information only exists
 * in parsed form, so a location that has some goes through the parser; the
 * application and stream are then set as they are, whatever they hold. */
RtmpCoreUrl *
gst_rtmp_core_location_to_url (const GstRtmpCoreLocation * location,
    GError ** error)
{
  RtmpCoreUrl *url;
  GString *s;

  if (location->host == NULL || *location->host == '\0') {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "No RTMP server host is set");
    return NULL;
  }
  if (location->application == NULL || *location->application == '\0') {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "No RTMP application is set");
    return NULL;
  }

  if (location->username == NULL && location->password == NULL)
    return rtmp_core_url_new (location->scheme, location->host,
        location->port, location->application, location->stream);

  s = g_string_new (location->scheme == RTMP_CORE_SCHEME_RTMPS ?
      "rtmps://" : "rtmp://");
  if (location->username)
    append_userinfo (s, location->username);
  if (location->password) {
    g_string_append_c (s, ':');
    append_userinfo (s, location->password);
  }
  g_string_append_c (s, '@');
  if (strchr (location->host, ':'))
    g_string_append_printf (s, "[%s]", location->host);
  else
    g_string_append (s, location->host);
  if (location->port != 0)
    g_string_append_printf (s, ":%u", location->port);
  g_string_append (s, "/app/stream");

  url = rtmp_core_url_parse (s->str, error);
  memset (s->str, 0, s->len);
  g_string_free (s, TRUE);
  if (url == NULL)
    return NULL;
  rtmp_core_url_set_application (url, location->application);
  rtmp_core_url_set_stream (url, location->stream);
  return url;
}

/* Prints the port only when it differs from the scheme's default, so that a
 * location set without a port reads back unchanged. */
static gchar *
location_to_string (const GstRtmpCoreLocation * location, gboolean masked)
{
  GstRtmpCoreLocation copy;
  RtmpCoreUrl *url;
  gchar *s;

  gst_rtmp_core_location_copy (&copy, location);
  if (copy.port == scheme_default_port (copy.scheme))
    copy.port = 0;
  url = gst_rtmp_core_location_to_url (&copy, NULL);
  gst_rtmp_core_location_clear (&copy);
  if (url == NULL)
    return NULL;
  s = masked ? rtmp_core_url_to_masked_string (url) :
      rtmp_core_url_to_string (url);
  rtmp_core_url_free (url);
  return s;
}

/* The full location, secrets included: for the location property and the
 * URI handler only, never for logs. */
gchar *
gst_rtmp_core_location_get_uri (const GstRtmpCoreLocation * location)
{
  return location_to_string (location, FALSE);
}

/* The location with its password, stream key and query masked: the only
 * form that may appear in logs and error messages. */
gchar *
gst_rtmp_core_location_get_masked_uri (const GstRtmpCoreLocation * location)
{
  gchar *masked = location_to_string (location, TRUE);

  return masked ? masked : g_strdup ("<incomplete RTMP location>");
}

/* Applies the connection settings to a new client (before connecting). */
void
gst_rtmp_core_location_configure_client (const GstRtmpCoreLocation *
    location, RtmpCoreClient * client)
{
  g_object_set (client, "timeout", location->timeout,
      "tls-validation-flags", location->tls_validation_flags,
      "flash-version", location->flash_version, NULL);
  if (location->extra_connect_args) {
    RtmpCoreAmfValue *args =
        gst_rtmp_core_structure_to_amf (location->extra_connect_args);

    rtmp_core_client_set_extra_connect_args (client, args);
    rtmp_core_amf_value_unref (args);
  }
}

static RtmpCoreAmfValue *
gvalue_to_amf (const GValue * value)
{
  GValue as_double = G_VALUE_INIT;
  RtmpCoreAmfValue *amf;
  gchar *text;

  if (G_VALUE_HOLDS_BOOLEAN (value))
    return rtmp_core_amf_value_new_boolean (g_value_get_boolean (value));
  if (G_VALUE_HOLDS_STRING (value))
    return rtmp_core_amf_value_new_string (g_value_get_string (value) ?
        g_value_get_string (value) : "");
  if (GST_VALUE_HOLDS_STRUCTURE (value))
    return gst_rtmp_core_structure_to_amf (gst_value_get_structure (value));
  if (G_TYPE_IS_FUNDAMENTAL (G_VALUE_TYPE (value)) &&
      g_value_type_transformable (G_VALUE_TYPE (value), G_TYPE_DOUBLE) &&
      !G_VALUE_HOLDS_ENUM (value) && !G_VALUE_HOLDS_FLAGS (value)) {
    g_value_init (&as_double, G_TYPE_DOUBLE);
    g_value_transform (value, &as_double);
    amf = rtmp_core_amf_value_new_number (g_value_get_double (&as_double));
    g_value_unset (&as_double);
    return amf;
  }
  text = gst_value_serialize (value);
  amf = rtmp_core_amf_value_new_string (text ? text : "");
  g_free (text);
  return amf;
}

static gboolean
add_field (GQuark field, const GValue * value, gpointer user_data)
{
  rtmp_core_amf_value_take_field (user_data, g_quark_to_string (field),
      gvalue_to_amf (value));
  return TRUE;
}

/* An AMF object with one property per field of @structure, in order. */
RtmpCoreAmfValue *
gst_rtmp_core_structure_to_amf (const GstStructure * structure)
{
  RtmpCoreAmfValue *obj = rtmp_core_amf_value_new_object ();

  gst_structure_foreach (structure, add_field, obj);
  return obj;
}

const gchar *const *
gst_rtmp_core_location_get_protocols (void)
{
  static const gchar *const protocols[] = { "rtmp", "rtmps", NULL };

  return protocols;
}
