/* gabn-trainer.h: training a face recognizer, plain (baseline) or with GABN
 * (DESIGN.md 1), with per-epoch evaluation on held-out people.
 * CONTRACT used by `gabn train` and the app.
 *
 * Threading: gabn_trainer_run blocks and runs in the caller's thread (the
 * app calls it from a worker thread, e.g. a GTask). The step and epoch
 * callbacks are called FROM THAT THREAD: the app copies what it needs
 * (gabn_eval_report_copy, or the plain struct GabnStepReport by value) and
 * marshals it to its main loop (g_idle_add / g_main_context_invoke); it must
 * not keep the pointers after the callback returns. pause, resume, cancel,
 * copy_net, get_step, is_paused and is_parked are thread-safe and may be called from
 * any thread; they never wait for a step or an evaluation, except copy_net
 * and save, which wait for the net to be free. Cancel takes effect within
 * one step (also while paused).
 *
 * Checkpoints (gabn_trainer_set_checkpoint): after every epoch and when the
 * run ends (finished, cancelled or failed after at least one step) the
 * model is saved atomically to PATH with metadata "arch", "groups",
 * "train_config", "split", "eval" (the last report, full JSON) and
 * "trainer_state" ({"step":…, "epoch":…, "total_steps":…, "finished":…}),
 * "skipped_images" (when any: [{"file":…, "reason":…}], the unreadable
 * images the run substituted or left out) and "checkpoint" (an id the
 * sidecar repeats);
 * the discriminator's parameters and both optimisers' states (the net's:
 * "optim.momentum_buffer" or "optim.exp_avg"/"optim.exp_avg_sq"; the
 * discriminator's: "disc_optim.*"; step counts in the metadata as
 * "optim_steps" and "disc_optim_steps") go to the sidecar PATH.state (a
 * safetensors file with the same "checkpoint" id and the "step"). Saving is
 * crash-safe: the sidecar is written to PATH.state.new, then the model,
 * then the sidecar is renamed to PATH.state, each step atomic, so a process
 * killed at any moment leaves a model whose own sidecar is one of the two
 * (resuming finishes the rename). A resumed run takes
 * the same batches in the same order and so equals an uninterrupted one
 * (within float rounding). A sidecar without optimiser state (written by an
 * older version) resumes with fresh momentum. */
#pragma once

#include "gabn-batcher.h"
#include "gabn-cam.h"
#include "gabn-dataset.h"
#include "gabn-evaluate.h"
#include "gabn-net.h"
#include "gabn-optim.h"

G_BEGIN_DECLS

typedef enum {
  GABN_METHOD_BASELINE,  /* ArcFace/CosFace only */
  GABN_METHOD_GABN,      /* + adversarial attention balance + Top-N erasing */
} GabnMethod;

typedef enum {
  GABN_ERASE_FEATURES,   /* zero the N top cells of A (all channels) */
  GABN_ERASE_INPUT,      /* zero the matching upsampled input pixels */
} GabnEraseWhere;

typedef enum {
  GABN_ADV_CONFUSION,    /* L_conf = CE(D(P), uniform) (default) */
  GABN_ADV_REVERSAL,     /* L_conf = −CE(D(P), true group) */
} GabnAdvMode;

