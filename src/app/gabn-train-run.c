/* gabn-train-run.c: a training thread and its reports.
 *
 * The worker owns a RunShared (atomic refcount) that holds everything it
 * touches: the trainer, the dataset, a cancellable, and a weak reference to
 * the GabnTrainRun. It never touches the GObject itself: each report is
 * copied and handed to the main context, where it is applied only if the
 * run is still alive (the editor-document-statistics.c pattern). */
#include "config.h"
#include "gabn-train-run.h"
#include "gabn-model-file.h"

#include <glib/gi18n.h>
#include <math.h>

typedef struct {
  GMutex             lock;
  GabnTrainer       *trainer;    /* under lock; NULL before/after the run */
  gboolean           pause_requested;  /* under lock: applied when the trainer comes */
  GCancellable      *cancellable;      /* stop: the trainer's cancel is chained to it */
  GabnSharedDataset *dataset;
  GabnTrainConfig    config;
  GWeakRef           run;
} RunShared;

struct _GabnTrainRun
{
  GObject       parent_instance;

  char         *name;
  RunShared    *shared;
  GThread      *thread;
  GabnRunState  state;
  char         *status;
  GArray       *steps;     /* GabnStepReport */
  GPtrArray    *epochs;    /* GabnEvalReport* */
  GabnSharedModel *model;
  guint         n_skipped; /* unreadable images the run skipped */
  char         *last_skipped;
};

