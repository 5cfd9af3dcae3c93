/* gabn-teach-view.c: the teaching mode. It draws a small synthetic set
 * (small-region preset) so that both demonstration runs finish in a few
 * minutes on a 2-core laptop, trains a baseline and a GABN model with the
 * same seed, and shows the per-group gap before and after. */
#include "config.h"
#include "gabn-teach-view.h"
#include "gabn-face-canvas.h"
#include "gabn-plot.h"
#include "gabn-settings.h"
#include "gabn-train-run.h"
#include "gabn-window.h"

#include <glib/gi18n.h>
#include <math.h>

/* Small enough for minutes on 2 cores, large enough for 10 folds of pairs. */
#define TEACH_IDENTITIES 24
#define TEACH_IMAGES 6

enum { STEP_FACES, STEP_BASELINE, STEP_GAP, STEP_GABN, STEP_COMPARE, N_STEPS };

struct _GabnTeachView
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkButton      *action_button;
  GtkButton      *back_button;
  GtkBox         *faces_box;
  GtkButton      *next_button;
  GabnPlot       *plot;
  GtkProgressBar *progress;
  GtkLabel       *step_label;
  GtkGrid        *table;
  GtkLabel       *text_label;
  GtkLabel       *title_label;

  /* Owned references */
  GabnSession    *session;
  GCancellable   *cancellable;    /* the faces load; cancelled on dispose */
  GabnTrainRun   *runs[2];        /* baseline, GABN */
  guint          *series[2];      /* accuracy series per group */
  int             step;
  int             epochs;
  int             identities, images;   /* synthetic set drawn in step 1 */
  gboolean        faces_ready;
};

G_DEFINE_FINAL_TYPE (GabnTeachView, gabn_teach_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void update_step (GabnTeachView *self);

static const struct {
  const char *title;
  const char *text;
  const char *action;
} steps[N_STEPS] = {
  { N_("1. Faces made to be unfair"),
    N_("These faces are drawn by the computer, so we know exactly how they differ. In some groups, what tells one person from another sits in a small part of the face and at low contrast. A face recognizer trained on them learns to look at less of the face for those groups — the bias the GABN paper describes in real face recognition."),
    N_("_Draw the Faces") },
  { N_("2. Train an ordinary recognizer"),
    N_("A plain recognizer (the “baseline”, trained with ArcFace) learns to tell the people apart. The plot shows how often it correctly decides whether two photos of people it has never seen are the same person, for each group."),
    N_("_Train the Baseline") },
  { N_("3. See the gap"),
    N_("Some groups are recognized less accurately. The heat maps show where the recognizer looks, averaged over each group: for the groups it does worse on, its attention sits on a smaller region of the face."),
    NULL },
  { N_("4. Train with GABN"),
    N_("GABN adds two ideas. A judge tries to guess the group from the attention map alone, and the recognizer is trained to fool it, so attention becomes alike across groups. And the most attended spots are erased during training, so the recognizer must use more of the face."),
    N_("Train with _GABN") },
  { N_("5. Compare"),
    N_("Side by side: accuracy per group and how spread out it is (STD: lower is fairer), and how large the attention region is. Results on a small synthetic set vary from seed to seed: a teacher can run it again with another seed from the Train view."),
    NULL },
};

static void
set_faces_ready (GabnTeachView *self, gboolean ready)
{
  if (self->faces_ready != ready)
    {
      self->faces_ready = ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
}

static void
clear_box (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_BOX (box))
        gtk_box_remove (GTK_BOX (box), child);
      else
        gtk_grid_remove (GTK_GRID (box), child);
    }
}

static GtkWidget *
face_card (const guint8 *rgb, int size, const float *map, int h, int w, const char *caption)
{
  GtkWidget *canvas = gabn_face_canvas_new ();
  GabnSettings *settings = gabn_settings_get_default ();

  gtk_widget_set_size_request (canvas, 150, 180);
  gabn_face_canvas_set_face (GABN_FACE_CANVAS (canvas), rgb, size);
  if (map != NULL)
    gabn_face_canvas_set_map (GABN_FACE_CANVAS (canvas), map, h, w);
  gabn_face_canvas_set_colormap (GABN_FACE_CANVAS (canvas),
                                 gabn_colormap_from_name (gabn_settings_get_colormap (settings)));
  gabn_face_canvas_set_opacity (GABN_FACE_CANVAS (canvas), gabn_settings_get_overlay_opacity (settings));
  gabn_face_canvas_set_caption (GABN_FACE_CANVAS (canvas), caption);
  return canvas;
}

