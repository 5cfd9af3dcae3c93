/* gabn-image.c: decode with GdkPixbuf, bilinear resize, normalise. */
#include "gabn-image.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* GdkPixbuf's messages read "Failed to load image “PATH”: why": keep the
 * why, the caller names the file. */
static const char *
without_file_name (const char *message, const char *path)
{
  g_autofree char *display = g_filename_display_name (path);
  const char *at = strstr (message, display);
  const char *after = at ? at + strlen (display) : NULL;

  if (after && g_str_has_prefix (after, "”: ") && after[strlen ("”: ")] != '\0')
    return after + strlen ("”: ");
  return message;
}

guint8 *
gabn_image_decode_reason (const char *path, int *width, int *height,
                          char **reason)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  const guint8 *src;
  guint8 *rgb;
  int w, h, stride, channels;

  /* The header first: a file claiming a huge size is refused before a
   * decoder allocates for it. */
  if (gdk_pixbuf_get_file_info (path, &w, &h) == NULL)
    {
      if (!g_file_test (path, G_FILE_TEST_EXISTS))
        *reason = g_strdup (_("no such file"));
      else
        *reason = g_strdup (_("not an image format GdkPixbuf recognises"));
      return NULL;
    }
  if (w > GABN_IMAGE_MAX_SIDE || h > GABN_IMAGE_MAX_SIDE)
    {
      *reason = g_strdup_printf (_("%d×%d pixels, larger than the %d×%d limit"),
                                 w, h, GABN_IMAGE_MAX_SIDE, GABN_IMAGE_MAX_SIDE);
      return NULL;
    }
  pixbuf = gdk_pixbuf_new_from_file (path, &local);
  if (pixbuf == NULL)
    {
      *reason = g_strdup (without_file_name (local->message, path));
      return NULL;
    }
  w = gdk_pixbuf_get_width (pixbuf);
  h = gdk_pixbuf_get_height (pixbuf);
  channels = gdk_pixbuf_get_n_channels (pixbuf);
  if (w <= 0 || h <= 0 || w > GABN_IMAGE_MAX_SIDE || h > GABN_IMAGE_MAX_SIDE
      || gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || gdk_pixbuf_get_colorspace (pixbuf) != GDK_COLORSPACE_RGB
      || channels < 3)
    {
      *reason = g_strdup (_("unsupported pixel format"));
      return NULL;
    }
  stride = gdk_pixbuf_get_rowstride (pixbuf);
  src = gdk_pixbuf_read_pixels (pixbuf);
  rgb = g_malloc ((gsize) w * h * 3);
  for (int y = 0; y < h; y++)
    {
      const guint8 *row = src + (gsize) y * stride;
      guint8 *out = rgb + (gsize) y * w * 3;
      if (channels == 3)
        memcpy (out, row, (gsize) w * 3);
      else
        for (int x = 0; x < w; x++)
          memcpy (out + x * 3, row + x * channels, 3);
    }
  *width = w;
  *height = h;
  return rgb;
}

guint8 *
gabn_image_decode (const char *path, int *width, int *height, GError **error)
{
  g_autofree char *reason = NULL;
  guint8 *rgb = gabn_image_decode_reason (path, width, height, &reason);

  if (rgb == NULL)
    g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                 _("Cannot read the image “%s”: %s"), path, reason);
  return rgb;
}

/* Source coordinate of destination pixel d (half-pixel centres), split into
 * the lower index and the weight of the upper one. */
static void
source_coord (int d, int dn, int sn, int *i0, int *i1, float *frac)
{
  double s = ((double) d + 0.5) * sn / dn - 0.5;
  int i;

  if (s < 0)
    s = 0;
  i = (int) floor (s);
  if (i > sn - 1)
    i = sn - 1;
  *i0 = i;
  *i1 = MIN (i + 1, sn - 1);
  *frac = (float) (s - i);
}

void
gabn_image_resize (const guint8 *src, int sw, int sh, int src_stride,
                   guint8 *dst, int dw, int dh)
{
  int *x0, *x1;
  float *xf;

  if (sw == dw && sh == dh)
    {
      for (int y = 0; y < dh; y++)
        memcpy (dst + (gsize) y * dw * 3, src + (gsize) y * src_stride, (gsize) dw * 3);
      return;
    }

  x0 = g_newa (int, dw);
  x1 = g_newa (int, dw);
  xf = g_newa (float, dw);
  for (int x = 0; x < dw; x++)
    source_coord (x, dw, sw, &x0[x], &x1[x], &xf[x]);

  for (int y = 0; y < dh; y++)
    {
      int y0, y1;
      float yf;
      const guint8 *r0, *r1;
      guint8 *out = dst + (gsize) y * dw * 3;

      source_coord (y, dh, sh, &y0, &y1, &yf);
      r0 = src + (gsize) y0 * src_stride;
      r1 = src + (gsize) y1 * src_stride;
      for (int x = 0; x < dw; x++)
        for (int c = 0; c < 3; c++)
          {
            float top = r0[x0[x] * 3 + c] + xf[x] * (r0[x1[x] * 3 + c] - r0[x0[x] * 3 + c]);
            float bot = r1[x0[x] * 3 + c] + xf[x] * (r1[x1[x] * 3 + c] - r1[x0[x] * 3 + c]);
            float v = top + yf * (bot - top);
            out[x * 3 + c] = (guint8) CLAMP ((int) (v + 0.5f), 0, 255);
          }
    }
}

void
gabn_image_to_input (const guint8 *rgb, const GabnPreprocess *pre, gboolean flip,
                     float *chw)
{
  int size = pre->width;
  gsize plane = (gsize) size * size;
  float lut[3][256];

  /* One table per channel. (The built-ins' values differ by at most one
   * float ulp from the (x − 127.5)/127.5 of a division: 0 and 255 still
   * map to −1 and 1 exactly.) */
  for (int c = 0; c < 3; c++)
    for (int v = 0; v < 256; v++)
      lut[c][v] = (v - pre->mean[c]) * pre->scale[c];
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        const guint8 *p = rgb + ((gsize) y * size + (flip ? size - 1 - x : x)) * 3;
        gsize o = (gsize) y * size + x;

        for (int c = 0; c < 3; c++)
          chw[c * plane + o] = lut[c][p[pre->bgr ? 2 - c : c]];
      }
}

void
gabn_image_to_chw (const guint8 *rgb, int size, gboolean flip, float *chw)
{
  GabnPreprocess pre;

  gabn_preprocess_init_builtin (&pre, size);
  gabn_image_to_input (rgb, &pre, flip, chw);
}
