/* fixture-init.c: see fixture-init.h. */
#include "fixture-init.h"

#include <math.h>
#include <string.h>

static guint64
splitmix64 (guint64 x)
{
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void
fixture_uniform (double *u, guint64 seed, guint64 stream, gsize n)
{
  guint64 base = (seed * 0x100000001b3ull) ^ (stream << 40);

  for (gsize j = 0; j < n; j++)
    u[j] = (double) (splitmix64 (base ^ j) >> 40) / (double) (1 << 23) - 1.0;
}

typedef enum {
  RULE_ZERO, RULE_RUNNING_MEAN, RULE_RUNNING_VAR, RULE_ONE, RULE_PRELU,
  RULE_ACTIVATION_BN_BIAS, RULE_BIAS, RULE_BN_WEIGHT, RULE_UNIFORM, RULE_FAN_IN,
} Rule;

/* The rule of gabn_torch_models.fixture_value, decided once per tensor. */
static Rule
tensor_rule (const GabnTensorInfo *t)
{
  const char *name = t->name;

  if (g_str_has_suffix (name, "num_batches_tracked"))
    return RULE_ZERO;
  if (g_str_has_suffix (name, "running_mean"))
    return RULE_RUNNING_MEAN;
  if (g_str_has_suffix (name, "running_var"))
    return RULE_RUNNING_VAR;
  if (g_str_equal (name, "features.weight"))
    return RULE_ONE;
  if (strstr (name, "prelu"))
    return RULE_PRELU;
  /* BatchNorm before an activation: shifted to ±4, away from the kink. */
  if (g_regex_match_simple ("^(backbone\\.\\d+\\.bias|bn1\\.bias|layer\\d+\\.\\d+\\.bn2\\.bias)$",
                            name, 0, 0))
    return RULE_ACTIVATION_BN_BIAS;
  if (g_str_has_suffix (name, "bias"))
    return RULE_BIAS;
  if (t->ndim == 1)
    return RULE_BN_WEIGHT;
  if (g_str_equal (name, "arcface.weight"))
    return RULE_UNIFORM;
  return RULE_FAN_IN;
}

static double
rule_value (Rule rule, double u, double fan_in)
{
  switch (rule)
    {
    case RULE_ZERO: return 0.0;
    case RULE_RUNNING_MEAN: return 0.1 * u;
    case RULE_RUNNING_VAR: return 1.0 + 0.5 * u;
    case RULE_ONE: return 1.0;
    case RULE_PRELU: return 0.25 + 0.05 * u;
    case RULE_ACTIVATION_BN_BIAS: return (u >= 0 ? 4.0 : -4.0) + 0.2 * u;
    case RULE_BIAS: return 0.1 * u;
    case RULE_BN_WEIGHT: return 1.0 + 0.1 * u;
    case RULE_UNIFORM: return u;
    case RULE_FAN_IN:
    default: return u * sqrt (3.0 / fan_in);
    }
}

void
fixture_init_net (GabnNet *net, guint64 seed)
{
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      g_autofree double *u = g_new (double, t->numel);
      Rule rule = tensor_rule (t);
      double fan_in = t->ndim > 0 ? (double) (t->numel / t->shape[0]) : 1.0;

      fixture_uniform (u, seed, (guint64) i, t->numel);
      for (gsize j = 0; j < t->numel; j++)
        t->data[j] = (float) rule_value (rule, u[j], fan_in);
    }
}

void
fixture_input (float *x, guint64 seed, int batch, int size)
{
  gsize n = (gsize) batch * 3 * size * size;
  g_autofree double *u = g_new (double, n);

  fixture_uniform (u, seed, 1000, n);
  for (gsize j = 0; j < n; j++)
    x[j] = (float) u[j];
}

gsize
fixture_n_samples (gsize numel)
{
  return numel <= 4096 ? numel : 1024;
}

gsize
fixture_sample_index (gsize k, gsize numel)
{
  if (numel <= 4096)
    return k;
  return (gsize) (((guint64) k * 2654435761ull + 12345) % numel);
}
