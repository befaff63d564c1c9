/*  test_wire - the hot-path JSON parser and writer: same trees as cJSON on
    valid input, strict where cJSON is lax, numbers that read back exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <inttypes.h>
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

//  Strings of every length up to 80 with one byte that needs an escape
//  ('"', '\\', a control) or a UTF-8 sequence at every place, in plain runs
//  longer and shorter than a word and than the reader's short-string path:
//  written, then read back by cJSON and by wire_parse, the same string.
static void
test_written_strings_read_back (void **state)
{
    (void) state;
    const char specials [] = { '"', '\\', '\n', 1, 0x1f, 'x', (char) 0xc3 };
    char text [96];
    char err [ERR_LEN];
    wire_arena_t *arena = wire_arena_new ();
    for (int len = 0; len <= 80; len++)
        for (int at = 0; at < (len? len: 1); at++)
            for (size_t k = 0; k < sizeof specials; k++) {
                for (int i = 0; i < len; i++)
                    text [i] = (char) ('a' + i % 26);
                if (len)
                    text [at] = specials [k];
                if (len && (unsigned char) specials [k] == 0xc3) {
                    if (at + 1 >= len)
                        continue;
                    text [at + 1] = (char) 0xa9;        //  é
                }
                text [len] = 0;
                cJSON *item = cJSON_CreateString (text);
                wire_buffer_t out = { 0 };
                assert_int_equal (wire_write (&out, item), 0);
                cJSON *back = cJSON_Parse (out.data);
                if (!cJSON_IsString (back) || strcmp (back->valuestring, text) != 0)
                    fail_msg ("length %d, byte 0x%02x at %d: written as %s", len, specials [k], at, out.data);
                const cJSON *ours = wire_parse (arena, out.data, out.len, err);
                if (!cJSON_IsString (ours) || strcmp (ours->valuestring, text) != 0)
                    fail_msg ("length %d, byte 0x%02x at %d: %s read back wrong (%s)", len,
                              (unsigned char) specials [k], at, out.data, ours? "": err);
                wire_arena_reset (arena);
                cJSON_Delete (back);
                cJSON_Delete (item);
                wire_buffer_free (&out);
            }
    wire_arena_destroy (&arena);
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
    wire_arena_destroy (&arena);
}

//  I-JSON (RFC 7493): no \u0000 (a C string would end there: "wf\u0000evil"
//  would read as "wf", a key "reason\u0000x" as "reason") and no duplicate
//  key (cJSON reads the first, Python the last; a merge patch with one is
//  not idempotent).
static void
test_ijson_rejections (void **state)
{
    (void) state;
    wire_arena_t *arena = wire_arena_new ();
    static const struct { const char *text; const char *why; size_t at; } bad [] = {
        { "{\"workflow_id\":\"wf\\u0000evil\"}", "\\u0000 in a string", 18 },
        { "\"\\u0000\"", "\\u0000 in a string", 1 },
        { "{\"reason\\u0000x\":1}", "\\u0000 in a string", 8 },
        { "{\"a\":1,\"a\":2}", "duplicate key", 7 },
        { "{\"a\":1,\"b\":{\"c\":[],\"c\":null}}", "duplicate key", 19 },
        { "{\"a\":1,\"\\u0061\":2}", "duplicate key", 7 },              //  equal once decoded
        { "[{\"x\":1},{\"y\":1,\"y\":1}]", "duplicate key", 16 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char err [ERR_LEN] = "";
        if (wire_parse (arena, bad [i].text, strlen (bad [i].text), err))
            fail_msg ("accepted %s", bad [i].text);
        char expected [ERR_LEN];
        snprintf (expected, sizeof expected, "%s at byte %zu", bad [i].why, bad [i].at);
        if (strcmp (err, expected))
            fail_msg ("%s: expected \"%s\", got \"%s\"", bad [i].text, expected, err);
        wire_arena_reset (arena);
    }
    //  Other escapes of controls and keys that only share a prefix are fine.
    s_same_as_cjson (arena, "{\"a\":\"\\u0001\\u001f\",\"ab\":1,\"a\\u00e9\":2,\"b\":{\"a\":3}}");

    //  Many keys (past the linear scan, into the hash set): all distinct is
    //  fine; any one repeated is refused, wherever it is.
    char text [8192];
    for (int repeat = -1; repeat < 200; repeat += 7) {
        size_t len = 0;
        text [len++] = '{';
        for (int k = 0; k < 200; k++)
            len += (size_t) snprintf (text + len, sizeof text - len, "%s\"key%d\":%d", k? ",": "", k, k);
        if (repeat >= 0)
            len += (size_t) snprintf (text + len, sizeof text - len, ",\"key%d\":0", repeat);
        text [len++] = '}';
        char err [ERR_LEN] = "";
        const cJSON *value = wire_parse (arena, text, len, err);
        if (repeat < 0) {
            assert_non_null (value);
            assert_int_equal (cJSON_GetArraySize (value), 200);
            assert_int_equal (cJSON_GetObjectItem (value, "key199")->valueint, 199);
        }
        else {
            if (value || !strstr (err, "duplicate key"))
                fail_msg ("key%d repeated after 200 keys: %s", repeat, value? "accepted": err);
        }
        wire_arena_reset (arena);
    }
    //  A repeat among the first few keys of a big object.
    char err [ERR_LEN];
    const char *late = "{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,"
                             "\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,"
                             "\"k14\":14,\"k15\":15,\"k16\":16,\"k17\":17,\"k3\":0}";
    assert_null (wire_parse (arena, late, strlen (late), err));
    assert_string_equal (err, "duplicate key at byte 143");
    wire_arena_destroy (&arena);
}

//  True if a tree has an object with two equal keys.
static bool
s_has_duplicate (const cJSON *item)
{
    for (const cJSON *child = item->child; child; child = child->next) {
        if (cJSON_IsObject (item))
            for (const cJSON *earlier = item->child; earlier != child; earlier = earlier->next)
                if (strcmp (earlier->string, child->string) == 0)
                    return true;
        if (s_has_duplicate (child))
            return true;
    }
    return false;
}

//  True if text holds a \u0000 escape inside a string.
static bool
s_has_nul_escape (const char *text, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string)
            in_string = text [i] == '"';
        else if (text [i] == '"')
            in_string = false;
        else if (text [i] == '\\') {
            if (i + 5 < len && memcmp (text + i + 1, "u0000", 5) == 0)
                return true;
            i++;
        }
    }
    return false;
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
        { 9, "9" }, { 10, "10" }, { 0.025, "0.025" }, { 10.5, "10.5" }, { -0.0625, "-0.0625" },
        { 9007199254740991.0, "9007199254740991" },
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms [0]; i++) {
        cJSON number = { .type = cJSON_Number, .valuedouble = forms [i].value };
        out.len = 0;
        wire_write (&out, &number);
        assert_string_equal (out.data, forms [i].text);
    }
    //  Every digit count: the integers around each power of ten, and
    //  the same digits as a fraction.
    for (uint64_t ten = 1; ten <= 1000000000000000ULL; ten *= 10) {
        for (uint64_t whole = ten - 1; whole <= ten + 1; whole++) {
            char want [32];
            cJSON number = { .type = cJSON_Number, .valuedouble = (double) whole };
            out.len = 0;
            wire_write (&out, &number);
            snprintf (want, sizeof want, "%" PRIu64, whole);
            assert_string_equal (out.data, want);
            number.valuedouble = (double) whole / 1000;
            out.len = 0;
            wire_write (&out, &number);
            assert_true (strtod (out.data, NULL) == number.valuedouble);
        }
    }
    cJSON nan_number = { .type = cJSON_Number, .valuedouble = NAN };
    out.len = 0;
    wire_write (&out, &nan_number);
    assert_string_equal (out.data, "null");
    wire_buffer_free (&out);
}

//  Integers as text: every digit count, both signs, both ends of int64_t,
//  each appended after what the buffer held.
static void
test_integers_appended (void **state)
{
    (void) state;
    wire_buffer_t out = { 0 };
    char want [64];
    for (int digits = 1; digits <= 19; digits++) {
        int64_t value = 1;
        for (int i = 1; i < digits; i++)
            value *= 10;
        int64_t tries [] = { value - 1, value, value + 1, -value, -(value - 1) };
        for (size_t i = 0; i < sizeof tries / sizeof tries [0]; i++) {
            out.len = 0;
            assert_int_equal (wire_append (&out, "x=", 2), 0);
            assert_int_equal (wire_append_int (&out, tries [i]), 0);
            snprintf (want, sizeof want, "x=%" PRId64, tries [i]);
            assert_string_equal (out.data, want);
            assert_int_equal (out.len, strlen (want));
        }
    }
    int64_t ends [] = { INT64_MAX, INT64_MIN, 0 };
    for (size_t i = 0; i < sizeof ends / sizeof ends [0]; i++) {
        out.len = 0;
        assert_int_equal (wire_append_int (&out, ends [i]), 0);
        snprintf (want, sizeof want, "%" PRId64, ends [i]);
        assert_string_equal (out.data, want);
    }
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
//  the same tree (it is the stricter of the two), a tree without repeated
//  keys from a text without \u0000. What it refuses as a duplicate key or
//  \u0000, cJSON accepts with that fault in it.
static void
test_mutations_against_cjson (void **state)
{
    (void) state;
    static const char *const seeds [] = {
        "{\"args\":{\"symbol\":\"AAPL\",\"price\":100.25,\"seq\":7,\"tags\":[\"a\",\"b\"]},\"workflow_id\":\"w_1\"}",
        "{\"epoch\":\"e\",\"seq\":12,\"is_snapshot\":false,\"state\":{\"k1\":{\"v\":3,\"w\":null},\"k2\":-1.5e-3}}",
        "[1,-2.5,3e10,true,false,null,\"\\u00e9\\n\",{\"\":[]}]",
        "{\"s\":\"h\xc3\xa9llo \\\"q\\\" \\\\ \\ud83d\\ude00\"}",
        //  one mutation from a duplicate key or a \u0000
        "{\"ab\":1,\"ac\":{\"x\":2,\"y\":\"\\u0010\"},\"b\":\"\\u0100\",\"c\":[{\"k\":1,\"l\":2}]}",
    };
    const size_t seed_count = sizeof seeds / sizeof seeds [0];
    int refused_ijson = 0;
    wire_arena_t *arena = wire_arena_new ();
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    char text [512];
    int accepted = 0;
    for (int round = 0; round < 100000; round++) {
        const char *seed = seeds [round % seed_count];
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
            if (!cJSON_Compare (ours, theirs, true))
                fail_msg ("%.*s parsed differently from cJSON", (int) len, exact);
            if (s_has_duplicate (ours) || s_has_nul_escape (exact, len))
                fail_msg ("accepted a repeated key or \\u0000: %.*s", (int) len, exact);
            cJSON_Delete (theirs);
        }
        else {
            assert_non_null (strstr (err, " at byte "));
            bool duplicate = strstr (err, "duplicate key") != NULL;
            bool nul = strstr (err, "\\u0000") != NULL;
            if (duplicate || nul) {
                refused_ijson++;
                //  Where cJSON accepts the text, it holds the fault (a
                //  truncated text may fail both ways; either refusal is right).
                cJSON *theirs = cJSON_ParseWithLength (exact, len);
                if (theirs && duplicate && !s_has_duplicate (theirs))
                    fail_msg ("no repeated key in %.*s, yet: %s", (int) len, exact, err);
                if (theirs && nul && !s_has_nul_escape (exact, len))
                    fail_msg ("no \\u0000 in %.*s, yet: %s", (int) len, exact, err);
                cJSON_Delete (theirs);
            }
        }
        free (exact);
        wire_arena_reset (arena);
    }
    print_message ("%d of 100000 mutated documents were still valid JSON; %d refused for a "
                   "repeated key or \\u0000\n", accepted, refused_ijson);
    assert_true (accepted > 1000);
    assert_true (refused_ijson > 10);
    wire_arena_destroy (&arena);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_valid_documents),
        cmocka_unit_test (test_written_strings_read_back),
        cmocka_unit_test (test_strict_rejections),
        cmocka_unit_test (test_ijson_rejections),
        cmocka_unit_test (test_numbers_read_back_exactly),
        cmocka_unit_test (test_integers_appended),
        cmocka_unit_test (test_strings_escaped),
        cmocka_unit_test (test_arena_values_are_cjson),
        cmocka_unit_test (test_mutations_against_cjson),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
