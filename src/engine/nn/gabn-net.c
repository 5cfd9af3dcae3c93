/* gabn-net.c: GabnNet's tensors, blobs, building blocks and public API. */
#include "gabn-net-private.h"

#include <glib/gi18n.h>
#include "gabn-margin.h"

#include <math.h>
#include <string.h>

GabnNet *
gabn_net_alloc (const char *arch, int input_size, guint64 seed)
{
  GabnNet *net = g_new0 (GabnNet, 1);

  net->arch = g_strdup (arch);
  net->input_size = input_size;
  net->seed = seed;
  net->params_epoch = g_new0 (guint64, 1);
  *net->params_epoch = 1;
  net->input_value = gabn_net_add_value (net, 3, input_size, input_size);
  gabn_preprocess_init_builtin (&net->preprocess, input_size);
  gabn_rng_init (&net->dropout_rng, seed ^ 0xd50f0u);
  return net;
}

int
gabn_net_add_tensor (GabnNet *net, const char *name, GabnTensorKind kind,
                     int ndim, const gint64 *shape, GabnInitKind init,
                     float init_value)
{
  GabnTensorInfo *t;

  if (net->n_tensors == net->tensors_allocated)
    {
      net->tensors_allocated = MAX (16, net->tensors_allocated * 2);
      net->tensors = g_renew (GabnTensorInfo, net->tensors, net->tensors_allocated);
      net->inits = g_renew (GabnTensorInit, net->inits, net->tensors_allocated);
    }
  t = &net->tensors[net->n_tensors];
  memset (t, 0, sizeof *t);
  t->name = g_strdup (name);
  t->kind = kind;
  t->ndim = ndim;
  t->numel = 1;
  for (int i = 0; i < ndim; i++)
    {
      t->shape[i] = shape[i];
      t->numel *= shape[i];
    }
  t->trainable = kind == GABN_TENSOR_PARAM;
  net->inits[net->n_tensors] = (GabnTensorInit) { init, init_value, 0 };
  return net->n_tensors++;
}

int
gabn_net_add_value (GabnNet *net, int c, int h, int w)
{
  if (net->n_values == net->values_allocated)
    {
      net->values_allocated = MAX (16, net->values_allocated * 2);
      net->values = g_renew (GabnValue, net->values, net->values_allocated);
    }
  net->values[net->n_values] = (GabnValue) { c, h, w, NULL, NULL };
  return net->n_values++;
}

GabnNode *
gabn_net_add_node (GabnNet *net, GabnNodeKind kind, int in, int out)
{
  GabnNode *node;

  if (net->n_nodes == net->nodes_allocated)
    {
      net->nodes_allocated = MAX (16, net->nodes_allocated * 2);
      net->nodes = g_renew (GabnNode, net->nodes, net->nodes_allocated);
    }
  node = &net->nodes[net->n_nodes++];
  memset (node, 0, sizeof *node);
  node->kind = kind;
  node->in = in;
  node->in2 = -1;
  node->out = out;
  node->weight = node->bias = -1;
  node->running_mean = node->running_var = node->count = -1;
  node->groups = 1;
  return node;
}

void
gabn_net_name_last_node (GabnNet *net, const char *name)
{
  GabnNode *node = &net->nodes[net->n_nodes - 1];

  g_free (node->name);
  node->name = g_strdup (name);
}

static int
add_named (GabnNet *net, const char *prefix, const char *suffix,
           GabnTensorKind kind, int ndim, const gint64 *shape,
           GabnInitKind init, float value)
{
  g_autofree char *name = g_strdup_printf ("%s.%s", prefix, suffix);

  return gabn_net_add_tensor (net, name, kind, ndim, shape, init, value);
}

int
gabn_net_conv (GabnNet *net, const char *name, int in, int out_c, int kernel,
               int stride, int pad, gboolean bias, GabnInitKind init,
               float init_value)
{
  return gabn_net_conv_grouped (net, name, in, out_c, kernel, stride, pad, 1,
                                bias, init, init_value);
}

