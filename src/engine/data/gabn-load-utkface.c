/* gabn-load-utkface.c: UTKFace: one flat folder of images named
 * [age]_[gender]_[race]_[date&time].jpg (or .jpg.chip.jpg), gender 0 male,
 * 1 female, race 0 White, 1 Black, 2 Asian, 3 Indian, 4 Others. A few files
 * lack a field: they are skipped and counted. No identities. */
#include "gabn-loaders.h"
#include "gabn-data-util.h"

static const char *const race_names[] = { "White", "Black", "Asian", "Indian", "Others" };

/* Parses the leading "age_gender_race_" of a file name. */
static gboolean
parse_name (const char *name, int *age, int *gender, int *race)
{
  int v[3];
  const char *p = name;

  for (int k = 0; k < 3; k++)
    {
      char *end;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v[k] = (int) g_ascii_strtoll (p, &end, 10);
      if (*end != '_')
        return FALSE;
      p = end + 1;
    }
  /* The fourth field, the date, must follow. */
  if (!g_ascii_isdigit (*p))
    return FALSE;
  *age = v[0];
  *gender = v[1];
  *race = v[2];
  return TRUE;
}


GabnDataset *
gabn_load_utkface (const char *root, const GabnLoadContext *ctx, GError **error)
{
  g_autoptr(GabnDatasetBuilder) b = gabn_dataset_builder_new ("utkface", root);
  g_autoptr(GPtrArray) files = gabn_list_dir (root, error);
  int groups[G_N_ELEMENTS (race_names)];

  if (files == NULL)
    return NULL;
  /* Groups in the dataset's own order, only those present. */
  for (gsize r = 0; r < G_N_ELEMENTS (race_names); r++)
    groups[r] = -1;
  for (int pass = 0; pass < 2; pass++)
    {
      if (pass == 1)
        for (gsize r = 0; r < G_N_ELEMENTS (race_names); r++)
          if (groups[r] > 0)
            groups[r] = gabn_dataset_builder_group (b, race_names[r]);
      for (guint i = 0; i < files->len; i++)
        {
          const char *name = g_ptr_array_index (files, i);
          g_autofree char *path = NULL;
          int age, gender, race;
          gboolean valid;

          if (!gabn_is_image_name (name))
            continue;
          valid = parse_name (name, &age, &gender, &race);
          valid = valid && race >= 0 && race < (int) G_N_ELEMENTS (race_names)
                  && gender >= 0 && gender <= 1;
          if (pass == 0)
            {
              if (valid)
                groups[race] = 1;
              continue;
            }
          if (i % 1024 == 0)
            {
              if (gabn_data_cancelled (ctx->cancellable, error))
                return NULL;
              if (ctx->progress)
                ctx->progress ((double) i / files->len, NULL, ctx->user_data);
            }
          path = g_build_filename (root, name, NULL);
          if (g_file_test (path, G_FILE_TEST_IS_DIR))
            continue;
          if (!valid)
            {
              gabn_dataset_builder_skip (b, path, 0, parse_name (name, &age, &gender, &race)
                                         ? _("race must be 0–4 and gender 0–1")
                                         : _("the file name lacks a field (expected age_gender_race_date.jpg)"));
              continue;
            }
          gabn_dataset_builder_image (b, path, groups[race], -1, age, gender);
        }
    }
  return gabn_dataset_builder_finish (b, error);
}
