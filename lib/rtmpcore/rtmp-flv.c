/* FLV tag parser and writers. */
#include "rtmp-flv.h"
#include "rtmp-error.h"
#include "rtmp-bytes-private.h"

#define BACK_POINTER_SIZE 4
#define TAG_TYPE_MASK 0x1f
/* Set on tags whose body is encrypted ("filtered", FLV 10.1). */
#define TAG_FILTER_BIT 0x20

/* Each state gathers one fixed-size field into parser->fixed, except
 * HEADER_SKIP and TAG_BODY which consume a counted run of bytes. */
typedef enum {
  STATE_SIGNATURE,              /* "FLV", or the first bytes of a tag header */
  STATE_FILE_HEADER,            /* the rest of the 9-byte file header */
  STATE_HEADER_SKIP,            /* file header bytes beyond the 9 we know */
  STATE_BACK_POINTER,           /* PreviousTagSize after the header or a tag */
  STATE_TAG_HEADER,
  STATE_TAG_BODY,
  STATE_FAILED,
} ParserState;

struct _RtmpCoreFlvParser {
  gint ref_count;

  RtmpCoreFlvTagFunc func;
  gpointer user_data;
  GDestroyNotify notify;
  guint32 max_tag_size;

  ParserState state;
  guint8 fixed[RTMP_CORE_FLV_TAG_HEADER_SIZE];
  gsize fixed_len;
  guint32 skip;
  guint32 expected_back_pointer;
  GError *failure;

  /* The tag being read; body holds it when it spans feeds. */
  guint8 tag_type;
  guint32 tag_size;
  guint32 tag_timestamp;
  GByteArray *body;

  gboolean have_header;
  guint8 flags;
  guint n_bad_back_pointers;

  /* Set only during rtmp_core_flv_parser_feed_bytes(). */
  GPtrArray *collect;
  GBytes *collect_source;
};

G_DEFINE_BOXED_TYPE (RtmpCoreFlvParser, rtmp_core_flv_parser,
    rtmp_core_flv_parser_ref, rtmp_core_flv_parser_unref)

/**
 * rtmp_core_flv_parser_new:
 *
 * Makes a parser that expects an optional FLV file header, then tags.
 *
 * Returns: (transfer full): a new parser
 *
 * Since: 0.1
 */
RtmpCoreFlvParser *
rtmp_core_flv_parser_new (void)
{
  RtmpCoreFlvParser *parser = g_new0 (RtmpCoreFlvParser, 1);

  parser->ref_count = 1;
  parser->max_tag_size = RTMP_CORE_FLV_MAX_TAG_SIZE;
  parser->state = STATE_SIGNATURE;
  parser->body = g_byte_array_new ();
  return parser;
}

/**
 * rtmp_core_flv_parser_ref:
 * @parser: a parser
 *
 * Adds a reference to @parser. The count itself is atomic, but the parser
 * is not thread-safe: every holder must use it from the same thread.
 *
 * Returns: (transfer full): @parser
 *
 * Since: 0.1
 */
RtmpCoreFlvParser *
rtmp_core_flv_parser_ref (RtmpCoreFlvParser * parser)
{
  g_return_val_if_fail (parser != NULL, NULL);
  g_atomic_int_inc (&parser->ref_count);
  return parser;
}

/**
 * rtmp_core_flv_parser_unref:
 * @parser: (transfer full): a parser
 *
 * Drops a reference; the last one frees the parser and calls the callback's
 * destroy notify.
 *
 * Since: 0.1
 */
void
rtmp_core_flv_parser_unref (RtmpCoreFlvParser * parser)
{
  g_return_if_fail (parser != NULL);
  if (!g_atomic_int_dec_and_test (&parser->ref_count))
    return;
  if (parser->notify)
    parser->notify (parser->user_data);
  g_byte_array_unref (parser->body);
  g_clear_error (&parser->failure);
  g_free (parser);
}

/**
 * rtmp_core_flv_parser_set_callback:
 * @parser: a parser
 * @func: (nullable) (scope notified) (closure user_data) (destroy notify):
 *   called for each complete tag
 * @user_data: data for @func
 * @notify: (nullable): frees @user_data when replaced or when the parser is
 *   freed
 *
 * Sets the function that receives the tags.
 *
 * Since: 0.1
 */
