/*  envelope.c - encode and decode the SPEC §6 envelopes, rejecting malformed input. */
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>

#include "envelope.h"
#include "metrics.h"
#include "log.h"
#include "json.h"
#include "trace.h"

static const char *const s_fault_names [FAULT_COUNT] = {
    "none", "invalid_json", "invalid_envelope", "invalid_args", "too_large",
    "bad_frames", "handler_failed", "invalid_return", "deadline_exceeded"
};

const char *
fault_name (fault_t fault)
{
    return fault >= 0 && fault < FAULT_COUNT? s_fault_names [fault]: "unknown";
}

bool
envelope_utf8_valid (const void *data, size_t len)
{
    return wire_utf8_valid (data, len);
}

//  A string field of at most 200 bytes, or absent/null. Returns 0 with
//  *out set (or left NULL), or -1 with err.
static int
s_id_field (const cJSON *item, const char *name, const char **out, char *err)
{
    if (!item || cJSON_IsNull (item))
        return 0;
    if (!cJSON_IsString (item) || !*item->valuestring || strlen (item->valuestring) > 200)
        return err_set (err, "%s must be a non-empty string of at most 200 bytes", name);
    *out = item->valuestring;
    return 0;
}

//  Reads an envelope's fields from `root` into env (one walk over its keys):
//  workflow_id and message_id (optional), and the object under `body` (for a
//  reply, body NULL: the caller reads it). env->root is the caller's.
static fault_t
s_read_envelope (const cJSON *root, const char *body, envelope_t *env, char *err)
{
    if (!cJSON_IsObject (root)) {
        err_set (err, "envelope must be an object, got %s", json_type_name (root));
        return FAULT_INVALID_ENVELOPE;
    }
    const cJSON *wf = NULL, *mid = NULL, *deadline = NULL, *traceparent = NULL;
    for (const cJSON *item = root->child; item; item = item->next) {
        if (body && !env->args && json_key_is (item->string, body))
            env->args = item;
        else if (!wf && json_key_is (item->string, "workflow_id"))
            wf = item;
        else if (!mid && json_key_is (item->string, "message_id"))
            mid = item;
        else if (body && !deadline && json_key_is (item->string, "deadline_ms"))
            deadline = item;
        else if (body && !traceparent && json_key_is (item->string, "traceparent"))
            traceparent = item;
    }
    //  Never a fault: a peer's bad trace must not cost its message (trace.h).
    if (traceparent)
        env->traceparent = cJSON_IsString (traceparent)? traceparent->valuestring: "";
    if (s_id_field (wf, "workflow_id", &env->workflow_id, err)
    ||  s_id_field (mid, "message_id", &env->message_id, err))
        return FAULT_INVALID_ENVELOPE;
    if (deadline) {
        double ms = cJSON_IsNumber (deadline)? deadline->valuedouble: 0;
        if (!cJSON_IsNumber (deadline) || ms < 1 || ms > ENVELOPE_DEADLINE_MAX || ms != (double) (int64_t) ms) {
            err_set (err, "deadline_ms must be a positive integer of at most %d, got %s", ENVELOPE_DEADLINE_MAX,
                     cJSON_IsNumber (deadline)? "another number": json_type_name (deadline));
            return FAULT_INVALID_ENVELOPE;
        }
        env->deadline_ms = (int64_t) ms;
    }
    if (body && !cJSON_IsObject (env->args)) {
        err_set (err, env->args? "'%s' must be an object, got %s": "missing '%s'", body,
                 json_type_name (env->args));
        return FAULT_INVALID_ENVELOPE;
    }
    return FAULT_NONE;
}

fault_t
envelope_decode (const void *data, size_t len, envelope_t *env, char *err)
{
    memset (env, 0, sizeof *env);
    char why [ERR_LEN];
    env->root = wire_parse_copy (data, len, why);
    if (!env->root) {
        err_set (err, "not JSON (%s)", why);
        return FAULT_INVALID_JSON;
    }
    fault_t fault = s_read_envelope (env->root, "args", env, err);
    if (fault)
        envelope_clear (env);
    return fault;
}

