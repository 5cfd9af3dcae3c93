/* gabn-split.c: which identities train and which are held out for the
 * verification pairs (see gabn-split.h for the rule and the JSON form). */
#include "gabn-split.h"
#include "gabn-pairs.h"
#include "gabn-rng.h"
#include "gabn-synth.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <math.h>

void
gabn_split_config_init (GabnSplitConfig *config)
{
  *config = (GabnSplitConfig) {
    .seed = 1,
    .holdout_fraction = 0.2,
    .min_holdout_per_group = 2,
    .pairs_per_fold = 30,
  };
}

void
gabn_split_free (GabnSplit *split)
{
  if (split == NULL)
    return;
  g_free (split->train_identities);
  g_free (split->eval_identities);
  g_free (split->pairs);
  g_free (split->label_of_identity);
  g_free (split);
}

/* Fills the identity lists and labels from a held-out mask. */
static gboolean
split_from_mask (GabnSplit *split, const GabnDataset *ds, const gboolean *held_out,
                 GError **error)
{
  split->n_identities = ds->n_identities;
  split->label_of_identity = g_new (int, MAX (ds->n_identities, 1));
  split->train_identities = g_new (int, MAX (ds->n_identities, 1));
  split->eval_identities = g_new (int, MAX (ds->n_identities, 1));
  for (int i = 0; i < ds->n_identities; i++)
    {
      if (held_out[i])
        {
          split->label_of_identity[i] = -1;
          split->eval_identities[split->n_eval_identities++] = i;
        }
      else
        {
          split->label_of_identity[i] = split->n_train_identities;
          split->train_identities[split->n_train_identities++] = i;
        }
    }
  if (split->n_train_identities == 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("Every identity of the dataset is held out for evaluation: "
                     "none is left to train on"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_identities (const GabnDataset *ds, GError **error)
{
  if (ds->n_identities > 0)
    return TRUE;
  g_set_error (error, GABN_ERROR, GABN_ERROR_UNSUPPORTED,
               _("The dataset (%s) has no identities: it can be explored, but not "
                 "split for training and verification"), ds->format);
  return FALSE;
}

GabnSplit *
gabn_split_new (const GabnDataset *ds, const GabnSplitConfig *config, GError **error)
{
  GabnSplitConfig defaults;
  g_autoptr(GabnSplit) split = g_new0 (GabnSplit, 1);
  g_autofree gboolean *held_out = NULL;

  if (config == NULL)
    {
      gabn_split_config_init (&defaults);
      config = &defaults;
    }
  if (!check_identities (ds, error))
    return NULL;
  split->dataset = ds;
  split->seed = config->seed;
  split->holdout_fraction = config->holdout_fraction;
  held_out = g_new0 (gboolean, ds->n_identities);

  if (ds->n_pairs > 0)
    {
      /* The dataset's own pairs: whoever they name is held out. */
      for (int p = 0; p < ds->n_pairs; p++)
        {
          int a = ds->images[ds->pairs[p].a].identity, b = ds->images[ds->pairs[p].b].identity;
          if (a >= 0)
            held_out[a] = TRUE;
          if (b >= 0)
            held_out[b] = TRUE;
        }
      split->pairs = g_memdup2 (ds->pairs, sizeof (GabnPair) * ds->n_pairs);
      split->n_pairs = ds->n_pairs;
      split->pairs_from_dataset = TRUE;
      if (!split_from_mask (split, ds, held_out, error))
        return NULL;
      return g_steal_pointer (&split);
    }

  /* No pairs: hold out a seeded share of each group's identities. */
  for (int g = 0; g < ds->n_groups; g++)
    {
      g_autofree int *ids = g_new (int, MAX (ds->n_identities, 1));
      int m = 0, h;
      GabnRng rng;

      for (int i = 0; i < ds->n_identities; i++)
        if (ds->identities[i].group == g)
          ids[m++] = i;
      h = (int) lround (config->holdout_fraction * m);
      if (m >= config->min_holdout_per_group + 1)
        h = MAX (h, config->min_holdout_per_group);
      h = MIN (h, m - 1);
      gabn_rng_init (&rng, config->seed, 0x5b1, g, 0);
      gabn_rng_shuffle (&rng, ids, m);
      for (int k = 0; k < h; k++)
        held_out[ids[k]] = TRUE;
    }
  if (!split_from_mask (split, ds, held_out, error))
    return NULL;
  split->pairs = gabn_pairs_draw (ds, split->eval_identities, split->n_eval_identities,
                                  config->pairs_per_fold, config->seed, &split->n_pairs);
  return g_steal_pointer (&split);
}

static void
add_identities (JsonBuilder *b, const GabnDataset *ds, const int *ids, int n)
{
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    {
      const GabnIdentity *id = &ds->identities[ids[i]];
      json_builder_begin_array (b);
      json_builder_add_string_value (b, ds->groups[id->group].name);
      json_builder_add_string_value (b, id->name);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

char *
gabn_split_to_json (const GabnSplit *split)
{
  const GabnDataset *ds = split->dataset;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) split->seed);
  json_builder_set_member_name (b, "holdout_fraction");
  json_builder_add_double_value (b, split->holdout_fraction);
  json_builder_set_member_name (b, "n_images");
  json_builder_add_int_value (b, ds->n_images);
  /* The built-in faces of another seed have as many images under the same
   * names, and other people: the seed tells them apart. */
  if (ds->synth)
    {
      json_builder_set_member_name (b, "synth_seed");
      json_builder_add_int_value (b, (gint64) ds->synth->seed);
    }
  json_builder_set_member_name (b, "train");
  add_identities (b, ds, split->train_identities, split->n_train_identities);
  json_builder_set_member_name (b, "eval");
  add_identities (b, ds, split->eval_identities, split->n_eval_identities);
  json_builder_set_member_name (b, "pairs");
  if (split->pairs_from_dataset)
    json_builder_add_string_value (b, "dataset");
  else
    {
      json_builder_begin_array (b);
      for (int p = 0; p < split->n_pairs; p++)
        {
          json_builder_begin_array (b);
          json_builder_add_int_value (b, split->pairs[p].a);
          json_builder_add_int_value (b, split->pairs[p].b);
          json_builder_add_int_value (b, split->pairs[p].same ? 1 : 0);
          json_builder_add_int_value (b, split->pairs[p].fold);
          json_builder_end_array (b);
        }
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  return json_generator_to_data (gen, NULL);
}

/* Typed reads that never emit criticals on a malformed file. */
static gboolean
node_int (JsonNode *node, gint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return TRUE;
}

static const char *
node_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Identity (group name, name) → index, for mapping a JSON split back. */
static GHashTable *
identity_table (const GabnDataset *ds)
{
  GHashTable *t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < ds->n_identities; i++)
    g_hash_table_insert (t, g_strdup_printf ("%s\x1f%s", ds->groups[ds->identities[i].group].name,
                                             ds->identities[i].name),
                         GINT_TO_POINTER (i + 1));
  return t;
}

static gboolean
read_identities (JsonArray *array, GHashTable *table, gboolean *mask, gboolean value,
                 GArray *order, GError **error)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonArray *pair;
      g_autofree char *key = NULL;
      int index;

      if (!JSON_NODE_HOLDS_ARRAY (node) || json_array_get_length (pair = json_node_get_array (node)) != 2
          || !node_string (json_array_get_element (pair, 0))
          || !node_string (json_array_get_element (pair, 1)))
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                       _("The saved split is malformed: an identity is not a [group, name] pair"));
          return FALSE;
        }
      key = g_strdup_printf ("%s\x1f%s", json_array_get_string_element (pair, 0),
                             json_array_get_string_element (pair, 1));
      index = GPOINTER_TO_INT (g_hash_table_lookup (table, key)) - 1;
      if (index < 0)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_NOT_FOUND,
                       _("The saved split names the identity “%s” of “%s”, which the dataset does not have"),
                       json_array_get_string_element (pair, 1), json_array_get_string_element (pair, 0));
          return FALSE;
        }
      mask[index] = value;
      if (order)
        g_array_append_val (order, index);
    }
  return TRUE;
}

