/* bench-group-stats.c: images/s of the group statistics (mean attention map
 * and region sizes per group: the Groups view, `gabn eval`) beside the
 * inference rate at the same batch size — the path gabn-evaluate.c runs:
 * a batched Grad-CAM towards reference embeddings, the normalised maps,
 * then gabn_attention_group_stats over all of them.
 *
 *   bench-group-stats [--arch gabn-s] [--batch 64] [--images 512] [--groups 4]
 *                     [--threads N] [--runs 3]
 *
 * Prints inference images/s, group statistics images/s (batched), the same
 * one image at a time, and the ratios; the fastest of --runs each. Input
 * pixels are synthetic (decoding is bench-pipeline's subject). */
#include "gabn-attention.h"
#include "gabn-engine.h"
#include "gabn-gam.h"
#include "gabn-net.h"

#include <stdio.h>

typedef struct {
  GabnNet *net;
  float *input, *refs, *cam, *P;
  int *groups;
  int images, batch, n_groups, d, cells, S;
} Bench;

static void
run_inference (Bench *b)
{
  for (int s = 0; s < b->images; s += b->batch)
    gabn_net_forward (b->net, b->input + (gsize) s * 3 * b->S * b->S,
                      MIN (b->batch, b->images - s));
}

/* batch: images per Grad-CAM call (1: one at a time). */
static void
run_group_stats (Bench *b, int batch)
{
  g_autofree float *mean_gam = g_new (float, (gsize) b->n_groups * b->cells);
  g_autofree double *r50 = g_new (double, b->n_groups);
  g_autofree double *r80 = g_new (double, b->n_groups);
  g_autofree int *counts = g_new (int, b->n_groups);

  for (int s = 0; s < b->images; s += batch)
    {
      int n = MIN (batch, b->images - s);

      gabn_gam_compute (b->net, b->input + (gsize) s * 3 * b->S * b->S, n,
                        GABN_CAM_GRADCAM, NULL, b->refs + (gsize) s * b->d, b->cam,
                        NULL, NULL);
      gabn_cam_normalise (b->P + (gsize) s * b->cells, b->cam, n, b->cells);
    }
  gabn_attention_group_stats (b->P, b->groups, b->images, b->cells, b->n_groups,
                              mean_gam, r50, r80, counts);
}

/* Fastest of runs, images/s. */
static double
rate (Bench *b, int runs, int batch, gboolean gam)
{
  double best = 1e30;

  for (int r = 0; r < runs; r++)
    {
      gint64 t0 = g_get_monotonic_time ();

      if (gam)
        run_group_stats (b, batch);
      else
        run_inference (b);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6);
    }
  return b->images / best;
}

int
main (int argc, char **argv)
{
  g_autofree char *arch = g_strdup ("gabn-s");
  int batch = 64, images = 512, n_groups = 4, threads = 0, runs = 3;
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "Architecture", "A" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Images per call", "N" },
    { "images", 0, 0, G_OPTION_ARG_INT, &images, "Images in the set", "N" },
    { "groups", 0, 0, G_OPTION_ARG_INT, &n_groups, "Groups", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs (the fastest counts)", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- group statistics speed");
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  Bench b = { 0 };
  GRand *rand;
  int C, h, w;
  double infer, stats, single;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || batch < 1 || images < 1
      || n_groups < 1 || runs < 1)
    {
      g_printerr ("%s\n", error ? error->message : "--batch, --images, --groups, --runs > 0");
      return 2;
    }
  gabn_set_threads (threads);
  net = gabn_net_new (arch, 100, 1, &error);
  if (net == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  gabn_net_set_training (net, FALSE);
  gabn_net_feature_shape (net, &C, &h, &w);
  b.net = net;
  b.images = images;
  b.batch = batch;
  b.n_groups = n_groups;
  b.S = gabn_net_input_size (net);
  b.d = gabn_net_embedding_dim (net);
  b.cells = h * w;
  b.input = g_new (float, (gsize) images * 3 * b.S * b.S);
  b.refs = g_new (float, (gsize) images * b.d);
  b.cam = g_new (float, (gsize) batch * b.cells);
  b.P = g_new (float, (gsize) images * b.cells);
  b.groups = g_new (int, images);
  rand = g_rand_new_with_seed (3);
  for (gsize i = 0; i < (gsize) images * 3 * b.S * b.S; i++)
    b.input[i] = (float) g_rand_double_range (rand, -1, 1);
  for (gsize i = 0; i < (gsize) images * b.d; i++)
    b.refs[i] = (float) g_rand_double_range (rand, -1, 1);
  for (int i = 0; i < images; i++)
    b.groups[i] = i % n_groups;
  g_rand_free (rand);

  run_inference (&b);   /* warm-up: buffers, derived weights */
  infer = rate (&b, runs, batch, FALSE);
  stats = rate (&b, runs, batch, TRUE);
  single = rate (&b, runs, 1, TRUE);
  printf ("%s, batch %d, %d images, %d groups, %d threads\n", arch, batch, images, n_groups,
          gabn_get_threads ());
  printf ("inference                     %8.1f images/s\n", infer);
  printf ("group statistics, batched     %8.1f images/s  (%.0f%% of inference)\n", stats,
          100 * stats / infer);
  printf ("group statistics, one by one  %8.1f images/s  (%.0f%% of inference)\n", single,
          100 * single / infer);
  g_free (b.input);
  g_free (b.refs);
  g_free (b.cam);
  g_free (b.P);
  g_free (b.groups);
  return 0;
}
