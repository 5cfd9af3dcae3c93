/* gabn-session-explore.c: the explorer's jobs on the current dataset and
 * model: one map (cached per request), the group maps, faces and mean
 * faces, and checking every image. The work itself is the engine's
 * (gabn-explorer.h, gabn-group-maps.h, gabn-mean-faces.h). */
#include "config.h"
#include "gabn-session-private.h"
#include "gabn-mean-faces.h"

#include <glib/gi18n.h>

/* Both current items, referenced for a worker. */
typedef struct {
  GabnSharedModel   *model;     /* NULL for jobs on the dataset alone */
  GabnSharedDataset *dataset;
  guint              model_serial, dataset_serial;
  GabnCamRequest     request;   /* CAM */
  char              *key;       /* CAM */
  int                size, count;  /* faces: size, and image or per_group */
} ExploreData;

static void
explore_data_free (gpointer data)
{
  ExploreData *ed = data;

  g_clear_pointer (&ed->model, gabn_shared_model_unref);
  g_clear_pointer (&ed->dataset, gabn_shared_dataset_unref);
  g_free (ed->key);
  g_free (ed);
}

static ExploreData *
explore_data_new (GabnSession *self, GTask *task)
{
  ExploreData *ed = g_new0 (ExploreData, 1);

  ed->model = self->model ? gabn_shared_model_ref (self->model) : NULL;
  ed->dataset = gabn_shared_dataset_ref (self->dataset);
  ed->model_serial = self->model_serial;
  ed->dataset_serial = self->dataset_serial;
  g_task_set_task_data (task, ed, explore_data_free);
  return ed;
}

/* A result is stale when the model or dataset changed while it was made. */
static gboolean
is_stale (GabnSession *self, const ExploreData *ed, GError **error)
{
  if (ed->dataset == self->dataset && ed->dataset_serial == self->dataset_serial
      && (ed->model == NULL || (ed->model == self->model && ed->model_serial == self->model_serial)))
    return FALSE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The model or dataset changed"));
  return TRUE;
}

/* ---- CAMs --------------------------------------------------------------- */

/* The class label of each identity for this model on this dataset, computed
 * once per dataset (called with model->lock held). */
static const int *
model_labels (GabnSharedModel *model, const GabnSharedDataset *data)
{
  if (model->labels == NULL || model->labels_for != data->serial)
    {
      g_free (model->labels);
      model->labels = gabn_explorer_identity_labels (model->net, model->metadata, data->dataset);
      model->labels_for = data->serial;
    }
  return model->labels;
}

static void
cam_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExploreData *ed = task_data;
  GError *error = NULL;
  GabnCamResult *result = NULL;

  if (g_task_return_error_if_cancelled (task))
    return;
  /* Maps of a trained run's net come in training mode; a batch of one has
   * no batch statistics, so every map is taken in eval mode (kept: shared
   * models are only used for inference). */
  g_mutex_lock (&ed->model->lock);
  if (!g_cancellable_is_cancelled (cancellable))
    result = gabn_explorer_compute (ed->model->net, model_labels (ed->model, ed->dataset),
                                    ed->dataset->dataset, &ed->request, &error);
  g_mutex_unlock (&ed->model->lock);
  if (g_task_return_error_if_cancelled (task))
    {
      g_clear_error (&error);
      gabn_cam_result_free (result);
      return;
    }
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) gabn_cam_result_free);
}

static char *
cam_key (const GabnCamRequest *req)
{
  return g_strdup_printf ("%d:%d:%d:%d:%s", req->image, req->method, req->target_kind,
                          req->target_kind == GABN_TARGET_OWN ? -1 : req->target, req->layer);
}

void
gabn_session_compute_cam_async (GabnSession *self, const GabnCamRequest *request,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  ExploreData *ed;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = gabn_session_task_new (self, cancellable, callback, user_data,
                                gabn_session_compute_cam_async);
  if (gabn_session_task_needs (self, task, TRUE))
    return;
  if (request->image < 0 || request->image >= self->dataset->dataset->n_images)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The dataset has no image %d"), request->image);
      return;
    }
  ed = explore_data_new (self, task);
  ed->request = *request;
  ed->key = cam_key (request);
  if (g_hash_table_contains (self->cam_cache, ed->key))
    {
      g_task_return_pointer (task, NULL, NULL); /* finish reads the cache */
      return;
    }
  gabn_jobs_run_in_thread (task, cam_worker);
}

const GabnCamResult *
gabn_session_compute_cam_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  ExploreData *ed;
  GabnCamResult *computed;
  GError *local_error = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  ed = g_task_get_task_data (G_TASK (result));
  computed = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (computed == NULL)
    {
      const GabnCamResult *cached = ed ? g_hash_table_lookup (self->cam_cache, ed->key) : NULL;
      if (cached == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The model or dataset changed"));
      return cached;
    }
  if (is_stale (self, ed, error))
    {
      gabn_cam_result_free (computed);
      return NULL;
    }
  g_hash_table_replace (self->cam_cache, g_strdup (ed->key), computed);
  return computed;
}

