/* gabn-model-file.c: a net as a safetensors file. Reading checks the
 * whole file (gabn-safetensors.c) and every tensor's presence and shape
 * before filling the net; writing goes through a temporary file in the same
 * folder, fsync and rename. */
#include "gabn-model-file.h"

#include <glib/gi18n.h>
#include "gabn-models.h"
#include "gabn-safetensors.h"
#include "gabn-tfjs.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <json-glib/json-glib.h>
#include <string.h>
#include <unistd.h>

/* The architecture from tensor names alone, or NULL when unclear. */
static const char *
infer_arch (const GabnSafetensors *st)
{
  int blocks = 0;

  if (gabn_safetensors_find (st, "backbone.0.weight")
      && gabn_safetensors_find (st, "head.1.weight"))
    return "gabn-s";
  if (!gabn_safetensors_find (st, "layer1.0.conv1.weight"))
    return NULL;
  /* iresnet18/34/50 differ in layer3's depth: 2, 6, 14 blocks. */
  for (guint i = 0; i < gabn_safetensors_n_entries (st); i++)
    {
      int j;
      if (sscanf (gabn_safetensors_entry (st, i)->name, "layer3.%d.", &j) == 1)
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

GabnNet *
gabn_model_load (const char *path, const char *arch_hint,
                 GHashTable **metadata_out, GError **error)
{
  g_autoptr(GabnSafetensors) st = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GError) net_error = NULL;
  const GabnSafetensorsEntry *centres;
  const char *arch;

  g_return_val_if_fail (path != NULL, NULL);
  if (metadata_out)
    *metadata_out = NULL;
  /* A known model's name ("dlib-resnet"), unless a file has that name. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *known = gabn_models_find (path);
      if (known)
        return gabn_model_load (known, arch_hint, metadata_out, error);
    }
  if (gabn_tfjs_is_model (path))
    {
      net = gabn_tfjs_load (path, error);
      if (net && metadata_out)
        {
          *metadata_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (*metadata_out, g_strdup ("arch"), g_strdup (gabn_net_arch (net)));
          g_hash_table_insert (*metadata_out, g_strdup ("format"), g_strdup ("tfjs"));
        }
      return g_steal_pointer (&net);
    }
  st = gabn_safetensors_open (path, error);
  if (st == NULL)
    return NULL;

  arch = g_hash_table_lookup (gabn_safetensors_metadata (st), "arch");
  if (arch == NULL)
    arch = arch_hint;
  if (arch == NULL)
    arch = infer_arch (st);
  if (arch == NULL)
    return gabn_file_error (error, GABN_ERROR_NOT_FOUND, path,
                            _("no “arch” in the metadata and the architecture cannot be "
                            "inferred from the tensor names; give it explicitly (--arch)")), NULL;

  centres = gabn_safetensors_find (st, "arcface.weight");
  if (centres && centres->ndim != 2)
    {
      g_autofree char *shape_str = gabn_safetensors_shape_string (centres->ndim, centres->shape);
      return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                              _("tensor “arcface.weight” has shape %s, expected [classes, dim]"),
                              shape_str), NULL;
    }
  net = gabn_net_new (arch, centres ? (int) centres->shape[0] : 0, 0, &net_error);
  if (net == NULL)
    return gabn_file_error (error, net_error->code, path, "%s", net_error->message), NULL;

  /* Every tensor of the architecture must be there, with its shape; extra
   * tensors are ignored. */
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      const GabnSafetensorsEntry *e = gabn_safetensors_find (st, t->name);
      gboolean same = e != NULL && e->ndim == t->ndim;

      if (e == NULL)
        return gabn_file_error (error, GABN_ERROR_NOT_FOUND, path, _("tensor “%s” of %s is missing"),
                                t->name, arch), NULL;
      for (int d = 0; same && d < t->ndim; d++)
        same = e->shape[d] == t->shape[d];
      if (!same)
        {
          g_autofree char *found = gabn_safetensors_shape_string (e->ndim, e->shape);
          g_autofree char *expected = gabn_safetensors_shape_string (t->ndim, t->shape);
          return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                  _("tensor “%s” has shape %s, %s expects %s"), t->name, found,
                                  arch, expected), NULL;
        }
    }
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      gabn_safetensors_read (st, gabn_safetensors_find (st, t->name), t->data);
    }

  if (metadata_out)
    *metadata_out = g_hash_table_ref (gabn_safetensors_metadata (st));
  return g_steal_pointer (&net);
}

/* ---- Writing ---------------------------------------------------------- */

static char *
build_header (GabnNet *net, GHashTable *metadata, gboolean half, gsize *data_size)
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
      gsize bytes = t->numel * (t->is_integer ? 8 : half ? 2 : 4);

      json_builder_set_member_name (b, t->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, t->is_integer ? "I64" : half ? "F16" : "F32");
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
write_tensor (int fd, const GabnTensorInfo *t, gboolean half)
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
      else if (half)
        {
          guint16 v = gabn_float_to_half (t->data[i]);
          buf[used++] = (guint8) v;
          buf[used++] = (guint8) (v >> 8);
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
  return gabn_model_save_as (net, path, metadata, GABN_DTYPE_F32, error);
}

gboolean
gabn_model_save_as (GabnNet *net, const char *path, GHashTable *metadata,
                    GabnDtype dtype, GError **error)
{
  gboolean half = dtype == GABN_DTYPE_F16;
  gsize data_size = 0;
  g_autofree char *header = NULL;
  g_autofree char *tmp = g_strdup_printf ("%s.XXXXXX", path);
  guint64 len;
  guint8 len_le[8];
  gboolean ok;
  int fd, saved_errno = 0;

  g_return_val_if_fail (dtype == GABN_DTYPE_F32 || dtype == GABN_DTYPE_F16, FALSE);
  header = build_header (net, metadata, half, &data_size);
  len = strlen (header);
  for (int b = 0; b < 8; b++)
    len_le[b] = (guint8) (len >> (8 * b));
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      saved_errno = errno;
      return gabn_file_error (error, GABN_ERROR_FAILED, path, _("cannot create a temporary file: %s"),
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
    ok = write_tensor (fd, gabn_net_tensor (net, i), half);
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
      return gabn_file_error (error, GABN_ERROR_FAILED, path, _("cannot write: %s"), g_strerror (saved_errno));
    }
  return TRUE;
}
