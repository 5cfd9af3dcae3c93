/* test-app-drop.c: drives the real window under Xvfb the way a user opens
 * files without the chooser: a dataset folder and a model file dropped on
 * the window's drop target, a bogus file dropped (a toast, nothing lost),
 * and the recent list (settings and the Recent menu) reopening both. */
#include "app-test-util.h"
#include "config.h"
#include "gabn-application.h"
#include "gabn-faces-view.h"
#include "gabn-model-file.h"
#include "gabn-settings.h"
#include "gabn-synth.h"
#include "gabn-window.h"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

static GabnApplication *app;
static GabnWindow *window;
static char *tmp_dir;
static char *dataset_path;  /* a generic-layout folder written by the test */
static char *model_path;    /* a gabn-s model saved by the test */

/* The synthetic folder: 4 groups × 3 identities × 2 images. */
#define DROP_IDENTITIES 3
#define DROP_IMAGES 2

static GabnSession *
session (void)
{
  return gabn_window_get_session (window);
}

static gboolean
session_idle (gpointer data)
{
  return !gabn_session_get_busy (session ());
}

/* The dataset titled data (its folder name) is open and nothing loads. */
static gboolean
dataset_titled (gpointer data)
{
  GabnSharedDataset *shared = gabn_session_get_dataset (session ());

  return shared != NULL && g_strcmp0 (shared->title, data) == 0 && app_test_session_loaded (window);
}

static gboolean
dataset_is_synthetic (gpointer data)
{
  GabnSharedDataset *shared = gabn_session_get_dataset (session ());

  return shared != NULL && g_strcmp0 (shared->dataset->format, "synthetic") == 0
         && app_test_session_loaded (window);
}

/* The model read from the file at path data is current. */
static gboolean
model_from (gpointer data)
{
  GabnSharedModel *model = gabn_session_get_model (session ());

  return model != NULL && g_strcmp0 (model->path, data) == 0 && session_idle (NULL);
}

static gboolean
model_is_new (gpointer data)
{
  GabnSharedModel *model = gabn_session_get_model (session ());

  return model != NULL && model->path == NULL && session_idle (NULL);
}

static gboolean
toast_starts_with (gpointer data)
{
  const char *message = gabn_window_get_last_message (window);

  return message != NULL && g_str_has_prefix (message, data) && session_idle (NULL);
}

static gboolean
strv_contains (const char *const *strv, const char *s)
{
  return strv != NULL && g_strv_contains (strv, s);
}

/* The window's file drop target, as a user's drop reaches it. */
static GtkDropTarget *
find_drop_target (void)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (GTK_WIDGET (window));

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GObject) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_DROP_TARGET (controller)
          && gtk_drop_target_get_gtypes (GTK_DROP_TARGET (controller), NULL) != NULL)
        {
          gsize n_types;
          const GType *types = gtk_drop_target_get_gtypes (GTK_DROP_TARGET (controller), &n_types);

          for (gsize t = 0; t < n_types; t++)
            if (types[t] == GDK_TYPE_FILE_LIST)
              return GTK_DROP_TARGET (controller);
        }
    }
  return NULL;
}

/* Emits the drop target's "drop" with a file list of the paths; returns
 * whether the window accepted it. */
static gboolean
drop_paths (const char *first, ...)
{
  GtkDropTarget *target = find_drop_target ();
  GSList *files = NULL;
  GValue value = G_VALUE_INIT;
  gboolean accepted = FALSE;
  va_list args;

  g_assert_nonnull (target);
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    files = g_slist_append (files, g_file_new_for_path (p));
  va_end (args);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (files));
  g_slist_free_full (files, g_object_unref);
  g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &accepted);
  g_value_unset (&value);
  return accepted;
}

/* ---- Drops ---------------------------------------------------------------- */

static void
test_drop_dataset (void)
{
  GabnFacesView *faces = GABN_FACES_VIEW (gabn_window_get_view_widget (window, "faces"));
  g_autofree char *title = g_path_get_basename (dataset_path);
  const GabnDataset *ds;

  gabn_window_set_view (window, "faces");
  g_assert_true (drop_paths (dataset_path, NULL));
  g_assert_true (app_test_wait_until (dataset_titled, title, 120));
  ds = gabn_session_get_dataset (session ())->dataset;
  g_assert_cmpstr (ds->format, ==, "generic");
  g_assert_cmpstr (ds->root, ==, dataset_path);
  g_assert_cmpint (ds->n_groups, ==, GABN_SYNTH_N_GROUPS);
  g_assert_cmpint (ds->n_identities, ==, GABN_SYNTH_N_GROUPS * DROP_IDENTITIES);
  g_assert_cmpint (ds->n_images, ==, GABN_SYNTH_N_GROUPS * DROP_IDENTITIES * DROP_IMAGES);
  for (int g = 0; g < ds->n_groups; g++)
    g_assert_cmpint (ds->groups[g].n_images, ==, DROP_IDENTITIES * DROP_IMAGES);
  /* Every image is a file of the dropped folder, and the view shows them. */
  for (int i = 0; i < ds->n_images; i++)
    g_assert_true (g_str_has_prefix (ds->images[i].path, dataset_path));
  g_assert_cmpuint (gabn_faces_view_get_n_shown (faces), ==, (guint) ds->n_images);
}

