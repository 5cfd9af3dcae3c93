/* gabn-optim.c: SGD and AdamW as torch.optim computes them, over the
 * trainable ranges of a flat blob; learning-rate schedules. */
#include "gabn-optim.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

typedef struct {
  gsize offset, length;
} Range;

struct _GabnOptim {
  GabnOptimConfig config;
  GabnNet *net;           /* NULL for a plain blob */
  float *params, *grads;  /* plain blob only */
  gsize n;
  GArray *ranges;         /* Range: the trainable parts of the blob */
  float *m, *v;           /* SGD momentum buffer in m; AdamW moments */
  gint64 steps;
};

void
gabn_optim_config_init (GabnOptimConfig *config, GabnOptimKind kind)
{
  memset (config, 0, sizeof *config);
  config->kind = kind;
  config->beta1 = 0.9f;
  config->beta2 = 0.999f;
  config->eps = 1e-8f;
  if (kind == GABN_OPTIM_SGD)
    {
      config->momentum = 0.9f;
      config->weight_decay = 5e-4f;
    }
  else
    config->weight_decay = 1e-2f;
}

static void
alloc_state (GabnOptim *o)
{
  g_clear_pointer (&o->m, g_free);
  g_clear_pointer (&o->v, g_free);
  o->m = g_new0 (float, MAX (o->n, 1));
  if (o->config.kind == GABN_OPTIM_ADAMW)
    o->v = g_new0 (float, MAX (o->n, 1));
  o->steps = 0;
}

