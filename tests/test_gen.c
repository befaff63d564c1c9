/*  test_gen - the pure parts of svcfw up and svcfw gen: endpoints meeting
    (graph_endpoints_meet), DNS names for Kubernetes (gen_dns_name), the YAML writer
    (gen_yaml, read back by the test gen through PyYAML).
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gen.h"
#include "up.h"
#include "check.h"

static void
test_meets (void **state)
{
    (void) state;
    assert_true (graph_endpoints_meet ("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555"));
    assert_true (graph_endpoints_meet ("tcp://*:5555", "tcp://10.1.2.3:5555"));
    assert_true (graph_endpoints_meet ("tcp://0.0.0.0:5555", "tcp://127.0.0.1:5555"));
    assert_true (graph_endpoints_meet ("tcp://127.0.0.1:5555", "tcp://localhost:5555"));
    assert_false (graph_endpoints_meet ("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5556"));
    assert_false (graph_endpoints_meet ("tcp://127.0.0.1:5555", "tcp://10.1.2.3:5555"));
    assert_false (graph_endpoints_meet ("tcp://127.0.0.1:55", "tcp://127.0.0.1:5555"));
    assert_true (graph_endpoints_meet ("ipc:///tmp/x", "ipc:///tmp/x"));
    assert_false (graph_endpoints_meet ("ipc:///tmp/x", "ipc:///tmp/y"));
    assert_false (graph_endpoints_meet ("ipc:///tmp/x", "tcp://127.0.0.1:5555"));
}

static void
test_dns_name (void **state)
{
    (void) state;
    char out [64];
    gen_dns_name ("order_book", out);
    assert_string_equal (out, "order-book");
    gen_dns_name ("Price.Checker", out);
    assert_string_equal (out, "price-checker");
    gen_dns_name ("9lives", out);
    assert_string_equal (out, "s9lives");
    gen_dns_name ("a__b--c_", out);
    assert_string_equal (out, "a-b-c");
    gen_dns_name ("_x", out);
    assert_string_equal (out, "s-x");
    char long_name [200];
    memset (long_name, 'a', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    gen_dns_name (long_name, out);
    assert_int_equal (strlen (out), 63);
    //  Cut at 63 after a '-': none left at the end.
    memset (long_name, 'b', 62);
    strcpy (long_name + 62, "_cdef");
    gen_dns_name (long_name, out);
    assert_int_equal (strlen (out), 62);
    assert_int_equal (out [61], 'b');
}

static char *
s_yaml (const char *json)
{
    cJSON *doc = cJSON_Parse (json);
    assert_non_null (doc);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    gen_yaml (out, doc, 0);
    fclose (out);
    cJSON_Delete (doc);
    return text;
}

static void
test_yaml (void **state)
{
    (void) state;
    char *text = s_yaml ("{\"a\": 1, \"b\": \"x: y\", \"c\": [1, \"two\", {\"d\": true, \"e\": null}],"
                         " \"f\": {\"g\": [], \"h\": {}}, \"odd key\": [[1, 2]]}");
    assert_string_equal (text,
        "a: 1\n"
        "b: \"x: y\"\n"
        "c:\n"
        "- 1\n"
        "- \"two\"\n"
        "- d: true\n"
        "  e: null\n"
        "f:\n"
        "  g: []\n"
        "  h: {}\n"
        "\"odd key\":\n"
        "-\n"
        "  - 1\n"
        "  - 2\n");
    free (text);
    //  Strings are JSON-quoted: quotes, newlines and YAML's own syntax survive.
    text = s_yaml ("{\"s\": \"line\\nnext \\\"q\\\" - [x] #c\"}");
    assert_string_equal (text, "s: \"line\\nnext \\\"q\\\" - [x] #c\"\n");
    free (text);
    text = s_yaml ("[]");
    assert_string_equal (text, "[]\n");
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_meets),
        cmocka_unit_test (test_dns_name),
        cmocka_unit_test (test_yaml),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
