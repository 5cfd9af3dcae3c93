/* main.c: starts GABN Studio. */
#include "config.h"
#include "gabn-application.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  g_autoptr(GabnApplication) app = NULL;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = gabn_application_new (APPLICATION_ID, G_APPLICATION_HANDLES_OPEN);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  if (status == 0)
    status = gabn_application_get_exit_status (app);
  /* The windows are gone and every training thread has been joined. Leave
   * without running library exit handlers: OpenBLAS 0.3.21's can deadlock
   * joining its own worker threads after they were used from several
   * threads (seen here after training runs). */
  g_clear_object (&app);
  fflush (stdout);
  fflush (stderr);
  _exit (status);
}
