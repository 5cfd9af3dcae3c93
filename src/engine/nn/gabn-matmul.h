/* gabn-matmul.h: matrix products on OpenBLAS, row-major, split across the
 * engine's threads (see gabn-matmul.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* C (M×N) = A (M×K) · B (K×N). */
void gabn_matmul (int M, int N, int K, const float *A, const float *B, float *C);

/* C = alpha · op(A) · op(B) + beta · C, row-major, op = transpose when trans. */
void gabn_gemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
                float alpha, const float *A, int lda, const float *B, int ldb,
                float beta, float *C, int ldc);

/* The same on the calling thread only: for products that are each one
 * item of a gabn_parallel_for. */
void gabn_gemm_serial (gboolean trans_a, gboolean trans_b, int M, int N, int K,
                       float alpha, const float *A, int lda, const float *B,
                       int ldb, float beta, float *C, int ldc);

/* y = alpha · op(A) · x + beta · y, A (M×N) row-major, op = transpose when
 * trans (y then has N entries, else M). */
void gabn_gemv (gboolean trans, int M, int N, float alpha, const float *A,
                int lda, const float *x, float beta, float *y);

G_END_DECLS
