/* gabn-session-private.h: the session's fields and the helpers its parts
 * (gabn-session-*.c, one job each) share. Not for views. */
#pragma once

#include "gabn-session.h"
#include "gabn-jobs.h"

G_BEGIN_DECLS

struct _GabnSession
{
  GObject            parent_instance;

  GabnSharedDataset *dataset;
  GabnSharedModel   *model;
  guint              dataset_serial;   /* bumped by each dataset request */
  guint              model_serial;
  GHashTable        *cam_cache;        /* "image:method:kind:target" → GabnCamResult */

  GListStore        *runs;             /* GabnTrainRun, the Train view's */
  GPtrArray         *unlisted_runs;    /* GabnTrainRun, the teaching mode's */
  GListStore        *models;           /* GabnModelItem, to compare */
  GCancellable      *cancellable;      /* cancelled by shutdown; every job's is chained to it */

  int                synth_identities; /* 0: the preset's size */
  int                synth_images;
  guint              n_busy;
  double             progress;
  char              *status;
};

/* A task of a job: its cancellable fires with the caller's (may be NULL)
 * and with the session's shutdown. */
GTask *gabn_session_task_new (GabnSession *self, GCancellable *cancellable,
                              GAsyncReadyCallback callback, gpointer user_data,
                              gpointer source_tag);
/* The error of a job that needs a dataset (and a model) when there is none:
 * TRUE (and the task returned) when missing. */
gboolean gabn_session_task_needs (GabnSession *self, GTask *task, gboolean model);

/* Busy state of the loads shown in the window's progress bar. */
void gabn_session_busy_push (GabnSession *self, const char *status);
void gabn_session_busy_pop (GabnSession *self);

/* Progress reports from a worker (GabnProgressFunc), throttled. */
typedef struct _GabnSessionProgress GabnSessionProgress;
GabnSessionProgress *gabn_session_progress_new (GabnSession *self);
void                 gabn_session_progress_free (GabnSessionProgress *progress);
void                 gabn_session_progress_report (double fraction, const char *message,
                                                   gpointer progress);

/* Replaces the current dataset (the CAM cache goes with it). */
void gabn_session_set_dataset (GabnSession *self, GabnSharedDataset *dataset);
void gabn_session_clear_cache (GabnSession *self);

gboolean gabn_session_is_cancelled_error (const GError *error);

G_END_DECLS
