/* gabn-reliance-table.c: the reliance table (see the header). */
#include "config.h"
#include "gabn-reliance-table.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>
#include <math.h>

/* In the order of gabn_synth_region_name: outline, hair, brows, eyes, nose,
 * mouth, texture. */
static const char *const region_titles[GABN_SYNTH_N_REGIONS] = {
  N_("Outline"), N_("Hair"), N_("Brows"), N_("Eyes"), N_("Nose"), N_("Mouth"), N_("Skin texture"),
};

const char *
gabn_region_title (int r)
{
  g_return_val_if_fail (r >= 0 && r < GABN_SYNTH_N_REGIONS, "");
  return _(region_titles[r]);
}

double
gabn_reliance_shortcut_share (const double *row)
{
  double sum = 0;

  for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
    if ((1u << k) & GABN_SYNTH_SHORTCUT_REGIONS)
      sum += row[k];
  return sum;
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static GtkWidget *
heading (const char *text, float xalign)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), xalign);
  gtk_widget_add_css_class (label, "heading");
  return label;
}

static GtkWidget *
share_cell (double share, double largest, gboolean bold)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *bar = gtk_progress_bar_new ();
  g_autofree char *text = isfinite (share) ? g_strdup_printf (_("%.0f%%"), 100 * share)
                                           : g_strdup ("—");
  GtkWidget *label = gtk_label_new (text);

  gtk_widget_set_size_request (bar, 64, -1);
  gtk_widget_set_valign (bar, GTK_ALIGN_CENTER);
  gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (bar),
                                 isfinite (share) && largest > 0 ? CLAMP (share / largest, 0, 1) : 0);
  gtk_label_set_xalign (GTK_LABEL (label), 1);
  gtk_label_set_width_chars (GTK_LABEL (label), 4);
  gtk_widget_add_css_class (label, "numeric");
  if (bold)
    gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), bar);
  gtk_box_append (GTK_BOX (box), label);
  return box;
}

void
gabn_reliance_table_fill (GtkGrid *grid, int n_groups, const char *const *names,
                          const double *shares)
{
  const int R = GABN_SYNTH_N_REGIONS;
  double largest = 0;

  g_return_if_fail (GTK_IS_GRID (grid));
  clear_grid (grid);
  if (shares == NULL || n_groups <= 0)
    return;
  for (int i = 0; i < n_groups * R; i++)
    if (isfinite (shares[i]))
      largest = MAX (largest, shares[i]);
  gtk_grid_attach (grid, heading (_("Region"), 0), 0, 0, 1, 1);
  for (int g = 0; g < n_groups; g++)
    gtk_grid_attach (grid, heading (names[g], 1), g + 1, 0, 1, 1);
  for (int k = 0; k < R; k++)
    {
      GtkWidget *title = gtk_label_new (gabn_region_title (k));

      gtk_label_set_xalign (GTK_LABEL (title), 0);
      gtk_grid_attach (grid, title, 0, k + 1, 1, 1);
      for (int g = 0; g < n_groups; g++)
        {
          const double *row = shares + (gsize) g * R;
          gboolean top = isfinite (row[k]);

          for (int j = 0; top && j < R; j++)
            if (isfinite (row[j]) && row[j] > row[k])
              top = FALSE;
          gtk_grid_attach (grid, share_cell (row[k], largest, top), g + 1, k + 1, 1, 1);
        }
    }
}
