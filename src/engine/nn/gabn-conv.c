/* gabn-conv.c: Conv2d as im2col + one cblas_sgemm per chunk of images
 * (the backward of 1×1 layers and of larger planes image by image, see
 * backward_lanes).
 *
 * A chunk of nb images is unrolled into cols (K × nb·P, K = C·k·k, P = Ho·Wo)
 * so that one large sgemm does the whole chunk: tmp (O × nb·P) = W (O × K) ·
 * cols. tmp is then scattered to NCHW. Large N keeps sgemm near its peak;
 * chunks bound the memory (cols for a whole iresnet batch would be GBs). The
 * unrolling, the scattering and the sgemm slices (gabn-matmul.c) all run on
 * the engine's one pool (gabn_parallel_for). */
#include "gabn-engine.h"
#include "gabn-layers.h"
#include "gabn-matmul.h"
#include "gabn-parallel.h"
#include "gabn-stride.h"

#include <string.h>

/* Aim for cols of at most this many floats per chunk (16 MB). */
#define CHUNK_FLOATS (1 << 22)

void
gabn_conv_shape_init (GabnConvShape *s, int in_c, int in_h, int in_w,
                      int out_c, int kernel, int stride, int pad)
{
  s->in_c = in_c;
  s->in_h = in_h;
  s->in_w = in_w;
  s->out_c = out_c;
  s->kernel = kernel;
  s->stride = stride;
  s->pad = pad;
  s->out_h = (in_h + 2 * pad - kernel) / stride + 1;
  s->out_w = (in_w + 2 * pad - kernel) / stride + 1;
}

static int
chunk_images (const GabnConvShape *s, int B)
{
  gsize per_image = (gsize) s->in_c * s->kernel * s->kernel * s->out_h * s->out_w;
  gsize nb = MAX (1, CHUNK_FLOATS / MAX (per_image, 1));

  return (int) MIN ((gsize) B, nb);
}

/* The backward goes one image at a time, in BACKWARD_LANES lanes (see
 * backward_lanes), for the 1×1 stride-1 layers (their planes are already
 * the products' operands) and for planes of BY_IMAGE_MIN_P and up whose
 * columns are no larger than a chunk's. */
#define BACKWARD_LANES 4
#define BY_IMAGE_MIN_P 196

static gboolean
backward_goes_by_image (const GabnConvShape *s)
{
  gsize K = (gsize) s->in_c * s->kernel * s->kernel, P = (gsize) s->out_h * s->out_w;

  return gabn_conv_shape_pointwise (s) || (P >= BY_IMAGE_MIN_P && K * P <= CHUNK_FLOATS);
}

/* Floats of one lane's workspace: its columns (none for 1×1 layers) and
 * its sum of the weight gradient. */
static gsize
lane_floats (const GabnConvShape *s)
{
  gsize K = (gsize) s->in_c * s->kernel * s->kernel, P = (gsize) s->out_h * s->out_w;

  return (gabn_conv_shape_pointwise (s) ? 0 : K * P) + (gsize) s->out_c * K;
}

/* Lane l's columns, and its weight-gradient sum right after them. */
static float *
lane_cols (float *work, const GabnConvShape *s, int l)
{
  return work + (gsize) l * lane_floats (s);
}

static float *
lane_sum (float *work, const GabnConvShape *s, int l)
{
  gsize K = (gsize) s->in_c * s->kernel * s->kernel, P = (gsize) s->out_h * s->out_w;

  return lane_cols (work, s, l) + (gabn_conv_shape_pointwise (s) ? 0 : K * P);
}

gsize
gabn_conv_workspace_floats (const GabnConvShape *s, int B)
{
  gsize K = (gsize) s->in_c * s->kernel * s->kernel;
  gsize P = (gsize) s->out_h * s->out_w;
  /* cols + dcols + tmp */
  gsize chunks = (gsize) chunk_images (s, MAX (B, 1)) * P * (2 * K + s->out_c);

  if (!backward_goes_by_image (s))
    return chunks;
  return MAX (chunks, BACKWARD_LANES * lane_floats (s));
}

