/* test-cli-models.c: the model commands of the built `gabn` binary (train,
 * inspect, eval, embed, gam) on a tiny built-in synthetic set: exit codes,
 * files written, and the JSON they print. The binary's path is argv[1]. */
#include <cairo.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define DATA "synth:balanced,identities=6,images=5,seed=2"

static const char *gabn;
static char *dir, *model;

/* Runs gabn with args; returns the exit status, stdout and stderr. */
static int
run (char **out, char **err, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  va_list ap;
  const char *arg;
  int status;
  char *o = NULL, *e = NULL;

  g_ptr_array_add (argv, (gpointer) gabn);
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT,
                               NULL, NULL, &o, &e, &status, &error));
  g_assert_no_error (error);
  if (out) *out = o; else g_free (o);
  if (err) *err = e; else g_free (e);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static JsonObject *
parse_object (JsonParser *parser, const char *text)
{
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_data (parser, text, -1, &error))
    g_error ("not JSON (%s): %s", error->message, text);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_help (void)
{
  const char *commands[] = { "train", "eval", "embed", "gam", "inspect", "models" };

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *out = NULL;
      g_assert_cmpint (run (&out, NULL, commands[i], "--help", NULL), ==, 0);
      g_assert_nonnull (strstr (out, "Usage"));
    }
}

static void
test_train (void)
{
  g_autofree char *log = g_build_filename (dir, "train.jsonl", NULL);
  g_autofree char *err = NULL, *text = NULL;
  g_auto(GStrv) lines = NULL;
  int steps = 0, epochs = 0;

  g_assert_cmpint (run (NULL, &err, "train", "--data", DATA, "--out", model,
                        "--method", "gabn", "--epochs", "1", "--batch", "8",
                        "--log", log, "--quiet", NULL), ==, 0);
  g_assert_true (g_file_test (model, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (log, &text, NULL, NULL));
  lines = g_strsplit (g_strstrip (text), "\n", -1);
  for (int i = 0; lines[i]; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o = parse_object (parser, lines[i]);
      const char *type = json_object_get_string_member (o, "type");

      if (g_strcmp0 (type, "step") == 0)
        {
          steps++;
          g_assert_true (json_object_has_member (o, "loss_arc"));
          g_assert_true (json_object_has_member (o, "loss_adv"));
          g_assert_true (json_object_has_member (o, "eta_seconds"));
          /* How hard the adversary pulls: a finite, positive ratio. */
          g_assert_cmpint (json_node_get_value_type (json_object_get_member (o, "grad_ratio")),
                           ==, G_TYPE_DOUBLE);
          g_assert_cmpfloat (json_object_get_double_member (o, "grad_ratio"), >, 0.0);
        }
      else if (g_strcmp0 (type, "epoch") == 0)
        {
          JsonObject *report = json_object_get_object_member (o, "report");
          JsonObject *adv = json_object_get_object_member (report, "adversary");

          epochs++;
          g_assert_cmpstr (json_object_get_string_member (report, "attention_map"), ==,
                           "gradcam, eval, identity mean");
          g_assert_nonnull (adv);
          g_assert_cmpstr (json_object_get_string_member (adv, "attention_map"), ==,
                           "gradcam, train, class centre");
          g_assert_cmpstr (json_object_get_string_member (
                             json_object_get_object_member (adv, "held_out"), "attention_map"),
                           ==, "gradcam, train, identity mean");
          g_assert_cmpfloat (json_object_get_double_member (adv, "grad_ratio"), >, 0.0);
          g_assert_cmpfloat (json_object_get_double_member (adv, "mean_pairwise_js"), >=, 0.0);
          g_assert_cmpfloat (json_object_get_double_member (
                               json_object_get_object_member (adv, "held_out"),
                               "disc_accuracy"), >=, 0.0);
        }
    }
  g_assert_cmpint (steps, ==, 10);   /* 16 classes × 5 images / 8 */
  g_assert_cmpint (epochs, ==, 1);
}

static void
test_resume (void)
{
  g_autofree char *copy = g_build_filename (dir, "resumed.safetensors", NULL);
  g_autofree char *contents = NULL, *out = NULL;
  gsize length;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o, *state;

  /* Continue the 1-epoch model for a second epoch, into a copy. */
  g_assert_true (g_file_get_contents (model, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (copy, contents, length, NULL));
  g_assert_cmpint (run (NULL, NULL, "train", "--data", DATA, "--resume", copy,
                        "--epochs", "2", "--quiet", NULL), ==, 0);
  g_assert_cmpint (run (&out, NULL, "inspect", "--json", copy, NULL), ==, 0);
  o = parse_object (parser, out);
  state = json_object_get_object_member (o, "trainer_state");
  g_assert_cmpint (json_object_get_int_member (state, "step"), ==, 20);
  g_assert_true (json_object_get_boolean_member (state, "finished"));
}

static void
test_train_errors (void)
{
  g_autofree char *err = NULL;

  g_assert_cmpint (run (NULL, NULL, "train", "--data", DATA, NULL), !=, 0);
  g_assert_cmpint (run (NULL, &err, "train", "--data", "synth:nonsense",
                        "--out", "/nonexistent/x.safetensors", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "nonsense"));
}

static void
test_inspect (void)
{
  g_autofree char *out = NULL, *json = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;

  g_assert_cmpint (run (&out, NULL, "inspect", model, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "gabn-s"));
  g_assert_nonnull (strstr (out, "Group A"));
  g_assert_nonnull (strstr (out, "\"method\" : \"gabn\""));
  g_assert_cmpint (run (&json, NULL, "inspect", "--json", model, NULL), ==, 0);
  o = parse_object (parser, json);
  g_assert_cmpstr (json_object_get_string_member (o, "arch"), ==, "gabn-s");
  g_assert_cmpint (json_object_get_int_member (o, "classes"), ==, 16);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (o, "eval")));
}

