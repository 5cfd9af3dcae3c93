/* gabn-synth-face.c: groups, identities, jitter and the Cairo face renderer.
 * Coordinates are in face units: the image is the unit square, y down. */
#include "gabn-synth-face.h"
#include "gabn-rng.h"

#include <cairo.h>
#include <math.h>

/* Skin tones and hair colours, light to dark. Identity is never a matter
 * of tone: every group varies in every parameter by the same amount. */
static const GabnSynthGroup groups[GABN_SYNTH_N_GROUPS] = {
  { "Group A", { 0.93, 0.80, 0.70 }, 0.04, { 0.36, 0.25, 0.15 } },
  { "Group B", { 0.80, 0.62, 0.48 }, 0.04, { 0.17, 0.12, 0.08 } },
  { "Group C", { 0.54, 0.39, 0.28 }, 0.04, { 0.11, 0.08, 0.06 } },
  { "Group D", { 0.46, 0.33, 0.24 }, 0.04, { 0.07, 0.05, 0.04 } },
};

#define TOE_SLOPE      0.17   /* the capture camera's; `toe` overrides it */

/* Collection: training identities per group, as a share of Group A's —
 * roughly how web-crawled face sets are dominated by lighter skin. C and
 * D at 15 %: at 30 % the gap did not show at every seed on 40 new people
 * per group (docs/RESULTS.md, protocols v4-v7). */
#define SHARES_EQUAL      { 1.0, 1.0, 1.0, 1.0 }
#define SHARES_COLLECTED  { 1.0, 0.8, 0.15, 0.15 }

static const GabnSynthKnobs knobs[GABN_SYNTH_N_PRESETS] = {
  [GABN_SYNTH_REALISTIC]  = { SHARES_COLLECTED, TRUE, TRUE, TOE_SLOPE },
  [GABN_SYNTH_BALANCED]   = { SHARES_EQUAL, FALSE, FALSE, TOE_SLOPE },
  [GABN_SYNTH_IMBALANCED] = { SHARES_COLLECTED, FALSE, FALSE, TOE_SLOPE },
  [GABN_SYNTH_CAPTURE]    = { SHARES_EQUAL, TRUE, FALSE, TOE_SLOPE },
  [GABN_SYNTH_SHORTCUT]   = { SHARES_EQUAL, FALSE, TRUE, TOE_SLOPE },
};

/* The camera's constants are in gabn-synth-face.h (the set's README
 * quotes them). */

static const guint8 param_regions[GABN_SYNTH_N_PARAMS] = {
  [P_FACE_W] = GABN_REGION_OUTLINE, [P_FACE_H] = GABN_REGION_OUTLINE,
  [P_JAW] = GABN_REGION_OUTLINE, [P_EAR] = GABN_REGION_OUTLINE,
  [P_HAIR_TONE] = GABN_REGION_HAIR, [P_HAIRLINE] = GABN_REGION_HAIR,
  [P_HAIR_VOL] = GABN_REGION_HAIR, [P_HAIR_SIDE] = GABN_REGION_HAIR,
  [P_PARTING] = GABN_REGION_HAIR,
  [P_BROW_Y] = GABN_REGION_BROWS, [P_BROW_TILT] = GABN_REGION_BROWS,
  [P_BROW_THICK] = GABN_REGION_BROWS, [P_BROW_LEN] = GABN_REGION_BROWS,
  [P_BROW_ARCH] = GABN_REGION_BROWS, [P_BROW_TONE] = GABN_REGION_BROWS,
  [P_EYE_DX] = GABN_REGION_EYES, [P_EYE_Y] = GABN_REGION_EYES,
  [P_EYE_W] = GABN_REGION_EYES, [P_EYE_H] = GABN_REGION_EYES,
  [P_IRIS] = GABN_REGION_EYES, [P_IRIS_TONE] = GABN_REGION_EYES,
  [P_EYE_TILT] = GABN_REGION_EYES,
  [P_NOSE_LEN] = GABN_REGION_NOSE, [P_NOSE_W] = GABN_REGION_NOSE,
  [P_NOSE_BRIDGE] = GABN_REGION_NOSE,
  [P_MOUTH_Y] = GABN_REGION_MOUTH, [P_MOUTH_W] = GABN_REGION_MOUTH,
  [P_LIP] = GABN_REGION_MOUTH, [P_LIP_TONE] = GABN_REGION_MOUTH,
  [P_MOUTH_CURVE] = GABN_REGION_MOUTH,
  [P_CHEEK] = GABN_REGION_TEXTURE, [P_FRECKLE] = GABN_REGION_TEXTURE,
  [P_BEARD] = GABN_REGION_TEXTURE,
};

