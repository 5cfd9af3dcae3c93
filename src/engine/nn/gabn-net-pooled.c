/* gabn-net-pooled.c: Grad-CAM's channel weights through an eval-mode head
 * without the head's full backward (see gabn_net_backward_head_pooled).
 *
 * In eval mode every built-in head is affine in A: per-channel BatchNorm,
 * Flatten, Dropout (the identity), one Linear, then layers after it. So
 * mean_ij ∂y/∂A_kij needs only the Linear's weights summed over each
 * channel's cells, S[o][k] = Σ_ij W[o][k·hw + ij]: O×C floats read per image
 * instead of the O×C·hw of Wᵀ·g (8 MB for gabn-s, 51 MB for iresnet), which
 * was a sixth of a single-image Grad-CAM. S is kept while the weights are
 * (the params_epoch rule of gabn-net.h). */
#include "gabn-net-private.h"

#include <string.h>

/* The head's Linear node, when everything between A and it is per channel
 * (eval BatchNorm without ReLU, Flatten, Dropout); −1 otherwise. */
static int
pooled_linear_node (const GabnNet *net)
{
  const GabnValue *A = &net->values[net->features_value];

  for (int i = net->n_backbone; i < net->n_nodes; i++)
    {
      const GabnNode *node = &net->nodes[i];

      switch (node->kind)
        {
        case GABN_NODE_LINEAR:
          return gabn_value_size (&net->values[node->in]) == gabn_value_size (A) ? i : -1;
        case GABN_NODE_BATCHNORM:
          if (node->relu || net->values[node->in].c != A->c)
            return -1;
          break;
        case GABN_NODE_FLATTEN:
        case GABN_NODE_DROPOUT:
          break;
        default:
          return -1;
        }
    }
  return -1;
}

/* S (O × C) of the Linear node, remade when the weights may have changed. */
static const float *
pooled_weights (GabnNet *net, GabnNode *linear, int C, int hw)
{
  int O = net->values[linear->out].c;
  const float *W = net->tensors[linear->weight].data;

  if (linear->pooled == NULL)
    linear->pooled = g_new (float, (gsize) O * C);
  if (linear->pooled_epoch != *net->params_epoch)
    {
      for (int o = 0; o < O; o++)
        for (int k = 0; k < C; k++)
          {
            const float *w = W + ((gsize) o * C + k) * hw;
            double sum = 0;

            for (int i = 0; i < hw; i++)
              sum += w[i];
            linear->pooled[(gsize) o * C + k] = (float) sum;
          }
      linear->pooled_epoch = *net->params_epoch;
    }
  return linear->pooled;
}

gboolean
gabn_net_backward_head_pooled (GabnNet *net, const float *d_embeddings,
                               float *alpha)
{
  const GabnValue *A = &net->values[net->features_value];
  int B = net->batch, C = A->c, hw = A->h * A->w, L, O;
  const float *g, *S;

  g_return_val_if_fail (B > 0, FALSE);
  if (net->training || (L = pooled_linear_node (net)) < 0)
    return FALSE;

  /* The layers after the Linear, by their own backward. */
  gabn_net_ensure_capacity (net, B);
  memcpy (gabn_net_value_grad (net, net->embedding_value), d_embeddings,
          (gsize) B * gabn_value_size (&net->values[net->embedding_value]) * sizeof (float));
  gabn_net_run_backward (net, L + 1, net->n_nodes, FALSE, FALSE);
  g = gabn_net_value_grad (net, net->nodes[L].out);
  O = net->values[net->nodes[L].out].c;
  S = pooled_weights (net, &net->nodes[L], C, hw);

  for (int b = 0; b < B; b++)
    for (int k = 0; k < C; k++)
      {
        double sum = 0;

        for (int o = 0; o < O; o++)
          sum += (double) g[(gsize) b * O + o] * S[(gsize) o * C + k];
        /* Back through the per-channel layers: eval BatchNorm scales by
         * γ·rstd (as its backward); Flatten and Dropout pass through. */
        for (int i = L - 1; i >= net->n_backbone; i--)
          {
            const GabnNode *node = &net->nodes[i];

            if (node->kind == GABN_NODE_BATCHNORM)
              sum *= net->tensors[node->weight].data[k] * (double) node->save_rstd[k];
          }
        alpha[(gsize) b * C + k] = (float) (sum / hw);
      }
  return TRUE;
}
