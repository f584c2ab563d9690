/* The rtmpcore plugin loads under its own name and does not clash with
 * GStreamer's rtmp (librtmp) and rtmp2 plugins. */
#include <gst/check/gstcheck.h>

GST_START_TEST (test_plugin_loads)
{
  GError *error = NULL;
  gchar *path = g_build_filename (PLUGIN_PATH, "libgstrtmpcore.so", NULL);
  GstPlugin *plugin = gst_plugin_load_file (path, &error);

  g_assert_no_error (error);
  fail_unless (plugin != NULL);
  fail_unless_equals_string (gst_plugin_get_name (plugin), "rtmpcore");
  fail_if (g_str_equal (gst_plugin_get_name (plugin), "rtmp"));
  fail_if (g_str_equal (gst_plugin_get_name (plugin), "rtmp2"));
  fail_unless_equals_string (gst_plugin_get_license (plugin), "LGPL");
  gst_object_unref (plugin);
  g_free (path);
}
GST_END_TEST;

GST_START_TEST (test_loads_beside_rtmp2)
{
  GstPlugin *rtmp2 = gst_registry_find_plugin (gst_registry_get (), "rtmp2");
  GstPlugin *ours = gst_registry_find_plugin (gst_registry_get (), "rtmpcore");

  /* Both present in one registry (the rtmp2 plugin is in plugins-bad). */
  if (rtmp2 == NULL) {
    g_print ("rtmp2 plugin not installed; only checking ours\n");
  } else {
    fail_unless (gst_plugin_is_loaded (rtmp2) || gst_plugin_load (rtmp2));
    gst_object_unref (rtmp2);
  }
  fail_unless (ours != NULL);
  gst_object_unref (ours);
}
GST_END_TEST;

static Suite *
rtmpcore_plugin_suite (void)
{
  Suite *s = suite_create ("rtmpcore-plugin");
  TCase *tc = tcase_create ("general");

  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_plugin_loads);
  tcase_add_test (tc, test_loads_beside_rtmp2);
  return s;
}

GST_CHECK_MAIN (rtmpcore_plugin);
