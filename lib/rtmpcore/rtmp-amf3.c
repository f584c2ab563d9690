/* AMF3 decoding (into the same value tree as AMF0) and the U29 writer the
 * AMF0 encoder needs for byte arrays.
 *
 * AMF3 leans on three reference tables (strings, objects, traits); bad
 * indices into them are where librtmp's CVE-2015-8270/8271/8272 lived. Here
 * every index is checked against its table, the tables are capped, a
 * reference must point to a value of the kind its marker announces, a
 * reference to an object still being decoded (a cycle) is rejected, and
 * repeated data is charged against the decoder's limits. */
#include <string.h>

#include "rtmp-amf-private.h"
#include "rtmp-error.h"

enum {
  AMF3_UNDEFINED = 0x00,
  AMF3_NULL = 0x01,
  AMF3_FALSE = 0x02,
  AMF3_TRUE = 0x03,
  AMF3_INTEGER = 0x04,
  AMF3_DOUBLE = 0x05,
  AMF3_STRING = 0x06,
  AMF3_XML_DOC = 0x07,
  AMF3_DATE = 0x08,
  AMF3_ARRAY = 0x09,
  AMF3_OBJECT = 0x0a,
  AMF3_XML = 0x0b,
  AMF3_BYTE_ARRAY = 0x0c,
  AMF3_VECTOR_INT = 0x0d,
  AMF3_VECTOR_UINT = 0x0e,
  AMF3_VECTOR_DOUBLE = 0x0f,
  AMF3_VECTOR_OBJECT = 0x10,
  AMF3_DICTIONARY = 0x11,
};

void
rtmp_amf3_traits_free (gpointer data)
{
  RtmpAmf3Traits *traits = data;

  g_array_unref (traits->members);
  g_free (traits);
}

/* Writes an AMF3 variable-length 29-bit integer: up to three bytes of 7
 * bits with a continuation flag, then a fourth byte with all 8 bits. */
void
rtmp_amf3_append_u29 (GByteArray * out, guint32 value)
{
  guint8 b[4];
  guint n;

  value &= 0x1fffffff;
  if (value < 0x80) {
    b[0] = value;
    n = 1;
  } else if (value < 0x4000) {
    b[0] = 0x80 | (value >> 7);
    b[1] = value & 0x7f;
    n = 2;
  } else if (value < 0x200000) {
    b[0] = 0x80 | (value >> 14);
    b[1] = 0x80 | ((value >> 7) & 0x7f);
    b[2] = value & 0x7f;
    n = 3;
  } else {
    b[0] = 0x80 | (value >> 22);
    b[1] = 0x80 | ((value >> 15) & 0x7f);
    b[2] = 0x80 | ((value >> 8) & 0x7f);
    b[3] = value & 0xff;
    n = 4;
  }
  g_byte_array_append (out, b, n);
}

static gboolean
read_u29 (RtmpByteReader * r, guint32 * value)
{
  guint32 result = 0;
  guint8 b;
  gint i;

  for (i = 0; i < 3; i++) {
    if (!rtmp_byte_reader_get_u8 (r, &b))
      return FALSE;
    if (!(b & 0x80)) {
      *value = (result << 7) | b;
      return TRUE;
    }
    result = (result << 7) | (b & 0x7f);
  }
  if (!rtmp_byte_reader_get_u8 (r, &b))
    return FALSE;
  *value = (result << 8) | b;
  return TRUE;
}

static const gchar *
marker_name (guint8 marker)
{
  static const gchar *const names[] = {
    "undefined", "null", "false", "true", "integer", "double", "string",
    "XML document", "date", "array", "object", "XML", "byte array",
    "int vector", "uint vector", "double vector", "object vector",
    "dictionary",
  };

  return marker < G_N_ELEMENTS (names) ? names[marker] : "unknown type";
}

static void amf3_error (GError ** error, gint code, guint8 marker, gsize offset,
    const gchar * format, ...) G_GNUC_PRINTF (5, 6);

static void
amf3_error (GError ** error, gint code, guint8 marker, gsize offset,
    const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  rtmp_amf_set_value_error (error, code, "AMF3", marker_name (marker), marker,
      offset, format, args);
  va_end (args);
}

static void
amf3_truncated (RtmpAmfDecoder * dec, GError ** error, guint8 marker, gsize offset)
{
  amf3_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
      "truncated (input ends at %" G_GSIZE_FORMAT ")", dec->r.size);
}

