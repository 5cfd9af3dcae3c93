/* gabn-train-diagnostics.h: what the trainer adds to each epoch's report
 * so that the adversary can be watched (DESIGN.md 1; the fields are
 * described in gabn-evaluate.h):
 *   - region sizes and JS divergences on the map the adversary acts on
 *     ("<gam>, train, class centre") of a fixed sample of training images
 *     (up to max_per_group per group, the same images every epoch), beside
 *     the report's own eval-mode figures;
 *   - the discriminator's accuracy on those maps and on held-out people's
 *     maps ("<gam>, train, identity mean", up to max_per_group images per
 *     group of the evaluation pairs whose identity has another such image):
 *     D's accuracy on its own batch only says that it fits that batch.
 * Internal to the trainer; exposed for tests. */
#pragma once

#include "gabn-discriminator.h"
#include "gabn-evaluate.h"
#include "gabn-split.h"
#include "gabn-trainer.h"

G_BEGIN_DECLS

/* Fills report's training-map fields (has_train_maps, train_gam,
 * n_train_maps, n_held_out_maps, train_mean_pairwise_js, per group
 * train_region50/80 and train_js_to_reference) and, when disc is not NULL
 * (GABN), disc_accuracy_train and disc_accuracy_held_out. The net's mode
 * and BatchNorm statistics are as before the call. */
gboolean gabn_train_diagnostics (GabnEvalReport *report, GabnNet *net,
                                 const GabnDataset *dataset,
                                 const GabnSplit *split,
                                 const GabnTrainConfig *config,
                                 GabnDiscriminator *disc, int max_per_group,
                                 int threads, GCancellable *cancellable,
                                 GError **error);

G_END_DECLS
