/* gabn-window.c: the main window: header bar, primary menu, the view stack,
 * opening files (chooser, drag and drop, recent lists) and errors as toasts.
 * The views do the work; the window only wires them to its session. */
#include "config.h"
#include "gabn-window.h"
#include "gabn-compare-view.h"
#include "gabn-faces-view.h"
#include "gabn-groups-view.h"
#include "gabn-settings.h"
#include "gabn-synth.h"
#include "gabn-teach-view.h"
#include "gabn-train-view.h"

#include <glib/gi18n.h>

struct _GabnWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  AdwHeaderBar        *header_bar;
  GtkStack            *main_stack;
  GtkProgressBar      *progress_bar;
  GtkRevealer         *progress_revealer;
  GMenu               *recent_menu;
  GMenu               *synthetic_menu;
  GtkSpinner          *spinner;
  AdwStatusPage       *status_page;
  AdwViewSwitcherTitle *switcher_title;
  AdwToastOverlay     *toast_overlay;
  AdwViewStack        *view_stack;
  GabnFacesView       *faces_view;
  GabnGroupsView      *groups_view;
  GabnTrainView       *train_view;
  GabnCompareView     *compare_view;
  GabnTeachView       *teach_view;

  /* Owned references */
  GabnSession         *session;
  GabnSettings        *settings;
  GtkNativeDialog     *chooser;
  GCancellable        *load_cancellable; /* dataset loads: each newer one replaces it */
  GCancellable        *cancellable;      /* model loads; both cancelled on dispose */
  char                *last_message;   /* the last toast, for tests */
};

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

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         || g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED);
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

/* ---- Opening ------------------------------------------------------------ */

static void
show_load_error (GabnWindow *self, const GError *error, const char *what)
{
  /* Translators: the first %s is what failed ("Could not open the dataset"),
   * the second the reason */
  g_autofree char *message = g_strdup_printf (_("%s: %s"), what, error->message);

  if (gabn_session_get_dataset (self->session) == NULL)
    {
      adw_status_page_set_icon_name (self->status_page, "dialog-error-symbolic");
      adw_status_page_set_title (self->status_page, what);
      adw_status_page_set_description (self->status_page, error->message);
    }
  gabn_window_toast (self, message);
}

/* A load in flight holds only a weak reference to its window, and the
 * window cancels its loads on dispose: a late result finds the window gone
 * (NULL) or sees the cancellation, and touches nothing. When path is set,
 * the file joins the recent list once it has opened, so a broken file is
 * never offered again. */
typedef struct {
  GWeakRef window;
  char    *path;
} OpenData;

static OpenData *
open_data_new (GabnWindow *self, const char *path)
{
  OpenData *od = g_new0 (OpenData, 1);

  g_weak_ref_init (&od->window, self);
  od->path = g_strdup (path);
  return od;
}

static void
open_data_free (OpenData *od)
{
  g_weak_ref_clear (&od->window);
  g_free (od->path);
  g_free (od);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OpenData, open_data_free)

/* Shows the error or the new model; TRUE when it opened. */
static gboolean
finish_model_load (GabnWindow *self, GabnSession *session, GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;

  if (!gabn_session_load_model_finish (session, result, &error))
    {
      if (!is_cancelled (error))
        show_load_error (self, error, _("Could not open the model"));
      return FALSE;
    }
  update_title (self);
  return TRUE;
}

static void
model_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OpenData) od = user_data;
  g_autoptr(GabnWindow) self = g_weak_ref_get (&od->window);

  if (self != NULL && finish_model_load (self, GABN_SESSION (object), result) && od->path != NULL)
    gabn_settings_add_recent_model (self->settings, od->path);
}

static void
load_model (GabnWindow *self, const char *path)
{
  gabn_session_load_model_async (self->session, path, self->cancellable, model_loaded_cb,
                                 open_data_new (self, path));
}

