/* fuzz-image.c: an image file to the network's input, the path training
 * and evaluation take: GdkPixbuf's decoder (any format it sniffs), RGB,
 * bilinear resize to 112×112, normalised channels-first floats.
 * Covers: src/engine/data/gabn-image.c src/engine/data/gabn-dataset.c */
#include "fuzz-common.h"
#include "gabn-dataset.h"

#include <math.h>

#define SIZE 112

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static float chw[3 * SIZE * SIZE];
  g_autoptr(GError) error = NULL;
  GabnImage image = { (char *) fuzz_input_file (data, size), -1, -1, -1, -1 };
  GabnDataset ds = { .images = &image, .n_images = 1 };
  GabnPreprocess pre;

  gabn_preprocess_init_builtin (&pre, SIZE);
  if (!gabn_dataset_load_image (&ds, 0, &pre, TRUE, chw, &error))
    {
      g_assert (error != NULL);
      return 0;
    }
  for (int i = 0; i < 3 * SIZE * SIZE; i++)
    g_assert (chw[i] >= -1.0f && chw[i] <= 1.0f);
  return 0;
}
