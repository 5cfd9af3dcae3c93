/* gabn-conv-grouped.c: convolution in groups (depthwise when every group
 * has one input channel, as MobileFaceNet's), by direct loops: a depthwise
 * kernel has k·k products per output, too few for im2col + sgemm to pay. */
#include "gabn-layers.h"
#include "gabn-parallel.h"

typedef struct {
  float *out;
  float *d_in, *d_weight, *d_bias;
  const float *in, *weight, *bias, *d_out;
  const GabnConvShape *s;
  int groups, B;
} GroupedJob;

/* One output plane (b, o): Σ over the group's Cg input channels and k×k. */
static void
forward_planes (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;

  for (int p = begin; p < end; p++)
    {
      int b = p / s->out_c, o = p % s->out_c, g = o / Og;
      float *out = j->out + (gsize) p * s->out_h * s->out_w;
      float bias = j->bias ? j->bias[o] : 0.0f;

      for (int i = 0; i < s->out_h * s->out_w; i++)
        out[i] = bias;
      for (int c = 0; c < Cg; c++)
        {
          const float *in = j->in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w;
          const float *w = j->weight + ((gsize) o * Cg + c) * k * k;

          for (int oy = 0; oy < s->out_h; oy++)
            for (int ky = 0; ky < k; ky++)
              {
                int iy = oy * s->stride - s->pad + ky;
                if (iy < 0 || iy >= s->in_h)
                  continue;
                for (int kx = 0; kx < k; kx++)
                  {
                    float wv = w[ky * k + kx];
                    const float *row = in + (gsize) iy * s->in_w;
                    float *orow = out + (gsize) oy * s->out_w;

                    for (int ox = 0; ox < s->out_w; ox++)
                      {
                        int ix = ox * s->stride - s->pad + kx;
                        if (ix >= 0 && ix < s->in_w)
                          orow[ox] += wv * row[ix];
                      }
                  }
              }
        }
    }
}

void
gabn_conv2d_grouped_forward (float *out, const float *in, const float *weight,
                             const float *bias, int B, const GabnConvShape *s,
                             int groups)
{
  GroupedJob j = { .out = out, .in = in, .weight = weight, .bias = bias,
                   .s = s, .groups = groups };

  gabn_parallel_for (B * s->out_c, forward_planes, &j);
}

/* d_in of one (b, g): each input channel is written by its own group only. */
static void
backward_data (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;

  for (int p = begin; p < end; p++)
    {
      int b = p / j->groups, g = p % j->groups;

      for (int oo = 0; oo < Og; oo++)
        {
          int o = g * Og + oo;
          const float *dy = j->d_out + ((gsize) b * s->out_c + o) * s->out_h * s->out_w;

          for (int c = 0; c < Cg; c++)
            {
              float *dx = j->d_in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w;
              const float *w = j->weight + ((gsize) o * Cg + c) * k * k;

              for (int oy = 0; oy < s->out_h; oy++)
                for (int ky = 0; ky < k; ky++)
                  {
                    int iy = oy * s->stride - s->pad + ky;
                    if (iy < 0 || iy >= s->in_h)
                      continue;
                    for (int kx = 0; kx < k; kx++)
                      {
                        float wv = w[ky * k + kx];
                        float *row = dx + (gsize) iy * s->in_w;
                        const float *drow = dy + (gsize) oy * s->out_w;

                        for (int ox = 0; ox < s->out_w; ox++)
                          {
                            int ix = ox * s->stride - s->pad + kx;
                            if (ix >= 0 && ix < s->in_w)
                              row[ix] += wv * drow[ox];
                          }
                      }
                  }
            }
        }
    }
}

/* d_weight and d_bias of output channel o, summed over the batch. */
static void
backward_weights (int begin, int end, gpointer data)
{
  GroupedJob *j = data;
  const GabnConvShape *s = j->s;
  int Cg = s->in_c / j->groups, Og = s->out_c / j->groups, k = s->kernel;

  for (int o = begin; o < end; o++)
    for (int b = 0; b < j->B; b++)
      {
        int g = o / Og;
        const float *dy = j->d_out + ((gsize) b * s->out_c + o) * s->out_h * s->out_w;

        if (j->d_bias)
          {
            double sum = 0;
            for (int i = 0; i < s->out_h * s->out_w; i++)
              sum += dy[i];
            j->d_bias[o] += (float) sum;
          }
        if (!j->d_weight)
          continue;
        for (int c = 0; c < Cg; c++)
          {
            const float *in = j->in + ((gsize) b * s->in_c + g * Cg + c) * s->in_h * s->in_w;
            float *dw = j->d_weight + ((gsize) o * Cg + c) * k * k;

            for (int ky = 0; ky < k; ky++)
              for (int kx = 0; kx < k; kx++)
                {
                  float acc = 0;
                  for (int oy = 0; oy < s->out_h; oy++)
                    {
                      int iy = oy * s->stride - s->pad + ky;
                      if (iy < 0 || iy >= s->in_h)
                        continue;
                      for (int ox = 0; ox < s->out_w; ox++)
                        {
                          int ix = ox * s->stride - s->pad + kx;
                          if (ix >= 0 && ix < s->in_w)
                            acc += dy[oy * s->out_w + ox] * in[(gsize) iy * s->in_w + ix];
                        }
                    }
                  dw[ky * k + kx] += acc;
                }
          }
      }
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
