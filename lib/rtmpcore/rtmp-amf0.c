/* AMF0 decoding and encoding, plus the decoder state that the AMF3 decoder
 * shares through the AMF0 "switch to AMF3" marker.
 *
 * Decoding never trusts the wire: every read is bounds-checked, declared
 * counts are only hints, nesting and the number of values are capped, and a
 * reference repeats the logical size of what it points to so that a chain
 * of references cannot expand a small message into a huge tree. */
#include <string.h>

#include "rtmp-amf-private.h"
#include "rtmp-error.h"

enum {
  AMF0_NUMBER = 0x00,
  AMF0_BOOLEAN = 0x01,
  AMF0_STRING = 0x02,
  AMF0_OBJECT = 0x03,
  AMF0_MOVIECLIP = 0x04,
  AMF0_NULL = 0x05,
  AMF0_UNDEFINED = 0x06,
  AMF0_REFERENCE = 0x07,
  AMF0_ECMA_ARRAY = 0x08,
  AMF0_OBJECT_END = 0x09,
  AMF0_STRICT_ARRAY = 0x0a,
  AMF0_DATE = 0x0b,
  AMF0_LONG_STRING = 0x0c,
  AMF0_UNSUPPORTED = 0x0d,
  AMF0_RECORDSET = 0x0e,
  AMF0_XML = 0x0f,
  AMF0_TYPED_OBJECT = 0x10,
  AMF0_AMF3 = 0x11,
};

#define AMF3_BYTE_ARRAY 0x0c
#define AMF3_MAX_U29 0x1fffffff

/* ---- decoder state ---- */

static void
ref_clear (gpointer data)
{
  RtmpAmfRef *ref = data;

  rtmp_core_amf_value_unref (ref->value);
}

void
rtmp_amf_decoder_init (RtmpAmfDecoder * dec, const guint8 * data, gsize size)
{
  memset (dec, 0, sizeof (*dec));
  rtmp_byte_reader_init (&dec->r, data, size);
  dec->amf0_refs = g_array_new (FALSE, FALSE, sizeof (RtmpAmfRef));
  g_array_set_clear_func (dec->amf0_refs, ref_clear);
  dec->amf3_strings = g_array_new (FALSE, FALSE, sizeof (RtmpAmfSpan));
  dec->amf3_objects = g_array_new (FALSE, FALSE, sizeof (RtmpAmfRef));
  g_array_set_clear_func (dec->amf3_objects, ref_clear);
  dec->amf3_traits = g_ptr_array_new_with_free_func (rtmp_amf3_traits_free);
}

void
rtmp_amf_decoder_clear (RtmpAmfDecoder * dec)
{
  g_clear_pointer (&dec->amf0_refs, g_array_unref);
  g_clear_pointer (&dec->amf3_strings, g_array_unref);
  g_clear_pointer (&dec->amf3_objects, g_array_unref);
  g_clear_pointer (&dec->amf3_traits, g_ptr_array_unref);
}

/* Decodes one top-level value with fresh state, as one message. */
RtmpCoreAmfValue *
rtmp_amf_decode_one (const guint8 * data, gsize size,
    RtmpAmfDecodeFunc decode_value, gsize * consumed, GError ** error)
{
  RtmpAmfDecoder dec;
  RtmpCoreAmfValue *value;

  rtmp_amf_decoder_init (&dec, data, size);
  value = decode_value (&dec, error);
  if (value && consumed)
    *consumed = dec.r.pos;
  rtmp_amf_decoder_clear (&dec);
  return value;
}

/* Reads the type marker that starts a value. */
gboolean
rtmp_amf_decoder_get_marker (RtmpAmfDecoder * dec, const gchar * format_name,
    guint8 * marker, GError ** error)
{
  if (rtmp_byte_reader_get_u8 (&dec->r, marker))
    return TRUE;
  g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
      "%s value at offset %" G_GSIZE_FORMAT ": no data left for its type "
      "marker", format_name, dec->r.pos);
  return FALSE;
}

/* The error of a value of the type @type_name that starts at @offset:
 * "AMF0 string (marker 0x02) at offset 5: truncated ...". */
