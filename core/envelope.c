/*  envelope.c - encode and decode the SPEC §6 envelopes, rejecting malformed input. */
#include <stdlib.h>
#include <string.h>
#include "envelope.h"
#include "json.h"

static const char *const s_fault_names [FAULT_COUNT] = {
    "none", "invalid_json", "invalid_envelope", "invalid_args", "too_large",
    "bad_frames", "handler_failed", "invalid_return"
};

const char *
fault_name (fault_t fault)
{
    return fault >= 0 && fault < FAULT_COUNT? s_fault_names [fault]: "unknown";
}

bool
envelope_utf8_valid (const void *data, size_t len)
{
    const unsigned char *s = data, *end = s + len;
    while (s < end) {
        if (*s < 0x80) {            //  ASCII fast path
            s++;
            continue;
        }
        int extra;
        unsigned int cp;
        if ((*s & 0xE0) == 0xC0)      { extra = 1; cp = *s & 0x1F; }
        else if ((*s & 0xF0) == 0xE0) { extra = 2; cp = *s & 0x0F; }
        else if ((*s & 0xF8) == 0xF0) { extra = 3; cp = *s & 0x07; }
        else return false;
        if (end - s <= extra)
            return false;
        for (int i = 1; i <= extra; i++) {
            if ((s [i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s [i] & 0x3F);
        }
        if ((extra == 1 && cp < 0x80) || (extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000)
        ||  cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        s += extra + 1;
    }
    return true;
}

//  JSON (RFC 8259) allows no raw control character inside a string, and
//  only space, tab, CR and LF between tokens; cJSON accepts them all (and
//  cuts a string at a NUL), so look before it parses. Returns the offset of
//  the first offending byte, or -1.
static long
s_control_char (const unsigned char *s, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s [i];
        if (in_string) {
            if (c == '\\')
                i++;                        //  the escaped byte is checked by cJSON
            else if (c == '"')
                in_string = false;
            else if (c < 0x20)
                return (long) i;
        }
        else if (c == '"')
            in_string = true;
        else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return (long) i;
    }
    return -1;
}

//  Takes an envelope's optional "message_id" (the sender's id for durable
//  delivery and dedupe) into env; on a bad one empties env.
static fault_t
s_message_id (envelope_t *env, const cJSON *id, char *err)
{
    if (!id || cJSON_IsNull (id))
        return FAULT_NONE;
    if (!cJSON_IsString (id) || !*id->valuestring || strlen (id->valuestring) > 200) {
        envelope_clear (env);
        err_set (err, "message_id must be a non-empty string of at most 200 bytes");
        return FAULT_INVALID_ENVELOPE;
    }
    env->message_id = id->valuestring;
    return FAULT_NONE;
}

static fault_t
s_parse (const void *data, size_t len, envelope_t *env, char *err)
{
    memset (env, 0, sizeof *env);
    if (!envelope_utf8_valid (data, len)) {
        err_set (err, "not valid UTF-8");
        return FAULT_INVALID_JSON;
    }
    long bad = s_control_char (data, len);
    if (bad >= 0) {
        err_set (err, "not JSON (raw control character 0x%02x at byte %ld)",
                 ((const unsigned char *) data) [bad], bad);
        return FAULT_INVALID_JSON;
    }
    const char *end = NULL;
    env->root = cJSON_ParseWithLengthOpts (data, len, &end, false);
    if (!env->root) {
        err_set (err, "not JSON (at byte %zu)", end? (size_t) (end - (const char *) data): (size_t) 0);
        return FAULT_INVALID_JSON;
    }
    //  Only white space may follow the value.
    for (const char *p = end; p && p < (const char *) data + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
            envelope_clear (env);
            err_set (err, "not JSON (trailing data at byte %zu)", (size_t) (p - (const char *) data));
            return FAULT_INVALID_JSON;
        }
    if (!cJSON_IsObject (env->root)) {
        err_set (err, "envelope must be an object, got %s", json_type_name (env->root));
        envelope_clear (env);
        return FAULT_INVALID_ENVELOPE;
    }
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive (env->root, "workflow_id");
    if (wf && !cJSON_IsNull (wf)) {
        if (!cJSON_IsString (wf) || !*wf->valuestring || strlen (wf->valuestring) > 200) {
            envelope_clear (env);
            err_set (err, "workflow_id must be a non-empty string of at most 200 bytes");
            return FAULT_INVALID_ENVELOPE;
        }
        env->workflow_id = wf->valuestring;
    }
    return s_message_id (env, cJSON_GetObjectItemCaseSensitive (env->root, "message_id"), err);
}

fault_t
envelope_decode (const void *data, size_t len, envelope_t *env, char *err)
{
    fault_t fault = s_parse (data, len, env, err);
    if (fault)
        return fault;
    env->args = cJSON_GetObjectItemCaseSensitive (env->root, "args");
    if (!cJSON_IsObject (env->args)) {
        err_set (err, env->args? "'args' must be an object, got %s": "missing 'args'",
                 json_type_name (env->args));
        envelope_clear (env);
        return FAULT_INVALID_ENVELOPE;
    }
    return FAULT_NONE;
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
    if (!cJSON_IsObject (root)) {
        err_set (err, "envelope must be an object, got %s", json_type_name (root));
        return FAULT_INVALID_ENVELOPE;
    }
    //  One walk over the envelope's keys instead of a lookup per key.
    const cJSON *wf = NULL, *mid = NULL;
    for (const cJSON *item = root->child; item; item = item->next) {
        if (!env->args && strcmp (item->string, "args") == 0)
            env->args = item;
        else if (!wf && strcmp (item->string, "workflow_id") == 0)
            wf = item;
        else if (!mid && strcmp (item->string, "message_id") == 0)
            mid = item;
    }
    if (wf && !cJSON_IsNull (wf)) {
        if (!cJSON_IsString (wf) || !*wf->valuestring || strlen (wf->valuestring) > 200) {
            memset (env, 0, sizeof *env);
            err_set (err, "workflow_id must be a non-empty string of at most 200 bytes");
            return FAULT_INVALID_ENVELOPE;
        }
        env->workflow_id = wf->valuestring;
    }
    if (s_message_id (env, mid, err))
        return FAULT_INVALID_ENVELOPE;
    if (!cJSON_IsObject (env->args)) {
        err_set (err, env->args? "'args' must be an object, got %s": "missing 'args'",
                 json_type_name (env->args));
        memset (env, 0, sizeof *env);
        return FAULT_INVALID_ENVELOPE;
    }
    return FAULT_NONE;
}

int
envelope_decode_reply (const void *data, size_t len, envelope_t *env, char *err)
{
    char why [ERR_LEN];
    if (s_parse (data, len, env, why))
        return err_set (err, "malformed reply: %s", why);
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (env->root, "error");
    if (error) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive (error, "kind");
        const cJSON *message = cJSON_GetObjectItemCaseSensitive (error, "message");
        err_set (err, "error reply (%s): %s",
                 cJSON_IsString (kind)? kind->valuestring: "?",
                 cJSON_IsString (message)? message->valuestring: "");
        envelope_clear (env);
        return -1;
    }
    env->args = cJSON_GetObjectItemCaseSensitive (env->root, "return_args");
    //  The seed replies null return args for a handler that returned nothing.
    if (cJSON_IsNull (env->args) || !env->args) {
        cJSON_DeleteItemFromObjectCaseSensitive (env->root, "return_args");
        env->args = cJSON_AddObjectToObject (env->root, "return_args");
    }
    if (!cJSON_IsObject (env->args)) {
        err_set (err, "malformed reply: 'return_args' must be an object, got %s", json_type_name (env->args));
        envelope_clear (env);
        return -1;
    }
    return 0;
}

void
envelope_clear (envelope_t *env)
{
    cJSON_Delete (env->root);
    memset (env, 0, sizeof *env);
}

//  Writes {KEY: value, "workflow_id": id} into the thread's output buffer
//  (core/wire.h); value NULL is {}. Returns the text, borrowed until the
//  thread's next write.
static const char *
s_write (const char *key, const cJSON *value, const char *workflow_id, size_t *len)
{
    static const cJSON empty = { .type = cJSON_Object };
    wire_buffer_t *out = wire_thread_buffer ();
    if (!out)
        return NULL;
    out->len = 0;
    if (wire_append (out, "{", 1)
    ||  wire_write_string (out, key) || wire_append (out, ":", 1)
    ||  wire_write (out, value? value: &empty))
        return NULL;
    if (workflow_id
    &&  (wire_append (out, ",\"workflow_id\":", sizeof ",\"workflow_id\":" - 1)
    ||   wire_write_string (out, workflow_id)))
        return NULL;
    if (wire_append (out, "}", 1))
        return NULL;
    *len = out->len;
    return out->data;
}

//  A fresh copy of s_write's text, for callers that keep it.
static char *
s_encode (const char *key, const cJSON *value, const char *workflow_id)
{
    size_t len;
    const char *text = s_write (key, value, workflow_id, &len);
    char *copy = text? malloc (len + 1): NULL;       //  cJSON_free frees it (default hooks)
    if (copy)
        memcpy (copy, text, len + 1);
    return copy;
}

const char *
envelope_request_text (const cJSON *args, const char *workflow_id, size_t *len)
{
    return s_write ("args", args, workflow_id, len);
}

char *
envelope_request (const cJSON *args, const char *workflow_id)
{
    return s_encode ("args", args, workflow_id);
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
