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

/* Every description says what differs between the groups and that it is
 * the data or the camera, never the faces: these texts reach classrooms. */
static const GabnSynthPresetInfo presets[] = {
  { GABN_SYNTH_REALISTIC, "realistic", N_("Realistic (default)"),
    N_("Four groups, Group A to Group D, from lighter to darker skin. In every group "
       "the same features vary from one person to the next, by the same amounts: "
       "every group's faces carry the same identity information. Three things about "
       "how the data was made differ, as they do in real face datasets: fewer "
       "training people were collected from Groups C and D (three for every ten of "
       "Group A); the camera's exposure suits lighter skin, so darker faces come "
       "out with crushed shadows and more noise, so that their outline against the "
       "background is what stays most visible — and the outline, as a photo shows "
       "it, changes from photo to photo: a salient cue that cannot be trusted. "
       "The test pairs come from new people, the same number in every group.") },
  { GABN_SYNTH_BALANCED, "balanced", N_("Balanced"),
    N_("The same four groups with none of the three problems: as many training "
       "people in every group, a camera that exposes each face for its own skin, "
       "and an outline as stable as the rest of the face. A recognizer trained "
       "on it should be about equally accurate for every group: the control "
       "experiment.") },
  { GABN_SYNTH_IMBALANCED, "imbalanced", N_("Imbalanced collection"),
    N_("Only the collection problem: Group A has the most training people, Group B "
       "eight for every ten of A's, Groups C and D three, as in training sets "
       "crawled from the web. Faces and camera are as in the balanced preset; the "
       "test pairs are balanced across groups, so the effect of the imbalance "
       "alone can be measured.") },
  { GABN_SYNTH_CAPTURE, "capture", N_("Capture"),
    N_("Only the capture problem: one camera whose exposure was set for lighter "
       "skin photographs everyone, with light from above. Darker faces come out "
       "darker, their lower half falls into the camera's crushed shadows "
       "(compressed contrast) and carries more sensor noise. The information is "
       "in the faces; the photo loses part of it.") },
  { GABN_SYNTH_SHORTCUT, "shortcut", N_("Shortcut"),
    N_("Only the shortcut: in every group, the outline of the face as the photo shows "
       "it (width, height, jaw, ears) changes from one photo of a person to the next, "
       "as pose, distance and lens change it, while the rest of the face stays. It is "
       "a coarse, salient cue but an unreliable one; a recognizer that latches onto it "
       "instead of the whole face verifies people less well.") },
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
  if (nick == NULL || *nick == '\0')
    {
      *preset = GABN_SYNTH_DEFAULT_PRESET;
      return TRUE;
    }
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
    .seed = 1001,
    .identities = 60,
    .images = 8,
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

  if ((guint) c->preset >= GABN_SYNTH_N_PRESETS)
    what = _("unknown preset");
  else if (c->identities < 3 || c->identities > 100000)
    what = _("identities per group must be between 3 and 100000");
  else if (c->images < 1 || c->images > 1000)
    what = _("images per identity must be between 1 and 1000");
  else if (c->size < 16 || c->size > 512)
    what = _("the image size must be between 16 and 512 pixels");
  else if (!(c->holdout_fraction > 0.0 && c->holdout_fraction < 1.0))
    what = _("the held-out fraction must be between 0 and 1");
  else if (c->heldout != 0 && (c->heldout < 2 || c->heldout >= c->identities))
    what = _("held-out identities must be at least 2 and fewer than the identities per group");
  else if (c->share != 0 && gabn_synth_knobs (c->preset)->train_share[3] >= 1.0)
    what = _("a training share needs a preset that collects fewer people of some groups (realistic, imbalanced)");
  else if (c->toe != 0 && !gabn_synth_knobs (c->preset)->capture)
    what = _("a toe setting needs a preset whose camera is exposed for lighter skin (realistic, capture)");
  else if (c->toe < 0 || c->toe > 100)
    what = _("the toe must be a percent between 1 and 100");
  else if (c->share < 0 || c->share > 100)
    what = _("the training share must be a percent between 1 and 100");
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
  int h = c->heldout > 0 ? c->heldout
                         : (int) lround (c->holdout_fraction * c->identities);
  return CLAMP (h, 2, c->identities - 1);
}

/* The preset's knobs with the config's strengths applied. */
static void
config_knobs (const GabnSynthConfig *c, GabnSynthKnobs *kn)
{
  *kn = *gabn_synth_knobs (c->preset);
  if (c->toe > 0)
    kn->toe_slope = c->toe / 100.0;
}

int
gabn_synth_train_count (const GabnSynthConfig *c, int group)
{
  double share = gabn_synth_knobs (c->preset)->train_share[group];
  int t;

  /* The knob's strength: the two groups the preset collects least of. */
  if (c->share > 0 && group >= 2)
    share = c->share / 100.0;
  t = (int) lround ((c->identities - holdout_count (c)) * share);
  return MAX (t, 1);
}

static const char *const region_names[GABN_SYNTH_N_REGIONS] = {
  "outline", "hair", "brows", "eyes", "nose", "mouth", "texture",
};

const char *
gabn_synth_region_name (int r)
{
  return r >= 0 && r < GABN_SYNTH_N_REGIONS ? region_names[r] : NULL;
}

