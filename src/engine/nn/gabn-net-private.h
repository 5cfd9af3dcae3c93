/* gabn-net-private.h: how a GabnNet is built and run. A net is a list of
 * nodes (layers) reading and writing values (activations); architectures
 * are built by appending nodes (gabn-arch.c), and one forward/backward
 * interpreter runs any of them (gabn-net-run.c). */
#pragma once

#include "gabn-net.h"
#include "gabn-layers.h"
#include "gabn-rng.h"

G_BEGIN_DECLS

typedef enum {
  GABN_NODE_CONV,
  GABN_NODE_BATCHNORM,
  GABN_NODE_RELU,
  GABN_NODE_PRELU,
  GABN_NODE_ADD,
  GABN_NODE_FLATTEN,
  GABN_NODE_DROPOUT,
  GABN_NODE_LINEAR,
  /* Imported graphs (src/engine/import) and dlib's ResNet add these: */
  GABN_NODE_AFFINE,      /* x·scale[c] + shift[c]: weight = scale, bias = shift */
  GABN_NODE_PAD,         /* pad[4] = top, left, bottom, right; p = the value */
  GABN_NODE_MAXPOOL,     /* conv: in/out sizes, kernel, stride, pad */
  GABN_NODE_AVGPOOL,     /* the same, padding counted (count_include_pad) */
  GABN_NODE_GLOBALPOOL,  /* mean over h×w */
  GABN_NODE_ZERO_PAD,    /* zeros after the input's channels, rows, columns
                            (dlib's shortcuts, gabn-net-blocks.c) */
} GabnNodeKind;

typedef enum {
  GABN_INIT_ZERO,
  GABN_INIT_CONSTANT,  /* value */
  GABN_INIT_UNIFORM,   /* U(−value, value) */
  GABN_INIT_NORMAL,    /* N(0, value²) */
} GabnInitKind;

/* An activation, per image c×h×w, stored for `capacity` images. */
typedef struct {
  int c, h, w;
  float *data;
  float *grad;        /* lent by the gradient pool (gabn-grad-pool.c) while
                         a backward pass needs it; NULL otherwise */
  gsize grad_floats;  /* grad's size: a pooled buffer may be larger */
  gboolean transient; /* data points into a shared buffer (training only,
                         gabn-net-transient.c) */
  gboolean stale;     /* skipped by the last eval forward (gabn-net-run.c) */
} GabnValue;

/* A float buffer and its size: pooled gradients (gabn-grad-pool.c),
 * shared activations (gabn-net-transient.c). */
typedef struct {
  float *data;
  gsize floats;
} GabnBuffer;

typedef struct {
  GabnNodeKind kind;
  char *name;                /* the module or ONNX node it comes from; NULL
                                for unnamed ReLU/Flatten… of the built-ins */
  int in, in2, out;          /* value indices (in2: ADD only) */
  int weight, bias;          /* tensor indices, −1 when absent */
  int running_mean, running_var, count;
  GabnConvShape conv;
  int groups;                   /* CONV: 1, or grouped (depthwise) */
  int pad[4];                   /* PAD: top, left, bottom, right */
  float eps, momentum, p;
  gboolean relu;                /* BATCHNORM fused with a ReLU */
  float *save_mean, *save_rstd; /* BATCHNORM, one per channel */
  float *mask;                  /* DROPOUT, capacity × size */
  int *argmax;                  /* MAXPOOL, capacity × output size */
  float *wino_u;                /* CONV: Winograd-transformed weights, kept
                                   in eval mode (training: wino_scratch) */
  guint64 wino_epoch;           /* *params_epoch when wino_u was made */
  float *packed;                /* CONV: wino_u packed, for single images */
  guint64 packed_epoch;         /* *params_epoch when packed was made */
  float *pooled;                /* LINEAR: weights summed per channel of A */
  guint64 pooled_epoch;         /* *params_epoch when pooled was made */
} GabnNode;

typedef struct {
  GabnInitKind kind;
  float value;
  gsize offset;       /* into the parameter or buffer blob */
} GabnTensorInit;

