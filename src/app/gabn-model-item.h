/* gabn-model-item.h: a model in a list (the session's models to compare):
 * its name and the shared model. */
#pragma once

#include <gio/gio.h>
#include "gabn-shared.h"

G_BEGIN_DECLS

#define GABN_TYPE_MODEL_ITEM (gabn_model_item_get_type ())
G_DECLARE_FINAL_TYPE (GabnModelItem, gabn_model_item, GABN, MODEL_ITEM, GObject)

/* model may be NULL ("Current: none"); referenced. */
GabnModelItem   *gabn_model_item_new (const char *name, GabnSharedModel *model);
const char      *gabn_model_item_get_name (GabnModelItem *self);
GabnSharedModel *gabn_model_item_get_model (GabnModelItem *self);

G_END_DECLS
