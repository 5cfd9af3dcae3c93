/* test-packed-gemm.c: the packed-weights kernel against a naive product,
 * on shapes with partial panels and partial column slices, strided B and
 * C, and one and two threads; and the single-image convolution built on it
 * against the im2col + sgemm one. */
#include "gabn-engine.h"
#include "gabn-layers.h"
#include "gabn-packed-gemm.h"

#include <math.h>
#include <string.h>

/* The wide form (C's rows in the vectors: single images' Winograd
 * products) gives the bits of the packed product C (M × N, row stride ldc)
 * of A and B, in both its AVX-512 and AVX2 forms, and writes nothing
 * between C's rows. */
static void
check_wide (int M, int N, int K, const float *A, const float *B, int ldb,
            const float *C, int ldc)
{
  g_autofree float *packed = g_new (float, gabn_packed_wide_floats (M, K));
  g_autofree float *Cw = g_memdup2 (C, sizeof (float) * M * ldc);
  gboolean avx512 = gabn_packed_gemm_avx512 ();

  gabn_pack_a_wide (packed, A, M, K, K);
  for (int form = 0; form < (avx512 ? 2 : 1); form++)
    {
      gabn_packed_gemm_set_avx512 (form == 0 && avx512);
      for (gsize i = 0; i < (gsize) M * ldc; i++)
        if (i % ldc < (gsize) N)
          Cw[i] = NAN;
      gabn_packed_gemm_wide_batch (1, M, N, K, packed, 0, B, 0, ldb, Cw, 0, ldc);
      g_assert_cmpmem (Cw, sizeof (float) * M * ldc, C, sizeof (float) * M * ldc);
    }
  gabn_packed_gemm_set_avx512 (avx512);
}

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
  if (gabn_packed_gemm_set_avx512 (FALSE))
    {
      /* This CPU ran the AVX-512 kernel: the AVX2 one gives the same bits. */
      g_autofree float *C2 = g_memdup2 (C, sizeof (float) * M * ldc);

      gabn_packed_gemm (M, N, K, packed, B, ldb, C2, ldc);
      gabn_packed_gemm_set_avx512 (TRUE);
      g_assert_cmpmem (C2, sizeof (float) * M * ldc, C, sizeof (float) * M * ldc);
    }
  {
    /* The serial form (the 1×1 layers', with the 12 × 32 AVX-512 block)
     * gives the same bits as the parallel one, in both forms. */
    g_autofree float *C3 = g_memdup2 (C, sizeof (float) * M * ldc);
    g_autofree float *work = g_new (float, (gsize) K * ((N + 31) / 32 * 32));

    for (gsize i = 0; i < (gsize) M * ldc; i++)
      if (i % ldc < (gsize) N)
        C3[i] = NAN;
    gabn_packed_gemm_serial (M, N, K, packed, B, ldb, C3, ldc, work, NULL);
    g_assert_cmpmem (C3, sizeof (float) * M * ldc, C, sizeof (float) * M * ldc);
    if (gabn_packed_gemm_set_avx512 (FALSE))
      {
        gabn_packed_gemm_serial (M, N, K, packed, B, ldb, C3, ldc, work, NULL);
        gabn_packed_gemm_set_avx512 (TRUE);
        g_assert_cmpmem (C3, sizeof (float) * M * ldc, C, sizeof (float) * M * ldc);
      }
  }
  check_wide (M, N, K, A, B, ldb, C, ldc);
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
      check (12, 33, 7);      /* a whole pair of weight panels */
      check (13, 15, 3);      /* a pair and one row */
      check (23, 16, 11);     /* a pair and a pair short of one row */
      check (64, 256, 64);    /* a Winograd product of gabn-s, batch 1 */
      check (256, 16, 256);
      check (128, 49, 1152);  /* iresnet's 7 × 7 maps */
      check (24, 64, 128);    /* whole 12 × 32 blocks */
      check (25, 47, 13);     /* a pair of panels, one partial; a panel alone */
      check (12, 20, 5);      /* one 12 × 32 block, its second panel partial */
      check (256, 49, 256);   /* iresnet's 14 × 14 Winograd products, batch 1 */
      check (70, 13, 17);     /* a wide panel and 6 rows; 6 + 6 + 1 columns */
      check (64, 5, 3);       /* one wide block of 5 columns */
      /* ≤ 8 columns alone or after 16: the 8-column (ymm) forms */
      check (13, 8, 9);
      check (12, 24, 7);
      check (7, 3, 5);
    }
}

