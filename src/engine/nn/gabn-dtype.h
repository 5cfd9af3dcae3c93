/* gabn-dtype.h: the safetensors element types the engine reads, and their
 * conversion to float32 from little-endian bytes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  GABN_DTYPE_F32,
  GABN_DTYPE_F16,
  GABN_DTYPE_BF16,
  GABN_DTYPE_F64,
  GABN_DTYPE_I64,
  GABN_DTYPE_I32,
  GABN_DTYPE_UNKNOWN,
} GabnDtype;

GabnDtype   gabn_dtype_from_name (const char *name);
const char *gabn_dtype_name (GabnDtype dtype);
gsize       gabn_dtype_size (GabnDtype dtype);  /* 0 for UNKNOWN */

/* IEEE 754 binary16 → float32, subnormals, infinities and NaN included. */
float gabn_half_to_float (guint16 h);
/* float32 → binary16, rounding to nearest even. */
guint16 gabn_float_to_half (float f);

/* dst (n floats) from n little-endian elements of dtype at src (any
 * alignment). */
void gabn_dtype_to_float (float *dst, const guint8 *src, gsize n, GabnDtype dtype);

G_END_DECLS
