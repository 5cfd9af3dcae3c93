/* data-fixtures.h: tiny datasets written by the tests themselves. */
#pragma once

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

/* Writes a w×h image of one colour (format from the extension). */
static inline void
fixture_image (const char *path, int w, int h, guint8 r, guint8 g, guint8 b)
{
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, w, h);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  const char *type = g_str_has_suffix (path, ".png") ? "png" : "jpeg";

  gdk_pixbuf_fill (pixbuf, ((guint32) r << 24) | ((guint32) g << 16) | ((guint32) b << 8) | 0xff);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  gdk_pixbuf_save (pixbuf, path, type, &error, NULL);
  g_assert_no_error (error);
}

static inline void
fixture_text (const char *path, const char *text)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GError) error = NULL;
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static inline char *
fixture_path (const char *root, const char *rel)
{
  return g_build_filename (root, rel, NULL);
}

/* Recursively removes a test's own temporary folder. */
static inline void
fixture_remove (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;
  if (dir)
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            fixture_remove (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

/* Counts every entry below path, and sums their modification times: a
 * fingerprint that changes when anything is written. */
static inline void
fixture_fingerprint (const char *path, gint64 *entries, gint64 *mtimes)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;
  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      GStatBuf st;
      (*entries)++;
      if (g_stat (child, &st) == 0)
        *mtimes += (gint64) st.st_mtime + st.st_size;
      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        fixture_fingerprint (child, entries, mtimes);
    }
  g_dir_close (dir);
}

/* The project's real faces (data/olivetti, GABN_OLIVETTI in the test
 * environment). The checkout always has them: their absence is a failure. */
static inline char *
fixture_olivetti (void)
{
  const char *path = g_getenv ("GABN_OLIVETTI");

  g_assert_nonnull (path);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_DIR));
  return g_strdup (path);
}
