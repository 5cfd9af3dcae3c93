/* test-parallel.c: gabn_parallel_for covers every index exactly once — for
 * any n and thread count, after the workers have gone to sleep, from
 * nested calls, and from two threads calling at once. */
#include "gabn-engine.h"
#include "gabn-parallel.h"

typedef struct {
  int n;
  gint *hits;        /* per index */
  gboolean nest;     /* call gabn_parallel_for again from inside */
} Count;

static void
count_range (int begin, int end, gpointer data)
{
  Count *c = data;

  g_assert_cmpint (begin, >=, 0);
  g_assert_cmpint (end, <=, c->n);
  g_assert_cmpint (begin, <, end);
  for (int i = begin; i < end; i++)
    {
      if (c->nest)
        {
          gint inner[3] = { 0 };
          Count nested = { .n = 3, .hits = inner };

          gabn_parallel_for (3, count_range, &nested);
          for (int k = 0; k < 3; k++)
            g_assert_cmpint (inner[k], ==, 1);
        }
      g_atomic_int_inc (&c->hits[i]);
    }
}

static void
check_once (int n, gboolean nest)
{
  g_autofree gint *hits = g_new0 (gint, MAX (n, 1));
  Count c = { .n = n, .hits = hits, .nest = nest };

  gabn_parallel_for (n, count_range, &c);
  for (int i = 0; i < n; i++)
    if (g_atomic_int_get (&hits[i]) != 1)
      g_error ("n = %d: index %d run %d times", n, i, hits[i]);
}

static void
test_cover (void)
{
  static const int sizes[] = { 0, 1, 2, 3, 7, 64, 1001 };

  for (int threads = 1; threads <= 4; threads++)
    {
      gabn_set_threads (threads);
      for (guint s = 0; s < G_N_ELEMENTS (sizes); s++)
        {
          check_once (sizes[s], FALSE);
          check_once (sizes[s], TRUE);
        }
      /* Long enough for idle workers to stop spinning and sleep. */
      g_usleep (5000);
      check_once (100, FALSE);
    }
}

static gpointer
hammer (gpointer data)
{
  for (int round = 0; round < 2000; round++)
    check_once (1 + round % 37, FALSE);
  return data;
}

static void
test_concurrent_callers (void)
{
  GThread *other;

  gabn_set_threads (2);
  other = g_thread_new ("caller", hammer, NULL);
  hammer (NULL);
  g_thread_join (other);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/engine/parallel/cover", test_cover);
  g_test_add_func ("/engine/parallel/concurrent-callers", test_concurrent_callers);
  return g_test_run ();
}
