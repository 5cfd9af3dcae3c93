/* test-report-json.c: the evaluation report's JSON (the `gabn eval --json`
 * schema exactly, null for undefined values) and its round trip. */
#include "gabn-cam.h"
#include "gabn-evaluate.h"

#include <json-glib/json-glib.h>
#include <math.h>

static GabnEvalReport *
make_report (void)
{
  GabnEvalReport *r = g_new0 (GabnEvalReport, 1);

  r->epoch = 2;
  r->step = 40;
  r->n_groups = 2;
  r->gam_h = 1;
  r->gam_w = 2;
  r->groups = g_new0 (GabnGroupReport, 2);
  for (int g = 0; g < 2; g++)
    {
      GabnGroupReport *gr = &r->groups[g];
      gr->name = g_strdup_printf ("Group %c", 'A' + g);
      gr->n_pairs = 60;
      gr->n_genuine = gr->n_impostor = 30;
      gr->accuracy = 0.9 - 0.1 * g;
      gr->accuracy_std = 0.05;
      gr->tar_at_far[0] = 0.7;
      gr->tar_at_far[1] = gr->tar_at_far[2] = 0.5;
      gr->fmr = 0.1;
      gr->fnmr = 0.2;
      gr->region50 = 0.25;
      gr->region80 = 0.5;
      gr->js_to_reference = g == 0 ? 0.0 : 0.01;
      gr->mean_gam = g_new (float, 2);
      gr->mean_gam[0] = 0.25f;
      gr->mean_gam[1] = 0.75f;
      gr->n_roc = 2;
      gr->roc_far = g_new0 (float, 2);
      gr->roc_tar = g_new0 (float, 2);
      gr->roc_far[1] = gr->roc_tar[1] = 1.0f;
    }
  r->mean_accuracy = 0.85;
  r->std = 0.05;
  r->ser = NAN;
  r->mean_pairwise_js = 0.01;
  r->js_matrix = g_new0 (double, 4);
  r->js_matrix[1] = r->js_matrix[2] = 0.01;
  gabn_eval_report_clear_diagnostics (r);
  r->probe_accuracy = 0.375;
  r->probe_accuracy_std = 0.0625;
  r->probe_chance = 0.5;
  return r;
}

static void
test_schema (void)
{
  g_autoptr(GabnEvalReport) r = make_report ();
  g_autofree char *json = gabn_eval_report_to_json (r, FALSE);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *group, *tar;
  g_autoptr(GList) members = NULL;
  const char *want_root[] = { "groups", "mean_accuracy", "std", "ser", "mean_pairwise_js",
                              "attention_map", "probe_accuracy", "probe_accuracy_std",
                              "probe_chance", "skipped_pairs", "skipped_images" };
  const char *want_group[] = { "name", "pairs", "accuracy", "accuracy_std", "tar_at_far",
                               "fmr", "fnmr", "region50", "region80", "js_to_reference" };

  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_size (root), ==, G_N_ELEMENTS (want_root));
  for (guint i = 0; i < G_N_ELEMENTS (want_root); i++)
    g_assert_true (json_object_has_member (root, want_root[i]));
  g_assert_true (json_object_get_null_member (root, "ser"));
  g_assert_cmpstr (json_object_get_string_member (root, "attention_map"), ==,
                   "gradcam, eval, identity mean");
  g_assert_cmpfloat (json_object_get_double_member (root, "probe_accuracy"), ==, 0.375);
  /* No "adversary" outside training. */
  g_assert_false (json_object_has_member (root, "adversary"));
  g_assert_cmpfloat (json_object_get_double_member (root, "mean_accuracy"), ==, 0.85);
  group = json_array_get_object_element (json_object_get_array_member (root, "groups"), 1);
  g_assert_cmpint (json_object_get_size (group), ==, G_N_ELEMENTS (want_group));
  for (guint i = 0; i < G_N_ELEMENTS (want_group); i++)
    g_assert_true (json_object_has_member (group, want_group[i]));
  g_assert_cmpstr (json_object_get_string_member (group, "name"), ==, "Group B");
  g_assert_cmpint (json_object_get_int_member (group, "pairs"), ==, 60);
  tar = json_object_get_object_member (group, "tar_at_far");
  members = json_object_get_members (tar);
  g_assert_cmpint (g_list_length (members), ==, 3);
  g_assert_cmpfloat (json_object_get_double_member (tar, "1e-2"), ==, 0.7);
  g_assert_true (json_object_has_member (tar, "1e-4"));
}

