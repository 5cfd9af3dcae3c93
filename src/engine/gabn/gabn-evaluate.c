/* gabn-evaluate.c: per-group verification and attention report. */
#include "gabn-evaluate.h"
#include "gabn-attention.h"
#include "gabn-batcher.h"
#include "gabn-cam.h"
#include "gabn-gam.h"
#include "gabn-reliance.h"
#include "gabn-probe.h"
#include "gabn-verify.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void
gabn_eval_options_init (GabnEvalOptions *o)
{
  memset (o, 0, sizeof *o);
  o->flip = FALSE;
  o->batch_size = 32;
  o->gam_max_per_group = 64;
  o->reference_group = -1;
  o->roc_points = 101;
  o->n_folds = 10;
  o->threads = 0;
  o->reliance_people = 12;
  o->reliance_photos = 2;
}

typedef struct {
  GabnNet *net;
  const GabnDataset *dataset;
  const GabnEvalOptions *options;
  GabnProgressFunc progress;
  gpointer user_data;
  GCancellable *cancellable;
  int S, d;
  double done, total;   /* images processed, for progress */
} Eval;

static gboolean
check_cancel (Eval *ev, GError **error)
{
  if (g_cancellable_is_cancelled (ev->cancellable))
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_CANCELLED, _("evaluation cancelled"));
      return FALSE;
    }
  return TRUE;
}

static void
report_progress (Eval *ev, const char *message)
{
  if (ev->progress)
    ev->progress (ev->total > 0 ? MIN (ev->done / ev->total, 1.0) : -1.0,
                  message, ev->user_data);
}

/* Embeddings of images[0..n) into emb (n×d); with flip, also adds the
 * flipped images' embeddings into emb_flip (n×d) = e(x) + e(flip x). */
static gboolean
embed_images (Eval *ev, const int *images, int n, float *emb, float *emb_flip,
              guint8 *bad, GError **error)
{
  int B = MAX (ev->options->batch_size, 1);
  g_autofree float *input = g_new (float, (gsize) B * 3 * ev->S * ev->S);
  g_autofree guint8 *bad_flip = g_new (guint8, B);

  for (int start = 0; start < n; start += B)
    {
      int b = MIN (B, n - start);

      if (!check_cancel (ev, error))
        return FALSE;
      for (int flip = 0; flip <= (emb_flip ? 1 : 0); flip++)
        {
          float *dst = flip ? emb_flip : emb;

          /* Unreadable images are zeros here, flagged in bad: their pairs
           * are left out of the scores. */
          if (!gabn_dataset_load_images_skipping (ev->dataset, images + start, b,
                                                  gabn_net_get_preprocess (ev->net), flip, input,
                                                  flip ? bad_flip : bad + start,
                                                  ev->options->threads,
                                                  ev->cancellable, error))
            return FALSE;
          if (flip)
            for (int k = 0; k < b; k++)
              bad[start + k] |= bad_flip[k];
          gabn_net_forward (ev->net, input, b);
          memcpy (dst + (gsize) start * ev->d, gabn_net_embeddings (ev->net),
                  sizeof (float) * b * ev->d);
        }
      if (emb_flip)
        for (gsize i = 0; i < (gsize) b * ev->d; i++)
          emb_flip[(gsize) start * ev->d + i] += emb[(gsize) start * ev->d + i];
      ev->done += b;
      report_progress (ev, "embedding");
    }
  return TRUE;
}

static float
cosine (const float *a, const float *b, int d)
{
  double ab = 0, aa = 0, bb = 0;

  for (int i = 0; i < d; i++)
    {
      ab += (double) a[i] * b[i];
      aa += (double) a[i] * a[i];
      bb += (double) b[i] * b[i];
    }
  return (float) (ab / (sqrt (aa) * sqrt (bb) + 1e-12));
}

static int
pair_group (const GabnDataset *ds, const GabnPair *p)
{
  int g = ds->images[p->a].group;
  return g >= 0 ? g : ds->images[p->b].group;
}

/* Attention measures: maps of up to gam_max_per_group images per group
 * whose identity has another evaluated image; target = cosine to the
 * identity's mean embedding. */
