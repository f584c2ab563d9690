/* Legacy FLV and Enhanced RTMP audio/video header parsing. */
#include "rtmp-ertmp.h"
#include "rtmp-error.h"
#include "rtmp-bytes-private.h"

#define FOURCC_AVC1 RTMP_CORE_FOURCC ('a', 'v', 'c', '1')
#define FOURCC_HVC1 RTMP_CORE_FOURCC ('h', 'v', 'c', '1')
#define FOURCC_MP4A RTMP_CORE_FOURCC ('m', 'p', '4', 'a')
#define FOURCC_MP3 RTMP_CORE_FOURCC ('.', 'm', 'p', '3')

#define VIDEO_EX_HEADER_BIT 0x80
#define VIDEO_CODEC_AVC 7
#define VIDEO_CODEC_LEGACY_HEVC 12

#define AUDIO_FORMAT_MP3 2
#define AUDIO_FORMAT_NELLYMOSER_16K 4
#define AUDIO_FORMAT_NELLYMOSER_8K 5
#define AUDIO_FORMAT_EX_HEADER 9
#define AUDIO_FORMAT_AAC 10
#define AUDIO_FORMAT_SPEEX 11
#define AUDIO_FORMAT_MP3_8K 14

/* ModEx and Multitrack share one layout in audio and video; only the
 * packet type values that signal them differ. */
#define MODEX_PACKET_TYPE 7
#define MODEX_TIMESTAMP_OFFSET_NANO 0

typedef struct {
  guint packet_type;
  guint32 fourcc;
  gboolean multitrack;
  guint multitrack_type;
  guint track_id;
  guint32 track_size;
  guint32 timestamp_offset_nano;
} ExHeader;

G_DEFINE_BOXED_TYPE (RtmpCoreVideoInfo, rtmp_core_video_info,
    rtmp_core_video_info_copy, rtmp_core_video_info_free)
G_DEFINE_BOXED_TYPE (RtmpCoreAudioInfo, rtmp_core_audio_info,
    rtmp_core_audio_info_copy, rtmp_core_audio_info_free)

static gboolean
truncated (GError ** error, const gchar * kind, const gchar * field,
    gsize size)
{
  g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
      "%s payload of %" G_GSIZE_FORMAT " bytes is truncated in its %s",
      kind, size, field);
  return FALSE;
}

/* Skips the ModEx blocks that precede the real packet type. Each block is
 * at least two bytes, so the loop ends with the input. */
static gboolean
read_modex (RtmpByteReader * r, ExHeader * ex, const gchar * kind,
    GError ** error)
{
  while (ex->packet_type == MODEX_PACKET_TYPE) {
    guint8 size8, types;
    guint16 size16;
    gsize size;
    const guint8 *data;

    if (!rtmp_byte_reader_get_u8 (r, &size8))
      return truncated (error, kind, "ModEx size", r->size);
    size = (gsize) size8 + 1;
    /* 256 escapes to a 16-bit size. */
    if (size == 256) {
      if (!rtmp_byte_reader_get_u16_be (r, &size16))
        return truncated (error, kind, "ModEx 16-bit size", r->size);
      size = (gsize) size16 + 1;
    }
    if (!rtmp_byte_reader_get_data (r, size, &data))
      return truncated (error, kind, "ModEx data", r->size);
    if (!rtmp_byte_reader_get_u8 (r, &types))
      return truncated (error, kind, "ModEx type", r->size);
    if ((types >> 4) == MODEX_TIMESTAMP_OFFSET_NANO && size >= 3)
      ex->timestamp_offset_nano = rtmp_read_u24_be (data);
    ex->packet_type = types & 0x0f;
  }
  return TRUE;
}

/* Reads the multitrack layout, the FourCC and the first track's header.
 * An unknown multitrack layout stops the parse early, without error. */
