#pragma once

#include <adwaita.h>
#include "gabn-session.h"

G_BEGIN_DECLS

#define GABN_TYPE_WINDOW (gabn_window_get_type ())
G_DECLARE_FINAL_TYPE (GabnWindow, gabn_window, GABN, WINDOW, AdwApplicationWindow)

GabnSession *gabn_window_get_session (GabnWindow *self);
/* Shows an error or a note at the bottom of the window (views use the
 * "win.toast" action, gabn-toast.h). */
void gabn_window_toast (GabnWindow *self, const char *message);
/* The last message shown that way (NULL if none). */
const char *gabn_window_get_last_message (GabnWindow *self);
/* "faces", "groups", "train", "compare", "teach". */
void gabn_window_set_view (GabnWindow *self, const char *name);
const char *gabn_window_get_view (GabnWindow *self);
/* The view widget by name (for tests and the screenshot mode). */
GtkWidget *gabn_window_get_view_widget (GabnWindow *self, const char *name);
/* Opens a dataset folder or a model file (chosen by its content). */
void gabn_window_open_file (GabnWindow *self, GFile *file);
/* Starts the first-run content: synthetic faces and a new model. */
void gabn_window_open_synthetic (GabnWindow *self, const char *preset);
/* The shipped models' file names (bench/ship-models.sh), and whether the
 * session's dataset is the one they were trained on and both files are
 * there (the window then opens the baseline and offers the GABN one). */
#define GABN_SHIPPED_BASELINE "gabn-s-realistic-baseline.safetensors"
#define GABN_SHIPPED_GABN     "gabn-s-realistic-gabn.safetensors"
gboolean gabn_window_has_shipped_models (GabnWindow *self);

G_END_DECLS
