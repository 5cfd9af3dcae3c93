/* gabn-shared.h: a dataset and a model as the app shares them between the
 * main thread and its workers: reference-counted (atomic) holders with a
 * title, and for a model the lock that serialises use of its net. */
#pragma once

#include <gio/gio.h>
#include "gabn-dataset.h"
#include "gabn-net.h"

G_BEGIN_DECLS

/* A dataset shared read-only between the UI and workers (atomic refcount). */
typedef struct {
  GabnDataset *dataset;
  char        *title;       /* folder name, or "Synthetic faces (preset)" */
  guint        serial;      /* unique per opened dataset in this process */
} GabnSharedDataset;

GabnSharedDataset *gabn_shared_dataset_new (GabnDataset *dataset, const char *title);
GabnSharedDataset *gabn_shared_dataset_ref (GabnSharedDataset *shared);
void               gabn_shared_dataset_unref (GabnSharedDataset *shared);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnSharedDataset, gabn_shared_dataset_unref)

/* A model shared between the UI and workers; `lock` serialises use of net
 * (a net is not thread-safe). */
typedef struct {
  GabnNet    *net;
  GMutex      lock;
  char       *title;        /* file name, or "New gabn-s model" */
  char       *path;         /* NULL when not from a file */
  GHashTable *metadata;     /* string → string, may be NULL */
  /* The net's feature-map layers (gabn_net_feature_layers), read when the
   * holder is made; "name (C×H×W)" labels in layer_labels. Immutable. */
  char      **layers;
  char      **layer_labels;
  int         default_layer; /* index in layers of the default, or -1 */
  /* Under lock: class label of each identity of the dataset whose serial
   * is labels_for (explorer). */
  int        *labels;
  guint       labels_for;
} GabnSharedModel;

GabnSharedModel *gabn_shared_model_new (GabnNet *net, const char *title, const char *path,
                                        GHashTable *metadata);
GabnSharedModel *gabn_shared_model_ref (GabnSharedModel *shared);
void             gabn_shared_model_unref (GabnSharedModel *shared);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnSharedModel, gabn_shared_model_unref)

G_END_DECLS
