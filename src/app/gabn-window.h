#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GABN_TYPE_WINDOW (gabn_window_get_type ())
G_DECLARE_FINAL_TYPE (GabnWindow, gabn_window, GABN, WINDOW, AdwApplicationWindow)

G_END_DECLS
