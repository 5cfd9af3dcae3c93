/* fuzz-model-file.c: loading a model file as the CLI and the app do: the
 * container, the architecture (metadata, hint or inferred from the names)
 * and every tensor's presence and shape.
 * Covers: src/engine/nn/gabn-model-file.c src/engine/nn/gabn-safetensors.c */
#include "fuzz-common.h"
#include "gabn-model-file.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GabnNet) net = gabn_model_load (fuzz_input_file (data, size), NULL, &metadata, &error);

  g_assert ((net != NULL) == (error == NULL));
  return 0;
}
