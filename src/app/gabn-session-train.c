/* gabn-session-train.c: the training runs of the session. A run trains in
 * its own thread (gabn-train-run.h); the session lists the Train view's
 * runs, offers each trained model for comparison once, and stops every run
 * when it goes. */
#include "config.h"
#include "gabn-session-private.h"

#include <glib/gi18n.h>

GListModel *
gabn_session_get_runs (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->runs);
}

/* A finished (or stopped after a step) run's model joins the models. */
static void
on_run_state (GabnTrainRun *run, GParamSpec *pspec, GabnSession *self)
{
  GabnSharedModel *model = gabn_train_run_get_model (run);
  g_autoptr(GabnModelItem) item = NULL;

  if (model == NULL)
    return;
  g_signal_handlers_disconnect_by_func (run, on_run_state, self);
  item = gabn_model_item_new (gabn_train_run_get_name (run), model);
  g_list_store_append (self->models, item);
}

GabnTrainRun *
gabn_session_start_run (GabnSession *self, const GabnTrainConfig *config, GError **error)
{
  g_autoptr(GabnTrainRun) run = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  if (self->dataset == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                   _("Open a dataset to train on first"));
      return NULL;
    }
  if (!gabn_train_config_validate (config, error))
    return NULL;
  /* Translators: run number and method, e.g. "Run 2 (GABN)" */
  name = g_strdup_printf (_("Run %d (%s)"), (int) g_list_model_get_n_items (G_LIST_MODEL (self->runs)) + 1,
                          config->method == GABN_METHOD_GABN ? _("GABN") : _("Baseline"));
  run = gabn_train_run_new (name, config, self->dataset);
  g_signal_connect_object (run, "notify::state", G_CALLBACK (on_run_state), self, 0);
  g_list_store_append (self->runs, run);
  gabn_train_run_start (run);
  return run; /* borrowed: the list holds it */
}

GabnTrainRun *
gabn_session_new_run (GabnSession *self, const char *name, const GabnTrainConfig *config,
                      GabnSharedDataset *dataset)
{
  GabnTrainRun *run;

  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  g_return_val_if_fail (dataset != NULL, NULL);
  /* Ended runs are forgotten here (their users keep their own references). */
  for (guint i = self->unlisted_runs->len; i > 0; i--)
    {
      GabnTrainRun *old = g_ptr_array_index (self->unlisted_runs, i - 1);
      GabnRunState state = gabn_train_run_get_state (old);

      if (state != GABN_RUN_READY && state != GABN_RUN_RUNNING && state != GABN_RUN_PAUSED)
        g_ptr_array_remove_index (self->unlisted_runs, i - 1);
    }
  run = gabn_train_run_new (name, config, dataset);
  g_ptr_array_add (self->unlisted_runs, g_object_ref (run));
  return run;
}

static gboolean
stop_if_live (GabnTrainRun *run)
{
  GabnRunState state = gabn_train_run_get_state (run);

  if (state != GABN_RUN_RUNNING && state != GABN_RUN_PAUSED)
    return FALSE;
  gabn_train_run_stop (run);
  return TRUE;
}

gboolean
gabn_session_stop_runs (GabnSession *self)
{
  gboolean live = FALSE;

  g_return_val_if_fail (GABN_IS_SESSION (self), FALSE);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->runs)); i++)
    {
      g_autoptr(GabnTrainRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);
      live = stop_if_live (run) || live;
    }
  for (guint i = 0; i < self->unlisted_runs->len; i++)
    live = stop_if_live (g_ptr_array_index (self->unlisted_runs, i)) || live;
  return live;
}

void
gabn_session_join_runs (GabnSession *self)
{
  g_return_if_fail (GABN_IS_SESSION (self));
  gabn_session_stop_runs (self);
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->runs)); i++)
    {
      g_autoptr(GabnTrainRun) run = g_list_model_get_item (G_LIST_MODEL (self->runs), i);
      gabn_train_run_join (run);
    }
  for (guint i = 0; i < self->unlisted_runs->len; i++)
    gabn_train_run_join (g_ptr_array_index (self->unlisted_runs, i));
}
