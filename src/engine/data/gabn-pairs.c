/* gabn-pairs.c: seeded, balanced verification pairs (see the header). */
#include "gabn-pairs.h"
#include "gabn-rng.h"

#define N_FOLDS 10
#define MAX_TRIES 64

typedef struct {
  GArray     *pairs;
  GHashTable *seen;
} PairSet;

static gboolean
pair_add (PairSet *set, int a, int b, gboolean same, int fold)
{
  gint64 key = (gint64) MIN (a, b) << 32 | (guint32) MAX (a, b);
  GabnPair p = { a, b, same, fold };

  if (a == b || g_hash_table_contains (set->seen, &key))
    return FALSE;
  g_hash_table_add (set->seen, g_memdup2 (&key, sizeof key));
  g_array_append_val (set->pairs, p);
  return TRUE;
}

static int
compare_ints (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* Capacity of a group: distinct genuine and impostor pairs it can make. */
static void
group_capacity (const GabnDataset *ds, const int *ids, int m,
                gint64 *genuine, gint64 *impostor)
{
  gint64 total = 0;

  *genuine = 0;
  *impostor = 0;
  for (int i = 0; i < m; i++)
    {
      gint64 n = ds->identities[ids[i]].n_images;
      *genuine += n * (n - 1) / 2;
      *impostor += n * total;
      total += n;
    }
}

GabnPair *
gabn_pairs_draw (const GabnDataset *ds, const int *eval_ids, int n_eval,
                 int pairs_per_fold, guint64 seed, int *n_pairs)
{
  PairSet set = { g_array_new (FALSE, FALSE, sizeof (GabnPair)),
                  g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL) };
  g_autofree int *ids = g_new (int, MAX (n_eval, 1));
  /* Genuine pairs per group (as many impostors), over all 10 folds. */
  gint64 total = (gint64) MAX (pairs_per_fold, 0) * N_FOLDS;

  /* The same number per group: the smallest capacity bounds them all. */
  for (int g = 0; g < ds->n_groups; g++)
    {
      int m = 0;
      gint64 genuine, impostor;
      for (int i = 0; i < n_eval; i++)
        if (ds->identities[eval_ids[i]].group == g)
          ids[m++] = eval_ids[i];
      if (m < 2)
        continue;
      group_capacity (ds, ids, m, &genuine, &impostor);
      if (genuine == 0)
        continue;
      total = MIN (total, genuine);
      total = MIN (total, impostor);
    }

  for (int g = 0; g < ds->n_groups && total > 0; g++)
    {
      GabnRng rng;
      int m = 0, n_multi = 0;
      gint64 genuine, impostor;
      g_autofree int *multi = NULL;

      for (int i = 0; i < n_eval; i++)
        if (ds->identities[eval_ids[i]].group == g)
          ids[m++] = eval_ids[i];
      if (m < 2)
        continue;
      group_capacity (ds, ids, m, &genuine, &impostor);
      if (genuine == 0)
        continue;
      /* Sorted first so that the draw does not depend on the input order. */
      qsort (ids, m, sizeof (int), compare_ints);
      gabn_rng_init (&rng, seed, 0x9a175, g, 0);
      multi = g_new (int, m);
      for (int i = 0; i < m; i++)
        if (ds->identities[ids[i]].n_images >= 2)
          multi[n_multi++] = ids[i];
      gabn_rng_shuffle (&rng, multi, n_multi);

      for (int f = 0; f < N_FOLDS; f++)
        {
          /* Fold f holds pairs [f·total/10, (f+1)·total/10) of each kind. */
          for (gint64 turn = f * total / N_FOLDS; turn < (f + 1) * total / N_FOLDS; turn++)
            {
              /* Genuine: cycle through identities so each is used. */
              for (int t = 0; t < MAX_TRIES; t++)
                {
                  const GabnIdentity *id = &ds->identities[multi[t == 0 ? turn % n_multi
                                                                 : gabn_rng_int (&rng, n_multi)]];
                  int a = gabn_rng_int (&rng, id->n_images);
                  int b = gabn_rng_int (&rng, id->n_images - 1);
                  if (b >= a)
                    b++;
                  if (pair_add (&set, id->first_image + a, id->first_image + b, TRUE, f))
                    break;
                }
            }
          for (gint64 turn = f * total / N_FOLDS; turn < (f + 1) * total / N_FOLDS; turn++)
            {
              for (int t = 0; t < MAX_TRIES; t++)
                {
                  int i1 = t == 0 ? (int) (turn % m) : gabn_rng_int (&rng, m);
                  int i2 = gabn_rng_int (&rng, m - 1);
                  const GabnIdentity *x, *y;
                  if (i2 >= i1)
                    i2++;
                  x = &ds->identities[ids[i1]];
                  y = &ds->identities[ids[i2]];
                  if (pair_add (&set, x->first_image + gabn_rng_int (&rng, x->n_images),
                                y->first_image + gabn_rng_int (&rng, y->n_images), FALSE, f))
                    break;
                }
            }
        }
    }

  g_hash_table_unref (set.seen);
  *n_pairs = set.pairs->len;
  return (GabnPair *) g_array_free (set.pairs, FALSE);
}
