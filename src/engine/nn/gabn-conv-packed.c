/* gabn-conv-packed.c: eval-mode convolutions on pre-packed weights — the
 * explorer's single-image pass, for the convolutions Winograd does not take
 * (stride 2, 1×1), the 3-channel stem at any batch (see gabn-net-run.c),
 * and 1×1 layers at any batch (at the end of this file).
 *
 * sgemm would re-pack the weights on every call, and im2col would write all
 * of cols before the product reads it back from memory. Here each job
 * unrolls only a 32-column panel of cols (K × 32, in L1 or L2), multiplies
 * it by every packed weight panel, and applies bias and BatchNorm to each
 * block as it leaves the kernel: one parallel loop per layer, no scratch
 * beyond the panel. */
#include "gabn-engine.h"
#include "gabn-layers.h"
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"
#include "gabn-stride.h"

#include <string.h>

#define PANEL GABN_PACKED_PANEL

typedef struct {
  const GabnConvShape *s;
  const float *in, *packed, *bias;   /* in: the image being unrolled */
  float *out;
  const GabnBnEpilogue *bn;
  int panels;                        /* per image */
} PanelJob;

/* A run of a panel's columns that lies in one output row. */
typedef struct {
  int t, len;       /* columns [t, t + len) of the panel */
  int iy0, ix0;     /* input row and column of kernel tap (0, 0) at t */
} Segment;

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Up to 16 of a panel row's columns, from one input row: b[t …] =
 * row iy0 + ki, columns x + st·n (n < 16) of the plane, zeros where
 * that row or column lies outside it. */
typedef struct {
  int t, x, iy0;
  __mmask16 load0, load1, store;   /* source columns x …, x + 16 … in the plane; b's */
} Run16;

/* The runs of kernel column kj of a panel (its segments cut into 16s,
 * then its columns past the last as runs of a row that is never inside),
 * into runs; returns how many. */
static int
runs16 (Run16 *runs, const Segment *seg, int n_seg, int filled, int kj, int W, int st)
{
  int n = 0;

  for (int i = 0; i < n_seg; i++)
    for (int t = 0; t < seg[i].len; t += 16)
      {
        int len = MIN (16, seg[i].len - t), x = seg[i].ix0 + kj + st * t;
        /* Source columns x + e, e < st·(len − 1) + 1, inside [0, W). */
        int lo = MAX (0, -x), hi = MIN (st * (len - 1) + 1, W - x);
        guint32 m = hi > lo ? (guint32) (((G_GUINT64_CONSTANT (1) << hi) - 1)
                                         & ~((G_GUINT64_CONSTANT (1) << lo) - 1)) : 0;

        runs[n++] = (Run16) { seg[i].t + t, x, seg[i].iy0, (__mmask16) m,
                              (__mmask16) (m >> 16), (__mmask16) ((1u << len) - 1) };
      }
  for (int t = filled; t < PANEL; t += 16)
    runs[n++] = (Run16) { t, 0, G_MININT / 2, 0, 0,
                          (__mmask16) ((1u << MIN (16, PANEL - t)) - 1) };
  return n;
}

/* unroll_panel's work for kernels of up to 3 × 3, stride 1 or 2, run by
 * run: masked loads (they do not touch the elements they leave out, even
 * before a row or past the plane) and, for stride 2, one permute, with
 * masks worked out once per panel. The bounds-checked and 4-wide copies
 * it replaces were a quarter of the 64-channel stride-2 layers' time
 * (runs of 7 at 7 × 7, the left border's at every size). */
__attribute__ ((target ("avx512f"), always_inline))
static inline void
unroll_runs_avx512 (const GabnConvShape *s, const float *in, const Segment *seg,
                    int n_seg, int filled, float *b, const int st)
{
  int k = s->kernel, H = s->in_h, W = s->in_w, n[3];
  Run16 runs[3][PANEL / 16 + PANEL];
  const __m512i even = _mm512_set_epi32 (30, 28, 26, 24, 22, 20, 18, 16,
                                         14, 12, 10, 8, 6, 4, 2, 0);

  for (int kj = 0; kj < k; kj++)
    n[kj] = runs16 (runs[kj], seg, n_seg, filled, kj, W, st);
  for (int c = 0; c < s->in_c; c++)
    {
      const float *plane = in + (gsize) c * H * W;

      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++, b += PANEL)
          for (int i = 0; i < n[kj]; i++)
            {
              const Run16 *r = &runs[kj][i];
              int iy = r->iy0 + ki;
              __m512 v = _mm512_setzero_ps ();

              if ((unsigned) iy < (unsigned) H)
                {
                  const float *src = plane + (gsize) iy * W + r->x;

                  v = _mm512_maskz_loadu_ps (r->load0, src);
                  if (st == 2)
                    v = _mm512_permutex2var_ps (v, even, _mm512_maskz_loadu_ps (r->load1, src + 16));
                }
              _mm512_mask_storeu_ps (b + r->t, r->store, v);
            }
    }
}

