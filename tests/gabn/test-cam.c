/* test-cam.c: CAM variants, normalisation, Top-N, region size and JS
 * divergence against hand-computed cases. */
#include "gabn-attention.h"
#include "gabn-cam.h"

#include <math.h>

/* One image, C = 2, h = 1, w = 2:
 *   A:  k0 = [1, 2],     k1 = [3, 0]
 *   dA: k0 = [0.5, 1.5], k1 = [−1, −1] */
static const float A[] = { 1, 2, 3, 0 };
static const float dA[] = { 0.5f, 1.5f, -1, -1 };

static void
check_cam (GabnCamMethod method, float c0, float c1, float a0, float a1)
{
  float cam[2], alpha[2];

  gabn_cam_forward (method, cam, alpha, A, dA, 1, 2, 1, 2);
  g_assert_cmpfloat_with_epsilon (cam[0], c0, 1e-5);
  g_assert_cmpfloat_with_epsilon (cam[1], c1, 1e-5);
  g_assert_cmpfloat_with_epsilon (alpha[0], a0, 1e-5);
  g_assert_cmpfloat_with_epsilon (alpha[1], a1, 1e-5);
}

static void
test_cam_variants (void)
{
  /* α = (1, −1); Σα·A = [1−3, 2−0] = [−2, 2] → ReLU [0, 2]. */
  check_cam (GABN_CAM_GRADCAM, 0, 2, 1, -1);
  /* Σ dA⊙A = [0.5−3, 3+0] → [0, 3]. */
  check_cam (GABN_CAM_HIRESCAM, 0, 3, 0, 0);
  /* Σ ReLU(dA)⊙A = [0.5, 3]. */
  check_cam (GABN_CAM_LAYERCAM, 0.5f, 3, 0, 0);
  /* α0 = (0.5 + 3)/3 = 7/6, α1 = −3/3 = −1; [7/6 − 3, 7/3] → [0, 7/3]. */
  check_cam (GABN_CAM_XGRADCAM, 0, 7.0f / 3, 7.0f / 6, -1);
  /* Grad-CAM++, channel 0 (ΣA = 3): g = 0.5 → a = .25/(.5 + 3·.125) = 2/7,
   * g = 1.5 → a = 2.25/(4.5 + 3·3.375) = 2/13; α0 = 0.5·2/7 + 1.5·2/13;
   * channel 1 has only negative gradients: α1 = 0. */
  {
    double a0 = 0.5 * 2.0 / 7 + 1.5 * 2.0 / 13;
    check_cam (GABN_CAM_GRADCAM_PLUSPLUS, a0, 2 * a0, a0, 0);
  }
}

static void
test_cam_names (void)
{
  GabnCamMethod m;

  g_assert_true (gabn_cam_method_from_name ("gradcam++", &m));
  g_assert_cmpint (m, ==, GABN_CAM_GRADCAM_PLUSPLUS);
  g_assert_true (gabn_cam_method_from_name ("LayerCAM", &m));
  g_assert_cmpint (m, ==, GABN_CAM_LAYERCAM);
  g_assert_false (gabn_cam_method_from_name ("scorecam", &m));
  g_assert_cmpstr (gabn_cam_method_name (GABN_CAM_XGRADCAM), ==, "xgradcam");
}

