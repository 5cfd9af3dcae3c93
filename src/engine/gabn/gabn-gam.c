/* gabn-gam.c: GAMs of a net: target score, ∂y/∂A through the head, CAM. */
#include "gabn-gam.h"

#include <math.h>
#include <string.h>

void
gabn_gam_from_activations (GabnNet *net, GabnCamMethod method,
                           const int *classes, const float *refs, float *cam,
                           float *scores, float *alpha, float *d_features)
{
  int batch = gabn_net_batch (net), d = gabn_net_embedding_dim (net), C, h, w;
  g_autofree float *d_emb = g_new (float, (gsize) batch * d);
  g_autofree float *y = g_new (float, batch);
  g_autofree float *own_dA = NULL;
  float *dA = d_features;

  gabn_net_feature_shape (net, &C, &h, &w);
  if (classes)
    gabn_net_cosine_to_class (net, classes, y, d_emb);
  else
    gabn_cosine_to_refs (gabn_net_embeddings (net), refs, batch, d, y, d_emb);
  if (scores)
    memcpy (scores, y, sizeof (float) * batch);
  /* Grad-CAM needs only each channel's mean of ∂y/∂A: in eval mode (the
   * explorer) the head's full backward, Wᵀ·g over every cell, is skipped. */
  if (method == GABN_CAM_GRADCAM && !d_features && (cam || alpha))
    {
      g_autofree float *own_alpha = alpha ? NULL : g_new (float, (gsize) batch * C);
      float *a = alpha ? alpha : own_alpha;

      if (gabn_net_backward_head_pooled (net, d_emb, a))
        {
          if (cam)
            gabn_cam_from_alpha (cam, a, gabn_net_features (net), batch, C, h, w);
          return;
        }
    }
  if (!dA)
    dA = own_dA = g_new (float, (gsize) batch * C * h * w);
  gabn_net_backward_head (net, d_emb, dA, FALSE);
  if (cam || alpha)
    {
      g_autofree float *own_cam = cam ? NULL : g_new (float, (gsize) batch * h * w);
      gabn_cam_forward (method, cam ? cam : own_cam, alpha,
                        gabn_net_features (net), dA, batch, C, h, w);
    }
}

void
gabn_gam_compute (GabnNet *net, const float *input, int batch,
                  GabnCamMethod method, const int *classes, const float *refs,
                  float *cam, float *scores, float *alpha)
{
  gabn_net_forward (net, input, batch);
  gabn_gam_from_activations (net, method, classes, refs, cam, scores, alpha,
                             NULL);
}

