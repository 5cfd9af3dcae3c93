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
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"

#include <string.h>

typedef struct {
  float *out;
  const GabnBnEpilogue *bn;
  float *d_in, *d_weight, *d_bias;
  const float *in, *weight, *bias, *d_out;
  const GabnConvShape *s;
  int groups, B;
  gboolean panels;   /* bn->act_out in panels (gabn_conv2d_grouped_forward_panels) */
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
#include "gabn-epilogue-avx512.h"

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

/* ---- 3×3, pad 1, in AVX-512, read in place (no phase buffers) ----------
 * The same sums as taps9_row_avx2 over the phase buffers — bias, then for
 * each input channel of the group its nine taps in order, one FMA each,
 * a padding tap an FMA with 0 — so the same bits, but 16 columns a vector
 * and no copy of the input: masked loads give the padding's zeros (and
 * fault on no masked-off lane, so they may start before or end after the
 * plane). */

/* Where a plane's vectors go (plane3x3_*_avx512): the convolution's own
 * output out, and the BatchNorm epilogue bn (nullable) of channel o at
 * offset off applied in registers, as gabn_bn_epilogue_row would in a pass
 * of its own over out afterwards (the same float operations, so the same
 * bits). keep_raw: out is none of bn's outputs, so written as well. */
typedef struct {
  const GabnBnEpilogue *bn;
  gsize off;
  int o;
  gboolean keep_raw;
  gsize panel;   /* not 0: bn's output in 32-column panels of this stride */
} PlaneStore;

__attribute__ ((target ("avx512f"), always_inline))
static inline void
plane_store (const PlaneStore *ps, float *out, int i, __m512 v, __mmask16 m)
{
  if (ps->panel)
    {
      /* i is a multiple of 16: the vector lies in one panel. */
      gabn_bn_epilogue_avx512 (ps->bn, ps->o, (gsize) ps->o * 32 + (gsize) (i >> 5) * ps->panel
                                              + (i & 31), v, m);
      return;
    }
  if (ps->bn == NULL || ps->keep_raw)
    _mm512_mask_storeu_ps (out + i, m, v);
  if (ps->bn)
    gabn_bn_epilogue_avx512 (ps->bn, ps->o, ps->off + i, v, m);
}

/* Stride 1 over the plane as one flat row of H·W outputs: vector v holds
 * outputs 16v … 16v + 15 across row ends (a 7 × 7 plane is 4 vectors, not
 * 7 rows of 7), and tap t reads the same flat run shifted by
 * (t / 3 − 1)·W + t % 3 − 1, its lanes masked where that tap falls in the
 * padding. masks[v · 10 + t] for the taps, masks[v · 10 + 9] for the
 * store. */
static void
flat_masks (guint16 *masks, int H, int W)
{
  int P = H * W;

  for (int v = 0; v * 16 < P; v++)
    for (int t = 0; t < 10; t++)
      {
        guint16 m = 0;

        for (int l = 0; l < 16; l++)
          {
            int i = v * 16 + l, y = i / W + t / 3 - 1, x = i % W + t % 3 - 1;

            if (i < P && (t == 9 || (y >= 0 && y < H && x >= 0 && x < W)))
              m |= 1u << l;
          }
        masks[v * 10 + t] = m;
      }
}

/* flat_masks of an H × W plane, made once per shape and kept (a network
 * has a few): an image-by-image pass (gabn-net-run.c) calls each layer
 * once per image, and making them, two divisions per lane, took as long
 * as the 7 × 7 and 14 × 14 planes' convolutions. */
static const guint16 *
flat_masks_shared (int H, int W)
{
  static GMutex lock;
  static GHashTable *made;
  gpointer key = GSIZE_TO_POINTER ((gsize) H << 20 | (gsize) W);
  guint16 *masks;

  g_mutex_lock (&lock);
  if (made == NULL)
    made = g_hash_table_new (g_direct_hash, g_direct_equal);
  masks = g_hash_table_lookup (made, key);
  if (masks == NULL)
    {
      masks = g_new (guint16, (H * W + 15) / 16 * 10);
      flat_masks (masks, H, W);
      g_hash_table_insert (made, key, masks);
    }
  g_mutex_unlock (&lock);
  return masks;
}

/* Tap t of the run of vectors at src (an address: a masked lane may lie
 * before the plane), vector u of them. */
#define TAP(u, t) _mm512_maskz_loadu_ps (masks[(u) * 10 + (t)],                     \
                                         (const void *) (src + (off[t] + (u) * 16)   \
                                                               * (gssize) sizeof (float)))

