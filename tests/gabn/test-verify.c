/* test-verify.c: verification metrics against hand-computed cases. */
#include "gabn-verify.h"

#include <math.h>

static void
test_best_threshold (void)
{
  /* Sweep: accept all 3/5; past .1 4/5 (t .15); past .2 3/5; past .3 4/5
   * (t .35, a tie: the lower wins); past .4 3/5; past .5 2/5. */
  float s[] = { 0.3f, 0.1f, 0.5f, 0.2f, 0.4f };
  gboolean y[] = { FALSE, FALSE, TRUE, TRUE, TRUE };
  double acc, t = gabn_verify_best_threshold (s, y, 5, &acc);

  g_assert_cmpfloat_with_epsilon (t, 0.15, 1e-6);
  g_assert_cmpfloat_with_epsilon (acc, 0.8, 1e-12);
  g_assert_cmpfloat_with_epsilon (gabn_verify_accuracy_at (s, y, 5, t), 0.8, 1e-12);
}

static void
test_kfold (void)
{
  /* Fold 0: .9 g, .1 i, .6 g, .4 i; fold 1: .8 g, .3 i, .35 g, .55 i.
   * Test fold 0 with t from fold 1 (.325): .4 i is accepted → 3/4.
   * Test fold 1 with t from fold 0 (.5): .35 g rejected, .55 i accepted →
   * 2/4. Mean .625, std (ddof 0) .125. */
  float s[] = { 0.9f, 0.1f, 0.6f, 0.4f, 0.8f, 0.3f, 0.35f, 0.55f };
  gboolean y[] = { TRUE, FALSE, TRUE, FALSE, TRUE, FALSE, TRUE, FALSE };
  int folds[] = { 0, 0, 0, 0, 1, 1, 1, 1 };
  double mean, std;

  g_assert_cmpint (gabn_verify_kfold (s, y, folds, 8, 10, &mean, &std), ==, 2);
  g_assert_cmpfloat_with_epsilon (mean, 0.625, 1e-12);
  g_assert_cmpfloat_with_epsilon (std, 0.125, 1e-12);
}

static void
test_tar_at_far (void)
{
  float s[14];
  gboolean y[14];
  float genuine[] = { 0.95f, 0.85f, 0.75f, 0.5f };
  double t;

  for (int i = 0; i < 10; i++)
    {
      s[i] = i / 10.0f;
      y[i] = FALSE;
    }
  for (int i = 0; i < 4; i++)
    {
      s[10 + i] = genuine[i];
      y[10 + i] = TRUE;
    }
  /* FAR 0.1 of 10 impostors: k = 1, threshold .8 → .95, .85 accepted. */
  g_assert_cmpfloat_with_epsilon (gabn_verify_tar_at_far (s, y, 14, 0.1, &t), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (t, 0.8, 1e-6);
  g_assert_cmpfloat_with_epsilon (gabn_verify_tar_at_far (s, y, 14, 0.2, NULL), 0.75, 1e-12);
  /* Fewer than 1/FAR impostors: threshold = highest impostor (.9). */
  g_assert_cmpfloat_with_epsilon (gabn_verify_tar_at_far (s, y, 14, 1e-3, &t), 0.25, 1e-12);
  g_assert_cmpfloat_with_epsilon (t, 0.9, 1e-6);
  /* No impostors: undefined. */
  g_assert_true (isnan (gabn_verify_tar_at_far (s + 10, y + 10, 4, 0.1, NULL)));
}

static void
test_tar_ties (void)
{
  /* k = ⌊.25·4⌋ = 1 → threshold .5; no impostor is above it. */
  float s[] = { 0.5f, 0.5f, 0.5f, 0.1f, 0.6f, 0.5f };
  gboolean y[] = { FALSE, FALSE, FALSE, FALSE, TRUE, TRUE };

  g_assert_cmpfloat_with_epsilon (gabn_verify_tar_at_far (s, y, 6, 0.25, NULL), 0.5, 1e-12);
}

static void
test_rates (void)
{
  float s[] = { 0.9f, 0.2f, 0.6f, 0.4f, 0.7f };
  gboolean y[] = { TRUE, TRUE, FALSE, FALSE, FALSE };
  double fmr, fnmr;

  gabn_verify_rates_at (s, y, 5, 0.5, &fmr, &fnmr);
  g_assert_cmpfloat_with_epsilon (fmr, 2.0 / 3, 1e-12);
  g_assert_cmpfloat_with_epsilon (fnmr, 0.5, 1e-12);
  gabn_verify_rates_at (s, y, 2, 0.5, &fmr, &fnmr);
  g_assert_true (isnan (fmr));
}

static void
test_std_ser (void)
{
  double acc[] = { 0.9, 0.8, 0.7, 0.6 };
  double perfect[] = { 1.0, 0.9 };
  double with_nan[] = { 0.9, NAN, 0.7 };

  g_assert_cmpfloat_with_epsilon (gabn_verify_mean (acc, 4), 0.75, 1e-12);
  /* ddof 0: sqrt((.0225·2 + .0025·2)/4). */
  g_assert_cmpfloat_with_epsilon (gabn_verify_std (acc, 4), sqrt (0.0125), 1e-12);
  g_assert_cmpfloat_with_epsilon (gabn_verify_ser (acc, 4), 4.0, 1e-9);
  g_assert_true (isnan (gabn_verify_ser (perfect, 2)));
  g_assert_cmpfloat_with_epsilon (gabn_verify_std (with_nan, 3), 0.1, 1e-12);
  g_assert_cmpfloat_with_epsilon (gabn_verify_ser (with_nan, 3), 3.0, 1e-9);
}

static void
test_roc (void)
{
  float s[] = { 0.9f, 0.7f, 0.8f, 0.1f };
  gboolean y[] = { TRUE, TRUE, FALSE, FALSE };
  float far[5], tar[5];
  const float want_far[] = { 0, 0, 0.5f, 0.5f, 1 };
  const float want_tar[] = { 0, 0.5f, 0.5f, 1, 1 };

  g_assert_cmpint (gabn_verify_roc (s, y, 4, 5, far, tar), ==, 5);
  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpfloat (far[i], ==, want_far[i]);
      g_assert_cmpfloat (tar[i], ==, want_tar[i]);
    }
  /* Thinned to 3: points 0, 2, 4. */
  g_assert_cmpint (gabn_verify_roc (s, y, 4, 3, far, tar), ==, 3);
  g_assert_cmpfloat (far[1], ==, 0.5f);
  g_assert_cmpfloat (tar[1], ==, 0.5f);
  g_assert_cmpfloat (far[2], ==, 1.0f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/verify/best-threshold", test_best_threshold);
  g_test_add_func ("/gabn/verify/kfold", test_kfold);
  g_test_add_func ("/gabn/verify/tar-at-far", test_tar_at_far);
  g_test_add_func ("/gabn/verify/tar-ties", test_tar_ties);
  g_test_add_func ("/gabn/verify/rates", test_rates);
  g_test_add_func ("/gabn/verify/std-ser", test_std_ser);
  g_test_add_func ("/gabn/verify/roc", test_roc);
  return g_test_run ();
}
