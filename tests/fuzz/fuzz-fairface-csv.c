/* fuzz-fairface-csv.c: FairFace's fairface_label_train.csv. Four images in
 * train/ are made once; each input becomes the CSV and the folder is opened
 * as the app opens it.
 * Covers: src/engine/data/gabn-load-fairface.c */
#include "fuzz-common.h"
#include "gabn-dataset.h"

static const char *
fixture (void)
{
  static char *root;

  if (root == NULL)
    {
      root = g_build_filename (fuzz_tmp_dir (), "fairface", NULL);
      for (int k = 1; k <= 4; k++)
        {
          g_autofree char *rel = g_strdup_printf ("train/%d.jpg", k);
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

  fuzz_write (root, "fairface_label_train.csv", data, size);
  ds = gabn_dataset_open (root, NULL, NULL, NULL, NULL, &error);
  g_assert ((ds != NULL) == (error == NULL));
  for (int i = 0; ds && i < ds->n_images; i++)
    g_assert (ds->images[i].group >= 0 && ds->images[i].group < ds->n_groups);
  return 0;
}
