/* gabn-rng.h: a small seeded random generator (splitmix64) for the data
 * pipeline. Streams are derived by hashing (seed, keys…), so a value depends
 * only on what it is for, never on thread timing or drawing order elsewhere. */
#pragma once

#include <glib.h>
#include <math.h>

G_BEGIN_DECLS

typedef struct {
  guint64 state;
} GabnRng;

static inline guint64
gabn_rng_mix (guint64 z)
{
  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

/* A stream keyed by seed and up to three integers. */
static inline void
gabn_rng_init (GabnRng *rng, guint64 seed, guint64 k1, guint64 k2, guint64 k3)
{
  guint64 h = gabn_rng_mix (seed + G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));
  h = gabn_rng_mix (h ^ (k1 + G_GUINT64_CONSTANT (0x632be59bd9b4e019)));
  h = gabn_rng_mix (h ^ (k2 + G_GUINT64_CONSTANT (0x85157af5a2d1c9e3)));
  h = gabn_rng_mix (h ^ (k3 + G_GUINT64_CONSTANT (0x2545f4914f6cdd1d)));
  rng->state = h;
}

static inline guint64
gabn_rng_next (GabnRng *rng)
{
  rng->state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);
  return gabn_rng_mix (rng->state);
}

/* Uniform in [0, 1). */
static inline double
gabn_rng_uniform (GabnRng *rng)
{
  return (double) (gabn_rng_next (rng) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [lo, hi). */
static inline double
gabn_rng_range (GabnRng *rng, double lo, double hi)
{
  return lo + (hi - lo) * gabn_rng_uniform (rng);
}

/* Uniform integer in [0, n), n > 0. */
static inline int
gabn_rng_int (GabnRng *rng, int n)
{
  return (int) (gabn_rng_uniform (rng) * n);
}

/* Standard normal (Box–Muller; one value per call, for simplicity). */
static inline double
gabn_rng_normal (GabnRng *rng)
{
  double u1 = gabn_rng_uniform (rng), u2 = gabn_rng_uniform (rng);
  if (u1 < 1e-300)
    u1 = 1e-300;
  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

/* Fisher–Yates shuffle of n ints. */
static inline void
gabn_rng_shuffle (GabnRng *rng, int *v, int n)
{
  for (int i = n - 1; i > 0; i--)
    {
      int j = gabn_rng_int (rng, i + 1);
      int t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
}

G_END_DECLS
