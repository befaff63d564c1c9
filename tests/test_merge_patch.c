/*  test_merge_patch - RFC 7386 merge patch: every example of the RFC's appendix A, and more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "merge_patch.h"

//  Applies patch to original (JSON texts) and checks the result equals expected.
static void
s_check (const char *original, const char *patch, const char *expected)
{
    cJSON *target = cJSON_Parse (original);
    cJSON *p = cJSON_Parse (patch);
    cJSON *want = cJSON_Parse (expected);
    assert_non_null (target);
    assert_non_null (p);
    assert_non_null (want);
    assert_int_equal (merge_patch_apply (&target, p), 0);
    if (!cJSON_Compare (target, want, true)) {
        char *got = cJSON_PrintUnformatted (target);
        fail_msg ("%s + %s: expected %s, got %s", original, patch, expected, got);
        free (got);
    }
    cJSON_Delete (target);
    cJSON_Delete (p);
    cJSON_Delete (want);
}

//  RFC 7386, Appendix A: the table of examples, in order.
static void
test_rfc7386_appendix_a (void **state)
{
    (void) state;
    s_check ("{\"a\":\"b\"}",            "{\"a\":\"c\"}",            "{\"a\":\"c\"}");
    s_check ("{\"a\":\"b\"}",            "{\"b\":\"c\"}",            "{\"a\":\"b\",\"b\":\"c\"}");
    s_check ("{\"a\":\"b\"}",            "{\"a\":null}",             "{}");
    s_check ("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}",            "{\"b\":\"c\"}");
    s_check ("{\"a\":[\"b\"]}",          "{\"a\":\"c\"}",            "{\"a\":\"c\"}");
    s_check ("{\"a\":\"c\"}",            "{\"a\":[\"b\"]}",          "{\"a\":[\"b\"]}");
    s_check ("{\"a\":{\"b\":\"c\"}}",    "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
    s_check ("{\"a\":[{\"b\":\"c\"}]}",  "{\"a\":[1]}",              "{\"a\":[1]}");
    s_check ("[\"a\",\"b\"]",            "[\"c\",\"d\"]",            "[\"c\",\"d\"]");
    s_check ("{\"a\":\"b\"}",            "[\"c\"]",                  "[\"c\"]");
    s_check ("{\"a\":\"foo\"}",          "null",                     "null");
    s_check ("{\"a\":\"foo\"}",          "\"bar\"",                  "\"bar\"");
    s_check ("{\"e\":null}",             "{\"a\":1}",                "{\"e\":null,\"a\":1}");
    s_check ("[1,2]",                    "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    s_check ("{}",                       "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

//  RFC 7386 section 3's worked example.
static void
test_rfc7386_section3 (void **state)
{
    (void) state;
    s_check ("{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
             "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
             "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{\"familyName\":null},"
             "\"tags\":[\"example\"]}",
             "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
             "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}");
}

static void
test_null_target_and_nested_creation (void **state)
{
    (void) state;
    cJSON *target = NULL;
    cJSON *patch = cJSON_Parse ("{\"a\":{\"b\":null,\"c\":{\"d\":1,\"e\":null}}}");
    assert_int_equal (merge_patch_apply (&target, patch), 0);
    cJSON *want = cJSON_Parse ("{\"a\":{\"c\":{\"d\":1}}}");
    assert_true (cJSON_Compare (target, want, true));
    //  Deleting a key that is not there changes nothing.
    cJSON *del = cJSON_Parse ("{\"zz\":null,\"a\":{\"c\":{\"d\":2}}}");
    assert_int_equal (merge_patch_apply (&target, del), 0);
    cJSON *want2 = cJSON_Parse ("{\"a\":{\"c\":{\"d\":2}}}");
    assert_true (cJSON_Compare (target, want2, true));
    //  The patch is not changed by being applied.
    cJSON *del_copy = cJSON_Parse ("{\"zz\":null,\"a\":{\"c\":{\"d\":2}}}");
    assert_true (cJSON_Compare (del, del_copy, true));
    cJSON_Delete (target);
    cJSON_Delete (patch);
    cJSON_Delete (want);
    cJSON_Delete (del);
    cJSON_Delete (want2);
    cJSON_Delete (del_copy);
}

//  Replacing a scalar with an object (or an object with a scalar) keeps the
//  key's name, and a later patch of that key finds it (no duplicate key).
static void
test_replace_keeps_key_names (void **state)
{
    (void) state;
    s_check ("{\"a\":1,\"b\":2}", "{\"a\":{\"x\":1,\"y\":null}}", "{\"a\":{\"x\":1},\"b\":2}");
    s_check ("{\"a\":{\"x\":1},\"b\":2}", "{\"a\":3}", "{\"a\":3,\"b\":2}");
    cJSON *target = cJSON_Parse ("{\"a\":1}");
    cJSON *p1 = cJSON_Parse ("{\"a\":{\"x\":1}}");
    cJSON *p2 = cJSON_Parse ("{\"a\":{\"y\":2}}");
    assert_int_equal (merge_patch_apply (&target, p1), 0);
    assert_int_equal (merge_patch_apply (&target, p2), 0);
    assert_int_equal (cJSON_GetArraySize (target), 1);
    char *text = cJSON_PrintUnformatted (target);
    assert_string_equal (text, "{\"a\":{\"x\":1,\"y\":2}}");
    free (text);
    cJSON_Delete (target);
    cJSON_Delete (p1);
    cJSON_Delete (p2);
}

//  A name repeated in a patch object (which JSON parsers keep): the last one
//  decides, and the result has each name once, whatever the target was,
//  so a replica that starts from nothing ends as one that starts from {}.
//  (Found by fuzz/fuzz_merge_patch: from nothing, both copies were kept.)
static void
test_repeated_names (void **state)
{
    (void) state;
    const char *patch_text = "{\"a\": true, \"a\": {\"c\": null}, \"b\": 1, \"b\": null}";
    const char *targets [] = { NULL, "{}", "{\"a\": 5, \"b\": 2}", "[1]" };
    for (int i = 0; i < 4; i++) {
        cJSON *patch = cJSON_Parse (patch_text);
        cJSON *target = targets [i]? cJSON_Parse (targets [i]): NULL;
        assert_non_null (patch);
        for (int times = 1; times <= 2; times++) {
            assert_int_equal (merge_patch_apply (&target, patch), 0);
            char *got = cJSON_PrintUnformatted (target);
            if (strcmp (got, "{\"a\":{}}") != 0)
                fail_msg ("%s applied %d times to %s: got %s, expected {\"a\":{}}", patch_text,
                          times, targets [i]? targets [i]: "nothing", got);
            free (got);
        }
        cJSON *stripped = merge_patch_strip_nulls (patch);
        char *got = cJSON_PrintUnformatted (stripped);
        assert_string_equal (got, "{\"a\":{}}");
        free (got);
        cJSON_Delete (stripped);
        cJSON_Delete (target);
        cJSON_Delete (patch);
    }
}

static void
test_strip_nulls (void **state)
{
    (void) state;
    cJSON *patch = cJSON_Parse ("{\"a\":null,\"b\":{\"c\":null,\"d\":[null]}}");
    cJSON *stripped = merge_patch_strip_nulls (patch);
    cJSON *want = cJSON_Parse ("{\"b\":{\"d\":[null]}}");     //  nulls inside arrays are values
    assert_true (cJSON_Compare (stripped, want, true));
    cJSON_Delete (patch);
    cJSON_Delete (stripped);
    cJSON_Delete (want);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_rfc7386_appendix_a),
        cmocka_unit_test (test_rfc7386_section3),
        cmocka_unit_test (test_null_target_and_nested_creation),
        cmocka_unit_test (test_replace_keeps_key_names),
        cmocka_unit_test (test_strip_nulls),
        cmocka_unit_test (test_repeated_names),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
