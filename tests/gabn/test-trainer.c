/* test-trainer.c: the trainer on a tiny synthetic set — the loss falls and
 * held-out verification beats chance; pause, resume and cancel work from
 * another thread; a checkpoint resumes at its step. */
#include "gabn-model-file.h"
#include "gabn-synth.h"
#include "gabn-trainer.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static GabnDataset *
tiny_dataset (void)
{
  GabnSynthConfig sc;
  g_autoptr(GError) error = NULL;
  GabnDataset *ds;

  gabn_synth_config_init (&sc, GABN_SYNTH_BALANCED);
  sc.identities = 6;     /* per group: 4 train, 2 held out */
  sc.images = 5;
  sc.seed = 3;
  ds = gabn_synth_generate (&sc, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return ds;
}

typedef struct {
  GArray *losses;
  GPtrArray *reports;
} Recorder;

static void
record_step (const GabnStepReport *r, gpointer data)
{
  Recorder *rec = data;
  g_array_append_val (rec->losses, r->loss_arc);
  g_assert_cmpfloat (r->lr, >, 0.0f);
  g_assert_cmpint (r->step, <=, r->total_steps);
}

static void
record_epoch (const GabnEvalReport *r, gpointer data)
{
  Recorder *rec = data;
  g_ptr_array_add (rec->reports, gabn_eval_report_copy (r));
}

static void
test_learns (void)
{
  g_autoptr(GabnDataset) ds = tiny_dataset ();
  g_autoptr(GabnTrainer) trainer = NULL;
  g_autoptr(GError) error = NULL;
  GabnTrainConfig config;
  GabnEvalOptions eo;
  Recorder rec = { g_array_new (FALSE, FALSE, sizeof (float)),
                   g_ptr_array_new_with_free_func ((GDestroyNotify) gabn_eval_report_free) };
  double first = 0, last = 0;
  const GabnEvalReport *final;
  guint n;

  gabn_train_config_init (&config);
  config.epochs = 3;
  config.batch_size = 8;
  config.lr = 0.01f;
  trainer = gabn_trainer_new (&config, ds, NULL, &error);
  gabn_train_config_clear (&config);
  g_assert_no_error (error);
  gabn_eval_options_init (&eo);
  eo.gam_max_per_group = 4;
  gabn_trainer_set_eval_options (trainer, &eo);
  gabn_trainer_set_callbacks (trainer, record_step, record_epoch, &rec);
  g_assert_true (gabn_trainer_run (trainer, NULL, &error));
  g_assert_no_error (error);

  n = rec.losses->len;
  g_assert_cmpint (n, ==, gabn_trainer_get_total_steps (trainer));
  for (guint i = 0; i < 4; i++)
    {
      first += g_array_index (rec.losses, float, i) / 4;
      last += g_array_index (rec.losses, float, n - 1 - i) / 4;
    }
  g_test_message ("ArcFace loss: first steps %.3f, last steps %.3f", first, last);
  g_assert_cmpfloat (last, <, 0.9 * first);
  g_assert_cmpint (rec.reports->len, ==, 3);
  final = g_ptr_array_index (rec.reports, 2);
  g_test_message ("held-out mean accuracy %.3f", final->mean_accuracy);
  g_assert_cmpint (final->n_groups, ==, 4);
  /* Chance is 0.5; 160 pairs give a standard error of about 0.04. */
  g_assert_cmpfloat (final->mean_accuracy, >, 0.58);
  for (int g = 0; g < 4; g++)
    {
      g_assert_cmpint (final->groups[g].n_pairs, >, 0);
      g_assert_cmpint (final->groups[g].n_gam_images, >, 0);
      g_assert_true (isfinite (final->groups[g].region50));
    }
  g_array_unref (rec.losses);
  g_ptr_array_unref (rec.reports);
}

typedef struct {
  GabnTrainer *trainer;
  gboolean ok;
  GError *error;
} RunData;

static gpointer
run_thread (gpointer data)
{
  RunData *run = data;

  run->ok = gabn_trainer_run (run->trainer, NULL, &run->error);
  return NULL;
}

/* Polls; a hang is caught by meson's test timeout, not by a clock here. */
static void
wait_for_step (GabnTrainer *t, gint64 step)
{
  while (gabn_trainer_get_step (t) < step)
    g_usleep (10000);
}

static void
wait_for_parked (GabnTrainer *t)
{
  while (!gabn_trainer_is_parked (t))
    g_usleep (10000);
}

static void
test_controls_and_resume (void)
{
  g_autoptr(GabnDataset) ds = tiny_dataset ();
  g_autoptr(GabnTrainer) trainer = NULL, resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gabn-trainer-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *state = g_strconcat (path, ".state", NULL);
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) loaded = NULL;
  GabnTrainConfig config;
  RunData run = { 0 };
  GThread *thread;
  gint64 paused_step, cancelled_step, at_cancel;

  gabn_train_config_init (&config);
  config.method = GABN_METHOD_GABN;
  config.epochs = 2;
  config.batch_size = 8;
  config.eval_every_epoch = FALSE;
  trainer = gabn_trainer_new (&config, ds, NULL, &error);
  gabn_train_config_clear (&config);
  g_assert_no_error (error);
  gabn_trainer_set_checkpoint (trainer, path);
  run.trainer = trainer;

  thread = g_thread_new ("train", run_thread, &run);
  wait_for_step (trainer, 2);
  gabn_trainer_pause (trainer);
  g_assert_true (gabn_trainer_is_paused (trainer));
  /* The step under way finishes (at most one more), then the thread parks
   * and nothing moves until resume: no clock decides this. */
  paused_step = gabn_trainer_get_step (trainer);
  wait_for_parked (trainer);
  g_assert_cmpint (gabn_trainer_get_step (trainer), <=, paused_step + 1);
  paused_step = gabn_trainer_get_step (trainer);
  g_usleep (100000);
  g_assert_true (gabn_trainer_is_parked (trainer));
  g_assert_cmpint (gabn_trainer_get_step (trainer), ==, paused_step);
  gabn_trainer_resume (trainer);
  wait_for_step (trainer, paused_step + 1);
  /* Cancel: the step under way is cut and dropped or completes, no other
   * starts; the checkpoint is then written. */
  at_cancel = gabn_trainer_get_step (trainer);
  gabn_trainer_cancel (trainer);
  g_thread_join (thread);
  g_assert_cmpint (gabn_trainer_get_step (trainer), <=, at_cancel + 1);
  g_assert_false (run.ok);
  g_assert_error (run.error, GABN_ERROR, GABN_ERROR_CANCELLED);
  g_clear_error (&run.error);
  cancelled_step = gabn_trainer_get_step (trainer);
  g_assert_cmpint (cancelled_step, <, gabn_trainer_get_total_steps (trainer));

  /* The cancelled run left a checkpoint at its step. */
  g_assert_true (g_file_test (state, G_FILE_TEST_EXISTS));
  loaded = gabn_model_load (path, NULL, &meta, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_hash_table_lookup (meta, "train_config"));
  g_assert_nonnull (g_hash_table_lookup (meta, "split"));
  g_assert_nonnull (strstr (g_hash_table_lookup (meta, "groups"), "Group A"));

  resumed = gabn_trainer_new_from_checkpoint (path, ds, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gabn_trainer_get_step (resumed), ==, cancelled_step);
  g_assert_cmpint (gabn_trainer_get_config (resumed)->method, ==, GABN_METHOD_GABN);
  g_assert_cmpstr (gabn_trainer_get_split_json (resumed), ==,
                   gabn_trainer_get_split_json (trainer));
  /* The resumed net is the checkpointed one. */
  g_assert_cmpmem (gabn_net_params (gabn_trainer_get_net (resumed)),
                   gabn_net_n_params (loaded) * sizeof (float),
                   gabn_net_params (loaded), gabn_net_n_params (loaded) * sizeof (float));
  g_assert_true (gabn_trainer_run (resumed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (gabn_trainer_get_step (resumed), ==,
                   gabn_trainer_get_total_steps (resumed));

  g_unlink (path);
  g_unlink (state);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gabn_set_threads (2);
  g_test_add_func ("/gabn/trainer/learns", test_learns);
  g_test_add_func ("/gabn/trainer/controls-and-resume", test_controls_and_resume);
  return g_test_run ();
}
