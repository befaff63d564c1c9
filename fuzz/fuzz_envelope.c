/*  fuzz_envelope.c - libFuzzer harness for the envelope decoders (wire/envelope.c).

    The request decoder (both its copying and its arena form, which must
    agree on the fault and the fields) and the reply decoder, on any bytes;
    a traceparent found is read by the strict parser (trace/trace.h), which
    must take it only in the form it writes back.
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

    envelope_t reply;
    if (envelope_decode_reply (data, size, &reply, err) == 0) {
        FUZZ_CHECK (cJSON_IsObject (reply.args));
        envelope_clear (&reply);
    }
    else
        FUZZ_CHECK (strlen (err) > 0);
    return 0;
}
