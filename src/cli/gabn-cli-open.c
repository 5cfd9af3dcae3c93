/* gabn-cli-open.c: datasets, images and report tables for the CLI. */
#include "config.h"
#include "gabn-cli-open.h"
#include "gabn-image.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

static void
progress_to_terminal (double fraction, const char *message, gpointer user_data)
{
  if (fraction >= 0)
    g_printerr ("\r%s %3d%%", message ? message : "", (int) (fraction * 100));
}

static GabnDataset *
open_synth (const char *spec, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (spec, ",", -1);
  GabnSynthPreset preset;
  GabnSynthConfig config;
  GabnDataset *ds;
  gboolean tty = isatty (STDERR_FILENO);

  if (!gabn_synth_preset_from_nick (parts[0], &preset))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("unknown synthetic preset “%s” (realistic, balanced, imbalanced, capture, shortcut)"),
                   parts[0]);
      return NULL;
    }
  gabn_synth_config_init (&config, preset);
  for (int i = 1; parts[i]; i++)
    {
      g_auto(GStrv) kv = g_strsplit (parts[i], "=", 2);
      guint64 v;

      if (!kv[0] || !kv[1] || !g_ascii_string_to_unsigned (kv[1], 10, 0, G_MAXINT, &v, NULL))
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("bad synthetic setting “%s” (expected NAME=NUMBER)"), parts[i]);
          return NULL;
        }
      if (strcmp (kv[0], "identities") == 0)
        config.identities = (int) v;
      else if (strcmp (kv[0], "images") == 0)
        config.images = (int) v;
      else if (strcmp (kv[0], "seed") == 0)
        config.seed = v;
      else if (strcmp (kv[0], "size") == 0)
        config.size = (int) v;
      else if (strcmp (kv[0], "pairs") == 0)
        config.pairs_per_fold = (int) v;
      else if (strcmp (kv[0], "heldout") == 0)
        config.heldout = (int) v;
      else if (strcmp (kv[0], "share") == 0)
        config.share = (int) v;
      else
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("unknown synthetic setting “%s” (identities, images, seed, size, pairs, heldout, share)"),
                       kv[0]);
          return NULL;
        }
    }
  if (!gabn_synth_config_validate (&config, error))
    return NULL;
  ds = gabn_synth_generate (&config, tty ? progress_to_terminal : NULL, NULL,
                            NULL, error);
  if (tty)
    g_printerr ("\r\033[K");
  return ds;
}

GabnDataset *
gabn_cli_open_dataset (const char *spec, const char *pairs_file, GError **error)
{
  GabnDataset *ds;
  gboolean tty = isatty (STDERR_FILENO);

  if (!spec)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("no dataset: give --data FOLDER or --data synth:PRESET"));
      return NULL;
    }
  if (g_str_has_prefix (spec, "synth:"))
    {
      if (pairs_file)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                       _("--pairs needs a dataset folder, not the generator"));
          return NULL;
        }
      return open_synth (spec + strlen ("synth:"), error);
    }
  ds = gabn_dataset_open (spec, pairs_file, tty ? progress_to_terminal : NULL,
                          NULL, NULL, error);
  if (tty)
    g_printerr ("\r\033[K");
  if (ds && ds->n_skipped > 0)
    /* Translators: the dataset, the number of files skipped, then the
     * first file skipped and why */
    g_printerr (ngettext ("%s: skipped %d file; first: %s: %s\n",
                          "%s: skipped %d files; first: %s: %s\n", ds->n_skipped),
                spec, ds->n_skipped, ds->skipped[0].file, ds->skipped[0].reason);
  return ds;
}

gboolean
gabn_cli_load_image_file (const char *path, const GabnPreprocess *pre,
                          gboolean flip, float *chw, GError **error)
{
  int w, h, size = pre->width;
  g_autofree guint8 *rgb = gabn_image_decode (path, &w, &h, error);
  g_autofree guint8 *resized = NULL;

  if (!rgb)
    return FALSE;
  resized = g_new (guint8, (gsize) size * size * 3);
  gabn_image_resize (rgb, w, h, w * 3, resized, size, size);
  gabn_image_to_input (resized, pre, flip, chw);
  return TRUE;
}