static gboolean
read_tracks (RtmpByteReader * r, ExHeader * ex,
    guint multitrack_packet_type, const gchar * kind, GError ** error)
{
  guint8 b, track_id;

  if (ex->packet_type == multitrack_packet_type) {
    if (!rtmp_byte_reader_get_u8 (r, &b))
      return truncated (error, kind, "multitrack type", r->size);
    ex->multitrack = TRUE;
    ex->multitrack_type = b >> 4;
    ex->packet_type = b & 0x0f;
    if (ex->packet_type == multitrack_packet_type ||
        ex->packet_type == MODEX_PACKET_TYPE) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "%s multitrack payload has packet type %u inside it", kind,
          ex->packet_type);
      return FALSE;
    }
    if (ex->multitrack_type > RTMP_CORE_MULTITRACK_MANY_TRACKS_MANY_CODECS)
      return TRUE;
  }

  /* ManyTracksManyCodecs puts a FourCC before each track id instead of
   * one for all tracks; for the first track both sit right here. */
  if (!rtmp_byte_reader_get_u32_be (r, &ex->fourcc))
    return truncated (error, kind, "FourCC", r->size);
  if (!ex->multitrack)
    return TRUE;

  if (!rtmp_byte_reader_get_u8 (r, &track_id))
    return truncated (error, kind, "track id", r->size);
  ex->track_id = track_id;
  if (ex->multitrack_type != RTMP_CORE_MULTITRACK_ONE_TRACK) {
    if (!rtmp_byte_reader_get_u24_be (r, &ex->track_size))
      return truncated (error, kind, "track size", r->size);
    if (ex->track_size > rtmp_byte_reader_remaining (r)) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "%s track %u announces %u bytes but only %" G_GSIZE_FORMAT
          " remain", kind, track_id, ex->track_size,
          rtmp_byte_reader_remaining (r));
      return FALSE;
    }
  }
  return TRUE;
}

static void
video_flags (RtmpCoreVideoInfo * info)
{
  gboolean key = info->frame_type == RTMP_CORE_VIDEO_FRAME_KEY ||
      info->frame_type == RTMP_CORE_VIDEO_FRAME_GENERATED_KEY;

  if (info->is_command)
    return;
  info->is_keyframe = key &&
      (info->packet_type == RTMP_CORE_VIDEO_PACKET_CODED_FRAMES ||
      info->packet_type == RTMP_CORE_VIDEO_PACKET_CODED_FRAMES_X);
  info->is_sequence_header =
      info->packet_type == RTMP_CORE_VIDEO_PACKET_SEQUENCE_START ||
      info->packet_type == RTMP_CORE_VIDEO_PACKET_MPEG2TS_SEQUENCE_START;
  info->is_sequence_end =
      info->packet_type == RTMP_CORE_VIDEO_PACKET_SEQUENCE_END;
}

static gboolean
read_command (RtmpByteReader * r, RtmpCoreVideoInfo * info, GError ** error)
{
  guint8 command;

  if (!rtmp_byte_reader_get_u8 (r, &command))
    return truncated (error, "Video", "command", r->size);
  info->is_command = TRUE;
  info->command = command;
  return TRUE;
}

static gboolean
read_composition_time (RtmpByteReader * r, RtmpCoreVideoInfo * info,
    GError ** error)
{
  guint32 cts;

  if (!rtmp_byte_reader_get_u24_be (r, &cts))
    return truncated (error, "Video", "composition time", r->size);
  /* SI24: sign-extend. B-frames give negative offsets. */
  if (cts & 0x800000)
    cts |= 0xFF000000;
  info->composition_time = (gint32) cts;
  return TRUE;
}

static gboolean
parse_legacy_video (RtmpByteReader * r, guint8 b0, RtmpCoreVideoInfo * info,
    GError ** error)
{
  guint8 avc_packet_type;

  info->frame_type = b0 >> 4;
  info->codec_id = b0 & 0x0f;
  info->packet_type = RTMP_CORE_VIDEO_PACKET_CODED_FRAMES;

  if (info->frame_type == RTMP_CORE_VIDEO_FRAME_COMMAND)
    return read_command (r, info, error);

  if (info->codec_id != VIDEO_CODEC_AVC &&
      info->codec_id != VIDEO_CODEC_LEGACY_HEVC)
    return TRUE;

  info->fourcc = info->codec_id == VIDEO_CODEC_AVC ? FOURCC_AVC1 : FOURCC_HVC1;
  if (!rtmp_byte_reader_get_u8 (r, &avc_packet_type))
    return truncated (error, "Video", "AVC packet type", r->size);
  info->packet_type = avc_packet_type;
  return read_composition_time (r, info, error);
}

