/* gabn-onnx.c: reading an ONNX file (protobuf-c), its constants and
 * attributes, and walking its graph in dependency order; the operators
 * themselves are mapped in gabn-onnx-ops.c. */
#include "gabn-onnx.h"
#include "gabn-onnx-private.h"
#include "gabn-safetensors.h" /* gabn_file_error */

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

/* Larger constants than this are refused rather than allocated: no face
 * recognizer has a tensor of 2^31 elements. */
#define MAX_NUMEL ((gsize) G_MAXINT32)

/* ---- Symbols ---------------------------------------------------------- */

static void
sym_free (gpointer data)
{
  GabnOnnxSym *sym = data;

  if (sym->owned)
    {
      g_free (sym->f);
      g_free (sym->i);
    }
  g_free (sym);
}

GabnOnnxSym *
gabn_onnx_value_sym (GabnOnnxBuild *b, int value, int ndim)
{
  GabnOnnxSym *sym = g_new0 (GabnOnnxSym, 1);
  const GabnValue *v = &b->net->values[value];

  sym->kind = GABN_ONNX_VALUE;
  sym->value = value;
  sym->ndim = ndim;
  sym->dims[0] = 1;
  sym->dims[1] = ndim == 2 ? (gint64) v->c * v->h * v->w : v->c;
  if (ndim == 4)
    {
      sym->dims[2] = v->h;
      sym->dims[3] = v->w;
    }
  return sym;
}

GabnOnnxSym *
gabn_onnx_const_sym (const float *f, const gint64 *dims, int ndim)
{
  GabnOnnxSym *sym = g_new0 (GabnOnnxSym, 1);

  sym->kind = GABN_ONNX_CONST;
  sym->ndim = ndim;
  sym->numel = 1;
  for (int d = 0; d < ndim; d++)
    {
      sym->dims[d] = dims[d];
      sym->numel *= (gsize) dims[d];
    }
  sym->f = g_memdup2 (f, sizeof (float) * MAX (sym->numel, 1));
  sym->i = g_new (gint64, MAX (sym->numel, 1));
  for (gsize k = 0; k < sym->numel; k++)
    sym->i[k] = (gint64) f[k];
  sym->owned = TRUE;
  return sym;
}

/* ---- Errors ------------------------------------------------------------ */

gboolean
gabn_onnx_node_error (GabnOnnxBuild *b, GError **error, int code,
                      const char *format, ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return gabn_file_error (error, code, b->path, _("node “%s” (%s): %s"), b->node_name,
                          b->node->op_type, message);
}

/* ---- Constants ----------------------------------------------------------- */

static gsize
element_size (int data_type)
{
  switch (data_type)
    {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
      return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
      return 8;
    default:
      return 0;
    }
}

static guint64
read_le (const guint8 *p, gsize n)
{
  guint64 v = 0;

  for (gsize k = 0; k < n; k++)
    v |= (guint64) p[k] << (8 * k);
  return v;
}

/* A float's integer view (shapes, axes): out-of-range values saturate and
 * NaN reads 0, so a hostile constant is refused later by the shape checks,
 * never converted with undefined behaviour (found by fuzzing). */
static gint64
saturate_int64 (double v)
{
  if (!(v == v))
    return 0;
  if (v >= 9.2e18)
    return G_MAXINT64;
  if (v <= -9.2e18)
    return G_MININT64;
  return (gint64) v;
}

