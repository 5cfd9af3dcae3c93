/* gabn-channel-ops.c: the small layers of imported graphs: a per-channel
 * affine map (ONNX Mul/Add/Sub/Div by constants), zero or constant padding,
 * and global average pooling. */
#include "gabn-layers.h"

#include <string.h>

void
gabn_affine_forward (float *y, const float *x, const float *scale,
                     const float *shift, int B, int C, int S)
{
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      {
        gsize o = ((gsize) b * C + c) * S;
        float a = scale[c], t = shift[c];

        for (int i = 0; i < S; i++)
          y[o + i] = x[o + i] * a + t;
      }
}

void
gabn_affine_backward (float *d_x, const float *d_y, const float *scale,
                      int B, int C, int S)
{
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      {
        gsize o = ((gsize) b * C + c) * S;
        float a = scale[c];

        for (int i = 0; i < S; i++)
          d_x[o + i] += d_y[o + i] * a;
      }
}

void
gabn_pad_forward (float *y, const float *x, int B, int C, int H, int W,
                  int top, int left, int bottom, int right, float value)
{
  int Ho = H + top + bottom, Wo = W + left + right;

  for (int bc = 0; bc < B * C; bc++)
    {
      float *out = y + (gsize) bc * Ho * Wo;
      const float *in = x + (gsize) bc * H * W;

      for (gsize i = 0; i < (gsize) Ho * Wo; i++)
        out[i] = value;
      for (int r = 0; r < H; r++)
        memcpy (out + (gsize) (r + top) * Wo + left, in + (gsize) r * W,
                (gsize) W * sizeof (float));
    }
}

void
gabn_pad_backward (float *d_x, const float *d_y, int B, int C, int H, int W,
                   int top, int left, int bottom, int right)
{
  int Ho = H + top + bottom, Wo = W + left + right;

  for (int bc = 0; bc < B * C; bc++)
    for (int r = 0; r < H; r++)
      {
        const float *src = d_y + (gsize) bc * Ho * Wo + (gsize) (r + top) * Wo + left;
        float *dst = d_x + (gsize) bc * H * W + (gsize) r * W;

        for (int i = 0; i < W; i++)
          dst[i] += src[i];
      }
}

void
gabn_global_avgpool_forward (float *y, const float *x, int B, int C, int S)
{
  for (int bc = 0; bc < B * C; bc++)
    {
      const float *in = x + (gsize) bc * S;
      double sum = 0;

      for (int i = 0; i < S; i++)
        sum += in[i];
      y[bc] = (float) (sum / S);
    }
}

void
gabn_global_avgpool_backward (float *d_x, const float *d_y, int B, int C, int S)
{
  for (int bc = 0; bc < B * C; bc++)
    {
      float g = d_y[bc] / S;
      float *dx = d_x + (gsize) bc * S;

      for (int i = 0; i < S; i++)
        dx[i] += g;
    }
}
