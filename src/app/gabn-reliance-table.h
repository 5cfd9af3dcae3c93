/* gabn-reliance-table.h: the ground-truth reliance per facial region
 * (gabn-reliance.h) as a table of small bars, one column per group — shown
 * beside the mean attention maps so a user sees whether they tell the
 * truth. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* The translated title of facial region r ("Eyes"), indexed like
 * gabn_synth_region_name. */
const char *gabn_region_title (int r);

/* The share of one group's row (GABN_SYNTH_N_REGIONS shares) on the regions
 * the shortcut knob makes unreliable (the outline); NaN if any is. */
double gabn_reliance_shortcut_share (const double *row);

/* Replaces grid's children by the table: a header row of group names, then
 * one row per region with each group's share (shares: n_groups ×
 * GABN_SYNTH_N_REGIONS, summing to 1 per group; NaN shows a dash). Bars are
 * scaled to the largest share; each group's largest share is bold. */
void gabn_reliance_table_fill (GtkGrid *grid, int n_groups, const char *const *names,
                               const double *shares);

G_END_DECLS
