/* gabn-sidecar.h: the trainer's sidecar file (MODEL.safetensors.state):
 * float32 tensors that are not part of the model (the GABN discriminator)
 * in the safetensors format (8-byte little-endian header length, JSON
 * header, raw little-endian data), written atomically. */
#pragma once

#include <glib.h>
#include "gabn-engine.h"

G_BEGIN_DECLS

typedef struct {
  const char *name;
  const float *data;
  gsize numel;
} GabnSidecarTensor;

gboolean gabn_sidecar_write (const char *path, const GabnSidecarTensor *tensors,
                             int n_tensors, GHashTable *metadata,
                             GError **error);

/* Reads tensor `name` (F32, numel floats) into out. Errors name the file. */
gboolean gabn_sidecar_read (const char *path, const char *name, float *out,
                            gsize numel, GHashTable **metadata, GError **error);

G_END_DECLS
