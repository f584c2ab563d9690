/* RTMP authentication helpers: parsing rejections, Adobe and Limelight
 * responses, queries. Expected values are computed here independently
 * with GChecksum, and fixed vectors were computed with another tool
 * (Python's hashlib) by hand. */
#include <rtmpcore.h>

#include <string.h>

/* ---- independent computations ---- */

static gchar *
b64_md5 (const gchar * text)
{
  GChecksum *md5 = g_checksum_new (G_CHECKSUM_MD5);
  guint8 digest[16];
  gsize len = sizeof (digest);
  gchar *out;

  g_checksum_update (md5, (const guchar *) text, -1);
  g_checksum_get_digest (md5, digest, &len);
  g_assert_cmpuint (len, ==, 16);
  out = g_base64_encode (digest, len);
  g_checksum_free (md5);
  return out;
}

static gchar *
expected_adobe (const gchar * user, const gchar * password,
    const gchar * salt, const gchar * opaque_or_challenge,
    const gchar * client_challenge)
{
  gchar *first = g_strconcat (user, salt, password, NULL);
  gchar *hash = b64_md5 (first);
  gchar *second = g_strconcat (hash, opaque_or_challenge, client_challenge,
      NULL);
  gchar *response = b64_md5 (second);

  g_free (first);
  g_free (hash);
  g_free (second);
  return response;
}

static gchar *
hex_md5 (const gchar * text)
{
  return g_compute_checksum_for_string (G_CHECKSUM_MD5, text, -1);
}

static gchar *
expected_llnw (const gchar * user, const gchar * password,
    const gchar * nonce, const gchar * uri, const gchar * cnonce)
{
  gchar *a1 = g_strdup_printf ("%s:live:%s", user, password);
  gchar *a2 = g_strdup_printf ("publish:%s", uri);
  gchar *ha1 = hex_md5 (a1), *ha2 = hex_md5 (a2);
  gchar *kd = g_strdup_printf ("%s:%s:00000001:%s:auth:%s", ha1, nonce,
      cnonce, ha2);
  gchar *response = hex_md5 (kd);

  g_free (a1);
  g_free (a2);
  g_free (ha1);
  g_free (ha2);
  g_free (kd);
  return response;
}

/* ---- parsing ---- */

static void
test_parse_needauth (void)
{
  RtmpCoreAuthChallenge *c;
  GError *error = NULL;

  c = rtmp_core_auth_challenge_parse ("[ AccessManager.Reject ] : "
      "[ authmod=adobe ] : ?reason=needauth&user=user2020&salt=8wsAAA==&"
      "challenge=OzMAAA==&opaque=OzMBBB==", &error);
  g_assert_no_error (error);
  g_assert_nonnull (c);
  g_assert_cmpint (rtmp_core_auth_challenge_get_authmod (c), ==,
      RTMP_CORE_AUTHMOD_ADOBE);
  g_assert_cmpint (rtmp_core_auth_challenge_get_reason (c), ==,
      RTMP_CORE_AUTH_REASON_NEEDAUTH);
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "reason"), ==,
      "needauth");
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "user"), ==,
      "user2020");
  /* base64 padding belongs to the value */
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "salt"), ==,
      "8wsAAA==");
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "challenge"), ==,
      "OzMAAA==");
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "opaque"), ==,
      "OzMBBB==");
  g_assert_null (rtmp_core_auth_challenge_get_param (c, "nonce"));
  rtmp_core_auth_challenge_free (c);
}

/* Wowza's form: the path between the scheme and the query, an empty user. */
static void
test_parse_wowza (void)
{
  RtmpCoreAuthChallenge *c, *copy;

  c = rtmp_core_auth_challenge_parse ("[ AccessManager.Reject ] : "
      "[ code=403 need auth; authmod=adobe ] : /live : ?reason=needauth&"
      "user=&salt=6MnrBnKW&challenge=7C5OrwQg&opaque=vbi2V", NULL);
  g_assert_nonnull (c);
  g_assert_cmpint (rtmp_core_auth_challenge_get_authmod (c), ==,
      RTMP_CORE_AUTHMOD_ADOBE);
  g_assert_cmpint (rtmp_core_auth_challenge_get_reason (c), ==,
      RTMP_CORE_AUTH_REASON_NEEDAUTH);
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "user"), ==, "");
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "salt"), ==,
      "6MnrBnKW");
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "opaque"), ==,
      "vbi2V");

  copy = rtmp_core_auth_challenge_copy (c);
  rtmp_core_auth_challenge_free (c);
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (copy, "challenge"),
      ==, "7C5OrwQg");
  g_assert_cmpint (rtmp_core_auth_challenge_get_reason (copy), ==,
      RTMP_CORE_AUTH_REASON_NEEDAUTH);
  rtmp_core_auth_challenge_free (copy);
}

