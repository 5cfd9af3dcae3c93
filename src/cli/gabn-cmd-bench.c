/* gabn-cmd-bench.c: `gabn bench`: the engine's speed on a training step, an
 * inference pass and a single-image Grad-CAM, beside OpenBLAS sgemm's own
 * speed and — when Debian's python3-torch is importable — PyTorch running
 * the same network in the same run (bench/torch_bench.py).
 * See docs/PERFORMANCE.md for the figures and how they were measured. */
#include "config.h"
#include "gabn-blas-core.h"
#include "gabn-cli.h"
#include "gabn-gam.h"
#include "gabn-matmul.h"
#include "gabn-net.h"
#include "gabn-optim.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <sys/resource.h>

typedef struct {
  double train_images_per_s, infer_images_per_s, gam_ms;
  double peak_mb;   /* the process's peak resident memory */
  /* The engine's: what its net and optimiser hold after the training
   * step (have_memory: counted). */
  GabnNetMemory memory;
  gsize optimizer_bytes;
  gboolean have_memory;
} Figures;

/* Starts the peak over (Linux ≥ 4.0: resets the high-water mark that
 * ru_maxrss reads), so that an engine run's peak is its own and not an
 * earlier run's eval phase. Elsewhere a no-op: the peak stays the
 * process's, which can only overstate the engine's. */
static void
reset_peak_rss (void)
{
  FILE *f = fopen ("/proc/self/clear_refs", "w");

  if (f == NULL)
    return;
  fputs ("5", f);
  fclose (f);
}

/* Peak resident memory of this process so far, MB (Linux: ru_maxrss in kB). */
static double
peak_rss_mb (void)
{
  struct rusage u;

  return getrusage (RUSAGE_SELF, &u) == 0 ? u.ru_maxrss / 1024.0 : 0.0;
}

typedef struct {
  GabnNet *net;
  GabnOptim *optim;
  float *input, *d_emb, *d_feat, *map;
  int *labels;
  int batch;
} Bench;

typedef void (*RunFunc) (Bench *b);

static int
compare_doubles (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* Fastest run of fn, in seconds, over at least min_runs runs and `seconds`
 * seconds, after `warmup` untimed runs. The fastest, not the mean: on a
 * shared machine the other runs measure the neighbours. */
static double
time_best (RunFunc fn, Bench *b, double seconds, int min_runs, int warmup)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  gint64 start;

  for (int i = 0; i < warmup; i++)
    fn (b);
  start = g_get_monotonic_time ();
  while ((int) times->len < min_runs || (g_get_monotonic_time () - start) < seconds * 1e6)
    {
      gint64 t0 = g_get_monotonic_time ();
      double dt;
      fn (b);
      dt = (g_get_monotonic_time () - t0) / 1e6;
      g_array_append_val (times, dt);
    }
  qsort (times->data, times->len, sizeof (double), compare_doubles);
  return g_array_index (times, double, 0);
}

static void
train_step (Bench *b)
{
  GabnMarginConfig margin;

  gabn_margin_config_init (&margin, GABN_MARGIN_ARCFACE);
  gabn_net_zero_grad (b->net);
  gabn_net_forward (b->net, b->input, b->batch);
  gabn_net_margin_loss (b->net, &margin, b->labels, 1.0f, b->d_emb);
  gabn_net_backward_head (b->net, b->d_emb, b->d_feat, TRUE);
  gabn_net_backward_backbone (b->net, b->d_feat, NULL);
  gabn_optim_step (b->optim, 0.01f);
}

static void
infer (Bench *b)
{
  gabn_net_forward (b->net, b->input, b->batch);
}

/* The explorer's hot path, through the API the explorer uses: one image,
 * eval mode — forward to A, head, y = cos θ to its class, α_k = mean of
 * dy/dA_k, map = ReLU(Σ_k α_k A_k). */
static void
grad_cam (Bench *b)
{
  float cosine;

  gabn_gam_compute (b->net, b->input, 1, GABN_CAM_GRADCAM, b->labels, NULL,
                    b->map, &cosine, NULL);
}

