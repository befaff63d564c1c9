/*  test_json.c - json: parsing with line:column errors, files, type names, printing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "json.h"

//  Parses text (as a C string) and checks the error, or success when
//  `expected` is NULL.
static void
s_expect (const char *text, const char *expected)
{
    char err [ERR_LEN] = "(untouched)";
    cJSON *value = json_parse (text, strlen (text), "f.json", err);
    if (!expected) {
        if (!value)
            fail_msg ("parsing <%s>: unexpected error: %s", text, err);
        assert_string_equal (err, "(untouched)");
        cJSON_Delete (value);
        return;
    }
    if (value) {
        cJSON_Delete (value);
        fail_msg ("parsing <%s>: succeeded, expected: %s", text, expected);
    }
    if (strcmp (err, expected) != 0)
        fail_msg ("parsing <%s>:\n  got      %s\n  expected %s", text, err, expected);
}

//  Writes content to a fresh temp file; returns its path (free it).
static char *
s_temp_file (const char *content)
{
    char *path = strdup ("/tmp/test_json_XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    size_t len = strlen (content);
    assert_int_equal (write (fd, content, len), (ssize_t) len);
    close (fd);
    return path;
}

static void
test_parse_values (void **state)
{
    (void) state;
    const char *text = "{\"a\": [1, 2.5, \"x\", true, null], \"b\": {}}";
    char err [ERR_LEN];
    cJSON *value = json_parse (text, strlen (text), "t", err);
    assert_non_null (value);
    const cJSON *list = cJSON_GetObjectItem (value, "a");
    assert_int_equal (cJSON_GetArraySize (list), 5);
    assert_int_equal (cJSON_GetArrayItem (list, 0)->valueint, 1);
    assert_true (cJSON_GetArrayItem (list, 1)->valuedouble == 2.5);
    assert_string_equal (cJSON_GetArrayItem (list, 2)->valuestring, "x");
    assert_true (cJSON_IsTrue (cJSON_GetArrayItem (list, 3)));
    assert_true (cJSON_IsNull (cJSON_GetArrayItem (list, 4)));
    assert_true (cJSON_IsObject (cJSON_GetObjectItem (value, "b")));
    cJSON_Delete (value);

    s_expect ("12", NULL);
    s_expect ("\"text\"", NULL);
    s_expect ("null", NULL);
    s_expect ("  \n {\"a\": 1}\n\n  \t", NULL);     //  white space around the value
    s_expect ("\xEF\xBB\xBF{\"a\": 1}", NULL);      //  UTF-8 byte order mark
}

//  Only `len` bytes count: the text need not end with a NUL, and what lies
//  beyond len must not be read as garbage.
static void
test_parse_length_bounded (void **state)
{
    (void) state;
    const char buffer [] = { '[', '1', ',', '2', ']', 'x', 'y', 'z' };
    char err [ERR_LEN];
    cJSON *value = json_parse (buffer, 5, "buf", err);
    assert_non_null (value);
    assert_int_equal (cJSON_GetArraySize (value), 2);
    cJSON_Delete (value);

    //  Cut inside the value: the end of input is at len, not at the buffer's end.
    assert_null (json_parse (buffer, 4, "buf", err));
    assert_string_equal (err, "buf:1:5: invalid JSON (unexpected end of input)");

    //  A NUL inside len after the value is garbage, not an end.
    const char with_nul [] = "{}\0{}";
    assert_null (json_parse (with_nul, 5, "buf", err));
    assert_string_equal (err, "buf:1:3: invalid JSON (unexpected byte 0x00 after the value)");
}

static void
test_parse_empty (void **state)
{
    (void) state;
    s_expect ("", "f.json:1:1: invalid JSON (empty)");
    s_expect ("   \n\n  ", "f.json:3:3: invalid JSON (empty)");
    char err [ERR_LEN];
    assert_null (json_parse (NULL, 0, "none", err));
    assert_string_equal (err, "none:1:1: invalid JSON (empty)");
    //  Without a name, errors still say where.
    assert_null (json_parse ("[", 1, NULL, err));
    assert_string_equal (err, "<text>:1:2: invalid JSON (unexpected end of input)");
}

static void
test_parse_error_location (void **state)
{
    (void) state;
    //  Line 3, after the first two lines: the column counts from that line.
    s_expect ("{\n  \"a\": 1,\n  \"b\": tru\n}", "f.json:3:8: invalid JSON (unexpected 'tru')");
    //  The most common config mistake, a trailing comma, points at the '}'.
    s_expect ("{\n  \"a\": 1,\n  \"b\": 2,\n}", "f.json:4:1: invalid JSON (unexpected '}')");
    s_expect ("{\"a\": 1,}", "f.json:1:9: invalid JSON (unexpected '}')");
    s_expect ("[1, 2,]", "f.json:1:7: invalid JSON (unexpected ']')");
    s_expect ("{,}", "f.json:1:2: invalid JSON (unexpected ',')");
    s_expect ("{1: 2}", "f.json:1:2: invalid JSON (unexpected '1')");
    s_expect ("{'a': 1}", "f.json:1:2: invalid JSON (unexpected \"'\")");
    s_expect ("{\"a\" 1}", "f.json:1:6: invalid JSON (unexpected '1')");
    s_expect ("{\"a\": }", "f.json:1:7: invalid JSON (unexpected '}')");
    s_expect ("[1.2.3]", "f.json:1:5: invalid JSON (unexpected '.3')");
    s_expect ("nul", "f.json:1:1: invalid JSON (unexpected 'nul')");
    s_expect ("[\x7f]", "f.json:1:2: invalid JSON (unexpected byte 0x7f)");
    //  Columns count characters: "é" is two bytes but one column.
    s_expect ("{\"\xC3\xA9\": x}", "f.json:1:7: invalid JSON (unexpected 'x')");
}

static void
test_parse_end_of_input (void **state)
{
    (void) state;
    s_expect ("[1, 2", "f.json:1:6: invalid JSON (unexpected end of input)");
    s_expect ("{\"a\": 1,\n", "f.json:2:1: invalid JSON (unexpected end of input)");
    s_expect ("{\"a\":", "f.json:1:6: invalid JSON (unexpected end of input)");
}

static void
test_parse_strings (void **state)
{
    (void) state;
    //  An unterminated string is reported where it opens.
    s_expect ("{\"a\": \"abc}", "f.json:1:7: invalid JSON (unterminated string)");
    s_expect ("\"", "f.json:1:1: invalid JSON (unterminated string)");
    s_expect ("[\"a\\qb\"]", "f.json:1:4: invalid JSON (invalid escape '\\q')");
    s_expect ("\"\\q\"", "f.json:1:2: invalid JSON (invalid escape '\\q')");
    s_expect ("[\"\\u12\"]", "f.json:1:3: invalid JSON (invalid escape '\\u')");
    s_expect ("[\"a\\\"b\", \"\\u00e9\"]", NULL);
}

//  I-JSON (RFC 7493): \u0000 and duplicate keys are errors at their place.
static void
test_parse_ijson (void **state)
{
    (void) state;
    s_expect ("{\"id\": \"wf\\u0000evil\"}", "f.json:1:11: invalid JSON (\\u0000 in a string)");
    s_expect ("{\n  \"reason\\u0000x\": 1\n}", "f.json:2:10: invalid JSON (\\u0000 in a string)");
    s_expect ("[\"\\\\u0000\"]", NULL);                  //  an escaped backslash, then text
    s_expect ("{\n  \"port\": 1,\n  \"name\": \"x\",\n  \"port\": 2\n}",
              "f.json:4:3: invalid JSON (duplicate key \"port\")");
    //  The first repeat in the text, nested or not; equal once decoded.
    s_expect ("{\"a\": {\"b\": [{\"c\": 1, \"c\": 2}]}, \"a\": 3}",
              "f.json:1:23: invalid JSON (duplicate key \"c\")");
    s_expect ("{\"x\": \"{\\\"k\\\": 1}\", \"a\": 1, \"\\u0061\": 2}",
              "f.json:1:29: invalid JSON (duplicate key \"a\")");
    s_expect ("[{\"a\": 1}, {\"a\": 1, \"b\": {}, \"b\": []}]",
              "f.json:1:30: invalid JSON (duplicate key \"b\")");
    s_expect ("{\"a\": 1, \"b\": {\"a\": 2}}", NULL);
}

static void
test_parse_trailing_garbage (void **state)
{
    (void) state;
    s_expect ("{} x", "f.json:1:4: invalid JSON (unexpected 'x' after the value)");
    s_expect ("{\"a\": 1}\n\n  }", "f.json:3:3: invalid JSON (unexpected '}' after the value)");
    s_expect ("1 2", "f.json:1:3: invalid JSON (unexpected '2' after the value)");
    s_expect ("[] []", "f.json:1:4: invalid JSON (unexpected '[' after the value)");
}

static void
test_parse_too_deep (void **state)
{
    (void) state;
    char text [1200];
    memset (text, '[', 1100);
    text [1100] = '\0';
    s_expect (text, "f.json:1:1001: invalid JSON (nested deeper than 1000 levels)");
}

static void
test_load_file (void **state)
{
    (void) state;
    char err [ERR_LEN] = "(untouched)";
    char *path = s_temp_file ("{\n  \"port\": 5555,\n  \"name\": \"x\"\n}\n");
    cJSON *value = json_load_file (path, err);
    assert_non_null (value);
    assert_int_equal (cJSON_GetObjectItem (value, "port")->valueint, 5555);
    assert_string_equal (err, "(untouched)");
    cJSON_Delete (value);
    unlink (path);
    free (path);

    //  A syntax error names the file, line and column.
    path = s_temp_file ("{\n  \"port\": 5555\n  \"name\": \"x\"\n}\n");
    assert_null (json_load_file (path, err));
    char expected [ERR_LEN];
    snprintf (expected, sizeof expected, "%s:3:3: invalid JSON (unexpected '\"')", path);
    assert_string_equal (err, expected);
    unlink (path);
    free (path);

    path = s_temp_file ("");
    assert_null (json_load_file (path, err));
    snprintf (expected, sizeof expected, "%s:1:1: invalid JSON (empty)", path);
    assert_string_equal (err, expected);
    unlink (path);
    free (path);
}

static void
test_load_file_errors (void **state)
{
    (void) state;
    char err [ERR_LEN];
    assert_null (json_load_file ("/nonexistent/addresses.json", err));
    assert_string_equal (err, "/nonexistent/addresses.json: cannot read: No such file or directory");
    assert_null (json_load_file ("/tmp", err));
    assert_string_equal (err, "/tmp: cannot read: Is a directory");
}

//  A file larger than the first read chunk is read whole.
static void
test_load_large_file (void **state)
{
    (void) state;
    size_t count = 5000;
    char *text = malloc (count * 4 + 8);
    size_t len = 0;
    text [len++] = '[';
    for (size_t index = 0; index < count; index++)
        len += (size_t) sprintf (text + len, "%s7", index ? "," : "");
    text [len++] = ']';
    text [len] = '\0';
    char *path = s_temp_file (text);
    char err [ERR_LEN];
    cJSON *value = json_load_file (path, err);
    assert_non_null (value);
    assert_int_equal (cJSON_GetArraySize (value), (int) count);
    cJSON_Delete (value);
    unlink (path);
    free (path);
    free (text);
}

static void
test_type_name (void **state)
{
    (void) state;
    const char *texts [] = { "{}", "[]", "\"s\"", "1.5", "true", "false", "null" };
    const char *names [] = { "object", "array", "string", "number", "boolean", "boolean", "null" };
    for (size_t index = 0; index < sizeof texts / sizeof texts [0]; index++) {
        cJSON *value = cJSON_Parse (texts [index]);
        assert_string_equal (json_type_name (value), names [index]);
        cJSON_Delete (value);
    }
    assert_string_equal (json_type_name (NULL), "nothing");
}

static void
test_print (void **state)
{
    (void) state;
    cJSON *value = cJSON_Parse ("{ \"a\" : [ 1, 2 ],\n \"b\" : \"x y\" }");
    char *text = json_print (value);
    assert_string_equal (text, "{\"a\":[1,2],\"b\":\"x y\"}");
    cJSON_free (text);
    cJSON_Delete (value);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse_values),
        cmocka_unit_test (test_parse_length_bounded),
        cmocka_unit_test (test_parse_empty),
        cmocka_unit_test (test_parse_error_location),
        cmocka_unit_test (test_parse_end_of_input),
        cmocka_unit_test (test_parse_strings),
        cmocka_unit_test (test_parse_trailing_garbage),
        cmocka_unit_test (test_parse_ijson),
        cmocka_unit_test (test_parse_too_deep),
        cmocka_unit_test (test_load_file),
        cmocka_unit_test (test_load_file_errors),
        cmocka_unit_test (test_load_large_file),
        cmocka_unit_test (test_type_name),
        cmocka_unit_test (test_print),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
