/* gabn-tfjs.c: reading a TF.js weights manifest and its shards into a net
 * (see gabn-tfjs.h). TF.js stores convolution filters as (kh, kw, in, out)
 * and dense kernels as (in, out); the engine's layouts are PyTorch's
 * (out, in, kh, kw) and (out, in), so both are transposed on the way in. */
#include "gabn-tfjs.h"
#include "gabn-safetensors.h" /* gabn_file_error */

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <inttypes.h>
#include <string.h>

#define MANIFEST_SUFFIX "weights_manifest.json"
#define MAX_SHARD_BYTES ((gsize) 1 << 30)

typedef struct {
  char *name;
  int ndim;
  gint64 shape[4];
  gsize numel;
  int bytes_per_value;  /* 4 raw float32, 1 uint8, 2 uint16 */
  double scale, min;    /* quantized: value = q·scale + min */
  const guint8 *data;   /* into its group's bytes */
} Weight;

typedef struct {
  const char *path;
  GPtrArray *groups;    /* GBytes of each group's shards concatenated */
  GHashTable *weights;  /* name → Weight */
} Manifest;

static void
weight_free (gpointer p)
{
  Weight *w = p;
  g_free (w->name);
  g_free (w);
}

static void
manifest_clear (Manifest *m)
{
  g_clear_pointer (&m->groups, g_ptr_array_unref);
  g_clear_pointer (&m->weights, g_hash_table_unref);
}

/* The manifest file of path: path itself, or the one manifest in a folder. */
static char *
find_manifest (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;
  char *found = NULL;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    return g_str_has_suffix (path, MANIFEST_SUFFIX) ? g_strdup (path) : NULL;
  dir = g_dir_open (path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, MANIFEST_SUFFIX))
      {
        if (found)
          {
            g_free (found);
            return NULL;
          }
        found = g_build_filename (path, name, NULL);
      }
  return found;
}

gboolean
gabn_tfjs_is_model (const char *path)
{
  g_autofree char *manifest = find_manifest (path);
  return manifest != NULL;
}