static gboolean
attention (Eval *ev, GabnEvalReport *r, const int *images, int n_images,
           const float *emb, const guint8 *bad, GError **error)
{
  const GabnDataset *ds = ev->dataset;
  int C, h, w, n, B = MAX (ev->options->batch_size, 1), n_sel = 0;
  g_autofree int *per_identity = g_new0 (int, MAX (ds->n_identities, 1));
  g_autofree double *centre = g_new0 (double, (gsize) MAX (ds->n_identities, 1) * ev->d);
  g_autofree int *taken = g_new0 (int, r->n_groups);
  g_autofree int *sel = g_new (int, MAX (n_images, 1));
  g_autofree float *refs = NULL, *cam = NULL, *P = NULL, *input = NULL;
  g_autofree int *sel_groups = NULL, *sel_ids = NULL;
  g_autofree double *region50 = g_new (double, r->n_groups);
  g_autofree double *region80 = g_new (double, r->n_groups);
  g_autofree int *counts = g_new (int, r->n_groups);
  g_autofree float *mean_gam = NULL;
  g_autofree gboolean *present = g_new0 (gboolean, r->n_groups);

  gabn_net_feature_shape (ev->net, &C, &h, &w);
  n = h * w;
  r->gam_h = h;
  r->gam_w = w;
  for (int i = 0; i < n_images; i++)
    {
      int id = ds->images[images[i]].identity;
      if (id < 0 || bad[i])
        continue;
      per_identity[id]++;
      for (int j = 0; j < ev->d; j++)
        centre[(gsize) id * ev->d + j] += emb[(gsize) i * ev->d + j];
    }
  for (int i = 0; i < n_images; i++)
    {
      int id = ds->images[images[i]].identity, g = ds->images[images[i]].group;
      if (id < 0 || bad[i] || g < 0 || g >= r->n_groups || per_identity[id] < 2
          || taken[g] >= ev->options->gam_max_per_group)
        continue;
      taken[g]++;
      sel[n_sel++] = i;
    }
  mean_gam = g_new (float, (gsize) r->n_groups * n);
  if (n_sel > 0)
    {
      refs = g_new (float, (gsize) B * ev->d);
      cam = g_new (float, (gsize) B * n);
      P = g_new (float, (gsize) n_sel * n);
      input = g_new (float, (gsize) B * 3 * ev->S * ev->S);
      sel_groups = g_new (int, n_sel);
      sel_ids = g_new (int, n_sel);
      for (int start = 0; start < n_sel; start += B)
        {
          int b = MIN (B, n_sel - start);
          int idx[b];

          if (!check_cancel (ev, error))
            return FALSE;
          for (int k = 0; k < b; k++)
            {
              int i = sel[start + k], id = ds->images[images[i]].identity;
              idx[k] = images[i];
              sel_groups[start + k] = ds->images[images[i]].group;
              sel_ids[start + k] = id;
              for (int j = 0; j < ev->d; j++)
                refs[(gsize) k * ev->d + j] =
                  (float) (centre[(gsize) id * ev->d + j] / per_identity[id]);
            }
          if (!gabn_dataset_load_images (ds, idx, b, gabn_net_get_preprocess (ev->net),
                                         FALSE, input, ev->options->threads,
                                         ev->cancellable, error))
            return FALSE;
          gabn_gam_compute (ev->net, input, b, GABN_CAM_GRADCAM, NULL, refs,
                            cam, NULL, NULL);
          gabn_cam_normalise (P + (gsize) start * n, cam, b, n);
          ev->done += b;
          report_progress (ev, "attention maps");
        }
    }
  gabn_attention_group_stats (P, sel_groups, n_sel, n, r->n_groups, mean_gam,
                              region50, region80, counts);
  for (int g = 0; g < r->n_groups; g++)
    {
      GabnGroupReport *gr = &r->groups[g];

      gr->n_gam_images = counts[g];
      gr->region50 = region50[g];
      gr->region80 = region80[g];
      gr->mean_gam = g_memdup2 (mean_gam + (gsize) g * n, sizeof (float) * n);
      present[g] = counts[g] > 0;
    }
  r->js_matrix = g_new0 (double, r->n_groups * r->n_groups);
  r->mean_pairwise_js = gabn_attention_js_matrix (mean_gam, r->n_groups, n,
                                                  present, r->js_matrix);
  for (int g = 0; g < r->n_groups; g++)
    r->groups[g].js_to_reference = present[g] && present[r->reference_group]
      ? r->js_matrix[g * r->n_groups + r->reference_group] : NAN;
  if (n_sel > 0)
    {
      GabnProbeResult probe;

      /* NaN (not computed) with fewer than two groups or people. */
      gabn_probe_cross_validate (P, sel_groups, sel_ids, n_sel, n, r->n_groups,
                                 NULL, &probe);
      r->probe_accuracy = probe.accuracy;
      r->probe_accuracy_std = probe.accuracy_std;
      r->probe_chance = probe.chance;
    }
  return TRUE;
}

