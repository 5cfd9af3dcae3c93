/* gabn-packed-gemm.c: see gabn-packed-gemm.h. The AVX2 code is compiled
 * for that target only (function attributes), so the library still runs on
 * any x86-64 and on other architectures, where nothing here is used. */
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"

#include <string.h>

#define MR 6
#define NR 16   /* columns per vector block; GABN_PACKED_PANEL = 2 · NR */

gsize
gabn_packed_floats (int M, int K)
{
  return (gsize) (M + MR - 1) / MR * MR * K;
}

/* packed = A in panels of height rows, k-major within each panel. */
static void
pack_panels (float *packed, const float *A, int M, int K, int lda, int height)
{
  int panels = (M + height - 1) / height;

  for (int p = 0; p < panels; p++)
    for (int k = 0; k < K; k++)
      for (int r = 0; r < height; r++)
        {
          int row = p * height + r;

          /* Rows past M are zeros: the kernel computes them, nobody stores them. */
          packed[((gsize) p * K + k) * height + r] = row < M ? A[(gsize) row * lda + k] : 0.0f;
        }
}

void
gabn_pack_a (float *packed, const float *A, int M, int K, int lda)
{
  pack_panels (packed, A, M, K, lda, MR);
}

gsize
gabn_packed_wide_floats (int M, int K)
{
  return (gsize) (M + GABN_PACKED_WIDE - 1) / GABN_PACKED_WIDE * GABN_PACKED_WIDE * K;
}

void
gabn_pack_a_wide (float *packed, const float *A, int M, int K, int lda)
{
  pack_panels (packed, A, M, K, lda, GABN_PACKED_WIDE);
}

#if defined(__x86_64__) && defined(__GNUC__)
#include "gabn-epilogue-avx512.h"

gboolean
gabn_packed_gemm_available (void)
{
  static int available = -1;

  if (available < 0)
    {
      __builtin_cpu_init ();
      available = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
    }
  return available;
}

/* -1 until the first use: then whether the CPU (and its OS) runs AVX-512F.
 * Atomic: the first use may come from several pool workers at once (they
 * all store the same answer). */
static gint use_avx512 = -1;

static gboolean
avx512_on (void)
{
  gint on = g_atomic_int_get (&use_avx512);

  if (on < 0)
    {
      __builtin_cpu_init ();
      on = __builtin_cpu_supports ("avx512f") != 0;
      g_atomic_int_set (&use_avx512, on);
    }
  return on;
}

/* Whether the 8-column (ymm) forms run: AVX-512 with its VL extension
 * (every AVX-512 CPU but the Xeon Phi). */
static gboolean
avx512vl_on (void)
{
  static int vl = -1;

  if (g_atomic_int_get (&vl) < 0)
    {
      __builtin_cpu_init ();
      g_atomic_int_set (&vl, __builtin_cpu_supports ("avx512vl") != 0);
    }
  return avx512_on () && g_atomic_int_get (&vl);
}

gboolean
gabn_packed_gemm_avx512 (void)
{
  return avx512_on ();
}

gboolean
gabn_packed_gemm_wide_pays (void)
{
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f") != 0;
}

gboolean
gabn_packed_gemm_set_avx512 (gboolean on)
{
  gboolean was = avx512_on ();

  __builtin_cpu_init ();
  g_atomic_int_set (&use_avx512, on && __builtin_cpu_supports ("avx512f"));
  return was;
}

typedef struct {
  int M, N, K;
  const float *packed, *B;
  gsize packed_stride, b_stride, c_stride;  /* between the products */
  int ldb, ldc;
  float *C;
  int pairs, blocks;   /* pairs of 6-row weight panels; 16-column blocks */
} PackedJob;

/* c (rows × cols of a 6 × 16 block, row stride ldc) = panel a · b, where b
 * has 16 readable columns (row stride ldb). */
__attribute__ ((target ("avx2,fma")))
static void
kernel_6x16 (int K, const float *a, const float *b, int ldb, float *c,
             int ldc, int rows, int cols)
{
  __m256 c00 = _mm256_setzero_ps (), c01 = _mm256_setzero_ps ();
  __m256 c10 = _mm256_setzero_ps (), c11 = _mm256_setzero_ps ();
  __m256 c20 = _mm256_setzero_ps (), c21 = _mm256_setzero_ps ();
  __m256 c30 = _mm256_setzero_ps (), c31 = _mm256_setzero_ps ();
  __m256 c40 = _mm256_setzero_ps (), c41 = _mm256_setzero_ps ();
  __m256 c50 = _mm256_setzero_ps (), c51 = _mm256_setzero_ps ();

  for (int k = 0; k < K; k++, a += MR, b += ldb)
    {
      __m256 b0 = _mm256_loadu_ps (b), b1 = _mm256_loadu_ps (b + 8);
      __m256 a0 = _mm256_broadcast_ss (a), a1 = _mm256_broadcast_ss (a + 1);

      c00 = _mm256_fmadd_ps (a0, b0, c00);
      c01 = _mm256_fmadd_ps (a0, b1, c01);
      c10 = _mm256_fmadd_ps (a1, b0, c10);
      c11 = _mm256_fmadd_ps (a1, b1, c11);
      a0 = _mm256_broadcast_ss (a + 2);
      a1 = _mm256_broadcast_ss (a + 3);
      c20 = _mm256_fmadd_ps (a0, b0, c20);
      c21 = _mm256_fmadd_ps (a0, b1, c21);
      c30 = _mm256_fmadd_ps (a1, b0, c30);
      c31 = _mm256_fmadd_ps (a1, b1, c31);
      a0 = _mm256_broadcast_ss (a + 4);
      a1 = _mm256_broadcast_ss (a + 5);
      c40 = _mm256_fmadd_ps (a0, b0, c40);
      c41 = _mm256_fmadd_ps (a0, b1, c41);
      c50 = _mm256_fmadd_ps (a1, b0, c50);
      c51 = _mm256_fmadd_ps (a1, b1, c51);
    }
  if (rows == MR && cols == NR)
    {
      _mm256_storeu_ps (c, c00); _mm256_storeu_ps (c + 8, c01); c += ldc;
      _mm256_storeu_ps (c, c10); _mm256_storeu_ps (c + 8, c11); c += ldc;
      _mm256_storeu_ps (c, c20); _mm256_storeu_ps (c + 8, c21); c += ldc;
      _mm256_storeu_ps (c, c30); _mm256_storeu_ps (c + 8, c31); c += ldc;
      _mm256_storeu_ps (c, c40); _mm256_storeu_ps (c + 8, c41); c += ldc;
      _mm256_storeu_ps (c, c50); _mm256_storeu_ps (c + 8, c51);
    }
  else
    {
      float block[MR][NR];

      _mm256_storeu_ps (block[0], c00); _mm256_storeu_ps (block[0] + 8, c01);
      _mm256_storeu_ps (block[1], c10); _mm256_storeu_ps (block[1] + 8, c11);
      _mm256_storeu_ps (block[2], c20); _mm256_storeu_ps (block[2] + 8, c21);
      _mm256_storeu_ps (block[3], c30); _mm256_storeu_ps (block[3] + 8, c31);
      _mm256_storeu_ps (block[4], c40); _mm256_storeu_ps (block[4] + 8, c41);
      _mm256_storeu_ps (block[5], c50); _mm256_storeu_ps (block[5] + 8, c51);
      for (int r = 0; r < rows; r++)
        memcpy (c + (gsize) r * ldc, block[r], sizeof (float) * cols);
    }
}

