/* gabn-winograd.c: F(2×2, 3×3) convolution and its weight gradient, see
 * gabn-winograd.h.
 *
 * A chunk of nb images is transformed at once so that each of the 16
 * products is one large product over all of the chunk's tiles (T = nb ·
 * tiles per image); transforms run on gabn_parallel_for between the
 * products, as in gabn-conv.c. On packed weights, large planes and
 * batches go band by band instead (band_run below). */
#include "gabn-winograd.h"
#include "gabn-engine.h"
#include "gabn-matmul.h"
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"

#include <string.h>

/* V and M of a chunk: at most this many floats (16 MB), as gabn-conv.c. */
#define CHUNK_FLOATS (1 << 22)
/* The 16 blocks of V (and of M) are this many floats apart beyond their
 * size: a transform writes (reads) all 16 at once, and blocks a power of two
 * apart would all fall in the same cache sets. */
#define BLOCK_PAD 16

gboolean
gabn_winograd_applies (const GabnConvShape *s)
{
  /* With few input channels (the 3-channel stem) the transforms cost as
   * much as the products they save. */
  return s->kernel == 3 && s->stride == 1 && s->pad == 1
         && s->in_c >= 16 && s->out_c >= 16 && s->in_h >= 2 && s->in_w >= 2;
}

/* Floats between U[ξ] and U[ξ + 1]. */
static gsize
u_block (const GabnConvShape *s)
{
  return (gsize) s->out_c * s->in_c + BLOCK_PAD;
}

gsize
gabn_winograd_weight_floats (const GabnConvShape *s)
{
  return 16 * u_block (s);
}

static int
tiles_h (const GabnConvShape *s)
{
  return (s->out_h + 1) / 2;
}

static int
tiles_w (const GabnConvShape *s)
{
  return (s->out_w + 1) / 2;
}

static int
chunk_images (const GabnConvShape *s, int B)
{
  gsize per_image = (gsize) 16 * (s->in_c + s->out_c) * tiles_h (s) * tiles_w (s);

  return (int) MIN ((gsize) B, MAX ((gsize) 1, CHUNK_FLOATS / per_image));
}

gsize
gabn_winograd_workspace_floats (const GabnConvShape *s, int B)
{
  return (gsize) chunk_images (s, MAX (B, 1)) * 16 * (s->in_c + s->out_c)
         * tiles_h (s) * tiles_w (s) + 32 * BLOCK_PAD;
}

/* U[ξ][at] for ξ = 0..15 from one 3×3 kernel g (row-major). */
static void
transform_kernel (float *U, gsize xi_stride, gsize at, const float g[9])
{
  float t[4][3];

  /* t = G g, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] */
  for (int j = 0; j < 3; j++)
    {
      t[0][j] = g[j];
      t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
      t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
      t[3][j] = g[6 + j];
    }
  /* U = t Gᵀ */
  for (int i = 0; i < 4; i++)
    {
      U[(i * 4 + 0) * xi_stride + at] = t[i][0];
      U[(i * 4 + 1) * xi_stride + at] = 0.5f * (t[i][0] + t[i][1] + t[i][2]);
      U[(i * 4 + 2) * xi_stride + at] = 0.5f * (t[i][0] - t[i][1] + t[i][2]);
      U[(i * 4 + 3) * xi_stride + at] = t[i][2];
    }
}

void
gabn_winograd_transform_weights (float *U, const float *weight,
                                 const GabnConvShape *s)
{
  gsize OC = (gsize) s->out_c * s->in_c;

  for (gsize oc = 0; oc < OC; oc++)
    transform_kernel (U, u_block (s), oc, weight + oc * 9);
}

void
gabn_winograd_transform_weights_transposed (float *U, const float *weight,
                                            const GabnConvShape *s)
{
  for (int o = 0; o < s->out_c; o++)
    for (int c = 0; c < s->in_c; c++)
      {
        const float *g = weight + ((gsize) o * s->in_c + c) * 9;
        float flipped[9];

        for (int k = 0; k < 9; k++)
          flipped[k] = g[8 - k];
        transform_kernel (U, u_block (s), (gsize) c * s->out_c + o, flipped);
      }
}

typedef struct {
  const GabnConvShape *s;
  const float *in;      /* first image of the chunk */
  const float *d_out;   /* first image of the chunk (weight gradient) */
  float *V;             /* 16 × C × T */
  float *M;             /* 16 × O × T; the weight gradient's Z */
  float *D;             /* 16 × O × C: Σ_t Z[ξ] V[ξ]ᵀ (weight gradient) */
  float *d_weight;
  float *out;
  const float *bias;
  const GabnBnEpilogue *bn;
  gsize bn_off;         /* the chunk's first output in bn's tensors */
  gboolean accumulate;  /* out += y instead of out = y (weight gradient:
                           D += instead of D =, after the first chunk) */
  int T;                /* tiles in the chunk */
} WinoJob;

/* The transforms work a row of tiles at a time so that every loop runs
 * over consecutive tiles (vectorisable) and every V and M block is read or
 * written in order. */

