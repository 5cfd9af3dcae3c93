/* gabn-screenshot.h: the --screenshot mode: wait until a view says it is
 * ready (its "ready" property), let it draw, save the window to PNG. */
#pragma once

#include "gabn-window.h"

G_BEGIN_DECLS

/* Renders the window's content (header bar and view) into a PNG at path,
 * atomically. */
gboolean gabn_window_save_png (GabnWindow *window, const char *path, GError **error);

/* Waits (up to timeout_s) for view `name` to be ready, saves, then quits
 * the application; a failure is printed and sets exit status 1. For the
 * teach view, a path with "%d" saves every step of the walk (see
 * gabn_teach_view_set_demo_step) as that path with the step's number, each
 * step waited for up to timeout_s. */
void gabn_screenshot_when_ready (GabnWindow *window, const char *name, const char *path,
                                 guint timeout_s);

G_END_DECLS
