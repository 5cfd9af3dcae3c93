/* gabn-train-view.c: options, runs and live plots. Reports arrive as
 * signals of GabnTrainRun on the main thread; each adds a few points
 * (the plots redraw on the next frame), so the work per report is small
 * and measured (max_report_us). */
#include "config.h"
#include "gabn-train-view.h"
#include "gabn-face-canvas.h"
#include "gabn-settings.h"
#include "gabn-toast.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

enum { PLOT_LOSS, PLOT_ACCURACY, PLOT_STD, PLOT_SER, PLOT_DIVERGENCE, PLOT_REGION, N_PLOTS };
static const char *plot_ids[N_PLOTS] = { "loss", "accuracy", "std", "ser", "divergence", "region" };

/* The mean faces under the GAMs: of the first 8 readable photos per group. */
#define TEMPLATE_SIZE 64
#define TEMPLATE_PHOTOS 8

/* Per run: its row widgets and series ids in each plot. */
typedef struct {
  GabnTrainView *view;        /* borrowed */
  GabnTrainRun  *run;
  int            index;       /* line style */
  GtkWidget     *row;
  GtkLabel      *status;
  GtkLabel      *speed;
  GtkLabel      *skipped;     /* hidden until an image is skipped */
  GtkProgressBar *progress;
  GtkButton     *pause;
  GtkButton     *stop;
  GtkButton     *explore;
  guint          loss_series[4];
  guint         *acc_series;  /* per group */
  guint         *region_series;
  guint          std_series, ser_series, js_series;
  int            n_groups;
} RunUi;

struct _GabnTrainView
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkAdjustment  *batch_adjustment;
  GtkAdjustment  *epochs_adjustment;
  GtkBox         *gam_box;
  AdwComboRow    *gam_row;
  GtkAdjustment  *lambda_adv_adjustment;
  GtkAdjustment  *lambda_mask_adjustment;
  GtkAdjustment  *lr_adjustment;
  AdwComboRow    *method_row;
  GtkGrid        *plot_grid;
  GtkListBox     *runs_list;
  GtkAdjustment  *seed_adjustment;
  GtkAdjustment  *threads_adjustment;
  GtkAdjustment  *topn_adjustment;

  /* Owned references */
  GabnSession    *session;
  GPtrArray      *run_uis;    /* RunUi*, one per run of the session */
  GabnPlot       *plots[N_PLOTS];
  GtkNativeDialog *chooser;
  GBytes         *templates;  /* mean face per group, for the GAM canvases */
  GCancellable   *templates_cancellable;  /* their computation, or NULL */

  gint64          max_report_us;
  gboolean        ready;
};

