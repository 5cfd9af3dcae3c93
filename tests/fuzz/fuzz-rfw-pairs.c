/* fuzz-rfw-pairs.c: an RFW <Race>_pairs.txt. The folder test/data (two
 * races, two identities, three images each) is made once; each input
 * becomes African_pairs.txt and the folder is opened as the app opens it.
 * Covers: src/engine/data/gabn-load-rfw.c */
#include "fuzz-common.h"
#include "gabn-dataset.h"

static const char *const races[] = { "African", "Asian" };

static const char *
fixture (void)
{
  static char *root;

  if (root == NULL)
    {
      root = g_build_filename (fuzz_tmp_dir (), "rfw", NULL);
      for (int r = 0; r < 2; r++)
        for (int i = 1; i <= 2; i++)
          for (int k = 1; k <= 3; k++)
            {
              g_autofree char *rel = g_strdup_printf ("test/data/%s/m.0%d/m.0%d_%04d.jpg",
                                                      races[r], i, i, k);
              fuzz_touch (root, rel);
            }
      fuzz_write (root, "test/txts/Asian/Asian_pairs.txt", "m.01\t1\t2\n", 9);
    }
  return root;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *root = fixture ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnDataset) ds = NULL;

  fuzz_write (root, "test/txts/African/African_pairs.txt", data, size);
  ds = gabn_dataset_open (root, NULL, NULL, NULL, NULL, &error);
  g_assert ((ds != NULL) == (error == NULL));
  for (int p = 0; ds && p < ds->n_pairs; p++)
    g_assert (ds->pairs[p].a >= 0 && ds->pairs[p].a < ds->n_images
              && ds->pairs[p].b >= 0 && ds->pairs[p].b < ds->n_images
              && ds->pairs[p].fold >= 0 && ds->pairs[p].fold < 10);
  return 0;
}