void
rtmp_core_flv_parser_set_callback (RtmpCoreFlvParser * parser,
    RtmpCoreFlvTagFunc func, gpointer user_data, GDestroyNotify notify)
{
  GDestroyNotify old_notify;
  gpointer old_data;

  g_return_if_fail (parser != NULL);
  old_notify = parser->notify;
  old_data = parser->user_data;
  parser->func = func;
  parser->user_data = user_data;
  parser->notify = notify;
  if (old_notify)
    old_notify (old_data);
}

/**
 * rtmp_core_flv_parser_set_max_tag_size:
 * @parser: a parser
 * @max_size: the largest tag data size to accept, at most
 *   %RTMP_CORE_FLV_MAX_TAG_SIZE (the default)
 *
 * Caps the size of one tag, and so the memory a tag split across feeds can
 * take. A larger tag fails the feed with %RTMP_CORE_ERROR_MESSAGE_TOO_LARGE.
 *
 * Since: 0.1
 */
void
rtmp_core_flv_parser_set_max_tag_size (RtmpCoreFlvParser * parser,
    guint32 max_size)
{
  g_return_if_fail (parser != NULL);
  parser->max_tag_size = MIN (max_size, RTMP_CORE_FLV_MAX_TAG_SIZE);
}

static gboolean
parser_fail (RtmpCoreFlvParser * parser, GError ** error, gint code,
    const gchar * format, ...) G_GNUC_PRINTF (4, 5);

/* Fails the parser for good: later feeds report the same error. */
static gboolean
parser_fail (RtmpCoreFlvParser * parser, GError ** error, gint code,
    const gchar * format, ...)
{
  va_list args;

  va_start (args, format);
  parser->failure = g_error_new_valist (RTMP_CORE_ERROR, code, format, args);
  va_end (args);
  parser->state = STATE_FAILED;
  g_propagate_error (error, g_error_copy (parser->failure));
  return FALSE;
}

/* Moves bytes of the input into parser->fixed until it holds @want bytes.
 * Returns TRUE once it does. */
static gboolean
gather (RtmpCoreFlvParser * parser, const guint8 ** data, gsize * size,
    gsize want)
{
  gsize n = MIN (want - parser->fixed_len, *size);

  memcpy (parser->fixed + parser->fixed_len, *data, n);
  parser->fixed_len += n;
  *data += n;
  *size -= n;
  return parser->fixed_len == want;
}

static void
emit_tag (RtmpCoreFlvParser * parser, const guint8 * data)
{
  RtmpCoreMessage view = { 0, };

  view.type = parser->tag_type;
  view.timestamp = parser->tag_timestamp;
  view.data = data;
  view.size = parser->tag_size;

  if (parser->func)
    parser->func (&view, parser->user_data);

  if (parser->collect) {
    GBytes *payload = NULL;
    gsize src_size = 0;
    const guint8 *src = NULL;

    if (parser->collect_source)
      src = g_bytes_get_data (parser->collect_source, &src_size);
    /* Share the fed GBytes when the tag lies inside it. */
    if (src && data >= src && (gsize) (data - src) <= src_size &&
        view.size <= src_size - (gsize) (data - src))
      payload = g_bytes_new_from_bytes (parser->collect_source, data - src,
          view.size);
    else
      payload = g_bytes_new (data, view.size);
    g_ptr_array_add (parser->collect, rtmp_core_message_new (view.type, 0, 0,
            view.timestamp, payload));
    g_bytes_unref (payload);
  }
}

static gboolean
handle_file_header (RtmpCoreFlvParser * parser, GError ** error)
{
  guint32 header_size = rtmp_read_u32_be (parser->fixed + 5);

  if (header_size < RTMP_CORE_FLV_HEADER_SIZE)
    return parser_fail (parser, error, RTMP_CORE_ERROR_MALFORMED,
        "FLV header announces a header size of %u bytes, less than %d",
        header_size, RTMP_CORE_FLV_HEADER_SIZE);

  parser->have_header = TRUE;
  parser->flags = parser->fixed[4];
  parser->skip = header_size - RTMP_CORE_FLV_HEADER_SIZE;
  parser->expected_back_pointer = 0;
  parser->fixed_len = 0;
  parser->state = parser->skip ? STATE_HEADER_SKIP : STATE_BACK_POINTER;
  return TRUE;
}

