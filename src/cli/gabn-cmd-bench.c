/* gabn-cmd-bench.c: `gabn bench`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_bench (int argc, char **argv)
{
  g_printerr ("gabn bench: not available yet\n");
  return 1;
}
