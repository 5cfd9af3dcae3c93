/* gabn-pickle.h: a restricted reader of the pickle inside a torch.save
 * checkpoint (data.pkl). It reads DATA ONLY: numbers, strings, tuples,
 * lists, dicts, and the few torch globals a state_dict of tensors needs,
 * each turned into a value here. Nothing in the file is ever called or
 * imported; any other global or opcode is refused with an error naming the
 * file, the opcode or global and its byte offset. */
#pragma once

#include "gabn-engine.h"
#include "gabn-dtype.h"

G_BEGIN_DECLS

#define GABN_PICKLE_MAX_DIMS 8

typedef enum {
  GABN_PICKLE_NONE,
  GABN_PICKLE_BOOL,
  GABN_PICKLE_INT,
  GABN_PICKLE_FLOAT,
  GABN_PICKLE_STRING,
  GABN_PICKLE_BYTES,
  GABN_PICKLE_TUPLE,
  GABN_PICKLE_LIST,
  GABN_PICKLE_DICT,     /* dict or collections.OrderedDict, insertion order */
  GABN_PICKLE_GLOBAL,   /* one of the allowed names, not yet applied */
  GABN_PICKLE_STORAGE,  /* a persistent id ('storage', type, key, location, numel) */
  GABN_PICKLE_TENSOR,   /* torch._utils._rebuild_tensor_v2 (…) */
} GabnPickleKind;

typedef struct _GabnPickleValue GabnPickleValue;

typedef struct {
  GabnDtype dtype;          /* GABN_DTYPE_UNKNOWN: a storage type we cannot convert */
  gsize elsize;             /* bytes per element */
  const char *type_name;    /* e.g. "FloatStorage" */
  const char *key;          /* its record: <archive>/data/<key> */
  gint64 numel;             /* elements, as the pickle says */
} GabnPickleStorage;

typedef struct {
  const GabnPickleValue *storage;   /* kind STORAGE */
  gint64 offset;                    /* in elements */
  int ndim;
  gint64 shape[GABN_PICKLE_MAX_DIMS];
  gint64 stride[GABN_PICKLE_MAX_DIMS];
} GabnPickleTensor;

struct _GabnPickleValue {
  GabnPickleKind kind;
  union {
    gboolean b;
    gint64 i;
    double f;
    struct { char *data; gsize len; } str;   /* STRING (UTF-8, no NUL) and BYTES */
    GPtrArray *items;                        /* TUPLE, LIST: GabnPickleValue */
    struct { GPtrArray *keys, *values; } dict;
    int global;                              /* index in the allow-list */
    GabnPickleStorage storage;
    GabnPickleTensor tensor;
  };
};

typedef struct _GabnPickle GabnPickle;

/* Reads the pickle in data. path names the checkpoint and entry the record
 * (e.g. "archive/data.pkl") in error messages: "<path>: <entry>: …". */
GabnPickle *gabn_pickle_load (const guint8 *data, gsize size, const char *path,
                              const char *entry, GError **error);
void gabn_pickle_free (GabnPickle *pickle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnPickle, gabn_pickle_free)

/* The object the pickle describes (owned by pickle). */
const GabnPickleValue *gabn_pickle_root (const GabnPickle *pickle);

/* The value of key in a DICT, or NULL (string keys only). */
const GabnPickleValue *gabn_pickle_dict_get (const GabnPickleValue *dict,
                                             const char *key);
/* "dict", "tensor", …: for messages. */
const char *gabn_pickle_kind_name (GabnPickleKind kind);

G_END_DECLS
