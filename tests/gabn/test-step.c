/* test-step.c: the GABN training step on a real gabn-s net, checked by
 * central finite differences of the loss it defines (DESIGN.md 1) with α,
 * the erasing mask and the (updated) discriminator held constant:
 *   L(θ) = L_arc + λ_adv·CE(D(P), uniform) + λ_mask·L_arc(A ⊙ keep)
 *   (or λ_mask·L_arc(net(x with the kept-out cells' pixels zeroed))),
 *   P = normalise(ReLU(Σ_k α_k A_k)).
 * With gam = hirescam, P = normalise(ReLU(Σ_k ∂y/∂A_k ⊙ A_k)) with ∂y/∂A
 * held constant.
 * Also: the gradient-norm ratio the step reports is finite and scales
 * linearly with λ_adv; the baseline step equals the margin loss's own gradient, the
 * erased pass leaves BatchNorm running statistics alone, and a cancelled
 * step leaves no trace. */
#include "gabn-cam.h"
#include "gabn-discriminator.h"
#include "gabn-gam.h"
#include "gabn-net.h"
#include "gabn-optim.h"
#include "gabn-step.h"

#include <math.h>
#include <string.h>

enum { B = 4, CLASSES = 3, G = 2 };

typedef struct {
  GabnNet *net;
  GabnDiscriminator *disc;
  GabnTrainConfig config;
  GabnMarginConfig margin;
  float *input;
  int labels[B], groups[B];
  float *alpha;       /* (B,C) from θ0 */
  float *dY;          /* (B,C,h,w) ∂y/∂A from θ0 (HiResCAM) */
  guint8 *keep;       /* (B,n) from θ0 */
  int C, h, w, n;
} Fixture;

static void
fixture_init (Fixture *f, GabnMethod method, GabnEraseWhere where)
{
  g_autoptr(GError) error = NULL;
  int S;
  GRand *rand = g_rand_new_with_seed (3);

  f->net = gabn_net_new ("gabn-s", CLASSES, 5, &error);
  g_assert_no_error (error);
  gabn_net_set_training (f->net, TRUE);
  gabn_net_feature_shape (f->net, &f->C, &f->h, &f->w);
  f->n = f->h * f->w;
  S = gabn_net_input_size (f->net);
  f->input = g_new (float, (gsize) B * 3 * S * S);
  for (gsize i = 0; i < (gsize) B * 3 * S * S; i++)
    f->input[i] = (float) g_rand_double_range (rand, -1, 1);
  g_rand_free (rand);
  for (int b = 0; b < B; b++)
    {
      f->labels[b] = b % CLASSES;
      f->groups[b] = b % G;
    }
  gabn_train_config_init (&f->config);
  f->config.method = method;
  f->config.erase_where = where;
  f->config.lambda_adv = 0.7f;   /* large, so the GAM path matters */
  f->config.lambda_mask = 0.5f;
  /* A small scale keeps the loss smooth enough for float finite
   * differences; the path under test does not depend on it. */
  f->config.margin_s = 4.0f;
  f->config.margin_m = 0.2f;
  gabn_margin_config_init (&f->margin, f->config.margin);
  f->margin.s = f->config.margin_s;
  f->margin.m = f->config.margin_m;
  f->disc = gabn_discriminator_new (f->n, 16, G, 9);
}

static void
fixture_clear (Fixture *f)
{
  gabn_net_free (f->net);
  gabn_discriminator_free (f->disc);
  gabn_train_config_clear (&f->config);
  g_free (f->input);
  g_free (f->alpha);
  g_free (f->dY);
  g_free (f->keep);
}

