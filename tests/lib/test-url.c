/* RtmpCoreUrl: parsing, tcUrl, printing and masking. */
#include <rtmpcore.h>
#include <string.h>

typedef struct {
  const gchar *location;
  RtmpCoreScheme scheme;
  const gchar *host;
  guint port;
  const gchar *application;
  const gchar *stream;
  const gchar *username;
  const gchar *password;
  const gchar *tc_url;
  const gchar *masked;
} UrlCase;

static const UrlCase good_cases[] = {
  {"rtmp://example.com/live/abcdef", RTMP_CORE_SCHEME_RTMP, "example.com", 1935,
      "live", "abcdef", NULL, NULL, "rtmp://example.com/live",
      "rtmp://example.com/live/ab****"},
  {"rtmp://example.com:1936/live/abcdef", RTMP_CORE_SCHEME_RTMP, "example.com",
        1936, "live", "abcdef", NULL, NULL, "rtmp://example.com:1936/live",
      "rtmp://example.com:1936/live/ab****"},
  /* an explicit default port is kept in the tcUrl, since it was given */
  {"rtmp://example.com:1935/live/k", RTMP_CORE_SCHEME_RTMP, "example.com", 1935,
      "live", "k", NULL, NULL, "rtmp://example.com:1935/live",
      "rtmp://example.com:1935/live/*"},
  {"rtmp://example.com/app/instance/key123", RTMP_CORE_SCHEME_RTMP,
        "example.com", 1935, "app/instance", "key123", NULL, NULL,
      "rtmp://example.com/app/instance",
      "rtmp://example.com/app/instance/ke****"},
  {"rtmp://example.com/live/key123?token=s3cr3t&x=1", RTMP_CORE_SCHEME_RTMP,
        "example.com", 1935, "live", "key123?token=s3cr3t&x=1", NULL, NULL,
      "rtmp://example.com/live", "rtmp://example.com/live/ke****?****"},
  {"rtmp://bob:hunter2@example.com/live/key123", RTMP_CORE_SCHEME_RTMP,
        "example.com", 1935, "live", "key123", "bob", "hunter2",
      "rtmp://example.com/live", "rtmp://bob:****@example.com/live/ke****"},
  /* percent-decoded user information */
  {"rtmp://b%40b:p%3Ass@example.com/live/key123", RTMP_CORE_SCHEME_RTMP,
        "example.com", 1935, "live", "key123", "b@b", "p:ss",
      "rtmp://example.com/live", "rtmp://b%40b:****@example.com/live/ke****"},
  {"rtmp://[::1]/live/key123", RTMP_CORE_SCHEME_RTMP, "::1", 1935, "live",
        "key123", NULL, NULL, "rtmp://[::1]/live",
      "rtmp://[::1]/live/ke****"},
  {"rtmp://[2001:db8::5]:1940/live/key123", RTMP_CORE_SCHEME_RTMP,
        "2001:db8::5", 1940, "live", "key123", NULL, NULL,
      "rtmp://[2001:db8::5]:1940/live",
      "rtmp://[2001:db8::5]:1940/live/ke****"},
  {"rtmps://live.example.com/app/key123", RTMP_CORE_SCHEME_RTMPS,
        "live.example.com", 443, "app", "key123", NULL, NULL,
      "rtmps://live.example.com/app", "rtmps://live.example.com/app/ke****"},
  {"RTMPS://live.example.com:8443/app/key123", RTMP_CORE_SCHEME_RTMPS,
        "live.example.com", 8443, "app", "key123", NULL, NULL,
      "rtmps://live.example.com:8443/app",
      "rtmps://live.example.com:8443/app/ke****"},
  /* IPv6 with a zone id: the '%' is escaped again when printed */
  {"rtmp://[fe80::1%25eth0]:1940/live/key123", RTMP_CORE_SCHEME_RTMP,
        "fe80::1%eth0", 1940, "live", "key123", NULL, NULL,
      "rtmp://[fe80::1%25eth0]:1940/live",
      "rtmp://[fe80::1%25eth0]:1940/live/ke****"},
  {"rtmp://example.com/app/inst/", RTMP_CORE_SCHEME_RTMP, "example.com", 1935,
      "app/inst", NULL, NULL, NULL, "rtmp://example.com/app/inst",
      "rtmp://example.com/app/inst/"},
  {"rtmp://example.com/app/inst/?auth=s3cr3t", RTMP_CORE_SCHEME_RTMP,
        "example.com", 1935, "app/inst?auth=s3cr3t", NULL, NULL, NULL,
        "rtmp://example.com/app/inst?auth=s3cr3t",
      "rtmp://example.com/app/inst/?****"},
  /* only an application: no stream */
  {"rtmp://example.com/live", RTMP_CORE_SCHEME_RTMP, "example.com", 1935,
      "live", NULL, NULL, NULL, "rtmp://example.com/live",
      "rtmp://example.com/live"},
  {"rtmp://example.com/live/", RTMP_CORE_SCHEME_RTMP, "example.com", 1935,
      "live", NULL, NULL, NULL, "rtmp://example.com/live",
      "rtmp://example.com/live"},
  /* a query without a stream stays with the application (ffmpeg puts
   * authentication parameters there) */
  {"rtmp://example.com/live?auth=s3cr3t", RTMP_CORE_SCHEME_RTMP, "example.com",
        1935, "live?auth=s3cr3t", NULL, NULL, NULL,
      "rtmp://example.com/live?auth=s3cr3t", "rtmp://example.com/live?****"},
  /* two-character key: fully masked */
  {"rtmp://h/a/xy", RTMP_CORE_SCHEME_RTMP, "h", 1935, "a", "xy", NULL, NULL,
      "rtmp://h/a", "rtmp://h/a/**"},
  /* percent-encoding in the path is kept as written */
  {"rtmp://h/a/key%2Fwith%20space", RTMP_CORE_SCHEME_RTMP, "h", 1935, "a",
        "key%2Fwith%20space", NULL, NULL, "rtmp://h/a",
      "rtmp://h/a/ke****"},
};