int
gabn_net_conv_grouped (GabnNet *net, const char *name, int in, int out_c,
                       int kernel, int stride, int pad, int groups,
                       gboolean bias, GabnInitKind init, float init_value)
{
  GabnValue *v = &net->values[in];
  GabnConvShape shape;
  gint64 wshape[4] = { out_c, v->c / groups, kernel, kernel };
  GabnNode *node;
  int weight, bias_t = -1, out;

  gabn_conv_shape_init (&shape, v->c, v->h, v->w, out_c, kernel, stride, pad);
  weight = add_named (net, name, "weight", GABN_TENSOR_PARAM, 4, wshape, init, init_value);
  if (bias)
    bias_t = add_named (net, name, "bias", GABN_TENSOR_PARAM, 1, wshape, GABN_INIT_UNIFORM,
                        1.0f / sqrtf ((float) v->c * kernel * kernel));
  out = gabn_net_add_value (net, out_c, shape.out_h, shape.out_w);
  node = gabn_net_add_node (net, GABN_NODE_CONV, in, out);
  node->conv = shape;
  node->groups = groups;
  node->weight = weight;
  node->bias = bias_t;
  node->name = g_strdup (name);
  return out;
}

int
gabn_net_batchnorm (GabnNet *net, const char *name, int in, float eps)
{
  GabnValue v = net->values[in];
  gint64 c = v.c;
  gint64 scalar = 1;
  GabnNode *node;
  int weight, bias, mean, var, count, out;

  weight = add_named (net, name, "weight", GABN_TENSOR_PARAM, 1, &c, GABN_INIT_CONSTANT, 1.0f);
  bias = add_named (net, name, "bias", GABN_TENSOR_PARAM, 1, &c, GABN_INIT_ZERO, 0.0f);
  mean = add_named (net, name, "running_mean", GABN_TENSOR_BUFFER, 1, &c, GABN_INIT_ZERO, 0.0f);
  var = add_named (net, name, "running_var", GABN_TENSOR_BUFFER, 1, &c, GABN_INIT_CONSTANT, 1.0f);
  /* PyTorch saves num_batches_tracked as a 0-d int64 tensor. */
  count = add_named (net, name, "num_batches_tracked", GABN_TENSOR_BUFFER, 0, &scalar,
                     GABN_INIT_ZERO, 0.0f);
  net->tensors[count].is_integer = TRUE;
  out = gabn_net_add_value (net, v.c, v.h, v.w);
  node = gabn_net_add_node (net, GABN_NODE_BATCHNORM, in, out);
  node->weight = weight;
  node->bias = bias;
  node->running_mean = mean;
  node->running_var = var;
  node->count = count;
  node->eps = eps;
  node->momentum = 0.1f;
  node->name = g_strdup (name);
  node->save_mean = g_new0 (float, v.c);
  node->save_rstd = g_new0 (float, v.c);
  return out;
}

int
gabn_net_batchnorm_relu (GabnNet *net, const char *name, int in, float eps)
{
  int out = gabn_net_batchnorm (net, name, in, eps);

  net->nodes[net->n_nodes - 1].relu = TRUE;
  return out;
}

int
gabn_net_relu (GabnNet *net, int in)
{
  GabnValue v = net->values[in];
  int out = gabn_net_add_value (net, v.c, v.h, v.w);

  gabn_net_add_node (net, GABN_NODE_RELU, in, out);
  return out;
}

int
gabn_net_prelu (GabnNet *net, const char *name, int in)
{
  GabnValue v = net->values[in];
  gint64 c = v.c;
  int weight = add_named (net, name, "weight", GABN_TENSOR_PARAM, 1, &c,
                          GABN_INIT_CONSTANT, 0.25f);
  int out = gabn_net_add_value (net, v.c, v.h, v.w);

  gabn_net_add_node (net, GABN_NODE_PRELU, in, out)->weight = weight;
  gabn_net_name_last_node (net, name);
  return out;
}

int
gabn_net_add (GabnNet *net, int a, int b)
{
  GabnValue v = net->values[a];
  int out = gabn_net_add_value (net, v.c, v.h, v.w);

  gabn_net_add_node (net, GABN_NODE_ADD, a, out)->in2 = b;
  return out;
}

int
gabn_net_flatten (GabnNet *net, int in)
{
  int out = gabn_net_add_value (net, (int) gabn_value_size (&net->values[in]), 1, 1);

  gabn_net_add_node (net, GABN_NODE_FLATTEN, in, out);
  return out;
}

int
gabn_net_dropout (GabnNet *net, int in, float p)
{
  GabnValue v = net->values[in];
  int out = gabn_net_add_value (net, v.c, v.h, v.w);

  gabn_net_add_node (net, GABN_NODE_DROPOUT, in, out)->p = p;
  return out;
}

