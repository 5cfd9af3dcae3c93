/* test-loaders.c: each real layout, built tiny by the test, read back with
 * the right counts, labels, pairs and skips; bad input gives errors that
 * name the file; nothing is written into the dataset folder. */
#include "gabn-dataset.h"
#include "data-fixtures.h"

/* The built-ins' preprocessing at a size (one call at a time). */
static const GabnPreprocess *
builtin_pre (int size)
{
  static GabnPreprocess pre;

  gabn_preprocess_init_builtin (&pre, size);
  return &pre;
}

static char *tmp_root;

static char *
new_root (const char *name)
{
  char *root = g_build_filename (tmp_root, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (root, 0755), ==, 0);
  return root;
}

static void
put_image (const char *root, const char *rel)
{
  g_autofree char *path = fixture_path (root, rel);
  fixture_image (path, 8, 6, 200, 100, 50);
}

static void
put_text (const char *root, const char *rel, const char *text)
{
  g_autofree char *path = fixture_path (root, rel);
  fixture_text (path, text);
}

/* Opens and checks that nothing was written meanwhile. */
static GabnDataset *
open_readonly (const char *root, const char *pairs, GError **error)
{
  gint64 e0 = 0, m0 = 0, e1 = 0, m1 = 0;
  GabnDataset *ds;

  fixture_fingerprint (root, &e0, &m0);
  ds = gabn_dataset_open (root, pairs, NULL, NULL, NULL, error);
  fixture_fingerprint (root, &e1, &m1);
  g_assert_cmpint (e0, ==, e1);
  g_assert_cmpint (m0, ==, m1);
  return ds;
}

static gboolean
has_skip (const GabnDataset *ds, const char *file_suffix, int line, const char *reason_part)
{
  for (int i = 0; i < ds->n_skipped; i++)
    if (g_str_has_suffix (ds->skipped[i].file, file_suffix) && ds->skipped[i].line == line
        && strstr (ds->skipped[i].reason, reason_part))
      return TRUE;
  return FALSE;
}

static int
find_image (const GabnDataset *ds, const char *suffix)
{
  for (int i = 0; i < ds->n_images; i++)
    if (g_str_has_suffix (ds->images[i].path, suffix))
      return i;
  return -1;
}

