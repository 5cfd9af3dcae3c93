/* test-onnx.c: ONNX models exported by PyTorch, opened by the engine and
 * compared with PyTorch (tests/reference/make_onnx_fixtures.py: float64
 * references of the same float32 weights), printing the max difference
 * per tensor; and the importer's errors on bad files.
 * Tolerances, relative to the reference's largest magnitude: embeddings
 * 1e-4, the input gradient 1e-3, Grad-CAM maps 2e-3 (the bar). */
#include "gabn-gam.h"
#include "gabn-model-file.h"
#include "gabn-safetensors.h"
#include "fixture-init.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define TOL_EMBEDDING 1e-4
#define TOL_GRAD 1e-3
#define TOL_CAM 2e-3

static char *
fixture_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "reference", "fixtures", name, NULL);
}

static float *
ref_tensor (GabnSafetensors *st, const char *name, gsize *n)
{
  const GabnSafetensorsEntry *e = gabn_safetensors_find (st, name);
  float *data;

  if (e == NULL)
    g_error ("fixture lacks “%s”", name);
  data = g_new (float, MAX (e->numel, 1));
  gabn_safetensors_read (st, e, data);
  if (n)
    *n = e->numel;
  return data;
}

/* Max |got − ref| relative to max |ref|, printed; got is sampled by the
 * fixture rule when sampled_from > 0. */
static void
compare (const char *model, GabnSafetensors *st, const char *name, const float *got,
         gsize n_got, gsize sampled_from, double tol)
{
  gsize n;
  g_autofree float *ref = ref_tensor (st, name, &n);
  double max_diff = 0, max_ref = 0, rel;

  if (sampled_from)
    g_assert_cmpuint (n, ==, fixture_n_samples (sampled_from));
  else
    g_assert_cmpuint (n, ==, n_got);
  for (gsize k = 0; k < n; k++)
    {
      float v = sampled_from ? got[fixture_sample_index (k, sampled_from)] : got[k];
      max_diff = MAX (max_diff, fabs ((double) v - ref[k]));
      max_ref = MAX (max_ref, fabs (ref[k]));
    }
  rel = max_diff / MAX (max_ref, 1e-30);
  g_test_message ("%-28s %-12s max|diff| %.3g (max|ref| %.3g, rel %.3g)", model, name,
                  max_diff, max_ref, rel);
  g_assert_cmpfloat (max_ref, >, 0);
  g_assert_cmpfloat (rel, <=, tol);
}

/* The Grad-CAM of image 0 towards cos(e_0, e_1) at the net's current layer. */
static float *
cam_towards_reference (GabnNet *net, const float *input, int S, int *cells)
{
  int d = gabn_net_embedding_dim (net), C, h, w;
  g_autofree float *ref = NULL;
  float *cam, score;

  gabn_net_feature_shape (net, &C, &h, &w);
  gabn_net_forward (net, input + (gsize) 3 * S * S, 1);
  ref = g_memdup2 (gabn_net_embeddings (net), sizeof (float) * d);
  cam = g_new (float, h * w);
  gabn_gam_compute (net, input, 1, GABN_CAM_GRADCAM, NULL, ref, cam, &score, NULL);
  *cells = h * w;
  return cam;
}

