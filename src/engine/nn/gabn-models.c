/* gabn-models.c: the folders of known models and what is in them (see
 * gabn-models.h). */
#include "config.h"
#include "gabn-models.h"
#include "gabn-net-private.h"
#include "gabn-safetensors.h"
#include "gabn-tfjs.h"

#include <string.h>

void
gabn_model_info_free (GabnModelInfo *info)
{
  if (!info)
    return;
  g_free (info->name);
  g_free (info->path);
  g_free (info->kind);
  g_free (info->arch);
  g_free (info);
}

static void
add_dir (GPtrArray *dirs, char *dir)
{
  for (guint i = 0; i < dirs->len; i++)
    if (g_str_equal (g_ptr_array_index (dirs, i), dir))
      {
        g_free (dir);
        return;
      }
  g_ptr_array_add (dirs, dir);
}

char **
gabn_models_dirs (void)
{
  GPtrArray *dirs = g_ptr_array_new ();
  const char *env = g_getenv ("GABN_MODELS_DIR");
  const char *const *system = g_get_system_data_dirs ();

  if (env && *env)
    {
      g_auto(GStrv) parts = g_strsplit (env, G_SEARCHPATH_SEPARATOR_S, -1);
      for (int i = 0; parts[i]; i++)
        if (*parts[i])
          add_dir (dirs, g_strdup (parts[i]));
    }
  add_dir (dirs, g_build_filename (g_get_user_data_dir (), "gabn-studio", "models", NULL));
  add_dir (dirs, g_strdup (GABN_BUILD_MODELS_DIR));
  for (int i = 0; system[i]; i++)
    add_dir (dirs, g_build_filename (system[i], "gabn-studio", "models", NULL));
  add_dir (dirs, g_strdup (GABN_MODELS_INSTALL_DIR));
  add_dir (dirs, g_strdup (GABN_MODELS_SOURCE_DIR));
  g_ptr_array_add (dirs, NULL);
  return (char **) g_ptr_array_free (dirs, FALSE);
}

static GabnModelInfo *
info_new (const char *name, const char *path, const char *kind, const char *arch)
{
  GabnModelInfo *info = g_new0 (GabnModelInfo, 1);

  info->name = g_strdup (name);
  info->path = g_strdup (path);
  info->kind = g_strdup (kind);
  info->arch = g_strdup (arch);
  info->input_size = gabn_arch_input_size (arch);
  return info;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The models in one folder, sorted by name. */
static void
scan_dir (const char *dir, GPtrArray *out, GHashTable *seen)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *entry;

  while (d && (entry = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (entry));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *stem = NULL;

      if (g_file_test (path, G_FILE_TEST_IS_DIR) && gabn_tfjs_is_model (path))
        {
          if (!g_hash_table_contains (seen, name))
            {
              g_hash_table_add (seen, g_strdup (name));
              g_ptr_array_add (out, info_new (name, path, "tfjs", gabn_tfjs_peek_arch (path)));
            }
        }
      else if (g_str_has_suffix (name, ".safetensors"))
        {
          g_autoptr(GabnSafetensors) st = gabn_safetensors_open (path, NULL);
          const char *arch = st ? g_hash_table_lookup (gabn_safetensors_metadata (st), "arch") : NULL;

          stem = g_strndup (name, strlen (name) - strlen (".safetensors"));
          if (st && !g_hash_table_contains (seen, stem))
            {
              g_hash_table_add (seen, g_strdup (stem));
              g_ptr_array_add (out, info_new (stem, path, "safetensors", arch));
            }
        }
    }
}

GPtrArray *
gabn_models_list (void)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) gabn_model_info_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) dirs = gabn_models_dirs ();

  for (int i = 0; dirs[i]; i++)
    scan_dir (dirs[i], out, seen);
  return out;
}

char *
gabn_models_find (const char *name)
{
  g_autoptr(GPtrArray) models = NULL;

  /* A name, not a path. */
  if (!name || !*name || strchr (name, G_DIR_SEPARATOR) || strchr (name, '/'))
    return NULL;
  models = gabn_models_list ();
  for (guint i = 0; i < models->len; i++)
    {
      GabnModelInfo *info = g_ptr_array_index (models, i);
      if (g_str_equal (info->name, name))
        return g_strdup (info->path);
    }
  return NULL;
}
