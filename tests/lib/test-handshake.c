/* Tests of the sans-IO handshake: hand-made vectors checked with an
 * independent digest computation, and client <-> server exchanges in
 * memory with every way of splitting the bytes. */
#include <rtmpcore.h>
#include <string.h>

#define PKT RTMP_CORE_HANDSHAKE_PACKET_SIZE
#define HS_TOTAL (1 + 2 * PKT)

/* The public Flash Player and Flash Media Server keys, written out here
 * independently of the library's copies. */
static const guint8 fp_key[62] = {
  0x47, 0x65, 0x6e, 0x75, 0x69, 0x6e, 0x65, 0x20, 0x41, 0x64, 0x6f, 0x62,
  0x65, 0x20, 0x46, 0x6c, 0x61, 0x73, 0x68, 0x20, 0x50, 0x6c, 0x61, 0x79,
  0x65, 0x72, 0x20, 0x30, 0x30, 0x31,
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
  0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
  0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae
};

static const guint8 fms_key[68] = {
  0x47, 0x65, 0x6e, 0x75, 0x69, 0x6e, 0x65, 0x20, 0x41, 0x64, 0x6f, 0x62,
  0x65, 0x20, 0x46, 0x6c, 0x61, 0x73, 0x68, 0x20, 0x4d, 0x65, 0x64, 0x69,
  0x61, 0x20, 0x53, 0x65, 0x72, 0x76, 0x65, 0x72, 0x20, 0x30, 0x30, 0x31,
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
  0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
  0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae
};

/* ---- independent digest helpers ---- */

static void
hmac (const guint8 * key, gsize key_len, const guint8 * data, gsize len,
    guint8 out[32])
{
  GHmac *h = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize out_len = 32;

  g_hmac_update (h, data, len);
  g_hmac_get_digest (h, out, &out_len);
  g_assert_cmpuint (out_len, ==, 32);
  g_hmac_unref (h);
}

/* base is 8 (scheme 0) or 772 (scheme 1). */
static gsize
offset_for (const guint8 * pkt, gsize base)
{
  return (pkt[base] + pkt[base + 1] + pkt[base + 2] + pkt[base + 3]) % 728
      + base + 4;
}

/* HMAC over the packet with the 32 bytes at @off cut out. */
static void
digest_without (const guint8 * pkt, gsize off, const guint8 * key,
    gsize key_len, guint8 out[32])
{
  guint8 joined[PKT - 32];

  memcpy (joined, pkt, off);
  memcpy (joined + off, pkt + off + 32, PKT - off - 32);
  hmac (key, key_len, joined, sizeof (joined), out);
}

static gboolean
packet1_valid_at (const guint8 * pkt, gsize base, const guint8 * key,
    gsize key_len)
{
  guint8 d[32];
  gsize off = offset_for (pkt, base);

  digest_without (pkt, off, key, key_len, d);
  return memcmp (d, pkt + off, 32) == 0;
}

/* Packet 2 signed by the owner of @full_key for the peer digest @peer_dig. */
static void
packet2_expected (const guint8 * pkt, const guint8 * full_key, gsize key_len,
    const guint8 * peer_dig, guint8 out[32])
{
  guint8 derived[32];

  hmac (full_key, key_len, peer_dig, 32, derived);
  hmac (derived, 32, pkt, PKT - 32, out);
}

static void
fill_pattern (guint8 * p, gsize len, guint seed)
{
  gsize i;

  for (i = 0; i < len; i++)
    p[i] = (guint8) (i * 31 + seed * 7 + 11);
}

/* Signs a hand-made packet 1 in place at the scheme starting at @base. */
static gsize
sign_packet1 (guint8 * pkt, gsize base, const guint8 * key, gsize key_len)
{
  gsize off = offset_for (pkt, base);

  digest_without (pkt, off, key, key_len, pkt + off);
  return off;
}

static GBytes *
take (RtmpCoreHandshake * hs)
{
  GBytes *b = rtmp_core_handshake_take_output (hs);

  g_assert_nonnull (b);
  return b;
}

/* ---- in-memory exchange ---- */

typedef gsize (*SplitFunc) (gpointer data);

static gsize
split_fixed (gpointer data)
{
  return *(gsize *) data;
}

