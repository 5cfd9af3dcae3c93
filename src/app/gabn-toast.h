/* gabn-toast.h: how a view shows a note or an error: through the window's
 * "win.toast" action, so views never know the window. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Activates win.toast with message on widget's window (logged when the
 * widget is in none). */
void gabn_toast (GtkWidget *widget, const char *message);

G_END_DECLS