void
rtmp_amf_set_value_error (GError ** error, gint code,
    const gchar * format_name, const gchar * type_name, guint8 marker,
    gsize offset, const gchar * format, va_list args)
{
  gchar *detail = g_strdup_vprintf (format, args);

  g_set_error (error, RTMP_CORE_ERROR, code,
      "%s %s (marker 0x%02x) at offset %" G_GSIZE_FORMAT ": %s",
      format_name, type_name, marker, offset, detail);
  g_free (detail);
}

gboolean
rtmp_amf_decoder_count_value (RtmpAmfDecoder * dec, gsize offset, GError ** error)
{
  if (dec->n_values >= RTMP_CORE_AMF_MAX_VALUES) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_LIMIT,
        "AMF value at offset %" G_GSIZE_FORMAT ": more than %d values in one "
        "message", offset, RTMP_CORE_AMF_MAX_VALUES);
    return FALSE;
  }
  dec->n_values++;
  return TRUE;
}

gboolean
rtmp_amf_decoder_count_bytes (RtmpAmfDecoder * dec, gsize n,
    gboolean referenced, gsize offset, GError ** error)
{
  if (referenced) {
    if (n > RTMP_AMF_MAX_REFERENCED_BYTES - dec->referenced_bytes) {
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_LIMIT,
          "AMF reference at offset %" G_GSIZE_FORMAT ": references repeat more "
          "than %d bytes in one message", offset, RTMP_AMF_MAX_REFERENCED_BYTES);
      return FALSE;
    }
    dec->referenced_bytes += n;
  }
  dec->n_bytes += n;
  return TRUE;
}

gboolean
rtmp_amf_decoder_enter (RtmpAmfDecoder * dec, gsize offset, GError ** error)
{
  if (dec->depth >= RTMP_CORE_AMF_MAX_DEPTH) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_LIMIT,
        "AMF value at offset %" G_GSIZE_FORMAT ": objects and arrays nest "
        "deeper than %d levels", offset, RTMP_CORE_AMF_MAX_DEPTH);
    return FALSE;
  }
  dec->depth++;
  dec->deepest = MAX (dec->deepest, dec->depth);
  return TRUE;
}

/* Registers @value in a reference table before its members are decoded, as
 * encoders number complex values in the order they start. */
guint
rtmp_amf_ref_begin (RtmpAmfDecoder * dec, GArray * table, RtmpCoreAmfValue * value)
{
  RtmpAmfRef ref = { rtmp_core_amf_value_ref (value), 0, 0, FALSE,
    dec->depth, 0, dec->deepest
  };

  /* Measure the value's own height from here; restored in ref_end. */
  dec->deepest = dec->depth;
  g_array_append_val (table, ref);
  return table->len - 1;
}

/* @start_values counts the value itself. */
void
rtmp_amf_ref_end (RtmpAmfDecoder * dec, GArray * table, guint index,
    guint start_values, gsize start_bytes)
{
  RtmpAmfRef *ref = &g_array_index (table, RtmpAmfRef, index);

  ref->n_values = dec->n_values - start_values;
  ref->n_bytes = dec->n_bytes - start_bytes;
  ref->height = dec->deepest - ref->depth;
  dec->deepest = MAX (ref->saved_deepest, dec->deepest);
  ref->done = TRUE;
}

