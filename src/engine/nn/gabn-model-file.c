/* gabn-model-file.c: safetensors read and write.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {string: string}}), then the raw little-endian data, the
 * offsets relative to its start. Reading maps the file and checks every
 * entry before touching the net; writing goes through a temporary file in
 * the same folder, fsync and rename. */
#include "gabn-model-file.h"
#include "gabn-dtype.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

#define MAX_HEADER (100 * 1024 * 1024)
#define MAX_DIMS 8

typedef struct {
  char *name;
  GabnDtype dtype;
  int ndim;
  gint64 shape[MAX_DIMS];
  gsize numel;
  gsize begin, end;
} Entry;

static void
entry_free (gpointer p)
{
  Entry *e = p;

  g_free (e->name);
  g_free (e);
}

static char *
shape_string (int ndim, const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean G_GNUC_PRINTF (4, 5)
fail (GError **error, int code, const char *path, const char *format, ...)
{
  g_autofree char *display = g_filename_display_name (path);
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, GABN_ERROR, code, "%s: %s", display, message);
  return FALSE;
}

static gboolean
parse_entry (const char *path, const char *name, JsonNode *node,
             gsize data_size, Entry **out, GError **error)
{
  JsonObject *obj;
  JsonArray *shape, *offsets;
  const char *dtype_name;
  g_autoptr(GPtrArray) keep = NULL;
  Entry *e;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return fail (error, GABN_ERROR_INVALID_FILE, path, "tensor “%s” is not a JSON object", name);
  obj = json_node_get_object (node);
  if (!json_object_has_member (obj, "dtype")
      || json_node_get_value_type (json_object_get_member (obj, "dtype")) != G_TYPE_STRING
      || !json_object_has_member (obj, "shape")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "shape"))
      || !json_object_has_member (obj, "data_offsets")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "data_offsets")))
    return fail (error, GABN_ERROR_INVALID_FILE, path,
                 "tensor “%s” lacks a dtype, shape or data_offsets", name);
  dtype_name = json_object_get_string_member (obj, "dtype");
  shape = json_object_get_array_member (obj, "shape");
  offsets = json_object_get_array_member (obj, "data_offsets");

  e = g_new0 (Entry, 1);
  keep = g_ptr_array_new_with_free_func (entry_free);
  g_ptr_array_add (keep, e);
  e->name = g_strdup (name);
  e->dtype = gabn_dtype_from_name (dtype_name);
  if (e->dtype == GABN_DTYPE_UNKNOWN)
    return fail (error, GABN_ERROR_UNSUPPORTED, path,
                 "tensor “%s” has the unsupported dtype “%s” (supported: F32, "
                 "F16, BF16, F64, I64, I32)", name, dtype_name);
  if (json_array_get_length (shape) > MAX_DIMS)
    return fail (error, GABN_ERROR_INVALID_FILE, path, "tensor “%s” has too many dimensions", name);
  e->ndim = (int) json_array_get_length (shape);
  e->numel = 1;
  for (int i = 0; i < e->ndim; i++)
    {
      JsonNode *d = json_array_get_element (shape, i);
      if (json_node_get_value_type (d) != G_TYPE_INT64 || json_node_get_int (d) < 0
          || json_node_get_int (d) > G_MAXINT32)
        return fail (error, GABN_ERROR_INVALID_FILE, path, "tensor “%s” has an invalid shape", name);
      e->shape[i] = json_node_get_int (d);
      e->numel *= (gsize) e->shape[i];
    }
  if (json_array_get_length (offsets) != 2
      || json_node_get_value_type (json_array_get_element (offsets, 0)) != G_TYPE_INT64
      || json_node_get_value_type (json_array_get_element (offsets, 1)) != G_TYPE_INT64)
    return fail (error, GABN_ERROR_INVALID_FILE, path, "tensor “%s” has invalid data_offsets", name);
  {
    gint64 b = json_array_get_int_element (offsets, 0), en = json_array_get_int_element (offsets, 1);
    if (b < 0 || en < b)
      return fail (error, GABN_ERROR_INVALID_FILE, path, "tensor “%s” has invalid data_offsets", name);
    if ((guint64) en > data_size)
      return fail (error, GABN_ERROR_INVALID_FILE, path,
                   "file truncated: tensor “%s” ends at byte %" G_GINT64_FORMAT
                   " of the data but the data has %" G_GSIZE_FORMAT " bytes",
                   name, en, data_size);
    e->begin = (gsize) b;
    e->end = (gsize) en;
  }
  if (e->end - e->begin != e->numel * gabn_dtype_size (e->dtype))
    {
      g_autofree char *shape_str = shape_string (e->ndim, e->shape);
      return fail (error, GABN_ERROR_INVALID_FILE, path,
                   "tensor “%s”: %" G_GSIZE_FORMAT " bytes of data for shape %s of %s",
                   name, e->end - e->begin, shape_str, gabn_dtype_name (e->dtype));
    }
  g_ptr_array_steal_index (keep, 0);
  *out = e;
  return TRUE;
}

