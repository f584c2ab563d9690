/* Legacy FLV and Enhanced RTMP audio/video header parsing. */
#include <rtmpcore.h>

#define FOURCC_AVC1 RTMP_CORE_FOURCC ('a', 'v', 'c', '1')
#define FOURCC_HVC1 RTMP_CORE_FOURCC ('h', 'v', 'c', '1')
#define FOURCC_AV01 RTMP_CORE_FOURCC ('a', 'v', '0', '1')
#define FOURCC_VP09 RTMP_CORE_FOURCC ('v', 'p', '0', '9')
#define FOURCC_OPUS RTMP_CORE_FOURCC ('O', 'p', 'u', 's')
#define FOURCC_MP4A RTMP_CORE_FOURCC ('m', 'p', '4', 'a')
#define FOURCC_FLAC RTMP_CORE_FOURCC ('f', 'L', 'a', 'C')
#define FOURCC_MP3 RTMP_CORE_FOURCC ('.', 'm', 'p', '3')

static void
parse_video (const guint8 * data, gsize size, RtmpCoreVideoInfo * info)
{
  GError *error = NULL;

  g_assert_true (rtmp_core_video_info_parse (data, size, info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info->header_size, <=, size);
}

static void
parse_audio (const guint8 * data, gsize size, RtmpCoreAudioInfo * info)
{
  GError *error = NULL;

  g_assert_true (rtmp_core_audio_info_parse (data, size, info, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (info->header_size, <=, size);
}

static void
test_fourcc (void)
{
  g_assert_cmphex (RTMP_CORE_FOURCC ('h', 'v', 'c', '1'), ==, 0x68766331);
  g_assert_cmphex (RTMP_CORE_FOURCC ('.', 'm', 'p', '3'), ==, 0x2E6D7033);
}

static void
test_legacy_avc_sequence_header (void)
{
  static const guint8 tag[] = {
    0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1F,
  };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_false (info.ex_header);
  g_assert_cmpuint (info.codec_id, ==, 7);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AVC1);
  g_assert_cmpint (info.frame_type, ==, RTMP_CORE_VIDEO_FRAME_KEY);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_VIDEO_PACKET_SEQUENCE_START);
  g_assert_true (info.is_sequence_header);
  g_assert_false (info.is_keyframe);
  g_assert_false (info.is_sequence_end);
  g_assert_false (info.is_command);
  g_assert_false (info.multitrack);
  g_assert_cmpint (info.composition_time, ==, 0);
  g_assert_cmpuint (info.header_size, ==, 5);
}

static void
test_legacy_avc_frames (void)
{
  /* Inter frame with composition time -100 (0xFFFF9C as SI24). */
  static const guint8 inter[] = { 0x27, 0x01, 0xFF, 0xFF, 0x9C, 0x00, 0x00 };
  static const guint8 key[] = { 0x17, 0x01, 0x00, 0x00, 0x50, 0x65 };
  static const guint8 end[] = { 0x17, 0x02, 0x00, 0x00, 0x00 };
  RtmpCoreVideoInfo info;

  parse_video (inter, sizeof (inter), &info);
  g_assert_cmpint (info.frame_type, ==, RTMP_CORE_VIDEO_FRAME_INTER);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_CODED_FRAMES);
  g_assert_cmpint (info.composition_time, ==, -100);
  g_assert_false (info.is_keyframe);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 5);

  parse_video (key, sizeof (key), &info);
  g_assert_true (info.is_keyframe);
  g_assert_cmpint (info.composition_time, ==, 80);

  parse_video (end, sizeof (end), &info);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_SEQUENCE_END);
  g_assert_true (info.is_sequence_end);
  g_assert_false (info.is_keyframe);
}

