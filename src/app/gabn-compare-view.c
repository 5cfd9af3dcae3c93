/* gabn-compare-view.c: the choices are the session's current model followed
 * by its models to compare (finished runs, added files), bound to the two
 * drop-downs; the session evaluates both on the same pairs
 * (gabn_session_compare_async). */
#include "config.h"
#include "gabn-compare-view.h"
#include "gabn-plot.h"
#include "gabn-toast.h"

#include <glib/gi18n.h>
#include <math.h>

struct _GabnCompareView
{
  AdwBin          parent_instance;

  /* Template widgets */
  GtkButton      *compare_button;
  GtkDropDown    *model_a_dropdown;
  GtkDropDown    *model_b_dropdown;
  GabnPlot       *roc_plot;
  GtkSpinner     *spinner;
  GtkLabel       *summary_label;
  GtkGrid        *table;

  /* Owned references */
  GabnSession    *session;
  GListStore     *current;      /* one GabnModelItem: the session's model */
  GListStore     *sources;      /* current, then the session's models */
  GListModel     *candidates;   /* GabnModelItem: both flattened */
  GCancellable   *cancellable;     /* the comparison shown next */
  GCancellable   *files_cancellable; /* models being added */
  GabnEvalReport *reports[2];
  char           *report_names[2];
  GtkNativeDialog *chooser;
  gboolean        ready;
};

G_DEFINE_FINAL_TYPE (GabnCompareView, gabn_compare_view, ADW_TYPE_BIN)

enum { PROP_0, PROP_READY, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
set_ready (GabnCompareView *self, gboolean ready)
{
  if (self->ready != ready)
    {
      self->ready = ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
}

/* ---- Table and plot ----------------------------------------------------- */

static void
cell (GabnCompareView *self, const char *text, int col, int row, gboolean heading)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), col == 0 ? 0 : 1);
  gtk_widget_add_css_class (label, heading ? "heading" : "numeric");
  gtk_grid_attach (self->table, label, col, row, 1, 1);
}

static char *
percent (double v)
{
  /* Translators: a percentage */
  return isfinite (v) ? g_strdup_printf (_("%.1f%%"), 100 * v) : g_strdup ("—");
}

static char *
number (double v, int digits)
{
  return isfinite (v) ? g_strdup_printf ("%.*f", digits, v) : g_strdup (_("undefined"));
}

/* A difference of percentages, in percentage points. */
static char *
points (double v)
{
  /* Translators: percentage points ("pp") */
  return isfinite (v) ? g_strdup_printf (_("%.2f pp"), v) : g_strdup (_("undefined"));
}

static void
fill_table (GabnCompareView *self)
{
  const GabnEvalReport *a = self->reports[0], *b = self->reports[1];
  static const char *columns[] = {
    N_("Accuracy"), N_("TAR@FAR 1e-3"), N_("Region 50%"), N_("Region 80%"), N_("JS to reference"),
  };
  GtkWidget *child;
  int row = 2;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->table))) != NULL)
    gtk_grid_remove (self->table, child);
  cell (self, _("Group"), 0, 0, TRUE);
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    {
      GtkWidget *label = gtk_label_new (_(columns[c]));
      gtk_widget_add_css_class (label, "heading");
      gtk_grid_attach (self->table, label, 1 + 2 * c, 0, 2, 1);
      cell (self, "A", 1 + 2 * c, 1, FALSE);
      cell (self, "B", 2 + 2 * c, 1, FALSE);
    }
  for (int g = 0; g < a->n_groups; g++, row++)
    {
      const GabnGroupReport *ga = &a->groups[g];
      const GabnGroupReport *gb = g < b->n_groups ? &b->groups[g] : NULL;
      double va[5] = { ga->accuracy, ga->tar_at_far[1], ga->region50, ga->region80, ga->js_to_reference };
      double vb[5] = { gb ? gb->accuracy : NAN, gb ? gb->tar_at_far[1] : NAN, gb ? gb->region50 : NAN,
                       gb ? gb->region80 : NAN, gb ? gb->js_to_reference : NAN };

      cell (self, ga->name, 0, row, TRUE);
      for (int c = 0; c < 5; c++)
        {
          g_autofree char *ta = c == 4 ? number (va[c], 4) : percent (va[c]);
          g_autofree char *tb = c == 4 ? number (vb[c], 4) : percent (vb[c]);
          cell (self, ta, 1 + 2 * c, row, FALSE);
          cell (self, tb, 2 + 2 * c, row, FALSE);
        }
    }
  {
    g_autofree char *ma = percent (a->mean_accuracy), *mb = percent (b->mean_accuracy);
    g_autofree char *sa = points (100 * a->std), *sb = points (100 * b->std);
    g_autofree char *ra = number (a->ser, 2), *rb = number (b->ser, 2);
    g_autofree char *ja = number (a->mean_pairwise_js, 4), *jb = number (b->mean_pairwise_js, 4);
    g_autofree char *pa = percent (a->probe_accuracy), *pb = percent (b->probe_accuracy);
    g_autofree char *chance = percent (a->probe_chance);
    /* Translators: the group probe, with chance (1/G) in brackets */
    g_autofree char *probe = g_strdup_printf (_("Group probe (chance %s)"), chance);

    cell (self, _("Mean accuracy"), 0, row, TRUE);
    cell (self, ma, 1, row, FALSE);
    cell (self, mb, 2, row++, FALSE);
    cell (self, _("STD"), 0, row, TRUE);
    cell (self, sa, 1, row, FALSE);
    cell (self, sb, 2, row++, FALSE);
    cell (self, _("SER"), 0, row, TRUE);
    cell (self, ra, 1, row, FALSE);
    cell (self, rb, 2, row++, FALSE);
    cell (self, _("Mean pairwise JS"), 0, row, TRUE);
    cell (self, ja, 1, row, FALSE);
    cell (self, jb, 2, row++, FALSE);
    cell (self, probe, 0, row, TRUE);
    cell (self, pa, 1, row, FALSE);
    cell (self, pb, 2, row, FALSE);
  }
}

