/* test-synth.c: the synthetic generator is deterministic, keeps its ground
 * rule (every group carries the same identity information), its knobs do
 * what they claim (measured on the images), and its pairs are sound. */
#include "gabn-synth.h"
#include "gabn-split.h"
#include "gabn-parallel.h"

#include "data-fixtures.h"

#include <math.h>
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
  a = generate (GABN_SYNTH_REALISTIC, 7, 6, 3, TRUE);
  gabn_set_threads (2);
  b = generate (GABN_SYNTH_REALISTIC, 7, 6, 3, TRUE);
  c = generate (GABN_SYNTH_REALISTIC, 8, 6, 3, TRUE);
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
  /* Imbalanced: 4 held out everywhere; 16 training in A, 13 in B (0.8),
   * 2 in C and D (0.15). */
  g_assert_cmpint (imb->groups[0].n_identities, ==, 4 + 16);
  g_assert_cmpint (imb->groups[1].n_identities, ==, 4 + 13);
  g_assert_cmpint (imb->groups[2].n_identities, ==, 4 + 2);
  g_assert_cmpint (imb->groups[3].n_identities, ==, 4 + 2);
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
 * differs between the first 7 identities of each group (the same count in
 * every group, whatever the collection knob), with jitter off. */
static void
varying_fraction (const GabnDataset *ds, double fraction[4])
{
  int S = ds->pixel_size;
  const int max_ids = 7;

  for (int g = 0; g < 4; g++)
    {
      int head = 0, varying = 0;
      for (int px = 0; px < S * S; px++)
        {
          int lo[3] = { 255, 255, 255 }, hi[3] = { 0, 0, 0 };
          gboolean in_head = FALSE;
          int seen = 0;
          for (int i = 0; i < ds->n_identities && seen < max_ids; i++)
            {
              const GabnIdentity *id = &ds->identities[i];
              const guint8 *p;
              if (id->group != g)
                continue;
              seen++;
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

/* The ground rule: with the camera metering each face (every preset but
 * the capture ones), the same share of the head varies between people in
 * every group. The old small-region preset failed this (C 0.6× and D under
 * 0.5× of A). */
static void
test_ground_rule (void)
{
  const GabnSynthPreset presets[] = { GABN_SYNTH_BALANCED, GABN_SYNTH_IMBALANCED,
                                      GABN_SYNTH_SHORTCUT };

  for (gsize i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      g_autoptr(GabnDataset) ds = generate (presets[i], 5, 24, 1, FALSE);  /* ≥ 7 people in C */
      double f[4];

      varying_fraction (ds, f);
      for (int g = 0; g < 4; g++)
        {
          g_test_message ("preset %d group %c: %.3f of the head varies", presets[i], 'A' + g, f[g]);
          g_assert_cmpfloat (f[g], >, 0.5);
          g_assert_cmpfloat (ABS (f[g] - f[0]), <, 0.06);
        }
    }
}

/* How much a patch of the photo (rows [y0, y1), columns [x0, x1), as
 * fractions) differs between a group's people: the std of each pixel's
 * luminance over the group's first images, averaged over the patch. */
static double
between_people (const GabnDataset *ds, int group, double y0, double y1,
                double x0, double x1)
{
  int S = ds->pixel_size, n = 0;
  double total = 0;

  for (int y = (int) (y0 * S); y < (int) (y1 * S); y++)
    for (int x = (int) (x0 * S); x < (int) (x1 * S); x++)
      {
        double sum = 0, sum2 = 0;
        int m = 0;
        for (int i = 0; i < ds->n_identities; i++)
          {
            const GabnIdentity *id = &ds->identities[i];
            const guint8 *p = ds->pixels + ((gsize) id->first_image * S * S + (gsize) y * S + x) * 3;
            double l = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
            if (id->group != group)
              continue;
            sum += l;
            sum2 += l * l;
            m++;
          }
        total += sqrt (MAX (0.0, sum2 / m - (sum / m) * (sum / m)));
        n++;
      }
  return total / MAX (n, 1);
}

/* Capture: the photos of darker faces keep less of what tells people
 * apart in the lower face than the balanced camera's; lighter faces keep
 * most of it. (Grain adds about 4 levels to every figure.) */
static void
test_capture (void)
{
  g_autoptr(GabnDataset) bal = generate (GABN_SYNTH_BALANCED, 5, 16, 1, FALSE);
  g_autoptr(GabnDataset) cap = generate (GABN_SYNTH_CAPTURE, 5, 16, 1, FALSE);
  double lower_bal[4], lower_cap[4];

  for (int g = 0; g < 4; g++)
    {
      lower_bal[g] = between_people (bal, g, 0.6, 0.82, 0.36, 0.64);
      lower_cap[g] = between_people (cap, g, 0.6, 0.82, 0.36, 0.64);
      g_test_message ("group %c lower-face contrast: balanced %.1f, capture %.1f",
                      'A' + g, lower_bal[g], lower_cap[g]);
    }
  g_assert_cmpfloat (lower_cap[3], <, 0.6 * lower_bal[3]);
  g_assert_cmpfloat (lower_cap[2], <, 0.7 * lower_bal[2]);
  g_assert_cmpfloat (lower_cap[0], >, 0.8 * lower_bal[0]);
  g_assert_cmpfloat (lower_cap[3], <, lower_cap[0]);
}

/* Shortcut: two photos of one person differ far more than without the
 * knob (the outline moves), and about as much in every group. */
static void
test_shortcut (void)
{
  const GabnSynthPreset presets[2] = { GABN_SYNTH_BALANCED, GABN_SYNTH_SHORTCUT };
  double diff[2][4];

  for (int k = 0; k < 2; k++)
    {
      g_autoptr(GabnDataset) ds = NULL;
      GabnSynthConfig c;

      gabn_synth_config_init (&c, presets[k]);
      c.identities = 12;
      c.images = 2;
      c.jitter = FALSE;   /* no pose or light: only the shortcut moves */
      ds = gabn_synth_generate (&c, NULL, NULL, NULL, NULL);
      for (int g = 0; g < 4; g++)
        {
          int S = ds->pixel_size, n = 0;
          double sum = 0;
          for (int i = 0; i < ds->n_identities; i++)
            {
              const GabnIdentity *id = &ds->identities[i];
              const guint8 *a = ds->pixels + (gsize) id->first_image * S * S * 3;
              const guint8 *b = a + (gsize) S * S * 3;
              if (id->group != g)
                continue;
              for (int px = 0; px < S * S * 3; px++)
                sum += ABS (a[px] - b[px]);
              n++;
            }
          diff[k][g] = sum / MAX (n, 1);
          g_test_message ("preset %d group %c: photo-to-photo difference %.0f", presets[k], 'A' + g, diff[k][g]);
        }
    }
  for (int g = 0; g < 4; g++)
    {
      g_assert_cmpfloat (diff[1][g], >, 2 * diff[0][g]);
      g_assert_cmpfloat (diff[1][g], >, 0.6 * diff[1][0]);
      g_assert_cmpfloat (diff[1][g], <, 1.8 * diff[1][0]);
    }
}

/* The region swap behind the reliance: no region swapped gives the
 * generated photo byte for byte; swapping the mouth leaves the upper face
 * untouched and changes the lower face. */
static void
test_swap (void)
{
  g_autoptr(GabnDataset) ds = NULL;
  GabnSynthConfig c;
  int S;
  g_autofree guint8 *rgb = NULL;
  gsize upper;

  gabn_synth_config_init (&c, GABN_SYNTH_REALISTIC);
  c.identities = 8;
  c.images = 3;
  c.jitter = FALSE;
  ds = gabn_synth_generate (&c, NULL, NULL, NULL, NULL);
  g_assert_nonnull (ds->synth);
  S = ds->pixel_size;
  rgb = g_malloc ((gsize) S * S * 3);
  /* Group C, identity 2, image 1: dataset image first_image + 1. */
  for (int i = 0; i < ds->n_identities; i++)
    if (ds->identities[i].group == 2 && g_strcmp0 (ds->identities[i].name, "id-003") == 0)
      {
        const guint8 *orig = ds->pixels + (gsize) (ds->identities[i].first_image + 1) * S * S * 3;
        gabn_synth_render_swapped (ds->synth, 2, 2, 1, 0, 5, rgb);
        g_assert_cmpmem (rgb, (gsize) S * S * 3, orig, (gsize) S * S * 3);
        gabn_synth_render_swapped (ds->synth, 2, 2, 1, GABN_REGION_MOUTH, 5, rgb);
        upper = (gsize) S * (S / 2) * 3;
        g_assert_cmpmem (rgb, upper, orig, upper);
        g_assert_false (memcmp (rgb + upper, orig + upper, (gsize) S * S * 3 - upper) == 0);
        return;
      }
  g_assert_not_reached ();
}

static void
test_large (void)
{
  gint64 start = g_get_monotonic_time ();
  g_autoptr(GabnDataset) ds = NULL;
  double seconds;

  gabn_set_threads (2);
  ds = generate (GABN_SYNTH_BALANCED, 1, 100, 10, TRUE);
  gabn_set_threads (1);
  seconds = (g_get_monotonic_time () - start) / 1e6;
  g_test_message ("4 × 100 × 10 faces at 64×64: %.2f s", seconds);
  g_assert_cmpint (ds->n_images, ==, 4000);
  g_assert_cmpint (ds->n_pairs, ==, 4 * 10 * 30 * 2);
}

/* heldout=N: N new people per group, and the training people (their
 * order, parameters and every photo) are those of the fraction's default —
 * what lets a model be measured on more new people than it was split with. */
static void
test_heldout (void)
{
  g_autoptr(GabnDataset) a = generate (GABN_SYNTH_REALISTIC, 5, 20, 3, TRUE);
  g_autoptr(GabnDataset) b = NULL;
  g_autoptr(GError) error = NULL;
  GabnSynthConfig c;
  gsize bytes = (gsize) 3 * a->pixel_size * a->pixel_size * 3;

  gabn_synth_config_init (&c, GABN_SYNTH_REALISTIC);
  c.seed = 5;
  c.identities = 36;
  c.images = 3;
  c.heldout = 20;
  b = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (int g = 0; g < 4; g++)
    {
      int n_train = gabn_synth_train_count (&c, g), first_a = -1, first_b = -1;
      g_assert_cmpint (b->groups[g].n_identities, ==, n_train + 20);
      g_assert_cmpint (a->groups[g].n_identities, ==, n_train + 4);
      for (int i = 0; i < a->n_images && first_a < 0; i++)
        if (a->images[i].group == g)
          first_a = i;
      for (int i = 0; i < b->n_images && first_b < 0; i++)
        if (b->images[i].group == g)
          first_b = i;
      /* Training people and the first held-out one: the same pixels. */
      for (int id = 0; id <= n_train; id++)
        g_assert_true (memcmp (a->pixels + (first_a + (gsize) id * 3) * (bytes / 3),
                               b->pixels + (first_b + (gsize) id * 3) * (bytes / 3),
                               bytes) == 0);
    }
  /* Every held-out person is in some pair, so none of them trains. */
  {
    g_autoptr(GabnSplit) split = gabn_split_new (b, NULL, &error);
    int held = 0;
    g_assert_no_error (error);
    for (int i = 0; i < b->n_identities; i++)
      held += split->label_of_identity[i] < 0;
    g_assert_cmpint (held, ==, 4 * 20);
  }
  c.heldout = 36;
  g_assert_false (gabn_synth_config_validate (&c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  c.heldout = 1;
  g_assert_false (gabn_synth_config_validate (&c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
}

/* share=P: the collection knob's strength, for Groups C and D only, and
 * only on a preset whose collection knob is on. */
static void
test_share (void)
{
  GabnSynthConfig c;
  g_autoptr(GError) error = NULL;

  gabn_synth_config_init (&c, GABN_SYNTH_REALISTIC);
  g_assert_cmpint (gabn_synth_train_count (&c, 2), ==, 7);  /* 48 × 0.15 */
  c.share = 20;
  g_assert_true (gabn_synth_config_validate (&c, &error));
  g_assert_cmpint (gabn_synth_train_count (&c, 0), ==, 48);
  g_assert_cmpint (gabn_synth_train_count (&c, 1), ==, 38);
  g_assert_cmpint (gabn_synth_train_count (&c, 2), ==, 10);
  g_assert_cmpint (gabn_synth_train_count (&c, 3), ==, 10);
  c.share = 101;
  g_assert_false (gabn_synth_config_validate (&c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  gabn_synth_config_init (&c, GABN_SYNTH_BALANCED);
  c.share = 20;
  g_assert_false (gabn_synth_config_validate (&c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
}

/* toe=P: the capture camera's crushed shadows, as a setting. 17 is the
 * preset's own (the same photos); less keeps less contrast in the darks. */
static void
test_toe (void)
{
  g_autoptr(GabnDataset) a = generate (GABN_SYNTH_REALISTIC, 2, 6, 2, TRUE);
  g_autoptr(GabnDataset) b = NULL, d = NULL;
  g_autoptr(GError) error = NULL;
  GabnSynthConfig c;

  gabn_synth_config_init (&c, GABN_SYNTH_REALISTIC);
  c.seed = 2;
  c.identities = 6;
  c.images = 2;
  c.toe = 17;
  b = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (memcmp (a->pixels, b->pixels, pixel_bytes (a)) == 0);
  c.toe = 8;
  d = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (memcmp (a->pixels, d->pixels, pixel_bytes (a)) == 0);
  gabn_synth_config_init (&c, GABN_SYNTH_BALANCED);
  c.toe = 8;
  g_assert_false (gabn_synth_config_validate (&c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
}

static void
test_invalid (void)
{
  GabnSynthConfig c;
  g_autoptr(GError) error = NULL;
  GabnSynthPreset preset;
  int n;
  const GabnSynthPresetInfo *presets = gabn_synth_presets (&n);

  g_assert_cmpint (n, ==, GABN_SYNTH_N_PRESETS);
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

  gabn_synth_config_init (&c, GABN_SYNTH_REALISTIC);
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
  g_test_add_func ("/synth/ground-rule", test_ground_rule);
  g_test_add_func ("/synth/capture", test_capture);
  g_test_add_func ("/synth/shortcut", test_shortcut);
  g_test_add_func ("/synth/swap", test_swap);
  g_test_add_func ("/synth/large", test_large);
  g_test_add_func ("/synth/heldout", test_heldout);
  g_test_add_func ("/synth/share", test_share);
  g_test_add_func ("/synth/toe", test_toe);
  g_test_add_func ("/synth/invalid", test_invalid);
  g_test_add_func ("/synth/write-roundtrip", test_write_roundtrip);
  return g_test_run ();
}
