/* gabn-trainer.c: the training loop, its thread-safe controls, per-epoch
 * evaluation and checkpoints (see gabn-trainer.h). */
#include "gabn-trainer.h"
#include "gabn-discriminator.h"
#include "gabn-image-cache.h"
#include "gabn-model-file.h"
#include "gabn-sidecar.h"
#include "gabn-split.h"
#include "gabn-step.h"
#include "gabn-train-diagnostics.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _GabnTrainer {
  GabnTrainConfig config;
  const GabnDataset *dataset;
  GabnSplit *split;
  char *split_json;
  GabnNet *net;
  GabnOptim *optim;
  GabnLrSchedule schedule;
  GabnDiscriminator *disc;
  GabnOptim *disc_optim;
  GabnStep *step_state;
  GabnImageCache *cache;    /* decoded images, shared by every epoch's batcher */
  gboolean *erase_group;
  int *train_images, *train_labels, n_train;
  int steps_per_epoch;
  gint64 total_steps;
  gint64 step;              /* optimiser steps done */
  /* Sums over the current epoch's steps (this run), for its report. */
  double epoch_ratio_sum, epoch_disc_sum;
  int epoch_ratio_count, epoch_disc_count;
  GabnEvalOptions eval_options;
  GabnEvalReport *last_report;
  char *checkpoint;
  GabnTrainerStepFunc step_func;
  GabnTrainerEpochFunc epoch_func;
  gpointer user_data;
  GabnTrainerSkipFunc skip_func;
  gpointer skip_data;
  /* Unreadable images named so far (each once): the dataset's records up
   * to bad_seen have been looked at; skipped holds "file", "reason" pairs
   * for the metadata (under lock). */
  int bad_seen;
  guint8 *named;            /* n_images flags */
  GPtrArray *skipped;

  /* Controls, shared with other threads. lock guards the flags, the step
   * count and the last report (held briefly, so the app's main thread never
   * waits long); net_lock guards the net while a step, an evaluation, a copy
   * or a save uses it. */
  GMutex lock;
  GMutex net_lock;
  GCond cond;
  gboolean paused;
  gboolean parked;          /* the run thread is waiting in a pause */
  gboolean running;
  GCancellable *cancel;     /* our own; user cancellables chain to it */
};

static void
set_total_steps (GabnTrainer *t)
{
  t->steps_per_epoch = MAX (1, t->n_train / t->config.batch_size);
  t->total_steps = (gint64) t->steps_per_epoch * t->config.epochs;
  if (t->config.max_steps > 0)
    t->total_steps = MIN (t->total_steps, t->config.max_steps);
}

static gboolean
setup_common (GabnTrainer *t, GError **error)
{
  int C, h, w, G = MAX (t->dataset->n_groups, 1);
  GabnOptimConfig oc;

  gabn_split_train_images (t->split, t->dataset, &t->train_images,
                           &t->train_labels, &t->n_train);
  if (t->n_train < 2)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   ngettext ("the dataset has %d training image after holding out "
                             "the evaluation identities: too few to train",
                             "the dataset has %d training images after holding out "
                             "the evaluation identities: too few to train", t->n_train),
                   t->n_train);
      return FALSE;
    }
  if (t->config.batch_size > t->n_train)
    t->config.batch_size = MAX (2, t->n_train);
  set_total_steps (t);

  gabn_optim_config_init (&oc, t->config.optimiser);
  oc.weight_decay = t->config.weight_decay;
  if (t->config.optimiser == GABN_OPTIM_SGD)
    oc.momentum = t->config.momentum;
  t->optim = gabn_optim_new_for_net (t->net, &oc);
  gabn_lr_schedule_init (&t->schedule, t->config.schedule);
  t->schedule.warmup_steps = t->config.warmup_steps;
  t->schedule.total_steps = (int) t->total_steps;
  t->schedule.step_size = MAX (1, (int) (t->total_steps / 3));

  gabn_net_feature_shape (t->net, &C, &h, &w);
  if (!t->disc)
    t->disc = gabn_discriminator_new (h * w, t->config.disc_hidden, G,
                                      t->config.seed + 17);
  gabn_optim_config_init (&oc, GABN_OPTIM_ADAMW);
  oc.weight_decay = 0.0f;
  t->disc_optim = gabn_optim_new (gabn_discriminator_params (t->disc),
                                  gabn_discriminator_grads (t->disc),
                                  gabn_discriminator_n_params (t->disc), &oc);

  if (t->config.erase_groups)
    {
      t->erase_group = g_new0 (gboolean, G);
      for (char **name = t->config.erase_groups; *name; name++)
        {
          gboolean found = FALSE;
          for (int g = 0; g < t->dataset->n_groups; g++)
            if (strcmp (t->dataset->groups[g].name, *name) == 0)
              found = t->erase_group[g] = TRUE;
          if (!found)
            {
              g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                           _("erase group “%s” is not a group of the dataset"), *name);
              return FALSE;
            }
        }
    }
  t->step_state = gabn_step_new (t->net, &t->config, t->disc, t->disc_optim,
                                 t->erase_group, G);
  /* Stop answers within a layer, not at the end of a step (an iresnet50
   * step takes seconds on a laptop). */
  gabn_step_set_cancellable (t->step_state, t->cancel);
  gabn_step_set_margin_warmup (t->step_state,
                               (gint64) t->config.margin_warmup_epochs * t->steps_per_epoch);
  gabn_eval_options_init (&t->eval_options);
  t->split_json = gabn_split_to_json (t->split);
  return TRUE;
}

