/* gabn-cmd-gam.c: `gabn gam` — the gradient attention map of one face, as
 * numbers and as a heat-map overlay PNG (Cairo, no GTK). */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-gam.h"
#include "gabn-image.h"
#include "gabn-model-file.h"

#include <cairo.h>
#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { OVERLAY_SIZE = 256 };

/* A perceptually ordered blue→red map (the "jet" colours people know). */
static void
heat_colour (double v, double *r, double *g, double *b)
{
  v = CLAMP (v, 0.0, 1.0);
  *r = CLAMP (1.5 - fabs (4.0 * v - 3.0), 0.0, 1.0);
  *g = CLAMP (1.5 - fabs (4.0 * v - 2.0), 0.0, 1.0);
  *b = CLAMP (1.5 - fabs (4.0 * v - 1.0), 0.0, 1.0);
}

static cairo_status_t
append_png (void *closure, const unsigned char *data, unsigned int length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

static gboolean
write_overlay (const char *image_path, const float *gam, int h, int w,
               const char *out, GError **error)
{
  int iw, ih, size = OVERLAY_SIZE;
  g_autofree guint8 *rgb = gabn_image_decode (image_path, &iw, &ih, error);
  g_autofree guint8 *resized = NULL;
  g_autofree float *up = g_new (float, size * size);
  g_autoptr(GByteArray) png = g_byte_array_new ();
  cairo_surface_t *surface;
  guint8 *pixels;
  int stride;
  float max = 0;
  cairo_status_t status;

  if (!rgb)
    return FALSE;
  resized = g_new (guint8, size * size * 3);
  gabn_image_resize (rgb, iw, ih, iw * 3, resized, size, size);
  gabn_gam_upsample (gam, h, w, size, up);
  for (int i = 0; i < size * size; i++)
    max = MAX (max, up[i]);
  surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, size, size);
  cairo_surface_flush (surface);
  pixels = cairo_image_surface_get_data (surface);
  stride = cairo_image_surface_get_stride (surface);
  for (int y = 0; y < size; y++)
    for (int x = 0; x < size; x++)
      {
        const guint8 *p = resized + (y * size + x) * 3;
        double v = max > 0 ? up[y * size + x] / max : 0, r, g, b, a = 0.5;
        guint32 *dst = (guint32 *) (gpointer) (pixels + y * stride + x * 4);

        heat_colour (v, &r, &g, &b);
        *dst = ((guint32) ((1 - a) * p[0] + a * 255 * r) << 16)
             | ((guint32) ((1 - a) * p[1] + a * 255 * g) << 8)
             | (guint32) ((1 - a) * p[2] + a * 255 * b);
      }
  cairo_surface_mark_dirty (surface);
  status = cairo_surface_write_to_png_stream (surface, append_png, png);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_FAILED, "%s: %s", out,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return g_file_set_contents_full (out, (const char *) png->data, png->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

int
gabn_cmd_gam (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *image = NULL, *pair = NULL, *method_name = NULL;
  g_autofree char *out = NULL, *arch = NULL;
  int identity = -1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, N_("Model file (safetensors)"), "M" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, N_("Face image"), "I" },
    { "identity", 0, 0, G_OPTION_ARG_INT, &identity, N_("Target: class centre K (default: the nearest centre)"), "K" },
    { "pair", 0, 0, G_OPTION_ARG_FILENAME, &pair, N_("Target: cosine to this other face"), "I2" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method_name, N_("gradcam (default), gradcam++, hirescam, xgradcam, layercam"), "NAME" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("Architecture of a model without metadata"), "A" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write a heat-map overlay PNG"), "HEAT.png" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autofree float *input = NULL, *ref = NULL, *cam = NULL;
  GabnCamMethod method = GABN_CAM_GRADCAM;
  int S, d, C, h, w;
  float score;

  if (!gabn_cli_parse ("gam", "", _("Compute the gradient attention map of a face."),
                       entries, &argc, &argv))
    return 2;
  if (!model_path || !image)
    {
      g_printerr ("%s\n", _("gabn gam: --model and --image are required"));
      return 2;
    }
  if (identity >= 0 && pair)
    {
      g_printerr ("%s\n", _("gabn gam: give --identity or --pair, not both"));
      return 2;
    }
  if (method_name && !gabn_cam_method_from_name (method_name, &method))
    {
      g_printerr (_("gabn gam: unknown method “%s”\n"), method_name);
      return 2;
    }
  net = gabn_model_load (model_path, arch, NULL, &error);
  if (!net)
    return gabn_cli_fail ("gam", error);
  gabn_net_set_training (net, FALSE);
  S = gabn_net_input_size (net);
  d = gabn_net_embedding_dim (net);
  gabn_net_feature_shape (net, &C, &h, &w);
  input = g_new (float, 3 * S * S);
  cam = g_new (float, h * w);
  if (pair)
    {
      if (!gabn_cli_load_image_file (pair, S, FALSE, input, &error))
        return gabn_cli_fail ("gam", error);
      gabn_net_forward (net, input, 1);
      ref = g_memdup2 (gabn_net_embeddings (net), sizeof (float) * d);
    }
  if (!gabn_cli_load_image_file (image, S, FALSE, input, &error))
    return gabn_cli_fail ("gam", error);
  if (!pair)
    {
      int n = gabn_net_n_classes (net);

      if (n == 0)
        {
          g_printerr ("%s\n", _("gabn gam: the model has no class centres: use --pair"));
          return 1;
        }
      if (identity >= n)
        {
          g_printerr (_("gabn gam: --identity %d: the model has %d classes\n"), identity, n);
          return 1;
        }
      if (identity < 0)
        {
          /* The nearest class centre: the identity the model sees. */
          float best = -2, c;
          gabn_net_forward (net, input, 1);
          for (int k = 0; k < n; k++)
            {
              g_autofree float *de = g_new (float, d);
              gabn_net_cosine_to_class (net, &k, &c, de);
              if (c > best)
                {
                  best = c;
                  identity = k;
                }
            }
        }
    }
  gabn_gam_compute (net, input, 1, method, pair ? NULL : &identity, ref, cam,
                    &score, NULL);
  if (out && !write_overlay (image, cam, h, w, out, &error))
    return gabn_cli_fail ("gam", error);
  if (json)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      g_autofree char *sc = gabn_cli_json_number (score);

      g_string_append_printf (s, "{\"h\":%d,\"w\":%d,\"gam\":[", h, w);
      for (int y = 0; y < h; y++)
        {
          g_string_append (s, y ? ",[" : "[");
          for (int x = 0; x < w; x++)
            {
              g_autofree char *v = gabn_cli_json_number (cam[y * w + x]);
              g_string_append_printf (s, "%s%s", x ? "," : "", v);
            }
          g_string_append_c (s, ']');
        }
      g_string_append_printf (s, "],\"score\":%s}", sc);
      printf ("%s\n", s->str);
    }
  else
    {
      printf (_("%s, target %s, score %.6f\n"), gabn_cam_method_name (method),
              pair ? pair : "class", score);
      if (!pair)
        printf (_("class %d\n"), identity);
      for (int y = 0; y < h; y++)
        {
          for (int x = 0; x < w; x++)
            printf ("%s%.4g", x ? " " : "", cam[y * w + x]);
          printf ("\n");
        }
    }
  return 0;
}
