/*  e2e_malformed - malformed input never crashes a service (SPEC §7, runtime contract).

    A raw REQ peer sends each kind of bad request to echo_replyer: each must
    get the documented error reply, be logged at WARNING once per cause (the
    repeats at DEBUG), and the next good request must be served. A raw PUB
    sends garbage and wrong frame counts to listener_all: dropped, logged
    once per cause, and the next good message handled. Garbage bytes on a
    raw TCP connection to a replyer, and DEALER messages without a routing
    envelope, must not cost a later client its reply.
*/
#include "e2e.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

typedef struct {
    const char *kind;          //  expected error kind
    const char *data;          //  the request frame (NUL-terminated)
} s_bad_t;

//  Bad single-frame requests for echo_replyer (order_id int required, note
//  str optional), each with the error kind the contract gives it.
static const s_bad_t s_bad_requests [] = {
    { "invalid_json",     "not json{" },
    { "invalid_json",     "" },
    { "invalid_json",     "{\"args\": {\"order_id\": 1}} trailing" },
    //  Well-formed JSON but not UTF-8: a lone 0xff byte and a truncated sequence.
    { "invalid_json",     "{\"args\": {\"order_id\": 1, \"note\": \"\xff\"}}" },
    { "invalid_json",     "{\"args\": {\"order_id\": 1, \"note\": \"\xc3\"}}" },
    { "invalid_envelope", "[1, 2]" },
    { "invalid_envelope", "\"just a string\"" },
    { "invalid_envelope", "{\"args\": 5}" },
    { "invalid_envelope", "{\"args\": [1]}" },
    { "invalid_envelope", "{\"workflow_id\": \"wf-noargs\"}" },
    { "invalid_envelope", "{\"args\": {\"order_id\": 1}, \"workflow_id\": 5}" },
    { "invalid_args",     "{\"args\": {}}" },
    { "invalid_args",     "{\"args\": {\"order_id\": \"7\"}}" },
    { "invalid_args",     "{\"args\": {\"order_id\": 1.5}}" },
    { "invalid_args",     "{\"args\": {\"order_id\": null}}" },
    { "invalid_args",     "{\"args\": {\"order_id\": 7, \"colour\": \"red\"}}" },
    { "invalid_args",     "{\"args\": {\"order_id\": 7, \"note\": 3}}" },
};

static const char *s_kinds [] = {
    "invalid_json", "invalid_envelope", "invalid_args", "too_large", "bad_frames"
};
#define KIND_COUNT (sizeof s_kinds / sizeof s_kinds [0])

//  Asserts an error reply of `kind` with a message and a workflow id.
static void
s_assert_kind (const cJSON *reply, const char *kind, const char *what)
{
    const char *got = e2e_reply_kind (reply);
    if (!got || strcmp (got, kind) != 0)
        fail_msg ("%s: expected error kind %s, got %s", what, kind, e2e_json (reply));
    const cJSON *message = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (reply, "error"), "message");
    if (!cJSON_IsString (message) || !e2e_reply_wf (reply))
        fail_msg ("%s: error reply needs error.message and workflow_id: %s",
                  what, e2e_json (reply));
}

//  Asserts the replyer still answers a good request.
static void
s_assert_serves (zsock_t *req, e2e_proc_t *svc, int id)
{
    cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %d}}", id));
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    if (!cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ret, "ok"))) {
        e2e_dump (svc);
        fail_msg ("good request %d after bad input: %s", id, e2e_json (reply));
    }
}

