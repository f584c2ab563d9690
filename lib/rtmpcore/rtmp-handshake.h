/* Sans-IO RTMP handshake state machines (client and server). */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_HANDSHAKE_PACKET_SIZE:
 *
 * The size of C1, S1, C2 and S2.
 *
 * Since: 0.1
 */
#define RTMP_CORE_HANDSHAKE_PACKET_SIZE 1536

/**
 * RtmpCoreHandshakeRole:
 * @RTMP_CORE_HANDSHAKE_CLIENT: send C0/C1, expect S0/S1/S2, send C2
 * @RTMP_CORE_HANDSHAKE_SERVER: expect C0/C1, send S0/S1/S2, expect C2
 *
 * Which side of the handshake to play.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_HANDSHAKE_CLIENT,
  RTMP_CORE_HANDSHAKE_SERVER,
} RtmpCoreHandshakeRole;

/**
 * RtmpCoreHandshakeMode:
 * @RTMP_CORE_HANDSHAKE_PLAIN: random C1/S1 with a zero version field,
 *   C2/S2 echo the peer's packet
 * @RTMP_CORE_HANDSHAKE_DIGEST: Flash Player 9 style ("complex") packets
 *   carrying an HMAC-SHA256 digest
 *
 * The flavour of handshake a client sends. A server answers either flavour
 * in kind, whatever it was created with.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_HANDSHAKE_PLAIN,
  RTMP_CORE_HANDSHAKE_DIGEST,
} RtmpCoreHandshakeMode;

/**
 * RtmpCoreHandshake:
 *
 * Feed it the bytes that arrive with rtmp_core_handshake_feed() and send
 * what rtmp_core_handshake_take_output() returns, until
 * rtmp_core_handshake_is_done(). Bytes after the handshake that arrived in
 * the same read are not consumed; pass them to the chunk reader.
 *
 * Not thread-safe.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreHandshake RtmpCoreHandshake;

#define RTMP_CORE_TYPE_HANDSHAKE (rtmp_core_handshake_get_type ())

RTMP_CORE_API
GType rtmp_core_handshake_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreHandshake *rtmp_core_handshake_new (RtmpCoreHandshakeRole role,
    RtmpCoreHandshakeMode mode);

RTMP_CORE_API
RtmpCoreHandshake *rtmp_core_handshake_ref (RtmpCoreHandshake * hs);

RTMP_CORE_API
void rtmp_core_handshake_unref (RtmpCoreHandshake * hs);

RTMP_CORE_API
gboolean rtmp_core_handshake_feed (RtmpCoreHandshake * hs, const guint8 * data,
    gsize size, gsize * consumed, GError ** error);

RTMP_CORE_API
GBytes *rtmp_core_handshake_take_output (RtmpCoreHandshake * hs);

RTMP_CORE_API
gboolean rtmp_core_handshake_is_done (RtmpCoreHandshake * hs);

RTMP_CORE_API
RtmpCoreHandshakeMode rtmp_core_handshake_get_peer_mode (RtmpCoreHandshake * hs);

RTMP_CORE_API
guint32 rtmp_core_handshake_get_peer_epoch (RtmpCoreHandshake * hs);

RTMP_CORE_API
gboolean rtmp_core_handshake_get_peer_reply_valid (RtmpCoreHandshake * hs);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreHandshake, rtmp_core_handshake_unref)

G_END_DECLS
