/* gabn-plot.c: the plot widget. One drawing function (gabn_plot_draw) serves
 * the screen and the exports. On screen the static plot is cached as a
 * render node and the hover read-out is drawn on top each frame (the
 * Sysprof flame-graph recipe), so moving the pointer costs no redraw. */
#include "config.h"
#include "gabn-plot.h"
#include "gabn-plot-scale.h"

#include <adwaita.h>

#include <cairo-svg.h>
#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

typedef struct {
  char         *name;
  guint         color_index;
  GabnLineStyle style;
  GArray       *x;          /* double */
  GArray       *y;          /* double */
} Series;

struct _GabnPlot
{
  GtkWidget      parent_instance;

  char          *title;
  char          *x_label;
  char          *y_label;
  double         y_min, y_max;   /* NAN: automatic */
  gboolean       x_integer;      /* x is a count: whole-number ticks */
  GPtrArray     *series;         /* Series*, NULL when removed */

  GskRenderNode *cache;          /* static drawing at cache_w×cache_h */
  int            cache_w, cache_h;
  gboolean       cache_dark;
  double         hover_x, hover_y;
  gboolean       hovering;
  guint          draw_count;
};

G_DEFINE_FINAL_TYPE (GabnPlot, gabn_plot, GTK_TYPE_WIDGET)

/* The plot area inside the margins, computed by layout(). */
typedef struct {
  double left, top, width, height;
  double legend_top;    /* below the title, which may wrap */
  GabnAxisScale xs, ys;
  gboolean has_data;
} Layout;

static void
series_free (gpointer data)
{
  Series *s = data;

  if (s == NULL)
    return;
  g_free (s->name);
  g_array_unref (s->x);
  g_array_unref (s->y);
  g_free (s);
}

void
gabn_plot_palette (guint i, GdkRGBA *color)
{
  /* GNOME palette blue, orange, green, purple, red, brown, teal, yellow. */
  static const guint32 colors[] = {
    0x3584e4, 0xe66100, 0x2ec27e, 0x9141ac, 0xe01b24, 0x865e3c, 0x1c71d8, 0xc88800,
  };
  guint32 c = colors[i % G_N_ELEMENTS (colors)];

  color->red = ((c >> 16) & 0xff) / 255.0f;
  color->green = ((c >> 8) & 0xff) / 255.0f;
  color->blue = (c & 0xff) / 255.0f;
  color->alpha = 1;
}

static void
invalidate (GabnPlot *self)
{
  g_clear_pointer (&self->cache, gsk_render_node_unref);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static PangoLayout *
make_text (cairo_t *cr, const char *text, double size_pt, gboolean bold)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_from_string ("Sans");

  pango_font_description_set_absolute_size (desc, size_pt * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (desc, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, desc);
  pango_layout_set_text (layout, text, -1);
  pango_font_description_free (desc);
  return layout;
}

/* The title, wrapped and centred in the plot's width: long titles
 * (translations especially) take two lines rather than being clipped. */
static PangoLayout *
make_title (cairo_t *cr, const char *title, int width)
{
  PangoLayout *layout = make_text (cr, title, 13, TRUE);

  pango_layout_set_width (layout, MAX (1, width - 16) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, PANGO_ALIGN_CENTER);
  return layout;
}

static void
show_text (cairo_t *cr, const char *text, double x, double y, double size,
           double align_x, double align_y, gboolean bold)
{
  PangoLayout *layout = make_text (cr, text, size, bold);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - align_x * w, y - align_y * h);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
data_range (GabnPlot *self, double *x0, double *x1, double *y0, double *y1)
{
  *x0 = *y0 = INFINITY;
  *x1 = *y1 = -INFINITY;
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      if (s == NULL)
        continue;
      for (guint k = 0; k < s->x->len; k++)
        {
          double x = g_array_index (s->x, double, k);
          double y = g_array_index (s->y, double, k);

          if (!isfinite (x) || !isfinite (y))
            continue;
          *x0 = MIN (*x0, x);
          *x1 = MAX (*x1, x);
          *y0 = MIN (*y0, y);
          *y1 = MAX (*y1, y);
        }
    }
}

