/* gabn-synth-face.c: groups, identities, jitter and the Cairo face renderer.
 * Coordinates are in face units: the image is the unit square, y down. */
#include "gabn-synth-face.h"
#include "gabn-rng.h"

#include <cairo.h>
#include <math.h>

#define ALL GABN_REGION_ALL
#define EYES_BROWS (GABN_REGION_EYES | GABN_REGION_BROWS)
#define INNER_FACE (EYES_BROWS | GABN_REGION_NOSE | GABN_REGION_MOUTH)

/* Small-region: skin tones and hair colours, light to dark. */
#define SKIN_1 { 0.93, 0.80, 0.70 }
#define SKIN_2 { 0.80, 0.62, 0.48 }
#define SKIN_3 { 0.54, 0.39, 0.28 }
#define SKIN_4 { 0.46, 0.33, 0.24 }
#define HAIR_1 { 0.36, 0.25, 0.15 }
#define HAIR_2 { 0.17, 0.12, 0.08 }
#define HAIR_3 { 0.11, 0.08, 0.06 }
#define HAIR_4 { 0.07, 0.05, 0.04 }

/* Balanced and imbalanced: the groups differ in skin hue and hair colour at
 * the same brightness (luminance ≈ 0.645) and contrast, so that no group is
 * harder to recognise than another. */
#define HUE_A { 0.80, 0.62, 0.50 }
#define HUE_B { 0.74, 0.64, 0.50 }
#define HUE_C { 0.78, 0.60, 0.58 }
#define HUE_D { 0.70, 0.64, 0.54 }
#define HUE_HAIR_A { 0.22, 0.14, 0.08 }
#define HUE_HAIR_B { 0.13, 0.12, 0.10 }
#define HUE_HAIR_C { 0.24, 0.10, 0.06 }
#define HUE_HAIR_D { 0.11, 0.10, 0.13 }

static const GabnSynthGroup balanced_groups[GABN_SYNTH_N_GROUPS] = {
  { "Group A", HUE_A, 0.05, HUE_HAIR_A, 1.0, ALL, 1.0 },
  { "Group B", HUE_B, 0.05, HUE_HAIR_B, 1.0, ALL, 1.0 },
  { "Group C", HUE_C, 0.05, HUE_HAIR_C, 1.0, ALL, 1.0 },
  { "Group D", HUE_D, 0.05, HUE_HAIR_D, 1.0, ALL, 1.0 },
};

static const GabnSynthGroup imbalanced_groups[GABN_SYNTH_N_GROUPS] = {
  { "Group A", HUE_A, 0.05, HUE_HAIR_A, 1.0, ALL, 1.0 },
  { "Group B", HUE_B, 0.05, HUE_HAIR_B, 1.0, ALL, 0.2 },
  { "Group C", HUE_C, 0.05, HUE_HAIR_C, 1.0, ALL, 0.2 },
  { "Group D", HUE_D, 0.05, HUE_HAIR_D, 1.0, ALL, 0.2 },
};

static const GabnSynthGroup small_region_groups[GABN_SYNTH_N_GROUPS] = {
  { "Group A", SKIN_1, 0.05, HAIR_1, 1.0, ALL, 1.0 },
  { "Group B", SKIN_2, 0.05, HAIR_2, 1.0, ALL, 1.0 },
  { "Group C", SKIN_3, 0.0, HAIR_3, 0.85, INNER_FACE, 1.0 },
  { "Group D", SKIN_4, 0.0, HAIR_4, 0.8, EYES_BROWS, 1.0 },
};

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
gabn_synth_groups (GabnSynthPreset preset)
{
  switch (preset)
    {
    case GABN_SYNTH_BALANCED:
      return balanced_groups;
    case GABN_SYNTH_IMBALANCED:
      return imbalanced_groups;
    case GABN_SYNTH_SMALL_REGION:
    default:
      return small_region_groups;
    }
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
  GabnRng base, rng;
  double tone;

  /* The group's base face does not depend on the seed: a group keeps its
   * look; the seed changes its people. */
  gabn_rng_init (&base, 0x6ab5, group_index, 0, 0);
  gabn_rng_init (&rng, seed, 0x1d, group_index, identity);
  for (int k = 0; k < GABN_SYNTH_N_PARAMS; k++)
    {
      double b = 0.35 * (2.0 * gabn_rng_uniform (&base) - 1.0);
      double v = 2.0 * gabn_rng_uniform (&rng) - 1.0;
      out->p[k] = (group->regions & param_regions[k]) ? v : b;
    }
  tone = 1.0 + group->tone_spread * clampd (gabn_rng_normal (&rng), -2.5, 2.5);
  for (int c = 0; c < 3; c++)
    {
      out->skin[c] = clampd (group->skin[c] * tone, 0.0, 1.0);
      out->hair[c] = clampd (group->hair[c] * (1.0 + 0.5 * out->p[P_HAIR_TONE])
                             + 0.06 * out->p[P_HAIR_TONE], 0.02, 0.9);
    }
  out->texture_seed = (group->regions & GABN_REGION_TEXTURE) ? gabn_rng_next (&rng)
                                                             : gabn_rng_next (&base);
}

