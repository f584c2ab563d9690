/* RTMP authentication: parsing connect rejections and computing the
 * Adobe and Limelight responses. No I/O.
 *
 * Adobe ("authmod=adobe", FMS, Wowza): the server rejects a connect that
 * names the user with `?reason=needauth&salt=S&challenge=C&opaque=O`; the
 * client reconnects with
 * response = base64 (md5 (base64 (md5 (user salt password))
 *                         (opaque, else challenge) client_challenge)).
 *
 * Limelight ("authmod=llnw"): an HTTP-digest-like scheme (RFC 2617 with
 * qop "auth") over realm "live", method "publish" and the URI
 * "/app" (plus "/_definst_" when the application has no instance), with
 * lower-case hexadecimal digests. */
#include "rtmp-auth.h"
#include "rtmp-error.h"

#include <string.h>

/* A description with more parameters than this is not a real challenge;
 * the rest is ignored. */
#define MAX_PARAMS 32

#define LLNW_METHOD "publish"
#define LLNW_QOP "auth"
#define LLNW_NONCE_COUNT "00000001"
#define LLNW_DEFAULT_INSTANCE "_definst_"

struct _RtmpCoreAuthChallenge {
  RtmpCoreAuthmod authmod;
  RtmpCoreAuthReason reason;
  GPtrArray *params;            /* key, value, key, value... (owned) */
};

G_DEFINE_BOXED_TYPE (RtmpCoreAuthChallenge, rtmp_core_auth_challenge,
    rtmp_core_auth_challenge_copy, rtmp_core_auth_challenge_free)

/* ---- parsing ---- */

/* Characters that end a token in the free text around the query. */
static gboolean
is_token_end (gchar c)
{
  return c == '\0' || c == ' ' || c == ']' || c == ';' || c == '&' ||
      c == ',' || c == '"' || c == '\t' || c == '\r' || c == '\n';
}

static gchar *
read_token (const gchar * start)
{
  const gchar *end = start;

  while (!is_token_end (*end))
    end++;
  return g_strndup (start, end - start);
}

/* The first "name=" that starts a word or a query parameter. */
static const gchar *
find_key (const gchar * text, const gchar * key)
{
  gsize key_len = strlen (key);
  const gchar *hit = text;

  while ((hit = strstr (hit, key)) != NULL) {
    if (hit == text || hit[-1] == '?' || hit[-1] == '&' || hit[-1] == ' ' ||
        hit[-1] == '[' || hit[-1] == ';')
      return hit + key_len;
    hit += key_len;
  }
  return NULL;
}

static RtmpCoreAuthReason
reason_from_string (const gchar * reason)
{
  if (g_str_equal (reason, "needauth"))
    return RTMP_CORE_AUTH_REASON_NEEDAUTH;
  if (g_str_equal (reason, "authfailed"))
    return RTMP_CORE_AUTH_REASON_AUTHFAILED;
  if (g_str_equal (reason, "nosuchuser"))
    return RTMP_CORE_AUTH_REASON_NOSUCHUSER;
  return RTMP_CORE_AUTH_REASON_OTHER;
}

/* Splits the query "k=v&k=v..." (up to the first blank) into params; a
 * value runs to the next '&', so base64 padding stays in it. */
static void
parse_query (RtmpCoreAuthChallenge * challenge, const gchar * query)
{
  gsize len = strcspn (query, " \t\r\n");
  gchar *text = g_strndup (query, len);
  gchar **pairs = g_strsplit (text, "&", MAX_PARAMS + 1);
  guint i;

  for (i = 0; pairs[i] && i < MAX_PARAMS; i++) {
    gchar *eq = strchr (pairs[i], '=');

    if (eq == NULL || eq == pairs[i])
      continue;
    *eq = '\0';
    if (rtmp_core_auth_challenge_get_param (challenge, pairs[i]) != NULL)
      continue;
    g_ptr_array_add (challenge->params, g_strdup (pairs[i]));
    g_ptr_array_add (challenge->params, g_strdup (eq + 1));
  }
  g_strfreev (pairs);
  g_free (text);
}