GabnOnnxSym *
gabn_onnx_tensor_to_sym (GabnOnnxBuild *b, const Onnx__TensorProto *t,
                         const char *what, GError **error)
{
  GabnOnnxSym *sym;
  gsize numel = 1, size, given;
  int type = t->data_type;

  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, b->path,
                            _("%s keeps its data in an external file, which is not "
                              "supported (save the model with its weights inside)"), what),
           NULL;
  if (t->n_dims > GABN_ONNX_MAX_RANK)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, b->path,
                            _("%s has %zu dimensions (at most %d are supported)"), what,
                            t->n_dims, GABN_ONNX_MAX_RANK), NULL;
  for (gsize d = 0; d < t->n_dims; d++)
    {
      if (t->dims[d] < 0 || (t->dims[d] > 0 && numel > MAX_NUMEL / (gsize) t->dims[d]))
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, b->path,
                                _("%s has an invalid shape"), what), NULL;
      numel *= (gsize) t->dims[d];
    }
  size = element_size (type);
  if (size == 0)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, b->path,
                            _("%s has element type %d (supported: float, double, int32, "
                              "int64)"), what, type), NULL;

  sym = g_new0 (GabnOnnxSym, 1);
  sym->kind = GABN_ONNX_CONST;
  sym->ndim = (int) t->n_dims;
  for (gsize d = 0; d < t->n_dims; d++)
    sym->dims[d] = t->dims[d];
  sym->numel = numel;
  sym->owned = TRUE;
  sym->f = g_new (float, MAX (numel, 1));
  sym->i = g_new (gint64, MAX (numel, 1));

  if (t->has_raw_data)
    given = t->raw_data.len / size;
  else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
    given = t->n_float_data;
  else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
    given = t->n_double_data;
  else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
    given = t->n_int64_data;
  else
    given = t->n_int32_data;
  if (given != numel || (t->has_raw_data && t->raw_data.len != numel * size))
    {
      sym_free (sym);
      return gabn_file_error (error, GABN_ERROR_INVALID_FILE, b->path,
                              _("%s holds %zu values, its shape needs %zu"), what,
                              given, numel), NULL;
    }

  for (gsize k = 0; k < numel; k++)
    {
      double v;

      if (t->has_raw_data)
        {
          guint64 bits = read_le (t->raw_data.data + k * size, size);
          switch (type)
            {
            case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
              {
                guint32 u = (guint32) bits;
                float x;
                memcpy (&x, &u, 4);
                v = x;
                break;
              }
            case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
              memcpy (&v, &bits, 8);
              break;
            case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
              v = (double) (gint64) bits;
              sym->i[k] = (gint64) bits;
              break;
            default:
              v = (double) (gint32) (guint32) bits;
              break;
            }
        }
      else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        v = t->float_data[k];
      else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE)
        v = t->double_data[k];
      else if (type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        {
          v = (double) t->int64_data[k];
          sym->i[k] = t->int64_data[k];
        }
      else
        v = t->int32_data[k];
      sym->f[k] = (float) v;
      if (type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
        sym->i[k] = saturate_int64 (v);
    }
  return sym;
}

/* ---- Node inputs, outputs and parameters ---------------------------------- */

const GabnOnnxSym *
gabn_onnx_input (GabnOnnxBuild *b, int index, gboolean optional, GError **error)
{
  const char *name = index < (int) b->node->n_input ? b->node->input[index] : "";
  const GabnOnnxSym *sym;

  if (name[0] == '\0')
    {
      if (!optional)
        gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                              _("input %d is missing"), index + 1);
      return NULL;
    }
  sym = g_hash_table_lookup (b->syms, name);
  g_assert (sym != NULL); /* the walk maps a node once its inputs exist */
  return sym;
}

void
gabn_onnx_set_output (GabnOnnxBuild *b, int index, GabnOnnxSym *sym)
{
  g_hash_table_replace (b->syms, g_strdup (b->node->output[index]), sym);
}

int
gabn_onnx_add_tensor (GabnOnnxBuild *b, const char *suffix, GabnTensorKind kind,
                      int ndim, const gint64 *shape, const float *data)
{
  g_autofree char *name = g_strdup_printf ("%s.%s", b->node_name, suffix);
  GabnOnnxPending p;
  gsize numel = 1;
  int t;

  /* Node names are unique in a valid graph; stay unique in any. */
  for (int k = 2; g_hash_table_contains (b->tensor_names, name); k++)
    {
      g_free (name);
      name = g_strdup_printf ("%s#%d.%s", b->node_name, k, suffix);
    }
  g_hash_table_add (b->tensor_names, g_strdup (name));
  for (int d = 0; d < ndim; d++)
    numel *= (gsize) shape[d];
  t = gabn_net_add_tensor (b->net, name, kind, ndim, shape, GABN_INIT_ZERO, 0.0f);
  b->net->tensors[t].trainable = FALSE;  /* imported graphs are not trained */
  p.tensor = t;
  p.data = g_memdup2 (data, sizeof (float) * MAX (numel, 1));
  g_array_append_val (b->pending, p);
  return t;
}

/* ---- Attributes ------------------------------------------------------------ */

