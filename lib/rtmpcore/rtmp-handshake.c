/* RtmpCoreHandshake: the C0/C1/C2 <-> S0/S1/S2 exchange as a state machine
 * fed with bytes. Both roles share one shape: wait for the version byte and
 * the peer's first packet, answer, wait for the peer's second packet.
 *
 * Digest ("complex", Flash Player 9) packets hide an HMAC-SHA256 of the rest
 * of the packet at an offset derived from four bytes of the packet itself.
 * The second packet of each side ends with an HMAC keyed by a hash of the
 * peer's first-packet digest. The keys are public constants. */
#include "rtmp-handshake.h"
#include "rtmp-error.h"
#include "rtmp-bytes-private.h"

#include <string.h>

#define PACKET_SIZE RTMP_CORE_HANDSHAKE_PACKET_SIZE
#define RTMP_VERSION 3
#define RTMPE_VERSION 6
#define DIGEST_SIZE 32
/* The second packet carries its digest in its last 32 bytes. */
#define PACKET2_SIGNED_SIZE (PACKET_SIZE - DIGEST_SIZE)
/* The digest offset is (sum of 4 bytes) mod 728 after the 4 offset bytes. */
#define DIGEST_OFFSET_MODULO 728
#define N_SCHEMES 2

/* "Genuine Adobe Flash Player 001" then 32 constant bytes; C1 is signed
 * with the first 30 bytes, the C2 key is derived from all 62. */
static const guint8 player_key[62] = {
  'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ',
  'F', 'l', 'a', 's', 'h', ' ', 'P', 'l', 'a', 'y', 'e', 'r', ' ',
  '0', '0', '1',
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
  0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
  0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae
};

#define PLAYER_KEY_PARTIAL 30

/* "Genuine Adobe Flash Media Server 001" then the same 32 bytes; S1 is
 * signed with the first 36 bytes, the S2 key is derived from all 68. */
static const guint8 server_key[68] = {
  'G', 'e', 'n', 'u', 'i', 'n', 'e', ' ', 'A', 'd', 'o', 'b', 'e', ' ',
  'F', 'l', 'a', 's', 'h', ' ', 'M', 'e', 'd', 'i', 'a', ' ',
  'S', 'e', 'r', 'v', 'e', 'r', ' ', '0', '0', '1',
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1,
  0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d, 0x2d, 0x29, 0x80, 0x6f, 0xab,
  0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae
};

#define SERVER_KEY_PARTIAL 36

/* Where the 4 offset bytes of each digest scheme start. */
static const gsize scheme_base[N_SCHEMES] = { 8, 772 };

/* Flash Player 9.0.124.2: old servers check for a nonzero version to
 * decide that a C1 carries a digest. */
static const guint8 client_version[4] = { 0x09, 0x00, 0x7c, 0x02 };

/* FMS 4.5.0.1: ffmpeg only validates an S1 whose major version is >= 3. */
static const guint8 server_version[4] = { 0x04, 0x05, 0x00, 0x01 };

typedef enum {
  STAGE_PACKET1,                /* version byte + peer's C1/S1 */
  STAGE_PACKET2,                /* peer's C2/S2 */
  STAGE_DONE,
} Stage;

struct _RtmpCoreHandshake
{
  gint ref_count;
  RtmpCoreHandshakeRole role;
  RtmpCoreHandshakeMode mode;
  Stage stage;
  GError *error;

  /* The packet being received; version byte included for packet 1. */
  guint8 in[1 + PACKET_SIZE];
  gsize in_len;

  /* Our own C1/S1: the peer's C2/S2 is checked against it. */
  guint8 own[PACKET_SIZE];
  gsize own_digest_offset;      /* 0 if own packet 1 is plain */

  RtmpCoreHandshakeMode peer_mode;
  guint32 peer_epoch;
  gboolean peer_reply_valid;

  GByteArray *out;              /* pending output, NULL when empty */
};

G_DEFINE_BOXED_TYPE (RtmpCoreHandshake, rtmp_core_handshake,
    rtmp_core_handshake_ref, rtmp_core_handshake_unref)

/* Role-dependent keys: packet 1 is signed with the partial key of its
 * sender, packet 2 with a key derived from the sender's full key. */
static const guint8 *
sender_key (RtmpCoreHandshakeRole sender, gsize * partial_len,
    gsize * full_len)
{
  if (sender == RTMP_CORE_HANDSHAKE_CLIENT) {
    *partial_len = PLAYER_KEY_PARTIAL;
    *full_len = sizeof (player_key);
    return player_key;
  }
  *partial_len = SERVER_KEY_PARTIAL;
  *full_len = sizeof (server_key);
  return server_key;
}

