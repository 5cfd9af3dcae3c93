/* gabn-eval-report.c: GabnEvalReport copy/free and its JSON forms. */
#include "gabn-evaluate.h"
#include "gabn-cam.h"

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

static const double far_targets[GABN_N_FAR] = { 1e-2, 1e-3, 1e-4 };
static const char *const far_names[GABN_N_FAR] = { "1e-2", "1e-3", "1e-4" };

double
gabn_far_target (int index)
{
  return far_targets[CLAMP (index, 0, GABN_N_FAR - 1)];
}

const char *
gabn_far_name (int index)
{
  return far_names[CLAMP (index, 0, GABN_N_FAR - 1)];
}

static float *
dup_floats (const float *src, gsize n)
{
  return src && n > 0 ? g_memdup2 (src, n * sizeof (float)) : NULL;
}

GabnEvalReport *
gabn_eval_report_copy (const GabnEvalReport *report)
{
  GabnEvalReport *copy;
  gsize cells;

  if (!report)
    return NULL;
  cells = (gsize) report->gam_h * report->gam_w;
  copy = g_new (GabnEvalReport, 1);
  *copy = *report;
  copy->groups = g_new0 (GabnGroupReport, MAX (report->n_groups, 1));
  for (int g = 0; g < report->n_groups; g++)
    {
      const GabnGroupReport *src = &report->groups[g];
      GabnGroupReport *dst = &copy->groups[g];

      *dst = *src;
      dst->name = g_strdup (src->name);
      dst->mean_gam = dup_floats (src->mean_gam, cells);
      dst->roc_far = dup_floats (src->roc_far, src->n_roc);
      dst->roc_tar = dup_floats (src->roc_tar, src->n_roc);
    }
  copy->js_matrix = report->js_matrix
    ? g_memdup2 (report->js_matrix,
                 sizeof (double) * report->n_groups * report->n_groups)
    : NULL;
  return copy;
}

void
gabn_eval_report_free (GabnEvalReport *report)
{
  if (!report)
    return;
  for (int g = 0; g < report->n_groups; g++)
    {
      g_free (report->groups[g].name);
      g_free (report->groups[g].mean_gam);
      g_free (report->groups[g].roc_far);
      g_free (report->groups[g].roc_tar);
    }
  g_free (report->groups);
  g_free (report->js_matrix);
  g_free (report);
}

const char *
gabn_train_map_label (int gam, gboolean held_out)
{
  if (gam == GABN_CAM_HIRESCAM)
    return held_out ? "hirescam, train, identity mean" : "hirescam, train, class centre";
  return held_out ? "gradcam, train, identity mean" : "gradcam, train, class centre";
}

void
gabn_eval_report_clear_diagnostics (GabnEvalReport *r)
{
  r->probe_accuracy = r->probe_accuracy_std = r->probe_chance = NAN;
  r->has_train_maps = FALSE;
  r->train_gam = GABN_CAM_GRADCAM;
  r->n_train_maps = r->n_held_out_maps = 0;
  r->train_mean_pairwise_js = r->disc_accuracy_train = NAN;
  r->disc_accuracy_held_out = r->grad_ratio = r->batch_disc_accuracy = NAN;
  for (int g = 0; g < r->n_groups; g++)
    r->groups[g].train_region50 = r->groups[g].train_region80 =
      r->groups[g].train_js_to_reference = NAN;
}

/* ---- Writing ----------------------------------------------------------- */