static gboolean
handle_tag_header (RtmpCoreFlvParser * parser, GError ** error)
{
  guint8 type;
  guint32 size, timestamp;

  rtmp_read_flv_tag_header (parser->fixed, &type, &size, &timestamp);
  if (type & TAG_FILTER_BIT)
    return parser_fail (parser, error, RTMP_CORE_ERROR_UNSUPPORTED,
        "FLV tag of type %u is encrypted (filter bit set in type byte 0x%02x)",
        type & TAG_TYPE_MASK, type);

  /* The two top bits are reserved; only the low five give the type. */
  parser->tag_type = type & TAG_TYPE_MASK;
  parser->tag_size = size;
  parser->tag_timestamp = timestamp;
  if (parser->tag_size > parser->max_tag_size)
    return parser_fail (parser, error, RTMP_CORE_ERROR_MESSAGE_TOO_LARGE,
        "FLV tag of type %u has %u data bytes, more than the maximum %u",
        parser->tag_type, parser->tag_size, parser->max_tag_size);

  parser->expected_back_pointer = RTMP_CORE_FLV_TAG_HEADER_SIZE +
      parser->tag_size;
  parser->fixed_len = 0;
  g_byte_array_set_size (parser->body, 0);
  parser->state = STATE_TAG_BODY;
  return TRUE;
}

/* Consumes tag data; reports the tag and returns TRUE once it is whole. */
static gboolean
read_tag_body (RtmpCoreFlvParser * parser, const guint8 ** data, gsize * size)
{
  gsize need = parser->tag_size - parser->body->len;
  gsize n = MIN (need, *size);

  if (parser->body->len == 0 && n == need) {
    emit_tag (parser, *data);
  } else {
    g_byte_array_append (parser->body, *data, n);
    if (n == need)
      emit_tag (parser, parser->body->data);
  }
  *data += n;
  *size -= n;
  return n == need;
}

static gboolean
parser_step (RtmpCoreFlvParser * parser, const guint8 ** data, gsize * size,
    GError ** error)
{
  static const gchar signature[] = "FLV";

  switch (parser->state) {
    case STATE_SIGNATURE:
      /* Decide byte by byte: anything but "FLV" starts a bare tag stream. */
      while (*size > 0 && parser->fixed_len < 3) {
        if (**data != (guint8) signature[parser->fixed_len]) {
          parser->state = STATE_TAG_HEADER;
          return TRUE;
        }
        gather (parser, data, size, parser->fixed_len + 1);
      }
      if (parser->fixed_len == 3)
        parser->state = STATE_FILE_HEADER;
      return TRUE;
    case STATE_FILE_HEADER:
      if (gather (parser, data, size, RTMP_CORE_FLV_HEADER_SIZE))
        return handle_file_header (parser, error);
      return TRUE;
    case STATE_HEADER_SKIP:{
      gsize n = MIN (parser->skip, *size);

      parser->skip -= n;
      *data += n;
      *size -= n;
      if (parser->skip == 0)
        parser->state = STATE_BACK_POINTER;
      return TRUE;
    }
    case STATE_BACK_POINTER:
      if (gather (parser, data, size, BACK_POINTER_SIZE)) {
        /* Writers get this wrong often enough that we only count it. */
        if (rtmp_read_u32_be (parser->fixed) != parser->expected_back_pointer)
          parser->n_bad_back_pointers++;
        parser->fixed_len = 0;
        parser->state = STATE_TAG_HEADER;
      }
      return TRUE;
    case STATE_TAG_HEADER:
      if (gather (parser, data, size, RTMP_CORE_FLV_TAG_HEADER_SIZE))
        return handle_tag_header (parser, error);
      return TRUE;
    case STATE_TAG_BODY:
      if (read_tag_body (parser, data, size))
        parser->state = STATE_BACK_POINTER;
      return TRUE;
    case STATE_FAILED:
    default:
      g_propagate_error (error, g_error_copy (parser->failure));
      return FALSE;
  }
}

static gboolean
parser_feed (RtmpCoreFlvParser * parser, const guint8 * data, gsize size,
    GError ** error)
{
  gboolean ok = TRUE;

  /* A callback may drop the caller's last reference. */
  rtmp_core_flv_parser_ref (parser);
  if (parser->state == STATE_FAILED)
    ok = parser_step (parser, &data, &size, error);
  /* A zero-length tag completes without input, so loop on the state too. */
  while (ok && (size > 0 || (parser->state == STATE_TAG_BODY &&
              parser->tag_size == 0)))
    ok = parser_step (parser, &data, &size, error);
  rtmp_core_flv_parser_unref (parser);
  return ok;
}