G_DEFINE_FINAL_TYPE (GabnTrainRun, gabn_train_run, G_TYPE_OBJECT)
G_DEFINE_ENUM_TYPE (GabnRunState, gabn_run_state,
  G_DEFINE_ENUM_VALUE (GABN_RUN_READY, "ready"),
  G_DEFINE_ENUM_VALUE (GABN_RUN_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (GABN_RUN_PAUSED, "paused"),
  G_DEFINE_ENUM_VALUE (GABN_RUN_FINISHED, "finished"),
  G_DEFINE_ENUM_VALUE (GABN_RUN_STOPPED, "stopped"),
  G_DEFINE_ENUM_VALUE (GABN_RUN_FAILED, "failed"))

static GabnStepReport *
step_report_copy (const GabnStepReport *step)
{
  return g_memdup2 (step, sizeof *step);
}

G_DEFINE_BOXED_TYPE (GabnStepReport, gabn_step_report, step_report_copy, g_free)
G_DEFINE_BOXED_TYPE (GabnEvalReport, gabn_eval_report, gabn_eval_report_copy, gabn_eval_report_free)

enum { PROP_0, PROP_STATE, PROP_N_SKIPPED, N_PROPS };
static GParamSpec *properties[N_PROPS];
enum { STEP, EPOCH, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
run_shared_clear (gpointer data)
{
  RunShared *shared = data;

  g_mutex_clear (&shared->lock);
  g_clear_object (&shared->cancellable);
  g_clear_pointer (&shared->dataset, gabn_shared_dataset_unref);
  gabn_train_config_clear (&shared->config);
  g_weak_ref_clear (&shared->run);
}

static void
run_shared_unref (RunShared *shared)
{
  g_atomic_rc_box_release_full (shared, run_shared_clear);
}

static void
set_state (GabnTrainRun *self, GabnRunState state, const char *status)
{
  self->state = state;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

/* ---- Reports: worker → main loop --------------------------------------- */

typedef enum { REPORT_STEP, REPORT_EPOCH, REPORT_SKIP, REPORT_DONE } ReportKind;

typedef struct {
  ReportKind      kind;
  GWeakRef        run;
  GabnStepReport  step;
  GabnEvalReport *epoch;
  GabnSharedModel *model;   /* DONE */
  GError         *error;    /* DONE */
  char           *skipped;  /* SKIP: "file: reason" */
} Report;

static void
report_free (gpointer data)
{
  Report *r = data;

  g_weak_ref_clear (&r->run);
  g_clear_pointer (&r->epoch, gabn_eval_report_free);
  g_clear_pointer (&r->model, gabn_shared_model_unref);
  g_clear_error (&r->error);
  g_free (r->skipped);
  g_free (r);
}

static gboolean
apply_report (gpointer data)
{
  Report *r = data;
  g_autoptr(GabnTrainRun) self = g_weak_ref_get (&r->run);

  if (self == NULL)
    return G_SOURCE_REMOVE; /* the run is gone: drop the report */
  switch (r->kind)
    {
    case REPORT_STEP:
      g_array_append_val (self->steps, r->step);
      g_signal_emit (self, signals[STEP], 0, &g_array_index (self->steps, GabnStepReport, self->steps->len - 1));
      break;
    case REPORT_EPOCH:
      g_ptr_array_add (self->epochs, g_steal_pointer (&r->epoch));
      g_signal_emit (self, signals[EPOCH], 0, g_ptr_array_index (self->epochs, self->epochs->len - 1));
      break;
    case REPORT_SKIP:
      self->n_skipped++;
      g_free (self->last_skipped);
      self->last_skipped = g_steal_pointer (&r->skipped);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SKIPPED]);
      break;
    case REPORT_DONE:
    default:
      if (self->thread != NULL)
        {
          g_thread_join (self->thread);
          self->thread = NULL;
        }
      g_clear_pointer (&self->model, gabn_shared_model_unref);
      self->model = g_steal_pointer (&r->model);
      if (r->error == NULL)
        set_state (self, GABN_RUN_FINISHED, _("Finished"));
      else if (g_error_matches (r->error, GABN_ERROR, GABN_ERROR_CANCELLED)
               || g_error_matches (r->error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_state (self, GABN_RUN_STOPPED, _("Stopped"));
      else
        {
          /* Translators: %s is the reason training failed */
          g_autofree char *status = g_strdup_printf (_("Failed: %s"), r->error->message);
          set_state (self, GABN_RUN_FAILED, status);
        }
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
post (RunShared *shared, Report *r)
{
  g_autoptr(GObject) run = g_weak_ref_get (&shared->run);

  if (run == NULL)
    {
      report_free (r);
      return;
    }
  g_weak_ref_init (&r->run, run);
  g_idle_add_full (G_PRIORITY_DEFAULT, apply_report, r, report_free);
}

static void
on_step (const GabnStepReport *step, gpointer user_data)
{
  Report *r = g_new0 (Report, 1);

  r->kind = REPORT_STEP;
  r->step = *step;
  post (user_data, r);
}

static void
on_epoch (const GabnEvalReport *epoch, gpointer user_data)
{
  Report *r = g_new0 (Report, 1);

  r->kind = REPORT_EPOCH;
  r->epoch = gabn_eval_report_copy (epoch);
  post (user_data, r);
}

static void
on_skip (const char *file, const char *reason, gpointer user_data)
{
  Report *r = g_new0 (Report, 1);

  r->kind = REPORT_SKIP;
  r->skipped = g_strdup_printf ("%s: %s", file, reason);
  post (user_data, r);
}

/* The trained net with the metadata a saved model would carry, so the
 * explorer maps identities to classes through the split. */
static GabnSharedModel *
take_model (GabnTrainer *trainer, RunShared *shared)
{
  GHashTable *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GabnNet *net = gabn_net_copy (gabn_trainer_get_net (trainer));
  const GabnEvalReport *last = gabn_trainer_get_last_report (trainer);
  g_autofree char *title = NULL;

  g_hash_table_insert (metadata, g_strdup ("split"), g_strdup (gabn_trainer_get_split_json (trainer)));
  g_hash_table_insert (metadata, g_strdup ("train_config"),
                       gabn_train_config_to_json (gabn_trainer_get_config (trainer)));
  if (last != NULL)
    g_hash_table_insert (metadata, g_strdup ("eval"), gabn_eval_report_to_json (last, TRUE));
  /* Translators: a model trained in the app; %s is the method */
  title = g_strdup_printf (_("Trained %s model"), gabn_method_name (shared->config.method));
  return gabn_shared_model_new (net, title, NULL, metadata);
}

static gpointer
run_thread (gpointer data)
{
  RunShared *shared = data;
  Report *done = g_new0 (Report, 1);
  GabnTrainer *trainer;

  done->kind = REPORT_DONE;
  trainer = gabn_trainer_new (&shared->config, shared->dataset->dataset, NULL, &done->error);
  if (trainer != NULL)
    {
      gabn_trainer_set_callbacks (trainer, on_step, on_epoch, shared);
      gabn_trainer_set_skip_func (trainer, on_skip, shared);
      g_mutex_lock (&shared->lock);
      shared->trainer = trainer;
      if (shared->pause_requested)
        gabn_trainer_pause (trainer);
      g_mutex_unlock (&shared->lock);
      gabn_trainer_run (trainer, shared->cancellable, &done->error);
      g_mutex_lock (&shared->lock);
      shared->trainer = NULL;
      g_mutex_unlock (&shared->lock);
      if (gabn_trainer_get_step (trainer) > 0)
        done->model = take_model (trainer, shared);
      gabn_trainer_free (trainer);
    }
  post (shared, done);
  run_shared_unref (shared);
  return NULL;
}

/* ---- Control (main thread) ----------------------------------------------
 *
 * The trainer's pause, resume and cancel take only its short state lock
 * (never held across a step), so they are called here directly; shared->lock
 * keeps the trainer alive meanwhile. */

void
gabn_train_run_start (GabnTrainRun *self)
{
  g_return_if_fail (GABN_IS_TRAIN_RUN (self));
  g_return_if_fail (self->thread == NULL && self->state == GABN_RUN_READY);
  set_state (self, GABN_RUN_RUNNING, _("Starting…"));
  self->thread = g_thread_new ("gabn-train", run_thread, g_atomic_rc_box_acquire (self->shared));
}

static void
set_paused (GabnTrainRun *self, gboolean pause)
{
  RunShared *shared = self->shared;

  g_mutex_lock (&shared->lock);
  shared->pause_requested = pause;
  if (shared->trainer != NULL && pause)
    gabn_trainer_pause (shared->trainer);
  else if (shared->trainer != NULL)
    gabn_trainer_resume (shared->trainer);
  g_mutex_unlock (&shared->lock);
}

gboolean
gabn_train_run_is_parked (GabnTrainRun *self)
{
  gboolean parked = FALSE;

  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), FALSE);
  g_mutex_lock (&self->shared->lock);
  if (self->shared->trainer != NULL)
    parked = gabn_trainer_is_parked (self->shared->trainer);
  g_mutex_unlock (&self->shared->lock);
  return parked;
}

void
gabn_train_run_pause (GabnTrainRun *self)
{
  g_return_if_fail (GABN_IS_TRAIN_RUN (self));
  if (self->state != GABN_RUN_RUNNING)
    return;
  set_paused (self, TRUE);
  set_state (self, GABN_RUN_PAUSED, _("Paused"));
}

void
gabn_train_run_resume (GabnTrainRun *self)
{
  g_return_if_fail (GABN_IS_TRAIN_RUN (self));
  if (self->state != GABN_RUN_PAUSED)
    return;
  set_paused (self, FALSE);
  set_state (self, GABN_RUN_RUNNING, _("Training"));
}

void
gabn_train_run_stop (GabnTrainRun *self)
{
  g_return_if_fail (GABN_IS_TRAIN_RUN (self));
  /* Runs the trainer's cancel, which wakes a paused trainer too. */
  g_cancellable_cancel (self->shared->cancellable);
}

void
gabn_train_run_join (GabnTrainRun *self)
{
  g_return_if_fail (GABN_IS_TRAIN_RUN (self));
  if (self->thread != NULL)
    {
      gabn_train_run_stop (self);
      g_thread_join (self->thread);
      self->thread = NULL;
    }
}

/* ---- GObject ------------------------------------------------------------ */

static void
gabn_train_run_finalize (GObject *object)
{
  GabnTrainRun *self = GABN_TRAIN_RUN (object);

  /* A run dropped while training: stop it; the thread keeps its own
   * references and its last reports are discarded. */
  if (self->thread != NULL)
    gabn_train_run_stop (self);
  if (self->thread != NULL)
    g_thread_unref (self->thread);
  run_shared_unref (self->shared);
  g_free (self->name);
  g_free (self->status);
  g_free (self->last_skipped);
  g_array_unref (self->steps);
  g_ptr_array_unref (self->epochs);
  g_clear_pointer (&self->model, gabn_shared_model_unref);
  G_OBJECT_CLASS (gabn_train_run_parent_class)->finalize (object);
}

static void
gabn_train_run_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, GABN_TRAIN_RUN (object)->state);
      break;
    case PROP_N_SKIPPED:
      g_value_set_uint (value, GABN_TRAIN_RUN (object)->n_skipped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_train_run_class_init (GabnTrainRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gabn_train_run_finalize;
  object_class->get_property = gabn_train_run_get_property;
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, GABN_TYPE_RUN_STATE, GABN_RUN_READY,
                                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_SKIPPED] = g_param_spec_uint ("n-skipped", NULL, NULL, 0, G_MAXUINT, 0,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* Static scope: handlers get the run's own copy, valid while it lives. */
  signals[STEP] = g_signal_new ("step", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                NULL, NULL, NULL, G_TYPE_NONE, 1,
                                GABN_TYPE_STEP_REPORT | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[EPOCH] = g_signal_new ("epoch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                 NULL, NULL, NULL, G_TYPE_NONE, 1,
                                 GABN_TYPE_EVAL_REPORT | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
gabn_train_run_init (GabnTrainRun *self)
{
  self->steps = g_array_new (FALSE, FALSE, sizeof (GabnStepReport));
  self->epochs = g_ptr_array_new_with_free_func ((GDestroyNotify) gabn_eval_report_free);
}

GabnTrainRun *
gabn_train_run_new (const char *name, const GabnTrainConfig *config, GabnSharedDataset *dataset)
{
  GabnTrainRun *self = g_object_new (GABN_TYPE_TRAIN_RUN, NULL);
  RunShared *shared = g_atomic_rc_box_new0 (RunShared);

  g_mutex_init (&shared->lock);
  shared->cancellable = g_cancellable_new ();
  shared->dataset = gabn_shared_dataset_ref (dataset);
  gabn_train_config_copy (&shared->config, config);
  g_weak_ref_init (&shared->run, self);
  self->shared = shared;
  self->name = g_strdup (name);
  self->status = g_strdup (_("Ready"));
  return self;
}

const char *
gabn_train_run_get_name (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), NULL);
  return self->name;
}

const GabnTrainConfig *
gabn_train_run_get_config (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), NULL);
  return &self->shared->config;
}

GabnSharedDataset *
gabn_train_run_get_dataset (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), NULL);
  return self->shared->dataset;
}

