/* test-hostile-sizes.c: files that claim sizes they do not have are refused
 * before anything is allocated for the claim (issue 14, part 4):
 * - safetensors shapes whose element count or byte count overflows, data
 *   offsets past the end, a tensor needing more bytes than the file holds,
 *   and class centres whose rows would make a small file claim a huge net;
 * - images whose header claims more than 8192 pixels a side.
 * meson runs it twice: as it is, and under `ulimit -v` (a virtual memory
 * limit far below what any claim here would allocate), where an allocation
 * made for a claim would abort the test instead of failing politely. */
#include "gabn-dataset.h"
#include "gabn-image.h"
#include "gabn-model-file.h"
#include "gabn-safetensors.h"

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char *dir;

/* A safetensors file: the given JSON header, then data_bytes of data.
 * The data is a hole (a sparse file): the claim is on disk, the bytes
 * cost nothing. */
static char *
write_safetensors (const char *name, const char *header, guint64 data_bytes)
{
  char *path = g_build_filename (dir, name, NULL);
  FILE *f = fopen (path, "wb");
  guint64 len = strlen (header);
  guint8 le[8];

  g_assert_nonnull (f);
  for (int b = 0; b < 8; b++)
    le[b] = (guint8) (len >> (8 * b));
  g_assert_cmpint (fwrite (le, 1, 8, f), ==, 8);
  g_assert_cmpint (fwrite (header, 1, len, f), ==, len);
  g_assert_cmpint (fflush (f), ==, 0);
  g_assert_cmpint (ftruncate (fileno (f), (off_t) (8 + len + data_bytes)), ==, 0);
  fclose (f);
  return path;
}

static void
refused (const char *path, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnSafetensors) st = gabn_safetensors_open (path, &error);
  g_autoptr(GabnNet) net = NULL;

  if (st != NULL)
    {
      /* The container is sound: the model reader must refuse it. */
      net = gabn_model_load (path, "gabn-s", NULL, &error);
      g_assert_null (net);
    }
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
  g_assert_nonnull (strstr (error->message, path));
}

static void
test_element_count_overflow (void)
{
  /* 2^30 · 2^30 · 16 = 2^64: wraps to 0 elements, matching 0 bytes. */
  g_autofree char *path = write_safetensors (
    "wrap.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[1073741824,1073741824,16],\"data_offsets\":[0,0]}}", 0);
  refused (path, "more elements than can be counted");
}

static void
test_byte_count_overflow (void)
{
  /* 2^62 elements fit a gsize; their F32 bytes (2^64) do not. */
  g_autofree char *path = write_safetensors (
    "bytes.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647],\"data_offsets\":[0,16]}}", 16);
  refused (path, "needs more bytes than the file");
}

static void
test_more_than_the_file (void)
{
  /* 4 GiB of F32 claimed, 64 bytes there. */
  g_autofree char *path = write_safetensors (
    "big.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[1073741824],\"data_offsets\":[0,4294967296]}}", 64);
  refused (path, "needs more bytes than the file");
}

static void
test_offsets_past_the_end (void)
{
  g_autofree char *path = write_safetensors (
    "past.safetensors",
    "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[9223372036854775000,9223372036854775016]}}", 16);
  refused (path, "file truncated");
}

static void
test_header_length_past_the_end (void)
{
  g_autofree char *path = g_build_filename (dir, "header.safetensors", NULL);
  const guint8 bytes[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, '{', '}' };
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, (const char *) bytes, sizeof bytes, NULL));
  g_assert_null (gabn_safetensors_open (path, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, "past the end"));
}

static void
test_narrow_class_centres (void)
{
  /* Every gabn-s tensor (zeros), plus 50 million class centres of one
   * float each: 200 MB of (sparse) data, which a gabn-s net would hold as
   * 50M × 128 floats, 25.6 GB. */
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = gabn_net_new ("gabn-s", 0, 1, &error);
  g_autoptr(GString) header = g_string_new ("{\"__metadata__\":{\"arch\":\"gabn-s\"}");
  g_autofree char *path = NULL;
  guint64 offset = 0;

  g_assert_no_error (error);
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      guint64 bytes = t->numel * (t->is_integer ? 8 : 4);

      g_string_append_printf (header, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[", t->name,
                              t->is_integer ? "I64" : "F32");
      for (int d = 0; d < t->ndim; d++)
        g_string_append_printf (header, "%s%d", d ? "," : "", (int) t->shape[d]);
      g_string_append_printf (header, "],\"data_offsets\":[%" G_GUINT64_FORMAT ",%"
                              G_GUINT64_FORMAT "]}", offset, offset + bytes);
      offset += bytes;
    }
  g_string_append_printf (header, ",\"arcface.weight\":{\"dtype\":\"F32\",\"shape\":"
                          "[50000000,1],\"data_offsets\":[%" G_GUINT64_FORMAT ",%"
                          G_GUINT64_FORMAT "]}}", offset, offset + 200000000);
  path = write_safetensors ("centres.safetensors", header->str, offset + 200000000);
  refused (path, "rows of 1");
}

