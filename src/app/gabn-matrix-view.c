/* gabn-matrix-view.c: matrix heatmap; colour scaled to the largest value. */
#include "config.h"
#include "gabn-matrix-view.h"

#include <math.h>
#include <pango/pangocairo.h>

struct _GabnMatrixView
{
  GtkWidget    parent_instance;
  double      *values;
  int          n;
  char       **labels;
  GabnColormap colormap;
};

G_DEFINE_FINAL_TYPE (GabnMatrixView, gabn_matrix_view, GTK_TYPE_WIDGET)

static void
text_at (GtkWidget *widget, cairo_t *cr, const char *text, double x, double y,
         double ax, double ay)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - ax * w, y - ay * h);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
gabn_matrix_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GabnMatrixView *self = GABN_MATRIX_VIEW (widget);
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double vmax = 0, label_w = 90, top = 24, cell;
  graphene_rect_t bounds;
  GdkRGBA fg;
  cairo_t *cr;

  if (self->n == 0 || width <= 0 || height <= 0)
    return;
  for (int i = 0; i < self->n * self->n; i++)
    if (isfinite (self->values[i]))
      vmax = MAX (vmax, self->values[i]);
  cell = MIN ((width - label_w) / self->n, (height - top) / self->n);
  if (cell <= 4)
    return;
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  graphene_rect_init (&bounds, 0, 0, width, height);
  cr = gtk_snapshot_append_cairo (snapshot, &bounds);
  for (int r = 0; r < self->n; r++)
    {
      gdk_cairo_set_source_rgba (cr, &fg);
      text_at (widget, cr, self->labels[r], label_w - 8, top + (r + 0.5) * cell, 1, 0.5);
      text_at (widget, cr, self->labels[r], label_w + (r + 0.5) * cell, top - 2, 0.5, 1);
      for (int c = 0; c < self->n; c++)
        {
          double v = self->values[r * self->n + c];
          double t = vmax > 0 && isfinite (v) ? v / vmax : 0;
          guint8 rgb[3];
          g_autofree char *label = NULL;
          double lum;

          gabn_colormap_lookup (self->colormap, t, rgb);
          cairo_set_source_rgb (cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
          cairo_rectangle (cr, label_w + c * cell + 1, top + r * cell + 1, cell - 2, cell - 2);
          cairo_fill (cr);
          lum = 0.3 * rgb[0] + 0.59 * rgb[1] + 0.11 * rgb[2];
          cairo_set_source_rgb (cr, lum > 128 ? 0 : 1, lum > 128 ? 0 : 1, lum > 128 ? 0 : 1);
          label = isfinite (v) ? g_strdup_printf ("%.4f", v) : g_strdup ("—");
          text_at (widget, cr, label, label_w + (c + 0.5) * cell, top + (r + 0.5) * cell, 0.5, 0.5);
        }
    }
  cairo_destroy (cr);
}

static void
gabn_matrix_view_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  GabnMatrixView *self = GABN_MATRIX_VIEW (widget);

  /* Square cells wide enough for a label and a value. */
  *minimum = *natural = orientation == GTK_ORIENTATION_HORIZONTAL
                        ? 90 + 72 * MAX (self->n, 1) : 24 + 72 * MAX (self->n, 1);
}

static void
gabn_matrix_view_finalize (GObject *object)
{
  GabnMatrixView *self = GABN_MATRIX_VIEW (object);

  g_free (self->values);
  g_strfreev (self->labels);
  G_OBJECT_CLASS (gabn_matrix_view_parent_class)->finalize (object);
}

static void
gabn_matrix_view_class_init (GabnMatrixViewClass *klass)
{
  GTK_WIDGET_CLASS (klass)->snapshot = gabn_matrix_view_snapshot;
  GTK_WIDGET_CLASS (klass)->measure = gabn_matrix_view_measure;
  G_OBJECT_CLASS (klass)->finalize = gabn_matrix_view_finalize;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "matrixview");
}

static void
gabn_matrix_view_init (GabnMatrixView *self)
{
}

GtkWidget *
gabn_matrix_view_new (void)
{
  return g_object_new (GABN_TYPE_MATRIX_VIEW, NULL);
}

void
gabn_matrix_view_set_matrix (GabnMatrixView *self, const double *values, int n,
                             const char *const *labels)
{
  g_return_if_fail (GABN_IS_MATRIX_VIEW (self));
  g_clear_pointer (&self->values, g_free);
  g_clear_pointer (&self->labels, g_strfreev);
  self->n = values != NULL ? n : 0;
  if (self->n > 0)
    {
      self->values = g_memdup2 (values, sizeof (double) * n * n);
      self->labels = g_new0 (char *, n + 1);
      for (int i = 0; i < n; i++)
        self->labels[i] = g_strdup (labels[i]);
    }
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

void
gabn_matrix_view_set_colormap (GabnMatrixView *self, GabnColormap map)
{
  g_return_if_fail (GABN_IS_MATRIX_VIEW (self));
  self->colormap = map;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
