/* gabn-window-open.c: opening a dataset or a model from a file chooser, the
 * command line, a drop or the recent list; errors as toasts (and on the
 * empty page when nothing is open yet). */
#include "config.h"
#include "gabn-models.h"
#include "gabn-tfjs.h"
#include "gabn-window-private.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
         || g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED);
}

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

static void
show_model_error (GabnWindow *self, const GError *error)
{
  if (!is_cancelled (error))
    show_load_error (self, error, _("Could not open the model"));
}

/* Shows the error or the new model; TRUE when it opened. */
static gboolean
finish_model_load (GabnWindow *self, GabnSession *session, GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;

  if (!gabn_session_load_model_finish (session, result, &error))
    {
      show_model_error (self, error);
      return FALSE;
    }
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

void
gabn_window_load_model (GabnWindow *self, const char *path)
{
  gabn_session_load_model_async (self->session, path, self->cancellable, model_loaded_cb,
                                 open_data_new (self, path));
}

/* A shipped model (bench/ship-models.sh) when the dataset is the one it was
 * trained on — the built-in faces at their defaults — and the file is
 * there: installed, or in the source tree of an uninstalled build. */
static char *
shipped_model_for (const GabnDataset *ds, const char *name)
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
      g_autofree char *path = dirs[i] ? g_build_filename (dirs[i], name, NULL) : NULL;
      if (path && g_file_test (path, G_FILE_TEST_IS_REGULAR))
        return g_steal_pointer (&path);
    }
  return NULL;
}

gboolean
gabn_window_has_shipped_models (GabnWindow *self)
{
  GabnSharedDataset *ds;
  g_autofree char *baseline = NULL, *gabn = NULL;

  g_return_val_if_fail (GABN_IS_WINDOW (self), FALSE);
  ds = gabn_session_get_dataset (self->session);
  if (ds == NULL)
    return FALSE;
  baseline = shipped_model_for (ds->dataset, GABN_SHIPPED_BASELINE);
  gabn = shipped_model_for (ds->dataset, GABN_SHIPPED_GABN);
  return baseline != NULL && gabn != NULL;
}

static gboolean
session_offers (GabnSession *session, const char *path)
{
  GListModel *models = gabn_session_get_models (session);

  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(GabnModelItem) item = g_list_model_get_item (models, i);
      GabnSharedModel *model = gabn_model_item_get_model (item);

      if (model != NULL && g_strcmp0 (model->path, path) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
shipped_offered_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(OpenData) od = user_data;
  g_autoptr(GabnWindow) self = g_weak_ref_get (&od->window);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnModelItem) item = gabn_session_add_model_file_finish (GABN_SESSION (object),
                                                                      result, &error);

  if (self != NULL && item == NULL)
    show_model_error (self, error);
}

/* The shipped baseline becomes current; the GABN model trained beside it
 * is offered in Compare, so the first comparison needs no file. It is
 * offered once per window: a second dataset opened before the first add
 * landed would otherwise offer it twice. */
static void
open_shipped_models (GabnWindow *self, const GabnDataset *ds)
{
  g_autofree char *baseline = shipped_model_for (ds, GABN_SHIPPED_BASELINE);
  g_autofree char *gabn = shipped_model_for (ds, GABN_SHIPPED_GABN);

  gabn_window_load_model (self, baseline);
  if (baseline != NULL && gabn != NULL && !self->shipped_offered
      && !session_offers (self->session, gabn))
    {
      self->shipped_offered = TRUE;
      gabn_session_add_model_file_async (self->session, gabn, self->cancellable,
                                         shipped_offered_cb, open_data_new (self, gabn));
    }
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
  if (gabn_session_get_model (self->session) == NULL)
    open_shipped_models (self, gabn_session_get_dataset (self->session)->dataset);
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
  gabn_window_load_model (self, path);
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
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && gabn_tfjs_is_model (path))
    open_model_path (self, path);   /* a TF.js model's folder (e.g. dlib-resnet) */
  else if (g_file_test (path, G_FILE_TEST_IS_DIR))
    open_dataset_path (self, path);
  else if (g_str_has_suffix (name, ".safetensors") || g_str_has_suffix (name, ".pth")
           || g_str_has_suffix (name, ".pt") || g_str_has_suffix (name, ".onnx")
           || gabn_tfjs_is_model (path))
    open_model_path (self, path);
  else
    {
      g_autofree char *message =
        g_strdup_printf (_("“%s” is neither a dataset folder nor a model (.safetensors, .pth, .onnx, a TF.js weights manifest)"), name);
      gabn_window_toast (self, message);
    }
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, GabnWindow *self)
{
  gboolean model = self->chooser_model;

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

void
gabn_window_run_chooser (GabnWindow *self, gboolean model)
{
  GtkFileChooserNative *native;
  const char *folder = model ? gabn_settings_get_last_model_folder (self->settings)
                             : gabn_settings_get_last_dataset_folder (self->settings);

  native = gtk_file_chooser_native_new (model ? _("Open Model") : _("Open Dataset Folder"),
                                        GTK_WINDOW (self),
                                        model ? GTK_FILE_CHOOSER_ACTION_OPEN
                                              : GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                        _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (model)
    {
      GtkFileFilter *filter = gtk_file_filter_new ();
      gtk_file_filter_set_name (filter, _("Models (safetensors, PyTorch, ONNX, TF.js)"));
      gtk_file_filter_add_pattern (filter, "*.safetensors");
      gtk_file_filter_add_pattern (filter, "*.pth");
      gtk_file_filter_add_pattern (filter, "*.pt");
      gtk_file_filter_add_pattern (filter, "*.onnx");
      gtk_file_filter_add_pattern (filter, "*weights_manifest.json");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
      g_object_unref (filter);
    }
  if (folder != NULL && *folder != '\0')
    {
      g_autoptr(GFile) dir = g_file_new_for_path (folder);
      gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), dir, NULL);
    }
  self->chooser_model = model;
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

void
gabn_window_rebuild_recent_menu (GabnWindow *self)
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


static void
known_models_listed (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnWindow) self = g_weak_ref_get (user_data);
  g_autoptr(GPtrArray) models = gabn_session_list_models_finish (GABN_SESSION (source), result, NULL);

  g_weak_ref_clear (user_data);
  g_free (user_data);
  if (self == NULL || models == NULL)
    return;
  g_menu_remove_all (self->known_models_menu);
  for (guint i = 0; i < models->len; i++)
    {
      const GabnModelInfo *m = g_ptr_array_index (models, i);
      /* Translators: a model's name, its file kind and input size, e.g.
       * "dlib-resnet (tfjs, 150×150)" */
      g_autofree char *label = g_strdup_printf (_("%s (%s, %d×%d)"), m->name, m->kind,
                                                m->input_size, m->input_size);
      g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

      g_menu_item_set_action_and_target (item, "win.open-known-model", "s", m->path);
      g_menu_append_item (self->known_models_menu, item);
    }
  if (models->len == 0)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (_("No Known Models"), "win.none");
      g_menu_append_item (self->known_models_menu, item);
    }
}

/* The models known by name (`gabn models`): shipped, installed by the
 * set-up, or in the user's models folder; listed in a worker. */
void
gabn_window_fill_known_models_menu (GabnWindow *self)
{
  GWeakRef *ref = g_new0 (GWeakRef, 1);

  g_weak_ref_init (ref, self);
  gabn_session_list_models_async (self->session, self->cancellable, known_models_listed, ref);
}
