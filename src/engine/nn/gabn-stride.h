/* gabn-stride.h: dst[i] = src[2i] — the rows that a stride-2 convolution
 * unrolls — four at a time with SSE (part of every x86-64), which the
 * compiler does not vectorise on its own. Reads nothing past src[2n − 2]. */
#pragma once

#include <glib.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

static inline void
gabn_copy_stride2 (float *restrict dst, const float *restrict src, int n)
{
  int i = 0;

#if defined(__SSE2__)
  /* A group reads src[2i … 2i + 7]: only while that stays ≤ 2n − 2. */
  for (; 2 * i + 7 <= 2 * n - 2; i += 4)
    {
      __m128 a = _mm_loadu_ps (src + 2 * i), b = _mm_loadu_ps (src + 2 * i + 4);

      _mm_storeu_ps (dst + i, _mm_shuffle_ps (a, b, _MM_SHUFFLE (2, 0, 2, 0)));
    }
#endif
  for (; i < n; i++)
    dst[i] = src[2 * i];
}
