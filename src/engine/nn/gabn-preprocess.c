/* gabn-preprocess.c: a model's preprocessing (gabn-net.h), applied by the
 * net to the engine's standard input tensor. With x = 127.5·s + 127.5 the
 * 0..255 value of standard value s, model channel k reads RGB channel
 * src = bgr ? 2 − k : k and holds (x − mean[k])·scale[k] = a·s + b. */
#include "gabn-net-private.h"

#include <string.h>

static gboolean
is_standard (const GabnPreprocess *pre)
{
  for (int k = 0; k < 3; k++)
    if (pre->mean[k] != 127.5f || pre->scale[k] != 1 / 127.5f)
      return FALSE;
  return !pre->bgr;
}

void
gabn_preprocess_forward (const GabnPreprocess *pre, float *model_in,
                         const float *std, int B, int S)
{
  if (is_standard (pre))
    {
      memcpy (model_in, std, sizeof (float) * B * 3 * S);
      return;
    }
  for (int b = 0; b < B; b++)
    for (int k = 0; k < 3; k++)
      {
        int src = pre->bgr ? 2 - k : k;
        const float *x = std + ((gsize) b * 3 + src) * S;
        float *y = model_in + ((gsize) b * 3 + k) * S;
        float a = 127.5f * pre->scale[k];
        float c = (127.5f - pre->mean[k]) * pre->scale[k];

        for (int i = 0; i < S; i++)
          y[i] = x[i] * a + c;
      }
}

void
gabn_preprocess_backward (const GabnPreprocess *pre, float *d_std,
                          const float *d_model_in, int B, int S)
{
  if (is_standard (pre))
    {
      memcpy (d_std, d_model_in, sizeof (float) * B * 3 * S);
      return;
    }
  for (int b = 0; b < B; b++)
    for (int k = 0; k < 3; k++)
      {
        int src = pre->bgr ? 2 - k : k;
        const float *g = d_model_in + ((gsize) b * 3 + k) * S;
        float *d = d_std + ((gsize) b * 3 + src) * S;
        float a = 127.5f * pre->scale[k];

        for (int i = 0; i < S; i++)
          d[i] = g[i] * a;
      }
}

const GabnPreprocess *
gabn_net_get_preprocess (const GabnNet *net)
{
  return &net->preprocess;
}

void
gabn_net_set_preprocess (GabnNet *net, const GabnPreprocess *pre)
{
  g_return_if_fail (pre != NULL);
  g_return_if_fail (pre->width == net->input_size && pre->height == net->input_size);
  net->preprocess = *pre;
}
