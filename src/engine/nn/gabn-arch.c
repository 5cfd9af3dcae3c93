/* gabn-arch.c: the built-in architectures (DESIGN.md section 4), built as
 * node lists with PyTorch's parameter names, in state_dict order. */
#include "gabn-net-private.h"

#include <glib/gi18n.h>

#include <math.h>
#include <string.h>

#define IRESNET_BN_EPS 1e-5f

/* gabn-s: 7 × (Conv2d 3×3 no bias, BatchNorm2d, ReLU) → 256×8×8 → head
 * Flatten, Linear(16384, 128), BatchNorm1d(128). Each BatchNorm and its
 * ReLU run as one fused node (PyTorch's backbone.{3i+2} has no tensors). */
static void
build_gabn_s (GabnNet *net)
{
  static const int channels[7] = { 32, 64, 64, 128, 128, 256, 256 };
  static const int strides[7] = { 1, 2, 1, 2, 1, 2, 1 };
  int x = net->input_value;

  for (int i = 0; i < 7; i++)
    {
      g_autofree char *conv = g_strdup_printf ("backbone.%d", 3 * i);
      g_autofree char *bn = g_strdup_printf ("backbone.%d", 3 * i + 1);
      int fan_in = net->values[x].c * 9;

      /* PyTorch's default Conv2d initialisation: U(±1/√fan_in). */
      x = gabn_net_conv (net, conv, x, channels[i], 3, strides[i], 1, FALSE,
                         GABN_INIT_UNIFORM, 1.0f / sqrtf ((float) fan_in));
      x = gabn_net_batchnorm_relu (net, bn, x, 1e-5f);
    }
  net->features_value = x;
  net->n_backbone = net->n_nodes;
  x = gabn_net_flatten (net, x);
  x = gabn_net_linear (net, "head.1", x, 128);
  x = gabn_net_batchnorm (net, "head.2", x, 1e-5f);
  net->embedding_value = x;
}

/* arcface_torch's conv3x3 / conv1x1 (no bias), initialised N(0, 0.1²). */
static int
iresnet_conv (GabnNet *net, const char *prefix, const char *name, int x,
              int out_c, int kernel, int stride)
{
  g_autofree char *full = g_strdup_printf ("%s%s", prefix, name);

  return gabn_net_conv (net, full, x, out_c, kernel, stride, kernel / 2, FALSE,
                        GABN_INIT_NORMAL, 0.1f);
}

static int
iresnet_bn (GabnNet *net, const char *prefix, const char *name, int x)
{
  g_autofree char *full = g_strdup_printf ("%s%s", prefix, name);

  return gabn_net_batchnorm (net, full, x, IRESNET_BN_EPS);
}

/* IBasicBlock: bn1, conv1 3×3, bn2, prelu, conv2 3×3 (stride), bn3, plus
 * the identity or downsample (conv1×1 stride, bn). */
static int
iresnet_block (GabnNet *net, const char *prefix, int x, int planes, int stride)
{
  int in_c = net->values[x].c;
  int out, identity = x;
  g_autofree char *prelu = g_strdup_printf ("%sprelu", prefix);

  out = iresnet_bn (net, prefix, "bn1", x);
  out = iresnet_conv (net, prefix, "conv1", out, planes, 3, 1);
  out = iresnet_bn (net, prefix, "bn2", out);
  out = gabn_net_prelu (net, prelu, out);
  out = iresnet_conv (net, prefix, "conv2", out, planes, 3, stride);
  out = iresnet_bn (net, prefix, "bn3", out);
  if (stride != 1 || in_c != planes)
    {
      identity = iresnet_conv (net, prefix, "downsample.0", x, planes, 1, stride);
      identity = iresnet_bn (net, prefix, "downsample.1", identity);
    }
  out = gabn_net_add (net, out, identity);
  /* The block's output is PyTorch's module "layerL.J". */
  {
    g_autofree char *block = g_strndup (prefix, strlen (prefix) - 1);
    gabn_net_name_last_node (net, block);
  }
  return out;
}