RtmpCoreAmfValue *
rtmp_amf_ref_resolve (RtmpAmfDecoder * dec, GArray * table, guint index,
    const gchar * what, gsize offset, GError ** error)
{
  RtmpAmfRef *ref;

  if (index >= table->len) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "%s reference at offset %" G_GSIZE_FORMAT ": index %u is out of range "
        "(%u values so far)", what, offset, index, table->len);
    return NULL;
  }
  ref = &g_array_index (table, RtmpAmfRef, index);
  /* Sharing a value inside itself would make a reference-count cycle. */
  if (!ref->done) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "%s reference at offset %" G_GSIZE_FORMAT ": index %u points to a "
        "value that contains the reference (a cycle)", what, offset, index);
    return NULL;
  }
  if (ref->n_values > RTMP_CORE_AMF_MAX_VALUES - dec->n_values) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_LIMIT,
        "%s reference at offset %" G_GSIZE_FORMAT ": repeating %u values "
        "exceeds %d values in one message", what, offset, ref->n_values,
        RTMP_CORE_AMF_MAX_VALUES);
    return NULL;
  }
  /* A shared value nests as deep as a copy would: bindings, equal() and the
   * encoder walk it recursively, so the depth cap applies through references. */
  if (dec->depth + 1 + ref->height > RTMP_CORE_AMF_MAX_DEPTH) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_LIMIT,
        "%s reference at offset %" G_GSIZE_FORMAT ": the referenced value "
        "would nest deeper than %d levels", what, offset, RTMP_CORE_AMF_MAX_DEPTH);
    return NULL;
  }
  if (!rtmp_amf_decoder_count_bytes (dec, ref->n_bytes, TRUE, offset, error))
    return NULL;
  dec->deepest = MAX (dec->deepest, dec->depth + 1 + ref->height);
  dec->n_values += ref->n_values;
  return rtmp_core_amf_value_ref (ref->value);
}

/* ---- AMF0 decoding ---- */

static const gchar *
marker_name (guint8 marker)
{
  static const gchar *const names[] = {
    "number", "boolean", "string", "object", "movieclip", "null", "undefined",
    "reference", "ECMA array", "object end", "strict array", "date",
    "long string", "unsupported", "recordset", "XML document", "typed object",
    "AMF3 switch",
  };

  return marker < G_N_ELEMENTS (names) ? names[marker] : "unknown type";
}

static void amf0_error (GError ** error, gint code, guint8 marker, gsize offset,
    const gchar * format, ...) G_GNUC_PRINTF (5, 6);

static void
amf0_error (GError ** error, gint code, guint8 marker, gsize offset,
    const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  rtmp_amf_set_value_error (error, code, "AMF0", marker_name (marker), marker,
      offset, format, args);
  va_end (args);
}

static void
amf0_truncated (RtmpAmfDecoder * dec, GError ** error, guint8 marker, gsize offset)
{
  amf0_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
      "truncated (input ends at %" G_GSIZE_FORMAT ")", dec->r.size);
}

/* Reads a string with a 16-bit (@long_len FALSE) or 32-bit length. */
static gboolean
read_string (RtmpAmfDecoder * dec, gboolean long_len, const guint8 ** data,
    gsize * len, guint8 marker, gsize offset, GError ** error)
{
  guint16 len16;
  guint32 len32;

  if (long_len) {
    if (!rtmp_byte_reader_get_u32_be (&dec->r, &len32))
      goto truncated;
    *len = len32;
  } else {
    if (!rtmp_byte_reader_get_u16_be (&dec->r, &len16))
      goto truncated;
    *len = len16;
  }
  if (!rtmp_byte_reader_get_data (&dec->r, *len, data))
    goto truncated;
  return rtmp_amf_decoder_count_bytes (dec, *len, FALSE, offset, error);

truncated:
  amf0_truncated (dec, error, marker, offset);
  return FALSE;
}

/* Reads name/value pairs up to the 00 00 09 end marker. @end_optional
 * accepts running out of data at a field boundary instead. */
static gboolean
decode_members (RtmpAmfDecoder * dec, RtmpCoreAmfValue * object,
    gboolean end_optional, guint8 marker, gsize offset, GError ** error)
{
  for (;;) {
    const guint8 *name;
    gsize name_len;
    guint8 next;
    RtmpCoreAmfValue *member;

    if (end_optional && rtmp_byte_reader_remaining (&dec->r) == 0)
      return TRUE;
    if (!read_string (dec, FALSE, &name, &name_len, marker, offset, error))
      return FALSE;
    if (name_len == 0 && rtmp_byte_reader_peek_u8 (&dec->r, &next)
        && next == AMF0_OBJECT_END) {
      rtmp_byte_reader_skip (&dec->r, 1);
      return TRUE;
    }
    member = rtmp_amf0_decode_value (dec, error);
    if (!member)
      return FALSE;
    rtmp_amf_value_set_field_len (object, (const gchar *) name, name_len, member);
  }
}

