/* test-app-first-run.c: the window as a new user first sees it: the
 * built-in faces at their defaults, the shipped baseline current, and the
 * GABN model trained beside it offered in Compare as model B. */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-compare-view.h"
#include "gabn-window.h"

#include <unistd.h>

static GabnWindow *window;

static gboolean
shipped_gabn_offered (gpointer data)
{
  GListModel *models = gabn_session_get_models (gabn_window_get_session (window));
  g_autoptr(GabnModelItem) first = NULL;

  if (g_list_model_get_n_items (models) == 0)
    return FALSE;
  first = g_list_model_get_item (models, 0);
  return g_str_has_suffix (gabn_model_item_get_model (first)->path,
                           "gabn-s-realistic-gabn.safetensors");
}

static void
test_first_run (void)
{
  GabnSession *session = gabn_window_get_session (window);
  GabnCompareView *compare = GABN_COMPARE_VIEW (gabn_window_get_view_widget (window, "compare"));
  const GabnDataset *ds;
  guint a, b;

  g_assert_true (app_test_wait_until (app_test_session_loaded, window, 300));
  ds = gabn_session_get_dataset (session)->dataset;
  g_assert_cmpstr (ds->format, ==, "synthetic");
  g_assert_nonnull (gabn_session_get_model (session)->path);
  g_assert_true (g_str_has_suffix (gabn_session_get_model (session)->path,
                                   "gabn-s-realistic-baseline.safetensors"));
  g_assert_true (app_test_wait_until (shipped_gabn_offered, NULL, 60));
  /* Entry 0 is the current model (the baseline), entry 1 the GABN model. */
  g_assert_cmpuint (gabn_compare_view_get_n_models (compare), ==, 2);
  gabn_compare_view_get_selected (compare, &a, &b);
  g_assert_cmpuint (a, ==, 0);
  g_assert_cmpuint (b, ==, 1);
}

int
main (int argc, char **argv)
{
  GabnApplication *app;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.FirstRunTest", G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_activate (G_APPLICATION (app));
  window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);

  g_test_add_func ("/app/first-run", test_first_run);
  status = g_test_run ();
  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  /* As in main.c: skip OpenBLAS's exit handler. */
  fflush (stdout);
  fflush (stderr);
  _exit (status);
}
