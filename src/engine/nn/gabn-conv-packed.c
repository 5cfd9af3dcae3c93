/* gabn-conv-packed.c: one image's convolution on pre-packed weights — the
 * explorer's single-image pass, for the convolutions Winograd does not take
 * (the stem, the stride-2 and the 1×1 layers).
 *
 * sgemm would re-pack the weights on every call, and im2col would write all
 * of cols before the product reads it back from memory. Here each job
 * unrolls only a 16-column panel of cols (K × 16, in L1 or L2), multiplies
 * it by every packed weight panel, and applies bias and BatchNorm to the
 * block it has just written: one parallel loop per layer, no scratch
 * beyond the panel. */
#include "gabn-layers.h"
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"
#include "gabn-stride.h"

#define PANEL GABN_PACKED_PANEL

typedef struct {
  const GabnConvShape *s;
  const float *in, *packed, *bias;
  float *out, *bn_out;
  const float *bn_mean, *bn_scale, *bn_beta;
  gboolean relu;
} PanelJob;

/* b (K × PANEL) = cols[·][p0 … p0 + PANEL) for a panel inside one output
 * row (the common case: rows of 16 or more outputs): one bounds check per
 * input row and kernel column, plain copies in the image's interior. */
static void
unroll_row_panel (const PanelJob *j, int p0, float *b)
{
  const GabnConvShape *s = j->s;
  int k = s->kernel, H = s->in_h, W = s->in_w, st = s->stride;
  int iy0 = p0 / s->out_w * st - s->pad, ix0 = p0 % s->out_w * st - s->pad;

  for (int c = 0; c < s->in_c; c++)
    for (int ki = 0; ki < k; ki++)
      {
        int iy = iy0 + ki;
        const float *line = j->in + ((gsize) c * H + iy) * W;

        for (int kj = 0; kj < k; kj++, b += PANEL)
          {
            int x0 = ix0 + kj;

            if ((unsigned) iy >= (unsigned) H)
              for (int t = 0; t < PANEL; t++)
                b[t] = 0.0f;
            else if (x0 >= 0 && x0 + (PANEL - 1) * st < W && st == 2)
              gabn_copy_stride2 (b, line + x0, PANEL);
            else if (x0 >= 0 && x0 + (PANEL - 1) * st < W)
              for (int t = 0; t < PANEL; t++)
                b[t] = line[x0 + t * st];
            else
              for (int t = 0; t < PANEL; t++)
                {
                  int ix = x0 + t * st;
                  b[t] = (unsigned) ix < (unsigned) W ? line[ix] : 0.0f;
                }
          }
      }
}

/* The same for any panel (rows shorter than a panel, the last panel), zero
 * past the last column. */
static void
unroll_panel (const PanelJob *j, int p0, float *b)
{
  const GabnConvShape *s = j->s;
  int k = s->kernel, H = s->in_h, W = s->in_w, Wo = s->out_w;
  int P = s->out_h * Wo;
  int iy0[PANEL], ix0[PANEL];

  if (p0 + PANEL <= P && p0 / Wo == (p0 + PANEL - 1) / Wo)
    {
      unroll_row_panel (j, p0, b);
      return;
    }
  for (int t = 0; t < PANEL; t++)
    {
      int p = p0 + t;

      /* A column past the end reads as padding (never inside the image). */
      iy0[t] = p < P ? p / Wo * s->stride - s->pad : -H - k;
      ix0[t] = p < P ? p % Wo * s->stride - s->pad : 0;
    }
  for (int c = 0; c < s->in_c; c++)
    {
      const float *plane = j->in + (gsize) c * H * W;

      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++, b += PANEL)
          for (int t = 0; t < PANEL; t++)
            {
              int iy = iy0[t] + ki, ix = ix0[t] + kj;

              b[t] = (unsigned) iy < (unsigned) H && (unsigned) ix < (unsigned) W
                     ? plane[iy * W + ix] : 0.0f;
            }
    }
}

static void
panel_range (int begin, int end, gpointer data)
{
  const PanelJob *j = data;
  const GabnConvShape *s = j->s;
  int K = s->in_c * s->kernel * s->kernel, O = s->out_c, P = s->out_h * s->out_w;
  g_autofree float *b = g_new (float, (gsize) K * PANEL);

  for (int panel = begin; panel < end; panel++)
    {
      int p0 = panel * PANEL, cols = MIN (PANEL, P - p0);

      unroll_panel (j, p0, b);
      gabn_packed_gemm_panel (O, K, j->packed, b, j->out + p0, P, cols);
      for (int o = 0; o < O; o++)
        {
          float *y = j->out + (gsize) o * P + p0;
          float bias = j->bias ? j->bias[o] : 0.0f;

          for (int t = 0; t < cols; t++)
            y[t] += bias;
          if (j->bn_out)
            {
              float *z = j->bn_out + (gsize) o * P + p0;
              float m = j->bn_mean[o], scale = j->bn_scale[o], beta = j->bn_beta[o];

              /* As gabn_batchnorm_forward's eval mode. */
              for (int t = 0; t < cols; t++)
                {
                  float v = (y[t] - m) * scale + beta;
                  z[t] = j->relu && v < 0.0f ? 0.0f : v;
                }
            }
        }
    }
}

void
gabn_conv2d_forward_packed (float *out, float *bn_out, const float *in,
                            const float *packed, const float *bias,
                            const GabnConvShape *s, const float *bn_mean,
                            const float *bn_scale, const float *bn_beta,
                            gboolean relu)
{
  PanelJob j = {
    .s = s, .in = in, .packed = packed, .bias = bias, .out = out,
    .bn_out = bn_out, .bn_mean = bn_mean, .bn_scale = bn_scale,
    .bn_beta = bn_beta, .relu = relu,
  };

  g_return_if_fail (gabn_packed_gemm_available ());
  gabn_parallel_for ((s->out_h * s->out_w + PANEL - 1) / PANEL, panel_range, &j);
}