/* ---- The transforms in AVX-512 -----------------------------------------
 * Scalar and SSE, a row of tiles is short (7 at 14 × 14) and the tiles
 * overlap by two columns, so most of the work went to remainders and
 * single-float stores (perf: movss the hottest instructions). Here the
 * tiles of a row lie in the lanes: a tile column's four taps are picked
 * from two registers of one input row by a permute, the border is zeros
 * from masked loads, and each of the 16 V rows is one masked store. The
 * output transform interleaves its 2 × 2 outputs into the row the same
 * way. Every element gets the same expressions, in the same order, as in
 * the loops they replace: the same bits (tested). */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Tiles per vector block: 15 tiles read 32 input columns, what one
 * two-register permute reaches. */
#define VT 15

/* Lanes [a, b) of a 16-lane mask, a and b clamped to [0, 16]. */
static inline __mmask16
lanes (int a, int b)
{
  a = CLAMP (a, 0, 16);
  b = CLAMP (b, a, 16);
  return (__mmask16) (((1u << b) - 1) & ~((1u << a) - 1));
}

/* d[j], lane i = input column x0 + 2i + j of row (zero outside [0, W) and
 * for a missing row), j = 0..3: tile i's column j. */
__attribute__ ((target ("avx512f")))
static inline void
row_taps (__m512 d[4], const float *row, int x0, int W)
{
  __m512 lo, hi;

  if (row == NULL)
    {
      d[0] = d[1] = d[2] = d[3] = _mm512_setzero_ps ();
      return;
    }
  /* Lane l of lo, hi: column x0 + l, x0 + 16 + l; masked-off lanes are
   * not read (x0 = −1 at the left border). */
  lo = _mm512_maskz_loadu_ps (lanes (-x0, W - x0), row + x0);
  hi = _mm512_maskz_loadu_ps (lanes (-x0 - 16, W - x0 - 16), row + x0 + 16);
  for (int j = 0; j < 4; j++)
    {
      __m512i idx = _mm512_setr_epi32 (j, j + 2, j + 4, j + 6, j + 8, j + 10, j + 12,
                                       j + 14, j + 16, j + 18, j + 20, j + 22, j + 24,
                                       j + 26, j + 28, j + 30);

      d[j] = _mm512_permutex2var_ps (lo, idx, hi);
    }
}

/* As input_transform_band (same arguments but the scratch). */
__attribute__ ((target ("avx512f")))
static void
input_band_avx512 (const WinoJob *j, int b, int c, int ty0, int ty1, gsize tile0)
{
  const GabnConvShape *s = j->s;
  int C = s->in_c, H = s->in_h, W = s->in_w, tw = tiles_w (s);
  gsize xi_stride = (gsize) C * j->T + BLOCK_PAD;
  const float *plane = j->in + ((gsize) b * C + c) * H * W;

  for (int tx0 = 0; tx0 < tw; tx0 += VT)
    {
      __mmask16 keep = lanes (0, MIN (VT, tw - tx0));
      int x0 = 2 * tx0 - 1;
      __m512 r[4][4];   /* r[row][j]: the tile row's 4 input rows' taps */

      for (int ty = ty0; ty < ty1; ty++)
        {
          float *dst = j->V + (gsize) c * j->T + tile0 + (gsize) (ty - ty0) * tw + tx0;

          /* Input rows y = 2·ty − 1 … 2·ty + 2; the first two are the
           * previous tile row's last two. */
          for (int k = 0; k < 4; k++)
            {
              int y = 2 * ty - 1 + k;

              if (ty > ty0 && k < 2)
                memcpy (r[k], r[k + 2], sizeof r[k]);
              else
                row_taps (r[k], y >= 0 && y < H ? plane + (gsize) y * W : NULL, x0, W);
            }
          for (int k = 0; k < 4; k++)
            {
              __m512 t[4];

              /* t = Bᵀ d down the columns (for tap column jj) */
              for (int jj = 0; jj < 4; jj++)
                t[jj] = k == 0 ? _mm512_sub_ps (r[0][jj], r[2][jj])
                        : k == 1 ? _mm512_add_ps (r[1][jj], r[2][jj])
                        : k == 2 ? _mm512_sub_ps (r[2][jj], r[1][jj])
                                 : _mm512_sub_ps (r[1][jj], r[3][jj]);
              /* V = t B along the rows */
              _mm512_mask_storeu_ps (dst + (k * 4 + 0) * xi_stride, keep,
                                     _mm512_sub_ps (t[0], t[2]));
              _mm512_mask_storeu_ps (dst + (k * 4 + 1) * xi_stride, keep,
                                     _mm512_add_ps (t[1], t[2]));
              _mm512_mask_storeu_ps (dst + (k * 4 + 2) * xi_stride, keep,
                                     _mm512_sub_ps (t[2], t[1]));
              _mm512_mask_storeu_ps (dst + (k * 4 + 3) * xi_stride, keep,
                                     _mm512_sub_ps (t[1], t[3]));
            }
        }
    }
}

/* Output row `row` (Wo columns) from tile outputs y0 (even columns) and y1
 * (odd) of the tiles tx0 … tx0 + VT − 1: interleaved, stored or added. */
