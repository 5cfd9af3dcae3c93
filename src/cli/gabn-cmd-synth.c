/* gabn-cmd-synth.c: `gabn synth`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_synth (int argc, char **argv)
{
  g_printerr ("gabn synth: not available yet\n");
  return 1;
}