static void
fill_plot (GabnCompareView *self)
{
  gabn_plot_clear (self->roc_plot);
  for (int m = 0; m < 2; m++)
    {
      const GabnEvalReport *r = self->reports[m];

      for (int g = 0; g < r->n_groups; g++)
        {
          g_autofree char *label = g_strdup_printf ("%s: %s", m == 0 ? "A" : "B", r->groups[g].name);
          g_autofree double *x = g_new (double, MAX (1, r->groups[g].n_roc));
          g_autofree double *y = g_new (double, MAX (1, r->groups[g].n_roc));
          guint id = gabn_plot_add_series (self->roc_plot, label, g,
                                           m == 0 ? GABN_LINE_SOLID : GABN_LINE_DASHED);

          for (int k = 0; k < r->groups[g].n_roc; k++)
            {
              x[k] = r->groups[g].roc_far[k];
              y[k] = r->groups[g].roc_tar[k];
            }
          gabn_plot_set_points (self->roc_plot, id, x, y, r->groups[g].n_roc);
        }
    }
}

static GabnModelItem *
candidate (GabnCompareView *self, guint i)
{
  g_autoptr(GabnModelItem) item = g_list_model_get_item (self->candidates, i);

  return item; /* borrowed: the list holds it */
}

static void
compare_done (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnCompareView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *summary = NULL;
  GabnEvalReport *reports[2];
  int n_pairs = 0;
  gboolean ok = gabn_session_compare_finish (GABN_SESSION (object), result, reports, &error);

  /* A newer comparison or the view's dispose cancelled this one. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_spinner_set_spinning (self->spinner, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_button), TRUE);
  if (!ok)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, GABN_ERROR, GABN_ERROR_CANCELLED))
        gabn_toast (GTK_WIDGET (self), error->message);
      return;
    }
  for (int m = 0; m < 2; m++)
    {
      g_clear_pointer (&self->reports[m], gabn_eval_report_free);
      self->reports[m] = reports[m];
    }
  fill_table (self);
  fill_plot (self);
  for (int g = 0; g < self->reports[0]->n_groups; g++)
    n_pairs += self->reports[0]->groups[g].n_pairs;
  /* Translators: the two model names, then the number of verification pairs */
  summary = g_strdup_printf (_("A: %s.  B: %s.  Both measured on the same %d held-out pairs of people neither model trained on; lower STD and SER mean more even accuracy across groups."),
                             self->report_names[0], self->report_names[1], n_pairs);
  gtk_label_set_text (self->summary_label, summary);
  set_ready (self, TRUE);
}

