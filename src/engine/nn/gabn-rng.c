/* gabn-rng.c: xoshiro256** seeded through splitmix64. */
#include "gabn-rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void
gabn_rng_init (GabnRng *rng, guint64 seed)
{
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&seed);
}

guint64
gabn_rng_next (GabnRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
gabn_rng_uniform (GabnRng *rng)
{
  return (gabn_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
gabn_rng_normal (GabnRng *rng)
{
  /* 1 − u avoids log(0). */
  double u1 = 1.0 - gabn_rng_uniform (rng);
  double u2 = gabn_rng_uniform (rng);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

guint64
gabn_rng_hash_string (const char *s)
{
  /* FNV-1a, then mixed. */
  guint64 h = 0xcbf29ce484222325ull;

  for (; *s; s++)
    h = (h ^ (guchar) *s) * 0x100000001b3ull;
  return splitmix64 (&h);
}
