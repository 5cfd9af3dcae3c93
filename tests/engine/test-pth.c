/* test-pth.c: PyTorch checkpoints against PyTorch itself. The fixtures
 * are real torch.save files (tests/reference/make_pth_fixtures.py, gzipped
 * twice; unpacked here to a temporary folder) with the values torch.load
 * reads back and the embeddings PyTorch computes from them. Every tensor is
 * compared (sampled values exactly, checksums of all elements), then the
 * embeddings of the model gabn_model_load builds, the max difference
 * printed. Then the files that must be refused — a pickle that would run a
 * shell command, forbidden and unknown opcodes, the legacy format, a
 * truncated zip, views past their storage — and every truncation and many
 * single-byte changes of a real data.pkl: an error each, never a crash. */
#include "gabn-model-file.h"
#include "gabn-pickle.h"
#include "gabn-pth.h"
#include "gabn-safetensors.h"
#include "fixture-init.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <zip.h>

#define EVIL_MARKER "/tmp/gabn-pth-evil-ran"

static char *tmp_dir;

static char *
fixture_path (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "reference", "fixtures", "pth", name, NULL);
}

/* <name>.pth.gz.gz unpacked to <tmp>/<name>.pth. */
static char *
unpack (const char *name)
{
  g_autofree char *gz_name = g_strconcat (name, ".pth.gz.gz", NULL);
  g_autofree char *src_path = fixture_path (gz_name);
  g_autofree char *base = g_strconcat (name, ".pth", NULL);
  char *dst_path = g_build_filename (tmp_dir, base, NULL);
  g_autoptr(GFile) src = g_file_new_for_path (src_path);
  g_autoptr(GFile) dst = g_file_new_for_path (dst_path);
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) in = G_INPUT_STREAM (g_file_read (src, NULL, &error));
  g_autoptr(GOutputStream) out = NULL;
  g_autoptr(GZlibDecompressor) outer = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GZlibDecompressor) inner = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  g_autoptr(GInputStream) once = NULL, twice = NULL;

  g_assert_no_error (error);
  once = g_converter_input_stream_new (in, G_CONVERTER (outer));
  twice = g_converter_input_stream_new (once, G_CONVERTER (inner));
  out = G_OUTPUT_STREAM (g_file_replace (dst, NULL, FALSE, G_FILE_CREATE_NONE, NULL, &error));
  g_assert_no_error (error);
  g_output_stream_splice (out, twice, G_OUTPUT_STREAM_SPLICE_CLOSE_SOURCE
                          | G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);
  return dst_path;
}

static float *
ref_tensor (GabnSafetensors *st, const char *name, gsize *n)
{
  const GabnSafetensorsEntry *e = gabn_safetensors_find (st, name);
  float *data;

  if (e == NULL)
    g_error ("fixture lacks “%s”", name);
  data = g_new (float, MAX (e->numel, 1));
  gabn_safetensors_read (st, e, data);
  *n = e->numel;
  return data;
}

/* The script's sampling: every element up to 32, else 32 spread ones. */
static gsize
sample_index (gsize k, gsize numel)
{
  return numel <= 32 ? k : (gsize) (((guint64) k * 2654435761ull + 12345) % numel);
}

/* Every tensor of the checkpoint as torch.load read it; returns the
 * largest difference of a sampled value (0 expected: the same numbers). */
