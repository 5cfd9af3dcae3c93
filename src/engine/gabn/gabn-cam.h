/* gabn-cam.h: class activation maps from feature maps A and the gradient of
 * a target score with respect to A, and the measures taken on one map.
 *
 * Pure array math (no net): the GABN trainer, the evaluator, the CLI and the
 * app's explorer all compute GAMs through these functions. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  GABN_CAM_GRADCAM,            /* Selvaraju et al. 2017 (the GAM of DESIGN.md) */
  GABN_CAM_GRADCAM_PLUSPLUS,   /* Chattopadhyay et al. 2018, eq. 19 */
  GABN_CAM_HIRESCAM,           /* Draelos & Carin 2020 */
  GABN_CAM_XGRADCAM,           /* Fu et al. 2020 */
  GABN_CAM_LAYERCAM,           /* Jiang et al. 2021 */
} GabnCamMethod;

/* "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam". */
const char *gabn_cam_method_name (GabnCamMethod method);
gboolean    gabn_cam_method_from_name (const char *name, GabnCamMethod *method);

/* Maps for a batch, with A and dA = ∂y/∂A both (B,C,h,w), cam (B,h,w):
 *   gradcam   α_k = mean_ij dA_kij;                cam = ReLU(Σ_k α_k A_k)
 *   gradcam++ α_k = Σ_ij ReLU(dA_kij)·a_kij with
 *             a_kij = dA²/(2dA² + (Σ_ij A_kij)·dA³ + 1e-6), 0 where dA = 0;
 *                                                  cam = ReLU(Σ_k α_k A_k)
 *   hirescam                                       cam = ReLU(Σ_k dA_k ⊙ A_k)
 *   xgradcam  α_k = Σ_ij dA_kij·A_kij / (Σ_ij A_kij + 1e-7)
 *                                                  cam = ReLU(Σ_k α_k A_k)
 *   layercam                                       cam = ReLU(Σ_k ReLU(dA_k) ⊙ A_k)
 * (the definitions of jacobgil/pytorch-grad-cam, without its min–max
 * rescaling). alpha (nullable, (B,C)) receives α for the methods that have
 * channel weights and is zero for hirescam/layercam. */
void gabn_cam_forward (GabnCamMethod method, float *cam, float *alpha,
                       const float *A, const float *dA,
                       int B, int C, int h, int w);

/* cam (B,h,w) = ReLU(Σ_k α_k A_k) for given channel weights alpha (B,C):
 * the maps of gabn_cam_forward once α is known. */
void gabn_cam_from_alpha (float *cam, const float *alpha, const float *A,
                          int B, int C, int h, int w);

/* Grad-CAM's backward with α held constant (first order, DESIGN.md 1):
 * dA_kij += scale · α_k · d_cam_ij · 1[cam_ij > 0]. Shapes as above. */
void gabn_cam_backward (float *dA, const float *d_cam, const float *cam,
                        const float *alpha, float scale,
                        int B, int C, int h, int w);

/* HiResCAM's backward with ∂y/∂A held constant (first order, DESIGN.md 1):
 * dA_kij += scale · dY_kij · d_cam_ij · 1[cam_ij > 0], dY = ∂y/∂A (B,C,h,w)
 * as given to gabn_cam_forward. */
void gabn_cam_backward_hirescam (float *dA, const float *d_cam, const float *cam,
                                 const float *dY, float scale,
                                 int B, int C, int h, int w);

/* P = cam / Σ cam per map (n = h·w cells), uniform 1/n when the sum is 0. */
void gabn_cam_normalise (float *P, const float *cam, int B, int n);
/* Backward of the normalisation: d_cam_i = (dP_i − Σ_j dP_j·P_j) / Σ cam,
 * and 0 when the sum is 0 (the uniform map does not depend on cam). */
void gabn_cam_normalise_backward (float *d_cam, const float *dP,
                                  const float *P, const float *cam,
                                  int B, int n);

/* Indices of the N largest of map[0..n) in decreasing order (ties: the
 * lower index first), written to cells[0..N). N is clamped to [0, n];
 * returns the number written. */
int gabn_cam_top_n (const float *map, int n, int N, int *cells);

/* Sensitive-region size: the fewest cells whose P mass reaches `mass`
 * (e.g. 0.5, 0.8) of the map's total, as a fraction of the n cells. */
double gabn_cam_region_size (const float *P, int n, double mass);

/* y = cos(e, r) per row and dy/de, for n rows of dimension d. */
void gabn_cosine_to_refs (const float *e, const float *refs, int n, int d,
                          float *cosines, float *d_e);

/* Bilinear upsampling of an h×w map to size×size (align_corners = FALSE,
 * as PyTorch's F.interpolate), for overlays and input-space erasing. */
void gabn_gam_upsample (const float *map, int h, int w, int size, float *out);

G_END_DECLS