struct _GabnNet {
  char *arch;
  gboolean imported;           /* built from a file's graph, not by gabn_arch_build */
  GabnPreprocess preprocess;
  int input_size;
  int embedding_dim;
  int n_classes;
  guint64 seed;

  GabnTensorInfo *tensors;
  GabnTensorInit *inits;
  int n_tensors, tensors_allocated;
  float *params, *grads, *buffers;
  gsize n_params, n_buffers;
  /* Bumped by every accessor that hands out writable weights, so that
   * weights derived from them (wino_u) are remade before the next use. A
   * pointer so that the const accessors can bump it too. */
  guint64 *params_epoch;

  GabnNode *nodes;
  int n_nodes, nodes_allocated;
  int n_backbone;              /* nodes [0, n_backbone) are the backbone */
  GabnValue *values;
  int n_values, values_allocated;
  int input_value, features_value, embedding_value;
  /* The default feature layer, kept when another is first chosen (0: not yet). */
  int default_features_value, default_n_backbone;


  int capacity;                /* images the values can hold */
  int batch;                   /* images in the last forward */
  gboolean training;
  /* Eval forwards skip the values nobody reads (gabn-net-run.c) unless
   * this is set (tests, and the recomputation of skipped values). */
  gboolean keep_all_values;
  /* Eval forwards take the batch through each layer in turn, never image
   * by image (tests: both give the same bits). */
  gboolean batched_only;
  float *workspace;
  gsize workspace_floats;
  /* Weights made for one use in training (forward's Winograd U or packed
   * panels, backward's transposed U and its weight-gradient sums), shared
   * by every layer: the largest layer's size. */
  float *wino_scratch;
  gsize wino_scratch_floats;
  /* Training's shared buffers of the values nothing reads after the
   * forward (gabn-net-transient.c), NULL when not shared; made for these
   * features_value and n_nodes. */
  GArray *transient_buffers;   /* of GabnBuffer */
  int transient_features, transient_n_nodes;
  GArray *grad_pool;           /* of GabnBuffer, free for the taking */
  gsize grad_floats_held;      /* every gradient buffer, lent or pooled */
  GCancellable *cancellable;   /* checked between layers; NULL: never */
  GabnRng dropout_rng;
};

/* Building (gabn-net.c). Tensors are registered in state_dict order. */
GabnNet *gabn_net_alloc (const char *arch, int input_size, guint64 seed);
int  gabn_net_add_tensor (GabnNet *net, const char *name, GabnTensorKind kind,
                          int ndim, const gint64 *shape, GabnInitKind init,
                          float init_value);
int  gabn_net_add_value (GabnNet *net, int c, int h, int w);
GabnNode *gabn_net_add_node (GabnNet *net, GabnNodeKind kind, int in, int out);
/* Lays out the blobs and initialises every tensor from the seed. */
void gabn_net_finish (GabnNet *net, int n_classes);
/* The nodes and tensor shapes of arch without its class centres, nothing
 * allocated or initialised: what a loader checks a file against before
 * paying for the weights. Finish it with gabn_net_finish, or free it. */
GabnNet *gabn_net_skeleton (const char *arch, GError **error);

/* Layer helpers (gabn-net.c): each appends a node and returns its output. */
int gabn_net_conv (GabnNet *net, const char *name, int in, int out_c,
                   int kernel, int stride, int pad, gboolean bias,
                   GabnInitKind init, float init_value);
/* The same in groups (depthwise when groups = C): weight (O, C/groups, k, k). */
int gabn_net_conv_grouped (GabnNet *net, const char *name, int in, int out_c,
                           int kernel, int stride, int pad, int groups,
                           gboolean bias, GabnInitKind init, float init_value);
