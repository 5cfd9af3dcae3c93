/* gabn-teach-view.c: the teaching mode. It draws a small synthetic set on
 * the `realistic` preset (every group's faces carry the same identity
 * information; collection, capture and a shortcut make the data unfair) so
 * that the demonstration runs finish in minutes on a 2-core laptop, trains
 * a baseline and a GABN model with the same seed, then a baseline on the
 * `balanced` preset as the control. Every number in its sentences comes
 * from the run in front of the class, never from a fixed claim. */
#include "config.h"
#include "gabn-teach-view.h"
#include "gabn-teach-facts.h"
#include "gabn-face-canvas.h"
#include "gabn-plot.h"
#include "gabn-reliance-table.h"
#include "gabn-settings.h"
#include "gabn-synth.h"
#include "gabn-train-run.h"
#include "gabn-toast.h"

#include <glib/gi18n.h>
#include <math.h>

/* Small enough for minutes on 2 cores, large enough for 10 folds of pairs. */
#define TEACH_IDENTITIES 24
#define TEACH_IMAGES 6

enum { STEP_FACES, STEP_BASELINE, STEP_GAP, STEP_GABN, STEP_COMPARE, N_STEPS };
enum { RUN_BASELINE, RUN_GABN, RUN_CONTROL, N_RUNS };

/* The group photographed in the exposure example: the darkest skin, whom
 * a camera exposed for lighter skin serves worst. */
#define EXPOSURE_GROUP 3

struct _GabnTeachView
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkButton      *action_button;
  GtkButton      *back_button;
  GtkBox         *exposure_box;
  GtkBox         *faces_box;
  GtkButton      *next_button;
  GabnPlot       *plot;
  GtkProgressBar *progress;
  GtkLabel       *step_label;
  GtkLabel       *summary_label;
  GtkGrid        *table;
  GtkLabel       *text_label;
  GtkLabel       *title_label;

  /* Owned references */
  GabnSession    *session;
  GCancellable   *cancellable;    /* the faces load; cancelled on dispose */
  GabnTrainRun   *runs[N_RUNS];   /* baseline, GABN, balanced-data control */
  guint          *series[N_RUNS]; /* accuracy series per group */
  int             n_series[N_RUNS];
  GCancellable   *control_cancellable; /* drawing the control's faces */
  int             step;
  int             epochs;
  int             identities, images;   /* synthetic set drawn in step 1 */
  gboolean        faces_ready;     /* drawn by step 1, and first_faces here */
  gboolean        faces_drawn;     /* step 1's set is the session's dataset */
  gboolean        faces_loading;
  GBytes         *first_faces;     /* each group's first face, FACE_SIZE² RGB */
  GCancellable   *first_faces_cancellable;
  /* Demonstration (screenshots): walk to demo_step, doing each step's
   * action, then report "ready". −1: no demonstration. */
  int             demo_step;
  gboolean        demo_hold;       /* stop at every step until demo_next */
  gboolean        demo_ready;
  gboolean        demo_advancing;
};

