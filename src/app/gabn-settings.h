/* gabn-settings.h: the app's preferences, one typed object over GSettings.
 * Properties mirror the schema's keys (see the gschema in data/); when the
 * schema is not installed the object keeps in-memory defaults. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define GABN_TYPE_SETTINGS (gabn_settings_get_type ())
G_DECLARE_FINAL_TYPE (GabnSettings, gabn_settings, GABN, SETTINGS, GObject)

GabnSettings *gabn_settings_new (void);
/* The shared instance used by every window. */
GabnSettings *gabn_settings_get_default (void);
/* NULL when the schema is missing (in-memory fallback). */
GSettings    *gabn_settings_get_gsettings (GabnSettings *self);

const char *gabn_settings_get_colormap (GabnSettings *self);
void        gabn_settings_set_colormap (GabnSettings *self, const char *colormap);
double      gabn_settings_get_overlay_opacity (GabnSettings *self);
void        gabn_settings_set_overlay_opacity (GabnSettings *self, double opacity);
const char *gabn_settings_get_cam_method (GabnSettings *self);
void        gabn_settings_set_cam_method (GabnSettings *self, const char *method);
const char *gabn_settings_get_mask_style (GabnSettings *self);
void        gabn_settings_set_mask_style (GabnSettings *self, const char *style);
double      gabn_settings_get_topn_fraction (GabnSettings *self);
void        gabn_settings_set_topn_fraction (GabnSettings *self, double fraction);
int         gabn_settings_get_threads (GabnSettings *self);
void        gabn_settings_set_threads (GabnSettings *self, int threads);
const char *gabn_settings_get_color_scheme (GabnSettings *self);
void        gabn_settings_set_color_scheme (GabnSettings *self, const char *scheme);
const char *gabn_settings_get_last_dataset_folder (GabnSettings *self);
void        gabn_settings_set_last_dataset_folder (GabnSettings *self, const char *folder);
const char *gabn_settings_get_last_model_folder (GabnSettings *self);
void        gabn_settings_set_last_model_folder (GabnSettings *self, const char *folder);
const char *const *gabn_settings_get_recent_datasets (GabnSettings *self);
const char *const *gabn_settings_get_recent_models (GabnSettings *self);
/* Puts path first in the list (removing older copies), keeps at most 10. */
void        gabn_settings_add_recent_dataset (GabnSettings *self, const char *path);
void        gabn_settings_add_recent_model (GabnSettings *self, const char *path);
void        gabn_settings_get_window_size (GabnSettings *self, int *width, int *height,
                                           gboolean *maximized);
void        gabn_settings_set_window_size (GabnSettings *self, int width, int height,
                                           gboolean maximized);

/* Pure helper (tested displayless): the list with path first, duplicates
 * removed, at most max entries. */
char **gabn_recent_list_push (const char *const *list, const char *path, guint max);

G_END_DECLS
