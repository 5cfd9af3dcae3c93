/* gabn-packed-gemm.h: C = A · B for a weight matrix A packed once and used
 * for many calls — the single-image forward pass of the explorer, where
 * sgemm would re-pack the whole weight matrix on every call (a fifth of
 * the pass) to multiply it by a thin B.
 *
 * A (M × K) is packed in panels of 6 rows, k-major: panel p holds
 * A[6p + r][k] at [p][k][r]. The kernel keeps a 6 × 16 block of C in
 * AVX2 registers, or two panels' 12 × 16 in AVX-512 ones, and streams B's
 * rows; both give the same bits. Machines without AVX2 and FMA use
 * cblas_sgemm on the unpacked A instead (the caller keeps both). */
#pragma once

#include <glib.h>

#include "gabn-layers.h"

G_BEGIN_DECLS

/* TRUE when this CPU runs the packed kernel (AVX2 and FMA). */
gboolean gabn_packed_gemm_available (void);

/* Whether the 12 × 16 AVX-512 kernel runs (it does wherever the CPU has
 * AVX-512F); tests turn it off to check the AVX2 one. Returns the state
 * before. Not thread-safe: call it between products. */
gboolean gabn_packed_gemm_set_avx512 (gboolean on);

/* Whether the AVX-512 forms run now (the CPU has AVX-512F and the switch
 * above is on): also the depthwise 3×3 kernels' (gabn-conv-grouped.c). */
gboolean gabn_packed_gemm_avx512 (void);

/* Floats of a packed M × K matrix. */
gsize gabn_packed_floats (int M, int K);
/* packed = A (M × K, row stride lda) in panels. */
void  gabn_pack_a (float *packed, const float *A, int M, int K, int lda);

/* C (M × N, row stride ldc) = packed A (M × K) · B (K × N, row stride
 * ldb), on gabn_parallel_for. Only when gabn_packed_gemm_available (). */
void  gabn_packed_gemm (int M, int N, int K, const float *packed,
                        const float *B, int ldb, float *C, int ldc);

/* What a 1×1 layer does to each block of C as it leaves the kernel: the
 * convolution's bias, then the eval-mode BatchNorm epilogue bn, element
 * (m, n) of C at bn's offset bn_off + m·ldc + n. keep_raw: store the
 * product (+ bias) in C too; FALSE when C is one of bn's outputs anyway. */
typedef struct {
  const float *bias;            /* per row of C; nullable */
  const GabnBnEpilogue *bn;     /* nullable */
  gsize bn_off;
  gboolean keep_raw;
} GabnPackedEpilogue;

/* The same on the calling thread: B copied into work (K × N rounded up
 * to 32 floats; 64-byte aligned is best) as contiguous panels, each 6-row
 * weight panel once over all of them (keep K·N small enough for work to
 * stay in cache), then the epilogue ep (nullable) on each block of C while
 * it is in registers (AVX-512) or in cache (AVX2). The same bits as
 * gabn_packed_gemm followed by the bias and gabn_bn_epilogue_row. */
void  gabn_packed_gemm_serial (int M, int N, int K, const float *packed,
                               const float *B, int ldb, float *C, int ldc,
                               float *work, const GabnPackedEpilogue *ep);

/* The same with B already in the panels that gabn_packed_gemm_serial
 * copies it into (column n of row k at panels[(n / 32 · K + k) · 32 +
 * n % 32]; columns past N are read, not stored): for a layer whose input
 * was written that way (gabn_conv2d_grouped_forward_panels). AVX-512
 * only (gabn_packed_gemm_avx512 ()). */
void  gabn_packed_gemm_serial_panels (int M, int N, int K, const float *packed,
                                      const float *panels, float *C, int ldc,
                                      const GabnPackedEpilogue *ep);

/* count products at once: product i uses packed + i·packed_stride,
 * B + i·b_stride and C + i·c_stride (floats), in one parallel loop. */
void  gabn_packed_gemm_batch (int count, int M, int N, int K,
                              const float *packed, gsize packed_stride,
                              const float *B, gsize b_stride, int ldb,
                              float *C, gsize c_stride, int ldc);

/* Rows of C per vector block of the wide form below. */
#define GABN_PACKED_WIDE 64

/* A packed in panels of GABN_PACKED_WIDE rows (k-major), for the wide
 * form: C's rows in the vectors, B's columns broadcast six at a time. For
 * products with few columns, which the form above pads to a multiple of
 * 16 (a single image's Winograd tiles: 49 at 14 × 14). The same bits as
 * gabn_packed_gemm_batch. */
/* Whether the CPU has AVX-512F, where the wide form is the faster one (in
 * AVX2 it measured slower than the 16-column blocks: iresnet50's 14 × 14
 * layers 48.5 against 57.4 ms). The CPU's, not the switch above: weights
 * packed for one form stay valid when a test turns AVX-512 off. */
gboolean gabn_packed_gemm_wide_pays (void);
gsize gabn_packed_wide_floats (int M, int K);
void  gabn_pack_a_wide (float *packed, const float *A, int M, int K, int lda);
void  gabn_packed_gemm_wide_batch (int count, int M, int N, int K,
                                   const float *packed, gsize packed_stride,
                                   const float *B, gsize b_stride, int ldb,
                                   float *C, gsize c_stride, int ldc);

/* Width of the column panels gabn_packed_gemm_panel multiplies. */
#define GABN_PACKED_PANEL 32

/* C (M × cols, row stride ldc) = packed A (M × K) · b, where b is one
 * panel of K × GABN_PACKED_PANEL floats, contiguous (64-byte aligned is
 * best; columns past cols are read, not stored), then the epilogue ep
 * (nullable) as gabn_packed_gemm_serial's. On the calling thread: for
 * callers that build their own B panels in parallel (gabn-conv-packed.c). */
void  gabn_packed_gemm_panel (int M, int K, const float *packed, const float *b,
                              float *C, int ldc, int cols,
                              const GabnPackedEpilogue *ep);

G_END_DECLS
