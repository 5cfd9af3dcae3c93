/* gabn-safetensors.c: reading safetensors files.
 *
 * Format: 8-byte little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, ...,
 * "__metadata__": {string: string}}), then the raw little-endian data, the
 * offsets relative to its start. */
#include "gabn-safetensors.h"

#include <glib/gi18n.h>

#include <json-glib/json-glib.h>

#define MAX_HEADER (100 * 1024 * 1024)

struct _GabnSafetensors {
  char *path;
  GMappedFile *file;
  const guint8 *data;
  gsize data_size;
  GPtrArray *entries;       /* GabnSafetensorsEntry, file order */
  GHashTable *by_name;      /* name → entry */
  GHashTable *metadata;
};

static void
entry_free (gpointer p)
{
  GabnSafetensorsEntry *e = p;

  g_free (e->name);
  g_free (e);
}

char *
gabn_safetensors_shape_string (int ndim, const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (int i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

gboolean
gabn_file_error (GError **error, int code, const char *path, const char *format, ...)
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
             gsize data_size, GabnSafetensorsEntry **out, GError **error)
{
  JsonObject *obj;
  JsonArray *shape, *offsets;
  const char *dtype_name;
  g_autoptr(GPtrArray) keep = NULL;
  GabnSafetensorsEntry *e;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("tensor “%s” is not a JSON object"), name);
  obj = json_node_get_object (node);
  if (!json_object_has_member (obj, "dtype")
      || json_node_get_value_type (json_object_get_member (obj, "dtype")) != G_TYPE_STRING
      || !json_object_has_member (obj, "shape")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "shape"))
      || !json_object_has_member (obj, "data_offsets")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (obj, "data_offsets")))
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                 _("tensor “%s” lacks a dtype, shape or data_offsets"), name);
  dtype_name = json_object_get_string_member (obj, "dtype");
  shape = json_object_get_array_member (obj, "shape");
  offsets = json_object_get_array_member (obj, "data_offsets");

  e = g_new0 (GabnSafetensorsEntry, 1);
  keep = g_ptr_array_new_with_free_func (entry_free);
  g_ptr_array_add (keep, e);
  e->name = g_strdup (name);
  e->dtype = gabn_dtype_from_name (dtype_name);
  if (e->dtype == GABN_DTYPE_UNKNOWN)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                 _("tensor “%s” has the unsupported dtype “%s” (supported: F32, "
                 "F16, BF16, F64, I64, I32)"), name, dtype_name);
  if (json_array_get_length (shape) > GABN_SAFETENSORS_MAX_DIMS)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("tensor “%s” has too many dimensions"), name);
  e->ndim = (int) json_array_get_length (shape);
  e->numel = 1;
  for (int i = 0; i < e->ndim; i++)
    {
      JsonNode *d = json_array_get_element (shape, i);
      if (!JSON_NODE_HOLDS_VALUE (d)
          || json_node_get_value_type (d) != G_TYPE_INT64 || json_node_get_int (d) < 0
          || json_node_get_int (d) > G_MAXINT32)
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("tensor “%s” has an invalid shape"), name);
      e->shape[i] = json_node_get_int (d);
    }
  /* The element count and its bytes, refused when they overflow: a header
   * claiming [2³⁰, 2³⁰, 16] would otherwise wrap to 0 elements. Bytes are
   * then held to the data the file really has (below), so no claim can
   * make a reader allocate more than the file's size. */
  for (int i = 0; i < e->ndim; i++)
    if (!g_size_checked_mul (&e->numel, e->numel, (gsize) e->shape[i]))
      {
        g_autofree char *shape_str = gabn_safetensors_shape_string (e->ndim, e->shape);
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                _("tensor “%s”: shape %s has more elements than can be counted"),
                                name, shape_str);
      }
  {
    gsize bytes;
    if (!g_size_checked_mul (&bytes, e->numel, gabn_dtype_size (e->dtype))
        || bytes > data_size)
      {
        g_autofree char *shape_str = gabn_safetensors_shape_string (e->ndim, e->shape);
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                _("tensor “%s”: shape %s of %s needs more bytes than the "
                                  "file’s %lu of data"),
                                name, shape_str, gabn_dtype_name (e->dtype),
                                (unsigned long) data_size);
      }
  }
  if (json_array_get_length (offsets) != 2
      || !JSON_NODE_HOLDS_VALUE (json_array_get_element (offsets, 0))
      || !JSON_NODE_HOLDS_VALUE (json_array_get_element (offsets, 1))
      || json_node_get_value_type (json_array_get_element (offsets, 0)) != G_TYPE_INT64
      || json_node_get_value_type (json_array_get_element (offsets, 1)) != G_TYPE_INT64)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("tensor “%s” has invalid data_offsets"), name);
  {
    gint64 b = json_array_get_int_element (offsets, 0), en = json_array_get_int_element (offsets, 1);
    if (b < 0 || en < b)
      return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("tensor “%s” has invalid data_offsets"), name);
    if ((guint64) en > data_size)
      return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                   _("file truncated: tensor “%s” ends at byte %lld of the data but the "
                     "data has %lu bytes"),
                   name, (long long) en, (unsigned long) data_size);
    e->begin = (gsize) b;
    e->end = (gsize) en;
  }
  if (e->end - e->begin != e->numel * gabn_dtype_size (e->dtype))
    {
      g_autofree char *shape_str = gabn_safetensors_shape_string (e->ndim, e->shape);
      return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                   _("tensor “%s”: %lu bytes of data for shape %s of %s"),
                   name, (unsigned long) (e->end - e->begin), shape_str, gabn_dtype_name (e->dtype));
    }
  g_ptr_array_steal_index (keep, 0);
  *out = e;
  return TRUE;
}

