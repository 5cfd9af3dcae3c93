/* gabn-synth.h: the synthetic face generator — the embedded default dataset
 * of the first run, the teaching demo and the tests.
 * CONTRACT shared by the data pipeline, the CLI (`gabn synth`) and the app.
 *
 * Faces are drawn with Cairo. An identity is a vector of facial-geometry and
 * texture parameters; a group is a distribution over skin tone, contrast and
 * WHICH facial regions vary between its identities. Each image adds small
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
  GABN_SYNTH_BALANCED,
  GABN_SYNTH_IMBALANCED,
  GABN_SYNTH_SMALL_REGION,
} GabnSynthPreset;

#define GABN_SYNTH_DEFAULT_PRESET GABN_SYNTH_SMALL_REGION
#define GABN_SYNTH_N_GROUPS 4

typedef struct {
  GabnSynthPreset preset;   /* nick: "balanced", "imbalanced", "small-region" */
  const char     *nick;
  const char     *title;       /* translated short title */
  const char     *description; /* translated paragraph a teacher can read */
} GabnSynthPresetInfo;

typedef struct {
  GabnSynthPreset preset;
  guint64  seed;            /* default 1 */
  int      identities;      /* per group, held-out included; default 100.
                               imbalanced: the largest group's count */
  int      images;          /* per identity; default 10 */
  int      size;            /* pixels (square); default 64 */
  double   holdout_fraction;/* identities per group held out for pairs;
                               default 0.2 (at least 2 per group) */
  int      pairs_per_fold;  /* genuine pairs per fold and group (as many
                               impostors); default 30, fewer when the
                               held-out identities cannot make that many */
  gboolean jitter;          /* per-image pose/lighting/expression jitter;
                               default TRUE (tests turn it off) */
} GabnSynthConfig;

/* The presets, in menu order; *n_presets receives their count. */
const GabnSynthPresetInfo *gabn_synth_presets (int *n_presets);

/* Looks a preset up by its nick; FALSE when unknown. */
gboolean gabn_synth_preset_from_nick (const char *nick,
                                      GabnSynthPreset *preset);

/* Fills config with the defaults of preset. */
void gabn_synth_config_init (GabnSynthConfig *config, GabnSynthPreset preset);

/* Checks the values (sizes, counts) and says which is wrong. */
gboolean gabn_synth_config_validate (const GabnSynthConfig *config,
                                     GError **error);

/* Generates the dataset in memory (format "synthetic", pixels set, paths
 * NULL, description = gabn_synth_describe). Parallel over identities with
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

/* A multi-line, human-readable record of the generator's parameters for
 * config: the preset, seed, counts and each group's distributions (for
 * README.txt and the dataset's description). */
char *gabn_synth_describe (const GabnSynthConfig *config);

G_END_DECLS
