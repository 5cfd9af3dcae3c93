/* gabn-split.h: the evaluation split of a dataset — which identities train,
 * which are held out, and the verification pairs drawn from the held-out ones.
 * CONTRACT shared by the data pipeline, the trainer, `gabn eval` and the app.
 *
 * Rule: an identity named in a pair is never trained on.
 * - A dataset with pairs (RFW, a generic folder with pairs.tsv, a synthetic
 *   set): the identities named in its pairs are held out, every other
 *   identity trains, and the evaluation pairs are the dataset's own.
 * - A dataset without pairs: a seeded draw holds out holdout_fraction of the
 *   identities of each group (at least min_holdout_per_group when the group
 *   has that many + 1), and 10 folds of genuine and impostor pairs are drawn
 *   from them, the same number per group (balanced), seeded.
 * Datasets without identities (FairFace, UTKFace) cannot be split: error.
 *
 * The split serialises to a JSON string, stored in a model's metadata under
 * "split", so that `gabn eval` and the app reuse the exact same split:
 *   {"version":1, "seed":S, "holdout_fraction":F, "n_images":N,
 *    "train":[[group, identity], …]   (in class-label order),
 *    "eval":[[group, identity], …],
 *    "pairs":"dataset"  or  [[a, b, same, fold], …]   (image indices),
 *    "synth_seed":S   (the built-in faces' seed; only on them, since
 *                      2026-12-06)}
 * Identities are stored by name so that re-opening the folder maps them
 * back; n_images guards against a dataset that changed on disk, and
 * synth_seed against the built-in faces of another seed (the same names
 * and counts, other people). */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

typedef struct {
  guint64 seed;                  /* default 1 */
  double  holdout_fraction;      /* default 0.2, of each group's identities */
  int     min_holdout_per_group; /* default 2 */
  int     pairs_per_fold;        /* genuine pairs per fold and group (as many
                                    impostors); default 30; fewer when the
                                    held-out identities cannot make that many */
} GabnSplitConfig;

typedef struct {
  const GabnDataset *dataset;  /* borrowed: the dataset must outlive the split */
  guint64 seed;
  double  holdout_fraction;
  /* Training identities (indices into dataset->identities): the class label
   * of train_identities[k] is k, 0..n_train_identities−1. */
  int      *train_identities;  int n_train_identities;
  /* Held-out identities, sorted. */
  int      *eval_identities;   int n_eval_identities;
  /* Evaluation pairs (image indices into the dataset, folds 0..9). */
  GabnPair *pairs;             int n_pairs;
  gboolean  pairs_from_dataset;/* the pairs are the dataset's own */
  /* Per identity of the dataset: its class label, or −1 when held out. */
  int      *label_of_identity; int n_identities;
} GabnSplit;

void gabn_split_config_init (GabnSplitConfig *config);

/* Splits dataset as described above. config may be NULL (defaults). */
GabnSplit *gabn_split_new (const GabnDataset *dataset,
                           const GabnSplitConfig *config, GError **error);
void gabn_split_free (GabnSplit *split);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnSplit, gabn_split_free)

/* The JSON string described above (free with g_free). */
char *gabn_split_to_json (const GabnSplit *split);

/* Rebuilds a split on dataset from its JSON. Errors when an identity it names
 * is missing, a pair index is out of range or the image count changed. */
GabnSplit *gabn_split_from_json (const GabnDataset *dataset, const char *json,
                                 GError **error);

/* The training images (every image of every training identity, in dataset
 * order) and their class labels: two new arrays of *n_images ints. */
void gabn_split_train_images (const GabnSplit *split,
                              const GabnDataset *dataset,
                              int **images, int **labels, int *n_images);

/* The training identities' groups: a new array of n_train_identities ints
 * (group of class k), for per-class group lookups. */
int *gabn_split_train_groups (const GabnSplit *split,
                              const GabnDataset *dataset);

/* The class label of each identity of dataset for a model with n_classes
 * classes (n_identities ints, −1 when the identity has no class centre):
 * from split_json (the model's "split" metadata) when given — all −1 when
 * it names another dataset — else identity = class when the model has as
 * many classes as the dataset has identities, else all −1. */
int *gabn_split_model_labels (const GabnDataset *dataset, const char *split_json,
                              int n_classes);

/* The training identities of a split's JSON in class order, as
 * "GROUP/NAME", without the dataset (NULL-terminated; NULL when the JSON
 * has no valid "train" list). */
char **gabn_split_json_train_names (const char *split_json);

/* How many of the people in PAIRS (images of DATASET) a split's JSON
 * trained on, matched by group and name: a model measured on pairs other
 * than its own split's must not have seen their people. *n_people gets
 * the number of people the pairs cover. -1 when the JSON names no
 * training people. */
int gabn_split_trained_in_pairs (const GabnDataset *dataset, const GabnPair *pairs,
                                 int n_pairs, const char *split_json, int *n_people);

/* The seed of the built-in faces a split's JSON was made on, when it says
 * (splits made before 2026-12-06, and on other datasets, do not). */
gboolean gabn_split_json_synth_seed (const char *split_json, guint64 *seed);

G_END_DECLS
