/* gabn-face-canvas.c: the heat map overlay. The blended face+heat texture
 * is rebuilt only when the face, map, colormap or opacity change; the mask
 * and the hover read-out are cheap vector drawing on top of it (the Sysprof
 * flame-graph recipe: cache the expensive part, draw the hover each frame). */
#include "config.h"
#include "gabn-face-canvas.h"

#include <glib/gi18n.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <string.h>

#define RENDER_SIZE 256

struct _GabnFaceCanvas
{
  GtkWidget    parent_instance;

  guint8      *face;          /* face_size² × 3 */
  int          face_size;
  float       *map;           /* map_h × map_w */
  int          map_h, map_w;
  guint8      *mask;          /* map_h × map_w, or NULL */
  GabnColormap colormap;
  double       opacity;
  gboolean     mask_fill;
  char        *caption;

  GdkTexture  *texture;       /* cached blend, NULL when stale */
  guint        render_count;
  double       hover_x, hover_y;
  gboolean     hovering;
};

G_DEFINE_FINAL_TYPE (GabnFaceCanvas, gabn_face_canvas, GTK_TYPE_WIDGET)

static void
invalidate_texture (GabnFaceCanvas *self)
{
  g_clear_object (&self->texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static float
map_max (GabnFaceCanvas *self)
{
  float m = 0;

  for (int i = 0; i < self->map_h * self->map_w; i++)
    m = MAX (m, self->map[i]);
  return m;
}

/* Face and heat, both upsampled to RENDER_SIZE, blended on the CPU. */
static GdkTexture *
render_texture (GabnFaceCanvas *self)
{
  g_autofree float *channel = g_new (float, self->face_size * self->face_size);
  g_autofree float *up = g_new (float, RENDER_SIZE * RENDER_SIZE);
  g_autofree guint8 *rgb = g_new (guint8, RENDER_SIZE * RENDER_SIZE * 3);
  g_autofree float *heat = NULL;
  guint8 *rgba = g_new (guint8, RENDER_SIZE * RENDER_SIZE * 4);
  g_autoptr(GBytes) bytes = NULL;
  int n = self->face_size * self->face_size;

  for (int c = 0; c < 3; c++)
    {
      for (int p = 0; p < n; p++)
        channel[p] = self->face[3 * p + c];
      gabn_map_upsample (channel, self->face_size, self->face_size, up, RENDER_SIZE, RENDER_SIZE);
      for (int p = 0; p < RENDER_SIZE * RENDER_SIZE; p++)
        rgb[3 * p + c] = (guint8) CLAMP (lroundf (up[p]), 0, 255);
    }
  if (self->map != NULL)
    {
      heat = g_new (float, RENDER_SIZE * RENDER_SIZE);
      gabn_map_upsample (self->map, self->map_h, self->map_w, heat, RENDER_SIZE, RENDER_SIZE);
    }
  gabn_heat_blend (rgb, RENDER_SIZE, heat, self->map ? map_max (self) : 0,
                   self->colormap, self->opacity, rgba);
  bytes = g_bytes_new_take (rgba, RENDER_SIZE * RENDER_SIZE * 4);
  self->render_count++;
  return gdk_memory_texture_new (RENDER_SIZE, RENDER_SIZE, GDK_MEMORY_R8G8B8A8,
                                 bytes, RENDER_SIZE * 4);
}

/* The square the face occupies, centred, leaving room for the caption. */
static void
face_rect (GabnFaceCanvas *self, graphene_rect_t *rect)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self));
  int h = gtk_widget_get_height (GTK_WIDGET (self)) - (self->caption ? 22 : 0);
  float side = MAX (0, MIN (w, h));

  graphene_rect_init (rect, (w - side) / 2, MAX (0, (h - side) / 2), side, side);
}