G_DEFINE_FINAL_TYPE (GabnTrainView, gabn_train_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static GabnLineStyle
run_style (int index)
{
  return (GabnLineStyle) (index % 3);
}

static void
update_ready (GabnTrainView *self)
{
  gboolean ready = self->run_uis->len > 0;

  for (guint i = 0; i < self->run_uis->len; i++)
    {
      RunUi *ui = g_ptr_array_index (self->run_uis, i);
      if (gabn_train_run_get_n_epochs (ui->run) == 0)
        ready = FALSE;
    }
  if (ready != self->ready)
    {
      self->ready = ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
}

/* ---- Reports ------------------------------------------------------------ */

static char *
format_eta (double seconds)
{
  if (!isfinite (seconds) || seconds < 0)
    return g_strdup ("—");
  if (seconds < 90)
    return g_strdup_printf (_("%.0f s"), seconds);
  if (seconds < 5400)
    return g_strdup_printf (_("%.0f min"), seconds / 60);
  return g_strdup_printf (_("%.1f h"), seconds / 3600);
}

static void
on_step (GabnTrainRun *run, const GabnStepReport *step, RunUi *ui)
{
  gint64 start = g_get_monotonic_time ();
  GabnTrainView *self = ui->view;
  g_autofree char *eta = format_eta (step->eta_seconds);
  g_autofree char *speed = NULL;
  double x = (double) step->step;

  g_debug ("%s: step %" G_GINT64_FORMAT "/%" G_GINT64_FORMAT ", %.1f images/s",
           gabn_train_run_get_name (run), step->step, step->total_steps, step->images_per_second);
  gabn_plot_add_point (self->plots[PLOT_LOSS], ui->loss_series[0], x, step->loss);
  gabn_plot_add_point (self->plots[PLOT_LOSS], ui->loss_series[1], x, step->loss_arc);
  if (gabn_train_run_get_config (run)->method == GABN_METHOD_GABN)
    {
      gabn_plot_add_point (self->plots[PLOT_LOSS], ui->loss_series[2], x, step->loss_adv);
      gabn_plot_add_point (self->plots[PLOT_LOSS], ui->loss_series[3], x, step->loss_mask);
    }
  /* Translators: training speed and time left */
  speed = g_strdup_printf (_("%.0f images/s · %s left"), step->images_per_second, eta);
  gtk_label_set_text (ui->speed, speed);
  if (step->total_steps > 0)
    gtk_progress_bar_set_fraction (ui->progress, (double) step->step / step->total_steps);
  if (gabn_train_run_get_state (run) == GABN_RUN_RUNNING)
    {
      /* Translators: epoch numbers */
      g_autofree char *status = g_strdup_printf (_("Epoch %d of %d"), step->epoch + 1, step->n_epochs);
      gtk_label_set_text (ui->status, status);
    }
  self->max_report_us = MAX (self->max_report_us, g_get_monotonic_time () - start);
}

static void
show_mean_gams (GabnTrainView *self, const GabnEvalReport *report)
{
  GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->gam_box));
  GabnSettings *settings = gabn_settings_get_default ();
  GabnColormap colormap = gabn_colormap_from_name (gabn_settings_get_colormap (settings));

  for (int g = 0; g < report->n_groups; g++)
    {
      g_autofree char *caption = NULL;

      if (child == NULL)
        {
          child = gabn_face_canvas_new ();
          gtk_widget_set_size_request (child, 120, 140);
          gtk_box_append (self->gam_box, child);
        }
      if (self->templates != NULL)
        gabn_face_canvas_set_face (GABN_FACE_CANVAS (child),
                                   (const guint8 *) g_bytes_get_data (self->templates, NULL)
                                   + (gsize) g * TEMPLATE_SIZE * TEMPLATE_SIZE * 3,
                                   TEMPLATE_SIZE);
      if (report->groups[g].mean_gam != NULL)
        gabn_face_canvas_set_map (GABN_FACE_CANVAS (child), report->groups[g].mean_gam,
                                  report->gam_h, report->gam_w);
      gabn_face_canvas_set_colormap (GABN_FACE_CANVAS (child), colormap);
      gabn_face_canvas_set_opacity (GABN_FACE_CANVAS (child), gabn_settings_get_overlay_opacity (settings));
      /* Translators: group name and accuracy in percent */
      caption = g_strdup_printf (_("%s · %.1f%%"), report->groups[g].name, 100 * report->groups[g].accuracy);
      gabn_face_canvas_set_caption (GABN_FACE_CANVAS (child), caption);
      child = gtk_widget_get_next_sibling (child);
    }
}

static void
on_epoch (GabnTrainRun *run, const GabnEvalReport *report, RunUi *ui)
{
  gint64 start = g_get_monotonic_time ();
  GabnTrainView *self = ui->view;
  double x = report->epoch + 1;

  g_debug ("%s: epoch %d, mean accuracy %.3f, STD %.4f", gabn_train_run_get_name (run),
           report->epoch + 1, report->mean_accuracy, report->std);
  for (int g = 0; g < MIN (report->n_groups, ui->n_groups); g++)
    {
      gabn_plot_add_point (self->plots[PLOT_ACCURACY], ui->acc_series[g], x,
                           100 * report->groups[g].accuracy);
      gabn_plot_add_point (self->plots[PLOT_REGION], ui->region_series[g], x,
                           100 * report->groups[g].region50);
    }
  gabn_plot_add_point (self->plots[PLOT_STD], ui->std_series, x, 100 * report->std);
  gabn_plot_add_point (self->plots[PLOT_SER], ui->ser_series, x, report->ser);
  gabn_plot_add_point (self->plots[PLOT_DIVERGENCE], ui->js_series, x, report->mean_pairwise_js);
  show_mean_gams (self, report);
  self->max_report_us = MAX (self->max_report_us, g_get_monotonic_time () - start);
  update_ready (self);
}

