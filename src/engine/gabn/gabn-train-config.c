/* gabn-train-config.c: GabnTrainConfig defaults, checks and JSON. */
#include "gabn-trainer.h"

#include <json-glib/json-glib.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

typedef struct {
  int value;
  const char *name;
} EnumName;

static const EnumName method_names[] = {
  { GABN_METHOD_BASELINE, "baseline" }, { GABN_METHOD_GABN, "gabn" }, { 0, NULL } };
static const EnumName optim_names[] = {
  { GABN_OPTIM_SGD, "sgd" }, { GABN_OPTIM_ADAMW, "adamw" }, { 0, NULL } };
static const EnumName schedule_names[] = {
  { GABN_LR_CONSTANT, "constant" }, { GABN_LR_STEP, "step" },
  { GABN_LR_COSINE, "cosine" }, { 0, NULL } };
static const EnumName margin_names[] = {
  { GABN_MARGIN_ARCFACE, "arcface" }, { GABN_MARGIN_COSFACE, "cosface" }, { 0, NULL } };
static const EnumName erase_names[] = {
  { GABN_ERASE_FEATURES, "features" }, { GABN_ERASE_INPUT, "input" }, { 0, NULL } };
static const EnumName adv_names[] = {
  { GABN_ADV_CONFUSION, "confusion" }, { GABN_ADV_REVERSAL, "reversal" }, { 0, NULL } };
/* The GAM kinds that have a first-order backward for L_conf. */
static const EnumName gam_names[] = {
  { GABN_CAM_GRADCAM, "gradcam" }, { GABN_CAM_HIRESCAM, "hirescam" }, { 0, NULL } };
static const EnumName sampling_names[] = {
  { GABN_SAMPLING_SHUFFLE, "shuffle" },
  { GABN_SAMPLING_IDENTITY_BALANCED, "identity-balanced" },
  { GABN_SAMPLING_GROUP_BALANCED, "group-balanced" }, { 0, NULL } };

static const char *
enum_to_name (const EnumName *names, int value)
{
  for (int i = 0; names[i].name; i++)
    if (names[i].value == value)
      return names[i].name;
  return names[0].name;
}

static gboolean
enum_from_name (const EnumName *names, const char *name, int *value)
{
  for (int i = 0; names[i].name; i++)
    if (name && g_ascii_strcasecmp (names[i].name, name) == 0)
      {
        *value = names[i].value;
        return TRUE;
      }
  return FALSE;
}

const char *
gabn_method_name (GabnMethod method)
{
  return enum_to_name (method_names, method);
}

gboolean
gabn_method_from_name (const char *name, GabnMethod *method)
{
  int v;

  if (!enum_from_name (method_names, name, &v))
    return FALSE;
  *method = (GabnMethod) v;
  return TRUE;
}

void
gabn_train_config_init (GabnTrainConfig *c)
{
  memset (c, 0, sizeof *c);
  c->method = GABN_METHOD_BASELINE;
  c->arch = g_strdup ("gabn-s");
  c->epochs = 10;
  c->batch_size = 32;
  c->lr = 0.01f;
  c->optimiser = GABN_OPTIM_SGD;
  c->weight_decay = 5e-4f;
  c->momentum = 0.9f;
  c->schedule = GABN_LR_COSINE;
  c->warmup_steps = 0;
  c->margin = GABN_MARGIN_ARCFACE;
  c->margin_s = 32.0f;
  c->margin_m = 0.5f;
  c->margin_warmup_epochs = 0;
  c->lambda_adv = 0.1f;
  c->lambda_mask = 0.5f;
  c->topn = 0;
  c->erase_prob = 1.0f;
  c->erase_where = GABN_ERASE_FEATURES;
  c->erase_groups = NULL;
  c->adv_mode = GABN_ADV_CONFUSION;
  c->gam = GABN_CAM_GRADCAM;
  c->disc_lr = 1e-3f;
  c->disc_hidden = 64;
  c->sampling = GABN_SAMPLING_SHUFFLE;
  c->flip = TRUE;
  c->holdout_fraction = 0.2;
  c->seed = 1;
  c->threads = 0;
  c->eval_every_epoch = TRUE;
  c->max_steps = 0;
}

