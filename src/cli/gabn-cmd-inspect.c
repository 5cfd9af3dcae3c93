/* gabn-cmd-inspect.c: `gabn inspect` — a model's architecture, groups,
 * training configuration and last evaluation, from its metadata. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-model-file.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static void
add_floats (JsonBuilder *b, const char *member, const float *v)
{
  json_builder_set_member_name (b, member);
  json_builder_begin_array (b);
  for (int c = 0; c < 3; c++)
    json_builder_add_double_value (b, v[c]);
  json_builder_end_array (b);
}

static void
add_preprocess_json (JsonBuilder *b, const GabnPreprocess *pre)
{
  json_builder_set_member_name (b, "preprocess");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, pre->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, pre->height);
  json_builder_set_member_name (b, "channels");
  json_builder_add_string_value (b, pre->bgr ? "BGR" : "RGB");
  add_floats (b, "mean", pre->mean);
  add_floats (b, "scale", pre->scale);
  json_builder_end_object (b);
}

static void
add_layers_json (JsonBuilder *b, GabnNet *net)
{
  int n;
  g_autofree GabnFeatureLayer *layers = gabn_net_feature_layers (net, &n);
  const char *current = gabn_net_feature_layer (net);

  json_builder_set_member_name (b, "gam_layer");
  if (current)
    json_builder_add_string_value (b, current);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "feature_layers");
  json_builder_begin_array (b);
  for (int k = 0; k < n; k++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, layers[k].name);
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, layers[k].c);
      json_builder_add_int_value (b, layers[k].h);
      json_builder_add_int_value (b, layers[k].w);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
}

static void
print_preprocess_and_layers (GabnNet *net)
{
  const GabnPreprocess *p = gabn_net_get_preprocess (net);
  const char *current = gabn_net_feature_layer (net);
  int n;
  g_autofree GabnFeatureLayer *layers = gabn_net_feature_layers (net, &n);

  /* Translators: the input size, RGB or BGR, then per-channel means and
   * scales, e.g. x' = (x − 127.5)·0.00784 */
  printf (_("Preprocessing:  %d×%d %s, x′ = (x − mean)·scale, mean %g %g %g, scale %g %g %g\n"),
          p->width, p->height, p->bgr ? "BGR" : "RGB", p->mean[0], p->mean[1], p->mean[2],
          p->scale[0], p->scale[1], p->scale[2]);
  printf (_("GAM layer:      %s\n"), current ? current : _("(the built-in feature maps)"));
  if (gabn_net_is_imported (net))
    printf ("%s\n", _("Imported:       a graph opened as it is (ONNX); it is not trained "
                       "or saved here"));
  printf ("%s\n", _("Feature-map layers (gabn gam --layer NAME):"));
  for (int k = 0; k < n; k++)
    printf ("  %-40s %d×%d×%d%s\n", layers[k].name, layers[k].c, layers[k].h, layers[k].w,
            current && g_str_equal (layers[k].name, current) ? _("  (default)") : "");
}

/* Pretty-printed JSON text, or the text itself when it is not JSON. */
static char *
pretty (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonGenerator) gen = NULL;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return g_strdup (text);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, json_parser_get_root (parser));
  return json_generator_to_data (gen, NULL);
}