static void
add_number (JsonBuilder *b, const char *name, double value)
{
  if (name)
    json_builder_set_member_name (b, name);
  if (isfinite (value))
    json_builder_add_double_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_float_array (JsonBuilder *b, const char *name, const float *v, int n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    add_number (b, NULL, v[i]);
  json_builder_end_array (b);
}

/* Reliance is reported when measured: finite shares summing to 1 (a
 * zero-filled group has none). */
static gboolean
has_reliance (const GabnGroupReport *g)
{
  double sum = 0;

  for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
    {
      if (!isfinite (g->reliance[k]))
        return FALSE;
      sum += g->reliance[k];
    }
  return fabs (sum - 1.0) < 1e-3;
}

static void
add_group (JsonBuilder *b, const GabnEvalReport *report,
           const GabnGroupReport *g, gboolean full)
{
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, g->name ? g->name : "");
  json_builder_set_member_name (b, "pairs");
  json_builder_add_int_value (b, g->n_pairs);
  add_number (b, "accuracy", g->accuracy);
  add_number (b, "accuracy_std", g->accuracy_std);
  json_builder_set_member_name (b, "tar_at_far");
  json_builder_begin_object (b);
  for (int i = 0; i < GABN_N_FAR; i++)
    add_number (b, far_names[i], g->tar_at_far[i]);
  json_builder_end_object (b);
  add_number (b, "fmr", g->fmr);
  add_number (b, "fnmr", g->fnmr);
  add_number (b, "region50", g->region50);
  add_number (b, "region80", g->region80);
  add_number (b, "js_to_reference", g->js_to_reference);
  if (has_reliance (g))
    {
      json_builder_set_member_name (b, "reliance");
      json_builder_begin_object (b);
      for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
        add_number (b, gabn_synth_region_name (k), g->reliance[k]);
      json_builder_end_object (b);
    }
  if (full)
    {
      json_builder_set_member_name (b, "genuine");
      json_builder_add_int_value (b, g->n_genuine);
      json_builder_set_member_name (b, "impostor");
      json_builder_add_int_value (b, g->n_impostor);
      json_builder_set_member_name (b, "gam_images");
      json_builder_add_int_value (b, g->n_gam_images);
      if (g->mean_gam)
        {
          json_builder_set_member_name (b, "mean_gam");
          json_builder_begin_array (b);
          for (int r = 0; r < report->gam_h; r++)
            {
              json_builder_begin_array (b);
              for (int c = 0; c < report->gam_w; c++)
                add_number (b, NULL, g->mean_gam[r * report->gam_w + c]);
              json_builder_end_array (b);
            }
          json_builder_end_array (b);
        }
      json_builder_set_member_name (b, "roc");
      json_builder_begin_object (b);
      add_float_array (b, "far", g->roc_far, g->roc_far ? g->n_roc : 0);
      add_float_array (b, "tar", g->roc_tar, g->roc_tar ? g->n_roc : 0);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
}

/* Figures on the maps the adversary acts on, each labelled with its map. */
static void
add_adversary (JsonBuilder *b, const GabnEvalReport *r)
{
  const char *train_map = gabn_train_map_label (r->train_gam, FALSE);
  const char *held_out_map = gabn_train_map_label (r->train_gam, TRUE);

  json_builder_set_member_name (b, "adversary");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "attention_map");
  json_builder_add_string_value (b, train_map);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, r->n_train_maps);
  json_builder_set_member_name (b, "groups");
  json_builder_begin_array (b);
  for (int g = 0; g < r->n_groups; g++)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, r->groups[g].name ? r->groups[g].name : "");
      add_number (b, "region50", r->groups[g].train_region50);
      add_number (b, "region80", r->groups[g].train_region80);
      add_number (b, "js_to_reference", r->groups[g].train_js_to_reference);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  add_number (b, "mean_pairwise_js", r->train_mean_pairwise_js);
  add_number (b, "disc_accuracy", r->disc_accuracy_train);
  json_builder_set_member_name (b, "held_out");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "attention_map");
  json_builder_add_string_value (b, held_out_map);
  json_builder_set_member_name (b, "images");
  json_builder_add_int_value (b, r->n_held_out_maps);
  add_number (b, "disc_accuracy", r->disc_accuracy_held_out);
  json_builder_end_object (b);
  add_number (b, "grad_ratio", r->grad_ratio);
  add_number (b, "batch_disc_accuracy", r->batch_disc_accuracy);
  json_builder_end_object (b);
}

