/* test-torch-parity.c: the engine against PyTorch, llm.c's test_gpt2 way.
 * tests/reference/make_fixtures.py ran the same networks (same weights and
 * inputs from the fixture rule) in PyTorch and stored outputs, gradients and
 * 3 SGD steps; this test recomputes them and prints the max abs difference
 * per tensor. The reference is PyTorch in float64 (stored as float32).
 * Tolerances: outputs 1e-4, gradients 1e-3, relative to the
 * reference's largest magnitude — for gradients at least GRAD_FLOOR, since
 * some are zero but for rounding (a bias before a training-mode BatchNorm)
 * and only an absolute comparison makes sense for them. */
#include "gabn-model-file.h"
#include "gabn-optim.h"
#include "gabn-safetensors.h"
#include "fixture-init.h"

#include <math.h>
#include <string.h>

#define TOL_OUTPUT 1e-4
#define TOL_GRAD 1e-3
#define GRAD_FLOOR 0.05
/* After the 3 steps, the head BatchNorm1d's running mean (and the eval
 * embeddings that use it) is ill-conditioned: it is the batch mean of Linear
 * outputs whose mean the training loss never sees, moved by weight updates
 * multiplied by the large mean input. PyTorch's own float32 lands 3e-3
 * from its float64 here; the engine 2e-5..1.5e-4 depending on the thread
 * count (summation order). The eval forward itself is checked to 1e-4 on
 * PyTorch's own weights (test_gabn_s). */
#define TOL_ILL_CONDITIONED 1e-3

static gboolean
is_head_running_mean (const char *name)
{
  return g_str_equal (name, "head.2.running_mean") || g_str_equal (name, "features.running_mean");
}
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

/* Compares got with the reference (already sampled when sampled_from > 0:
 * got then holds the full tensor of sampled_from elements). */
static void
compare (GabnSafetensors *st, const char *ref_name, const float *got,
         gsize sampled_from, double tol)
{
  gsize n;
  g_autofree float *ref = ref_tensor (st, ref_name, &n);
  double max_diff = 0, max_ref = 0, rel;
  gsize worst = 0;

  if (sampled_from)
    g_assert_cmpuint (n, ==, fixture_n_samples (sampled_from));
  for (gsize k = 0; k < n; k++)
    {
      float v = sampled_from ? got[fixture_sample_index (k, sampled_from)] : got[k];
      if (fabs ((double) v - ref[k]) > max_diff)
        {
          max_diff = fabs ((double) v - ref[k]);
          worst = k;
        }
      max_ref = MAX (max_ref, fabs (ref[k]));
    }
  rel = max_diff / MAX (max_ref, tol == TOL_GRAD ? GRAD_FLOOR : 1e-30);
  g_test_message ("%-44s max|diff| %.3g at %" G_GSIZE_FORMAT " (max|ref| %.3g, rel %.3g)",
                  ref_name, max_diff, worst, max_ref, rel);
  if (!(rel <= tol))
    g_test_fail_printf ("%s: relative difference %.3g > %.3g", ref_name, rel, tol);
}

static float
loss_forward (GabnNet *net, const float *input, const int *labels, float *d_emb)
{
  GabnMarginConfig margin;

  gabn_margin_config_init (&margin, GABN_MARGIN_ARCFACE);
  gabn_net_forward (net, input, 4);
  return gabn_net_margin_loss (net, &margin, labels, 1.0f, d_emb);
}

static void
backward (GabnNet *net, const float *d_emb, float *d_feat, float *d_input)
{
  gabn_net_backward_head (net, d_emb, d_feat, TRUE);
  gabn_net_backward_backbone (net, d_feat, d_input);
}

