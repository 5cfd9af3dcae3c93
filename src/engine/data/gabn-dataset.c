/* gabn-dataset.c: freeing a dataset and loading its images. Opening a
 * folder is gabn-dataset-open.c. */
#include "gabn-dataset.h"
#include "gabn-bad-images.h"
#include "gabn-image.h"

#include <glib/gi18n.h>

void
gabn_dataset_free (GabnDataset *ds)
{
  if (ds == NULL)
    return;
  for (int i = 0; i < ds->n_groups; i++)
    g_free (ds->groups[i].name);
  for (int i = 0; i < ds->n_identities; i++)
    g_free (ds->identities[i].name);
  for (int i = 0; i < ds->n_images; i++)
    g_free (ds->images[i].path);
  for (int i = 0; i < ds->n_skipped; i++)
    {
      g_free (ds->skipped[i].file);
      g_free (ds->skipped[i].reason);
    }
  g_free (ds->groups);
  g_free (ds->identities);
  g_free (ds->images);
  g_free (ds->pairs);
  g_free (ds->skipped);
  g_free (ds->pixels);
  g_free (ds->root);
  g_free (ds->format);
  g_free (ds->description);
  g_free (ds->synth);
  gabn_bad_images_destroy (ds->bad);
  g_free (ds);
}

gboolean
gabn_dataset_load_rgb (const GabnDataset *ds, int index, int size, guint8 *rgb,
                       GError **error)
{
  g_autofree guint8 *decoded = NULL;
  g_autofree char *reason = NULL;
  int w, h;

  if (index < 0 || index >= ds->n_images || size <= 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("No image %d in the dataset (it has %d)"), index, ds->n_images);
      return FALSE;
    }
  if (ds->pixels)
    {
      int ps = ds->pixel_size;
      gabn_image_resize (ds->pixels + (gsize) index * ps * ps * 3, ps, ps, ps * 3,
                         rgb, size, size);
      return TRUE;
    }
  if (ds->images[index].path == NULL)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                   _("Image %d of the dataset has no file"), index);
      return FALSE;
    }
  /* A file known to be bad fails at once, the same way. */
  reason = gabn_bad_images_lookup (ds->bad, index);
  if (reason == NULL)
    decoded = gabn_image_decode_reason (ds->images[index].path, &w, &h, &reason);
  if (decoded == NULL)
    {
      if (ds->bad)
        gabn_dataset_mark_bad (ds, index, reason);
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("Cannot read the image “%s”: %s"), ds->images[index].path, reason);
      return FALSE;
    }
  gabn_image_resize (decoded, w, h, w * 3, rgb, size, size);
  return TRUE;
}

gboolean
gabn_dataset_load_image (const GabnDataset *ds, int index,
                         const GabnPreprocess *pre, gboolean flip, float *chw,
                         GError **error)
{
  g_autofree guint8 *rgb = g_malloc ((gsize) pre->width * pre->width * 3);

  if (!gabn_dataset_load_rgb (ds, index, pre->width, rgb, error))
    return FALSE;
  gabn_image_to_input (rgb, pre, flip, chw);
  return TRUE;
}