/* gabn_conv2d_forward_packed against gabn_conv2d_forward_bn, with bias and
 * a BatchNorm + ReLU, relative to the largest output. */
static void
check_conv (int C, int H, int W, int O, int k, int stride, int pad)
{
  GabnConvShape s;
  GRand *rand = g_rand_new_with_seed (C * 31 + H * 7 + O + k + stride);
  gsize n_in = (gsize) C * H * W, n_w = (gsize) O * C * k * k, n_out;
  g_autofree float *in = g_new (float, n_in);
  g_autofree float *weight = g_new (float, n_w);
  g_autofree float *packed = g_new (float, gabn_packed_floats (O, C * k * k));
  g_autofree float *bias = g_new (float, O), *mean = g_new (float, O);
  g_autofree float *scale = g_new (float, O), *beta = g_new (float, O);
  g_autofree float *want = NULL, *want_bn = NULL, *got = NULL, *got_bn = NULL;
  g_autofree float *work = NULL;
  double top = 0, worst = 0;
  GabnBnEpilogue want_e = { .mean = mean, .scale = scale, .beta = beta, .relu = TRUE };
  GabnBnEpilogue got_e = { .mean = mean, .scale = scale, .beta = beta, .relu = TRUE };

  gabn_conv_shape_init (&s, C, H, W, O, k, stride, pad);
  n_out = (gsize) O * s.out_h * s.out_w;
  for (gsize i = 0; i < n_in; i++)
    in[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < n_w; i++)
    weight[i] = g_rand_double_range (rand, -1, 1);
  for (int o = 0; o < O; o++)
    {
      bias[o] = g_rand_double_range (rand, -1, 1);
      mean[o] = g_rand_double_range (rand, -1, 1);
      scale[o] = g_rand_double_range (rand, 0.5, 2);
      beta[o] = g_rand_double_range (rand, -1, 1);
    }
  want = g_new (float, n_out);
  want_bn = g_new (float, n_out);
  got = g_new (float, n_out);
  got_bn = g_new (float, n_out);
  want_e.out = want_bn;
  got_e.out = got_bn;
  work = g_new (float, gabn_conv_workspace_floats (&s, 1));
  gabn_conv2d_forward_bn (want, &want_e, in, weight, bias, 1, &s, work);
  gabn_pack_a (packed, weight, O, C * k * k, C * k * k);
  gabn_conv2d_forward_packed (got, &got_e, in, packed, bias, 1, &s);
  {
    /* The image second in a batch of two gets the same bits, and so does
     * the AVX2 form (its epilogue a pass of its own, after the product). */
    g_autofree float *in2 = g_new (float, 2 * n_in), *got2 = g_new (float, 2 * n_out);
    g_autofree float *got2_bn = g_new (float, 2 * n_out);
    GabnBnEpilogue e2 = got_e;

    for (gsize i = 0; i < n_in; i++)
      in2[i] = g_rand_double_range (rand, -1, 1);
    memcpy (in2 + n_in, in, sizeof (float) * n_in);
    e2.out = got2_bn;
    gabn_conv2d_forward_packed (got2, &e2, in2, packed, bias, 2, &s);
    g_assert_cmpmem (got2 + n_out, sizeof (float) * n_out, got, sizeof (float) * n_out);
    g_assert_cmpmem (got2_bn + n_out, sizeof (float) * n_out, got_bn, sizeof (float) * n_out);
    if (gabn_packed_gemm_set_avx512 (FALSE))
      {
        gabn_conv2d_forward_packed (got2, &e2, in, packed, bias, 1, &s);
        gabn_packed_gemm_set_avx512 (TRUE);
        g_assert_cmpmem (got2, sizeof (float) * n_out, got, sizeof (float) * n_out);
        g_assert_cmpmem (got2_bn, sizeof (float) * n_out, got_bn, sizeof (float) * n_out);
      }
  }
  for (gsize i = 0; i < n_out; i++)
    {
      top = MAX (top, fabs (want[i]));
      worst = MAX (worst, fabs (got[i] - want[i]));
      worst = MAX (worst, fabs (got_bn[i] - want_bn[i]));
      /* The ReLU is applied: no negative BatchNorm outputs. */
      g_assert_cmpfloat (got_bn[i], >=, 0.0f);
    }
  g_test_message ("conv %d×%d×%d → %d, k %d stride %d: max |diff| %.2e of %.2e",
                  C, H, W, O, k, stride, worst, top);
  g_assert_cmpfloat (worst, <=, 1e-5 * top);
  g_rand_free (rand);
}