static void
test_legacy_hevc (void)
{
  static const guint8 seq[] = { 0x1C, 0x00, 0x00, 0x00, 0x00, 0x01 };
  static const guint8 frame[] = { 0x2C, 0x01, 0x80, 0x00, 0x00 };
  RtmpCoreVideoInfo info;

  parse_video (seq, sizeof (seq), &info);
  g_assert_false (info.ex_header);
  g_assert_cmpuint (info.codec_id, ==, 12);
  g_assert_cmphex (info.fourcc, ==, FOURCC_HVC1);
  g_assert_true (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 5);

  /* The most negative SI24. */
  parse_video (frame, sizeof (frame), &info);
  g_assert_cmpint (info.composition_time, ==, -8388608);
  g_assert_false (info.is_keyframe);
}

static void
test_legacy_other_codecs (void)
{
  /* Sorenson H.263 key frame and VP6 inter frame: one header byte. */
  static const guint8 h263[] = { 0x12, 0x00, 0x00, 0x84 };
  static const guint8 vp6[] = { 0x24, 0x00, 0x11 };
  RtmpCoreVideoInfo info;

  parse_video (h263, sizeof (h263), &info);
  g_assert_cmpuint (info.codec_id, ==, 2);
  g_assert_cmphex (info.fourcc, ==, 0);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_CODED_FRAMES);
  g_assert_true (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 1);

  parse_video (vp6, sizeof (vp6), &info);
  g_assert_cmpuint (info.codec_id, ==, 4);
  g_assert_false (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 1);
}

static void
test_legacy_command (void)
{
  static const guint8 cmd[] = { 0x57, 0x01 };
  RtmpCoreVideoInfo info;

  parse_video (cmd, sizeof (cmd), &info);
  g_assert_cmpint (info.frame_type, ==, RTMP_CORE_VIDEO_FRAME_COMMAND);
  g_assert_true (info.is_command);
  g_assert_cmpuint (info.command, ==, 1);
  g_assert_false (info.is_keyframe);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 2);
}

static void
test_aac (void)
{
  static const guint8 config[] = { 0xAF, 0x00, 0x12, 0x10 };
  static const guint8 raw[] = { 0xAF, 0x01, 0x21, 0x10, 0x04 };
  RtmpCoreAudioInfo info;

  parse_audio (config, sizeof (config), &info);
  g_assert_false (info.ex_header);
  g_assert_cmpuint (info.sound_format, ==, 10);
  g_assert_cmphex (info.fourcc, ==, FOURCC_MP4A);
  g_assert_cmpuint (info.rate, ==, 44100);
  g_assert_cmpuint (info.bits, ==, 16);
  g_assert_cmpuint (info.channels, ==, 2);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_AUDIO_PACKET_SEQUENCE_START);
  g_assert_true (info.is_sequence_header);
  g_assert_false (info.is_silence);
  g_assert_cmpuint (info.header_size, ==, 2);

  parse_audio (raw, sizeof (raw), &info);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_AUDIO_PACKET_CODED_FRAMES);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 2);

  g_assert_true (rtmp_core_audio_info_is_sequence_header (config,
          sizeof (config)));
  g_assert_false (rtmp_core_audio_info_is_sequence_header (raw, sizeof (raw)));
}