char *
gabn_synth_describe (const GabnSynthConfig *c)
{
  const GabnSynthGroup *groups = gabn_synth_groups ();
  const GabnSynthKnobs *kn = gabn_synth_knobs (c->preset);
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
  g_string_append_printf (s, "Knobs: collection %s, capture %s, shortcut %s.\n",
                          kn->train_share[3] < 1.0 ? "on" : "off",
                          kn->capture ? "on" : "off", kn->shortcut ? "on" : "off");
  if (kn->capture)
    g_string_append_printf (s, "The capture camera keeps %d %% of the contrast below "
                            "its knee.\n", c->toe > 0 ? c->toe : (int) lround (kn->toe_slope * 100));
  g_string_append (s, "Groups (skin as RGB 0-255):\n");
  for (int g = 0; g < GABN_SYNTH_N_GROUPS; g++)
    {
      const GabnSynthGroup *gr = &groups[g];
      g_string_append_printf (s, "  %s: skin %d,%d,%d ± %.0f%%, training identities %d, "
                              "held out %d\n",
                              gr->name, (int) lround (gr->skin[0] * 255),
                              (int) lround (gr->skin[1] * 255), (int) lround (gr->skin[2] * 255),
                              gr->tone_spread * 100, gabn_synth_train_count (c, g),
                              holdout_count (c));
    }
  g_string_append (s,
    "\nAn identity is a vector of parameters in [-1, 1], one set per region, the\n"
    "same parameters and spreads in every group:\n"
    "  outline: face width, face height, jaw width, ear size\n"
    "  hair: tone, hairline height, volume, side length, parting\n"
    "  brows: height, tilt, thickness, length, arch, tone\n"
    "  eyes: spacing, height, width, openness, iris size, iris tone, tilt\n"
    "  nose: length, width, bridge shadow\n"
    "  mouth: height, width, lip thickness, lip tone, curve\n"
    "  texture: skin tone, cheek colour, freckles, beard shadow\n"
    "Camera: metered on each face's skin; with capture, metered on Group A's skin\n");
  g_string_append_printf (s,
    "for everyone, a shadow over the lower face (%.0f%% at the chin), shadows below\n"
    "%.0f%% compressed to %d%% of their contrast, sensor noise sd %.0f levels (else %.0f).\n"
    "Shortcut: outline parameters + N(0, %.1f²) per photo.\n",
    GABN_SYNTH_SHADOW_DEPTH * 100, GABN_SYNTH_TOE_KNEE * 100,
    c->toe > 0 ? c->toe : (int) lround (kn->toe_slope * 100),
    GABN_SYNTH_GRAIN_CAPTURE, GABN_SYNTH_GRAIN, GABN_SYNTH_SHORTCUT_SD);
  g_string_append (s,
    "Per-image jitter (when on): rotation sd 2° (max 5°), shift sd 1.2% (max 3%),\n"
    "scale sd 2%, directional light up to ±15%, brightness sd 7%, smile,\n"
    "eye openness sd 8%, brow raise, background grey 35-65%.\n");
  return g_string_free (s, FALSE);
}

/* One identity to render. */
typedef struct {
  int group, number, first_image;
} Job;

typedef struct {
  const GabnSynthConfig *config;
  const GabnSynthGroup *groups;
  const GabnSynthKnobs *knobs;
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
          gabn_synth_jitter_draw (w->knobs, w->config->jitter, w->config->seed,
                                  job->group, job->number, k, &jit);
          gabn_synth_render (g, w->knobs, &id, &jit, w->config->size,
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
  GabnSynthKnobs knobs;
  const int block = 32;

  if (!gabn_synth_config_validate (c, error))
    return NULL;
  groups = gabn_synth_groups ();
  builder = gabn_dataset_builder_new ("synthetic", NULL);
  jobs = g_array_new (FALSE, FALSE, sizeof (Job));
  held_out = g_array_new (FALSE, FALSE, sizeof (int));

  for (int g = 0; g < GABN_SYNTH_N_GROUPS; g++)
    {
      int group = gabn_dataset_builder_group (builder, groups[g].name);
      int n_train = gabn_synth_train_count (c, g), n = n_train + holdout_count (c);
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
  ds->synth = g_memdup2 (c, sizeof *c);
  ds->pixels = g_malloc ((gsize) ds->n_images * c->size * c->size * 3);

  config_knobs (c, &knobs);
  work = (RenderWork) { c, groups, &knobs,
                        (const Job *) (gpointer) jobs->data, ds->pixels };
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

void
gabn_synth_render_swapped (const GabnSynthConfig *c, int group, int number,
                           int image, guint regions, int donor, guint8 *rgb)
{
  const GabnSynthGroup *g = &gabn_synth_groups ()[group];
  GabnSynthKnobs knobs, *kn = &knobs;
  GabnSynthIdentity id, other;
  GabnSynthJitter jit;

  config_knobs (c, &knobs);

  gabn_synth_identity_draw (g, group, c->seed, number, &id);
  gabn_synth_identity_draw (g, group, c->seed, donor, &other);
  gabn_synth_identity_swap (&id, &other, regions);
  gabn_synth_jitter_draw (kn, c->jitter, c->seed, group, number, image, &jit);
  gabn_synth_render (g, kn, &id, &jit, c->size, rgb);
}
