#include "rtmp-error.h"

/**
 * rtmp_core_error_quark:
 *
 * Returns: the quark of the #RTMP_CORE_ERROR domain
 *
 * Since: 0.1
 */
G_DEFINE_QUARK (rtmp-core-error-quark, rtmp_core_error)
