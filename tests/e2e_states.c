/*  e2e_states - replicated delta state: wire form, late and early join, gaps, restarts (SPEC §6, §7).

    state_pub (main mode) is the out side of the delta state `book`;
    state_sub is its in side and logs every new value as "update state=JSON".
    full_pub and full_sub do the same for the full-update state `level`.
    The gap test plays the out side itself with a raw PUB and a raw REP, so
    it decides exactly which updates the in side sees.
*/
#include "e2e.h"

#include <string.h>

//  The JSON after `prefix` on the last line of `path` that has it
//  (harness-owned), or NULL.
static cJSON *
s_last_json (const char *path, const char *prefix)
{
    char *line = e2e_grep_last (path, prefix);
    return line ? e2e_keep_json (cJSON_Parse (strstr (line, prefix) + strlen (prefix))) : NULL;
}

typedef struct {
    e2e_proc_t *sub;
    const cJSON *expected;
} s_value_t;

//  True once the in side's last logged value equals the expected one (or
//  it has exited, which ends the wait early).
static bool
s_value_reached (void *arg)
{
    s_value_t *wait = arg;
    char *line = e2e_grep_last (e2e_proc_out (wait->sub), " update state=");
    cJSON *value = line ? cJSON_Parse (strstr (line, " update state=") + 14) : NULL;
    bool same = value && cJSON_Compare (value, wait->expected, true);
    cJSON_Delete (value);
    return same || !e2e_alive (wait->sub);
}

//  Asserts the in side reaches `expected` within E2E_LOG_MS.
static void
s_assert_value (e2e_proc_t *sub, e2e_proc_t *pub, const cJSON *expected)
{
    s_value_t wait = { sub, expected };
    e2e_poll (s_value_reached, &wait, E2E_LOG_MS);
    cJSON *value = s_last_json (e2e_proc_out (sub), " update state=");
    if (!value || !cJSON_Compare (value, expected, true)) {
        e2e_dump (pub);
        e2e_dump (sub);
        fail_msg ("in side never reached %s; last value %s", e2e_json (expected), e2e_json (value));
    }
}

static char *
s_out_addresses (int pub_port, int rep_port)
{
    return e2e_fmt ("{\"states\": {\"out\": {\"book\": {\"publisher\": \"%s\", "
                    "\"replyer\": \"%s\"}}, \"in\": {}}}", e2e_addr (pub_port), e2e_addr (rep_port));
}

static char *
s_in_addresses (int pub_port, int rep_port)
{
    return e2e_fmt ("{\"states\": {\"in\": {\"book\": {\"subscriber\": \"%s\", "
                    "\"requester\": \"%s\"}}, \"out\": {}}}", e2e_addr (pub_port), e2e_addr (rep_port));
}

//  Starts state_pub, waits until it published all `count` patches, and
//  returns its final value (harness-owned).
static cJSON *
s_run_pub (const char *dir, int pub_port, int rep_port, int count, const char *tag,
           e2e_proc_t **proc_p)
{
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("state_pub"), s_out_addresses (pub_port, rep_port),
                                 e2e_fmt ("{\"count\": %d, \"period_ms\": 10, \"tag\": \"%s\"}",
                                          count, tag), "-m", NULL);
    E2E_ASSERT_READY (pub);
    E2E_ASSERT_LOG (pub, e2e_fmt ("published last=%d", count), E2E_LOG_MS);
    cJSON *value = s_last_json (e2e_proc_out (pub), " out state=");
    assert_non_null (value);
    *proc_p = pub;
    return value;
}