static gboolean
read_header (RtmpAmfDecoder * dec, guint32 * u29, guint8 marker, gsize offset,
    GError ** error)
{
  if (read_u29 (&dec->r, u29))
    return TRUE;
  amf3_truncated (dec, error, marker, offset);
  return FALSE;
}

/* A UTF-8-vr: an inline string, or a reference to an earlier non-empty one.
 * The span points into the input. */
static gboolean
read_string (RtmpAmfDecoder * dec, RtmpAmfSpan * span, guint8 marker,
    gsize offset, GError ** error)
{
  guint32 u29;

  if (!read_header (dec, &u29, marker, offset, error))
    return FALSE;

  if (!(u29 & 1)) {
    guint32 index = u29 >> 1;

    if (index >= dec->amf3_strings->len) {
      amf3_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
          "string reference %u is out of range (%u strings so far)", index,
          dec->amf3_strings->len);
      return FALSE;
    }
    *span = g_array_index (dec->amf3_strings, RtmpAmfSpan, index);
    return rtmp_amf_decoder_count_bytes (dec, span->len, TRUE, offset, error);
  }

  span->len = u29 >> 1;
  if (!rtmp_byte_reader_get_data (&dec->r, span->len, &span->data)) {
    amf3_truncated (dec, error, marker, offset);
    return FALSE;
  }
  /* The empty string is never sent by reference. */
  if (span->len > 0) {
    if (dec->amf3_strings->len >= RTMP_CORE_AMF_MAX_VALUES) {
      amf3_error (error, RTMP_CORE_ERROR_LIMIT, marker, offset,
          "more than %d distinct strings", RTMP_CORE_AMF_MAX_VALUES);
      return FALSE;
    }
    g_array_append_val (dec->amf3_strings, *span);
  }
  return rtmp_amf_decoder_count_bytes (dec, span->len, FALSE, offset, error);
}

/* Resolves an object-table reference whose kind must be @kind or @kind2. */
static RtmpCoreAmfValue *
resolve_object (RtmpAmfDecoder * dec, guint32 u29, RtmpCoreAmfType kind,
    RtmpCoreAmfType kind2, guint8 marker, gsize offset, GError ** error)
{
  RtmpCoreAmfValue *value = rtmp_amf_ref_resolve (dec, dec->amf3_objects,
      u29 >> 1, "AMF3 object", offset, error);

  if (value && value->kind != kind && value->kind != kind2) {
    amf3_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
        "object reference %u points to a value of another type", u29 >> 1);
    g_clear_pointer (&value, rtmp_core_amf_value_unref);
  }
  return value;
}

/* Adds a value that holds no other values to the object table. */
static RtmpCoreAmfValue *
add_leaf_object (RtmpAmfDecoder * dec, RtmpCoreAmfValue * value,
    guint start_values, gsize start_bytes)
{
  guint index = rtmp_amf_ref_begin (dec, dec->amf3_objects, value);

  rtmp_amf_ref_end (dec, dec->amf3_objects, index, start_values, start_bytes);
  return value;
}

/* XML documents, XML and byte arrays: a length, then that many bytes. */
static RtmpCoreAmfValue *
decode_blob (RtmpAmfDecoder * dec, guint8 marker, gsize offset, GError ** error)
{
  guint start_values = dec->n_values - 1;
  gsize start_bytes = dec->n_bytes;
  RtmpCoreAmfType kind = marker == AMF3_BYTE_ARRAY ?
      RTMP_CORE_AMF_BYTE_ARRAY : RTMP_CORE_AMF_XML;
  RtmpCoreAmfValue *value;
  const guint8 *data;
  guint32 u29;

  if (!read_header (dec, &u29, marker, offset, error))
    return NULL;
  if (!(u29 & 1))
    return resolve_object (dec, u29, kind, kind, marker, offset, error);

  if (!rtmp_byte_reader_get_data (&dec->r, u29 >> 1, &data)) {
    amf3_truncated (dec, error, marker, offset);
    return NULL;
  }
  if (!rtmp_amf_decoder_count_bytes (dec, u29 >> 1, FALSE, offset, error))
    return NULL;

  if (kind == RTMP_CORE_AMF_BYTE_ARRAY) {
    value = rtmp_amf_value_new (kind);
    value->bytes = g_bytes_new (data, u29 >> 1);
  } else {
    value = rtmp_amf_value_new_string_kind (kind, (const gchar *) data, u29 >> 1);
  }
  return add_leaf_object (dec, value, start_values, start_bytes);
}

