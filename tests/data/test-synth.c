/* test-synth.c: the synthetic generator is deterministic, its presets differ
 * in the way they claim (measured on the images), and its pairs are sound. */
#include "gabn-synth.h"
#include "gabn-split.h"
#include "gabn-parallel.h"

#include "data-fixtures.h"

#include <string.h>

static GabnDataset *
generate (GabnSynthPreset preset, guint64 seed, int identities, int images,
          gboolean jitter)
{
  GabnSynthConfig c;
  g_autoptr(GError) error = NULL;
  GabnDataset *ds;

  gabn_synth_config_init (&c, preset);
  c.seed = seed;
  c.identities = identities;
  c.images = images;
  c.jitter = jitter;
  ds = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ds);
  return ds;
}

static gsize
pixel_bytes (const GabnDataset *ds)
{
  return (gsize) ds->n_images * ds->pixel_size * ds->pixel_size * 3;
}

static void
test_deterministic (void)
{
  g_autoptr(GabnDataset) a = NULL, b = NULL, c = NULL;

  gabn_set_threads (1);
  a = generate (GABN_SYNTH_SMALL_REGION, 7, 6, 3, TRUE);
  gabn_set_threads (2);
  b = generate (GABN_SYNTH_SMALL_REGION, 7, 6, 3, TRUE);
  c = generate (GABN_SYNTH_SMALL_REGION, 8, 6, 3, TRUE);
  gabn_set_threads (1);

  g_assert_cmpint (a->n_images, ==, b->n_images);
  /* Same seed: same bytes, whatever the thread count. */
  g_assert_true (memcmp (a->pixels, b->pixels, pixel_bytes (a)) == 0);
  g_assert_cmpint (a->n_pairs, ==, b->n_pairs);
  g_assert_true (memcmp (a->pairs, b->pairs, sizeof (GabnPair) * a->n_pairs) == 0);
  /* Another seed: other faces. */
  g_assert_cmpint (a->n_images, ==, c->n_images);
  g_assert_false (memcmp (a->pixels, c->pixels, pixel_bytes (a)) == 0);
}

static void
test_counts (void)
{
  g_autoptr(GabnDataset) bal = generate (GABN_SYNTH_BALANCED, 1, 20, 4, TRUE);
  g_autoptr(GabnDataset) imb = generate (GABN_SYNTH_IMBALANCED, 1, 20, 4, TRUE);

  g_assert_cmpstr (bal->format, ==, "synthetic");
  g_assert_cmpint (bal->n_groups, ==, 4);
  g_assert_cmpstr (bal->groups[0].name, ==, "Group A");
  g_assert_cmpstr (bal->groups[3].name, ==, "Group D");
  for (int g = 0; g < 4; g++)
    {
      g_assert_cmpint (bal->groups[g].n_identities, ==, 20);
      g_assert_cmpint (bal->groups[g].n_images, ==, 80);
    }
  /* Imbalanced: 4 held out everywhere; 16 training in A, 3 elsewhere. */
  g_assert_cmpint (imb->groups[0].n_identities, ==, 20);
  for (int g = 1; g < 4; g++)
    g_assert_cmpint (imb->groups[g].n_identities, ==, 4 + 3);
  for (int i = 0; i < imb->n_images; i++)
    {
      g_assert_null (imb->images[i].path);
      g_assert_cmpint (imb->images[i].group, ==, imb->identities[imb->images[i].identity].group);
    }
  g_assert_nonnull (bal->description);
  g_assert_nonnull (strstr (bal->description, "balanced"));
}

/* Pairs: over held-out identities only, balanced per group and per fold,
 * genuine pairs within an identity, impostors across two. */
