/* gabn-mean-faces.h: the mean face of each group (a template under the
 * group's mean attention map): the pixel mean of some of its photos. Decodes
 * images, so it runs in a worker thread. */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

typedef struct _GabnMeanFaces GabnMeanFaces;

/* An empty accumulator for n_groups faces of size×size. */
GabnMeanFaces *gabn_mean_faces_new (int n_groups, int size);
void           gabn_mean_faces_free (GabnMeanFaces *faces);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnMeanFaces, gabn_mean_faces_free)

/* Adds image (of dataset) to its group's mean; FALSE when it cannot be
 * read or has no group (then nothing is added). */
gboolean gabn_mean_faces_add (GabnMeanFaces *faces, const GabnDataset *dataset, int image);
/* Images added to group g. */
int      gabn_mean_faces_count (const GabnMeanFaces *faces, int g);
/* The means: n_groups × size × size × 3 bytes (black for a group without
 * an image); free with g_free. */
guint8  *gabn_mean_faces_finish (const GabnMeanFaces *faces);

/* The mean of the first per_group readable photos of each group of
 * dataset (per_group 1: the group's first readable face). */
guint8  *gabn_mean_faces_of_groups (const GabnDataset *dataset, int size, int per_group,
                                    GCancellable *cancellable);

G_END_DECLS
