/*  test_config.c - config: loading the file, command-line overrides, validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"

//  Writes content to a fresh temp file; returns its path (free it).
static char *
s_temp_file (const char *content)
{
    char *path = strdup ("/tmp/test_config_XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    size_t len = strlen (content);
    assert_int_equal (write (fd, content, len), (ssize_t) len);
    close (fd);
    return path;
}

static void
s_remove (char **path_p)
{
    unlink (*path_p);
    free (*path_p);
    *path_p = NULL;
}

//  The config model used below, as a plugin would declare it.
static type_t *
s_model (void)
{
    cJSON *model = cJSON_Parse (
        "{\"required\": {\"port\": \"int\", \"name\": \"str\"},"
        " \"optional\": {\"rate\": \"float\", \"verbose\": \"bool\", \"tags\": [\"str\"],"
        "               \"limits\": {\"*\": \"int\"}, \"extra\": \"dict\", \"items\": \"list\","
        "               \"blob\": \"any\"}}");
    assert_non_null (model);
    char err [ERR_LEN];
    type_t *type = type_compile_args (cJSON_GetObjectItem (model, "required"),
                                      cJSON_GetObjectItem (model, "optional"),
                                      "models: config_model", err);
    cJSON_Delete (model);
    assert_non_null (type);
    return type;
}

//  Prints value compactly into out, for whole-config comparisons.
static void
s_print (const cJSON *value, char *out, size_t size)
{
    char *text = cJSON_PrintUnformatted (value);
    snprintf (out, size, "%s", text ? text : "(null)");
    cJSON_free (text);
}

static void
test_load (void **state)
{
    (void) state;
    char err [ERR_LEN] = "(untouched)";
    cJSON *config = config_load (NULL, err);        //  no -c: empty
    assert_true (cJSON_IsObject (config));
    assert_null (config->child);
    cJSON_Delete (config);

    char *path = s_temp_file ("{\n  \"port\": 5555,\n  \"name\": \"svc\"\n}\n");
    config = config_load (path, err);
    assert_non_null (config);
    assert_int_equal (cJSON_GetObjectItem (config, "port")->valueint, 5555);
    assert_string_equal (cJSON_GetObjectItem (config, "name")->valuestring, "svc");
    assert_string_equal (err, "(untouched)");
    cJSON_Delete (config);
    s_remove (&path);
}

static void
test_load_errors (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char expected [ERR_LEN];
    assert_null (config_load ("/nonexistent/config.json", err));
    assert_string_equal (err, "/nonexistent/config.json: cannot read: No such file or directory");

    //  A syntax error on line 3 names the file, line and column.
    char *path = s_temp_file ("{\n  \"port\": 5555,\n  \"name\": svc\n}\n");
    assert_null (config_load (path, err));
    snprintf (expected, sizeof expected, "%s:3:11: invalid JSON (unexpected 'svc')", path);
    assert_string_equal (err, expected);
    s_remove (&path);

    path = s_temp_file ("[1, 2]");
    assert_null (config_load (path, err));
    snprintf (expected, sizeof expected, "%s: config must be a JSON object, got array", path);
    assert_string_equal (err, expected);
    s_remove (&path);

    path = s_temp_file ("\"port\"");
    assert_null (config_load (path, err));
    snprintf (expected, sizeof expected, "%s: config must be a JSON object, got string", path);
    assert_string_equal (err, expected);
    s_remove (&path);

    path = s_temp_file ("\n");
    assert_null (config_load (path, err));
    snprintf (expected, sizeof expected, "%s:2:1: invalid JSON (empty)", path);
    assert_string_equal (err, expected);
    s_remove (&path);
}

//  Every declared type: the text becomes a value of that type.
static void
test_overrides_converted (void **state)
{
    (void) state;
    type_t *model = s_model ();
    cJSON *config = cJSON_CreateObject ();
    cJSON *overrides = cJSON_Parse (
        "{\"port\": \"12\", \"name\": \"7\", \"rate\": \"2.5\", \"verbose\": \"yes\","
        " \"tags\": \"[\\\"a\\\", \\\"b\\\"]\", \"limits\": \"{\\\"cpu\\\": 2}\","
        " \"extra\": \"{\\\"k\\\": null}\", \"items\": \"[1, {}]\", \"blob\": \"plain text\"}");
    char err [ERR_LEN] = "(untouched)";
    assert_int_equal (config_apply_overrides (config, overrides, model, err), 0);
    assert_string_equal (err, "(untouched)");
    char printed [ERR_LEN];
    s_print (config, printed, sizeof printed);
    assert_string_equal (printed,
        "{\"port\":12,\"name\":\"7\",\"rate\":2.5,\"verbose\":true,\"tags\":[\"a\",\"b\"],"
        "\"limits\":{\"cpu\":2},\"extra\":{\"k\":null},\"items\":[1,{}],\"blob\":\"plain text\"}");
    assert_int_equal (config_validate (config, model, "svc.json", err), 0);
    cJSON_Delete (overrides);
    cJSON_Delete (config);
    type_destroy (&model);
}

static void
s_override_fails (const char *key, const char *text, const char *expected)
{
    type_t *model = s_model ();
    cJSON *config = cJSON_CreateObject ();
    cJSON *overrides = cJSON_CreateObject ();
    cJSON_AddStringToObject (overrides, key, text);
    char err [ERR_LEN] = "";
    int rc = config_apply_overrides (config, overrides, model, err);
    cJSON_Delete (overrides);
    cJSON_Delete (config);
    type_destroy (&model);
    assert_int_equal (rc, -1);
    assert_string_equal (err, expected);
}

static void
test_overrides_errors (void **state)
{
    (void) state;
    s_override_fails ("port", "12x", "command line --port: expected int, got \"12x\"");
    s_override_fails ("port", "1.5", "command line --port: expected int, got \"1.5\"");
    s_override_fails ("rate", "fast", "command line --rate: expected float, got \"fast\"");
    s_override_fails ("verbose", "maybe", "command line --verbose: expected bool, got \"maybe\"");
    s_override_fails ("tags", "a,b", "command line --tags: expected list, got \"a,b\"");
    s_override_fails ("tags", "[\"a\", 1]", "command line --tags: item '[1]': expected str, got number 1");
    s_override_fails ("limits", "{\"cpu\": \"2\"}",
                      "command line --limits: key 'cpu': expected int, got string");
    s_override_fails ("extra", "[]", "command line --extra: expected dict, got array");
    s_override_fails ("items", "{}", "command line --items: expected list, got object");
}

//  The file gives defaults, the command line wins; what neither touches stays.
static void
test_merge_order (void **state)
{
    (void) state;
    type_t *model = s_model ();
    char *path = s_temp_file ("{\"port\": 1, \"name\": \"from-file\", \"rate\": 0.5}");
    char err [ERR_LEN];
    cJSON *config = config_load (path, err);
    assert_non_null (config);
    cJSON *overrides = cJSON_Parse ("{\"port\": \"8080\", \"verbose\": \"false\"}");
    assert_int_equal (config_apply_overrides (config, overrides, model, err), 0);
    assert_int_equal (config_validate (config, model, "svc.json", err), 0);
    char printed [ERR_LEN];
    s_print (config, printed, sizeof printed);
    assert_string_equal (printed, "{\"port\":8080,\"name\":\"from-file\",\"rate\":0.5,\"verbose\":false}");
    cJSON_Delete (overrides);
    cJSON_Delete (config);
    s_remove (&path);

    //  A wrong value in the file is mended by the command line.
    path = s_temp_file ("{\"port\": \"eighty\", \"name\": \"x\"}");
    config = config_load (path, err);
    assert_int_equal (config_validate (config, model, "svc.json", err), -1);
    assert_string_equal (err, "svc.json: config: key 'port': expected int, got string");
    overrides = cJSON_Parse ("{\"port\": \"80\"}");
    assert_int_equal (config_apply_overrides (config, overrides, model, err), 0);
    assert_int_equal (config_validate (config, model, "svc.json", err), 0);
    assert_int_equal (cJSON_GetObjectItem (config, "port")->valueint, 80);
    cJSON_Delete (overrides);
    cJSON_Delete (config);
    s_remove (&path);
    type_destroy (&model);
}

//  A key the model does not declare is kept as text, so validation names it.
static void
test_overrides_undeclared (void **state)
{
    (void) state;
    type_t *model = s_model ();
    cJSON *config = cJSON_Parse ("{\"port\": 1, \"name\": \"n\"}");
    cJSON *overrides = cJSON_Parse ("{\"colour\": \"12\"}");
    char err [ERR_LEN];
    assert_int_equal (config_apply_overrides (config, overrides, model, err), 0);
    assert_string_equal (cJSON_GetObjectItem (config, "colour")->valuestring, "12");
    assert_int_equal (config_validate (config, model, "svc.json", err), -1);
    assert_string_equal (err, "svc.json: config: unknown key 'colour'");
    cJSON_Delete (overrides);
    cJSON_Delete (config);
    type_destroy (&model);

    //  Without a model every value stays text.
    config = cJSON_CreateObject ();
    overrides = cJSON_Parse ("{\"n\": \"12\", \"flag\": \"true\"}");
    assert_int_equal (config_apply_overrides (config, overrides, NULL, err), 0);
    assert_string_equal (cJSON_GetObjectItem (config, "n")->valuestring, "12");
    assert_string_equal (cJSON_GetObjectItem (config, "flag")->valuestring, "true");
    cJSON_Delete (overrides);
    cJSON_Delete (config);

    //  ... but a key the model declares is taken, however it is spelled.
    model = s_model ();
    config = cJSON_Parse ("{\"port\": 1}");
    overrides = cJSON_Parse ("{\"name\": \"n\"}");
    assert_int_equal (config_apply_overrides (config, overrides, model, err), 0);
    cJSON_Delete (overrides);
    cJSON_Delete (config);
    type_destroy (&model);

    //  A key spelled like an svcfw option is a slip, not a config key:
    //  the error names the option meant (--cl DEBUG, -cL DEBUG, --log x).
    const char *slips [][2] = { { "cl", "-cl" }, { "cL", "-cl" }, { "log", "-l" }, { "S", "-s" } };
    for (size_t i = 0; i < sizeof slips / sizeof slips [0]; i++) {
        model = s_model ();
        config = cJSON_Parse ("{\"port\": 1, \"name\": \"n\"}");
        overrides = cJSON_CreateObject ();
        cJSON_AddStringToObject (overrides, slips [i][0], "DEBUG");
        assert_int_equal (config_apply_overrides (config, overrides, model, err), -1);
        char expected [ERR_LEN];
        snprintf (expected, sizeof expected, "did you mean the svcfw option %s?", slips [i][1]);
        if (!strstr (err, expected) || !strstr (err, slips [i][0]))
            fail_msg ("--%s: expected \"%s\" in: %s", slips [i][0], expected, err);
        cJSON_Delete (overrides);
        cJSON_Delete (config);
        type_destroy (&model);
    }

    //  No overrides at all (no command-line pairs): nothing changes.
    config = cJSON_Parse ("{\"a\": 1}");
    assert_int_equal (config_apply_overrides (config, NULL, NULL, err), 0);
    assert_int_equal (cJSON_GetArraySize (config), 1);
    cJSON_Delete (config);
}

static void
test_validate (void **state)
{
    (void) state;
    type_t *model = s_model ();
    char err [ERR_LEN] = "(untouched)";
    cJSON *config = cJSON_Parse ("{\"port\": 1, \"name\": \"n\", \"limits\": {\"cpu\": 2}}");
    assert_int_equal (config_validate (config, model, "svc.json", err), 0);
    assert_string_equal (err, "(untouched)");
    cJSON_Delete (config);

    config = cJSON_Parse ("{\"name\": \"n\"}");
    assert_int_equal (config_validate (config, model, "svc.json", err), -1);
    assert_string_equal (err, "svc.json: config: missing required key 'port'");
    cJSON_Delete (config);

    config = cJSON_Parse ("{\"port\": 1, \"name\": \"n\", \"limits\": {\"cpu\": 2.5}}");
    assert_int_equal (config_validate (config, model, "svc.json", err), -1);
    assert_string_equal (err, "svc.json: config: key 'limits.cpu': expected int, got number 2.5");
    cJSON_Delete (config);

    config = cJSON_Parse ("[]");
    assert_int_equal (config_validate (config, model, "svc.json", err), -1);
    assert_string_equal (err, "svc.json: config: expected object, got array");
    cJSON_Delete (config);
    type_destroy (&model);
}

//  A service without config_model takes no config at all.
static void
test_validate_without_model (void **state)
{
    (void) state;
    char err [ERR_LEN] = "(untouched)";
    cJSON *config = cJSON_CreateObject ();
    assert_int_equal (config_validate (config, NULL, NULL, err), 0);
    assert_string_equal (err, "(untouched)");
    cJSON_AddNumberToObject (config, "x", 1);
    assert_int_equal (config_validate (config, NULL, NULL, err), -1);
    assert_string_equal (err, "config (no -c given): unknown key 'x' (the service declares no config_model)");
    cJSON_Delete (config);

    config = cJSON_CreateArray ();
    assert_int_equal (config_validate (config, NULL, NULL, err), -1);
    assert_string_equal (err, "config (no -c given): expected object, got array");
    cJSON_Delete (config);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_load),
        cmocka_unit_test (test_load_errors),
        cmocka_unit_test (test_overrides_converted),
        cmocka_unit_test (test_overrides_errors),
        cmocka_unit_test (test_merge_order),
        cmocka_unit_test (test_overrides_undeclared),
        cmocka_unit_test (test_validate),
        cmocka_unit_test (test_validate_without_model),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
