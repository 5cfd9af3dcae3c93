/* gabn-layers.h: the engine's layers as forward/backward pairs (llm.c style).
 *
 * Arguments: outputs first, then inputs, then dimensions; shapes in the
 * comments, NCHW, row-major. Forward keeps nothing hidden: what backward
 * needs is passed back in explicitly (saved statistics, masks, indices).
 * Backward ACCUMULATES (+=) into every gradient it is given; a NULL gradient
 * pointer means "not needed" and skips that work. */
#pragma once

#include <glib.h>

#include "gabn-rng.h"

G_BEGIN_DECLS

/* ---- Conv2d: im2col + cblas_sgemm ------------------------------------- */

typedef struct {
  int in_c, in_h, in_w;
  int out_c, out_h, out_w;
  int kernel, stride, pad;
} GabnConvShape;

void  gabn_conv_shape_init (GabnConvShape *shape, int in_c, int in_h, int in_w,
                            int out_c, int kernel, int stride, int pad);
/* Floats of scratch memory that forward and backward need for a batch. */
gsize gabn_conv_workspace_floats (const GabnConvShape *shape, int B);

/* 1×1, stride 1, no padding: each image's C × P plane is already the
 * product's operand and its O × P result already NCHW (no im2col). */
static inline gboolean
gabn_conv_shape_pointwise (const GabnConvShape *shape)
{
  return shape->kernel == 1 && shape->stride == 1 && shape->pad == 0;
}

/* An eval-mode BatchNorm (and the PReLU or residual Add after it) applied
 * in a convolution's output pass: out = (x − mean[o])·scale[o] + beta[o],
 * ReLU'd when relu; act_out = PReLU(out) with slope[o] when slope is set,
 * or out + residual when residual is. All (B,O,Ho,Wo) like the
 * convolution's output; the same float arithmetic as the separate layers,
 * so results are identical. Inference keeps only the values something
 * reads (gabn-net-run.c): out may be NULL when act_out is set, and either
 * output may be the convolution's own buffer (computed in place: that
 * value is then not kept). */
typedef struct {
  float *out;
  const float *mean, *scale, *beta;
  gboolean relu;
  float *act_out;
  const float *slope;
  const float *residual;
} GabnBnEpilogue;

/* out (B,O,Ho,Wo) = in (B,C,H,W) ⋆ weight (O,C,k,k) + bias (O, nullable). */
void gabn_conv2d_forward (float *out, const float *in, const float *weight,
                          const float *bias, int B, const GabnConvShape *shape,
                          float *work);
/* The same, and the epilogue bn (nullable) in the same pass over out. */
void gabn_conv2d_forward_bn (float *out, const GabnBnEpilogue *bn,
                             const float *in, const float *weight,
                             const float *bias, int B,
                             const GabnConvShape *shape, float *work);
/* As gabn_conv2d_forward_bn, with the weights (O × C·k·k) packed by
 * gabn_pack_a (gabn-packed-gemm.h); needs no workspace. Each image gets
 * the same bits alone as in a batch. Only when gabn_packed_gemm_available (). */
void gabn_conv2d_forward_packed (float *out, const GabnBnEpilogue *bn,
                                 const float *in, const float *packed,
                                 const float *bias, int B,
                                 const GabnConvShape *shape);
/* The same for a batch of 1×1 stride-1 unpadded convolutions, the weights
 * (O × C) packed by gabn_pack_a. */
void gabn_conv2d_forward_pointwise_packed (float *out, const GabnBnEpilogue *bn,
                                           const float *in, const float *packed,
                                           const float *bias, int B,
                                           const GabnConvShape *shape);
/* d_in (B,C,H,W), d_weight (O,C,k,k), d_bias (O): all nullable, all +=. */
void gabn_conv2d_backward (float *d_in, float *d_weight, float *d_bias,
                           const float *d_out, const float *in,
                           const float *weight, int B,
                           const GabnConvShape *shape, float *work);