/* The same for two consecutive weight panels (a0 and a1 = a0 + 6·K) at
 * once: a 12 × 16 block of C in twelve 512-bit registers, one load of b
 * per twelve FMAs. Each element's sum runs over k in the same order with
 * the same fused multiply-adds as kernel_6x16, so the two give the same
 * bits. */
__attribute__ ((target ("avx512f")))
static void
kernel_12x16 (int K, const float *a0, const float *a1, const float *b, int ldb,
              float *c, int ldc, int rows, int cols)
{
  __m512 c0 = _mm512_setzero_ps (), c1 = _mm512_setzero_ps (), c2 = _mm512_setzero_ps ();
  __m512 c3 = _mm512_setzero_ps (), c4 = _mm512_setzero_ps (), c5 = _mm512_setzero_ps ();
  __m512 c6 = _mm512_setzero_ps (), c7 = _mm512_setzero_ps (), c8 = _mm512_setzero_ps ();
  __m512 c9 = _mm512_setzero_ps (), c10 = _mm512_setzero_ps (), c11 = _mm512_setzero_ps ();
  __mmask16 mask = cols >= NR ? 0xffff : (__mmask16) ((1u << cols) - 1);

  for (int k = 0; k < K; k++, a0 += MR, a1 += MR, b += ldb)
    {
      __m512 bk = _mm512_loadu_ps (b);

      c0 = _mm512_fmadd_ps (_mm512_set1_ps (a0[0]), bk, c0);
      c1 = _mm512_fmadd_ps (_mm512_set1_ps (a0[1]), bk, c1);
      c2 = _mm512_fmadd_ps (_mm512_set1_ps (a0[2]), bk, c2);
      c3 = _mm512_fmadd_ps (_mm512_set1_ps (a0[3]), bk, c3);
      c4 = _mm512_fmadd_ps (_mm512_set1_ps (a0[4]), bk, c4);
      c5 = _mm512_fmadd_ps (_mm512_set1_ps (a0[5]), bk, c5);
      c6 = _mm512_fmadd_ps (_mm512_set1_ps (a1[0]), bk, c6);
      c7 = _mm512_fmadd_ps (_mm512_set1_ps (a1[1]), bk, c7);
      c8 = _mm512_fmadd_ps (_mm512_set1_ps (a1[2]), bk, c8);
      c9 = _mm512_fmadd_ps (_mm512_set1_ps (a1[3]), bk, c9);
      c10 = _mm512_fmadd_ps (_mm512_set1_ps (a1[4]), bk, c10);
      c11 = _mm512_fmadd_ps (_mm512_set1_ps (a1[5]), bk, c11);
    }
  {
    __m512 acc[2 * MR] = { c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 };

    for (int r = 0; r < rows; r++)
      _mm512_mask_storeu_ps (c + (gsize) r * ldc, mask, acc[r]);
  }
}

/* The epilogue's pointers and flags as locals of the kernel: the vector
 * stores (may_alias types) made GCC reload every one of them from ep and
 * ep->bn for each row of each block, and spill the 24 accumulators to
 * index them by row. One image's 1×1 layers in a hot loop, one thread:
 * 1–2 % less time (128 → 128 at 28 × 28 with PReLU 249–260 → 244–247 µs,
 * 128 → 256 at 14 × 14 125.5–126.1 → 123.1–123.2 µs). */
typedef struct {
  const float *bias, *mean, *scale, *beta, *slope, *residual;
  float *out, *act_out;
  gboolean raw, bn, relu;
} EpState;

static inline void
ep_state_init (EpState *st, const GabnPackedEpilogue *ep)
{
  const GabnBnEpilogue *e = ep ? ep->bn : NULL;

  *st = (EpState) { .bias = ep ? ep->bias : NULL, .raw = e == NULL || ep->keep_raw,
                    .bn = e != NULL };
  if (e == NULL)
    return;
  st->mean = e->mean;
  st->scale = e->scale;
  st->beta = e->beta;
  st->relu = e->relu;
  st->out = e->out;
  st->residual = e->residual;
  st->slope = e->residual ? NULL : e->slope;
  st->act_out = e->residual || e->slope ? e->act_out : NULL;
}

/* Row o's one or two vectors (va: columns [0, 16) at c and off, vb: the
 * next 16 when mb is not 0): epilogue_store's operations on each, so its
 * bits, the row's constants broadcast once. */