/**
 * rtmp_core_flv_parser_feed:
 * @parser: a parser
 * @data: (array length=size): the next bytes of the stream
 * @size: the number of bytes
 * @error: return location for a #GError
 *
 * Parses bytes in any split, calling the callback for every tag they
 * complete. The stream may start with an FLV file header ("FLV", version,
 * flags, header size of 9 or more, then PreviousTagSize0) or directly with
 * a tag. Previous tag sizes that do not match are counted, not fatal. The
 * two reserved top bits of the tag type byte are ignored and tags of
 * unknown types are reported too.
 *
 * After an error the parser stays failed and every later call reports it.
 * Do not feed the parser from its own callback.
 *
 * Returns: %TRUE on success; %FALSE with %RTMP_CORE_ERROR_MALFORMED for a
 *   bad header size, %RTMP_CORE_ERROR_UNSUPPORTED for an encrypted tag, or
 *   %RTMP_CORE_ERROR_MESSAGE_TOO_LARGE for a tag over the maximum size
 *
 * Since: 0.1
 */
gboolean
rtmp_core_flv_parser_feed (RtmpCoreFlvParser * parser, const guint8 * data,
    gsize size, GError ** error)
{
  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return parser_feed (parser, data, size, error);
}

/**
 * rtmp_core_flv_parser_feed_bytes:
 * @parser: a parser
 * @data: (transfer none): the next bytes of the stream
 * @error: return location for a #GError
 *
 * Like rtmp_core_flv_parser_feed(), but also returns the completed tags as
 * owned messages (the callback, if any, is called as well). A tag that lies
 * wholly inside @data shares its storage; one that spans feeds is copied.
 *
 * Returns: (transfer container) (element-type RtmpCoreMessage) (nullable): the
 *   tags completed by @data, or %NULL on error
 *
 * Since: 0.1
 */
GPtrArray *
rtmp_core_flv_parser_feed_bytes (RtmpCoreFlvParser * parser, GBytes * data,
    GError ** error)
{
  GPtrArray *tags;
  const guint8 *bytes;
  gsize size;
  gboolean ok;

  g_return_val_if_fail (parser != NULL, NULL);
  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  g_return_val_if_fail (parser->collect == NULL, NULL);

  tags = g_ptr_array_new_with_free_func
      ((GDestroyNotify) rtmp_core_message_unref);
  bytes = g_bytes_get_data (data, &size);
  parser->collect = tags;
  parser->collect_source = data;
  ok = parser_feed (parser, bytes, size, error);
  parser->collect = NULL;
  parser->collect_source = NULL;
  if (!ok) {
    g_ptr_array_unref (tags);
    return NULL;
  }
  return tags;
}

/**
 * rtmp_core_flv_parser_finish:
 * @parser: a parser
 * @error: return location for a #GError
 *
 * Tells the parser the stream has ended, and checks that it ended between
 * tags. A missing previous tag size after the last tag is accepted.
 *
 * Returns: %TRUE if nothing was left half-read; %FALSE with
 *   %RTMP_CORE_ERROR_MALFORMED if the stream stopped inside the file header
 *   or a tag (a truncated file), or with the error the parser failed on
 *
 * Since: 0.1
 */
gboolean
rtmp_core_flv_parser_finish (RtmpCoreFlvParser * parser, GError ** error)
{
  g_return_val_if_fail (parser != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (parser->state) {
    case STATE_FAILED:
      g_propagate_error (error, g_error_copy (parser->failure));
      return FALSE;
    case STATE_FILE_HEADER:
    case STATE_HEADER_SKIP:
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "FLV stream ended inside its file header");
      return FALSE;
    case STATE_TAG_BODY:
      g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
          "FLV stream ended inside a tag of type %u: %u of %u data bytes",
          parser->tag_type, parser->body->len, parser->tag_size);
      return FALSE;
    case STATE_SIGNATURE:
    case STATE_TAG_HEADER:
    case STATE_BACK_POINTER:
    default:
      if (parser->fixed_len > 0) {
        g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
            "FLV stream ended inside a %s: %" G_GSIZE_FORMAT " bytes left over",
            parser->state == STATE_BACK_POINTER ? "previous tag size" :
            "tag header", parser->fixed_len);
        return FALSE;
      }
      return TRUE;
  }
}

