/* Commands (AMF0 type 20, AMF3 type 17) and data messages (types 18, 15). */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"
#include "rtmp-amf.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/**
 * RtmpCoreCommand:
 *
 * A decoded command: a name, a transaction id, a command object (often null)
 * and further arguments. Reference counted.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreCommand RtmpCoreCommand;

#define RTMP_CORE_TYPE_COMMAND (rtmp_core_command_get_type ())

RTMP_CORE_API
GType rtmp_core_command_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreCommand *rtmp_core_command_new (const gchar * name, gdouble transaction_id,
    RtmpCoreAmfValue * command_object);

RTMP_CORE_API
RtmpCoreCommand *rtmp_core_command_ref (RtmpCoreCommand * cmd);

RTMP_CORE_API
void rtmp_core_command_unref (RtmpCoreCommand * cmd);

RTMP_CORE_API
const gchar *rtmp_core_command_get_name (const RtmpCoreCommand * cmd);

RTMP_CORE_API
gdouble rtmp_core_command_get_transaction_id (const RtmpCoreCommand * cmd);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_command_get_object (const RtmpCoreCommand * cmd);

RTMP_CORE_API
void rtmp_core_command_add_argument (RtmpCoreCommand * cmd, RtmpCoreAmfValue * arg);

RTMP_CORE_API
void rtmp_core_command_take_argument (RtmpCoreCommand * cmd, RtmpCoreAmfValue * arg);

RTMP_CORE_API
guint rtmp_core_command_get_n_arguments (const RtmpCoreCommand * cmd);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_command_get_argument (const RtmpCoreCommand * cmd, guint index);

RTMP_CORE_API
RtmpCoreCommand *rtmp_core_command_parse (const RtmpCoreMessage * msg, GError ** error);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_command_to_message (const RtmpCoreCommand * cmd,
    guint32 chunk_stream_id, guint32 stream_id);

RTMP_CORE_API
const gchar *rtmp_core_command_get_status_code (const RtmpCoreCommand * cmd);

RTMP_CORE_API
const gchar *rtmp_core_command_get_status_description (const RtmpCoreCommand * cmd);

/* Data messages */

RTMP_CORE_API
GPtrArray *rtmp_core_data_message_parse (const RtmpCoreMessage * msg, GError ** error);

RTMP_CORE_API
GBytes *rtmp_core_data_strip_set_data_frame (GBytes * payload);

RTMP_CORE_API
GBytes *rtmp_core_data_add_set_data_frame (GBytes * payload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreCommand, rtmp_core_command_unref)

G_END_DECLS
