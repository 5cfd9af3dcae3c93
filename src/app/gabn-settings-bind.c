/* gabn-settings-bind.c: string key ↔ combo row index. */
#include "config.h"
#include "gabn-settings-bind.h"

static gboolean
string_to_index (GBinding *binding, const GValue *from, GValue *to, gpointer ids)
{
  const char *const *names = ids;
  const char *value = g_value_get_string (from);

  for (guint i = 0; names[i] != NULL; i++)
    if (g_strcmp0 (names[i], value) == 0)
      {
        g_value_set_uint (to, i);
        return TRUE;
      }
  g_value_set_uint (to, 0);
  return TRUE;
}

static gboolean
index_to_string (GBinding *binding, const GValue *from, GValue *to, gpointer ids)
{
  const char *const *names = ids;
  guint index = g_value_get_uint (from);

  if (index >= g_strv_length ((char **) names))
    return FALSE;
  g_value_set_string (to, names[index]);
  return TRUE;
}

void
gabn_bind_string_setting (gpointer settings, const char *key, AdwComboRow *row,
                          const char *const *ids)
{
  g_object_bind_property_full (settings, key, row, "selected",
                               G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE,
                               string_to_index, index_to_string, (gpointer) ids, NULL);
}