static void
test_replyer_malformed (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log_path = e2e_fmt ("%s/echo.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, "-cl", "INFO", "-l", log_path, "-f", "DEBUG", NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    int good = 100;

    //  Every bad request twice: the first of each cause is a WARNING, the
    //  rest DEBUG.
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof s_bad_requests / sizeof s_bad_requests [0]; i++) {
            const s_bad_t *bad = &s_bad_requests [i];
            cJSON *reply = e2e_request (req, bad->data);
            s_assert_kind (reply, bad->kind, e2e_fmt ("request %zu", i));
            s_assert_serves (req, svc, good++);
        }

    //  A bad request that has a workflow id gets it back.
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": \"x\"}, \"workflow_id\": \"wf-args\"}");
    s_assert_kind (reply, "invalid_args", "wf-args request");
    assert_string_equal (e2e_reply_wf (reply), "wf-args");

    //  Over max_message_bytes (65536 for this replyer), otherwise valid.
    char *big = e2e_fmt ("{\"args\": {\"order_id\": 1, \"note\": \"%070000d\"}}", 0);
    for (int round = 0; round < 2; round++) {
        s_assert_kind (e2e_request (req, big), "too_large", "oversized request");
        s_assert_serves (req, svc, good++);
    }

    //  A multi-frame request.
    const char *frames [] = { "{\"args\": {\"order_id\": 1}}", "{\"args\": {\"order_id\": 2}}" };
    for (int round = 0; round < 2; round++) {
        s_assert_kind (e2e_request_frames (req, frames, 2), "bad_frames", "two-frame request");
        s_assert_serves (req, svc, good++);
    }

    //  No bad request reached the handler.
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "got order "), good - 100);

    //  Logged once per cause at WARNING on the console (INFO) and in the
    //  file (DEBUG), and the repeats at DEBUG in the file. The last good
    //  request in both logs means everything before it was logged.
    const char *last = e2e_fmt ("got order %d ", good - 1);
    E2E_ASSERT_LOG (svc, last, E2E_LOG_MS);
    if (!e2e_wait_file_contains (log_path, last, E2E_LOG_MS))
        fail_msg ("log file %s lacks \"%s\"", log_path, last);
    for (size_t k = 0; k < KIND_COUNT; k++) {
        const char *what = e2e_fmt ("orders: dropped %s", s_kinds [k]);
        int console_warnings = e2e_line_count (e2e_proc_out (svc), what, " WARNING ");
        int console_all = e2e_line_count (e2e_proc_out (svc), what, NULL);
        int file_warnings = e2e_line_count (log_path, what, " WARNING ");
        int file_debug = e2e_line_count (log_path, what, " DEBUG ");
        if (console_warnings != 1 || console_all != 1 || file_warnings != 1 || file_debug < 1) {
            e2e_dump (svc);
            fail_msg ("\"%s\": expected 1 WARNING (console and file) and the repeats at "
                      "DEBUG (file only); got console %d WARNING / %d lines, file %d WARNING / "
                      "%d DEBUG", what, console_warnings, console_all, file_warnings, file_debug);
        }
    }
    assert_true (e2e_alive (svc));
}

/* ---- Subscriber ---------------------------------------------------------- */

//  Publishes a good message until the subscriber logs it (slow joiner).
static void
s_publish_until_heard (zsock_t *pub, e2e_proc_t *svc, const char *src, int n)
{
    const char *frames [] = {
        "", e2e_fmt ("{\"args\": {\"n\": %d, \"src\": \"%s\"}}", n, src)
    };
    const char *heard = e2e_fmt ("heard src=%s n=%d ", src, n);
    long long deadline = e2e_now_ms () + E2E_LOG_MS;
    while (true) {
        assert_int_equal (e2e_send_frames (pub, frames, 2), 0);
        if (e2e_wait_log (svc, heard, 50))
            return;
        if (e2e_now_ms () >= deadline || !e2e_alive (svc)) {
            e2e_dump (svc);
            fail_msg ("subscriber never heard \"%s\"", heard);
        }
    }
}