G_DEFINE_FINAL_TYPE (GabnTeachView, gabn_teach_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void update_step (GabnTeachView *self);

#define FACE_SIZE 96
static void demo_advance (GabnTeachView *self);

/* What each step says before any number. No sentence may say or imply that
 * a group's faces carry less identity: they do not (the generator's ground
 * rule); the data and the camera differ. */
static const struct {
  const char *title;
  const char *text;
  const char *action;
} steps[N_STEPS] = {
  { N_("1. How the photos were made"),
    N_("These faces are drawn by the computer, so we know exactly how they were made. In every group the same features — face shape, hair, brows, eyes, nose, mouth and skin texture — vary from one person to the next by the same amounts: every group's faces carry the same identity information. Skin tone is how a group looks, not how much of a person a face shows. What differs is how the photos were collected and taken, as in real face datasets: how many people of each group were collected for training (under each face); a camera whose exposure suits lighter skin, so that in photos of darker faces the shadows over the lower face are crushed and noisier (the same photo under two cameras, on the right); and the outline of the face as each photo shows it, which changes from one photo of a person to the next: a striking cue that cannot be trusted."),
    N_("_Draw the Faces") },
  { N_("2. Train an ordinary recognizer"),
    N_("A plain recognizer (the “baseline”, trained with ArcFace) learns to tell the training people apart. The plot shows, after each epoch, how often it correctly decides whether two photos of new people — never seen in training — show the same person, for each group."),
    N_("_Train the Baseline") },
  { N_("3. See the gap"),
    N_("The heat maps show where the baseline's attention sits, averaged over each group's test photos (Grad-CAM in eval mode, towards the mean embedding of each person's photos)."),
    NULL },
  { N_("4. Train with GABN"),
    N_("GABN adds two ideas. A judge tries to guess the group from the attention map alone, and the recognizer is trained to fool it, so attention becomes alike across groups. And the most attended spots are erased during training, so the recognizer must use more of the face."),
    N_("Train with _GABN") },
  { N_("5. Compare, and the control"),
    N_("Side by side: accuracy per group, how spread out it is (STD: lower is more even) and how large the attention region is. The control trains the same baseline, with the same size and epochs, on photos with balanced collection and a camera exposed for every face: it shows what the groups' accuracies look like when the data is fair."),
    N_("Train the _Control") },
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

/* A face (with a map over it when map is given) and a caption that wraps:
 * the teaching mode's large font needs more than one line. */
static GtkWidget *
face_card (const guint8 *rgb, int size, const float *map, int h, int w, const char *caption)
{
  GtkWidget *card = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *canvas = gabn_face_canvas_new ();
  GtkWidget *label = gtk_label_new (caption);
  GabnSettings *settings = gabn_settings_get_default ();

  gtk_widget_set_size_request (canvas, 150, 150);
  gabn_face_canvas_set_face (GABN_FACE_CANVAS (canvas), rgb, size);
  if (map != NULL)
    gabn_face_canvas_set_map (GABN_FACE_CANVAS (canvas), map, h, w);
  gabn_face_canvas_set_colormap (GABN_FACE_CANVAS (canvas),
                                 gabn_colormap_from_name (gabn_settings_get_colormap (settings)));
  gabn_face_canvas_set_opacity (GABN_FACE_CANVAS (canvas), gabn_settings_get_overlay_opacity (settings));
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_box_append (GTK_BOX (card), canvas);
  gtk_box_append (GTK_BOX (card), label);
  return card;
}

/* "Group A 19, Group B 15, …" */
static char *
group_list (const GabnDataset *ds, const int *counts)
{
  GString *list = g_string_new (NULL);

  for (int g = 0; g < ds->n_groups; g++)
    {
      if (g > 0)
        g_string_append (list, _(", "));
      /* Translators: a group and a count of people, in a list */
      g_string_append_printf (list, _("%s %d"), ds->groups[g].name, counts[g]);
    }
  return g_string_free (list, FALSE);
}

/* One face per group; with a report, the group's mean map over it, else
 * the group's training and held-out people. The summary of step 1. */
static char *
show_faces (GabnTeachView *self, const GabnEvalReport *report)
{
  GabnSharedDataset *shared = self->session ? gabn_session_get_dataset (self->session) : NULL;
  const GabnDataset *ds;
  int size = FACE_SIZE;
  const guint8 *faces = self->first_faces ? g_bytes_get_data (self->first_faces, NULL) : NULL;
  g_autofree int *train = NULL, *held_out = NULL;
  g_autofree char *train_list = NULL, *held_list = NULL;
  gboolean same_held_out = TRUE;

  clear_box (GTK_WIDGET (self->faces_box));
  if (shared == NULL)
    return NULL;
  ds = shared->dataset;
  train = g_new0 (int, MAX (1, ds->n_groups));
  held_out = g_new0 (int, MAX (1, ds->n_groups));
  gabn_teach_count_people (ds, train, held_out);
  for (int g = 0; g < ds->n_groups && faces != NULL; g++)
    for (int i = 0; i < ds->n_images; i++)
      if (ds->images[i].group == g)
        {
          const guint8 *rgb = faces + (gsize) g * size * size * 3;
          g_autofree char *caption = NULL;
          const float *map = NULL;

          if (report != NULL && g < report->n_groups)
            {
              map = report->groups[g].mean_gam;
              /* Translators: group, accuracy, attention region */
              caption = g_strdup_printf (_("%s\n%.0f%% right, region %.0f%%"), ds->groups[g].name,
                                         100 * report->groups[g].accuracy, 100 * report->groups[g].region50);
            }
          else
            /* Translators: a group, its training people and its new (held-out) people */
            caption = g_strdup_printf (_("%s\n%d trained on, %d new"), ds->groups[g].name,
                                       train[g], held_out[g]);
          gtk_box_append (self->faces_box,
                          face_card (rgb, size, map, report ? report->gam_h : 0,
                                     report ? report->gam_w : 0, caption));
          break;
        }
  if (report != NULL || ds->n_groups == 0)
    return NULL;
  for (int g = 1; g < ds->n_groups; g++)
    same_held_out = same_held_out && held_out[g] == held_out[0];
  train_list = group_list (ds, train);
  if (same_held_out)
    /* Translators: %s lists groups and counts; %d the new people per group */
    return g_strdup_printf (ngettext ("People collected for training: %s. New people for the test pairs: %d in every group.",
                                      "People collected for training: %s. New people for the test pairs: %d in every group.",
                                      held_out[0]),
                            train_list, held_out[0]);
  held_list = group_list (ds, held_out);
  /* Translators: both %s list groups and counts */
  return g_strdup_printf (_("People collected for training: %s. New people for the test pairs: %s."),
                          train_list, held_list);
}

/* The same photo of one Group D person under two cameras: the camera of
 * the balanced preset (exposed for each face) and that of the capture knob
 * (exposed for lighter skin). Pose and light stay: only the camera changes. */
static void
show_exposure (GabnTeachView *self)
{
  GabnSharedDataset *shared = self->session ? gabn_session_get_dataset (self->session) : NULL;
  static const GabnSynthPreset cameras[] = { GABN_SYNTH_BALANCED, GABN_SYNTH_CAPTURE };
  GabnSynthConfig config;
  g_autofree guint8 *rgb = NULL;

  clear_box (GTK_WIDGET (self->exposure_box));
  if (shared == NULL || shared->dataset->synth == NULL || shared->dataset->n_groups <= EXPOSURE_GROUP)
    return;
  config = *shared->dataset->synth;
  rgb = g_malloc ((gsize) config.size * config.size * 3);
  for (guint k = 0; k < G_N_ELEMENTS (cameras); k++)
    {
      const char *group = shared->dataset->groups[EXPOSURE_GROUP].name;
      /* Translators: %s is a group name */
      g_autofree char *caption = k == 0 ? g_strdup_printf (_("%s, camera exposed for this face"), group)
                                        : g_strdup_printf (_("%s, camera exposed for lighter skin"), group);

      config.preset = cameras[k];
      gabn_synth_render_swapped (&config, EXPOSURE_GROUP, 0, 0, 0, 0, rgb);
      gtk_box_append (self->exposure_box, face_card (rgb, config.size, NULL, 0, 0, caption));
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

/* Step 3: what the baseline of this run did. */
static char *
gap_summary (const GabnEvalReport *r)
{
  g_autoptr(GString) text = g_string_new (NULL);
  const GabnGroupReport *a, *b;
  double cue_a, cue_b;
  int lo, hi;

  if (r == NULL || !gabn_teach_extremes (r, &lo, &hi))
    return NULL;
  a = &r->groups[lo];
  b = &r->groups[hi];
  if (gabn_teach_gap_is_clear (r, lo, hi))
    /* Translators: the least accurate group, its accuracy, the most accurate
     * group, its accuracy; then attention region sizes of the two */
    g_string_append_printf (text, _("In this run %s was verified at %.0f%% and %s at %.0f%%; half of the attention sat on %.0f%% of the face for %s and %.0f%% for %s."),
                            a->name, 100 * a->accuracy, b->name, 100 * b->accuracy,
                            100 * a->region50, a->name, 100 * b->region50, b->name);
  else
    g_string_append_printf (text, _("In this run the groups were verified between %.0f%% (%s) and %.0f%% (%s): a difference within the noise of this small test, so this run shows no clear gap. Half of the attention sat on %.0f%% of the face for %s and %.0f%% for %s."),
                            100 * a->accuracy, a->name, 100 * b->accuracy, b->name,
                            100 * a->region50, a->name, 100 * b->region50, b->name);
  cue_a = gabn_reliance_shortcut_share (a->reliance);
  cue_b = gabn_reliance_shortcut_share (b->reliance);
  if (isfinite (cue_a) && isfinite (cue_b))
    {
      g_string_append_c (text, ' ');
      /* Translators: shares of the two groups on the face's outline */
      g_string_append_printf (text, _("Region swaps, which measure what the network uses without any map, put %.0f%% of it on the face's outline for %s and %.0f%% for %s."),
                              100 * cue_a, a->name, 100 * cue_b, b->name);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Step 5: what GABN did in this run, and the control. */
static char *
compare_summary (const GabnEvalReport *base, const GabnEvalReport *gabn, const GabnEvalReport *control)
{
  g_autoptr(GString) text = g_string_new (NULL);
  int lo, hi;

  if (base != NULL && gabn != NULL)
    {
      /* Translators: STD before and after in percentage points, then the
       * mean accuracy before and after */
      g_string_append_printf (text, _("This is one run with one seed; another seed can come out differently. GABN took the STD of the group accuracies from %.1f to %.1f pp and the mean accuracy from %.1f%% to %.1f%%. Per group:"),
                              100 * base->std, 100 * gabn->std, 100 * base->mean_accuracy,
                              100 * gabn->mean_accuracy);
      for (int g = 0; g < base->n_groups && g < gabn->n_groups; g++)
        {
          g_string_append (text, g > 0 ? _(", ") : " ");
          /* Translators: a group and its change of accuracy in points */
          g_string_append_printf (text, _("%s %+.1f"), base->groups[g].name,
                                  100 * (gabn->groups[g].accuracy - base->groups[g].accuracy));
        }
      g_string_append (text, _(" points."));
    }
  if (control != NULL && gabn_teach_extremes (control, &lo, &hi))
    {
      if (text->len > 0)
        g_string_append_c (text, ' ');
      /* Translators: spread in points, then the lowest and highest accuracy */
      g_string_append_printf (text, _("With balanced collection and a good camera, the groups were within %.1f points (from %.0f%% to %.0f%%, on the balanced set's own new people)."),
                              100 * (control->groups[hi].accuracy - control->groups[lo].accuracy),
                              100 * control->groups[lo].accuracy, 100 * control->groups[hi].accuracy);
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static void
add_cell (GtkGrid *grid, const char *text, int col, int row, gboolean heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), col == 0 ? 0 : 1);
  gtk_widget_add_css_class (label, heading ? "heading" : "numeric");
  gtk_grid_attach (grid, label, col, row, 1, 1);
}

static char *
percent_or_dash (const GabnEvalReport *r, int g, gboolean region)
{
  if (r == NULL || g >= r->n_groups)
    return g_strdup ("—");
  return region ? g_strdup_printf (_("%.0f%%"), 100 * r->groups[g].region50)
                : g_strdup_printf (_("%.1f%%"), 100 * r->groups[g].accuracy);
}

static void
show_table (GabnTeachView *self)
{
  const GabnEvalReport *r[N_RUNS] = { last_report (self, RUN_BASELINE), last_report (self, RUN_GABN),
                                      last_report (self, RUN_CONTROL) };
  static const char *heads[] = { N_("Group"), N_("Baseline accuracy"), N_("GABN accuracy"),
                                 N_("Control accuracy"), N_("Baseline region"), N_("GABN region") };
  int n;

  clear_box (GTK_WIDGET (self->table));
  if (r[RUN_BASELINE] == NULL)
    return;
  n = r[RUN_BASELINE]->n_groups;
  for (guint c = 0; c < G_N_ELEMENTS (heads); c++)
    add_cell (self->table, _(heads[c]), c, 0, TRUE);
  for (int g = 0; g < n; g++)
    {
      add_cell (self->table, r[RUN_BASELINE]->groups[g].name, 0, g + 1, TRUE);
      for (int m = 0; m < N_RUNS; m++)
        {
          g_autofree char *acc = percent_or_dash (r[m], g, FALSE);
          add_cell (self->table, acc, 1 + m, g + 1, FALSE);
        }
      for (int m = 0; m < 2; m++)
        {
          g_autofree char *reg = percent_or_dash (r[m], g, TRUE);
          add_cell (self->table, reg, 4 + m, g + 1, FALSE);
        }
    }
  add_cell (self->table, _("Mean accuracy"), 0, n + 1, TRUE);
  add_cell (self->table, _("STD (lower is more even)"), 0, n + 2, TRUE);
  for (int m = 0; m < N_RUNS; m++)
    {
      g_autofree char *mean = r[m] ? g_strdup_printf (_("%.1f%%"), 100 * r[m]->mean_accuracy) : g_strdup ("—");
      g_autofree char *std = r[m] ? g_strdup_printf (_("%.2f pp"), 100 * r[m]->std) : g_strdup ("—");
      add_cell (self->table, mean, 1 + m, n + 1, FALSE);
      add_cell (self->table, std, 1 + m, n + 2, FALSE);
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

static int
run_index (GabnTeachView *self, GabnTrainRun *run)
{
  for (int m = 0; m < N_RUNS; m++)
    if (self->runs[m] == run)
      return m;
  return -1;
}

static void
on_run_epoch (GabnTrainRun *run, const GabnEvalReport *report, GabnTeachView *self)
{
  int which = run_index (self, run);

  for (int g = 0; which >= 0 && g < report->n_groups && g < self->n_series[which]; g++)
    gabn_plot_add_point (self->plot, self->series[which][g], report->epoch + 1,
                         100 * report->groups[g].accuracy);
}

static void
on_run_state (GabnTrainRun *run, GParamSpec *pspec, GabnTeachView *self)
{
  GabnRunState state = gabn_train_run_get_state (run);

  if (state == GABN_RUN_FAILED || state == GABN_RUN_STOPPED)
    gabn_toast (GTK_WIDGET (self), gabn_train_run_get_status (run));
  update_step (self);
}

/* Forgets a run and its curves; a run still training is asked to stop (its
 * thread keeps its own references). */
static void
drop_run (GabnTeachView *self, int which)
{
  if (self->runs[which] != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->runs[which], self);
      gabn_train_run_stop (self->runs[which]);
      g_clear_object (&self->runs[which]);
    }
  for (int g = 0; g < self->n_series[which]; g++)
    gabn_plot_remove_series (self->plot, self->series[which][g]);
  g_clear_pointer (&self->series[which], g_free);
  self->n_series[which] = 0;
}

static void
start_run (GabnTeachView *self, int which, GabnSharedDataset *dataset)
{
  static const char *names[N_RUNS] = { N_("Baseline"), N_("GABN"), N_("Control") };
  static const GabnLineStyle lines[N_RUNS] = { GABN_LINE_DASHED, GABN_LINE_SOLID, GABN_LINE_DOTTED };
  const GabnDataset *ds;
  GabnTrainConfig config;

  if (dataset == NULL)
    return;
  ds = dataset->dataset;
  drop_run (self, which);
  gabn_train_config_init (&config);
  config.method = which == RUN_GABN ? GABN_METHOD_GABN : GABN_METHOD_BASELINE;
  config.epochs = self->epochs;
  self->runs[which] = gabn_session_new_run (self->session, _(names[which]), &config, dataset);
  gabn_train_config_clear (&config);
  self->series[which] = g_new (guint, MAX (1, ds->n_groups));
  self->n_series[which] = ds->n_groups;
  for (int g = 0; g < ds->n_groups; g++)
    {
      g_autofree char *label = g_strdup_printf ("%s: %s", gabn_train_run_get_name (self->runs[which]),
                                                ds->groups[g].name);
      self->series[which][g] = gabn_plot_add_series (self->plot, label, g, lines[which]);
    }
  g_signal_connect_object (self->runs[which], "step", G_CALLBACK (on_run_step), self, 0);
  g_signal_connect_object (self->runs[which], "epoch", G_CALLBACK (on_run_epoch), self, 0);
  g_signal_connect_object (self->runs[which], "notify::state", G_CALLBACK (on_run_state), self, 0);
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, NULL);
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

  if (which == RUN_CONTROL && self->control_cancellable != NULL)
    return TRUE; /* its faces are being drawn */
  return state == GABN_RUN_RUNNING || state == GABN_RUN_PAUSED;
}

static void
control_data_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnTeachView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSharedDataset) data = gabn_session_draw_synthetic_finish (GABN_SESSION (source),
                                                                          result, &error);

  /* Stale: the view was disposed or the faces drawn again meanwhile. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->control_cancellable == NULL)
    return;
  g_clear_object (&self->control_cancellable);
  if (data == NULL)
    {
      gabn_toast (GTK_WIDGET (self), error->message);
      update_step (self);
      return;
    }
  start_run (self, RUN_CONTROL, data);
}

static void
start_control (GabnTeachView *self)
{
  GabnSynthConfig config;

  /* The control's data: the balanced preset at the size of the teaching
   * set, drawn in a worker (seconds); the session's dataset stays. */
  gabn_synth_config_init (&config, GABN_SYNTH_BALANCED);
  config.identities = self->identities;
  config.images = self->images;
  drop_run (self, RUN_CONTROL);
  self->control_cancellable = g_cancellable_new ();
  /* Translators: the title of the control's dataset */
  gabn_session_draw_synthetic_async (self->session, &config, _("Synthetic faces (balanced)"),
                                     self->control_cancellable, control_data_ready,
                                     g_object_ref (self));
  gtk_progress_bar_set_fraction (self->progress, 0);
  gtk_progress_bar_set_text (self->progress, _("Drawing the balanced faces…"));
  update_step (self);
}

static void
cancel_control_data (GabnTeachView *self)
{
  g_cancellable_cancel (self->control_cancellable);
  g_clear_object (&self->control_cancellable);
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
      return run_done (self, RUN_BASELINE);
    case STEP_GABN:
    case STEP_COMPARE:
    default:
      return run_done (self, RUN_GABN);
    }
}

static int
step_run (int step)
{
  switch (step)
    {
    case STEP_BASELINE:
      return RUN_BASELINE;
    case STEP_GABN:
      return RUN_GABN;
    case STEP_COMPARE:
      return RUN_CONTROL;
    default:
      return -1;
    }
}

static void
update_step (GabnTeachView *self)
{
  g_autofree char *counter = NULL, *summary = NULL;
  int which = step_run (self->step);
  gboolean busy = which >= 0 && run_busy (self, which);

  /* Translators: step counter in the teaching mode */
  counter = g_strdup_printf (_("Step %d of %d"), self->step + 1, N_STEPS);
  gtk_label_set_text (self->step_label, counter);
  gtk_label_set_text (self->title_label, _(steps[self->step].title));
  gtk_label_set_text (self->text_label, _(steps[self->step].text));
  gtk_widget_set_visible (GTK_WIDGET (self->action_button), steps[self->step].action != NULL);
  if (steps[self->step].action != NULL)
    gtk_button_set_label (self->action_button, _(steps[self->step].action));
  gtk_widget_set_sensitive (GTK_WIDGET (self->action_button), !busy && self->session != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->progress),
                          which >= 0 && (self->runs[which] != NULL || busy));
  gtk_widget_set_visible (GTK_WIDGET (self->plot), which >= 0);
  gtk_widget_set_visible (GTK_WIDGET (self->table), self->step == STEP_COMPARE);
  gtk_widget_set_visible (GTK_WIDGET (self->exposure_box), self->step == STEP_FACES);
  gtk_widget_set_sensitive (GTK_WIDGET (self->back_button), self->step > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button),
                            self->step < N_STEPS - 1 && gabn_teach_view_get_step_done (self));
  switch (self->step)
    {
    case STEP_FACES:
      summary = show_faces (self, NULL);
      show_exposure (self);
      break;
    case STEP_GAP:
      show_faces (self, last_report (self, RUN_BASELINE));
      summary = gap_summary (last_report (self, RUN_BASELINE));
      break;
    case STEP_COMPARE:
      show_faces (self, last_report (self, RUN_GABN));
      show_table (self);
      summary = compare_summary (last_report (self, RUN_BASELINE), last_report (self, RUN_GABN),
                                 run_done (self, RUN_CONTROL) ? last_report (self, RUN_CONTROL) : NULL);
      break;
    case STEP_BASELINE:
    case STEP_GABN:
    default:
      clear_box (GTK_WIDGET (self->faces_box));
      break;
    }
  gtk_label_set_text (self->summary_label, summary ? summary : "");
  gtk_widget_set_visible (GTK_WIDGET (self->summary_label), summary != NULL);
  demo_advance (self);
}

static void
faces_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnTeachView) self = user_data;
  g_autoptr(GError) error = NULL;

  self->faces_loading = FALSE;
  if (!gabn_session_load_dataset_finish (GABN_SESSION (object), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED))
        gabn_toast (GTK_WIDGET (self), error->message);
      return;
    }
  self->faces_drawn = TRUE;
  set_faces_ready (self, self->first_faces != NULL);
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
      self->faces_drawn = FALSE;
      /* New faces: earlier runs measured other people. */
      cancel_control_data (self);
      for (int m = 0; m < N_RUNS; m++)
        drop_run (self, m);
      gabn_session_set_synthetic_size (self->session, self->identities, self->images);
      self->faces_loading = TRUE;
      if (self->cancellable == NULL)
        self->cancellable = g_cancellable_new ();
      gabn_session_load_dataset_async (self->session, NULL, "realistic", self->cancellable,
                                       faces_loaded, g_object_ref (self));
      break;
    case STEP_BASELINE:
      start_run (self, RUN_BASELINE, gabn_session_get_dataset (self->session));
      break;
    case STEP_GABN:
      start_run (self, RUN_GABN, gabn_session_get_dataset (self->session));
      break;
    case STEP_COMPARE:
      start_control (self);
      break;
    default:
      break;
    }
}

