/* gabn-session.c: the window's document. Worker threads get their own
 * references to the shared dataset and model, never touch the session's
 * fields, and report back through the main context; a result carries the
 * serial of the request and is dropped when a newer request was made (the
 * editor-document-statistics.c pattern). */
#include "config.h"
#include "gabn-jobs.h"
#include "gabn-session.h"
#include "gabn-attention.h"
#include "gabn-evaluate.h"
#include "gabn-model-file.h"
#include "gabn-reliance.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _GabnSession
{
  GObject            parent_instance;

  GabnSharedDataset *dataset;
  GabnSharedModel   *model;
  guint              dataset_serial;   /* bumped by each dataset request */
  guint              model_serial;
  GHashTable        *cam_cache;        /* "image:method:kind:target" → GabnCamResult */

  int                synth_identities; /* 0: the preset's size */
  int                synth_images;
  guint              n_busy;
  double             progress;
  char              *status;
};

G_DEFINE_FINAL_TYPE (GabnSession, gabn_session, G_TYPE_OBJECT)

enum { PROP_0, PROP_DATASET, PROP_MODEL, PROP_BUSY, PROP_PROGRESS, PROP_STATUS, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* ---- Shared holders ---------------------------------------------------- */

static void
shared_dataset_clear (gpointer data)
{
  GabnSharedDataset *shared = data;

  g_clear_pointer (&shared->dataset, gabn_dataset_free);
  g_free (shared->title);
}

GabnSharedDataset *
gabn_shared_dataset_new (GabnDataset *dataset, const char *title)
{
  static guint next_serial;
  GabnSharedDataset *shared = g_atomic_rc_box_new0 (GabnSharedDataset);

  shared->dataset = dataset;
  shared->title = g_strdup (title);
  /* Not the pointer: a freed dataset's address can be reused. */
  shared->serial = (guint) g_atomic_int_add ((gint *) &next_serial, 1) + 1;
  return shared;
}

GabnSharedDataset *
gabn_shared_dataset_ref (GabnSharedDataset *shared)
{
  return g_atomic_rc_box_acquire (shared);
}

void
gabn_shared_dataset_unref (GabnSharedDataset *shared)
{
  g_atomic_rc_box_release_full (shared, shared_dataset_clear);
}

static void
shared_model_clear (gpointer data)
{
  GabnSharedModel *shared = data;

  g_clear_pointer (&shared->net, gabn_net_free);
  g_mutex_clear (&shared->lock);
  g_free (shared->title);
  g_free (shared->path);
  g_clear_pointer (&shared->metadata, g_hash_table_unref);
  g_free (shared->labels);
}

GabnSharedModel *
gabn_shared_model_new (GabnNet *net, const char *title, const char *path, GHashTable *metadata)
{
  GabnSharedModel *shared = g_atomic_rc_box_new0 (GabnSharedModel);

  shared->net = net;
  g_mutex_init (&shared->lock);
  shared->title = g_strdup (title);
  shared->path = g_strdup (path);
  shared->metadata = metadata;
  return shared;
}

GabnSharedModel *
gabn_shared_model_ref (GabnSharedModel *shared)
{
  return g_atomic_rc_box_acquire (shared);
}

void
gabn_shared_model_unref (GabnSharedModel *shared)
{
  g_atomic_rc_box_release_full (shared, shared_model_clear);
}

void
gabn_cam_result_free (GabnCamResult *result)
{
  if (result == NULL)
    return;
  g_free (result->map);
  g_free (result->p);
  g_free (result);
}

void
gabn_group_maps_free (GabnGroupMaps *maps)
{
  if (maps == NULL)
    return;
  g_strfreev (maps->names);
  g_free (maps->n_images);
  g_free (maps->mean_p);
  g_free (maps->templates);
  g_free (maps->region50);
  g_free (maps->region80);
  g_free (maps->js);
  g_free (maps->reliance);
  g_free (maps);
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

static void
busy_push (GabnSession *self, const char *status)
{
  if (self->n_busy++ == 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
  set_status (self, -1, status);
}

static void
busy_pop (GabnSession *self)
{
  g_return_if_fail (self->n_busy > 0);
  if (--self->n_busy == 0)
    {
      set_status (self, -1, NULL);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
    }
}

/* Owned by a worker; progress is throttled to ~20 reports a second. */
typedef struct {
  GWeakRef session;
  gint64   last_report;
} ProgressCtx;

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

static void
worker_progress (double fraction, const char *message, gpointer user_data)
{
  ProgressCtx *ctx = user_data;
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

static ProgressCtx *
progress_ctx_new (GabnSession *self)
{
  ProgressCtx *ctx = g_new0 (ProgressCtx, 1);

  g_weak_ref_init (&ctx->session, self);
  return ctx;
}

static void
progress_ctx_free (ProgressCtx *ctx)
{
  g_weak_ref_clear (&ctx->session);
  g_free (ctx);
}

/* ---- Dataset loading ---------------------------------------------------- */

typedef struct {
  char        *path;
  char        *preset;
  int          identities, images;  /* synthetic sizes; 0 = preset default */
  guint        serial;
  ProgressCtx *progress;
} LoadData;

static void
load_data_free (gpointer data)
{
  LoadData *ld = data;

  g_free (ld->path);
  g_free (ld->preset);
  progress_ctx_free (ld->progress);
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

static void
load_dataset_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  LoadData *ld = task_data;
  GError *error = NULL;
  GabnDataset *dataset;
  g_autofree char *title = NULL;

  if (ld->path != NULL)
    {
      dataset = gabn_dataset_open (ld->path, NULL, worker_progress, ld->progress, cancellable, &error);
      title = g_path_get_basename (ld->path);
    }
  else
    {
      GabnSynthConfig config;
      GabnSynthPreset preset = GABN_SYNTH_DEFAULT_PRESET;

      if (ld->preset != NULL && !gabn_synth_preset_from_nick (ld->preset, &preset))
        {
          g_task_return_new_error (task, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                                   _("Unknown synthetic preset “%s”"), ld->preset);
          return;
        }
      gabn_synth_config_init (&config, preset);
      if (ld->identities > 0)
        config.identities = ld->identities;
      if (ld->images > 0)
        config.images = ld->images;
      dataset = gabn_synth_generate (&config, worker_progress, ld->progress, cancellable, &error);
      /* Translators: %s is a preset name such as "realistic" */
      title = g_strdup_printf (_("Synthetic faces (%s)"), synth_nick (preset));
    }
  if (dataset == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, gabn_shared_dataset_new (dataset, title),
                           (GDestroyNotify) gabn_shared_dataset_unref);
}

static void
clear_cache (GabnSession *self)
{
  g_hash_table_remove_all (self->cam_cache);
}

static void
set_dataset (GabnSession *self, GabnSharedDataset *dataset)
{
  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  self->dataset = dataset ? gabn_shared_dataset_ref (dataset) : NULL;
  clear_cache (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATASET]);
}

static void
dataset_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GabnSession *self = GABN_SESSION (object);
  g_autoptr(GTask) outer = user_data;
  LoadData *ld = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  g_autoptr(GabnSharedDataset) dataset = g_task_propagate_pointer (G_TASK (result), &error);

  busy_pop (self);
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
  set_dataset (self, dataset);
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
  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, gabn_session_load_dataset_async);
  ld = g_new0 (LoadData, 1);
  ld->path = g_strdup (path);
  ld->preset = g_strdup (preset);
  ld->identities = self->synth_identities;
  ld->images = self->synth_images;
  ld->serial = ++self->dataset_serial;
  ld->progress = progress_ctx_new (self);
  inner = g_task_new (self, cancellable, dataset_loaded, outer);
  g_task_set_task_data (inner, ld, load_data_free);
  busy_push (self, path ? _("Opening dataset…") : _("Drawing synthetic faces…"));
  gabn_jobs_run_in_thread (inner, load_dataset_worker);
  g_object_unref (inner);
}

gboolean
gabn_session_load_dataset_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- Model loading ------------------------------------------------------ */

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
  if (md->path != NULL)
    {
      g_autofree char *name = g_path_get_basename (md->path);
      g_task_return_pointer (task, gabn_shared_model_new (net, name, md->path, metadata),
                             (GDestroyNotify) gabn_shared_model_unref);
    }
  else
    g_task_return_pointer (task, gabn_shared_model_new (net, _("New gabn-s model"), NULL, NULL),
                           (GDestroyNotify) gabn_shared_model_unref);
}

