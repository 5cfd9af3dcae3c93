/* gabn-train-maps.c: training-mode GAMs for the per-epoch diagnostics. */
#include "gabn-train-maps.h"
#include "gabn-batcher.h"
#include "gabn-gam.h"

#include <glib/gi18n.h>
#include <string.h>

/* BatchNorm running statistics to (or back from) snapshot. */
static gsize
buffers_copy (GabnNet *net, float *snapshot, gboolean restore)
{
  gsize off = 0;

  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      if (t->kind != GABN_TENSOR_BUFFER)
        continue;
      if (snapshot && restore)
        memcpy (t->data, snapshot + off, sizeof (float) * t->numel);
      else if (snapshot)
        memcpy (snapshot + off, t->data, sizeof (float) * t->numel);
      off += t->numel;
    }
  return off;
}

/* One pass over the batches: embeddings into emb (n×d) when refs is NULL
 * and classes is NULL, else the maps into P. */
static gboolean
pass (GabnNet *net, const GabnDataset *ds, const int *images, const int *classes,
      const float *refs, int n, GabnCamMethod method, int batch_size,
      int threads, GCancellable *cancellable, float *emb, float *P,
      GError **error)
{
  int S = gabn_net_input_size (net), d = gabn_net_embedding_dim (net), C, h, w;
  int n_batches = (n + batch_size - 1) / batch_size, start = 0;
  g_autofree float *input = NULL, *cam = NULL;

  gabn_net_feature_shape (net, &C, &h, &w);
  input = g_new (float, (gsize) (n / n_batches + 1) * 3 * S * S);
  cam = g_new (float, (gsize) (n / n_batches + 1) * h * w);
  for (int k = 0; k < n_batches; k++)
    {
      int b = n / n_batches + (k < n % n_batches ? 1 : 0);

      if (!gabn_dataset_load_images (ds, images + start, b, gabn_net_get_preprocess (net), FALSE, input,
                                     threads, cancellable, error))
        return FALSE;
      if (!classes && !refs)
        {
          gabn_net_forward (net, input, b);
          memcpy (emb + (gsize) start * d, gabn_net_embeddings (net),
                  sizeof (float) * b * d);
        }
      else
        {
          gabn_gam_compute (net, input, b, method, classes ? classes + start : NULL,
                            refs ? refs + (gsize) start * d : NULL, cam, NULL, NULL);
          gabn_cam_normalise (P + (gsize) start * h * w, cam, b, h * w);
        }
      start += b;
    }
  return TRUE;
}

gboolean
gabn_train_maps (GabnNet *net, const GabnDataset *ds, const int *images,
                 const int *classes, int n, GabnCamMethod method,
                 int batch_size, int threads, GCancellable *cancellable,
                 float *P, GError **error)
{
  gboolean was_training = gabn_net_get_training (net), ok;
  g_autofree float *snapshot = g_new (float, MAX (buffers_copy (net, NULL, FALSE), 1));
  g_autofree float *refs = NULL;
  int d = gabn_net_embedding_dim (net);

  if (n < 2)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("training-mode maps need at least 2 images"));
      return FALSE;
    }
  batch_size = CLAMP (batch_size, 2, n);
  buffers_copy (net, snapshot, FALSE);
  gabn_net_set_training (net, TRUE);
  if (classes)
    ok = pass (net, ds, images, classes, NULL, n, method, batch_size, threads,
               cancellable, NULL, P, error);
  else
    {
      g_autofree float *emb = g_new (float, (gsize) n * d);
      g_autofree double *sum = NULL;
      g_autoptr(GHashTable) slot = g_hash_table_new (g_direct_hash, g_direct_equal);
      g_autofree int *id_slot = g_new (int, n);
      g_autofree int *count = g_new0 (int, n);
      int n_ids = 0;

      ok = pass (net, ds, images, NULL, NULL, n, method, batch_size, threads,
                 cancellable, emb, NULL, error);
      if (ok)
        {
          /* Each identity's mean embedding over the images given. */
          sum = g_new0 (double, (gsize) n * d);
          for (int i = 0; i < n; i++)
            {
              int id = ds->images[images[i]].identity;
              gpointer found;

              if (id >= 0 && g_hash_table_lookup_extended (slot, GINT_TO_POINTER (id),
                                                           NULL, &found))
                id_slot[i] = GPOINTER_TO_INT (found);
              else
                {
                  id_slot[i] = n_ids++;
                  if (id >= 0)
                    g_hash_table_insert (slot, GINT_TO_POINTER (id),
                                         GINT_TO_POINTER (id_slot[i]));
                }
              count[id_slot[i]]++;
              for (int j = 0; j < d; j++)
                sum[(gsize) id_slot[i] * d + j] += emb[(gsize) i * d + j];
            }
          refs = g_new (float, (gsize) n * d);
          for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
              refs[(gsize) i * d + j] =
                (float) (sum[(gsize) id_slot[i] * d + j] / count[id_slot[i]]);
          ok = pass (net, ds, images, NULL, refs, n, method, batch_size, threads,
                     cancellable, NULL, P, error);
        }
    }
  buffers_copy (net, snapshot, TRUE);
  gabn_net_set_training (net, was_training);
  return ok;
}