const GabnSynthGroup *
gabn_synth_groups (void)
{
  return groups;
}

const GabnSynthKnobs *
gabn_synth_knobs (GabnSynthPreset preset)
{
  return &knobs[(guint) preset < GABN_SYNTH_N_PRESETS ? preset : GABN_SYNTH_DEFAULT_PRESET];
}

GabnSynthRegion
gabn_synth_param_region (int param)
{
  return param_regions[param];
}

static double
clampd (double v, double lo, double hi)
{
  return v < lo ? lo : v > hi ? hi : v;
}

void
gabn_synth_identity_draw (const GabnSynthGroup *group, int group_index,
                          guint64 seed, int identity, GabnSynthIdentity *out)
{
  GabnRng rng;

  gabn_rng_init (&rng, seed, 0x1d, group_index, identity);
  for (int k = 0; k < GABN_SYNTH_N_PARAMS; k++)
    out->p[k] = 2.0 * gabn_rng_uniform (&rng) - 1.0;
  out->tone = 1.0 + group->tone_spread * clampd (gabn_rng_normal (&rng), -2.5, 2.5);
  out->texture_seed = gabn_rng_next (&rng);
}

void
gabn_synth_identity_swap (GabnSynthIdentity *id, const GabnSynthIdentity *donor,
                          guint regions)
{
  for (int k = 0; k < GABN_SYNTH_N_PARAMS; k++)
    if (regions & param_regions[k])
      id->p[k] = donor->p[k];
  if (regions & GABN_REGION_TEXTURE)
    {
      id->tone = donor->tone;
      id->texture_seed = donor->texture_seed;
    }
}

void
gabn_synth_jitter_draw (const GabnSynthKnobs *kn, gboolean jitter, guint64 seed,
                        int group_index, int identity, int image,
                        GabnSynthJitter *out)
{
  GabnRng rng;

  *out = (GabnSynthJitter) { .scale = 1.0, .brightness = 1.0, .eye_open = 1.0,
                             .background = 0.5 };
  gabn_rng_init (&rng, seed, 0x7e + (guint64) group_index, identity, image);
  out->noise_seed = gabn_rng_next (&rng);
  /* The shortcut is a property of the data, not of the jitter: it stays
   * when jitter is off. Its own stream, so that one photo has the same
   * pose and light under every preset (the Teach view compares cameras). */
  if (kn->shortcut)
    {
      GabnRng cue;
      gabn_rng_init (&cue, seed, 0x5c + (guint64) group_index, identity, image);
      for (int k = 0; k < GABN_SYNTH_N_PARAMS; k++)
        if (param_regions[k] & GABN_SYNTH_SHORTCUT_REGIONS)
          out->shortcut[k] = clampd (gabn_rng_normal (&cue) * GABN_SYNTH_SHORTCUT_SD,
                                     -2.5 * GABN_SYNTH_SHORTCUT_SD, 2.5 * GABN_SYNTH_SHORTCUT_SD);
    }
  if (!jitter)
    return;
  out->rotation = clampd (gabn_rng_normal (&rng) * 2.0, -5.0, 5.0) * G_PI / 180.0;
  out->dx = clampd (gabn_rng_normal (&rng) * 0.012, -0.03, 0.03);
  out->dy = clampd (gabn_rng_normal (&rng) * 0.012, -0.03, 0.03);
  out->scale = 1.0 + clampd (gabn_rng_normal (&rng) * 0.02, -0.05, 0.05);
  out->light_angle = gabn_rng_range (&rng, 0.0, 2.0 * G_PI);
  out->light_strength = gabn_rng_range (&rng, 0.0, 0.15);
  out->brightness = 1.0 + clampd (gabn_rng_normal (&rng) * 0.07, -0.18, 0.18);
  out->smile = clampd (gabn_rng_normal (&rng) * 0.4, -1.0, 1.0);
  out->eye_open = 1.0 + clampd (gabn_rng_normal (&rng) * 0.08, -0.2, 0.2);
  out->brow_raise = clampd (gabn_rng_normal (&rng) * 0.006, -0.015, 0.015);
  out->background = gabn_rng_range (&rng, 0.35, 0.65);
}

