/* gabn-groups-view.c: the group picture: mean maps, their divergence and,
 * on synthetic faces, the ground-truth reliance beside them. Computed in a
 * worker (gabn_session_compute_groups_async) when the view is shown and
 * the model or dataset changed since the last result. */
#include "config.h"
#include "gabn-groups-view.h"
#include "gabn-cam.h"
#include "gabn-face-canvas.h"
#include "gabn-matrix-view.h"
#include "gabn-reliance-table.h"
#include "gabn-settings.h"
#include "gabn-toast.h"

#include <glib/gi18n.h>
#include <math.h>

#define PER_GROUP 24

struct _GabnGroupsView
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkFlowBox     *cards;
  GtkLabel       *js_summary;
  GtkDropDown    *mass_dropdown;
  GabnMatrixView *matrix;
  GtkBox         *reliance_box;
  GtkLabel       *reliance_note;
  GtkGrid        *reliance_table;
  GtkSpinner     *spinner;

  /* Owned references */
  GabnSession    *session;
  GabnSettings   *settings;
  GCancellable   *cancellable;
  GabnGroupMaps  *maps;
  GPtrArray      *canvases;   /* GabnFaceCanvas*, one per group (borrowed) */

  gboolean        stale;
  gboolean        ready;
};

G_DEFINE_FINAL_TYPE (GabnGroupsView, gabn_groups_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
set_ready (GabnGroupsView *self, gboolean ready)
{
  if (self->ready != ready)
    {
      self->ready = ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
}

static void
update_masks (GabnGroupsView *self)
{
  double mass = gtk_drop_down_get_selected (self->mass_dropdown) == 1 ? 0.8 : 0.5;
  int hw;

  if (self->maps == NULL)
    return;
  hw = self->maps->h * self->maps->w;
  for (guint g = 0; g < self->canvases->len; g++)
    {
      GabnFaceCanvas *canvas = g_ptr_array_index (self->canvases, g);
      const float *p = self->maps->mean_p + (gsize) g * hw;
      int n = (int) lround (gabn_cam_region_size (p, hw, mass) * hw);
      g_autofree int *cells = g_new (int, hw);
      g_autofree guint8 *mask = g_new0 (guint8, hw);
      int got = gabn_cam_top_n (p, hw, n, cells);
      double region = mass > 0.6 ? self->maps->region80[g] : self->maps->region50[g];
      g_autofree char *caption = NULL;

      for (int i = 0; i < got; i++)
        mask[cells[i]] = 1;
      gabn_face_canvas_set_mask (canvas, mask, self->maps->h, self->maps->w);
      /* Translators: group name, mean region size in percent, faces used */
      caption = g_strdup_printf (ngettext ("%s · region %.0f%% · %d face",
                                           "%s · region %.0f%% · %d faces", self->maps->n_images[g]),
                                 self->maps->names[g], 100 * region, self->maps->n_images[g]);
      gabn_face_canvas_set_caption (canvas, caption);
    }
}

/* The ground truth beside the maps: only the synthetic faces have it. */
static void
show_reliance (GabnGroupsView *self)
{
  const GabnGroupMaps *maps = self->maps;
  g_autoptr(GString) cue = g_string_new (NULL);
  g_autofree char *note = NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->reliance_box), maps->reliance != NULL);
  if (maps->reliance == NULL)
    return;
  gabn_reliance_table_fill (self->reliance_table, maps->n_groups,
                            (const char *const *) maps->names, maps->reliance);
  for (int g = 0; g < maps->n_groups; g++)
    {
      const double *row = maps->reliance + (gsize) g * GABN_SYNTH_N_REGIONS;
      double cue_share = gabn_reliance_shortcut_share (row);
      g_autofree char *item = isfinite (cue_share)
                              /* Translators: a group and its share, in a list */
                              ? g_strdup_printf (_("%s %.0f%%"), maps->names[g], 100 * cue_share)
                              : g_strdup_printf (_("%s —"), maps->names[g]);
      if (cue->len > 0)
        g_string_append (cue, _(", "));
      g_string_append (cue, item);
    }
  /* Translators: %d photos per group; %s the list "Group A 30%, Group B 28%…" */
  note = g_strdup_printf (ngettext ("Each share is how far the embedding moves when only that region of a held-out person's photo is replaced by another person's of the same group, everything else unchanged (%d photo per group); each group's shares add up to 100%%. It is measured without any attention map: where a map above is hot on a region with a small share here, the map does not tell the truth about what the network uses. The face's outline, the realistic preset's shortcut cue: %s.",
                                    "Each share is how far the embedding moves when only that region of a held-out person's photo is replaced by another person's of the same group, everything else unchanged (%d photos per group); each group's shares add up to 100%%. It is measured without any attention map: where a map above is hot on a region with a small share here, the map does not tell the truth about what the network uses. The face's outline, the realistic preset's shortcut cue: %s.",
                                    maps->reliance_photos),
                          maps->reliance_photos, cue->str);
  gtk_label_set_text (self->reliance_note, note);
}