static double
compare_tensors (GabnPth *pth, GabnSafetensors *st)
{
  double worst = 0;
  guint compared = 0;

  for (guint i = 0; i < gabn_safetensors_n_entries (st); i++)
    {
      const GabnSafetensorsEntry *e = gabn_safetensors_entry (st, i);
      const char *name = e->name + 2;
      g_autofree char *sums_name = g_strconcat ("s.", name, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree float *got = NULL, *ref = NULL, *sums = NULL;
      const GabnPthTensor *t;
      double s0 = 0, s1 = 0, abs_sum = 0, diff = 0;
      gsize n, n_sums;
      int index;

      if (!g_str_has_prefix (e->name, "t."))
        continue;
      index = gabn_pth_find (pth, name);
      if (index < 0)
        g_error ("tensor “%s” not found", name);
      t = gabn_pth_tensor (pth, (guint) index);
      got = g_new (float, MAX (t->numel, 1));
      g_assert_true (gabn_pth_read (pth, (guint) index, got, &error));
      g_assert_no_error (error);
      ref = ref_tensor (st, e->name, &n);
      g_assert_cmpuint (n, ==, MIN (t->numel, 32));
      for (gsize k = 0; k < n; k++)
        diff = MAX (diff, fabs ((double) got[sample_index (k, t->numel)] - ref[k]));
      /* Checksums over all elements (float64 in the fixture). */
      {
        const GabnSafetensorsEntry *se = gabn_safetensors_find (st, sums_name);
        g_assert_nonnull (se);
        sums = ref_tensor (st, sums_name, &n_sums);
        g_assert_cmpuint (n_sums, ==, 2);
      }
      for (gsize k = 0; k < t->numel; k++)
        {
          s0 += got[k];
          s1 += got[k] * (1.0 + (double) (k % 13));
          abs_sum += fabs (got[k]) * 13;
        }
      /* The float64 sums went through float32 in the fixture. */
      if (fabs (s0 - sums[0]) > 1e-6 * abs_sum + 1e-6 || fabs (s1 - sums[1]) > 1e-6 * abs_sum + 1e-6)
        g_error ("tensor “%s”: checksums %.9g %.9g, PyTorch %.9g %.9g", name, s0, s1,
                 (double) sums[0], (double) sums[1]);
      worst = MAX (worst, diff);
      compared++;
    }
  g_assert_cmpuint (compared, ==, gabn_pth_n_tensors (pth));
  return worst;
}

/* Returns the unpacked checkpoint's path (the caller removes it). */
static char *
check_fixture (const char *name, const char *arch, int n_classes,
               const char *state_dict_key, const char *prefix)
{
  char *path = unpack (name);
  g_autofree char *expected_name = g_strconcat (name, ".expected.safetensors", NULL);
  g_autofree char *expected_path = fixture_path (expected_name);
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (expected_path, &error);
  g_autoptr(GabnPth) pth = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autofree float *input = NULL, *ref = NULL;
  GHashTable *st_meta;
  double diff, max_diff = 0, max_ref = 0;
  const float *emb;
  int batch, size;
  gsize n;

  g_assert_no_error (error);
  st_meta = gabn_safetensors_metadata (st);
  pth = gabn_pth_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (gabn_pth_n_tensors (pth), ==,
                    g_ascii_strtoull (g_hash_table_lookup (st_meta, "tensors"), NULL, 10));
  g_assert_cmpstr (gabn_pth_state_dict_key (pth), ==, state_dict_key);
  g_assert_cmpstr (gabn_pth_removed_prefix (pth), ==, prefix);
  diff = compare_tensors (pth, st);
  g_test_message ("%-16s %u tensors, max|diff| of the values %.3g", name,
                  gabn_pth_n_tensors (pth), diff);
  g_assert_cmpfloat (diff, ==, 0.0);

  /* The model, through the same call the CLI and the app use. */
  net = gabn_model_load (path, NULL, &meta, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gabn_net_arch (net), ==, arch);
  g_assert_cmpint (gabn_net_n_classes (net), ==, n_classes);
  g_assert_true (strstr (g_hash_table_lookup (meta, "imported"), "torch.save") != NULL);
  batch = (int) g_ascii_strtoll (g_hash_table_lookup (st_meta, "batch"), NULL, 10);
  size = gabn_net_input_size (net);
  input = g_new (float, (gsize) batch * 3 * size * size);
  fixture_input (input, g_ascii_strtoull (g_hash_table_lookup (st_meta, "seed"), NULL, 10), batch, size);
  gabn_net_forward (net, input, batch);
  emb = gabn_net_embeddings (net);
  ref = ref_tensor (st, "embeddings", &n);
  g_assert_cmpuint (n, ==, (gsize) batch * gabn_net_embedding_dim (net));
  for (gsize k = 0; k < n; k++)
    {
      max_diff = MAX (max_diff, fabs ((double) emb[k] - ref[k]));
      max_ref = MAX (max_ref, fabs (ref[k]));
    }
  g_test_message ("%-16s embeddings max|diff| %.3g (max|ref| %.3g, rel %.3g)", name, max_diff,
                  max_ref, max_diff / max_ref);
  g_assert_cmpfloat (max_diff, <=, 1e-4 * max_ref);
  return path;
}

static void
check_and_remove (const char *name, const char *arch, int n_classes,
                  const char *state_dict_key, const char *prefix)
{
  g_autofree char *path = check_fixture (name, arch, n_classes, state_dict_key, prefix);

  g_unlink (path);
}

static void
test_gabn_s (void)
{
  check_and_remove ("gabn-s", "gabn-s", 10, "", NULL);
}

static void
test_iresnet18 (void)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  GabnNet *net;

  path = check_fixture ("iresnet18", "iresnet18", 0, "", NULL);
  /* An explicit architecture that does not fit is named in the error. */
  net = gabn_model_load (path, "iresnet34", NULL, &error);
  g_assert_null (net);
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_assert_true (strstr (error->message, "iresnet18.pth") && strstr (error->message, "iresnet34"));
  g_test_message ("%s", error->message);
  g_unlink (path);
}

