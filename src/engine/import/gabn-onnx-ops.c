/* gabn-onnx-ops.c: ONNX operators onto engine nodes, one mapper per
 * operator. A mapper checks every attribute it meets (anything it does not
 * handle is refused with the attribute's name), reads its inputs' symbols,
 * appends engine nodes and records its outputs. Engine values are per
 * image, so the batch dimension of the graph is never touched. */
#include "gabn-onnx-private.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

typedef gboolean (*MapFunc) (GabnOnnxBuild *b, GError **error);

/* ---- Helpers ------------------------------------------------------------ */

static const GabnOnnxSym *
value_input (GabnOnnxBuild *b, int index, GError **error)
{
  const GabnOnnxSym *sym = gabn_onnx_input (b, index, FALSE, error);

  if (sym && sym->kind != GABN_ONNX_VALUE)
    {
      gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                            _("input %d “%s” is a constant; only computed tensors are "
                              "supported there"), index + 1, b->node->input[index]);
      return NULL;
    }
  return sym;
}

static const GabnOnnxSym *
const_input (GabnOnnxBuild *b, int index, gboolean optional, GError **error)
{
  const GabnOnnxSym *sym = gabn_onnx_input (b, index, optional, error);

  if (sym && sym->kind != GABN_ONNX_CONST)
    {
      gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                            _("input %d “%s” must be a constant (an initializer)"),
                            index + 1, b->node->input[index]);
      return NULL;
    }
  return sym;
}

static char *
dims_string (int ndim, const gint64 *dims)
{
  GString *s = g_string_new ("[");

  for (int d = 0; d < ndim; d++)
    g_string_append_printf (s, "%s%lld", d ? ", " : "", (long long) dims[d]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Appends an engine node named after the ONNX node, writing a new value of
 * c×h×w; returns the node (its out is the value). */
static GabnNode *
add_node (GabnOnnxBuild *b, GabnNodeKind kind, int in, int c, int h, int w)
{
  int out = gabn_net_add_value (b->net, c, h, w);
  GabnNode *node = gabn_net_add_node (b->net, kind, in, out);

  node->name = g_strdup (b->node_name);
  return node;
}

/* A constant broadcast against x (N,C[,H,W]) as one number per channel:
 * a scalar, or C numbers on the channel axis (e.g. [C,1,1], [1,C,1,1]). */
static gboolean
per_channel (GabnOnnxBuild *b, const GabnOnnxSym *k, const GabnOnnxSym *x,
             float *out, GError **error)
{
  int C = (int) x->dims[1];
  gboolean ok = k->numel == 1 || (k->numel == (gsize) C && k->ndim <= x->ndim);

  for (int d = 0; ok && k->numel != 1 && d < k->ndim; d++)
    {
      int axis = x->ndim - k->ndim + d;
      ok = k->dims[d] == (axis == 1 ? C : 1) || (axis == 1 && k->dims[d] == 1 && C == 1);
    }
  if (!ok)
    {
      g_autofree char *kd = dims_string (k->ndim, k->dims);
      g_autofree char *xd = dims_string (x->ndim, x->dims);
      return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                   _("a constant of shape %s against a tensor of shape %s: "
                                     "only scalars and per-channel constants are supported"),
                                   kd, xd);
    }
  for (int c = 0; c < C; c++)
    out[c] = k->f[k->numel == 1 ? 0 : c];
  return TRUE;
}

/* Square kernels, equal strides, symmetric padding and no dilation: what
 * the engine's convolution and pooling take. kernel ≤ 0: take it from
 * kernel_shape (pooling). */
static gboolean
window_attributes (GabnOnnxBuild *b, int in_h, int in_w, int *kernel,
                   int *stride, int *pad, GError **error)
{
  gint64 ks[4], st[4], pads[8], dil[4];
  int n_ks = 4, n_st = 4, n_pads = 8, n_dil = 4;
  const char *auto_pad;

  if (!gabn_onnx_attr_ints (b, "kernel_shape", ks, &n_ks, error)
      || !gabn_onnx_attr_ints (b, "strides", st, &n_st, error)
      || !gabn_onnx_attr_ints (b, "pads", pads, &n_pads, error)
      || !gabn_onnx_attr_ints (b, "dilations", dil, &n_dil, error))
    return FALSE;
  auto_pad = gabn_onnx_attr_string (b, "auto_pad", "NOTSET", error);
  if (auto_pad == NULL)
    return FALSE;

  if (n_ks != 0 && (n_ks != 2 || ks[0] != ks[1] || (*kernel > 0 && ks[0] != *kernel)))
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute kernel_shape: only square kernels matching "
                                   "the weights are supported"));
  if (*kernel <= 0)
    {
      if (n_ks != 2)
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("attribute kernel_shape is missing"));
      *kernel = (int) ks[0];
    }
  if (*kernel <= 0 || *kernel > 64)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute kernel_shape: size %d is not supported"), *kernel);
  *stride = n_st ? (int) st[0] : 1;
  if ((n_st != 0 && (n_st != 2 || st[0] != st[1])) || *stride < 1 || *stride > 64)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute strides: only equal strides ≥ 1 are supported"));
  for (int d = 0; d < n_dil; d++)
    if (dil[d] != 1)
      return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                   _("attribute dilations: only 1 is supported"));

  *pad = n_pads ? (int) pads[0] : 0;
  if (n_pads != 0 && (n_pads != 4 || pads[1] != pads[0] || pads[2] != pads[0]
                      || pads[3] != pads[0]))
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute pads: only equal padding on every side is "
                                   "supported"));
  if (g_str_equal (auto_pad, "VALID"))
    *pad = 0;
  else if (g_str_equal (auto_pad, "SAME_UPPER") || g_str_equal (auto_pad, "SAME_LOWER"))
    {
      /* Output ceil(in / stride); the padding must split evenly. */
      int total = MAX (((in_h + *stride - 1) / *stride - 1) * *stride + *kernel - in_h, 0);
      if (total % 2 != 0 || in_h != in_w)
        return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                     _("attribute auto_pad: %s with uneven padding is not "
                                       "supported"), auto_pad);
      *pad = total / 2;
    }
  else if (!g_str_equal (auto_pad, "NOTSET") && auto_pad[0] != '\0')
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("attribute auto_pad: unknown value “%s”"), auto_pad);
  if (*pad < 0 || *pad >= *kernel)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute pads: padding %d with a kernel of %d is not "
                                   "supported"), *pad, *kernel);
  if (in_h + 2 * *pad < *kernel || in_w + 2 * *pad < *kernel)
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("the kernel (%d) is larger than the padded input "
                                   "(%d×%d)"), *kernel, in_w + 2 * *pad, in_h + 2 * *pad);
  return TRUE;
}