/* "synth_seed" of a split's root object: written as the int64 of the
 * unsigned seed, read back the same way (seeds of 2⁶³ and up included). */
static gboolean
root_synth_seed (JsonObject *root, guint64 *seed)
{
  gint64 value;

  if (!json_object_has_member (root, "synth_seed")
      || !node_int (json_object_get_member (root, "synth_seed"), &value))
    return FALSE;
  *seed = (guint64) value;
  return TRUE;
}

GabnSplit *
gabn_split_from_json (const GabnDataset *ds, const char *json, GError **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) table = NULL;
  g_autoptr(GabnSplit) split = NULL;
  g_autoptr(GArray) train_order = NULL;
  g_autofree gboolean *held_out = NULL;
  g_autofree gboolean *seen = NULL;
  g_autoptr(GError) local = NULL;
  JsonObject *o;
  JsonNode *pairs;
  gint64 n_images, seed = 1;

  if (!check_identities (ds, error))
    return NULL;
  if (!json_parser_load_from_data (parser, json, -1, &local)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE, _("The saved split is not valid JSON: %s"),
                   local ? local->message : _("not an object"));
      return NULL;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (o, "train") || !json_object_has_member (o, "eval")
      || !json_object_has_member (o, "pairs") || !json_object_has_member (o, "n_images")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "train"))
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "eval")))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("The saved split is malformed: it needs “train”, “eval”, “pairs” and “n_images”"));
      return NULL;
    }
  if (!node_int (json_object_get_member (o, "n_images"), &n_images))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("The saved split is malformed: “n_images” is not a number"));
      return NULL;
    }
  if (n_images != ds->n_images)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("The saved split was made on a dataset of %d images, but this one has %d: "
                     "the dataset changed"),
                   (int) n_images, ds->n_images);
      return NULL;
    }

  {
    guint64 made_on;

    if (ds->synth && root_synth_seed (o, &made_on) && made_on != ds->synth->seed)
      {
        g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                     _("The saved split was made on the built-in faces of seed %" PRIu64
                       ", not seed %" PRIu64 ": the same names belong to other people"),
                     made_on, ds->synth->seed);
        return NULL;
      }
  }
  table = identity_table (ds);
  held_out = g_new0 (gboolean, ds->n_identities);
  seen = g_new0 (gboolean, ds->n_identities);
  train_order = g_array_new (FALSE, FALSE, sizeof (int));
  if (!read_identities (json_object_get_array_member (o, "train"), table, seen, TRUE, train_order, error)
      || !read_identities (json_object_get_array_member (o, "eval"), table, held_out, TRUE, NULL, error))
    return NULL;

  split = g_new0 (GabnSplit, 1);
  split->dataset = ds;
  node_int (json_object_get_member (o, "seed"), &seed);
  split->seed = (guint64) seed;
  split->holdout_fraction = 0.2;
  {
    JsonNode *f = json_object_get_member (o, "holdout_fraction");
    if (f && JSON_NODE_HOLDS_VALUE (f) && (json_node_get_value_type (f) == G_TYPE_DOUBLE
                                           || json_node_get_value_type (f) == G_TYPE_INT64))
      split->holdout_fraction = json_node_get_double (f);
  }
  split->n_identities = ds->n_identities;
  /* Labels in the saved order (class k of the model is train[k]). */
  split->label_of_identity = g_new (int, MAX (ds->n_identities, 1));
  for (int i = 0; i < ds->n_identities; i++)
    split->label_of_identity[i] = -1;
  split->n_train_identities = train_order->len;
  split->train_identities = (int *) g_memdup2 (train_order->data, sizeof (int) * MAX (train_order->len, 1));
  for (guint k = 0; k < train_order->len; k++)
    split->label_of_identity[g_array_index (train_order, int, k)] = k;
  split->eval_identities = g_new (int, MAX (ds->n_identities, 1));
  for (int i = 0; i < ds->n_identities; i++)
    if (held_out[i])
      split->eval_identities[split->n_eval_identities++] = i;

  pairs = json_object_get_member (o, "pairs");
  if (g_strcmp0 (node_string (pairs), "dataset") == 0)
    {
      split->pairs = g_memdup2 (ds->pairs, sizeof (GabnPair) * MAX (ds->n_pairs, 1));
      split->n_pairs = ds->n_pairs;
      split->pairs_from_dataset = TRUE;
    }
  else if (JSON_NODE_HOLDS_ARRAY (pairs))
    {
      JsonArray *a = json_node_get_array (pairs);
      split->n_pairs = json_array_get_length (a);
      split->pairs = g_new (GabnPair, MAX (split->n_pairs, 1));
      for (int p = 0; p < split->n_pairs; p++)
        {
          JsonNode *node = json_array_get_element (a, p);
          JsonArray *q = JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
          gint64 v[4] = { 0, 0, 0, 0 };
          gboolean typed = TRUE;

          if (q == NULL || json_array_get_length (q) != 4)
            {
              g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                           _("The saved split is malformed: pair %d is not [a, b, same, fold]"), p + 1);
              return NULL;
            }
          for (int k = 0; k < 4; k++)
            typed = node_int (json_array_get_element (q, k), &v[k]) && typed;
          if (!typed || v[0] < 0 || v[0] >= ds->n_images || v[1] < 0 || v[1] >= ds->n_images
              || v[3] < 0 || v[3] > 9)
            {
              g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                           _("The saved split is malformed: pair %d is out of range"), p + 1);
              return NULL;
            }
          split->pairs[p] = (GabnPair) { v[0], v[1], v[2] != 0, v[3] };
        }
    }
  else
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                   _("The saved split is malformed: “pairs” must be “dataset” or a list"));
      return NULL;
    }
  return g_steal_pointer (&split);
}