static gboolean
parse_ex_video (RtmpByteReader * r, guint8 b0, RtmpCoreVideoInfo * info,
    GError ** error)
{
  ExHeader ex = { 0, };

  info->ex_header = TRUE;
  info->frame_type = (b0 >> 4) & 0x07;
  ex.packet_type = b0 & 0x0f;

  if (!read_modex (r, &ex, "Video", error))
    return FALSE;
  info->packet_type = ex.packet_type;
  info->timestamp_offset_nano = ex.timestamp_offset_nano;

  /* A command frame carries one command byte and no FourCC; a metadata
   * packet ignores the frame type. */
  if (info->frame_type == RTMP_CORE_VIDEO_FRAME_COMMAND &&
      ex.packet_type != RTMP_CORE_VIDEO_PACKET_METADATA)
    return read_command (r, info, error);

  if (!read_tracks (r, &ex, RTMP_CORE_VIDEO_PACKET_MULTITRACK, "Video",
          error))
    return FALSE;
  info->packet_type = ex.packet_type;
  info->fourcc = ex.fourcc;
  info->multitrack = ex.multitrack;
  info->multitrack_type = ex.multitrack_type;
  info->track_id = ex.track_id;
  info->track_size = ex.track_size;

  if (ex.packet_type == RTMP_CORE_VIDEO_PACKET_CODED_FRAMES &&
      (ex.fourcc == FOURCC_AVC1 || ex.fourcc == FOURCC_HVC1))
    return read_composition_time (r, info, error);
  return TRUE;
}

/**
 * rtmp_core_video_info_parse:
 * @data: (array length=size): a video message payload (FLV video tag body)
 * @size: its length
 * @info: (out caller-allocates): what the header says
 * @error: return location for a #GError
 *
 * Parses the header of a video payload: the legacy FLV layout (frame type,
 * codec id, and for AVC and legacy HEVC id 12 the AVC packet type and a
 * signed composition time), or the Enhanced RTMP extended header (packet
 * type, ModEx blocks, multitrack layout, FourCC, and a signed composition
 * time for avc1/hvc1 coded frames). For multitrack payloads only the first
 * track is described. Unknown codecs, FourCCs and packet types are reported
 * as they are so that the payload can be passed through.
 *
 * Returns: %TRUE on success; %FALSE with %RTMP_CORE_ERROR_MALFORMED if the
 *   payload is truncated or nests multitrack signals
 *
 * Since: 0.1
 */
gboolean
rtmp_core_video_info_parse (const guint8 * data, gsize size,
    RtmpCoreVideoInfo * info, GError ** error)
{
  RtmpByteReader r;
  guint8 b0;
  gboolean ok;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (info, 0, sizeof (*info));
  rtmp_byte_reader_init (&r, data, size);
  if (!rtmp_byte_reader_get_u8 (&r, &b0))
    return truncated (error, "Video", "first byte", size);

  if (b0 & VIDEO_EX_HEADER_BIT)
    ok = parse_ex_video (&r, b0, info, error);
  else
    ok = parse_legacy_video (&r, b0, info, error);
  if (!ok) {
    memset (info, 0, sizeof (*info));
    return FALSE;
  }
  video_flags (info);
  info->header_size = r.pos;
  return TRUE;
}

/**
 * rtmp_core_video_info_is_keyframe:
 * @data: (array length=size): a video message payload
 * @size: its length
 *
 * Checks whether a video payload starts a point where decoding can begin,
 * e.g. to choose where a late joiner or a new recording segment starts.
 * A shortcut for rtmp_core_video_info_parse() that reads only the header
 * and never fails: a payload that does not parse is not a key frame. Key
 * frames and generated key frames both count; for a multitrack payload
 * only the first track is looked at.
 *
 * Returns: %TRUE if the payload parses and holds coded frames of a key
 *   frame (not a sequence header, not a command)
 *
 * Since: 0.1
 */
