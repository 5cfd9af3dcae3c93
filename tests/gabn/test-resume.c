/* test-resume.c: a run stopped mid-epoch and resumed from its checkpoint
 * equals an uninterrupted run of the same steps (same losses, same
 * parameters: the optimisers' states are in the sidecar and the batches come
 * in the same seeded order); the optimiser state round-trips and rejects a
 * wrong one; on a folder dataset the second epoch decodes nothing (the
 * image cache is shared by the epochs). */
#include "gabn-model-file.h"
#include "gabn-synth.h"
#include "gabn-trainer.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static GabnSynthConfig
tiny_config (void)
{
  GabnSynthConfig sc;

  gabn_synth_config_init (&sc, GABN_SYNTH_BALANCED);
  sc.identities = 4;     /* per group: 2 train, 2 held out */
  sc.images = 4;
  sc.seed = 5;
  return sc;
}

static GabnDataset *
tiny_dataset (void)
{
  GabnSynthConfig sc = tiny_config ();
  g_autoptr(GError) error = NULL;
  GabnDataset *ds = gabn_synth_generate (&sc, NULL, NULL, NULL, &error);

  g_assert_no_error (error);
  return ds;
}

/* 32 training images in batches of 8: 4 steps per epoch, 2 epochs. */
static GabnTrainer *
new_trainer (const GabnDataset *ds, GabnMethod method, GabnOptimKind optimiser)
{
  g_autoptr(GError) error = NULL;
  GabnTrainConfig config;
  GabnTrainer *t;

  gabn_train_config_init (&config);
  config.method = method;
  config.optimiser = optimiser;
  config.lr = optimiser == GABN_OPTIM_SGD ? 0.02f : 1e-3f;
  config.epochs = 2;
  config.batch_size = 8;
  config.eval_every_epoch = FALSE;
  config.seed = 7;
  t = gabn_trainer_new (&config, ds, NULL, &error);
  gabn_train_config_clear (&config);
  g_assert_no_error (error);
  return t;
}

typedef struct {
  GabnTrainer *trainer;
  GArray *losses;   /* float per step, indexed by step − 1 */
  gint64 stop_at;   /* cancel after this step (0: never) */
} Recorder;

static void
record_step (const GabnStepReport *r, gpointer data)
{
  Recorder *rec = data;

  if ((gint64) rec->losses->len < r->step)
    g_array_set_size (rec->losses, r->step);
  g_array_index (rec->losses, float, r->step - 1) = r->loss;
  if (rec->stop_at > 0 && r->step == rec->stop_at)
    gabn_trainer_cancel (rec->trainer);
}