static void
check_model (gconstpointer data)
{
  const char *name = data;
  g_autofree char *onnx_name = g_strdup_printf ("onnx-%s.onnx", name);
  g_autofree char *expected_name = g_strdup_printf ("onnx-%s-expected.safetensors", name);
  g_autofree char *path = fixture_path (onnx_name);
  g_autofree char *expected_path = fixture_path (expected_name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (expected_path, &error);
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GabnNet) copy = NULL;
  g_autofree float *input = NULL, *v = NULL, *d_emb = NULL, *d_features = NULL;
  g_autofree float *d_input = NULL, *cam = NULL, *cam_other = NULL, *emb = NULL;
  g_autofree GabnFeatureLayer *layers = NULL;
  GHashTable *meta;
  const char *default_layer, *other_layer;
  gboolean found_default = FALSE, found_other = FALSE;
  guint64 seed;
  int S, D, C, h, w, n_layers, cells;
  gsize n_in;
  double norm = 0;

  g_assert_no_error (error);
  meta = gabn_safetensors_metadata (st);
  seed = g_ascii_strtoull (g_hash_table_lookup (meta, "seed"), NULL, 10);
  default_layer = g_hash_table_lookup (meta, "default_layer");
  other_layer = g_hash_table_lookup (meta, "other_layer");

  net = gabn_model_load (path, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (gabn_net_is_imported (net));
  g_assert_cmpstr (gabn_net_arch (net), ==, "onnx");
  g_assert_cmpint (gabn_net_n_classes (net), ==, 0);
  g_assert_cmpstr (gabn_net_feature_layer (net), ==, default_layer);
  layers = gabn_net_feature_layers (net, &n_layers);
  for (int k = 0; k < n_layers; k++)
    {
      found_default = found_default || g_str_equal (layers[k].name, default_layer);
      found_other = found_other || g_str_equal (layers[k].name, other_layer);
    }
  g_assert_true (found_default && found_other);

  S = gabn_net_input_size (net);
  D = gabn_net_embedding_dim (net);
  n_in = (gsize) 2 * 3 * S * S;
  input = g_new (float, n_in);
  fixture_input (input, seed, 2, S);

  /* Embeddings of both images in one batch. */
  gabn_net_forward (net, input, 2);
  emb = g_memdup2 (gabn_net_embeddings (net), sizeof (float) * 2 * D);
  compare (name, st, "embeddings", emb, (gsize) 2 * D, 0, TOL_EMBEDDING);

  /* d(Σ_b e_b·v)/d(input) through the head, then the backbone. */
  v = ref_tensor (st, "v", NULL);
  d_emb = g_new (float, 2 * D);
  for (int b = 0; b < 2; b++)
    memcpy (d_emb + b * D, v, sizeof (float) * D);
  gabn_net_feature_shape (net, &C, &h, &w);
  d_features = g_new (float, (gsize) 2 * C * h * w);
  d_input = g_new (float, n_in);
  gabn_net_backward_head (net, d_emb, d_features, FALSE);
  gabn_net_backward_backbone (net, d_features, d_input);
  compare (name, st, "d_input", d_input, n_in, n_in, TOL_GRAD);
  for (gsize k = 0; k < n_in; k++)
    norm += (double) d_input[k] * d_input[k];
  norm = sqrt (norm);
  compare (name, st, "d_input_norm", (float[]) { (float) norm }, 1, 0, TOL_GRAD);

  /* Grad-CAM towards the other face, at the default and another layer. */
  cam = cam_towards_reference (net, input, S, &cells);
  compare (name, st, "cam", cam, cells, 0, TOL_CAM);
  g_assert_true (gabn_net_set_feature_layer (net, other_layer, &error));
  g_assert_no_error (error);
  cam_other = cam_towards_reference (net, input, S, &cells);
  compare (name, st, "cam_other", cam_other, cells, 0, TOL_CAM);
  g_assert_false (gabn_net_set_feature_layer (net, "no such layer", &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* A copy (the app's explorer works on one) computes the same. */
  copy = gabn_net_copy (net);
  gabn_net_forward (copy, input, 2);
  for (int k = 0; k < 2 * D; k++)
    g_assert_cmpfloat (gabn_net_embeddings (copy)[k], ==, emb[k]);
  g_assert_cmpstr (gabn_net_feature_layer (copy), ==, other_layer);
}

static void
test_preprocess (void)
{
  g_autofree char *iresnet = fixture_path ("onnx-iresnet-opset17.onnx");
  g_autofree char *ops = fixture_path ("onnx-ops-opset11.onnx");
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) a = gabn_model_load (iresnet, NULL, NULL, &error);
  g_autoptr(GabnNet) b = gabn_model_load (ops, NULL, NULL, &error);
  g_autoptr(GabnNet) builtin = gabn_net_new ("gabn-s", 0, 1, &error);
  const GabnPreprocess *pa, *pb, *pc;

  g_assert_no_error (error);
  pa = gabn_net_get_preprocess (a);
  pb = gabn_net_get_preprocess (b);
  pc = gabn_net_get_preprocess (builtin);
  /* InsightFace's arcface_torch convention… */
  g_assert_cmpint (pa->width, ==, 112);
  g_assert_false (pa->bgr);
  g_assert_cmpfloat (pa->mean[0], ==, 127.5f);
  g_assert_cmpfloat (pa->scale[2], ==, 1.0f / 127.5f);
  /* …and 0..255 pixels for a graph that subtracts and multiplies first. */
  g_assert_cmpint (pb->width, ==, 32);
  g_assert_cmpfloat (pb->mean[1], ==, 0.0f);
  g_assert_cmpfloat (pb->scale[1], ==, 1.0f);
  g_assert_cmpint (pc->width, ==, 64);
  g_assert_cmpfloat (pc->mean[0], ==, 127.5f);
}

static void
test_not_saved (void)
{
  g_autofree char *path = fixture_path ("onnx-ops-opset11.onnx");
  g_autofree char *dir = g_dir_make_tmp ("gabn-onnx-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "m.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_model_load (path, NULL, NULL, &error);

  g_assert_no_error (error);
  g_assert_false (gabn_model_save (net, out, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_rmdir (dir);
}

typedef struct {
  const char *file;
  int code;
  const char *const parts[3];  /* each in the message */
} BadCase;

static void
check_bad (gconstpointer data)
{
  const BadCase *c = data;
  g_autofree char *path = fixture_path (c->file);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_model_load (path, NULL, NULL, &error);

  g_assert_null (net);
  g_assert_nonnull (error);
  g_test_message ("%s: %s", c->file, error->message);
  g_assert_error (error, GABN_ERROR, c->code);
  g_assert_nonnull (strstr (error->message, c->file));
  for (int k = 0; k < 3 && c->parts[k]; k++)
    g_assert_nonnull (strstr (error->message, c->parts[k]));
}

static const BadCase bad_cases[] = {
  { "onnx-bad-unknown-op.onnx", GABN_ERROR_UNSUPPORTED,
    { "node “custom/Frobnicate” (Frobnicate)", "unsupported operator", NULL } },
  { "onnx-bad-attribute.onnx", GABN_ERROR_UNSUPPORTED,
    { "node “conv_dilated” (Conv)", "dilations", NULL } },
  { "onnx-bad-cycle.onnx", GABN_ERROR_INVALID_FILE, { "cycle", NULL } },
  { "onnx-bad-missing-input.onnx", GABN_ERROR_INVALID_FILE,
    { "node “add_missing” (Add)", "“nowhere”", NULL } },
  { "onnx-bad-opset.onnx", GABN_ERROR_UNSUPPORTED, { "operator set 8", NULL } },
};

/* Every prefix of a real model that cuts into it: an error, never a crash
 * (a few dozen lengths, all through the file). */
static void
test_truncated (void)
{
  g_autofree char *path = fixture_path ("onnx-mobilefacenet-opset13.onnx");
  g_autofree char *dir = g_dir_make_tmp ("gabn-onnx-XXXXXX", NULL);
  g_autofree char *cut = g_build_filename (dir, "cut.onnx", NULL);
  g_autofree char *contents = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  for (int k = 0; k < 40; k++)
    {
      gsize n = 1 + (len - 2) * k / 40;
      g_autoptr(GError) error = NULL;
      g_autoptr(GabnNet) net = NULL;

      g_assert_true (g_file_set_contents (cut, contents, (gssize) n, NULL));
      net = gabn_model_load (cut, NULL, NULL, &error);
      g_assert_null (net);
      g_assert_nonnull (error);
      if (k == 20)
        g_test_message ("cut at %zu of %zu: %s", n, len, error->message);
      g_assert_nonnull (strstr (error->message, "cut.onnx"));
    }
  g_unlink (cut);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  static const char *const models[] = {
    "iresnet-opset9", "iresnet-opset17", "mobilefacenet-opset13", "ops-opset11",
  };

  g_test_init (&argc, &argv, NULL);
  for (guint k = 0; k < G_N_ELEMENTS (models); k++)
    {
      g_autofree char *test = g_strdup_printf ("/onnx/torch/%s", models[k]);
      g_test_add_data_func (test, models[k], check_model);
    }
  g_test_add_func ("/onnx/preprocess", test_preprocess);
  g_test_add_func ("/onnx/not-saved", test_not_saved);
  for (guint k = 0; k < G_N_ELEMENTS (bad_cases); k++)
    {
      g_autofree char *test = g_strdup_printf ("/onnx/bad/%s", bad_cases[k].file);
      g_test_add_data_func (test, &bad_cases[k], check_bad);
    }
  g_test_add_func ("/onnx/truncated", test_truncated);
  return g_test_run ();
}
