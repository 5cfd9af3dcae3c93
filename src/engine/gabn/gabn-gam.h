/* gabn-gam.h: gradient attention maps of a net (DESIGN.md 1).
 * Used by the trainer, the evaluator, `gabn gam` and the app's explorer.
 *
 * The target score y of image i is the cosine of its embedding to one of:
 *   - class centre classes[i] (y = cos θ_y, no margin), or
 *   - a reference embedding refs[i] (held constant), e.g. the other face of
 *     a pair or an identity's mean embedding.
 * ∂y/∂A comes from the head's backward without touching the parameter
 * gradients; the map is then gabn_cam_forward of the chosen method. For
 * Grad-CAM in eval mode, when ∂y/∂A itself is not asked for, only its
 * channel means are computed (gabn_net_backward_head_pooled): exact, and
 * the explorer's single-image path no longer reads the head's weights
 * twice. The
 * net's mode (training / eval) is used as it is: BatchNorm in training mode
 * couples the images of a batch, exactly as autograd on the sum of the
 * batch's scores would. */
#pragma once

#include "gabn-cam.h" /* also gabn_cosine_to_refs, gabn_gam_upsample */
#include "gabn-net.h"

G_BEGIN_DECLS

/* Runs the net on input (batch×3×S×S) and computes the maps.
 * Exactly one of classes (batch ints) and refs (batch×d floats) is given.
 * Outputs (each nullable): cam (batch×h×w), scores (batch, the y values),
 * alpha (batch×C, see gabn_cam_forward). Leaves the net's activations as
 * after the forward pass and the parameter gradients untouched. */
void gabn_gam_compute (GabnNet *net, const float *input, int batch,
                       GabnCamMethod method, const int *classes,
                       const float *refs, float *cam, float *scores,
                       float *alpha);

/* The same from the net's current activations (after gabn_net_forward or
 * forward_backbone + forward_head), without running the forward pass.
 * Also returns ∂y/∂A in d_features when it is not NULL (batch×C×h×w). */
void gabn_gam_from_activations (GabnNet *net, GabnCamMethod method,
                                const int *classes, const float *refs,
                                float *cam, float *scores, float *alpha,
                                float *d_features);

G_END_DECLS