/* The shipped baseline (bench/ship-models.sh) when the dataset is the one
 * it was trained on — the built-in faces at their defaults — and the file
 * is there: installed, or in the source tree of an uninstalled build. */
static char *
shipped_model_for (const GabnDataset *ds)
{
  const char *dirs[] = { g_getenv ("GABN_MODELS_DIR"), GABN_MODELS_INSTALL_DIR,
                         GABN_MODELS_SOURCE_DIR };
  GabnSynthConfig defaults;

  gabn_synth_config_init (&defaults, GABN_SYNTH_REALISTIC);
  if (ds->synth == NULL || ds->synth->preset != defaults.preset
      || ds->synth->seed != defaults.seed || ds->synth->identities != defaults.identities
      || ds->synth->images != defaults.images || ds->synth->size != defaults.size
      || ds->synth->jitter != defaults.jitter)
    return NULL;
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = dirs[i] ? g_build_filename (dirs[i], "gabn-s-realistic-baseline.safetensors", NULL) : NULL;
      if (path && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

/* Shows the error, or the new dataset (with the shipped baseline on the
 * built-in faces, else a new model, as faces need one to show attention);
 * TRUE when it opened. */
static gboolean
finish_dataset_load (GabnWindow *self, GabnSession *session, GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;

  if (!gabn_session_load_dataset_finish (session, result, &error))
    {
      if (!is_cancelled (error))
        show_load_error (self, error, _("Could not open the dataset"));
      return FALSE;
    }
  update_title (self);
  if (gabn_session_get_model (self->session) == NULL)
    {
      g_autofree char *shipped = shipped_model_for (gabn_session_get_dataset (self->session)->dataset);
      load_model (self, shipped);
    }
  return TRUE;
}

static void
dataset_loaded_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OpenData) od = user_data;
  g_autoptr(GabnWindow) self = g_weak_ref_get (&od->window);

  if (self != NULL && finish_dataset_load (self, GABN_SESSION (object), result) && od->path != NULL)
    gabn_settings_add_recent_dataset (self->settings, od->path);
}

static void
reset_load_cancellable (GabnWindow *self)
{
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
}

static void
open_dataset_path (GabnWindow *self, const char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);

  reset_load_cancellable (self);
  gabn_settings_set_last_dataset_folder (self->settings, folder);
  gabn_session_load_dataset_async (self->session, path, NULL, self->load_cancellable,
                                   dataset_loaded_cb, open_data_new (self, path));
}

static void
open_model_path (GabnWindow *self, const char *path)
{
  g_autofree char *folder = g_path_get_dirname (path);

  gabn_settings_set_last_model_folder (self->settings, folder);
  load_model (self, path);
}

void
gabn_window_open_synthetic (GabnWindow *self, const char *preset)
{
  g_return_if_fail (GABN_IS_WINDOW (self));
  reset_load_cancellable (self);
  gabn_session_load_dataset_async (self->session, NULL, preset, self->load_cancellable,
                                   dataset_loaded_cb, open_data_new (self, NULL));
}

void
gabn_window_open_file (GabnWindow *self, GFile *file)
{
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *name = g_file_get_basename (file);

  g_return_if_fail (GABN_IS_WINDOW (self));
  if (path == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);
      g_autofree char *message = g_strdup_printf (_("“%s” is not a local file"), uri);
      gabn_window_toast (self, message);
      return;
    }
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    open_dataset_path (self, path);
  else if (g_str_has_suffix (name, ".safetensors") || g_str_has_suffix (name, ".pth")
           || g_str_has_suffix (name, ".pt") || g_str_has_suffix (name, ".onnx"))
    open_model_path (self, path);
  else
    {
      g_autofree char *message =
        g_strdup_printf (_("“%s” is neither a dataset folder nor a model (.safetensors, .pth, .onnx)"), name);
      gabn_window_toast (self, message);
    }
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, GabnWindow *self)
{
  gboolean model = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "gabn-model"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL && model)
        open_model_path (self, path);
      else if (path != NULL)
        open_dataset_path (self, path);
    }
  g_clear_object (&self->chooser);
}