/* Objects, ECMA arrays and typed objects. */
static RtmpCoreAmfValue *
decode_object (RtmpAmfDecoder * dec, RtmpCoreAmfType kind, guint8 marker,
    gsize offset, GError ** error)
{
  guint start_values = dec->n_values - 1;
  gsize start_bytes = dec->n_bytes;
  gboolean top_level = dec->depth == 0;
  RtmpCoreAmfValue *value = rtmp_amf_value_new (kind);
  gboolean ok;
  guint index;

  if (kind == RTMP_CORE_AMF_TYPED_OBJECT) {
    const guint8 *name;
    gsize name_len, clean_len;

    if (!read_string (dec, FALSE, &name, &name_len, marker, offset, error))
      goto failed;
    value->class_name = rtmp_amf_utf8_dup ((const gchar *) name, name_len,
        FALSE, &clean_len);
  } else if (kind == RTMP_CORE_AMF_ECMA_ARRAY) {
    /* The count is only a hint, and often wrong: ignore it. */
    if (!rtmp_byte_reader_skip (&dec->r, 4)) {
      amf0_truncated (dec, error, marker, offset);
      goto failed;
    }
  }

  if (!rtmp_amf_decoder_enter (dec, offset, error))
    goto failed;
  index = rtmp_amf_ref_begin (dec, dec->amf0_refs, value);
  /* Some encoders end a top-level ECMA array (onMetaData) with the data
   * instead of an end marker. */
  ok = decode_members (dec, value,
      kind == RTMP_CORE_AMF_ECMA_ARRAY && top_level, marker, offset, error);
  dec->depth--;
  if (!ok)
    goto failed;
  rtmp_amf_ref_end (dec, dec->amf0_refs, index, start_values, start_bytes);
  return value;

failed:
  rtmp_core_amf_value_unref (value);
  return NULL;
}

static RtmpCoreAmfValue *
decode_strict_array (RtmpAmfDecoder * dec, guint8 marker, gsize offset,
    GError ** error)
{
  guint start_values = dec->n_values - 1;
  gsize start_bytes = dec->n_bytes;
  RtmpCoreAmfValue *value;
  guint32 count, i;
  guint index;

  if (!rtmp_byte_reader_get_u32_be (&dec->r, &count)) {
    amf0_truncated (dec, error, marker, offset);
    return NULL;
  }
  /* Every element takes at least one byte. */
  if (count > rtmp_byte_reader_remaining (&dec->r)) {
    amf0_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
        "declares %u elements but only %" G_GSIZE_FORMAT " bytes follow",
        count, rtmp_byte_reader_remaining (&dec->r));
    return NULL;
  }
  if (!rtmp_amf_decoder_enter (dec, offset, error))
    return NULL;

  value = rtmp_amf_value_new (RTMP_CORE_AMF_STRICT_ARRAY);
  index = rtmp_amf_ref_begin (dec, dec->amf0_refs, value);
  for (i = 0; i < count; i++) {
    RtmpCoreAmfValue *element = rtmp_amf0_decode_value (dec, error);

    if (!element) {
      dec->depth--;
      rtmp_core_amf_value_unref (value);
      return NULL;
    }
    g_ptr_array_add (value->elements, element);
  }
  dec->depth--;
  rtmp_amf_ref_end (dec, dec->amf0_refs, index, start_values, start_bytes);
  return value;
}

static RtmpCoreAmfValue *
decode_string (RtmpAmfDecoder * dec, RtmpCoreAmfType kind, gboolean long_len,
    guint8 marker, gsize offset, GError ** error)
{
  const guint8 *data;
  gsize len;

  if (!read_string (dec, long_len, &data, &len, marker, offset, error))
    return NULL;
  return rtmp_amf_value_new_string_kind (kind, (const gchar *) data, len);
}

