/* gabn-onnx-fold.c: operators on constants, evaluated while importing.
 * Exporters compute shapes and paddings in the graph (PyTorch's F.pad at
 * opset 11+ becomes ConstantOfShape, Concat, Reshape, Slice, Transpose and
 * Cast feeding a Pad; x.view(x.size(0), -1) becomes Shape, Gather,
 * Unsqueeze, Concat feeding a Reshape). With a fixed input size all of
 * them are constants, folded here; on a computed tensor they are refused. */
#include "gabn-onnx-private.h"

#include <glib/gi18n.h>
#include <string.h>

static GabnOnnxSym *
new_const (int ndim, const gint64 *dims)
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
  sym->f = g_new0 (float, MAX (sym->numel, 1));
  sym->i = g_new0 (gint64, MAX (sym->numel, 1));
  sym->owned = TRUE;
  return sym;
}

/* Row-major strides of a constant. */
static void
strides_of (const GabnOnnxSym *s, gint64 *strides)
{
  gint64 st = 1;

  for (int d = s->ndim - 1; d >= 0; d--)
    {
      strides[d] = st;
      st *= s->dims[d];
    }
}

/* The multi-index of flat position k in dims. */
static void
unravel (gsize k, int ndim, const gint64 *dims, gint64 *index)
{
  for (int d = ndim - 1; d >= 0; d--)
    {
      index[d] = dims[d] ? (gint64) (k % (gsize) dims[d]) : 0;
      k = dims[d] ? k / (gsize) dims[d] : 0;
    }
}

static const GabnOnnxSym *
folded_input (GabnOnnxBuild *b, int index, gboolean optional, GError **error)
{
  const GabnOnnxSym *sym = gabn_onnx_input (b, index, optional, error);

  if (sym && sym->kind != GABN_ONNX_CONST)
    {
      gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                            _("only constant inputs are supported (input %d “%s” is "
                              "computed from the image)"), index + 1, b->node->input[index]);
      return NULL;
    }
  return sym;
}

/* Every constant a file folds draws on one budget of FOLD_BUDGET elements
 * (12 bytes each: float and integer views), so no file can make the loader
 * hold gigabytes, one large constant or many (found by fuzzing). Real
 * models fold shapes and small tensors. */
#define FOLD_BUDGET ((gsize) 1 << 26)

static gboolean
too_large (GabnOnnxBuild *b, int ndim, const gint64 *dims, GError **error)
{
  gsize n = 1;

  for (int d = 0; d < ndim; d++)
    {
      if (dims[d] < 0 || (dims[d] > 0 && n > FOLD_BUDGET / (gsize) dims[d]))
        return !gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                      _("the constant would be too large or has a negative "
                                        "size"));
      n *= (gsize) dims[d];
    }
  if (n > FOLD_BUDGET - b->folded)
    return !gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                  _("the folded constants would be too large in all"));
  b->folded += n;
  return FALSE;
}

/* An axis in [−rank, rank) made non-negative; FALSE with an error outside. */
static gboolean
axis_of (GabnOnnxBuild *b, gint64 axis, int rank, int *out, GError **error)
{
  if (axis < -rank || axis >= rank)
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("axis %lld is out of range for rank %d"),
                                 (long long) axis, rank);
  *out = (int) (axis < 0 ? axis + rank : axis);
  return TRUE;
}