static void
test_module_prefix (void)
{
  check_and_remove ("gabn-s-module", "gabn-s", 10, "state_dict", "module.");
}

static void
test_half (void)
{
  check_and_remove ("gabn-s-half", "gabn-s", 10, "", NULL);
}

static void
test_strided (void)
{
  check_and_remove ("gabn-s-strided", "gabn-s", 10, "", NULL);
}

/* ---- Refused ------------------------------------------------------------ */

static void
test_refused (void)
{
  const struct { const char *file; int code; const char *says[3]; } cases[] = {
    { "evil-global.pth", GABN_ERROR_UNSUPPORTED, { "posix.system", "data.pkl: byte 180", "not allowed" } },
    { "evil-opcode.pth", GABN_ERROR_UNSUPPORTED, { "INST", "byte 10", "not allowed" } },
    { "unknown-opcode.pth", GABN_ERROR_INVALID_FILE, { "0xff", "byte 3", NULL } },
    { "legacy.pth", GABN_ERROR_UNSUPPORTED, { "legacy", "re-save", NULL } },
    { "truncated.pth", GABN_ERROR_INVALID_FILE, { "zip", NULL } },
    { "no-data-pkl.pth", GABN_ERROR_INVALID_FILE, { "data.pkl", NULL } },
    { "view-past-storage.pth", GABN_ERROR_INVALID_FILE, { "“w”", "reaches element 13", NULL } },
    { "storage-past-record.pth", GABN_ERROR_INVALID_FILE, { "“w”", "claims 1000 elements", NULL } },
    { "shape-overflow.pth", GABN_ERROR_INVALID_FILE, { "“w”", "too many elements", NULL } },
    { "missing-record.pth", GABN_ERROR_INVALID_FILE, { "“w”", "missing", NULL } },
  };

  g_unlink (EVIL_MARKER);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = fixture_path (cases[i].file);
      g_autoptr(GError) error = NULL;
      g_autoptr(GError) pth_error = NULL;
      g_autoptr(GabnNet) net = NULL;
      g_autoptr(GabnPth) pth = NULL;

      g_assert_true (gabn_pth_sniff (path));
      net = gabn_model_load (path, "gabn-s", NULL, &error);
      g_assert_null (net);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_error (error, GABN_ERROR, cases[i].code);
      g_assert_true (strstr (error->message, cases[i].file) != NULL);
      for (int k = 0; k < 3 && cases[i].says[k]; k++)
        if (strstr (error->message, cases[i].says[k]) == NULL)
          g_error ("“%s” does not say “%s”", error->message, cases[i].says[k]);
      pth = gabn_pth_open (path, &pth_error);
      g_assert_null (pth);
      g_assert_error (pth_error, GABN_ERROR, cases[i].code);
    }
  /* Nothing ran. */
  g_assert_false (g_file_test (EVIL_MARKER, G_FILE_TEST_EXISTS));
}

/* A tensor the architecture lacks, inside one of its modules: a larger
 * network, refused rather than loaded in part. */
static void
test_deeper (void)
{
  g_autofree char *path = unpack ("gabn-s-deeper");
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_model_load (path, NULL, NULL, &error);

  g_assert_null (net);
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_assert_true (strstr (error->message, "“backbone.21.weight” is not part of gabn-s") != NULL);
  g_test_message ("%s", error->message);
  g_unlink (path);
}

/* A zip cut anywhere is an error (libzip finds no central directory, or a
 * record ends early), never a crash. */
