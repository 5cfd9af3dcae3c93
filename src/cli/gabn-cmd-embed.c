/* gabn-cmd-embed.c: `gabn embed` — the embeddings of image files. */
#include "config.h"
#include "gabn-cli.h"
#include "gabn-cli-open.h"
#include "gabn-model-file.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <math.h>
#include <string.h>

int
gabn_cmd_embed (int argc, char **argv)
{
  g_autofree char *model_path = NULL, *arch = NULL;
  gboolean json = FALSE, flip = FALSE, normalise = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, N_("Model file (safetensors, ONNX, a PyTorch .pth checkpoint, a TF.js manifest) or a name from “gabn models”"), "M" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, N_("Architecture of a model without metadata"), "A" },
    { "flip", 0, 0, G_OPTION_ARG_NONE, &flip, N_("Add the mirrored image’s embedding"), NULL },
    { "normalise", 0, 0, G_OPTION_ARG_NONE, &normalise, N_("L2-normalise the embeddings"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GabnNet) net = NULL;
  g_autofree float *input = NULL, *emb = NULL;
  int S, d, n;

  if (!gabn_cli_parse ("embed", _("IMAGE…"), _("Print the embeddings of face images."),
                       entries, &argc, &argv))
    return 2;
  if (!model_path || argc < 2)
    {
      g_printerr ("%s\n", _("gabn embed: --model and at least one image are required"));
      return 2;
    }
  net = gabn_model_load (model_path, arch, NULL, &error);
  if (!net)
    return gabn_cli_fail ("embed", error);
  gabn_net_set_training (net, FALSE);
  S = gabn_net_input_size (net);
  d = gabn_net_embedding_dim (net);
  n = argc - 1;
  input = g_new (float, (gsize) 3 * S * S);
  emb = g_new0 (float, (gsize) n * d);
  for (int i = 0; i < n; i++)
    for (int f = 0; f <= (flip ? 1 : 0); f++)
      {
        if (!gabn_cli_load_image_file (argv[i + 1], gabn_net_get_preprocess (net), f,
                                       input, &error))
          return gabn_cli_fail ("embed", error);
        gabn_net_forward (net, input, 1);
        for (int j = 0; j < d; j++)
          emb[(gsize) i * d + j] += gabn_net_embeddings (net)[j];
      }
  if (normalise)
    for (int i = 0; i < n; i++)
      {
        double ss = 0;
        for (int j = 0; j < d; j++)
          ss += (double) emb[(gsize) i * d + j] * emb[(gsize) i * d + j];
        ss = ss > 0 ? 1.0 / sqrt (ss) : 0.0;
        for (int j = 0; j < d; j++)
          emb[(gsize) i * d + j] *= (float) ss;
      }
  if (json)
    printf ("{\"embeddings\":[");
  for (int i = 0; i < n; i++)
    {
      if (json)
        printf ("%s[", i ? "," : "");
      else
        printf ("%s:", argv[i + 1]);
      for (int j = 0; j < d; j++)
        {
          char buf[G_ASCII_DTOSTR_BUF_SIZE];
          g_ascii_formatd (buf, sizeof buf, "%.9g", emb[(gsize) i * d + j]);
          printf (json ? "%s%s" : "%s%s", json ? (j ? "," : "") : " ", buf);
        }
      printf (json ? "]" : "\n");
    }
  if (json)
    printf ("]}\n");
  return 0;
}