void
gabn_synth_jitter_draw (gboolean jitter, guint64 seed, int group_index,
                        int identity, int image, GabnSynthJitter *out)
{
  GabnRng rng;

  *out = (GabnSynthJitter) { 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0 };
  if (!jitter)
    return;
  gabn_rng_init (&rng, seed, 0x7e + (guint64) group_index, identity, image);
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
  out->noise = 2.0;
  out->background = gabn_rng_range (&rng, 0.35, 0.65);
  out->noise_seed = gabn_rng_next (&rng);
}

/* Drawing state shared by the parts of one face. */
typedef struct {
  cairo_t *cr;
  const GabnSynthIdentity *id;
  double contrast;
} Painter;

/* A feature colour: from the skin towards target by strength × contrast. */
static void
set_feature (Painter *pt, double r, double g, double b, double strength)
{
  double t = clampd (strength * pt->contrast, 0.0, 1.0);
  const double *s = pt->id->skin;
  cairo_set_source_rgb (pt->cr, s[0] + (r - s[0]) * t, s[1] + (g - s[1]) * t,
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
ellipse_path (cairo_t *cr, double x, double y, double rx, double ry)
{
  cairo_save (cr);
  cairo_translate (cr, x, y);
  cairo_scale (cr, rx, ry);
  cairo_new_sub_path (cr);
  cairo_arc (cr, 0, 0, 1, 0, 2 * G_PI);
  cairo_restore (cr);
}

void
gabn_synth_render (const GabnSynthGroup *group, const GabnSynthIdentity *id,
                   const GabnSynthJitter *jit, int size, guint8 *rgb)
{
  const double *p = id->p, *skin = id->skin, *hair = id->hair;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_RGB24, size, size);
  cairo_t *cr = cairo_create (surface);
  Painter pt = { cr, id, group->contrast };
  double hair_mix = 0.4 + 0.6 * group->contrast;
  double cx = 0.5, cy = 0.53;
  double fw = 0.30 + 0.035 * p[P_FACE_W], fh = 0.385 + 0.03 * p[P_FACE_H];
  double jaw = 0.80 + 0.12 * p[P_JAW];
  double eye_dx = 0.12 + 0.03 * p[P_EYE_DX], eye_y = cy - 0.065 + 0.03 * p[P_EYE_Y];
  double mouth_y = cy + 0.2 + 0.025 * p[P_MOUTH_Y];
  double hc[3];
  GabnRng rng;
  cairo_pattern_t *pattern;

  for (int c = 0; c < 3; c++)
    hc[c] = skin[c] + (hair[c] - skin[c]) * hair_mix;

  cairo_set_source_rgb (cr, jit->background, jit->background, jit->background);
  cairo_paint (cr);
  cairo_scale (cr, size, size);
  cairo_translate (cr, 0.5 + jit->dx, 0.5 + jit->dy);
  cairo_rotate (cr, jit->rotation);
  cairo_scale (cr, jit->scale, jit->scale);
  cairo_translate (cr, -0.5, -0.5);

  /* Hair behind the head, down to the side length. */
  {
    double vol = 0.05 + 0.035 * p[P_HAIR_VOL];
    double side = cy + 0.02 + 0.13 * p[P_HAIR_SIDE];
    cairo_save (cr);
    cairo_rectangle (cr, -1, -1, 3, side + 1);
    cairo_clip (cr);
    ellipse_path (cr, cx, cy - 0.02, fw + 0.035 + 0.5 * vol, fh + vol);
    cairo_set_source_rgb (cr, hc[0], hc[1], hc[2]);
    cairo_fill (cr);
    cairo_restore (cr);
  }

  /* Ears. */
  {
    double ear = 0.05 + 0.015 * p[P_EAR];
    for (int s = -1; s <= 1; s += 2)
      ellipse_path (cr, cx + s * (fw - 0.005), eye_y + 0.03, ear * 0.6, ear);
    cairo_set_source_rgb (cr, skin[0] * 0.9, skin[1] * 0.9, skin[2] * 0.9);
    cairo_fill (cr);
  }

  /* Face, shaded as lit from the upper left. */
  face_path (cr, cx, cy, fw, fh, jaw, 0.0);
  pattern = cairo_pattern_create_radial (cx - 0.03, cy - 0.05, 0.05, cx - 0.03, cy - 0.05, fh * 1.15);
  cairo_pattern_add_color_stop_rgb (pattern, 0.0, MIN (1.0, skin[0] * 1.06),
                                    MIN (1.0, skin[1] * 1.06), MIN (1.0, skin[2] * 1.06));
  cairo_pattern_add_color_stop_rgb (pattern, 1.0, skin[0] * 0.84, skin[1] * 0.84, skin[2] * 0.84);
  cairo_set_source (cr, pattern);
  cairo_fill (cr);
  cairo_pattern_destroy (pattern);

  /* Texture: beard shadow, cheeks, freckles (inside the face). */
  cairo_save (cr);
  face_path (cr, cx, cy, fw, fh, jaw, 0.0);
  cairo_clip (cr);
  pattern = cairo_pattern_create_linear (0, mouth_y - 0.08, 0, mouth_y + 0.04);
  cairo_pattern_add_color_stop_rgba (pattern, 0.0, hair[0], hair[1], hair[2], 0.0);
  cairo_pattern_add_color_stop_rgba (pattern, 1.0, hair[0], hair[1], hair[2],
                                     0.22 * (p[P_BEARD] + 1.0) / 2.0 * group->contrast);
  cairo_set_source (cr, pattern);
  cairo_paint (cr);
  cairo_pattern_destroy (pattern);
  for (int s = -1; s <= 1; s += 2)
    {
      double x = cx + s * 0.15, y = cy + 0.08;
      pattern = cairo_pattern_create_radial (x, y, 0.0, x, y, 0.075);
      cairo_pattern_add_color_stop_rgba (pattern, 0.0, 0.85, 0.35, 0.35,
                                         0.25 * (p[P_CHEEK] + 1.0) / 2.0 * group->contrast);
      cairo_pattern_add_color_stop_rgba (pattern, 1.0, 0.85, 0.35, 0.35, 0.0);
      cairo_set_source (cr, pattern);
      cairo_paint (cr);
      cairo_pattern_destroy (pattern);
    }
  gabn_rng_init (&rng, id->texture_seed, 0xf7, 0, 0);
  {
    int n = (int) ((p[P_FRECKLE] + 1.0) * 4.5);
    for (int i = 0; i < n; i++)
      {
        double s = gabn_rng_uniform (&rng) < 0.5 ? -1 : 1;
        double x = cx + s * gabn_rng_range (&rng, 0.08, 0.2);
        double y = cy + gabn_rng_range (&rng, -0.02, 0.12);
        ellipse_path (cr, x, y, 0.008, 0.008);
      }
    set_feature (&pt, skin[0] * 0.55, skin[1] * 0.5, skin[2] * 0.45, 1.0);
    cairo_fill (cr);
  }
  cairo_restore (cr);

  /* Fringe: hair above the hairline, inside the head outline. */
  {
    double h = cy - fh + 0.09 + 0.045 * p[P_HAIRLINE];
    double px = cx + 0.09 * p[P_PARTING];
    double left = h + 0.07 + 0.05 * p[P_PARTING], right = h + 0.07 - 0.05 * p[P_PARTING];
    cairo_save (cr);
    face_path (cr, cx, cy, fw, fh, jaw, 0.004);
    cairo_clip (cr);
    cairo_move_to (cr, -0.1, -0.1);
    cairo_line_to (cr, 1.1, -0.1);
    cairo_line_to (cr, 1.1, right);
    cairo_curve_to (cr, 0.7, right, px + 0.1, h, px, h - 0.005);
    cairo_curve_to (cr, px - 0.1, h, 0.3, left, -0.1, left);
    cairo_close_path (cr);
    cairo_set_source_rgb (cr, hc[0], hc[1], hc[2]);
    cairo_fill (cr);
    cairo_restore (cr);
  }

  /* Brows. */
  {
    double bl = 0.115 + 0.04 * p[P_BROW_LEN];
    double by = eye_y - 0.06 - 0.03 * p[P_BROW_Y] - jit->brow_raise;
    double tilt = 0.025 * p[P_BROW_TILT], arch = 0.012 + 0.016 * p[P_BROW_ARCH];
    double tone = 0.75 + 0.5 * p[P_BROW_TONE];
    cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width (cr, 0.024 + 0.014 * p[P_BROW_THICK]);
    for (int s = -1; s <= 1; s += 2)
      {
        double xi = cx + s * (eye_dx - bl * 0.45), xo = cx + s * (eye_dx + bl * 0.55);
        double yi = by + tilt, yo = by - tilt;
        cairo_move_to (cr, xi, yi);
        cairo_curve_to (cr, xi + (xo - xi) * 0.33, yi - 2 * arch, xi + (xo - xi) * 0.66,
                        yo - 2 * arch, xo, yo);
      }
    set_feature (&pt, hair[0] * tone, hair[1] * tone, hair[2] * tone, 0.95);
    cairo_stroke (cr);
  }

  /* Eyes: sclera, iris, pupil, upper lid. */
  {
    double w = 0.058 + 0.02 * p[P_EYE_W];
    double h = (0.026 + 0.011 * p[P_EYE_H]) * jit->eye_open;
    double tilt = 0.2 * p[P_EYE_TILT];
    double ri = 0.024 + 0.008 * p[P_IRIS], tone = 1.0 + 0.9 * p[P_IRIS_TONE];
    for (int s = -1; s <= 1; s += 2)
      {
        cairo_save (cr);
        cairo_translate (cr, cx + s * eye_dx, eye_y);
        cairo_rotate (cr, -s * tilt);
        ellipse_path (cr, 0, 0, w, h);
        set_feature (&pt, 0.95, 0.95, 0.93, 0.9);
        cairo_fill_preserve (cr);
        cairo_clip (cr);
        ellipse_path (cr, 0, 0, ri, ri);
        set_feature (&pt, clampd (0.25 * tone, 0, 1), clampd (0.18 * tone, 0, 1),
                     clampd (0.10 * tone, 0, 1), 1.0);
        cairo_fill (cr);
        ellipse_path (cr, 0, 0, ri * 0.45, ri * 0.45);
        set_feature (&pt, 0.03, 0.03, 0.03, 1.0);
        cairo_fill (cr);
        cairo_reset_clip (cr);
        cairo_save (cr);
        cairo_scale (cr, w, h);
        cairo_arc (cr, 0, 0, 1, G_PI, 2 * G_PI);
        cairo_restore (cr);
        cairo_set_line_width (cr, 0.008);
        set_feature (&pt, 0.1, 0.07, 0.05, 0.9);
        cairo_stroke (cr);
        cairo_restore (cr);
      }
  }

  /* Nose: bridge shadow, tip, nostrils. */
  {
    double tip = cy + 0.07 + 0.03 * p[P_NOSE_LEN], nw = 0.038 + 0.013 * p[P_NOSE_W];
    cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_width (cr, 0.01);
    cairo_move_to (cr, cx + 0.012, eye_y + 0.02);
    cairo_line_to (cr, cx + nw * 0.6, tip - 0.012);
    set_feature (&pt, skin[0] * 0.7, skin[1] * 0.7, skin[2] * 0.7,
                 0.5 + 0.4 * (p[P_NOSE_BRIDGE] + 1.0) / 2.0);
    cairo_stroke (cr);
    cairo_set_line_width (cr, 0.006);
    cairo_move_to (cr, cx - nw, tip - 0.004);
    cairo_curve_to (cr, cx - nw * 0.4, tip + 0.02, cx + nw * 0.4, tip + 0.02, cx + nw, tip - 0.004);
    set_feature (&pt, skin[0] * 0.65, skin[1] * 0.65, skin[2] * 0.65, 0.7);
    cairo_stroke (cr);
    for (int s = -1; s <= 1; s += 2)
      ellipse_path (cr, cx + s * nw * 0.55, tip, 0.014, 0.008);
    set_feature (&pt, skin[0] * 0.35, skin[1] * 0.35, skin[2] * 0.35, 0.9);
    cairo_fill (cr);
  }

  /* Mouth: lips and the line between them. */
  {
    double mw = 0.075 + 0.02 * p[P_MOUTH_W], lip = 0.016 + 0.007 * p[P_LIP];
    double curve = 0.012 * p[P_MOUTH_CURVE] + 0.01 * jit->smile;
    double tone = 1.0 + 0.15 * p[P_LIP_TONE];
    double ly = mouth_y - curve;
    cairo_move_to (cr, cx - mw, ly);
    cairo_curve_to (cr, cx - mw * 0.5, mouth_y - lip - curve * 0.3,
                    cx + mw * 0.5, mouth_y - lip - curve * 0.3, cx + mw, ly);
    cairo_curve_to (cr, cx + mw * 0.5, mouth_y + lip * 1.4 + curve * 0.2,
                    cx - mw * 0.5, mouth_y + lip * 1.4 + curve * 0.2, cx - mw, ly);
    cairo_close_path (cr);
    set_feature (&pt, clampd (0.70 * tone, 0, 1), clampd (0.33 * tone, 0, 1),
                 clampd (0.33 * tone, 0, 1), 0.75);
    cairo_fill (cr);
    cairo_move_to (cr, cx - mw, ly);
    cairo_curve_to (cr, cx - mw * 0.4, mouth_y + curve * 0.8, cx + mw * 0.4,
                    mouth_y + curve * 0.8, cx + mw, ly);
    cairo_set_line_width (cr, 0.007);
    set_feature (&pt, 0.1, 0.05, 0.05, 0.9);
    cairo_stroke (cr);
  }

  cairo_destroy (cr);
  cairo_surface_flush (surface);

  /* To RGB, with lighting and grain. */
  {
    const guint8 *data = cairo_image_surface_get_data (surface);
    int stride = cairo_image_surface_get_stride (surface);
    double lx = cos (jit->light_angle) * 2.0 * jit->light_strength;
    double ly = sin (jit->light_angle) * 2.0 * jit->light_strength;
    gboolean plain = jit->noise == 0.0 && jit->light_strength == 0.0 && jit->brightness == 1.0;

    gabn_rng_init (&rng, jit->noise_seed, 0x9e, 0, 0);
    for (int y = 0; y < size; y++)
      {
        const guint32 *row = (const guint32 *) (gconstpointer) (data + (gsize) y * stride);
        for (int x = 0; x < size; x++)
          {
            guint32 v = row[x];
            guint8 *out = rgb + ((gsize) y * size + x) * 3;
            int c0 = (v >> 16) & 0xff, c1 = (v >> 8) & 0xff, c2 = v & 0xff;
            if (!plain)
              {
                double f = jit->brightness * (1.0 + lx * ((x + 0.5) / size - 0.5)
                                              + ly * ((y + 0.5) / size - 0.5));
                /* Grain: the sum of four uniforms, roughly normal. */
                guint64 r = gabn_rng_next (&rng);
                double u = ((r & 0xffff) + ((r >> 16) & 0xffff) + ((r >> 32) & 0xffff)
                            + (r >> 48)) / 65536.0 - 2.0;
                double g = u * 1.7320508 * jit->noise;
                c0 = CLAMP ((int) lround (c0 * f + g), 0, 255);
                c1 = CLAMP ((int) lround (c1 * f + g), 0, 255);
                c2 = CLAMP ((int) lround (c2 * f + g), 0, 255);
              }
            out[0] = c0;
            out[1] = c1;
            out[2] = c2;
          }
      }
  }
  cairo_surface_destroy (surface);
}
