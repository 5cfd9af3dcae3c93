/* fuzz-safetensors.c: the safetensors container — the header (length,
 * JSON, entries, metadata) and every tensor's data converted to float.
 * Covers: src/engine/nn/gabn-safetensors.c src/engine/nn/gabn-dtype.c */
#include "fuzz-common.h"
#include "gabn-safetensors.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (fuzz_input_file (data, size), &error);

  if (st == NULL)
    return 0;
  for (guint i = 0; i < gabn_safetensors_n_entries (st); i++)
    {
      const GabnSafetensorsEntry *e = gabn_safetensors_entry (st, i);
      g_autofree float *values = g_new (float, e->numel);
      g_autofree char *shape = gabn_safetensors_shape_string (e->ndim, e->shape);

      g_assert (gabn_safetensors_find (st, e->name) == e && shape[0] == '[');
      gabn_safetensors_read (st, e, values);
    }
  return 0;
}
