/* gabn-synth-face.h: the synthetic face model — groups, identities, per-image
 * jitter — and its Cairo renderer. Private to the data area; the public
 * interface is gabn-synth.h.
 *
 * An identity is a vector of parameters in [−1, 1], each belonging to one
 * facial region. A group fixes which regions vary between its identities:
 * the parameters of the other regions stay at the group's own base value,
 * the same for every identity of the group, so those regions carry no
 * identity at all. */
#pragma once

#include "gabn-synth.h"

G_BEGIN_DECLS

typedef enum {
  GABN_REGION_OUTLINE = 1 << 0, /* face width, height, jaw, ears */
  GABN_REGION_HAIR    = 1 << 1, /* hair tone, hairline, volume, length, parting */
  GABN_REGION_BROWS   = 1 << 2, /* height, tilt, thickness, length, arch, tone */
  GABN_REGION_EYES    = 1 << 3, /* spacing, height, size, iris, tilt */
  GABN_REGION_NOSE    = 1 << 4, /* length, width, bridge */
  GABN_REGION_MOUTH   = 1 << 5, /* height, width, lips, tone, curve */
  GABN_REGION_TEXTURE = 1 << 6, /* cheeks, freckles, beard shadow */
  GABN_REGION_ALL     = (1 << 7) - 1,
} GabnSynthRegion;

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

typedef struct {
  const char *name;        /* "Group A" */
  double skin[3];          /* mean skin colour, linear 0..1 per channel */
  double tone_spread;      /* std of an identity's skin brightness factor */
  double hair[3];          /* mean hair colour */
  double contrast;         /* 0..1: how far features stand out from skin */
  guint  regions;          /* GabnSynthRegion bits that vary between identities */
  double train_share;      /* training identities, as a share of the largest group's */
} GabnSynthGroup;

typedef struct {
  double   p[GABN_SYNTH_N_PARAMS];
  double   skin[3];
  double   hair[3];
  guint64  texture_seed;   /* freckle positions */
} GabnSynthIdentity;

typedef struct {
  double rotation, dx, dy, scale;   /* pose */
  double light_angle, light_strength, brightness;
  double smile, eye_open, brow_raise; /* expression */
  double noise;                     /* std of per-pixel grain, in levels */
  double background;                /* grey level 0..1 */
  guint64 noise_seed;
} GabnSynthJitter;

/* The preset's four groups. */
const GabnSynthGroup *gabn_synth_groups (GabnSynthPreset preset);

/* The region a parameter belongs to, and its name (for the README). */
GabnSynthRegion gabn_synth_param_region (int param);

void gabn_synth_identity_draw (const GabnSynthGroup *group, int group_index,
                               guint64 seed, int identity,
                               GabnSynthIdentity *out);

/* With jitter FALSE: the neutral pose, light and expression, no grain. */
void gabn_synth_jitter_draw (gboolean jitter, guint64 seed, int group_index,
                             int identity, int image, GabnSynthJitter *out);

/* Renders size×size packed RGB bytes. Thread-safe. */
void gabn_synth_render (const GabnSynthGroup *group,
                        const GabnSynthIdentity *identity,
                        const GabnSynthJitter *jitter, int size, guint8 *rgb);

G_END_DECLS
