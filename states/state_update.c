/*  state_update.c - encode and decode state updates, heartbeats and snapshot replies. */
#include <math.h>
#include <string.h>
#include "state.h"
#include "envelope.h"
#include "json.h"

static const char *const s_action_names [] = { "queue", "apply", "replace", "ignore", "resync" };

const char *
state_sync_action_name (sync_action_t action)
{
    return action >= SYNC_QUEUE && action <= SYNC_RESYNC? s_action_names [action]: "?";
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
    if (!envelope_utf8_valid (data, len))
        return err_set (err, "not valid UTF-8");
    update->root = cJSON_ParseWithLength (data, len);
    if (!update->root)
        return err_set (err, "not JSON");
    if (!cJSON_IsObject (update->root)) {
        err_set (err, "must be an object, got %s", json_type_name (update->root));
        state_update_clear (update);
        return -1;
    }
    return 0;
}

int
state_update_decode (const void *data, size_t len, state_update_t *update, char *err)
{
    if (s_parse (data, len, update, err))
        return -1;
    const cJSON *root = update->root;
    if (s_read_position (root, update, err))
        goto fail;
    update->is_heartbeat = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (root, "is_heartbeat"));
    update->is_snapshot = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (root, "is_snapshot"));
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive (root, "workflow_id");
    if (cJSON_IsString (wf) && *wf->valuestring && strlen (wf->valuestring) <= 200)
        update->workflow_id = wf->valuestring;
    if (update->is_heartbeat)
        return 0;
    update->state = cJSON_GetObjectItemCaseSensitive (root, "state");
    if (!cJSON_IsObject (update->state)) {
        err_set (err, "'state' must be an object");
        goto fail;
    }
    return 0;
fail:
    state_update_clear (update);
    return -1;
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

static cJSON *
s_position (const char *epoch, uint64_t seq)
{
    cJSON *object = cJSON_CreateObject ();
    cJSON_AddStringToObject (object, "epoch", epoch);
    cJSON_AddNumberToObject (object, "seq", (double) seq);
    return object;
}

char *
state_update_encode (const char *epoch, uint64_t seq, bool is_snapshot,
                     const cJSON *state, const char *workflow_id)
{
    cJSON *update = s_position (epoch, seq);
    if (!update)
        return NULL;
    if (state) {
        cJSON_AddBoolToObject (update, "is_snapshot", is_snapshot);
        cJSON_AddItemReferenceToObject (update, "state", (cJSON *) state);
        if (workflow_id)
            cJSON_AddStringToObject (update, "workflow_id", workflow_id);
    }
    else
        cJSON_AddBoolToObject (update, "is_heartbeat", true);
    char *text = cJSON_PrintUnformatted (update);
    cJSON_Delete (update);              //  the state is a reference: not freed
    return text;
}

char *
state_update_encode_snapshot (const char *epoch, uint64_t seq, const cJSON *state)
{
    cJSON *reply = cJSON_CreateObject ();
    cJSON *ret = s_position (epoch, seq);
    if (!reply || !ret) {
        cJSON_Delete (reply);
        cJSON_Delete (ret);
        return NULL;
    }
    cJSON_AddItemReferenceToObject (ret, "state", (cJSON *) state);
    cJSON_AddItemToObject (reply, "return_args", ret);
    char *text = cJSON_PrintUnformatted (reply);
    cJSON_Delete (reply);
    return text;
}
