/* gabn-net-run.c: the forward and backward interpreter over a net's nodes.
 * Forward writes every value (activations are kept for backward); backward
 * visits the nodes in reverse, each layer's backward adding (+=) its share
 * to its inputs' gradients, which are zeroed just before the first of them
 * (or written by the first, when it can: assigns_input_grad) and given
 * back to the pool once the node writing the value is done. */
#include "gabn-net-private.h"
#include "gabn-packed-gemm.h"
#include "gabn-parallel.h"
#include "gabn-winograd.h"

#include <math.h>
#include <string.h>

/* Floats of training's packed Winograd weights, forward's or backward's
 * (their panels differ when O ≠ C), after U in the shared scratch; 0
 * without the packed kernel. */
static gsize
winograd_packed_floats (const GabnConvShape *s)
{
  if (!gabn_packed_gemm_available ())
    return 0;
  return MAX (gabn_winograd_packed_floats (s), gabn_winograd_packed_transposed_floats (s));
}

/* Where training's packed Winograd weights go in the shared scratch, or
 * NULL when it was not sized for them (in eval mode: sized at the next
 * forward in training mode). */
static float *
winograd_packed_scratch (GabnNet *net, const GabnConvShape *s)
{
  gsize at = gabn_winograd_weight_floats (s);
  gsize need = winograd_packed_floats (s);

  return need > 0 && at + need <= net->wino_scratch_floats ? net->wino_scratch + at : NULL;
}

void
gabn_net_ensure_capacity (GabnNet *net, int batch)
{
  gsize work = 0, wino = 0;

  if (batch > net->capacity)
    {
      gabn_grad_pool_clear (net);
      gabn_net_drop_transients (net);
      for (int i = 0; i < net->n_values; i++)
        {
          GabnValue *v = &net->values[i];
          g_free (v->data);
          v->data = g_new0 (float, (gsize) batch * gabn_value_size (v));
          v->stale = FALSE;
        }
      for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].kind == GABN_NODE_DROPOUT)
          {
            g_free (net->nodes[i].mask);
            net->nodes[i].mask = g_new0 (float, (gsize) batch
                                         * gabn_value_size (&net->values[net->nodes[i].in]));
          }
        else if (net->nodes[i].kind == GABN_NODE_MAXPOOL)
          {
            g_free (net->nodes[i].argmax);
            net->nodes[i].argmax = g_new0 (int, (gsize) batch
                                           * gabn_value_size (&net->values[net->nodes[i].out]));
          }
      net->capacity = batch;
    }
  for (int i = 0; i < net->n_nodes; i++)
    if (net->nodes[i].kind == GABN_NODE_CONV && net->nodes[i].groups == 1)
      {
        const GabnConvShape *s = &net->nodes[i].conv;

        work = MAX (work, gabn_conv_workspace_floats (s, batch));
        if (gabn_winograd_applies (s))
          {
            work = MAX (work, gabn_winograd_workspace_floats (s, batch));
            wino = MAX (wino, gabn_winograd_weight_floats (s)
                              + (net->training ? winograd_packed_floats (s) : 0));
          }
        else if (gabn_packed_gemm_available ())
          wino = MAX (wino, gabn_packed_floats (s->out_c, s->in_c * s->kernel * s->kernel));
      }
  if (work > net->workspace_floats)
    {
      g_free (net->workspace);
      net->workspace = g_new (float, work);
      net->workspace_floats = work;
    }
  if (wino > net->wino_scratch_floats)
    {
      g_free (net->wino_scratch);
      net->wino_scratch = g_new (float, wino);
      net->wino_scratch_floats = wino;
    }
}

static float *
tensor_data (GabnNet *net, int index)
{
  return index >= 0 ? net->tensors[index].data : NULL;
}

/* The gradient to accumulate into, or NULL when not wanted. */
static float *
tensor_grad (GabnNet *net, int index, gboolean param_grads)
{
  if (index < 0 || !param_grads || !net->tensors[index].trainable)
    return NULL;
  return net->tensors[index].grad;
}

/* The convolution's weights in Winograd form. Training remakes them at
 * every forward (weights change every step; the transform costs well under
 * 1 % of a training batch), in the scratch all layers share: kept per
 * layer, with backward's transposed form, they took 370 MB of an iresnet50
 * step. Evaluation without the packed kernel keeps them while no accessor
 * has handed out writable weights since (see gabn-net.h): a single-image
 * forward would otherwise spend a fifth of its time here; with it, only
 * their packed form is kept (packed_weights). */
static const float *
winograd_weights (GabnNet *net, GabnNode *node)
{
  if (net->training)
    {
      /* Eval's forms are stale (set_training bumped the epoch): not
       * carried through training. */
      g_clear_pointer (&node->wino_u, g_free);
      g_clear_pointer (&node->packed, g_free);
      gabn_winograd_transform_weights (net->wino_scratch,
                                       tensor_data (net, node->weight), &node->conv);
      return net->wino_scratch;
    }
  if (node->wino_u == NULL)
    node->wino_u = g_new (float, gabn_winograd_weight_floats (&node->conv));
  if (node->wino_epoch != *net->params_epoch)
    {
      gabn_winograd_transform_weights (node->wino_u, tensor_data (net, node->weight),
                                       &node->conv);
      node->wino_epoch = *net->params_epoch;
    }
  return node->wino_u;
}