const Onnx__AttributeProto *
gabn_onnx_attribute (GabnOnnxBuild *b, const char *name)
{
  for (gsize k = 0; k < b->node->n_attribute; k++)
    if (g_strcmp0 (b->node->attribute[k]->name, name) == 0)
      return b->node->attribute[k];
  return NULL;
}

gboolean
gabn_onnx_check_attributes (GabnOnnxBuild *b, const char *const *known,
                            GError **error)
{
  for (gsize k = 0; k < b->node->n_attribute; k++)
    {
      const char *name = b->node->attribute[k]->name ? b->node->attribute[k]->name : "";

      if (!g_strv_contains (known, name))
        return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                     _("unsupported attribute “%s”"), name);
    }
  return TRUE;
}

/* The attribute's type, inferred from its fields when an old exporter left
 * it unset. */
static int
attr_type (const Onnx__AttributeProto *a)
{
  if (a->has_type)
    return a->type;
  if (a->n_ints)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  if (a->n_floats)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->has_i)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_f)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_s)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t)
    return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static gboolean
wrong_type (GabnOnnxBuild *b, const char *name, const char *expected, GError **error)
{
  return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                               _("attribute “%s” is not %s"), name, expected);
}

gboolean
gabn_onnx_attr_int (GabnOnnxBuild *b, const char *name, gint64 fallback,
                    gint64 *out, GError **error)
{
  const Onnx__AttributeProto *a = gabn_onnx_attribute (b, name);

  *out = fallback;
  if (a == NULL)
    return TRUE;
  if (attr_type (a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
    return wrong_type (b, name, _("an integer"), error);
  *out = a->i;
  return TRUE;
}

gboolean
gabn_onnx_attr_float (GabnOnnxBuild *b, const char *name, float fallback,
                      float *out, GError **error)
{
  const Onnx__AttributeProto *a = gabn_onnx_attribute (b, name);

  *out = fallback;
  if (a == NULL)
    return TRUE;
  if (attr_type (a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)
    return wrong_type (b, name, _("a float"), error);
  *out = a->f;
  return TRUE;
}

gboolean
gabn_onnx_attr_ints (GabnOnnxBuild *b, const char *name, gint64 *out, int *n,
                     GError **error)
{
  const Onnx__AttributeProto *a = gabn_onnx_attribute (b, name);
  int capacity = *n;

  *n = 0;
  if (a == NULL)
    return TRUE;
  if (attr_type (a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
    return wrong_type (b, name, _("a list of integers"), error);
  if ((int) a->n_ints > capacity)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("attribute “%s” has %zu values (at most %d are "
                                   "supported)"), name, a->n_ints, capacity);
  for (gsize k = 0; k < a->n_ints; k++)
    out[k] = a->ints[k];
  *n = (int) a->n_ints;
  return TRUE;
}

const char *
gabn_onnx_attr_string (GabnOnnxBuild *b, const char *name, const char *fallback,
                       GError **error)
{
  const Onnx__AttributeProto *a = gabn_onnx_attribute (b, name);

  if (a == NULL)
    return fallback;
  if (attr_type (a) != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
    {
      wrong_type (b, name, _("a string"), error);
      return NULL;
    }
  {
    /* Interned: the caller compares it after the node is gone. */
    g_autofree char *s = g_strndup ((const char *) a->s.data, a->s.len);
    return g_intern_string (s);
  }
}

/* ---- The graph walk ---------------------------------------------------------- */

static gboolean
node_ready (GabnOnnxBuild *b, const Onnx__NodeProto *node)
{
  for (gsize k = 0; k < node->n_input; k++)
    if (node->input[k][0] != '\0' && !g_hash_table_contains (b->syms, node->input[k]))
      return FALSE;
  return TRUE;
}

/* Whether a node not yet mapped produces name. */
static gboolean
pending_output (const Onnx__GraphProto *g, const gboolean *done, const char *name)
{
  for (gsize m = 0; m < g->n_node; m++)
    for (gsize o = 0; !done[m] && o < g->node[m]->n_output; o++)
      if (g_strcmp0 (g->node[m]->output[o], name) == 0)
        return TRUE;
  return FALSE;
}

/* Why no remaining node can run: an input that nothing defines (reported
 * first: it blocks everything downstream), else a cycle. */
static gboolean
stuck_error (GabnOnnxBuild *b, const Onnx__GraphProto *g, const gboolean *done,
             GError **error)
{
  for (int pass = 0; pass < 2; pass++)
    for (gsize n = 0; n < g->n_node; n++)
      {
        const Onnx__NodeProto *node = g->node[n];

        for (gsize k = 0; !done[n] && k < node->n_input; k++)
          {
            const char *in = node->input[k];
            gboolean produced;

            if (in[0] == '\0' || g_hash_table_contains (b->syms, in))
              continue;
            produced = pending_output (g, done, in);
            if (pass == 0 && produced)
              continue;
            /* Reported by name, so a node without output or operator is
             * reported as the walk reports it (no name to give). */
            if (node->n_output == 0 || node->op_type == NULL)
              return gabn_file_error (error, GABN_ERROR_INVALID_FILE, b->path,
                                      _("node %zu has no operator or no output"), n + 1);
            b->node = node;
            b->node_name = node->name && node->name[0] ? node->name : node->output[0];
            if (produced)
              return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                           _("input “%s” depends on this node's own output "
                                             "(the graph has a cycle)"), in);
            return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                         _("input “%s” is not a graph input, an initializer "
                                           "or any node's output"), in);
          }
      }
  g_assert_not_reached ();
  return FALSE;
}

static gboolean
walk_graph (GabnOnnxBuild *b, const Onnx__GraphProto *g, GError **error)
{
  g_autofree gboolean *done = g_new0 (gboolean, g->n_node + 1);
  gsize remaining = g->n_node;

  while (remaining > 0)
    {
      gboolean progress = FALSE;

      for (gsize n = 0; n < g->n_node; n++)
        {
          const Onnx__NodeProto *node = g->node[n];
          g_autofree char *made_up = NULL;

          if (done[n] || !node_ready (b, node))
            continue;
          if (node->n_output == 0 || node->op_type == NULL)
            return gabn_file_error (error, GABN_ERROR_INVALID_FILE, b->path,
                                    _("node %zu has no operator or no output"), n + 1);
          b->node = node;
          b->node_index = (int) n;
          if (node->name && node->name[0])
            b->node_name = node->name;
          else
            b->node_name = made_up = g_strdup (node->output[0]);
          /* Names are assigned once (SSA): a redefinition would leave
           * aliases of the old symbol dangling. */
          for (gsize o = 0; o < node->n_output; o++)
            if (node->output[o][0] != '\0' && g_hash_table_contains (b->syms, node->output[o]))
              return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                           _("output “%s” is already defined"),
                                           node->output[o]);
          if (!gabn_onnx_map_node (b, error))
            return FALSE;
          b->node_name = NULL;
          done[n] = TRUE;
          remaining--;
          progress = TRUE;
        }
      if (!progress)
        return stuck_error (b, g, done, error);
    }
  return TRUE;
}

/* ---- The model ----------------------------------------------------------------- */

static gboolean
read_opset (const char *path, const Onnx__ModelProto *model, int *opset,
            GError **error)
{
  *opset = -1;
  for (gsize k = 0; k < model->n_opset_import; k++)
    {
      const Onnx__OperatorSetIdProto *o = model->opset_import[k];

      if (o->domain == NULL || o->domain[0] == '\0' || g_str_equal (o->domain, "ai.onnx"))
        *opset = (int) o->version;
    }
  if (*opset < 0)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                            _("the model imports no ONNX operator set"));
  if (*opset < GABN_ONNX_MIN_OPSET || *opset > GABN_ONNX_MAX_OPSET)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("operator set %d is not supported (%d to %d are)"), *opset,
                            GABN_ONNX_MIN_OPSET, GABN_ONNX_MAX_OPSET);
  return TRUE;
}

