/* gabn-group-maps.h: the explorer's view of whole groups. Per group: the
 * mean normalised GAM over up to `per_group` images, the mean face (a
 * template), region sizes, and the JS divergence matrix. The maps are
 * Grad-CAM in eval mode, each image's target being the cosine to the mean
 * embedding of its person's photos (as `gabn eval` measures them). On the
 * built-in synthetic faces, also the ground-truth reliance per facial
 * region (gabn-reliance.h), the yardstick the maps can be checked against. */
#pragma once

#include "gabn-dataset.h"
#include "gabn-net.h"

G_BEGIN_DECLS

typedef struct {
  int     n_groups, h, w, face_size;
  char  **names;         /* n_groups */
  int    *n_images;      /* images used per group */
  float  *mean_p;        /* n_groups × h × w */
  guint8 *templates;     /* n_groups × face_size² × 3 */
  double *region50, *region80;
  double *js;            /* n_groups × n_groups */
  /* n_groups × GABN_SYNTH_N_REGIONS shares summing to 1 per group (NaN for
   * a group without two held-out people); NULL when not synthetic. */
  double *reliance;
  int     reliance_photos;   /* original photos per group behind it */
} GabnGroupMaps;

void gabn_group_maps_free (GabnGroupMaps *maps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnGroupMaps, gabn_group_maps_free)

/* Computes the group maps with net on dataset: seconds of work, for a
 * worker thread. net_lock (may be NULL) is held around each use of net,
 * image by image, so other users of the net can interleave. */
GabnGroupMaps *gabn_group_maps_compute (GabnNet *net, GMutex *net_lock,
                                        const GabnDataset *dataset, int per_group,
                                        GCancellable *cancellable, GError **error);

G_END_DECLS
