/* gabn-pairs-file.c: reading a pairs.tsv file:
 *   path1 <TAB> path2 <TAB> same (1 or 0) [<TAB> fold 1–10]
 * Paths are relative to the dataset root (or absolute). Empty lines and
 * lines starting with '#' are ignored, and so is a first line whose third
 * field is not 0 or 1 (a header). Lines without a fold are spread over 10
 * folds in file order. Everything else that is wrong skips the line, with
 * the file, the line number and the reason. */
#include "gabn-loaders.h"

#include <glib/gi18n.h>
#include <string.h>

typedef struct {
  int a, b, line;
  gboolean same;
  int fold;  /* 0..9, or −1 when the line had none */
} ParsedPair;

static gboolean
parse_int (const char *s, int lo, int hi, int *out)
{
  gint64 v;
  char *end;

  s = g_strstrip ((char *) s);
  if (*s == '\0')
    return FALSE;
  v = g_ascii_strtoll (s, &end, 10);
  if (*end != '\0' || v < lo || v > hi)
    return FALSE;
  *out = (int) v;
  return TRUE;
}

static int
find_image (GabnDatasetBuilder *b, const char *root, const char *field,
            const char *file, int line, const char *what)
{
  g_autofree char *path = g_canonicalize_filename (g_strstrip ((char *) field), root);
  int index = gabn_dataset_builder_find_image (b, path);

  if (index < 0)
    gabn_dataset_builder_skip (b, file, line, g_file_test (path, G_FILE_TEST_EXISTS)
                               ? _("%s “%s” is not an image of the dataset")
                               : _("%s “%s” does not exist"), what, field);
  return index;
}

gboolean
gabn_read_pairs_tsv (GabnDatasetBuilder *b, const char *root, const char *file,
                     GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GArray) parsed = g_array_new (FALSE, FALSE, sizeof (ParsedPair));
  int n_without_fold = 0, k = 0;

  if (!g_file_get_contents (file, &contents, NULL, &local))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND, _("Cannot read the pairs file “%s”: %s"),
                   file, local->message);
      return FALSE;
    }
  lines = g_strsplit (contents, "\n", -1);
  for (int l = 0; lines[l]; l++)
    {
      char *text = lines[l];
      g_auto(GStrv) fields = NULL;
      guint n;
      ParsedPair p = { -1, -1, l + 1, FALSE, -1 };
      int same;

      g_strchomp (text); /* also drops a Windows \r */
      if (text[0] == '\0' || text[0] == '#')
        continue;
      fields = g_strsplit (text, "\t", -1);
      n = g_strv_length (fields);
      if (n < 3 || n > 4)
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("malformed line: expected "
                                     "path1<TAB>path2<TAB>same[<TAB>fold], found %u fields"), n);
          continue;
        }
      if (!parse_int (fields[2], 0, 1, &same))
        {
          if (parsed->len == 0 && l == 0)
            continue; /* a header line */
          gabn_dataset_builder_skip (b, file, l + 1,
                                     _("the third field must be 1 (same person) or 0 (different)"));
          continue;
        }
      p.same = same;
      if (n == 4 && !parse_int (fields[3], 1, 10, &p.fold))
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("the fold (fourth field) must be 1 to 10"));
          continue;
        }
      if (n == 4)
        p.fold--;
      p.a = find_image (b, root, fields[0], file, l + 1, _("the image"));
      if (p.a < 0)
        continue;
      p.b = find_image (b, root, fields[1], file, l + 1, _("the image"));
      if (p.b < 0)
        continue;
      if (p.a == p.b)
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("a pair of an image with itself"));
          continue;
        }
      if (p.same != (gabn_dataset_builder_image_identity (b, p.a)
                     == gabn_dataset_builder_image_identity (b, p.b)))
        {
          gabn_dataset_builder_skip (b, file, l + 1, p.same
                                     ? _("marked as the same person, but the images belong to different identities")
                                     : _("marked as different people, but the images belong to the same identity"));
          continue;
        }
      if (gabn_dataset_builder_has_pair (b, p.a, p.b))
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("duplicate pair"));
          continue;
        }
      /* has_pair only sees added pairs: add now, folds fixed below. */
      gabn_dataset_builder_pair (b, p.a, p.b, p.same, 0);
      if (p.fold < 0)
        n_without_fold++;
      g_array_append_val (parsed, p);
    }

  /* Folds: given ones as they are; missing ones in 10 blocks of the order. */
  {
    GabnPair *pairs = NULL;
    int first = gabn_dataset_builder_n_pairs (b) - parsed->len;
    pairs = gabn_dataset_builder_pairs (b);
    for (guint i = 0; i < parsed->len; i++)
      {
        ParsedPair *p = &g_array_index (parsed, ParsedPair, i);
        int fold = p->fold;
        if (fold < 0)
          fold = (int) ((gint64) (k++) * 10 / n_without_fold);
        pairs[first + i].fold = fold;
      }
  }
  return TRUE;
}
