/* gabn-pth.c: torch.save checkpoints, read with libzip; the pickle is
 * gabn-pickle.c's (data only). Opening checks every tensor's view against
 * its storage record (shape product, storage size against the record's
 * bytes, the last element the strides reach) so that reading needs no
 * further checks and never allocates from an unchecked size. */
#include "gabn-pth.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <zip.h>

#include "gabn-model-source.h"
#include "gabn-safetensors.h"   /* gabn_file_error, shape strings */

/* data.pkl of a state_dict is kilobytes (the tensors are in their own
 * records); a larger one is not a checkpoint this reader can use. */
#define MAX_PICKLE (64 * 1024 * 1024)
/* How far down {"state_dict": {"model": …}} the state_dict is looked for. */
#define MAX_DEPTH 4

typedef struct {
  GabnPthTensor pub;
  const GabnPickleTensor *view;
  zip_uint64_t record;        /* index of <archive>/data/<key> in the zip */
  gsize span;                 /* bytes of the record the view reaches */
  gboolean contiguous;
} Tensor;

struct _GabnPth {
  char *path;
  zip_t *zip;
  GabnPickle *pickle;
  char *archive;              /* "<archive>/", the records' common prefix */
  GPtrArray *tensors;         /* Tensor */
  GHashTable *by_name;        /* name → index + 1 */
  char *state_dict_key;
  char *removed_prefix;
};

static void
tensor_free (gpointer p)
{
  Tensor *t = p;

  g_free (t->pub.name);
  g_free (t);
}

/* ---- Sniffing ------------------------------------------------------------ */

/* torch.serialization's MAGIC_NUMBER, 0x1950a86a20f9469cfc6c, as the LONG1
 * operand a legacy checkpoint starts with. */
static const guint8 legacy_magic[] = { 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                       0x20, 0x6a, 0xa8, 0x50, 0x19 };

static gboolean
is_legacy (const guint8 *head, gsize n)
{
  /* PROTO 2..5, then the magic; protocol 4 and 5 put a FRAME before it. */
  if (n < 2 + 9 + sizeof legacy_magic || head[0] != 0x80 || head[1] < 2 || head[1] > 5)
    return FALSE;
  return memcmp (head + 2, legacy_magic, sizeof legacy_magic) == 0
         || (head[2] == 0x95 && memcmp (head + 11, legacy_magic, sizeof legacy_magic) == 0);
}

static gsize
read_head (const char *path, guint8 *head, gsize size)
{
  FILE *f = fopen (path, "rb");
  gsize n;

  if (f == NULL)
    return 0;
  n = fread (head, 1, size, f);
  fclose (f);
  return n;
}

gboolean
gabn_pth_sniff (const char *path)
{
  guint8 head[32];
  gsize n = read_head (path, head, sizeof head);

  return (n >= 4 && memcmp (head, "PK\003\004", 4) == 0) || is_legacy (head, n);
}

/* ---- Records ------------------------------------------------------------ */

static gboolean
zip_fail (GabnPth *pth, GError **error, const char *what)
{
  return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path, _("%s: %s"), what,
                          zip_strerror (pth->zip));
}

/* The first size bytes of record index, into a new buffer. */
static guint8 *
read_record (GabnPth *pth, zip_uint64_t index, gsize size, GError **error)
{
  const char *name = zip_get_name (pth->zip, index, 0);
  zip_file_t *file;
  guint8 *buf;
  gsize done = 0;

  buf = g_try_malloc (MAX (size, 1));
  if (buf == NULL)
    return gabn_file_error (error, GABN_ERROR_FAILED, pth->path,
                            _("%s: not enough memory for %lu bytes"), name,
                            (unsigned long) size), NULL;
  file = zip_fopen_index (pth->zip, index, 0);
  if (file == NULL)
    {
      g_free (buf);
      return zip_fail (pth, error, name), NULL;
    }
  while (done < size)
    {
      zip_int64_t n = zip_fread (file, buf + done, size - done);
      if (n <= 0)
        {
          gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                           _("%s: cannot read %lu bytes (truncated or damaged): %s"), name,
                           (unsigned long) size, n < 0 ? zip_file_strerror (file) : _("end of data"));
          zip_fclose (file);
          g_free (buf);
          return NULL;
        }
      done += (gsize) n;
    }
  zip_fclose (file);
  return buf;
}