/* Only the first output may be used (no training outputs, no indices). */
static gboolean
single_output (GabnOnnxBuild *b, GError **error)
{
  for (gsize o = 1; o < b->node->n_output; o++)
    if (b->node->output[o][0] != '\0')
      return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                   _("output %zu “%s” is not supported"), o + 1,
                                   b->node->output[o]);
  return TRUE;
}

/* ---- Convolution, normalisation, activations ---------------------------- */

static gboolean
map_conv (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "auto_pad", "dilations", "group", "kernel_shape",
                                       "pads", "strides", NULL };
  const GabnOnnxSym *x, *w, *bias;
  GabnConvShape shape;
  GabnNode *node;
  gint64 groups;
  int C, O, k, stride, pad, weight;

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(x = value_input (b, 0, error)) || !(w = const_input (b, 1, FALSE, error)))
    return FALSE;
  bias = const_input (b, 2, TRUE, error);
  if (bias == NULL && error && *error)
    return FALSE;
  if (!gabn_onnx_attr_int (b, "group", 1, &groups, error))
    return FALSE;
  if (x->ndim != 4)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("only 2-D convolutions (4-D inputs) are supported"));
  C = (int) x->dims[1];
  O = (int) w->dims[0];
  if (w->ndim != 4 || groups < 1 || C % groups != 0 || O % groups != 0
      || w->dims[1] != C / groups || O <= 0)
    {
      g_autofree char *wd = dims_string (w->ndim, w->dims);
      return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                   _("weight of shape %s does not fit %d input channels in "
                                     "%lld groups"), wd, C, (long long) groups);
    }
  if (w->dims[2] != w->dims[3])
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("only square kernels are supported (%lld×%lld)"),
                                 (long long) w->dims[3], (long long) w->dims[2]);
  if (bias && bias->numel != (gsize) O)
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("bias has %zu values for %d output channels"),
                                 bias->numel, O);
  k = (int) w->dims[2];
  if (!window_attributes (b, (int) x->dims[2], (int) x->dims[3], &k, &stride, &pad, error))
    return FALSE;

  gabn_conv_shape_init (&shape, C, (int) x->dims[2], (int) x->dims[3], O, k, stride, pad);
  weight = gabn_onnx_add_tensor (b, "weight", GABN_TENSOR_PARAM, 4, w->dims, w->f);
  node = add_node (b, GABN_NODE_CONV, x->value, O, shape.out_h, shape.out_w);
  node->conv = shape;
  node->groups = (int) groups;
  node->weight = weight;
  if (bias)
    {
      gint64 n = O;
      node->bias = gabn_onnx_add_tensor (b, "bias", GABN_TENSOR_PARAM, 1, &n, bias->f);
    }
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, 4));
  return TRUE;
}