typedef struct {
  char         *label;
  int           color_index;  /* −1: neutral grey (a line-style entry) */
  GabnLineStyle style;
  double        x;            /* position, from legend_rows() */
  int           row;
} LegendItem;

static void
legend_item_free (gpointer data)
{
  LegendItem *item = data;

  g_free (item->label);
  g_free (item);
}

static void
legend_add (GPtrArray *items, const char *label, int color_index, GabnLineStyle style)
{
  LegendItem *item;

  for (guint i = 0; i < items->len; i++)
    if (g_strcmp0 (((LegendItem *) g_ptr_array_index (items, i))->label, label) == 0)
      return;
  item = g_new0 (LegendItem, 1);
  item->label = g_strdup (label);
  item->color_index = color_index;
  item->style = style;
  g_ptr_array_add (items, item);
}

/* The legend. Series named "run: group" (colour = group, line style = run)
 * are summarised as one entry per colour and one per line style, so eight
 * lines need six entries, not eight long ones. */
static GPtrArray *
build_legend (GabnPlot *self)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (legend_item_free);
  g_autoptr(GHashTable) prefixes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gboolean all_split = TRUE;
  guint n = 0;

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      const char *sep;

      if (s == NULL)
        continue;
      n++;
      sep = strstr (s->name, ": ");
      if (sep == NULL)
        all_split = FALSE;
      else
        g_hash_table_add (prefixes, g_strndup (s->name, sep - s->name));
    }
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      if (s == NULL)
        continue;
      if (all_split && n > 1)
        legend_add (items, strstr (s->name, ": ") + 2, s->color_index, GABN_LINE_SOLID);
      else
        legend_add (items, s->name, s->color_index, s->style);
    }
  for (guint i = 0; all_split && n > 1 && g_hash_table_size (prefixes) > 1 && i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      g_autofree char *prefix = NULL;

      if (s == NULL)
        continue;
      prefix = g_strndup (s->name, strstr (s->name, ": ") - s->name);
      legend_add (items, prefix, -1, s->style);
    }
  return items;
}

/* Flows the entries left to right, wrapping at avail; returns the rows. */
static int
legend_rows (GPtrArray *items, cairo_t *cr, double avail, double *entry_w)
{
  double x = 0;
  int row = 0;

  *entry_w = 0;
  for (guint i = 0; i < items->len; i++)
    {
      LegendItem *item = g_ptr_array_index (items, i);
      PangoLayout *layout = make_text (cr, item->label, 10, FALSE);
      int w, h;

      pango_layout_get_pixel_size (layout, &w, &h);
      g_object_unref (layout);
      if (x > 0 && x + w + 30 > avail)
        {
          x = 0;
          row++;
        }
      item->x = x;
      item->row = row;
      x += w + 30 + 10;
    }
  return items->len > 0 ? row + 1 : 0;
}