static void
test_pairs (void)
{
  g_autoptr(GabnDataset) ds = generate (GABN_SYNTH_IMBALANCED, 3, 20, 5, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSplit) split = NULL;
  int count[4][10][2] = { { { 0 } } };
  int held = 0;

  g_assert_cmpint (ds->n_pairs, >, 0);
  for (int p = 0; p < ds->n_pairs; p++)
    {
      const GabnPair *pair = &ds->pairs[p];
      const GabnImage *a = &ds->images[pair->a], *b = &ds->images[pair->b];
      g_assert_cmpint (pair->a, !=, pair->b);
      g_assert_cmpint (pair->fold, >=, 0);
      g_assert_cmpint (pair->fold, <, 10);
      g_assert_cmpint (a->group, ==, b->group);
      g_assert_true (pair->same == (a->identity == b->identity));
      count[a->group][pair->fold][pair->same]++;
    }
  for (int g = 0; g < 4; g++)
    for (int f = 0; f < 10; f++)
      {
        g_assert_cmpint (count[g][f][0], ==, count[0][0][0]);
        g_assert_cmpint (count[g][f][1], ==, count[0][0][1]);
      }
  g_assert_cmpint (count[0][0][0], ==, count[0][0][1]);

  /* The split holds out exactly the 4 last identities of each group. */
  split = gabn_split_new (ds, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (split->pairs_from_dataset);
  for (int i = 0; i < ds->n_identities; i++)
    {
      const GabnIdentity *id = &ds->identities[i];
      int last = 0;
      for (int j = 0; j < ds->n_identities; j++)
        if (ds->identities[j].group == id->group)
          last = j;
      g_assert_true ((split->label_of_identity[i] < 0) == (i > last - 4));
      held += split->label_of_identity[i] < 0;
    }
  g_assert_cmpint (held, ==, 16);
}

/* The fraction of head pixels (not background in some image) whose value
 * differs between identities, per group, with jitter off. */
static void
varying_fraction (const GabnDataset *ds, double fraction[4])
{
  int S = ds->pixel_size;

  for (int g = 0; g < 4; g++)
    {
      int head = 0, varying = 0;
      for (int px = 0; px < S * S; px++)
        {
          int lo[3] = { 255, 255, 255 }, hi[3] = { 0, 0, 0 };
          gboolean in_head = FALSE;
          for (int i = 0; i < ds->n_identities; i++)
            {
              const GabnIdentity *id = &ds->identities[i];
              const guint8 *p;
              if (id->group != g)
                continue;
              p = ds->pixels + ((gsize) id->first_image * S * S + px) * 3;
              /* The background with jitter off is flat grey 0.5. */
              if (!(p[0] == p[1] && p[1] == p[2] && (p[0] == 127 || p[0] == 128)))
                in_head = TRUE;
              for (int c = 0; c < 3; c++)
                {
                  lo[c] = MIN (lo[c], p[c]);
                  hi[c] = MAX (hi[c], p[c]);
                }
            }
          if (!in_head)
            continue;
          head++;
          if (hi[0] - lo[0] > 6 || hi[1] - lo[1] > 6 || hi[2] - lo[2] > 6)
            varying++;
        }
      fraction[g] = (double) varying / MAX (head, 1);
    }
}

static void
test_presets_differ (void)
{
  g_autoptr(GabnDataset) bal = generate (GABN_SYNTH_BALANCED, 5, 16, 1, FALSE);
  g_autoptr(GabnDataset) small = generate (GABN_SYNTH_SMALL_REGION, 5, 16, 1, FALSE);
  double fb[4], fs[4];

  varying_fraction (bal, fb);
  varying_fraction (small, fs);
  for (int g = 0; g < 4; g++)
    g_test_message ("group %c: balanced %.3f, small-region %.3f", 'A' + g, fb[g], fs[g]);

  /* balanced: the whole face varies in every group, about equally. */
  for (int g = 0; g < 4; g++)
    {
      g_assert_cmpfloat (fb[g], >, 0.6);
      g_assert_cmpfloat (ABS (fb[g] - fb[0]), <, 0.1);
    }
  /* small-region: A and B as balanced; C smaller; D smallest, under half of A. */
  g_assert_cmpfloat (fs[0], >, 0.6);
  g_assert_cmpfloat (fs[1], >, 0.6);
  g_assert_cmpfloat (fs[2], <, 0.6 * fs[0]);
  g_assert_cmpfloat (fs[3], <, fs[2]);
  g_assert_cmpfloat (fs[3], <, 0.5 * fs[0]);
}

static void
test_large (void)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GabnDataset) ds = NULL;
  double seconds;

  gabn_set_threads (2);
  ds = generate (GABN_SYNTH_SMALL_REGION, 1, 100, 10, TRUE);
  gabn_set_threads (1);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("4 × 100 × 10 faces at 64×64: %.2f s", seconds);
  g_assert_cmpint (ds->n_images, ==, 4000);
  g_assert_cmpint (ds->n_pairs, ==, 4 * 10 * 30 * 2);
}