static gboolean
record_size (GabnPth *pth, zip_uint64_t index, gsize *size, GError **error)
{
  zip_stat_t st;

  zip_stat_init (&st);
  if (zip_stat_index (pth->zip, index, 0, &st) != 0 || !(st.valid & ZIP_STAT_SIZE)
      || st.size > G_MAXSIZE)
    return zip_fail (pth, error, zip_get_name (pth->zip, index, 0));
  *size = (gsize) st.size;
  return TRUE;
}

/* data.pkl: at the top of the zip or one folder down (torch.save names
 * that folder after the file). */
static gboolean
find_pickle (GabnPth *pth, zip_uint64_t *index, GError **error)
{
  zip_int64_t n = zip_get_num_entries (pth->zip, 0);

  for (zip_int64_t i = 0; i < n; i++)
    {
      const char *name = zip_get_name (pth->zip, (zip_uint64_t) i, 0);
      const char *slash;

      if (name == NULL || !g_str_has_suffix (name, "data.pkl"))
        continue;
      slash = strchr (name, '/');
      if (g_str_equal (name, "data.pkl")
          || (slash && g_str_equal (slash, "/data.pkl") && slash > name))
        {
          pth->archive = g_strndup (name, strlen (name) - strlen ("data.pkl"));
          *index = (zip_uint64_t) i;
          return TRUE;
        }
    }
  return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                          _("a zip without data.pkl: not a torch.save checkpoint"));
}

/* Newer torch.save writes <archive>/byteorder; the records are read as
 * little-endian. */
static gboolean
check_byteorder (GabnPth *pth, GError **error)
{
  g_autofree char *name = g_strconcat (pth->archive, "byteorder", NULL);
  zip_int64_t index = zip_name_locate (pth->zip, name, 0);
  g_autofree guint8 *text = NULL;
  gsize size;

  if (index < 0)
    return TRUE;
  if (!record_size (pth, (zip_uint64_t) index, &size, error))
    return FALSE;
  if (size > 16)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path, _("%s is too long"), name);
  text = read_record (pth, (zip_uint64_t) index, size, error);
  if (text == NULL)
    return FALSE;
  if (size != 6 || memcmp (text, "little", 6) != 0)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, pth->path,
                            _("the tensors are stored big-endian; re-save the checkpoint on a "
                              "little-endian machine"));
  return TRUE;
}

/* ---- The state_dict ------------------------------------------------------ */

static gboolean
is_state_dict (const GabnPickleValue *v)
{
  gboolean tensors = FALSE;

  if (v->kind != GABN_PICKLE_DICT)
    return FALSE;
  for (guint i = 0; i < v->dict.keys->len; i++)
    {
      const GabnPickleValue *k = v->dict.keys->pdata[i], *x = v->dict.values->pdata[i];
      if (k->kind != GABN_PICKLE_STRING)
        return FALSE;
      tensors |= x->kind == GABN_PICKLE_TENSOR;
    }
  return tensors;
}

/* The dict of tensors in v: v itself, else under a usual key, else the
 * only one found further down. Each dict is looked at once (visited), so a
 * hostile pickle that shares one dict many times costs no more. */
static const GabnPickleValue *
find_state_dict (const GabnPickleValue *v, int depth, GHashTable *visited, GString *where)
{
  static const char *const usual[] = {
    "state_dict", "state_dict_backbone", "model_state_dict", "model", "backbone",
    "net", "module", NULL
  };
  const GabnPickleValue *found = NULL;
  g_autofree char *found_key = NULL;
  int n_found = 0;

  if (v->kind != GABN_PICKLE_DICT || depth > MAX_DEPTH || g_hash_table_contains (visited, v))
    return NULL;
  g_hash_table_add (visited, (gpointer) v);
  if (is_state_dict (v))
    return v;
  for (int i = 0; usual[i]; i++)
    {
      const GabnPickleValue *c = gabn_pickle_dict_get (v, usual[i]);
      g_autoptr(GString) below = g_string_new (NULL);
      if (c && (found = find_state_dict (c, depth + 1, visited, below)))
        {
          g_string_append_printf (where, "%s%s%s", usual[i], below->len ? "." : "", below->str);
          return found;
        }
    }
  for (guint i = 0; i < v->dict.keys->len; i++)
    {
      const GabnPickleValue *k = v->dict.keys->pdata[i];
      g_autoptr(GString) below = g_string_new (NULL);
      const GabnPickleValue *c = find_state_dict (v->dict.values->pdata[i], depth + 1, visited, below);
      if (c == NULL)
        continue;
      n_found++;
      found = c;
      g_free (found_key);
      found_key = g_strdup_printf ("%s%s%s", k->kind == GABN_PICKLE_STRING ? k->str.data : "?",
                                   below->len ? "." : "", below->str);
    }
  if (n_found != 1)
    return NULL;
  g_string_append (where, found_key);
  return found;
}