void
gabn_train_config_copy (GabnTrainConfig *dest, const GabnTrainConfig *src)
{
  *dest = *src;
  dest->arch = g_strdup (src->arch);
  dest->erase_groups = g_strdupv (src->erase_groups);
}

void
gabn_train_config_clear (GabnTrainConfig *c)
{
  g_clear_pointer (&c->arch, g_free);
  g_clear_pointer (&c->erase_groups, g_strfreev);
}

static gboolean
invalid (GError **error, const char *what, const char *why)
{
  g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
               _("training configuration: %s %s"), what, why);
  return FALSE;
}

gboolean
gabn_train_config_validate (const GabnTrainConfig *c, GError **error)
{
  gboolean arch_ok = FALSE;

  for (const char *const *a = gabn_net_architectures (); c->arch && *a; a++)
    arch_ok = arch_ok || strcmp (*a, c->arch) == 0;
  if (!arch_ok)
    return invalid (error, "arch", "is not a known architecture");
  if (c->epochs < 1)
    return invalid (error, "epochs", "must be at least 1");
  if (c->batch_size < 2)
    return invalid (error, "batch", "must be at least 2 (BatchNorm needs a batch)");
  if (!(c->lr > 0.0f) || !isfinite (c->lr))
    return invalid (error, "lr", "must be a positive number");
  if (!(c->weight_decay >= 0.0f) || !(c->momentum >= 0.0f) || !(c->momentum < 1.0f))
    return invalid (error, "weight_decay/momentum", "are out of range");
  if (!(c->margin_s > 0.0f) || !(c->margin_m >= 0.0f) || !(c->margin_m < 1.5f))
    return invalid (error, "margin_s/margin_m", "are out of range");
  if (!(c->lambda_adv >= 0.0f) || !(c->lambda_mask >= 0.0f))
    return invalid (error, "lambda_adv/lambda_mask", "must not be negative");
  if (c->topn < 0)
    return invalid (error, "topn", "must not be negative");
  if (!(c->erase_prob >= 0.0f && c->erase_prob <= 1.0f))
    return invalid (error, "erase_prob", "must be in [0, 1]");
  if (c->gam != GABN_CAM_GRADCAM && c->gam != GABN_CAM_HIRESCAM)
    return invalid (error, "gam", "must be gradcam or hirescam");
  if (!(c->disc_lr > 0.0f) || c->disc_hidden < 1)
    return invalid (error, "disc_lr/disc_hidden", "must be positive");
  if (!(c->holdout_fraction > 0.0 && c->holdout_fraction < 1.0))
    return invalid (error, "holdout_fraction", "must be in (0, 1)");
  if (c->margin_warmup_epochs < 0 || c->margin_warmup_epochs > c->epochs)
    return invalid (error, "margin_warmup_epochs", "must be between 0 and the epochs");
  if (c->warmup_steps < 0 || c->max_steps < 0)
    return invalid (error, "warmup_steps/max_steps", "must not be negative");
  return TRUE;
}

/* The shortest decimal that reads back as the same float: 0.05f is stored
 * as 0.05, not 0.05000000074505806. */
static double
float_for_json (float f)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%.9g", f);
  for (int digits = 6; digits < 9; digits++)
    {
      char shorter[32];
      g_snprintf (shorter, sizeof shorter, "%.*g", digits, f);
      if ((float) g_ascii_strtod (shorter, NULL) == f)
        return g_ascii_strtod (shorter, NULL);
    }
  return g_ascii_strtod (buf, NULL);
}

char *
gabn_train_config_to_json (const GabnTrainConfig *c)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

