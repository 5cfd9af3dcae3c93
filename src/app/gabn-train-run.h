/* gabn-train-run.h: one training run in its own thread. The engine's
 * trainer reports from that thread; the run copies each report and
 * delivers it on the main loop as a signal, only while the run object is
 * alive. Several runs can train at once. */
#pragma once

#include <gio/gio.h>
#include "gabn-shared.h"
#include "gabn-trainer.h"

G_BEGIN_DECLS

typedef enum {
  GABN_RUN_READY,
  GABN_RUN_RUNNING,
  GABN_RUN_PAUSED,
  GABN_RUN_FINISHED,
  GABN_RUN_STOPPED,
  GABN_RUN_FAILED,
} GabnRunState;

#define GABN_TYPE_RUN_STATE (gabn_run_state_get_type ())
GType gabn_run_state_get_type (void);
/* The trainer's reports as boxed types, for the run's signals. */
#define GABN_TYPE_STEP_REPORT (gabn_step_report_get_type ())
GType gabn_step_report_get_type (void);
#define GABN_TYPE_EVAL_REPORT (gabn_eval_report_get_type ())
GType gabn_eval_report_get_type (void);

#define GABN_TYPE_TRAIN_RUN (gabn_train_run_get_type ())
G_DECLARE_FINAL_TYPE (GabnTrainRun, gabn_train_run, GABN, TRAIN_RUN, GObject)

/* config is copied; dataset referenced. */
GabnTrainRun *gabn_train_run_new (const char *name, const GabnTrainConfig *config,
                                  GabnSharedDataset *dataset);
const char   *gabn_train_run_get_name (GabnTrainRun *self);
const GabnTrainConfig *gabn_train_run_get_config (GabnTrainRun *self);
/* The dataset it trains on (borrowed). */
GabnSharedDataset *gabn_train_run_get_dataset (GabnTrainRun *self);
GabnRunState  gabn_train_run_get_state (GabnTrainRun *self);
/* "Training", "Paused", "Finished"… with the error when failed. */
const char   *gabn_train_run_get_status (GabnTrainRun *self);

/* Starts the thread. Signals (main thread): "step" (GabnStepReport*),
 * "epoch" (GabnEvalReport*), notify::state when it ends. */
void gabn_train_run_start (GabnTrainRun *self);
void gabn_train_run_pause (GabnTrainRun *self);
void gabn_train_run_resume (GabnTrainRun *self);
/* TRUE once a pause has taken effect in the thread (no step moves until
 * resume); see gabn_trainer_is_parked. */
gboolean gabn_train_run_is_parked (GabnTrainRun *self);
void gabn_train_run_stop (GabnTrainRun *self);
/* Blocks until the thread ended (used when the window closes). */
void gabn_train_run_join (GabnTrainRun *self);

/* What arrived so far (main thread). */
guint                 gabn_train_run_get_n_steps (GabnTrainRun *self);
const GabnStepReport *gabn_train_run_get_step (GabnTrainRun *self, guint i);
guint                 gabn_train_run_get_n_epochs (GabnTrainRun *self);
const GabnEvalReport *gabn_train_run_get_epoch (GabnTrainRun *self, guint i);
/* Unreadable images the run skipped so far (notify::n-skipped), and the
 * last one as "file: reason" (NULL when none). */
guint                 gabn_train_run_get_n_skipped (GabnTrainRun *self);
const char           *gabn_train_run_get_last_skipped (GabnTrainRun *self);
/* The trained model when finished or stopped after a step (else NULL). */
GabnSharedModel      *gabn_train_run_get_model (GabnTrainRun *self);

/* Appends this run's rows to a CSV (header written by the caller, see
 * gabn_train_run_csv_header); groups: the dataset's group names. */
void  gabn_train_run_append_csv (GabnTrainRun *self, GString *csv);
char *gabn_train_run_csv_header (GabnSharedDataset *dataset);

G_END_DECLS
