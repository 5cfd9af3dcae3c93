/* test-app-exit.c: the app's exit path after training, with OpenBLAS as a
 * user gets it (meson unsets OPENBLAS_NUM_THREADS for this test): two
 * training runs at once (products from two threads besides the main one),
 * the window closed, and main returns normally, so every library's exit
 * handler runs (main.c has no _exit any more: docs/RELIABILITY.md, "Exit").
 * A hang at exit fails the test by its timeout. */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-session.h"
#include "gabn-train-view.h"
#include "gabn-window.h"

static GabnWindow *window;

static gboolean
runs_finished (gpointer data)
{
  GabnTrainRun **runs = data;

  for (int i = 0; i < 2; i++)
    if (gabn_train_run_get_state (runs[i]) != GABN_RUN_FINISHED)
      return FALSE;
  return TRUE;
}

static gboolean
dataset_ready (gpointer data)
{
  GabnSession *session = gabn_window_get_session (window);

  return gabn_session_get_dataset (session) != NULL && !gabn_session_get_busy (session);
}

static gboolean
is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

int
main (int argc, char **argv)
{
  GabnApplication *app;
  GabnTrainView *train;
  GabnTrainRun *runs[2];

  gtk_init ();
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.ExitTest", G_APPLICATION_NON_UNIQUE);
  gabn_application_set_synthetic_size (app, 4, 4);
  if (!g_application_register (G_APPLICATION (app), NULL, NULL))
    return 1;
  g_application_activate (G_APPLICATION (app));
  window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gabn_window_set_view (window, "train");
  train = GABN_TRAIN_VIEW (gabn_window_get_view_widget (window, "train"));
  if (!app_test_wait_until (dataset_ready, NULL, 300))
    {
      g_printerr ("the synthetic faces did not load\n");
      return 1;
    }
  for (int i = 0; i < 2; i++)
    {
      GabnTrainConfig config;

      gabn_train_view_get_config (train, &config);
      config.method = i ? GABN_METHOD_GABN : GABN_METHOD_BASELINE;
      config.epochs = 1;
      config.batch_size = 8;
      config.threads = 2;
      runs[i] = gabn_train_view_start_run (train, &config);
      gabn_train_config_clear (&config);
      if (runs[i] == NULL)
        {
          g_printerr ("no training run started\n");
          return 1;
        }
      g_object_ref (runs[i]);
    }
  if (!app_test_wait_until (runs_finished, runs, 300))
    {
      g_printerr ("the runs did not finish\n");
      return 1;
    }
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_close (GTK_WINDOW (window));
  if (!app_test_wait_until (is_null, &window, 120))
    return 1;
  for (int i = 0; i < 2; i++)
    g_object_unref (runs[i]);
  g_object_unref (app);
  g_print ("both runs finished, window closed; returning from main\n");
  return 0;
}