static void
test_subscriber_malformed (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("listener_all"), e2e_fmt (
        "{\"connections\": {\"in\": {\"ticks\": {\"subscriber\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *pub = e2e_pub_connect (e2e_endpoint (port));
    assert_non_null (pub);
    s_publish_until_heard (pub, svc, "probe", 0);

    const char *env = "{\"args\": {\"n\": 1, \"src\": \"bad\"}}";
    const char *one_frame [] = { env };
    const char *three_frames [] = { "", env, "extra" };
    const char *not_json [] = { "", "not json{" };
    const char *not_utf8 [] = { "", "{\"args\": {\"n\": 1, \"src\": \"\xff\"}}" };
    const char *not_object [] = { "", "[1]" };
    const char *no_args [] = { "", "{\"workflow_id\": \"w\"}" };
    const char *wrong_type [] = { "", "{\"args\": {\"n\": \"1\", \"src\": \"bad\"}}" };
    const char *unknown_arg [] = { "", "{\"args\": {\"n\": 1, \"src\": \"bad\", \"x\": 1}}" };
    const char *too_large [] = {
        "", e2e_fmt ("{\"args\": {\"n\": 1, \"src\": \"bad\", \"pad\": \"%05000d\"}}", 0)
    };
    for (int round = 0; round < 2; round++) {
        assert_int_equal (e2e_send_frames (pub, one_frame, 1), 0);
        assert_int_equal (e2e_send_frames (pub, three_frames, 3), 0);
        assert_int_equal (e2e_send_frames (pub, not_json, 2), 0);
        assert_int_equal (e2e_send_frames (pub, not_utf8, 2), 0);
        assert_int_equal (e2e_send_frames (pub, not_object, 2), 0);
        assert_int_equal (e2e_send_frames (pub, no_args, 2), 0);
        assert_int_equal (e2e_send_frames (pub, wrong_type, 2), 0);
        assert_int_equal (e2e_send_frames (pub, unknown_arg, 2), 0);
        assert_int_equal (e2e_send_frames (pub, too_large, 2), 0);
    }
    //  Messages on one connection arrive in order: once the next good one is
    //  heard, every bad one before it has been dropped.
    const char *after [] = { "", "{\"args\": {\"n\": 2, \"src\": \"after\"}}" };
    assert_int_equal (e2e_send_frames (pub, after, 2), 0);
    E2E_ASSERT_LOG (svc, "heard src=after n=2 ", E2E_LOG_MS);

    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "heard src=bad"), 0);
    for (size_t k = 0; k < KIND_COUNT; k++) {
        const char *what = e2e_fmt ("ticks: dropped %s", s_kinds [k]);
        int warnings = e2e_line_count (e2e_proc_out (svc), what, " WARNING ");
        int all = e2e_line_count (e2e_proc_out (svc), what, NULL);
        if (warnings != 1 || all != 1) {
            e2e_dump (svc);
            fail_msg ("\"%s\": expected exactly 1 WARNING line at -cl INFO, got %d WARNING "
                      "of %d lines", what, warnings, all);
        }
    }
    assert_true (e2e_alive (svc));
}

/* ---- Garbage on the replyer's port --------------------------------------- */

#define S_GARBAGE_BYTES 65536
#define S_GARBAGE_ROUNDS 12

//  Writes `len` pseudo-random bytes (seeded) on a fresh raw TCP connection
//  to 127.0.0.1:port, then returns the open socket (the caller closes it).
//  The service may hang up part-way; what was written until then counts.
static int
s_write_garbage (int port, unsigned seed, size_t len)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (fd >= 0);
    struct timeval timeout = { .tv_sec = 2 };
    setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port),
                                .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    assert_int_equal (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    unsigned char *bytes = malloc (len);
    assert_non_null (bytes);
    srandom (seed);
    for (size_t i = 0; i < len; i++)
        bytes [i] = (unsigned char) random ();
    size_t sent = 0;
    while (sent < len) {
        ssize_t rc = send (fd, bytes + sent, len - sent, MSG_NOSIGNAL);
        if (rc <= 0)
            break;                  //  hung up on, or not read for 2 s
        sent += (size_t) rc;
    }
    free (bytes);
    return fd;
}

