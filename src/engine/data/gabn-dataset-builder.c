/* gabn-dataset-builder.c: assembling a GabnDataset (see the header). */
#include "gabn-dataset-builder.h"
#include "gabn-bad-images.h"

#include <glib/gi18n.h>
#include <string.h>

typedef struct {
  char *name;
  int   group;
} BuilderIdentity;

struct _GabnDatasetBuilder {
  char       *format;
  char       *root;
  char       *description;
  GPtrArray  *group_names;     /* char* */
  GHashTable *group_index;     /* name → index + 1 */
  GArray     *identities;      /* BuilderIdentity */
  GHashTable *identity_index;  /* "group\x1fname" → index + 1 */
  GArray     *images;          /* GabnImage (path owned) */
  GHashTable *image_index;     /* path → index + 1 (borrowed keys) */
  GArray     *pairs;           /* GabnPair */
  GHashTable *pair_set;        /* gint64 key (a, b) ordered */
  GArray     *skipped;         /* GabnSkip */
};

GabnDatasetBuilder *
gabn_dataset_builder_new (const char *format, const char *root)
{
  GabnDatasetBuilder *b = g_new0 (GabnDatasetBuilder, 1);

  b->format = g_strdup (format);
  b->root = g_strdup (root);
  b->group_names = g_ptr_array_new_with_free_func (g_free);
  b->group_index = g_hash_table_new (g_str_hash, g_str_equal);
  b->identities = g_array_new (FALSE, FALSE, sizeof (BuilderIdentity));
  b->identity_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b->images = g_array_new (FALSE, FALSE, sizeof (GabnImage));
  b->image_index = g_hash_table_new (g_str_hash, g_str_equal);
  b->pairs = g_array_new (FALSE, FALSE, sizeof (GabnPair));
  b->pair_set = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  b->skipped = g_array_new (FALSE, FALSE, sizeof (GabnSkip));
  return b;
}

void
gabn_dataset_builder_free (GabnDatasetBuilder *b)
{
  if (b == NULL)
    return;
  g_free (b->format);
  g_free (b->root);
  g_free (b->description);
  g_hash_table_unref (b->group_index);
  g_ptr_array_unref (b->group_names);
  for (guint i = 0; i < b->identities->len; i++)
    g_free (g_array_index (b->identities, BuilderIdentity, i).name);
  g_array_unref (b->identities);
  g_hash_table_unref (b->identity_index);
  g_hash_table_unref (b->image_index);
  for (guint i = 0; i < b->images->len; i++)
    g_free (g_array_index (b->images, GabnImage, i).path);
  g_array_unref (b->images);
  g_array_unref (b->pairs);
  g_hash_table_unref (b->pair_set);
  for (guint i = 0; i < b->skipped->len; i++)
    {
      g_free (g_array_index (b->skipped, GabnSkip, i).file);
      g_free (g_array_index (b->skipped, GabnSkip, i).reason);
    }
  g_array_unref (b->skipped);
  g_free (b);
}

int
gabn_dataset_builder_group (GabnDatasetBuilder *b, const char *name)
{
  gpointer found = g_hash_table_lookup (b->group_index, name);
  char *copy;

  if (found)
    return GPOINTER_TO_INT (found) - 1;
  copy = g_strdup (name);
  g_ptr_array_add (b->group_names, copy);
  g_hash_table_insert (b->group_index, copy, GINT_TO_POINTER (b->group_names->len));
  return b->group_names->len - 1;
}

int
gabn_dataset_builder_identity (GabnDatasetBuilder *b, int group, const char *name)
{
  char *key = g_strdup_printf ("%d\x1f%s", group, name);
  gpointer found = g_hash_table_lookup (b->identity_index, key);
  BuilderIdentity id;

  if (found)
    {
      g_free (key);
      return GPOINTER_TO_INT (found) - 1;
    }
  id.name = g_strdup (name);
  id.group = group;
  g_array_append_val (b->identities, id);
  g_hash_table_insert (b->identity_index, key, GINT_TO_POINTER (b->identities->len));
  return b->identities->len - 1;
}