/* The first widget under root of type type whose label or text contains
 * fragment. */
static GtkWidget *
find_widget (GtkWidget *root, GType type, const char *fragment)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;
      const char *text = NULL;

      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        text = GTK_IS_BUTTON (child) ? gtk_button_get_label (GTK_BUTTON (child))
                                     : gtk_label_get_text (GTK_LABEL (child));
      if (text != NULL && strstr (text, fragment) != NULL)
        return child;
      if ((found = find_widget (child, type, fragment)) != NULL)
        return found;
    }
  return NULL;
}

typedef struct {
  const GabnDataset *ds;
  GtkWidget *button;
} CheckWait;

static gboolean
check_finished (gpointer data)
{
  CheckWait *w = data;

  return gabn_dataset_n_bad (w->ds) == 1 && gtk_widget_get_sensitive (w->button);
}

/* The summary's Check Images button decodes every image in a worker and
 * counts the unreadable one in the summary. */
static void
test_check_images (void)
{
  GtkWidget *faces = gabn_window_get_view_widget (window, "faces");
  const GabnDataset *ds = gabn_session_get_dataset (session ())->dataset;
  g_autofree char *saved = NULL;
  gsize saved_len;
  CheckWait w = { ds, NULL };

  g_assert_true (g_file_get_contents (ds->images[1].path, &saved, &saved_len, NULL));
  g_assert_true (g_file_set_contents (ds->images[1].path, "not an image", -1, NULL));
  w.button = find_widget (faces, GTK_TYPE_BUTTON, "Check Images");
  g_assert_nonnull (w.button);
  g_assert_true (gtk_widget_get_sensitive (w.button));
  g_signal_emit_by_name (w.button, "clicked");
  g_assert_true (app_test_wait_until (check_finished, &w, 120));
  g_assert_true (gabn_dataset_is_bad (ds, 1));
  g_assert_nonnull (find_widget (faces, GTK_TYPE_LABEL, "1 unreadable image"));
  g_assert_true (g_file_set_contents (ds->images[1].path, saved, saved_len, NULL));
}

static void
test_drop_model (void)
{
  GabnSharedModel *model;

  g_assert_true (drop_paths (model_path, NULL));
  g_assert_true (app_test_wait_until (model_from, model_path, 60));
  model = gabn_session_get_model (session ());
  g_assert_cmpstr (gabn_net_arch (model->net), ==, "gabn-s");
  g_assert_cmpint (gabn_net_n_classes (model->net), ==, 5);
  g_assert_cmpstr (model->title, ==, "tiny.safetensors");
}

/* Bogus drops: a toast naming the file; the open dataset and model stay,
 * and the file is not offered as recent. */
static void
test_drop_bogus (void)
{
  GabnSharedDataset *dataset_before = gabn_session_get_dataset (session ());
  GabnSharedModel *model_before = gabn_session_get_model (session ());
  g_autofree char *fake = g_build_filename (tmp_dir, "fake.safetensors", NULL);
  g_autofree char *text = g_build_filename (tmp_dir, "notes.txt", NULL);
  GabnSettings *settings = gabn_settings_get_default ();

  g_assert_true (g_file_set_contents (fake, "This is a text file, not a model.\n", -1, NULL));
  g_assert_true (g_file_set_contents (text, "hello\n", -1, NULL));

  g_assert_true (drop_paths (fake, NULL));
  /* The load fails in a worker; the toast follows. */
  g_assert_true (app_test_wait_until (toast_starts_with, _("Could not open the model"), 60));
  g_assert_nonnull (strstr (gabn_window_get_last_message (window), "fake.safetensors"));
  g_assert_true (gabn_session_get_model (session ()) == model_before);
  g_assert_false (strv_contains (gabn_settings_get_recent_models (settings), fake));

  g_assert_true (drop_paths (text, NULL));
  g_assert_nonnull (strstr (gabn_window_get_last_message (window), "notes.txt"));
  g_assert_true (app_test_wait_until (session_idle, NULL, 60));
  g_assert_true (gabn_session_get_dataset (session ()) == dataset_before);
  g_assert_true (gabn_session_get_model (session ()) == model_before);
  g_assert_false (strv_contains (gabn_settings_get_recent_models (settings), text));
  g_assert_false (strv_contains (gabn_settings_get_recent_datasets (settings), text));

  g_unlink (fake);
  g_unlink (text);
}

/* ---- Recent ---------------------------------------------------------------- */

static GMenuModel *
find_primary_menu (GtkWidget *widget)
{
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget)) != NULL)
    return gtk_menu_button_get_menu_model (GTK_MENU_BUTTON (widget));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GMenuModel *menu = find_primary_menu (child);
      if (menu != NULL)
        return menu;
    }
  return NULL;
}

/* The menu item (searched through sections and submenus) whose action is
 * win.open-recent with target path: its label, or NULL. */
