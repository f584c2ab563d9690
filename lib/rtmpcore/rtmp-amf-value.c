/* RtmpCoreAmfValue: the reference-counted value tree that AMF0 and AMF3
 * decode into and AMF0 encodes from. */
#include <math.h>
#include <string.h>

#include "rtmp-amf-private.h"

G_DEFINE_BOXED_TYPE (RtmpCoreAmfValue, rtmp_core_amf_value,
    rtmp_core_amf_value_ref, rtmp_core_amf_value_unref)

/* ---- UTF-8 ---- */

/* Copies @len bytes as UTF-8, replacing each invalid byte with U+FFFD so
 * that bindings can always turn the result into a string. String values
 * keep NULs (@keep_nul), as AMF strings carry an explicit length; names
 * replace them too, so that they stay usable as C strings. */
gchar *
rtmp_amf_utf8_dup (const gchar * s, gsize len, gboolean keep_nul,
    gsize * out_len)
{
  const gchar *end;
  GString *str;

  if (g_utf8_validate_len (s, len, NULL)) {
    gchar *copy = g_malloc (len + 1);

    memcpy (copy, s, len);
    copy[len] = '\0';
    *out_len = len;
    return copy;
  }

  str = g_string_sized_new (len + 3);
  while (len > 0) {
    gsize valid;

    if (g_utf8_validate_len (s, len, &end)) {
      g_string_append_len (str, s, len);
      break;
    }
    valid = end - s;
    g_string_append_len (str, s, valid);
    if (*end == '\0' && keep_nul)
      g_string_append_len (str, "", 1);
    else
      g_string_append (str, "\357\277\275");
    s += valid + 1;
    len -= valid + 1;
  }
  *out_len = str->len;
  return g_string_free (str, FALSE);
}

/* ---- fields ---- */

static void
field_free (gpointer data)
{
  RtmpAmfField *field = data;

  g_free (field->name);
  rtmp_core_amf_value_unref (field->value);
  g_free (field);
}

static guint
field_hash (gconstpointer data)
{
  const RtmpAmfField *field = data;
  guint32 h = 2166136261u;
  gsize i;

  for (i = 0; i < field->name_len; i++)
    h = (h ^ (guint8) field->name[i]) * 16777619u;
  return h;
}

static gboolean
field_equal (gconstpointer a, gconstpointer b)
{
  const RtmpAmfField *fa = a, *fb = b;

  return fa->name_len == fb->name_len
      && memcmp (fa->name, fb->name, fa->name_len) == 0;
}

static RtmpAmfField *
find_field (const RtmpCoreAmfValue * object, const gchar * name, gsize name_len)
{
  RtmpAmfField key;
  guint i;

  if (object->index) {
    key.name = (gchar *) name;
    key.name_len = name_len;
    return g_hash_table_lookup (object->index, &key);
  }
  for (i = 0; i < object->fields->len; i++) {
    RtmpAmfField *field = g_ptr_array_index (object->fields, i);

    if (field->name_len == name_len && memcmp (field->name, name, name_len) == 0)
      return field;
  }
  return NULL;
}

static void
build_index (RtmpCoreAmfValue * object)
{
  guint i;

  object->index = g_hash_table_new (field_hash, field_equal);
  for (i = 0; i < object->fields->len; i++) {
    gpointer field = g_ptr_array_index (object->fields, i);

    g_hash_table_add (object->index, field);
  }
}

gboolean
rtmp_amf_value_is_object_like (const RtmpCoreAmfValue * value)
{
  return value->kind == RTMP_CORE_AMF_OBJECT
      || value->kind == RTMP_CORE_AMF_ECMA_ARRAY
      || value->kind == RTMP_CORE_AMF_TYPED_OBJECT;
}

/* Takes ownership of @field. @name need not be valid UTF-8 nor
 * NUL-terminated. An existing field of that name keeps its position. */