__attribute__ ((target ("avx512f"), always_inline))
static inline void
epilogue_row (const EpState *st, int o, gsize off, float *c, __m512 va, __m512 vb,
              __mmask16 ma, __mmask16 mb)
{
  __m512 zero = _mm512_setzero_ps (), mean, scale, beta, slope;

  if (st->bias)
    {
      __m512 bias = _mm512_set1_ps (st->bias[o]);

      va = _mm512_add_ps (va, bias);
      vb = _mm512_add_ps (vb, bias);
    }
  if (st->raw)
    {
      gabn_store16 (c, ma, va);
      if (mb)
        gabn_store16 (c + NR, mb, vb);
    }
  if (!st->bn)
    return;
  mean = _mm512_set1_ps (st->mean[o]);
  scale = _mm512_set1_ps (st->scale[o]);
  beta = _mm512_set1_ps (st->beta[o]);
  va = _mm512_mul_ps (_mm512_sub_ps (va, mean), scale);
  vb = _mm512_mul_ps (_mm512_sub_ps (vb, mean), scale);
  __asm__ ("" : "+v" (va), "+v" (vb));
  va = _mm512_add_ps (va, beta);
  vb = _mm512_add_ps (vb, beta);
  if (st->relu)
    {
      va = _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (va, zero, _CMP_GT_OQ), va);
      vb = _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (vb, zero, _CMP_GT_OQ), vb);
    }
  if (st->out)
    {
      gabn_store16 (st->out + off, ma, va);
      if (mb)
        gabn_store16 (st->out + off + NR, mb, vb);
    }
  if (st->residual)
    {
      va = _mm512_add_ps (va, _mm512_maskz_loadu_ps (ma, st->residual + off));
      if (mb)
        vb = _mm512_add_ps (vb, _mm512_maskz_loadu_ps (mb, st->residual + off + NR));
    }
  else if (st->slope)
    {
      slope = _mm512_set1_ps (st->slope[o]);
      va = _mm512_mask_blend_ps (_mm512_cmp_ps_mask (va, zero, _CMP_GT_OQ),
                                 _mm512_mul_ps (slope, va), va);
      vb = _mm512_mask_blend_ps (_mm512_cmp_ps_mask (vb, zero, _CMP_GT_OQ),
                                 _mm512_mul_ps (slope, vb), vb);
    }
  if (st->act_out)
    {
      gabn_store16 (st->act_out + off, ma, va);
      if (mb)
        gabn_store16 (st->act_out + off + NR, mb, vb);
    }
}

/* The cache lines the block's epilogue will write (and the residual it
 * reads), requested before its product: they lie in planes that are not
 * in L1, and the block's stores used to wait for them (a tenth of the
 * kernel's samples). */
static inline void
prefetch_rows (const float *p, int ldc, int rows, gboolean wide)
{
  for (int r = 0; r < rows; r++, p += ldc)
    {
      __builtin_prefetch (p, 1, 3);
      if (wide)
        __builtin_prefetch (p + NR, 1, 3);
    }
}

static inline void
prefetch_outputs (const GabnPackedEpilogue *ep, const float *c, int ldc, int rows,
                  int row0, int col0, gboolean wide)
{
  const GabnBnEpilogue *e = ep ? ep->bn : NULL;
  gsize off = ep ? ep->bn_off + (gsize) row0 * ldc + col0 : 0;

  if (e == NULL || ep->keep_raw)
    prefetch_rows (c, ldc, rows, wide);
  if (e == NULL)
    return;
  if (e->out)
    prefetch_rows (e->out + off, ldc, rows, wide);
  if (e->residual)
    prefetch_rows (e->residual + off, ldc, rows, wide);
  if (e->residual || e->slope)
    prefetch_rows (e->act_out + off, ldc, rows, wide);
}

/* The same over a 32-column panel b of B (K × 32, contiguous, zero past
 * cols) and one weight panel a0 or, for fma_rows 8 or 12, the next one a1
 * as well (its first 2 rows or all 6: an 8-row block when M leaves 7–8
 * rows, e.g. 128 = 10 · 12 + 8, 3 % fewer FMAs on those layers): a
 * 12 × 32 block of C in 24 registers, two loads of b per 24 FMAs instead
 * of one per 12 — the 12 × 16 form issues almost as many loads (its
 * broadcasts) as FMAs, which caps it below the FMA units' rate. wide:
 * both halves of the panel, else only its first 16 columns (cols ≤ 16:
 * no FMAs on zeros). Each element's sum is the same FMA chain over k as
 * kernel_12x16's, so the bits are the same. Then the epilogue ep
 * (nullable) for C's rows row0 + r, columns col0 + n. */
#define ROW_FMA(r, av)                                                  \
  do {                                                                  \
    __m512 a_ = _mm512_set1_ps (av);                                    \
    c##r##a = _mm512_fmadd_ps (a_, bk0, c##r##a);                       \
    if (wide)                                                           \
      c##r##b = _mm512_fmadd_ps (a_, bk1, c##r##b);                     \
  } while (0)

