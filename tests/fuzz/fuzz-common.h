/* fuzz-common.h: what the libFuzzer harnesses share. A harness is one file
 * defining LLVMFuzzerTestOneInput; the engine's parsers read paths, so the
 * input goes to a file first. The same harness file is linked with
 * libFuzzer in the -Dfuzz=true build and with fuzz-replay.c (a plain main
 * that feeds it the seed corpus and the crash regressions) in every build.
 * Harnesses must not print: libFuzzer runs them millions of times. */
#pragma once

#include "gabn-engine.h"

#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* The input as a file (a memfd, named /proc/self/fd/N), rewritten on each
 * call; the path stays valid for the process. */
const char *fuzz_input_file (const uint8_t *data, size_t size);

/* A private folder for this process, created on first use and removed at
 * exit. */
const char *fuzz_tmp_dir (void);

/* Writes data to root/rel (making its folders); aborts on failure, which is
 * the harness's environment failing, not the parser. */
void fuzz_write (const char *root, const char *rel, const void *data, size_t size);

/* An empty file root/rel: the loaders only list image files, they do not
 * decode them. */
void fuzz_touch (const char *root, const char *rel);

/* Removes a folder and everything below it. */
void fuzz_remove_tree (const char *path);

G_END_DECLS
