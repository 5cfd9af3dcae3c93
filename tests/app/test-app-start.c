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
  /* The GNOME shortcuts and the menu's actions are in place. */
  {
    g_auto(GStrv) quit = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.quit");
    g_auto(GStrv) help = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay");
    g_auto(GStrv) prefs = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "app.preferences");

    g_assert_cmpstr (quit[0], ==, "<Control>q");
    g_assert_cmpstr (help[0], ==, "<Control>question");
    g_assert_cmpstr (prefs[0], ==, "<Control>comma");
    g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
    g_assert_true (g_action_group_has_action (G_ACTION_GROUP (app), "about"));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.view", "s", "train"));
    g_assert_cmpstr (gabn_window_get_view (GABN_WINDOW (window)), ==, "train");
  }
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