static gboolean
fail (GError **error, int code, const Manifest *m, const char *format, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
fail (GError **error, int code, const Manifest *m, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  return gabn_file_error (error, code, m->path, "%s", message);
}

/* A shard named in the manifest: relative, inside the manifest's folder. */
static gboolean
read_shard (const Manifest *m, const char *rel, GByteArray *into, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (m->path);
  g_autofree char *file = NULL;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  if (*rel == '\0' || g_path_is_absolute (rel) || strchr (rel, '\\'))
    return fail (error, GABN_ERROR_INVALID_FILE, m,
                 _("shard path “%s” is not a file name relative to the manifest"), rel);
  parts = g_strsplit (rel, "/", -1);
  for (int i = 0; parts[i]; i++)
    if (g_str_equal (parts[i], ".."))
      return fail (error, GABN_ERROR_INVALID_FILE, m,
                   _("shard path “%s” leaves the manifest’s folder"), rel);
  file = g_build_filename (dir, rel, NULL);
  if (!g_file_get_contents (file, &contents, &length, &local))
    return fail (error, GABN_ERROR_NOT_FOUND, m, _("shard “%s”: %s"), rel, local->message);
  if (into->len + length > MAX_SHARD_BYTES)
    return fail (error, GABN_ERROR_UNSUPPORTED, m, _("shards larger than 1 GiB"));
  g_byte_array_append (into, (const guint8 *) contents, length);
  return TRUE;
}

static gboolean
parse_weight (Manifest *m, JsonNode *node, int group, const guint8 *bytes,
              gsize n_bytes, gsize *offset, GError **error)
{
  JsonObject *o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char *name, *dtype;
  JsonArray *shape;
  g_autofree Weight *w = NULL;
  gsize size;

  if (!o || !(name = json_object_get_string_member_with_default (o, "name", NULL))
      || !json_object_has_member (o, "shape")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "shape")))
    return fail (error, GABN_ERROR_INVALID_FILE, m,
                 _("group %d: a weight without a name or a shape"), group);
  if (g_hash_table_contains (m->weights, name))
    return fail (error, GABN_ERROR_INVALID_FILE, m, _("weight “%s” appears twice"), name);
  w = g_new0 (Weight, 1);
  shape = json_object_get_array_member (o, "shape");
  w->ndim = json_array_get_length (shape);
  if (w->ndim > 4)
    return fail (error, GABN_ERROR_UNSUPPORTED, m, _("weight “%s” has %d dimensions"),
                 name, w->ndim);
  w->numel = 1;
  for (int d = 0; d < w->ndim; d++)
    {
      JsonNode *n = json_array_get_element (shape, d);
      gint64 v = JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
                 ? json_node_get_int (n) : -1;

      if (v < 0 || v > (1 << 28) || w->numel * (gsize) v > ((gsize) 1 << 28))
        return fail (error, GABN_ERROR_INVALID_FILE, m, _("weight “%s” has a bad shape"), name);
      w->shape[d] = v;
      w->numel *= (gsize) v;
    }
  dtype = json_object_get_string_member_with_default (o, "dtype", "");
  if (!g_str_equal (dtype, "float32"))
    return fail (error, GABN_ERROR_UNSUPPORTED, m,
                 _("weight “%s” has dtype “%s” (only float32 is read)"), name, dtype);
  w->bytes_per_value = 4;
  if (json_object_has_member (o, "quantization"))
    {
      JsonNode *qn = json_object_get_member (o, "quantization");
      JsonObject *q = JSON_NODE_HOLDS_OBJECT (qn) ? json_node_get_object (qn) : NULL;
      const char *qtype = q ? json_object_get_string_member_with_default (q, "dtype", "") : "";

      if (g_str_equal (qtype, "uint8"))
        w->bytes_per_value = 1;
      else if (g_str_equal (qtype, "uint16"))
        w->bytes_per_value = 2;
      else
        return fail (error, GABN_ERROR_UNSUPPORTED, m,
                     _("weight “%s” is quantized as “%s” (only uint8 and uint16 with "
                       "scale and min are read)"), name, qtype);
      if (!json_object_has_member (q, "scale") || !json_object_has_member (q, "min"))
        return fail (error, GABN_ERROR_UNSUPPORTED, m,
                     _("weight “%s”: quantization without “scale” and “min”"), name);
      w->scale = json_object_get_double_member (q, "scale");
      w->min = json_object_get_double_member (q, "min");
    }
  size = w->numel * w->bytes_per_value;
  if (*offset + size > n_bytes)
    return fail (error, GABN_ERROR_INVALID_FILE, m,
                 _("weight “%s” needs bytes %" PRIu64 "–%" PRIu64
                   " of group %d, but its shards hold %" PRIu64),
                 name, (guint64) *offset, (guint64) (*offset + size), group, (guint64) n_bytes);
  w->name = g_strdup (name);
  w->data = bytes + *offset;
  *offset += size;
  g_hash_table_insert (m->weights, w->name, w);
  w = NULL;
  return TRUE;
}