int
gabn_net_linear (GabnNet *net, const char *name, int in, int out_features)
{
  return gabn_net_linear_bias (net, name, in, out_features, TRUE);
}

int
gabn_net_linear_bias (GabnNet *net, const char *name, int in, int out_features,
                      gboolean has_bias)
{
  int in_features = (int) gabn_value_size (&net->values[in]);
  gint64 shape[2] = { out_features, in_features };
  /* PyTorch's default: U(±1/√fan_in) for weight and bias. */
  float bound = 1.0f / sqrtf ((float) in_features);
  int weight = add_named (net, name, "weight", GABN_TENSOR_PARAM, 2, shape, GABN_INIT_UNIFORM, bound);
  int bias = has_bias ? add_named (net, name, "bias", GABN_TENSOR_PARAM, 1, shape,
                                   GABN_INIT_UNIFORM, bound) : -1;
  int out = gabn_net_add_value (net, out_features, 1, 1);
  GabnNode *node = gabn_net_add_node (net, GABN_NODE_LINEAR, in, out);

  node->weight = weight;
  node->bias = bias;
  node->name = g_strdup (name);
  return out;
}

/* ---- Blobs ------------------------------------------------------------ */

static void
init_tensor (GabnNet *net, int index)
{
  GabnTensorInfo *t = &net->tensors[index];
  GabnTensorInit *init = &net->inits[index];
  GabnRng rng;

  gabn_rng_init (&rng, net->seed ^ gabn_rng_hash_string (t->name));
  for (gsize i = 0; i < t->numel; i++)
    switch (init->kind)
      {
      case GABN_INIT_ZERO:
        t->data[i] = 0.0f;
        break;
      case GABN_INIT_CONSTANT:
        t->data[i] = init->value;
        break;
      case GABN_INIT_UNIFORM:
        t->data[i] = (float) ((2.0 * gabn_rng_uniform (&rng) - 1.0) * init->value);
        break;
      case GABN_INIT_NORMAL:
        t->data[i] = (float) (gabn_rng_normal (&rng) * init->value);
        break;
      default:
        g_assert_not_reached ();
      }
}

/* Offsets for every tensor; blobs grown (never moved before the end: the
 * class centres are the last parameter, so resizing them keeps the rest). */
static void
layout_blobs (GabnNet *net)
{
  gsize n_params = 0, n_buffers = 0;

  for (int i = 0; i < net->n_tensors; i++)
    {
      GabnTensorInfo *t = &net->tensors[i];
      if (t->kind == GABN_TENSOR_PARAM)
        {
          net->inits[i].offset = n_params;
          n_params += t->numel;
        }
      else
        {
          net->inits[i].offset = n_buffers;
          n_buffers += t->numel;
        }
    }
  net->params = g_renew (float, net->params, MAX (n_params, 1));
  net->grads = g_renew (float, net->grads, MAX (n_params, 1));
  net->buffers = g_renew (float, net->buffers, MAX (n_buffers, 1));
  net->n_params = n_params;
  net->n_buffers = n_buffers;
  for (int i = 0; i < net->n_tensors; i++)
    {
      GabnTensorInfo *t = &net->tensors[i];
      if (t->kind == GABN_TENSOR_PARAM)
        {
          t->data = net->params + net->inits[i].offset;
          t->grad = net->grads + net->inits[i].offset;
        }
      else
        {
          t->data = net->buffers + net->inits[i].offset;
          t->grad = NULL;
        }
    }
}

static void
add_class_centres (GabnNet *net, int n_classes)
{
  gint64 shape[2] = { n_classes, net->embedding_dim };

  /* arcface_torch initialises the centres with N(0, 0.01²). */
  gabn_net_add_tensor (net, "arcface.weight", GABN_TENSOR_PARAM, 2, shape,
                       GABN_INIT_NORMAL, 0.01f);
  net->n_classes = n_classes;
}

void
gabn_net_finish (GabnNet *net, int n_classes)
{
  net->embedding_dim = net->values[net->embedding_value].c;
  if (n_classes > 0)
    add_class_centres (net, n_classes);
  layout_blobs (net);
  for (int i = 0; i < net->n_tensors; i++)
    init_tensor (net, i);
  memset (net->grads, 0, net->n_params * sizeof (float));
}

/* ---- Public API ------------------------------------------------------- */

