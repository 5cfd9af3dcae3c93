/* gabn-synth.h: the synthetic face generator — the embedded default dataset
 * of the first run, the teaching demo and the tests.
 * CONTRACT shared by the data pipeline, the CLI (`gabn synth`) and the app.
 *
 * Faces are drawn with Cairo. An identity is a vector of facial-geometry and
 * texture parameters over the whole face; every group varies in the same
 * parameters by the same amounts (a group is a skin tone and hair colour).
 * Bias enters only through a preset's knobs: collection (training share
 * per group), capture (a camera exposed for lighter skin) and shortcut
 * (the face's apparent outline unreliable from photo to photo). Each image adds small
 * pose, lighting and expression jitter. Everything is seeded: the same
 * config gives the same bytes, on any number of threads.
 *
 * Identities of each group are split into training and held-out ones; the
 * dataset's pairs (10 folds of genuine and impostor pairs, balanced per
 * group) are drawn from the held-out ones only — the same number of held-out
 * identities in every group, whatever the preset. */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

typedef enum {
  GABN_SYNTH_REALISTIC,     /* all three knobs: the default */
  GABN_SYNTH_BALANCED,      /* no knob: the negative control */
  GABN_SYNTH_IMBALANCED,    /* collection only */
  GABN_SYNTH_CAPTURE,       /* capture only */
  GABN_SYNTH_SHORTCUT,      /* shortcut only */
} GabnSynthPreset;

#define GABN_SYNTH_DEFAULT_PRESET GABN_SYNTH_REALISTIC
#define GABN_SYNTH_N_PRESETS 5
#define GABN_SYNTH_N_GROUPS 4

/* Facial regions: each identity parameter belongs to one. */
typedef enum {
  GABN_REGION_OUTLINE = 1 << 0, /* face width, height, jaw, ears */
  GABN_REGION_HAIR    = 1 << 1, /* hair tone, hairline, volume, length, parting */
  GABN_REGION_BROWS   = 1 << 2, /* height, tilt, thickness, length, arch, tone */
  GABN_REGION_EYES    = 1 << 3, /* spacing, height, size, iris, tilt */
  GABN_REGION_NOSE    = 1 << 4, /* length, width, bridge */
  GABN_REGION_MOUTH   = 1 << 5, /* height, width, lips, tone, curve */
  GABN_REGION_TEXTURE = 1 << 6, /* skin tone, cheeks, freckles, beard shadow */
  GABN_REGION_ALL     = (1 << 7) - 1,
} GabnSynthRegion;

#define GABN_SYNTH_N_REGIONS 7
/* The region the shortcut knob makes unreliable: the outline (face width,
 * height, jaw, ears as the photo shows them). In a photo that crushes a
 * darker face's inner detail, its silhouette against the background is
 * what stays most visible; its apparent shape changes with pose, distance
 * and lens. (Eyes and brows, and the hair, were tried first: measured in
 * docs/RESULTS.md.) */
#define GABN_SYNTH_SHORTCUT_REGIONS GABN_REGION_OUTLINE

/* "outline", "hair", … for region index r (bit 1 << r). */
const char *gabn_synth_region_name (int r);

typedef struct {
  GabnSynthPreset preset;   /* nick: "realistic", "balanced", "imbalanced",
                               "capture", "shortcut" */
  const char     *nick;
  const char     *title;       /* translated short title */
  const char     *description; /* translated paragraph a teacher can read */
} GabnSynthPresetInfo;

typedef struct _GabnSynthConfig {
  GabnSynthPreset preset;
  guint64  seed;            /* default 1001 (the shipped models' data) */
  int      identities;      /* per group, held-out included; default 60.
                               imbalanced: the largest group's count */
  int      images;          /* per identity; default 8 (the defaults are
                               the data of the models shipped with the app) */
  int      size;            /* pixels (square); default 64 */
  double   holdout_fraction;/* identities per group held out for pairs;
                               default 0.2 (at least 2 per group) */
  int      heldout;         /* when > 0: that many held out per group
                               instead of the fraction (2 ≤ n < identities).
                               Identity i of a group looks the same whatever
                               the count, so more held-out people measure
                               the same training people on more new ones */
  int      share;           /* when > 0: Groups C and D's training people
                               as a percent of Group A's, instead of the
                               preset's (its collection knob must be on) */
  int      pairs_per_fold;  /* genuine pairs per fold and group (as many
                               impostors); default 30, fewer when the
                               held-out identities cannot make that many */
  gboolean jitter;          /* per-image pose/lighting/expression jitter;
                               default TRUE (tests turn it off) */
} GabnSynthConfig;

/* The presets, in menu order; *n_presets receives their count. */
const GabnSynthPresetInfo *gabn_synth_presets (int *n_presets);

/* Looks a preset up by its nick ("" or NULL: the default); FALSE when
 * unknown. */
gboolean gabn_synth_preset_from_nick (const char *nick,
                                      GabnSynthPreset *preset);

/* Fills config with the defaults of preset. */
void gabn_synth_config_init (GabnSynthConfig *config, GabnSynthPreset preset);

/* Checks the values (sizes, counts) and says which is wrong. */
gboolean gabn_synth_config_validate (const GabnSynthConfig *config,
                                     GError **error);

/* Generates the dataset in memory (format "synthetic", pixels set, paths
 * NULL, description = gabn_synth_describe, synth = a copy of config; the
 * identities of each group in order, so identity number k of group g is
 * the dataset's k-th identity of g). Parallel over identities with
 * gabn_parallel_for. Progress is reported from the calling thread. */
GabnDataset *gabn_synth_generate (const GabnSynthConfig *config,
                                  GabnProgressFunc progress,
                                  gpointer user_data,
                                  GCancellable *cancellable, GError **error);

/* Writes a generated dataset to dir in the generic layout:
 * dir/<group>/<identity>/<NN>.png, dir/pairs.tsv (path1 TAB path2 TAB same
 * TAB fold), dir/README.txt (the description). dir must not exist or be
 * empty; any other folder is refused, so no file is ever overwritten. The
 * dataset is written into a temporary folder beside dir and renamed into
 * place when complete (removed on failure or cancel). */
gboolean gabn_synth_write (const GabnSynthConfig *config, const char *dir,
                           GabnProgressFunc progress, gpointer user_data,
                           GCancellable *cancellable, GError **error);

/* Renders image `image` of identity `number` of group `group` as
 * gabn_synth_generate does, except that the parameters of `regions` come
 * from identity `donor` of the same group (pose, light, grain unchanged):
 * the region swap behind the ground-truth reliance. size×size×3 bytes. */
void gabn_synth_render_swapped (const GabnSynthConfig *config, int group,
                                int number, int image, guint regions,
                                int donor, guint8 *rgb);

/* Training identities of group g under config (the collection knob). */
int gabn_synth_train_count (const GabnSynthConfig *config, int group);

/* A multi-line, human-readable record of the generator's parameters for
 * config: the preset, seed, counts and each group's distributions (for
 * README.txt and the dataset's description). */
char *gabn_synth_describe (const GabnSynthConfig *config);

G_END_DECLS