static void
test_normalise (void)
{
  float cam[] = { 0, 2, 1, 1, 0, 0, 0, 0 }, P[8];

  gabn_cam_normalise (P, cam, 2, 4);
  g_assert_cmpfloat_with_epsilon (P[0], 0.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (P[1], 0.5, 1e-7);
  g_assert_cmpfloat_with_epsilon (P[2], 0.25, 1e-7);
  /* A zero map is uniform. */
  for (int i = 4; i < 8; i++)
    g_assert_cmpfloat_with_epsilon (P[i], 0.25, 1e-7);
}

/* L = Σ w_i P_i(cam): the analytic gradient against central differences. */
static void
test_normalise_backward (void)
{
  float cam[] = { 0.3f, 1.2f, 0.5f, 2.0f }, w[] = { 1.0f, -2.0f, 0.5f, 3.0f };
  float P[4], d_cam[4];

  gabn_cam_normalise (P, cam, 1, 4);
  gabn_cam_normalise_backward (d_cam, w, P, cam, 1, 4);
  for (int i = 0; i < 4; i++)
    {
      float plus[4], minus[4], Pp[4], Pm[4];
      double lp = 0, lm = 0, h = 1e-3;

      for (int j = 0; j < 4; j++)
        plus[j] = minus[j] = cam[j];
      plus[i] += h;
      minus[i] -= h;
      gabn_cam_normalise (Pp, plus, 1, 4);
      gabn_cam_normalise (Pm, minus, 1, 4);
      for (int j = 0; j < 4; j++)
        {
          lp += w[j] * Pp[j];
          lm += w[j] * Pm[j];
        }
      g_assert_cmpfloat_with_epsilon (d_cam[i], (lp - lm) / (2 * h), 1e-3);
    }
}

static void
test_cam_backward (void)
{
  /* Grad-CAM of the fixture: α = (1, −1), cam = [0, 2]. Only cell 1 is
   * positive: dA_k1 += scale·α_k·d_cam_1. */
  float cam[2], alpha[2], d_cam[] = { 5, 0.5f }, grad[4] = { 0 };

  gabn_cam_forward (GABN_CAM_GRADCAM, cam, alpha, A, dA, 1, 2, 1, 2);
  gabn_cam_backward (grad, d_cam, cam, alpha, 2.0f, 1, 2, 1, 2);
  g_assert_cmpfloat (grad[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (grad[1], 1.0, 1e-6);
  g_assert_cmpfloat (grad[2], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (grad[3], -1.0, 1e-6);
}

static void
test_top_n (void)
{
  float map[] = { 0.1f, 0.4f, 0.4f, 0.1f, 0.0f };
  int cells[5];

  g_assert_cmpint (gabn_cam_top_n (map, 5, 2, cells), ==, 2);
  g_assert_cmpint (cells[0], ==, 1);
  g_assert_cmpint (cells[1], ==, 2);
  g_assert_cmpint (gabn_cam_top_n (map, 5, 3, cells), ==, 3);
  g_assert_cmpint (cells[2], ==, 0);
  g_assert_cmpint (gabn_cam_top_n (map, 5, 9, cells), ==, 5);
  g_assert_cmpint (cells[4], ==, 4);
  g_assert_cmpint (gabn_cam_top_n (map, 5, 0, cells), ==, 0);
}

static void
test_region_size (void)
{
  float p[] = { 0.1f, 0.4f, 0.2f, 0.3f };
  float uniform[] = { 0.25f, 0.25f, 0.25f, 0.25f };

  /* 0.4 < 0.5 ≤ 0.4 + 0.3: two of four cells. */
  g_assert_cmpfloat_with_epsilon (gabn_cam_region_size (p, 4, 0.5), 0.5, 1e-12);
  /* 0.7 < 0.8 ≤ 0.9: three cells. */
  g_assert_cmpfloat_with_epsilon (gabn_cam_region_size (p, 4, 0.8), 0.75, 1e-12);
  /* Exactly 0.5 with two cells counts. */
  g_assert_cmpfloat_with_epsilon (gabn_cam_region_size (uniform, 4, 0.5), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (gabn_cam_region_size (uniform, 4, 0.8), 1.0, 1e-12);
}

static void
test_js (void)
{
  float a[] = { 1, 0 }, b[] = { 0, 1 }, u[] = { 0.5f, 0.5f };

  g_assert_cmpfloat_with_epsilon (gabn_js_divergence (a, b, 2), log (2.0), 1e-9);
  g_assert_cmpfloat_with_epsilon (gabn_js_divergence (a, a, 2), 0.0, 1e-12);
  /* m = (.75, .25): ½[.5 ln(.5/.75) + .5 ln 2] + ½ ln(4/3). */
  g_assert_cmpfloat_with_epsilon (gabn_js_divergence (u, a, 2),
                                  0.5 * (0.5 * log (0.5 / 0.75) + 0.5 * log (2.0))
                                  + 0.5 * log (4.0 / 3), 1e-7);
  g_assert_cmpfloat_with_epsilon (gabn_js_divergence (u, a, 2),
                                  gabn_js_divergence (a, u, 2), 1e-12);
}

static void
test_group_stats (void)
{
  /* Three maps over 2 cells: group 0 has [1,0] and [0.5,0.5], group 1 has
   * [0,1], group 2 none; the fourth map is ignored (group −1). */
  float P[] = { 1, 0, 0.5f, 0.5f, 0, 1, 0.3f, 0.7f };
  int groups[] = { 0, 0, 1, -1 }, counts[3];
  float mean[6];
  double r50[3], r80[3], matrix[9], pairwise;
  gboolean present[] = { TRUE, TRUE, FALSE };

  gabn_attention_group_stats (P, groups, 4, 2, 3, mean, r50, r80, counts);
  g_assert_cmpint (counts[0], ==, 2);
  g_assert_cmpint (counts[1], ==, 1);
  g_assert_cmpint (counts[2], ==, 0);
  g_assert_cmpfloat_with_epsilon (mean[0], 0.75, 1e-7);
  g_assert_cmpfloat_with_epsilon (mean[1], 0.25, 1e-7);
  g_assert_cmpfloat_with_epsilon (mean[3], 1.0, 1e-7);
  g_assert_cmpfloat_with_epsilon (mean[4], 0.5, 1e-7);
  /* [1,0] needs one cell of two for 50 % and 80 %; [.5,.5] one for 50 %,
   * two for 80 %. */
  g_assert_cmpfloat_with_epsilon (r50[0], 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (r80[0], 0.75, 1e-12);
  g_assert_true (isnan (r50[2]));

  pairwise = gabn_attention_js_matrix (mean, 3, 2, present, matrix);
  g_assert_cmpfloat_with_epsilon (matrix[0 * 3 + 1],
                                  gabn_js_divergence (mean, mean + 2, 2), 1e-12);
  g_assert_cmpfloat (matrix[1 * 3 + 0], ==, matrix[0 * 3 + 1]);
  g_assert_cmpfloat (matrix[4], ==, 0.0);
  /* Only the pair (0, 1) has both groups present. */
  g_assert_cmpfloat_with_epsilon (pairwise, matrix[1], 1e-12);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gabn/cam/variants", test_cam_variants);
  g_test_add_func ("/gabn/cam/names", test_cam_names);
  g_test_add_func ("/gabn/cam/normalise", test_normalise);
  g_test_add_func ("/gabn/cam/normalise-backward", test_normalise_backward);
  g_test_add_func ("/gabn/cam/backward", test_cam_backward);
  g_test_add_func ("/gabn/cam/top-n", test_top_n);
  g_test_add_func ("/gabn/cam/region-size", test_region_size);
  g_test_add_func ("/gabn/attention/js", test_js);
  g_test_add_func ("/gabn/attention/group-stats", test_group_stats);
  return g_test_run ();
}
