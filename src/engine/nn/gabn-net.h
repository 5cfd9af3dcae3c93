/* gabn-net.h: face recognition networks (backbone → feature maps A → head →
 * embedding) with the ArcFace/CosFace class centres, one parameter blob and
 * one gradient blob. CONTRACT shared by the engine, the GABN method, the CLI
 * and the app: change it only with all of them in mind.
 *
 * Layout: tensors are NCHW float32. Parameters use PyTorch's names and
 * layouts (DESIGN.md section 4). A net is built for a batch capacity that
 * grows on demand; its activations are kept from forward for backward.
 *
 * Not thread-safe: one net is used by one thread at a time. */
#pragma once

#include "gabn-engine.h"

G_BEGIN_DECLS

typedef struct _GabnNet GabnNet;

/* What a named tensor is: a trainable parameter, or a buffer (BatchNorm
 * running statistics, num_batches_tracked) saved but not trained. */
typedef enum {
  GABN_TENSOR_PARAM,
  GABN_TENSOR_BUFFER,
} GabnTensorKind;

typedef struct {
  const char    *name;      /* PyTorch name, e.g. "backbone.1.running_var" */
  GabnTensorKind kind;
  int            ndim;
  gint64         shape[4];
  gsize          numel;
  float         *data;      /* into the parameter or buffer blob */
  float         *grad;      /* into the gradient blob; NULL for buffers */
  gboolean       trainable; /* FALSE e.g. iresnet features.weight (fixed 1) */
  gboolean       is_integer;/* num_batches_tracked: saved as I64 */
} GabnTensorInfo;

typedef enum {
  GABN_MARGIN_ARCFACE, /* s·cos(θ_y + m), InsightFace's threshold handling */
  GABN_MARGIN_COSFACE, /* s·(cos θ_y − m) */
} GabnMarginKind;

typedef struct {
  GabnMarginKind kind;
  float s;               /* scale, default 64 */
  float m;               /* margin, default 0.5 (ArcFace) or 0.35 (CosFace) */
  gboolean easy_margin;  /* ArcFace: apply the margin only where cos θ > 0 */
} GabnMarginConfig;

/* How an image becomes the net's input: resized (bilinearly) to width ×
 * height, channels in RGB order or BGR when bgr, then per channel
 * x' = (x − mean[c]) · scale[c] in 0..255 units, channels first. mean and
 * scale are in the model's channel order. The built-in architectures use
 * (x − 127.5)/127.5 RGB at their input size (dlib-resnet: face-api's
 * (x − [122.782, 117.001, 104.298])/255 RGB at 150×150); imported ONNX models
 * InsightFace's convention (the same, at the graph's input size), or 0 and 1
 * when the graph subtracts and scales itself (docs/IMPORT.md). */
typedef struct {
  int width, height;
  gboolean bgr;
  float mean[3];
  float scale[3];
} GabnPreprocess;

const GabnPreprocess *gabn_net_get_preprocess (const GabnNet *net);
void gabn_net_set_preprocess (GabnNet *net, const GabnPreprocess *pre);
/* (x − 127.5)/127.5, RGB, size × size: the built-ins' preprocessing. */
void gabn_preprocess_init_builtin (GabnPreprocess *pre, int size);

/* The names of the trainable built-in architectures: "gabn-s",
 * "iresnet18", "iresnet34", "iresnet50"; NULL-terminated. gabn_net_new
 * also builds "dlib-resnet" (dlib's face recognizer, 150×150, its own
 * preprocessing, weights from gabn-tfjs.h), which is not offered for
 * training. */
const char *const *gabn_net_architectures (void);

/* A new net with seeded deterministic initialisation (same seed, same
 * weights). n_classes may be 0 (no class centres: an embedding-only model). */
GabnNet *gabn_net_new (const char *arch, int n_classes, guint64 seed,
                       GError **error);
void     gabn_net_free (GabnNet *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnNet, gabn_net_free)

/* A copy with the same architecture, parameters and buffers (for the app's
 * explorer while a trainer works on the original). */
GabnNet *gabn_net_copy (const GabnNet *net);