/* One face being drawn: the effective parameters (identity plus this
 * photo's shortcut offsets), colours and the geometry its parts share. */
typedef struct {
  cairo_t *cr;
  const GabnSynthJitter *jit;
  double p[GABN_SYNTH_N_PARAMS];
  double skin[3], hair[3];
  double cx, cy, fw, fh, jaw, eye_dx, eye_y, mouth_y;
  guint64 texture_seed;
} Face;

/* A feature colour: from the skin towards a target by strength. */
static void
set_feature (Face *f, double r, double g, double b, double strength)
{
  double t = clampd (strength, 0.0, 1.0);
  const double *s = f->skin;
  cairo_set_source_rgb (f->cr, s[0] + (r - s[0]) * t, s[1] + (g - s[1]) * t,
                        s[2] + (b - s[2]) * t);
}

static void
face_path (cairo_t *cr, double cx, double cy, double fw, double fh, double jaw,
           double grow)
{
  const int n = 72;
  for (int i = 0; i < n; i++)
    {
      double t = 2.0 * G_PI * i / n, s = sin (t), c = cos (t);
      double w = s > 0 ? 1.0 - (1.0 - jaw) * s * s : 1.0;
      double x = cx + (fw + grow) * c * w, y = cy + (fh + grow) * s;
      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_close_path (cr);
}

static void
outline_path (Face *f, double grow)
{
  face_path (f->cr, f->cx, f->cy, f->fw, f->fh, f->jaw, grow);
}

static void
ellipse_path (cairo_t *cr, double x, double y, double rx, double ry)
{
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, rx, ry);
  cairo_new_sub_path (cr);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
}

static void
face_init (Face *f, cairo_t *cr, const GabnSynthGroup *group,
           const GabnSynthIdentity *id, const GabnSynthJitter *jit)
{
  const double *p = f->p;

  f->cr = cr;
  f->jit = jit;
  for (int k = 0; k < GABN_SYNTH_N_PARAMS; k++)
    f->p[k] = id->p[k] + jit->shortcut[k];
  for (int c = 0; c < 3; c++)
    {
      f->skin[c] = clampd (group->skin[c] * id->tone, 0.0, 1.0);
      f->hair[c] = clampd (group->hair[c] * (1.0 + 0.5 * p[P_HAIR_TONE])
                           + 0.06 * p[P_HAIR_TONE], 0.02, 0.9);
    }
  f->cx = 0.5;
  f->cy = 0.53;
  f->fw = 0.30 + 0.035 * p[P_FACE_W];
  f->fh = 0.385 + 0.03 * p[P_FACE_H];
  f->jaw = 0.80 + 0.12 * p[P_JAW];
  f->eye_dx = 0.12 + 0.03 * p[P_EYE_DX];
  f->eye_y = f->cy - 0.065 + 0.03 * p[P_EYE_Y];
  f->mouth_y = f->cy + 0.2 + 0.025 * p[P_MOUTH_Y];
  f->texture_seed = id->texture_seed;
}

