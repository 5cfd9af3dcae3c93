/* test-app-model.c: the app's model layer (GabnSession) driven without GTK
 * or a display: open a dataset and models, maps and faces, start, pause,
 * resume, stop and finish runs, compare, and a shutdown that cancels what
 * is in flight. Every wait is for an event (a callback, a state), never a
 * time. */
#include "config.h"
#include "gabn-jobs.h"
#include "gabn-model-file.h"
#include "gabn-models.h"
#include "gabn-session.h"

#include <glib/gstdio.h>
#include <math.h>

typedef struct {
  gboolean      done;
  GAsyncResult *result;
} Wait;

static void
got_result (GObject *object, GAsyncResult *result, gpointer user_data)
{
  Wait *w = user_data;

  w->result = g_object_ref (result);
  w->done = TRUE;
}

/* Runs the main loop until the job reports; returns its result (owned). */
static GAsyncResult *
wait_result (Wait *w)
{
  while (!w->done)
    g_main_context_iteration (NULL, TRUE);
  return w->result;
}

static GabnSession *
session_with_dataset (void)
{
  GabnSession *session = gabn_session_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  Wait w = { 0 };

  gabn_session_set_synthetic_size (session, 6, 3);
  gabn_session_load_dataset_async (session, NULL, NULL, NULL, got_result, &w);
  g_assert_true (gabn_session_get_busy (session));
  result = wait_result (&w);
  g_assert_true (gabn_session_load_dataset_finish (session, result, &error));
  g_assert_no_error (error);
  g_assert_false (gabn_session_get_busy (session));
  g_assert_nonnull (gabn_session_get_dataset (session));
  /* The realistic preset collects fewer people of some groups. */
  g_assert_cmpint (gabn_session_get_dataset (session)->dataset->n_groups, >=, 2);
  g_assert_cmpint (gabn_session_get_dataset (session)->dataset->n_identities, <=,
                   6 * gabn_session_get_dataset (session)->dataset->n_groups);
  return session;
}

static void
load_model (GabnSession *session, const char *path, GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  Wait w = { 0 };

  gabn_session_load_model_async (session, path, NULL, got_result, &w);
  result = wait_result (&w);
  gabn_session_load_model_finish (session, result, error);
}

static void
test_open (void)
{
  g_autoptr(GabnSession) session = session_with_dataset ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gabn-app-model-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.safetensors", NULL);
  g_autoptr(GabnNet) net = NULL;

  load_model (session, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gabn_net_n_classes (gabn_session_get_model (session)->net), ==,
                   gabn_session_get_dataset (session)->dataset->n_identities);

  /* A model file, then a broken one: the error names the file and the
   * current model stays. */
  net = gabn_net_new ("gabn-s", 3, 7, &error);
  g_assert_no_error (error);
  g_assert_true (gabn_model_save (net, path, NULL, &error));
  load_model (session, path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gabn_session_get_model (session)->path, ==, path);
  g_assert_true (g_file_set_contents (bad, "not a model", -1, NULL));
  load_model (session, bad, &error);
  g_assert_nonnull (error);
  g_assert_cmpstr (gabn_session_get_model (session)->path, ==, path);
  g_unlink (path);
  g_unlink (bad);
  g_rmdir (dir);
}

/* The models known by name (the app's Known Models menu) include the
 * shipped baseline, and one opens by the path listed. */
static void
test_known_models (void)
{
  g_autoptr(GabnSession) session = session_with_dataset ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  const GabnModelInfo *shipped = NULL;
  Wait w = { 0 };

  gabn_session_list_models_async (session, NULL, got_result, &w);
  result = wait_result (&w);
  models = gabn_session_list_models_finish (session, result, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < models->len; i++)
    if (g_str_equal (((GabnModelInfo *) g_ptr_array_index (models, i))->name,
                     "gabn-s-realistic-baseline"))
      shipped = g_ptr_array_index (models, i);
  g_assert_nonnull (shipped);
  g_assert_cmpstr (shipped->kind, ==, "safetensors");
  g_assert_cmpint (shipped->input_size, ==, 64);
  load_model (session, shipped->path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gabn_session_get_model (session)->path, ==, shipped->path);
}

static GabnModelItem *
add_model_file (GabnSession *session, const char *path)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GabnModelItem *item;
  Wait w = { 0 };

  gabn_session_add_model_file_async (session, path, NULL, got_result, &w);
  result = wait_result (&w);
  item = gabn_session_add_model_file_finish (session, result, &error);
  g_assert_no_error (error);
  return item;
}