const char *gabn_net_arch (const GabnNet *net);
/* Every net reads RGB images: input batches are B × GABN_INPUT_CHANNELS × S × S. */
#define GABN_INPUT_CHANNELS 3
int  gabn_net_input_size (const GabnNet *net);      /* 64, 112 or 150 */
int  gabn_net_embedding_dim (const GabnNet *net);   /* 128 or 512 */
int  gabn_net_n_classes (const GabnNet *net);
/* The feature maps A at the last conv stage, per image: C×h×w. */
void gabn_net_feature_shape (const GabnNet *net, int *c, int *h, int *w);

/* A layer whose output can serve as the feature maps A of a GAM: a node
 * with a name whose output has more than one cell (h·w > 1). */
typedef struct {
  const char *name;  /* owned by the net */
  int c, h, w;
} GabnFeatureLayer;

/* The net's feature-map layers in the order they run (n_layers receives
 * their number); free the array with g_free. */
GabnFeatureLayer *gabn_net_feature_layers (const GabnNet *net, int *n_layers);
/* The layer A is taken at: by default the last feature map before the head
 * (built-ins: their documented A; imported graphs: the last node with a
 * feature-map output after which nothing reads an earlier value). NULL for
 * a built-in's default when its node has no name. */
const char *gabn_net_feature_layer (const GabnNet *net);
/* Takes A at the named layer (one of gabn_net_feature_layers; NULL: back
 * to the default) from now on:
 * gabn_net_feature_shape, _features, backward_head and the GAMs follow.
 * For GAMs (eval mode); training keeps the default. The input gradient of
 * backward_backbone is complete only when nothing after the layer reads an
 * earlier value (the default always satisfies this). */
gboolean gabn_net_set_feature_layer (GabnNet *net, const char *name,
                                     GError **error);
/* TRUE for a net built from an imported graph (ONNX): it has no
 * architecture to rebuild, is not trained here, and cannot be saved. */
gboolean gabn_net_is_imported (const GabnNet *net);

/* FLOPs of one image's forward pass (2 per multiply-add of the
 * convolutions and Linear layers); a training step is about 3×. For
 * benchmarks. */
double gabn_net_forward_flops (const GabnNet *net);

/* The bytes a net holds now, by what for (the optimiser's state is not the
 * net's). For benchmarks: where a training step's memory goes. */
typedef struct {
  gsize activations;   /* every value's data, for the batch capacity */
  gsize value_grads;   /* the values' gradient buffers, lent or pooled */
  gsize parameters;    /* the parameter, gradient and buffer blobs */
  gsize workspace;     /* the convolutions' scratch (im2col, Winograd) */
  gsize derived;       /* weights kept in Winograd or packed form */
  gsize layer_state;   /* BatchNorm's saved statistics, dropout masks,
                          max-pool argmax */
} GabnNetMemory;
void gabn_net_memory (const GabnNet *net, GabnNetMemory *memory);

/* Tensors, in PyTorch's state_dict order, class centres ("arcface.weight",
 * n_classes×d) last. Blobs: every PARAM lives in one contiguous float blob
 * and its gradient at the same offset in the gradient blob.
 *
 * Writing weights: in eval mode the net keeps weights derived from them
 * (the Winograd form of its 3×3 convolutions) until one of the accessors
 * below that hands out writable data (gabn_net_tensor, _find_tensor,
 * _params, _set_training, _set_n_classes) is called again. So write through
 * a pointer fetched after the last forward, or fetch one again before the
 * next forward. Training mode has no such rule. */
int    gabn_net_n_tensors (const GabnNet *net);
const GabnTensorInfo *gabn_net_tensor (const GabnNet *net, int index);
const GabnTensorInfo *gabn_net_find_tensor (const GabnNet *net, const char *name);
gsize  gabn_net_n_params (const GabnNet *net);
float *gabn_net_params (GabnNet *net);
float *gabn_net_grads (GabnNet *net);
void   gabn_net_zero_grad (GabnNet *net);
/* Changes the number of classes (new centres initialised from the seed);
 * used when a loaded model is trained on a new dataset. */
