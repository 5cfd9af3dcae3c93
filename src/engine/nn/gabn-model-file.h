/* gabn-model-file.h: a net saved as a safetensors file with its metadata.
 * CONTRACT shared by the engine, the CLI and the app.
 *
 * Tensors keep PyTorch's names; "__metadata__" holds string values: "arch",
 * "groups" (a JSON list), "train_config" (JSON), "eval" (JSON), "split"
 * (JSON: the held-out identities used for evaluation) and any other keys the
 * caller sets. Writes are atomic: a temporary file in the same folder, fsync,
 * rename — an existing file is never left half-written. */
#pragma once

#include "gabn-dtype.h"
#include "gabn-net.h"

G_BEGIN_DECLS

/* Loads a model. An ONNX file (gabn-onnx.h: by its name or content) is
 * imported as it is (arch_hint unused, metadata "onnx_producer" and
 * "onnx_opset"); a PyTorch checkpoint through gabn-pth.h. path may also be
 * the name of a known model ("dlib-resnet", gabn-models.h) when no file has
 * that name, or a TF.js weights manifest or its folder (gabn-tfjs.h); such a
 * model's metadata holds "arch" and "format" ("tfjs"). Otherwise the architecture comes from the metadata's
 * "arch", else from arch_hint, else is inferred from the tensor names and
 * shapes. The
 * number of classes is the rows of "arcface.weight" (0 when absent).
 * metadata (nullable out) receives a new GHashTable of string → string.
 * Errors name the file and say what is wrong (truncated, bad header, unknown
 * dtype, missing tensor, wrong shape...). */
GabnNet *gabn_model_load (const char *path, const char *arch_hint,
                          GHashTable **metadata, GError **error);

/* Saves every tensor of net (and "arch" in the metadata, plus the entries of
 * metadata, which may be NULL). Atomic. */
gboolean gabn_model_save (GabnNet *net, const char *path,
                          GHashTable *metadata, GError **error);
/* The same with the float tensors stored as dtype: GABN_DTYPE_F32, or
 * GABN_DTYPE_F16 (half the size; for the models shipped with the app). */
gboolean gabn_model_save_as (GabnNet *net, const char *path,
                             GHashTable *metadata, GabnDtype dtype,
                             GError **error);

G_END_DECLS
