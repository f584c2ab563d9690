/* rtmpserversrc: an RTMP ingest server as a live FLV source. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SERVER_SRC (gst_rtmp_server_src_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpServerSrc, gst_rtmp_server_src, GST,
    RTMP_SERVER_SRC, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (rtmpserversrc);

G_END_DECLS