GabnRunState
gabn_train_run_get_state (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), GABN_RUN_FAILED);
  return self->state;
}

const char *
gabn_train_run_get_status (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), NULL);
  return self->status;
}

guint
gabn_train_run_get_n_steps (GabnTrainRun *self)
{
  return self->steps->len;
}

const GabnStepReport *
gabn_train_run_get_step (GabnTrainRun *self, guint i)
{
  g_return_val_if_fail (i < self->steps->len, NULL);
  return &g_array_index (self->steps, GabnStepReport, i);
}

guint
gabn_train_run_get_n_epochs (GabnTrainRun *self)
{
  return self->epochs->len;
}

const GabnEvalReport *
gabn_train_run_get_epoch (GabnTrainRun *self, guint i)
{
  g_return_val_if_fail (i < self->epochs->len, NULL);
  return g_ptr_array_index (self->epochs, i);
}

GabnSharedModel *
gabn_train_run_get_model (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), NULL);
  return self->model;
}

/* CSV: one row per step (loss terms) and one per epoch (metrics); empty
 * cells where a row has no such value. */
char *
gabn_train_run_csv_header (GabnSharedDataset *dataset)
{
  GString *s = g_string_new ("run,method,kind,step,epoch,loss,loss_arc,loss_adv,loss_mask,"
                             "disc_loss,disc_accuracy,lr,images_per_second,eta_seconds,"
                             "mean_accuracy,std,ser,mean_pairwise_js");
  const GabnDataset *ds = dataset->dataset;

  for (int g = 0; g < ds->n_groups; g++)
    g_string_append_printf (s, ",accuracy[%s],region50[%s],js_to_reference[%s]",
                            ds->groups[g].name, ds->groups[g].name, ds->groups[g].name);
  g_string_append_c (s, '\n');
  return g_string_free (s, FALSE);
}