fault_t
envelope_decode_wire (wire_arena_t *arena, const void *data, size_t len, envelope_t *env, char *err)
{
    memset (env, 0, sizeof *env);
    char why [ERR_LEN];
    const cJSON *root = wire_parse (arena, data, len, why);
    if (!root) {
        err_set (err, "not JSON (%s)", why);
        return FAULT_INVALID_JSON;
    }
    fault_t fault = s_read_envelope (root, "args", env, err);
    if (fault)
        envelope_clear (env);
    return fault;
}

fault_t
envelope_read (const cJSON *root, envelope_t *env, char *err)
{
    memset (env, 0, sizeof *env);
    fault_t fault = s_read_envelope (root, "args", env, err);
    if (fault)
        memset (env, 0, sizeof *env);
    return fault;
}

int
envelope_batch (const cJSON *root, const cJSON **members, char *err)
{
    *members = NULL;
    const cJSON *batch = cJSON_IsObject (root)? cJSON_GetObjectItemCaseSensitive (root, "batch"): NULL;
    if (!batch)
        return 0;
    if (!cJSON_IsArray (batch))
        return err_set (err, "'batch' must be a list of envelopes, got %s", json_type_name (batch));
    int count = cJSON_GetArraySize (batch);
    if (count == 0)
        return err_set (err, "'batch' is empty");
    if (count > ENVELOPE_BATCH_MAX)
        return err_set (err, "'batch' has %d messages, over the limit of %d", count, ENVELOPE_BATCH_MAX);
    *members = batch;
    return 1;
}

fault_t
envelope_read_member (const cJSON *member, envelope_t *env, char *err)
{
    memset (env, 0, sizeof *env);
    if (cJSON_IsObject (member) && cJSON_GetObjectItemCaseSensitive (member, "batch")) {
        err_set (err, "a batch's message cannot be a batch");
        return FAULT_INVALID_ENVELOPE;
    }
    return envelope_read (member, env, err);
}

char *
envelope_batch_reply (char *const *replies, int count)
{
    wire_buffer_t out = { 0 };
    int rc = wire_append (&out, "{\"batch\":[", 10);
    for (int i = 0; i < count && rc == 0; i++)
        rc = (i && wire_append (&out, ",", 1)) || wire_append (&out, replies [i], strlen (replies [i]));
    if (rc || wire_append (&out, "]}", 2)) {
        wire_buffer_free (&out);
        return NULL;
    }
    return out.data;            //  malloc'd, NUL-terminated (wire_append)
}

//  Reads a parsed reply: 0 with *args its "return_args" (NULL when it is
//  null, which reads as {}) and env's ids borrowed from root, or -1 with
//  err (envelope_decode_reply's words).
static int
s_read_reply (const cJSON *root, envelope_t *env, const cJSON **args, char *err)
{
    char why [ERR_LEN];
    if (s_read_envelope (root, NULL, env, why))
        return err_set (err, "invalid_reply: %s", why);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (root, "error");
    if (error) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive (error, "kind");
        const cJSON *message = cJSON_GetObjectItemCaseSensitive (error, "message");
        return err_set (err, "error reply (%s): %s",
                        cJSON_IsString (kind)? kind->valuestring: "?",
                        cJSON_IsString (message)? message->valuestring: "");
    }
    *args = cJSON_GetObjectItemCaseSensitive (root, "return_args");
    //  A reply has return_args or error (SPEC §6): anything else, such as an
    //  echo of the request, is no answer, whatever the return model allows.
    if (!*args)
        return err_set (err, "invalid_reply: neither 'return_args' nor 'error' in the reply");
    //  The seed replies null return args for a handler that returned nothing;
    //  validation against the return model then decides.
    if (cJSON_IsNull (*args)) {
        *args = NULL;
        return 0;
    }
    if (!cJSON_IsObject (*args))
        return err_set (err, "invalid_reply: 'return_args' must be an object, got %s", json_type_name (*args));
    return 0;
}

