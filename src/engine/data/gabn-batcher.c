/* gabn-batcher.c: worker threads decode whole batches ahead of the consumer
 * into a ring of queue_depth slots. Batch k's content depends only on the
 * seed and k (its entries come from the epoch ordering, its flips from a
 * stream keyed by k), so any thread may build it. */
#include "gabn-batcher.h"
#include "gabn-data-util.h"
#include "gabn-image.h"
#include "gabn-image-cache.h"
#include "gabn-rng.h"
#include "gabn-sampler.h"

#include <string.h>

typedef enum { SLOT_FREE, SLOT_FILLING, SLOT_READY, SLOT_HELD } SlotState;

typedef struct {
  GabnBatch batch;
  SlotState state;
  GError   *error;      /* set when building this batch failed */
} Slot;

struct _GabnBatcher {
  const GabnDataset *ds;
  GabnBatcherConfig config;
  int   n;
  int  *images, *labels, *groups;
  int   batches_per_epoch;
  GabnSampler *sampler;
  GabnImageCache *cache;   /* NULL when off or pointless (in-memory pixels) */
  gboolean owns_cache;

  GMutex lock;
  GCond  cond;
  Slot  *slots;
  gint64 next_to_fill, next_to_consume;
  gboolean stop;
  GError *failed;          /* once set, the batcher is finished */
  GThread **threads;
  int n_threads;

  /* Epoch orderings in use, epoch → int[batches_per_epoch × B]. */
  GMutex orders_lock;
  GHashTable *orders;
};

void
gabn_batcher_config_init (GabnBatcherConfig *config)
{
  *config = (GabnBatcherConfig) {
    .size = 64,
    .batch_size = 64,
    .sampling = GABN_SAMPLING_SHUFFLE,
    .flip = TRUE,
    .seed = 1,
    .threads = 2,
    .queue_depth = 3,
    .cache_bytes = (gsize) 256 << 20,
  };
}

/* The ordering of an epoch, computed once by whichever thread needs it. */
static const int *
epoch_order (GabnBatcher *b, int epoch)
{
  int *order;

  g_mutex_lock (&b->orders_lock);
  order = g_hash_table_lookup (b->orders, GINT_TO_POINTER (epoch + 1));
  if (order == NULL)
    {
      int length = b->batches_per_epoch * b->config.batch_size;
      GHashTableIter iter;
      gpointer key;
      int oldest_needed;

      order = g_new (int, length);
      gabn_sampler_epoch (b->sampler, epoch, order, length);
      g_hash_table_insert (b->orders, GINT_TO_POINTER (epoch + 1), order);
      /* Drop the orderings no batch can need any more. */
      g_mutex_lock (&b->lock);
      oldest_needed = (int) (b->next_to_consume / b->batches_per_epoch);
      g_mutex_unlock (&b->lock);
      g_hash_table_iter_init (&iter, b->orders);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (GPOINTER_TO_INT (key) - 1 < oldest_needed - 1)
          g_hash_table_iter_remove (&iter);
    }
  g_mutex_unlock (&b->orders_lock);
  return order;
}

static gboolean
load_rgb_cached (GabnBatcher *b, int image, guint8 *rgb, GError **error)
{
  if (b->cache && gabn_image_cache_get (b->cache, image, b->config.size, rgb))
    return TRUE;
  if (!gabn_dataset_load_rgb (b->ds, image, b->config.size, rgb, error))
    return FALSE;
  if (b->cache)
    gabn_image_cache_put (b->cache, image, b->config.size, rgb);
  return TRUE;
}

/* Entry `entry`'s image, or when it cannot be read the next readable
 * entry's (in list order, wrapping): a deterministic choice, so a batch
 * depends only on the seed and on which files are bad. The bad image is
 * recorded in the dataset (gabn_dataset_load_rgb does it). Fails only when
 * no entry at all can be read. */
static gboolean
load_or_substitute (GabnBatcher *b, int *entry, guint8 *rgb, GError **error)
{
  g_autoptr(GError) first_error = NULL;

  for (int k = 0; k < b->n; k++)
    {
      int e = (*entry + k) % b->n;
      GError *local = NULL;

      if (load_rgb_cached (b, b->images[e], rgb, &local))
        {
          *entry = e;
          return TRUE;
        }
      if (first_error == NULL)
        first_error = local;
      else
        g_error_free (local);
    }
  g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
               _("None of the %d images could be read (%s)"), b->n,
               first_error->message);
  return FALSE;
}

