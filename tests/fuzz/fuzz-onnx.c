/* fuzz-onnx.c: an ONNX model as `gabn --model x.onnx` opens it: the
 * protobuf, the graph's order, every node mapped onto engine layers and
 * the initializers folded; on success, one forward pass.
 * Covers: src/engine/import/gabn-onnx.c src/engine/import/gabn-onnx-ops.c src/engine/import/gabn-onnx-fold.c */
#include "fuzz-common.h"
#include "gabn-onnx.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  GabnNet *net = gabn_onnx_load (fuzz_input_file (data, size), &metadata, &error);

  g_assert ((net != NULL) == (error == NULL));
  if (net != NULL)
    {
      int s = gabn_net_input_size (net);
      g_autofree float *x = g_new0 (float, 3 * (gsize) s * s);

      gabn_net_forward (net, x, 1);
      gabn_net_free (net);
    }
  return 0;
}
