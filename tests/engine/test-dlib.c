/* test-dlib.c: dlib's ResNet face recognizer from a TF.js manifest.
 *
 * - Its layers (per-channel affine, zero padding) and the whole net's input
 *   gradient against finite differences, on random weights.
 * - The TF.js reader on manifests written here from a net (float32, uint8
 *   and uint16 quantized), and every bad file a clear error naming what is
 *   wrong: a shard too short or too long, a shard outside the folder, an
 *   unknown dtype or quantization, a wrong shape, a missing or unknown
 *   weight, not JSON.
 * - The real model as @vladmandic/face-api ships it, against face-api
 *   itself (tests/reference/dlib_faceapi_fixture.js ran it on TensorFlow.js's
 *   CPU backend): descriptors to 1e-3, and the input gradient of
 *   descriptor·v (see test_faceapi for its tolerance). Skipped when the
 *   set-up could not install the model. */
#include "gabn-image.h"
#include "gabn-layers.h"
#include "gabn-model-file.h"
#include "gabn-models.h"
#include "gabn-net.h"
#include "gabn-tfjs.h"
#include "gradcheck.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define S 150

/* ---- Layers ----------------------------------------------------------- */

typedef struct {
  int B, C, H, W, Co, Ho, Wo;
  float *x, *scale, *shift, *y, *r;
  gsize nx, ny;
} Case;

