/* test-model-file.c: safetensors round trips, F16/BF16 reading, arch
 * inference, and every kind of bad file (each built by the test from a good
 * one) giving a clear error that names the file and the tensor. */
#include "gabn-model-file.h"
#include "gabn-dtype.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

/* ---- A tiny independent safetensors editor ---------------------------- */

typedef struct {
  char *name;
  char *dtype;
  GArray *shape;   /* gint64 */
  GBytes *data;
} Item;

typedef struct {
  GPtrArray *items;   /* Item */
  JsonObject *metadata;
} Doc;

static void
item_free (gpointer p)
{
  Item *it = p;

  g_free (it->name);
  g_free (it->dtype);
  g_array_unref (it->shape);
  g_bytes_unref (it->data);
  g_free (it);
}

static void
doc_free (Doc *doc)
{
  g_ptr_array_unref (doc->items);
  if (doc->metadata)
    json_object_unref (doc->metadata);
  g_free (doc);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Doc, doc_free)

static Doc *
doc_read (const char *path)
{
  g_autofree char *bytes = NULL;
  gsize size;
  guint64 len = 0;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  g_autoptr(GList) members = NULL;
  Doc *doc = g_new0 (Doc, 1);

  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  for (int i = 7; i >= 0; i--)
    len = (len << 8) | (guint8) bytes[i];
  g_assert_true (json_parser_load_from_data (parser, bytes + 8, (gssize) len, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  doc->items = g_ptr_array_new_with_free_func (item_free);
  members = json_object_get_members (root);
  for (GList *l = members; l; l = l->next)
    {
      JsonObject *o;
      JsonArray *shape, *off;
      Item *it;

      if (g_str_equal (l->data, "__metadata__"))
        {
          doc->metadata = json_object_ref (json_object_get_object_member (root, l->data));
          continue;
        }
      o = json_object_get_object_member (root, l->data);
      shape = json_object_get_array_member (o, "shape");
      off = json_object_get_array_member (o, "data_offsets");
      it = g_new0 (Item, 1);
      it->name = g_strdup (l->data);
      it->dtype = g_strdup (json_object_get_string_member (o, "dtype"));
      it->shape = g_array_new (FALSE, FALSE, sizeof (gint64));
      for (guint d = 0; d < json_array_get_length (shape); d++)
        {
          gint64 v = json_array_get_int_element (shape, d);
          g_array_append_val (it->shape, v);
        }
      it->data = g_bytes_new (bytes + 8 + len + json_array_get_int_element (off, 0),
                              json_array_get_int_element (off, 1) - json_array_get_int_element (off, 0));
      g_ptr_array_add (doc->items, it);
    }
  return doc;
}

static Item *
doc_find (Doc *doc, const char *name)
{
  for (guint i = 0; i < doc->items->len; i++)
    if (g_str_equal (((Item *) doc->items->pdata[i])->name, name))
      return doc->items->pdata[i];
  g_assert_not_reached ();
  return NULL;
}

/* Writes doc; header_override replaces the JSON text when not NULL. */
static void
doc_write (Doc *doc, const char *path, const char *header_override)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *header = NULL;
  gint64 offset = 0;
  guint64 len;

  json_builder_begin_object (b);
  if (doc->metadata)
    {
      json_builder_set_member_name (b, "__metadata__");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), doc->metadata));
    }
  for (guint i = 0; i < doc->items->len; i++)
    {
      Item *it = doc->items->pdata[i];
      json_builder_set_member_name (b, it->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, it->dtype);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < it->shape->len; d++)
        json_builder_add_int_value (b, g_array_index (it->shape, gint64, d));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, offset);
      offset += g_bytes_get_size (it->data);
      json_builder_add_int_value (b, offset);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  header = header_override ? g_strdup (header_override) : json_generator_to_data (gen, NULL);
  len = strlen (header);
  for (int i = 0; i < 8; i++)
    {
      guint8 c = (guint8) (len >> (8 * i));
      g_byte_array_append (out, &c, 1);
    }
  g_byte_array_append (out, (guint8 *) header, (guint) len);
  for (guint i = 0; i < doc->items->len; i++)
    {
      Item *it = doc->items->pdata[i];
      g_byte_array_append (out, g_bytes_get_data (it->data, NULL), (guint) g_bytes_get_size (it->data));
    }
  g_assert_true (g_file_set_contents (path, (char *) out->data, out->len, NULL));
}

/* ---- Fixtures --------------------------------------------------------- */

