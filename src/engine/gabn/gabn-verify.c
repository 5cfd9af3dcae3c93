/* gabn-verify.c: verification metrics. */
#include "gabn-verify.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
  float score;
  gboolean same;
} Scored;

static int
scored_ascending (const void *pa, const void *pb)
{
  const Scored *a = pa, *b = pb;

  if (a->score != b->score)
    return a->score < b->score ? -1 : 1;
  return 0;
}

static Scored *
sort_pairs (const float *scores, const gboolean *same, int n)
{
  Scored *s = g_new (Scored, MAX (n, 1));

  for (int i = 0; i < n; i++)
    s[i] = (Scored) { scores[i], same[i] != FALSE };
  qsort (s, n, sizeof (Scored), scored_ascending);
  return s;
}

double
gabn_verify_best_threshold (const float *scores, const gboolean *same, int n,
                            double *accuracy)
{
  g_autofree Scored *s = NULL;
  int correct = 0, best_correct;
  double best_t;

  if (n <= 0)
    {
      if (accuracy)
        *accuracy = NAN;
      return 0.0;
    }
  s = sort_pairs (scores, same, n);
  /* Threshold below everything: every pair accepted. */
  for (int i = 0; i < n; i++)
    correct += s[i].same ? 1 : 0;
  best_correct = correct;
  best_t = (double) s[0].score - 1.0;
  for (int i = 0; i < n;)
    {
      int j = i;
      double t;

      /* Move the threshold past the group of equal scores s[i..j). */
      while (j < n && s[j].score == s[i].score)
        {
          correct += s[j].same ? -1 : 1;
          j++;
        }
      t = j < n ? 0.5 * ((double) s[i].score + s[j].score)
                : (double) s[n - 1].score + 1.0;
      if (correct > best_correct)
        {
          best_correct = correct;
          best_t = t;
        }
      i = j;
    }
  if (accuracy)
    *accuracy = (double) best_correct / n;
  return best_t;
}

double
gabn_verify_accuracy_at (const float *scores, const gboolean *same, int n,
                         double t)
{
  int correct = 0;

  if (n <= 0)
    return NAN;
  for (int i = 0; i < n; i++)
    correct += ((scores[i] > t) == (same[i] != FALSE)) ? 1 : 0;
  return (double) correct / n;
}

int
gabn_verify_kfold (const float *scores, const gboolean *same, const int *folds,
                   int n, int n_folds, double *mean, double *std)
{
  g_autofree float *train_s = g_new (float, MAX (n, 1));
  g_autofree gboolean *train_y = g_new (gboolean, MAX (n, 1));
  g_autofree float *test_s = g_new (float, MAX (n, 1));
  g_autofree gboolean *test_y = g_new (gboolean, MAX (n, 1));
  g_autofree double *acc = g_new (double, MAX (n_folds, 1));
  int used = 0;

  for (int f = 0; f < n_folds; f++)
    {
      int n_train = 0, n_test = 0;
      double t;

      for (int i = 0; i < n; i++)
        {
          int fold = folds[i] >= 0 && folds[i] < n_folds ? folds[i] : i % n_folds;

          if (fold == f)
            {
              test_s[n_test] = scores[i];
              test_y[n_test++] = same[i];
            }
          else
            {
              train_s[n_train] = scores[i];
              train_y[n_train++] = same[i];
            }
        }
      if (n_test == 0)
        continue;
      t = n_train > 0 ? gabn_verify_best_threshold (train_s, train_y, n_train, NULL)
                      : gabn_verify_best_threshold (test_s, test_y, n_test, NULL);
      acc[used++] = gabn_verify_accuracy_at (test_s, test_y, n_test, t);
    }
  if (mean)
    *mean = gabn_verify_mean (acc, used);
  if (std)
    *std = gabn_verify_std (acc, used);
  return used;
}

static int
float_descending (const void *pa, const void *pb)
{
  float a = *(const float *) pa, b = *(const float *) pb;

  return a > b ? -1 : a < b ? 1 : 0;
}

