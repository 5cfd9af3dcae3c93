/* gabn-cmd-gam.c: `gabn gam` — the gradient attention map of one face, as
 * numbers and as a heat-map overlay PNG (Cairo, no GTK). */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-batcher.h"
#include "gabn-cli-open.h"
#include "gabn-gam.h"
#include "gabn-image.h"
#include "gabn-model-file.h"

#include <cairo.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
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

/* The training identities in class order, "GROUP/NAME", from the model's
 * "split" metadata (gabn-split.h: "train": [[group, name], …]); NULL when
 * the model has none (e.g. a PyTorch export). */
static GPtrArray *
train_identity_names (GHashTable *meta)
{
  const char *text = meta ? g_hash_table_lookup (meta, "split") : NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *train;
  GPtrArray *names;

  if (!text || !json_parser_load_from_data (parser, text, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (root, "train")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "train")))
    return NULL;
  train = json_object_get_array_member (root, "train");
  names = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < json_array_get_length (train); k++)
    {
      JsonNode *n = json_array_get_element (train, k);
      JsonArray *entry = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;

      if (!entry || json_array_get_length (entry) != 2)
        {
          g_ptr_array_unref (names);
          return NULL;
        }
      g_ptr_array_add (names, g_strdup_printf ("%s/%s",
                                               json_array_get_string_element (entry, 0),
                                               json_array_get_string_element (entry, 1)));
    }
  return names;
}

/* --identity: "GROUP/NAME" or NAME of a training identity (a name shared by
 * several groups needs its group), else a class index K. A name wins over
 * an index. -1 with a message printed when it names nothing. */
static int
resolve_identity (const char *arg, GPtrArray *names, int n_classes)
{
  int found = -1, matches = 0;
  guint64 k;
  const char *end;

  for (guint i = 0; names && i < names->len; i++)
    {
      const char *full = g_ptr_array_index (names, i);
      const char *slash = strrchr (full, '/');

      if (strcmp (full, arg) == 0)
        return (int) i;
      if (slash && strcmp (slash + 1, arg) == 0)
        {
          found = (int) i;
          matches++;
        }
    }
  if (matches == 1)
    return found;
  if (matches > 1)
    {
      g_printerr (_("gabn gam: --identity %s: %d groups have an identity of that "
                    "name; give GROUP/NAME, e.g. “%s”\n"),
                  arg, matches, (const char *) g_ptr_array_index (names, found));
      return -1;
    }
  if (g_ascii_string_to_unsigned (arg, 10, 0, G_MAXINT, &k, NULL))
    {
      if ((int) k < n_classes)
        return (int) k;
      g_printerr (_("gabn gam: --identity %s: the model has %d classes\n"), arg, n_classes);
      return -1;
    }
  end = names ? _("not a training identity of the model (see “gabn inspect”) "
                  "nor a class index")
              : _("the model has no training split in its metadata: give a class index");
  g_printerr (_("gabn gam: --identity %s: %s\n"), arg, end);
  return -1;
}

/* The mean embedding of the other photos of image's identity in the dataset
 * at data (the GAM target of a model without class centres), into ref (d).
 * *n_other receives how many photos it averages. */
