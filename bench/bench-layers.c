/* bench-layers.c: where a forward (and a training step's backward) spends
 * its time, layer by layer — the profile behind docs/PERFORMANCE.md.
 *
 *   bench-layers [--arch iresnet50] [--batch 16] [--runs 3] [--threads N] [--train]
 *                [--cpu-time] [--no-avx512] [--whole-only]
 *
 * Runs the interpreter one step at a time (a convolution and the eval-mode
 * BatchNorm and PReLU fused into it count as one step, as
 * gabn_net_run_forward runs them), keeps each step's fastest of --runs, and prints the time per kind
 * of layer and the slowest steps. With --train: training mode, forward and
 * backward (a step's backward zeroes its own input gradients, which the
 * whole-net backward does once up front: a slight overcount). --cpu-time
 * times the calling thread's CPU time instead of the wall clock: with
 * --threads 1, what the kernels cost on a machine shared with other
 * work, whose wall-clock times move by 2× from minute to minute.
 * --no-avx512 runs the packed kernel's AVX2 form on a CPU with AVX-512
 * (Winograd's single-image products keep the layout chosen for the CPU:
 * the wide one, in its AVX2 form, which an AVX2-only CPU does not run). */
#include "gabn-engine.h"
#include "gabn-net-private.h"
#include "gabn-packed-gemm.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct {
  int first, last;     /* nodes [first, last) */
  char kind[48];
  char name[96];
  double fwd, bwd;     /* fastest, seconds */
} Step;

static gboolean cpu_time;

/* Microseconds of the wall clock, or of this thread's CPU time. */
static gint64
now (void)
{
  struct timespec t;

  if (!cpu_time)
    return g_get_monotonic_time ();
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &t);
  return (gint64) t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void
describe (const GabnNet *net, const GabnNode *node, char *kind, gsize n)
{
  const GabnConvShape *s = &node->conv;
  static const char *const names[] = {
    "conv", "batchnorm", "relu", "prelu", "add", "flatten", "dropout", "linear",
    "affine", "pad", "maxpool", "avgpool", "globalpool",
  };

  if (node->kind != GABN_NODE_CONV)
    {
      g_strlcpy (kind, names[node->kind], n);
      return;
    }
  if (node->groups > 1)
    g_snprintf (kind, n, "conv %dx%d s%d %s", s->kernel, s->kernel, s->stride,
                node->groups == s->in_c ? "depthwise" : "grouped");
  else if (s->in_c <= 4)
    g_snprintf (kind, n, "conv %dx%d stem", s->kernel, s->kernel);
  else
    g_snprintf (kind, n, "conv %dx%d s%d @%d", s->kernel, s->kernel, s->stride, s->out_h);
  (void) net;
}

