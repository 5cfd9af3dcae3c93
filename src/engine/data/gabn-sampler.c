/* gabn-sampler.c: per-epoch orderings.
 * shuffle: a permutation (repeated when the epoch is longer than n).
 * identity-balanced: labels are visited in shuffled rounds (each label once
 *   per round), each taking its next image in a per-epoch shuffled cycle.
 * group-balanced: groups in shuffled rounds, then a label of the group in
 *   shuffled rounds, then the label's next image. */
#include "gabn-sampler.h"
#include "gabn-rng.h"

/* A list of ints visited in shuffled rounds. */
typedef struct {
  int *items;
  int  n, next;
} Cycle;

struct _GabnSampler {
  GabnSampling mode;
  int   n;
  guint64 seed;
  int   n_labels, n_groups;
  int  *label_entries;   /* entries sorted by label */
  int  *label_start;     /* n_labels + 1 offsets into label_entries */
  int  *group_labels;    /* labels sorted by group */
  int  *group_start;     /* n_groups + 1 offsets */
};

static void
bucket (const int *keys, int n, int n_keys, int **sorted, int **start)
{
  int *fill = g_new0 (int, n_keys + 1);

  *start = g_new0 (int, n_keys + 1);
  *sorted = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    (*start)[keys[i] + 1]++;
  for (int k = 0; k < n_keys; k++)
    (*start)[k + 1] += (*start)[k];
  for (int i = 0; i < n; i++)
    (*sorted)[(*start)[keys[i]] + fill[keys[i]]++] = i;
  g_free (fill);
}

GabnSampler *
gabn_sampler_new (GabnSampling mode, const int *labels, const int *groups, int n,
                  guint64 seed)
{
  GabnSampler *s = g_new0 (GabnSampler, 1);
  g_autofree int *dense_label = g_new (int, MAX (n, 1));
  g_autofree int *label_group = NULL;
  g_autoptr(GHashTable) label_ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(GHashTable) group_ids = g_hash_table_new (g_direct_hash, g_direct_equal);

  s->mode = mode;
  s->n = n;
  s->seed = seed;
  /* Labels and groups as dense indices, in order of first appearance. */
  label_group = g_new (int, MAX (n, 1));
  for (int i = 0; i < n; i++)
    {
      gpointer key = GINT_TO_POINTER (labels[i] + 1);
      gpointer found = g_hash_table_lookup (label_ids, key);
      if (found == NULL)
        {
          int g;
          gpointer gkey = GINT_TO_POINTER (groups[i] + 2);
          gpointer gfound = g_hash_table_lookup (group_ids, gkey);
          if (gfound == NULL)
            g_hash_table_insert (group_ids, gkey, gfound = GINT_TO_POINTER (++s->n_groups));
          g = GPOINTER_TO_INT (gfound) - 1;
          g_hash_table_insert (label_ids, key, found = GINT_TO_POINTER (++s->n_labels));
          label_group[s->n_labels - 1] = g;
        }
      dense_label[i] = GPOINTER_TO_INT (found) - 1;
    }
  bucket (dense_label, n, s->n_labels, &s->label_entries, &s->label_start);
  bucket (label_group, s->n_labels, s->n_groups, &s->group_labels, &s->group_start);
  return s;
}

void
gabn_sampler_free (GabnSampler *s)
{
  if (s == NULL)
    return;
  g_free (s->label_entries);
  g_free (s->label_start);
  g_free (s->group_labels);
  g_free (s->group_start);
  g_free (s);
}

static int
cycle_next (Cycle *c, GabnRng *rng)
{
  if (c->next == 0)
    gabn_rng_shuffle (rng, c->items, c->n);
  {
    int v = c->items[c->next];
    c->next = (c->next + 1) % c->n;
    return v;
  }
}

void
gabn_sampler_epoch (GabnSampler *s, int epoch, int *order, int length)
{
  GabnRng rng;
  Cycle *labels_in_group = NULL, *images_of_label = NULL;
  Cycle all_labels, all_groups;
  g_autofree int *entries = NULL;
  g_autofree int *group_labels = NULL;

  gabn_rng_init (&rng, s->seed, 0xe90c, (guint64) epoch, s->mode);
  if (s->mode == GABN_SAMPLING_SHUFFLE)
    {
      g_autofree int *perm = g_new (int, s->n);
      for (int pos = 0; pos < length; pos += s->n)
        {
          for (int i = 0; i < s->n; i++)
            perm[i] = i;
          gabn_rng_shuffle (&rng, perm, s->n);
          for (int i = 0; i < s->n && pos + i < length; i++)
            order[pos + i] = perm[i];
        }
      return;
    }

  /* Cycles shuffle in place: work on copies so that an epoch depends only
   * on its number (and calls may come from any thread). */
  entries = g_memdup2 (s->label_entries, sizeof (int) * MAX (s->n, 1));
  group_labels = g_memdup2 (s->group_labels, sizeof (int) * MAX (s->n_labels, 1));
  images_of_label = g_new (Cycle, s->n_labels);
  for (int l = 0; l < s->n_labels; l++)
    images_of_label[l] = (Cycle) { entries + s->label_start[l],
                                   s->label_start[l + 1] - s->label_start[l], 0 };
  labels_in_group = g_new (Cycle, s->n_groups);
  for (int g = 0; g < s->n_groups; g++)
    labels_in_group[g] = (Cycle) { group_labels + s->group_start[g],
                                   s->group_start[g + 1] - s->group_start[g], 0 };
  all_labels = (Cycle) { g_new (int, s->n_labels), s->n_labels, 0 };
  for (int l = 0; l < s->n_labels; l++)
    all_labels.items[l] = l;
  all_groups = (Cycle) { g_new (int, s->n_groups), s->n_groups, 0 };
  for (int g = 0; g < s->n_groups; g++)
    all_groups.items[g] = g;

  for (int pos = 0; pos < length; pos++)
    {
      int label;
      if (s->mode == GABN_SAMPLING_GROUP_BALANCED)
        label = cycle_next (&labels_in_group[cycle_next (&all_groups, &rng)], &rng);
      else
        label = cycle_next (&all_labels, &rng);
      order[pos] = cycle_next (&images_of_label[label], &rng);
    }
  g_free (all_labels.items);
  g_free (all_groups.items);
  g_free (images_of_label);
  g_free (labels_in_group);
}