static void
test_eval (void)
{
  g_autofree char *out = NULL, *table = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o, *g, *tar;
  JsonArray *groups;
  const char *keys[] = { "name", "pairs", "accuracy", "accuracy_std", "tar_at_far",
                         "fmr", "fnmr", "region50", "region80", "js_to_reference",
                         "reliance" /* synthetic data */ };

  g_assert_cmpint (run (&out, NULL, "eval", "--model", model, "--data", DATA,
                        "--json", NULL), ==, 0);
  o = parse_object (parser, out);
  /* groups, mean_accuracy, std, ser, mean_pairwise_js, attention_map and
   * the probe's three, skipped_pairs and skipped_images; no "adversary" outside training. */
  g_assert_cmpint (json_object_get_size (o), ==, 11);
  g_assert_false (json_object_has_member (o, "adversary"));
  g_assert_cmpfloat (json_object_get_double_member (o, "probe_chance"), ==, 0.25);
  g_assert_cmpfloat (json_object_get_double_member (o, "probe_accuracy"), >=, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "probe_accuracy"), <=, 1.0);
  g_assert_cmpint (json_object_get_int_member (o, "skipped_pairs"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (o, "skipped_images"), ==, 0);
  groups = json_object_get_array_member (o, "groups");
  g_assert_cmpint (json_array_get_length (groups), ==, 4);
  g = json_array_get_object_element (groups, 0);
  g_assert_cmpint (json_object_get_size (g), ==, G_N_ELEMENTS (keys));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (json_object_has_member (g, keys[i]));
  g_assert_cmpfloat (json_object_get_double_member (g, "accuracy"), >=, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (g, "accuracy"), <=, 1.0);
  {
    JsonObject *rel = json_object_get_object_member (g, "reliance");
    g_autoptr(GList) values = json_object_get_values (rel);
    double sum = 0;
    g_assert_cmpint (json_object_get_size (rel), ==, 7);
    for (GList *it = values; it; it = it->next)
      sum += json_node_get_double (it->data);
    g_assert_cmpfloat (fabs (sum - 1.0), <, 1e-6);
  }
  tar = json_object_get_object_member (g, "tar_at_far");
  g_assert_true (json_object_has_member (tar, "1e-3"));
  g_assert_true (json_object_has_member (o, "ser"));
  g_assert_cmpfloat (json_object_get_double_member (o, "std"), >=, 0.0);

  g_assert_cmpint (run (&table, NULL, "eval", "--model", model, "--data", DATA, NULL), ==, 0);
  g_assert_nonnull (strstr (table, "Group D"));
  g_assert_nonnull (strstr (table, "held-out split"));
  g_assert_nonnull (strstr (table, "Group probe"));

  /* Other pairs than the model's split: said whether their people are new
   * (the same training people, more held out) or were trained on. */
  g_assert_cmpint (run (NULL, &err, "eval", "--model", model, "--data",
                        "synth:balanced,identities=9,heldout=5,images=5,seed=2", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "20 people, none of them named among the model’s training people"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (NULL, &err, "eval", "--model", model, "--data",
                        "synth:balanced,identities=4,heldout=2,images=5,seed=2", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "warning: 8 of the 8 people in the dataset’s pairs have the names"));
  g_clear_pointer (&err, g_free);
  /* Another seed of the built-in faces at the same size: the same names,
   * other people — not the model's split. */
  g_clear_pointer (&table, g_free);
  g_assert_cmpint (run (&table, &err, "eval", "--model", model, "--data",
                        "synth:balanced,identities=6,images=5,seed=3", NULL), ==, 0);
  g_assert_nonnull (strstr (err, "all new to the model (these are the built-in faces of seed 3; "
                                 "the model trained on those of seed 2"));
  g_assert_null (strstr (table, "held-out split"));
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run (NULL, &err, "eval", "--model", "/nonexistent.safetensors",
                        "--data", DATA, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "/nonexistent.safetensors"));
}

