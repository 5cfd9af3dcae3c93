/* gabn-batcher.h: the training input pipeline — sampling, decoding in worker
 * threads ahead of the trainer, a bounded cache of decoded images.
 * CONTRACT shared by the data pipeline, the trainer and the app.
 *
 * A batcher is an endless stream of batches over a list of (image, label)
 * entries. Epoch e is a seeded ordering of the entries (per the sampling
 * mode); batch k of the stream is entries [k·B, (k+1)·B) of the epochs laid
 * end to end (batches per epoch = max(1, n / B), the remainder dropped), so
 * every batch is full and the stream depends only on the seed, never on
 * thread timing. Workers decode batches ahead of the consumer into a
 * bounded queue (queue_depth batches); decoded images (before flip and
 * normalisation: resized RGB bytes) are kept in a cache of cache_bytes.
 *
 * An image that cannot be decoded does not end the stream: it is recorded
 * in the dataset (gabn_dataset_get_bad) and the next readable entry of the
 * list takes its place in the batch, so batches stay full and still depend
 * only on the seed (and on which files are bad).
 *
 * Threading: gabn_batcher_next / _release are called from one consumer
 * thread. Workers never call the progress or any user callback. */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

/* A bounded, thread-safe cache of decoded, resized images (RGB bytes keyed
 * by dataset index and size). It fills up to max_bytes and then keeps what
 * it has: training visits the images in a new order each epoch, for which
 * evicting would only churn. One cache may serve several batchers, in turn
 * or at once, over the same dataset. */
typedef struct _GabnImageCache GabnImageCache;
GabnImageCache *gabn_image_cache_new (gsize max_bytes);
void gabn_image_cache_free (GabnImageCache *cache);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnImageCache, gabn_image_cache_free)

typedef enum {
  GABN_SAMPLING_SHUFFLE,            /* a seeded permutation of the entries */
  GABN_SAMPLING_IDENTITY_BALANCED,  /* each label equally likely; images of a
                                       label cycled in a seeded order */
  GABN_SAMPLING_GROUP_BALANCED,     /* each group equally likely, then a label
                                       of it, then an image of that label */
} GabnSampling;

typedef struct {
  int          size;         /* input size S (pixels); default 64 */
  int          batch_size;   /* B; default 64 */
  GabnSampling sampling;     /* default GABN_SAMPLING_SHUFFLE */
  gboolean     flip;         /* random horizontal flip, p = 0.5; default TRUE */
  guint64      seed;         /* default 1 */
  int          threads;      /* decoding threads; default 2 (<= 0: 1) */
  int          queue_depth;  /* batches decoded ahead; default 3 */
  gsize        cache_bytes;  /* decoded-image cache; default 256 MiB, 0 = none */
  /* Added after the first contract (zero by gabn_batcher_config_init): */
  gint64       first_batch;  /* the stream starts at this batch number, as if
                                the earlier ones had been taken (resuming);
                                nothing before it is decoded */
  GabnImageCache *cache;     /* borrowed, shared cache (e.g. one batcher per
                                epoch keeping its decoded images); when set,
                                used instead of an own cache of cache_bytes */
  GabnPreprocess preprocess; /* the model's (gabn_net_get_preprocess); width
                                0 (gabn_batcher_config_init): the built-ins'
                                (x − 127.5)/127.5 at `size` */
} GabnBatcherConfig;

typedef struct {
  int    batch_size;    /* B */
  int    size;          /* S */
  float *input;         /* B×3×S×S, the model's preprocessing, channels first */
  int   *labels;        /* B class labels (as given in the entries) */
  int   *groups;        /* B groups (dataset->images[i].group) */
  int   *image_index;   /* B dataset image indices */
  guint8 *flipped;      /* B flags: 1 when the image was flipped */
  gint64 number;        /* position in the stream: 0, 1, 2… */
  int    epoch;         /* number / batches_per_epoch */
} GabnBatch;

typedef struct _GabnBatcher GabnBatcher;

void gabn_batcher_config_init (GabnBatcherConfig *config);

/* A batcher over n entries (images[k], labels[k]); labels may be NULL (then
 * the label is the image's identity, or 0 when it has none). The dataset
 * must outlive the batcher. Workers start at once. Errors on an empty
 * list, bad indices or sizes. */
GabnBatcher *gabn_batcher_new (const GabnDataset *dataset,
                               const int *images, const int *labels, int n,
                               const GabnBatcherConfig *config,
                               GError **error);

/* Stops the workers (waits for them) and frees every batch. */
void gabn_batcher_free (GabnBatcher *batcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnBatcher, gabn_batcher_free)

int gabn_batcher_batches_per_epoch (GabnBatcher *batcher);

/* The next batch of the stream, waiting for the workers if needed. NULL with
 * an error when no image of the list can be decoded (the batcher is then
 * finished: later calls fail too) or when cancellable is cancelled
 * (GABN_ERROR_CANCELLED). Hand each batch back with
 * gabn_batcher_release once used (at most queue_depth may be held). */
GabnBatch *gabn_batcher_next (GabnBatcher *batcher, GCancellable *cancellable,
                              GError **error);
void gabn_batcher_release (GabnBatcher *batcher, GabnBatch *batch);

/* Cache statistics (for the benchmark and tests). */
void gabn_batcher_cache_stats (GabnBatcher *batcher, gint64 *hits,
                               gint64 *misses, gsize *bytes);

/* Synchronous helper for evaluation: loads n images (dataset indices) into
 * out (n×3×S×S floats, S = pre->width, the model's preprocessing) on
 * `threads` threads (<= 0: gabn_get_threads()), flipped when flip is set.
 * Fails with the first error (naming the file) or on cancel. */
gboolean gabn_dataset_load_images (const GabnDataset *dataset,
                                   const int *indices, int n,
                                   const GabnPreprocess *pre, gboolean flip,
                                   float *out, int threads,
                                   GCancellable *cancellable, GError **error);
/* The same, skipping unreadable images instead of failing: their inputs
 * are zeros and bad[i] is set to 1 (0 for the others); each is recorded in
 * the dataset. Fails only on cancel. */
gboolean gabn_dataset_load_images_skipping (const GabnDataset *dataset,
                                            const int *indices, int n,
                                            const GabnPreprocess *pre,
                                            gboolean flip, float *out,
                                            guint8 *bad, int threads,
                                            GCancellable *cancellable,
                                            GError **error);

G_END_DECLS
