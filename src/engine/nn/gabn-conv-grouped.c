/* gabn-conv-grouped.c: convolution in groups (depthwise when every group
 * has one input channel, as MobileFaceNet's), by direct loops: a depthwise
 * kernel has k·k products per output, too few for im2col + sgemm to pay.
 *
 * Each input plane is first copied, zero-padded, into `stride` column
 * phases: phase r holds the padded plane's columns r, r + s, r + 2s, …, so
 * that input column s·ox + kx is phase kx mod s at ox + kx / s. Every
 * inner loop then runs over consecutive output columns with no bounds
 * test (the compiler vectorises it), for any stride; the backward passes
 * use the same layout. */
#include "gabn-layers.h"
#include "gabn-parallel.h"

#include <string.h>

typedef struct {
  float *out;
  const GabnBnEpilogue *bn;
  float *d_in, *d_weight, *d_bias;
  const float *in, *weight, *bias, *d_out;
  const GabnConvShape *s;
  int groups, B;
} GroupedJob;

/* The padded plane's geometry: Hp rows, phases of Wq columns each. */
typedef struct {
  int Hp, Wq, s, pad;
} Phases;

static void
phases_init (Phases *ph, const GabnConvShape *s)
{
  int Wp = s->in_w + 2 * s->pad;

  ph->s = s->stride;
  ph->pad = s->pad;
  ph->Hp = s->in_h + 2 * s->pad;
  /* Output column ox reads phase column ox + kx / s ≤ Wo − 1 + (k − 1) / s. */
  ph->Wq = MAX ((Wp + s->stride - 1) / s->stride, s->out_w + (s->kernel - 1) / s->stride);
}

static gsize
phases_floats (const Phases *ph)
{
  return (gsize) ph->s * ph->Hp * ph->Wq;
}

/* buf (s phases × Hp × Wq) = plane (H × W) zero-padded, split in phases.
 * Every float of buf is written once (no clearing pass first). */
static void
phases_fill (float *buf, const Phases *ph, const float *plane, int H, int W)
{
  for (int r = 0; r < ph->s; r++)
    for (int py = 0; py < ph->Hp; py++)
      {
        float *dst = buf + ((gsize) r * ph->Hp + py) * ph->Wq;
        int y = py - ph->pad;
        /* Phase columns qx with input column x = qx·s + r − pad in [0, W). */
        int lo = (ph->pad - r + ph->s - 1) / ph->s;   /* ≥ 0: r < s */
        int last = W - 1 + ph->pad - r;
        int hi = last < 0 ? 0 : MIN (ph->Wq, last / ph->s + 1);
        const float *row;

        if (y < 0 || y >= H || hi <= lo)
          {
            memset (dst, 0, sizeof (float) * ph->Wq);
            continue;
          }
        row = plane + (gsize) y * W + r - ph->pad;
        for (int qx = 0; qx < lo; qx++)
          dst[qx] = 0.0f;
        /* Rows of 7–56 floats: a loop, not a call to memcpy. */
        if (ph->s == 1)
          for (int qx = lo; qx < hi; qx++)
            dst[qx] = row[qx];
        else
          for (int qx = lo; qx < hi; qx++)
            dst[qx] = row[qx * ph->s];
        for (int qx = hi; qx < ph->Wq; qx++)
          dst[qx] = 0.0f;
      }
}

/* Row py of phase r. */
static inline float *
phase_row (float *buf, const Phases *ph, int r, int py)
{
  return buf + ((gsize) r * ph->Hp + py) * ph->Wq;
}

/* dst[i] += w · src[i]; restrict so that it vectorises. */
static inline void
axpy_row (float *restrict dst, const float *restrict src, float w, int n)
{
  for (int i = 0; i < n; i++)
    dst[i] += w * src[i];
}

/* A 3×3 kernel's nine taps for one output row: orow[i] += Σ_t w[t]·src[t][i]
 * in tap order, one pass over orow instead of nine; with start, orow[i] =
 * bias + Σ… (the plane's first input channel: no separate pass setting
 * orow to the bias first; the same sums). */
