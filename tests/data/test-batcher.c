/* test-batcher.c: the split never puts an identity on both sides and
 * round-trips through JSON; the batcher's batches carry the right labels and
 * pixels, are deterministic whatever the thread count, sample as their mode
 * says, cancel, and report a failing image by name. */
#include "gabn-batcher.h"
#include "gabn-split.h"
#include "gabn-synth.h"
#include "data-fixtures.h"

/* The built-ins' preprocessing at a size (one call at a time). */
static const GabnPreprocess *
builtin_pre (int size)
{
  static GabnPreprocess pre;

  gabn_preprocess_init_builtin (&pre, size);
  return &pre;
}

static GabnDataset *
synth (GabnSynthPreset preset, int identities, int images, int size)
{
  GabnSynthConfig c;
  g_autoptr(GError) error = NULL;
  GabnDataset *ds;

  gabn_synth_config_init (&c, preset);
  c.identities = identities;
  c.images = images;
  c.size = size;
  ds = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return ds;
}

static void
check_split (const GabnDataset *ds, const GabnSplit *s)
{
  g_autofree int *images = NULL;
  g_autofree int *labels = NULL;
  int n;

  g_assert_cmpint (s->n_train_identities + s->n_eval_identities, ==, ds->n_identities);
  for (int k = 0; k < s->n_train_identities; k++)
    g_assert_cmpint (s->label_of_identity[s->train_identities[k]], ==, k);
  for (int k = 0; k < s->n_eval_identities; k++)
    g_assert_cmpint (s->label_of_identity[s->eval_identities[k]], ==, -1);
  /* Pairs only between held-out identities. */
  for (int p = 0; p < s->n_pairs; p++)
    {
      g_assert_cmpint (s->label_of_identity[ds->images[s->pairs[p].a].identity], ==, -1);
      g_assert_cmpint (s->label_of_identity[ds->images[s->pairs[p].b].identity], ==, -1);
    }
  gabn_split_train_images (s, ds, &images, &labels, &n);
  for (int i = 0; i < n; i++)
    {
      int id = ds->images[images[i]].identity;
      g_assert_cmpint (s->label_of_identity[id], ==, labels[i]);
      g_assert_cmpint (labels[i], >=, 0);
    }
}

static void
test_split_without_pairs (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_BALANCED, 12, 3, 16);
  g_autoptr(GabnSplit) s = NULL, again = NULL, other = NULL, back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL, *json_again = NULL, *json_other = NULL, *json_back = NULL;
  GabnSplitConfig config;
  int held[4] = { 0 };

  ds->n_pairs = 0; /* as if the dataset had none */
  s = gabn_split_new (ds, NULL, &error);
  g_assert_no_error (error);
  check_split (ds, s);
  g_assert_false (s->pairs_from_dataset);
  for (int k = 0; k < s->n_eval_identities; k++)
    held[ds->identities[s->eval_identities[k]].group]++;
  for (int g = 0; g < 4; g++)
    g_assert_cmpint (held[g], ==, 2); /* round (0.2 × 10) = 2 */
  g_assert_cmpint (s->n_pairs, >, 0);

  /* Same seed, same split; another seed, another one. */
  json = gabn_split_to_json (s);
  again = gabn_split_new (ds, NULL, &error);
  json_again = gabn_split_to_json (again);
  g_assert_cmpstr (json, ==, json_again);
  gabn_split_config_init (&config);
  config.seed = 99;
  other = gabn_split_new (ds, &config, &error);
  json_other = gabn_split_to_json (other);
  g_assert_cmpstr (json, !=, json_other);

  /* JSON round trip. */
  back = gabn_split_from_json (ds, json, &error);
  g_assert_no_error (error);
  check_split (ds, back);
  json_back = gabn_split_to_json (back);
  g_assert_cmpstr (json, ==, json_back);
  g_assert_cmpint (back->n_pairs, ==, s->n_pairs);
  g_assert_cmpmem (back->pairs, sizeof (GabnPair) * back->n_pairs, s->pairs,
                   sizeof (GabnPair) * s->n_pairs);
}