static char *
find_recent_item (GMenuModel *menu, const char *path)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autofree char *action = NULL;
      g_autoptr(GVariant) target = NULL;
      g_autoptr(GMenuLinkIter) links = NULL;
      GMenuModel *linked;

      if (g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_ACTION, "s", &action)
          && g_str_equal (action, "win.open-recent"))
        {
          target = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET,
                                                          G_VARIANT_TYPE_STRING);
          if (target != NULL && g_str_equal (g_variant_get_string (target, NULL), path))
            {
              char *label = NULL;
              g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label);
              return label;
            }
        }
      links = g_menu_model_iterate_item_links (menu, i);
      while (g_menu_link_iter_get_next (links, NULL, &linked))
        {
          char *label = find_recent_item (linked, path);
          g_object_unref (linked);
          if (label != NULL)
            return label;
        }
    }
  return NULL;
}

static void
test_recent (void)
{
  GabnSettings *settings = gabn_settings_get_default ();
  GMenuModel *menu = find_primary_menu (GTK_WIDGET (window));
  g_autofree char *title = g_path_get_basename (dataset_path);
  g_autofree char *dataset_label = NULL;
  g_autofree char *model_label = NULL;
  g_autofree char *gone = g_build_filename (tmp_dir, "gone", NULL);
  g_autofree char *gone_message = NULL;
  const GabnDataset *ds;

  /* The dropped folder and model were recorded, newest first... */
  g_assert_nonnull (gabn_settings_get_recent_datasets (settings));
  g_assert_cmpstr (gabn_settings_get_recent_datasets (settings)[0], ==, dataset_path);
  g_assert_nonnull (gabn_settings_get_recent_models (settings));
  g_assert_cmpstr (gabn_settings_get_recent_models (settings)[0], ==, model_path);
  /* ...and the Recent menu offers both. */
  g_assert_nonnull (menu);
  dataset_label = find_recent_item (menu, dataset_path);
  model_label = find_recent_item (menu, model_path);
  g_assert_nonnull (dataset_label);
  g_assert_nonnull (strstr (dataset_label, title));
  g_assert_nonnull (model_label);
  g_assert_nonnull (strstr (model_label, "tiny.safetensors"));

  /* Something else is opened, then the recent entries bring them back. */
  gabn_window_open_synthetic (window, "balanced");
  g_assert_true (app_test_wait_until (dataset_is_synthetic, NULL, 120));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-recent", "s", dataset_path));
  g_assert_true (app_test_wait_until (dataset_titled, title, 120));
  ds = gabn_session_get_dataset (session ())->dataset;
  g_assert_cmpstr (ds->format, ==, "generic");
  g_assert_cmpint (ds->n_images, ==, GABN_SYNTH_N_GROUPS * DROP_IDENTITIES * DROP_IMAGES);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.new-model", NULL));
  g_assert_true (app_test_wait_until (model_is_new, NULL, 60));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-recent", "s", model_path));
  g_assert_true (app_test_wait_until (model_from, model_path, 60));

  /* A recent entry whose file went away: a toast naming it. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-recent", "s", gone));
  gone_message = g_strdup_printf (_("“%s” no longer exists"), gone);
  g_assert_cmpstr (gabn_window_get_last_message (window), ==, gone_message);
  g_assert_true (model_from (model_path));
}

/* ---- Setup ----------------------------------------------------------------- */

static void
write_inputs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  GabnSynthConfig config;

  tmp_dir = g_dir_make_tmp ("gabn-drop-XXXXXX", &error);
  g_assert_no_error (error);
  dataset_path = g_build_filename (tmp_dir, "dropped-faces", NULL);
  model_path = g_build_filename (tmp_dir, "tiny.safetensors", NULL);

  gabn_synth_config_init (&config, GABN_SYNTH_BALANCED);
  config.identities = DROP_IDENTITIES;
  config.images = DROP_IMAGES;
  config.seed = 5;
  g_assert_true (gabn_synth_write (&config, dataset_path, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  net = gabn_net_new ("gabn-s", 5, 3, &error);
  g_assert_no_error (error);
  g_assert_true (gabn_model_save (net, model_path, NULL, &error));
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);
      remove_tree (child);
    }
  g_rmdir (path);
}

int
main (int argc, char **argv)
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  write_inputs ();
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.DropTest", G_APPLICATION_NON_UNIQUE);
  gabn_application_set_synthetic_size (app, 4, 2);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, NULL));
  g_application_activate (G_APPLICATION (app));
  window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  g_assert_nonnull (window);
  g_assert_true (app_test_wait_until (app_test_session_loaded, window, 120));

  g_test_add_func ("/app/drop/dataset", test_drop_dataset);
  g_test_add_func ("/app/drop/check-images", test_check_images);
  g_test_add_func ("/app/drop/model", test_drop_model);
  g_test_add_func ("/app/drop/bogus", test_drop_bogus);
  g_test_add_func ("/app/drop/recent", test_recent);
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  remove_tree (tmp_dir);
  fflush (stdout);
  fflush (stderr);
  /* As in main.c: skip OpenBLAS's exit handler. */
  _exit (status);
}