static RtmpCoreHandshakeRole
peer_role (const RtmpCoreHandshake * hs)
{
  return hs->role == RTMP_CORE_HANDSHAKE_CLIENT ?
      RTMP_CORE_HANDSHAKE_SERVER : RTMP_CORE_HANDSHAKE_CLIENT;
}

static void
hmac_sha256 (const guint8 * key, gsize key_len, const guint8 * a, gsize a_len,
    const guint8 * b, gsize b_len, guint8 out[DIGEST_SIZE])
{
  GHmac *hmac = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize len = DIGEST_SIZE;

  g_hmac_update (hmac, a, a_len);
  if (b_len > 0)
    g_hmac_update (hmac, b, b_len);
  g_hmac_get_digest (hmac, out, &len);
  g_hmac_unref (hmac);
}

/* The result is at most 727 + 772 + 4 = 1503, so the digest always fits. */
static gsize
digest_offset (const guint8 * packet, guint scheme)
{
  gsize base = scheme_base[scheme];
  guint sum = packet[base] + packet[base + 1] + packet[base + 2] +
      packet[base + 3];

  return sum % DIGEST_OFFSET_MODULO + base + 4;
}

/* HMAC of the whole packet except the 32 digest bytes at @offset. */
static void
packet1_digest (const guint8 * packet, gsize offset, const guint8 * key,
    gsize key_len, guint8 out[DIGEST_SIZE])
{
  hmac_sha256 (key, key_len, packet, offset, packet + offset + DIGEST_SIZE,
      PACKET_SIZE - offset - DIGEST_SIZE, out);
}

/* Returns the digest offset of a packet 1 signed with @key in either
 * scheme, or 0 when it carries no valid digest (0 is never an offset). */
static gsize
find_packet1_digest (const guint8 * packet, const guint8 * key, gsize key_len,
    guint * scheme_out)
{
  guint8 digest[DIGEST_SIZE];
  guint scheme;

  for (scheme = 0; scheme < N_SCHEMES; scheme++) {
    gsize offset = digest_offset (packet, scheme);

    packet1_digest (packet, offset, key, key_len, digest);
    if (memcmp (digest, packet + offset, DIGEST_SIZE) == 0) {
      *scheme_out = scheme;
      return offset;
    }
  }
  return 0;
}

/* The key of a packet 2 is the HMAC of the other side's packet 1 digest,
 * keyed with the packet 2 sender's full key. */
static void
packet2_digest (const guint8 * packet, RtmpCoreHandshakeRole sender,
    const guint8 * peer_digest, guint8 out[DIGEST_SIZE])
{
  gsize partial_len, full_len;
  const guint8 *key = sender_key (sender, &partial_len, &full_len);
  guint8 derived[DIGEST_SIZE];

  hmac_sha256 (key, full_len, peer_digest, DIGEST_SIZE, NULL, 0, derived);
  hmac_sha256 (derived, DIGEST_SIZE, packet, PACKET2_SIGNED_SIZE, NULL, 0,
      out);
}

/* The handshake's random bytes are not secret: any source will do. */
static void
fill_random (guint8 * p, gsize len)
{
  gsize i;

  for (i = 0; i < len; i += 4) {
    guint8 word[4];

    rtmp_write_u32_be (word, g_random_int ());
    memcpy (p + i, word, MIN (sizeof (word), len - i));
  }
}

static guint32
local_epoch (void)
{
  return (guint32) (g_get_monotonic_time () / 1000);
}

/* Our C1/S1 into hs->own: time, version (zero for plain), random, and for
 * digest packets the digest at the offset @scheme gives. */
static void
make_packet1 (RtmpCoreHandshake * hs, gboolean digest, guint scheme)
{
  gsize partial_len, full_len, offset;
  const guint8 *key = sender_key (hs->role, &partial_len, &full_len);

  rtmp_write_u32_be (hs->own, local_epoch ());
  if (!digest) {
    memset (hs->own + 4, 0, 4);
    fill_random (hs->own + 8, PACKET_SIZE - 8);
    hs->own_digest_offset = 0;
    return;
  }

  memcpy (hs->own + 4, hs->role == RTMP_CORE_HANDSHAKE_CLIENT ?
      client_version : server_version, 4);
  fill_random (hs->own + 8, PACKET_SIZE - 8);
  offset = digest_offset (hs->own, scheme);
  packet1_digest (hs->own, offset, key, partial_len, hs->own + offset);
  hs->own_digest_offset = offset;
}

