/* AMF values, AMF0 encode/decode and AMF3 decode. */
#pragma once

#include <glib-object.h>
#include "rtmpcore-prelude.h"

G_BEGIN_DECLS

/**
 * RTMP_CORE_AMF_MAX_DEPTH:
 *
 * How deep objects and arrays may nest in decoded AMF.
 *
 * Since: 0.1
 */
#define RTMP_CORE_AMF_MAX_DEPTH 32

/**
 * RTMP_CORE_AMF_MAX_VALUES:
 *
 * How many values (counting nested ones) one decode call may produce.
 *
 * Since: 0.1
 */
#define RTMP_CORE_AMF_MAX_VALUES 65536

/**
 * RtmpCoreAmfType:
 * @RTMP_CORE_AMF_NUMBER: a double
 * @RTMP_CORE_AMF_BOOLEAN: a boolean
 * @RTMP_CORE_AMF_STRING: a UTF-8 string (AMF0 string or long string, AMF3 string)
 * @RTMP_CORE_AMF_OBJECT: an anonymous object: ordered name/value fields
 * @RTMP_CORE_AMF_NULL: null
 * @RTMP_CORE_AMF_UNDEFINED: undefined
 * @RTMP_CORE_AMF_ECMA_ARRAY: an associative array: ordered name/value fields
 * @RTMP_CORE_AMF_STRICT_ARRAY: a dense array of values
 * @RTMP_CORE_AMF_DATE: milliseconds since the epoch plus a time zone
 * @RTMP_CORE_AMF_TYPED_OBJECT: an object with a class name
 * @RTMP_CORE_AMF_XML: an XML document, kept as a string
 * @RTMP_CORE_AMF_BYTE_ARRAY: AMF3 byte array
 * @RTMP_CORE_AMF_INTEGER: AMF3 29-bit integer
 *
 * The kinds of value AMF0 and AMF3 carry. AMF0 references and the AMF3
 * switch marker are resolved while decoding and have no kind of their own.
 *
 * Since: 0.1
 */
typedef enum {
  RTMP_CORE_AMF_NUMBER,
  RTMP_CORE_AMF_BOOLEAN,
  RTMP_CORE_AMF_STRING,
  RTMP_CORE_AMF_OBJECT,
  RTMP_CORE_AMF_NULL,
  RTMP_CORE_AMF_UNDEFINED,
  RTMP_CORE_AMF_ECMA_ARRAY,
  RTMP_CORE_AMF_STRICT_ARRAY,
  RTMP_CORE_AMF_DATE,
  RTMP_CORE_AMF_TYPED_OBJECT,
  RTMP_CORE_AMF_XML,
  RTMP_CORE_AMF_BYTE_ARRAY,
  RTMP_CORE_AMF_INTEGER,
} RtmpCoreAmfType;

/**
 * RtmpCoreAmfValue:
 *
 * A reference-counted AMF value. Objects, ECMA arrays and typed objects hold
 * ordered fields; strict arrays hold elements. Values are mutable until
 * shared; decoding may share one value in several places (AMF references).
 *
 * Not thread-safe except for ref/unref.
 *
 * Since: 0.1
 */
typedef struct _RtmpCoreAmfValue RtmpCoreAmfValue;

#define RTMP_CORE_TYPE_AMF_VALUE (rtmp_core_amf_value_get_type ())

RTMP_CORE_API
GType rtmp_core_amf_value_get_type (void) G_GNUC_CONST;

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_ref (RtmpCoreAmfValue * value);

RTMP_CORE_API
void rtmp_core_amf_value_unref (RtmpCoreAmfValue * value);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_number (gdouble number);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_boolean (gboolean boolean);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_string (const gchar * string);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_string_len (const gchar * string, gssize len);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_null (void);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_undefined (void);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_object (void);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_ecma_array (void);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_strict_array (void);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_date (gdouble milliseconds, gint16 time_zone);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_typed_object (const gchar * class_name);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_xml (const gchar * xml);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_byte_array (GBytes * bytes);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_new_integer (gint32 integer);

RTMP_CORE_API
RtmpCoreAmfType rtmp_core_amf_value_get_kind (const RtmpCoreAmfValue * value);