/**
 * rtmp_core_auth_challenge_parse:
 * @description: the description of a rejected `connect`, e.g.
 *   `[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=u&salt=S&challenge=C&opaque=O`
 * @error: return location for a #GError
 *
 * Finds the authentication request in a rejection: the scheme named by
 * `authmod=`, and the `reason=` query with its parameters. A rejection
 * without a `reason=` (such as `[ code=403 need auth; authmod=adobe ]`)
 * gives %RTMP_CORE_AUTH_REASON_NONE and no parameters.
 *
 * Returns: (transfer full) (nullable): the request, or %NULL with
 *   %RTMP_CORE_ERROR_MALFORMED when @description names no `authmod`, or
 *   %RTMP_CORE_ERROR_UNSUPPORTED when it names a scheme other than `adobe`
 *   and `llnw`
 *
 * Since: 0.1
 */
RtmpCoreAuthChallenge *
rtmp_core_auth_challenge_parse (const gchar * description, GError ** error)
{
  RtmpCoreAuthChallenge *challenge;
  const gchar *authmod_at, *reason_at;
  RtmpCoreAuthmod authmod;
  gchar *name;

  g_return_val_if_fail (description != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  authmod_at = find_key (description, "authmod=");
  if (authmod_at == NULL) {
    g_set_error_literal (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "The rejection names no authentication scheme (no authmod=)");
    return NULL;
  }
  name = read_token (authmod_at);
  if (g_ascii_strcasecmp (name, "adobe") == 0) {
    authmod = RTMP_CORE_AUTHMOD_ADOBE;
  } else if (g_ascii_strcasecmp (name, "llnw") == 0) {
    authmod = RTMP_CORE_AUTHMOD_LLNW;
  } else {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED,
        "The server asks for authentication scheme \"%s\"; only \"adobe\" "
        "and \"llnw\" are supported", name);
    g_free (name);
    return NULL;
  }
  g_free (name);

  challenge = g_new0 (RtmpCoreAuthChallenge, 1);
  challenge->authmod = authmod;
  challenge->reason = RTMP_CORE_AUTH_REASON_NONE;
  challenge->params = g_ptr_array_new_with_free_func (g_free);

  reason_at = find_key (description, "reason=");
  if (reason_at) {
    const gchar *query = reason_at - strlen ("reason=");
    const gchar *reason;

    /* the query may hold parameters before the reason */
    while (query > description && query[-1] != '?' &&
        !g_ascii_isspace (query[-1]))
      query--;

    parse_query (challenge, query);
    reason = rtmp_core_auth_challenge_get_param (challenge, "reason");
    challenge->reason = reason ? reason_from_string (reason) :
        RTMP_CORE_AUTH_REASON_OTHER;
  }
  return challenge;
}

/**
 * rtmp_core_auth_challenge_copy:
 * @challenge: a request
 *
 * Copies @challenge with all its parameters.
 *
 * Returns: (transfer full): a copy of @challenge
 *
 * Since: 0.1
 */
RtmpCoreAuthChallenge *
rtmp_core_auth_challenge_copy (const RtmpCoreAuthChallenge * challenge)
{
  RtmpCoreAuthChallenge *copy;
  guint i;

  g_return_val_if_fail (challenge != NULL, NULL);

  copy = g_new0 (RtmpCoreAuthChallenge, 1);
  copy->authmod = challenge->authmod;
  copy->reason = challenge->reason;
  copy->params = g_ptr_array_new_with_free_func (g_free);
  for (i = 0; i < challenge->params->len; i++)
    g_ptr_array_add (copy->params,
        g_strdup (g_ptr_array_index (challenge->params, i)));
  return copy;
}

/**
 * rtmp_core_auth_challenge_free:
 * @challenge: (nullable): a request
 *
 * Frees @challenge.
 *
 * Since: 0.1
 */
void
rtmp_core_auth_challenge_free (RtmpCoreAuthChallenge * challenge)
{
  if (challenge == NULL)
    return;
  g_ptr_array_unref (challenge->params);
  g_free (challenge);
}

/**
 * rtmp_core_auth_challenge_get_authmod:
 * @challenge: a request
 *
 * Gets the scheme named by `authmod=` in the rejection.
 *
 * Returns: the scheme the server asks for: %RTMP_CORE_AUTHMOD_ADOBE or
 *   %RTMP_CORE_AUTHMOD_LLNW
 *
 * Since: 0.1
 */