static void
draw_mask (GabnFaceCanvas *self, cairo_t *cr, const graphene_rect_t *r)
{
  double cw = r->size.width / self->map_w, ch = r->size.height / self->map_h;

  cairo_translate (cr, r->origin.x, r->origin.y);
  if (self->mask_fill)
    {
      cairo_set_source_rgba (cr, 1, 1, 1, 0.45);
      for (int y = 0; y < self->map_h; y++)
        for (int x = 0; x < self->map_w; x++)
          if (self->mask[y * self->map_w + x])
            cairo_rectangle (cr, x * cw, y * ch, cw, ch);
      cairo_fill (cr);
      return;
    }
  /* Outline: every cell edge between a marked and an unmarked cell. */
  for (int y = 0; y < self->map_h; y++)
    for (int x = 0; x < self->map_w; x++)
      {
        gboolean in = self->mask[y * self->map_w + x];
        if (!in)
          continue;
        if (y == 0 || !self->mask[(y - 1) * self->map_w + x])
          { cairo_move_to (cr, x * cw, y * ch); cairo_rel_line_to (cr, cw, 0); }
        if (y == self->map_h - 1 || !self->mask[(y + 1) * self->map_w + x])
          { cairo_move_to (cr, x * cw, (y + 1) * ch); cairo_rel_line_to (cr, cw, 0); }
        if (x == 0 || !self->mask[y * self->map_w + x - 1])
          { cairo_move_to (cr, x * cw, y * ch); cairo_rel_line_to (cr, 0, ch); }
        if (x == self->map_w - 1 || !self->mask[y * self->map_w + x + 1])
          { cairo_move_to (cr, (x + 1) * cw, y * ch); cairo_rel_line_to (cr, 0, ch); }
      }
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_SQUARE);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.6);
  cairo_set_line_width (cr, 4);
  cairo_stroke_preserve (cr);
  cairo_set_source_rgba (cr, 1, 1, 1, 0.95);
  cairo_set_line_width (cr, 2);
  cairo_stroke (cr);
}

static void
draw_hover (GabnFaceCanvas *self, cairo_t *cr, const graphene_rect_t *r)
{
  int cx = (int) ((self->hover_x - r->origin.x) / r->size.width * self->map_w);
  int cy = (int) ((self->hover_y - r->origin.y) / r->size.height * self->map_h);
  double cw = r->size.width / self->map_w, ch = r->size.height / self->map_h;
  float total = 0, v;
  g_autofree char *text = NULL;
  PangoLayout *layout;
  int tw, th;

  if (cx < 0 || cy < 0 || cx >= self->map_w || cy >= self->map_h)
    return;
  for (int i = 0; i < self->map_h * self->map_w; i++)
    total += self->map[i];
  v = self->map[cy * self->map_w + cx];
  cairo_set_source_rgba (cr, 1, 1, 1, 0.9);
  cairo_set_line_width (cr, 1.5);
  cairo_rectangle (cr, r->origin.x + cx * cw, r->origin.y + cy * ch, cw, ch);
  cairo_stroke (cr);
  /* Share of the whole map's mass in this cell: comparable across faces. */
  /* Translators: a cell's column and row, then its share of the map */
  text = g_strdup_printf (_("(%d, %d)  %.1f%%"), cx, cy, total > 0 ? 100.0 * v / total : 0.0);
  layout = pango_cairo_create_layout (cr);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_set_source_rgba (cr, 0, 0, 0, 0.7);
  cairo_rectangle (cr, r->origin.x + 4, r->origin.y + 4, tw + 8, th + 4);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_move_to (cr, r->origin.x + 8, r->origin.y + 6);
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

static void
gabn_face_canvas_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  GabnFaceCanvas *self = GABN_FACE_CANVAS (widget);
  graphene_rect_t r;

  face_rect (self, &r);
  if (r.size.width <= 0)
    return;
  if (self->face == NULL)
    {
      GdkRGBA grey = { 0.5, 0.5, 0.5, 0.15 };
      gtk_snapshot_append_color (snapshot, &grey, &r);
    }
  else
    {
      if (self->texture == NULL)
        self->texture = render_texture (self);
      gtk_snapshot_append_texture (snapshot, self->texture, &r);
    }
  if (self->mask != NULL || (self->hovering && self->map != NULL) || self->caption != NULL)
    {
      graphene_rect_t all;
      cairo_t *cr;

      graphene_rect_init (&all, 0, 0, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
      cr = gtk_snapshot_append_cairo (snapshot, &all);
      if (self->caption != NULL)
        {
          PangoLayout *layout = gtk_widget_create_pango_layout (widget, self->caption);
          int tw, th;
          GdkRGBA fg;

          G_GNUC_BEGIN_IGNORE_DEPRECATIONS
          gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
          G_GNUC_END_IGNORE_DEPRECATIONS
          pango_layout_get_pixel_size (layout, &tw, &th);
          gdk_cairo_set_source_rgba (cr, &fg);
          cairo_move_to (cr, (all.size.width - tw) / 2, r.origin.y + r.size.height + 3);
          pango_cairo_show_layout (cr, layout);
          g_object_unref (layout);
        }
      if (self->hovering && self->map != NULL)
        draw_hover (self, cr, &r);
      if (self->mask != NULL)
        {
          cairo_save (cr);
          draw_mask (self, cr, &r);
          cairo_restore (cr);
        }
      cairo_destroy (cr);
    }
}

static void
gabn_face_canvas_measure (GtkWidget *widget, GtkOrientation orientation, int for_size,
                          int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  *minimum = 96;
  *natural = 320;
}

static void
on_motion (GtkEventControllerMotion *motion, double x, double y, GabnFaceCanvas *self)
{
  self->hover_x = x;
  self->hover_y = y;
  self->hovering = TRUE;
  if (self->map != NULL)
    gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion, GabnFaceCanvas *self)
{
  self->hovering = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
gabn_face_canvas_finalize (GObject *object)
{
  GabnFaceCanvas *self = GABN_FACE_CANVAS (object);

  g_clear_object (&self->texture);
  g_free (self->face);
  g_free (self->map);
  g_free (self->mask);
  g_free (self->caption);
  G_OBJECT_CLASS (gabn_face_canvas_parent_class)->finalize (object);
}

static void
gabn_face_canvas_class_init (GabnFaceCanvasClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = gabn_face_canvas_finalize;
  widget_class->snapshot = gabn_face_canvas_snapshot;
  widget_class->measure = gabn_face_canvas_measure;
  gtk_widget_class_set_css_name (widget_class, "facecanvas");
}

static void
gabn_face_canvas_init (GabnFaceCanvas *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->opacity = 0.55;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
}

GtkWidget *
gabn_face_canvas_new (void)
{
  return g_object_new (GABN_TYPE_FACE_CANVAS, NULL);
}

void
gabn_face_canvas_set_face (GabnFaceCanvas *self, const guint8 *rgb, int size)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  g_clear_pointer (&self->face, g_free);
  if (rgb != NULL && size > 0)
    {
      self->face = g_memdup2 (rgb, (gsize) size * size * 3);
      self->face_size = size;
    }
  invalidate_texture (self);
}

void
gabn_face_canvas_set_map (GabnFaceCanvas *self, const float *map, int h, int w)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  g_clear_pointer (&self->map, g_free);
  if (map != NULL && h > 0 && w > 0)
    {
      self->map = g_memdup2 (map, sizeof (float) * h * w);
      if (self->mask != NULL && (h != self->map_h || w != self->map_w))
        g_clear_pointer (&self->mask, g_free);
      self->map_h = h;
      self->map_w = w;
    }
  else
    g_clear_pointer (&self->mask, g_free);
  invalidate_texture (self);
}

