/* gabn-cmd-gam.c: `gabn gam` — the gradient attention map of one face, as
 * numbers and as a heat-map overlay PNG (Cairo, no GTK). */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-explorer.h"
#include "gabn-gam.h"
#include "gabn-image.h"
#include "gabn-model-file.h"
#include "gabn-split.h"

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

/* --identity: "GROUP/NAME" or NAME of a training identity (a name shared by
 * several groups needs its group), else a class index K. A name wins over
 * an index. -1 with a message printed when it names nothing. */
static int
resolve_identity (const char *arg, char **names, int n_classes)
{
  int found = -1, matches = 0;
  guint64 k;
  const char *end;

  for (guint i = 0; names && names[i]; i++)
    {
      const char *full = names[i];
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
                  arg, matches, names[found]);
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

/* The target of a model without class centres for an image of the dataset
 * at data: the mean normalised embedding of other photos of its identity
 * (gabn_explorer_identity_centre, as the app's explorer takes it), into
 * ref (d). *n_other receives how many photos it averages. */
static gboolean
identity_mean (GabnNet *net, const char *data, const char *image, float *ref,
               int *n_other, char **identity, GError **error)
{
  g_autoptr(GabnDataset) ds = gabn_cli_open_dataset (data, NULL, error);
  g_autofree char *want = NULL;
  int found = -1;
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
  if (id->n_images < 2)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   _("%s: its identity “%s” has no other photo: give --reference"),
                   image, id->name);
      return FALSE;
    }
  if (!gabn_explorer_identity_centre (net, ds, ds->images[found].identity, found, ref, error))
    return FALSE;
  *n_other = MIN (id->n_images - 1, GABN_EXPLORER_CENTRE_PHOTOS);
  *identity = g_strdup_printf ("%s/%s", ds->groups[id->group].name, id->name);
  return TRUE;
}

/* What gabn gam computed, for printing. */
typedef struct {
  GabnCamMethod method;
  const float  *cam;
  int           h, w;
  float         score;
  const char   *layer;          /* the feature layer's name, NULL: unnamed */
  const char   *reference;      /* target: cosine to this face */
  const char   *mean_identity;  /* target: this identity's other photos */
  int           n_other;
  int           identity;       /* target: this class centre (otherwise) */
  char *const  *names;          /* training identities in class order, or NULL */
} GamOutput;

/* The class whose centre is nearest the embedding of input: the identity
 * the model sees. */
static int
nearest_class (GabnNet *net, const float *input)
{
  int n = gabn_net_n_classes (net), best_k = -1;
  float best = -2, c;
  g_autofree float *de = g_new (float, gabn_net_embedding_dim (net));

  gabn_net_forward (net, input, 1);
  for (int k = 0; k < n; k++)
    {
      gabn_net_cosine_to_class (net, &k, &c, de);
      if (c > best)
        {
          best = c;
          best_k = k;
        }
    }
  return best_k;
}

static void
append_json_string (GString *s, const char *value)
{
  g_autoptr(JsonNode) node = json_node_alloc ();
  g_autofree char *quoted = NULL;

  if (value)
    json_node_init_string (node, value);
  else
    json_node_init_null (node);
  quoted = json_to_string (node, FALSE);
  g_string_append (s, quoted);
}

static void
print_json (const GamOutput *o)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *sc = gabn_cli_json_number (o->score);

  g_string_append_printf (s, "{\"h\":%d,\"w\":%d,\"gam\":[", o->h, o->w);
  for (int y = 0; y < o->h; y++)
    {
      g_string_append (s, y ? ",[" : "[");
      for (int x = 0; x < o->w; x++)
        {
          g_autofree char *v = gabn_cli_json_number (o->cam[y * o->w + x]);
          g_string_append_printf (s, "%s%s", x ? "," : "", v);
        }
      g_string_append_c (s, ']');
    }
  g_string_append_printf (s, "],\"score\":%s,\"layer\":", sc);
  append_json_string (s, o->layer);
  if (o->reference)
    {
      g_string_append (s, ",\"target\":\"reference\",\"reference\":");
      append_json_string (s, o->reference);
    }
  else if (o->mean_identity)
    {
      g_string_append (s, ",\"target\":\"identity_mean\",\"identity\":");
      append_json_string (s, o->mean_identity);
      g_string_append_printf (s, ",\"photos\":%d", o->n_other);
    }
  else
    {
      g_string_append_printf (s, ",\"class\":%d,\"identity\":", o->identity);
      append_json_string (s, o->names ? o->names[o->identity] : NULL);
    }
  g_string_append_c (s, '}');
  printf ("%s\n", s->str);
}

static void
print_text (const GamOutput *o)
{
  if (o->mean_identity)
    /* Translators: the method, the identity, the number of photos, the score */
    printf (_("%s, target the mean of %s’s %d other photos, score %.6f\n"),
            gabn_cam_method_name (o->method), o->mean_identity, o->n_other, o->score);
  else
    printf (_("%s, target %s, score %.6f\n"), gabn_cam_method_name (o->method),
            o->reference ? o->reference : "class", o->score);
  if (!o->reference && !o->mean_identity && o->names)
    printf (_("class %d (%s)\n"), o->identity, o->names[o->identity]);
  else if (!o->reference && !o->mean_identity)
    printf (_("class %d\n"), o->identity);
  for (int y = 0; y < o->h; y++)
    {
      for (int x = 0; x < o->w; x++)
        printf ("%s%.4g", x ? " " : "", o->cam[y * o->w + x]);
      printf ("\n");
    }
}

int
gabn_cmd_gam (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *image = NULL, *pair = NULL, *method_name = NULL;
  g_autofree char *out = NULL, *arch = NULL, *identity_arg = NULL, *reference = NULL;
  g_autofree char *data = NULL, *mean_identity = NULL, *layer = NULL;
  int n_other = 0;
  g_autoptr(GHashTable) meta = NULL;
  g_auto(GStrv) names = NULL;
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
      /* The training identities in class order, from the model's split
       * (none in e.g. a PyTorch export). */
      names = gabn_split_json_train_names (meta ? g_hash_table_lookup (meta, "split") : NULL);
      if (names && (int) g_strv_length (names) != n)
        g_clear_pointer (&names, g_strfreev);
      if (identity_arg && (identity = resolve_identity (identity_arg, names, n)) < 0)
        return 1;
      if (identity < 0)
        identity = nearest_class (net, input);
    }
  gabn_gam_compute (net, input, 1, method, ref ? NULL : &identity, ref, cam,
                    &score, NULL);
  if (out && !write_overlay (image, cam, h, w, out, &error))
    return gabn_cli_fail ("gam", error);
  {
    GamOutput o = {
      .method = method, .cam = cam, .h = h, .w = w, .score = score,
      .layer = gabn_net_feature_layer (net), .reference = pair,
      .mean_identity = mean_identity, .n_other = n_other, .identity = identity,
      .names = names,
    };

    if (json)
      print_json (&o);
    else
      print_text (&o);
  }
  return 0;
}