void
rtmp_amf_value_set_field_len (RtmpCoreAmfValue * object, const gchar * name,
    gsize name_len, RtmpCoreAmfValue * field)
{
  RtmpAmfField *existing, *added;
  gsize clean_len;
  gchar *clean = rtmp_amf_utf8_dup (name, name_len, FALSE, &clean_len);

  existing = find_field (object, clean, clean_len);
  if (existing) {
    rtmp_core_amf_value_unref (existing->value);
    existing->value = field;
    g_free (clean);
    return;
  }

  added = g_new (RtmpAmfField, 1);
  added->name = clean;
  added->name_len = clean_len;
  added->value = field;
  g_ptr_array_add (object->fields, added);
  if (object->index)
    g_hash_table_add (object->index, added);
  else if (object->fields->len >= RTMP_AMF_INDEX_THRESHOLD)
    build_index (object);
}

/* ---- construction ---- */

RtmpCoreAmfValue *
rtmp_amf_value_new (RtmpCoreAmfType kind)
{
  RtmpCoreAmfValue *value = g_new0 (RtmpCoreAmfValue, 1);

  value->ref_count = 1;
  value->kind = kind;
  switch (kind) {
    case RTMP_CORE_AMF_OBJECT:
    case RTMP_CORE_AMF_ECMA_ARRAY:
    case RTMP_CORE_AMF_TYPED_OBJECT:
      value->fields = g_ptr_array_new_with_free_func (field_free);
      break;
    case RTMP_CORE_AMF_STRICT_ARRAY:
      value->elements = g_ptr_array_new_with_free_func (
          (GDestroyNotify) rtmp_core_amf_value_unref);
      break;
    default:
      break;
  }
  return value;
}

RtmpCoreAmfValue *
rtmp_amf_value_new_string_kind (RtmpCoreAmfType kind, const gchar * string,
    gsize len)
{
  RtmpCoreAmfValue *value = rtmp_amf_value_new (kind);

  value->str = rtmp_amf_utf8_dup (string, len, TRUE, &value->str_len);
  return value;
}

/**
 * rtmp_core_amf_value_ref:
 * @value: a value
 *
 * Takes a reference. Thread-safe.
 *
 * Returns: (transfer full): @value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_ref (RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_atomic_int_inc (&value->ref_count);
  return value;
}

/**
 * rtmp_core_amf_value_unref:
 * @value: (transfer full): a value
 *
 * Drops a reference; the last one frees the value and drops its members.
 * Thread-safe.
 *
 * Since: 0.1
 */
void
rtmp_core_amf_value_unref (RtmpCoreAmfValue * value)
{
  g_return_if_fail (value != NULL);
  if (!g_atomic_int_dec_and_test (&value->ref_count))
    return;
  g_free (value->str);
  g_free (value->class_name);
  g_clear_pointer (&value->bytes, g_bytes_unref);
  g_clear_pointer (&value->index, g_hash_table_unref);
  g_clear_pointer (&value->fields, g_ptr_array_unref);
  g_clear_pointer (&value->elements, g_ptr_array_unref);
  g_free (value);
}

