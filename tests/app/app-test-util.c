/* app-test-util.c: helpers shared by the app tests. */
#include "app-test-util.h"

#include "gabn-window.h"

gboolean
app_test_wait_until (AppTestPredicate predicate, gpointer data, double timeout_s)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!predicate (data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

gboolean
app_test_session_loaded (gpointer window)
{
  GabnSession *session = gabn_window_get_session (window);

  return gabn_session_get_dataset (session) != NULL && gabn_session_get_model (session) != NULL
         && !gabn_session_get_busy (session);
}