static void
on_state (GabnTrainRun *run, GParamSpec *pspec, RunUi *ui)
{
  GabnRunState state = gabn_train_run_get_state (run);
  gboolean live = state == GABN_RUN_RUNNING || state == GABN_RUN_PAUSED;

  if (state != GABN_RUN_RUNNING || gabn_train_run_get_n_steps (run) == 0)
    gtk_label_set_text (ui->status, gabn_train_run_get_status (run));
  gtk_button_set_icon_name (ui->pause, state == GABN_RUN_PAUSED ? "media-playback-start-symbolic"
                                                                : "media-playback-pause-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (ui->pause), state == GABN_RUN_PAUSED ? _("Resume") : _("Pause"));
  gtk_widget_set_sensitive (GTK_WIDGET (ui->pause), live);
  gtk_widget_set_sensitive (GTK_WIDGET (ui->stop), live);
  gtk_widget_set_visible (GTK_WIDGET (ui->explore), gabn_train_run_get_model (run) != NULL);
  if (state == GABN_RUN_FAILED)
    gabn_toast (GTK_WIDGET (ui->view), gabn_train_run_get_status (run));
}

static void
on_skipped (GabnTrainRun *run, GParamSpec *pspec, RunUi *ui)
{
  guint n = gabn_train_run_get_n_skipped (run);
  /* Translators: images that could not be read during training */
  g_autofree char *text = g_strdup_printf (ngettext ("%u unreadable image skipped",
                                                     "%u unreadable images skipped", n), n);

  gtk_label_set_text (ui->skipped, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (ui->skipped), gabn_train_run_get_last_skipped (run));
  gtk_widget_set_visible (GTK_WIDGET (ui->skipped), n > 0);
}

static void
on_pause_clicked (RunUi *ui)
{
  if (gabn_train_run_get_state (ui->run) == GABN_RUN_PAUSED)
    gabn_train_run_resume (ui->run);
  else
    gabn_train_run_pause (ui->run);
}

static void
on_stop_clicked (RunUi *ui)
{
  gabn_train_run_stop (ui->run);
}

static void
on_explore_clicked (RunUi *ui)
{
  GabnSharedModel *model = gabn_train_run_get_model (ui->run);

  if (model == NULL || ui->view->session == NULL)
    return;
  gabn_session_set_model (ui->view->session, model);
  gtk_widget_activate_action (GTK_WIDGET (ui->view), "win.view", "s", "faces");
}

/* ---- Runs ----------------------------------------------------------------- */

static void
run_ui_free (gpointer data)
{
  RunUi *ui = data;

  g_signal_handlers_disconnect_by_data (ui->run, ui);
  g_object_unref (ui->run);
  g_free (ui->acc_series);
  g_free (ui->region_series);
  g_free (ui);
}

static GtkWidget *
icon_button (const char *icon, const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, tooltip);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  return button;
}

