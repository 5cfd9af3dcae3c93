/* gabn-window.c: the main window: header bar, primary menu, the view stack,
 * the session's state in the chrome and errors as toasts. The views do the
 * work with the session; the window gives them the session, and they reach
 * it back only through its actions (gabn-window-actions.c). Opening files
 * is in gabn-window-open.c, drops in gabn-window-dnd.c. */
#include "config.h"
#include "gabn-window-private.h"

#include <glib/gi18n.h>

G_DEFINE_FINAL_TYPE (GabnWindow, gabn_window, ADW_TYPE_APPLICATION_WINDOW)

void
gabn_window_toast (GabnWindow *self, const char *message)
{
  AdwToast *toast;

  g_return_if_fail (GABN_IS_WINDOW (self));
  g_free (self->last_message);
  self->last_message = g_strdup (message);
  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ---- Session state in the chrome ---------------------------------------- */

static void
update_title (GabnWindow *self)
{
  GabnSharedDataset *data = gabn_session_get_dataset (self->session);
  GabnSharedModel *model = gabn_session_get_model (self->session);
  g_autofree char *subtitle = NULL;

  if (data != NULL && model != NULL)
    /* Translators: dataset title — model title, shown under the window title */
    subtitle = g_strdup_printf (_("%s — %s"), data->title, model->title);
  else if (data != NULL)
    subtitle = g_strdup (data->title);
  adw_view_switcher_title_set_subtitle (self->switcher_title, subtitle ? subtitle : "");
  gtk_stack_set_visible_child_name (self->main_stack, data != NULL ? "views" : "empty");
}

static void
on_busy_changed (GabnWindow *self)
{
  gboolean busy = gabn_session_get_busy (self->session);
  double progress = gabn_session_get_progress (self->session);
  const char *status = gabn_session_get_status (self->session);

  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_revealer_set_reveal_child (self->progress_revealer, busy);
  if (progress >= 0)
    gtk_progress_bar_set_fraction (self->progress_bar, progress);
  else if (busy)
    gtk_progress_bar_pulse (self->progress_bar);
  gtk_progress_bar_set_text (self->progress_bar, status);
}

/* ---- Views -------------------------------------------------------------- */

void
gabn_window_set_view (GabnWindow *self, const char *name)
{
  g_return_if_fail (GABN_IS_WINDOW (self));
  adw_view_stack_set_visible_child_name (self->view_stack, name);
}

const char *
gabn_window_get_view (GabnWindow *self)
{
  g_return_val_if_fail (GABN_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

GtkWidget *
gabn_window_get_view_widget (GabnWindow *self, const char *name)
{
  g_return_val_if_fail (GABN_IS_WINDOW (self), NULL);
  return adw_view_stack_get_child_by_name (self->view_stack, name);
}

const char *
gabn_window_get_last_message (GabnWindow *self)
{
  g_return_val_if_fail (GABN_IS_WINDOW (self), NULL);
  return self->last_message;
}

GabnSession *
gabn_window_get_session (GabnWindow *self)
{
  g_return_val_if_fail (GABN_IS_WINDOW (self), NULL);
  return self->session;
}

/* ---- GObject ------------------------------------------------------------ */

/* Closing while training: the runs are told to stop, the window hides at
 * once, and it is destroyed (letting the application quit) only when every
 * training thread has ended, so no thread outlives the process's data and
 * the window never freezes waiting for a step to finish. */
static gboolean
destroy_when_runs_ended (gpointer data)
{
  GabnWindow *self = data;
  GApplication *app = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));

  if (gabn_session_stop_runs (self->session) || gabn_teach_view_stop_runs (self->teach_view))
    return G_SOURCE_CONTINUE;
  gtk_window_destroy (GTK_WINDOW (self));
  if (app != NULL)
    g_application_release (app);
  return G_SOURCE_REMOVE;
}

static gboolean
gabn_window_close_request (GtkWindow *window)
{
  GabnWindow *self = GABN_WINDOW (window);
  GtkApplication *app = gtk_window_get_application (window);
  gboolean live;
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  gabn_settings_set_window_size (self->settings, width, height, gtk_window_is_maximized (window));
  live = gabn_teach_view_stop_runs (self->teach_view);
  live = gabn_session_stop_runs (self->session) || live;
  if (live && app != NULL && gtk_widget_get_visible (GTK_WIDGET (window)))
    {
      g_application_hold (G_APPLICATION (app));
      gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
      g_timeout_add_full (G_PRIORITY_DEFAULT, 100, destroy_when_runs_ended,
                          g_object_ref (self), g_object_unref);
      return TRUE;
    }
  if (live)
    return TRUE; /* already waiting */
  return GTK_WINDOW_CLASS (gabn_window_parent_class)->close_request (window);
}

static void
gabn_window_dispose (GObject *object)
{
  GabnWindow *self = GABN_WINDOW (object);

  /* The session lives on until its loads end; from now on they are
   * cancelled and it no longer reaches this window. */
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      gabn_session_shutdown (self->session);
    }
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_WINDOW);
  /* No training thread outlives its window. */
  if (self->session != NULL)
    gabn_session_join_runs (self->session);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->last_message, g_free);
  G_OBJECT_CLASS (gabn_window_parent_class)->dispose (object);
}

