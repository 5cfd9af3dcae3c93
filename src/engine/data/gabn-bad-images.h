/* gabn-bad-images.h: the record of a dataset's unreadable images (public
 * API in gabn-dataset.h). Private to the data area. */
#pragma once

#include "gabn-dataset.h"

G_BEGIN_DECLS

typedef struct _GabnBadImages GabnBadImages;

GabnBadImages *gabn_bad_images_new (void);
void           gabn_bad_images_destroy (GabnBadImages *bad);

/* The reason recorded for image, newly allocated, or NULL when it is not
 * known to be bad. */
char *gabn_bad_images_lookup (GabnBadImages *bad, int image);

G_END_DECLS
