/* gabn-zero-pad.c: zeros appended after the last channels, rows and columns
 * — the shortcut of dlib's downsampling blocks (channels padded to the new
 * width, and the convolution's output padded to the pooled size). */
#include "gabn-layers.h"

#include <string.h>

void
gabn_zero_pad_forward (float *y, const float *x, int B, int C, int H, int W,
                       int Co, int Ho, int Wo)
{
  memset (y, 0, sizeof (float) * B * Co * Ho * Wo);
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      for (int i = 0; i < H; i++)
        memcpy (y + (((gsize) b * Co + c) * Ho + i) * Wo,
                x + (((gsize) b * C + c) * H + i) * W, sizeof (float) * W);
}

void
gabn_zero_pad_backward (float *d_x, const float *d_y, int B, int C, int H,
                        int W, int Co, int Ho, int Wo)
{
  for (int b = 0; b < B; b++)
    for (int c = 0; c < C; c++)
      for (int i = 0; i < H; i++)
        {
          const float *src = d_y + (((gsize) b * Co + c) * Ho + i) * Wo;
          float *dst = d_x + (((gsize) b * C + c) * H + i) * W;

          for (int j = 0; j < W; j++)
            dst[j] += src[j];
        }
}