static void
show_maps (GabnGroupsView *self)
{
  const GabnGroupMaps *maps = self->maps;
  GabnColormap colormap = gabn_colormap_from_name (gabn_settings_get_colormap (self->settings));
  double sum = 0, max_js = 0;
  int pairs = 0, a_max = 0, b_max = 0;
  g_autofree char *summary = NULL;
  GtkWidget *child;


  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->cards))) != NULL)
    gtk_flow_box_remove (self->cards, child);
  gtk_flow_box_set_min_children_per_line (self->cards, MIN (MAX (maps->n_groups, 1), 6));
  g_ptr_array_set_size (self->canvases, 0);
  for (int g = 0; g < maps->n_groups; g++)
    {
      GtkWidget *canvas = gabn_face_canvas_new ();

      gtk_widget_set_size_request (canvas, 180, 205);
      gabn_face_canvas_set_face (GABN_FACE_CANVAS (canvas),
                                 maps->templates + (gsize) g * maps->face_size * maps->face_size * 3,
                                 maps->face_size);
      gabn_face_canvas_set_map (GABN_FACE_CANVAS (canvas), maps->mean_p + (gsize) g * maps->h * maps->w,
                                maps->h, maps->w);
      gabn_face_canvas_set_colormap (GABN_FACE_CANVAS (canvas), colormap);
      gabn_face_canvas_set_opacity (GABN_FACE_CANVAS (canvas), gabn_settings_get_overlay_opacity (self->settings));
      gtk_flow_box_append (self->cards, canvas);
      g_ptr_array_add (self->canvases, canvas);
    }
  update_masks (self);
  show_reliance (self);
  gabn_matrix_view_set_matrix (self->matrix, maps->js, maps->n_groups,
                               (const char *const *) maps->names);
  gabn_matrix_view_set_colormap (self->matrix, colormap);
  for (int a = 0; a < maps->n_groups; a++)
    for (int b = a + 1; b < maps->n_groups; b++)
      if (maps->n_images[a] > 0 && maps->n_images[b] > 0)
        {
          double v = maps->js[a * maps->n_groups + b];
          sum += v;
          pairs++;
          if (v > max_js)
            {
              max_js = v;
              a_max = a;
              b_max = b;
            }
        }
  if (pairs > 0)
    /* Translators: mean JS divergence, then the two most different groups */
    summary = g_strdup_printf (_("Mean over pairs of groups: %.4f. Most different: %s and %s (%.4f). 0 means identical attention; ln 2 ≈ 0.693 is the maximum."),
                               sum / pairs, maps->names[a_max], maps->names[b_max], max_js);
  else
    summary = g_strdup (_("Fewer than two groups have faces: nothing to compare."));
  gtk_label_set_text (self->js_summary, summary);
}

