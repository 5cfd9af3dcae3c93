/* gabn-cmd-embed.c: `gabn embed`. Placeholder until its issue lands. */
#include "config.h"
#include "gabn-cli.h"

int
gabn_cmd_embed (int argc, char **argv)
{
  g_printerr ("gabn embed: not available yet\n");
  return 1;
}