#define STR(k, v) (json_builder_set_member_name (b, k), json_builder_add_string_value (b, v))
#define INT(k, v) (json_builder_set_member_name (b, k), json_builder_add_int_value (b, v))
#define DBL(k, v) (json_builder_set_member_name (b, k), json_builder_add_double_value (b, float_for_json (v)))
#define BOOL(k, v) (json_builder_set_member_name (b, k), json_builder_add_boolean_value (b, v))
  json_builder_begin_object (b);
  STR ("method", enum_to_name (method_names, c->method));
  STR ("arch", c->arch ? c->arch : "gabn-s");
  INT ("epochs", c->epochs);
  INT ("batch", c->batch_size);
  DBL ("lr", c->lr);
  STR ("optimiser", enum_to_name (optim_names, c->optimiser));
  DBL ("weight_decay", c->weight_decay);
  DBL ("momentum", c->momentum);
  STR ("schedule", enum_to_name (schedule_names, c->schedule));
  INT ("warmup_steps", c->warmup_steps);
  STR ("margin", enum_to_name (margin_names, c->margin));
  DBL ("margin_s", c->margin_s);
  DBL ("margin_m", c->margin_m);
  INT ("margin_warmup_epochs", c->margin_warmup_epochs);
  DBL ("lambda_adv", c->lambda_adv);
  DBL ("lambda_mask", c->lambda_mask);
  INT ("topn", c->topn);
  DBL ("erase_prob", c->erase_prob);
  STR ("erase_where", enum_to_name (erase_names, c->erase_where));
  json_builder_set_member_name (b, "erase_groups");
  if (c->erase_groups)
    {
      json_builder_begin_array (b);
      for (char **g = c->erase_groups; *g; g++)
        json_builder_add_string_value (b, *g);
      json_builder_end_array (b);
    }
  else
    json_builder_add_string_value (b, "all");
  STR ("adv_mode", enum_to_name (adv_names, c->adv_mode));
  STR ("gam", enum_to_name (gam_names, c->gam));
  DBL ("disc_lr", c->disc_lr);
  INT ("disc_hidden", c->disc_hidden);
  STR ("sampling", enum_to_name (sampling_names, c->sampling));
  BOOL ("flip", c->flip);
  DBL ("holdout_fraction", c->holdout_fraction);
  /* A string: JSON numbers lose 64-bit integers in many readers. */
  {
    g_autofree char *seed = g_strdup_printf ("%" G_GUINT64_FORMAT, c->seed);
    STR ("seed", seed);
  }
  INT ("threads", c->threads);
  BOOL ("eval_every_epoch", c->eval_every_epoch);
  INT ("max_steps", c->max_steps);
  json_builder_end_object (b);
#undef STR
#undef INT
#undef DBL
#undef BOOL
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

static gboolean
wrong (GError **error, const char *key, const char *why)
{
  g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
               _("training configuration: “%s” %s"), key, why);
  return FALSE;
}

static gboolean
read_number (JsonObject *o, const char *key, double *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);
  GType t;

  if (!n)
    return TRUE;
  t = JSON_NODE_HOLDS_VALUE (n) ? json_node_get_value_type (n) : G_TYPE_INVALID;
  if (t != G_TYPE_DOUBLE && t != G_TYPE_INT64)
    return wrong (error, key, "must be a number");
  *out = json_node_get_double (n);
  return TRUE;
}

static gboolean
read_float (JsonObject *o, const char *key, float *out, GError **error)
{
  double v = *out;

  if (!read_number (o, key, &v, error))
    return FALSE;
  *out = (float) v;
  return TRUE;
}

static gboolean
read_int (JsonObject *o, const char *key, int *out, GError **error)
{
  double v = *out;

  if (!read_number (o, key, &v, error))
    return FALSE;
  if (v != floor (v) || fabs (v) > G_MAXINT)
    return wrong (error, key, "must be an integer");
  *out = (int) v;
  return TRUE;
}

static gboolean
read_enum (JsonObject *o, const char *key, const EnumName *names, int *out,
           GError **error)
{
  JsonNode *n = json_object_get_member (o, key);

  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING
      || !enum_from_name (names, json_node_get_string (n), out))
    return wrong (error, key, "has an unknown value");
  return TRUE;
}

static gboolean
read_bool (JsonObject *o, const char *key, gboolean *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);

  if (!n)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return wrong (error, key, "must be true or false");
  *out = json_node_get_boolean (n);
  return TRUE;
}

