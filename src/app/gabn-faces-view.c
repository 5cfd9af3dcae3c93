/* gabn-faces-view.c: the faces explorer. Selecting a face asks the session
 * for its CAM (computed in a worker, cached); the answer is applied only if
 * that face is still the one selected. Overlay options are properties of
 * GabnSettings bound to the controls, so they persist. */
#include "config.h"
#include "gabn-faces-view.h"
#include "gabn-face-item.h"
#include "gabn-settings.h"
#include "gabn-settings-bind.h"
#include "gabn-toast.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _GabnFacesView
{
  AdwBin          parent_instance;

  /* Template widgets */
  GabnFaceCanvas *canvas;
  GtkButton      *check_button;
  AdwComboRow    *colormap_row;
  GtkLabel       *counts_label;
  GtkLabel       *face_title;
  GtkGridView    *grid_view;
  GtkDropDown    *group_dropdown;
  GtkSearchEntry *identity_entry;
  GtkAdjustment  *identity_adjustment;
  AdwActionRow   *identity_row;
  AdwComboRow    *mask_row;
  AdwComboRow    *method_row;
  AdwComboRow    *layer_row;
  GtkStringList  *layer_list;
  GtkScale       *opacity_scale;
  AdwActionRow   *reference_row;
  GtkLabel       *region_label;
  GtkLabel       *score_label;
  GtkLabel       *share_label;
  AdwComboRow    *target_row;
  GtkAdjustment  *topn_adjustment;

  /* Owned references */
  GabnSession       *session;
  GabnSettings      *settings;
  GabnSharedDataset *dataset;      /* the one the list was built for */
  GListStore        *faces;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  GtkCustomFilter   *filter;
  GCancellable      *cam_cancellable;
  GCancellable      *check_cancellable;  /* the running image check, or NULL */
  GCancellable      *face_cancellable;   /* the shown face's decoding */

  /* State */
  int                shown_image;   /* image whose map is displayed */
  int                reference_image;
  GabnSharedModel   *layers_of;     /* the model layer_list shows (a ref) */
  gboolean           layer_default_first; /* item 0 is an unnamed default */
  int                cells;         /* h·w of the last map */
  float             *map;           /* last map (for Top-N without recompute) */
  double             mask_share;
  gboolean           map_shown;     /* the map of the request is shown */
  gboolean           face_loading;  /* the shown face is being decoded */
  gboolean           ready;         /* both: the view shows what was asked */
};

G_DEFINE_FINAL_TYPE (GabnFacesView, gabn_faces_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void request_cam (GabnFacesView *self);

static void
set_ready (GabnFacesView *self, gboolean map_shown)
{
  gboolean ready;

  self->map_shown = map_shown;
  ready = map_shown && !self->face_loading;
  if (self->ready == ready)
    return;
  self->ready = ready;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
}

/* ---- Grid --------------------------------------------------------------- */

static void
setup_item (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *picture = gtk_picture_new ();
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_size_request (picture, 64, 64);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 8);
  gtk_widget_add_css_class (label, "caption");
  gtk_box_append (GTK_BOX (box), picture);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_item_set_child (item, box);
}

static void
on_thumbnail_ready (GabnFaceItem *face, GParamSpec *pspec, GtkPicture *picture)
{
  gtk_picture_set_paintable (picture, gabn_face_item_get_thumbnail (face));
}

static void
bind_item (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GabnFaceItem *face = gtk_list_item_get_item (item);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *picture = gtk_widget_get_first_child (box);
  GtkWidget *label = gtk_widget_get_next_sibling (picture);

  gtk_label_set_text (GTK_LABEL (label), gabn_face_item_get_label (face));
  gtk_picture_set_paintable (GTK_PICTURE (picture), gabn_face_item_get_thumbnail (face));
  g_signal_connect_object (face, "notify::thumbnail", G_CALLBACK (on_thumbnail_ready), picture, 0);
}

static void
unbind_item (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GabnFaceItem *face = gtk_list_item_get_item (item);
  GtkWidget *picture = gtk_widget_get_first_child (gtk_list_item_get_child (item));

  g_signal_handlers_disconnect_by_func (face, on_thumbnail_ready, picture);
}

