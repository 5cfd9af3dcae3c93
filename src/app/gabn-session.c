/* gabn-session.c: the session's state, its busy state and progress, and the
 * lifetime of its jobs. Worker threads get their own references to the
 * shared dataset and model, never touch the session's fields, and report
 * back through the main context; a result carries the serial of the
 * request and is dropped when a newer request was made (the
 * editor-document-statistics.c pattern). The jobs themselves live in
 * gabn-session-open.c, -explore.c, -train.c and -compare.c. */
#include "config.h"
#include "gabn-session-private.h"

#include <glib/gi18n.h>

G_DEFINE_FINAL_TYPE (GabnSession, gabn_session, G_TYPE_OBJECT)

enum { PROP_0, PROP_DATASET, PROP_MODEL, PROP_BUSY, PROP_PROGRESS, PROP_STATUS, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* ---- Jobs ---------------------------------------------------------------- */

/* The job's own cancellable, fired by the caller's and the session's. */
typedef struct {
  GCancellable *job;
  GCancellable *caller;
  GCancellable *session;
  gulong        caller_id, session_id;
} JobLink;

static void
cancel_job (GCancellable *cancellable, gpointer job)
{
  g_cancellable_cancel (job);
}

static void
job_link_free (gpointer data)
{
  JobLink *link = data;

  if (link->caller_id != 0)
    g_cancellable_disconnect (link->caller, link->caller_id);
  if (link->session_id != 0)
    g_cancellable_disconnect (link->session, link->session_id);
  g_clear_object (&link->caller);
  g_clear_object (&link->session);
  g_clear_object (&link->job);
  g_free (link);
}

static GQuark
job_link_quark (void)
{
  return g_quark_from_static_string ("gabn-session-job");
}

GTask *
gabn_session_task_new (GabnSession *self, GCancellable *cancellable,
                       GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  JobLink *link = g_new0 (JobLink, 1);
  GTask *task;

  link->job = g_cancellable_new ();
  link->session = g_object_ref (self->cancellable);
  link->session_id = g_cancellable_connect (link->session, G_CALLBACK (cancel_job),
                                            g_object_ref (link->job), g_object_unref);
  if (cancellable != NULL)
    {
      link->caller = g_object_ref (cancellable);
      link->caller_id = g_cancellable_connect (cancellable, G_CALLBACK (cancel_job),
                                               g_object_ref (link->job), g_object_unref);
    }
  task = g_task_new (self, link->job, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* The link lives as long as the task: the handlers go with it. */
  g_object_set_qdata_full (G_OBJECT (task), job_link_quark (), link, job_link_free);
  return task;
}

gboolean
gabn_session_task_needs (GabnSession *self, GTask *task, gboolean model)
{
  if (self->dataset != NULL && (!model || self->model != NULL))
    return FALSE;
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "%s",
                           model ? _("Open a dataset and a model first") : _("Open a dataset first"));
  return TRUE;
}

gboolean
gabn_session_is_cancelled_error (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         || g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED);
}

void
gabn_session_shutdown (GabnSession *self)
{
  g_return_if_fail (GABN_IS_SESSION (self));
  g_cancellable_cancel (self->cancellable);
  gabn_session_stop_runs (self);
}

/* ---- Busy state and progress from workers ------------------------------- */