/* Grouped convolution (groups > 1; depthwise when groups = C), direct
 * loops: out (B,O,Ho,Wo) = in (B,C,H,W) ⋆ weight (O, C/groups, k, k) + bias
 * (O, nullable), output channel o reading group o / (O/groups). */
void gabn_conv2d_grouped_forward (float *out, const float *in,
                                  const float *weight, const float *bias,
                                  int B, const GabnConvShape *shape, int groups);
/* The same, and the epilogue bn (nullable) in the same pass. */
void gabn_conv2d_grouped_forward_bn (float *out, const GabnBnEpilogue *bn,
                                     const float *in, const float *weight,
                                     const float *bias, int B,
                                     const GabnConvShape *shape, int groups);
/* One image's grouped 3×3 stride-1 pad-1 convolution, its epilogue bn
 * a PReLU computed in place (bn->out and bn->residual NULL), the PReLU's
 * output written to panels in the layout of gabn_packed_gemm_serial's
 * panels (O × 32 floats per 32 outputs of each plane; the last panel's
 * columns past H·W are not written) instead of to bn->act_out: the input
 * of a 1×1 layer (gabn_conv2d_forward_pointwise_panels) without its copy.
 * Only when gabn_conv2d_grouped_panels_apply (). */
gboolean gabn_conv2d_grouped_panels_apply (const GabnConvShape *shape);
void gabn_conv2d_grouped_forward_panels (float *panels, const GabnBnEpilogue *bn,
                                         const float *in, const float *weight,
                                         const float *bias,
                                         const GabnConvShape *shape, int groups);
/* One image's 1×1 layer (gabn_conv2d_forward_pointwise_packed with B = 1)
 * reading its input from such panels, on the calling thread. AVX-512
 * only: after gabn_conv2d_grouped_panels_apply (). */
void gabn_conv2d_forward_pointwise_panels (float *out, const GabnBnEpilogue *bn,
                                           const float *panels, const float *packed,
                                           const float *bias,
                                           const GabnConvShape *shape);
/* d_in (B,C,H,W), d_weight (O,C/groups,k,k), d_bias (O): nullable, +=. */
void gabn_conv2d_grouped_backward (float *d_in, float *d_weight, float *d_bias,
                                   const float *d_out, const float *in,
                                   const float *weight, int B,
                                   const GabnConvShape *shape, int groups);

/* ---- BatchNorm2d / BatchNorm1d (S = H·W, or 1 for 1d) ------------------ */

/* y[i] = (x[i] − mean)·scale + beta, ReLU'd when relu: one row of
 * gabn_batchnorm_forward's eval mode, with its float arithmetic, for the
 * convolutions that fuse it into their output pass. */
static inline void
gabn_bn_eval_row (float *restrict y, const float *restrict x, int n,
                  float mean, float scale, float beta, gboolean relu)
{
  if (relu)
    for (int i = 0; i < n; i++)
      {
        float v = (x[i] - mean) * scale + beta;
        y[i] = v > 0.0f ? v : 0.0f;
      }
  else
    for (int i = 0; i < n; i++)
      y[i] = (x[i] - mean) * scale + beta;
}

/* Four floats as one GCC vector: element-wise, so exactly the scalar
 * expressions' results, and no branch (GCC keeps a ?: on floats scalar,
 * as a comparison may trap). Plain SSE on any x86-64, generic elsewhere. */
typedef float GabnVec4 __attribute__ ((vector_size (16)));
typedef int GabnVec4i __attribute__ ((vector_size (16)));

/* a > 0 ? a : b, element-wise. */
static inline GabnVec4
gabn_vec4_select_positive (GabnVec4 a, GabnVec4 b)
{
  GabnVec4i pos = a > (GabnVec4) { 0 };

  return (GabnVec4) ((pos & (GabnVec4i) a) | (~pos & (GabnVec4i) b));
}

/* The epilogue for the row of channel o at offset off (into its outputs)
 * from the convolution's output x (n floats). x may be out + off or
 * act_out + off (in place): each block of x is read before its stores. */
