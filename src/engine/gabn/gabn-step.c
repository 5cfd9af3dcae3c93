/* gabn-step.c: one training step (see gabn-step.h for the definition). */
#include "gabn-step.h"
#include "gabn-cam.h"
#include "gabn-gam.h"
#include "gabn-layers.h"
#include "gabn-margin.h"

#include <math.h>
#include <string.h>

struct _GabnStep {
  GabnNet *net;
  const GabnTrainConfig *config;
  GabnMarginConfig margin;
  GabnDiscriminator *disc;
  GabnOptim *disc_optim;
  gboolean *erase_group;   /* n_groups, NULL = all */
  int n_groups;
  /* Scratch, grown on demand. */
  int capacity;
  float *A0, *dA, *dA_extra, *d_adv, *d_emb, *cam, *P, *alpha, *d_logits, *dP, *d_cam;
  float *input_erased;
  guint8 *keep;            /* B×h×w: 0 where erased */
  float *buffers;          /* BatchNorm running statistics snapshot */
  float *step_buffers;     /* the same at the start of a cancellable step */
  gsize n_buffer_floats;
  GCancellable *cancellable;
  gint64 margin_warmup_steps;
  gboolean committed;      /* D has stepped: the step must complete */
};

GabnStep *
gabn_step_new (GabnNet *net, const GabnTrainConfig *config,
               GabnDiscriminator *disc, GabnOptim *disc_optim,
               const gboolean *erase_group, int n_groups)
{
  GabnStep *s = g_new0 (GabnStep, 1);

  s->net = net;
  s->config = config;
  gabn_margin_config_init (&s->margin, config->margin);
  s->margin.s = config->margin_s;
  s->margin.m = config->margin_m;
  s->disc = disc;
  s->disc_optim = disc_optim;
  s->n_groups = n_groups;
  if (erase_group)
    s->erase_group = g_memdup2 (erase_group, sizeof (gboolean) * n_groups);
  for (int i = 0; i < gabn_net_n_tensors (net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (net, i);
      if (t->kind == GABN_TENSOR_BUFFER)
        s->n_buffer_floats += t->numel;
    }
  s->buffers = g_new (float, MAX (s->n_buffer_floats, 1));
  s->step_buffers = g_new (float, MAX (s->n_buffer_floats, 1));
  return s;
}

void
gabn_step_free (GabnStep *s)
{
  if (!s)
    return;
  g_free (s->erase_group);
  g_free (s->A0);
  g_free (s->dA);
  g_free (s->dA_extra);
  g_free (s->d_adv);
  g_free (s->d_emb);
  g_free (s->cam);
  g_free (s->P);
  g_free (s->alpha);
  g_free (s->d_logits);
  g_free (s->dP);
  g_free (s->d_cam);
  g_free (s->input_erased);
  g_free (s->keep);
  g_free (s->buffers);
  g_free (s->step_buffers);
  g_clear_object (&s->cancellable);
  g_free (s);
}

static void
ensure (GabnStep *s, int B)
{
  int C, h, w, S = gabn_net_input_size (s->net), d = gabn_net_embedding_dim (s->net);
  gsize fa;

  if (B <= s->capacity)
    return;
  gabn_net_feature_shape (s->net, &C, &h, &w);
  fa = (gsize) B * C * h * w;
  s->capacity = B;
  s->A0 = g_renew (float, s->A0, fa);
  s->dA = g_renew (float, s->dA, fa);
  s->dA_extra = g_renew (float, s->dA_extra, fa);
  s->d_adv = g_renew (float, s->d_adv, fa);
  s->d_emb = g_renew (float, s->d_emb, (gsize) B * d);
  s->cam = g_renew (float, s->cam, (gsize) B * h * w);
  s->P = g_renew (float, s->P, (gsize) B * h * w);
  s->d_cam = g_renew (float, s->d_cam, (gsize) B * h * w);
  s->dP = g_renew (float, s->dP, (gsize) B * h * w);
  s->alpha = g_renew (float, s->alpha, (gsize) B * C);
  s->d_logits = g_renew (float, s->d_logits, (gsize) B * MAX (s->n_groups, 1));
  s->keep = g_renew (guint8, s->keep, (gsize) B * h * w);
  s->input_erased = g_renew (float, s->input_erased, (gsize) B * GABN_INPUT_CHANNELS * S * S);
}

/* BatchNorm running statistics to (or back from) snapshot: an erased pass,
 * and a cancelled step, must not move them. */
static void
buffers_copy (GabnStep *s, float *snapshot, gboolean restore)
{
  gsize off = 0;

  for (int i = 0; i < gabn_net_n_tensors (s->net); i++)
    {
      const GabnTensorInfo *t = gabn_net_tensor (s->net, i);
      if (t->kind != GABN_TENSOR_BUFFER)
        continue;
      if (restore)
        memcpy (t->data, snapshot + off, sizeof (float) * t->numel);
      else
        memcpy (snapshot + off, t->data, sizeof (float) * t->numel);
      off += t->numel;
    }
}

/* A deterministic draw in [0, 1) from the seed and the step. */
static double
step_uniform (guint64 seed, gint64 step)
{
  guint64 x = seed * G_GUINT64_CONSTANT (0x9E3779B97F4A7C15) + (guint64) step + 1;

  x ^= x >> 30;
  x *= G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
  x ^= x >> 27;
  x *= G_GUINT64_CONSTANT (0x94D049BB133111EB);
  x ^= x >> 31;
  return (x >> 11) * (1.0 / 9007199254740992.0);
}

static gboolean
erases_group (GabnStep *s, int g)
{
  if (!s->erase_group)
    return TRUE;
  return g >= 0 && g < s->n_groups && s->erase_group[g];
}

/* keep[b, cell] = 0 for the N top-GAM cells of the images erased. Returns
 * the number of images erased. */
static int
make_keep_mask (GabnStep *s, const int *groups, int B, int n, gboolean *erased)
{
  int N = s->config->topn > 0 ? s->config->topn : n / 3, count = 0;
  g_autofree int *cells = g_new (int, n);

  N = MIN (N, n);
  memset (s->keep, 1, (gsize) B * n);
  for (int b = 0; b < B; b++)
    {
      erased[b] = erases_group (s, groups[b]) && N > 0;
      if (!erased[b])
        continue;
      count++;
      gabn_cam_top_n (s->cam + (gsize) b * n, n, N, cells);
      for (int k = 0; k < N; k++)
        s->keep[(gsize) b * n + cells[k]] = 0;
    }
  return count;
}

/* The margin loss over the erased images only (mean over them), weighted:
 * d_emb rows of the other images are 0 and the class centres' gradient
 * gets only the erased images' share. Returns the unweighted loss. */
static float
subset_margin_loss (GabnStep *s, const int *labels, const gboolean *erased,
                    int B, float weight, float *d_emb)
{
  const GabnTensorInfo *centres = gabn_net_find_tensor (s->net, "arcface.weight");
  int D = gabn_net_embedding_dim (s->net), N = gabn_net_n_classes (s->net), m = 0;
  const float *emb = gabn_net_embeddings (s->net);
  g_autofree float *x = g_new (float, (gsize) B * D);
  g_autofree float *en = g_new (float, (gsize) B * D);
  g_autofree float *en_norm = g_new (float, B);
  g_autofree float *d_en = g_new (float, (gsize) B * D);
  g_autofree float *d_x = g_new0 (float, (gsize) B * D);
  g_autofree float *wn = g_new (float, (gsize) N * D);
  g_autofree float *wn_norm = g_new (float, N);
  g_autofree float *d_wn = g_new (float, (gsize) N * D);
  g_autofree float *d_w = g_new0 (float, (gsize) N * D);
  g_autofree int *sub_labels = g_new (int, B);
  float loss;

  for (int b = 0; b < B; b++)
    if (erased[b])
      {
        memcpy (x + (gsize) m * D, emb + (gsize) b * D, sizeof (float) * D);
        sub_labels[m++] = labels[b];
      }
  memset (d_emb, 0, sizeof (float) * B * D);
  if (m == 0)
    return 0.0f;
  gabn_l2norm_forward (en, en_norm, x, m, D);
  gabn_l2norm_forward (wn, wn_norm, centres->data, N, D);
  loss = gabn_margin_loss_forward_backward (d_en, d_wn, en, wn, sub_labels,
                                            m, N, D, &s->margin);
  gabn_l2norm_backward (d_x, d_en, en, en_norm, m, D);
  gabn_l2norm_backward (d_w, d_wn, wn, wn_norm, N, D);
  m = 0;
  for (int b = 0; b < B; b++)
    if (erased[b])
      {
        for (int i = 0; i < D; i++)
          d_emb[(gsize) b * D + i] = weight * d_x[(gsize) m * D + i];
        m++;
      }
  if (centres->trainable)
    for (gsize i = 0; i < (gsize) N * D; i++)
      centres->grad[i] += weight * d_w[i];
  return loss;
}

/* λ_mask · L_arc of the current head activations (the erased pass);
 * ∂/∂(erased A) into dA_extra. With every image erased this is the net's
 * own margin loss; otherwise the loss of the erased images alone. */
static float
erased_head_loss (GabnStep *s, const int *labels, const gboolean *erased, int B)
{
  gboolean all = TRUE;
  float loss;

  for (int b = 0; b < B; b++)
    all = all && erased[b];
  if (all)
    loss = gabn_net_margin_loss (s->net, &s->margin, labels,
                                 s->config->lambda_mask, s->d_emb);
  else
    loss = subset_margin_loss (s, labels, erased, B, s->config->lambda_mask,
                               s->d_emb);
  gabn_net_backward_head (s->net, s->d_emb, s->dA_extra, TRUE);
  return loss;
}

void
gabn_step_set_cancellable (GabnStep *s, GCancellable *cancellable)
{
  g_set_object (&s->cancellable, cancellable);
}

static double
norm2 (const float *x, gsize n)
{
  double sum = 0.0;

  for (gsize i = 0; i < n; i++)
    sum += (double) x[i] * x[i];
  return sqrt (sum);
}

/* input with the pixels of every erased cell (keep == 0) zeroed, into
 * s->input_erased: Top-N erasing on the input instead of the features. */
static void
erase_input (GabnStep *s, const float *input, int B, int S, int h, int w)
{
  const int C = GABN_INPUT_CHANNELS, n = h * w;

  memcpy (s->input_erased, input, sizeof (float) * B * C * S * S);
  for (int b = 0; b < B; b++)
    for (int y = 0; y < S; y++)
      for (int x = 0; x < S; x++)
        {
          int cell = (y * h / S) * w + (x * w / S);

          if (!s->keep[(gsize) b * n + cell])
            for (int c = 0; c < C; c++)
              s->input_erased[(((gsize) b * C + c) * S + y) * S + x] = 0.0f;
        }
}

static void step_body (GabnStep *s, const float *input, const int *labels,
                       const int *groups, int B, gint64 step_number,
                       GabnStepReport *report);

gboolean
gabn_step_compute (GabnStep *s, const float *input, const int *labels,
                   const int *groups, int B, gint64 step_number,
                   GabnStepReport *report)
{
  gboolean cancelled;

  s->committed = FALSE;
  if (s->cancellable)
    buffers_copy (s, s->step_buffers, FALSE);
  gabn_net_set_cancellable (s->net, s->cancellable);
  step_body (s, input, labels, groups, B, step_number, report);
  gabn_net_set_cancellable (s->net, NULL);
  cancelled = s->cancellable && g_cancellable_is_cancelled (s->cancellable);
  if (!cancelled || s->committed)
    return TRUE;
  /* Cut short (or finished as the cancel came): as if it never ran. */
  buffers_copy (s, s->step_buffers, TRUE);
  return FALSE;
}

/* D learns the group from P (held constant). */
static void
train_discriminator (GabnStep *s, const int *dgroups, int B, GabnStepReport *report)
{
  gabn_discriminator_zero_grad (s->disc);
  gabn_discriminator_forward (s->disc, s->P, B);
  report->disc_loss = gabn_discriminator_loss (s->disc, dgroups, s->d_logits,
                                               &report->disc_accuracy);
  gabn_discriminator_backward (s->disc, s->d_logits, NULL, TRUE);
  gabn_optim_step (s->disc_optim, s->config->disc_lr);
}

/* The recognizer makes P uninformative of the group: λ_adv·∂L_adv/∂A into
 * dA. It is computed apart first to log its size against ∂L_arc/∂A (how
 * hard the adversary pulls). */
static void
adversary_gradient (GabnStep *s, const int *dgroups, int B, int C, int h, int w,
                    GabnStepReport *report)
{
  const GabnTrainConfig *cfg = s->config;
  const int G = gabn_discriminator_n_groups (s->disc), n = h * w;
  const gsize fa = (gsize) B * C * n;
  double arc_norm;
  float l;

  gabn_discriminator_forward (s->disc, s->P, B);
  if (cfg->adv_mode == GABN_ADV_CONFUSION)
    l = gabn_discriminator_loss (s->disc, NULL, s->d_logits, NULL);
  else
    {
      l = -gabn_discriminator_loss (s->disc, dgroups, s->d_logits, NULL);
      for (int i = 0; i < B * G; i++)
        s->d_logits[i] = -s->d_logits[i];
    }
  report->loss_adv = l;
  report->loss += cfg->lambda_adv * l;
  report->grad_ratio = 0.0f;
  if (cfg->lambda_adv <= 0.0f)
    return;
  arc_norm = norm2 (s->dA, fa);
  memset (s->d_adv, 0, sizeof (float) * fa);
  gabn_discriminator_backward (s->disc, s->d_logits, s->dP, FALSE);
  gabn_cam_normalise_backward (s->d_cam, s->dP, s->P, s->cam, B, n);
  if (cfg->gam == GABN_CAM_HIRESCAM)
    gabn_cam_backward_hirescam (s->d_adv, s->d_cam, s->cam, s->dA_extra,
                                cfg->lambda_adv, B, C, h, w);
  else
    gabn_cam_backward (s->d_adv, s->d_cam, s->cam, s->alpha, cfg->lambda_adv, B, C, h, w);
  report->grad_ratio = arc_norm > 0.0 ? (float) (norm2 (s->d_adv, fa) / arc_norm) : NAN;
  for (gsize i = 0; i < fa; i++)
    s->dA[i] += s->d_adv[i];
}

/* Top-N erasing on the features: the head runs again on A with the erased
 * cells zeroed; ∂(λ_mask·L_arc)/∂A on the kept cells is added to dA. */
static void
erase_features_pass (GabnStep *s, const int *labels, const gboolean *erased,
                     int B, int C, int n, GabnStepReport *report)
{
  float *A = gabn_net_features (s->net);
  const gsize fa = (gsize) B * C * n;

  for (int b = 0; b < B; b++)
    for (int k = 0; k < C; k++)
      for (int i = 0; i < n; i++)
        if (!s->keep[(gsize) b * n + i])
          A[((gsize) b * C + k) * n + i] = 0.0f;
  buffers_copy (s, s->buffers, FALSE);
  gabn_net_forward_head (s->net);
  buffers_copy (s, s->buffers, TRUE);
  report->loss_mask = erased_head_loss (s, labels, erased, B);
  for (int b = 0; b < B; b++)
    for (int k = 0; k < C; k++)
      for (int i = 0; i < n; i++)
        {
          gsize j = ((gsize) b * C + k) * n + i;
          s->dA[j] += s->keep[(gsize) b * n + i] ? s->dA_extra[j] : 0.0f;
        }
  /* The backbone's backward needs A as the forward made it. */
  memcpy (A, s->A0, sizeof (float) * fa);
}

/* Top-N erasing on the input: the backbone's backward of the plain pass
 * first, then a second full pass (forward and backward) on the erased
 * input. Runs every backbone backward of the step. */
static void
erase_input_pass (GabnStep *s, const float *input, const int *labels, const gboolean *erased,
                  int B, int h, int w, GabnStepReport *report)
{
  gabn_net_backward_backbone (s->net, s->dA, NULL);
  erase_input (s, input, B, gabn_net_input_size (s->net), h, w);
  buffers_copy (s, s->buffers, FALSE);
  gabn_net_forward_backbone (s->net, s->input_erased, B);
  gabn_net_forward_head (s->net);
  buffers_copy (s, s->buffers, TRUE);
  report->loss_mask = erased_head_loss (s, labels, erased, B);
  gabn_net_backward_backbone (s->net, s->dA_extra, NULL);
}

/* GABN's terms after the plain pass (dA holds ∂L_arc/∂A): the map, the
 * discriminator's step, the adversary's gradient and Top-N erasing. FALSE
 * when the backbone's backward must not run after it: the step was
 * cancelled before D's step, or erasing on the input already ran it. */
static gboolean
gabn_terms (GabnStep *s, const float *input, const int *labels, const int *groups,
            int B, gint64 step_number, GabnStepReport *report)
{
  const GabnTrainConfig *cfg = s->config;
  const int G = gabn_discriminator_n_groups (s->disc);
  g_autofree int *dgroups = g_new (int, B);
  g_autofree gboolean *erased = g_new0 (gboolean, B);
  int C, h, w, n;

  gabn_net_feature_shape (s->net, &C, &h, &w);
  n = h * w;
  for (int b = 0; b < B; b++)
    dgroups[b] = CLAMP (groups[b], 0, G - 1);

  /* GAM of y = cos θ_y; dA_extra holds ∂y/∂A (no parameter gradients). */
  gabn_gam_from_activations (s->net, cfg->gam, labels, NULL, s->cam, NULL, s->alpha, s->dA_extra);
  gabn_cam_normalise (s->P, s->cam, B, n);

  /* D's step cannot be undone: a cancel before it discards the step, one
   * after it lets the step complete. */
  if (gabn_net_cancelled (s->net))
    return FALSE;
  s->committed = TRUE;
  gabn_net_set_cancellable (s->net, NULL);

  train_discriminator (s, dgroups, B, report);
  adversary_gradient (s, dgroups, B, C, h, w, report);

  if (cfg->lambda_mask <= 0.0f || cfg->erase_prob <= 0.0f
      || step_uniform (cfg->seed, step_number) >= cfg->erase_prob
      || make_keep_mask (s, groups, B, n, erased) == 0)
    return TRUE;
  if (cfg->erase_where == GABN_ERASE_FEATURES)
    erase_features_pass (s, labels, erased, B, C, n, report);
  else
    erase_input_pass (s, input, labels, erased, B, h, w, report);
  report->loss += cfg->lambda_mask * report->loss_mask;
  return cfg->erase_where == GABN_ERASE_FEATURES;
}

void
gabn_step_set_margin_warmup (GabnStep *s, gint64 warmup_steps)
{
  s->margin_warmup_steps = MAX (warmup_steps, 0);
}

static float
margin_at (const GabnStep *s, gint64 step_number)
{
  if (step_number >= s->margin_warmup_steps)
    return s->config->margin_m;
  return s->config->margin_m * (float) ((double) step_number / (double) s->margin_warmup_steps);
}

/* One step: the plain pass (forward, margin loss, the head's backward),
 * GABN's terms when training GABN, then the backbone's backward. */
static void
step_body (GabnStep *s, const float *input, const int *labels,
           const int *groups, int B, gint64 step_number,
           GabnStepReport *report)
{
  int C, h, w;

  ensure (s, B);
  s->margin.m = margin_at (s, step_number);
  gabn_net_feature_shape (s->net, &C, &h, &w);
  report->loss_adv = report->loss_mask = 0.0f;
  report->disc_loss = report->disc_accuracy = 0.0f;
  report->grad_ratio = NAN;

  gabn_net_zero_grad (s->net);
  gabn_net_set_training (s->net, TRUE);
  gabn_net_forward_backbone (s->net, input, B);
  memcpy (s->A0, gabn_net_features (s->net), sizeof (float) * B * C * h * w);
  gabn_net_forward_head (s->net);
  report->loss_arc = gabn_net_margin_loss (s->net, &s->margin, labels, 1.0f, s->d_emb);
  gabn_net_backward_head (s->net, s->d_emb, s->dA, TRUE);
  report->loss = report->loss_arc;

  if (s->config->method == GABN_METHOD_GABN && s->disc
      && !gabn_terms (s, input, labels, groups, B, step_number, report))
    return;
  gabn_net_backward_backbone (s->net, s->dA, NULL);
}
