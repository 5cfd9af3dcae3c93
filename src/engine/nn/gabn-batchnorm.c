/* gabn-batchnorm.c: BatchNorm2d and BatchNorm1d exactly as PyTorch computes
 * them (training: biased batch variance to normalise, unbiased variance into
 * the running average), one channel per parallel work item.
 *
 * Centring is done in double, with the batch mean recomputed in backward:
 * when a channel's mean is large against its spread (e.g. a Linear output
 * before BatchNorm1d), float rounding of the mean would leave the
 * normalised values and the input gradient with a non-zero batch sum that
 * the next step's weight update amplifies. */
#include "gabn-layers.h"
#include "gabn-parallel.h"

#include <math.h>

/* Sums over a channel: blocks of 64 floats in 8 float lanes (the compiler
 * vectorises them; 8 additions per lane lose nothing that matters), blocks
 * added in double. Values are centred on a float mean m first, so that the
 * sums stay well conditioned when the mean is large against the spread. */
#define LANES 8
#define SUM_BLOCK 64

/* Σ (x − m) and Σ (x − m)², added to *sum and *sq. In GabnVec4 lanes and
 * local doubles: float arrays with the double pointers (which may alias)
 * made GCC store both sums back to memory once per lane (11 % of
 * MobileFaceNet's training step). The same lanes, blocks and order: the
 * same sums. */
static void
centred_sums (const float *x, int n, float m, double *sum, double *sq)
{
  double total = *sum, total_sq = *sq;

  for (int i0 = 0; i0 < n; i0 += SUM_BLOCK)
    {
      GabnVec4 v1[2] = { { 0 } }, v2[2] = { { 0 } };
      float s1[LANES], s2[LANES];
      int i1 = MIN (n, i0 + SUM_BLOCK), i = i0;

      for (; i + LANES <= i1; i += LANES)
        for (int h = 0; h < 2; h++)
          {
            GabnVec4 d;

            __builtin_memcpy (&d, x + i + 4 * h, sizeof d);
            d = d - m;
            v1[h] += d;
            v2[h] += d * d;
          }
      __builtin_memcpy (s1, v1, sizeof s1);
      __builtin_memcpy (s2, v2, sizeof s2);
      for (; i < i1; i++)
        {
          float d = x[i] - m;
          s1[0] += d;
          s2[0] += d * d;
        }
      for (int l = 0; l < LANES; l++)
        {
          total += s1[l];
          total_sq += s2[l];
        }
    }
  *sum = total;
  *sq = total_sq;
}

/* Σ g, Σ (x − m) and Σ g·(x − m), g = dy masked by y > 0 when y is given.
 * Inlined with y known NULL or not, so that the loops have no branch. The
 * 8 lanes are two GabnVec4 (a ?: on floats would keep GCC's loop scalar):
 * each lane adds the same elements in the same order as a scalar lane. */
static inline __attribute__ ((always_inline)) void
backward_sums_inline (const float *restrict x, const float *restrict dy,
                      const float *restrict y, int n, float m,
                      double *sum_g, double *sum_xc, double *sum_g_xc)
{
  /* Local doubles: through the pointers (which may alias) each lane's
   * addition was a store and a load (see centred_sums). */
  double t1 = *sum_g, t2 = *sum_xc, t3 = *sum_g_xc;

  for (int i0 = 0; i0 < n; i0 += SUM_BLOCK)
    {
      GabnVec4 v1[2] = { { 0 } }, v2[2] = { { 0 } }, v3[2] = { { 0 } };
      float s1[LANES], s2[LANES], s3[LANES];
      int i1 = MIN (n, i0 + SUM_BLOCK), i = i0;

      for (; i + LANES <= i1; i += LANES)
        for (int h = 0; h < 2; h++)
          {
            GabnVec4 g, d;

            __builtin_memcpy (&g, dy + i + 4 * h, sizeof g);
            __builtin_memcpy (&d, x + i + 4 * h, sizeof d);
            d = d - m;
            if (y != NULL)
              {
                GabnVec4 yv;

                __builtin_memcpy (&yv, y + i + 4 * h, sizeof yv);
                g = (GabnVec4) ((GabnVec4i) g & (yv > (GabnVec4) { 0 }));
              }
            v1[h] += g;
            v2[h] += d;
            v3[h] += g * d;
          }
      __builtin_memcpy (s1, v1, sizeof s1);
      __builtin_memcpy (s2, v2, sizeof s2);
      __builtin_memcpy (s3, v3, sizeof s3);
      for (; i < i1; i++)
        {
          float g = dy[i];
          float d = x[i] - m;

          if (y != NULL)
            g = y[i] > 0.0f ? g : 0.0f;
          s1[0] += g;
          s2[0] += d;
          s3[0] += g * d;
        }
      for (int l = 0; l < LANES; l++)
        {
          t1 += s1[l];
          t2 += s2[l];
          t3 += s3[l];
        }
    }
  *sum_g = t1;
  *sum_xc = t2;
  *sum_g_xc = t3;
}