typedef struct {
  GabnMethod     method;        /* default baseline */
  char          *arch;          /* default "gabn-s" */
  int            epochs;        /* default 10 */
  int            batch_size;    /* default 32 */
  float          lr;            /* default 0.01 */
  GabnOptimKind  optimiser;     /* default SGD (momentum 0.9) */
  float          weight_decay;  /* default 5e-4 */
  float          momentum;      /* SGD; default 0.9 */
  GabnLrScheduleKind schedule;  /* default cosine over the run */
  int            warmup_steps;  /* default 0 */
  GabnMarginKind margin;        /* default ArcFace */
  float          margin_s;      /* default 32 (small nets and data) */
  float          margin_m;      /* default 0.5 ArcFace / 0.35 CosFace */
  /* m grows linearly from 0 over the first epochs: from scratch on few
   * people a full margin can hold every cosine near 0 for most of a run
   * (docs/RESULTS.md, protocol v3). 0 (default) = the full m from step 0. */
  int            margin_warmup_epochs;
  /* GABN (DESIGN.md 1); ignored by the baseline. */
  float          lambda_adv;    /* default 0.1 */
  float          lambda_mask;   /* default 0.5 */
  int            topn;          /* cells erased; 0 (default) = ⌊h·w/3⌋ */
  float          erase_prob;    /* per batch; default 1.0 */
  GabnEraseWhere erase_where;   /* default features */
  char         **erase_groups;  /* group names; NULL (default) = all */
  GabnAdvMode    adv_mode;      /* default confusion */
  /* The GAM the adversary and the erasing act on: Grad-CAM (default) or
   * HiResCAM (faithful for a position-specific head); first order either
   * way (DESIGN.md 1). */
  GabnCamMethod  gam;
  float          disc_lr;       /* D's AdamW rate; default 1e-3 */
  int            disc_hidden;   /* D's hidden width; default 64 */
  /* Data and run. */
  GabnSampling   sampling;      /* default shuffle */
  gboolean       flip;          /* random horizontal flips; default TRUE */
  double         holdout_fraction; /* datasets without pairs; default 0.2 */
  guint64        seed;          /* default 1 */
  int            threads;       /* engine threads; <= 0 (default) = all */
  gboolean       eval_every_epoch; /* default TRUE */
  gint64         max_steps;     /* stop after this many steps; 0 = none */
} GabnTrainConfig;

void gabn_train_config_init (GabnTrainConfig *config);
void gabn_train_config_copy (GabnTrainConfig *dest, const GabnTrainConfig *src);
void gabn_train_config_clear (GabnTrainConfig *config);
/* Checks values and names the wrong one. */
gboolean gabn_train_config_validate (const GabnTrainConfig *config,
                                     GError **error);
/* JSON object (as stored in metadata "train_config"); enums as strings
 * ("baseline"/"gabn", "sgd"/"adamw", "constant"/"step"/"cosine",
 * "arcface"/"cosface", "features"/"input", "confusion"/"reversal",
 * "shuffle"/"identity-balanced"/"group-balanced", "gam": "gradcam"/
 * "hirescam"). */
char *gabn_train_config_to_json (const GabnTrainConfig *config);
/* Missing keys keep the defaults; wrong types or values are errors. */
gboolean gabn_train_config_from_json (GabnTrainConfig *config,
                                      const char *json, GError **error);

const char *gabn_method_name (GabnMethod method);
gboolean    gabn_method_from_name (const char *name, GabnMethod *method);

/* One optimiser step's report. */
typedef struct {
  gint64 step;            /* steps done, 1-based */
  gint64 total_steps;
  int    epoch;           /* 0-based */
  int    n_epochs;
  int    step_in_epoch;   /* 1-based */
  int    steps_per_epoch;
  float  loss;            /* L_arc + λ_adv·L_conf + λ_mask·L_mask */
  float  loss_arc;
  float  loss_adv;        /* L_conf (or −CE under reversal); 0 for baseline */
  float  loss_mask;       /* L_arc of the erased pass; 0 when not erased */
  float  disc_loss;       /* D's cross-entropy on the true groups */
  float  disc_accuracy;   /* D's accuracy on this batch (the maps it just fit) */
  /* ‖λ_adv·∂L_conf/∂A‖ / ‖∂L_arc/∂A‖ over the batch's feature maps: how
   * hard the adversary pulls against recognition (0 when λ_adv = 0; NaN
   * for the baseline). */
  float  grad_ratio;
  float  lr;
  double images_per_second;  /* over the last steps */
  double eta_seconds;        /* remaining training steps (not evaluation) */
} GabnStepReport;

typedef void (*GabnTrainerStepFunc)  (const GabnStepReport *report,
                                      gpointer user_data);
typedef void (*GabnTrainerEpochFunc) (const GabnEvalReport *report,
                                      gpointer user_data);
/* An image that cannot be read (file and reason), named once per run. */
typedef void (*GabnTrainerSkipFunc)  (const char *file, const char *reason,
                                      gpointer user_data);

typedef struct _GabnTrainer GabnTrainer;

