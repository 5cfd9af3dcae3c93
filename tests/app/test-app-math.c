/* test-app-math.c: the app's displayless math: colormaps, upsampling,
 * plot axis scales, the recent-files list. Expected values by hand. */
#include "config.h"
#include "gabn-colormap.h"
#include "gabn-plot-scale.h"
#include "gabn-settings.h"

#include <math.h>

static void
test_colormap_ends (void)
{
  guint8 rgb[3];

  /* matplotlib: viridis(0) = #440154, viridis(1) = #fde725 */
  gabn_colormap_lookup (GABN_COLORMAP_VIRIDIS, 0, rgb);
  g_assert_cmpint (rgb[0], ==, 0x44); g_assert_cmpint (rgb[1], ==, 0x01); g_assert_cmpint (rgb[2], ==, 0x54);
  gabn_colormap_lookup (GABN_COLORMAP_VIRIDIS, 1, rgb);
  g_assert_cmpint (rgb[0], ==, 0xfd); g_assert_cmpint (rgb[1], ==, 0xe7); g_assert_cmpint (rgb[2], ==, 0x25);
  /* inferno(0) = #000004, inferno(1) = #fcffa4 */
  gabn_colormap_lookup (GABN_COLORMAP_INFERNO, 0, rgb);
  g_assert_cmpint (rgb[0], ==, 0x00); g_assert_cmpint (rgb[2], ==, 0x04);
  gabn_colormap_lookup (GABN_COLORMAP_INFERNO, 1, rgb);
  g_assert_cmpint (rgb[0], ==, 0xfc); g_assert_cmpint (rgb[1], ==, 0xff); g_assert_cmpint (rgb[2], ==, 0xa4);
  /* jet: dark blue at 0, green at 0.5 (r = b = 0.5), dark red at 1 */
  gabn_colormap_lookup (GABN_COLORMAP_JET, 0, rgb);
  g_assert_cmpint (rgb[0], ==, 0); g_assert_cmpint (rgb[1], ==, 0); g_assert_cmpint (rgb[2], ==, 128);
  gabn_colormap_lookup (GABN_COLORMAP_JET, 0.5, rgb);
  g_assert_cmpint (rgb[0], ==, 128); g_assert_cmpint (rgb[1], ==, 255); g_assert_cmpint (rgb[2], ==, 128);
  gabn_colormap_lookup (GABN_COLORMAP_JET, 1, rgb);
  g_assert_cmpint (rgb[0], ==, 128); g_assert_cmpint (rgb[1], ==, 0); g_assert_cmpint (rgb[2], ==, 0);
  /* grey, clamping and NaN */
  gabn_colormap_lookup (GABN_COLORMAP_GREY, 0.5, rgb);
  g_assert_cmpint (rgb[0], ==, 128); g_assert_cmpint (rgb[1], ==, 128);
  gabn_colormap_lookup (GABN_COLORMAP_GREY, 7, rgb);
  g_assert_cmpint (rgb[0], ==, 255);
  gabn_colormap_lookup (GABN_COLORMAP_GREY, NAN, rgb);
  g_assert_cmpint (rgb[0], ==, 0);
  g_assert_cmpint (gabn_colormap_from_name ("inferno"), ==, GABN_COLORMAP_INFERNO);
  g_assert_cmpint (gabn_colormap_from_name ("nonsense"), ==, GABN_COLORMAP_VIRIDIS);
  g_assert_cmpstr (gabn_colormap_to_name (GABN_COLORMAP_GREY), ==, "grey");
}

static void
test_viridis_monotonic_luminance (void)
{
  double last = -1;

  /* viridis is perceptually ordered: luminance rises with t. */
  for (int i = 0; i <= 64; i++)
    {
      guint8 rgb[3];
      double lum;

      gabn_colormap_lookup (GABN_COLORMAP_VIRIDIS, i / 64.0, rgb);
      lum = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
      g_assert_cmpfloat (lum, >=, last - 0.5);
      last = lum;
    }
}