__attribute__ ((target ("avx512f")))
static inline void
store_interleaved (float *row, int tx0, int Wo, __m512 y0, __m512 y1, gboolean accumulate)
{
  const __m512i lo_idx = _mm512_setr_epi32 (0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22,
                                            7, 23);
  const __m512i hi_idx = _mm512_setr_epi32 (8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29,
                                            14, 30, 15, 31);
  int n = MIN (2 * VT, Wo - 2 * tx0);
  __m512 v[2] = { _mm512_permutex2var_ps (y0, lo_idx, y1),
                  _mm512_permutex2var_ps (y0, hi_idx, y1) };

  for (int h = 0; h < 2; h++)
    {
      __mmask16 m = lanes (0, n - 16 * h);
      float *at = row + 2 * tx0 + 16 * h;

      if (m == 0)
        break;
      if (accumulate)
        v[h] = _mm512_add_ps (_mm512_maskz_loadu_ps (m, at), v[h]);
      _mm512_mask_storeu_ps (at, m, v[h]);
    }
}

/* As output_transform_band without the BatchNorm epilogue. */
__attribute__ ((target ("avx512f")))
static void
output_band_avx512 (const WinoJob *j, int b, int o, int ty0, int ty1, gsize tile0)
{
  const GabnConvShape *s = j->s;
  int O = s->out_c, Ho = s->out_h, Wo = s->out_w, tw = tiles_w (s);
  gsize xi_stride = (gsize) O * j->T + BLOCK_PAD, bo = (gsize) b * O + o;
  float *out = j->out + bo * Ho * Wo;
  __m512 bias = _mm512_set1_ps (j->bias ? j->bias[o] : 0.0f);

  for (int ty = ty0; ty < ty1; ty++)
    for (int tx0 = 0; tx0 < tw; tx0 += VT)
      {
        __mmask16 keep = lanes (0, MIN (VT, tw - tx0));
        const float *mt = j->M + (gsize) o * j->T + tile0 + (gsize) (ty - ty0) * tw + tx0;
        __m512 m[16], t[2][4];

        for (int xi = 0; xi < 16; xi++)
          m[xi] = _mm512_maskz_loadu_ps (keep, mt + xi * xi_stride);
        /* t = Aᵀ m down the columns */
        for (int k = 0; k < 4; k++)
          {
            t[0][k] = _mm512_add_ps (_mm512_add_ps (m[k], m[4 + k]), m[8 + k]);
            t[1][k] = _mm512_sub_ps (_mm512_sub_ps (m[4 + k], m[8 + k]), m[12 + k]);
          }
        /* y = t A along the rows, output row 2·ty + r */
        for (int r = 0; r < 2 && 2 * ty + r < Ho; r++)
          {
            __m512 y0 = _mm512_add_ps (_mm512_add_ps (_mm512_add_ps (t[r][0], t[r][1]),
                                                      t[r][2]), bias);
            __m512 y1 = _mm512_add_ps (_mm512_sub_ps (_mm512_sub_ps (t[r][1], t[r][2]),
                                                      t[r][3]), bias);

            store_interleaved (out + (gsize) (2 * ty + r) * Wo, tx0, Wo, y0, y1,
                               j->accumulate);
          }
      }
}
#define AVX512_TRANSFORMS 1
#endif

/* Whether the transforms run in AVX-512 (the CPU has it and the switch of
 * gabn-packed-gemm.h is on: tests turn it off for the loops below). */
static gboolean
transforms_avx512 (void)
{
#ifdef AVX512_TRANSFORMS
  return gabn_packed_gemm_avx512 ();
#else
  return FALSE;
#endif
}

/* V for channel c of image b, tile rows [ty0, ty1), tile (ty0, 0) at
 * column tile0 of each V block (T columns). padded: (2·(ty1 − ty0) + 2) ×
 * (2·tw + 2) floats, t: 4 × (2·tw + 2). */
