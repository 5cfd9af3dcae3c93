/* gabn-pairs.h: drawing verification pairs over held-out identities —
 * 10 folds, as many genuine as impostor pairs, the same number in every
 * group, seeded. Used by the synthetic generator and by the split of a
 * dataset that has no pairs of its own. Private to the data area. */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

/* eval_identities: identity indices (any order). Every group with at least
 * two of them (and two images in one) gets T genuine and T impostor pairs,
 * T = 10 × pairs_per_fold or less when some group cannot make that many
 * distinct pairs, fold f holding pairs [f·T/10, (f+1)·T/10) of each kind. Each held-out identity appears in at
 * least one genuine pair when per_fold × 10 ≥ its group's count. Pairs come
 * group by group, fold by fold (genuine first). Returns a new array. */
GabnPair *gabn_pairs_draw (const GabnDataset *dataset,
                           const int *eval_identities, int n_eval,
                           int pairs_per_fold, guint64 seed, int *n_pairs);

G_END_DECLS
