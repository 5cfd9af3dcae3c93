/* gabn-parallel.c: thread count (engine + OpenBLAS) and a parallel for. */
#include "gabn-engine.h"
#include "gabn-parallel.h"

#include <cblas.h>
#include <unistd.h>


static int n_threads = 1;
static GThreadPool *pool;
static GMutex pool_lock;
static GPrivate in_worker; /* set on threads running a chunk: nested loops run serially */

typedef struct {
  GabnRangeFunc fn;
  gpointer data;
  int begin, end;
  GMutex *lock;
  GCond *cond;
  int *remaining;
} Chunk;

static void
run_chunk (gpointer item, gpointer user_data)
{
  Chunk *c = item;

  g_private_set (&in_worker, GINT_TO_POINTER (1));
  c->fn (c->begin, c->end, c->data);
  g_mutex_lock (c->lock);
  if (--(*c->remaining) == 0)
    g_cond_signal (c->cond);
  g_mutex_unlock (c->lock);
}

void
gabn_set_threads (int n)
{
  if (n <= 0)
    n = (int) g_get_num_processors ();
  n = CLAMP (n, 1, 64);
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

  if (threads <= 1 || g_private_get (&in_worker))
    {
      if (n > 0)
        fn (0, n, data);
      return;
    }

  g_mutex_lock (&pool_lock);
  if (pool == NULL)
    pool = g_thread_pool_new (run_chunk, NULL, 64, FALSE, NULL);
  g_mutex_unlock (&pool_lock);

  {
    GMutex lock;
    GCond cond;
    int remaining = threads - 1;
    Chunk *chunks = g_newa (Chunk, threads);

    g_mutex_init (&lock);
    g_cond_init (&cond);
    for (int t = 0; t < threads; t++)
      chunks[t] = (Chunk) { fn, data, (int) ((gint64) n * t / threads),
                            (int) ((gint64) n * (t + 1) / threads), &lock, &cond, &remaining };
    for (int t = 1; t < threads; t++)
      g_thread_pool_push (pool, &chunks[t], NULL);
    g_private_set (&in_worker, GINT_TO_POINTER (1));
    fn (chunks[0].begin, chunks[0].end, data);
    g_private_set (&in_worker, NULL);
    g_mutex_lock (&lock);
    while (remaining > 0)
      g_cond_wait (&cond, &lock);
    g_mutex_unlock (&lock);
    g_mutex_clear (&lock);
    g_cond_clear (&cond);
  }
}