/* ---- Group maps ---------------------------------------------------------- */

static void
groups_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExploreData *ed = task_data;
  GError *error = NULL;
  GabnGroupMaps *maps = gabn_group_maps_compute (ed->model->net, &ed->model->lock,
                                                 ed->dataset->dataset, ed->count,
                                                 cancellable, &error);

  if (maps == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, maps, (GDestroyNotify) gabn_group_maps_free);
}

void
gabn_session_compute_groups_async (GabnSession *self, int per_group, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = gabn_session_task_new (self, cancellable, callback, user_data,
                                gabn_session_compute_groups_async);
  if (gabn_session_task_needs (self, task, TRUE))
    return;
  explore_data_new (self, task)->count = per_group;
  gabn_jobs_run_in_thread (task, groups_worker);
}

GabnGroupMaps *
gabn_session_compute_groups_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  ExploreData *ed;
  GabnGroupMaps *maps;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  ed = g_task_get_task_data (G_TASK (result));
  maps = g_task_propagate_pointer (G_TASK (result), error);
  if (maps != NULL && is_stale (self, ed, error))
    g_clear_pointer (&maps, gabn_group_maps_free);
  return maps;
}

/* ---- Faces ----------------------------------------------------------------- */

static void
face_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExploreData *ed = task_data;
  gsize n = (gsize) ed->size * ed->size * 3;
  guint8 *rgb = g_malloc (n);
  GError *error = NULL;

  if (!gabn_dataset_load_rgb (ed->dataset->dataset, ed->count, ed->size, rgb, &error))
    {
      g_free (rgb);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_bytes_new_take (rgb, n), (GDestroyNotify) g_bytes_unref);
}

static void
mean_faces_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExploreData *ed = task_data;
  const GabnDataset *ds = ed->dataset->dataset;
  guint8 *rgb = gabn_mean_faces_of_groups (ds, ed->size, ed->count, cancellable);

  if (g_task_return_error_if_cancelled (task))
    {
      g_free (rgb);
      return;
    }
  g_task_return_pointer (task, g_bytes_new_take (rgb, (gsize) MAX (1, ds->n_groups) * ed->size * ed->size * 3),
                         (GDestroyNotify) g_bytes_unref);
}

static void
faces_job (GabnSession *self, int size, int count, GTaskThreadFunc worker, gpointer tag,
           GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = gabn_session_task_new (self, cancellable, callback, user_data, tag);
  ExploreData *ed;

  if (gabn_session_task_needs (self, task, FALSE))
    return;
  if (worker == face_worker && (count < 0 || count >= self->dataset->dataset->n_images))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               _("The dataset has no image %d"), count);
      return;
    }
  ed = explore_data_new (self, task);
  g_clear_pointer (&ed->model, gabn_shared_model_unref); /* the dataset alone */
  ed->size = size;
  ed->count = count;
  gabn_jobs_run_in_thread (task, worker);
}

static GBytes *
faces_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  ExploreData *ed = g_task_get_task_data (G_TASK (result));
  GBytes *rgb = g_task_propagate_pointer (G_TASK (result), error);

  if (rgb != NULL && is_stale (self, ed, error))
    g_clear_pointer (&rgb, g_bytes_unref);
  return rgb;
}

void
gabn_session_load_face_async (GabnSession *self, int image, int size, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data)
{
  g_return_if_fail (GABN_IS_SESSION (self) && size > 0);
  faces_job (self, size, image, face_worker, gabn_session_load_face_async, cancellable,
             callback, user_data);
}

GBytes *
gabn_session_load_face_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return faces_finish (self, result, error);
}

void
gabn_session_mean_faces_async (GabnSession *self, int size, int per_group,
                               GCancellable *cancellable, GAsyncReadyCallback callback,
                               gpointer user_data)
{
  g_return_if_fail (GABN_IS_SESSION (self) && size > 0);
  faces_job (self, size, per_group, mean_faces_worker, gabn_session_mean_faces_async,
             cancellable, callback, user_data);
}

GBytes *
gabn_session_mean_faces_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return faces_finish (self, result, error);
}

/* ---- Checking every image ----------------------------------------------- */

static void
check_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ExploreData *ed = task_data;
  GError *error = NULL;
  int n_bad = gabn_dataset_verify (ed->dataset->dataset, NULL, NULL, cancellable, &error);

  if (n_bad < 0)
    g_task_return_error (task, error);
  else
    g_task_return_int (task, n_bad);
}

void
gabn_session_check_images_async (GabnSession *self, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = gabn_session_task_new (self, cancellable, callback, user_data,
                                gabn_session_check_images_async);
  if (gabn_session_task_needs (self, task, FALSE))
    return;
  explore_data_new (self, task);
  gabn_jobs_run_in_thread (task, check_worker);
}

int
gabn_session_check_images_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (int) g_task_propagate_int (G_TASK (result), error);
}