static void
groups_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnGroupsView) self = user_data;
  g_autoptr(GError) error = NULL;
  GabnGroupMaps *maps = gabn_session_compute_groups_finish (GABN_SESSION (object), result, &error);

  if (g_cancellable_is_cancelled (g_task_get_cancellable (G_TASK (result))))
    {
      gabn_group_maps_free (maps);
      return;
    }
  gtk_spinner_set_spinning (self->spinner, FALSE);
  if (maps == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gabn_toast (GTK_WIDGET (self), error->message);
      return;
    }
  g_clear_pointer (&self->maps, gabn_group_maps_free);
  self->maps = maps;
  show_maps (self);
  set_ready (self, TRUE);
}

void
gabn_groups_view_refresh (GabnGroupsView *self)
{
  g_return_if_fail (GABN_IS_GROUPS_VIEW (self));
  if (self->session == NULL || gabn_session_get_model (self->session) == NULL
      || gabn_session_get_dataset (self->session) == NULL)
    return;
  self->stale = FALSE;
  set_ready (self, FALSE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  gtk_spinner_set_spinning (self->spinner, TRUE);
  gabn_session_compute_groups_async (self->session, PER_GROUP, self->cancellable,
                                     groups_ready, g_object_ref (self));
}

static void
on_session_changed (GabnGroupsView *self)
{
  self->stale = TRUE;
  set_ready (self, FALSE);
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    gabn_groups_view_refresh (self);
}

static void
gabn_groups_view_map (GtkWidget *widget)
{
  GabnGroupsView *self = GABN_GROUPS_VIEW (widget);

  GTK_WIDGET_CLASS (gabn_groups_view_parent_class)->map (widget);
  if (self->stale)
    gabn_groups_view_refresh (self);
}

static void
gabn_groups_view_dispose (GObject *object)
{
  GabnGroupsView *self = GABN_GROUPS_VIEW (object);

  /* The session outlives the view while its loads finish: stop hearing it,
   * or a late notify would reach a disposed (or freed) view. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_GROUPS_VIEW);
  g_clear_object (&self->session);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->maps, gabn_group_maps_free);
  g_clear_pointer (&self->canvases, g_ptr_array_unref);
  G_OBJECT_CLASS (gabn_groups_view_parent_class)->dispose (object);
}

static void
gabn_groups_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, GABN_GROUPS_VIEW (object)->ready);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_groups_view_class_init (GabnGroupsViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gabn_groups_view_dispose;
  object_class->get_property = gabn_groups_view_get_property;
  widget_class->map = gabn_groups_view_map;
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GABN_TYPE_MATRIX_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-groups-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, cards);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, js_summary);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, mass_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, matrix);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, reliance_box);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, reliance_note);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, reliance_table);
  gtk_widget_class_bind_template_child (widget_class, GabnGroupsView, spinner);
  gtk_widget_class_bind_template_callback (widget_class, gabn_groups_view_refresh);
  gtk_widget_class_bind_template_callback (widget_class, update_masks);
}

static void
gabn_groups_view_init (GabnGroupsView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_object_ref (gabn_settings_get_default ());
  self->canvases = g_ptr_array_new ();
  self->stale = TRUE;
}

void
gabn_groups_view_set_session (GabnGroupsView *self, GabnSession *session)
{
  g_return_if_fail (GABN_IS_GROUPS_VIEW (self));
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "notify::dataset", G_CALLBACK (on_session_changed), self);
      g_signal_connect_swapped (session, "notify::model", G_CALLBACK (on_session_changed), self);
    }
  on_session_changed (self);
}

gboolean
gabn_groups_view_get_ready (GabnGroupsView *self)
{
  g_return_val_if_fail (GABN_IS_GROUPS_VIEW (self), FALSE);
  return self->ready;
}

const GabnGroupMaps *
gabn_groups_view_get_maps (GabnGroupsView *self)
{
  g_return_val_if_fail (GABN_IS_GROUPS_VIEW (self), NULL);
  return self->maps;
}