static void
test_legacy_audio_formats (void)
{
  /* MP3 44.1 kHz 16-bit stereo, MP3 22 kHz 16-bit mono, Nellymoser 8 kHz,
   * PCM 5.5 kHz 8-bit mono, MP3 8 kHz. */
  static const guint8 mp3[] = { 0x2F, 0xFF, 0xFB };
  static const guint8 mp3_mono[] = { 0x2A, 0xFF, 0xF3 };
  static const guint8 nelly8[] = { 0x52, 0x00 };
  static const guint8 pcm[] = { 0x00, 0x80 };
  static const guint8 mp3_8k[] = { 0xE2, 0xFF };
  RtmpCoreAudioInfo info;

  parse_audio (mp3, sizeof (mp3), &info);
  g_assert_cmpuint (info.sound_format, ==, 2);
  g_assert_cmphex (info.fourcc, ==, FOURCC_MP3);
  g_assert_cmpuint (info.rate, ==, 44100);
  g_assert_cmpuint (info.bits, ==, 16);
  g_assert_cmpuint (info.channels, ==, 2);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_AUDIO_PACKET_CODED_FRAMES);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 1);

  parse_audio (mp3_mono, sizeof (mp3_mono), &info);
  g_assert_cmpuint (info.rate, ==, 22050);
  g_assert_cmpuint (info.channels, ==, 1);

  parse_audio (nelly8, sizeof (nelly8), &info);
  g_assert_cmpuint (info.sound_format, ==, 5);
  g_assert_cmpuint (info.rate, ==, 8000);
  g_assert_cmphex (info.fourcc, ==, 0);

  parse_audio (pcm, sizeof (pcm), &info);
  g_assert_cmpuint (info.rate, ==, 5512);
  g_assert_cmpuint (info.bits, ==, 8);
  g_assert_cmpuint (info.channels, ==, 1);

  parse_audio (mp3_8k, sizeof (mp3_8k), &info);
  g_assert_cmpuint (info.sound_format, ==, 14);
  g_assert_cmphex (info.fourcc, ==, FOURCC_MP3);
  g_assert_cmpuint (info.rate, ==, 8000);
}

static void
test_audio_silence (void)
{
  static const guint8 dummy[] = { 0xAF };
  RtmpCoreAudioInfo info;

  parse_audio (dummy, 0, &info);
  g_assert_true (info.is_silence);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 0);
  parse_audio (NULL, 0, &info);
  g_assert_true (info.is_silence);
}

static void
test_ex_hevc_sequence_start (void)
{
  static const guint8 tag[] = { 0x90, 'h', 'v', 'c', '1', 0x01, 0x22 };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_true (info.ex_header);
  g_assert_cmpuint (info.codec_id, ==, 0);
  g_assert_cmphex (info.fourcc, ==, FOURCC_HVC1);
  g_assert_cmpint (info.frame_type, ==, RTMP_CORE_VIDEO_FRAME_KEY);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_VIDEO_PACKET_SEQUENCE_START);
  g_assert_true (info.is_sequence_header);
  g_assert_false (info.is_keyframe);
  g_assert_cmpint (info.composition_time, ==, 0);
  g_assert_cmpuint (info.header_size, ==, 5);
  g_assert_true (rtmp_core_video_info_is_sequence_header (tag, sizeof (tag)));
  g_assert_false (rtmp_core_video_info_is_keyframe (tag, sizeof (tag)));
}

static void
test_ex_coded_frames (void)
{
  static const guint8 key[] = { 0x91, 'h', 'v', 'c', '1', 0x00, 0x00, 0x21,
    0x26
  };
  static const guint8 inter[] = { 0xA1, 'a', 'v', 'c', '1', 0xFF, 0xFF, 0xFE,
    0x41
  };
  RtmpCoreVideoInfo info;

  parse_video (key, sizeof (key), &info);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_CODED_FRAMES);
  g_assert_cmpint (info.composition_time, ==, 33);
  g_assert_true (info.is_keyframe);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 8);
  g_assert_true (rtmp_core_video_info_is_keyframe (key, sizeof (key)));

  parse_video (inter, sizeof (inter), &info);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AVC1);
  g_assert_cmpint (info.frame_type, ==, RTMP_CORE_VIDEO_FRAME_INTER);
  g_assert_cmpint (info.composition_time, ==, -2);
  g_assert_false (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 8);
}

static void
test_ex_coded_frames_x (void)
{
  static const guint8 tag[] = { 0x93, 'h', 'v', 'c', '1', 0x26, 0x01 };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_VIDEO_PACKET_CODED_FRAMES_X);
  g_assert_cmpint (info.composition_time, ==, 0);
  g_assert_true (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 5);
}

