/* gabn-onnx-private.h: the state of one ONNX import, shared by the file
 * and graph walk (gabn-onnx.c) and the operator mappers (gabn-onnx-ops.c).
 *
 * Every name of the graph (input, initializer, node output) is a symbol:
 * either an engine value (an activation, with its ONNX shape) or a
 * constant (an initializer or a Constant node's tensor, as floats and as
 * integers). Mappers read their inputs' symbols and append engine nodes. */
#pragma once

#include "gabn-net-private.h"
#include "onnx.pb-c.h"

G_BEGIN_DECLS

#define GABN_ONNX_MIN_OPSET 9
#define GABN_ONNX_MAX_OPSET 17
#define GABN_ONNX_MAX_RANK 8

typedef enum {
  GABN_ONNX_VALUE,
  GABN_ONNX_CONST,
} GabnOnnxSymKind;

typedef struct {
  GabnOnnxSymKind kind;
  int ndim;                        /* ONNX rank; values: 2 (N,C) or 4 (N,C,H,W) */
  gint64 dims[GABN_ONNX_MAX_RANK]; /* values: dims[0] is the batch */
  int value;                       /* VALUE: engine value index */
  gsize numel;                     /* CONST */
  float *f;                        /* CONST: as floats */
  gint64 *i;                       /* CONST: as integers (truncated floats) */
  gboolean owned;                  /* CONST: f and i freed with the symbol */
} GabnOnnxSym;

typedef struct {
  const char *path;
  GabnNet *net;
  GHashTable *syms;      /* name → GabnOnnxSym* */
  GArray *pending;       /* GabnOnnxPending: weights copied in after layout */
  GHashTable *tensor_names;
  int opset;
  const Onnx__NodeProto *node;  /* being mapped, for errors */
  const char *node_name;        /* its name, or a made-up one */
  int node_index;
  int *producer;                /* value index → node index, −1: input */
  gsize folded;                 /* elements of the constants folded so far */
} GabnOnnxBuild;

typedef struct {
  int tensor;
  float *data;   /* owned */
} GabnOnnxPending;

/* Errors about the node being mapped: "FILE: node “NAME” (OP): …". */
gboolean gabn_onnx_node_error (GabnOnnxBuild *b, GError **error, int code,
                               const char *format, ...) G_GNUC_PRINTF (4, 5);

/* The symbol of the node's input `index`: NULL (with an error) when it is
 * missing, not of the wanted kind (nullable: any) or, for an optional
 * input, absent (then *error stays NULL). */
const GabnOnnxSym *gabn_onnx_input (GabnOnnxBuild *b, int index,
                                    gboolean optional, GError **error);
/* Records the node's output `index` as sym (taken). */
void gabn_onnx_set_output (GabnOnnxBuild *b, int index, GabnOnnxSym *sym);
/* A value symbol for engine value v with the given ONNX rank. */
GabnOnnxSym *gabn_onnx_value_sym (GabnOnnxBuild *b, int value, int ndim);
/* A constant symbol holding a copy of n floats with the given dims. */
GabnOnnxSym *gabn_onnx_const_sym (const float *f, const gint64 *dims, int ndim);
/* Registers a parameter of the node ("NODE.suffix") with its data (copied). */
int gabn_onnx_add_tensor (GabnOnnxBuild *b, const char *suffix,
                          GabnTensorKind kind, int ndim, const gint64 *shape,
                          const float *data);

/* Attributes: every attribute of the node must be in `known` (a
 * NULL-terminated list) or the node is refused, naming it. */
gboolean gabn_onnx_check_attributes (GabnOnnxBuild *b, const char *const *known,
                                     GError **error);
const Onnx__AttributeProto *gabn_onnx_attribute (GabnOnnxBuild *b, const char *name);
gboolean gabn_onnx_attr_int (GabnOnnxBuild *b, const char *name, gint64 fallback,
                             gint64 *out, GError **error);
gboolean gabn_onnx_attr_float (GabnOnnxBuild *b, const char *name, float fallback,
                               float *out, GError **error);
/* ints: n (in: the capacity, out: the count; 0 when absent). */
gboolean gabn_onnx_attr_ints (GabnOnnxBuild *b, const char *name, gint64 *out,
                              int *n, GError **error);
/* A string attribute, or fallback when absent. */
const char *gabn_onnx_attr_string (GabnOnnxBuild *b, const char *name,
                                   const char *fallback, GError **error);
/* A TensorProto as a constant symbol (FLOAT, DOUBLE, INT32, INT64). */
GabnOnnxSym *gabn_onnx_tensor_to_sym (GabnOnnxBuild *b, const Onnx__TensorProto *t,
                                      const char *what, GError **error);

/* Evaluates an operator on constants (gabn-onnx-fold.c); *handled is
 * FALSE when the operator is not one of them. */
gboolean gabn_onnx_fold_node (GabnOnnxBuild *b, gboolean *handled, GError **error);

/* Maps the node onto engine nodes (gabn-onnx-ops.c). */
gboolean gabn_onnx_map_node (GabnOnnxBuild *b, GError **error);

G_END_DECLS