__attribute__ ((target ("avx512f"), always_inline))
static inline void
block_x32 (int K, const float *a0, const float *a1, const float *b, float *c, int ldc,
           int rows, int cols, const GabnPackedEpilogue *ep, int row0, int col0,
           const int fma_rows, const gboolean wide)
{
  __m512 c0a = _mm512_setzero_ps (), c0b = _mm512_setzero_ps ();
  __m512 c1a = _mm512_setzero_ps (), c1b = _mm512_setzero_ps ();
  __m512 c2a = _mm512_setzero_ps (), c2b = _mm512_setzero_ps ();
  __m512 c3a = _mm512_setzero_ps (), c3b = _mm512_setzero_ps ();
  __m512 c4a = _mm512_setzero_ps (), c4b = _mm512_setzero_ps ();
  __m512 c5a = _mm512_setzero_ps (), c5b = _mm512_setzero_ps ();
  __m512 c6a = _mm512_setzero_ps (), c6b = _mm512_setzero_ps ();
  __m512 c7a = _mm512_setzero_ps (), c7b = _mm512_setzero_ps ();
  __m512 c8a = _mm512_setzero_ps (), c8b = _mm512_setzero_ps ();
  __m512 c9a = _mm512_setzero_ps (), c9b = _mm512_setzero_ps ();
  __m512 c10a = _mm512_setzero_ps (), c10b = _mm512_setzero_ps ();
  __m512 c11a = _mm512_setzero_ps (), c11b = _mm512_setzero_ps ();
  __mmask16 mask0 = cols >= NR ? 0xffff : (__mmask16) ((1u << cols) - 1);
  __mmask16 mask1 = cols >= 2 * NR ? 0xffff
                    : cols <= NR ? 0 : (__mmask16) ((1u << (cols - NR)) - 1);

  prefetch_outputs (ep, c, ldc, rows, row0, col0, wide);
  for (int k = 0; k < K; k++, a0 += MR, a1 += MR, b += 2 * NR)
    {
      __m512 bk0 = _mm512_loadu_ps (b), bk1 = wide ? _mm512_loadu_ps (b + NR) : bk0;

      ROW_FMA (0, a0[0]); ROW_FMA (1, a0[1]); ROW_FMA (2, a0[2]);
      ROW_FMA (3, a0[3]); ROW_FMA (4, a0[4]); ROW_FMA (5, a0[5]);
      if (fma_rows > MR)
        {
          ROW_FMA (6, a1[0]); ROW_FMA (7, a1[1]);
        }
      if (fma_rows > MR + 2)
        {
          ROW_FMA (8, a1[2]); ROW_FMA (9, a1[3]); ROW_FMA (10, a1[4]); ROW_FMA (11, a1[5]);
        }
    }
  {
    gsize off = ep ? ep->bn_off + (gsize) row0 * ldc + col0 : 0;
    __mmask16 mb = wide ? mask1 : 0;
    EpState st;

    ep_state_init (&st, ep);
    /* Each row by name: no accumulator array indexed at run time. */
#define EP_ROW(r)                                                                   \
    if ((r) < rows)                                                                 \
      epilogue_row (&st, row0 + (r), off + (gsize) (r) * ldc, c + (gsize) (r) * ldc, \
                    c##r##a, c##r##b, mask0, mb)
    EP_ROW (0); EP_ROW (1); EP_ROW (2); EP_ROW (3); EP_ROW (4); EP_ROW (5);
    EP_ROW (6); EP_ROW (7); EP_ROW (8); EP_ROW (9); EP_ROW (10); EP_ROW (11);
#undef EP_ROW
  }
}
#undef ROW_FMA

/* The six forms: 12, 8 or 6 rows (the last ≤ 8 or ≤ 6 rows of M), 32
 * columns or 16 (the last ≤ 16 columns of B). */
#define BLOCK_FORM(name, fma_rows, wide)                                            \
  __attribute__ ((target ("avx512f")))                                              \
  static void                                                                       \
  name (int K, const float *a, const float *b, float *c, int ldc, int rows,         \
        int cols, const GabnPackedEpilogue *ep, int row0, int col0)                 \
  {                                                                                 \
    block_x32 (K, a, a + (fma_rows > MR ? (gsize) K * MR : 0), b, c, ldc, rows, cols, \
               ep, row0, col0, fma_rows, wide);                                     \
  }
BLOCK_FORM (kernel_12x32, 12, TRUE)
BLOCK_FORM (kernel_12x16_ep, 12, FALSE)
BLOCK_FORM (kernel_8x32, 8, TRUE)
BLOCK_FORM (kernel_8x16_ep, 8, FALSE)
BLOCK_FORM (kernel_6x32, 6, TRUE)
BLOCK_FORM (kernel_6x16_ep, 6, FALSE)
#undef BLOCK_FORM

/* The same for ≤ 8 columns (the first 8 of the 32-column panel b) in ymm
 * registers: a 512-bit FMA costs two 256-bit ones on the CPUs this
 * targets, so a 4-column tail (14 × 14 maps: 196 = 6 · 32 + 4) or a
 * 1-column one (7 × 7: 49 = 32 + 16 + 1) costs half of a 16-column
 * block. Each element's sum is the same FMA chain over k, so the same
 * bits. */
#define ROW_FMA8(r, av) c##r = _mm256_fmadd_ps (_mm256_set1_ps (av), bk, c##r)

__attribute__ ((target ("avx512f,avx512vl,fma"), always_inline))
static inline void
block_x8 (int K, const float *a0, const float *a1, const float *b, float *c, int ldc,
          int rows, int cols, const GabnPackedEpilogue *ep, int row0, int col0,
          const gboolean two)
{
  __m256 c0 = _mm256_setzero_ps (), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
  __m256 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  __mmask8 mask = (__mmask8) ((1u << cols) - 1);
  const GabnBnEpilogue *e = ep ? ep->bn : NULL;

  prefetch_outputs (ep, c, ldc, rows, row0, col0, FALSE);
  for (int k = 0; k < K; k++, a0 += MR, a1 += MR, b += 2 * NR)
    {
      __m256 bk = _mm256_loadu_ps (b);

      ROW_FMA8 (0, a0[0]); ROW_FMA8 (1, a0[1]); ROW_FMA8 (2, a0[2]);
      ROW_FMA8 (3, a0[3]); ROW_FMA8 (4, a0[4]); ROW_FMA8 (5, a0[5]);
      if (two)
        {
          ROW_FMA8 (6, a1[0]); ROW_FMA8 (7, a1[1]); ROW_FMA8 (8, a1[2]);
          ROW_FMA8 (9, a1[3]); ROW_FMA8 (10, a1[4]); ROW_FMA8 (11, a1[5]);
        }
    }
  {
    __m256 acc[2 * MR] = { c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11 };
    gsize off = ep ? ep->bn_off + (gsize) row0 * ldc + col0 : 0;

    for (int r = 0; r < rows; r++, c += ldc, off += ldc)
      {
        __m256 v = acc[r];

        if (ep && ep->bias)
          v = _mm256_add_ps (v, _mm256_set1_ps (ep->bias[row0 + r]));
        if (e == NULL || ep->keep_raw)
          _mm256_mask_storeu_ps (c, mask, v);
        if (e)
          gabn_bn_epilogue_avx512_8 (e, row0 + r, off, v, mask);
      }
  }
}
#undef ROW_FMA8

__attribute__ ((target ("avx512f,avx512vl,fma")))
static void
kernel_12x8 (int K, const float *a, const float *b, float *c, int ldc, int rows,
             int cols, const GabnPackedEpilogue *ep, int row0, int col0)
{
  block_x8 (K, a, a + (gsize) K * MR, b, c, ldc, rows, cols, ep, row0, col0, TRUE);
}

__attribute__ ((target ("avx512f,avx512vl,fma")))
static void
kernel_6x8 (int K, const float *a, const float *b, float *c, int ldc, int rows,
            int cols, const GabnPackedEpilogue *ep, int row0, int col0)
{
  block_x8 (K, a, a, b, c, ldc, rows, cols, ep, row0, col0, FALSE);
}

/* C rows [0, rows) (rows ≤ 12) of one 16-column block = the weight panels
 * at a (6 rows) and a + 6·K (the next 6, when rows > 6) · b. */
static void
kernel_pair (int K, const float *a, const float *b, int ldb, float *c, int ldc,
             int rows, int cols)
{
  if (rows > MR && avx512_on ())
    {
      kernel_12x16 (K, a, a + (gsize) K * MR, b, ldb, c, ldc, rows, cols);
      return;
    }
  kernel_6x16 (K, a, b, ldb, c, ldc, MIN (rows, MR), cols);
  if (rows > MR)
    kernel_6x16 (K, a + (gsize) K * MR, b, ldb, c + (gsize) MR * ldc, ldc, rows - MR, cols);
}

/* Jobs [begin, end): job = (product · blocks + block) · pairs + pair (of
 * 6-row weight panels), so that consecutive jobs reuse one 16-column slice
 * of B from the cache. */
static void
packed_range (int begin, int end, gpointer data)
{
  PackedJob *j = data;
  float *edge = NULL;   /* the last, narrower slice of a B, zero-padded */
  int edge_of = -1;     /* the product it belongs to */

  for (int job = begin; job < end; job++)
    {
      int p = job % j->pairs, blk = job / j->pairs % j->blocks;
      int i = job / j->pairs / j->blocks;
      int n0 = blk * NR, cols = MIN (NR, j->N - n0), rows = MIN (2 * MR, j->M - p * 2 * MR);
      const float *b = j->B + i * j->b_stride + n0;
      int ldb = j->ldb;

      if (cols < NR)
        {
          if (edge == NULL)
            edge = g_new0 (float, (gsize) j->K * NR);
          if (edge_of != i)
            for (int k = 0; k < j->K; k++)
              memcpy (edge + (gsize) k * NR, b + (gsize) k * ldb, sizeof (float) * cols);
          edge_of = i;
          b = edge;
          ldb = NR;
        }
      kernel_pair (j->K, j->packed + i * j->packed_stride + (gsize) p * 2 * j->K * MR, b,
                   ldb, j->C + i * j->c_stride + (gsize) p * 2 * MR * j->ldc + n0, j->ldc,
                   rows, cols);
    }
  g_free (edge);
}

/* The epilogue ep on C's rows [row0, row0 + rows), columns [0, cols), in a
 * pass of its own (the AVX2 form's): the bias, then gabn_bn_epilogue_row. */
static void
epilogue_pass (const GabnPackedEpilogue *ep, float *C, int ldc, int row0, int rows,
               int cols)
{
  for (int o = row0; o < row0 + rows; o++)
    {
      float *y = C + (gsize) o * ldc;

      if (ep->bias)
        for (int t = 0; t < cols; t++)
          y[t] += ep->bias[o];
      if (ep->bn)
        gabn_bn_epilogue_row (ep->bn, ep->bn_off + (gsize) o * ldc, o, y, cols);
    }
}

/* work (K × 32 floats per 32 columns of B, zero past N) = B's columns as
 * contiguous 32-column panels, a row in two 512-bit moves (memcpy's,
 * inlined for the file's baseline target, were eight 128-bit ones). */
__attribute__ ((target ("avx512f")))
static void
copy_panels32 (float *work, const float *B, int ldb, int N, int K)
{
  for (int n0 = 0; n0 < N; n0 += 2 * NR)
    {
      int cols = MIN (2 * NR, N - n0);
      float *dst = work + (gsize) n0 * K;
      const float *src = B + n0;

      if (cols == 2 * NR)
        for (int k = 0; k < K; k++, dst += 2 * NR, src += ldb)
          {
            _mm512_storeu_ps (dst, _mm512_loadu_ps (src));
            _mm512_storeu_ps (dst + NR, _mm512_loadu_ps (src + NR));
          }
      else
        {
          __mmask16 m0 = cols >= NR ? 0xffff : (__mmask16) ((1u << cols) - 1);
          __mmask16 m1 = cols <= NR ? 0 : (__mmask16) ((1u << (cols - NR)) - 1);

          for (int k = 0; k < K; k++, dst += 2 * NR, src += ldb)
            {
              _mm512_storeu_ps (dst, _mm512_maskz_loadu_ps (m0, src));
              _mm512_storeu_ps (dst + NR, _mm512_maskz_loadu_ps (m1, src + NR));
            }
        }
    }
}

/* C's rows [row0, row0 + rows) (rows ≤ 12), columns [n0, n0 + cols)
 * (cols ≤ 32) = the weight panels at a · the 32-column panel b, the
 * epilogue in registers: the AVX-512 form that fits the block. */
static void
block_avx512 (int K, const float *a, const float *b, float *C, int ldc, int row0,
              int rows, int n0, int cols, const GabnPackedEpilogue *ep)
{
  float *c = C + (gsize) row0 * ldc + n0;

  if (avx512vl_on () && (cols <= 8 || (cols > NR && cols <= NR + 8)))
    {
      /* The last ≤ 8 columns in ymm registers, the 16 before them (if
       * any) as a 16-column block. */
      int head = cols > NR ? NR : 0;

      if (head)
        block_avx512 (K, a, b, C, ldc, row0, rows, n0, head, ep);
      (rows > MR ? kernel_12x8 : kernel_6x8) (K, a, b + head, c + head, ldc, rows,
                                              cols - head, ep, row0, n0 + head);
      return;
    }
  if (rows > MR + 2)
    (cols > NR ? kernel_12x32 : kernel_12x16_ep) (K, a, b, c, ldc, rows, cols, ep, row0, n0);
  else if (rows > MR)
    (cols > NR ? kernel_8x32 : kernel_8x16_ep) (K, a, b, c, ldc, rows, cols, ep, row0, n0);
  else if (cols > NR)
    kernel_6x32 (K, a, b, c, ldc, rows, cols, ep, row0, n0);
  else
    kernel_6x16_ep (K, a, b, c, ldc, rows, cols, ep, row0, n0);
}

/* ---- A panel's last column: C's rows in the vectors -----------------
 * 7 × 7 maps leave one column past 48 (49 = 32 + 16 + 1), which the ymm
 * form above computes as eight: twelve FMAs per k for one column. Here a
 * 6-row weight panel is one ymm vector (its 6 rows at k, masked) and the
 * column's element of b is broadcast: four panels (24 rows), 4 FMAs per
 * k. Each element's sum is the same FMA chain over k (a·b = b·a
 * exactly), so the same bits. (The same for a 4-column tail, 14 × 14
 * maps' 196 = 6 · 32 + 4, measured slower than the ymm form: 2.25
 * against 2.19 ms for iresnet50's 256-channel stride-2 layer.) */
#define TAIL_PANELS 4

/* sums[q · 6 + r] = row r of the weight panel at a[q] · column 0 of the
 * 32-column panel b. */
__attribute__ ((target ("avx512f,avx512vl,fma")))
static void
tail_block (int K, const float *const *a, const float *b, float *sums)
{
  __m256 acc0 = _mm256_setzero_ps (), acc1 = acc0, acc2 = acc0, acc3 = acc0;

  for (int k = 0; k < K; k++, b += 2 * NR)
    {
      __m256 bk = _mm256_set1_ps (b[0]);
      gsize at = (gsize) k * MR;

      acc0 = _mm256_fmadd_ps (_mm256_maskz_loadu_ps (0x3f, a[0] + at), bk, acc0);
      acc1 = _mm256_fmadd_ps (_mm256_maskz_loadu_ps (0x3f, a[1] + at), bk, acc1);
      acc2 = _mm256_fmadd_ps (_mm256_maskz_loadu_ps (0x3f, a[2] + at), bk, acc2);
      acc3 = _mm256_fmadd_ps (_mm256_maskz_loadu_ps (0x3f, a[3] + at), bk, acc3);
    }
  _mm256_mask_storeu_ps (sums, 0x3f, acc0);
  _mm256_mask_storeu_ps (sums + MR, 0x3f, acc1);
  _mm256_mask_storeu_ps (sums + 2 * MR, 0x3f, acc2);
  _mm256_mask_storeu_ps (sums + 3 * MR, 0x3f, acc3);
}

/* C's column n0 of rows [6·p0, 6·p0 + 24) = those of packed A · column n0
 * of the 32-column panel b, then the bias and the epilogue row by row:
 * gabn_bn_epilogue_row, as the AVX2 form's pass (compiled without FMA:
 * its bits). */
static void
tail_column (int M, int K, const float *packed, const float *b, float *C, int ldc,
             int p0, int n0, const GabnPackedEpilogue *ep)
{
  int panels = (M + MR - 1) / MR;
  float sums[TAIL_PANELS * MR];
  const float *a[TAIL_PANELS];

  /* Past the last panel: the last again, its sums not stored. */
  for (int q = 0; q < TAIL_PANELS; q++)
    a[q] = packed + (gsize) MIN (p0 + q, panels - 1) * K * MR;
  tail_block (K, a, b + n0, sums);
  for (int o = p0 * MR; o < MIN (M, (p0 + TAIL_PANELS) * MR); o++)
    {
      float v = sums[o - p0 * MR] + (ep && ep->bias ? ep->bias[o] : 0.0f);

      if (ep == NULL || ep->bn == NULL || ep->keep_raw)
        C[(gsize) o * ldc + n0] = v;
      if (ep && ep->bn)
        gabn_bn_epilogue_row (ep->bn, ep->bn_off + (gsize) o * ldc + n0, o, &v, 1);
    }
}

void
gabn_packed_gemm_panel (int M, int K, const float *packed, const float *b,
                        float *C, int ldc, int cols, const GabnPackedEpilogue *ep)
{
  if (avx512_on ())
    {
      /* A last column past a multiple of 16 on its own, after the blocks
       * of the same four weight panels (still in cache). */
      int tail = avx512vl_on () && M > 2 * MR && cols % NR == 1;

      for (int p = 0; p * MR < M; p += 2)
        {
          if (cols > tail)
            block_avx512 (K, packed + (gsize) p * K * MR, b, C, ldc, p * MR,
                          MIN (2 * MR, M - p * MR), 0, cols - tail, ep);
          if (tail && (p % TAIL_PANELS == TAIL_PANELS - 2 || (p + 2) * MR >= M))
            tail_column (M, K, packed, b, C, ldc, p / TAIL_PANELS * TAIL_PANELS,
                         cols - 1, ep);
        }
      return;
    }
  for (int p = 0; p * MR < M; p += 2)
    {
      int rows = MIN (2 * MR, M - p * MR);
      float *c = C + (gsize) p * MR * ldc;

      for (int n0 = 0; n0 < cols; n0 += NR)
        kernel_pair (K, packed + (gsize) p * K * MR, b + n0, 2 * NR, c + n0, ldc, rows,
                     MIN (NR, cols - n0));
      if (ep)
        epilogue_pass (ep, C, ldc, p * MR, rows, cols);
    }
}

/* C = packed A · the 32-column panels at work (K × 32 each), each pair of
 * weight panels over all of them in turn (the pair in L1, the panels in
 * cache). */
static void
panels_avx512 (int M, int N, int K, const float *packed, const float *work, float *C,
               int ldc, const GabnPackedEpilogue *ep)
{
  for (int p = 0; p * MR < M; p += 2)
    for (int n0 = 0; n0 < N; n0 += 2 * NR)
      block_avx512 (K, packed + (gsize) p * K * MR, work + (gsize) n0 * K, C, ldc,
                    p * MR, MIN (2 * MR, M - p * MR), n0, MIN (2 * NR, N - n0), ep);
}

void
gabn_packed_gemm_serial_panels (int M, int N, int K, const float *packed,
                                const float *panels, float *C, int ldc,
                                const GabnPackedEpilogue *ep)
{
  g_return_if_fail (avx512_on ());
  panels_avx512 (M, N, K, packed, panels, C, ldc, ep);
}

void
gabn_packed_gemm_serial (int M, int N, int K, const float *packed, const float *B,
                         int ldb, float *C, int ldc, float *work,
                         const GabnPackedEpilogue *ep)
{
  int panels = (N + NR - 1) / NR;

  if (avx512_on ())
    {
      copy_panels32 (work, B, ldb, N, K);
      panels_avx512 (M, N, K, packed, work, C, ldc, ep);
      return;
    }
  /* B's columns in contiguous K × 16 panels (zero past N): its rows may
   * lie far apart (a 56 × 56 plane per row), too many pages and cache
   * sets for the AVX2 kernel to stream them in place. */
  for (int q = 0; q < panels; q++)
    {
      int n0 = q * NR, cols = MIN (NR, N - n0);
      float *dst = work + (gsize) q * K * NR;

      if (cols == NR)   /* a constant size: inlined moves, not a call */
        for (int k = 0; k < K; k++, dst += NR)
          memcpy (dst, B + (gsize) k * ldb + n0, sizeof (float) * NR);
      else
        for (int k = 0; k < K; k++, dst += NR)
          {
            memcpy (dst, B + (gsize) k * ldb + n0, sizeof (float) * cols);
            for (int t = cols; t < NR; t++)
              dst[t] = 0.0f;
          }
    }
  for (int p = 0; p * MR < M; p += 2)
    {
      const float *a = packed + (gsize) p * K * MR;
      float *c = C + (gsize) p * MR * ldc;
      int rows = MIN (2 * MR, M - p * MR);

      for (int q = 0; q < panels; q++)
        kernel_pair (K, a, work + (gsize) q * K * NR, NR, c + q * NR, ldc, rows,
                     MIN (NR, N - q * NR));
      if (ep)
        epilogue_pass (ep, C, ldc, p * MR, rows, N);
    }
}

/* ---- Wide panels: C's rows in the vectors ----------------------------
 * For products with few columns (a single image's Winograd tiles: 49 at
 * 14 × 14, which the 16-column blocks above pad to 64): a block is 64 rows
 * of C (one wide panel of A, four 512-bit vectors) by WN columns of B, each
 * column's element of B broadcast, so a short N wastes at most WN − 1
 * columns. Each element's sum is the same FMA chain over k as the kernels
 * above (a·b = b·a exactly), so the same bits. */
#define WR GABN_PACKED_WIDE
#define WN 6

/* The block (rows × cols of C, row stride ldc) from the accumulators of
 * column r at acc[r · WR …]: transposed on the way out. */
static inline void
wide_store (const float *acc, float *c, int ldc, int rows, int cols)
{
  for (int m = 0; m < rows; m++, c += ldc)
    for (int r = 0; r < cols; r++)
      c[r] = acc[r * WR + m];
}

/* C's block = the wide panel a (K × 64) · B's columns b … b + cols − 1 (row
 * stride ldb), cols ≤ WN a constant of each form below (unrolled). */
__attribute__ ((target ("avx512f"), always_inline))
static inline void
wide_block_avx512 (int K, const float *a, const float *b, int ldb, float *c, int ldc,
                   int rows, const int cols)
{
  __m512 acc[WN][4];
  float out[WN * WR] __attribute__ ((aligned (64)));

  for (int r = 0; r < WN; r++)
    for (int v = 0; v < 4; v++)
      acc[r][v] = _mm512_setzero_ps ();
  for (int k = 0; k < K; k++, a += WR, b += ldb)
    {
      __m512 a0 = _mm512_loadu_ps (a), a1 = _mm512_loadu_ps (a + 16);
      __m512 a2 = _mm512_loadu_ps (a + 32), a3 = _mm512_loadu_ps (a + 48);

      for (int r = 0; r < cols; r++)
        {
          __m512 br = _mm512_set1_ps (b[r]);

          acc[r][0] = _mm512_fmadd_ps (a0, br, acc[r][0]);
          acc[r][1] = _mm512_fmadd_ps (a1, br, acc[r][1]);
          acc[r][2] = _mm512_fmadd_ps (a2, br, acc[r][2]);
          acc[r][3] = _mm512_fmadd_ps (a3, br, acc[r][3]);
        }
    }
  for (int r = 0; r < cols; r++)
    for (int v = 0; v < 4; v++)
      _mm512_store_ps (out + r * WR + 16 * v, acc[r][v]);
  wide_store (out, c, ldc, rows, cols);
}

/* The same in AVX2: the panel's 64 rows 16 at a time (12 accumulators). */
__attribute__ ((target ("avx2,fma"), always_inline))
static inline void
wide_block_avx2 (int K, const float *a, const float *b, int ldb, float *c, int ldc,
                 int rows, const int cols)
{
  float out[WN * WR] __attribute__ ((aligned (32)));

  for (int m0 = 0; m0 < WR; m0 += 16)
    {
      const float *ak = a + m0, *bk = b;
      __m256 acc[WN][2];

      for (int r = 0; r < WN; r++)
        acc[r][0] = acc[r][1] = _mm256_setzero_ps ();
      for (int k = 0; k < K; k++, ak += WR, bk += ldb)
        {
          __m256 a0 = _mm256_loadu_ps (ak), a1 = _mm256_loadu_ps (ak + 8);

          for (int r = 0; r < cols; r++)
            {
              __m256 br = _mm256_broadcast_ss (bk + r);

              acc[r][0] = _mm256_fmadd_ps (a0, br, acc[r][0]);
              acc[r][1] = _mm256_fmadd_ps (a1, br, acc[r][1]);
            }
        }
      for (int r = 0; r < cols; r++)
        {
          _mm256_store_ps (out + r * WR + m0, acc[r][0]);
          _mm256_store_ps (out + r * WR + m0 + 8, acc[r][1]);
        }
    }
  wide_store (out, c, ldc, rows, cols);
}

#define WIDE_FORM(n)                                                             \
  __attribute__ ((target ("avx512f")))                                           \
  static void                                                                    \
  wide_avx512_##n (int K, const float *a, const float *b, int ldb, float *c,     \
                   int ldc, int rows)                                            \
  {                                                                              \
    wide_block_avx512 (K, a, b, ldb, c, ldc, rows, n);                           \
  }                                                                              \
  __attribute__ ((target ("avx2,fma")))                                          \
  static void                                                                    \
  wide_avx2_##n (int K, const float *a, const float *b, int ldb, float *c,       \
                 int ldc, int rows)                                              \
  {                                                                              \
    wide_block_avx2 (K, a, b, ldb, c, ldc, rows, n);                             \
  }