typedef struct {
  const GabnConvShape *s;
  const float *in;      /* first image of the chunk */
  float *d_in;
  float *cols;          /* K × ld */
  float *tmp;           /* O × ld */
  float *out;
  const float *d_out;
  const float *bias;
  const float *weight;    /* O × K, for pointwise_images */
  const GabnBnEpilogue *bn;   /* optional eval-mode BatchNorm of out */
  gsize bn_off;               /* the chunk's first output in bn's tensors */
  int nb;
  int ld;               /* nb·P */
} ConvJob;

/* dst[i·stride] += src[i]; restrict lets the compiler vectorise stride 1. */
static inline void
add_row (float *restrict dst, const float *restrict src, int n, int stride)
{
  if (stride == 1)
    for (int i = 0; i < n; i++)
      dst[i] += src[i];
  else
    for (int i = 0; i < n; i++)
      dst[i * stride] += src[i];
}

/* The output columns ox whose input column ox·stride − pad + kj is inside
 * [0, W): [*first, *last). */
static void
valid_columns (const GabnConvShape *s, int kj, int *first, int *last)
{
  int lo = s->pad - kj, hi = s->in_w - 1 + s->pad - kj;

  *first = lo <= 0 ? 0 : (lo + s->stride - 1) / s->stride;
  *last = hi < 0 ? 0 : MIN (s->out_w, hi / s->stride + 1);
  if (*last < *first)
    *last = *first;
}

/* Rows of cols for (image, channel) pairs [begin, end). */
static void
im2col_range (int begin, int end, gpointer data)
{
  ConvJob *j = data;
  const GabnConvShape *s = j->s;
  int k = s->kernel, H = s->in_h, W = s->in_w, Ho = s->out_h, Wo = s->out_w;
  int P = Ho * Wo, st = s->stride;

  for (int bc = begin; bc < end; bc++)
    {
      int b = bc / s->in_c, c = bc % s->in_c;
      const float *plane = j->in + ((gsize) b * s->in_c + c) * H * W;

      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++)
          {
            float *row = j->cols + (gsize) ((c * k + ki) * k + kj) * j->ld + (gsize) b * P;
            int first, last;

            valid_columns (s, kj, &first, &last);
            for (int oy = 0; oy < Ho; oy++)
              {
                int iy = oy * st - s->pad + ki;
                float *dst = row + oy * Wo;
                int base = iy * W - s->pad + kj;  /* plane index of ox = 0 */

                if (iy < 0 || iy >= H)
                  {
                    memset (dst, 0, sizeof (float) * Wo);
                    continue;
                  }
                for (int ox = 0; ox < first; ox++)
                  dst[ox] = 0.0f;
                if (st == 1)
                  memcpy (dst + first, plane + base + first, sizeof (float) * (last - first));
                else if (st == 2)
                  gabn_copy_stride2 (dst + first, plane + base + 2 * first, last - first);
                else
                  for (int ox = first; ox < last; ox++)
                    dst[ox] = plane[base + ox * st];
                for (int ox = last; ox < Wo; ox++)
                  dst[ox] = 0.0f;
              }
          }
    }
}

/* d_in += col2im(dcols) for (image, channel) pairs [begin, end). */
static void
col2im_range (int begin, int end, gpointer data)
{
  ConvJob *j = data;
  const GabnConvShape *s = j->s;
  int k = s->kernel, H = s->in_h, W = s->in_w, Ho = s->out_h, Wo = s->out_w;
  int P = Ho * Wo, st = s->stride;

  for (int bc = begin; bc < end; bc++)
    {
      int b = bc / s->in_c, c = bc % s->in_c;
      float *plane = j->d_in + ((gsize) b * s->in_c + c) * H * W;

      for (int ki = 0; ki < k; ki++)
        for (int kj = 0; kj < k; kj++)
          {
            const float *row = j->cols + (gsize) ((c * k + ki) * k + kj) * j->ld + (gsize) b * P;
            int first, last;

            valid_columns (s, kj, &first, &last);
            for (int oy = 0; oy < Ho; oy++)
              {
                int iy = oy * st - s->pad + ki;
                const float *src = row + oy * Wo;
                int base = iy * W - s->pad + kj;

                if (iy < 0 || iy >= H || last <= first)
                  continue;
                add_row (plane + base + first * st, src + first, last - first, st);
              }
          }
    }
}