static void
csv_number (GString *csv, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (csv, ',');
  if (isfinite (v))
    g_string_append (csv, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
csv_name (GString *csv, const char *name)
{
  g_string_append_c (csv, '"');
  for (const char *p = name; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (csv, '"');
      g_string_append_c (csv, *p);
    }
  g_string_append_c (csv, '"');
}

void
gabn_train_run_append_csv (GabnTrainRun *self, GString *csv)
{
  int n_groups = self->shared->dataset->dataset->n_groups;
  const char *method = gabn_method_name (self->shared->config.method);

  for (guint i = 0; i < self->steps->len; i++)
    {
      const GabnStepReport *s = &g_array_index (self->steps, GabnStepReport, i);

      csv_name (csv, self->name);
      g_string_append_printf (csv, ",%s,step,%" G_GINT64_FORMAT ",%d", method, s->step, s->epoch);
      csv_number (csv, s->loss);
      csv_number (csv, s->loss_arc);
      csv_number (csv, s->loss_adv);
      csv_number (csv, s->loss_mask);
      csv_number (csv, s->disc_loss);
      csv_number (csv, s->disc_accuracy);
      csv_number (csv, s->lr);
      csv_number (csv, s->images_per_second);
      csv_number (csv, s->eta_seconds);
      g_string_append (csv, ",,,,");
      for (int g = 0; g < n_groups; g++)
        g_string_append (csv, ",,,");
      g_string_append_c (csv, '\n');
    }
  for (guint i = 0; i < self->epochs->len; i++)
    {
      const GabnEvalReport *e = g_ptr_array_index (self->epochs, i);

      csv_name (csv, self->name);
      g_string_append_printf (csv, ",%s,epoch,%" G_GINT64_FORMAT ",%d", method, e->step, e->epoch);
      g_string_append (csv, ",,,,,,,,,");
      csv_number (csv, e->mean_accuracy);
      csv_number (csv, e->std);
      csv_number (csv, e->ser);
      csv_number (csv, e->mean_pairwise_js);
      for (int g = 0; g < n_groups; g++)
        {
          gboolean has = g < e->n_groups;
          csv_number (csv, has ? e->groups[g].accuracy : NAN);
          csv_number (csv, has ? e->groups[g].region50 : NAN);
          csv_number (csv, has ? e->groups[g].js_to_reference : NAN);
        }
      g_string_append_c (csv, '\n');
    }
}

guint
gabn_train_run_get_n_skipped (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), 0);
  return self->n_skipped;
}

const char *
gabn_train_run_get_last_skipped (GabnTrainRun *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_RUN (self), NULL);
  return self->last_skipped;
}