static void
test_conv (void)
{
  if (!gabn_packed_gemm_available ())
    {
      g_test_skip ("this CPU has no AVX2 and FMA: the engine uses sgemm instead");
      return;
    }
  for (int threads = 1; threads <= 2; threads++)
    {
      gabn_set_threads (threads);
      check_conv (32, 64, 64, 64, 3, 2, 1);   /* gabn-s's stride-2 layers */
      check_conv (128, 16, 16, 256, 3, 2, 1); /* output rows of 8: two per panel */
      check_conv (64, 14, 14, 128, 3, 2, 1);  /* 7 × 7 outputs: a partial panel */
      check_conv (16, 13, 13, 50, 3, 2, 1);   /* 7 × 7: its last column, 9 weight panels */
      check_conv (64, 14, 14, 128, 1, 2, 0);  /* iresnet's downsample */
      check_conv (5, 15, 47, 20, 3, 2, 1);    /* odd sizes, stride 2: runs of 24 and 8 */
      check_conv (7, 9, 37, 5, 3, 1, 1);      /* odd sizes, stride 1 */
      check_conv (3, 22, 20, 28, 3, 2, 1);    /* a stem (K = 27), 4 rows past a pair */
      check_conv (3, 9, 9, 20, 3, 1, 1);      /* one, stride 1 */
    }
}

/* What the 1×1 layers' epilogue must give: the product, then the bias and
 * gabn_bn_epilogue_row in passes of their own (the code before the
 * epilogue moved into the kernel). */
static void
reference_pointwise (float *conv, const GabnBnEpilogue *e, const float *in,
                     const float *packed, const float *bias, int B, int C, int O, int P)
{
  for (int b = 0; b < B; b++)
    {
      float *y = conv + (gsize) b * O * P;

      gabn_packed_gemm (O, P, C, packed, in + (gsize) b * C * P, P, y, P);
      for (int o = 0; o < O; o++, y += P)
        {
          if (bias)
            for (int t = 0; t < P; t++)
              y[t] += bias[o];
          if (e)
            gabn_bn_epilogue_row (e, (gsize) (b * O + o) * P, o, y, P);
        }
    }
}

/* Which buffers an epilogue writes: 0 separate out, act_out unused; 1 the
 * PReLU in place (out NULL, act_out the convolution's buffer); 2 the
 * residual Add into a buffer of its own, out kept; 3 out in place, the
 * PReLU into a buffer of its own; 4 no BatchNorm, the bias only. */
