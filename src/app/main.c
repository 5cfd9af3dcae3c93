/* main.c: starts GABN Studio. */
#include "config.h"
#include "gabn-application.h"
#include "gabn-blas-core.h"

#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char **argv)
{
  g_autoptr(GabnApplication) app = NULL;
  int status;

  /* Before anything else, the D-Bus name included: may restart the app
   * under better OpenBLAS kernels (gabn-blas-core.c). */
  gabn_blas_core_ensure (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = gabn_application_new (APPLICATION_ID, G_APPLICATION_HANDLES_OPEN);
  status = g_application_run (G_APPLICATION (app), argc, argv);
  if (status == 0)
    status = gabn_application_get_exit_status (app);
  /* A plain return: the windows are gone and every training thread has
   * been joined. An _exit here used to skip OpenBLAS's exit handler, which
   * could deadlock joining its workers after they ran products for several
   * threads; the engine now keeps OpenBLAS single-threaded (gabn_set_threads)
   * so its workers never get a job, and the app-exit test checks that this
   * exit does not hang (docs/RELIABILITY.md, "Exit"). */
  return status;
}