/* A face-sized test image drawn with Cairo. */
static char *
write_image (const char *name, double shade)
{
  char *path = g_build_filename (dir, name, NULL);
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 80, 80);
  cairo_t *cr = cairo_create (s);

  cairo_set_source_rgb (cr, shade, shade * 0.8, shade * 0.6);
  cairo_paint (cr);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  cairo_arc (cr, 28, 32, 5, 0, 6.3);
  cairo_arc (cr, 52, 32, 5, 0, 6.3);
  cairo_fill (cr);
  cairo_rectangle (cr, 30, 55, 20, 4);
  cairo_fill (cr);
  cairo_destroy (cr);
  g_assert_cmpint (cairo_surface_write_to_png (s, path), ==, CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy (s);
  return path;
}

static void
test_embed_and_gam (void)
{
  g_autofree char *a = write_image ("a.png", 0.8), *b = write_image ("b.png", 0.5);
  g_autofree char *heat = g_build_filename (dir, "heat.png", NULL);
  g_autofree char *out = NULL, *gam = NULL, *pair = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  JsonObject *o;
  JsonArray *e, *rows;

  g_assert_cmpint (run (&out, NULL, "embed", "--model", model, a, b, "--json", NULL), ==, 0);
  o = parse_object (parser, out);
  e = json_object_get_array_member (o, "embeddings");
  g_assert_cmpint (json_array_get_length (e), ==, 2);
  g_assert_cmpint (json_array_get_length (json_array_get_array_element (e, 1)), ==, 128);

  g_assert_cmpint (run (&gam, NULL, "gam", "--model", model, "--image", a,
                        "--method", "gradcam++", "--out", heat, "--json", NULL), ==, 0);
  o = parse_object (parser2, gam);
  g_assert_cmpint (json_object_get_int_member (o, "h"), ==, 8);
  g_assert_cmpint (json_object_get_int_member (o, "w"), ==, 8);
  rows = json_object_get_array_member (o, "gam");
  g_assert_cmpint (json_array_get_length (rows), ==, 8);
  g_assert_cmpint (json_array_get_length (json_array_get_array_element (rows, 0)), ==, 8);
  g_assert_true (json_object_has_member (o, "score"));
  pixbuf = gdk_pixbuf_new_from_file (heat, NULL);
  g_assert_nonnull (pixbuf);
  g_assert_cmpint (gdk_pixbuf_get_width (pixbuf), ==, 256);

  /* --identity by name (the split's training identities; 4 per group
   * train, so Group B's first is class 4), by index, ambiguous, unknown. */
  {
    g_autofree char *by_name = NULL, *by_index = NULL;
    g_autoptr(JsonParser) p3 = json_parser_new ();
    g_autoptr(JsonParser) p4 = json_parser_new ();

    g_assert_cmpint (run (&by_name, NULL, "gam", "--model", model, "--image", a,
                          "--identity", "Group B/id-001", "--json", NULL), ==, 0);
    o = parse_object (p3, by_name);
    g_assert_cmpint (json_object_get_int_member (o, "class"), ==, 4);
    g_assert_cmpstr (json_object_get_string_member (o, "identity"), ==, "Group B/id-001");
    g_assert_cmpint (run (&by_index, NULL, "gam", "--model", model, "--image", a,
                          "--identity", "4", "--json", NULL), ==, 0);
    o = parse_object (p4, by_index);
    g_assert_cmpint (json_object_get_int_member (o, "class"), ==, 4);
    g_assert_cmpint (run (NULL, NULL, "gam", "--model", model, "--image", a,
                          "--identity", "id-001", NULL), ==, 1);
    g_assert_cmpint (run (NULL, NULL, "gam", "--model", model, "--image", a,
                          "--identity", "nobody", NULL), ==, 1);
    g_assert_cmpint (run (NULL, NULL, "gam", "--model", model, "--image", a,
                          "--identity", "16", NULL), ==, 1);
  }
  g_assert_cmpint (run (&pair, NULL, "gam", "--model", model, "--image", a,
                        "--pair", b, NULL), ==, 0);
  g_assert_nonnull (strstr (pair, "gradcam"));
  g_assert_cmpint (run (NULL, NULL, "gam", "--model", model, "--image", a,
                        "--method", "scorecam", NULL), ==, 2);
  g_assert_cmpint (run (NULL, NULL, "gam", "--model", model, "--image",
                        "/nonexistent.png", NULL), ==, 1);
}