int
gabn_dataset_builder_image (GabnDatasetBuilder *b, const char *path, int group,
                            int identity, int age, int gender)
{
  GabnImage im = { g_strdup (path), group, identity, age, gender };

  if (identity >= 0)
    im.group = g_array_index (b->identities, BuilderIdentity, identity).group;
  g_array_append_val (b->images, im);
  if (path)
    g_hash_table_insert (b->image_index,
                         g_array_index (b->images, GabnImage, b->images->len - 1).path,
                         GINT_TO_POINTER (b->images->len));
  return b->images->len - 1;
}

int
gabn_dataset_builder_find_image (GabnDatasetBuilder *b, const char *path)
{
  return GPOINTER_TO_INT (g_hash_table_lookup (b->image_index, path)) - 1;
}

int
gabn_dataset_builder_n_images (GabnDatasetBuilder *b)
{
  return b->images->len;
}

int
gabn_dataset_builder_image_identity (GabnDatasetBuilder *b, int image)
{
  return g_array_index (b->images, GabnImage, image).identity;
}

static gint64
pair_key (int a, int b)
{
  return (gint64) MIN (a, b) << 32 | (guint32) MAX (a, b);
}

void
gabn_dataset_builder_pair (GabnDatasetBuilder *b, int a, int bb, gboolean same,
                           int fold)
{
  GabnPair p = { a, bb, same, fold };
  gint64 *key = g_new (gint64, 1);

  *key = pair_key (a, bb);
  g_hash_table_add (b->pair_set, key);
  g_array_append_val (b->pairs, p);
}

int
gabn_dataset_builder_n_pairs (GabnDatasetBuilder *b)
{
  return b->pairs->len;
}

GabnPair *
gabn_dataset_builder_pairs (GabnDatasetBuilder *b)
{
  return (GabnPair *) (gpointer) b->pairs->data;
}

gboolean
gabn_dataset_builder_has_pair (GabnDatasetBuilder *b, int a, int bb)
{
  gint64 key = pair_key (a, bb);
  return g_hash_table_contains (b->pair_set, &key);
}

void
gabn_dataset_builder_skip (GabnDatasetBuilder *b, const char *file, int line,
                           const char *format, ...)
{
  GabnSkip s;
  va_list args;

  va_start (args, format);
  s.file = g_strdup (file);
  s.line = line;
  s.reason = g_strdup_vprintf (format, args);
  va_end (args);
  g_array_append_val (b->skipped, s);
}

void
gabn_dataset_builder_set_description (GabnDatasetBuilder *b, const char *description)
{
  g_free (b->description);
  b->description = g_strdup (description);
}

/* Sort key of an image: identity order first (images without identity go
 * last, in the order added). */
typedef struct {
  int key1, key2;
  int old;
} SortItem;

static int
compare_items (gconstpointer pa, gconstpointer pb)
{
  const SortItem *a = pa, *b = pb;
  if (a->key1 != b->key1)
    return a->key1 < b->key1 ? -1 : 1;
  if (a->key2 != b->key2)
    return a->key2 < b->key2 ? -1 : 1;
  return (a->old > b->old) - (a->old < b->old);
}