static gboolean
parse_manifest (Manifest *m, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonNode *root;
  JsonArray *groups;

  if (!json_parser_load_from_file (parser, m->path, &local))
    return fail (error, GABN_ERROR_INVALID_FILE, m, "%s", local->message);
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_ARRAY (root))
    return fail (error, GABN_ERROR_INVALID_FILE, m,
                 _("not a TF.js weights manifest (expected a list of groups)"));
  m->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  m->weights = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, weight_free);
  groups = json_node_get_array (root);
  for (guint g = 0; g < json_array_get_length (groups); g++)
    {
      JsonNode *gn = json_array_get_element (groups, g);
      JsonObject *go = JSON_NODE_HOLDS_OBJECT (gn) ? json_node_get_object (gn) : NULL;
      JsonArray *paths, *weights;
      GByteArray *bytes;
      gsize offset = 0;

      if (!go || !json_object_has_member (go, "paths") || !json_object_has_member (go, "weights")
          || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (go, "paths"))
          || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (go, "weights")))
        return fail (error, GABN_ERROR_INVALID_FILE, m,
                     _("group %u has no “paths” and “weights” lists"), g);
      bytes = g_byte_array_new ();
      g_ptr_array_add (m->groups, bytes);
      paths = json_object_get_array_member (go, "paths");
      for (guint p = 0; p < json_array_get_length (paths); p++)
        {
          const char *rel = json_node_get_string (json_array_get_element (paths, p));

          if (!rel)
            return fail (error, GABN_ERROR_INVALID_FILE, m,
                         _("group %u: a shard path is not a string"), g);
          if (!read_shard (m, rel, bytes, error))
            return FALSE;
        }
      weights = json_object_get_array_member (go, "weights");
      for (guint k = 0; k < json_array_get_length (weights); k++)
        if (!parse_weight (m, json_array_get_element (weights, k), (int) g, bytes->data,
                           bytes->len, &offset, error))
          return FALSE;
      if (offset != bytes->len)
        return fail (error, GABN_ERROR_INVALID_FILE, m,
                     _("group %u: the shards hold %u bytes but the weights describe %"
                       G_GSIZE_FORMAT), g, bytes->len, offset);
    }
  return TRUE;
}

static float
weight_value (const Weight *w, gsize i)
{
  const guint8 *p = w->data + i * w->bytes_per_value;
  guint32 u32;
  guint16 u16;
  float f;

  switch (w->bytes_per_value)
    {
    case 1:
      return (float) (p[0] * w->scale + w->min);
    case 2:
      memcpy (&u16, p, 2);
      return (float) (GUINT16_FROM_LE (u16) * w->scale + w->min);
    default:
      memcpy (&u32, p, 4);
      u32 = GUINT32_FROM_LE (u32);
      memcpy (&f, &u32, 4);
      return f;
    }
}

static char *
shape_string (int ndim, const gint64 *shape)
{
  return gabn_safetensors_shape_string (ndim, shape);
}

/* Fills tensor t from w, checking the shape in TF.js's layout. */
static gboolean
fill_tensor (const Manifest *m, const GabnTensorInfo *t, const Weight *w,
             GError **error)
{
  gint64 expected[4];
  gboolean same;

  /* The TF.js shape of each engine layout. */
  if (t->ndim == 4)
    {
      expected[0] = t->shape[2];
      expected[1] = t->shape[3];
      expected[2] = t->shape[1];
      expected[3] = t->shape[0];
    }
  else if (t->ndim == 2)
    {
      expected[0] = t->shape[1];
      expected[1] = t->shape[0];
    }
  else
    memcpy (expected, t->shape, sizeof expected);
  same = w->ndim == t->ndim;
  for (int d = 0; same && d < t->ndim; d++)
    same = w->shape[d] == expected[d];
  if (!same)
    {
      g_autofree char *found = shape_string (w->ndim, w->shape);
      g_autofree char *want = shape_string (t->ndim, expected);
      return fail (error, GABN_ERROR_INVALID_FILE, m,
                   _("weight “%s” has shape %s, expected %s"), w->name, found, want);
    }
  if (t->ndim == 4)
    {
      /* (kh, kw, in, out) → (out, in, kh, kw) */
      gsize O = t->shape[0], I = t->shape[1], KH = t->shape[2], KW = t->shape[3];
      for (gsize y = 0; y < KH; y++)
        for (gsize x = 0; x < KW; x++)
          for (gsize i = 0; i < I; i++)
            for (gsize o = 0; o < O; o++)
              t->data[((o * I + i) * KH + y) * KW + x]
                = weight_value (w, ((y * KW + x) * I + i) * O + o);
    }
  else if (t->ndim == 2)
    {
      /* (in, out) → (out, in) */
      gsize O = t->shape[0], I = t->shape[1];
      for (gsize i = 0; i < I; i++)
        for (gsize o = 0; o < O; o++)
          t->data[o * I + i] = weight_value (w, i * O + o);
    }
  else
    for (gsize i = 0; i < t->numel; i++)
      t->data[i] = weight_value (w, i);
  return TRUE;
}