static void
build_iresnet (GabnNet *net, const int blocks[4])
{
  static const int planes[4] = { 64, 128, 256, 512 };
  int x = net->input_value;

  x = iresnet_conv (net, "", "conv1", x, 64, 3, 1);
  x = iresnet_bn (net, "", "bn1", x);
  x = gabn_net_prelu (net, "prelu", x);
  for (int l = 0; l < 4; l++)
    for (int j = 0; j < blocks[l]; j++)
      {
        g_autofree char *prefix = g_strdup_printf ("layer%d.%d.", l + 1, j);
        x = iresnet_block (net, prefix, x, planes[l], j == 0 ? 2 : 1);
      }
  /* A = layer4's output (512×7×7), before bn2. */
  net->features_value = x;
  net->n_backbone = net->n_nodes;
  x = iresnet_bn (net, "", "bn2", x);
  x = gabn_net_flatten (net, x);
  x = gabn_net_dropout (net, x, 0.0f);
  x = gabn_net_linear (net, "fc", x, 512);
  x = iresnet_bn (net, "", "features", x);
  /* arcface_torch fixes features.weight at 1 and does not train it. */
  net->tensors[net->nodes[net->n_nodes - 1].weight].trainable = FALSE;
  net->embedding_value = x;
}

/* ---- MobileFaceNet (arcface_torch's backbones/mobilefacenet.py, the
 * network of InsightFace's w600k_mbf: get_mbf, blocks (1, 4, 6, 2),
 * scale 2). A bench and test architecture: not in gabn_net_architectures,
 * so nothing offers to train it. */

/* Conv (groups) + BatchNorm, then PReLU when prelu: ConvBlock / LinearBlock,
 * whose modules are prefix.layers.{0,1,2}. Weights as arcface_torch's
 * _initialize_weights: N(0, 2 / fan_out), fan_out = O·k·k. */
static int
mbf_block (GabnNet *net, const char *prefix, int x, int out_c, int kernel,
           int stride, int pad, int groups, gboolean prelu)
{
  g_autofree char *conv = g_strdup_printf ("%s.layers.0", prefix);
  g_autofree char *bn = g_strdup_printf ("%s.layers.1", prefix);
  g_autofree char *act = g_strdup_printf ("%s.layers.2", prefix);

  x = gabn_net_conv_grouped (net, conv, x, out_c, kernel, stride, pad, groups, FALSE,
                             GABN_INIT_NORMAL, sqrtf (2.0f / (out_c * kernel * kernel)));
  x = gabn_net_batchnorm (net, bn, x, IRESNET_BN_EPS);
  return prelu ? gabn_net_prelu (net, act, x) : x;
}

/* DepthWise: 1×1 to `groups` channels, depthwise 3×3 (stride), 1×1 to
 * out_c without activation; plus the input when residual. */
static int
mbf_depthwise (GabnNet *net, const char *prefix, int x, int out_c, int stride,
               int groups, gboolean residual)
{
  g_autofree char *p0 = g_strdup_printf ("%s.layers.0", prefix);
  g_autofree char *p1 = g_strdup_printf ("%s.layers.1", prefix);
  g_autofree char *p2 = g_strdup_printf ("%s.layers.2", prefix);
  int y;

  y = mbf_block (net, p0, x, groups, 1, 1, 0, 1, TRUE);
  y = mbf_block (net, p1, y, groups, 3, stride, 1, groups, TRUE);
  y = mbf_block (net, p2, y, out_c, 1, 1, 0, 1, FALSE);
  return residual ? gabn_net_add (net, y, x) : y;
}

static int
mbf_residual (GabnNet *net, int layer, int x, int blocks, int groups)
{
  for (int j = 0; j < blocks; j++)
    {
      g_autofree char *prefix = g_strdup_printf ("layers.%d.layers.%d", layer, j);
      x = mbf_depthwise (net, prefix, x, net->values[x].c, 1, groups, TRUE);
    }
  return x;
}