/* Which of a dataset's pair people a split trained on: none for its own
 * pairs; every one when the pairs are its training people's; -1 without
 * a training list. */
static void
test_trained_in_pairs (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_BALANCED, 12, 3, 16);
  g_autoptr(GabnSplit) s = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autofree GabnPair *train_pairs = NULL;
  int people = 0, n = 0;

  ds->n_pairs = 0;
  s = gabn_split_new (ds, NULL, &error);
  g_assert_no_error (error);
  json = gabn_split_to_json (s);
  g_assert_cmpint (gabn_split_trained_in_pairs (ds, s->pairs, s->n_pairs, json, &people), ==, 0);
  g_assert_cmpint (people, ==, s->n_eval_identities);

  /* Genuine pairs of the first three training people. */
  train_pairs = g_new0 (GabnPair, 3);
  for (int k = 0; k < 3; k++, n++)
    {
      const GabnIdentity *id = &ds->identities[s->train_identities[k]];
      train_pairs[n] = (GabnPair) { id->first_image, id->first_image + 1, TRUE, 0 };
    }
  g_assert_cmpint (gabn_split_trained_in_pairs (ds, train_pairs, n, json, &people), ==, 3);
  g_assert_cmpint (people, ==, 3);
  g_assert_cmpint (gabn_split_trained_in_pairs (ds, train_pairs, n, "{}", &people), ==, -1);
  g_assert_cmpint (people, ==, 3);
}