/* The first step: only the scheme, no reason and no parameters. */
static void
test_parse_need_user (void)
{
  RtmpCoreAuthChallenge *c;

  c = rtmp_core_auth_challenge_parse ("[ AccessManager.Reject ] : "
      "[ code=403 need auth; authmod=adobe ] : ", NULL);
  g_assert_nonnull (c);
  g_assert_cmpint (rtmp_core_auth_challenge_get_authmod (c), ==,
      RTMP_CORE_AUTHMOD_ADOBE);
  g_assert_cmpint (rtmp_core_auth_challenge_get_reason (c), ==,
      RTMP_CORE_AUTH_REASON_NONE);
  g_assert_null (rtmp_core_auth_challenge_get_param (c, "salt"));
  rtmp_core_auth_challenge_free (c);

  c = rtmp_core_auth_challenge_parse ("[ code=403 need auth; authmod=llnw ]",
      NULL);
  g_assert_nonnull (c);
  g_assert_cmpint (rtmp_core_auth_challenge_get_authmod (c), ==,
      RTMP_CORE_AUTHMOD_LLNW);
  g_assert_cmpint (rtmp_core_auth_challenge_get_reason (c), ==,
      RTMP_CORE_AUTH_REASON_NONE);
  rtmp_core_auth_challenge_free (c);
}

static void
test_parse_reasons (void)
{
  static const struct {
    const gchar *description;
    RtmpCoreAuthmod authmod;
    RtmpCoreAuthReason reason;
  } cases[] = {
    {"[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=authfailed&"
          "opaque=vgoAAA==", RTMP_CORE_AUTHMOD_ADOBE,
        RTMP_CORE_AUTH_REASON_AUTHFAILED},
    {"[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=nosuchuser",
        RTMP_CORE_AUTHMOD_ADOBE, RTMP_CORE_AUTH_REASON_NOSUCHUSER},
    {"[ authmod=llnw ] : ?reason=needauth&user=acme&nonce=N0nc3",
        RTMP_CORE_AUTHMOD_LLNW, RTMP_CORE_AUTH_REASON_NEEDAUTH},
    {"[ authmod=adobe ] : ?reason=expired", RTMP_CORE_AUTHMOD_ADOBE,
        RTMP_CORE_AUTH_REASON_OTHER},
    /* parameters before the reason; a trailing blank ends the query */
    {"[authmod=adobe] : ?user=u&reason=needauth&salt=S ]",
        RTMP_CORE_AUTHMOD_ADOBE, RTMP_CORE_AUTH_REASON_NEEDAUTH},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    GError *error = NULL;
    RtmpCoreAuthChallenge *c =
        rtmp_core_auth_challenge_parse (cases[i].description, &error);

    g_assert_no_error (error);
    g_assert_cmpint (rtmp_core_auth_challenge_get_authmod (c), ==,
        cases[i].authmod);
    g_assert_cmpint (rtmp_core_auth_challenge_get_reason (c), ==,
        cases[i].reason);
    rtmp_core_auth_challenge_free (c);
  }

  {
    RtmpCoreAuthChallenge *c =
        rtmp_core_auth_challenge_parse (cases[4].description, NULL);

    g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "user"), ==, "u");
    g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "salt"), ==, "S");
    rtmp_core_auth_challenge_free (c);
  }
}