#if defined(GDK_VERSION_4_10) && GDK_VERSION_MAX_ALLOWED >= GDK_VERSION_4_10
/* GtkFileDialog (GTK 4.10+): used when the build allows it. */
static void
file_dialog_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnWindow) self = user_data;
  GtkFileDialog *dialog = GTK_FILE_DIALOG (source);
  gboolean model = GPOINTER_TO_INT (g_object_get_data (source, "gabn-model"));
  g_autoptr(GFile) file = model ? gtk_file_dialog_open_finish (dialog, result, NULL)
                                : gtk_file_dialog_select_folder_finish (dialog, result, NULL);
  g_autofree char *path = file != NULL ? g_file_get_path (file) : NULL;

  if (path != NULL && model)
    open_model_path (self, path);
  else if (path != NULL)
    open_dataset_path (self, path);
}

static void
run_file_dialog (GabnWindow *self, gboolean model, const char *folder)
{
  g_autoptr(GtkFileDialog) dialog = gtk_file_dialog_new ();

  gtk_file_dialog_set_title (dialog, model ? _("Open Model") : _("Open Dataset Folder"));
  gtk_file_dialog_set_modal (dialog, TRUE);
  if (folder != NULL && *folder != '\0')
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);
      gtk_file_dialog_set_initial_folder (dialog, dir);
    }
  g_object_set_data (G_OBJECT (dialog), "gabn-model", GINT_TO_POINTER (model));
  if (model)
    {
      g_autoptr(GListStore) filters = g_list_store_new (GTK_TYPE_FILE_FILTER);
      g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _("Models (safetensors, PyTorch, ONNX)"));
      gtk_file_filter_add_pattern (filter, "*.safetensors");
      gtk_file_filter_add_pattern (filter, "*.pth");
      gtk_file_filter_add_pattern (filter, "*.pt");
      gtk_file_filter_add_pattern (filter, "*.onnx");
      g_list_store_append (filters, filter);
      gtk_file_dialog_set_filters (dialog, G_LIST_MODEL (filters));
      gtk_file_dialog_open (dialog, GTK_WINDOW (self), NULL, file_dialog_done, g_object_ref (self));
    }
  else
    gtk_file_dialog_select_folder (dialog, GTK_WINDOW (self), NULL, file_dialog_done,
                                   g_object_ref (self));
}
#endif

static void
run_chooser (GabnWindow *self, gboolean model)
{
  GtkFileChooserNative *native;
  const char *folder = model ? gabn_settings_get_last_model_folder (self->settings)
                             : gabn_settings_get_last_dataset_folder (self->settings);

#if defined(GDK_VERSION_4_10) && GDK_VERSION_MAX_ALLOWED >= GDK_VERSION_4_10
  run_file_dialog (self, model, folder);
  return;
#endif

  native = gtk_file_chooser_native_new (model ? _("Open Model") : _("Open Dataset Folder"),
                                        GTK_WINDOW (self),
                                        model ? GTK_FILE_CHOOSER_ACTION_OPEN
                                              : GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (model)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Models (safetensors, PyTorch, ONNX)"));
      gtk_file_filter_add_pattern (filter, "*.safetensors");
      gtk_file_filter_add_pattern (filter, "*.pth");
      gtk_file_filter_add_pattern (filter, "*.pt");
      gtk_file_filter_add_pattern (filter, "*.onnx");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      g_object_unref (filter);
    }
  if (folder != NULL && *folder != '\0')
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), dir, NULL);
    }
  g_object_set_data (G_OBJECT (native), "gabn-model", GINT_TO_POINTER (model));
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, GabnWindow *self)
{
  GSList *files;
  gboolean any;

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  files = gdk_file_list_get_files (g_value_get_boxed (value));
  any = files != NULL;
  for (GSList *l = files; l != NULL; l = l->next)
    gabn_window_open_file (self, l->data);
  g_slist_free (files);
  return any;
}