RtmpCoreAuthmod
rtmp_core_auth_challenge_get_authmod (const RtmpCoreAuthChallenge * challenge)
{
  g_return_val_if_fail (challenge != NULL, RTMP_CORE_AUTHMOD_NONE);
  return challenge->authmod;
}

/**
 * rtmp_core_auth_challenge_get_reason:
 * @challenge: a request
 *
 * Gets what the rejection asks for: the user, an answer to a challenge,
 * or nothing more (the credentials were wrong).
 *
 * Returns: the `reason=` of the request
 *
 * Since: 0.1
 */
RtmpCoreAuthReason
rtmp_core_auth_challenge_get_reason (const RtmpCoreAuthChallenge * challenge)
{
  g_return_val_if_fail (challenge != NULL, RTMP_CORE_AUTH_REASON_OTHER);
  return challenge->reason;
}

/**
 * rtmp_core_auth_challenge_get_param:
 * @challenge: a request
 * @name: a parameter of the query, e.g. "salt", "challenge", "opaque",
 *   "nonce" or "user"
 *
 * Values are given as they appear in the description, not
 * percent-decoded: servers send base64 and hexadecimal tokens raw and
 * expect them back the same way.
 *
 * Returns: (transfer none) (nullable): the value of the first parameter
 *   called @name, or %NULL
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_auth_challenge_get_param (const RtmpCoreAuthChallenge * challenge,
    const gchar * name)
{
  guint i;

  g_return_val_if_fail (challenge != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (i = 0; i + 1 < challenge->params->len; i += 2)
    if (g_str_equal (g_ptr_array_index (challenge->params, i), name))
      return g_ptr_array_index (challenge->params, i + 1);
  return NULL;
}

/**
 * rtmp_core_authmod_to_string:
 * @authmod: a scheme
 *
 * Gives the name of @authmod, as used in queries and messages.
 *
 * Returns: the name used in `authmod=`: "adobe" or "llnw"; "none" and
 *   "auto" for the other values
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_authmod_to_string (RtmpCoreAuthmod authmod)
{
  switch (authmod) {
    case RTMP_CORE_AUTHMOD_ADOBE:
      return "adobe";
    case RTMP_CORE_AUTHMOD_LLNW:
      return "llnw";
    case RTMP_CORE_AUTHMOD_AUTO:
      return "auto";
    default:
      return "none";
  }
}

/* ---- responses ---- */

static void
checksum_add (GChecksum * checksum, const gchar * text)
{
  g_checksum_update (checksum, (const guchar *) text, strlen (text));
}

static gchar *
md5_base64 (GChecksum * md5)
{
  guint8 digest[16];
  gsize digest_len = sizeof (digest);

  g_checksum_get_digest (md5, digest, &digest_len);
  g_assert (digest_len == sizeof (digest));
  return g_base64_encode (digest, sizeof (digest));
}

/**
 * rtmp_core_auth_adobe_response:
 * @user: the user name
 * @password: the password
 * @salt: the server's `salt`
 * @opaque: (nullable): the server's `opaque`, if it sent one
 * @challenge: (nullable): the server's `challenge`, if it sent one
 * @client_challenge: the client's own challenge, sent back with the
 *   response (e.g. from rtmp_core_auth_new_client_nonce())
 *
 * Computes the Adobe response:
 * base64 (md5 (base64 (md5 (@user @salt @password)) X @client_challenge)),
 * where X is @opaque, else @challenge, else nothing (the choice ffmpeg,
 * librtmp and GStreamer's rtmp2 make).
 *
 * Returns: (transfer full): the response, base64 of an MD5 digest
 *
 * Since: 0.1
 */