static double
affine_loss (gpointer data)
{
  Case *c = data;

  gabn_affine_forward (c->y, c->x, c->scale, c->shift, c->B, c->C, c->H * c->W);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static double
zero_pad_loss (gpointer data)
{
  Case *c = data;

  gabn_zero_pad_forward (c->y, c->x, c->B, c->C, c->H, c->W, c->Co, c->Ho, c->Wo);
  return gradcheck_dot (c->r, c->y, c->ny);
}

static void
test_layers (void)
{
  GRand *rand = g_rand_new_with_seed (13);
  Case c = { .B = 2, .C = 3, .H = 4, .W = 5, .Co = 5, .Ho = 5, .Wo = 6 };
  g_autofree float *dx = NULL;

  c.nx = 2 * 3 * 4 * 5;
  c.x = g_new (float, c.nx);
  c.scale = g_new (float, 3);
  c.shift = g_new (float, 3);
  gradcheck_fill (c.x, c.nx, rand, -1, 1);
  gradcheck_fill (c.scale, 3, rand, -2, 2);
  gradcheck_fill (c.shift, 3, rand, -1, 1);
  c.ny = c.nx;
  c.y = g_new (float, c.nx);
  c.r = g_new (float, c.nx);
  gradcheck_fill (c.r, c.ny, rand, -1, 1);
  affine_loss (&c);
  g_assert_cmpfloat_with_epsilon (c.y[2 * 20 + 7], c.x[2 * 20 + 7] * c.scale[2] + c.shift[2], 1e-6);
  /* The scale and shift are constants of an imported model: only the
   * input has a gradient. */
  dx = g_new0 (float, c.nx);
  gabn_affine_backward (dx, c.r, c.scale, 2, 3, 20);
  gradcheck ("affine x", c.x, dx, c.nx, affine_loss, &c, 1e-3f, 1000, 1e-6);

  g_free (c.y);
  g_free (c.r);
  c.ny = (gsize) 2 * 5 * 5 * 6;
  c.y = g_new (float, c.ny);
  c.r = g_new (float, c.ny);
  gradcheck_fill (c.r, c.ny, rand, -1, 1);
  zero_pad_loss (&c);
  /* Channel 1, row 2, column 3 lands at the same place; the rest is 0. */
  g_assert_cmpfloat (c.y[((1 * 5 + 1) * 5 + 2) * 6 + 3], ==, c.x[((1 * 3 + 1) * 4 + 2) * 5 + 3]);
  g_assert_cmpfloat (c.y[((0 * 5 + 4) * 5 + 0) * 6 + 0], ==, 0.0f);
  g_assert_cmpfloat (c.y[((0 * 5 + 0) * 5 + 4) * 6 + 0], ==, 0.0f);
  g_assert_cmpfloat (c.y[((0 * 5 + 0) * 5 + 0) * 6 + 5], ==, 0.0f);
  memset (dx, 0, c.nx * sizeof (float));
  gabn_zero_pad_backward (dx, c.r, 2, 3, 4, 5, 5, 5, 6);
  gradcheck ("zero pad", c.x, dx, c.nx, zero_pad_loss, &c, 1e-3f, 1000, 1e-6);

  g_free (c.x); g_free (c.scale); g_free (c.shift); g_free (c.y); g_free (c.r);
  g_rand_free (rand);
}

/* ---- The whole net's input gradient ----------------------------------- */

typedef struct {
  GabnNet *net;
  float *input, *r;
} NetCase;

static double
net_loss (gpointer data)
{
  NetCase *c = data;

  gabn_net_forward (c->net, c->input, 1);
  return gradcheck_dot (c->r, gabn_net_embeddings (c->net), 128);
}

/* d(embedding·r)/d(input) of one image, the way the GAM reaches the input. */
static void
input_gradient (GabnNet *net, const float *input, const float *r, float *d_input)
{
  int C, h, w;
  g_autofree float *dA = NULL;

  gabn_net_feature_shape (net, &C, &h, &w);
  dA = g_new (float, C * h * w);
  gabn_net_forward (net, input, 1);
  gabn_net_backward_head (net, r, dA, FALSE);
  gabn_net_backward_backbone (net, dA, d_input);
}

static double
head_loss (gpointer data)
{
  NetCase *c = data;

  gabn_net_forward_head (c->net);
  return gradcheck_dot (c->r, gabn_net_embeddings (c->net), 128);
}

static void
test_net_gradient (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_net_new ("dlib-resnet", 0, 5, &error);
  GRand *rand = g_rand_new_with_seed (21);
  NetCase c;
  g_autofree float *d_input = g_new0 (float, 3 * S * S);
  int C, h, w;
  double worst = 0, largest = 0;

  g_assert_no_error (error);
  g_assert_cmpint (gabn_net_input_size (net), ==, S);
  g_assert_cmpint (gabn_net_embedding_dim (net), ==, 128);
  gabn_net_feature_shape (net, &C, &h, &w);
  g_assert_cmpint (C, ==, 256);
  g_assert_cmpint (h, ==, 4);
  g_assert_cmpint (w, ==, 4);
  g_assert_cmpint (gabn_net_n_classes (net), ==, 0);
  c.net = net;
  c.input = g_new (float, 3 * S * S);
  c.r = g_new (float, 128);
  gradcheck_fill (c.input, 3 * S * S, rand, -1, 1);
  gradcheck_fill (c.r, 128, rand, -1, 1);
  input_gradient (net, c.input, c.r, d_input);
  /* The head (the last down block: padded conv path, pooled and padded
   * shortcut; the global mean; fc without bias), element by element of A.
   * A is large here (tens), and the float32 loss is sums of large terms:
   * steps under 0.1 measure its rounding more than its slope. */
  {
    g_autofree float *dA = g_new (float, C * h * w);

    float *A;

    /* Away from the ReLU kink at 0 where A, a ReLU's output, sits. */
    gabn_net_forward (net, c.input, 1);
    A = gabn_net_features (net);
    for (int i = 0; i < C * h * w; i++)
      A[i] = fabsf (A[i]) + 1.0f;
    gabn_net_forward_head (net);
    gabn_net_backward_head (net, c.r, dA, FALSE);
    gradcheck_with_floor ("dlib-resnet head", gabn_net_features (net), dA, C * h * w,
                          head_loss, &c, 1e-1f, 400, 1e-3, 1e-7);
  }
  /* Pixels through the 7×7 stride-2 stem, the max pool and every block.
   * One pixel moves the float32 loss too little for a per-element
   * difference, so the check is directional: along random directions u of
   * the whole image, the central difference against Σ grad·u. Moving every
   * pixel crosses some ReLU and max-pool kinks of this random-weight net and
   * the float32 loss rounds, hence 5 % of the largest slope; the exact
   * check of this gradient is test_faceapi's, against TensorFlow.js's on
   * the real weights. */
  for (int k = 0; k < 4; k++)
    {
      g_autofree float *u = g_new (float, 3 * S * S);
      g_autofree float *x0 = g_memdup2 (c.input, sizeof (float) * 3 * S * S);
      double analytic = 0, plus, minus, numeric, step = 1e-3;

      gradcheck_fill (u, 3 * S * S, rand, -1, 1);
      for (int i = 0; i < 3 * S * S; i++)
        analytic += (double) d_input[i] * u[i];
      for (int i = 0; i < 3 * S * S; i++)
        c.input[i] = x0[i] + (float) step * u[i];
      plus = net_loss (&c);
      for (int i = 0; i < 3 * S * S; i++)
        c.input[i] = x0[i] - (float) step * u[i];
      minus = net_loss (&c);
      memcpy (c.input, x0, sizeof (float) * 3 * S * S);
      numeric = (plus - minus) / (2 * step);
      g_test_message ("direction %d: analytic %.6g, central difference %.6g", k, analytic, numeric);
      worst = MAX (worst, fabs (analytic - numeric));
      largest = MAX (largest, fabs (analytic));
    }
  g_assert_cmpfloat (largest, >, 0);
  g_assert_cmpfloat (worst, <, 5e-2 * largest);
  g_free (c.input);
  g_free (c.r);
  g_rand_free (rand);
}

/* ---- Manifests written here ------------------------------------------- */

typedef enum {
  WRITE_PLAIN,
  WRITE_QUANTIZED,   /* 1-D weights as uint8, fc as uint16 */
  WRITE_SHORT,       /* last shard cut by 100 bytes */
  WRITE_LONG,        /* 4 bytes too many */
  WRITE_ESCAPE,      /* shard path "../x.bin" */
  WRITE_FLOAT16,     /* a float16 quantization */
  WRITE_INT32,       /* a dtype int32 */
  WRITE_BAD_SHAPE,   /* fc as (out, in) instead of TF.js's (in, out) */
  WRITE_MISSING,     /* without conv64_1/conv2/conv/bias */
  WRITE_EXTRA,       /* one unknown weight more */
} WriteMode;

/* Writes net's weights in TF.js layout as DIR/m-weights_manifest.json with
 * two shards; returns the manifest's path. Quantized weights get values
 * read back into the net, so the net holds what the file says. */
static char *
write_manifest (GabnNet *net, const char *dir, WriteMode mode)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autofree char *json = NULL;
  g_autofree char *shard1 = g_build_filename (dir, "m-shard1", NULL);
  g_autofree char *shard2 = g_build_filename (dir, "m-shard2", NULL);
  char *manifest = g_build_filename (dir, "m-weights_manifest.json", NULL);
  gsize half;

  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "paths");
  json_builder_begin_array (b);
  json_builder_add_string_value (b, mode == WRITE_ESCAPE ? "../m-shard1" : "m-shard1");
  json_builder_add_string_value (b, "m-shard2");
  json_builder_end_array (b);
  json_builder_set_member_name (b, "weights");
  json_builder_begin_array (b);
  for (int t = 0; t < gabn_net_n_tensors (net); t++)
    {
      const GabnTensorInfo *info = gabn_net_tensor (net, t);
      gint64 tf[4];
      gboolean fc = g_str_equal (info->name, "fc");
      int q = mode == WRITE_QUANTIZED ? (info->ndim == 1 ? 1 : fc ? 2 : 0) : 0;
      g_autofree float *v = g_new (float, info->numel);
      float lo = G_MAXFLOAT, hi = -G_MAXFLOAT;
      double scale = 1, min = 0;

      if (mode == WRITE_MISSING && g_str_equal (info->name, "conv64_1/conv2/conv/bias"))
        continue;
      /* The TF.js layout of the values. */
      if (info->ndim == 4)
        {
          gsize O = info->shape[0], I = info->shape[1], K = info->shape[2];
          tf[0] = K; tf[1] = K; tf[2] = I; tf[3] = O;
          for (gsize o = 0; o < O; o++)
            for (gsize i = 0; i < I; i++)
              for (gsize y = 0; y < K; y++)
                for (gsize x = 0; x < K; x++)
                  v[((y * K + x) * I + i) * O + o] = info->data[((o * I + i) * K + y) * K + x];
        }
      else if (info->ndim == 2)
        {
          gsize O = info->shape[0], I = info->shape[1];
          tf[0] = I; tf[1] = O;
          for (gsize o = 0; o < O; o++)
            for (gsize i = 0; i < I; i++)
              v[i * O + o] = info->data[o * I + i];
        }
      else
        {
          tf[0] = info->shape[0];
          memcpy (v, info->data, info->numel * sizeof (float));
        }
      if (fc && mode == WRITE_BAD_SHAPE)
        {
          tf[0] = info->shape[0];
          tf[1] = info->shape[1];
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, info->name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < info->ndim; d++)
        json_builder_add_int_value (b, tf[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, fc && mode == WRITE_INT32 ? "int32" : "float32");
      if (fc && mode == WRITE_FLOAT16)
        {
          json_builder_set_member_name (b, "quantization");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "dtype");
          json_builder_add_string_value (b, "float16");
          json_builder_end_object (b);
        }
      if (q)
        {
          int levels = q == 1 ? 255 : 65535;

          for (gsize i = 0; i < info->numel; i++)
            {
              lo = MIN (lo, v[i]);
              hi = MAX (hi, v[i]);
            }
          min = lo;
          scale = hi > lo ? (hi - lo) / levels : 1;
          json_builder_set_member_name (b, "quantization");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "dtype");
          json_builder_add_string_value (b, q == 1 ? "uint8" : "uint16");
          json_builder_set_member_name (b, "scale");
          json_builder_add_double_value (b, scale);
          json_builder_set_member_name (b, "min");
          json_builder_add_double_value (b, min);
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
      for (gsize i = 0; i < info->numel; i++)
        if (q == 1)
          {
            guint8 u = (guint8) lround ((v[i] - min) / scale);
            g_byte_array_append (bytes, &u, 1);
            v[i] = (float) (u * scale + min);
          }
        else if (q == 2)
          {
            guint16 u = GUINT16_TO_LE ((guint16) lround ((v[i] - min) / scale));
            g_byte_array_append (bytes, (guint8 *) &u, 2);
            v[i] = (float) (GUINT16_FROM_LE (u) * scale + min);
          }
        else
          {
            guint32 u;
            memcpy (&u, &v[i], 4);
            u = GUINT32_TO_LE (u);
            g_byte_array_append (bytes, (guint8 *) &u, 4);
          }
      /* Back into the net: it now holds what the file says. */
      if (info->ndim == 1)
        memcpy (info->data, v, info->numel * sizeof (float));
      else if (info->ndim == 2)
        for (gsize o = 0; o < (gsize) info->shape[0]; o++)
          for (gsize i = 0; i < (gsize) info->shape[1]; i++)
            info->data[o * info->shape[1] + i] = v[i * info->shape[0] + o];
    }
  if (mode == WRITE_EXTRA)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, "conv512/conv/bias");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, 1);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "float32");
      json_builder_end_object (b);
      g_byte_array_append (bytes, (const guint8 *) "\0\0\0\0", 4);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  json_builder_end_array (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json = json_generator_to_data (gen, NULL);
  g_assert_true (g_file_set_contents (manifest, json, -1, NULL));
  if (mode == WRITE_SHORT)
    g_byte_array_set_size (bytes, bytes->len - 100);
  if (mode == WRITE_LONG)
    g_byte_array_append (bytes, (const guint8 *) "abcd", 4);
  half = bytes->len / 2;
  g_assert_true (g_file_set_contents (shard1, (const char *) bytes->data, half, NULL));
  g_assert_true (g_file_set_contents (shard2, (const char *) bytes->data + half,
                                      bytes->len - half, NULL));
  return manifest;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

static void
check_same_weights (GabnNet *a, GabnNet *b)
{
  g_assert_cmpint (gabn_net_n_tensors (a), ==, gabn_net_n_tensors (b));
  for (int t = 0; t < gabn_net_n_tensors (a); t++)
    {
      const GabnTensorInfo *x = gabn_net_tensor (a, t), *y = gabn_net_tensor (b, t);
      double worst = 0;

      g_assert_cmpstr (x->name, ==, y->name);
      for (gsize i = 0; i < x->numel; i++)
        worst = MAX (worst, fabs ((double) x->data[i] - y->data[i]));
      if (worst > 1e-6)
        g_error ("%s differs by %g", x->name, worst);
    }
}

static void
test_manifest_roundtrip (void)
{
  for (int quantized = 0; quantized <= 1; quantized++)
    {
      g_autofree char *dir = g_dir_make_tmp ("gabn-tfjs-XXXXXX", NULL);
      g_autoptr(GabnNet) net = gabn_net_new ("dlib-resnet", 0, 3 + quantized, NULL);
      g_autofree char *manifest = write_manifest (net, dir, quantized ? WRITE_QUANTIZED : WRITE_PLAIN);
      g_autoptr(GError) error = NULL;
      g_autoptr(GabnNet) loaded = NULL;
      g_autoptr(GHashTable) meta = NULL;

      g_assert_true (gabn_tfjs_is_model (dir));
      g_assert_true (gabn_tfjs_is_model (manifest));
      g_assert_cmpstr (gabn_tfjs_peek_arch (dir), ==, "dlib-resnet");
      /* Through the model loader, by folder. */
      loaded = gabn_model_load (dir, NULL, &meta, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (g_hash_table_lookup (meta, "arch"), ==, "dlib-resnet");
      g_assert_cmpstr (g_hash_table_lookup (meta, "format"), ==, "tfjs");
      check_same_weights (net, loaded);
      g_assert_cmpfloat (gabn_net_get_preprocess (loaded)->mean[0], ==, 122.782f);
      remove_dir (dir);
    }
}

static void
check_bad (WriteMode mode, int code, const char *needle)
{
  g_autofree char *dir = g_dir_make_tmp ("gabn-tfjs-XXXXXX", NULL);
  g_autoptr(GabnNet) net = gabn_net_new ("dlib-resnet", 0, 1, NULL);
  g_autofree char *manifest = write_manifest (net, dir, mode);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) loaded = gabn_tfjs_load (manifest, &error);

  g_assert_null (loaded);
  g_assert_error (error, GABN_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "m-weights_manifest.json"));
  if (!strstr (error->message, needle))
    g_error ("“%s” lacks “%s”", error->message, needle);
  remove_dir (dir);
}

