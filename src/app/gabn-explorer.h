/* gabn-explorer.h: the explorer's per-image work on top of the engine's GAM
 * (gabn-gam.h, gabn-cam.h): choosing the target embedding, and the Top-N
 * mask with its share of attention. No GTK: runs in worker threads. */
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

/* The class label of each dataset identity for net (n_identities ints, −1
 * when the identity has no class centre): from the "split" in the model's
 * metadata when present, else identity = class when the model has as many
 * classes as the dataset has identities, else all −1. */
int *gabn_explorer_identity_labels (const GabnNet *net, GHashTable *metadata,
                                    const GabnDataset *dataset);

/* The embedding of one image (d floats). */
gboolean gabn_explorer_embed (GabnNet *net, const GabnDataset *dataset, int image,
                              float *embedding, GError **error);

/* The reference embedding for an identity without class centre: the mean of
 * the normalised embeddings of up to 8 of its images, skipping skip_image
 * when it has others. */
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
