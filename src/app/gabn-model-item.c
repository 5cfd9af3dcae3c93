/* gabn-model-item.c: an immutable list item; "name" is a property so a
 * GtkDropDown shows it through a GtkPropertyExpression. */
#include "config.h"
#include "gabn-model-item.h"

struct _GabnModelItem
{
  GObject          parent_instance;
  char            *name;
  GabnSharedModel *model;
};

G_DEFINE_FINAL_TYPE (GabnModelItem, gabn_model_item, G_TYPE_OBJECT)

enum { PROP_0, PROP_NAME, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
gabn_model_item_finalize (GObject *object)
{
  GabnModelItem *self = GABN_MODEL_ITEM (object);

  g_free (self->name);
  g_clear_pointer (&self->model, gabn_shared_model_unref);
  G_OBJECT_CLASS (gabn_model_item_parent_class)->finalize (object);
}

static void
gabn_model_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, GABN_MODEL_ITEM (object)->name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_model_item_class_init (GabnModelItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gabn_model_item_finalize;
  object_class->get_property = gabn_model_item_get_property;
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL,
                                               G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gabn_model_item_init (GabnModelItem *self)
{
}

GabnModelItem *
gabn_model_item_new (const char *name, GabnSharedModel *model)
{
  GabnModelItem *self = g_object_new (GABN_TYPE_MODEL_ITEM, NULL);

  self->name = g_strdup (name);
  self->model = model ? gabn_shared_model_ref (model) : NULL;
  return self;
}

const char *
gabn_model_item_get_name (GabnModelItem *self)
{
  g_return_val_if_fail (GABN_IS_MODEL_ITEM (self), NULL);
  return self->name;
}

GabnSharedModel *
gabn_model_item_get_model (GabnModelItem *self)
{
  g_return_val_if_fail (GABN_IS_MODEL_ITEM (self), NULL);
  return self->model;
}