static void
test_ex_av1_vp9 (void)
{
  /* No composition time for codecs other than avc1/hvc1. */
  static const guint8 av1_key[] = { 0x91, 'a', 'v', '0', '1', 0x12, 0x00 };
  static const guint8 vp9_seq[] = { 0x90, 'v', 'p', '0', '9', 0x01 };
  static const guint8 vp9_inter[] = { 0xA3, 'v', 'p', '0', '9', 0x86 };
  static const guint8 av1_end[] = { 0x92, 'a', 'v', '0', '1' };
  RtmpCoreVideoInfo info;

  parse_video (av1_key, sizeof (av1_key), &info);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AV01);
  g_assert_true (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 5);

  parse_video (vp9_seq, sizeof (vp9_seq), &info);
  g_assert_cmphex (info.fourcc, ==, FOURCC_VP09);
  g_assert_true (info.is_sequence_header);

  parse_video (vp9_inter, sizeof (vp9_inter), &info);
  g_assert_cmpint (info.frame_type, ==, RTMP_CORE_VIDEO_FRAME_INTER);
  g_assert_false (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 5);

  parse_video (av1_end, sizeof (av1_end), &info);
  g_assert_true (info.is_sequence_end);
  g_assert_cmpuint (info.header_size, ==, 5);
}

static void
test_ex_modex_short_size (void)
{
  /* ModEx of 3 bytes (size byte 2): TimestampOffsetNano 99999, then the
   * real packet type CodedFrames. */
  static const guint8 tag[] = {
    0x97, 0x02, 0x01, 0x86, 0x9F, 0x01, 'h', 'v', 'c', '1', 0x00, 0x00, 0x0A,
    0x26,
  };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_CODED_FRAMES);
  g_assert_cmpuint (info.timestamp_offset_nano, ==, 99999);
  g_assert_cmphex (info.fourcc, ==, FOURCC_HVC1);
  g_assert_cmpint (info.composition_time, ==, 10);
  g_assert_true (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 13);
}

static void
test_ex_modex_escaped_size (void)
{
  /* Size byte 0xFF escapes to UI16 + 1: 0x0100 + 1 = 257 data bytes. */
  guint8 tag[1 + 1 + 2 + 257 + 1 + 4 + 1];
  RtmpCoreVideoInfo info;
  gsize i = 0;

  tag[i++] = 0x97;
  tag[i++] = 0xFF;
  tag[i++] = 0x01;
  tag[i++] = 0x00;
  memset (tag + i, 0x00, 257);
  tag[i + 2] = 0x2A;            /* nano offset 42 in the first 3 bytes */
  i += 257;
  tag[i++] = 0x03;              /* ModEx type 0, CodedFramesX */
  memcpy (tag + i, "av01", 4);
  i += 4;
  tag[i++] = 0x12;

  parse_video (tag, sizeof (tag), &info);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_VIDEO_PACKET_CODED_FRAMES_X);
  g_assert_cmpuint (info.timestamp_offset_nano, ==, 42);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AV01);
  g_assert_cmpuint (info.header_size, ==, 266);

  /* One byte short of the escaped ModEx data. */
  g_assert_false (rtmp_core_video_info_parse (tag, 1 + 1 + 2 + 256, &info,
          NULL));
}

static void
test_ex_modex_chain (void)
{
  /* An unknown ModEx type (1) whose packet type is ModEx again, then a
   * 1-byte TimestampOffsetNano (too short to hold the offset). */
  static const guint8 tag[] = {
    0x97, 0x00, 0xAB, 0x17, 0x00, 0x05, 0x00, 'v', 'p', '0', '9', 0x01,
  };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_VIDEO_PACKET_SEQUENCE_START);
  g_assert_cmpuint (info.timestamp_offset_nano, ==, 0);
  g_assert_cmphex (info.fourcc, ==, FOURCC_VP09);
  g_assert_true (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 11);
}