static void
set_status (GabnSession *self, double progress, const char *status)
{
  self->progress = progress;
  g_free (self->status);
  self->status = g_strdup (status);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PROGRESS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

void
gabn_session_busy_push (GabnSession *self, const char *status)
{
  if (self->n_busy++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  set_status (self, -1, status);
}

void
gabn_session_busy_pop (GabnSession *self)
{
  g_return_if_fail (self->n_busy > 0);
  if (--self->n_busy == 0)
    {
      set_status (self, -1, NULL);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

/* Owned by a worker; progress is throttled to ~20 reports a second. */
struct _GabnSessionProgress {
  GWeakRef session;
  gint64   last_report;
};

typedef struct {
  GWeakRef session;
  double   fraction;
  char    *message;
} ProgressReport;

static gboolean
apply_progress (gpointer data)
{
  ProgressReport *report = data;
  g_autoptr(GabnSession) self = g_weak_ref_get (&report->session);

  if (self != NULL && self->n_busy > 0)
    set_status (self, report->fraction, report->message);
  return G_SOURCE_REMOVE;
}

static void
free_report (gpointer data)
{
  ProgressReport *report = data;

  g_weak_ref_clear (&report->session);
  g_free (report->message);
  g_free (report);
}

void
gabn_session_progress_report (double fraction, const char *message, gpointer user_data)
{
  GabnSessionProgress *ctx = user_data;
  gint64 now = g_get_monotonic_time ();
  ProgressReport *report;
  g_autoptr(GObject) session = NULL;

  if (now - ctx->last_report < 50000 && fraction < 1)
    return;
  ctx->last_report = now;
  session = g_weak_ref_get (&ctx->session);
  if (session == NULL)
    return;
  report = g_new0 (ProgressReport, 1);
  g_weak_ref_init (&report->session, session);
  report->fraction = fraction;
  report->message = g_strdup (message);
  g_idle_add_full (G_PRIORITY_DEFAULT, apply_progress, report, free_report);
}

GabnSessionProgress *
gabn_session_progress_new (GabnSession *self)
{
  GabnSessionProgress *ctx = g_new0 (GabnSessionProgress, 1);

  g_weak_ref_init (&ctx->session, self);
  return ctx;
}

void
gabn_session_progress_free (GabnSessionProgress *ctx)
{
  g_weak_ref_clear (&ctx->session);
  g_free (ctx);
}

/* ---- Current items -------------------------------------------------------- */

void
gabn_session_clear_cache (GabnSession *self)
{
  g_hash_table_remove_all (self->cam_cache);
}

void
gabn_session_set_dataset (GabnSession *self, GabnSharedDataset *dataset)
{
  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  self->dataset = dataset ? gabn_shared_dataset_ref (dataset) : NULL;
  gabn_session_clear_cache (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATASET]);
}

void
gabn_session_set_model (GabnSession *self, GabnSharedModel *model)
{
  g_return_if_fail (GABN_IS_SESSION (self));
  self->model_serial++;
  g_clear_pointer (&self->model, gabn_shared_model_unref);
  self->model = model ? gabn_shared_model_ref (model) : NULL;
  gabn_session_clear_cache (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

/* ---- GObject ------------------------------------------------------------ */

static void
gabn_session_dispose (GObject *object)
{
  GabnSession *self = GABN_SESSION (object);

  gabn_session_shutdown (self);
  gabn_session_join_runs (self);
  G_OBJECT_CLASS (gabn_session_parent_class)->dispose (object);
}

static void
gabn_session_finalize (GObject *object)
{
  GabnSession *self = GABN_SESSION (object);

  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  g_clear_pointer (&self->model, gabn_shared_model_unref);
  g_hash_table_unref (self->cam_cache);
  g_clear_object (&self->runs);
  g_clear_pointer (&self->unlisted_runs, g_ptr_array_unref);
  g_clear_object (&self->models);
  g_clear_object (&self->cancellable);
  g_free (self->status);
  G_OBJECT_CLASS (gabn_session_parent_class)->finalize (object);
}

static void
gabn_session_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GabnSession *self = GABN_SESSION (object);

  switch (prop_id)
    {
    case PROP_DATASET:
      g_value_set_pointer (value, self->dataset);
      break;
    case PROP_MODEL:
      g_value_set_pointer (value, self->model);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->n_busy > 0);
      break;
    case PROP_PROGRESS:
      g_value_set_double (value, self->progress);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_session_class_init (GabnSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = gabn_session_dispose;
  object_class->finalize = gabn_session_finalize;
  object_class->get_property = gabn_session_get_property;
  properties[PROP_DATASET] = g_param_spec_pointer ("dataset", NULL, NULL, flags);
  properties[PROP_MODEL] = g_param_spec_pointer ("model", NULL, NULL, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_PROGRESS] = g_param_spec_double ("progress", NULL, NULL, -1, 1, -1, flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gabn_session_init (GabnSession *self)
{
  self->cam_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) gabn_cam_result_free);
  self->runs = g_list_store_new (GABN_TYPE_TRAIN_RUN);
  self->unlisted_runs = g_ptr_array_new_with_free_func (g_object_unref);
  self->models = g_list_store_new (GABN_TYPE_MODEL_ITEM);
  self->cancellable = g_cancellable_new ();
  self->progress = -1;
}

GabnSession *
gabn_session_new (void)
{
  return g_object_new (GABN_TYPE_SESSION, NULL);
}

GabnSharedDataset *
gabn_session_get_dataset (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  return self->dataset;
}

GabnSharedModel *
gabn_session_get_model (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  return self->model;
}

gboolean
gabn_session_get_busy (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), FALSE);
  return self->n_busy > 0;
}

double
gabn_session_get_progress (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), -1);
  return self->progress;
}

const char *
gabn_session_get_status (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  return self->status;
}