GabnNet *
gabn_net_new (const char *arch, int n_classes, guint64 seed, GError **error)
{
  GabnNet *net;

  g_return_val_if_fail (arch != NULL, NULL);
  if (n_classes < 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("Invalid number of classes: %d"), n_classes);
      return NULL;
    }
  net = gabn_net_skeleton (arch, error);
  if (net == NULL)
    return NULL;
  net->seed = seed;
  gabn_rng_init (&net->dropout_rng, seed ^ 0xd50f0u);
  gabn_net_finish (net, n_classes);
  return net;
}

GabnNet *
gabn_net_skeleton (const char *arch, GError **error)
{
  GabnNet *net = gabn_net_alloc (arch, MAX (gabn_arch_input_size (arch), 1), 0);

  if (!gabn_arch_build (net, arch, error))
    {
      gabn_net_free (net);
      return NULL;
    }
  return net;
}

void
gabn_net_free (GabnNet *net)
{
  if (net == NULL)
    return;
  for (int i = 0; i < net->n_tensors; i++)
    g_free ((char *) net->tensors[i].name);
  for (int i = 0; i < net->n_nodes; i++)
    {
      g_free (net->nodes[i].name);
      g_free (net->nodes[i].argmax);
      g_free (net->nodes[i].save_mean);
      g_free (net->nodes[i].save_rstd);
      g_free (net->nodes[i].mask);
      g_free (net->nodes[i].wino_u);
      g_free (net->nodes[i].packed);
      g_free (net->nodes[i].pooled);
    }
  g_clear_object (&net->cancellable);
  g_free (net->params_epoch);
  gabn_grad_pool_clear (net);
  gabn_net_drop_transients (net);
  if (net->grad_pool)
    g_array_unref (net->grad_pool);
  for (int i = 0; i < net->n_values; i++)
    g_free (net->values[i].data);
  g_free (net->tensors);
  g_free (net->inits);
  g_free (net->nodes);
  g_free (net->values);
  g_free (net->params);
  g_free (net->grads);
  g_free (net->buffers);
  g_free (net->workspace);
  g_free (net->wino_scratch);
  g_free (net->arch);
  g_free (net);
}

/* A deep copy of the structure (any net, built-in or imported) with the
 * parameters and buffers; activations, workspaces and derived weights are
 * remade on first use. */
GabnNet *
gabn_net_copy (const GabnNet *net)
{
  GabnNet *copy = g_new (GabnNet, 1);

  *copy = *net;
  copy->arch = g_strdup (net->arch);
  copy->params_epoch = g_new0 (guint64, 1);
  *copy->params_epoch = 1;
  copy->tensors = g_memdup2 (net->tensors, sizeof (GabnTensorInfo) * net->tensors_allocated);
  copy->inits = g_memdup2 (net->inits, sizeof (GabnTensorInit) * net->tensors_allocated);
  for (int i = 0; i < net->n_tensors; i++)
    copy->tensors[i].name = g_strdup (net->tensors[i].name);
  copy->params = copy->grads = copy->buffers = NULL;
  layout_blobs (copy);
  memcpy (copy->params, net->params, MAX (net->n_params, 1) * sizeof (float));
  memcpy (copy->grads, net->grads, MAX (net->n_params, 1) * sizeof (float));
  memcpy (copy->buffers, net->buffers, MAX (net->n_buffers, 1) * sizeof (float));

  copy->nodes = g_memdup2 (net->nodes, sizeof (GabnNode) * net->nodes_allocated);
  for (int i = 0; i < net->n_nodes; i++)
    {
      GabnNode *node = &copy->nodes[i];
      int c = net->values[node->out].c;

      node->name = g_strdup (node->name);
      if (node->save_mean)
        {
          node->save_mean = g_memdup2 (node->save_mean, sizeof (float) * c);
          node->save_rstd = g_memdup2 (node->save_rstd, sizeof (float) * c);
        }
      node->mask = NULL;
      node->argmax = NULL;
      node->wino_u = node->packed = node->pooled = NULL;
      node->wino_epoch = node->packed_epoch = node->pooled_epoch = 0;
    }
  copy->values = g_memdup2 (net->values, sizeof (GabnValue) * net->values_allocated);
  for (int i = 0; i < net->n_values; i++)
    {
      copy->values[i].data = copy->values[i].grad = NULL;
      copy->values[i].grad_floats = 0;
      copy->values[i].transient = FALSE;
    }
  copy->transient_buffers = NULL;
  copy->grad_pool = NULL;
  copy->grad_floats_held = 0;
  copy->capacity = copy->batch = 0;
  copy->workspace = NULL;
  copy->workspace_floats = 0;
  copy->wino_scratch = NULL;
  copy->wino_scratch_floats = 0;
  copy->cancellable = NULL;
  return copy;
}