static void
input_transform_band (const WinoJob *j, int b, int c, int ty0, int ty1, gsize tile0,
                      float *padded, float *t)
{
  const GabnConvShape *s = j->s;
  int C = s->in_c, H = s->in_h, W = s->in_w, tw = tiles_w (s);
  int Wp = 2 * tw + 2;  /* padded row: x = −1 … 2·tw */
  gsize xi_stride = (gsize) C * j->T + BLOCK_PAD;
  const float *plane = j->in + ((gsize) b * C + c) * H * W;

#ifdef AVX512_TRANSFORMS
  if (transforms_avx512 ())
    {
      input_band_avx512 (j, b, c, ty0, ty1, tile0);
      return;
    }
#endif
  /* The band's input rows y = 2·ty0 − 1 … 2·ty1, zero-padded, each copied
   * once (tile rows overlap by two rows; a zeroed and filled 4-row buffer
   * per tile row cost two library calls per row). */
  for (int y = 2 * ty0 - 1; y <= 2 * ty1; y++)
    {
      float *row = padded + (gsize) (y - 2 * ty0 + 1) * Wp;

      if (y < 0 || y >= H)
        {
          memset (row, 0, sizeof (float) * Wp);
          continue;
        }
      row[0] = 0.0f;
      memcpy (row + 1, plane + (gsize) y * W, sizeof (float) * W);
      for (int x = W + 1; x < Wp; x++)
        row[x] = 0.0f;
    }
  for (int ty = ty0; ty < ty1; ty++)
    {
      float *dst = j->V + (gsize) c * j->T + tile0 + (gsize) (ty - ty0) * tw;
      /* The tile row's 4 input rows, y = 2·ty − 1 … 2·ty + 2. */
      const float *rows = padded + (gsize) 2 * (ty - ty0) * Wp;

      /* t = Bᵀ d down the columns, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0;
       * 0 1 0 −1] */
      for (int x = 0; x < Wp; x++)
        {
          float r0 = rows[x], r1 = rows[Wp + x], r2 = rows[2 * Wp + x], r3 = rows[3 * Wp + x];

          t[x] = r0 - r2;
          t[Wp + x] = r1 + r2;
          t[2 * Wp + x] = r2 - r1;
          t[3 * Wp + x] = r1 - r3;
        }
      /* V = t B along the rows, tile tx at columns 2tx … 2tx+3 */
      for (int k = 0; k < 4; k++)
        {
          const float *tk = t + k * Wp;
          float *v0 = dst + (k * 4 + 0) * xi_stride, *v1 = dst + (k * 4 + 1) * xi_stride;
          float *v2 = dst + (k * 4 + 2) * xi_stride, *v3 = dst + (k * 4 + 3) * xi_stride;

          for (int tx = 0; tx < tw; tx++)
            {
              float d0 = tk[2 * tx], d1 = tk[2 * tx + 1], d2 = tk[2 * tx + 2], d3 = tk[2 * tx + 3];

              v0[tx] = d0 - d2;
              v1[tx] = d1 + d2;
              v2[tx] = d2 - d1;
              v3[tx] = d1 - d3;
            }
        }
    }
}

/* V for (image, channel) pairs [begin, end). */
static void
input_transform_range (int begin, int end, gpointer data)
{
  WinoJob *j = data;
  const GabnConvShape *s = j->s;
  int C = s->in_c, th = tiles_h (s), tw = tiles_w (s);
  float *padded = g_new (float, (gsize) (2 * th + 2) * (2 * tw + 2));
  float *t = g_newa (float, 4 * (2 * tw + 2));

  for (int bc = begin; bc < end; bc++)
    input_transform_band (j, bc / C, bc % C, 0, th, (gsize) bc / C * th * tw, padded, t);
  g_free (padded);
}

/* out for output channel o of image b, tile rows [ty0, ty1), tile (ty0,
 * 0) at column tile0 of each M block, without AVX-512. The band's tiles
 * are consecutive in each M block, so the transform runs over all n of
 * them at once (long vectorisable loops; a row of tiles, 7 at 14 × 14, was
 * mostly scalar remainder), then interleaves the four outputs of each tile
 * into the plane. Same expressions, in the same order, as per tile: the
 * results do not depend on the band. t: 12 × n floats. */
static void
output_band_loops (const WinoJob *j, int b, int o, int ty0, int ty1, gsize tile0, float *t)
{
  const GabnConvShape *s = j->s;
  int O = s->out_c, Ho = s->out_h, Wo = s->out_w, tw = tiles_w (s);
  int n = (ty1 - ty0) * tw;
  gsize xi_stride = (gsize) O * j->T + BLOCK_PAD, bo = (gsize) b * O + o;
  /* t = Aᵀ m: 2 rows × 4 columns of n tiles; y: 2 × 2 outputs of n tiles */
  float *y = t + 8 * (gsize) n;
  float *out = j->out + bo * Ho * Wo;
  float bias = j->bias ? j->bias[o] : 0.0f;
  const float *m = j->M + (gsize) o * j->T + tile0;

  /* t = Aᵀ m down the columns, Aᵀ = [1 1 1 0; 0 1 −1 −1] */
  for (int k = 0; k < 4; k++)
    {
      const float *restrict m0 = m + k * xi_stride, *restrict m1 = m + (4 + k) * xi_stride;
      const float *restrict m2 = m + (8 + k) * xi_stride, *restrict m3 = m + (12 + k) * xi_stride;
      float *restrict t0 = t + (gsize) k * n, *restrict t1 = t + (gsize) (4 + k) * n;

      for (int i = 0; i < n; i++)
        {
          t0[i] = m0[i] + m1[i] + m2[i];
          t1[i] = m1[i] - m2[i] - m3[i];
        }
    }
  /* y = t A along the rows: y[2r + c] is output (r, c) of every tile */
  for (int r = 0; r < 2; r++)
    {
      const float *restrict c0 = t + (gsize) (4 * r) * n, *restrict c1 = t + (gsize) (4 * r + 1) * n;
      const float *restrict c2 = t + (gsize) (4 * r + 2) * n, *restrict c3 = t + (gsize) (4 * r + 3) * n;
      float *restrict y0 = y + (gsize) (2 * r) * n, *restrict y1 = y + (gsize) (2 * r + 1) * n;

      for (int i = 0; i < n; i++)
        {
          y0[i] = c0[i] + c1[i] + c2[i] + bias;
          y1[i] = c1[i] - c2[i] - c3[i] + bias;
        }
    }
  for (int ty = ty0; ty < ty1; ty++)
    for (int r = 0; r < 2 && 2 * ty + r < Ho; r++)
      {
        const float *y0 = y + (gsize) (2 * r) * n + (ty - ty0) * tw;
        const float *y1 = y + (gsize) (2 * r + 1) * n + (ty - ty0) * tw;
        float *row = out + (gsize) (2 * ty + r) * Wo;
        int full = Wo / 2;   /* tiles with both columns inside */

        if (j->accumulate)
          {
            for (int tx = 0; tx < full; tx++)
              {
                row[2 * tx] += y0[tx];
                row[2 * tx + 1] += y1[tx];
              }
            if (full < tw)
              row[2 * full] += y0[full];
          }
        else
          {
            for (int tx = 0; tx < full; tx++)
              {
                row[2 * tx] = y0[tx];
                row[2 * tx + 1] = y1[tx];
              }
            if (full < tw)
              row[2 * full] = y0[full];
          }
      }
}