static void
compute_layout (GabnPlot *self, cairo_t *cr, int width, int height, GPtrArray *legend,
                Layout *lay, double *legend_entry_w, int *n_legend_rows)
{
  double x0, x1, y0, y1;
  double top = 8;

  if (self->title != NULL)
    {
      g_autoptr(PangoLayout) title = make_title (cr, self->title, width);
      int w, h;

      pango_layout_get_pixel_size (title, &w, &h);
      top = 4 + h + 6;
    }
  lay->legend_top = top;

  data_range (self, &x0, &x1, &y0, &y1);
  lay->has_data = isfinite (x0);
  if (!lay->has_data)
    {
      x0 = 0;
      x1 = 1;
      y0 = 0;
      y1 = 1;
    }
  if (!isnan (self->y_min))
    y0 = self->y_min;
  if (!isnan (self->y_max))
    y1 = self->y_max;
  *n_legend_rows = legend_rows (legend, cr, width - 16, legend_entry_w);
  top += *n_legend_rows * 16;
  lay->left = 58;
  lay->top = top + 6;
  lay->width = MAX (10, width - lay->left - 14);
  lay->height = MAX (10, height - lay->top - (self->x_label != NULL ? 44 : 28));
  if (self->x_integer)
    gabn_axis_scale_init_integer (&lay->xs, x0, x1, MAX (2, (int) (lay->width / 80)));
  else
    gabn_axis_scale_init (&lay->xs, x0, x1, MAX (2, (int) (lay->width / 80)));
  gabn_axis_scale_init (&lay->ys, y0, y1, MAX (2, (int) (lay->height / 40)));
  if (!isnan (self->y_min))
    lay->ys.lo = self->y_min;
  if (!isnan (self->y_max))
    lay->ys.hi = self->y_max;
}

static double
px_x (const Layout *lay, double x)
{
  return lay->left + gabn_axis_scale_fraction (&lay->xs, x) * lay->width;
}

static double
px_y (const Layout *lay, double y)
{
  return lay->top + (1 - gabn_axis_scale_fraction (&lay->ys, y)) * lay->height;
}

static void
set_line_style (cairo_t *cr, GabnLineStyle style)
{
  static const double dashed[] = { 7, 4 };
  static const double dotted[] = { 2, 3 };

  switch (style)
    {
    case GABN_LINE_DASHED:
      cairo_set_dash (cr, dashed, 2, 0);
      break;
    case GABN_LINE_DOTTED:
      cairo_set_dash (cr, dotted, 2, 0);
      break;
    case GABN_LINE_SOLID:
    default:
      cairo_set_dash (cr, NULL, 0, 0);
      break;
    }
}

/* The grid, tick labels, frame and axis titles. */
static void
draw_axes (GabnPlot *self, cairo_t *cr, const Layout *lay, int height, double fg)
{
  cairo_set_line_width (cr, 1);
  for (int i = 0; i < lay->ys.n_ticks; i++)
    {
      double v = lay->ys.lo + i * lay->ys.step;
      double y = round (px_y (lay, v)) + 0.5;
      g_autofree char *label = gabn_axis_scale_format (&lay->ys, v);

      if (v > lay->ys.hi + lay->ys.step * 1e-6)
        break;
      cairo_set_source_rgba (cr, fg, fg, fg, 0.12);
      cairo_move_to (cr, lay->left, y);
      cairo_line_to (cr, lay->left + lay->width, y);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg, fg, fg, 0.75);
      show_text (cr, label, lay->left - 6, y, 10, 1, 0.5, FALSE);
    }
  for (int i = 0; i < lay->xs.n_ticks; i++)
    {
      double v = lay->xs.lo + i * lay->xs.step;
      double x = round (px_x (lay, v)) + 0.5;
      g_autofree char *label = gabn_axis_scale_format (&lay->xs, v);

      cairo_set_source_rgba (cr, fg, fg, fg, 0.12);
      cairo_move_to (cr, x, lay->top);
      cairo_line_to (cr, x, lay->top + lay->height);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg, fg, fg, 0.75);
      show_text (cr, label, x, lay->top + lay->height + 4, 10, 0.5, 0, FALSE);
    }
  cairo_set_source_rgba (cr, fg, fg, fg, 0.6);
  cairo_rectangle (cr, lay->left + 0.5, lay->top + 0.5, lay->width, lay->height);
  cairo_stroke (cr);

  if (self->x_label != NULL)
    show_text (cr, self->x_label, lay->left + lay->width / 2, height - 4, 11, 0.5, 1, FALSE);
  if (self->y_label != NULL)
    {
      cairo_save (cr);
      cairo_translate (cr, 4, lay->top + lay->height / 2);
      cairo_rotate (cr, -G_PI / 2);
      show_text (cr, self->y_label, 0, 0, 11, 0.5, 0, FALSE);
      cairo_restore (cr);
    }

}

