/* gabn-teach-view.h: the guided classroom demonstration, in five steps:
 * how the photos were made → baseline → the gap → GABN → compare, with the
 * balanced-data control. */
#pragma once

#include <adwaita.h>
#include "gabn-evaluate.h"
#include "gabn-session.h"

G_BEGIN_DECLS

#define GABN_TYPE_TEACH_VIEW (gabn_teach_view_get_type ())
G_DECLARE_FINAL_TYPE (GabnTeachView, gabn_teach_view, GABN, TEACH_VIEW, AdwBin)

void gabn_teach_view_set_session (GabnTeachView *self, GabnSession *session);
int  gabn_teach_view_get_step (GabnTeachView *self);
void gabn_teach_view_set_step (GabnTeachView *self, int step);
/* Runs the current step's action (generate, train…). */
void gabn_teach_view_act (GabnTeachView *self);
/* The demonstration of the screenshot mode: from step 1, does each step's
 * action and moves on until `step` (0-based) is shown with its work done;
 * the "ready" property then turns TRUE (without a demonstration it tells
 * that the faces are drawn). Default step: the first. */
void gabn_teach_view_set_demo_step (GabnTeachView *self, int step);
void gabn_teach_view_run_demo (GabnTeachView *self);
/* With hold, the walk is "ready" at every step on the way (each shown with
 * its work done) and waits for demo_next, which moves one step on and
 * returns FALSE when the walk's last step was already shown. */
void gabn_teach_view_set_demo_hold (GabnTeachView *self, gboolean hold);
gboolean gabn_teach_view_demo_next (GabnTeachView *self);
/* TRUE when the current step's action is done. */
gboolean gabn_teach_view_get_step_done (GabnTeachView *self);
/* Asks its runs to stop without waiting; TRUE while some still run. */
gboolean gabn_teach_view_stop_runs (GabnTeachView *self);
/* Epochs of the demonstration runs (default 3). */
void gabn_teach_view_set_epochs (GabnTeachView *self, int epochs);

/* Identities per group and images per identity of the set drawn in step 1
 * (0: the defaults, 24 and 6). */
void gabn_teach_view_set_size (GabnTeachView *self, int identities, int images);
/* The last evaluation of the baseline (0), GABN (1) or balanced-data
 * control (2) run, or NULL. */
const GabnEvalReport *gabn_teach_view_get_report (GabnTeachView *self, int which);
/* TRUE when that run finished. */
gboolean gabn_teach_view_get_run_done (GabnTeachView *self, int which);
/* The sentence the current step generated from this run's reports ("" when
 * the step has none yet). */
const char *gabn_teach_view_get_summary (GabnTeachView *self);

G_END_DECLS