/* out (and bn's outputs) for output channel o of image b, tile rows [ty0,
 * ty1), tile (ty0, 0) at column tile0 of each M block. t: as
 * output_band_loops'. */
static void
output_transform_band (const WinoJob *j, int b, int o, int ty0, int ty1, gsize tile0,
                       float *t)
{
  const GabnConvShape *s = j->s;
  int Ho = s->out_h, Wo = s->out_w, y_end = MIN (2 * ty1, Ho);
  gsize bo = (gsize) b * s->out_c + o;
  float *out = j->out + bo * Ho * Wo;

#ifdef AVX512_TRANSFORMS
  if (transforms_avx512 ())
    output_band_avx512 (j, b, o, ty0, ty1, tile0);
  else
#endif
    output_band_loops (j, b, o, ty0, ty1, tile0, t);
  /* Element-wise: the same bits over a band as over the whole plane. */
  if (j->bn)
    gabn_bn_epilogue_row (j->bn, j->bn_off + bo * Ho * Wo + (gsize) 2 * ty0 * Wo, o,
                          out + (gsize) 2 * ty0 * Wo, (y_end - 2 * ty0) * Wo);
}

/* out (and bn_out) for (image, output channel) pairs [begin, end). */
static void
output_transform_range (int begin, int end, gpointer data)
{
  WinoJob *j = data;
  const GabnConvShape *s = j->s;
  int O = s->out_c, th = tiles_h (s), tw = tiles_w (s);
  float *t = g_new (float, 12 * (gsize) th * tw);

  for (int bo = begin; bo < end; bo++)
    output_transform_band (j, bo / O, bo % O, 0, th, (gsize) bo / O * th * tw, t);
  g_free (t);
}

/* Whether the packed products (single images) take the wide form
 * (gabn-packed-gemm.h): output channels in whole wide panels. Its blocks of
 * six tiles fit few tiles better than the 16-column blocks (49 at 14 × 14
 * padded to 64: 7 % less CPU per iresnet50 pass) on AVX-512 CPUs. Not for
 * 64 input channels: over so short a sum its transposed store costs more
 * than the padding saves (iresnet50's 56 × 56 layers: 8.7 → 9.7 ms). */
static gboolean
wide_layout (const GabnConvShape *s)
{
  return gabn_packed_gemm_wide_pays () && s->out_c % GABN_PACKED_WIDE == 0
         && s->in_c >= 128;
}

/* Floats between the packed U[ξ] and U[ξ + 1]. */
static gsize
packed_block (const GabnConvShape *s)
{
  return wide_layout (s) ? gabn_packed_wide_floats (s->out_c, s->in_c)
                         : gabn_packed_floats (s->out_c, s->in_c);
}

gsize
gabn_winograd_packed_floats (const GabnConvShape *s)
{
  return 16 * packed_block (s);
}

void
gabn_winograd_pack_weights (float *packed, const float *U, const GabnConvShape *s)
{
  for (int xi = 0; xi < 16; xi++)
    if (wide_layout (s))
      gabn_pack_a_wide (packed + xi * packed_block (s), U + xi * u_block (s), s->out_c,
                        s->in_c, s->in_c);
    else
      gabn_pack_a (packed + xi * packed_block (s), U + xi * u_block (s), s->out_c,
                   s->in_c, s->in_c);
}

/* ---- Large planes on packed weights: band by band ---------------------
 * A plane of many tiles (56 × 56, 112 × 112: V and M of 3–13 MB each)
 * went through memory between the three phases. Here a job is a band of
 * tile rows of one image (about 64 tiles): its input transform, its 16
 * products and its output transform one after the other on one thread,
 * V and M in that thread's slot of the workspace (L2-sized), and the
 * threads take bands from a shared counter: one thread phase per layer
 * instead of three. Each output gets the same expressions as in
 * winograd_run's phases, the products the same FMA chains: same bits. */

/* Tiles per band: enough for the products' blocks, few enough for V and
 * M to stay in L2 (2 × 112 tiles: 229 KB each with 64 channels). */
#define BAND_TILES 64

