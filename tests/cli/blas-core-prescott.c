/* blas-core-prescott.c: preloaded into `gabn` by test-bench-blas-core.py.
 * While OPENBLAS_CORETYPE is unset it says OpenBLAS picked "Prescott" (what
 * 0.3.21 picks on Intel models it does not know), so the restart in
 * gabn-blas-core.c runs on any machine; once set, the real name. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

char *openblas_get_corename (void);

char *
openblas_get_corename (void)
{
  char *(*real) (void) = (char *(*) (void)) dlsym (RTLD_NEXT, "openblas_get_corename");

  if (getenv ("OPENBLAS_CORETYPE") == NULL)
    return (char *) "Prescott";
  return real ();
}
