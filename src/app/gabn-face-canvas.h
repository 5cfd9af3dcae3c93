/* gabn-face-canvas.h: a face drawn large with a heat map (GAM) blended over
 * it and an optional Top-N cell mask (outline or fill); hovering reads the
 * cell's value. Also used for group templates with their mean GAM. */
#pragma once

#include <gtk/gtk.h>
#include "gabn-colormap.h"

G_BEGIN_DECLS

#define GABN_TYPE_FACE_CANVAS (gabn_face_canvas_get_type ())
G_DECLARE_FINAL_TYPE (GabnFaceCanvas, gabn_face_canvas, GABN, FACE_CANVAS, GtkWidget)

GtkWidget *gabn_face_canvas_new (void);
/* RGB bytes, size×size×3 (copied); NULL clears. */
void gabn_face_canvas_set_face (GabnFaceCanvas *self, const guint8 *rgb, int size);
/* The heat map, h×w (copied, shown scaled to its maximum); NULL clears. */
void gabn_face_canvas_set_map (GabnFaceCanvas *self, const float *map, int h, int w);
gboolean gabn_face_canvas_has_map (GabnFaceCanvas *self);
/* Cells of the map to mark (h×w booleans as bytes, copied); NULL clears. */
void gabn_face_canvas_set_mask (GabnFaceCanvas *self, const guint8 *cells, int h, int w);
/* Number of cells currently marked. */
int  gabn_face_canvas_get_mask_count (GabnFaceCanvas *self);
void gabn_face_canvas_set_colormap (GabnFaceCanvas *self, GabnColormap map);
void gabn_face_canvas_set_opacity (GabnFaceCanvas *self, double opacity);
/* TRUE: filled cells; FALSE: the region's outline. */
void gabn_face_canvas_set_mask_fill (GabnFaceCanvas *self, gboolean fill);
void gabn_face_canvas_set_caption (GabnFaceCanvas *self, const char *caption);
/* How many times the blended image was rebuilt (for tests). */
guint gabn_face_canvas_get_render_count (GabnFaceCanvas *self);

G_END_DECLS