/* α and the Top-N mask at the current parameters, as the step makes them. */
static void
freeze_gam (Fixture *f)
{
  g_autofree float *cam = g_new (float, B * f->n);
  g_autofree int *cells = g_new (int, f->n);
  int N = f->n / 3;

  f->alpha = g_new (float, B * f->C);
  f->dY = g_new (float, (gsize) B * f->C * f->n);
  f->keep = g_new (guint8, B * f->n);
  gabn_net_forward (f->net, f->input, B);
  gabn_gam_from_activations (f->net, f->config.gam, f->labels, NULL, cam,
                             NULL, f->alpha, f->dY);
  memset (f->keep, 1, B * f->n);
  for (int b = 0; b < B; b++)
    {
      gabn_cam_top_n (cam + b * f->n, f->n, N, cells);
      for (int k = 0; k < N; k++)
        f->keep[b * f->n + cells[k]] = 0;
    }
}

/* The loss with α, mask and D frozen. */
static double
frozen_loss (Fixture *f)
{
  int d = gabn_net_embedding_dim (f->net);
  gsize fa = (gsize) B * f->C * f->n;
  g_autofree float *d_emb = g_new (float, B * d);
  g_autofree float *A0 = g_new (float, fa);
  g_autofree float *fake_dA = g_new (float, fa);
  g_autofree float *cam = g_new (float, B * f->n);
  g_autofree float *P = g_new (float, B * f->n);
  g_autofree float *dz = g_new (float, B * G);
  float *A;
  double loss;

  gabn_net_forward_backbone (f->net, f->input, B);
  gabn_net_forward_head (f->net);
  loss = gabn_net_margin_loss (f->net, &f->margin, f->labels, 1.0f, d_emb);
  if (f->config.method == GABN_METHOD_BASELINE)
    return loss;
  A = gabn_net_features (f->net);
  memcpy (A0, A, sizeof (float) * fa);
  /* Grad-CAM with α frozen: a gradient that is α_k in every cell;
   * HiResCAM with ∂y/∂A frozen. */
  if (f->config.gam == GABN_CAM_HIRESCAM)
    memcpy (fake_dA, f->dY, sizeof (float) * fa);
  else
    for (int b = 0; b < B; b++)
      for (int k = 0; k < f->C; k++)
        for (int i = 0; i < f->n; i++)
          fake_dA[((gsize) b * f->C + k) * f->n + i] = f->alpha[b * f->C + k];
  gabn_cam_forward (f->config.gam, cam, NULL, A0, fake_dA, B, f->C, f->h, f->w);
  gabn_cam_normalise (P, cam, B, f->n);
  gabn_discriminator_forward (f->disc, P, B);
  loss += f->config.lambda_adv * gabn_discriminator_loss (f->disc, NULL, dz, NULL);
  if (f->config.erase_where == GABN_ERASE_INPUT)
    {
      /* The erased cells' pixel blocks set to 0, a second full pass. */
      int S = gabn_net_input_size (f->net);
      g_autofree float *x = g_memdup2 (f->input, sizeof (float) * B * 3 * S * S);

      for (int b = 0; b < B; b++)
        for (int y = 0; y < S; y++)
          for (int xx = 0; xx < S; xx++)
            if (!f->keep[b * f->n + (y * f->h / S) * f->w + xx * f->w / S])
              for (int c = 0; c < 3; c++)
                x[(((gsize) b * 3 + c) * S + y) * S + xx] = 0.0f;
      gabn_net_forward_backbone (f->net, x, B);
    }
  else
    for (int b = 0; b < B; b++)
      for (int k = 0; k < f->C; k++)
        for (int i = 0; i < f->n; i++)
          if (!f->keep[b * f->n + i])
            A[((gsize) b * f->C + k) * f->n + i] = 0.0f;
  gabn_net_forward_head (f->net);
  loss += f->config.lambda_mask
          * gabn_net_margin_loss (f->net, &f->margin, f->labels, 1.0f, d_emb);
  return loss;
}