/* The 16 floats of a flat plane of P at index q (which may lie outside
 * it), zero where they do. */
__attribute__ ((target ("avx512f"), always_inline))
static inline __m512
run_load (const float *plane, gssize q, int P)
{
  __mmask16 m = 0xffff;

  if (q < 0 || q + 16 > P)
    {
      gssize lo = MAX (-q, 0), hi = MIN ((gssize) P - q, 16);

      m = hi <= lo ? 0 : (__mmask16) (((1u << hi) - 1) & ~((1u << lo) - 1));
    }
  return _mm512_maskz_loadu_ps (m, (const void *) ((guintptr) plane + q * (gssize) sizeof (float)));
}

__attribute__ ((target ("avx512f")))
static void
plane3x3_s1_avx512 (float *out, const float *in, gsize in_plane, int Cg, const float *w,
                    float bias, int H, int W, const guint16 *masks, const PlaneStore *ps)
{
  int P = H * W, i = 0;
  gssize off[9];

  for (int t = 0; t < 9; t++)
    off[t] = (gssize) (t / 3 - 1) * W + t % 3 - 1;
  /* Four vectors at a time: four independent FMA chains (one chain waits
   * for each FMA's result before the next tap's). Each input row's run is
   * loaded once, six vectors (the four and one either side), and its left
   * and right taps shifted out of them in registers (valignd, masked as
   * the taps' loads were): 18 loads per 64 outputs instead of 36. The
   * centre taps need no mask of their own: they fall in the padding only
   * above or below the plane, where run_load gave zeros. */
  for (; i + 64 <= P; i += 64, masks += 40)
    {
      __m512 acc0 = _mm512_set1_ps (bias), acc1 = acc0, acc2 = acc0, acc3 = acc0;

      for (int c = 0; c < Cg; c++)
        {
          const float *plane = in + c * in_plane;
          const float *wc = w + c * 9;

          for (int ky = 0; ky < 3; ky++)
            {
              gssize r0 = i + (gssize) (ky - 1) * W;   /* flat index of the centre taps */
              __m512i v[6];
              __m512 w0 = _mm512_set1_ps (wc[3 * ky]), w1 = _mm512_set1_ps (wc[3 * ky + 1]);
              __m512 w2 = _mm512_set1_ps (wc[3 * ky + 2]);

              for (int q = 0; q < 6; q++)
                v[q] = _mm512_castps_si512 (run_load (plane, r0 - 16 + 16 * q, P));
#define TAPS_ROW(u, acc)                                                                 \
  do {                                                                                   \
    const guint16 *m_ = masks + (u) * 10 + 3 * ky;                                       \
    acc = _mm512_fmadd_ps (w0, _mm512_castsi512_ps (_mm512_maskz_alignr_epi32 (          \
                                 m_[0], v[(u) + 1], v[u], 15)), acc);                     \
    acc = _mm512_fmadd_ps (w1, _mm512_castsi512_ps (v[(u) + 1]), acc);                  \
    acc = _mm512_fmadd_ps (w2, _mm512_castsi512_ps (_mm512_maskz_alignr_epi32 (          \
                                 m_[2], v[(u) + 2], v[(u) + 1], 1)), acc);                \
  } while (0)
              TAPS_ROW (0, acc0);
              TAPS_ROW (1, acc1);
              TAPS_ROW (2, acc2);
              TAPS_ROW (3, acc3);
#undef TAPS_ROW
            }
        }
      /* All four in the plane (i + 64 ≤ P): no store masks. */
      plane_store (ps, out, i, acc0, 0xffff);
      plane_store (ps, out, i + 16, acc1, 0xffff);
      plane_store (ps, out, i + 32, acc2, 0xffff);
      plane_store (ps, out, i + 48, acc3, 0xffff);
    }
  for (; i < P; i += 16, masks += 10)
    {
      __m512 acc = _mm512_set1_ps (bias);

      for (int c = 0; c < Cg; c++)
        {
          guintptr src = (guintptr) (in + c * in_plane + i);
          const float *wc = w + c * 9;

          for (int t = 0; t < 9; t++)
            acc = _mm512_fmadd_ps (_mm512_set1_ps (wc[t]), TAP (0, t), acc);
        }
      plane_store (ps, out, i, acc, masks[9]);
    }
}
#undef TAP

/* Stride 2, by output rows: 16 outputs need the input columns 2·ox − 1,
 * 2·ox, 2·ox + 1 (taps kx = 0, 1, 2): the even and odd columns of a
 * 32-float run from 2·ox, split by permutes, and the odd ones shifted by
 * a lane (tap 0 at lane j is tap 2 at lane j − 1; at lane 0 the column
 * before the run, or the padding). */