void
gabn_compare_view_compare (GabnCompareView *self)
{
  guint a, b, n;
  GabnSharedModel *ma = NULL, *mb = NULL;

  g_return_if_fail (GABN_IS_COMPARE_VIEW (self));
  a = gtk_drop_down_get_selected (self->model_a_dropdown);
  b = gtk_drop_down_get_selected (self->model_b_dropdown);
  n = g_list_model_get_n_items (self->candidates);
  if (a < n)
    ma = gabn_model_item_get_model (candidate (self, a));
  if (b < n)
    mb = gabn_model_item_get_model (candidate (self, b));
  if (self->session == NULL || gabn_session_get_dataset (self->session) == NULL
      || ma == NULL || mb == NULL)
    {
      gabn_toast (GTK_WIDGET (self), _("Choose two models and open a dataset first"));
      return;
    }
  set_ready (self, FALSE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  for (int m = 0; m < 2; m++)
    {
      g_free (self->report_names[m]);
      self->report_names[m] = g_strdup (gabn_model_item_get_name (candidate (self, m == 0 ? a : b)));
    }
  gtk_spinner_set_spinning (self->spinner, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_button), FALSE);
  gabn_session_compare_async (self->session, ma, mb, self->cancellable, compare_done,
                              g_object_ref (self));
}

/* ---- Candidates ----------------------------------------------------------- */

static void
on_model_changed (GabnCompareView *self)
{
  GabnSharedModel *model = self->session ? gabn_session_get_model (self->session) : NULL;
  g_autofree char *name = NULL;
  g_autoptr(GabnModelItem) item = NULL;

  /* Translators: %s is the model's title */
  name = model ? g_strdup_printf (_("Current: %s"), model->title) : g_strdup (_("Current: none"));
  item = gabn_model_item_new (name, model);
  g_list_store_splice (self->current, 0, g_list_model_get_n_items (G_LIST_MODEL (self->current)),
                       (gpointer *) &item, 1);
}

/* Two models to compare as soon as there are two: while A and B are the
 * same entry, B moves to the model that just arrived. */
static void
on_candidates_changed (GabnCompareView *self, guint position, guint removed, guint added)
{
  guint a = gtk_drop_down_get_selected (self->model_a_dropdown);
  guint newest = position + added - 1;

  if (added == 0 || g_list_model_get_n_items (self->candidates) < 2
      || gtk_drop_down_get_selected (self->model_b_dropdown) != a)
    return;
  gtk_drop_down_set_selected (self->model_b_dropdown, newest != a ? newest : (a == 0 ? 1 : 0));
}

static void
on_model_file_added (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnCompareView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnModelItem) item = gabn_session_add_model_file_finish (GABN_SESSION (object),
                                                                      result, &error);

  if (item == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    gabn_toast (GTK_WIDGET (self), error->message);
}

static void
on_chooser_response (GtkNativeDialog *dialog, int response, GabnCompareView *self)
{
  if (response == GTK_RESPONSE_ACCEPT && self->session != NULL)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        gabn_session_add_model_file_async (self->session, path, self->files_cancellable,
                                           on_model_file_added, g_object_ref (self));
    }
  g_clear_object (&self->chooser);
}

static void
on_add_file_clicked (GabnCompareView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *native;
  GtkFileFilter *filter = gtk_file_filter_new ();

  native = gtk_file_chooser_native_new (_("Add Model"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("Models (safetensors, PyTorch, ONNX)"));
  gtk_file_filter_add_pattern (filter, "*.safetensors");
  gtk_file_filter_add_pattern (filter, "*.pth");
  gtk_file_filter_add_pattern (filter, "*.pt");
  gtk_file_filter_add_pattern (filter, "*.onnx");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_object_unref (filter);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  g_signal_connect (native, "response", G_CALLBACK (on_chooser_response), self);
  g_clear_object (&self->chooser);
  self->chooser = GTK_NATIVE_DIALOG (native);
  gtk_native_dialog_show (self->chooser);
}

/* ---- GObject ------------------------------------------------------------ */

static void
gabn_compare_view_dispose (GObject *object)
{
  GabnCompareView *self = GABN_COMPARE_VIEW (object);

  /* The session outlives the view while its loads finish: stop hearing it,
   * or a late notify would reach a disposed (or freed) view. */
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (self->chooser);
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), GABN_TYPE_COMPARE_VIEW);
  g_clear_object (&self->session);
  g_cancellable_cancel (self->files_cancellable);
  g_clear_object (&self->files_cancellable);
  g_clear_object (&self->candidates);
  g_clear_object (&self->sources);
  g_clear_object (&self->current);
  for (int m = 0; m < 2; m++)
    {
      g_clear_pointer (&self->reports[m], gabn_eval_report_free);
      g_clear_pointer (&self->report_names[m], g_free);
    }
  G_OBJECT_CLASS (gabn_compare_view_parent_class)->dispose (object);
}