static GabnTrainer *
trainer_alloc (const GabnTrainConfig *config, const GabnDataset *dataset)
{
  GabnTrainer *t = g_new0 (GabnTrainer, 1);

  gabn_train_config_copy (&t->config, config);
  t->dataset = dataset;
  g_mutex_init (&t->lock);
  g_mutex_init (&t->net_lock);
  g_cond_init (&t->cond);
  t->cancel = g_cancellable_new ();
  t->named = g_new0 (guint8, MAX (dataset->n_images, 1));
  t->skipped = g_ptr_array_new_with_free_func (g_free);
  return t;
}

GabnTrainer *
gabn_trainer_new (const GabnTrainConfig *config, const GabnDataset *dataset,
                  const GabnNet *initial, GError **error)
{
  g_autoptr(GabnTrainer) t = NULL;
  GabnSplitConfig sc;

  if (!gabn_train_config_validate (config, error))
    return NULL;
  if (initial && gabn_net_is_imported (initial))
    {
      /* Its graph has no built-in architecture to train and save. */
      g_set_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED,
                   _("An imported model (ONNX) is for exploring and evaluating; "
                     "training or fine-tuning it is not supported"));
      return NULL;
    }
  t = trainer_alloc (config, dataset);
  gabn_split_config_init (&sc);
  sc.seed = config->seed;
  sc.holdout_fraction = config->holdout_fraction;
  t->split = gabn_split_new (dataset, &sc, error);
  if (!t->split)
    return NULL;
  if (initial)
    {
      t->net = gabn_net_copy (initial);
      g_free (t->config.arch);
      t->config.arch = g_strdup (gabn_net_arch (t->net));
      if (!gabn_net_set_n_classes (t->net, t->split->n_train_identities,
                                   config->seed, error))
        return NULL;
    }
  else if (!(t->net = gabn_net_new (config->arch, t->split->n_train_identities,
                                    config->seed, error)))
    return NULL;
  if (!setup_common (t, error))
    return NULL;
  return g_steal_pointer (&t);
}

static gint64
json_int_member (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
    ? json_node_get_int (n) : fallback;
}

/* Sidecar names of an optimiser's buffers: "PREFIX.NAME", e.g.
 * "optim.momentum_buffer", "disc_optim.exp_avg"; its step count goes to the
 * sidecar's metadata as "PREFIX_steps". */
static int
optim_tensors (GabnOptim *optim, const char *prefix, GabnSidecarTensor *out,
               char **names, GHashTable *meta)
{
  GabnOptimBuffer buffers[2];
  int n;
  gsize numel;
  gint64 steps = gabn_optim_get_state (optim, buffers, &n, &numel);

  for (int i = 0; i < n; i++)
    {
      names[i] = g_strdup_printf ("%s.%s", prefix, buffers[i].name);
      out[i] = (GabnSidecarTensor) { names[i], buffers[i].data, numel };
    }
  g_hash_table_insert (meta, g_strdup_printf ("%s_steps", prefix),
                       g_strdup_printf ("%" G_GINT64_FORMAT, steps));
  return n;
}

