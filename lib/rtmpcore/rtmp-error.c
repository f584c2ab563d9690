#include "rtmp-error.h"

/**
 * rtmp_core_error_quark:
 *
 * Gets the #GQuark of the librtmpcore error domain, in which every error
 * the RTMP layer detects itself is reported with a #RtmpCoreError code.
 * C code normally uses the #RTMP_CORE_ERROR macro instead; bindings expose
 * this domain through the #RtmpCoreError enumeration. Thread-safe: the
 * quark is registered on first use.
 *
 * Returns: the quark of the #RTMP_CORE_ERROR domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (rtmp-core-error-quark, rtmp_core_error)
