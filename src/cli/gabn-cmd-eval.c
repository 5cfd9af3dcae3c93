/* gabn-cmd-eval.c: `gabn eval`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_eval (int argc, char **argv)
{
  g_printerr ("gabn eval: not available yet\n");
  return 1;
}