static gboolean
filter_face (gpointer item, gpointer user_data)
{
  GabnFacesView *self = user_data;
  GabnFaceItem *face = item;
  guint group = gtk_drop_down_get_selected (self->group_dropdown);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->identity_entry));

  if (group != GTK_INVALID_LIST_POSITION && group > 0
      && gabn_face_item_get_group (face) != (int) group - 1)
    return FALSE;
  if (text != NULL && *text != '\0')
    {
      g_autofree char *needle = g_utf8_casefold (text, -1);
      g_autofree char *hay = g_utf8_casefold (gabn_face_item_get_label (face), -1);
      return strstr (hay, needle) != NULL;
    }
  return TRUE;
}

static void
update_counts (GabnFacesView *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  g_autofree char *text = NULL;
  int n_bad;

  if (self->dataset == NULL)
    {
      gtk_label_set_text (self->counts_label, "");
      return;
    }
  text = g_strdup_printf (ngettext ("%u face shown of %d; %d identities in %d groups",
                                    "%u faces shown of %d; %d identities in %d groups", shown),
                          shown, self->dataset->dataset->n_images,
                          self->dataset->dataset->n_identities, self->dataset->dataset->n_groups);
  /* Unreadable images found so far (by the check, training or thumbnails):
   * a short lock on the dataset's record, no decoding here. */
  n_bad = gabn_dataset_n_bad (self->dataset->dataset);
  if (n_bad > 0)
    {
      /* Translators: appended to the counts of faces */
      g_autofree char *more = g_strdup_printf (ngettext ("; %d unreadable image, skipped",
                                                         "; %d unreadable images, skipped", n_bad),
                                               n_bad);
      g_autofree char *all = g_strconcat (text, more, NULL);
      g_free (text);
      text = g_steal_pointer (&all);
    }
  gtk_label_set_text (self->counts_label, text);
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button),
                            self->check_cancellable == NULL
                            && self->dataset->dataset->pixels == NULL);
}

/* ---- Checking every image (in the session's worker) ----------------------- */

static void
check_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnFacesView) self = user_data;
  g_autoptr(GError) error = NULL;
  int n_bad = gabn_session_check_images_finish (GABN_SESSION (object), result, &error);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return; /* superseded (another dataset) or the view is gone */
  g_clear_object (&self->check_cancellable);
  if (n_bad < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED))
        gabn_toast (GTK_WIDGET (self), error->message);
    }
  else if (n_bad == 0)
    gabn_toast (GTK_WIDGET (self), _("Every image can be read"));
  else
    {
      g_autofree char *message = g_strdup_printf (ngettext ("%d image cannot be read: it is skipped",
                                                            "%d images cannot be read: they are skipped",
                                                            n_bad), n_bad);
      gabn_toast (GTK_WIDGET (self), message);
    }
  update_counts (self);
}

static void
on_check_clicked (GabnFacesView *self)
{
  if (self->dataset == NULL || self->check_cancellable != NULL)
    return;
  self->check_cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), FALSE);
  gtk_label_set_text (self->counts_label, _("Checking every image…"));
  gabn_session_check_images_async (self->session, self->check_cancellable, check_done,
                                   g_object_ref (self));
}

static void
on_filter_changed (GabnFacesView *self)
{
  if (self->filter == NULL)
    return;
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_counts (self);
}

static void
rebuild_groups_dropdown (GabnFacesView *self)
{
  g_autoptr(GtkStringList) list = gtk_string_list_new (NULL);
  const GabnDataset *ds = self->dataset ? self->dataset->dataset : NULL;
  g_autofree char *all = NULL;

  /* Translators: the number of images */
  all = g_strdup_printf (_("All groups (%d)"), ds ? ds->n_images : 0);
  gtk_string_list_append (list, all);
  for (int g = 0; ds != NULL && g < ds->n_groups; g++)
    {
      /* Translators: a group name and its number of images */
      g_autofree char *item = g_strdup_printf (_("%s (%d)"), ds->groups[g].name, ds->groups[g].n_images);
      gtk_string_list_append (list, item);
    }
  gtk_drop_down_set_model (self->group_dropdown, G_LIST_MODEL (list));
  gtk_drop_down_set_selected (self->group_dropdown, 0);
}

