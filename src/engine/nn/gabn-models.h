/* gabn-models.h: the models the project knows by name — the pretrained
 * recognizers the set-up installs (build-aux/fetch-models: "dlib-resnet")
 * and the user's own, found in these folders, first match wins:
 *   $GABN_MODELS_DIR (a search path), the user's data folder
 *   (~/.local/share/gabn-studio/models), the build tree's models/ (an
 *   uninstalled build), then gabn-studio/models in the system data folders
 *   and the install prefix.
 * In a folder: a subfolder with a TF.js weights manifest is a model named
 * after the subfolder; a NAME.safetensors file is a model NAME. Nothing is
 * downloaded: a model that is not installed is simply not listed. */
#pragma once

#include "gabn-engine.h"

G_BEGIN_DECLS

typedef struct {
  char *name;       /* "dlib-resnet" */
  char *path;       /* the file or folder gabn_model_load opens */
  char *kind;       /* "tfjs" or "safetensors" */
  char *arch;       /* "dlib-resnet", "gabn-s"…, or NULL when unknown */
  int   input_size; /* 150…, 0 when unknown */
} GabnModelInfo;

void gabn_model_info_free (GabnModelInfo *info);

/* The folders searched, in order (a new NULL-terminated array). */
char **gabn_models_dirs (void);

/* Every known model, in search order, names unique: a GPtrArray of
 * GabnModelInfo (it frees them). */
GPtrArray *gabn_models_list (void);

/* The path of the model called name, or NULL. */
char *gabn_models_find (const char *name);

G_END_DECLS