static void
collect_net_ranges (GabnOptim *o)
{
  float *base = gabn_net_params (o->net);

  g_array_set_size (o->ranges, 0);
  o->n = gabn_net_n_params (o->net);
  for (int i = 0; i < gabn_net_n_tensors (o->net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (o->net, i);
      Range r = { (gsize) (t->data - base), t->numel };

      if (t->kind != GABN_TENSOR_PARAM || !t->trainable)
        continue;
      /* Merge with the previous range when contiguous. */
      if (o->ranges->len > 0)
        {
          Range *last = &g_array_index (o->ranges, Range, o->ranges->len - 1);
          if (last->offset + last->length == r.offset)
            {
              last->length += r.length;
              continue;
            }
        }
      g_array_append_val (o->ranges, r);
    }
}

GabnOptim *
gabn_optim_new_for_net (GabnNet *net, const GabnOptimConfig *config)
{
  GabnOptim *o = g_new0 (GabnOptim, 1);

  o->config = *config;
  o->net = net;
  o->ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  collect_net_ranges (o);
  alloc_state (o);
  return o;
}

GabnOptim *
gabn_optim_new (float *params, float *grads, gsize n,
                const GabnOptimConfig *config)
{
  GabnOptim *o = g_new0 (GabnOptim, 1);
  Range all = { 0, n };

  o->config = *config;
  o->params = params;
  o->grads = grads;
  o->n = n;
  o->ranges = g_array_new (FALSE, FALSE, sizeof (Range));
  g_array_append_val (o->ranges, all);
  alloc_state (o);
  return o;
}

void
gabn_optim_free (GabnOptim *o)
{
  if (o == NULL)
    return;
  g_array_unref (o->ranges);
  g_free (o->m);
  g_free (o->v);
  g_free (o);
}

static void
sgd_range (const GabnOptimConfig *c, float *p, const float *g, float *buf,
           gsize n, float lr, gboolean first)
{
  for (gsize i = 0; i < n; i++)
    {
      float d = g[i] + c->weight_decay * p[i];

      if (c->momentum != 0.0f)
        {
          buf[i] = first ? d : c->momentum * buf[i] + (1.0f - c->dampening) * d;
          d = c->nesterov ? d + c->momentum * buf[i] : buf[i];
        }
      p[i] -= lr * d;
    }
}

static void
adamw_range (const GabnOptimConfig *c, float *p, const float *g, float *m,
             float *v, gsize n, float lr, gint64 step)
{
  double bc1 = 1.0 - pow (c->beta1, (double) step);
  double bc2 = 1.0 - pow (c->beta2, (double) step);
  float step_size = (float) (lr / bc1);
  float bc2_sqrt = (float) sqrt (bc2);

  for (gsize i = 0; i < n; i++)
    {
      p[i] *= 1.0f - lr * c->weight_decay;
      m[i] = c->beta1 * m[i] + (1.0f - c->beta1) * g[i];
      v[i] = c->beta2 * v[i] + (1.0f - c->beta2) * g[i] * g[i];
      p[i] -= step_size * m[i] / (sqrtf (v[i]) / bc2_sqrt + c->eps);
    }
}

void
gabn_optim_step (GabnOptim *o, float lr)
{
  float *params = o->params, *grads = o->grads;

  if (o->net)
    {
      if (gabn_net_n_params (o->net) != o->n)
        {
          /* The class count changed: new layout, fresh state. */
          collect_net_ranges (o);
          alloc_state (o);
        }
      params = gabn_net_params (o->net);
      grads = gabn_net_grads (o->net);
    }
  o->steps++;
  for (guint r = 0; r < o->ranges->len; r++)
    {
      Range *range = &g_array_index (o->ranges, Range, r);
      gsize off = range->offset;

      if (o->config.kind == GABN_OPTIM_SGD)
        sgd_range (&o->config, params + off, grads + off, o->m + off,
                   range->length, lr, o->steps == 1);
      else
        adamw_range (&o->config, params + off, grads + off, o->m + off,
                     o->v + off, range->length, lr, o->steps);
    }
}

gint64
gabn_optim_n_steps (const GabnOptim *o)
{
  return o->steps;
}

void
gabn_optim_reset (GabnOptim *o)
{
  alloc_state (o);
}

const GabnOptimConfig *
gabn_optim_get_config (const GabnOptim *o)
{
  return &o->config;
}

/* ---- State, for checkpoints ------------------------------------------- */

gint64
gabn_optim_get_state (GabnOptim *o, GabnOptimBuffer buffers[2],
                      int *n_buffers, gsize *numel)
{
  if (o->config.kind == GABN_OPTIM_SGD)
    {
      buffers[0] = (GabnOptimBuffer) { "momentum_buffer", o->m };
      *n_buffers = 1;
    }
  else
    {
      buffers[0] = (GabnOptimBuffer) { "exp_avg", o->m };
      buffers[1] = (GabnOptimBuffer) { "exp_avg_sq", o->v };
      *n_buffers = 2;
    }
  *numel = o->n;
  return o->steps;
}

gboolean
gabn_optim_set_state (GabnOptim *o, const GabnOptimBuffer *buffers,
                      int n_buffers, gsize numel, gint64 steps, GError **error)
{
  GabnOptimBuffer own[2];
  const float *source[2] = { NULL, NULL };
  int n_own;
  gsize own_numel;

  if (o->net && gabn_net_n_params (o->net) != o->n)
    {
      /* The class count changed since creation: take the new layout first. */
      collect_net_ranges (o);
      alloc_state (o);
    }
  gabn_optim_get_state (o, own, &n_own, &own_numel);
  if (numel != own_numel)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("optimiser state of %zu values for %zu parameters"),
                   numel, own_numel);
      return FALSE;
    }
  for (int i = 0; i < n_buffers; i++)
    {
      int k = 0;
      while (k < n_own && g_strcmp0 (own[k].name, buffers[i].name) != 0)
        k++;
      if (k == n_own)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("optimiser state buffer “%s” is not one of this optimiser's"),
                       buffers[i].name);
          return FALSE;
        }
      source[k] = buffers[i].data;
    }
  for (int k = 0; k < n_own; k++)
    if (!source[k])
      {
        g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                     _("optimiser state without its “%s” buffer"), own[k].name);
        return FALSE;
      }
  for (int k = 0; k < n_own; k++)
    memcpy (own[k].data, source[k], numel * sizeof (float));
  o->steps = MAX (0, steps);
  return TRUE;
}

/* ---- Schedules -------------------------------------------------------- */

void
gabn_lr_schedule_init (GabnLrSchedule *s, GabnLrScheduleKind kind)
{
  memset (s, 0, sizeof *s);
  s->kind = kind;
  s->gamma = 0.1f;
  s->step_size = 1000;
  s->total_steps = 1000;
}

float
gabn_lr_schedule_lr (const GabnLrSchedule *s, float base_lr, gint64 t)
{
  if (t < s->warmup_steps)
    return base_lr * (float) (t + 1) / (float) s->warmup_steps;
  t -= s->warmup_steps;
  switch (s->kind)
    {
    case GABN_LR_CONSTANT:
      return base_lr;
    case GABN_LR_STEP:
      return base_lr * powf (s->gamma, (float) (t / MAX (s->step_size, 1)));
    case GABN_LR_COSINE:
      {
        gint64 T = MAX (1, s->total_steps - s->warmup_steps);
        double frac = MIN (1.0, (double) t / T);
        return (float) (s->min_lr + (base_lr - s->min_lr) * (1.0 + cos (G_PI * frac)) / 2.0);
      }
    default:
      return base_lr;
    }
}