/* One face per group; with a report, the group's mean map over it. */
static void
show_faces (GabnTeachView *self, const GabnEvalReport *report)
{
  GabnSharedDataset *shared = self->session ? gabn_session_get_dataset (self->session) : NULL;
  const GabnDataset *ds;
  int size = 96;
  g_autofree guint8 *rgb = g_new (guint8, size * size * 3);

  clear_box (GTK_WIDGET (self->faces_box));
  if (shared == NULL)
    return;
  ds = shared->dataset;
  for (int g = 0; g < ds->n_groups; g++)
    for (int i = 0; i < ds->n_images; i++)
      if (ds->images[i].group == g && gabn_dataset_load_rgb (ds, i, size, rgb, NULL))
        {
          g_autofree char *caption = NULL;
          const float *map = NULL;

          if (report != NULL && g < report->n_groups)
            {
              map = report->groups[g].mean_gam;
              /* Translators: group, accuracy, attention region */
              caption = g_strdup_printf (_("%s: %.0f%% right, region %.0f%%"), ds->groups[g].name,
                                         100 * report->groups[g].accuracy, 100 * report->groups[g].region50);
            }
          else
            caption = g_strdup (ds->groups[g].name);
          gtk_box_append (self->faces_box,
                          face_card (rgb, size, map, report ? report->gam_h : 0,
                                     report ? report->gam_w : 0, caption));
          break;
        }
}

static const GabnEvalReport *
last_report (GabnTeachView *self, int which)
{
  guint n;

  if (self->runs[which] == NULL)
    return NULL;
  n = gabn_train_run_get_n_epochs (self->runs[which]);
  return n > 0 ? gabn_train_run_get_epoch (self->runs[which], n - 1) : NULL;
}

static void
add_cell (GtkGrid *grid, const char *text, int col, int row, gboolean heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), col == 0 ? 0 : 1);
  gtk_widget_add_css_class (label, heading ? "heading" : "numeric");
  gtk_grid_attach (grid, label, col, row, 1, 1);
}

static void
show_table (GabnTeachView *self)
{
  const GabnEvalReport *r[2] = { last_report (self, 0), last_report (self, 1) };
  static const char *heads[] = { N_("Group"), N_("Baseline accuracy"), N_("GABN accuracy"),
                                 N_("Baseline region"), N_("GABN region") };

  clear_box (GTK_WIDGET (self->table));
  if (r[0] == NULL)
    return;
  for (guint c = 0; c < G_N_ELEMENTS (heads); c++)
    add_cell (self->table, _(heads[c]), c, 0, TRUE);
  for (int g = 0; g < r[0]->n_groups; g++)
    {
      for (int m = 0; m < 2; m++)
        {
          g_autofree char *acc = r[m] && g < r[m]->n_groups
                                 ? g_strdup_printf (_("%.1f%%"), 100 * r[m]->groups[g].accuracy) : g_strdup ("—");
          g_autofree char *reg = r[m] && g < r[m]->n_groups
                                 ? g_strdup_printf (_("%.0f%%"), 100 * r[m]->groups[g].region50) : g_strdup ("—");
          add_cell (self->table, acc, 1 + m, g + 1, FALSE);
          add_cell (self->table, reg, 3 + m, g + 1, FALSE);
        }
      add_cell (self->table, r[0]->groups[g].name, 0, g + 1, TRUE);
    }
  add_cell (self->table, _("STD (lower is fairer)"), 0, r[0]->n_groups + 1, TRUE);
  for (int m = 0; m < 2; m++)
    {
      g_autofree char *std = r[m] ? g_strdup_printf (_("%.2f pp"), 100 * r[m]->std) : g_strdup ("—");
      add_cell (self->table, std, 1 + m, r[0]->n_groups + 1, FALSE);
    }
}

/* ---- Runs --------------------------------------------------------------- */

static void
on_run_step (GabnTrainRun *run, const GabnStepReport *step, GabnTeachView *self)
{
  g_autofree char *text = NULL;

  if (step->total_steps > 0)
    gtk_progress_bar_set_fraction (self->progress, (double) step->step / step->total_steps);
  /* Translators: epoch numbers while training in the teaching mode */
  text = g_strdup_printf (_("Epoch %d of %d"), step->epoch + 1, step->n_epochs);
  gtk_progress_bar_set_text (self->progress, text);
}

static void
on_run_epoch (GabnTrainRun *run, const GabnEvalReport *report, GabnTeachView *self)
{
  int which = run == self->runs[1] ? 1 : 0;

  for (int g = 0; self->series[which] != NULL && g < report->n_groups; g++)
    gabn_plot_add_point (self->plot, self->series[which][g], report->epoch + 1,
                         100 * report->groups[g].accuracy);
}

