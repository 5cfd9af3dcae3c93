/* gabn-reliance.h: the ground-truth reliance of a net on each facial
 * region, from region swaps on synthetic faces (DESIGN.md section 3) — what
 * the network uses, measured without any attention map, so that the GAM
 * can be checked against it.
 *
 * For a held-out person's photo, a region's parameters are swapped for
 * another held-out person's of the same group, the photo otherwise
 * unchanged (pose, light, grain); the embedding moves by 1 − cos. Averaged
 * per group and region, then normalised over the regions to shares that
 * sum to 1. */
#pragma once

#include "gabn-dataset.h"
#include "gabn-net.h"
#include "gabn-synth.h"

G_BEGIN_DECLS

typedef struct {
  int n_groups;
  /* n_groups × GABN_SYNTH_N_REGIONS, row-major: shares summing to 1 per
   * group (NaN for a group without two held-out people). */
  double *share;
  /* The same before normalisation: mean 1 − cos per region. */
  double *movement;
  int     n_photos_per_group;   /* original photos each average is over */
} GabnReliance;

void gabn_reliance_free (GabnReliance *reliance);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnReliance, gabn_reliance_free)

/* Computes the reliance of net (eval mode for the call) on dataset, which
 * must be synthetic (dataset->synth set), on up to max_people held-out
 * people per group (those in the dataset's pairs) and their first
 * `photos` photos. The donor of person k is the next held-out person of
 * the group. Errors: not synthetic, cancelled. */
GabnReliance *gabn_reliance_compute (GabnNet *net, const GabnDataset *dataset,
                                     int max_people, int photos,
                                     GCancellable *cancellable, GError **error);

G_END_DECLS