static void
on_dataset_changed (GabnFacesView *self)
{
  GabnSharedDataset *ds = gabn_session_get_dataset (self->session);

  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  self->dataset = ds ? gabn_shared_dataset_ref (ds) : NULL;
  /* A check of the previous dataset no longer concerns this one. */
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  g_list_store_remove_all (self->faces);
  self->shown_image = -1;
  self->reference_image = -1;
  adw_action_row_set_subtitle (self->reference_row, _("None chosen"));
  if (ds != NULL)
    {
      g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);

      for (int i = 0; i < ds->dataset->n_images; i++)
        g_ptr_array_add (items, gabn_face_item_new (ds, i));
      g_list_store_splice (self->faces, 0, 0, items->pdata, items->len);
      gtk_adjustment_set_upper (self->identity_adjustment, MAX (0, ds->dataset->n_identities - 1));
    }
  rebuild_groups_dropdown (self);
  update_counts (self);
  if (ds != NULL && ds->dataset->n_images > 0)
    gtk_single_selection_set_selected (self->selection, 0);
}

/* ---- Showing a map ------------------------------------------------------ */

static int
top_n (GabnFacesView *self)
{
  return (int) lround (gtk_adjustment_get_value (self->topn_adjustment));
}

static void
apply_mask (GabnFacesView *self)
{
  g_autofree guint8 *mask = NULL;
  g_autofree char *share = NULL;
  int h = 0, w = 0;

  if (self->map == NULL)
    return;
  mask = g_new (guint8, self->cells);
  self->mask_share = gabn_explorer_top_n_mask (self->map, self->cells, top_n (self), mask);
  w = (int) lround (sqrt (self->cells));
  h = self->cells / MAX (1, w);
  gabn_face_canvas_set_mask (self->canvas, mask, h, w);
  /* Translators: a percentage */
  share = g_strdup_printf (_("%.0f%%"), 100 * self->mask_share);
  gtk_label_set_text (self->share_label, share);
}

static void
face_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnFacesView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rgb = gabn_session_load_face_finish (GABN_SESSION (object), result, &error);
  gsize n;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* superseded, or the view went */
  self->face_loading = FALSE;
  if (rgb != NULL)
    {
      const guint8 *data = g_bytes_get_data (rgb, &n);
      gabn_face_canvas_set_face (self->canvas, data, (int) lround (sqrt (n / 3.0)));
    }
  else
    {
      gabn_face_canvas_set_face (self->canvas, NULL, 0);
      gabn_toast (GTK_WIDGET (self), error->message);
    }
  set_ready (self, self->map_shown);
}

/* Decodes the face in a worker; its title shows at once. */
static void
show_face (GabnFacesView *self, int image)
{
  const GabnDataset *ds = self->dataset->dataset;
  int size = ds->pixel_size > 0 ? ds->pixel_size : 128;
  const GabnImage *img = &ds->images[image];
  g_autofree char *title = NULL;

  g_cancellable_cancel (self->face_cancellable);
  g_clear_object (&self->face_cancellable);
  self->face_cancellable = g_cancellable_new ();
  self->face_loading = TRUE;
  gabn_session_load_face_async (self->session, image, size, self->face_cancellable, face_ready,
                                g_object_ref (self));
  if (img->identity >= 0)
    /* Translators: group name · identity name */
    title = g_strdup_printf (_("%s · %s"), img->group >= 0 ? ds->groups[img->group].name : "?",
                             ds->identities[img->identity].name);
  else
    title = g_strdup_printf (_("Image %d"), image);
  gtk_label_set_text (self->face_title, title);
}

static void
cam_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnFacesView) self = user_data;
  g_autoptr(GError) error = NULL;
  const GabnCamResult *cam = gabn_session_compute_cam_finish (GABN_SESSION (object), result, &error);
  g_autofree char *score = NULL;
  g_autofree char *region = NULL;

  if (cam == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && self->session != NULL)
        gabn_toast (GTK_WIDGET (self), error->message);
      return;
    }
  /* A newer request superseded this one. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    return;
  g_free (self->map);
  self->map = g_memdup2 (cam->map, sizeof (float) * cam->h * cam->w);
  if (self->cells != cam->h * cam->w)
    {
      self->cells = cam->h * cam->w;
      gtk_adjustment_set_upper (self->topn_adjustment, self->cells);
      gtk_adjustment_set_value (self->topn_adjustment,
                                MAX (1, lround (gabn_settings_get_topn_fraction (self->settings) * self->cells)));
    }
  gabn_face_canvas_set_map (self->canvas, cam->map, cam->h, cam->w);
  apply_mask (self);
  score = g_strdup_printf ("%.3f", cam->score);
  gtk_label_set_text (self->score_label, score);
  /* Translators: two percentages, the regions holding 50% and 80% of the attention */
  region = g_strdup_printf (_("%.0f%% / %.0f%%"), 100 * cam->region50, 100 * cam->region80);
  gtk_label_set_text (self->region_label, region);
  set_ready (self, TRUE);
}