/* Restores an optimiser from the sidecar. A sidecar written before the
 * optimiser state was saved has none: the optimiser then starts afresh. */
static gboolean
read_optim (GabnOptim *optim, const char *prefix, const char *path,
            GHashTable *meta, GError **error)
{
  GabnOptimBuffer own[2], loaded[2] = { { 0 } };
  g_autofree char *steps_key = g_strdup_printf ("%s_steps", prefix);
  const char *steps_text = g_hash_table_lookup (meta, steps_key);
  gboolean ok = TRUE;
  gsize numel;
  int n;

  if (!steps_text)
    return TRUE;
  gabn_optim_get_state (optim, own, &n, &numel);
  for (int i = 0; i < n && ok; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s.%s", prefix, own[i].name);
      loaded[i].name = own[i].name;
      loaded[i].data = g_new (float, MAX (numel, 1));
      ok = gabn_sidecar_read (path, name, loaded[i].data, numel, NULL, error);
    }
  if (ok && !gabn_optim_set_state (optim, loaded, n, numel,
                                   g_ascii_strtoll (steps_text, NULL, 10), error))
    {
      g_prefix_error (error, "%s: ", path);
      ok = FALSE;
    }
  for (int i = 0; i < n; i++)
    g_free (loaded[i].data);
  return ok;
}

/* The checkpoint id recorded in a sidecar's metadata, or NULL (newly
 * allocated). */
static char *
sidecar_id (const char *state_path)
{
  g_autoptr(GHashTable) meta = NULL;
  float probe;

  /* Reading any tensor gives the metadata; the name need not exist. */
  gabn_sidecar_read (state_path, "", &probe, 1, &meta, NULL);
  return meta ? g_strdup (g_hash_table_lookup (meta, "checkpoint")) : NULL;
}

/* Which sidecar belongs to the model (whose metadata id is model_id): a
 * save writes PATH.state.new, then the model, then renames the first to
 * PATH.state, so a save killed between the two files leaves the model's
 * own sidecar as PATH.state.new; finishing the rename here completes that
 * save. NULL (and no error) when there is no sidecar at all. */
static char *
find_sidecar (const char *path, const char *model_id, GError **error)
{
  g_autofree char *state_path = g_strconcat (path, ".state", NULL);
  g_autofree char *pending = g_strconcat (path, ".state.new", NULL);
  g_autofree char *state_id = NULL, *pending_id = NULL;
  gboolean have_state = g_file_test (state_path, G_FILE_TEST_EXISTS);
  gboolean have_pending = g_file_test (pending, G_FILE_TEST_EXISTS);

  /* A checkpoint from before the ids: its sidecar as it is. */
  if (model_id == NULL)
    return have_state ? g_steal_pointer (&state_path) : NULL;
  if (have_state && g_strcmp0 (state_id = sidecar_id (state_path), model_id) == 0)
    return g_steal_pointer (&state_path);
  if (have_pending && g_strcmp0 (pending_id = sidecar_id (pending), model_id) == 0)
    {
      if (g_rename (pending, state_path) != 0)
        {
          int saved = errno;
          g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED,
                       _("%s: cannot rename it to %s: %s"), pending, state_path,
                       g_strerror (saved));
          return NULL;
        }
      return g_steal_pointer (&state_path);
    }
  if (have_state || have_pending)
    g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                 _("%s: the training state beside it (%s) belongs to another "
                   "checkpoint; remove it to resume with a fresh optimiser state"),
                 path, have_state ? state_path : pending);
  return NULL;
}

/* The discriminator and both optimisers' states from the model's sidecar,
 * when there is one. */
static gboolean
read_sidecar (GabnTrainer *t, const char *path, const char *model_id,
              GError **error)
{
  g_autofree char *state_path = NULL;
  g_autoptr(GHashTable) meta = NULL;
  GError *local = NULL;

  state_path = find_sidecar (path, model_id, &local);
  if (local)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (state_path == NULL)
    return TRUE;
  return gabn_sidecar_read (state_path, "discriminator",
                            gabn_discriminator_params (t->disc),
                            gabn_discriminator_n_params (t->disc), &meta, error)
    && read_optim (t->optim, "optim", state_path, meta, error)
    && read_optim (t->disc_optim, "disc_optim", state_path, meta, error);
}

