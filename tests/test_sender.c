/*  test_sender - the outbox sender actor against a raw ROUTER peer: order, message ids, marks,
    lost replies, error replies, and a bounded stop.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <czmq.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include "outbox.h"
#include "store.h"
#include "sender.h"

static char s_dir [64];
static char s_path [128];
static zsock_t *s_router;       //  the downstream, played by the test
static char s_endpoint [64];

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_sender.XXXXXX");
    if (!mkdtemp (s_dir))
        return -1;
    snprintf (s_path, sizeof s_path, "%s/svc.events.outbox.db", s_dir);
    s_router = zsock_new (ZMQ_ROUTER);
    int port = zsock_bind (s_router, "tcp://127.0.0.1:*");
    if (port < 0)
        return -1;
    snprintf (s_endpoint, sizeof s_endpoint, "tcp://127.0.0.1:%d", port);
    zsock_set_rcvtimeo (s_router, 3000);
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    zsock_destroy (&s_router);
    const char *suffixes [] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        char path [160];
        snprintf (path, sizeof path, "%s%s", s_path, suffixes [i]);
        unlink (path);
    }
    rmdir (s_dir);
    return 0;
}

static sender_t *
s_sender (int timeout_ms, int retries, int batch)
{
    sender_config_t config = {
        .name = "events", .endpoint = s_endpoint, .outbox_path = s_path,
        .timeout_ms = timeout_ms, .retries = retries, .backoff_ms = 1, .backoff_max_ms = 5,
        .batch = batch, .in_flight = 1, .max_bytes = 1 << 20
    };
    char err [ERR_LEN] = "";
    sender_t *sender = sender_new (&config, err);
    if (!sender)
        fail_msg ("sender_new: %s", err);
    return sender;
}

static void
s_enqueue (outbox_t *outbox, int from, int to)
{
    char err [ERR_LEN];
    for (int i = from; i <= to; i++) {
        char id [16], args [32];
        snprintf (id, sizeof id, "m%03d", i);
        snprintf (args, sizeof args, "{\"n\":%d}", i);
        assert_int_equal (outbox_enqueue (outbox, id, "wf", args, err), 1);
    }
}

//  One request at the ROUTER: its peer identity and its parsed body.
typedef struct {
    zframe_t *identity;
    cJSON *body;
} s_request_t;

static s_request_t
s_receive (void)
{
    zmsg_t *msg = zmsg_recv (s_router);
    if (!msg)
        fail_msg ("no request within 3 s");
    assert_int_equal (zmsg_size (msg), 3);              //  identity, empty, body
    s_request_t request;
    request.identity = zmsg_pop (msg);
    zframe_t *empty = zmsg_pop (msg);
    zframe_destroy (&empty);
    char *text = zmsg_popstr (msg);
    request.body = cJSON_Parse (text);
    assert_non_null (request.body);
    free (text);
    zmsg_destroy (&msg);
    return request;
}

static void
s_reply (s_request_t *request, const char *text)
{
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &request->identity);
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, text);
    zmsg_send (&msg, s_router);
}

static const char *
s_field (const s_request_t *request, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem (request->body, key);
    return cJSON_IsString (item)? item->valuestring: "";
}

static long
s_count (outbox_t *outbox, int state)
{
    long counts [3];
    char err [ERR_LEN];
    assert_int_equal (outbox_counts (outbox, &counts [0], &counts [1], &counts [2], err), 0);
    return counts [state];
}

//  Waits (bounded) until the outbox has `want` rows in `state`.
static void
s_wait_count (outbox_t *outbox, int state, long want)
{
    int64_t deadline = zclock_mono () + 3000;
    while (s_count (outbox, state) != want) {
        if (zclock_mono () > deadline)
            fail_msg ("state %d: %ld rows, want %ld", state, s_count (outbox, state), want);
        zclock_sleep (5);
    }
}

//  Rows already in the outbox and rows added later: all sent oldest first,
//  with their message ids and args; all marked delivered.
static void
test_delivers_in_order (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *producer = outbox_open (s_path, true, err);
    s_enqueue (producer, 1, 40);
    sender_t *sender = s_sender (2000, 3, 1);
    for (int i = 1; i <= 100; i++) {
        if (i == 41) {
            s_enqueue (producer, 41, 100);
            sender_wake (sender);
        }
        s_request_t request = s_receive ();
        char id [16];
        snprintf (id, sizeof id, "m%03d", i);
        assert_string_equal (s_field (&request, "message_id"), id);
        assert_string_equal (s_field (&request, "workflow_id"), "wf");
        assert_int_equal (cJSON_GetObjectItem (cJSON_GetObjectItem (request.body, "args"), "n")->valueint, i);
        cJSON_Delete (request.body);
        s_reply (&request, "{\"return_args\": {}}");
    }
    s_wait_count (producer, 1, 100);
    assert_int_equal (s_count (producer, 0), 0);
    sender_destroy (&sender);
    assert_null (sender);
    outbox_destroy (&producer);
}

//  Acknowledged rows whose "delivered" mark fails (another connection holds
//  the outbox's write lock past the busy timeout) stay pending: they are
//  read and sent again once the lock is gone, never left behind while later
//  rows are delivered. Takes the busy timeout (STORE_BUSY_MS) once.
static void
test_failed_mark_is_sent_again (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *producer = outbox_open (s_path, true, err);
    s_enqueue (producer, 1, 4);
    zsock_set_rcvtimeo (s_router, STORE_BUSY_MS * 3);
    sender_t *sender = s_sender (STORE_BUSY_MS * 3, 3, 1);
    //  The first batch, m001 and m002, is acknowledged while another
    //  connection holds the write lock (taken once the sender has opened
    //  the outbox); marking it waits for the lock, gives up, and only then
    //  does the next request come.
    sqlite3 *locker = NULL;
    for (int i = 1; i <= 2; i++) {
        s_request_t request = s_receive ();
        if (i == 1) {
            assert_int_equal (sqlite3_open (s_path, &locker), SQLITE_OK);
            assert_int_equal (sqlite3_exec (locker, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
        }
        cJSON_Delete (request.body);
        s_reply (&request, "{\"return_args\": {}}");
    }
    s_request_t next = s_receive ();
    assert_int_equal (sqlite3_exec (locker, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close (locker);
    //  Serve whatever comes until nothing is pending (bounded).
    int64_t deadline = zclock_mono () + STORE_BUSY_MS * 3;
    cJSON_Delete (next.body);
    s_reply (&next, "{\"return_args\": {}}");
    zsock_set_rcvtimeo (s_router, 200);
    while (s_count (producer, 0) > 0 && zclock_mono () < deadline) {
        zmsg_t *msg = zmsg_recv (s_router);
        if (!msg)
            continue;
        zframe_t *identity = zmsg_pop (msg);
        zmsg_destroy (&msg);
        s_request_t request = { identity, NULL };
        s_reply (&request, "{\"return_args\": {}}");
    }
    assert_int_equal (s_count (producer, 0), 0);
    assert_int_equal (s_count (producer, 1), 4);
    sender_destroy (&sender);
    outbox_destroy (&producer);
}

//  A lost reply: the same row again, on a fresh socket (a new peer
//  identity); nothing after it goes first.
static void
test_lost_reply_is_sent_again (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *producer = outbox_open (s_path, true, err);
    s_enqueue (producer, 1, 2);
    sender_t *sender = s_sender (100, 3, 1);
    s_request_t first = s_receive ();
    assert_string_equal (s_field (&first, "message_id"), "m001");
    cJSON_Delete (first.body);                      //  no reply: lost
    s_request_t again = s_receive ();
    assert_string_equal (s_field (&again, "message_id"), "m001");
    assert_false (zframe_eq (first.identity, again.identity));
    zframe_destroy (&first.identity);
    cJSON_Delete (again.body);
    s_reply (&again, "{\"return_args\": {}}");
    s_request_t next = s_receive ();
    assert_string_equal (s_field (&next, "message_id"), "m002");
    cJSON_Delete (next.body);
    s_reply (&next, "{\"return_args\": {}}");
    s_wait_count (producer, 1, 2);
    sender_destroy (&sender);
    outbox_destroy (&producer);
}

//  Error replies: 1 + `retries` attempts (retries 2: 3), then the row is marked failed with
//  the error, and the next row goes.
static void
test_error_replies_then_failed (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *producer = outbox_open (s_path, true, err);
    s_enqueue (producer, 1, 2);
    sender_t *sender = s_sender (2000, 2, 1);
    for (int attempt = 1; attempt <= 3; attempt++) {
        s_request_t request = s_receive ();
        assert_string_equal (s_field (&request, "message_id"), "m001");
        cJSON_Delete (request.body);
        s_reply (&request, "{\"error\": {\"kind\": \"handler_failed\", \"message\": \"no stock\"}}");
    }
    s_request_t next = s_receive ();
    assert_string_equal (s_field (&next, "message_id"), "m002");
    cJSON_Delete (next.body);
    s_reply (&next, "{\"return_args\": {}}");
    s_wait_count (producer, 1, 1);
    s_wait_count (producer, 2, 1);
    sender_destroy (&sender);
    outbox_destroy (&producer);
}

//  A stop while the downstream does not answer ends at once (it is down:
//  no grace) and leaves the row pending.
static void
test_stop_is_bounded (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *producer = outbox_open (s_path, true, err);
    s_enqueue (producer, 1, 1);
    sender_t *sender = s_sender (100, 3, 1);
    s_request_t first = s_receive ();               //  never answered
    cJSON_Delete (first.body);
    zframe_destroy (&first.identity);
    s_request_t again = s_receive ();               //  down now; its copy waits too
    cJSON_Delete (again.body);
    zframe_destroy (&again.identity);
    int64_t start = zclock_mono ();
    sender_destroy (&sender);
    int64_t took = zclock_mono () - start;
    if (took > 300)
        fail_msg ("stopping a sender whose downstream is down took %" PRId64 " ms", took);
    assert_int_equal (s_count (producer, 0), 1);
    outbox_destroy (&producer);
}

static void
test_envelope (void **state)
{
    (void) state;
    char *text = sender_envelope ("{\"n\":1}", "wf \"1\"", "m\\1");
    assert_string_equal (text, "{\"args\":{\"n\":1},\"workflow_id\":\"wf \\\"1\\\"\",\"message_id\":\"m\\\\1\"}");
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_envelope),
        cmocka_unit_test_setup_teardown (test_delivers_in_order, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_lost_reply_is_sent_again, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_failed_mark_is_sent_again, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_error_replies_then_failed, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_stop_is_bounded, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