/* Our C2/S2 at @dest: random bytes signed for the peer's digest, or a plain
 * echo of the peer's packet 1 when it had no digest. */
static void
make_packet2 (RtmpCoreHandshake * hs, const guint8 * peer_packet,
    gsize peer_digest_offset, guint8 * dest)
{
  if (peer_digest_offset == 0) {
    memcpy (dest, peer_packet, PACKET_SIZE);
    return;
  }
  fill_random (dest, PACKET2_SIGNED_SIZE);
  packet2_digest (dest, hs->role, peer_packet + peer_digest_offset,
      dest + PACKET2_SIGNED_SIZE);
}

static guint8 *
output_reserve (RtmpCoreHandshake * hs, gsize len)
{
  guint old;

  if (!hs->out)
    hs->out = g_byte_array_sized_new (len);
  old = hs->out->len;
  g_byte_array_set_size (hs->out, old + len);
  return hs->out->data + old;
}

static gboolean
fail (RtmpCoreHandshake * hs, GError ** error, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

static gboolean
fail (RtmpCoreHandshake * hs, GError ** error, gint code,
    const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  hs->error = g_error_new_valist (RTMP_CORE_ERROR, code, format, args);
  va_end (args);
  g_propagate_error (error, g_error_copy (hs->error));
  return FALSE;
}

static gboolean
check_version (RtmpCoreHandshake * hs, guint8 version, GError ** error)
{
  const gchar *packet = hs->role == RTMP_CORE_HANDSHAKE_SERVER ? "C0" : "S0";

  if (version == RTMP_VERSION)
    return TRUE;
  if (version == RTMPE_VERSION)
    return fail (hs, error, RTMP_CORE_ERROR_BAD_VERSION,
        "Peer sent RTMP version byte 6 in %s: 6 is RTMPE (encrypted RTMP), "
        "which is not supported; expected 3", packet);
  return fail (hs, error, RTMP_CORE_ERROR_BAD_VERSION,
      "Peer sent RTMP version byte %u (0x%02x) in %s, expected 3",
      version, version, packet);
}

/* The peer's C1/S1 is in hs->in + 1. A server answers S0+S1+S2 in the
 * flavour of C1; a client answers C2. */
static void
handle_packet1 (RtmpCoreHandshake * hs)
{
  const guint8 *peer = hs->in + 1;
  gsize partial_len, full_len, peer_offset;
  const guint8 *key = sender_key (peer_role (hs), &partial_len, &full_len);
  guint scheme = 0;
  guint8 *dest;

  hs->peer_epoch = rtmp_read_u32_be (peer);
  peer_offset = find_packet1_digest (peer, key, partial_len, &scheme);
  hs->peer_mode = peer_offset ? RTMP_CORE_HANDSHAKE_DIGEST :
      RTMP_CORE_HANDSHAKE_PLAIN;

  if (hs->role == RTMP_CORE_HANDSHAKE_SERVER) {
    make_packet1 (hs, peer_offset != 0, scheme);
    dest = output_reserve (hs, 1 + 2 * PACKET_SIZE);
    dest[0] = RTMP_VERSION;
    memcpy (dest + 1, hs->own, PACKET_SIZE);
    make_packet2 (hs, peer, peer_offset, dest + 1 + PACKET_SIZE);
    return;
  }

  /* A digest client facing a plain server falls back to echoing S1, as
   * ffmpeg does; a plain client always echoes. */
  if (hs->mode != RTMP_CORE_HANDSHAKE_DIGEST)
    peer_offset = 0;
  make_packet2 (hs, peer, peer_offset, output_reserve (hs, PACKET_SIZE));
}

/* An echo repeats our time and random bytes; the spec lets the second
 * time field hold when the peer read our packet, as ffmpeg's server does. */
static gboolean
is_echo (const guint8 * reply, const guint8 * own)
{
  return memcmp (reply, own, 4) == 0 &&
      memcmp (reply + 8, own + 8, PACKET_SIZE - 8) == 0;
}

/* The peer's C2/S2 is in hs->in. It is never fatal: peers disagree too
 * often about what it should hold. Just record whether it was right. */
static void
handle_packet2 (RtmpCoreHandshake * hs)
{
  guint8 expected[DIGEST_SIZE];

  hs->peer_reply_valid = is_echo (hs->in, hs->own);
  if (!hs->peer_reply_valid && hs->own_digest_offset != 0) {
    packet2_digest (hs->in, peer_role (hs), hs->own + hs->own_digest_offset,
        expected);
    hs->peer_reply_valid = memcmp (expected, hs->in + PACKET2_SIGNED_SIZE,
        DIGEST_SIZE) == 0;
  }
  if (!hs->peer_reply_valid)
    g_debug ("Peer's %s neither echoes our %s nor carries a valid digest; "
        "accepting it anyway", hs->role == RTMP_CORE_HANDSHAKE_SERVER ?
        "C2" : "S2", hs->role == RTMP_CORE_HANDSHAKE_SERVER ? "S1" : "C1");
}

/**
 * rtmp_core_handshake_new:
 * @role: whether to act as the client or the server
 * @mode: for a client, the flavour of C1 to send; a server answers in the
 *   flavour of the C1 it gets and ignores @mode
 *
 * Makes a handshake state machine. A client's C0+C1 is ready at once in
 * rtmp_core_handshake_take_output().
 *
 * Returns: (transfer full): a new handshake
 *
 * Since: 0.1
 */
RtmpCoreHandshake *
rtmp_core_handshake_new (RtmpCoreHandshakeRole role, RtmpCoreHandshakeMode mode)
{
  RtmpCoreHandshake *hs;

  g_return_val_if_fail (role == RTMP_CORE_HANDSHAKE_CLIENT ||
      role == RTMP_CORE_HANDSHAKE_SERVER, NULL);
  g_return_val_if_fail (mode == RTMP_CORE_HANDSHAKE_PLAIN ||
      mode == RTMP_CORE_HANDSHAKE_DIGEST, NULL);

  hs = g_new0 (RtmpCoreHandshake, 1);
  hs->ref_count = 1;
  hs->role = role;
  hs->mode = mode;
  hs->stage = STAGE_PACKET1;
  hs->peer_mode = RTMP_CORE_HANDSHAKE_PLAIN;

  if (role == RTMP_CORE_HANDSHAKE_CLIENT) {
    guint8 *dest;

    /* Flash Player puts the C1 digest in the first scheme. */
    make_packet1 (hs, mode == RTMP_CORE_HANDSHAKE_DIGEST, 0);
    dest = output_reserve (hs, 1 + PACKET_SIZE);
    dest[0] = RTMP_VERSION;
    memcpy (dest + 1, hs->own, PACKET_SIZE);
  }
  return hs;
}

/**
 * rtmp_core_handshake_ref:
 * @hs: a handshake
 *
 * Adds a reference.
 *
 * Returns: (transfer full): @hs
 *
 * Since: 0.1
 */
RtmpCoreHandshake *
rtmp_core_handshake_ref (RtmpCoreHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, NULL);
  g_return_val_if_fail (hs->ref_count > 0, NULL);
  g_atomic_int_inc (&hs->ref_count);
  return hs;
}