/* Hair behind the head, down to the side length; the ears. */
static void
draw_head_back (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p;
  double vol = 0.05 + 0.035 * p[P_HAIR_VOL];
  double side = f->cy + 0.02 + 0.13 * p[P_HAIR_SIDE];
  double ear = 0.05 + 0.015 * p[P_EAR];

  cairo_save (cr);
  cairo_rectangle (cr, -1, -1, 3, side + 1);
  cairo_clip (cr);
  ellipse_path (cr, f->cx, f->cy - 0.02, f->fw + 0.035 + 0.5 * vol, f->fh + vol);
  cairo_set_source_rgb (cr, f->hair[0], f->hair[1], f->hair[2]);
  cairo_fill (cr);
  cairo_restore (cr);

  for (int s = -1; s <= 1; s += 2)
    ellipse_path (cr, f->cx + s * (f->fw - 0.005), f->eye_y + 0.03, ear * 0.6, ear);
  cairo_set_source_rgb (cr, f->skin[0] * 0.9, f->skin[1] * 0.9, f->skin[2] * 0.9);
  cairo_fill (cr);
}

/* The face, shaded as lit from the upper left. */
static void
draw_skin (Face *f)
{
  cairo_t *cr = f->cr;
  const double *skin = f->skin;
  cairo_pattern_t *pattern;

  outline_path (f, 0.0);
  pattern = cairo_pattern_create_radial (f->cx - 0.03, f->cy - 0.05, 0.05,
                                         f->cx - 0.03, f->cy - 0.05, f->fh * 1.15);
  cairo_pattern_add_color_stop_rgb (pattern, 0.0, MIN (1.0, skin[0] * 1.06),
                                    MIN (1.0, skin[1] * 1.06), MIN (1.0, skin[2] * 1.06));
  cairo_pattern_add_color_stop_rgb (pattern, 1.0, skin[0] * 0.84, skin[1] * 0.84, skin[2] * 0.84);
  cairo_set_source (cr, pattern);
  cairo_fill (cr);
  cairo_pattern_destroy (pattern);
}

/* Texture inside the face: beard shadow, cheeks, freckles. */
static void
draw_texture (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p, *hair = f->hair;
  cairo_pattern_t *pattern;
  GabnRng rng;
  int n = (int) ((p[P_FRECKLE] + 1.0) * 4.5);

  cairo_save (cr);
  outline_path (f, 0.0);
  cairo_clip (cr);
  pattern = cairo_pattern_create_linear (0, f->mouth_y - 0.08, 0, f->mouth_y + 0.04);
  cairo_pattern_add_color_stop_rgba (pattern, 0.0, hair[0], hair[1], hair[2], 0.0);
  cairo_pattern_add_color_stop_rgba (pattern, 1.0, hair[0], hair[1], hair[2],
                                     0.22 * (p[P_BEARD] + 1.0) / 2.0);
  cairo_set_source (cr, pattern);
  cairo_paint (cr);
  cairo_pattern_destroy (pattern);
  for (int s = -1; s <= 1; s += 2)
    {
      double x = f->cx + s * 0.15, y = f->cy + 0.08;
      pattern = cairo_pattern_create_radial (x, y, 0.0, x, y, 0.075);
      cairo_pattern_add_color_stop_rgba (pattern, 0.0, 0.85, 0.35, 0.35,
                                         0.25 * (p[P_CHEEK] + 1.0) / 2.0);
      cairo_pattern_add_color_stop_rgba (pattern, 1.0, 0.85, 0.35, 0.35, 0.0);
      cairo_set_source (cr, pattern);
      cairo_paint (cr);
      cairo_pattern_destroy (pattern);
    }
  gabn_rng_init (&rng, f->texture_seed, 0xf7, 0, 0);
  for (int i = 0; i < n; i++)
    {
      double s = gabn_rng_uniform (&rng) < 0.5 ? -1 : 1;
      double x = f->cx + s * gabn_rng_range (&rng, 0.08, 0.2);
      double y = f->cy + gabn_rng_range (&rng, -0.02, 0.12);
      ellipse_path (cr, x, y, 0.008, 0.008);
    }
  set_feature (f, f->skin[0] * 0.55, f->skin[1] * 0.5, f->skin[2] * 0.45, 1.0);
  cairo_fill (cr);
  cairo_restore (cr);
}