static void
test_split_json_errors (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_BALANCED, 5, 2, 16);
  g_autoptr(GabnDataset) bigger = synth (GABN_SYNTH_BALANCED, 6, 2, 16);
  g_autoptr(GabnSplit) s = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;

  s = gabn_split_new (ds, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (s->pairs_from_dataset);
  check_split (ds, s);
  json = gabn_split_to_json (s);
  g_assert_null (gabn_split_from_json (bigger, json, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (gabn_split_from_json (ds, "{\"train\": 3}", &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_clear_error (&error);
  g_assert_null (gabn_split_from_json (ds, "not json", &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_clear_error (&error);
  /* Wrong types: errors, never criticals (the tests make criticals fatal). */
  g_assert_null (gabn_split_from_json (ds, "{\"train\": [], \"eval\": [], \"pairs\": [], "
                                       "\"n_images\": \"many\"}", &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_clear_error (&error);
  {
    g_autofree char *bad_pairs = g_strdup_printf ("{\"train\": [[\"Group A\", 7]], \"eval\": [], "
                                                  "\"pairs\": [], \"n_images\": %d}", ds->n_images);
    g_autofree char *bad_pair = g_strdup_printf ("{\"train\": [], \"eval\": [], "
                                                 "\"pairs\": [[0, \"x\", 1, 0]], \"n_images\": %d}",
                                                 ds->n_images);
    g_assert_null (gabn_split_from_json (ds, bad_pairs, &error));
    g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
    g_clear_error (&error);
    g_assert_null (gabn_split_from_json (ds, bad_pair, &error));
    g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
    g_clear_error (&error);
  }
  {
    g_autofree char *renamed = g_strdup (json);
    char *at = strstr (renamed, "id-001");
    g_assert_nonnull (at);
    at[3] = '9';
    g_assert_null (gabn_split_from_json (ds, renamed, &error));
    g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
  /* The built-in faces of another seed: the same names and counts, other
   * people. The seed is saved and checked; a split saved before it was
   * (no "synth_seed") is taken as before. */
  {
    GabnSynthConfig c;
    g_autoptr(GabnDataset) other = NULL;
    g_autofree char *old_json = g_strdup (json);
    char *at = strstr (old_json, "\"synth_seed\":");
    guint64 seed = 0;

    g_assert_true (gabn_split_json_synth_seed (json, &seed));
    g_assert_cmpuint (seed, ==, ds->synth->seed);
    gabn_synth_config_init (&c, GABN_SYNTH_BALANCED);
    c.identities = 5;
    c.images = 2;
    c.size = 16;
    c.seed = ds->synth->seed + 1;
    other = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpint (other->n_images, ==, ds->n_images);
    g_assert_null (gabn_split_from_json (other, json, &error));
    g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "the same names belong to other people"));
    g_clear_error (&error);
    g_assert_nonnull (at);
    memcpy (at, "\"synth_seex\"", 12);   /* as if saved before the seed was */
    g_assert_false (gabn_split_json_synth_seed (old_json, &seed));
    g_clear_pointer (&s, gabn_split_free);
    s = gabn_split_from_json (other, old_json, &error);
    g_assert_no_error (error);
    /* A seed of 2⁶³ and up survives the JSON's signed integers. */
    {
      g_autoptr(GabnDataset) big = NULL;
      g_autoptr(GabnSplit) big_split = NULL;
      g_autofree char *big_json = NULL;

      c.seed = G_MAXUINT64 - 6;
      big = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
      g_assert_no_error (error);
      big_split = gabn_split_new (big, NULL, &error);
      g_assert_no_error (error);
      big_json = gabn_split_to_json (big_split);
      g_assert_true (gabn_split_json_synth_seed (big_json, &seed));
      g_assert_cmpuint (seed, ==, G_MAXUINT64 - 6);
      g_assert_null (gabn_split_from_json (other, big_json, &error));
      g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
      g_clear_error (&error);
    }
  }
  /* No identities (FairFace-like): no split. */
  ds->n_identities = 0;
  g_assert_null (gabn_split_new (ds, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED);
  ds->n_identities = ds->groups[0].n_identities * 4;
}

static GabnBatcher *
make_batcher (const GabnDataset *ds, const GabnSplit *s, GabnSampling sampling,
              int threads, int batch, int size)
{
  g_autofree int *images = NULL;
  g_autofree int *labels = NULL;
  g_autoptr(GError) error = NULL;
  GabnBatcherConfig c;
  GabnBatcher *b;
  int n;

  gabn_split_train_images (s, ds, &images, &labels, &n);
  gabn_batcher_config_init (&c);
  c.sampling = sampling;
  c.threads = threads;
  c.batch_size = batch;
  c.size = size;
  c.seed = 5;
  b = gabn_batcher_new (ds, images, labels, n, &c, &error);
  g_assert_no_error (error);
  return b;
}

static void
test_batches (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_REALISTIC, 10, 4, 32);
  g_autoptr(GabnSplit) s = gabn_split_new (ds, NULL, NULL);
  g_autoptr(GabnBatcher) one = make_batcher (ds, s, GABN_SAMPLING_SHUFFLE, 1, 8, 24);
  g_autoptr(GabnBatcher) three = make_batcher (ds, s, GABN_SAMPLING_SHUFFLE, 3, 8, 24);
  g_autoptr(GError) error = NULL;
  int per_epoch = gabn_batcher_batches_per_epoch (one);
  int n_train = 0;
  g_autofree int *seen = g_new0 (int, ds->n_images);
  float *expected = g_new (float, 3 * 24 * 24);

  for (int k = 0; k < s->n_train_identities; k++)
    n_train += ds->identities[s->train_identities[k]].n_images;
  g_assert_cmpint (per_epoch, ==, n_train / 8);

  for (int k = 0; k < 2 * per_epoch; k++)
    {
      GabnBatch *a = gabn_batcher_next (one, NULL, &error);
      GabnBatch *b = gabn_batcher_next (three, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpint (a->number, ==, k);
      g_assert_cmpint (a->epoch, ==, k / per_epoch);
      /* Deterministic whatever the thread count. */
      g_assert_cmpmem (a->image_index, 8 * sizeof (int), b->image_index, 8 * sizeof (int));
      g_assert_cmpmem (a->flipped, 8, b->flipped, 8);
      g_assert_cmpmem (a->input, 8 * 3 * 24 * 24 * sizeof (float), b->input,
                       8 * 3 * 24 * 24 * sizeof (float));
      for (int j = 0; j < 8; j++)
        {
          const GabnImage *im = &ds->images[a->image_index[j]];
          g_assert_cmpint (a->labels[j], ==, s->label_of_identity[im->identity]);
          g_assert_cmpint (a->groups[j], ==, im->group);
          g_assert_true (gabn_dataset_load_image (ds, a->image_index[j], builtin_pre (24), a->flipped[j],
                                                  expected, &error));
          g_assert_cmpmem (a->input + j * 3 * 24 * 24, 3 * 24 * 24 * sizeof (float), expected,
                           3 * 24 * 24 * sizeof (float));
          if (a->epoch == 0)
            seen[a->image_index[j]]++;
        }
      gabn_batcher_release (one, a);
      gabn_batcher_release (three, b);
    }
  /* Shuffle: in one epoch, no image twice. */
  for (int i = 0; i < ds->n_images; i++)
    g_assert_cmpint (seen[i], <=, 1);
  g_free (expected);
}

static void
test_balanced_sampling (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_IMBALANCED, 20, 3, 16);
  g_autoptr(GabnSplit) s = gabn_split_new (ds, NULL, NULL);
  g_autoptr(GabnBatcher) by_group = make_batcher (ds, s, GABN_SAMPLING_GROUP_BALANCED, 2, 8, 16);
  g_autoptr(GabnBatcher) by_id = make_batcher (ds, s, GABN_SAMPLING_IDENTITY_BALANCED, 2, 8, 16);
  g_autoptr(GError) error = NULL;
  int groups[4] = { 0 };
  g_autofree int *labels = g_new0 (int, s->n_train_identities);
  int per_epoch = gabn_batcher_batches_per_epoch (by_group);
  int lo = G_MAXINT, hi = 0;

  g_assert_cmpint (per_epoch, ==, gabn_batcher_batches_per_epoch (by_id));
  for (int k = 0; k < per_epoch; k++)
    {
      GabnBatch *a = gabn_batcher_next (by_group, NULL, &error);
      GabnBatch *b = gabn_batcher_next (by_id, NULL, &error);
      g_assert_no_error (error);
      for (int j = 0; j < 8; j++)
        {
          groups[a->groups[j]]++;
          labels[b->labels[j]]++;
        }
      gabn_batcher_release (by_group, a);
      gabn_batcher_release (by_id, b);
    }
  /* Group A has 16 of the 25 training identities, yet a quarter of the draws. */
  for (int g = 0; g < 4; g++)
    g_assert_cmpint (ABS (groups[g] - groups[0]), <=, 1);
  for (int l = 0; l < s->n_train_identities; l++)
    {
      lo = MIN (lo, labels[l]);
      hi = MAX (hi, labels[l]);
    }
  g_assert_cmpint (hi - lo, <=, 1);
}

static void
test_cancel_and_hold (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_BALANCED, 5, 2, 16);
  g_autoptr(GabnSplit) s = gabn_split_new (ds, NULL, NULL);
  g_autoptr(GabnBatcher) b = make_batcher (ds, s, GABN_SAMPLING_SHUFFLE, 2, 4, 16);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  GabnBatch *held[3];

  /* The default queue depth is 3: holding 3, a 4th is refused, not awaited. */
  for (int k = 0; k < 3; k++)
    {
      held[k] = gabn_batcher_next (b, NULL, &error);
      g_assert_no_error (error);
    }
  g_assert_null (gabn_batcher_next (b, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  for (int k = 0; k < 3; k++)
    gabn_batcher_release (b, held[k]);

  g_cancellable_cancel (cancellable);
  g_assert_null (gabn_batcher_next (b, cancellable, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_CANCELLED);
  g_clear_error (&error);
  /* Still usable without the cancelled cancellable; freeing with workers
   * waiting must not hang (the autoptr frees it). */
  held[0] = gabn_batcher_next (b, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (held[0]->number, ==, 3);
}

static void
test_bad_image_and_cache (void)
{
  g_autofree char *root = g_dir_make_tmp ("gabn-test-batcher-XXXXXX", NULL);
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *bad = g_build_filename (root, "G", "b", "bad.png", NULL);
  int images[4], labels[4] = { 0, 0, 1, 1 };
  GabnBatcherConfig c;
  gint64 hits, misses;
  float *out = g_new (float, 4 * 3 * 8 * 8);

  for (int i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("%d.png", i);
      g_autofree char *a = g_build_filename (root, "G", "a", name, NULL);
      fixture_image (a, 10, 10, 10 * i, 20, 30);
    }
  {
    g_autofree char *b0 = g_build_filename (root, "G", "b", "0.png", NULL);
    fixture_image (b0, 10, 10, 1, 2, 3);
  }
  fixture_text (bad, "garbage");
  ds = gabn_dataset_open (root, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n_images, ==, 4);

  /* The good images: cached after the first epoch. */
  for (int i = 0; i < 3; i++)
    images[i] = i;
  gabn_batcher_config_init (&c);
  c.size = 8;
  c.batch_size = 3;
  c.threads = 1;
  {
    g_autoptr(GabnBatcher) b = gabn_batcher_new (ds, images, labels, 3, &c, &error);
    g_assert_no_error (error);
    for (int k = 0; k < 4; k++)
      {
        GabnBatch *batch = gabn_batcher_next (b, NULL, &error);
        g_assert_no_error (error);
        gabn_batcher_release (b, batch);
      }
    gabn_batcher_cache_stats (b, &hits, &misses, NULL);
    g_assert_cmpint (misses, ==, 3);
    g_assert_cmpint (hits, >=, 6);
  }

  /* With the broken image: full batches all the same, the next entry in its
   * place, the file recorded once in the dataset with its reason. */
  images[3] = 3;
  g_assert_true (g_str_has_suffix (ds->images[3].path, "bad.png"));
  g_assert_cmpint (gabn_dataset_n_bad (ds), ==, 0);
  {
    g_autoptr(GabnBatcher) b = NULL;
    c.batch_size = 4;
    b = gabn_batcher_new (ds, images, labels, 4, &c, &error);
    g_assert_no_error (error);
    for (int k = 0; k < 3; k++)
      {
        GabnBatch *batch = gabn_batcher_next (b, NULL, &error);
        int seen[3] = { 0 };

        g_assert_no_error (error);
        g_assert_nonnull (batch);
        for (int j = 0; j < 4; j++)
          {
            g_assert_cmpint (batch->image_index[j], >=, 0);
            g_assert_cmpint (batch->image_index[j], <, 3);
            g_assert_cmpint (batch->labels[j], ==, labels[batch->image_index[j]]);
            seen[batch->image_index[j]]++;
          }
        /* Entry 3 (bad) wraps round to entry 0: image 0 twice. */
        g_assert_cmpint (seen[0], ==, 2);
        g_assert_cmpint (seen[1], ==, 1);
        g_assert_cmpint (seen[2], ==, 1);
        gabn_batcher_release (b, batch);
      }
  }
  g_assert_cmpint (gabn_dataset_n_bad (ds), ==, 1);
  g_assert_true (gabn_dataset_is_bad (ds, 3));
  {
    int n;
    GabnBadImage *found = gabn_dataset_get_bad (ds, 0, &n);
    g_assert_cmpint (n, ==, 1);
    g_assert_cmpint (found[0].image, ==, 3);
    g_assert_cmpstr (found[0].reason, !=, "");
    /* The reason alone: the file is named beside it. */
    g_assert_null (strstr (found[0].reason, "bad.png"));
    gabn_bad_images_free (found, n);
  }

  /* Nothing readable at all: an error, and again on the next call. */
  {
    g_autoptr(GabnBatcher) b = NULL;
    c.batch_size = 1;
    b = gabn_batcher_new (ds, images + 3, labels + 3, 1, &c, &error);
    g_assert_no_error (error);
    g_assert_null (gabn_batcher_next (b, NULL, &error));
    g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
    g_assert_nonnull (strstr (error->message, "bad.png"));
    g_clear_error (&error);
    g_assert_null (gabn_batcher_next (b, NULL, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  /* The synchronous helper: the same pixels, or the failing file's name. */
  g_assert_true (gabn_dataset_load_images (ds, images, 3, builtin_pre (8), FALSE, out, 2, NULL, &error));
  g_assert_no_error (error);
  {
    float one[3 * 8 * 8];
    g_assert_true (gabn_dataset_load_image (ds, 2, builtin_pre (8), FALSE, one, NULL));
    g_assert_cmpmem (out + 2 * 3 * 8 * 8, sizeof one, one, sizeof one);
  }
  g_assert_false (gabn_dataset_load_images (ds, images, 4, builtin_pre (8), FALSE, out, 2, NULL, &error));
  g_assert_nonnull (strstr (error->message, "bad.png"));
  g_clear_error (&error);
  /* Skipping instead: the good ones loaded, the bad one zeros and flagged. */
  {
    guint8 flags[4];
    g_assert_true (gabn_dataset_load_images_skipping (ds, images, 4, builtin_pre (8), FALSE, out, flags,
                                                      2, NULL, &error));
    g_assert_no_error (error);
    g_assert_cmpint (flags[0] + flags[1] + flags[2], ==, 0);
    g_assert_cmpint (flags[3], ==, 1);
    for (int i = 0; i < 3 * 8 * 8; i++)
      g_assert_cmpfloat (out[3 * 3 * 8 * 8 + i], ==, 0.0f);
  }
  g_assert_null (gabn_batcher_new (ds, images, labels, 0, &c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);

  g_free (out);
  fixture_remove (root);
}

/* Resuming at batch k gives batch k of a fresh stream; a shared cache
 * serves a second batcher. */
static void
test_first_batch_and_shared_cache (void)
{
  g_autoptr(GabnDataset) ds = synth (GABN_SYNTH_BALANCED, 6, 3, 32);
  g_autoptr(GabnSplit) s = gabn_split_new (ds, NULL, NULL);
  g_autoptr(GabnImageCache) cache = gabn_image_cache_new (1 << 20);
  g_autoptr(GError) error = NULL;
  g_autofree int *images = NULL;
  g_autofree int *labels = NULL;
  GabnBatcherConfig c;
  GabnBatch *want = NULL, *got;
  g_autoptr(GabnBatcher) fresh = NULL;
  g_autoptr(GabnBatcher) resumed = NULL;
  int n;
  gint64 hits, misses;

  gabn_split_train_images (s, ds, &images, &labels, &n);
  gabn_batcher_config_init (&c);
  c.batch_size = 4;
  c.size = 16; /* not the pixels' size: goes through the cache */
  c.cache = cache;
  fresh = gabn_batcher_new (ds, images, labels, n, &c, &error);
  g_assert_no_error (error);
  for (int k = 0; k <= 5; k++)
    {
      if (want)
        gabn_batcher_release (fresh, want);
      want = gabn_batcher_next (fresh, NULL, &error);
      g_assert_no_error (error);
    }
  c.first_batch = 5;
  resumed = gabn_batcher_new (ds, images, labels, n, &c, &error);
  got = gabn_batcher_next (resumed, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (got->number, ==, 5);
  g_assert_cmpmem (got->image_index, 4 * sizeof (int), want->image_index, 4 * sizeof (int));
  g_assert_cmpmem (got->input, 4 * 3 * 16 * 16 * sizeof (float), want->input,
                   4 * 3 * 16 * 16 * sizeof (float));
  /* Batch 5 was decoded by the first batcher: the second found it cached. */
  gabn_batcher_cache_stats (resumed, &hits, &misses, NULL);
  g_assert_cmpint (hits, >=, 4);
  gabn_batcher_release (fresh, want);
  gabn_batcher_release (resumed, got);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/split/without-pairs", test_split_without_pairs);
  g_test_add_func ("/split/json-errors", test_split_json_errors);
  g_test_add_func ("/split/trained-in-pairs", test_trained_in_pairs);
  g_test_add_func ("/batcher/batches", test_batches);
  g_test_add_func ("/batcher/balanced-sampling", test_balanced_sampling);
  g_test_add_func ("/batcher/cancel-and-hold", test_cancel_and_hold);
  g_test_add_func ("/batcher/bad-image-and-cache", test_bad_image_and_cache);
  g_test_add_func ("/batcher/first-batch-and-shared-cache", test_first_batch_and_shared_cache);
  return g_test_run ();
}