static gboolean
identity_mean (GabnNet *net, const char *data, const char *image, float *ref,
               int *n_other, char **identity, GError **error)
{
  g_autoptr(GabnDataset) ds = gabn_cli_open_dataset (data, NULL, error);
  g_autofree char *want = NULL;
  g_autofree int *others = NULL;
  g_autofree float *input = NULL;
  int S = gabn_net_input_size (net), d = gabn_net_embedding_dim (net);
  int found = -1, n = 0;
  const GabnIdentity *id;

  if (!ds)
    return FALSE;
  want = g_canonicalize_filename (image, NULL);
  for (int i = 0; i < ds->n_images && found < 0; i++)
    if (ds->images[i].path && ds->images[i].identity >= 0)
      {
        g_autofree char *path = g_canonicalize_filename (ds->images[i].path, NULL);
        if (g_str_equal (path, want))
          found = i;
      }
  if (found < 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   _("%s is not an image of an identity of the dataset %s: give --reference"),
                   image, data);
      return FALSE;
    }
  id = &ds->identities[ds->images[found].identity];
  others = g_new (int, id->n_images);
  for (int k = 0; k < id->n_images; k++)
    if (id->first_image + k != found)
      others[n++] = id->first_image + k;
  if (n == 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   _("%s: its identity “%s” has no other photo: give --reference"),
                   image, id->name);
      return FALSE;
    }
  input = g_new (float, (gsize) n * 3 * S * S);
  if (!gabn_dataset_load_images (ds, others, n, gabn_net_get_preprocess (net), FALSE,
                                 input, 0, NULL, error))
    return FALSE;
  memset (ref, 0, sizeof (float) * d);
  for (int start = 0; start < n; start += 16)
    {
      int b = MIN (16, n - start);
      const float *e;

      gabn_net_forward (net, input + (gsize) start * 3 * S * S, b);
      e = gabn_net_embeddings (net);
      for (int i = 0; i < b * d; i++)
        ref[i % d] += e[i] / n;
    }
  *n_other = n;
  *identity = g_strdup_printf ("%s/%s", ds->groups[id->group].name, id->name);
  return TRUE;
}

