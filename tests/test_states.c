/*  test_states - replicated-state logic: every branch of the in sides' sync
    decisions, seq/epoch bookkeeping on the wire, and how sends are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "state.h"
#include "types.h"

//  A sync position: synced at epoch "E1", last seq `seq`, snapshot at `snap`.
static state_sync_t
s_sync (bool synced, uint64_t seq, uint64_t snap)
{
    state_sync_t sync = { .synced = synced, .seq = seq, .snapshot_seq = snap };
    strcpy (sync.epoch, "E1");
    return sync;
}

static state_update_t
s_update (const char *epoch, uint64_t seq, bool is_snapshot, bool is_heartbeat)
{
    return (state_update_t) { .epoch = epoch, .seq = seq, .is_snapshot = is_snapshot,
                              .is_heartbeat = is_heartbeat };
}

#define DELTA(sync, update) delta_update_in_decide (&(sync), &(update))
#define FULL(sync, update)  full_update_in_decide (&(sync), &(update))

static void
test_delta_decisions (void **state)
{
    (void) state;
    state_sync_t unsynced = s_sync (false, 0, 0);
    state_sync_t at10 = s_sync (true, 10, 5);           //  snapshot at 5, applied up to 10
    state_update_t u;

    u = s_update ("E1", 11, false, false);
    assert_int_equal (DELTA (unsynced, u), SYNC_QUEUE);         //  before the snapshot: keep it
    assert_int_equal (DELTA (at10, u), SYNC_APPLY);             //  the next in sequence
    u = s_update ("E1", 13, false, false);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  a gap (11, 12 missed)
    u = s_update ("E1", 10, false, false);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  duplicate of the last applied
    u = s_update ("E1", 7, false, false);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  old, yet past the snapshot
    u = s_update ("E1", 5, false, false);
    assert_int_equal (DELTA (at10, u), SYNC_IGNORE);            //  covered by the snapshot
    u = s_update ("E1", 2, false, false);
    assert_int_equal (DELTA (at10, u), SYNC_IGNORE);
    u = s_update ("E2", 1, false, false);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  the out side restarted
    u = s_update ("E1", 12, true, false);
    assert_int_equal (DELTA (at10, u), SYNC_REPLACE);           //  a whole value ahead of us heals a gap
    u = s_update ("E1", 9, true, false);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  a whole value behind us: confused
    u = s_update ("E1", 10, false, true);
    assert_int_equal (DELTA (at10, u), SYNC_IGNORE);            //  heartbeat: up to date
    u = s_update ("E1", 8, false, true);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  heartbeat behind a seq we took: not the owner's
    state_sync_t at_snap = s_sync (true, 5, 5);
    assert_int_equal (DELTA (at_snap, u), SYNC_RESYNC);         //  ahead of the snapshot
    u = s_update ("E1", 3, false, true);
    assert_int_equal (DELTA (at_snap, u), SYNC_IGNORE);         //  sent before the snapshot was taken
    u = s_update ("E1", 11, false, true);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  heartbeat: the last update was lost
    u = s_update ("E2", 0, false, true);
    assert_int_equal (DELTA (at10, u), SYNC_RESYNC);            //  heartbeat of a new run
    assert_int_equal (DELTA (unsynced, u), SYNC_QUEUE);
}

static void
test_full_decisions (void **state)
{
    (void) state;
    state_sync_t unsynced = s_sync (false, 0, 0);
    state_sync_t at10 = s_sync (true, 10, 5);
    state_update_t u;

    u = s_update ("E1", 11, true, false);
    assert_int_equal (FULL (unsynced, u), SYNC_QUEUE);
    assert_int_equal (FULL (at10, u), SYNC_REPLACE);            //  newer: take it
    u = s_update ("E1", 15, true, false);
    assert_int_equal (FULL (at10, u), SYNC_REPLACE);            //  a gap does no harm to a whole value
    u = s_update ("E1", 10, true, false);
    assert_int_equal (FULL (at10, u), SYNC_IGNORE);             //  not newer
    u = s_update ("E1", 3, true, false);
    assert_int_equal (FULL (at10, u), SYNC_IGNORE);
    u = s_update ("E2", 1, true, false);
    assert_int_equal (FULL (at10, u), SYNC_REPLACE);            //  the out side restarted
    u = s_update ("E1", 10, false, true);
    assert_int_equal (FULL (at10, u), SYNC_IGNORE);
    u = s_update ("E1", 12, false, true);
    assert_int_equal (FULL (at10, u), SYNC_RESYNC);             //  the newest value was lost
    u = s_update ("E2", 4, false, true);
    assert_int_equal (FULL (at10, u), SYNC_RESYNC);
    //  A forged whole value at seq 2^53 was taken: the owner's next
    //  heartbeat is behind it, and resyncs instead of hiding every update.
    state_sync_t forged = s_sync (true, UINT64_C (9007199254740992), 5);
    u = s_update ("E1", 5, false, true);
    assert_int_equal (FULL (forged, u), SYNC_RESYNC);
    u = s_update ("E1", 6, true, false);
    assert_int_equal (FULL (forged, u), SYNC_IGNORE);           //  (why the heartbeat must tell)
    state_sync_t at_snap = s_sync (true, 5, 5);
    u = s_update ("E1", 4, false, true);
    assert_int_equal (FULL (at_snap, u), SYNC_IGNORE);          //  sent before the snapshot was taken
}

static void
test_heartbeat_decisions (void **state)
{
    (void) state;
    state_sync_t at10 = s_sync (true, 10, 5);
    state_sync_t at_snap = s_sync (true, 5, 5);
    assert_int_equal (state_sync_heartbeat (&at10, 10), SYNC_IGNORE);     //  up to date
    assert_int_equal (state_sync_heartbeat (&at10, 11), SYNC_RESYNC);     //  the last update was lost
    assert_int_equal (state_sync_heartbeat (&at10, 9), SYNC_RESYNC);      //  we took a seq never published
    assert_int_equal (state_sync_heartbeat (&at10, 2), SYNC_RESYNC);
    assert_int_equal (state_sync_heartbeat (&at_snap, 2), SYNC_IGNORE);   //  older than the snapshot
    assert_int_equal (state_sync_heartbeat (&at_snap, 6), SYNC_RESYNC);
}

//  After a snapshot (epoch E1, seq 10): what becomes of each kept update.
static void
test_after_snapshot_decisions (void **state)
{
    (void) state;
    state_sync_t snap = s_sync (true, 10, 10);
    state_sync_t unsynced = s_sync (false, 0, 0);
    state_update_t u;
#define AFTER(policy, sync, update) state_sync_after_snapshot (&(policy), &(sync), &(update))
    //  delta
    u = s_update ("E1", 11, false, false);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_APPLY);     //  the next one
    assert_int_equal (AFTER (delta_update_policy, unsynced, u), SYNC_DROP);  //  never asks to queue again
    u = s_update ("E1", 9, false, false);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_IGNORE);    //  the snapshot had it
    u = s_update ("E1", 13, false, false);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_DROP);      //  a gap: dropped, not a resync
    u = s_update ("E1", UINT64_C (9007199254740992), false, false);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_DROP);      //  far ahead (forged)
    u = s_update ("EVIL", 1, false, false);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_DROP);      //  another epoch
    u = s_update ("E1", 12, true, false);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_REPLACE);   //  a newer whole value
    u = s_update ("E1", 11, false, true);
    assert_int_equal (AFTER (delta_update_policy, snap, u), SYNC_IGNORE);    //  a heartbeat (never kept)
    //  full
    u = s_update ("E2", 1, true, false);
    assert_int_equal (AFTER (full_update_policy, snap, u), SYNC_DROP);       //  another epoch: not this snapshot's
    u = s_update ("E1", 15, true, false);
    assert_int_equal (AFTER (full_update_policy, snap, u), SYNC_REPLACE);    //  newer
    u = s_update ("E1", 7, true, false);
    assert_int_equal (AFTER (full_update_policy, snap, u), SYNC_IGNORE);     //  older
    assert_int_equal (AFTER (full_update_policy, unsynced, u), SYNC_DROP);
#undef AFTER
}

static void
test_action_names (void **state)
{
    (void) state;
    assert_string_equal (state_sync_action_name (SYNC_RESYNC), "resync");
    assert_string_equal (state_sync_action_name (SYNC_APPLY), "apply");
    assert_string_equal (state_sync_action_name (SYNC_DROP), "drop");
    assert_string_equal (state_sync_action_name ((sync_action_t) 99), "?");
}

static void
test_update_codec (void **state)
{
    (void) state;
    cJSON *patch = cJSON_Parse ("{\"a\":1,\"b\":null}");
    char *text = state_update_encode ("E1", 42, false, patch, "wf_1");
    state_update_t update;
    char err [ERR_LEN];
    assert_int_equal (state_update_decode (text, strlen (text), &update, err), 0);
    assert_string_equal (update.epoch, "E1");
    assert_int_equal (update.seq, 42);
    assert_false (update.is_snapshot);
    assert_false (update.is_heartbeat);
    assert_true (cJSON_Compare (update.state, patch, true));      //  nulls survive: they delete
    assert_string_equal (update.workflow_id, "wf_1");
    state_update_clear (&update);
    cJSON_free (text);

    text = state_update_encode ("E1", 43, false, NULL, NULL);    //  heartbeat
    assert_int_equal (state_update_decode (text, strlen (text), &update, err), 0);
    assert_true (update.is_heartbeat);
    assert_null (update.state);
    assert_int_equal (update.seq, 43);
    state_update_clear (&update);
    cJSON_free (text);

    text = state_update_encode_snapshot ("E9", 7, patch);
    assert_int_equal (state_update_decode_snapshot (text, strlen (text), &update, err), 0);
    assert_true (update.is_snapshot);
    assert_string_equal (update.epoch, "E9");
    assert_int_equal (update.seq, 7);
    state_update_clear (&update);
    cJSON_free (text);
    cJSON_Delete (patch);
}

static void
test_update_decode_errors (void **state)
{
    (void) state;
    static const char *const bad [] = {
        "not json",
        "[1]",
        "{\"seq\": 1, \"state\": {}}",                          //  no epoch
        "{\"epoch\": \"\", \"seq\": 1, \"state\": {}}",         //  empty epoch
        "{\"epoch\": \"E\", \"state\": {}}",                    //  no seq
        "{\"epoch\": \"E\", \"seq\": -1, \"state\": {}}",
        "{\"epoch\": \"E\", \"seq\": 1.5, \"state\": {}}",
        "{\"epoch\": \"E\", \"seq\": 1}",                       //  no state, not a heartbeat
        "{\"epoch\": \"E\", \"seq\": 1, \"state\": [1]}",
        "\xff\xfe",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        state_update_t update;
        char err [ERR_LEN] = "";
        if (state_update_decode (bad [i], strlen (bad [i]), &update, err) != -1)
            fail_msg ("accepted %s", bad [i]);
        assert_true (strlen (err) > 0);
        assert_null (update.root);
    }
    state_update_t update;
    char err [ERR_LEN];
    const char *error_reply = "{\"error\": {\"kind\": \"bad_frames\", \"message\": \"x\"}}";
    assert_int_equal (state_update_decode_snapshot (error_reply, strlen (error_reply), &update, err), -1);
    assert_non_null (strstr (err, "error reply"));
}

//  The book model: required "bids"/"asks" maps of float, optional "venue".
static type_t *
s_book_model (void)
{
    cJSON *req = cJSON_Parse ("{\"bids\": {\"*\": \"float\"}, \"asks\": {\"*\": \"float\"}}");
    cJSON *opt = cJSON_Parse ("{\"venue\": \"str\", \"levels\": {\"depth\": \"int\", \"tick\": \"float\"}}");
    char err [ERR_LEN];
    type_t *model = type_compile_args (req, opt, "test", err);
    cJSON_Delete (req);
    cJSON_Delete (opt);
    assert_non_null (model);
    return model;
}

static int
s_patch (const type_t *model, const char *patch_text, char *err)
{
    cJSON *patch = cJSON_Parse (patch_text);
    int rc = type_validate_patch (model, patch, err);
    cJSON_Delete (patch);
    return rc;
}

static void
test_patch_validation (void **state)
{
    (void) state;
    type_t *model = s_book_model ();
    char err [ERR_LEN];
    assert_int_equal (s_patch (model, "{}", err), 0);
    assert_int_equal (s_patch (model, "{\"bids\": {\"100.5\": 3}}", err), 0);      //  partial: fine
    assert_int_equal (s_patch (model, "{\"bids\": {\"100.5\": null}}", err), 0);   //  delete a map entry
    assert_int_equal (s_patch (model, "{\"venue\": null}", err), 0);               //  delete an optional key
    assert_int_equal (s_patch (model, "{\"levels\": {\"tick\": 0.5}}", err), 0);   //  nested partial
    assert_int_equal (s_patch (model, "{\"bids\": null}", err), -1);
    assert_string_equal (err, "key 'bids': a required key cannot be deleted");
    assert_int_equal (s_patch (model, "{\"bids\": {\"100.5\": \"x\"}}", err), -1);
    assert_string_equal (err, "key 'bids.100.5': expected float, got string");
    assert_int_equal (s_patch (model, "{\"colour\": 1}", err), -1);
    assert_string_equal (err, "unknown key 'colour'");
    assert_int_equal (s_patch (model, "{\"levels\": {\"depth\": 1.5}}", err), -1);
    assert_string_equal (err, "key 'levels.depth': expected int, got number 1.5");
    assert_int_equal (s_patch (model, "{\"levels\": {\"depth\": null}}", err), -1);
    assert_string_equal (err, "key 'levels.depth': a required key cannot be deleted");
    assert_int_equal (s_patch (model, "{\"venue\": 3}", err), -1);
    assert_int_equal (s_patch (model, "[1]", err), -1);
    type_destroy (&model);
}

static cJSON *
s_args (const char *text)
{
    cJSON *args = cJSON_Parse (text);
    assert_non_null (args);
    return args;
}

static void
test_delta_out_apply (void **state)
{
    (void) state;
    type_t *model = s_book_model ();
    cJSON *value = cJSON_CreateObject ();
    const cJSON *published;
    bool whole;
    char err [ERR_LEN];

    cJSON *args = s_args ("{\"state\": {\"bids\": {\"1\": 2}, \"asks\": {}}, \"is_snapshot\": true}");
    assert_int_equal (delta_update_out_apply (model, &value, args, &published, &whole, err), 0);
    assert_true (whole);
    assert_ptr_equal (published, cJSON_GetObjectItem (args, "state"));
    cJSON_Delete (args);

    args = s_args ("{\"state\": {\"bids\": {\"1\": null, \"2\": 5}, \"venue\": \"X\"}}");
    assert_int_equal (delta_update_out_apply (model, &value, args, &published, &whole, err), 0);
    assert_false (whole);
    char *text = cJSON_PrintUnformatted (value);
    assert_string_equal (text, "{\"bids\":{\"2\":5},\"asks\":{},\"venue\":\"X\"}");
    free (text);
    cJSON_Delete (args);

    //  Refused sends leave the value as it was.
    static const char *const refused [] = {
        "{\"state\": {\"bids\": null}}",                   //  deletes a required key
        "{\"state\": {\"nope\": 1}}",                      //  undeclared key
        "{\"state\": [1]}",                                //  not an object
        "{}",                                              //  no state
        "{\"state\": {}, \"extra\": 1}",                   //  unknown arg
        "{\"state\": {}, \"is_snapshot\": 1}",             //  is_snapshot not a boolean
        "{\"state\": {\"venue\": \"Y\"}, \"is_snapshot\": true}",  //  whole value lacks required keys
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused [0]; i++) {
        args = s_args (refused [i]);
        err [0] = 0;
        if (delta_update_out_apply (model, &value, args, &published, &whole, err) != -1)
            fail_msg ("accepted %s", refused [i]);
        assert_true (strlen (err) > 0);
        cJSON_Delete (args);
    }
    text = cJSON_PrintUnformatted (value);
    assert_string_equal (text, "{\"bids\":{\"2\":5},\"asks\":{},\"venue\":\"X\"}");
    free (text);

    //  No model (a state declaring no arguments): any object.
    args = s_args ("{\"state\": {\"anything\": [1, {\"x\": null}]}}");
    assert_int_equal (delta_update_out_apply (NULL, &value, args, &published, &whole, err), 0);
    assert_non_null (cJSON_GetObjectItem (value, "anything"));
    cJSON_Delete (args);
    cJSON_Delete (value);
    type_destroy (&model);
}

static void
test_full_out_apply (void **state)
{
    (void) state;
    type_t *model = s_book_model ();
    cJSON *value = cJSON_CreateObject ();
    const cJSON *published;
    bool whole = false;
    char err [ERR_LEN];
    cJSON *args = s_args ("{\"bids\": {\"1\": 2}, \"asks\": {\"3\": 4}}");
    assert_int_equal (full_update_out_apply (model, &value, args, &published, &whole, err), 0);
    assert_true (whole);
    assert_true (cJSON_Compare (value, args, true));
    assert_ptr_equal (published, value);
    cJSON_Delete (args);
    args = s_args ("{\"bids\": {}}");                   //  asks missing
    assert_int_equal (full_update_out_apply (model, &value, args, &published, &whole, err), -1);
    assert_string_equal (err, "invalid state: missing required key 'asks'");
    assert_non_null (cJSON_GetObjectItem (cJSON_GetObjectItem (value, "asks"), "3"));  //  unchanged
    cJSON_Delete (args);
    cJSON_Delete (value);
    type_destroy (&model);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_delta_decisions),
        cmocka_unit_test (test_full_decisions),
        cmocka_unit_test (test_heartbeat_decisions),
        cmocka_unit_test (test_after_snapshot_decisions),
        cmocka_unit_test (test_action_names),
        cmocka_unit_test (test_update_codec),
        cmocka_unit_test (test_update_decode_errors),
        cmocka_unit_test (test_patch_validation),
        cmocka_unit_test (test_delta_out_apply),
        cmocka_unit_test (test_full_out_apply),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
