/* test-discriminator.c: D's gradients against central differences, and D
 * learning to tell two kinds of maps apart. */
#include "gabn-discriminator.h"

#include <math.h>
#include <string.h>

enum { N = 6, H = 5, G = 3, B = 4 };

static void
random_maps (float *P, int b, guint32 seed)
{
  GRand *rand = g_rand_new_with_seed (seed);

  for (int i = 0; i < b; i++)
    {
      double sum = 0;
      for (int j = 0; j < N; j++)
        sum += P[i * N + j] = (float) g_rand_double_range (rand, 0.05, 1.0);
      for (int j = 0; j < N; j++)
        P[i * N + j] /= sum;
    }
  g_rand_free (rand);
}

static double
loss_of (GabnDiscriminator *d, const float *P, const int *groups)
{
  float dz[B * G];

  gabn_discriminator_forward (d, P, B);
  return gabn_discriminator_loss (d, groups, dz, NULL);
}

static void
check_gradients (const int *groups)
{
  g_autoptr(GabnDiscriminator) d = gabn_discriminator_new (N, H, G, 7);
  float P[B * N], dP[B * N], dz[B * G];
  float *params = gabn_discriminator_params (d);
  float *grads = gabn_discriminator_grads (d);
  gsize np = gabn_discriminator_n_params (d);
  double h = 1e-3;

  random_maps (P, B, 3);
  gabn_discriminator_zero_grad (d);
  gabn_discriminator_forward (d, P, B);
  gabn_discriminator_loss (d, groups, dz, NULL);
  gabn_discriminator_backward (d, dz, dP, TRUE);

  for (int i = 0; i < B * N; i++)
    {
      float saved = P[i];
      double lp, lm;

      P[i] = saved + h;
      lp = loss_of (d, P, groups);
      P[i] = saved - h;
      lm = loss_of (d, P, groups);
      P[i] = saved;
      g_assert_cmpfloat_with_epsilon (dP[i], (lp - lm) / (2 * h), 2e-3);
    }
  for (gsize i = 0; i < np; i++)
    {
      float saved = params[i];
      double lp, lm;

      params[i] = saved + h;
      lp = loss_of (d, P, groups);
      params[i] = saved - h;
      lm = loss_of (d, P, groups);
      params[i] = saved;
      g_assert_cmpfloat_with_epsilon (grads[i], (lp - lm) / (2 * h), 2e-3);
    }
}

static void
test_gradients_groups (void)
{
  int groups[B] = { 0, 2, 1, 2 };
  check_gradients (groups);
}

static void
test_gradients_uniform (void)
{
  check_gradients (NULL);
}

static void
test_uniform_loss_value (void)
{
  /* Zero weights → equal logits → CE to uniform = ln G, gradient 0. */
  g_autoptr(GabnDiscriminator) d = gabn_discriminator_new (N, H, G, 1);
  float P[B * N], dz[B * G];

  memset (gabn_discriminator_params (d), 0,
          sizeof (float) * gabn_discriminator_n_params (d));
  random_maps (P, B, 5);
  gabn_discriminator_forward (d, P, B);
  g_assert_cmpfloat_with_epsilon (gabn_discriminator_loss (d, NULL, dz, NULL),
                                  log (G), 1e-6);
  for (int i = 0; i < B * G; i++)
    g_assert_cmpfloat_with_epsilon (dz[i], 0.0, 1e-7);
}

static void
test_learns (void)
{
  /* Group 0 attends to the first half of the cells, group 1 to the second. */
  enum { BB = 16 };
  g_autoptr(GabnDiscriminator) d = gabn_discriminator_new (N, 16, 2, 3);
  float P[BB * N], dz[BB * 2], acc = 0, loss = 0;
  int groups[BB];
  float *p = gabn_discriminator_params (d), *g = gabn_discriminator_grads (d);

  random_maps (P, BB, 11);
  for (int i = 0; i < BB; i++)
    {
      groups[i] = i % 2;
      for (int j = 0; j < N; j++)
        if ((j < N / 2) == (groups[i] == 1))
          P[i * N + j] *= 0.2f;
    }
  for (int it = 0; it < 300; it++)
    {
      gabn_discriminator_zero_grad (d);
      gabn_discriminator_forward (d, P, BB);
      loss = gabn_discriminator_loss (d, groups, dz, &acc);
      gabn_discriminator_backward (d, dz, NULL, TRUE);
      for (gsize i = 0; i < gabn_discriminator_n_params (d); i++)
        p[i] -= 0.5f * g[i];
    }
  g_assert_cmpfloat (acc, ==, 1.0f);
  g_assert_cmpfloat (loss, <, 0.1f);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/discriminator/gradients-groups", test_gradients_groups);
  g_test_add_func ("/gabn/discriminator/gradients-uniform", test_gradients_uniform);
  g_test_add_func ("/gabn/discriminator/uniform-loss", test_uniform_loss_value);
  g_test_add_func ("/gabn/discriminator/learns", test_learns);
  return g_test_run ();
}