WIDE_FORM (1)
WIDE_FORM (2)
WIDE_FORM (3)
WIDE_FORM (4)
WIDE_FORM (5)
WIDE_FORM (6)
#undef WIDE_FORM

typedef void (*WideForm) (int K, const float *a, const float *b, int ldb, float *c,
                          int ldc, int rows);

static const WideForm wide_avx512[WN + 1] = {
  NULL, wide_avx512_1, wide_avx512_2, wide_avx512_3, wide_avx512_4, wide_avx512_5,
  wide_avx512_6,
};
static const WideForm wide_avx2[WN + 1] = {
  NULL, wide_avx2_1, wide_avx2_2, wide_avx2_3, wide_avx2_4, wide_avx2_5, wide_avx2_6,
};

/* Jobs [begin, end): job = (product · panels + panel) · blocks + block (of
 * WN columns), so that consecutive jobs reuse one wide panel of A. */
static void
wide_range (int begin, int end, gpointer data)
{
  PackedJob *j = data;
  const WideForm *forms = avx512_on () ? wide_avx512 : wide_avx2;

  for (int job = begin; job < end; job++)
    {
      int blk = job % j->blocks, p = job / j->blocks % j->pairs;
      int i = job / j->blocks / j->pairs;
      /* N spread evenly over the blocks (49 = 5 · 5 + 4 · 6, not 8 · 6 + 1:
       * a block of one column loads as much as it multiplies). */
      int n0 = (int) ((gint64) j->N * blk / j->blocks);
      int cols = (int) ((gint64) j->N * (blk + 1) / j->blocks) - n0;
      int rows = MIN (WR, j->M - p * WR);

      forms[cols] (j->K, j->packed + i * j->packed_stride + (gsize) p * WR * j->K,
                   j->B + i * j->b_stride + n0, j->ldb,
                   j->C + i * j->c_stride + (gsize) p * WR * j->ldc + n0, j->ldc, rows);
    }
}

