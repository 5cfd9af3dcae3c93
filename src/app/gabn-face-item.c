/* gabn-face-item.c: a face in the grid. In-memory (synthetic) faces are
 * copied at once (a copy, no decoding); faces on disk are decoded by the
 * session's load-face job in a worker, and the texture is made here on the
 * main thread. */
#include "config.h"
#include "gabn-face-item.h"

#define THUMB_SIZE 64

struct _GabnFaceItem
{
  GObject            parent_instance;

  GabnSession       *session;
  GabnSharedDataset *dataset;
  int                index;
  char              *label;
  GdkTexture        *thumbnail;
  gboolean           loading;
};

G_DEFINE_FINAL_TYPE (GabnFaceItem, gabn_face_item, G_TYPE_OBJECT)

enum { PROP_0, PROP_THUMBNAIL, PROP_LABEL, N_PROPS };
static GParamSpec *properties[N_PROPS];

static GdkTexture *
texture_from_rgb (GBytes *rgb)
{
  return gdk_memory_texture_new (THUMB_SIZE, THUMB_SIZE, GDK_MEMORY_R8G8B8, rgb, THUMB_SIZE * 3);
}

/* The session's job holds a reference to the item until it lands; a stale
 * result (the dataset changed meanwhile) arrives as a cancellation. */
static void
thumb_loaded (GObject *object, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(GabnFaceItem) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) rgb = gabn_session_load_face_finish (GABN_SESSION (object), result, &error);

  self->loading = FALSE;
  if (rgb == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Thumbnail of image %d: %s", self->index, error->message);
      return;
    }
  g_clear_object (&self->thumbnail);
  self->thumbnail = texture_from_rgb (rgb);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THUMBNAIL]);
}

static void
copy_in_memory (GabnFaceItem *self)
{
  guint8 *rgb = g_malloc (THUMB_SIZE * THUMB_SIZE * 3);
  g_autoptr(GBytes) bytes = NULL;

  if (!gabn_dataset_load_rgb (self->dataset->dataset, self->index, THUMB_SIZE, rgb, NULL))
    {
      g_free (rgb);
      return;
    }
  bytes = g_bytes_new_take (rgb, THUMB_SIZE * THUMB_SIZE * 3);
  self->thumbnail = texture_from_rgb (bytes);
}

GdkPaintable *
gabn_face_item_get_thumbnail (GabnFaceItem *self)
{
  g_return_val_if_fail (GABN_IS_FACE_ITEM (self), NULL);
  if (self->thumbnail == NULL && !self->loading)
    {
      if (self->dataset->dataset->pixels != NULL)
        copy_in_memory (self);
      else if (gabn_session_get_dataset (self->session) == self->dataset)
        {
          self->loading = TRUE;
          gabn_session_load_face_async (self->session, self->index, THUMB_SIZE, NULL,
                                        thumb_loaded, g_object_ref (self));
        }
    }
  return self->thumbnail ? GDK_PAINTABLE (self->thumbnail) : NULL;
}

static void
gabn_face_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  GabnFaceItem *self = GABN_FACE_ITEM (object);

  switch (prop_id)
    {
    case PROP_THUMBNAIL:
      g_value_set_object (value, gabn_face_item_get_thumbnail (self));
      break;
    case PROP_LABEL:
      g_value_set_string (value, self->label);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
gabn_face_item_finalize (GObject *object)
{
  GabnFaceItem *self = GABN_FACE_ITEM (object);

  g_clear_object (&self->thumbnail);
  g_clear_object (&self->session);
  g_clear_pointer (&self->dataset, gabn_shared_dataset_unref);
  g_free (self->label);
  G_OBJECT_CLASS (gabn_face_item_parent_class)->finalize (object);
}

static void
gabn_face_item_class_init (GabnFaceItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gabn_face_item_finalize;
  object_class->get_property = gabn_face_item_get_property;
  properties[PROP_THUMBNAIL] =
    g_param_spec_object ("thumbnail", NULL, NULL, GDK_TYPE_PAINTABLE,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LABEL] =
    g_param_spec_string ("label", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
gabn_face_item_init (GabnFaceItem *self)
{
}

GabnFaceItem *
gabn_face_item_new (GabnSession *session, GabnSharedDataset *dataset, int index)
{
  GabnFaceItem *self = g_object_new (GABN_TYPE_FACE_ITEM, NULL);
  const GabnImage *image = &dataset->dataset->images[index];

  self->session = g_object_ref (session);
  self->dataset = gabn_shared_dataset_ref (dataset);
  self->index = index;
  if (image->identity >= 0)
    self->label = g_strdup (dataset->dataset->identities[image->identity].name);
  else
    self->label = g_strdup_printf ("#%d", index);
  return self;
}

int
gabn_face_item_get_index (GabnFaceItem *self)
{
  g_return_val_if_fail (GABN_IS_FACE_ITEM (self), -1);
  return self->index;
}

int
gabn_face_item_get_group (GabnFaceItem *self)
{
  g_return_val_if_fail (GABN_IS_FACE_ITEM (self), -1);
  return self->dataset->dataset->images[self->index].group;
}

int
gabn_face_item_get_identity (GabnFaceItem *self)
{
  g_return_val_if_fail (GABN_IS_FACE_ITEM (self), -1);
  return self->dataset->dataset->images[self->index].identity;
}

const char *
gabn_face_item_get_label (GabnFaceItem *self)
{
  g_return_val_if_fail (GABN_IS_FACE_ITEM (self), NULL);
  return self->label;
}
