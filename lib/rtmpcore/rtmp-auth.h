/* RTMP authentication: the Adobe (challenge/salt) and Limelight (digest)
 * schemes that FMS-style servers ask for in their connect rejections.
 * Pure computations, no I/O. */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RtmpCoreAuthmod:
 * @RTMP_CORE_AUTHMOD_NONE: never authenticate
 * @RTMP_CORE_AUTHMOD_AUTO: connect without credentials first, and answer
 *   the scheme the server names in its rejection (Adobe or Limelight) when
 *   a user name and password are known
 * @RTMP_CORE_AUTHMOD_ADOBE: announce the user for the Adobe scheme
 *   (`authmod=adobe`) in the first connect
 * @RTMP_CORE_AUTHMOD_LLNW: announce the user for the Limelight scheme
 *   (`authmod=llnw`) in the first connect
 *
 * How a client authenticates.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_AUTHMOD_NONE,
  RTMP_CORE_AUTHMOD_AUTO,
  RTMP_CORE_AUTHMOD_ADOBE,
  RTMP_CORE_AUTHMOD_LLNW,
} RtmpCoreAuthmod;

/**
 * RtmpCoreAuthReason:
 * @RTMP_CORE_AUTH_REASON_NONE: no `reason=`: the server only says which
 *   scheme it wants (e.g. `[ code=403 need auth; authmod=adobe ]`), and
 *   the client is to announce its user
 * @RTMP_CORE_AUTH_REASON_NEEDAUTH: `reason=needauth`: a challenge to answer
 * @RTMP_CORE_AUTH_REASON_AUTHFAILED: `reason=authfailed`: wrong credentials
 * @RTMP_CORE_AUTH_REASON_NOSUCHUSER: `reason=nosuchuser`: unknown user
 * @RTMP_CORE_AUTH_REASON_OTHER: any other reason
 *
 * What an authentication rejection asks for.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_AUTH_REASON_NONE,
  RTMP_CORE_AUTH_REASON_NEEDAUTH,
  RTMP_CORE_AUTH_REASON_AUTHFAILED,
  RTMP_CORE_AUTH_REASON_NOSUCHUSER,
  RTMP_CORE_AUTH_REASON_OTHER,
} RtmpCoreAuthReason;

/**
 * RTMP_CORE_AUTH_LLNW_REALM:
 *
 * The realm of the Limelight digest.
 *
 * Since: 0.1
 */
#define RTMP_CORE_AUTH_LLNW_REALM "live"

/**
 * RtmpCoreAuthChallenge:
 *
 * The authentication request found in the description of a rejected
 * `connect`: its scheme, its reason and its parameters (`salt`,
 * `challenge`, `opaque`, `nonce`, `user`...).
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreAuthChallenge RtmpCoreAuthChallenge;

#define RTMP_CORE_TYPE_AUTH_CHALLENGE (rtmp_core_auth_challenge_get_type ())

RTMP_CORE_API
GType rtmp_core_auth_challenge_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreAuthChallenge *rtmp_core_auth_challenge_parse (const gchar * description,
    GError ** error);

RTMP_CORE_API
RtmpCoreAuthChallenge *rtmp_core_auth_challenge_copy (const RtmpCoreAuthChallenge * challenge);

RTMP_CORE_API
void rtmp_core_auth_challenge_free (RtmpCoreAuthChallenge * challenge);

RTMP_CORE_API
RtmpCoreAuthmod rtmp_core_auth_challenge_get_authmod (const RtmpCoreAuthChallenge * challenge);

RTMP_CORE_API
RtmpCoreAuthReason rtmp_core_auth_challenge_get_reason (const RtmpCoreAuthChallenge * challenge);

RTMP_CORE_API
const gchar *rtmp_core_auth_challenge_get_param (const RtmpCoreAuthChallenge * challenge,
    const gchar * name);

RTMP_CORE_API
const gchar *rtmp_core_authmod_to_string (RtmpCoreAuthmod authmod);

RTMP_CORE_API
gchar *rtmp_core_auth_adobe_response (const gchar * user, const gchar * password,
    const gchar * salt, const gchar * opaque, const gchar * challenge,
    const gchar * client_challenge);

RTMP_CORE_API
gchar *rtmp_core_auth_llnw_response (const gchar * user, const gchar * password,
    const gchar * nonce, const gchar * application, const gchar * cnonce);

RTMP_CORE_API
gchar *rtmp_core_auth_new_client_nonce (void);

RTMP_CORE_API
gchar *rtmp_core_auth_build_user_query (RtmpCoreAuthmod authmod, const gchar * user);

RTMP_CORE_API
gchar *rtmp_core_auth_build_response_query (const RtmpCoreAuthChallenge * challenge,
    const gchar * user, const gchar * password, const gchar * application,
    const gchar * client_nonce, GError ** error);

RTMP_CORE_API
gchar *rtmp_core_auth_append_query (const gchar * base, const gchar * query);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreAuthChallenge, rtmp_core_auth_challenge_free)

G_END_DECLS
