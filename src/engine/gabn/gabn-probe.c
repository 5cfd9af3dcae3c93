/* gabn-probe.c: the group probe, a cross-validated softmax regression. */
#include "gabn-probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void
gabn_probe_options_init (GabnProbeOptions *o)
{
  o->n_folds = 5;
  o->iterations = 300;
  o->l2 = 1e-2;
  o->seed = 1;
}

static guint64
mix (guint64 x)
{
  x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
  x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
  return x ^ (x >> 31);
}

typedef struct {
  guint64 key;
  int identity;   /* compact index */
} Order;

static int
order_compare (const void *pa, const void *pb)
{
  const Order *a = pa, *b = pb;

  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  return a->identity - b->identity;
}

/* fold[i] for every map: each group's identities in a seeded order, dealt
 * round-robin, the deal continuing from group to group so that the folds
 * stay even. Returns the number of folds (0 when fewer than 2). */
static int
assign_folds (const int *groups, const int *identities, int n, int n_groups,
              int n_folds, guint64 seed, int *fold)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autofree int *compact = g_new (int, MAX (n, 1));
  g_autofree int *id_group = g_new (int, MAX (n, 1));
  g_autofree int *id_fold = NULL;
  g_autofree Order *order = g_new (Order, MAX (n, 1));
  int n_ids = 0, k, dealt = 0;

  for (int i = 0; i < n; i++)
    {
      /* −1 (no identity) is an identity of its own: key below −1. */
      int key = identities[i] >= 0 ? identities[i] : -2 - i;
      gpointer found;

      compact[i] = -1;
      if (groups[i] < 0 || groups[i] >= n_groups)
        continue;
      if (g_hash_table_lookup_extended (ids, GINT_TO_POINTER (key), NULL, &found))
        compact[i] = GPOINTER_TO_INT (found);
      else
        {
          g_hash_table_insert (ids, GINT_TO_POINTER (key), GINT_TO_POINTER (n_ids));
          id_group[n_ids] = groups[i];
          order[n_ids] = (Order) { mix (seed ^ mix ((guint64) (gint64) key)), n_ids };
          compact[i] = n_ids++;
        }
    }
  k = MIN (n_folds, n_ids);
  if (k < 2)
    return 0;
  id_fold = g_new (int, n_ids);
  qsort (order, n_ids, sizeof (Order), order_compare);
  for (int g = 0; g < n_groups; g++)
    for (int r = 0; r < n_ids; r++)
      if (id_group[order[r].identity] == g)
        id_fold[order[r].identity] = dealt++ % k;
  for (int i = 0; i < n; i++)
    fold[i] = compact[i] >= 0 ? id_fold[compact[i]] : -1;
  return k;
}

/* Softmax regression on m standardised rows X (m×p) with labels y:
 * W (G×(p+1)), the last column the bias. Nesterov-accelerated gradient
 * descent with step 1/L, L = ½·λ_max(XᵀX/m) + l2 (a bound on the mean
 * loss's curvature; λ_max by power iteration, the bias column included). */
static void
fit (double *W, const double *X, const int *y, int m, int p, int G,
     int iterations, double l2)
{
  int q = p + 1;
  g_autofree double *Y = g_new0 (double, (gsize) G * q);
  g_autofree double *prev = g_new0 (double, (gsize) G * q);
  g_autofree double *grad = g_new (double, (gsize) G * q);
  g_autofree double *v = g_new (double, q), *u = g_new (double, q);
  g_autofree double *z = g_new (double, G);
  double lmax = 1.0, step;

  /* λ_max of XᵀX/m with the bias column, from a fixed start. */
  for (int j = 0; j < q; j++)
    v[j] = 1.0 / sqrt (q);
  for (int it = 0; it < 50; it++)
    {
      double norm = 0.0;

      memset (u, 0, sizeof (double) * q);
      for (int i = 0; i < m; i++)
        {
          const double *x = X + (gsize) i * p;
          double dot = v[p];
          for (int j = 0; j < p; j++)
            dot += x[j] * v[j];
          for (int j = 0; j < p; j++)
            u[j] += dot * x[j];
          u[p] += dot;
        }
      for (int j = 0; j < q; j++)
        norm += u[j] * u[j];
      norm = sqrt (norm);
      if (norm <= 0.0)
        break;
      lmax = norm / m;
      for (int j = 0; j < q; j++)
        v[j] = u[j] / norm;
    }
  step = 1.0 / (0.5 * lmax * 1.05 + l2);

  memset (W, 0, sizeof (double) * G * q);
  for (int it = 0; it < iterations; it++)
    {
      double beta = (double) it / (it + 3);

      memset (grad, 0, sizeof (double) * G * q);
      for (int i = 0; i < m; i++)
        {
          const double *x = X + (gsize) i * p;
          double zmax = -INFINITY, sum = 0.0;

          for (int g = 0; g < G; g++)
            {
              const double *w = Y + (gsize) g * q;
              double s = w[p];
              for (int j = 0; j < p; j++)
                s += w[j] * x[j];
              z[g] = s;
              zmax = MAX (zmax, s);
            }
          for (int g = 0; g < G; g++)
            sum += (z[g] = exp (z[g] - zmax));
          for (int g = 0; g < G; g++)
            {
              double d = (z[g] / sum - (y[i] == g ? 1.0 : 0.0)) / m;
              double *gw = grad + (gsize) g * q;
              for (int j = 0; j < p; j++)
                gw[j] += d * x[j];
              gw[p] += d;
            }
        }
      /* W_next = Y − step·∇(Y); Y = W_next + β·(W_next − W). */
      for (int g = 0; g < G; g++)
        for (int j = 0; j < q; j++)
          {
            gsize k = (gsize) g * q + j;
            double next = Y[k] - step * (grad[k] + (j < p ? l2 * Y[k] : 0.0));
            prev[k] = W[k];
            W[k] = next;
            Y[k] = next + beta * (next - prev[k]);
          }
    }
}