static gboolean
map_batchnorm (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "epsilon", "momentum", "spatial", "training_mode",
                                       "is_test", NULL };
  const char *roles[4] = { "weight", "bias", "running_mean", "running_var" };
  const GabnOnnxSym *x, *p[4];
  GabnNode *node;
  gint64 training, spatial;
  float eps, momentum;
  int tensors[4], C;

  if (!gabn_onnx_check_attributes (b, known, error) || !single_output (b, error)
      || !(x = value_input (b, 0, error)))
    return FALSE;
  for (int k = 0; k < 4; k++)
    if (!(p[k] = const_input (b, k + 1, FALSE, error)))
      return FALSE;
  if (!gabn_onnx_attr_float (b, "epsilon", 1e-5f, &eps, error)
      || !gabn_onnx_attr_float (b, "momentum", 0.9f, &momentum, error)
      || !gabn_onnx_attr_int (b, "training_mode", 0, &training, error)
      || !gabn_onnx_attr_int (b, "spatial", 1, &spatial, error))
    return FALSE;
  if (training != 0)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute training_mode = %lld: only inference is "
                                   "supported"), (long long) training);
  if (spatial != 1)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute spatial = %lld: only 1 is supported"),
                                 (long long) spatial);
  C = (int) x->dims[1];
  for (int k = 0; k < 4; k++)
    {
      gint64 n = C;
      if (p[k]->numel != (gsize) C)
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("input %d has %zu values for %d channels"), k + 2,
                                     p[k]->numel, C);
      tensors[k] = gabn_onnx_add_tensor (b, roles[k], k < 2 ? GABN_TENSOR_PARAM
                                                            : GABN_TENSOR_BUFFER,
                                         1, &n, p[k]->f);
    }
  {
    const GabnValue *v = &b->net->values[x->value];
    node = add_node (b, GABN_NODE_BATCHNORM, x->value, v->c, v->h, v->w);
  }
  node->weight = tensors[0];
  node->bias = tensors[1];
  node->running_mean = tensors[2];
  node->running_var = tensors[3];
  node->eps = eps;
  node->momentum = 1.0f - momentum;  /* ONNX keeps the old value's share */
  node->save_mean = g_new0 (float, C);
  node->save_rstd = g_new0 (float, C);
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, x->ndim));
  return TRUE;
}

/* PRelu with its slopes, LeakyRelu with one slope for every channel. */
static gboolean
add_prelu (GabnOnnxBuild *b, const GabnOnnxSym *x, const float *slopes)
{
  const GabnValue *v = &b->net->values[x->value];
  gint64 C = v->c;
  int weight = gabn_onnx_add_tensor (b, "weight", GABN_TENSOR_PARAM, 1, &C, slopes);
  GabnNode *node = add_node (b, GABN_NODE_PRELU, x->value, v->c, v->h, v->w);

  node->weight = weight;
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, x->ndim));
  return TRUE;
}

static gboolean
map_prelu (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { NULL };
  const GabnOnnxSym *x, *slope;
  g_autofree float *slopes = NULL;

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(x = value_input (b, 0, error)) || !(slope = const_input (b, 1, FALSE, error)))
    return FALSE;
  slopes = g_new (float, x->dims[1]);
  if (!per_channel (b, slope, x, slopes, error))
    return FALSE;
  return add_prelu (b, x, slopes);
}

static gboolean
map_leaky_relu (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "alpha", NULL };
  const GabnOnnxSym *x;
  g_autofree float *slopes = NULL;
  float alpha;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error))
      || !gabn_onnx_attr_float (b, "alpha", 0.01f, &alpha, error))
    return FALSE;
  slopes = g_new (float, x->dims[1]);
  for (int c = 0; c < x->dims[1]; c++)
    slopes[c] = alpha;
  return add_prelu (b, x, slopes);
}

