/* gabn-optim.h: optimisers over a flat parameter blob, and learning-rate
 * schedules. CONTRACT used by the trainer (src/engine/gabn) and the CLI.
 *
 * The updates are exactly PyTorch's torch.optim.SGD (momentum, dampening,
 * nesterov, L2 weight decay added to the gradient) and torch.optim.AdamW
 * (decoupled weight decay, bias-corrected moments). The update is a flat loop
 * over the trainable ranges of the blob: non-trainable tensors (e.g.
 * iresnet's features.weight) are never changed.
 *
 * Usage:  gabn_net_zero_grad → forward/backward → lr = gabn_lr_schedule_lr
 * (&schedule, base_lr, step) → gabn_optim_step (optim, lr). */
#pragma once

#include "gabn-net.h"

G_BEGIN_DECLS

typedef enum {
  GABN_OPTIM_SGD,
  GABN_OPTIM_ADAMW,
} GabnOptimKind;

typedef struct {
  GabnOptimKind kind;
  float weight_decay; /* SGD: L2 (grad += wd·p); AdamW: p −= lr·wd·p */
  /* SGD */
  float momentum;
  float dampening;
  gboolean nesterov;
  /* AdamW */
  float beta1, beta2, eps;
} GabnOptimConfig;

/* PyTorch's defaults, except SGD: momentum 0.9 and weight decay 5e-4 (the
 * usual face-recognition setting); AdamW: betas (0.9, 0.999), eps 1e-8,
 * weight decay 1e-2. */
void gabn_optim_config_init (GabnOptimConfig *config, GabnOptimKind kind);

typedef struct _GabnOptim GabnOptim;

/* An optimiser for every trainable PARAM tensor of net. The net's blobs are
 * looked up at each step, so the optimiser survives gabn_net_set_n_classes
 * (its state is then reset, as the parameter count changed). */
GabnOptim *gabn_optim_new_for_net (GabnNet *net, const GabnOptimConfig *config);
/* An optimiser for a plain blob of n floats (e.g. the GABN discriminator);
 * params and grads must outlive it. */
GabnOptim *gabn_optim_new (float *params, float *grads, gsize n,
                           const GabnOptimConfig *config);
void gabn_optim_free (GabnOptim *optim);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnOptim, gabn_optim_free)

/* One update with learning rate lr from the current gradients. */
void gabn_optim_step (GabnOptim *optim, float lr);
/* Updates done so far (AdamW's bias correction uses it). */
gint64 gabn_optim_n_steps (const GabnOptim *optim);
/* Forgets momentum / moments and the step count. */
void gabn_optim_reset (GabnOptim *optim);
const GabnOptimConfig *gabn_optim_get_config (const GabnOptim *optim);

/* The optimiser's state, for checkpoints that resume exactly: its buffers
 * under PyTorch's names (SGD: "momentum_buffer"; AdamW: "exp_avg",
 * "exp_avg_sq"), each of numel floats in the parameter blob's layout (zero
 * outside the trainable ranges), and the step count. */
typedef struct {
  const char *name;
  float *data;
} GabnOptimBuffer;

/* Fills buffers[0 .. *n_buffers) (at most 2) with views of the optimiser's
 * own buffers (valid until its next step or free) and *numel; returns the
 * step count. */
gint64 gabn_optim_get_state (GabnOptim *optim, GabnOptimBuffer buffers[2],
                             int *n_buffers, gsize *numel);
/* Restores a state saved by gabn_optim_get_state: copies each buffer (every
 * buffer of this optimiser's kind must be given) and sets the step count.
 * FALSE with an error, and the state unchanged, on a missing or unknown
 * name or a numel that is not this optimiser's. */
gboolean gabn_optim_set_state (GabnOptim *optim, const GabnOptimBuffer *buffers,
                               int n_buffers, gsize numel, gint64 steps,
                               GError **error);

/* ---- Learning-rate schedules ------------------------------------------ */

typedef enum {
  GABN_LR_CONSTANT,
  GABN_LR_STEP,    /* lr · gamma^floor(t / step_size)        (StepLR) */
  GABN_LR_COSINE,  /* min + (lr − min)·(1 + cos(π t / T)) / 2 (CosineAnnealingLR) */
} GabnLrScheduleKind;

typedef struct {
  GabnLrScheduleKind kind;
  /* Linear warm-up: for the first warmup_steps steps the rate is
   * lr · (t + 1) / warmup_steps; the schedule proper then starts at t = 0. */
  int warmup_steps;
  int step_size;      /* STEP: steps between decays */
  float gamma;        /* STEP: decay factor, default 0.1 */
  int total_steps;    /* COSINE: steps, warm-up included */
  float min_lr;       /* COSINE: the final rate, default 0 */
} GabnLrSchedule;

void  gabn_lr_schedule_init (GabnLrSchedule *schedule, GabnLrScheduleKind kind);
/* The rate at step t (0-based, counting every optimiser step). */
float gabn_lr_schedule_lr (const GabnLrSchedule *schedule, float base_lr, gint64 t);

G_END_DECLS