gboolean
rtmp_core_video_info_is_keyframe (const guint8 * data, gsize size)
{
  RtmpCoreVideoInfo info;

  return rtmp_core_video_info_parse (data, size, &info, NULL) &&
      info.is_keyframe;
}

/**
 * rtmp_core_video_info_is_sequence_header:
 * @data: (array length=size): a video message payload
 * @size: its length
 *
 * Checks whether a video payload carries the decoder configuration (e.g.
 * the AVCDecoderConfigurationRecord), which servers cache and resend to
 * every new player. A shortcut for rtmp_core_video_info_parse() that
 * never fails: a payload that does not parse is not a sequence header.
 *
 * Returns: %TRUE if the payload parses and is a decoder configuration,
 *   which a late joiner needs before any frame
 *
 * Since: 0.1
 */
gboolean
rtmp_core_video_info_is_sequence_header (const guint8 * data, gsize size)
{
  RtmpCoreVideoInfo info;

  return rtmp_core_video_info_parse (data, size, &info, NULL) &&
      info.is_sequence_header;
}

/**
 * rtmp_core_video_info_copy:
 * @info: a video info
 *
 * Copies @info onto the heap. C code usually keeps the struct on the stack;
 * this exists for the boxed type and bindings. The struct holds no
 * pointers, so the copy is independent of the payload it describes.
 *
 * Returns: (transfer full): a copy of @info
 *
 * Since: 0.1
 */
RtmpCoreVideoInfo *
rtmp_core_video_info_copy (const RtmpCoreVideoInfo * info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return g_memdup2 (info, sizeof (*info));
}

/**
 * rtmp_core_video_info_free:
 * @info: a video info from rtmp_core_video_info_copy()
 *
 * Frees a heap copy made by rtmp_core_video_info_copy(). Do not call it on
 * a struct filled in by rtmp_core_video_info_parse() on the stack.
 *
 * Since: 0.1
 */
void
rtmp_core_video_info_free (RtmpCoreVideoInfo * info)
{
  g_free (info);
}

static guint
legacy_audio_rate (guint format, guint rate_index)
{
  static const guint rates[] = { 5512, 11025, 22050, 44100 };

  /* These formats have a fixed rate whatever the rate bits say. */
  switch (format) {
    case AUDIO_FORMAT_NELLYMOSER_8K:
    case AUDIO_FORMAT_MP3_8K:
      return 8000;
    case AUDIO_FORMAT_NELLYMOSER_16K:
    case AUDIO_FORMAT_SPEEX:
      return 16000;
    default:
      return rates[rate_index & 3];
  }
}

static gboolean
parse_legacy_audio (RtmpByteReader * r, guint8 b0, RtmpCoreAudioInfo * info,
    GError ** error)
{
  guint8 aac_packet_type;

  info->rate = legacy_audio_rate (info->sound_format, (b0 >> 2) & 3);
  info->bits = (b0 & 0x02) ? 16 : 8;
  info->channels = (b0 & 0x01) ? 2 : 1;
  info->packet_type = RTMP_CORE_AUDIO_PACKET_CODED_FRAMES;

  switch (info->sound_format) {
    case AUDIO_FORMAT_MP3:
    case AUDIO_FORMAT_MP3_8K:
      info->fourcc = FOURCC_MP3;
      return TRUE;
    case AUDIO_FORMAT_AAC:
      info->fourcc = FOURCC_MP4A;
      if (!rtmp_byte_reader_get_u8 (r, &aac_packet_type))
        return truncated (error, "Audio", "AAC packet type", r->size);
      info->packet_type = aac_packet_type;
      return TRUE;
    default:
      return TRUE;
  }
}

static gboolean
parse_ex_audio (RtmpByteReader * r, guint8 b0, RtmpCoreAudioInfo * info,
    GError ** error)
{
  ExHeader ex = { 0, };

  info->ex_header = TRUE;
  ex.packet_type = b0 & 0x0f;
  if (!read_modex (r, &ex, "Audio", error) ||
      !read_tracks (r, &ex, RTMP_CORE_AUDIO_PACKET_MULTITRACK, "Audio",
          error))
    return FALSE;

  info->packet_type = ex.packet_type;
  info->fourcc = ex.fourcc;
  info->multitrack = ex.multitrack;
  info->multitrack_type = ex.multitrack_type;
  info->track_id = ex.track_id;
  info->track_size = ex.track_size;
  info->timestamp_offset_nano = ex.timestamp_offset_nano;
  return TRUE;
}

