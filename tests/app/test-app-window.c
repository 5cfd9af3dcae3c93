/* test-app-window.c: drives the real window under Xvfb: the synthetic
 * faces open, a face's GAM is computed and drawn, N changes the mask, a
 * short training run feeds the plots while the main loop keeps answering,
 * pause/resume/stop work, plots export to PNG and SVG, metrics to CSV, the
 * groups view computes its maps and the compare view evaluates two models. */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-compare-view.h"
#include "gabn-face-item.h"
#include "gabn-faces-view.h"
#include "gabn-groups-view.h"
#include "gabn-train-view.h"
#include "gabn-window.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static GabnApplication *app;
static GabnWindow *window;

static gboolean
never (gpointer data)
{
  return FALSE;
}

static void
spin (double seconds)
{
  app_test_wait_until (never, NULL, seconds);
}

/* Dispatches what is queued: each iteration runs every ready source of the
 * highest priority, and the runs' reports are ready idles. */
static void
drain (void)
{
  for (int i = 0; i < 200; i++)
    g_main_context_iteration (NULL, FALSE);
}

static gboolean
property_true (gpointer data)
{
  gboolean value = FALSE;

  g_object_get (data, "ready", &value, NULL);
  return value;
}

static gboolean
canvas_drawn (gpointer data)
{
  return gabn_face_canvas_get_render_count (data) > GPOINTER_TO_UINT (g_object_get_data (data, "before"));
}

static void
test_faces (void)
{
  GabnFacesView *faces = GABN_FACES_VIEW (gabn_window_get_view_widget (window, "faces"));
  GabnFaceCanvas *canvas = gabn_faces_view_get_canvas (faces);
  const GabnDataset *ds;
  double share3, share10, share20;

  g_assert_true (app_test_wait_until (app_test_session_loaded, window, 120));
  ds = gabn_session_get_dataset (gabn_window_get_session (window))->dataset;
  g_assert_cmpstr (ds->format, ==, "synthetic");
  g_assert_cmpint (ds->n_groups, ==, 4);

  gabn_window_set_view (window, "faces");
  g_object_set_data (G_OBJECT (canvas), "before", GUINT_TO_POINTER (gabn_face_canvas_get_render_count (canvas)));
  gabn_faces_view_select_image (faces, 7);
  g_assert_cmpint (gabn_faces_view_get_shown_image (faces), ==, 7);
  g_assert_true (app_test_wait_until (property_true, faces, 60));
  g_assert_true (gabn_face_canvas_has_map (canvas));
  /* The blended texture is rebuilt when the new map is drawn. */
  g_assert_true (app_test_wait_until (canvas_drawn, canvas, 10));

  /* N cells marked, and the share inside grows with N. */
  gabn_faces_view_set_top_n (faces, 3);
  g_assert_cmpint (gabn_face_canvas_get_mask_count (canvas), ==, 3);
  share3 = gabn_faces_view_get_mask_share (faces);
  gabn_faces_view_set_top_n (faces, 10);
  g_assert_cmpint (gabn_face_canvas_get_mask_count (canvas), ==, 10);
  share10 = gabn_faces_view_get_mask_share (faces);
  gabn_faces_view_set_top_n (faces, 20);
  share20 = gabn_faces_view_get_mask_share (faces);
  g_assert_cmpfloat (share3, >, 0);
  g_assert_cmpfloat (share3, <=, share10);
  g_assert_cmpfloat (share10, <=, share20);
  g_assert_cmpfloat (share20, <=, 1.0 + 1e-9);
  /* A third of the cells hold at least a third of the attention. */
  g_assert_cmpfloat (share20, >=, 20.0 / 64 - 1e-6);

  /* Filtering by group shows exactly that group's images. */
  gabn_faces_view_set_group_filter (faces, 1);
  g_assert_cmpuint (gabn_faces_view_get_n_shown (faces), ==, (guint) ds->groups[1].n_images);
  gabn_faces_view_set_group_filter (faces, -1);
  g_assert_cmpuint (gabn_faces_view_get_n_shown (faces), ==, (guint) ds->n_images);

  /* Another CAM method recomputes (cached per request). */
  gabn_faces_view_select_image (faces, 20);
  g_assert_true (app_test_wait_until (property_true, faces, 60));
  g_assert_cmpint (gabn_faces_view_get_shown_image (faces), ==, 20);
}

