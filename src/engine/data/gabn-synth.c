/* gabn-synth.c: the synthetic face dataset — presets, settings, generation
 * in memory. The face model is gabn-synth-face.c, writing to disk
 * gabn-synth-write.c. */
#include "gabn-synth.h"
#include "gabn-synth-face.h"
#include "gabn-dataset-builder.h"
#include "gabn-pairs.h"
#include "gabn-parallel.h"
#include "gabn-data-util.h"

#include <glib/gi18n.h>
#include <math.h>

static const GabnSynthPresetInfo presets[] = {
  { GABN_SYNTH_SMALL_REGION, "small-region", N_("Small region (default)"),
    N_("Four groups of equal size. In Group A and Group B every part of the face "
       "differs from one person to the next: outline, hair, brows, eyes, nose, "
       "mouth and skin texture. In Group C only the inner face differs (eyes, "
       "brows, nose and mouth) and in Group D only the eyes and brows; both have darker skin and less "
       "contrast between the features and the skin. A recognizer trained on this "
       "set can tell Group C and D people apart only from a small area of the "
       "face, so its attention maps for them are smaller and its accuracy is "
       "lower: the attention bias the GABN paper reports, built in on purpose.") },
  { GABN_SYNTH_BALANCED, "balanced", N_("Balanced"),
    N_("Four groups of equal size that differ only in the hue of their skin and "
       "hair, at the same brightness and contrast. In every group the whole face "
       "varies between people. A recognizer trained on it should be about equally "
       "accurate for every group and attend to similar areas: the control "
       "experiment.") },
  { GABN_SYNTH_IMBALANCED, "imbalanced", N_("Imbalanced"),
    N_("The faces of the balanced preset, but the training people are dominated "
       "by Group A (five times as many as each other group), as in training sets "
       "crawled from the web. The held-out people used for the test pairs are "
       "balanced across groups, so the effect of the imbalance alone can be "
       "measured.") },
};

const GabnSynthPresetInfo *
gabn_synth_presets (int *n_presets)
{
  *n_presets = G_N_ELEMENTS (presets);
  return presets;
}

gboolean
gabn_synth_preset_from_nick (const char *nick, GabnSynthPreset *preset)
{
  for (gsize i = 0; i < G_N_ELEMENTS (presets); i++)
    if (g_strcmp0 (nick, presets[i].nick) == 0)
      {
        *preset = presets[i].preset;
        return TRUE;
      }
  return FALSE;
}

void
gabn_synth_config_init (GabnSynthConfig *config, GabnSynthPreset preset)
{
  *config = (GabnSynthConfig) {
    .preset = preset,
    .seed = 1,
    .identities = 100,
    .images = 10,
    .size = 64,
    .holdout_fraction = 0.2,
    .pairs_per_fold = 30,
    .jitter = TRUE,
  };
}

gboolean
gabn_synth_config_validate (const GabnSynthConfig *c, GError **error)
{
  const char *what = NULL;

  if ((guint) c->preset > GABN_SYNTH_SMALL_REGION)
    what = _("unknown preset");
  else if (c->identities < 3 || c->identities > 100000)
    what = _("identities per group must be between 3 and 100000");
  else if (c->images < 1 || c->images > 1000)
    what = _("images per identity must be between 1 and 1000");
  else if (c->size < 16 || c->size > 512)
    what = _("the image size must be between 16 and 512 pixels");
  else if (!(c->holdout_fraction > 0.0 && c->holdout_fraction < 1.0))
    what = _("the held-out fraction must be between 0 and 1");
  else if (c->pairs_per_fold < 0)
    what = _("pairs per fold must not be negative");
  else if ((gint64) c->identities * c->images * GABN_SYNTH_N_GROUPS * c->size * c->size * 3
           > G_GINT64_CONSTANT (8) << 30)
    what = _("the dataset would need more than 8 GiB of memory");
  if (what)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("Invalid synthetic dataset settings: %s"), what);
      return FALSE;
    }
  return TRUE;
}