/* The images a checkpoint skipped ("skipped_images": [{"file", "reason"}])
 * are recorded in the dataset again, so the resumed run substitutes the
 * same ones, and are not named a second time. */
static void
restore_skipped (GabnTrainer *t, const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *list;

  if (!json || !json_parser_load_from_data (parser, json, -1, NULL)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return;
  list = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *node = json_array_get_element (list, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *file = o ? json_object_get_string_member_with_default (o, "file", NULL) : NULL;
      const char *reason = o ? json_object_get_string_member_with_default (o, "reason", "") : "";
      int index = gabn_dataset_find_image (t->dataset, file);

      if (index < 0 || t->named[index])
        continue;
      gabn_dataset_mark_bad (t->dataset, index, reason);
      t->named[index] = 1;
      g_ptr_array_add (t->skipped, g_strdup (file));
      g_ptr_array_add (t->skipped, g_strdup (reason));
    }
}

GabnTrainer *
gabn_trainer_new_from_checkpoint (const char *path, const GabnDataset *dataset,
                                  int epochs, GError **error)
{
  g_autoptr(GabnTrainer) t = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  GabnTrainConfig config;
  const char *text;
  JsonObject *state = NULL;
  GError *local = NULL;

  net = gabn_model_load (path, NULL, &meta, error);
  if (!net)
    return NULL;
  gabn_train_config_init (&config);
  text = g_hash_table_lookup (meta, "train_config");
  if (!text || !gabn_train_config_from_json (&config, text, &local))
    {
      gabn_train_config_clear (&config);
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("%s: not a training checkpoint (%s)"), path,
                   local ? local->message : _("no “train_config” in its metadata"));
      g_clear_error (&local);
      return NULL;
    }
  if (epochs > 0)
    config.epochs = epochs;
  t = trainer_alloc (&config, dataset);
  gabn_train_config_clear (&config);
  text = g_hash_table_lookup (meta, "split");
  if (!text)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("%s: no “split” in its metadata"), path);
      return NULL;
    }
  t->split = gabn_split_from_json (dataset, text, error);
  if (!t->split)
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }
  if (gabn_net_n_classes (net) != t->split->n_train_identities)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("%s: %d class centres but the split trains %d identities"),
                   path, gabn_net_n_classes (net), t->split->n_train_identities);
      return NULL;
    }
  t->net = g_steal_pointer (&net);
  text = g_hash_table_lookup (meta, "trainer_state");
  if (text && json_parser_load_from_data (parser, text, -1, NULL)
      && JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    state = json_node_get_object (json_parser_get_root (parser));
  t->step = json_int_member (state, "step", 0);
  if ((text = g_hash_table_lookup (meta, "eval")))
    t->last_report = gabn_eval_report_from_json (text, NULL);
  restore_skipped (t, g_hash_table_lookup (meta, "skipped_images"));
  if (!setup_common (t, error)
      || !read_sidecar (t, path, g_hash_table_lookup (meta, "checkpoint"), error))
    return NULL;
  return g_steal_pointer (&t);
}

void
gabn_trainer_free (GabnTrainer *t)
{
  if (!t)
    return;
  gabn_step_free (t->step_state);
  g_clear_pointer (&t->cache, gabn_image_cache_free);
  g_clear_pointer (&t->optim, gabn_optim_free);
  g_clear_pointer (&t->disc_optim, gabn_optim_free);
  gabn_discriminator_free (t->disc);
  gabn_net_free (t->net);
  gabn_split_free (t->split);
  gabn_eval_report_free (t->last_report);
  gabn_train_config_clear (&t->config);
  g_free (t->split_json);
  g_free (t->erase_group);
  g_free (t->train_images);
  g_free (t->train_labels);
  g_free (t->checkpoint);
  g_free (t->named);
  g_ptr_array_unref (t->skipped);
  g_clear_object (&t->cancel);
  g_mutex_clear (&t->lock);
  g_mutex_clear (&t->net_lock);
  g_cond_clear (&t->cond);
  g_free (t);
}

void
gabn_trainer_set_callbacks (GabnTrainer *t, GabnTrainerStepFunc step_func,
                            GabnTrainerEpochFunc epoch_func, gpointer user_data)
{
  t->step_func = step_func;
  t->epoch_func = epoch_func;
  t->user_data = user_data;
}

