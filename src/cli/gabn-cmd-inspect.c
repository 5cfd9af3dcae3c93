/* gabn-cmd-inspect.c: `gabn inspect`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_inspect (int argc, char **argv)
{
  g_printerr ("gabn inspect: not available yet\n");
  return 1;
}
