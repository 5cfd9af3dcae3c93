/* gabn-cmd-train.c: `gabn train` — trains a recognizer (baseline or GABN)
 * in a worker thread; the main thread shows progress and turns Ctrl+C into
 * a cancel (the checkpoint so far is kept). */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-model-file.h"
#include "gabn-trainer.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  GabnTrainer *trainer;
  FILE *log;
  gboolean tty;
  gboolean quiet;
  GMainLoop *loop;
  gboolean ok;
  GError *error;
  GMutex print_lock;
} TrainRun;

static void
log_line (TrainRun *run, const char *line)
{
  if (!run->log)
    return;
  fputs (line, run->log);
  fputc ('\n', run->log);
  fflush (run->log);
}

/* Called from the worker thread. */
static void
on_step (const GabnStepReport *r, gpointer user_data)
{
  TrainRun *run = user_data;

  if (run->log)
    {
      g_autofree char *loss = gabn_cli_json_number (r->loss);
      g_autofree char *arc = gabn_cli_json_number (r->loss_arc);
      g_autofree char *adv = gabn_cli_json_number (r->loss_adv);
      g_autofree char *mask = gabn_cli_json_number (r->loss_mask);
      g_autofree char *dl = gabn_cli_json_number (r->disc_loss);
      g_autofree char *da = gabn_cli_json_number (r->disc_accuracy);
      g_autofree char *ratio = gabn_cli_json_number (r->grad_ratio);
      g_autofree char *lr = gabn_cli_json_number (r->lr);
      g_autofree char *ips = gabn_cli_json_number (r->images_per_second);
      g_autofree char *eta = gabn_cli_json_number (r->eta_seconds);
      g_autofree char *line = g_strdup_printf (
        "{\"type\":\"step\",\"step\":%" G_GINT64_FORMAT ",\"total_steps\":%"
        G_GINT64_FORMAT ",\"epoch\":%d,\"loss\":%s,\"loss_arc\":%s,"
        "\"loss_adv\":%s,\"loss_mask\":%s,\"disc_loss\":%s,"
        "\"disc_accuracy\":%s,\"grad_ratio\":%s,\"lr\":%s,"
        "\"images_per_second\":%s,\"eta_seconds\":%s}",
        r->step, r->total_steps, r->epoch, loss, arc, adv, mask, dl, da, ratio,
        lr, ips, eta);
      log_line (run, line);
    }
  if (run->tty && !run->quiet)
    {
      int width = 24, filled = r->total_steps > 0
        ? (int) (width * r->step / r->total_steps) : 0;
      char bar[32];
      int eta = (int) r->eta_seconds;

      memset (bar, '#', filled);
      memset (bar + filled, '.', width - filled);
      bar[width] = '\0';
      g_mutex_lock (&run->print_lock);
      g_printerr ("\r\033[K[%s] %s %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT
                  " %s %d/%d  loss %.3f (arc %.3f adv %.3f mask %.3f)  "
                  "%.0f img/s  ETA %d:%02d",
                  bar, _("step"), r->step, r->total_steps, _("epoch"),
                  r->epoch + 1, r->n_epochs, r->loss, r->loss_arc, r->loss_adv,
                  r->loss_mask, r->images_per_second, eta / 60, eta % 60);
      if (isfinite (r->grad_ratio))
        /* Translators: the size of the adversary's gradient against the
         * recognition loss's, at the feature maps */
        g_printerr (_("  adv/arc grad %.3f"), r->grad_ratio);
      g_mutex_unlock (&run->print_lock);
    }
}

