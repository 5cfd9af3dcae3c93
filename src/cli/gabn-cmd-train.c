/* gabn-cmd-train.c: `gabn train`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_train (int argc, char **argv)
{
  g_printerr ("gabn train: not available yet\n");
  return 1;
}
