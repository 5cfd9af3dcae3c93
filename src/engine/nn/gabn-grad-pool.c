/* gabn-grad-pool.c: gradient buffers lent to values while a backward pass
 * needs them (see gabn-net-private.h). The pool is a short list (one buffer
 * per value live at the backward's widest point), so a linear search is
 * enough; buffers stay allocated between steps, so a step at a steady
 * batch size allocates nothing. */
#include "gabn-net-private.h"

static gsize
needed_floats (const GabnNet *net, int value)
{
  return (gsize) MAX (net->capacity, 1) * gabn_value_size (&net->values[value]);
}

void
gabn_grad_pool_take (GabnNet *net, int value)
{
  GabnValue *v = &net->values[value];
  gsize need = needed_floats (net, value);
  int best = -1;

  if (v->grad != NULL)
    return;
  if (net->grad_pool == NULL)
    net->grad_pool = g_array_new (FALSE, FALSE, sizeof (GabnBuffer));
  /* The smallest that fits: large buffers stay for large values. */
  for (guint i = 0; i < net->grad_pool->len; i++)
    {
      const GabnBuffer *b = &g_array_index (net->grad_pool, GabnBuffer, i);

      if (b->floats >= need
          && (best < 0 || b->floats < g_array_index (net->grad_pool, GabnBuffer, best).floats))
        best = (int) i;
    }
  if (best >= 0)
    {
      GabnBuffer b = g_array_index (net->grad_pool, GabnBuffer, best);

      g_array_remove_index_fast (net->grad_pool, best);
      v->grad = b.data;
      v->grad_floats = b.floats;
      return;
    }
  v->grad = g_new (float, need);
  v->grad_floats = need;
  net->grad_floats_held += need;
}

void
gabn_grad_pool_give_back (GabnNet *net, int value)
{
  GabnValue *v = &net->values[value];
  GabnBuffer b = { v->grad, v->grad_floats };

  if (v->grad == NULL)
    return;
  if (net->grad_pool == NULL)
    net->grad_pool = g_array_new (FALSE, FALSE, sizeof (GabnBuffer));
  g_array_append_val (net->grad_pool, b);
  v->grad = NULL;
  v->grad_floats = 0;
}

void
gabn_grad_pool_clear (GabnNet *net)
{
  for (int i = 0; i < net->n_values; i++)
    {
      g_free (net->values[i].grad);
      net->values[i].grad = NULL;
      net->values[i].grad_floats = 0;
    }
  if (net->grad_pool != NULL)
    {
      for (guint i = 0; i < net->grad_pool->len; i++)
        g_free (g_array_index (net->grad_pool, GabnBuffer, i).data);
      g_array_set_size (net->grad_pool, 0);
    }
  net->grad_floats_held = 0;
}

void
gabn_grad_pool_trim (GabnNet *net)
{
  if (net->grad_pool == NULL)
    return;
  for (guint i = 0; i < net->grad_pool->len; i++)
    {
      GabnBuffer *b = &g_array_index (net->grad_pool, GabnBuffer, i);

      g_free (b->data);
      net->grad_floats_held -= b->floats;
    }
  g_array_set_size (net->grad_pool, 0);
}
