/* gabn-plot.h: a line plot widget: axes with ticks and labels, a legend, a
 * hover read-out; series grow point by point. The same drawing function
 * renders the widget (snapshot) and the PNG/SVG exports. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define GABN_TYPE_PLOT (gabn_plot_get_type ())
G_DECLARE_FINAL_TYPE (GabnPlot, gabn_plot, GABN, PLOT, GtkWidget)

typedef enum {
  GABN_LINE_SOLID,
  GABN_LINE_DASHED,
  GABN_LINE_DOTTED,
} GabnLineStyle;

GtkWidget *gabn_plot_new (void);
void  gabn_plot_set_title (GabnPlot *self, const char *title);
const char *gabn_plot_get_title (GabnPlot *self);
void  gabn_plot_set_x_label (GabnPlot *self, const char *label);
/* x counts something (epochs, steps): ticks on whole numbers only. */
void  gabn_plot_set_x_integer (GabnPlot *self, gboolean integer);
void  gabn_plot_set_y_label (GabnPlot *self, const char *label);
/* Fixed y range; NAN for either bound lets the data decide it. */
void  gabn_plot_set_y_range (GabnPlot *self, double min, double max);
/* A new series; color index picks from the palette (groups share colours
 * across runs, runs differ by line style). Returns its id. */
guint gabn_plot_add_series (GabnPlot *self, const char *name, guint color_index,
                            GabnLineStyle style);
void  gabn_plot_add_point (GabnPlot *self, guint series, double x, double y);
/* Replaces a series' points at once (x and y of length n). */
void  gabn_plot_set_points (GabnPlot *self, guint series, const double *x,
                            const double *y, guint n);
void  gabn_plot_remove_series (GabnPlot *self, guint series);
void  gabn_plot_clear (GabnPlot *self);
guint gabn_plot_get_n_series (GabnPlot *self);
guint gabn_plot_get_n_points (GabnPlot *self, guint series);
/* How many times the plot was drawn on screen (for tests). */
guint gabn_plot_get_draw_count (GabnPlot *self);

/* Draws the whole plot into cr at width×height (dark: light text). */
void  gabn_plot_draw (GabnPlot *self, cairo_t *cr, int width, int height,
                      gboolean dark);
gboolean gabn_plot_export_png (GabnPlot *self, const char *path, int width,
                               int height, GError **error);
gboolean gabn_plot_export_svg (GabnPlot *self, const char *path, int width,
                               int height, GError **error);
/* Palette colour i (wraps). */
void  gabn_plot_palette (guint i, GdkRGBA *color);

G_END_DECLS