double
gabn_verify_tar_at_far (const float *scores, const gboolean *same, int n,
                        double far, double *threshold)
{
  g_autofree float *imp = g_new (float, MAX (n, 1));
  int n_imp = 0, n_gen = 0, accepted = 0, k;
  double t;

  for (int i = 0; i < n; i++)
    if (!same[i])
      imp[n_imp++] = scores[i];
  n_gen = n - n_imp;
  if (threshold)
    *threshold = NAN;
  if (n_imp == 0 || n_gen == 0)
    return NAN;
  qsort (imp, n_imp, sizeof (float), float_descending);
  /* The small epsilon keeps 0.01 × 300 = 3 from becoming 2.9999…. */
  k = (int) floor (far * n_imp + 1e-9);
  k = CLAMP (k, 0, n_imp - 1);
  t = imp[k];
  for (int i = 0; i < n; i++)
    if (same[i] && scores[i] > t)
      accepted++;
  if (threshold)
    *threshold = t;
  return (double) accepted / n_gen;
}

void
gabn_verify_rates_at (const float *scores, const gboolean *same, int n,
                      double t, double *fmr, double *fnmr)
{
  int n_imp = 0, n_gen = 0, false_match = 0, false_non_match = 0;

  for (int i = 0; i < n; i++)
    {
      if (same[i])
        {
          n_gen++;
          false_non_match += scores[i] > t ? 0 : 1;
        }
      else
        {
          n_imp++;
          false_match += scores[i] > t ? 1 : 0;
        }
    }
  if (fmr)
    *fmr = n_imp > 0 ? (double) false_match / n_imp : NAN;
  if (fnmr)
    *fnmr = n_gen > 0 ? (double) false_non_match / n_gen : NAN;
}

double
gabn_verify_mean (const double *values, int n)
{
  double sum = 0.0;
  int count = 0;

  for (int i = 0; i < n; i++)
    if (!isnan (values[i]))
      {
        sum += values[i];
        count++;
      }
  return count > 0 ? sum / count : NAN;
}

double
gabn_verify_std (const double *values, int n)
{
  double mean = gabn_verify_mean (values, n), ss = 0.0;
  int count = 0;

  if (isnan (mean))
    return NAN;
  for (int i = 0; i < n; i++)
    if (!isnan (values[i]))
      {
        ss += (values[i] - mean) * (values[i] - mean);
        count++;
      }
  return sqrt (ss / count);
}

double
gabn_verify_ser (const double *accuracies, int n)
{
  double max_err = -1.0, min_err = INFINITY;

  for (int i = 0; i < n; i++)
    if (!isnan (accuracies[i]))
      {
        double err = 1.0 - accuracies[i];
        max_err = MAX (max_err, err);
        min_err = MIN (min_err, err);
      }
  /* Errors below one part in 10^12 are rounding of an exact 0. */
  if (max_err < 0.0 || min_err <= 1e-12)
    return NAN;
  return max_err / min_err;
}

int
gabn_verify_roc (const float *scores, const gboolean *same, int n,
                 int max_points, float *far, float *tar)
{
  g_autofree Scored *s = NULL;
  g_autofree float *all_far = NULL, *all_tar = NULL;
  int n_gen = 0, n_imp = 0, tp = 0, fp = 0, count = 0;

  for (int i = 0; i < n; i++)
    n_gen += same[i] ? 1 : 0;
  n_imp = n - n_gen;
  if (n_gen == 0 || n_imp == 0 || max_points < 2)
    return 0;
  s = sort_pairs (scores, same, n);
  all_far = g_new (float, n + 1);
  all_tar = g_new (float, n + 1);
  all_far[count] = 0.0f;
  all_tar[count++] = 0.0f;
  for (int i = n - 1; i >= 0;)
    {
      int j = i;

      while (j >= 0 && s[j].score == s[i].score)
        {
          if (s[j].same)
            tp++;
          else
            fp++;
          j--;
        }
      all_far[count] = (float) fp / n_imp;
      all_tar[count++] = (float) tp / n_gen;
      i = j;
    }
  if (count <= max_points)
    {
      for (int i = 0; i < count; i++)
        {
          far[i] = all_far[i];
          tar[i] = all_tar[i];
        }
      return count;
    }
  for (int i = 0; i < max_points; i++)
    {
      int src = (int) llround ((double) i * (count - 1) / (max_points - 1));
      far[i] = all_far[src];
      tar[i] = all_tar[src];
    }
  return max_points;
}