static gboolean
fold_shape (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "start", "end", NULL };
  const GabnOnnxSym *x = gabn_onnx_input (b, 0, FALSE, error);
  gint64 start, end, n;
  GabnOnnxSym *out;

  if (!x || !gabn_onnx_check_attributes (b, known, error)
      || !gabn_onnx_attr_int (b, "start", 0, &start, error)
      || !gabn_onnx_attr_int (b, "end", x->ndim, &end, error))
    return FALSE;
  if (start < 0)
    start += x->ndim;
  if (end < 0)
    end += x->ndim;
  start = CLAMP (start, 0, x->ndim);
  end = CLAMP (end, start, x->ndim);
  n = end - start;
  if (too_large (b, 1, &n, error))
    return FALSE;
  out = new_const (1, &n);
  for (gint64 k = 0; k < n; k++)
    {
      /* Values are per image: the batch is 1 here, as in the Reshapes
       * that consume it (gabn-onnx-ops.c). */
      out->i[k] = x->dims[start + k];
      out->f[k] = (float) out->i[k];
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

static gboolean
fold_gather (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "axis", NULL };
  const GabnOnnxSym *data, *idx;
  gint64 axis_attr, dims[GABN_ONNX_MAX_RANK], ds[GABN_ONNX_MAX_RANK];
  gint64 oi[GABN_ONNX_MAX_RANK];
  GabnOnnxSym *out;
  int axis = 0, nd = 0;

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(data = folded_input (b, 0, FALSE, error)) || !(idx = folded_input (b, 1, FALSE, error))
      || !gabn_onnx_attr_int (b, "axis", 0, &axis_attr, error)
      || !axis_of (b, axis_attr, MAX (data->ndim, 1), &axis, error))
    return FALSE;
  if (data->ndim == 0 || data->ndim - 1 + idx->ndim > GABN_ONNX_MAX_RANK)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED,
                                 _("unsupported ranks"));
  for (int d = 0; d < axis; d++)
    dims[nd++] = data->dims[d];
  for (int d = 0; d < idx->ndim; d++)
    dims[nd++] = idx->dims[d];
  for (int d = axis + 1; d < data->ndim; d++)
    dims[nd++] = data->dims[d];
  if (too_large (b, nd, dims, error))
    return FALSE;
  strides_of (data, ds);
  out = new_const (nd, dims);
  for (gsize k = 0; k < out->numel; k++)
    {
      gsize src = 0, ik = 0;
      gint64 j;

      unravel (k, nd, dims, oi);
      for (int d = 0; d < idx->ndim; d++)
        ik = ik * (gsize) idx->dims[d] + (gsize) oi[axis + d];
      j = idx->i[ik] < 0 ? idx->i[ik] + data->dims[axis] : idx->i[ik];
      if (j < 0 || j >= data->dims[axis])
        {
          g_free (out->f);
          g_free (out->i);
          g_free (out);
          return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                       _("index %lld is out of range"), (long long) idx->i[ik]);
        }
      for (int d = 0; d < axis; d++)
        src += (gsize) (oi[d] * ds[d]);
      src += (gsize) (j * ds[axis]);
      for (int d = axis + 1; d < data->ndim; d++)
        src += (gsize) (oi[d - 1 + idx->ndim] * ds[d]);
      out->f[k] = data->f[src];
      out->i[k] = data->i[src];
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

/* The axes of (Un)squeeze: an attribute before opset 13, an input since. */
static gboolean
squeeze_axes (GabnOnnxBuild *b, gint64 *axes, int *n, GError **error)
{
  static const char *const known[] = { "axes", NULL };

  if (!gabn_onnx_check_attributes (b, known, error))
    return FALSE;
  if (b->opset < 13)
    {
      *n = GABN_ONNX_MAX_RANK;
      return gabn_onnx_attr_ints (b, "axes", axes, n, error);
    }
  {
    const GabnOnnxSym *a = folded_input (b, 1, TRUE, error);
    if (a == NULL)
      {
        *n = 0;
        return !(error && *error);
      }
    if (a->numel > GABN_ONNX_MAX_RANK)
      return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED, _("too many axes"));
    *n = (int) a->numel;
    for (int k = 0; k < *n; k++)
      axes[k] = a->i[k];
    return TRUE;
  }
}

/* Same data, new dims. */
static void
set_reshaped (GabnOnnxBuild *b, const GabnOnnxSym *x, int ndim, const gint64 *dims)
{
  GabnOnnxSym *out = gabn_onnx_const_sym (x->f, dims, ndim);

  memcpy (out->i, x->i, sizeof (gint64) * MAX (x->numel, 1));
  gabn_onnx_set_output (b, 0, out);
}

