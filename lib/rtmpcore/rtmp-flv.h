/* FLV: a sans-IO tag parser (bytes in, tags out) and tag writers. FLV tag
 * bodies are exactly the payloads of RTMP audio, video and data messages. */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"
#include "rtmp-message.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_FLV_HEADER_SIZE:
 *
 * The size of the FLV file header ("FLV", version, flags, header size),
 * not counting the PreviousTagSize0 field that follows it.
 *
 * Since: 0.1
 */
#define RTMP_CORE_FLV_HEADER_SIZE 9

/**
 * RTMP_CORE_FLV_TAG_HEADER_SIZE:
 *
 * The size of an FLV tag header: type, 24-bit data size, 24-bit timestamp,
 * 8-bit timestamp extension and 24-bit stream id.
 *
 * Since: 0.1
 */
#define RTMP_CORE_FLV_TAG_HEADER_SIZE 11

/**
 * RTMP_CORE_FLV_MAX_TAG_SIZE:
 *
 * The largest tag data size the 24-bit size field can express.
 *
 * Since: 0.1
 */
#define RTMP_CORE_FLV_MAX_TAG_SIZE 0xFFFFFF

/**
 * RtmpCoreFlvTagType:
 * @RTMP_CORE_FLV_TAG_AUDIO: audio tag (8)
 * @RTMP_CORE_FLV_TAG_VIDEO: video tag (9)
 * @RTMP_CORE_FLV_TAG_SCRIPT: script data tag (18), AMF0
 *
 * FLV tag types. They equal the RTMP message types of the same payloads.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_FLV_TAG_AUDIO = 8,
  RTMP_CORE_FLV_TAG_VIDEO = 9,
  RTMP_CORE_FLV_TAG_SCRIPT = 18,
} RtmpCoreFlvTagType;

/**
 * RtmpCoreFlvHeaderFlags:
 * @RTMP_CORE_FLV_HAS_VIDEO: the file has video tags
 * @RTMP_CORE_FLV_HAS_AUDIO: the file has audio tags
 *
 * The type flags of the FLV file header.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
  RTMP_CORE_FLV_HAS_VIDEO = 1,
  RTMP_CORE_FLV_HAS_AUDIO = 4,
} RtmpCoreFlvHeaderFlags;

/**
 * RtmpCoreFlvTagFunc:
 * @tag: (transfer none): one tag as a borrowed message view, valid only
 *   during the call: its type is the tag type, its timestamp the full 32-bit
 *   one, its stream and chunk stream ids 0, its payload the tag data
 * @user_data: user data
 *
 * Receives each complete FLV tag. Use rtmp_core_message_copy() to keep it.
 *
 * Since: 0.1
 */
typedef void (*RtmpCoreFlvTagFunc) (const RtmpCoreMessage * tag,
    gpointer user_data);

/**
 * RtmpCoreFlvParser:
 *
 * Parses an FLV byte stream fed in any split: an optional file header,
 * then tags, each followed by its 32-bit previous tag size. It reports
 * each tag through a callback, without copying when a whole tag lies in
 * the fed buffer, and otherwise reassembles it in a buffer that grows as
 * data arrives.
 *
 * Not thread-safe: use one parser from one thread.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreFlvParser RtmpCoreFlvParser;

#define RTMP_CORE_TYPE_FLV_PARSER (rtmp_core_flv_parser_get_type ())

RTMP_CORE_API
GType rtmp_core_flv_parser_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreFlvParser *rtmp_core_flv_parser_new (void);

RTMP_CORE_API
RtmpCoreFlvParser *rtmp_core_flv_parser_ref (RtmpCoreFlvParser * parser);

RTMP_CORE_API
void rtmp_core_flv_parser_unref (RtmpCoreFlvParser * parser);

RTMP_CORE_API
void rtmp_core_flv_parser_set_callback (RtmpCoreFlvParser * parser,
    RtmpCoreFlvTagFunc func, gpointer user_data, GDestroyNotify notify);

RTMP_CORE_API
void rtmp_core_flv_parser_set_max_tag_size (RtmpCoreFlvParser * parser,
    guint32 max_size);

RTMP_CORE_API
gboolean rtmp_core_flv_parser_feed (RtmpCoreFlvParser * parser,
    const guint8 * data, gsize size, GError ** error);

RTMP_CORE_API
GPtrArray *rtmp_core_flv_parser_feed_bytes (RtmpCoreFlvParser * parser,
    GBytes * data, GError ** error);

RTMP_CORE_API
gboolean rtmp_core_flv_parser_finish (RtmpCoreFlvParser * parser,
    GError ** error);

RTMP_CORE_API
gboolean rtmp_core_flv_parser_get_header (RtmpCoreFlvParser * parser,
    guint8 * flags);

RTMP_CORE_API
guint rtmp_core_flv_parser_get_n_bad_back_pointers (RtmpCoreFlvParser * parser);

RTMP_CORE_API
GBytes *rtmp_core_flv_make_header (RtmpCoreFlvHeaderFlags flags);

RTMP_CORE_API
void rtmp_core_flv_write_tag_header (guint8 out[RTMP_CORE_FLV_TAG_HEADER_SIZE],
    guint8 type, guint32 size, guint32 timestamp);

RTMP_CORE_API
GBytes *rtmp_core_flv_tag_from_message (const RtmpCoreMessage * msg);

RTMP_CORE_API
RtmpCoreMessage *rtmp_core_flv_tag_to_message (const guint8 * tag, gsize size,
    guint32 chunk_stream_id, guint32 stream_id, GError ** error);

RTMP_CORE_API
guint32 rtmp_core_flv_default_chunk_stream (guint8 type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreFlvParser, rtmp_core_flv_parser_unref)

G_END_DECLS
