/* gabn-image-cache.h: a bounded, thread-safe cache of decoded, resized RGB
 * images keyed by dataset index. It fills until its byte limit and then
 * keeps what it has: training reads the images in a new order each epoch,
 * for which evicting (LRU or FIFO) would only churn. Private. */
#pragma once

#include "gabn-batcher.h"

G_BEGIN_DECLS

/* gabn_image_cache_new / _free are public (gabn-batcher.h). Keys combine the
 * image index and the size, so a cache shared across sizes stays right. */

/* Copies the cached image into rgb (n bytes) and returns TRUE on a hit. */
gboolean gabn_image_cache_get (GabnImageCache *cache, int image, int size, guint8 *rgb);

/* Stores a copy when there is room. */
void gabn_image_cache_put (GabnImageCache *cache, int image, int size, const guint8 *rgb);

void gabn_image_cache_stats (GabnImageCache *cache, gint64 *hits, gint64 *misses,
                             gsize *bytes);

G_END_DECLS
