/* gabn-train-view.h: training runs (baseline or GABN) with live plots. */
#pragma once

#include <adwaita.h>
#include "gabn-plot.h"
#include "gabn-session.h"
#include "gabn-train-run.h"

G_BEGIN_DECLS

#define GABN_TYPE_TRAIN_VIEW (gabn_train_view_get_type ())
G_DECLARE_FINAL_TYPE (GabnTrainView, gabn_train_view, GABN, TRAIN_VIEW, AdwBin)

void gabn_train_view_set_session (GabnTrainView *self, GabnSession *session);
/* The options shown, as a config (caller clears it). */
void gabn_train_view_get_config (GabnTrainView *self, GabnTrainConfig *config);
void gabn_train_view_set_config (GabnTrainView *self, const GabnTrainConfig *config);
/* Starts a run of the session (gabn_session_start_run; NULL and a toast
 * when there is no dataset). The session lists it; this view shows every
 * run of that list. */
GabnTrainRun *gabn_train_view_start_run (GabnTrainView *self, const GabnTrainConfig *config);
/* A short baseline and a short GABN run side by side (screenshots, demos). */
void gabn_train_view_start_demo (GabnTrainView *self, int epochs);
/* Plots: "loss", "accuracy", "std", "ser", "divergence", "region". */
GabnPlot *gabn_train_view_get_plot (GabnTrainView *self, const char *name);
gboolean gabn_train_view_export_plots (GabnTrainView *self, const char *folder, GError **error);
gboolean gabn_train_view_export_csv (GabnTrainView *self, const char *path, GError **error);
/* Longest time spent applying one report on the main thread, in µs. */
gint64 gabn_train_view_get_max_report_time (GabnTrainView *self);
/* TRUE when every run has at least one epoch report ("ready"). */
gboolean gabn_train_view_get_ready (GabnTrainView *self);

G_END_DECLS