static void
build_mobilefacenet (GabnNet *net)
{
  int x = net->input_value;

  x = mbf_block (net, "layers.0", x, 128, 3, 2, 1, 1, TRUE);        /* 128×56×56 */
  x = mbf_block (net, "layers.1", x, 128, 3, 1, 1, 64, TRUE);       /* groups of 2 */
  x = mbf_depthwise (net, "layers.2", x, 128, 2, 128, FALSE);       /* 128×28×28 */
  x = mbf_residual (net, 3, x, 4, 128);
  x = mbf_depthwise (net, "layers.4", x, 256, 2, 256, FALSE);       /* 256×14×14 */
  x = mbf_residual (net, 5, x, 6, 256);
  x = mbf_depthwise (net, "layers.6", x, 256, 2, 512, FALSE);       /* 256×7×7 */
  x = mbf_residual (net, 7, x, 2, 256);
  x = mbf_block (net, "conv_sep", x, 512, 1, 1, 0, 1, TRUE);        /* 512×7×7 */
  /* A = conv_sep's output, the last feature maps with a spatial layout. */
  net->features_value = x;
  net->n_backbone = net->n_nodes;
  /* GDC: depthwise 7×7 over the whole map, BatchNorm, Linear, BatchNorm1d. */
  x = mbf_block (net, "features.layers.0", x, 512, 7, 1, 0, 512, FALSE);
  x = gabn_net_flatten (net, x);
  x = gabn_net_linear_bias (net, "features.layers.2", x, 512, FALSE);
  x = gabn_net_batchnorm (net, "features.layers.3", x, IRESNET_BN_EPS);
  net->embedding_value = x;
}

/* iresnet18/34/50 differ in their stages' depths. */
static void
build_iresnet18 (GabnNet *net)
{
  static const int blocks[4] = { 2, 2, 2, 2 };
  build_iresnet (net, blocks);
}

static void
build_iresnet34 (GabnNet *net)
{
  static const int blocks[4] = { 3, 4, 6, 3 };
  build_iresnet (net, blocks);
}

static void
build_iresnet50 (GabnNet *net)
{
  static const int blocks[4] = { 3, 4, 14, 3 };
  build_iresnet (net, blocks);
}

/* THE table of built-in architectures: name, input size, builder, and
 * whether training offers it. Everything that names them reads it. */
static const struct {
  const char *name;
  int         input_size;
  void      (*build) (GabnNet *net);
  gboolean    trainable;
} archs[] = {
  { "gabn-s",      64,  build_gabn_s,               TRUE },
  { "iresnet18",   112, build_iresnet18,            TRUE },
  { "iresnet34",   112, build_iresnet34,            TRUE },
  { "iresnet50",   112, build_iresnet50,            TRUE },
  { "dlib-resnet", 150, gabn_arch_build_dlib_resnet, FALSE },
  /* Bench and test architecture (gabn bench --arch mobilefacenet). */
  { "mobilefacenet", 112, build_mobilefacenet,      FALSE },
};

static int
arch_index (const char *arch)
{
  for (guint i = 0; arch != NULL && i < G_N_ELEMENTS (archs); i++)
    if (g_str_equal (arch, archs[i].name))
      return (int) i;
  return -1;
}

int
gabn_arch_input_size (const char *arch)
{
  int i = arch_index (arch);

  return i >= 0 ? archs[i].input_size : 0;
}

const char *const *
gabn_net_architectures (void)
{
  static const char *trainable[G_N_ELEMENTS (archs) + 1];
  static gsize done;

  if (g_once_init_enter (&done))
    {
      for (guint i = 0, n = 0; i < G_N_ELEMENTS (archs); i++)
        if (archs[i].trainable)
          trainable[n++] = archs[i].name;
      g_once_init_leave (&done, 1);
    }
  return trainable;
}

gboolean
gabn_arch_build (GabnNet *net, const char *arch, GError **error)
{
  int i = arch_index (arch);

  if (i < 0)
    {
      g_autoptr(GString) known = g_string_new (NULL);

      for (guint k = 0; k < G_N_ELEMENTS (archs); k++)
        g_string_append_printf (known, "%s%s", k ? ", " : "", archs[k].name);
      g_set_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED,
                   _("Unknown architecture “%s” (known: %s)"), arch, known->str);
      return FALSE;
    }
  archs[i].build (net);
  return TRUE;
}