/* A real pretrained recognizer (no class centres, its own preprocessing)
 * against a trained gabn-s on the same pairs, as the Compare view does. */
static void
test_compare_pretrained (void)
{
  g_autofree char *dlib = gabn_models_find ("dlib-resnet");
  g_autofree char *shipped = gabn_models_find ("gabn-s-realistic-baseline");
  g_autoptr(GabnSession) session = NULL;
  g_autoptr(GabnModelItem) a = NULL, b = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GabnEvalReport *reports[2] = { NULL, NULL };
  int pairs[2] = { 0, 0 };
  Wait w = { 0 };

  if (dlib == NULL)
    {
      g_test_skip ("dlib-resnet is not installed here (build-aux/fetch-models)");
      return;
    }
  g_assert_nonnull (shipped);
  session = session_with_dataset ();
  a = add_model_file (session, dlib);
  b = add_model_file (session, shipped);
  g_assert_cmpint (gabn_net_n_classes (gabn_model_item_get_model (a)->net), ==, 0);
  gabn_session_compare_async (session, gabn_model_item_get_model (a),
                              gabn_model_item_get_model (b), NULL, got_result, &w);
  result = wait_result (&w);
  g_assert_true (gabn_session_compare_finish (session, result, reports, &error));
  g_assert_no_error (error);
  for (int m = 0; m < 2; m++)
    for (int g = 0; g < reports[m]->n_groups; g++)
      {
        pairs[m] += reports[m]->groups[g].n_pairs;
        g_assert_cmpfloat (reports[m]->groups[g].accuracy, >=, 0.0);
        g_assert_cmpfloat (reports[m]->groups[g].accuracy, <=, 1.0);
      }
  g_assert_cmpint (pairs[0], >, 0);
  g_assert_cmpint (pairs[0], ==, pairs[1]);
  gabn_eval_report_free (reports[0]);
  gabn_eval_report_free (reports[1]);

  /* As the current model: a face's map (its own identity has no class
   * centre: the mean of the person's other photos) and the group maps. */
  load_model (session, dlib, &error);
  g_assert_no_error (error);
  {
    GabnCamRequest request = { .image = 0, .method = GABN_CAM_GRADCAM,
                               .target_kind = GABN_TARGET_OWN };
    g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL;
    g_autoptr(GabnGroupMaps) maps = NULL;
    const GabnCamResult *cam;
    Wait w1 = { 0 }, w2 = { 0 };

    gabn_session_compute_cam_async (session, &request, NULL, got_result, &w1);
    r1 = wait_result (&w1);
    cam = gabn_session_compute_cam_finish (session, r1, &error);
    g_assert_no_error (error);
    g_assert_cmpint (cam->h * cam->w, >, 1);
    g_assert_true (isfinite (cam->score));
    gabn_session_compute_groups_async (session, 2, NULL, got_result, &w2);
    r2 = wait_result (&w2);
    maps = gabn_session_compute_groups_finish (session, r2, &error);
    g_assert_no_error (error);
    g_assert_cmpint (maps->n_groups, ==, gabn_session_get_dataset (session)->dataset->n_groups);
  }
}