/* The chosen layer's name into out, "" for the model's default. */
static void
selected_layer (GabnFacesView *self, char *out, gsize size)
{
  guint k = adw_combo_row_get_selected (self->layer_row);
  GabnSharedModel *model = self->layers_of;

  out[0] = '\0';
  if (model == NULL || k == GTK_INVALID_LIST_POSITION)
    return;
  if (self->layer_default_first)
    {
      if (k == 0)
        return;
      k--;
    }
  if ((int) k != model->default_layer && k < g_strv_length (model->layers))
    g_strlcpy (out, model->layers[k], size);
}

/* The Layer row lists the current model's feature-map layers, its default
 * selected. */
static void
fill_layers (GabnFacesView *self)
{
  GabnSharedModel *model = self->session ? gabn_session_get_model (self->session) : NULL;
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->layer_list));

  if (model == self->layers_of)
    return;
  g_clear_pointer (&self->layers_of, gabn_shared_model_unref);
  self->layers_of = model ? gabn_shared_model_ref (model) : NULL;
  self->layer_default_first = model && model->default_layer < 0;
  {
    g_autoptr(GPtrArray) items = g_ptr_array_new ();

    if (self->layer_default_first)
      g_ptr_array_add (items, (gpointer) _("Default (the last feature map)"));
    for (int i = 0; model && model->layer_labels[i]; i++)
      g_ptr_array_add (items, model->layer_labels[i]);
    g_ptr_array_add (items, NULL);
    gtk_string_list_splice (self->layer_list, 0, n, (const char *const *) items->pdata);
  }
  adw_combo_row_set_selected (self->layer_row,
                              model && model->default_layer >= 0 ? (guint) model->default_layer : 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->layer_row), model != NULL);
}

static void
request_cam (GabnFacesView *self)
{
  GabnCamRequest req = { 0 };
  GabnFaceItem *face = gtk_single_selection_get_selected_item (self->selection);

  if (face == NULL || self->session == NULL || self->dataset == NULL)
    return;
  set_ready (self, FALSE);
  g_cancellable_cancel (self->cam_cancellable);
  g_clear_object (&self->cam_cancellable);
  self->cam_cancellable = g_cancellable_new ();

  req.image = gabn_face_item_get_index (face);
  if (req.image != self->shown_image)
    show_face (self, req.image);
  self->shown_image = req.image;
  req.method = gabn_cam_method_from_name (gabn_settings_get_cam_method (self->settings), &req.method)
               ? req.method : GABN_CAM_GRADCAM;
  selected_layer (self, req.layer, sizeof req.layer);
  req.target_kind = (GabnTargetKind) adw_combo_row_get_selected (self->target_row);
  if (req.target_kind == GABN_TARGET_IDENTITY)
    req.target = (int) gtk_adjustment_get_value (self->identity_adjustment);
  else if (req.target_kind == GABN_TARGET_REFERENCE)
    {
      if (self->reference_image < 0)
        {
          gabn_toast (GTK_WIDGET (self), _("Choose a reference face first: select it and press “Use Selected”"));
          return;
        }
      req.target = self->reference_image;
    }
  if (gabn_session_get_model (self->session) == NULL)
    return; /* shown when the model arrives */
  gabn_session_compute_cam_async (self->session, &req, self->cam_cancellable, cam_ready,
                                  g_object_ref (self));
}

static void
on_selection_changed (GabnFacesView *self)
{
  request_cam (self);
}

static void
on_model_changed (GabnFacesView *self)
{
  fill_layers (self);
  request_cam (self);
}

