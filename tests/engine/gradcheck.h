/* gradcheck.h: finite-difference gradient checks for the engine tests.
 *
 * A check perturbs chosen elements of one array by ±h, re-evaluates a scalar
 * loss (in double) and compares the central differences with the analytic
 * gradient by normalised mean squared error, as ggml's test-backend-ops. */
#pragma once

#include <glib.h>

typedef double (*GradcheckLoss) (gpointer data);

/* Checks grad (analytic, n elements of x) against finite differences of
 * loss() for up to max_checks elements of x (all when n is small), and
 * fails the test when the NMSE exceeds tolerance. name is printed. */
void gradcheck (const char *name, float *x, const float *grad, gsize n,
                GradcheckLoss loss, gpointer data, float h, gsize max_checks,
                double tolerance);
/* The same, ignoring elements where both gradients are below floor (dead
 * ReLU units in a whole network, whose finite difference is only the
 * loss's rounding noise). */
void gradcheck_with_floor (const char *name, float *x, const float *grad,
                           gsize n, GradcheckLoss loss, gpointer data, float h,
                           gsize max_checks, double tolerance, double floor);

/* Uniform in [lo, hi) with a random sign, away from 0 (ReLU kinks). */
void gradcheck_fill_away_from_zero (float *x, gsize n, GRand *rand,
                                    double lo, double hi);
void gradcheck_fill (float *x, gsize n, GRand *rand, double lo, double hi);
/* Σ r·y in double: the test loss whose gradient with respect to y is r. */
double gradcheck_dot (const float *r, const float *y, gsize n);