int
envelope_decode_reply (const void *data, size_t len, envelope_t *env, char *err)
{
    memset (env, 0, sizeof *env);
    char why [ERR_LEN];
    env->root = wire_parse_copy (data, len, why);
    if (!env->root)
        return err_set (err, "invalid_reply: not JSON (%s)", why);
    const cJSON *args;
    if (s_read_reply (env->root, env, &args, err)) {
        envelope_clear (env);
        return -1;
    }
    if (!args) {
        cJSON_DeleteItemFromObjectCaseSensitive (env->root, "return_args");
        args = cJSON_AddObjectToObject (env->root, "return_args");
    }
    env->args = args;
    return 0;
}

int
envelope_decode_reply_wire (wire_arena_t *arena, const void *data, size_t len, envelope_t *env, char *err)
{
    static const cJSON empty = { .type = cJSON_Object };
    memset (env, 0, sizeof *env);
    char why [ERR_LEN];
    const cJSON *root = wire_parse (arena, data, len, why);
    if (!root)
        return err_set (err, "invalid_reply: not JSON (%s)", why);
    const cJSON *args;
    if (s_read_reply (root, env, &args, err)) {
        memset (env, 0, sizeof *env);
        return -1;
    }
    env->args = args? args: &empty;
    return 0;
}

void
envelope_clear (envelope_t *env)
{
    cJSON_Delete (env->root);
    memset (env, 0, sizeof *env);
}

//  Writes {KEY: value, "workflow_id": id} into the thread's output buffer
//  (wire/wire.h), with the thread's traceparent if `traced`; value NULL is {}. Returns the text, borrowed until the
//  thread's next write.
//  Appends ,"traceparent":"…" when the calling thread sends under a trace.
static int
s_append_trace (wire_buffer_t *out)
{
    const char *traceparent = trace_parent_text ();
    if (!traceparent)
        return 0;
    return wire_append (out, ",\"traceparent\":\"", sizeof ",\"traceparent\":\"" - 1)
        || wire_append (out, traceparent, TRACE_PARENT_LEN) || wire_append (out, "\"", 1);
}

//  A writer's state in type_validate_each: where, and whether a member
//  was written yet (the comma).
typedef struct {
    wire_buffer_t *out;
    bool first;
} s_members_t;

//  type_each_fn: writes one member found valid, the key as the model has
//  it written already.
static int
s_write_member (void *arg, const cJSON *item, const char *key_text, size_t key_len)
{
    s_members_t *members = arg;
    wire_buffer_t *out = members->out;
    if (!members->first && wire_append (out, ",", 1))
        return -1;
    members->first = false;
    if (key_text? wire_append (out, key_text, key_len)
                : wire_write_string (out, item->string? item->string: "") || wire_append (out, ":", 1))
        return -1;
    return wire_write (out, item);
}

//  {"KEY":value,"workflow_id":...,"traceparent":...} into the thread's
//  buffer. With `type`, value is checked against it as it is written:
//  then NULL with *invalid and err when it does not fit. NULL (and
//  *invalid false) when out of memory.
static const char *
s_write_to (wire_buffer_t *out, const char *key, const cJSON *value, const type_t *type, const char *workflow_id,
            bool traced, size_t *len, bool *invalid, char *err)
{
    static const cJSON empty = { .type = cJSON_Object };
    if (invalid)
        *invalid = false;
    if (!out)
        return NULL;
    out->len = 0;
    //  The key is one of ours ("args", "return_args", "error"): plain.
    if (wire_append (out, "{\"", 2) || wire_append (out, key, strlen (key)) || wire_append (out, "\":", 2))
        return NULL;
    if (type) {
        s_members_t members = { out, true };
        if (wire_append (out, "{", 1))
            return NULL;
        int rc = type_validate_each (type, value, s_write_member, &members, err);
        if (rc == -1 && invalid)
            *invalid = true;
        if (rc || wire_append (out, "}", 1))
            return NULL;
    }
    else
    if (wire_write (out, value? value: &empty))
        return NULL;
    if (workflow_id
    &&  (wire_append (out, ",\"workflow_id\":", sizeof ",\"workflow_id\":" - 1)
    ||   wire_write_string (out, workflow_id)))
        return NULL;
    if (traced && s_append_trace (out))
        return NULL;
    if (wire_append (out, "}", 1))
        return NULL;
    *len = out->len;
    return out->data;
}

