/* gabn-engine.h: the engine's umbrella header and its shared basics.
 *
 * The engine is a library with no GTK: the app and the CLI are thin users of
 * it. Errors are returned as GError in GABN_ERROR; nothing here exits or
 * aborts on bad input. Long operations take a progress callback and a
 * GCancellable so that a GUI can show progress and stop them. */
#pragma once

#include <glib.h>
#include <gio/gio.h>

G_BEGIN_DECLS

#define GABN_ERROR (gabn_error_quark ())

typedef enum {
  GABN_ERROR_FAILED,
  GABN_ERROR_INVALID_FILE,     /* a file exists but its content is wrong */
  GABN_ERROR_INVALID_ARGUMENT, /* a value given by the caller is wrong */
  GABN_ERROR_NOT_FOUND,        /* a file or named item is missing */
  GABN_ERROR_UNSUPPORTED,      /* valid but not handled (dtype, layout) */
  GABN_ERROR_CANCELLED,
} GabnError;

GQuark gabn_error_quark (void);

/* Progress of a long operation: fraction in 0..1 (or < 0 when unknown) and a
 * short human-readable message (may be NULL). Called from the thread that
 * runs the operation: a GUI must marshal it to its main loop. */
typedef void (*GabnProgressFunc) (double fraction, const char *message,
                                  gpointer user_data);

const char *gabn_engine_version (void);

/* Threads used by the engine: its own pool, which also runs the slices of
 * large matrix products (OpenBLAS itself is kept single-threaded).
 * n <= 0 picks the number of online CPUs. Thread-safe; applies to work
 * started after the call. */
void gabn_set_threads (int n);
int  gabn_get_threads (void);

G_END_DECLS