const char *
gabn_net_arch (const GabnNet *net)
{
  return net->arch;
}

int
gabn_net_input_size (const GabnNet *net)
{
  return net->input_size;
}

int
gabn_net_embedding_dim (const GabnNet *net)
{
  return net->embedding_dim;
}

int
gabn_net_n_classes (const GabnNet *net)
{
  return net->n_classes;
}

void
gabn_net_feature_shape (const GabnNet *net, int *c, int *h, int *w)
{
  const GabnValue *v = &net->values[net->features_value];

  if (c) *c = v->c;
  if (h) *h = v->h;
  if (w) *w = v->w;
}

double
gabn_net_forward_flops (const GabnNet *net)
{
  double flops = 0;

  for (int i = 0; i < net->n_nodes; i++)
    {
      const GabnNode *node = &net->nodes[i];
      const GabnConvShape *s = &node->conv;

      if (node->kind == GABN_NODE_CONV)
        flops += 2.0 * s->out_c * s->out_h * s->out_w * s->in_c * s->kernel * s->kernel
                 / node->groups;
      else if (node->kind == GABN_NODE_LINEAR)
        flops += 2.0 * gabn_value_size (&net->values[node->in]) * net->values[node->out].c;
    }
  return flops;
}

/* ---- Preprocessing and the GAM layer ---------------------------------- */

void
gabn_preprocess_init_builtin (GabnPreprocess *pre, int size)
{
  pre->width = pre->height = size;
  pre->bgr = FALSE;
  for (int c = 0; c < 3; c++)
    {
      pre->mean[c] = 127.5f;
      pre->scale[c] = 1.0f / 127.5f;
    }
}

const GabnPreprocess *
gabn_net_get_preprocess (const GabnNet *net)
{
  return &net->preprocess;
}

void
gabn_net_set_preprocess (GabnNet *net, const GabnPreprocess *pre)
{
  /* The input size is the graph's: only the colour handling may change. */
  g_return_if_fail (pre->width == net->input_size && pre->height == net->input_size);
  net->preprocess = *pre;
}

gboolean
gabn_net_is_imported (const GabnNet *net)
{
  return net->imported;
}

static gboolean
is_feature_layer (const GabnNet *net, const GabnNode *node)
{
  const GabnValue *v = &net->values[node->out];

  return node->name != NULL && v->h * v->w > 1;
}

GabnFeatureLayer *
gabn_net_feature_layers (const GabnNet *net, int *n_layers)
{
  GabnFeatureLayer *layers = g_new0 (GabnFeatureLayer, net->n_nodes + 1);
  int n = 0;

  for (int i = 0; i < net->n_nodes; i++)
    if (is_feature_layer (net, &net->nodes[i]))
      {
        const GabnValue *v = &net->values[net->nodes[i].out];
        layers[n++] = (GabnFeatureLayer) { net->nodes[i].name, v->c, v->h, v->w };
      }
  *n_layers = n;
  return layers;
}

const char *
gabn_net_feature_layer (const GabnNet *net)
{
  if (net->n_backbone <= 0)
    return NULL;
  return net->nodes[net->n_backbone - 1].name;
}

gboolean
gabn_net_set_feature_layer (GabnNet *net, const char *name, GError **error)
{
  if (net->default_n_backbone <= 0)
    {
      net->default_features_value = net->features_value;
      net->default_n_backbone = net->n_backbone;
    }
  if (name == NULL)
    {
      net->features_value = net->default_features_value;
      net->n_backbone = net->default_n_backbone;
      return TRUE;
    }
  for (int i = 0; i < net->n_nodes; i++)
    if (is_feature_layer (net, &net->nodes[i]) && g_str_equal (net->nodes[i].name, name))
      {
        net->features_value = net->nodes[i].out;
        net->n_backbone = i + 1;
        return TRUE;
      }
  g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
               _("No feature-map layer “%s” in the model (gabn inspect lists them)"), name);
  return FALSE;
}