/**
 * rtmp_core_amf_value_new_number:
 * @number: the number
 *
 * Makes a number value.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_NUMBER value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_number (gdouble number)
{
  RtmpCoreAmfValue *value = rtmp_amf_value_new (RTMP_CORE_AMF_NUMBER);

  value->v.number = number;
  return value;
}

/**
 * rtmp_core_amf_value_new_boolean:
 * @boolean: the truth value
 *
 * Makes a boolean value.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_BOOLEAN value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_boolean (gboolean boolean)
{
  RtmpCoreAmfValue *value = rtmp_amf_value_new (RTMP_CORE_AMF_BOOLEAN);

  value->v.boolean = boolean ? TRUE : FALSE;
  return value;
}

/**
 * rtmp_core_amf_value_new_string:
 * @string: a NUL-terminated UTF-8 string
 *
 * Invalid UTF-8 bytes are replaced with U+FFFD.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_STRING value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_string (const gchar * string)
{
  g_return_val_if_fail (string != NULL, NULL);
  return rtmp_amf_value_new_string_kind (RTMP_CORE_AMF_STRING, string,
      strlen (string));
}

/**
 * rtmp_core_amf_value_new_string_len:
 * @string: UTF-8 text, which may contain NUL characters
 * @len: the length of @string in bytes, or -1 if it is NUL-terminated
 *
 * Invalid UTF-8 bytes are replaced with U+FFFD; NULs are kept.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_STRING value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_string_len (const gchar * string, gssize len)
{
  g_return_val_if_fail (string != NULL || len == 0, NULL);
  if (len < 0)
    len = strlen (string);
  return rtmp_amf_value_new_string_kind (RTMP_CORE_AMF_STRING,
      len ? string : "", len);
}

/**
 * rtmp_core_amf_value_new_null:
 *
 * Makes a null value, e.g. for a missing command object.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_NULL value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_null (void)
{
  return rtmp_amf_value_new (RTMP_CORE_AMF_NULL);
}

/**
 * rtmp_core_amf_value_new_undefined:
 *
 * Makes an undefined value.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_UNDEFINED value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_undefined (void)
{
  return rtmp_amf_value_new (RTMP_CORE_AMF_UNDEFINED);
}

/**
 * rtmp_core_amf_value_new_object:
 *
 * Makes an anonymous object without fields; add them with
 * rtmp_core_amf_value_set_field().
 *
 * Returns: (transfer full): a new, empty %RTMP_CORE_AMF_OBJECT
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_object (void)
{
  return rtmp_amf_value_new (RTMP_CORE_AMF_OBJECT);
}

/**
 * rtmp_core_amf_value_new_ecma_array:
 *
 * Makes an ECMA (associative) array without fields, the usual container
 * of onMetaData; add fields with rtmp_core_amf_value_set_field().
 *
 * Returns: (transfer full): a new, empty %RTMP_CORE_AMF_ECMA_ARRAY
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_ecma_array (void)
{
  return rtmp_amf_value_new (RTMP_CORE_AMF_ECMA_ARRAY);
}

/**
 * rtmp_core_amf_value_new_strict_array:
 *
 * Makes a strict (dense) array without elements; add them with
 * rtmp_core_amf_value_append().
 *
 * Returns: (transfer full): a new, empty %RTMP_CORE_AMF_STRICT_ARRAY
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_strict_array (void)
{
  return rtmp_amf_value_new (RTMP_CORE_AMF_STRICT_ARRAY);
}

/**
 * rtmp_core_amf_value_new_date:
 * @milliseconds: milliseconds since the Unix epoch, UTC
 * @time_zone: the time zone field (AMF0 says it should be 0)
 *
 * Makes a date value.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_DATE value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_date (gdouble milliseconds, gint16 time_zone)
{
  RtmpCoreAmfValue *value = rtmp_amf_value_new (RTMP_CORE_AMF_DATE);

  value->v.number = milliseconds;
  value->timezone = time_zone;
  return value;
}

/**
 * rtmp_core_amf_value_new_typed_object:
 * @class_name: the class name (UTF-8)
 *
 * Makes an object of a named class without fields.
 *
 * Returns: (transfer full): a new, empty %RTMP_CORE_AMF_TYPED_OBJECT
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_typed_object (const gchar * class_name)
{
  RtmpCoreAmfValue *value;
  gsize len;

  g_return_val_if_fail (class_name != NULL, NULL);
  value = rtmp_amf_value_new (RTMP_CORE_AMF_TYPED_OBJECT);
  value->class_name = rtmp_amf_utf8_dup (class_name, strlen (class_name), FALSE,
      &len);
  return value;
}

/**
 * rtmp_core_amf_value_new_xml:
 * @xml: the XML document as a NUL-terminated UTF-8 string
 *
 * Makes an XML document value. Invalid UTF-8 bytes are replaced with
 * U+FFFD.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_XML value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_xml (const gchar * xml)
{
  g_return_val_if_fail (xml != NULL, NULL);
  return rtmp_amf_value_new_string_kind (RTMP_CORE_AMF_XML, xml, strlen (xml));
}

/**
 * rtmp_core_amf_value_new_byte_array:
 * @bytes: (nullable): the contents; %NULL means empty
 *
 * Makes a byte array value (AMF3; AMF0 writes it after an AMF3 switch).
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_BYTE_ARRAY value holding a
 *   reference to @bytes
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_byte_array (GBytes * bytes)
{
  RtmpCoreAmfValue *value = rtmp_amf_value_new (RTMP_CORE_AMF_BYTE_ARRAY);

  value->bytes = bytes ? g_bytes_ref (bytes) : g_bytes_new (NULL, 0);
  return value;
}

/**
 * rtmp_core_amf_value_new_integer:
 * @integer: the integer
 *
 * AMF3 integers carry 29 bits; AMF0 has no integer type, so the AMF0 encoder
 * writes this as a number.
 *
 * Returns: (transfer full): a new %RTMP_CORE_AMF_INTEGER value
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_new_integer (gint32 integer)
{
  RtmpCoreAmfValue *value = rtmp_amf_value_new (RTMP_CORE_AMF_INTEGER);

  value->v.integer = integer;
  return value;
}

/* ---- accessors ---- */