static gboolean
map_relu (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { NULL };
  const GabnOnnxSym *x;
  const GabnValue *v;
  GabnNode *node;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error)))
    return FALSE;
  v = &b->net->values[x->value];
  node = add_node (b, GABN_NODE_RELU, x->value, v->c, v->h, v->w);
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, x->ndim));
  return TRUE;
}

/* ---- Element-wise arithmetic --------------------------------------------- */

typedef enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV } Arith;

/* Both operands constant (shape arithmetic of exporters): folded. */
static gboolean
fold_arith (GabnOnnxBuild *b, Arith op, const GabnOnnxSym *l, const GabnOnnxSym *r,
            GError **error)
{
  const GabnOnnxSym *big = l->numel >= r->numel ? l : r;
  g_autofree float *f = NULL;

  if (l->numel != r->numel && l->numel != 1 && r->numel != 1)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("broadcasting between two constants of different "
                                   "sizes is not supported"));
  f = g_new (float, MAX (big->numel, 1));
  for (gsize k = 0; k < big->numel; k++)
    {
      float a = l->f[l->numel == 1 ? 0 : k], c = r->f[r->numel == 1 ? 0 : k];
      f[k] = op == OP_ADD ? a + c : op == OP_SUB ? a - c : op == OP_MUL ? a * c : a / c;
    }
  gabn_onnx_set_output (b, 0, gabn_onnx_const_sym (f, big->dims, big->ndim));
  return TRUE;
}

static gboolean
map_arith (GabnOnnxBuild *b, Arith op, GError **error)
{
  static const char *const known[] = { "broadcast", "axis", NULL };
  const GabnOnnxSym *l, *r, *x, *k;
  g_autofree float *scale = NULL, *shift = NULL, *kc = NULL;
  gboolean const_left;
  const GabnValue *v;
  GabnNode *node;
  gint64 C;
  int weight, bias;

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(l = gabn_onnx_input (b, 0, FALSE, error))
      || !(r = gabn_onnx_input (b, 1, FALSE, error)))
    return FALSE;
  if (l->kind == GABN_ONNX_CONST && r->kind == GABN_ONNX_CONST)
    return fold_arith (b, op, l, r, error);
  if (l->kind == GABN_ONNX_VALUE && r->kind == GABN_ONNX_VALUE)
    {
      const GabnValue *a = &b->net->values[l->value], *c = &b->net->values[r->value];

      if (op != OP_ADD)
        return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                     _("two computed operands: only Add is supported"));
      if (a->c != c->c || a->h != c->h || a->w != c->w || l->ndim != r->ndim)
        return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                     _("adding tensors of different shapes (broadcasting) "
                                       "is not supported"));
      node = add_node (b, GABN_NODE_ADD, l->value, a->c, a->h, a->w);
      node->in2 = r->value;
      gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, l->ndim));
      return TRUE;
    }

  /* A computed tensor and a constant: x·scale + shift per channel. */
  const_left = l->kind == GABN_ONNX_CONST;
  x = const_left ? r : l;
  k = const_left ? l : r;
  C = x->dims[1];
  kc = g_new (float, C);
  scale = g_new (float, C);
  shift = g_new (float, C);
  if (!per_channel (b, k, x, kc, error))
    return FALSE;
  for (int c = 0; c < C; c++)
    switch (op)
      {
      case OP_ADD:
        scale[c] = 1.0f, shift[c] = kc[c];
        break;
      case OP_SUB:
        scale[c] = const_left ? -1.0f : 1.0f, shift[c] = const_left ? kc[c] : -kc[c];
        break;
      case OP_MUL:
        scale[c] = kc[c], shift[c] = 0.0f;
        break;
      case OP_DIV:
      default:
        if (const_left)
          return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                       _("dividing a constant by a computed tensor is not "
                                         "supported"));
        scale[c] = 1.0f / kc[c], shift[c] = 0.0f;
        break;
      }
  weight = gabn_onnx_add_tensor (b, "scale", GABN_TENSOR_BUFFER, 1, &C, scale);
  bias = gabn_onnx_add_tensor (b, "shift", GABN_TENSOR_BUFFER, 1, &C, shift);
  v = &b->net->values[x->value];
  node = add_node (b, GABN_NODE_AFFINE, x->value, v->c, v->h, v->w);
  node->weight = weight;
  node->bias = bias;
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, x->ndim));
  return TRUE;
}

