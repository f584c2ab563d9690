/* RtmpCoreUrl: parsing, tcUrl, and printing with secrets masked. */
#include "rtmp-url.h"
#include "rtmp-error.h"

#include <string.h>

struct _RtmpCoreUrl {
  RtmpCoreScheme scheme;
  gchar *host;
  guint port;                   /* 0: not given, the scheme's default applies */
  gchar *application;
  gchar *stream;                /* nullable */
  gchar *username;              /* nullable */
  gchar *password;              /* nullable */
};

G_DEFINE_BOXED_TYPE (RtmpCoreUrl, rtmp_core_url, rtmp_core_url_copy,
    rtmp_core_url_free)

#define MASK "****"

static const gchar *
scheme_name (RtmpCoreScheme scheme)
{
  return scheme == RTMP_CORE_SCHEME_RTMPS ? "rtmps" : "rtmp";
}

static guint
default_port (RtmpCoreScheme scheme)
{
  return scheme == RTMP_CORE_SCHEME_RTMPS ? 443 : 1935;
}

/* GUri's own messages quote the offending text, which may be a password or
 * a stream key, so only the kind of problem is reported. */
static const gchar *
describe_uri_error (const GError * error)
{
  switch (error->code) {
    case G_URI_ERROR_BAD_SCHEME:
      return "the scheme is missing or malformed";
    case G_URI_ERROR_BAD_USER:
      return "the user name is malformed";
    case G_URI_ERROR_BAD_PASSWORD:
      return "the password is malformed";
    case G_URI_ERROR_BAD_AUTH_PARAMS:
      return "the authentication parameters are malformed";
    case G_URI_ERROR_BAD_HOST:
      return "the host is malformed";
    case G_URI_ERROR_BAD_PORT:
      return "the port is not a number between 1 and 65535";
    case G_URI_ERROR_BAD_PATH:
      return "the path is malformed";
    case G_URI_ERROR_BAD_QUERY:
      return "the query is malformed";
    case G_URI_ERROR_BAD_FRAGMENT:
      return "the fragment is malformed";
    default:
      return "it is not an absolute rtmp:// or rtmps:// URI";
  }
}

static gboolean
parse_scheme (const gchar * scheme, RtmpCoreScheme * out, GError ** error)
{
  if (g_ascii_strcasecmp (scheme, "rtmp") == 0) {
    *out = RTMP_CORE_SCHEME_RTMP;
    return TRUE;
  }
  if (g_ascii_strcasecmp (scheme, "rtmps") == 0) {
    *out = RTMP_CORE_SCHEME_RTMPS;
    return TRUE;
  }
  /* GUri only accepts [A-Za-z0-9+.-] in a scheme: safe to quote */
  g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
      "Invalid RTMP location: unsupported scheme \"%s\" (expected rtmp or "
      "rtmps)", scheme);
  return FALSE;
}

/* Splits the (still percent-encoded) path into application and stream. The
 * stream is the last segment; a location with a single segment has only an
 * application. The query and fragment stay attached to whichever comes last,
 * so nothing the user wrote is lost. */
static gboolean
split_path (const gchar * path, const gchar * query, const gchar * fragment,
    gchar ** application, gchar ** stream, GError ** error)
{
  const gchar *rest = path;
  const gchar *slash;
  gchar *app, *last;
  GString *tail;

  if (*rest == '/')
    rest++;
  if (*rest == '\0') {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "Invalid RTMP location: it has no application (expected "
        "rtmp://host/app/stream)");
    return FALSE;
  }

  slash = strrchr (rest, '/');
  if (slash) {
    app = g_strndup (rest, slash - rest);
    last = *(slash + 1) ? g_strdup (slash + 1) : NULL;
  } else {
    app = g_strdup (rest);
    last = NULL;
  }

  tail = g_string_new (NULL);
  if (query && *query)
    g_string_append_printf (tail, "?%s", query);
  if (fragment && *fragment)
    g_string_append_printf (tail, "#%s", fragment);
  if (tail->len > 0) {
    gchar **target = last ? &last : &app;
    gchar *joined = g_strconcat (*target, tail->str, NULL);

    g_free (*target);
    *target = joined;
  }
  g_string_free (tail, TRUE);

  *application = app;
  *stream = last;
  return TRUE;
}

/**
 * rtmp_core_url_parse:
 * @location: an `rtmp://` or `rtmps://` location
 * @error: return location for a #RTMP_CORE_ERROR_INVALID_URL error
 *
 * Parses a location of the form
 * `rtmp[s]://[user[:password]@]host[:port]/app[/instance]/stream[?query]`.
 *
 * The application is everything between the host and the last path segment
 * (so `rtmp://host/app/inst/key` has application `app/inst`), the stream is
 * the last segment followed by the query, if any. A location with a single
 * path segment (`rtmp://host/app`) has an application and no stream. The
 * host may be an IPv6 literal in brackets. The user name and password are
 * percent-decoded; the application and stream are kept exactly as written,
 * since servers compare them as sent on the wire.
 *
 * Error messages never contain the user information, the path or the query.
 *
 * Returns: (transfer full) (nullable): the parsed location, or %NULL on error
 *
 * Since: 0.1
 */