/* The stem: a convolution of the 3-channel image (not Winograd's: too few
 * channels), on the packed kernel at any batch (gabn-conv-packed.c): its
 * K = 27 products are too short for sgemm, which took it at 30 GFLOP/s
 * with its im2col and its scatter into NCHW (measured on MobileFaceNet). */
static gboolean
conv_stem (const GabnConvShape *s)
{
  return s->in_c <= 4 && !gabn_winograd_applies (s);
}

/* The weights packed for gabn-packed-gemm.h, or NULL for sgemm (which
 * packs them on every call). In eval mode, kept, at any batch: Winograd's
 * U for the 3×3 stride-1 layers and the O × C·k·k matrix for the others
 * (gabn-conv-packed.c). It saves sgemm's packing of both operands and
 * its zeroing of C on every call (15 % of iresnet50's batch-16 pass), and
 * it gives every column the same sums at any batch: an image's outputs do
 * not depend on the batch it came in (tested). In training, packed again
 * at every forward into the shared scratch, for every layer but the
 * smallest: the panels of unrolled columns beat im2col and sgemm on the
 * stride-2 layers (gabn-s: 43 → 31 ms per batch of 64 at 32 × 32, one
 * thread), and Winograd's U, packed after U itself, goes band by band
 * (gabn-s's three 3×3 stride-1 layers at batch 64, one thread: forward
 * 108–114 → 79–80 ms; backward, with the transposed U packed the same
 * way, 226–242 → 203–218 ms). */
static const float *
packed_weights (GabnNet *net, GabnNode *node)
{
  const GabnConvShape *s = &node->conv;
  gboolean winograd = gabn_winograd_applies (s);
  int K = s->in_c * s->kernel * s->kernel;

  if (!gabn_packed_gemm_available ())
    return NULL;
  if (net->training && winograd)
    {
      float *packed = winograd_packed_scratch (net, s);

      if (packed)
        gabn_winograd_pack_weights (packed, winograd_weights (net, node), s);
      return packed;
    }
  if (net->training)
    {
      if (!conv_stem (s) && K < 64)
        return NULL;
      gabn_pack_a (net->wino_scratch, tensor_data (net, node->weight), s->out_c, K, K);
      return net->wino_scratch;
    }
  if (!conv_stem (s) && !winograd && K < 64)
    return NULL;
  if (node->packed == NULL)
    node->packed = g_new (float, winograd ? gabn_winograd_packed_floats (s)
                                          : gabn_packed_floats (s->out_c, K));
  if (node->packed_epoch != *net->params_epoch)
    {
      if (winograd)
        {
          /* U only on the way: the packed form is all a forward reads
           * (iresnet50: 228 MB of U no longer kept beside it). */
          g_autofree float *U = g_new (float, gabn_winograd_weight_floats (s));

          gabn_winograd_transform_weights (U, tensor_data (net, node->weight), s);
          gabn_winograd_pack_weights (node->packed, U, s);
          g_clear_pointer (&node->wino_u, g_free);
        }
      else
        gabn_pack_a (node->packed, tensor_data (net, node->weight), s->out_c, K, K);
      node->packed_epoch = *net->params_epoch;
    }
  return node->packed;
}

/* Where image b0 of value v starts. */
static inline float *
value_at (GabnNet *net, int v, int b0)
{
  GabnValue *value = &net->values[v];

  return value->data + (gsize) b0 * gabn_value_size (value);
}

/* Where one image's fused grouped 3×3 layer and the 1×1 layer after it
 * pass the grouped layer's output (panel_pair): in the 1×1 kernel's panels,
 * not in the value. */
typedef struct {
  float *out;        /* the grouped layer writes its output here */
  const float *in;   /* the 1×1 layer reads its input from here */
} PanelIo;

/* out (the node's output value, or the buffer of a value computed from it
 * in place by the eval-mode epilogue bn, when set) = conv(in) for images
 * b0 … b0 + B − 1; work: the workspace for B images. io (nullable): one
 * image's panels instead of the value written or read. */