static void
test_upsample (void)
{
  /* 2×2 → 4×4 with half-pixel centres: out(0,1) samples x = 0.25 of the
   * way from cell 0 to cell 1 → 0.25·1 = 0.25 on the top row [0 1]. */
  const float map[4] = { 0, 1, 2, 3 };
  float out[16];

  gabn_map_upsample (map, 2, 2, out, 4, 4);
  g_assert_cmpfloat_with_epsilon (out[0], 0, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[1], 0.25, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[2], 0.75, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[3], 1, 1e-6);
  g_assert_cmpfloat_with_epsilon (out[4], 0.5, 1e-6);   /* row y = 0.25 of the way: 0.25·2 */
  g_assert_cmpfloat_with_epsilon (out[15], 3, 1e-6);
}

static void
test_heat_blend (void)
{
  const guint8 face[3 * 4] = { 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100 };
  const float heat[4] = { 0, 1, 2, 4 };
  guint8 out[16];

  /* opacity 0: the face unchanged; opacity 1: the colormap exactly. */
  gabn_heat_blend (face, 2, heat, 4, GABN_COLORMAP_GREY, 0, out);
  g_assert_cmpint (out[4 * 3], ==, 100);
  g_assert_cmpint (out[3], ==, 255);
  gabn_heat_blend (face, 2, heat, 4, GABN_COLORMAP_GREY, 1, out);
  g_assert_cmpint (out[0], ==, 0);
  g_assert_cmpint (out[4 * 2], ==, 128);
  g_assert_cmpint (out[4 * 3], ==, 255);
  gabn_heat_blend (face, 2, NULL, 0, GABN_COLORMAP_GREY, 1, out);
  g_assert_cmpint (out[4 * 3], ==, 100);
}

static void
test_axis_scale (void)
{
  GabnAxisScale s;
  char *label;

  gabn_axis_scale_init (&s, 0, 0.93, 5);
  g_assert_cmpfloat_with_epsilon (s.step, 0.2, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.lo, 0, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.hi, 1.0, 1e-12);
  g_assert_cmpint (s.n_ticks, ==, 6);
  g_assert_cmpfloat_with_epsilon (gabn_axis_scale_fraction (&s, 0.5), 0.5, 1e-12);
  label = gabn_axis_scale_format (&s, 0.4);
  g_assert_cmpstr (label, ==, "0.4");
  g_free (label);

  gabn_axis_scale_init (&s, 3, 147, 4);     /* raw 36 → 50 */
  g_assert_cmpfloat_with_epsilon (s.step, 50, 1e-9);
  g_assert_cmpfloat_with_epsilon (s.lo, 0, 1e-9);
  g_assert_cmpfloat_with_epsilon (s.hi, 150, 1e-9);
  label = gabn_axis_scale_format (&s, 100);
  g_assert_cmpstr (label, ==, "100");
  g_free (label);

  gabn_axis_scale_init (&s, -0.013, 0.021, 4); /* raw 0.0085 → 0.01 */
  g_assert_cmpfloat_with_epsilon (s.step, 0.01, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.lo, -0.02, 1e-12);
  g_assert_cmpfloat_with_epsilon (s.hi, 0.03, 1e-12);
  label = gabn_axis_scale_format (&s, -0.02);
  g_assert_cmpstr (label, ==, "-0.02");
  g_free (label);

  /* Degenerate ranges never give a zero span or a NaN. */
  gabn_axis_scale_init (&s, 5, 5, 4);
  g_assert_cmpfloat (s.hi, >, s.lo);
  g_assert_true (s.lo <= 5 && s.hi >= 5);
  gabn_axis_scale_init (&s, NAN, INFINITY, 4);
  g_assert_cmpfloat (s.lo, ==, 0);
  g_assert_cmpfloat (s.hi, ==, 1);
  gabn_axis_scale_init (&s, 1, 0, 4);         /* reversed input */
  g_assert_cmpfloat (s.lo, <=, 0);
  g_assert_cmpfloat (s.hi, >=, 1);

  /* A count (epochs 1–3) gets whole-number ticks, not 1.2, 1.4, … */
  gabn_axis_scale_init (&s, 1, 3, 10);
  g_assert_cmpfloat (s.step, <, 1);
  gabn_axis_scale_init_integer (&s, 1, 3, 10);
  g_assert_cmpfloat (s.step, ==, 1);
  g_assert_cmpfloat (s.lo, ==, 1);
  g_assert_cmpfloat (s.hi, ==, 3);
  g_assert_cmpint (s.n_ticks, ==, 3);
  label = gabn_axis_scale_format (&s, 2);
  g_assert_cmpstr (label, ==, "2");
  g_free (label);
  gabn_axis_scale_init_integer (&s, 1, 1, 10);  /* one epoch */
  g_assert_cmpfloat (s.step, ==, 1);
  g_assert_cmpfloat (s.hi, >, s.lo);
  gabn_axis_scale_init_integer (&s, 0, 200, 4); /* wide: as before */
  g_assert_cmpfloat (s.step, ==, 50);
}