static void
test_invalid (void)
{
  GabnSynthConfig c;
  g_autoptr(GError) error = NULL;
  GabnSynthPreset preset;
  int n;
  const GabnSynthPresetInfo *presets = gabn_synth_presets (&n);

  g_assert_cmpint (n, ==, 3);
  for (int i = 0; i < n; i++)
    {
      g_assert_true (gabn_synth_preset_from_nick (presets[i].nick, &preset));
      g_assert_cmpint (preset, ==, presets[i].preset);
      g_assert_cmpuint (strlen (presets[i].description), >, 100);
    }
  g_assert_false (gabn_synth_preset_from_nick ("nope", &preset));
  gabn_synth_config_init (&c, GABN_SYNTH_BALANCED);
  c.size = 4;
  g_assert_null (gabn_synth_generate (&c, NULL, NULL, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
}

/* On disk: the same pixels and pairs as in memory (PNG is lossless); a
 * cancelled write leaves nothing behind. */
static void
test_write_roundtrip (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gabn-test-synth-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "faces", NULL);
  g_autofree char *other = g_build_filename (tmp, "cancelled", NULL);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GabnDataset) mem = NULL, disk = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *rgb = NULL;
  GabnSynthConfig c;

  gabn_synth_config_init (&c, GABN_SYNTH_SMALL_REGION);
  c.identities = 6;
  c.images = 3;
  c.size = 24;
  mem = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gabn_synth_write (&c, dir, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  disk = gabn_dataset_open (dir, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (disk->format, ==, "generic");
  g_assert_cmpint (disk->n_images, ==, mem->n_images);
  g_assert_cmpint (disk->n_identities, ==, mem->n_identities);
  g_assert_cmpint (disk->n_skipped, ==, 0);
  rgb = g_malloc (24 * 24 * 3);
  for (int i = 0; i < disk->n_images; i++)
    {
      g_assert_cmpint (disk->images[i].identity, ==, mem->images[i].identity);
      g_assert_true (gabn_dataset_load_rgb (disk, i, 24, rgb, &error));
      g_assert_cmpmem (rgb, 24 * 24 * 3, mem->pixels + (gsize) i * 24 * 24 * 3, 24 * 24 * 3);
    }
  g_assert_cmpint (disk->n_pairs, ==, mem->n_pairs);
  g_assert_cmpmem (disk->pairs, sizeof (GabnPair) * disk->n_pairs, mem->pairs,
                   sizeof (GabnPair) * mem->n_pairs);

  /* Cancelled: an error, and nothing new in tmp (only "faces"). */
  g_cancellable_cancel (cancellable);
  g_assert_false (gabn_synth_write (&c, other, NULL, NULL, cancellable, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_CANCELLED);
  {
    GDir *d = g_dir_open (tmp, 0, NULL);
    int n = 0;
    while (g_dir_read_name (d))
      n++;
    g_dir_close (d);
    g_assert_cmpint (n, ==, 1);
  }
  fixture_remove (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/synth/deterministic", test_deterministic);
  g_test_add_func ("/synth/counts", test_counts);
  g_test_add_func ("/synth/pairs", test_pairs);
  g_test_add_func ("/synth/presets-differ", test_presets_differ);
  g_test_add_func ("/synth/large", test_large);
  g_test_add_func ("/synth/invalid", test_invalid);
  g_test_add_func ("/synth/write-roundtrip", test_write_roundtrip);
  return g_test_run ();
}