static RtmpCoreAmfValue *
decode_scalar (RtmpAmfDecoder * dec, guint8 marker, gsize offset, GError ** error)
{
  gdouble number;
  guint8 b;
  guint16 u16;

  switch (marker) {
    case AMF0_NUMBER:
      if (!rtmp_byte_reader_get_f64_be (&dec->r, &number))
        break;
      return rtmp_core_amf_value_new_number (number);
    case AMF0_BOOLEAN:
      if (!rtmp_byte_reader_get_u8 (&dec->r, &b))
        break;
      return rtmp_core_amf_value_new_boolean (b != 0);
    case AMF0_DATE:
      if (!rtmp_byte_reader_get_f64_be (&dec->r, &number)
          || !rtmp_byte_reader_get_u16_be (&dec->r, &u16))
        break;
      return rtmp_core_amf_value_new_date (number, (gint16) u16);
    case AMF0_REFERENCE:
      if (!rtmp_byte_reader_get_u16_be (&dec->r, &u16))
        break;
      return rtmp_amf_ref_resolve (dec, dec->amf0_refs, u16, "AMF0", offset,
          error);
    default:
      g_assert_not_reached ();
  }
  amf0_truncated (dec, error, marker, offset);
  return NULL;
}

RtmpCoreAmfValue *
rtmp_amf0_decode_value (RtmpAmfDecoder * dec, GError ** error)
{
  gsize offset = dec->r.pos;
  guint8 marker;

  if (!rtmp_amf_decoder_get_marker (dec, "AMF0", &marker, error))
    return NULL;
  /* The AMF3 decoder counts the value that follows the switch. */
  if (marker != AMF0_AMF3 && !rtmp_amf_decoder_count_value (dec, offset, error))
    return NULL;

  switch (marker) {
    case AMF0_NUMBER:
    case AMF0_BOOLEAN:
    case AMF0_DATE:
    case AMF0_REFERENCE:
      return decode_scalar (dec, marker, offset, error);
    case AMF0_STRING:
      return decode_string (dec, RTMP_CORE_AMF_STRING, FALSE, marker, offset,
          error);
    case AMF0_LONG_STRING:
      return decode_string (dec, RTMP_CORE_AMF_STRING, TRUE, marker, offset,
          error);
    case AMF0_XML:
      return decode_string (dec, RTMP_CORE_AMF_XML, TRUE, marker, offset, error);
    case AMF0_OBJECT:
      return decode_object (dec, RTMP_CORE_AMF_OBJECT, marker, offset, error);
    case AMF0_ECMA_ARRAY:
      return decode_object (dec, RTMP_CORE_AMF_ECMA_ARRAY, marker, offset, error);
    case AMF0_TYPED_OBJECT:
      return decode_object (dec, RTMP_CORE_AMF_TYPED_OBJECT, marker, offset,
          error);
    case AMF0_STRICT_ARRAY:
      return decode_strict_array (dec, marker, offset, error);
    case AMF0_NULL:
      return rtmp_core_amf_value_new_null ();
    case AMF0_UNDEFINED:
    case AMF0_UNSUPPORTED:
      return rtmp_core_amf_value_new_undefined ();
    case AMF0_AMF3:
      return rtmp_amf3_decode_value (dec, error);
    case AMF0_MOVIECLIP:
    case AMF0_RECORDSET:
      amf0_error (error, RTMP_CORE_ERROR_UNSUPPORTED, marker, offset,
          "this type is reserved and not supported");
      return NULL;
    case AMF0_OBJECT_END:
      amf0_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
          "an object end marker where a value was expected");
      return NULL;
    default:
      amf0_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
          "not an AMF0 type");
      return NULL;
  }
}

