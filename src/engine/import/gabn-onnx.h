/* gabn-onnx.h: ONNX models (InsightFace's model zoo, PyTorch exports) opened
 * as engine nets, node by node (docs/IMPORT.md lists the operators).
 *
 * The file is parsed with protobuf-c; the graph is checked and mapped in
 * full before the net is returned, so a model either loads completely or
 * not at all. Errors name the file and, for a graph problem, the node and
 * its operator. The net has no class centres: its embedding is the graph's
 * output. Its preprocessing is InsightFace's (gabn-net.h). */
#pragma once

#include "gabn-net.h"

G_BEGIN_DECLS

/* TRUE when path should be read as ONNX: its name ends in ".onnx", or its
 * first bytes are a protobuf ModelProto's rather than a safetensors
 * header. */
gboolean gabn_onnx_is_onnx_file (const char *path);

/* metadata (nullable out): a new string → string table with
 * "onnx_producer" (e.g. "pytorch 1.13.1") and "onnx_opset". */
GabnNet *gabn_onnx_load (const char *path, GHashTable **metadata,
                         GError **error);

G_END_DECLS
