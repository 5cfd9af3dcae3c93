/* gabn-application.c: the application object: command line (--version,
 * --view, --screenshot, --teach-step), app actions (preferences, about, quit), the colour
 * scheme and engine threads from the settings. */
#include "config.h"
#include "gabn-application.h"
#include "gabn-demo.h"
#include "gabn-jobs.h"
#include "gabn-engine.h"
#include "gabn-preferences-window.h"
#include "gabn-screenshot.h"
#include "gabn-settings.h"
#include "gabn-teach-view.h"
#include "gabn-window.h"

#include <glib/gi18n.h>

struct _GabnApplication
{
  AdwApplication parent_instance;

  GabnSettings *settings;
  char         *start_view;   /* --view */
  char         *screenshot;   /* --screenshot */
  int           teach_step;   /* --teach-step, 1–5; 0: not given */
  int           synth_identities, synth_images; /* 0: preset size */
};

G_DEFINE_FINAL_TYPE (GabnApplication, gabn_application, ADW_TYPE_APPLICATION)

static const char *const view_names[] = { "faces", "groups", "train", "compare", "teach", NULL };

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
  GabnApplication *self = GABN_APPLICATION (app);
  const char *view = NULL, *shot = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("gabn-studio %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "view", "&s", &view))
    {
      if (!g_strv_contains (view_names, view))
        {
          g_printerr (_("Unknown view “%s”: use faces, groups, train, compare or teach\n"), view);
          return 2;
        }
      self->start_view = g_strdup (view);
    }
  if (g_variant_dict_lookup (options, "teach-step", "i", &self->teach_step)
      && (self->teach_step < 1 || self->teach_step > 5))
    {
      g_printerr (_("The teaching mode has steps 1 to 5\n"));
      return 2;
    }
  if (g_variant_dict_lookup (options, "screenshot", "^&ay", &shot))
    {
      self->screenshot = g_strdup (shot);
      /* A screenshot run is its own instance: never hand it to a running one. */
      g_application_set_flags (app, g_application_get_flags (app) | G_APPLICATION_NON_UNIQUE);
    }
  return -1;
}

static void
apply_color_scheme (GabnApplication *self)
{
  const char *scheme = gabn_settings_get_color_scheme (self->settings);
  AdwColorScheme value = ADW_COLOR_SCHEME_DEFAULT;

  if (g_strcmp0 (scheme, "light") == 0)
    value = ADW_COLOR_SCHEME_FORCE_LIGHT;
  else if (g_strcmp0 (scheme, "dark") == 0)
    value = ADW_COLOR_SCHEME_FORCE_DARK;
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), value);
}

static void
apply_threads (GabnApplication *self)
{
  gabn_set_threads (gabn_settings_get_threads (self->settings));
}

static GabnWindow *
ensure_window (GabnApplication *self, gboolean *created)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  *created = window == NULL;
  if (window == NULL)
    window = g_object_new (GABN_TYPE_WINDOW, "application", self, NULL);
  return GABN_WINDOW (window);
}

static void
gabn_application_activate (GApplication *app)
{
  GabnApplication *self = GABN_APPLICATION (app);
  gboolean created;
  GabnWindow *window = ensure_window (self, &created);

  if (created)
    {
      gabn_session_set_synthetic_size (gabn_window_get_session (window),
                                       self->synth_identities, self->synth_images);
      if (self->screenshot != NULL)
        {
          const char *view = self->start_view ? self->start_view : "faces";

          gtk_window_set_default_size (GTK_WINDOW (window), 1280, 820);
          /* The training view gets a smaller set so real runs finish
           * quickly; Compare keeps the default faces, on which the
           * shipped baseline and GABN models are compared. */
          if (g_str_equal (view, "train"))
            gabn_session_set_synthetic_size (gabn_window_get_session (window), 24, 6);
          if (self->teach_step > 0)
            gabn_teach_view_set_demo_step (GABN_TEACH_VIEW (gabn_window_get_view_widget (window, "teach")),
                                           self->teach_step - 1);
          gabn_demo_prepare (window, view);
        }
      /* First run and every start: the built-in faces, so there is
       * something to look at without finding a file. */
      gabn_window_open_synthetic (window, NULL);
    }
  if (self->start_view != NULL)
    gabn_window_set_view (window, self->start_view);
  gtk_window_present (GTK_WINDOW (window));
  if (self->screenshot != NULL)
    /* Later teaching steps train up to three models first. */
    gabn_screenshot_when_ready (window, self->start_view ? self->start_view : "faces",
                                self->screenshot, self->teach_step > 1 ? 3600 : 600);
}