static void
gabn_compare_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, GABN_COMPARE_VIEW (object)->ready);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_compare_view_class_init (GabnCompareViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = gabn_compare_view_dispose;
  object_class->get_property = gabn_compare_view_get_property;
  properties[PROP_READY] = g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GABN_TYPE_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class, RESOURCE_PREFIX "/gabn-compare-view.ui");
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, compare_button);
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, model_a_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, model_b_dropdown);
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, roc_plot);
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, spinner);
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, GabnCompareView, table);
  gtk_widget_class_bind_template_callback (widget_class, gabn_compare_view_compare);
  gtk_widget_class_bind_template_callback (widget_class, on_add_file_clicked);
}

static void
gabn_compare_view_init (GabnCompareView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->current = g_list_store_new (GABN_TYPE_MODEL_ITEM);
  self->sources = g_list_store_new (G_TYPE_LIST_MODEL);
  g_list_store_append (self->sources, self->current);
  self->candidates = G_LIST_MODEL (gtk_flatten_list_model_new (g_object_ref (G_LIST_MODEL (self->sources))));
  self->files_cancellable = g_cancellable_new ();
  for (int m = 0; m < 2; m++)
    {
      GtkDropDown *dropdown = m == 0 ? self->model_a_dropdown : self->model_b_dropdown;

      gtk_drop_down_set_expression (dropdown, gtk_property_expression_new (GABN_TYPE_MODEL_ITEM, NULL, "name"));
      gtk_drop_down_set_model (dropdown, self->candidates);
    }
  g_signal_connect_object (self->candidates, "items-changed",
                           G_CALLBACK (on_candidates_changed), self, G_CONNECT_SWAPPED);
  on_model_changed (self);
  gabn_plot_set_title (self->roc_plot, _("ROC per group (A solid, B dashed)"));
  gabn_plot_set_x_label (self->roc_plot, _("false accept rate"));
  gabn_plot_set_y_label (self->roc_plot, _("true accept rate"));
  gabn_plot_set_y_range (self->roc_plot, 0, 1);
}

void
gabn_compare_view_set_session (GabnCompareView *self, GabnSession *session)
{
  g_return_if_fail (GABN_IS_COMPARE_VIEW (self));
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_list_store_remove (self->sources, 1);
    }
  g_set_object (&self->session, session);
  if (session != NULL)
    {
      g_signal_connect_swapped (session, "notify::model", G_CALLBACK (on_model_changed), self);
      g_list_store_append (self->sources, gabn_session_get_models (session));
    }
  on_model_changed (self);
}

void
gabn_compare_view_select (GabnCompareView *self, guint a, guint b)
{
  g_return_if_fail (GABN_IS_COMPARE_VIEW (self));
  gtk_drop_down_set_selected (self->model_a_dropdown, a);
  gtk_drop_down_set_selected (self->model_b_dropdown, b);
}

void
gabn_compare_view_get_selected (GabnCompareView *self, guint *a, guint *b)
{
  g_return_if_fail (GABN_IS_COMPARE_VIEW (self));
  *a = gtk_drop_down_get_selected (self->model_a_dropdown);
  *b = gtk_drop_down_get_selected (self->model_b_dropdown);
}

int
gabn_compare_view_find_model (GabnCompareView *self, const char *name)
{
  g_return_val_if_fail (GABN_IS_COMPARE_VIEW (self), -1);
  for (guint i = 0; i < g_list_model_get_n_items (self->candidates); i++)
    if (g_strcmp0 (gabn_model_item_get_name (candidate (self, i)), name) == 0)
      return (int) i;
  return -1;
}

int
gabn_compare_view_find_model_file (GabnCompareView *self, const char *basename)
{
  g_return_val_if_fail (GABN_IS_COMPARE_VIEW (self), -1);
  for (guint i = 0; i < g_list_model_get_n_items (self->candidates); i++)
    {
      GabnSharedModel *model = gabn_model_item_get_model (candidate (self, i));
      g_autofree char *base = model && model->path ? g_path_get_basename (model->path) : NULL;

      if (g_strcmp0 (base, basename) == 0)
        return (int) i;
    }
  return -1;
}

guint
gabn_compare_view_get_n_models (GabnCompareView *self)
{
  g_return_val_if_fail (GABN_IS_COMPARE_VIEW (self), 0);
  return g_list_model_get_n_items (self->candidates);
}

const GabnEvalReport *
gabn_compare_view_get_report (GabnCompareView *self, int which)
{
  g_return_val_if_fail (GABN_IS_COMPARE_VIEW (self) && (which == 0 || which == 1), NULL);
  return self->reports[which];
}

gboolean
gabn_compare_view_get_ready (GabnCompareView *self)
{
  g_return_val_if_fail (GABN_IS_COMPARE_VIEW (self), FALSE);
  return self->ready;
}