static GabnNet *
check_arch (const char *arch)
{
  g_autofree char *name = g_strdup_printf ("%s.safetensors", arch);
  g_autofree char *path = fixture_path (name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (path, &error);
  GabnNet *net;
  int labels[4] = { 3, 7, 0, 3 };
  int S, D, c, h, w;
  gsize n_in, n_feat;
  g_autofree float *input = NULL, *d_input = NULL, *d_feat = NULL, *d_emb = NULL;
  float losses[4];
  GabnOptimConfig config;
  g_autoptr(GabnOptim) optim = NULL;

  guint64 seed;

  g_assert_no_error (error);
  g_assert_cmpstr (g_hash_table_lookup (gabn_safetensors_metadata (st), "arch"), ==, arch);
  seed = g_ascii_strtoull (g_hash_table_lookup (gabn_safetensors_metadata (st), "seed"), NULL, 10);
  net = gabn_net_new (arch, 10, 0, &error);
  g_assert_no_error (error);
  fixture_init_net (net, seed);
  S = gabn_net_input_size (net);
  D = gabn_net_embedding_dim (net);
  gabn_net_feature_shape (net, &c, &h, &w);
  n_in = (gsize) 4 * 3 * S * S;
  n_feat = (gsize) 4 * c * h * w;
  input = g_new (float, n_in);
  d_input = g_new (float, n_in);
  d_feat = g_new (float, n_feat);
  d_emb = g_new (float, 4 * D);
  fixture_input (input, seed, 4, S);

  /* Forward, loss and every gradient, in training mode. */
  gabn_net_set_training (net, TRUE);
  gabn_net_zero_grad (net);
  losses[0] = loss_forward (net, input, labels, d_emb);
  compare (st, "features", gabn_net_features (net),
           g_str_equal (arch, "gabn-s") ? 0 : n_feat, TOL_OUTPUT);
  compare (st, "embeddings", gabn_net_embeddings (net), 0, TOL_OUTPUT);
  compare (st, "loss", &losses[0], 0, TOL_OUTPUT);
  backward (net, d_emb, d_feat, d_input);
  compare (st, "d_features", d_feat, n_feat, TOL_GRAD);
  compare (st, "d_input", d_input, n_in, TOL_GRAD);
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      g_autofree char *grad_name = g_strconcat ("grad.", t->name, NULL);
      g_autofree char *norm_name = g_strconcat ("grad_norm.", t->name, NULL);
      double sq = 0;
      float norm;

      if (t->kind != GABN_TENSOR_PARAM || !t->trainable)
        {
          g_assert_null (gabn_safetensors_find (st, grad_name));
          continue;
        }
      compare (st, grad_name, t->grad, t->numel, TOL_GRAD);
      for (gsize j = 0; j < t->numel; j++)
        sq += (double) t->grad[j] * t->grad[j];
      norm = (float) sqrt (sq);
      compare (st, norm_name, &norm, 0, TOL_GRAD);
    }

  /* Three SGD steps, and the loss after them. */
  gabn_optim_config_init (&config, GABN_OPTIM_SGD);
  config.momentum = 0.9f;
  config.weight_decay = 5e-4f;
  optim = gabn_optim_new_for_net (net, &config);
  gabn_optim_step (optim, 0.01f);
  for (int s = 1; s < 3; s++)
    {
      gabn_net_zero_grad (net);
      losses[s] = loss_forward (net, input, labels, d_emb);
      backward (net, d_emb, d_feat, NULL);
      gabn_optim_step (optim, 0.01f);
    }
  losses[3] = loss_forward (net, input, labels, d_emb);
  compare (st, "losses", losses, 0, TOL_OUTPUT);
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      g_autofree char *param_name = g_strconcat ("param_after.", t->name, NULL);
      g_autofree char *buffer_name = g_strconcat ("buffer_after.", t->name, NULL);

      if (gabn_safetensors_find (st, param_name))
        compare (st, param_name, t->data, t->numel, TOL_OUTPUT);
      else if (gabn_safetensors_find (st, buffer_name))
        compare (st, buffer_name, t->data, 0,
                 is_head_running_mean (t->name) ? TOL_ILL_CONDITIONED : TOL_OUTPUT);
      else
        g_assert_true (t->is_integer);
    }

  gabn_net_set_training (net, FALSE);
  gabn_net_forward (net, input, 4);
  compare (st, "embeddings_eval", gabn_net_embeddings (net), 0, TOL_ILL_CONDITIONED);
  return net;
}