/* sgemm's rate timed as the training step is: the fastest of its blocks
 * over the same `seconds`, each block as many 1024³ products as last about
 * one training step (step_seconds). A mean over all blocks beside the
 * step's fastest would flatter the step on a machine whose speed drifts. */
static double
sgemm_gflops (double seconds, double step_seconds)
{
  const int n = 1024;
  g_autofree float *A = g_new (float, n * n);
  g_autofree float *B = g_new (float, n * n);
  g_autofree float *C = g_new (float, n * n);
  gint64 start, t0;
  double first[3], one, best = G_MAXDOUBLE;
  int per_block, blocks = 0;

  for (int i = 0; i < n * n; i++)
    {
      A[i] = (float) (i % 7) / 7.0f;
      B[i] = (float) (i % 5) / 5.0f;
    }
  gabn_matmul (n, n, n, A, B, C);  /* warm-up: thread start, caches */
  /* One product's time, the median of three: one alone, on a drifting
   * machine, could make the blocks far from a step's length. */
  for (int r = 0; r < 3; r++)
    {
      t0 = g_get_monotonic_time ();
      gabn_matmul (n, n, n, A, B, C);
      first[r] = MAX ((g_get_monotonic_time () - t0) / 1e6, 1e-6);
    }
  qsort (first, 3, sizeof (double), compare_doubles);
  one = first[1];
  per_block = step_seconds > 0 && isfinite (step_seconds)
              ? CLAMP ((int) MIN (step_seconds / one + 0.5, 1000.0), 1, 1000) : 1;
  start = g_get_monotonic_time ();
  while (blocks < 3 || (g_get_monotonic_time () - start) < seconds * 1e6)
    {
      t0 = g_get_monotonic_time ();
      for (int r = 0; r < per_block; r++)
        gabn_matmul (n, n, n, A, B, C);
      best = MIN (best, (g_get_monotonic_time () - t0) / 1e6 / per_block);
      blocks++;
    }
  return 2.0 * n * n * n / best / 1e9;
}

/* Bytes of the optimiser's state (momentum; AdamW's two moments). */
static gsize
optimizer_bytes (GabnOptim *optim)
{
  GabnOptimBuffer buffers[2];
  int n = 0;
  gsize numel = 0;

  gabn_optim_get_state (optim, buffers, &n, &numel);
  return (gsize) n * numel * sizeof (float);
}

static gboolean
run_engine (const char *arch, int batch, int classes, double seconds,
            Figures *out, double *flops, GError **error)
{
  Bench b = { 0 };
  GabnOptimConfig config;
  g_autoptr(GabnNet) net = gabn_net_new (arch, classes, 1, error);
  int S, c, h, w;
  gsize n_in;
  GRand *rand;

  if (net == NULL)
    return FALSE;
  reset_peak_rss ();
  S = gabn_net_input_size (net);
  gabn_net_feature_shape (net, &c, &h, &w);
  n_in = (gsize) batch * 3 * S * S;
  b.net = net;
  b.batch = batch;
  b.input = g_new (float, n_in);
  b.d_emb = g_new (float, (gsize) batch * gabn_net_embedding_dim (net));
  b.d_feat = g_new (float, (gsize) batch * c * h * w);
  b.map = g_new (float, h * w);
  b.labels = g_new (int, batch);
  rand = g_rand_new_with_seed (1);
  for (gsize i = 0; i < n_in; i++)
    b.input[i] = (float) g_rand_double_range (rand, -1, 1);
  for (int i = 0; i < batch; i++)
    b.labels[i] = g_rand_int_range (rand, 0, classes);
  g_rand_free (rand);
  gabn_optim_config_init (&config, GABN_OPTIM_SGD);
  b.optim = gabn_optim_new_for_net (net, &config);

  gabn_net_set_training (net, TRUE);
  out->train_images_per_s = batch / time_best (train_step, &b, seconds, 3, 1);
  /* The training step's peak (its activations and gradients), as
   * bench/torch_bench.py measures PyTorch's: right after training, before
   * eval's cached weights, sgemm's matrices and PyTorch's child. */
  out->peak_mb = peak_rss_mb ();
  gabn_net_memory (net, &out->memory);
  out->optimizer_bytes = optimizer_bytes (b.optim);
  out->have_memory = TRUE;
  gabn_net_set_training (net, FALSE);
  out->infer_images_per_s = batch / time_best (infer, &b, seconds, 3, 1);
  out->gam_ms = 1000 * time_best (grad_cam, &b, seconds, 10, 3);
  *flops = gabn_net_forward_flops (net);

  gabn_optim_free (b.optim);
  g_free (b.input);
  g_free (b.d_emb);
  g_free (b.d_feat);
  g_free (b.map);
  g_free (b.labels);
  return TRUE;
}

