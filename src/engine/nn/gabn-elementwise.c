/* gabn-elementwise.c: ReLU, PReLU, residual add, dropout, flatten. The
 * large ones run in parallel blocks of BLOCK elements. */
#include "gabn-layers.h"
#include "gabn-parallel.h"

#include <string.h>

#define BLOCK 16384

typedef struct {
  float *out;
  float *out2;
  const float *a, *b, *c;
  gsize n;
  /* backward: out (out2) += the gradient, else out = 0 + it (the bits of
   * adding to a zeroed out: 0 + −0 is +0) */
  gboolean accumulate, accumulate2;
} EwJob;

static int
n_blocks (gsize n)
{
  return (int) ((n + BLOCK - 1) / BLOCK);
}

#define BLOCK_RANGE(j, begin, end, i0, i1) \
  gsize i0 = (gsize) (begin) * BLOCK, i1 = MIN ((gsize) (end) * BLOCK, (j)->n)

static void
relu_forward_range (int begin, int end, gpointer data)
{
  EwJob *j = data;
  BLOCK_RANGE (j, begin, end, i0, i1);

  for (gsize i = i0; i < i1; i++)
    j->out[i] = j->a[i] > 0.0f ? j->a[i] : 0.0f;
}

void
gabn_relu_forward (float *y, const float *x, gsize n)
{
  EwJob j = { .out = y, .a = x, .n = n };

  gabn_parallel_for (n_blocks (n), relu_forward_range, &j);
}

static void
relu_backward_range (int begin, int end, gpointer data)
{
  EwJob *j = data;
  BLOCK_RANGE (j, begin, end, i0, i1);

  if (j->accumulate)
    for (gsize i = i0; i < i1; i++)
      j->out[i] += j->b[i] > 0.0f ? j->a[i] : 0.0f;
  else
    for (gsize i = i0; i < i1; i++)
      j->out[i] = 0.0f + (j->b[i] > 0.0f ? j->a[i] : 0.0f);
}

void
gabn_relu_backward (float *d_x, const float *d_y, const float *y, gsize n,
                    gboolean accumulate)
{
  EwJob j = { .out = d_x, .a = d_y, .b = y, .n = n, .accumulate = accumulate };

  gabn_parallel_for (n_blocks (n), relu_backward_range, &j);
}

typedef struct {
  float *y, *d_x, *d_a;
  const float *x, *a, *d_y;
  int B, C, S;
  gboolean accumulate;   /* backward: d_x += (else d_x = 0 + …) */
} PreluJob;

/* Planes (b, c) [begin, end). */
static void
prelu_forward_range (int begin, int end, gpointer data)
{
  PreluJob *j = data;

  for (int p = begin; p < end; p++)
    {
      gsize off = (gsize) p * j->S;
      const float *restrict x = j->x + off;
      float *restrict y = j->y + off;
      float slope = j->a[p % j->C];

      int i = 0;

      /* Four at a time (gabn-layers.h: a ?: on floats stays scalar). */
      for (; i + 4 <= j->S; i += 4)
        {
          GabnVec4 v;

          __builtin_memcpy (&v, x + i, sizeof v);
          v = gabn_vec4_select_positive (v, slope * v);
          __builtin_memcpy (y + i, &v, sizeof v);
        }
      for (; i < j->S; i++)
        y[i] = x[i] > 0.0f ? x[i] : slope * x[i];
    }
}

void
gabn_prelu_forward (float *y, const float *x, const float *a, int B, int C, int S)
{
  PreluJob j = { .y = y, .x = x, .a = a, .B = B, .C = C, .S = S };

  gabn_parallel_for (B * C, prelu_forward_range, &j);
}

/* d_x (when wanted) and the slope's Σ g·x over x ≤ 0 for one channel plane,
 * in GabnVec4 lanes (a ?: on floats kept this loop scalar, with its sum
 * one chain of double additions: 20× the forward's time on MobileFaceNet).
 * d_x gets the scalar expressions' bits; the sum runs in 8 float lanes
 * over blocks of 64, the blocks added in double, as BatchNorm's sums. */
