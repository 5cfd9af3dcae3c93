/* gabn-reliance.c: ground-truth reliance per facial region from region
 * swaps (see the header). */
#include "gabn-reliance.h"
#include "gabn-image.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

void
gabn_reliance_free (GabnReliance *r)
{
  if (r == NULL)
    return;
  g_free (r->share);
  g_free (r->movement);
  g_free (r);
}

/* The held-out people of group g, as identity numbers within the group
 * (the generator's order), in order: those with an image in a pair. */
static GArray *
held_out_numbers (const GabnDataset *ds, int g)
{
  g_autofree gboolean *in_pairs = g_new0 (gboolean, ds->n_identities);
  GArray *numbers = g_array_new (FALSE, FALSE, sizeof (int));
  int number = 0;

  for (int p = 0; p < ds->n_pairs; p++)
    {
      in_pairs[ds->images[ds->pairs[p].a].identity] = TRUE;
      in_pairs[ds->images[ds->pairs[p].b].identity] = TRUE;
    }
  for (int i = 0; i < ds->n_identities; i++)
    {
      if (ds->identities[i].group != g)
        continue;
      if (in_pairs[i])
        g_array_append_val (numbers, number);
      number++;
    }
  return numbers;
}

static double
one_minus_cos (const float *a, const float *b, int d)
{
  double ab = 0, aa = 0, bb = 0;

  for (int i = 0; i < d; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return 1.0 - ab / (sqrt (aa) * sqrt (bb) + 1e-12);
}

/* Embeds the 1 + R renderings of one photo (original, then one region
 * swapped each) in one batch; emb receives (1 + R) × d. */
static void
embed_swaps (GabnNet *net, const GabnSynthConfig *c, int g, int number,
             int photo, int donor, guint8 *rgb, guint8 *resized, float *input,
             float *emb)
{
  const int R = GABN_SYNTH_N_REGIONS, S = gabn_net_input_size (net);
  int d = gabn_net_embedding_dim (net);

  for (int k = 0; k <= R; k++)
    {
      guint regions = k == 0 ? 0 : 1u << (k - 1);
      gabn_synth_render_swapped (c, g, number, photo, regions, donor, rgb);
      gabn_image_resize (rgb, c->size, c->size, c->size * 3, resized, S, S);
      gabn_image_to_input (resized, gabn_net_get_preprocess (net), FALSE,
                           input + (gsize) k * 3 * S * S);
    }
  gabn_net_forward (net, input, R + 1);
  memcpy (emb, gabn_net_embeddings (net), sizeof (float) * (R + 1) * d);
}

GabnReliance *
gabn_reliance_compute (GabnNet *net, const GabnDataset *ds, int max_people,
                       int photos, GCancellable *cancellable, GError **error)
{
  const int R = GABN_SYNTH_N_REGIONS, S = gabn_net_input_size (net);
  const GabnSynthConfig *c = ds->synth;
  int d = gabn_net_embedding_dim (net);
  gboolean was_training = gabn_net_get_training (net);
  g_autoptr(GabnReliance) r = NULL;
  g_autofree guint8 *rgb = NULL, *resized = NULL;
  g_autofree float *input = NULL, *emb = NULL;

  if (c == NULL)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("reliance needs the built-in synthetic faces (their ground truth)"));
      return NULL;
    }
  r = g_new0 (GabnReliance, 1);
  r->n_groups = ds->n_groups;
  r->share = g_new (double, (gsize) ds->n_groups * R);
  r->movement = g_new (double, (gsize) ds->n_groups * R);
  rgb = g_malloc ((gsize) c->size * c->size * 3);
  resized = g_malloc ((gsize) S * S * 3);
  input = g_new (float, (gsize) (R + 1) * 3 * S * S);
  emb = g_new (float, (gsize) (R + 1) * d);
  photos = CLAMP (photos, 1, c->images);
  gabn_net_set_training (net, FALSE);

  for (int g = 0; g < ds->n_groups; g++)
    {
      g_autoptr(GArray) people = held_out_numbers (ds, g);
      int n = MIN ((int) people->len, max_people), count = 0;
      double *move = r->movement + (gsize) g * R, total = 0;

      memset (move, 0, sizeof (double) * R);
      for (int i = 0; i < n && people->len >= 2; i++)
        {
          int number = g_array_index (people, int, i);
          int donor = g_array_index (people, int, (i + 1) % people->len);
          for (int ph = 0; ph < photos; ph++)
            {
              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                {
                  gabn_net_set_training (net, was_training);
                  return NULL;
                }
              embed_swaps (net, c, g, number, ph, donor, rgb, resized, input, emb);
              for (int k = 0; k < R; k++)
                move[k] += one_minus_cos (emb, emb + (gsize) (k + 1) * d, d);
              count++;
            }
        }
      r->n_photos_per_group = MAX (r->n_photos_per_group, count);
      for (int k = 0; k < R; k++)
        {
          move[k] = count > 0 ? move[k] / count : NAN;
          total += move[k];
        }
      for (int k = 0; k < R; k++)
        r->share[(gsize) g * R + k] = count > 0 && total > 0 ? move[k] / total : NAN;
    }
  gabn_net_set_training (net, was_training);
  return g_steal_pointer (&r);
}
