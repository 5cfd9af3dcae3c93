/* gabn-matmul.c: thin wrappers over cblas_sgemm. */
#include "gabn-matmul.h"

#include <cblas.h>

void
gabn_gemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
           float alpha, const float *A, int lda, const float *B, int ldb,
           float beta, float *C, int ldc)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, M, N, K,
               alpha, A, lda, B, ldb, beta, C, ldc);
}

void
gabn_matmul (int M, int N, int K, const float *A, const float *B, float *C)
{
  gabn_gemm (FALSE, FALSE, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
}