static gboolean
session_idle (gpointer data)
{
  return !gabn_session_get_busy (gabn_window_get_session (window));
}

/* Bad input: a toast that names the problem, and the open dataset and
 * model stay as they were. */
static void
test_bad_input (void)
{
  GabnSession *session = gabn_window_get_session (window);
  GabnSharedDataset *before = gabn_session_get_dataset (session);
  GabnSharedModel *model_before = gabn_session_get_model (session);
  g_autofree char *dir = g_dir_make_tmp ("gabn-bad-XXXXXX", NULL);
  g_autofree char *text = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *model = g_build_filename (dir, "broken.safetensors", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autoptr(GFile) f_text = g_file_new_for_path (text);
  g_autoptr(GFile) f_model = g_file_new_for_path (model);
  g_autoptr(GFile) f_empty = g_file_new_for_path (empty);

  g_assert_true (g_file_set_contents (text, "hello", -1, NULL));
  g_assert_true (g_file_set_contents (model, "\x10\x00\x00\x00\x00\x00\x00\x00{not json", -1, NULL));
  g_assert_cmpint (g_mkdir (empty, 0700), ==, 0);

  gabn_window_open_file (window, f_text);
  g_assert_nonnull (strstr (gabn_window_get_last_message (window), "notes.txt"));

  gabn_window_open_file (window, f_model);
  spin (0.2);
  g_assert_true (app_test_wait_until (session_idle, NULL, 60));
  g_assert_nonnull (strstr (gabn_window_get_last_message (window), "broken.safetensors"));
  g_assert_true (gabn_session_get_model (session) == model_before);

  gabn_window_open_file (window, f_empty);
  spin (0.2);
  g_assert_true (app_test_wait_until (session_idle, NULL, 60));
  g_assert_nonnull (strstr (gabn_window_get_last_message (window), _("Could not open the dataset")));
  g_assert_true (gabn_session_get_dataset (session) == before);

  g_unlink (text);
  g_unlink (model);
  g_rmdir (empty);
  g_rmdir (dir);
}

typedef struct {
  GabnTrainRun *run;
  guint         steps;
} RunWait;

static gboolean
run_has_steps (gpointer data)
{
  RunWait *w = data;
  return gabn_train_run_get_n_steps (w->run) >= w->steps;
}

static gboolean
run_parked (gpointer data)
{
  RunWait *w = data;
  return gabn_train_run_is_parked (w->run);
}

static gboolean
run_state_is (gpointer data)
{
  RunWait *w = data;
  return gabn_train_run_get_state (w->run) == (GabnRunState) w->steps;
}

static void
test_train (void)
{
  GabnTrainView *train = GABN_TRAIN_VIEW (gabn_window_get_view_widget (window, "train"));
  GabnTrainConfig config;
  RunWait w = { 0 };
  guint paused_at;
  g_autofree char *dir = g_dir_make_tmp ("gabn-app-XXXXXX", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "metrics.csv", NULL);
  g_autofree char *csv = NULL;
  g_autoptr(GError) error = NULL;
  const char *plots[] = { "loss", "accuracy", "std", "ser", "divergence", "region" };

  gabn_window_set_view (window, "train");
  gabn_train_view_get_config (train, &config);
  config.method = GABN_METHOD_GABN;
  config.epochs = 50;            /* stopped by the test long before */
  config.batch_size = 16;
  config.threads = 1;
  w.run = gabn_train_view_start_run (train, &config);
  gabn_train_config_clear (&config);
  g_assert_nonnull (w.run);

  w.steps = 4;
  g_assert_true (app_test_wait_until (run_has_steps, &w, 600));
  g_assert_cmpuint (gabn_plot_get_n_points (gabn_train_view_get_plot (train, "loss"), 0), >=, 4);

  /* Pause: once the thread has parked between two steps, no step moves
   * and no report arrives. (How smoothly the window draws meanwhile is a
   * benchmark, bench/bench-app-frames, not a test.) */
  gabn_train_run_pause (w.run);
  g_assert_cmpint (gabn_train_run_get_state (w.run), ==, GABN_RUN_PAUSED);
  g_assert_true (app_test_wait_until (run_parked, &w, 600));
  drain ();   /* the reports of steps finished before parking */
  paused_at = gabn_train_run_get_n_steps (w.run);
  spin (0.3);
  drain ();
  g_assert_true (gabn_train_run_is_parked (w.run));
  g_assert_cmpuint (gabn_train_run_get_n_steps (w.run), ==, paused_at);
  /* Resume: they continue. */
  gabn_train_run_resume (w.run);
  w.steps = paused_at + 2;
  g_assert_true (app_test_wait_until (run_has_steps, &w, 60));
  /* Stop: the thread ends, the state says so, and a model is offered. */
  gabn_train_run_stop (w.run);
  w.steps = GABN_RUN_STOPPED;
  g_assert_true (app_test_wait_until (run_state_is, &w, 60));
  g_assert_nonnull (gabn_train_run_get_model (w.run));

  /* Exports. */
  g_assert_true (gabn_train_view_export_plots (train, dir, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (plots); i++)
    {
      g_autofree char *png_name = g_strdup_printf ("%s.png", plots[i]);
      g_autofree char *svg_name = g_strdup_printf ("%s.svg", plots[i]);
      g_autofree char *png = g_build_filename (dir, png_name, NULL);
      g_autofree char *svg = g_build_filename (dir, svg_name, NULL);
      g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (png, &error);
      g_autofree char *text = NULL;

      g_assert_no_error (error);
      g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 800);
      g_assert_cmpint (gdk_pixbuf_get_height (pixbuf), ==, 500);
      g_assert_true (g_file_get_contents (svg, &text, NULL, NULL));
      g_assert_nonnull (strstr (text, "<svg"));
      g_unlink (png);
      g_unlink (svg);
    }
  g_assert_true (gabn_train_view_export_csv (train, csv_path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "run,method,kind,step"));
  g_assert_nonnull (strstr (csv, ",gabn,step,1,"));
  g_unlink (csv_path);
  g_rmdir (dir);
}

static void
test_groups (void)
{
  GabnGroupsView *groups = GABN_GROUPS_VIEW (gabn_window_get_view_widget (window, "groups"));
  const GabnGroupMaps *maps;

  gabn_window_set_view (window, "groups");
  g_assert_true (app_test_wait_until (property_true, groups, 120));
  maps = gabn_groups_view_get_maps (groups);
  g_assert_nonnull (maps);
  g_assert_cmpint (maps->n_groups, ==, 4);
  for (int g = 0; g < maps->n_groups; g++)
    {
      double sum = 0;
      g_assert_cmpint (maps->n_images[g], >, 0);
      for (int i = 0; i < maps->h * maps->w; i++)
        sum += maps->mean_p[g * maps->h * maps->w + i];
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-4);
      g_assert_cmpfloat (maps->js[g * maps->n_groups + g], ==, 0);
      g_assert_cmpfloat (maps->region50[g], >, 0);
      g_assert_cmpfloat (maps->region50[g], <=, maps->region80[g]);
    }
}

