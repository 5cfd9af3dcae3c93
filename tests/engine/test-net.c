/* test-net.c: GabnNet as a whole — architectures, seeded initialisation,
 * whole-network finite-difference checks through the margin loss in
 * training mode, the head/backbone split and copies. */
#include "gabn-net.h"
#include "gradcheck.h"
#include "fixture-init.h"

#include <math.h>
#include <string.h>

static void
test_gabn_s_layout (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_net_new ("gabn-s", 10, 1, &error);
  const GabnTensorInfo *t;
  int c, h, w;

  g_assert_no_error (error);
  g_assert_cmpstr (gabn_net_arch (net), ==, "gabn-s");
  g_assert_cmpint (gabn_net_input_size (net), ==, 64);
  g_assert_cmpint (gabn_net_embedding_dim (net), ==, 128);
  gabn_net_feature_shape (net, &c, &h, &w);
  g_assert_cmpint (c, ==, 256);
  g_assert_cmpint (h, ==, 8);
  g_assert_cmpint (w, ==, 8);
  /* 7 convs, 7 + 1 BatchNorms of 5 tensors, Linear 2, centres 1. */
  g_assert_cmpint (gabn_net_n_tensors (net), ==, 7 + 8 * 5 + 2 + 1);
  /* Σ conv weights + BN affine + Linear + BN1d + 10×128 centres. */
  g_assert_cmpuint (gabn_net_n_params (net), ==, 1162080 + 1856 + 2097280 + 256 + 1280);

  t = gabn_net_tensor (net, 0);
  g_assert_cmpstr (t->name, ==, "backbone.0.weight");
  g_assert_cmpint (t->ndim, ==, 4);
  g_assert_cmpint (t->shape[0], ==, 32);
  g_assert_cmpint (t->shape[1], ==, 3);
  t = gabn_net_find_tensor (net, "backbone.19.num_batches_tracked");
  g_assert_nonnull (t);
  g_assert_true (t->is_integer);
  g_assert_true (t->kind == GABN_TENSOR_BUFFER);
  g_assert_null (t->grad);
  t = gabn_net_find_tensor (net, "head.1.weight");
  g_assert_cmpint (t->shape[0], ==, 128);
  g_assert_cmpint (t->shape[1], ==, 16384);
  g_assert_nonnull (gabn_net_find_tensor (net, "head.2.running_var"));
  t = gabn_net_tensor (net, gabn_net_n_tensors (net) - 1);
  g_assert_cmpstr (t->name, ==, "arcface.weight");
  g_assert_true (t->data == gabn_net_class_centres (net));
  g_assert_cmpint (t->shape[0], ==, 10);
  g_assert_null (gabn_net_find_tensor (net, "backbone.21.weight"));

  g_assert_null (gabn_net_new ("resnet9000", 10, 1, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED);
}

static void
test_seeded_init (void)
{
  g_autoptr(GabnNet) a = gabn_net_new ("gabn-s", 5, 42, NULL);
  g_autoptr(GabnNet) b = gabn_net_new ("gabn-s", 5, 42, NULL);
  g_autoptr(GabnNet) c = gabn_net_new ("gabn-s", 5, 43, NULL);
  const GabnTensorInfo *var = gabn_net_find_tensor (a, "backbone.1.running_var");
  const GabnTensorInfo *bnw = gabn_net_find_tensor (a, "backbone.1.weight");

  g_assert_cmpmem (gabn_net_params (a), gabn_net_n_params (a) * 4,
                   gabn_net_params (b), gabn_net_n_params (b) * 4);
  g_assert_true (memcmp (gabn_net_params (a), gabn_net_params (c),
                         gabn_net_n_params (a) * 4) != 0);
  g_assert_cmpfloat (var->data[0], ==, 1.0f);
  g_assert_cmpfloat (bnw->data[3], ==, 1.0f);
}

static void
test_iresnet_layout (void)
{
  static const struct { const char *arch; gsize backbone_params; } cases[] = {
    { "iresnet18", 0 }, { "iresnet34", 0 }, { "iresnet50", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GabnNet) net = gabn_net_new (cases[i].arch, 0, 1, &error);
      const GabnTensorInfo *t;
      int c, h, w;

      g_assert_no_error (error);
      g_assert_cmpint (gabn_net_input_size (net), ==, 112);
      g_assert_cmpint (gabn_net_embedding_dim (net), ==, 512);
      g_assert_cmpint (gabn_net_n_classes (net), ==, 0);
      gabn_net_feature_shape (net, &c, &h, &w);
      g_assert_cmpint (c, ==, 512);
      g_assert_cmpint (h, ==, 7);
      g_assert_cmpint (w, ==, 7);
      g_assert_cmpstr (gabn_net_tensor (net, 0)->name, ==, "conv1.weight");
      t = gabn_net_find_tensor (net, "features.weight");
      g_assert_nonnull (t);
      g_assert_false (t->trainable);
      g_assert_true (t->kind == GABN_TENSOR_PARAM);
      g_assert_nonnull (gabn_net_find_tensor (net, "layer1.0.downsample.0.weight"));
      g_assert_null (gabn_net_find_tensor (net, "layer1.1.downsample.0.weight"));
      t = gabn_net_find_tensor (net, "layer4.1.prelu.weight");
      g_assert_cmpint (t->shape[0], ==, 512);
      g_assert_cmpfloat (t->data[0], ==, 0.25f);
      t = gabn_net_find_tensor (net, "fc.weight");
      g_assert_cmpint (t->shape[0], ==, 512);
      g_assert_cmpint (t->shape[1], ==, 512 * 7 * 7);
      t = gabn_net_tensor (net, gabn_net_n_tensors (net) - 1);
      g_assert_cmpstr (t->name, ==, "features.num_batches_tracked");
    }
}

/* ---- Whole-network finite differences --------------------------------- */

typedef struct {
  GabnNet *net;
  float *input;
  int batch;
  int *labels;
  GabnMarginConfig margin;
  float *d_emb;
} NetLoss;

static double
net_loss (gpointer data)
{
  NetLoss *l = data;

  gabn_net_forward (l->net, l->input, l->batch);
  return gabn_net_margin_loss (l->net, &l->margin, l->labels, 1.0f, l->d_emb);
}

static void
check_net_gradients (const char *arch, int batch, const char *const *names,
                     int n_checks, double tol)
{
  g_autoptr(GabnNet) net = gabn_net_new (arch, 7, 3, NULL);
  int S = gabn_net_input_size (net), D = gabn_net_embedding_dim (net);
  int c, h, w;
  gsize n_in = (gsize) batch * 3 * S * S, n_feat;
  g_autofree float *input = g_new (float, n_in);
  g_autofree float *d_input = g_new (float, n_in);
  g_autofree float *d_emb = g_new (float, (gsize) batch * D);
  g_autofree float *d_feat = NULL;
  g_autofree float *grads = NULL;
  int labels[4] = { 0, 3, 6, 2 };
  GRand *rand = g_rand_new_with_seed (7);
  NetLoss l = { net, input, batch, labels, { 0 }, d_emb };

  /* The fixture weights keep activations away from ReLU kinks (their
   * BatchNorms before activations are shifted to ±4). */
  fixture_init_net (net, 3);
  gabn_net_feature_shape (net, &c, &h, &w);
  n_feat = (gsize) batch * c * h * w;
  d_feat = g_new (float, n_feat);
  gradcheck_fill (input, n_in, rand, -1, 1);
  g_rand_free (rand);
  gabn_margin_config_init (&l.margin, GABN_MARGIN_ARCFACE);
  gabn_net_set_training (net, TRUE);

  gabn_net_zero_grad (net);
  net_loss (&l);
  gabn_net_backward_head (net, d_emb, d_feat, TRUE);
  gabn_net_backward_backbone (net, d_feat, d_input);
  grads = g_memdup2 (gabn_net_grads (net), gabn_net_n_params (net) * sizeof (float));

  for (int i = 0; names[i]; i++)
    {
      const GabnTensorInfo *t = gabn_net_find_tensor (net, names[i]);
      g_autofree char *label = g_strdup_printf ("%s %s", arch, names[i]);

      g_assert_nonnull (t);
      gradcheck_with_floor (label, t->data, grads + (t->data - gabn_net_params (net)),
                            t->numel, net_loss, &l, 1e-2f, n_checks, tol, 1e-3);
    }
  gradcheck_with_floor ("input", input, d_input, n_in, net_loss, &l, 1e-2f, n_checks, tol, 1e-3);
}

static void
test_gabn_s_gradients (void)
{
  static const char *const names[] = {
    "backbone.0.weight", "backbone.1.weight", "backbone.9.weight",
    "backbone.18.weight", "head.1.weight", "head.2.weight", "arcface.weight", NULL,
  };

  check_net_gradients ("gabn-s", 3, names, 8, 1e-2);
}

static void
test_iresnet18_gradients (void)
{
  static const char *const names[] = {
    "conv1.weight", "layer4.1.prelu.weight", NULL,
  };

  /* Batch 3: with 2 images BatchNorm1d's output is ±1 whatever its input. */
  /* Few checks: each costs two 15-GFLOP forwards; the PyTorch parity test
   * checks every gradient. */
  check_net_gradients ("iresnet18", 3, names, 2, 1e-2);
}

/* backward_head with accumulate = FALSE leaves every parameter gradient as
 * it was, and gives the same d/dA as with accumulate = TRUE. */
static void
test_head_accumulate_flag (void)
{
  g_autoptr(GabnNet) net = gabn_net_new ("gabn-s", 4, 5, NULL);
  int B = 2, D = 128;
  gsize n_in = (gsize) B * 3 * 64 * 64, n_feat = (gsize) B * 256 * 64;
  g_autofree float *input = g_new (float, n_in);
  g_autofree float *d_emb = g_new (float, B * D);
  g_autofree float *d_a = g_new (float, n_feat);
  g_autofree float *d_b = g_new (float, n_feat);
  g_autofree float *before = NULL;
  float cosines[2];
  int classes[2] = { 1, 3 };
  GRand *rand = g_rand_new_with_seed (9);

  gradcheck_fill (input, n_in, rand, -1, 1);
  g_rand_free (rand);
  gabn_net_forward (net, input, B);
  gabn_net_cosine_to_class (net, classes, cosines, d_emb);
  g_assert_cmpfloat (fabsf (cosines[0]), <=, 1.0f);
  for (gsize i = 0; i < gabn_net_n_params (net); i++)
    gabn_net_grads (net)[i] = 0.5f;
  before = g_memdup2 (gabn_net_grads (net), gabn_net_n_params (net) * sizeof (float));
  gabn_net_backward_head (net, d_emb, d_a, FALSE);
  g_assert_cmpmem (before, gabn_net_n_params (net) * 4, gabn_net_grads (net),
                   gabn_net_n_params (net) * 4);
  gabn_net_backward_head (net, d_emb, d_b, TRUE);
  g_assert_cmpmem (d_a, n_feat * 4, d_b, n_feat * 4);
  g_assert_true (memcmp (before, gabn_net_grads (net), gabn_net_n_params (net) * 4) != 0);
}

typedef struct {
  GabnNet *net;
  float *emb;
  int *classes;
} CosLoss;

/* cosine_to_class's gradient, checked against finite differences of the
 * cosine in the embedding (via a head-free path: the centres' cosine). */
static void
test_copy_and_classes (void)
{
  g_autoptr(GabnNet) net = gabn_net_new ("gabn-s", 3, 11, NULL);
  g_autoptr(GabnNet) copy = NULL;
  gsize n_in = 2 * 3 * 64 * 64;
  g_autofree float *input = g_new (float, n_in);
  GRand *rand = g_rand_new_with_seed (10);
  g_autoptr(GError) error = NULL;
  float *centres;

  gradcheck_fill (input, n_in, rand, -1, 1);
  g_rand_free (rand);
  gabn_net_set_training (net, TRUE);
  gabn_net_forward (net, input, 2);   /* moves the running statistics */
  gabn_net_set_training (net, FALSE);
  copy = gabn_net_copy (net);
  g_assert_false (gabn_net_get_training (copy));
  gabn_net_forward (net, input, 2);
  gabn_net_forward (copy, input, 2);
  g_assert_cmpmem (gabn_net_embeddings (net), 2 * 128 * 4,
                   gabn_net_embeddings (copy), 2 * 128 * 4);
  g_assert_cmpfloat (gabn_net_find_tensor (copy, "backbone.1.num_batches_tracked")->data[0], ==, 1.0f);

  centres = g_memdup2 (gabn_net_class_centres (net), 3 * 128 * sizeof (float));
  g_assert_true (gabn_net_set_n_classes (net, 6, 99, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gabn_net_n_classes (net), ==, 6);
  g_assert_cmpint (gabn_net_find_tensor (net, "arcface.weight")->shape[0], ==, 6);
  g_assert_cmpuint (gabn_net_n_params (net), ==, gabn_net_n_params (copy) + 3 * 128);
  g_assert_true (memcmp (centres, gabn_net_class_centres (net), 3 * 128 * 4) != 0);
  g_free (centres);
  /* The rest of the net is unchanged. */
  gabn_net_forward (net, input, 2);
  g_assert_cmpmem (gabn_net_embeddings (net), 2 * 128 * 4,
                   gabn_net_embeddings (copy), 2 * 128 * 4);
  g_assert_true (gabn_net_set_n_classes (net, 0, 1, &error));
  g_assert_null (gabn_net_class_centres (net));
}

/* Eval mode keeps the Winograd form of the 3×3 convolutions between
 * forwards: weights written through a freshly fetched pointer, or by an
 * optimiser step, must be seen by the next forward. */
static void
test_eval_sees_new_weights (void)
{
  g_autoptr(GabnNet) net = gabn_net_new ("gabn-s", 4, 1, NULL);
  g_autoptr(GabnNet) fresh = gabn_net_new ("gabn-s", 4, 1, NULL);
  gsize n_in = 2 * 3 * 64 * 64, n_feat = 2 * 256 * 8 * 8;
  g_autofree float *input = g_new (float, n_in);
  g_autofree float *before = NULL;
  GRand *rand = g_rand_new_with_seed (3);
  float *w;
  gsize numel;

  gradcheck_fill (input, n_in, rand, -1, 1);
  g_rand_free (rand);
  gabn_net_forward (net, input, 2);
  before = g_memdup2 (gabn_net_features (net), n_feat * sizeof (float));

  /* backbone.6 is the stride-1 64→64 convolution (Winograd). */
  w = gabn_net_find_tensor (net, "backbone.6.weight")->data;
  numel = gabn_net_find_tensor (net, "backbone.6.weight")->numel;
  for (gsize i = 0; i < numel; i++)
    w[i] *= -2.0f;
  gabn_net_forward (net, input, 2);

  w = gabn_net_find_tensor (fresh, "backbone.6.weight")->data;
  for (gsize i = 0; i < numel; i++)
    w[i] *= -2.0f;
  gabn_net_forward (fresh, input, 2);
  g_assert_true (memcmp (before, gabn_net_features (net), n_feat * sizeof (float)) != 0);
  g_assert_cmpmem (gabn_net_features (net), n_feat * sizeof (float),
                   gabn_net_features (fresh), n_feat * sizeof (float));

  /* Through the parameter blob too. */
  gabn_net_params (net)[0] += 1.0f;
  gabn_net_params (fresh)[0] += 1.0f;
  gabn_net_forward (net, input, 2);
  gabn_net_forward (fresh, input, 2);
  g_assert_cmpmem (gabn_net_features (net), n_feat * sizeof (float),
                   gabn_net_features (fresh), n_feat * sizeof (float));
}

/* Per-channel means of ∂y/∂A after the full head backward. */
static void
full_alpha (GabnNet *net, const float *d_emb, double *alpha)
{
  int B = gabn_net_batch (net), C, h, w;
  g_autofree float *dA = NULL;

  gabn_net_feature_shape (net, &C, &h, &w);
  dA = g_new (float, (gsize) B * C * h * w);
  gabn_net_backward_head (net, d_emb, dA, FALSE);
  for (int bk = 0; bk < B * C; bk++)
    {
      double sum = 0;

      for (int i = 0; i < h * w; i++)
        sum += dA[(gsize) bk * h * w + i];
      alpha[bk] = sum / (h * w);
    }
}

/* gabn_net_backward_head_pooled gives the channel means of the full head
 * backward (BatchNorm before the Linear on iresnet, after it on both), sees
 * new head weights, and declines in training mode. */
static void
check_head_pooled (const char *arch, const char *linear)
{
  g_autoptr(GabnNet) net = gabn_net_new (arch, 5, 2, NULL);
  int B = 2, C, h, w, S = gabn_net_input_size (net), D = gabn_net_embedding_dim (net);
  gsize n_in = (gsize) B * 3 * S * S;
  g_autofree float *input = g_new (float, n_in);
  g_autofree float *d_emb = g_new (float, B * D);
  g_autofree float *pooled = NULL;
  g_autofree double *want = NULL;
  int classes[2] = { 1, 4 };
  float cosines[2];
  GRand *rand = g_rand_new_with_seed (21);
  const GabnTensorInfo *W;

  gabn_net_feature_shape (net, &C, &h, &w);
  pooled = g_new (float, B * C);
  want = g_new (double, B * C);
  gradcheck_fill (input, n_in, rand, -1, 1);
  g_rand_free (rand);
  gabn_net_set_training (net, TRUE);
  gabn_net_forward (net, input, B);   /* running statistics away from 0 and 1 */
  gabn_net_set_training (net, FALSE);
  for (int round = 0; round < 2; round++)
    {
      double scale = 0, worst = 0;

      gabn_net_forward (net, input, B);
      gabn_net_cosine_to_class (net, classes, cosines, d_emb);
      full_alpha (net, d_emb, want);
      g_assert_true (gabn_net_backward_head_pooled (net, d_emb, pooled));
      for (int i = 0; i < B * C; i++)
        {
          scale = MAX (scale, fabs (want[i]));
          worst = MAX (worst, fabs (pooled[i] - want[i]));
        }
      g_test_message ("%s round %d: max |diff| %.3g of %.3g", arch, round, worst, scale);
      g_assert_cmpfloat (scale, >, 0.0);
      g_assert_cmpfloat (worst, <=, 1e-5 * scale);
      /* New head weights: the cached channel sums must be remade. */
      W = gabn_net_find_tensor (net, linear);
      for (gsize i = 0; i < W->numel; i += 3)
        W->data[i] *= -2.0f;
    }
  gabn_net_set_training (net, TRUE);
  gabn_net_forward (net, input, B);
  g_assert_false (gabn_net_backward_head_pooled (net, d_emb, pooled));
}

static void
test_head_pooled (void)
{
  check_head_pooled ("gabn-s", "head.1.weight");
  check_head_pooled ("iresnet18", "fc.weight");
}

/* One training step's parameter gradients (no update) on input. */
static void
step_gradients (GabnNet *net, const float *input, int B, const int *labels,
                float *grads)
{
  GabnMarginConfig margin;
  int C, h, w;
  g_autofree float *d_emb = g_new (float, (gsize) B * gabn_net_embedding_dim (net));
  g_autofree float *d_feat = NULL;

  gabn_net_feature_shape (net, &C, &h, &w);
  d_feat = g_new (float, (gsize) B * C * h * w);
  gabn_margin_config_init (&margin, GABN_MARGIN_ARCFACE);
  gabn_net_zero_grad (net);
  gabn_net_forward (net, input, B);
  gabn_net_margin_loss (net, &margin, labels, 1.0f, d_emb);
  gabn_net_backward_head (net, d_emb, d_feat, TRUE);
  gabn_net_backward_backbone (net, d_feat, NULL);
  memcpy (grads, gabn_net_grads (net), gabn_net_n_params (net) * sizeof (float));
}

/* The values' gradient buffers come from a pool (gabn-grad-pool.c): a
 * step whose pool still holds an earlier step's gradients gives the same
 * gradients, bit for bit, as a fresh net's first step (every buffer is
 * zeroed before its first use), later steps allocate nothing more, and the
 * buffers held are far fewer than one per value (iresnet18: residual adds,
 * whose inputs are read twice). */
static void
test_gradient_pool (void)
{
  g_autoptr(GabnNet) used = gabn_net_new ("iresnet18", 4, 5, NULL);
  g_autoptr(GabnNet) fresh = gabn_net_new ("iresnet18", 4, 5, NULL);
  g_autoptr(GabnNet) copy = NULL;
  int B = 2, S = gabn_net_input_size (used), labels[2] = { 3, 1 };
  gsize n_in = (gsize) B * 3 * S * S, n = gabn_net_n_params (used);
  g_autofree float *other = g_new (float, n_in);
  g_autofree float *input = g_new (float, n_in);
  g_autofree float *want = g_new (float, n);
  g_autofree float *got = g_new (float, n);
  GRand *rand = g_rand_new_with_seed (17);
  GabnNetMemory first, later;

  gradcheck_fill (other, n_in, rand, -1, 1);
  gradcheck_fill (input, n_in, rand, -1, 1);
  g_rand_free (rand);
  gabn_net_set_training (used, TRUE);
  gabn_net_set_training (fresh, TRUE);
  step_gradients (used, other, B, labels, got);
  gabn_net_memory (used, &first);
  step_gradients (used, input, B, labels, got);
  step_gradients (fresh, input, B, labels, want);
  g_assert_cmpmem (got, n * sizeof (float), want, n * sizeof (float));

  gabn_net_memory (used, &later);
  g_test_message ("gradient buffers %zu bytes, activations %zu",
                  later.value_grads, later.activations);
  g_assert_cmpuint (later.value_grads, ==, first.value_grads);
  g_assert_cmpuint (later.value_grads, >, 0);
  g_assert_cmpuint (later.value_grads, <, later.activations / 2);

  /* Training shares the buffers of the values nothing reads after the
   * forward (gabn-net-transient.c); eval gives them back, and sees the same
   * embeddings as a copy that never trained. */
  copy = gabn_net_copy (used);
  gabn_net_set_training (used, FALSE);
  gabn_net_set_training (copy, FALSE);
  gabn_net_forward (used, input, B);
  gabn_net_forward (copy, input, B);
  gabn_net_memory (used, &first);
  g_assert_cmpuint (first.activations, >, later.activations);
  g_assert_cmpmem (gabn_net_embeddings (used), B * 512 * sizeof (float),
                   gabn_net_embeddings (copy), B * 512 * sizeof (float));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/net/gabn-s-layout", test_gabn_s_layout);
  g_test_add_func ("/engine/net/seeded-init", test_seeded_init);
  g_test_add_func ("/engine/net/iresnet-layout", test_iresnet_layout);
  g_test_add_func ("/engine/net/gabn-s-gradients", test_gabn_s_gradients);
  g_test_add_func ("/engine/net/iresnet18-gradients", test_iresnet18_gradients);
  g_test_add_func ("/engine/net/head-accumulate-flag", test_head_accumulate_flag);
  g_test_add_func ("/engine/net/copy-and-classes", test_copy_and_classes);
  g_test_add_func ("/engine/net/eval-sees-new-weights", test_eval_sees_new_weights);
  g_test_add_func ("/engine/net/head-pooled", test_head_pooled);
  g_test_add_func ("/engine/net/gradient-pool", test_gradient_pool);
  return g_test_run ();
}
