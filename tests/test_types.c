/*  test_types.c - types: compiling specs, validating values, converting CLI text, describing. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "types.h"

//  Compiles a spec written as JSON text; fails the test on a compile error.
static type_t *
s_compile (const char *spec_text)
{
    cJSON *spec = cJSON_Parse (spec_text);
    if (!spec)
        fail_msg ("bad test spec <%s>", spec_text);
    char err [ERR_LEN];
    type_t *type = type_compile (spec, "t", err);
    cJSON_Delete (spec);
    if (!type)
        fail_msg ("compiling <%s>: %s", spec_text, err);
    return type;
}

//  Compiles an argument model from {"required_arguments": ..., "optional_arguments": ...}.
static type_t *
s_compile_args (const char *model_text)
{
    cJSON *model = cJSON_Parse (model_text);
    if (!model)
        fail_msg ("bad test model <%s>", model_text);
    char err [ERR_LEN];
    type_t *type = type_compile_args (cJSON_GetObjectItem (model, "required_arguments"),
                                      cJSON_GetObjectItem (model, "optional_arguments"),
                                      "m", err);
    cJSON_Delete (model);
    if (!type)
        fail_msg ("compiling <%s>: %s", model_text, err);
    return type;
}

//  type_each_fn: writes each member as JSON text to `arg` (a char [4096]):
//  the key as given, or (NULL) the item's own key written by cJSON.
static int
s_each_write (void *arg, const cJSON *item, const char *key_text, size_t key_len)
{
    char *out = arg;
    size_t len = strlen (out);
    if (len > 1)
        out [len++] = ',';
    if (key_text) {
        memcpy (out + len, key_text, key_len);
        len += key_len;
    }
    else {
        cJSON *key = cJSON_CreateString (item->string);
        char *text = cJSON_PrintUnformatted (key);
        len += (size_t) sprintf (out + len, "%s:", text);
        cJSON_free (text);
        cJSON_Delete (key);
    }
    char *value = cJSON_PrintUnformatted (item);
    sprintf (out + len, "%s", value);
    cJSON_free (value);
    return 0;
}

//  type_validate_each must judge as type_validate does, with the same
//  words, and (when it accepts) give every member in order, so that what
//  its fn writes reads back as the value.
static void
s_check_each (const type_t *type, const cJSON *value, int rc, const char *err)
{
    char out [4096] = "{";
    char each_err [ERR_LEN] = "(untouched)";
    int each_rc = type_validate_each (type, value, s_each_write, out, each_err);
    if (each_rc == -1 && rc == 0 && strcmp (each_err, "expected an object type") == 0)
        return;                 //  not an object type: the writers do not use it
    assert_int_equal (each_rc, rc);
    if (rc) {
        assert_string_equal (each_err, err);
        return;
    }
    assert_string_equal (each_err, "(untouched)");
    strcat (out, "}");
    cJSON *back = cJSON_Parse (out);
    if (!back || !cJSON_Compare (back, value, true))
        fail_msg ("type_validate_each wrote %s", out);
    cJSON_Delete (back);
}

//  Validates value_text against type: success when `expected` is NULL,
//  else that exact error. type_validate_each must agree.
static void
s_check (const type_t *type, const char *value_text, const char *expected)
{
    cJSON *value = cJSON_Parse (value_text);
    if (!value)
        fail_msg ("bad test value <%s>", value_text);
    char err [ERR_LEN] = "(untouched)";
    int rc = type_validate (type, value, err);
    s_check_each (type, value, rc, err);
    cJSON_Delete (value);
    char *describe = type_describe (type);
    char message [ERR_LEN * 2] = "";
    if (!expected && rc != 0)
        snprintf (message, sizeof message, "%s rejects %s: %s", describe, value_text, err);
    else
    if (!expected && strcmp (err, "(untouched)") != 0)
        snprintf (message, sizeof message, "%s accepts %s but wrote err", describe, value_text);
    else
    if (expected && rc == 0)
        snprintf (message, sizeof message, "%s accepts %s", describe, value_text);
    else
    if (expected && strcmp (err, expected) != 0)
        snprintf (message, sizeof message, "%s on %s:\n  got      %s\n  expected %s",
                  describe, value_text, err, expected);
    free (describe);
    if (message [0])
        fail_msg ("%s", message);
}

//  The same for a spec given as text.
static void
s_check_spec (const char *spec_text, const char *value_text, const char *expected)
{
    type_t *type = s_compile (spec_text);
    s_check (type, value_text, expected);
    type_destroy (&type);
}

//  Compiles a bad spec and checks the exact error.
static void
s_compile_fails (const char *spec_text, const char *expected)
{
    cJSON *spec = cJSON_Parse (spec_text);
    if (!spec)
        fail_msg ("bad test spec <%s>", spec_text);
    char err [ERR_LEN] = "";
    type_t *type = type_compile (spec, "WHERE", err);
    cJSON_Delete (spec);
    if (type) {
        type_destroy (&type);
        fail_msg ("compiling <%s> succeeded, expected: %s", spec_text, expected);
    }
    if (strcmp (err, expected) != 0)
        fail_msg ("compiling <%s>:\n  got      %s\n  expected %s", spec_text, err, expected);
}

static void
s_compile_args_fails (const char *model_text, const char *expected)
{
    cJSON *model = cJSON_Parse (model_text);
    if (!model)
        fail_msg ("bad test model <%s>", model_text);
    char err [ERR_LEN] = "";
    type_t *type = type_compile_args (cJSON_GetObjectItem (model, "required_arguments"),
                                      cJSON_GetObjectItem (model, "optional_arguments"),
                                      "WHERE", err);
    cJSON_Delete (model);
    if (type) {
        type_destroy (&type);
        fail_msg ("compiling <%s> succeeded, expected: %s", model_text, expected);
    }
    if (strcmp (err, expected) != 0)
        fail_msg ("compiling <%s>:\n  got      %s\n  expected %s", model_text, err, expected);
}

//  ---------------------------------------------------------------------------

static void
test_basic_str (void **state)
{
    (void) state;
    s_check_spec ("\"str\"", "\"\"", NULL);
    s_check_spec ("\"str\"", "\"hello\"", NULL);
    s_check_spec ("\"str\"", "12", "expected str, got number 12");
    s_check_spec ("\"str\"", "null", "expected str, got null");
    s_check_spec ("\"str\"", "[\"a\"]", "expected str, got array");
}

static void
test_basic_int (void **state)
{
    (void) state;
    s_check_spec ("\"int\"", "0", NULL);
    s_check_spec ("\"int\"", "-3", NULL);
    s_check_spec ("\"int\"", "1e3", NULL);                    //  integral, however written
    //  "int" is a C int: a handler reads valueint, which cannot hold more.
    s_check_spec ("\"int\"", "2147483647", NULL);
    s_check_spec ("\"int\"", "-2147483648", NULL);
    s_check_spec ("\"int\"", "2147483648",
                  "expected int in -2147483648..2147483647, got number 2147483648");
    s_check_spec ("\"int\"", "-2147483649",
                  "expected int in -2147483648..2147483647, got number -2147483649");
    s_check_spec ("\"int\"", "-3e9", "expected int in -2147483648..2147483647, got number -3000000000");
    s_check_spec ("\"int\"", "3e9", "expected int in -2147483648..2147483647, got number 3000000000");
    s_check_spec ("{\"order_id\": \"int\"}", "{\"order_id\": -3000000000}",
                  "key 'order_id': expected int in -2147483648..2147483647, got number -3000000000");
    s_check_spec ("\"int\"", "9007199254740992",
                  "expected int in -2147483648..2147483647, got number 9007199254740992");
    s_check_spec ("\"int\"", "1.5", "expected int, got number 1.5");
    s_check_spec ("\"int\"", "\"12\"", "expected int, got string");
    s_check_spec ("\"int\"", "true", "expected int, got boolean");
    s_check_spec ("\"int\"", "null", "expected int, got null");
    s_check_spec ("\"int\"", "{}", "expected int, got object");
}

//  "int64": integral within +-2^53, exact in valuedouble.
static void
test_basic_int64 (void **state)
{
    (void) state;
    s_check_spec ("\"int64\"", "0", NULL);
    s_check_spec ("\"int64\"", "-3000000000", NULL);
    s_check_spec ("\"int64\"", "3000000000", NULL);
    s_check_spec ("\"int64\"", "9007199254740992", NULL);       //  2^53
    s_check_spec ("\"int64\"", "-9007199254740992", NULL);
    s_check_spec ("\"int64\"", "9007199254740994",
                  "expected int64 in -9007199254740992..9007199254740992 (2^53), got number 9007199254740994");
    s_check_spec ("\"int64\"", "1.5", "expected int64, got number 1.5");
    s_check_spec ("\"int64\"", "\"12\"", "expected int64, got string");
}

static void
test_basic_float (void **state)
{
    (void) state;
    s_check_spec ("\"float\"", "1.5", NULL);
    s_check_spec ("\"float\"", "2", NULL);                    //  float accepts integers
    s_check_spec ("\"float\"", "-2e-3", NULL);
    s_check_spec ("\"float\"", "\"1.5\"", "expected float, got string");
    s_check_spec ("\"float\"", "null", "expected float, got null");
    //  1e999 parses to infinity, which JSON cannot carry on.
    s_check_spec ("\"float\"", "1e999", "expected float, got number inf");
}

static void
test_basic_bool (void **state)
{
    (void) state;
    s_check_spec ("\"bool\"", "true", NULL);
    s_check_spec ("\"bool\"", "false", NULL);
    s_check_spec ("\"bool\"", "0", "expected bool, got number 0");
    s_check_spec ("\"bool\"", "\"true\"", "expected bool, got string");
    s_check_spec ("\"bool\"", "null", "expected bool, got null");
}

static void
test_basic_dict_list_any (void **state)
{
    (void) state;
    s_check_spec ("\"dict\"", "{}", NULL);
    s_check_spec ("\"dict\"", "{\"a\": [1, {\"b\": null}]}", NULL);
    s_check_spec ("\"dict\"", "[]", "expected dict, got array");
    s_check_spec ("\"dict\"", "null", "expected dict, got null");
    s_check_spec ("\"list\"", "[]", NULL);
    s_check_spec ("\"list\"", "[1, \"a\", null, {}]", NULL);
    s_check_spec ("\"list\"", "{}", "expected list, got object");
    s_check_spec ("\"list\"", "\"[]\"", "expected list, got string");
    const char *anything [] = { "null", "0", "1.5", "\"x\"", "true", "[]", "{\"a\": 1}" };
    for (size_t index = 0; index < sizeof anything / sizeof anything [0]; index++)
        s_check_spec ("\"any\"", anything [index], NULL);
}

static void
test_nested_object (void **state)
{
    (void) state;
    const char *spec = "{\"qty\": \"int\", \"sku\": \"str\"}";
    s_check_spec (spec, "{\"qty\": 2, \"sku\": \"A1\"}", NULL);
    s_check_spec (spec, "{\"sku\": \"A1\", \"qty\": 2}", NULL);
    //  Every key of a nested object is required, and no other is allowed.
    s_check_spec (spec, "{\"qty\": 2}", "missing required key 'sku'");
    s_check_spec (spec, "{\"qty\": 2, \"sku\": \"A1\", \"colour\": \"red\"}", "unknown key 'colour'");
    s_check_spec (spec, "{\"qty\": \"2\", \"sku\": \"A1\"}", "key 'qty': expected int, got string");
    s_check_spec (spec, "[2, \"A1\"]", "expected object, got array");
    s_check_spec ("{}", "{}", NULL);
    s_check_spec ("{}", "{\"a\": 1}", "unknown key 'a'");
    //  Keys are case-sensitive.
    s_check_spec (spec, "{\"QTY\": 2, \"sku\": \"A1\"}", "missing required key 'qty'");
}

static void
test_list_type (void **state)
{
    (void) state;
    s_check_spec ("[\"int\"]", "[]", NULL);
    s_check_spec ("[\"int\"]", "[1, 2, 3]", NULL);
    s_check_spec ("[\"int\"]", "[1, \"2\", 3]", "item '[1]': expected int, got string");
    s_check_spec ("[\"int\"]", "{}", "expected list, got object");
    s_check_spec ("[[\"str\"]]", "[[\"a\"], [\"b\", 3]]", "item '[1][1]': expected str, got number 3");
    s_check_spec ("[{\"qty\": \"int\"}]", "[{\"qty\": 1}, {\"qty\": 2}]", NULL);
    s_check_spec ("[{\"qty\": \"int\"}]", "[{\"qty\": 1}, {}]", "missing required key '[1].qty'");
}

static void
test_map_type (void **state)
{
    (void) state;
    const char *spec = "{\"*\": \"float\"}";
    s_check_spec (spec, "{}", NULL);
    s_check_spec (spec, "{\"AAPL\": 1.5, \"MSFT\": 2}", NULL);
    s_check_spec (spec, "{\"AAPL\": 1.5, \"MSFT\": \"2\"}", "key 'MSFT': expected float, got string");
    s_check_spec (spec, "[1.5]", "expected object, got array");
    s_check_spec ("{\"*\": [\"str\"]}", "{\"a\": [\"x\"], \"b\": [1]}", "key 'b[0]': expected str, got number 1");
}

//  The example of the header: a fault deep in a message names its whole path.
static void
test_nested_error_paths (void **state)
{
    (void) state;
    type_t *type = s_compile_args (
        "{\"required_arguments\": {\"order\": {\"items\": [{\"qty\": \"int\", \"sku\": \"str\"}],"
        "                                     \"price\": \"float\"},"
        "                          \"prices\": {\"*\": \"float\"}}}");
    s_check (type,
        "{\"order\": {\"items\": [{\"qty\": 1, \"sku\": \"a\"}, {\"qty\": 2, \"sku\": \"b\"},"
        "                       {\"qty\": \"3\", \"sku\": \"c\"}], \"price\": 9.5}, \"prices\": {}}",
        "key 'order.items[2].qty': expected int, got string");
    s_check (type, "{\"order\": {\"items\": []}, \"prices\": {}}",
             "missing required key 'order.price'");
    s_check (type, "{\"order\": {\"items\": [], \"price\": 1, \"colour\": \"red\"}, \"prices\": {}}",
             "unknown key 'order.colour'");
    s_check (type, "{\"order\": {\"items\": [{\"qty\": 1, \"sku\": \"a\", \"x\": 0}], \"price\": 1},"
                   " \"prices\": {}}",
             "unknown key 'order.items[0].x'");
    s_check (type, "{\"order\": {\"items\": [], \"price\": 1}, \"prices\": {\"AAPL\": true}}",
             "key 'prices.AAPL': expected float, got boolean");
    s_check (type, "{\"order\": {\"items\": [], \"price\": 1}, \"prices\": {\"AAPL\": 1}}", NULL);
    type_destroy (&type);
}

static void
test_args_model (void **state)
{
    (void) state;
    type_t *type = s_compile_args (
        "{\"required_arguments\": {\"price\": \"float\", \"id\": \"str\"},"
        " \"optional_arguments\": {\"note\": \"str\", \"tags\": [\"str\"]}}");
    s_check (type, "{\"price\": 1, \"id\": \"a\"}", NULL);
    s_check (type, "{\"price\": 1, \"id\": \"a\", \"note\": \"n\", \"tags\": [\"x\"]}", NULL);
    s_check (type, "{\"id\": \"a\"}", "missing required key 'price'");
    s_check (type, "{\"price\": 1, \"id\": \"a\", \"note\": 5}", "key 'note': expected str, got number 5");
    s_check (type, "{\"price\": 1, \"id\": \"a\", \"colour\": \"red\"}", "unknown key 'colour'");
    s_check (type, "[]", "expected object, got array");
    s_check (type, "null", "expected object, got null");
    //  A key written twice is checked every time, not only its first copy.
    s_check (type, "{\"price\": 1, \"id\": \"a\", \"price\": \"x\"}", "key 'price': expected float, got string");
    type_destroy (&type);

    //  Both sections absent: only {} is valid.
    char err [ERR_LEN];
    type = type_compile_args (NULL, NULL, "m", err);
    assert_non_null (type);
    s_check (type, "{}", NULL);
    s_check (type, "{\"a\": 1}", "unknown key 'a'");
    type_destroy (&type);

    //  Only optional keys: {} is valid too.
    type = s_compile_args ("{\"optional_arguments\": {\"n\": \"int\"}}");
    s_check (type, "{}", NULL);
    s_check (type, "{\"n\": 3}", NULL);
    type_destroy (&type);
}

//  "*" in the optional section lets any other key in, with that type.
static void
test_args_model_open (void **state)
{
    (void) state;
    type_t *type = s_compile_args (
        "{\"required_arguments\": {\"id\": \"int\"}, \"optional_arguments\": {\"*\": \"str\"}}");
    s_check (type, "{\"id\": 1}", NULL);
    s_check (type, "{\"id\": 1, \"colour\": \"red\", \"size\": \"L\"}", NULL);
    s_check (type, "{\"id\": 1, \"size\": 3}", "key 'size': expected str, got number 3");
    s_check (type, "{\"id\": \"1\"}", "key 'id': expected int, got string");
    s_check (type, "{\"colour\": \"red\"}", "missing required key 'id'");
    assert_non_null (type_member (type, "anything"));
    type_destroy (&type);
    s_compile_args_fails ("{\"optional_arguments\": {\"*\": \"str\", \"*\": \"int\"}}",
        "WHERE.optional_arguments: key \"*\" is declared twice");
    s_compile_args_fails ("{\"optional_arguments\": {\"*\": \"char\"}}",
        "WHERE.optional_arguments.*: unknown type \"char\"");
    s_compile_args_fails ("{\"required_arguments\": {\"*\": \"str\"}}",
        "WHERE.required_arguments: key \"*\" cannot be required "
        "(declare it optional to allow any other key)");
}

//  fn stopping the walk: -2, err untouched, no member after it given.
static int
s_each_stop_second (void *arg, const cJSON *item, const char *key_text, size_t key_len)
{
    (void) item;
    (void) key_text;
    (void) key_len;
    return ++*(int *) arg == 2;
}

static void
test_validate_each (void **state)
{
    (void) state;
    //  keys that need escapes are given escaped
    type_t *type = s_compile_args (
        "{\"required_arguments\": {\"a\\\"b\\\\c\\nd\": \"int\", \"plain\": \"str\"},"
        " \"optional_arguments\": {\"*\": \"float\"}}");
    s_check (type, "{\"plain\": \"p\", \"a\\\"b\\\\c\\nd\": 1, \"other\": 2.5}", NULL);
    s_check (type, "{\"plain\": \"p\", \"a\\\"b\\\\c\\nd\": 1.5}",
             "key 'a\"b\\c?d': expected int, got number 1.5");    //  one line: the control as '?'

    cJSON *value = cJSON_Parse ("{\"plain\": \"p\", \"a\\\"b\\\\c\\nd\": 1, \"other\": 2.5}");
    int calls = 0;
    char err [ERR_LEN] = "(untouched)";
    assert_int_equal (type_validate_each (type, value, s_each_stop_second, &calls, err), -2);
    assert_int_equal (calls, 2);
    assert_string_equal (err, "(untouched)");
    cJSON_Delete (value);
    //  not an object: the value's fault first, else the type's
    value = cJSON_Parse ("[1]");
    calls = 0;
    assert_int_equal (type_validate_each (type, value, s_each_stop_second, &calls, err), -1);
    assert_string_equal (err, "expected object, got array");
    assert_int_equal (calls, 0);
    cJSON_Delete (value);
    type_destroy (&type);
    type = s_compile ("\"int\"");
    value = cJSON_Parse ("3");
    assert_int_equal (type_validate_each (type, value, s_each_stop_second, &calls, err), -1);
    assert_string_equal (err, "expected an object type");
    assert_int_equal (calls, 0);
    cJSON_Delete (value);
    type_destroy (&type);
}

static void
test_compile_errors (void **state)
{
    (void) state;
    s_compile_fails ("\"decimal\"", "WHERE: unknown type \"decimal\"");
    s_compile_fails ("\"Int\"", "WHERE: unknown type \"Int\"");
    s_compile_fails ("{\"price\": \"decimal\"}", "WHERE.price: unknown type \"decimal\"");
    s_compile_fails ("{\"order\": {\"items\": [{\"qty\": \"integer\"}]}}",
                     "WHERE.order.items[0].qty: unknown type \"integer\"");
    s_compile_fails ("[]", "WHERE: a list type [TYPE] needs exactly one item type, got 0");
    s_compile_fails ("[\"int\", \"str\"]", "WHERE: a list type [TYPE] needs exactly one item type, got 2");
    s_compile_fails ("{\"tags\": []}", "WHERE.tags: a list type [TYPE] needs exactly one item type, got 0");
    s_compile_fails ("12", "WHERE: a type must be a type name, {KEY: TYPE} or [TYPE], got number");
    s_compile_fails ("null", "WHERE: a type must be a type name, {KEY: TYPE} or [TYPE], got null");
    s_compile_fails ("{\"ok\": true}", "WHERE.ok: a type must be a type name, {KEY: TYPE} or [TYPE], got boolean");
    s_compile_fails ("{\"*\": \"int\", \"x\": \"str\"}",
                     "WHERE: key \"x\" next to \"*\" (a map {\"*\": TYPE} takes no other keys)");
    s_compile_fails ("{\"x\": \"str\", \"*\": \"int\"}",
                     "WHERE: key \"x\" next to \"*\" (a map {\"*\": TYPE} takes no other keys)");
    s_compile_fails ("{\"*\": \"decimal\"}", "WHERE.*: unknown type \"decimal\"");
    s_compile_fails ("{\"a\": \"int\", \"a\": \"str\"}", "WHERE: key \"a\" is declared twice");
    s_compile_fails ("{\"*\": \"int\", \"*\": \"str\"}", "WHERE: key \"*\" is declared twice");
}

static void
test_compile_args_errors (void **state)
{
    (void) state;
    s_compile_args_fails ("{\"required_arguments\": {\"price\": \"decimal\"}}",
                          "WHERE.required_arguments.price: unknown type \"decimal\"");
    s_compile_args_fails ("{\"optional_arguments\": {\"tags\": [\"int\", \"str\"]}}",
                          "WHERE.optional_arguments.tags: a list type [TYPE] needs exactly one item type, got 2");
    s_compile_args_fails ("{\"required_arguments\": [\"price\"]}",
                          "WHERE.required_arguments: must be an object of KEY: TYPE, got array");
    s_compile_args_fails ("{\"optional_arguments\": \"str\"}",
                          "WHERE.optional_arguments: must be an object of KEY: TYPE, got string");
    s_compile_args_fails ("{\"required_arguments\": {\"price\": \"float\"},"
                          " \"optional_arguments\": {\"note\": \"str\", \"price\": \"int\"}}",
                          "WHERE: key \"price\" is in both required_arguments and optional_arguments");
    s_compile_args_fails ("{\"required_arguments\": {\"id\": \"str\", \"id\": \"str\"}}",
                          "WHERE.required_arguments: key \"id\" is declared twice");

    //  Sections that are not items of a model still get a name.
    cJSON *list = cJSON_CreateArray ();
    char err [ERR_LEN];
    assert_null (type_compile_args (list, NULL, "WHERE", err));
    assert_string_equal (err, "WHERE.required: must be an object of KEY: TYPE, got array");
    assert_null (type_compile_args (NULL, list, "WHERE", err));
    assert_string_equal (err, "WHERE.optional: must be an object of KEY: TYPE, got array");
    cJSON_Delete (list);
}

static void
test_member (void **state)
{
    (void) state;
    type_t *type = s_compile_args (
        "{\"required_arguments\": {\"n\": \"int\", \"order\": {\"qty\": \"int\"}},"
        " \"optional_arguments\": {\"prices\": {\"*\": \"float\"}}}");
    const type_t *n = type_member (type, "n");
    assert_non_null (n);
    char *text = type_describe (n);
    assert_string_equal (text, "int");
    free (text);
    assert_null (type_member (type, "missing"));
    assert_null (type_member (n, "x"));                      //  not an object type

    const type_t *order = type_member (type, "order");
    text = type_describe (type_member (order, "qty"));
    assert_string_equal (text, "int");
    free (text);
    assert_null (type_member (order, "other"));

    //  A map declares every key, with its value type.
    const type_t *prices = type_member (type, "prices");
    text = type_describe (type_member (prices, "ANY_KEY"));
    assert_string_equal (text, "float");
    free (text);
    assert_null (type_member (NULL, "n"));
    type_destroy (&type);
}

static void
s_describes (const char *spec_text, const char *expected)
{
    type_t *type = s_compile (spec_text);
    char *text = type_describe (type);
    assert_string_equal (text, expected);
    free (text);
    type_destroy (&type);
}

static void
test_describe (void **state)
{
    (void) state;
    s_describes ("\"int\"", "int");
    s_describes ("[\"int64\"]", "[int64]");
    s_describes ("\"any\"", "any");
    s_describes ("[\"str\"]", "[str]");
    s_describes ("{\"*\": \"float\"}", "{\"*\": float}");
    s_describes ("{\"qty\": \"int\", \"tags\": [\"str\"]}", "{\"qty\": int, \"tags\": [str]}");
    s_describes ("[{\"*\": [\"dict\"]}]", "[{\"*\": [dict]}]");
    s_describes ("{}", "{}");

    type_t *type = s_compile_args ("{\"required_arguments\": {\"id\": \"int\"},"
                                   " \"optional_arguments\": {\"note\": \"str\", \"*\": \"bool\"}}");
    char *text = type_describe (type);
    assert_string_equal (text, "{\"id\": int, \"note\"?: str, \"*\": bool}");
    free (text);
    type_destroy (&type);
}

//  Converts text with the type of spec_text (NULL: no type) and compares
//  the printed JSON result, or the exact error when `error` is set.
static void
s_converts (const char *spec_text, const char *text, const char *json, const char *error)
{
    type_t *type = spec_text ? s_compile (spec_text) : NULL;
    char err [ERR_LEN] = "(untouched)";
    cJSON *value = type_convert_text (type, text, err);
    type_destroy (&type);
    if (error) {
        if (value) {
            char *printed = cJSON_PrintUnformatted (value);
            char message [ERR_LEN];
            snprintf (message, sizeof message, "%s: <%s> converted to %s, expected: %s",
                      spec_text, text, printed, error);
            cJSON_free (printed);
            cJSON_Delete (value);
            fail_msg ("%s", message);
        }
        if (strcmp (err, error) != 0)
            fail_msg ("%s: <%s>:\n  got      %s\n  expected %s", spec_text, text, err, error);
        return;
    }
    if (!value)
        fail_msg ("%s: <%s> failed: %s", spec_text, text, err);
    char *printed = cJSON_PrintUnformatted (value);
    cJSON_Delete (value);
    int same = strcmp (printed, json) == 0;
    if (!same) {
        char message [ERR_LEN];
        snprintf (message, sizeof message, "%s: <%s> gave %s, expected %s", spec_text, text, printed, json);
        cJSON_free (printed);
        fail_msg ("%s", message);
    }
    cJSON_free (printed);
    assert_string_equal (err, "(untouched)");
}

static void
test_convert_scalars (void **state)
{
    (void) state;
    s_converts (NULL, "12", "\"12\"", NULL);                  //  no type: text
    s_converts ("\"str\"", "12", "\"12\"", NULL);
    s_converts ("\"str\"", "", "\"\"", NULL);

    s_converts ("\"int\"", "12", "12", NULL);
    s_converts ("\"int\"", "-3", "-3", NULL);
    s_converts ("\"int\"", "+4", "4", NULL);
    s_converts ("\"int\"", "2147483647", "2147483647", NULL);
    s_converts ("\"int\"", "2147483648", NULL, "expected int, got \"2147483648\"");
    s_converts ("\"int\"", "-3000000000", NULL, "expected int, got \"-3000000000\"");
    s_converts ("\"int64\"", "123456789012", "123456789012", NULL);
    //  2^53 is the largest; compared as a number, since cJSON prints
    //  numbers above 10^15 with only 15 significant digits.
    type_t *type = s_compile ("\"int64\"");
    char err [ERR_LEN];
    cJSON *value = type_convert_text (type, "-9007199254740992", err);
    assert_non_null (value);
    assert_true (value->valuedouble == -9007199254740992.0);
    cJSON_Delete (value);
    type_destroy (&type);
    s_converts ("\"int64\"", "9007199254740993", NULL, "expected int64, got \"9007199254740993\"");
    s_converts ("\"int\"", "12x", NULL, "expected int, got \"12x\"");
    s_converts ("\"int\"", "1.5", NULL, "expected int, got \"1.5\"");
    s_converts ("\"int\"", "", NULL, "expected int, got \"\"");
    s_converts ("\"int\"", " 12", NULL, "expected int, got \" 12\"");
    s_converts ("\"int\"", "-", NULL, "expected int, got \"-\"");
    s_converts ("\"int\"", "99999999999999999999999", NULL, "expected int, got \"99999999999999999999999\"");

    s_converts ("\"float\"", "1.5", "1.5", NULL);
    s_converts ("\"float\"", "2", "2", NULL);
    s_converts ("\"float\"", "-1e3", "-1000", NULL);
    s_converts ("\"float\"", ".5", "0.5", NULL);
    s_converts ("\"float\"", "abc", NULL, "expected float, got \"abc\"");
    s_converts ("\"float\"", "1.5x", NULL, "expected float, got \"1.5x\"");
    s_converts ("\"float\"", "nan", NULL, "expected float, got \"nan\"");
    s_converts ("\"float\"", "inf", NULL, "expected float, got \"inf\"");
    s_converts ("\"float\"", "0x10", NULL, "expected float, got \"0x10\"");
    s_converts ("\"float\"", "", NULL, "expected float, got \"\"");

    const char *truths [] = { "true", "TRUE", "1", "yes", "Yes" };
    const char *falsehoods [] = { "false", "False", "0", "no", "NO" };
    for (size_t index = 0; index < 5; index++) {
        s_converts ("\"bool\"", truths [index], "true", NULL);
        s_converts ("\"bool\"", falsehoods [index], "false", NULL);
    }
    s_converts ("\"bool\"", "maybe", NULL, "expected bool, got \"maybe\"");
    s_converts ("\"bool\"", "2", NULL, "expected bool, got \"2\"");
    //  The quoted text stays one line and shows what was typed.
    s_converts ("\"int\"", "a\"b\n", NULL, "expected int, got \"a\\\"b\\x0a\"");
}

static void
test_convert_structured (void **state)
{
    (void) state;
    s_converts ("\"list\"", "[1, \"a\"]", "[1,\"a\"]", NULL);
    s_converts ("\"list\"", "1,2", NULL, "expected list, got \"1,2\"");
    s_converts ("\"list\"", "{}", NULL, "expected list, got object");
    s_converts ("\"dict\"", "{\"a\": 1}", "{\"a\":1}", NULL);
    s_converts ("\"dict\"", "[1]", NULL, "expected dict, got array");
    s_converts ("\"dict\"", "a=1", NULL, "expected dict, got \"a=1\"");
    s_converts ("[\"int\"]", "[1, 2]", "[1,2]", NULL);
    s_converts ("[\"int\"]", "[1, \"x\"]", NULL, "item '[1]': expected int, got string");
    s_converts ("{\"qty\": \"int\"}", "{\"qty\": 3}", "{\"qty\":3}", NULL);
    s_converts ("{\"qty\": \"int\"}", "{}", NULL, "missing required key 'qty'");
    s_converts ("{\"*\": \"float\"}", "{\"a\": 1.5}", "{\"a\":1.5}", NULL);
    s_converts ("{\"*\": \"float\"}", "{\"a\": \"x\"}", NULL, "key 'a': expected float, got string");
}

static void
test_convert_any (void **state)
{
    (void) state;
    s_converts ("\"any\"", "12", "12", NULL);
    s_converts ("\"any\"", "true", "true", NULL);
    s_converts ("\"any\"", "null", "null", NULL);
    s_converts ("\"any\"", "{\"a\": [1]}", "{\"a\":[1]}", NULL);
    s_converts ("\"any\"", "\"quoted\"", "\"quoted\"", NULL);
    //  Not JSON: the text itself.
    s_converts ("\"any\"", "hello world", "\"hello world\"", NULL);
    s_converts ("\"any\"", "[1,", "\"[1,\"", NULL);
    s_converts ("\"any\"", "", "\"\"", NULL);
}

//  type_accepts on two type specs (or argument models, when they start with
//  {"required_arguments"): success when `expected` is NULL, else that error.
static void
s_accepts (const char *receiver_text, const char *sender_text, const char *expected)
{
    bool args = strstr (receiver_text, "_arguments") != NULL;
    type_t *receiver = args? s_compile_args (receiver_text): s_compile (receiver_text);
    type_t *sender = args? s_compile_args (sender_text): s_compile (sender_text);
    char err [ERR_LEN] = "";
    int rc = type_accepts (receiver, sender, err);
    if (expected) {
        if (rc != -1)
            fail_msg ("%s accepted %s", receiver_text, sender_text);
        assert_string_equal (err, expected);
    }
    else
    if (rc)
        fail_msg ("%s refused %s: %s", receiver_text, sender_text, err);
    type_destroy (&receiver);
    type_destroy (&sender);
}

static void
test_accepts (void **state)
{
    (void) state;
    //  Basic types: the same, wider numbers, any, dict and list.
    s_accepts ("\"str\"", "\"str\"", NULL);
    s_accepts ("\"float\"", "\"int\"", NULL);
    s_accepts ("\"float\"", "\"int64\"", NULL);
    s_accepts ("\"int64\"", "\"int\"", NULL);
    s_accepts ("\"any\"", "{\"a\": [\"int\"]}", NULL);
    s_accepts ("\"dict\"", "{\"a\": \"int\"}", NULL);
    s_accepts ("\"list\"", "[\"int\"]", NULL);
    s_accepts ("[\"any\"]", "\"list\"", NULL);
    s_accepts ("\"int\"", "\"float\"", "the receiver accepts int, the sender may send float");
    s_accepts ("\"int\"", "\"int64\"", "the receiver accepts int, the sender may send int64");
    s_accepts ("\"str\"", "\"any\"", "the receiver accepts str, the sender may send any");
    s_accepts ("[\"int\"]", "\"list\"", "the receiver accepts [int], the sender may send list");
    s_accepts ("{\"a\": \"int\"}", "\"dict\"", "key 'a': required, but the sender may omit it");
    //  Lists and maps, item by item.
    s_accepts ("[\"float\"]", "[\"int\"]", NULL);
    s_accepts ("{\"xs\": [\"int\"]}", "{\"xs\": [\"str\"]}",
               "key 'xs[]': the receiver accepts int, the sender may send str");
    s_accepts ("{\"*\": \"float\"}", "{\"*\": \"int\"}", NULL);
    s_accepts ("{\"*\": \"int\"}", "{\"a\": \"int\", \"b\": \"int\"}", NULL);
    s_accepts ("{\"*\": \"int\"}", "{\"a\": \"str\"}", "key 'a': the receiver accepts int, the sender may send str");
    s_accepts ("{\"a\": \"int\"}", "{\"*\": \"int\"}", "key 'a': required, but the sender may omit it");
    //  Argument models: required, optional, unknown keys, open models.
    s_accepts ("{\"required_arguments\": {\"id\": \"str\"}, \"optional_arguments\": {\"note\": \"str\"}}",
               "{\"required_arguments\": {\"id\": \"str\", \"note\": \"str\"}}", NULL);
    s_accepts ("{\"required_arguments\": {\"id\": \"str\", \"qty\": \"int\"}}",
               "{\"required_arguments\": {\"id\": \"str\"}, \"optional_arguments\": {\"qty\": \"int\"}}",
               "key 'qty': required, but the sender may omit it");
    s_accepts ("{\"required_arguments\": {\"id\": \"str\"}}",
               "{\"required_arguments\": {\"id\": \"str\"}, \"optional_arguments\": {\"colour\": \"str\"}}",
               "key 'colour': the sender may send it, the receiver accepts no such key");
    s_accepts ("{\"required_arguments\": {\"o\": {\"price\": \"float\"}}}",
               "{\"required_arguments\": {\"o\": {\"price\": \"str\"}}}",
               "key 'o.price': the receiver accepts float, the sender may send str");
    s_accepts ("{\"required_arguments\": {\"id\": \"str\"}, \"optional_arguments\": {\"*\": \"any\"}}",
               "{\"required_arguments\": {\"id\": \"str\"}, \"optional_arguments\": {\"x\": \"int\", \"*\": \"str\"}}", NULL);
    s_accepts ("{\"required_arguments\": {\"id\": \"str\"}}",
               "{\"required_arguments\": {\"id\": \"str\"}, \"optional_arguments\": {\"*\": \"str\"}}",
               "the sender may send any key, the receiver accepts only the keys it declares");
}

//  Members one by one, for the models' documentation.
static void
test_member_at (void **state)
{
    (void) state;
    type_t *type = s_compile_args ("{\"required_arguments\": {\"id\": \"str\"},"
                                   " \"optional_arguments\": {\"qty\": \"int\", \"*\": \"float\"}}");
    assert_int_equal (type_member_count (type), 2);
    const char *name = NULL;
    bool required = false;
    const type_t *member = type_member_at (type, 1, &name, &required);
    assert_string_equal (name, "qty");
    assert_false (required);
    char *text = type_describe (member);
    assert_string_equal (text, "int");
    free (text);
    assert_non_null (type_member_at (type, 0, &name, &required));
    assert_true (required);
    assert_null (type_member_at (type, 2, NULL, NULL));
    text = type_describe (type_other (type));
    assert_string_equal (text, "float");
    free (text);
    type_t *closed = s_compile ("{\"a\": \"int\"}");
    assert_null (type_other (closed));
    type_t *scalar = s_compile ("\"int\"");
    assert_int_equal (type_member_count (scalar), 0);
    type_destroy (&scalar);
    type_destroy (&closed);
    type_destroy (&type);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_accepts),
        cmocka_unit_test (test_member_at),
        cmocka_unit_test (test_basic_str),
        cmocka_unit_test (test_basic_int),
        cmocka_unit_test (test_basic_int64),
        cmocka_unit_test (test_basic_float),
        cmocka_unit_test (test_basic_bool),
        cmocka_unit_test (test_basic_dict_list_any),
        cmocka_unit_test (test_nested_object),
        cmocka_unit_test (test_list_type),
        cmocka_unit_test (test_map_type),
        cmocka_unit_test (test_nested_error_paths),
        cmocka_unit_test (test_args_model),
        cmocka_unit_test (test_args_model_open),
        cmocka_unit_test (test_validate_each),
        cmocka_unit_test (test_compile_errors),
        cmocka_unit_test (test_compile_args_errors),
        cmocka_unit_test (test_member),
        cmocka_unit_test (test_describe),
        cmocka_unit_test (test_convert_scalars),
        cmocka_unit_test (test_convert_structured),
        cmocka_unit_test (test_convert_any),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