typedef struct {
  char *dir;
  char *good;      /* a saved gabn-s model */
  char *bad;       /* where each test writes its broken copy */
  GabnNet *net;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = g_hash_table_new (g_str_hash, g_str_equal);
  GRand *rand = g_rand_new_with_seed (1);

  f->dir = g_dir_make_tmp ("gabn-model-XXXXXX", &error);
  g_assert_no_error (error);
  f->good = g_build_filename (f->dir, "good.safetensors", NULL);
  f->bad = g_build_filename (f->dir, "bad.safetensors", NULL);
  f->net = gabn_net_new ("gabn-s", 3, 5, &error);
  g_assert_no_error (error);
  /* Values exact in F16 and BF16 (k/64, |k| ≤ 128) so conversions can be
   * compared exactly; the buffers too. */
  for (int i = 0; i < gabn_net_n_tensors (f->net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (f->net, i);
      for (gsize j = 0; j < t->numel; j++)
        t->data[j] = t->is_integer ? 7 + i : g_rand_int_range (rand, -128, 129) / 64.0f;
    }
  g_rand_free (rand);
  g_hash_table_insert (meta, (char *) "groups", (char *) "[\"Group A\", \"Group B\"]");
  g_hash_table_insert (meta, (char *) "arch", (char *) "ignored: the net's arch wins");
  g_assert_true (gabn_model_save (f->net, f->good, meta, &error));
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->good);
  g_free (f->bad);
  gabn_net_free (f->net);
}

static void
assert_same_tensors (GabnNet *a, GabnNet *b)
{
  g_assert_cmpint (gabn_net_n_tensors (a), ==, gabn_net_n_tensors (b));
  for (int i = 0; i < gabn_net_n_tensors (a); i++)
    {
      const GabnTensorInfo *ta = gabn_net_tensor (a, i), *tb = gabn_net_tensor (b, i);
      g_assert_cmpstr (ta->name, ==, tb->name);
      g_assert_cmpmem (ta->data, ta->numel * 4, tb->data, tb->numel * 4);
    }
}

static void
assert_load_fails (Fixture *f, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_model_load (f->bad, NULL, NULL, &error);

  g_assert_null (net);
  g_assert_error (error, GABN_ERROR, code);
  g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, "bad.safetensors"));
  if (needle && strstr (error->message, needle) == NULL)
    g_test_fail_printf ("“%s” not in “%s”", needle, error->message);
}

/* ---- Tests ------------------------------------------------------------ */

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) net = gabn_model_load (f->good, NULL, &meta, &error);
  g_autoptr(GDir) dir = NULL;
  int files = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (gabn_net_arch (net), ==, "gabn-s");
  g_assert_cmpint (gabn_net_n_classes (net), ==, 3);
  assert_same_tensors (net, f->net);
  g_assert_cmpfloat (gabn_net_find_tensor (net, "backbone.1.num_batches_tracked")->data[0], ==, 7 + 5);
  g_assert_cmpstr (g_hash_table_lookup (meta, "arch"), ==, "gabn-s");
  g_assert_cmpstr (g_hash_table_lookup (meta, "groups"), ==, "[\"Group A\", \"Group B\"]");

  /* num_batches_tracked is written as I64, the rest as F32. */
  {
    g_autoptr(Doc) doc = doc_read (f->good);
    g_assert_cmpstr (doc_find (doc, "head.2.num_batches_tracked")->dtype, ==, "I64");
    g_assert_cmpuint (doc_find (doc, "head.2.num_batches_tracked")->shape->len, ==, 0);
    g_assert_cmpstr (doc_find (doc, "head.1.weight")->dtype, ==, "F32");
  }

  /* Saving over an existing file replaces it and leaves no temporary. */
  gabn_net_params (net)[0] = 0.5f;
  g_assert_true (gabn_model_save (net, f->good, NULL, &error));
  g_assert_no_error (error);
  dir = g_dir_open (f->dir, 0, NULL);
  while (g_dir_read_name (dir))
    files++;
  g_assert_cmpint (files, ==, 1);
  {
    g_autoptr(GabnNet) again = gabn_model_load (f->good, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat (gabn_net_params (again)[0], ==, 0.5f);
  }
}

static void
test_save_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *nowhere = g_build_filename (f->dir, "missing-dir", "m.safetensors", NULL);

  g_assert_false (gabn_model_save (f->net, nowhere, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "m.safetensors"));
}

static void
convert_all (Doc *doc, const char *dtype)
{
  for (guint i = 0; i < doc->items->len; i++)
    {
      Item *it = doc->items->pdata[i];
      gsize n, size;
      const float *src;
      guint16 *dst;

      if (!g_str_equal (it->dtype, "F32"))
        continue;
      src = g_bytes_get_data (it->data, &size);
      n = size / 4;
      dst = g_new (guint16, n);
      for (gsize j = 0; j < n; j++)
        {
          guint32 bits;
          memcpy (&bits, &src[j], 4);
          dst[j] = g_str_equal (dtype, "F16") ? gabn_float_to_half (src[j]) : (guint16) (bits >> 16);
        }
      g_free (it->dtype);
      it->dtype = g_strdup (dtype);
      g_bytes_unref (it->data);
      it->data = g_bytes_new_take (dst, n * 2);
    }
}