/* `gabn models` and a model by name: GABN_MODELS_DIR holds the trained
 * model.safetensors, so "model" is a known name. When the set-up installed
 * the dlib ResNet, its GAM needs a target: a reference, or the dataset. */
static void
test_known_models (void)
{
  g_autofree char *a = write_image ("a.png", 0.8), *b = write_image ("b.png", 0.5);
  g_autofree char *out = NULL, *gam = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonParser) parser2 = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *list;
  JsonObject *mine = NULL, *o;
  gboolean have_dlib = FALSE;

  g_setenv ("GABN_MODELS_DIR", dir, TRUE);
  g_assert_cmpint (run (&out, NULL, "models", "--json", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  list = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *m = json_array_get_object_element (list, i);
      const char *name = json_object_get_string_member (m, "name");

      g_assert_true (json_object_has_member (m, "path"));
      g_assert_true (json_object_has_member (m, "kind"));
      g_assert_true (json_object_has_member (m, "input_size"));
      if (g_str_equal (name, "model"))
        mine = m;
      if (g_str_equal (name, "dlib-resnet"))
        {
          have_dlib = TRUE;
          g_assert_cmpstr (json_object_get_string_member (m, "kind"), ==, "tfjs");
          g_assert_cmpint (json_object_get_int_member (m, "input_size"), ==, 150);
        }
    }
  g_assert_nonnull (mine);
  g_assert_cmpstr (json_object_get_string_member (mine, "kind"), ==, "safetensors");
  g_assert_cmpint (json_object_get_int_member (mine, "input_size"), ==, 64);

  g_assert_cmpint (run (&gam, NULL, "gam", "--model", "model", "--image", a,
                        "--reference", b, "--json", NULL), ==, 0);
  o = parse_object (parser2, gam);
  g_assert_cmpstr (json_object_get_string_member (o, "target"), ==, "reference");
  g_assert_cmpint (run (NULL, NULL, "gam", "--model", "model", "--image", a,
                        "--reference", b, "--pair", b, NULL), ==, 2);
  g_assert_cmpint (run (NULL, &err, "embed", "--model", "no-such-model", a, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "no-such-model"));
  if (have_dlib)
    {
      g_autofree char *msg = NULL, *ok = NULL;

      g_assert_cmpint (run (NULL, &msg, "gam", "--model", "dlib-resnet", "--image", a, NULL), ==, 1);
      g_assert_nonnull (strstr (msg, "--reference"));
      g_assert_cmpint (run (&ok, NULL, "gam", "--model", "dlib-resnet", "--image", a,
                            "--reference", b, NULL), ==, 0);
      g_assert_nonnull (strstr (ok, "score"));
    }
  g_unsetenv ("GABN_MODELS_DIR");
}

/* An ONNX model (the PyTorch-exported MobileFaceNet fixture): inspect shows
 * its preprocessing and layers, embed and gam work, --layer moves the map. */