gboolean gabn_net_set_n_classes (GabnNet *net, int n_classes, guint64 seed,
                                 GError **error);
/* Class centres, n_classes×d, row-major (the ArcFace weight, not normalised). */
float *gabn_net_class_centres (GabnNet *net);

/* Training mode: BatchNorm uses batch statistics and updates running
 * statistics, Dropout is active. Eval mode (the default): running
 * statistics, no dropout. */
void gabn_net_set_training (GabnNet *net, gboolean training);
gboolean gabn_net_get_training (const GabnNet *net);

/* Mid-step cancellation for a GUI's Stop: while cancellable (NULL: none)
 * is cancelled, forward and backward passes stop between layers and return
 * with their activations and gradients unfinished; gabn_net_cancelled ()
 * tells, and the caller discards what the pass made (gabn_step_compute
 * restores the BatchNorm statistics it had moved). */
void     gabn_net_set_cancellable (GabnNet *net, GCancellable *cancellable);
gboolean gabn_net_cancelled (const GabnNet *net);

/* ---- Forward ---------------------------------------------------------- */

/* input: batch×3×S×S normalised ((x − 127.5) / 127.5). Runs backbone and
 * head; keeps activations for backward. */
void gabn_net_forward (GabnNet *net, const float *input, int batch);
/* Backbone only: input → A. */
void gabn_net_forward_backbone (GabnNet *net, const float *input, int batch);
/* Head only: A (as currently stored, possibly modified in place through
 * gabn_net_features) → embedding. Replaces the head's saved activations. */
void gabn_net_forward_head (GabnNet *net);

int          gabn_net_batch (const GabnNet *net);
/* batch×C×h×w, writable (Top-N erasing modifies it before forward_head). */
float       *gabn_net_features (GabnNet *net);
/* batch×d, the embedding before L2 normalisation. */
const float *gabn_net_embeddings (const GabnNet *net);

/* ---- Backward --------------------------------------------------------- */

/* Head backward from d(loss)/d(embedding) (batch×d) to d/dA (batch×C×h×w,
 * written to d_features, overwritten not accumulated). When accumulate is
 * TRUE the head's parameter gradients are accumulated (+=); when FALSE they
 * are left untouched (a GAM's gradient is not a training gradient). */
void gabn_net_backward_head (GabnNet *net, const float *d_embeddings,
                             float *d_features, gboolean accumulate);
/* Grad-CAM's channel weights alpha (batch×C) = mean over each channel's h×w
 * cells of ∂y/∂A, without forming ∂y/∂A: in eval mode, for a head of
 * per-channel layers, Flatten and one Linear (every built-in architecture).
 * Parameter gradients are untouched. FALSE, with nothing computed, in
 * training mode or for another head: use gabn_net_backward_head then. */
gboolean gabn_net_backward_head_pooled (GabnNet *net, const float *d_embeddings,
                                        float *alpha);
/* Backbone backward from d/dA, accumulating parameter gradients. When
 * d_input is not NULL it receives d/d(input) (batch×3×S×S). */
void gabn_net_backward_backbone (GabnNet *net, const float *d_features,
                                 float *d_input);

/* ---- Margin heads ----------------------------------------------------- */

/* Mean softmax cross-entropy of the margin logits against labels, from the
 * current embeddings. Writes d(loss)/d(embedding) (batch×d) into
 * d_embeddings (scaled by `weight`, overwritten) and accumulates
 * weight·d(loss)/d(centres) into the centres' gradient. Returns the loss
 * (unweighted). Labels index class centres. */
float gabn_net_margin_loss (GabnNet *net, const GabnMarginConfig *margin,
                            const int *labels, float weight,
                            float *d_embeddings);

/* Cosine of each embedding to class centre classes[i] (the GAM target
 * y = cos θ), with dy/d(embedding) written to d_embeddings (batch×d). */
void gabn_net_cosine_to_class (GabnNet *net, const int *classes,
                               float *cosines, float *d_embeddings);

/* Default margins: ArcFace s=64 m=0.5, CosFace s=64 m=0.35. */
void gabn_margin_config_init (GabnMarginConfig *margin, GabnMarginKind kind);

G_END_DECLS
