/* fuzz-common.c: input files and fixture folders for the harnesses. */
#define _GNU_SOURCE
#include "fuzz-common.h"

#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int input_fd = -1;
static char input_path[64];
static char *tmp_dir;

const char *
fuzz_input_file (const uint8_t *data, size_t size)
{
  size_t done = 0;

  if (input_fd < 0)
    {
      input_fd = memfd_create ("gabn-fuzz-input", MFD_CLOEXEC);
      if (input_fd < 0)
        g_error ("memfd_create: %s", g_strerror (errno));
      g_snprintf (input_path, sizeof input_path, "/proc/self/fd/%d", input_fd);
    }
  if (ftruncate (input_fd, 0) != 0)
    g_error ("ftruncate: %s", g_strerror (errno));
  while (done < size)
    {
      ssize_t n = pwrite (input_fd, data + done, size - done, (off_t) done);
      if (n <= 0)
        g_error ("pwrite: %s", g_strerror (errno));
      done += (size_t) n;
    }
  return input_path;
}

void
fuzz_remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir)
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            fuzz_remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static void
remove_tmp_dir (void)
{
  if (tmp_dir)
    fuzz_remove_tree (tmp_dir);
}

const char *
fuzz_tmp_dir (void)
{
  if (tmp_dir == NULL)
    {
      /* In memory when the system offers it: each input rewrites files. */
      const char *base = g_access ("/dev/shm", W_OK) == 0 ? "/dev/shm" : g_get_tmp_dir ();
      tmp_dir = g_build_filename (base, "gabn-fuzz-XXXXXX", NULL);
      if (g_mkdtemp (tmp_dir) == NULL)
        g_error ("cannot create %s: %s", tmp_dir, g_strerror (errno));
      atexit (remove_tmp_dir);
    }
  return tmp_dir;
}

void
fuzz_write (const char *root, const char *rel, const void *data, size_t size)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0
      /* No fsync: the fixture need not survive a crash, and fsync per
       * input would make the fuzzer wait on the disk. */
      || !g_file_set_contents_full (path, data, (gssize) size, G_FILE_SET_CONTENTS_NONE,
                                    0600, &error))
    g_error ("cannot write %s: %s", path, error ? error->message : g_strerror (errno));
}

void
fuzz_touch (const char *root, const char *rel)
{
  fuzz_write (root, rel, "", 0);
}
