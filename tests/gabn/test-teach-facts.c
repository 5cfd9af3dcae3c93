/* test-teach-facts.c: the facts the teaching mode states, on hand-made
 * reports (values worked out by hand) and a generated dataset. */
#include "config.h"
#include "gabn-synth.h"
#include "gabn-teach-facts.h"

#include <math.h>

static GabnEvalReport
report_of (GabnGroupReport *groups, int n, const double *acc, const double *std)
{
  GabnEvalReport r = { 0 };

  for (int g = 0; g < n; g++)
    {
      memset (&groups[g], 0, sizeof groups[g]);
      groups[g].accuracy = acc[g];
      groups[g].accuracy_std = std[g];
    }
  r.n_groups = n;
  r.groups = groups;
  return r;
}

static void
test_gaps (void)
{
  GabnGroupReport groups[3];
  int lo, hi;

  /* 0.9, 0.7, 0.8 with fold spreads 0.02, 0.03, 0.02: lowest B, highest A;
   * the gap 0.20 against 2·√((0.03² + 0.02²)/10) = 0.0228: clear. */
  {
    GabnEvalReport r = report_of (groups, 3, (double[]) { 0.9, 0.7, 0.8 },
                                  (double[]) { 0.02, 0.03, 0.02 });
    g_assert_true (gabn_teach_extremes (&r, &lo, &hi));
    g_assert_cmpint (lo, ==, 1);
    g_assert_cmpint (hi, ==, 0);
    g_assert_true (gabn_teach_gap_is_clear (&r, lo, hi));
  }
  /* 0.80 and 0.78 with spreads 0.05: the gap 0.02 is under
   * 2·√(2·0.05²/10) = 0.0447: noise, not a gap. */
  {
    GabnEvalReport r = report_of (groups, 2, (double[]) { 0.80, 0.78 },
                                  (double[]) { 0.05, 0.05 });
    g_assert_true (gabn_teach_extremes (&r, &lo, &hi));
    g_assert_cmpint (lo, ==, 1);
    g_assert_cmpint (hi, ==, 0);
    g_assert_false (gabn_teach_gap_is_clear (&r, lo, hi));
  }
  /* All equal: the first against the last measured, and no gap. */
  {
    GabnEvalReport r = report_of (groups, 3, (double[]) { 0.8, 0.8, NAN },
                                  (double[]) { 0.01, 0.01, NAN });
    g_assert_true (gabn_teach_extremes (&r, &lo, &hi));
    g_assert_cmpint (lo, ==, 0);
    g_assert_cmpint (hi, ==, 1);
    g_assert_false (gabn_teach_gap_is_clear (&r, lo, hi));
  }
  /* One group measured: nothing to compare. */
  {
    GabnEvalReport r = report_of (groups, 2, (double[]) { NAN, 0.9 },
                                  (double[]) { NAN, 0.01 });
    g_assert_false (gabn_teach_extremes (&r, &lo, &hi));
  }
}

/* The realistic preset collects fewer people of some groups but holds out
 * people of every group: the counts add up to the identities per group. */
static void
test_count_people (void)
{
  GabnSynthConfig config;
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnDataset) ds = NULL;
  int train[8], held_out[8], total[8] = { 0 };

  gabn_synth_config_init (&config, GABN_SYNTH_REALISTIC);
  config.identities = 10;
  config.images = 2;
  config.size = 32;
  config.jitter = FALSE;
  ds = gabn_synth_generate (&config, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n_groups, <=, 8);
  gabn_teach_count_people (ds, train, held_out);
  for (int i = 0; i < ds->n_identities; i++)
    total[ds->identities[i].group]++;
  for (int g = 0; g < ds->n_groups; g++)
    {
      g_assert_cmpint (train[g] + held_out[g], ==, total[g]);
      g_assert_cmpint (held_out[g], >=, 2);
      g_assert_cmpint (train[g], >, 0);
    }
  /* Collection: the training people are not balanced across groups. */
  g_assert_cmpint (train[0], >, train[ds->n_groups - 1]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/teach-facts/gaps", test_gaps);
  g_test_add_func ("/teach-facts/count-people", test_count_people);
  return g_test_run ();
}