static gboolean
fold_unsqueeze (GabnOnnxBuild *b, GError **error)
{
  const GabnOnnxSym *x;
  gint64 axes[GABN_ONNX_MAX_RANK], dims[GABN_ONNX_MAX_RANK];
  gboolean inserted[GABN_ONNX_MAX_RANK] = { FALSE };
  int n = 0, rank, src = 0;

  if (!(x = folded_input (b, 0, FALSE, error)) || !squeeze_axes (b, axes, &n, error))
    return FALSE;
  rank = x->ndim + n;
  if (n == 0 || rank > GABN_ONNX_MAX_RANK)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED, _("unsupported axes"));
  for (int k = 0; k < n; k++)
    {
      int a = 0;
      if (!axis_of (b, axes[k], rank, &a, error))
        return FALSE;
      inserted[a] = TRUE;
    }
  for (int d = 0; d < rank; d++)
    dims[d] = inserted[d] ? 1 : x->dims[src++];
  set_reshaped (b, x, rank, dims);
  return TRUE;
}

static gboolean
fold_squeeze (GabnOnnxBuild *b, GError **error)
{
  const GabnOnnxSym *x;
  gint64 axes[GABN_ONNX_MAX_RANK], dims[GABN_ONNX_MAX_RANK];
  gboolean drop[GABN_ONNX_MAX_RANK] = { FALSE };
  int n = 0, rank = 0;

  if (!(x = folded_input (b, 0, FALSE, error)) || !squeeze_axes (b, axes, &n, error))
    return FALSE;
  for (int k = 0; k < n; k++)
    {
      int a = 0;
      if (!axis_of (b, axes[k], x->ndim, &a, error))
        return FALSE;
      drop[a] = TRUE;
    }
  for (int d = 0; d < x->ndim; d++)
    if (!(n == 0 ? x->dims[d] == 1 : drop[d]))
      dims[rank++] = x->dims[d];
  set_reshaped (b, x, rank, dims);
  return TRUE;
}