static void
check_pointwise (int C, int H, int O, int form)
{
  int B = 2, P = H * H;
  gsize n_in = (gsize) B * C * P, n_out = (gsize) B * O * P;
  GabnConvShape s;
  GRand *rand = g_rand_new_with_seed (C * 131 + H * 17 + O * 3 + form);
  g_autofree float *in = g_new (float, n_in), *weight = g_new (float, (gsize) O * C);
  g_autofree float *packed = g_new (float, gabn_packed_floats (O, C));
  g_autofree float *bias = g_new (float, O), *mean = g_new (float, O);
  g_autofree float *scale = g_new (float, O), *beta = g_new (float, O);
  g_autofree float *slope = g_new (float, O), *residual = g_new (float, n_out);
  float *want[3], *got[3];   /* the convolution's buffer, out, act_out */
  GabnBnEpilogue e[2];

  gabn_conv_shape_init (&s, C, H, H, O, 1, 1, 0);
  for (gsize i = 0; i < n_in; i++)
    in[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) O * C; i++)
    weight[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < n_out; i++)
    residual[i] = g_rand_double_range (rand, -1, 1);
  for (int o = 0; o < O; o++)
    {
      bias[o] = g_rand_double_range (rand, -1, 1);
      mean[o] = g_rand_double_range (rand, -1, 1);
      scale[o] = g_rand_double_range (rand, 0.5, 2);
      beta[o] = g_rand_double_range (rand, -1, 1);
      slope[o] = g_rand_double_range (rand, -0.5, 0.5);
    }
  gabn_pack_a (packed, weight, O, C, C);
  for (int k = 0; k < 3; k++)
    {
      want[k] = g_new (float, n_out);
      got[k] = g_new (float, n_out);
      for (gsize i = 0; i < n_out; i++)
        want[k][i] = got[k][i] = 1234.0f;   /* what is not written must stay */
    }
  for (int v = 0; v < 2; v++)
    {
      float **buf = v ? got : want;

      e[v] = (GabnBnEpilogue) { .mean = mean, .scale = scale, .beta = beta,
                                .relu = form == 0 || form == 2, .out = buf[1] };
      if (form == 1 || form == 3)
        e[v].slope = slope;
      if (form == 2)
        e[v].residual = residual;
      if (form == 1)
        e[v] = (GabnBnEpilogue) { .mean = mean, .scale = scale, .beta = beta,
                                  .act_out = buf[0], .slope = slope };
      else if (form == 2 || form == 3)
        e[v].act_out = buf[2];
      if (form == 3)
        e[v].out = buf[0];
    }
  reference_pointwise (want[0], form == 4 ? NULL : &e[0], in, packed, bias, B, C, O, P);
  gabn_conv2d_forward_pointwise_packed (got[0], form == 4 ? NULL : &e[1], in, packed,
                                        bias, B, &s);
  for (int k = 0; k < 3; k++)
    g_assert_cmpmem (got[k], sizeof (float) * n_out, want[k], sizeof (float) * n_out);
  if (gabn_packed_gemm_set_avx512 (FALSE))
    {
      /* The AVX2 form (the epilogue in a pass of its own) gives the same. */
      for (int k = 0; k < 3; k++)
        for (gsize i = 0; i < n_out; i++)
          got[k][i] = 1234.0f;
      gabn_conv2d_forward_pointwise_packed (got[0], form == 4 ? NULL : &e[1], in, packed,
                                            bias, B, &s);
      gabn_packed_gemm_set_avx512 (TRUE);
      for (int k = 0; k < 3; k++)
        g_assert_cmpmem (got[k], sizeof (float) * n_out, want[k], sizeof (float) * n_out);
    }
  for (int k = 0; k < 3; k++)
    {
      g_free (want[k]);
      g_free (got[k]);
    }
  g_rand_free (rand);
}

/* The 1×1 layers' product with the bias, BatchNorm, ReLU, PReLU and
 * residual Add applied as the blocks leave the kernel, bit for bit against
 * the product followed by the separate epilogue, in every output
 * arrangement net-run uses, on shapes with partial row pairs (O = 20, 28),
 * partial column blocks (P = 4, 25, 36, 49, 196) and whole ones. */
static void
test_pointwise (void)
{
  if (!gabn_packed_gemm_available ())
    {
      g_test_skip ("this CPU has no AVX2 and FMA: the engine uses sgemm instead");
      return;
    }
  for (int threads = 1; threads <= 2; threads++)
    {
      gabn_set_threads (threads);
      for (int form = 0; form <= 4; form++)
        {
          check_pointwise (64, 8, 24, form);    /* whole 12 × 32 blocks */
          check_pointwise (16, 7, 20, form);    /* 8 rows past a pair; 49 columns */
          check_pointwise (32, 14, 28, form);   /* 4 rows past a pair; 196 columns */
          check_pointwise (8, 5, 13, form);     /* 25 columns: one 16-wide block */
          check_pointwise (16, 2, 20, form);    /* 4 columns: an 8-column block */
          check_pointwise (16, 6, 4, form);     /* 36 = 32 + 4 columns; 4 rows */
        }
    }
}

/* A grouped 3×3 layer with its BatchNorm and PReLU writing its output into
 * the 1×1 kernel's panels, and the 1×1 layer with its BatchNorm and
 * residual Add reading them (gabn-net-run.c, image by image): the same
 * bits as the grouped layer into its plane and the 1×1 layer copying it.
 * Planes of one partial vector, of a partial last panel and of whole
 * ones; depthwise and groups of 2. */
