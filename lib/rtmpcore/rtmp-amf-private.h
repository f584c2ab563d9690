/* Internals shared by the AMF value, AMF0 and AMF3 code. Never installed,
 * never scanned for the GIR. */
#pragma once

#include "rtmp-amf.h"
#include "rtmp-bytes-private.h"

G_BEGIN_DECLS

/* Bytes that references (AMF0 references, AMF3 string/object/traits
 * references) may add to one decode call. Without it a small message made of
 * references to one large string makes the decoder copy gigabytes, and
 * consumers that walk or re-encode the values do the same. */
#define RTMP_AMF_MAX_REFERENCED_BYTES (1024 * 1024)

/* Objects with at least this many fields get a name index. */
#define RTMP_AMF_INDEX_THRESHOLD 8

typedef struct {
  gchar *name;                  /* NUL-terminated, no NULs inside */
  gsize name_len;
  RtmpCoreAmfValue *value;      /* owned */
} RtmpAmfField;

struct _RtmpCoreAmfValue {
  gint ref_count;
  RtmpCoreAmfType kind;
  union {
    gdouble number;             /* NUMBER; DATE milliseconds */
    gboolean boolean;
    gint32 integer;
  } v;
  gint16 timezone;              /* DATE */
  gchar *str;                   /* STRING, XML: NUL-terminated, str_len bytes */
  gsize str_len;
  gchar *class_name;            /* TYPED_OBJECT */
  GBytes *bytes;                /* BYTE_ARRAY */
  GPtrArray *fields;            /* RtmpAmfField*: OBJECT, ECMA_ARRAY, TYPED_OBJECT */
  GHashTable *index;            /* RtmpAmfField* set, once fields are many */
  GPtrArray *elements;          /* RtmpCoreAmfValue*: STRICT_ARRAY */
};

/* A table entry for AMF0 references and AMF3 object references. The logical
 * size of the subtree is charged again each time a reference repeats it. */
typedef struct {
  RtmpCoreAmfValue *value;      /* owned */
  guint n_values;
  gsize n_bytes;
  gboolean done;                /* FALSE while its members are being decoded */
  guint depth;                  /* the decoder's depth when it started */
  guint height;                 /* levels it nests below itself, references included */
  guint saved_deepest;          /* the decoder's deepest level before it started */
} RtmpAmfRef;

/* An AMF3 string table entry: it points into the input being decoded. */
typedef struct {
  const guint8 *data;
  gsize len;
} RtmpAmfSpan;

typedef struct {
  RtmpAmfSpan class_name;
  gboolean dynamic;
  GArray *members;              /* RtmpAmfSpan */
} RtmpAmf3Traits;

/* The state of one top-level decode call (one message). */
typedef struct {
  RtmpByteReader r;
  guint depth;
  guint deepest;                /* deepest logical level reached, references included */
  guint n_values;               /* logical values produced */
  gsize n_bytes;                /* logical string and byte-array bytes produced */
  gsize referenced_bytes;       /* of n_bytes, those repeated by references */
  GArray *amf0_refs;            /* RtmpAmfRef */
  GArray *amf3_strings;         /* RtmpAmfSpan */
  GArray *amf3_objects;         /* RtmpAmfRef */
  GPtrArray *amf3_traits;       /* RtmpAmf3Traits* */
} RtmpAmfDecoder;

/* rtmp-amf-value.c */
gchar *rtmp_amf_utf8_dup (const gchar * s, gsize len, gboolean keep_nul,
    gsize * out_len);
RtmpCoreAmfValue *rtmp_amf_value_new (RtmpCoreAmfType kind);
RtmpCoreAmfValue *rtmp_amf_value_new_string_kind (RtmpCoreAmfType kind,
    const gchar * string, gsize len);
void rtmp_amf_value_set_field_len (RtmpCoreAmfValue * object, const gchar * name,
    gsize name_len, RtmpCoreAmfValue * field);
gboolean rtmp_amf_value_is_object_like (const RtmpCoreAmfValue * value);

typedef RtmpCoreAmfValue *(*RtmpAmfDecodeFunc) (RtmpAmfDecoder * dec,
    GError ** error);

/* rtmp-amf0.c: the decoder state, shared with AMF3 through the 0x11 switch */
void rtmp_amf_decoder_init (RtmpAmfDecoder * dec, const guint8 * data, gsize size);
void rtmp_amf_decoder_clear (RtmpAmfDecoder * dec);
RtmpCoreAmfValue *rtmp_amf_decode_one (const guint8 * data, gsize size,
    RtmpAmfDecodeFunc decode_value, gsize * consumed, GError ** error);
gboolean rtmp_amf_decoder_get_marker (RtmpAmfDecoder * dec,
    const gchar * format_name, guint8 * marker, GError ** error);
void rtmp_amf_set_value_error (GError ** error, gint code,
    const gchar * format_name, const gchar * type_name, guint8 marker,
    gsize offset, const gchar * format, va_list args) G_GNUC_PRINTF (7, 0);
gboolean rtmp_amf_decoder_count_value (RtmpAmfDecoder * dec, gsize offset,
    GError ** error);
gboolean rtmp_amf_decoder_count_bytes (RtmpAmfDecoder * dec, gsize n,
    gboolean referenced, gsize offset, GError ** error);
gboolean rtmp_amf_decoder_enter (RtmpAmfDecoder * dec, gsize offset, GError ** error);
guint rtmp_amf_ref_begin (RtmpAmfDecoder * dec, GArray * table,
    RtmpCoreAmfValue * value);
void rtmp_amf_ref_end (RtmpAmfDecoder * dec, GArray * table, guint index,
    guint start_values, gsize start_bytes);
RtmpCoreAmfValue *rtmp_amf_ref_resolve (RtmpAmfDecoder * dec, GArray * table,
    guint index, const gchar * what, gsize offset, GError ** error);
RtmpCoreAmfValue *rtmp_amf0_decode_value (RtmpAmfDecoder * dec, GError ** error);

/* rtmp-amf3.c */
RtmpCoreAmfValue *rtmp_amf3_decode_value (RtmpAmfDecoder * dec, GError ** error);
void rtmp_amf3_traits_free (gpointer traits);
void rtmp_amf3_append_u29 (GByteArray * out, guint32 value);

G_END_DECLS
