/* gabn-face-item.h: one image of the dataset as a list item for the faces
 * grid; its thumbnail is decoded lazily by the session's load-face job
 * (the dataset must be the session's current one). */
#pragma once

#include <gtk/gtk.h>
#include "gabn-session.h"

G_BEGIN_DECLS

#define GABN_TYPE_FACE_ITEM (gabn_face_item_get_type ())
G_DECLARE_FINAL_TYPE (GabnFaceItem, gabn_face_item, GABN, FACE_ITEM, GObject)

GabnFaceItem *gabn_face_item_new (GabnSession *session, GabnSharedDataset *dataset,
                                  int index);
int           gabn_face_item_get_index (GabnFaceItem *self);
int           gabn_face_item_get_group (GabnFaceItem *self);
int           gabn_face_item_get_identity (GabnFaceItem *self);
/* "Group A · id 12" style label. */
const char   *gabn_face_item_get_label (GabnFaceItem *self);
/* NULL until loaded; starts loading on first call. Notifies "thumbnail". */
GdkPaintable *gabn_face_item_get_thumbnail (GabnFaceItem *self);

G_END_DECLS
