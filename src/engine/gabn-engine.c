/* gabn-engine.c: the engine's error domain and version. */
#include "config.h"
#include "gabn-engine.h"

G_DEFINE_QUARK (gabn-error-quark, gabn_error)

const char *
gabn_engine_version (void)
{
  return PACKAGE_VERSION;
}
