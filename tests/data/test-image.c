/* test-image.c: the one preprocessing path — bilinear resize against
 * PyTorch's interpolate (fixture from gen-resize-fixture.py) and a
 * hand-computed case, normalisation and flip. */
#include "gabn-image.h"
#include "resize-fixture.h"

static void
test_resize_by_hand (void)
{
  /* One grey row [0, 100] to 4 pixels: source x = (x + 0.5)·2/4 − 0.5 =
   * −0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1). */
  const guint8 src[6] = { 0, 0, 0, 100, 100, 100 };
  guint8 dst[12];

  gabn_image_resize (src, 2, 1, 6, dst, 4, 1);
  g_assert_cmpint (dst[0], ==, 0);
  g_assert_cmpint (dst[3], ==, 25);
  g_assert_cmpint (dst[6], ==, 75);
  g_assert_cmpint (dst[9], ==, 100);
}

static void
test_resize_like_torch (void)
{
  for (gsize k = 0; k < G_N_ELEMENTS (resize_cases); k++)
    {
      const ResizeCase *c = &resize_cases[k];
      g_autofree guint8 *dst = g_malloc ((gsize) c->dh * c->dw * 3);
      int worst = 0;

      gabn_image_resize (c->src, c->sw, c->sh, c->sw * 3, dst, c->dw, c->dh);
      for (int i = 0; i < c->dh * c->dw * 3; i++)
        worst = MAX (worst, ABS ((int) dst[i] - (int) c->dst[i]));
      g_test_message ("case %d (%d×%d → %d×%d): max difference %d", (int) k, c->sw, c->sh,
                      c->dw, c->dh, worst);
      /* Float rounding of exact halves may differ by one level. */
      g_assert_cmpint (worst, <=, 1);
    }
}

static void
test_chw_and_flip (void)
{
  /* 2×2: red, green / blue, white. */
  const guint8 rgb[12] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255 };
  float chw[12], flipped[12];

  gabn_image_to_chw (rgb, 2, FALSE, chw);
  gabn_image_to_chw (rgb, 2, TRUE, flipped);
  /* Red plane: 1, −1 / −1, 1. */
  g_assert_cmpfloat (chw[0], ==, 1.0f);
  g_assert_cmpfloat (chw[1], ==, -1.0f);
  g_assert_cmpfloat (chw[2], ==, -1.0f);
  g_assert_cmpfloat (chw[3], ==, 1.0f);
  /* Green plane, top row: −1, 1; flipped: 1, −1. */
  g_assert_cmpfloat (chw[4], ==, -1.0f);
  g_assert_cmpfloat (chw[5], ==, 1.0f);
  g_assert_cmpfloat (flipped[4], ==, 1.0f);
  g_assert_cmpfloat (flipped[5], ==, -1.0f);
  for (int c = 0; c < 3; c++)
    for (int y = 0; y < 2; y++)
      for (int x = 0; x < 2; x++)
        g_assert_cmpfloat (flipped[c * 4 + y * 2 + x], ==, chw[c * 4 + y * 2 + (1 - x)]);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/image/resize-by-hand", test_resize_by_hand);
  g_test_add_func ("/image/resize-like-torch", test_resize_like_torch);
  g_test_add_func ("/image/chw-and-flip", test_chw_and_flip);
  return g_test_run ();
}
