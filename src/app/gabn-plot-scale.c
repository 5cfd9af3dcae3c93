/* gabn-plot-scale.c: nice tick steps (Heckbert's 1-2-5 rule). */
#include "config.h"
#include "gabn-plot-scale.h"

#include <math.h>

void
gabn_axis_scale_init (GabnAxisScale *scale, double min, double max, int max_ticks)
{
  double span, raw, mag, norm, step;

  if (!isfinite (min) || !isfinite (max))
    {
      min = 0;
      max = 1;
    }
  if (min > max)
    {
      double t = min;
      min = max;
      max = t;
    }
  if (max - min < 1e-12 * MAX (1.0, fabs (max)))
    {
      double pad = fabs (min) > 0 ? fabs (min) * 0.1 : 0.5;
      min -= pad;
      max += pad;
    }
  max_ticks = MAX (max_ticks, 1);
  span = max - min;
  raw = span / max_ticks;
  mag = pow (10, floor (log10 (raw)));
  norm = raw / mag;
  if (norm <= 1)
    step = 1 * mag;
  else if (norm <= 2)
    step = 2 * mag;
  else if (norm <= 5)
    step = 5 * mag;
  else
    step = 10 * mag;
  scale->step = step;
  scale->lo = floor (min / step + 1e-9) * step;
  scale->hi = ceil (max / step - 1e-9) * step;
  scale->n_ticks = (int) lround ((scale->hi - scale->lo) / step) + 1;
}

void
gabn_axis_scale_init_integer (GabnAxisScale *scale, double min, double max, int max_ticks)
{
  gabn_axis_scale_init (scale, min, max, max_ticks);
  if (scale->step >= 1.0)
    return;
  scale->step = 1.0;
  scale->lo = floor (scale->lo);
  scale->hi = ceil (scale->hi);
  if (scale->hi <= scale->lo)
    scale->hi = scale->lo + 1.0;
  scale->n_ticks = (int) lround (scale->hi - scale->lo) + 1;
}

double
gabn_axis_scale_fraction (const GabnAxisScale *scale, double v)
{
  double span = scale->hi - scale->lo;

  return span > 0 ? (v - scale->lo) / span : 0.5;
}

char *
gabn_axis_scale_format (const GabnAxisScale *scale, double v)
{
  int decimals;

  if (fabs (v) < scale->step * 1e-6)
    v = 0;
  if (scale->step < 1e-3 || fabs (v) >= 1e6)
    return g_strdup_printf ("%.0e", v);
  decimals = scale->step >= 1 ? 0 : (int) ceil (-log10 (scale->step) - 1e-9);
  return g_strdup_printf ("%.*f", decimals, v);
}