/* One image's out (O × P) += bias, and bn_out = BatchNorm(out), for
 * channels [begin, end). */
static void
bias_bn_range (int begin, int end, gpointer data)
{
  ConvJob *j = data;
  int P = j->s->out_h * j->s->out_w;

  for (int o = begin; o < end; o++)
    {
      float *y = j->out + (gsize) o * P;

      if (j->bias)
        for (int p = 0; p < P; p++)
          y[p] += j->bias[o];
      if (j->bn)
        gabn_bn_epilogue_row (j->bn, j->bn_off + (gsize) o * P, o, y, P);
    }
}

/* Output blocks of a 1×1 product are about this many floats (L2-sized). */
#define POINTWISE_BLOCK_FLOATS (1 << 15)

/* 1×1 stride-1 convolutions of images [begin, end) on the calling thread:
 * one thread phase for the whole batch instead of two per image. Each
 * image's product goes in blocks of columns, each block's bias and
 * BatchNorm right after its product, while the block is still in cache. */
static void
pointwise_images (int begin, int end, gpointer data)
{
  const ConvJob *j = data;
  const GabnConvShape *s = j->s;
  int K = s->in_c, O = s->out_c, P = s->out_h * s->out_w;
  int cols = MAX (16, POINTWISE_BLOCK_FLOATS / O / 16 * 16);

  for (int b = begin; b < end; b++)
    {
      float *out = j->out + (gsize) b * O * P;
      const float *in = j->in + (gsize) b * K * P;

      for (int p0 = 0; p0 < P; p0 += cols)
        {
          int n = MIN (cols, P - p0);

          gabn_gemm_serial (FALSE, FALSE, O, n, K, 1.0f, j->weight, K, in + p0, P,
                            0.0f, out + p0, P);
          for (int o = 0; o < O && (j->bias || j->bn); o++)
            {
              float *y = out + (gsize) o * P + p0;

              if (j->bias)
                for (int p = 0; p < n; p++)
                  y[p] += j->bias[o];
              if (j->bn)
                gabn_bn_epilogue_row (j->bn, (gsize) (b * O + o) * P + p0, o, y, n);
            }
        }
    }
}

/* out[b][o] = tmp[o][b·P ...] + bias[o] for (image, channel) pairs. */
static void
scatter_range (int begin, int end, gpointer data)
{
  ConvJob *j = data;
  int O = j->s->out_c, P = j->s->out_h * j->s->out_w;

  for (int bo = begin; bo < end; bo++)
    {
      int b = bo / O, o = bo % O;
      float *dst = j->out + ((gsize) b * O + o) * P;
      const float *src = j->tmp + (gsize) o * j->ld + (gsize) b * P;
      float bias = j->bias ? j->bias[o] : 0.0f;

      for (int p = 0; p < P; p++)
        dst[p] = src[p] + bias;
      if (j->bn)
        gabn_bn_epilogue_row (j->bn, j->bn_off + ((gsize) b * O + o) * P, o, dst, P);
    }
}

/* tmp[o][b·P ...] = d_out[b][o]. */
static void
gather_range (int begin, int end, gpointer data)
{
  ConvJob *j = data;
  int O = j->s->out_c, P = j->s->out_h * j->s->out_w;

  for (int bo = begin; bo < end; bo++)
    {
      int b = bo / O, o = bo % O;
      memcpy (j->tmp + (gsize) o * j->ld + (gsize) b * P,
              j->d_out + ((gsize) b * O + o) * P, sizeof (float) * P);
    }
}

void
gabn_conv2d_forward (float *out, const float *in, const float *weight,
                     const float *bias, int B, const GabnConvShape *s,
                     float *work)
{
  gabn_conv2d_forward_bn (out, NULL, in, weight, bias, B, s, work);
}

