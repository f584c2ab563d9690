/* Fuzz target for the handshake: the input (after its first byte, which
 * picks the split size) is fed to a server and to clients of both modes, in
 * pieces, checking the consumed counts on the way. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <rtmpcore.h>

#define HS_INPUT_SIZE (1 + 2 * RTMP_CORE_HANDSHAKE_PACKET_SIZE)

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static void
drain_output (RtmpCoreHandshake * hs)
{
  GBytes *out = rtmp_core_handshake_take_output (hs);

  if (out)
    g_bytes_unref (out);
}

static void
feed_all (RtmpCoreHandshake * hs, const guint8 * data, gsize size,
    gsize split)
{
  gsize pos = 0, total = 0, consumed;
  GError *error = NULL;

  while (pos < size) {
    gsize n = MIN (split, size - pos);
    gboolean was_done = rtmp_core_handshake_is_done (hs);

    if (!rtmp_core_handshake_feed (hs, data + pos, n, &consumed, &error)) {
      /* Errors are sticky and consume nothing more. */
      g_assert_nonnull (error);
      g_clear_error (&error);
      if (rtmp_core_handshake_feed (hs, data + pos, n, &consumed, &error))
        abort ();
      g_assert_cmpuint (consumed, ==, 0);
      g_clear_error (&error);
      return;
    }
    g_assert_no_error (error);
    g_assert_cmpuint (consumed, <=, n);
    if (was_done)
      g_assert_cmpuint (consumed, ==, 0);
    else if (consumed < n)
      g_assert_true (rtmp_core_handshake_is_done (hs));
    total += consumed;
    drain_output (hs);
    pos += n;
  }

  /* Exactly C0+C1+C2 (or S0+S1+S2) is used, never more. */
  g_assert_cmpuint (total, <=, HS_INPUT_SIZE);
  if (rtmp_core_handshake_is_done (hs))
    g_assert_cmpuint (total, ==, HS_INPUT_SIZE);
  else
    g_assert_cmpuint (total, ==, size);
  (void) rtmp_core_handshake_get_peer_mode (hs);
  (void) rtmp_core_handshake_get_peer_epoch (hs);
  (void) rtmp_core_handshake_get_peer_reply_valid (hs);
}

static void
run (RtmpCoreHandshakeRole role, RtmpCoreHandshakeMode mode,
    const guint8 * data, gsize size, gsize split)
{
  RtmpCoreHandshake *hs = rtmp_core_handshake_new (role, mode);

  drain_output (hs);
  feed_all (hs, data, size, split);
  rtmp_core_handshake_unref (hs);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  gsize split;

  if (size < 1)
    return 0;

  /* 0: everything at once; 1..127: that many bytes; 128..255: larger
   * steps that still cross packet boundaries at odd places. */
  if (data[0] == 0)
    split = size;
  else if (data[0] < 128)
    split = data[0];
  else
    split = (gsize) (data[0] - 127) * 29;
  data++;
  size--;

  run (RTMP_CORE_HANDSHAKE_SERVER, RTMP_CORE_HANDSHAKE_PLAIN, data, size,
      split);
  run (RTMP_CORE_HANDSHAKE_CLIENT, RTMP_CORE_HANDSHAKE_PLAIN, data, size,
      split);
  run (RTMP_CORE_HANDSHAKE_CLIENT, RTMP_CORE_HANDSHAKE_DIGEST, data, size,
      split);
  return 0;
}