static void
test_round_trip (void)
{
  g_autoptr(GabnEvalReport) r = make_report ();
  g_autoptr(GabnEvalReport) copy = gabn_eval_report_copy (r);
  g_autofree char *json = gabn_eval_report_to_json (copy, TRUE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnEvalReport) back = gabn_eval_report_from_json (json, &error);

  g_assert_no_error (error);
  g_assert_cmpint (back->n_groups, ==, 2);
  g_assert_cmpint (back->step, ==, 40);
  g_assert_cmpint (back->gam_w, ==, 2);
  g_assert_cmpstr (back->groups[1].name, ==, "Group B");
  g_assert_cmpfloat (back->groups[1].accuracy, ==, r->groups[1].accuracy);
  g_assert_cmpfloat (back->groups[0].mean_gam[1], ==, 0.75f);
  g_assert_cmpint (back->groups[0].n_roc, ==, 2);
  g_assert_cmpfloat (back->groups[0].roc_tar[1], ==, 1.0f);
  g_assert_true (isnan (back->ser));
  g_assert_cmpfloat (back->js_matrix[2], ==, 0.01);
  g_assert_cmpfloat (back->probe_accuracy_std, ==, 0.0625);
  g_assert_cmpfloat (back->probe_chance, ==, 0.5);
  g_assert_false (back->has_train_maps);
  g_assert_true (isnan (back->grad_ratio));
}

/* A training report: the figures on the adversary's maps, each labelled. */
static void
test_adversary (void)
{
  g_autoptr(GabnEvalReport) r = make_report ();
  g_autoptr(GabnEvalReport) back = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  JsonObject *adv, *held;

  r->has_train_maps = TRUE;
  r->train_gam = GABN_CAM_HIRESCAM;
  r->n_train_maps = 128;
  r->n_held_out_maps = 96;
  r->train_mean_pairwise_js = 0.02;
  r->disc_accuracy_train = 0.75;
  r->disc_accuracy_held_out = 0.5;
  r->grad_ratio = 0.125;
  r->batch_disc_accuracy = 0.875;
  r->groups[1].train_region50 = 0.3125;
  r->groups[1].train_js_to_reference = 0.02;
  json = gabn_eval_report_to_json (r, FALSE);
  g_assert_true (json_parser_load_from_data (parser, json, -1, NULL));
  adv = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                       "adversary");
  g_assert_nonnull (adv);
  g_assert_cmpstr (json_object_get_string_member (adv, "attention_map"), ==,
                   "hirescam, train, class centre");
  held = json_object_get_object_member (adv, "held_out");
  g_assert_cmpstr (json_object_get_string_member (held, "attention_map"), ==,
                   "hirescam, train, identity mean");
  g_assert_cmpfloat (json_object_get_double_member (held, "disc_accuracy"), ==, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (adv, "grad_ratio"), ==, 0.125);
  /* Group A's training-map region was not set: null, not a number. */
  g_assert_true (json_object_get_null_member (
    json_array_get_object_element (json_object_get_array_member (adv, "groups"), 0),
    "region50"));

  back = gabn_eval_report_from_json (json, NULL);
  g_assert_true (back->has_train_maps);
  g_assert_cmpint (back->train_gam, ==, GABN_CAM_HIRESCAM);
  g_assert_cmpint (back->n_train_maps, ==, 128);
  g_assert_cmpint (back->n_held_out_maps, ==, 96);
  g_assert_cmpfloat (back->train_mean_pairwise_js, ==, 0.02);
  g_assert_cmpfloat (back->disc_accuracy_train, ==, 0.75);
  g_assert_cmpfloat (back->disc_accuracy_held_out, ==, 0.5);
  g_assert_cmpfloat (back->batch_disc_accuracy, ==, 0.875);
  g_assert_cmpfloat (back->groups[1].train_region50, ==, 0.3125);
  g_assert_true (isnan (back->groups[0].train_region50));
  g_assert_cmpfloat (back->groups[1].train_js_to_reference, ==, 0.02);
}

static void
test_bad_json (void)
{
  g_autoptr(GError) error = NULL;
  GabnEvalReport *r = gabn_eval_report_from_json ("[1, 2]", &error);

  g_assert_null (r);
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/report/schema", test_schema);
  g_test_add_func ("/gabn/report/round-trip", test_round_trip);
  g_test_add_func ("/gabn/report/adversary", test_adversary);
  g_test_add_func ("/gabn/report/bad-json", test_bad_json);
  return g_test_run ();
}
