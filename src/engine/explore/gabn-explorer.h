/* gabn-explorer.h: the explorer's per-face work on top of the GAM
 * (gabn-gam.h, gabn-cam.h): choosing the target embedding, one map with its
 * region sizes, and the Top-N mask with its share of attention. Used by the
 * app's session in worker threads; a net is not thread-safe, so the caller
 * serialises calls on one net. */
#pragma once

#include "gabn-cam.h"
#include "gabn-dataset.h"
#include "gabn-net.h"

G_BEGIN_DECLS

typedef enum {
  GABN_TARGET_OWN,        /* the image's own identity */
  GABN_TARGET_IDENTITY,   /* another identity */
  GABN_TARGET_REFERENCE,  /* cosine to a reference face (a pair) */
} GabnTargetKind;

/* The class label of each dataset identity for net with metadata (its
 * "split", see gabn_split_model_labels); n_identities ints. */
int *gabn_explorer_identity_labels (const GabnNet *net, GHashTable *metadata,
                                    const GabnDataset *dataset);

/* What to map: an image, a method and a target. */
typedef struct {
  int            image;
  GabnCamMethod  method;
  GabnTargetKind target_kind;
  int            target;      /* identity (IDENTITY) or image (REFERENCE) */
  char           layer[256];  /* feature layer ("" = the model's default) */
} GabnCamRequest;

/* One explorer map. */
typedef struct {
  int    h, w;
  float *map;       /* raw CAM, h×w */
  float *p;         /* normalised, h×w */
  float  score;     /* the target score y */
  double region50, region80;
} GabnCamResult;

void gabn_cam_result_free (GabnCamResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnCamResult, gabn_cam_result_free)

/* The map of request on net (put in eval mode: a batch of one has no batch
 * statistics; a request's layer is set for this map only), labels from
 * gabn_explorer_identity_labels for dataset. An identity target without
 * class centre is mapped against the mean embedding of the person's other
 * photos. */
GabnCamResult *gabn_explorer_compute (GabnNet *net, const int *labels,
                                      const GabnDataset *dataset,
                                      const GabnCamRequest *request, GError **error);

/* The embedding of one image (d floats). */
gboolean gabn_explorer_embed (GabnNet *net, const GabnDataset *dataset, int image,
                              float *embedding, GError **error);

/* The reference embedding for an identity without class centre: the mean of
 * the normalised embeddings of up to GABN_EXPLORER_CENTRE_PHOTOS of its
 * images, skipping skip_image when it has others. */
#define GABN_EXPLORER_CENTRE_PHOTOS 8
gboolean gabn_explorer_identity_centre (GabnNet *net, const GabnDataset *dataset,
                                        int identity, int skip_image, float *centre,
                                        GError **error);

/* The CAM of one image against a class (label >= 0) or a reference
 * embedding (ref, when label < 0). map: h×w of the net's feature grid. */
gboolean gabn_explorer_cam (GabnNet *net, const GabnDataset *dataset, int image,
                            int label, const float *ref, GabnCamMethod method,
                            float *map, float *score, GError **error);

/* Marks the n cells with the largest values in mask (cells bytes) and
 * returns the share of the map's mass inside them. */
double gabn_explorer_top_n_mask (const float *map, int cells, int n, guint8 *mask);

G_END_DECLS
