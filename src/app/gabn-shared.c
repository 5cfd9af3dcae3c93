/* gabn-shared.c: the shared dataset and model holders (g_atomic_rc_box). */
#include "config.h"
#include "gabn-shared.h"

static void
shared_dataset_clear (gpointer data)
{
  GabnSharedDataset *shared = data;

  g_clear_pointer (&shared->dataset, gabn_dataset_free);
  g_free (shared->title);
}

GabnSharedDataset *
gabn_shared_dataset_new (GabnDataset *dataset, const char *title)
{
  static guint next_serial;
  GabnSharedDataset *shared = g_atomic_rc_box_new0 (GabnSharedDataset);

  shared->dataset = dataset;
  shared->title = g_strdup (title);
  /* Not the pointer: a freed dataset's address can be reused. */
  shared->serial = (guint) g_atomic_int_add ((gint *) &next_serial, 1) + 1;
  return shared;
}

GabnSharedDataset *
gabn_shared_dataset_ref (GabnSharedDataset *shared)
{
  return g_atomic_rc_box_acquire (shared);
}

void
gabn_shared_dataset_unref (GabnSharedDataset *shared)
{
  g_atomic_rc_box_release_full (shared, shared_dataset_clear);
}

static void
shared_model_clear (gpointer data)
{
  GabnSharedModel *shared = data;

  g_clear_pointer (&shared->net, gabn_net_free);
  g_mutex_clear (&shared->lock);
  g_free (shared->title);
  g_free (shared->path);
  g_clear_pointer (&shared->metadata, g_hash_table_unref);
  g_free (shared->labels);
  g_strfreev (shared->layers);
  g_strfreev (shared->layer_labels);
}

GabnSharedModel *
gabn_shared_model_new (GabnNet *net, const char *title, const char *path, GHashTable *metadata)
{
  GabnSharedModel *shared = g_atomic_rc_box_new0 (GabnSharedModel);

  shared->net = net;
  g_mutex_init (&shared->lock);
  shared->title = g_strdup (title);
  shared->path = g_strdup (path);
  shared->metadata = metadata;
  {
    int n = 0;
    g_autofree GabnFeatureLayer *layers = gabn_net_feature_layers (net, &n);
    const char *current = gabn_net_feature_layer (net);

    shared->layers = g_new0 (char *, n + 1);
    shared->layer_labels = g_new0 (char *, n + 1);
    shared->default_layer = -1;
    for (int i = 0; i < n; i++)
      {
        shared->layers[i] = g_strdup (layers[i].name);
        shared->layer_labels[i] = g_strdup_printf ("%s (%d×%d×%d)", layers[i].name,
                                                   layers[i].c, layers[i].h, layers[i].w);
        if (current && g_str_equal (current, layers[i].name))
          shared->default_layer = i;
      }
  }
  return shared;
}

GabnSharedModel *
gabn_shared_model_ref (GabnSharedModel *shared)
{
  return g_atomic_rc_box_acquire (shared);
}

void
gabn_shared_model_unref (GabnSharedModel *shared)
{
  g_atomic_rc_box_release_full (shared, shared_model_clear);
}

