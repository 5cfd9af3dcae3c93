/* gabn-packed-gemm.c: see gabn-packed-gemm.h. The AVX2 code is compiled
 * for that target only (function attributes), so the library still runs on
 * any x86-64 and on other architectures, where nothing here is used. */
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"

#include <string.h>

#define MR 6
#define NR GABN_PACKED_PANEL

gsize
gabn_packed_floats (int M, int K)
{
  return (gsize) (M + MR - 1) / MR * MR * K;
}

void
gabn_pack_a (float *packed, const float *A, int M, int K, int lda)
{
  int panels = (M + MR - 1) / MR;

  for (int p = 0; p < panels; p++)
    for (int k = 0; k < K; k++)
      for (int r = 0; r < MR; r++)
        {
          int row = p * MR + r;

          /* Rows past M are zeros: the kernel computes them, nobody stores them. */
          packed[((gsize) p * K + k) * MR + r] = row < M ? A[(gsize) row * lda + k] : 0.0f;
        }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

gboolean
gabn_packed_gemm_available (void)
{
  static int available = -1;

  if (available < 0)
    {
      __builtin_cpu_init ();
      available = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    }
  return available;
}

typedef struct {
  int M, N, K;
  const float *packed, *B;
  gsize packed_stride, b_stride, c_stride;  /* between the products */
  int ldb, ldc;
  float *C;
  int panels, blocks;
} PackedJob;

/* c (rows × cols of a 6 × 16 block, row stride ldc) = panel a · b, where b
 * has 16 readable columns (row stride ldb). */
__attribute__ ((target ("avx2,fma")))
static void
kernel_6x16 (int K, const float *a, const float *b, int ldb, float *c,
             int ldc, int rows, int cols)
{
  __m256 c00 = _mm256_setzero_ps (), c01 = _mm256_setzero_ps ();
  __m256 c10 = _mm256_setzero_ps (), c11 = _mm256_setzero_ps ();
  __m256 c20 = _mm256_setzero_ps (), c21 = _mm256_setzero_ps ();
  __m256 c30 = _mm256_setzero_ps (), c31 = _mm256_setzero_ps ();
  __m256 c40 = _mm256_setzero_ps (), c41 = _mm256_setzero_ps ();
  __m256 c50 = _mm256_setzero_ps (), c51 = _mm256_setzero_ps ();

  for (int k = 0; k < K; k++, a += MR, b += ldb)
    {
      __m256 b0 = _mm256_loadu_ps (b), b1 = _mm256_loadu_ps (b + 8);
      __m256 a0 = _mm256_broadcast_ss (a), a1 = _mm256_broadcast_ss (a + 1);

      c00 = _mm256_fmadd_ps (a0, b0, c00);
      c01 = _mm256_fmadd_ps (a0, b1, c01);
      c10 = _mm256_fmadd_ps (a1, b0, c10);
      c11 = _mm256_fmadd_ps (a1, b1, c11);
      a0 = _mm256_broadcast_ss (a + 2);
      a1 = _mm256_broadcast_ss (a + 3);
      c20 = _mm256_fmadd_ps (a0, b0, c20);
      c21 = _mm256_fmadd_ps (a0, b1, c21);
      c30 = _mm256_fmadd_ps (a1, b0, c30);
      c31 = _mm256_fmadd_ps (a1, b1, c31);
      a0 = _mm256_broadcast_ss (a + 4);
      a1 = _mm256_broadcast_ss (a + 5);
      c40 = _mm256_fmadd_ps (a0, b0, c40);
      c41 = _mm256_fmadd_ps (a0, b1, c41);
      c50 = _mm256_fmadd_ps (a1, b0, c50);
      c51 = _mm256_fmadd_ps (a1, b1, c51);
    }
  if (rows == MR && cols == NR)
    {
      _mm256_storeu_ps (c, c00); _mm256_storeu_ps (c + 8, c01); c += ldc;
      _mm256_storeu_ps (c, c10); _mm256_storeu_ps (c + 8, c11); c += ldc;
      _mm256_storeu_ps (c, c20); _mm256_storeu_ps (c + 8, c21); c += ldc;
      _mm256_storeu_ps (c, c30); _mm256_storeu_ps (c + 8, c31); c += ldc;
      _mm256_storeu_ps (c, c40); _mm256_storeu_ps (c + 8, c41); c += ldc;
      _mm256_storeu_ps (c, c50); _mm256_storeu_ps (c + 8, c51);
    }
  else
    {
      float block[MR][NR];

      _mm256_storeu_ps (block[0], c00); _mm256_storeu_ps (block[0] + 8, c01);
      _mm256_storeu_ps (block[1], c10); _mm256_storeu_ps (block[1] + 8, c11);
      _mm256_storeu_ps (block[2], c20); _mm256_storeu_ps (block[2] + 8, c21);
      _mm256_storeu_ps (block[3], c30); _mm256_storeu_ps (block[3] + 8, c31);
      _mm256_storeu_ps (block[4], c40); _mm256_storeu_ps (block[4] + 8, c41);
      _mm256_storeu_ps (block[5], c50); _mm256_storeu_ps (block[5] + 8, c51);
      for (int r = 0; r < rows; r++)
        memcpy (c + (gsize) r * ldc, block[r], sizeof (float) * cols);
    }
}

/* Jobs [begin, end): job = (product · blocks + block) · panels + panel,
 * so that consecutive jobs reuse one 16-column slice of B from the cache. */
static void
packed_range (int begin, int end, gpointer data)
{
  PackedJob *j = data;
  float *edge = NULL;   /* the last, narrower slice of a B, zero-padded */
  int edge_of = -1;     /* the product it belongs to */

  for (int job = begin; job < end; job++)
    {
      int p = job % j->panels, blk = job / j->panels % j->blocks;
      int i = job / j->panels / j->blocks;
      int n0 = blk * NR, cols = MIN (NR, j->N - n0), rows = MIN (MR, j->M - p * MR);
      const float *b = j->B + i * j->b_stride + n0;
      int ldb = j->ldb;

      if (cols < NR)
        {
          if (edge == NULL)
            edge = g_new0 (float, (gsize) j->K * NR);
          if (edge_of != i)
            for (int k = 0; k < j->K; k++)
              memcpy (edge + (gsize) k * NR, b + (gsize) k * ldb, sizeof (float) * cols);
          edge_of = i;
          b = edge;
          ldb = NR;
        }
      kernel_6x16 (j->K, j->packed + i * j->packed_stride + (gsize) p * j->K * MR, b, ldb,
                   j->C + i * j->c_stride + (gsize) p * MR * j->ldc + n0, j->ldc, rows, cols);
    }
  g_free (edge);
}

void
gabn_packed_gemm_panel (int M, int K, const float *packed, const float *b,
                        float *C, int ldc, int cols)
{
  for (int p = 0; p * MR < M; p++)
    kernel_6x16 (K, packed + (gsize) p * K * MR, b, NR, C + (gsize) p * MR * ldc,
                 ldc, MIN (MR, M - p * MR), cols);
}

void
gabn_packed_gemm_serial (int M, int N, int K, const float *packed, const float *B,
                         int ldb, float *C, int ldc, float *work)
{
  int panels = (N + NR - 1) / NR;

  /* B's columns in contiguous K × 16 panels (zero past N): its rows may
   * lie far apart (a 56 × 56 plane per row), too many pages and cache
   * sets for the kernel to stream them in place. */
  for (int q = 0; q < panels; q++)
    {
      int n0 = q * NR, cols = MIN (NR, N - n0);
      float *dst = work + (gsize) q * K * NR;

      if (cols == NR)   /* a constant size: inlined moves, not a call */
        for (int k = 0; k < K; k++, dst += NR)
          memcpy (dst, B + (gsize) k * ldb + n0, sizeof (float) * NR);
      else
        for (int k = 0; k < K; k++, dst += NR)
          {
            memcpy (dst, B + (gsize) k * ldb + n0, sizeof (float) * cols);
            for (int t = cols; t < NR; t++)
              dst[t] = 0.0f;
          }
    }
  for (int p = 0; p * MR < M; p++)
    {
      const float *a = packed + (gsize) p * K * MR;
      float *c = C + (gsize) p * MR * ldc;
      int rows = MIN (MR, M - p * MR);

      for (int q = 0; q < panels; q++)
        kernel_6x16 (K, a, work + (gsize) q * K * NR, NR, c + q * NR, ldc, rows,
                     MIN (NR, N - q * NR));
    }
}

void
gabn_packed_gemm_batch (int count, int M, int N, int K, const float *packed,
                        gsize packed_stride, const float *B, gsize b_stride,
                        int ldb, float *C, gsize c_stride, int ldc)
{
  PackedJob j = {
    .M = M, .N = N, .K = K, .packed = packed, .B = B, .ldb = ldb, .C = C,
    .ldc = ldc, .packed_stride = packed_stride, .b_stride = b_stride,
    .c_stride = c_stride, .panels = (M + MR - 1) / MR, .blocks = (N + NR - 1) / NR,
  };

  g_return_if_fail (gabn_packed_gemm_available ());
  /* One parallel loop for all products: waking the pool costs more than
   * one small product. */
  gabn_parallel_for (count * j.panels * j.blocks, packed_range, &j);
}

void
gabn_packed_gemm (int M, int N, int K, const float *packed, const float *B,
                  int ldb, float *C, int ldc)
{
  gabn_packed_gemm_batch (1, M, N, K, packed, 0, B, 0, ldb, C, 0, ldc);
}

#else /* no AVX2 kernel on this architecture */

void
gabn_packed_gemm_serial (int M, int N, int K, const float *packed, const float *B,
                         int ldb, float *C, int ldc, float *work)
{
  (void) M; (void) N; (void) K; (void) packed; (void) B; (void) ldb; (void) C; (void) ldc;
  (void) work;
  g_return_if_reached ();
}

void
gabn_packed_gemm_panel (int M, int K, const float *packed, const float *b,
                        float *C, int ldc, int cols)
{
  (void) M; (void) K; (void) packed; (void) b; (void) C; (void) ldc; (void) cols;
  g_return_if_reached ();
}

gboolean
gabn_packed_gemm_available (void)
{
  return FALSE;
}

void
gabn_packed_gemm_batch (int count, int M, int N, int K, const float *packed,
                        gsize packed_stride, const float *B, gsize b_stride,
                        int ldb, float *C, gsize c_stride, int ldc)
{
  (void) count; (void) M; (void) N; (void) K; (void) packed; (void) packed_stride;
  (void) B; (void) b_stride; (void) ldb; (void) C; (void) c_stride; (void) ldc;
  g_return_if_reached ();
}

void
gabn_packed_gemm (int M, int N, int K, const float *packed, const float *B,
                  int ldb, float *C, int ldc)
{
  gabn_packed_gemm_batch (1, M, N, K, packed, 0, B, 0, ldb, C, 0, ldc);
}

#endif