char *
gabn_eval_report_to_json (const GabnEvalReport *report, gboolean full)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  if (full)
    {
      json_builder_set_member_name (b, "epoch");
      json_builder_add_int_value (b, report->epoch);
      json_builder_set_member_name (b, "step");
      json_builder_add_int_value (b, report->step);
    }
  json_builder_set_member_name (b, "groups");
  json_builder_begin_array (b);
  for (int g = 0; g < report->n_groups; g++)
    add_group (b, report, &report->groups[g], full);
  json_builder_end_array (b);
  add_number (b, "mean_accuracy", report->mean_accuracy);
  add_number (b, "std", report->std);
  add_number (b, "ser", report->ser);
  add_number (b, "mean_pairwise_js", report->mean_pairwise_js);
  json_builder_set_member_name (b, "attention_map");
  json_builder_add_string_value (b, GABN_EVAL_MAP);
  add_number (b, "probe_accuracy", report->probe_accuracy);
  add_number (b, "probe_accuracy_std", report->probe_accuracy_std);
  add_number (b, "probe_chance", report->probe_chance);
  if (report->has_train_maps)
    add_adversary (b, report);
  json_builder_set_member_name (b, "skipped_pairs");
  json_builder_add_int_value (b, report->n_skipped_pairs);
  json_builder_set_member_name (b, "skipped_images");
  json_builder_add_int_value (b, report->n_skipped_images);
  if (full)
    {
      add_number (b, "threshold", report->threshold);
      json_builder_set_member_name (b, "reference_group");
      json_builder_add_int_value (b, report->reference_group);
      json_builder_set_member_name (b, "gam_h");
      json_builder_add_int_value (b, report->gam_h);
      json_builder_set_member_name (b, "gam_w");
      json_builder_add_int_value (b, report->gam_w);
      if (report->js_matrix)
        {
          json_builder_set_member_name (b, "js_matrix");
          json_builder_begin_array (b);
          for (int i = 0; i < report->n_groups; i++)
            {
              json_builder_begin_array (b);
              for (int j = 0; j < report->n_groups; j++)
                add_number (b, NULL, report->js_matrix[i * report->n_groups + j]);
              json_builder_end_array (b);
            }
          json_builder_end_array (b);
        }
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* ---- Reading ----------------------------------------------------------- */

static double
get_number (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || JSON_NODE_HOLDS_NULL (n) || json_node_get_value_type (n) == G_TYPE_STRING
      || !JSON_NODE_HOLDS_VALUE (n))
    return NAN;
  return json_node_get_double (n);
}

static gint64
get_int (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  if (!n || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) == G_TYPE_STRING)
    return fallback;
  return json_node_get_int (n);
}

static float *
get_float_array (JsonArray *a, int *n)
{
  float *v;

  *n = a ? (int) json_array_get_length (a) : 0;
  if (*n == 0)
    return NULL;
  v = g_new (float, *n);
  for (int i = 0; i < *n; i++)
    {
      JsonNode *e = json_array_get_element (a, i);
      v[i] = JSON_NODE_HOLDS_VALUE (e) ? (float) json_node_get_double (e) : NAN;
    }
  return v;
}

