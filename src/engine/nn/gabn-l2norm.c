/* gabn-l2norm.c: row-wise L2 normalisation, as torch.nn.functional.normalize. */
#include "gabn-layers.h"

#include <math.h>

#define L2_EPS 1e-12

void
gabn_l2norm_forward (float *y, float *norm, const float *x, int B, int D)
{
  for (int b = 0; b < B; b++)
    {
      const float *xb = x + (gsize) b * D;
      double sq = 0, inv;

      for (int i = 0; i < D; i++)
        sq += (double) xb[i] * xb[i];
      norm[b] = (float) sqrt (sq);
      inv = 1.0 / MAX (sqrt (sq), L2_EPS);
      for (int i = 0; i < D; i++)
        y[(gsize) b * D + i] = (float) (xb[i] * inv);
    }
}

void
gabn_l2norm_backward (float *d_x, const float *d_y, const float *y,
                      const float *norm, int B, int D)
{
  for (int b = 0; b < B; b++)
    {
      const float *yb = y + (gsize) b * D, *gb = d_y + (gsize) b * D;
      double dot = 0;

      /* Below eps the division is by a constant: no projection. */
      if (norm[b] < L2_EPS)
        {
          for (int i = 0; i < D; i++)
            d_x[(gsize) b * D + i] += (float) (gb[i] / L2_EPS);
          continue;
        }
      for (int i = 0; i < D; i++)
        dot += (double) yb[i] * gb[i];
      for (int i = 0; i < D; i++)
        d_x[(gsize) b * D + i] += (float) ((gb[i] - yb[i] * dot) / norm[b]);
    }
}