/* ---- Recent lists ------------------------------------------------------- */

static void
rebuild_recent_menu (GabnWindow *self)
{
  const char *const *datasets = gabn_settings_get_recent_datasets (self->settings);
  const char *const *models = gabn_settings_get_recent_models (self->settings);

  g_menu_remove_all (self->recent_menu);
  for (guint i = 0; datasets != NULL && datasets[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (datasets[i]);
      g_autofree char *label = g_strdup_printf (_("Dataset: %s"), base);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target (item, "win.open-recent", "s", datasets[i]);
      g_menu_append_item (self->recent_menu, item);
    }
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    {
      g_autofree char *base = g_path_get_basename (models[i]);
      g_autofree char *label = g_strdup_printf (_("Model: %s"), base);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target (item, "win.open-recent", "s", models[i]);
      g_menu_append_item (self->recent_menu, item);
    }
  if (g_menu_model_get_n_items (G_MENU_MODEL (self->recent_menu)) == 0)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("No Recent Files"), "win.none");
      g_menu_append_item (self->recent_menu, item);
    }
}

/* ---- Actions ------------------------------------------------------------ */

static void
open_dataset_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_chooser (GABN_WINDOW (widget), FALSE);
}

static void
open_model_action (GtkWidget *widget, const char *name, GVariant *param)
{
  run_chooser (GABN_WINDOW (widget), TRUE);
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
static void
fill_synthetic_menu (GabnWindow *self)
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

  load_model (self, NULL);
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

/* ---- Training runs become comparable models ----------------------------- */

static void
on_run_state (GabnTrainRun *run, GParamSpec *pspec, GabnWindow *self)
{
  GabnSharedModel *model = gabn_train_run_get_model (run);

  if (model == NULL || g_object_get_data (G_OBJECT (run), "gabn-offered"))
    return;
  g_object_set_data (G_OBJECT (run), "gabn-offered", GINT_TO_POINTER (1));
  gabn_compare_view_add_model (self->compare_view, model, gabn_train_run_get_name (run));
}

static void
on_runs_changed (GListModel *runs, guint position, guint removed, guint added, GabnWindow *self)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr(GabnTrainRun) run = g_list_model_get_item (runs, i);
      g_signal_connect_object (run, "notify::state", G_CALLBACK (on_run_state), self, 0);
    }
}

/* ---- Screenshot preparation --------------------------------------------- */

/* The demo's first run (baseline) as A, its second (GABN) as B. */
static void
compare_demo_runs (GabnWindow *self)
{
  GListModel *runs = gabn_train_view_get_runs (self->train_view);
  g_autoptr(GabnTrainRun) first = NULL;
  g_autoptr(GabnTrainRun) second = NULL;
  int a, b;

  if (g_list_model_get_n_items (runs) < 2 || g_object_get_data (G_OBJECT (self), "gabn-compared"))
    return;
  first = g_list_model_get_item (runs, 0);
  second = g_list_model_get_item (runs, 1);
  a = gabn_compare_view_find_model (self->compare_view, gabn_train_run_get_name (first));
  b = gabn_compare_view_find_model (self->compare_view, gabn_train_run_get_name (second));
  if (a < 0 || b < 0)
    return;
  g_object_set_data (G_OBJECT (self), "gabn-compared", GINT_TO_POINTER (1));
  gabn_compare_view_select (self->compare_view, a, b);
  gabn_compare_view_compare (self->compare_view);
}