void
gabn_session_set_model (GabnSession *self, GabnSharedModel *model)
{
  g_return_if_fail (GABN_IS_SESSION (self));
  self->model_serial++;
  g_clear_pointer (&self->model, gabn_shared_model_unref);
  self->model = model ? gabn_shared_model_ref (model) : NULL;
  clear_cache (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

static void
model_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  GabnSession *self = GABN_SESSION (object);
  g_autoptr(GTask) outer = user_data;
  ModelData *md = g_task_get_task_data (G_TASK (result));
  GError *error = NULL;
  g_autoptr(GabnSharedModel) model = g_task_propagate_pointer (G_TASK (result), &error);

  busy_pop (self);
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
  ModelData *md;

  g_return_if_fail (GABN_IS_SESSION (self));
  outer = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (outer, gabn_session_load_model_async);
  md = g_new0 (ModelData, 1);
  md->path = g_strdup (path);
  md->n_classes = self->dataset ? self->dataset->dataset->n_identities : 0;
  md->serial = ++self->model_serial;
  inner = g_task_new (self, cancellable, model_loaded, outer);
  g_task_set_task_data (inner, md, model_data_free);
  busy_push (self, path ? _("Opening model…") : _("Initialising a new model…"));
  gabn_jobs_run_in_thread (inner, load_model_worker);
  g_object_unref (inner);
}

gboolean
gabn_session_load_model_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- CAMs --------------------------------------------------------------- */

typedef struct {
  GabnCamRequest     request;
  GabnSharedModel   *model;
  GabnSharedDataset *dataset;
  guint              model_serial, dataset_serial;
  char              *key;
} CamData;

static void
cam_data_free (gpointer data)
{
  CamData *cd = data;

  g_clear_pointer (&cd->model, gabn_shared_model_unref);
  g_clear_pointer (&cd->dataset, gabn_shared_dataset_unref);
  g_free (cd->key);
  g_free (cd);
}

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

/* Called with model->lock held. */
static GabnCamResult *
compute_cam (GabnSharedModel *model, const GabnSharedDataset *data, const GabnCamRequest *req,
             GError **error)
{
  const GabnDataset *dataset = data->dataset;
  GabnNet *net = model->net;
  int d = gabn_net_embedding_dim (net), c, h, w, label = -1, identity;
  g_autofree float *ref = g_new (float, d);
  g_autoptr(GabnCamResult) result = g_new0 (GabnCamResult, 1);
  gboolean ok = TRUE;

  /* Maps of a trained run's net come in training mode; a batch of one has
   * no batch statistics, so every map is taken in eval mode (kept: shared
   * models are only used for inference). */
  if (gabn_net_get_training (net))
    gabn_net_set_training (net, FALSE);
  gabn_net_feature_shape (net, &c, &h, &w);
  result->h = h;
  result->w = w;
  result->map = g_new (float, h * w);
  result->p = g_new (float, h * w);
  if (req->target_kind == GABN_TARGET_REFERENCE)
    ok = gabn_explorer_embed (net, dataset, req->target, ref, error);
  else
    {
      identity = req->target_kind == GABN_TARGET_OWN
                 ? dataset->images[req->image].identity : req->target;
      if (identity < 0 || identity >= dataset->n_identities)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("This image has no identity: choose a reference face as the target"));
          return NULL;
        }
      label = model_labels (model, data)[identity];
      if (label < 0)
        ok = gabn_explorer_identity_centre (net, dataset, identity, req->image, ref, error);
    }
  if (!ok || !gabn_explorer_cam (net, dataset, req->image, label, ref, req->method,
                                 result->map, &result->score, error))
    return NULL;
  gabn_cam_normalise (result->p, result->map, 1, h * w);
  result->region50 = gabn_cam_region_size (result->p, h * w, 0.5);
  result->region80 = gabn_cam_region_size (result->p, h * w, 0.8);
  return g_steal_pointer (&result);
}

