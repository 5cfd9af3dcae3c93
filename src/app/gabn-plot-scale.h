/* gabn-plot-scale.h: axis scaling for plots (no GTK, tested displayless). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double lo, hi;   /* the axis range, widened to whole ticks */
  double step;     /* tick spacing: 1, 2 or 5 × 10^k */
  int    n_ticks;  /* ticks at lo, lo+step, … hi */
} GabnAxisScale;

/* "Nice" ticks covering [min, max] with at most max_ticks intervals.
 * Handles min == max (a range around the value) and non-finite input
 * (falls back to 0..1). */
void gabn_axis_scale_init (GabnAxisScale *scale, double min, double max,
                           int max_ticks);

/* As gabn_axis_scale_init, for a count (epochs, steps): ticks on whole
 * numbers only, so a 3-epoch run is not labelled 1.2, 1.4, … */
void gabn_axis_scale_init_integer (GabnAxisScale *scale, double min, double max,
                                   int max_ticks);

/* Position of v on the axis as 0..1 (not clamped). */
double gabn_axis_scale_fraction (const GabnAxisScale *scale, double v);

/* Tick label with just enough decimals for the step ("0.25", "1e-04"…).
 * Returns a new string. */
char *gabn_axis_scale_format (const GabnAxisScale *scale, double v);

G_END_DECLS
