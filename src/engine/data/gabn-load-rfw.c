/* gabn-load-rfw.c: the Racial Faces in-the-Wild test set:
 *   test/data/<Race>/<id>/<id>_NNNN.jpg
 *   test/txts/<Race>/<Race>_pairs.txt
 * A pairs line is "id n1 n2" (genuine) or "id1 n1 id2 n2" (impostor),
 * tab- or space-separated; a 2-field line "folds pairs_per_fold" is a header
 * (skipped). Folds are consecutive blocks of 2 × pairs_per_fold lines (300 +
 * 300 in RFW). The same id can occur in two races: an identity is
 * (race, id), which the folder structure gives. */
#include "gabn-loaders.h"
#include "gabn-data-util.h"

#include <string.h>

static char *
rfw_image_path (const char *data_dir, const char *race, const char *id, int n)
{
  g_autofree char *name = g_strdup_printf ("%s_%04d.jpg", id, n);
  return g_build_filename (data_dir, race, id, name, NULL);
}

static gboolean
parse_number (const char *s, int *out)
{
  char *end;
  gint64 v = g_ascii_strtoll (s, &end, 10);
  if (end == s || *end != '\0' || v < 0 || v > G_MAXINT)
    return FALSE;
  *out = (int) v;
  return TRUE;
}

static int
pair_image (GabnDatasetBuilder *b, const char *data_dir, const char *race,
            const char *id, const char *number, const char *file, int line)
{
  g_autofree char *path = NULL;
  int n, index;

  if (!parse_number (number, &n))
    {
      gabn_dataset_builder_skip (b, file, line, _("“%s” is not an image number"), number);
      return -1;
    }
  path = rfw_image_path (data_dir, race, id, n);
  index = gabn_dataset_builder_find_image (b, path);
  if (index < 0)
    gabn_dataset_builder_skip (b, file, line, _("the image “%s” is not in the dataset"), path);
  return index;
}

static void
read_rfw_pairs (GabnDatasetBuilder *b, const char *data_dir, const char *race,
                const char *file)
{
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;
  int per_fold = 300, k = 0;
  gboolean first = TRUE;

  if (!g_file_get_contents (file, &contents, NULL, NULL))
    {
      gabn_dataset_builder_skip (b, file, 0, _("no pairs file for the group “%s”"), race);
      return;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (int l = 0; lines[l]; l++)
    {
      g_auto(GStrv) f = NULL;
      int nf = 0, a, bb, fold;
      gboolean same;

      g_strstrip (lines[l]);
      if (lines[l][0] == '\0')
        continue;
      f = g_regex_split_simple ("[\\t ]+", lines[l], 0, 0);
      nf = g_strv_length (f);
      if (first && nf == 2)
        {
          int folds, n;
          if (parse_number (f[0], &folds) && parse_number (f[1], &n) && n > 0)
            per_fold = n;
          first = FALSE;
          continue;
        }
      first = FALSE;
      if (nf != 3 && nf != 4)
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("malformed line: expected “id n1 n2” "
                                     "or “id1 n1 id2 n2”, found %d fields"), nf);
          k++;
          continue;
        }
      /* The fold follows the line's position, whether or not it is usable. */
      fold = MIN (k / (2 * per_fold), 9);
      k++;
      same = nf == 3;
      a = pair_image (b, data_dir, race, f[0], f[1], file, l + 1);
      if (a < 0)
        continue;
      bb = same ? pair_image (b, data_dir, race, f[0], f[2], file, l + 1)
                : pair_image (b, data_dir, race, f[2], f[3], file, l + 1);
      if (bb < 0)
        continue;
      if (a == bb || (same && strcmp (f[1], f[2]) == 0))
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("a pair of an image with itself"));
          continue;
        }
      if (!same && strcmp (f[0], f[2]) == 0)
        {
          gabn_dataset_builder_skip (b, file, l + 1,
                                     _("an impostor pair of two images of the same person"));
          continue;
        }
      if (gabn_dataset_builder_has_pair (b, a, bb))
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("duplicate pair"));
          continue;
        }
      gabn_dataset_builder_pair (b, a, bb, same, fold);
    }
}

GabnDataset *
gabn_load_rfw (const char *root, const char *test_dir, const GabnLoadContext *ctx,
               GError **error)
{
  g_autoptr(GabnDatasetBuilder) b = gabn_dataset_builder_new ("rfw", root);
  g_autofree char *data_dir = g_build_filename (test_dir, "data", NULL);
  g_autofree char *txts_dir = g_build_filename (test_dir, "txts", NULL);
  g_autoptr(GPtrArray) races = NULL;

  if (!gabn_scan_groups (b, data_dir, NULL, ctx, error))
    return NULL;
  races = gabn_list_dir (data_dir, error);
  if (races == NULL)
    return NULL;
  for (guint r = 0; r < races->len; r++)
    {
      const char *race = g_ptr_array_index (races, r);
      g_autofree char *name = g_strdup_printf ("%s_pairs.txt", race);
      g_autofree char *file = g_build_filename (txts_dir, race, name, NULL);
      g_autofree char *race_dir = g_build_filename (data_dir, race, NULL);
      if (!g_file_test (race_dir, G_FILE_TEST_IS_DIR))
        continue;
      if (gabn_data_cancelled (ctx->cancellable, error))
        return NULL;
      read_rfw_pairs (b, data_dir, race, file);
    }
  return gabn_dataset_builder_finish (b, error);
}