static void
backward_sums (const float *x, const float *dy, const float *y, int n, float m,
               double *sum_g, double *sum_xc, double *sum_g_xc)
{
  if (y)
    backward_sums_inline (x, dy, y, n, m, sum_g, sum_xc, sum_g_xc);
  else
    backward_sums_inline (x, dy, NULL, n, m, sum_g, sum_xc, sum_g_xc);
}

/* dx += a·g − c0 − (x − m)·c1, g = dy masked by y > 0 when y is given;
 * without accumulate, dx = 0 + the same: the bits a zeroed dx would get
 * (0 + −0 is +0), without the pass that zeroes it. */
static inline __attribute__ ((always_inline)) void
backward_dx_inline (float *restrict dx, const float *restrict x,
                    const float *restrict dy, const float *restrict y, int n,
                    float m, float a, float c0, float c1, gboolean accumulate)
{
  for (int i = 0; i < n; i++)
    {
      float g = dy[i];
      if (y != NULL)
        g = y[i] > 0.0f ? g : 0.0f;
      dx[i] = (accumulate ? dx[i] : 0.0f) + (a * g - c0 - (x[i] - m) * c1);
    }
}

static void
backward_dx (float *dx, const float *x, const float *dy, const float *y, int n,
             float m, float a, float c0, float c1, gboolean accumulate)
{
  if (y && accumulate)
    backward_dx_inline (dx, x, dy, y, n, m, a, c0, c1, TRUE);
  else if (y)
    backward_dx_inline (dx, x, dy, y, n, m, a, c0, c1, FALSE);
  else if (accumulate)
    backward_dx_inline (dx, x, dy, NULL, n, m, a, c0, c1, TRUE);
  else
    backward_dx_inline (dx, x, dy, NULL, n, m, a, c0, c1, FALSE);
}

typedef struct {
  float *y, *save_mean, *save_rstd, *running_mean, *running_var;
  float *d_x, *d_gamma, *d_beta;
  const float *x, *d_y, *y_relu, *gamma, *beta, *mean_in, *rstd_in;
  int B, C, S;
  float eps, momentum;
  gboolean training, relu;
  gboolean accumulate;   /* backward: d_x += (else d_x =) */
} BnJob;

static void
forward_range (int begin, int end, gpointer data)
{
  BnJob *j = data;
  gsize n = (gsize) j->B * j->S;

  for (int c = begin; c < end; c++)
    {
      double mean, rstd;

      if (j->training)
        {
          double sum = 0, sq = 0, var, dev = 0, sq_dev = 0;
          float shift;

          /* A rough mean first (the first image's: one pass less over the
           * batch than the whole batch's), then the moments centred on it. */
          centred_sums (j->x + (gsize) c * j->S, j->S, 0.0f, &sum, &sq);
          shift = (float) (sum / j->S);
          for (int b = 0; b < j->B; b++)
            centred_sums (j->x + ((gsize) b * j->C + c) * j->S, j->S, shift, &dev, &sq_dev);
          /* Σ(x − mean)² = Σ(x − shift)² − n·(mean − shift)². */
          mean = shift + dev / n;
          sq = MAX (0.0, sq_dev - n * (mean - shift) * (mean - shift));
          var = sq / n;
          rstd = 1.0 / sqrt (var + j->eps);
          j->running_mean[c] = (1.0f - j->momentum) * j->running_mean[c] + j->momentum * (float) mean;
          /* n = 1 has no unbiased variance (PyTorch refuses the batch). */
          if (n > 1)
            j->running_var[c] = (1.0f - j->momentum) * j->running_var[c]
                                + j->momentum * (float) (sq / (n - 1));
        }
      else
        {
          mean = j->running_mean[c];
          rstd = 1.0 / sqrt ((double) j->running_var[c] + j->eps);
        }
      j->save_mean[c] = (float) mean;
      j->save_rstd[c] = (float) rstd;

      {
        /* (x − m)·s + β, not x·s + (β − m·s): no cancellation when the
         * mean is large against the spread. */
        float m = (float) mean, scale = (float) (j->gamma[c] * rstd), beta = j->beta[c];

        for (int b = 0; b < j->B; b++)
          {
            const float *x = j->x + ((gsize) b * j->C + c) * j->S;
            float *y = j->y + ((gsize) b * j->C + c) * j->S;
            if (j->relu)
              for (int i = 0; i < j->S; i++)
                {
                  float v = (x[i] - m) * scale + beta;
                  y[i] = v > 0.0f ? v : 0.0f;
                }
            else
              for (int i = 0; i < j->S; i++)
                y[i] = (x[i] - m) * scale + beta;
          }
      }
    }
}