static void
test_explore (void)
{
  g_autoptr(GabnSession) session = session_with_dataset ();
  g_autoptr(GError) error = NULL;
  const GabnDataset *ds = gabn_session_get_dataset (session)->dataset;
  GabnCamRequest request = { .image = 1, .method = GABN_CAM_GRADCAM, .target_kind = GABN_TARGET_OWN };
  const GabnCamResult *cam, *again;
  g_autoptr(GabnGroupMaps) maps = NULL;
  g_autoptr(GBytes) face = NULL, means = NULL;
  Wait w1 = { 0 }, w2 = { 0 }, w3 = { 0 }, w4 = { 0 }, w5 = { 0 };
  g_autoptr(GAsyncResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL;
  const guint8 *rgb;
  gsize n;

  /* Without a model a map is an error, not a crash. */
  gabn_session_compute_cam_async (session, &request, NULL, got_result, &w1);
  r1 = wait_result (&w1);
  g_assert_null (gabn_session_compute_cam_finish (session, r1, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED);
  g_clear_error (&error);

  load_model (session, NULL, &error);
  g_assert_no_error (error);
  gabn_session_compute_cam_async (session, &request, NULL, got_result, &w2);
  r2 = wait_result (&w2);
  cam = gabn_session_compute_cam_finish (session, r2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cam);
  g_assert_cmpint (cam->h * cam->w, >, 0);
  g_assert_cmpfloat (cam->region50, <=, cam->region80);
  /* The same request comes from the cache: the same result. */
  gabn_session_compute_cam_async (session, &request, NULL, got_result, &w3);
  r3 = wait_result (&w3);
  again = gabn_session_compute_cam_finish (session, r3, &error);
  g_assert_true (again == cam);
  /* Another layer of the model's list: its own map, at that layer's size,
   * and the default again afterwards. */
  {
    GabnSharedModel *model = gabn_session_get_model (session);
    GabnCamRequest early = request;
    const GabnCamResult *at_early, *back;
    Wait w7 = { 0 }, w8 = { 0 };
    g_autoptr(GAsyncResult) r7 = NULL, r8 = NULL;
    int k = model->default_layer == 0 ? 1 : 0;   /* the earliest other layer */

    g_assert_nonnull (model->layers[k]);
    g_assert_cmpint (k, !=, model->default_layer);
    g_strlcpy (early.layer, model->layers[k], sizeof early.layer);
    gabn_session_compute_cam_async (session, &early, NULL, got_result, &w7);
    r7 = wait_result (&w7);
    at_early = gabn_session_compute_cam_finish (session, r7, &error);
    g_assert_no_error (error);
    g_assert_true (at_early != cam);
    g_assert_cmpint (at_early->h * at_early->w, >, cam->h * cam->w);
    request.image = 2;   /* not cached: computed after the early layer */
    gabn_session_compute_cam_async (session, &request, NULL, got_result, &w8);
    r8 = wait_result (&w8);
    back = gabn_session_compute_cam_finish (session, r8, &error);
    g_assert_no_error (error);
    g_assert_cmpint (back->h, ==, cam->h);
    g_assert_cmpint (back->w, ==, cam->w);
    request.image = 1;
  }

  gabn_session_compute_groups_async (session, 2, NULL, got_result, &w4);
  r4 = wait_result (&w4);
  maps = gabn_session_compute_groups_finish (session, r4, &error);
  g_assert_no_error (error);
  g_assert_cmpint (maps->n_groups, ==, ds->n_groups);
  for (int g = 0; g < maps->n_groups; g++)
    g_assert_cmpint (maps->n_images[g], ==, 2);

  /* A face, and the mean of one face per group is that group's first face. */
  gabn_session_load_face_async (session, 0, 32, NULL, got_result, &w5);
  r5 = wait_result (&w5);
  face = gabn_session_load_face_finish (session, r5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (face), ==, 32 * 32 * 3);
  {
    Wait w6 = { 0 };
    g_autoptr(GAsyncResult) r6 = NULL;
    int g0 = ds->images[0].group;

    gabn_session_mean_faces_async (session, 32, 1, NULL, got_result, &w6);
    r6 = wait_result (&w6);
    means = gabn_session_mean_faces_finish (session, r6, &error);
    g_assert_no_error (error);
    rgb = g_bytes_get_data (means, &n);
    g_assert_cmpuint (n, ==, (gsize) ds->n_groups * 32 * 32 * 3);
    g_assert_cmpmem (rgb + (gsize) g0 * 32 * 32 * 3, 32 * 32 * 3,
                     g_bytes_get_data (face, NULL), 32 * 32 * 3);
  }
}

static void
on_state (GabnTrainRun *run, GParamSpec *pspec, GArray *states)
{
  GabnRunState state = gabn_train_run_get_state (run);

  g_array_append_val (states, state);
}

static void
wait_state (GabnTrainRun *run, GabnRunState a, GabnRunState b)
{
  while (gabn_train_run_get_state (run) != a && gabn_train_run_get_state (run) != b)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_runs_and_compare (void)
{
  g_autoptr(GabnSession) session = session_with_dataset ();
  g_autoptr(GError) error = NULL;
  GListModel *runs = gabn_session_get_runs (session);
  GListModel *models = gabn_session_get_models (session);
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (GabnRunState));
  GabnTrainConfig config;
  GabnTrainRun *long_run, *short_run;
  GabnEvalReport *reports[2] = { NULL, NULL };
  Wait w = { 0 };
  g_autoptr(GAsyncResult) result = NULL;

  gabn_train_config_init (&config);
  config.batch_size = 8;
  config.threads = 1;
  config.epochs = 50; /* stopped long before */
  long_run = gabn_session_start_run (session, &config, &error);
  g_assert_no_error (error);
  g_signal_connect (long_run, "notify::state", G_CALLBACK (on_state), states);
  g_assert_cmpuint (g_list_model_get_n_items (runs), ==, 1);
  g_assert_cmpint (gabn_train_run_get_state (long_run), ==, GABN_RUN_RUNNING);

  /* Pause until it has parked: no step moves until resumed. */
  while (gabn_train_run_get_n_steps (long_run) == 0)
    g_main_context_iteration (NULL, TRUE);
  gabn_train_run_pause (long_run);
  g_assert_cmpint (gabn_train_run_get_state (long_run), ==, GABN_RUN_PAUSED);
  while (!gabn_train_run_is_parked (long_run))
    g_main_context_iteration (NULL, FALSE);
  gabn_train_run_resume (long_run);
  g_assert_cmpint (gabn_train_run_get_state (long_run), ==, GABN_RUN_RUNNING);
  gabn_train_run_stop (long_run);
  wait_state (long_run, GABN_RUN_STOPPED, GABN_RUN_FAILED);
  g_assert_cmpint (gabn_train_run_get_state (long_run), ==, GABN_RUN_STOPPED);
  g_assert_cmpuint (states->len, ==, 3);
  g_assert_cmpint (g_array_index (states, GabnRunState, 0), ==, GABN_RUN_PAUSED);
  g_assert_cmpint (g_array_index (states, GabnRunState, 1), ==, GABN_RUN_RUNNING);
  g_assert_cmpint (g_array_index (states, GabnRunState, 2), ==, GABN_RUN_STOPPED);
  /* Stopped after a step: its model is offered for comparison. */
  g_assert_nonnull (gabn_train_run_get_model (long_run));

  /* A run that finishes its one epoch, with its evaluation. */
  config.epochs = 1;
  config.method = GABN_METHOD_GABN;
  short_run = gabn_session_start_run (session, &config, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gabn_train_run_get_name (short_run), ==, "Run 2 (GABN)");
  wait_state (short_run, GABN_RUN_FINISHED, GABN_RUN_FAILED);
  g_assert_cmpstr (gabn_train_run_get_status (short_run), ==, "Finished");
  g_assert_cmpuint (gabn_train_run_get_n_epochs (short_run), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (models), ==, 2);
  g_assert_false (gabn_session_stop_runs (session));

  /* Compare both on the same pairs. */
  {
    g_autoptr(GabnModelItem) a = g_list_model_get_item (models, 0);
    g_autoptr(GabnModelItem) b = g_list_model_get_item (models, 1);
    int pairs_a = 0, pairs_b = 0;

    g_assert_cmpstr (gabn_model_item_get_name (a), ==, "Run 1 (Baseline)");
    gabn_session_compare_async (session, gabn_model_item_get_model (a),
                                gabn_model_item_get_model (b), NULL, got_result, &w);
    result = wait_result (&w);
    g_assert_true (gabn_session_compare_finish (session, result, reports, &error));
    g_assert_no_error (error);
    for (int g = 0; g < reports[0]->n_groups; g++)
      {
        pairs_a += reports[0]->groups[g].n_pairs;
        pairs_b += reports[1]->groups[g].n_pairs;
      }
    g_assert_cmpint (pairs_a, >, 0);
    g_assert_cmpint (pairs_a, ==, pairs_b);
  }
  gabn_eval_report_free (reports[0]);
  gabn_eval_report_free (reports[1]);
  gabn_train_config_clear (&config);
}

/* Shutdown cancels a job in flight and stops a run; nothing reaches the
 * session after, and no worker is left. */
static void
test_shutdown (void)
{
  g_autoptr(GabnSession) session = session_with_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  GabnTrainConfig config;
  GabnTrainRun *run;
  Wait w = { 0 };

  load_model (session, NULL, &error);
  g_assert_no_error (error);
  gabn_train_config_init (&config);
  config.batch_size = 8;
  config.threads = 1;
  config.epochs = 50;
  run = gabn_session_start_run (session, &config, &error);
  g_assert_no_error (error);
  gabn_session_compute_groups_async (session, 50, NULL, got_result, &w);
  gabn_session_shutdown (session);
  result = wait_result (&w);
  g_assert_null (gabn_session_compute_groups_finish (session, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  wait_state (run, GABN_RUN_STOPPED, GABN_RUN_FAILED);
  g_assert_cmpint (gabn_train_run_get_state (run), ==, GABN_RUN_STOPPED);
  g_assert_true (gabn_jobs_wait_idle (60000));
  gabn_train_config_clear (&config);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app-model/open", test_open);
  g_test_add_func ("/app-model/known-models", test_known_models);
  g_test_add_func ("/app-model/compare-pretrained", test_compare_pretrained);
  g_test_add_func ("/app-model/explore", test_explore);
  g_test_add_func ("/app-model/runs-and-compare", test_runs_and_compare);
  g_test_add_func ("/app-model/shutdown", test_shutdown);
  return g_test_run ();
}