/**
 * rtmp_core_amf_value_get_kind:
 * @value: a value
 *
 * Tells what kind of value @value is, which decides the getters that
 * apply to it.
 *
 * Returns: what kind of value this is
 *
 * Since: 0.1
 */
RtmpCoreAmfType
rtmp_core_amf_value_get_kind (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, RTMP_CORE_AMF_UNDEFINED);
  return value->kind;
}

/**
 * rtmp_core_amf_value_get_number:
 * @value: a number, an integer or a date
 *
 * Reads a number. AMF3 integers convert to a double.
 *
 * Returns: the number; for a date, its milliseconds since the epoch
 *
 * Since: 0.1
 */
gdouble
rtmp_core_amf_value_get_number (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);
  switch (value->kind) {
    case RTMP_CORE_AMF_NUMBER:
    case RTMP_CORE_AMF_DATE:
      return value->v.number;
    case RTMP_CORE_AMF_INTEGER:
      return value->v.integer;
    default:
      g_return_val_if_reached (0);
  }
}

/**
 * rtmp_core_amf_value_get_integer:
 * @value: an integer
 *
 * Reads an AMF3 integer.
 *
 * Returns: the integer
 *
 * Since: 0.1
 */
gint32
rtmp_core_amf_value_get_integer (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (value->kind == RTMP_CORE_AMF_INTEGER, 0);
  return value->v.integer;
}

/**
 * rtmp_core_amf_value_get_boolean:
 * @value: a boolean
 *
 * Reads a boolean.
 *
 * Returns: the truth value
 *
 * Since: 0.1
 */
gboolean
rtmp_core_amf_value_get_boolean (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (value->kind == RTMP_CORE_AMF_BOOLEAN, FALSE);
  return value->v.boolean;
}

/**
 * rtmp_core_amf_value_get_string:
 * @value: a string or an XML value
 *
 * The text is always NUL-terminated; it may also contain NULs, see
 * rtmp_core_amf_value_get_string_length().
 *
 * Returns: (transfer none): the UTF-8 text
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_amf_value_get_string (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == RTMP_CORE_AMF_STRING
      || value->kind == RTMP_CORE_AMF_XML, NULL);
  return value->str;
}

/**
 * rtmp_core_amf_value_get_string_length:
 * @value: a string or an XML value
 *
 * Gives the length of a string or XML value, which may be more than
 * strlen() of rtmp_core_amf_value_get_string() when the text holds NULs.
 *
 * Returns: the length of the text in bytes, counting any NULs in it
 *
 * Since: 0.1
 */
gsize
rtmp_core_amf_value_get_string_length (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (value->kind == RTMP_CORE_AMF_STRING
      || value->kind == RTMP_CORE_AMF_XML, 0);
  return value->str_len;
}

/**
 * rtmp_core_amf_value_get_timezone:
 * @value: a date
 *
 * Reads the time zone field of a date (AMF0 says it should be 0; AMF3
 * dates have none and give 0).
 *
 * Returns: the time zone field of the date
 *
 * Since: 0.1
 */
gint16
rtmp_core_amf_value_get_timezone (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);
  g_return_val_if_fail (value->kind == RTMP_CORE_AMF_DATE, 0);
  return value->timezone;
}

/**
 * rtmp_core_amf_value_get_class_name:
 * @value: a value
 *
 * Reads the class name of a typed object.
 *
 * Returns: (transfer none) (nullable): the class name of a typed object,
 *   %NULL for any other kind of value
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_amf_value_get_class_name (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, NULL);
  return value->class_name;
}

/**
 * rtmp_core_amf_value_get_bytes:
 * @value: a byte array
 *
 * Reads the contents of a byte array.
 *
 * Returns: (transfer none): the contents
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_amf_value_get_bytes (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (value->kind == RTMP_CORE_AMF_BYTE_ARRAY, NULL);
  return value->bytes;
}

/**
 * rtmp_core_amf_value_set_field:
 * @value: an object, ECMA array or typed object
 * @name: the field name (UTF-8)
 * @field: (transfer none): the field value, which gets referenced
 *
 * Sets a field. A field of that name keeps its position and gets the new
 * value; otherwise the field is added at the end. Do not make cycles.
 *
 * Since: 0.1
 */