static void
test_manifest_bad (void)
{
  g_autofree char *dir = g_dir_make_tmp ("gabn-tfjs-XXXXXX", NULL);
  g_autofree char *manifest = g_build_filename (dir, "x-weights_manifest.json", NULL);
  g_autoptr(GError) error = NULL;

  check_bad (WRITE_SHORT, GABN_ERROR_INVALID_FILE, "its shards hold");
  check_bad (WRITE_LONG, GABN_ERROR_INVALID_FILE, "the shards hold");
  check_bad (WRITE_ESCAPE, GABN_ERROR_INVALID_FILE, "leaves the manifest’s folder");
  check_bad (WRITE_FLOAT16, GABN_ERROR_UNSUPPORTED, "quantized as “float16”");
  check_bad (WRITE_INT32, GABN_ERROR_UNSUPPORTED, "dtype “int32”");
  check_bad (WRITE_BAD_SHAPE, GABN_ERROR_INVALID_FILE, "weight “fc” has shape [128, 256], expected [256, 128]");
  check_bad (WRITE_MISSING, GABN_ERROR_NOT_FOUND, "“conv64_1/conv2/conv/bias” of dlib-resnet is missing");
  check_bad (WRITE_EXTRA, GABN_ERROR_INVALID_FILE, "“conv512/conv/bias” is not part of dlib-resnet");

  /* Not JSON, not a list, a missing shard. */
  g_assert_true (g_file_set_contents (manifest, "[{\"paths\": [", -1, NULL));
  g_assert_null (gabn_tfjs_load (manifest, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (manifest, "{\"paths\": []}", -1, NULL));
  g_assert_null (gabn_tfjs_load (manifest, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (manifest, "[{\"paths\": [\"none.bin\"], \"weights\": []}]",
                                      -1, NULL));
  g_assert_null (gabn_tfjs_load (manifest, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "none.bin"));
  g_clear_error (&error);
  remove_dir (dir);
}

/* ---- The real model against face-api ---------------------------------- */

/* The fixture image through the model's preprocessing, as every image
 * path of the engine hands it to the net. */
static void
load_face (GabnNet *net, const char *name, float *chw)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "reference", "fixtures",
                                                 "dlib", name, NULL);
  g_autoptr(GError) error = NULL;
  int w, h;
  g_autofree guint8 *rgb = gabn_image_decode (path, &w, &h, &error);

  g_assert_no_error (error);
  g_assert_cmpint (w, ==, S);
  g_assert_cmpint (h, ==, S);
  gabn_image_to_input (rgb, gabn_net_get_preprocess (net), FALSE, chw);
}