static void
prelu_backward_plane (float *restrict dx, const float *restrict x, const float *restrict g,
                      int S, float slope, gboolean accumulate, double *da)
{
  const GabnVec4 zero = { 0 };

  for (int i0 = 0; i0 < S; i0 += 64)
    {
      GabnVec4 acc[2] = { { 0 } };
      float lanes[8];
      int i1 = MIN (S, i0 + 64), i = i0;

      for (; i + 8 <= i1; i += 8)
        for (int h = 0; h < 2; h++)
          {
            GabnVec4 xv, gv, d;
            GabnVec4i pos;

            __builtin_memcpy (&xv, x + i + 4 * h, sizeof xv);
            __builtin_memcpy (&gv, g + i + 4 * h, sizeof gv);
            pos = xv > zero;
            if (dx)
              {
                GabnVec4 prev;

                d = (GabnVec4) ((pos & (GabnVec4i) gv) | (~pos & (GabnVec4i) (slope * gv)));
                if (accumulate)
                  __builtin_memcpy (&prev, dx + i + 4 * h, sizeof prev);
                else
                  prev = zero;
                d = prev + d;
                __builtin_memcpy (dx + i + 4 * h, &d, sizeof d);
              }
            if (da)
              acc[h] += (GabnVec4) (~pos & (GabnVec4i) (gv * xv));
          }
      __builtin_memcpy (lanes, acc, sizeof lanes);
      for (; i < i1; i++)
        {
          if (dx)
            dx[i] = (accumulate ? dx[i] : 0.0f) + (x[i] > 0.0f ? g[i] : slope * g[i]);
          if (da && !(x[i] > 0.0f))
            lanes[0] += g[i] * x[i];
        }
      if (da)
        for (int l = 0; l < 8; l++)
          *da += lanes[l];
    }
}

/* Channels [begin, end): d_x of their planes, and d_a summed over the
 * batch. */
static void
prelu_backward_range (int begin, int end, gpointer data)
{
  PreluJob *j = data;

  for (int c = begin; c < end; c++)
    {
      double da = 0;

      for (int b = 0; b < j->B; b++)
        {
          gsize off = ((gsize) b * j->C + c) * j->S;

          prelu_backward_plane (j->d_x ? j->d_x + off : NULL, j->x + off, j->d_y + off,
                                j->S, j->a[c], j->accumulate, j->d_a ? &da : NULL);
        }
      if (j->d_a)
        j->d_a[c] += (float) da;
    }
}

void
gabn_prelu_backward (float *d_x, float *d_a, const float *d_y, const float *x,
                     const float *a, int B, int C, int S, gboolean accumulate)
{
  PreluJob j = { .d_x = d_x, .d_a = d_a, .d_y = d_y, .x = x, .a = a,
                 .B = B, .C = C, .S = S, .accumulate = accumulate };

  if (d_x || d_a)
    gabn_parallel_for (C, prelu_backward_range, &j);
}

static void
add_forward_range (int begin, int end, gpointer data)
{
  EwJob *j = data;
  BLOCK_RANGE (j, begin, end, i0, i1);

  for (gsize i = i0; i < i1; i++)
    j->out[i] = j->a[i] + j->b[i];
}

void
gabn_add_forward (float *y, const float *a, const float *b, gsize n)
{
  EwJob j = { .out = y, .a = a, .b = b, .n = n };

  gabn_parallel_for (n_blocks (n), add_forward_range, &j);
}

/* d[0, n) += g, or without accumulate d = 0 + g (the bits of adding to a
 * zeroed d). */
static void
pass_gradient (float *restrict d, const float *restrict g, gsize n, gboolean accumulate)
{
  if (accumulate)
    for (gsize i = 0; i < n; i++)
      d[i] += g[i];
  else
    for (gsize i = 0; i < n; i++)
      d[i] = 0.0f + g[i];
}

static void
add_backward_range (int begin, int end, gpointer data)
{
  EwJob *j = data;
  BLOCK_RANGE (j, begin, end, i0, i1);

  if (j->out)
    pass_gradient (j->out + i0, j->a + i0, i1 - i0, j->accumulate);
  if (j->out2)
    pass_gradient (j->out2 + i0, j->a + i0, i1 - i0, j->accumulate2);
}

void
gabn_add_backward (float *d_a, float *d_b, const float *d_y, gsize n,
                   gboolean accumulate_a, gboolean accumulate_b)
{
  EwJob j = { .out = d_a, .out2 = d_b, .a = d_y, .n = n,
              .accumulate = accumulate_a, .accumulate2 = accumulate_b };

  gabn_parallel_for (n_blocks (n), add_backward_range, &j);
}

void
gabn_dropout_forward (float *y, float *mask, const float *x, gsize n, float p,
                      GabnRng *rng)
{
  float keep = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;

  for (gsize i = 0; i < n; i++)
    {
      mask[i] = gabn_rng_uniform (rng) < p ? 0.0f : keep;
      y[i] = x[i] * mask[i];
    }
}

void
gabn_dropout_backward (float *d_x, const float *d_y, const float *mask, gsize n)
{
  for (gsize i = 0; i < n; i++)
    d_x[i] += d_y[i] * mask[i];
}

void
gabn_flatten_forward (float *y, const float *x, gsize n)
{
  memcpy (y, x, n * sizeof (float));
}

void
gabn_flatten_backward (float *d_x, const float *d_y, gsize n, gboolean accumulate)
{
  pass_gradient (d_x, d_y, n, accumulate);
}
