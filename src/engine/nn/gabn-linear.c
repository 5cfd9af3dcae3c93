/* gabn-linear.c: fully connected layer on cblas_sgemm. */
#include "gabn-layers.h"
#include "gabn-matmul.h"

void
gabn_linear_forward (float *y, const float *x, const float *W,
                     const float *bias, int B, int I, int O)
{
  /* y (B×O) = x (B×I) · Wᵀ (I×O) */
  gabn_gemm (FALSE, TRUE, B, O, I, 1.0f, x, I, W, I, 0.0f, y, O);
  if (bias)
    for (int b = 0; b < B; b++)
      for (int o = 0; o < O; o++)
        y[(gsize) b * O + o] += bias[o];
}

void
gabn_linear_backward (float *d_x, float *d_W, float *d_bias, const float *d_y,
                      const float *x, const float *W, int B, int I, int O)
{
  if (d_x) /* d_x (B×I) += d_y (B×O) · W (O×I) */
    gabn_gemm (FALSE, FALSE, B, I, O, 1.0f, d_y, O, W, I, 1.0f, d_x, I);
  if (d_W) /* d_W (O×I) += d_yᵀ (O×B) · x (B×I) */
    gabn_gemm (TRUE, FALSE, O, I, B, 1.0f, d_y, O, x, I, 1.0f, d_W, I);
  if (d_bias)
    for (int o = 0; o < O; o++)
      {
        double acc = 0;
        for (int b = 0; b < B; b++)
          acc += d_y[(gsize) b * O + o];
        d_bias[o] += (float) acc;
      }
}