/* ---- Demonstration -------------------------------------------------------- */

static gboolean
demo_target_done (GabnTeachView *self)
{
  switch (self->step)
    {
    case STEP_FACES:
      return self->faces_ready;
    case STEP_COMPARE:
      return run_done (self, RUN_CONTROL);
    default:
      return gabn_teach_view_get_step_done (self);
    }
}

/* One move of the walk: next step when this one is done, else its action
 * when it has not started. A failed or stopped run ends the walk (the
 * screenshot then saves what there is and reports the failure). */
static void
demo_advance (GabnTeachView *self)
{
  int which;

  if (self->demo_step < 0 || self->demo_ready || self->demo_advancing)
    return;
  self->demo_advancing = TRUE;
  for (;;)
    {
      which = step_run (self->step);
      if (self->step < self->demo_step && !self->demo_hold && gabn_teach_view_get_step_done (self))
        {
          self->step++;
          update_step (self);
          continue;
        }
      if ((self->step == self->demo_step || self->demo_hold) && demo_target_done (self))
        {
          self->demo_ready = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
          break;
        }
      /* Faces drawn but their first faces not decoded yet: wait (drawing
       * again would cancel that job, and under load loop for ever). */
      if (self->step == STEP_FACES && !self->faces_ready && !self->faces_loading
          && !self->faces_drawn)
        gabn_teach_view_act (self);
      else if (which >= 0 && self->runs[which] == NULL && !run_busy (self, which))
        gabn_teach_view_act (self);
      break;
    }
  self->demo_advancing = FALSE;
}