gchar *
rtmp_core_auth_adobe_response (const gchar * user, const gchar * password,
    const gchar * salt, const gchar * opaque, const gchar * challenge,
    const gchar * client_challenge)
{
  GChecksum *md5;
  gchar *hash, *response;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (salt != NULL, NULL);
  g_return_val_if_fail (client_challenge != NULL, NULL);

  md5 = g_checksum_new (G_CHECKSUM_MD5);
  checksum_add (md5, user);
  checksum_add (md5, salt);
  checksum_add (md5, password);
  hash = md5_base64 (md5);

  g_checksum_reset (md5);
  checksum_add (md5, hash);
  if (opaque)
    checksum_add (md5, opaque);
  else if (challenge)
    checksum_add (md5, challenge);
  checksum_add (md5, client_challenge);
  response = md5_base64 (md5);

  /* the intermediate hash is as good as the password for this salt */
  memset (hash, 0, strlen (hash));
  g_free (hash);
  g_checksum_free (md5);
  return response;
}

static gchar *
md5_hex_of (const gchar * first, ...) G_GNUC_NULL_TERMINATED;

/* Lower-case hexadecimal MD5 of the strings given, joined by ':'. */
static gchar *
md5_hex_of (const gchar * first, ...)
{
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);
  const gchar *part;
  gchar *hex;
  va_list args;

  checksum_add (md5, first);
  va_start (args, first);
  while ((part = va_arg (args, const gchar *)) != NULL) {
    checksum_add (md5, ":");
    checksum_add (md5, part);
  }
  va_end (args);
  hex = g_strdup (g_checksum_get_string (md5));
  g_checksum_free (md5);
  return hex;
}

/**
 * rtmp_core_auth_llnw_response:
 * @user: the user name
 * @password: the password
 * @nonce: the server's `nonce`
 * @application: the application connected to, without any query, e.g.
 *   "live" or "live/instance"
 * @cnonce: the client's nonce, sent back with the response (e.g. from
 *   rtmp_core_auth_new_client_nonce())
 *
 * Computes the Limelight response, an RFC 2617 digest with qop "auth" and
 * nonce count 00000001:
 * HA1 = md5 (@user ":live:" @password),
 * HA2 = md5 ("publish:/" @application), where an application without an
 * instance gets "/_definst_" appended,
 * response = md5 (HA1 ":" @nonce ":00000001:" @cnonce ":auth:" HA2),
 * all as lower-case hexadecimal.
 *
 * Returns: (transfer full): the response, 32 hexadecimal digits
 *
 * Since: 0.1
 */
gchar *
rtmp_core_auth_llnw_response (const gchar * user, const gchar * password,
    const gchar * nonce, const gchar * application, const gchar * cnonce)
{
  gchar *ha1, *ha2, *uri, *response;

  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (nonce != NULL, NULL);
  g_return_val_if_fail (application != NULL, NULL);
  g_return_val_if_fail (cnonce != NULL, NULL);

  ha1 = md5_hex_of (user, RTMP_CORE_AUTH_LLNW_REALM, password, NULL);
  uri = strchr (application, '/') ? g_strconcat ("/", application, NULL) :
      g_strconcat ("/", application, "/" LLNW_DEFAULT_INSTANCE, NULL);
  ha2 = md5_hex_of (LLNW_METHOD, uri, NULL);
  response = md5_hex_of (ha1, nonce, LLNW_NONCE_COUNT, cnonce, LLNW_QOP, ha2,
      NULL);

  memset (ha1, 0, strlen (ha1));
  g_free (ha1);
  g_free (ha2);
  g_free (uri);
  return response;
}

/**
 * rtmp_core_auth_new_client_nonce:
 *
 * Makes a random client challenge (Adobe) or cnonce (Limelight).
 *
 * Returns: (transfer full): 8 random lower-case hexadecimal digits
 *
 * Since: 0.1
 */
gchar *
rtmp_core_auth_new_client_nonce (void)
{
  return g_strdup_printf ("%08x", g_random_int ());
}

/* ---- queries ---- */

/**
 * rtmp_core_auth_build_user_query:
 * @authmod: %RTMP_CORE_AUTHMOD_ADOBE or %RTMP_CORE_AUTHMOD_LLNW
 * @user: the user name
 *
 * Builds the query that announces the user, the first step of both
 * schemes; append it to the application and the tcUrl of `connect` with
 * rtmp_core_auth_append_query().
 *
 * Returns: (transfer full): `authmod=NAME&user=USER`
 *
 * Since: 0.1
 */
