/* gabn-cmd-info.c: `gabn info`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_info (int argc, char **argv)
{
  g_printerr ("gabn info: not available yet\n");
  return 1;
}