int
gabn_net_n_tensors (const GabnNet *net)
{
  return net->n_tensors;
}

const GabnTensorInfo *
gabn_net_tensor (const GabnNet *net, int index)
{
  g_return_val_if_fail (index >= 0 && index < net->n_tensors, NULL);
  gabn_net_params_touched (net);  /* its data may be written */
  return &net->tensors[index];
}

const GabnTensorInfo *
gabn_net_find_tensor (const GabnNet *net, const char *name)
{
  for (int i = 0; i < net->n_tensors; i++)
    if (g_str_equal (net->tensors[i].name, name))
      {
        gabn_net_params_touched (net);  /* its data may be written */
        return &net->tensors[i];
      }
  return NULL;
}

gsize
gabn_net_n_params (const GabnNet *net)
{
  return net->n_params;
}

float *
gabn_net_params (GabnNet *net)
{
  gabn_net_params_touched (net);
  return net->params;
}

float *
gabn_net_grads (GabnNet *net)
{
  return net->grads;
}

void
gabn_net_zero_grad (GabnNet *net)
{
  memset (net->grads, 0, net->n_params * sizeof (float));
}

gboolean
gabn_net_set_n_classes (GabnNet *net, int n_classes, guint64 seed,
                        GError **error)
{
  if (n_classes < 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("Invalid number of classes: %d"), n_classes);
      return FALSE;
    }
  if (net->n_classes > 0)
    {
      /* The centres are the last tensor: drop them. */
      g_free ((char *) net->tensors[net->n_tensors - 1].name);
      net->n_tensors--;
      net->n_classes = 0;
    }
  if (n_classes > 0)
    add_class_centres (net, n_classes);
  layout_blobs (net);
  if (n_classes > 0)
    {
      guint64 old_seed = net->seed;
      GabnTensorInfo *t = &net->tensors[net->n_tensors - 1];

      net->seed = seed;
      init_tensor (net, net->n_tensors - 1);
      net->seed = old_seed;
      memset (t->grad, 0, t->numel * sizeof (float));
    }
  gabn_net_params_touched (net);  /* the blobs moved */
  return TRUE;
}

float *
gabn_net_class_centres (GabnNet *net)
{
  if (net->n_classes == 0)
    return NULL;
  return net->tensors[net->n_tensors - 1].data;
}

void
gabn_net_set_training (GabnNet *net, gboolean training)
{
  gabn_net_params_touched (net);  /* loaders end with it: a cheap safeguard */
  /* Eval's backward (a Grad-CAM's) needs a fraction of a training step's
   * gradient buffers: give those back rather than hold them beside eval's
   * own buffers (the next training step takes new ones). */
  if (net->training && !training)
    gabn_grad_pool_trim (net);
  net->training = training;
}

gboolean
gabn_net_get_training (const GabnNet *net)
{
  return net->training;
}

/* ---- Forward / backward entry points ---------------------------------- */

void
gabn_net_set_cancellable (GabnNet *net, GCancellable *cancellable)
{
  g_set_object (&net->cancellable, cancellable);
}

gboolean
gabn_net_cancelled (const GabnNet *net)
{
  return net->cancellable && g_cancellable_is_cancelled (net->cancellable);
}

void
gabn_net_forward_backbone (GabnNet *net, const float *input, int batch)
{
  GabnValue *in;

  g_return_if_fail (batch > 0);
  gabn_net_ensure_capacity (net, batch);
  net->batch = batch;
  in = &net->values[net->input_value];
  memcpy (in->data, input, (gsize) batch * gabn_value_size (in) * sizeof (float));
  gabn_net_run_forward (net, 0, net->n_backbone);
}

void
gabn_net_forward_head (GabnNet *net)
{
  g_return_if_fail (net->batch > 0);
  gabn_net_run_forward (net, net->n_backbone, net->n_nodes);
}

void
gabn_net_forward (GabnNet *net, const float *input, int batch)
{
  gabn_net_forward_backbone (net, input, batch);
  gabn_net_forward_head (net);
}

int
gabn_net_batch (const GabnNet *net)
{
  return net->batch;
}

float *
gabn_net_features (GabnNet *net)
{
  return net->values[net->features_value].data;
}

const float *
gabn_net_embeddings (const GabnNet *net)
{
  return net->values[net->embedding_value].data;
}