gboolean
gabn_train_config_from_json (GabnTrainConfig *c, const char *json,
                             GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonNode *n;
  int method = c->method, optim = c->optimiser, schedule = c->schedule;
  int margin = c->margin, erase = c->erase_where, adv = c->adv_mode;
  int sampling = c->sampling, max_steps = (int) c->max_steps, gam = c->gam;

  if (!json_parser_load_from_data (parser, json, -1, error))
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return wrong (error, "train_config", "is not a JSON object");
  o = json_node_get_object (json_parser_get_root (parser));

  if (!read_enum (o, "method", method_names, &method, error)
      || !read_enum (o, "optimiser", optim_names, &optim, error)
      || !read_enum (o, "schedule", schedule_names, &schedule, error)
      || !read_enum (o, "margin", margin_names, &margin, error)
      || !read_enum (o, "erase_where", erase_names, &erase, error)
      || !read_enum (o, "adv_mode", adv_names, &adv, error)
      || !read_enum (o, "sampling", sampling_names, &sampling, error)
      || !read_enum (o, "gam", gam_names, &gam, error)
      || !read_int (o, "epochs", &c->epochs, error)
      || !read_int (o, "batch", &c->batch_size, error)
      || !read_float (o, "lr", &c->lr, error)
      || !read_float (o, "weight_decay", &c->weight_decay, error)
      || !read_float (o, "momentum", &c->momentum, error)
      || !read_int (o, "warmup_steps", &c->warmup_steps, error)
      || !read_float (o, "margin_s", &c->margin_s, error)
      || !read_float (o, "margin_m", &c->margin_m, error)
      || !read_int (o, "margin_warmup_epochs", &c->margin_warmup_epochs, error)
      || !read_float (o, "lambda_adv", &c->lambda_adv, error)
      || !read_float (o, "lambda_mask", &c->lambda_mask, error)
      || !read_int (o, "topn", &c->topn, error)
      || !read_float (o, "erase_prob", &c->erase_prob, error)
      || !read_float (o, "disc_lr", &c->disc_lr, error)
      || !read_int (o, "disc_hidden", &c->disc_hidden, error)
      || !read_bool (o, "flip", &c->flip, error)
      || !read_number (o, "holdout_fraction", &c->holdout_fraction, error)
      || !read_int (o, "threads", &c->threads, error)
      || !read_bool (o, "eval_every_epoch", &c->eval_every_epoch, error)
      || !read_int (o, "max_steps", &max_steps, error))
    return FALSE;
  c->method = method;
  c->optimiser = optim;
  c->schedule = schedule;
  c->margin = margin;
  c->erase_where = erase;
  c->adv_mode = adv;
  c->sampling = sampling;
  c->gam = gam;
  c->max_steps = max_steps;

  if ((n = json_object_get_member (o, "arch")))
    {
      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        return wrong (error, "arch", "must be a string");
      g_free (c->arch);
      c->arch = g_strdup (json_node_get_string (n));
    }
  if ((n = json_object_get_member (o, "seed")))
    {
      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        {
          if (!g_ascii_string_to_unsigned (json_node_get_string (n), 10, 0,
                                           G_MAXUINT64, &c->seed, NULL))
            return wrong (error, "seed", "is not a number");
        }
      else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64)
        c->seed = (guint64) json_node_get_int (n);
      else
        return wrong (error, "seed", "must be a number");
    }
  if ((n = json_object_get_member (o, "erase_groups")))
    {
      g_clear_pointer (&c->erase_groups, g_strfreev);
      if (JSON_NODE_HOLDS_ARRAY (n))
        {
          JsonArray *a = json_node_get_array (n);
          GPtrArray *names = g_ptr_array_new_with_free_func (g_free);

          for (guint i = 0; i < json_array_get_length (a); i++)
            {
              JsonNode *e = json_array_get_element (a, i);
              if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
                {
                  g_ptr_array_free (names, TRUE);
                  return wrong (error, "erase_groups", "must list group names");
                }
              g_ptr_array_add (names, g_strdup (json_node_get_string (e)));
            }
          g_ptr_array_add (names, NULL);
          c->erase_groups = (char **) g_ptr_array_free (names, FALSE);
        }
      else if (!(JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
                 && strcmp (json_node_get_string (n), "all") == 0))
        return wrong (error, "erase_groups", "must be \"all\" or a list of names");
    }
  return TRUE;
}