static void
test_parse_good (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good_cases); i++) {
    const UrlCase *c = &good_cases[i];
    GError *error = NULL;
    RtmpCoreUrl *url = rtmp_core_url_parse (c->location, &error);
    gchar *s;

    g_test_message ("%s", c->location);
    g_assert_no_error (error);
    g_assert_nonnull (url);
    g_assert_cmpint (rtmp_core_url_get_scheme (url), ==, c->scheme);
    g_assert_cmpstr (rtmp_core_url_get_host (url), ==, c->host);
    g_assert_cmpuint (rtmp_core_url_get_port (url), ==, c->port);
    g_assert_cmpstr (rtmp_core_url_get_application (url), ==, c->application);
    g_assert_cmpstr (rtmp_core_url_get_stream (url), ==, c->stream);
    g_assert_cmpstr (rtmp_core_url_get_username (url), ==, c->username);
    g_assert_cmpstr (rtmp_core_url_get_password (url), ==, c->password);

    s = rtmp_core_url_get_tc_url (url);
    g_assert_cmpstr (s, ==, c->tc_url);
    g_free (s);

    s = rtmp_core_url_to_masked_string (url);
    g_assert_cmpstr (s, ==, c->masked);
    g_free (s);

    rtmp_core_url_free (url);
  }
}

/* to_string() must give back a location that parses to the same parts. */
static void
test_to_string_round_trip (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (good_cases); i++) {
    RtmpCoreUrl *url = rtmp_core_url_parse (good_cases[i].location, NULL);
    gchar *s = rtmp_core_url_to_string (url);
    RtmpCoreUrl *again = rtmp_core_url_parse (s, NULL);

    g_assert_nonnull (again);
    g_assert_cmpint (rtmp_core_url_get_scheme (again), ==,
        rtmp_core_url_get_scheme (url));
    g_assert_cmpstr (rtmp_core_url_get_host (again), ==,
        rtmp_core_url_get_host (url));
    g_assert_cmpuint (rtmp_core_url_get_port (again), ==,
        rtmp_core_url_get_port (url));
    g_assert_cmpstr (rtmp_core_url_get_application (again), ==,
        rtmp_core_url_get_application (url));
    g_assert_cmpstr (rtmp_core_url_get_stream (again), ==,
        rtmp_core_url_get_stream (url));
    g_assert_cmpstr (rtmp_core_url_get_username (again), ==,
        rtmp_core_url_get_username (url));
    g_assert_cmpstr (rtmp_core_url_get_password (again), ==,
        rtmp_core_url_get_password (url));
    g_free (s);
    rtmp_core_url_free (again);
    rtmp_core_url_free (url);
  }
}

