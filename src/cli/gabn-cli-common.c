/* gabn-cli-common.c: argument parsing and error reporting shared by commands. */
#include "config.h"
#include "gabn-cli.h"

#include <glib/gi18n.h>

gboolean
gabn_cli_parse (const char *command, const char *parameter_string,
                const char *summary, GOptionEntry *entries,
                int *argc, char ***argv)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter_string);
  g_autoptr(GError) error = NULL;

  g_option_context_set_summary (context, summary);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      g_printerr ("gabn %s: %s\n", command, error->message);
      g_printerr (_("Run “gabn %s --help” to see the options.\n"), command);
      return FALSE;
    }
  return TRUE;
}

int
gabn_cli_fail (const char *command, const GError *error)
{
  g_printerr ("gabn %s: %s\n", command, error ? error->message : _("failed"));
  return 1;
}