static void
test_compare (void)
{
  GabnCompareView *compare = GABN_COMPARE_VIEW (gabn_window_get_view_widget (window, "compare"));
  guint n = gabn_compare_view_get_n_models (compare);
  const GabnEvalReport *a, *b;

  /* The stopped run of test_train was offered next to the current model. */
  g_assert_cmpuint (n, >=, 2);
  gabn_window_set_view (window, "compare");
  gabn_compare_view_select (compare, 0, n - 1);
  gabn_compare_view_compare (compare);
  g_assert_true (app_test_wait_until (property_true, compare, 180));
  a = gabn_compare_view_get_report (compare, 0);
  b = gabn_compare_view_get_report (compare, 1);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_assert_cmpint (a->n_groups, ==, 4);
  g_assert_cmpint (b->n_groups, ==, 4);
  for (int g = 0; g < 4; g++)
    {
      /* Same pairs for both models. */
      g_assert_cmpint (a->groups[g].n_pairs, ==, b->groups[g].n_pairs);
      g_assert_cmpint (a->groups[g].n_pairs, >, 0);
      g_assert_true (a->groups[g].accuracy >= 0 && a->groups[g].accuracy <= 1);
    }
}

static gboolean
dataset_is_generic (gpointer data)
{
  GabnSharedDataset *shared = gabn_session_get_dataset (gabn_window_get_session (window));

  return shared != NULL && g_strcmp0 (shared->dataset->format, "generic") == 0
         && !gabn_session_get_busy (gabn_window_get_session (window));
}