static gsize
split_random (gpointer data)
{
  GRand *rand = data;

  /* Mostly small pieces, sometimes large ones that cross packet ends. */
  if (g_rand_boolean (rand))
    return g_rand_int_range (rand, 1, 17);
  return g_rand_int_range (rand, 1, HS_TOTAL + 1);
}

/* Moves @hs's output to @wire and keeps a transcript in @sent. */
static void
collect (RtmpCoreHandshake * hs, GByteArray * wire, GByteArray * sent)
{
  GBytes *b = rtmp_core_handshake_take_output (hs);
  gsize len;
  const guint8 *d;

  if (!b)
    return;
  d = g_bytes_get_data (b, &len);
  g_byte_array_append (wire, d, len);
  g_byte_array_append (sent, d, len);
  g_bytes_unref (b);
}

/* Feeds one piece of @wire to @hs; returns TRUE if anything moved. */
static gboolean
deliver (RtmpCoreHandshake * hs, GByteArray * wire, SplitFunc split,
    gpointer split_data)
{
  GError *error = NULL;
  gsize n, consumed = 12345;
  gboolean was_done = rtmp_core_handshake_is_done (hs);

  if (wire->len == 0)
    return FALSE;
  /* Not inside MIN (): that would call a random split twice. */
  n = split (split_data);
  n = MIN (n, wire->len);
  g_assert_true (rtmp_core_handshake_feed (hs, wire->data, n, &consumed,
          &error));
  g_assert_no_error (error);
  /* Nothing arrives after the last packet here, so all must be used. */
  g_assert_false (was_done);
  g_assert_cmpuint (consumed, ==, n);
  g_byte_array_remove_range (wire, 0, consumed);
  return consumed > 0;
}

/* Runs a whole handshake; @c_sent and @s_sent receive what each side sent. */
static void
exchange (RtmpCoreHandshakeMode mode, SplitFunc split, gpointer split_data,
    GByteArray * c_sent, GByteArray * s_sent)
{
  RtmpCoreHandshake *client =
      rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT, mode);
  RtmpCoreHandshake *server =
      rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN);
  GByteArray *to_server = g_byte_array_new ();
  GByteArray *to_client = g_byte_array_new ();
  gboolean moved = TRUE;

  g_assert_null (rtmp_core_handshake_take_output (server));
  while (moved) {
    collect (client, to_server, c_sent);
    collect (server, to_client, s_sent);
    moved = deliver (server, to_server, split, split_data);
    moved |= deliver (client, to_client, split, split_data);
  }
  collect (client, to_server, c_sent);
  collect (server, to_client, s_sent);

  g_assert_true (rtmp_core_handshake_is_done (client));
  g_assert_true (rtmp_core_handshake_is_done (server));
  g_assert_cmpuint (to_server->len, ==, 0);
  g_assert_cmpuint (to_client->len, ==, 0);
  g_assert_cmpuint (c_sent->len, ==, HS_TOTAL);
  g_assert_cmpuint (s_sent->len, ==, HS_TOTAL);

  /* Each side's epoch is the time field of the other's packet 1. */
  g_assert_cmpuint (rtmp_core_handshake_get_peer_epoch (server), ==,
      ((guint32) c_sent->data[1] << 24) | (c_sent->data[2] << 16) |
      (c_sent->data[3] << 8) | c_sent->data[4]);
  g_assert_cmpuint (rtmp_core_handshake_get_peer_epoch (client), ==,
      ((guint32) s_sent->data[1] << 24) | (s_sent->data[2] << 16) |
      (s_sent->data[3] << 8) | s_sent->data[4]);
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (server), ==, mode);
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (client), ==, mode);
  g_assert_true (rtmp_core_handshake_get_peer_reply_valid (client));
  g_assert_true (rtmp_core_handshake_get_peer_reply_valid (server));

  g_byte_array_unref (to_server);
  g_byte_array_unref (to_client);
  rtmp_core_handshake_unref (client);
  rtmp_core_handshake_unref (server);
}

