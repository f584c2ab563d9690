/* Fuzz target for the chunk reader.
 *
 * Input layout: four configuration bytes, then the chunk stream.
 *   byte 0: bit 0 type 3 after type 0 semantics, bits 1-2 partial message
 *           limit, bit 3 feed_bytes() instead of feed(), bit 4 re-encode
 *           every message with the writer and read it back
 *   byte 1: initial chunk size (low 3 bits) and maximum chunk size (bit 3)
 *   byte 2: maximum message size (low 2 bits)
 *   byte 3: seed of the split pattern
 * The callback reads every payload byte so ASan sees any bad pointer. */
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <rtmpcore.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static const guint32 chunk_sizes[8] = {
  1, 2, 7, 128, 129, 4096, 65536, 0x7FFFFFFF
};
static const guint max_partials[4] = { 1, 2, 8, 64 };
static const guint32 max_message_sizes[4] = { 16, 1000, 65536, 0xFFFFFF };

typedef struct {
  guint sum;
  GPtrArray *keep;              /* owned copies, when re-encoding */
} FuzzState;

static guint
touch (const RtmpCoreMessage * msg)
{
  gsize size, i;
  const guint8 *p = rtmp_core_message_peek_data (msg, &size);
  guint sum = msg->type + msg->chunk_stream_id + msg->stream_id
      + msg->timestamp;

  for (i = 0; i < size; i++)
    sum += p[i];
  return sum;
}

static void
on_message (const RtmpCoreMessage * msg, gpointer user_data)
{
  FuzzState *state = user_data;

  g_assert (msg->chunk_stream_id >= 2 && msg->chunk_stream_id <= 65599);
  state->sum += touch (msg);
  if (state->keep)
    g_ptr_array_add (state->keep, rtmp_core_message_copy (msg));
}

static RtmpCoreChunkReader *
make_reader (const uint8_t * config)
{
  RtmpCoreChunkReader *reader = rtmp_core_chunk_reader_new ();

  rtmp_core_chunk_reader_set_type3_after_type0_repeats_timestamp (reader,
      config[0] & 1);
  rtmp_core_chunk_reader_set_max_partial_messages (reader,
      max_partials[(config[0] >> 1) & 3]);
  rtmp_core_chunk_reader_set_chunk_size (reader, chunk_sizes[config[1] & 7]);
  rtmp_core_chunk_reader_set_max_chunk_size (reader,
      config[1] & 8 ? 65536 : 0x7FFFFFFF);
  rtmp_core_chunk_reader_set_max_message_size (reader,
      max_message_sizes[config[2] & 3]);
  return reader;
}

/* Split lengths from a small LCG seeded by the input: many tiny pieces
 * (split headers) mixed with large ones (zero-copy paths). */
static gsize
next_split (guint32 * rng)
{
  *rng = *rng * 1103515245 + 12345;
  switch ((*rng >> 16) & 3) {
    case 0:
      return 1;
    case 1:
      return 1 + ((*rng >> 20) & 7);
    case 2:
      return 1 + ((*rng >> 18) & 255);
    default:
      return 4096;
  }
}

/* Every message the reader produced must survive writer -> reader intact.
 * Set Chunk Size and Abort are left out: the writer does not act on them.
 * The writer repeats extended timestamps (its default): without them a
 * payload that starts like the field is ambiguous by design. */
static void
check_reencode (const uint8_t * config, GPtrArray * messages)
{
  RtmpCoreChunkWriter *writer = rtmp_core_chunk_writer_new ();
  RtmpCoreChunkReader *reader = make_reader (config);
  GPtrArray *sent = g_ptr_array_new ();
  GPtrArray *got;
  GByteArray *wire = g_byte_array_new ();
  GBytes *bytes;
  guint i;

  rtmp_core_chunk_writer_set_chunk_size (writer, chunk_sizes[config[1] & 7],
      NULL);
  for (i = 0; i < messages->len; i++) {
    RtmpCoreMessage *msg = messages->pdata[i];
    GBytes *out;

    if (msg->stream_id == 0 && (msg->type == 1 || msg->type == 2))
      continue;
    out = rtmp_core_chunk_writer_write_bytes (writer, msg, NULL);
    g_assert (out != NULL);
    g_byte_array_append (wire, g_bytes_get_data (out, NULL),
        g_bytes_get_size (out));
    g_bytes_unref (out);
    g_ptr_array_add (sent, msg);
  }

  bytes = g_byte_array_free_to_bytes (wire);
  got = rtmp_core_chunk_reader_feed_bytes (reader, bytes, NULL);
  g_assert (got != NULL);
  g_assert (got->len == sent->len);
  for (i = 0; i < got->len; i++) {
    const RtmpCoreMessage *a = got->pdata[i], *b = sent->pdata[i];
    gsize sa, sb;
    const guint8 *da = rtmp_core_message_peek_data (a, &sa);
    const guint8 *db = rtmp_core_message_peek_data (b, &sb);

    g_assert (a->type == b->type);
    g_assert (a->chunk_stream_id == b->chunk_stream_id);
    g_assert (a->stream_id == b->stream_id);
    g_assert (a->timestamp == b->timestamp);
    g_assert (sa == sb && (sa == 0 || memcmp (da, db, sa) == 0));
  }

  g_ptr_array_unref (got);
  g_bytes_unref (bytes);
  g_ptr_array_unref (sent);
  rtmp_core_chunk_reader_unref (reader);
  rtmp_core_chunk_writer_unref (writer);
}

int
LLVMFuzzerTestOneInput (const uint8_t * data, size_t size)
{
  RtmpCoreChunkReader *reader;
  FuzzState state = { 0, NULL };
  guint32 rng;
  gsize pos = 4;
  gboolean ok = TRUE;

  if (size < 4)
    return 0;

  reader = make_reader (data);
  rng = data[3];
  if (data[0] & 16)
    state.keep = g_ptr_array_new_with_free_func ((GDestroyNotify)
        rtmp_core_message_unref);
  rtmp_core_chunk_reader_set_callback (reader, on_message, &state, NULL);

  while (ok && pos < size) {
    gsize n = next_split (&rng);

    n = MIN (n, size - pos);

    if (data[0] & 8) {
      GBytes *piece = g_bytes_new_static (data + pos, n);
      GPtrArray *msgs = rtmp_core_chunk_reader_feed_bytes (reader, piece,
          NULL);
      guint i;

      ok = msgs != NULL;
      for (i = 0; ok && i < msgs->len; i++)
        on_message (msgs->pdata[i], &state);
      if (msgs)
        g_ptr_array_unref (msgs);
      g_bytes_unref (piece);
    } else {
      ok = rtmp_core_chunk_reader_feed (reader, data + pos, n, NULL);
    }
    pos += n;
  }

  /* A failed reader keeps failing. */
  if (!ok) {
    GError *error = NULL;

    g_assert (!rtmp_core_chunk_reader_feed (reader, data, 1, &error));
    g_assert (error != NULL && error->domain == RTMP_CORE_ERROR);
    g_error_free (error);
  }

  if (state.keep) {
    check_reencode (data, state.keep);
    g_ptr_array_unref (state.keep);
  }
  rtmp_core_chunk_reader_unref (reader);
  return state.sum == 0xdeadbeef;
}
