/* test-plot.c: GabnPlot draws series, and exports the same drawing to PNG
 * and SVG files that can be read back. */
#include "config.h"
#include "gabn-plot.h"
#include "gabn-preferences-window.h"
#include "gabn-settings.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

/* Non-white pixels of a PNG in the rectangle [x0, x1) × [y0, y1), clipped
 * to the image (−1 for x1 or y1: to its edge); its size in *width and
 * *height when they are given. */
static guint
count_ink_in (const char *path, int x0, int y0, int x1, int y1, int *width,
              int *height)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkPixbuf) pixbuf = gdk_pixbuf_new_from_file (path, &error);
  const guint8 *px;
  int stride, nc, w, h;
  guint ink = 0;

  g_assert_no_error (error);
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  if (width)
    *width = w;
  if (height)
    *height = h;
  x1 = x1 < 0 ? w : MIN (x1, w);
  y1 = y1 < 0 ? h : MIN (y1, h);
  px = gdk_pixbuf_read_pixels (pixbuf);
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  nc = gdk_pixbuf_get_n_channels (pixbuf);
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        const guint8 *p = px + y * stride + x * nc;
        if (p[0] < 200 || p[1] < 200 || p[2] < 200)
          ink++;
      }
  return ink;
}

/* Non-white pixels of a whole PNG: how much was drawn. */
static guint
count_ink (const char *path, int *width, int *height)
{
  return count_ink_in (path, 0, 0, -1, -1, width, height);
}