/* The one image input: float N×3×S×S (the batch may be symbolic). */
static gboolean
find_input (const char *path, const Onnx__GraphProto *g, GHashTable *initializers,
            const Onnx__ValueInfoProto **input, int *size, GError **error)
{
  const Onnx__TypeProto__Tensor *tt;
  gint64 dims[4];

  *input = NULL;
  for (gsize k = 0; k < g->n_input; k++)
    if (!g_hash_table_contains (initializers, g->input[k]->name))
      {
        if (*input)
          return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                                  _("the graph has several inputs (“%s”, “%s”); a face "
                                    "recognizer has one image input"), (*input)->name,
                                  g->input[k]->name);
        *input = g->input[k];
      }
  if (*input == NULL)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("the graph has no input"));
  tt = (*input)->type && (*input)->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
       ? (*input)->type->tensor_type : NULL;
  if (tt == NULL || tt->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
      || tt->shape == NULL || tt->shape->n_dim != 4)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("input “%s” is not a float tensor of 4 dimensions "
                              "(batch, 3, height, width)"), (*input)->name);
  for (int d = 0; d < 4; d++)
    {
      const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
      dims[d] = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                ? dim->dim_value : -1;
    }
  if (dims[1] != 3 || dims[2] <= 0 || dims[3] <= 0 || dims[2] > 4096)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("input “%s” must have 3 channels and a fixed height and "
                              "width"), (*input)->name);
  if (dims[2] != dims[3])
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("input “%s” is %lld×%lld: only square inputs are supported"),
                            (*input)->name, (long long) dims[3], (long long) dims[2]);
  *size = (int) dims[2];
  return TRUE;
}

