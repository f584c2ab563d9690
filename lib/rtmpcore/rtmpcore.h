/* librtmpcore: the umbrella header. Include only this one. */
#pragma once

#define __RTMP_CORE_H_INSIDE__

#include "rtmpcore-prelude.h"
#include "rtmpcore-version.h"
#include "rtmpcore-enumtypes.h"
#include "rtmp-error.h"
#include "rtmp-timestamp.h"
#include "rtmp-handshake.h"
#include "rtmp-message.h"
#include "rtmp-chunk-reader.h"
#include "rtmp-chunk-writer.h"
#include "rtmp-amf.h"
#include "rtmp-command.h"
#include "rtmp-flv.h"
#include "rtmp-ertmp.h"
#include "rtmp-url.h"
#include "rtmp-connection.h"
#include "rtmp-client.h"
#include "rtmp-server.h"
#include "rtmp-auth.h"

#undef __RTMP_CORE_H_INSIDE__