/* The series, clipped to the plot area; long series are thinned to about
 * two points per pixel so a frame stays cheap. */
static void
draw_series (GabnPlot *self, cairo_t *cr, const Layout *lay)
{
  cairo_save (cr);
  cairo_rectangle (cr, lay->left, lay->top, lay->width + 1, lay->height + 1);
  cairo_clip (cr);
  cairo_set_line_width (cr, 2);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);
      GdkRGBA c;
      guint stride;
      gboolean pen_down = FALSE;

      if (s == NULL || s->x->len == 0)
        continue;
      gabn_plot_palette (s->color_index, &c);
      cairo_set_source_rgba (cr, c.red, c.green, c.blue, 1);
      set_line_style (cr, s->style);
      stride = MAX (1, s->x->len / MAX (1, (guint) (2 * lay->width)));
      for (guint k = 0; k < s->x->len; k += stride)
        {
          double x = g_array_index (s->x, double, k);
          double y = g_array_index (s->y, double, k);

          if (!isfinite (x) || !isfinite (y))
            {
              pen_down = FALSE;
              continue;
            }
          if (pen_down)
            cairo_line_to (cr, px_x (lay, x), px_y (lay, y));
          else
            cairo_move_to (cr, px_x (lay, x), px_y (lay, y));
          pen_down = TRUE;
        }
      if (s->x->len == 1)
        {
          cairo_arc (cr, px_x (lay, g_array_index (s->x, double, 0)),
                     px_y (lay, g_array_index (s->y, double, 0)), 3, 0, 2 * G_PI);
          cairo_fill (cr);
        }
      else
        cairo_stroke (cr);
    }
  cairo_restore (cr);

}

/* The legend, in rows above the plot area. */
static void
draw_legend (cairo_t *cr, const Layout *lay, GPtrArray *legend, gboolean dark, double fg)
{
  cairo_set_line_width (cr, 2);
  for (guint i = 0; i < legend->len; i++)
    {
      LegendItem *item = g_ptr_array_index (legend, i);
      double lx = 8 + item->x;
      double ly = lay->legend_top + item->row * 16 + 8;
      GdkRGBA c = { fg * 0.6f, fg * 0.6f, fg * 0.6f, 1 };

      if (item->color_index >= 0)
        gabn_plot_palette (item->color_index, &c);
      else if (!dark)
        c.red = c.green = c.blue = 0.35f;
      cairo_set_source_rgba (cr, c.red, c.green, c.blue, 1);
      set_line_style (cr, item->style);
      cairo_move_to (cr, lx, ly);
      cairo_line_to (cr, lx + 24, ly);
      cairo_stroke (cr);
      cairo_set_source_rgba (cr, fg, fg, fg, 0.85);
      show_text (cr, item->label, lx + 28, ly, 10, 0, 0.5, FALSE);
    }
  cairo_set_dash (cr, NULL, 0, 0);

}

void
gabn_plot_draw (GabnPlot *self, cairo_t *cr, int width, int height, gboolean dark)
{
  Layout lay;
  double fg = dark ? 1.0 : 0.0;
  double entry_w;
  int rows;
  g_autoptr(GPtrArray) legend = NULL;

  g_return_if_fail (GABN_IS_PLOT (self));
  if (width <= 0 || height <= 0)
    return;

  cairo_save (cr);
  legend = build_legend (self);
  compute_layout (self, cr, width, height, legend, &lay, &entry_w, &rows);

  if (self->title != NULL)
    {
      g_autoptr(PangoLayout) title = make_title (cr, self->title, width);

      cairo_set_source_rgba (cr, fg, fg, fg, 0.9);
      cairo_move_to (cr, 8, 4);
      pango_cairo_show_layout (cr, title);
    }

  draw_axes (self, cr, &lay, height, fg);
  draw_series (self, cr, &lay);
  draw_legend (cr, &lay, legend, dark, fg);

  if (!lay.has_data)
    {
      cairo_set_source_rgba (cr, fg, fg, fg, 0.5);
      show_text (cr, _("No data yet"), lay.left + lay.width / 2, lay.top + lay.height / 2,
                 12, 0.5, 0.5, FALSE);
    }
  cairo_restore (cr);
}

