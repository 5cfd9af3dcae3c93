/* test-winograd.c: the Winograd convolution against a direct convolution in
 * double precision (odd and even sizes, tiles cut by the border, several
 * chunks, bias, the fused eval-mode BatchNorm and ReLU), and against the
 * im2col path the rest of the engine uses, forward and backward. */
#include "gabn-engine.h"
#include "gabn-layers.h"
#include "gabn-packed-gemm.h"
#include "gabn-winograd.h"

#include <math.h>
#include <string.h>

static void
direct_conv (double *out, const float *in, const float *w, const float *bias,
             int B, const GabnConvShape *s)
{
  for (int b = 0; b < B; b++)
    for (int o = 0; o < s->out_c; o++)
      for (int y = 0; y < s->out_h; y++)
        for (int x = 0; x < s->out_w; x++)
          {
            double acc = bias ? bias[o] : 0.0;

            for (int c = 0; c < s->in_c; c++)
              for (int ki = 0; ki < 3; ki++)
                for (int kj = 0; kj < 3; kj++)
                  {
                    int iy = y - 1 + ki, ix = x - 1 + kj;

                    if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                      continue;
                    acc += (double) in[((b * s->in_c + c) * s->in_h + iy) * s->in_w + ix]
                           * w[((o * s->in_c + c) * 3 + ki) * 3 + kj];
                  }
            out[((b * s->out_c + o) * s->out_h + y) * s->out_w + x] = acc;
          }
}

static void
fill (float *x, gsize n, GRand *rand)
{
  for (gsize i = 0; i < n; i++)
    x[i] = g_rand_double_range (rand, -1, 1);
}

/* max |a − ref| / max |ref| */
static double
rel_error (const float *a, const double *ref, gsize n)
{
  double diff = 0, scale = 1e-30;

  for (gsize i = 0; i < n; i++)
    {
      diff = MAX (diff, fabs (a[i] - ref[i]));
      scale = MAX (scale, fabs (ref[i]));
    }
  return diff / scale;
}

/* The transforms in AVX-512 against their loops (the switch off): the
 * same bits. A no-op where the CPU has no AVX-512. */
static void
check_loops_bits (const float *out, gsize n_out, float *scratch, const float *in,
                  const float *U, const float *U_packed, const float *bias, int B,
                  const GabnConvShape *s, float *work)
{
  gboolean was;

  if (!gabn_packed_gemm_avx512 ())
    return;
  was = gabn_packed_gemm_set_avx512 (FALSE);
  gabn_winograd_forward (scratch, NULL, in, U, U_packed, bias, B, s, work);
  gabn_packed_gemm_set_avx512 (was);
  g_assert_cmpmem (out, n_out * sizeof (float), scratch, n_out * sizeof (float));
}

static void
check_shape (int B, int C, int O, int H, int W, gboolean with_bias)
{
  GabnConvShape s;
  GRand *rand = g_rand_new_with_seed (C * 1000 + H);
  gsize n_in, n_out;
  float *in, *w, *bias = NULL, *U, *work, *out, *im2col_out, *im2col_work;
  double *ref;

  gabn_conv_shape_init (&s, C, H, W, O, 3, 1, 1);
  g_assert_true (gabn_winograd_applies (&s));
  n_in = (gsize) B * C * H * W;
  n_out = (gsize) B * O * H * W;
  in = g_new (float, n_in);
  w = g_new (float, (gsize) O * C * 9);
  fill (in, n_in, rand);
  fill (w, (gsize) O * C * 9, rand);
  if (with_bias)
    {
      bias = g_new (float, O);
      fill (bias, O, rand);
    }
  U = g_new (float, gabn_winograd_weight_floats (&s));
  work = g_new (float, gabn_winograd_workspace_floats (&s, B));
  out = g_new (float, n_out);
  ref = g_new (double, n_out);

  gabn_winograd_transform_weights (U, w, &s);
  gabn_winograd_forward (out, NULL, in, U, NULL, bias, B, &s, work);
  direct_conv (ref, in, w, bias, B, &s);
  g_test_message ("B %d C %d O %d %d×%d: max relative error %.2e", B, C, O, H, W,
                  rel_error (out, ref, n_out));
  g_assert_cmpfloat (rel_error (out, ref, n_out), <, 1e-5);
  im2col_out = g_new (float, n_out);
  check_loops_bits (out, n_out, im2col_out, in, U, NULL, bias, B, &s, work);

  /* The packed-weights products (eval mode; training's too) as well. */
  if (gabn_packed_gemm_available ())
    {
      g_autofree float *packed = g_new (float, gabn_winograd_packed_floats (&s));

      gabn_winograd_pack_weights (packed, U, &s);
      gabn_winograd_forward (out, NULL, in, U, packed, bias, B, &s, work);
      g_assert_cmpfloat (rel_error (out, ref, n_out), <, 1e-5);
      check_loops_bits (out, n_out, im2col_out, in, U, packed, bias, B, &s, work);
    }

  /* The im2col path gives the same numbers to float rounding. */
  im2col_work = g_new (float, gabn_conv_workspace_floats (&s, B));
  gabn_conv2d_forward (im2col_out, in, w, bias, B, &s, im2col_work);
  for (gsize i = 0; i < n_out; i++)
    g_assert_cmpfloat_with_epsilon (out[i], im2col_out[i], 1e-4);

  g_free (in); g_free (w); g_free (bias); g_free (U); g_free (work);
  g_free (out); g_free (ref); g_free (im2col_out); g_free (im2col_work);
  g_rand_free (rand);
}

