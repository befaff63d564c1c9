/*  test_loader.c - loader: plugins built here at run time, loaded, checked and refused.

    The fixture plugins are written from the sources below into a fresh temp
    directory and built with the system C compiler against this tree's
    include/ directory (found from __FILE__, as tests/CMakeLists.txt passes no
    paths to unit tests). Without a compiler, every test is skipped.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "loader.h"

//  A full plugin: models, a handler, every hook. The hooks take the opaque
//  ctx as an int * here, so the test can see that the right function runs.
static const char *s_good_src =
    "#include \"svcfw.h\"\n"
    "SVCFW_PLUGIN ({\"connection_models\": {\"in\": {\"orders\": {\"connection_type\": \"replyer\",\n"
    "    \"required_creation_arguments\": {\"on_new_request\": \"on_order\"}}}, \"out\": {}}});\n"
    "int on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **ret) { (void) ctx; (void) args; (void) ret; return 42; }\n"
    "int on_other (svcfw_ctx *ctx, const cJSON *args, cJSON **ret) { (void) ctx; (void) args; (void) ret; return 43; }\n"
    "static int s_hidden (svcfw_ctx *ctx, const cJSON *a, cJSON **r) { (void) ctx; (void) a; (void) r; return 0; }\n"
    "__attribute__ ((visibility (\"hidden\"))) int on_hidden (svcfw_ctx *c, const cJSON *a, cJSON **r)\n"
    "    { return s_hidden (c, a, r); }\n"
    "int svcfw_setup_config (cJSON *config) { (void) config; return 11; }\n"
    "int svcfw_setup_addresses (cJSON *a, const cJSON *c) { (void) a; (void) c; return 12; }\n"
    "cJSON *svcfw_setup_connections (const cJSON *c) { (void) c; return (cJSON *) (unsigned long) 0x1300; }\n"
    "cJSON *svcfw_setup_states (const cJSON *c) { (void) c; return (cJSON *) (unsigned long) 0x1400; }\n"
    "int svcfw_init (svcfw_ctx *ctx) { *(int *) ctx = 15; return 0; }\n"
    "int svcfw_main (svcfw_ctx *ctx) { *(int *) ctx = 16; return 7; }\n"
    "void svcfw_sigint (svcfw_ctx *ctx, int signum) { *(int *) ctx = 1700 + signum; }\n";

//  The least a plugin can be: the two required symbols.
static const char *s_minimal_src =
    "#include \"svcfw.h\"\n"
    "SVCFW_PLUGIN ({\"connection_models\": {\"in\": {}, \"out\": {}}});\n";

//  Some hooks only.
static const char *s_some_hooks_src =
    "#include \"svcfw.h\"\n"
    "SVCFW_PLUGIN ({});\n"
    "int svcfw_init (svcfw_ctx *ctx) { (void) ctx; return 0; }\n"
    "cJSON *svcfw_setup_states (const cJSON *c) { (void) c; return 0; }\n";

static const char *s_no_abi_src =
    "__attribute__ ((visibility (\"default\"))) const char svcfw_models[] = \"{}\";\n";

static const char *s_bad_abi_src =
    "#include \"svcfw.h\"\n"
    "__attribute__ ((visibility (\"default\"))) const int svcfw_abi_version = SVCFW_ABI_VERSION + 98;\n"
    "__attribute__ ((visibility (\"default\"))) const char svcfw_models[] = \"{}\";\n";

static const char *s_no_models_src =
    "#include \"svcfw.h\"\n"
    "__attribute__ ((visibility (\"default\"))) const int svcfw_abi_version = SVCFW_ABI_VERSION;\n";

//  Needs a symbol nothing provides: RTLD_NOW must refuse it at load.
static const char *s_unresolved_src =
    "#include \"svcfw.h\"\n"
    "SVCFW_PLUGIN ({});\n"
    "extern int svcfw_test_no_such_symbol (int);\n"
    "int on_x (svcfw_ctx *c, const cJSON *a, cJSON **r) { (void) c; (void) a; (void) r;\n"
    "    return svcfw_test_no_such_symbol (1); }\n";

static const struct {
    const char *name;           //  output file name in the temp dir
    const char **source;
} s_fixtures [] = {
    { "good.so", &s_good_src },
    { "minimal.so", &s_minimal_src },
    { "some_hooks.so", &s_some_hooks_src },
    { "my.dotted.service.so", &s_minimal_src },
    { "noext", &s_minimal_src },
    { "no_abi.so", &s_no_abi_src },
    { "bad_abi.so", &s_bad_abi_src },
    { "no_models.so", &s_no_models_src },
    { "unresolved.so", &s_unresolved_src },
};
#define S_FIXTURE_COUNT (sizeof s_fixtures / sizeof s_fixtures [0])

static struct {
    bool have_cc;               //  a compiler was found and the fixtures built
    char dir [PATH_MAX];        //  the temp dir
} s_env;

//  Full path of a file in the temp dir, in a rotating static buffer.
static const char *
s_path (const char *name)
{
    static char paths [4][PATH_MAX + 64];
    static int next;
    char *path = paths [next++ % 4];
    snprintf (path, PATH_MAX + 64, "%s/%s", s_env.dir, name);
    return path;
}

static void
s_write (const char *path, const char *text)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (text, file);
    assert_int_equal (fclose (file), 0);
}

//  The first of $CC, cc, gcc, clang that runs, or NULL.
static const char *
s_compiler (void)
{
    static char found [256];
    const char *candidates [] = { getenv ("CC"), "cc", "gcc", "clang" };
    for (size_t i = 0; i < sizeof candidates / sizeof candidates [0]; i++) {
        if (!candidates [i] || !*candidates [i] || strlen (candidates [i]) > 200)
            continue;
        char command [300];
        snprintf (command, sizeof command, "%s --version >/dev/null 2>&1", candidates [i]);
        if (system (command) == 0) {
            snprintf (found, sizeof found, "%s", candidates [i]);
            return found;
        }
    }
    return NULL;
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_env.dir, sizeof s_env.dir, "/tmp/test_loader_XXXXXX");
    if (!mkdtemp (s_env.dir)) {
        perror ("mkdtemp");
        return -1;
    }
    const char *cc = s_compiler ();
    if (!cc)
        return 0;               //  every test skips

    //  This file is REPO/tests/test_loader.c; the public header is in REPO/include.
    char include [PATH_MAX];
    snprintf (include, sizeof include, "%s", __FILE__);
    if (include [0] != '/') {
        fprintf (stderr, "test_loader: __FILE__ is not absolute (%s)\n", __FILE__);
        return -1;
    }
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr (include, '/');
        if (!slash || slash == include)
            return -1;
        *slash = 0;
    }
    strcat (include, "/include");

    for (size_t i = 0; i < S_FIXTURE_COUNT; i++) {
        char source [PATH_MAX + 64], command [4 * PATH_MAX];
        snprintf (source, sizeof source, "%s/src_%zu.c", s_env.dir, i);
        s_write (source, *s_fixtures [i].source);
        snprintf (command, sizeof command, "%s -shared -fPIC -I'%s' -o '%s' '%s' 2>'%s/cc.log'",
                  cc, include, s_path (s_fixtures [i].name), source, s_env.dir);
        if (system (command) != 0) {
            fprintf (stderr, "test_loader: cannot build fixture %s with: %s\n", s_fixtures [i].name, command);
            snprintf (command, sizeof command, "cat '%s/cc.log' >&2; rm -rf '%s'", s_env.dir, s_env.dir);
            if (system (command) != 0)
                fprintf (stderr, "test_loader: cannot clean up %s\n", s_env.dir);
            return -1;
        }
        unlink (source);
    }
    unlink (s_path ("cc.log"));
    s_env.have_cc = true;
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    for (size_t i = 0; i < S_FIXTURE_COUNT; i++)
        unlink (s_path (s_fixtures [i].name));
    unlink (s_path ("not_elf.so"));
    unlink (s_path ("empty.so"));
    rmdir (s_env.dir);
    return 0;
}

#define S_NEED_CC() do { if (!s_env.have_cc) skip (); } while (0)

//  True if the file at path is mapped into this process (dlopen'ed, not closed).
static bool
s_mapped (const char *path)
{
    char real [PATH_MAX];
    if (!realpath (path, real))
        return false;
    FILE *maps = fopen ("/proc/self/maps", "r");
    if (!maps)
        return false;
    char line [PATH_MAX + 256];
    bool found = false;
    while (!found && fgets (line, sizeof line, maps)) {
        char *name = strchr (line, '/');
        if (name) {
            name [strcspn (name, "\n")] = 0;
            found = strcmp (name, real) == 0;
        }
    }
    fclose (maps);
    return found;
}

//  plugin_load must refuse path with an error "PATH: ..." containing every needle,
//  and leave nothing of the plugin loaded.
#define s_refuses(path, ...) s_refuses_ (path, __VA_ARGS__, NULL)
static void
s_refuses_ (const char *path, ...)
{
    char err [ERR_LEN] = "";
    plugin_t *plugin = plugin_load (path, err);
    if (plugin) {
        plugin_destroy (&plugin);
        fail_msg ("plugin %s loaded", path);
    }
    if (strncmp (err, path, strlen (path)) || strncmp (err + strlen (path), ": ", 2))
        fail_msg ("error <%s> does not start with \"%s: \"", err, path);
    assert_null (strchr (err, '\n'));
    va_list ap;
    va_start (ap, path);
    const char *needle;
    while ((needle = va_arg (ap, const char *)))
        if (!strstr (err, needle)) {
            va_end (ap);
            fail_msg ("error <%s> does not contain <%s>", err, needle);
        }
    va_end (ap);
    if (s_mapped (path))
        fail_msg ("%s is still loaded after plugin_load failed", path);
}

static void
test_cannot_load (void **state)
{
    (void) state;
    S_NEED_CC ();
    s_refuses (s_path ("missing.so"), "cannot load plugin", "missing.so");
    s_refuses ("/nonexistent-dir/x.so", "cannot load plugin");
    s_write (s_path ("not_elf.so"), "this is not a shared library\n");
    s_refuses (s_path ("not_elf.so"), "cannot load plugin");
    s_write (s_path ("empty.so"), "");
    s_refuses (s_path ("empty.so"), "cannot load plugin");
    s_refuses (s_env.dir, "cannot load plugin");                   //  a directory
    //  RTLD_NOW: an unresolved symbol fails at load, naming the symbol.
    s_refuses (s_path ("unresolved.so"), "cannot load plugin", "svcfw_test_no_such_symbol");
}

static void
test_bad_exports (void **state)
{
    (void) state;
    S_NEED_CC ();
    s_refuses (s_path ("no_abi.so"), "svcfw_abi_version");
    char versions [128];
    snprintf (versions, sizeof versions, "plugin ABI version %d, but this svcfw supports %d",
              SVCFW_ABI_VERSION + 98, SVCFW_ABI_VERSION);
    s_refuses (s_path ("bad_abi.so"), versions);
    s_refuses (s_path ("no_models.so"), "does not export svcfw_models");
}

static void
test_good_plugin (void **state)
{
    (void) state;
    S_NEED_CC ();
    char err [ERR_LEN] = "(untouched)";
    const char *path = s_path ("good.so");
    plugin_t *plugin = plugin_load (path, err);
    if (!plugin)
        fail_msg ("good.so refused: %s", err);
    assert_string_equal (err, "(untouched)");
    assert_true (s_mapped (path));
    assert_string_equal (plugin_name (plugin), "good");

    //  The models text is the plugin's svcfw_models, as JSON.
    const char *text = plugin_models_text (plugin);
    assert_non_null (text);
    cJSON *models = cJSON_Parse (text);
    if (!models)
        fail_msg ("models text is not JSON: <%s>", text);
    cJSON *expected = cJSON_Parse ("{\"connection_models\": {\"in\": {\"orders\": {\"connection_type\": \"replyer\","
                                   " \"required_creation_arguments\": {\"on_new_request\": \"on_order\"}}}, \"out\": {}}}");
    assert_true (cJSON_Compare (models, expected, true));
    cJSON_Delete (models);
    cJSON_Delete (expected);

    //  Handlers by name: exported ones only.
    svcfw_handler_fn *handler = plugin_handler (plugin, "on_order");
    assert_non_null (handler);
    assert_int_equal (handler (NULL, NULL, NULL), 42);
    handler = plugin_handler (plugin, "on_other");
    assert_non_null (handler);
    assert_int_equal (handler (NULL, NULL, NULL), 43);
    assert_null (plugin_handler (plugin, "on_missing"));
    assert_null (plugin_handler (plugin, "s_hidden"));
    assert_null (plugin_handler (plugin, "on_hidden"));
    assert_null (plugin_handler (plugin, ""));

    //  Every hook, and each is the plugin's own function.
    const plugin_hooks_t *hooks = plugin_hooks (plugin);
    assert_non_null (hooks);
    assert_ptr_equal (plugin_hooks (plugin), hooks);
    assert_non_null (hooks->setup_config);
    assert_int_equal (hooks->setup_config (NULL), 11);
    assert_non_null (hooks->setup_addresses);
    assert_int_equal (hooks->setup_addresses (NULL, NULL), 12);
    assert_non_null (hooks->setup_connections);
    assert_ptr_equal (hooks->setup_connections (NULL), (cJSON *) (uintptr_t) 0x1300);
    assert_non_null (hooks->setup_states);
    assert_ptr_equal (hooks->setup_states (NULL), (cJSON *) (uintptr_t) 0x1400);
    int seen = 0;
    assert_non_null (hooks->init);
    assert_int_equal (hooks->init ((svcfw_ctx *) &seen), 0);
    assert_int_equal (seen, 15);
    assert_non_null (hooks->main);
    assert_int_equal (hooks->main ((svcfw_ctx *) &seen), 7);
    assert_int_equal (seen, 16);
    assert_non_null (hooks->sigint);
    hooks->sigint ((svcfw_ctx *) &seen, 15);
    assert_int_equal (seen, 1715);

    plugin_destroy (&plugin);
    assert_null (plugin);
    assert_false (s_mapped (path));         //  closed
    plugin_destroy (&plugin);               //  NULL is fine
    plugin_destroy (NULL);
}

static void
test_hooks_absent (void **state)
{
    (void) state;
    S_NEED_CC ();
    char err [ERR_LEN];
    plugin_t *plugin = plugin_load (s_path ("minimal.so"), err);
    if (!plugin)
        fail_msg ("minimal.so refused: %s", err);
    assert_string_equal (plugin_name (plugin), "minimal");
    const plugin_hooks_t *hooks = plugin_hooks (plugin);
    assert_null (hooks->setup_config);
    assert_null (hooks->setup_addresses);
    assert_null (hooks->setup_connections);
    assert_null (hooks->setup_states);
    assert_null (hooks->init);
    assert_null (hooks->main);
    assert_null (hooks->sigint);
    assert_null (plugin_handler (plugin, "on_order"));
    //  Another plugin's symbols are not visible through this one (RTLD_LOCAL).
    plugin_t *good = plugin_load (s_path ("good.so"), err);
    assert_non_null (good);
    assert_null (plugin_handler (plugin, "on_order"));
    assert_null (plugin_hooks (plugin)->init);
    plugin_destroy (&good);
    plugin_destroy (&plugin);

    plugin = plugin_load (s_path ("some_hooks.so"), err);
    if (!plugin)
        fail_msg ("some_hooks.so refused: %s", err);
    hooks = plugin_hooks (plugin);
    assert_non_null (hooks->init);
    assert_non_null (hooks->setup_states);
    assert_null (hooks->setup_config);
    assert_null (hooks->setup_addresses);
    assert_null (hooks->setup_connections);
    assert_null (hooks->main);
    assert_null (hooks->sigint);
    assert_string_equal (plugin_models_text (plugin), "{}");
    plugin_destroy (&plugin);
}

static void
test_names (void **state)
{
    (void) state;
    S_NEED_CC ();
    char err [ERR_LEN];
    //  Only a final ".so" goes; other dots stay.
    plugin_t *plugin = plugin_load (s_path ("my.dotted.service.so"), err);
    if (!plugin)
        fail_msg ("refused: %s", err);
    assert_string_equal (plugin_name (plugin), "my.dotted.service");
    plugin_destroy (&plugin);
    plugin = plugin_load (s_path ("noext"), err);
    if (!plugin)
        fail_msg ("refused: %s", err);
    assert_string_equal (plugin_name (plugin), "noext");
    plugin_destroy (&plugin);
    //  A path with "." and ".." components.
    char dotted [PATH_MAX + 64];
    snprintf (dotted, sizeof dotted, "%s/./../%s/good.so", s_env.dir, strrchr (s_env.dir, '/') + 1);
    plugin = plugin_load (dotted, err);
    if (!plugin)
        fail_msg ("refused: %s", err);
    assert_string_equal (plugin_name (plugin), "good");
    plugin_destroy (&plugin);
}

//  `svcfw -s good.so` means the file good.so here, not a library search.
static void
test_bare_name (void **state)
{
    (void) state;
    S_NEED_CC ();
    char cwd [PATH_MAX];
    assert_non_null (getcwd (cwd, sizeof cwd));
    assert_int_equal (chdir (s_env.dir), 0);
    char err [ERR_LEN] = "";
    plugin_t *plugin = plugin_load ("good.so", err);
    plugin_t *system_lib = plugin_load ("libm.so.6", err);     //  in the library path, not here
    char system_err [ERR_LEN];
    snprintf (system_err, sizeof system_err, "%s", err);
    assert_int_equal (chdir (cwd), 0);

    if (!plugin)
        fail_msg ("bare good.so refused: %s", err);
    assert_string_equal (plugin_name (plugin), "good");
    assert_non_null (plugin_handler (plugin, "on_order"));
    plugin_destroy (&plugin);
    if (system_lib) {
        plugin_destroy (&system_lib);
        fail_msg ("a bare name was searched in the library path");
    }
    assert_non_null (strstr (system_err, "libm.so.6"));
    assert_non_null (strstr (system_err, "cannot load plugin"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_cannot_load),
        cmocka_unit_test (test_bad_exports),
        cmocka_unit_test (test_good_plugin),
        cmocka_unit_test (test_hooks_absent),
        cmocka_unit_test (test_names),
        cmocka_unit_test (test_bare_name),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
