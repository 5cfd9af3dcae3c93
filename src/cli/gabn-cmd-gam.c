/* gabn-cmd-gam.c: `gabn gam`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_gam (int argc, char **argv)
{
  g_printerr ("gabn gam: not available yet\n");
  return 1;
}