static void
test_shapes (void)
{
  check_shape (1, 16, 16, 8, 8, FALSE);
  check_shape (2, 16, 24, 7, 5, TRUE);     /* odd: tiles cut by the border */
  check_shape (3, 32, 16, 2, 3, FALSE);    /* one tile row */
  check_shape (4, 64, 64, 32, 32, FALSE);  /* gabn-s layer */
  check_shape (40, 64, 64, 32, 32, TRUE);  /* several chunks */
  check_shape (2, 256, 256, 8, 8, FALSE);
  check_shape (1, 256, 128, 14, 14, TRUE);  /* iresnet's 14 × 14: wide packed form */
  check_shape (1, 64, 64, 30, 30, FALSE);   /* 225 tiles: wide form, partial block */
  /* Planes of more than 1024 tiles go band by band on packed weights, the
   * two threads each in a slot of the workspace. */
  check_shape (1, 64, 64, 66, 66, TRUE);    /* 33 bands of 33 tiles */
  check_shape (2, 128, 64, 66, 61, TRUE);   /* wide form; partial tiles; 2 images */
}

/* The BatchNorm + ReLU epilogue in the output transform (packed: on packed
 * weights, band by band on planes of more than 256 tiles). */
static void
check_fused (int B, int C, int O, int H, int W, gboolean packed)
{
  GabnConvShape s;
  GRand *rand = g_rand_new_with_seed (7);
  gsize n_out = (gsize) B * O * H * W;
  g_autofree float *in = g_new (float, (gsize) B * C * H * W);
  g_autofree float *w = g_new (float, (gsize) O * C * 9);
  g_autofree float *mean = g_new (float, O);
  g_autofree float *scale = g_new (float, O);
  g_autofree float *beta = g_new (float, O);
  g_autofree float *U = NULL, *work = NULL;
  g_autofree float *out = g_new (float, n_out);
  g_autofree float *bn = g_new (float, n_out);
  g_autofree double *ref = g_new (double, n_out);

  gabn_conv_shape_init (&s, C, H, W, O, 3, 1, 1);
  fill (in, (gsize) B * C * H * W, rand);
  fill (w, (gsize) O * C * 9, rand);
  fill (mean, O, rand);
  fill (scale, O, rand);
  fill (beta, O, rand);
  U = g_new (float, gabn_winograd_weight_floats (&s));
  work = g_new (float, gabn_winograd_workspace_floats (&s, B));
  gabn_winograd_transform_weights (U, w, &s);
  {
    GabnBnEpilogue e = { .out = bn, .mean = mean, .scale = scale, .beta = beta, .relu = TRUE };

    g_autofree float *U_packed = NULL;

    if (packed)
      {
        U_packed = g_new (float, gabn_winograd_packed_floats (&s));
        gabn_winograd_pack_weights (U_packed, U, &s);
      }
    gabn_winograd_forward (out, &e, in, U, U_packed, NULL, B, &s, work);
  }
  direct_conv (ref, in, w, NULL, B, &s);
  for (gsize i = 0; i < n_out; i++)
    {
      int o = (int) (i / (H * W)) % O;
      double want = MAX (0.0, (ref[i] - mean[o]) * scale[o] + beta[o]);

      g_assert_cmpfloat_with_epsilon (out[i], ref[i], 1e-4);
      g_assert_cmpfloat_with_epsilon (bn[i], want, 1e-4);
    }
  g_rand_free (rand);
}

