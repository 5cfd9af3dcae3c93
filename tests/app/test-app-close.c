/* test-app-close.c: closing a window while its work is in flight — dataset
 * and model loads (a folder, a file, a new model, the teaching mode's
 * faces), Grad-CAMs, group maps, training runs in the Train and Teach
 * views. The window and its session must go away once that work ends,
 * without a critical (G_DEBUG=fatal-criticals) and, under ASan (.ci/run),
 * without touching a freed view or window: views disconnect from the
 * session on dispose, the window cancels its loads, late results are
 * dropped. Each case closes at several moments, since what is in flight
 * depends on when. */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-model-file.h"
#include "gabn-synth.h"
#include "gabn-teach-view.h"
#include "gabn-train-view.h"
#include "gabn-window.h"

#include <glib/gstdio.h>
#include <unistd.h>

static GabnApplication *app;
static char *tmp_dir;
static char *dataset_path;
static char *model_path;

/* Activating the application with no window opens a new one, which starts
 * loading the synthetic faces at once. */
static GabnWindow *
new_window (void)
{
  GabnWindow *window;

  g_assert_null (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_application_activate (G_APPLICATION (app));
  window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  return window;
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

static gboolean
both_gone (gpointer data)
{
  gpointer *pointers = data;
  return pointers[0] == NULL && pointers[1] == NULL;
}

/* Closes window as a user does and waits until it and its session are
 * finalized: every load, computation and run it started has ended and let
 * go of them. */
static void
close_and_wait (GabnWindow *window)
{
  gpointer gone[2] = { window, gabn_window_get_session (window) };

  g_object_add_weak_pointer (gone[0], &gone[0]);
  g_object_add_weak_pointer (gone[1], &gone[1]);
  gtk_window_close (GTK_WINDOW (window));
  g_assert_true (app_test_wait_until (both_gone, gone, 300));
}

/* When to close after starting work: at once, then later and later. */
static const int delays_ms[] = { 0, 1, 5, 20, 60, 150, 400 };

static void
open_path (GabnWindow *window, const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  gabn_window_open_file (window, file);
}

/* Every kind of load at once, then a close after delay_ms: at 0 every
 * load is still in a worker; later ones find some finished, some not. */
static void
test_close_during_loads (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (delays_ms); i++)
    {
      GabnWindow *window = new_window ();
      GabnTeachView *teach = GABN_TEACH_VIEW (gabn_window_get_view_widget (window, "teach"));

      g_test_message ("closing %d ms after the loads started", delays_ms[i]);
      open_path (window, model_path);
      open_path (window, dataset_path);
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-model", NULL));
      gabn_teach_view_set_size (teach, 3, 2);
      gabn_teach_view_act (teach);  /* step 1: draws its own faces */
      gabn_window_set_view (window, "groups");
      app_test_wait_until (never, NULL, delays_ms[i] / 1000.0);
      close_and_wait (window);
    }
}

/* A load that does not hold the window: the teaching mode's faces. The
 * window goes first, with its views; the load ends later and the session
 * announces the new dataset to whoever still listens. */
static void
test_close_during_teach_load (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (delays_ms); i++)
    {
      GabnWindow *window = new_window ();
      GabnTeachView *teach = GABN_TEACH_VIEW (gabn_window_get_view_widget (window, "teach"));

      g_assert_true (app_test_wait_until (app_test_session_loaded, window, 120));
      g_test_message ("closing %d ms after the teaching faces started", delays_ms[i]);
      gabn_teach_view_set_size (teach, 12, 4);
      gabn_teach_view_act (teach);
      app_test_wait_until (never, NULL, delays_ms[i] / 1000.0);
      close_and_wait (window);
    }
}

static gboolean
run_has_steps (gpointer data)
{
  return gabn_train_run_get_n_steps (data) >= 1;
}

/* A Train-view run in its epochs and the views' computations, then new
 * loads, then the close: the window hides, its runs stop, it goes away. */
static void
test_close_during_training (void)
{
  GabnWindow *window = new_window ();
  GabnTrainView *train = GABN_TRAIN_VIEW (gabn_window_get_view_widget (window, "train"));
  g_autoptr(GabnTrainRun) run = NULL;
  GabnTrainConfig config;

  g_assert_true (app_test_wait_until (app_test_session_loaded, window, 120));
  gabn_train_view_get_config (train, &config);
  config.epochs = 50;
  config.batch_size = 8;
  config.threads = 1;
  run = g_object_ref (gabn_train_view_start_run (train, &config));
  gabn_train_config_clear (&config);
  g_assert_true (app_test_wait_until (run_has_steps, run, 120));

  gabn_window_set_view (window, "groups");  /* group maps start computing */
  gabn_window_set_view (window, "faces");   /* and a Grad-CAM */
  open_path (window, model_path);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-model", NULL));
  gabn_window_open_synthetic (window, NULL);
  close_and_wait (window);
  g_assert_cmpint (gabn_train_run_get_state (run), ==, GABN_RUN_STOPPED);
}

static gboolean
teach_step_done (gpointer data)
{
  return gabn_teach_view_get_step_done (data);
}

/* The teaching mode's baseline run in flight when the window closes. */
static void
test_close_during_teaching (void)
{
  GabnWindow *window = new_window ();
  GabnTeachView *teach = GABN_TEACH_VIEW (gabn_window_get_view_widget (window, "teach"));

  gabn_window_set_view (window, "teach");
  gabn_teach_view_set_size (teach, 4, 3);
  gabn_teach_view_set_epochs (teach, 50);
  gabn_teach_view_act (teach);
  g_assert_true (app_test_wait_until (teach_step_done, teach, 120));
  gabn_teach_view_set_step (teach, 1);
  gabn_teach_view_act (teach);  /* the baseline run starts */
  app_test_wait_until (never, NULL, 0.3);
  close_and_wait (window);
}

static void
write_inputs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  GabnSynthConfig config;

  tmp_dir = g_dir_make_tmp ("gabn-close-XXXXXX", &error);
  g_assert_no_error (error);
  dataset_path = g_build_filename (tmp_dir, "faces", NULL);
  model_path = g_build_filename (tmp_dir, "tiny.safetensors", NULL);
  gabn_synth_config_init (&config, GABN_SYNTH_BALANCED);
  config.identities = 3;
  config.images = 2;
  config.seed = 7;
  g_assert_true (gabn_synth_write (&config, dataset_path, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  net = gabn_net_new ("gabn-s", 5, 3, &error);
  g_assert_no_error (error);
  g_assert_true (gabn_model_save (net, model_path, NULL, &error));
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  write_inputs ();
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.CloseTest", G_APPLICATION_NON_UNIQUE);
  gabn_application_set_synthetic_size (app, 4, 3);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));

  g_test_add_func ("/app/close/during-loads", test_close_during_loads);
  g_test_add_func ("/app/close/during-teach-load", test_close_during_teach_load);
  g_test_add_func ("/app/close/during-training", test_close_during_training);
  g_test_add_func ("/app/close/during-teaching", test_close_during_teaching);
  status = g_test_run ();

  g_object_unref (app);
  remove_tree (tmp_dir);
  fflush (stdout);
  fflush (stderr);
  /* As in main.c: skip OpenBLAS's exit handler. */
  _exit (status);
}
