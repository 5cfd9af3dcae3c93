/* gabn-cmd-models.c: `gabn models` — the models the project knows by name
 * (gabn-models.h): what the set-up installed and the user's own. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-models.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

int
gabn_cmd_models (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GPtrArray) models = NULL;
  int width = 4;

  if (!gabn_cli_parse ("models", "", _("List the models known by name (use the name as --model)."),
                       entries, &argc, &argv))
    return 2;
  models = gabn_models_list ();
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < models->len; i++)
        {
          GabnModelInfo *m = g_ptr_array_index (models, i);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, m->name);
          json_builder_set_member_name (b, "path");
          json_builder_add_string_value (b, m->path);
          json_builder_set_member_name (b, "kind");
          json_builder_add_string_value (b, m->kind);
          json_builder_set_member_name (b, "arch");
          if (m->arch)
            json_builder_add_string_value (b, m->arch);
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "input_size");
          if (m->input_size > 0)
            json_builder_add_int_value (b, m->input_size);
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = json_to_string (root, FALSE);
      printf ("%s\n", text);
      return 0;
    }
  if (models->len == 0)
    {
      g_auto(GStrv) dirs = gabn_models_dirs ();

      printf ("%s\n", _("No models installed. build-aux/dev installs the dlib ResNet "
                        "(dlib-resnet); own models go in one of:"));
      for (int i = 0; dirs[i]; i++)
        printf ("  %s\n", dirs[i]);
      return 0;
    }
  for (guint i = 0; i < models->len; i++)
    width = MAX (width, (int) strlen (((GabnModelInfo *) g_ptr_array_index (models, i))->name));
  for (guint i = 0; i < models->len; i++)
    {
      GabnModelInfo *m = g_ptr_array_index (models, i);

      if (m->input_size > 0)
        printf ("%-*s  %-11s %3d×%-3d  %s\n", width, m->name, m->kind, m->input_size,
                m->input_size, m->path);
      else
        printf ("%-*s  %-11s %7s  %s\n", width, m->name, m->kind, "?", m->path);
    }
  return 0;
}
