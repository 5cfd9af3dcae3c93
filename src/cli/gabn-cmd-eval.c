/* gabn-cmd-eval.c: `gabn eval` — per-group verification (RFW protocol) and
 * attention measures of a model on held-out pairs. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-model-file.h"
#include "gabn-pairs.h"
#include "gabn-split.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

static void
progress_to_terminal (double fraction, const char *message, gpointer user_data)
{
  if (fraction >= 0)
    g_printerr ("\r\033[K%s %3d%%", message ? message : "", (int) (fraction * 100));
}

/* The model's own held-out split does not fit this dataset (e.g. the same
 * training people with more held-out ones): say whether the dataset's
 * pairs hold people the model trained on. By name: a name is all a split
 * keeps of a folder's people, and two versions of a dataset may reuse one
 * for another person, so the warning says "if"; of the built-in faces it
 * also keeps the seed (since 2026-12-06), which settles it. */
static void
note_other_pairs (const GabnDataset *dataset, const GabnPair *pairs, int n_pairs,
                  const char *split_json, const char *why)
{
  int people = 0;
  int seen = gabn_split_trained_in_pairs (dataset, pairs, n_pairs, split_json, &people);
  guint64 made_on;

  /* Another seed of the built-in faces: the same names, other people. */
  if (dataset->synth && gabn_split_json_synth_seed (split_json, &made_on)
      && made_on != dataset->synth->seed)
    g_printerr (_("gabn eval: measuring on the dataset’s pairs: %d people, all new to the model "
                  "(these are the built-in faces of seed %" PRIu64 "; the model trained on "
                  "those of seed %" PRIu64 ", which give the same names to other people)\n"),
                people, dataset->synth->seed, made_on);
  else if (seen == 0)
    g_printerr (_("gabn eval: measuring on the dataset’s pairs: %d people, none of them named "
                  "among the model’s training people (its own held-out split does not apply: "
                  "%s)\n"), people, why);
  else if (seen > 0)
    g_printerr (_("gabn eval: warning: %d of the %d people in the dataset’s pairs have the "
                  "names of people the model trained on; if they are the same people, its "
                  "accuracy on them overstates how it does on new people (its own held-out "
                  "split does not apply: %s)\n"),
                seen, people, why);
  else
    g_printerr (_("gabn eval: the model’s split does not fit this dataset (%s); using the "
                  "dataset’s pairs, which may include people the model trained on\n"), why);
}

int
gabn_cmd_eval (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *data = NULL, *pairs_file = NULL, *arch = NULL;
  gboolean json = FALSE, flip = FALSE;
  int gam_images = -1, threads = 0;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, N_("Model file (safetensors, ONNX, a PyTorch .pth checkpoint, a TF.js manifest) or a name from “gabn models”"), "M" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data, N_("Dataset folder, or synth:PRESET[,…]"), "D" },
    { "pairs", 0, 0, G_OPTION_ARG_FILENAME, &pairs_file, N_("Pairs file (instead of the model’s split or the dataset’s pairs)"), "F" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("Architecture of a model without metadata"), "A" },
    { "flip", 0, 0, G_OPTION_ARG_NONE, &flip, N_("Score with the sum of the image’s and its mirror’s embeddings"), NULL },
    { "gam-images", 0, 0, G_OPTION_ARG_INT, &gam_images, N_("Images per group for the attention measures (default 64, 0 = none)"), "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, N_("Threads (default: all cores)"), "T" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GabnDataset) dataset = NULL;
  g_autoptr(GabnSplit) split = NULL;
  g_autoptr(GabnEvalReport) report = NULL;
  GabnEvalOptions options;
  g_autofree GabnPair *all_pairs = NULL;
  const GabnPair *pairs = NULL;
  int n_pairs = 0;
  const char *source;
  gboolean tty = isatty (STDERR_FILENO);

  if (!gabn_cli_parse ("eval", "", _("Evaluate a model per group on held-out pairs: "
                                     "10-fold accuracy, STD, SER, TAR@FAR, FMR/FNMR "
                                     "and attention measures."),
                       entries, &argc, &argv))
    return 2;
  if (!model_path || !data)
    {
      g_printerr ("%s\n", _("gabn eval: --model and --data are required"));
      return 2;
    }
  if (threads > 0)
    gabn_set_threads (threads);
  net = gabn_model_load (model_path, arch, &meta, &error);
  if (!net)
    return gabn_cli_fail ("eval", error);
  dataset = gabn_cli_open_dataset (data, pairs_file, &error);
  if (!dataset)
    return gabn_cli_fail ("eval", error);

  /* Which pairs: --pairs, else the model's own split when it fits this
   * dataset, else the dataset's pairs, else a new seeded split. */
  if (pairs_file)
    {
      pairs = dataset->pairs;
      n_pairs = dataset->n_pairs;
      source = pairs_file;
    }
  else
    {
      const char *split_json = meta ? g_hash_table_lookup (meta, "split") : NULL;
      g_autoptr(GError) split_error = NULL;

      if (split_json)
        split = gabn_split_from_json (dataset, split_json, &split_error);
      if (split)
        source = _("the model’s held-out split");
      else if (dataset->n_pairs > 0)
        {
          pairs = dataset->pairs;
          n_pairs = dataset->n_pairs;
          source = _("the dataset’s pairs");
          if (split_json)
            note_other_pairs (dataset, pairs, n_pairs, split_json, split_error->message);
        }
      else if (gabn_net_n_classes (net) == 0 && !split_json)
        {
          /* A pretrained model (an imported recognizer, or an export without
           * a split) trained on none of these people: every identity is a
           * held-out one. The same seeded, balanced draw as a split's. */
          g_autofree int *ids = g_new (int, MAX (dataset->n_identities, 1));
          GabnSplitConfig config;

          for (int i = 0; i < dataset->n_identities; i++)
            ids[i] = i;
          gabn_split_config_init (&config);
          all_pairs = gabn_pairs_draw (dataset, ids, dataset->n_identities,
                                       config.pairs_per_fold, config.seed, &n_pairs);
          pairs = all_pairs;
          source = _("pairs drawn from every identity (a pretrained model: no class "
                     "centres nor split, so every person is held out)");
        }
      else
        {
          split = gabn_split_new (dataset, NULL, &error);
          if (!split)
            return gabn_cli_fail ("eval", error);
          source = _("a new seeded split (the dataset has no pairs)");
        }
      if (split)
        {
          pairs = split->pairs;
          n_pairs = split->n_pairs;
        }
    }
  if (n_pairs == 0)
    {
      g_printerr ("%s\n", _("gabn eval: no verification pairs"));
      return 1;
    }
  gabn_eval_options_init (&options);
  options.flip = flip;
  if (gam_images >= 0)
    options.gam_max_per_group = gam_images;
  report = gabn_evaluate (net, dataset, pairs, n_pairs, &options,
                          tty ? progress_to_terminal : NULL, NULL, NULL, &error);
  if (tty)
    g_printerr ("\r\033[K");
  if (!report)
    return gabn_cli_fail ("eval", error);
  gabn_cli_print_bad_images (dataset);
  if (json)
    {
      g_autofree char *text = gabn_eval_report_to_json (report, FALSE);
      printf ("%s\n", text);
    }
  else
    {
      /* Translators: the model file, the number of pairs and where they come from */
      printf (ngettext ("%s on %d pair from %s\n\n", "%s on %d pairs from %s\n\n", n_pairs),
              model_path, n_pairs, source);
      gabn_cli_print_report (stdout, report);
    }
  return 0;
}