static void
cam_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  CamData *cd = task_data;
  GError *error = NULL;
  GabnCamResult *result;

  if (g_task_return_error_if_cancelled (task))
    return;
  g_mutex_lock (&cd->model->lock);
  result = g_cancellable_is_cancelled (cancellable) ? NULL
           : compute_cam (cd->model, cd->dataset, &cd->request, &error);
  g_mutex_unlock (&cd->model->lock);
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
  return g_strdup_printf ("%d:%d:%d:%d", req->image, req->method, req->target_kind,
                          req->target_kind == GABN_TARGET_OWN ? -1 : req->target);
}

void
gabn_session_compute_cam_async (GabnSession *self, const GabnCamRequest *request,
                                GCancellable *cancellable, GAsyncReadyCallback callback,
                                gpointer user_data)
{
  g_autoptr(GTask) task = NULL;
  CamData *cd;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gabn_session_compute_cam_async);
  if (self->model == NULL || self->dataset == NULL
      || request->image < 0 || request->image >= self->dataset->dataset->n_images)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("Open a dataset and a model first"));
      return;
    }
  cd = g_new0 (CamData, 1);
  cd->request = *request;
  cd->model = gabn_shared_model_ref (self->model);
  cd->dataset = gabn_shared_dataset_ref (self->dataset);
  cd->model_serial = self->model_serial;
  cd->dataset_serial = self->dataset_serial;
  cd->key = cam_key (request);
  g_task_set_task_data (task, cd, cam_data_free);
  if (g_hash_table_contains (self->cam_cache, cd->key))
    {
      g_task_return_pointer (task, NULL, NULL); /* finish reads the cache */
      return;
    }
  gabn_jobs_run_in_thread (task, cam_worker);
}