/* The default GAM layer: the last named feature map (h·w > 1) after which
 * no node reads an earlier value, so that the head is everything after it. */
static int
default_feature_node (GabnNet *net)
{
  g_autofree int *producer = g_new (int, net->n_values);
  int min_after = G_MAXINT;

  for (int v = 0; v < net->n_values; v++)
    producer[v] = -1;
  for (int i = 0; i < net->n_nodes; i++)
    producer[net->nodes[i].out] = i;
  for (int i = net->n_nodes - 1; i >= 0; i--)
    {
      const GabnNode *node = &net->nodes[i];
      const GabnValue *v = &net->values[node->out];

      if (node->name && v->h * v->w > 1 && min_after >= i && i < net->n_nodes - 1)
        return i;
      min_after = MIN (min_after, producer[node->in]);
      if (node->in2 >= 0)
        min_after = MIN (min_after, producer[node->in2]);
    }
  return -1;
}

/* InsightFace's rule (insightface/model_zoo/arcface_onnx.py): a graph with
 * a Sub and a Mul among its first nodes normalises by itself and takes
 * 0..255 pixels; the others expect (x − 127.5)/127.5. RGB in both. */
static void
default_preprocess (const Onnx__GraphProto *g, int size, GabnPreprocess *pre)
{
  gboolean sub = FALSE, mul = FALSE;

  gabn_preprocess_init_builtin (pre, size);
  for (gsize k = 0; k < MIN (g->n_node, 8); k++)
    {
      sub = sub || g_strcmp0 (g->node[k]->op_type, "Sub") == 0;
      mul = mul || g_strcmp0 (g->node[k]->op_type, "Mul") == 0;
    }
  if (sub && mul)
    for (int c = 0; c < 3; c++)
      {
        pre->mean[c] = 0.0f;
        pre->scale[c] = 1.0f;
      }
}