static inline void
gabn_bn_epilogue_row (const GabnBnEpilogue *e, gsize off, int o,
                      const float *x, int n)
{
  float *y = e->out ? e->out + off : NULL;
  float *a = e->slope || e->residual ? e->act_out + off : NULL;
  const float *r = e->residual ? e->residual + off : NULL;
  float mean = e->mean[o], scale = e->scale[o], beta = e->beta[o];
  float slope = e->slope ? e->slope[o] : 0.0f;
  int i = 0;

  for (; i + 4 <= n; i += 4)
    {
      GabnVec4 v, rv;

      __builtin_memcpy (&v, x + i, sizeof v);
      v = (v - mean) * scale + beta;  /* gabn_bn_eval_row's expression */
      if (e->relu)
        v = gabn_vec4_select_positive (v, (GabnVec4) { 0 });
      if (y)
        __builtin_memcpy (y + i, &v, sizeof v);
      if (r)
        {
          __builtin_memcpy (&rv, r + i, sizeof rv);
          v = v + rv;  /* gabn_add_forward's */
        }
      else if (a)
        v = gabn_vec4_select_positive (v, slope * v);  /* gabn_prelu_forward's */
      if (a)
        __builtin_memcpy (a + i, &v, sizeof v);
    }
  for (; i < n; i++)
    {
      float v = (x[i] - mean) * scale + beta;

      if (e->relu)
        v = v > 0.0f ? v : 0.0f;
      if (y)
        y[i] = v;
      if (r)
        a[i] = v + r[i];
      else if (a)
        a[i] = v > 0.0f ? v : slope * v;
    }
}

/* y (B,C,S) = gamma · (x − mean) · rstd + beta. Training: batch statistics
 * (biased variance), running_mean/var updated with momentum and the unbiased
 * variance, as PyTorch. Eval: running statistics. Both save mean and rstd
 * (C) for backward. relu: y = max(that, 0) in the same pass (BN + ReLU
 * fused: one read and one write of the activations instead of two). */
void gabn_batchnorm_forward (float *y, float *save_mean, float *save_rstd,
                             float *running_mean, float *running_var,
                             const float *x, const float *gamma,
                             const float *beta, int B, int C, int S,
                             float eps, float momentum, gboolean training,
                             gboolean relu);
/* d_x (B,C,S), d_gamma (C), d_beta (C): nullable, +=. training must match
 * forward (batch statistics depend on x; running ones do not). y_relu: the
 * fused forward's output (its gradient is masked by y > 0), or NULL
 * without ReLU. Without accumulate, d_x is written (=), as if it had been
 * zeroed first (the interpreter's first writer of a gradient). */
void gabn_batchnorm_backward (float *d_x, float *d_gamma, float *d_beta,
                              const float *d_y, const float *y_relu,
                              const float *x, const float *gamma,
                              const float *save_mean, const float *save_rstd,
                              int B, int C, int S, gboolean training,
                              gboolean accumulate);

/* ---- Element-wise ----------------------------------------------------- */

/* y (n) = max(x, 0). */
void gabn_relu_forward (float *y, const float *x, gsize n);
/* The element-wise backwards add to their input gradients (d_x +=), or
 * without accumulate write them (d_x = 0 + …: the bits of adding to zeros,
 * for the interpreter's first writer of a gradient, which skips zeroing). */

/* d_x += d_y · [y > 0]. */
void gabn_relu_backward (float *d_x, const float *d_y, const float *y, gsize n,
                         gboolean accumulate);

/* y (B,C,S) = x > 0 ? x : a[c] · x (one slope per channel). */
void gabn_prelu_forward (float *y, const float *x, const float *a,
                         int B, int C, int S);
void gabn_prelu_backward (float *d_x, float *d_a, const float *d_y,
                          const float *x, const float *a, int B, int C, int S,
                          gboolean accumulate);

/* y (n) = a + b (the residual connection). */
void gabn_add_forward (float *y, const float *a, const float *b, gsize n);
void gabn_add_backward (float *d_a, float *d_b, const float *d_y, gsize n,
                        gboolean accumulate_a, gboolean accumulate_b);