static void
test_gabn_s (void)
{
  g_autoptr(GabnNet) net = check_arch ("gabn-s");  /* trained; not used below */
  g_autofree char *state_path = fixture_path ("gabn-s-torch-state.safetensors");
  g_autofree char *ref_path = fixture_path ("gabn-s.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) loaded = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (ref_path, &error);
  g_autofree float *input = g_new (float, 4 * 3 * 64 * 64);

  /* PyTorch's own state_dict, no metadata: the architecture is inferred. */
  loaded = gabn_model_load (state_path, NULL, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gabn_net_arch (loaded), ==, "gabn-s");
  g_assert_cmpint (gabn_net_n_classes (loaded), ==, 10);
  g_assert_cmpuint (g_hash_table_size (meta), ==, 0);
  g_assert_cmpfloat (gabn_net_find_tensor (loaded, "backbone.4.num_batches_tracked")->data[0], ==, 4.0f);
  /* The same values PyTorch's fixture recorded after its 3 steps. */
  for (int i = 0; i < gabn_net_n_tensors (loaded); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (loaded, i);
      g_autofree char *param_name = g_strconcat ("param_after.", t->name, NULL);
      g_autofree char *buffer_name = g_strconcat ("buffer_after.", t->name, NULL);

      if (gabn_safetensors_find (st, param_name))
        compare (st, param_name, t->data, t->numel, 0.0);
      else if (gabn_safetensors_find (st, buffer_name))
        compare (st, buffer_name, t->data, 0, 0.0);
    }
  /* And the embeddings PyTorch (float32) computes from that file. */
  fixture_input (input, g_ascii_strtoull (g_hash_table_lookup (gabn_safetensors_metadata (st), "seed"), NULL, 10), 4, 64);
  gabn_net_forward (loaded, input, 4);
  {
    g_autofree char *emb_path = fixture_path ("gabn-s-torch-state-embeddings.safetensors");
    g_autoptr(GabnSafetensors) emb = gabn_safetensors_open (emb_path, &error);

    g_assert_no_error (error);
    compare (emb, "embeddings_eval", gabn_net_embeddings (loaded), 0, TOL_OUTPUT);
  }
}

static void
test_iresnet18 (void)
{
  g_autoptr(GabnNet) net = check_arch ("iresnet18");
}

static void
test_optimisers (void)
{
  g_autofree char *path = fixture_path ("optim.safetensors");
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (path, &error);
  g_autofree float *p0 = NULL, *grads = NULL;
  static const char *const names[] = { "sgd", "sgd_nesterov", "sgd_dampening", "adamw", "adamw_betas" };

  g_assert_no_error (error);
  p0 = ref_tensor (st, "p0", NULL);
  grads = ref_tensor (st, "grads", NULL);
  for (guint c = 0; c < G_N_ELEMENTS (names); c++)
    {
      GabnOptimConfig config;
      float p[8], g[8], lr;
      g_autoptr(GabnOptim) optim = NULL;
      g_autofree float *ref = ref_tensor (st, names[c], NULL);

      memcpy (p, p0, sizeof p);
      gabn_optim_config_init (&config, c < 3 ? GABN_OPTIM_SGD : GABN_OPTIM_ADAMW);
      switch (c)
        {
        case 0: config.momentum = 0.9f; config.weight_decay = 5e-4f; lr = 0.1f; break;
        case 1: config.nesterov = TRUE; config.weight_decay = 0.01f; lr = 0.1f; break;
        case 2: config.momentum = 0.5f; config.dampening = 0.3f; config.weight_decay = 0; lr = 0.1f; break;
        case 3: lr = 0.01f; break;
        default: config.beta1 = 0.8f; config.beta2 = 0.99f; config.eps = 1e-6f;
                 config.weight_decay = 0.1f; lr = 0.05f; break;
        }
      optim = gabn_optim_new (p, g, 8, &config);
      for (int s = 0; s < 3; s++)
        {
          g_autofree char *label = g_strdup_printf ("%s step %d", names[c], s + 1);
          memcpy (g, grads + 8 * s, sizeof g);
          gabn_optim_step (optim, lr);
          for (int i = 0; i < 8; i++)
            if (fabsf (p[i] - ref[8 * s + i]) > 1e-6f * MAX (1.0f, fabsf (ref[8 * s + i])))
              g_test_fail_printf ("%s: p[%d] = %.9g, PyTorch %.9g", label, i, p[i], ref[8 * s + i]);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/torch-parity/optimisers", test_optimisers);
  g_test_add_func ("/engine/torch-parity/gabn-s", test_gabn_s);
  g_test_add_func ("/engine/torch-parity/iresnet18", test_iresnet18);
  return g_test_run ();
}
