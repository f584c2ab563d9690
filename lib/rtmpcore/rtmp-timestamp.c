#include "rtmp-timestamp.h"

G_DEFINE_BOXED_TYPE (RtmpCoreTimestampUnwrapper, rtmp_core_timestamp_unwrapper,
    rtmp_core_timestamp_unwrapper_copy, rtmp_core_timestamp_unwrapper_free)

/**
 * rtmp_core_timestamp_unwrapper_new:
 *
 * Allocates a zeroed unwrapper on the heap, in the same state as one reset
 * with rtmp_core_timestamp_unwrapper_init(). C code usually embeds the
 * struct instead; this exists for bindings. Free it with
 * rtmp_core_timestamp_unwrapper_free().
 *
 * Returns: (transfer full): a new unwrapper, for bindings
 *
 * Since: 0.1
 */
RtmpCoreTimestampUnwrapper *
rtmp_core_timestamp_unwrapper_new (void)
{
  return g_new0 (RtmpCoreTimestampUnwrapper, 1);
}

/**
 * rtmp_core_timestamp_unwrapper_copy:
 * @u: an unwrapper
 *
 * Copies @u, including its position on the timeline, so that the copy
 * continues unwrapping from the same last timestamp independently.
 *
 * Returns: (transfer full): a copy with the same state
 *
 * Since: 0.1
 */
RtmpCoreTimestampUnwrapper *
rtmp_core_timestamp_unwrapper_copy (const RtmpCoreTimestampUnwrapper * u)
{
  return g_memdup2 (u, sizeof (*u));
}

/**
 * rtmp_core_timestamp_unwrapper_free:
 * @u: an unwrapper from rtmp_core_timestamp_unwrapper_new()
 *
 * Frees a heap-allocated unwrapper from rtmp_core_timestamp_unwrapper_new()
 * or rtmp_core_timestamp_unwrapper_copy(). Do not call it on an unwrapper
 * embedded in a struct or on the stack.
 *
 * Since: 0.1
 */
void
rtmp_core_timestamp_unwrapper_free (RtmpCoreTimestampUnwrapper * u)
{
  g_free (u);
}

/**
 * rtmp_core_timestamp_unwrapper_init:
 * @u: an unwrapper
 *
 * Resets @u so that the next timestamp starts the timeline.
 *
 * Since: 0.1
 */
void
rtmp_core_timestamp_unwrapper_init (RtmpCoreTimestampUnwrapper * u)
{
  u->last = 0;
  u->started = FALSE;
}

/**
 * rtmp_core_timestamp_diff:
 * @a: a 32-bit timestamp
 * @b: a 32-bit timestamp
 *
 * Computes how far @a is from @b on the 32-bit millisecond circle, so that
 * timestamps on either side of a wrap compare correctly. A distance of
 * exactly 2^31 is ambiguous and comes out as -2^31.
 *
 * Returns: the signed distance @a - @b in serial-number arithmetic: the
 *   shorter way round the 2^32 circle
 *
 * Since: 0.1
 */
gint32
rtmp_core_timestamp_diff (guint32 a, guint32 b)
{
  /* Two's complement makes the modular difference the short signed one. */
  return (gint32) (a - b);
}

/**
 * rtmp_core_timestamp_compare:
 * @a: a 32-bit timestamp
 * @b: a 32-bit timestamp
 *
 * Orders two 32-bit timestamps with the wrap-aware rule of
 * rtmp_core_timestamp_diff(), for sorting or checking monotonicity.
 * It is not a total order over all values, so it is only meaningful for
 * timestamps less than 2^31 ms (about 24.8 days) apart.
 *
 * Returns: negative, 0 or positive as @a is before, equal to or after @b
 *
 * Since: 0.1
 */
gint
rtmp_core_timestamp_compare (guint32 a, guint32 b)
{
  gint32 d = rtmp_core_timestamp_diff (a, b);
  return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/**
 * rtmp_core_timestamp_unwrapper_unwrap:
 * @u: an unwrapper
 * @timestamp: the next 32-bit timestamp in milliseconds
 *
 * Places @timestamp on the 64-bit timeline next to the previous value and
 * records it as the new last value. Call it once per timestamp, in
 * arrival order, with one unwrapper per timeline (e.g. per stream).
 * Not thread-safe.
 *
 * Returns: @timestamp on the 64-bit timeline, in milliseconds. The first
 *   value maps to itself; later ones never jump by more than 2^31 ms. A value
 *   that would land before zero is clamped to zero.
 *
 * Since: 0.1
 */
guint64
rtmp_core_timestamp_unwrapper_unwrap (RtmpCoreTimestampUnwrapper * u,
    guint32 timestamp)
{
  gint64 next;

  if (!u->started) {
    u->started = TRUE;
    u->last = timestamp;
    return u->last;
  }

  next = (gint64) u->last + rtmp_core_timestamp_diff (timestamp, (guint32) u->last);
  u->last = next < 0 ? 0 : (guint64) next;
  return u->last;
}