static void
check_against_fd (Fixture *f)
{
  g_autoptr(GabnOptim) disc_optim = NULL;
  g_autoptr(GabnStep) step = NULL;
  GabnOptimConfig oc;
  GabnStepReport report = { 0 };
  gsize np = gabn_net_n_params (f->net);
  g_autofree float *grads = NULL;
  float *params = gabn_net_params (f->net);
  /* Parameters to probe: the last stage (where ∂L/∂A enters the backbone)
   * and the head. */
  const char *names[] = { "backbone.15.weight", "backbone.18.weight",
                          "backbone.19.weight", "head.1.weight", "head.2.weight" };
  int checked = 0, agreed = 0;

  gabn_optim_config_init (&oc, GABN_OPTIM_ADAMW);
  disc_optim = gabn_optim_new (gabn_discriminator_params (f->disc),
                               gabn_discriminator_grads (f->disc),
                               gabn_discriminator_n_params (f->disc), &oc);
  freeze_gam (f);
  step = gabn_step_new (f->net, &f->config, f->disc, disc_optim, NULL, G);
  gabn_step_compute (step, f->input, f->labels, f->groups, B, 0, &report);
  grads = g_memdup2 (gabn_net_grads (f->net), sizeof (float) * np);
  g_assert_true (isfinite (report.loss));
  if (f->config.method == GABN_METHOD_GABN)
    {
      g_assert_cmpfloat (report.loss_mask, >, 0.0f);
      g_assert_cmpfloat (report.loss_adv, >, 0.0f);
    }
  /* The step's own total loss equals the frozen loss at θ0 (D already
   * updated in both). */
  g_assert_cmpfloat_with_epsilon (report.loss, frozen_loss (f), 1e-3 * fabs (report.loss) + 1e-4);

  for (guint t = 0; t < G_N_ELEMENTS (names); t++)
    {
      const GabnTensorInfo *info = gabn_net_find_tensor (f->net, names[t]);
      gsize offset;

      g_assert_nonnull (info);
      offset = info->data - params;
      for (int k = 0; k < 4; k++)
        {
          gsize i = offset + (gsize) (k * 7919) % info->numel;
          float saved = params[i];
          double h = 2e-3 * MAX (fabs (saved), 0.1), lp, lm, fd;

          params[i] = saved + h;
          lp = frozen_loss (f);
          params[i] = saved - h;
          lm = frozen_loss (f);
          params[i] = saved;
          fd = (lp - lm) / (2 * h);
          checked++;
          if (fabs (fd - grads[i]) <= 2e-3 + 0.05 * MAX (fabs (fd), fabs (grads[i])))
            agreed++;
          else
            g_test_message ("%s[%zu]: step %g, finite difference %g", names[t],
                            i - offset, grads[i], fd);
        }
    }
  /* ReLU kinks in the backbone can spoil a probe: allow one in eight. */
  g_assert_cmpint (agreed, >=, checked - checked / 8);
}

static void
test_gabn_features (void)
{
  Fixture f = { 0 };

  fixture_init (&f, GABN_METHOD_GABN, GABN_ERASE_FEATURES);
  check_against_fd (&f);
  fixture_clear (&f);
}

static void
test_gabn_input (void)
{
  Fixture f = { 0 };

  fixture_init (&f, GABN_METHOD_GABN, GABN_ERASE_INPUT);
  check_against_fd (&f);
  fixture_clear (&f);
}

static void
test_gabn_hirescam (void)
{
  Fixture f = { 0 };

  fixture_init (&f, GABN_METHOD_GABN, GABN_ERASE_FEATURES);
  f.config.gam = GABN_CAM_HIRESCAM;
  check_against_fd (&f);
  fixture_clear (&f);
}

/* One step from the same start with λ_adv = lambda: its grad_ratio. */
static float
ratio_at (GabnMethod method, GabnCamMethod gam, float lambda)
{
  Fixture f = { 0 };
  g_autoptr(GabnOptim) disc_optim = NULL;
  g_autoptr(GabnStep) step = NULL;
  GabnOptimConfig oc;
  GabnStepReport report = { 0 };

  fixture_init (&f, method, GABN_ERASE_FEATURES);
  f.config.gam = gam;
  f.config.lambda_adv = lambda;
  gabn_optim_config_init (&oc, GABN_OPTIM_ADAMW);
  disc_optim = gabn_optim_new (gabn_discriminator_params (f.disc),
                               gabn_discriminator_grads (f.disc),
                               gabn_discriminator_n_params (f.disc), &oc);
  step = gabn_step_new (f.net, &f.config, f.disc, disc_optim, NULL, G);
  g_assert_true (gabn_step_compute (step, f.input, f.labels, f.groups, B, 0, &report));
  g_clear_pointer (&step, gabn_step_free);
  fixture_clear (&f);
  return report.grad_ratio;
}

