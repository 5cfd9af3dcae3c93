/* gabn-mean-faces.c: per-group pixel means, accumulated in doubles. */
#include "config.h"
#include "gabn-mean-faces.h"

#include <math.h>

struct _GabnMeanFaces
{
  int     n_groups, size;
  double *sum;     /* n_groups × size² × 3 */
  int    *count;   /* n_groups */
  guint8 *rgb;     /* one decoded face */
};

GabnMeanFaces *
gabn_mean_faces_new (int n_groups, int size)
{
  GabnMeanFaces *faces = g_new0 (GabnMeanFaces, 1);

  faces->n_groups = MAX (0, n_groups);
  faces->size = size;
  faces->sum = g_new0 (double, (gsize) MAX (1, faces->n_groups) * size * size * 3);
  faces->count = g_new0 (int, MAX (1, faces->n_groups));
  faces->rgb = g_new (guint8, (gsize) size * size * 3);
  return faces;
}

void
gabn_mean_faces_free (GabnMeanFaces *faces)
{
  if (faces == NULL)
    return;
  g_free (faces->sum);
  g_free (faces->count);
  g_free (faces->rgb);
  g_free (faces);
}

gboolean
gabn_mean_faces_add (GabnMeanFaces *faces, const GabnDataset *ds, int image)
{
  gsize n = (gsize) faces->size * faces->size * 3;
  int g = image >= 0 && image < ds->n_images ? ds->images[image].group : -1;
  double *sum;

  if (g < 0 || g >= faces->n_groups || !gabn_dataset_load_rgb (ds, image, faces->size, faces->rgb, NULL))
    return FALSE;
  sum = faces->sum + (gsize) g * n;
  for (gsize i = 0; i < n; i++)
    sum[i] += faces->rgb[i];
  faces->count[g]++;
  return TRUE;
}

int
gabn_mean_faces_count (const GabnMeanFaces *faces, int g)
{
  return g >= 0 && g < faces->n_groups ? faces->count[g] : 0;
}

guint8 *
gabn_mean_faces_finish (const GabnMeanFaces *faces)
{
  gsize n = (gsize) faces->size * faces->size * 3;
  guint8 *out = g_new0 (guint8, MAX (1, faces->n_groups) * n);

  for (int g = 0; g < faces->n_groups; g++)
    for (gsize i = 0; faces->count[g] > 0 && i < n; i++)
      out[(gsize) g * n + i] = (guint8) lround (faces->sum[(gsize) g * n + i] / faces->count[g]);
  return out;
}

guint8 *
gabn_mean_faces_of_groups (const GabnDataset *ds, int size, int per_group,
                           GCancellable *cancellable)
{
  g_autoptr(GabnMeanFaces) faces = gabn_mean_faces_new (ds->n_groups, size);

  for (int i = 0; i < ds->n_images && !g_cancellable_is_cancelled (cancellable); i++)
    {
      int g = ds->images[i].group;

      if (g >= 0 && g < ds->n_groups && faces->count[g] < per_group)
        gabn_mean_faces_add (faces, ds, i);
    }
  return gabn_mean_faces_finish (faces);
}
