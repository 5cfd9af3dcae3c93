/* gabn-settings-bind.h: binds a string setting to a combo row by index. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* ids: NULL-terminated, in the row's model order. Bidirectional. */
void gabn_bind_string_setting (gpointer settings, const char *key, AdwComboRow *row,
                               const char *const *ids);

G_END_DECLS
