/* gabn-groups-view.h: per group, the mean attention map over the group's
 * mean face, its region size, and the JS divergence matrix. */
#pragma once

#include <adwaita.h>
#include "gabn-session.h"

G_BEGIN_DECLS

#define GABN_TYPE_GROUPS_VIEW (gabn_groups_view_get_type ())
G_DECLARE_FINAL_TYPE (GabnGroupsView, gabn_groups_view, GABN, GROUPS_VIEW, AdwBin)

void gabn_groups_view_set_session (GabnGroupsView *self, GabnSession *session);
/* Recomputes the maps now. */
void gabn_groups_view_refresh (GabnGroupsView *self);
/* TRUE once maps for the current model and dataset are shown. */
gboolean gabn_groups_view_get_ready (GabnGroupsView *self);
/* The maps shown (NULL before the first result). */
const GabnGroupMaps *gabn_groups_view_get_maps (GabnGroupsView *self);

G_END_DECLS