static void
test_onnx (void)
{
  g_autofree char *onnx = g_test_build_filename (G_TEST_DIST, "reference", "fixtures",
                                                 "onnx-mobilefacenet-opset13.onnx", NULL);
  g_autofree char *a = write_image ("oa.png", 0.7), *b = write_image ("ob.png", 0.4);
  g_autofree char *info = NULL, *emb = NULL, *gam = NULL, *gam2 = NULL, *err = NULL;
  g_autoptr(JsonParser) p1 = json_parser_new ();
  g_autoptr(JsonParser) p2 = json_parser_new ();
  g_autoptr(JsonParser) p3 = json_parser_new ();
  g_autoptr(JsonParser) p4 = json_parser_new ();
  JsonObject *o, *pre;
  JsonArray *layers;
  gboolean listed = FALSE;

  g_assert_cmpint (run (&info, NULL, "inspect", onnx, "--json", NULL), ==, 0);
  o = parse_object (p1, info);
  g_assert_cmpstr (json_object_get_string_member (o, "arch"), ==, "onnx");
  g_assert_cmpint (json_object_get_int_member (o, "classes"), ==, 0);
  pre = json_object_get_object_member (o, "preprocess");
  g_assert_cmpint (json_object_get_int_member (pre, "width"), ==, 112);
  g_assert_cmpstr (json_object_get_string_member (pre, "channels"), ==, "RGB");
  g_assert_cmpfloat (json_array_get_double_element (json_object_get_array_member (pre, "mean"), 0),
                     ==, 127.5);
  g_assert_cmpstr (json_object_get_string_member (o, "gam_layer"), ==,
                   "/conv_sep/conv_sep.2/PRelu");
  layers = json_object_get_array_member (o, "feature_layers");
  for (guint k = 0; k < json_array_get_length (layers); k++)
    listed = listed || g_str_equal (json_object_get_string_member (
                                      json_array_get_object_element (layers, k), "name"),
                                    "/stage2/stage2.1/Add");
  g_assert_true (listed);

  g_assert_cmpint (run (&emb, NULL, "embed", "--model", onnx, a, "--json", NULL), ==, 0);
  o = parse_object (p2, emb);
  g_assert_cmpint (json_array_get_length (json_array_get_array_element (
                     json_object_get_array_member (o, "embeddings"), 0)), ==, 32);

  g_assert_cmpint (run (&gam, NULL, "gam", "--model", onnx, "--image", a, "--pair", b,
                        "--json", NULL), ==, 0);
  o = parse_object (p3, gam);
  g_assert_cmpint (json_object_get_int_member (o, "h"), ==, 7);
  g_assert_cmpstr (json_object_get_string_member (o, "layer"), ==, "/conv_sep/conv_sep.2/PRelu");
  g_assert_cmpint (run (&gam2, NULL, "gam", "--model", onnx, "--image", a, "--pair", b,
                        "--layer", "/stage2/stage2.1/Add", "--json", NULL), ==, 0);
  o = parse_object (p4, gam2);
  g_assert_cmpint (json_object_get_int_member (o, "h"), ==, 14);
  g_assert_cmpstr (json_object_get_string_member (o, "layer"), ==, "/stage2/stage2.1/Add");
  g_assert_cmpint (run (NULL, &err, "gam", "--model", onnx, "--image", a, "--pair", b,
                        "--layer", "nope", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "nope"));
  /* No class centres: the target must be another face… */
  g_assert_cmpint (run (NULL, NULL, "gam", "--model", onnx, "--image", a, NULL), ==, 1);
  /* …or the mean of the identity's other photos in a dataset (the real
   * Olivetti faces); an image outside the dataset is named. */
  {
    const char *olivetti = g_getenv ("GABN_OLIVETTI");
    g_autofree char *face = g_build_filename (olivetti, "Olivetti", "s01", "01.png", NULL);
    g_autofree char *mean = NULL, *outside = NULL;
    g_autoptr(JsonParser) p5 = json_parser_new ();

    g_assert_cmpint (run (&mean, NULL, "gam", "--model", onnx, "--image", face,
                          "--data", olivetti, "--json", NULL), ==, 0);
    o = parse_object (p5, mean);
    g_assert_cmpstr (json_object_get_string_member (o, "target"), ==, "identity_mean");
    g_assert_cmpstr (json_object_get_string_member (o, "identity"), ==, "Olivetti/s01");
    g_assert_cmpint (json_object_get_int_member (o, "photos"), ==, 8);
    g_assert_cmpint (run (NULL, &outside, "gam", "--model", onnx, "--image", a,
                          "--data", olivetti, NULL), ==, 1);
    g_assert_nonnull (strstr (outside, "give --reference"));
  }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  gabn = argv[1];
  dir = g_dir_make_tmp ("gabn-cli-XXXXXX", NULL);
  model = g_build_filename (dir, "model.safetensors", NULL);
  g_test_add_func ("/cli/models/help", test_help);
  g_test_add_func ("/cli/models/train", test_train);
  g_test_add_func ("/cli/models/train-errors", test_train_errors);
  g_test_add_func ("/cli/models/resume", test_resume);
  g_test_add_func ("/cli/models/inspect", test_inspect);
  g_test_add_func ("/cli/models/eval", test_eval);
  g_test_add_func ("/cli/models/embed-and-gam", test_embed_and_gam);
  g_test_add_func ("/cli/models/known", test_known_models);
  g_test_add_func ("/cli/models/onnx", test_onnx);
  status = g_test_run ();
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (dir, name, NULL);
        g_unlink (p);
      }
    g_rmdir (dir);
  }
  return status;
}
