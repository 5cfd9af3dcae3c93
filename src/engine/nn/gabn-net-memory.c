/* gabn-net-memory.c: what a net's memory holds, by what for — to see where
 * a training step's peak goes (gabn bench, docs/PERFORMANCE.md). Counts the
 * buffers the net owns now; the optimiser's state is the caller's. */
#include "gabn-net-private.h"
#include "gabn-packed-gemm.h"
#include "gabn-winograd.h"

#include <string.h>

/* Weights a convolution or Linear node keeps in another form. */
static gsize
derived_floats (const GabnNet *net, const GabnNode *node)
{
  const GabnConvShape *s = &node->conv;
  gsize n = 0;

  if (node->wino_u)
    n += gabn_winograd_weight_floats (s);
  if (node->packed)
    n += gabn_winograd_applies (s) ? gabn_winograd_packed_floats (s)
                                   : gabn_packed_floats (s->out_c, s->in_c * s->kernel * s->kernel);
  if (node->pooled)
    n += (gsize) net->values[node->out].c * net->values[net->features_value].c;
  return n;
}

void
gabn_net_memory (const GabnNet *net, GabnNetMemory *memory)
{
  gsize cap = (gsize) net->capacity;

  memset (memory, 0, sizeof *memory);
  for (int i = 0; i < net->n_values; i++)
    if (net->values[i].data && !net->values[i].transient)
      memory->activations += cap * gabn_value_size (&net->values[i]) * sizeof (float);
  if (net->transient_buffers)
    for (guint i = 0; i < net->transient_buffers->len; i++)
      memory->activations += g_array_index (net->transient_buffers, GabnBuffer, i).floats
                             * sizeof (float);
  memory->value_grads = net->grad_floats_held * sizeof (float);
  memory->parameters = (2 * net->n_params + net->n_buffers) * sizeof (float);
  memory->workspace = net->workspace_floats * sizeof (float);
  memory->derived = net->wino_scratch_floats * sizeof (float);
  for (int i = 0; i < net->n_nodes; i++)
    {
      const GabnNode *node = &net->nodes[i];

      memory->derived += derived_floats (net, node) * sizeof (float);
      if (node->save_mean)
        memory->layer_state += 2 * (gsize) net->values[node->out].c * sizeof (float);
      if (node->mask)
        memory->layer_state += cap * gabn_value_size (&net->values[node->in]) * sizeof (float);
      if (node->argmax)
        memory->layer_state += cap * gabn_value_size (&net->values[node->out]) * sizeof (int);
    }
}