void
gabn_batchnorm_forward (float *y, float *save_mean, float *save_rstd,
                        float *running_mean, float *running_var,
                        const float *x, const float *gamma, const float *beta,
                        int B, int C, int S, float eps, float momentum,
                        gboolean training, gboolean relu)
{
  BnJob j = {
    .y = y, .save_mean = save_mean, .save_rstd = save_rstd,
    .running_mean = running_mean, .running_var = running_var,
    .x = x, .gamma = gamma, .beta = beta, .B = B, .C = C, .S = S,
    .eps = eps, .momentum = momentum, .training = training, .relu = relu,
  };

  gabn_parallel_for (C, forward_range, &j);
}

static void
backward_range (int begin, int end, gpointer data)
{
  BnJob *j = data;
  gsize n = (gsize) j->B * j->S;

  for (int c = begin; c < end; c++)
    {
      float m = j->mean_in[c];
      double rstd = j->rstd_in[c];
      double sum_g = 0, sum_xc = 0, sum_g_xc = 0, delta, sum_g_xhat;

      for (int b = 0; b < j->B; b++)
        {
          gsize off = ((gsize) b * j->C + c) * j->S;
          backward_sums (j->x + off, j->d_y + off, j->y_relu ? j->y_relu + off : NULL,
                         j->S, m, &sum_g, &sum_xc, &sum_g_xc);
        }
      /* Training: the exact batch mean is m + δ (m is its float copy). */
      delta = j->training ? sum_xc / n : 0.0;
      sum_g_xhat = (sum_g_xc - delta * sum_g) * rstd;
      if (j->d_gamma)
        j->d_gamma[c] += (float) sum_g_xhat;
      if (j->d_beta)
        j->d_beta[c] += (float) sum_g;
      if (j->d_x == NULL)
        continue;

      {
        /* dx = k·(g − mean(g) − x̂·mean(g·x̂)), x̂ = (x − m − δ)·rstd,
         * rearranged as a·g − c0 − (x − m)·c1 for float arithmetic. */
        double k = j->gamma[c] * rstd;
        double mean_g = j->training ? sum_g / n : 0.0;
        double mean_g_xhat = j->training ? sum_g_xhat / n : 0.0;
        float a = (float) k;
        float c0 = (float) (k * (mean_g - delta * rstd * mean_g_xhat));
        float c1 = (float) (k * rstd * mean_g_xhat);

        for (int b = 0; b < j->B; b++)
          {
            gsize off = ((gsize) b * j->C + c) * j->S;
            const float *x = j->x + off, *dy = j->d_y + off;
            const float *yr = j->y_relu ? j->y_relu + off : NULL;
            float *dx = j->d_x + off;

            if (j->S == 1)
              {
                /* BatchNorm1d after a Linear layer: the batch sum of dx
                 * must vanish to double precision, since the next weight
                 * update multiplies it by the (large) mean input. */
                double g = (yr == NULL || yr[0] > 0.0f) ? dy[0] : 0.0;
                double xhat = (x[0] - m - delta) * rstd;
                dx[0] = (j->accumulate ? dx[0] : 0.0f)
                        + (float) (k * (g - mean_g - xhat * mean_g_xhat));
                continue;
              }
            backward_dx (dx, x, dy, yr, j->S, m, a, c0, c1, j->accumulate);
          }
      }
    }
}

void
gabn_batchnorm_backward (float *d_x, float *d_gamma, float *d_beta,
                         const float *d_y, const float *y_relu, const float *x,
                         const float *gamma, const float *save_mean,
                         const float *save_rstd, int B, int C, int S,
                         gboolean training, gboolean accumulate)
{
  BnJob j = {
    .d_x = d_x, .d_gamma = d_gamma, .d_beta = d_beta, .d_y = d_y,
    .y_relu = y_relu, .x = x,
    .gamma = gamma, .mean_in = save_mean, .rstd_in = save_rstd,
    .B = B, .C = C, .S = S, .training = training, .accumulate = accumulate,
  };

  gabn_parallel_for (C, backward_range, &j);
}
