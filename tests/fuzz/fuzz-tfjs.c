/* fuzz-tfjs.c: a TF.js weights manifest (as @vladmandic/face-api ships
 * dlib's ResNet) beside a fixed shard as large as face-api's (so its
 * manifest loads whole and the mapping onto the architecture runs): the
 * JSON, groups, paths (which must stay inside the folder), dtypes,
 * quantization, sizes and the weights' names and shapes.
 * Covers: src/engine/nn/gabn-tfjs.c src/engine/nn/gabn-arch-dlib.c */
#include "fuzz-common.h"
#include "gabn-tfjs.h"

static const char *
fixture (void)
{
  static char *root;

  if (root == NULL)
    {
      const gsize n = 6444032;   /* face_recognition_model.bin */
      g_autofree guint8 *shard = g_new (guint8, n);

      for (gsize i = 0; i < n; i++)
        shard[i] = (guint8) (i * 131 + 7);
      root = g_build_filename (fuzz_tmp_dir (), "tfjs", NULL);
      fuzz_write (root, "shard.bin", shard, n);
    }
  return root;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  const char *root = fixture ();
  g_autofree char *manifest = g_build_filename (root, "model-weights_manifest.json", NULL);
  g_autoptr(GError) error = NULL;
  GabnNet *net;

  fuzz_write (root, "model-weights_manifest.json", data, size);
  (void) gabn_tfjs_peek_arch (manifest);
  net = gabn_tfjs_load (manifest, &error);
  g_assert ((net != NULL) == (error == NULL));
  gabn_net_free (net);
  return 0;
}
