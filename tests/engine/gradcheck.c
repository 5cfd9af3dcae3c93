/* gradcheck.c: see gradcheck.h. */
#include "gradcheck.h"

#include <math.h>

void
gradcheck (const char *name, float *x, const float *grad, gsize n,
           GradcheckLoss loss, gpointer data, float h, gsize max_checks,
           double tolerance)
{
  gradcheck_with_floor (name, x, grad, n, loss, data, h, max_checks, tolerance, 0.0);
}

void
gradcheck_with_floor (const char *name, float *x, const float *grad, gsize n,
                      GradcheckLoss loss, gpointer data, float h,
                      gsize max_checks, double tolerance, double floor)
{
  GRand *rand = g_rand_new_with_seed (n);
  double err = 0, ref = 0, nmse;
  gsize checks = MIN (n, max_checks), used = 0;

  for (gsize k = 0; k < checks; k++)
    {
      gsize i = checks == n ? k : (gsize) g_rand_int_range (rand, 0, (gint32) n);
      float saved = x[i];
      double plus, minus, numeric;

      x[i] = saved + h;
      plus = loss (data);
      x[i] = saved - h;
      minus = loss (data);
      x[i] = saved;
      numeric = (plus - minus) / (2.0 * h);
      if (fabs (numeric) < floor && fabs (grad[i]) < floor)
        continue;
      used++;
      err += (numeric - grad[i]) * (numeric - grad[i]);
      ref += numeric * numeric;
    }
  g_rand_free (rand);
  nmse = ref > 0 ? err / ref : err;
  g_test_message ("%s: NMSE %.3g over %" G_GSIZE_FORMAT " elements", name, nmse, used);
  if (used == 0)
    g_test_fail_printf ("%s: no gradient above %g to check", name, floor);
  else if (!(nmse <= tolerance))
    g_test_fail_printf ("%s: finite-difference NMSE %.3g > %.3g", name, nmse, tolerance);
}

void
gradcheck_fill_away_from_zero (float *x, gsize n, GRand *rand, double lo,
                               double hi)
{
  for (gsize i = 0; i < n; i++)
    {
      double v = g_rand_double_range (rand, lo, hi);
      x[i] = g_rand_boolean (rand) ? v : -v;
    }
}

void
gradcheck_fill (float *x, gsize n, GRand *rand, double lo, double hi)
{
  for (gsize i = 0; i < n; i++)
    x[i] = g_rand_double_range (rand, lo, hi);
}

double
gradcheck_dot (const float *r, const float *y, gsize n)
{
  double acc = 0;

  for (gsize i = 0; i < n; i++)
    acc += (double) r[i] * y[i];
  return acc;
}
