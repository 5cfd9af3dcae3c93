/* test-train-config.c: the training configuration's defaults, checks and
 * JSON round trip (as stored in a model's "train_config"). */
#include "gabn-trainer.h"

#include <string.h>

static void
test_defaults (void)
{
  GabnTrainConfig c;
  g_autoptr(GError) error = NULL;

  gabn_train_config_init (&c);
  g_assert_cmpint (c.method, ==, GABN_METHOD_BASELINE);
  g_assert_cmpstr (c.arch, ==, "gabn-s");
  g_assert_cmpfloat (c.lambda_adv, ==, 0.1f);
  g_assert_cmpfloat (c.lambda_mask, ==, 0.5f);
  g_assert_cmpint (c.topn, ==, 0);
  g_assert_cmpfloat (c.erase_prob, ==, 1.0f);
  g_assert_null (c.erase_groups);
  g_assert_cmpint (c.gam, ==, GABN_CAM_GRADCAM);
  g_assert_true (gabn_train_config_validate (&c, &error));
  c.batch_size = 1;
  g_assert_false (gabn_train_config_validate (&c, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  gabn_train_config_clear (&c);
}

static void
test_round_trip (void)
{
  GabnTrainConfig a, b;
  g_autofree char *json = NULL, *json2 = NULL;
  g_autoptr(GError) error = NULL;
  char *groups[] = { (char *) "Group B", (char *) "Group D", NULL };

  gabn_train_config_init (&a);
  a.method = GABN_METHOD_GABN;
  a.adv_mode = GABN_ADV_REVERSAL;
  a.erase_where = GABN_ERASE_INPUT;
  a.erase_groups = g_strdupv (groups);
  a.seed = G_GUINT64_CONSTANT (18446744073709551557);
  a.lr = 0.125f;
  a.topn = 7;
  a.sampling = GABN_SAMPLING_GROUP_BALANCED;
  a.max_steps = 42;
  a.gam = GABN_CAM_HIRESCAM;
  a.margin_warmup_epochs = 5;
  json = gabn_train_config_to_json (&a);
  gabn_train_config_init (&b);
  g_assert_true (gabn_train_config_from_json (&b, json, &error));
  g_assert_no_error (error);
  g_assert_cmpint (b.method, ==, GABN_METHOD_GABN);
  g_assert_cmpint (b.adv_mode, ==, GABN_ADV_REVERSAL);
  g_assert_cmpint (b.erase_where, ==, GABN_ERASE_INPUT);
  g_assert_cmpint (b.sampling, ==, GABN_SAMPLING_GROUP_BALANCED);
  g_assert_cmpuint (b.seed, ==, a.seed);
  g_assert_cmpfloat (b.lr, ==, 0.125f);
  g_assert_cmpint (b.topn, ==, 7);
  g_assert_cmpint (b.max_steps, ==, 42);
  g_assert_cmpint (b.gam, ==, GABN_CAM_HIRESCAM);
  g_assert_cmpint (b.margin_warmup_epochs, ==, 5);
  g_assert_nonnull (strstr (json, "\"gam\":\"hirescam\""));
  g_assert_cmpstr (b.erase_groups[1], ==, "Group D");
  json2 = gabn_train_config_to_json (&b);
  g_assert_cmpstr (json, ==, json2);
  gabn_train_config_clear (&a);
  gabn_train_config_clear (&b);
}

static void
test_bad_json (void)
{
  GabnTrainConfig c;
  g_autoptr(GError) error = NULL;

  gabn_train_config_init (&c);
  g_assert_false (gabn_train_config_from_json (&c, "{\"method\":\"magic\"}", &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "method"));
  g_clear_error (&error);
  g_assert_false (gabn_train_config_from_json (&c, "{\"epochs\":\"ten\"}", &error));
  g_assert_nonnull (strstr (error->message, "epochs"));
  g_clear_error (&error);
  /* A CAM without a first-order backward for L_conf is not a training GAM. */
  g_assert_false (gabn_train_config_from_json (&c, "{\"gam\":\"layercam\"}", &error));
  g_assert_nonnull (strstr (error->message, "gam"));
  g_clear_error (&error);
  c.gam = GABN_CAM_LAYERCAM;
  g_assert_false (gabn_train_config_validate (&c, &error));
  g_assert_nonnull (strstr (error->message, "gam"));
  g_clear_error (&error);
  c.gam = GABN_CAM_GRADCAM;
  /* A margin warm-up longer than the run is refused. */
  g_assert_true (gabn_train_config_from_json (&c, "{\"epochs\":4,\"margin_warmup_epochs\":5}", &error));
  g_assert_false (gabn_train_config_validate (&c, &error));
  g_assert_nonnull (strstr (error->message, "margin_warmup_epochs"));
  g_clear_error (&error);
  c.margin_warmup_epochs = 0;
  /* Missing keys keep the defaults. */
  g_assert_true (gabn_train_config_from_json (&c, "{\"epochs\":3}", &error));
  g_assert_cmpint (c.epochs, ==, 3);
  g_assert_cmpint (c.batch_size, ==, 32);
  gabn_train_config_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/train-config/defaults", test_defaults);
  g_test_add_func ("/gabn/train-config/round-trip", test_round_trip);
  g_test_add_func ("/gabn/train-config/bad-json", test_bad_json);
  return g_test_run ();
}
