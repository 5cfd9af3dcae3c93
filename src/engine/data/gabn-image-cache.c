/* gabn-image-cache.c: see the header. */
#include "gabn-image-cache.h"

#include <string.h>

struct _GabnImageCache {
  GMutex      lock;
  GHashTable *items;   /* (image, size) → size×size×3 bytes */
  gsize       max_bytes, bytes;
  gint64      hits, misses;
};

GabnImageCache *
gabn_image_cache_new (gsize max_bytes)
{
  GabnImageCache *c = g_new0 (GabnImageCache, 1);
  g_mutex_init (&c->lock);
  c->items = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  c->max_bytes = max_bytes;
  return c;
}

void
gabn_image_cache_free (GabnImageCache *c)
{
  if (c == NULL)
    return;
  g_hash_table_unref (c->items);
  g_mutex_clear (&c->lock);
  g_free (c);
}

static gint64
cache_key (int image, int size)
{
  return (gint64) image << 16 | (guint16) size;
}

gboolean
gabn_image_cache_get (GabnImageCache *c, int image, int size, guint8 *rgb)
{
  gint64 key = cache_key (image, size);
  gsize n = (gsize) size * size * 3;
  guint8 *found;

  g_mutex_lock (&c->lock);
  found = g_hash_table_lookup (c->items, &key);
  if (found)
    {
      memcpy (rgb, found, n);
      c->hits++;
    }
  else
    c->misses++;
  g_mutex_unlock (&c->lock);
  return found != NULL;
}

void
gabn_image_cache_put (GabnImageCache *c, int image, int size, const guint8 *rgb)
{
  gint64 key = cache_key (image, size);
  gsize n = (gsize) size * size * 3;

  g_mutex_lock (&c->lock);
  if (c->bytes + n <= c->max_bytes && !g_hash_table_contains (c->items, &key))
    {
      g_hash_table_insert (c->items, g_memdup2 (&key, sizeof key), g_memdup2 (rgb, n));
      c->bytes += n;
    }
  g_mutex_unlock (&c->lock);
}

void
gabn_image_cache_stats (GabnImageCache *c, gint64 *hits, gint64 *misses, gsize *bytes)
{
  g_mutex_lock (&c->lock);
  if (hits)
    *hits = c->hits;
  if (misses)
    *misses = c->misses;
  if (bytes)
    *bytes = c->bytes;
  g_mutex_unlock (&c->lock);
}
