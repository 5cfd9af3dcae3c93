/* fuzz-pth.c: a PyTorch checkpoint (torch.save's zip): the archive, the
 * data-only pickle, every tensor's storage and view, read as float.
 * Covers: src/engine/import/gabn-pth.c src/engine/import/gabn-pickle.c */
#include "fuzz-common.h"
#include "gabn-pth.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnPth) pth = gabn_pth_open (fuzz_input_file (data, size), &error);

  g_assert ((pth != NULL) == (error == NULL));
  for (guint i = 0; pth && i < gabn_pth_n_tensors (pth); i++)
    {
      const GabnPthTensor *t = gabn_pth_tensor (pth, i);
      g_autoptr(GError) read_error = NULL;
      float *values;

      /* The opener checked each view against its storage; cap what one
       * input may make the harness allocate. */
      if (t->dtype == GABN_DTYPE_UNKNOWN || t->numel > (1u << 24))
        continue;
      values = g_new (float, MAX (t->numel, 1));
      if (!gabn_pth_read (pth, i, values, &read_error))
        g_assert (read_error != NULL);
      g_free (values);
    }
  return 0;
}
