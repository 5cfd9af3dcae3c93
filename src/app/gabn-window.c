/* gabn-window.c: the main window. */
#include "config.h"
#include "gabn-window.h"

#include <glib/gi18n.h>

struct _GabnWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwHeaderBar *header_bar;
};

G_DEFINE_FINAL_TYPE (GabnWindow, gabn_window, ADW_TYPE_APPLICATION_WINDOW)

static void
gabn_window_class_init (GabnWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, header_bar);
}

static void
gabn_window_init (GabnWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