gboolean
gabn_face_canvas_has_map (GabnFaceCanvas *self)
{
  g_return_val_if_fail (GABN_IS_FACE_CANVAS (self), FALSE);
  return self->map != NULL;
}

void
gabn_face_canvas_set_mask (GabnFaceCanvas *self, const guint8 *cells, int h, int w)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  g_clear_pointer (&self->mask, g_free);
  if (cells != NULL && self->map != NULL && h == self->map_h && w == self->map_w)
    self->mask = g_memdup2 (cells, (gsize) h * w);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

int
gabn_face_canvas_get_mask_count (GabnFaceCanvas *self)
{
  int n = 0;

  g_return_val_if_fail (GABN_IS_FACE_CANVAS (self), 0);
  for (int i = 0; self->mask != NULL && i < self->map_h * self->map_w; i++)
    n += self->mask[i] != 0;
  return n;
}

void
gabn_face_canvas_set_colormap (GabnFaceCanvas *self, GabnColormap map)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  if (self->colormap == map)
    return;
  self->colormap = map;
  invalidate_texture (self);
}

void
gabn_face_canvas_set_opacity (GabnFaceCanvas *self, double opacity)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  opacity = CLAMP (opacity, 0, 1);
  if (self->opacity == opacity)
    return;
  self->opacity = opacity;
  invalidate_texture (self);
}

void
gabn_face_canvas_set_mask_fill (GabnFaceCanvas *self, gboolean fill)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  self->mask_fill = !!fill;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
gabn_face_canvas_set_caption (GabnFaceCanvas *self, const char *caption)
{
  g_return_if_fail (GABN_IS_FACE_CANVAS (self));
  g_free (self->caption);
  self->caption = caption != NULL ? g_strdup (caption) : NULL;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
gabn_face_canvas_get_render_count (GabnFaceCanvas *self)
{
  g_return_val_if_fail (GABN_IS_FACE_CANVAS (self), 0);
  return self->render_count;
}