/* y (n) = x · mask, mask (n) drawn here: 0 with probability p, else
 * 1 / (1 − p) (inverted dropout, as PyTorch). */
void gabn_dropout_forward (float *y, float *mask, const float *x, gsize n,
                           float p, GabnRng *rng);
void gabn_dropout_backward (float *d_x, const float *d_y, const float *mask,
                            gsize n);

/* y (B, C·H·W) = x (B,C,H,W): a copy, as torch.flatten(x, 1). */
void gabn_flatten_forward (float *y, const float *x, gsize n);
void gabn_flatten_backward (float *d_x, const float *d_y, gsize n,
                            gboolean accumulate);

/* y (B,C,S) = x · scale[c] + shift[c]: ONNX Mul/Add/Sub/Div by constants,
 * dlib's scale layer. */
void gabn_affine_forward (float *y, const float *x, const float *scale,
                          const float *shift, int B, int C, int S);
/* d_x += d_y · scale[c] (the constants have no gradient). */
void gabn_affine_backward (float *d_x, const float *d_y, const float *scale,
                           int B, int C, int S);

/* y (B,C,H+top+bottom,W+left+right) = x framed by `value`. */
void gabn_pad_forward (float *y, const float *x, int B, int C, int H, int W,
                       int top, int left, int bottom, int right, float value);
void gabn_pad_backward (float *d_x, const float *d_y, int B, int C, int H,
                        int W, int top, int left, int bottom, int right);

/* ---- Linear ----------------------------------------------------------- */

/* y (B,O) = x (B,I) · W (O,I)ᵀ + bias (O, nullable). */
void gabn_linear_forward (float *y, const float *x, const float *W,
                          const float *bias, int B, int I, int O);
void gabn_linear_backward (float *d_x, float *d_W, float *d_bias,
                           const float *d_y, const float *x, const float *W,
                           int B, int I, int O);

/* ---- Pooling (k×k window, stride, zero padding) ------------------------ */

/* y (B,C,Ho,Wo) = max over the window; argmax (B,C,Ho,Wo) keeps the index
 * into x of each maximum. Padding counts as −∞. */
void gabn_maxpool_forward (float *y, int *argmax, const float *x, int B, int C,
                           int H, int W, int k, int stride, int pad);
void gabn_maxpool_backward (float *d_x, const float *d_y, const int *argmax,
                            int B, int C, int H, int W, int k, int stride,
                            int pad);
/* y = mean over the window, padding included in the count (PyTorch's
 * count_include_pad=True). */
void gabn_avgpool_forward (float *y, const float *x, int B, int C, int H, int W,
                           int k, int stride, int pad);
void gabn_avgpool_backward (float *d_x, const float *d_y, int B, int C, int H,
                            int W, int k, int stride, int pad);
int  gabn_pool_out_size (int in, int k, int stride, int pad);

/* y (B,C) = mean of x (B,C,S) over its S = H·W cells. */
void gabn_global_avgpool_forward (float *y, const float *x, int B, int C, int S);
void gabn_global_avgpool_backward (float *d_x, const float *d_y, int B, int C,
                                   int S);

/* ---- L2 normalisation (F.normalize, eps 1e-12) ------------------------ */

/* y (B,D) = x / max(‖x‖, eps); norm (B) keeps ‖x‖. */
void gabn_l2norm_forward (float *y, float *norm, const float *x, int B, int D);
void gabn_l2norm_backward (float *d_x, const float *d_y, const float *y,
                           const float *norm, int B, int D);

/* ---- Zero padding at the end of channels, rows and columns ------------ */

/* y (B,Co,Ho,Wo) = x (B,C,H,W) in its first C channels, H rows, W columns,
 * zero elsewhere (Co ≥ C, Ho ≥ H, Wo ≥ W). */
void gabn_zero_pad_forward (float *y, const float *x, int B, int C, int H,
                            int W, int Co, int Ho, int Wo);
/* d_x += d_y cropped to (B,C,H,W). */
void gabn_zero_pad_backward (float *d_x, const float *d_y, int B, int C, int H,
                             int W, int Co, int Ho, int Wo);

G_END_DECLS