static void
on_use_reference_clicked (GabnFacesView *self)
{
  GabnFaceItem *face = gtk_single_selection_get_selected_item (self->selection);
  g_autofree char *subtitle = NULL;

  if (face == NULL)
    return;
  self->reference_image = gabn_face_item_get_index (face);
  subtitle = g_strdup_printf (_("%s (image %d)"), gabn_face_item_get_label (face), self->reference_image);
  adw_action_row_set_subtitle (self->reference_row, subtitle);
  if (adw_combo_row_get_selected (self->target_row) == GABN_TARGET_REFERENCE)
    request_cam (self);
}

static void
on_target_changed (GabnFacesView *self)
{
  guint kind = adw_combo_row_get_selected (self->target_row);

  gtk_widget_set_visible (GTK_WIDGET (self->identity_row), kind == GABN_TARGET_IDENTITY);
  gtk_widget_set_visible (GTK_WIDGET (self->reference_row), kind == GABN_TARGET_REFERENCE);
  request_cam (self);
}

static void
on_identity_changed (GabnFacesView *self)
{
  int id = (int) gtk_adjustment_get_value (self->identity_adjustment);

  if (self->dataset != NULL && id < self->dataset->dataset->n_identities)
    adw_action_row_set_subtitle (self->identity_row, self->dataset->dataset->identities[id].name);
  if (adw_combo_row_get_selected (self->target_row) == GABN_TARGET_IDENTITY)
    request_cam (self);
}

static void
on_overlay_settings_changed (GabnFacesView *self)
{
  gabn_face_canvas_set_colormap (self->canvas,
                                 gabn_colormap_from_name (gabn_settings_get_colormap (self->settings)));
  gabn_face_canvas_set_opacity (self->canvas, gabn_settings_get_overlay_opacity (self->settings));
  gabn_face_canvas_set_mask_fill (self->canvas,
                                  g_strcmp0 (gabn_settings_get_mask_style (self->settings), "fill") == 0);
}

static void
on_topn_changed (GabnFacesView *self)
{
  if (self->cells > 0)
    gabn_settings_set_topn_fraction (self->settings, top_n (self) / (double) self->cells);
  apply_mask (self);
}

static const char *colormap_ids[] = { "viridis", "inferno", "jet", "grey", NULL };
static const char *method_ids[] = { "gradcam", "gradcam++", "hirescam", "xgradcam", "layercam", NULL };
static const char *mask_ids[] = { "outline", "fill", NULL };

/* ---- GObject ------------------------------------------------------------ */