static void
test_fused_batchnorm (void)
{
  check_fused (3, 16, 20, 9, 6, FALSE);
  if (gabn_packed_gemm_available ())
    {
      check_fused (1, 16, 64, 70, 65, TRUE);  /* band by band: 35 bands */
      check_fused (2, 16, 20, 9, 6, TRUE);
    }
}

/* d_in += ∂/∂in, against the im2col backward: accumulates, any shape. */
static void
check_backward (int B, int C, int O, int H, int W)
{
  GabnConvShape s;
  GRand *rand = g_rand_new_with_seed (O * 31 + W);
  gsize n_in = (gsize) B * C * H * W, n_out = (gsize) B * O * H * W;
  g_autofree float *d_out = g_new (float, n_out);
  g_autofree float *in = g_new0 (float, n_in);
  g_autofree float *w = g_new (float, (gsize) O * C * 9);
  g_autofree float *d_in = g_new (float, n_in);
  g_autofree float *want = g_new (float, n_in);
  g_autofree float *U = NULL, *work = NULL, *im2col_work = NULL;
  double worst = 0, scale = 0;

  gabn_conv_shape_init (&s, C, H, W, O, 3, 1, 1);
  fill (d_out, n_out, rand);
  fill (w, (gsize) O * C * 9, rand);
  fill (d_in, n_in, rand);            /* something to accumulate into */
  memcpy (want, d_in, n_in * sizeof (float));
  U = g_new (float, gabn_winograd_weight_floats (&s));
  work = g_new (float, gabn_winograd_workspace_floats (&s, B));
  im2col_work = g_new (float, gabn_conv_workspace_floats (&s, B));

  gabn_winograd_transform_weights_transposed (U, w, &s);
  gabn_winograd_backward_data (d_in, d_out, U, NULL, B, &s, work, TRUE);
  gabn_conv2d_backward (want, NULL, NULL, d_out, in, w, B, &s, im2col_work);
  for (gsize i = 0; i < n_in; i++)
    {
      worst = MAX (worst, fabs (d_in[i] - want[i]));
      scale = MAX (scale, fabs (want[i]));
    }
  g_test_message ("backward B %d C %d O %d %d×%d: max relative difference %.2e",
                  B, C, O, H, W, worst / scale);
  g_assert_cmpfloat (worst / scale, <, 1e-5);

  /* Written (not accumulated): every element, with the bits of adding to
   * zeros (the interpreter's first writer of a gradient skips the zeroing). */
  memset (want, 0, n_in * sizeof (float));
  gabn_winograd_backward_data (want, d_out, U, NULL, B, &s, work, TRUE);
  for (gsize i = 0; i < n_in; i++)
    d_in[i] = NAN;
  gabn_winograd_backward_data (d_in, d_out, U, NULL, B, &s, work, FALSE);
  g_assert_cmpmem (d_in, n_in * sizeof (float), want, n_in * sizeof (float));

  /* Added by the AVX-512 transforms as by their loops: the same bits. */
  if (gabn_packed_gemm_avx512 ())
    {
      gboolean was = gabn_packed_gemm_set_avx512 (FALSE);

      memset (want, 0, n_in * sizeof (float));
      gabn_winograd_backward_data (want, d_out, U, NULL, B, &s, work, TRUE);
      gabn_packed_gemm_set_avx512 (was);
      g_assert_cmpmem (d_in, n_in * sizeof (float), want, n_in * sizeof (float));
    }

  /* On packed weights (training's products; band by band for batches with
   * bands enough for the threads): im2col's numbers to float rounding. */
  if (gabn_packed_gemm_available ())
    {
      g_autofree float *packed = g_new (float, gabn_winograd_packed_transposed_floats (&s));

      memset (d_in, 0, n_in * sizeof (float));
      memset (want, 0, n_in * sizeof (float));
      gabn_winograd_backward_data (d_in, d_out, U, packed, B, &s, work, TRUE);
      gabn_conv2d_backward (want, NULL, NULL, d_out, in, w, B, &s, im2col_work);
      worst = scale = 0;
      for (gsize i = 0; i < n_in; i++)
        {
          worst = MAX (worst, fabs (d_in[i] - want[i]));
          scale = MAX (scale, fabs (want[i]));
        }
      g_test_message ("backward on packed weights: max relative difference %.2e",
                      worst / scale);
      g_assert_cmpfloat (worst / scale, <, 1e-5);
    }
  g_rand_free (rand);
}

