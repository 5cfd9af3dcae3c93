/* gabn-jobs.h: every background job of the app, counted, so the app can
 * wait for them before the process exits. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* g_task_run_in_thread, counted until worker returns. */
void     gabn_jobs_run_in_thread (GTask *task, GTaskThreadFunc worker);
/* Blocks until no counted worker runs; TRUE when none was left within
 * timeout_ms. Called at shutdown, after every window (and with it every
 * cancellable) is gone, so the workers see their cancellation and end. */
gboolean gabn_jobs_wait_idle     (int timeout_ms);
int      gabn_jobs_running       (void);

G_END_DECLS