void
rtmp_core_amf_value_set_field (RtmpCoreAmfValue * value, const gchar * name,
    RtmpCoreAmfValue * field)
{
  g_return_if_fail (field != NULL);
  rtmp_core_amf_value_take_field (value, name, rtmp_core_amf_value_ref (field));
}

/**
 * rtmp_core_amf_value_take_field: (skip)
 * @value: an object, ECMA array or typed object
 * @name: the field name (UTF-8)
 * @field: (transfer full): the field value
 *
 * Like rtmp_core_amf_value_set_field() but takes ownership of @field, so
 * that `take_field (obj, "a", rtmp_core_amf_value_new_number (1))` leaks
 * nothing.
 *
 * Since: 0.1
 */
void
rtmp_core_amf_value_take_field (RtmpCoreAmfValue * value, const gchar * name,
    RtmpCoreAmfValue * field)
{
  g_return_if_fail (field != NULL);
  if (value == NULL || name == NULL || !rtmp_amf_value_is_object_like (value)) {
    rtmp_core_amf_value_unref (field);
    g_return_if_fail (value != NULL && name != NULL
        && rtmp_amf_value_is_object_like (value));
    return;
  }
  rtmp_amf_value_set_field_len (value, name, strlen (name), field);
}

/**
 * rtmp_core_amf_value_get_field:
 * @value: a value
 * @name: the field name
 *
 * Looks up a field by name.
 *
 * Returns: (transfer none) (nullable): the field called @name, or %NULL if
 *   there is none or @value is not an object, ECMA array or typed object
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_get_field (const RtmpCoreAmfValue * value,
    const gchar * name)
{
  RtmpAmfField *field;

  g_return_val_if_fail (value != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  if (!rtmp_amf_value_is_object_like (value))
    return NULL;
  field = find_field (value, name, strlen (name));
  return field ? field->value : NULL;
}

/**
 * rtmp_core_amf_value_get_n_fields:
 * @value: a value
 *
 * Counts the fields of an object, ECMA array or typed object.
 *
 * Returns: the number of fields of an object, ECMA array or typed object;
 *   0 for other values
 *
 * Since: 0.1
 */
guint
rtmp_core_amf_value_get_n_fields (const RtmpCoreAmfValue * value)
{
  g_return_val_if_fail (value != NULL, 0);
  return value->fields ? value->fields->len : 0;
}

/**
 * rtmp_core_amf_value_get_field_name:
 * @value: a value
 * @index: the position of the field, in insertion order
 *
 * Reads the name of the field at @index, for iterating in order.
 *
 * Returns: (transfer none) (nullable): the name of the field, or %NULL if
 *   @index is out of range
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_amf_value_get_field_name (const RtmpCoreAmfValue * value, guint index)
{
  RtmpAmfField *field;

  g_return_val_if_fail (value != NULL, NULL);
  if (!value->fields || index >= value->fields->len)
    return NULL;
  field = g_ptr_array_index (value->fields, index);
  return field->name;
}

/**
 * rtmp_core_amf_value_get_field_value:
 * @value: a value
 * @index: the position of the field, in insertion order
 *
 * Reads the value of the field at @index, for iterating in order.
 *
 * Returns: (transfer none) (nullable): the value of the field, or %NULL if
 *   @index is out of range
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_get_field_value (const RtmpCoreAmfValue * value,
    guint index)
{
  RtmpAmfField *field;

  g_return_val_if_fail (value != NULL, NULL);
  if (!value->fields || index >= value->fields->len)
    return NULL;
  field = g_ptr_array_index (value->fields, index);
  return field->value;
}

/**
 * rtmp_core_amf_value_remove_field:
 * @value: an object, ECMA array or typed object
 * @name: the field name
 *
 * Removes a field; the others keep their order.
 *
 * Returns: %TRUE if there was such a field
 *
 * Since: 0.1
 */
