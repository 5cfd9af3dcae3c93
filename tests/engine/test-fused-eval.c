/* test-fused-eval.c: in eval mode a convolution applies its BatchNorm and
 * the PReLU after it in its own output pass (gabn-net-run.c). That must
 * change nothing: every value of the net — convolution, BatchNorm and
 * PReLU outputs alike — equals, bit for bit, the one the layers compute
 * one by one, for single images (the packed kernels) and batches, on
 * iresnet18 (Winograd, packed, im2col convolutions) and mobilefacenet
 * (grouped and depthwise ones). */
#include "gabn-engine.h"
#include "gabn-net-private.h"

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
      g_autofree float **fused_values = g_new0 (float *, net->n_values);

      for (gsize i = 0; i < n_in; i++)
        input[i] = (float) ((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
      gabn_net_forward (net, input, batch);
      for (int v = 0; v < net->n_values; v++)
        fused_values[v] = g_memdup2 (net->values[v].data, (gsize) batch
                                     * gabn_value_size (&net->values[v]) * sizeof (float));
      /* One node at a time: nothing is fused. */
      for (int i = 0; i < net->n_nodes; i++)
        gabn_net_run_forward (net, i, i + 1);
      for (int v = 0; v < net->n_values; v++)
        {
          gsize n = (gsize) batch * gabn_value_size (&net->values[v]);

          if (memcmp (fused_values[v], net->values[v].data, n * sizeof (float)) != 0)
            g_error ("%s batch %d: value %d differs between the fused and the layer-by-layer pass",
                     arch, batch, v);
          g_free (fused_values[v]);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gabn_set_threads (2);
  g_test_add_data_func ("/engine/fused-eval/iresnet18", "iresnet18", check_arch);
  g_test_add_data_func ("/engine/fused-eval/mobilefacenet", "mobilefacenet", check_arch);
  return g_test_run ();
}