static gboolean
fill_batch (GabnBatcher *b, GabnBatch *batch, gint64 number, GError **error)
{
  int B = b->config.batch_size, S = b->config.size;
  int epoch = (int) (number / b->batches_per_epoch);
  int first = (int) (number % b->batches_per_epoch) * B;
  const int *order = epoch_order (b, epoch);
  g_autofree guint8 *rgb = g_malloc ((gsize) S * S * 3);
  GabnRng rng;

  gabn_rng_init (&rng, b->config.seed, 0xf11b, (guint64) number, 0);
  batch->number = number;
  batch->epoch = epoch;
  for (int j = 0; j < B; j++)
    {
      int entry = order[first + j];
      gboolean flip = b->config.flip && gabn_rng_uniform (&rng) < 0.5;
      if (!load_or_substitute (b, &entry, rgb, error))
        return FALSE;
      gabn_image_to_input (rgb, &b->config.preprocess, flip,
                           batch->input + (gsize) j * 3 * S * S);
      batch->labels[j] = b->labels[entry];
      batch->groups[j] = b->groups[entry];
      batch->image_index[j] = b->images[entry];
      batch->flipped[j] = flip;
    }
  return TRUE;
}

static gpointer
worker (gpointer data)
{
  GabnBatcher *b = data;

  g_mutex_lock (&b->lock);
  for (;;)
    {
      Slot *slot = NULL;
      gint64 number;
      GError *error = NULL;
      gboolean ok;

      while (!b->stop)
        {
          if (b->next_to_fill < b->next_to_consume + b->config.queue_depth)
            {
              /* Batch k always lives in slot k mod depth. */
              Slot *s = &b->slots[b->next_to_fill % b->config.queue_depth];
              if (s->state == SLOT_FREE)
                {
                  slot = s;
                  break;
                }
            }
          g_cond_wait (&b->cond, &b->lock);
        }
      if (b->stop)
        break;
      number = b->next_to_fill++;
      slot->state = SLOT_FILLING;
      g_mutex_unlock (&b->lock);

      ok = fill_batch (b, &slot->batch, number, &error);

      g_mutex_lock (&b->lock);
      if (!ok)
        slot->error = error;
      slot->state = SLOT_READY;
      g_cond_broadcast (&b->cond);
    }
  g_mutex_unlock (&b->lock);
  return NULL;
}