/* The architecture from tensor names alone, or NULL when unclear. */
static const char *
infer_arch (GHashTable *entries)
{
  int blocks = 0;
  GHashTableIter iter;
  gpointer key;

  if (g_hash_table_contains (entries, "backbone.0.weight")
      && g_hash_table_contains (entries, "head.1.weight"))
    return "gabn-s";
  if (!g_hash_table_contains (entries, "layer1.0.conv1.weight"))
    return NULL;
  /* iresnet18/34/50 differ in layer3's depth: 2, 6, 14 blocks. */
  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      int j;
      if (sscanf (key, "layer3.%d.", &j) == 1)
        blocks = MAX (blocks, j + 1);
    }
  switch (blocks)
    {
    case 2: return "iresnet18";
    case 6: return "iresnet34";
    case 14: return "iresnet50";
    default: return NULL;
    }
}

static GabnNet *
load_mapped (const char *path, const guint8 *bytes, gsize size,
             const char *arch_hint, GHashTable **metadata_out, GError **error)
{
  guint64 header_len = 0;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) entries = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, entry_free);
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GError) json_error = NULL;
  g_autoptr(GList) members = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GError) net_error = NULL;
  JsonNode *root;
  JsonObject *obj;
  const guint8 *data;
  gsize data_size;
  const char *arch;
  Entry *centres;

  if (size < 8)
    return fail (error, GABN_ERROR_INVALID_FILE, path,
                 "not a safetensors file (%" G_GSIZE_FORMAT " bytes)", size), NULL;
  for (int i = 7; i >= 0; i--)
    header_len = (header_len << 8) | bytes[i];
  if (header_len > size - 8)
    return fail (error, GABN_ERROR_INVALID_FILE, path,
                 "header length %" G_GUINT64_FORMAT " is past the end of the file "
                 "(%" G_GSIZE_FORMAT " bytes): truncated or not a safetensors file",
                 header_len, size), NULL;
  if (header_len > MAX_HEADER || header_len < 2)
    return fail (error, GABN_ERROR_INVALID_FILE, path,
                 "implausible header length %" G_GUINT64_FORMAT, header_len), NULL;
  if (!json_parser_load_from_data (parser, (const char *) bytes + 8, (gssize) header_len, &json_error))
    return fail (error, GABN_ERROR_INVALID_FILE, path, "bad JSON header: %s",
                 json_error->message), NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return fail (error, GABN_ERROR_INVALID_FILE, path, "bad JSON header: not an object"), NULL;
  obj = json_node_get_object (root);
  data = bytes + 8 + header_len;
  data_size = size - 8 - header_len;

  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);
      Entry *e = NULL;

      if (g_str_equal (name, "__metadata__"))
        {
          JsonObject *meta;
          g_autoptr(GList) keys = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            return fail (error, GABN_ERROR_INVALID_FILE, path, "__metadata__ is not an object"), NULL;
          meta = json_node_get_object (node);
          keys = json_object_get_members (meta);
          for (GList *k = keys; k; k = k->next)
            {
              JsonNode *v = json_object_get_member (meta, k->data);
              if (json_node_get_value_type (v) != G_TYPE_STRING)
                return fail (error, GABN_ERROR_INVALID_FILE, path,
                             "metadata “%s” is not a string", (char *) k->data), NULL;
              g_hash_table_insert (metadata, g_strdup (k->data), g_strdup (json_node_get_string (v)));
            }
          continue;
        }
      if (!parse_entry (path, name, node, data_size, &e, error))
        return NULL;
      g_hash_table_insert (entries, e->name, e);
    }

  arch = g_hash_table_lookup (metadata, "arch");
  if (arch == NULL)
    arch = arch_hint;
  if (arch == NULL)
    arch = infer_arch (entries);
  if (arch == NULL)
    return fail (error, GABN_ERROR_NOT_FOUND, path,
                 "no “arch” in the metadata and the architecture cannot be "
                 "inferred from the tensor names; give it explicitly (--arch)"), NULL;

  centres = g_hash_table_lookup (entries, "arcface.weight");
  if (centres && centres->ndim != 2)
    {
      g_autofree char *shape_str = shape_string (centres->ndim, centres->shape);
      return fail (error, GABN_ERROR_INVALID_FILE, path,
                   "tensor “arcface.weight” has shape %s, expected [classes, dim]",
                   shape_str), NULL;
    }
  net = gabn_net_new (arch, centres ? (int) centres->shape[0] : 0, 0, &net_error);
  if (net == NULL)
    return fail (error, net_error->code, path, "%s", net_error->message), NULL;

  /* Every tensor of the architecture must be there, with its shape. */
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      Entry *e = g_hash_table_lookup (entries, t->name);
      gboolean same = e != NULL && e->ndim == t->ndim;

      if (e == NULL)
        return fail (error, GABN_ERROR_NOT_FOUND, path, "tensor “%s” of %s is missing",
                     t->name, arch), NULL;
      for (int d = 0; same && d < t->ndim; d++)
        same = e->shape[d] == t->shape[d];
      if (!same)
        {
          g_autofree char *found = shape_string (e->ndim, e->shape);
          g_autofree char *expected = shape_string (t->ndim, t->shape);
          return fail (error, GABN_ERROR_INVALID_FILE, path,
                       "tensor “%s” has shape %s, %s expects %s", t->name, found,
                       arch, expected), NULL;
        }
    }
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      Entry *e = g_hash_table_lookup (entries, t->name);

      gabn_dtype_to_float (t->data, data + e->begin, t->numel, e->dtype);
    }

  if (metadata_out)
    *metadata_out = g_steal_pointer (&metadata);
  return g_steal_pointer (&net);
}

