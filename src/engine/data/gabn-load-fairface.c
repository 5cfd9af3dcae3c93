/* gabn-load-fairface.c: FairFace: fairface_label_train.csv and
 * fairface_label_val.csv beside the train/ and val/ image folders, columns
 * file,age,gender,race,service_test (any order; service_test optional).
 * Race values contain spaces ("East Asian") and one underscore
 * ("Latino_Hispanic"): they are kept as written and become the groups.
 * There are no identities. */
#include "gabn-loaders.h"

#include <string.h>

static const char *const csv_names[] = { "fairface_label_train.csv", "fairface_label_val.csv" };
static const char *const required[] = { "file", "age", "gender", "race" };

/* Splits a CSV line (no embedded newlines; double quotes allowed). */
static GPtrArray *
csv_fields (const char *line)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func (g_free);
  GString *cur = g_string_new (NULL);
  gboolean quoted = FALSE;

  for (const char *p = line; *p; p++)
    {
      if (quoted)
        {
          if (*p == '"' && p[1] == '"')
            g_string_append_c (cur, *p++);
          else if (*p == '"')
            quoted = FALSE;
          else
            g_string_append_c (cur, *p);
        }
      else if (*p == '"')
        quoted = TRUE;
      else if (*p == ',')
        {
          g_ptr_array_add (fields, g_strdup (g_strstrip (cur->str)));
          g_string_truncate (cur, 0);
        }
      else
        g_string_append_c (cur, *p);
    }
  g_ptr_array_add (fields, g_strdup (g_strstrip (cur->str)));
  g_string_free (cur, TRUE);
  return fields;
}

/* "20-29" → 20, "more than 70" → 70, else −1. */
static int
parse_age (const char *s)
{
  while (*s && !g_ascii_isdigit (*s))
    s++;
  return *s ? (int) g_ascii_strtoll (s, NULL, 10) : -1;
}

static int
parse_gender (const char *s)
{
  if (g_ascii_strcasecmp (s, "Male") == 0)
    return 0;
  if (g_ascii_strcasecmp (s, "Female") == 0)
    return 1;
  return -1;
}

static gboolean
read_csv (GabnDatasetBuilder *b, const char *root, const char *file,
          const GabnLoadContext *ctx, GError **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) header = NULL;
  int col[G_N_ELEMENTS (required)];
  int n_lines;

  if (!g_file_get_contents (file, &contents, NULL, &local))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND, _("Cannot read “%s”: %s"), file,
                   local->message);
      return FALSE;
    }
  lines = g_strsplit (contents, "\n", -1);
  n_lines = g_strv_length (lines);
  if (n_lines == 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE, _("“%s” is empty"), file);
      return FALSE;
    }
  g_strchomp (lines[0]);
  header = csv_fields (lines[0]);
  for (gsize c = 0; c < G_N_ELEMENTS (required); c++)
    {
      col[c] = -1;
      for (guint h = 0; h < header->len; h++)
        if (g_ascii_strcasecmp (g_ptr_array_index (header, h), required[c]) == 0)
          col[c] = h;
      if (col[c] < 0)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                       _("“%s” has no column “%s” (its first line must name the columns "
                         "file,age,gender,race)"), file, required[c]);
          return FALSE;
        }
    }

  for (int l = 1; lines[l]; l++)
    {
      g_autoptr(GPtrArray) f = NULL;
      g_autofree char *path = NULL;
      const char *race;
      int group;

      g_strchomp (lines[l]);
      if (lines[l][0] == '\0')
        continue;
      if (l % 4096 == 0)
        {
          if (g_cancellable_is_cancelled (ctx->cancellable))
            {
              g_set_error_literal (error, GABN_ERROR, GABN_ERROR_CANCELLED, _("Cancelled"));
              return FALSE;
            }
          if (ctx->progress)
            ctx->progress ((double) l / n_lines, file, ctx->user_data);
        }
      f = csv_fields (lines[l]);
      if ((int) f->len != (int) header->len)
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("expected %u fields, found %u"),
                                     header->len, f->len);
          continue;
        }
      race = g_ptr_array_index (f, col[3]);
      if (race[0] == '\0')
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("no race label"));
          continue;
        }
      path = g_canonicalize_filename (g_ptr_array_index (f, col[0]), root);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("the image “%s” does not exist"),
                                     (const char *) g_ptr_array_index (f, col[0]));
          continue;
        }
      if (gabn_dataset_builder_find_image (b, path) >= 0)
        {
          gabn_dataset_builder_skip (b, file, l + 1, _("the image is listed twice"));
          continue;
        }
      group = gabn_dataset_builder_group (b, race);
      gabn_dataset_builder_image (b, path, group, -1,
                                  parse_age (g_ptr_array_index (f, col[1])),
                                  parse_gender (g_ptr_array_index (f, col[2])));
    }
  return TRUE;
}

GabnDataset *
gabn_load_fairface (const char *root, const GabnLoadContext *ctx, GError **error)
{
  g_autoptr(GabnDatasetBuilder) b = gabn_dataset_builder_new ("fairface", root);

  for (gsize i = 0; i < G_N_ELEMENTS (csv_names); i++)
    {
      g_autofree char *file = g_build_filename (root, csv_names[i], NULL);
      if (!g_file_test (file, G_FILE_TEST_EXISTS))
        continue;
      if (!read_csv (b, root, file, ctx, error))
        return NULL;
    }
  return gabn_dataset_builder_finish (b, error);
}
