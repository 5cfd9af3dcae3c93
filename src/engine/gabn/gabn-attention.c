/* gabn-attention.c: per-group attention measures. */
#include "gabn-attention.h"
#include "gabn-cam.h"

#include <math.h>
#include <string.h>

static double
kl_term (double p, double m)
{
  return p > 0.0 ? p * log (p / m) : 0.0;
}

double
gabn_js_divergence (const float *p, const float *q, int n)
{
  double sp = 0.0, sq = 0.0, js = 0.0;

  for (int i = 0; i < n; i++)
    {
      sp += p[i] > 0.0f ? p[i] : 0.0f;
      sq += q[i] > 0.0f ? q[i] : 0.0f;
    }
  for (int i = 0; i < n; i++)
    {
      double a = sp > 0.0 ? (p[i] > 0.0f ? p[i] : 0.0f) / sp : 1.0 / n;
      double b = sq > 0.0 ? (q[i] > 0.0f ? q[i] : 0.0f) / sq : 1.0 / n;
      double m = 0.5 * (a + b);

      js += 0.5 * kl_term (a, m) + 0.5 * kl_term (b, m);
    }
  return js > 0.0 ? js : 0.0;
}

void
gabn_attention_group_stats (const float *P, const int *groups, int n_maps,
                            int n, int n_groups, float *mean_gam,
                            double *region50, double *region80, int *counts)
{
  g_autofree double *sum = g_new0 (double, (gsize) n_groups * n);
  g_autofree double *r50 = g_new0 (double, n_groups);
  g_autofree double *r80 = g_new0 (double, n_groups);
  g_autofree int *count = g_new0 (int, n_groups);

  for (int i = 0; i < n_maps; i++)
    {
      int g = groups[i];
      const float *p = P + (gsize) i * n;

      if (g < 0 || g >= n_groups)
        continue;
      for (int j = 0; j < n; j++)
        sum[(gsize) g * n + j] += p[j];
      r50[g] += gabn_cam_region_size (p, n, 0.5);
      r80[g] += gabn_cam_region_size (p, n, 0.8);
      count[g]++;
    }
  for (int g = 0; g < n_groups; g++)
    {
      if (mean_gam)
        for (int j = 0; j < n; j++)
          mean_gam[(gsize) g * n + j] = count[g] > 0
            ? (float) (sum[(gsize) g * n + j] / count[g]) : 1.0f / n;
      if (region50)
        region50[g] = count[g] > 0 ? r50[g] / count[g] : NAN;
      if (region80)
        region80[g] = count[g] > 0 ? r80[g] / count[g] : NAN;
      if (counts)
        counts[g] = count[g];
    }
}

double
gabn_attention_js_matrix (const float *mean_gam, int n_groups, int n,
                          const gboolean *present, double *matrix)
{
  double total = 0.0;
  int pairs = 0;

  for (int a = 0; a < n_groups; a++)
    {
      matrix[a * n_groups + a] = 0.0;
      for (int b = a + 1; b < n_groups; b++)
        {
          double js = gabn_js_divergence (mean_gam + (gsize) a * n,
                                          mean_gam + (gsize) b * n, n);
          matrix[a * n_groups + b] = matrix[b * n_groups + a] = js;
          if (!present || (present[a] && present[b]))
            {
              total += js;
              pairs++;
            }
        }
    }
  return pairs > 0 ? total / pairs : NAN;
}