static void
build_row (RunUi *ui)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *name = gtk_label_new (gabn_train_run_get_name (ui->run));

  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 8);
  gtk_widget_set_margin_bottom (box, 8);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_widget_add_css_class (name, "heading");
  ui->status = GTK_LABEL (gtk_label_new (gabn_train_run_get_status (ui->run)));
  ui->speed = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_xalign (ui->status, 0);
  gtk_label_set_xalign (ui->speed, 0);
  gtk_widget_add_css_class (GTK_WIDGET (ui->status), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (ui->speed), "dim-label");
  gtk_widget_add_css_class (GTK_WIDGET (ui->speed), "caption");
  gtk_box_append (GTK_BOX (labels), name);
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (ui->status));
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (ui->speed));
  ui->skipped = GTK_LABEL (gtk_label_new (""));
  gtk_label_set_xalign (ui->skipped, 0);
  gtk_widget_add_css_class (GTK_WIDGET (ui->skipped), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (ui->skipped), "warning");
  gtk_widget_set_visible (GTK_WIDGET (ui->skipped), FALSE);
  gtk_box_append (GTK_BOX (labels), GTK_WIDGET (ui->skipped));
  gtk_widget_set_hexpand (labels, TRUE);
  gtk_box_append (GTK_BOX (top), labels);
  ui->explore = GTK_BUTTON (icon_button ("find-location-symbolic", _("Explore this model in the Faces view")));
  ui->pause = GTK_BUTTON (icon_button ("media-playback-pause-symbolic", _("Pause")));
  ui->stop = GTK_BUTTON (icon_button ("media-playback-stop-symbolic", _("Stop")));
  gtk_widget_set_visible (GTK_WIDGET (ui->explore), FALSE);
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (ui->explore));
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (ui->pause));
  gtk_box_append (GTK_BOX (top), GTK_WIDGET (ui->stop));
  ui->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (ui->progress));
  g_signal_connect_swapped (ui->pause, "clicked", G_CALLBACK (on_pause_clicked), ui);
  g_signal_connect_swapped (ui->stop, "clicked", G_CALLBACK (on_stop_clicked), ui);
  g_signal_connect_swapped (ui->explore, "clicked", G_CALLBACK (on_explore_clicked), ui);
  ui->row = gtk_list_box_row_new ();
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (ui->row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (ui->row), FALSE);
}

static void
add_series (GabnTrainView *self, RunUi *ui, const GabnDataset *ds)
{
  const char *name = gabn_train_run_get_name (ui->run);
  GabnLineStyle style = run_style (ui->index);
  static const char *terms[4] = { N_("total"), N_("ArcFace"), N_("adversarial"), N_("erased") };
  gboolean gabn = gabn_train_run_get_config (ui->run)->method == GABN_METHOD_GABN;

  for (int t = 0; t < 4; t++)
    {
      g_autofree char *label = g_strdup_printf ("%s: %s", name, _(terms[t]));
      ui->loss_series[t] = t < 2 || gabn
                           ? gabn_plot_add_series (self->plots[PLOT_LOSS], label, t, style)
                           : G_MAXUINT;
    }
  ui->n_groups = ds->n_groups;
  ui->acc_series = g_new (guint, MAX (1, ds->n_groups));
  ui->region_series = g_new (guint, MAX (1, ds->n_groups));
  for (int g = 0; g < ds->n_groups; g++)
    {
      g_autofree char *label = g_strdup_printf ("%s: %s", name, ds->groups[g].name);
      ui->acc_series[g] = gabn_plot_add_series (self->plots[PLOT_ACCURACY], label, g, style);
      ui->region_series[g] = gabn_plot_add_series (self->plots[PLOT_REGION], label, g, style);
    }
  ui->std_series = gabn_plot_add_series (self->plots[PLOT_STD], name, ui->index, GABN_LINE_SOLID);
  ui->ser_series = gabn_plot_add_series (self->plots[PLOT_SER], name, ui->index, GABN_LINE_SOLID);
  ui->js_series = gabn_plot_add_series (self->plots[PLOT_DIVERGENCE], name, ui->index, GABN_LINE_SOLID);
}

static void
templates_ready (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnTrainView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rgb = gabn_session_mean_faces_finish (GABN_SESSION (object), result, &error);
  GtkWidget *child;
  int g = 0;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* another dataset, or the view went */
  g_clear_object (&self->templates_cancellable);
  if (rgb == NULL)
    return; /* the maps show without faces */
  self->templates = g_bytes_ref (rgb);
  /* Canvases shown before the faces arrived get them now. */
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->gam_box)); child != NULL;
       child = gtk_widget_get_next_sibling (child), g++)
    gabn_face_canvas_set_face (GABN_FACE_CANVAS (child),
                               (const guint8 *) g_bytes_get_data (rgb, NULL)
                               + (gsize) g * TEMPLATE_SIZE * TEMPLATE_SIZE * 3,
                               TEMPLATE_SIZE);
}