RtmpCoreUrl *
rtmp_core_url_parse (const gchar * location, GError ** error)
{
  GUri *uri;
  GError *uri_error = NULL;
  RtmpCoreScheme scheme;
  const gchar *host;
  gint port;
  gchar *application, *stream;
  RtmpCoreUrl *url;

  g_return_val_if_fail (location != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  uri = g_uri_parse (location, G_URI_FLAGS_HAS_PASSWORD |
      G_URI_FLAGS_ENCODED_PATH | G_URI_FLAGS_ENCODED_QUERY |
      G_URI_FLAGS_ENCODED_FRAGMENT, &uri_error);
  if (!uri) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "Invalid RTMP location: %s", describe_uri_error (uri_error));
    g_error_free (uri_error);
    return NULL;
  }

  if (!parse_scheme (g_uri_get_scheme (uri), &scheme, error))
    goto fail;

  host = g_uri_get_host (uri);
  if (!host || !*host) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "Invalid RTMP location: it has no host");
    goto fail;
  }

  port = g_uri_get_port (uri);
  if (port == 0) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "Invalid RTMP location: port 0 is not a valid port");
    goto fail;
  }

  if (!split_path (g_uri_get_path (uri), g_uri_get_query (uri),
          g_uri_get_fragment (uri), &application, &stream, error))
    goto fail;

  if (!*application) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL,
        "Invalid RTMP location: the application name is empty");
    g_free (application);
    g_free (stream);
    goto fail;
  }

  url = g_new0 (RtmpCoreUrl, 1);
  url->scheme = scheme;
  url->host = g_strdup (host);
  url->port = port > 0 ? (guint) port : 0;
  url->application = application;
  url->stream = stream;
  url->username = g_strdup (g_uri_get_user (uri));
  url->password = g_strdup (g_uri_get_password (uri));
  if (url->username && !*url->username && !url->password)
    g_clear_pointer (&url->username, g_free);

  g_uri_unref (uri);
  return url;

fail:
  g_uri_unref (uri);
  return NULL;
}

/**
 * rtmp_core_url_new:
 * @scheme: the transport
 * @host: a host name or IP address literal (IPv6 without brackets)
 * @port: the port, or 0 for the scheme's default (1935 or 443)
 * @application: the application, e.g. "live" or "app/instance"
 * @stream: (nullable): the stream name, possibly with a "?query"
 *
 * Builds a location from its parts, without user information.
 *
 * Returns: (transfer full): a new location
 *
 * Since: 0.1
 */
RtmpCoreUrl *
rtmp_core_url_new (RtmpCoreScheme scheme, const gchar * host, guint port,
    const gchar * application, const gchar * stream)
{
  RtmpCoreUrl *url;

  g_return_val_if_fail (scheme == RTMP_CORE_SCHEME_RTMP ||
      scheme == RTMP_CORE_SCHEME_RTMPS, NULL);
  g_return_val_if_fail (host != NULL && *host != '\0', NULL);
  g_return_val_if_fail (port <= 65535, NULL);
  g_return_val_if_fail (application != NULL, NULL);

  url = g_new0 (RtmpCoreUrl, 1);
  url->scheme = scheme;
  url->host = g_strdup (host);
  url->port = port;
  url->application = g_strdup (application);
  url->stream = g_strdup (stream);
  return url;
}

/**
 * rtmp_core_url_copy:
 * @url: a location
 *
 * Copies every part of @url, including the user name and password, so the
 * copy can be modified or freed independently of the original.
 *
 * Returns: (transfer full): a deep copy of @url
 *
 * Since: 0.1
 */
RtmpCoreUrl *
rtmp_core_url_copy (const RtmpCoreUrl * url)
{
  RtmpCoreUrl *copy;

  g_return_val_if_fail (url != NULL, NULL);

  copy = g_new0 (RtmpCoreUrl, 1);
  copy->scheme = url->scheme;
  copy->host = g_strdup (url->host);
  copy->port = url->port;
  copy->application = g_strdup (url->application);
  copy->stream = g_strdup (url->stream);
  copy->username = g_strdup (url->username);
  copy->password = g_strdup (url->password);
  return copy;
}

/**
 * rtmp_core_url_free:
 * @url: (transfer full) (nullable): a location
 *
 * Frees @url. The password is overwritten before its memory is released.
 *
 * Since: 0.1
 */