typedef struct {
  WinoJob j;               /* the whole batch; V, M, T set per band */
  const float *U_packed;
  int band_rows, bands;    /* tile rows per band, bands per image */
  int n_images;
  gsize slot_floats;
  float *work;
  gint next;               /* the next band, claimed atomically */
} BandJob;

static void
band_work (const BandJob *bj, int band, float *slot, float *padded, float *t)
{
  const GabnConvShape *s = bj->j.s;
  int C = s->in_c, O = s->out_c, th = tiles_h (s), tw = tiles_w (s);
  int b = band / bj->bands, ty0 = band % bj->bands * bj->band_rows;
  int ty1 = MIN (th, ty0 + bj->band_rows), T = (ty1 - ty0) * tw;
  WinoJob j = bj->j;
  gsize v_block = (gsize) C * T + BLOCK_PAD, m_block = (gsize) O * T + BLOCK_PAD;

  j.T = T;
  j.V = slot;
  j.M = slot + 16 * v_block;
  for (int c = 0; c < C; c++)
    input_transform_band (&j, b, c, ty0, ty1, 0, padded, t);
  /* On this thread: a nested parallel loop runs serially. */
  if (wide_layout (s))
    gabn_packed_gemm_wide_batch (16, O, T, C, bj->U_packed, packed_block (s), j.V,
                                 v_block, T, j.M, m_block, T);
  else
    gabn_packed_gemm_batch (16, O, T, C, bj->U_packed, packed_block (s), j.V, v_block, T,
                            j.M, m_block, T);
  for (int o = 0; o < O; o++)
    output_transform_band (&j, b, o, ty0, ty1, 0, t);
}

/* Slots [begin, end) of the workspace, one per running thread. */
static void
band_range (int begin, int end, gpointer data)
{
  BandJob *bj = data;
  int tw = tiles_w (bj->j.s), band;
  float *padded = g_new (float, (gsize) (2 * bj->band_rows + 2) * (2 * tw + 2));
  float *t = g_new (float, 12 * (gsize) bj->band_rows * tw);

  for (int slot = begin; slot < end; slot++)
    while ((band = g_atomic_int_add (&bj->next, 1)) < bj->bands * bj->n_images)
      band_work (bj, band, bj->work + slot * bj->slot_floats, padded, t);
  g_free (padded);
  g_free (t);
}

/* Tile rows per band: about BAND_TILES tiles, a multiple of 16 when a
 * few rows make one (no padded columns in the 16-column blocks). */
static int
band_rows (const GabnConvShape *s)
{
  int th = tiles_h (s), tw = tiles_w (s);

  for (int r = 1; r * tw <= 2 * BAND_TILES && r <= th; r++)
    if (r * tw >= BAND_TILES / 2 && r * tw % 16 == 0)
      return r;
  return CLAMP (BAND_TILES / tw, 1, th);
}

static void
band_run (WinoJob *j, const float *U_packed, int B, float *work)
{
  const GabnConvShape *s = j->s;
  int th = tiles_h (s), tw = tiles_w (s), slots;
  BandJob bj = { .j = *j, .U_packed = U_packed, .work = work, .n_images = B };

  bj.band_rows = band_rows (s);
  bj.bands = (th + bj.band_rows - 1) / bj.band_rows;
  bj.slot_floats = (gsize) 16 * (s->in_c + s->out_c) * bj.band_rows * tw + 32 * BLOCK_PAD;
  /* The workspace holds a whole image's V and M: a slot per thread while
   * they fit. */
  slots = MIN (gabn_get_threads (), bj.bands * B);
  while (slots > 1 && slots * bj.slot_floats > gabn_winograd_workspace_floats (s, B))
    slots--;
  gabn_parallel_for (slots, band_range, &bj);
}

/* Whether a forward on packed weights goes band by band: planes of more
 * than 1024 tiles (112 × 112: 8.6 → 6.2 ms of one thread's CPU on
 * iresnet50's layer1.0.conv1), and batches with bands enough for the
 * threads to share them evenly. A batch's chunk is V and M of up to 16 MB
 * each, through L3 and memory between the phases: at batch 16 the output
 * transform waited on its loads of M. Band by band, one thread's CPU for
 * iresnet50's batch-16 forward went from 1497–1864 to 1286–1447 ms (the
 * 14 × 14 layers 678–840 → 569–577 ms; alternated). A
 * single image keeps the phases, whose products and transforms both
 * threads share; at 56 × 56 seven bands split badly over two threads. */
static gboolean
banded (const GabnConvShape *s, int B)
{
  int tiles = tiles_h (s) * tiles_w (s);
  int bands = (tiles_h (s) + band_rows (s) - 1) / band_rows (s);

  return tiles > 1024 || (B > 1 && bands * B >= 4 * gabn_get_threads ());
}

