/* test-cli-data.c: `gabn info` and `gabn synth`, run as a user would.
 *   test-cli-data olivetti GABN  — info on the shared Olivetti faces
 *                                  (exit 77, skipped, when they are absent)
 *   test-cli-data synth GABN     — synth, then info on what it wrote; synth
 *                                  refuses a non-empty folder */
#include "data-fixtures.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>

static const char *gabn;

static int
run (const char *const *args, char **out, char **err)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *argv = g_ptr_array_new ();
  int status = -1;

  g_ptr_array_add (argv, (gpointer) gabn);
  for (int i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, out, err,
                &status, &error);
  g_assert_no_error (error);
  g_ptr_array_free (argv, TRUE);
  return g_spawn_check_wait_status (status, NULL) ? 0 : (WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

static JsonObject *
info_json (const char *dataset, JsonParser *parser)
{
  const char *args[] = { "info", "--json", dataset, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (run (args, &out, &err), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static int
test_olivetti (void)
{
  g_autofree char *path = fixture_olivetti ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *o;
  JsonArray *groups;

  o = info_json (path, parser);
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, "generic");
  groups = json_object_get_array_member (o, "groups");
  g_assert_cmpint (json_array_get_length (groups), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (groups, 0), "identities"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (groups, 0), "images"), ==, 400);
  g_assert_cmpint (json_object_get_int_member (o, "identities"), ==, 40);
  g_assert_cmpint (json_object_get_int_member (o, "images"), ==, 400);
  g_assert_cmpint (json_object_get_int_member (o, "pairs"), ==, 0);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "skipped")), ==, 0);
  return 0;
}

static int
test_synth (void)
{
  g_autofree char *tmp = g_dir_make_tmp ("gabn-test-cli-XXXXXX", NULL);
  g_autofree char *out_dir = g_build_filename (tmp, "faces", NULL);
  g_autofree char *user_dir = g_build_filename (tmp, "mine", NULL);
  g_autofree char *user_file = g_build_filename (user_dir, "keep.txt", NULL);
  g_autofree char *readme = g_build_filename (out_dir, "README.txt", NULL);
  g_autofree char *kept = NULL, *text = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *synth[] = { "synth", "--out", out_dir, "--preset", "imbalanced", "--identities", "10",
                          "--images", "3", "--size", "32", "--seed", "4", NULL };
  const char *refused[] = { "synth", "--out", user_dir, "--identities", "3", "--images", "2", NULL };
  const char *bad_preset[] = { "synth", "--out", user_dir, "--preset", "nope", NULL };
  const char *wrong[] = { "info", user_dir, NULL };
  JsonObject *o;
  JsonArray *groups;

  g_assert_cmpint (run (synth, NULL, NULL), ==, 0);
  o = info_json (out_dir, parser);
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, "generic");
  groups = json_object_get_array_member (o, "groups");
  g_assert_cmpint (json_array_get_length (groups), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (groups, 0), "name"), ==, "Group A");
  /* imbalanced, 10 per group: 2 held out everywhere; 8 training in A,
   * 6 in B (0.8), 1 in C and D (0.15). */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (groups, 0), "identities"), ==, 10);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (groups, 1), "identities"), ==, 8);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (groups, 2), "identities"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (o, "images"), ==, (10 + 8 + 3 + 3) * 3);
  g_assert_cmpint (json_object_get_int_member (o, "pairs"), >, 0);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (o, "skipped")), ==, 0);
  g_assert_true (g_file_get_contents (readme, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "imbalanced"));
  g_assert_nonnull (strstr (text, "seed 4"));

  /* The built-in generator, without a folder. */
  {
    g_autoptr(JsonParser) p2 = json_parser_new ();
    JsonObject *mem = info_json ("synth:balanced,identities=5,images=2", p2);
    g_assert_cmpstr (json_object_get_string_member (mem, "format"), ==, "synthetic");
    g_assert_cmpint (json_object_get_int_member (mem, "identities"), ==, 20);
    g_assert_cmpint (json_object_get_int_member (mem, "images"), ==, 40);
  }

  /* A folder with a user's file: refused, the file untouched. */
  fixture_text (user_file, "precious");
  g_assert_cmpint (run (refused, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "not empty"));
  g_assert_true (g_file_get_contents (user_file, &kept, NULL, NULL));
  g_assert_cmpstr (kept, ==, "precious");
  g_assert_cmpint (run (bad_preset, NULL, NULL), ==, 2);
  /* Not a dataset: a clear error, exit 1. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run (wrong, NULL, &err), ==, 1);
  g_assert_nonnull (strstr (err, "looked for"));

  fixture_remove (tmp);
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc != 3)
    {
      g_printerr ("usage: test-cli-data olivetti|synth GABN\n");
      return 2;
    }
  gabn = argv[2];
  if (g_str_equal (argv[1], "olivetti"))
    return test_olivetti ();
  return test_synth ();
}