/**
 * rtmp_core_flv_parser_get_header:
 * @parser: a parser
 * @flags: (out) (optional): the type flags byte of the file header, a
 *   combination of #RtmpCoreFlvHeaderFlags
 *
 * Tells whether the stream began with an FLV file header and, if so, which
 * media its flags announce. A stream that starts directly with a tag never
 * has one; @flags is then 0. The flags are only a hint: files often
 * announce media they do not contain, or the reverse.
 *
 * Returns: %TRUE once an FLV file header has been parsed
 *
 * Since: 0.1
 */
gboolean
rtmp_core_flv_parser_get_header (RtmpCoreFlvParser * parser, guint8 * flags)
{
  g_return_val_if_fail (parser != NULL, FALSE);
  if (flags)
    *flags = parser->flags;
  return parser->have_header;
}

/**
 * rtmp_core_flv_parser_get_n_bad_back_pointers:
 * @parser: a parser
 *
 * Counts the PreviousTagSize fields that disagreed with the tag they
 * follow. Such mismatches are common in files from careless writers, so
 * the parser only counts them instead of failing; a high count may point
 * to a corrupt or mis-cut file.
 *
 * Returns: how many previous tag sizes did not match the tag before them
 *   (or were not 0 right after the file header)
 *
 * Since: 0.1
 */
guint
rtmp_core_flv_parser_get_n_bad_back_pointers (RtmpCoreFlvParser * parser)
{
  g_return_val_if_fail (parser != NULL, 0);
  return parser->n_bad_back_pointers;
}

/**
 * rtmp_core_flv_make_header:
 * @flags: which media the file has
 *
 * Makes an FLV file header: "FLV", version 1, @flags, header size 9, then
 * PreviousTagSize0 = 0.
 *
 * Returns: (transfer full): the 13 bytes
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_flv_make_header (RtmpCoreFlvHeaderFlags flags)
{
  guint8 header[RTMP_CORE_FLV_HEADER_SIZE + BACK_POINTER_SIZE] =
      { 'F', 'L', 'V', 1 };

  g_return_val_if_fail ((flags & ~(RTMP_CORE_FLV_HAS_VIDEO |
              RTMP_CORE_FLV_HAS_AUDIO)) == 0, NULL);
  header[4] = flags;
  rtmp_write_u32_be (header + 5, RTMP_CORE_FLV_HEADER_SIZE);
  rtmp_write_u32_be (header + 9, 0);
  return g_bytes_new (header, sizeof (header));
}

/**
 * rtmp_core_flv_write_tag_header: (skip)
 * @out: where to write the 11 bytes
 * @type: the tag type (at most 31)
 * @size: the tag data size (at most %RTMP_CORE_FLV_MAX_TAG_SIZE)
 * @timestamp: the 32-bit timestamp, written as 24 bits plus an extension byte
 *
 * Writes an FLV tag header with stream id 0.
 *
 * Since: 0.1
 */
void
rtmp_core_flv_write_tag_header (guint8 out[RTMP_CORE_FLV_TAG_HEADER_SIZE],
    guint8 type, guint32 size, guint32 timestamp)
{
  g_return_if_fail (out != NULL);
  g_return_if_fail (type <= TAG_TYPE_MASK);
  g_return_if_fail (size <= RTMP_CORE_FLV_MAX_TAG_SIZE);

  out[0] = type;
  rtmp_write_u24_be (out + 1, size);
  rtmp_write_u24_be (out + 4, timestamp & 0xFFFFFF);
  out[7] = timestamp >> 24;
  rtmp_write_u24_be (out + 8, 0);
}

/**
 * rtmp_core_flv_tag_from_message:
 * @msg: a message whose type fits in a tag type (at most 31) and whose
 *   payload is at most %RTMP_CORE_FLV_MAX_TAG_SIZE bytes
 *
 * Serializes a message as an FLV tag: the 11-byte header (stream id 0),
 * the payload, and the previous tag size (11 + payload size).
 *
 * Returns: (transfer full): the tag bytes
 *
 * Since: 0.1
 */
