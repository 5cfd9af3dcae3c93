/* gabn-arch-dlib.c: dlib's ResNet face recognizer (dlib_face_recognition_
 * resnet_model_v1) as @vladmandic/face-api ships it in TF.js form
 * (its src/faceRecognitionNet/), built as engine nodes with face-api's
 * weight names. 150×150 RGB, (x − mean RGB)/255 (the normalize().div(255)
 * of face-api 1.7.15's dist, which ships these weights; the TypeScript
 * source on GitHub divides by 256), 128-d embedding, not L2-normalised by
 * the net. The net declares this preprocessing (gabn_net_set_preprocess);
 * the image path applies it.
 *
 *   conv32_down: conv 7×7/2 valid + bias, scale, ReLU   → 32×72×72
 *   max pool 3×3/2 valid                                → 32×35×35
 *   residual ×3 (32), down + ×3 (64), down + ×2 (128), down + ×2 (256)
 *   conv256_down_out: a last down block                 → 256×2×2
 *   mean over the cells, fc 256→128 without bias.
 *
 * A "conv layer" is conv + bias then a scale layer (per-channel affine);
 * residual: relu(conv2(relu(conv1 x)) + x), 3×3 "same". A down block's
 * conv1 is 3×3/2 valid; its shortcut is a 2×2/2 average pool with zero
 * channels appended when the width grows, and the conv path is padded with a
 * zero row and column at the end when it comes out one cell smaller (8 → 3
 * against 4, 4 → 1 against 2): face-api's residualDown exactly.
 *
 * The feature maps A of the GAM are the last stage's 256×4×4, the input of
 * conv256_down_out: that block's convolutions come out 1×1 (padded to 2×2),
 * so the 2×2 map after it has no spatial layout of its own; the block is
 * part of the head. */
#include "gabn-net-private.h"

#include <math.h>

static int
conv_layer (GabnNet *net, const char *prefix, int x, int out_c, int kernel,
            int stride, int pad, gboolean relu)
{
  GabnValue *v = &net->values[x];
  g_autofree char *filters = g_strdup_printf ("%s/conv/filters", prefix);
  g_autofree char *bias = g_strdup_printf ("%s/conv/bias", prefix);
  g_autofree char *scale = g_strdup_printf ("%s/scale", prefix);
  gint64 wshape[4] = { out_c, v->c, kernel, kernel };
  gint64 c = out_c;
  GabnConvShape shape;
  GabnNode *node;
  int out;

  gabn_conv_shape_init (&shape, v->c, v->h, v->w, out_c, kernel, stride, pad);
  out = gabn_net_add_value (net, out_c, shape.out_h, shape.out_w);
  node = gabn_net_add_node (net, GABN_NODE_CONV, x, out);
  node->conv = shape;
  node->weight = gabn_net_add_tensor (net, filters, GABN_TENSOR_PARAM, 4, wshape,
                                      GABN_INIT_NORMAL,
                                      sqrtf (2.0f / (v->c * kernel * kernel)));
  node->bias = gabn_net_add_tensor (net, bias, GABN_TENSOR_PARAM, 1, &c,
                                    GABN_INIT_ZERO, 0.0f);
  out = gabn_net_affine (net, scale, out);
  return relu ? gabn_net_relu (net, out) : out;
}

static int
residual (GabnNet *net, const char *name, int x)
{
  int c = net->values[x].c, out;
  g_autofree char *conv1 = g_strdup_printf ("%s/conv1", name);
  g_autofree char *conv2 = g_strdup_printf ("%s/conv2", name);

  out = conv_layer (net, conv1, x, c, 3, 1, 1, TRUE);
  out = conv_layer (net, conv2, out, c, 3, 1, 1, FALSE);
  return gabn_net_relu (net, gabn_net_add (net, out, x));
}

static int
residual_down (GabnNet *net, const char *name, int x, int out_c)
{
  g_autofree char *conv1 = g_strdup_printf ("%s/conv1", name);
  g_autofree char *conv2 = g_strdup_printf ("%s/conv2", name);
  int out, pooled;
  GabnValue o, p;

  out = conv_layer (net, conv1, x, out_c, 3, 2, 0, TRUE);
  out = conv_layer (net, conv2, out, out_c, 3, 1, 1, FALSE);
  pooled = gabn_net_avgpool (net, x, 2, 2, 0);
  o = net->values[out];
  p = net->values[pooled];
  if (o.h != p.h || o.w != p.w)
    out = gabn_net_zero_pad (net, out, o.c, p.h, p.w);
  if (p.c != out_c)
    pooled = gabn_net_zero_pad (net, pooled, out_c, p.h, p.w);
  return gabn_net_relu (net, gabn_net_add (net, pooled, out));
}

void
gabn_arch_build_dlib_resnet (GabnNet *net)
{
  static const struct { const char *name; int channels; gboolean down; } blocks[] = {
    { "conv32_1", 32, FALSE }, { "conv32_2", 32, FALSE }, { "conv32_3", 32, FALSE },
    { "conv64_down", 64, TRUE }, { "conv64_1", 64, FALSE }, { "conv64_2", 64, FALSE },
    { "conv64_3", 64, FALSE },
    { "conv128_down", 128, TRUE }, { "conv128_1", 128, FALSE }, { "conv128_2", 128, FALSE },
    { "conv256_down", 256, TRUE }, { "conv256_1", 256, FALSE }, { "conv256_2", 256, FALSE },
  };
  const GabnPreprocess pre = {
    150, 150, FALSE, { 122.782f, 117.001f, 104.298f },
    { 1 / 255.0f, 1 / 255.0f, 1 / 255.0f }
  };
  int x = net->input_value;

  x = conv_layer (net, "conv32_down", x, 32, 7, 2, 0, TRUE);
  x = gabn_net_maxpool (net, x, 3, 2, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (blocks); i++)
    x = blocks[i].down ? residual_down (net, blocks[i].name, x, blocks[i].channels)
                       : residual (net, blocks[i].name, x);
  net->features_value = x;
  net->n_backbone = net->n_nodes;
  x = residual_down (net, "conv256_down_out", x, 256);
  x = gabn_net_avgpool (net, x, net->values[x].h, net->values[x].h, 0);
  x = gabn_net_flatten (net, x);
  x = gabn_net_linear_no_bias (net, "fc", x, 128);
  net->embedding_value = x;
  gabn_net_set_preprocess (net, &pre);
}