void
gabn_net_backward_head (GabnNet *net, const float *d_embeddings,
                        float *d_features, gboolean accumulate)
{
  GabnValue *emb = &net->values[net->embedding_value];
  GabnValue *feat = &net->values[net->features_value];

  g_return_if_fail (net->batch > 0);
  gabn_net_ensure_capacity (net, net->batch);
  memcpy (gabn_net_value_grad (net, net->embedding_value), d_embeddings, (gsize) net->batch * gabn_value_size (emb) * sizeof (float));
  gabn_net_run_backward (net, net->n_backbone, net->n_nodes, accumulate, FALSE);
  memcpy (d_features, feat->grad, (gsize) net->batch * gabn_value_size (feat) * sizeof (float));
}

void
gabn_net_backward_backbone (GabnNet *net, const float *d_features,
                            float *d_input)
{
  GabnValue *feat = &net->values[net->features_value];
  GabnValue *in = &net->values[net->input_value];

  g_return_if_fail (net->batch > 0);
  gabn_net_ensure_capacity (net, net->batch);
  memcpy (gabn_net_value_grad (net, net->features_value), d_features, (gsize) net->batch * gabn_value_size (feat) * sizeof (float));
  gabn_net_run_backward (net, 0, net->n_backbone, TRUE, d_input != NULL);
  if (d_input)
    memcpy (d_input, in->grad, (gsize) net->batch * gabn_value_size (in) * sizeof (float));
}

/* ---- Margin heads ----------------------------------------------------- */

float
gabn_net_margin_loss (GabnNet *net, const GabnMarginConfig *margin,
                      const int *labels, float weight, float *d_embeddings)
{
  int B = net->batch, D = net->embedding_dim, N = net->n_classes;
  GabnTensorInfo *centres = &net->tensors[net->n_tensors - 1];
  g_autofree float *en = g_new (float, (gsize) B * D);
  g_autofree float *en_norm = g_new (float, B);
  g_autofree float *d_en = g_new (float, (gsize) B * D);
  g_autofree float *wn = g_new (float, (gsize) N * D);
  g_autofree float *wn_norm = g_new (float, N);
  g_autofree float *d_wn = g_new (float, (gsize) N * D);
  g_autofree float *d_w = g_new0 (float, (gsize) N * D);
  float loss;

  g_return_val_if_fail (N > 0 && B > 0, NAN);
  gabn_l2norm_forward (en, en_norm, gabn_net_embeddings (net), B, D);
  gabn_l2norm_forward (wn, wn_norm, centres->data, N, D);
  loss = gabn_margin_loss_forward_backward (d_en, d_wn, en, wn, labels, B, N, D, margin);

  memset (d_embeddings, 0, (gsize) B * D * sizeof (float));
  gabn_l2norm_backward (d_embeddings, d_en, en, en_norm, B, D);
  gabn_l2norm_backward (d_w, d_wn, wn, wn_norm, N, D);
  for (gsize i = 0; i < (gsize) B * D; i++)
    d_embeddings[i] *= weight;
  if (centres->trainable)
    for (gsize i = 0; i < (gsize) N * D; i++)
      centres->grad[i] += weight * d_w[i];
  return loss;
}

void
gabn_net_cosine_to_class (GabnNet *net, const int *classes, float *cosines,
                          float *d_embeddings)
{
  int B = net->batch, D = net->embedding_dim, N = net->n_classes;
  const float *centres = gabn_net_class_centres (net);
  g_autofree float *en = g_new (float, (gsize) B * D);
  g_autofree float *en_norm = g_new (float, B);
  g_autofree float *wn = g_new (float, D);

  g_return_if_fail (N > 0 && B > 0);
  gabn_l2norm_forward (en, en_norm, gabn_net_embeddings (net), B, D);
  memset (d_embeddings, 0, (gsize) B * D * sizeof (float));
  for (int b = 0; b < B; b++)
    {
      float norm;
      double dot = 0;

      g_return_if_fail (classes[b] >= 0 && classes[b] < N);
      gabn_l2norm_forward (wn, &norm, centres + (gsize) classes[b] * D, 1, D);
      for (int i = 0; i < D; i++)
        dot += (double) en[(gsize) b * D + i] * wn[i];
      cosines[b] = (float) dot;
      /* dy/d(en) = wn, then through the normalisation. */
      gabn_l2norm_backward (d_embeddings + (gsize) b * D, wn,
                            en + (gsize) b * D, en_norm + b, 1, D);
    }
}