/* Checks a full transcript (C0C1C2, S0S1S2) with the test's own digests. */
static void
check_transcript (const guint8 * c, const guint8 * s, gboolean digest)
{
  const guint8 *c1 = c + 1, *c2 = c + 1 + PKT;
  const guint8 *s1 = s + 1, *s2 = s + 1 + PKT;
  static const guint8 zero[4] = { 0, 0, 0, 0 };
  static const guint8 fp9[4] = { 0x09, 0x00, 0x7c, 0x02 };
  guint8 expect[32];
  gsize c_off, s_off;

  g_assert_cmpuint (c[0], ==, 3);
  g_assert_cmpuint (s[0], ==, 3);

  if (!digest) {
    g_assert_cmpmem (c1 + 4, 4, zero, 4);
    g_assert_cmpmem (s1 + 4, 4, zero, 4);
    g_assert_cmpmem (s2, PKT, c1, PKT);
    g_assert_cmpmem (c2, PKT, s1, PKT);
    return;
  }

  g_assert_cmpmem (c1 + 4, 4, fp9, 4);
  g_assert_true (packet1_valid_at (c1, 8, fp_key, 30));
  g_assert_true (packet1_valid_at (s1, 8, fms_key, 36));
  g_assert_cmpuint (s1[4], >=, 3);
  c_off = offset_for (c1, 8);
  s_off = offset_for (s1, 8);

  packet2_expected (s2, fms_key, sizeof (fms_key), c1 + c_off, expect);
  g_assert_cmpmem (s2 + PKT - 32, 32, expect, 32);
  packet2_expected (c2, fp_key, sizeof (fp_key), s1 + s_off, expect);
  g_assert_cmpmem (c2 + PKT - 32, 32, expect, 32);
}

static void
run_and_check (RtmpCoreHandshakeMode mode, SplitFunc split, gpointer data)
{
  GByteArray *c = g_byte_array_new ();
  GByteArray *s = g_byte_array_new ();

  exchange (mode, split, data, c, s);
  check_transcript (c->data, s->data, mode == RTMP_CORE_HANDSHAKE_DIGEST);
  g_byte_array_unref (c);
  g_byte_array_unref (s);
}

/* ---- tests ---- */

static void
test_client_c0c1_plain (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_PLAIN);
  GBytes *out = take (hs);
  gsize len;
  const guint8 *d = g_bytes_get_data (out, &len);
  static const guint8 zero[4] = { 0, 0, 0, 0 };

  g_assert_cmpuint (len, ==, 1 + PKT);
  g_assert_cmpuint (d[0], ==, 0x03);
  g_assert_cmpmem (d + 5, 4, zero, 4);
  /* Taken once, then gone. */
  g_assert_null (rtmp_core_handshake_take_output (hs));
  g_assert_false (rtmp_core_handshake_is_done (hs));
  g_assert_false (rtmp_core_handshake_get_peer_reply_valid (hs));
  g_bytes_unref (out);
  rtmp_core_handshake_unref (hs);
}

static void
test_client_c0c1_digest (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_DIGEST);
  GBytes *out = take (hs);
  gsize len;
  const guint8 *d = g_bytes_get_data (out, &len);
  static const guint8 fp9[4] = { 0x09, 0x00, 0x7c, 0x02 };

  g_assert_cmpuint (len, ==, 1 + PKT);
  g_assert_cmpuint (d[0], ==, 0x03);
  g_assert_cmpmem (d + 5, 4, fp9, 4);
  /* Flash Player signs C1 with the 30-byte partial key, first scheme. */
  g_assert_true (packet1_valid_at (d + 1, 8, fp_key, 30));
  g_assert_false (packet1_valid_at (d + 1, 8, fp_key, sizeof (fp_key)));
  g_bytes_unref (out);
  rtmp_core_handshake_unref (hs);
}

static void
test_roundtrip_whole (void)
{
  gsize all = HS_TOTAL;

  run_and_check (RTMP_CORE_HANDSHAKE_PLAIN, split_fixed, &all);
  run_and_check (RTMP_CORE_HANDSHAKE_DIGEST, split_fixed, &all);
}

static void
test_roundtrip_byte_by_byte (void)
{
  gsize one = 1;

  run_and_check (RTMP_CORE_HANDSHAKE_PLAIN, split_fixed, &one);
  run_and_check (RTMP_CORE_HANDSHAKE_DIGEST, split_fixed, &one);
}