/**
 * rtmp_core_audio_info_parse:
 * @data: (array length=size): an audio message payload (FLV audio tag body)
 * @size: its length
 * @info: (out caller-allocates): what the header says
 * @error: return location for a #GError
 *
 * Parses the header of an audio payload: the legacy FLV layout (sound
 * format, rate, size, channels, and for AAC the AAC packet type), or the
 * Enhanced RTMP extended header (sound format 9: packet type, ModEx blocks,
 * multitrack layout, FourCC). An empty payload is a silence message. For
 * multitrack payloads only the first track is described. Unknown formats,
 * FourCCs and packet types are reported as they are.
 *
 * Returns: %TRUE on success; %FALSE with %RTMP_CORE_ERROR_MALFORMED if the
 *   payload is truncated or nests multitrack signals
 *
 * Since: 0.1
 */
gboolean
rtmp_core_audio_info_parse (const guint8 * data, gsize size,
    RtmpCoreAudioInfo * info, GError ** error)
{
  RtmpByteReader r;
  guint8 b0;
  gboolean ok;

  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (info != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  memset (info, 0, sizeof (*info));
  rtmp_byte_reader_init (&r, data, size);
  if (!rtmp_byte_reader_get_u8 (&r, &b0)) {
    info->is_silence = TRUE;
    return TRUE;
  }

  info->sound_format = b0 >> 4;
  if (info->sound_format == AUDIO_FORMAT_EX_HEADER)
    ok = parse_ex_audio (&r, b0, info, error);
  else
    ok = parse_legacy_audio (&r, b0, info, error);
  if (!ok) {
    memset (info, 0, sizeof (*info));
    return FALSE;
  }
  info->is_sequence_header =
      info->packet_type == RTMP_CORE_AUDIO_PACKET_SEQUENCE_START;
  info->header_size = r.pos;
  return TRUE;
}

/**
 * rtmp_core_audio_info_is_sequence_header:
 * @data: (array length=size): an audio message payload
 * @size: its length
 *
 * Checks whether an audio payload carries the decoder configuration, which
 * servers cache and resend to every new player. A shortcut for
 * rtmp_core_audio_info_parse() that never fails: a payload that does not
 * parse is not a sequence header.
 *
 * Returns: %TRUE if the payload parses and is a decoder configuration
 *   (e.g. the AAC AudioSpecificConfig), which a late joiner needs before
 *   any frame
 *
 * Since: 0.1
 */
gboolean
rtmp_core_audio_info_is_sequence_header (const guint8 * data, gsize size)
{
  RtmpCoreAudioInfo info;

  return rtmp_core_audio_info_parse (data, size, &info, NULL) &&
      info.is_sequence_header;
}

/**
 * rtmp_core_audio_info_copy:
 * @info: an audio info
 *
 * Copies @info onto the heap. C code usually keeps the struct on the stack;
 * this exists for the boxed type and bindings. The struct holds no
 * pointers, so the copy is independent of the payload it describes.
 *
 * Returns: (transfer full): a copy of @info
 *
 * Since: 0.1
 */
RtmpCoreAudioInfo *
rtmp_core_audio_info_copy (const RtmpCoreAudioInfo * info)
{
  g_return_val_if_fail (info != NULL, NULL);
  return g_memdup2 (info, sizeof (*info));
}

/**
 * rtmp_core_audio_info_free:
 * @info: an audio info from rtmp_core_audio_info_copy()
 *
 * Frees a heap copy made by rtmp_core_audio_info_copy(). Do not call it on
 * a struct filled in by rtmp_core_audio_info_parse() on the stack.
 *
 * Since: 0.1
 */
void
rtmp_core_audio_info_free (RtmpCoreAudioInfo * info)
{
  g_free (info);
}