static gboolean map_add (GabnOnnxBuild *b, GError **e) { return map_arith (b, OP_ADD, e); }
static gboolean map_sub (GabnOnnxBuild *b, GError **e) { return map_arith (b, OP_SUB, e); }
static gboolean map_mul (GabnOnnxBuild *b, GError **e) { return map_arith (b, OP_MUL, e); }
static gboolean map_div (GabnOnnxBuild *b, GError **e) { return map_arith (b, OP_DIV, e); }

/* ---- Shapes ----------------------------------------------------------------- */

/* x reinterpreted per image as c×h×w (same size): a copy node, as Flatten. */
static gboolean
reshape_to (GabnOnnxBuild *b, const GabnOnnxSym *x, int ndim, int c, int h, int w)
{
  const GabnValue *v = &b->net->values[x->value];
  GabnNode *node;

  g_assert ((gsize) c * h * w == gabn_value_size (v));
  if (v->c == c && v->h == h && v->w == w)
    {
      /* Nothing moves: an alias with the new rank. */
      gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, x->value, ndim));
      return TRUE;
    }
  node = add_node (b, GABN_NODE_FLATTEN, x->value, c, h, w);
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, ndim));
  return TRUE;
}

static gboolean
map_flatten (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "axis", NULL };
  const GabnOnnxSym *x;
  gint64 axis;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error))
      || !gabn_onnx_attr_int (b, "axis", 1, &axis, error))
    return FALSE;
  if (axis < 0)
    axis += x->ndim;
  if (axis != 1)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute axis = %lld: only flattening after the batch "
                                   "(axis 1) is supported"), (long long) axis);
  return reshape_to (b, x, 2, (int) gabn_value_size (&b->net->values[x->value]), 1, 1);
}

static gboolean
map_reshape (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "allowzero", NULL };
  const GabnOnnxSym *x, *shape;
  gint64 allowzero, t[GABN_ONNX_MAX_RANK] = { 0 }, known_size = 1, total;
  int infer = -1, n;

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(x = gabn_onnx_input (b, 0, FALSE, error))
      || !(shape = const_input (b, 1, FALSE, error))
      || !gabn_onnx_attr_int (b, "allowzero", 0, &allowzero, error))
    return FALSE;
  if (x->kind == GABN_ONNX_CONST)
    total = (gint64) x->numel;
  else
    total = (gint64) gabn_value_size (&b->net->values[x->value]);  /* batch 1 */
  n = (int) shape->numel;
  if (n > GABN_ONNX_MAX_RANK || shape->ndim != 1)
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("the shape input is not a list of at most %d sizes"),
                                 GABN_ONNX_MAX_RANK);
  for (int d = 0; d < n; d++)
    {
      t[d] = shape->i[d];
      if (t[d] == 0 && !allowzero)
        t[d] = d < x->ndim ? x->dims[d] : 0;
      if (t[d] == -1 && infer < 0)
        infer = d;
      else if (t[d] < 0)
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("invalid shape entry %lld"), (long long) shape->i[d]);
      else if (t[d] > 0 && known_size > G_MAXINT64 / t[d])
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("the new shape is too large"));
      else
        known_size *= t[d];
    }
  if (infer >= 0)
    t[infer] = known_size > 0 && total % known_size == 0 ? total / known_size : -1;
  if (x->kind == GABN_ONNX_CONST)
    {
      GabnOnnxSym *out;
      gint64 size = 1;

      for (int d = 0; d < n; d++)
        size *= t[d];
      if (size != total || (infer >= 0 && t[infer] < 0))
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("the new shape does not hold the constant's %lld "
                                       "values"), (long long) total);
      out = gabn_onnx_const_sym (x->f, t, n);
      memcpy (out->i, x->i, sizeof (gint64) * MAX (x->numel, 1));
      gabn_onnx_set_output (b, 0, out);
      return TRUE;
    }
  {
    g_autofree char *td = dims_string (n, t);
    gint64 size = 1;

    for (int d = 1; d < n; d++)
      size *= t[d];
    if (n < 1 || t[0] != 1 || size != total || (n != 2 && n != 4))
      return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                   _("reshape to %s (batch 1): only shapes that keep the "
                                     "batch and have 2 or 4 dimensions are supported"), td);
  }
  if (n == 2)
    return reshape_to (b, x, 2, (int) t[1], 1, 1);
  return reshape_to (b, x, 4, (int) t[1], (int) t[2], (int) t[3]);
}