static void
test_ex_multitrack_one_track (void)
{
  static const guint8 tag[] = {
    0x96, 0x01, 'a', 'v', 'c', '1', 0x00, 0x00, 0x00, 0x05, 0x65,
  };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_true (info.multitrack);
  g_assert_cmpint (info.multitrack_type, ==, RTMP_CORE_MULTITRACK_ONE_TRACK);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_CODED_FRAMES);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AVC1);
  g_assert_cmpuint (info.track_id, ==, 0);
  g_assert_cmpuint (info.track_size, ==, 0);
  g_assert_cmpint (info.composition_time, ==, 5);
  g_assert_true (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 10);
}

static void
test_ex_multitrack_many_tracks (void)
{
  static const guint8 tag[] = {
    0x96, 0x13, 'h', 'v', 'c', '1',
    0x01, 0x00, 0x00, 0x02, 0xAA, 0xBB,
    0x02, 0x00, 0x00, 0x01, 0xCC,
  };
  static const guint8 many_codecs[] = {
    0x96, 0x20,
    'a', 'v', '0', '1', 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB,
    'v', 'p', '0', '9', 0x01, 0x00, 0x00, 0x01, 0xCC,
  };
  static const guint8 too_long[] = {
    0x96, 0x13, 'h', 'v', 'c', '1', 0x01, 0x00, 0x00, 0x03, 0xAA, 0xBB,
  };
  RtmpCoreVideoInfo info;
  GError *error = NULL;

  parse_video (tag, sizeof (tag), &info);
  g_assert_true (info.multitrack);
  g_assert_cmpint (info.multitrack_type, ==, RTMP_CORE_MULTITRACK_MANY_TRACKS);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_VIDEO_PACKET_CODED_FRAMES_X);
  g_assert_cmphex (info.fourcc, ==, FOURCC_HVC1);
  g_assert_cmpuint (info.track_id, ==, 1);
  g_assert_cmpuint (info.track_size, ==, 2);
  g_assert_true (info.is_keyframe);
  g_assert_cmpuint (info.header_size, ==, 10);

  parse_video (many_codecs, sizeof (many_codecs), &info);
  g_assert_cmpint (info.multitrack_type, ==,
      RTMP_CORE_MULTITRACK_MANY_TRACKS_MANY_CODECS);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AV01);
  g_assert_cmpuint (info.track_id, ==, 0);
  g_assert_cmpuint (info.track_size, ==, 2);
  g_assert_true (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 10);

  /* A track announcing more bytes than remain. */
  g_assert_false (rtmp_core_video_info_parse (too_long, sizeof (too_long),
          &info, &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
}

static void
test_ex_multitrack_odd (void)
{
  static const guint8 nested[] = { 0x96, 0x16, 'h', 'v', 'c', '1' };
  static const guint8 unknown_layout[] = { 0x96, 0x31, 0xAA, 0xBB };
  RtmpCoreVideoInfo info;
  GError *error = NULL;

  g_assert_false (rtmp_core_video_info_parse (nested, sizeof (nested), &info,
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);

  /* A future layout: reported, but its FourCC and tracks are unknown. */
  parse_video (unknown_layout, sizeof (unknown_layout), &info);
  g_assert_true (info.multitrack);
  g_assert_cmpint (info.multitrack_type, ==, 3);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_CODED_FRAMES);
  g_assert_cmphex (info.fourcc, ==, 0);
  g_assert_cmpuint (info.header_size, ==, 2);
}

static void
test_ex_command_and_metadata (void)
{
  static const guint8 command[] = { 0xD0, 0x00 };
  /* Frame type 5 with Metadata is not a command: the frame type is ignored. */
  static const guint8 metadata[] = { 0xD4, 'a', 'v', 'c', '1', 0x02, 0x00 };
  RtmpCoreVideoInfo info;

  parse_video (command, sizeof (command), &info);
  g_assert_true (info.ex_header);
  g_assert_true (info.is_command);
  g_assert_cmpuint (info.command, ==, 0);
  g_assert_cmphex (info.fourcc, ==, 0);
  g_assert_false (info.is_keyframe);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 2);

  parse_video (metadata, sizeof (metadata), &info);
  g_assert_false (info.is_command);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_VIDEO_PACKET_METADATA);
  g_assert_cmphex (info.fourcc, ==, FOURCC_AVC1);
  g_assert_false (info.is_keyframe);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 5);
}