gboolean
rtmp_core_amf_value_remove_field (RtmpCoreAmfValue * value, const gchar * name)
{
  RtmpAmfField *field;

  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  if (!rtmp_amf_value_is_object_like (value))
    return FALSE;
  field = find_field (value, name, strlen (name));
  if (!field)
    return FALSE;
  if (value->index)
    g_hash_table_remove (value->index, field);
  g_ptr_array_remove (value->fields, field);
  return TRUE;
}

/**
 * rtmp_core_amf_value_append:
 * @array: a strict array
 * @element: (transfer none): the value to add, which gets referenced
 *
 * Adds an element at the end. Do not make cycles.
 *
 * Since: 0.1
 */
void
rtmp_core_amf_value_append (RtmpCoreAmfValue * array, RtmpCoreAmfValue * element)
{
  g_return_if_fail (element != NULL);
  rtmp_core_amf_value_take_element (array, rtmp_core_amf_value_ref (element));
}

/**
 * rtmp_core_amf_value_take_element: (skip)
 * @array: a strict array
 * @element: (transfer full): the value to add
 *
 * Like rtmp_core_amf_value_append() but takes ownership of @element.
 *
 * Since: 0.1
 */
void
rtmp_core_amf_value_take_element (RtmpCoreAmfValue * array,
    RtmpCoreAmfValue * element)
{
  g_return_if_fail (element != NULL);
  if (array == NULL || array->kind != RTMP_CORE_AMF_STRICT_ARRAY) {
    rtmp_core_amf_value_unref (element);
    g_return_if_fail (array != NULL && array->kind == RTMP_CORE_AMF_STRICT_ARRAY);
    return;
  }
  g_ptr_array_add (array->elements, element);
}

/**
 * rtmp_core_amf_value_get_n_elements:
 * @array: a value
 *
 * Counts the elements of a strict array.
 *
 * Returns: the number of elements of a strict array; 0 for other values
 *
 * Since: 0.1
 */
guint
rtmp_core_amf_value_get_n_elements (const RtmpCoreAmfValue * array)
{
  g_return_val_if_fail (array != NULL, 0);
  return array->elements ? array->elements->len : 0;
}

/**
 * rtmp_core_amf_value_get_element:
 * @array: a value
 * @index: the position of the element
 *
 * Reads the element at @index of a strict array.
 *
 * Returns: (transfer none) (nullable): the element, or %NULL if @index is out
 *   of range or @array is not a strict array
 *
 * Since: 0.1
 */
RtmpCoreAmfValue *
rtmp_core_amf_value_get_element (const RtmpCoreAmfValue * array, guint index)
{
  g_return_val_if_fail (array != NULL, NULL);
  if (!array->elements || index >= array->elements->len)
    return NULL;
  return g_ptr_array_index (array->elements, index);
}

/**
 * rtmp_core_amf_value_lookup_string:
 * @object: (nullable): an object, ECMA array or typed object
 * @name: the field name
 *
 * Looks up a string field, tolerating a missing object or field and a
 * field of another type.
 *
 * Returns: (transfer none) (nullable): the text of the field called @name
 *   if it is a string; %NULL if @object is %NULL, has no such field, or the
 *   field is not a string
 *
 * Since: 0.1
 */
const gchar *
rtmp_core_amf_value_lookup_string (const RtmpCoreAmfValue * object,
    const gchar * name)
{
  RtmpCoreAmfValue *field;

  g_return_val_if_fail (name != NULL, NULL);
  if (!object)
    return NULL;
  field = rtmp_core_amf_value_get_field (object, name);
  if (!field || field->kind != RTMP_CORE_AMF_STRING)
    return NULL;
  return field->str;
}

/**
 * rtmp_core_amf_value_lookup_number:
 * @object: (nullable): an object, ECMA array or typed object
 * @name: the field name
 * @number: (out) (optional): the number
 *
 * Looks up a number (or an AMF3 integer) field.
 *
 * Returns: %TRUE if the field exists and is a number; @number is then set
 *
 * Since: 0.1
 */
