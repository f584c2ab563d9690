/* 32-bit RTMP timestamps: serial-number arithmetic and unwrapping. */
#include <rtmpcore.h>

static void
test_diff_compare (void)
{
  g_assert_cmpint (rtmp_core_timestamp_diff (1000, 400), ==, 600);
  g_assert_cmpint (rtmp_core_timestamp_diff (400, 1000), ==, -600);
  g_assert_cmpint (rtmp_core_timestamp_diff (7, 7), ==, 0);

  /* Across the wrap the short way round wins. */
  g_assert_cmpint (rtmp_core_timestamp_diff (5, 0xFFFFFFFB), ==, 10);
  g_assert_cmpint (rtmp_core_timestamp_diff (0xFFFFFFFB, 5), ==, -10);
  g_assert_cmpint (rtmp_core_timestamp_diff (0, 0xFFFFFFFF), ==, 1);
  g_assert_cmpint (rtmp_core_timestamp_diff (0x7FFFFFFF, 0), ==, G_MAXINT32);

  g_assert_cmpint (rtmp_core_timestamp_compare (5, 0xFFFFFFFB), ==, 1);
  g_assert_cmpint (rtmp_core_timestamp_compare (0xFFFFFFFB, 5), ==, -1);
  g_assert_cmpint (rtmp_core_timestamp_compare (0x10, 0x10), ==, 0);
  g_assert_cmpint (rtmp_core_timestamp_compare (100, 200), ==, -1);
  g_assert_cmpint (rtmp_core_timestamp_compare (200, 100), ==, 1);
}

static void
test_unwrap_first (void)
{
  RtmpCoreTimestampUnwrapper u;

  rtmp_core_timestamp_unwrapper_init (&u);
  g_assert_cmpuint (rtmp_core_timestamp_unwrapper_unwrap (&u, 0xFFFFFF00), ==,
      G_GUINT64_CONSTANT (0xFFFFFF00));

  /* After init the next value starts a new timeline. */
  rtmp_core_timestamp_unwrapper_init (&u);
  g_assert_cmpuint (rtmp_core_timestamp_unwrapper_unwrap (&u, 42), ==, 42);
}

static void
test_unwrap_forward_wrap (void)
{
  static const guint32 in[] = {
    0xFFFFFF00, 0xFFFFFF80, 0xFFFFFFFF, 0x00000000, 0x00000010, 0x00001000,
    0x80000000, 0xFFFFFF00, 0x00000100,
  };
  static const guint64 out[] = {
    G_GUINT64_CONSTANT (0x0FFFFFF00), G_GUINT64_CONSTANT (0x0FFFFFF80),
    G_GUINT64_CONSTANT (0x0FFFFFFFF), G_GUINT64_CONSTANT (0x100000000),
    G_GUINT64_CONSTANT (0x100000010), G_GUINT64_CONSTANT (0x100001000),
    G_GUINT64_CONSTANT (0x180000000), G_GUINT64_CONSTANT (0x1FFFFFF00),
    G_GUINT64_CONSTANT (0x200000100),
  };
  RtmpCoreTimestampUnwrapper u;
  guint64 prev = 0;
  guint i;

  rtmp_core_timestamp_unwrapper_init (&u);
  for (i = 0; i < G_N_ELEMENTS (in); i++) {
    guint64 v = rtmp_core_timestamp_unwrapper_unwrap (&u, in[i]);

    g_assert_cmphex (v, ==, out[i]);
    g_assert_cmpuint (v, >=, prev);
    prev = v;
  }
}

static void
test_unwrap_jitter (void)
{
  RtmpCoreTimestampUnwrapper u;

  rtmp_core_timestamp_unwrapper_init (&u);
  rtmp_core_timestamp_unwrapper_unwrap (&u, 0xFFFFFFF0);
  g_assert_cmphex (rtmp_core_timestamp_unwrapper_unwrap (&u, 0x20), ==,
      G_GUINT64_CONSTANT (0x100000020));
  /* Small reorderings go back a little, also back across the wrap. */
  g_assert_cmphex (rtmp_core_timestamp_unwrapper_unwrap (&u, 0x10), ==,
      G_GUINT64_CONSTANT (0x100000010));
  g_assert_cmphex (rtmp_core_timestamp_unwrapper_unwrap (&u, 0xFFFFFFF8), ==,
      G_GUINT64_CONSTANT (0x0FFFFFFF8));
  g_assert_cmphex (rtmp_core_timestamp_unwrapper_unwrap (&u, 0x30), ==,
      G_GUINT64_CONSTANT (0x100000030));
}

static void
test_unwrap_clamp (void)
{
  RtmpCoreTimestampUnwrapper u;

  rtmp_core_timestamp_unwrapper_init (&u);
  g_assert_cmpuint (rtmp_core_timestamp_unwrapper_unwrap (&u, 10), ==, 10);
  /* 20 ms before 10 would be below zero: clamped. */
  g_assert_cmpuint (rtmp_core_timestamp_unwrapper_unwrap (&u, 0xFFFFFFF6), ==,
      0);
  /* The timeline goes on from the clamped value. */
  g_assert_cmpuint (rtmp_core_timestamp_unwrapper_unwrap (&u, 5), ==, 5);
  g_assert_cmpuint (rtmp_core_timestamp_unwrapper_unwrap (&u, 40), ==, 40);
}

static void
test_unwrapper_boxed (void)
{
  RtmpCoreTimestampUnwrapper *u = rtmp_core_timestamp_unwrapper_new ();
  RtmpCoreTimestampUnwrapper *copy;

  g_assert_true (G_TYPE_IS_BOXED (RTMP_CORE_TYPE_TIMESTAMP_UNWRAPPER));
  rtmp_core_timestamp_unwrapper_unwrap (u, 0xFFFFFFF0);
  copy = rtmp_core_timestamp_unwrapper_copy (u);
  /* The copy carries the state: it sees the wrap too. */
  g_assert_cmphex (rtmp_core_timestamp_unwrapper_unwrap (copy, 0x10), ==,
      G_GUINT64_CONSTANT (0x100000010));
  g_assert_cmphex (rtmp_core_timestamp_unwrapper_unwrap (u, 0xFFFFFFFF), ==,
      G_GUINT64_CONSTANT (0xFFFFFFFF));
  rtmp_core_timestamp_unwrapper_free (copy);
  rtmp_core_timestamp_unwrapper_free (u);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/timestamp/diff-compare", test_diff_compare);
  g_test_add_func ("/timestamp/unwrap/first", test_unwrap_first);
  g_test_add_func ("/timestamp/unwrap/forward-wrap", test_unwrap_forward_wrap);
  g_test_add_func ("/timestamp/unwrap/jitter", test_unwrap_jitter);
  g_test_add_func ("/timestamp/unwrap/clamp", test_unwrap_clamp);
  g_test_add_func ("/timestamp/unwrap/boxed", test_unwrapper_boxed);

  return g_test_run ();
}