static void
test_export (void)
{
  GabnPlot *plot = GABN_PLOT (g_object_ref_sink (gabn_plot_new ()));
  g_autofree char *dir = g_dir_make_tmp ("gabn-plot-XXXXXX", NULL);
  g_autofree char *empty_png = g_build_filename (dir, "empty.png", NULL);
  g_autofree char *png = g_build_filename (dir, "plot.png", NULL);
  g_autofree char *svg = g_build_filename (dir, "plot.svg", NULL);
  g_autofree char *svg_text = NULL;
  g_autoptr(GError) error = NULL;
  guint a, b, ink_empty, ink_full;
  int w, h;

  gabn_plot_set_title (plot, "Accuracy");
  gabn_plot_set_x_label (plot, "epoch");
  gabn_plot_set_y_label (plot, "accuracy %");
  g_assert_true (gabn_plot_export_png (plot, empty_png, 640, 400, &error));
  g_assert_no_error (error);
  ink_empty = count_ink (empty_png, &w, &h);

  a = gabn_plot_add_series (plot, "Group A", 0, GABN_LINE_SOLID);
  b = gabn_plot_add_series (plot, "Group B", 1, GABN_LINE_DASHED);
  for (int i = 0; i < 50; i++)
    {
      gabn_plot_add_point (plot, a, i, 50 + 40 * (1 - exp (-i / 10.0)));
      gabn_plot_add_point (plot, b, i, 50 + 30 * (1 - exp (-i / 15.0)));
    }
  gabn_plot_add_point (plot, b, 50, NAN);   /* a gap, not a crash */
  g_assert_cmpuint (gabn_plot_get_n_series (plot), ==, 2);
  g_assert_cmpuint (gabn_plot_get_n_points (plot, a), ==, 50);
  g_assert_cmpuint (gabn_plot_get_n_points (plot, b), ==, 51);

  g_assert_true (gabn_plot_export_png (plot, png, 640, 400, &error));
  g_assert_no_error (error);
  ink_full = count_ink (png, &w, &h);
  g_assert_cmpint (w, ==, 640);
  g_assert_cmpint (h, ==, 400);
  /* Two curves and a legend add ink over the empty axes. */
  g_assert_cmpuint (ink_full, >, ink_empty + 500);

  g_assert_true (gabn_plot_export_svg (plot, svg, 640, 400, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (svg, &svg_text, NULL, NULL));
  g_assert_nonnull (strstr (svg_text, "<svg"));
  g_assert_nonnull (strstr (svg_text, "640"));
  g_assert_nonnull (strstr (svg_text, "<path"));
  /* No temporary files left behind. */
  g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
  {
    g_autofree char *tmp = g_strconcat (png, ".tmp", NULL);
    g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
  }

  /* An unwritable place is an error naming the file, not a crash. */
  g_assert_false (gabn_plot_export_png (plot, "/nonexistent-dir/x.png", 100, 100, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "/nonexistent-dir/x.png"));
  g_clear_error (&error);

  gabn_plot_remove_series (plot, a);
  g_assert_cmpuint (gabn_plot_get_n_series (plot), ==, 1);
  gabn_plot_clear (plot);
  g_assert_cmpuint (gabn_plot_get_n_series (plot), ==, 0);

  g_unlink (empty_png);
  g_unlink (png);
  g_unlink (svg);
  g_rmdir (dir);
  g_object_unref (plot);
}

/* A title wider than the plot (a translation, a narrow window) wraps
 * inside the 8-pixel margins instead of running off both edges. */
static void
test_long_title (void)
{
  GabnPlot *plot = GABN_PLOT (g_object_ref_sink (gabn_plot_new ()));
  g_autofree char *dir = g_dir_make_tmp ("gabn-plot-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "title.png", NULL);
  g_autoptr(GError) error = NULL;
  const int width = 240;

  gabn_plot_set_title (plot, "Taille de la région sensible (50 %) par groupe");
  g_assert_true (gabn_plot_export_png (plot, png, width, 300, &error));
  g_assert_no_error (error);
  /* Rows 0–36 hold only the title: ink in the middle, none at the edges. */
  g_assert_cmpuint (count_ink_in (png, 8, 0, width - 8, 36, NULL, NULL), >, 100);
  g_assert_cmpuint (count_ink_in (png, 0, 0, 6, 36, NULL, NULL), ==, 0);
  g_assert_cmpuint (count_ink_in (png, width - 6, 0, width, 36, NULL, NULL), ==, 0);
  g_unlink (png);
  g_rmdir (dir);
  g_object_unref (plot);
}

/* The preferences window and GabnSettings stay in step both ways. */
static void
test_preferences (void)
{
  GabnSettings *settings = gabn_settings_get_default ();
  GtkWidget *prefs = gabn_preferences_window_new ();
  AdwComboRow *colormap_row = NULL;
  GtkScale *opacity = NULL;

  g_object_ref_sink (prefs);
  gabn_settings_set_colormap (settings, "inferno");
  /* Find the rows through the template's bound children. */
  colormap_row = ADW_COMBO_ROW (gtk_widget_get_template_child (prefs, GABN_TYPE_PREFERENCES_WINDOW, "colormap_row"));
  opacity = GTK_SCALE (gtk_widget_get_template_child (prefs, GABN_TYPE_PREFERENCES_WINDOW, "opacity_scale"));
  g_assert_cmpuint (adw_combo_row_get_selected (colormap_row), ==, 1);
  adw_combo_row_set_selected (colormap_row, 3);
  g_assert_cmpstr (gabn_settings_get_colormap (settings), ==, "grey");
  gtk_range_set_value (GTK_RANGE (opacity), 0.25);
  g_assert_cmpfloat_with_epsilon (gabn_settings_get_overlay_opacity (settings), 0.25, 1e-9);
  gabn_settings_set_overlay_opacity (settings, 0.75);
  g_assert_cmpfloat_with_epsilon (gtk_range_get_value (GTK_RANGE (opacity)), 0.75, 1e-9);
  gtk_window_destroy (GTK_WINDOW (prefs));
  g_object_unref (prefs);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/app/plot/export", test_export);
  g_test_add_func ("/app/plot/long-title", test_long_title);
  g_test_add_func ("/app/preferences/bindings", test_preferences);
  return g_test_run ();
}