static gboolean
state_dict_error (GabnPth *pth, const GabnPickleValue *root, GError **error)
{
  g_autoptr(GString) keys = g_string_new (NULL);

  if (root->kind != GABN_PICKLE_DICT)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                            _("the checkpoint holds a %s, not a state_dict (a dict of tensors)"),
                            gabn_pickle_kind_name (root->kind));
  for (guint i = 0; i < root->dict.keys->len && i < 12; i++)
    {
      const GabnPickleValue *k = root->dict.keys->pdata[i];
      g_string_append_printf (keys, "%s%s", i ? ", " : "",
                              k->kind == GABN_PICKLE_STRING ? k->str.data : gabn_pickle_kind_name (k->kind));
    }
  return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                          _("no single state_dict (a dict of tensors) in the checkpoint; its "
                            "top level holds: %s"), keys->len ? keys->str : _("nothing"));
}

/* DataParallel and DistributedDataParallel save "module.<name>". */
static const char *
common_prefix (const GabnPickleValue *dict)
{
  static const char prefix[] = "module.";

  for (guint i = 0; i < dict->dict.keys->len; i++)
    if (((const GabnPickleValue *) dict->dict.values->pdata[i])->kind == GABN_PICKLE_TENSOR
        && !g_str_has_prefix (((const GabnPickleValue *) dict->dict.keys->pdata[i])->str.data, prefix))
      return NULL;
  return prefix;
}

/* ---- Views --------------------------------------------------------------- */

/* Checks tensor t's view against its storage and record: the element type,
 * the shape's product, the storage against the record's bytes and the
 * last element the offset and strides reach against the storage. */
static gboolean
check_view (GabnPth *pth, Tensor *t, GError **error)
{
  const GabnPickleTensor *v = t->view;
  const GabnPickleStorage *s = &v->storage->storage;
  g_autofree char *record = g_strconcat (pth->archive, "data/", s->key, NULL);
  zip_int64_t index = zip_name_locate (pth->zip, record, 0);
  const char *name = t->pub.name;
  guint64 numel = 1, last = (guint64) v->offset, bytes, expect = 1;
  gsize size;

  if (index < 0)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                            _("tensor “%s”: its storage record %s is missing"), name, record);
  if (!record_size (pth, (zip_uint64_t) index, &size, error))
    return FALSE;
  if (!g_uint64_checked_mul (&bytes, (guint64) s->numel, s->elsize) || bytes > size)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                            _("tensor “%s”: its storage claims %lld elements of %s but %s holds "
                              "%lu bytes"), name, (long long) s->numel, s->type_name, record,
                            (unsigned long) size);
  t->contiguous = TRUE;
  for (int d = v->ndim - 1; d >= 0; d--)
    {
      guint64 reach;

      if (!g_uint64_checked_mul (&numel, numel, (guint64) v->shape[d]) || numel > G_MAXSIZE / 8)
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                                _("tensor “%s”: its shape has too many elements"), name);
      if (v->shape[d] > 1 && v->stride[d] != (gint64) expect)
        t->contiguous = FALSE;
      expect *= (guint64) v->shape[d];
      if (v->shape[d] > 0
          && (!g_uint64_checked_mul (&reach, (guint64) v->shape[d] - 1, (guint64) v->stride[d])
              || !g_uint64_checked_add (&last, last, reach)))
        return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                                _("tensor “%s”: its strides reach past any storage"), name);
    }
  t->pub.numel = (gsize) numel;
  if (numel > 0 && last >= (guint64) s->numel)
    return gabn_file_error (error, GABN_ERROR_INVALID_FILE, pth->path,
                            _("tensor “%s”: its view reaches element %llu of a storage of %lld"),
                            name, (unsigned long long) last, (long long) s->numel);
  t->record = (zip_uint64_t) index;
  t->span = numel > 0 ? (gsize) ((last + 1) * s->elsize) : 0;
  return TRUE;
}