char *
gabn_cli_json_number (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return g_strdup ("null");
  return g_strdup (g_ascii_dtostr (buf, sizeof buf, value));
}

static void
print_percent (FILE *out, double v, int width)
{
  if (isnan (v))
    fprintf (out, "%*s", width, "—");
  else
    fprintf (out, "%*.2f", width, 100.0 * v);
}

static void
print_plain (FILE *out, double v, int width, int precision)
{
  if (isnan (v))
    fprintf (out, "%*s", width, "—");
  else
    fprintf (out, "%*.*f", width, precision, v);
}

/* The ground-truth reliance table (synthetic data only). */
static void
print_reliance (FILE *out, const GabnEvalReport *r, int name_width)
{
  if (r->n_groups == 0 || isnan (r->groups[0].reliance[0]))
    return;
  fprintf (out, "\n%s\n%-*s", _("Reliance per facial region (ground truth from region "
                                  "swaps, shares of the embedding's movement):"),
           name_width, _("Group"));
  for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
    fprintf (out, "%9s", gabn_synth_region_name (k));
  fprintf (out, "\n");
  for (int g = 0; g < r->n_groups; g++)
    {
      int pad = name_width - (int) g_utf8_strlen (r->groups[g].name, -1);
      fprintf (out, "%s%*s", r->groups[g].name, pad, "");
      for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
        print_plain (out, r->groups[g].reliance[k], 9, 3);
      fprintf (out, "\n");
    }
}

/* The training diagnostics: figures on the map the adversary acts on. */
static void
print_train_maps (FILE *out, const GabnEvalReport *r, int name_width)
{
  /* Translators: the map's label and the number of training images */
  fprintf (out, _("\nOn the adversary's map (%s, %d training images):\n"),
           gabn_train_map_label (r->train_gam, FALSE), r->n_train_maps);
  fprintf (out, "%-*s %7s%7s%9s\n", name_width, _("Group"), "R50", "R80", _("JS ref"));
  for (int g = 0; g < r->n_groups; g++)
    {
      const GabnGroupReport *gr = &r->groups[g];
      int pad = name_width - (int) g_utf8_strlen (gr->name, -1);

      fprintf (out, "%s%*s ", gr->name, pad, "");
      print_plain (out, gr->train_region50, 7, 3);
      print_plain (out, gr->train_region80, 7, 3);
      print_plain (out, gr->train_js_to_reference, 9, 5);
      fprintf (out, "\n");
    }
  fprintf (out, "%s ", _("Mean pairwise JS divergence (nats):"));
  print_plain (out, r->train_mean_pairwise_js, 0, 5);
  fprintf (out, "\n");
  if (isnan (r->grad_ratio))
    return;
  fprintf (out, "%s ", _("Gradient ratio ‖λ_adv·∂L_conf/∂A‖ / ‖∂L_arc/∂A‖ (epoch mean):"));
  print_plain (out, r->grad_ratio, 0, 4);
  /* Translators: the discriminator's accuracy on held-out people's maps
   * (with the map's label), then on the training images' maps above */
  fprintf (out, "\n%s ", _("Discriminator accuracy, held-out people:"));
  print_percent (out, r->disc_accuracy_held_out, 0);
  fprintf (out, " %% (%s, %d images); %s ", gabn_train_map_label (r->train_gam, TRUE),
           r->n_held_out_maps, _("training images:"));
  print_percent (out, r->disc_accuracy_train, 0);
  fprintf (out, " %%; %s ", _("its own batches (epoch mean):"));
  print_percent (out, r->batch_disc_accuracy, 0);
  fprintf (out, " %%\n");
}

