/* fixture-init.h: the reference fixtures' deterministic weights and inputs,
 * the C twin of tests/reference/gabn_torch_models.py's fixture_init_,
 * fixture_input and sample_indices (see there for the rule). */
#pragma once

#include "gabn-net.h"

/* n doubles in [−1, 1) from (seed, stream). */
void  fixture_uniform (double *u, guint64 seed, guint64 stream, gsize n);
/* Every tensor t (state_dict order) from stream t by the fixture rule. */
void  fixture_init_net (GabnNet *net, guint64 seed);
/* batch×3×size×size images from stream 1000. */
void  fixture_input (float *x, guint64 seed, int batch, int size);
/* How many elements of a tensor the fixtures keep, and which. */
gsize fixture_n_samples (gsize numel);
gsize fixture_sample_index (gsize k, gsize numel);