/**
 * rtmp_core_amf0_decode:
 * @data: (array length=size): AMF0 data
 * @size: the length of @data
 * @consumed: (out) (optional): how many bytes the value took, set on success
 * @error: return location for a #GError
 *
 * Decodes one AMF0 value. References (marker 7) are resolved by sharing the
 * referenced value; a reference to a value that contains it (a cycle) is
 * rejected. Values after an AMF3 switch (marker 0x11) are decoded as AMF3.
 * The unsupported marker (13) gives an undefined value. A top-level ECMA
 * array may end with the data instead of an end marker. A field that
 * repeats an earlier name replaces its value in place. Invalid UTF-8 in
 * strings and names becomes U+FFFD, and so do NULs in names (strings keep
 * them).
 *
 * Limits: %RTMP_CORE_AMF_MAX_DEPTH nesting levels and
 * %RTMP_CORE_AMF_MAX_VALUES values, counting each value again every time a
 * reference repeats it, and 1 MiB of strings repeated by references; past
 * them the error is %RTMP_CORE_ERROR_LIMIT. Malformed data gives
 * %RTMP_CORE_ERROR_MALFORMED and the reserved movieclip and recordset types
 * %RTMP_CORE_ERROR_UNSUPPORTED; the message names the marker and offset.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf0_decode (const guint8 * data, gsize size, gsize * consumed,
    GError ** error)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return rtmp_amf_decode_one (data, size, rtmp_amf0_decode_value, consumed,
      error);
}

/**
 * rtmp_core_amf0_decode_all:
 * @data: (array length=size): AMF0 data, e.g. a command or data message body
 * @size: the length of @data
 * @error: return location for a #GError
 *
 * Decodes consecutive AMF0 values until the end of @data, as
 * rtmp_core_amf0_decode() does for each. The values share one set of
 * reference tables (AMF0 and AMF3), as the values of one message do, and
 * the limits apply to all of them together. Empty data gives an empty array.
 *
 * The array frees its values when it is freed, so C callers only unref it.
 * (It is annotated transfer container because of that: bindings then take
 * their own references to the values.)
 *
 * Returns: (transfer container) (element-type RtmpCoreAmfValue) (nullable):
 *   the values, or %NULL on error
 *
 * Since: 0.1
 */
GPtrArray *
rtmp_core_amf0_decode_all (const guint8 * data, gsize size, GError ** error)
{
  RtmpAmfDecoder dec;
  GPtrArray *values;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  values = g_ptr_array_new_with_free_func (
      (GDestroyNotify) rtmp_core_amf_value_unref);
  rtmp_amf_decoder_init (&dec, data, size);
  while (rtmp_byte_reader_remaining (&dec.r) > 0) {
    RtmpCoreAmfValue *value = rtmp_amf0_decode_value (&dec, error);

    if (!value) {
      g_clear_pointer (&values, g_ptr_array_unref);
      break;
    }
    g_ptr_array_add (values, value);
  }
  rtmp_amf_decoder_clear (&dec);
  return values;
}

/**
 * rtmp_core_amf_value_from_amf0:
 * @data: exactly one AMF0-encoded value
 * @error: return location for a #GError
 *
 * Decodes one value as rtmp_core_amf0_decode() does, and fails with
 * %RTMP_CORE_ERROR_MALFORMED if bytes are left after it.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_from_amf0 (GBytes * data, GError ** error)
{
  const guint8 *bytes;
  gsize size, consumed = 0;
  RtmpCoreAmfValue *value;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  bytes = g_bytes_get_data (data, &size);
  value = rtmp_core_amf0_decode (bytes, size, &consumed, error);
  if (value && consumed != size) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "AMF0 data at offset %" G_GSIZE_FORMAT ": %" G_GSIZE_FORMAT
        " bytes left after the value", consumed, size - consumed);
    g_clear_pointer (&value, rtmp_core_amf_value_unref);
  }
  return value;
}

/* ---- AMF0 encoding ---- */

typedef struct {
  GByteArray *out;
  GHashTable *seen;             /* complex value -> its reference index */
  guint n_complex;              /* complex values written, as a decoder counts */
} Amf0Encoder;

/* The longest prefix of at most @max bytes that does not split a UTF-8
 * sequence. */
static gsize
utf8_cut (const gchar * s, gsize len, gsize max)
{
  if (len <= max)
    return len;
  while (max > 0 && ((guchar) s[max] & 0xc0) == 0x80)
    max--;
  return max;
}

/* AMF0 cannot carry names of 64 KiB or more: they are cut. */
static void
append_short_string (GByteArray * out, const gchar * s, gsize len)
{
  len = utf8_cut (s, len, G_MAXUINT16);
  rtmp_append_u16_be (out, len);
  g_byte_array_append (out, (const guint8 *) s, len);
}

static void
append_long_string (GByteArray * out, const gchar * s, gsize len)
{
  len = utf8_cut (s, len, G_MAXUINT32);
  rtmp_append_u32_be (out, len);
  g_byte_array_append (out, (const guint8 *) s, len);
}