static char *
torch_script (void)
{
  const char *env = g_getenv ("GABN_TORCH_BENCH");

  if (env)
    return g_strdup (env);
#ifdef GABN_SOURCE_DIR
  return g_build_filename (GABN_SOURCE_DIR, "bench", "torch_bench.py", NULL);
#else
  return g_strdup ("bench/torch_bench.py");
#endif
}

/* Runs bench/torch_bench.py; FALSE (and a reason) when PyTorch is not
 * available. Debian's torch lives under /usr/bin/python3, which a user's
 * own python3 (pyenv, venv) may not see: try it first. */
static gboolean
run_torch (const char *arch, int batch, int threads, int classes,
           double seconds, Figures *out, char **reason)
{
  static const char *const pythons[] = { "/usr/bin/python3", "python3" };
  g_autofree char *script = torch_script ();
  g_autofree char *batch_s = g_strdup_printf ("%d", batch);
  g_autofree char *threads_s = g_strdup_printf ("%d", threads);
  g_autofree char *classes_s = g_strdup_printf ("%d", classes);
  g_autofree char *seconds_s = g_strdup_printf ("%g", seconds);

  if (!g_file_test (script, G_FILE_TEST_EXISTS))
    {
      *reason = g_strdup_printf (_("%s not found"), script);
      return FALSE;
    }
  for (guint p = 0; p < G_N_ELEMENTS (pythons); p++)
    {
      const char *argv[] = { pythons[p], script, "--arch", arch, "--batch", batch_s,
                             "--threads", threads_s, "--classes", classes_s,
                             "--seconds", seconds_s, "--json", NULL };
      g_autofree char *output = NULL, *errors = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      int status = 0;
      JsonObject *obj;

      if (!g_spawn_sync (NULL, (char **) argv, NULL,
                         G_SPAWN_SEARCH_PATH, NULL, NULL, &output, &errors, &status, NULL)
          || !g_spawn_check_wait_status (status, NULL)
          || !json_parser_load_from_data (parser, output, -1, NULL)
          || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          g_free (*reason);
          *reason = g_strdup (errors && *errors ? g_strstrip (errors) : _("PyTorch is not available"));
          continue;
        }
      obj = json_node_get_object (json_parser_get_root (parser));
      out->train_images_per_s = json_object_get_double_member (obj, "train_images_per_s");
      out->infer_images_per_s = json_object_get_double_member (obj, "infer_images_per_s");
      out->gam_ms = json_object_get_double_member (obj, "gam_ms");
      out->peak_mb = json_object_get_double_member_with_default (obj, "peak_mb", 0.0);
      return TRUE;
    }
  return FALSE;
}

/* best = the faster of best and other, figure by figure. */
static void
keep_best (Figures *best, const Figures *other)
{
  best->train_images_per_s = MAX (best->train_images_per_s, other->train_images_per_s);
  best->infer_images_per_s = MAX (best->infer_images_per_s, other->infer_images_per_s);
  best->gam_ms = MIN (best->gam_ms, other->gam_ms);
  best->peak_mb = MAX (best->peak_mb, other->peak_mb);
  if (!best->have_memory)
    {
      best->memory = other->memory;
      best->optimizer_bytes = other->optimizer_bytes;
      best->have_memory = other->have_memory;
    }
}

typedef struct {
  const char *name;
  gsize bytes;
} MemoryPart;