static gboolean
collect_tensors (GabnPth *pth, const GabnPickleValue *dict, GError **error)
{
  const char *prefix = common_prefix (dict);

  pth->removed_prefix = g_strdup (prefix);
  for (guint i = 0; i < dict->dict.keys->len; i++)
    {
      const GabnPickleValue *k = dict->dict.keys->pdata[i], *x = dict->dict.values->pdata[i];
      Tensor *t;
      gpointer old;

      if (x->kind != GABN_PICKLE_TENSOR)
        continue;   /* other entries of a state_dict (rare) are not weights */
      t = g_new0 (Tensor, 1);
      t->pub.name = g_strdup (k->str.data + (prefix ? strlen (prefix) : 0));
      t->view = &x->tensor;
      t->pub.dtype = x->tensor.storage->storage.dtype;
      t->pub.type_name = x->tensor.storage->storage.type_name;
      t->pub.ndim = x->tensor.ndim;
      memcpy (t->pub.shape, x->tensor.shape, sizeof t->pub.shape);
      if (!check_view (pth, t, error))
        {
          tensor_free (t);
          return FALSE;
        }
      /* A repeated key: the last one wins, as in Python. */
      old = g_hash_table_lookup (pth->by_name, t->pub.name);
      if (old)
        {
          guint at = GPOINTER_TO_UINT (old) - 1;
          tensor_free (pth->tensors->pdata[at]);
          pth->tensors->pdata[at] = t;
        }
      else
        {
          g_ptr_array_add (pth->tensors, t);
          g_hash_table_insert (pth->by_name, t->pub.name, GUINT_TO_POINTER (pth->tensors->len));
        }
    }
  return TRUE;
}

/* ---- Opening ------------------------------------------------------------- */

GabnPth *
gabn_pth_open (const char *path, GError **error)
{
  g_autoptr(GabnPth) pth = g_new0 (GabnPth, 1);
  g_autoptr(GHashTable) visited = g_hash_table_new (NULL, NULL);
  g_autoptr(GString) where = g_string_new (NULL);
  g_autofree guint8 *pickle_bytes = NULL;
  g_autofree char *pickle_name = NULL;
  const GabnPickleValue *dict;
  guint8 head[32];
  zip_uint64_t index = 0;
  gsize size;
  int zerr = 0;

  g_return_val_if_fail (path != NULL, NULL);
  pth->path = g_strdup (path);
  pth->tensors = g_ptr_array_new_with_free_func (tensor_free);
  pth->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return gabn_file_error (error, GABN_ERROR_NOT_FOUND, path, _("no such file")), NULL;
  if (is_legacy (head, read_head (path, head, sizeof head)))
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("a PyTorch checkpoint in the legacy format (before PyTorch 1.6, or "
                              "_use_new_zipfile_serialization=False), which is not read here; "
                              "re-save it with torch.save in PyTorch 1.6 or later (the zip "
                              "format)")), NULL;

  pth->zip = zip_open (path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
  if (pth->zip == NULL)
    {
      zip_error_t ze;
      zip_error_init_with_code (&ze, zerr);
      gabn_file_error (error, GABN_ERROR_INVALID_FILE, path,
                       _("not a readable zip archive (truncated or damaged?): %s"),
                       zip_error_strerror (&ze));
      zip_error_fini (&ze);
      return NULL;
    }
  if (!find_pickle (pth, &index, error) || !check_byteorder (pth, error)
      || !record_size (pth, index, &size, error))
    return NULL;
  pickle_name = g_strdup (zip_get_name (pth->zip, index, 0));
  if (size > MAX_PICKLE)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, path,
                            _("%s has %lu bytes, more than a state_dict needs"), pickle_name,
                            (unsigned long) size), NULL;
  pickle_bytes = read_record (pth, index, size, error);
  if (pickle_bytes == NULL)
    return NULL;
  pth->pickle = gabn_pickle_load (pickle_bytes, size, path, pickle_name, error);
  if (pth->pickle == NULL)
    return NULL;

  dict = find_state_dict (gabn_pickle_root (pth->pickle), 0, visited, where);
  if (dict == NULL)
    return state_dict_error (pth, gabn_pickle_root (pth->pickle), error), NULL;
  pth->state_dict_key = g_string_free (g_steal_pointer (&where), FALSE);
  if (!collect_tensors (pth, dict, error))
    return NULL;
  return g_steal_pointer (&pth);
}

