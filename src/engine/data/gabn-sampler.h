/* gabn-sampler.h: the order in which a batcher visits its entries, one
 * seeded ordering per epoch (see GabnSampling). Private. */
#pragma once

#include "gabn-batcher.h"

G_BEGIN_DECLS

typedef struct _GabnSampler GabnSampler;

/* labels and groups: per entry (n each). */
GabnSampler *gabn_sampler_new (GabnSampling mode, const int *labels,
                               const int *groups, int n, guint64 seed);
void gabn_sampler_free (GabnSampler *sampler);

/* Fills order[0..length) with the entries of epoch `epoch`. */
void gabn_sampler_epoch (GabnSampler *sampler, int epoch, int *order, int length);

G_END_DECLS
