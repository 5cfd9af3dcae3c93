/* gabn-jobs.c: counts the app's worker threads.
 *
 * GLib's thread pool never joins its workers, so a job still running when
 * main returns would meet the libraries' exit handlers (OpenBLAS frees its
 * buffers) and crash. The application waits here at shutdown instead. */
#include "config.h"
#include "gabn-jobs.h"

static GMutex lock;
static GCond idle;
static int running;
static GQuark worker_quark;

static void
trampoline (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  GTaskThreadFunc worker = g_object_get_qdata (G_OBJECT (task), worker_quark);

  worker (task, source, task_data, cancellable);
  g_mutex_lock (&lock);
  running--;
  g_cond_broadcast (&idle);
  g_mutex_unlock (&lock);
}

void
gabn_jobs_run_in_thread (GTask *task, GTaskThreadFunc worker)
{
  if (worker_quark == 0)
    worker_quark = g_quark_from_static_string ("gabn-jobs-worker");
  g_object_set_qdata (G_OBJECT (task), worker_quark, worker);
  g_mutex_lock (&lock);
  running++;
  g_mutex_unlock (&lock);
  g_task_run_in_thread (task, trampoline);
}

gboolean
gabn_jobs_wait_idle (int timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * G_TIME_SPAN_MILLISECOND;
  gboolean ok = TRUE;

  g_mutex_lock (&lock);
  while (running > 0 && ok)
    ok = g_cond_wait_until (&idle, &lock, end);
  ok = running == 0;
  g_mutex_unlock (&lock);
  return ok;
}

int
gabn_jobs_running (void)
{
  int n;

  g_mutex_lock (&lock);
  n = running;
  g_mutex_unlock (&lock);
  return n;
}