static void
test_roundtrip_every_split (void)
{
  gsize split;

  for (split = 1; split <= HS_TOTAL; split++) {
    run_and_check (RTMP_CORE_HANDSHAKE_PLAIN, split_fixed, &split);
    run_and_check (RTMP_CORE_HANDSHAKE_DIGEST, split_fixed, &split);
  }
}

static void
test_roundtrip_random_splits (void)
{
  GRand *rand = g_rand_new_with_seed (20240601);
  gint i;

  for (i = 0; i < 200; i++) {
    run_and_check (RTMP_CORE_HANDSHAKE_PLAIN, split_random, rand);
    run_and_check (RTMP_CORE_HANDSHAKE_DIGEST, split_random, rand);
  }
  g_rand_free (rand);
}

/* A plain C0+C1 by hand: S0 is 3, S1 has a zero version field, S2 is C1. */
static void
test_server_plain_vector (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_DIGEST);
  guint8 c0c1[1 + PKT];
  guint8 c2[PKT];
  static const guint8 head[9] = { 0x03, 0x01, 0x02, 0x03, 0x04, 0, 0, 0, 0 };
  static const guint8 zero[4] = { 0, 0, 0, 0 };
  GError *error = NULL;
  gsize consumed = 0, len;
  GBytes *out;
  const guint8 *s;

  memcpy (c0c1, head, sizeof (head));
  fill_pattern (c0c1 + 9, sizeof (c0c1) - 9, 1);

  g_assert_true (rtmp_core_handshake_feed (hs, c0c1, sizeof (c0c1), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 1537);
  g_assert_false (rtmp_core_handshake_is_done (hs));
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (hs), ==,
      RTMP_CORE_HANDSHAKE_PLAIN);
  g_assert_cmpuint (rtmp_core_handshake_get_peer_epoch (hs), ==, 0x01020304);

  out = take (hs);
  s = g_bytes_get_data (out, &len);
  g_assert_cmpuint (len, ==, 3073);
  g_assert_cmpuint (s[0], ==, 0x03);
  g_assert_cmpmem (s + 5, 4, zero, 4);
  g_assert_cmpmem (s + 1 + PKT, PKT, c0c1 + 1, PKT);

  /* A C2 that echoes S1, with the read time in the second time field as
   * the spec allows. */
  memcpy (c2, s + 1, PKT);
  c2[4] = 0x00;
  c2[5] = 0x00;
  c2[6] = 0x01;
  c2[7] = 0x2c;
  g_assert_true (rtmp_core_handshake_feed (hs, c2, PKT, &consumed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, PKT);
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_true (rtmp_core_handshake_get_peer_reply_valid (hs));
  g_assert_null (rtmp_core_handshake_take_output (hs));

  g_bytes_unref (out);
  rtmp_core_handshake_unref (hs);
}