void
gabn_split_train_images (const GabnSplit *split, const GabnDataset *ds,
                         int **images, int **labels, int *n_images)
{
  int n = 0;

  for (int k = 0; k < split->n_train_identities; k++)
    n += ds->identities[split->train_identities[k]].n_images;
  *images = g_new (int, MAX (n, 1));
  *labels = g_new (int, MAX (n, 1));
  *n_images = n;
  n = 0;
  /* In dataset order. */
  for (int i = 0; i < ds->n_identities; i++)
    {
      const GabnIdentity *id = &ds->identities[i];
      int label = split->label_of_identity[i];
      if (label < 0)
        continue;
      for (int k = 0; k < id->n_images; k++)
        {
          (*images)[n] = id->first_image + k;
          (*labels)[n] = label;
          n++;
        }
    }
}

int *
gabn_split_train_groups (const GabnSplit *split, const GabnDataset *ds)
{
  int *groups = g_new (int, MAX (split->n_train_identities, 1));
  for (int k = 0; k < split->n_train_identities; k++)
    groups[k] = ds->identities[split->train_identities[k]].group;
  return groups;
}

int *
gabn_split_model_labels (const GabnDataset *ds, const char *split_json, int n_classes)
{
  int *labels = g_new (int, MAX (1, ds->n_identities));

  for (int i = 0; i < ds->n_identities; i++)
    labels[i] = -1;
  if (split_json != NULL)
    {
      g_autoptr(GabnSplit) split = gabn_split_from_json (ds, split_json, NULL);

      /* A split of another dataset does not map: every identity is unseen. */
      if (split != NULL && split->n_identities == ds->n_identities)
        for (int i = 0; i < ds->n_identities; i++)
          labels[i] = split->label_of_identity[i] < n_classes ? split->label_of_identity[i] : -1;
      return labels;
    }
  if (n_classes == ds->n_identities)
    for (int i = 0; i < ds->n_identities; i++)
      labels[i] = i;
  return labels;
}