void
gabn_trainer_set_skip_func (GabnTrainer *t, GabnTrainerSkipFunc func,
                            gpointer user_data)
{
  t->skip_func = func;
  t->skip_data = user_data;
}

int
gabn_trainer_get_n_skipped (GabnTrainer *t)
{
  int n;

  g_mutex_lock (&t->lock);
  n = (int) t->skipped->len / 2;
  g_mutex_unlock (&t->lock);
  return n;
}

/* Names, once each, the images found unreadable since the last look (by
 * the batcher's workers or the evaluation). Called from the run's thread. */
static void
name_new_bad_images (GabnTrainer *t)
{
  int n;
  GabnBadImage *found = gabn_dataset_get_bad (t->dataset, t->bad_seen, &n);

  t->bad_seen += n;
  for (int i = 0; i < n; i++)
    {
      const char *file = t->dataset->images[found[i].image].path;

      if (t->named[found[i].image])
        continue;
      t->named[found[i].image] = 1;
      g_mutex_lock (&t->lock);
      g_ptr_array_add (t->skipped, g_strdup (file));
      g_ptr_array_add (t->skipped, g_strdup (found[i].reason));
      g_mutex_unlock (&t->lock);
      if (t->skip_func)
        t->skip_func (file, found[i].reason, t->skip_data);
    }
  gabn_bad_images_free (found, n);
}

void
gabn_trainer_set_checkpoint (GabnTrainer *t, const char *path)
{
  g_free (t->checkpoint);
  t->checkpoint = g_strdup (path);
}

void
gabn_trainer_set_eval_options (GabnTrainer *t, const GabnEvalOptions *options)
{
  t->eval_options = *options;
}

/* ---- Controls ---------------------------------------------------------- */

void
gabn_trainer_pause (GabnTrainer *t)
{
  g_mutex_lock (&t->lock);
  t->paused = TRUE;
  g_mutex_unlock (&t->lock);
}

void
gabn_trainer_resume (GabnTrainer *t)
{
  g_mutex_lock (&t->lock);
  t->paused = FALSE;
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
}

void
gabn_trainer_cancel (GabnTrainer *t)
{
  g_cancellable_cancel (t->cancel);
  g_mutex_lock (&t->lock);
  g_cond_broadcast (&t->cond);
  g_mutex_unlock (&t->lock);
}

gboolean
gabn_trainer_is_paused (GabnTrainer *t)
{
  gboolean paused;

  g_mutex_lock (&t->lock);
  paused = t->paused;
  g_mutex_unlock (&t->lock);
  return paused;
}

gboolean
gabn_trainer_is_parked (GabnTrainer *t)
{
  gboolean parked;

  g_mutex_lock (&t->lock);
  parked = t->parked;
  g_mutex_unlock (&t->lock);
  return parked;
}

gint64
gabn_trainer_get_step (GabnTrainer *t)
{
  gint64 step;

  g_mutex_lock (&t->lock);
  step = t->step;
  g_mutex_unlock (&t->lock);
  return step;
}

gint64
gabn_trainer_get_total_steps (GabnTrainer *t)
{
  return t->total_steps;
}

GabnNet *
gabn_trainer_copy_net (GabnTrainer *t)
{
  GabnNet *copy;

  g_mutex_lock (&t->net_lock);
  copy = gabn_net_copy (t->net);
  g_mutex_unlock (&t->net_lock);
  return copy;
}

GabnNet *gabn_trainer_get_net (GabnTrainer *t) { return t->net; }
const GabnTrainConfig *gabn_trainer_get_config (GabnTrainer *t) { return &t->config; }
const char *gabn_trainer_get_split_json (GabnTrainer *t) { return t->split_json; }
const GabnEvalReport *gabn_trainer_get_last_report (GabnTrainer *t) { return t->last_report; }

void
gabn_trainer_get_cache_stats (GabnTrainer *t, gint64 *hits, gint64 *misses)
{
  gsize bytes;

  *hits = *misses = 0;
  if (t->cache)
    gabn_image_cache_stats (t->cache, hits, misses, &bytes);
}

/* ---- Checkpoints ------------------------------------------------------- */

/* "skipped_images": [{"file": …, "reason": …}], called under t->lock. */
static char *
skipped_json (GabnTrainer *t)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (b);
  for (guint i = 0; i + 1 < t->skipped->len; i += 2)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "file");
      json_builder_add_string_value (b, t->skipped->pdata[i]);
      json_builder_set_member_name (b, "reason");
      json_builder_add_string_value (b, t->skipped->pdata[i + 1]);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static char *