static void
gabn_window_class_init (GabnWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = gabn_window_dispose;
  window_class->close_request = gabn_window_close_request;

  g_type_ensure (GABN_TYPE_FACES_VIEW);
  g_type_ensure (GABN_TYPE_GROUPS_VIEW);
  g_type_ensure (GABN_TYPE_TRAIN_VIEW);
  g_type_ensure (GABN_TYPE_COMPARE_VIEW);
  g_type_ensure (GABN_TYPE_TEACH_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-window.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, compare_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, faces_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, groups_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, progress_revealer);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, recent_menu);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, synthetic_menu);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, known_models_menu);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, teach_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, train_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, view_stack);

  gabn_window_class_init_actions (widget_class);
}

static void
gabn_window_init (GabnWindow *self)
{
  GtkBuilder *builder;
  int width, height;
  gboolean maximized;

  gtk_widget_init_template (GTK_WIDGET (self));
  if (DEVELOPMENT_BUILD)
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");

  self->settings = g_object_ref (gabn_settings_get_default ());
  self->session = gabn_session_new ();
  self->load_cancellable = g_cancellable_new ();
  self->cancellable = g_cancellable_new ();

  gabn_settings_get_window_size (self->settings, &width, &height, &maximized);
  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (maximized)
    gtk_window_maximize (GTK_WINDOW (self));

  builder = gtk_builder_new_from_resource (RESOURCE_PREFIX "/gabn-shortcuts.ui");
  gtk_application_window_set_help_overlay (GTK_APPLICATION_WINDOW (self),
                                           GTK_SHORTCUTS_WINDOW (gtk_builder_get_object (builder, "help_overlay")));
  g_object_unref (builder);

  g_signal_connect_object (self->session, "notify::busy", G_CALLBACK (on_busy_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::progress", G_CALLBACK (on_busy_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::dataset", G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::model", G_CALLBACK (update_title), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::recent-datasets", G_CALLBACK (gabn_window_rebuild_recent_menu), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::recent-models", G_CALLBACK (gabn_window_rebuild_recent_menu), self, G_CONNECT_SWAPPED);
  gabn_window_rebuild_recent_menu (self);
  gabn_window_fill_synthetic_menu (self);
  gabn_window_fill_known_models_menu (self);

  gabn_faces_view_set_session (self->faces_view, self->session);
  gabn_groups_view_set_session (self->groups_view, self->session);
  gabn_train_view_set_session (self->train_view, self->session);
  gabn_compare_view_set_session (self->compare_view, self->session);
  gabn_teach_view_set_session (self->teach_view, self->session);
  gabn_window_init_dnd (self);
}
