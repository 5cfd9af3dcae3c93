/* gabn-cli-open.h: what the model commands (train, eval, embed, gam,
 * inspect) share: opening a dataset or the built-in generator, loading a
 * model, reading one image file, printing an evaluation table. */
#pragma once

#include "gabn-dataset.h"
#include "gabn-evaluate.h"
#include "gabn-net.h"

#include <stdio.h>

G_BEGIN_DECLS

/* DATA is a dataset folder, or "synth:PRESET" for the built-in generator
 * (presets realistic, balanced, imbalanced, capture, shortcut; "synth:"
 * alone is realistic) with optional
 * comma-separated settings: "synth:realistic,identities=20,images=6,
 * seed=3,size=64" (per-group identities, images per identity; the
 * generator's defaults otherwise). pairs_file (nullable) overrides the
 * folder's pairs. Progress goes to stderr when it is a terminal. */
GabnDataset *gabn_cli_open_dataset (const char *spec, const char *pairs_file,
                                    GError **error);

/* Decodes one image file into a model's input: RGB, bilinear resize to the
 * model's size, its preprocessing (gabn_net_get_preprocess), channels
 * first. */
gboolean gabn_cli_load_image_file (const char *path, const GabnPreprocess *pre,
                                   gboolean flip, float *chw, GError **error);

/* The readable per-group table (accuracies in percent) and the summary. */
void gabn_cli_print_report (FILE *out, const GabnEvalReport *report);

/* On stderr: the images of dataset found unreadable so far, one a line
 * (file: reason), at most 20, then how many more. Nothing when none. */
void gabn_cli_print_bad_images (const GabnDataset *dataset);

/* A JSON number or null (NaN) as text, for hand-built JSON. */
char *gabn_cli_json_number (double value);

G_END_DECLS