groups_json (const GabnDataset *ds)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (b);
  for (int g = 0; g < ds->n_groups; g++)
    json_builder_add_string_value (b, ds->groups[g].name);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* Called with t->net_lock held. */
static gboolean
save_locked (GabnTrainer *t, const char *path, GError **error)
{
  g_autoptr(GHashTable) meta = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                      NULL, g_free);
  g_autofree char *state_path = g_strconcat (path, ".state", NULL);
  g_autofree char *pending = g_strconcat (path, ".state.new", NULL);
  g_autofree char *id = g_uuid_string_random ();
  GabnSidecarTensor tensors[5] = { {
    "discriminator", gabn_discriminator_params (t->disc),
    gabn_discriminator_n_params (t->disc) } };
  char *names[4] = { NULL };
  int n_tensors = 1;
  gboolean ok;
  g_autoptr(GHashTable) disc_meta = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           g_free, g_free);

  /* The step and the report under the short lock; the files without it. */
  g_mutex_lock (&t->lock);
  g_hash_table_insert (meta, (gpointer) "groups", groups_json (t->dataset));
  g_hash_table_insert (meta, (gpointer) "train_config",
                       gabn_train_config_to_json (&t->config));
  g_hash_table_insert (meta, (gpointer) "split", g_strdup (t->split_json));
  g_hash_table_insert (meta, (gpointer) "trainer_state",
                       g_strdup_printf ("{\"step\":%" G_GINT64_FORMAT
                                        ",\"epoch\":%d,\"total_steps\":%"
                                        G_GINT64_FORMAT ",\"finished\":%s}",
                                        t->step, (int) (t->step / t->steps_per_epoch),
                                        t->total_steps,
                                        t->step >= t->total_steps ? "true" : "false"));
  if (t->last_report)
    g_hash_table_insert (meta, (gpointer) "eval",
                         gabn_eval_report_to_json (t->last_report, TRUE));
  if (t->skipped->len > 0)
    g_hash_table_insert (meta, (gpointer) "skipped_images", skipped_json (t));
  g_hash_table_insert (disc_meta, g_strdup ("step"),
                       g_strdup_printf ("%" G_GINT64_FORMAT, t->step));
  g_mutex_unlock (&t->lock);
  /* The id that ties the model to its sidecar (see find_sidecar). */
  g_hash_table_insert (meta, (gpointer) "checkpoint", g_strdup (id));
  g_hash_table_insert (disc_meta, g_strdup ("checkpoint"), g_strdup (id));
  g_hash_table_insert (disc_meta, g_strdup ("shape"),
                       g_strdup_printf ("[%d,%d,%d]",
                                        gabn_discriminator_n_cells (t->disc),
                                        gabn_discriminator_hidden (t->disc),
                                        gabn_discriminator_n_groups (t->disc)));
  n_tensors += optim_tensors (t->optim, "optim", tensors + n_tensors,
                              names, disc_meta);
  n_tensors += optim_tensors (t->disc_optim, "disc_optim", tensors + n_tensors,
                              names + n_tensors - 1, disc_meta);
  /* Crash-safe in three atomic steps: the sidecar aside, the model (the
   * commit), the sidecar in place. Killed at any moment, the model on disk
   * has its own sidecar as PATH.state or PATH.state.new. */
  ok = gabn_sidecar_write (pending, tensors, n_tensors, disc_meta, error);
  for (int i = 0; i < 4; i++)
    g_free (names[i]);
  if (!ok || !gabn_model_save (t->net, path, meta, error))
    return FALSE;
  if (g_rename (pending, state_path) != 0)
    {
      int saved = errno;
      g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED, _("cannot rename %s to %s: %s"),
                   pending, state_path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
gabn_trainer_save (GabnTrainer *t, const char *path, GError **error)
{
  gboolean ok;

  g_mutex_lock (&t->net_lock);
  ok = save_locked (t, path, error);
  g_mutex_unlock (&t->net_lock);
  return ok;
}

/* ---- The loop ---------------------------------------------------------- */

static void
chain_cancel (GCancellable *user, gpointer data)
{
  gabn_trainer_cancel (data);
}

/* Waits while paused. FALSE when cancelled. */
static gboolean
wait_if_paused (GabnTrainer *t)
{
  g_mutex_lock (&t->lock);
  while (t->paused && !g_cancellable_is_cancelled (t->cancel))
    {
      t->parked = TRUE;
      g_cond_wait (&t->cond, &t->lock);
    }
  t->parked = FALSE;
  g_mutex_unlock (&t->lock);
  return !g_cancellable_is_cancelled (t->cancel);
}

static gboolean
cancelled_error (GabnTrainer *t, GError **error)
{
  g_set_error (error, GABN_ERROR, GABN_ERROR_CANCELLED, _("training cancelled"));
  return FALSE;
}

static gboolean
evaluate_epoch (GabnTrainer *t, int epoch, GError **error)
{
  GabnEvalReport *report;

  g_mutex_lock (&t->net_lock);
  report = gabn_evaluate (t->net, t->dataset, t->split->pairs, t->split->n_pairs,
                          &t->eval_options, NULL, NULL, t->cancel, error);
  if (report && t->eval_options.gam_max_per_group > 0)
    {
      g_autoptr(GError) diag_error = NULL;

      /* The diagnostics are auxiliary: an image found unreadable there
       * costs this epoch's adversary figures, never the run (the next
       * epoch picks around it); a cancel still ends the run. */
      if (gabn_train_diagnostics (report, t->net, t->dataset, t->split, &t->config,
                                  t->config.method == GABN_METHOD_GABN ? t->disc : NULL,
                                  t->eval_options.gam_max_per_group,
                                  t->eval_options.threads, t->cancel, &diag_error))
        report->has_train_maps = TRUE;
      else if (g_error_matches (diag_error, GABN_ERROR, GABN_ERROR_CANCELLED))
        {
          g_propagate_error (error, g_steal_pointer (&diag_error));
          g_clear_pointer (&report, gabn_eval_report_free);
        }
      else
        g_warning ("epoch %d: no adversary diagnostics: %s", epoch + 1, diag_error->message);
    }
  g_mutex_unlock (&t->net_lock);
  name_new_bad_images (t);
  if (!report)
    return FALSE;
  report->train_gam = t->config.gam;
  report->grad_ratio = t->epoch_ratio_count > 0
    ? t->epoch_ratio_sum / t->epoch_ratio_count : NAN;
  report->batch_disc_accuracy = t->epoch_disc_count > 0
    ? t->epoch_disc_sum / t->epoch_disc_count : NAN;
  report->epoch = epoch;
  report->step = t->step;
  g_mutex_lock (&t->lock);
  gabn_eval_report_free (t->last_report);
  t->last_report = report;
  g_mutex_unlock (&t->lock);
  if (t->epoch_func)
    t->epoch_func (report, t->user_data);
  return TRUE;
}

static gboolean
run_epoch (GabnTrainer *t, int epoch, gint64 *steps_this_run,
           double *train_seconds, GError **error)
{
  GabnBatcherConfig bc;
  g_autoptr(GabnBatcher) batcher = NULL;
  gint64 first = (gint64) epoch * t->steps_per_epoch;
  gint64 end = MIN (first + t->steps_per_epoch, t->total_steps);

  gabn_batcher_config_init (&bc);
  bc.size = gabn_net_input_size (t->net);
  bc.preprocess = *gabn_net_get_preprocess (t->net);
  bc.batch_size = t->config.batch_size;
  bc.sampling = t->config.sampling;
  bc.flip = t->config.flip;
  /* One stream per epoch, so a resumed run skips at most one epoch's
   * batches; the seed depends only on the run's seed and the epoch. */
  bc.seed = t->config.seed * G_GUINT64_CONSTANT (1000003) + (guint64) epoch;
  bc.threads = 1;
  /* A resumed epoch starts at its step: nothing before it is decoded. */
  bc.first_batch = t->step - first;
  /* Decoded images are kept across epochs (folder datasets decode once). */
  if (!t->cache && bc.cache_bytes > 0)
    t->cache = gabn_image_cache_new (bc.cache_bytes);
  bc.cache = t->cache;
  batcher = gabn_batcher_new (t->dataset, t->train_images, t->train_labels,
                              t->n_train, &bc, error);
  if (!batcher)
    return FALSE;
  t->epoch_ratio_sum = t->epoch_disc_sum = 0.0;
  t->epoch_ratio_count = t->epoch_disc_count = 0;
  while (t->step < end)
    {
      GabnStepReport report = { 0 };
      GabnBatch *batch;
      gint64 t0;
      float lr;

      if (!wait_if_paused (t))
        return cancelled_error (t, error);
      t0 = g_get_monotonic_time ();
      batch = gabn_batcher_next (batcher, t->cancel, error);
      if (!batch)
        return FALSE;
      name_new_bad_images (t);
      g_mutex_lock (&t->net_lock);
      lr = gabn_lr_schedule_lr (&t->schedule, t->config.lr, t->step);
      if (!gabn_step_compute (t->step_state, batch->input, batch->labels,
                              batch->groups, batch->batch_size, t->step, &report))
        {
          /* Cancelled mid-step: the step is dropped, the net is as it was. */
          g_mutex_unlock (&t->net_lock);
          gabn_batcher_release (batcher, batch);
          return cancelled_error (t, error);
        }
      gabn_optim_step (t->optim, lr);
      g_mutex_unlock (&t->net_lock);
      g_mutex_lock (&t->lock);
      t->step++;
      g_mutex_unlock (&t->lock);
      gabn_batcher_release (batcher, batch);

      if (isfinite (report.grad_ratio))
        {
          t->epoch_ratio_sum += report.grad_ratio;
          t->epoch_ratio_count++;
        }
      if (t->config.method == GABN_METHOD_GABN)
        {
          t->epoch_disc_sum += report.disc_accuracy;
          t->epoch_disc_count++;
        }
      (*steps_this_run)++;
      *train_seconds += (g_get_monotonic_time () - t0) / 1e6;
      report.step = t->step;
      report.total_steps = t->total_steps;
      report.epoch = epoch;
      report.n_epochs = t->config.epochs;
      report.step_in_epoch = (int) (t->step - first);
      report.steps_per_epoch = t->steps_per_epoch;
      report.lr = lr;
      report.images_per_second = *train_seconds > 0
        ? *steps_this_run * t->config.batch_size / *train_seconds : 0.0;
      report.eta_seconds = (t->total_steps - t->step) * (*train_seconds / *steps_this_run);
      if (t->step_func)
        t->step_func (&report, t->user_data);
      if (!isfinite (report.loss))
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED,
                       _("the loss is not finite at step %lld (learning rate too high?)"),
                       (long long) t->step);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
gabn_trainer_run (GabnTrainer *t, GCancellable *cancellable, GError **error)
{
  gulong handler = 0;
  gint64 start_step = t->step, steps_this_run = 0;
  double train_seconds = 0.0;
  gboolean ok = TRUE;
  GError *local = NULL;

  g_mutex_lock (&t->lock);
  if (t->running)
    {
      g_mutex_unlock (&t->lock);
      g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED, _("the trainer is already running"));
      return FALSE;
    }
  t->running = TRUE;
  g_mutex_unlock (&t->lock);
  g_cancellable_reset (t->cancel);
  if (cancellable)
    handler = g_cancellable_connect (cancellable, G_CALLBACK (chain_cancel), t, NULL);
  if (t->config.threads > 0)
    gabn_set_threads (t->config.threads);

  while (ok && t->step < t->total_steps)
    {
      int epoch = (int) (t->step / t->steps_per_epoch);
      gint64 epoch_end = MIN ((gint64) (epoch + 1) * t->steps_per_epoch, t->total_steps);

      ok = run_epoch (t, epoch, &steps_this_run, &train_seconds, &local);
      if (ok && t->step == epoch_end && t->config.eval_every_epoch)
        ok = evaluate_epoch (t, epoch, &local);
      if (ok && t->checkpoint)
        ok = gabn_trainer_save (t, t->checkpoint, &local);
    }
  /* A run that stopped early still leaves its progress on disk. */
  if (!ok && t->checkpoint && t->step > start_step)
    {
      g_autoptr(GError) save_error = NULL;
      if (!gabn_trainer_save (t, t->checkpoint, &save_error))
        g_warning ("%s", save_error->message);
    }
  if (cancellable)
    g_cancellable_disconnect (cancellable, handler);
  g_mutex_lock (&t->lock);
  t->running = FALSE;
  g_mutex_unlock (&t->lock);
  if (!ok)
    g_propagate_error (error, local);
  return ok;
}
