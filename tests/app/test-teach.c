/* test-teach.c: the teaching mode runs through its five steps on a small
 * synthetic set: faces drawn on the realistic preset, a baseline trained
 * and evaluated, a GABN model trained and evaluated, the comparison shown,
 * and the balanced-data control trained. Every sentence a step shows is
 * checked against the reports it comes from (the numbers as printed), so a
 * fixed text would fail. Prints how long it took (no assertion on time). */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-teach-view.h"
#include "gabn-window.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static gboolean
step_done (gpointer data)
{
  return gabn_teach_view_get_step_done (data);
}

static gboolean
control_done (gpointer data)
{
  return gabn_teach_view_get_run_done (data, 2);
}

static void
assert_contains (const char *text, const char *needle)
{
  if (strstr (text, needle) == NULL)
    g_error ("“%s” not found in “%s”", needle, text);
}

static void
assert_contains_printf (const char *text, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
assert_contains_printf (const char *text, const char *format, ...)
{
  va_list args;
  g_autofree char *needle = NULL;

  va_start (args, format);
  needle = g_strdup_vprintf (format, args);
  va_end (args);
  assert_contains (text, needle);
}

/* The least and most accurate groups, as the view picks them. */
static void
extremes (const GabnEvalReport *r, int *lo, int *hi)
{
  *lo = *hi = 0;
  for (int g = 1; g < r->n_groups; g++)
    {
      if (r->groups[g].accuracy < r->groups[*lo].accuracy)
        *lo = g;
      if (r->groups[g].accuracy > r->groups[*hi].accuracy)
        *hi = g;
    }
  if (*lo == *hi)
    *hi = r->n_groups - 1;
}

/* Step 1 names every group's training people: those not in the pairs. */
static void
check_faces_summary (GabnTeachView *teach, GabnSession *session)
{
  const GabnDataset *ds = gabn_session_get_dataset (session)->dataset;
  const char *summary = gabn_teach_view_get_summary (teach);
  g_autofree gboolean *in_pairs = g_new0 (gboolean, ds->n_identities);

  g_assert_nonnull (ds->synth);
  g_assert_cmpint (ds->synth->preset, ==, GABN_SYNTH_REALISTIC);
  for (int p = 0; p < ds->n_pairs; p++)
    in_pairs[ds->images[ds->pairs[p].a].identity] = in_pairs[ds->images[ds->pairs[p].b].identity] = TRUE;
  for (int g = 0; g < ds->n_groups; g++)
    {
      int train = 0;

      for (int i = 0; i < ds->n_identities; i++)
        train += ds->identities[i].group == g && !in_pairs[i];
      /* The collection knob: the dataset's own count, as the generator set it. */
      g_assert_cmpint (train, ==, gabn_synth_train_count (ds->synth, g));
      assert_contains_printf (summary, "%s %d", ds->groups[g].name, train);
    }
  g_test_message ("step 1: %s", summary);
}

static void
test_teach (void)
{
  GApplication *app = g_application_get_default ();
  GabnWindow *window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  GabnTeachView *teach = GABN_TEACH_VIEW (gabn_window_get_view_widget (window, "teach"));
  gint64 start = g_get_monotonic_time ();
  const GabnEvalReport *base, *gabn, *control;
  const char *summary;
  int lo, hi;

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
  check_faces_summary (teach, gabn_window_get_session (window));

  gabn_teach_view_set_step (teach, 1);
  g_assert_false (gabn_teach_view_get_step_done (teach));
  gabn_teach_view_act (teach);                       /* train the baseline */
  g_assert_true (app_test_wait_until (step_done, teach, 1800));

  gabn_teach_view_set_step (teach, 2);               /* the gap */
  base = gabn_teach_view_get_report (teach, 0);
  g_assert_nonnull (base);
  g_assert_cmpint (base->n_groups, ==, 4);
  summary = gabn_teach_view_get_summary (teach);
  extremes (base, &lo, &hi);
  g_assert_cmpint (lo, !=, hi);
  assert_contains (summary, "In this run");
  if (strstr (summary, "no clear gap") == NULL)
    assert_contains_printf (summary, "%s was verified at %.0f%% and %s at %.0f%%",
                            base->groups[lo].name, 100 * base->groups[lo].accuracy,
                            base->groups[hi].name, 100 * base->groups[hi].accuracy);
  else
    assert_contains_printf (summary, "between %.0f%% (%s) and %.0f%% (%s)",
                            100 * base->groups[lo].accuracy, base->groups[lo].name,
                            100 * base->groups[hi].accuracy, base->groups[hi].name);
  assert_contains_printf (summary, "%.0f%% of the face for %s and %.0f%% for %s",
                          100 * base->groups[lo].region50, base->groups[lo].name,
                          100 * base->groups[hi].region50, base->groups[hi].name);
  /* Reliance on synthetic data: every group's shares sum to 1. */
  for (int g = 0; g < 4; g++)
    {
      double sum = 0;
      for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
        sum += base->groups[g].reliance[k];
      g_assert_cmpfloat_with_epsilon (sum, 1.0, 1e-6);
    }
  assert_contains (summary, "the face's outline");
  g_test_message ("step 3: %s", summary);

  gabn_teach_view_set_step (teach, 3);
  gabn_teach_view_act (teach);                       /* train GABN */
  g_assert_true (app_test_wait_until (step_done, teach, 1800));

  gabn_teach_view_set_step (teach, 4);               /* compare */
  gabn = gabn_teach_view_get_report (teach, 1);
  g_assert_nonnull (gabn);
  g_assert_cmpint (gabn->n_groups, ==, 4);
  for (int g = 0; g < 4; g++)
    g_assert_cmpint (base->groups[g].n_pairs, ==, gabn->groups[g].n_pairs);
  summary = gabn_teach_view_get_summary (teach);
  assert_contains (summary, "one run with one seed");
  assert_contains_printf (summary, "from %.1f to %.1f pp", 100 * base->std, 100 * gabn->std);
  for (int g = 0; g < 4; g++)
    assert_contains_printf (summary, "%s %+.1f", base->groups[g].name,
                            100 * (gabn->groups[g].accuracy - base->groups[g].accuracy));
  g_assert_null (strstr (summary, "balanced collection"));

  gabn_teach_view_act (teach);                       /* the balanced-data control */
  g_assert_true (app_test_wait_until (control_done, teach, 1800));
  control = gabn_teach_view_get_report (teach, 2);
  g_assert_nonnull (control);
  g_assert_cmpint (control->n_groups, ==, 4);
  summary = gabn_teach_view_get_summary (teach);
  extremes (control, &lo, &hi);
  assert_contains_printf (summary, "the groups were within %.1f points (from %.0f%% to %.0f%%",
                          100 * (control->groups[hi].accuracy - control->groups[lo].accuracy),
                          100 * control->groups[lo].accuracy, 100 * control->groups[hi].accuracy);
  g_test_message ("step 5: %s", summary);
  g_print ("# teaching mode: all steps and the control in %.0f s\n",
           (g_get_monotonic_time () - start) / 1e6);
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