static void
test_parse_errors (void)
{
  GError *error = NULL;
  RtmpCoreAuthChallenge *c;
  GString *many;
  guint i;

  /* no scheme: not an authentication request */
  g_assert_null (rtmp_core_auth_challenge_parse ("Connection rejected",
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
  /* "authmod=" inside a word does not count */
  g_assert_null (rtmp_core_auth_challenge_parse ("noauthmod=adobe", &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);

  g_assert_null (rtmp_core_auth_challenge_parse ("[ authmod=akamai ] : "
          "?reason=needauth", &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "akamai"));
  g_clear_error (&error);

  /* malformed parameters are skipped, the first of a name wins, and
   * the number of parameters is capped */
  c = rtmp_core_auth_challenge_parse ("[ authmod=adobe ] : ?reason=needauth&"
      "&=x&novalue&salt=first&salt=second", NULL);
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "salt"), ==,
      "first");
  g_assert_null (rtmp_core_auth_challenge_get_param (c, "novalue"));
  g_assert_null (rtmp_core_auth_challenge_get_param (c, ""));
  rtmp_core_auth_challenge_free (c);

  many = g_string_new ("[ authmod=adobe ] : ?reason=needauth");
  for (i = 0; i < 1000; i++)
    g_string_append_printf (many, "&p%u=%u", i, i);
  c = rtmp_core_auth_challenge_parse (many->str, NULL);
  g_assert_cmpstr (rtmp_core_auth_challenge_get_param (c, "p30"), ==, "30");
  g_assert_null (rtmp_core_auth_challenge_get_param (c, "p31"));
  rtmp_core_auth_challenge_free (c);
  g_string_free (many, TRUE);

  /* a dangling key at the very end */
  c = rtmp_core_auth_challenge_parse ("authmod=adobe ?reason=", NULL);
  g_assert_cmpint (rtmp_core_auth_challenge_get_reason (c), ==,
      RTMP_CORE_AUTH_REASON_OTHER);
  rtmp_core_auth_challenge_free (c);
}

/* ---- responses ---- */

/* The FMS users.dat line "user2020:8wsAAA==:ICbruj1yNoAtrODdBhFTSQ==" holds
 * base64 (md5 (user salt password)) for password 123456; the responses
 * were computed by hand with Python's hashlib. */
static void
test_adobe_fixed (void)
{
  gchar *first = b64_md5 ("user20208wsAAA==123456");
  gchar *response;

  g_assert_cmpstr (first, ==, "ICbruj1yNoAtrODdBhFTSQ==");
  g_free (first);

  response = rtmp_core_auth_adobe_response ("user2020", "123456", "8wsAAA==",
      "OzMAAA==", "ignored-when-opaque", "KQAAAA==");
  g_assert_cmpstr (response, ==, "9xQQ97Gr6RZYkCy9PMKdNg==");
  g_free (response);

  response = rtmp_core_auth_adobe_response ("user2020", "123456", "8wsAAA==",
      NULL, "OzMAAA==", "0badf00d");
  g_assert_cmpstr (response, ==, "AIOzL6fuybGi67szY4DC1w==");
  g_free (response);

  /* neither opaque nor challenge */
  response = rtmp_core_auth_adobe_response ("user2020", "123456", "8wsAAA==",
      NULL, NULL, "0badf00d");
  g_assert_cmpstr (response, ==, "f3wnfCfN+glkwMdZsV7EJQ==");
  g_free (response);
}

static void
test_adobe_computed (void)
{
  static const struct {
    const gchar *user, *password, *salt, *opaque, *challenge, *client;
  } cases[] = {
    {"alice", "s3cr3t!", "6MnrBnKW", "vbi2V", "7C5OrwQg", "1a2b3c4d"},
    {"bob", "p@ss word", "c2FsdA==", NULL, "Y2hhbGw=", "ffffffff"},
    {"", "", "", NULL, NULL, "00000000"},
    {"ünï", "кириллица", "salt", "op", NULL, "abcdef01"},
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    gchar *got = rtmp_core_auth_adobe_response (cases[i].user,
        cases[i].password, cases[i].salt, cases[i].opaque, cases[i].challenge,
        cases[i].client);
    gchar *want = expected_adobe (cases[i].user, cases[i].password,
        cases[i].salt, cases[i].opaque ? cases[i].opaque :
        cases[i].challenge ? cases[i].challenge : "", cases[i].client);

    g_assert_cmpstr (got, ==, want);
    /* base64 of 16 bytes */
    g_assert_cmpuint (strlen (got), ==, 24);
    g_free (got);
    g_free (want);
  }
}

static void
test_llnw (void)
{
  gchar *got, *want;

  /* fixed, computed by hand with Python's hashlib */
  got = rtmp_core_auth_llnw_response ("acme", "go!acme", "N0nc3", "acme",
      "deadbeef");
  g_assert_cmpstr (got, ==, "32e10159fcfb8b449aa211dd0d12de41");
  g_free (got);
  got = rtmp_core_auth_llnw_response ("acme", "go!acme", "N0nc3",
      "live/inst", "deadbeef");
  g_assert_cmpstr (got, ==, "d5f69a38aff95b762df200f95ef7f4bd");
  g_free (got);

  /* an application without instance gets the default one */
  got = rtmp_core_auth_llnw_response ("u", "p", "n", "app", "c");
  want = expected_llnw ("u", "p", "n", "/app/_definst_", "c");
  g_assert_cmpstr (got, ==, want);
  g_free (got);
  g_free (want);
  got = rtmp_core_auth_llnw_response ("u", "p", "n", "app/i", "c");
  want = expected_llnw ("u", "p", "n", "/app/i", "c");
  g_assert_cmpstr (got, ==, want);
  g_free (got);
  g_free (want);
}

static void
test_client_nonce (void)
{
  gchar *a = rtmp_core_auth_new_client_nonce ();
  guint i;

  g_assert_cmpuint (strlen (a), ==, 8);
  for (i = 0; i < 8; i++)
    g_assert_true (g_ascii_isxdigit (a[i]) && !g_ascii_isupper (a[i]));
  g_free (a);
}

/* ---- queries ---- */

static void
test_queries (void)
{
  gchar *q;

  q = rtmp_core_auth_build_user_query (RTMP_CORE_AUTHMOD_ADOBE, "user2020");
  g_assert_cmpstr (q, ==, "authmod=adobe&user=user2020");
  g_free (q);
  q = rtmp_core_auth_build_user_query (RTMP_CORE_AUTHMOD_LLNW, "acme");
  g_assert_cmpstr (q, ==, "authmod=llnw&user=acme");
  g_free (q);

  q = rtmp_core_auth_append_query ("live", "authmod=adobe&user=u");
  g_assert_cmpstr (q, ==, "live?authmod=adobe&user=u");
  g_free (q);
  q = rtmp_core_auth_append_query ("rtmp://h/live?token=t", "a=b");
  g_assert_cmpstr (q, ==, "rtmp://h/live?token=t&a=b");
  g_free (q);

  g_assert_cmpstr (rtmp_core_authmod_to_string (RTMP_CORE_AUTHMOD_ADOBE), ==,
      "adobe");
  g_assert_cmpstr (rtmp_core_authmod_to_string (RTMP_CORE_AUTHMOD_LLNW), ==,
      "llnw");
}

static void
test_response_query_adobe (void)
{
  RtmpCoreAuthChallenge *c;
  gchar *q, *want;
  GError *error = NULL;

  c = rtmp_core_auth_challenge_parse ("[ AccessManager.Reject ] : "
      "[ authmod=adobe ] : ?reason=needauth&user=user2020&salt=8wsAAA==&"
      "challenge=OzMBBB==&opaque=OzMAAA==", NULL);
  q = rtmp_core_auth_build_response_query (c, "user2020", "123456", "live",
      "KQAAAA==", &error);
  g_assert_no_error (error);
  /* the opaque is answered and echoed; the server's challenge is not */
  g_assert_cmpstr (q, ==, "authmod=adobe&user=user2020&challenge=KQAAAA==&"
      "response=9xQQ97Gr6RZYkCy9PMKdNg==&opaque=OzMAAA==");
  g_free (q);
  rtmp_core_auth_challenge_free (c);

  /* no opaque: the challenge is used, and nothing is echoed */
  c = rtmp_core_auth_challenge_parse ("[ authmod=adobe ] : ?reason=needauth&"
      "salt=8wsAAA==&challenge=OzMAAA==", NULL);
  q = rtmp_core_auth_build_response_query (c, "user2020", "123456", "live",
      "0badf00d", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q, ==, "authmod=adobe&user=user2020&challenge=0badf00d&"
      "response=AIOzL6fuybGi67szY4DC1w==");
  g_free (q);
  rtmp_core_auth_challenge_free (c);

  /* the password never appears in the query */
  c = rtmp_core_auth_challenge_parse ("[ authmod=adobe ] : ?reason=needauth&"
      "salt=x", NULL);
  q = rtmp_core_auth_build_response_query (c, "me", "hunter2", "live",
      "00000001", &error);
  g_assert_no_error (error);
  g_assert_null (strstr (q, "hunter2"));
  want = expected_adobe ("me", "hunter2", "x", "", "00000001");
  g_assert_nonnull (strstr (q, want));
  g_free (want);
  g_free (q);
  rtmp_core_auth_challenge_free (c);

  /* no salt: nothing to answer */
  c = rtmp_core_auth_challenge_parse ("[ authmod=adobe ] : ?reason=needauth&"
      "challenge=x", NULL);
  g_assert_null (rtmp_core_auth_build_response_query (c, "u", "p", "live",
          "00000001", &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "salt"));
  g_clear_error (&error);
  rtmp_core_auth_challenge_free (c);
}

static void
test_response_query_llnw (void)
{
  RtmpCoreAuthChallenge *c;
  gchar *q;
  GError *error = NULL;

  c = rtmp_core_auth_challenge_parse ("[ AccessManager.Reject ] : "
      "[ authmod=llnw ] : ?reason=needauth&user=acme&nonce=N0nc3", NULL);
  q = rtmp_core_auth_build_response_query (c, "acme", "go!acme", "acme",
      "deadbeef", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (q, ==, "authmod=llnw&user=acme&nonce=N0nc3&cnonce=deadbeef"
      "&nc=00000001&response=32e10159fcfb8b449aa211dd0d12de41");
  g_free (q);
  rtmp_core_auth_challenge_free (c);

  c = rtmp_core_auth_challenge_parse ("[ authmod=llnw ] : ?reason=needauth",
      NULL);
  g_assert_null (rtmp_core_auth_build_response_query (c, "u", "p", "live",
          "00000001", &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "nonce"));
  g_clear_error (&error);
  rtmp_core_auth_challenge_free (c);
}

static void
test_types (void)
{
  GEnumClass *klass = g_type_class_ref (RTMP_CORE_TYPE_AUTHMOD);
  GEnumValue *value = g_enum_get_value_by_nick (klass, "llnw");

  g_assert_nonnull (value);
  g_assert_cmpint (value->value, ==, RTMP_CORE_AUTHMOD_LLNW);
  g_assert_nonnull (g_enum_get_value_by_nick (klass, "auto"));
  g_type_class_unref (klass);
  g_assert_true (G_TYPE_IS_BOXED (RTMP_CORE_TYPE_AUTH_CHALLENGE));
  g_assert_true (G_TYPE_IS_ENUM (RTMP_CORE_TYPE_AUTH_REASON));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/auth/parse/needauth", test_parse_needauth);
  g_test_add_func ("/auth/parse/wowza", test_parse_wowza);
  g_test_add_func ("/auth/parse/need-user", test_parse_need_user);
  g_test_add_func ("/auth/parse/reasons", test_parse_reasons);
  g_test_add_func ("/auth/parse/errors", test_parse_errors);
  g_test_add_func ("/auth/adobe/fixed", test_adobe_fixed);
  g_test_add_func ("/auth/adobe/computed", test_adobe_computed);
  g_test_add_func ("/auth/llnw/response", test_llnw);
  g_test_add_func ("/auth/client-nonce", test_client_nonce);
  g_test_add_func ("/auth/query/user-and-append", test_queries);
  g_test_add_func ("/auth/query/adobe", test_response_query_adobe);
  g_test_add_func ("/auth/query/llnw", test_response_query_llnw);
  g_test_add_func ("/auth/types", test_types);

  return g_test_run ();
}
