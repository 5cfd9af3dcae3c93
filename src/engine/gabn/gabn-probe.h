/* gabn-probe.h: the group probe (DESIGN.md 1): how well the group can still
 * be read from attention maps. A multinomial logistic regression (softmax,
 * L2 on the weights, not the biases) fit by full-batch Nesterov-accelerated
 * gradient descent on the features standardised with the training fold's
 * mean and std, cross-validated by identity: an identity's maps are never in
 * both the training and the test folds, so the probe cannot recognise the
 * person instead of the group. Deterministic for a seed.
 *
 * Any model can be probed: GABN's goal is to bring the probe towards chance
 * (1/G); a baseline shows how much group information its maps carry. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  int     n_folds;     /* default 5 (fewer when there are fewer identities) */
  int     iterations;  /* gradient steps per fold; default 300 */
  double  l2;          /* weight decay on the mean loss; default 1e-2 */
  guint64 seed;        /* identity → fold assignment; default 1 */
} GabnProbeOptions;

typedef struct {
  double accuracy;      /* mean over the folds of the held-out accuracy */
  double accuracy_std;  /* std over the folds, ddof 0 */
  double chance;        /* 1 / (groups with maps) */
  int    n_folds;       /* folds that were tested */
  int    n_groups;      /* groups with at least one map */
} GabnProbeResult;

void gabn_probe_options_init (GabnProbeOptions *options);

/* Cross-validated probe on n maps X (n×p, e.g. normalised GAMs P with
 * p = h·w), labelled with groups[i] in 0..n_groups−1 (−1: ignored) and
 * identities[i] (−1: an identity of its own). Folds are drawn per group
 * (each group's identities spread evenly over the folds, in a seeded
 * order). Returns FALSE, with every field of result NaN or 0, when fewer
 * than 2 groups or 2 identities have maps. options may be NULL. */
gboolean gabn_probe_cross_validate (const float *X, const int *groups,
                                    const int *identities, int n, int p,
                                    int n_groups,
                                    const GabnProbeOptions *options,
                                    GabnProbeResult *result);

G_END_DECLS