static void
check_bad_version (RtmpCoreHandshakeRole role, guint8 version,
    const gchar * must_contain)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (role,
      RTMP_CORE_HANDSHAKE_PLAIN);
  guint8 msg[1 + PKT];
  GError *error = NULL;
  gsize consumed = 99;

  memset (msg, 0, sizeof (msg));
  msg[0] = version;

  /* The version byte alone is enough to fail. */
  g_assert_false (rtmp_core_handshake_feed (hs, msg, 1, &consumed, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_BAD_VERSION);
  g_assert_nonnull (strstr (error->message, must_contain));
  g_clear_error (&error);

  /* The error sticks, whatever comes next. */
  msg[0] = 3;
  g_assert_false (rtmp_core_handshake_feed (hs, msg, sizeof (msg), &consumed,
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_BAD_VERSION);
  g_assert_cmpuint (consumed, ==, 0);
  g_assert_nonnull (strstr (error->message, must_contain));
  g_clear_error (&error);
  g_assert_false (rtmp_core_handshake_is_done (hs));
  rtmp_core_handshake_unref (hs);
}

static void
test_server_version_6 (void)
{
  check_bad_version (RTMP_CORE_HANDSHAKE_SERVER, 6, "RTMPE");
  check_bad_version (RTMP_CORE_HANDSHAKE_SERVER, 6, "6");
}

static void
test_server_version_ff (void)
{
  check_bad_version (RTMP_CORE_HANDSHAKE_SERVER, 0xff, "255");
  check_bad_version (RTMP_CORE_HANDSHAKE_SERVER, 0x00, "version byte 0");
}

static void
test_client_bad_version (void)
{
  check_bad_version (RTMP_CORE_HANDSHAKE_CLIENT, 6, "RTMPE");
  check_bad_version (RTMP_CORE_HANDSHAKE_CLIENT, 0x0a, "10");
}

/* A digest C1 signed by hand in scheme 1 gets a digest S1 in scheme 1 and
 * an S2 signed for the C1 digest. */
static void
test_server_digest_scheme1_vector (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN);
  guint8 c0c1[1 + PKT];
  guint8 *c1 = c0c1 + 1;
  guint8 expect[32];
  guint8 c2[PKT];
  static const guint8 head[9] = { 0x03, 0x00, 0x00, 0x0b, 0xb8,
    0x80, 0x00, 0x07, 0x02
  };
  static const guint8 offset_bytes[4] = { 0x10, 0x20, 0x30, 0x40 };
  GError *error = NULL;
  gsize consumed = 0, len, c_off, s_off;
  GBytes *out;
  const guint8 *s, *s1, *s2;

  memcpy (c0c1, head, sizeof (head));
  fill_pattern (c0c1 + 9, sizeof (c0c1) - 9, 2);
  memcpy (c1 + 772, offset_bytes, 4);
  /* 0x10 + 0x20 + 0x30 + 0x40 = 160; 160 % 728 + 772 + 4 = 936. */
  c_off = sign_packet1 (c1, 772, fp_key, 30);
  g_assert_cmpuint (c_off, ==, 936);
  g_assert_false (packet1_valid_at (c1, 8, fp_key, 30));

  g_assert_true (rtmp_core_handshake_feed (hs, c0c1, sizeof (c0c1), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, sizeof (c0c1));
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (hs), ==,
      RTMP_CORE_HANDSHAKE_DIGEST);
  g_assert_cmpuint (rtmp_core_handshake_get_peer_epoch (hs), ==, 3000);

  out = take (hs);
  s = g_bytes_get_data (out, &len);
  g_assert_cmpuint (len, ==, 3073);
  g_assert_cmpuint (s[0], ==, 0x03);
  s1 = s + 1;
  s2 = s + 1 + PKT;

  /* S1: a nonzero server version, signed with the 36-byte partial key in
   * the same scheme as C1. */
  g_assert_cmpuint (s1[4], >=, 3);
  g_assert_true (packet1_valid_at (s1, 772, fms_key, 36));
  s_off = offset_for (s1, 772);

  /* S2: signed with HMAC(full server key, C1 digest). */
  packet2_expected (s2, fms_key, sizeof (fms_key), c1 + c_off, expect);
  g_assert_cmpmem (s2 + PKT - 32, 32, expect, 32);

  /* A C2 signed by hand for the S1 digest is recognised as valid. */
  fill_pattern (c2, PKT, 3);
  packet2_expected (c2, fp_key, sizeof (fp_key), s1 + s_off, c2 + PKT - 32);
  g_assert_true (rtmp_core_handshake_feed (hs, c2, PKT, &consumed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, PKT);
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_true (rtmp_core_handshake_get_peer_reply_valid (hs));

  g_bytes_unref (out);
  rtmp_core_handshake_unref (hs);
}

/* A C1 with a Flash version field but no valid digest is answered plainly. */
static void
test_server_version_without_digest (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN);
  guint8 c0c1[1 + PKT];
  GError *error = NULL;
  gsize consumed = 0, len;
  GBytes *out;
  const guint8 *s;

  fill_pattern (c0c1, sizeof (c0c1), 4);
  c0c1[0] = 3;
  c0c1[5] = 0x09;
  c0c1[6] = 0x00;
  c0c1[7] = 0x7c;
  c0c1[8] = 0x02;
  /* A digest with the wrong (full) key does not count either. */
  sign_packet1 (c0c1 + 1, 8, fp_key, sizeof (fp_key));

  g_assert_true (rtmp_core_handshake_feed (hs, c0c1, sizeof (c0c1), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (hs), ==,
      RTMP_CORE_HANDSHAKE_PLAIN);
  out = take (hs);
  s = g_bytes_get_data (out, &len);
  g_assert_cmpuint (len, ==, 3073);
  g_assert_cmpmem (s + 1 + PKT, PKT, c0c1 + 1, PKT);
  g_bytes_unref (out);
  rtmp_core_handshake_unref (hs);
}

/* The server accepts a C2 that neither echoes S1 nor carries a digest. */
static void
test_server_c2_not_echo (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN);
  guint8 c[1 + 2 * PKT + 4];
  GError *error = NULL;
  gsize consumed = 0;
  GBytes *out;

  fill_pattern (c, sizeof (c), 5);
  c[0] = 3;
  memset (c + 5, 0, 4);
  /* C0+C1+C2 and 4 bytes of chunk stream, all in one read. */
  g_assert_true (rtmp_core_handshake_feed (hs, c, sizeof (c), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 3073);
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_false (rtmp_core_handshake_get_peer_reply_valid (hs));
  out = take (hs);
  g_assert_cmpuint (g_bytes_get_size (out), ==, 3073);
  g_bytes_unref (out);

  /* Once done, nothing more is consumed. */
  consumed = 7;
  g_assert_true (rtmp_core_handshake_feed (hs, c + 3073, 4, &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 0);
  g_assert_null (rtmp_core_handshake_take_output (hs));
  rtmp_core_handshake_unref (hs);
}

/* Bytes after S2 in the same read belong to the chunk stream. */
static void
test_client_trailing_bytes (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_PLAIN);
  static const guint8 chunk[] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04,
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00
  };
  guint8 s[3073 + sizeof (chunk)];
  GError *error = NULL;
  gsize consumed = 0;
  GBytes *c0c1 = take (hs), *c2;
  const guint8 *c1 = (const guint8 *) g_bytes_get_data (c0c1, NULL) + 1;

  s[0] = 3;
  fill_pattern (s + 1, PKT, 6);
  s[1] = 0xaa;
  s[2] = 0xbb;
  s[3] = 0xcc;
  s[4] = 0xdd;
  memset (s + 5, 0, 4);
  memcpy (s + 1 + PKT, c1, PKT);
  memcpy (s + 3073, chunk, sizeof (chunk));

  g_assert_true (rtmp_core_handshake_feed (hs, s, sizeof (s), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 3073);
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_true (rtmp_core_handshake_get_peer_reply_valid (hs));
  g_assert_cmpuint (rtmp_core_handshake_get_peer_epoch (hs), ==, 0xaabbccdd);

  c2 = take (hs);
  g_assert_cmpmem (g_bytes_get_data (c2, NULL), g_bytes_get_size (c2),
      s + 1, PKT);

  g_assert_true (rtmp_core_handshake_feed (hs, chunk, sizeof (chunk),
          &consumed, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 0);
  g_bytes_unref (c2);
  g_bytes_unref (c0c1);
  rtmp_core_handshake_unref (hs);
}

/* A digest client facing a plain server echoes S1, and a bad S2 is not
 * fatal. */
static void
test_client_digest_plain_server (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_DIGEST);
  guint8 s[3073];
  GError *error = NULL;
  gsize consumed = 0;
  GBytes *c0c1 = take (hs), *c2;

  s[0] = 3;
  fill_pattern (s + 1, 2 * PKT, 7);
  memset (s + 5, 0, 4);

  /* S0+S1 first: C2 is ready before S2 arrives. */
  g_assert_true (rtmp_core_handshake_feed (hs, s, 1 + PKT, &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, 1 + PKT);
  g_assert_false (rtmp_core_handshake_is_done (hs));
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (hs), ==,
      RTMP_CORE_HANDSHAKE_PLAIN);
  c2 = take (hs);
  g_assert_cmpmem (g_bytes_get_data (c2, NULL), g_bytes_get_size (c2),
      s + 1, PKT);

  g_assert_true (rtmp_core_handshake_feed (hs, s + 1 + PKT, PKT, &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, PKT);
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_false (rtmp_core_handshake_get_peer_reply_valid (hs));

  g_bytes_unref (c2);
  g_bytes_unref (c0c1);
  rtmp_core_handshake_unref (hs);
}

/* A digest S1 made by hand (scheme 0): C2 is signed for the S1 digest, and
 * an S2 made by hand for the C1 digest validates. */
static void
test_client_digest_vector (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_CLIENT,
      RTMP_CORE_HANDSHAKE_DIGEST);
  guint8 s[3073];
  guint8 *s1 = s + 1, *s2 = s + 1 + PKT;
  guint8 expect[32];
  GError *error = NULL;
  gsize consumed = 0, len, s_off, c_off;
  GBytes *c0c1 = take (hs), *c2;
  const guint8 *c1 = (const guint8 *) g_bytes_get_data (c0c1, NULL) + 1;
  const guint8 *c2d;

  s[0] = 3;
  fill_pattern (s1, PKT, 8);
  s1[4] = 0x03;
  s1[5] = 0x05;
  s1[6] = 0x01;
  s1[7] = 0x01;
  s_off = sign_packet1 (s1, 8, fms_key, 36);
  c_off = offset_for (c1, 8);
  fill_pattern (s2, PKT, 9);
  packet2_expected (s2, fms_key, sizeof (fms_key), c1 + c_off, s2 + PKT - 32);

  g_assert_true (rtmp_core_handshake_feed (hs, s, sizeof (s), &consumed,
          &error));
  g_assert_no_error (error);
  g_assert_cmpuint (consumed, ==, sizeof (s));
  g_assert_true (rtmp_core_handshake_is_done (hs));
  g_assert_cmpint (rtmp_core_handshake_get_peer_mode (hs), ==,
      RTMP_CORE_HANDSHAKE_DIGEST);
  g_assert_true (rtmp_core_handshake_get_peer_reply_valid (hs));

  c2 = take (hs);
  c2d = g_bytes_get_data (c2, &len);
  g_assert_cmpuint (len, ==, PKT);
  packet2_expected (c2d, fp_key, sizeof (fp_key), s1 + s_off, expect);
  g_assert_cmpmem (c2d + PKT - 32, 32, expect, 32);

  g_bytes_unref (c2);
  g_bytes_unref (c0c1);
  rtmp_core_handshake_unref (hs);
}

static void
test_boxed (void)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (RTMP_CORE_HANDSHAKE_SERVER,
      RTMP_CORE_HANDSHAKE_PLAIN);
  RtmpCoreHandshake *copy;
  GType type = RTMP_CORE_TYPE_HANDSHAKE;

  g_assert_true (G_TYPE_IS_BOXED (type));
  g_assert_cmpstr (g_type_name (type), ==, "RtmpCoreHandshake");
  copy = g_boxed_copy (type, hs);
  g_assert_true (copy == hs);
  g_boxed_free (type, copy);
  /* Still alive: the copy was a reference. */
  g_assert_false (rtmp_core_handshake_is_done (hs));
  g_assert_cmpuint (rtmp_core_handshake_get_peer_epoch (hs), ==, 0);
  rtmp_core_handshake_unref (hs);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/handshake/client/c0c1-plain", test_client_c0c1_plain);
  g_test_add_func ("/handshake/client/c0c1-digest", test_client_c0c1_digest);
  g_test_add_func ("/handshake/client/bad-version", test_client_bad_version);
  g_test_add_func ("/handshake/client/trailing-bytes",
      test_client_trailing_bytes);
  g_test_add_func ("/handshake/client/digest-plain-server",
      test_client_digest_plain_server);
  g_test_add_func ("/handshake/client/digest-vector",
      test_client_digest_vector);
  g_test_add_func ("/handshake/server/plain-vector", test_server_plain_vector);
  g_test_add_func ("/handshake/server/version-6", test_server_version_6);
  g_test_add_func ("/handshake/server/version-ff", test_server_version_ff);
  g_test_add_func ("/handshake/server/digest-scheme1-vector",
      test_server_digest_scheme1_vector);
  g_test_add_func ("/handshake/server/version-without-digest",
      test_server_version_without_digest);
  g_test_add_func ("/handshake/server/c2-not-echo", test_server_c2_not_echo);
  g_test_add_func ("/handshake/roundtrip/whole", test_roundtrip_whole);
  g_test_add_func ("/handshake/roundtrip/byte-by-byte",
      test_roundtrip_byte_by_byte);
  g_test_add_func ("/handshake/roundtrip/every-split",
      test_roundtrip_every_split);
  g_test_add_func ("/handshake/roundtrip/random-splits",
      test_roundtrip_random_splits);
  g_test_add_func ("/handshake/boxed", test_boxed);

  return g_test_run ();
}
