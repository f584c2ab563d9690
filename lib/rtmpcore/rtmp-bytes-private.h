/* Bounds-checked big-endian byte reader and a growable writer, shared by
 * every parser. Internal: never installed, never scanned for the GIR.
 *
 * All checks are written as `n > size - pos`, which cannot overflow. */
#pragma once

#include <glib.h>
#include <string.h>

typedef struct {
  const guint8 *data;
  gsize size;
  gsize pos;
} RtmpByteReader;

static inline void
rtmp_byte_reader_init (RtmpByteReader * r, const guint8 * data, gsize size)
{
  r->data = data;
  r->size = size;
  r->pos = 0;
}

static inline gsize
rtmp_byte_reader_remaining (const RtmpByteReader * r)
{
  return r->size - r->pos;
}

static inline gboolean
rtmp_byte_reader_skip (RtmpByteReader * r, gsize n)
{
  if (n > r->size - r->pos)
    return FALSE;
  r->pos += n;
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_data (RtmpByteReader * r, gsize n, const guint8 ** out)
{
  if (n > r->size - r->pos)
    return FALSE;
  *out = r->data + r->pos;
  r->pos += n;
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_peek_u8 (const RtmpByteReader * r, guint8 * v)
{
  if (r->pos >= r->size)
    return FALSE;
  *v = r->data[r->pos];
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_u8 (RtmpByteReader * r, guint8 * v)
{
  if (r->pos >= r->size)
    return FALSE;
  *v = r->data[r->pos++];
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_u16_be (RtmpByteReader * r, guint16 * v)
{
  if (2 > r->size - r->pos)
    return FALSE;
  *v = ((guint16) r->data[r->pos] << 8) | r->data[r->pos + 1];
  r->pos += 2;
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_u24_be (RtmpByteReader * r, guint32 * v)
{
  if (3 > r->size - r->pos)
    return FALSE;
  *v = ((guint32) r->data[r->pos] << 16) | ((guint32) r->data[r->pos + 1] << 8)
      | r->data[r->pos + 2];
  r->pos += 3;
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_u32_be (RtmpByteReader * r, guint32 * v)
{
  if (4 > r->size - r->pos)
    return FALSE;
  *v = ((guint32) r->data[r->pos] << 24) | ((guint32) r->data[r->pos + 1] << 16)
      | ((guint32) r->data[r->pos + 2] << 8) | r->data[r->pos + 3];
  r->pos += 4;
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_u32_le (RtmpByteReader * r, guint32 * v)
{
  if (4 > r->size - r->pos)
    return FALSE;
  *v = ((guint32) r->data[r->pos + 3] << 24) | ((guint32) r->data[r->pos + 2] << 16)
      | ((guint32) r->data[r->pos + 1] << 8) | r->data[r->pos];
  r->pos += 4;
  return TRUE;
}

static inline gboolean
rtmp_byte_reader_get_f64_be (RtmpByteReader * r, gdouble * v)
{
  guint64 bits = 0;
  gint i;
  union { guint64 u; gdouble d; } conv;

  if (8 > r->size - r->pos)
    return FALSE;
  for (i = 0; i < 8; i++)
    bits = (bits << 8) | r->data[r->pos + i];
  r->pos += 8;
  conv.u = bits;
  *v = conv.d;
  return TRUE;
}

/* Big-endian stores into a plain buffer. */
static inline void
rtmp_write_u16_be (guint8 * p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v;
}

static inline void
rtmp_write_u24_be (guint8 * p, guint32 v)
{
  p[0] = v >> 16;
  p[1] = v >> 8;
  p[2] = v;
}

static inline void
rtmp_write_u32_be (guint8 * p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

static inline void
rtmp_write_u32_le (guint8 * p, guint32 v)
{
  p[0] = v;
  p[1] = v >> 8;
  p[2] = v >> 16;
  p[3] = v >> 24;
}

static inline guint32
rtmp_read_u24_be (const guint8 * p)
{
  return ((guint32) p[0] << 16) | ((guint32) p[1] << 8) | p[2];
}

static inline guint32
rtmp_read_u32_be (const guint8 * p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8)
      | p[3];
}

/* The 11-byte header of an FLV tag, which the sub-tags of an aggregate
 * message share: the type byte (with its reserved and filter bits), a
 * 24-bit data size, a 24-bit timestamp and its high 8 bits, and a 24-bit
 * stream id, which is always 0 and not returned. */
static inline void
rtmp_read_flv_tag_header (const guint8 * p, guint8 * type, guint32 * size,
    guint32 * timestamp)
{
  *type = p[0];
  *size = rtmp_read_u24_be (p + 1);
  *timestamp = rtmp_read_u24_be (p + 4) | ((guint32) p[7] << 24);
}

/* Appending writers on a GByteArray. */
static inline void
rtmp_append_u8 (GByteArray * a, guint8 v)
{
  g_byte_array_append (a, &v, 1);
}

static inline void
rtmp_append_u16_be (GByteArray * a, guint16 v)
{
  guint8 b[2];
  rtmp_write_u16_be (b, v);
  g_byte_array_append (a, b, 2);
}

static inline void
rtmp_append_u24_be (GByteArray * a, guint32 v)
{
  guint8 b[3];
  rtmp_write_u24_be (b, v);
  g_byte_array_append (a, b, 3);
}

static inline void
rtmp_append_u32_be (GByteArray * a, guint32 v)
{
  guint8 b[4];
  rtmp_write_u32_be (b, v);
  g_byte_array_append (a, b, 4);
}

static inline void
rtmp_append_f64_be (GByteArray * a, gdouble d)
{
  union { guint64 u; gdouble d; } conv;
  guint8 b[8];
  gint i;

  conv.d = d;
  for (i = 7; i >= 0; i--) {
    b[i] = conv.u & 0xff;
    conv.u >>= 8;
  }
  g_byte_array_append (a, b, 8);
}