/**
 * rtmp_core_handshake_unref:
 * @hs: (transfer full): a handshake
 *
 * Drops a reference; the last one frees @hs.
 *
 * Since: 0.1
 */
void
rtmp_core_handshake_unref (RtmpCoreHandshake * hs)
{
  g_return_if_fail (hs != NULL);
  g_return_if_fail (hs->ref_count > 0);
  if (g_atomic_int_dec_and_test (&hs->ref_count)) {
    g_clear_error (&hs->error);
    if (hs->out)
      g_byte_array_unref (hs->out);
    g_free (hs);
  }
}

/**
 * rtmp_core_handshake_feed:
 * @hs: a handshake
 * @data: (array length=size): bytes received from the peer
 * @size: the number of bytes in @data
 * @consumed: (out) (optional): how many bytes of @data the handshake used
 * @error: return location for a #GError
 *
 * Feeds received bytes, split in any way. Once the handshake is complete the
 * rest of @data is left alone: *@consumed tells where the chunk stream
 * starts. After completion nothing more is consumed. Check
 * rtmp_core_handshake_take_output() for bytes to send after each call.
 *
 * A version byte other than 3 fails with %RTMP_CORE_ERROR_BAD_VERSION, as
 * soon as that byte arrives. Once failed, every later call consumes nothing
 * and fails again with the same error; the connection should be closed.
 * A handshake that never completes is not timed out here: that is up to the
 * caller.
 *
 * Returns: %FALSE on error
 *
 * Since: 0.1
 */
