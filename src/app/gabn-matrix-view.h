/* gabn-matrix-view.h: a labelled square matrix drawn as a heatmap with its
 * values (the JS divergence between groups). */
#pragma once

#include <gtk/gtk.h>
#include "gabn-colormap.h"

G_BEGIN_DECLS

#define GABN_TYPE_MATRIX_VIEW (gabn_matrix_view_get_type ())
G_DECLARE_FINAL_TYPE (GabnMatrixView, gabn_matrix_view, GABN, MATRIX_VIEW, GtkWidget)

GtkWidget *gabn_matrix_view_new (void);
/* n×n values (copied) and n labels; NULL clears. */
void gabn_matrix_view_set_matrix (GabnMatrixView *self, const double *values, int n,
                                  const char *const *labels);
void gabn_matrix_view_set_colormap (GabnMatrixView *self, GabnColormap map);

G_END_DECLS