__attribute__ ((target ("avx512f")))
static void
unroll_runs_avx512_s1 (const GabnConvShape *s, const float *in, const Segment *seg,
                       int n_seg, int filled, float *b)
{
  unroll_runs_avx512 (s, in, seg, n_seg, filled, b, 1);
}

__attribute__ ((target ("avx512f")))
static void
unroll_runs_avx512_s2 (const GabnConvShape *s, const float *in, const Segment *seg,
                       int n_seg, int filled, float *b)
{
  unroll_runs_avx512 (s, in, seg, n_seg, filled, b, 2);
}
#endif

/* b (K × PANEL) = cols[·][p0 … p0 + PANEL) of the image at j->in, zero
 * past the last column.
 * The panel is cut into runs along output rows (one run for rows of 16 or
 * more, several for 8 × 8 or 7 × 7 maps), so that each run needs one
 * bounds check per input row and kernel column, and the interior is plain
 * copies (four at a time for stride 2). */
static void
unroll_panel (const PanelJob *j, const float *in, int p0, float *b)
{
  const GabnConvShape *s = j->s;
  int k = s->kernel, H = s->in_h, W = s->in_w, Wo = s->out_w, st = s->stride;
  int P = s->out_h * Wo, filled = 0, n_seg = 0;
  Segment seg[PANEL];

  while (filled < PANEL && p0 + filled < P)
    {
      int p = p0 + filled, ox = p % Wo;
      int len = MIN (MIN (PANEL - filled, Wo - ox), P - p);

      seg[n_seg++] = (Segment) { filled, len, p / Wo * st - s->pad, ox * st - s->pad };
      filled += len;
    }
#if defined(__x86_64__) && defined(__GNUC__)
  if ((st == 1 || st == 2) && k <= 3 && gabn_packed_gemm_avx512 ())
    {
      (st == 1 ? unroll_runs_avx512_s1 : unroll_runs_avx512_s2) (s, in, seg, n_seg, filled, b);
      return;
    }
#endif
  for (int c = 0; c < s->in_c; c++)
    {
      const float *plane = in + (gsize) c * H * W;

      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++, b += PANEL)
          {
            for (int i = 0; i < n_seg; i++)
              {
                int iy = seg[i].iy0 + ki, x0 = seg[i].ix0 + kj, len = seg[i].len;
                float *dst = b + seg[i].t;
                const float *line;

                if ((unsigned) iy >= (unsigned) H)
                  {
                    for (int t = 0; t < len; t++)
                      dst[t] = 0.0f;
                    continue;
                  }
                line = plane + (gsize) iy * W;
                if (x0 >= 0 && x0 + (len - 1) * st < W && st == 1)
                  memcpy (dst, line + x0, sizeof (float) * len);
                else if (x0 >= 0 && x0 + (len - 1) * st < W && st == 2)
                  gabn_copy_stride2 (dst, line + x0, len);
                else if (x0 >= 0 && x0 + (len - 1) * st < W)
                  for (int t = 0; t < len; t++)
                    dst[t] = line[x0 + t * st];
                else
                  for (int t = 0; t < len; t++)
                    {
                      int ix = x0 + t * st;
                      dst[t] = (unsigned) ix < (unsigned) W ? line[ix] : 0.0f;
                    }
              }
            for (int t = filled; t < PANEL; t++)
              b[t] = 0.0f;
          }
    }
}

/* The epilogue of a convolution writing out, as the kernel takes it: the
 * product's own value stored only when it is not one of bn's outputs
 * (computed in place). */
static GabnPackedEpilogue
packed_epilogue (const float *out, const GabnBnEpilogue *bn, const float *bias)
{
  return (GabnPackedEpilogue) {
    .bias = bias, .bn = bn,
    .keep_raw = bn && out != bn->out && !((bn->slope || bn->residual) && out == bn->act_out),
  };
}

static void
panel_range (int begin, int end, gpointer data)
{
  const PanelJob *j = data;
  const GabnConvShape *s = j->s;
  int K = s->in_c * s->kernel * s->kernel, O = s->out_c, P = s->out_h * s->out_w;
  /* 64-byte aligned for the kernel's 64-byte loads. */
  float *b = g_aligned_alloc ((gsize) K * PANEL, sizeof (float), 64);
  GabnPackedEpilogue ep = packed_epilogue (j->out, j->bn, j->bias);

  for (int job = begin; job < end; job++)
    {
      int image = job / j->panels, p0 = job % j->panels * PANEL, cols = MIN (PANEL, P - p0);
      gsize out_off = (gsize) image * O * P + p0;

      unroll_panel (j, j->in + (gsize) image * s->in_c * s->in_h * s->in_w, p0, b);
      ep.bn_off = out_off;
      gabn_packed_gemm_panel (O, K, j->packed, b, j->out + out_off, P, cols,
                              j->bias || j->bn ? &ep : NULL);
    }
  g_aligned_free (b);
}