static void
gabn_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  GabnApplication *self = GABN_APPLICATION (app);
  gboolean created;
  GabnWindow *window = ensure_window (self, &created);

  for (int i = 0; i < n_files; i++)
    gabn_window_open_file (window, files[i]);
  if (self->start_view != NULL)
    gabn_window_set_view (window, self->start_view);
  gtk_window_present (GTK_WINDOW (window));
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
                         "comments", _("See and fix racial bias in face recognition: per-group attention maps, and training with the Gradient Attention Balance Network"),
                         NULL);
}

static void
gabn_application_preferences_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWindow *prefs = GTK_WINDOW (gabn_preferences_window_new ());

  gtk_window_set_transient_for (prefs, gtk_application_get_active_window (app));
  gtk_window_present (prefs);
}

static void
gabn_application_quit_action (GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GList *windows = g_list_copy (gtk_application_get_windows (app));

  /* Closing the windows stops their training runs; the application quits
   * when the last window is gone (after its threads ended). */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static const GActionEntry app_actions[] = {
  { "about", gabn_application_about_action },
  { "preferences", gabn_application_preferences_action },
  { "quit", gabn_application_quit_action },
};

static void
gabn_application_startup (GApplication *app)
{
  GabnApplication *self = GABN_APPLICATION (app);
  static const char *quit_accels[] = { "<primary>q", NULL };
  static const char *prefs_accels[] = { "<primary>comma", NULL };
  static const char *help_accels[] = { "<primary>question", NULL };

  G_APPLICATION_CLASS (gabn_application_parent_class)->startup (app);
  self->settings = g_object_ref (gabn_settings_get_default ());
  g_signal_connect_object (self->settings, "notify::color-scheme", G_CALLBACK (apply_color_scheme), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::threads", G_CALLBACK (apply_threads), self, G_CONNECT_SWAPPED);
  apply_color_scheme (self);
  apply_threads (self);
  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", prefs_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay", help_accels);
}

static void
gabn_application_finalize (GObject *object)
{
  GabnApplication *self = GABN_APPLICATION (object);

  g_clear_object (&self->settings);
  g_free (self->start_view);
  g_free (self->screenshot);
  G_OBJECT_CLASS (gabn_application_parent_class)->finalize (object);
}

/* Every window goes (cancelling its loads and runs), then the workers
 * still in flight are waited for: main must not return under them. */
static void
gabn_application_shutdown (GApplication *app)
{
  GList *windows;

  while ((windows = gtk_application_get_windows (GTK_APPLICATION (app))) != NULL)
    gtk_window_destroy (windows->data);
  if (!gabn_jobs_wait_idle (60000))
    g_warning ("%d background jobs still running at exit", gabn_jobs_running ());
  G_APPLICATION_CLASS (gabn_application_parent_class)->shutdown (app);
}

static void
gabn_application_class_init (GabnApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = gabn_application_finalize;
  app_class->activate = gabn_application_activate;
  app_class->open = gabn_application_open;
  app_class->startup = gabn_application_startup;
  app_class->shutdown = gabn_application_shutdown;
  app_class->handle_local_options = gabn_application_handle_local_options;
}

static void
gabn_application_init (GabnApplication *self)
{
  g_application_add_main_option (G_APPLICATION (self), "version", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_NONE, _("Print the version and quit"), NULL);
  g_application_add_main_option (G_APPLICATION (self), "view", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_STRING,
                                 _("Open this view: faces, groups, train, compare or teach"),
                                 _("VIEW"));
  g_application_add_main_option (G_APPLICATION (self), "screenshot", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_FILENAME,
                                 _("When the view is ready, save the window to this PNG file and quit"),
                                 _("FILE"));
  g_application_add_main_option (G_APPLICATION (self), "teach-step", 0, G_OPTION_FLAG_NONE,
                                 G_OPTION_ARG_INT,
                                 _("With --view teach --screenshot: walk the teaching mode to this step (1–5), doing each step's training, before saving"),
                                 _("STEP"));
}

int
gabn_application_get_exit_status (GabnApplication *self)
{
  g_return_val_if_fail (GABN_IS_APPLICATION (self), 1);
  return GPOINTER_TO_INT (g_object_get_data (G_OBJECT (self), "gabn-exit-status"));
}

void
gabn_application_set_synthetic_size (GabnApplication *self, int identities, int images)
{
  g_return_if_fail (GABN_IS_APPLICATION (self));
  self->synth_identities = identities;
  self->synth_images = images;
}