gboolean
rtmp_core_amf_value_lookup_number (const RtmpCoreAmfValue * object,
    const gchar * name, gdouble * number)
{
  RtmpCoreAmfValue *field;

  g_return_val_if_fail (name != NULL, FALSE);
  if (!object)
    return FALSE;
  field = rtmp_core_amf_value_get_field (object, name);
  if (!field || (field->kind != RTMP_CORE_AMF_NUMBER
          && field->kind != RTMP_CORE_AMF_INTEGER))
    return FALSE;
  if (number)
    *number = rtmp_core_amf_value_get_number (field);
  return TRUE;
}

/* ---- comparison ---- */

static gboolean
number_equal (gdouble a, gdouble b)
{
  return a == b || (isnan (a) && isnan (b));
}

static gboolean
is_numeric (const RtmpCoreAmfValue * value)
{
  return value->kind == RTMP_CORE_AMF_NUMBER
      || value->kind == RTMP_CORE_AMF_INTEGER;
}

static gboolean
fields_equal (const RtmpCoreAmfValue * a, const RtmpCoreAmfValue * b)
{
  guint i;

  if (a->fields->len != b->fields->len)
    return FALSE;
  if (g_strcmp0 (a->class_name, b->class_name) != 0)
    return FALSE;
  for (i = 0; i < a->fields->len; i++) {
    RtmpAmfField *fa = g_ptr_array_index (a->fields, i);
    RtmpAmfField *fb = find_field (b, fa->name, fa->name_len);

    if (!fb || !rtmp_core_amf_value_equal (fa->value, fb->value))
      return FALSE;
  }
  return TRUE;
}

static gboolean
elements_equal (const RtmpCoreAmfValue * a, const RtmpCoreAmfValue * b)
{
  guint i;

  if (a->elements->len != b->elements->len)
    return FALSE;
  for (i = 0; i < a->elements->len; i++) {
    if (!rtmp_core_amf_value_equal (g_ptr_array_index (a->elements, i),
            g_ptr_array_index (b->elements, i)))
      return FALSE;
  }
  return TRUE;
}

/**
 * rtmp_core_amf_value_equal:
 * @a: a value
 * @b: another value
 *
 * Compares two values deeply. Numbers and AMF3 integers compare by numeric
 * value, and NaN equals NaN. Fields compare by name whatever their order; a
 * typed object's class name must match too. Strict arrays compare element by
 * element.
 *
 * Returns: %TRUE if @a and @b hold the same data
 *
 * Since: 0.1
 */
gboolean
rtmp_core_amf_value_equal (const RtmpCoreAmfValue * a, const RtmpCoreAmfValue * b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  if (a == b)
    return TRUE;
  if (is_numeric (a) && is_numeric (b))
    return number_equal (rtmp_core_amf_value_get_number (a),
        rtmp_core_amf_value_get_number (b));
  if (a->kind != b->kind)
    return FALSE;

  switch (a->kind) {
    case RTMP_CORE_AMF_BOOLEAN:
      return a->v.boolean == b->v.boolean;
    case RTMP_CORE_AMF_STRING:
    case RTMP_CORE_AMF_XML:
      return a->str_len == b->str_len && memcmp (a->str, b->str, a->str_len) == 0;
    case RTMP_CORE_AMF_DATE:
      return number_equal (a->v.number, b->v.number) && a->timezone == b->timezone;
    case RTMP_CORE_AMF_BYTE_ARRAY:
      return g_bytes_equal (a->bytes, b->bytes);
    case RTMP_CORE_AMF_OBJECT:
    case RTMP_CORE_AMF_ECMA_ARRAY:
    case RTMP_CORE_AMF_TYPED_OBJECT:
      return fields_equal (a, b);
    case RTMP_CORE_AMF_STRICT_ARRAY:
      return elements_equal (a, b);
    default:
      return TRUE;              /* null, undefined */
  }
}

/* ---- debug dump ---- */

static void
append_number (GString * out, gdouble d)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (d)) {
    g_string_append (out, "NaN");
  } else if (isinf (d)) {
    g_string_append (out, d > 0 ? "Infinity" : "-Infinity");
  } else {
    /* The short form unless it loses precision. */
    g_ascii_formatd (buf, sizeof (buf), "%.15g", d);
    if (g_ascii_strtod (buf, NULL) != d)
      g_ascii_formatd (buf, sizeof (buf), "%.17g", d);
    g_string_append (out, buf);
  }
}