/* ‖λ_adv·∂L_conf/∂A‖ / ‖∂L_arc/∂A‖: finite, positive, linear in λ_adv
 * (D steps on P, which λ_adv does not touch, and ∂L_arc/∂A does not
 * depend on it either); 0 without the adversary; NaN for the baseline. */
static void
test_grad_ratio (void)
{
  for (int m = 0; m < 2; m++)
    {
      GabnCamMethod gam = m ? GABN_CAM_HIRESCAM : GABN_CAM_GRADCAM;
      float r1 = ratio_at (GABN_METHOD_GABN, gam, 0.1f);
      float r3 = ratio_at (GABN_METHOD_GABN, gam, 0.3f);

      g_test_message ("%s: ratio %g at λ_adv 0.1, %g at 0.3",
                      gabn_cam_method_name (gam), r1, r3);
      g_assert_true (isfinite (r1) && isfinite (r3));
      g_assert_cmpfloat (r1, >, 0.0f);
      g_assert_cmpfloat_with_epsilon (r3 / r1, 3.0, 1e-3);
      g_assert_cmpfloat (ratio_at (GABN_METHOD_GABN, gam, 0.0f), ==, 0.0f);
    }
  g_assert_true (isnan (ratio_at (GABN_METHOD_BASELINE, GABN_CAM_GRADCAM, 0.1f)));
}

static void
test_baseline (void)
{
  Fixture f = { 0 };

  fixture_init (&f, GABN_METHOD_BASELINE, GABN_ERASE_FEATURES);
  check_against_fd (&f);
  fixture_clear (&f);
}

/* With a warm-up of 4 steps the margin loss of step k is the loss at
 * m·k/4, then at the full m; without one, the full m from step 0. */
static void
test_margin_warmup (void)
{
  Fixture f = { 0 };
  g_autoptr(GabnStep) step = NULL;
  const float m = 0.2f;
  const struct { gint64 warmup, step; float m; } cases[] = {
    { 4, 0, 0.0f }, { 4, 1, 0.25f * m }, { 4, 3, 0.75f * m }, { 4, 4, m }, { 4, 9, m },
    { 0, 0, m },
  };

  fixture_init (&f, GABN_METHOD_BASELINE, GABN_ERASE_FEATURES);
  /* A scale where the margin moves the loss well past float rounding. */
  f.config.margin_s = 16.0f;
  f.margin.s = 16.0f;
  step = gabn_step_new (f.net, &f.config, NULL, NULL, NULL, G);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GabnStepReport report = { 0 };
      double expected, at_full;

      gabn_step_set_margin_warmup (step, cases[i].warmup);
      g_assert_true (gabn_step_compute (step, f.input, f.labels, f.groups, B, cases[i].step, &report));
      f.margin.m = cases[i].m;
      expected = frozen_loss (&f);
      f.margin.m = m;
      at_full = frozen_loss (&f);
      g_test_message ("warm-up %d, step %d: loss %g, expected %g (full m %g)",
                      (int) cases[i].warmup, (int) cases[i].step, report.loss_arc, expected, at_full);
      g_assert_cmpfloat_with_epsilon (report.loss_arc, expected, 1e-5 * fabs (expected) + 1e-6);
      if (cases[i].m < m)
        g_assert_cmpfloat (fabs (expected - at_full), >, 1e-3);
    }
  g_clear_pointer (&step, gabn_step_free);
  fixture_clear (&f);
}

