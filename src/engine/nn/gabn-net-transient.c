/* gabn-net-transient.c: in training, the values backward never reads (a
 * BatchNorm's output feeding only a residual Add, the Add's other branch…)
 * live only from the node writing them to their last reader's forward, so
 * they share a few buffers instead of keeping one each for the whole step:
 * iresnet50 at batch 32 keeps 230 MB less (docs/PERFORMANCE.md). Eval
 * keeps every value (the explorer may take A at any layer, and the fused
 * eval test compares them all), so leaving training gives them their own
 * buffers back. */
#include "gabn-net-private.h"

/* Whether anything reads value's data after the forward pass: a backward
 * (see backward_node in gabn-net-run.c) or the net's callers (the input,
 * A, the embeddings). Unknown kinds count as readers. */
static gboolean
read_after_forward (const GabnNet *net, int value)
{
  if (value == net->input_value || value == net->features_value
      || value == net->embedding_value)
    return TRUE;
  for (int i = 0; i < net->n_nodes; i++)
    {
      const GabnNode *node = &net->nodes[i];

      switch (node->kind)
        {
        case GABN_NODE_CONV:
        case GABN_NODE_PRELU:
        case GABN_NODE_LINEAR:
          if (node->in == value)
            return TRUE;
          break;
        case GABN_NODE_BATCHNORM:
          if (node->in == value || (node->relu && node->out == value))
            return TRUE;
          break;
        case GABN_NODE_RELU:
          if (node->out == value)
            return TRUE;
          break;
        case GABN_NODE_ADD:
        case GABN_NODE_FLATTEN:
        case GABN_NODE_DROPOUT:
        case GABN_NODE_AFFINE:
        case GABN_NODE_PAD:
        case GABN_NODE_MAXPOOL:
        case GABN_NODE_AVGPOOL:
        case GABN_NODE_GLOBALPOOL:
        case GABN_NODE_ZERO_PAD:
          break;
        default:
          if (node->in == value || node->in2 == value || node->out == value)
            return TRUE;
        }
    }
  return FALSE;
}

/* A shared buffer from net->transient_buffers: the smallest free one of at
 * least floats, else a new one. */
static int
take_buffer (GabnNet *net, gsize floats, gboolean *busy)
{
  GArray *buffers = net->transient_buffers;
  int best = -1;

  for (guint i = 0; i < buffers->len; i++)
    {
      gsize have = g_array_index (buffers, GabnBuffer, i).floats;

      if (!busy[i] && have >= floats
          && (best < 0 || have < g_array_index (buffers, GabnBuffer, best).floats))
        best = (int) i;
    }
  if (best < 0)
    {
      GabnBuffer b = { g_new (float, floats), floats };

      g_array_append_val (buffers, b);
      best = (int) buffers->len - 1;
    }
  busy[best] = TRUE;
  return best;
}

/* Points every transient value into the shared buffers: a value takes one
 * when its writer runs and frees it after its last reader (never the
 * buffer of a value the same node reads). */
static void
share (GabnNet *net)
{
  g_autofree int *last_reader = g_new (int, net->n_values);
  g_autofree int *buffer_of = g_new (int, net->n_values);
  g_autofree gboolean *transient = g_new0 (gboolean, net->n_values);
  /* At most one buffer per value. */
  g_autofree gboolean *busy = g_new0 (gboolean, net->n_values);

  for (int v = 0; v < net->n_values; v++)
    {
      last_reader[v] = -1;
      buffer_of[v] = -1;
    }
  for (int i = 0; i < net->n_nodes; i++)
    {
      last_reader[net->nodes[i].in] = i;
      if (net->nodes[i].in2 >= 0)
        last_reader[net->nodes[i].in2] = i;
    }
  net->transient_buffers = g_array_new (FALSE, FALSE, sizeof (GabnBuffer));
  for (int i = 0; i < net->n_nodes; i++)
    {
      const GabnNode *node = &net->nodes[i];
      int out = node->out;

      if (buffer_of[out] < 0 && !read_after_forward (net, out))
        {
          transient[out] = TRUE;
          buffer_of[out] = take_buffer (net, (gsize) net->capacity
                                        * gabn_value_size (&net->values[out]), busy);
        }
      if (transient[node->in] && last_reader[node->in] == i)
        busy[buffer_of[node->in]] = FALSE;
      if (node->in2 >= 0 && transient[node->in2] && last_reader[node->in2] == i)
        busy[buffer_of[node->in2]] = FALSE;
      if (transient[out] && last_reader[out] < 0)
        busy[buffer_of[out]] = FALSE;
    }
  for (int v = 0; v < net->n_values; v++)
    if (transient[v])
      {
        g_free (net->values[v].data);
        net->values[v].data = g_array_index (net->transient_buffers, GabnBuffer,
                                             buffer_of[v]).data;
        net->values[v].transient = TRUE;
      }
  net->transient_features = net->features_value;
  net->transient_n_nodes = net->n_nodes;
}

void
gabn_net_drop_transients (GabnNet *net)
{
  if (net->transient_buffers == NULL)
    return;
  for (int v = 0; v < net->n_values; v++)
    if (net->values[v].transient)
      {
        net->values[v].data = NULL;
        net->values[v].transient = FALSE;
      }
  for (guint i = 0; i < net->transient_buffers->len; i++)
    g_free (g_array_index (net->transient_buffers, GabnBuffer, i).data);
  g_clear_pointer (&net->transient_buffers, g_array_unref);
}

/* Gives the transient values their own buffers back. */
static void
unshare (GabnNet *net)
{
  for (int v = 0; v < net->n_values; v++)
    if (net->values[v].transient)
      {
        net->values[v].data = g_new0 (float, (gsize) net->capacity
                                      * gabn_value_size (&net->values[v]));
        net->values[v].transient = FALSE;
      }
  gabn_net_drop_transients (net);
}

void
gabn_net_share_transients (GabnNet *net)
{
  gboolean stale = net->transient_buffers != NULL
                   && (net->transient_features != net->features_value
                       || net->transient_n_nodes != net->n_nodes);

  if (net->transient_buffers != NULL && (!net->training || stale))
    unshare (net);
  if (net->training && net->transient_buffers == NULL && net->capacity > 0)
    share (net);
}
