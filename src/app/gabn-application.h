#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GABN_TYPE_APPLICATION (gabn_application_get_type ())
G_DECLARE_FINAL_TYPE (GabnApplication, gabn_application, GABN, APPLICATION, AdwApplication)

GabnApplication *gabn_application_new (const char *application_id,
                                       GApplicationFlags flags);

G_END_DECLS
