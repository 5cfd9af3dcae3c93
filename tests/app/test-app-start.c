/* test-app-start.c: the main window opens and the application quits. */
#include "config.h"
#include "gabn-application.h"
#include "gabn-window.h"

static gboolean
quit_when_shown (gpointer data)
{
  GApplication *app = data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  g_assert_nonnull (window);
  g_assert_true (GABN_IS_WINDOW (window));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  g_application_quit (app);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GabnApplication) app = gabn_application_new ("io.github.gabnstudio.GabnStudio.Test",
                                                        G_APPLICATION_NON_UNIQUE);
  int status;

  g_timeout_add (1500, quit_when_shown, app);
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_assert_cmpint (status, ==, 0);
  return 0;
}
