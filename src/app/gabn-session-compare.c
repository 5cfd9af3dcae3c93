/* gabn-session-compare.c: two models evaluated in one worker on the pairs
 * of model A's split (the held-out people it never trained on; a model
 * without a split gets the dataset's default split), so both are measured
 * on exactly the same pairs. */
#include "config.h"
#include "gabn-session-private.h"
#include "gabn-split.h"

#include <glib/gi18n.h>

GListModel *
gabn_session_get_models (GabnSession *self)
{
  g_return_val_if_fail (GABN_IS_SESSION (self), NULL);
  return G_LIST_MODEL (self->models);
}

typedef struct {
  GabnSharedModel   *models[2];
  GabnSharedDataset *dataset;
  GabnEvalReport    *reports[2];
} CompareJob;

static void
compare_job_free (gpointer data)
{
  CompareJob *job = data;

  for (int m = 0; m < 2; m++)
    {
      g_clear_pointer (&job->models[m], gabn_shared_model_unref);
      g_clear_pointer (&job->reports[m], gabn_eval_report_free);
    }
  g_clear_pointer (&job->dataset, gabn_shared_dataset_unref);
  g_free (job);
}

static void
compare_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CompareJob *job = task_data;
  const GabnDataset *ds = job->dataset->dataset;
  const char *split_json = job->models[0]->metadata
                           ? g_hash_table_lookup (job->models[0]->metadata, "split") : NULL;
  g_autoptr(GabnSplit) split = NULL;
  GError *error = NULL;
  GabnEvalOptions options;

  split = split_json ? gabn_split_from_json (ds, split_json, NULL) : NULL;
  if (split == NULL)
    split = gabn_split_new (ds, NULL, &error);
  if (split == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  gabn_eval_options_init (&options);
  for (int m = 0; m < 2; m++)
    {
      GabnSharedModel *model = job->models[m];

      g_mutex_lock (&model->lock);
      job->reports[m] = gabn_evaluate (model->net, ds, split->pairs, split->n_pairs, &options,
                                       NULL, NULL, cancellable, &error);
      g_mutex_unlock (&model->lock);
      if (job->reports[m] == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_boolean (task, TRUE);
}

void
gabn_session_compare_async (GabnSession *self, GabnSharedModel *a, GabnSharedModel *b,
                            GCancellable *cancellable, GAsyncReadyCallback callback,
                            gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  CompareJob *job;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = gabn_session_task_new (self, cancellable, callback, user_data, gabn_session_compare_async);
  if (gabn_session_task_needs (self, task, FALSE))
    return;
  if (a == NULL || b == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s",
                               _("Choose two models and open a dataset first"));
      return;
    }
  job = g_new0 (CompareJob, 1);
  job->models[0] = gabn_shared_model_ref (a);
  job->models[1] = gabn_shared_model_ref (b);
  job->dataset = gabn_shared_dataset_ref (self->dataset);
  g_task_set_task_data (task, job, compare_job_free);
  gabn_jobs_run_in_thread (task, compare_worker);
}

gboolean
gabn_session_compare_finish (GabnSession *self, GAsyncResult *result,
                             GabnEvalReport *reports[2], GError **error)
{
  CompareJob *job;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  job = g_task_get_task_data (G_TASK (result));
  for (int m = 0; m < 2; m++)
    reports[m] = g_steal_pointer (&job->reports[m]);
  return TRUE;
}
