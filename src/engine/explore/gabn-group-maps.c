/* gabn-group-maps.c: the maps of a sample of each group, spread over its
 * identities, their statistics (gabn-attention.h) and mean faces. */
#include "config.h"
#include "gabn-group-maps.h"
#include "gabn-attention.h"
#include "gabn-cam.h"
#include "gabn-evaluate.h"
#include "gabn-explorer.h"
#include "gabn-mean-faces.h"
#include "gabn-reliance.h"

#include <string.h>

#define FACE_SIZE 64

void
gabn_group_maps_free (GabnGroupMaps *maps)
{
  if (maps == NULL)
    return;
  g_strfreev (maps->names);
  g_free (maps->n_images);
  g_free (maps->mean_p);
  g_free (maps->templates);
  g_free (maps->region50);
  g_free (maps->region80);
  g_free (maps->js);
  g_free (maps->reliance);
  g_free (maps);
}

static void
lock (GMutex *net_lock)
{
  if (net_lock != NULL)
    g_mutex_lock (net_lock);
}

static void
unlock (GMutex *net_lock)
{
  if (net_lock != NULL)
    g_mutex_unlock (net_lock);
}

/* One normalised map of image towards centre (eval mode). p: hw floats. */
static gboolean
map_one (GabnNet *net, const GabnDataset *ds, int image, const float *centre, float *p, int hw)
{
  g_autofree float *map = g_new (float, hw);
  float score;

  if (!gabn_explorer_cam (net, ds, image, -1, centre, GABN_CAM_GRADCAM, map, &score, NULL))
    return FALSE;
  gabn_cam_normalise (p, map, 1, hw);
  return TRUE;
}

/* The reliance shares on synthetic data (left NULL otherwise, or when it
 * fails: the maps stand without it). FALSE only when cancelled. */
static gboolean
group_reliance (GabnNet *net, GMutex *net_lock, const GabnDataset *ds, GabnGroupMaps *maps,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GabnReliance) reliance = NULL;
  g_autoptr(GError) local = NULL;
  GabnEvalOptions options;

  if (ds->synth == NULL)
    return TRUE;
  /* The same people and photos as `gabn eval`, so the numbers agree. */
  gabn_eval_options_init (&options);
  lock (net_lock);
  reliance = gabn_reliance_compute (net, ds, options.reliance_people, options.reliance_photos,
                                    cancellable, &local);
  unlock (net_lock);
  if (reliance == NULL)
    {
      if (g_error_matches (local, GABN_ERROR, GABN_ERROR_CANCELLED)
          || g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          || g_cancellable_is_cancelled (cancellable))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_warning ("Reliance not computed: %s", local->message);
      return TRUE;
    }
  maps->reliance = g_steal_pointer (&reliance->share);
  maps->reliance_photos = reliance->n_photos_per_group;
  return TRUE;
}

static GabnGroupMaps *
group_maps_new (const GabnDataset *ds, int h, int w)
{
  GabnGroupMaps *maps = g_new0 (GabnGroupMaps, 1);
  int G = ds->n_groups;

  maps->n_groups = G;
  maps->h = h;
  maps->w = w;
  maps->face_size = FACE_SIZE;
  maps->names = g_new0 (char *, G + 1);
  for (int g = 0; g < G; g++)
    maps->names[g] = g_strdup (ds->groups[g].name);
  maps->n_images = g_new0 (int, MAX (1, G));
  maps->mean_p = g_new0 (float, (gsize) MAX (1, G) * h * w);
  maps->region50 = g_new0 (double, MAX (1, G));
  maps->region80 = g_new0 (double, MAX (1, G));
  maps->js = g_new0 (double, (gsize) MAX (1, G) * G);
  return maps;
}

/* The images of group g, in dataset order; *stride spreads a sample of
 * per_group over its identities. */
static int
group_members (const GabnDataset *ds, int g, int per_group, int *members, int *stride)
{
  int n_members = 0;

  for (int i = 0; i < ds->n_images; i++)
    if (ds->images[i].group == g)
      members[n_members++] = i;
  *stride = MAX (1, n_members / MAX (1, per_group));
  return n_members;
}

GabnGroupMaps *
gabn_group_maps_compute (GabnNet *net, GMutex *net_lock, const GabnDataset *ds, int per_group,
                         GCancellable *cancellable, GError **error)
{
  int c, h, w, G = ds->n_groups, hw, n_maps = 0, centre_of = -1;
  g_autoptr(GabnGroupMaps) maps = NULL;
  g_autoptr(GabnMeanFaces) faces = gabn_mean_faces_new (G, FACE_SIZE);
  g_autofree float *all_p = NULL;
  g_autofree float *centre = g_new (float, gabn_net_embedding_dim (net));
  g_autofree int *map_groups = g_new (int, MAX (1, G * per_group));
  g_autofree int *members = g_new (int, MAX (1, ds->n_images));
  g_autofree gboolean *present = g_new0 (gboolean, MAX (1, G));

  lock (net_lock);
  gabn_net_feature_shape (net, &c, &h, &w);
  unlock (net_lock);
  hw = h * w;
  maps = group_maps_new (ds, h, w);
  all_p = g_new (float, (gsize) MAX (1, G * per_group) * hw);
  for (int g = 0; g < G; g++)
    {
      int stride, n_members = group_members (ds, g, per_group, members, &stride);

      for (int k = 0, taken = 0; k < n_members && taken < per_group; k += stride)
        {
          int image = members[k], identity = ds->images[image].identity;
          gboolean ok;

          if (g_cancellable_set_error_if_cancelled (cancellable, error))
            return NULL;
          if (identity < 0)
            continue;
          /* The target of every map is the same kind, trained person or
           * not: the cosine to the mean embedding of the person's photos. */
          lock (net_lock);
          if (gabn_net_get_training (net))
            gabn_net_set_training (net, FALSE);
          ok = centre_of == identity
               || gabn_explorer_identity_centre (net, ds, identity, -1, centre, NULL);
          centre_of = ok ? identity : -1;
          ok = ok && map_one (net, ds, image, centre, all_p + (gsize) n_maps * hw, hw);
          unlock (net_lock);
          if (!ok || !gabn_mean_faces_add (faces, ds, image))
            continue; /* an unreadable image is skipped, not fatal */
          map_groups[n_maps++] = g;
          taken++;
        }
      present[g] = gabn_mean_faces_count (faces, g) > 0;
    }
  gabn_attention_group_stats (all_p, map_groups, n_maps, hw, G, maps->mean_p,
                              maps->region50, maps->region80, maps->n_images);
  gabn_attention_js_matrix (maps->mean_p, G, hw, present, maps->js);
  maps->templates = gabn_mean_faces_finish (faces);
  if (!group_reliance (net, net_lock, ds, maps, cancellable, error))
    return NULL;
  return g_steal_pointer (&maps);
}
