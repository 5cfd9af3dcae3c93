/* gabn-colormap.c: piecewise-linear colormaps through matplotlib's values
 * at ninths (viridis, inferno) and the classic jet formula. */
#include "config.h"
#include "gabn-colormap.h"

#include <math.h>
#include <string.h>

/* matplotlib's viridis and inferno sampled at t = 0, 1/8, …, 1. */
static const float viridis[9][3] = {
  { 0.267004f, 0.004874f, 0.329415f },
  { 0.282623f, 0.140926f, 0.457517f },
  { 0.229739f, 0.322361f, 0.545706f },
  { 0.172719f, 0.448791f, 0.557885f },
  { 0.127568f, 0.566949f, 0.550556f },
  { 0.157851f, 0.683765f, 0.501686f },
  { 0.369214f, 0.788888f, 0.382914f },
  { 0.678489f, 0.863742f, 0.189503f },
  { 0.993248f, 0.906157f, 0.143936f },
};
static const float inferno[9][3] = {
  { 0.001462f, 0.000466f, 0.013866f },
  { 0.087411f, 0.044556f, 0.224813f },
  { 0.258234f, 0.038571f, 0.406485f },
  { 0.416331f, 0.090203f, 0.432943f },
  { 0.578304f, 0.148039f, 0.404411f },
  { 0.735683f, 0.215906f, 0.330245f },
  { 0.865006f, 0.316822f, 0.226055f },
  { 0.954506f, 0.468744f, 0.099874f },
  { 0.988362f, 0.998364f, 0.644924f },
};

static const char *names[] = { "viridis", "inferno", "jet", "grey" };

GabnColormap
gabn_colormap_from_name (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (name, names[i]) == 0)
      return (GabnColormap) i;
  return GABN_COLORMAP_VIRIDIS;
}

const char *
gabn_colormap_to_name (GabnColormap map)
{
  return (guint) map < G_N_ELEMENTS (names) ? names[map] : names[0];
}

static guint8
to_byte (double v)
{
  return (guint8) CLAMP (lround (v * 255.0), 0, 255);
}

static void
table_lookup (const float table[9][3], double t, guint8 rgb[3])
{
  double x = t * 8.0;
  int i = MIN ((int) x, 7);
  double f = x - i;

  for (int c = 0; c < 3; c++)
    rgb[c] = to_byte (table[i][c] * (1 - f) + table[i + 1][c] * f);
}

/* Jet: the MATLAB ramps, each channel a trapezoid. */
static double
jet_channel (double x)
{
  return CLAMP (1.5 - fabs (4.0 * x), 0.0, 1.0);
}

void
gabn_colormap_lookup (GabnColormap map, double t, guint8 rgb[3])
{
  if (isnan (t))
    t = 0;
  t = CLAMP (t, 0.0, 1.0);
  switch (map)
    {
    case GABN_COLORMAP_INFERNO:
      table_lookup (inferno, t, rgb);
      break;
    case GABN_COLORMAP_JET:
      rgb[0] = to_byte (jet_channel (t - 0.75));
      rgb[1] = to_byte (jet_channel (t - 0.5));
      rgb[2] = to_byte (jet_channel (t - 0.25));
      break;
    case GABN_COLORMAP_GREY:
      rgb[0] = rgb[1] = rgb[2] = to_byte (t);
      break;
    case GABN_COLORMAP_VIRIDIS:
    default:
      table_lookup (viridis, t, rgb);
      break;
    }
}

void
gabn_map_upsample (const float *map, int h, int w, float *out, int out_h, int out_w)
{
  for (int y = 0; y < out_h; y++)
    {
      double sy = CLAMP ((y + 0.5) * h / (double) out_h - 0.5, 0, h - 1);
      int y0 = (int) sy, y1 = MIN (y0 + 1, h - 1);
      double fy = sy - y0;

      for (int x = 0; x < out_w; x++)
        {
          double sx = CLAMP ((x + 0.5) * w / (double) out_w - 0.5, 0, w - 1);
          int x0 = (int) sx, x1 = MIN (x0 + 1, w - 1);
          double fx = sx - x0;
          double top = map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx;
          double bottom = map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx;

          out[y * out_w + x] = (float) (top * (1 - fy) + bottom * fy);
        }
    }
}

void
gabn_heat_blend (const guint8 *rgb, int size, const float *heat, float vmax,
                 GabnColormap map, double opacity, guint8 *rgba_out)
{
  guint8 lut[256][3];

  for (int i = 0; i < 256; i++)
    gabn_colormap_lookup (map, i / 255.0, lut[i]);
  for (int p = 0; p < size * size; p++)
    {
      double t = heat != NULL && vmax > 0 ? heat[p] / vmax : 0;
      int k = (int) CLAMP (lround (t * 255.0), 0, 255);
      double a = heat != NULL ? opacity : 0;

      for (int c = 0; c < 3; c++)
        rgba_out[4 * p + c] = (guint8) lround ((1 - a) * rgb[3 * p + c] + a * lut[k][c]);
      rgba_out[4 * p + 3] = 255;
    }
}
