/* fuzz-replay.c: main() for a harness outside libFuzzer. Every file below
 * the folders (or the files) given is fed once to LLVMFuzzerTestOneInput,
 * in name order: the seed corpus and every crash the fuzzers found run in
 * the normal test suite, and under ASan in CI. A missing folder is empty. */
#include "fuzz-common.h"

#include <stdio.h>
#include <string.h>

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
replay (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize size;
  int n = 0;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      GDir *dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir && (name = g_dir_read_name (dir)))
        if (name[0] != '.')
          g_ptr_array_add (names, g_build_filename (path, name, NULL));
      if (dir)
        g_dir_close (dir);
      g_ptr_array_sort (names, compare_names);
      for (guint i = 0; i < names->len; i++)
        n += replay (g_ptr_array_index (names, i));
      return n;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return 0;
  if (!g_file_get_contents (path, &contents, &size, &error))
    g_error ("%s", error->message);
  printf ("%s\n", path);
  fflush (stdout);
  /* A copy of exactly size bytes, so ASan sees a read past the input. */
  {
    g_autofree uint8_t *copy = g_memdup2 (contents, size);
    LLVMFuzzerTestOneInput (copy, size);
  }
  return 1;
}

int
main (int argc, char **argv)
{
  int n = 0;

  for (int i = 1; i < argc; i++)
    n += replay (argv[i]);
  printf ("replayed %d inputs\n", n);
  return n > 0 ? 0 : 1;
}
