/* gabn-session-open.c: opening datasets (folders or the built-in synthetic
 * faces) and models (files, or a new one), in workers. One model loader
 * serves the current model and the models added for comparison. */
#include "config.h"
#include "gabn-models.h"
#include "gabn-session-private.h"
#include "gabn-model-file.h"

#include <glib/gi18n.h>

/* ---- Datasets ------------------------------------------------------------ */

typedef struct {
  char                *path;
  char                *preset;
  int                  identities, images;  /* synthetic sizes; 0 = preset default */
  guint                serial;
  GabnSessionProgress *progress;
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *ld = data;

  g_free (ld->path);
  g_free (ld->preset);
  gabn_session_progress_free (ld->progress);
  g_free (ld);
}

static const char *
synth_nick (GabnSynthPreset preset)
{
  int n;
  const GabnSynthPresetInfo *infos = gabn_synth_presets (&n);

  for (int i = 0; i < n; i++)
    if (infos[i].preset == preset)
      return infos[i].nick;
  return "";
}

static GabnDataset *
draw_synthetic (LoadData *ld, GCancellable *cancellable, char **title, GError **error)
{
  GabnSynthConfig config;
  GabnSynthPreset preset = GABN_SYNTH_DEFAULT_PRESET;

  if (ld->preset != NULL && !gabn_synth_preset_from_nick (ld->preset, &preset))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("Unknown synthetic preset “%s”"), ld->preset);
      return NULL;
    }
  gabn_synth_config_init (&config, preset);
  if (ld->identities > 0)
    config.identities = ld->identities;
  if (ld->images > 0)
    config.images = ld->images;
  /* Translators: %s is a preset name such as "realistic" */
  *title = g_strdup_printf (_("Synthetic faces (%s)"), synth_nick (preset));
  return gabn_synth_generate (&config, gabn_session_progress_report, ld->progress, cancellable, error);
}

static void
load_dataset_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *ld = task_data;
  GError *error = NULL;
  GabnDataset *dataset;
  g_autofree char *title = NULL;

  if (ld->path != NULL)
    {
      dataset = gabn_dataset_open (ld->path, NULL, gabn_session_progress_report, ld->progress,
                                   cancellable, &error);
      title = g_path_get_basename (ld->path);
    }
  else
    dataset = draw_synthetic (ld, cancellable, &title, &error);
  if (dataset == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, gabn_shared_dataset_new (dataset, title),
                           (GDestroyNotify) gabn_shared_dataset_unref);
}

static void
dataset_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GabnSession *self = GABN_SESSION (object);
  g_autoptr(GTask) outer = user_data;
  LoadData *ld = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  g_autoptr(GabnSharedDataset) dataset = g_task_propagate_pointer (G_TASK (result), &error);

  gabn_session_busy_pop (self);
  if (dataset == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  if (ld->serial != self->dataset_serial)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("A newer dataset was opened"));
      return;
    }
  gabn_session_set_dataset (self, dataset);
  g_task_return_boolean (outer, TRUE);
}

void
gabn_session_load_dataset_async (GabnSession *self, const char *path, const char *preset,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
  GTask *outer, *inner;
  LoadData *ld;

  g_return_if_fail (GABN_IS_SESSION (self));
  outer = gabn_session_task_new (self, cancellable, callback, user_data,
                                 gabn_session_load_dataset_async);
  ld = g_new0 (LoadData, 1);
  ld->path = g_strdup (path);
  ld->preset = g_strdup (preset);
  ld->identities = self->synth_identities;
  ld->images = self->synth_images;
  ld->serial = ++self->dataset_serial;
  ld->progress = gabn_session_progress_new (self);
  inner = g_task_new (self, g_task_get_cancellable (outer), dataset_loaded, outer);
  g_task_set_task_data (inner, ld, load_data_free);
  gabn_session_busy_push (self, path ? _("Opening dataset…") : _("Drawing synthetic faces…"));
  gabn_jobs_run_in_thread (inner, load_dataset_worker);
  g_object_unref (inner);
}

gboolean
gabn_session_load_dataset_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
gabn_session_set_synthetic_size (GabnSession *self, int identities, int images)
{
  g_return_if_fail (GABN_IS_SESSION (self));
  self->synth_identities = MAX (0, identities);
  self->synth_images = MAX (0, images);
}

typedef struct {
  GabnSynthConfig config;
  char           *title;
} DrawData;

static void
draw_data_free (gpointer data)
{
  DrawData *dd = data;

  g_free (dd->title);
  g_free (dd);
}

static void
draw_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  DrawData *dd = task_data;
  GError *error = NULL;
  GabnDataset *ds = gabn_synth_generate (&dd->config, NULL, NULL, cancellable, &error);

  if (ds == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, gabn_shared_dataset_new (ds, dd->title),
                           (GDestroyNotify) gabn_shared_dataset_unref);
}

