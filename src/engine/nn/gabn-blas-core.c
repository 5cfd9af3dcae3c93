/* gabn-blas-core.c: which OpenBLAS kernels ("core") the process runs, and a
 * restart under a better one when OpenBLAS's own CPU detection fell short.
 *
 * A DYNAMIC_ARCH OpenBLAS picks its kernels once, in its library
 * constructor (gotoblas_dynamic_init in driver/others/dynamic.c), from
 * OPENBLAS_CORETYPE if set, else from the CPU's family and model; nothing
 * can change the choice later. Debian 12 and our Flatpak both ship 0.3.21,
 * whose detection sends Intel family-6 models it does not know (extended
 * model ≥ 11: Lunar Lake, Arrow Lake, Emerald Rapids…) on to the Pentium 4
 * branch: SSE3 "Prescott" kernels on an AVX2 or AVX-512 CPU. Fixed upstream
 * in 0.3.25 (OpenMathLib/OpenBLAS issue #4267, pull request #4268). AMD
 * is fine from 0.3.21 on (pull request #3628): Zen 4 (family 0x19) gets
 * Cooperlake/SkylakeX, and families it does not know, Zen 5's 0x1A among
 * them, get the core their CPU features allow: Cooperlake on the
 * development machine's Zen 5 (docs/PERFORMANCE.md).
 *
 * So at the very start of main(), before any window or engine thread: if
 * the user did not choose a core, and the one OpenBLAS picked runs
 * narrower vectors than this CPU and OS support, set OPENBLAS_CORETYPE to
 * the core for the CPU's level and exec the same program again. The
 * variable being set is what stops a second restart. */
#include "config.h"
#include "gabn-blas-core.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#if HAVE_OPENBLAS
#include <cblas.h>
#endif

/* OpenBLAS's x86-64 core names (dynamic.c's corename[]) by the widest
 * vectors their kernels use. AMD's own cores sit at their CPUs' level, so a
 * deliberate pick (Excavator on an Excavator) is never overridden. */
static const struct {
  const char *name;
  GabnVectorLevel level;
} core_levels[] = {
  { "SkylakeX", GABN_VECTOR_AVX512 },
  { "Cooperlake", GABN_VECTOR_AVX512 },
  { "SapphireRapids", GABN_VECTOR_AVX512 },
  { "Haswell", GABN_VECTOR_AVX2 },
  { "Zen", GABN_VECTOR_AVX2 },
  { "Excavator", GABN_VECTOR_AVX2 },
  { "Sandybridge", GABN_VECTOR_AVX },
  { "Bulldozer", GABN_VECTOR_AVX },
  { "Piledriver", GABN_VECTOR_AVX },
  { "Steamroller", GABN_VECTOR_AVX },
  { "Prescott", GABN_VECTOR_SSE },
  { "Core2", GABN_VECTOR_SSE },
  { "Penryn", GABN_VECTOR_SSE },
  { "Dunnington", GABN_VECTOR_SSE },
  { "Nehalem", GABN_VECTOR_SSE },
  { "Atom", GABN_VECTOR_SSE },
  { "Barcelona", GABN_VECTOR_SSE },
  { "Opteron", GABN_VECTOR_SSE },
  { "Opteron_SSE3", GABN_VECTOR_SSE },
  { "Bobcat", GABN_VECTOR_SSE },
  { "Nano", GABN_VECTOR_SSE },
  { "Katmai", GABN_VECTOR_SSE },
  { "Coppermine", GABN_VECTOR_SSE },
  { "Northwood", GABN_VECTOR_SSE },
  { "Banias", GABN_VECTOR_SSE },
  { "Athlon", GABN_VECTOR_SSE },
};

/* What to ask for at each CPU level: names every DYNAMIC_ARCH x86-64
 * OpenBLAS accepts (0.3.21 rejects "Cooperlake", #3806; its sgemm kernels
 * are SkylakeX's). */
static const char *const level_cores[] = {
  [GABN_VECTOR_SSE] = NULL,
  [GABN_VECTOR_AVX] = "Sandybridge",
  [GABN_VECTOR_AVX2] = "Haswell",
  [GABN_VECTOR_AVX512] = "SkylakeX",
};

/* __builtin_cpu_supports reports AVX and AVX-512 features only when the
 * OS saves their registers (XCR0), as OpenBLAS's own checks do. */
GabnVectorLevel
gabn_cpu_vector_level (void)
{
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init ();
  if (__builtin_cpu_supports ("avx512f") && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512dq") && __builtin_cpu_supports ("avx512vl"))
    return GABN_VECTOR_AVX512;
  if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    return GABN_VECTOR_AVX2;
  if (__builtin_cpu_supports ("avx"))
    return GABN_VECTOR_AVX;
  return GABN_VECTOR_SSE;
#else
  return GABN_VECTOR_UNKNOWN;
#endif
}

/* The level of a core as a DYNAMIC_ARCH OpenBLAS names it ("Haswell"). */
GabnVectorLevel
gabn_blas_core_level (const char *corename)
{
  if (corename == NULL)
    return GABN_VECTOR_UNKNOWN;
  for (gsize i = 0; i < G_N_ELEMENTS (core_levels); i++)
    if (strcmp (corename, core_levels[i].name) == 0)
      return core_levels[i].level;
  return GABN_VECTOR_UNKNOWN;
}

/* The core to restart under, or NULL to keep the one running: a pure
 * function of the user's OPENBLAS_CORETYPE (NULL when unset), whether the
 * OpenBLAS is DYNAMIC_ARCH (the variable does nothing otherwise), the core
 * it picked, and this CPU's level. A user's choice, even an empty one,
 * always wins; an unknown core name (a newer OpenBLAS) is left alone. */
const char *
gabn_blas_core_choose (const char     *env_coretype,
                       gboolean        dynamic_arch,
                       const char     *corename,
                       GabnVectorLevel cpu)
{
  GabnVectorLevel running = gabn_blas_core_level (corename);

  if (env_coretype != NULL || !dynamic_arch)
    return NULL;
  if (running == GABN_VECTOR_UNKNOWN || cpu == GABN_VECTOR_UNKNOWN || running >= cpu)
    return NULL;
  return level_cores[cpu];
}

/* The running OpenBLAS core ("Cooperlake"), or NULL when the BLAS is not
 * OpenBLAS. */
const char *
gabn_blas_core_name (void)
{
#if HAVE_OPENBLAS
  return openblas_get_corename ();
#else
  return NULL;
#endif
}

/* Call first thing in main(), with main's argv. Returns only when no
 * restart is needed or the exec failed (then the process carries on with
 * the core it has). */
void
gabn_blas_core_ensure (char **argv)
{
#if HAVE_OPENBLAS
  const char *config = openblas_get_config ();
  const char *core = gabn_blas_core_choose (g_getenv ("OPENBLAS_CORETYPE"),
                                            config && strstr (config, "DYNAMIC_ARCH"),
                                            openblas_get_corename (),
                                            gabn_cpu_vector_level ());

  if (core == NULL)
    return;
  g_setenv ("OPENBLAS_CORETYPE", core, TRUE);
  execv ("/proc/self/exe", argv);
  g_debug ("OpenBLAS runs %s kernels; restarting with %s failed: %s",
           openblas_get_corename (), core, g_strerror (errno));
  g_unsetenv ("OPENBLAS_CORETYPE");
#endif
}