void
gabn_conv2d_forward_bn (float *out, const GabnBnEpilogue *bn, const float *in,
                        const float *weight, const float *bias, int B,
                        const GabnConvShape *s, float *work)
{
  int K = s->in_c * s->kernel * s->kernel, O = s->out_c, P = s->out_h * s->out_w;
  int chunk = chunk_images (s, B);

  /* 1×1, stride 1, no padding (MobileFaceNet's expand and project layers):
   * each image's C × P plane is already its columns, and its O × P result
   * is already NCHW: one product per image, no im2col copy, no scatter. */
  if (gabn_conv_shape_pointwise (s))
    {
      int threads = gabn_get_threads ();

      /* Enough images to share evenly: a whole product per thread. */
      if (threads > 1 && (B % threads == 0 || B >= 4 * threads))
        {
          ConvJob j = { .s = s, .nb = 1, .ld = P, .bias = bias, .bn = bn,
                        .in = in, .out = out, .weight = weight };

          gabn_parallel_for (B, pointwise_images, &j);
          return;
        }
      for (int b = 0; b < B; b++)
        {
          ConvJob j = {
            .s = s, .nb = 1, .ld = P, .bias = bias,
            .out = out + (gsize) b * O * P,
            .bn = bn, .bn_off = (gsize) b * O * P,
          };

          gabn_gemm (FALSE, FALSE, O, P, K, 1.0f, weight, K, in + (gsize) b * K * P, P,
                     0.0f, j.out, P);
          if (bias || bn)
            gabn_parallel_for (O, bias_bn_range, &j);
        }
      return;
    }
  for (int b0 = 0; b0 < B; b0 += chunk)
    {
      int nb = MIN (chunk, B - b0);
      ConvJob j = {
        .s = s, .nb = nb, .ld = nb * P, .bias = bias,
        .in = in + (gsize) b0 * s->in_c * s->in_h * s->in_w,
        .out = out + (gsize) b0 * O * P,
        .cols = work,
        .bn = bn, .bn_off = (gsize) b0 * O * P,
      };
      j.tmp = work + (gsize) K * j.ld;

      gabn_parallel_for (nb * s->in_c, im2col_range, &j);
      if (nb == 1)
        {
          /* One image: its O × P result is already NCHW. */
          gabn_gemm (FALSE, FALSE, O, P, K, 1.0f, weight, K, j.cols, P, 0.0f, j.out, P);
          if (bias || j.bn)
            gabn_parallel_for (O, bias_bn_range, &j);
          continue;
        }
      /* tmp (O × nb·P) = W (O × K) · cols (K × nb·P) */
      gabn_gemm (FALSE, FALSE, O, j.ld, K, 1.0f, weight, K, j.cols, j.ld,
                 0.0f, j.tmp, j.ld);
      gabn_parallel_for (nb * O, scatter_range, &j);
    }
}

typedef struct {
  const GabnConvShape *s;
  float *d_in, *work;
  const float *in, *d_out, *weight;
  gboolean want_weight;
  int B;
  int images[BACKWARD_LANES];   /* images each lane took */
} LaneJob;

/* Lane l takes images l, l + LANES, …, one at a time: its columns (K × P)
 * stay in cache from im2col to the products and from the product to
 * col2im (a 1×1 layer's input plane is its columns, and its d_in the
 * product's own output), and its d_out (O × P) is read in place (no
 * gather). Its weight gradient goes to its own sum, added in lane order
 * after: the same bits on any number of threads (up to LANES of them). */
static void
backward_lanes (int begin, int end, gpointer data)
{
  LaneJob *lj = data;
  const GabnConvShape *s = lj->s;
  int K = s->in_c * s->kernel * s->kernel, O = s->out_c, P = s->out_h * s->out_w;
  gsize in_size = (gsize) s->in_c * s->in_h * s->in_w;
  gboolean pointwise = gabn_conv_shape_pointwise (s);

  for (int l = begin; l < end; l++)
    {
      /* cols, then (once the weight gradient has read them) dcols */
      float *cols = lane_cols (lj->work, s, l), *sum = lane_sum (lj->work, s, l);

      lj->images[l] = 0;
      for (int b = l; b < lj->B; b += BACKWARD_LANES, lj->images[l]++)
        {
          const float *dy = lj->d_out + (gsize) b * O * P;
          ConvJob j = { .s = s, .nb = 1, .ld = P, .in = lj->in + b * in_size, .cols = cols };

          if (lj->want_weight)
            {
              if (!pointwise)
                im2col_range (0, s->in_c, &j);
              /* sum (O × K) (+)= d_out (O × P) · colsᵀ */
              gabn_gemm_serial (FALSE, TRUE, O, K, P, 1.0f, dy, P, pointwise ? j.in : cols, P,
                                lj->images[l] > 0 ? 1.0f : 0.0f, sum, K);
            }
          if (lj->d_in && pointwise)
            /* d_in (C × P) += Wᵀ · d_out */
            gabn_gemm_serial (TRUE, FALSE, K, P, O, 1.0f, lj->weight, K, dy, P, 1.0f,
                              lj->d_in + b * in_size, P);
          else if (lj->d_in)
            {
              /* dcols (K × P) = Wᵀ · d_out, over the columns */
              gabn_gemm_serial (TRUE, FALSE, K, P, O, 1.0f, lj->weight, K, dy, P, 0.0f, cols, P);
              j.d_in = lj->d_in + b * in_size;
              col2im_range (0, s->in_c, &j);
            }
        }
    }
}