static gboolean
has_thumbnail (gpointer data)
{
  return gabn_face_item_get_thumbnail (GABN_FACE_ITEM (data)) != NULL;
}

/* A real folder of photos (what a drop or the file chooser opens): the
 * Olivetti faces, 40 people × 10 grey 64×64 images; a map for one of them. */
static void
test_open_folder (void)
{
  const char *path = g_getenv ("GABN_OLIVETTI");
  g_autoptr(GFile) folder = NULL;
  GabnFacesView *faces = GABN_FACES_VIEW (gabn_window_get_view_widget (window, "faces"));
  const GabnDataset *ds;

  g_assert_true (path != NULL && g_file_test (path, G_FILE_TEST_IS_DIR));
  folder = g_file_new_for_path (path);
  gabn_window_set_view (window, "faces");
  gabn_window_open_file (window, folder);
  g_assert_true (app_test_wait_until (dataset_is_generic, NULL, 120));
  ds = gabn_session_get_dataset (gabn_window_get_session (window))->dataset;
  g_assert_cmpint (ds->n_groups, ==, 1);
  g_assert_cmpint (ds->n_identities, ==, 40);
  g_assert_cmpint (ds->n_images, ==, 400);
  g_assert_cmpuint (gabn_faces_view_get_n_shown (faces), ==, 400);
  gabn_faces_view_select_image (faces, 123);
  g_assert_true (app_test_wait_until (property_true, faces, 60));
  g_assert_cmpint (gabn_faces_view_get_shown_image (faces), ==, 123);
  g_assert_true (gabn_face_canvas_has_map (gabn_faces_view_get_canvas (faces)));

  /* A face on disk: its thumbnail comes from the session's load-face job. */
  {
    g_autoptr(GabnFaceItem) item = gabn_face_item_new (gabn_window_get_session (window),
                                                       gabn_session_get_dataset (gabn_window_get_session (window)),
                                                       7);
    g_assert_null (gabn_face_item_get_thumbnail (item));
    g_assert_true (app_test_wait_until (has_thumbnail, item, 60));
    g_assert_cmpint (gdk_paintable_get_intrinsic_width (gabn_face_item_get_thumbnail (item)), ==, 64);
  }
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

/* Closing while a run trains: the window hides at once (no wait for the
 * step in flight), the run stops, then the window goes away. */
static void
test_close_while_training (void)
{
  GabnTrainView *train = GABN_TRAIN_VIEW (gabn_window_get_view_widget (window, "train"));
  GabnTrainConfig config;
  RunWait w = { 0 };

  gabn_train_view_get_config (train, &config);
  config.epochs = 50;
  config.batch_size = 16;
  config.threads = 1;
  w.run = g_object_ref (gabn_train_view_start_run (train, &config));
  gabn_train_config_clear (&config);
  w.steps = 1;
  g_assert_true (app_test_wait_until (run_has_steps, &w, 120));

  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  /* close returned before the run's thread ended its step: a close that
   * waited for the trainer would find the run already stopped. */
  g_assert_cmpint (gabn_train_run_get_state (w.run), !=, GABN_RUN_STOPPED);
  g_assert_nonnull (window);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_true (app_test_wait_until (is_null, &window, 120));
  g_assert_cmpint (gabn_train_run_get_state (w.run), ==, GABN_RUN_STOPPED);
  g_object_unref (w.run);
}

int
main (int argc, char **argv)
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.WindowTest", G_APPLICATION_NON_UNIQUE);
  /* A small synthetic set keeps the test short. */
  gabn_application_set_synthetic_size (app, 16, 6);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_activate (G_APPLICATION (app));
  window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);

  g_test_add_func ("/app/window/faces", test_faces);
  g_test_add_func ("/app/window/bad-input", test_bad_input);
  g_test_add_func ("/app/window/train", test_train);
  g_test_add_func ("/app/window/groups", test_groups);
  g_test_add_func ("/app/window/compare", test_compare);
  g_test_add_func ("/app/window/open-folder", test_open_folder);
  g_test_add_func ("/app/window/close-while-training", test_close_while_training);
  status = g_test_run ();
  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  /* As in main.c: skip OpenBLAS's exit handler, which can deadlock after
   * training threads used it. */
  fflush (stdout);
  fflush (stderr);
  _exit (status);
}
