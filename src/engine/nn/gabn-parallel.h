/* gabn-parallel.h: the engine's own parallel loops, sized with OpenBLAS so
 * that the two never oversubscribe the cores. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Calls fn(begin, end, data) on disjoint chunks covering [0, n), on up to
 * gabn_get_threads() threads, and returns when all are done. fn must not call
 * gabn_parallel_for itself (nested calls run serially). */
typedef void (*GabnRangeFunc) (int begin, int end, gpointer data);
void gabn_parallel_for (int n, GabnRangeFunc fn, gpointer data);

/* TRUE on a thread running a gabn_parallel_for chunk, where another loop
 * runs serially: callers sizing their jobs for the threads need not cut
 * work for threads that will not come. */
gboolean gabn_parallel_nested (void);

G_END_DECLS
