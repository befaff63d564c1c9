/*  test_wire - the hot-path JSON parser and writer: same trees as cJSON on
    valid input, strict where cJSON is lax, numbers that read back exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "wire.h"

//  Parses text with both parsers; the trees must be equal.
static void
s_same_as_cjson (wire_arena_t *arena, const char *text)
{
    char err [ERR_LEN];
    const cJSON *ours = wire_parse (arena, text, strlen (text), err);
    cJSON *theirs = cJSON_Parse (text);
    if (!ours)
        fail_msg ("rejected valid %s: %s", text, err);
    assert_non_null (theirs);
    if (!cJSON_Compare (ours, theirs, true))
        fail_msg ("different tree for %s", text);
    //  And what we write parses back to the same tree.
    wire_buffer_t out = { 0 };
    assert_int_equal (wire_write (&out, ours), 0);
    cJSON *again = cJSON_Parse (out.data);
    if (!cJSON_Compare (again, theirs, true))
        fail_msg ("%s written as %s", text, out.data);
    cJSON_Delete (again);
    cJSON_Delete (theirs);
    wire_buffer_free (&out);
    wire_arena_reset (arena);
}

static void
test_valid_documents (void **state)
{
    (void) state;
    wire_arena_t *arena = wire_arena_new ();
    static const char *const docs [] = {
        "{}", "[]", "0", "-0", "1", "-1", "3.25", "1e3", "1E-3", "-2.5e+10", "123456789012345678",
        "0.1", "1.7976931348623157e308", "5e-324", "12345678901234567890123", "0.30000000000000004",
        "\"\"", "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u20ac\\ud83d\\ude00\"", "\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
        "true", "false", "null", " \t\r\n{ \"a\" : [ 1 , 2 , { \"b\" : null } ] } \n",
        "{\"args\":{\"symbol\":\"AAPL\",\"price\":100.25,\"seq\":7,\"pad\":\"xx\"},\"workflow_id\":\"w_1\"}",
        "[[[[[[[[[[1]]]]]]]]]]", "{\"\":{\"\":[]}}", "[-0.0, 0e0, 1.0e-0]",
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs [0]; i++)
        s_same_as_cjson (arena, docs [i]);
    //  A repeated key is kept twice, in order, as cJSON does (cJSON_Compare
    //  cannot compare such objects, so look at the members).
    char err [ERR_LEN];
    const cJSON *twice = wire_parse (arena, "{\"a\":1,\"a\":2}", 13, err);
    assert_int_equal (cJSON_GetArraySize (twice), 2);
    assert_string_equal (twice->child->string, "a");
    assert_int_equal (twice->child->next->valueint, 2);
    wire_arena_destroy (&arena);
}

static void
test_strict_rejections (void **state)
{
    (void) state;
    wire_arena_t *arena = wire_arena_new ();
    static const struct { const char *text; size_t len; const char *why; } bad [] = {
        { "", 0, "unexpected end" }, { "   ", 3, "unexpected end" },
        { "{", 1, "expected a string key" }, { "[1,", 3, "unexpected end" }, { "[1 2]", 5, "expected ',' or ']'" },
        { "{\"a\" 1}", 7, "expected ':'" }, { "{\"a\":1,}", 8, "expected a string key" }, { "[1,]", 4, "unexpected character" },
        { "01", 2, "data after the value" }, { "1.", 2, "invalid number" }, { ".5", 2, "unexpected character" },
        { "-", 1, "invalid number" }, { "1e", 2, "invalid number" }, { "+1", 2, "unexpected character" },
        { "tru", 3, "invalid literal" }, { "nul", 3, "invalid literal" }, { "{} x", 4, "data after the value" },
        { "\"abc", 4, "unterminated string" }, { "\"a\\x\"", 5, "invalid escape" }, { "\"\\u12\"", 6, "invalid \\u escape" },
        { "\"\\ud800\"", 8, "unpaired surrogate" }, { "\"\\udc00\"", 8, "unpaired surrogate" },
        { "\"a\x01" "b\"", 5, "raw control character" }, { "\"a\0b\"", 5, "raw control character" },
        { "\"\xff\"", 3, "invalid UTF-8" }, { "\"\xc0\xaf\"", 4, "invalid UTF-8" },        //  overlong
        { "\"\xed\xa0\x80\"", 5, "invalid UTF-8" },                                       //  encoded surrogate
        { "\"\xf4\x90\x80\x80\"", 6, "invalid UTF-8" },                                   //  past U+10FFFF
        { "\x01{}", 3, "unexpected character" }, { "{}\x0b", 3, "data after the value" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char err [ERR_LEN] = "";
        if (wire_parse (arena, bad [i].text, bad [i].len, err))
            fail_msg ("accepted bad input #%zu", i);
        if (!strstr (err, bad [i].why))
            fail_msg ("bad input #%zu: expected \"%s\", got \"%s\"", i, bad [i].why, err);
        assert_non_null (strstr (err, " at byte "));
        wire_arena_reset (arena);
    }
    //  Nesting deeper than 1000 is refused, as cJSON does.
    char deep [2100];
    memset (deep, '[', 1001);
    memset (deep + 1001, ']', 1001);
    char err [ERR_LEN];
    assert_null (wire_parse (arena, deep, 2002, err));
    assert_non_null (strstr (err, "nested too deep"));
    assert_non_null (wire_parse (arena, deep + 1, 2000, err));      //  1000 deep is fine
    wire_arena_destroy (&arena);
}

//  Every double we write reads back as the same double.
static void
test_numbers_read_back_exactly (void **state)
{
    (void) state;
    uint64_t x = 88172645463325252ULL;
    wire_buffer_t out = { 0 };
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        double value;
        switch (i % 4) {
            case 0: memcpy (&value, &x, sizeof value); break;                //  any bit pattern
            case 1: value = (double) (int64_t) (x % 2000000001) / 100.0; break; //  prices
            case 2: value = (double) (x % 1000000) / 1000.0 - 500; break;
            default: value = ldexp ((double) (x >> 11), (int) (x % 200) - 100);
        }
        if (!isfinite (value))
            continue;
        cJSON number = { .type = cJSON_Number, .valuedouble = value };
        out.len = 0;
        assert_int_equal (wire_write (&out, &number), 0);
        double back = strtod (out.data, NULL);
        if (back != value)
            fail_msg ("%.17g written as %s reads back as %.17g", value, out.data, back);
    }
    //  The exact path gives the short forms people expect.
    static const struct { double value; const char *text; } forms [] = {
        { 100.25, "100.25" }, { -3, "-3" }, { 0.1, "0.1" }, { 0.0025, "0.0025" }, { 1e21, "1e+21" },
        { 123456789012345.0, "123456789012345" }, { -0.5, "-0.5" }, { 0, "0" },
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms [0]; i++) {
        cJSON number = { .type = cJSON_Number, .valuedouble = forms [i].value };
        out.len = 0;
        wire_write (&out, &number);
        assert_string_equal (out.data, forms [i].text);
    }
    cJSON nan_number = { .type = cJSON_Number, .valuedouble = NAN };
    out.len = 0;
    wire_write (&out, &nan_number);
    assert_string_equal (out.data, "null");
    wire_buffer_free (&out);
}

static void
test_strings_escaped (void **state)
{
    (void) state;
    wire_buffer_t out = { 0 };
    assert_int_equal (wire_write_string (&out, "a\"b\\c\n\x01\xc3\xa9"), 0);
    assert_string_equal (out.data, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    wire_buffer_free (&out);
}

//  Values parsed into the arena are ordinary cJSON: the cJSON API reads them.
static void
test_arena_values_are_cjson (void **state)
{
    (void) state;
    wire_arena_t *arena = wire_arena_new ();
    char err [ERR_LEN];
    const char *text = "{\"args\":{\"n\":42,\"list\":[1,2,3],\"s\":\"x\"},\"workflow_id\":\"w\"}";
    for (int round = 0; round < 3; round++) {
        const cJSON *root = wire_parse (arena, text, strlen (text), err);
        assert_non_null (root);
        const cJSON *args = cJSON_GetObjectItemCaseSensitive (root, "args");
        assert_int_equal (cJSON_GetObjectItem (args, "n")->valueint, 42);
        assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (args, "list")), 3);
        //  cJSON keeps the last child in child->prev; so do we.
        const cJSON *list = cJSON_GetObjectItem (args, "list");
        assert_int_equal (list->child->prev->valueint, 3);
        cJSON *copy = cJSON_Duplicate (args, true);             //  how a handler keeps a part
        wire_arena_reset (arena);
        assert_int_equal (cJSON_GetObjectItem (copy, "n")->valueint, 42);
        cJSON_Delete (copy);
    }
    //  A document larger than a chunk.
    size_t big = 300000;
    char *large = malloc (big + 3);
    large [0] = '"';
    memset (large + 1, 'z', big);
    large [big + 1] = '"';
    const cJSON *value = wire_parse (arena, large, big + 2, err);
    assert_non_null (value);
    assert_int_equal (strlen (value->valuestring), big);
    free (large);
    wire_arena_destroy (&arena);
}

//  Mutated documents: the parser never crashes or reads out of bounds
//  (run under ASan in CI), and whatever it accepts, cJSON accepts too, as
//  the same tree (it is the stricter of the two).
static void
test_mutations_against_cjson (void **state)
{
    (void) state;
    static const char *const seeds [] = {
        "{\"args\":{\"symbol\":\"AAPL\",\"price\":100.25,\"seq\":7,\"tags\":[\"a\",\"b\"]},\"workflow_id\":\"w_1\"}",
        "{\"epoch\":\"e\",\"seq\":12,\"is_snapshot\":false,\"state\":{\"k1\":{\"v\":3,\"w\":null},\"k2\":-1.5e-3}}",
        "[1,-2.5,3e10,true,false,null,\"\\u00e9\\n\",{\"\":[]}]",
        "{\"s\":\"h\xc3\xa9llo \\\"q\\\" \\\\ \\ud83d\\ude00\"}",
    };
    wire_arena_t *arena = wire_arena_new ();
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    char text [512];
    int accepted = 0;
    for (int round = 0; round < 100000; round++) {
        const char *seed = seeds [round % 4];
        size_t len = strlen (seed);
        memcpy (text, seed, len);
        int mutations = 1 + round % 3;
        for (int m = 0; m < mutations && len > 1; m++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            size_t at = x % len;
            unsigned char byte = (unsigned char) (x >> 32);
            switch ((x >> 40) % 4) {
                case 0: text [at] = (char) byte; break;                                 //  replace
                case 1: if (len < sizeof text - 1) {                                      //  insert
                            memmove (text + at + 1, text + at, len - at);
                            text [at] = (char) byte;
                            len++;
                        }
                        break;
                case 2: memmove (text + at, text + at + 1, len - at - 1); len--; break;  //  delete
                default: len = at + 1;                                                    //  truncate
            }
        }
        //  Exactly `len` bytes, in their own allocation, so ASan sees a read past them.
        char *exact = malloc (len);
        memcpy (exact, text, len);
        char err [ERR_LEN];
        const cJSON *ours = wire_parse (arena, exact, len, err);
        if (ours) {
            accepted++;
            cJSON *theirs = cJSON_ParseWithLength (exact, len);
            if (!theirs)
                fail_msg ("accepted what cJSON rejects: %.*s", (int) len, exact);
            //  cJSON_Compare cannot compare objects with a repeated key.
            if (!cJSON_Compare (ours, theirs, true)) {
                char *a = cJSON_PrintUnformatted (ours), *b = cJSON_PrintUnformatted (theirs);
                if (strcmp (a, b))
                    fail_msg ("%.*s parsed as %s, cJSON has %s", (int) len, exact, a, b);
                free (a);
                free (b);
            }
            cJSON_Delete (theirs);
        }
        else
            assert_non_null (strstr (err, " at byte "));
        free (exact);
        wire_arena_reset (arena);
    }
    print_message ("%d of 100000 mutated documents were still valid JSON\n", accepted);
    assert_true (accepted > 1000);
    wire_arena_destroy (&arena);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_valid_documents),
        cmocka_unit_test (test_strict_rejections),
        cmocka_unit_test (test_numbers_read_back_exactly),
        cmocka_unit_test (test_strings_escaped),
        cmocka_unit_test (test_arena_values_are_cjson),
        cmocka_unit_test (test_mutations_against_cjson),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