static void
test_wire_form_and_snapshot (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    zsock_t *sub = e2e_sub (e2e_endpoint (pub_port), "");
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("state_pub"), s_out_addresses (pub_port, rep_port),
                                 "{\"count\": 40, \"period_ms\": 20}", "-m", NULL);
    E2E_ASSERT_READY (pub);
    E2E_ASSERT_LOG (pub, " ready: 0 connections, 1 states", 0);

    //  [topic][{"epoch", "seq", "is_snapshot": false, "state": PATCH}],
    //  seq one more each time (heartbeats, if any, carry no state).
    char *epoch = NULL;
    long long last_seq = -1;
    int updates = 0;
    for (int i = 0; i < 50 && updates < 3; i++) {
        zmsg_t *msg = e2e_recv (sub);
        if (!msg) {
            e2e_dump (pub);
            fail_msg ("no state update on the publisher");
        }
        assert_int_equal (zmsg_size (msg), 2);
        assert_string_equal (e2e_frame_text (msg, 0), "");
        cJSON *update = e2e_keep_json (cJSON_Parse (e2e_frame_text (msg, 1)));
        assert_non_null (update);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive (update, "epoch");
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive (update, "seq");
        const cJSON *patch = cJSON_GetObjectItemCaseSensitive (update, "state");
        assert_true (cJSON_IsString (e) && strlen (e->valuestring) > 0);
        assert_true (cJSON_IsNumber (seq));
        if (!epoch)
            epoch = e2e_fmt ("%s", e->valuestring);
        assert_string_equal (e->valuestring, epoch);
        if (!patch)
            continue;               //  a heartbeat
        assert_true (cJSON_IsObject (patch));
        assert_true (cJSON_IsFalse (cJSON_GetObjectItemCaseSensitive (update, "is_snapshot")));
        const cJSON *n = cJSON_GetObjectItemCaseSensitive (patch, "last");
        assert_true (cJSON_IsNumber (n));
        //  state_pub's patch i is update seq i.
        assert_int_equal ((long long) seq->valuedouble, n->valueint);
        if (last_seq >= 0)
            assert_int_equal ((long long) seq->valuedouble, last_seq + 1);
        last_seq = (long long) seq->valuedouble;
        updates++;
    }
    assert_int_equal (updates, 3);

    //  The snapshot replyer: {"args": {}} -> {"return_args": {"epoch", "seq", "state"}}.
    E2E_ASSERT_LOG (pub, "published last=40", E2E_LOG_MS);
    cJSON *final = s_last_json (e2e_proc_out (pub), " out state=");
    zsock_t *req = e2e_req (e2e_endpoint (rep_port));
    cJSON *reply = e2e_request (req, "{\"args\": {}}");
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive (ret, "seq");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive (ret, "epoch");
    if (!cJSON_IsNumber (seq) || seq->valueint != 40 || !cJSON_IsString (e)
        || strcmp (e->valuestring, epoch) != 0
        || !cJSON_Compare (cJSON_GetObjectItemCaseSensitive (ret, "state"), final, true))
        fail_msg ("snapshot reply: expected epoch %s, seq 40 and the out side's value; got %s",
                  epoch, e2e_json (reply));
}

static void
test_late_join (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    e2e_proc_t *pub;
    cJSON *final = s_run_pub (dir, pub_port, rep_port, 20, "k", &pub);
    //  Every update was published before the in side existed.
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub"),
                                 s_in_addresses (pub_port, rep_port), NULL, NULL);
    E2E_ASSERT_READY (sub);
    s_assert_value (sub, pub, final);
}

static void
test_early_join (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    //  The in side starts first, while nothing answers its snapshot request.
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub"),
                                 s_in_addresses (pub_port, rep_port), NULL, NULL);
    E2E_ASSERT_READY (sub);
    e2e_proc_t *pub;
    cJSON *final = s_run_pub (dir, pub_port, rep_port, 30, "k", &pub);
    s_assert_value (sub, pub, final);
}

//  on_update runs once per applied update, in order, each call with the
//  value right after its update, even when updates come while a call is
//  still running (state_sub_each sleeps in its first calls): after the
//  snapshot's call, no update is skipped.
static void
test_on_update_once_per_update (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    const int count = 200;
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub_each"), s_in_addresses (pub_port, rep_port),
                                 e2e_fmt ("{\"count\": %d}", count), NULL);
    E2E_ASSERT_READY (sub);
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("state_pub"), s_out_addresses (pub_port, rep_port),
                                 e2e_fmt ("{\"count\": %d, \"period_ms\": 1, \"tag\": \"k\"}", count), "-m", NULL);
    E2E_ASSERT_READY (pub);
    if (!e2e_wait_log (sub, "each calls=", E2E_LOG_MS)) {
        e2e_dump (pub);
        e2e_dump (sub);
        fail_msg ("the in side's on_update never saw update %d", count);
    }
    char *line = e2e_grep_last (e2e_proc_out (sub), "each calls=");
    int calls = 0, gaps = -1;
    assert_int_equal (sscanf (strstr (line, "each calls="), "each calls=%d gaps=%d", &calls, &gaps), 2);
    if (gaps != 0) {
        e2e_dump (sub);
        fail_msg ("on_update skipped updates: %d calls, %d gaps after the first", calls, gaps);
    }
    //  The snapshot's call covers the updates before it; every one after gets its own.
    assert_true (calls >= 2 && calls <= count);
}