static void
test_faceapi (void)
{
  g_autofree char *model = gabn_models_find ("dlib-resnet");
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "reference", "fixtures",
                                                    "dlib-faceapi.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  JsonObject *root, *grad;
  JsonArray *descriptors, *v, *index, *value;
  g_autofree float *input = g_new (float, 3 * S * S);
  g_autofree float *d_input = g_new (float, 3 * S * S);
  g_autofree float *r = g_new (float, 128);
  double worst = 0, largest = 0, worst_grad = 0, largest_grad = 0;
  g_autofree double *diffs = NULL;
  guint n_close = 0;

  if (!model)
    {
      g_test_skip ("the dlib ResNet is not installed (build-aux/fetch-models)");
      return;
    }
  net = gabn_model_load ("dlib-resnet", NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_file (parser, fixture, &error));
  root = json_node_get_object (json_parser_get_root (parser));
  descriptors = json_object_get_array_member (root, "descriptors");
  for (guint k = 0; k < json_array_get_length (descriptors); k++)
    {
      JsonArray *ref = json_array_get_array_element (descriptors, k);
      g_autofree char *name = g_strdup_printf ("face-%u.png", k);
      const float *e;
      double face_worst = 0;

      load_face (net, name, input);
      gabn_net_forward (net, input, 1);
      e = gabn_net_embeddings (net);
      g_assert_cmpuint (json_array_get_length (ref), ==, 128);
      for (int i = 0; i < 128; i++)
        {
          double want = json_array_get_double_element (ref, i);
          face_worst = MAX (face_worst, fabs (e[i] - want));
          largest = MAX (largest, fabs (want));
        }
      g_test_message ("face %u: max |ours − face-api| = %.3g", k, face_worst);
      g_print ("# descriptor %u: max difference %.3g\n", k, face_worst);
      worst = MAX (worst, face_worst);
    }
  g_assert_cmpfloat (worst, <, 1e-3);

  /* ∂(descriptor·v)/∂pixel in 0..255 units, as face-api's gradient. */
  grad = json_object_get_object_member (root, "grad");
  v = json_object_get_array_member (grad, "v");
  index = json_object_get_array_member (grad, "index");
  value = json_object_get_array_member (grad, "value");
  diffs = g_new0 (double, json_array_get_length (index));
  for (int i = 0; i < 128; i++)
    r[i] = (float) json_array_get_double_element (v, i);
  load_face (net, "grad-input.png", input);
  input_gradient (net, input, r, d_input);
  for (guint k = 0; k < json_array_get_length (index); k++)
    {
      gint64 hwc = json_array_get_int_element (index, k);
      int c = hwc % 3, x = (hwc / 3) % S, y = (int) (hwc / 3 / S);
      /* d_input is per model input, x' = (pixel − mean)·scale. */
      double ours = d_input[(c * S + y) * S + x] * gabn_net_get_preprocess (net)->scale[c];
      double want = json_array_get_double_element (value, k);

      worst_grad = MAX (worst_grad, fabs (ours - want));
      largest_grad = MAX (largest_grad, fabs (want));
      diffs[k] = fabs (ours - want);
    }
  for (guint k = 0; k < json_array_get_length (index); k++)
    n_close += diffs[k] < 1e-3 * largest_grad;
  g_print ("# input gradient: max difference %.3g (largest %.3g), %u of %u positions "
           "within 1e-3 of the largest\n", worst_grad, largest_grad, n_close,
           json_array_get_length (index));
  /* A unit whose pre-activation lies within rounding of a ReLU or max-pool
   * kink can pass the gradient on one side and not on the other (the two
   * convolutions differ in the last bits): on this input 7 of 600 sampled
   * pixels, all under one stem unit's 7×7 window or two. Every other
   * position agrees to 1e-4 of the largest. */
  g_assert_cmpfloat (largest_grad, >, 0);
  g_assert_cmpuint (n_close, >=, 0.97 * json_array_get_length (index));
  g_assert_cmpfloat (worst_grad, <, 5e-2 * largest_grad);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/dlib/layers", test_layers);
  g_test_add_func ("/engine/dlib/net-gradient", test_net_gradient);
  g_test_add_func ("/engine/dlib/manifest-roundtrip", test_manifest_roundtrip);
  g_test_add_func ("/engine/dlib/manifest-bad", test_manifest_bad);
  g_test_add_func ("/engine/dlib/faceapi", test_faceapi);
  return g_test_run ();
}
