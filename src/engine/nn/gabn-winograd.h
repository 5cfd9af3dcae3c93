/* gabn-winograd.h: 3×3, stride-1, pad-1 convolution by Winograd's minimal
 * filtering F(2×2, 3×3) (Lavin & Gray, 2016): 16 multiplications per 2×2
 * output tile and channel pair instead of 36, as 16 products: on the
 * engine's packed kernel (gabn-packed-gemm.h) where the CPU has AVX2 and
 * FMA, else 16 sgemm calls.
 *
 *   V[ξ] (C × T)  = Bᵀ d B    input tiles d (4×4, T tiles of all images)
 *   U[ξ] (O × C)  = G g Gᵀ    weights g (3×3), transformed once per weights
 *   M[ξ] (O × T)  = U[ξ] · V[ξ]                 ξ = 0..15
 *   y (2×2)       = Aᵀ m A                       one output tile
 *
 * Exact in real arithmetic; in float the transforms only add, subtract and
 * halve, so results match im2col's to a few ulps (tested). */
#pragma once

#include "gabn-layers.h"

G_BEGIN_DECLS

/* TRUE when gabn_winograd_forward computes this convolution (3×3, stride
 * 1, pad 1) and it pays off (enough channels for the transforms to be
 * cheap beside the products). */
gboolean gabn_winograd_applies (const GabnConvShape *shape);

/* Floats of U for a shape: 16 blocks of O · C, padded. */
gsize gabn_winograd_weight_floats (const GabnConvShape *shape);
/* U (16 × O × C, padded) from weight (O, C, 3, 3). */
void  gabn_winograd_transform_weights (float *U, const float *weight,
                                       const GabnConvShape *shape);

/* The same for the backward pass: the kernels rotated by 180°, with the
 * input and output channels swapped. */
void  gabn_winograd_transform_weights_transposed (float *U, const float *weight,
                                                  const GabnConvShape *shape);

/* Scratch floats gabn_winograd_forward needs for a batch of B. */
gsize gabn_winograd_workspace_floats (const GabnConvShape *shape, int B);

/* U packed for gabn_packed_gemm (gabn-packed-gemm.h), once per weights:
 * sgemm would pack U again on every call (a fifth of a single image's
 * pass). */
gsize gabn_winograd_packed_floats (const GabnConvShape *shape);
void  gabn_winograd_pack_weights (float *packed, const float *U,
                                  const GabnConvShape *shape);

/* As gabn_conv2d_forward_bn (bn nullable), with the weights given as U,
 * and U_packed (nullable) used instead when given (only when
 * gabn_packed_gemm_available (); then U may be NULL). Batches with bands
 * enough for the threads go band by band on packed weights. */
void gabn_winograd_forward (float *out, const GabnBnEpilogue *bn,
                            const float *in, const float *U,
                            const float *U_packed, const float *bias, int B,
                            const GabnConvShape *shape, float *work);

/* d_in (B,C,H,W) += the gradient through the convolution of d_out
 * (B,O,H,W), U_transposed from gabn_winograd_transform_weights_transposed
 * (without accumulate: d_in =, every element written once). Needs the
 * same scratch as forward. packed (nullable): room for U_transposed
 * packed, gabn_winograd_packed_transposed_floats; given, the products run
 * on the packed kernel, band by band as the forward's. */
gsize gabn_winograd_packed_transposed_floats (const GabnConvShape *shape);
void gabn_winograd_backward_data (float *d_in, const float *d_out,
                                  const float *U_transposed, float *packed, int B,
                                  const GabnConvShape *shape, float *work,
                                  gboolean accumulate);

/* d_weight (O,C,3,3) += ∂L/∂weight of the convolution of in (B,C,H,W)
 * giving out, from d_out (B,O,H,W) = ∂L/∂out: the same transforms, 16
 * products over all tiles (see gabn-winograd.c). work: as forward's; D:
 * gabn_winograd_weight_grad_floats floats of scratch. Sums in another
 * order than im2col's: within 10⁻⁶ of the largest gradient on the tested
 * shapes. */
gsize gabn_winograd_weight_grad_floats (const GabnConvShape *shape);
void gabn_winograd_backward_weights (float *d_weight, const float *d_out,
                                     const float *in, int B,
                                     const GabnConvShape *shape, float *work,
                                     float *D);

G_END_DECLS
