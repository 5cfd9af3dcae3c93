/* gabn-explorer.c: targets and masks for the explorer; the maps themselves
 * come from the engine (gabn_gam_compute). */
#include "config.h"
#include "gabn-explorer.h"
#include "gabn-gam.h"
#include "gabn-split.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

int *
gabn_explorer_identity_labels (const GabnNet *net, GHashTable *metadata,
                               const GabnDataset *dataset)
{
  return gabn_split_model_labels (dataset, metadata ? g_hash_table_lookup (metadata, "split") : NULL,
                                  gabn_net_n_classes (net));
}

static float *
load_input (GabnNet *net, const GabnDataset *dataset, int image, GError **error)
{
  int s = gabn_net_input_size (net);
  float *chw = g_new (float, 3 * s * s);

  if (!gabn_dataset_load_image (dataset, image, gabn_net_get_preprocess (net), FALSE,
                                chw, error))
    {
      g_free (chw);
      return NULL;
    }
  return chw;
}

gboolean
gabn_explorer_embed (GabnNet *net, const GabnDataset *dataset, int image,
                     float *embedding, GError **error)
{
  g_autofree float *chw = load_input (net, dataset, image, error);

  if (chw == NULL)
    return FALSE;
  gabn_net_forward (net, chw, 1);
  memcpy (embedding, gabn_net_embeddings (net), sizeof (float) * gabn_net_embedding_dim (net));
  return TRUE;
}

gboolean
gabn_explorer_identity_centre (GabnNet *net, const GabnDataset *dataset, int identity,
                               int skip_image, float *centre, GError **error)
{
  int d = gabn_net_embedding_dim (net);
  const GabnIdentity *id = &dataset->identities[identity];
  g_autofree float *e = g_new (float, d);
  int used = 0;

  memset (centre, 0, sizeof (float) * d);
  for (int i = 0; i < id->n_images && used < GABN_EXPLORER_CENTRE_PHOTOS; i++)
    {
      int img = id->first_image + i;
      double norm = 0;

      if (img == skip_image && id->n_images > 1)
        continue;
      if (!gabn_explorer_embed (net, dataset, img, e, error))
        return FALSE;
      for (int k = 0; k < d; k++)
        norm += (double) e[k] * e[k];
      norm = sqrt (norm) + 1e-12;
      for (int k = 0; k < d; k++)
        centre[k] += (float) (e[k] / norm);
      used++;
    }
  return TRUE;
}

gboolean
gabn_explorer_cam (GabnNet *net, const GabnDataset *dataset, int image, int label,
                   const float *ref, GabnCamMethod method, float *map, float *score,
                   GError **error)
{
  g_autofree float *chw = load_input (net, dataset, image, error);

  if (chw == NULL)
    return FALSE;
  gabn_gam_compute (net, chw, 1, method, label >= 0 ? &label : NULL,
                    label >= 0 ? NULL : ref, map, score, NULL);
  return TRUE;
}

double
gabn_explorer_top_n_mask (const float *map, int cells, int n, guint8 *mask)
{
  g_autofree int *top = g_new (int, MAX (1, cells));
  double inside = 0, total = 0;
  int got = gabn_cam_top_n (map, cells, n, top);

  memset (mask, 0, cells);
  for (int i = 0; i < cells; i++)
    total += MAX (map[i], 0.0f);
  for (int i = 0; i < got; i++)
    {
      mask[top[i]] = 1;
      inside += MAX (map[top[i]], 0.0f);
    }
  return total > 0 ? inside / total : (double) got / MAX (1, cells);
}

void
gabn_cam_result_free (GabnCamResult *result)
{
  if (result == NULL)
    return;
  g_free (result->map);
  g_free (result->p);
  g_free (result);
}

GabnCamResult *
gabn_explorer_compute (GabnNet *net, const int *labels, const GabnDataset *dataset,
                       const GabnCamRequest *req, GError **error)
{
  int d = gabn_net_embedding_dim (net), c, h, w, label = -1, identity;
  g_autofree float *ref = g_new (float, d);
  g_autoptr(GabnCamResult) result = g_new0 (GabnCamResult, 1);
  gboolean ok = TRUE;

  if (req->image < 0 || req->image >= dataset->n_images)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("The dataset has no image %d"), req->image);
      return NULL;
    }
  if (gabn_net_get_training (net))
    gabn_net_set_training (net, FALSE);
  if (req->layer[0] != '\0')
    {
      GabnCamResult *at_layer;

      if (!gabn_net_set_feature_layer (net, req->layer, error))
        return NULL;
      {
        GabnCamRequest at_default = *req;

        at_default.layer[0] = '\0';
        at_layer = gabn_explorer_compute (net, labels, dataset, &at_default, error);
      }
      gabn_net_set_feature_layer (net, NULL, NULL);
      return at_layer;
    }
  gabn_net_feature_shape (net, &c, &h, &w);
  result->h = h;
  result->w = w;
  result->map = g_new (float, h * w);
  result->p = g_new (float, h * w);
  if (req->target_kind == GABN_TARGET_REFERENCE)
    ok = gabn_explorer_embed (net, dataset, req->target, ref, error);
  else
    {
      identity = req->target_kind == GABN_TARGET_OWN
                 ? dataset->images[req->image].identity : req->target;
      if (identity < 0 || identity >= dataset->n_identities)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("This image has no identity: choose a reference face as the target"));
          return NULL;
        }
      label = labels[identity];
      if (label < 0)
        ok = gabn_explorer_identity_centre (net, dataset, identity, req->image, ref, error);
    }
  if (!ok || !gabn_explorer_cam (net, dataset, req->image, label, ref, req->method,
                                 result->map, &result->score, error))
    return NULL;
  gabn_cam_normalise (result->p, result->map, 1, h * w);
  result->region50 = gabn_cam_region_size (result->p, h * w, 0.5);
  result->region80 = gabn_cam_region_size (result->p, h * w, 0.8);
  return g_steal_pointer (&result);
}
