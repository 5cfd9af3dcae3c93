/* app-test-util.h: helpers shared by the app tests. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef gboolean (*AppTestPredicate) (gpointer data);

/* Runs the main context until predicate (data) holds; FALSE after
 * timeout_s seconds without it. */
gboolean app_test_wait_until (AppTestPredicate predicate, gpointer data,
                              double timeout_s);

/* A predicate: the GabnWindow data's session has a dataset and a model
 * and is not busy. */
gboolean app_test_session_loaded (gpointer window);

G_END_DECLS
