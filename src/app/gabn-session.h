/* gabn-session.h: the document of a window: the current dataset, the current
 * model and the explorer's cached results. Loads and computations run in
 * worker threads (GTask); a result is applied only if it is still current,
 * so a slow old load never replaces a newer one. */
#pragma once

#include <gio/gio.h>
#include "gabn-explorer.h"
#include "gabn-synth.h"

G_BEGIN_DECLS

/* A dataset shared read-only between the UI and workers (atomic refcount). */
typedef struct {
  GabnDataset *dataset;
  char        *title;       /* folder name, or "Synthetic faces (preset)" */
  guint        serial;      /* unique per opened dataset in this process */
} GabnSharedDataset;

GabnSharedDataset *gabn_shared_dataset_new (GabnDataset *dataset, const char *title);
GabnSharedDataset *gabn_shared_dataset_ref (GabnSharedDataset *shared);
void               gabn_shared_dataset_unref (GabnSharedDataset *shared);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnSharedDataset, gabn_shared_dataset_unref)

/* A model shared between the UI and workers; `lock` serialises use of net
 * (a net is not thread-safe). */
typedef struct {
  GabnNet    *net;
  GMutex      lock;
  char       *title;        /* file name, or "New gabn-s model" */
  char       *path;         /* NULL when not from a file */
  GHashTable *metadata;     /* string → string, may be NULL */
  /* Under lock: class label of each identity of the dataset whose serial
   * is labels_for (explorer). */
  int        *labels;
  guint       labels_for;
} GabnSharedModel;

GabnSharedModel *gabn_shared_model_new (GabnNet *net, const char *title, const char *path,
                                        GHashTable *metadata);
GabnSharedModel *gabn_shared_model_ref (GabnSharedModel *shared);
void             gabn_shared_model_unref (GabnSharedModel *shared);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnSharedModel, gabn_shared_model_unref)

/* One explorer map. */
typedef struct {
  int    h, w;
  float *map;       /* raw CAM, h×w */
  float *p;         /* normalised, h×w */
  float  score;     /* the target score y */
  double region50, region80;
} GabnCamResult;

void gabn_cam_result_free (GabnCamResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnCamResult, gabn_cam_result_free)

typedef struct {
  int            image;
  GabnCamMethod  method;
  GabnTargetKind target_kind;
  int            target;      /* identity (IDENTITY) or image (REFERENCE) */
} GabnCamRequest;

/* Per group: the mean normalised GAM over up to `per_group` images, the mean
 * face (a template), region sizes, and the JS divergence matrix. The maps
 * are Grad-CAM in eval mode, each image's target being the cosine to the
 * mean embedding of its person's photos (as `gabn eval` measures them). On
 * the built-in synthetic faces, also the ground-truth reliance per facial
 * region (gabn-reliance.h), the yardstick the maps can be checked against. */
typedef struct {
  int     n_groups, h, w, face_size;
  char  **names;         /* n_groups */
  int    *n_images;      /* images used per group */
  float  *mean_p;        /* n_groups × h × w */
  guint8 *templates;     /* n_groups × face_size² × 3 */
  double *region50, *region80;
  double *js;            /* n_groups × n_groups */
  /* n_groups × GABN_SYNTH_N_REGIONS shares summing to 1 per group (NaN for
   * a group without two held-out people); NULL when not synthetic. */
  double *reliance;
  int     reliance_photos;   /* original photos per group behind it */
} GabnGroupMaps;

void gabn_group_maps_free (GabnGroupMaps *maps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnGroupMaps, gabn_group_maps_free)

/* Computes group maps (and the reliance on synthetic data) with model on
 * dataset (any thread, never the main one: seconds of work; locks model). */
GabnGroupMaps *gabn_group_maps_compute (GabnSharedModel *model, GabnSharedDataset *data,
                                        int per_group, GCancellable *cancellable,
                                        GError **error);

#define GABN_TYPE_SESSION (gabn_session_get_type ())
G_DECLARE_FINAL_TYPE (GabnSession, gabn_session, GABN, SESSION, GObject)

GabnSession *gabn_session_new (void);

/* Current items (borrowed; NULL when none). Notified as "dataset"/"model". */
GabnSharedDataset *gabn_session_get_dataset (GabnSession *self);
GabnSharedModel   *gabn_session_get_model (GabnSession *self);
/* TRUE while a load runs; "progress" is its fraction (< 0 unknown) and
 * "status" its message. */
gboolean    gabn_session_get_busy (GabnSession *self);
double      gabn_session_get_progress (GabnSession *self);
const char *gabn_session_get_status (GabnSession *self);

/* Opens a dataset folder (path), or the built-in synthetic faces when path
 * is NULL (preset: a nick of gabn_synth_presets(); NULL: the default,
 * "realistic"). */
void     gabn_session_load_dataset_async (GabnSession *self, const char *path,
                                          const char *preset, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean gabn_session_load_dataset_finish (GabnSession *self, GAsyncResult *result,
                                           GError **error);
/* Loads a safetensors model (path), or initialises a new gabn-s model for
 * the current dataset when path is NULL. */
void     gabn_session_load_model_async (GabnSession *self, const char *path,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean gabn_session_load_model_finish (GabnSession *self, GAsyncResult *result,
                                         GError **error);
/* Makes an existing model current (e.g. a finished training run). */
void     gabn_session_set_model (GabnSession *self, GabnSharedModel *model);

/* One CAM for the current model and dataset (cached per request). */
void gabn_session_compute_cam_async (GabnSession *self, const GabnCamRequest *request,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
/* Transfer none: owned by the session's cache (valid until the model or
 * dataset changes). */
const GabnCamResult *gabn_session_compute_cam_finish (GabnSession *self, GAsyncResult *result,
                                                      GError **error);

void gabn_session_compute_groups_async (GabnSession *self, int per_group,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
GabnGroupMaps *gabn_session_compute_groups_finish (GabnSession *self, GAsyncResult *result,
                                                   GError **error);

/* Decodes every image of the current dataset in a worker
 * (gabn_dataset_verify), so the unreadable ones are recorded in it; the
 * result is how many there are (gabn_dataset_get_bad names them), -1 on
 * error. */
void gabn_session_check_images_async (GabnSession *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
int  gabn_session_check_images_finish (GabnSession *self, GAsyncResult *result,
                                       GError **error);

/* Size of the synthetic sets this session draws (0: the preset's own);
 * the teaching mode and the tests use small ones. */
void gabn_session_set_synthetic_size (GabnSession *self, int identities, int images);

G_END_DECLS