static gboolean
map_identity (GabnOnnxBuild *b, GError **error)
{
  static const char *const dropout_known[] = { "ratio", "seed", "is_test", NULL };
  static const char *const identity_known[] = { NULL };
  gboolean dropout = g_str_equal (b->node->op_type, "Dropout");
  const GabnOnnxSym *x;
  GabnOnnxSym *alias;

  if (!gabn_onnx_check_attributes (b, dropout ? dropout_known : identity_known, error)
      || !single_output (b, error) || !(x = gabn_onnx_input (b, 0, FALSE, error)))
    return FALSE;
  if (dropout)
    {
      /* Opset 12+: an optional training_mode input; inference ignores
       * dropout, so only a constant "false" (or none) is accepted. */
      const GabnOnnxSym *training = const_input (b, 2, TRUE, error);
      if (training == NULL && error && *error)
        return FALSE;
      if (training && training->numel == 1 && training->f[0] != 0.0f)
        return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                     _("training_mode is true: only inference is supported"));
    }
  alias = g_memdup2 (x, sizeof *x);
  alias->owned = FALSE;  /* the data stays the input's */
  gabn_onnx_set_output (b, 0, alias);
  return TRUE;
}

static gboolean
map_constant (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "value", "value_float", "value_floats",
                                       "value_int", "value_ints", NULL };
  const Onnx__AttributeProto *a;
  GabnOnnxSym *sym = NULL;

  if (!gabn_onnx_check_attributes (b, known, error))
    return FALSE;
  if (b->node->n_attribute != 1)
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("a Constant needs exactly one value attribute"));
  a = b->node->attribute[0];
  if (g_str_equal (a->name, "value") && a->t)
    {
      g_autofree char *what = g_strdup_printf (_("the value of node “%s”"), b->node_name);
      sym = gabn_onnx_tensor_to_sym (b, a->t, what, error);
      if (sym == NULL)
        return FALSE;
    }
  else if (g_str_equal (a->name, "value_float") || g_str_equal (a->name, "value_int"))
    {
      float f = g_str_equal (a->name, "value_float") ? a->f : (float) a->i;
      sym = gabn_onnx_const_sym (&f, NULL, 0);
      if (g_str_equal (a->name, "value_int"))
        sym->i[0] = a->i;
    }
  else if (g_str_equal (a->name, "value_floats") || g_str_equal (a->name, "value_ints"))
    {
      gboolean ints = g_str_equal (a->name, "value_ints");
      gint64 n = ints ? (gint64) a->n_ints : (gint64) a->n_floats;
      g_autofree float *f = g_new (float, MAX (n, 1));

      for (gint64 k = 0; k < n; k++)
        f[k] = ints ? (float) a->ints[k] : a->floats[k];
      sym = gabn_onnx_const_sym (f, &n, 1);
      for (gint64 k = 0; ints && k < n; k++)
        sym->i[k] = a->ints[k];
    }
  else
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("attribute “%s” has no value"), a->name);
  gabn_onnx_set_output (b, 0, sym);
  return TRUE;
}

/* ---- Fully connected ------------------------------------------------------- */

/* y = x · Wᵀ + bias with W (O × K) row-major; 2-D x. */
static gboolean
add_linear (GabnOnnxBuild *b, const GabnOnnxSym *x, int O, const float *W,
            const float *bias)
{
  gint64 wshape[2] = { O, x->dims[1] }, bshape = O;
  int weight = gabn_onnx_add_tensor (b, "weight", GABN_TENSOR_PARAM, 2, wshape, W);
  int bias_t = gabn_onnx_add_tensor (b, "bias", GABN_TENSOR_PARAM, 1, &bshape, bias);
  GabnNode *node = add_node (b, GABN_NODE_LINEAR, x->value, O, 1, 1);

  node->weight = weight;
  node->bias = bias_t;
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, 2));
  return TRUE;
}

