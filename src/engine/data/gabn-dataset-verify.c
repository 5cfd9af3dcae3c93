/* gabn-dataset-verify.c: decode every image of a dataset once, so the
 * unreadable ones are known before a run rather than found during it. */
#include "gabn-dataset.h"
#include "gabn-data-util.h"
#include "gabn-parallel.h"

/* Images per gabn_parallel_for call: progress and cancel are checked
 * between blocks, from the calling thread. */
#define BLOCK 64
/* Decoding to a small size costs the same decode and little resizing. */
#define CHECK_SIZE 8

typedef struct {
  const GabnDataset *ds;
  int first;
} VerifyBlock;

static void
verify_range (int begin, int end, gpointer data)
{
  VerifyBlock *v = data;
  guint8 rgb[CHECK_SIZE * CHECK_SIZE * 3];

  /* A failure is recorded in the dataset by the load itself. */
  for (int i = begin; i < end; i++)
    gabn_dataset_load_rgb (v->ds, v->first + i, CHECK_SIZE, rgb, NULL);
}

int
gabn_dataset_verify (const GabnDataset *ds, GabnProgressFunc progress,
                     gpointer user_data, GCancellable *cancellable, GError **error)
{
  if (ds->pixels == NULL)
    for (int first = 0; first < ds->n_images; first += BLOCK)
      {
        VerifyBlock v = { ds, first };

        if (gabn_data_cancelled (cancellable, error))
          return -1;
        gabn_parallel_for (MIN (BLOCK, ds->n_images - first), verify_range, &v);
        if (progress)
          progress ((double) MIN (first + BLOCK, ds->n_images) / ds->n_images,
                    _("Checking images"), user_data);
      }
  return gabn_dataset_n_bad (ds);
}
