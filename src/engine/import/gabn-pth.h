/* gabn-pth.h: PyTorch checkpoints (.pth, .pt) as torch.save writes them
 * since PyTorch 1.6: a zip holding <archive>/data.pkl (a pickle, read as
 * data only by gabn-pickle.c) and one record <archive>/data/<key> per
 * storage. The state_dict is found at the top level or one of a few levels
 * down ({"state_dict": …}, {"model": …}, arcface_torch's plain backbone
 * state_dict), DataParallel's "module." prefixes removed; tensors may be
 * float32, float16, bfloat16 or float64 views (strides, offsets, shared
 * storages) and are read as float32. Every size and offset is checked
 * against the records before anything is allocated. */
#pragma once

#include "gabn-net.h"
#include "gabn-dtype.h"
#include "gabn-pickle.h"

G_BEGIN_DECLS

typedef struct _GabnPth GabnPth;

typedef struct {
  char *name;                       /* "module." prefixes removed */
  GabnDtype dtype;                  /* UNKNOWN: listed, but cannot be read */
  const char *type_name;            /* the storage type, e.g. "HalfStorage" */
  int ndim;
  gint64 shape[GABN_PICKLE_MAX_DIMS];
  gsize numel;
} GabnPthTensor;

/* TRUE when path is a torch.save zip or a legacy (pickle-format) torch
 * checkpoint: then gabn_pth_load_model reads it or says why not. */
gboolean gabn_pth_sniff (const char *path);

/* Opens a checkpoint and checks every tensor of its state_dict. Errors
 * (GABN_ERROR) name the file: NOT_FOUND, INVALID_FILE (a damaged zip, no
 * data.pkl, a view past its storage…), UNSUPPORTED (a forbidden global or
 * opcode, the legacy format). */
GabnPth *gabn_pth_open (const char *path, GError **error);
void gabn_pth_free (GabnPth *pth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnPth, gabn_pth_free)

guint gabn_pth_n_tensors (const GabnPth *pth);
const GabnPthTensor *gabn_pth_tensor (const GabnPth *pth, guint i);
int gabn_pth_find (const GabnPth *pth, const char *name);   /* -1: absent */
/* Where the state_dict was ("" for the top level, else e.g. "state_dict")
 * and the prefix removed from its names (NULL: none). */
const char *gabn_pth_state_dict_key (const GabnPth *pth);
const char *gabn_pth_removed_prefix (const GabnPth *pth);

/* Tensor i as float32, row-major, numel elements. */
gboolean gabn_pth_read (GabnPth *pth, guint i, float *dst, GError **error);

/* gabn_model_load for checkpoints: the architecture is arch_hint, else
 * inferred from the names and shapes. metadata (nullable out) gets a new
 * table with "imported" saying where the tensors came from. */
GabnNet *gabn_pth_load_model (const char *path, const char *arch_hint,
                              GHashTable **metadata, GError **error);

G_END_DECLS
