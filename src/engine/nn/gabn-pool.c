/* gabn-pool.c: max and average pooling over k×k windows. */
#include "gabn-layers.h"

int
gabn_pool_out_size (int in, int k, int stride, int pad)
{
  return (in + 2 * pad - k) / stride + 1;
}

void
gabn_maxpool_forward (float *y, int *argmax, const float *x, int B, int C,
                      int H, int W, int k, int stride, int pad)
{
  int Ho = gabn_pool_out_size (H, k, stride, pad);
  int Wo = gabn_pool_out_size (W, k, stride, pad);

  for (int bc = 0; bc < B * C; bc++)
    {
      const float *plane = x + (gsize) bc * H * W;
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          {
            float best = -G_MAXFLOAT;
            int best_i = -1;
            for (int ki = 0; ki < k; ki++)
              for (int kj = 0; kj < k; kj++)
                {
                  int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
                  if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                    continue;
                  if (best_i < 0 || plane[iy * W + ix] > best)
                    {
                      best = plane[iy * W + ix];
                      best_i = iy * W + ix;
                    }
                }
            y[((gsize) bc * Ho + oy) * Wo + ox] = best;
            argmax[((gsize) bc * Ho + oy) * Wo + ox] = best_i;
          }
    }
}

void
gabn_maxpool_backward (float *d_x, const float *d_y, const int *argmax,
                       int B, int C, int H, int W, int k, int stride, int pad)
{
  int Ho = gabn_pool_out_size (H, k, stride, pad);
  int Wo = gabn_pool_out_size (W, k, stride, pad);

  for (int bc = 0; bc < B * C; bc++)
    for (int o = 0; o < Ho * Wo; o++)
      {
        int i = argmax[(gsize) bc * Ho * Wo + o];
        if (i >= 0)
          d_x[(gsize) bc * H * W + i] += d_y[(gsize) bc * Ho * Wo + o];
      }
}

void
gabn_avgpool_forward (float *y, const float *x, int B, int C, int H, int W,
                      int k, int stride, int pad)
{
  int Ho = gabn_pool_out_size (H, k, stride, pad);
  int Wo = gabn_pool_out_size (W, k, stride, pad);
  float scale = 1.0f / (k * k);

  for (int bc = 0; bc < B * C; bc++)
    {
      const float *plane = x + (gsize) bc * H * W;
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          {
            float acc = 0;
            for (int ki = 0; ki < k; ki++)
              for (int kj = 0; kj < k; kj++)
                {
                  int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                    acc += plane[iy * W + ix];
                }
            y[((gsize) bc * Ho + oy) * Wo + ox] = acc * scale;
          }
    }
}

void
gabn_avgpool_backward (float *d_x, const float *d_y, int B, int C, int H, int W,
                       int k, int stride, int pad)
{
  int Ho = gabn_pool_out_size (H, k, stride, pad);
  int Wo = gabn_pool_out_size (W, k, stride, pad);
  float scale = 1.0f / (k * k);

  for (int bc = 0; bc < B * C; bc++)
    {
      float *plane = d_x + (gsize) bc * H * W;
      for (int oy = 0; oy < Ho; oy++)
        for (int ox = 0; ox < Wo; ox++)
          {
            float g = d_y[((gsize) bc * Ho + oy) * Wo + ox] * scale;
            for (int ki = 0; ki < k; ki++)
              for (int kj = 0; kj < k; kj++)
                {
                  int iy = oy * stride - pad + ki, ix = ox * stride - pad + kj;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W)
                    plane[iy * W + ix] += g;
                }
          }
    }
}
