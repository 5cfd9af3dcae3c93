/* test-packed-gemm.c: the packed-weights kernel against a naive product,
 * on shapes with partial panels and partial column slices, strided B and
 * C, and one and two threads. */
#include "gabn-engine.h"
#include "gabn-packed-gemm.h"

#include <math.h>

static void
check (int M, int N, int K)
{
  int ldb = N + 3, ldc = N + 5;
  GRand *rand = g_rand_new_with_seed (M * 7 + N * 3 + K);
  g_autofree float *A = g_new (float, (gsize) M * K);
  g_autofree float *B = g_new (float, (gsize) K * ldb);
  g_autofree float *C = g_new (float, (gsize) M * ldc);
  g_autofree float *packed = g_new (float, gabn_packed_floats (M, K));
  double worst = 0;

  for (gsize i = 0; i < (gsize) M * K; i++)
    A[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) K * ldb; i++)
    B[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) M * ldc; i++)
    C[i] = 1234.0f;   /* the gaps between rows must stay untouched */
  gabn_pack_a (packed, A, M, K, K);
  gabn_packed_gemm (M, N, K, packed, B, ldb, C, ldc);
  for (int m = 0; m < M; m++)
    {
      for (int n = 0; n < N; n++)
        {
          double want = 0;

          for (int k = 0; k < K; k++)
            want += (double) A[(gsize) m * K + k] * B[(gsize) k * ldb + n];
          worst = MAX (worst, fabs (C[(gsize) m * ldc + n] - want) / sqrt (K));
        }
      for (int n = N; n < ldc; n++)
        g_assert_cmpfloat (C[(gsize) m * ldc + n], ==, 1234.0f);
    }
  g_test_message ("%d × %d × %d: max error / √K %.2e", M, N, K, worst);
  g_assert_cmpfloat (worst, <, 1e-5);
  g_rand_free (rand);
}

static void
test_shapes (void)
{
  if (!gabn_packed_gemm_available ())
    {
      g_test_skip ("this CPU has no AVX2 and FMA: the engine uses sgemm instead");
      return;
    }
  for (int threads = 1; threads <= 2; threads++)
    {
      gabn_set_threads (threads);
      check (6, 16, 1);
      check (1, 1, 5);
      check (7, 17, 9);       /* one row and one column past a block */
      check (64, 256, 64);    /* a Winograd product of gabn-s, batch 1 */
      check (256, 16, 256);
      check (128, 49, 1152);  /* iresnet's 7 × 7 maps */
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/packed-gemm/shapes", test_shapes);
  return g_test_run ();
}