int
gabn_cmd_gam (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *image = NULL, *pair = NULL, *method_name = NULL;
  g_autofree char *out = NULL, *arch = NULL, *identity_arg = NULL, *reference = NULL;
  g_autofree char *data = NULL, *mean_identity = NULL, *layer = NULL;
  int n_other = 0;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GPtrArray) names = NULL;
  int identity = -1;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, N_("Model file (safetensors, ONNX, a PyTorch .pth checkpoint, a TF.js manifest) or a name from “gabn models”"), "M" },
    { "image", 'i', 0, G_OPTION_ARG_FILENAME, &image, N_("Face image"), "I" },
    { "identity", 0, 0, G_OPTION_ARG_STRING, &identity_arg,
      N_("Target: the class centre of a training identity, by name (NAME, or GROUP/NAME when several groups share it) or class index K (default: the nearest centre)"),
      N_("NAME|K") },
    { "reference", 'r', 0, G_OPTION_ARG_FILENAME, &reference, N_("Target: cosine to this reference face"), "I2" },
    { "pair", 0, 0, G_OPTION_ARG_FILENAME, &pair, N_("The same as --reference"), "I2" },
    { "data", 'd', 0, G_OPTION_ARG_FILENAME, &data,
      N_("For a model without class centres: the dataset the image belongs to; target = cosine to the mean embedding of its identity’s other photos"), "D" },
    { "method", 0, 0, G_OPTION_ARG_STRING, &method_name, N_("gradcam (default), gradcam++, hirescam, xgradcam, layercam"), "NAME" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("Architecture of a model without metadata"), "A" },
    { "layer", 0, 0, G_OPTION_ARG_STRING, &layer,
      N_("Take the map at this layer (“gabn inspect” lists them; default: the last feature map before the head)"),
      N_("NAME") },
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
  if (reference && pair)
    {
      g_printerr ("%s\n", _("gabn gam: --pair is another name of --reference: give one"));
      return 2;
    }
  if (reference)
    pair = g_steal_pointer (&reference);
  if (identity_arg && pair)
    {
      g_printerr ("%s\n", _("gabn gam: give --identity or --reference, not both"));
      return 2;
    }
  if (method_name && !gabn_cam_method_from_name (method_name, &method))
    {
      g_printerr (_("gabn gam: unknown method “%s”\n"), method_name);
      return 2;
    }
  net = gabn_model_load (model_path, arch, &meta, &error);
  if (!net)
    return gabn_cli_fail ("gam", error);
  gabn_net_set_training (net, FALSE);
  if (layer && !gabn_net_set_feature_layer (net, layer, &error))
    return gabn_cli_fail ("gam", error);
  S = gabn_net_input_size (net);
  d = gabn_net_embedding_dim (net);
  gabn_net_feature_shape (net, &C, &h, &w);
  input = g_new (float, 3 * S * S);
  cam = g_new (float, h * w);
  if (pair)
    {
      if (!gabn_cli_load_image_file (pair, gabn_net_get_preprocess (net), FALSE, input,
                                     &error))
        return gabn_cli_fail ("gam", error);
      gabn_net_forward (net, input, 1);
      ref = g_memdup2 (gabn_net_embeddings (net), sizeof (float) * d);
    }
  else if (gabn_net_n_classes (net) == 0 && data && !identity_arg)
    {
      ref = g_new (float, d);
      if (!identity_mean (net, data, image, ref, &n_other, &mean_identity, &error))
        return gabn_cli_fail ("gam", error);
    }
  if (!gabn_cli_load_image_file (image, gabn_net_get_preprocess (net), FALSE, input,
                                 &error))
    return gabn_cli_fail ("gam", error);
  if (!ref)
    {
      int n = gabn_net_n_classes (net);

      if (n == 0)
        {
          g_printerr ("%s\n", _("gabn gam: the model has no class centres: give --reference B "
                                 "(target: the cosine to face B), or --data D, the dataset "
                                 "the image belongs to (target: the mean embedding of its "
                                 "identity’s other photos)"));
          return 1;
        }
      names = train_identity_names (meta);
      if (names && (int) names->len != n)
        g_clear_pointer (&names, g_ptr_array_unref);
      if (identity_arg && (identity = resolve_identity (identity_arg, names, n)) < 0)
        return 1;
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
  gabn_gam_compute (net, input, 1, method, ref ? NULL : &identity, ref, cam,
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
      g_string_append_printf (s, "],\"score\":%s", sc);
      {
        const char *name = gabn_net_feature_layer (net);
        g_autoptr(JsonNode) layer_node = json_node_alloc ();
        g_autofree char *quoted = NULL;

        if (name)
          json_node_init_string (layer_node, name);
        else
          json_node_init_null (layer_node);
        quoted = json_to_string (layer_node, FALSE);
        g_string_append_printf (s, ",\"layer\":%s", quoted);
      }
      if (pair || mean_identity)
        {
          g_autoptr(JsonNode) target = json_node_init_string (json_node_alloc (),
                                                              pair ? pair : mean_identity);
          g_autofree char *quoted = json_to_string (target, FALSE);
          g_string_append_printf (s, ",\"target\":\"%s\",\"%s\":%s",
                                  pair ? "reference" : "identity_mean",
                                  pair ? "reference" : "identity", quoted);
          if (mean_identity)
            g_string_append_printf (s, ",\"photos\":%d", n_other);
        }
      else
        {
          g_string_append_printf (s, ",\"class\":%d,\"identity\":", identity);
          if (names)
            {
              g_autoptr(JsonNode) name = json_node_init_string (json_node_alloc (),
                                                                g_ptr_array_index (names, identity));
              g_autofree char *quoted = json_to_string (name, FALSE);
              g_string_append (s, quoted);
            }
          else
            g_string_append (s, "null");
        }
      g_string_append_c (s, '}');
      printf ("%s\n", s->str);
    }
  else
    {
      if (mean_identity)
        /* Translators: the method, the identity, the number of photos, the score */
        printf (_("%s, target the mean of %s’s %d other photos, score %.6f\n"),
                gabn_cam_method_name (method), mean_identity, n_other, score);
      else
        printf (_("%s, target %s, score %.6f\n"), gabn_cam_method_name (method),
                pair ? pair : "class", score);
      if (!ref && names)
        printf (_("class %d (%s)\n"), identity,
                (const char *) g_ptr_array_index (names, identity));
      else if (!ref)
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