char **
gabn_split_json_train_names (const char *split_json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) names = NULL;
  JsonObject *root;
  JsonArray *train;

  if (split_json == NULL || !json_parser_load_from_data (parser, split_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  root = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (root, "train")
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "train")))
    return NULL;
  train = json_object_get_array_member (root, "train");
  names = g_ptr_array_new_with_free_func (g_free);
  for (guint k = 0; k < json_array_get_length (train); k++)
    {
      JsonNode *n = json_array_get_element (train, k);
      JsonArray *entry = JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
      const char *group = entry && json_array_get_length (entry) == 2
                          ? node_string (json_array_get_element (entry, 0)) : NULL;
      const char *name = group ? node_string (json_array_get_element (entry, 1)) : NULL;

      if (name == NULL)
        return NULL;
      g_ptr_array_add (names, g_strdup_printf ("%s/%s", group, name));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_steal (names, NULL);
}

int
gabn_split_trained_in_pairs (const GabnDataset *ds, const GabnPair *pairs, int n_pairs,
                             const char *split_json, int *n_people)
{
  g_auto(GStrv) names = gabn_split_json_train_names (split_json);
  g_autoptr(GHashTable) trained = NULL;
  g_autofree gboolean *in_pairs = g_new0 (gboolean, MAX (ds->n_identities, 1));
  int people = 0, seen = 0;

  for (int p = 0; p < n_pairs; p++)
    {
      int ids[2] = { ds->images[pairs[p].a].identity, ds->images[pairs[p].b].identity };
      for (int k = 0; k < 2; k++)
        if (ids[k] >= 0)
          in_pairs[ids[k]] = TRUE;
    }
  if (names != NULL)
    {
      trained = g_hash_table_new (g_str_hash, g_str_equal);
      for (char **n = names; *n; n++)
        g_hash_table_add (trained, *n);
    }
  for (int i = 0; i < ds->n_identities; i++)
    {
      g_autofree char *key = NULL;

      if (!in_pairs[i])
        continue;
      people++;
      if (trained == NULL)
        continue;
      key = g_strdup_printf ("%s/%s", ds->groups[ds->identities[i].group].name,
                             ds->identities[i].name);
      seen += g_hash_table_contains (trained, key);
    }
  if (n_people)
    *n_people = people;
  return trained ? seen : -1;
}

gboolean
gabn_split_json_synth_seed (const char *split_json, guint64 *seed)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (split_json == NULL || !json_parser_load_from_data (parser, split_json, -1, NULL)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return FALSE;
  return root_synth_seed (json_node_get_object (json_parser_get_root (parser)), seed);
}