static void
test_half_precision (Fixture *f, gconstpointer data)
{
  static const char *const dtypes[] = { "F16", "BF16" };

  for (guint k = 0; k < G_N_ELEMENTS (dtypes); k++)
    {
      g_autoptr(Doc) doc = doc_read (f->good);
      g_autoptr(GError) error = NULL;
      g_autoptr(GabnNet) net = NULL;

      convert_all (doc, dtypes[k]);
      doc_write (doc, f->bad, NULL);
      net = gabn_model_load (f->bad, NULL, NULL, &error);
      g_assert_no_error (error);
      assert_same_tensors (net, f->net);
    }
}

/* Saving as F16: half the bytes, the same (F16-exact) values, metadata
 * and the I64 counters kept. */
static void
test_save_half (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GabnNet) back = NULL;
  g_autoptr(GHashTable) back_meta = NULL;

  net = gabn_model_load (f->good, NULL, &meta, &error);
  g_assert_no_error (error);
  g_assert_true (gabn_model_save_as (net, f->bad, meta, GABN_DTYPE_F16, &error));
  g_assert_no_error (error);
  {
    g_autoptr(Doc) doc = doc_read (f->bad);
    g_assert_cmpstr (doc_find (doc, "head.1.weight")->dtype, ==, "F16");
    g_assert_cmpstr (doc_find (doc, "head.2.num_batches_tracked")->dtype, ==, "I64");
  }
  back = gabn_model_load (f->bad, NULL, &back_meta, &error);
  g_assert_no_error (error);
  assert_same_tensors (back, f->net);
  g_assert_cmpstr (g_hash_table_lookup (back_meta, "groups"), ==, "[\"Group A\", \"Group B\"]");
}

static void
test_half_conversion (void)
{
  g_assert_cmpfloat (gabn_half_to_float (0x3c00), ==, 1.0f);
  g_assert_cmpfloat (gabn_half_to_float (0xc000), ==, -2.0f);
  g_assert_cmpfloat (gabn_half_to_float (0x7bff), ==, 65504.0f);
  g_assert_cmpfloat (gabn_half_to_float (0x0001), ==, ldexpf (1.0f, -24));
  g_assert_cmpfloat (gabn_half_to_float (0x0400), ==, ldexpf (1.0f, -14));
  g_assert_true (isinf (gabn_half_to_float (0x7c00)));
  g_assert_true (isnan (gabn_half_to_float (0x7e00)));
  g_assert_cmpfloat (gabn_half_to_float (0x3555), ==, 0.333251953125f);
  for (guint h = 0; h < 0x7c00; h++)  /* every finite positive half */
    g_assert_cmpuint (gabn_float_to_half (gabn_half_to_float ((guint16) h)), ==, h);
  g_assert_cmpuint (gabn_float_to_half (1.0f + ldexpf (1.0f, -11)), ==, 0x3c00); /* tie → even */
}

static void
test_no_metadata (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GHashTable) meta = NULL;

  g_clear_pointer (&doc->metadata, json_object_unref);
  doc_write (doc, f->bad, NULL);
  net = gabn_model_load (f->bad, NULL, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gabn_net_arch (net), ==, "gabn-s");
  g_assert_cmpuint (g_hash_table_size (meta), ==, 0);
  assert_same_tensors (net, f->net);

  /* A hint that contradicts the tensors: a clear missing-tensor error. */
  g_clear_pointer (&net, gabn_net_free);
  net = gabn_model_load (f->bad, "iresnet18", NULL, &error);
  g_assert_null (net);
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "conv1.weight"));
}

static void
test_infer_iresnet (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);
  static const struct { int blocks; const char *arch; } cases[] = {
    { 2, "iresnet18" }, { 6, "iresnet34" }, { 14, "iresnet50" }, { 5, NULL },
  };

  g_clear_pointer (&doc->metadata, json_object_unref);
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      Item *a = doc_find (doc, "backbone.0.weight");
      Item *b = doc_find (doc, "head.1.weight");
      g_autoptr(GError) error = NULL;
      g_autoptr(GabnNet) net = NULL;

      g_free (a->name);
      a->name = g_strdup ("layer1.0.conv1.weight");
      g_free (b->name);
      b->name = g_strdup_printf ("layer3.%d.bn1.weight", cases[c].blocks - 1);
      doc_write (doc, f->bad, NULL);
      net = gabn_model_load (f->bad, NULL, NULL, &error);
      g_assert_null (net);
      g_test_message ("%s", error->message);
      if (cases[c].arch)
        {
          /* Inferred, then the first tensor of that arch is missing. */
          g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
          g_assert_nonnull (strstr (error->message, cases[c].arch));
          g_assert_nonnull (strstr (error->message, "conv1.weight"));
        }
      else
        g_assert_nonnull (strstr (error->message, "--arch"));
      g_free (a->name);
      a->name = g_strdup ("backbone.0.weight");
      g_free (b->name);
      b->name = g_strdup ("head.1.weight");
    }
}