static void
check_panel_pair (int C, int H, int W, int groups, int O)
{
  int P = H * W, Cg = C / groups;
  GabnConvShape sg, sp;
  GRand *rand = g_rand_new_with_seed (C * 7 + H * 5 + W * 3 + groups);
  g_autofree float *in = g_new (float, (gsize) C * P), *wg = g_new (float, (gsize) C * Cg * 9);
  g_autofree float *wp = g_new (float, (gsize) O * C), *packed = g_new (float, gabn_packed_floats (O, C));
  g_autofree float *mean = g_new (float, C + O), *scale = g_new (float, C + O);
  g_autofree float *beta = g_new (float, C + O), *slope = g_new (float, C);
  g_autofree float *mid = g_new (float, (gsize) C * P), *residual = g_new (float, (gsize) O * P);
  g_autofree float *want = g_new (float, (gsize) O * P), *got = g_new (float, (gsize) O * P);
  g_autofree float *panels = g_aligned_alloc0 ((gsize) C * ((P + 31) / 32 * 32), sizeof (float), 64);
  GabnBnEpilogue eg, ep;

  gabn_conv_shape_init (&sg, C, H, W, C, 3, 1, 1);
  gabn_conv_shape_init (&sp, C, H, W, O, 1, 1, 0);
  for (gsize i = 0; i < (gsize) C * P; i++)
    in[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) C * Cg * 9; i++)
    wg[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) O * C; i++)
    wp[i] = g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) O * P; i++)
    residual[i] = g_rand_double_range (rand, -1, 1);
  for (int o = 0; o < C + O; o++)
    {
      mean[o] = g_rand_double_range (rand, -1, 1);
      scale[o] = g_rand_double_range (rand, 0.5, 2);
      beta[o] = g_rand_double_range (rand, -1, 1);
      if (o < C)
        slope[o] = g_rand_double_range (rand, -0.5, 0.5);
    }
  gabn_pack_a (packed, wp, O, C, C);
  eg = (GabnBnEpilogue) { .mean = mean, .scale = scale, .beta = beta, .act_out = mid,
                          .slope = slope };
  ep = (GabnBnEpilogue) { .mean = mean + C, .scale = scale + C, .beta = beta + C,
                          .act_out = want, .residual = residual };
  gabn_conv2d_grouped_forward_bn (mid, &eg, in, wg, NULL, 1, &sg, groups);
  gabn_conv2d_forward_pointwise_packed (want, &ep, mid, packed, NULL, 1, &sp);
  g_assert_true (gabn_conv2d_grouped_panels_apply (&sg));
  gabn_conv2d_grouped_forward_panels (panels, &eg, in, wg, NULL, &sg, groups);
  /* Every value where the copy would put it. */
  for (int c = 0; c < C; c++)
    for (int n = 0; n < P; n++)
      g_assert_cmpmem (&panels[((gsize) n / 32 * C + c) * 32 + n % 32], sizeof (float),
                       &mid[(gsize) c * P + n], sizeof (float));
  ep.act_out = got;
  gabn_conv2d_forward_pointwise_panels (got, &ep, panels, packed, NULL, &sp);
  g_assert_cmpmem (got, sizeof (float) * O * P, want, sizeof (float) * O * P);
  g_rand_free (rand);
}

static void
test_panel_pair (void)
{
  if (!gabn_packed_gemm_avx512 ())
    {
      g_test_skip ("this CPU has no AVX-512: net-run copies the 1×1 layers' input");
      return;
    }
  check_panel_pair (16, 7, 7, 16, 24);    /* 49: a 17-column last panel */
  check_panel_pair (64, 14, 14, 64, 20);  /* 196: 6 panels and 4 columns */
  check_panel_pair (8, 3, 19, 4, 12);     /* groups of 2, a 57-column plane */
  check_panel_pair (8, 8, 8, 8, 8);       /* whole panels */
  check_panel_pair (4, 2, 5, 4, 6);       /* one partial vector */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/packed-gemm/shapes", test_shapes);
  g_test_add_func ("/engine/packed-gemm/conv", test_conv);
  g_test_add_func ("/engine/packed-gemm/pointwise", test_pointwise);
  g_test_add_func ("/engine/packed-gemm/panel-pair", test_panel_pair);
  return g_test_run ();
}