//  An on_update that falls behind (its first call, update 1's, waits until
//  the replica itself holds the last of 2000 updates, which it does
//  meanwhile): once 1024 updates wait for their calls, they are folded into
//  one call with the newest value, and a WARNING says so. The owner holds
//  updates 2.. until the in side has seen update 1, so all 1999 queue
//  behind that call however late the in side joins. The plugin sees fewer
//  calls than updates, never an update out of order, and the last value;
//  the in side keeps up meanwhile.
static void
test_on_update_behind_folds (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    const int count = 2000;
    char *gate = e2e_fmt ("%s/gate-%d", dir, pub_port);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub_each"), s_in_addresses (pub_port, rep_port),
                                 e2e_fmt ("{\"count\": %d, \"hold\": true}", count), NULL);
    E2E_ASSERT_READY (sub);
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("state_pub"), s_out_addresses (pub_port, rep_port),
                                 e2e_fmt ("{\"count\": %d, \"period_ms\": 0, \"tag\": \"k\", "
                                          "\"gate_after\": 1, \"gate_file\": \"%s\"}", count, gate),
                                 "-m", NULL);
    E2E_ASSERT_READY (pub);
    E2E_ASSERT_LOG (sub, "seen last=1\n", E2E_LOG_MS);
    FILE *file = fopen (gate, "w");
    assert_non_null (file);
    fclose (file);
    //  The owner logs its whole value after each send: slow under a sanitizer.
    E2E_ASSERT_LOG (pub, e2e_fmt ("published last=%d", count), E2E_LOG_MS * 12);
    if (!e2e_wait_log (sub, "each calls=", E2E_LOG_MS * 4)) {
        e2e_dump (pub);
        e2e_dump (sub);
        fail_msg ("the in side's on_update never saw update %d", count);
    }
    char *line = e2e_grep_last (e2e_proc_out (sub), "each calls=");
    int calls = 0, gaps = -1;
    assert_int_equal (sscanf (strstr (line, "each calls="), "each calls=%d gaps=%d", &calls, &gaps), 2);
    if (!e2e_grep_last (e2e_proc_out (sub), "updates folded into one call with the newest value")) {
        e2e_dump (sub);
        fail_msg ("no fold warning, though on_update fell behind (%d calls for %d updates)", calls, count);
    }
    assert_true (calls < count && gaps >= 1);
}

static void
test_out_side_restart (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    e2e_proc_t *pub;
    cJSON *first = s_run_pub (dir, pub_port, rep_port, 5, "a", &pub);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub"),
                                 s_in_addresses (pub_port, rep_port), NULL, NULL);
    E2E_ASSERT_READY (sub);
    s_assert_value (sub, pub, first);
    int status;
    assert_true (e2e_stop (pub, SIGTERM, 2000, &status));

    //  A new run: a new epoch, seq from 1 again, a value built from nothing.
    e2e_proc_t *pub2;
    cJSON *second = s_run_pub (dir, pub_port, rep_port, 3, "b", &pub2);
    s_assert_value (sub, pub2, second);
}

static void
test_full_update_late_join_and_live (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    char *out_addresses = e2e_fmt ("{\"states\": {\"out\": {\"level\": {\"publisher\": \"%s\", "
                                   "\"replyer\": \"%s\"}}, \"in\": {}}}",
                                   e2e_addr (pub_port), e2e_addr (rep_port));
    char *in_addresses = e2e_fmt ("{\"states\": {\"in\": {\"level\": {\"subscriber\": \"%s\", "
                                  "\"requester\": \"%s\"}}, \"out\": {}}}",
                                  e2e_addr (pub_port), e2e_addr (rep_port));
    //  A late joiner gets the latest whole value.
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("full_pub"), out_addresses,
                                 "{\"count\": 5}", "-m", NULL);
    E2E_ASSERT_READY (pub);
    E2E_ASSERT_LOG (pub, "published last=5", E2E_LOG_MS);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("full_sub"), in_addresses, NULL, NULL);
    E2E_ASSERT_READY (sub);
    s_assert_value (sub, pub, s_last_json (e2e_proc_out (pub), " out state="));
    int status;
    assert_true (e2e_stop (pub, SIGTERM, 2000, &status));

    //  A new run of the out side: the in side follows it live.
    e2e_proc_t *pub2 = e2e_svcfw (dir, e2e_plugin ("full_pub"), out_addresses,
                                  "{\"count\": 40}", "-m", NULL);
    E2E_ASSERT_READY (pub2);
    E2E_ASSERT_LOG (pub2, "published last=40", E2E_LOG_MS);
    s_assert_value (sub, pub2, s_last_json (e2e_proc_out (pub2), " out state="));
}