static gboolean
map_gemm (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "alpha", "beta", "transA", "transB", "broadcast", NULL };
  const GabnOnnxSym *x, *w, *c;
  g_autofree float *W = NULL, *bias = NULL;
  gint64 trans_a, trans_b;
  float alpha, beta;
  int K, O;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error))
      || !(w = const_input (b, 1, FALSE, error)))
    return FALSE;
  c = const_input (b, 2, TRUE, error);
  if (c == NULL && error && *error)
    return FALSE;
  if (!gabn_onnx_attr_float (b, "alpha", 1.0f, &alpha, error)
      || !gabn_onnx_attr_float (b, "beta", 1.0f, &beta, error)
      || !gabn_onnx_attr_int (b, "transA", 0, &trans_a, error)
      || !gabn_onnx_attr_int (b, "transB", 0, &trans_b, error))
    return FALSE;
  if (trans_a != 0)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute transA = %lld: only 0 is supported"),
                                 (long long) trans_a);
  if (x->ndim != 2)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("the first input must be 2-D (flattened)"));
  K = (int) x->dims[1];
  O = (int) (trans_b ? w->dims[0] : w->dims[1]);
  if (w->ndim != 2 || (trans_b ? w->dims[1] : w->dims[0]) != K || O <= 0)
    {
      g_autofree char *wd = dims_string (w->ndim, w->dims);
      return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                   _("weight of shape %s does not fit %d input features"),
                                   wd, K);
    }
  if (c && c->numel != 1 && c->numel != (gsize) O)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("the bias has %zu values for %d outputs"), c->numel, O);
  W = g_new (float, (gsize) O * K);
  bias = g_new0 (float, O);
  for (int o = 0; o < O; o++)
    {
      for (int k = 0; k < K; k++)
        W[(gsize) o * K + k] = alpha * (trans_b ? w->f[(gsize) o * K + k] : w->f[(gsize) k * O + o]);
      if (c)
        bias[o] = beta * c->f[c->numel == 1 ? 0 : o];
    }
  return add_linear (b, x, O, W, bias);
}

static gboolean
map_matmul (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { NULL };
  const GabnOnnxSym *x, *w;
  g_autofree float *W = NULL, *bias = NULL;
  int K, O;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error))
      || !(w = const_input (b, 1, FALSE, error)))
    return FALSE;
  if (x->ndim != 2 || w->ndim != 2 || w->dims[0] != x->dims[1] || w->dims[1] <= 0)
    {
      g_autofree char *xd = dims_string (x->ndim, x->dims);
      g_autofree char *wd = dims_string (w->ndim, w->dims);
      return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                   _("only a 2-D input times a 2-D constant is supported "
                                     "(%s × %s)"), xd, wd);
    }
  K = (int) w->dims[0];
  O = (int) w->dims[1];
  W = g_new (float, (gsize) O * K);
  bias = g_new0 (float, O);
  for (int o = 0; o < O; o++)
    for (int k = 0; k < K; k++)
      W[(gsize) o * K + k] = w->f[(gsize) k * O + o];
  return add_linear (b, x, O, W, bias);
}

/* ---- Pooling and padding ------------------------------------------------------- */

static gboolean
map_pool (GabnOnnxBuild *b, GError **error)
{
  static const char *const avg_known[] = { "auto_pad", "ceil_mode", "count_include_pad",
                                           "kernel_shape", "pads", "strides", NULL };
  static const char *const max_known[] = { "auto_pad", "ceil_mode", "dilations",
                                                   "kernel_shape", "pads", "storage_order",
                                                   "strides", NULL };
  gboolean is_max = g_str_equal (b->node->op_type, "MaxPool");
  const GabnOnnxSym *x;
  gint64 ceil_mode, include_pad;
  GabnNode *node;
  int k = 0, stride, pad, H, W, Ho, Wo;

  if (!gabn_onnx_check_attributes (b, is_max ? max_known : avg_known, error)
      || !single_output (b, error) || !(x = value_input (b, 0, error)))
    return FALSE;
  if (x->ndim != 4)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("only 2-D pooling (4-D inputs) is supported"));
  H = (int) x->dims[2];
  W = (int) x->dims[3];
  if (!window_attributes (b, H, W, &k, &stride, &pad, error)
      || !gabn_onnx_attr_int (b, "ceil_mode", 0, &ceil_mode, error)
      || !gabn_onnx_attr_int (b, "count_include_pad", 0, &include_pad, error))
    return FALSE;
  Ho = gabn_pool_out_size (H, k, stride, pad);
  Wo = gabn_pool_out_size (W, k, stride, pad);
  if (ceil_mode && ((H + 2 * pad - k) % stride != 0 || (W + 2 * pad - k) % stride != 0))
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute ceil_mode = 1 changes the output size here; "
                                   "only floor rounding is supported"));
  if (!is_max && pad > 0 && !include_pad)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute count_include_pad = 0 with padding: only "
                                   "averages that count the padding are supported"));
  node = add_node (b, is_max ? GABN_NODE_MAXPOOL : GABN_NODE_AVGPOOL, x->value,
                   (int) x->dims[1], Ho, Wo);
  gabn_conv_shape_init (&node->conv, (int) x->dims[1], H, W, (int) x->dims[1], k, stride, pad);
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, 4));
  return TRUE;
}