void
gabn_pth_free (GabnPth *pth)
{
  if (pth == NULL)
    return;
  g_clear_pointer (&pth->by_name, g_hash_table_unref);
  g_clear_pointer (&pth->tensors, g_ptr_array_unref);
  g_clear_pointer (&pth->pickle, gabn_pickle_free);
  if (pth->zip)
    zip_discard (pth->zip);
  g_free (pth->archive);
  g_free (pth->state_dict_key);
  g_free (pth->removed_prefix);
  g_free (pth->path);
  g_free (pth);
}

guint
gabn_pth_n_tensors (const GabnPth *pth)
{
  return pth->tensors->len;
}

const GabnPthTensor *
gabn_pth_tensor (const GabnPth *pth, guint i)
{
  g_return_val_if_fail (i < pth->tensors->len, NULL);
  return &((Tensor *) pth->tensors->pdata[i])->pub;
}

int
gabn_pth_find (const GabnPth *pth, const char *name)
{
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (pth->by_name, name)) - 1;
}

const char *
gabn_pth_state_dict_key (const GabnPth *pth)
{
  return pth->state_dict_key;
}

const char *
gabn_pth_removed_prefix (const GabnPth *pth)
{
  return pth->removed_prefix;
}

/* ---- Reading --------------------------------------------------------------- */

gboolean
gabn_pth_read (GabnPth *pth, guint i, float *dst, GError **error)
{
  const Tensor *t;
  const GabnPickleTensor *v;
  gsize es;
  g_autofree guint8 *data = NULL;
  gint64 idx[GABN_PICKLE_MAX_DIMS] = { 0 };
  gsize at;

  g_return_val_if_fail (i < pth->tensors->len, FALSE);
  t = pth->tensors->pdata[i];
  v = t->view;
  es = v->storage->storage.elsize;
  if (t->pub.dtype == GABN_DTYPE_UNKNOWN)
    return gabn_file_error (error, GABN_ERROR_UNSUPPORTED, pth->path,
                            _("tensor “%s” is a %s, which is not read as float (supported: "
                              "float32, float16, bfloat16, float64, int64, int32)"),
                            t->pub.name, t->pub.type_name);
  if (t->pub.numel == 0)
    return TRUE;
  data = read_record (pth, t->record, t->span, error);
  if (data == NULL)
    return FALSE;
  if (t->contiguous)
    {
      gabn_dtype_to_float (dst, data + (gsize) v->offset * es, t->pub.numel, t->pub.dtype);
      return TRUE;
    }
  /* A strided view (a transpose, a slice): element by element, row-major. */
  at = (gsize) v->offset;
  for (gsize k = 0; k < t->pub.numel; k++)
    {
      gabn_dtype_to_float (dst + k, data + at * es, 1, t->pub.dtype);
      for (int d = v->ndim - 1; d >= 0; d--)
        {
          at += (gsize) v->stride[d];
          if (++idx[d] < v->shape[d])
            break;
          at -= (gsize) (v->stride[d] * v->shape[d]);
          idx[d] = 0;
        }
    }
  return TRUE;
}

/* ---- As a model --------------------------------------------------------- */

static const char *
src_tensor (gpointer data, guint i, int *ndim, const gint64 **shape)
{
  const GabnPthTensor *t = gabn_pth_tensor (data, i);

  *ndim = t->ndim;
  *shape = t->shape;
  return t->name;
}

static int
src_find (gpointer data, const char *name)
{
  return gabn_pth_find (data, name);
}

static gboolean
src_read (gpointer data, guint i, float *dst, GError **error)
{
  return gabn_pth_read (data, i, dst, error);
}

GabnNet *
gabn_pth_load_model (const char *path, const char *arch_hint,
                     GHashTable **metadata_out, GError **error)
{
  g_autoptr(GabnPth) pth = gabn_pth_open (path, error);
  GabnModelSource src = { path, NULL, 0, src_tensor, src_find, src_read };
  GabnNet *net;

  if (metadata_out)
    *metadata_out = NULL;
  if (pth == NULL)
    return NULL;
  src.data = pth;
  src.n_tensors = gabn_pth_n_tensors (pth);
  net = gabn_model_from_source (&src, arch_hint, error);
  if (net && metadata_out)
    {
      GString *how = g_string_new (_("PyTorch checkpoint (torch.save)"));
      if (*pth->state_dict_key)
        g_string_append_printf (how, _(", state_dict “%s”"), pth->state_dict_key);
      if (pth->removed_prefix)
        g_string_append_printf (how, _(", prefix “%s” removed"), pth->removed_prefix);
      *metadata_out = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (*metadata_out, g_strdup ("imported"), g_string_free (how, FALSE));
    }
  return net;
}