/* Fringe: hair above the hairline, inside the head outline. */
static void
draw_fringe (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p;
  double h = f->cy - f->fh + 0.09 + 0.045 * p[P_HAIRLINE];
  double px = f->cx + 0.09 * p[P_PARTING];
  double left = h + 0.07 + 0.05 * p[P_PARTING], right = h + 0.07 - 0.05 * p[P_PARTING];

  cairo_save (cr);
  outline_path (f, 0.004);
  cairo_clip (cr);
  cairo_move_to (cr, -0.1, -0.1);
  cairo_line_to (cr, 1.1, -0.1);
  cairo_line_to (cr, 1.1, right);
  cairo_curve_to (cr, 0.7, right, px + 0.1, h, px, h - 0.005);
  cairo_curve_to (cr, px - 0.1, h, 0.3, left, -0.1, left);
  cairo_close_path (cr);
  cairo_set_source_rgb (cr, f->hair[0], f->hair[1], f->hair[2]);
  cairo_fill (cr);
  cairo_restore (cr);
}

static void
draw_brows (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p, *hair = f->hair;
  double bl = 0.115 + 0.04 * p[P_BROW_LEN];
  double by = f->eye_y - 0.06 - 0.03 * p[P_BROW_Y] - f->jit->brow_raise;
  double tilt = 0.025 * p[P_BROW_TILT], arch = 0.012 + 0.016 * p[P_BROW_ARCH];
  double tone = 0.75 + 0.5 * p[P_BROW_TONE];

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_width (cr, MAX (0.006, 0.024 + 0.014 * p[P_BROW_THICK]));
  for (int s = -1; s <= 1; s += 2)
    {
      double xi = f->cx + s * (f->eye_dx - bl * 0.45), xo = f->cx + s * (f->eye_dx + bl * 0.55);
      double yi = by + tilt, yo = by - tilt;
      cairo_move_to (cr, xi, yi);
      cairo_curve_to (cr, xi + (xo - xi) * 0.33, yi - 2 * arch, xi + (xo - xi) * 0.66,
                      yo - 2 * arch, xo, yo);
    }
  set_feature (f, clampd (hair[0] * tone, 0, 1), clampd (hair[1] * tone, 0, 1),
               clampd (hair[2] * tone, 0, 1), 0.95);
  cairo_stroke (cr);
}

/* Eyes: sclera, iris, pupil, upper lid. */
static void
draw_eyes (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p;
  double w = MAX (0.02, 0.058 + 0.02 * p[P_EYE_W]);
  double h = MAX (0.008, (0.026 + 0.011 * p[P_EYE_H]) * f->jit->eye_open);
  double tilt = 0.2 * p[P_EYE_TILT];
  double ri = MAX (0.008, 0.024 + 0.008 * p[P_IRIS]), tone = 1.0 + 0.9 * p[P_IRIS_TONE];

  for (int s = -1; s <= 1; s += 2)
    {
      cairo_save (cr);
      cairo_translate (cr, f->cx + s * f->eye_dx, f->eye_y);
      cairo_rotate (cr, -s * tilt);
      ellipse_path (cr, 0, 0, w, h);
      set_feature (f, 0.95, 0.95, 0.93, 0.9);
      cairo_fill_preserve (cr);
      cairo_clip (cr);
      ellipse_path (cr, 0, 0, ri, ri);
      set_feature (f, clampd (0.25 * tone, 0, 1), clampd (0.18 * tone, 0, 1),
                   clampd (0.10 * tone, 0, 1), 1.0);
      cairo_fill (cr);
      ellipse_path (cr, 0, 0, ri * 0.45, ri * 0.45);
      set_feature (f, 0.03, 0.03, 0.03, 1.0);
      cairo_fill (cr);
      cairo_reset_clip (cr);
      cairo_save (cr);
      cairo_scale (cr, w, h);
      cairo_arc (cr, 0, 0, 1, G_PI, 2 * G_PI);
      cairo_restore (cr);
      cairo_set_line_width (cr, 0.008);
      set_feature (f, 0.1, 0.07, 0.05, 0.9);
      cairo_stroke (cr);
      cairo_restore (cr);
    }
}

