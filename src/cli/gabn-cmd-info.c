/* gabn-cmd-info.c: `gabn info`: a dataset's detected format and its balance
 * per group — the first thing a user must see — plus what was skipped. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-dataset.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_SKIPS_SHOWN 20

static void
print_progress (double fraction, const char *message, gpointer user_data)
{
  if (fraction >= 0)
    g_printerr ("\r%s %3d%%", _("Reading…"), (int) (fraction * 100 + 0.5));
}

static void
print_verify_progress (double fraction, const char *message, gpointer user_data)
{
  g_printerr ("\r\033[K%s %3d%%", _("Checking images…"), (int) (fraction * 100 + 0.5));
}

static int
compare_bad (const void *a, const void *b)
{
  return ((const GabnBadImage *) a)->image - ((const GabnBadImage *) b)->image;
}

static char *
info_json (const GabnDataset *ds, gboolean verified, const GabnBadImage *bad,
           int n_bad)
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
  for (int i = 0; i < n_bad; i++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, ds->images[bad[i].image].path);
      json_builder_set_member_name (b, "line");
      json_builder_add_int_value (b, 0);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, bad[i].reason);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "verified");
  json_builder_add_boolean_value (b, verified);
  if (verified)
    {
      json_builder_set_member_name (b, "unreadable");
      json_builder_add_int_value (b, n_bad);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static void
print_text (const GabnDataset *ds, gboolean verified, const GabnBadImage *bad,
            int n_bad)
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
  if (verified)
    printf (ngettext ("Every image decoded: %d cannot be read\n",
                      "Every image decoded: %d cannot be read\n", n_bad), n_bad);
  if (ds->n_skipped + n_bad > 0)
    {
      int shown = 0;

      printf (_("Skipped: %d\n"), ds->n_skipped + n_bad);
      for (int s = 0; s < ds->n_skipped && shown < MAX_SKIPS_SHOWN; s++, shown++)
        {
          if (ds->skipped[s].line > 0)
            printf ("  %s:%d: %s\n", ds->skipped[s].file, ds->skipped[s].line, ds->skipped[s].reason);
          else
            printf ("  %s: %s\n", ds->skipped[s].file, ds->skipped[s].reason);
        }
      for (int i = 0; i < n_bad && shown < MAX_SKIPS_SHOWN; i++, shown++)
        printf ("  %s: %s\n", ds->images[bad[i].image].path, bad[i].reason);
      if (ds->n_skipped + n_bad > shown)
        printf (_("  … and %d more (see --json)\n"), ds->n_skipped + n_bad - shown);
    }
}

int
gabn_cmd_info (int argc, char **argv)
{
  g_autofree char *pairs = NULL;
  gboolean json = FALSE, verify = FALSE;
  GabnBadImage *bad = NULL;
  int n_bad = 0;
  GOptionEntry entries[] = {
    { "verify", 0, 0, G_OPTION_ARG_NONE, &verify, N_("Decode every image (in parallel) and list the unreadable ones"), NULL },
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
  if (verify)
    {
      /* The progress line only on a terminal, where it can be redrawn. */
      gabn_dataset_verify (ds, tty ? print_verify_progress : NULL, NULL, NULL, NULL);
      if (tty)
        g_printerr ("\r\033[K");
      bad = gabn_dataset_get_bad (ds, 0, &n_bad);
      /* Found in whatever order the threads met them: list by file. */
      qsort (bad, n_bad, sizeof *bad, compare_bad);
    }
  if (json)
    {
      g_autofree char *text = info_json (ds, verify, bad, n_bad);
      printf ("%s\n", text);
    }
  else
    print_text (ds, verify, bad, n_bad);
  gabn_bad_images_free (bad, n_bad);
  return 0;
}