static void encode_value (Amf0Encoder * enc, const RtmpCoreAmfValue * value);

static void
encode_fields (Amf0Encoder * enc, const RtmpCoreAmfValue * value)
{
  guint i;

  for (i = 0; i < value->fields->len; i++) {
    RtmpAmfField *field = g_ptr_array_index (value->fields, i);

    append_short_string (enc->out, field->name, field->name_len);
    encode_value (enc, field->value);
  }
  rtmp_append_u16_be (enc->out, 0);
  rtmp_append_u8 (enc->out, AMF0_OBJECT_END);
}

static void
encode_complex (Amf0Encoder * enc, const RtmpCoreAmfValue * value)
{
  gpointer index;
  guint i;

  if (g_hash_table_lookup_extended (enc->seen, value, NULL, &index)) {
    rtmp_append_u8 (enc->out, AMF0_REFERENCE);
    rtmp_append_u16_be (enc->out, GPOINTER_TO_UINT (index));
    return;
  }
  /* Decoders number every complex value they meet, repeated or not; only
   * the first 65536 can be referenced. */
  if (enc->n_complex <= G_MAXUINT16)
    g_hash_table_insert (enc->seen, (gpointer) value,
        GUINT_TO_POINTER (enc->n_complex));
  enc->n_complex++;

  switch (value->kind) {
    case RTMP_CORE_AMF_OBJECT:
      rtmp_append_u8 (enc->out, AMF0_OBJECT);
      encode_fields (enc, value);
      break;
    case RTMP_CORE_AMF_ECMA_ARRAY:
      rtmp_append_u8 (enc->out, AMF0_ECMA_ARRAY);
      rtmp_append_u32_be (enc->out, value->fields->len);
      encode_fields (enc, value);
      break;
    case RTMP_CORE_AMF_TYPED_OBJECT:
      rtmp_append_u8 (enc->out, AMF0_TYPED_OBJECT);
      append_short_string (enc->out, value->class_name,
          strlen (value->class_name));
      encode_fields (enc, value);
      break;
    case RTMP_CORE_AMF_STRICT_ARRAY:
      rtmp_append_u8 (enc->out, AMF0_STRICT_ARRAY);
      rtmp_append_u32_be (enc->out, value->elements->len);
      for (i = 0; i < value->elements->len; i++)
        encode_value (enc, g_ptr_array_index (value->elements, i));
      break;
    default:
      g_assert_not_reached ();
  }
}

static void
encode_value (Amf0Encoder * enc, const RtmpCoreAmfValue * value)
{
  GByteArray *out = enc->out;
  const guint8 *data;
  gsize size;

  switch (value->kind) {
    case RTMP_CORE_AMF_NUMBER:
    case RTMP_CORE_AMF_INTEGER:
      rtmp_append_u8 (out, AMF0_NUMBER);
      rtmp_append_f64_be (out, rtmp_core_amf_value_get_number (value));
      break;
    case RTMP_CORE_AMF_BOOLEAN:
      rtmp_append_u8 (out, AMF0_BOOLEAN);
      rtmp_append_u8 (out, value->v.boolean ? 1 : 0);
      break;
    case RTMP_CORE_AMF_STRING:
      if (value->str_len <= G_MAXUINT16) {
        rtmp_append_u8 (out, AMF0_STRING);
        append_short_string (out, value->str, value->str_len);
      } else {
        rtmp_append_u8 (out, AMF0_LONG_STRING);
        append_long_string (out, value->str, value->str_len);
      }
      break;
    case RTMP_CORE_AMF_XML:
      rtmp_append_u8 (out, AMF0_XML);
      append_long_string (out, value->str, value->str_len);
      break;
    case RTMP_CORE_AMF_NULL:
      rtmp_append_u8 (out, AMF0_NULL);
      break;
    case RTMP_CORE_AMF_UNDEFINED:
      rtmp_append_u8 (out, AMF0_UNDEFINED);
      break;
    case RTMP_CORE_AMF_DATE:
      rtmp_append_u8 (out, AMF0_DATE);
      rtmp_append_f64_be (out, value->v.number);
      rtmp_append_u16_be (out, (guint16) value->timezone);
      break;
    case RTMP_CORE_AMF_BYTE_ARRAY:
      /* AMF0 has no byte array: switch to AMF3 for this value. Its length
       * field holds 28 bits, so longer contents are cut. */
      data = g_bytes_get_data (value->bytes, &size);
      size = MIN (size, AMF3_MAX_U29 >> 1);
      rtmp_append_u8 (out, AMF0_AMF3);
      rtmp_append_u8 (out, AMF3_BYTE_ARRAY);
      rtmp_amf3_append_u29 (out, (size << 1) | 1);
      g_byte_array_append (out, data, size);
      break;
    case RTMP_CORE_AMF_OBJECT:
    case RTMP_CORE_AMF_ECMA_ARRAY:
    case RTMP_CORE_AMF_TYPED_OBJECT:
    case RTMP_CORE_AMF_STRICT_ARRAY:
      encode_complex (enc, value);
      break;
  }
}

