#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define GABN_TYPE_APPLICATION (gabn_application_get_type ())
G_DECLARE_FINAL_TYPE (GabnApplication, gabn_application, GABN, APPLICATION, AdwApplication)

GabnApplication *gabn_application_new (const char *application_id,
                                       GApplicationFlags flags);
/* Non-zero when --screenshot failed. */
int gabn_application_get_exit_status (GabnApplication *self);

/* Size of the synthetic set new windows start with (tests use small ones;
 * 0 keeps the preset's size). */
void gabn_application_set_synthetic_size (GabnApplication *self, int identities, int images);

G_END_DECLS