void
gabn_packed_gemm_wide_batch (int count, int M, int N, int K, const float *packed,
                             gsize packed_stride, const float *B, gsize b_stride,
                             int ldb, float *C, gsize c_stride, int ldc)
{
  PackedJob j = {
    .M = M, .N = N, .K = K, .packed = packed, .B = B, .ldb = ldb, .C = C,
    .ldc = ldc, .packed_stride = packed_stride, .b_stride = b_stride,
    .c_stride = c_stride, .pairs = (M + WR - 1) / WR, .blocks = (N + WN - 1) / WN,
  };

  g_return_if_fail (gabn_packed_gemm_available ());
  gabn_parallel_for (count * j.pairs * j.blocks, wide_range, &j);
}
#undef WR
#undef WN

void
gabn_packed_gemm_batch (int count, int M, int N, int K, const float *packed,
                        gsize packed_stride, const float *B, gsize b_stride,
                        int ldb, float *C, gsize c_stride, int ldc)
{
  PackedJob j = {
    .M = M, .N = N, .K = K, .packed = packed, .B = B, .ldb = ldb, .C = C,
    .ldc = ldc, .packed_stride = packed_stride, .b_stride = b_stride,
    .c_stride = c_stride, .pairs = (M + 2 * MR - 1) / (2 * MR), .blocks = (N + NR - 1) / NR,
  };

  g_return_if_fail (gabn_packed_gemm_available ());
  /* One parallel loop for all products: waking the pool costs more than
   * one small product. */
  gabn_parallel_for (count * j.pairs * j.blocks, packed_range, &j);
}

