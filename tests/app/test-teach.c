/* test-teach.c: the teaching mode runs through its five steps on a small
 * synthetic set: faces drawn, a baseline trained and evaluated, a GABN
 * model trained and evaluated, the comparison shown. Proves the classroom
 * demonstration completes, and prints how long it took. */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-teach-view.h"
#include "gabn-window.h"

#include <stdio.h>
#include <unistd.h>

static gboolean
step_done (gpointer data)
{
  return gabn_teach_view_get_step_done (data);
}

static void
test_teach (void)
{
  GApplication *app = g_application_get_default ();
  GabnWindow *window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  GabnTeachView *teach = GABN_TEACH_VIEW (gabn_window_get_view_widget (window, "teach"));
  gint64 start = g_get_monotonic_time ();
  const GabnEvalReport *base, *gabn;

  gabn_window_set_view (window, "teach");
  /* GABN_TEACH_FULL=1 times the classroom defaults instead (minutes). */
  if (g_getenv ("GABN_TEACH_FULL") == NULL)
    {
      gabn_teach_view_set_size (teach, 12, 5);
      gabn_teach_view_set_epochs (teach, 1);
    }

  g_assert_cmpint (gabn_teach_view_get_step (teach), ==, 0);
  gabn_teach_view_act (teach);                       /* draw the faces */
  g_assert_true (app_test_wait_until (step_done, teach, 120));
  gabn_teach_view_set_step (teach, 1);
  g_assert_false (gabn_teach_view_get_step_done (teach));
  gabn_teach_view_act (teach);                       /* train the baseline */
  g_assert_true (app_test_wait_until (step_done, teach, 1800));
  gabn_teach_view_set_step (teach, 2);               /* the gap */
  base = gabn_teach_view_get_report (teach, 0);
  g_assert_nonnull (base);
  g_assert_cmpint (base->n_groups, ==, 4);
  gabn_teach_view_set_step (teach, 3);
  gabn_teach_view_act (teach);                       /* train GABN */
  g_assert_true (app_test_wait_until (step_done, teach, 1800));
  gabn_teach_view_set_step (teach, 4);               /* compare */
  gabn = gabn_teach_view_get_report (teach, 1);
  g_assert_nonnull (gabn);
  g_assert_cmpint (gabn->n_groups, ==, 4);
  for (int g = 0; g < 4; g++)
    g_assert_cmpint (base->groups[g].n_pairs, ==, gabn->groups[g].n_pairs);
  g_print ("# teaching mode: all steps in %.0f s\n", (g_get_monotonic_time () - start) / 1e6);
}

int
main (int argc, char **argv)
{
  g_autoptr(GabnApplication) app = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.TeachTest", G_APPLICATION_NON_UNIQUE);
  gabn_application_set_synthetic_size (app, 12, 5);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_set_default (G_APPLICATION (app));
  g_application_activate (G_APPLICATION (app));
  g_test_add_func ("/app/teach/steps", test_teach);
  status = g_test_run ();
  /* As in main.c: skip OpenBLAS's exit handler (it can deadlock after
   * training threads used it). */
  fflush (stdout);
  fflush (stderr);
  _exit (status);
}
