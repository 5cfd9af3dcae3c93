/* gabn-linear.c: fully connected layer on cblas_sgemm — or sgemv for a
 * single image, where sgemm would copy ("pack") the whole weight matrix
 * for one row of work (gabn-s's head: 8 MB per call, the explorer's
 * single-image Grad-CAM pays it twice). */
#include "gabn-layers.h"
#include "gabn-matmul.h"

#include <cblas.h>

void
gabn_linear_forward (float *y, const float *x, const float *W,
                     const float *bias, int B, int K, int O)
{
  /* y (B×O) = x (B×K) · Wᵀ (K×O) */
  if (B == 1)
    gabn_gemv (FALSE, O, K, 1.0f, W, K, x, 0.0f, y);
  else
    gabn_gemm (FALSE, TRUE, B, O, K, 1.0f, x, K, W, K, 0.0f, y, O);
  if (bias)
    for (int b = 0; b < B; b++)
      for (int o = 0; o < O; o++)
        y[(gsize) b * O + o] += bias[o];
}

void
gabn_linear_backward (float *d_x, float *d_W, float *d_bias, const float *d_y,
                      const float *x, const float *W, int B, int K, int O)
{
  if (d_x && B == 1) /* d_x (K) += Wᵀ · d_y */
    gabn_gemv (TRUE, O, K, 1.0f, W, K, d_y, 1.0f, d_x);
  else if (d_x) /* d_x (B×K) += d_y (B×O) · W (O×K) */
    gabn_gemm (FALSE, FALSE, B, K, O, 1.0f, d_y, O, W, K, 1.0f, d_x, K);
  if (d_W && B == 1) /* d_W (O×K) += d_y ⊗ x */
    cblas_sger (CblasRowMajor, O, K, 1.0f, d_y, 1, x, 1, d_W, K);
  else if (d_W) /* d_W (O×K) += d_yᵀ (O×B) · x (B×K) */
    gabn_gemm (TRUE, FALSE, O, K, B, 1.0f, d_y, O, x, K, 1.0f, d_W, K);
  if (d_bias)
    for (int o = 0; o < O; o++)
      {
        double acc = 0;
        for (int b = 0; b < B; b++)
          acc += d_y[(gsize) b * O + o];
        d_bias[o] += (float) acc;
      }
}
