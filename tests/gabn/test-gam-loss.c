/* test-gam-loss.c: the GABN adversarial loss path through the GAM, checked
 * by central finite differences with α held constant (DESIGN.md 1):
 *   L(A) = L_conf(D(P)),  P = normalise(ReLU(Σ_k α_k A_k)),
 *   ∂L/∂A_kij = α_k · ∂L/∂GAM_ij · 1[GAM_ij > 0].
 * With Grad-CAM α = mean(∂y/∂A) does not depend on A once ∂y/∂A is fixed,
 * so the finite differences recompute the map from A with the same dA.
 * The same for HiResCAM, GAM = ReLU(Σ_k ∂y/∂A_k ⊙ A_k) with ∂y/∂A held
 * constant: ∂L/∂A_kij = ∂y/∂A_kij · ∂L/∂GAM_ij · 1[GAM_ij > 0].
 * Also the reversal form and the cosine-to-reference target's gradient. */
#include "gabn-cam.h"
#include "gabn-discriminator.h"
#include "gabn-gam.h"

#include <math.h>
#include <string.h>

enum { B = 3, C = 4, Hh = 3, Ww = 3, N = Hh * Ww, G = 3 };

static double
loss_of (GabnCamMethod method, GabnDiscriminator *d, const float *A,
         const float *dA, const int *groups)
{
  float cam[B * N], P[B * N], dz[B * G];

  gabn_cam_forward (method, cam, NULL, A, dA, B, C, Hh, Ww);
  gabn_cam_normalise (P, cam, B, N);
  gabn_discriminator_forward (d, P, B);
  return groups ? -gabn_discriminator_loss (d, groups, dz, NULL)
                : gabn_discriminator_loss (d, NULL, dz, NULL);
}

static void
check (GabnCamMethod method, const int *groups)
{
  g_autoptr(GabnDiscriminator) d = gabn_discriminator_new (N, 8, G, 5);
  GRand *rand = g_rand_new_with_seed (42);
  float A[B * C * N], dA[B * C * N], grad[B * C * N] = { 0 };
  float cam[B * N], P[B * N], alpha[B * C], dz[B * G], dP[B * N], d_cam[B * N];
  double h = 1e-3;
  int checked = 0;

  for (int i = 0; i < B * C * N; i++)
    {
      A[i] = (float) g_rand_double_range (rand, 0.0, 2.0);   /* post-ReLU maps */
      dA[i] = (float) g_rand_double_range (rand, -0.5, 1.0);
    }
  g_rand_free (rand);

  /* Analytic, as the trainer does it (λ = 1). */
  gabn_cam_forward (method, cam, alpha, A, dA, B, C, Hh, Ww);
  gabn_cam_normalise (P, cam, B, N);
  gabn_discriminator_forward (d, P, B);
  if (groups)
    {
      gabn_discriminator_loss (d, groups, dz, NULL);
      for (int i = 0; i < B * G; i++)
        dz[i] = -dz[i];
    }
  else
    gabn_discriminator_loss (d, NULL, dz, NULL);
  gabn_discriminator_backward (d, dz, dP, FALSE);
  gabn_cam_normalise_backward (d_cam, dP, P, cam, B, N);
  if (method == GABN_CAM_HIRESCAM)
    gabn_cam_backward_hirescam (grad, d_cam, cam, dA, 1.0f, B, C, Hh, Ww);
  else
    gabn_cam_backward (grad, d_cam, cam, alpha, 1.0f, B, C, Hh, Ww);

  for (int i = 0; i < B * C * N; i++)
    {
      int b = i / (C * N), cell = i % N;
      float saved = A[i];
      double lp, lm, fd;

      /* Skip cells at the ReLU kink, where the derivative is undefined. */
      if (fabs (cam[b * N + cell]) < 1e-2 && cam[b * N + cell] != 0.0f)
        continue;
      A[i] = saved + h;
      lp = loss_of (method, d, A, dA, groups);
      A[i] = saved - h;
      lm = loss_of (method, d, A, dA, groups);
      A[i] = saved;
      fd = (lp - lm) / (2 * h);
      g_assert_cmpfloat_with_epsilon (grad[i], fd, 1e-3 + 1e-2 * fabs (fd));
      checked++;
    }
  g_assert_cmpint (checked, >, B * C * N / 2);
}

static void
test_confusion (void)
{
  check (GABN_CAM_GRADCAM, NULL);
}

static void
test_reversal (void)
{
  int groups[B] = { 2, 0, 1 };
  check (GABN_CAM_GRADCAM, groups);
}

static void
test_hirescam_confusion (void)
{
  check (GABN_CAM_HIRESCAM, NULL);
}

static void
test_hirescam_reversal (void)
{
  int groups[B] = { 1, 2, 0 };
  check (GABN_CAM_HIRESCAM, groups);
}

static void
test_cosine_to_refs (void)
{
  float e[] = { 0.3f, -1.2f, 0.7f, 2.0f, 0.1f, -0.4f };
  float r[] = { 1.0f, 0.5f, -0.2f, 0.3f, 0.3f, 0.9f };
  float cosines[2], de[6];
  double h = 1e-3;

  gabn_cosine_to_refs (e, r, 2, 3, cosines, de);
  for (int i = 0; i < 6; i++)
    {
      float plus[6], minus[6], cp[2], cm[2];

      memcpy (plus, e, sizeof e);
      memcpy (minus, e, sizeof e);
      plus[i] += h;
      minus[i] -= h;
      gabn_cosine_to_refs (plus, r, 2, 3, cp, NULL);
      gabn_cosine_to_refs (minus, r, 2, 3, cm, NULL);
      g_assert_cmpfloat_with_epsilon (de[i], (cp[i / 3] - cm[i / 3]) / (2 * h), 1e-3);
    }
  g_assert_cmpfloat (cosines[0], <=, 1.0f);
}

static void
test_upsample (void)
{
  /* 2×2 → 4×4, align_corners=False: corners keep their value, the inner
   * pixels interpolate at 1/4 and 3/4 (PyTorch gives the same). */
  float map[] = { 0, 1, 2, 3 }, out[16];

  gabn_gam_upsample (map, 2, 2, 4, out);
  g_assert_cmpfloat_with_epsilon (out[0], 0.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 0.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[3], 1.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[4], 0.5, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[15], 3.0, 1e-6);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/gam-loss/confusion", test_confusion);
  g_test_add_func ("/gabn/gam-loss/reversal", test_reversal);
  g_test_add_func ("/gabn/gam-loss/hirescam-confusion", test_hirescam_confusion);
  g_test_add_func ("/gabn/gam-loss/hirescam-reversal", test_hirescam_reversal);
  g_test_add_func ("/gabn/gam-loss/cosine-to-refs", test_cosine_to_refs);
  g_test_add_func ("/gabn/gam-loss/upsample", test_upsample);
  return g_test_run ();
}