static int
predict (const double *W, const double *x, int p, int G)
{
  int best = 0;
  double best_s = -INFINITY;

  for (int g = 0; g < G; g++)
    {
      const double *w = W + (gsize) g * (p + 1);
      double s = w[p];
      for (int j = 0; j < p; j++)
        s += w[j] * x[j];
      if (s > best_s)
        {
          best_s = s;
          best = g;
        }
    }
  return best;
}

gboolean
gabn_probe_cross_validate (const float *X, const int *groups,
                           const int *identities, int n, int p, int n_groups,
                           const GabnProbeOptions *options,
                           GabnProbeResult *result)
{
  GabnProbeOptions defaults;
  g_autofree int *fold = g_new (int, MAX (n, 1));
  g_autofree gboolean *present = g_new0 (gboolean, MAX (n_groups, 1));
  g_autofree double *acc = NULL, *Xs = NULL, *mean = NULL, *sd = NULL, *W = NULL;
  g_autofree double *x = NULL;
  g_autofree int *y = NULL;
  int k, G = 0, tested = 0;
  double total = 0.0, total2 = 0.0;

  if (!options)
    {
      gabn_probe_options_init (&defaults);
      options = &defaults;
    }
  result->accuracy = result->accuracy_std = result->chance = NAN;
  result->n_folds = result->n_groups = 0;
  for (int i = 0; i < n; i++)
    if (groups[i] >= 0 && groups[i] < n_groups)
      present[groups[i]] = TRUE;
  for (int g = 0; g < n_groups; g++)
    G += present[g] ? 1 : 0;
  result->n_groups = G;
  if (G < 2 || p < 1)
    return FALSE;
  k = assign_folds (groups, identities, n, n_groups, MAX (options->n_folds, 2),
                    options->seed, fold);
  if (k < 2)
    return FALSE;

  acc = g_new (double, k);
  Xs = g_new (double, (gsize) n * p);
  y = g_new (int, n);
  mean = g_new (double, p);
  sd = g_new (double, p);
  W = g_new (double, (gsize) n_groups * (p + 1));
  x = g_new (double, p);
  for (int f = 0; f < k; f++)
    {
      int m = 0, n_test = 0, correct = 0;

      /* Standardise with the training fold's statistics only. */
      memset (mean, 0, sizeof (double) * p);
      memset (sd, 0, sizeof (double) * p);
      for (int i = 0; i < n; i++)
        if (fold[i] >= 0 && fold[i] != f)
          {
            for (int j = 0; j < p; j++)
              mean[j] += X[(gsize) i * p + j];
            m++;
          }
      if (m == 0)
        continue;
      for (int j = 0; j < p; j++)
        mean[j] /= m;
      for (int i = 0; i < n; i++)
        if (fold[i] >= 0 && fold[i] != f)
          for (int j = 0; j < p; j++)
            {
              double d = X[(gsize) i * p + j] - mean[j];
              sd[j] += d * d;
            }
      for (int j = 0; j < p; j++)
        {
          sd[j] = sqrt (sd[j] / m);
          /* A constant feature carries nothing: it becomes 0. */
          sd[j] = sd[j] > 1e-12 ? 1.0 / sd[j] : 0.0;
        }
      m = 0;
      for (int i = 0; i < n; i++)
        if (fold[i] >= 0 && fold[i] != f)
          {
            for (int j = 0; j < p; j++)
              Xs[(gsize) m * p + j] = (X[(gsize) i * p + j] - mean[j]) * sd[j];
            y[m++] = groups[i];
          }
      fit (W, Xs, y, m, p, n_groups, options->iterations, options->l2);
      for (int i = 0; i < n; i++)
        if (fold[i] == f)
          {
            for (int j = 0; j < p; j++)
              x[j] = (X[(gsize) i * p + j] - mean[j]) * sd[j];
            correct += predict (W, x, p, n_groups) == groups[i] ? 1 : 0;
            n_test++;
          }
      if (n_test == 0)
        continue;
      acc[tested++] = (double) correct / n_test;
    }
  if (tested == 0)
    return FALSE;
  for (int f = 0; f < tested; f++)
    total += acc[f];
  total /= tested;
  for (int f = 0; f < tested; f++)
    total2 += (acc[f] - total) * (acc[f] - total);
  result->accuracy = total;
  result->accuracy_std = sqrt (total2 / tested);
  result->chance = 1.0 / G;
  result->n_folds = tested;
  return TRUE;
}