static void
test_to_string_exact (void)
{
  RtmpCoreUrl *url;
  gchar *s;

  url = rtmp_core_url_parse ("rtmp://bob:hunter2@[::1]:1940/app/inst/key?x=1",
      NULL);
  s = rtmp_core_url_to_string (url);
  g_assert_cmpstr (s, ==, "rtmp://bob:hunter2@[::1]:1940/app/inst/key?x=1");
  g_free (s);
  rtmp_core_url_free (url);

  /* a password with reserved characters is escaped again */
  url = rtmp_core_url_parse ("rtmp://bob:a%2Fb%40c@h/a/k", NULL);
  g_assert_cmpstr (rtmp_core_url_get_password (url), ==, "a/b@c");
  s = rtmp_core_url_to_string (url);
  g_assert_cmpstr (s, ==, "rtmp://bob:a%2Fb%40c@h/a/k");
  g_free (s);
  rtmp_core_url_free (url);

  /* an application of several segments without a stream */
  url = rtmp_core_url_new (RTMP_CORE_SCHEME_RTMP, "h", 0, "app/inst", NULL);
  s = rtmp_core_url_to_string (url);
  g_assert_cmpstr (s, ==, "rtmp://h/app/inst/");
  g_free (s);
  rtmp_core_url_free (url);

  /* user without password */
  url = rtmp_core_url_parse ("rtmp://bob@h/a/k", NULL);
  g_assert_cmpstr (rtmp_core_url_get_username (url), ==, "bob");
  g_assert_null (rtmp_core_url_get_password (url));
  s = rtmp_core_url_to_masked_string (url);
  g_assert_cmpstr (s, ==, "rtmp://bob@h/a/*");
  g_free (s);
  rtmp_core_url_free (url);
}

typedef struct {
  const gchar *location;
  const gchar *expect_in_message;
  const gchar *secret;          /* must not appear in the message */
} BadCase;

static const BadCase bad_cases[] = {
  {"http://example.com/live/key", "unsupported scheme \"http\"", "key"},
  {"rtmpe://example.com/live/key", "unsupported scheme \"rtmpe\"", "key"},
  {"rtmp:///live/secretkey", "no host", "secretkey"},
  {"rtmp:/live/secretkey", "no host", "secretkey"},
  {"rtmp://example.com", "no application", NULL},
  {"rtmp://example.com/", "no application", NULL},
  {"rtmp://example.com//secretkey", "application name is empty", "secretkey"},
  {"rtmp://example.com:99999/live/secretkey", "port", "secretkey"},
  {"rtmp://example.com:0/live/secretkey", "port 0", "secretkey"},
  {"rtmp://bob:hunt%zzer@example.com/live/secretkey", "password", "hunt"},
  {"example.com/live/secretkey", "absolute", "secretkey"},
  {"", "absolute", NULL},
};

static void
test_parse_bad (void)
{
  guint i;

  for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
    const BadCase *c = &bad_cases[i];
    GError *error = NULL;
    RtmpCoreUrl *url = rtmp_core_url_parse (c->location, &error);

    g_test_message ("%s", c->location);
    g_assert_null (url);
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_INVALID_URL);
    g_assert_nonnull (strstr (error->message, c->expect_in_message));
    if (c->secret)
      g_assert_null (strstr (error->message, c->secret));
    g_clear_error (&error);
  }
}

static void
test_mask_secret (void)
{
  gchar *s;

  g_assert_null (rtmp_core_mask_secret (NULL));
  s = rtmp_core_mask_secret ("");
  g_assert_cmpstr (s, ==, "");
  g_free (s);
  s = rtmp_core_mask_secret ("a");
  g_assert_cmpstr (s, ==, "*");
  g_free (s);
  s = rtmp_core_mask_secret ("ab");
  g_assert_cmpstr (s, ==, "**");
  g_free (s);
  s = rtmp_core_mask_secret ("abc");
  g_assert_cmpstr (s, ==, "ab****");
  g_free (s);
  s = rtmp_core_mask_secret ("live_1234567890abcdef");
  g_assert_cmpstr (s, ==, "li****");
  g_free (s);
  /* characters, not bytes: "é" is two bytes in UTF-8 */
  s = rtmp_core_mask_secret ("\xc3\xa9\xc3\xa9xyz");
  g_assert_cmpstr (s, ==, "\xc3\xa9\xc3\xa9****");
  g_free (s);
}