static void
winograd_run (float *out, gboolean accumulate, const GabnBnEpilogue *bn, const float *in,
              const float *U, const float *U_packed, const float *bias, int B,
              const GabnConvShape *s, float *work)
{
  int C = s->in_c, O = s->out_c, per_image = tiles_h (s) * tiles_w (s);
  int chunk = chunk_images (s, B);

  if (U_packed && banded (s, B))
    {
      WinoJob j = { .s = s, .bias = bias, .in = in, .out = out, .bn = bn,
                    .accumulate = accumulate };

      band_run (&j, U_packed, B, work);
      return;
    }

  for (int b0 = 0; b0 < B; b0 += chunk)
    {
      int nb = MIN (chunk, B - b0);
      WinoJob j = {
        .s = s, .T = nb * per_image, .bias = bias,
        .in = in + (gsize) b0 * C * s->in_h * s->in_w,
        .out = out + (gsize) b0 * O * s->out_h * s->out_w,
        .bn = bn, .bn_off = (gsize) b0 * O * s->out_h * s->out_w,
        .accumulate = accumulate,
        .V = work,
      };
      gsize v_block = (gsize) C * j.T + BLOCK_PAD, m_block = (gsize) O * j.T + BLOCK_PAD;

      j.M = work + 16 * v_block;

      gabn_parallel_for (nb * C, input_transform_range, &j);
      /* M[ξ] (O × T) = U[ξ] (O × C) · V[ξ] (C × T), ξ = 0..15 */
      if (U_packed && wide_layout (s))
        gabn_packed_gemm_wide_batch (16, O, j.T, C, U_packed, packed_block (s),
                                     j.V, v_block, j.T, j.M, m_block, j.T);
      else if (U_packed)
        gabn_packed_gemm_batch (16, O, j.T, C, U_packed, packed_block (s),
                                j.V, v_block, j.T, j.M, m_block, j.T);
      else
        for (int xi = 0; xi < 16; xi++)
          gabn_gemm (FALSE, FALSE, O, j.T, C, 1.0f, U + xi * u_block (s), C,
                     j.V + xi * v_block, j.T, 0.0f, j.M + xi * m_block, j.T);
      gabn_parallel_for (nb * O, output_transform_range, &j);
    }
}

void
gabn_winograd_forward (float *out, const GabnBnEpilogue *bn, const float *in,
                       const float *U, const float *U_packed,
                       const float *bias, int B, const GabnConvShape *s,
                       float *work)
{
  winograd_run (out, FALSE, bn, in, U, U_packed, bias, B, s, work);
}

/* The backward's data gradient is the forward of this shape: the same
 * size, input and output channels swapped. */
static void
transposed_shape (GabnConvShape *t, const GabnConvShape *s)
{
  gabn_conv_shape_init (t, s->out_c, s->out_h, s->out_w, s->in_c, 3, 1, 1);
}

gsize
gabn_winograd_packed_transposed_floats (const GabnConvShape *s)
{
  GabnConvShape t;

  transposed_shape (&t, s);
  return gabn_winograd_packed_floats (&t);
}

void
gabn_winograd_backward_data (float *d_in, const float *d_out,
                             const float *U_transposed, float *packed, int B,
                             const GabnConvShape *s, float *work,
                             gboolean accumulate)
{
  GabnConvShape t;

  /* ∂L/∂in is the 3×3, pad-1 correlation of ∂L/∂out with the kernels
   * rotated by 180° and the channel roles swapped. */
  transposed_shape (&t, s);
  if (packed && gabn_packed_gemm_available ())
    gabn_winograd_pack_weights (packed, U_transposed, &t);
  else
    packed = NULL;
  winograd_run (d_in, accumulate, NULL, d_out, U_transposed, packed, NULL, B, &t, work);
}

/* The weight gradient. With M = U ⊙ V and y = Aᵀ M A per tile,
 * ∂L/∂M = A ∂y Aᵀ =: Z, ∂L/∂U = Z ⊙ V and ∂L/∂g = Gᵀ (∂L/∂U) G; summed over
 * the tiles, each of the 16 positions ξ is one product over all of them:
 * D[ξ] (O × C) = Z[ξ] (O × T) · V[ξ]ᵀ, then ∂L/∂g = Gᵀ D G per kernel. The
 * products are 16/36 of im2col's, and V is 4 floats per output pixel and
 * channel where im2col's columns are 9. */

/* Z for (image, output channel) pairs [begin, end): the adjoint of
 * output_transform_range. The plane is padded to whole tiles with zeros
 * (outputs past an odd border get no gradient). */
