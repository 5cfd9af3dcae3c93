/* gabn-tfjs.h: TensorFlow.js weights manifests ("…-weights_manifest.json"
 * and its binary shards), as @vladmandic/face-api ships its models. Only
 * the networks this engine knows are mapped (today dlib's ResNet face
 * recognizer, "dlib-resnet"); the manifest says nothing about the graph, so
 * the weights' names pick the architecture.
 *
 * A manifest is a JSON list of groups {"paths": [shard files], "weights":
 * [{"name", "shape", "dtype", "quantization"?}]}; a group's weights lie one
 * after the other in its shards concatenated. dtype float32, raw or
 * quantized as uint8/uint16 with {"scale", "min"} (value = q·scale + min);
 * anything else is refused by name. Shard paths stay inside the manifest's
 * folder. Every weight of the architecture must be there with its shape,
 * and nothing else: nothing half-loads. */
#pragma once

#include "gabn-net.h"

G_BEGIN_DECLS

/* TRUE when path names a manifest (a file whose name ends in
 * "weights_manifest.json") or a folder holding exactly one. */
gboolean gabn_tfjs_is_model (const char *path);

/* The architecture a manifest's weight names describe ("dlib-resnet"), from
 * the manifest alone (no shards read); NULL when unknown or unreadable. */
const char *gabn_tfjs_peek_arch (const char *path);

/* The net described by the manifest at path (or in the folder path), in
 * eval mode, without class centres. Errors name the file and the weight. */
GabnNet *gabn_tfjs_load (const char *path, GError **error);

G_END_DECLS
