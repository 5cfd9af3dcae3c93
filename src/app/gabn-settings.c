/* gabn-settings.c: GSettings wrapped in one typed object (the Ptyxis
 * ptyxis-settings.c pattern). Every key is a GObject property of the same
 * name, so widgets can bind to it; values are cached as GVariants so that
 * the object works the same without an installed schema. */
#include "config.h"
#include "gabn-settings.h"

#include <string.h>

#define RECENT_MAX 10

typedef enum {
  PROP_0,
  PROP_COLORMAP,
  PROP_OVERLAY_OPACITY,
  PROP_CAM_METHOD,
  PROP_MASK_STYLE,
  PROP_TOPN_FRACTION,
  PROP_THREADS,
  PROP_COLOR_SCHEME,
  PROP_LAST_DATASET_FOLDER,
  PROP_LAST_MODEL_FOLDER,
  PROP_RECENT_DATASETS,
  PROP_RECENT_MODELS,
  PROP_WINDOW_WIDTH,
  PROP_WINDOW_HEIGHT,
  PROP_WINDOW_MAXIMIZED,
  N_PROPS
} GabnSettingsProp;

/* Key name and default, as agreed in the schema. */
static const struct {
  const char *key;
  const char *default_text; /* GVariant text format */
} keys[N_PROPS] = {
  [PROP_COLORMAP]            = { "colormap", "'viridis'" },
  [PROP_OVERLAY_OPACITY]     = { "overlay-opacity", "0.55" },
  [PROP_CAM_METHOD]          = { "cam-method", "'gradcam'" },
  [PROP_MASK_STYLE]          = { "mask-style", "'outline'" },
  [PROP_TOPN_FRACTION]       = { "topn-fraction", "0.333" },
  [PROP_THREADS]             = { "threads", "0" },
  [PROP_COLOR_SCHEME]        = { "color-scheme", "'default'" },
  [PROP_LAST_DATASET_FOLDER] = { "last-dataset-folder", "''" },
  [PROP_LAST_MODEL_FOLDER]   = { "last-model-folder", "''" },
  [PROP_RECENT_DATASETS]     = { "recent-datasets", "@as []" },
  [PROP_RECENT_MODELS]       = { "recent-models", "@as []" },
  [PROP_WINDOW_WIDTH]        = { "window-width", "1200" },
  [PROP_WINDOW_HEIGHT]       = { "window-height", "800" },
  [PROP_WINDOW_MAXIMIZED]    = { "window-maximized", "false" },
};

struct _GabnSettings
{
  GObject    parent_instance;

  GSettings *settings;          /* NULL without a schema */
  GVariant  *values[N_PROPS];   /* current value of each key */
  char     **recent_datasets;   /* cached strv views of the lists */
  char     **recent_models;
};