/* Whatever the location, the masked form never contains the key, the
 * password or the query. */
static void
test_masking_hides_secrets (void)
{
  static const gchar *locations[] = {
    "rtmp://user:PASSWORD@host/live/STREAMKEY?QUERYVALUE",
    "rtmps://user:PASSWORD@host:443/app/inst/STREAMKEY?QUERYVALUE#FRAGMENT",
    "rtmp://:PASSWORD@[::1]/live/STREAMKEY",
    "rtmp://host/live?QUERYVALUE",
    "rtmp://host/live/STREAMKEY#FRAGMENT",
  };
  static const gchar *secrets[] = {
    "PASSWORD", "STREAMKEY", "REAMKEY", "QUERYVALUE", "FRAGMENT",
  };
  guint i, j;

  for (i = 0; i < G_N_ELEMENTS (locations); i++) {
    RtmpCoreUrl *url = rtmp_core_url_parse (locations[i], NULL);
    gchar *masked, *tc_url;

    g_assert_nonnull (url);
    masked = rtmp_core_url_to_masked_string (url);
    tc_url = rtmp_core_url_get_tc_url (url);
    g_test_message ("%s -> %s", locations[i], masked);
    for (j = 0; j < G_N_ELEMENTS (secrets); j++)
      g_assert_null (strstr (masked, secrets[j]));
    g_assert_null (strstr (tc_url, "PASSWORD"));
    g_assert_null (strstr (tc_url, "STREAMKEY"));
    g_free (tc_url);
    g_free (masked);
    rtmp_core_url_free (url);
  }
}

static void
test_new_and_setters (void)
{
  RtmpCoreUrl *url, *copy;
  gchar *s;

  url = rtmp_core_url_new (RTMP_CORE_SCHEME_RTMPS, "::1", 0, "live", NULL);
  g_assert_cmpuint (rtmp_core_url_get_port (url), ==, 443);
  g_assert_null (rtmp_core_url_get_stream (url));
  s = rtmp_core_url_get_tc_url (url);
  g_assert_cmpstr (s, ==, "rtmps://[::1]/live");
  g_free (s);

  rtmp_core_url_set_application (url, "app/inst");
  rtmp_core_url_set_stream (url, "key?x=1");
  copy = rtmp_core_url_copy (url);
  rtmp_core_url_set_stream (url, NULL);
  g_assert_null (rtmp_core_url_get_stream (url));

  s = rtmp_core_url_to_string (copy);
  g_assert_cmpstr (s, ==, "rtmps://[::1]/app/inst/key?x=1");
  g_free (s);
  rtmp_core_url_free (url);
  rtmp_core_url_free (copy);

  url = rtmp_core_url_new (RTMP_CORE_SCHEME_RTMP, "h", 1935, "a", "k");
  s = rtmp_core_url_get_tc_url (url);
  g_assert_cmpstr (s, ==, "rtmp://h:1935/a");
  g_free (s);
  rtmp_core_url_free (url);
}

static void
test_boxed (void)
{
  RtmpCoreUrl *url = rtmp_core_url_parse ("rtmp://h/a/k", NULL);
  RtmpCoreUrl *copy = g_boxed_copy (RTMP_CORE_TYPE_URL, url);

  g_assert_true (copy != url);
  g_assert_cmpstr (rtmp_core_url_get_stream (copy), ==, "k");
  g_boxed_free (RTMP_CORE_TYPE_URL, copy);
  rtmp_core_url_free (url);
  rtmp_core_url_free (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/url/parse/good", test_parse_good);
  g_test_add_func ("/url/parse/bad", test_parse_bad);
  g_test_add_func ("/url/to-string/round-trip", test_to_string_round_trip);
  g_test_add_func ("/url/to-string/exact", test_to_string_exact);
  g_test_add_func ("/url/mask-secret", test_mask_secret);
  g_test_add_func ("/url/masking-hides-secrets", test_masking_hides_secrets);
  g_test_add_func ("/url/new-and-setters", test_new_and_setters);
  g_test_add_func ("/url/boxed", test_boxed);

  return g_test_run ();
}