/* Called from the worker thread. */
static void
on_epoch (const GabnEvalReport *report, gpointer user_data)
{
  TrainRun *run = user_data;

  if (run->log)
    {
      g_autofree char *json = gabn_eval_report_to_json (report, TRUE);
      g_autofree char *line = g_strdup_printf (
        "{\"type\":\"epoch\",\"epoch\":%d,\"step\":%" G_GINT64_FORMAT ",\"report\":%s}",
        report->epoch, report->step, json);
      log_line (run, line);
    }
  if (!run->quiet)
    {
      g_mutex_lock (&run->print_lock);
      if (run->tty)
        g_printerr ("\r\033[K");
      g_printerr (_("epoch %d: mean accuracy %.2f %%, STD %.2f pp, mean pairwise JS %.5f (%s)"),
                  report->epoch + 1, 100.0 * report->mean_accuracy,
                  100.0 * report->std, report->mean_pairwise_js, GABN_EVAL_MAP);
      if (isfinite (report->probe_accuracy))
        g_printerr (_(", group probe %.1f %% (chance %.1f %%)"),
                    100.0 * report->probe_accuracy, 100.0 * report->probe_chance);
      g_printerr ("\n");
      if (report->has_train_maps)
        {
          const char *train_map = gabn_train_map_label (report->train_gam, FALSE);

          /* Translators: on the map the adversary acts on */
          g_printerr (_("  adversary's map: mean pairwise JS %.5f (%s)"),
                      report->train_mean_pairwise_js, train_map);
          if (isfinite (report->grad_ratio))
            /* Translators: the epoch's mean gradient ratio, the
             * discriminator's accuracy on held-out people's maps and on its
             * own training batches */
            g_printerr (_(", adv/arc grad %.4f, D accuracy %.1f %% on held-out "
                          "people, %.1f %% on its batches"),
                        report->grad_ratio, 100.0 * report->disc_accuracy_held_out,
                        100.0 * report->batch_disc_accuracy);
          g_printerr ("\n");
        }
      g_mutex_unlock (&run->print_lock);
    }
}

/* Called from the worker thread, once per unreadable image. */
static void
on_skip (const char *file, const char *reason, gpointer user_data)
{
  TrainRun *run = user_data;

  if (run->log)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *line = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "type");
      json_builder_add_string_value (b, "skipped");
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, file);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, reason);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      line = json_generator_to_data (gen, NULL);
      log_line (run, line);
    }
  /* Even with --quiet: a skipped file is a warning about the user's data. */
  g_mutex_lock (&run->print_lock);
  if (run->tty && !run->quiet)
    g_printerr ("\r\033[K");
  g_printerr (_("Skipping an unreadable image: %s: %s\n"), file, reason);
  g_mutex_unlock (&run->print_lock);
}

static gpointer
train_thread (gpointer data)
{
  TrainRun *run = data;

  run->ok = gabn_trainer_run (run->trainer, NULL, &run->error);
  g_main_loop_quit (run->loop);
  return NULL;
}

static gboolean
on_interrupt (gpointer data)
{
  TrainRun *run = data;

  g_printerr ("\n%s\n", _("Interrupted: stopping…"));
  gabn_trainer_cancel (run->trainer);
  return G_SOURCE_CONTINUE;
}

/* The command line's options (0, -1 or NULL: the config's default). */
typedef struct {
  char   *data, *out, *method, *arch, *log_path, *resume, *optimiser;
  char   *adv_mode, *erase_where, *margin, *gam;
  char  **erase_groups;
  int     epochs, batch, topn, threads, max_steps, margin_warmup;
  double  lr, lambda_adv, lambda_mask, erase_prob, holdout, margin_s, margin_m;
  gint64  seed;
  gboolean quiet, no_epoch_eval;
} TrainArgs;

static void
train_args_clear (TrainArgs *a)
{
  g_free (a->data);
  g_free (a->out);
  g_free (a->method);
  g_free (a->arch);
  g_free (a->log_path);
  g_free (a->resume);
  g_free (a->optimiser);
  g_free (a->adv_mode);
  g_free (a->erase_where);
  g_free (a->margin);
  g_free (a->gam);
  g_strfreev (a->erase_groups);
}