__attribute__ ((target ("avx512f")))
static void
plane3x3_s2_avx512 (float *out, const float *in, gsize in_plane, int Cg, const float *w,
                    float bias, int H, int W, int Ho, int Wo, const PlaneStore *ps)
{
  const __m512i even = _mm512_setr_epi32 (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32 (1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

  for (int oy = 0; oy < Ho; oy++)
    for (int ox0 = 0; ox0 < Wo; ox0 += 16)
      {
        __m512 acc = _mm512_set1_ps (bias);
        int x0 = 2 * ox0;   /* the input column of tap kx = 1 at lane 0 */
        /* Lanes j of the 32-float run at columns x0 + j that lie in [0, W). */
        int n_at = CLAMP (W - x0, 0, 32);
        guint32 at = n_at == 32 ? 0xffffffffu : (1u << n_at) - 1;
        __mmask16 a0 = at & 0xffff, a1 = at >> 16;

        for (int c = 0; c < Cg; c++)
          for (int ky = 0; ky < 3; ky++)
            {
              int iy = 2 * oy + ky - 1;
              __m512 tap0 = _mm512_setzero_ps (), tap1 = tap0, tap2 = tap0;
              const float *wt = w + c * 9 + ky * 3;

              if (iy >= 0 && iy < H)
                {
                  guintptr row = (guintptr) (in + c * in_plane + (gsize) iy * W + x0);
                  __m512 lo = _mm512_maskz_loadu_ps (a0, (const void *) row);
                  __m512 hi = _mm512_maskz_loadu_ps (a1, (const void *) (row + 16 * sizeof (float)));
                  /* x0 ≥ 2 when not 0, and x0 − 1 < W: a column of the row. */
                  __m512 before = x0 ? _mm512_set1_ps (((const float *) row)[-1])
                                     : _mm512_setzero_ps ();

                  tap1 = _mm512_permutex2var_ps (lo, even, hi);
                  tap2 = _mm512_permutex2var_ps (lo, odd, hi);
                  /* maskz with all lanes: the unmasked intrinsic's undefined
                   * source trips GCC 12's -Wmaybe-uninitialized. */
                  tap0 = _mm512_castsi512_ps (_mm512_maskz_alignr_epi32 (0xffff,
                                                                         _mm512_castps_si512 (tap2),
                                                                         _mm512_castps_si512 (before),
                                                                         15));
                }
              acc = _mm512_fmadd_ps (_mm512_set1_ps (wt[0]), tap0, acc);
              acc = _mm512_fmadd_ps (_mm512_set1_ps (wt[1]), tap1, acc);
              acc = _mm512_fmadd_ps (_mm512_set1_ps (wt[2]), tap2, acc);
            }
        plane_store (ps, out, oy * Wo + ox0, acc,
                     Wo - ox0 >= 16 ? 0xffff : (__mmask16) ((1u << (Wo - ox0)) - 1));
      }
}

/* Whether the AVX-512 3×3 forms run: the packed kernel's switch
 * (gabn_packed_gemm_set_avx512), so that tests can compare both forms. */
static gboolean
avx512_3x3 (const GabnConvShape *s)
{
  return s->kernel == 3 && s->pad == 1 && (s->stride == 1 || s->stride == 2)
         && gabn_packed_gemm_avx512 ();
}
#else
static Taps9Func
taps9_func (void)
{
  return taps9_row;
}

static gboolean
avx512_3x3 (const GabnConvShape *s)
{
  (void) s;
  return FALSE;
}
#endif

/* Output planes (b, o) [begin, end) of a kernel as large as the unpadded
 * input, one output each (MobileFaceNet's GDC, 7 × 7 over 7 × 7 maps):
 * the phase path's sum — bias, then each input channel's taps in order,
 * axpy_row's multiply-add — read in place, without copying each plane
 * into phase buffers for a single output (1.7 ms of a batch-16 pass). */
static void
whole_map_planes (const GroupedJob *j, int begin, int end)
{
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;
  gsize in_plane = (gsize) s->in_h * s->in_w;

  for (int p = begin; p < end; p++)
    {
      int b = p / s->out_c, o = p % s->out_c, g = o / Og;
      float *out = j->out + p;

      *out = j->bias ? j->bias[o] : 0.0f;
      for (int c = 0; c < Cg; c++)
        {
          const float *w = j->weight + ((gsize) o * Cg + c) * k * k;
          const float *in = j->in + ((gsize) b * s->in_c + g * Cg + c) * in_plane;

          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++)
              axpy_row (out, in + (gsize) ky * s->in_w + kx, w[ky * k + kx], 1);
        }
      if (j->bn)
        gabn_bn_epilogue_row (j->bn, p, o, out, 1);
    }
}

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

#if defined(__x86_64__) && defined(__GNUC__)
  if (avx512_3x3 (s))
    {
      gsize in_plane = (gsize) s->in_h * s->in_w;
      const guint16 *masks = s->stride == 1 ? flat_masks_shared (s->out_h, s->out_w) : NULL;
      const GabnBnEpilogue *e = j->bn;
      /* The epilogue in registers; the raw convolution stored too unless
       * it is computed in place of one of e's outputs. */
      PlaneStore ps = {
        .bn = e,
        .keep_raw = e && j->out != e->out
                    && !((e->slope || e->residual) && j->out == e->act_out),
        .panel = j->panels ? (gsize) s->out_c * 32 : 0,
      };

      for (int p = begin; p < end; p++)
        {
          int b = p / s->out_c, o = p % s->out_c, g = o / Og;
          float *out = j->out + (gsize) p * P;
          const float *in = j->in + ((gsize) b * s->in_c + g * Cg) * in_plane;
          const float *w = j->weight + (gsize) o * Cg * 9;
          float bias = j->bias ? j->bias[o] : 0.0f;

          ps.off = (gsize) p * P;
          ps.o = o;
          if (s->stride == 1)
            plane3x3_s1_avx512 (out, in, in_plane, Cg, w, bias, s->out_h, s->out_w, masks,
                                &ps);
          else
            plane3x3_s2_avx512 (out, in, in_plane, Cg, w, bias, s->in_h, s->in_w,
                                s->out_h, s->out_w, &ps);
        }
      return;
    }
#endif
  if (s->out_h == 1 && s->out_w == 1 && s->pad == 0 && k != 3)
    {
      whole_map_planes (j, begin, end);
      return;
    }
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

gboolean
gabn_conv2d_grouped_panels_apply (const GabnConvShape *s)
{
  return avx512_3x3 (s) && s->stride == 1;
}

void
gabn_conv2d_grouped_forward_panels (float *panels, const GabnBnEpilogue *bn,
                                    const float *in, const float *weight,
                                    const float *bias, const GabnConvShape *s, int groups)
{
  GabnBnEpilogue e;
  GroupedJob j = { .bn = &e, .in = in, .weight = weight, .bias = bias, .s = s,
                   .groups = groups, .panels = TRUE };

  g_return_if_fail (gabn_conv2d_grouped_panels_apply (s) && bn && bn->slope
                    && !bn->out && !bn->residual);
  e = *bn;
  e.act_out = panels;
  j.out = panels;
  forward_planes (0, s->out_c, &j);
}

void
gabn_conv2d_grouped_forward (float *out, const float *in, const float *weight,
                             const float *bias, int B, const GabnConvShape *s,
                             int groups)
{
  gabn_conv2d_grouped_forward_bn (out, NULL, in, weight, bias, B, s, groups);
}

/* dy (Ho × Wo) into rows of the phase buffer's width Wq, zero past Wo.
 * At stride 1, output (oy, ox) then reads the padded input at flat offset
 * oy·Wq + ox + ky·Wq + kx: each tap is one long loop over the whole plane
 * (the padding columns add zeros), not Ho loops of Wo (7–56) floats. Only
 * the first (Ho − 1)·Wq + Wo floats are read: the last tap then ends
 * inside the padded plane (see flat_len). */
static void
dy_flat (float *dst, const float *dy, const GabnConvShape *s, int Wq)
{
  for (int oy = 0; oy < s->out_h; oy++)
    {
      float *row = dst + (gsize) oy * Wq;

      memcpy (row, dy + (gsize) oy * s->out_w, sizeof (float) * s->out_w);
      for (int x = s->out_w; x < Wq; x++)
        row[x] = 0.0f;
    }
}

static int
flat_len (const GabnConvShape *s, int Wq)
{
  return (s->out_h - 1) * Wq + s->out_w;
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
  float *buf, *flat;

  phases_init (&ph, s);
  buf = g_new (float, phases_floats (&ph));
  flat = ph.s == 1 ? g_new (float, (gsize) s->out_h * ph.Wq) : NULL;
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

              if (flat)
                {
                  dy_flat (flat, dy, s, ph.Wq);
                  for (int ky = 0; ky < k; ky++)
                    for (int kx = 0; kx < k; kx++)
                      axpy_row (buf + (gsize) ky * ph.Wq + kx, flat, w[ky * k + kx],
                                flat_len (s, ph.Wq));
                  continue;
                }
              for (int oy = 0; oy < s->out_h; oy++)
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++)
                    axpy_row (phase_row (buf, &ph, kx % ph.s, oy * ph.s + ky) + kx / ph.s,
                              dy + (gsize) oy * s->out_w, w[ky * k + kx], s->out_w);
            }
          for (int y = 0; y < s->in_h; y++)
            {
              float *restrict row = dx + (gsize) y * s->in_w;

              /* One phase: the row is contiguous (no division per element). */
              if (ph.s == 1)
                {
                  const float *restrict src = phase_row (buf, &ph, 0, y + ph.pad) + ph.pad;

                  for (int x = 0; x < s->in_w; x++)
                    row[x] += src[x];
                  continue;
                }
              for (int x = 0; x < s->in_w; x++)
                {
                  int px = x + ph.pad;
                  row[x] += phase_row (buf, &ph, px % ph.s, y + ph.pad)[px / ph.s];
                }
            }
        }
    }
  g_free (buf);
  g_free (flat);
}

