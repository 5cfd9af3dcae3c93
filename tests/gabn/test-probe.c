/* test-probe.c: the group probe (DESIGN.md 1) on synthetic maps whose group
 * information is known: separable maps, identical maps, maps that say
 * nothing about the group, and maps that tell the identity but not the
 * group (where folds by image would let the probe cheat). */
#include "gabn-cam.h"
#include "gabn-probe.h"

#include <math.h>

enum { G = 4, IDS = 10, IMGS = 5, H = 4, W = 4, CELLS = H * W, N = G * IDS * IMGS };

typedef enum { SEPARABLE, IDENTICAL, NOISE, IDENTITY_ONLY } Kind;

/* N maps (normalised like GAMs), their groups and identities. */
static void
make_maps (Kind kind, float *P, int *groups, int *identities)
{
  GRand *rand = g_rand_new_with_seed (7);
  float cam[CELLS], id_pattern[G * IDS][CELLS];
  int i = 0;

  for (int id = 0; id < G * IDS; id++)
    for (int c = 0; c < CELLS; c++)
      id_pattern[id][c] = (float) g_rand_double_range (rand, 0.0, 1.0);
  for (int g = 0; g < G; g++)
    for (int id = 0; id < IDS; id++)
      for (int k = 0; k < IMGS; k++, i++)
        {
          int identity = g * IDS + id;

          for (int c = 0; c < CELLS; c++)
            switch (kind)
              {
              case SEPARABLE:   /* group g attends to cells 4g..4g+3 more */
                cam[c] = (float) g_rand_double_range (rand, 0.0, 1.0)
                         + (c / 4 == g ? 1.5f : 0.0f);
                break;
              case IDENTICAL:
                cam[c] = 1.0f + c;
                break;
              case NOISE:
                cam[c] = (float) g_rand_double_range (rand, 0.0, 1.0);
                break;
              default: /* IDENTITY_ONLY: the person's own pattern, barely noisy */
                cam[c] = id_pattern[identity][c]
                         + 0.02f * (float) g_rand_double_range (rand, 0.0, 1.0);
                break;
              }
          gabn_cam_normalise (P + (gsize) i * CELLS, cam, 1, CELLS);
          groups[i] = g;
          identities[i] = identity;
        }
  g_rand_free (rand);
}

static GabnProbeResult
probe (Kind kind)
{
  static float P[N * CELLS];
  static int groups[N], identities[N];
  GabnProbeResult r;

  make_maps (kind, P, groups, identities);
  g_assert_true (gabn_probe_cross_validate (P, groups, identities, N, CELLS, G,
                                            NULL, &r));
  g_assert_cmpint (r.n_folds, ==, 5);
  g_assert_cmpint (r.n_groups, ==, G);
  g_assert_cmpfloat_with_epsilon (r.chance, 0.25, 1e-12);
  g_test_message ("kind %d: probe accuracy %.3f ± %.3f", kind, r.accuracy,
                  r.accuracy_std);
  return r;
}

static void
test_separable (void)
{
  GabnProbeResult r = probe (SEPARABLE);

  g_assert_cmpfloat (r.accuracy, >=, 0.97);
  g_assert_cmpfloat (r.accuracy_std, <=, 0.05);
}

static void
test_identical (void)
{
  GabnProbeResult r = probe (IDENTICAL);

  g_assert_cmpfloat (fabs (r.accuracy - r.chance), <=, 0.05);
}

static void
test_noise (void)
{
  GabnProbeResult r = probe (NOISE);

  g_assert_cmpfloat (fabs (r.accuracy - r.chance), <=, 0.12);
}

/* Each identity has its own map and the groups are unrelated to the maps:
 * a probe tested on images of people it trained on would recognise them
 * (and so their group); tested on other people it is at chance. */
static void
test_identity_not_group (void)
{
  GabnProbeResult r = probe (IDENTITY_ONLY), leaky;
  static float P[N * CELLS];
  static int groups[N], identities[N];

  g_assert_cmpfloat (r.accuracy, <=, r.chance + 0.1);
  /* The same maps with folds by image (no identities): the probe now
   * meets the people it trained on and reads their group. */
  make_maps (IDENTITY_ONLY, P, groups, identities);
  for (int i = 0; i < N; i++)
    identities[i] = -1;
  g_assert_true (gabn_probe_cross_validate (P, groups, identities, N, CELLS, G,
                                            NULL, &leaky));
  g_test_message ("folds by image: %.3f", leaky.accuracy);
  g_assert_cmpfloat (leaky.accuracy, >=, 0.45);
}

static void
test_deterministic (void)
{
  GabnProbeResult a = probe (NOISE), b = probe (NOISE);

  g_assert_cmpfloat (a.accuracy, ==, b.accuracy);
  g_assert_cmpfloat (a.accuracy_std, ==, b.accuracy_std);
}

static void
test_too_few (void)
{
  float P[4 * CELLS] = { 0 };
  int one_group[4] = { 1, 1, 1, 1 }, two_groups[4] = { 0, 0, 1, 1 };
  int ids[4] = { 0, 1, 2, 3 }, one_id[4] = { 5, 5, 5, 5 };
  GabnProbeResult r;

  g_assert_false (gabn_probe_cross_validate (P, one_group, ids, 4, CELLS, G, NULL, &r));
  g_assert_true (isnan (r.accuracy));
  /* Two groups but one identity (impossible across groups, but no crash). */
  g_assert_false (gabn_probe_cross_validate (P, one_group, one_id, 4, CELLS, G, NULL, &r));
  /* Two groups, four people: two folds can be tested at least. */
  g_assert_true (gabn_probe_cross_validate (P, two_groups, ids, 4, CELLS, G, NULL, &r));
  g_assert_cmpint (r.n_folds, ==, 4);
  g_assert_cmpfloat_with_epsilon (r.chance, 0.5, 1e-12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/probe/separable", test_separable);
  g_test_add_func ("/gabn/probe/identical", test_identical);
  g_test_add_func ("/gabn/probe/noise", test_noise);
  g_test_add_func ("/gabn/probe/identity-not-group", test_identity_not_group);
  g_test_add_func ("/gabn/probe/deterministic", test_deterministic);
  g_test_add_func ("/gabn/probe/too-few", test_too_few);
  return g_test_run ();
}
