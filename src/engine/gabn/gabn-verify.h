/* gabn-verify.h: face verification metrics on scored pairs (DESIGN.md 2).
 *
 * A pair is predicted "same" when its score is strictly greater than the
 * threshold. Scores are cosine similarities in the engine, but nothing here
 * assumes a range. NaN marks a value that cannot be computed (no pairs of
 * the needed kind). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The threshold that maximises accuracy over the n pairs. Candidates: one
 * below the lowest score (lowest − 1: accept all), the midpoints between
 * consecutive distinct scores, one above the highest (highest + 1: reject
 * all); on ties the lowest candidate wins. accuracy (nullable) receives the
 * accuracy it reaches. n = 0 gives 0 with accuracy NaN. */
double gabn_verify_best_threshold (const float *scores, const gboolean *same,
                                   int n, double *accuracy);

/* Accuracy of the n pairs at threshold t (NaN when n = 0). */
double gabn_verify_accuracy_at (const float *scores, const gboolean *same,
                                int n, double t);

/* RFW-style k-fold accuracy: for each fold f that has pairs, the threshold
 * is chosen (gabn_verify_best_threshold) on the pairs of the other folds
 * (on all pairs when no other fold has any) and the accuracy is measured on
 * fold f. mean and std (ddof 0, numpy's default, as RFW's and InsightFace's
 * scripts use) are over the folds that have pairs. folds[i] outside
 * [0, n_folds) is replaced by i mod n_folds. Returns the folds used. */
int gabn_verify_kfold (const float *scores, const gboolean *same,
                       const int *folds, int n, int n_folds,
                       double *mean, double *std);

/* TAR at a target FAR. The impostor scores are sorted in decreasing order
 * s_1 ≥ s_2 ≥ …; with k = ⌊far · n_impostors⌋ the threshold is s_{k+1}
 * (accept when score > s_{k+1}), so at most k impostors are accepted and the
 * measured FAR never exceeds the target. With fewer than 1/far impostors
 * k = 0: the threshold is the highest impostor score (measured FAR 0) and
 * the TAR is a conservative estimate. NaN without genuine or impostor
 * pairs. threshold (nullable) receives the threshold. */
double gabn_verify_tar_at_far (const float *scores, const gboolean *same,
                               int n, double far, double *threshold);

/* FMR (impostors accepted / impostors) and FNMR (genuine rejected /
 * genuine) at threshold t; NaN when the kind of pair is absent. */
void gabn_verify_rates_at (const float *scores, const gboolean *same, int n,
                           double t, double *fmr, double *fnmr);

/* Across groups: population std (ddof 0) of the values that are not NaN
 * (NaN when none), and SER = max error / min error with error = 1 − acc,
 * NaN ("undefined") when the smallest error is 0 or fewer than one value. */
double gabn_verify_mean (const double *values, int n);
double gabn_verify_std (const double *values, int n);
double gabn_verify_ser (const double *accuracies, int n);

/* ROC: points (FAR, TAR) for thresholds sweeping from above the highest
 * score down through every distinct score, starting at (0, 0) and ending at
 * (1, 1) when both kinds exist; thinned evenly to at most max_points
 * (≥ 2) keeping both ends. far and tar need max_points entries. Returns the
 * number of points (0 without genuine or impostor pairs). */
int gabn_verify_roc (const float *scores, const gboolean *same, int n,
                     int max_points, float *far, float *tar);

G_END_DECLS