static void
backward_by_images (float *d_in, float *d_weight, const float *d_out, const float *in,
                    const float *weight, int B, const GabnConvShape *s, float *work)
{
  gsize n_weight = (gsize) s->out_c * s->in_c * s->kernel * s->kernel;
  LaneJob lj = { .s = s, .d_in = d_in, .work = work, .in = in, .d_out = d_out,
                 .weight = weight, .want_weight = d_weight != NULL, .B = B };

  gabn_parallel_for (BACKWARD_LANES, backward_lanes, &lj);
  for (int l = 0; d_weight && l < BACKWARD_LANES; l++)
    {
      const float *sum = lane_sum (work, s, l);

      if (lj.images[l] > 0)
        for (gsize i = 0; i < n_weight; i++)
          d_weight[i] += sum[i];
    }
}

void
gabn_conv2d_backward (float *d_in, float *d_weight, float *d_bias,
                      const float *d_out, const float *in, const float *weight,
                      int B, const GabnConvShape *s, float *work)
{
  int K = s->in_c * s->kernel * s->kernel, O = s->out_c, P = s->out_h * s->out_w;
  int chunk = chunk_images (s, B);

  if (d_bias)
    for (int b = 0; b < B; b++)
      for (int o = 0; o < O; o++)
        {
          const float *g = d_out + ((gsize) b * O + o) * P;
          double acc = 0;
          for (int p = 0; p < P; p++)
            acc += g[p];
          d_bias[o] += (float) acc;
        }
  if (d_in == NULL && d_weight == NULL)
    return;

  if (backward_goes_by_image (s))
    {
      backward_by_images (d_in, d_weight, d_out, in, weight, B, s, work);
      return;
    }

  for (int b0 = 0; b0 < B; b0 += chunk)
    {
      int nb = MIN (chunk, B - b0);
      ConvJob j = {
        .s = s, .nb = nb, .ld = nb * P,
        .in = in + (gsize) b0 * s->in_c * s->in_h * s->in_w,
        .d_out = d_out + (gsize) b0 * O * P,
        .cols = work,
      };
      float *dcols = work + (gsize) K * j.ld;
      j.tmp = dcols + (gsize) K * j.ld;

      if (nb == 1)
        j.tmp = (float *) j.d_out;  /* one image: d_out is already O × P */
      else
        gabn_parallel_for (nb * O, gather_range, &j);
      if (d_weight)
        {
          gabn_parallel_for (nb * s->in_c, im2col_range, &j);
          /* d_weight (O × K) += tmp (O × nb·P) · colsᵀ */
          gabn_gemm (FALSE, TRUE, O, K, j.ld, 1.0f, j.tmp, j.ld, j.cols, j.ld,
                     1.0f, d_weight, K);
        }
      if (d_in)
        {
          /* dcols (K × nb·P) = Wᵀ · tmp */
          gabn_gemm (TRUE, FALSE, K, j.ld, O, 1.0f, weight, K, j.tmp, j.ld,
                     0.0f, dcols, j.ld);
          j.cols = dcols;
          j.d_in = d_in + (gsize) b0 * s->in_c * s->in_h * s->in_w;
          gabn_parallel_for (nb * s->in_c, col2im_range, &j);
        }
    }
}