void
gabn_packed_gemm (int M, int N, int K, const float *packed, const float *B,
                  int ldb, float *C, int ldc)
{
  gabn_packed_gemm_batch (1, M, N, K, packed, 0, B, 0, ldb, C, 0, ldc);
}

#else /* no AVX2 kernel on this architecture */

void
gabn_packed_gemm_serial_panels (int M, int N, int K, const float *packed,
                                const float *panels, float *C, int ldc,
                                const GabnPackedEpilogue *ep)
{
  (void) M; (void) N; (void) K; (void) packed; (void) panels; (void) C; (void) ldc;
  (void) ep;
  g_return_if_reached ();
}

void
gabn_packed_gemm_serial (int M, int N, int K, const float *packed, const float *B,
                         int ldb, float *C, int ldc, float *work,
                         const GabnPackedEpilogue *ep)
{
  (void) M; (void) N; (void) K; (void) packed; (void) B; (void) ldb; (void) C; (void) ldc;
  (void) work; (void) ep;
  g_return_if_reached ();
}

void
gabn_packed_gemm_panel (int M, int K, const float *packed, const float *b,
                        float *C, int ldc, int cols, const GabnPackedEpilogue *ep)
{
  (void) M; (void) K; (void) packed; (void) b; (void) C; (void) ldc; (void) cols; (void) ep;
  g_return_if_reached ();
}