void
gabn_session_draw_synthetic_async (GabnSession *self, const GabnSynthConfig *config,
                                   const char *title, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  DrawData *dd;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = gabn_session_task_new (self, cancellable, callback, user_data,
                                gabn_session_draw_synthetic_async);
  dd = g_new0 (DrawData, 1);
  dd->config = *config;
  dd->title = g_strdup (title);
  g_task_set_task_data (task, dd, draw_data_free);
  gabn_jobs_run_in_thread (task, draw_worker);
}

GabnSharedDataset *
gabn_session_draw_synthetic_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Models ------------------------------------------------------------- */

typedef struct {
  char  *path;
  int    n_classes;
  guint  serial;
} ModelData;

static void
model_data_free (gpointer data)
{
  ModelData *md = data;

  g_free (md->path);
  g_free (md);
}

static void
load_model_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ModelData *md = task_data;
  GError *error = NULL;
  GHashTable *metadata = NULL;
  g_autofree char *name = NULL;
  GabnNet *net;

  if (md->path != NULL)
    net = gabn_model_load (md->path, NULL, &metadata, &error);
  else
    net = gabn_net_new ("gabn-s", md->n_classes, 1, &error);
  if (net == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  name = md->path ? g_path_get_basename (md->path) : g_strdup (_("New gabn-s model"));
  g_task_return_pointer (task, gabn_shared_model_new (net, name, md->path, metadata),
                         (GDestroyNotify) gabn_shared_model_unref);
}

static GTask *
model_task_new (GabnSession *self, const char *path, GCancellable *cancellable,
                GAsyncReadyCallback callback, gpointer user_data, gpointer source_tag)
{
  GTask *task = gabn_session_task_new (self, cancellable, callback, user_data, source_tag);
  ModelData *md = g_new0 (ModelData, 1);

  md->path = g_strdup (path);
  md->n_classes = self->dataset ? self->dataset->dataset->n_identities : 0;
  g_task_set_task_data (task, md, model_data_free);
  return task;
}

static void
model_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GabnSession *self = GABN_SESSION (object);
  g_autoptr(GTask) outer = user_data;
  ModelData *md = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  g_autoptr(GabnSharedModel) model = g_task_propagate_pointer (G_TASK (result), &error);

  gabn_session_busy_pop (self);
  if (model == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  if (md->serial != self->model_serial)
    {
      g_task_return_new_error (outer, G_IO_ERROR, G_IO_ERROR_CANCELLED,
                               _("A newer model was opened"));
      return;
    }
  gabn_session_set_model (self, model);
  g_task_return_boolean (outer, TRUE);
}

void
gabn_session_load_model_async (GabnSession *self, const char *path, GCancellable *cancellable,
                               GAsyncReadyCallback callback, gpointer user_data)
{
  GTask *outer, *inner;

  g_return_if_fail (GABN_IS_SESSION (self));
  outer = gabn_session_task_new (self, cancellable, callback, user_data,
                                 gabn_session_load_model_async);
  inner = model_task_new (self, path, g_task_get_cancellable (outer), model_loaded, outer, NULL);
  ((ModelData *) g_task_get_task_data (inner))->serial = ++self->model_serial;
  gabn_session_busy_push (self, path ? _("Opening model…") : _("Initialising a new model…"));
  gabn_jobs_run_in_thread (inner, load_model_worker);
  g_object_unref (inner);
}

gboolean
gabn_session_load_model_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
model_file_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GabnSession *self = GABN_SESSION (object);
  g_autoptr(GTask) outer = user_data;
  GError *error = NULL;
  g_autoptr(GabnSharedModel) model = g_task_propagate_pointer (G_TASK (result), &error);
  GabnModelItem *item;

  if (model == NULL)
    {
      g_task_return_error (outer, error);
      return;
    }
  item = gabn_model_item_new (model->title, model);
  g_list_store_append (self->models, item);
  g_task_return_pointer (outer, item, g_object_unref);
}

void
gabn_session_add_model_file_async (GabnSession *self, const char *path,
                                   GCancellable *cancellable, GAsyncReadyCallback callback,
                                   gpointer user_data)
{
  GTask *outer, *inner;

  g_return_if_fail (GABN_IS_SESSION (self));
  g_return_if_fail (path != NULL);
  outer = gabn_session_task_new (self, cancellable, callback, user_data,
                                 gabn_session_add_model_file_async);
  inner = model_task_new (self, path, g_task_get_cancellable (outer), model_file_loaded, outer, NULL);
  gabn_jobs_run_in_thread (inner, load_model_worker);
  g_object_unref (inner);
}

GabnModelItem *
gabn_session_add_model_file_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- The models known by name -------------------------------------------- */

static void
list_models_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_task_return_pointer (task, gabn_models_list (), (GDestroyNotify) g_ptr_array_unref);
}

void
gabn_session_list_models_async (GabnSession *self, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = gabn_session_task_new (self, cancellable, callback, user_data,
                                gabn_session_list_models_async);
  gabn_jobs_run_in_thread (task, list_models_worker);
}

GPtrArray *
gabn_session_list_models_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