/* The engine's memory by what for, in the order printed; parts[7]. */
static void
memory_parts (const Figures *e, MemoryPart parts[7])
{
  parts[0] = (MemoryPart) { "activations", e->memory.activations };
  parts[1] = (MemoryPart) { "value_grads", e->memory.value_grads };
  parts[2] = (MemoryPart) { "parameters", e->memory.parameters };
  parts[3] = (MemoryPart) { "optimizer", e->optimizer_bytes };
  parts[4] = (MemoryPart) { "workspace", e->memory.workspace };
  parts[5] = (MemoryPart) { "derived_weights", e->memory.derived };
  parts[6] = (MemoryPart) { "layer_state", e->memory.layer_state };
}

static void
print_json (const char *arch, int batch, int threads, const Figures *e,
            double sgemm, double effective, const Figures *t, gboolean have_torch)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "arch");
  json_builder_add_string_value (b, arch);
  json_builder_set_member_name (b, "batch");
  json_builder_add_int_value (b, batch);
  json_builder_set_member_name (b, "threads");
  json_builder_add_int_value (b, threads);
  json_builder_set_member_name (b, "train_images_per_s");
  json_builder_add_double_value (b, e->train_images_per_s);
  json_builder_set_member_name (b, "infer_images_per_s");
  json_builder_add_double_value (b, e->infer_images_per_s);
  json_builder_set_member_name (b, "gam_ms");
  json_builder_add_double_value (b, e->gam_ms);
  json_builder_set_member_name (b, "peak_mb");
  json_builder_add_double_value (b, e->peak_mb);
  json_builder_set_member_name (b, "memory_mb");
  json_builder_begin_object (b);
  {
    MemoryPart parts[7];

    memory_parts (e, parts);
    for (int i = 0; i < 7; i++)
      {
        json_builder_set_member_name (b, parts[i].name);
        json_builder_add_double_value (b, parts[i].bytes / 1048576.0);
      }
  }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "sgemm_gflops");
  json_builder_add_double_value (b, sgemm);
  /* The sgemm bound depends on the kernels OpenBLAS runs, and on whether
   * OPENBLAS_CORETYPE chose them (gabn-blas-core.c). */
  json_builder_set_member_name (b, "blas_core");
  if (gabn_blas_core_name () != NULL)
    json_builder_add_string_value (b, gabn_blas_core_name ());
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "blas_coretype_env");
  if (g_getenv ("OPENBLAS_CORETYPE") != NULL)
    json_builder_add_string_value (b, g_getenv ("OPENBLAS_CORETYPE"));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "effective_gflops");
  json_builder_add_double_value (b, effective);
  json_builder_set_member_name (b, "torch");
  if (have_torch)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "train_images_per_s");
      json_builder_add_double_value (b, t->train_images_per_s);
      json_builder_set_member_name (b, "infer_images_per_s");
      json_builder_add_double_value (b, t->infer_images_per_s);
      json_builder_set_member_name (b, "gam_ms");
      json_builder_add_double_value (b, t->gam_ms);
      json_builder_set_member_name (b, "peak_mb");
      json_builder_add_double_value (b, t->peak_mb);
      json_builder_end_object (b);
    }
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
}

