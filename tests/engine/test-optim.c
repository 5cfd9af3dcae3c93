/* test-optim.c: SGD and AdamW against updates computed by hand, frozen
 * tensors left alone, and the learning-rate schedules. (PyTorch's own
 * updates are compared in test-torch-parity.) */
#include "gabn-optim.h"

#include <math.h>

static void
test_sgd_momentum (void)
{
  float p[2] = { 1.0f, -2.0f }, g[2] = { 0.5f, 0.25f };
  GabnOptimConfig config;
  g_autoptr(GabnOptim) optim = NULL;

  gabn_optim_config_init (&config, GABN_OPTIM_SGD);
  g_assert_cmpfloat (config.momentum, ==, 0.9f);
  config.weight_decay = 0.0f;
  optim = gabn_optim_new (p, g, 2, &config);
  /* Step 1: buf = g; p −= lr·buf.  Step 2: buf = 0.9·buf + g. */
  gabn_optim_step (optim, 0.1f);
  g_assert_cmpfloat_with_epsilon (p[0], 0.95, 1e-6);
  gabn_optim_step (optim, 0.1f);
  g_assert_cmpfloat_with_epsilon (p[0], 0.95 - 0.1 * 0.95, 1e-6);
  g_assert_cmpfloat_with_epsilon (p[1], -2.0 - 0.025 - 0.1 * 0.475, 1e-6);
  g_assert_cmpint (gabn_optim_n_steps (optim), ==, 2);
  gabn_optim_reset (optim);
  g_assert_cmpint (gabn_optim_n_steps (optim), ==, 0);
}

static void
test_sgd_weight_decay_nesterov (void)
{
  float p[1] = { 2.0f }, g[1] = { 1.0f };
  GabnOptimConfig config;
  g_autoptr(GabnOptim) optim = NULL;
  double d1, buf, d2, expect;

  gabn_optim_config_init (&config, GABN_OPTIM_SGD);
  config.weight_decay = 0.1f;
  config.nesterov = TRUE;
  optim = gabn_optim_new (p, g, 1, &config);
  gabn_optim_step (optim, 0.5f);
  d1 = 1.0 + 0.1 * 2.0;               /* grad + wd·p */
  buf = d1;
  expect = 2.0 - 0.5 * (d1 + 0.9 * buf);
  g_assert_cmpfloat_with_epsilon (p[0], expect, 1e-6);
  gabn_optim_step (optim, 0.5f);
  d2 = 1.0 + 0.1 * expect;
  buf = 0.9 * buf + d2;
  expect -= 0.5 * (d2 + 0.9 * buf);
  g_assert_cmpfloat_with_epsilon (p[0], expect, 1e-5);
}

static void
test_adamw (void)
{
  float p[2] = { 1.0f, 1.0f }, g[2] = { 0.3f, -2.0f };
  GabnOptimConfig config;
  g_autoptr(GabnOptim) optim = NULL;
  double m = 0, v = 0, q = 1.0;

  gabn_optim_config_init (&config, GABN_OPTIM_ADAMW);
  g_assert_cmpfloat (config.weight_decay, ==, 0.01f);
  optim = gabn_optim_new (p, g, 2, &config);
  for (int t = 1; t <= 3; t++)
    {
      gabn_optim_step (optim, 0.01f);
      q *= 1.0 - 0.01 * 0.01;
      m = 0.9 * m + 0.1 * 0.3;
      v = 0.999 * v + 0.001 * 0.09;
      q -= 0.01 * (m / (1 - pow (0.9, t))) / (sqrt (v / (1 - pow (0.999, t))) + 1e-8);
      g_assert_cmpfloat_with_epsilon (p[0], q, 1e-6);
    }
  /* After one step Adam moves by lr·sign(g); the rest is decay. */
  g_assert_cmpfloat (p[1], >, 1.0f);
}

static void
test_frozen_tensors (void)
{
  g_autoptr(GabnNet) net = gabn_net_new ("iresnet18", 3, 1, NULL);
  const GabnTensorInfo *frozen = gabn_net_find_tensor (net, "features.weight");
  const GabnTensorInfo *bias = gabn_net_find_tensor (net, "features.bias");
  GabnOptimConfig config;
  g_autoptr(GabnOptim) optim = NULL;

  gabn_optim_config_init (&config, GABN_OPTIM_SGD);
  optim = gabn_optim_new_for_net (net, &config);
  for (gsize i = 0; i < gabn_net_n_params (net); i++)
    gabn_net_grads (net)[i] = 1.0f;
  gabn_optim_step (optim, 0.1f);
  g_assert_cmpfloat (frozen->data[0], ==, 1.0f);
  g_assert_cmpfloat (frozen->data[511], ==, 1.0f);
  g_assert_cmpfloat_with_epsilon (bias->data[0], -0.1, 1e-7);

  /* New classes: the optimiser follows the new blob with fresh state. */
  g_assert_true (gabn_net_set_n_classes (net, 5, 2, NULL));
  for (gsize i = 0; i < gabn_net_n_params (net); i++)
    gabn_net_grads (net)[i] = 1.0f;
  gabn_optim_step (optim, 0.1f);
  g_assert_cmpint (gabn_optim_n_steps (optim), ==, 1);
  g_assert_cmpfloat (frozen->data[0], ==, 1.0f);
}

static void
test_schedules (void)
{
  GabnLrSchedule s;

  gabn_lr_schedule_init (&s, GABN_LR_CONSTANT);
  g_assert_cmpfloat (gabn_lr_schedule_lr (&s, 0.1f, 1000), ==, 0.1f);
  s.warmup_steps = 4;
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 0), 0.025, 1e-7);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 3), 0.1, 1e-7);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 4), 0.1, 1e-7);

  gabn_lr_schedule_init (&s, GABN_LR_STEP);
  s.step_size = 10;
  s.gamma = 0.5f;
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 9), 0.1, 1e-7);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 10), 0.05, 1e-7);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 25), 0.025, 1e-7);

  gabn_lr_schedule_init (&s, GABN_LR_COSINE);
  s.total_steps = 110;
  s.warmup_steps = 10;
  s.min_lr = 0.001f;
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 10), 0.1, 1e-6);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 60), 0.001 + 0.099 * 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 110), 0.001, 1e-6);
  g_assert_cmpfloat_with_epsilon (gabn_lr_schedule_lr (&s, 0.1f, 500), 0.001, 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/optim/sgd-momentum", test_sgd_momentum);
  g_test_add_func ("/engine/optim/sgd-weight-decay-nesterov", test_sgd_weight_decay_nesterov);
  g_test_add_func ("/engine/optim/adamw", test_adamw);
  g_test_add_func ("/engine/optim/frozen-tensors", test_frozen_tensors);
  g_test_add_func ("/engine/optim/schedules", test_schedules);
  return g_test_run ();
}
