/* gabn-step.h: one training step's gradients, baseline or GABN, exactly as
 * DESIGN.md section 1 defines them (internal to the trainer; exposed for
 * tests).
 *
 * GABN step (erase_where = features):
 *   A = backbone(x); e = head(A); L_arc = margin loss; dA = ∂L_arc/∂A
 *   GAM: y = cos θ_y (own class centre, no margin), ∂y/∂A through the head
 *        without parameter gradients, α_k = mean ∂y/∂A_k,
 *        GAM = ReLU(Σ α_k A_k), P = GAM / Σ GAM
 *        (config gam = hirescam: GAM = ReLU(Σ_k ∂y/∂A_k ⊙ A_k))
 *   D step: CE(D(P), group) on P held constant, D's optimiser steps first
 *   L_conf = CE(D(P), uniform) (or −CE(D(P), group) under reversal) with the
 *        updated D; dA += λ_adv · α_k · ∂L_conf/∂GAM · 1[GAM > 0]
 *        (hirescam: λ_adv · ∂y/∂A_kij · ∂L_conf/∂GAM_ij · 1[GAM_ij > 0]);
 *        grad_ratio = ‖that term‖ / ‖∂L_arc/∂A‖
 *   Top-N erasing (probability erase_prob per batch, images of the chosen
 *        groups): A' = A with the N top-GAM cells zeroed in every channel;
 *        λ_mask · L_arc(head(A')); dA += mask ⊙ ∂/∂A'
 *   backbone backward once from dA.
 * With erase_where = input the erased pass is a second full forward/backward
 * on the input with the cells' upsampled pixel blocks zeroed. Erased passes
 * do not change BatchNorm running statistics (they are restored).
 * When erase_groups is not "all", L_mask is the mean margin loss of the
 * erased images only (the others contribute nothing to that term). */
#pragma once

#include "gabn-batcher.h"
#include "gabn-discriminator.h"
#include "gabn-net.h"
#include "gabn-optim.h"
#include "gabn-trainer.h"

G_BEGIN_DECLS

typedef struct _GabnStep GabnStep;

/* erase_group: per dataset group, TRUE when Top-N erasing applies to it
 * (NULL = all). disc may be NULL for the baseline. */
GabnStep *gabn_step_new (GabnNet *net, const GabnTrainConfig *config,
                         GabnDiscriminator *disc, GabnOptim *disc_optim,
                         const gboolean *erase_group, int n_groups);
void gabn_step_free (GabnStep *step);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnStep, gabn_step_free)

/* Zeroes the net's gradients and accumulates the batch's. Fills the loss
 * fields of report (loss, loss_arc, loss_adv, loss_mask, disc_loss,
 * disc_accuracy, grad_ratio). step_number seeds the erasing draw. FALSE when the
 * cancellable (gabn_step_set_cancellable) cut the step short: the net's
 * BatchNorm statistics and the discriminator are then as before the call,
 * the gradients are to be discarded. A GABN step whose discriminator has
 * stepped always completes. */
gboolean gabn_step_compute (GabnStep *step, const float *input, const int *labels,
                            const int *groups, int batch, gint64 step_number,
                            GabnStepReport *report);
/* The margin m grows linearly from 0 over the first warmup_steps steps
 * (step_number 0 … warmup_steps − 1), then stays at the config's m. */
void gabn_step_set_margin_warmup (GabnStep *step, gint64 warmup_steps);
/* Lets the cancellable stop a step between layers (NULL: never). */
void gabn_step_set_cancellable (GabnStep *step, GCancellable *cancellable);

G_END_DECLS
