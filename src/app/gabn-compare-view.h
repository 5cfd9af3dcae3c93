/* gabn-compare-view.h: two models evaluated on the same held-out pairs:
 * the per-group table and ROC curves per group. The choices are the
 * session's current model and its models to compare. */
#pragma once

#include <adwaita.h>
#include "gabn-evaluate.h"
#include "gabn-session.h"

G_BEGIN_DECLS

#define GABN_TYPE_COMPARE_VIEW (gabn_compare_view_get_type ())
G_DECLARE_FINAL_TYPE (GabnCompareView, gabn_compare_view, GABN, COMPARE_VIEW, AdwBin)

void gabn_compare_view_set_session (GabnCompareView *self, GabnSession *session);
/* The entries chosen as model A and model B. */
void gabn_compare_view_get_selected (GabnCompareView *self, guint *a, guint *b);
/* Chooses the models to compare by their position in the choices. */
void gabn_compare_view_select (GabnCompareView *self, guint a, guint b);
/* Position of the model offered under name, or −1. */
int   gabn_compare_view_find_model (GabnCompareView *self, const char *name);
/* The candidate whose model was loaded from a file of this base name, or
 * −1 (for the screenshot mode: independent of the UI's language). */
int   gabn_compare_view_find_model_file (GabnCompareView *self, const char *basename);
guint gabn_compare_view_get_n_models (GabnCompareView *self);
/* Evaluates both in a worker and fills the table and the plot. */
void gabn_compare_view_compare (GabnCompareView *self);
/* The reports shown (NULL before a comparison). */
const GabnEvalReport *gabn_compare_view_get_report (GabnCompareView *self, int which);
gboolean gabn_compare_view_get_ready (GabnCompareView *self);

G_END_DECLS