static void
on_run_state (GabnTrainRun *run, GParamSpec *pspec, GabnTeachView *self)
{
  GabnRunState state = gabn_train_run_get_state (run);

  if (state == GABN_RUN_FAILED || state == GABN_RUN_STOPPED)
    gabn_widget_toast (GTK_WIDGET (self), gabn_train_run_get_status (run));
  update_step (self);
}

static void
start_run (GabnTeachView *self, int which)
{
  GabnSharedDataset *dataset = gabn_session_get_dataset (self->session);
  const GabnDataset *ds;
  GabnTrainConfig config;

  if (dataset == NULL)
    return;
  ds = dataset->dataset;
  gabn_train_config_init (&config);
  config.method = which == 1 ? GABN_METHOD_GABN : GABN_METHOD_BASELINE;
  config.epochs = self->epochs;
  g_clear_object (&self->runs[which]);
  self->runs[which] = gabn_train_run_new (which == 1 ? _("GABN") : _("Baseline"), &config, dataset);
  gabn_train_config_clear (&config);
  g_free (self->series[which]);
  self->series[which] = g_new (guint, MAX (1, ds->n_groups));
  for (int g = 0; g < ds->n_groups; g++)
    {
      g_autofree char *label = g_strdup_printf ("%s: %s", gabn_train_run_get_name (self->runs[which]),
                                                ds->groups[g].name);
      self->series[which][g] = gabn_plot_add_series (self->plot, label, g,
                                                     which == 1 ? GABN_LINE_SOLID : GABN_LINE_DASHED);
    }
  g_signal_connect_object (self->runs[which], "step", G_CALLBACK (on_run_step), self, 0);
  g_signal_connect_object (self->runs[which], "epoch", G_CALLBACK (on_run_epoch), self, 0);
  g_signal_connect_object (self->runs[which], "notify::state", G_CALLBACK (on_run_state), self, 0);
  gtk_progress_bar_set_fraction (self->progress, 0);
  gabn_train_run_start (self->runs[which]);
  update_step (self);
}

static gboolean
run_done (GabnTeachView *self, int which)
{
  return self->runs[which] != NULL && gabn_train_run_get_state (self->runs[which]) == GABN_RUN_FINISHED;
}

static gboolean
run_busy (GabnTeachView *self, int which)
{
  GabnRunState state = self->runs[which] ? gabn_train_run_get_state (self->runs[which]) : GABN_RUN_READY;

  return state == GABN_RUN_RUNNING || state == GABN_RUN_PAUSED;
}

/* ---- Steps -------------------------------------------------------------- */

gboolean
gabn_teach_view_get_step_done (GabnTeachView *self)
{
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self), FALSE);
  switch (self->step)
    {
    case STEP_FACES:
      return self->faces_ready;
    case STEP_BASELINE:
    case STEP_GAP:
      return run_done (self, 0);
    case STEP_GABN:
    case STEP_COMPARE:
    default:
      return run_done (self, 1);
    }
}

static void
update_step (GabnTeachView *self)
{
  g_autofree char *counter = NULL;
  int which = self->step >= STEP_GABN ? 1 : 0;
  gboolean training = self->step == STEP_BASELINE || self->step == STEP_GABN;

  /* Translators: step counter in the teaching mode */
  counter = g_strdup_printf (_("Step %d of %d"), self->step + 1, N_STEPS);
  gtk_label_set_text (self->step_label, counter);
  gtk_label_set_text (self->title_label, _(steps[self->step].title));
  gtk_label_set_text (self->text_label, _(steps[self->step].text));
  gtk_widget_set_visible (GTK_WIDGET (self->action_button), steps[self->step].action != NULL);
  if (steps[self->step].action != NULL)
    gtk_button_set_label (self->action_button, _(steps[self->step].action));
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button),
                            !(training && run_busy (self, which)) && self->session != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->progress), training && self->runs[which] != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->plot), training || self->step == STEP_COMPARE);
  gtk_widget_set_visible (GTK_WIDGET (self->table), self->step == STEP_COMPARE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->back_button), self->step > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button),
                            self->step < N_STEPS - 1 && gabn_teach_view_get_step_done (self));
  switch (self->step)
    {
    case STEP_FACES:
      show_faces (self, NULL);
      break;
    case STEP_GAP:
      show_faces (self, last_report (self, 0));
      break;
    case STEP_COMPARE:
      show_faces (self, last_report (self, 1));
      show_table (self);
      break;
    case STEP_BASELINE:
    case STEP_GABN:
    default:
      clear_box (GTK_WIDGET (self->faces_box));
      break;
    }
}