static void
test_truncations (void)
{
  g_autofree char *path = unpack ("gabn-s-half");
  g_autofree char *cut = g_build_filename (tmp_dir, "cut.pth", NULL);
  g_autofree char *bytes = NULL;
  gsize size;
  const double fractions[] = { 0, 0.001, 0.01, 0.3, 0.9, 0.999 };

  g_assert_true (g_file_get_contents (path, &bytes, &size, NULL));
  for (guint i = 0; i <= G_N_ELEMENTS (fractions); i++)
    {
      gsize len = i < G_N_ELEMENTS (fractions) ? (gsize) (fractions[i] * size) : size - 1;
      g_autoptr(GError) error = NULL;
      g_autoptr(GabnNet) net = NULL;

      g_assert_true (g_file_set_contents (cut, bytes, (gssize) len, NULL));
      net = gabn_model_load (cut, NULL, NULL, &error);
      g_assert_null (net);
      g_assert_nonnull (error);
      g_assert_true (strstr (error->message, "cut.pth") != NULL);
    }
  g_unlink (cut);
  g_unlink (path);
}

/* The data.pkl of a real checkpoint (lists, floats, None, int keys and
 * tensors): each prefix must be refused, and each single-byte change either
 * read or refused — no crash, no read past the buffer (run under ASan in
 * CI). */
static void
test_pickle_mutations (void)
{
  g_autofree char *path = unpack ("gabn-s-module");
  zip_t *zip = zip_open (path, ZIP_RDONLY, NULL);
  zip_stat_t zs;
  zip_file_t *file;
  g_autofree guint8 *pkl = NULL, *copy = NULL;
  g_autoptr(GabnPickle) good = NULL;
  g_autoptr(GError) error = NULL;
  guint refused = 0, read_ok = 0;

  g_assert_nonnull (zip);
  g_assert_cmpint (zip_stat (zip, "archive/data.pkl", 0, &zs), ==, 0);
  pkl = g_malloc (zs.size);
  file = zip_fopen (zip, "archive/data.pkl", 0);
  g_assert_cmpint (zip_fread (file, pkl, zs.size), ==, (zip_int64_t) zs.size);
  zip_fclose (file);
  zip_discard (zip);

  good = gabn_pickle_load (pkl, zs.size, path, "data.pkl", &error);
  g_assert_no_error (error);
  g_assert_cmpint (gabn_pickle_root (good)->kind, ==, GABN_PICKLE_DICT);
  g_assert_cmpint (gabn_pickle_dict_get (gabn_pickle_root (good), "epoch")->i, ==, 3);

  for (gsize len = 0; len < zs.size; len++)
    {
      g_autoptr(GError) e = NULL;
      copy = g_memdup2 (pkl, len);    /* exactly len bytes: ASan sees overreads */
      g_assert_null (gabn_pickle_load (copy, len, path, "data.pkl", &e));
      g_assert_nonnull (e);
      g_clear_pointer (&copy, g_free);
    }
  for (gsize at = 0; at < zs.size; at += 7)
    for (int v = 0; v < 3; v++)
      {
        static const guint8 values[] = { 0x00, 0xff, 0x80 };
        g_autoptr(GError) e = NULL;
        g_autoptr(GabnPickle) p = NULL;

        copy = g_memdup2 (pkl, zs.size);
        copy[at] = copy[at] == values[v] ? (guint8) (values[v] ^ 0x55) : values[v];
        p = gabn_pickle_load (copy, zs.size, path, "data.pkl", &e);
        g_assert_true ((p == NULL) == (e != NULL));
        if (p)
          read_ok++;
        else
          refused++;
        g_clear_pointer (&copy, g_free);
      }
  g_test_message ("data.pkl of %lu bytes: every prefix refused; of the byte changes %u read, "
                  "%u refused", (unsigned long) zs.size, read_ok, refused);
  g_assert_cmpuint (refused, >, 0);
  g_unlink (path);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("gabn-test-pth-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/pth/gabn-s", test_gabn_s);
  g_test_add_func ("/pth/iresnet18", test_iresnet18);
  g_test_add_func ("/pth/module-prefix", test_module_prefix);
  g_test_add_func ("/pth/float16", test_half);
  g_test_add_func ("/pth/strided", test_strided);
  g_test_add_func ("/pth/deeper", test_deeper);
  g_test_add_func ("/pth/refused", test_refused);
  g_test_add_func ("/pth/truncations", test_truncations);
  g_test_add_func ("/pth/pickle-mutations", test_pickle_mutations);
  status = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
