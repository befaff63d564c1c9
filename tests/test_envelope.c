/*  test_envelope.c - envelope: decoding requests and replies, every fault, encoding, UTF-8. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "envelope.h"

//  Decodes a NUL-terminated request text.
static fault_t
s_decode (const char *text, envelope_t *env, char *err)
{
    return envelope_decode (text, strlen (text), env, err);
}

//  The envelope is empty (as after a fault or envelope_clear).
static void
s_assert_empty (const envelope_t *env)
{
    assert_null (env->root);
    assert_null (env->args);
    assert_null (env->workflow_id);
}

//  The bytes for a failure message, with non-printable ones as \xHH.
static const char *
s_shown (const void *data, size_t len)
{
    static char out [1024];
    const unsigned char *p = data;
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < sizeof out; i++)
        n += snprintf (out + n, sizeof out - n, p [i] >= 0x20 && p [i] < 0x7F? "%c": "\\x%02X", p [i]);
    out [n] = 0;
    return out;
}

//  envelope_decode must refuse `len` bytes with `fault`, a one-line detail and an empty env.
static void
s_refuses (const void *data, size_t len, fault_t fault, const char *needle)
{
    envelope_t env;
    memset (&env, 0x5A, sizeof env);            //  garbage: decode must empty it
    char err [ERR_LEN] = "";
    fault_t got = envelope_decode (data, len, &env, err);
    if (got != fault) {
        if (got == FAULT_NONE)
            envelope_clear (&env);
        fail_msg ("<%s>: expected %s, got %s (%s)", s_shown (data, len),
                  fault_name (fault), fault_name (got), err);
    }
    s_assert_empty (&env);
    assert_true (*err);
    assert_null (strchr (err, '\n'));
    if (needle && !strstr (err, needle))
        fail_msg ("<%s>: detail <%s> does not contain <%s>", s_shown (data, len), err, needle);
}

#define s_refuses_text(text, fault, needle) s_refuses (text, strlen (text), fault, needle)

//  Prints a JSON value compactly into a static buffer, for comparisons.
static const char *
s_print (const cJSON *value)
{
    static char out [1024];
    char *text = cJSON_PrintUnformatted (value);
    snprintf (out, sizeof out, "%s", text? text: "(null)");
    cJSON_free (text);
    return out;
}

static void
test_decode_good (void **state)
{
    (void) state;
    envelope_t env;
    char err [ERR_LEN] = "(untouched)";

    assert_int_equal (s_decode ("{\"args\": {\"id\": 7, \"s\": \"x\"}, \"workflow_id\": \"wf-1_2\"}", &env, err),
                      FAULT_NONE);
    assert_non_null (env.root);
    assert_true (cJSON_IsObject (env.args));
    assert_string_equal (s_print (env.args), "{\"id\":7,\"s\":\"x\"}");
    assert_string_equal (env.workflow_id, "wf-1_2");
    assert_string_equal (err, "(untouched)");
    envelope_clear (&env);
    s_assert_empty (&env);
    envelope_clear (&env);          //  clearing twice is harmless

    //  No workflow id: NULL; empty args; white space around; unknown keys ignored.
    assert_int_equal (s_decode (" \r\n\t{\"args\": {}, \"future\": [1, 2]} \n\t\r ", &env, err), FAULT_NONE);
    assert_true (cJSON_IsObject (env.args));
    assert_null (env.args->child);
    assert_null (env.workflow_id);
    envelope_clear (&env);

    //  Non-ASCII UTF-8, escapes, and a 200-byte workflow id (the limit).
    char text [512];
    char id [201];
    memset (id, 'w', 200);
    id [200] = 0;
    snprintf (text, sizeof text, "{\"workflow_id\": \"%s\", \"args\": {\"name\": \"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\","
              " \"esc\": \"\\u00e9\\n\\\"\"}}", id);
    assert_int_equal (s_decode (text, &env, err), FAULT_NONE);
    assert_string_equal (env.workflow_id, id);
    assert_string_equal (cJSON_GetObjectItem (env.args, "name")->valuestring,
                         "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    assert_string_equal (cJSON_GetObjectItem (env.args, "esc")->valuestring, "\xC3\xA9\n\"");
    envelope_clear (&env);

    //  The length is what counts, not a NUL: bytes after len are not read.
    const char *longer = "{\"args\": {\"a\": 1}}GARBAGE";
    assert_int_equal (envelope_decode (longer, strlen ("{\"args\": {\"a\": 1}}"), &env, err), FAULT_NONE);
    assert_int_equal (cJSON_GetObjectItem (env.args, "a")->valueint, 1);
    envelope_clear (&env);

    //  A buffer that is not NUL-terminated at all.
    char *exact = malloc (18);
    memcpy (exact, "{\"args\": {\"b\": 2}}", 18);
    assert_int_equal (envelope_decode (exact, 18, &env, err), FAULT_NONE);
    assert_int_equal (cJSON_GetObjectItem (env.args, "b")->valueint, 2);
    envelope_clear (&env);
    free (exact);
}

static void
test_decode_invalid_json (void **state)
{
    (void) state;
    s_refuses_text ("", FAULT_INVALID_JSON, NULL);
    s_refuses_text ("   ", FAULT_INVALID_JSON, NULL);
    s_refuses_text ("hello", FAULT_INVALID_JSON, NULL);
    s_refuses_text ("{\"args\": {}", FAULT_INVALID_JSON, NULL);
    s_refuses_text ("{\"args\": {},}", FAULT_INVALID_JSON, NULL);
    s_refuses_text ("{'args': {}}", FAULT_INVALID_JSON, NULL);
    s_refuses_text ("{\"args\": {\"x\": NaN}}", FAULT_INVALID_JSON, NULL);
    //  trailing garbage after a good value
    s_refuses_text ("{\"args\": {}} x", FAULT_INVALID_JSON, "trailing");
    s_refuses_text ("{\"args\": {}}{\"args\": {}}", FAULT_INVALID_JSON, "trailing");
    s_refuses ("{\"args\": {}}\0", 13, FAULT_INVALID_JSON, NULL);      //  a NUL after the value
    //  a lone surrogate written as an escape is not a character either
    s_refuses_text ("{\"args\": {\"a\": \"\\ud800\"}}", FAULT_INVALID_JSON, NULL);

    //  invalid UTF-8, anywhere in the bytes
    s_refuses_text ("{\"args\": {\"a\": \"\xFF\"}}", FAULT_INVALID_JSON, "UTF-8");
    s_refuses_text ("{\"args\": {\"a\": \"\x80\"}}", FAULT_INVALID_JSON, "UTF-8");        //  lone continuation
    s_refuses_text ("{\"args\": {\"a\": \"\xC3\"}}", FAULT_INVALID_JSON, "UTF-8");        //  truncated
    s_refuses_text ("{\"args\": {\"a\": \"\xC0\xAF\"}}", FAULT_INVALID_JSON, "UTF-8");    //  overlong '/'
    s_refuses_text ("{\"args\": {\"a\": \"\xE0\x80\xAF\"}}", FAULT_INVALID_JSON, "UTF-8");
    s_refuses_text ("{\"args\": {\"a\": \"\xF0\x80\x80\xAF\"}}", FAULT_INVALID_JSON, "UTF-8");
    s_refuses_text ("{\"args\": {\"a\": \"\xED\xA0\x80\"}}", FAULT_INVALID_JSON, "UTF-8");    //  U+D800
    s_refuses_text ("{\"args\": {\"a\": \"\xED\xBF\xBF\"}}", FAULT_INVALID_JSON, "UTF-8");    //  U+DFFF
    s_refuses_text ("{\"args\": {\"a\": \"\xF4\x90\x80\x80\"}}", FAULT_INVALID_JSON, "UTF-8"); //  > U+10FFFF
    s_refuses_text ("{\"args\": {\"\xFE\": 1}}", FAULT_INVALID_JSON, "UTF-8");             //  in a key
    s_refuses_text ("{\"args\": {}} \xA0", FAULT_INVALID_JSON, NULL);                      //  after the value
}

//  RFC 8259 §7: control characters (U+0000..U+001F) must be escaped inside
//  strings; raw ones are not JSON (Python's json.loads, the seed's parser,
//  refuses them too). A raw NUL would otherwise cut the string short: the
//  handler would get "x" for "x\0y" without any fault.
static void
test_decode_raw_control_chars (void **state)
{
    (void) state;
    s_refuses ("{\"args\": {\"a\": \"x\0y\"}}", 22, FAULT_INVALID_JSON, NULL);      //  NUL in a value
    s_refuses ("{\"args\": {\"a\0b\": 1}}", 20, FAULT_INVALID_JSON, NULL);           //  NUL in a key
    s_refuses_text ("{\"args\": {\"a\": \"x\x01y\"}}", FAULT_INVALID_JSON, NULL);   //  U+0001
}

static void
test_decode_invalid_envelope (void **state)
{
    (void) state;
    s_refuses_text ("[]", FAULT_INVALID_ENVELOPE, "array");
    s_refuses_text ("[{\"args\": {}}]", FAULT_INVALID_ENVELOPE, "object");
    s_refuses_text ("\"args\"", FAULT_INVALID_ENVELOPE, "object");
    s_refuses_text ("42", FAULT_INVALID_ENVELOPE, "object");
    s_refuses_text ("null", FAULT_INVALID_ENVELOPE, "object");
    s_refuses_text ("{}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"workflow_id\": \"w\"}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"Args\": {}}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"args\": []}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"args\": null}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"args\": \"{}\"}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"args\": 1}", FAULT_INVALID_ENVELOPE, "args");
    s_refuses_text ("{\"return_args\": {}}", FAULT_INVALID_ENVELOPE, "args");

    s_refuses_text ("{\"args\": {}, \"workflow_id\": 12}", FAULT_INVALID_ENVELOPE, "workflow_id");
    s_refuses_text ("{\"args\": {}, \"workflow_id\": true}", FAULT_INVALID_ENVELOPE, "workflow_id");
    s_refuses_text ("{\"args\": {}, \"workflow_id\": [\"w\"]}", FAULT_INVALID_ENVELOPE, "workflow_id");
    s_refuses_text ("{\"args\": {}, \"workflow_id\": {}}", FAULT_INVALID_ENVELOPE, "workflow_id");
    s_refuses_text ("{\"args\": {}, \"workflow_id\": \"\"}", FAULT_INVALID_ENVELOPE, "workflow_id");
    char text [512];
    char id [202];
    memset (id, 'w', 201);
    id [201] = 0;
    snprintf (text, sizeof text, "{\"args\": {}, \"workflow_id\": \"%s\"}", id);
    s_refuses_text (text, FAULT_INVALID_ENVELOPE, "workflow_id");
    //  A bad workflow id is refused whatever the args are.
    s_refuses_text ("{\"workflow_id\": 5, \"args\": {\"a\": 1}}", FAULT_INVALID_ENVELOPE, "workflow_id");
}

//  envelope_decode_reply, and envelope_decode_reply_wire on the same text
//  beside it: the same outcome, the same words, return args and id, and
//  an empty env on failure.
static int
s_decode_reply (const char *text, envelope_t *env, char *err)
{
    wire_arena_t *arena = wire_arena_new ();
    assert_non_null (arena);
    envelope_t wire_env;
    memset (&wire_env, 0x5A, sizeof wire_env);
    char wire_err [ERR_LEN] = "", wire_args [1024] = "", wire_id [256] = "(none)";
    int wire_rc = envelope_decode_reply_wire (arena, text, strlen (text), &wire_env, wire_err);
    if (wire_rc == 0) {
        assert_true (cJSON_IsObject (wire_env.args));
        snprintf (wire_args, sizeof wire_args, "%s", s_print (wire_env.args));
        if (wire_env.workflow_id)
            snprintf (wire_id, sizeof wire_id, "%s", wire_env.workflow_id);
    }
    else
        s_assert_empty (&wire_env);
    wire_arena_reset (arena);
    wire_arena_destroy (&arena);
    int rc = envelope_decode_reply (text, strlen (text), env, err);
    assert_int_equal (rc, wire_rc);
    if (rc)
        assert_string_equal (err, wire_err);
    else {
        assert_string_equal (s_print (env->args), wire_args);
        assert_string_equal (env->workflow_id? env->workflow_id: "(none)", wire_id);
    }
    return rc;
}

static void
test_decode_reply (void **state)
{
    (void) state;
    envelope_t env;
    char err [ERR_LEN] = "(untouched)";
    const char *text = "{\"return_args\": {\"price\": 2.5}, \"workflow_id\": \"w_1\"}";
    assert_int_equal (s_decode_reply (text, &env, err), 0);
    assert_string_equal (s_print (env.args), "{\"price\":2.5}");
    assert_string_equal (env.workflow_id, "w_1");
    assert_string_equal (err, "(untouched)");
    envelope_clear (&env);

    //  null or missing return args: an empty object (a handler that returned nothing)
    text = "{\"return_args\": null, \"workflow_id\": \"w\"}";
    assert_int_equal (s_decode_reply (text, &env, err), 0);
    assert_true (cJSON_IsObject (env.args));
    assert_null (env.args->child);
    envelope_clear (&env);
    //  neither return_args nor error: an echo of the request is no reply
    text = "{\"workflow_id\": \"w\"}";
    assert_int_equal (s_decode_reply (text, &env, err), -1);
    assert_non_null (strstr (err, "invalid_reply"));
    s_assert_empty (&env);
    text = "{\"args\": {\"order_id\": 7}, \"workflow_id\": \"w\"}";
    assert_int_equal (s_decode_reply (text, &env, err), -1);
    assert_string_equal (err, "invalid_reply: neither 'return_args' nor 'error' in the reply");
    s_assert_empty (&env);
    text = "{\"return_args\": {}}";
    assert_int_equal (s_decode_reply (text, &env, err), 0);
    assert_null (env.workflow_id);
    envelope_clear (&env);

    //  error replies
    text = "{\"error\": {\"kind\": \"handler_failed\", \"message\": \"no such order 42\"}, \"workflow_id\": \"w\"}";
    memset (&env, 0x5A, sizeof env);
    assert_int_equal (s_decode_reply (text, &env, err), -1);
    assert_string_equal (err, "error reply (handler_failed): no such order 42");
    s_assert_empty (&env);
    text = "{\"error\": {\"kind\": \"invalid_args\", \"message\": \"missing required key 'id'\"}}";
    assert_int_equal (s_decode_reply (text, &env, err), -1);
    assert_string_equal (err, "error reply (invalid_args): missing required key 'id'");
    s_assert_empty (&env);
    //  an error wins over return args sent alongside
    text = "{\"return_args\": {}, \"error\": {\"kind\": \"too_large\", \"message\": \"m\"}}";
    assert_int_equal (s_decode_reply (text, &env, err), -1);
    assert_string_equal (err, "error reply (too_large): m");
    s_assert_empty (&env);
    //  an error with a bad shape is still an error reply
    text = "{\"error\": {\"kind\": 3}}";
    assert_int_equal (s_decode_reply (text, &env, err), -1);
    assert_non_null (strstr (err, "error reply ("));
    s_assert_empty (&env);

    //  malformed replies
    const char *bad [] = {
        "not json", "{\"return_args\": {}} trailing", "[]", "{\"return_args\": [1]}",
        "{\"return_args\": \"x\"}", "{\"return_args\": {}, \"workflow_id\": 7}",
        "{\"return_args\": {\"a\": \"\xC0\x80\"}}", "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        memset (&env, 0x5A, sizeof env);
        strcpy (err, "");
        if (s_decode_reply (bad [i], &env, err) != -1)
            fail_msg ("reply <%s> accepted", bad [i]);
        assert_true (*err);
        assert_null (strchr (err, '\n'));
        assert_null (strstr (err, "error reply"));
        s_assert_empty (&env);
    }
}

//  Parses encoder output; fails the test if it is not a JSON object.
static cJSON *
s_parse_output (char *text)
{
    assert_non_null (text);
    assert_true (envelope_utf8_valid (text, strlen (text)));
    cJSON *root = cJSON_Parse (text);
    if (!cJSON_IsObject (root))
        fail_msg ("encoder output <%s> is not a JSON object", text);
    cJSON_free (text);
    return root;
}

static void
test_encode (void **state)
{
    (void) state;
    cJSON *args = cJSON_Parse ("{\"id\": 7, \"name\": \"caf\xC3\xA9 \\\"q\\\"\", \"list\": [1, {\"x\": null}]}");
    char *args_before = cJSON_PrintUnformatted (args);

    //  request, parsed back and decoded back
    char *text = envelope_request (args, "wf-9");
    envelope_t env;
    char err [ERR_LEN];
    assert_int_equal (envelope_decode (text, strlen (text), &env, err), FAULT_NONE);
    assert_true (cJSON_Compare (env.args, args, true));
    assert_string_equal (env.workflow_id, "wf-9");
    envelope_clear (&env);
    cJSON *root = s_parse_output (text);
    assert_true (cJSON_Compare (cJSON_GetObjectItem (root, "args"), args, true));
    assert_string_equal (cJSON_GetObjectItem (root, "workflow_id")->valuestring, "wf-9");
    assert_int_equal (cJSON_GetArraySize (root), 2);
    cJSON_Delete (root);

    //  no workflow id: omitted; NULL args: {}
    root = s_parse_output (envelope_request (args, NULL));
    assert_null (cJSON_GetObjectItem (root, "workflow_id"));
    assert_int_equal (cJSON_GetArraySize (root), 1);
    cJSON_Delete (root);
    root = s_parse_output (envelope_request (NULL, "w"));
    assert_true (cJSON_IsObject (cJSON_GetObjectItem (root, "args")));
    assert_null (cJSON_GetObjectItem (root, "args")->child);
    cJSON_Delete (root);

    //  reply
    text = envelope_reply (args, "wf-9_1");
    assert_int_equal (s_decode_reply (text, &env, err), 0);
    assert_true (cJSON_Compare (env.args, args, true));
    assert_string_equal (env.workflow_id, "wf-9_1");
    envelope_clear (&env);
    root = s_parse_output (text);
    assert_true (cJSON_Compare (cJSON_GetObjectItem (root, "return_args"), args, true));
    assert_null (cJSON_GetObjectItem (root, "args"));
    cJSON_Delete (root);
    root = s_parse_output (envelope_reply (NULL, NULL));
    assert_true (cJSON_IsObject (cJSON_GetObjectItem (root, "return_args")));
    assert_null (cJSON_GetObjectItem (root, "workflow_id"));
    cJSON_Delete (root);

    //  The borrowed value is neither changed nor taken: encode an item that
    //  lives inside another object, twice.
    cJSON *outer = cJSON_Parse ("{\"inner\": {\"k\": 1}}");
    cJSON *inner = cJSON_GetObjectItem (outer, "inner");
    for (int i = 0; i < 2; i++) {
        root = s_parse_output (envelope_reply (inner, "w"));
        assert_string_equal (s_print (cJSON_GetObjectItem (root, "return_args")), "{\"k\":1}");
        cJSON_Delete (root);
    }
    assert_string_equal (s_print (outer), "{\"inner\":{\"k\":1}}");
    cJSON_Delete (outer);
    char *args_after = cJSON_PrintUnformatted (args);
    assert_string_equal (args_before, args_after);
    cJSON_free (args_before);
    cJSON_free (args_after);
    cJSON_Delete (args);

    //  error replies, for every kind; text that needs escaping survives
    for (fault_t kind = FAULT_INVALID_JSON; kind < FAULT_COUNT; kind++) {
        const char *message = "bad \"qty\"\n\tcaf\xC3\xA9 \\ end";
        text = envelope_error (kind, message, "wf-3");
        char expected [ERR_LEN];
        //  the error line stays one line: its control characters read '?'
        snprintf (expected, sizeof expected, "error reply (%s): bad \"qty\"??caf\xC3\xA9 \\ end",
                  fault_name (kind));
        assert_int_equal (s_decode_reply (text, &env, err), -1);
        assert_string_equal (err, expected);
        root = s_parse_output (text);
        const cJSON *error = cJSON_GetObjectItem (root, "error");
        assert_true (cJSON_IsObject (error));
        assert_string_equal (cJSON_GetObjectItem (error, "kind")->valuestring, fault_name (kind));
        assert_string_equal (cJSON_GetObjectItem (error, "message")->valuestring, message);
        assert_string_equal (cJSON_GetObjectItem (root, "workflow_id")->valuestring, "wf-3");
        assert_null (cJSON_GetObjectItem (root, "return_args"));
        cJSON_Delete (root);
    }
    root = s_parse_output (envelope_error (FAULT_HANDLER_FAILED, NULL, NULL));
    assert_string_equal (s_print (root), "{\"error\":{\"kind\":\"handler_failed\",\"message\":\"\"}}");
    cJSON_Delete (root);
}

//  The checked writer: the same bytes as the unchecked one, keys escaped
//  as the writer escapes them; args that do not fit: NULL, invalid, and
//  type_validate's words.
static void
test_encode_checked (void **state)
{
    (void) state;
    cJSON *required = cJSON_Parse ("{\"id\": \"int\", \"na\\\"me\": \"str\"}");
    cJSON *optional = cJSON_Parse ("{\"list\": [\"any\"], \"*\": \"float\"}");
    char err [ERR_LEN];
    type_t *type = type_compile_args (required, optional, "m", err);
    assert_non_null (type);
    cJSON *args = cJSON_Parse ("{\"list\": [1, {\"x\": null}], \"id\": 7, \"na\\\"me\": \"caf\xC3\xA9 \\n\","
                               " \"price\": 2.25}");
    size_t len, checked_len;
    char *plain = strdup (envelope_request_text (args, "wf-9", &len));
    bool invalid = true;
    const char *checked = envelope_request_text_checked (type, args, "wf-9", &checked_len, &invalid, err);
    assert_non_null (checked);
    assert_false (invalid);
    assert_int_equal (checked_len, len);
    assert_string_equal (checked, plain);
    free (plain);
    //  {} fits a model with nothing required
    type_t *open = type_compile_args (NULL, optional, "m", err);
    cJSON *empty = cJSON_CreateObject ();
    checked = envelope_request_text_checked (open, empty, NULL, &checked_len, &invalid, err);
    assert_string_equal (checked, "{\"args\":{}}");
    cJSON_Delete (empty);
    type_destroy (&open);

    cJSON_ReplaceItemInObject (args, "id", cJSON_CreateString ("7"));
    strcpy (err, "(untouched)");
    assert_null (envelope_request_text_checked (type, args, "wf-9", &checked_len, &invalid, err));
    assert_true (invalid);
    assert_string_equal (err, "key 'id': expected int, got string");
    cJSON_DeleteItemFromObject (args, "id");
    assert_null (envelope_request_text_checked (type, args, "wf-9", &checked_len, &invalid, err));
    assert_string_equal (err, "missing required key 'id'");
    type_destroy (&type);
    cJSON_Delete (args);
    cJSON_Delete (required);
    cJSON_Delete (optional);
}

static void
test_utf8 (void **state)
{
    (void) state;
    const struct { const char *bytes; size_t len; bool valid; const char *what; } cases [] = {
        { "", 0, true, "empty" },
        { "plain ascii \x01\x7F", 14, true, "ASCII incl. controls and DEL" },
        { "\0", 1, true, "NUL is a character" },
        { "\xC2\x80", 2, true, "U+0080, smallest 2-byte" },
        { "\xDF\xBF", 2, true, "U+07FF, largest 2-byte" },
        { "\xE0\xA0\x80", 3, true, "U+0800, smallest 3-byte" },
        { "\xED\x9F\xBF", 3, true, "U+D7FF, just below surrogates" },
        { "\xEE\x80\x80", 3, true, "U+E000, just above surrogates" },
        { "\xEF\xBF\xBD", 3, true, "U+FFFD" },
        { "\xEF\xBF\xBF", 3, true, "U+FFFF" },
        { "\xF0\x90\x80\x80", 4, true, "U+10000, smallest 4-byte" },
        { "\xF4\x8F\xBF\xBF", 4, true, "U+10FFFF, largest" },
        { "a\xC3\xA9z", 4, true, "mixed" },

        { "\x80", 1, false, "lone continuation byte" },
        { "\xBF", 1, false, "lone continuation byte (last)" },
        { "\xC3", 1, false, "2-byte cut short" },
        { "\xE2\x82", 2, false, "3-byte cut short" },
        { "\xF0\x9F\x98", 3, false, "4-byte cut short" },
        { "\xC3\x28", 2, false, "bad continuation" },
        { "\xE2\x28\xA1", 3, false, "bad 2nd byte of 3" },
        { "\xE2\x82\x28", 3, false, "bad 3rd byte of 3" },
        { "\xF0\x9F\x98\x28", 4, false, "bad 4th byte of 4" },
        { "\xC0\x80", 2, false, "overlong NUL" },
        { "\xC1\xBF", 2, false, "overlong U+007F" },
        { "\xE0\x9F\xBF", 3, false, "overlong U+07FF" },
        { "\xE0\x80\x80", 3, false, "overlong NUL in 3" },
        { "\xF0\x8F\xBF\xBF", 4, false, "overlong U+FFFF" },
        { "\xF0\x80\x80\x80", 4, false, "overlong NUL in 4" },
        { "\xED\xA0\x80", 3, false, "U+D800 high surrogate" },
        { "\xED\xAF\xBF", 3, false, "U+DBFF" },
        { "\xED\xB0\x80", 3, false, "U+DC00 low surrogate" },
        { "\xED\xBF\xBF", 3, false, "U+DFFF" },
        { "\xED\xA0\xBD\xED\xB8\x80", 6, false, "CESU-8 surrogate pair" },
        { "\xF4\x90\x80\x80", 4, false, "U+110000" },
        { "\xF5\x80\x80\x80", 4, false, "F5 lead" },
        { "\xF7\xBF\xBF\xBF", 4, false, "F7 lead" },
        { "\xF8\x88\x80\x80\x80", 5, false, "5-byte form" },
        { "\xFC\x84\x80\x80\x80\x80", 6, false, "6-byte form" },
        { "\xFE", 1, false, "FE" },
        { "\xFF", 1, false, "FF" },
        { "ok\xC3\xA9\xFF", 5, false, "bad at the end" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++)
        if (envelope_utf8_valid (cases [i].bytes, cases [i].len) != cases [i].valid)
            fail_msg ("utf8 case '%s': expected %s", cases [i].what, cases [i].valid? "valid": "invalid");

    //  The length bounds the check: a valid prefix of invalid bytes is valid,
    //  and a sequence cut by len is not read past len.
    assert_true (envelope_utf8_valid ("ab\xFF", 2));
    assert_false (envelope_utf8_valid ("\xC3\xA9", 1));
    assert_false (envelope_utf8_valid ("x\xF0\x9F\x98\x80", 4));

    //  A multi-byte sequence at the very end of a heap buffer (for ASan).
    unsigned char *tail = malloc (3);
    memcpy (tail, "a\xC3\xA9", 3);
    assert_true (envelope_utf8_valid (tail, 3));
    assert_false (envelope_utf8_valid (tail, 2));
    free (tail);
}

static void
test_fault_names (void **state)
{
    (void) state;
    assert_string_equal (fault_name (FAULT_INVALID_JSON), "invalid_json");
    assert_string_equal (fault_name (FAULT_INVALID_ENVELOPE), "invalid_envelope");
    assert_string_equal (fault_name (FAULT_INVALID_ARGS), "invalid_args");
    assert_string_equal (fault_name (FAULT_TOO_LARGE), "too_large");
    assert_string_equal (fault_name (FAULT_BAD_FRAMES), "bad_frames");
    assert_string_equal (fault_name (FAULT_HANDLER_FAILED), "handler_failed");
    assert_string_equal (fault_name (FAULT_INVALID_RETURN), "invalid_return");
    assert_string_equal (fault_name (FAULT_DEADLINE_EXCEEDED), "deadline_exceeded");
    assert_non_null (fault_name (FAULT_NONE));
    assert_non_null (fault_name (FAULT_COUNT));
    assert_non_null (fault_name ((fault_t) -1));
    assert_non_null (fault_name ((fault_t) 1000));
    //  Every kind has its own name.
    for (int a = FAULT_INVALID_JSON; a < FAULT_COUNT; a++)
        for (int b = a + 1; b < FAULT_COUNT; b++)
            assert_string_not_equal (fault_name ((fault_t) a), fault_name ((fault_t) b));
}

//  deadline_ms (SPEC §8): a positive integer, read by both decoders; else
//  invalid_envelope naming it. Requesters add it to an encoded request.
static void
test_deadline_ms (void **state)
{
    (void) state;
    envelope_t env;
    char err [ERR_LEN];
    assert_int_equal (s_decode ("{\"args\": {}}", &env, err), FAULT_NONE);
    assert_int_equal (env.deadline_ms, 0);
    envelope_clear (&env);
    assert_int_equal (s_decode ("{\"args\": {}, \"deadline_ms\": 1500}", &env, err), FAULT_NONE);
    assert_int_equal (env.deadline_ms, 1500);
    envelope_clear (&env);
    assert_int_equal (s_decode ("{\"deadline_ms\": 2147483647, \"args\": {}}", &env, err), FAULT_NONE);
    assert_int_equal (env.deadline_ms, 2147483647);
    envelope_clear (&env);
    wire_arena_t *arena = wire_arena_new ();
    const char *wire_text = "{\"args\": {\"a\": 1}, \"deadline_ms\": 7}";
    assert_int_equal (envelope_decode_wire (arena, wire_text, strlen (wire_text), &env, err), FAULT_NONE);
    assert_int_equal (env.deadline_ms, 7);
    wire_arena_reset (arena);

    const char *bad [] = { "0", "-1", "1.5", "\"100\"", "null", "true", "{}", "2147483648", "1e300" };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        char text [100];
        snprintf (text, sizeof text, "{\"args\": {}, \"deadline_ms\": %s}", bad [i]);
        err [0] = 0;
        if (s_decode (text, &env, err) != FAULT_INVALID_ENVELOPE || !strstr (err, "deadline_ms"))
            fail_msg ("deadline_ms %s: expected invalid_envelope naming it, got \"%s\"", bad [i], err);
        s_assert_empty (&env);
        assert_int_equal (envelope_decode_wire (arena, text, strlen (text), &env, err), FAULT_INVALID_ENVELOPE);
        wire_arena_reset (arena);
    }
    wire_arena_destroy (&arena);

    wire_buffer_t out = { 0 };
    const char *request = "{\"args\":{\"a\":1},\"workflow_id\":\"w\"}";
    assert_int_equal (envelope_add_deadline (&out, request, strlen (request), 250), 0);
    assert_string_equal (out.data, "{\"args\":{\"a\":1},\"workflow_id\":\"w\",\"deadline_ms\":250}");
    assert_int_equal (out.len, strlen (out.data));
    assert_int_equal (s_decode (out.data, &env, err), FAULT_NONE);
    assert_int_equal (env.deadline_ms, 250);
    envelope_clear (&env);
    assert_int_equal (envelope_add_deadline (&out, "{}", 2, 9), 0);
    assert_string_equal (out.data, "{\"deadline_ms\":9}");
    assert_int_equal (envelope_add_deadline (&out, "[1]", 3, 9), -1);
    wire_buffer_free (&out);
}

//  Batches: what is one, what is refused whole, and how each member is read.
static void
test_batch (void **state)
{
    (void) state;
    char err [ERR_LEN];
    const cJSON *members;
    //  Not a batch: a plain envelope, or a non-object (envelope_read refuses it).
    cJSON *plain = cJSON_Parse ("{\"args\": {}, \"workflow_id\": \"w\"}");
    assert_int_equal (envelope_batch (plain, &members, err), 0);
    assert_null (members);
    cJSON *list = cJSON_Parse ("[1]");
    assert_int_equal (envelope_batch (list, &members, err), 0);
    cJSON_Delete (plain);
    cJSON_Delete (list);
    //  A batch of three members: one good, one nested batch, one without args.
    cJSON *batch = cJSON_Parse ("{\"batch\": [{\"args\": {\"n\": 1}, \"message_id\": \"m1\"},"
                                " {\"batch\": [{\"args\": {}}]}, {\"workflow_id\": \"w3\"}]}");
    assert_int_equal (envelope_batch (batch, &members, err), 1);
    assert_int_equal (cJSON_GetArraySize (members), 3);
    envelope_t env;
    const cJSON *member = members->child;
    assert_int_equal (envelope_read_member (member, &env, err), FAULT_NONE);
    assert_string_equal (env.message_id, "m1");
    assert_int_equal (cJSON_GetObjectItem (env.args, "n")->valueint, 1);
    assert_null (env.root);
    member = member->next;
    assert_int_equal (envelope_read_member (member, &env, err), FAULT_INVALID_ENVELOPE);
    assert_string_equal (err, "a batch's message cannot be a batch");
    member = member->next;
    assert_int_equal (envelope_read_member (member, &env, err), FAULT_INVALID_ENVELOPE);
    assert_non_null (strstr (err, "args"));
    cJSON_Delete (batch);
    //  Refused whole: not a list, empty, over the limit.
    const char *bad [][2] = {
        { "{\"batch\": {}}", "'batch' must be a list of envelopes, got object" },
        { "{\"batch\": \"x\"}", "'batch' must be a list of envelopes, got string" },
        { "{\"batch\": []}", "'batch' is empty" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        cJSON *root = cJSON_Parse (bad [i][0]);
        assert_int_equal (envelope_batch (root, &members, err), -1);
        assert_string_equal (err, bad [i][1]);
        assert_null (members);
        cJSON_Delete (root);
    }
    cJSON *big = cJSON_CreateObject ();
    cJSON *array = cJSON_AddArrayToObject (big, "batch");
    for (int i = 0; i < ENVELOPE_BATCH_MAX; i++)
        cJSON_AddItemToArray (array, cJSON_CreateObject ());
    assert_int_equal (envelope_batch (big, &members, err), 1);
    cJSON_AddItemToArray (array, cJSON_CreateObject ());
    assert_int_equal (envelope_batch (big, &members, err), -1);
    assert_non_null (strstr (err, "over the limit of 1024"));
    cJSON_Delete (big);
    //  The reply: the members' texts, in order.
    char *replies [] = { "{\"return_args\":{}}", "{\"error\":{\"kind\":\"x\",\"message\":\"y\"}}" };
    char *text = envelope_batch_reply (replies, 2);
    assert_string_equal (text, "{\"batch\":[{\"return_args\":{}},{\"error\":{\"kind\":\"x\",\"message\":\"y\"}}]}");
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_decode_good),
        cmocka_unit_test (test_deadline_ms),
        cmocka_unit_test (test_decode_invalid_json),
        cmocka_unit_test (test_decode_raw_control_chars),
        cmocka_unit_test (test_decode_invalid_envelope),
        cmocka_unit_test (test_decode_reply),
        cmocka_unit_test (test_encode),
        cmocka_unit_test (test_encode_checked),
        cmocka_unit_test (test_utf8),
        cmocka_unit_test (test_fault_names),
        cmocka_unit_test (test_batch),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
