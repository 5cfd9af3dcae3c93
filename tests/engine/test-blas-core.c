/* test-blas-core.c: when the program restarts under other OpenBLAS kernels
 * (gabn-blas-core.c), as a table over the decision's four inputs: the
 * user's OPENBLAS_CORETYPE, DYNAMIC_ARCH or not, the core OpenBLAS picked
 * and the CPU's vector level. The same on every machine. */
#include "config.h"
#include "gabn-blas-core.h"

typedef struct {
  const char *env;          /* OPENBLAS_CORETYPE, NULL when unset */
  gboolean dynamic_arch;
  const char *corename;     /* what openblas_get_corename () said */
  GabnVectorLevel cpu;
  const char *expect;       /* the core to restart under, NULL: none */
  const char *why;
} Case;

static const Case cases[] = {
  /* The user's choice always wins, whatever it is. */
  { "Haswell", TRUE, "Haswell", GABN_VECTOR_AVX512, NULL, "user chose Haswell" },
  { "Prescott", TRUE, "Prescott", GABN_VECTOR_AVX2, NULL, "user chose Prescott" },
  { "", TRUE, "Prescott", GABN_VECTOR_AVX512, NULL, "user set it empty" },
  /* OpenBLAS 0.3.21 on Intel models it does not know: Prescott. */
  { NULL, TRUE, "Prescott", GABN_VECTOR_AVX512, "SkylakeX", "Prescott on AVX-512" },
  { NULL, TRUE, "Prescott", GABN_VECTOR_AVX2, "Haswell", "Prescott on AVX2" },
  { NULL, TRUE, "Prescott", GABN_VECTOR_AVX, "Sandybridge", "Prescott on AVX" },
  { NULL, TRUE, "Nehalem", GABN_VECTOR_AVX2, "Haswell", "Nehalem on AVX2" },
  { NULL, TRUE, "Prescott", GABN_VECTOR_SSE, NULL, "Prescott on SSE" },
  /* AVX2 kernels on an AVX-512 CPU. */
  { NULL, TRUE, "Haswell", GABN_VECTOR_AVX512, "SkylakeX", "Haswell on AVX-512" },
  { NULL, TRUE, "Zen", GABN_VECTOR_AVX512, "SkylakeX", "Zen on AVX-512" },
  { NULL, TRUE, "Sandybridge", GABN_VECTOR_AVX2, "Haswell", "Sandybridge on AVX2" },
  /* Already the CPU's level: 0.3.21 on Zen 4 and Zen 5, and the rest. */
  { NULL, TRUE, "Cooperlake", GABN_VECTOR_AVX512, NULL, "Cooperlake on AVX-512" },
  { NULL, TRUE, "SkylakeX", GABN_VECTOR_AVX512, NULL, "SkylakeX on AVX-512" },
  { NULL, TRUE, "SapphireRapids", GABN_VECTOR_AVX512, NULL, "SapphireRapids on AVX-512" },
  { NULL, TRUE, "Haswell", GABN_VECTOR_AVX2, NULL, "Haswell on AVX2" },
  { NULL, TRUE, "Zen", GABN_VECTOR_AVX2, NULL, "Zen on AVX2" },
  /* AMD's own cores at their CPUs' level are OpenBLAS's deliberate pick. */
  { NULL, TRUE, "Excavator", GABN_VECTOR_AVX2, NULL, "Excavator on AVX2" },
  { NULL, TRUE, "Piledriver", GABN_VECTOR_AVX, NULL, "Piledriver on AVX" },
  /* A wider core than the CPU reports (the user's VM hides flags): keep. */
  { NULL, TRUE, "SkylakeX", GABN_VECTOR_AVX2, NULL, "SkylakeX on AVX2" },
  /* Nothing known to compare: keep. */
  { NULL, TRUE, "Zen5", GABN_VECTOR_AVX512, NULL, "a core newer than the table" },
  { NULL, TRUE, "haswell", GABN_VECTOR_AVX512, NULL, "not a DYNAMIC_ARCH name" },
  { NULL, TRUE, NULL, GABN_VECTOR_AVX512, NULL, "not OpenBLAS" },
  { NULL, TRUE, "Haswell", GABN_VECTOR_UNKNOWN, NULL, "not x86-64" },
  /* A single-core build ignores OPENBLAS_CORETYPE. */
  { NULL, FALSE, "Haswell", GABN_VECTOR_AVX512, NULL, "not DYNAMIC_ARCH" },
  { NULL, FALSE, "HASWELL", GABN_VECTOR_AVX512, NULL, "not DYNAMIC_ARCH, its name" },
};

static void
test_choose (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const Case *c = &cases[i];
      const char *got = gabn_blas_core_choose (c->env, c->dynamic_arch, c->corename, c->cpu);

      g_test_message ("%s: %s", c->why, got ? got : "(keep)");
      g_assert_cmpstr (got, ==, c->expect);
    }
}

/* Every core the decision asks for is one the table ranks at the level it
 * was asked for, so a restart never chooses a narrower core. */
static void
test_targets_ranked (void)
{
  for (GabnVectorLevel cpu = GABN_VECTOR_AVX; cpu <= GABN_VECTOR_AVX512; cpu++)
    {
      const char *target = gabn_blas_core_choose (NULL, TRUE, "Prescott", cpu);

      g_assert_nonnull (target);
      g_assert_cmpint (gabn_blas_core_level (target), ==, cpu);
    }
}

/* The process's own core, for the test log; its name is known to OpenBLAS. */
static void
test_running (void)
{
#if HAVE_OPENBLAS
  g_assert_nonnull (gabn_blas_core_name ());
  g_test_message ("OpenBLAS core %s, CPU level %d, OPENBLAS_CORETYPE %s",
                  gabn_blas_core_name (), gabn_cpu_vector_level (),
                  g_getenv ("OPENBLAS_CORETYPE") ? g_getenv ("OPENBLAS_CORETYPE") : "unset");
#else
  g_assert_null (gabn_blas_core_name ());
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blas-core/choose", test_choose);
  g_test_add_func ("/blas-core/targets-ranked", test_targets_ranked);
  g_test_add_func ("/blas-core/running", test_running);
  return g_test_run ();
}
