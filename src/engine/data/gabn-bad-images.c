/* gabn-bad-images.c: a dataset's unreadable images, found by whichever
 * thread decodes them first. Append-only, so a reader can ask for what is
 * new since its last look (the trainer names each image once). */
#include "gabn-bad-images.h"

#include <string.h>

struct _GabnBadImages {
  GMutex      lock;
  GArray     *list;    /* GabnBadImage, in the order found */
  GHashTable *index;   /* image + 1 → position + 1 in list */
};

GabnBadImages *
gabn_bad_images_new (void)
{
  GabnBadImages *bad = g_new0 (GabnBadImages, 1);

  g_mutex_init (&bad->lock);
  bad->list = g_array_new (FALSE, FALSE, sizeof (GabnBadImage));
  bad->index = g_hash_table_new (g_direct_hash, g_direct_equal);
  return bad;
}

void
gabn_bad_images_destroy (GabnBadImages *bad)
{
  if (bad == NULL)
    return;
  for (guint i = 0; i < bad->list->len; i++)
    g_free (g_array_index (bad->list, GabnBadImage, i).reason);
  g_array_unref (bad->list);
  g_hash_table_unref (bad->index);
  g_mutex_clear (&bad->lock);
  g_free (bad);
}

char *
gabn_bad_images_lookup (GabnBadImages *bad, int image)
{
  char *reason = NULL;
  guint pos;

  if (bad == NULL)
    return NULL;
  g_mutex_lock (&bad->lock);
  pos = GPOINTER_TO_UINT (g_hash_table_lookup (bad->index, GINT_TO_POINTER (image + 1)));
  if (pos > 0)
    reason = g_strdup (g_array_index (bad->list, GabnBadImage, pos - 1).reason);
  g_mutex_unlock (&bad->lock);
  return reason;
}

gboolean
gabn_dataset_mark_bad (const GabnDataset *ds, int index, const char *reason)
{
  GabnBadImages *bad = ds->bad;
  gboolean added = FALSE;

  g_return_val_if_fail (bad != NULL && index >= 0 && index < ds->n_images, FALSE);
  g_mutex_lock (&bad->lock);
  if (!g_hash_table_contains (bad->index, GINT_TO_POINTER (index + 1)))
    {
      GabnBadImage record = { index, g_strdup (reason ? reason : "") };
      g_array_append_val (bad->list, record);
      g_hash_table_insert (bad->index, GINT_TO_POINTER (index + 1),
                           GUINT_TO_POINTER (bad->list->len));
      added = TRUE;
    }
  g_mutex_unlock (&bad->lock);
  return added;
}

gboolean
gabn_dataset_is_bad (const GabnDataset *ds, int index)
{
  gboolean found;

  if (ds->bad == NULL)
    return FALSE;
  g_mutex_lock (&ds->bad->lock);
  found = g_hash_table_contains (ds->bad->index, GINT_TO_POINTER (index + 1));
  g_mutex_unlock (&ds->bad->lock);
  return found;
}

int
gabn_dataset_n_bad (const GabnDataset *ds)
{
  int n;

  if (ds->bad == NULL)
    return 0;
  g_mutex_lock (&ds->bad->lock);
  n = (int) ds->bad->list->len;
  g_mutex_unlock (&ds->bad->lock);
  return n;
}

GabnBadImage *
gabn_dataset_get_bad (const GabnDataset *ds, int from, int *n)
{
  GabnBadImage *out;

  *n = 0;
  if (ds->bad == NULL)
    return NULL;
  g_mutex_lock (&ds->bad->lock);
  from = CLAMP (from, 0, (int) ds->bad->list->len);
  *n = (int) ds->bad->list->len - from;
  out = g_new0 (GabnBadImage, MAX (*n, 1));
  for (int i = 0; i < *n; i++)
    {
      const GabnBadImage *r = &g_array_index (ds->bad->list, GabnBadImage, from + i);
      out[i].image = r->image;
      out[i].reason = g_strdup (r->reason);
    }
  g_mutex_unlock (&ds->bad->lock);
  return out;
}

void
gabn_bad_images_free (GabnBadImage *bad, int n)
{
  for (int i = 0; i < n; i++)
    g_free (bad[i].reason);
  g_free (bad);
}

int
gabn_dataset_find_image (const GabnDataset *ds, const char *path)
{
  /* Linear: used for the few names a checkpoint lists. */
  for (int i = 0; path && i < ds->n_images; i++)
    if (ds->images[i].path && strcmp (ds->images[i].path, path) == 0)
      return i;
  return -1;
}
