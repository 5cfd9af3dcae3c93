/* gabn-cmd-convert.c: `gabn convert` — a model rewritten with another
 * float type (F16 halves the size: the models shipped with the app), its
 * metadata kept. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-model-file.h"

#include <glib/gi18n.h>
#include <string.h>

int
gabn_cmd_convert (int argc, char **argv)
{
  g_autofree char *arch = NULL, *dtype_name = NULL;
  g_auto(GStrv) sets = NULL;
  GOptionEntry entries[] = {
    { "dtype", 0, 0, G_OPTION_ARG_STRING, &dtype_name, N_("f32 or f16 (default f16)"), "T" },
    { "set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &sets, N_("Add or replace a metadata entry (repeatable)"), N_("KEY=VALUE") },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("Architecture of a model without metadata"), "A" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) net = NULL;
  GabnDtype dtype = GABN_DTYPE_F16;

  if (!gabn_cli_parse ("convert", _("MODEL OUTPUT"),
                       _("Write a model with its float tensors in another type, "
                         "metadata kept. OUTPUT must not exist."), entries, &argc, &argv))
    return 2;
  if (argc != 3)
    {
      g_printerr ("%s\n", _("gabn convert: give a model file and an output file"));
      return 2;
    }
  if (dtype_name && g_ascii_strcasecmp (dtype_name, "f32") == 0)
    dtype = GABN_DTYPE_F32;
  else if (dtype_name && g_ascii_strcasecmp (dtype_name, "f16") != 0)
    {
      g_printerr (_("gabn convert: unknown --dtype “%s” (f32 or f16)\n"), dtype_name);
      return 2;
    }
  /* Never overwrite: a user's file is not ours to replace. */
  if (g_file_test (argv[2], G_FILE_TEST_EXISTS))
    {
      g_printerr (_("gabn convert: %s exists; give a new file name\n"), argv[2]);
      return 1;
    }
  net = gabn_model_load (argv[1], arch, &meta, &error);
  if (!net)
    return gabn_cli_fail ("convert", error);
  for (int i = 0; sets && sets[i]; i++)
    {
      const char *eq = strchr (sets[i], '=');
      if (eq == NULL || eq == sets[i])
        {
          g_printerr (_("gabn convert: --set needs KEY=VALUE, not “%s”\n"), sets[i]);
          return 2;
        }
      g_hash_table_replace (meta, g_strndup (sets[i], eq - sets[i]), g_strdup (eq + 1));
    }
  if (!gabn_model_save_as (net, argv[2], meta, dtype, &error))
    return gabn_cli_fail ("convert", error);
  return 0;
}
