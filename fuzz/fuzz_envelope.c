/*  fuzz_envelope.c - libFuzzer harness for the envelope decoders (wire/envelope.c).

    The request decoder (both its copying and its arena form, which must
    agree on the fault and the fields), the batch reader (a batch is taken
    whole or refused with a reason; each member is read as a replyer reads
    it, a nested batch refused; the batch reply of its members' error
    replies parses back as a batch of as many), and the reply decoder
    (both forms again, which must agree), on any bytes; a traceparent found is read by the strict parser
    (trace/trace.h), which must take it only in the form it writes back.
*/
#include "fuzz.h"
#include "envelope.h"
#include "trace.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static bool
s_same_str (const char *a, const char *b)
{
    return a && b? strcmp (a, b) == 0: a == b;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wire_arena_t *arena = fuzz_arena ();

    char err [ERR_LEN], wire_err [ERR_LEN];
    envelope_t env, wire_env;
    fault_t fault = envelope_decode (data, size, &env, err);
    fault_t wire_fault = envelope_decode_wire (arena, data, size, &wire_env, wire_err);
    FUZZ_CHECK (fault == wire_fault);
    FUZZ_CHECK (fault == FAULT_NONE || fault == FAULT_INVALID_JSON || fault == FAULT_INVALID_ENVELOPE);
    if (fault == FAULT_NONE) {
        FUZZ_CHECK (cJSON_IsObject (env.args) && cJSON_IsObject (wire_env.args));
        FUZZ_CHECK (fuzz_same (env.args, wire_env.args, false));
        FUZZ_CHECK (s_same_str (env.workflow_id, wire_env.workflow_id));
        FUZZ_CHECK (s_same_str (env.message_id, wire_env.message_id));
        FUZZ_CHECK (s_same_str (env.traceparent, wire_env.traceparent));
        trace_context_t ctx;
        if (env.traceparent && trace_parse (env.traceparent, &ctx, err) == 0) {
            char again [TRACE_PARENT_LEN + 1];
            trace_format (&ctx, again);
            FUZZ_CHECK (strncmp (again + 3, env.traceparent + 3, TRACE_PARENT_LEN - 3) == 0);
        }
        //  What we would send for these args decodes to the same args.
        char *text = envelope_request (env.args, env.workflow_id);
        FUZZ_CHECK (text);
        envelope_t back;
        FUZZ_CHECK (envelope_decode (text, strlen (text), &back, err) == FAULT_NONE);
        FUZZ_CHECK (fuzz_same (env.args, back.args, true));
        envelope_clear (&back);
        cJSON_free (text);
    }
    else
        FUZZ_CHECK (strlen (err) > 0 && strlen (wire_err) > 0);
    envelope_clear (&env);
    envelope_clear (&wire_env);

    //  Batches, read from the arena as the replyer does.
    wire_arena_reset (arena);
    const cJSON *root = wire_parse (arena, data, size, err);
    const cJSON *members = NULL;
    int batch = root? envelope_batch (root, &members, err): 0;
    FUZZ_CHECK (batch >= -1 && batch <= 1);
    if (batch < 0)
        FUZZ_CHECK (strlen (err) > 0 && !members);
    if (batch == 1) {
        int count = cJSON_GetArraySize (members);
        FUZZ_CHECK (count >= 1 && count <= ENVELOPE_BATCH_MAX);
        char **replies = calloc ((size_t) count, sizeof *replies);
        FUZZ_CHECK (replies);
        int index = 0;
        for (const cJSON *member = members->child; member; member = member->next, index++) {
            envelope_t one;
            fault_t member_fault = envelope_read_member (member, &one, err);
            FUZZ_CHECK (member_fault == FAULT_NONE || member_fault == FAULT_INVALID_ENVELOPE);
            if (member_fault == FAULT_NONE)
                FUZZ_CHECK (cJSON_IsObject (one.args) && !cJSON_GetObjectItem (member, "batch"));
            replies [index] = envelope_error (member_fault? member_fault: FAULT_HANDLER_FAILED, "x", one.workflow_id);
            FUZZ_CHECK (replies [index]);
        }
        char *text = envelope_batch_reply (replies, count);
        FUZZ_CHECK (text);
        cJSON *back = cJSON_Parse (text);
        FUZZ_CHECK (cJSON_GetArraySize (cJSON_GetObjectItem (back, "batch")) == count);
        cJSON_Delete (back);
        free (text);
        for (int i = 0; i < count; i++)
            cJSON_free (replies [i]);
        free (replies);
    }
    wire_arena_reset (arena);

    //  The reply decoder, both forms: the same outcome and words, the same
    //  return args and id.
    envelope_t reply, wire_reply;
    int rc = envelope_decode_reply (data, size, &reply, err);
    int wire_rc = envelope_decode_reply_wire (arena, data, size, &wire_reply, wire_err);
    FUZZ_CHECK (rc == wire_rc);
    if (rc == 0) {
        FUZZ_CHECK (cJSON_IsObject (reply.args) && cJSON_IsObject (wire_reply.args));
        FUZZ_CHECK (cJSON_Compare (reply.args, wire_reply.args, true));
        FUZZ_CHECK (s_same_str (reply.workflow_id, wire_reply.workflow_id));
        envelope_clear (&reply);
    }
    else {
        FUZZ_CHECK (strlen (err) > 0);
        FUZZ_CHECK (strcmp (err, wire_err) == 0);
        FUZZ_CHECK (!wire_reply.args && !wire_reply.workflow_id);
    }
    wire_arena_reset (arena);
    return 0;
}
