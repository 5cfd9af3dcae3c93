/* gabn-affine.c: per-channel affine y = x·scale[c] + shift[c] — the "scale
 * layer" of dlib's ResNet (a BatchNorm folded into two vectors). */
#include "gabn-layers.h"

void
gabn_affine_forward (float *y, const float *x, const float *scale,
                     const float *shift, int B, int C, int S)
{
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      {
        const float *xp = x + ((gsize) b * C + c) * S;
        float *yp = y + ((gsize) b * C + c) * S;
        float a = scale[c], t = shift ? shift[c] : 0.0f;

        for (int i = 0; i < S; i++)
          yp[i] = xp[i] * a + t;
      }
}

void
gabn_affine_backward (float *d_x, float *d_scale, float *d_shift,
                      const float *d_y, const float *x, const float *scale,
                      int B, int C, int S)
{
  for (int c = 0; c < C; c++)
    {
      double ds = 0, dt = 0;

      for (int b = 0; b < B; b++)
        {
          gsize off = ((gsize) b * C + c) * S;
          const float *gy = d_y + off;
          const float *xp = x + off;

          if (d_x)
            for (int i = 0; i < S; i++)
              d_x[off + i] += gy[i] * scale[c];
          if (d_scale || d_shift)
            for (int i = 0; i < S; i++)
              {
                ds += (double) gy[i] * xp[i];
                dt += gy[i];
              }
        }
      if (d_scale)
        d_scale[c] += (float) ds;
      if (d_shift)
        d_shift[c] += (float) dt;
    }
}