/* The architecture the weights' names (a set) describe. */
static const char *
recognise (GHashTable *names)
{
  if (g_hash_table_contains (names, "conv32_down/conv/filters")
      && g_hash_table_contains (names, "conv256_down_out/conv2/scale/weights")
      && g_hash_table_contains (names, "fc"))
    return "dlib-resnet";
  return NULL;
}

const char *
gabn_tfjs_peek_arch (const char *path)
{
  g_autofree char *manifest = find_manifest (path);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonNode *root;
  JsonArray *groups;

  if (!manifest || !json_parser_load_from_file (parser, manifest, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!root || !JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  groups = json_node_get_array (root);
  for (guint g = 0; g < json_array_get_length (groups); g++)
    {
      JsonNode *gn = json_array_get_element (groups, g);
      JsonObject *go = JSON_NODE_HOLDS_OBJECT (gn) ? json_node_get_object (gn) : NULL;
      JsonNode *wn = go ? json_object_get_member (go, "weights") : NULL;
      JsonArray *weights = wn && JSON_NODE_HOLDS_ARRAY (wn) ? json_node_get_array (wn) : NULL;

      for (guint k = 0; weights && k < json_array_get_length (weights); k++)
        {
          JsonNode *w = json_array_get_element (weights, k);
          const char *name = JSON_NODE_HOLDS_OBJECT (w)
            ? json_object_get_string_member_with_default (json_node_get_object (w), "name", NULL)
            : NULL;
          if (name)
            g_hash_table_add (names, g_strdup (name));
        }
    }
  return recognise (names);
}

GabnNet *
gabn_tfjs_load (const char *path, GError **error)
{
  g_autofree char *manifest_path = find_manifest (path);
  Manifest m = { 0 };
  g_autoptr(GabnNet) net = NULL;
  const char *arch;
  gboolean ok = TRUE;

  g_return_val_if_fail (path != NULL, NULL);
  if (!manifest_path)
    return gabn_file_error (error, GABN_ERROR_NOT_FOUND, path,
                            _("no TF.js weights manifest (a file named …%s, one per folder)"),
                            MANIFEST_SUFFIX), NULL;
  m.path = manifest_path;
  if (!parse_manifest (&m, error))
    {
      manifest_clear (&m);
      return NULL;
    }
  arch = recognise (m.weights);
  if (!arch)
    {
      manifest_clear (&m);
      return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, manifest_path,
                              _("its weights are not of a network this app knows "
                                "(dlib’s ResNet face recognizer, as face-api ships it)")), NULL;
    }
  net = gabn_net_new (arch, 0, 0, error);
  if (!net)
    {
      manifest_clear (&m);
      return NULL;
    }
  for (int i = 0; ok && i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      const Weight *w = g_hash_table_lookup (m.weights, t->name);

      if (!w)
        ok = fail (error, GABN_ERROR_NOT_FOUND, &m, _("weight “%s” of %s is missing"),
                   t->name, arch);
      else
        ok = fill_tensor (&m, t, w, error);
    }
  if (ok && (int) g_hash_table_size (m.weights) != gabn_net_n_tensors (net))
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, m.weights);
      while (ok && g_hash_table_iter_next (&iter, &key, NULL))
        if (!gabn_net_find_tensor (net, key))
          ok = fail (error, GABN_ERROR_INVALID_FILE, &m,
                     _("weight “%s” is not part of %s"), (const char *) key, arch);
    }
  manifest_clear (&m);
  if (!ok)
    return NULL;
  gabn_net_set_training (net, FALSE);
  return g_steal_pointer (&net);
}
