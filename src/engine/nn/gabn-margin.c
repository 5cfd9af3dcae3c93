/* gabn-margin.c: ArcFace / CosFace logits and softmax cross-entropy. */
#include "gabn-margin.h"
#include "gabn-matmul.h"

#include <math.h>
#include <string.h>

void
gabn_margin_config_init (GabnMarginConfig *margin, GabnMarginKind kind)
{
  margin->kind = kind;
  margin->s = 64.0f;
  margin->m = kind == GABN_MARGIN_COSFACE ? 0.35f : 0.5f;
  margin->easy_margin = FALSE;
}

float
gabn_margin_target (const GabnMarginConfig *margin, float c, float *d_dc)
{
  double m = margin->m, cd = CLAMP (c, -1.0f, 1.0f);

  if (margin->kind == GABN_MARGIN_COSFACE)
    {
      *d_dc = 1.0f;
      return (float) (cd - m);
    }
  {
    double sin_t = sqrt (MAX (0.0, 1.0 - cd * cd));
    double threshold = margin->easy_margin ? 0.0 : cos (G_PI - m);

    if (cd > threshold)
      {
        /* cos(θ + m) = c·cos m − sin θ·sin m; d sin θ/dc = −c / sin θ. */
        *d_dc = (float) (cos (m) + cd * sin (m) / MAX (sin_t, 1e-12));
        return (float) (cd * cos (m) - sin_t * sin (m));
      }
    *d_dc = 1.0f;
    if (margin->easy_margin)
      return (float) cd;
    return (float) (cd - sin (G_PI - m) * m);
  }
}

float
gabn_margin_loss_forward_backward (float *d_en, float *d_wn, const float *en,
                                   const float *wn, const int *labels,
                                   int B, int N, int D,
                                   const GabnMarginConfig *margin)
{
  g_autofree float *cosines = g_new (float, (gsize) B * N);
  double loss = 0;

  /* cosines (B×N) = en (B×D) · wnᵀ */
  gabn_gemm (FALSE, TRUE, B, N, D, 1.0f, en, D, wn, D, 0.0f, cosines, N);

  for (int b = 0; b < B; b++)
    {
      float *row = cosines + (gsize) b * N;
      int y = labels[b];
      float d_target = 1.0f, target;
      double max = -G_MAXDOUBLE, sum = 0;

      g_return_val_if_fail (y >= 0 && y < N, NAN);
      target = gabn_margin_target (margin, row[y], &d_target);
      /* row becomes the logits, then d(loss)/d(cosine). */
      for (int j = 0; j < N; j++)
        {
          row[j] = margin->s * (j == y ? target : CLAMP (row[j], -1.0f, 1.0f));
          max = MAX (max, row[j]);
        }
      for (int j = 0; j < N; j++)
        sum += exp (row[j] - max);
      loss += log (sum) + max - row[y];
      for (int j = 0; j < N; j++)
        {
          double p = exp (row[j] - max) / sum;
          double g = (p - (j == y)) / B * margin->s;
          row[j] = (float) (j == y ? g * d_target : g);
        }
    }

  if (d_en) /* d_en (B×D) = dcos (B×N) · wn (N×D) */
    gabn_gemm (FALSE, FALSE, B, D, N, 1.0f, cosines, N, wn, D, 0.0f, d_en, D);
  if (d_wn) /* d_wn (N×D) = dcosᵀ (N×B) · en (B×D) */
    gabn_gemm (TRUE, FALSE, N, D, B, 1.0f, cosines, N, en, D, 0.0f, d_wn, D);
  return (float) (loss / B);
}