static void
test_ex_unknown_packet_type (void)
{
  static const guint8 tag[] = { 0x9A, 'h', 'v', 'c', '1', 0x00 };
  RtmpCoreVideoInfo info;

  parse_video (tag, sizeof (tag), &info);
  g_assert_cmpint (info.packet_type, ==, 10);
  g_assert_false (info.is_keyframe);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 5);
}

static void
test_ex_audio (void)
{
  static const guint8 opus_seq[] = {
    0x90, 'O', 'p', 'u', 's', 'O', 'p', 'u', 's', 'H', 'e', 'a', 'd',
  };
  static const guint8 aac_seq[] = { 0x90, 'm', 'p', '4', 'a', 0x12, 0x10 };
  static const guint8 aac_frame[] = { 0x91, 'm', 'p', '4', 'a', 0x21 };
  static const guint8 multichannel[] = { 0x94, 'O', 'p', 'u', 's', 0x01, 0x02 };
  RtmpCoreAudioInfo info;

  parse_audio (opus_seq, sizeof (opus_seq), &info);
  g_assert_true (info.ex_header);
  g_assert_cmpuint (info.sound_format, ==, 9);
  g_assert_cmphex (info.fourcc, ==, FOURCC_OPUS);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_AUDIO_PACKET_SEQUENCE_START);
  g_assert_true (info.is_sequence_header);
  g_assert_cmpuint (info.rate, ==, 0);
  g_assert_cmpuint (info.channels, ==, 0);
  g_assert_cmpuint (info.header_size, ==, 5);

  parse_audio (aac_seq, sizeof (aac_seq), &info);
  g_assert_cmphex (info.fourcc, ==, FOURCC_MP4A);
  g_assert_true (info.is_sequence_header);
  g_assert_true (rtmp_core_audio_info_is_sequence_header (aac_seq,
          sizeof (aac_seq)));

  parse_audio (aac_frame, sizeof (aac_frame), &info);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_AUDIO_PACKET_CODED_FRAMES);
  g_assert_false (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 5);

  parse_audio (multichannel, sizeof (multichannel), &info);
  g_assert_cmpint (info.packet_type, ==,
      RTMP_CORE_AUDIO_PACKET_MULTICHANNEL_CONFIG);
  g_assert_false (info.is_sequence_header);
}

