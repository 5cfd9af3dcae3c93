/* gabn-parallel.c: thread count (engine + OpenBLAS) and a parallel for.
 *
 * The engine's own workers, not a GThreadPool: a single-image Grad-CAM is
 * some twenty parallel phases of 10–300 µs each, and waking a sleeping
 * pool thread cost about 13 µs per phase — a tenth of the pass — with the
 * caller then waiting for the late worker's half. So:
 *   - each worker has its own mailbox (a generation counter and a job), so
 *     a job reaches exactly the workers it was given to;
 *   - a worker spins for SPIN_US after its last job before it sleeps, so
 *     back-to-back phases start at once, and an idle engine costs nothing;
 *   - chunks are claimed from a shared counter, so the caller takes over
 *     the work of a worker that is late.
 * One caller at a time uses the workers; a second concurrent caller (the
 * app's explorer while a training thread runs) runs its loop on its own
 * thread rather than wait. */
#include "gabn-engine.h"
#include "gabn-parallel.h"

#include <cblas.h>

#define MAX_THREADS 64
/* How long an idle worker spins before it sleeps. */
#define SPIN_US 200
/* Chunks per thread: enough for the caller to absorb a late worker. */
#define CHUNKS_PER_THREAD 4

typedef struct {
  GabnRangeFunc fn;
  gpointer data;
  int n, n_chunks;
  gint next_chunk;      /* claimed with atomic adds */
  gint pending;         /* workers that have not finished */
} Job;

typedef struct {
  gint generation;      /* bumped for every job given to this worker */
  Job *job;             /* set before the bump, stable until the worker is done */
  gint sleeping;
  GMutex lock;
  GCond wake;
} Worker;

static int n_threads = 1;
static Worker workers[MAX_THREADS - 1];
static int n_workers;                 /* started so far */
static GMutex dispatch_lock;          /* held by the one caller using workers */
static GPrivate in_worker;            /* nested loops run serially */

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

static void
run_chunks (Job *job)
{
  int c;

  while ((c = g_atomic_int_add (&job->next_chunk, 1)) < job->n_chunks)
    job->fn ((int) ((gint64) job->n * c / job->n_chunks),
             (int) ((gint64) job->n * (c + 1) / job->n_chunks), job->data);
}

/* Waits until the worker's generation moves past seen: spinning first,
 * then asleep on its condition. */
static void
wait_for_job (Worker *w, gint seen)
{
  gint64 start = g_get_monotonic_time ();

  for (int spins = 0; g_atomic_int_get (&w->generation) == seen; spins++)
    {
      cpu_relax ();
      if ((spins & 255) == 255 && g_get_monotonic_time () - start > SPIN_US)
        {
          g_mutex_lock (&w->lock);
          /* sleeping is set before generation is read again: a caller that
           * bumped generation before this either is seen here or sees
           * sleeping and signals (both sides use full barriers). */
          g_atomic_int_set (&w->sleeping, 1);
          while (g_atomic_int_get (&w->generation) == seen)
            g_cond_wait (&w->wake, &w->lock);
          g_atomic_int_set (&w->sleeping, 0);
          g_mutex_unlock (&w->lock);
        }
    }
}

static gpointer
worker_main (gpointer data)
{
  Worker *w = data;
  gint seen = 0;

  g_private_set (&in_worker, GINT_TO_POINTER (1));
  for (;;)
    {
      Job *job;

      wait_for_job (w, seen);
      seen = g_atomic_int_get (&w->generation);
      job = g_atomic_pointer_get (&w->job);
      run_chunks (job);
      g_atomic_int_dec_and_test (&job->pending);  /* job may be gone after this */
    }
  return NULL;
}

static void
give_job (Worker *w, Job *job)
{
  g_atomic_pointer_set (&w->job, job);
  g_atomic_int_inc (&w->generation);
  if (g_atomic_int_get (&w->sleeping))
    {
      g_mutex_lock (&w->lock);
      g_cond_signal (&w->wake);
      g_mutex_unlock (&w->lock);
    }
}

void
gabn_set_threads (int n)
{
  if (n <= 0)
    n = (int) g_get_num_processors ();
  n = CLAMP (n, 1, MAX_THREADS);
  g_atomic_int_set (&n_threads, n);
  /* Products are split across the engine's own threads (gabn-matmul.c). */
  openblas_set_num_threads (1);
}

int
gabn_get_threads (void)
{
  return g_atomic_int_get (&n_threads);
}

void
gabn_parallel_for (int n, GabnRangeFunc fn, gpointer data)
{
  int threads = MIN (gabn_get_threads (), n);
  Job job;

  if (threads <= 1 || g_private_get (&in_worker) || !g_mutex_trylock (&dispatch_lock))
    {
      if (n > 0)
        fn (0, n, data);
      return;
    }

  while (n_workers < threads - 1)
    {
      Worker *w = &workers[n_workers];
      GThread *thread;

      g_mutex_init (&w->lock);
      g_cond_init (&w->wake);
      thread = g_thread_try_new ("gabn-worker", worker_main, w, NULL);
      if (thread == NULL)
        {
          /* Out of threads: go on with those there are. */
          g_mutex_clear (&w->lock);
          g_cond_clear (&w->wake);
          break;
        }
      g_thread_unref (thread);
      n_workers++;
    }
  threads = MIN (threads, n_workers + 1);

  job = (Job) { .fn = fn, .data = data, .n = n,
                .n_chunks = MIN (n, threads * CHUNKS_PER_THREAD),
                .next_chunk = 0, .pending = threads - 1 };
  for (int t = 0; t < threads - 1; t++)
    give_job (&workers[t], &job);

  g_private_set (&in_worker, GINT_TO_POINTER (1));
  run_chunks (&job);
  g_private_set (&in_worker, NULL);
  /* The workers finish their last chunk (or, if late, find none left). */
  for (int spins = 0; g_atomic_int_get (&job.pending) > 0; spins++)
    {
      cpu_relax ();
      if ((spins & 1023) == 1023)
        g_thread_yield ();
    }
  g_mutex_unlock (&dispatch_lock);
}

gboolean
gabn_parallel_nested (void)
{
  return g_private_get (&in_worker) != NULL;
}
