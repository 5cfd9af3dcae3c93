/* gabn-rng.h: a small seeded random generator (xoshiro256**), the same on
 * every platform and GLib version, for weight initialisation and dropout. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 s[4];
} GabnRng;

void    gabn_rng_init (GabnRng *rng, guint64 seed);
guint64 gabn_rng_next (GabnRng *rng);
/* Uniform in [0, 1). */
double  gabn_rng_uniform (GabnRng *rng);
/* Standard normal (Box–Muller). */
double  gabn_rng_normal (GabnRng *rng);
/* A 64-bit hash of a string, to derive one stream per tensor name. */
guint64 gabn_rng_hash_string (const char *s);

G_END_DECLS
