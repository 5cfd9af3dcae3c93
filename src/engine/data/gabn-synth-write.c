/* gabn-synth-write.c: a synthetic dataset on disk, in the generic layout.
 * Everything is written into a fresh temporary folder beside the target and
 * renamed into place at the end, so a failed or cancelled run leaves no
 * half-written dataset and no existing file is ever touched. */
#include "gabn-synth.h"
#include "gabn-data-util.h"
#include "gabn-parallel.h"

#include <errno.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>

static char *
image_relpath (const GabnDataset *ds, int index, int digits)
{
  const GabnImage *im = &ds->images[index];
  const GabnIdentity *id = &ds->identities[im->identity];
  return g_strdup_printf ("%s/%s/%0*d.png", ds->groups[im->group].name, id->name,
                          digits, index - id->first_image + 1);
}

typedef struct {
  const GabnDataset *ds;
  const char *dir;
  int digits;
  int offset;
  GMutex lock;
  GError *error;
  GCancellable *cancellable;
} WriteWork;

static void
write_range (int begin, int end, gpointer data)
{
  WriteWork *w = data;
  int size = w->ds->pixel_size;

  for (int i = begin + w->offset; i < end + w->offset; i++)
    {
      g_autofree char *rel = image_relpath (w->ds, i, w->digits);
      g_autofree char *path = g_build_filename (w->dir, rel, NULL);
      g_autofree char *parent = g_path_get_dirname (path);
      g_autoptr(GdkPixbuf) pixbuf = NULL;
      g_autofree char *buffer = NULL;
      gsize length;
      GError *error = NULL;
      gboolean ok;

      if (w->error || (w->cancellable && g_cancellable_is_cancelled (w->cancellable)))
        return;
      pixbuf = gdk_pixbuf_new_from_data (w->ds->pixels + (gsize) i * size * size * 3,
                                         GDK_COLORSPACE_RGB, FALSE, 8, size, size,
                                         size * 3, NULL, NULL);
      ok = g_mkdir_with_parents (parent, 0755) == 0;
      if (!ok)
        g_set_error (&error, GABN_ERROR, GABN_ERROR_FAILED, _("Cannot create the folder “%s”: %s"),
                     parent, g_strerror (errno));
      ok = ok && gdk_pixbuf_save_to_buffer (pixbuf, &buffer, &length, "png", &error, NULL);
      ok = ok && g_file_set_contents (path, buffer, length, &error);
      if (!ok)
        {
          g_mutex_lock (&w->lock);
          if (w->error == NULL)
            w->error = error;
          else
            g_clear_error (&error);
          g_mutex_unlock (&w->lock);
          return;
        }
    }
}

/* Removes a folder tree that this module created itself. */
static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir)
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

static gboolean
check_target (const char *dir, gboolean *exists, GError **error)
{
  GDir *d;
  gboolean empty;

  *exists = g_file_test (dir, G_FILE_TEST_EXISTS);
  if (!*exists)
    return TRUE;
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("“%s” exists and is not a folder"), dir);
      return FALSE;
    }
  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  empty = g_dir_read_name (d) == NULL;
  g_dir_close (d);
  if (!empty)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("The folder “%s” is not empty: synthetic datasets are written only "
                     "to a new or empty folder, so that no file is ever overwritten"), dir);
      return FALSE;
    }
  return TRUE;
}

static gboolean
write_pairs (const GabnDataset *ds, const char *dir, int digits, GError **error)
{
  GString *s = g_string_new (NULL);
  g_autofree char *path = g_build_filename (dir, "pairs.tsv", NULL);
  gboolean ok;

  for (int p = 0; p < ds->n_pairs; p++)
    {
      g_autofree char *a = image_relpath (ds, ds->pairs[p].a, digits);
      g_autofree char *b = image_relpath (ds, ds->pairs[p].b, digits);
      g_string_append_printf (s, "%s\t%s\t%d\t%d\n", a, b, ds->pairs[p].same ? 1 : 0,
                              ds->pairs[p].fold + 1);
    }
  ok = g_file_set_contents (path, s->str, s->len, error);
  g_string_free (s, TRUE);
  return ok;
}

gboolean
gabn_synth_write (const GabnSynthConfig *config, const char *dir,
                  GabnProgressFunc progress, gpointer user_data,
                  GCancellable *cancellable, GError **error)
{
  g_autoptr(GabnDataset) ds = NULL;
  g_autofree char *target = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *readme = NULL;
  WriteWork work = { 0 };
  gboolean exists;
  const int block = 256;

  if (!gabn_synth_config_validate (config, error))
    return FALSE;
  target = g_canonicalize_filename (dir, NULL);
  if (!check_target (target, &exists, error))
    return FALSE;
  ds = gabn_synth_generate (config, progress, user_data, cancellable, error);
  if (ds == NULL)
    return FALSE;

  parent = g_path_get_dirname (target);
  base = g_path_get_basename (target);
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED, _("Cannot create the folder “%s”: %s"),
                   parent, g_strerror (errno));
      return FALSE;
    }
  tmp = g_strdup_printf ("%s/.%s.partial-XXXXXX", parent, base);
  if (g_mkdtemp (tmp) == NULL)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED, _("Cannot create a folder in “%s”: %s"),
                   parent, g_strerror (errno));
      return FALSE;
    }

  {
    char count[16];
    g_snprintf (count, sizeof count, "%d", config->images);
    work.digits = MAX (2, (int) strlen (count));
  }
  work.ds = ds;
  work.dir = tmp;
  work.cancellable = cancellable;
  g_mutex_init (&work.lock);
  for (int start = 0; start < ds->n_images && work.error == NULL; start += block)
    {
      int end = MIN (ds->n_images, start + block);
      if (gabn_data_cancelled (cancellable, &work.error))
        break;
      work.offset = start;
      gabn_parallel_for (end - start, write_range, &work);
      if (progress)
        progress ((double) end / ds->n_images, _("Writing images"), user_data);
    }
  g_mutex_clear (&work.lock);

  readme = g_build_filename (tmp, "README.txt", NULL);
  if (work.error == NULL)
    write_pairs (ds, tmp, work.digits, &work.error);
  if (work.error == NULL)
    g_file_set_contents (readme, ds->description, -1, &work.error);
  /* Into place: an empty target folder is replaced by the finished one. */
  if (work.error == NULL && exists && g_rmdir (target) != 0)
    g_set_error (&work.error, GABN_ERROR, GABN_ERROR_FAILED,
                 _("Cannot replace the empty folder “%s”: %s"), target, g_strerror (errno));
  if (work.error == NULL && g_rename (tmp, target) != 0)
    g_set_error (&work.error, GABN_ERROR, GABN_ERROR_FAILED,
                 _("Cannot move the dataset to “%s”: %s"), target, g_strerror (errno));
  if (work.error)
    {
      remove_tree (tmp);
      g_propagate_error (error, work.error);
      return FALSE;
    }
  return TRUE;
}
