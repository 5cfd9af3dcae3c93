/* gabn-image-cache.h: a bounded, thread-safe cache of decoded, resized RGB
 * images keyed by dataset index. It fills until its byte limit and then
 * keeps what it has: training reads the images in a new order each epoch,
 * for which evicting (LRU or FIFO) would only churn. Private. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GabnImageCache GabnImageCache;

GabnImageCache *gabn_image_cache_new (gsize max_bytes);
void gabn_image_cache_free (GabnImageCache *cache);

/* Copies the cached image into rgb (n bytes) and returns TRUE on a hit. */
gboolean gabn_image_cache_get (GabnImageCache *cache, int key, guint8 *rgb, gsize n);

/* Stores a copy when there is room. */
void gabn_image_cache_put (GabnImageCache *cache, int key, const guint8 *rgb, gsize n);

void gabn_image_cache_stats (GabnImageCache *cache, gint64 *hits, gint64 *misses,
                             gsize *bytes);

G_END_DECLS