/* Dark from the style manager (the app follows the system's choice);
 * guessed from the text colour only when libadwaita is not initialised
 * (a plot made by a bare GTK test). */
static gboolean
widget_is_dark (GtkWidget *widget)
{
  GdkRGBA fg;

  if (adw_is_initialized ())
    return adw_style_manager_get_dark (adw_style_manager_get_for_display (gtk_widget_get_display (widget)));
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS
  return (fg.red + fg.green + fg.blue) / 3 > 0.5;
}

/* The point nearest to the pointer (within 24 px), for the read-out. */
static gboolean
find_hover (GabnPlot *self, const Layout *lay, Series **out_s, double *out_x, double *out_y)
{
  double best = 24 * 24;
  gboolean found = FALSE;

  for (guint i = 0; i < self->series->len; i++)
    {
      Series *s = g_ptr_array_index (self->series, i);

      if (s == NULL)
        continue;
      for (guint k = 0; k < s->x->len; k++)
        {
          double x = g_array_index (s->x, double, k);
          double y = g_array_index (s->y, double, k);
          double dx, dy;

          if (!isfinite (x) || !isfinite (y))
            continue;
          dx = px_x (lay, x) - self->hover_x;
          dy = px_y (lay, y) - self->hover_y;
          if (dx * dx + dy * dy < best)
            {
              best = dx * dx + dy * dy;
              *out_s = s;
              *out_x = x;
              *out_y = y;
              found = TRUE;
            }
        }
    }
  return found;
}

static void
draw_hover (GabnPlot *self, cairo_t *cr, int width, int height, gboolean dark)
{
  Layout lay;
  Series *s = NULL;
  double x, y, entry_w, px, py;
  int rows, tw, th;
  g_autofree char *text = NULL;
  g_autoptr(GPtrArray) legend = build_legend (self);
  PangoLayout *layout;
  GdkRGBA c;

  compute_layout (self, cr, width, height, legend, &lay, &entry_w, &rows);
  if (!find_hover (self, &lay, &s, &x, &y))
    return;
  px = px_x (&lay, x);
  py = px_y (&lay, y);
  gabn_plot_palette (s->color_index, &c);
  cairo_set_source_rgba (cr, c.red, c.green, c.blue, 1);
  cairo_arc (cr, px, py, 4.5, 0, 2 * G_PI);
  cairo_fill (cr);

  text = g_strdup_printf ("%s\n%s %.4g   %s %.4g", s->name,
                          self->x_label ? self->x_label : "x", x,
                          self->y_label ? self->y_label : "y", y);
  layout = make_text (cr, text, 11, FALSE);
  pango_layout_get_pixel_size (layout, &tw, &th);
  px = px + 10 + tw + 12 > width ? px - tw - 22 : px + 10;
  py = MAX (2, py - th - 14);
  cairo_set_source_rgba (cr, dark ? 0.15 : 1, dark ? 0.15 : 1, dark ? 0.15 : 1, 0.92);
  cairo_rectangle (cr, px, py, tw + 12, th + 8);
  cairo_fill_preserve (cr);
  cairo_set_source_rgba (cr, c.red, c.green, c.blue, 1);
  cairo_set_line_width (cr, 1);
  cairo_stroke (cr);
  cairo_set_source_rgba (cr, dark ? 1 : 0, dark ? 1 : 0, dark ? 1 : 0, 0.9);
  cairo_move_to (cr, px + 6, py + 4);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
gabn_plot_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GabnPlot *self = GABN_PLOT (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  gboolean dark = widget_is_dark (widget);
  graphene_rect_t bounds;

  if (width <= 0 || height <= 0)
    return;
  graphene_rect_init (&bounds, 0, 0, width, height);
  if (self->cache == NULL || self->cache_w != width || self->cache_h != height
      || self->cache_dark != dark)
    {
      GtkSnapshot *inner = gtk_snapshot_new ();
      cairo_t *cr = gtk_snapshot_append_cairo (inner, &bounds);

      gabn_plot_draw (self, cr, width, height, dark);
      cairo_destroy (cr);
      g_clear_pointer (&self->cache, gsk_render_node_unref);
      self->cache = gtk_snapshot_free_to_node (inner);
      self->cache_w = width;
      self->cache_h = height;
      self->cache_dark = dark;
    }
  if (self->cache != NULL)
    gtk_snapshot_append_node (snapshot, self->cache);
  if (self->hovering)
    {
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot, &bounds);

      draw_hover (self, cr, width, height, dark);
      cairo_destroy (cr);
    }
  self->draw_count++;
}

