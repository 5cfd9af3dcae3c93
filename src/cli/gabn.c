/* gabn.c: the `gabn` command-line tool: dispatches to one command per file. */
#include "config.h"
#include "gabn-blas-core.h"
#include "gabn-cli.h"
#include "gabn-engine.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  int (*run) (int argc, char **argv);
  const char *summary;
} GabnCommand;

static const GabnCommand commands[] = {
  { "synth",   gabn_cmd_synth,   N_("Generate a synthetic face dataset on disk") },
  { "info",    gabn_cmd_info,    N_("Show a dataset’s format and its balance per group") },
  { "train",   gabn_cmd_train,   N_("Train a face recognizer (baseline or GABN)") },
  { "eval",    gabn_cmd_eval,    N_("Evaluate a model per group (RFW protocol)") },
  { "embed",   gabn_cmd_embed,   N_("Print the embeddings of images") },
  { "gam",     gabn_cmd_gam,     N_("Compute the gradient attention map of a face") },
  { "inspect", gabn_cmd_inspect, N_("Show a model’s architecture and metadata") },
  { "convert", gabn_cmd_convert, N_("Rewrite a model with half-precision weights") },
  { "models",  gabn_cmd_models,  N_("List the models known by name (e.g. dlib-resnet)") },
  { "bench",   gabn_cmd_bench,   N_("Measure the engine’s speed beside PyTorch") },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "%s\n\n", _("Usage: gabn COMMAND [OPTION…]"));
  fprintf (out, "%s\n\n", _("Explore and mitigate racial bias in face recognition."));
  fprintf (out, "%s\n", _("Commands:"));
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-9s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, "\n%s\n", _("Run “gabn COMMAND --help” for a command’s options."));
  fprintf (out, "  --version  %s\n", _("Print the version"));
}

int
main (int argc, char **argv)
{
  /* Before anything else: may restart the program under better OpenBLAS
   * kernels (gabn-blas-core.c). */
  gabn_blas_core_ensure (argv);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return 2;
    }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0)
    {
      printf ("gabn %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return 0;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[1], commands[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("gabn %s", commands[i].name);
        g_set_prgname (prgname);
        argv[1] = prgname;
        return commands[i].run (argc - 1, argv + 1);
      }

  g_printerr (_("gabn: unknown command “%s”\n"), argv[1]);
  print_usage (stderr);
  return 2;
}