/* Held-out identities per group: the same in every group. */
static int
holdout_count (const GabnSynthConfig *c)
{
  int h = (int) lround (c->holdout_fraction * c->identities);
  return CLAMP (h, 2, c->identities - 1);
}

static int
train_count (const GabnSynthConfig *c, const GabnSynthGroup *g)
{
  int t = (int) lround ((c->identities - holdout_count (c)) * g->train_share);
  return MAX (t, 1);
}

static const char *const region_names[] = {
  "outline", "hair", "brows", "eyes", "nose", "mouth", "texture",
};

static void
append_regions (GString *s, guint regions)
{
  gboolean first = TRUE;
  if (regions == GABN_REGION_ALL)
    {
      g_string_append (s, "whole face (all regions)");
      return;
    }
  for (gsize r = 0; r < G_N_ELEMENTS (region_names); r++)
    if (regions & (1u << r))
      {
        g_string_append_printf (s, "%s%s", first ? "" : ", ", region_names[r]);
        first = FALSE;
      }
}

char *
gabn_synth_describe (const GabnSynthConfig *c)
{
  const GabnSynthGroup *groups = gabn_synth_groups (c->preset);
  GString *s = g_string_new (NULL);
  int n;
  const GabnSynthPresetInfo *info = gabn_synth_presets (&n);

  g_string_append_printf (s, "GABN Studio synthetic faces (gabn %s)\n\n", gabn_engine_version ());
  for (int i = 0; i < n; i++)
    if (info[i].preset == c->preset)
      g_string_append_printf (s, "Preset: %s\n%s\n\n", info[i].nick, info[i].description);
  g_string_append_printf (s, "seed %" G_GUINT64_FORMAT ", %d identities per group "
                          "(largest group), %d images per identity, %d×%d pixels, "
                          "per-image jitter %s\n",
                          c->seed, c->identities, c->images, c->size, c->size,
                          c->jitter ? "on" : "off");
  g_string_append_printf (s, "Held out for the pairs: %d identities in every group "
                          "(the last ones of each group); pairs.tsv has 10 folds of "
                          "up to %d genuine and %d impostor pairs per group.\n\n",
                          holdout_count (c), c->pairs_per_fold, c->pairs_per_fold);
  g_string_append (s, "Groups (skin as RGB 0-255; contrast 1 = full):\n");
  for (int g = 0; g < GABN_SYNTH_N_GROUPS; g++)
    {
      const GabnSynthGroup *gr = &groups[g];
      g_string_append_printf (s, "  %s: skin %d,%d,%d ± %.0f%%, contrast %.2f, "
                              "training identities %d, held out %d; identity lives in: ",
                              gr->name, (int) lround (gr->skin[0] * 255),
                              (int) lround (gr->skin[1] * 255), (int) lround (gr->skin[2] * 255),
                              gr->tone_spread * 100, gr->contrast, train_count (c, gr),
                              holdout_count (c));
      append_regions (s, gr->regions);
      g_string_append_c (s, '\n');
    }
  g_string_append (s,
    "\nAn identity is a vector of parameters in [-1, 1], one set per region:\n"
    "  outline: face width, face height, jaw width, ear size\n"
    "  hair: tone, hairline height, volume, side length, parting\n"
    "  brows: height, tilt, thickness, length, arch, tone\n"
    "  eyes: spacing, height, width, openness, iris size, iris tone, tilt\n"
    "  nose: length, width, bridge shadow\n"
    "  mouth: height, width, lip thickness, lip tone, curve\n"
    "  texture: cheek colour, freckles, beard shadow\n"
    "Regions that do not vary in a group keep the group's own value for every\n"
    "identity, so they carry no identity there.\n"
    "Per-image jitter (when on): rotation sd 2° (max 5°), shift sd 1.2% (max 3%),\n"
    "scale sd 2%, directional light up to ±15%, brightness sd 7%, smile,\n"
    "eye openness sd 8%, brow raise, grain sd 2 levels, background grey 35-65%.\n");
  return g_string_free (s, FALSE);
}