/* Nose: bridge shadow, tip, nostrils. */
static void
draw_nose (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p, *skin = f->skin;
  double cx = f->cx;
  double tip = f->cy + 0.07 + 0.03 * p[P_NOSE_LEN], nw = 0.038 + 0.013 * p[P_NOSE_W];

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_width (cr, 0.01);
  cairo_move_to (cr, cx + 0.012, f->eye_y + 0.02);
  cairo_line_to (cr, cx + nw * 0.6, tip - 0.012);
  set_feature (f, skin[0] * 0.7, skin[1] * 0.7, skin[2] * 0.7,
               0.5 + 0.4 * (p[P_NOSE_BRIDGE] + 1.0) / 2.0);
  cairo_stroke (cr);
  cairo_set_line_width (cr, 0.006);
  cairo_move_to (cr, cx - nw, tip - 0.004);
  cairo_curve_to (cr, cx - nw * 0.4, tip + 0.02, cx + nw * 0.4, tip + 0.02, cx + nw, tip - 0.004);
  set_feature (f, skin[0] * 0.65, skin[1] * 0.65, skin[2] * 0.65, 0.7);
  cairo_stroke (cr);
  for (int s = -1; s <= 1; s += 2)
    ellipse_path (cr, cx + s * nw * 0.55, tip, 0.014, 0.008);
  set_feature (f, skin[0] * 0.35, skin[1] * 0.35, skin[2] * 0.35, 0.9);
  cairo_fill (cr);
}

/* Mouth: lips and the line between them. */
static void
draw_mouth (Face *f)
{
  cairo_t *cr = f->cr;
  const double *p = f->p;
  double cx = f->cx, mouth_y = f->mouth_y;
  double mw = 0.075 + 0.02 * p[P_MOUTH_W], lip = 0.016 + 0.007 * p[P_LIP];
  double curve = 0.012 * p[P_MOUTH_CURVE] + 0.01 * f->jit->smile;
  double tone = 1.0 + 0.15 * p[P_LIP_TONE];
  double ly = mouth_y - curve;

  cairo_move_to (cr, cx - mw, ly);
  cairo_curve_to (cr, cx - mw * 0.5, mouth_y - lip - curve * 0.3,
                  cx + mw * 0.5, mouth_y - lip - curve * 0.3, cx + mw, ly);
  cairo_curve_to (cr, cx + mw * 0.5, mouth_y + lip * 1.4 + curve * 0.2,
                  cx - mw * 0.5, mouth_y + lip * 1.4 + curve * 0.2, cx - mw, ly);
  cairo_close_path (cr);
  set_feature (f, clampd (0.70 * tone, 0, 1), clampd (0.33 * tone, 0, 1),
               clampd (0.33 * tone, 0, 1), 0.75);
  cairo_fill (cr);
  cairo_move_to (cr, cx - mw, ly);
  cairo_curve_to (cr, cx - mw * 0.4, mouth_y + curve * 0.8, cx + mw * 0.4,
                  mouth_y + curve * 0.8, cx + mw, ly);
  cairo_set_line_width (cr, 0.007);
  set_feature (f, 0.1, 0.05, 0.05, 0.9);
  cairo_stroke (cr);
}

static double
luminance (const double *rgb)
{
  return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
}

static double
smoothstep (double lo, double hi, double x)
{
  double t = clampd ((x - lo) / (hi - lo), 0.0, 1.0);
  return t * t * (3.0 - 2.0 * t);
}

/* The exposure gain: metered on the group's typical skin (a person's own
 * tone stays visible, under every preset alike), or (capture) on Group A's
 * typical skin for everyone. */
