/* gabn-evaluate.h: per-group verification and attention report of a net on
 * held-out pairs (DESIGN.md sections 1 and 2), and its JSON forms.
 * CONTRACT used by the trainer, `gabn eval`, `gabn inspect` and the app.
 *
 * Pairs are scored by the cosine of the two embeddings (option: each
 * embedding is e(x) + e(flip x)). A pair belongs to the group of its first
 * image. Accuracies are fractions (the UI shows percent). A value that
 * cannot be computed is NaN (JSON null): a group without pairs, SER when the
 * smallest error is 0, TAR without impostors…
 *
 * Attention measures use Grad-CAM maps P (DESIGN.md 1) of up to
 * gam_max_per_group of each group's pair images. Held-out people have no
 * class centre, so the GAM target is the cosine to their identity's centre
 * in the evaluation set: the mean embedding (held constant) of that
 * identity's evaluated images. */
#pragma once

#include "gabn-dataset.h"
#include "gabn-net.h"
#include "gabn-synth.h"

G_BEGIN_DECLS

/* TAR is reported at FAR 1e-2, 1e-3, 1e-4 (index 0, 1, 2). */
#define GABN_N_FAR 3
double      gabn_far_target (int index);  /* 1e-2, 1e-3, 1e-4 */
const char *gabn_far_name (int index);    /* "1e-2", "1e-3", "1e-4" */

typedef struct {
  char   *name;
  int     n_pairs, n_genuine, n_impostor;
  double  accuracy;       /* 10-fold accuracy, mean over folds */
  double  accuracy_std;   /* std over folds, ddof 0 */
  double  tar_at_far[GABN_N_FAR];
  double  fmr, fnmr;      /* at the report's global threshold */
  int     n_gam_images;   /* maps averaged for the attention measures */
  double  region50, region80; /* sensitive-region size, fraction of cells */
  double  js_to_reference;    /* JS(M_g, M_reference), natural log */
  float  *mean_gam;       /* gam_h × gam_w, row-major, sums to 1 */
  /* Ground-truth reliance per facial region (gabn-reliance.h), shares
   * summing to 1, indexed like gabn_synth_region_name; all NaN when the
   * data is not synthetic. */
  double  reliance[GABN_SYNTH_N_REGIONS];
  int     n_roc;
  float  *roc_far, *roc_tar;  /* n_roc points from (0,0) to (1,1) */
} GabnGroupReport;

typedef struct {
  int     epoch;          /* 0-based training epoch, −1 outside training */
  gint64  step;           /* optimiser steps done, 0 outside training */
  int     n_groups;
  GabnGroupReport *groups;
  int     gam_h, gam_w;
  int     reference_group;    /* index into groups */
  /* The global threshold: maximises accuracy over all pairs of all groups
   * (gabn_verify_best_threshold); FMR/FNMR are measured at it. */
  double  threshold;
  /* Across the groups that have pairs: */
  double  mean_accuracy;
  double  std;            /* population std (ddof 0) of group accuracies */
  double  ser;            /* max error / min error; NaN when min error is 0 */
  double  mean_pairwise_js;   /* over groups with maps */
  double *js_matrix;      /* n_groups × n_groups, row-major */
} GabnEvalReport;

GabnEvalReport *gabn_eval_report_copy (const GabnEvalReport *report);
void gabn_eval_report_free (GabnEvalReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnEvalReport, gabn_eval_report_free)

/* JSON. full = FALSE gives exactly the `gabn eval --json` schema:
 *   {"groups":[{"name","pairs","accuracy","accuracy_std",
 *     "tar_at_far":{"1e-2","1e-3","1e-4"},"fmr","fnmr","region50",
 *     "region80","js_to_reference","reliance":{"outline",…} (synthetic
 *     data only)}],
 *    "mean_accuracy","std","ser","mean_pairwise_js"}
 * full = TRUE adds "epoch", "step", "threshold", "reference_group",
 * "gam_h", "gam_w", "js_matrix" and per group "genuine", "impostor",
 * "gam_images", "mean_gam" (rows), "roc" ({"far":[…],"tar":[…]}) — the form
 * stored in a model's metadata "eval" and in training logs. NaN → null.
 * Numbers are written with enough digits to read back the same doubles. */
char *gabn_eval_report_to_json (const GabnEvalReport *report, gboolean full);
/* Reads either form back (missing parts stay empty/NaN). */
GabnEvalReport *gabn_eval_report_from_json (const char *json, GError **error);

typedef struct {
  gboolean flip;              /* embeddings e(x) + e(flip x); default FALSE */
  int      batch_size;        /* images per forward pass; default 32 */
  int      gam_max_per_group; /* default 64; 0 = no attention measures */
  int      reference_group;   /* −1 (default): the group with most images */
  int      roc_points;        /* default 101 */
  int      n_folds;           /* default 10 */
  int      threads;           /* image decoding; <= 0: gabn_get_threads() */
  int      reliance_people;   /* synthetic data: held-out people per group
                                 for the reliance; default 12; 0 = none */
  int      reliance_photos;   /* their photos each; default 2 */
} GabnEvalOptions;

void gabn_eval_options_init (GabnEvalOptions *options);

/* Evaluates net (switched to eval mode for the call, restored after) on
 * pairs of dataset's images. Progress is called from the calling thread.
 * Fails on an unreadable image (naming it), on cancel
 * (GABN_ERROR_CANCELLED), or without pairs. */
GabnEvalReport *gabn_evaluate (GabnNet *net, const GabnDataset *dataset,
                               const GabnPair *pairs, int n_pairs,
                               const GabnEvalOptions *options,
                               GabnProgressFunc progress, gpointer user_data,
                               GCancellable *cancellable, GError **error);

G_END_DECLS