//  s_write_to the thread's buffer.
static const char *
s_write (const char *key, const cJSON *value, const type_t *type, const char *workflow_id, bool traced,
         size_t *len, bool *invalid, char *err)
{
    return s_write_to (wire_thread_buffer (), key, value, type, workflow_id, traced, len, invalid, err);
}

//  A fresh copy of s_write's text, for callers that keep it.
static char *
s_encode (const char *key, const cJSON *value, const char *workflow_id)
{
    size_t len;
    const char *text = s_write (key, value, NULL, workflow_id, false, &len, NULL, NULL);
    char *copy = text? malloc (len + 1): NULL;       //  cJSON_free frees it (default hooks)
    if (copy)
        memcpy (copy, text, len + 1);
    return copy;
}

const char *
envelope_request_text (const cJSON *args, const char *workflow_id, size_t *len)
{
    return s_write ("args", args, NULL, workflow_id, true, len, NULL, NULL);
}

const char *
envelope_request_text_checked (const type_t *type, const cJSON *args, const char *workflow_id, size_t *len,
                               bool *invalid, char *err)
{
    return s_write ("args", args, type, workflow_id, true, len, invalid, err);
}

int
envelope_request_into (wire_buffer_t *out, const cJSON *args, const char *workflow_id)
{
    size_t len;
    return s_write_to (out, "args", args, NULL, workflow_id, false, &len, NULL, NULL)? 0: -1;
}

char *
envelope_request (const cJSON *args, const char *workflow_id)
{
    return s_encode ("args", args, workflow_id);
}

int
envelope_add_deadline (wire_buffer_t *out, const char *text, size_t len, int64_t ms)
{
    static const char field [] = ",\"deadline_ms\":";
    out->len = 0;
    if (len < 2 || text [len - 1] != '}')
        return -1;
    //  {} has no field to follow: then no comma.
    bool empty = len == 2;
    if (wire_append (out, text, len - 1)
    ||  wire_append (out, field + (empty? 1: 0), sizeof field - 1 - (empty? 1: 0))
    ||  wire_append_int (out, ms)
    ||  s_append_trace (out)
    ||  wire_append (out, "}", 1))
        return -1;
    return 0;
}

char *
envelope_reply (const cJSON *return_args, const char *workflow_id)
{
    return s_encode ("return_args", return_args, workflow_id);
}

char *
envelope_error (fault_t kind, const char *message, const char *workflow_id)
{
    cJSON *error = cJSON_CreateObject ();
    cJSON_AddStringToObject (error, "kind", fault_name (kind));
    cJSON_AddStringToObject (error, "message", message? message: "");
    char *text = s_encode ("error", error, workflow_id);
    cJSON_Delete (error);
    return text;
}

void
fault_log (const char *name, uint64_t *counts, fault_t fault, const char *detail)
{
    uint64_t count = ++counts [fault];
    metrics_fault (name, fault_name (fault));
    if (count == 1)
        log_warning ("%s: dropped %s: %s (first of its kind; later ones are logged at DEBUG)",
                     name, fault_name (fault), detail);
    else
        log_debug ("%s: dropped %s (%" PRIu64 " so far): %s", name, fault_name (fault), count, detail);
}