/* ---- Images ----------------------------------------------------------- */

static void
chunk (GByteArray *png, const char *type, const guint8 *data, guint32 len)
{
  guint8 be[4] = { len >> 24, len >> 16, len >> 8, len };
  guint32 crc = crc32 (0, (const guint8 *) type, 4);

  crc = crc32 (crc, data, len);
  g_byte_array_append (png, be, 4);
  g_byte_array_append (png, (const guint8 *) type, 4);
  g_byte_array_append (png, data, len);
  be[0] = crc >> 24; be[1] = crc >> 16; be[2] = crc >> 8; be[3] = crc;
  g_byte_array_append (png, be, 4);
}

/* A valid PNG header (IHDR with its CRC) claiming w×h RGB pixels, followed
 * by one row of compressed data and the end: the decoder believes the size
 * until it runs out of data. */
static char *
write_claiming_png (const char *name, guint32 w, guint32 h)
{
  static const guint8 signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
  g_autoptr(GByteArray) png = g_byte_array_new ();
  guint8 ihdr[13] = { w >> 24, w >> 16, w >> 8, w, h >> 24, h >> 16, h >> 8, h, 8, 2, 0, 0, 0 };
  guint8 raw[64] = { 0 }, packed[128];
  uLongf packed_len = sizeof packed;
  char *path = g_build_filename (dir, name, NULL);

  g_assert_cmpint (compress (packed, &packed_len, raw, sizeof raw), ==, Z_OK);
  g_byte_array_append (png, signature, 8);
  chunk (png, "IHDR", ihdr, sizeof ihdr);
  chunk (png, "IDAT", packed, (guint32) packed_len);
  chunk (png, "IEND", NULL, 0);
  g_assert_true (g_file_set_contents (path, (const char *) png->data, png->len, NULL));
  return path;
}

static void
test_huge_image_claims (void)
{
  const guint32 sizes[][2] = { { 60000, 60000 }, { 9000, 16 }, { 16, 1000000 } };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *name = g_strdup_printf ("claims-%ux%u.png", sizes[i][0], sizes[i][1]);
      g_autofree char *path = write_claiming_png (name, sizes[i][0], sizes[i][1]);
      g_autofree char *reason = NULL;
      g_autoptr(GError) error = NULL;
      int w, h;

      g_assert_null (gabn_image_decode_reason (path, &w, &h, &reason));
      g_test_message ("%s: %s", name, reason);
      g_assert_nonnull (strstr (reason, "8192"));
      g_assert_null (gabn_image_decode (path, &w, &h, &error));
      g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
      g_assert_nonnull (strstr (error->message, name));
    }
}

/* The cap is a limit on claims, not on real images: an 8192-wide strip
 * still decodes. */
static void
test_largest_allowed_image (void)
{
  g_autofree char *path = g_build_filename (dir, "strip.png", NULL);
  g_autoptr(GdkPixbuf) strip = gdk_pixbuf_new (GDK_COLORSPACE_RGB, FALSE, 8, GABN_IMAGE_MAX_SIDE, 2);
  g_autofree guint8 *rgb = NULL;
  g_autoptr(GError) error = NULL;
  int w, h;

  gdk_pixbuf_fill (strip, 0x336699ff);
  g_assert_true (gdk_pixbuf_save (strip, path, "png", &error, NULL));
  rgb = gabn_image_decode (path, &w, &h, &error);
  g_assert_no_error (error);
  g_assert_cmpint (w, ==, GABN_IMAGE_MAX_SIDE);
  g_assert_cmpint (h, ==, 2);
  g_assert_cmpint (rgb[0], ==, 0x33);
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("gabn-hostile-XXXXXX", NULL);
  g_test_add_func ("/hostile/safetensors/element-count-overflow", test_element_count_overflow);
  g_test_add_func ("/hostile/safetensors/byte-count-overflow", test_byte_count_overflow);
  g_test_add_func ("/hostile/safetensors/more-than-the-file", test_more_than_the_file);
  g_test_add_func ("/hostile/safetensors/offsets-past-the-end", test_offsets_past_the_end);
  g_test_add_func ("/hostile/safetensors/header-length", test_header_length_past_the_end);
  g_test_add_func ("/hostile/safetensors/narrow-class-centres", test_narrow_class_centres);
  g_test_add_func ("/hostile/image/huge-claims", test_huge_image_claims);
  g_test_add_func ("/hostile/image/largest-allowed", test_largest_allowed_image);
  status = g_test_run ();
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);
        g_unlink (path);
      }
  }
  g_rmdir (dir);
  return status;
}
