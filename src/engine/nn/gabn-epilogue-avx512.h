/* gabn-epilogue-avx512.h: the eval-mode BatchNorm epilogue
 * (gabn_bn_epilogue_row) on one AVX-512 vector as it leaves a kernel's
 * registers, for the kernels of gabn-packed-gemm.c and
 * gabn-conv-grouped.c. Internal: include only from code compiled for
 * x86-64 with GCC or Clang, inside functions with target ("avx512f"). */
#pragma once

#include "gabn-layers.h"

#include <immintrin.h>

/* v into lanes m of p: a plain store when all 16 are (the common case; a
 * masked store costs more on Zen 4). */
__attribute__ ((target ("avx512f"), always_inline))
static inline void
gabn_store16 (float *p, __mmask16 m, __m512 v)
{
  if (m == 0xffff)
    _mm512_storeu_ps (p, v);
  else
    _mm512_mask_storeu_ps (p, m, v);
}

/* Channel o, lanes m of the outputs at offset off: gabn_bn_epilogue_row's
 * float arithmetic, element by element, so its bits. The empty asm keeps
 * GCC from fusing the BatchNorm's multiply and add into one FMA (rounded
 * once: other bits). */
__attribute__ ((target ("avx512f"), always_inline))
static inline void
gabn_bn_epilogue_avx512 (const GabnBnEpilogue *e, int o, gsize off, __m512 v,
                         __mmask16 m)
{
  __m512 zero = _mm512_setzero_ps ();

  v = _mm512_mul_ps (_mm512_sub_ps (v, _mm512_set1_ps (e->mean[o])),
                     _mm512_set1_ps (e->scale[o]));
  __asm__ ("" : "+v" (v));
  v = _mm512_add_ps (v, _mm512_set1_ps (e->beta[o]));
  if (e->relu)
    v = _mm512_maskz_mov_ps (_mm512_cmp_ps_mask (v, zero, _CMP_GT_OQ), v);
  if (e->out)
    gabn_store16 (e->out + off, m, v);
  if (e->residual)
    v = _mm512_add_ps (v, _mm512_maskz_loadu_ps (m, e->residual + off));
  else if (e->slope)
    v = _mm512_mask_blend_ps (_mm512_cmp_ps_mask (v, zero, _CMP_GT_OQ),
                              _mm512_mul_ps (_mm512_set1_ps (e->slope[o]), v), v);
  if (e->residual || e->slope)
    gabn_store16 (e->act_out + off, m, v);
}

/* The same on eight lanes (a ymm register), for blocks of ≤ 8 columns:
 * the same operations lane by lane, so the same bits. */
__attribute__ ((target ("avx512f,avx512vl"), always_inline))
static inline void
gabn_bn_epilogue_avx512_8 (const GabnBnEpilogue *e, int o, gsize off, __m256 v,
                           __mmask8 m)
{
  __m256 zero = _mm256_setzero_ps ();

  v = _mm256_mul_ps (_mm256_sub_ps (v, _mm256_set1_ps (e->mean[o])),
                     _mm256_set1_ps (e->scale[o]));
  __asm__ ("" : "+v" (v));
  v = _mm256_add_ps (v, _mm256_set1_ps (e->beta[o]));
  if (e->relu)
    v = _mm256_maskz_mov_ps (_mm256_cmp_ps_mask (v, zero, _CMP_GT_OQ), v);
  if (e->out)
    _mm256_mask_storeu_ps (e->out + off, m, v);
  if (e->residual)
    v = _mm256_add_ps (v, _mm256_maskz_loadu_ps (m, e->residual + off));
  else if (e->slope)
    v = _mm256_mask_blend_ps (_mm256_cmp_ps_mask (v, zero, _CMP_GT_OQ),
                              _mm256_mul_ps (_mm256_set1_ps (e->slope[o]), v), v);
  if (e->residual || e->slope)
    _mm256_mask_storeu_ps (e->act_out + off, m, v);
}
