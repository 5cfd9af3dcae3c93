/* gabn-cmd-synth.c: `gabn synth`: writes a synthetic face dataset to disk in
 * the generic layout (see docs/SYNTHETIC.md). It writes only into a new or
 * empty folder, so no existing file is ever overwritten. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <unistd.h>

static void
print_progress (double fraction, const char *message, gpointer user_data)
{
  if (fraction >= 0)
    g_printerr ("\r%s… %3d%%", message ? message : "", (int) (fraction * 100 + 0.5));
}

int
gabn_cmd_synth (int argc, char **argv)
{
  g_autofree char *out = NULL;
  g_autofree char *preset_name = NULL;
  gint64 seed = 1;
  int identities = -1, images = -1, size = -1, heldout = 0, share = 0, toe = 0, threads = 0;
  gboolean no_jitter = FALSE, list = FALSE;
  GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Folder to create (must not exist or be empty)"), N_("DIR") },
    { "preset", 'p', 0, G_OPTION_ARG_STRING, &preset_name, N_("realistic (default), balanced, imbalanced, capture or shortcut"), N_("PRESET") },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Random seed (default 1)"), N_("SEED") },
    { "identities", 'n', 0, G_OPTION_ARG_INT, &identities, N_("Identities per group (default 60)"), N_("N") },
    { "images", 'k', 0, G_OPTION_ARG_INT, &images, N_("Images per identity (default 8)"), N_("K") },
    { "heldout", 0, 0, G_OPTION_ARG_INT, &heldout, N_("Identities per group held out for the pairs (default: a fifth)"), N_("N") },
    { "share", 0, 0, G_OPTION_ARG_INT, &share, N_("Groups C and D’s training people as a percent of Group A’s (realistic, imbalanced; default 30)"), N_("P") },
    { "toe", 0, 0, G_OPTION_ARG_INT, &toe, N_("Percent of contrast the capture camera keeps in the darks (realistic, capture; default 17)"), N_("P") },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, N_("Image size in pixels (default 64)"), N_("PX") },
    { "no-jitter", 0, 0, G_OPTION_ARG_NONE, &no_jitter, N_("No per-image pose, light or expression changes"), NULL },
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, N_("Threads (default: all cores)"), N_("N") },
    { "list-presets", 0, 0, G_OPTION_ARG_NONE, &list, N_("Describe the presets and exit"), NULL },
    { NULL }
  };
  GabnSynthConfig config;
  GabnSynthPreset preset = GABN_SYNTH_DEFAULT_PRESET;
  g_autoptr(GError) error = NULL;
  int n_presets;
  const GabnSynthPresetInfo *presets = gabn_synth_presets (&n_presets);

  if (!gabn_cli_parse ("synth", "", _("Generate a synthetic face dataset on disk"),
                       entries, &argc, &argv))
    return 2;
  if (list)
    {
      for (int i = 0; i < n_presets; i++)
        printf ("%s — %s\n  %s\n\n", presets[i].nick, _(presets[i].title), _(presets[i].description));
      return 0;
    }
  if (out == NULL)
    {
      g_printerr (_("gabn synth: --out DIR is required\n"));
      return 2;
    }
  if (preset_name && !gabn_synth_preset_from_nick (preset_name, &preset))
    {
      g_printerr (_("gabn synth: unknown preset “%s” (try --list-presets)\n"), preset_name);
      return 2;
    }
  gabn_synth_config_init (&config, preset);
  config.seed = (guint64) seed;
  if (identities >= 0)
    config.identities = identities;
  if (images >= 0)
    config.images = images;
  if (size >= 0)
    config.size = size;
  config.heldout = heldout;
  config.share = share;
  config.toe = toe;
  config.jitter = !no_jitter;
  gabn_set_threads (threads);

  if (!gabn_synth_write (&config, out, isatty (STDERR_FILENO) ? print_progress : NULL, NULL,
                         NULL, &error))
    {
      if (isatty (STDERR_FILENO))
        g_printerr ("\n");
      return gabn_cli_fail ("synth", error);
    }
  if (isatty (STDERR_FILENO))
    g_printerr ("\n");
  for (int i = 0; i < n_presets; i++)
    if (presets[i].preset == preset)
      printf (_("Wrote a “%s” synthetic dataset to %s (its README.txt records the parameters)\n"),
              presets[i].nick, out);
  return 0;
}
