/* rtmpsrc2: plays an RTMP stream as a live FLV source with librtmpcore. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define GST_TYPE_RTMP_SRC2 (gst_rtmp_src2_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpSrc2, gst_rtmp_src2, GST, RTMP_SRC2, GstPushSrc)

GST_ELEMENT_REGISTER_DECLARE (rtmpsrc2);

G_END_DECLS
