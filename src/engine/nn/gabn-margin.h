/* gabn-margin.h: the ArcFace / CosFace margin heads with softmax
 * cross-entropy, on L2-normalised embeddings and class centres. Internal to
 * the engine (the net wraps it as gabn_net_margin_loss). */
#pragma once

#include "gabn-net.h"

G_BEGIN_DECLS

/* The margin logit of the own class from its cosine c (clamped to [−1, 1])
 * and its derivative d/dc. ArcFace as InsightFace arcface_torch: cos(θ + m)
 * where c > cos(π − m), else c − sin(π − m)·m (or, with easy_margin, the
 * margin only where c > 0). CosFace: c − m. The scale s is not applied. */
float gabn_margin_target (const GabnMarginConfig *margin, float c, float *d_dc);

/* Mean over B of −log softmax(s · margin logits)[label]. en (B,D) and wn
 * (N,D) are L2-normalised; writes (=) d_en (B,D) and d_wn (N,D), either
 * nullable. Returns the loss. */
float gabn_margin_loss_forward_backward (float *d_en, float *d_wn,
                                         const float *en, const float *wn,
                                         const int *labels, int B, int N, int D,
                                         const GabnMarginConfig *margin);

G_END_DECLS