static void
gabn_plot_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                   int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 220 : 160;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 420 : 240;
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, GabnPlot *self)
{
  self->hover_x = x;
  self->hover_y = y;
  self->hovering = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion, GabnPlot *self)
{
  self->hovering = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
gabn_plot_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (gabn_plot_parent_class)->css_changed (widget, change);
  invalidate (GABN_PLOT (widget));
}

static void
gabn_plot_finalize (GObject *object)
{
  GabnPlot *self = GABN_PLOT (object);

  g_clear_pointer (&self->cache, gsk_render_node_unref);
  g_ptr_array_unref (self->series);
  g_free (self->title);
  g_free (self->x_label);
  g_free (self->y_label);
  G_OBJECT_CLASS (gabn_plot_parent_class)->finalize (object);
}

static void
gabn_plot_class_init (GabnPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gabn_plot_finalize;
  widget_class->snapshot = gabn_plot_snapshot;
  widget_class->measure = gabn_plot_measure;
  widget_class->css_changed = gabn_plot_css_changed;
  gtk_widget_class_set_css_name (widget_class, "plot");
}

static void
gabn_plot_init (GabnPlot *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->series = g_ptr_array_new_with_free_func (series_free);
  self->y_min = self->y_max = NAN;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

GtkWidget *
gabn_plot_new (void)
{
  return g_object_new (GABN_TYPE_PLOT, NULL);
}

static void
replace_string (char **field, const char *value)
{
  g_free (*field);
  *field = value != NULL && *value != '\0' ? g_strdup (value) : NULL;
}

void
gabn_plot_set_title (GabnPlot *self, const char *title)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  replace_string (&self->title, title);
  invalidate (self);
}

const char *
gabn_plot_get_title (GabnPlot *self)
{
  g_return_val_if_fail (GABN_IS_PLOT (self), NULL);
  return self->title;
}

void
gabn_plot_set_x_label (GabnPlot *self, const char *label)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  replace_string (&self->x_label, label);
  invalidate (self);
}

void
gabn_plot_set_x_integer (GabnPlot *self, gboolean integer)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  self->x_integer = integer;
  invalidate (self);
}

void
gabn_plot_set_y_label (GabnPlot *self, const char *label)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  replace_string (&self->y_label, label);
  invalidate (self);
}

void
gabn_plot_set_y_range (GabnPlot *self, double min, double max)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  self->y_min = min;
  self->y_max = max;
  invalidate (self);
}

guint
gabn_plot_add_series (GabnPlot *self, const char *name, guint color_index, GabnLineStyle style)
{
  Series *s;

  g_return_val_if_fail (GABN_IS_PLOT (self), 0);
  s = g_new0 (Series, 1);
  s->name = g_strdup (name);
  s->color_index = color_index;
  s->style = style;
  s->x = g_array_new (FALSE, FALSE, sizeof (double));
  s->y = g_array_new (FALSE, FALSE, sizeof (double));
  g_ptr_array_add (self->series, s);
  invalidate (self);
  return self->series->len - 1;
}

