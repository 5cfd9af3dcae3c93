/* gabn-discriminator.h: GABN's discriminator D, an MLP that predicts the
 * group from a normalised attention map P (DESIGN.md 1):
 *   x = n·P (n = h·w cells; scaled so that a uniform map is all ones and
 *   the inputs are O(1) whatever the map size) → Linear(n, H) → ReLU →
 *   Linear(H, G) → logits.
 * Parameters in one blob, PyTorch's layout and init (Linear: weight and
 * bias ~ U(−1/√fan_in, 1/√fan_in)), seeded. Gradients in a blob of the same
 * layout, accumulated (+=) by backward. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GabnDiscriminator GabnDiscriminator;

GabnDiscriminator *gabn_discriminator_new (int n_cells, int hidden,
                                           int n_groups, guint64 seed);
void gabn_discriminator_free (GabnDiscriminator *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnDiscriminator, gabn_discriminator_free)

int    gabn_discriminator_n_cells (const GabnDiscriminator *d);
int    gabn_discriminator_n_groups (const GabnDiscriminator *d);
int    gabn_discriminator_hidden (const GabnDiscriminator *d);
/* Blob order: fc1.weight (H×n), fc1.bias (H), fc2.weight (G×H), fc2.bias (G). */
gsize  gabn_discriminator_n_params (const GabnDiscriminator *d);
float *gabn_discriminator_params (GabnDiscriminator *d);
float *gabn_discriminator_grads (GabnDiscriminator *d);
void   gabn_discriminator_zero_grad (GabnDiscriminator *d);

/* Forward on B maps P (B×n); keeps activations for backward. logits (B×G)
 * are kept inside; returned pointer valid until the next forward. */
const float *gabn_discriminator_forward (GabnDiscriminator *d, const float *P,
                                         int B);

/* Loss of the last forward and d(loss)/d(logits) into d_logits (B×G):
 *   target groups[i] ≥ 0:    mean CE against the group (its accuracy in
 *                            *accuracy, nullable)
 *   groups == NULL:           mean CE against the uniform distribution,
 *                            −(1/G) Σ_g log softmax_g, averaged over B. */
float gabn_discriminator_loss (GabnDiscriminator *d, const int *groups,
                               float *d_logits, float *accuracy);

/* Backward of the last forward from d_logits: accumulates parameter
 * gradients when accumulate is TRUE, and writes d(loss)/dP (B×n) into dP
 * when it is not NULL. */
void gabn_discriminator_backward (GabnDiscriminator *d, const float *d_logits,
                                  float *dP, gboolean accumulate);

G_END_DECLS
