/* gabn-safetensors.h: a checked reader of safetensors files (the model
 * file's container; the tests read their PyTorch fixtures with it too).
 * Opening maps the file and validates the whole header: every entry's dtype,
 * shape and data range, and that metadata values are strings. */
#pragma once

#include "gabn-engine.h"
#include "gabn-dtype.h"

G_BEGIN_DECLS

#define GABN_SAFETENSORS_MAX_DIMS 8

typedef struct {
  char *name;
  GabnDtype dtype;
  int ndim;
  gint64 shape[GABN_SAFETENSORS_MAX_DIMS];
  gsize numel;
  gsize begin, end;  /* byte range in the data section */
} GabnSafetensorsEntry;

typedef struct _GabnSafetensors GabnSafetensors;

/* Errors (GABN_ERROR) name the file: NOT_FOUND when it does not exist,
 * INVALID_FILE for structure, UNSUPPORTED for unknown dtypes. */
GabnSafetensors *gabn_safetensors_open (const char *path, GError **error);
void gabn_safetensors_free (GabnSafetensors *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnSafetensors, gabn_safetensors_free)

const char *gabn_safetensors_path (const GabnSafetensors *st);
/* string → string, owned by st. */
GHashTable *gabn_safetensors_metadata (const GabnSafetensors *st);
guint gabn_safetensors_n_entries (const GabnSafetensors *st);
const GabnSafetensorsEntry *gabn_safetensors_entry (const GabnSafetensors *st, guint i);
const GabnSafetensorsEntry *gabn_safetensors_find (const GabnSafetensors *st,
                                                   const char *name);
/* Converts an entry's elements to float (entry->numel of them). */
void gabn_safetensors_read (const GabnSafetensors *st,
                            const GabnSafetensorsEntry *entry, float *dst);
/* "[a, b, c]", newly allocated. */
char *gabn_safetensors_shape_string (int ndim, const gint64 *shape);

/* Sets error to "<file>: <message>" and returns FALSE. */
gboolean gabn_file_error (GError **error, int code, const char *path,
                          const char *format, ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
