/* gabn-dataset.h: one dataset type for every layout — groups, identities,
 * images, verification pairs, and what each image's labels are.
 * CONTRACT shared by the engine, the GABN method, the CLI and the app.
 *
 * A dataset is either on disk (paths) or in memory (the synthetic faces:
 * RGB pixels). Fields are public and read-only for users; build and free
 * it only through these functions. */
#pragma once

#include "gabn-engine.h"
#include "gabn-net.h" /* GabnPreprocess */

G_BEGIN_DECLS

typedef struct {
  char *name;          /* "Group A", "African", "Olivetti"… */
  int   n_identities;
  int   n_images;
} GabnGroup;

typedef struct {
  char *name;          /* as in the dataset ("m.0abc", "s01"); unique within its group */
  int   group;         /* index into groups */
  int   first_image;   /* images of an identity are contiguous */
  int   n_images;
} GabnIdentity;

typedef struct {
  char *path;          /* absolute path; NULL for in-memory images */
  int   group;         /* index into groups, -1 when unknown */
  int   identity;      /* index into identities, -1 when the layout has none (FairFace, UTKFace) */
  int   age;           /* FairFace/UTKFace labels when present, else -1 */
  int   gender;        /* 0 male, 1 female, -1 unknown */
} GabnImage;

typedef struct {
  int      a, b;       /* image indices */
  gboolean same;       /* genuine (same identity) or impostor */
  int      fold;       /* 0..9 */
} GabnPair;

typedef struct {
  char *file;          /* the file (or folder) concerned */
  int   line;          /* 1-based line, 0 when not about a line */
  char *reason;
} GabnSkip;

typedef struct {
  char      *root;     /* folder opened, or NULL (synthetic) */
  char      *format;   /* "generic", "rfw", "bupt", "fairface", "utkface", "synthetic" */
  GabnGroup *groups;        int n_groups;
  GabnIdentity *identities; int n_identities;
  GabnImage *images;        int n_images;
  GabnPair  *pairs;         int n_pairs;
  GabnSkip  *skipped;       int n_skipped;
  /* In-memory images (synthetic): n_images × pixel_size × pixel_size × 3
   * RGB bytes; NULL for on-disk datasets. */
  guint8    *pixels;
  int        pixel_size;
  /* Free-form description of how the dataset was made (the synthetic
   * generator's parameters), or NULL. */
  char      *description;
  /* The generator's settings when the dataset is synthetic (its ground
   * truth: gabn_synth_render_swapped), else NULL. */
  struct _GabnSynthConfig *synth;
  /* Images found unreadable since opening (private: see
   * gabn_dataset_get_bad). */
  struct _GabnBadImages *bad;
} GabnDataset;

/* Opens a dataset folder, detecting its layout. pairs_file (nullable)
 * overrides the layout's own pairs. Skips what must be skipped (recorded in
 * skipped[]); fails with an error naming the file and line when nothing
 * usable remains or the input is malformed beyond skipping. Never writes. */
GabnDataset *gabn_dataset_open (const char *path, const char *pairs_file,
                                GabnProgressFunc progress, gpointer user_data,
                                GCancellable *cancellable, GError **error);
void gabn_dataset_free (GabnDataset *dataset);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GabnDataset, gabn_dataset_free)

/* Decodes image `index`, converts to RGB, resizes bilinearly to the
 * model's input size, optionally flips horizontally, and writes it as the
 * model's input with its preprocessing (gabn_net_get_preprocess; the
 * built-ins: (x − 127.5) / 127.5), 3×size×size floats, channels first.
 * Thread-safe for distinct outputs. */
gboolean gabn_dataset_load_image (const GabnDataset *dataset, int index,
                                  const GabnPreprocess *pre, gboolean flip,
                                  float *chw, GError **error);

/* The same image as RGB bytes (size×size×3, rows top to bottom), for display. */
gboolean gabn_dataset_load_rgb (const GabnDataset *dataset, int index,
                                int size, guint8 *rgb, GError **error);

/* Unreadable images. A file that fails to decode (any loading function
 * above, from any thread) is recorded once in its dataset with the reason,
 * and later loads of it fail at once with the same reason, without reading
 * the file again. Training substitutes another image for it, evaluation
 * skips the pairs that use it, and both name it once. Thread-safe. */
typedef struct {
  int   image;         /* index into images */
  char *reason;        /* why it failed, without the file name */
} GabnBadImage;

/* How many images were found unreadable so far. */
int           gabn_dataset_n_bad (const GabnDataset *dataset);
/* Copies of the records [from, n_bad), in the order they were found; *n is
 * their number. Free with gabn_bad_images_free. */
GabnBadImage *gabn_dataset_get_bad (const GabnDataset *dataset, int from, int *n);
void          gabn_bad_images_free (GabnBadImage *bad, int n);
gboolean      gabn_dataset_is_bad (const GabnDataset *dataset, int index);
/* Records image index as unreadable (e.g. from a checkpoint's list, so a
 * resumed run skips what the first part skipped). TRUE when it was new. */
gboolean      gabn_dataset_mark_bad (const GabnDataset *dataset, int index,
                                     const char *reason);
/* The index of the image whose file is path, or -1. */
int           gabn_dataset_find_image (const GabnDataset *dataset, const char *path);

/* Decodes every image of an on-disk dataset, on the engine's threads
 * (gabn_parallel_for), so that every unreadable one is recorded; progress
 * (nullable) is called from the calling thread. Returns the number of
 * unreadable images, or -1 on cancel (GABN_ERROR_CANCELLED). */
int gabn_dataset_verify (const GabnDataset *dataset, GabnProgressFunc progress,
                         gpointer user_data, GCancellable *cancellable,
                         GError **error);

G_END_DECLS