static void
request_templates (GabnTrainView *self)
{
  if (self->templates != NULL || self->templates_cancellable != NULL)
    return;
  self->templates_cancellable = g_cancellable_new ();
  gabn_session_mean_faces_async (self->session, TEMPLATE_SIZE, TEMPLATE_PHOTOS,
                                 self->templates_cancellable, templates_ready, g_object_ref (self));
}

/* A row (and plot series) for each run the session lists. */
static GtkWidget *
create_run_row (gpointer item, gpointer user_data)
{
  GabnTrainView *self = user_data;
  GabnSharedDataset *dataset = gabn_train_run_get_dataset (item);
  RunUi *ui = g_new0 (RunUi, 1);

  ui->view = self;
  ui->index = (int) self->run_uis->len;
  ui->run = g_object_ref (item);
  build_row (ui);
  add_series (self, ui, dataset->dataset);
  g_signal_connect (ui->run, "step", G_CALLBACK (on_step), ui);
  g_signal_connect (ui->run, "epoch", G_CALLBACK (on_epoch), ui);
  g_signal_connect (ui->run, "notify::state", G_CALLBACK (on_state), ui);
  g_signal_connect (ui->run, "notify::n-skipped", G_CALLBACK (on_skipped), ui);
  g_ptr_array_add (self->run_uis, ui);
  update_ready (self);
  return ui->row;
}

GabnTrainRun *
gabn_train_view_start_run (GabnTrainView *self, const GabnTrainConfig *config)
{
  g_autoptr(GError) error = NULL;
  GabnTrainRun *run;

  g_return_val_if_fail (GABN_IS_TRAIN_VIEW (self), NULL);
  if (self->session == NULL)
    return NULL;
  run = gabn_session_start_run (self->session, config, &error);
  if (run == NULL)
    gabn_toast (GTK_WIDGET (self), error->message);
  else
    request_templates (self);
  return run;
}

static void
on_start_clicked (GabnTrainView *self)
{
  GabnTrainConfig config;

  gabn_train_view_get_config (self, &config);
  gabn_train_view_start_run (self, &config);
  gabn_train_config_clear (&config);
}

void
gabn_train_view_start_demo (GabnTrainView *self, int epochs)
{
  GabnTrainConfig config;

  g_return_if_fail (GABN_IS_TRAIN_VIEW (self));
  gabn_train_view_get_config (self, &config);
  config.epochs = epochs;
  config.method = GABN_METHOD_BASELINE;
  gabn_train_view_start_run (self, &config);
  config.method = GABN_METHOD_GABN;
  gabn_train_view_start_run (self, &config);
  gabn_train_config_clear (&config);
}

/* ---- Options ------------------------------------------------------------ */

void
gabn_train_view_get_config (GabnTrainView *self, GabnTrainConfig *config)
{
  g_return_if_fail (GABN_IS_TRAIN_VIEW (self));
  gabn_train_config_init (config);
  config->method = adw_combo_row_get_selected (self->method_row) == 1 ? GABN_METHOD_GABN
                                                                      : GABN_METHOD_BASELINE;
  config->lambda_adv = (float) gtk_adjustment_get_value (self->lambda_adv_adjustment);
  config->gam = adw_combo_row_get_selected (self->gam_row) == 1 ? GABN_CAM_HIRESCAM
                                                                : GABN_CAM_GRADCAM;
  config->lambda_mask = (float) gtk_adjustment_get_value (self->lambda_mask_adjustment);
  config->topn = (int) gtk_adjustment_get_value (self->topn_adjustment);
  config->epochs = (int) gtk_adjustment_get_value (self->epochs_adjustment);
  config->batch_size = (int) gtk_adjustment_get_value (self->batch_adjustment);
  config->lr = (float) gtk_adjustment_get_value (self->lr_adjustment);
  config->seed = (guint64) gtk_adjustment_get_value (self->seed_adjustment);
  config->threads = (int) gtk_adjustment_get_value (self->threads_adjustment);
}

