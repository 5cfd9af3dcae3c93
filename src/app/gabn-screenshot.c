/* gabn-screenshot.c: render the window to a texture with its own renderer
 * (gtk_widget_paintable → snapshot → gsk_renderer_render_texture). */
#include "config.h"
#include "gabn-screenshot.h"
#include "gabn-teach-view.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>

gboolean
gabn_window_save_png (GabnWindow *window, const char *path, GError **error)
{
  GtkWidget *content = adw_application_window_get_content (ADW_APPLICATION_WINDOW (window));
  int width = gtk_widget_get_width (content), height = gtk_widget_get_height (content);
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *tmp = g_strconcat (path, ".tmp", NULL);
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  GdkRGBA background;

  if (width <= 0 || height <= 0 || gtk_widget_get_native (content) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The window is not shown yet"));
      return FALSE;
    }
  paintable = gtk_widget_paintable_new (content);
  snapshot = gtk_snapshot_new ();
  /* The window, not the content, paints the background: add it, so the
   * PNG is opaque and dark-style text stays readable. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (GTK_WIDGET (window)),
                                       "window_bg_color", &background))
    gdk_rgba_parse (&background, "#fafafa");
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_snapshot_append_color (snapshot, &background, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The window drew nothing"));
      return FALSE;
    }
  renderer = gtk_native_get_renderer (gtk_widget_get_native (content));
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (!gdk_texture_save_to_png (texture, tmp) || g_rename (tmp, path) != 0)
    {
      g_unlink (tmp);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write “%s”"), path);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  GabnWindow *window;
  char       *name;
  char       *path;
  gint64      deadline;
  guint       timeout_s;
  int         settle;   /* polls left after ready, so the last result is drawn */
  gboolean    per_step; /* teach, path with "%d": one PNG per step walked */
} Waiter;

static void
waiter_free (Waiter *w)
{
  g_object_unref (w->window);
  g_free (w->name);
  g_free (w->path);
  g_free (w);
}

static gboolean
poll_ready (gpointer data)
{
  Waiter *w = data;
  GtkWidget *view = gabn_window_get_view_widget (w->window, w->name);
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (w->window)));
  gboolean ready = FALSE, saved;
  g_autoptr(GError) error = NULL;

  if (view != NULL && g_object_class_find_property (G_OBJECT_GET_CLASS (view), "ready"))
    g_object_get (view, "ready", &ready, NULL);
  else
    ready = gtk_widget_get_mapped (GTK_WIDGET (w->window));
  if (!ready && g_get_monotonic_time () < w->deadline)
    return G_SOURCE_CONTINUE;
  if (ready && w->settle-- > 0)
    return G_SOURCE_CONTINUE;
  if (!ready)
    g_printerr (_("The %s view was not ready in time; saving it as it is\n"), w->name);
  if (w->per_step)
    {
      g_autoptr(GString) path = g_string_new (w->path);
      g_autofree char *number = g_strdup_printf ("%d", gabn_teach_view_get_step (GABN_TEACH_VIEW (view)) + 1);

      g_string_replace (path, "%d", number, 0);
      saved = gabn_window_save_png (w->window, path->str, &error);
    }
  else
    saved = gabn_window_save_png (w->window, w->path, &error);
  if (!saved)
    {
      g_printerr ("%s\n", error->message);
      if (app != NULL)
        g_object_set_data (G_OBJECT (app), "gabn-exit-status", GINT_TO_POINTER (1));
    }
  else if (!ready && app != NULL)
    g_object_set_data (G_OBJECT (app), "gabn-exit-status", GINT_TO_POINTER (1));
  else if (w->per_step && gabn_teach_view_demo_next (GABN_TEACH_VIEW (view)))
    {
      /* On to the next step: wait for it as for the first. */
      w->deadline = g_get_monotonic_time () + (gint64) w->timeout_s * G_USEC_PER_SEC;
      w->settle = 3;
      return G_SOURCE_CONTINUE;
    }
  /* Closing (not quitting) lets training threads end before the process. */
  gtk_window_close (GTK_WINDOW (w->window));
  return G_SOURCE_REMOVE;
}

void
gabn_screenshot_when_ready (GabnWindow *window, const char *name, const char *path, guint timeout_s)
{
  Waiter *w = g_new0 (Waiter, 1);

  w->window = g_object_ref (window);
  w->name = g_strdup (name);
  w->path = g_strdup (path);
  w->deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;
  w->timeout_s = timeout_s;
  w->settle = 3;
  w->per_step = g_str_equal (name, "teach") && strstr (path, "%d") != NULL;
  if (w->per_step)
    gabn_teach_view_set_demo_hold (GABN_TEACH_VIEW (gabn_window_get_view_widget (window, name)), TRUE);
  g_timeout_add_full (G_PRIORITY_LOW, 200, poll_ready, w, (GDestroyNotify) waiter_free);
}