static void
test_truncated (Fixture *f, gconstpointer data)
{
  g_autofree char *bytes = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (f->good, &bytes, &size, NULL));
  g_assert_true (g_file_set_contents (f->bad, bytes, size - 1000, NULL));
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "truncated");
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "arcface.weight");

  g_assert_true (g_file_set_contents (f->bad, bytes, 5, NULL));
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "not a safetensors file");
}

static void
test_header_past_end (Fixture *f, gconstpointer data)
{
  g_autofree char *bytes = NULL;
  gsize size;

  g_assert_true (g_file_get_contents (f->good, &bytes, &size, NULL));
  bytes[0] = (char) 0xff;
  bytes[1] = (char) 0xff;
  bytes[4] = 0x01;  /* 2^32 + …: far past the end */
  g_assert_true (g_file_set_contents (f->bad, bytes, size, NULL));
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "past the end");
}

static void
test_bad_json (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);

  doc_write (doc, f->bad, "{\"backbone.0.weight\": {\"dtype\": \"F32\", ");
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "JSON");
  doc_write (doc, f->bad, "[1, 2, 3]");
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "JSON");
}

static void
test_wrong_shape (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);
  Item *it = doc_find (doc, "backbone.3.weight");

  /* Same element count, other layout. */
  g_array_index (it->shape, gint64, 2) = 1;
  g_array_index (it->shape, gint64, 3) = 9;
  doc_write (doc, f->bad, NULL);
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "backbone.3.weight");
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "[64, 32, 3, 3]");

  /* A shape that does not match the data size. */
  g_array_index (it->shape, gint64, 3) = 10;
  doc_write (doc, f->bad, NULL);
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "backbone.3.weight");
}

static void
test_unknown_dtype (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);
  Item *it = doc_find (doc, "head.1.bias");

  g_free (it->dtype);
  it->dtype = g_strdup ("F8_E4M3");
  doc_write (doc, f->bad, NULL);
  assert_load_fails (f, GABN_ERROR_UNSUPPORTED, "head.1.bias");
  assert_load_fails (f, GABN_ERROR_UNSUPPORTED, "F8_E4M3");
}

static void
test_missing_tensor (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);

  g_ptr_array_remove (doc->items, doc_find (doc, "backbone.10.running_var"));
  doc_write (doc, f->bad, NULL);
  assert_load_fails (f, GABN_ERROR_NOT_FOUND, "backbone.10.running_var");
}

static void
test_bad_metadata (Fixture *f, gconstpointer data)
{
  g_autoptr(Doc) doc = doc_read (f->good);

  json_object_set_int_member (doc->metadata, "epochs", 3);
  doc_write (doc, f->bad, NULL);
  assert_load_fails (f, GABN_ERROR_INVALID_FILE, "epochs");

  json_object_remove_member (doc->metadata, "epochs");
  json_object_set_string_member (doc->metadata, "arch", "resnet9000");
  doc_write (doc, f->bad, NULL);
  assert_load_fails (f, GABN_ERROR_UNSUPPORTED, "resnet9000");
}

static void
test_not_found (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (gabn_model_load ("/nonexistent/model.safetensors", NULL, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "model.safetensors"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add ("/engine/model-file/" path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("round-trip", test_round_trip);
  ADD ("save-errors", test_save_errors);
  ADD ("half-precision", test_half_precision);
  ADD ("save-half", test_save_half);
  ADD ("no-metadata", test_no_metadata);
  ADD ("infer-iresnet", test_infer_iresnet);
  ADD ("truncated", test_truncated);
  ADD ("header-past-end", test_header_past_end);
  ADD ("bad-json", test_bad_json);
  ADD ("wrong-shape", test_wrong_shape);
  ADD ("unknown-dtype", test_unknown_dtype);
  ADD ("missing-tensor", test_missing_tensor);
  ADD ("bad-metadata", test_bad_metadata);
#undef ADD
  g_test_add_func ("/engine/model-file/half-conversion", test_half_conversion);
  g_test_add_func ("/engine/model-file/not-found", test_not_found);
  return g_test_run ();
}
