/* gabn-cmd-info.c: `gabn info`: a dataset's detected format and its balance
 * per group — the first thing a user must see — plus what was skipped. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-dataset.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <unistd.h>

#define MAX_SKIPS_SHOWN 20

static void
print_progress (double fraction, const char *message, gpointer user_data)
{
  if (fraction >= 0)
    g_printerr ("\r%s %3d%%", _("Reading…"), (int) (fraction * 100 + 0.5));
}

static char *
info_json (const GabnDataset *ds)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, ds->format);
  json_builder_set_member_name (b, "groups");
  json_builder_begin_array (b);
  for (int g = 0; g < ds->n_groups; g++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, ds->groups[g].name);
      json_builder_set_member_name (b, "identities");
      json_builder_add_int_value (b, ds->groups[g].n_identities);
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, ds->groups[g].n_images);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "identities");
  json_builder_add_int_value (b, ds->n_identities);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, ds->n_images);
  json_builder_set_member_name (b, "pairs");
  json_builder_add_int_value (b, ds->n_pairs);
  json_builder_set_member_name (b, "skipped");
  json_builder_begin_array (b);
  for (int s = 0; s < ds->n_skipped; s++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, ds->skipped[s].file);
      json_builder_set_member_name (b, "line");
      json_builder_add_int_value (b, ds->skipped[s].line);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, ds->skipped[s].reason);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static void
print_text (const GabnDataset *ds)
{
  int genuine = 0;

  printf (_("Dataset: %s\n"), ds->root ? ds->root : _("built-in synthetic faces"));
  printf (_("Format: %s\n\n"), ds->format);
  printf ("%-24s %12s %10s %8s\n", _("Group"), _("Identities"), _("Images"), _("Share"));
  for (int g = 0; g < ds->n_groups; g++)
    printf ("%-24s %12d %10d %7.1f%%\n", ds->groups[g].name, ds->groups[g].n_identities,
            ds->groups[g].n_images, 100.0 * ds->groups[g].n_images / MAX (ds->n_images, 1));
  printf ("%-24s %12d %10d\n\n", _("Total"), ds->n_identities, ds->n_images);
  if (ds->n_identities == 0)
    printf (_("This layout has no identities: it serves the attention explorer, not recognition training.\n"));
  for (int p = 0; p < ds->n_pairs; p++)
    genuine += ds->pairs[p].same;
  printf (_("Verification pairs: %d (%d genuine, %d impostor)\n"), ds->n_pairs, genuine,
          ds->n_pairs - genuine);
  if (ds->n_skipped > 0)
    {
      printf (_("Skipped: %d\n"), ds->n_skipped);
      for (int s = 0; s < ds->n_skipped && s < MAX_SKIPS_SHOWN; s++)
        {
          if (ds->skipped[s].line > 0)
            printf ("  %s:%d: %s\n", ds->skipped[s].file, ds->skipped[s].line, ds->skipped[s].reason);
          else
            printf ("  %s: %s\n", ds->skipped[s].file, ds->skipped[s].reason);
        }
      if (ds->n_skipped > MAX_SKIPS_SHOWN)
        printf (_("  … and %d more (see --json)\n"), ds->n_skipped - MAX_SKIPS_SHOWN);
    }
}

int
gabn_cmd_info (int argc, char **argv)
{
  g_autofree char *pairs = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "pairs", 0, 0, G_OPTION_ARG_FILENAME, &pairs, N_("Verification pairs file (path1 TAB path2 TAB same [TAB fold])"), N_("FILE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  gboolean tty = isatty (STDERR_FILENO);

  if (!gabn_cli_parse ("info", _("DATASET|synth:PRESET[,identities=N,…]"), _("Show a dataset’s format and its balance per group"),
                       entries, &argc, &argv))
    return 2;
  if (argc != 2)
    {
      g_printerr (_("gabn info: give one dataset folder\n"));
      return 2;
    }
  if (g_str_has_prefix (argv[1], "synth:"))
    ds = gabn_cli_open_dataset (argv[1], pairs, &error);
  else
    {
      ds = gabn_dataset_open (argv[1], pairs, tty ? print_progress : NULL, NULL, NULL, &error);
      if (tty)
        g_printerr ("\r\033[K");
    }
  if (ds == NULL)
    return gabn_cli_fail ("info", error);
  if (json)
    {
      g_autofree char *text = info_json (ds);
      printf ("%s\n", text);
    }
  else
    print_text (ds);
  return 0;
}
