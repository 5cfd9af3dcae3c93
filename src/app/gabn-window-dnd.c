/* gabn-window-dnd.c: files dropped on the window open as datasets (folders)
 * or models (files). */
#include "config.h"
#include "gabn-window-private.h"

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, GabnWindow *self)
{
  GSList *files;
  gboolean any;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  any = files != NULL;
  for (GSList *l = files; l != NULL; l = l->next)
    gabn_window_open_file (self, l->data);
  g_slist_free (files);
  return any;
}

void
gabn_window_init_dnd (GabnWindow *self)
{
  GtkDropTarget *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}