static void
test_backward (void)
{
  check_backward (1, 16, 24, 8, 8);
  check_backward (2, 24, 16, 7, 5);
  check_backward (40, 64, 64, 32, 32);
  check_backward (2, 256, 128, 8, 8);
}

/* d_weight += ∂/∂weight, against the im2col backward: accumulates, odd
 * and even sizes, several chunks (40 images of 64 × 32 × 32). */
static void
check_backward_weights (int B, int C, int O, int H, int W)
{
  GabnConvShape s;
  GRand *rand = g_rand_new_with_seed (C * 17 + H);
  gsize n_in = (gsize) B * C * H * W, n_out = (gsize) B * O * H * W, n_w = (gsize) O * C * 9;
  g_autofree float *d_out = g_new (float, n_out);
  g_autofree float *in = g_new (float, n_in);
  g_autofree float *w = g_new (float, n_w);
  g_autofree float *d_w = g_new (float, n_w);
  g_autofree float *want = g_new (float, n_w);
  g_autofree float *D = NULL, *work = NULL, *im2col_work = NULL;
  double worst = 0, scale = 0;

  gabn_conv_shape_init (&s, C, H, W, O, 3, 1, 1);
  fill (d_out, n_out, rand);
  fill (in, n_in, rand);
  fill (w, n_w, rand);
  fill (d_w, n_w, rand);              /* something to accumulate into */
  memcpy (want, d_w, n_w * sizeof (float));
  D = g_new (float, gabn_winograd_weight_grad_floats (&s));
  work = g_new (float, gabn_winograd_workspace_floats (&s, B));
  im2col_work = g_new (float, gabn_conv_workspace_floats (&s, B));

  gabn_winograd_backward_weights (d_w, d_out, in, B, &s, work, D);
  gabn_conv2d_backward (NULL, want, NULL, d_out, in, w, B, &s, im2col_work);
  for (gsize i = 0; i < n_w; i++)
    {
      worst = MAX (worst, fabs (d_w[i] - want[i]));
      scale = MAX (scale, fabs (want[i]));
    }
  g_test_message ("weight gradient B %d C %d O %d %d×%d: max relative difference %.2e",
                  B, C, O, H, W, worst / scale);
  g_assert_cmpfloat (worst / scale, <, 1e-5);

  /* The same bits on one thread and on three (each thread takes whole
   * products of the 16 positions). */
  {
    int threads = gabn_get_threads ();
    g_autofree float *one = g_new0 (float, n_w);
    g_autofree float *three = g_new0 (float, n_w);

    gabn_set_threads (1);
    gabn_winograd_backward_weights (one, d_out, in, B, &s, work, D);
    gabn_set_threads (3);
    gabn_winograd_backward_weights (three, d_out, in, B, &s, work, D);
    gabn_set_threads (threads);
    g_assert_cmpmem (one, n_w * sizeof (float), three, n_w * sizeof (float));
  }
  g_rand_free (rand);
}

static void
test_backward_weights (void)
{
  check_backward_weights (1, 16, 24, 8, 8);
  check_backward_weights (2, 24, 16, 7, 5);
  check_backward_weights (3, 16, 16, 1, 9);
  check_backward_weights (40, 64, 64, 32, 32);
  check_backward_weights (2, 256, 128, 8, 8);
}

static void
test_applies (void)
{
  GabnConvShape s;

  gabn_conv_shape_init (&s, 3, 64, 64, 32, 3, 1, 1);   /* the stem */
  g_assert_false (gabn_winograd_applies (&s));
  gabn_conv_shape_init (&s, 32, 64, 64, 64, 3, 2, 1);  /* stride 2 */
  g_assert_false (gabn_winograd_applies (&s));
  gabn_conv_shape_init (&s, 64, 32, 32, 64, 1, 1, 0);  /* 1×1 */
  g_assert_false (gabn_winograd_applies (&s));
  gabn_conv_shape_init (&s, 64, 32, 32, 64, 3, 1, 1);
  g_assert_true (gabn_winograd_applies (&s));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gabn_set_threads (2);
  g_test_add_func ("/engine/winograd/shapes", test_shapes);
  g_test_add_func ("/engine/winograd/fused-batchnorm", test_fused_batchnorm);
  g_test_add_func ("/engine/winograd/backward", test_backward);
  g_test_add_func ("/engine/winograd/backward-weights", test_backward_weights);
  g_test_add_func ("/engine/winograd/applies", test_applies);
  return g_test_run ();
}
