/* Export macro for the public API of librtmpcore. */
#pragma once

#include <glib.h>

#if defined(_WIN32)
# define _RTMP_CORE_EXPORT __declspec(dllexport) extern
#else
# define _RTMP_CORE_EXPORT __attribute__((visibility ("default"))) extern
#endif

#ifdef RTMP_CORE_COMPILATION
# define RTMP_CORE_API _RTMP_CORE_EXPORT
#else
# define RTMP_CORE_API extern
#endif