//  Answers every pending snapshot request on `rep` with `snapshot` (the
//  return_args JSON text). Returns how many it answered.
static int
s_serve_snapshots (zsock_t *rep, const char *snapshot)
{
    int served = 0;
    zmsg_t *msg;
    while ((msg = zmsg_recv (rep))) {
        char *text = e2e_frame_text (msg, 0);
        zmsg_destroy (&msg);
        cJSON *request = e2e_keep_json (cJSON_Parse (text));
        const cJSON *args = cJSON_GetObjectItemCaseSensitive (request, "args");
        if (!cJSON_IsObject (args) || cJSON_GetArraySize (args) != 0)
            fail_msg ("snapshot request is not {\"args\": {}}: %s", text);
        const char *frames [] = { e2e_fmt ("{\"return_args\": %s}", snapshot) };
        assert_int_equal (e2e_send_frames (rep, frames, 1), 0);
        served++;
    }
    return served;
}

//  Answers snapshot requests with `snapshot` until the in side's value is
//  `expected_json`. Returns the snapshot requests served.
static int
s_serve_until (zsock_t *rep, e2e_proc_t *sub, const char *snapshot, const char *expected_json)
{
    cJSON *expected = e2e_keep_json (cJSON_Parse (expected_json));
    assert_non_null (expected);
    int served = 0;
    long long deadline = e2e_now_ms () + E2E_LOG_MS;
    while (true) {
        served += s_serve_snapshots (rep, snapshot);
        cJSON *value = s_last_json (e2e_proc_out (sub), " update state=");
        if (value && cJSON_Compare (value, expected, true))
            return served;
        if (e2e_now_ms () >= deadline || !e2e_alive (sub)) {
            e2e_dump (sub);
            fail_msg ("in side never reached %s (snapshot %s); last value %s",
                      expected_json, snapshot, e2e_json (value));
        }
    }
}

static void
test_gap_fetches_snapshot (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    zsock_t *pub = e2e_xpub (e2e_endpoint (pub_port));
    zsock_t *rep = e2e_rep (e2e_endpoint (rep_port));
    assert_non_null (pub);
    assert_non_null (rep);
    //  Each receive on them doubles as the poll interval of a wait.
    zsock_set_rcvtimeo (pub, 20);
    zsock_set_rcvtimeo (rep, 20);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub"),
                                 s_in_addresses (pub_port, rep_port), NULL, NULL);
    E2E_ASSERT_READY (sub);

    //  Wait for the in side's subscription, so that each update below is
    //  published once and surely delivered; answer its first snapshot
    //  request meanwhile: synced at seq 2.
    const char *snapshot_2 = "{\"epoch\": \"E1\", \"seq\": 2, \"state\": {\"a\": 1}}";
    int served = 0;
    long long deadline = e2e_now_ms () + E2E_LOG_MS;
    while (true) {
        served += s_serve_snapshots (rep, snapshot_2);
        zmsg_t *msg = zmsg_recv (pub);
        bool subscribed = msg && zframe_size (zmsg_first (msg)) >= 1
                          && zframe_data (zmsg_first (msg)) [0] == 1;
        zmsg_destroy (&msg);
        if (subscribed)
            break;
        if (e2e_now_ms () >= deadline) {
            e2e_dump (sub);
            fail_msg ("the in side never subscribed to the state publisher");
        }
    }
    const char *update_3 [] = {
        "", "{\"epoch\": \"E1\", \"seq\": 3, \"is_snapshot\": false, \"state\": {\"b\": 2}}"
    };
    assert_int_equal (e2e_send_frames (pub, update_3, 2), 0);
    served += s_serve_until (rep, sub, snapshot_2, "{\"a\": 1, \"b\": 2}");
    assert_int_equal (served, 1);

    //  Update 4 is never published; update 5 reveals the gap. Applying it
    //  would give {"a": 1, "b": 2, "d": 4}: the in side must fetch a
    //  snapshot instead.
    const char *update_5 [] = {
        "", "{\"epoch\": \"E1\", \"seq\": 5, \"is_snapshot\": false, \"state\": {\"d\": 4}}"
    };
    assert_int_equal (e2e_send_frames (pub, update_5, 2), 0);
    served = s_serve_until (rep, sub,
        "{\"epoch\": \"E1\", \"seq\": 5, \"state\": {\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}}",
        "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}");
    assert_int_equal (served, 1);
    assert_int_equal (e2e_file_count (e2e_proc_out (sub), "update state={\"a\":1,\"b\":2,\"d\":4}"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_wire_form_and_snapshot),
        T (test_late_join),
        T (test_early_join),
        T (test_on_update_once_per_update),
        T (test_on_update_behind_folds),
        T (test_out_side_restart),
        T (test_gap_fetches_snapshot),
        T (test_full_update_late_join_and_live),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
