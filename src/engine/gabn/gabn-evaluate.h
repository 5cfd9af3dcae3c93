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
 * gam_max_per_group of each group's pair images, the net in eval mode.
 * Held-out people have no class centre, so the GAM target is the cosine to
 * their identity's centre in the evaluation set: the mean embedding (held
 * constant) of that identity's evaluated images. JSON labels that map
 * "gradcam, eval, identity mean" (GABN_EVAL_MAP). The group probe
 * (gabn-probe.h) is fit on the same maps.
 *
 * Reports written by the trainer also carry figures on the map the
 * adversary acts on (gabn-train-maps.h): "<gam>, train, class centre" on a
 * fixed sample of training images, and the discriminator's accuracy on
 * held-out people's "<gam>, train, identity mean" maps. */
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
  /* The same on the map the adversary acts on (training reports; else NaN). */
  double  train_region50, train_region80, train_js_to_reference;
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
  /* The group probe on the eval maps (NaN when not computed). */
  double  probe_accuracy, probe_accuracy_std, probe_chance;
  /* Training diagnostics (filled by the trainer; has_train_maps FALSE and
   * the rest NaN/0 otherwise). */
  gboolean has_train_maps;
  int     train_gam;              /* GabnCamMethod of the training maps */
  int     n_train_maps;           /* training images mapped */
  int     n_held_out_maps;        /* held-out images mapped */
  double  train_mean_pairwise_js; /* on "<gam>, train, class centre" */
  double  disc_accuracy_train;    /* D on those maps */
  double  disc_accuracy_held_out; /* D on held-out "<gam>, train, identity mean" */
  double  grad_ratio;             /* epoch mean of the steps' grad_ratio */
  double  batch_disc_accuracy;    /* epoch mean of D's accuracy on its batch */
  /* Pairs left out because one of their images cannot be read, and those
   * images (named in the dataset: gabn_dataset_get_bad). */
  int     n_skipped_pairs;
  int     n_skipped_images;
} GabnEvalReport;

/* The label of the eval report's own maps. */
#define GABN_EVAL_MAP "gradcam, eval, identity mean"
/* The labels of the training maps of gam (a GabnCamMethod):
 * "<gam>, train, class centre" (training images), or "<gam>, train,
 * identity mean" (held-out people). Static strings. */
const char *gabn_train_map_label (int gam, gboolean held_out);
/* Sets every probe and training-diagnostic field to "not computed". */
void gabn_eval_report_clear_diagnostics (GabnEvalReport *report);

GabnEvalReport *gabn_eval_report_copy (const GabnEvalReport *report);
void gabn_eval_report_free (GabnEvalReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnEvalReport, gabn_eval_report_free)

/* JSON. full = FALSE gives exactly the `gabn eval --json` schema:
 *   {"groups":[{"name","pairs","accuracy","accuracy_std",
 *     "tar_at_far":{"1e-2","1e-3","1e-4"},"fmr","fnmr","region50",
 *     "region80","js_to_reference","reliance":{"outline",…} (synthetic
 *     data only)}],
 *    "mean_accuracy","std","ser","mean_pairwise_js",
 *    "attention_map" (GABN_EVAL_MAP: which map region50/80, JS and the
 *    probe were computed on), "probe_accuracy","probe_accuracy_std",
 *    "probe_chance","skipped_pairs","skipped_images"}
 * plus, in training reports, "adversary": {"attention_map":
 *   "<gam>, train, class centre","images","groups":[{"name","region50",
 *   "region80","js_to_reference"}],"mean_pairwise_js","disc_accuracy",
 *   "held_out":{"attention_map":"<gam>, train, identity mean","images",
 *   "disc_accuracy"},"grad_ratio","batch_disc_accuracy"}.
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
 * A pair with an unreadable image is left out and counted
 * (n_skipped_pairs; the image is recorded in the dataset). Fails on cancel
 * (GABN_ERROR_CANCELLED), without pairs, or when every pair was left out. */
GabnEvalReport *gabn_evaluate (GabnNet *net, const GabnDataset *dataset,
                               const GabnPair *pairs, int n_pairs,
                               const GabnEvalOptions *options,
                               GabnProgressFunc progress, gpointer user_data,
                               GCancellable *cancellable, GError **error);

G_END_DECLS