int
gabn_cmd_inspect (int argc, char **argv)
{
  g_autofree char *arch = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("Architecture of a model without metadata"), "A" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) meta = NULL;
  g_autoptr(GabnNet) net = NULL;
  const char *path, *text;
  int C, h, w;

  if (!gabn_cli_parse ("inspect", _("MODEL"),
                       _("Show a model’s architecture, groups, training configuration "
                         "and last evaluation."), entries, &argc, &argv))
    return 2;
  if (argc != 2)
    {
      g_printerr ("%s\n", _("gabn inspect: give one model file"));
      return 2;
    }
  path = argv[1];
  net = gabn_model_load (path, arch, &meta, &error);
  if (!net)
    return gabn_cli_fail ("inspect", error);
  gabn_net_feature_shape (net, &C, &h, &w);

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *out = NULL;
      const char *keys[] = { "groups", "train_config", "eval", "trainer_state", "split" };

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "arch");
      json_builder_add_string_value (b, gabn_net_arch (net));
      json_builder_set_member_name (b, "input_size");
      json_builder_add_int_value (b, gabn_net_input_size (net));
      json_builder_set_member_name (b, "embedding_dim");
      json_builder_add_int_value (b, gabn_net_embedding_dim (net));
      json_builder_set_member_name (b, "classes");
      json_builder_add_int_value (b, gabn_net_n_classes (net));
      json_builder_set_member_name (b, "parameters");
      json_builder_add_int_value (b, gabn_net_n_params (net));
      json_builder_set_member_name (b, "feature_maps");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, C);
      json_builder_add_int_value (b, h);
      json_builder_add_int_value (b, w);
      json_builder_end_array (b);
      add_preprocess_json (b, gabn_net_get_preprocess (net));
      add_layers_json (b, net);
      for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
        {
          g_autoptr(JsonParser) parser = json_parser_new ();

          text = meta ? g_hash_table_lookup (meta, keys[i]) : NULL;
          json_builder_set_member_name (b, keys[i]);
          if (text && json_parser_load_from_data (parser, text, -1, NULL))
            json_builder_add_value (b, json_node_copy (json_parser_get_root (parser)));
          else if (text)
            json_builder_add_string_value (b, text);
          else
            json_builder_add_null_value (b);
        }
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      json_generator_set_root (gen, root);
      out = json_generator_to_data (gen, NULL);
      printf ("%s\n", out);
      return 0;
    }

  printf (_("Model:          %s\n"), path);
  printf (_("Architecture:   %s (input %d×%d, feature maps %d×%d×%d, embedding %d)\n"),
          gabn_net_arch (net), gabn_net_input_size (net), gabn_net_input_size (net),
          C, h, w, gabn_net_embedding_dim (net));
  printf (_("Parameters:     %zu\n"), gabn_net_n_params (net));
  printf (_("Classes:        %d\n"), gabn_net_n_classes (net));
  print_preprocess_and_layers (net);
  text = meta ? g_hash_table_lookup (meta, "groups") : NULL;
  printf (_("Groups:         %s\n"), text ? text : _("(not recorded)"));
  text = meta ? g_hash_table_lookup (meta, "trainer_state") : NULL;
  if (text)
    printf (_("Training state: %s\n"), text);
  text = meta ? g_hash_table_lookup (meta, "train_config") : NULL;
  if (text)
    {
      g_autofree char *p = pretty (text);
      printf (_("\nTraining configuration:\n%s\n"), p);
    }
  else if (meta && g_hash_table_contains (meta, "format"))
    printf ("%s\n", _("Training configuration: none — a pretrained, imported recognizer "
                       "(used as it is; training it here is not supported)"));
  else
    printf ("%s\n", _("Training configuration: (not recorded: a plain export?)"));
  text = meta ? g_hash_table_lookup (meta, "eval") : NULL;
  if (text)
    {
      g_autoptr(GabnEvalReport) report = gabn_eval_report_from_json (text, NULL);
      if (report)
        {
          printf (_("\nLast evaluation (epoch %d, step %lld):\n"),
                  report->epoch + 1, (long long) report->step);
          gabn_cli_print_report (stdout, report);
        }
    }
  else
    printf ("%s\n", _("Last evaluation: (none recorded)"));
  if (meta)
    {
      GHashTableIter it;
      gpointer k, v;
      const char *known[] = { "arch", "groups", "train_config", "eval", "split",
                              "trainer_state", NULL };

      g_hash_table_iter_init (&it, meta);
      while (g_hash_table_iter_next (&it, &k, &v))
        if (!g_strv_contains (known, k))
          printf ("%s: %s\n", (const char *) k, (const char *) v);
    }
  return 0;
}