gboolean
gabn_packed_gemm_available (void)
{
  return FALSE;
}

gboolean
gabn_packed_gemm_avx512 (void)
{
  return FALSE;
}

gboolean
gabn_packed_gemm_wide_pays (void)
{
  return FALSE;
}

gboolean
gabn_packed_gemm_set_avx512 (gboolean on)
{
  (void) on;
  return FALSE;
}

void
gabn_packed_gemm_batch (int count, int M, int N, int K, const float *packed,
                        gsize packed_stride, const float *B, gsize b_stride,
                        int ldb, float *C, gsize c_stride, int ldc)
{
  (void) count; (void) M; (void) N; (void) K; (void) packed; (void) packed_stride;
  (void) B; (void) b_stride; (void) ldb; (void) C; (void) c_stride; (void) ldc;
  g_return_if_reached ();
}

void
gabn_packed_gemm_wide_batch (int count, int M, int N, int K, const float *packed,
                             gsize packed_stride, const float *B, gsize b_stride,
                             int ldb, float *C, gsize c_stride, int ldc)
{
  (void) count; (void) M; (void) N; (void) K; (void) packed; (void) packed_stride;
  (void) B; (void) b_stride; (void) ldb; (void) C; (void) c_stride; (void) ldc;
  g_return_if_reached ();
}

void
gabn_packed_gemm (int M, int N, int K, const float *packed, const float *B,
                  int ldb, float *C, int ldc)
{
  gabn_packed_gemm_batch (1, M, N, K, packed, 0, B, 0, ldb, C, 0, ldc);
}

#endif