static void
faces_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnTeachView) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!gabn_session_load_dataset_finish (GABN_SESSION (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED))
        gabn_widget_toast (GTK_WIDGET (self), error->message);
      return;
    }
  set_faces_ready (self, TRUE);
  update_step (self);
}

void
gabn_teach_view_act (GabnTeachView *self)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  if (self->session == NULL)
    return;
  switch (self->step)
    {
    case STEP_FACES:
      set_faces_ready (self, FALSE);
      for (int m = 0; m < 2; m++)
        if (self->runs[m] != NULL)
          gabn_train_run_stop (self->runs[m]);
      gabn_session_set_synthetic_size (self->session, self->identities, self->images);
      if (self->cancellable == NULL)
        self->cancellable = g_cancellable_new ();
      gabn_session_load_dataset_async (self->session, NULL, "small-region", self->cancellable,
                                       faces_loaded, g_object_ref (self));
      break;
    case STEP_BASELINE:
      start_run (self, 0);
      break;
    case STEP_GABN:
      start_run (self, 1);
      break;
    default:
      break;
    }
}

static void
on_action_clicked (GabnTeachView *self)
{
  gabn_teach_view_act (self);
}

void
gabn_teach_view_set_step (GabnTeachView *self, int step)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  self->step = CLAMP (step, 0, N_STEPS - 1);
  update_step (self);
}

int
gabn_teach_view_get_step (GabnTeachView *self)
{
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self), 0);
  return self->step;
}

static void
on_back_clicked (GabnTeachView *self)
{
  gabn_teach_view_set_step (self, self->step - 1);
}

static void
on_next_clicked (GabnTeachView *self)
{
  gabn_teach_view_set_step (self, self->step + 1);
}

gboolean
gabn_teach_view_stop_runs (GabnTeachView *self)
{
  gboolean live = FALSE;

  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self), FALSE);
  for (int m = 0; m < 2; m++)
    if (run_busy (self, m))
      {
        gabn_train_run_stop (self->runs[m]);
        live = TRUE;
      }
  return live;
}

void
gabn_teach_view_set_epochs (GabnTeachView *self, int epochs)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  self->epochs = MAX (1, epochs);
}

void
gabn_teach_view_set_size (GabnTeachView *self, int identities, int images)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  self->identities = identities > 0 ? identities : TEACH_IDENTITIES;
  self->images = images > 0 ? images : TEACH_IMAGES;
}

const GabnEvalReport *
gabn_teach_view_get_report (GabnTeachView *self, int which)
{
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self) && (which == 0 || which == 1), NULL);
  return last_report (self, which);
}

/* ---- GObject ------------------------------------------------------------ */

static void
gabn_teach_view_dispose (GObject *object)
{
  GabnTeachView *self = GABN_TEACH_VIEW (object);

  /* The session outlives the view while its loads finish: stop hearing it,
   * or a late notify would reach a disposed (or freed) view. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  for (int m = 0; m < 2; m++)
    {
      if (self->runs[m] != NULL)
        {
          g_signal_handlers_disconnect_by_data (self->runs[m], self);
          gabn_train_run_join (self->runs[m]);
        }
      g_clear_object (&self->runs[m]);
      g_clear_pointer (&self->series[m], g_free);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_TEACH_VIEW);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (gabn_teach_view_parent_class)->dispose (object);
}

static void
gabn_teach_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, GABN_TEACH_VIEW (object)->faces_ready);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_teach_view_class_init (GabnTeachViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gabn_teach_view_dispose;
  object_class->get_property = gabn_teach_view_get_property;
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GABN_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-teach-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, action_button);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, back_button);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, faces_box);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, next_button);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, plot);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, progress);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, step_label);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, table);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, text_label);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, title_label);
  gtk_widget_class_bind_template_callback (widget_class, on_action_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_next_clicked);
}

static void
gabn_teach_view_init (GabnTeachView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->epochs = 3;
  self->identities = TEACH_IDENTITIES;
  self->images = TEACH_IMAGES;
  gabn_plot_set_title (self->plot, _("Accuracy per group on unseen people (baseline dashed, GABN solid)"));
  gabn_plot_set_x_label (self->plot, _("epoch"));
  gabn_plot_set_y_label (self->plot, _("accuracy %"));
  update_step (self);
}

static void
on_dataset_changed (GabnTeachView *self)
{
  if (self->step == STEP_FACES)
    update_step (self);
}

void
gabn_teach_view_set_session (GabnTeachView *self, GabnSession *session)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    g_signal_connect_swapped (session, "notify::dataset", G_CALLBACK (on_dataset_changed), self);
  update_step (self);
}
