/*  state_update.c - encode and decode state updates, heartbeats and snapshot replies. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "state.h"
#include "envelope.h"
#include "json.h"

static const char *const s_action_names [] = { "queue", "apply", "replace", "ignore", "resync", "drop" };

const char *
state_sync_action_name (sync_action_t action)
{
    return action >= SYNC_QUEUE && action <= SYNC_DROP? s_action_names [action]: "?";
}

sync_action_t
state_sync_heartbeat (const state_sync_t *sync, uint64_t seq)
{
    if (seq == sync->seq)
        return SYNC_IGNORE;
    if (seq > sync->seq)
        return SYNC_RESYNC;
    return sync->seq == sync->snapshot_seq? SYNC_IGNORE: SYNC_RESYNC;
}

sync_action_t
state_sync_after_snapshot (const state_policy_t *policy, const state_sync_t *sync,
                           const state_update_t *update)
{
    if (update->is_heartbeat)
        return SYNC_IGNORE;             //  never kept; nothing to apply
    if (strcmp (sync->epoch, update->epoch))
        return SYNC_DROP;               //  another run (or a forgery): this snapshot says nothing of it
    sync_action_t action = policy->in_decide (sync, update);
    return action == SYNC_RESYNC || action == SYNC_QUEUE? SYNC_DROP: action;
}

//  Fills epoch and seq from an object; both are required.
static int
s_read_position (const cJSON *object, state_update_t *update, char *err)
{
    const cJSON *epoch = cJSON_GetObjectItemCaseSensitive (object, "epoch");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive (object, "seq");
    if (!cJSON_IsString (epoch) || !*epoch->valuestring || strlen (epoch->valuestring) >= STATE_EPOCH_LEN)
        return err_set (err, "'epoch' must be a non-empty string of under %d bytes", STATE_EPOCH_LEN);
    if (!cJSON_IsNumber (seq) || seq->valuedouble < 0 || seq->valuedouble > 9007199254740992.0
    ||  floor (seq->valuedouble) != seq->valuedouble)
        return err_set (err, "'seq' must be a whole number ≥ 0");
    update->epoch = epoch->valuestring;
    update->seq = (uint64_t) seq->valuedouble;
    return 0;
}

static int
s_parse (const void *data, size_t len, state_update_t *update, char *err)
{
    memset (update, 0, sizeof *update);
    char why [ERR_LEN];
    update->root = wire_parse_copy (data, len, why);
    if (!update->root)
        return err_set (err, "not JSON (%s)", why);
    return 0;
}

//  The fields of an update object (epoch, seq, flags, state, workflow_id).
static int
s_read_update (const cJSON *root, state_update_t *update, char *err)
{
    if (!cJSON_IsObject (root))
        return err_set (err, "must be an object, got %s", json_type_name (root));
    if (s_read_position (root, update, err))
        return -1;
    update->is_heartbeat = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (root, "is_heartbeat"));
    update->is_snapshot = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (root, "is_snapshot"));
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive (root, "workflow_id");
    if (cJSON_IsString (wf) && *wf->valuestring && strlen (wf->valuestring) <= 200)
        update->workflow_id = wf->valuestring;
    if (update->is_heartbeat)
        return 0;
    update->state = cJSON_GetObjectItemCaseSensitive (root, "state");
    if (!cJSON_IsObject (update->state))
        return err_set (err, "'state' must be an object");
    return 0;
}

int
state_update_decode (const void *data, size_t len, state_update_t *update, char *err)
{
    if (s_parse (data, len, update, err))
        return -1;
    if (s_read_update (update->root, update, err)) {
        state_update_clear (update);
        return -1;
    }
    return 0;
}

int
state_update_decode_wire (wire_arena_t *arena, const void *data, size_t len,
                          state_update_t *update, char *err)
{
    memset (update, 0, sizeof *update);
    char why [ERR_LEN];
    const cJSON *root = wire_parse (arena, data, len, why);
    if (!root)
        return err_set (err, "not JSON (%s)", why);
    if (s_read_update (root, update, err)) {
        memset (update, 0, sizeof *update);
        return -1;
    }
    return 0;
}

int
state_update_decode_snapshot (const void *data, size_t len, state_update_t *update, char *err)
{
    if (s_parse (data, len, update, err))
        return -1;
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (update->root, "error");
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (update->root, "return_args");
    if (error) {
        const cJSON *message = cJSON_GetObjectItemCaseSensitive (error, "message");
        err_set (err, "error reply: %s", cJSON_IsString (message)? message->valuestring: "?");
        goto fail;
    }
    if (!cJSON_IsObject (ret)) {
        err_set (err, "missing 'return_args'");
        goto fail;
    }
    if (s_read_position (ret, update, err))
        goto fail;
    update->is_snapshot = true;
    update->state = cJSON_GetObjectItemCaseSensitive (ret, "state");
    if (!cJSON_IsObject (update->state)) {
        err_set (err, "'state' must be an object");
        goto fail;
    }
    return 0;
fail:
    state_update_clear (update);
    return -1;
}

void
state_update_clear (state_update_t *update)
{
    cJSON_Delete (update->root);
    memset (update, 0, sizeof *update);
}

//  A string literal and its length, for wire_append.
#define S_LIT(text) text, sizeof text - 1

//  Encoders write into the thread's output buffer (wire/wire.h) and return
//  a malloc'd copy (cJSON_free).
static wire_buffer_t *
s_out_reset (void)
{
    wire_buffer_t *out = wire_thread_buffer ();
    if (out)
        out->len = 0;
    return out;
}

static char *
s_copy_out (const wire_buffer_t *out)
{
    char *copy = malloc (out->len + 1);
    if (copy)
        memcpy (copy, out->data, out->len + 1);
    return copy;
}

//  "epoch":"…","seq":N
static int
s_write_position (wire_buffer_t *out, const char *epoch, uint64_t seq)
{
    char number [32];
    int n = snprintf (number, sizeof number, ",\"seq\":%" PRIu64, seq);
    return wire_append (out, S_LIT ("\"epoch\":")) || wire_write_string (out, epoch)
        || wire_append (out, number, (size_t) n);
}

char *
state_update_encode (const char *epoch, uint64_t seq, bool is_snapshot,
                     const cJSON *state, const char *workflow_id)
{
    wire_buffer_t *out = s_out_reset ();
    if (!out)
        return NULL;
    int rc = wire_append (out, "{", 1) || s_write_position (out, epoch, seq);
    if (state) {
        rc = rc || (is_snapshot? wire_append (out, S_LIT (",\"is_snapshot\":true,\"state\":"))
                                : wire_append (out, S_LIT (",\"is_snapshot\":false,\"state\":")))
                || wire_write (out, state);
        if (workflow_id)
            rc = rc || wire_append (out, S_LIT (",\"workflow_id\":")) || wire_write_string (out, workflow_id);
    }
    else
        rc = rc || wire_append (out, S_LIT (",\"is_heartbeat\":true"));
    rc = rc || wire_append (out, "}", 1);
    return rc? NULL: s_copy_out (out);
}

char *
state_update_encode_snapshot (const char *epoch, uint64_t seq, const cJSON *state)
{
    wire_buffer_t *out = s_out_reset ();
    if (!out)
        return NULL;
    int rc = wire_append (out, S_LIT ("{\"return_args\":{")) || s_write_position (out, epoch, seq)
          || wire_append (out, S_LIT (",\"state\":")) || wire_write (out, state)
          || wire_append (out, S_LIT ("}}"));
    return rc? NULL: s_copy_out (out);
}