RTMP_CORE_API
gdouble rtmp_core_amf_value_get_number (const RtmpCoreAmfValue * value);

RTMP_CORE_API
gboolean rtmp_core_amf_value_get_boolean (const RtmpCoreAmfValue * value);

RTMP_CORE_API
const gchar *rtmp_core_amf_value_get_string (const RtmpCoreAmfValue * value);

RTMP_CORE_API
gsize rtmp_core_amf_value_get_string_length (const RtmpCoreAmfValue * value);

RTMP_CORE_API
gint32 rtmp_core_amf_value_get_integer (const RtmpCoreAmfValue * value);

RTMP_CORE_API
gint16 rtmp_core_amf_value_get_timezone (const RtmpCoreAmfValue * value);

RTMP_CORE_API
const gchar *rtmp_core_amf_value_get_class_name (const RtmpCoreAmfValue * value);

RTMP_CORE_API
GBytes *rtmp_core_amf_value_get_bytes (const RtmpCoreAmfValue * value);

RTMP_CORE_API
void rtmp_core_amf_value_set_field (RtmpCoreAmfValue * value, const gchar * name,
    RtmpCoreAmfValue * field);

RTMP_CORE_API
void rtmp_core_amf_value_take_field (RtmpCoreAmfValue * value, const gchar * name,
    RtmpCoreAmfValue * field);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_get_field (const RtmpCoreAmfValue * value,
    const gchar * name);

RTMP_CORE_API
guint rtmp_core_amf_value_get_n_fields (const RtmpCoreAmfValue * value);

RTMP_CORE_API
const gchar *rtmp_core_amf_value_get_field_name (const RtmpCoreAmfValue * value, guint index);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_get_field_value (const RtmpCoreAmfValue * value,
    guint index);

RTMP_CORE_API
gboolean rtmp_core_amf_value_remove_field (RtmpCoreAmfValue * value, const gchar * name);

RTMP_CORE_API
void rtmp_core_amf_value_append (RtmpCoreAmfValue * array, RtmpCoreAmfValue * element);

RTMP_CORE_API
void rtmp_core_amf_value_take_element (RtmpCoreAmfValue * array, RtmpCoreAmfValue * element);

RTMP_CORE_API
guint rtmp_core_amf_value_get_n_elements (const RtmpCoreAmfValue * array);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_get_element (const RtmpCoreAmfValue * array,
    guint index);

/* Convenience lookups on objects, with defaults when missing or mistyped. */

RTMP_CORE_API
const gchar *rtmp_core_amf_value_lookup_string (const RtmpCoreAmfValue * object,
    const gchar * name);

RTMP_CORE_API
gboolean rtmp_core_amf_value_lookup_number (const RtmpCoreAmfValue * object,
    const gchar * name, gdouble * number);

RTMP_CORE_API
gboolean rtmp_core_amf_value_equal (const RtmpCoreAmfValue * a, const RtmpCoreAmfValue * b);

RTMP_CORE_API
gchar *rtmp_core_amf_value_to_string (const RtmpCoreAmfValue * value);

/* AMF0 */

RTMP_CORE_API
void rtmp_core_amf0_encode (GByteArray * out, const RtmpCoreAmfValue * value);

RTMP_CORE_API
void rtmp_core_amf0_encode_all (GByteArray * out, RtmpCoreAmfValue * const * values,
    guint n_values);

RTMP_CORE_API
GBytes *rtmp_core_amf_value_to_amf0 (const RtmpCoreAmfValue * value);

RTMP_CORE_API
GBytes *rtmp_core_amf_values_to_amf0 (GPtrArray * values);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf0_decode (const guint8 * data, gsize size,
    gsize * consumed, GError ** error);

RTMP_CORE_API
GPtrArray *rtmp_core_amf0_decode_all (const guint8 * data, gsize size, GError ** error);

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf_value_from_amf0 (GBytes * data, GError ** error);

/* AMF3 (decode only) */

RTMP_CORE_API
RtmpCoreAmfValue *rtmp_core_amf3_decode (const guint8 * data, gsize size,
    gsize * consumed, GError ** error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RtmpCoreAmfValue, rtmp_core_amf_value_unref)

G_END_DECLS
