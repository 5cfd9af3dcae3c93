/* gabn-teach-facts.h: the measured facts the teaching mode's sentences
 * state, computed without a display so they can be tested: who was trained
 * on and who held out, and whether a gap between groups is clear of the
 * test's noise. */
#pragma once

#include "gabn-dataset.h"
#include "gabn-evaluate.h"

G_BEGIN_DECLS

/* Training and held-out people per group (n_groups ints each): held-out
 * people are those in the test pairs, everyone else is trained on. */
void     gabn_teach_count_people (const GabnDataset *ds, int *train, int *held_out);

/* The least and most accurate groups of a report (the first of each on a
 * tie; when all are equal, the first and the last measured); FALSE with
 * fewer than two groups measured. */
gboolean gabn_teach_extremes     (const GabnEvalReport *r, int *lo, int *hi);

/* A gap is called one when the difference between groups hi and lo
 * exceeds twice its standard error, taken from the spread of each group's
 * accuracy over the report's 10 folds: on a small test set a few points
 * can be noise. */
gboolean gabn_teach_gap_is_clear (const GabnEvalReport *r, int lo, int hi);

G_END_DECLS