GabnDataset *
gabn_dataset_builder_finish (GabnDatasetBuilder *b, GError **error)
{
  int n_groups = b->group_names->len, n_ids = b->identities->len, n_img = b->images->len;
  g_autofree int *group_count = g_new0 (int, MAX (n_groups, 1));
  g_autofree int *group_map = g_new0 (int, MAX (n_groups, 1));
  g_autofree int *id_count = g_new0 (int, MAX (n_ids, 1));
  g_autofree int *id_map = g_new0 (int, MAX (n_ids, 1));
  g_autofree int *image_map = g_new0 (int, MAX (n_img, 1));
  g_autofree SortItem *items = g_new0 (SortItem, MAX (MAX (n_ids, n_img), 1));
  GabnDataset *ds;
  int kept_groups = 0, kept_ids = 0;

  if (n_img == 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   _("No images found in “%s”"), b->root ? b->root : "(memory)");
      return NULL;
    }

  for (int i = 0; i < n_img; i++)
    {
      GabnImage *im = &g_array_index (b->images, GabnImage, i);
      if (im->group >= 0)
        group_count[im->group]++;
      if (im->identity >= 0)
        id_count[im->identity]++;
    }

  ds = g_new0 (GabnDataset, 1);
  ds->bad = gabn_bad_images_new ();
  ds->root = g_strdup (b->root);
  ds->format = g_strdup (b->format);
  ds->description = g_strdup (b->description);

  /* Groups: drop the empty ones. */
  ds->groups = g_new0 (GabnGroup, MAX (n_groups, 1));
  for (int g = 0; g < n_groups; g++)
    {
      const char *name = g_ptr_array_index (b->group_names, g);
      if (group_count[g] == 0)
        {
          g_autofree char *file = b->root ? g_build_filename (b->root, name, NULL) : g_strdup (name);
          gabn_dataset_builder_skip (b, file, 0, _("the group “%s” has no images"), name);
          group_map[g] = -1;
          continue;
        }
      group_map[g] = kept_groups;
      ds->groups[kept_groups].name = g_strdup (name);
      kept_groups++;
    }
  ds->n_groups = kept_groups;

  /* Identities: by group, then in the order added; drop the empty ones. */
  for (int i = 0; i < n_ids; i++)
    {
      BuilderIdentity *id = &g_array_index (b->identities, BuilderIdentity, i);
      items[i] = (SortItem) { group_map[id->group], 0, i };
    }
  qsort (items, n_ids, sizeof (SortItem), compare_items);
  ds->identities = g_new0 (GabnIdentity, MAX (n_ids, 1));
  for (int k = 0; k < n_ids; k++)
    {
      int i = items[k].old;
      BuilderIdentity *id = &g_array_index (b->identities, BuilderIdentity, i);
      id_map[i] = -1;
      if (id_count[i] == 0 || group_map[id->group] < 0)
        continue;
      id_map[i] = kept_ids;
      ds->identities[kept_ids].name = g_strdup (id->name);
      ds->identities[kept_ids].group = group_map[id->group];
      kept_ids++;
    }
  ds->n_identities = kept_ids;

  /* Images: grouped by identity. */
  for (int i = 0; i < n_img; i++)
    {
      GabnImage *im = &g_array_index (b->images, GabnImage, i);
      int id = im->identity >= 0 ? id_map[im->identity] : -1;
      items[i] = (SortItem) { id >= 0 ? id : G_MAXINT, 0, i };
    }
  qsort (items, n_img, sizeof (SortItem), compare_items);
  ds->images = g_new0 (GabnImage, n_img);
  for (int k = 0; k < n_img; k++)
    {
      int i = items[k].old;
      GabnImage *im = &g_array_index (b->images, GabnImage, i);
      GabnImage *out = &ds->images[k];
      image_map[i] = k;
      out->path = g_steal_pointer (&im->path);
      out->group = im->group >= 0 ? group_map[im->group] : -1;
      out->identity = im->identity >= 0 ? id_map[im->identity] : -1;
      out->age = im->age;
      out->gender = im->gender;
      if (out->group >= 0)
        ds->groups[out->group].n_images++;
      if (out->identity >= 0)
        {
          GabnIdentity *id = &ds->identities[out->identity];
          if (id->n_images == 0)
            id->first_image = k;
          id->n_images++;
        }
    }
  ds->n_images = n_img;
  for (int i = 0; i < ds->n_identities; i++)
    ds->groups[ds->identities[i].group].n_identities++;
  g_hash_table_remove_all (b->image_index);

  ds->n_pairs = b->pairs->len;
  ds->pairs = g_new0 (GabnPair, MAX (ds->n_pairs, 1));
  for (int p = 0; p < ds->n_pairs; p++)
    {
      GabnPair pair = g_array_index (b->pairs, GabnPair, p);
      pair.a = image_map[pair.a];
      pair.b = image_map[pair.b];
      ds->pairs[p] = pair;
    }

  ds->n_skipped = b->skipped->len;
  ds->skipped = (GabnSkip *) g_array_free (b->skipped, FALSE);
  b->skipped = g_array_new (FALSE, FALSE, sizeof (GabnSkip));
  return ds;
}