/* Σ a·b over n floats into 8 lanes (a float sum in one chain stays scalar:
 * GCC may not reorder it), the tail into lane 0. */
static inline void
dot_row_lanes (GabnVec4 acc[2], const float *restrict a, const float *restrict b, int n)
{
  int i = 0;

  for (; i + 8 <= n; i += 8)
    for (int h = 0; h < 2; h++)
      {
        GabnVec4 x, y;

        __builtin_memcpy (&x, a + i + 4 * h, sizeof x);
        __builtin_memcpy (&y, b + i + 4 * h, sizeof y);
        acc[h] += x * y;
      }
  for (; i < n; i++)
    acc[0][0] += a[i] * b[i];
}

static inline float
lanes_sum (const GabnVec4 acc[2])
{
  GabnVec4 v = acc[0] + acc[1];

  return (v[0] + v[1]) + (v[2] + v[3]);
}

/* d_weight and d_bias of output channel o, summed over the batch. */
static void
backward_weights (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;
  Phases ph;
  float *buf = NULL, *flat = NULL;

  phases_init (&ph, s);
  if (j->d_weight)
    buf = g_new (float, phases_floats (&ph));
  if (j->d_weight && ph.s == 1)
    flat = g_new (float, (gsize) s->out_h * ph.Wq);
  for (int o = begin; o < end; o++)
    for (int b = 0; b < j->B; b++)
      {
        int g = o / Og;
        const float *dy = j->d_out + ((gsize) b * s->out_c + o) * s->out_h * s->out_w;

        if (j->d_bias)
          {
            /* Rows in float lanes, added in double. */
            double sum = 0;

            for (int oy = 0; oy < s->out_h; oy++)
              {
                const float *row = dy + (gsize) oy * s->out_w;
                GabnVec4 acc[2] = { { 0 } };
                int i = 0;

                for (; i + 8 <= s->out_w; i += 8)
                  for (int h = 0; h < 2; h++)
                    {
                      GabnVec4 x;

                      __builtin_memcpy (&x, row + i + 4 * h, sizeof x);
                      acc[h] += x;
                    }
                for (; i < s->out_w; i++)
                  acc[0][0] += row[i];
                sum += lanes_sum (acc);
              }
            j->d_bias[o] += (float) sum;
          }
        if (!j->d_weight)
          continue;
        if (flat)
          dy_flat (flat, dy, s, ph.Wq);
        for (int c = 0; c < Cg; c++)
          {
            float *dw = j->d_weight + ((gsize) o * Cg + c) * k * k;

            phases_fill (buf, &ph, j->in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w,
                         s->in_h, s->in_w);
            if (flat)
              {
                for (int ky = 0; ky < k; ky++)
                  for (int kx = 0; kx < k; kx++)
                    {
                      GabnVec4 acc[2] = { { 0 } };

                      dot_row_lanes (acc, flat, buf + (gsize) ky * ph.Wq + kx,
                                     flat_len (s, ph.Wq));
                      dw[ky * k + kx] += lanes_sum (acc);
                    }
                continue;
              }
            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  GabnVec4 acc[2] = { { 0 } };

                  for (int oy = 0; oy < s->out_h; oy++)
                    dot_row_lanes (acc, dy + (gsize) oy * s->out_w,
                                   phase_row (buf, &ph, kx % ph.s, oy * ph.s + ky) + kx / ph.s,
                                   s->out_w);
                  dw[ky * k + kx] += lanes_sum (acc);
                }
          }
      }
  g_free (buf);
  g_free (flat);
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
