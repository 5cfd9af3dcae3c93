/* fuzz-pickle.c: the data-only pickle reader on its own (faster than
 * through the zip): only a state_dict's opcodes and globals are accepted,
 * nothing is ever executed.
 * Covers: src/engine/import/gabn-pickle.c */
#include "fuzz-common.h"
#include "gabn-pickle.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnPickle) pickle = gabn_pickle_load (data, size, "fuzz.pth", "archive/data.pkl", &error);

  g_assert ((pickle != NULL) == (error == NULL));
  if (pickle != NULL)
    g_assert (gabn_pickle_root (pickle) != NULL);
  return 0;
}