//  echo_replyer at `port`, console log at `level`.
static e2e_proc_t *
s_echo_replyer (const char *dir, int port, const char *level)
{
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, "-cl", level, NULL);
    E2E_ASSERT_READY (svc);
    return svc;
}

//  64 KiB of random bytes on a raw TCP connection, then a good request from
//  a fresh REQ: its reply must arrive, every round. (A REP socket of libzmq
//  4.3.4 lost the reply in most rounds.)
static void
test_replyer_after_garbage (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_echo_replyer (dir, port, "INFO");
    int answered = 0;
    for (int round = 0; round < S_GARBAGE_ROUNDS; round++) {
        int fd = s_write_garbage (port, 1000u + (unsigned) round, S_GARBAGE_BYTES);
        zsock_t *req = e2e_req (e2e_endpoint (port));
        assert_non_null (req);
        cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %d}}", round));
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive (ret, "order_id");
        if (cJSON_IsNumber (id) && id->valueint == round)
            answered++;
        else
            print_message ("round %d (seed %u): no reply within %d ms\n", round, 1000u + round,
                           E2E_REPLY_MS);
        e2e_sock_destroy (&req);
        close (fd);
    }
    if (answered != S_GARBAGE_ROUNDS) {
        e2e_dump (svc);
        fail_msg ("after %d bytes of garbage, %d of %d requests got their reply",
                  S_GARBAGE_BYTES, answered, S_GARBAGE_ROUNDS);
    }
    assert_true (e2e_alive (svc));
}

//  A DEALER is served like a REQ when it sends REQ's empty delimiter frame;
//  a message with no routing envelope is dropped, counted as bad_frames and
//  logged once, and the DEALER's next proper request is answered.
static void
test_replyer_dealer_envelopes (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_echo_replyer (dir, port, "DEBUG");
    zsock_t *dealer = e2e_dealer (e2e_endpoint (port));
    assert_non_null (dealer);
    const char *no_delimiter [] = { "{\"args\": {\"order_id\": 1}}" };
    const char *delimiter_only [] = { "" };
    for (int round = 0; round < 2; round++) {
        assert_int_equal (e2e_send_frames (dealer, no_delimiter, 1), 0);
        assert_int_equal (e2e_send_frames (dealer, delimiter_only, 1), 0);
    }
    for (int n = 2; n < 4; n++) {
        const char *good [] = { "", e2e_fmt ("{\"args\": {\"order_id\": %d}}", n) };
        assert_int_equal (e2e_send_frames (dealer, good, 2), 0);
        zmsg_t *reply = e2e_recv (dealer);
        if (!reply) {
            e2e_dump (svc);
            fail_msg ("no reply to the DEALER's request %d", n);
        }
        //  [empty][reply]: the answer to this request, not to a dropped one.
        assert_int_equal (zmsg_size (reply), 2);
        assert_string_equal (e2e_frame_text (reply, 0), "");
        cJSON *parsed = e2e_keep_json (cJSON_Parse (e2e_frame_text (reply, 1)));
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive (parsed, "return_args");
        assert_int_equal (cJSON_GetObjectItemCaseSensitive (ret, "order_id")->valueint, n);
    }
    //  Four dropped, counted: one WARNING, the repeats at DEBUG with the count.
    E2E_ASSERT_LOG (svc, "orders: dropped bad_frames (4 so far)", E2E_LOG_MS);
    const char *what = "orders: dropped bad_frames";
    int warnings = e2e_line_count (e2e_proc_out (svc), what, " WARNING ");
    if (warnings != 1) {
        e2e_dump (svc);
        fail_msg ("expected one WARNING \"%s\", got %d", what, warnings);
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "got order 1 "), 0);
    assert_true (e2e_alive (svc));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_replyer_malformed),
        T (test_subscriber_malformed),
        T (test_replyer_after_garbage),
        T (test_replyer_dealer_envelopes),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
