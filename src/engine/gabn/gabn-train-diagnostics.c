/* gabn-train-diagnostics.c: per-epoch figures on the adversary's maps. */
#include "gabn-train-diagnostics.h"
#include "gabn-attention.h"
#include "gabn-train-maps.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int
compare_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

/* Up to max_per_group training images per group, in a seeded order; their
 * class labels in *classes. Returns the count. */
static int
pick_training (const GabnSplit *split, const GabnDataset *ds, guint64 seed,
               int max_per_group, int *images, int *classes)
{
  g_autofree int *train = NULL, *labels = NULL;
  g_autofree int *taken = g_new0 (int, MAX (ds->n_groups, 1));
  int n_train = 0, n = 0;
  GRand *rand = g_rand_new_with_seed ((guint32) (seed * 2654435761u + 101));

  gabn_split_train_images (split, ds, &train, &labels, &n_train);
  /* Fisher–Yates on (image, label) pairs. */
  for (int i = n_train - 1; i > 0; i--)
    {
      int j = g_rand_int_range (rand, 0, i + 1), t;
      t = train[i]; train[i] = train[j]; train[j] = t;
      t = labels[i]; labels[i] = labels[j]; labels[j] = t;
    }
  g_rand_free (rand);
  for (int i = 0; i < n_train; i++)
    {
      int g = ds->images[train[i]].group;
      if (g < 0 || g >= ds->n_groups || taken[g] >= max_per_group
          || gabn_dataset_is_bad (ds, train[i]))
        continue;
      taken[g]++;
      images[n] = train[i];
      classes[n++] = labels[i];
    }
  return n;
}

/* Up to max_per_group images per group of the evaluation pairs (distinct,
 * in index order) whose identity has another of them: the images the
 * evaluation maps. Returns the count. */
static int
pick_held_out (const GabnSplit *split, const GabnDataset *ds,
               int max_per_group, int *images)
{
  g_autofree int *all = g_new (int, 2 * MAX (split->n_pairs, 1));
  g_autofree int *per_identity = g_new0 (int, MAX (ds->n_identities, 1));
  g_autofree int *taken = g_new0 (int, MAX (ds->n_groups, 1));
  int m = 0, n = 0;

  for (int i = 0; i < split->n_pairs; i++)
    {
      all[2 * i] = split->pairs[i].a;
      all[2 * i + 1] = split->pairs[i].b;
    }
  qsort (all, 2 * split->n_pairs, sizeof (int), compare_int);
  for (int i = 0; i < 2 * split->n_pairs; i++)
    if (m == 0 || all[i] != all[m - 1])
      all[m++] = all[i];
  for (int i = 0; i < m; i++)
    if (ds->images[all[i]].identity >= 0)
      per_identity[ds->images[all[i]].identity]++;
  for (int i = 0; i < m; i++)
    {
      const GabnImage *im = &ds->images[all[i]];
      if (im->identity < 0 || im->group < 0 || im->group >= ds->n_groups
          || per_identity[im->identity] < 2 || taken[im->group] >= max_per_group
          || gabn_dataset_is_bad (ds, all[i]))
        continue;
      taken[im->group]++;
      images[n++] = all[i];
    }
  return n;
}

/* D's accuracy on maps P (n × cells) of the images' groups. */
static double
disc_accuracy (GabnDiscriminator *disc, const GabnDataset *ds, const int *images,
               const float *P, int n)
{
  int G = gabn_discriminator_n_groups (disc);
  g_autofree int *groups = g_new (int, n);
  g_autofree float *d_logits = g_new (float, (gsize) n * G);
  float accuracy = NAN;

  for (int i = 0; i < n; i++)
    groups[i] = CLAMP (ds->images[images[i]].group, 0, G - 1);
  gabn_discriminator_forward (disc, P, n);
  gabn_discriminator_loss (disc, groups, d_logits, &accuracy);
  return accuracy;
}

gboolean
gabn_train_diagnostics (GabnEvalReport *r, GabnNet *net, const GabnDataset *ds,
                        const GabnSplit *split, const GabnTrainConfig *config,
                        GabnDiscriminator *disc, int max_per_group, int threads,
                        GCancellable *cancellable, GError **error)
{
  int C, h, w, cells, cap = max_per_group * MAX (ds->n_groups, 1), n, n_held;
  g_autofree int *images = NULL, *classes = NULL, *groups = NULL, *counts = NULL;
  g_autofree float *P = NULL, *mean_gam = NULL;
  g_autofree double *r50 = NULL, *r80 = NULL, *js = NULL;
  g_autofree gboolean *present = NULL;

  gabn_net_feature_shape (net, &C, &h, &w);
  cells = h * w;
  images = g_new (int, MAX (cap, 1));
  classes = g_new (int, MAX (cap, 1));
  P = g_new (float, (gsize) MAX (cap, 1) * cells);

  /* Training images, class-centre target: the map the adversary acts on. */
  n = pick_training (split, ds, config->seed, max_per_group, images, classes);
  if (n < 2)
    return TRUE;
  if (!gabn_train_maps (net, ds, images, classes, n, config->gam,
                        config->batch_size, threads, cancellable, P, error))
    return FALSE;
  groups = g_new (int, n);
  for (int i = 0; i < n; i++)
    groups[i] = ds->images[images[i]].group;
  mean_gam = g_new (float, (gsize) r->n_groups * cells);
  r50 = g_new (double, r->n_groups);
  r80 = g_new (double, r->n_groups);
  counts = g_new (int, r->n_groups);
  present = g_new (gboolean, r->n_groups);
  js = g_new0 (double, (gsize) r->n_groups * r->n_groups);
  gabn_attention_group_stats (P, groups, n, cells, r->n_groups, mean_gam, r50,
                              r80, counts);
  for (int g = 0; g < r->n_groups; g++)
    present[g] = counts[g] > 0;
  r->train_mean_pairwise_js = gabn_attention_js_matrix (mean_gam, r->n_groups,
                                                        cells, present, js);
  for (int g = 0; g < r->n_groups; g++)
    {
      int ref = r->reference_group;

      r->groups[g].train_region50 = r50[g];
      r->groups[g].train_region80 = r80[g];
      r->groups[g].train_js_to_reference = present[g] && ref >= 0
        && ref < r->n_groups && present[ref] ? js[g * r->n_groups + ref] : NAN;
    }
  r->has_train_maps = TRUE;
  r->train_gam = config->gam;
  r->n_train_maps = n;
  if (disc)
    r->disc_accuracy_train = disc_accuracy (disc, ds, images, P, n);

  /* Held-out people, identity-mean target: does D's skill generalise? */
  n_held = pick_held_out (split, ds, max_per_group, images);
  r->n_held_out_maps = 0;
  if (disc && n_held >= 2)
    {
      if (!gabn_train_maps (net, ds, images, NULL, n_held, config->gam,
                            config->batch_size, threads, cancellable, P, error))
        return FALSE;
      r->n_held_out_maps = n_held;
      r->disc_accuracy_held_out = disc_accuracy (disc, ds, images, P, n_held);
    }
  return TRUE;
}