void
gabn_teach_view_set_demo_step (GabnTeachView *self, int step)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  self->demo_step = CLAMP (step, 0, N_STEPS - 1);
}

void
gabn_teach_view_set_demo_hold (GabnTeachView *self, gboolean hold)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  self->demo_hold = hold;
}

gboolean
gabn_teach_view_demo_next (GabnTeachView *self)
{
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self), FALSE);
  if (self->demo_step < 0 || self->step >= self->demo_step)
    return FALSE;
  self->demo_ready = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
  gabn_teach_view_set_step (self, self->step + 1);
  return TRUE;
}

void
gabn_teach_view_run_demo (GabnTeachView *self)
{
  g_return_if_fail (GABN_IS_TEACH_VIEW (self));
  if (self->demo_step < 0)
    self->demo_step = STEP_FACES;
  self->demo_ready = FALSE;
  gabn_teach_view_set_step (self, STEP_FACES);
  demo_advance (self);
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
  cancel_control_data (self);
  for (int m = 0; m < N_RUNS; m++)
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
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self) && which >= 0 && which < N_RUNS, NULL);
  return last_report (self, which);
}

gboolean
gabn_teach_view_get_run_done (GabnTeachView *self, int which)
{
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self) && which >= 0 && which < N_RUNS, FALSE);
  return run_done (self, which);
}

