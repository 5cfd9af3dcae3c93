/* test-fused-eval.c: in eval mode a convolution applies its BatchNorm and
 * the PReLU after it in its own output pass (gabn-net-run.c). That must
 * change nothing: with every value kept, every value of the net —
 * convolution, BatchNorm and PReLU outputs alike — equals, bit for bit, the
 * one the layers compute one by one, for single images (the packed
 * kernels) and batches, on iresnet18 (Winograd, packed, im2col
 * convolutions) and mobilefacenet (grouped and depthwise ones). Inference
 * skips the values only the next layer of a chain reads: then every value
 * is either that same one or not written at all (and marked stale), and
 * the skipped ones come back, bit for bit, when a backward over the
 * backbone or a moved feature layer needs them. */
#include "gabn-engine.h"
#include "gabn-net-private.h"
#include "gabn-packed-gemm.h"

#include <string.h>

static void
check_arch (gconstpointer data)
{
  const char *arch = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_net_new (arch, 10, 3, &error);
  int S, fused = 0;

  g_assert_no_error (error);
  S = gabn_net_input_size (net);
  /* Running statistics and slopes away from their initial 0 / 1 / 0.25,
   * so that a BatchNorm or PReLU applied twice or not at all shows. */
  for (int i = 0; i < net->n_nodes; i++)
    {
      GabnNode *node = &net->nodes[i];
      int c = net->values[node->out].c;

      if (node->kind == GABN_NODE_BATCHNORM)
        for (int k = 0; k < c; k++)
          {
            net->tensors[node->running_mean].data[k] = 0.01f * (k % 7) - 0.03f;
            net->tensors[node->running_var].data[k] = 1.0f + 0.1f * (k % 5);
            net->tensors[node->bias].data[k] = 0.02f * (k % 3) - 0.02f;
          }
      else if (node->kind == GABN_NODE_PRELU)
        for (int k = 0; k < c; k++)
          net->tensors[node->weight].data[k] = 0.1f + 0.05f * (k % 4);
      if (node->kind == GABN_NODE_PRELU && i >= 2 && net->nodes[i - 1].kind == GABN_NODE_BATCHNORM
          && net->nodes[i - 2].kind == GABN_NODE_CONV)
        fused++;
    }
  g_assert_cmpint (fused, >, 0);
  gabn_net_set_training (net, FALSE);

  /* 1: the packed kernels; 2: a batch the threads share evenly (the 1×1
   * layers' one product per image); 3: the per-image products. */
  gabn_set_threads (2);
  for (int batch = 1; batch <= 3; batch++)
    {
      gsize n_in = (gsize) batch * 3 * S * S;
      g_autofree float *input = g_new (float, n_in);
      g_autofree float **layered = g_new0 (float *, net->n_values);
      g_autofree float *d_feat = NULL, *d_kept = NULL, *d_refreshed = NULL;
      gsize n_feat;
      int c, h, w, stale = 0, moved = -1;

      for (gsize i = 0; i < n_in; i++)
        input[i] = (float) ((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
      /* One node at a time: nothing is fused, every value written. */
      gabn_net_forward (net, input, batch);
      for (int i = 0; i < net->n_nodes; i++)
        gabn_net_run_forward (net, i, i + 1);
      for (int v = 0; v < net->n_values; v++)
        layered[v] = g_memdup2 (net->values[v].data, (gsize) batch
                                * gabn_value_size (&net->values[v]) * sizeof (float));

      /* Fused, every value kept. */
      for (int v = 0; v < net->n_values; v++)
        if (v != net->input_value)
          memset (net->values[v].data, 0xff, (gsize) batch * gabn_value_size (&net->values[v])
                  * sizeof (float));
      net->keep_all_values = TRUE;
      gabn_net_forward (net, input, batch);
      net->keep_all_values = FALSE;
      for (int v = 0; v < net->n_values; v++)
        if (memcmp (layered[v], net->values[v].data, (gsize) batch
                    * gabn_value_size (&net->values[v]) * sizeof (float)) != 0)
          g_error ("%s batch %d: value %d differs between the fused and the layer-by-layer pass",
                   arch, batch, v);

      /* Image by image (a batch of MobileFaceNet's layers, gabn-net-run.c)
       * against the batch through each layer in turn: the same bits. */
      net->keep_all_values = TRUE;
      net->batched_only = TRUE;
      gabn_net_forward (net, input, batch);
      net->batched_only = FALSE;
      net->keep_all_values = FALSE;
      for (int v = 0; v < net->n_values; v++)
        if (memcmp (layered[v], net->values[v].data, (gsize) batch
                    * gabn_value_size (&net->values[v]) * sizeof (float)) != 0)
          g_error ("%s batch %d: value %d differs between the batched and the image-by-image pass",
                   arch, batch, v);

      /* Fused, only what is read: the rest is left as it was (all NaN). */
      for (int v = 0; v < net->n_values; v++)
        if (v != net->input_value)
          memset (net->values[v].data, 0xff, (gsize) batch * gabn_value_size (&net->values[v])
                  * sizeof (float));
      gabn_net_forward (net, input, batch);
      for (int v = 0; v < net->n_values; v++)
        {
          gsize n = (gsize) batch * gabn_value_size (&net->values[v]);
          const guint32 *bits = (const guint32 *) net->values[v].data;
          gboolean untouched = TRUE;

          for (gsize i = 0; i < n && untouched; i++)
            untouched = bits[i] == 0xffffffffu;
          if (net->values[v].stale)
            {
              g_assert_true (untouched);
              g_assert_cmpint (v, !=, net->features_value);
              g_assert_cmpint (v, !=, net->embedding_value);
              stale++;
            }
          else if (memcmp (layered[v], net->values[v].data, n * sizeof (float)) != 0)
            g_error ("%s batch %d: kept value %d differs from the layer-by-layer pass",
                     arch, batch, v);
        }
      g_assert_cmpint (stale, >, 0);

      /* A backward over the backbone in eval mode recomputes them: the
       * same input gradient as after a forward that kept everything. */
      gabn_net_feature_shape (net, &c, &h, &w);
      n_feat = (gsize) batch * c * h * w;
      d_feat = g_new (float, n_feat);
      d_kept = g_new (float, n_in);
      d_refreshed = g_new (float, n_in);
      for (gsize i = 0; i < n_feat; i++)
        d_feat[i] = (float) ((i * 40503u) % 1001) / 500.0f - 1.0f;
      gabn_net_backward_backbone (net, d_feat, d_refreshed);
      for (int v = 0; v < net->n_values; v++)
        g_assert_false (net->values[v].stale);
      net->keep_all_values = TRUE;
      gabn_net_forward (net, input, batch);
      net->keep_all_values = FALSE;
      gabn_net_backward_backbone (net, d_feat, d_kept);
      g_assert_cmpint (memcmp (d_kept, d_refreshed, n_in * sizeof (float)), ==, 0);

      /* Moving A onto a skipped convolution output after the forward. */
      gabn_net_forward (net, input, batch);
      for (int i = 0; i < net->n_backbone && moved < 0; i++)
        if (net->nodes[i].kind == GABN_NODE_CONV && net->nodes[i].name != NULL
            && net->values[net->nodes[i].out].stale
            && net->values[net->nodes[i].out].h * net->values[net->nodes[i].out].w > 1)
          moved = i;
      g_assert_cmpint (moved, >=, 0);
      g_assert_true (gabn_net_set_feature_layer (net, net->nodes[moved].name, &error));
      gabn_net_forward_head (net);
      g_assert_cmpint (memcmp (gabn_net_features (net), layered[net->nodes[moved].out],
                               (gsize) batch * gabn_value_size (&net->values[net->nodes[moved].out])
                               * sizeof (float)), ==, 0);
      g_assert_true (gabn_net_set_feature_layer (net, NULL, &error));
      for (int v = 0; v < net->n_values; v++)
        g_free (layered[v]);
    }
}

/* An image's backbone values — every convolution's, up to the feature
 * map Grad-CAM reads — do not depend on the batch it came in: every
 * convolution runs on packed weights at any batch, whose kernel sums each
 * output in the same order however many columns it has. (The head's
 * Linear is sgemv for one image and sgemm for a batch: its sums may differ
 * in the last bits.) */
static void
check_batch_independent (gconstpointer data)
{
  const char *arch = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_net_new (arch, 10, 3, &error);
  /* 8 on two threads: the Winograd layers go band by band (gabn-winograd.c). */
  int S, batch = 8;
  gsize n_img;
  g_autofree float *input = NULL;
  g_autofree float **batched = NULL;

  g_assert_no_error (error);
  if (!gabn_packed_gemm_available ())
    {
      g_test_skip ("no packed kernel on this CPU: sgemm's sums depend on the batch");
      return;
    }
  S = gabn_net_input_size (net);
  n_img = (gsize) 3 * S * S;
  input = g_new (float, batch * n_img);
  for (gsize i = 0; i < batch * n_img; i++)
    input[i] = (float) ((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
  gabn_net_set_training (net, FALSE);
  net->keep_all_values = TRUE;
  gabn_net_forward (net, input, batch);
  batched = g_new0 (float *, net->n_values);
  for (int v = 0; v < net->n_values; v++)
    batched[v] = g_memdup2 (net->values[v].data, (gsize) batch
                            * gabn_value_size (&net->values[v]) * sizeof (float));
  for (int b = 0; b < batch; b++)
    {
      gabn_net_forward (net, input + b * n_img, 1);
      for (int i = 0; i < net->n_backbone; i++)
        {
          int v = net->nodes[i].out;
          gsize n = gabn_value_size (&net->values[v]);

          if (memcmp (batched[v] + b * n, net->values[v].data, n * sizeof (float)) != 0)
            g_error ("%s: value %d of image %d differs between the batch and the image alone",
                     arch, v, b);
        }
    }
  net->keep_all_values = FALSE;
  for (int v = 0; v < net->n_values; v++)
    g_free (batched[v]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gabn_set_threads (2);
  g_test_add_data_func ("/engine/fused-eval/iresnet18", "iresnet18", check_arch);
  g_test_add_data_func ("/engine/fused-eval/mobilefacenet", "mobilefacenet", check_arch);
  g_test_add_data_func ("/engine/fused-eval/batch-independent/iresnet18", "iresnet18",
                        check_batch_independent);
  g_test_add_data_func ("/engine/fused-eval/batch-independent/mobilefacenet",
                        "mobilefacenet", check_batch_independent);
  g_test_add_data_func ("/engine/fused-eval/batch-independent/gabn-s", "gabn-s",
                        check_batch_independent);
  return g_test_run ();
}
