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

typedef struct {
  float *y, *save_mean, *save_rstd, *running_mean, *running_var;
  float *d_x, *d_gamma, *d_beta;
  const float *x, *d_y, *y_relu, *gamma, *beta, *mean_in, *rstd_in;
  int B, C, S;
  float eps, momentum;
  gboolean training, relu;
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
          double sum = 0, sq = 0, var;

          for (int b = 0; b < j->B; b++)
            {
              const float *x = j->x + ((gsize) b * j->C + c) * j->S;
              for (int i = 0; i < j->S; i++)
                sum += x[i];
            }
          mean = sum / n;
          for (int b = 0; b < j->B; b++)
            {
              const float *x = j->x + ((gsize) b * j->C + c) * j->S;
              for (int i = 0; i < j->S; i++)
                sq += (x[i] - mean) * (x[i] - mean);
            }
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
      double mean = j->mean_in[c], rstd = j->rstd_in[c];
      double sum_x = 0, sum_dy = 0, sum_dy_x = 0, sum_dy_xhat;

      for (int b = 0; b < j->B; b++)
        {
          gsize off = ((gsize) b * j->C + c) * j->S;
          const float *x = j->x + off, *dy = j->d_y + off;
          const float *yr = j->y_relu ? j->y_relu + off : NULL;
          for (int i = 0; i < j->S; i++)
            {
              float g = (yr == NULL || yr[i] > 0.0f) ? dy[i] : 0.0f;
              sum_x += x[i];
              sum_dy += g;
              sum_dy_x += (double) g * x[i];
            }
        }
      if (j->training)
        mean = sum_x / n;  /* the exact batch mean, not its float copy */
      sum_dy_xhat = (sum_dy_x - mean * sum_dy) * rstd;
      if (j->d_gamma)
        j->d_gamma[c] += (float) sum_dy_xhat;
      if (j->d_beta)
        j->d_beta[c] += (float) sum_dy;
      if (j->d_x == NULL)
        continue;

      {
        double k = j->gamma[c] * rstd;
        /* Training: the batch mean and variance depend on x too. */
        double mean_dy = j->training ? sum_dy / n : 0.0;
        double mean_dy_xhat = j->training ? sum_dy_xhat / n : 0.0;

        for (int b = 0; b < j->B; b++)
          {
            gsize off = ((gsize) b * j->C + c) * j->S;
            const float *x = j->x + off, *dy = j->d_y + off;
            const float *yr = j->y_relu ? j->y_relu + off : NULL;
            float *dx = j->d_x + off;
            for (int i = 0; i < j->S; i++)
              {
                double xhat = (x[i] - mean) * rstd;
                float g = (yr == NULL || yr[i] > 0.0f) ? dy[i] : 0.0f;
                dx[i] += (float) (k * (g - mean_dy - xhat * mean_dy_xhat));
              }
          }
      }
    }
}

void
gabn_batchnorm_backward (float *d_x, float *d_gamma, float *d_beta,
                         const float *d_y, const float *y_relu, const float *x,
                         const float *gamma, const float *save_mean,
                         const float *save_rstd, int B, int C, int S,
                         gboolean training)
{
  BnJob j = {
    .d_x = d_x, .d_gamma = d_gamma, .d_beta = d_beta, .d_y = d_y,
    .y_relu = y_relu, .x = x,
    .gamma = gamma, .mean_in = save_mean, .rstd_in = save_rstd,
    .B = B, .C = C, .S = S, .training = training,
  };

  gabn_parallel_for (C, backward_range, &j);
}