void
gabn_conv2d_forward_packed (float *out, const GabnBnEpilogue *bn, const float *in,
                            const float *packed, const float *bias, int B,
                            const GabnConvShape *s)
{
  PanelJob j = {
    .s = s, .in = in, .packed = packed, .bias = bias, .out = out,
    .bn = bn, .panels = (s->out_h * s->out_w + PANEL - 1) / PANEL,
  };

  g_return_if_fail (gabn_packed_gemm_available ());
  gabn_parallel_for (B * j.panels, panel_range, &j);
}

/* ---- 1×1 stride-1 convolutions over a batch ---------------------------
 * Each image's C × P plane is already the product's right-hand side and
 * its O × P result already NCHW: a job is a block of one image's columns
 * (K × cols, read in place by the AVX-512 kernel, copied into panels for
 * the AVX2 one), multiplied by each weight panel in turn, its bias and
 * BatchNorm applied to each block of C in registers (AVX-512) or while it
 * is in cache (AVX2). No weight packing per call and no β = 0 clearing of
 * C, as sgemm's. */

typedef struct {
  const GabnConvShape *s;
  const float *in, *packed, *bias;
  float *out;
  const GabnBnEpilogue *bn;
  int cols, blocks;   /* columns per block, blocks per image */
} PointwiseJob;

static void
pointwise_range (int begin, int end, gpointer data)
{
  const PointwiseJob *j = data;
  int K = j->s->in_c, O = j->s->out_c, P = j->s->out_h * j->s->out_w;
  /* Panels of B: 64-byte aligned for the kernel's 64-byte loads. */
  float *work = g_aligned_alloc ((gsize) K * ((j->cols + PANEL - 1) / PANEL * PANEL),
                                 sizeof (float), 64);
  GabnPackedEpilogue ep = packed_epilogue (j->out, j->bn, j->bias);

  for (int job = begin; job < end; job++)
    {
      int b = job / j->blocks, p0 = job % j->blocks * j->cols, n = MIN (j->cols, P - p0);
      float *out = j->out + (gsize) b * O * P;

      ep.bn_off = (gsize) b * O * P + p0;
      gabn_packed_gemm_serial (O, n, K, j->packed, j->in + (gsize) b * K * P + p0, P,
                               out + p0, P, work, j->bias || j->bn ? &ep : NULL);
    }
  g_aligned_free (work);
}

void
gabn_conv2d_forward_pointwise_packed (float *out, const GabnBnEpilogue *bn,
                                      const float *in, const float *packed,
                                      const float *bias, int B,
                                      const GabnConvShape *s)
{
  /* Inside an image-by-image pass (gabn-net-run.c) this loop runs on its
   * thread alone: no narrower blocks for threads that will not come (7 × 7
   * maps ran in 16-column blocks, on the kernel's slower 12 × 16 form). */
  int P = s->out_h * s->out_w, threads = gabn_parallel_nested () ? 1 : gabn_get_threads ();
  /* Blocks of 64 columns (K × 64 floats of input: L1 for K ≤ 128), or
   * narrower when a single image would not give every thread two. */
  int cols = 64;
  PointwiseJob j = { .s = s, .in = in, .packed = packed, .bias = bias, .out = out,
                     .bn = bn };

  g_return_if_fail (gabn_packed_gemm_available () && gabn_conv_shape_pointwise (s));
  while (cols > PANEL && (gsize) B * ((P + cols - 1) / cols) < 2 * (gsize) threads)
    cols /= 2;
  j.cols = cols;
  j.blocks = (P + cols - 1) / cols;
  gabn_parallel_for (B * j.blocks, pointwise_range, &j);
}

void
gabn_conv2d_forward_pointwise_panels (float *out, const GabnBnEpilogue *bn,
                                      const float *panels, const float *packed,
                                      const float *bias, const GabnConvShape *s)
{
  int K = s->in_c, O = s->out_c, P = s->out_h * s->out_w;
  GabnPackedEpilogue ep = packed_epilogue (out, bn, bias);

  g_return_if_fail (gabn_packed_gemm_avx512 () && gabn_conv_shape_pointwise (s));
  /* pointwise_range's blocks of 64 columns, without the copy. */
  for (int p0 = 0; p0 < P; p0 += 2 * PANEL)
    {
      ep.bn_off = p0;
      gabn_packed_gemm_serial_panels (O, MIN (2 * PANEL, P - p0), K, packed,
                                      panels + (gsize) p0 * K, out + p0, P,
                                      bias || bn ? &ep : NULL);
    }
}
