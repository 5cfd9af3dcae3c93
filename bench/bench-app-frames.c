/* bench-app-frames.c: how smoothly the window draws while a GABN run
 * trains — the main thread's CPU time and the wall-clock gap between two
 * frame-clock ticks, and the longest report handling of the Train view.
 *
 *   xvfb-run -a bench-app-frames [--steps N] [--threads T]
 *
 * Frame pacing depends on the machine and its load, so it is measured
 * here, never asserted in a test (docs/PERFORMANCE.md has the figures). */
#include "config.h"
#include "gabn-application.h"
#include "gabn-train-view.h"
#include "gabn-window.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static gint64 last_tick, last_cpu;
static GArray *cpu_us, *gap_us;   /* gint64, one per frame */
static gboolean measuring;

static gint64
thread_cpu_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
on_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  gint64 now = g_get_monotonic_time (), cpu = thread_cpu_us ();

  if (measuring && last_tick != 0)
    {
      gint64 d_cpu = cpu - last_cpu, d_gap = now - last_tick;
      g_array_append_val (cpu_us, d_cpu);
      g_array_append_val (gap_us, d_gap);
    }
  last_tick = now;
  last_cpu = cpu;
  return G_SOURCE_CONTINUE;
}

static int
cmp_i64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
  return x < y ? -1 : x > y;
}

static void
print_stats (const char *what, GArray *a)
{
  gint64 *v = (gint64 *) (gpointer) a->data;

  if (a->len == 0)
    return;
  g_array_sort (a, cmp_i64);
  printf ("%-34s median %7.2f ms   p99 %7.2f ms   max %7.2f ms\n", what,
          v[a->len / 2] / 1000.0, v[MIN (a->len - 1, a->len * 99 / 100)] / 1000.0,
          v[a->len - 1] / 1000.0);
}

int
main (int argc, char **argv)
{
  int steps = 8, threads = 1;
  GOptionEntry entries[] = {
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, "training steps to measure over (default 8)", "N" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, "engine threads of the run (default 1)", "T" },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("— frame pacing while training");
  g_autoptr(GError) error = NULL;
  GabnApplication *app;
  GabnWindow *window;
  GabnTrainView *train;
  GabnTrainRun *run;
  GabnTrainConfig config;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      fprintf (stderr, "%s\n", error->message);
      return 2;
    }
  gtk_init ();
  cpu_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  gap_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  app = gabn_application_new ("io.github.gabnstudio.GabnStudio.FrameBench", G_APPLICATION_NON_UNIQUE);
  gabn_application_set_synthetic_size (app, 16, 6);
  g_application_register (G_APPLICATION (app), NULL, NULL);
  g_application_activate (G_APPLICATION (app));
  window = GABN_WINDOW (gtk_application_get_active_window (GTK_APPLICATION (app)));
  gtk_widget_add_tick_callback (GTK_WIDGET (window), on_tick, NULL, NULL);
  gabn_window_set_view (window, "train");
  train = GABN_TRAIN_VIEW (gabn_window_get_view_widget (window, "train"));
  /* Let the first layout and the dataset load settle before measuring. */
  while (gabn_session_get_dataset (gabn_window_get_session (window)) == NULL
         || gabn_session_get_busy (gabn_window_get_session (window)))
    g_main_context_iteration (NULL, TRUE);

  gabn_train_view_get_config (train, &config);
  config.method = GABN_METHOD_GABN;
  config.epochs = 50;
  config.batch_size = 16;
  config.threads = threads;
  run = gabn_train_view_start_run (train, &config);
  gabn_train_config_clear (&config);
  measuring = TRUE;
  while (gabn_train_run_get_n_steps (run) < (guint) steps)
    g_main_context_iteration (NULL, TRUE);
  measuring = FALSE;

  printf ("GABN run, batch 16, %d thread(s), %u frames over %d steps:\n", threads, cpu_us->len, steps);
  print_stats ("main-thread CPU between frames", cpu_us);
  print_stats ("wall-clock gap between frames", gap_us);
  printf ("%-34s max    %7.2f ms\n", "Train view report handling",
          gabn_train_view_get_max_report_time (train) / 1000.0);
  fflush (stdout);
  /* The process ends here; the run's thread is not joined. */
  _exit (0);
}
