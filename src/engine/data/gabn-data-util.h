/* gabn-data-util.h: small helpers shared by the data area. Private. */
#pragma once

#include "gabn-engine.h"

#include <glib/gi18n.h>

G_BEGIN_DECLS

/* TRUE (with a GABN_ERROR_CANCELLED error) when cancellable is cancelled. */
static inline gboolean
gabn_data_cancelled (GCancellable *cancellable, GError **error)
{
  if (cancellable == NULL || !g_cancellable_is_cancelled (cancellable))
    return FALSE;
  g_set_error_literal (error, GABN_ERROR, GABN_ERROR_CANCELLED, _("Cancelled"));
  return TRUE;
}

G_END_DECLS
