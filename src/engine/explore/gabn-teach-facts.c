/* gabn-teach-facts.c: see gabn-teach-facts.h. */
#include "config.h"
#include "gabn-teach-facts.h"

#include <math.h>

void
gabn_teach_count_people (const GabnDataset *ds, int *train, int *held_out)
{
  g_autofree gboolean *in_pairs = g_new0 (gboolean, MAX (1, ds->n_identities));

  for (int g = 0; g < ds->n_groups; g++)
    train[g] = held_out[g] = 0;
  for (int p = 0; p < ds->n_pairs; p++)
    {
      int a = ds->images[ds->pairs[p].a].identity, b = ds->images[ds->pairs[p].b].identity;

      if (a >= 0)
        in_pairs[a] = TRUE;
      if (b >= 0)
        in_pairs[b] = TRUE;
    }
  for (int i = 0; i < ds->n_identities; i++)
    {
      int g = ds->identities[i].group;

      if (g >= 0 && g < ds->n_groups)
        (in_pairs[i] ? held_out : train)[g]++;
    }
}

gboolean
gabn_teach_extremes (const GabnEvalReport *r, int *lo, int *hi)
{
  *lo = *hi = -1;
  for (int g = 0; g < r->n_groups; g++)
    {
      if (!isfinite (r->groups[g].accuracy))
        continue;
      if (*lo < 0 || r->groups[g].accuracy < r->groups[*lo].accuracy)
        *lo = g;
      if (*hi < 0 || r->groups[g].accuracy > r->groups[*hi].accuracy)
        *hi = g;
    }
  /* All equal: compare the first with the last measured group. */
  for (int g = r->n_groups - 1; *lo >= 0 && *lo == *hi && g > *lo; g--)
    if (isfinite (r->groups[g].accuracy))
      *hi = g;
  return *lo >= 0 && *hi >= 0 && *lo != *hi;
}

gboolean
gabn_teach_gap_is_clear (const GabnEvalReport *r, int lo, int hi)
{
  double se_lo = isfinite (r->groups[lo].accuracy_std) ? r->groups[lo].accuracy_std / sqrt (10) : 0;
  double se_hi = isfinite (r->groups[hi].accuracy_std) ? r->groups[hi].accuracy_std / sqrt (10) : 0;
  double diff = r->groups[hi].accuracy - r->groups[lo].accuracy;

  return diff > 0 && diff > 2 * sqrt (se_lo * se_lo + se_hi * se_hi);
}
