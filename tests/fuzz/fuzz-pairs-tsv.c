/* fuzz-pairs-tsv.c: a generic dataset's pairs.tsv. The folder (two groups,
 * three identities each, two images each) is made once; each input becomes
 * its pairs.tsv and the folder is opened as the app opens it.
 * Covers: src/engine/data/gabn-pairs-file.c src/engine/data/gabn-dataset-open.c */
#include "fuzz-common.h"
#include "gabn-dataset.h"

static const char *
fixture (void)
{
  static char *root;

  if (root == NULL)
    {
      root = g_build_filename (fuzz_tmp_dir (), "generic", NULL);
      for (int g = 0; g < 2; g++)
        for (int i = 0; i < 3; i++)
          for (int k = 1; k <= 2; k++)
            {
              g_autofree char *rel = g_strdup_printf ("G%d/id%d/%d.jpg", g, i, k);
              fuzz_touch (root, rel);
            }
    }
  return root;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *root = fixture ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnDataset) ds = NULL;

  fuzz_write (root, "pairs.tsv", data, size);
  ds = gabn_dataset_open (root, NULL, NULL, NULL, NULL, &error);
  g_assert ((ds != NULL) == (error == NULL));
  for (int p = 0; ds && p < ds->n_pairs; p++)
    g_assert (ds->pairs[p].a >= 0 && ds->pairs[p].a < ds->n_images
              && ds->pairs[p].b >= 0 && ds->pairs[p].b < ds->n_images
              && ds->pairs[p].fold >= 0 && ds->pairs[p].fold < 10);
  return 0;
}
