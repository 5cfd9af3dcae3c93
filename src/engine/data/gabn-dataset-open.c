/* gabn-dataset-open.c: detecting a folder's layout and loading it.
 *
 * The rule, first match wins:
 *  1. RFW: <root>/test/data and <root>/test/txts are folders (or <root>/data
 *     and <root>/txts, when the user opened the test folder itself). RFW's
 *     data folder has the same <race>/<id>/<image> shape as BUPT and the
 *     generic layout, so only its txts folder tells it apart: it goes first.
 *  2. FairFace: fairface_label_train.csv or fairface_label_val.csv in root.
 *  3. UTKFace: image files directly in root, most of them named
 *     age_gender_race_… (a generic dataset has no images at its top level).
 *  4. BUPT-Balancedface / Globalface: every folder in root is one of
 *     African, Asian, Caucasian, Indian. A generic dataset whose groups
 *     happen to have exactly these names reads the same either way; only
 *     the format name differs.
 *  5. Generic: folders of groups holding folders of identities holding
 *     images, with an optional pairs.tsv at the root.
 * Anything else is an error that lists what was looked for. */
#include "gabn-dataset.h"
#include "gabn-loaders.h"

#include <string.h>

static const char *const bupt_races[] = { "African", "Asian", "Caucasian", "Indian", NULL };

static gboolean
is_dir (const char *root, const char *a, const char *b)
{
  g_autofree char *path = g_build_filename (root, a, b, NULL);
  return g_file_test (path, G_FILE_TEST_IS_DIR);
}

static gboolean
has_file (const char *root, const char *name)
{
  g_autofree char *path = g_build_filename (root, name, NULL);
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* Counts top-level images, UTKFace-named ones, folders, and BUPT folders. */
static void
survey (GPtrArray *entries, const char *root, int *images, int *utk_named,
        int *dirs, int *bupt_dirs)
{
  *images = *utk_named = *dirs = *bupt_dirs = 0;
  for (guint i = 0; i < entries->len; i++)
    {
      const char *name = g_ptr_array_index (entries, i);
      g_autofree char *path = g_build_filename (root, name, NULL);
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          (*dirs)++;
          *bupt_dirs += g_strv_contains (bupt_races, name);
        }
      else if (gabn_is_image_name (name))
        {
          (*images)++;
          *utk_named += g_regex_match_simple ("^[0-9]+_[0-9]+_", name, 0, 0);
        }
    }
}

static GabnDataset *
load_grouped (const char *format, const char *root, const char *pairs_file,
              const GabnLoadContext *ctx, GError **error)
{
  g_autoptr(GabnDatasetBuilder) b = gabn_dataset_builder_new (format, root);
  g_autofree char *default_pairs = g_build_filename (root, "pairs.tsv", NULL);

  if (!gabn_scan_groups (b, root, NULL, ctx, error))
    return NULL;
  if (pairs_file == NULL && g_file_test (default_pairs, G_FILE_TEST_IS_REGULAR))
    pairs_file = default_pairs;
  if (pairs_file && !gabn_read_pairs_tsv (b, root, pairs_file, error))
    return NULL;
  return gabn_dataset_builder_finish (b, error);
}

/* An explicit pairs file replaces the pairs a layout brings itself. */
static GabnDataset *
replace_pairs (GabnDataset *ds, const char *pairs_file, GError **error)
{
  g_autoptr(GabnDatasetBuilder) b = NULL;
  g_autoptr(GabnDataset) old = ds;

  if (ds == NULL || pairs_file == NULL)
    return g_steal_pointer (&old);
  b = gabn_dataset_builder_new (ds->format, ds->root);
  for (int i = 0; i < ds->n_images; i++)
    {
      const GabnImage *im = &ds->images[i];
      int group = im->group >= 0 ? gabn_dataset_builder_group (b, ds->groups[im->group].name) : -1;
      int id = im->identity >= 0
               ? gabn_dataset_builder_identity (b, group, ds->identities[im->identity].name) : -1;
      gabn_dataset_builder_image (b, im->path, group, id, im->age, im->gender);
    }
  for (int s = 0; s < ds->n_skipped; s++)
    gabn_dataset_builder_skip (b, ds->skipped[s].file, ds->skipped[s].line, "%s",
                               ds->skipped[s].reason);
  if (!gabn_read_pairs_tsv (b, ds->root, pairs_file, error))
    return NULL;
  return gabn_dataset_builder_finish (b, error);
}

GabnDataset *
gabn_dataset_open (const char *path, const char *pairs_file, GabnProgressFunc progress,
                   gpointer user_data, GCancellable *cancellable, GError **error)
{
  GabnLoadContext ctx = { progress, user_data, cancellable };
  g_autofree char *root = NULL;
  g_autofree char *pairs = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *test_dir = NULL;
  int images, utk_named, dirs, bupt_dirs;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   g_file_test (path, G_FILE_TEST_EXISTS) ? _("“%s” is not a folder")
                                                          : _("“%s” does not exist"), path);
      return NULL;
    }
  root = g_canonicalize_filename (path, NULL);
  if (pairs_file)
    {
      pairs = g_canonicalize_filename (pairs_file, NULL);
      if (!g_file_test (pairs, G_FILE_TEST_IS_REGULAR))
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                       _("The pairs file “%s” does not exist"), pairs_file);
          return NULL;
        }
    }

  if (is_dir (root, "test", "data") && is_dir (root, "test", "txts"))
    test_dir = g_build_filename (root, "test", NULL);
  else if (is_dir (root, "data", NULL) && is_dir (root, "txts", NULL))
    test_dir = g_strdup (root);
  if (test_dir)
    return replace_pairs (gabn_load_rfw (root, test_dir, &ctx, error), pairs, error);

  if (has_file (root, "fairface_label_train.csv") || has_file (root, "fairface_label_val.csv"))
    return replace_pairs (gabn_load_fairface (root, &ctx, error), pairs, error);

  entries = gabn_list_dir (root, error);
  if (entries == NULL)
    return NULL;
  survey (entries, root, &images, &utk_named, &dirs, &bupt_dirs);
  if (images > 0 && utk_named * 2 > images)
    return replace_pairs (gabn_load_utkface (root, &ctx, error), pairs, error);
  if (dirs > 0 && bupt_dirs == dirs)
    return load_grouped ("bupt", root, pairs, &ctx, error);
  if (dirs > 0)
    {
      GabnDataset *ds = load_grouped ("generic", root, pairs, &ctx, error);
      if (ds || !g_error_matches (*error, GABN_ERROR, GABN_ERROR_NOT_FOUND))
        return ds;
      g_clear_error (error);
    }

  g_set_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED,
               _("“%s” is not a dataset folder GABN Studio can read. It looked for: "
                 "RFW (test/data and test/txts folders); FairFace (fairface_label_train.csv "
                 "or fairface_label_val.csv); UTKFace (images named age_gender_race_date.jpg); "
                 "BUPT-Balancedface/Globalface (folders African, Asian, Caucasian, Indian of "
                 "identity folders); and the generic layout (group folders of identity folders "
                 "of images, with an optional pairs.tsv)."), path);
  return NULL;
}
