/* gabn-model-file.c: a net as a safetensors file. Reading checks the
 * whole file (gabn-safetensors.c) and every tensor's presence and shape
 * before filling the net; writing goes through a temporary file in the same
 * folder, fsync and rename. */
#include "gabn-model-file.h"

#include <glib/gi18n.h>
#include "gabn-models.h"
#include "gabn-model-source.h"
#include "gabn-pth.h"
#include "gabn-onnx.h"
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
infer_arch (const GabnModelSource *src)
{
  int blocks = 0;

  if (src->find (src->data, "backbone.0.weight") >= 0
      && src->find (src->data, "head.1.weight") >= 0)
    return "gabn-s";
  if (src->find (src->data, "layer1.0.conv1.weight") < 0)
    return NULL;
  /* iresnet18/34/50 differ in layer3's depth: 2, 6, 14 blocks. */
  for (guint i = 0; i < src->n_tensors; i++)
    {
      int j, ndim;
      const gint64 *shape;
      if (sscanf (src->tensor (src->data, i, &ndim, &shape), "layer3.%d.", &j) == 1)
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
gabn_model_from_source (const GabnModelSource *src, const char *arch, GError **error)
{
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GError) net_error = NULL;
  const char *path = src->path;
  const gint64 *shape = NULL;
  int centres, ndim = 0;

  if (arch == NULL)
    arch = infer_arch (src);
  if (arch == NULL)
    return gabn_file_error (error, GABN_ERROR_NOT_FOUND, path,
                            _("no “arch” in the metadata and the architecture cannot be "
                            "inferred from the tensor names; give it explicitly (--arch)")), NULL;

  centres = src->find (src->data, "arcface.weight");
  if (centres >= 0)
    src->tensor (src->data, centres, &ndim, &shape);
  if (centres >= 0 && ndim != 2)
    {
      g_autofree char *shape_str = gabn_safetensors_shape_string (ndim, shape);
      return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                              _("tensor “arcface.weight” has shape %s, expected [classes, dim]"),
                              shape_str), NULL;
    }
  /* Without the centres first: their count comes from the file, and a
   * row narrower than the embedding would let a small file claim a large
   * allocation (classes × dim floats). */
  net = gabn_net_new (arch, 0, 0, &net_error);
  if (net == NULL)
    return gabn_file_error (error, net_error->code, path, "%s", net_error->message), NULL;

  /* Every tensor of the architecture must be there, with its shape; extra
   * tensors are ignored unless they sit in one of its modules (below). The
   * centres are checked after the others, then added. */
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      int e = src->find (src->data, t->name);
      gboolean same;

      if (e < 0)
        return gabn_file_error (error, GABN_ERROR_NOT_FOUND, path, _("tensor “%s” of %s is missing"),
                                t->name, arch), NULL;
      src->tensor (src->data, e, &ndim, &shape);
      same = ndim == t->ndim;
      for (int d = 0; same && d < t->ndim; d++)
        same = shape[d] == t->shape[d];
      if (!same)
        {
          g_autofree char *found = gabn_safetensors_shape_string (ndim, shape);
          g_autofree char *expected = gabn_safetensors_shape_string (t->ndim, t->shape);
          return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                  _("tensor “%s” has shape %s, %s expects %s"), t->name, found,
                                  arch, expected), NULL;
        }
    }
  if (centres >= 0)
    {
      src->tensor (src->data, centres, &ndim, &shape);
      if (shape[1] != gabn_net_embedding_dim (net))
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                _("tensor “arcface.weight” has rows of %lld, %s embeds in %d"),
                                (long long) shape[1], arch, gabn_net_embedding_dim (net)), NULL;
      if (shape[0] > 0 && !gabn_net_set_n_classes (net, (int) shape[0], 0, &net_error))
        return gabn_file_error (error, net_error->code, path, "%s", net_error->message), NULL;
    }
  /* Extra tensors are ignored, except inside the modules the net has: an
   * iresnet100 would otherwise load as the first blocks of iresnet50. */
  {
    g_autoptr(GHashTable) modules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
    for (int i = 0; i < gabn_net_n_tensors (net); i++)
      {
        const char *name = gabn_net_tensor (net, i)->name;
        g_hash_table_add (names, (gpointer) name);
        g_hash_table_add (modules, g_strndup (name, strcspn (name, ".")));
      }
    for (guint i = 0; i < src->n_tensors; i++)
      {
        const char *name = src->tensor (src->data, i, &ndim, &shape);
        g_autofree char *module = g_strndup (name, strcspn (name, "."));
        if (name[strlen (module)] == '.' && g_hash_table_contains (modules, module)
            && !g_hash_table_contains (names, name))
          return gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                                  _("tensor “%s” is not part of %s: the file holds a larger "
                                    "network, which is not a built-in architecture"), name,
                                  arch), NULL;
      }
  }
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      if (!src->read (src->data, src->find (src->data, t->name), t->data, error))
        return NULL;
    }
  return g_steal_pointer (&net);
}

/* ---- Safetensors as a source ------------------------------------------- */

static const char *
st_tensor (gpointer data, guint i, int *ndim, const gint64 **shape)
{
  const GabnSafetensorsEntry *e = gabn_safetensors_entry (data, i);

  *ndim = e->ndim;
  *shape = e->shape;
  return e->name;
}

static int
st_find (gpointer data, const char *name)
{
  const GabnSafetensorsEntry *e = gabn_safetensors_find (data, name);

  if (e == NULL)
    return -1;
  for (guint i = 0; i < gabn_safetensors_n_entries (data); i++)
    if (gabn_safetensors_entry (data, i) == e)
      return (int) i;
  return -1;
}

static gboolean
st_read (gpointer data, guint i, float *dst, GError **error)
{
  gabn_safetensors_read (data, gabn_safetensors_entry (data, i), dst);
  return TRUE;
}

GabnNet *
gabn_model_load (const char *path, const char *arch_hint,
                 GHashTable **metadata_out, GError **error)
{
  g_autoptr(GabnSafetensors) st = NULL;
  GabnModelSource src = { path, NULL, 0, st_tensor, st_find, st_read };
  GabnNet *net;
  const char *arch;

  g_return_val_if_fail (path != NULL, NULL);
  if (metadata_out)
    *metadata_out = NULL;
  if (gabn_onnx_is_onnx_file (path))
    return gabn_onnx_load (path, metadata_out, error);
  /* A torch.save checkpoint (zip) or an old pickle-format one. */
  if (gabn_pth_sniff (path))
    return gabn_pth_load_model (path, arch_hint, metadata_out, error);
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
      return net;
    }
  st = gabn_safetensors_open (path, error);
  if (st == NULL)
    return NULL;

  arch = g_hash_table_lookup (gabn_safetensors_metadata (st), "arch");
  src.data = st;
  src.n_tensors = gabn_safetensors_n_entries (st);
  net = gabn_model_from_source (&src, arch ? arch : arch_hint, error);
  if (net && metadata_out)
    *metadata_out = g_hash_table_ref (gabn_safetensors_metadata (st));
  return net;
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
  if (gabn_net_is_imported (net))
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("an imported model cannot be saved as a GABN model: "
                              "it has no built-in architecture"));
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