void
gabn_train_view_set_config (GabnTrainView *self, const GabnTrainConfig *config)
{
  g_return_if_fail (GABN_IS_TRAIN_VIEW (self));
  adw_combo_row_set_selected (self->method_row, config->method == GABN_METHOD_GABN ? 1 : 0);
  gtk_adjustment_set_value (self->lambda_adv_adjustment, config->lambda_adv);
  adw_combo_row_set_selected (self->gam_row, config->gam == GABN_CAM_HIRESCAM ? 1 : 0);
  gtk_adjustment_set_value (self->lambda_mask_adjustment, config->lambda_mask);
  gtk_adjustment_set_value (self->topn_adjustment, config->topn);
  gtk_adjustment_set_value (self->epochs_adjustment, config->epochs);
  gtk_adjustment_set_value (self->batch_adjustment, config->batch_size);
  gtk_adjustment_set_value (self->lr_adjustment, config->lr);
  gtk_adjustment_set_value (self->seed_adjustment, (double) config->seed);
  gtk_adjustment_set_value (self->threads_adjustment, config->threads);
}

/* ---- Export --------------------------------------------------------------- */

gboolean
gabn_train_view_export_plots (GabnTrainView *self, const char *folder, GError **error)
{
  g_return_val_if_fail (GABN_IS_TRAIN_VIEW (self), FALSE);
  for (int i = 0; i < N_PLOTS; i++)
    {
      g_autofree char *png_name = g_strdup_printf ("%s.png", plot_ids[i]);
      g_autofree char *svg_name = g_strdup_printf ("%s.svg", plot_ids[i]);
      g_autofree char *png = g_build_filename (folder, png_name, NULL);
      g_autofree char *svg = g_build_filename (folder, svg_name, NULL);

      if (!gabn_plot_export_png (self->plots[i], png, 800, 500, error)
          || !gabn_plot_export_svg (self->plots[i], svg, 800, 500, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
gabn_train_view_export_csv (GabnTrainView *self, const char *path, GError **error)
{
  GabnSharedDataset *dataset = NULL;
  g_autoptr(GString) csv = NULL;
  g_autofree char *header = NULL;

  g_return_val_if_fail (GABN_IS_TRAIN_VIEW (self), FALSE);
  if (self->run_uis->len > 0)
    dataset = gabn_train_run_get_dataset (((RunUi *) g_ptr_array_index (self->run_uis, 0))->run);
  if (dataset == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("There is no run to export yet"));
      return FALSE;
    }
  header = gabn_train_run_csv_header (dataset);
  csv = g_string_new (header);
  for (guint i = 0; i < self->run_uis->len; i++)
    gabn_train_run_append_csv (((RunUi *) g_ptr_array_index (self->run_uis, i))->run, csv);
  return g_file_set_contents (path, csv->str, csv->len, error);
}

static void
on_save_response (GtkNativeDialog *dialog, int response, GabnTrainView *self)
{
  gboolean plots = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "gabn-plots"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;
      g_autoptr(GError) error = NULL;

      if (path != NULL && !(plots ? gabn_train_view_export_plots (self, path, &error)
                                  : gabn_train_view_export_csv (self, path, &error)))
        gabn_toast (GTK_WIDGET (self), error->message);
      else if (path != NULL)
        gabn_toast (GTK_WIDGET (self), plots ? _("Plots saved") : _("Metrics saved"));
    }
  g_clear_object (&self->chooser);
}

static void
run_save_chooser (GabnTrainView *self, gboolean plots)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (plots ? _("Export Plots to Folder") : _("Export Metrics"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        plots ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                              : GTK_FILE_CHOOSER_ACTION_SAVE,
                                        plots ? _("_Export") : _("_Save"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  if (!plots)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), "gabn-metrics.csv");
  g_object_set_data (G_OBJECT (native), "gabn-plots", GINT_TO_POINTER (plots));
  g_signal_connect (native, "response", G_CALLBACK (on_save_response), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

static void
on_export_csv_clicked (GabnTrainView *self)
{
  run_save_chooser (self, FALSE);
}

static void
on_export_plots_clicked (GabnTrainView *self)
{
  run_save_chooser (self, TRUE);
}

/* ---- GObject ------------------------------------------------------------ */

static void
on_dataset_changed (GabnTrainView *self)
{
  g_cancellable_cancel (self->templates_cancellable);
  g_clear_object (&self->templates_cancellable);
  g_clear_pointer (&self->templates, g_bytes_unref);
}

static void
gabn_train_view_dispose (GObject *object)
{
  GabnTrainView *self = GABN_TRAIN_VIEW (object);

  /* The session outlives the view while its loads finish: stop hearing it,
   * or a late notify would reach a disposed (or freed) view. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  on_dataset_changed (self);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_TRAIN_VIEW);
  g_clear_pointer (&self->run_uis, g_ptr_array_unref);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (gabn_train_view_parent_class)->dispose (object);
}

static void
gabn_train_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, GABN_TRAIN_VIEW (object)->ready);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_train_view_class_init (GabnTrainViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gabn_train_view_dispose;
  object_class->get_property = gabn_train_view_get_property;
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-train-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, batch_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, epochs_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, gam_box);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, gam_row);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, lambda_adv_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, lambda_mask_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, lr_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, method_row);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, plot_grid);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, runs_list);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, seed_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, threads_adjustment);
  gtk_widget_class_bind_template_child (widget_class, GabnTrainView, topn_adjustment);
  gtk_widget_class_bind_template_callback (widget_class, on_export_csv_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_export_plots_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_start_clicked);
}

static void
gabn_train_view_init (GabnTrainView *self)
{
  static const char *titles[N_PLOTS] = {
    N_("Loss"), N_("Verification accuracy per group"), N_("STD of group accuracies"),
    N_("Skewed error ratio (SER)"), N_("GAM divergence (mean pairwise JS)"),
    N_("Sensitive-region size (50%) per group"),
  };
  static const char *y_labels[N_PLOTS] = {
    N_("loss"), N_("accuracy %"), N_("STD (pp)"), N_("SER"), N_("JS"), N_("region %"),
  };
  GabnTrainConfig config;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->run_uis = g_ptr_array_new_with_free_func (run_ui_free);
  for (int i = 0; i < N_PLOTS; i++)
    {
      self->plots[i] = GABN_PLOT (gabn_plot_new ());
      gabn_plot_set_title (self->plots[i], _(titles[i]));
      gabn_plot_set_x_label (self->plots[i], i == PLOT_LOSS ? _("step") : _("epoch"));
      gabn_plot_set_x_integer (self->plots[i], TRUE);
      gabn_plot_set_y_label (self->plots[i], _(y_labels[i]));
      gtk_widget_set_size_request (GTK_WIDGET (self->plots[i]), 240, 220);
      gtk_grid_attach (self->plot_grid, GTK_WIDGET (self->plots[i]), i % 3, i / 3, 1, 1);
    }
  gabn_train_config_init (&config);
  gabn_train_view_set_config (self, &config);
  gabn_train_config_clear (&config);
}

void
gabn_train_view_set_session (GabnTrainView *self, GabnSession *session)
{
  g_return_if_fail (GABN_IS_TRAIN_VIEW (self));
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "notify::dataset", G_CALLBACK (on_dataset_changed), self);
      gtk_list_box_bind_model (self->runs_list, gabn_session_get_runs (session), create_run_row,
                               self, NULL);
    }
}

GabnPlot *
gabn_train_view_get_plot (GabnTrainView *self, const char *name)
{
  g_return_val_if_fail (GABN_IS_TRAIN_VIEW (self), NULL);
  for (int i = 0; i < N_PLOTS; i++)
    if (g_strcmp0 (plot_ids[i], name) == 0)
      return self->plots[i];
  return NULL;
}

gint64
gabn_train_view_get_max_report_time (GabnTrainView *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_VIEW (self), 0);
  return self->max_report_us;
}

gboolean
gabn_train_view_get_ready (GabnTrainView *self)
{
  g_return_val_if_fail (GABN_IS_TRAIN_VIEW (self), FALSE);
  return self->ready;
}
