/* test-layers.c: every layer's forward against a naive or hand-computed
 * reference, and its backward against finite differences (NMSE, inputs kept
 * away from ReLU/max kinks). The test loss is Σ r·y with a fixed random r,
 * so d(loss)/dy = r. Runs with 2 threads to exercise the parallel paths. */
#include "gabn-engine.h"
#include "gabn-layers.h"
#include "gabn-margin.h"
#include "gabn-packed-gemm.h"
#include "gradcheck.h"

#include <math.h>
#include <string.h>

#define TOL 1e-4

typedef struct {
  int B, C, H, W;
  float *x, *x2, *w, *b, *y, *r;
  gsize nx, ny;
  GabnConvShape conv;
  float *work;
  float *mean, *rstd, *rmean, *rvar;
  gboolean training;
  int k, stride, pad;
  int *argmax;
  float p;
  GabnMarginConfig margin;
  int *labels;
  int N, D;
} Case;

static float *
randn (GRand *rand, gsize n, double lo, double hi)
{
  float *x = g_new (float, n);

  gradcheck_fill (x, n, rand, lo, hi);
  return x;
}

/* ---- Conv2d ----------------------------------------------------------- */

static void
naive_conv (double *out, const float *in, const float *w, const float *bias,
            int B, const GabnConvShape *s)
{
  for (int b = 0; b < B; b++)
    for (int o = 0; o < s->out_c; o++)
      for (int oy = 0; oy < s->out_h; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
          {
            double acc = bias ? bias[o] : 0;
            for (int c = 0; c < s->in_c; c++)
              for (int ki = 0; ki < s->kernel; ki++)
                for (int kj = 0; kj < s->kernel; kj++)
                  {
                    int iy = oy * s->stride - s->pad + ki, ix = ox * s->stride - s->pad + kj;
                    if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                      continue;
                    acc += (double) in[((b * s->in_c + c) * s->in_h + iy) * s->in_w + ix]
                           * w[((o * s->in_c + c) * s->kernel + ki) * s->kernel + kj];
                  }
            out[((b * s->out_c + o) * s->out_h + oy) * s->out_w + ox] = acc;
          }
}

static double
conv_loss (gpointer data)
{
  Case *c = data;

  gabn_conv2d_forward (c->y, c->x, c->w, c->b, c->B, &c->conv, c->work);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static void
check_conv (int B, int C, int H, int W, int O, int k, int stride, int pad,
            gboolean bias)
{
  GRand *rand = g_rand_new_with_seed (B * 1000 + C * 100 + k * 10 + stride);
  Case c = { .B = B };
  gsize nw = (gsize) O * C * k * k;
  g_autofree double *ref = NULL;
  g_autofree float *dx = NULL, *dw = NULL, *db = NULL;
  g_autofree char *name = g_strdup_printf ("conv %dx%d s%d p%d%s", k, k, stride, pad,
                                           bias ? " bias" : "");
  double max_err = 0;

  gabn_conv_shape_init (&c.conv, C, H, W, O, k, stride, pad);
  c.nx = (gsize) B * C * H * W;
  c.ny = (gsize) B * O * c.conv.out_h * c.conv.out_w;
  c.x = randn (rand, c.nx, -1, 1);
  c.w = randn (rand, nw, -0.5, 0.5);
  c.b = bias ? randn (rand, O, -0.5, 0.5) : NULL;
  c.r = randn (rand, c.ny, -1, 1);
  c.y = g_new (float, c.ny);
  c.work = g_new (float, gabn_conv_workspace_floats (&c.conv, B));
  ref = g_new (double, c.ny);

  conv_loss (&c);
  naive_conv (ref, c.x, c.w, c.b, B, &c.conv);
  for (gsize i = 0; i < c.ny; i++)
    max_err = MAX (max_err, fabs (ref[i] - c.y[i]));
  g_assert_cmpfloat (max_err, <, 1e-4);

  dx = g_new0 (float, c.nx);
  dw = g_new0 (float, nw);
  db = g_new0 (float, O);
  gabn_conv2d_backward (dx, dw, bias ? db : NULL, c.r, c.x, c.w, B, &c.conv, c.work);
  gradcheck (name, c.x, dx, c.nx, conv_loss, &c, 1e-3f, 200, TOL);
  gradcheck (name, c.w, dw, nw, conv_loss, &c, 1e-3f, 200, TOL);
  if (bias)
    gradcheck (name, c.b, db, O, conv_loss, &c, 1e-3f, 200, TOL);

  g_rand_free (rand);
  g_free (c.x); g_free (c.w); g_free (c.b); g_free (c.r); g_free (c.y); g_free (c.work);
}

static void
test_conv (void)
{
  check_conv (2, 3, 7, 6, 4, 3, 1, 1, TRUE);
  check_conv (3, 5, 8, 8, 6, 3, 2, 1, FALSE);
  check_conv (2, 4, 6, 6, 5, 1, 2, 0, FALSE);
  check_conv (2, 4, 5, 5, 3, 1, 1, 0, TRUE);
  /* 1×1 stride 1 over a batch: one single-threaded product per image */
  check_conv (8, 7, 5, 3, 9, 1, 1, 0, TRUE);
  check_conv (3, 6, 4, 7, 5, 1, 1, 0, FALSE);
  check_conv (2, 5, 11, 13, 300, 1, 1, 0, TRUE);  /* columns in blocks of 96, a partial one */
  check_conv (6, 3, 31, 29, 4, 3, 2, 1, TRUE);    /* the backward's lanes, 16 × 15 outputs */
  check_conv (1, 2, 9, 9, 3, 5, 1, 2, FALSE);
  /* dlib's "valid" stride-2 convolutions, which leave the last row and
   * column out: a 7×7 stem and 3×3 down blocks. */
  check_conv (2, 3, 16, 16, 4, 7, 2, 0, TRUE);
  check_conv (1, 4, 8, 8, 3, 3, 2, 0, TRUE);
  check_conv (1, 3, 35, 35, 2, 3, 2, 0, TRUE);
}

/* ---- Grouped / depthwise Conv2d ------------------------------------- */

static int grouped_groups;

static void
naive_conv_grouped (double *out, const float *in, const float *w,
                    const float *bias, int B, const GabnConvShape *s, int groups)
{
  int Cg = s->in_c / groups, Og = s->out_c / groups;

  for (int b = 0; b < B; b++)
    for (int o = 0; o < s->out_c; o++)
      for (int oy = 0; oy < s->out_h; oy++)
        for (int ox = 0; ox < s->out_w; ox++)
          {
            double acc = bias ? bias[o] : 0;
            for (int c = 0; c < Cg; c++)
              for (int ki = 0; ki < s->kernel; ki++)
                for (int kj = 0; kj < s->kernel; kj++)
                  {
                    int iy = oy * s->stride - s->pad + ki, ix = ox * s->stride - s->pad + kj;
                    int ic = o / Og * Cg + c;
                    if (iy < 0 || iy >= s->in_h || ix < 0 || ix >= s->in_w)
                      continue;
                    acc += (double) in[((b * s->in_c + ic) * s->in_h + iy) * s->in_w + ix]
                           * w[((o * Cg + c) * s->kernel + ki) * s->kernel + kj];
                  }
            out[((b * s->out_c + o) * s->out_h + oy) * s->out_w + ox] = acc;
          }
}

static double
conv_grouped_loss (gpointer data)
{
  Case *c = data;

  gabn_conv2d_grouped_forward (c->y, c->x, c->w, c->b, c->B, &c->conv, grouped_groups);
  return gradcheck_dot (c->r, c->y, c->ny);
}

/* The fused eval-mode epilogue of a grouped convolution in each
 * arrangement the net's passes use (gabn-net-run.c: outputs kept or
 * computed in place, PReLU or residual Add) against the plain convolution
 * y followed by gabn_bn_epilogue_row, bit for bit. On AVX-512 the 3×3
 * forms apply it in registers. */
static void
check_grouped_epilogues (const Case *c, int groups, const float *mean, const float *scale,
                         const float *beta, GRand *rand)
{
  int O = c->conv.out_c, P = c->conv.out_h * c->conv.out_w;
  g_autofree float *slope = randn (rand, O, -0.5, 0.5);
  g_autofree float *residual = randn (rand, c->ny, -1, 1);

  for (int arr = 0; arr < 6; arr++)
    {
      g_autofree float *conv = g_new0 (float, c->ny), *out = g_new0 (float, c->ny);
      g_autofree float *act = g_new0 (float, c->ny), *want = g_memdup2 (c->y, c->ny * sizeof (float));
      g_autofree float *want_out = g_new0 (float, c->ny), *want_act = g_new0 (float, c->ny);
      gboolean prelu = arr == 0 || arr == 1, add = arr == 2 || arr == 4;
      gboolean act_in_place = arr == 1 || arr == 4, out_in_place = arr == 3;
      GabnBnEpilogue e = {
        .mean = mean, .scale = scale, .beta = beta, .relu = arr == 5,
        .slope = prelu ? slope : NULL, .residual = add ? residual : NULL,
      };
      GabnBnEpilogue w = e;

      /* 0: PReLU, all kept; 1: PReLU in place; 2: Add, all kept; 3: the
       * BatchNorm in place; 4: Add in place; 5: ReLU, out kept. */
      e.out = out_in_place ? conv : act_in_place ? NULL : out;
      w.out = out_in_place ? want : act_in_place ? NULL : want_out;
      if (prelu || add)
        {
          e.act_out = act_in_place ? conv : act;
          w.act_out = act_in_place ? want : want_act;
        }
      gabn_conv2d_grouped_forward_bn (conv, &e, c->x, c->w, c->b, c->B, &c->conv, groups);
      for (int p = 0; p < c->B * O; p++)
        gabn_bn_epilogue_row (&w, (gsize) p * P, p % O, want + (gsize) p * P, P);
      g_assert_cmpmem (conv, c->ny * sizeof (float), want, c->ny * sizeof (float));
      g_assert_cmpmem (out, c->ny * sizeof (float), want_out, c->ny * sizeof (float));
      g_assert_cmpmem (act, c->ny * sizeof (float), want_act, c->ny * sizeof (float));
    }
}

/* Against a double-precision direct convolution, the fused eval-mode
 * BatchNorm against the layer's own arithmetic, backward by finite
 * differences. */
static void
check_conv_grouped (int B, int C, int H, int W, int O, int k, int stride, int pad,
                    int groups, gboolean bias)
{
  GRand *rand = g_rand_new_with_seed (B * 1000 + C * 100 + k * 10 + stride + groups);
  Case c = { .B = B };
  gsize nw = (gsize) O * (C / groups) * k * k;
  g_autofree double *ref = NULL;
  g_autofree float *dx = NULL, *dw = NULL, *db = NULL, *bn = NULL, *y2 = NULL;
  g_autofree float *mean = NULL, *scale = NULL, *beta = NULL;
  g_autofree char *name = g_strdup_printf ("grouped conv %dx%d s%d p%d g%d%s", k, k, stride,
                                           pad, groups, bias ? " bias" : "");
  double max_err = 0;
  int P;

  grouped_groups = groups;
  gabn_conv_shape_init (&c.conv, C, H, W, O, k, stride, pad);
  P = c.conv.out_h * c.conv.out_w;
  c.nx = (gsize) B * C * H * W;
  c.ny = (gsize) B * O * P;
  c.x = randn (rand, c.nx, -1, 1);
  c.w = randn (rand, nw, -0.5, 0.5);
  c.b = bias ? randn (rand, O, -0.5, 0.5) : NULL;
  c.r = randn (rand, c.ny, -1, 1);
  c.y = g_new (float, c.ny);
  ref = g_new (double, c.ny);

  conv_grouped_loss (&c);
  naive_conv_grouped (ref, c.x, c.w, c.b, B, &c.conv, groups);
  for (gsize i = 0; i < c.ny; i++)
    max_err = MAX (max_err, fabs (ref[i] - c.y[i]));
  g_assert_cmpfloat (max_err, <, 1e-5);
  if (P == 1 && pad == 0)
    /* A kernel over the whole map (GDC): the bias, then each input
     * channel's taps in order, a multiply and an add each, bit for bit. */
    for (int b = 0; b < B; b++)
      for (int o = 0; o < O; o++)
        {
          int Cg = C / groups, g = o / (O / groups);
          float acc = bias ? c.b[o] : 0.0f;

          for (int cc = 0; cc < Cg; cc++)
            for (int t = 0; t < k * k; t++)
              acc += c.w[((gsize) o * Cg + cc) * k * k + t]
                     * c.x[(((gsize) b * C + g * Cg + cc) * H + t / k) * W + t % k];
          g_assert_cmpmem (&acc, sizeof acc, c.y + (gsize) b * O + o, sizeof acc);
        }
  if (gabn_packed_gemm_set_avx512 (FALSE))
    {
      /* This CPU ran the AVX-512 3×3 forms (in place, masked): the AVX2
       * form over the padded phase buffers gives the same bits. */
      g_autofree float *y_avx2 = g_new (float, c.ny);

      gabn_conv2d_grouped_forward (y_avx2, c.x, c.w, c.b, B, &c.conv, groups);
      gabn_packed_gemm_set_avx512 (TRUE);
      g_assert_cmpmem (y_avx2, c.ny * sizeof (float), c.y, c.ny * sizeof (float));
    }

  mean = randn (rand, O, -0.5, 0.5);
  scale = randn (rand, O, 0.5, 1.5);
  beta = randn (rand, O, -0.5, 0.5);
  bn = g_new (float, c.ny);
  y2 = g_new (float, c.ny);
  {
    GabnBnEpilogue e = { .out = bn, .mean = mean, .scale = scale, .beta = beta, .relu = TRUE };

    gabn_conv2d_grouped_forward_bn (y2, &e, c.x, c.w, c.b, B, &c.conv, groups);
  }
  g_assert_cmpmem (y2, c.ny * sizeof (float), c.y, c.ny * sizeof (float));
  check_grouped_epilogues (&c, groups, mean, scale, beta, rand);
  if (gabn_packed_gemm_set_avx512 (FALSE))
    {
      check_grouped_epilogues (&c, groups, mean, scale, beta, rand);
      gabn_packed_gemm_set_avx512 (TRUE);
    }
  for (int b = 0; b < B; b++)
    for (int o = 0; o < O; o++)
      {
        float row[P];

        gabn_bn_eval_row (row, c.y + ((gsize) b * O + o) * P, P, mean[o], scale[o], beta[o], TRUE);
        g_assert_cmpmem (row, sizeof row, bn + ((gsize) b * O + o) * P, sizeof row);
      }

  dx = g_new0 (float, c.nx);
  dw = g_new0 (float, nw);
  db = g_new0 (float, O);
  gabn_conv2d_grouped_backward (dx, dw, bias ? db : NULL, c.r, c.x, c.w, B, &c.conv, groups);
  gradcheck (name, c.x, dx, c.nx, conv_grouped_loss, &c, 1e-3f, 200, TOL);
  gradcheck (name, c.w, dw, nw, conv_grouped_loss, &c, 1e-3f, 200, TOL);
  if (bias)
    gradcheck (name, c.b, db, O, conv_grouped_loss, &c, 1e-3f, 200, TOL);

  g_rand_free (rand);
  g_free (c.x); g_free (c.w); g_free (c.b); g_free (c.r); g_free (c.y);
}

static void
test_conv_grouped (void)
{
  check_conv_grouped (2, 6, 9, 8, 6, 3, 1, 1, 6, TRUE);    /* depthwise */
  check_conv_grouped (2, 6, 9, 8, 6, 3, 2, 1, 6, FALSE);   /* depthwise, stride 2 */
  check_conv_grouped (2, 4, 7, 7, 4, 3, 2, 1, 4, FALSE);   /* odd size, stride 2 */
  check_conv_grouped (2, 8, 6, 5, 8, 3, 1, 1, 4, FALSE);   /* groups of 2 (mbf layers.1) */
  check_conv_grouped (3, 4, 7, 7, 4, 7, 1, 0, 4, FALSE);   /* GDC: 7×7 over the map */
  check_conv_grouped (2, 6, 5, 5, 3, 5, 1, 0, 3, TRUE);    /* the same, groups of 2 */
  /* 3×3 rows of one whole vector and a tail, of exactly one, of two */
  check_conv_grouped (1, 3, 5, 17, 3, 3, 1, 1, 3, TRUE);
  check_conv_grouped (2, 2, 4, 16, 2, 3, 1, 1, 2, FALSE);
  check_conv_grouped (1, 4, 9, 33, 4, 3, 2, 1, 4, TRUE);   /* stride 2, 17 columns */
  check_conv_grouped (1, 6, 3, 19, 3, 3, 1, 1, 3, FALSE);  /* groups of 2, 19 columns */
  check_conv_grouped (2, 6, 8, 8, 12, 3, 1, 1, 3, TRUE);   /* several outputs per group */
  check_conv_grouped (1, 3, 10, 11, 3, 5, 3, 2, 3, TRUE);  /* stride 3, k 5 */
  /* The AVX-512 forms: stride 1 in vectors across row ends (20 × 19), a
   * plane of one partial vector (7 × 7); stride 2 with two vectors per
   * output row, the second partial (40 × 37 → 20 × 19), and a run that
   * ends exactly at the row's end (64 × 64 → 32 × 32) */
  check_conv_grouped (2, 3, 20, 19, 3, 3, 1, 1, 3, TRUE);
  check_conv_grouped (1, 4, 7, 7, 4, 3, 1, 1, 4, TRUE);
  check_conv_grouped (1, 2, 40, 37, 2, 3, 2, 1, 2, TRUE);
  check_conv_grouped (1, 2, 64, 64, 2, 3, 2, 1, 2, FALSE);
  check_conv_grouped (1, 4, 24, 24, 4, 3, 1, 1, 2, TRUE);  /* groups of 2, 36 vectors */
}

/* Batches larger than one chunk (several sgemm calls) give the same result
 * image by image. */
/* A batch against its images one at a time: the forward and d_in give the
 * same bits, d_weight the same sums in another order. */
static void
check_batch_against_images (int B, int C, int H, int W, int O, int k, int stride, int pad)
{
  GRand *rand = g_rand_new_with_seed (4 + C);
  GabnConvShape s;
  g_autofree float *x = NULL, *w = NULL, *y = NULL, *y1 = NULL, *dy = NULL;
  g_autofree float *dx = NULL, *dx1 = NULL, *dw = NULL, *dw1 = NULL, *work = NULL;
  gsize nx, ny, nw;

  gabn_conv_shape_init (&s, C, H, W, O, k, stride, pad);
  nx = (gsize) B * C * H * W;
  ny = (gsize) B * O * s.out_h * s.out_w;
  nw = (gsize) O * C * k * k;
  x = randn (rand, nx, -1, 1);
  w = randn (rand, nw, -1, 1);
  dy = randn (rand, ny, -1, 1);
  y = g_new (float, ny);
  y1 = g_new (float, ny);
  dx = g_new0 (float, nx);
  dx1 = g_new0 (float, nx);
  dw = g_new0 (float, nw);
  dw1 = g_new0 (float, nw);
  work = g_new (float, gabn_conv_workspace_floats (&s, B));
  gabn_conv2d_forward (y, x, w, NULL, B, &s, work);
  gabn_conv2d_backward (dx, dw, NULL, dy, x, w, B, &s, work);
  for (int b = 0; b < B; b++)
    {
      gabn_conv2d_forward (y1 + (gsize) b * ny / B, x + (gsize) b * nx / B, w, NULL, 1, &s, work);
      gabn_conv2d_backward (dx1 + (gsize) b * nx / B, dw1, NULL, dy + (gsize) b * ny / B,
                            x + (gsize) b * nx / B, w, 1, &s, work);
    }
  g_assert_cmpmem (y, ny * 4, y1, ny * 4);
  g_assert_cmpmem (dx, nx * 4, dx1, nx * 4);
  for (gsize i = 0; i < nw; i++)
    g_assert_cmpfloat_with_epsilon (dw[i], dw1[i], 1e-2 * MAX (1, fabsf (dw[i])));
  g_rand_free (rand);
}

static void
test_conv_chunks (void)
{
  GabnConvShape s;

  /* The backward's lanes (gabn-conv.c): a plane of 128 × 128, image by
   * image, the workspace bounded */
  gabn_conv_shape_init (&s, 16, 128, 128, 8, 3, 1, 1);
  g_assert_cmpuint (gabn_conv_workspace_floats (&s, 3), <, (gsize) 3 * 144 * 16384 * 2);
  check_batch_against_images (3, 16, 128, 128, 8, 3, 1, 1);
  /* 1×1 layers in lanes, more images than lanes */
  check_batch_against_images (6, 32, 20, 20, 24, 1, 1, 0);
  /* Chunks of several images (13 × 13 planes: 10 images a chunk, three
   * chunks), and of one image each (columns larger than a chunk) */
  check_batch_against_images (23, 256, 13, 13, 16, 3, 1, 1);
  check_batch_against_images (2, 64, 96, 96, 4, 3, 1, 1);
}

/* The backward's bits do not depend on the number of threads: lanes with
 * their own sums (3×3 stride 2 on 16 × 15 outputs, 1×1) and chunks. */
static void
test_conv_backward_threads (void)
{
  static const int shapes[][8] = {
    /* B, C, H, W, O, k, stride, pad */
    { 6, 5, 31, 29, 7, 3, 2, 1 },
    { 6, 12, 15, 14, 9, 1, 1, 0 },
    { 5, 8, 9, 9, 6, 3, 2, 1 },
  };
  int threads = gabn_get_threads ();

  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const int *v = shapes[i];
      GRand *rand = g_rand_new_with_seed (40 + i);
      GabnConvShape s;
      gsize nx = (gsize) v[0] * v[1] * v[2] * v[3], nw = (gsize) v[4] * v[1] * v[5] * v[5];
      gsize ny;
      g_autofree float *x = NULL, *w = NULL, *dy = NULL, *work = NULL;
      float *dx[2], *dw[2];

      gabn_conv_shape_init (&s, v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
      ny = (gsize) v[0] * v[4] * s.out_h * s.out_w;
      x = randn (rand, nx, -1, 1);
      w = randn (rand, nw, -1, 1);
      dy = randn (rand, ny, -1, 1);
      work = g_new (float, gabn_conv_workspace_floats (&s, v[0]));
      for (int t = 0; t < 2; t++)
        {
          gabn_set_threads (t == 0 ? 1 : 3);
          dx[t] = g_new0 (float, nx);
          dw[t] = g_new0 (float, nw);
          gabn_conv2d_backward (dx[t], dw[t], NULL, dy, x, w, v[0], &s, work);
        }
      g_assert_cmpmem (dx[0], nx * 4, dx[1], nx * 4);
      g_assert_cmpmem (dw[0], nw * 4, dw[1], nw * 4);
      for (int t = 0; t < 2; t++)
        {
          g_free (dx[t]);
          g_free (dw[t]);
        }
      g_rand_free (rand);
    }
  gabn_set_threads (threads);
}

/* ---- BatchNorm -------------------------------------------------------- */

static double
bn_loss (gpointer data)
{
  Case *c = data;

  gabn_batchnorm_forward (c->y, c->mean, c->rstd, c->rmean, c->rvar, c->x, c->w,
                          c->b, c->B, c->C, c->H, 1e-5f, 0.1f, c->training, c->p > 0);
  return gradcheck_dot (c->r, c->y, c->ny);
}

/* relu: the fused BatchNorm + ReLU. */
static void
check_bn (int B, int C, int S, gboolean training, gboolean relu)
{
  GRand *rand = g_rand_new_with_seed (B * 100 + S + training + 10 * relu);
  Case c = { .B = B, .C = C, .H = S, .training = training, .p = relu ? 1.0f : 0.0f };
  g_autofree float *dx = NULL, *dg = NULL, *db = NULL;
  g_autofree char *name = g_strdup_printf ("batchnorm S=%d %s%s", S, training ? "train" : "eval",
                                           relu ? " relu" : "");

  c.nx = c.ny = (gsize) B * C * S;
  c.x = randn (rand, c.nx, -2, 3);
  c.w = randn (rand, C, 0.5, 1.5);
  c.b = randn (rand, C, -0.5, 0.5);
  c.r = randn (rand, c.ny, -1, 1);
  c.rmean = randn (rand, C, -0.5, 0.5);
  c.rvar = randn (rand, C, 0.5, 2);
  c.y = g_new (float, c.ny);
  c.mean = g_new (float, C);
  c.rstd = g_new (float, C);

  /* Forward by hand, and the running statistics update. */
  {
    g_autofree float *rm0 = g_memdup2 (c.rmean, C * 4);
    g_autofree float *rv0 = g_memdup2 (c.rvar, C * 4);

    bn_loss (&c);
    for (int ch = 0; ch < C; ch++)
      {
        double sum = 0, sq = 0, mean, var;
        gsize n = (gsize) B * S;
        for (int b = 0; b < B; b++)
          for (int i = 0; i < S; i++)
            sum += c.x[(b * C + ch) * S + i];
        mean = sum / n;
        for (int b = 0; b < B; b++)
          for (int i = 0; i < S; i++)
            sq += pow (c.x[(b * C + ch) * S + i] - mean, 2);
        var = sq / n;
        if (!training)
          {
            mean = rm0[ch];
            var = rv0[ch];
          }
        for (int b = 0; b < B; b++)
          for (int i = 0; i < S; i++)
            {
              gsize j = (b * C + ch) * S + i;
              double y = (c.x[j] - mean) / sqrt (var + 1e-5) * c.w[ch] + c.b[ch];
              if (relu)
                y = MAX (y, 0.0);
              g_assert_cmpfloat_with_epsilon (c.y[j], y, 1e-5);
            }
        if (training)
          {
            g_assert_cmpfloat_with_epsilon (c.rmean[ch], 0.9 * rm0[ch] + 0.1 * mean, 1e-6);
            g_assert_cmpfloat_with_epsilon (c.rvar[ch], 0.9 * rv0[ch] + 0.1 * sq / (n - 1), 1e-5);
          }
        else
          {
            g_assert_cmpfloat (c.rmean[ch], ==, rm0[ch]);
            g_assert_cmpfloat (c.rvar[ch], ==, rv0[ch]);
          }
      }
  }

  dx = g_new0 (float, c.nx);
  dg = g_new0 (float, C);
  db = g_new0 (float, C);
  if (relu) /* keep the ReLU kink out of the finite differences' reach */
    for (gsize i = 0; i < c.ny; i++)
      g_assert_true (fabsf (c.y[i]) == 0.0f || fabsf (c.y[i]) > 0.01f);
  gabn_batchnorm_backward (dx, dg, db, c.r, relu ? c.y : NULL, c.x, c.w, c.mean, c.rstd,
                           B, C, S, training, TRUE);
  {
    /* Written instead of accumulated: every element, with the bits of
     * adding to zeros (the interpreter's first writer skips the zeroing). */
    g_autofree float *written = g_new (float, c.nx);

    for (gsize i = 0; i < c.nx; i++)
      written[i] = NAN;
    gabn_batchnorm_backward (written, NULL, NULL, c.r, relu ? c.y : NULL, c.x, c.w,
                             c.mean, c.rstd, B, C, S, training, FALSE);
    g_assert_cmpmem (written, c.nx * sizeof (float), dx, c.nx * sizeof (float));
  }
  gradcheck (name, c.x, dx, c.nx, bn_loss, &c, 1e-3f, 200, TOL);
  gradcheck (name, c.w, dg, C, bn_loss, &c, 1e-3f, 200, TOL);
  gradcheck (name, c.b, db, C, bn_loss, &c, 1e-3f, 200, TOL);

  g_rand_free (rand);
  g_free (c.x); g_free (c.w); g_free (c.b); g_free (c.r); g_free (c.y);
  g_free (c.mean); g_free (c.rstd); g_free (c.rmean); g_free (c.rvar);
}

static void
test_batchnorm (void)
{
  check_bn (3, 4, 5, TRUE, FALSE);    /* BatchNorm2d */
  check_bn (3, 4, 5, FALSE, FALSE);
  check_bn (5, 6, 1, TRUE, FALSE);    /* BatchNorm1d */
  check_bn (5, 6, 1, FALSE, FALSE);
  check_bn (3, 4, 5, TRUE, TRUE);     /* fused with ReLU */
  check_bn (3, 4, 5, FALSE, TRUE);
}

/* ---- Element-wise ----------------------------------------------------- */

static double
relu_loss (gpointer data)
{
  Case *c = data;

  gabn_relu_forward (c->y, c->x, c->nx);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static double
prelu_loss (gpointer data)
{
  Case *c = data;

  gabn_prelu_forward (c->y, c->x, c->w, c->B, c->C, c->H);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static double
add_loss (gpointer data)
{
  Case *c = data;

  gabn_add_forward (c->y, c->x, c->x2, c->nx);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static double
dropout_loss (gpointer data)
{
  Case *c = data;
  GabnRng rng;

  gabn_rng_init (&rng, 5);  /* the same mask each time */
  gabn_dropout_forward (c->y, c->b, c->x, c->nx, c->p, &rng);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static double
flatten_loss (gpointer data)
{
  Case *c = data;

  gabn_flatten_forward (c->y, c->x, c->nx);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static void
fill_nan (float *x, gsize n)
{
  for (gsize i = 0; i < n; i++)
    x[i] = NAN;
}

/* PReLU's backward on planes long enough for its vector lanes (77 = 9
 * blocks of 8 and a tail, over two 64-element sum blocks): d_x element by
 * element with the scalar expression's bits, accumulated and written, and
 * the slope's gradient against a double sum. */
static void
test_prelu_lanes (void)
{
  enum { B = 2, C = 3, S = 77, N = B * C * S };
  GRand *rand = g_rand_new_with_seed (11);
  g_autofree float *x = randn (rand, N, -1, 1);
  g_autofree float *g = randn (rand, N, -1, 1);
  g_autofree float *a = randn (rand, C, 0.1, 0.4);
  g_autofree float *dx = randn (rand, N, -1, 1);
  g_autofree float *start = g_memdup2 (dx, N * sizeof (float));
  g_autofree float *written = g_new (float, N);
  float da[C] = { 0.5f, -0.25f, 0.0f };

  float da_only[C] = { 0 };

  for (int i = 0; i < N; i += 5)
    x[i] = 0.0f;   /* x = 0 takes the slope, as PyTorch's */
  gabn_prelu_backward (dx, da, g, x, a, B, C, S, TRUE);
  fill_nan (written, N);
  gabn_prelu_backward (written, NULL, g, x, a, B, C, S, FALSE);
  /* The slope's gradient alone (d_x not wanted): the same sums. */
  gabn_prelu_backward (NULL, da_only, g, x, a, B, C, S, TRUE);
  for (int c = 0; c < C; c++)
    {
      double want = c == 0 ? 0.5 : c == 1 ? -0.25 : 0.0;

      for (int b = 0; b < B; b++)
        for (int i = 0; i < S; i++)
          {
            gsize k = ((gsize) b * C + c) * S + i;
            float d = x[k] > 0.0f ? g[k] : a[c] * g[k];

            g_assert_cmpfloat (dx[k], ==, start[k] + d);
            g_assert_cmpfloat (written[k], ==, 0.0f + d);
            if (!(x[k] > 0.0f))
              want += (double) g[k] * x[k];
          }
      g_assert_cmpfloat_with_epsilon (da[c], want, 1e-5);
      g_assert_cmpfloat_with_epsilon (da_only[c], want - (c == 0 ? 0.5 : c == 1 ? -0.25 : 0.0),
                                      1e-5);
    }
  g_rand_free (rand);
}

static void
test_elementwise (void)
{
  GRand *rand = g_rand_new_with_seed (3);
  Case c = { .B = 2, .C = 3, .H = 7 };
  g_autofree float *dx = NULL, *dx2 = NULL, *da = NULL;
  /* The backwards' written (not accumulated) gradients: every element,
   * with the bits of adding to zeros (the interpreter's first writer of a
   * gradient skips the zeroing). */
  g_autofree float *written = g_new (float, 2 * 3 * 7);
  g_autofree float *added = g_new (float, 2 * 3 * 7);
  int zeros = 0;

  c.nx = c.ny = 2 * 3 * 7;
  c.x = g_new (float, c.nx);
  gradcheck_fill_away_from_zero (c.x, c.nx, rand, 0.05, 1);
  c.x2 = randn (rand, c.nx, -1, 1);
  c.r = randn (rand, c.ny, -1, 1);
  c.y = g_new (float, c.ny);
  c.w = randn (rand, 3, 0.1, 0.4);
  c.b = g_new (float, c.nx);
  dx = g_new0 (float, c.nx);
  dx2 = g_new0 (float, c.nx);
  da = g_new0 (float, 3);

  relu_loss (&c);
  for (gsize i = 0; i < c.nx; i++)
    g_assert_cmpfloat (c.y[i], ==, MAX (c.x[i], 0.0f));
  gabn_relu_backward (dx, c.r, c.y, c.nx, TRUE);
  fill_nan (written, c.nx);
  gabn_relu_backward (written, c.r, c.y, c.nx, FALSE);
  g_assert_cmpmem (written, c.nx * 4, dx, c.nx * 4);
  gradcheck ("relu x", c.x, dx, c.nx, relu_loss, &c, 1e-3f, 1000, TOL);

  memset (dx, 0, c.nx * 4);
  prelu_loss (&c);
  gabn_prelu_backward (dx, da, c.r, c.x, c.w, c.B, c.C, c.H, TRUE);
  fill_nan (written, c.nx);
  gabn_prelu_backward (written, NULL, c.r, c.x, c.w, c.B, c.C, c.H, FALSE);
  g_assert_cmpmem (written, c.nx * 4, dx, c.nx * 4);
  gradcheck ("prelu x", c.x, dx, c.nx, prelu_loss, &c, 1e-3f, 1000, TOL);
  gradcheck ("prelu a", c.w, da, 3, prelu_loss, &c, 1e-3f, 1000, TOL);

  memset (dx, 0, c.nx * 4);
  gabn_add_backward (dx, dx2, c.r, c.nx, TRUE, TRUE);
  /* Either side written, the other added to. */
  fill_nan (written, c.nx);
  memset (added, 0, c.nx * 4);
  gabn_add_backward (written, added, c.r, c.nx, FALSE, TRUE);
  g_assert_cmpmem (written, c.nx * 4, dx, c.nx * 4);
  g_assert_cmpmem (added, c.nx * 4, dx2, c.nx * 4);
  fill_nan (written, c.nx);
  memset (added, 0, c.nx * 4);
  gabn_add_backward (added, written, c.r, c.nx, TRUE, FALSE);
  g_assert_cmpmem (written, c.nx * 4, dx2, c.nx * 4);
  g_assert_cmpmem (added, c.nx * 4, dx, c.nx * 4);
  gradcheck ("add a", c.x, dx, c.nx, add_loss, &c, 1e-3f, 1000, TOL);
  gradcheck ("add b", c.x2, dx2, c.nx, add_loss, &c, 1e-3f, 1000, TOL);

  memset (dx, 0, c.nx * 4);
  gabn_flatten_backward (dx, c.r, c.nx, TRUE);
  fill_nan (written, c.nx);
  gabn_flatten_backward (written, c.r, c.nx, FALSE);
  g_assert_cmpmem (written, c.nx * 4, dx, c.nx * 4);
  gradcheck ("flatten", c.x, dx, c.nx, flatten_loss, &c, 1e-3f, 1000, TOL);

  c.p = 0.3f;
  dropout_loss (&c);
  for (gsize i = 0; i < c.nx; i++)
    {
      g_assert_true (c.b[i] == 0.0f || fabsf (c.b[i] - 1.0f / 0.7f) < 1e-6f);
      zeros += c.b[i] == 0.0f;
    }
  g_assert_cmpint (zeros, >, 0);
  g_assert_cmpint (zeros, <, (int) c.nx / 2);
  memset (dx, 0, c.nx * 4);
  gabn_dropout_backward (dx, c.r, c.b, c.nx);
  gradcheck ("dropout", c.x, dx, c.nx, dropout_loss, &c, 1e-3f, 1000, TOL);

  g_rand_free (rand);
  g_free (c.x); g_free (c.x2); g_free (c.r); g_free (c.y); g_free (c.w); g_free (c.b);
}

/* ---- Linear, pooling, L2 norm ----------------------------------------- */

static double
linear_loss (gpointer data)
{
  Case *c = data;

  gabn_linear_forward (c->y, c->x, c->w, c->b, c->B, c->C, c->H);
  return gradcheck_dot (c->r, c->y, c->ny);
}

/* B = 1 goes through sgemv/sger, larger batches through sgemm. */
static void
check_linear (int B)
{
  GRand *rand = g_rand_new_with_seed (8 + B);
  Case c = { .B = B, .C = 7, .H = 5 };
  g_autofree float *dx = NULL, *dw = NULL, *db = NULL;

  c.nx = (gsize) B * 7;
  c.ny = (gsize) B * 5;
  c.x = randn (rand, c.nx, -1, 1);
  c.w = randn (rand, 35, -1, 1);
  c.b = randn (rand, 5, -1, 1);
  c.r = randn (rand, c.ny, -1, 1);
  c.y = g_new (float, c.ny);
  linear_loss (&c);
  for (int b = 0; b < B; b++)
    for (int o = 0; o < 5; o++)
      {
        double acc = c.b[o];
        for (int i = 0; i < 7; i++)
          acc += (double) c.x[b * 7 + i] * c.w[o * 7 + i];
        g_assert_cmpfloat_with_epsilon (c.y[b * 5 + o], acc, 1e-5);
      }
  dx = g_new0 (float, c.nx);
  dw = g_new0 (float, 35);
  db = g_new0 (float, 5);
  gabn_linear_backward (dx, dw, db, c.r, c.x, c.w, B, 7, 5);
  gradcheck ("linear x", c.x, dx, c.nx, linear_loss, &c, 1e-3f, 1000, TOL);
  gradcheck ("linear W", c.w, dw, 35, linear_loss, &c, 1e-3f, 1000, TOL);
  gradcheck ("linear b", c.b, db, 5, linear_loss, &c, 1e-3f, 1000, TOL);
  g_rand_free (rand);
  g_free (c.x); g_free (c.w); g_free (c.b); g_free (c.r); g_free (c.y);
}

static void
test_linear (void)
{
  check_linear (1);
  check_linear (3);
}

static double
maxpool_loss (gpointer data)
{
  Case *c = data;

  gabn_maxpool_forward (c->y, c->argmax, c->x, c->B, c->C, c->H, c->W, c->k, c->stride, c->pad);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static double
avgpool_loss (gpointer data)
{
  Case *c = data;

  gabn_avgpool_forward (c->y, c->x, c->B, c->C, c->H, c->W, c->k, c->stride, c->pad);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static void
check_pool (int k, int stride, int pad)
{
  GRand *rand = g_rand_new_with_seed (k * 10 + stride);
  Case c = { .B = 2, .C = 2, .H = 7, .W = 6, .k = k, .stride = stride, .pad = pad };
  int Ho = gabn_pool_out_size (7, k, stride, pad), Wo = gabn_pool_out_size (6, k, stride, pad);
  g_autofree float *dx = NULL;

  c.nx = 2 * 2 * 7 * 6;
  c.ny = (gsize) 2 * 2 * Ho * Wo;
  /* Distinct values 0.01 apart: no ties, no kink within ±h. */
  c.x = g_new (float, c.nx);
  for (gsize i = 0; i < c.nx; i++)
    c.x[i] = 0.01f * (float) i - 0.8f;
  for (gsize i = c.nx - 1; i > 0; i--)
    {
      gsize j = g_rand_int_range (rand, 0, (gint32) i + 1);
      float t = c.x[i]; c.x[i] = c.x[j]; c.x[j] = t;
    }
  c.r = randn (rand, c.ny, -1, 1);
  c.y = g_new (float, c.ny);
  c.argmax = g_new (int, c.ny);
  dx = g_new0 (float, c.nx);

  maxpool_loss (&c);
  /* The first window's maximum, by hand (top-left corner). */
  {
    float best = -G_MAXFLOAT;
    for (int i = 0; i < k - pad; i++)
      for (int j = 0; j < k - pad; j++)
        best = MAX (best, c.x[i * 6 + j]);
    g_assert_cmpfloat (c.y[0], ==, best);
  }
  gabn_maxpool_backward (dx, c.r, c.argmax, 2, 2, 7, 6, k, stride, pad);
  gradcheck ("maxpool", c.x, dx, c.nx, maxpool_loss, &c, 1e-3f, 1000, TOL);

  memset (dx, 0, c.nx * 4);
  avgpool_loss (&c);
  {
    double acc = 0;
    for (int i = 0; i < k - pad; i++)
      for (int j = 0; j < k - pad; j++)
        acc += c.x[i * 6 + j];
    g_assert_cmpfloat_with_epsilon (c.y[0], acc / (k * k), 1e-6);
  }
  gabn_avgpool_backward (dx, c.r, 2, 2, 7, 6, k, stride, pad);
  gradcheck ("avgpool", c.x, dx, c.nx, avgpool_loss, &c, 1e-3f, 1000, TOL);

  g_rand_free (rand);
  g_free (c.x); g_free (c.r); g_free (c.y); g_free (c.argmax);
}

static void
test_pool (void)
{
  check_pool (2, 2, 0);
  check_pool (3, 2, 1);
  check_pool (3, 1, 1);
}

static double
l2norm_loss (gpointer data)
{
  Case *c = data;

  gabn_l2norm_forward (c->y, c->w, c->x, c->B, c->C);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static void
test_l2norm (void)
{
  GRand *rand = g_rand_new_with_seed (12);
  Case c = { .B = 3, .C = 8 };
  g_autofree float *dx = g_new0 (float, 24);

  c.nx = c.ny = 24;
  c.x = randn (rand, 24, -1, 1);
  c.r = randn (rand, 24, -1, 1);
  c.y = g_new (float, 24);
  c.w = g_new (float, 3);
  l2norm_loss (&c);
  for (int b = 0; b < 3; b++)
    {
      double sq = 0;
      for (int i = 0; i < 8; i++)
        sq += c.y[b * 8 + i] * c.y[b * 8 + i];
      g_assert_cmpfloat_with_epsilon (sq, 1.0, 1e-6);
    }
  gabn_l2norm_backward (dx, c.r, c.y, c.w, 3, 8);
  gradcheck ("l2norm", c.x, dx, 24, l2norm_loss, &c, 1e-3f, 1000, TOL);
  g_rand_free (rand);
  g_free (c.x); g_free (c.r); g_free (c.y); g_free (c.w);
}

/* ---- Margin heads ----------------------------------------------------- */

static void
test_margin_target (void)
{
  GabnMarginConfig arc, easy, cos_face;
  float d;

  gabn_margin_config_init (&arc, GABN_MARGIN_ARCFACE);
  gabn_margin_config_init (&cos_face, GABN_MARGIN_COSFACE);
  easy = arc;
  easy.easy_margin = TRUE;
  g_assert_cmpfloat (arc.s, ==, 64.0f);
  g_assert_cmpfloat (arc.m, ==, 0.5f);
  g_assert_cmpfloat (cos_face.m, ==, 0.35f);

  g_assert_cmpfloat_with_epsilon (gabn_margin_target (&arc, 0.5f, &d), cos (acos (0.5) + 0.5), 1e-6);
  /* Beyond the threshold cos(π − m) ≈ −0.878: c − sin(π − m)·m. */
  g_assert_cmpfloat_with_epsilon (gabn_margin_target (&arc, -0.95f, &d),
                                  -0.95 - sin (G_PI - 0.5) * 0.5, 1e-6);
  g_assert_cmpfloat (d, ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (gabn_margin_target (&easy, -0.3f, &d), -0.3, 1e-7);
  g_assert_cmpfloat_with_epsilon (gabn_margin_target (&easy, 0.3f, &d), cos (acos (0.3) + 0.5), 1e-6);
  g_assert_cmpfloat_with_epsilon (gabn_margin_target (&cos_face, 0.3f, &d), 0.3 - 0.35, 1e-7);
}

static double
margin_loss (gpointer data)
{
  Case *c = data;

  return gabn_margin_loss_forward_backward (NULL, NULL, c->x, c->w, c->labels,
                                            c->B, c->N, c->D, &c->margin);
}

static void
normalise_rows (float *x, int rows, int D)
{
  for (int r = 0; r < rows; r++)
    {
      double sq = 0;
      for (int i = 0; i < D; i++)
        sq += x[r * D + i] * x[r * D + i];
      for (int i = 0; i < D; i++)
        x[r * D + i] /= sqrt (sq);
    }
}

static void
check_margin (GabnMarginKind kind, gboolean easy, float s, gboolean far)
{
  GRand *rand = g_rand_new_with_seed (kind * 10 + easy + (far ? 5 : 0));
  int labels[4] = { 2, 0, 4, 2 };
  Case c = { .B = 4, .N = 5, .D = 6, .labels = labels };
  g_autofree float *den = g_new (float, 24), *dwn = g_new (float, 30);
  g_autofree char *name = g_strdup_printf ("margin %s%s s=%g%s", kind == GABN_MARGIN_ARCFACE ? "arcface" : "cosface",
                                           easy ? " easy" : "", s, far ? " far" : "");
  double loss, ref = 0;

  gabn_margin_config_init (&c.margin, kind);
  c.margin.easy_margin = easy;
  c.margin.s = s;
  c.x = randn (rand, 24, -1, 1);
  c.w = randn (rand, 30, -1, 1);
  normalise_rows (c.w, 5, 6);
  if (far) /* own centre nearly opposite: cos θ < cos(π − m) */
    for (int b = 0; b < 4; b++)
      for (int i = 0; i < 6; i++)
        c.x[b * 6 + i] = -c.w[labels[b] * 6 + i] + 0.05f * c.x[b * 6 + i];
  normalise_rows (c.x, 4, 6);

  loss = gabn_margin_loss_forward_backward (den, dwn, c.x, c.w, labels, 4, 5, 6, &c.margin);
  /* The loss by hand, in double. */
  for (int b = 0; b < 4; b++)
    {
      double logits[5], max = -1e300, sum = 0;
      for (int j = 0; j < 5; j++)
        {
          double cs = 0;
          for (int i = 0; i < 6; i++)
            cs += (double) c.x[b * 6 + i] * c.w[j * 6 + i];
          if (j == labels[b])
            {
              if (kind == GABN_MARGIN_COSFACE)
                cs -= 0.35;
              else if (cs > (easy ? 0.0 : cos (G_PI - 0.5)))
                cs = cos (acos (cs) + 0.5);
              else if (!easy)
                cs -= sin (G_PI - 0.5) * 0.5;
              if (far && !easy)
                g_assert_cmpfloat (cs, <, -0.8);
            }
          logits[j] = s * cs;
          max = MAX (max, logits[j]);
        }
      for (int j = 0; j < 5; j++)
        sum += exp (logits[j] - max);
      ref += log (sum) + max - logits[labels[b]];
    }
  g_assert_cmpfloat_with_epsilon (loss, ref / 4, 1e-4 * MAX (1, fabs (ref)));
  gradcheck (name, c.x, den, 24, margin_loss, &c, 1e-3f, 1000, 1e-3);
  gradcheck (name, c.w, dwn, 30, margin_loss, &c, 1e-3f, 1000, 1e-3);
  g_rand_free (rand);
  g_free (c.x); g_free (c.w);
}

static void
test_margin_loss (void)
{
  check_margin (GABN_MARGIN_ARCFACE, FALSE, 8.0f, FALSE);
  check_margin (GABN_MARGIN_ARCFACE, FALSE, 64.0f, FALSE);
  check_margin (GABN_MARGIN_ARCFACE, FALSE, 8.0f, TRUE);
  check_margin (GABN_MARGIN_ARCFACE, TRUE, 8.0f, FALSE);
  check_margin (GABN_MARGIN_ARCFACE, TRUE, 8.0f, TRUE);
  check_margin (GABN_MARGIN_COSFACE, FALSE, 8.0f, FALSE);
  check_margin (GABN_MARGIN_COSFACE, FALSE, 64.0f, FALSE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gabn_set_threads (2);
  g_test_add_func ("/engine/layers/conv", test_conv);
  g_test_add_func ("/engine/layers/conv-grouped", test_conv_grouped);
  g_test_add_func ("/engine/layers/conv-chunks", test_conv_chunks);
  g_test_add_func ("/engine/layers/conv-backward-threads", test_conv_backward_threads);
  g_test_add_func ("/engine/layers/batchnorm", test_batchnorm);
  g_test_add_func ("/engine/layers/elementwise", test_elementwise);
  g_test_add_func ("/engine/layers/prelu-lanes", test_prelu_lanes);
  g_test_add_func ("/engine/layers/linear", test_linear);
  g_test_add_func ("/engine/layers/pool", test_pool);
  g_test_add_func ("/engine/layers/l2norm", test_l2norm);
  g_test_add_func ("/engine/layers/margin-target", test_margin_target);
  g_test_add_func ("/engine/layers/margin-loss", test_margin_loss);
  return g_test_run ();
}
