/* gabn-blas-core.h: which OpenBLAS kernels ("core") the process runs, and a
 * restart under a better one when OpenBLAS's own CPU detection fell short. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The widest vector instructions a CPU (and its OS) can run, as OpenBLAS's
 * x86-64 kernels group them. */
typedef enum {
  GABN_VECTOR_UNKNOWN = -1,  /* a core name this table does not know */
  GABN_VECTOR_SSE,           /* Prescott, Nehalem, Core2…: SSE2/SSE3 kernels */
  GABN_VECTOR_AVX,           /* Sandybridge, Bulldozer… */
  GABN_VECTOR_AVX2,          /* Haswell, Zen (AVX2 + FMA) */
  GABN_VECTOR_AVX512,        /* SkylakeX, Cooperlake, SapphireRapids */
} GabnVectorLevel;

GabnVectorLevel gabn_cpu_vector_level (void);
GabnVectorLevel gabn_blas_core_level (const char *corename);

const char *gabn_blas_core_choose (const char *env_coretype,
                                   gboolean dynamic_arch,
                                   const char *corename,
                                   GabnVectorLevel cpu);

const char *gabn_blas_core_name (void);

void gabn_blas_core_ensure (char **argv);

G_END_DECLS