static double
exposure_gain (const GabnSynthKnobs *kn, const GabnSynthGroup *group)
{
  return GABN_SYNTH_METER_LEVEL / luminance (kn->capture ? groups[0].skin : group->skin);
}

/* The camera: the drawn scene (bytes of an RGB24 surface) → photo bytes.
 * Light (jitter's gradient and brightness; capture: a shadow over the
 * lower face), exposure, the tone curve's toe (capture), sensor noise. */
static void
photograph (const guint8 *data, int stride, int size, const GabnSynthKnobs *kn,
            const GabnSynthJitter *jit, double gain, guint8 *rgb)
{
  double lx = cos (jit->light_angle) * 2.0 * jit->light_strength;
  double ly = sin (jit->light_angle) * 2.0 * jit->light_strength;
  double grain = kn->capture ? GABN_SYNTH_GRAIN_CAPTURE : GABN_SYNTH_GRAIN;
  GabnRng rng;

  gabn_rng_init (&rng, jit->noise_seed, 0x9e, 0, 0);
  for (int y = 0; y < size; y++)
    {
      const guint32 *row = (const guint32 *) (gconstpointer) (data + (gsize) y * stride);
      double v = (y + 0.5) / size;
      /* Light from above: the face darkens from the nose down. */
      double shade = kn->capture ? 1.0 - GABN_SYNTH_SHADOW_DEPTH * smoothstep (0.5, 0.92, v) : 1.0;
      for (int x = 0; x < size; x++)
        {
          guint32 px = row[x];
          guint8 *out = rgb + ((gsize) y * size + x) * 3;
          double u = (x + 0.5) / size;
          double f = gain * shade * jit->brightness * (1.0 + lx * (u - 0.5) + ly * (v - 0.5));
          /* Grain: the sum of four uniforms, roughly normal. */
          guint64 r = gabn_rng_next (&rng);
          double n = ((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff)
                      + (r >> 48)) / 65536.0 - 2.0;
          double g = n * 1.7320508 * grain;
          for (int c = 0; c < 3; c++)
            {
              double lin = ((px >> (16 - 8 * c)) & 0xff) / 255.0 * f;
              if (kn->capture && lin < GABN_SYNTH_TOE_KNEE)
                lin = GABN_SYNTH_TOE_KNEE - (GABN_SYNTH_TOE_KNEE - lin) * kn->toe_slope;
              out[c] = CLAMP ((int) lround (lin * 255.0 + g), 0, 255);
            }
        }
    }
}

void
gabn_synth_render (const GabnSynthGroup *group, const GabnSynthKnobs *kn,
                   const GabnSynthIdentity *id, const GabnSynthJitter *jit,
                   int size, guint8 *rgb)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, size, size);
  cairo_t *cr = cairo_create (surface);
  Face f;
  double gain;

  face_init (&f, cr, group, id, jit);
  gain = exposure_gain (kn, group);
  /* The background is drawn so that it comes out at its grey level
   * whatever the exposure: only the face is metered. */
  {
    double bg = MIN (1.0, jit->background / gain);
    cairo_set_source_rgb (cr, bg, bg, bg);
    cairo_paint (cr);
  }
  cairo_scale (cr, size, size);
  cairo_translate (cr, 0.5 + jit->dx, 0.5 + jit->dy);
  cairo_rotate (cr, jit->rotation);
  cairo_scale (cr, jit->scale, jit->scale);
  cairo_translate (cr, -0.5, -0.5);

  draw_head_back (&f);
  draw_skin (&f);
  draw_texture (&f);
  draw_fringe (&f);
  draw_brows (&f);
  draw_eyes (&f);
  draw_nose (&f);
  draw_mouth (&f);

  cairo_destroy (cr);
  cairo_surface_flush (surface);
  photograph (cairo_image_surface_get_data (surface),
              cairo_image_surface_get_stride (surface), size, kn, jit, gain, rgb);
  cairo_surface_destroy (surface);
}
