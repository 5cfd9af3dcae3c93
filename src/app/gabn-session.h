/* gabn-session.h: the model layer of a window, with no display: the current
 * dataset and model, the models offered for comparison, the training runs,
 * and every background job. Each job is an _async/_finish pair run in a
 * worker thread (gabn_jobs_run_in_thread); its cancellable is chained to
 * the caller's and to the session's own, which gabn_session_shutdown
 * cancels. A result is applied only if it is still current, so a slow old
 * load never replaces a newer one. A job whose cancellable fired finishes
 * with G_IO_ERROR_CANCELLED, so a caller that cancels a request to make a
 * newer one never sees the older result. Views bind to the properties and list
 * models below and call the functions; they never start a thread. */
#pragma once

#include <gio/gio.h>
#include "gabn-evaluate.h"
#include "gabn-explorer.h"
#include "gabn-group-maps.h"
#include "gabn-model-item.h"
#include "gabn-shared.h"
#include "gabn-synth.h"
#include "gabn-train-run.h"

G_BEGIN_DECLS

#define GABN_TYPE_SESSION (gabn_session_get_type ())
G_DECLARE_FINAL_TYPE (GabnSession, gabn_session, GABN, SESSION, GObject)

GabnSession *gabn_session_new (void);

/* Cancels every job of the session and asks every run to stop (without
 * waiting); later jobs fail at once. Called when the window goes. */
void gabn_session_shutdown (GabnSession *self);

/* Current items (borrowed; NULL when none). Notified as "dataset"/"model". */
GabnSharedDataset *gabn_session_get_dataset (GabnSession *self);
GabnSharedModel   *gabn_session_get_model (GabnSession *self);
/* TRUE while a load runs; "progress" is its fraction (< 0 unknown) and
 * "status" its message. */
gboolean    gabn_session_get_busy (GabnSession *self);
double      gabn_session_get_progress (GabnSession *self);
const char *gabn_session_get_status (GabnSession *self);

/* ---- Opening (gabn-session-open.c) ---- */

/* Opens a dataset folder (path), or the built-in synthetic faces when path
 * is NULL (preset: a nick of gabn_synth_presets(); NULL: the default,
 * "realistic"), and makes it current. */
void     gabn_session_load_dataset_async (GabnSession *self, const char *path,
                                          const char *preset, GCancellable *cancellable,
                                          GAsyncReadyCallback callback, gpointer user_data);
gboolean gabn_session_load_dataset_finish (GabnSession *self, GAsyncResult *result,
                                           GError **error);
/* Loads a model file (path), or initialises a new gabn-s model for the
 * current dataset when path is NULL, and makes it current. */
/* The models known by name (gabn_models_list: the shipped ones, the
 * pretrained ones the set-up installed, the user's models folder), read in
 * a worker; finish gives a GPtrArray of GabnModelInfo. */
void       gabn_session_list_models_async  (GabnSession *self, GCancellable *cancellable,
                                            GAsyncReadyCallback callback, gpointer user_data);
GPtrArray *gabn_session_list_models_finish (GabnSession *self, GAsyncResult *result,
                                            GError **error);