/* A new run's configuration: the defaults, then what the options set. */
static gboolean
config_from_args (GabnTrainConfig *config, const TrainArgs *a, GError **error)
{
  if (a->method && !gabn_method_from_name (a->method, &config->method))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("unknown method “%s” (baseline, gabn)"), a->method);
      return FALSE;
    }
  if (a->arch)
    {
      g_free (config->arch);
      config->arch = g_strdup (a->arch);
    }
  if (a->epochs > 0) config->epochs = a->epochs;
  if (a->batch > 0) config->batch_size = a->batch;
  if (a->lr > 0) config->lr = (float) a->lr;
  if (a->lambda_adv >= 0) config->lambda_adv = (float) a->lambda_adv;
  if (a->lambda_mask >= 0) config->lambda_mask = (float) a->lambda_mask;
  if (a->topn >= 0) config->topn = a->topn;
  if (a->erase_prob >= 0) config->erase_prob = (float) a->erase_prob;
  if (a->seed >= 0) config->seed = (guint64) a->seed;
  if (a->holdout > 0) config->holdout_fraction = a->holdout;
  if (a->no_epoch_eval) config->eval_every_epoch = FALSE;
  if (a->threads > 0) config->threads = a->threads;
  if (a->max_steps > 0) config->max_steps = a->max_steps;
  if (a->erase_groups && a->erase_groups[0])
    config->erase_groups = g_strdupv (a->erase_groups);
  if (a->optimiser || a->margin || a->erase_where || a->adv_mode || a->gam)
    {
      /* Enum options go through the JSON reader, which knows their names. */
      g_autoptr(GString) json = g_string_new ("{");
      if (a->optimiser) g_string_append_printf (json, "\"optimiser\":\"%s\",", a->optimiser);
      if (a->margin) g_string_append_printf (json, "\"margin\":\"%s\",", a->margin);
      if (a->erase_where) g_string_append_printf (json, "\"erase_where\":\"%s\",", a->erase_where);
      if (a->adv_mode) g_string_append_printf (json, "\"adv_mode\":\"%s\",", a->adv_mode);
      if (a->gam) g_string_append_printf (json, "\"gam\":\"%s\",", a->gam);
      g_string_truncate (json, json->len - 1);
      g_string_append_c (json, '}');
      if (!gabn_train_config_from_json (config, json->str, error))
        return FALSE;
      if (a->margin && g_ascii_strcasecmp (a->margin, "cosface") == 0)
        config->margin_m = 0.35f;
    }
  if (a->margin_s > 0) config->margin_s = (float) a->margin_s;
  if (a->margin_m >= 0) config->margin_m = (float) a->margin_m;
  if (a->margin_warmup >= 0) config->margin_warmup_epochs = a->margin_warmup;
  return TRUE;
}

static GabnTrainer *
new_trainer (const TrainArgs *a, GabnDataset *dataset, GError **error)
{
  GabnTrainConfig config;
  GabnTrainer *trainer = NULL;

  if (a->resume)
    return gabn_trainer_new_from_checkpoint (a->resume, dataset, a->epochs, error);
  gabn_train_config_init (&config);
  if (config_from_args (&config, a, error))
    trainer = gabn_trainer_new (&config, dataset, NULL, error);
  gabn_train_config_clear (&config);
  return trainer;
}

static void
print_start (GabnTrainer *trainer, const GabnDataset *dataset, const char *out)
{
  long long total = gabn_trainer_get_total_steps (trainer);
  g_autofree char *steps = g_strdup_printf (ngettext ("%lld step", "%lld steps",
                                                      (unsigned long) total), total);

  /* Translators: the architecture, the method, the number of groups,
   * the number of steps ("120 steps") and the model file */
  g_printerr (ngettext ("Training %s (%s) on %d group, %s → %s\n",
                        "Training %s (%s) on %d groups, %s → %s\n", dataset->n_groups),
              gabn_trainer_get_config (trainer)->arch,
              gabn_method_name (gabn_trainer_get_config (trainer)->method),
              dataset->n_groups, steps, out);
}

/* Trains on a thread while the main loop waits for it and for SIGINT or
 * SIGTERM (which stop the run between steps). */
