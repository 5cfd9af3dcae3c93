/* gabn-window-actions.c: the window's actions (win.*) and their keys.
 * Views reach the window only through these: win.view and win.toast. */
#include "config.h"
#include "gabn-window-private.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>

static void
open_dataset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_run_chooser (GABN_WINDOW (widget), FALSE);
}

static void
open_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_run_chooser (GABN_WINDOW (widget), TRUE);
}

static void
open_recent_action (GtkWidget *widget, const char *name, GVariant *param)
{
  g_autoptr(GFile) file = g_file_new_for_path (g_variant_get_string (param, NULL));

  if (!g_file_query_exists (file, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” no longer exists"),
                                                  g_variant_get_string (param, NULL));
      gabn_window_toast (GABN_WINDOW (widget), message);
      return;
    }
  gabn_window_open_file (GABN_WINDOW (widget), file);
}

static void
open_synthetic_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_open_synthetic (GABN_WINDOW (widget), NULL);
}

static void
open_synthetic_preset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_open_synthetic (GABN_WINDOW (widget), g_variant_get_string (param, NULL));
}

/* One entry per preset of the generator, in its order, with its title. */
void
gabn_window_fill_synthetic_menu (GabnWindow *self)
{
  int n;
  const GabnSynthPresetInfo *presets = gabn_synth_presets (&n);

  for (int i = 0; i < n; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_(presets[i].title), NULL);

      g_menu_item_set_action_and_target_value (item, "win.open-synthetic-preset",
                                               g_variant_new_string (presets[i].nick));
      g_menu_append_item (self->synthetic_menu, item);
    }
}

static void
new_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GabnWindow *self = GABN_WINDOW (widget);

  gabn_window_load_model (self, NULL);
}

static void
teaching_mode_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_set_view (GABN_WINDOW (widget), "teach");
}

static void
view_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_set_view (GABN_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
fullscreen_action (GtkWidget *widget, const char *name, GVariant *param)
{
  GtkWindow *window = GTK_WINDOW (widget);

  if (gtk_window_is_fullscreen (window))
    gtk_window_unfullscreen (window);
  else
    gtk_window_fullscreen (window);
}

static void
toast_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gabn_window_toast (GABN_WINDOW (widget), g_variant_get_string (param, NULL));
}

void
gabn_window_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "win.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_action (widget_class, "win.new-model", NULL, new_model_action);
  gtk_widget_class_install_action (widget_class, "win.open-dataset", NULL, open_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.open-model", NULL, open_model_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.open-known-model", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.open-synthetic", NULL, open_synthetic_action);
  gtk_widget_class_install_action (widget_class, "win.open-synthetic-preset", "s", open_synthetic_preset_action);
  gtk_widget_class_install_action (widget_class, "win.teaching-mode", NULL, teaching_mode_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-dataset", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.open-model", NULL);
  gtk_widget_class_install_action (widget_class, "win.view", "s", view_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F11, 0, "win.fullscreen", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1, GDK_ALT_MASK, "win.view", "s", "faces");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_2, GDK_ALT_MASK, "win.view", "s", "groups");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_3, GDK_ALT_MASK, "win.view", "s", "train");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_4, GDK_ALT_MASK, "win.view", "s", "compare");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_5, GDK_ALT_MASK, "win.view", "s", "teach");
  gtk_widget_class_install_action (widget_class, "win.toast", "s", toast_action);
}