void
rtmp_core_url_free (RtmpCoreUrl * url)
{
  if (!url)
    return;
  g_free (url->host);
  g_free (url->application);
  g_free (url->stream);
  g_free (url->username);
  if (url->password) {
    memset (url->password, 0, strlen (url->password));
    g_free (url->password);
  }
  g_free (url);
}

/**
 * rtmp_core_url_get_scheme:
 * @url: a location
 *
 * Gets whether @url uses plain TCP (`rtmp://`) or TLS (`rtmps://`), which
 * decides how to connect and which default port applies.
 *
 * Returns: the transport of @url
 *
 * Since: 0.1
 */
RtmpCoreScheme
rtmp_core_url_get_scheme (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, RTMP_CORE_SCHEME_RTMP);
  return url->scheme;
}

/**
 * rtmp_core_url_get_host:
 * @url: a location
 *
 * Gets the host to connect to, as written in the location (a name or an IP
 * address literal), ready to pass to a resolver or socket client.
 *
 * Returns: (transfer none): the host, an IPv6 literal without brackets
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_url_get_host (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return url->host;
}

/**
 * rtmp_core_url_get_port:
 * @url: a location
 *
 * Gets the TCP port to connect to, falling back to the default of the
 * scheme when the location did not name one. Never returns 0.
 *
 * Returns: the port given in the location, else the scheme's default
 *   (1935 for rtmp, 443 for rtmps)
 *
 * Since: 0.1
 */
guint
rtmp_core_url_get_port (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, 0);
  return url->port ? url->port : default_port (url->scheme);
}

/**
 * rtmp_core_url_get_application:
 * @url: a location
 *
 * Gets the application sent as `app` in the `connect` command: the path
 * between the host and the stream, still percent-encoded as written. It
 * carries the location's "?query" when the location has no stream.
 *
 * Returns: (transfer none): the application, e.g. "live" or "app/instance"
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_url_get_application (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return url->application;
}

/**
 * rtmp_core_url_set_application:
 * @url: a location
 * @application: the new application
 *
 * Replaces the application, e.g. when the split of the path chosen by
 * rtmp_core_url_parse() is not the one the server expects.
 *
 * Since: 0.1
 */
void
rtmp_core_url_set_application (RtmpCoreUrl * url, const gchar * application)
{
  g_return_if_fail (url != NULL);
  g_return_if_fail (application != NULL);
  g_free (url->application);
  url->application = g_strdup (application);
}

/**
 * rtmp_core_url_get_stream:
 * @url: a location
 *
 * Gets the stream name used in `publish` or `play`: the last path segment,
 * still percent-encoded as written. For publishing it is often a secret
 * stream key, so mask it with rtmp_core_mask_secret() before logging it.
 *
 * Returns: (transfer none) (nullable): the stream name with its "?query",
 *   or %NULL if the location names only an application
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_url_get_stream (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return url->stream;
}

/**
 * rtmp_core_url_set_stream:
 * @url: a location
 * @stream: (nullable): the new stream name, or %NULL for none
 *
 * Replaces the stream name.
 *
 * Since: 0.1
 */
void
rtmp_core_url_set_stream (RtmpCoreUrl * url, const gchar * stream)
{
  g_return_if_fail (url != NULL);
  g_free (url->stream);
  url->stream = g_strdup (stream);
}

/**
 * rtmp_core_url_get_username:
 * @url: a location
 *
 * Gets the user name from the location's user information, for servers
 * that require authentication. An empty user name with no password is
 * treated as absent.
 *
 * Returns: (transfer none) (nullable): the percent-decoded user name
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_url_get_username (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return url->username;
}

/**
 * rtmp_core_url_get_password:
 * @url: a location
 *
 * Gets the password from the location's user information, for servers
 * that require authentication. It is wiped from memory when @url is freed.
 *
 * Returns: (transfer none) (nullable): the percent-decoded password. Never
 *   log it.
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_url_get_password (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return url->password;
}

static void
append_host_port (GString * s, const RtmpCoreUrl * url)
{
  if (strchr (url->host, ':')) {
    const gchar *p;

    /* IPv6 literal; a zone id's '%' must be escaped again */
    g_string_append_c (s, '[');
    for (p = url->host; *p; p++) {
      if (*p == '%')
        g_string_append (s, "%25");
      else
        g_string_append_c (s, *p);
    }
    g_string_append_c (s, ']');
  } else {
    g_string_append (s, url->host);
  }
  if (url->port)
    g_string_append_printf (s, ":%u", url->port);
}

static void
append_escaped_userinfo (GString * s, const gchar * part)
{
  g_string_append_uri_escaped (s, part,
      G_URI_RESERVED_CHARS_SUBCOMPONENT_DELIMITERS, TRUE);
}

/* The application as written in a location. Without a stream, an
 * application with several segments ("app/inst") gets a trailing slash so
 * that parsing it again does not take "inst" for the stream. */