/* A trainer on dataset (borrowed: it must outlive the trainer). The split
 * is made with gabn_split_new (config->seed, config->holdout_fraction).
 * initial (nullable) is a model to start from (copied; its class centres
 * are re-initialised for the training identities); else a new net of
 * config->arch. */
GabnTrainer *gabn_trainer_new (const GabnTrainConfig *config,
                               const GabnDataset *dataset,
                               const GabnNet *initial, GError **error);

/* Resumes from a checkpoint written by a trainer: its net, train_config,
 * split (rebuilt on dataset, which must be the same dataset), step and the
 * discriminator (from PATH.state when present). The run continues at the
 * saved step; epochs (when > 0) replaces the saved number of epochs. */
GabnTrainer *gabn_trainer_new_from_checkpoint (const char *path,
                                               const GabnDataset *dataset,
                                               int epochs, GError **error);
void gabn_trainer_free (GabnTrainer *trainer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnTrainer, gabn_trainer_free)

void gabn_trainer_set_callbacks (GabnTrainer *trainer,
                                 GabnTrainerStepFunc step_func,
                                 GabnTrainerEpochFunc epoch_func,
                                 gpointer user_data);
/* Called from the run's thread for each unreadable image, once: training
 * substitutes another image for it in its batch (gabn-batcher.h) and the
 * evaluation leaves its pairs out; the run goes on. */
void gabn_trainer_set_skip_func (GabnTrainer *trainer, GabnTrainerSkipFunc func,
                                 gpointer user_data);
/* Unreadable images named so far (thread-safe). */
int  gabn_trainer_get_n_skipped (GabnTrainer *trainer);
/* Where checkpoints go (NULL: none). */
void gabn_trainer_set_checkpoint (GabnTrainer *trainer, const char *path);
/* Evaluation options for the per-epoch reports (default: init values). */
void gabn_trainer_set_eval_options (GabnTrainer *trainer,
                                    const GabnEvalOptions *options);

/* Trains until the configured epochs (or max_steps) are done. Returns FALSE
 * with GABN_ERROR_CANCELLED on cancel (gabn_trainer_cancel or cancellable),
 * or another error (no readable image at all, failed checkpoint). A cancel stops the
 * step in flight between two layers and drops it: the model is as after
 * the last whole step. A trainer runs at most once at a time; after a
 * cancel it can run again (continuing). */
gboolean gabn_trainer_run (GabnTrainer *trainer, GCancellable *cancellable,
                           GError **error);

void     gabn_trainer_pause (GabnTrainer *trainer);
void     gabn_trainer_resume (GabnTrainer *trainer);
void     gabn_trainer_cancel (GabnTrainer *trainer);
gboolean gabn_trainer_is_paused (GabnTrainer *trainer);
/* TRUE once the run thread has stopped between two steps because of a
 * pause, until it resumes: from then on no step moves. Lets a caller (and a
 * test) know that a pause took effect without timing it. */
gboolean gabn_trainer_is_parked (GabnTrainer *trainer);
gint64   gabn_trainer_get_step (GabnTrainer *trainer);
gint64   gabn_trainer_get_total_steps (GabnTrainer *trainer);

/* A copy of the net between two steps (for the app's explorer). */
GabnNet *gabn_trainer_copy_net (GabnTrainer *trainer);
/* The net trained (owned by the trainer; use only when not running). */
GabnNet *gabn_trainer_get_net (GabnTrainer *trainer);
const GabnTrainConfig *gabn_trainer_get_config (GabnTrainer *trainer);
/* The split's JSON and the group names, as stored in the metadata. */
const char *gabn_trainer_get_split_json (GabnTrainer *trainer);
/* The last epoch report, or NULL (owned by the trainer; not while running). */
const GabnEvalReport *gabn_trainer_get_last_report (GabnTrainer *trainer);

/* Hits and misses of the decoded-image cache shared by the epochs (both 0
 * for in-memory datasets, which need none). Not while running. */
void gabn_trainer_get_cache_stats (GabnTrainer *trainer, gint64 *hits,
                                   gint64 *misses);

/* Saves the model and the sidecar now (see checkpoints above). Thread-safe:
 * while running, it waits for the current step to finish. */
gboolean gabn_trainer_save (GabnTrainer *trainer, const char *path,
                            GError **error);

G_END_DECLS
