/* test-sgemm.c: the engine's matrix multiply against a naive loop. */
#include "gabn-engine.h"
#include "gabn-matmul.h"

#include <math.h>

static void
naive_gemm (int M, int N, int K, const float *A, const float *B, float *C)
{
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++)
      {
        double acc = 0;
        for (int k = 0; k < K; k++)
          acc += (double) A[i * K + k] * B[k * N + j];
        C[i * N + j] = acc;
      }
}

static void
test_matmul_matches_naive (void)
{
  const int M = 37, N = 53, K = 71;
  g_autofree float *A = g_new (float, M * K);
  g_autofree float *B = g_new (float, K * N);
  g_autofree float *C = g_new0 (float, M * N);
  g_autofree float *R = g_new0 (float, M * N);
  GRand *rand = g_rand_new_with_seed (1);

  for (int i = 0; i < M * K; i++) A[i] = g_rand_double_range (rand, -1, 1);
  for (int i = 0; i < K * N; i++) B[i] = g_rand_double_range (rand, -1, 1);
  g_rand_free (rand);

  gabn_matmul (M, N, K, A, B, C);
  naive_gemm (M, N, K, A, B, R);
  for (int i = 0; i < M * N; i++)
    g_assert_cmpfloat_with_epsilon (C[i], R[i], 1e-4);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/matmul/naive", test_matmul_matches_naive);
  return g_test_run ();
}
