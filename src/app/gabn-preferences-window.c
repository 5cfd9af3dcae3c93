/* gabn-preferences-window.c: every control is bound to a GabnSettings
 * property, so changes apply at once and are saved. */
#include "config.h"
#include "gabn-preferences-window.h"
#include "gabn-settings.h"
#include "gabn-settings-bind.h"

struct _GabnPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  AdwComboRow   *colormap_row;
  AdwComboRow   *mask_row;
  AdwComboRow   *method_row;
  GtkScale      *opacity_scale;
  AdwComboRow   *scheme_row;
  GtkAdjustment *threads_adjustment;
  GtkAdjustment *topn_adjustment;
};

G_DEFINE_FINAL_TYPE (GabnPreferencesWindow, gabn_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char *scheme_ids[] = { "default", "light", "dark", NULL };
static const char *colormap_ids[] = { "viridis", "inferno", "jet", "grey", NULL };
static const char *method_ids[] = { "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", NULL };
static const char *mask_ids[] = { "outline", "fill", NULL };

static void
gabn_preferences_window_class_init (GabnPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, colormap_row);
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, mask_row);
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, method_row);
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, opacity_scale);
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, scheme_row);
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnPreferencesWindow, topn_adjustment);
}

static void
gabn_preferences_window_init (GabnPreferencesWindow *self)
{
  GabnSettings *settings = gabn_settings_get_default ();

  gtk_widget_init_template (GTK_WIDGET (self));
  gabn_bind_string_setting (settings, "color-scheme", self->scheme_row, scheme_ids);
  gabn_bind_string_setting (settings, "colormap", self->colormap_row, colormap_ids);
  gabn_bind_string_setting (settings, "cam-method", self->method_row, method_ids);
  gabn_bind_string_setting (settings, "mask-style", self->mask_row, mask_ids);
  g_object_bind_property (settings, "overlay-opacity",
                          gtk_range_get_adjustment (GTK_RANGE (self->opacity_scale)), "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (settings, "topn-fraction", self->topn_adjustment, "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (settings, "threads", self->threads_adjustment, "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
}

GtkWidget *
gabn_preferences_window_new (void)
{
  return g_object_new (GABN_TYPE_PREFERENCES_WINDOW, NULL);
}