/**
 * rtmp_core_amf0_encode_all: (skip)
 * @out: the buffer to append to
 * @values: (array length=n_values): the values
 * @n_values: how many
 *
 * Appends the AMF0 encoding of several values, as the values of one
 * message: like rtmp_core_amf0_encode(), but references may point to
 * complex values written for an earlier value, matching
 * rtmp_core_amf0_decode_all().
 *
 * Since: 0.1
 */
void
rtmp_core_amf0_encode_all (GByteArray * out, RtmpCoreAmfValue * const * values,
    guint n_values)
{
  Amf0Encoder enc;
  guint i;

  g_return_if_fail (out != NULL);
  g_return_if_fail (values != NULL || n_values == 0);

  enc.out = out;
  enc.seen = g_hash_table_new (NULL, NULL);
  enc.n_complex = 0;
  for (i = 0; i < n_values; i++)
    encode_value (&enc, values[i]);
  g_hash_table_unref (enc.seen);
}

/**
 * rtmp_core_amf0_encode: (skip)
 * @out: the buffer to append to
 * @value: the value
 *
 * Appends the AMF0 encoding of @value. Strings shorter than 65536 bytes use
 * the string type, longer ones the long string type; AMF3 integers become
 * numbers and byte arrays are written after an AMF3 switch (0x11 0x0C).
 * ECMA arrays declare their field count.
 *
 * References: when the same object, ECMA array, strict array or typed object
 * (the same pointer) occurs again within @value, the later occurrences are
 * written as AMF0 references (marker 7) to the first, so shared values stay
 * shared after decoding and the output stays small. Do not build cycles.
 *
 * Field and class names of 64 KiB or more cannot be represented and are cut
 * at a UTF-8 character boundary.
 *
 * Since: 0.1
 */
void
rtmp_core_amf0_encode (GByteArray * out, const RtmpCoreAmfValue * value)
{
  g_return_if_fail (value != NULL);
  rtmp_core_amf0_encode_all (out, (RtmpCoreAmfValue * const *) &value, 1);
}

/**
 * rtmp_core_amf_value_to_amf0:
 * @value: the value
 *
 * Encodes @value as rtmp_core_amf0_encode() does.
 *
 * Returns: (transfer full): the AMF0 bytes
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_amf_value_to_amf0 (const RtmpCoreAmfValue * value)
{
  GByteArray *out;

  g_return_val_if_fail (value != NULL, NULL);
  out = g_byte_array_new ();
  rtmp_core_amf0_encode (out, value);
  return g_byte_array_free_to_bytes (out);
}

/**
 * rtmp_core_amf_values_to_amf0:
 * @values: (element-type RtmpCoreAmfValue): the values of one message
 *
 * Encodes several values as rtmp_core_amf0_encode_all() does.
 *
 * Returns: (transfer full): the AMF0 bytes
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_amf_values_to_amf0 (GPtrArray * values)
{
  GByteArray *out;

  g_return_val_if_fail (values != NULL, NULL);
  out = g_byte_array_new ();
  rtmp_core_amf0_encode_all (out, (RtmpCoreAmfValue * const *) values->pdata,
      values->len);
  return g_byte_array_free_to_bytes (out);
}
