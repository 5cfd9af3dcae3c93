/* gabn-matmul.c: matrix products on OpenBLAS, split across the engine's own
 * threads.
 *
 * OpenBLAS runs single-threaded (gabn_set_threads) and a large product is
 * cut into column (or row) slices, one cblas_sgemm per thread of the
 * engine's pool. One pool for everything: with OpenBLAS's own threads
 * beside the pool, each side's idle workers spun on the cores the other
 * needed between every sgemm and every im2col or BatchNorm pass. */
#include "gabn-engine.h"
#include "gabn-matmul.h"
#include "gabn-parallel.h"

#include <cblas.h>

/* Below this many multiply-adds a product is not worth splitting. */
#define SPLIT_MIN_MACS (1 << 20)

typedef struct {
  gboolean trans_a, trans_b, split_n;
  int M, N, K, parts;
  float alpha, beta;
  const float *A, *B;
  int lda, ldb, ldc;
  float *C;
} GemmJob;

static void
sgemm (gboolean trans_a, gboolean trans_b, int M, int N, int K, float alpha,
       const float *A, int lda, const float *B, int ldb, float beta, float *C,
       int ldc)
{
  cblas_sgemm (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
               trans_b ? CblasTrans : CblasNoTrans, M, N, K,
               alpha, A, lda, B, ldb, beta, C, ldc);
}

/* Slices are multiples of 16 columns (rows): whole sgemm kernel blocks. */
static void
slice (int n, int parts, int part, int *first, int *last)
{
  int blocks = (n + 15) / 16;

  *first = MIN (n, blocks * part / parts * 16);
  *last = MIN (n, blocks * (part + 1) / parts * 16);
}

static void
gemm_range (int begin, int end, gpointer data)
{
  GemmJob *j = data;

  for (int part = begin; part < end; part++)
    {
      int first, last;

      if (j->split_n)
        {
          /* C[:, first:last] = op(A) · op(B)[:, first:last] */
          slice (j->N, j->parts, part, &first, &last);
          if (last > first)
            sgemm (j->trans_a, j->trans_b, j->M, last - first, j->K, j->alpha, j->A, j->lda,
                   j->trans_b ? j->B + (gsize) first * j->ldb : j->B + first, j->ldb,
                   j->beta, j->C + first, j->ldc);
        }
      else
        {
          /* C[first:last, :] = op(A)[first:last, :] · op(B) */
          slice (j->M, j->parts, part, &first, &last);
          if (last > first)
            sgemm (j->trans_a, j->trans_b, last - first, j->N, j->K, j->alpha,
                   j->trans_a ? j->A + first : j->A + (gsize) first * j->lda, j->lda,
                   j->B, j->ldb, j->beta, j->C + (gsize) first * j->ldc, j->ldc);
        }
    }
}

void
gabn_gemm (gboolean trans_a, gboolean trans_b, int M, int N, int K,
           float alpha, const float *A, int lda, const float *B, int ldb,
           float beta, float *C, int ldc)
{
  int threads = gabn_get_threads ();
  GemmJob j = {
    .trans_a = trans_a, .trans_b = trans_b, .M = M, .N = N, .K = K,
    .alpha = alpha, .beta = beta, .A = A, .lda = lda, .B = B, .ldb = ldb,
    .C = C, .ldc = ldc, .parts = threads,
    .split_n = N >= M,   /* the long side: each slice keeps a useful shape */
  };

  if (threads <= 1 || (double) M * N * K < SPLIT_MIN_MACS
      || MAX (M, N) < 32 * threads)
    {
      sgemm (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
      return;
    }
  gabn_parallel_for (threads, gemm_range, &j);
}

void
gabn_gemm_serial (gboolean trans_a, gboolean trans_b, int M, int N, int K,
                  float alpha, const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc)
{
  sgemm (trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

typedef struct {
  gboolean trans;
  int M, N, parts;
  float alpha, beta;
  const float *A, *x;
  int lda;
  float *y;
} GemvJob;

static void
gemv_range (int begin, int end, gpointer data)
{
  GemvJob *j = data;
  int n_out = j->trans ? j->N : j->M;

  for (int part = begin; part < end; part++)
    {
      int first, last;

      slice (n_out, j->parts, part, &first, &last);
      if (last <= first)
        continue;
      if (j->trans)   /* y[first:last] = A[:, first:last]ᵀ · x */
        cblas_sgemv (CblasRowMajor, CblasTrans, j->M, last - first, j->alpha,
                     j->A + first, j->lda, j->x, 1, j->beta, j->y + first, 1);
      else            /* y[first:last] = A[first:last, :] · x */
        cblas_sgemv (CblasRowMajor, CblasNoTrans, last - first, j->N, j->alpha,
                     j->A + (gsize) first * j->lda, j->lda, j->x, 1, j->beta,
                     j->y + first, 1);
    }
}

void
gabn_gemv (gboolean trans, int M, int N, float alpha, const float *A, int lda,
           const float *x, float beta, float *y)
{
  int threads = gabn_get_threads ();
  GemvJob j = {
    .trans = trans, .M = M, .N = N, .parts = threads, .alpha = alpha,
    .beta = beta, .A = A, .lda = lda, .x = x, .y = y,
  };

  if (threads <= 1 || (double) M * N < SPLIT_MIN_MACS
      || (trans ? N : M) < 32 * threads)
    {
      cblas_sgemv (CblasRowMajor, trans ? CblasTrans : CblasNoTrans, M, N,
                   alpha, A, lda, x, 1, beta, y, 1);
      return;
    }
  gabn_parallel_for (threads, gemv_range, &j);
}

void
gabn_matmul (int M, int N, int K, const float *A, const float *B, float *C)
{
  gabn_gemm (FALSE, FALSE, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
}