GabnNet *
gabn_model_load (const char *path, const char *arch_hint,
                 GHashTable **metadata, GError **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  if (metadata)
    *metadata = NULL;
  file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      /* GLib's message already names the file. */
      g_set_error_literal (error, GABN_ERROR,
                           g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                           ? GABN_ERROR_NOT_FOUND : GABN_ERROR_FAILED, local->message);
      return NULL;
    }
  return load_mapped (path, (const guint8 *) g_mapped_file_get_contents (file),
                      g_mapped_file_get_length (file), arch_hint, metadata, error);
}

/* ---- Writing ---------------------------------------------------------- */

static char *
build_header (GabnNet *net, GHashTable *metadata, gsize *data_size)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  gsize offset = 0;
  GString *header;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "__metadata__");
  json_builder_begin_object (b);
  if (metadata)
    {
      GHashTableIter iter;
      gpointer k, v;
      g_hash_table_iter_init (&iter, metadata);
      while (g_hash_table_iter_next (&iter, &k, &v))
        if (!g_str_equal (k, "arch"))
          {
            json_builder_set_member_name (b, k);
            json_builder_add_string_value (b, v);
          }
    }
  json_builder_set_member_name (b, "arch");
  json_builder_add_string_value (b, gabn_net_arch (net));
  json_builder_end_object (b);

  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      gsize bytes = t->numel * (t->is_integer ? 8 : 4);

      json_builder_set_member_name (b, t->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, t->is_integer ? "I64" : "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (int d = 0; d < t->ndim; d++)
        json_builder_add_int_value (b, t->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_add_int_value (b, (gint64) (offset + bytes));
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += bytes;
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  /* json_generator_to_data returns a new string: take it, don't leak it. */
  header = g_string_new (NULL);
  {
    g_autofree char *json = json_generator_to_data (gen, NULL);
    g_string_append (header, json);
  }
  /* Pad with spaces so the data starts 8-byte aligned, as safetensors does. */
  while (header->len % 8)
    g_string_append_c (header, ' ');
  *data_size = offset;
  return g_string_free (header, FALSE);
}

static gboolean
write_all (int fd, const void *buf, gsize len)
{
  const guint8 *p = buf;

  while (len > 0)
    {
      gssize n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
write_tensor (int fd, const GabnTensorInfo *t)
{
  guint8 buf[8192];
  gsize used = 0;

  for (gsize i = 0; i < t->numel; i++)
    {
      if (t->is_integer)
        {
          guint64 v = (guint64) (gint64) t->data[i];
          for (int b = 0; b < 8; b++)
            buf[used++] = (guint8) (v >> (8 * b));
        }
      else
        {
          guint32 v;
          memcpy (&v, &t->data[i], 4);
          for (int b = 0; b < 4; b++)
            buf[used++] = (guint8) (v >> (8 * b));
        }
      if (used + 8 > sizeof buf)
        {
          if (!write_all (fd, buf, used))
            return FALSE;
          used = 0;
        }
    }
  return write_all (fd, buf, used);
}

gboolean
gabn_model_save (GabnNet *net, const char *path, GHashTable *metadata,
                 GError **error)
{
  gsize data_size = 0;
  g_autofree char *header = build_header (net, metadata, &data_size);
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  guint64 len = strlen (header);
  guint8 len_le[8];
  gboolean ok;
  int fd, saved_errno = 0;

  for (int b = 0; b < 8; b++)
    len_le[b] = (guint8) (len >> (8 * b));
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      saved_errno = errno;
      return fail (error, GABN_ERROR_FAILED, path, "cannot create a temporary file: %s",
                   g_strerror (saved_errno));
    }
  /* mkstemp creates 0600; a model is a normal document (0666 & ~umask). */
  {
    mode_t mask = umask (0);
    umask (mask);
    fchmod (fd, 0666 & ~mask);
  }
  ok = write_all (fd, len_le, 8) && write_all (fd, header, len);
  for (int i = 0; ok && i < gabn_net_n_tensors (net); i++)
    ok = write_tensor (fd, gabn_net_tensor (net, i));
  if (ok)
    ok = fsync (fd) == 0;
  if (!ok)
    saved_errno = errno;
  if (close (fd) != 0 && ok)
    {
      ok = FALSE;
      saved_errno = errno;
    }
  if (ok && g_rename (tmp, path) != 0)
    {
      ok = FALSE;
      saved_errno = errno;
    }
  if (!ok)
    {
      g_unlink (tmp);
      return fail (error, GABN_ERROR_FAILED, path, "cannot write: %s", g_strerror (saved_errno));
    }
  return TRUE;
}