static Series *
get_series (GabnPlot *self, guint series)
{
  if (series >= self->series->len)
    return NULL;
  return g_ptr_array_index (self->series, series);
}

void
gabn_plot_add_point (GabnPlot *self, guint series, double x, double y)
{
  Series *s;

  g_return_if_fail (GABN_IS_PLOT (self));
  s = get_series (self, series);
  g_return_if_fail (s != NULL);
  g_array_append_val (s->x, x);
  g_array_append_val (s->y, y);
  invalidate (self);
}

void
gabn_plot_set_points (GabnPlot *self, guint series, const double *x, const double *y, guint n)
{
  Series *s;

  g_return_if_fail (GABN_IS_PLOT (self));
  s = get_series (self, series);
  g_return_if_fail (s != NULL);
  g_array_set_size (s->x, 0);
  g_array_set_size (s->y, 0);
  g_array_append_vals (s->x, x, n);
  g_array_append_vals (s->y, y, n);
  invalidate (self);
}

void
gabn_plot_remove_series (GabnPlot *self, guint series)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  if (series < self->series->len && g_ptr_array_index (self->series, series) != NULL)
    {
      series_free (g_ptr_array_index (self->series, series));
      g_ptr_array_index (self->series, series) = NULL;
      invalidate (self);
    }
}

void
gabn_plot_clear (GabnPlot *self)
{
  g_return_if_fail (GABN_IS_PLOT (self));
  g_ptr_array_set_size (self->series, 0);
  invalidate (self);
}

guint
gabn_plot_get_n_series (GabnPlot *self)
{
  guint n = 0;

  g_return_val_if_fail (GABN_IS_PLOT (self), 0);
  for (guint i = 0; i < self->series->len; i++)
    if (g_ptr_array_index (self->series, i) != NULL)
      n++;
  return n;
}

guint
gabn_plot_get_n_points (GabnPlot *self, guint series)
{
  Series *s;

  g_return_val_if_fail (GABN_IS_PLOT (self), 0);
  s = get_series (self, series);
  return s != NULL ? s->x->len : 0;
}

guint
gabn_plot_get_draw_count (GabnPlot *self)
{
  g_return_val_if_fail (GABN_IS_PLOT (self), 0);
  return self->draw_count;
}

/* Both exports: draw on a white page into path + ".tmp", then rename, so an
 * existing file is never left half-written. */
static gboolean
finish_export (cairo_surface_t *surface, const char *tmp, const char *path,
               gboolean png, GError **error)
{
  cairo_status_t status;

  if (png)
    status = cairo_surface_write_to_png (surface, tmp);
  else
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write “%s”: %s"),
                   path, cairo_status_to_string (status));
      return FALSE;
    }
  if (g_rename (tmp, path) != 0)
    {
      int saved = errno;
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Could not write “%s”: %s"), path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

static void
draw_page (GabnPlot *self, cairo_surface_t *surface, int width, int height)
{
  cairo_t *cr = cairo_create (surface);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  gabn_plot_draw (self, cr, width, height, FALSE);
  cairo_destroy (cr);
}

gboolean
gabn_plot_export_png (GabnPlot *self, const char *path, int width, int height, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  cairo_surface_t *surface;

  g_return_val_if_fail (GABN_IS_PLOT (self), FALSE);
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  draw_page (self, surface, width, height);
  return finish_export (surface, tmp, path, TRUE, error);
}

gboolean
gabn_plot_export_svg (GabnPlot *self, const char *path, int width, int height, GError **error)
{
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  cairo_surface_t *surface;

  g_return_val_if_fail (GABN_IS_PLOT (self), FALSE);
  surface = cairo_svg_surface_create (tmp, width, height);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS)
    return finish_export (surface, tmp, path, FALSE, error);
  draw_page (self, surface, width, height);
  return finish_export (surface, tmp, path, FALSE, error);
}
