/* fuzz-utkface-names.c: UTKFace's age_gender_race_date file names. Each
 * input line (at most 64, made safe as a file name) becomes an empty file
 * in a fresh folder, which the UTKFace loader reads.
 * Covers: src/engine/data/gabn-load-utkface.c */
#include "fuzz-common.h"
#include "gabn-loaders.h"

#include <string.h>

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *dir = g_build_filename (fuzz_tmp_dir (), "utkface", NULL);
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnDataset) ds = NULL;
  GabnLoadContext ctx = { NULL, NULL, NULL };

  fuzz_remove_tree (dir);
  g_mkdir_with_parents (dir, 0700);
  /* g_strndup stops at a NUL: names cannot hold one anyway. */
  lines = g_strsplit (text, "\n", 65);
  for (int i = 0; lines[i] && i < 64; i++)
    {
      char *name = g_strdelimit (lines[i], "/", '_');
      if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      if (strlen (name) > 200)
        name[200] = '\0';
      fuzz_touch (dir, name);
    }
  ds = gabn_load_utkface (dir, &ctx, &error);
  g_assert ((ds != NULL) == (error == NULL));
  for (int i = 0; ds && i < ds->n_images; i++)
    g_assert (ds->images[i].group >= 0 && ds->images[i].group < ds->n_groups
              && ds->images[i].gender >= 0 && ds->images[i].gender <= 1);
  return 0;
}
