/* gabn-loaders.h: one loader per dataset layout, and the folder-walking
 * helpers they share. Private to the data area; gabn_dataset_open picks the
 * loader (gabn-dataset-open.c). Loaders only read: they never write into
 * the user's folder. */
#pragma once

#include "gabn-dataset-builder.h"

#include <glib/gi18n.h>

G_BEGIN_DECLS

typedef struct {
  GabnProgressFunc progress;
  gpointer         user_data;
  GCancellable    *cancellable;
} GabnLoadContext;

/* TRUE when the file name has an image extension GdkPixbuf commonly reads. */
gboolean gabn_is_image_name (const char *name);

/* The entries of a folder, sorted by name (hidden ones left out); NULL
 * with an error when it cannot be read. */
GPtrArray *gabn_list_dir (const char *path, GError **error);

/* Adds every <dir>/<group>/<identity>/<image> below dir (groups in name
 * order; when only is non-NULL, only the groups it names). Images outside
 * an identity folder, non-image files and empty identity folders are
 * recorded as skipped. */
gboolean gabn_scan_groups (GabnDatasetBuilder *builder, const char *dir,
                           const char *const *only, const GabnLoadContext *ctx,
                           GError **error);

/* Reads a pairs.tsv-style file (path1 TAB path2 TAB same [TAB fold 1–10];
 * paths relative to root or absolute) into builder pairs; bad lines are
 * skipped with their line number and the reason. */
gboolean gabn_read_pairs_tsv (GabnDatasetBuilder *builder, const char *root,
                              const char *pairs_file, GError **error);

GabnDataset *gabn_load_rfw (const char *root, const char *test_dir,
                            const GabnLoadContext *ctx, GError **error);
GabnDataset *gabn_load_fairface (const char *root, const GabnLoadContext *ctx,
                                 GError **error);
GabnDataset *gabn_load_utkface (const char *root, const GabnLoadContext *ctx,
                                GError **error);

G_END_DECLS