static void
test_running_stats (void)
{
  /* Only the plain pass moves BatchNorm statistics: a GABN step leaves them
   * where a baseline step does. */
  Fixture a = { 0 }, b = { 0 };
  GabnOptimConfig oc;
  GabnStepReport report;
  const GabnTensorInfo *ta, *tb;

  fixture_init (&a, GABN_METHOD_GABN, GABN_ERASE_FEATURES);
  fixture_init (&b, GABN_METHOD_BASELINE, GABN_ERASE_FEATURES);
  gabn_optim_config_init (&oc, GABN_OPTIM_ADAMW);
  {
    g_autoptr(GabnOptim) o = gabn_optim_new (gabn_discriminator_params (a.disc),
                                             gabn_discriminator_grads (a.disc),
                                             gabn_discriminator_n_params (a.disc), &oc);
    g_autoptr(GabnStep) sa = gabn_step_new (a.net, &a.config, a.disc, o, NULL, G);
    g_autoptr(GabnStep) sb = gabn_step_new (b.net, &b.config, NULL, NULL, NULL, G);
    gabn_step_compute (sa, a.input, a.labels, a.groups, B, 0, &report);
    gabn_step_compute (sb, b.input, b.labels, b.groups, B, 0, &report);
  }
  ta = gabn_net_find_tensor (a.net, "head.2.running_mean");
  tb = gabn_net_find_tensor (b.net, "head.2.running_mean");
  for (gsize i = 0; i < ta->numel; i++)
    g_assert_cmpfloat (ta->data[i], ==, tb->data[i]);
  fixture_clear (&a);
  fixture_clear (&b);
}

/* All BatchNorm buffers of a net, concatenated. */
static GArray *
net_buffers (GabnNet *net)
{
  GArray *all = g_array_new (FALSE, FALSE, sizeof (float));

  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      if (t->kind == GABN_TENSOR_BUFFER)
        g_array_append_vals (all, t->data, t->numel);
    }
  return all;
}

/* A step stopped by its cancellable returns FALSE and leaves no trace: the
 * net's parameters and BatchNorm statistics and the discriminator are as
 * before, and the next step equals a first step on an untouched net. */
static void
check_cancelled (GabnMethod method)
{
  Fixture a = { 0 }, b = { 0 };
  GabnOptimConfig oc;
  GabnStepReport report;
  g_autoptr(GCancellable) stop = g_cancellable_new ();
  g_autoptr(GCancellable) go = g_cancellable_new ();
  gboolean gabn = method == GABN_METHOD_GABN;

  fixture_init (&a, method, GABN_ERASE_FEATURES);
  fixture_init (&b, method, GABN_ERASE_FEATURES);
  gabn_optim_config_init (&oc, GABN_OPTIM_ADAMW);
  {
    gsize np = gabn_net_n_params (a.net), nd = gabn_discriminator_n_params (a.disc);
    g_autoptr(GabnOptim) oa = gabn_optim_new (gabn_discriminator_params (a.disc),
                                              gabn_discriminator_grads (a.disc), nd, &oc);
    g_autoptr(GabnOptim) ob = gabn_optim_new (gabn_discriminator_params (b.disc),
                                              gabn_discriminator_grads (b.disc), nd, &oc);
    g_autoptr(GabnStep) sa = gabn_step_new (a.net, &a.config, gabn ? a.disc : NULL,
                                            gabn ? oa : NULL, NULL, G);
    g_autoptr(GabnStep) sb = gabn_step_new (b.net, &b.config, gabn ? b.disc : NULL,
                                            gabn ? ob : NULL, NULL, G);
    g_autofree float *params = g_memdup2 (gabn_net_params (a.net), sizeof (float) * np);
    g_autofree float *disc = g_memdup2 (gabn_discriminator_params (a.disc), sizeof (float) * nd);
    g_autoptr(GArray) buffers = net_buffers (a.net);
    g_autoptr(GArray) after = NULL;
    g_autoptr(GArray) buffers_a = NULL;
    g_autoptr(GArray) buffers_b = NULL;

    g_cancellable_cancel (stop);
    gabn_step_set_cancellable (sa, stop);
    g_assert_false (gabn_step_compute (sa, a.input, a.labels, a.groups, B, 0, &report));
    g_assert_false (gabn_net_cancelled (a.net));   /* the net is let go */
    g_assert_cmpmem (params, np * 4, gabn_net_params (a.net), np * 4);
    g_assert_cmpmem (disc, nd * 4, gabn_discriminator_params (a.disc), nd * 4);
    after = net_buffers (a.net);
    g_assert_cmpmem (buffers->data, buffers->len * 4, after->data, after->len * 4);

    gabn_step_set_cancellable (sa, go);
    g_assert_true (gabn_step_compute (sa, a.input, a.labels, a.groups, B, 0, &report));
    g_assert_true (gabn_step_compute (sb, b.input, b.labels, b.groups, B, 0, &report));
    g_assert_cmpmem (gabn_net_grads (a.net), np * 4, gabn_net_grads (b.net), np * 4);
    buffers_a = net_buffers (a.net);
    buffers_b = net_buffers (b.net);
    g_assert_cmpmem (buffers_a->data, buffers_a->len * 4, buffers_b->data, buffers_b->len * 4);
    g_assert_cmpmem (gabn_discriminator_params (a.disc), nd * 4,
                     gabn_discriminator_params (b.disc), nd * 4);
  }
  fixture_clear (&a);
  fixture_clear (&b);
}