GabnBatcher *
gabn_batcher_new (const GabnDataset *ds, const int *images, const int *labels, int n,
                  const GabnBatcherConfig *config, GError **error)
{
  GabnBatcherConfig defaults;
  GabnBatcher *b;
  int B, S;

  if (config == NULL)
    {
      gabn_batcher_config_init (&defaults);
      config = &defaults;
    }
  B = config->batch_size;
  S = config->size;
  if (n <= 0 || B <= 0 || S <= 0 || S > 4096 || (guint) config->sampling > GABN_SAMPLING_GROUP_BALANCED)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   n <= 0 ? _("No images to train on") : _("Invalid batch settings"));
      return NULL;
    }
  for (int i = 0; i < n; i++)
    if (images[i] < 0 || images[i] >= ds->n_images)
      {
        g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                     _("No image %d in the dataset (it has %d)"), images[i], ds->n_images);
        return NULL;
      }

  b = g_new0 (GabnBatcher, 1);
  b->ds = ds;
  b->config = *config;
  b->config.threads = MAX (1, config->threads);
  b->config.queue_depth = MAX (1, config->queue_depth);
  if (b->config.preprocess.width == 0)
    gabn_preprocess_init_builtin (&b->config.preprocess, S);
  else if (b->config.preprocess.width != S)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("Invalid batch settings"));
      g_free (b);
      return NULL;
    }
  b->n = n;
  b->images = g_memdup2 (images, sizeof (int) * n);
  b->labels = g_new (int, n);
  b->groups = g_new (int, n);
  for (int i = 0; i < n; i++)
    {
      const GabnImage *im = &ds->images[images[i]];
      b->labels[i] = labels ? labels[i] : MAX (im->identity, 0);
      b->groups[i] = im->group;
    }
  b->batches_per_epoch = MAX (1, n / B);
  b->sampler = gabn_sampler_new (config->sampling, b->labels, b->groups, n, config->seed);
  if (ds->pixels && ds->pixel_size == S)
    b->cache = NULL; /* in-memory pixels at the right size: a copy is all it costs */
  else if (config->cache)
    b->cache = config->cache;
  else if (config->cache_bytes > 0)
    {
      b->cache = gabn_image_cache_new (config->cache_bytes);
      b->owns_cache = TRUE;
    }
  b->config.cache = NULL;
  b->config.first_batch = MAX (0, config->first_batch);
  b->next_to_fill = b->next_to_consume = b->config.first_batch;
  g_mutex_init (&b->orders_lock);
  b->orders = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);

  g_mutex_init (&b->lock);
  g_cond_init (&b->cond);
  b->slots = g_new0 (Slot, b->config.queue_depth);
  for (int s = 0; s < b->config.queue_depth; s++)
    {
      GabnBatch *batch = &b->slots[s].batch;
      batch->batch_size = B;
      batch->size = S;
      batch->input = g_new (float, (gsize) B * 3 * S * S);
      batch->labels = g_new (int, B);
      batch->groups = g_new (int, B);
      batch->image_index = g_new (int, B);
      batch->flipped = g_new (guint8, B);
    }
  b->n_threads = b->config.threads;
  b->threads = g_new0 (GThread *, b->n_threads);
  for (int t = 0; t < b->n_threads; t++)
    b->threads[t] = g_thread_new ("gabn-batcher", worker, b);
  return b;
}

void
gabn_batcher_free (GabnBatcher *b)
{
  if (b == NULL)
    return;
  g_mutex_lock (&b->lock);
  b->stop = TRUE;
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
  for (int t = 0; t < b->n_threads; t++)
    g_thread_join (b->threads[t]);
  for (int s = 0; s < b->config.queue_depth; s++)
    {
      GabnBatch *batch = &b->slots[s].batch;
      g_free (batch->input);
      g_free (batch->labels);
      g_free (batch->groups);
      g_free (batch->image_index);
      g_free (batch->flipped);
      g_clear_error (&b->slots[s].error);
    }
  g_clear_error (&b->failed);
  g_free (b->slots);
  g_free (b->threads);
  g_mutex_clear (&b->lock);
  g_cond_clear (&b->cond);
  g_hash_table_unref (b->orders);
  g_mutex_clear (&b->orders_lock);
  if (b->owns_cache)
    gabn_image_cache_free (b->cache);
  gabn_sampler_free (b->sampler);
  g_free (b->images);
  g_free (b->labels);
  g_free (b->groups);
  g_free (b);
}

int
gabn_batcher_batches_per_epoch (GabnBatcher *b)
{
  return b->batches_per_epoch;
}

GabnBatch *
gabn_batcher_next (GabnBatcher *b, GCancellable *cancellable, GError **error)
{
  Slot *slot;

  g_mutex_lock (&b->lock);
  slot = &b->slots[b->next_to_consume % b->config.queue_depth];
  for (;;)
    {
      if (b->failed)
        {
          g_propagate_error (error, g_error_copy (b->failed));
          g_mutex_unlock (&b->lock);
          return NULL;
        }
      if (gabn_data_cancelled (cancellable, error))
        {
          g_mutex_unlock (&b->lock);
          return NULL;
        }
      if (slot->state == SLOT_READY && slot->batch.number == b->next_to_consume)
        break;
      if (slot->state == SLOT_HELD)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("Too many batches held: release them before asking for more"));
          g_mutex_unlock (&b->lock);
          return NULL;
        }
      /* Wake up now and then to notice a cancellation. */
      g_cond_wait_until (&b->cond, &b->lock, g_get_monotonic_time () + 20 * G_TIME_SPAN_MILLISECOND);
    }
  if (slot->error)
    {
      /* The batcher is finished: stop the workers, keep the error. */
      b->failed = g_steal_pointer (&slot->error);
      b->stop = TRUE;
      g_cond_broadcast (&b->cond);
      g_propagate_error (error, g_error_copy (b->failed));
      g_mutex_unlock (&b->lock);
      return NULL;
    }
  slot->state = SLOT_HELD;
  b->next_to_consume++;
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
  return &slot->batch;
}