static GabnNet *
build_net (const char *path, const Onnx__ModelProto *model, GError **error)
{
  const Onnx__GraphProto *g = model->graph;
  g_autoptr(GHashTable) initializers = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) tensor_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GabnNet) net = NULL;
  GabnOnnxBuild b = { 0 };
  const Onnx__ValueInfoProto *input;
  const GabnOnnxSym *out;
  gboolean ok = FALSE;
  int size = 0, opset, features;

  if (g == NULL)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("the model has no graph")),
           NULL;
  if (!read_opset (path, model, &opset, error))
    return NULL;
  for (gsize k = 0; k < g->n_initializer; k++)
    if (g->initializer[k]->name)
      g_hash_table_insert (initializers, g->initializer[k]->name, g->initializer[k]);
  if (!find_input (path, g, initializers, &input, &size, error))
    return NULL;
  if (g->n_output == 0)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("the graph has no output")),
           NULL;

  net = gabn_net_alloc ("onnx", size, 0);
  net->imported = TRUE;
  b.path = path;
  b.net = net;
  b.opset = opset;
  b.syms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, sym_free);
  b.pending = g_array_new (FALSE, FALSE, sizeof (GabnOnnxPending));
  b.tensor_names = tensor_names;
  g_hash_table_insert (b.syms, g_strdup (input->name),
                       gabn_onnx_value_sym (&b, net->input_value, 4));
  for (gsize k = 0; k < g->n_initializer; k++)
    {
      const Onnx__TensorProto *t = g->initializer[k];
      g_autofree char *what = g_strdup_printf (_("initializer “%s”"), t->name ? t->name : "");
      GabnOnnxSym *sym;

      if (t->name == NULL || t->name[0] == '\0')
        {
          gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("an initializer has no name"));
          goto out;
        }
      if ((sym = gabn_onnx_tensor_to_sym (&b, t, what, error)) == NULL)
        goto out;
      g_hash_table_replace (b.syms, g_strdup (t->name), sym);
    }
  if (!walk_graph (&b, g, error))
    goto out;

  out = g_hash_table_lookup (b.syms, g->output[0]->name);
  if (out == NULL || out->kind != GABN_ONNX_VALUE || out->value == net->input_value)
    {
      gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                       _("the graph's output “%s” is not computed from its input"),
                       g->output[0]->name);
      goto out;
    }
  if (net->values[out->value].h * net->values[out->value].w > 1)
    {
      gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                       _("the graph's output “%s” is a feature map, not an embedding"),
                       g->output[0]->name);
      goto out;
    }
  features = default_feature_node (net);
  if (features < 0)
    {
      gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                       _("no feature map (a 4-D output with more than one cell) before "
                         "the head: there is no layer to take attention maps at"));
      goto out;
    }
  net->embedding_value = out->value;
  net->features_value = net->nodes[features].out;
  net->n_backbone = features + 1;
  gabn_net_finish (net, 0);
  for (guint k = 0; k < b.pending->len; k++)
    {
      GabnOnnxPending *p = &g_array_index (b.pending, GabnOnnxPending, k);
      memcpy (net->tensors[p->tensor].data, p->data,
              sizeof (float) * net->tensors[p->tensor].numel);
    }
  default_preprocess (g, size, &net->preprocess);
  ok = TRUE;

out:
  for (guint k = 0; k < b.pending->len; k++)
    g_free (g_array_index (b.pending, GabnOnnxPending, k).data);
  g_array_unref (b.pending);
  g_hash_table_unref (b.syms);
  return ok ? g_steal_pointer (&net) : NULL;
}

GabnNet *
gabn_onnx_load (const char *path, GHashTable **metadata, GError **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local = NULL;
  Onnx__ModelProto *model;
  GabnNet *net;

  g_return_val_if_fail (path != NULL, NULL);
  file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    return gabn_file_error (error, local->code == G_FILE_ERROR_NOENT ? GABN_ERROR_NOT_FOUND
                                                                      : GABN_ERROR_FAILED,
                            path, "%s", local->message), NULL;
  model = onnx__model_proto__unpack (NULL, g_mapped_file_get_length (file),
                                     (const guint8 *) g_mapped_file_get_contents (file));
  if (model == NULL)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                            _("not a valid ONNX model (the protobuf data is truncated or "
                              "corrupt)")), NULL;
  net = build_net (path, model, error);
  if (net && metadata)
    {
      int opset = -1;

      *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      read_opset (path, model, &opset, NULL);
      g_hash_table_insert (*metadata, g_strdup ("onnx_producer"),
                           g_strdup_printf ("%s %s", model->producer_name ? model->producer_name : "",
                                            model->producer_version ? model->producer_version : ""));
      g_hash_table_insert (*metadata, g_strdup ("onnx_opset"), g_strdup_printf ("%d", opset));
    }
  onnx__model_proto__free_unpacked (model, NULL);
  return net;
}

gboolean
gabn_onnx_is_onnx_file (const char *path)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  guint8 head[9] = { 0 };
  FILE *f;
  size_t n;

  if (g_str_has_suffix (lower, ".onnx"))
    return TRUE;
  f = fopen (path, "rb");
  if (f == NULL)
    return FALSE;
  n = fread (head, 1, sizeof head, f);
  fclose (f);
  /* A ModelProto starts with field 1 (ir_version, a varint): 0x08. A
   * safetensors file starts with a little-endian length and then '{'. */
  return n == sizeof head && head[0] == 0x08 && head[8] != '{';
}