G_DEFINE_FINAL_TYPE (GabnSettings, gabn_settings, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static GabnSettingsProp
prop_for_key (const char *key)
{
  for (guint i = 1; i < N_PROPS; i++)
    if (strcmp (keys[i].key, key) == 0)
      return i;
  return PROP_0;
}

static void
cache_value (GabnSettings *self, GabnSettingsProp prop, GVariant *value)
{
  g_clear_pointer (&self->values[prop], g_variant_unref);
  self->values[prop] = g_variant_ref_sink (value);
  if (prop == PROP_RECENT_DATASETS)
    {
      g_strfreev (self->recent_datasets);
      self->recent_datasets = g_variant_dup_strv (value, NULL);
    }
  else if (prop == PROP_RECENT_MODELS)
    {
      g_strfreev (self->recent_models);
      self->recent_models = g_variant_dup_strv (value, NULL);
    }
}

static void
on_settings_changed (GabnSettings *self, const char *key, GSettings *settings)
{
  GabnSettingsProp prop = prop_for_key (key);

  if (prop == PROP_0)
    return;
  cache_value (self, prop, g_settings_get_value (settings, key));
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

/* Writes a key: through GSettings (which notifies back), or directly. */
static void
store_value (GabnSettings *self, GabnSettingsProp prop, GVariant *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);

  if (self->values[prop] != NULL && g_variant_equal (self->values[prop], owned))
    return;
  if (self->settings != NULL)
    {
      g_settings_set_value (self->settings, keys[prop].key, owned);
      return;
    }
  cache_value (self, prop, owned);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
gabn_settings_constructed (GObject *object)
{
  GabnSettings *self = GABN_SETTINGS (object);
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  G_OBJECT_CLASS (gabn_settings_parent_class)->constructed (object);

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APPLICATION_ID, TRUE);
  if (schema != NULL)
    self->settings = g_settings_new_full (schema, NULL, NULL);
  else
    g_warning ("GSettings schema %s is not installed: preferences will not be saved", APPLICATION_ID);

  for (guint i = 1; i < N_PROPS; i++)
    {
      if (self->settings != NULL && g_settings_schema_has_key (schema, keys[i].key))
        cache_value (self, i, g_settings_get_value (self->settings, keys[i].key));
      else
        cache_value (self, i, g_variant_parse (NULL, keys[i].default_text, NULL, NULL, NULL));
    }
  if (self->settings != NULL)
    g_signal_connect_object (self->settings, "changed",
                             G_CALLBACK (on_settings_changed), self, G_CONNECT_SWAPPED);
}

static void
gabn_settings_finalize (GObject *object)
{
  GabnSettings *self = GABN_SETTINGS (object);

  for (guint i = 0; i < N_PROPS; i++)
    g_clear_pointer (&self->values[i], g_variant_unref);
  g_strfreev (self->recent_datasets);
  g_strfreev (self->recent_models);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (gabn_settings_parent_class)->finalize (object);
}

static void
gabn_settings_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GabnSettings *self = GABN_SETTINGS (object);
  GVariant *v;

  if (prop_id == PROP_0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  v = self->values[prop_id];
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    g_value_set_string (value, g_variant_get_string (v, NULL));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_DOUBLE))
    g_value_set_double (value, g_variant_get_double (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32))
    g_value_set_int (value, g_variant_get_int32 (v));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    g_value_set_boolean (value, g_variant_get_boolean (v));
  else
    g_value_take_boxed (value, g_variant_dup_strv (v, NULL));
}

static void
gabn_settings_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  GabnSettings *self = GABN_SETTINGS (object);
  GVariant *v;

  if (prop_id == PROP_0 || prop_id >= N_PROPS)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  v = self->values[prop_id];
  if (g_variant_is_of_type (v, G_VARIANT_TYPE_STRING))
    store_value (self, prop_id, g_variant_new_string (g_value_get_string (value) ? g_value_get_string (value) : ""));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_DOUBLE))
    store_value (self, prop_id, g_variant_new_double (g_value_get_double (value)));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_INT32))
    store_value (self, prop_id, g_variant_new_int32 (g_value_get_int (value)));
  else if (g_variant_is_of_type (v, G_VARIANT_TYPE_BOOLEAN))
    store_value (self, prop_id, g_variant_new_boolean (g_value_get_boolean (value)));
  else
    {
      const char *const *strv = g_value_get_boxed (value);
      store_value (self, prop_id, g_variant_new_strv (strv, strv ? -1 : 0));
    }
}