gchar *
rtmp_core_auth_build_user_query (RtmpCoreAuthmod authmod, const gchar * user)
{
  g_return_val_if_fail (authmod == RTMP_CORE_AUTHMOD_ADOBE ||
      authmod == RTMP_CORE_AUTHMOD_LLNW, NULL);
  g_return_val_if_fail (user != NULL, NULL);

  return g_strdup_printf ("authmod=%s&user=%s",
      rtmp_core_authmod_to_string (authmod), user);
}

static const gchar *
require_param (const RtmpCoreAuthChallenge * challenge, const gchar * name,
    GError ** error)
{
  const gchar *value = rtmp_core_auth_challenge_get_param (challenge, name);

  if (value == NULL)
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "The server's %s authentication challenge has no \"%s\"",
        rtmp_core_authmod_to_string (challenge->authmod), name);
  return value;
}

/**
 * rtmp_core_auth_build_response_query:
 * @challenge: a request with %RTMP_CORE_AUTH_REASON_NEEDAUTH
 * @user: the user name
 * @password: the password
 * @application: the application connected to, without any query (used by
 *   the Limelight digest only)
 * @client_nonce: the client's challenge or cnonce, e.g. from
 *   rtmp_core_auth_new_client_nonce()
 * @error: return location for a #GError
 *
 * Answers a challenge. For Adobe:
 * `authmod=adobe&user=U&challenge=CLIENT&response=R` followed by
 * `&opaque=O` when the server sent an opaque; for Limelight:
 * `authmod=llnw&user=U&nonce=N&cnonce=CLIENT&nc=00000001&response=R`.
 * Server values are copied as they came. The query holds a hash derived
 * from the password: do not log it.
 *
 * Returns: (transfer full) (nullable): the query to append to the
 *   application and the tcUrl of the next `connect`, or %NULL with
 *   %RTMP_CORE_ERROR_MALFORMED when the challenge lacks the salt (Adobe)
 *   or the nonce (Limelight)
 *
 * Since: 0.1
 */
gchar *
rtmp_core_auth_build_response_query (const RtmpCoreAuthChallenge * challenge,
    const gchar * user, const gchar * password, const gchar * application,
    const gchar * client_nonce, GError ** error)
{
  const gchar *salt, *nonce, *opaque;
  gchar *response, *query;

  g_return_val_if_fail (challenge != NULL, NULL);
  g_return_val_if_fail (user != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (application != NULL, NULL);
  g_return_val_if_fail (client_nonce != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (challenge->authmod == RTMP_CORE_AUTHMOD_LLNW) {
    nonce = require_param (challenge, "nonce", error);
    if (nonce == NULL)
      return NULL;
    response = rtmp_core_auth_llnw_response (user, password, nonce,
        application, client_nonce);
    query = g_strdup_printf ("authmod=llnw&user=%s&nonce=%s&cnonce=%s&nc="
        LLNW_NONCE_COUNT "&response=%s", user, nonce, client_nonce, response);
    g_free (response);
    return query;
  }

  salt = require_param (challenge, "salt", error);
  if (salt == NULL)
    return NULL;
  opaque = rtmp_core_auth_challenge_get_param (challenge, "opaque");
  response = rtmp_core_auth_adobe_response (user, password, salt, opaque,
      rtmp_core_auth_challenge_get_param (challenge, "challenge"),
      client_nonce);
  query = g_strdup_printf ("authmod=adobe&user=%s&challenge=%s&response=%s"
      "%s%s", user, client_nonce, response, opaque ? "&opaque=" : "",
      opaque ? opaque : "");
  g_free (response);
  return query;
}

/**
 * rtmp_core_auth_append_query:
 * @base: an application or a tcUrl, possibly with a query already
 * @query: the query to add, without '?'
 *
 * Adds an authentication query to the application or the tcUrl of
 * `connect`, after any query it already has.
 *
 * Returns: (transfer full): @base with @query appended after '?', or
 *   after '&' when @base already has a query
 *
 * Since: 0.1
 */
gchar *
rtmp_core_auth_append_query (const gchar * base, const gchar * query)
{
  g_return_val_if_fail (base != NULL, NULL);
  g_return_val_if_fail (query != NULL, NULL);

  return g_strconcat (base, strchr (base, '?') ? "&" : "?", query, NULL);
}