static void
on_demo_run_state (GabnTrainRun *run, GParamSpec *pspec, GabnWindow *self)
{
  GListModel *runs = gabn_train_view_get_runs (self->train_view);

  for (guint i = 0; i < g_list_model_get_n_items (runs); i++)
    {
      g_autoptr(GabnTrainRun) r = g_list_model_get_item (runs, i);
      if (gabn_train_run_get_model (r) == NULL)
        return;
    }
  compare_demo_runs (self);
}

static void
start_demo (GabnWindow *self)
{
  g_autofree char *view = g_strdup (g_object_get_data (G_OBJECT (self), "gabn-demo-view"));
  GListModel *runs;

  if (view == NULL || gabn_session_get_dataset (self->session) == NULL
      || gabn_session_get_model (self->session) == NULL)
    return;
  g_debug ("Starting the %s demonstration", view);
  g_object_set_data (G_OBJECT (self), "gabn-demo-view", NULL);
  if (g_str_equal (view, "train") || g_str_equal (view, "compare"))
    {
      gabn_train_view_start_demo (self->train_view, g_str_equal (view, "train") ? 3 : 1);
      runs = gabn_train_view_get_runs (self->train_view);
      for (guint i = 0; g_str_equal (view, "compare") && i < g_list_model_get_n_items (runs); i++)
        {
          g_autoptr(GabnTrainRun) run = g_list_model_get_item (runs, i);
          g_signal_connect_object (run, "notify::state", G_CALLBACK (on_demo_run_state), self, G_CONNECT_AFTER);
        }
    }
  else if (g_str_equal (view, "teach"))
    gabn_teach_view_run_demo (self->teach_view);
}

void
gabn_window_prepare_demo (GabnWindow *self, const char *view)
{
  g_return_if_fail (GABN_IS_WINDOW (self));
  g_object_set_data_full (G_OBJECT (self), "gabn-demo-view", g_strdup (view), g_free);
  g_signal_connect_object (self->session, "notify::model", G_CALLBACK (start_demo), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  g_signal_connect_object (self->session, "notify::dataset", G_CALLBACK (start_demo), self,
                           G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  start_demo (self);
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

  if (gabn_train_view_stop_runs (self->train_view) || gabn_teach_view_stop_runs (self->teach_view))
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
  live = gabn_train_view_stop_runs (self->train_view);
  live = gabn_teach_view_stop_runs (self->teach_view) || live;
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
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_WINDOW);
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
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, status_page);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, teach_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, train_view);
  gtk_widget_class_bind_template_child (widget_class, GabnWindow, view_stack);

  gtk_widget_class_install_action (widget_class, "win.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_action (widget_class, "win.new-model", NULL, new_model_action);
  gtk_widget_class_install_action (widget_class, "win.open-dataset", NULL, open_dataset_action);
  gtk_widget_class_install_action (widget_class, "win.open-model", NULL, open_model_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
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
}

static void
gabn_window_init (GabnWindow *self)
{
  GtkDropTarget *drop;
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
  g_signal_connect_object (self->settings, "notify::recent-datasets", G_CALLBACK (rebuild_recent_menu), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::recent-models", G_CALLBACK (rebuild_recent_menu), self, G_CONNECT_SWAPPED);
  rebuild_recent_menu (self);
  fill_synthetic_menu (self);

  gabn_faces_view_set_session (self->faces_view, self->session);
  gabn_groups_view_set_session (self->groups_view, self->session);
  gabn_train_view_set_session (self->train_view, self->session);
  gabn_compare_view_set_session (self->compare_view, self->session);
  gabn_teach_view_set_session (self->teach_view, self->session);

  g_signal_connect_object (gabn_train_view_get_runs (self->train_view), "items-changed",
                           G_CALLBACK (on_runs_changed), self, 0);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
}

void
gabn_widget_toast (GtkWidget *widget, const char *message)
{
  GtkWidget *window = gtk_widget_get_ancestor (widget, GABN_TYPE_WINDOW);

  if (window != NULL)
    gabn_window_toast (GABN_WINDOW (window), message);
  else
    g_message ("%s", message);
}
