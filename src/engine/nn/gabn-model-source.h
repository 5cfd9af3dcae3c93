/* gabn-model-source.h: the named tensors of a model file, whatever holds
 * them (a safetensors file, a torch.save checkpoint), and the one mapping
 * of those names onto a built-in architecture. Engine-internal: the
 * importers use it; users call gabn_model_load. */
#pragma once

#include "gabn-net.h"

G_BEGIN_DECLS

typedef struct {
  const char *path;      /* the file, for messages */
  gpointer data;
  guint n_tensors;
  /* Tensor i's name, dimensions and shape (owned by data). */
  const char *(*tensor) (gpointer data, guint i, int *ndim, const gint64 **shape);
  /* The index of the tensor called name, or -1. */
  int (*find) (gpointer data, const char *name);
  /* Tensor i as float32, its numel elements, into dst; errors name the file. */
  gboolean (*read) (gpointer data, guint i, float *dst, GError **error);
} GabnModelSource;

/* A net of architecture arch (NULL: inferred from the names and shapes),
 * with every tensor it has read from src; extra tensors are ignored, a
 * missing one or a wrong shape is an error naming the file and the tensor.
 * The number of classes is the rows of "arcface.weight" (0 when absent). */
GabnNet *gabn_model_from_source (const GabnModelSource *src, const char *arch,
                                 GError **error);

G_END_DECLS