static gboolean
map_global_pool (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { NULL };
  const GabnOnnxSym *x;
  GabnNode *node;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error)))
    return FALSE;
  if (x->ndim != 4)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("only 4-D inputs are supported"));
  node = add_node (b, GABN_NODE_GLOBALPOOL, x->value, (int) x->dims[1], 1, 1);
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, 4));
  return TRUE;
}

static gboolean
map_pad (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "mode", "pads", "value", NULL };
  const GabnOnnxSym *x;
  const char *mode;
  gint64 pads[8];
  int n_pads = 8;
  float value = 0.0f;
  GabnNode *node;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = value_input (b, 0, error)))
    return FALSE;
  if (!(mode = gabn_onnx_attr_string (b, "mode", "constant", error)))
    return FALSE;
  if (!g_str_equal (mode, "constant"))
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute mode = “%s”: only constant padding is "
                                   "supported"), mode);
  if (b->opset < 11)
    {
      if (!gabn_onnx_attr_ints (b, "pads", pads, &n_pads, error)
          || !gabn_onnx_attr_float (b, "value", 0.0f, &value, error))
        return FALSE;
    }
  else
    {
      const GabnOnnxSym *p = const_input (b, 1, FALSE, error), *v;

      if (p == NULL)
        return FALSE;
      v = const_input (b, 2, TRUE, error);
      if (v == NULL && error && *error)
        return FALSE;
      if (b->node->n_input > 3 && b->node->input[3][0] != '\0')
        return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                     _("the axes input is not supported"));
      n_pads = (int) MIN (p->numel, 8);
      for (int k = 0; k < n_pads; k++)
        pads[k] = p->i[k];
      if (p->numel > 8)
        n_pads = -1;
      if (v)
        value = v->f[0];
    }
  if (x->ndim != 4 || n_pads != 8 || pads[0] || pads[1] || pads[4] || pads[5]
      || pads[2] < 0 || pads[3] < 0 || pads[6] < 0 || pads[7] < 0
      || pads[2] > 1024 || pads[3] > 1024 || pads[6] > 1024 || pads[7] > 1024)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("only non-negative padding of height and width of a 4-D "
                                   "tensor is supported"));
  node = add_node (b, GABN_NODE_PAD, x->value, (int) x->dims[1],
                   (int) (x->dims[2] + pads[2] + pads[6]), (int) (x->dims[3] + pads[3] + pads[7]));
  node->pad[0] = (int) pads[2];
  node->pad[1] = (int) pads[3];
  node->pad[2] = (int) pads[6];
  node->pad[3] = (int) pads[7];
  node->p = value;
  gabn_onnx_set_output (b, 0, gabn_onnx_value_sym (b, node->out, 4));
  return TRUE;
}

/* ---- Dispatch ------------------------------------------------------------------- */

static const struct {
  const char *op;
  MapFunc map;
} mappers[] = {
  { "Add", map_add },
  { "AveragePool", map_pool },
  { "BatchNormalization", map_batchnorm },
  { "Constant", map_constant },
  { "Conv", map_conv },
  { "Div", map_div },
  { "Dropout", map_identity },
  { "Flatten", map_flatten },
  { "Gemm", map_gemm },
  { "GlobalAveragePool", map_global_pool },
  { "Identity", map_identity },
  { "LeakyRelu", map_leaky_relu },
  { "MatMul", map_matmul },
  { "MaxPool", map_pool },
  { "Mul", map_mul },
  { "Pad", map_pad },
  { "PRelu", map_prelu },
  { "Relu", map_relu },
  { "Reshape", map_reshape },
  { "Sub", map_sub },
};

gboolean
gabn_onnx_map_node (GabnOnnxBuild *b, GError **error)
{
  const char *domain = b->node->domain ? b->node->domain : "";
  gboolean folded;

  if (domain[0] == '\0' || g_str_equal (domain, "ai.onnx"))
    {
      /* A fold that fails is handled too: its error stands. */
      if (!gabn_onnx_fold_node (b, &folded, error))
        return FALSE;
      if (folded)
        return TRUE;
    }
  if (domain[0] == '\0' || g_str_equal (domain, "ai.onnx"))
    for (guint k = 0; k < G_N_ELEMENTS (mappers); k++)
      if (g_str_equal (b->node->op_type, mappers[k].op))
        return mappers[k].map (b, error);
  return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                               _("unsupported operator%s%s (docs/IMPORT.md lists the "
                                 "supported ones)"), domain[0] ? _(" in domain ") : "",
                               domain);
}