static void
run_to_end (TrainRun *run)
{
  guint sigint, sigterm;
  GThread *thread;

  run->loop = g_main_loop_new (NULL, FALSE);
  g_mutex_init (&run->print_lock);
  sigint = g_unix_signal_add (SIGINT, on_interrupt, run);
  sigterm = g_unix_signal_add (SIGTERM, on_interrupt, run);
  thread = g_thread_new ("gabn-train", train_thread, run);
  g_main_loop_run (run->loop);
  g_thread_join (thread);
  g_source_remove (sigint);
  g_source_remove (sigterm);
  g_main_loop_unref (run->loop);
  g_mutex_clear (&run->print_lock);
}

static int
train_main (TrainArgs *a, GOptionEntry *entries, int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnDataset) dataset = NULL;
  g_autoptr(GabnTrainer) trainer = NULL;
  TrainRun run = { 0 };
  const GabnEvalReport *last;

  if (!gabn_cli_parse ("train", "", _("Train a face recognizer (baseline or GABN) "
                                      "and evaluate it per group on held-out people."),
                       entries, &argc, &argv))
    return 2;
  if (argc > 1)
    {
      g_printerr (_("gabn train: unexpected argument “%s”\n"), argv[1]);
      return 2;
    }
  if (!a->out && a->resume)
    a->out = g_strdup (a->resume);
  if (!a->out)
    {
      g_printerr ("%s\n", _("gabn train: --out MODEL.safetensors is required"));
      return 2;
    }
  dataset = gabn_cli_open_dataset (a->data, NULL, &error);
  if (!dataset)
    return gabn_cli_fail ("train", error);
  trainer = new_trainer (a, dataset, &error);
  if (!trainer)
    return gabn_cli_fail ("train", error);
  if (a->threads > 0)
    gabn_set_threads (a->threads);

  if (a->log_path)
    {
      run.log = fopen (a->log_path, a->resume ? "a" : "w");
      if (!run.log)
        {
          g_printerr (_("gabn train: cannot write %s: %s\n"), a->log_path, g_strerror (errno));
          return 1;
        }
    }
  run.trainer = trainer;
  run.tty = isatty (STDERR_FILENO);
  run.quiet = a->quiet;
  gabn_trainer_set_callbacks (trainer, on_step, on_epoch, &run);
  gabn_trainer_set_skip_func (trainer, on_skip, &run);
  gabn_trainer_set_checkpoint (trainer, a->out);
  if (!a->quiet)
    print_start (trainer, dataset, a->out);
  run_to_end (&run);
  if (run.log)
    fclose (run.log);
  if (run.tty && !a->quiet)
    g_printerr ("\r\033[K");
  if (!run.ok)
    {
      int code = gabn_cli_fail ("train", run.error);
      if (g_error_matches (run.error, GABN_ERROR, GABN_ERROR_CANCELLED)
          && gabn_trainer_get_step (trainer) > 0)
        g_printerr (_("The checkpoint so far is in %s (continue with --resume).\n"), a->out);
      g_clear_error (&run.error);
      return code;
    }
  /* Without any epoch finished (max_steps inside the first one) the trainer
   * still saved; make sure the file is there in every case. */
  if (!gabn_trainer_save (trainer, a->out, &error))
    return gabn_cli_fail ("train", error);
  last = gabn_trainer_get_last_report (trainer);
  if (last && !a->quiet)
    gabn_cli_print_report (stdout, last);
  if (gabn_trainer_get_n_skipped (trainer) > 0)
    g_printerr (ngettext ("%d unreadable image was skipped (listed in %s, metadata "
                          "“skipped_images”).\n",
                          "%d unreadable images were skipped (listed in %s, metadata "
                          "“skipped_images”).\n", gabn_trainer_get_n_skipped (trainer)),
                gabn_trainer_get_n_skipped (trainer), a->out);
  return 0;
}