static RtmpCoreAmfValue *
decode_date (RtmpAmfDecoder * dec, guint8 marker, gsize offset, GError ** error)
{
  guint start_values = dec->n_values - 1;
  gsize start_bytes = dec->n_bytes;
  gdouble ms;
  guint32 u29;

  if (!read_header (dec, &u29, marker, offset, error))
    return NULL;
  if (!(u29 & 1))
    return resolve_object (dec, u29, RTMP_CORE_AMF_DATE, RTMP_CORE_AMF_DATE,
        marker, offset, error);
  if (!rtmp_byte_reader_get_f64_be (&dec->r, &ms)) {
    amf3_truncated (dec, error, marker, offset);
    return NULL;
  }
  return add_leaf_object (dec, rtmp_core_amf_value_new_date (ms, 0),
      start_values, start_bytes);
}

/* Reads values for the associative part of an array or the dynamic members
 * of an object: name/value pairs up to an empty name. */
static gboolean
decode_named_members (RtmpAmfDecoder * dec, RtmpCoreAmfValue * object,
    RtmpAmfSpan first, guint8 marker, gsize offset, GError ** error)
{
  RtmpAmfSpan name = first;

  while (name.len > 0) {
    RtmpCoreAmfValue *member = rtmp_amf3_decode_value (dec, error);

    if (!member)
      return FALSE;
    rtmp_amf_value_set_field_len (object, (const gchar *) name.data, name.len,
        member);
    if (!read_string (dec, &name, marker, offset, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
check_count (RtmpAmfDecoder * dec, guint32 count, const gchar * what,
    guint8 marker, gsize offset, GError ** error)
{
  /* Each item takes at least one byte: reject impossible counts early. */
  if (count > rtmp_byte_reader_remaining (&dec->r)) {
    amf3_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
        "declares %u %s but only %" G_GSIZE_FORMAT " bytes follow", count, what,
        rtmp_byte_reader_remaining (&dec->r));
    return FALSE;
  }
  return TRUE;
}

/* An array has an associative part (name/value pairs up to an empty name)
 * and a dense part. Without associative entries it becomes a strict array;
 * with them an ECMA array whose dense elements are named "0", "1", ... */
static RtmpCoreAmfValue *
decode_array (RtmpAmfDecoder * dec, guint8 marker, gsize offset, GError ** error)
{
  guint start_values = dec->n_values - 1;
  gsize start_bytes = dec->n_bytes;
  RtmpCoreAmfValue *value;
  RtmpAmfSpan key;
  guint32 u29, dense, i;
  guint index;

  if (!read_header (dec, &u29, marker, offset, error))
    return NULL;
  if (!(u29 & 1))
    return resolve_object (dec, u29, RTMP_CORE_AMF_STRICT_ARRAY,
        RTMP_CORE_AMF_ECMA_ARRAY, marker, offset, error);
  dense = u29 >> 1;
  if (!check_count (dec, dense, "dense elements", marker, offset, error))
    return NULL;
  /* The first key decides the kind; no value is decoded before it. */
  if (!read_string (dec, &key, marker, offset, error))
    return NULL;
  if (!rtmp_amf_decoder_enter (dec, offset, error))
    return NULL;

  value = rtmp_amf_value_new (key.len > 0 ?
      RTMP_CORE_AMF_ECMA_ARRAY : RTMP_CORE_AMF_STRICT_ARRAY);
  index = rtmp_amf_ref_begin (dec, dec->amf3_objects, value);
  if (!decode_named_members (dec, value, key, marker, offset, error))
    goto failed;

  for (i = 0; i < dense; i++) {
    RtmpCoreAmfValue *element = rtmp_amf3_decode_value (dec, error);
    gchar name[16];

    if (!element)
      goto failed;
    if (value->elements) {
      g_ptr_array_add (value->elements, element);
    } else {
      g_snprintf (name, sizeof (name), "%u", i);
      rtmp_amf_value_set_field_len (value, name, strlen (name), element);
    }
  }
  dec->depth--;
  rtmp_amf_ref_end (dec, dec->amf3_objects, index, start_values, start_bytes);
  return value;

failed:
  dec->depth--;
  rtmp_core_amf_value_unref (value);
  return NULL;
}

/* Reads inline traits (after the U29O-traits header) into the traits
 * table. */
static RtmpAmf3Traits *
read_traits (RtmpAmfDecoder * dec, guint32 u29, guint8 marker, gsize offset,
    GError ** error)
{
  RtmpAmf3Traits *traits;
  guint32 n_sealed = u29 >> 4, i;

  if (u29 & 4) {
    amf3_error (error, RTMP_CORE_ERROR_UNSUPPORTED, marker, offset,
        "externalizable objects are not supported (their encoding is defined "
        "by the class)");
    return NULL;
  }
  if (dec->amf3_traits->len >= RTMP_CORE_AMF_MAX_VALUES) {
    amf3_error (error, RTMP_CORE_ERROR_LIMIT, marker, offset,
        "more than %d class definitions", RTMP_CORE_AMF_MAX_VALUES);
    return NULL;
  }

  traits = g_new0 (RtmpAmf3Traits, 1);
  traits->dynamic = (u29 & 8) != 0;
  traits->members = g_array_new (FALSE, FALSE, sizeof (RtmpAmfSpan));
  if (!read_string (dec, &traits->class_name, marker, offset, error)
      || !check_count (dec, n_sealed, "sealed members", marker, offset, error))
    goto failed;
  for (i = 0; i < n_sealed; i++) {
    RtmpAmfSpan name;

    if (!read_string (dec, &name, marker, offset, error))
      goto failed;
    g_array_append_val (traits->members, name);
  }
  g_ptr_array_add (dec->amf3_traits, traits);
  return traits;

failed:
  rtmp_amf3_traits_free (traits);
  return NULL;
}

static RtmpCoreAmfValue *
decode_object (RtmpAmfDecoder * dec, guint8 marker, gsize offset, GError ** error)
{
  guint start_values = dec->n_values - 1;
  gsize start_bytes = dec->n_bytes;
  RtmpCoreAmfValue *value;
  RtmpAmf3Traits *traits;
  gboolean traits_by_ref;
  RtmpAmfSpan key = { NULL, 0 };
  guint32 u29, i;
  guint index;
  gsize len;

  if (!read_header (dec, &u29, marker, offset, error))
    return NULL;
  if (!(u29 & 1))
    return resolve_object (dec, u29, RTMP_CORE_AMF_OBJECT,
        RTMP_CORE_AMF_TYPED_OBJECT, marker, offset, error);

  traits_by_ref = !(u29 & 2);
  if (traits_by_ref) {
    if ((u29 >> 2) >= dec->amf3_traits->len) {
      amf3_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
          "traits reference %u is out of range (%u class definitions so far)",
          u29 >> 2, dec->amf3_traits->len);
      return NULL;
    }
    traits = g_ptr_array_index (dec->amf3_traits, u29 >> 2);
    /* Reused traits repeat their names in every object. */
    if (!rtmp_amf_decoder_count_bytes (dec, traits->class_name.len, TRUE,
            offset, error))
      return NULL;
  } else {
    traits = read_traits (dec, u29, marker, offset, error);
    if (!traits)
      return NULL;
  }
  if (!rtmp_amf_decoder_enter (dec, offset, error))
    return NULL;

  if (traits->class_name.len > 0) {
    value = rtmp_amf_value_new (RTMP_CORE_AMF_TYPED_OBJECT);
    value->class_name = rtmp_amf_utf8_dup (
        (const gchar *) traits->class_name.data, traits->class_name.len, FALSE,
        &len);
  } else {
    value = rtmp_amf_value_new (RTMP_CORE_AMF_OBJECT);
  }
  index = rtmp_amf_ref_begin (dec, dec->amf3_objects, value);

  for (i = 0; i < traits->members->len; i++) {
    RtmpAmfSpan *name = &g_array_index (traits->members, RtmpAmfSpan, i);
    RtmpCoreAmfValue *member;

    if (traits_by_ref && !rtmp_amf_decoder_count_bytes (dec, name->len, TRUE,
            offset, error))
      goto failed;
    member = rtmp_amf3_decode_value (dec, error);
    if (!member)
      goto failed;
    rtmp_amf_value_set_field_len (value, (const gchar *) name->data, name->len,
        member);
  }
  if (traits->dynamic && (!read_string (dec, &key, marker, offset, error)
          || !decode_named_members (dec, value, key, marker, offset, error)))
    goto failed;

  dec->depth--;
  rtmp_amf_ref_end (dec, dec->amf3_objects, index, start_values, start_bytes);
  return value;

failed:
  dec->depth--;
  rtmp_core_amf_value_unref (value);
  return NULL;
}

RtmpCoreAmfValue *
rtmp_amf3_decode_value (RtmpAmfDecoder * dec, GError ** error)
{
  gsize offset = dec->r.pos;
  RtmpAmfSpan span;
  guint8 marker;
  guint32 u29;
  gdouble number;

  if (!rtmp_amf_decoder_get_marker (dec, "AMF3", &marker, error))
    return NULL;
  if (!rtmp_amf_decoder_count_value (dec, offset, error))
    return NULL;

  switch (marker) {
    case AMF3_UNDEFINED:
      return rtmp_core_amf_value_new_undefined ();
    case AMF3_NULL:
      return rtmp_core_amf_value_new_null ();
    case AMF3_FALSE:
    case AMF3_TRUE:
      return rtmp_core_amf_value_new_boolean (marker == AMF3_TRUE);
    case AMF3_INTEGER:
      if (!read_header (dec, &u29, marker, offset, error))
        return NULL;
      /* Sign-extend from 29 bits. */
      if (u29 & 0x10000000)
        u29 |= 0xe0000000;
      return rtmp_core_amf_value_new_integer ((gint32) u29);
    case AMF3_DOUBLE:
      if (!rtmp_byte_reader_get_f64_be (&dec->r, &number)) {
        amf3_truncated (dec, error, marker, offset);
        return NULL;
      }
      return rtmp_core_amf_value_new_number (number);
    case AMF3_STRING:
      if (!read_string (dec, &span, marker, offset, error))
        return NULL;
      return rtmp_amf_value_new_string_kind (RTMP_CORE_AMF_STRING,
          (const gchar *) span.data, span.len);
    case AMF3_XML_DOC:
    case AMF3_XML:
    case AMF3_BYTE_ARRAY:
      return decode_blob (dec, marker, offset, error);
    case AMF3_DATE:
      return decode_date (dec, marker, offset, error);
    case AMF3_ARRAY:
      return decode_array (dec, marker, offset, error);
    case AMF3_OBJECT:
      return decode_object (dec, marker, offset, error);
    case AMF3_VECTOR_INT:
    case AMF3_VECTOR_UINT:
    case AMF3_VECTOR_DOUBLE:
    case AMF3_VECTOR_OBJECT:
    case AMF3_DICTIONARY:
      amf3_error (error, RTMP_CORE_ERROR_UNSUPPORTED, marker, offset,
          "this type is not supported");
      return NULL;
    default:
      amf3_error (error, RTMP_CORE_ERROR_MALFORMED, marker, offset,
          "not an AMF3 type");
      return NULL;
  }
}

/**
 * rtmp_core_amf3_decode:
 * @data: (array length=size): AMF3 data
 * @size: the length of @data
 * @consumed: (out) (optional): how many bytes the value took, set on success
 * @error: return location for a #GError
 *
 * Decodes one AMF3 value with fresh reference tables. Integers become
 * %RTMP_CORE_AMF_INTEGER, XML documents %RTMP_CORE_AMF_XML, anonymous
 * objects %RTMP_CORE_AMF_OBJECT and objects with a class name
 * %RTMP_CORE_AMF_TYPED_OBJECT (sealed members first, then dynamic ones).
 * Arrays without associative entries become strict arrays; arrays with them
 * become ECMA arrays holding the associative entries and then the dense
 * elements under the names "0", "1", ...
 *
 * Object references share the referenced value; a reference to an object
 * still being decoded (a cycle), a reference out of range or to a value of
 * another type gives %RTMP_CORE_ERROR_MALFORMED. Externalizable objects,
 * vectors and dictionaries give %RTMP_CORE_ERROR_UNSUPPORTED. The limits of
 * rtmp_core_amf0_decode() apply, and each reference table holds at most
 * %RTMP_CORE_AMF_MAX_VALUES entries.
 *
 * Returns: (transfer full) (nullable): the value, or %NULL on error
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf3_decode (const guint8 * data, gsize size, gsize * consumed,
    GError ** error)
{
  g_return_val_if_fail (data != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return rtmp_amf_decode_one (data, size, rtmp_amf3_decode_value, consumed,
      error);
}