static void
append_quoted (GString * out, const gchar * s, gsize len)
{
  gsize i;

  g_string_append_c (out, '"');
  for (i = 0; i < len; i++) {
    guchar c = s[i];

    switch (c) {
      case '"':
        g_string_append (out, "\\\"");
        break;
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      default:
        if (c < 0x20)
          g_string_append_printf (out, "\\u%04x", c);
        else
          g_string_append_c (out, c);
    }
  }
  g_string_append_c (out, '"');
}

static void append_value (GString * out, const RtmpCoreAmfValue * value);

static void
append_fields (GString * out, const RtmpCoreAmfValue * value)
{
  guint i;

  g_string_append_c (out, '{');
  for (i = 0; i < value->fields->len; i++) {
    RtmpAmfField *field = g_ptr_array_index (value->fields, i);

    if (i > 0)
      g_string_append (out, ", ");
    append_quoted (out, field->name, field->name_len);
    g_string_append (out, ": ");
    append_value (out, field->value);
  }
  g_string_append_c (out, '}');
}

static void
append_bytes (GString * out, GBytes * bytes)
{
  gsize size, i;
  const guint8 *data = g_bytes_get_data (bytes, &size);

  g_string_append_printf (out, "bytes(%" G_GSIZE_FORMAT ":", size);
  for (i = 0; i < size && i < 32; i++)
    g_string_append_printf (out, " %02x", data[i]);
  g_string_append (out, size > 32 ? " ...)" : ")");
}

static void
append_value (GString * out, const RtmpCoreAmfValue * value)
{
  guint i;

  switch (value->kind) {
    case RTMP_CORE_AMF_NUMBER:
      append_number (out, value->v.number);
      break;
    case RTMP_CORE_AMF_INTEGER:
      g_string_append_printf (out, "%" G_GINT32_FORMAT, value->v.integer);
      break;
    case RTMP_CORE_AMF_BOOLEAN:
      g_string_append (out, value->v.boolean ? "true" : "false");
      break;
    case RTMP_CORE_AMF_STRING:
      append_quoted (out, value->str, value->str_len);
      break;
    case RTMP_CORE_AMF_XML:
      g_string_append (out, "xml ");
      append_quoted (out, value->str, value->str_len);
      break;
    case RTMP_CORE_AMF_NULL:
      g_string_append (out, "null");
      break;
    case RTMP_CORE_AMF_UNDEFINED:
      g_string_append (out, "undefined");
      break;
    case RTMP_CORE_AMF_DATE:
      g_string_append (out, "date(");
      append_number (out, value->v.number);
      g_string_append_printf (out, ", tz %d)", value->timezone);
      break;
    case RTMP_CORE_AMF_BYTE_ARRAY:
      append_bytes (out, value->bytes);
      break;
    case RTMP_CORE_AMF_OBJECT:
      append_fields (out, value);
      break;
    case RTMP_CORE_AMF_ECMA_ARRAY:
      g_string_append (out, "ecma-array ");
      append_fields (out, value);
      break;
    case RTMP_CORE_AMF_TYPED_OBJECT:
      g_string_append (out, "typed-object ");
      append_quoted (out, value->class_name, strlen (value->class_name));
      g_string_append_c (out, ' ');
      append_fields (out, value);
      break;
    case RTMP_CORE_AMF_STRICT_ARRAY:
      g_string_append_c (out, '[');
      for (i = 0; i < value->elements->len; i++) {
        if (i > 0)
          g_string_append (out, ", ");
        append_value (out, g_ptr_array_index (value->elements, i));
      }
      g_string_append_c (out, ']');
      break;
  }
}

/**
 * rtmp_core_amf_value_to_string:
 * @value: a value
 *
 * Dumps a value in a JSON-like notation for logs and debugging, e.g.
 * `{"app": "live", "tcUrl": "rtmp://host/live"}`. ECMA arrays, typed
 * objects, dates, XML and byte arrays are marked with their kind. The format
 * is not meant to be parsed back.
 *
 * Returns: (transfer full): the text
 *
 * Since: 0.1
 */
gchar *
rtmp_core_amf_value_to_string (const RtmpCoreAmfValue * value)
{
  GString *out;

  g_return_val_if_fail (value != NULL, NULL);
  out = g_string_new (NULL);
  append_value (out, value);
  return g_string_free (out, FALSE);
}