static void
append_application (GString * s, const RtmpCoreUrl * url, gboolean masked)
{
  const gchar *app = url->application;
  gsize name_len = strcspn (app, "?#");

  g_string_append_len (s, app, name_len);
  if (!url->stream && memchr (app, '/', name_len))
    g_string_append_c (s, '/');
  if (app[name_len] != '\0')
    g_string_append (s, masked ? "?" MASK : app + name_len);
}

/* The stream key keeps two characters; any query or fragment is hidden. */
static void
append_masked_stream (GString * s, const gchar * stream)
{
  gsize name_len = strcspn (stream, "?#");
  gchar *name = g_strndup (stream, name_len);
  gchar *masked = rtmp_core_mask_secret (name);

  g_string_append (s, masked);
  if (stream[name_len] != '\0')
    g_string_append (s, "?" MASK);
  g_free (masked);
  g_free (name);
}

static gchar *
build_string (const RtmpCoreUrl * url, gboolean masked)
{
  GString *s = g_string_new (scheme_name (url->scheme));

  g_string_append (s, "://");
  if (url->username || url->password) {
    if (url->username)
      append_escaped_userinfo (s, url->username);
    if (url->password) {
      g_string_append_c (s, ':');
      if (masked)
        g_string_append (s, MASK);
      else
        append_escaped_userinfo (s, url->password);
    }
    g_string_append_c (s, '@');
  }
  append_host_port (s, url);
  g_string_append_c (s, '/');
  append_application (s, url, masked);
  if (url->stream) {
    g_string_append_c (s, '/');
    if (masked)
      append_masked_stream (s, url->stream);
    else
      g_string_append (s, url->stream);
  }
  return g_string_free (s, FALSE);
}

/**
 * rtmp_core_url_get_tc_url:
 * @url: a location
 *
 * Builds the tcUrl sent in `connect`: `rtmp[s]://host[:port]/app`, without
 * user information or stream. The port appears only if the location gave
 * one; an application's "?query" (e.g. authentication parameters) is kept.
 *
 * Returns: (transfer full): the tcUrl
 *
 * Since: 0.1
 */
gchar *
rtmp_core_url_get_tc_url (const RtmpCoreUrl * url)
{
  GString *s;

  g_return_val_if_fail (url != NULL, NULL);

  s = g_string_new (scheme_name (url->scheme));
  g_string_append (s, "://");
  append_host_port (s, url);
  g_string_append_c (s, '/');
  g_string_append (s, url->application);
  return g_string_free (s, FALSE);
}

/**
 * rtmp_core_url_to_string:
 * @url: a location
 *
 * Prints the full location, including the password and stream key, in a
 * form rtmp_core_url_parse() reads back to the same parts (an application
 * of several segments without a stream gets a trailing slash). Never log
 * the result; use rtmp_core_url_to_masked_string() for that.
 *
 * Returns: (transfer full): the location
 *
 * Since: 0.1
 */
gchar *
rtmp_core_url_to_string (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return build_string (url, FALSE);
}

/**
 * rtmp_core_url_to_masked_string:
 * @url: a location
 *
 * Prints the location for logs and error messages: the password becomes
 * "****", the stream name keeps its first two characters followed by
 * "****" (see rtmp_core_mask_secret()), and any "?query" of the
 * application or stream becomes "?****". For example
 * `rtmp://user:****@host/live/ab****?****`.
 *
 * Returns: (transfer full): the masked location
 *
 * Since: 0.1
 */
gchar *
rtmp_core_url_to_masked_string (const RtmpCoreUrl * url)
{
  g_return_val_if_fail (url != NULL, NULL);
  return build_string (url, TRUE);
}

/**
 * rtmp_core_mask_secret:
 * @secret: (nullable): a stream key, token or password
 *
 * Masks a secret for logging. Secrets of at most two characters become
 * that many '*'; longer ones keep their first two characters followed by
 * "****", whatever their length ("abcdef" gives "ab****").
 *
 * Returns: (transfer full) (nullable): the masked text, %NULL if @secret
 *   is %NULL
 *
 * Since: 0.1
 */
gchar *
rtmp_core_mask_secret (const gchar * secret)
{
  gsize n_chars, prefix_len;

  if (!secret)
    return NULL;

  if (g_utf8_validate (secret, -1, NULL)) {
    n_chars = g_utf8_strlen (secret, -1);
    prefix_len = n_chars > 2 ?
        (gsize) (g_utf8_offset_to_pointer (secret, 2) - secret) : 0;
  } else {
    n_chars = strlen (secret);
    prefix_len = 2;
  }

  if (n_chars <= 2)
    return g_strnfill (n_chars, '*');
  return g_strdup_printf ("%.*s" MASK, (int) prefix_len, secret);
}
