/* gabn-colormap.h: colormaps for heatmaps (no GTK, tested displayless). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  GABN_COLORMAP_VIRIDIS,
  GABN_COLORMAP_INFERNO,
  GABN_COLORMAP_JET,
  GABN_COLORMAP_GREY,
} GabnColormap;

/* "viridis", "inferno", "jet", "grey"; unknown names give viridis. */
GabnColormap gabn_colormap_from_name (const char *name);
const char  *gabn_colormap_to_name (GabnColormap map);

/* Colour at t (clamped to 0..1) as 0..255 RGB. */
void gabn_colormap_lookup (GabnColormap map, double t, guint8 rgb[3]);

/* Bilinear upsampling of an h×w map to out_w×out_h (cell centres aligned
 * as in cv2.resize / PyTorch align_corners=False). */
void gabn_map_upsample (const float *map, int h, int w,
                        float *out, int out_h, int out_w);

/* Blends a heat map (values in 0..vmax, upsampled to the image size) over
 * an RGB image of size×size into opaque RGBA:
 * out = (1 − opacity)·face + opacity·colour(value / vmax).
 * heat may be NULL: the face alone. */
void gabn_heat_blend (const guint8 *rgb, int size, const float *heat,
                      float vmax, GabnColormap map, double opacity,
                      guint8 *rgba_out);

G_END_DECLS