static void
test_ex_audio_modex_multitrack (void)
{
  /* ModEx (1 byte of data, too short for the nano offset) then fLaC. */
  static const guint8 modex[] = {
    0x97, 0x00, 0x05, 0x01, 'f', 'L', 'a', 'C', 0xFF, 0xF8,
  };
  static const guint8 one_track[] = {
    0x95, 0x01, 'O', 'p', 'u', 's', 0x03, 0xFC,
  };
  static const guint8 many_codecs[] = {
    0x95, 0x20, 'm', 'p', '4', 'a', 0x00, 0x00, 0x00, 0x02, 0x12, 0x10,
    '.', 'm', 'p', '3', 0x01, 0x00, 0x00, 0x00,
  };
  static const guint8 nested[] = { 0x95, 0x05, 'O', 'p', 'u', 's' };
  RtmpCoreAudioInfo info;
  GError *error = NULL;

  parse_audio (modex, sizeof (modex), &info);
  g_assert_cmphex (info.fourcc, ==, FOURCC_FLAC);
  g_assert_cmpint (info.packet_type, ==, RTMP_CORE_AUDIO_PACKET_CODED_FRAMES);
  g_assert_cmpuint (info.timestamp_offset_nano, ==, 0);
  g_assert_false (info.multitrack);
  g_assert_cmpuint (info.header_size, ==, 8);

  parse_audio (one_track, sizeof (one_track), &info);
  g_assert_true (info.multitrack);
  g_assert_cmpint (info.multitrack_type, ==, RTMP_CORE_MULTITRACK_ONE_TRACK);
  g_assert_cmphex (info.fourcc, ==, FOURCC_OPUS);
  g_assert_cmpuint (info.track_id, ==, 3);
  g_assert_cmpuint (info.header_size, ==, 7);

  parse_audio (many_codecs, sizeof (many_codecs), &info);
  g_assert_cmpint (info.multitrack_type, ==,
      RTMP_CORE_MULTITRACK_MANY_TRACKS_MANY_CODECS);
  g_assert_cmphex (info.fourcc, ==, FOURCC_MP4A);
  g_assert_cmpuint (info.track_size, ==, 2);
  g_assert_true (info.is_sequence_header);
  g_assert_cmpuint (info.header_size, ==, 10);

  g_assert_false (rtmp_core_audio_info_parse (nested, sizeof (nested), &info,
          &error));
  g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
  g_clear_error (&error);
}

typedef struct {
  const guint8 *data;
  gsize size;
} Vector;

#define V(...) { (const guint8[]) { __VA_ARGS__ }, \
    sizeof ((const guint8[]) { __VA_ARGS__ }) }

static void
test_truncated (void)
{
  const Vector video[] = {
    { NULL, 0 },
    V (0x17),                           /* AVC packet type */
    V (0x17, 0x01, 0x00, 0x00),         /* composition time */
    V (0x1C, 0x00),                     /* legacy HEVC */
    V (0x57),                           /* command byte */
    V (0xD0),                           /* enhanced command byte */
    V (0x90, 'h', 'v'),                 /* FourCC */
    V (0x91, 'h', 'v', 'c', '1', 0x00), /* enhanced composition time */
    V (0x97),                           /* ModEx size */
    V (0x97, 0x05, 0x00),               /* ModEx data */
    V (0x97, 0xFF, 0x00),               /* ModEx 16-bit size */
    V (0x97, 0x00, 0x00),               /* ModEx types */
    V (0x96),                           /* multitrack type */
    V (0x96, 0x01, 'a', 'v', 'c', '1'), /* track id */
    V (0x96, 0x11, 'a', 'v', 'c', '1', 0x01, 0x00, 0x00), /* track size */
  };
  const Vector audio[] = {
    V (0xAF),                           /* AAC packet type */
    V (0x90, 'O', 'p'),                 /* FourCC */
    V (0x97, 0x01, 0x00),               /* ModEx data */
    V (0x95, 0x00, 'O', 'p', 'u', 's'), /* track id */
    V (0x95, 0x10, 'O', 'p', 'u', 's', 0x00, 0x00), /* track size */
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (video); i++) {
    RtmpCoreVideoInfo info;
    GError *error = NULL;

    memset (&info, 0xAB, sizeof (info));
    g_assert_false (rtmp_core_video_info_parse (video[i].data, video[i].size,
            &info, &error));
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
    g_clear_error (&error);
    /* The info is left cleared, not half-filled. */
    g_assert_false (info.is_keyframe);
    g_assert_cmpuint (info.header_size, ==, 0);
    g_assert_false (rtmp_core_video_info_is_keyframe (video[i].data,
            video[i].size));
  }
  for (i = 0; i < G_N_ELEMENTS (audio); i++) {
    RtmpCoreAudioInfo info;
    GError *error = NULL;

    g_assert_false (rtmp_core_audio_info_parse (audio[i].data, audio[i].size,
            &info, &error));
    g_assert_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED);
    g_clear_error (&error);
    g_assert_cmpuint (info.header_size, ==, 0);
  }
}