static void
verification (Eval *ev, GabnEvalReport *r, const GabnPair *pairs, int n_pairs,
              const float *scores)
{
  g_autofree gboolean *same = g_new (gboolean, n_pairs);
  g_autofree float *gs = g_new (float, n_pairs);
  g_autofree gboolean *gy = g_new (gboolean, n_pairs);
  g_autofree int *gf = g_new (int, n_pairs);
  g_autofree double *acc = g_new (double, r->n_groups);
  int n_roc = MAX (ev->options->roc_points, 2);

  for (int i = 0; i < n_pairs; i++)
    same[i] = pairs[i].same;
  r->threshold = gabn_verify_best_threshold (scores, same, n_pairs, NULL);
  for (int g = 0; g < r->n_groups; g++)
    {
      GabnGroupReport *gr = &r->groups[g];
      int m = 0;

      for (int i = 0; i < n_pairs; i++)
        if (pair_group (ev->dataset, &pairs[i]) == g)
          {
            gs[m] = scores[i];
            gy[m] = pairs[i].same;
            gf[m++] = pairs[i].fold;
          }
      gr->n_pairs = m;
      for (int i = 0; i < m; i++)
        gr->n_genuine += gy[i] ? 1 : 0;
      gr->n_impostor = m - gr->n_genuine;
      if (m > 0)
        gabn_verify_kfold (gs, gy, gf, m, MAX (ev->options->n_folds, 1),
                           &gr->accuracy, &gr->accuracy_std);
      else
        gr->accuracy = gr->accuracy_std = NAN;
      for (int k = 0; k < GABN_N_FAR; k++)
        gr->tar_at_far[k] = gabn_verify_tar_at_far (gs, gy, m, gabn_far_target (k), NULL);
      gabn_verify_rates_at (gs, gy, m, r->threshold, &gr->fmr, &gr->fnmr);
      gr->roc_far = g_new (float, n_roc);
      gr->roc_tar = g_new (float, n_roc);
      gr->n_roc = gabn_verify_roc (gs, gy, m, n_roc, gr->roc_far, gr->roc_tar);
      acc[g] = gr->accuracy;
    }
  r->mean_accuracy = gabn_verify_mean (acc, r->n_groups);
  r->std = gabn_verify_std (acc, r->n_groups);
  r->ser = gabn_verify_ser (acc, r->n_groups);
}

static int
compare_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

