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
s_sender_pipelined (int timeout_ms, int retries, int batch, int in_flight)
{
    sender_config_t config = {
        .name = "events", .endpoint = s_endpoint, .outbox_path = s_path,
        .timeout_ms = timeout_ms, .retries = retries, .backoff_ms = 1, .backoff_max_ms = 5,
        .batch = batch, .in_flight = in_flight, .max_bytes = 1 << 20
    };
    char err [ERR_LEN] = "";
    sender_t *sender = sender_new (&config, err);
    if (!sender)
        fail_msg ("sender_new: %s", err);
    return sender;
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

//  The rest of a request at the ROUTER, [empty][body]: the body parsed.
//  Destroys the message.
static cJSON *
s_pop_body (zmsg_t **msg_p)
{
    zframe_t *empty = zmsg_pop (*msg_p);
    assert_non_null (empty);
    assert_int_equal (zframe_size (empty), 0);
    zframe_destroy (&empty);
    char *text = zmsg_popstr (*msg_p);
    cJSON *body = text? cJSON_Parse (text): NULL;
    assert_non_null (body);
    free (text);
    zmsg_destroy (msg_p);
    return body;
}

static s_request_t
s_receive (void)
{
    zmsg_t *msg = zmsg_recv (s_router);
    if (!msg)
        fail_msg ("no request within 3 s");
    assert_int_equal (zmsg_size (msg), 3);              //  identity, empty, body
    s_request_t request;
    request.identity = zmsg_pop (msg);
    request.body = s_pop_body (&msg);
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

//  A pipelined request at the ROUTER: [identity][tag][empty][body].
typedef struct {
    zframe_t *identity;
    zframe_t *tag;
    cJSON *body;
} s_tagged_t;

static s_tagged_t
s_receive_tagged (void)
{
    zmsg_t *msg = zmsg_recv (s_router);
    if (!msg)
        fail_msg ("no request within 3 s");
    assert_int_equal (zmsg_size (msg), 4);
    s_tagged_t request;
    request.identity = zmsg_pop (msg);
    request.tag = zmsg_pop (msg);
    request.body = s_pop_body (&msg);
    return request;
}

//  The n of a batch request's member `index`.
static int
s_batch_n (const s_tagged_t *request, int index)
{
    const cJSON *member = cJSON_GetArrayItem (cJSON_GetObjectItem (request->body, "batch"), index);
    return cJSON_GetObjectItem (cJSON_GetObjectItem (member, "args"), "n")->valueint;
}

//  Answers a batch request: one reply per member, `errors` (a string of
//  '0'/'1', NULL: none) saying which are error replies.
static void
s_reply_batch (s_tagged_t *request, const char *errors)
{
    int count = cJSON_GetArraySize (cJSON_GetObjectItem (request->body, "batch"));
    char text [4096] = "{\"batch\": [";
    for (int i = 0; i < count; i++)
        strcat (text, errors && errors [i] == '1'? "{\"error\": {\"kind\": \"handler_failed\", \"message\": \"no\"}},"
                                                 : "{\"return_args\": {}},");
    text [strlen (text) - 1] = 0;
    strcat (text, "]}");
    zmsg_t *msg = zmsg_new ();
    zmsg_append (msg, &request->identity);
    zmsg_append (msg, &request->tag);
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, text);
    zmsg_send (&msg, s_router);
    cJSON_Delete (request->body);
}

static void
s_drop (s_tagged_t *request)
{
    zframe_destroy (&request->identity);
    zframe_destroy (&request->tag);
    cJSON_Delete (request->body);
}

//  in_flight 4, 3 rows per request: four requests go out before any reply,
//  rows in order. The first two are answered; the replies of the other two
//  are lost: after timeout_ms everything unacknowledged is sent again, from
//  the first unacknowledged row (7), on a fresh socket; nothing is skipped.
//  A member refused with an error reply is sent again, the others not.
static void
test_pipelined_batches (void **state)
{
    (void) state;
    char err [ERR_LEN];
    outbox_t *producer = outbox_open (s_path, true, err);
    s_enqueue (producer, 1, 24);
    sender_t *sender = s_sender_pipelined (300, 3, 3, 4);
    s_tagged_t requests [4];
    for (int i = 0; i < 4; i++) {
        requests [i] = s_receive_tagged ();
        assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (requests [i].body, "batch")), 3);
        for (int k = 0; k < 3; k++)
            assert_int_equal (s_batch_n (&requests [i], k), 3 * i + k + 1);
    }
    //  Replies out of order are matched by their tags.
    s_reply_batch (&requests [1], NULL);
    s_reply_batch (&requests [0], NULL);
    s_drop (&requests [2]);
    s_drop (&requests [3]);
    //  The next requests (sent once the first replies came) and the resends:
    //  serve until the resend of row 7 comes, from a new peer.
    bool resent = false;
    int64_t deadline = zclock_mono () + 3000;
    while (!resent && zclock_mono () < deadline) {
        s_tagged_t request = s_receive_tagged ();
        if (s_batch_n (&request, 0) == 7) {
            resent = true;
            //  The member for row 8 is refused once; the others acknowledged.
            s_reply_batch (&request, "010");
        }
        else
            s_drop (&request);          //  lost with the old socket
    }
    assert_true (resent);
    //  Serve the rest; every n must come, the refused 8 again.
    bool seen [25] = { false };
    for (int n = 1; n <= 7; n++)
        seen [n] = true;
    seen [9] = true;
    zsock_set_rcvtimeo (s_router, 200);
    deadline = zclock_mono () + 5000;
    while (s_count (producer, 0) > 0 && zclock_mono () < deadline) {
        zmsg_t *msg = zmsg_recv (s_router);
        if (!msg)
            continue;
        zframe_t *identity = zmsg_pop (msg), *tag = zmsg_pop (msg);
        s_tagged_t request = { identity, tag, s_pop_body (&msg) };
        const cJSON *batch = cJSON_GetObjectItem (request.body, "batch");
        int count = batch? cJSON_GetArraySize (batch): 1;
        for (int k = 0; k < count; k++) {
            int n = batch? s_batch_n (&request, k)
                         : cJSON_GetObjectItem (cJSON_GetObjectItem (request.body, "args"), "n")->valueint;
            seen [n] = true;
        }
        if (batch)
            s_reply_batch (&request, NULL);
        else {
            zmsg_t *reply = zmsg_new ();
            zmsg_append (reply, &request.identity);
            zmsg_append (reply, &request.tag);
            zmsg_addstr (reply, "");
            zmsg_addstr (reply, "{\"return_args\": {}}");
            zmsg_send (&reply, s_router);
            cJSON_Delete (request.body);
        }
    }
    for (int n = 1; n <= 24; n++)
        if (!seen [n])
            fail_msg ("row %d was never sent again", n);
    assert_int_equal (s_count (producer, 0), 0);
    assert_int_equal (s_count (producer, 1), 24);
    sender_destroy (&sender);
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
        cmocka_unit_test_setup_teardown (test_pipelined_batches, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
