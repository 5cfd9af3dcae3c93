/* gabn-sidecar.c: a minimal safetensors writer/reader for float32 tensors. */
#include "gabn-sidecar.h"

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>
#include <string.h>

gboolean
gabn_sidecar_write (const char *path, const GabnSidecarTensor *tensors,
                    int n_tensors, GHashTable *metadata, GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *header = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  gsize offset = 0, header_len;
  guint64 len_le;

  json_builder_begin_object (b);
  if (metadata)
    {
      GHashTableIter it;
      gpointer k, v;

      json_builder_set_member_name (b, "__metadata__");
      json_builder_begin_object (b);
      g_hash_table_iter_init (&it, metadata);
      while (g_hash_table_iter_next (&it, &k, &v))
        {
          json_builder_set_member_name (b, k);
          json_builder_add_string_value (b, v);
        }
      json_builder_end_object (b);
    }
  for (int i = 0; i < n_tensors; i++)
    {
      json_builder_set_member_name (b, tensors[i].name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, "F32");
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, tensors[i].numel);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, offset);
      json_builder_add_int_value (b, offset + tensors[i].numel * 4);
      json_builder_end_array (b);
      json_builder_end_object (b);
      offset += tensors[i].numel * 4;
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  header = json_generator_to_data (gen, &header_len);
  /* Pad the header with spaces to 8 bytes, as the format recommends. */
  len_le = GUINT64_TO_LE ((header_len + 7) / 8 * 8);
  g_byte_array_append (out, (const guint8 *) &len_le, 8);
  g_byte_array_append (out, (const guint8 *) header, header_len);
  for (gsize i = header_len; i % 8 != 0; i++)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  for (int i = 0; i < n_tensors; i++)
    for (gsize j = 0; j < tensors[i].numel; j++)
      {
        guint32 bits;
        memcpy (&bits, &tensors[i].data[j], 4);
        bits = GUINT32_TO_LE (bits);
        g_byte_array_append (out, (const guint8 *) &bits, 4);
      }
  return g_file_set_contents_full (path, (const char *) out->data, out->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT
                                   | G_FILE_SET_CONTENTS_DURABLE, 0644, error);
}

static JsonNode *
member (JsonObject *o, const char *name, JsonNodeType type)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_TYPE (n) == type ? n : NULL;
}

static gboolean
bad (GError **error, const char *path, const char *why)
{
  g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE, _("%s: %s"), path, why);
  return FALSE;
}

gboolean
gabn_sidecar_read (const char *path, const char *name, float *out, gsize numel,
                   GHashTable **metadata, GError **error)
{
  g_autofree char *contents = NULL;
  gsize length;
  guint64 header_len;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root, *t;
  JsonArray *offsets;
  gint64 begin, end;

  if (!g_file_get_contents (path, &contents, &length, error))
    return FALSE;
  if (length < 8)
    return bad (error, path, "truncated (no header length)");
  memcpy (&header_len, contents, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > length - 8)
    return bad (error, path, "truncated header");
  if (!json_parser_load_from_data (parser, contents + 8, header_len, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return bad (error, path, "the header is not a JSON object");
  root = json_node_get_object (json_parser_get_root (parser));
  if (metadata)
    {
      *metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      if (member (root, "__metadata__", JSON_NODE_OBJECT))
        {
          JsonObject *m = json_node_get_object (member (root, "__metadata__", JSON_NODE_OBJECT));
          g_autoptr(GList) keys = m ? json_object_get_members (m) : NULL;
          for (GList *k = keys; k; k = k->next)
            g_hash_table_insert (*metadata, g_strdup (k->data),
                                 g_strdup (json_object_get_string_member_with_default (m, k->data, "")));
        }
    }
  if (!member (root, name, JSON_NODE_OBJECT)
      || !(t = json_node_get_object (member (root, name, JSON_NODE_OBJECT))))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   _("%s: no tensor “%s”"), path, name);
      return FALSE;
    }
  if (g_strcmp0 (json_object_get_string_member_with_default (t, "dtype", ""), "F32") != 0)
    return bad (error, path, "tensor is not F32");
  offsets = member (t, "data_offsets", JSON_NODE_ARRAY)
    ? json_node_get_array (member (t, "data_offsets", JSON_NODE_ARRAY)) : NULL;
  if (!offsets || json_array_get_length (offsets) != 2)
    return bad (error, path, "tensor without data_offsets");
  begin = json_array_get_int_element (offsets, 0);
  end = json_array_get_int_element (offsets, 1);
  if (begin < 0 || end < begin || (guint64) end > length - 8 - header_len)
    return bad (error, path, "tensor data out of the file");
  if ((gsize) (end - begin) != numel * 4)
    return bad (error, path, "tensor has the wrong size");
  for (gsize j = 0; j < numel; j++)
    {
      guint32 bits;
      memcpy (&bits, contents + 8 + header_len + begin + 4 * j, 4);
      bits = GUINT32_FROM_LE (bits);
      memcpy (&out[j], &bits, 4);
    }
  return TRUE;
}
