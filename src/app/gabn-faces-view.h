/* gabn-faces-view.h: the explorer: a filtered grid of faces and the
 * selected face large with its attention map and Top-N mask. */
#pragma once

#include <adwaita.h>
#include "gabn-face-canvas.h"
#include "gabn-session.h"

G_BEGIN_DECLS

#define GABN_TYPE_FACES_VIEW (gabn_faces_view_get_type ())
G_DECLARE_FINAL_TYPE (GabnFacesView, gabn_faces_view, GABN, FACES_VIEW, AdwBin)

void gabn_faces_view_set_session (GabnFacesView *self, GabnSession *session);
/* Selects dataset image `index` (showing all groups if it is filtered out). */
void gabn_faces_view_select_image (GabnFacesView *self, int index);
/* The image shown, or −1. */
int  gabn_faces_view_get_shown_image (GabnFacesView *self);
GabnFaceCanvas *gabn_faces_view_get_canvas (GabnFacesView *self);
/* Top-N: N in cells. */
void gabn_faces_view_set_top_n (GabnFacesView *self, int n);
/* Share of attention inside the mask (NaN when no map is shown). */
double gabn_faces_view_get_mask_share (GabnFacesView *self);
/* Faces shown by the filter. */
guint gabn_faces_view_get_n_shown (GabnFacesView *self);
void  gabn_faces_view_set_group_filter (GabnFacesView *self, int group);
/* TRUE once a map is drawn for the selected face ("ready" property). */
gboolean gabn_faces_view_get_ready (GabnFacesView *self);

G_END_DECLS