static GParamSpec *
string_pspec (GabnSettingsProp prop, const char *def)
{
  return g_param_spec_string (keys[prop].key, NULL, NULL, def,
                              G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
gabn_settings_class_init (GabnSettingsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = gabn_settings_constructed;
  object_class->finalize = gabn_settings_finalize;
  object_class->get_property = gabn_settings_get_property;
  object_class->set_property = gabn_settings_set_property;

  properties[PROP_COLORMAP] = string_pspec (PROP_COLORMAP, "viridis");
  properties[PROP_OVERLAY_OPACITY] =
    g_param_spec_double ("overlay-opacity", NULL, NULL, 0, 1, 0.55, flags);
  properties[PROP_CAM_METHOD] = string_pspec (PROP_CAM_METHOD, "gradcam");
  properties[PROP_MASK_STYLE] = string_pspec (PROP_MASK_STYLE, "outline");
  properties[PROP_TOPN_FRACTION] =
    g_param_spec_double ("topn-fraction", NULL, NULL, 0.02, 1, 0.333, flags);
  properties[PROP_THREADS] = g_param_spec_int ("threads", NULL, NULL, 0, 64, 0, flags);
  properties[PROP_COLOR_SCHEME] = string_pspec (PROP_COLOR_SCHEME, "default");
  properties[PROP_LAST_DATASET_FOLDER] = string_pspec (PROP_LAST_DATASET_FOLDER, "");
  properties[PROP_LAST_MODEL_FOLDER] = string_pspec (PROP_LAST_MODEL_FOLDER, "");
  properties[PROP_RECENT_DATASETS] =
    g_param_spec_boxed ("recent-datasets", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_RECENT_MODELS] =
    g_param_spec_boxed ("recent-models", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_WINDOW_WIDTH] =
    g_param_spec_int ("window-width", NULL, NULL, 1, G_MAXINT, 1200, flags);
  properties[PROP_WINDOW_HEIGHT] =
    g_param_spec_int ("window-height", NULL, NULL, 1, G_MAXINT, 800, flags);
  properties[PROP_WINDOW_MAXIMIZED] =
    g_param_spec_boolean ("window-maximized", NULL, NULL, FALSE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gabn_settings_init (GabnSettings *self)
{
}

GabnSettings *
gabn_settings_new (void)
{
  return g_object_new (GABN_TYPE_SETTINGS, NULL);
}

GabnSettings *
gabn_settings_get_default (void)
{
  static GabnSettings *instance;

  if (instance == NULL)
    {
      instance = gabn_settings_new ();
      g_object_add_weak_pointer (G_OBJECT (instance), (gpointer *) &instance);
    }
  return instance;
}

GSettings *
gabn_settings_get_gsettings (GabnSettings *self)
{
  g_return_val_if_fail (GABN_IS_SETTINGS (self), NULL);
  return self->settings;
}

#define STRING_ACCESSORS(name, PROP)                                          \
const char *                                                                  \
gabn_settings_get_##name (GabnSettings *self)                                 \
{                                                                             \
  g_return_val_if_fail (GABN_IS_SETTINGS (self), NULL);                       \
  return g_variant_get_string (self->values[PROP], NULL);                     \
}                                                                             \
void                                                                          \
gabn_settings_set_##name (GabnSettings *self, const char *value)              \
{                                                                             \
  g_return_if_fail (GABN_IS_SETTINGS (self));                                 \
  store_value (self, PROP, g_variant_new_string (value ? value : ""));        \
}

STRING_ACCESSORS (colormap, PROP_COLORMAP)
STRING_ACCESSORS (cam_method, PROP_CAM_METHOD)
STRING_ACCESSORS (mask_style, PROP_MASK_STYLE)
STRING_ACCESSORS (color_scheme, PROP_COLOR_SCHEME)
STRING_ACCESSORS (last_dataset_folder, PROP_LAST_DATASET_FOLDER)
STRING_ACCESSORS (last_model_folder, PROP_LAST_MODEL_FOLDER)

double
gabn_settings_get_overlay_opacity (GabnSettings *self)
{
  g_return_val_if_fail (GABN_IS_SETTINGS (self), 0.55);
  return g_variant_get_double (self->values[PROP_OVERLAY_OPACITY]);
}

void
gabn_settings_set_overlay_opacity (GabnSettings *self, double opacity)
{
  g_return_if_fail (GABN_IS_SETTINGS (self));
  store_value (self, PROP_OVERLAY_OPACITY, g_variant_new_double (CLAMP (opacity, 0, 1)));
}

double
gabn_settings_get_topn_fraction (GabnSettings *self)
{
  g_return_val_if_fail (GABN_IS_SETTINGS (self), 0.333);
  return g_variant_get_double (self->values[PROP_TOPN_FRACTION]);
}

void
gabn_settings_set_topn_fraction (GabnSettings *self, double fraction)
{
  g_return_if_fail (GABN_IS_SETTINGS (self));
  store_value (self, PROP_TOPN_FRACTION, g_variant_new_double (CLAMP (fraction, 0.02, 1)));
}

int
gabn_settings_get_threads (GabnSettings *self)
{
  g_return_val_if_fail (GABN_IS_SETTINGS (self), 0);
  return g_variant_get_int32 (self->values[PROP_THREADS]);
}

void
gabn_settings_set_threads (GabnSettings *self, int threads)
{
  g_return_if_fail (GABN_IS_SETTINGS (self));
  store_value (self, PROP_THREADS, g_variant_new_int32 (CLAMP (threads, 0, 64)));
}

const char *const *
gabn_settings_get_recent_datasets (GabnSettings *self)
{
  g_return_val_if_fail (GABN_IS_SETTINGS (self), NULL);
  return (const char *const *) self->recent_datasets;
}

const char *const *
gabn_settings_get_recent_models (GabnSettings *self)
{
  g_return_val_if_fail (GABN_IS_SETTINGS (self), NULL);
  return (const char *const *) self->recent_models;
}

char **
gabn_recent_list_push (const char *const *list, const char *path, guint max)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint n = 0;

  if (path != NULL && *path != '\0' && max > 0)
    {
      g_strv_builder_add (builder, path);
      n++;
    }
  for (guint i = 0; list != NULL && list[i] != NULL && n < max; i++)
    {
      if (g_strcmp0 (list[i], path) == 0 || *list[i] == '\0')
        continue;
      g_strv_builder_add (builder, list[i]);
      n++;
    }
  return g_strv_builder_end (builder);
}

void
gabn_settings_add_recent_dataset (GabnSettings *self, const char *path)
{
  g_auto(GStrv) list = NULL;

  g_return_if_fail (GABN_IS_SETTINGS (self));
  list = gabn_recent_list_push ((const char *const *) self->recent_datasets, path, RECENT_MAX);
  store_value (self, PROP_RECENT_DATASETS, g_variant_new_strv ((const char *const *) list, -1));
}

void
gabn_settings_add_recent_model (GabnSettings *self, const char *path)
{
  g_auto(GStrv) list = NULL;

  g_return_if_fail (GABN_IS_SETTINGS (self));
  list = gabn_recent_list_push ((const char *const *) self->recent_models, path, RECENT_MAX);
  store_value (self, PROP_RECENT_MODELS, g_variant_new_strv ((const char *const *) list, -1));
}

void
gabn_settings_get_window_size (GabnSettings *self, int *width, int *height, gboolean *maximized)
{
  g_return_if_fail (GABN_IS_SETTINGS (self));
  *width = g_variant_get_int32 (self->values[PROP_WINDOW_WIDTH]);
  *height = g_variant_get_int32 (self->values[PROP_WINDOW_HEIGHT]);
  *maximized = g_variant_get_boolean (self->values[PROP_WINDOW_MAXIMIZED]);
}

void
gabn_settings_set_window_size (GabnSettings *self, int width, int height, gboolean maximized)
{
  g_return_if_fail (GABN_IS_SETTINGS (self));
  if (self->settings != NULL)
    g_settings_delay (self->settings);
  store_value (self, PROP_WINDOW_WIDTH, g_variant_new_int32 (MAX (width, 1)));
  store_value (self, PROP_WINDOW_HEIGHT, g_variant_new_int32 (MAX (height, 1)));
  store_value (self, PROP_WINDOW_MAXIMIZED, g_variant_new_boolean (maximized));
  if (self->settings != NULL)
    g_settings_apply (self->settings);
}