static void
conv_forward (GabnNet *net, GabnNode *node, int b0, int B, float *out,
              const GabnBnEpilogue *bn, const PanelIo *io, float *work)
{
  const float *in = value_at (net, node->in, b0);
  const float *packed;

  if (io && io->out)
    {
      gabn_conv2d_grouped_forward_panels (io->out, bn, in, tensor_data (net, node->weight),
                                          tensor_data (net, node->bias), &node->conv,
                                          node->groups);
      return;
    }
  if (io && io->in)
    {
      gabn_conv2d_forward_pointwise_panels (out, bn, io->in, packed_weights (net, node),
                                            tensor_data (net, node->bias), &node->conv);
      return;
    }
  if (node->groups > 1)
    {
      gabn_conv2d_grouped_forward_bn (out, bn, in, tensor_data (net, node->weight),
                                      tensor_data (net, node->bias), B, &node->conv,
                                      node->groups);
      return;
    }
  packed = packed_weights (net, node);
  if (gabn_winograd_applies (&node->conv))
    /* U itself only without packed weights (training made it for them). */
    gabn_winograd_forward (out, bn, in, packed ? NULL : winograd_weights (net, node), packed,
                           tensor_data (net, node->bias), B, &node->conv, work);
  else if (packed && gabn_conv_shape_pointwise (&node->conv))
    gabn_conv2d_forward_pointwise_packed (out, bn, in, packed, tensor_data (net, node->bias),
                                          B, &node->conv);
  else if (packed)
    gabn_conv2d_forward_packed (out, bn, in, packed, tensor_data (net, node->bias), B,
                                &node->conv);
  else
    gabn_conv2d_forward_bn (out, bn, in, tensor_data (net, node->weight),
                            tensor_data (net, node->bias), B, &node->conv, work);
}