GBytes *
rtmp_core_flv_tag_from_message (const RtmpCoreMessage * msg)
{
  gsize total;
  guint8 *tag;

  g_return_val_if_fail (msg != NULL, NULL);
  g_return_val_if_fail (msg->type <= TAG_TYPE_MASK, NULL);
  g_return_val_if_fail (msg->size <= RTMP_CORE_FLV_MAX_TAG_SIZE, NULL);

  total = RTMP_CORE_FLV_TAG_HEADER_SIZE + msg->size + BACK_POINTER_SIZE;
  tag = g_malloc (total);
  rtmp_core_flv_write_tag_header (tag, msg->type, msg->size, msg->timestamp);
  if (msg->size > 0)
    memcpy (tag + RTMP_CORE_FLV_TAG_HEADER_SIZE, msg->data, msg->size);
  rtmp_write_u32_be (tag + RTMP_CORE_FLV_TAG_HEADER_SIZE + msg->size,
      RTMP_CORE_FLV_TAG_HEADER_SIZE + msg->size);
  return g_bytes_new_take (tag, total);
}

/**
 * rtmp_core_flv_tag_to_message: (skip)
 * @tag: (array length=size): one whole serialized tag: header and data,
 *   optionally followed by its previous tag size (whose value is not checked)
 * @size: the length of @tag
 * @chunk_stream_id: the chunk stream to send the message on, or 0 for
 *   rtmp_core_flv_default_chunk_stream() of the tag type
 * @stream_id: the message stream id to give it
 * @error: return location for a #GError
 *
 * Turns an FLV tag into an owned message holding a copy of the tag data.
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with
 *   %RTMP_CORE_ERROR_MALFORMED if @size does not match the tag's data size,
 *   or %RTMP_CORE_ERROR_UNSUPPORTED for an encrypted tag
 *
 * Since: 0.1
 */
RtmpCoreMessage *
rtmp_core_flv_tag_to_message (const guint8 * tag, gsize size,
    guint32 chunk_stream_id, guint32 stream_id, GError ** error)
{
  RtmpByteReader r;
  guint8 type;
  guint32 data_size, timestamp;
  const guint8 *header, *body;
  gsize rest;

  g_return_val_if_fail (tag != NULL || size == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  rtmp_byte_reader_init (&r, tag, size);
  if (!rtmp_byte_reader_get_data (&r, RTMP_CORE_FLV_TAG_HEADER_SIZE,
          &header)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "FLV tag of %" G_GSIZE_FORMAT " bytes is shorter than its 11-byte "
        "header", size);
    return NULL;
  }
  rtmp_read_flv_tag_header (header, &type, &data_size, &timestamp);
  if (type & TAG_FILTER_BIT) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_UNSUPPORTED,
        "FLV tag of type %u is encrypted (filter bit set in type byte 0x%02x)",
        type & TAG_TYPE_MASK, type);
    return NULL;
  }
  rest = rtmp_byte_reader_remaining (&r);
  if (!rtmp_byte_reader_get_data (&r, data_size, &body) ||
      (rest != data_size && rest != (gsize) data_size + BACK_POINTER_SIZE)) {
    g_set_error (error, RTMP_CORE_ERROR, RTMP_CORE_ERROR_MALFORMED,
        "FLV tag announces %u data bytes but %" G_GSIZE_FORMAT " bytes follow "
        "its header (expected %u, or %u with the previous tag size)",
        data_size, rest, data_size, data_size + BACK_POINTER_SIZE);
    return NULL;
  }

  type &= TAG_TYPE_MASK;
  if (chunk_stream_id == 0)
    chunk_stream_id = rtmp_core_flv_default_chunk_stream (type);
  return rtmp_core_message_new_take (type, chunk_stream_id, stream_id,
      timestamp, g_memdup2 (body, data_size), data_size);
}

/**
 * rtmp_core_flv_default_chunk_stream:
 * @type: an RTMP message or FLV tag type
 *
 * Gives the conventional chunk stream for media of @type, so that audio
 * and video do not wait behind each other's partial messages: 4 for audio,
 * 6 for video, 5 for data messages (AMF0 and AMF3, e.g. onMetaData) and 3
 * for everything else (commands, aggregates). Protocol and user control
 * messages always use chunk stream 2 instead.
 *
 * Returns: a chunk stream id in 3..63 (one-byte basic header)
 *
 * Since: 0.1
 */
guint32
rtmp_core_flv_default_chunk_stream (guint8 type)
{
  switch (type) {
    case RTMP_CORE_MESSAGE_AUDIO:
      return 4;
    case RTMP_CORE_MESSAGE_VIDEO:
      return 6;
    case RTMP_CORE_MESSAGE_DATA_AMF0:
    case RTMP_CORE_MESSAGE_DATA_AMF3:
      return 5;
    default:
      return 3;
  }
}