static void
test_generic (void)
{
  g_autofree char *root = new_root ("generic");
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  const char *images[] = {
    "Alpha/ann/1.png", "Alpha/ann/2.jpg", "Alpha/bob/1.png", "Alpha/bob/2.png",
    "Alpha/bob/3.png", "Beta/cy/a.png", "Beta/cy/b.png", "Beta/dee/a.png", NULL
  };
  float chw[3 * 4 * 4];

  for (int i = 0; images[i]; i++)
    put_image (root, images[i]);
  put_text (root, "Alpha/bob/notes.txt", "not an image");
  put_image (root, "Beta/loose.png");
  {
    g_autofree char *empty_id = fixture_path (root, "Beta/empty");
    g_autofree char *empty_group = fixture_path (root, "Gamma");
    g_mkdir_with_parents (empty_id, 0755);
    g_mkdir_with_parents (empty_group, 0755);
  }
  put_text (root, "README.md", "top-level files are ignored");
  put_text (root, "pairs.tsv",
            "path1\tpath2\tsame\n"                      /* 1: header */
            "Alpha/ann/1.png\tAlpha/ann/2.jpg\t1\t1\n"   /* 2: genuine, fold 1 */
            "Alpha/ann/1.png\tAlpha/bob/1.png\t0\t2\n"   /* 3: impostor, fold 2 */
            "Alpha/ann/1.png\tAlpha/zed/1.png\t0\t2\n"   /* 4: missing image */
            "Alpha/ann/1.png\n"                          /* 5: malformed */
            "Beta/cy/a.png\tBeta/cy/b.png\tmaybe\n"      /* 6: bad same */
            "Beta/cy/a.png\tBeta/dee/a.png\t1\n"         /* 7: inconsistent */
            "Beta/cy/a.png\tBeta/cy/b.png\t1\t11\n"      /* 8: bad fold */
            "\n# a comment\n"
            "Beta/cy/a.png\tBeta/dee/a.png\t0\t10\r\n"   /* 11: impostor, fold 10, CRLF */
            "Alpha/ann/2.jpg\tAlpha/ann/1.png\t1\t3\n"); /* 12: duplicate of line 2 */

  ds = open_readonly (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format, ==, "generic");
  g_assert_cmpint (ds->n_groups, ==, 2);
  g_assert_cmpstr (ds->groups[0].name, ==, "Alpha");
  g_assert_cmpint (ds->groups[0].n_identities, ==, 2);
  g_assert_cmpint (ds->groups[0].n_images, ==, 5);
  g_assert_cmpstr (ds->groups[1].name, ==, "Beta");
  g_assert_cmpint (ds->groups[1].n_identities, ==, 2);
  g_assert_cmpint (ds->groups[1].n_images, ==, 3);
  g_assert_cmpint (ds->n_identities, ==, 4);
  g_assert_cmpint (ds->n_images, ==, 8);
  for (int i = 0; i < ds->n_identities; i++)
    for (int k = 0; k < ds->identities[i].n_images; k++)
      {
        const GabnImage *im = &ds->images[ds->identities[i].first_image + k];
        g_assert_cmpint (im->identity, ==, i);
        g_assert_cmpint (im->group, ==, ds->identities[i].group);
        g_assert_true (g_path_is_absolute (im->path));
      }
  g_assert_cmpstr (ds->identities[find_image (ds, "bob/3.png") >= 0
                                  ? ds->images[find_image (ds, "bob/3.png")].identity : 0].name, ==, "bob");

  g_assert_cmpint (ds->n_pairs, ==, 3);
  g_assert_cmpint (ds->pairs[0].a, ==, find_image (ds, "Alpha/ann/1.png"));
  g_assert_cmpint (ds->pairs[0].b, ==, find_image (ds, "Alpha/ann/2.jpg"));
  g_assert_true (ds->pairs[0].same);
  g_assert_cmpint (ds->pairs[0].fold, ==, 0);
  g_assert_false (ds->pairs[1].same);
  g_assert_cmpint (ds->pairs[1].fold, ==, 1);
  g_assert_cmpint (ds->pairs[2].fold, ==, 9);

  g_assert_true (has_skip (ds, "pairs.tsv", 4, "does not exist"));
  g_assert_true (has_skip (ds, "pairs.tsv", 5, "malformed"));
  g_assert_true (has_skip (ds, "pairs.tsv", 6, "third field"));
  g_assert_true (has_skip (ds, "pairs.tsv", 7, "different identities"));
  g_assert_true (has_skip (ds, "pairs.tsv", 8, "fold"));
  g_assert_true (has_skip (ds, "pairs.tsv", 12, "duplicate"));
  g_assert_true (has_skip (ds, "Alpha/bob/notes.txt", 0, "not an image"));
  g_assert_true (has_skip (ds, "Beta/loose.png", 0, "outside an identity"));
  g_assert_true (has_skip (ds, "Beta/empty", 0, "no images"));
  g_assert_true (has_skip (ds, "Gamma", 0, "no images"));
  g_assert_cmpint (ds->n_skipped, ==, 10);

  /* The pixels: a flat (200, 100, 50) image, resized to 4×4 and flipped. */
  g_assert_true (gabn_dataset_load_image (ds, find_image (ds, "bob/1.png"), builtin_pre (4), TRUE, chw, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 16; i++)
    {
      g_assert_cmpfloat_with_epsilon (chw[i], (200 - 127.5f) / 127.5f, 1e-6);
      g_assert_cmpfloat_with_epsilon (chw[16 + i], (100 - 127.5f) / 127.5f, 1e-6);
      g_assert_cmpfloat_with_epsilon (chw[32 + i], (50 - 127.5f) / 127.5f, 1e-6);
    }

  /* An explicit pairs file replaces pairs.tsv. */
  put_text (tmp_root, "other-pairs.tsv", "Beta/cy/a.png\tBeta/cy/b.png\t1\n");
  {
    g_autofree char *other = fixture_path (tmp_root, "other-pairs.tsv");
    g_autoptr(GabnDataset) ds2 = open_readonly (root, other, &error);
    g_assert_no_error (error);
    g_assert_cmpint (ds2->n_pairs, ==, 1);
    g_assert_true (ds2->pairs[0].same);
    g_assert_cmpint (ds2->images[ds2->pairs[0].a].group, ==, 1);
  }
}

static void
test_bad_images (void)
{
  g_autofree char *root = new_root ("bad-images");
  g_autofree char *jpeg = fixture_path (root, "G/id/broken.jpg");
  g_autofree char *fake = fixture_path (root, "G/id/fake.png");
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  float chw[3 * 8 * 8];
  int broken, faked;

  put_image (root, "G/id/good.png");
  fixture_image (jpeg, 64, 64, 10, 20, 30);
  /* Truncate the JPEG to its first 200 bytes. */
  g_assert_true (g_file_get_contents (jpeg, &contents, &length, NULL));
  g_assert_true (g_file_set_contents (jpeg, contents, MIN (length, 200), NULL));
  fixture_text (fake, "this is text, not a PNG");

  ds = open_readonly (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds->n_images, ==, 3);
  broken = find_image (ds, "broken.jpg");
  faked = find_image (ds, "fake.png");
  g_assert_true (gabn_dataset_load_image (ds, find_image (ds, "good.png"), builtin_pre (8), FALSE, chw, &error));
  g_assert_false (gabn_dataset_load_image (ds, faked, builtin_pre (8), FALSE, chw, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
  g_assert_nonnull (strstr (error->message, fake));
  g_clear_error (&error);
  /* A truncated JPEG either fails naming the file or decodes what is there
   * (GdkPixbuf's choice); it must never crash. */
  if (!gabn_dataset_load_image (ds, broken, builtin_pre (8), FALSE, chw, &error))
    {
      g_assert_nonnull (strstr (error->message, jpeg));
      g_clear_error (&error);
    }
  g_assert_false (gabn_dataset_load_image (ds, ds->n_images, builtin_pre (8), FALSE, chw, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT);
}

static void
test_rfw (void)
{
  g_autofree char *root = new_root ("RFW");
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  int first_african_m01 = -1, asian_m01 = -1;

  put_image (root, "test/data/African/m.01/m.01_0001.jpg");
  put_image (root, "test/data/African/m.01/m.01_0002.jpg");
  put_image (root, "test/data/African/m.02/m.02_0001.jpg");
  put_image (root, "test/data/African/m.02/m.02_0002.jpg");
  put_image (root, "test/data/African/m.03/m.03_0001.jpg");
  put_image (root, "test/data/Asian/m.01/m.01_0001.jpg");
  put_image (root, "test/data/Asian/m.05/m.05_0001.jpg");
  put_text (root, "test/txts/African/African_people.txt", "m.01\t2\n");
  put_text (root, "test/txts/African/African_pairs.txt",
            "10\t1\n"                      /* 1: header: folds of 1 + 1 lines */
            "m.01\t1\t2\n"                 /* 2: genuine, fold 0 */
            "m.01\t1\tm.02\t2\n"           /* 3: impostor, fold 0 */
            "m.02\t1\t2\n"                 /* 4: genuine, fold 1 */
            "m.02\t1\tm.09\t1\n"           /* 5: impostor naming a missing image */
            "m.03 1 m.01 2\n"              /* 6: space-separated impostor, fold 2 */
            "m.01\tx\t2\n"                 /* 7: not a number */
            "m.01\n");                     /* 8: malformed */
  /* No Asian pairs file. */

  ds = open_readonly (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format, ==, "rfw");
  g_assert_cmpint (ds->n_groups, ==, 2);
  g_assert_cmpstr (ds->groups[0].name, ==, "African");
  g_assert_cmpint (ds->groups[0].n_identities, ==, 3);
  g_assert_cmpint (ds->groups[1].n_identities, ==, 2);
  g_assert_cmpint (ds->n_images, ==, 7);
  /* m.01 in two races: two identities. */
  for (int i = 0; i < ds->n_identities; i++)
    if (g_str_equal (ds->identities[i].name, "m.01"))
      {
        if (ds->identities[i].group == 0)
          first_african_m01 = i;
        else
          asian_m01 = i;
      }
  g_assert_cmpint (first_african_m01, >=, 0);
  g_assert_cmpint (asian_m01, >=, 0);
  g_assert_cmpint (first_african_m01, !=, asian_m01);

  g_assert_cmpint (ds->n_pairs, ==, 4);
  g_assert_true (ds->pairs[0].same);
  g_assert_cmpint (ds->pairs[0].a, ==, find_image (ds, "African/m.01/m.01_0001.jpg"));
  g_assert_cmpint (ds->pairs[0].b, ==, find_image (ds, "African/m.01/m.01_0002.jpg"));
  g_assert_cmpint (ds->pairs[0].fold, ==, 0);
  g_assert_false (ds->pairs[1].same);
  g_assert_cmpint (ds->pairs[1].b, ==, find_image (ds, "African/m.02/m.02_0002.jpg"));
  g_assert_cmpint (ds->pairs[1].fold, ==, 0);
  g_assert_cmpint (ds->pairs[2].fold, ==, 1);
  g_assert_false (ds->pairs[3].same);
  g_assert_cmpint (ds->pairs[3].a, ==, find_image (ds, "African/m.03/m.03_0001.jpg"));
  g_assert_cmpint (ds->pairs[3].fold, ==, 2);
  g_assert_true (has_skip (ds, "African_pairs.txt", 5, "not in the dataset"));
  g_assert_true (has_skip (ds, "African_pairs.txt", 7, "not an image number"));
  g_assert_true (has_skip (ds, "African_pairs.txt", 8, "malformed"));
  g_assert_true (has_skip (ds, "Asian_pairs.txt", 0, "no pairs file"));
  g_assert_cmpint (ds->n_skipped, ==, 4);

  /* Opening the test folder itself finds the same dataset. */
  {
    g_autofree char *test_dir = fixture_path (root, "test");
    g_autoptr(GabnDataset) ds2 = open_readonly (test_dir, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (ds2->format, ==, "rfw");
    g_assert_cmpint (ds2->n_pairs, ==, 4);
  }
}

static void
test_bupt (void)
{
  g_autofree char *root = new_root ("BUPT");
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;

  put_image (root, "African/m.0a/1.jpg");
  put_image (root, "African/m.0a/2.jpg");
  put_image (root, "Asian/m.0b/1.jpg");
  put_image (root, "Caucasian/m.0c/1.jpg");
  put_image (root, "Caucasian/m.0d/1.jpg");
  put_image (root, "Indian/m.0e/1.jpg");
  ds = open_readonly (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format, ==, "bupt");
  g_assert_cmpint (ds->n_groups, ==, 4);
  g_assert_cmpstr (ds->groups[2].name, ==, "Caucasian");
  g_assert_cmpint (ds->groups[2].n_identities, ==, 2);
  g_assert_cmpint (ds->n_identities, ==, 5);
  g_assert_cmpint (ds->n_images, ==, 6);
  g_assert_cmpint (ds->n_pairs, ==, 0);
}

static void
test_fairface (void)
{
  g_autofree char *root = new_root ("FairFace");
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  int i;

  put_image (root, "train/1.jpg");
  put_image (root, "train/2.jpg");
  put_image (root, "train/3.jpg");
  put_image (root, "val/1.jpg");
  put_text (root, "fairface_label_train.csv",
            "file,age,gender,race,service_test\n"
            "train/1.jpg,50-59,Male,East Asian,True\n"
            "train/2.jpg,more than 70,Female,Latino_Hispanic,False\n"
            "train/3.jpg,3-9,Female,East Asian,True\n"
            "train/4.jpg,20-29,Male,White,True\n"       /* line 5: missing image */
            "train/1.jpg,20-29\n");                     /* line 6: too few fields */
  put_text (root, "fairface_label_val.csv",
            "file,age,gender,race,service_test\n"
            "val/1.jpg,20-29,Male,Black,False\n");
  ds = open_readonly (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format, ==, "fairface");
  g_assert_cmpint (ds->n_identities, ==, 0);
  g_assert_cmpint (ds->n_images, ==, 4);
  g_assert_cmpint (ds->n_groups, ==, 3);
  g_assert_cmpstr (ds->groups[0].name, ==, "East Asian");
  g_assert_cmpint (ds->groups[0].n_images, ==, 2);
  g_assert_cmpstr (ds->groups[1].name, ==, "Latino_Hispanic");
  g_assert_cmpstr (ds->groups[2].name, ==, "Black");
  i = find_image (ds, "train/2.jpg");
  g_assert_cmpint (ds->images[i].age, ==, 70);
  g_assert_cmpint (ds->images[i].gender, ==, 1);
  g_assert_cmpint (ds->images[i].identity, ==, -1);
  g_assert_cmpint (ds->images[find_image (ds, "train/1.jpg")].age, ==, 50);
  g_assert_cmpint (ds->images[find_image (ds, "train/1.jpg")].gender, ==, 0);
  g_assert_true (has_skip (ds, "fairface_label_train.csv", 5, "does not exist"));
  g_assert_true (has_skip (ds, "fairface_label_train.csv", 6, "fields"));
  g_assert_cmpint (ds->n_skipped, ==, 2);

  /* A CSV without the race column: an error naming file and column. */
  {
    g_autofree char *bad = new_root ("FairFaceBad");
    g_autoptr(GabnDataset) none = NULL;
    put_text (bad, "fairface_label_val.csv", "file,age,gender\nval/1.jpg,3-9,Male\n");
    none = open_readonly (bad, NULL, &error);
    g_assert_null (none);
    g_assert_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE);
    g_assert_nonnull (strstr (error->message, "fairface_label_val.csv"));
    g_assert_nonnull (strstr (error->message, "race"));
  }
}

static void
test_utkface (void)
{
  g_autofree char *root = new_root ("UTKFace");
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  int i;

  put_image (root, "25_0_2_20170116174525125.jpg.chip.jpg");
  put_image (root, "30_1_0_20170117.jpg");
  put_image (root, "61_1_0_20170109.jpg");
  put_image (root, "8_0_4_20170103.jpg");
  put_image (root, "39_1_20170116174525125.jpg.chip.jpg"); /* no race field */
  put_image (root, "40_0_7_20170116.jpg");                  /* race out of range */
  ds = open_readonly (root, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format, ==, "utkface");
  g_assert_cmpint (ds->n_images, ==, 4);
  g_assert_cmpint (ds->n_groups, ==, 3);
  g_assert_cmpstr (ds->groups[0].name, ==, "White");
  g_assert_cmpint (ds->groups[0].n_images, ==, 2);
  g_assert_cmpstr (ds->groups[1].name, ==, "Asian");
  g_assert_cmpstr (ds->groups[2].name, ==, "Others");
  i = find_image (ds, "25_0_2_20170116174525125.jpg.chip.jpg");
  g_assert_cmpint (ds->images[i].age, ==, 25);
  g_assert_cmpint (ds->images[i].gender, ==, 0);
  g_assert_cmpstr (ds->groups[ds->images[i].group].name, ==, "Asian");
  g_assert_true (has_skip (ds, "39_1_20170116174525125.jpg.chip.jpg", 0, "lacks a field"));
  g_assert_true (has_skip (ds, "40_0_7_20170116.jpg", 0, "race must be"));
  g_assert_cmpint (ds->n_skipped, ==, 2);
}

static void
test_wrong_layout (void)
{
  g_autofree char *root = new_root ("NotADataset");
  g_autofree char *missing = fixture_path (tmp_root, "does-not-exist");
  g_autofree char *file = fixture_path (root, "notes.txt");
  g_autofree char *only_empty = new_root ("OnlyEmptyGroups");
  g_autoptr(GError) error = NULL;

  put_text (root, "notes.txt", "hello");
  g_assert_null (open_readonly (root, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "RFW"));
  g_assert_nonnull (strstr (error->message, "generic"));
  g_clear_error (&error);

  g_assert_null (gabn_dataset_open (missing, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_null (gabn_dataset_open (file, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Group folders without a single image: nothing usable. */
  {
    g_autofree char *a = fixture_path (only_empty, "A/x");
    g_mkdir_with_parents (a, 0755);
  }
  g_assert_null (open_readonly (only_empty, NULL, &error));
  g_assert_nonnull (error);
}

static void
record_progress (double fraction, const char *message, gpointer user_data)
{
  GArray *seen = user_data;
  g_array_append_val (seen, fraction);
}

static void
test_progress (void)
{
  g_autofree char *root = new_root ("progress");
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;

  put_image (root, "G1/a/1.png");
  put_image (root, "G2/b/1.png");
  ds = gabn_dataset_open (root, NULL, record_progress, seen, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, >=, 2);
  for (guint i = 0; i < seen->len; i++)
    {
      g_assert_cmpfloat (g_array_index (seen, double, i), >=, 0.0);
      g_assert_cmpfloat (g_array_index (seen, double, i), <=, 1.0);
      if (i > 0)
        g_assert_cmpfloat (g_array_index (seen, double, i), >=, g_array_index (seen, double, i - 1));
    }
  g_assert_cmpfloat (g_array_index (seen, double, seen->len - 1), ==, 1.0);
}

static void
test_cancel (void)
{
  g_autofree char *root = new_root ("cancel");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;

  put_image (root, "G/a/1.png");
  g_cancellable_cancel (cancellable);
  g_assert_null (gabn_dataset_open (root, NULL, NULL, NULL, cancellable, &error));
  g_assert_error (error, GABN_ERROR, GABN_ERROR_CANCELLED);
}

static void
test_olivetti (void)
{
  g_autofree char *path = fixture_olivetti ();
  g_autoptr(GabnDataset) ds = NULL;
  g_autoptr(GError) error = NULL;
  float chw[3 * 64 * 64];

  ds = open_readonly (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ds->format, ==, "generic");
  g_assert_cmpint (ds->n_groups, ==, 1);
  g_assert_cmpint (ds->n_identities, ==, 40);
  g_assert_cmpint (ds->n_images, ==, 400);
  /* Grey PNG: three equal channels. */
  g_assert_true (gabn_dataset_load_image (ds, 0, builtin_pre (64), FALSE, chw, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 64 * 64; i++)
    {
      g_assert_cmpfloat (chw[i], ==, chw[64 * 64 + i]);
      g_assert_cmpfloat (chw[i], ==, chw[2 * 64 * 64 + i]);
    }
}

int
main (int argc, char **argv)
{
  int result;
  g_autoptr(GError) error = NULL;

  g_test_init (&argc, &argv, NULL);
  tmp_root = g_dir_make_tmp ("gabn-test-loaders-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/loaders/generic", test_generic);
  g_test_add_func ("/loaders/bad-images", test_bad_images);
  g_test_add_func ("/loaders/rfw", test_rfw);
  g_test_add_func ("/loaders/bupt", test_bupt);
  g_test_add_func ("/loaders/fairface", test_fairface);
  g_test_add_func ("/loaders/utkface", test_utkface);
  g_test_add_func ("/loaders/wrong-layout", test_wrong_layout);
  g_test_add_func ("/loaders/cancel", test_cancel);
  g_test_add_func ("/loaders/progress", test_progress);
  g_test_add_func ("/loaders/olivetti", test_olivetti);
  result = g_test_run ();
  fixture_remove (tmp_root);
  g_free (tmp_root);
  return result;
}