const GabnCamResult *
gabn_session_compute_cam_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  CamData *cd;
  GabnCamResult *computed;
  GError *local_error = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  cd = g_task_get_task_data (G_TASK (result));
  computed = g_task_propagate_pointer (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (computed == NULL)
    {
      const GabnCamResult *cached = cd ? g_hash_table_lookup (self->cam_cache, cd->key) : NULL;
      if (cached == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The model or dataset changed"));
      return cached;
    }
  /* Stale: the model or dataset changed while it was computed. */
  if (cd->model_serial != self->model_serial || cd->dataset_serial != self->dataset_serial
      || cd->model != self->model || cd->dataset != self->dataset)
    {
      gabn_cam_result_free (computed);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The model or dataset changed"));
      return NULL;
    }
  g_hash_table_replace (self->cam_cache, g_strdup (cd->key), computed);
  return computed;
}

/* ---- Group maps ---------------------------------------------------------- */

/* One normalised map of image towards centre (called with model->lock held;
 * eval mode). p: h×w. */
static gboolean
group_map_one (GabnSharedModel *model, const GabnDataset *ds, int image, const float *centre,
               float *p, int hw)
{
  g_autofree float *map = g_new (float, hw);
  float score;

  if (gabn_net_get_training (model->net))
    gabn_net_set_training (model->net, FALSE);
  if (!gabn_explorer_cam (model->net, ds, image, -1, centre, GABN_CAM_GRADCAM, map, &score, NULL))
    return FALSE;
  gabn_cam_normalise (p, map, 1, hw);
  return TRUE;
}

/* The reliance shares on synthetic data (NULL otherwise, or when it fails:
 * the maps stand without it). FALSE only when cancelled. */
static gboolean
group_reliance (GabnSharedModel *model, const GabnDataset *ds, GabnGroupMaps *maps,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GabnReliance) reliance = NULL;
  g_autoptr(GError) local = NULL;
  GabnEvalOptions options;

  if (ds->synth == NULL)
    return TRUE;
  /* The same people and photos as `gabn eval`, so the numbers agree. */
  gabn_eval_options_init (&options);
  g_mutex_lock (&model->lock);
  reliance = gabn_reliance_compute (model->net, ds, options.reliance_people,
                                    options.reliance_photos, cancellable, &local);
  g_mutex_unlock (&model->lock);
  if (reliance == NULL)
    {
      if (g_error_matches (local, GABN_ERROR, GABN_ERROR_CANCELLED)
          || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_cancellable_is_cancelled (cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_warning ("Reliance not computed: %s", local->message);
      return TRUE;
    }
  maps->reliance = g_steal_pointer (&reliance->share);
  maps->reliance_photos = reliance->n_photos_per_group;
  return TRUE;
}

GabnGroupMaps *
gabn_group_maps_compute (GabnSharedModel *model, GabnSharedDataset *data, int per_group,
                         GCancellable *cancellable, GError **error)
{
  const GabnDataset *ds = data->dataset;
  g_autoptr(GabnGroupMaps) maps = g_new0 (GabnGroupMaps, 1);
  int c, h, w, G = ds->n_groups, fs = 64, hw, n_maps = 0, d, centre_of = -1;
  g_autofree float *all_p = NULL, *centre = NULL;
  g_autofree int *map_groups = g_new (int, MAX (1, G * per_group));
  g_autofree double *face_acc = g_new0 (double, (gsize) MAX (1, G) * fs * fs * 3);
  g_autofree guint8 *rgb = g_new (guint8, fs * fs * 3);
  g_autofree gboolean *present = g_new0 (gboolean, MAX (1, G));

  gabn_net_feature_shape (model->net, &c, &h, &w);
  d = gabn_net_embedding_dim (model->net);
  centre = g_new (float, d);
  hw = h * w;
  all_p = g_new (float, (gsize) MAX (1, G * per_group) * hw);
  maps->n_groups = G;
  maps->h = h;
  maps->w = w;
  maps->face_size = fs;
  maps->names = g_new0 (char *, G + 1);
  maps->n_images = g_new0 (int, MAX (1, G));
  maps->mean_p = g_new0 (float, (gsize) MAX (1, G) * hw);
  maps->templates = g_new0 (guint8, (gsize) MAX (1, G) * fs * fs * 3);
  maps->region50 = g_new0 (double, MAX (1, G));
  maps->region80 = g_new0 (double, MAX (1, G));
  maps->js = g_new0 (double, (gsize) MAX (1, G) * G);

  for (int g = 0; g < G; g++)
    {
      g_autofree int *members = g_new (int, MAX (1, ds->n_images));
      int n_members = 0, taken = 0, stride;

      maps->names[g] = g_strdup (ds->groups[g].name);
      for (int i = 0; i < ds->n_images; i++)
        if (ds->images[i].group == g)
          members[n_members++] = i;
      /* Spread the sample over the group's identities. */
      stride = MAX (1, n_members / MAX (1, per_group));
      for (int k = 0; k < n_members && taken < per_group; k += stride)
        {
          int identity = ds->images[members[k]].identity;
          gboolean ok;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          if (identity < 0)
            continue;
          /* The target of every map is the same kind, trained person or
           * not: the cosine to the mean embedding of the person's photos. */
          g_mutex_lock (&model->lock);
          if (gabn_net_get_training (model->net))
            gabn_net_set_training (model->net, FALSE);
          ok = centre_of == identity
               || gabn_explorer_identity_centre (model->net, ds, identity, -1, centre, NULL);
          centre_of = ok ? identity : -1;
          ok = ok && group_map_one (model, ds, members[k], centre, all_p + (gsize) n_maps * hw, hw);
          g_mutex_unlock (&model->lock);
          if (!ok || !gabn_dataset_load_rgb (ds, members[k], fs, rgb, NULL))
            continue; /* an unreadable image is skipped, not fatal */
          map_groups[n_maps++] = g;
          for (int i = 0; i < fs * fs * 3; i++)
            face_acc[(gsize) g * fs * fs * 3 + i] += rgb[i];
          taken++;
        }
      present[g] = taken > 0;
    }
  gabn_attention_group_stats (all_p, map_groups, n_maps, hw, G, maps->mean_p,
                              maps->region50, maps->region80, maps->n_images);
  gabn_attention_js_matrix (maps->mean_p, G, hw, present, maps->js);
  for (int g = 0; g < G; g++)
    for (int i = 0; maps->n_images[g] > 0 && i < fs * fs * 3; i++)
      maps->templates[(gsize) g * fs * fs * 3 + i] =
        (guint8) lround (face_acc[(gsize) g * fs * fs * 3 + i] / maps->n_images[g]);
  if (!group_reliance (model, ds, maps, cancellable, error))
    return NULL;
  return g_steal_pointer (&maps);
}

typedef struct {
  GabnSharedModel   *model;
  GabnSharedDataset *dataset;
  int                per_group;
} GroupsData;

static void
groups_data_free (gpointer data)
{
  GroupsData *gd = data;

  gabn_shared_model_unref (gd->model);
  gabn_shared_dataset_unref (gd->dataset);
  g_free (gd);
}

static void
groups_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GroupsData *gd = task_data;
  GError *error = NULL;
  GabnGroupMaps *maps = gabn_group_maps_compute (gd->model, gd->dataset, gd->per_group,
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
  GroupsData *gd;

  g_return_if_fail (GABN_IS_SESSION (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gabn_session_compute_groups_async);
  if (self->model == NULL || self->dataset == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("Open a dataset and a model first"));
      return;
    }
  gd = g_new0 (GroupsData, 1);
  gd->model = gabn_shared_model_ref (self->model);
  gd->dataset = gabn_shared_dataset_ref (self->dataset);
  gd->per_group = per_group;
  g_task_set_task_data (task, gd, groups_data_free);
  gabn_jobs_run_in_thread (task, groups_worker);
}

GabnGroupMaps *
gabn_session_compute_groups_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  GroupsData *gd;
  GabnGroupMaps *maps;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  gd = g_task_get_task_data (G_TASK (result));
  maps = g_task_propagate_pointer (G_TASK (result), error);
  if (maps != NULL && (gd->model != self->model || gd->dataset != self->dataset))
    {
      gabn_group_maps_free (maps);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The model or dataset changed"));
      return NULL;
    }
  return maps;
}

/* ---- Checking every image ----------------------------------------------- */

static void
check_worker (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GabnSharedDataset *shared = task_data;
  GError *error = NULL;
  int n_bad = gabn_dataset_verify (shared->dataset, NULL, NULL, cancellable, &error);

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
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, gabn_session_check_images_async);
  if (self->dataset == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED,
                               _("Open a dataset first"));
      return;
    }
  g_task_set_task_data (task, gabn_shared_dataset_ref (self->dataset),
                        (GDestroyNotify) gabn_shared_dataset_unref);
  gabn_jobs_run_in_thread (task, check_worker);
}

int
gabn_session_check_images_finish (GabnSession *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return (int) g_task_propagate_int (G_TASK (result), error);
}

/* ---- GObject ------------------------------------------------------------ */

static void
gabn_session_finalize (GObject *object)
{
  GabnSession *self = GABN_SESSION (object);

  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  g_clear_pointer (&self->model, gabn_shared_model_unref);
  g_hash_table_unref (self->cam_cache);
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

void
gabn_session_set_synthetic_size (GabnSession *self, int identities, int images)
{
  g_return_if_fail (GABN_IS_SESSION (self));
  self->synth_identities = MAX (0, identities);
  self->synth_images = MAX (0, images);
}