typedef struct {
  Fixture *f;
  GabnStep *step;
  gboolean completed;
} StepRun;

static gpointer
run_step (gpointer data)
{
  StepRun *r = data;
  GabnStepReport report;

  r->completed = gabn_step_compute (r->step, r->f->input, r->f->labels,
                                    r->f->groups, B, 0, &report);
  return NULL;
}

/* Cancelled from another thread a few milliseconds in — mid-forward,
 * mid-backward or after the end, whichever the machine makes it: either
 * the step completed, or the net is exactly as before it. */
static void
test_cancelled_midway (void)
{
  int cut = 0;

  for (int delay_us = 0; delay_us <= 24000; delay_us += 3000)
    {
      Fixture f = { 0 };
      g_autoptr(GCancellable) stop = g_cancellable_new ();
      g_autoptr(GabnStep) step = NULL;
      g_autoptr(GArray) before = NULL, after = NULL;
      g_autofree float *params = NULL;
      StepRun run;
      GThread *thread;
      gsize np;

      fixture_init (&f, GABN_METHOD_BASELINE, GABN_ERASE_FEATURES);
      np = gabn_net_n_params (f.net);
      step = gabn_step_new (f.net, &f.config, NULL, NULL, NULL, G);
      gabn_step_set_cancellable (step, stop);
      params = g_memdup2 (gabn_net_params (f.net), sizeof (float) * np);
      before = net_buffers (f.net);
      run = (StepRun) { &f, step, FALSE };
      thread = g_thread_new ("step", run_step, &run);
      g_usleep (delay_us);
      g_cancellable_cancel (stop);
      g_thread_join (thread);
      after = net_buffers (f.net);
      g_assert_cmpmem (params, np * 4, gabn_net_params (f.net), np * 4);
      if (!run.completed)
        {
          cut++;
          g_assert_cmpmem (before->data, before->len * 4, after->data, after->len * 4);
        }
      fixture_clear (&f);
    }
  g_test_message ("%d of 9 steps cut short", cut);
}

static void
test_cancelled (void)
{
  check_cancelled (GABN_METHOD_BASELINE);
  check_cancelled (GABN_METHOD_GABN);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/step/gabn-features", test_gabn_features);
  g_test_add_func ("/gabn/step/gabn-input", test_gabn_input);
  g_test_add_func ("/gabn/step/gabn-hirescam", test_gabn_hirescam);
  g_test_add_func ("/gabn/step/grad-ratio", test_grad_ratio);
  g_test_add_func ("/gabn/step/baseline", test_baseline);
  g_test_add_func ("/gabn/step/running-stats", test_running_stats);
  g_test_add_func ("/gabn/step/margin-warmup", test_margin_warmup);
  g_test_add_func ("/gabn/step/cancelled", test_cancelled);
  g_test_add_func ("/gabn/step/cancelled-midway", test_cancelled_midway);
  return g_test_run ();
}
