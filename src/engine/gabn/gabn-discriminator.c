/* gabn-discriminator.c: the MLP on attention maps. */
#include "gabn-discriminator.h"
#include "gabn-matmul.h"

#include <math.h>
#include <string.h>

struct _GabnDiscriminator {
  int n, H, G;
  float *params, *grads;     /* blob layout in the header */
  float *w1, *b1, *w2, *b2;  /* into params */
  float *gw1, *gb1, *gw2, *gb2;
  int capacity, B;
  float *x;        /* (B,n) scaled input */
  float *hidden;   /* (B,H) after ReLU */
  float *logits;   /* (B,G) */
  float *d_hidden; /* (B,H) scratch */
};

/* xorshift64* → uniform in [0, 1). */
static double
next_uniform (guint64 *state)
{
  guint64 x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return ((x * G_GUINT64_CONSTANT (2685821657736338717)) >> 11) * (1.0 / 9007199254740992.0);
}

static void
init_uniform (float *v, gsize n, double bound, guint64 *state)
{
  for (gsize i = 0; i < n; i++)
    v[i] = (float) ((2.0 * next_uniform (state) - 1.0) * bound);
}

GabnDiscriminator *
gabn_discriminator_new (int n_cells, int hidden, int n_groups, guint64 seed)
{
  GabnDiscriminator *d = g_new0 (GabnDiscriminator, 1);
  gsize np;
  guint64 state = seed * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + 0xD1B54A32D192ED03u;

  d->n = n_cells;
  d->H = hidden;
  d->G = n_groups;
  np = gabn_discriminator_n_params (d);
  d->params = g_new0 (float, np);
  d->grads = g_new0 (float, np);
  d->w1 = d->params;
  d->b1 = d->w1 + (gsize) d->H * d->n;
  d->w2 = d->b1 + d->H;
  d->b2 = d->w2 + (gsize) d->G * d->H;
  d->gw1 = d->grads;
  d->gb1 = d->gw1 + (gsize) d->H * d->n;
  d->gw2 = d->gb1 + d->H;
  d->gb2 = d->gw2 + (gsize) d->G * d->H;
  if (state == 0)
    state = 1;
  init_uniform (d->w1, (gsize) d->H * d->n, 1.0 / sqrt (d->n), &state);
  init_uniform (d->b1, d->H, 1.0 / sqrt (d->n), &state);
  init_uniform (d->w2, (gsize) d->G * d->H, 1.0 / sqrt (d->H), &state);
  init_uniform (d->b2, d->G, 1.0 / sqrt (d->H), &state);
  return d;
}

void
gabn_discriminator_free (GabnDiscriminator *d)
{
  if (!d)
    return;
  g_free (d->params);
  g_free (d->grads);
  g_free (d->x);
  g_free (d->hidden);
  g_free (d->logits);
  g_free (d->d_hidden);
  g_free (d);
}

int gabn_discriminator_n_cells (const GabnDiscriminator *d) { return d->n; }
int gabn_discriminator_n_groups (const GabnDiscriminator *d) { return d->G; }
int gabn_discriminator_hidden (const GabnDiscriminator *d) { return d->H; }

gsize
gabn_discriminator_n_params (const GabnDiscriminator *d)
{
  return (gsize) d->H * d->n + d->H + (gsize) d->G * d->H + d->G;
}

float *gabn_discriminator_params (GabnDiscriminator *d) { return d->params; }
float *gabn_discriminator_grads (GabnDiscriminator *d) { return d->grads; }

void
gabn_discriminator_zero_grad (GabnDiscriminator *d)
{
  memset (d->grads, 0, sizeof (float) * gabn_discriminator_n_params (d));
}

static void
ensure_capacity (GabnDiscriminator *d, int B)
{
  if (B <= d->capacity)
    return;
  d->capacity = B;
  d->x = g_renew (float, d->x, (gsize) B * d->n);
  d->hidden = g_renew (float, d->hidden, (gsize) B * d->H);
  d->logits = g_renew (float, d->logits, (gsize) B * d->G);
  d->d_hidden = g_renew (float, d->d_hidden, (gsize) B * d->H);
}