/* One identity to render. */
typedef struct {
  int group, number, first_image;
} Job;

typedef struct {
  const GabnSynthConfig *config;
  const GabnSynthGroup *groups;
  const Job *jobs;
  guint8 *pixels;
} RenderWork;

static void
render_range (int begin, int end, gpointer data)
{
  RenderWork *w = data;
  gsize image_bytes = (gsize) w->config->size * w->config->size * 3;

  for (int j = begin; j < end; j++)
    {
      const Job *job = &w->jobs[j];
      const GabnSynthGroup *g = &w->groups[job->group];
      GabnSynthIdentity id;

      gabn_synth_identity_draw (g, job->group, w->config->seed, job->number, &id);
      for (int k = 0; k < w->config->images; k++)
        {
          GabnSynthJitter jit;
          gabn_synth_jitter_draw (w->config->jitter, w->config->seed, job->group,
                                  job->number, k, &jit);
          gabn_synth_render (g, &id, &jit, w->config->size,
                             w->pixels + (gsize) (job->first_image + k) * image_bytes);
        }
    }
}

GabnDataset *
gabn_synth_generate (const GabnSynthConfig *c, GabnProgressFunc progress,
                     gpointer user_data, GCancellable *cancellable, GError **error)
{
  const GabnSynthGroup *groups;
  g_autoptr(GabnDatasetBuilder) builder = NULL;
  g_autoptr(GArray) jobs = NULL;
  g_autoptr(GArray) held_out = NULL;
  g_autofree char *description = NULL;
  GabnDataset *ds;
  RenderWork work;
  const int block = 32;

  if (!gabn_synth_config_validate (c, error))
    return NULL;
  groups = gabn_synth_groups (c->preset);
  builder = gabn_dataset_builder_new ("synthetic", NULL);
  jobs = g_array_new (FALSE, FALSE, sizeof (Job));
  held_out = g_array_new (FALSE, FALSE, sizeof (int));

  for (int g = 0; g < GABN_SYNTH_N_GROUPS; g++)
    {
      int group = gabn_dataset_builder_group (builder, groups[g].name);
      int n_train = train_count (c, &groups[g]), n = n_train + holdout_count (c);
      for (int i = 0; i < n; i++)
        {
          g_autofree char *name = g_strdup_printf ("id-%03d", i + 1);
          int id = gabn_dataset_builder_identity (builder, group, name);
          Job job = { g, i, gabn_dataset_builder_n_images (builder) };
          for (int k = 0; k < c->images; k++)
            gabn_dataset_builder_image (builder, NULL, group, id, -1, -1);
          g_array_append_val (jobs, job);
          if (i >= n_train)
            g_array_append_val (held_out, id);
        }
    }
  description = gabn_synth_describe (c);
  gabn_dataset_builder_set_description (builder, description);
  ds = gabn_dataset_builder_finish (builder, error);
  if (ds == NULL)
    return NULL;
  ds->pixel_size = c->size;
  ds->pixels = g_malloc ((gsize) ds->n_images * c->size * c->size * 3);

  work = (RenderWork) { c, groups, (const Job *) (gpointer) jobs->data, ds->pixels };
  for (guint start = 0; start < jobs->len; start += block)
    {
      int end = MIN (jobs->len, start + block);
      if (gabn_data_cancelled (cancellable, error))
        {
          gabn_dataset_free (ds);
          return NULL;
        }
      work.jobs = &g_array_index (jobs, Job, start);
      gabn_parallel_for (end - start, render_range, &work);
      if (progress)
        progress ((double) end / jobs->len, _("Drawing faces"), user_data);
    }

  g_free (ds->pairs);
  ds->pairs = gabn_pairs_draw (ds, (const int *) (gpointer) held_out->data, held_out->len,
                               c->pairs_per_fold, c->seed, &ds->n_pairs);
  return ds;
}
