/*  fuzz_state_update.c - libFuzzer harness for the state update decoders
    (states/state_update.c): published updates and heartbeats (copying and
    arena forms, which must agree) and snapshot replies, on any bytes.
*/
#include "fuzz.h"
#include "state.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wire_arena_t *arena = fuzz_arena ();

    char err [ERR_LEN], wire_err [ERR_LEN];
    state_update_t update, wire_update;
    int rc = state_update_decode (data, size, &update, err);
    int wire_rc = state_update_decode_wire (arena, data, size, &wire_update, wire_err);
    FUZZ_CHECK (rc == wire_rc);
    if (rc == 0) {
        FUZZ_CHECK (update.epoch && *update.epoch && strlen (update.epoch) < STATE_EPOCH_LEN);
        FUZZ_CHECK (strcmp (update.epoch, wire_update.epoch) == 0);
        FUZZ_CHECK (update.seq == wire_update.seq);
        FUZZ_CHECK (update.is_heartbeat == wire_update.is_heartbeat);
        FUZZ_CHECK (update.is_snapshot == wire_update.is_snapshot);
        FUZZ_CHECK (update.is_heartbeat || update.state);
        FUZZ_CHECK (fuzz_same (update.state, wire_update.state, false));
        //  Encoding the decoded update gives one that decodes the same.
        char *text = state_update_encode (update.epoch, update.seq, update.is_snapshot,
                                          update.is_heartbeat? NULL: update.state,
                                          update.workflow_id);
        FUZZ_CHECK (text);
        state_update_t back;
        FUZZ_CHECK (state_update_decode (text, strlen (text), &back, err) == 0);
        FUZZ_CHECK (back.seq == update.seq && strcmp (back.epoch, update.epoch) == 0);
        FUZZ_CHECK (fuzz_same (update.state, back.state, true));
        state_update_clear (&back);
        cJSON_free (text);
    }
    else
        FUZZ_CHECK (strlen (err) > 0 && strlen (wire_err) > 0);
    state_update_clear (&update);
    state_update_clear (&wire_update);

    if (state_update_decode_snapshot (data, size, &update, err) == 0) {
        FUZZ_CHECK (update.is_snapshot && update.state && update.epoch);
        state_update_clear (&update);
    }
    else
        FUZZ_CHECK (strlen (err) > 0);
    return 0;
}
