/* gabn-attention.h: attention measures across groups (DESIGN.md 1):
 * mean GAM per group, sensitive-region sizes, Jensen–Shannon divergences. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Jensen–Shannon divergence of two distributions over n cells, natural log
 * (so it lies in [0, ln 2]): ½KL(p‖m) + ½KL(q‖m), m = (p + q)/2, with
 * 0·log 0 = 0. Inputs are renormalised to sum 1 first (uniform when their
 * sum is 0), so maps that drifted by rounding are still compared fairly. */
double gabn_js_divergence (const float *p, const float *q, int n);

/* Per-group attention statistics of maps P (n_maps × n, each summing to 1)
 * labelled with groups[i] in 0..n_groups−1 (−1 = ignored):
 *   mean_gam     n_groups × n   average P of the group's maps (uniform when
 *                               the group has no map)
 *   region50/80  n_groups       mean sensitive-region size at 50 % / 80 %
 *                               (NaN when the group has no map)
 *   counts       n_groups       maps per group
 * Any output may be NULL. */
void gabn_attention_group_stats (const float *P, const int *groups,
                                 int n_maps, int n, int n_groups,
                                 float *mean_gam, double *region50,
                                 double *region80, int *counts);

/* JS matrix (n_groups × n_groups, symmetric, zero diagonal) of the groups'
 * mean maps, and the mean over the n_groups·(n_groups−1)/2 unordered pairs
 * of groups whose `present` is TRUE (NaN with fewer than 2 such groups).
 * present may be NULL (all present). */
double gabn_attention_js_matrix (const float *mean_gam, int n_groups, int n,
                                 const gboolean *present, double *matrix);

G_END_DECLS