void     gabn_session_load_model_async (GabnSession *self, const char *path,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
gboolean gabn_session_load_model_finish (GabnSession *self, GAsyncResult *result,
                                         GError **error);
/* Makes an existing model current (e.g. a finished training run). */
void     gabn_session_set_model (GabnSession *self, GabnSharedModel *model);
/* Size of the synthetic sets this session draws (0: the preset's own);
 * the teaching mode and the tests use small ones. */
void     gabn_session_set_synthetic_size (GabnSession *self, int identities, int images);
/* Draws a synthetic set in a worker without making it current (the
 * teaching mode's control data); finish returns a new reference. */
void               gabn_session_draw_synthetic_async (GabnSession *self, const GabnSynthConfig *config,
                                                      const char *title, GCancellable *cancellable,
                                                      GAsyncReadyCallback callback, gpointer user_data);
GabnSharedDataset *gabn_session_draw_synthetic_finish (GabnSession *self, GAsyncResult *result,
                                                       GError **error);

/* ---- Faces and maps (gabn-session-explore.c) ---- */

/* One CAM for the current model and dataset (cached per request). */
void gabn_session_compute_cam_async (GabnSession *self, const GabnCamRequest *request,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
/* Transfer none: owned by the session's cache (valid until the model or
 * dataset changes). */
const GabnCamResult *gabn_session_compute_cam_finish (GabnSession *self, GAsyncResult *result,
                                                      GError **error);

/* Group maps (gabn-group-maps.h) of the current model and dataset. */
void gabn_session_compute_groups_async (GabnSession *self, int per_group,
                                        GCancellable *cancellable,
                                        GAsyncReadyCallback callback, gpointer user_data);
GabnGroupMaps *gabn_session_compute_groups_finish (GabnSession *self, GAsyncResult *result,
                                                   GError **error);

/* One image of the current dataset as size×size RGB bytes. */
void    gabn_session_load_face_async (GabnSession *self, int image, int size,
                                      GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
GBytes *gabn_session_load_face_finish (GabnSession *self, GAsyncResult *result, GError **error);

/* The mean of the first per_group readable faces of each group of the
 * current dataset (gabn_mean_faces_of_groups): n_groups × size² × 3 bytes. */
void    gabn_session_mean_faces_async (GabnSession *self, int size, int per_group,
                                       GCancellable *cancellable,
                                       GAsyncReadyCallback callback, gpointer user_data);
GBytes *gabn_session_mean_faces_finish (GabnSession *self, GAsyncResult *result,
                                        GError **error);

/* Decodes every image of the current dataset (gabn_dataset_verify), so the
 * unreadable ones are recorded in it; the result is how many there are
 * (gabn_dataset_get_bad names them), -1 on error. */
void gabn_session_check_images_async (GabnSession *self, GCancellable *cancellable,
                                      GAsyncReadyCallback callback, gpointer user_data);
int  gabn_session_check_images_finish (GabnSession *self, GAsyncResult *result,
                                       GError **error);

/* ---- Training (gabn-session-train.c) ---- */

/* The Train view's runs (GabnTrainRun), in start order. */
GListModel   *gabn_session_get_runs (GabnSession *self);
/* Starts a run of config on the current dataset, named "Run N (method)",
 * appended to the runs; NULL with the error when there is no dataset or
 * the config is invalid. Its trained model joins the models list. */
GabnTrainRun *gabn_session_start_run (GabnSession *self, const GabnTrainConfig *config,
                                      GError **error);
/* A new run on dataset, not listed and not started (the teaching mode's,
 * which starts it with gabn_train_run_start once connected); the session
 * still stops and joins it when it goes. Returns a new reference. */
GabnTrainRun *gabn_session_new_run (GabnSession *self, const char *name,
                                    const GabnTrainConfig *config, GabnSharedDataset *dataset);
/* Asks every run to stop without waiting; TRUE while some still run. */
gboolean      gabn_session_stop_runs (GabnSession *self);
/* Stops every run and waits for its thread (when the window goes). */
void          gabn_session_join_runs (GabnSession *self);

/* ---- Comparing (gabn-session-compare.c) ---- */

/* Models offered for comparison (GabnModelItem): finished runs and model
 * files added with gabn_session_add_model_file_async. */
GListModel *gabn_session_get_models (GabnSession *self);
/* Loads a model file without making it current and appends it to the
 * models; finish returns the new item (a new reference). */
void           gabn_session_add_model_file_async (GabnSession *self, const char *path,
                                                  GCancellable *cancellable,
                                                  GAsyncReadyCallback callback, gpointer user_data);
GabnModelItem *gabn_session_add_model_file_finish (GabnSession *self, GAsyncResult *result,
                                                   GError **error);
/* Evaluates a and b on the current dataset, on the pairs of a's split
 * (the dataset's default split when a has none), so both are measured on
 * the same pairs. finish fills reports[2] (free each). */
void     gabn_session_compare_async (GabnSession *self, GabnSharedModel *a, GabnSharedModel *b,
                                     GCancellable *cancellable,
                                     GAsyncReadyCallback callback, gpointer user_data);
gboolean gabn_session_compare_finish (GabnSession *self, GAsyncResult *result,
                                      GabnEvalReport *reports[2], GError **error);

G_END_DECLS