int
gabn_cmd_bench (int argc, char **argv)
{
  g_autofree char *arch = NULL;
  int batch = 64, threads = 0, classes = 1000;
  double seconds = 3.0;
  gboolean json = FALSE, no_torch = FALSE;
  GOptionEntry entries[] = {
    { "arch", 'a', 0, G_OPTION_ARG_STRING, &arch, N_("Architecture (default gabn-s)"), N_("ARCH") },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Images per training or inference batch (default 64)"), N_("N") },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Threads (default: all CPUs)"), N_("N") },
    { "classes", 0, 0, G_OPTION_ARG_INT, &classes, N_("Class centres of the ArcFace head (default 1000)"), N_("N") },
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &seconds, N_("Time spent on each measurement (default 3)"), N_("S") },
    { "no-torch", 0, 0, G_OPTION_ARG_NONE, &no_torch, N_("Do not run PyTorch for comparison"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autofree char *torch_reason = NULL;
  Figures engine = { 0 }, torch = { 0 };
  gboolean have_torch = FALSE;
  double flops = 0, sgemm, effective;

  if (!gabn_cli_parse ("bench", "", _("Measure the engine’s speed beside PyTorch"),
                       entries, &argc, &argv))
    return 2;
  if (arch == NULL)
    arch = g_strdup ("gabn-s");
  if (batch < 1 || classes < 1 || seconds <= 0)
    {
      g_printerr ("gabn bench: %s\n", _("--batch, --classes and --seconds must be positive"));
      return 2;
    }
  gabn_set_threads (threads);
  threads = gabn_get_threads ();

  if (!json)
    printf (_("Measuring %s, batch %d, %d threads…\n"), arch, batch, threads);
  if (!run_engine (arch, batch, classes, seconds, &engine, &flops, &error))
    return gabn_cli_fail ("bench", error);
  sgemm = sgemm_gflops (seconds, batch / engine.train_images_per_s);
  if (!no_torch)
    {
      Figures again = { 0 };

      have_torch = run_torch (arch, batch, threads, classes, seconds, &torch, &torch_reason);
      /* Engine, PyTorch, engine, PyTorch, and each side's best of its two:
       * the machine's own speed drifts from minute to minute, and both
       * sides get the same two chances at a fast minute (sgemm's bound
       * too, measured beside each engine run). */
      if (have_torch && run_engine (arch, batch, classes, seconds, &again, &flops, NULL))
        {
          keep_best (&engine, &again);
          sgemm = MAX (sgemm, sgemm_gflops (seconds, batch / again.train_images_per_s));
        }
      if (have_torch && run_torch (arch, batch, threads, classes, seconds, &again, &torch_reason))
        keep_best (&torch, &again);
    }

  /* Forward + backward ≈ 3 forward passes of multiply-adds. */
  effective = 3.0 * flops * engine.train_images_per_s / 1e9;
  if (json)
    {
      print_json (arch, batch, threads, &engine, sgemm, effective, &torch, have_torch);
      return 0;
    }
  printf ("\n%-26s %12s %12s %10s\n", "", _("GABN engine"), _("PyTorch"), _("ratio"));
  printf ("%-26s %12.1f", _("train (images/s)"), engine.train_images_per_s);
  if (have_torch)
    printf (" %12.1f %9.2f×", torch.train_images_per_s, engine.train_images_per_s / torch.train_images_per_s);
  printf ("\n%-26s %12.1f", _("inference (images/s)"), engine.infer_images_per_s);
  if (have_torch)
    printf (" %12.1f %9.2f×", torch.infer_images_per_s, engine.infer_images_per_s / torch.infer_images_per_s);
  printf ("\n%-26s %12.2f", _("Grad-CAM, 1 image (ms)"), engine.gam_ms);
  if (have_torch)
    printf (" %12.2f %9.2f×", torch.gam_ms, torch.gam_ms / engine.gam_ms);
  printf ("\n%-26s %12.0f", _("peak memory (MB)"), engine.peak_mb);
  if (have_torch)
    printf (" %12.0f %9.2f×", torch.peak_mb, torch.peak_mb / engine.peak_mb);
  printf ("\n\n");
  {
    MemoryPart parts[7];

    memory_parts (&engine, parts);
    printf ("%s", _("Engine memory after the training step (MB):"));
    for (int i = 0; i < 7; i++)
      printf (" %s %.0f%s", parts[i].name, parts[i].bytes / 1048576.0, i < 6 ? "," : "\n");
  }
  if (gabn_blas_core_name () != NULL && g_getenv ("OPENBLAS_CORETYPE") != NULL)
    printf (_("OpenBLAS core: %s (OPENBLAS_CORETYPE=%s)\n"), gabn_blas_core_name (),
            g_getenv ("OPENBLAS_CORETYPE"));
  else if (gabn_blas_core_name () != NULL)
    printf (_("OpenBLAS core: %s\n"), gabn_blas_core_name ());
  printf (_("sgemm (1024³): %.1f GFLOP/s; training step: %.1f GFLOP/s effective (%.0f%% of sgemm)\n"),
          sgemm, effective, 100 * effective / sgemm);
  if (!have_torch && !no_torch)
    printf (_("PyTorch: not measured (%s)\n"), torch_reason ? torch_reason : _("not available"));
  return 0;
}