typedef void (*Taps9Func) (float *orow, const float *const *src, const float *w, int n,
                           gboolean start, float bias);

static void
taps9_row (float *restrict orow, const float *const *src, const float *w, int n,
           gboolean start, float bias)
{
  for (int i = 0; i < n; i++)
    {
      float acc = start ? bias : orow[i];

      for (int t = 0; t < 9; t++)
        acc += w[t] * src[t][i];
      orow[i] = acc;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* The same with AVX2: eight columns at a time, a masked tail, every tap
 * one fused multiply-add (one rounding, as the packed GEMM's). */
__attribute__ ((target ("avx2,fma")))
static void
taps9_row_avx2 (float *orow, const float *const *src, const float *w, int n,
                gboolean start, float bias)
{
  __m256 wv[9];

  for (int t = 0; t < 9; t++)
    wv[t] = _mm256_set1_ps (w[t]);
  for (int i = 0; i < n; i += 8)
    {
      __m256i mask = _mm256_cmpgt_epi32 (_mm256_set1_epi32 (n - i),
                                         _mm256_setr_epi32 (0, 1, 2, 3, 4, 5, 6, 7));
      __m256 acc = start ? _mm256_set1_ps (bias)
                   : n - i >= 8 ? _mm256_loadu_ps (orow + i) : _mm256_maskload_ps (orow + i, mask);

      for (int t = 0; t < 9; t++)
        acc = _mm256_fmadd_ps (wv[t], n - i >= 8 ? _mm256_loadu_ps (src[t] + i)
                                                 : _mm256_maskload_ps (src[t] + i, mask), acc);
      if (n - i >= 8)
        _mm256_storeu_ps (orow + i, acc);
      else
        _mm256_maskstore_ps (orow + i, mask, acc);
    }
}

static Taps9Func
taps9_func (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")
         ? taps9_row_avx2 : taps9_row;
}
#else
static Taps9Func
taps9_func (void)
{
  return taps9_row;
}
#endif

/* Output planes (b, o) [begin, end): bias, then Σ over the group's Cg input
 * channels and k×k; then the eval-mode BatchNorm into bn_out when set. */
static void
forward_planes (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;
  int P = s->out_h * s->out_w;
  Taps9Func taps9 = taps9_func ();
  Phases ph;
  float *buf;

  phases_init (&ph, s);
  buf = g_new (float, phases_floats (&ph));
  for (int p = begin; p < end; p++)
    {
      int b = p / s->out_c, o = p % s->out_c, g = o / Og;
      float *out = j->out + (gsize) p * P;
      float bias = j->bias ? j->bias[o] : 0.0f;

      if (k != 3)
        for (int i = 0; i < P; i++)
          out[i] = bias;
      for (int c = 0; c < Cg; c++)
        {
          const float *w = j->weight + ((gsize) o * Cg + c) * k * k;

          phases_fill (buf, &ph, j->in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w,
                       s->in_h, s->in_w);
          for (int oy = 0; oy < s->out_h; oy++)
            {
              float *orow = out + (gsize) oy * s->out_w;

              if (k == 3)
                {
                  const float *src[9];

                  for (int t = 0; t < 9; t++)
                    src[t] = phase_row (buf, &ph, t % 3 % ph.s, oy * ph.s + t / 3) + t % 3 / ph.s;
                  taps9 (orow, src, w, s->out_w, c == 0, bias);
                  continue;
                }
              for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++)
                  axpy_row (orow, phase_row (buf, &ph, kx % ph.s, oy * ph.s + ky) + kx / ph.s,
                            w[ky * k + kx], s->out_w);
            }
        }
      if (j->bn)
        gabn_bn_epilogue_row (j->bn, (gsize) p * P, o, out, P);
    }
  g_free (buf);
}

void
gabn_conv2d_grouped_forward_bn (float *out, const GabnBnEpilogue *bn,
                                const float *in, const float *weight,
                                const float *bias, int B,
                                const GabnConvShape *s, int groups)
{
  GroupedJob j = { .out = out, .bn = bn, .in = in, .weight = weight,
                   .bias = bias, .s = s, .groups = groups };

  gabn_parallel_for (B * s->out_c, forward_planes, &j);
}

void
gabn_conv2d_grouped_forward (float *out, const float *in, const float *weight,
                             const float *bias, int B, const GabnConvShape *s,
                             int groups)
{
  gabn_conv2d_grouped_forward_bn (out, NULL, in, weight, bias, B, s, groups);
}

/* d_in of one (b, g): each input channel is written by its own group only.
 * The products are accumulated into a padded phase buffer, whose interior
 * is then added to d_in. */
static void
backward_data (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;
  Phases ph;
  float *buf;

  phases_init (&ph, s);
  buf = g_new (float, phases_floats (&ph));
  for (int p = begin; p < end; p++)
    {
      int b = p / j->groups, g = p % j->groups;

      for (int c = 0; c < Cg; c++)
        {
          float *dx = j->d_in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w;

          memset (buf, 0, phases_floats (&ph) * sizeof (float));
          for (int oo = 0; oo < Og; oo++)
            {
              int o = g * Og + oo;
              const float *dy = j->d_out + ((gsize) b * s->out_c + o) * s->out_h * s->out_w;
              const float *w = j->weight + ((gsize) o * Cg + c) * k * k;

              for (int oy = 0; oy < s->out_h; oy++)
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++)
                    axpy_row (phase_row (buf, &ph, kx % ph.s, oy * ph.s + ky) + kx / ph.s,
                              dy + (gsize) oy * s->out_w, w[ky * k + kx], s->out_w);
            }
          for (int y = 0; y < s->in_h; y++)
            for (int x = 0; x < s->in_w; x++)
              {
                int px = x + ph.pad;
                dx[(gsize) y * s->in_w + x] += phase_row (buf, &ph, px % ph.s, y + ph.pad)[px / ph.s];
              }
        }
    }
  g_free (buf);
}

static inline float
dot_row (const float *restrict a, const float *restrict b, int n)
{
  float acc = 0.0f;

  for (int i = 0; i < n; i++)
    acc += a[i] * b[i];
  return acc;
}

/* d_weight and d_bias of output channel o, summed over the batch. */
static void
backward_weights (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;
  Phases ph;
  float *buf = NULL;

  phases_init (&ph, s);
  if (j->d_weight)
    buf = g_new (float, phases_floats (&ph));
  for (int o = begin; o < end; o++)
    for (int b = 0; b < j->B; b++)
      {
        int g = o / Og;
        const float *dy = j->d_out + ((gsize) b * s->out_c + o) * s->out_h * s->out_w;

        if (j->d_bias)
          {
            double sum = 0;
            for (int i = 0; i < s->out_h * s->out_w; i++)
              sum += dy[i];
            j->d_bias[o] += (float) sum;
          }
        if (!j->d_weight)
          continue;
        for (int c = 0; c < Cg; c++)
          {
            float *dw = j->d_weight + ((gsize) o * Cg + c) * k * k;

            phases_fill (buf, &ph, j->in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w,
                         s->in_h, s->in_w);
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  float acc = 0.0f;

                  for (int oy = 0; oy < s->out_h; oy++)
                    acc += dot_row (dy + (gsize) oy * s->out_w,
                                    phase_row (buf, &ph, kx % ph.s, oy * ph.s + ky) + kx / ph.s,
                                    s->out_w);
                  dw[ky * k + kx] += acc;
                }
          }
      }
  g_free (buf);
}

void
gabn_conv2d_grouped_backward (float *d_in, float *d_weight, float *d_bias,
                              const float *d_out, const float *in,
                              const float *weight, int B,
                              const GabnConvShape *s, int groups)
{
  GroupedJob j = { .d_in = d_in, .d_weight = d_weight, .d_bias = d_bias,
                   .in = in, .weight = weight, .d_out = d_out, .s = s,
                   .groups = groups, .B = B };

  if (d_in)
    gabn_parallel_for (B * groups, backward_data, &j);
  if (d_weight || d_bias)
    gabn_parallel_for (s->out_c, backward_weights, &j);
}