static void
test_boxed (void)
{
  static const guint8 video[] = { 0x91, 'h', 'v', 'c', '1', 0xFF, 0xFF, 0xF6 };
  static const guint8 audio[] = { 0xAF, 0x00, 0x12, 0x10 };
  RtmpCoreVideoInfo vinfo, *vcopy;
  RtmpCoreAudioInfo ainfo, *acopy;

  g_assert_true (G_TYPE_IS_BOXED (RTMP_CORE_TYPE_VIDEO_INFO));
  g_assert_true (G_TYPE_IS_BOXED (RTMP_CORE_TYPE_AUDIO_INFO));
  parse_video (video, sizeof (video), &vinfo);
  vcopy = g_boxed_copy (RTMP_CORE_TYPE_VIDEO_INFO, &vinfo);
  g_assert_cmpint (vcopy->composition_time, ==, -10);
  g_assert_cmphex (vcopy->fourcc, ==, FOURCC_HVC1);
  g_boxed_free (RTMP_CORE_TYPE_VIDEO_INFO, vcopy);

  parse_audio (audio, sizeof (audio), &ainfo);
  acopy = rtmp_core_audio_info_copy (&ainfo);
  g_assert_true (acopy->is_sequence_header);
  rtmp_core_audio_info_free (acopy);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/ertmp/fourcc", test_fourcc);
  g_test_add_func ("/ertmp/legacy/avc-sequence-header",
      test_legacy_avc_sequence_header);
  g_test_add_func ("/ertmp/legacy/avc-frames", test_legacy_avc_frames);
  g_test_add_func ("/ertmp/legacy/hevc-id-12", test_legacy_hevc);
  g_test_add_func ("/ertmp/legacy/other-codecs", test_legacy_other_codecs);
  g_test_add_func ("/ertmp/legacy/command", test_legacy_command);
  g_test_add_func ("/ertmp/legacy/aac", test_aac);
  g_test_add_func ("/ertmp/legacy/audio-formats", test_legacy_audio_formats);
  g_test_add_func ("/ertmp/legacy/audio-silence", test_audio_silence);
  g_test_add_func ("/ertmp/ex/hevc-sequence-start",
      test_ex_hevc_sequence_start);
  g_test_add_func ("/ertmp/ex/coded-frames", test_ex_coded_frames);
  g_test_add_func ("/ertmp/ex/coded-frames-x", test_ex_coded_frames_x);
  g_test_add_func ("/ertmp/ex/av1-vp9", test_ex_av1_vp9);
  g_test_add_func ("/ertmp/ex/modex-short-size", test_ex_modex_short_size);
  g_test_add_func ("/ertmp/ex/modex-escaped-size",
      test_ex_modex_escaped_size);
  g_test_add_func ("/ertmp/ex/modex-chain", test_ex_modex_chain);
  g_test_add_func ("/ertmp/ex/multitrack-one-track",
      test_ex_multitrack_one_track);
  g_test_add_func ("/ertmp/ex/multitrack-many-tracks",
      test_ex_multitrack_many_tracks);
  g_test_add_func ("/ertmp/ex/multitrack-odd", test_ex_multitrack_odd);
  g_test_add_func ("/ertmp/ex/command-metadata", test_ex_command_and_metadata);
  g_test_add_func ("/ertmp/ex/unknown-packet-type",
      test_ex_unknown_packet_type);
  g_test_add_func ("/ertmp/ex/audio", test_ex_audio);
  g_test_add_func ("/ertmp/ex/audio-modex-multitrack",
      test_ex_audio_modex_multitrack);
  g_test_add_func ("/ertmp/truncated", test_truncated);
  g_test_add_func ("/ertmp/boxed", test_boxed);

  return g_test_run ();
}