static void
forward_node (GabnNet *net, GabnNode *node, int b0, int B, float *work)
{
  GabnValue *in = &net->values[node->in];
  GabnValue *out = &net->values[node->out];
  float *in_data = value_at (net, node->in, b0), *out_data = value_at (net, node->out, b0);
  gsize n = (gsize) B * gabn_value_size (in);

  switch (node->kind)
    {
    case GABN_NODE_CONV:
      conv_forward (net, node, b0, B, out_data, NULL, NULL, work);
      break;
    case GABN_NODE_BATCHNORM:
      gabn_batchnorm_forward (out_data, node->save_mean, node->save_rstd,
                              tensor_data (net, node->running_mean),
                              tensor_data (net, node->running_var), in_data,
                              tensor_data (net, node->weight),
                              tensor_data (net, node->bias), B, in->c,
                              in->h * in->w, node->eps, node->momentum,
                              net->training, node->relu);
      if (net->training && node->count >= 0)
        tensor_data (net, node->count)[0] += 1.0f;
      break;
    case GABN_NODE_RELU:
      gabn_relu_forward (out_data, in_data, n);
      break;
    case GABN_NODE_PRELU:
      gabn_prelu_forward (out_data, in_data, tensor_data (net, node->weight),
                          B, in->c, in->h * in->w);
      break;
    case GABN_NODE_ADD:
      gabn_add_forward (out_data, in_data, value_at (net, node->in2, b0), n);
      break;
    case GABN_NODE_FLATTEN:
      gabn_flatten_forward (out_data, in_data, n);
      break;
    case GABN_NODE_DROPOUT:
      if (net->training && node->p > 0.0f)
        gabn_dropout_forward (out_data, node->mask, in_data, n, node->p,
                              &net->dropout_rng);
      else
        memcpy (out_data, in_data, n * sizeof (float));
      break;
    case GABN_NODE_LINEAR:
      gabn_linear_forward (out_data, in_data, tensor_data (net, node->weight),
                           tensor_data (net, node->bias), B,
                           (int) gabn_value_size (in), out->c);
      break;
    case GABN_NODE_AFFINE:
      gabn_affine_forward (out_data, in_data, tensor_data (net, node->weight),
                           tensor_data (net, node->bias), B, in->c, in->h * in->w);
      break;
    case GABN_NODE_PAD:
      gabn_pad_forward (out_data, in_data, B, in->c, in->h, in->w, node->pad[0],
                        node->pad[1], node->pad[2], node->pad[3], node->p);
      break;
    case GABN_NODE_MAXPOOL:
      gabn_maxpool_forward (out_data, node->argmax, in_data, B, in->c, in->h, in->w,
                            node->conv.kernel, node->conv.stride, node->conv.pad);
      break;
    case GABN_NODE_AVGPOOL:
      gabn_avgpool_forward (out_data, in_data, B, in->c, in->h, in->w,
                            node->conv.kernel, node->conv.stride, node->conv.pad);
      break;
    case GABN_NODE_GLOBALPOOL:
      gabn_global_avgpool_forward (out_data, in_data, B, in->c, in->h * in->w);
      break;
    case GABN_NODE_ZERO_PAD:
      gabn_zero_pad_forward (out_data, in_data, B, in->c, in->h, in->w,
                             out->c, out->h, out->w);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* The eval-mode BatchNorm bn's scale per channel: gamma / √(var + eps). */
static void
bn_eval_scale (GabnNet *net, GabnNode *bn, float *scale)
{
  const float *running_var = tensor_data (net, bn->running_var);
  const float *gamma = tensor_data (net, bn->weight);

  for (int c = 0; c < net->values[bn->out].c; c++)
    {
      double rstd = 1.0 / sqrt ((double) running_var[c] + bn->eps);

      scale[c] = (float) (gamma[c] * rstd);
    }
}

/* Eval mode, Conv then its BatchNorm (then a PReLU or a residual Add when
 * act is set): the BatchNorm and act are applied in the convolution's
 * output pass (one or two passes less over the activations), with the same
 * float arithmetic as gabn_batchnorm_forward, gabn_prelu_forward and
 * gabn_add_forward. The convolution's output (and the BatchNorm's, before
 * act) are written only when keep_conv (keep_bn); otherwise the
 * convolution writes into the last output and the epilogue works in place.
 * scales: bn_eval_scale made once for the pass, or NULL; io: as
 * conv_forward's. */
static void
forward_conv_bn (GabnNet *net, GabnNode *conv, GabnNode *bn, GabnNode *act, int b0, int B,
                 gboolean keep_conv, gboolean keep_bn, const float *scales,
                 const PanelIo *io, float *work)
{
  GabnValue *x = &net->values[conv->out];
  const float *running_mean = tensor_data (net, bn->running_mean);
  float *own = scales ? NULL : g_newa (float, x->c);
  const float *scale = scales ? scales : own;
  float *bn_out = value_at (net, bn->out, b0);
  float *act_out = act ? value_at (net, act->out, b0) : NULL;
  gboolean prelu = act && act->kind == GABN_NODE_PRELU;
  gboolean add = act && act->kind == GABN_NODE_ADD;
  GabnBnEpilogue epilogue = {
    .out = act && !keep_bn ? NULL : bn_out, .mean = running_mean, .scale = scale,
    .beta = tensor_data (net, bn->bias), .relu = bn->relu,
    .act_out = act_out, .slope = prelu ? tensor_data (net, act->weight) : NULL,
    .residual = add ? value_at (net, act->in == bn->out ? act->in2 : act->in, b0) : NULL,
  };
  float *conv_out = value_at (net, conv->out, b0);

  if (own)
    bn_eval_scale (net, bn, own);
  if (!keep_conv)
    conv_out = keep_bn || !act ? bn_out : act_out;
  conv_forward (net, conv, b0, B, conv_out, &epilogue, io, work);
}

/* What forward_conv_bn keeps of the BatchNorm for backward (the same for
 * every image: written once per pass, not by each image's run). */
static void
save_bn_stats (GabnNet *net, GabnNode *bn)
{
  const float *running_mean = tensor_data (net, bn->running_mean);
  const float *running_var = tensor_data (net, bn->running_var);

  for (int c = 0; c < net->values[bn->out].c; c++)
    {
      bn->save_mean[c] = running_mean[c];
      bn->save_rstd[c] = (float) (1.0 / sqrt ((double) running_var[c] + bn->eps));
    }
}

/* Values read by some node other than the one after it in a fused chain,
 * or by nobody but the caller: kept by every forward. */
static gboolean
value_read_elsewhere (const GabnNet *net, const int *readers, int value)
{
  return readers[value] != 1 || value == net->features_value
         || value == net->embedding_value || value == net->input_value;
}

/* A skipped value that a run from node first on reads before it writes
 * it again: made before first (any skipped value, for backward: first < 0). */
static gboolean
stale_read (const GabnNet *net, int value, int first)
{
  if (value < 0 || !net->values[value].stale)
    return FALSE;
  for (int i = MAX (first, 0); first >= 0 && i < net->n_nodes; i++)
    if (net->nodes[i].out == value)
      return FALSE;
  return TRUE;
}

static void run_forward (GabnNet *net, int first, int last);
static gboolean conv_same_per_image (const GabnNode *node);

/* Nodes [first, last) are about to read values that an eval forward
 * skipped (backward: their outputs too): recompute everything up to the
 * last skipped value, keeping all. Only after the caller moved the feature
 * layer, or for a backward over the backbone after an eval forward. */
static void
refresh_stale (GabnNet *net, int first, int last, gboolean backward)
{
  gboolean needed = FALSE, training = net->training, keep = net->keep_all_values;
  int from = backward ? -1 : first, end = 0;

  for (int i = first; i < last && !needed; i++)
    {
      const GabnNode *node = &net->nodes[i];

      needed = stale_read (net, node->in, from) || stale_read (net, node->in2, from)
               || (backward && stale_read (net, node->out, from));
    }
  if (!needed)
    return;
  for (int i = 0; i < net->n_nodes; i++)
    if (net->values[net->nodes[i].out].stale)
      end = i + 1;
  net->training = FALSE;
  net->keep_all_values = TRUE;
  run_forward (net, 0, end);
  net->keep_all_values = keep;
  net->training = training;
}

/* A fused eval-mode chain at node i (Conv, its BatchNorm, maybe the PReLU
 * or residual Add after it): FALSE when there is none; else its end (the
 * node after it), its activation node (or NULL) and which of its values
 * are written (see run_forward). */
typedef struct {
  int end;
  GabnNode *act;
  gboolean keep_conv, keep_bn;
} Chain;

static gboolean
chain_at (GabnNet *net, int i, int last, const int *readers, Chain *ch)
{
  GabnNode *node = &net->nodes[i];
  GabnNode *next = i + 1 < last ? &net->nodes[i + 1] : NULL;
  GabnNode *after = i + 2 < last ? &net->nodes[i + 2] : NULL;
  gboolean act;

  if (net->training || node->kind != GABN_NODE_CONV || !next
      || next->kind != GABN_NODE_BATCHNORM || next->in != node->out
      || net->values[node->out].c > 4096)
    return FALSE;
  /* The PReLU after it, or a residual Add of the BatchNorm's output and an
   * earlier value. */
  act = after && ((after->kind == GABN_NODE_PRELU && after->in == next->out)
                  || (after->kind == GABN_NODE_ADD
                      && (after->in == next->out) != (after->in2 == next->out)));
  ch->end = i + (act ? 3 : 2);
  ch->act = act ? after : NULL;
  ch->keep_conv = ch->keep_bn = TRUE;
  if (readers && ch->end <= net->n_backbone)
    {
      ch->keep_conv = value_read_elsewhere (net, readers, node->out);
      ch->keep_bn = !act || value_read_elsewhere (net, readers, next->out);
    }
  return TRUE;
}

/* Whether the fused chain ch at node i is a grouped 3×3 layer with its
 * PReLU whose output only the next chain's 1×1 layer reads (MobileFaceNet's
 * depthwise layers and layers.1): then, image by image, the grouped layer
 * writes that output straight into the panels the 1×1 kernel reads, and
 * the 1×1 layer does not copy it (the copies were 4 % of MobileFaceNet's
 * batch-16 pass). The value is left stale. */
static gboolean
panel_pair (GabnNet *net, int i, int last, const int *readers, const Chain *ch)
{
  GabnNode *conv = &net->nodes[i];
  Chain next;

  if (!readers || !ch->act || ch->act->kind != GABN_NODE_PRELU || ch->keep_conv
      || ch->keep_bn || conv->groups == 1 || !gabn_conv2d_grouped_panels_apply (&conv->conv)
      || value_read_elsewhere (net, readers, ch->act->out)
      || !chain_at (net, ch->end, last, readers, &next))
    return FALSE;
  conv = &net->nodes[ch->end];
  return conv->in == ch->act->out && conv->groups == 1 && conv_same_per_image (conv)
         && gabn_conv_shape_pointwise (&conv->conv);
}

/* Once per pass, for node i (a fused chain when ch): the BatchNorm's saved
 * statistics, and which outputs the pass leaves stale (not written). */
static void
note_pass (GabnNet *net, int i, const Chain *ch)
{
  GabnNode *node = &net->nodes[i];

  if (!ch)
    {
      net->values[node->out].stale = FALSE;
      return;
    }
  save_bn_stats (net, &net->nodes[i + 1]);
  net->values[node->out].stale = !ch->keep_conv;
  net->values[net->nodes[i + 1].out].stale = !ch->keep_bn;
  if (ch->act)
    net->values[ch->act->out].stale = FALSE;
}

/* Nodes [first, last) for images b0 … b0 + B − 1 (work: a workspace for
 * B images). With stats, the fused BatchNorms' saved statistics are
 * written and the skipped values marked (once per pass: not by the runs
 * of single images, which share them). */
static void
run_nodes (GabnNet *net, int first, int last, const int *readers, int b0, int B,
           float *const *scales, float *panels, float *work, gboolean stats)
{
  const float *panels_in = NULL;   /* the chain at i reads its input from panels */

  for (int i = first; i < last; i++)
    {
      GabnNode *node = &net->nodes[i];
      Chain ch;

      if (gabn_net_cancelled (net))
        return;
      if (chain_at (net, i, last, readers, &ch))
        {
          PanelIo io = { .in = panels_in };

          if (stats)
            note_pass (net, i, &ch);
          if (panels && panel_pair (net, i, last, readers, &ch))
            io.out = panels;
          forward_conv_bn (net, node, &net->nodes[i + 1], ch.act, b0, B, ch.keep_conv,
                           ch.keep_bn, scales ? scales[i] : NULL,
                           io.in || io.out ? &io : NULL, work);
          panels_in = io.out;
          i = ch.end - 1;
          continue;
        }
      forward_node (net, node, b0, B, work);
      if (stats)
        note_pass (net, i, NULL);
    }
}

/* Whether a convolution computes one image with the same kernel as a
 * batch (so with the same bits), needing no workspace: grouped ones, the
 * 1×1 ones and the stem on the packed kernel (at any batch:
 * packed_weights). Not the others: a single image runs on the packed
 * kernel, a batch on sgemm (for Winograd's layers faster per image,
 * measured on iresnet50), and sgemm itself may sum in another order for
 * one image's shape than for a batch's (tested, on the stem when it was
 * sgemm's). */
static gboolean
conv_same_per_image (const GabnNode *node)
{
  return node->groups > 1
         || (((gabn_conv_shape_pointwise (&node->conv) && node->conv.in_c >= 64)
              || conv_stem (&node->conv))
             && gabn_packed_gemm_available ());
}

/* Where the nodes from first on that an eval forward runs image by image
 * end: each image through all of them while its activations are in the
 * cache, the threads taking whole images instead of a thread phase per
 * layer (MobileFaceNet's ~50 layers at batch 16). Only layers whose eval
 * forward treats each image alone, writes nothing shared and gives the
 * batch's bits (conv_same_per_image, their fused chains, PReLU, ReLU,
 * Add). first: none. */
static int
by_image_end (GabnNet *net, int first, int last, const int *readers)
{
  int end = first;

  if (net->training || net->batch < 2 || net->batched_only)
    return first;
  for (int i = first; i < last; i++)
    {
      GabnNode *node = &net->nodes[i];
      Chain ch;

      if (chain_at (net, i, last, readers, &ch))
        i = ch.end - 1;
      else if (node->kind != GABN_NODE_CONV && node->kind != GABN_NODE_PRELU
               && node->kind != GABN_NODE_RELU && node->kind != GABN_NODE_ADD)
        break;
      if (node->kind == GABN_NODE_CONV && !conv_same_per_image (node))
        break;
      end = i + 1;
    }
  return end;
}

typedef struct {
  GabnNet *net;
  int first, last;
  const int *readers;
  float **scales;   /* per node: its chain's BatchNorm scales, or NULL */
  gsize panel_floats;   /* each thread's panels (panel_pair), or 0 */
  gint next_image;
} ImageJob;

/* Each of the threads [begin, end) takes images from the shared counter
 * until none is left (a late thread's images go to the others). The
 * layers' own parallel loops run serially inside (gabn-parallel.c). */
static void
image_range (int begin, int end, gpointer data)
{
  ImageJob *j = data;
  /* Zeroed: the last panel's columns past the plane are read, not written. */
  float *panels = j->panel_floats ? g_aligned_alloc0 (j->panel_floats, sizeof (float), 64)
                                  : NULL;
  int b;

  (void) begin;
  (void) end;
  /* These layers need no other workspace (packed 1×1, grouped). */
  while ((b = g_atomic_int_add (&j->next_image, 1)) < j->net->batch)
    run_nodes (j->net, j->first, j->last, j->readers, b, 1, j->scales, panels, NULL, FALSE);
  g_aligned_free (panels);
}

static void
run_by_image (GabnNet *net, int first, int last, const int *readers)
{
  g_autofree float **scales = g_new0 (float *, last);
  ImageJob j = { .net = net, .first = first, .last = last, .readers = readers,
                 .scales = scales };

  /* Everything shared first, on this thread: the packed weights (made
   * lazily), the BatchNorm statistics, their scales (a double square root
   * and division per channel, for every image and layer: 0.6 % of
   * MobileFaceNet's batch-16 pass) and the stale marks. */
  for (int i = first; i < last; i++)
    if (net->nodes[i].kind == GABN_NODE_CONV && net->nodes[i].groups == 1)
      packed_weights (net, &net->nodes[i]);
  for (int i = first; i < last; i++)
    {
      Chain ch;

      gboolean chain = chain_at (net, i, last, readers, &ch);

      note_pass (net, i, chain ? &ch : NULL);
      if (chain && panel_pair (net, i, last, readers, &ch))
        {
          GabnValue *v = &net->values[ch.act->out];

          v->stale = TRUE;
          j.panel_floats = MAX (j.panel_floats, (gsize) v->c * ((v->h * v->w + 31) / 32 * 32));
        }
      if (chain)
        {
          scales[i] = g_new (float, net->values[net->nodes[i + 1].out].c);
          bn_eval_scale (net, &net->nodes[i + 1], scales[i]);
          i = ch.end - 1;
        }
    }
  gabn_parallel_for (MIN (gabn_get_threads (), net->batch), image_range, &j);
  for (int i = first; i < last; i++)
    g_free (scales[i]);
}

/* Inference writes only the values something reads: in the backbone, a
 * fused chain's convolution and BatchNorm outputs that only the next layer
 * of the chain reads, which inference and Grad-CAM at A never look at
 * again (refresh_stale recomputes them if they are wanted after all). Past
 * the backbone everything is kept: Grad-CAM's backward through the head
 * runs in eval mode. */
static void
run_forward (GabnNet *net, int first, int last)
{
  gboolean elide = !net->training && !net->keep_all_values;
  g_autofree int *readers = elide ? g_new0 (int, net->n_values) : NULL;
  int next;

  for (int i = 0; elide && i < net->n_nodes; i++)
    {
      readers[net->nodes[i].in]++;
      if (net->nodes[i].in2 >= 0)
        readers[net->nodes[i].in2]++;
    }
  for (int i = first; i < last && !gabn_net_cancelled (net); i = next)
    {
      int end = by_image_end (net, i, last, readers), convs = 0;
      Chain ch;

      for (int k = i; k < end; k++)
        convs += net->nodes[k].kind == GABN_NODE_CONV;
      /* Runs of two convolutions or more image by image; the rest (one
       * node, a fused chain or a short run) for the whole batch. */
      if (convs >= 2)
        {
          run_by_image (net, i, end, readers);
          next = end;
          continue;
        }
      next = end > i ? end : chain_at (net, i, last, readers, &ch) ? ch.end : i + 1;
      run_nodes (net, i, next, readers, 0, net->batch, NULL, NULL, net->workspace, TRUE);
    }
}

void
gabn_net_run_forward (GabnNet *net, int first, int last)
{
  gabn_net_share_transients (net);
  refresh_stale (net, first, last, FALSE);
  run_forward (net, first, last);
}

/* Backward of a convolution: where Winograd applies, the weight and input
 * gradients by Winograd (the transposed weights remade each time: backward
 * runs in training, where they change every step) and only the bias
 * gradient by gabn_conv2d_backward; otherwise all of them by it. Without
 * accumulate (only when Winograd applies, assigns_input_grad), d_in is
 * written, not added to. */
static void
conv_backward (GabnNet *net, GabnNode *node, int B, float *d_in,
               gboolean param_grads, gboolean accumulate)
{
  const GabnConvShape *s = &node->conv;
  const float *weight = tensor_data (net, node->weight);
  const float *d_out = net->values[node->out].grad;
  const float *in = net->values[node->in].data;
  float *d_weight = tensor_grad (net, node->weight, param_grads);
  float *d_bias = tensor_grad (net, node->bias, param_grads);

  if (!gabn_winograd_applies (s))
    {
      gabn_conv2d_backward (d_in, d_weight, d_bias, d_out, in, weight, B, s,
                            net->workspace);
      return;
    }
  gabn_conv2d_backward (NULL, NULL, d_bias, d_out, in, weight, B, s, net->workspace);
  /* The weight gradient first: its sums use the scratch (shared with
   * training's forward) that the transposed weights then take. */
  if (d_weight)
    gabn_winograd_backward_weights (d_weight, d_out, in, B, s, net->workspace,
                                    net->wino_scratch);
  if (d_in == NULL)
    return;
  /* Made at every backward: the scratch shared with training's forward;
   * packed as there when the scratch has room. */
  gabn_winograd_transform_weights_transposed (net->wino_scratch, weight, s);
  gabn_winograd_backward_data (d_in, d_out, net->wino_scratch, winograd_packed_scratch (net, s),
                               B, s, net->workspace, accumulate);
}

/* Whether node's backward can write the whole gradient of its input
 * (second: of in2) instead of adding to it: then the first of a value's
 * readers in a pass (the last in forward order) writes it, and it is not
 * zeroed before. The bits are those of zeroing and adding (0 + −0 is +0:
 * see the layers). */
static gboolean
assigns_input_grad (const GabnNode *node, gboolean second)
{
  switch (node->kind)
    {
    case GABN_NODE_BATCHNORM:
    case GABN_NODE_RELU:
    case GABN_NODE_PRELU:
    case GABN_NODE_FLATTEN:
      return !second;
    case GABN_NODE_ADD:
      return node->in != node->in2;   /* x + x adds twice */
    case GABN_NODE_CONV:
      return !second && node->groups == 1 && gabn_winograd_applies (&node->conv);
    default:
      return FALSE;
    }
}

/* accumulate (accumulate2): node's gradient of in (in2) is added to, else
 * written (only where assigns_input_grad). */
static void
backward_node (GabnNet *net, GabnNode *node, int B, gboolean param_grads,
               gboolean want_input_grad, gboolean accumulate, gboolean accumulate2)
{
  GabnValue *in = &net->values[node->in];
  GabnValue *out = &net->values[node->out];
  gsize n = (gsize) B * gabn_value_size (in);
  float *d_in = (node->in != net->input_value || want_input_grad) ? in->grad : NULL;

  switch (node->kind)
    {
    case GABN_NODE_CONV:
      if (node->groups > 1)
        gabn_conv2d_grouped_backward (d_in, tensor_grad (net, node->weight, param_grads),
                                      tensor_grad (net, node->bias, param_grads),
                                      out->grad, in->data, tensor_data (net, node->weight),
                                      B, &node->conv, node->groups);
      else
        conv_backward (net, node, B, d_in, param_grads, accumulate);
      break;
    case GABN_NODE_BATCHNORM:
      gabn_batchnorm_backward (d_in, tensor_grad (net, node->weight, param_grads),
                               tensor_grad (net, node->bias, param_grads),
                               out->grad, node->relu ? out->data : NULL,
                               in->data, tensor_data (net, node->weight),
                               node->save_mean, node->save_rstd, B, in->c,
                               in->h * in->w, net->training, accumulate);
      break;
    case GABN_NODE_RELU:
      if (d_in)
        gabn_relu_backward (d_in, out->grad, out->data, n, accumulate);
      break;
    case GABN_NODE_PRELU:
      gabn_prelu_backward (d_in, tensor_grad (net, node->weight, param_grads),
                           out->grad, in->data, tensor_data (net, node->weight),
                           B, in->c, in->h * in->w, accumulate);
      break;
    case GABN_NODE_ADD:
      gabn_add_backward (d_in, net->values[node->in2].grad, out->grad, n, accumulate,
                         accumulate2);
      break;
    case GABN_NODE_FLATTEN:
      if (d_in)
        gabn_flatten_backward (d_in, out->grad, n, accumulate);
      break;
    case GABN_NODE_DROPOUT:
      if (d_in && net->training && node->p > 0.0f)
        gabn_dropout_backward (d_in, out->grad, node->mask, n);
      else if (d_in)
        gabn_flatten_backward (d_in, out->grad, n, TRUE);
      break;
    case GABN_NODE_LINEAR:
      gabn_linear_backward (d_in, tensor_grad (net, node->weight, param_grads),
                            tensor_grad (net, node->bias, param_grads),
                            out->grad, in->data, tensor_data (net, node->weight),
                            B, (int) gabn_value_size (in), out->c);
      break;
    case GABN_NODE_AFFINE:
      if (d_in)
        gabn_affine_backward (d_in, out->grad, tensor_data (net, node->weight), B,
                              in->c, in->h * in->w);
      break;
    case GABN_NODE_PAD:
      if (d_in)
        gabn_pad_backward (d_in, out->grad, B, in->c, in->h, in->w, node->pad[0],
                           node->pad[1], node->pad[2], node->pad[3]);
      break;
    case GABN_NODE_MAXPOOL:
      if (d_in)
        gabn_maxpool_backward (d_in, out->grad, node->argmax, B, in->c, in->h, in->w,
                               node->conv.kernel, node->conv.stride, node->conv.pad);
      break;
    case GABN_NODE_AVGPOOL:
      if (d_in)
        gabn_avgpool_backward (d_in, out->grad, B, in->c, in->h, in->w,
                               node->conv.kernel, node->conv.stride, node->conv.pad);
      break;
    case GABN_NODE_GLOBALPOOL:
      if (d_in)
        gabn_global_avgpool_backward (d_in, out->grad, B, in->c, in->h * in->w);
      break;
    case GABN_NODE_ZERO_PAD:
      if (d_in)
        gabn_zero_pad_backward (d_in, out->grad, B, in->c, in->h, in->w,
                                out->c, out->h, out->w);
      break;
    default:
      g_assert_not_reached ();
    }
}

float *
gabn_net_value_grad (GabnNet *net, int index)
{
  gabn_grad_pool_take (net, index);
  return net->values[index].grad;
}

/* value's gradient, zeroed the first time this pass asks (zeroed[value]):
 * later readers of the value add to what earlier ones (in reverse) left. */
static void
input_grad_for_pass (GabnNet *net, int value, gboolean *zeroed)
{
  if (zeroed[value])
    return;
  memset (gabn_net_value_grad (net, value), 0,
          (gsize) net->batch * gabn_value_size (&net->values[value]) * sizeof (float));
  zeroed[value] = TRUE;
}

/* The gradients node's backward adds to, zeroed on their first use. */
static void
input_grads_for_node (GabnNet *net, const GabnNode *node, gboolean *zeroed,
                      gboolean want_input_grad)
{
  if (node->in != net->input_value || want_input_grad)
    input_grad_for_pass (net, node->in, zeroed);
  if (node->in2 >= 0)
    input_grad_for_pass (net, node->in2, zeroed);
}

void
gabn_net_run_backward (GabnNet *net, int first, int last, gboolean param_grads,
                       gboolean want_input_grad)
{
  /* The last node's output gradient was set by the caller. The range's
   * inputs (written before first) keep their gradients: the caller reads
   * them, or the next range's nodes that wrote them. */
  g_autofree gboolean *zeroed = g_new0 (gboolean, net->n_values);
  int i;

  /* An eval forward skipped values that this backward reads. */
  refresh_stale (net, first, last, TRUE);

  for (i = last - 1; i >= first && !gabn_net_cancelled (net); i--)
    {
      GabnNode *node = &net->nodes[i];
      /* The first gradients this pass writes into node->in (in2), by a
       * node that can write them whole: no zeroing before. */
      gboolean assign = assigns_input_grad (node, FALSE) && !zeroed[node->in]
                        && (node->in != net->input_value || want_input_grad);
      gboolean assign2 = node->in2 >= 0 && assigns_input_grad (node, TRUE)
                         && !zeroed[node->in2];

      if (assign)
        {
          gabn_net_value_grad (net, node->in);
          zeroed[node->in] = TRUE;
        }
      if (assign2)
        {
          gabn_net_value_grad (net, node->in2);
          zeroed[node->in2] = TRUE;
        }
      input_grads_for_node (net, node, zeroed, want_input_grad);
      /* An output nothing in the range read (and no caller set) gets no
       * gradient: zero. */
      if (net->values[node->out].grad == NULL)
        input_grad_for_pass (net, node->out, zeroed);
      backward_node (net, node, net->batch, param_grads, want_input_grad, !assign,
                     !assign2);
      gabn_grad_pool_give_back (net, node->out);
    }
  /* Cancelled: the gradients the caller reads still exist, zero where no
   * node got to add to them. */
  for (; i >= first; i--)
    input_grads_for_node (net, &net->nodes[i], zeroed, want_input_grad);
}