GabnEvalReport *
gabn_evaluate (GabnNet *net, const GabnDataset *dataset, const GabnPair *pairs,
               int n_pairs, const GabnEvalOptions *options,
               GabnProgressFunc progress, gpointer user_data,
               GCancellable *cancellable, GError **error)
{
  GabnEvalOptions defaults;
  Eval ev = { 0 };
  g_autoptr(GabnEvalReport) r = NULL;
  g_autofree int *images = NULL, *slot = NULL;
  g_autofree float *emb = NULL, *emb_flip = NULL, *scores = NULL;
  g_autofree guint8 *bad = NULL;
  g_autofree GabnPair *kept = NULL;
  int n_images = 0, n_kept = 0;
  gboolean was_training = gabn_net_get_training (net);
  gboolean ok;

  if (!options)
    {
      gabn_eval_options_init (&defaults);
      options = &defaults;
    }
  if (n_pairs <= 0)
    {
      g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                   _("no verification pairs to evaluate"));
      return NULL;
    }
  for (int i = 0; i < n_pairs; i++)
    if (pairs[i].a < 0 || pairs[i].a >= dataset->n_images
        || pairs[i].b < 0 || pairs[i].b >= dataset->n_images)
      {
        g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_ARGUMENT,
                     _("pair %d names image %d, %d: the dataset has %d images"),
                     i + 1, pairs[i].a, pairs[i].b, dataset->n_images);
        return NULL;
      }
  ev.net = net;
  ev.dataset = dataset;
  ev.options = options;
  ev.progress = progress;
  ev.user_data = user_data;
  ev.cancellable = cancellable;
  ev.S = gabn_net_input_size (net);
  ev.d = gabn_net_embedding_dim (net);

  /* The distinct images of the pairs, in index order. */
  images = g_new (int, 2 * n_pairs);
  for (int i = 0; i < n_pairs; i++)
    {
      images[2 * i] = pairs[i].a;
      images[2 * i + 1] = pairs[i].b;
    }
  qsort (images, 2 * n_pairs, sizeof (int), compare_int);
  for (int i = 0; i < 2 * n_pairs; i++)
    if (n_images == 0 || images[i] != images[n_images - 1])
      images[n_images++] = images[i];
  slot = g_new (int, dataset->n_images);
  for (int i = 0; i < n_images; i++)
    slot[images[i]] = i;

  r = g_new0 (GabnEvalReport, 1);
  r->epoch = -1;
  r->n_groups = MAX (dataset->n_groups, 1);
  r->groups = g_new0 (GabnGroupReport, r->n_groups);
  for (int g = 0; g < r->n_groups; g++)
    r->groups[g].name = g_strdup (g < dataset->n_groups ? dataset->groups[g].name : "all");
  gabn_eval_report_clear_diagnostics (r);
  r->reference_group = options->reference_group;
  if (r->reference_group < 0 || r->reference_group >= r->n_groups)
    {
      r->reference_group = 0;
      for (int g = 1; g < dataset->n_groups; g++)
        if (dataset->groups[g].n_images > dataset->groups[r->reference_group].n_images)
          r->reference_group = g;
    }

  ev.total = n_images * (options->flip ? 2.0 : 1.0)
             + (double) MIN (n_images, options->gam_max_per_group * r->n_groups);
  gabn_net_set_training (net, FALSE);
  emb = g_new (float, (gsize) n_images * ev.d);
  if (options->flip)
    emb_flip = g_new (float, (gsize) n_images * ev.d);
  bad = g_new0 (guint8, n_images);
  ok = embed_images (&ev, images, n_images, emb, emb_flip, bad, error);
  if (ok)
    {
      /* Pairs with an unreadable image are left out, and counted. */
      kept = g_new (GabnPair, n_pairs);
      for (int i = 0; i < n_pairs; i++)
        if (!bad[slot[pairs[i].a]] && !bad[slot[pairs[i].b]])
          kept[n_kept++] = pairs[i];
      r->n_skipped_pairs = n_pairs - n_kept;
      for (int i = 0; i < n_images; i++)
        r->n_skipped_images += bad[i];
      if (n_kept == 0)
        {
          g_set_error (error, GABN_ERROR, GABN_ERROR_INVALID_FILE,
                       ngettext ("none of the %d pairs can be evaluated: %d of their "
                                 "images cannot be read",
                                 "none of the %d pairs can be evaluated: %d of their "
                                 "images cannot be read", n_pairs),
                       n_pairs, r->n_skipped_images);
          ok = FALSE;
        }
    }
  if (ok)
    {
      const float *scored = emb_flip ? emb_flip : emb;

      scores = g_new (float, n_kept);
      for (int i = 0; i < n_kept; i++)
        scores[i] = cosine (scored + (gsize) slot[kept[i].a] * ev.d,
                            scored + (gsize) slot[kept[i].b] * ev.d, ev.d);
      verification (&ev, r, kept, n_kept, scores);
      if (options->gam_max_per_group > 0)
        ok = attention (&ev, r, images, n_images, emb, bad, error);
      else
        {
          int C;
          gabn_net_feature_shape (net, &C, &r->gam_h, &r->gam_w);
          r->mean_pairwise_js = NAN;
          for (int g = 0; g < r->n_groups; g++)
            r->groups[g].region50 = r->groups[g].region80 =
              r->groups[g].js_to_reference = NAN;
        }
    }
  for (int g = 0; g < r->n_groups; g++)
    for (int k = 0; k < GABN_SYNTH_N_REGIONS; k++)
      r->groups[g].reliance[k] = NAN;
  if (ok && dataset->synth && options->reliance_people > 0)
    {
      g_autoptr(GabnReliance) rel = NULL;

      report_progress (&ev, "reliance");
      rel = gabn_reliance_compute (net, dataset, options->reliance_people,
                                   options->reliance_photos, cancellable, error);
      ok = rel != NULL;
      for (int g = 0; ok && g < MIN (r->n_groups, rel->n_groups); g++)
        memcpy (r->groups[g].reliance, rel->share + (gsize) g * GABN_SYNTH_N_REGIONS,
                sizeof (double) * GABN_SYNTH_N_REGIONS);
    }
  gabn_net_set_training (net, was_training);
  if (!ok)
    return NULL;
  if (progress)
    progress (1.0, "done", user_data);
  return g_steal_pointer (&r);
}
