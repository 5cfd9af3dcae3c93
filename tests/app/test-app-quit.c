/* test-app-quit.c: the app quits at any moment of its start (while the
 * synthetic faces are drawn, the shipped model loads and the first maps
 * are computed) and main returns with no worker thread left running:
 * GLib never joins its pool, and a job outliving main meets the
 * libraries' exit handlers (a crash seen in CI). Each delay runs in its
 * own process, as a user's start and quit would. */
#include "config.h"
#include "gabn-application.h"
#include "gabn-jobs.h"

static gboolean
quit_now (gpointer app)
{
  g_application_quit (app);
  return G_SOURCE_REMOVE;
}

static void
activated (GApplication *app, gpointer data)
{
  int delay_ms = GPOINTER_TO_INT (data);

  /* After the window's own activate handler: its loads have started. */
  if (delay_ms == 0)
    g_idle_add (quit_now, app);
  else
    g_timeout_add (delay_ms, quit_now, app);
}

static int
run_once (int delay_ms)
{
  GabnApplication *app = gabn_application_new ("io.github.gabnstudio.GabnStudio.QuitTest",
                                               G_APPLICATION_NON_UNIQUE);
  int status;

  g_signal_connect_after (app, "activate", G_CALLBACK (activated), GINT_TO_POINTER (delay_ms));
  status = g_application_run (G_APPLICATION (app), 0, NULL);
  g_object_unref (app);
  if (status != 0)
    return status;
  if (gabn_jobs_running () != 0)
    {
      g_printerr ("quit after %d ms: %d background jobs outlived the app\n",
                  delay_ms, gabn_jobs_running ());
      return 3;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  static const int delays_ms[] = { 0, 30, 150, 400, 1000, 2500 };

  if (argc == 3 && g_str_equal (argv[1], "--delay"))
    return run_once (atoi (argv[2]));
  for (guint i = 0; i < G_N_ELEMENTS (delays_ms); i++)
    {
      g_autofree char *delay = g_strdup_printf ("%d", delays_ms[i]);
      const char *child[] = { argv[0], "--delay", delay, NULL };
      g_autoptr(GError) error = NULL;
      int wait_status;

      if (!g_spawn_sync (NULL, (char **) child, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                         NULL, NULL, &wait_status, &error)
          || !g_spawn_check_wait_status (wait_status, &error))
        {
          g_printerr ("quit after %s ms: %s\n", delay, error->message);
          return 1;
        }
    }
  return 0;
}
