/* gabn-net-blocks.c: node builders for the layers that imported models add
 * to the built-in ones (dlib's ResNet: scale layers, pooling, zero-padded
 * shortcuts, a Linear without bias). Each appends one node and returns its
 * output value, as the builders of gabn-net.c. */
#include "gabn-net-private.h"

#include <math.h>

static int
add_named (GabnNet *net, const char *prefix, const char *suffix, int ndim,
           const gint64 *shape, GabnInitKind init, float value)
{
  g_autofree char *name = g_strdup_printf ("%s%s", prefix, suffix);

  return gabn_net_add_tensor (net, name, GABN_TENSOR_PARAM, ndim, shape, init, value);
}

/* Tensors NAME/weights and NAME/biases: face-api's names for a scale layer. */
int
gabn_net_affine (GabnNet *net, const char *name, int in)
{
  GabnValue v = net->values[in];
  gint64 c = v.c;
  int weight = add_named (net, name, "/weights", 1, &c, GABN_INIT_CONSTANT, 1.0f);
  int bias = add_named (net, name, "/biases", 1, &c, GABN_INIT_ZERO, 0.0f);
  int out = gabn_net_add_value (net, v.c, v.h, v.w);
  GabnNode *node = gabn_net_add_node (net, GABN_NODE_AFFINE, in, out);

  node->weight = weight;
  node->bias = bias;
  return out;
}

static int
pool (GabnNet *net, GabnNodeKind kind, int in, int kernel, int stride, int pad)
{
  GabnValue v = net->values[in];
  int oh = gabn_pool_out_size (v.h, kernel, stride, pad);
  int ow = gabn_pool_out_size (v.w, kernel, stride, pad);
  int out = gabn_net_add_value (net, v.c, oh, ow);
  GabnNode *node = gabn_net_add_node (net, kind, in, out);

  node->conv = (GabnConvShape) { v.c, v.h, v.w, v.c, oh, ow, kernel, stride, pad };
  return out;
}

int
gabn_net_maxpool (GabnNet *net, int in, int kernel, int stride, int pad)
{
  return pool (net, GABN_NODE_MAXPOOL, in, kernel, stride, pad);
}

int
gabn_net_avgpool (GabnNet *net, int in, int kernel, int stride, int pad)
{
  return pool (net, GABN_NODE_AVGPOOL, in, kernel, stride, pad);
}

int
gabn_net_zero_pad (GabnNet *net, int in, int c, int h, int w)
{
  GabnValue v = net->values[in];
  int out;

  g_return_val_if_fail (c >= v.c && h >= v.h && w >= v.w, -1);
  out = gabn_net_add_value (net, c, h, w);
  gabn_net_add_node (net, GABN_NODE_ZERO_PAD, in, out);
  return out;
}

/* Tensor NAME, (out, in) as PyTorch's Linear weight. */
int
gabn_net_linear_no_bias (GabnNet *net, const char *name, int in,
                         int out_features)
{
  int in_features = (int) gabn_value_size (&net->values[in]);
  gint64 shape[2] = { out_features, in_features };
  int weight = gabn_net_add_tensor (net, name, GABN_TENSOR_PARAM, 2, shape,
                                    GABN_INIT_UNIFORM,
                                    1.0f / sqrtf ((float) in_features));
  int out = gabn_net_add_value (net, out_features, 1, 1);

  gabn_net_add_node (net, GABN_NODE_LINEAR, in, out)->weight = weight;
  return out;
}
