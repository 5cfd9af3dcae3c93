/* gabn-synth-face.h: the synthetic face model — groups, identities, per-image
 * jitter, the camera — and its Cairo renderer. Private to the data area;
 * the public interface is gabn-synth.h.
 *
 * Ground rule (DESIGN.md section 3): every group's identities vary in the
 * same parameters by the same amounts. A group is only an appearance (skin
 * tone, hair colour); bias enters through the preset's knobs — who was
 * collected for training, how the camera captured the photo, and a
 * shortcut cue — never through the face itself. */
#pragma once

#include "gabn-synth.h"

G_BEGIN_DECLS

enum {
  P_FACE_W, P_FACE_H, P_JAW, P_EAR,
  P_HAIR_TONE, P_HAIRLINE, P_HAIR_VOL, P_HAIR_SIDE, P_PARTING,
  P_BROW_Y, P_BROW_TILT, P_BROW_THICK, P_BROW_LEN, P_BROW_ARCH, P_BROW_TONE,
  P_EYE_DX, P_EYE_Y, P_EYE_W, P_EYE_H, P_IRIS, P_IRIS_TONE, P_EYE_TILT,
  P_NOSE_LEN, P_NOSE_W, P_NOSE_BRIDGE,
  P_MOUTH_Y, P_MOUTH_W, P_LIP, P_LIP_TONE, P_MOUTH_CURVE,
  P_CHEEK, P_FRECKLE, P_BEARD,
  GABN_SYNTH_N_PARAMS
};

/* The camera (docs/SYNTHETIC.md). A careful photographer meters on the
 * face: its skin comes out at METER_LEVEL whatever its tone. The capture
 * knob's camera keeps the exposure metered on Group A's skin for everyone,
 * puts the lower face in shadow (light from above), compresses what falls
 * below TOE_KNEE to the knobs' toe_slope of its contrast (crushed shadows)
 * and adds more sensor noise. */
#define GABN_SYNTH_METER_LEVEL    0.62
#define GABN_SYNTH_SHADOW_DEPTH   0.45   /* brightness lost at the chin */
#define GABN_SYNTH_TOE_KNEE       0.30
#define GABN_SYNTH_GRAIN          2.0    /* sensor noise sd, grey levels */
#define GABN_SYNTH_GRAIN_CAPTURE  5.0
/* Shortcut: per-photo sd of the outline parameters (an identity's own
 * values are uniform in [-1, 1], sd 0.58). */
#define GABN_SYNTH_SHORTCUT_SD    0.8

typedef struct {
  const char *name;        /* "Group A" */
  double skin[3];          /* mean skin colour, 0..1 per channel */
  double tone_spread;      /* std of an identity's skin brightness factor */
  double hair[3];          /* mean hair colour */
} GabnSynthGroup;

/* The bias knobs of a preset (docs/SYNTHETIC.md says what each models). */
typedef struct {
  double   train_share[GABN_SYNTH_N_GROUPS]; /* collection: training
                              identities, as a share of the largest group's */
  gboolean capture;        /* exposure fixed for lighter skin, a shadowed
                              lower face, crushed shadows, more sensor noise */
  gboolean shortcut;       /* the outline varies from photo to photo */
  double   toe_slope;      /* capture: the contrast kept below the tone
                              curve's knee (crushed shadows) */
} GabnSynthKnobs;

typedef struct {
  double   p[GABN_SYNTH_N_PARAMS];
  double   tone;           /* skin brightness factor (region "texture") */
  guint64  texture_seed;   /* freckle positions (region "texture") */
} GabnSynthIdentity;

typedef struct {
  double rotation, dx, dy, scale;   /* pose */
  double light_angle, light_strength, brightness;
  double smile, eye_open, brow_raise; /* expression */
  double background;                /* grey level 0..1, as photographed */
  double shortcut[GABN_SYNTH_N_PARAMS]; /* per-photo offsets (shortcut knob) */
  guint64 noise_seed;
} GabnSynthJitter;

/* The four groups (the same in every preset) and a preset's knobs. */
const GabnSynthGroup *gabn_synth_groups (void);
const GabnSynthKnobs *gabn_synth_knobs (GabnSynthPreset preset);

/* The region a parameter belongs to. */
GabnSynthRegion gabn_synth_param_region (int param);

void gabn_synth_identity_draw (const GabnSynthGroup *group, int group_index,
                               guint64 seed, int identity,
                               GabnSynthIdentity *out);

/* Copies the parameters of the regions in `regions` from donor into id. */
void gabn_synth_identity_swap (GabnSynthIdentity *id,
                               const GabnSynthIdentity *donor, guint regions);

/* With jitter FALSE: the neutral pose, light and expression (the shortcut
 * offsets and the camera's grain stay). */
void gabn_synth_jitter_draw (const GabnSynthKnobs *knobs, gboolean jitter,
                             guint64 seed, int group_index, int identity,
                             int image, GabnSynthJitter *out);

/* Renders size×size packed RGB bytes: the face drawn with Cairo, then
 * photographed by the preset's camera. Thread-safe. */
void gabn_synth_render (const GabnSynthGroup *group, const GabnSynthKnobs *knobs,
                        const GabnSynthIdentity *identity,
                        const GabnSynthJitter *jitter, int size, guint8 *rgb);

G_END_DECLS