static JsonArray *
get_array (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static JsonObject *
get_object (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;
  return n && JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

static void
read_group (GabnEvalReport *r, GabnGroupReport *g, JsonObject *o)
{
  JsonObject *tar = get_object (o, "tar_at_far"), *roc = get_object (o, "roc");
  JsonArray *gam = get_array (o, "mean_gam");
  int n_far = 0, n_tar = 0;

  if (!o)
    {
      g->name = g_strdup ("");
      g->accuracy = g->accuracy_std = g->fmr = g->fnmr = NAN;
      g->region50 = g->region80 = g->js_to_reference = NAN;
      for (int i = 0; i < GABN_N_FAR; i++)
        g->tar_at_far[i] = NAN;
      for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
        g->reliance[k] = NAN;
      return;
    }
  g->name = g_strdup (json_object_get_string_member_with_default (o, "name", ""));
  g->n_pairs = get_int (o, "pairs", 0);
  g->n_genuine = get_int (o, "genuine", 0);
  g->n_impostor = get_int (o, "impostor", 0);
  g->n_gam_images = get_int (o, "gam_images", 0);
  g->accuracy = get_number (o, "accuracy");
  g->accuracy_std = get_number (o, "accuracy_std");
  for (int i = 0; i < GABN_N_FAR; i++)
    g->tar_at_far[i] = get_number (tar, far_names[i]);
  g->fmr = get_number (o, "fmr");
  g->fnmr = get_number (o, "fnmr");
  g->region50 = get_number (o, "region50");
  g->region80 = get_number (o, "region80");
  g->js_to_reference = get_number (o, "js_to_reference");
  {
    JsonObject *rel = get_object (o, "reliance");
    for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
      g->reliance[k] = get_number (rel, gabn_synth_region_name (k));
  }
  if (gam && r->gam_h > 0 && r->gam_w > 0
      && (int) json_array_get_length (gam) == r->gam_h)
    {
      g->mean_gam = g_new0 (float, r->gam_h * r->gam_w);
      for (int y = 0; y < r->gam_h; y++)
        {
          JsonNode *row = json_array_get_element (gam, y);
          JsonArray *ra = JSON_NODE_HOLDS_ARRAY (row) ? json_node_get_array (row) : NULL;
          for (int x = 0; ra && x < r->gam_w && x < (int) json_array_get_length (ra); x++)
            {
              JsonNode *e = json_array_get_element (ra, x);
              g->mean_gam[y * r->gam_w + x] =
                JSON_NODE_HOLDS_VALUE (e) ? (float) json_node_get_double (e) : NAN;
            }
        }
    }
  g->roc_far = get_float_array (get_array (roc, "far"), &n_far);
  g->roc_tar = get_float_array (get_array (roc, "tar"), &n_tar);
  g->n_roc = MIN (n_far, n_tar);
}

static void
read_adversary (GabnEvalReport *r, JsonObject *o)
{
  JsonArray *groups = get_array (o, "groups");
  JsonObject *held_out = get_object (o, "held_out");
  const char *label = o ? json_object_get_string_member_with_default (o, "attention_map", "") : "";
  g_autofree char *gam = g_strndup (label ? label : "", strcspn (label ? label : "", ","));
  GabnCamMethod method = GABN_CAM_GRADCAM;

  if (!o)
    return;
  r->has_train_maps = TRUE;
  if (gabn_cam_method_from_name (gam, &method))
    r->train_gam = method;
  r->n_train_maps = get_int (o, "images", 0);
  r->train_mean_pairwise_js = get_number (o, "mean_pairwise_js");
  r->disc_accuracy_train = get_number (o, "disc_accuracy");
  r->n_held_out_maps = get_int (held_out, "images", 0);
  r->disc_accuracy_held_out = get_number (held_out, "disc_accuracy");
  r->grad_ratio = get_number (o, "grad_ratio");
  r->batch_disc_accuracy = get_number (o, "batch_disc_accuracy");
  for (int g = 0; groups && g < r->n_groups && g < (int) json_array_get_length (groups); g++)
    {
      JsonNode *n = json_array_get_element (groups, g);
      JsonObject *go = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;

      r->groups[g].train_region50 = get_number (go, "region50");
      r->groups[g].train_region80 = get_number (go, "region80");
      r->groups[g].train_js_to_reference = get_number (go, "js_to_reference");
    }
}

GabnEvalReport *
gabn_eval_report_from_json (const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;
  JsonArray *groups, *matrix;
  GabnEvalReport *r;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("evaluation report: not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (json_parser_get_root (parser));
  groups = get_array (root, "groups");
  if (!groups)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("evaluation report: no \"groups\" list"));
      return NULL;
    }
  r = g_new0 (GabnEvalReport, 1);
  r->epoch = get_int (root, "epoch", -1);
  r->step = get_int (root, "step", 0);
  r->gam_h = get_int (root, "gam_h", 0);
  r->gam_w = get_int (root, "gam_w", 0);
  r->reference_group = get_int (root, "reference_group", 0);
  r->threshold = get_number (root, "threshold");
  r->mean_accuracy = get_number (root, "mean_accuracy");
  r->std = get_number (root, "std");
  r->ser = get_number (root, "ser");
  r->mean_pairwise_js = get_number (root, "mean_pairwise_js");
  r->n_skipped_pairs = (int) get_int (root, "skipped_pairs", 0);
  r->n_skipped_images = (int) get_int (root, "skipped_images", 0);
  r->n_groups = json_array_get_length (groups);
  r->groups = g_new0 (GabnGroupReport, MAX (r->n_groups, 1));
  for (int g = 0; g < r->n_groups; g++)
    {
      JsonNode *n = json_array_get_element (groups, g);
      read_group (r, &r->groups[g],
                  JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL);
    }
  gabn_eval_report_clear_diagnostics (r);
  r->probe_accuracy = get_number (root, "probe_accuracy");
  r->probe_accuracy_std = get_number (root, "probe_accuracy_std");
  r->probe_chance = get_number (root, "probe_chance");
  read_adversary (r, get_object (root, "adversary"));
  matrix = get_array (root, "js_matrix");
  if (matrix && (int) json_array_get_length (matrix) == r->n_groups)
    {
      r->js_matrix = g_new0 (double, r->n_groups * r->n_groups);
      for (int i = 0; i < r->n_groups; i++)
        {
          JsonNode *row = json_array_get_element (matrix, i);
          JsonArray *ra = JSON_NODE_HOLDS_ARRAY (row) ? json_node_get_array (row) : NULL;
          for (int j = 0; ra && j < r->n_groups && j < (int) json_array_get_length (ra); j++)
            {
              JsonNode *e = json_array_get_element (ra, j);
              r->js_matrix[i * r->n_groups + j] =
                JSON_NODE_HOLDS_VALUE (e) ? json_node_get_double (e) : NAN;
            }
        }
    }
  return r;
}