const float *
gabn_discriminator_forward (GabnDiscriminator *d, const float *P, int B)
{
  ensure_capacity (d, B);
  d->B = B;
  for (gsize i = 0; i < (gsize) B * d->n; i++)
    d->x[i] = P[i] * d->n;
  /* hidden (B,H) = x (B,n) · w1ᵀ (n,H) + b1 */
  for (int b = 0; b < B; b++)
    memcpy (d->hidden + (gsize) b * d->H, d->b1, sizeof (float) * d->H);
  gabn_gemm (FALSE, TRUE, B, d->H, d->n, 1.0f, d->x, d->n, d->w1, d->n,
             1.0f, d->hidden, d->H);
  for (gsize i = 0; i < (gsize) B * d->H; i++)
    d->hidden[i] = d->hidden[i] > 0.0f ? d->hidden[i] : 0.0f;
  /* logits (B,G) = hidden (B,H) · w2ᵀ (H,G) + b2 */
  for (int b = 0; b < B; b++)
    memcpy (d->logits + (gsize) b * d->G, d->b2, sizeof (float) * d->G);
  gabn_gemm (FALSE, TRUE, B, d->G, d->H, 1.0f, d->hidden, d->H, d->w2, d->H,
             1.0f, d->logits, d->G);
  return d->logits;
}

float
gabn_discriminator_loss (GabnDiscriminator *d, const int *groups,
                         float *d_logits, float *accuracy)
{
  double loss = 0.0;
  int correct = 0, B = d->B, G = d->G;

  for (int b = 0; b < B; b++)
    {
      const float *z = d->logits + (gsize) b * G;
      float *dz = d_logits + (gsize) b * G;
      double max = z[0], sum = 0.0, log_sum;
      int arg = 0;

      for (int g = 1; g < G; g++)
        if (z[g] > max)
          {
            max = z[g];
            arg = g;
          }
      for (int g = 0; g < G; g++)
        sum += exp (z[g] - max);
      log_sum = max + log (sum);
      for (int g = 0; g < G; g++)
        {
          double p = exp (z[g] - log_sum);
          double target = groups ? (g == groups[b] ? 1.0 : 0.0) : 1.0 / G;

          dz[g] = (float) ((p - target) / B);
          loss -= target * (z[g] - log_sum);
        }
      if (groups && arg == groups[b])
        correct++;
    }
  if (accuracy)
    *accuracy = B > 0 ? (float) correct / B : 0.0f;
  return B > 0 ? (float) (loss / B) : 0.0f;
}

void
gabn_discriminator_backward (GabnDiscriminator *d, const float *d_logits,
                             float *dP, gboolean accumulate)
{
  int B = d->B;

  if (accumulate)
    {
      /* gw2 (G,H) += d_logitsᵀ (G,B) · hidden (B,H); gb2 += Σ_b d_logits */
      gabn_gemm (TRUE, FALSE, d->G, d->H, B, 1.0f, d_logits, d->G, d->hidden,
                 d->H, 1.0f, d->gw2, d->H);
      for (int b = 0; b < B; b++)
        for (int g = 0; g < d->G; g++)
          d->gb2[g] += d_logits[(gsize) b * d->G + g];
    }
  /* d_hidden (B,H) = d_logits (B,G) · w2 (G,H), through the ReLU. */
  gabn_gemm (FALSE, FALSE, B, d->H, d->G, 1.0f, d_logits, d->G, d->w2, d->H,
             0.0f, d->d_hidden, d->H);
  for (gsize i = 0; i < (gsize) B * d->H; i++)
    if (d->hidden[i] <= 0.0f)
      d->d_hidden[i] = 0.0f;
  if (accumulate)
    {
      /* gw1 (H,n) += d_hiddenᵀ (H,B) · x (B,n) */
      gabn_gemm (TRUE, FALSE, d->H, d->n, B, 1.0f, d->d_hidden, d->H, d->x,
                 d->n, 1.0f, d->gw1, d->n);
      for (int b = 0; b < B; b++)
        for (int h = 0; h < d->H; h++)
          d->gb1[h] += d->d_hidden[(gsize) b * d->H + h];
    }
  if (dP)
    {
      /* dP (B,n) = n · d_hidden (B,H) · w1 (H,n) */
      gabn_gemm (FALSE, FALSE, B, d->n, d->H, (float) d->n, d->d_hidden, d->H,
                 d->w1, d->n, 0.0f, dP, d->n);
    }
}
