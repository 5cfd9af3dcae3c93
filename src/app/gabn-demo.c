/* gabn-demo.c: the demonstration lives as long as its window (a weak
 * reference ends it) and drives the views through their public calls. */
#include "config.h"
#include "gabn-demo.h"
#include "gabn-compare-view.h"
#include "gabn-teach-view.h"
#include "gabn-train-view.h"

typedef struct {
  GabnWindow  *window;     /* weak */
  char        *view;       /* the view to prepare; NULL once started */
  gboolean     compared;
} Demo;

static void
demo_free (Demo *demo)
{
  if (demo->window != NULL)
    g_object_remove_weak_pointer (G_OBJECT (demo->window), (gpointer *) &demo->window);
  g_free (demo->view);
  g_free (demo);
}

/* The shipped baseline (the current model, the first candidate) as A and
 * the shipped GABN model as B — what a first run offers — once both are
 * there; without them, the session's first run (baseline) as A and its
 * second (GABN) as B, once both offer their models. */
static void
compare_demo_runs (Demo *demo)
{
  GabnCompareView *compare;
  GListModel *runs = gabn_session_get_runs (gabn_window_get_session (demo->window));
  g_autoptr(GabnTrainRun) first = NULL;
  g_autoptr(GabnTrainRun) second = NULL;
  int a, b;

  if (demo->window == NULL || demo->compared)
    return;
  compare = GABN_COMPARE_VIEW (gabn_window_get_view_widget (demo->window, "compare"));
  if (gabn_window_has_shipped_models (demo->window))
    {
      a = gabn_compare_view_find_model_file (compare, GABN_SHIPPED_BASELINE);
      b = gabn_compare_view_find_model_file (compare, GABN_SHIPPED_GABN);
      if (a < 0 || b < 0)
        return;
      demo->compared = TRUE;
      gabn_compare_view_select (compare, a, b);
      gabn_compare_view_compare (compare);
      return;
    }
  if (g_list_model_get_n_items (runs) < 2)
    return;
  first = g_list_model_get_item (runs, 0);
  second = g_list_model_get_item (runs, 1);
  a = gabn_compare_view_find_model (compare, gabn_train_run_get_name (first));
  b = gabn_compare_view_find_model (compare, gabn_train_run_get_name (second));
  if (a < 0 || b < 0)
    return;
  demo->compared = TRUE;
  gabn_compare_view_select (compare, a, b);
  gabn_compare_view_compare (compare);
}

static void
on_models_changed (GListModel *models, guint position, guint removed, guint added, Demo *demo)
{
  if (demo->window != NULL)
    compare_demo_runs (demo);
}

static void
start_demo (Demo *demo)
{
  GabnSession *session;
  g_autofree char *view = NULL;

  if (demo->window == NULL || demo->view == NULL)
    return;
  session = gabn_window_get_session (demo->window);
  if (gabn_session_get_dataset (session) == NULL || gabn_session_get_model (session) == NULL)
    return;
  view = g_steal_pointer (&demo->view);
  g_debug ("Starting the %s demonstration", view);
  if (g_str_equal (view, "train") || g_str_equal (view, "compare"))
    {
      GabnTrainView *train = GABN_TRAIN_VIEW (gabn_window_get_view_widget (demo->window, "train"));

      if (g_str_equal (view, "compare"))
        {
          g_signal_connect_after (gabn_session_get_models (session), "items-changed",
                                  G_CALLBACK (on_models_changed), demo);
          if (gabn_window_has_shipped_models (demo->window))
            {
              /* The baseline becomes current and the GABN model joins
               * the list, each when its file has loaded. */
              g_signal_connect_swapped (session, "notify::model",
                                        G_CALLBACK (compare_demo_runs), demo);
              compare_demo_runs (demo);
              return;
            }
        }
      gabn_train_view_start_demo (train, g_str_equal (view, "train") ? 3 : 1);
    }
  else if (g_str_equal (view, "teach"))
    gabn_teach_view_run_demo (GABN_TEACH_VIEW (gabn_window_get_view_widget (demo->window, "teach")));
}

void
gabn_demo_prepare (GabnWindow *window, const char *view)
{
  GabnSession *session = gabn_window_get_session (window);
  Demo *demo = g_new0 (Demo, 1);

  demo->window = window;
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &demo->window);
  demo->view = g_strdup (view);
  /* The handlers go with the session (its models list goes after it);
   * the last one frees the demo. */
  g_signal_connect_data (session, "notify::model", G_CALLBACK (start_demo), demo, NULL,
                         G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  g_signal_connect_data (session, "notify::dataset", G_CALLBACK (start_demo), demo,
                         (GClosureNotify) (void (*) (void)) demo_free,
                         G_CONNECT_SWAPPED | G_CONNECT_AFTER);
  start_demo (demo);
}