static void
gabn_faces_view_dispose (GObject *object)
{
  GabnFacesView *self = GABN_FACES_VIEW (object);

  /* The session outlives the view while its loads finish: stop hearing it,
   * or a late notify would reach a disposed (or freed) view. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_cancellable_cancel (self->cam_cancellable);
  g_clear_object (&self->cam_cancellable);
  g_cancellable_cancel (self->check_cancellable);
  g_clear_object (&self->check_cancellable);
  g_cancellable_cancel (self->face_cancellable);
  g_clear_object (&self->face_cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_FACES_VIEW);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_object (&self->selection);
  g_clear_object (&self->faces);
  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  g_clear_pointer (&self->map, g_free);
  g_clear_pointer (&self->layers_of, gabn_shared_model_unref);
  G_OBJECT_CLASS (gabn_faces_view_parent_class)->dispose (object);
}

static void
gabn_faces_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GabnFacesView *self = GABN_FACES_VIEW (object);

  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_faces_view_class_init (GabnFacesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gabn_faces_view_dispose;
  object_class->get_property = gabn_faces_view_get_property;
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GABN_TYPE_FACE_CANVAS);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-faces-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, canvas);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, check_button);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, colormap_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, counts_label);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, face_title);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, grid_view);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, group_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, identity_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, identity_entry);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, identity_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, mask_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, method_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, layer_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, layer_list);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, opacity_scale);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, reference_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, region_label);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, score_label);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, share_label);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, target_row);
  gtk_widget_class_bind_template_child (widget_class, GabnFacesView, topn_adjustment);
  gtk_widget_class_bind_template_callback (widget_class, on_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_use_reference_clicked);
}

static void
gabn_faces_view_init (GabnFacesView *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->shown_image = -1;
  self->reference_image = -1;
  self->mask_share = NAN;
  self->settings = g_object_ref (gabn_settings_get_default ());

  self->faces = g_list_store_new (GABN_TYPE_FACE_ITEM);
  self->filter = gtk_custom_filter_new (filter_face, self, NULL);
  self->filtered = gtk_filter_list_model_new (G_LIST_MODEL (g_object_ref (self->faces)),
                                              GTK_FILTER (self->filter));
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->filtered));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_item), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_item), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_item), NULL);
  gtk_grid_view_set_factory (self->grid_view, factory);
  g_object_unref (factory);
  gtk_grid_view_set_model (self->grid_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (on_selection_changed), self);

  gabn_bind_string_setting (self->settings, "colormap", self->colormap_row, colormap_ids);
  gabn_bind_string_setting (self->settings, "cam-method", self->method_row, method_ids);
  gabn_bind_string_setting (self->settings, "mask-style", self->mask_row, mask_ids);
  g_object_bind_property (self->settings, "overlay-opacity",
                          gtk_range_get_adjustment (GTK_RANGE (self->opacity_scale)), "value",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->settings, "notify::colormap", G_CALLBACK (on_overlay_settings_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::overlay-opacity", G_CALLBACK (on_overlay_settings_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::mask-style", G_CALLBACK (on_overlay_settings_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "notify::cam-method", G_CALLBACK (request_cam), self, G_CONNECT_SWAPPED);
  on_overlay_settings_changed (self);
  g_signal_connect_swapped (self->target_row, "notify::selected", G_CALLBACK (on_target_changed), self);
  g_signal_connect_swapped (self->layer_row, "notify::selected", G_CALLBACK (request_cam), self);
  g_signal_connect_swapped (self->identity_adjustment, "value-changed", G_CALLBACK (on_identity_changed), self);
  g_signal_connect_swapped (self->topn_adjustment, "value-changed", G_CALLBACK (on_topn_changed), self);
}

void
gabn_faces_view_set_session (GabnFacesView *self, GabnSession *session)
{
  g_return_if_fail (GABN_IS_FACES_VIEW (self));
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "notify::dataset", G_CALLBACK (on_dataset_changed), self);
      g_signal_connect_swapped (session, "notify::model", G_CALLBACK (on_model_changed), self);
      on_dataset_changed (self);
      fill_layers (self);
    }
}

void
gabn_faces_view_select_image (GabnFacesView *self, int index)
{
  guint n;

  g_return_if_fail (GABN_IS_FACES_VIEW (self));
  n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GabnFaceItem) face = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);
      if (gabn_face_item_get_index (face) == index)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return;
        }
    }
  if (gtk_drop_down_get_selected (self->group_dropdown) != 0
      || *gtk_editable_get_text (GTK_EDITABLE (self->identity_entry)) != '\0')
    {
      gtk_editable_set_text (GTK_EDITABLE (self->identity_entry), "");
      gtk_drop_down_set_selected (self->group_dropdown, 0);
      gabn_faces_view_select_image (self, index);
    }
}

int
gabn_faces_view_get_shown_image (GabnFacesView *self)
{
  g_return_val_if_fail (GABN_IS_FACES_VIEW (self), -1);
  return self->shown_image;
}

GabnFaceCanvas *
gabn_faces_view_get_canvas (GabnFacesView *self)
{
  g_return_val_if_fail (GABN_IS_FACES_VIEW (self), NULL);
  return self->canvas;
}

void
gabn_faces_view_set_top_n (GabnFacesView *self, int n)
{
  g_return_if_fail (GABN_IS_FACES_VIEW (self));
  gtk_adjustment_set_value (self->topn_adjustment, n);
}

double
gabn_faces_view_get_mask_share (GabnFacesView *self)
{
  g_return_val_if_fail (GABN_IS_FACES_VIEW (self), NAN);
  return self->map != NULL ? self->mask_share : NAN;
}

guint
gabn_faces_view_get_n_shown (GabnFacesView *self)
{
  g_return_val_if_fail (GABN_IS_FACES_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
}

void
gabn_faces_view_set_group_filter (GabnFacesView *self, int group)
{
  g_return_if_fail (GABN_IS_FACES_VIEW (self));
  gtk_drop_down_set_selected (self->group_dropdown, group < 0 ? 0 : group + 1);
}

gboolean
gabn_faces_view_get_ready (GabnFacesView *self)
{
  g_return_val_if_fail (GABN_IS_FACES_VIEW (self), FALSE);
  return self->ready;
}