void
gabn_cli_print_report (FILE *out, const GabnEvalReport *r)
{
  int name_width = 5;

  for (int g = 0; g < r->n_groups; g++)
    name_width = MAX (name_width, (int) g_utf8_strlen (r->groups[g].name, -1));
  /* ASCII column titles: printf pads by bytes, not characters. */
  fprintf (out, "%-*s %6s%9s%7s%9s%9s%9s%7s%7s%7s%7s%9s\n",
           name_width, _("Group"), _("Pairs"), _("Acc %"), "+/-",
           "TAR@1e-2", "TAR@1e-3", "TAR@1e-4", "FMR%", "FNMR%", "R50", "R80",
           _("JS ref"));
  for (int g = 0; g < r->n_groups; g++)
    {
      const GabnGroupReport *gr = &r->groups[g];
      int pad = name_width - (int) g_utf8_strlen (gr->name, -1);

      fprintf (out, "%s%*s %6d", gr->name, pad, "", gr->n_pairs);
      print_percent (out, gr->accuracy, 9);
      print_percent (out, gr->accuracy_std, 7);
      for (int k = 0; k < GABN_N_FAR; k++)
        print_percent (out, gr->tar_at_far[k], 9);
      print_percent (out, gr->fmr, 7);
      print_percent (out, gr->fnmr, 7);
      print_plain (out, gr->region50, 7, 3);
      print_plain (out, gr->region80, 7, 3);
      print_plain (out, gr->js_to_reference, 9, 5);
      fprintf (out, "%s\n", g == r->reference_group ? _(" (reference)") : "");
    }
  fprintf (out, "\n%s ", _("Mean accuracy:"));
  print_percent (out, r->mean_accuracy, 0);
  fprintf (out, " %%\n%s ", _("STD (population, percentage points):"));
  print_percent (out, r->std, 0);
  fprintf (out, "\n%s ", _("SER (max error / min error):"));
  if (isnan (r->ser))
    fprintf (out, "%s", _("undefined (the smallest error is 0)"));
  else
    fprintf (out, "%.3f", r->ser);
  fprintf (out, "\n%s ", _("Mean pairwise JS divergence (nats):"));
  print_plain (out, r->mean_pairwise_js, 0, 5);
  /* Translators: which attention map R50, R80, JS and the probe are on */
  fprintf (out, "\n%s %s\n%s ", _("Attention maps:"), GABN_EVAL_MAP,
           _("Group probe (held-out accuracy, 5 folds by identity):"));
  if (isnan (r->probe_accuracy))
    fprintf (out, "%s", _("not computed"));
  else
    {
      print_percent (out, r->probe_accuracy, 0);
      fprintf (out, " %% ± ");
      print_percent (out, r->probe_accuracy_std, 0);
      fprintf (out, " (%s ", _("chance"));
      print_percent (out, r->probe_chance, 0);
      fprintf (out, " %%)");
    }
  fprintf (out, "\n");
  print_reliance (out, r, name_width);
  if (r->has_train_maps)
    print_train_maps (out, r, name_width);
  if (r->n_skipped_pairs > 0)
    {
      /* Translators: "%d unreadable images" comes next */
      fprintf (out, ngettext ("Skipped: %d pair with an unreadable image",
                              "Skipped: %d pairs with an unreadable image",
                              r->n_skipped_pairs), r->n_skipped_pairs);
      fprintf (out, ngettext (" (%d image)\n", " (%d images)\n", r->n_skipped_images),
               r->n_skipped_images);
    }
}

void
gabn_cli_print_bad_images (const GabnDataset *ds)
{
  int n;
  GabnBadImage *bad = gabn_dataset_get_bad (ds, 0, &n);

  if (n > 0)
    g_printerr (ngettext ("%d image cannot be read and was skipped:\n",
                          "%d images cannot be read and were skipped:\n", n), n);
  for (int i = 0; i < n && i < 20; i++)
    g_printerr ("  %s: %s\n", ds->images[bad[i].image].path, bad[i].reason);
  if (n > 20)
    g_printerr (_("  … and %d more\n"), n - 20);
  gabn_bad_images_free (bad, n);
}
