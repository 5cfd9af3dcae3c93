/* gabn-cli.h: the `gabn` command-line tool's commands.
 *
 * Each command is one file, gabn-cmd-NAME.c, with one entry point that gets
 * the arguments after the command name (argv[0] is "gabn NAME"), parses them
 * with GOptionContext (so each has --help) and returns the process exit code:
 * 0 only on success. Errors go to stderr as "gabn NAME: message". */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int gabn_cmd_synth   (int argc, char **argv);
int gabn_cmd_info    (int argc, char **argv);
int gabn_cmd_train   (int argc, char **argv);
int gabn_cmd_eval    (int argc, char **argv);
int gabn_cmd_embed   (int argc, char **argv);
int gabn_cmd_gam     (int argc, char **argv);
int gabn_cmd_inspect (int argc, char **argv);
int gabn_cmd_convert (int argc, char **argv);
int gabn_cmd_models  (int argc, char **argv);
int gabn_cmd_bench   (int argc, char **argv);

/* Shared helpers (gabn-cli-common.c). */

/* Parses argv with the given entries; prints the error and returns FALSE on
 * failure. summary is the one-line description shown by --help. */
gboolean gabn_cli_parse (const char *command, const char *parameter_string,
                         const char *summary, GOptionEntry *entries,
                         int *argc, char ***argv);

/* Prints "gabn COMMAND: message" to stderr and returns exit code 1. */
int gabn_cli_fail (const char *command, const GError *error);

G_END_DECLS
