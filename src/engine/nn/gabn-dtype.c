/* gabn-dtype.c: element types of safetensors files. */
#include "gabn-dtype.h"

#include <string.h>

static const char *const names[] = { "F32", "F16", "BF16", "F64", "I64", "I32" };
static const gsize sizes[] = { 4, 2, 2, 8, 8, 4 };

GabnDtype
gabn_dtype_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (name, names[i]))
      return (GabnDtype) i;
  return GABN_DTYPE_UNKNOWN;
}

const char *
gabn_dtype_name (GabnDtype dtype)
{
  return dtype < GABN_DTYPE_UNKNOWN ? names[dtype] : "unknown";
}

gsize
gabn_dtype_size (GabnDtype dtype)
{
  return dtype < GABN_DTYPE_UNKNOWN ? sizes[dtype] : 0;
}

static float
bits_to_float (guint32 bits)
{
  float f;

  memcpy (&f, &bits, 4);
  return f;
}

float
gabn_half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f, mant = h & 0x3ff;

  if (exp == 0)
    {
      /* Zero or subnormal: mant · 2^−24. */
      float v = (float) mant * (1.0f / 16777216.0f);
      return sign ? -v : v;
    }
  if (exp == 31)
    return bits_to_float (sign | 0x7f800000u | (mant << 13));
  return bits_to_float (sign | ((exp + 112) << 23) | (mant << 13));
}

guint16
gabn_float_to_half (float f)
{
  guint32 x, sign, mant;
  int exp;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  exp = (int) ((x >> 23) & 0xff) - 127 + 15;
  mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff)
    return (guint16) (sign | 0x7c00 | (mant ? 0x200 : 0));
  if (exp >= 31)
    return (guint16) (sign | 0x7c00);
  if (exp <= 0)
    {
      /* Subnormal: shift in the implicit bit, round to nearest even. */
      guint32 m = mant | 0x800000, shift = (guint32) (14 - exp), half;
      guint32 r;
      if (shift > 24)
        return (guint16) sign;
      half = 1u << (shift - 1);
      r = m >> shift;
      if ((m & ((1u << shift) - 1)) > half || ((m & ((1u << shift) - 1)) == half && (r & 1)))
        r++;
      return (guint16) (sign | r);
    }
  {
    guint32 r = ((guint32) exp << 10) | (mant >> 13);
    guint32 rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (r & 1)))
      r++;  /* may carry into the exponent: still correct, up to inf */
    return (guint16) (sign | r);
  }
}

void
gabn_dtype_to_float (float *dst, const guint8 *src, gsize n, GabnDtype dtype)
{
  for (gsize i = 0; i < n; i++)
    {
      const guint8 *p = src + i * sizes[dtype];

      switch (dtype)
        {
        case GABN_DTYPE_F32:
          dst[i] = bits_to_float ((guint32) p[0] | (guint32) p[1] << 8
                                  | (guint32) p[2] << 16 | (guint32) p[3] << 24);
          break;
        case GABN_DTYPE_F16:
          dst[i] = gabn_half_to_float ((guint16) (p[0] | p[1] << 8));
          break;
        case GABN_DTYPE_BF16:
          dst[i] = bits_to_float ((guint32) p[0] << 16 | (guint32) p[1] << 24);
          break;
        case GABN_DTYPE_F64:
        case GABN_DTYPE_I64:
          {
            guint64 v = 0;
            double d;
            for (int b = 7; b >= 0; b--)
              v = (v << 8) | p[b];
            if (dtype == GABN_DTYPE_I64)
              dst[i] = (float) (gint64) v;
            else
              {
                memcpy (&d, &v, 8);
                dst[i] = (float) d;
              }
          }
          break;
        case GABN_DTYPE_I32:
          dst[i] = (float) (gint32) ((guint32) p[0] | (guint32) p[1] << 8
                                     | (guint32) p[2] << 16 | (guint32) p[3] << 24);
          break;
        case GABN_DTYPE_UNKNOWN:
        default:
          dst[i] = 0.0f;
          break;
        }
    }
}
