/* gabn-toast.c */
#include "config.h"
#include "gabn-toast.h"

void
gabn_toast (GtkWidget *widget, const char *message)
{
  if (!gtk_widget_activate_action (widget, "win.toast", "s", message))
    g_message ("%s", message);
}
