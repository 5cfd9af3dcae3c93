/* gabn-scan.c: walking <group>/<identity>/<image> folders. */
#include "gabn-loaders.h"
#include "gabn-data-util.h"

#include <string.h>

static const char *const image_extensions[] = {
  ".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp",
  ".ppm", ".pgm", ".pnm", ".jpe", NULL
};

gboolean
gabn_is_image_name (const char *name)
{
  g_autofree char *lower = g_ascii_strdown (name, -1);
  for (int i = 0; image_extensions[i]; i++)
    if (g_str_has_suffix (lower, image_extensions[i]))
      return TRUE;
  return FALSE;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
gabn_list_dir (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  GDir *dir = g_dir_open (path, 0, &local);
  GPtrArray *names;
  const char *name;

  if (dir == NULL)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND, _("Cannot read the folder “%s”: %s"),
                   path, local->message);
      return NULL;
    }
  names = g_ptr_array_new_with_free_func (g_free);
  while ((name = g_dir_read_name (dir)))
    if (name[0] != '.')
      g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  return names;
}

static gboolean
scan_identity (GabnDatasetBuilder *b, int group, const char *id_name,
               const char *id_dir, GError **error)
{
  g_autoptr(GPtrArray) files = gabn_list_dir (id_dir, NULL);
  int identity = -1, added = 0;

  if (files == NULL)
    {
      gabn_dataset_builder_skip (b, id_dir, 0, _("cannot read the folder"));
      return TRUE;
    }
  for (guint f = 0; f < files->len; f++)
    {
      const char *name = g_ptr_array_index (files, f);
      g_autofree char *path = g_build_filename (id_dir, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          gabn_dataset_builder_skip (b, path, 0, _("a folder inside an identity folder"));
          continue;
        }
      if (!gabn_is_image_name (name))
        {
          gabn_dataset_builder_skip (b, path, 0, _("not an image file (by its extension)"));
          continue;
        }
      if (identity < 0)
        identity = gabn_dataset_builder_identity (b, group, id_name);
      gabn_dataset_builder_image (b, path, group, identity, -1, -1);
      added++;
    }
  if (added == 0)
    gabn_dataset_builder_skip (b, id_dir, 0, _("the identity folder has no images"));
  return TRUE;
}

gboolean
gabn_scan_groups (GabnDatasetBuilder *b, const char *dir, const char *const *only,
                  const GabnLoadContext *ctx, GError **error)
{
  g_autoptr(GPtrArray) groups = gabn_list_dir (dir, error);

  if (groups == NULL)
    return FALSE;
  for (guint g = 0; g < groups->len; g++)
    {
      const char *group_name = g_ptr_array_index (groups, g);
      g_autofree char *group_dir = g_build_filename (dir, group_name, NULL);
      g_autoptr(GPtrArray) ids = NULL;
      int group;

      if (!g_file_test (group_dir, G_FILE_TEST_IS_DIR))
        continue; /* files beside the groups: README, pairs.tsv… */
      if (only && !g_strv_contains (only, group_name))
        continue;
      if (ctx->progress)
        ctx->progress ((double) g / groups->len, group_name, ctx->user_data);
      group = gabn_dataset_builder_group (b, group_name);
      ids = gabn_list_dir (group_dir, NULL);
      if (ids == NULL)
        {
          gabn_dataset_builder_skip (b, group_dir, 0, _("cannot read the folder"));
          continue;
        }
      for (guint i = 0; i < ids->len; i++)
        {
          const char *id_name = g_ptr_array_index (ids, i);
          g_autofree char *id_dir = g_build_filename (group_dir, id_name, NULL);
          if (gabn_data_cancelled (ctx->cancellable, error))
            return FALSE;
          if (ctx->progress && i % 256 == 0)
            ctx->progress ((g + (double) i / ids->len) / groups->len, group_name, ctx->user_data);
          if (!g_file_test (id_dir, G_FILE_TEST_IS_DIR))
            {
              gabn_dataset_builder_skip (b, id_dir, 0, gabn_is_image_name (id_name)
                                         ? _("an image outside an identity folder")
                                         : _("not an identity folder"));
              continue;
            }
          if (!scan_identity (b, group, id_name, id_dir, error))
            return FALSE;
        }
    }
  if (ctx->progress)
    ctx->progress (1.0, NULL, ctx->user_data);
  return TRUE;
}
