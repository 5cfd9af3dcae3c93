/* gabn-application.c: the application object: command line, actions, about. */
#include "config.h"
#include "gabn-application.h"
#include "gabn-window.h"

#include <glib/gi18n.h>

struct _GabnApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (GabnApplication, gabn_application, ADW_TYPE_APPLICATION)

GabnApplication *
gabn_application_new (const char *application_id, GApplicationFlags flags)
{
  return g_object_new (GABN_TYPE_APPLICATION,
                       "application-id", application_id,
                       "flags", flags,
                       "resource-base-path", RESOURCE_PREFIX,
                       NULL);
}

static int
gabn_application_handle_local_options (GApplication *app, GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("gabn-studio %s\n", PACKAGE_VERSION);
      return 0;
    }
  return -1;
}

static void
gabn_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = g_object_new (GABN_TYPE_WINDOW, "application", app, NULL);
  gtk_window_present (window);
}

static void
gabn_application_about_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "GABN Studio developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (app),
                         "application-name", _("GABN Studio"),
                         "application-icon", APPLICATION_ID,
                         "developer-name", _("GABN Studio developers"),
                         "version", PACKAGE_VERSION,
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "comments", _("See and fix racial bias in face recognition"),
                         NULL);
}

static void
gabn_application_quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static const GActionEntry app_actions[] = {
  { "about", gabn_application_about_action },
  { "quit", gabn_application_quit_action },
};

static void
gabn_application_class_init (GabnApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = gabn_application_activate;
  app_class->handle_local_options = gabn_application_handle_local_options;
}

static void
gabn_application_init (GabnApplication *self)
{
  static const char *quit_accels[] = { "<primary>q", NULL };

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  g_application_add_main_option (G_APPLICATION (self), "version", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _("Print the version and quit"), NULL);
}