static void
run (GabnTrainer *t, Recorder *rec, gboolean expect_cancel)
{
  g_autoptr(GError) error = NULL;
  gboolean ok;

  rec->trainer = t;
  gabn_trainer_set_callbacks (t, record_step, NULL, rec);
  ok = gabn_trainer_run (t, NULL, &error);
  if (expect_cancel)
    {
      g_assert_false (ok);
      g_assert_error (error, GABN_ERROR, GABN_ERROR_CANCELLED);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
}

static double
max_rel_diff (const float *a, const float *b, gsize n)
{
  double worst = 0;

  for (gsize i = 0; i < n; i++)
    worst = MAX (worst, fabs ((double) a[i] - b[i]) / (fabs (b[i]) + 1e-3));
  return worst;
}

static void
check_exact_resume (GabnMethod method, GabnOptimKind optimiser)
{
  g_autoptr(GabnDataset) ds = tiny_dataset ();
  g_autoptr(GabnTrainer) whole = new_trainer (ds, method, optimiser);
  g_autoptr(GabnTrainer) first = new_trainer (ds, method, optimiser);
  g_autoptr(GabnTrainer) resumed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("gabn-resume-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *state = g_strconcat (path, ".state", NULL);
  Recorder rec_whole = { NULL, g_array_new (FALSE, TRUE, sizeof (float)), 0 };
  Recorder rec_split = { NULL, g_array_new (FALSE, TRUE, sizeof (float)), 5 };
  GabnNet *a, *b;
  gint64 total = gabn_trainer_get_total_steps (whole);
  double diff;

  g_assert_cmpint (total, ==, 8);
  run (whole, &rec_whole, FALSE);

  /* Stopped in the middle of the second epoch (step 5 of 4 per epoch). */
  gabn_trainer_set_checkpoint (first, path);
  run (first, &rec_split, TRUE);
  g_assert_cmpint (gabn_trainer_get_step (first), ==, 5);
  resumed = gabn_trainer_new_from_checkpoint (path, ds, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gabn_trainer_get_step (resumed), ==, 5);
  rec_split.stop_at = 0;
  run (resumed, &rec_split, FALSE);
  g_assert_cmpint (gabn_trainer_get_step (resumed), ==, total);

  g_assert_cmpint (rec_split.losses->len, ==, total);
  for (gint64 s = 0; s < total; s++)
    {
      float lw = g_array_index (rec_whole.losses, float, s);
      float ls = g_array_index (rec_split.losses, float, s);
      g_test_message ("step %d: loss %.6f uninterrupted, %.6f stopped/resumed",
                      (int) s + 1, lw, ls);
      g_assert_cmpfloat (fabsf (lw - ls), <=, 1e-4f * (1.0f + fabsf (lw)));
    }
  a = gabn_trainer_get_net (whole);
  b = gabn_trainer_get_net (resumed);
  g_assert_cmpuint (gabn_net_n_params (a), ==, gabn_net_n_params (b));
  diff = max_rel_diff (gabn_net_params (b), gabn_net_params (a), gabn_net_n_params (a));
  g_test_message ("largest relative parameter difference: %.3g", diff);
  g_assert_cmpfloat (diff, <, 1e-3);

  g_unlink (path);
  g_unlink (state);
  g_rmdir (dir);
  g_array_unref (rec_whole.losses);
  g_array_unref (rec_split.losses);
}

static void
test_exact_resume_sgd (void)
{
  /* GABN: the discriminator's AdamW state is restored too. */
  check_exact_resume (GABN_METHOD_GABN, GABN_OPTIM_SGD);
}

static void
test_exact_resume_adamw (void)
{
  check_exact_resume (GABN_METHOD_BASELINE, GABN_OPTIM_ADAMW);
}

/* The accessor itself: a state copied from one optimiser makes another
 * take the same next step; wrong names or sizes are refused. */
static void
test_optim_state (void)
{
  float p1[3] = { 1, 2, 3 }, p2[3] = { 1, 2, 3 }, g[3] = { 0.5f, -1, 2 };
  GabnOptimConfig oc;
  g_autoptr(GabnOptim) o1 = NULL, o2 = NULL;
  g_autoptr(GError) error = NULL;
  GabnOptimBuffer bufs[2], copy[2];
  float saved[2][3];
  int n;
  gsize numel;
  gint64 steps;

  gabn_optim_config_init (&oc, GABN_OPTIM_ADAMW);
  o1 = gabn_optim_new (p1, g, 3, &oc);
  o2 = gabn_optim_new (p2, g, 3, &oc);
  gabn_optim_step (o1, 0.1f);
  gabn_optim_step (o1, 0.1f);
  steps = gabn_optim_get_state (o1, bufs, &n, &numel);
  g_assert_cmpint (steps, ==, 2);
  g_assert_cmpint (n, ==, 2);
  g_assert_cmpuint (numel, ==, 3);
  g_assert_cmpstr (bufs[0].name, ==, "exp_avg");
  g_assert_cmpstr (bufs[1].name, ==, "exp_avg_sq");
  for (int i = 0; i < 2; i++)
    {
      memcpy (saved[i], bufs[i].data, sizeof saved[i]);
      copy[i] = (GabnOptimBuffer) { bufs[i].name, saved[i] };
    }
  memcpy (p2, p1, sizeof p1);
  /* In any order; the step count comes along. */
  {
    GabnOptimBuffer swapped[2] = { copy[1], copy[0] };
    g_assert_true (gabn_optim_set_state (o2, swapped, 2, 3, steps, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (gabn_optim_n_steps (o2), ==, 2);
  gabn_optim_step (o1, 0.1f);
  gabn_optim_step (o2, 0.1f);
  g_assert_cmpmem (p1, sizeof p1, p2, sizeof p2);

  g_assert_false (gabn_optim_set_state (o2, copy, 1, 3, 1, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (gabn_optim_set_state (o2, copy, 2, 2, 1, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  copy[0].name = "momentum_buffer";
  g_assert_false (gabn_optim_set_state (o2, copy, 2, 3, 1, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
  g_assert_cmpint (gabn_optim_n_steps (o2), ==, 3);
}

/* A folder dataset: epoch 1 decodes each training image once, epoch 2
 * takes them all from the cache. */
static void
test_cache_across_epochs (void)
{
  GabnSynthConfig sc = tiny_config ();
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("gabn-cache-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (tmp, "faces", NULL);
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GabnTrainer) t = NULL;
  g_autofree char *rm = NULL;
  GabnTrainConfig config;
  gint64 hits, misses;

  g_assert_true (gabn_synth_write (&sc, dir, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  ds = gabn_dataset_open (dir, NULL, NULL, NULL, NULL, &error);
  g_assert_no_error (error);

  gabn_train_config_init (&config);
  config.epochs = 2;
  config.batch_size = 8;
  config.eval_every_epoch = FALSE;
  config.flip = FALSE;
  t = gabn_trainer_new (&config, ds, NULL, &error);
  gabn_train_config_clear (&config);
  g_assert_no_error (error);
  g_assert_true (gabn_trainer_run (t, NULL, &error));
  g_assert_no_error (error);
  gabn_trainer_get_cache_stats (t, &hits, &misses);
  g_test_message ("cache: %" G_GINT64_FORMAT " hits, %" G_GINT64_FORMAT " misses",
                  hits, misses);
  /* 32 training images, 8 batches of 8: 32 decoded, the 32 of epoch 2 (and
   * any batch decoded ahead) from the cache. */
  g_assert_cmpint (misses, ==, 32);
  g_assert_cmpint (hits, >=, 32);

  rm = g_strdup_printf ("rm -rf '%s'", tmp);
  g_assert_cmpint (system (rm), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gabn_set_threads (2);
  g_test_add_func ("/gabn/resume/optim-state", test_optim_state);
  g_test_add_func ("/gabn/resume/exact-sgd", test_exact_resume_sgd);
  g_test_add_func ("/gabn/resume/exact-adamw", test_exact_resume_adamw);
  g_test_add_func ("/gabn/resume/cache-across-epochs", test_cache_across_epochs);
  return g_test_run ();
}