int
gabn_cmd_train (int argc, char **argv)
{
  TrainArgs a = { .topn = -1, .lambda_adv = -1, .lambda_mask = -1, .erase_prob = -1,
                  .margin_m = -1, .margin_warmup = -1, .seed = -1 };
  GOptionEntry entries[] = {
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &a.data, N_("Dataset folder, or synth:PRESET[,identities=N,images=N,seed=N] for the built-in generator"), "D" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &a.out, N_("Model file to write (also the checkpoint)"), "MODEL.safetensors" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &a.method, N_("baseline (default) or gabn"), "M" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &a.arch, N_("Architecture: gabn-s (default), iresnet18, iresnet34, iresnet50"), "A" },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &a.epochs, N_("Epochs (default 10)"), "E" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &a.batch, N_("Batch size (default 32)"), "B" },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &a.lr, N_("Learning rate (default 0.01)"), "X" },
    { "optimiser", 0, 0, G_OPTION_ARG_STRING, &a.optimiser, N_("sgd (default) or adamw"), "O" },
    { "margin", 0, 0, G_OPTION_ARG_STRING, &a.margin, N_("arcface (default) or cosface"), "M" },
    { "margin-s", 0, 0, G_OPTION_ARG_DOUBLE, &a.margin_s, N_("Margin head scale s (default 32)"), "S" },
    { "margin-m", 0, 0, G_OPTION_ARG_DOUBLE, &a.margin_m, N_("Margin m (default 0.5 ArcFace, 0.35 CosFace)"), "M" },
    { "margin-warmup", 0, 0, G_OPTION_ARG_INT, &a.margin_warmup, N_("Epochs over which m grows from 0 to its value (default 0: the full m from the first step)"), "E" },
    { "lambda-adv", 0, 0, G_OPTION_ARG_DOUBLE, &a.lambda_adv, N_("Weight of the attention-balance loss (default 0.1)"), "X" },
    { "lambda-mask", 0, 0, G_OPTION_ARG_DOUBLE, &a.lambda_mask, N_("Weight of the Top-N erased loss (default 0.5)"), "X" },
    { "topn", 0, 0, G_OPTION_ARG_INT, &a.topn, N_("Cells erased (default: a third of the cells)"), "N" },
    { "erase-prob", 0, 0, G_OPTION_ARG_DOUBLE, &a.erase_prob, N_("Probability of erasing per batch (default 1)"), "P" },
    { "erase-where", 0, 0, G_OPTION_ARG_STRING, &a.erase_where, N_("features (default) or input"), "W" },
    { "erase-group", 0, 0, G_OPTION_ARG_STRING_ARRAY, &a.erase_groups, N_("Erase only for this group (repeatable; default all)"), "NAME" },
    { "adv-mode", 0, 0, G_OPTION_ARG_STRING, &a.adv_mode, N_("confusion (default) or reversal"), "MODE" },
    { "gam", 0, 0, G_OPTION_ARG_STRING, &a.gam, N_("The attention map the adversary and the erasing act on: gradcam (default) or hirescam"), "CAM" },
    { "holdout", 0, 0, G_OPTION_ARG_DOUBLE, &a.holdout, N_("Fraction of each group’s identities held out for evaluation when the dataset has no pairs (default 0.2)"), "F" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &a.seed, N_("Random seed (default 1)"), "S" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &a.threads, N_("Threads (default: all cores)"), "T" },
    { "max-steps", 0, 0, G_OPTION_ARG_INT, &a.max_steps, N_("Stop after this many steps"), "N" },
    { "log", 0, 0, G_OPTION_ARG_FILENAME, &a.log_path, N_("Write one JSON line per step and epoch"), "FILE.jsonl" },
    { "resume", 0, 0, G_OPTION_ARG_FILENAME, &a.resume, N_("Continue training from a checkpoint"), "MODEL" },
    { "no-epoch-eval", 0, 0, G_OPTION_ARG_NONE, &a.no_epoch_eval, N_("Skip the evaluation after each epoch (faster; run gabn eval afterwards)"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &a.quiet, N_("Print nothing but errors"), NULL },
    { NULL }
  };
  int code = train_main (&a, entries, argc, argv);

  train_args_clear (&a);
  return code;
}
