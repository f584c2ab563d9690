/* Replays every file of a corpus folder through LLVMFuzzerTestOneInput, so
 * each fuzz target runs as an ordinary test in builds without libFuzzer. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t * data, size_t size);

static gint
replay_path (const gchar * path)
{
  gchar *contents = NULL;
  gsize len = 0;
  GError *error = NULL;
  guint8 *copy;

  if (!g_file_get_contents (path, &contents, &len, &error)) {
    g_printerr ("%s: %s\n", path, error->message);
    g_error_free (error);
    return 1;
  }
  /* An exact-size heap copy lets ASan/valgrind catch any read past the end. */
  copy = g_memdup2 (contents, len);
  LLVMFuzzerTestOneInput (copy, len);
  g_free (copy);
  g_free (contents);
  return 0;
}

int
main (int argc, char **argv)
{
  gint i, failures = 0, runs = 0;

  for (i = 1; i < argc; i++) {
    if (g_file_test (argv[i], G_FILE_TEST_IS_DIR)) {
      GDir *dir = g_dir_open (argv[i], 0, NULL);
      const gchar *name;

      while (dir && (name = g_dir_read_name (dir))) {
        gchar *path = g_build_filename (argv[i], name, NULL);
        failures += replay_path (path);
        runs++;
        g_free (path);
      }
      if (dir)
        g_dir_close (dir);
    } else {
      failures += replay_path (argv[i]);
      runs++;
    }
  }

  if (runs == 0) {
    g_printerr ("no corpus inputs found\n");
    return 1;
  }
  printf ("replayed %d inputs\n", runs);
  return failures ? 1 : 0;
}