int
main (int argc, char **argv)
{
  g_autofree char *arch = g_strdup ("iresnet50");
  int batch = 16, runs = 3, threads = 0;
  gboolean train = FALSE, no_avx512 = FALSE, whole_only = FALSE;
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "Architecture", "A" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, "Images", "N" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &runs, "Runs (the fastest counts)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "Threads", "N" },
    { "train", 0, 0, G_OPTION_ARG_NONE, &train, "Training mode, with backward", NULL },
    { "cpu-time", 0, 0, G_OPTION_ARG_NONE, &cpu_time, "Time this thread's CPU time (use with --threads 1)", NULL },
    { "no-avx512", 0, 0, G_OPTION_ARG_NONE, &no_avx512, "The packed kernel's AVX2 form only", NULL },
    { "whole-only", 0, 0, G_OPTION_ARG_NONE, &whole_only, "Time only the whole forward (for profiles)", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- time per layer");
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autoptr(GArray) steps = g_array_new (FALSE, TRUE, sizeof (Step));
  g_autoptr(GHashTable) kinds = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree float *input = NULL;
  double total = 0, whole = 1e9;
  gsize n_in;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  gabn_set_threads (threads);
  if (no_avx512)
    gabn_packed_gemm_set_avx512 (FALSE);
  net = gabn_net_new (arch, 1000, 1, &error);
  if (net == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  gabn_net_set_training (net, train);
  n_in = (gsize) batch * 3 * net->input_size * net->input_size;
  input = g_new (float, n_in);
  for (gsize i = 0; i < n_in; i++)
    input[i] = (float) ((i * 2654435761u) % 2001) / 1000.0f - 1.0f;
  gabn_net_forward (net, input, batch);   /* warm-up: buffers, packed weights */

  for (int i = 0; i < net->n_nodes; i++)
    {
      GabnNode *node = &net->nodes[i];
      GabnNode *next = i + 1 < net->n_nodes ? &net->nodes[i + 1] : NULL;
      Step st = { .first = i, .last = i + 1, .fwd = 1e9, .bwd = 1e9 };

      describe (net, node, st.kind, sizeof st.kind);
      g_strlcpy (st.name, node->name ? node->name : "", sizeof st.name);
      if (!train && node->kind == GABN_NODE_CONV && next && next->kind == GABN_NODE_BATCHNORM
          && next->in == node->out)
        {
          GabnNode *after = i + 2 < net->n_nodes ? &net->nodes[i + 2] : NULL;

          st.last = i + 2;
          g_strlcat (st.kind, " +bn", sizeof st.kind);
          /* The PReLU or residual Add after it runs in the same pass
           * (gabn-net-run.c). */
          if (after && after->kind == GABN_NODE_PRELU && after->in == next->out)
            {
              st.last = i + 3;
              g_strlcat (st.kind, "+prelu", sizeof st.kind);
            }
          else if (after && after->kind == GABN_NODE_ADD
                   && (after->in == next->out) != (after->in2 == next->out))
            {
              st.last = i + 3;
              g_strlcat (st.kind, "+add", sizeof st.kind);
            }
          i = st.last - 1;
        }
      g_array_append_val (steps, st);
    }

  for (int r = 0; r < (whole_only ? 0 : runs); r++)
    {
      for (guint k = 0; k < steps->len; k++)
        {
          Step *st = &g_array_index (steps, Step, k);
          gint64 t0 = now ();

          gabn_net_run_forward (net, st->first, st->last);
          st->fwd = MIN (st->fwd, (now () - t0) / 1e6);
        }
      if (!train)
        continue;
      /* A gradient to start from at the embeddings. */
      memset (gabn_net_value_grad (net, net->embedding_value), 0,
              (gsize) batch * net->embedding_dim * sizeof (float));
      for (int k = (int) steps->len - 1; k >= 0; k--)
        {
          Step *st = &g_array_index (steps, Step, k);
          gint64 t0 = now ();

          gabn_net_run_backward (net, st->first, st->last, TRUE, FALSE);
          st->bwd = MIN (st->bwd, (now () - t0) / 1e6);
        }
    }

  /* The whole forward in one call, as gabn_net_forward runs it: an eval
   * pass may then take each image through all the layers in turn
   * (gabn-net-run.c), which steps of single layers do not show. */
  for (int r = 0; r < runs; r++)
    {
      gint64 t0 = now ();

      gabn_net_run_forward (net, 0, net->n_nodes);
      whole = MIN (whole, (now () - t0) / 1e6);
    }

  for (guint k = 0; k < steps->len; k++)
    {
      Step *st = &g_array_index (steps, Step, k);
      double t = st->fwd + (train ? st->bwd : 0);
      double *sum = g_hash_table_lookup (kinds, st->kind);

      if (sum == NULL)
        {
          sum = g_new0 (double, 4);
          g_hash_table_insert (kinds, g_strdup (st->kind), sum);
        }
      sum[0] += t;
      sum[1] += 1;
      sum[2] += st->fwd;
      sum[3] += train ? st->bwd : 0;
      total += t;
    }
  printf ("%s, batch %d, %d threads, %s: %.2f ms%s per pass (sum of the steps' fastest)\n\n",
          arch, batch, gabn_get_threads (), train ? "training forward+backward" : "eval forward",
          1000 * total, cpu_time ? " of CPU time" : "");
  printf ("the whole forward in one call: %.2f ms%s (fastest of %d)\n\n", 1000 * whole,
          cpu_time ? " of CPU time" : "", runs);
  printf ("%-32s %6s %10s %7s%s\n", "layer kind", "count", "ms", "share",
          train ? "   forward  backward" : "");
  {
    GHashTableIter it;
    gpointer key, value;
    g_autoptr(GPtrArray) keys = g_ptr_array_new ();

    g_hash_table_iter_init (&it, kinds);
    while (g_hash_table_iter_next (&it, &key, &value))
      g_ptr_array_add (keys, key);
    /* By time, largest first. */
    for (guint a = 0; a < keys->len; a++)
      for (guint b = a + 1; b < keys->len; b++)
        if (((double *) g_hash_table_lookup (kinds, keys->pdata[b]))[0]
            > ((double *) g_hash_table_lookup (kinds, keys->pdata[a]))[0])
          {
            gpointer t = keys->pdata[a];
            keys->pdata[a] = keys->pdata[b];
            keys->pdata[b] = t;
          }
    for (guint a = 0; a < keys->len; a++)
      {
        double *v = g_hash_table_lookup (kinds, keys->pdata[a]);
        printf ("%-32s %6.0f %10.2f %6.1f%%", (char *) keys->pdata[a], v[1], 1000 * v[0],
                100 * v[0] / total);
        if (train)
          printf (" %9.2f %9.2f", 1000 * v[2], 1000 * v[3]);
        printf ("\n");
      }
  }
  return 0;
}