int gabn_net_batchnorm (GabnNet *net, const char *name, int in, float eps);
/* BatchNorm then ReLU as one node (same tensors, no separate activation). */
int gabn_net_batchnorm_relu (GabnNet *net, const char *name, int in, float eps);
int gabn_net_relu (GabnNet *net, int in);
int gabn_net_prelu (GabnNet *net, const char *name, int in);
int gabn_net_add (GabnNet *net, int a, int b);
int gabn_net_flatten (GabnNet *net, int in);
int gabn_net_dropout (GabnNet *net, int in, float p);
int gabn_net_linear (GabnNet *net, const char *name, int in, int out_features);
/* The same, without the bias tensor when !has_bias (nn.Linear(bias=False)). */
int gabn_net_linear_bias (GabnNet *net, const char *name, int in,
                          int out_features, gboolean has_bias);
/* Names the last node added (a copy of name). */
void gabn_net_name_last_node (GabnNet *net, const char *name);

/* Blocks of dlib's ResNet (gabn-net-blocks.c); the ONNX importer adds its
 * nodes itself. */
/* Per-channel y = x·NAME/weights[c] + NAME/biases[c] (GABN_NODE_AFFINE). */
int gabn_net_affine (GabnNet *net, const char *name, int in);
int gabn_net_maxpool (GabnNet *net, int in, int kernel, int stride, int pad);
/* Padding counts in the mean (count_include_pad); kernel = h = w with
 * stride 1 is a global average. */
int gabn_net_avgpool (GabnNet *net, int in, int kernel, int stride, int pad);
int gabn_net_zero_pad (GabnNet *net, int in, int c, int h, int w);
/* A Linear layer without bias. */
int gabn_net_linear_no_bias (GabnNet *net, const char *name, int in,
                             int out_features);

/* Architectures (gabn-arch.c): fill nodes and tensors of an allocated net. */
gboolean gabn_arch_build (GabnNet *net, const char *arch, GError **error);
/* The input side of an architecture (64, 112, 150), 0 when unknown. */
int gabn_arch_input_size (const char *arch);
/* dlib's ResNet face recognizer as face-api ships it (gabn-arch-dlib.c). */
void gabn_arch_build_dlib_resnet (GabnNet *net);

/* Running (gabn-net-run.c). */
void gabn_net_ensure_capacity (GabnNet *net, int batch);
/* The weights may be written: derived weights are stale. */
static inline void
gabn_net_params_touched (const GabnNet *net)
{
  (*net->params_epoch)++;
}
/* A value's gradient buffer, taken from the pool (not zeroed) when it has
 * none. */
float *gabn_net_value_grad (GabnNet *net, int value);
void gabn_net_run_forward (GabnNet *net, int first, int last);
void gabn_net_run_backward (GabnNet *net, int first, int last,
                            gboolean param_grads, gboolean want_input_grad);

/* The gradient pool (gabn-grad-pool.c). A value's gradient is needed
 * from the backward of its last reader to that of the node writing it;
 * lending buffers for that span instead of keeping one per value for the
 * whole step saves nearly as much memory as the activations take. */
/* Gives value a buffer for capacity images (not zeroed): the smallest
 * pooled one that fits, else a new one. A no-op when it has one. */
void gabn_grad_pool_take (GabnNet *net, int value);
/* Puts value's buffer back in the pool; a no-op when it has none. */
void gabn_grad_pool_give_back (GabnNet *net, int value);
/* Frees the pooled buffers (the lent ones stay with their values). */
void gabn_grad_pool_trim (GabnNet *net);
/* Frees every gradient buffer, lent or pooled (the capacity changed). */
void gabn_grad_pool_clear (GabnNet *net);

/* Shared activations (gabn-net-transient.c). In training, points the
 * values nothing reads after the forward (not backward, not the callers)
 * into a few shared buffers, each reused once its value's last reader has
 * run; in eval, gives them their own buffers back. Called before every
 * forward. */
void gabn_net_share_transients (GabnNet *net);
/* Forgets the shared buffers: the transient values' data become NULL (the
 * capacity changed, or the net is freed). */
void gabn_net_drop_transients (GabnNet *net);

static inline gsize
gabn_value_size (const GabnValue *v)
{
  return (gsize) v->c * v->h * v->w;
}

G_END_DECLS