gboolean
rtmp_core_handshake_feed (RtmpCoreHandshake * hs, const guint8 * data,
    gsize size, gsize * consumed, GError ** error)
{
  RtmpByteReader reader;

  if (consumed)
    *consumed = 0;
  g_return_val_if_fail (hs != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (hs->error) {
    g_propagate_error (error, g_error_copy (hs->error));
    return FALSE;
  }

  rtmp_byte_reader_init (&reader, data, size);
  while (hs->stage != STAGE_DONE && rtmp_byte_reader_remaining (&reader) > 0) {
    gsize need = hs->stage == STAGE_PACKET1 ? 1 + PACKET_SIZE : PACKET_SIZE;
    gsize n = MIN (need - hs->in_len, rtmp_byte_reader_remaining (&reader));
    const guint8 *p = NULL;

    rtmp_byte_reader_get_data (&reader, n, &p);
    if (consumed)
      *consumed = reader.pos;

    /* Reject a wrong version before waiting for 1536 more bytes. */
    if (hs->stage == STAGE_PACKET1 && hs->in_len == 0 &&
        !check_version (hs, p[0], error))
      return FALSE;

    memcpy (hs->in + hs->in_len, p, n);
    hs->in_len += n;
    if (hs->in_len < need)
      break;

    hs->in_len = 0;
    if (hs->stage == STAGE_PACKET1) {
      handle_packet1 (hs);
      hs->stage = STAGE_PACKET2;
    } else {
      handle_packet2 (hs);
      hs->stage = STAGE_DONE;
    }
  }
  return TRUE;
}

/**
 * rtmp_core_handshake_take_output:
 * @hs: a handshake
 *
 * Takes the bytes that are waiting to be sent to the peer: C0+C1 and later
 * C2 for a client, S0+S1+S2 for a server. Each byte is returned once.
 *
 * Returns: (transfer full) (nullable): the pending bytes, or %NULL if there
 *   are none
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_handshake_take_output (RtmpCoreHandshake * hs)
{
  GByteArray *out;

  g_return_val_if_fail (hs != NULL, NULL);
  out = g_steal_pointer (&hs->out);
  return out ? g_byte_array_free_to_bytes (out) : NULL;
}

/**
 * rtmp_core_handshake_is_done:
 * @hs: a handshake
 *
 * Tells whether the peer's last packet (S2 for a client, C2 for a server)
 * has arrived. The output may still hold bytes to send.
 *
 * Returns: %TRUE once the handshake is complete
 *
 * Since: 0.1
 */
gboolean
rtmp_core_handshake_is_done (RtmpCoreHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, FALSE);
  return hs->stage == STAGE_DONE;
}

/**
 * rtmp_core_handshake_get_peer_mode:
 * @hs: a handshake
 *
 * Tells whether the peer's C1/S1 carried a valid digest.
 *
 * Returns: %RTMP_CORE_HANDSHAKE_DIGEST if it did, %RTMP_CORE_HANDSHAKE_PLAIN
 *   if it did not or has not arrived yet
 *
 * Since: 0.1
 */
RtmpCoreHandshakeMode
rtmp_core_handshake_get_peer_mode (RtmpCoreHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, RTMP_CORE_HANDSHAKE_PLAIN);
  return hs->peer_mode;
}

/**
 * rtmp_core_handshake_get_peer_epoch:
 * @hs: a handshake
 *
 * Gives the time field of the peer's C1/S1, the epoch of the peer's chunk
 * timestamps.
 *
 * Returns: the peer's epoch in milliseconds, 0 until C1/S1 has arrived
 *
 * Since: 0.1
 */
guint32
rtmp_core_handshake_get_peer_epoch (RtmpCoreHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, 0);
  return hs->peer_epoch;
}

/**
 * rtmp_core_handshake_get_peer_reply_valid:
 * @hs: a handshake
 *
 * Tells whether the peer's C2/S2 was what the specification asks for: an
 * echo of our C1/S1 (the second time field may differ), or for a digest
 * handshake a packet with a valid digest. A wrong C2/S2 is accepted anyway
 * (many peers send one); this is for diagnostics.
 *
 * Returns: %TRUE if the handshake is done and the peer's C2/S2 was valid
 *
 * Since: 0.1
 */
gboolean
rtmp_core_handshake_get_peer_reply_valid (RtmpCoreHandshake * hs)
{
  g_return_val_if_fail (hs != NULL, FALSE);
  return hs->stage == STAGE_DONE && hs->peer_reply_valid;
}
