#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GABN_TYPE_PREFERENCES_WINDOW (gabn_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (GabnPreferencesWindow, gabn_preferences_window, GABN, PREFERENCES_WINDOW, AdwPreferencesWindow)

GtkWidget *gabn_preferences_window_new (void);

G_END_DECLS