static void
grad_transform_range (int begin, int end, gpointer data)
{
  WinoJob *j = data;
  const GabnConvShape *s = j->s;
  int O = s->out_c, Ho = s->out_h, Wo = s->out_w, th = tiles_h (s), tw = tiles_w (s);
  int Wp = 2 * tw;
  gsize xi_stride = (gsize) O * j->T + BLOCK_PAD;
  float *rows = g_new (float, 2 * (gsize) Wp);
  float *t = g_new (float, 4 * (gsize) Wp);

  for (int bo = begin; bo < end; bo++)
    {
      int b = bo / O, o = bo % O;
      const float *plane = j->d_out + (gsize) bo * Ho * Wo;

      for (int ty = 0; ty < th; ty++)
        {
          float *dst = j->M + (gsize) o * j->T + (gsize) b * th * tw + ty * tw;

          for (int r = 0; r < 2; r++)
            {
              int y = 2 * ty + r;

              if (y < Ho)
                memcpy (rows + r * Wp, plane + (gsize) y * Wo, sizeof (float) * Wo);
              else
                memset (rows + r * Wp, 0, sizeof (float) * Wo);
              for (int x = Wo; x < Wp; x++)
                rows[r * Wp + x] = 0.0f;
            }
          /* t = A ∂y down the columns, A = [1 0; 1 1; 1 −1; 0 −1] */
          for (int x = 0; x < Wp; x++)
            {
              float r0 = rows[x], r1 = rows[Wp + x];

              t[x] = r0;
              t[Wp + x] = r0 + r1;
              t[2 * Wp + x] = r0 - r1;
              t[3 * Wp + x] = -r1;
            }
          /* Z = t Aᵀ along the rows, tile tx at columns 2tx, 2tx + 1 */
          for (int i = 0; i < 4; i++)
            {
              const float *ti = t + i * Wp;
              float *z0 = dst + (i * 4 + 0) * xi_stride, *z1 = dst + (i * 4 + 1) * xi_stride;
              float *z2 = dst + (i * 4 + 2) * xi_stride, *z3 = dst + (i * 4 + 3) * xi_stride;

              for (int tx = 0; tx < tw; tx++)
                {
                  float c0 = ti[2 * tx], c1 = ti[2 * tx + 1];

                  z0[tx] = c0;
                  z1[tx] = c0 + c1;
                  z2[tx] = c0 - c1;
                  z3[tx] = -c1;
                }
            }
        }
    }
  g_free (rows);
  g_free (t);
}

/* D[ξ] for positions ξ in [begin, end), over the chunk's tiles. */
static void
weight_sums_range (int begin, int end, gpointer data)
{
  WinoJob *j = data;
  const GabnConvShape *s = j->s;
  int C = s->in_c, O = s->out_c;
  gsize v_block = (gsize) C * j->T + BLOCK_PAD, z_block = (gsize) O * j->T + BLOCK_PAD;

  for (int xi = begin; xi < end; xi++)
    gabn_gemm_serial (FALSE, TRUE, O, C, j->T, 1.0f, j->M + xi * z_block, j->T,
                      j->V + xi * v_block, j->T, j->accumulate ? 1.0f : 0.0f,
                      j->D + xi * u_block (s), C);
}

/* d_weight[o][c] += Gᵀ D[o][c] G for (o, c) pairs [begin, end). */
static void
weight_grad_range (int begin, int end, gpointer data)
{
  WinoJob *j = data;
  gsize xi_stride = u_block (j->s);

  for (int oc = begin; oc < end; oc++)
    {
      float d[16], t[3][4];
      float *g = j->d_weight + (gsize) oc * 9;

      for (int xi = 0; xi < 16; xi++)
        d[xi] = j->D[xi * xi_stride + oc];
      /* t = Gᵀ D, Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1] */
      for (int k = 0; k < 4; k++)
        {
          t[0][k] = d[k] + 0.5f * (d[4 + k] + d[8 + k]);
          t[1][k] = 0.5f * (d[4 + k] - d[8 + k]);
          t[2][k] = 0.5f * (d[4 + k] + d[8 + k]) + d[12 + k];
        }
      /* g += t G along the rows */
      for (int a = 0; a < 3; a++)
        {
          g[3 * a + 0] += t[a][0] + 0.5f * (t[a][1] + t[a][2]);
          g[3 * a + 1] += 0.5f * (t[a][1] - t[a][2]);
          g[3 * a + 2] += 0.5f * (t[a][1] + t[a][2]) + t[a][3];
        }
    }
}

gsize
gabn_winograd_weight_grad_floats (const GabnConvShape *s)
{
  return gabn_winograd_weight_floats (s);
}

void
gabn_winograd_backward_weights (float *d_weight, const float *d_out, const float *in,
                                int B, const GabnConvShape *s, float *work, float *D)
{
  int C = s->in_c, O = s->out_c, per_image = tiles_h (s) * tiles_w (s);
  int chunk;

  /* No images: no chunk would set D, and D holds another layer's data. */
  g_return_if_fail (B > 0);
  chunk = chunk_images (s, B);
  for (int b0 = 0; b0 < B; b0 += chunk)
    {
      int nb = MIN (chunk, B - b0);
      WinoJob j = {
        .s = s, .T = nb * per_image,
        .in = in + (gsize) b0 * C * s->in_h * s->in_w,
        .d_out = d_out + (gsize) b0 * O * s->out_h * s->out_w,
        .V = work,
      };
      gsize v_block = (gsize) C * j.T + BLOCK_PAD;

      j.M = work + 16 * v_block;
      j.D = D;
      j.accumulate = b0 > 0;
      gabn_parallel_for (nb * C, input_transform_range, &j);
      gabn_parallel_for (nb * O, grad_transform_range, &j);
      /* D[ξ] (O × C) (+)= Z[ξ] (O × T) · V[ξ]ᵀ (T × C), ξ = 0..15: whole
       * products per thread (their O × C is small against T; sliced, each
       * thread's part would be thinner still). */
      gabn_parallel_for (16, weight_sums_range, &j);
    }
  {
    WinoJob j = { .s = s, .D = D, .d_weight = d_weight };

    gabn_parallel_for (O * C, weight_grad_range, &j);
  }
}
