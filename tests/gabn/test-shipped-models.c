/* test-shipped-models.c: the two models the app opens on its first run
 * (data/models, written by bench/ship-models.sh) load, say what data and
 * schedule made them, were trained on the people of today's `realistic`
 * data (their saved split fits it: a change to the generator that
 * leaves them stale fails here), and the baseline shows the built-in gap
 * on its data's held-out people: Groups C and D at least 5 points below
 * A and B. */
#include "gabn-evaluate.h"
#include "gabn-model-file.h"
#include "gabn-split.h"
#include "gabn-synth.h"

#include <string.h>

#define SHIPPED_DATA_SEED 1001

static GabnNet *
load (const char *kind, GHashTable **meta)
{
  g_autofree char *name = g_strdup_printf ("gabn-s-realistic-%s.safetensors", kind);
  g_autofree char *path = g_build_filename (g_getenv ("GABN_SHIPPED_MODELS"), name, NULL);
  g_autoptr(GError) error = NULL;
  GabnNet *net = gabn_model_load (path, NULL, meta, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (gabn_net_arch (net), ==, "gabn-s");
  g_assert_cmpstr (g_hash_table_lookup (*meta, "data"), ==,
                   "synth:realistic,identities=60,images=8,seed=1001");
  g_assert_nonnull (g_hash_table_lookup (*meta, "split"));
  return net;
}

static void
test_baseline_gap (void)
{
  g_autoptr(GHashTable) meta = NULL, gabn_meta = NULL;
  g_autoptr(GabnNet) net = load ("baseline", &meta);
  g_autoptr(GabnNet) gabn = load ("gabn", &gabn_meta);
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GabnEvalReport) r = NULL;
  g_autoptr(GError) error = NULL;
  GabnSynthConfig c;
  GabnEvalOptions o;
  double top;

  g_assert_nonnull (strstr (g_hash_table_lookup (meta, "train_config"), "\"method\":\"baseline\""));
  g_assert_nonnull (strstr (g_hash_table_lookup (gabn_meta, "train_config"), "\"method\":\"gabn\""));
  gabn_synth_config_init (&c, GABN_SYNTH_REALISTIC);
  c.seed = SHIPPED_DATA_SEED;
  ds = gabn_synth_generate (&c, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (int k = 0; k < 2; k++)
    {
      g_autoptr(GabnSplit) split = gabn_split_from_json (ds, g_hash_table_lookup (k ? gabn_meta : meta,
                                                                                "split"), &error);
      g_assert_no_error (error);
      g_assert_nonnull (split);
    }
  gabn_eval_options_init (&o);
  o.flip = TRUE;
  o.reliance_people = 0;
  o.gam_max_per_group = 0;
  r = gabn_evaluate (net, ds, ds->pairs, ds->n_pairs, &o, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (int g = 0; g < 4; g++)
    g_test_message ("%s: %.1f %%", r->groups[g].name, 100 * r->groups[g].accuracy);
  top = MIN (r->groups[0].accuracy, r->groups[1].accuracy);
  g_assert_cmpfloat (r->groups[2].accuracy, <=, top - 0.05);
  g_assert_cmpfloat (r->groups[3].accuracy, <=, top - 0.05);
  g_assert_cmpfloat (r->groups[2].accuracy, >, 0.6);
  g_assert_cmpfloat (r->groups[3].accuracy, >, 0.6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/shipped-models/baseline-gap", test_baseline_gap);
  return g_test_run ();
}
