/* gabn-image.h: decoding and the one preprocessing path of every image
 * (DESIGN.md section 4): RGB bytes, bilinear resize, (x − 127.5)/127.5 CHW.
 * Private to the data area. */
#pragma once

#include "gabn-engine.h"
#include "gabn-net.h" /* GabnPreprocess */

G_BEGIN_DECLS

/* Images wider or taller than this are refused from their header, before
 * they are decoded (a 8192×8192 RGBA pixbuf is 256 MiB). */
#define GABN_IMAGE_MAX_SIDE 8192

/* Decodes any format GdkPixbuf reads into packed RGB bytes (width×height×3):
 * grey is replicated, alpha dropped. The error names the file. */
guint8 *gabn_image_decode (const char *path, int *width, int *height,
                           GError **error);
/* The same, with the reason of a failure alone (without the file's name),
 * newly allocated, instead of an error. */
guint8 *gabn_image_decode_reason (const char *path, int *width, int *height,
                                  char **reason);

/* Bilinear resize of packed RGB (rows src_stride bytes apart) to dw×dh packed
 * RGB, with half-pixel centres and edge clamping (PyTorch's
 * interpolate(mode="bilinear", align_corners=False, antialias=False)),
 * rounded to the nearest byte. Equal sizes copy exactly. */
void gabn_image_resize (const guint8 *src, int sw, int sh, int src_stride,
                        guint8 *dst, int dw, int dh);

/* Packed size×size RGB bytes → 3×size×size floats (x − 127.5)/127.5,
 * mirrored left–right when flip is set (the built-ins' preprocessing). */
void gabn_image_to_chw (const guint8 *rgb, int size, gboolean flip,
                        float *chw);
/* The same with a model's preprocessing (gabn-net.h): channel order, then
 * (x − mean[c])·scale[c]; size is pre->width. */
void gabn_image_to_input (const guint8 *rgb, const GabnPreprocess *pre,
                          gboolean flip, float *chw);

G_END_DECLS
