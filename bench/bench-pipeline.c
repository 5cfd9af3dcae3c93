/* bench-pipeline.c: images/s of the training input pipeline — PNG decode,
 * bilinear resize, normalisation (and flip) — on an on-disk synthetic set.
 *
 *   bench-pipeline [--threads N] [--source PX] [--input PX] [--identities N]
 *
 * Writes a synthetic dataset (PNG, source×source pixels) into a temporary
 * folder, then times: the batcher with its cache off (every image decoded),
 * the batcher's second epoch with the cache on, and the synchronous
 * gabn_dataset_load_images. Removes the folder at the end. */
#include "gabn-batcher.h"
#include "gabn-dataset.h"
#include "gabn-synth.h"

#include <glib/gstdio.h>
#include <stdio.h>

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;
  if (dir)
    {
      while ((name = g_dir_read_name (dir)))
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (g_file_test (child, G_FILE_TEST_IS_DIR))
            remove_tree (child);
          else
            g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

/* Pulls `batches` batches and returns images/s. */
static double
time_batches (GabnBatcher *b, int batches, int batch_size)
{
  g_autoptr(GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  for (int k = 0; k < batches; k++)
    {
      GabnBatch *batch = gabn_batcher_next (b, NULL, &error);
      if (batch == NULL)
        {
          g_printerr ("bench-pipeline: %s\n", error->message);
          return 0;
        }
      gabn_batcher_release (b, batch);
    }
  return (double) batches * batch_size / ((g_get_monotonic_time () - start) / 1e6);
}

int
main (int argc, char **argv)
{
  int threads = 2, source = 112, input = 64, identities = 50;
  GOptionEntry entries[] = {
    { "threads", 'j', 0, G_OPTION_ARG_INT, &threads, "Decoding threads (default 2)", "N" },
    { "source", 0, 0, G_OPTION_ARG_INT, &source, "Size of the PNG files (default 112)", "PX" },
    { "input", 0, 0, G_OPTION_ARG_INT, &input, "Network input size (default 64)", "PX" },
    { "identities", 0, 0, G_OPTION_ARG_INT, &identities, "Identities per group (default 50)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— input pipeline throughput");
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL, *dir = NULL;
  g_autoptr(GabnDataset) ds = NULL;
  g_autofree int *all = NULL;
  g_autofree float *out = NULL;
  GabnSynthConfig synth;
  GabnBatcherConfig config;
  GabnPreprocess pre;
  int batches;
  double cold, warm, sync;
  gint64 start;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("bench-pipeline: %s\n", error->message);
      return 2;
    }
  gabn_set_threads (threads);
  tmp = g_dir_make_tmp ("gabn-bench-pipeline-XXXXXX", &error);
  dir = g_build_filename (tmp, "faces", NULL);
  gabn_synth_config_init (&synth, GABN_SYNTH_REALISTIC);
  synth.identities = identities;
  synth.size = source;
  if (!gabn_synth_write (&synth, dir, NULL, NULL, NULL, &error)
      || !(ds = gabn_dataset_open (dir, NULL, NULL, NULL, NULL, &error)))
    {
      g_printerr ("bench-pipeline: %s\n", error->message);
      remove_tree (tmp);
      return 1;
    }
  all = g_new (int, ds->n_images);
  for (int i = 0; i < ds->n_images; i++)
    all[i] = i;

  gabn_batcher_config_init (&config);
  config.size = input;
  config.threads = threads;
  config.batch_size = 64;
  config.sampling = GABN_SAMPLING_SHUFFLE;
  batches = ds->n_images / config.batch_size;
  {
    g_autoptr(GabnBatcher) b = NULL;
    config.cache_bytes = 0;
    b = gabn_batcher_new (ds, all, NULL, ds->n_images, &config, &error);
    cold = time_batches (b, batches, config.batch_size);
  }
  {
    g_autoptr(GabnBatcher) b = NULL;
    config.cache_bytes = (gsize) 256 << 20;
    b = gabn_batcher_new (ds, all, NULL, ds->n_images, &config, &error);
    time_batches (b, batches, config.batch_size); /* fills the cache */
    warm = time_batches (b, batches, config.batch_size);
  }
  out = g_new (float, (gsize) ds->n_images * 3 * input * input);
  gabn_preprocess_init_builtin (&pre, input);
  start = g_get_monotonic_time ();
  if (!gabn_dataset_load_images (ds, all, ds->n_images, &pre, FALSE, out, threads, NULL, &error))
    g_printerr ("bench-pipeline: %s\n", error->message);
  sync = ds->n_images / ((g_get_monotonic_time () - start) / 1e6);

  printf ("input pipeline, %d PNG images %d×%d → %d×%d, %d threads\n", ds->n_images, source,
          source, input, input, threads);
  printf ("  batcher, decode every image (cache off): %8.0f images/s\n", cold);
  printf ("  batcher, second epoch from the cache:    %8.0f images/s\n", warm);
  printf ("  gabn_dataset_load_images (evaluation):   %8.0f images/s\n", sync);
  remove_tree (tmp);
  return 0;
}
