/* rtmpsink2: publishes an FLV stream to an RTMP server with librtmpcore. */
#pragma once

#include <gst/gst.h>
#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

/**
 * GstRtmpCoreStopCommands:
 * @GST_RTMP_CORE_STOP_COMMANDS_NONE: send nothing, just close
 * @GST_RTMP_CORE_STOP_COMMANDS_FCUNPUBLISH: send `FCUnpublish`
 * @GST_RTMP_CORE_STOP_COMMANDS_CLOSE_STREAM: send `closeStream`
 * @GST_RTMP_CORE_STOP_COMMANDS_DELETE_STREAM: send `deleteStream`
 *
 * The commands rtmpsink2 sends on EOS, after the last media message and
 * before closing. The values and nicks are those of rtmp2sink's flags.
 */
typedef enum
{
  GST_RTMP_CORE_STOP_COMMANDS_NONE = 0,
  GST_RTMP_CORE_STOP_COMMANDS_FCUNPUBLISH = (1 << 0),
  GST_RTMP_CORE_STOP_COMMANDS_CLOSE_STREAM = (1 << 1),
  GST_RTMP_CORE_STOP_COMMANDS_DELETE_STREAM = (1 << 2),
} GstRtmpCoreStopCommands;

#define GST_TYPE_RTMP_CORE_STOP_COMMANDS (gst_rtmp_core_stop_commands_get_type ())
GType gst_rtmp_core_stop_commands_get_type (void);

#define GST_TYPE_RTMP_SINK2 (gst_rtmp_sink2_get_type ())
G_DECLARE_FINAL_TYPE (GstRtmpSink2, gst_rtmp_sink2, GST, RTMP_SINK2,
    GstBaseSink)

GST_ELEMENT_REGISTER_DECLARE (rtmpsink2);

G_END_DECLS