static gboolean
parse_header (GabnSafetensors *st, GError **error)
{
  const guint8 *bytes = (const guint8 *) g_mapped_file_get_contents (st->file);
  gsize size = g_mapped_file_get_length (st->file);
  const char *path = st->path;
  guint64 header_len = 0;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) json_error = NULL;
  g_autoptr(GList) members = NULL;
  JsonNode *root;
  JsonObject *obj;

  if (size < 8)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                            _("not a safetensors file (%lu bytes)"), (unsigned long) size);
  for (int i = 7; i >= 0; i--)
    header_len = (header_len << 8) | bytes[i];
  if (header_len > size - 8)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                            _("header length %llu is past the end of the file (%lu bytes): "
                              "truncated or not a safetensors file"),
                            (unsigned long long) header_len, (unsigned long) size);
  if (header_len > MAX_HEADER || header_len < 2)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                            _("implausible header length %llu"), (unsigned long long) header_len);
  if (!json_parser_load_from_data (parser, (const char *) bytes + 8, (gssize) header_len, &json_error))
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("bad JSON header: %s"),
                            json_error->message);
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("bad JSON header: not an object"));
  obj = json_node_get_object (root);
  st->data = bytes + 8 + header_len;
  st->data_size = size - 8 - header_len;

  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      JsonNode *node = json_object_get_member (obj, name);
      GabnSafetensorsEntry *e = NULL;

      if (g_str_equal (name, "__metadata__"))
        {
          JsonObject *meta;
          g_autoptr(GList) keys = NULL;

          if (!JSON_NODE_HOLDS_OBJECT (node))
            return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path, _("__metadata__ is not an object"));
          meta = json_node_get_object (node);
          keys = json_object_get_members (meta);
          for (GList *k = keys; k; k = k->next)
            {
              JsonNode *v = json_object_get_member (meta, k->data);
              if (json_node_get_value_type (v) != G_TYPE_STRING)
                return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                        _("metadata “%s” is not a string"), (char *) k->data);
              g_hash_table_insert (st->metadata, g_strdup (k->data), g_strdup (json_node_get_string (v)));
            }
          continue;
        }
      if (!parse_entry (path, name, node, st->data_size, &e, error))
        return FALSE;
      g_ptr_array_add (st->entries, e);
      g_hash_table_insert (st->by_name, e->name, e);
    }
  return TRUE;
}

GabnSafetensors *
gabn_safetensors_open (const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  GabnSafetensors *st;
  GMappedFile *file;

  g_return_val_if_fail (path != NULL, NULL);
  file = g_mapped_file_new (path, FALSE, &local);
  if (file == NULL)
    {
      /* GLib's message already names the file. */
      g_set_error_literal (error, GABN_ERROR,
                           g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                           ? GABN_ERROR_NOT_FOUND : GABN_ERROR_FAILED, local->message);
      return NULL;
    }
  st = g_new0 (GabnSafetensors, 1);
  st->path = g_strdup (path);
  st->file = file;
  st->entries = g_ptr_array_new_with_free_func (entry_free);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!parse_header (st, error))
    {
      gabn_safetensors_free (st);
      return NULL;
    }
  return st;
}

void
gabn_safetensors_free (GabnSafetensors *st)
{
  if (st == NULL)
    return;
  g_hash_table_unref (st->by_name);
  g_ptr_array_unref (st->entries);
  g_hash_table_unref (st->metadata);
  g_mapped_file_unref (st->file);
  g_free (st->path);
  g_free (st);
}

const char *
gabn_safetensors_path (const GabnSafetensors *st)
{
  return st->path;
}

GHashTable *
gabn_safetensors_metadata (const GabnSafetensors *st)
{
  return st->metadata;
}

guint
gabn_safetensors_n_entries (const GabnSafetensors *st)
{
  return st->entries->len;
}

const GabnSafetensorsEntry *
gabn_safetensors_entry (const GabnSafetensors *st, guint i)
{
  g_return_val_if_fail (i < st->entries->len, NULL);
  return st->entries->pdata[i];
}

const GabnSafetensorsEntry *
gabn_safetensors_find (const GabnSafetensors *st, const char *name)
{
  return g_hash_table_lookup (st->by_name, name);
}

void
gabn_safetensors_read (const GabnSafetensors *st,
                       const GabnSafetensorsEntry *entry, float *dst)
{
  gabn_dtype_to_float (dst, st->data + entry->begin, entry->numel, entry->dtype);
}