const char *
gabn_teach_view_get_summary (GabnTeachView *self)
{
  g_return_val_if_fail (GABN_IS_TEACH_VIEW (self), NULL);
  return gtk_label_get_text (self->summary_label);
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
  g_cancellable_cancel (self->first_faces_cancellable);
  g_clear_object (&self->first_faces_cancellable);
  g_clear_pointer (&self->first_faces, g_bytes_unref);
  cancel_control_data (self);
  /* The session stops and joins the runs; the view only stops hearing them. */
  for (int m = 0; m < N_RUNS; m++)
    {
      if (self->runs[m] != NULL)
        g_signal_handlers_disconnect_by_data (self->runs[m], self);
      g_clear_object (&self->runs[m]);
      g_clear_pointer (&self->series[m], g_free);
      self->n_series[m] = 0;
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
      {
        GabnTeachView *self = GABN_TEACH_VIEW (object);
        g_value_set_boolean (value, self->demo_step >= 0 ? self->demo_ready : self->faces_ready);
      }
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
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, exposure_box);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, faces_box);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, next_button);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, plot);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, progress);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, step_label);
  gtk_widget_class_bind_template_child (widget_class, GabnTeachView, summary_label);
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
  self->demo_step = -1;
  self->identities = TEACH_IDENTITIES;
  self->images = TEACH_IMAGES;
  gabn_plot_set_title (self->plot, _("Accuracy per group on new people (baseline dashed, GABN solid, control dotted)"));
  gabn_plot_set_x_label (self->plot, _("epoch"));
  gabn_plot_set_y_label (self->plot, _("accuracy %"));
  update_step (self);
}

static void
first_faces_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnTeachView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rgb = gabn_session_mean_faces_finish (GABN_SESSION (object), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* another dataset, or the view went */
  g_clear_object (&self->first_faces_cancellable);
  if (rgb == NULL)
    {
      gabn_toast (GTK_WIDGET (self), error->message);
      return;
    }
  self->first_faces = g_steal_pointer (&rgb);
  set_faces_ready (self, self->faces_drawn);
  update_step (self);
}

/* The first face of each group, decoded in a worker (one per step card). */
static void
on_dataset_changed (GabnTeachView *self)
{
  g_cancellable_cancel (self->first_faces_cancellable);
  g_clear_object (&self->first_faces_cancellable);
  g_clear_pointer (&self->first_faces, g_bytes_unref);
  if (self->session != NULL && gabn_session_get_dataset (self->session) != NULL)
    {
      self->first_faces_cancellable = g_cancellable_new ();
      gabn_session_mean_faces_async (self->session, FACE_SIZE, 1, self->first_faces_cancellable,
                                     first_faces_ready, g_object_ref (self));
    }
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
  on_dataset_changed (self);
  update_step (self);
}