static gboolean
fold_concat (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "axis", NULL };
  const GabnOnnxSym *first;
  gint64 axis_attr, dims[GABN_ONNX_MAX_RANK], oi[GABN_ONNX_MAX_RANK];
  GabnOnnxSym *out;
  int axis = 0;

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(first = folded_input (b, 0, FALSE, error))
      || !gabn_onnx_attr_int (b, "axis", 0, &axis_attr, error)
      || !axis_of (b, axis_attr, MAX (first->ndim, 1), &axis, error))
    return FALSE;
  memcpy (dims, first->dims, sizeof dims);
  dims[axis] = 0;
  for (gsize k = 0; k < b->node->n_input; k++)
    {
      const GabnOnnxSym *in = folded_input (b, (int) k, FALSE, error);
      if (in == NULL)
        return FALSE;
      for (int d = 0; d < first->ndim; d++)
        if (in->ndim != first->ndim || (d != axis && in->dims[d] != first->dims[d]))
          return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                       _("inputs of different shapes"));
      dims[axis] += in->dims[axis];
    }
  if (too_large (b, first->ndim, dims, error))
    return FALSE;
  out = new_const (first->ndim, dims);
  for (gsize k = 0; k < out->numel; k++)
    {
      const GabnOnnxSym *in = NULL;
      gint64 ds[GABN_ONNX_MAX_RANK];
      gsize src = 0;

      unravel (k, first->ndim, dims, oi);
      for (gsize m = 0; m < b->node->n_input; m++)
        {
          in = gabn_onnx_input (b, (int) m, FALSE, NULL);
          if (oi[axis] < in->dims[axis])
            break;
          oi[axis] -= in->dims[axis];
        }
      strides_of (in, ds);
      for (int d = 0; d < first->ndim; d++)
        src += (gsize) (oi[d] * ds[d]);
      out->f[k] = in->f[src];
      out->i[k] = in->i[src];
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

static gboolean
fold_constant_of_shape (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "value", NULL };
  const Onnx__AttributeProto *a;
  const GabnOnnxSym *shape;
  GabnOnnxSym *out, *value = NULL;
  gint64 dims[GABN_ONNX_MAX_RANK];

  if (!gabn_onnx_check_attributes (b, known, error)
      || !(shape = folded_input (b, 0, FALSE, error)))
    return FALSE;
  if (shape->numel > GABN_ONNX_MAX_RANK)
    return gabn_onnx_node_error (b, error, GABN_ERROR_UNSUPPORTED, _("too many dimensions"));
  for (gsize d = 0; d < shape->numel; d++)
    dims[d] = shape->i[d];
  if (too_large (b, (int) shape->numel, dims, error))
    return FALSE;
  a = gabn_onnx_attribute (b, "value");
  if (a && a->t && !(value = gabn_onnx_tensor_to_sym (b, a->t, _("the value"), error)))
    return FALSE;
  out = new_const ((int) shape->numel, dims);
  for (gsize k = 0; value && value->numel > 0 && k < out->numel; k++)
    {
      out->f[k] = value->f[0];
      out->i[k] = value->i[0];
    }
  if (value)
    {
      g_free (value->f);
      g_free (value->i);
      g_free (value);
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

static gboolean
fold_slice (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "starts", "ends", "axes", NULL };
  const GabnOnnxSym *x;
  gint64 starts[GABN_ONNX_MAX_RANK], ends[GABN_ONNX_MAX_RANK], axes[GABN_ONNX_MAX_RANK];
  gint64 steps[GABN_ONNX_MAX_RANK], begin[GABN_ONNX_MAX_RANK], step[GABN_ONNX_MAX_RANK];
  gint64 dims[GABN_ONNX_MAX_RANK], oi[GABN_ONNX_MAX_RANK], xs[GABN_ONNX_MAX_RANK];
  int n = GABN_ONNX_MAX_RANK, n_axes = GABN_ONNX_MAX_RANK;
  GabnOnnxSym *out;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = folded_input (b, 0, FALSE, error)))
    return FALSE;
  if (b->opset < 10)
    {
      int n_ends = GABN_ONNX_MAX_RANK;
      if (!gabn_onnx_attr_ints (b, "starts", starts, &n, error)
          || !gabn_onnx_attr_ints (b, "ends", ends, &n_ends, error)
          || !gabn_onnx_attr_ints (b, "axes", axes, &n_axes, error))
        return FALSE;
      if (n_ends != n)
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("starts and ends differ in length"));
      for (int k = 0; k < n; k++)
        steps[k] = 1;
    }
  else
    {
      const GabnOnnxSym *in[4];
      for (int k = 0; k < 4; k++)
        {
          in[k] = folded_input (b, k + 1, k >= 2, error);
          if (in[k] == NULL && (k < 2 || (error && *error)))
            return FALSE;
        }
      n = (int) in[0]->numel;
      if (n > GABN_ONNX_MAX_RANK || in[1]->numel != (gsize) n
          || (in[2] && in[2]->numel != (gsize) n) || (in[3] && in[3]->numel != (gsize) n))
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("starts, ends, axes and steps differ in length"));
      n_axes = in[2] ? n : 0;
      for (int k = 0; k < n; k++)
        {
          starts[k] = in[0]->i[k];
          ends[k] = in[1]->i[k];
          if (in[2])
            axes[k] = in[2]->i[k];
          steps[k] = in[3] ? in[3]->i[k] : 1;
        }
    }
  for (int d = 0; d < x->ndim; d++)
    {
      begin[d] = 0;
      step[d] = 1;
      dims[d] = x->dims[d];
    }
  for (int k = 0; k < n; k++)
    {
      int a = 0;
      gint64 dim, s, e;

      if (!axis_of (b, n_axes ? axes[k] : k, x->ndim, &a, error))
        return FALSE;
      if (steps[k] == 0)
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE, _("a step of 0"));
      dim = x->dims[a];
      s = starts[k] < 0 ? starts[k] + dim : starts[k];
      e = ends[k] < 0 ? ends[k] + dim : ends[k];
      if (ends[k] < -dim)
        e = -1;
      if (steps[k] > 0)
        {
          s = CLAMP (s, 0, dim);
          e = CLAMP (e, 0, dim);
          dims[a] = e > s ? (e - s + steps[k] - 1) / steps[k] : 0;
        }
      else
        {
          s = CLAMP (s, 0, dim - 1);
          e = CLAMP (e, -1, dim - 1);
          dims[a] = s > e ? (s - e - steps[k] - 1) / -steps[k] : 0;
        }
      begin[a] = s;
      step[a] = steps[k];
    }
  strides_of (x, xs);
  if (too_large (b, x->ndim, dims, error))
    return FALSE;
  out = new_const (x->ndim, dims);
  for (gsize k = 0; k < out->numel; k++)
    {
      gsize src = 0;

      unravel (k, x->ndim, dims, oi);
      for (int d = 0; d < x->ndim; d++)
        src += (gsize) ((begin[d] + oi[d] * step[d]) * xs[d]);
      out->f[k] = x->f[src];
      out->i[k] = x->i[src];
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

static gboolean
fold_transpose (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "perm", NULL };
  const GabnOnnxSym *x;
  gint64 perm[GABN_ONNX_MAX_RANK], dims[GABN_ONNX_MAX_RANK], oi[GABN_ONNX_MAX_RANK];
  gint64 xs[GABN_ONNX_MAX_RANK];
  gboolean seen[GABN_ONNX_MAX_RANK] = { FALSE };
  int n = GABN_ONNX_MAX_RANK;
  GabnOnnxSym *out;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = folded_input (b, 0, FALSE, error))
      || !gabn_onnx_attr_ints (b, "perm", perm, &n, error))
    return FALSE;
  if (n == 0)
    for (n = 0; n < x->ndim; n++)
      perm[n] = x->ndim - 1 - n;
  if (n != x->ndim)
    return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                 _("attribute perm has %d entries for rank %d"), n, x->ndim);
  for (int d = 0; d < n; d++)
    {
      if (perm[d] < 0 || perm[d] >= n || seen[perm[d]])
        return gabn_onnx_node_error (b, error, GABN_ERROR_INVALID_FILE,
                                     _("attribute perm is not a permutation"));
      seen[perm[d]] = TRUE;
      dims[d] = x->dims[perm[d]];
    }
  strides_of (x, xs);
  if (too_large (b, n, dims, error))
    return FALSE;
  out = new_const (n, dims);
  for (gsize k = 0; k < out->numel; k++)
    {
      gsize src = 0;

      unravel (k, n, dims, oi);
      for (int d = 0; d < n; d++)
        src += (gsize) (oi[d] * xs[perm[d]]);
      out->f[k] = x->f[src];
      out->i[k] = x->i[src];
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

static gboolean
fold_cast (GabnOnnxBuild *b, GError **error)
{
  static const char *const known[] = { "to", "saturate", NULL };
  const GabnOnnxSym *x;
  GabnOnnxSym *out;
  gint64 to;
  gboolean to_float;

  if (!gabn_onnx_check_attributes (b, known, error) || !(x = folded_input (b, 0, FALSE, error))
      || !gabn_onnx_attr_int (b, "to", 0, &to, error))
    return FALSE;
  to_float = to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE
             || to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
  out = gabn_onnx_const_sym (x->f, x->dims, x->ndim);
  for (gsize k = 0; k < x->numel; k++)
    {
      out->i[k] = to_float ? (gint64) x->f[k] : x->i[k];
      if (!to_float)
        out->f[k] = (float) x->i[k];
    }
  gabn_onnx_set_output (b, 0, out);
  return TRUE;
}

gboolean
gabn_onnx_fold_node (GabnOnnxBuild *b, gboolean *handled, GError **error)
{
  static const struct {
    const char *op;
    gboolean (*fold) (GabnOnnxBuild *b, GError **error);
  } folders[] = {
    { "Cast", fold_cast },
    { "Concat", fold_concat },
    { "ConstantOfShape", fold_constant_of_shape },
    { "Gather", fold_gather },
    { "Shape", fold_shape },
    { "Slice", fold_slice },
    { "Squeeze", fold_squeeze },
    { "Transpose", fold_transpose },
    { "Unsqueeze", fold_unsqueeze },
  };

  *handled = FALSE;
  for (guint k = 0; k < G_N_ELEMENTS (folders); k++)
    if (g_str_equal (b->node->op_type, folders[k].op))
      {
        *handled = TRUE;
        return folders[k].fold (b, error);
      }
  return TRUE;
}