void
gabn_batcher_release (GabnBatcher *b, GabnBatch *batch)
{
  g_mutex_lock (&b->lock);
  for (int s = 0; s < b->config.queue_depth; s++)
    if (&b->slots[s].batch == batch && b->slots[s].state == SLOT_HELD)
      b->slots[s].state = SLOT_FREE;
  g_cond_broadcast (&b->cond);
  g_mutex_unlock (&b->lock);
}

void
gabn_batcher_cache_stats (GabnBatcher *b, gint64 *hits, gint64 *misses, gsize *bytes)
{
  if (b->cache)
    gabn_image_cache_stats (b->cache, hits, misses, bytes);
  else
    {
      if (hits)
        *hits = 0;
      if (misses)
        *misses = 0;
      if (bytes)
        *bytes = 0;
    }
}

/* gabn_dataset_load_images: a shared counter hands out indices to threads. */
typedef struct {
  const GabnDataset *ds;
  const int *indices;
  int n;
  const GabnPreprocess *pre;
  gboolean flip;
  float *out;
  guint8 *bad;          /* when set: skip unreadable images, mark them here */
  GCancellable *cancellable;
  gint next;
  GMutex lock;
  GError *error;
} LoadWork;

static gpointer
load_worker (gpointer data)
{
  LoadWork *w = data;
  gsize floats = (gsize) 3 * w->pre->width * w->pre->width;

  for (;;)
    {
      int i = g_atomic_int_add (&w->next, 1);
      GError *error = NULL;
      if (i >= w->n || g_atomic_pointer_get (&w->error) != NULL)
        break;
      if (!gabn_data_cancelled (w->cancellable, &error)
          && !gabn_dataset_load_image (w->ds, w->indices[i], w->pre, w->flip,
                                       w->out + floats * i, &error)
          && w->bad)
        {
          /* Skipped: zeros, flagged; the dataset has recorded why. */
          memset (w->out + floats * i, 0, floats * sizeof (float));
          w->bad[i] = 1;
          g_clear_error (&error);
        }
      if (error)
        {
          g_mutex_lock (&w->lock);
          if (w->error == NULL)
            g_atomic_pointer_set (&w->error, error);
          else
            g_error_free (error);
          g_mutex_unlock (&w->lock);
          break;
        }
    }
  return NULL;
}

static gboolean
load_images (const GabnDataset *ds, const int *indices, int n,
             const GabnPreprocess *pre, gboolean flip, float *out, guint8 *bad,
             int threads, GCancellable *cancellable, GError **error)
{
  LoadWork w = { ds, indices, n, pre, flip, out, bad, cancellable, 0 };
  GThread **extra;

  if (bad)
    memset (bad, 0, n);
  if (threads <= 0)
    threads = gabn_get_threads ();
  threads = CLAMP (threads, 1, MAX (n, 1));
  g_mutex_init (&w.lock);
  extra = g_new0 (GThread *, threads);
  for (int t = 1; t < threads; t++)
    extra[t] = g_thread_new ("gabn-load", load_worker, &w);
  load_worker (&w);
  for (int t = 1; t < threads; t++)
    g_thread_join (extra[t]);
  g_free (extra);
  g_mutex_clear (&w.lock);
  if (w.error)
    {
      g_propagate_error (error, w.error);
      return FALSE;
    }
  return TRUE;
}

gboolean
gabn_dataset_load_images (const GabnDataset *ds, const int *indices, int n,
                          const GabnPreprocess *pre, gboolean flip, float *out,
                          int threads, GCancellable *cancellable, GError **error)
{
  return load_images (ds, indices, n, pre, flip, out, NULL, threads,
                      cancellable, error);
}

gboolean
gabn_dataset_load_images_skipping (const GabnDataset *ds, const int *indices,
                                   int n, const GabnPreprocess *pre, gboolean flip,
                                   float *out, guint8 *bad, int threads,
                                   GCancellable *cancellable, GError **error)
{
  return load_images (ds, indices, n, pre, flip, out, bad, threads,
                      cancellable, error);
}
