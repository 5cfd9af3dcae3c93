/* test-reliance.c: the ground-truth reliance from region swaps, on nets
 * built by hand to see only one part of the photo: a head that reads only
 * the bottom rows of the feature map relies on the mouth more than on the
 * brows, one that reads only the top rows the other way round; shares sum
 * to 1; the eval report carries them (and not on non-synthetic data). */
#include "gabn-evaluate.h"
#include "gabn-reliance.h"

#include <math.h>

static GabnDataset *
small_synth (void)
{
  GabnSynthConfig c;
  g_autoptr(GError) error = NULL;
  GabnDataset *ds;

  gabn_synth_config_init (&c, GABN_SYNTH_BALANCED);
  c.identities = 20;   /* 4 held out per group */
  c.images = 2;
  ds = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return ds;
}

/* A gabn-s net whose head reads only feature rows [y0, y1) of 8. */
static GabnNet *
net_seeing_rows (int y0, int y1)
{
  g_autoptr(GError) error = NULL;
  GabnNet *net = gabn_net_new ("gabn-s", 0, 3, &error);
  const GabnTensorInfo *w;
  int C, H, W;

  g_assert_no_error (error);
  gabn_net_feature_shape (net, &C, &H, &W);
  w = gabn_net_find_tensor (net, "head.1.weight");
  g_assert_nonnull (w);
  for (gint64 o = 0; o < w->shape[0]; o++)
    for (int c = 0; c < C; c++)
      for (int y = 0; y < H; y++)
        if (y < y0 || y >= y1)
          for (int x = 0; x < W; x++)
            w->data[o * w->shape[1] + ((gsize) c * H + y) * W + x] = 0.0f;
  return net;
}

static double
share (const GabnReliance *r, int g, GabnSynthRegion region)
{
  for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
    if ((1u << k) == (guint) region)
      return r->share[g * GABN_SYNTH_N_REGIONS + k];
  g_assert_not_reached ();
}

static void
test_hand_built (void)
{
  g_autoptr(GabnDataset) ds = small_synth ();
  g_autoptr(GabnNet) bottom = net_seeing_rows (7, 8), top = net_seeing_rows (0, 2);
  g_autoptr(GabnReliance) rb = NULL, rt = NULL;
  g_autoptr(GError) error = NULL;

  rb = gabn_reliance_compute (bottom, ds, 4, 1, NULL, &error);
  g_assert_no_error (error);
  rt = gabn_reliance_compute (top, ds, 4, 1, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rb->n_groups, ==, 4);
  g_assert_cmpint (rb->n_photos_per_group, ==, 4);
  for (int g = 0; g < 4; g++)
    {
      double sum_b = 0, sum_t = 0;
      for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
        {
          g_assert_cmpfloat (rb->share[g * GABN_SYNTH_N_REGIONS + k], >=, 0);
          sum_b += rb->share[g * GABN_SYNTH_N_REGIONS + k];
          sum_t += rt->share[g * GABN_SYNTH_N_REGIONS + k];
        }
      g_assert_cmpfloat (fabs (sum_b - 1), <, 1e-9);
      g_assert_cmpfloat (fabs (sum_t - 1), <, 1e-9);
      g_test_message ("group %c: bottom-rows net mouth %.3f brows %.3f; top-rows net "
                      "mouth %.3f brows %.3f hair %.3f", 'A' + g,
                      share (rb, g, GABN_REGION_MOUTH), share (rb, g, GABN_REGION_BROWS),
                      share (rt, g, GABN_REGION_MOUTH), share (rt, g, GABN_REGION_BROWS),
                      share (rt, g, GABN_REGION_HAIR));
      g_assert_cmpfloat (share (rb, g, GABN_REGION_MOUTH), >, 2 * share (rb, g, GABN_REGION_BROWS));
      g_assert_cmpfloat (share (rt, g, GABN_REGION_BROWS) + share (rt, g, GABN_REGION_HAIR), >,
                         2 * share (rt, g, GABN_REGION_MOUTH));
    }
}

static void
test_in_report (void)
{
  g_autoptr(GabnDataset) ds = small_synth ();
  g_autoptr(GabnNet) net = net_seeing_rows (0, 8);
  g_autoptr(GabnEvalReport) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  GabnEvalOptions o;

  gabn_eval_options_init (&o);
  o.reliance_people = 2;
  o.reliance_photos = 1;
  o.gam_max_per_group = 4;
  r = gabn_evaluate (net, ds, ds->pairs, ds->n_pairs, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (int g = 0; g < r->n_groups; g++)
    for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
      g_assert_false (isnan (r->groups[g].reliance[k]));
  json = gabn_eval_report_to_json (r, FALSE);
  g_assert_nonnull (strstr (json, "\"reliance\":{\"outline\":"));
  g_assert_nonnull (strstr (json, "\"texture\":"));

  /* Without the generator's settings (a folder of photos): no reliance. */
  g_clear_pointer (&ds->synth, g_free);
  g_clear_pointer (&r, gabn_eval_report_free);
  g_clear_pointer (&json, g_free);
  r = gabn_evaluate (net, ds, ds->pairs, ds->n_pairs, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (r->groups[0].reliance[0]));
  json = gabn_eval_report_to_json (r, FALSE);
  g_assert_null (strstr (json, "reliance"));
  g_assert_null (gabn_reliance_compute (net, ds, 2, 1, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/reliance/hand-built", test_hand_built);
  g_test_add_func ("/reliance/in-report", test_in_report);
  return g_test_run ();
}