static void
test_recent_list (void)
{
  const char *list[] = { "/a", "/b", "/c", NULL };
  char **out;

  out = gabn_recent_list_push (list, "/b", 10);
  g_assert_cmpuint (g_strv_length (out), ==, 3);
  g_assert_cmpstr (out[0], ==, "/b");
  g_assert_cmpstr (out[1], ==, "/a");
  g_assert_cmpstr (out[2], ==, "/c");
  g_strfreev (out);
  out = gabn_recent_list_push (list, "/d", 2);
  g_assert_cmpuint (g_strv_length (out), ==, 2);
  g_assert_cmpstr (out[0], ==, "/d");
  g_assert_cmpstr (out[1], ==, "/a");
  g_strfreev (out);
  out = gabn_recent_list_push (NULL, "", 10);
  g_assert_cmpuint (g_strv_length (out), ==, 0);
  g_strfreev (out);
}

static void
count_notify (guint *count)
{
  (*count)++;
}

static void
test_settings_fallback (void)
{
  /* Works with or without the compiled schema: typed values, notify. */
  GabnSettings *settings = gabn_settings_new ();
  guint notified = 0;

  g_signal_connect_swapped (settings, "notify::colormap", G_CALLBACK (count_notify), &notified);
  g_assert_cmpstr (gabn_settings_get_colormap (settings), ==, "viridis");
  g_assert_cmpfloat_with_epsilon (gabn_settings_get_overlay_opacity (settings), 0.55, 1e-9);
  gabn_settings_set_colormap (settings, "jet");
  g_assert_cmpstr (gabn_settings_get_colormap (settings), ==, "jet");
  g_assert_cmpuint (notified, ==, 1);
  gabn_settings_set_colormap (settings, "jet");   /* unchanged: no notify */
  g_assert_cmpuint (notified, ==, 1);
  gabn_settings_set_topn_fraction (settings, 5);  /* clamped */
  g_assert_cmpfloat (gabn_settings_get_topn_fraction (settings), ==, 1);
  gabn_settings_add_recent_dataset (settings, "/x");
  gabn_settings_add_recent_dataset (settings, "/y");
  g_assert_cmpstr (gabn_settings_get_recent_datasets (settings)[0], ==, "/y");
  g_object_unref (settings);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/app/colormap/ends", test_colormap_ends);
  g_test_add_func ("/app/colormap/viridis-luminance", test_viridis_monotonic_luminance);
  g_test_add_func ("/app/colormap/upsample", test_upsample);
  g_test_add_func ("/app/colormap/blend", test_heat_blend);
  g_test_add_func ("/app/plot/axis-scale", test_axis_scale);
  g_test_add_func ("/app/settings/recent-list", test_recent_list);
  g_test_add_func ("/app/settings/fallback", test_settings_fallback);
  return g_test_run ();
}
