/* gabn-dataset-builder.h: how loaders and the generator assemble a
 * GabnDataset. Images may be added in any order; finishing sorts them so
 * that each identity's images are contiguous (identities by group, then in
 * the order they were added) and remaps the pairs. Private to the data area. */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

typedef struct _GabnDatasetBuilder GabnDatasetBuilder;

GabnDatasetBuilder *gabn_dataset_builder_new (const char *format,
                                              const char *root);
void gabn_dataset_builder_free (GabnDatasetBuilder *builder);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnDatasetBuilder, gabn_dataset_builder_free)

/* The index of the group with this name, added when new. */
int gabn_dataset_builder_group (GabnDatasetBuilder *builder, const char *name);

/* The index of the identity (group, name), added when new. */
int gabn_dataset_builder_identity (GabnDatasetBuilder *builder, int group,
                                   const char *name);

/* Adds an image (path may be NULL for in-memory images) and returns its
 * provisional index (valid for add_pair and find_image until finish).
 * identity may be −1; the image's group is the identity's when it has one. */
int gabn_dataset_builder_image (GabnDatasetBuilder *builder, const char *path,
                                int group, int identity, int age, int gender);

/* The provisional index of the image with this absolute path, or −1. */
int gabn_dataset_builder_find_image (GabnDatasetBuilder *builder,
                                     const char *path);

int gabn_dataset_builder_n_images (GabnDatasetBuilder *builder);
int gabn_dataset_builder_image_identity (GabnDatasetBuilder *builder, int image);

void gabn_dataset_builder_pair (GabnDatasetBuilder *builder, int a, int b,
                                gboolean same, int fold);
int gabn_dataset_builder_n_pairs (GabnDatasetBuilder *builder);
/* The pairs added so far (provisional indices), to adjust their folds. */
GabnPair *gabn_dataset_builder_pairs (GabnDatasetBuilder *builder);
gboolean gabn_dataset_builder_has_pair (GabnDatasetBuilder *builder,
                                        int a, int b);

void gabn_dataset_builder_skip (GabnDatasetBuilder *builder, const char *file,
                                int line, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

void gabn_dataset_builder_set_description (GabnDatasetBuilder *builder,
                                           const char *description);

/* Builds the dataset (the builder is then empty). Groups without images are
 * dropped (and recorded as skipped); fails when no image remains. */
GabnDataset *gabn_dataset_builder_finish (GabnDatasetBuilder *builder,
                                          GError **error);

G_END_DECLS
