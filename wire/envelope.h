/*  envelope.h - the wire envelopes of SPEC §6, and the faults of inbound input.

    Request / published message: {"args": {…}, "workflow_id": "…"}
      a request may carry "deadline_ms": the time left for it when it was
      sent, a positive integer of milliseconds (SPEC §8)
      a request or published message may carry "traceparent" (W3C Trace
      Context, trace/trace.h): read as is, checked by trace_in_begin
    Reply: {"return_args": {…}, "workflow_id": "…"}
       or  {"error": {"kind": "…", "message": "…"}, "workflow_id": "…"}
    Unknown envelope keys are ignored, so later versions may add some.
*/
#ifndef ENVELOPE_H_INCLUDED
#define ENVELOPE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "err.h"
#include "types.h"
#include "wire.h"

/* Why an inbound message could not be used; also the error reply's kind. */
typedef enum {
    FAULT_NONE = 0,
    FAULT_INVALID_JSON,         //  not JSON, or not UTF-8
    FAULT_INVALID_ENVELOPE,     //  not an object, args missing or not an object, bad workflow_id
    FAULT_INVALID_ARGS,         //  args fail the model
    FAULT_TOO_LARGE,            //  over max_message_bytes
    FAULT_BAD_FRAMES,           //  wrong number of frames
    FAULT_HANDLER_FAILED,       //  the handler returned non-zero
    FAULT_INVALID_RETURN,       //  return args fail the return model
    FAULT_DEADLINE_EXCEEDED,    //  the request's deadline_ms ran out before its handler started
    FAULT_COUNT
} fault_t;

/* The kind's wire name, e.g. "invalid_json". Static string. */
const char *fault_name (fault_t fault);

/* Counts an inbound fault on entry `name` (counts has FAULT_COUNT slots) and
   logs it: the first of each cause at WARNING, the rest at DEBUG. The
   thread that owns `counts`. */
void fault_log (const char *name, uint64_t *counts, fault_t fault, const char *detail);

/* A decoded envelope. */
typedef struct {
    cJSON *root;                //  the parsed message; owned
    const cJSON *args;          //  "args" (request) or "return_args" (reply); borrowed from root
    const char *workflow_id;    //  borrowed from root; NULL when absent
    const char *message_id;     //  "message_id" (durable delivery, dedupe); borrowed like workflow_id; NULL when absent
    int64_t deadline_ms;        //  "deadline_ms" of a request; 0 when absent
    const char *traceparent;    //  "traceparent", borrowed like workflow_id; "" when it is not a
                                //  string (trace_in_begin counts it malformed); NULL when absent
} envelope_t;

#define ENVELOPE_DEADLINE_MAX 2147483647    //  the largest deadline_ms taken (about 24 days)

/* Decodes a request or published message of `len` bytes. Returns FAULT_NONE
   with env filled (free with envelope_clear), or a fault with a short detail
   in err; env is then empty. */
fault_t envelope_decode (const void *data, size_t len, envelope_t *env, char *err);

/* The hot-path decode: parses into `arena` (wire/wire.h) with the same
   checks and faults as envelope_decode. env->root stays NULL; env->args and
   env->workflow_id point into the arena and stay valid until the caller
   resets it (envelope_clear is then a no-op, and still safe to call). */
fault_t envelope_decode_wire (wire_arena_t *arena, const void *data, size_t len, envelope_t *env, char *err);

/* Reads the request envelope `root`, already parsed (a batch's member),
   with the same checks and faults as envelope_decode. env->root stays
   NULL; env's pointers are borrowed from root. */
fault_t envelope_read (const cJSON *root, envelope_t *env, char *err);

/*  Batches: {"batch": [ENVELOPE, ...]} is answered {"batch": [REPLY, ...]},
    one reply per envelope, in the same order; each envelope is read and
    handled as if it came alone. */
#define ENVELOPE_BATCH_MAX 1024     //  envelopes in one batch

/* Is `root` (a parsed request) a batch? Returns 0 when it has no "batch"
   key (a single envelope), 1 with *members the array (borrowed from root),
   or -1 with err when "batch" is not a list, is empty, or holds more than
   ENVELOPE_BATCH_MAX envelopes (the whole message is then refused,
   invalid_envelope). */
int envelope_batch (const cJSON *root, const cJSON **members, char *err);

/* envelope_read for a batch's member: a member that is itself a batch is
   FAULT_INVALID_ENVELOPE ("a batch's message cannot be a batch"). */
fault_t envelope_read_member (const cJSON *member, envelope_t *env, char *err);

/* {"batch": [replies[0], ...]}: the replies are envelope texts. Returns a
   fresh string the caller frees with cJSON_free (or free), or NULL when
   out of memory. */
char *envelope_batch_reply (char *const *replies, int count);

/* Decodes a reply: an object with "return_args" (an object, or null, read
   as {}) or "error". Returns 0 with env->args = the return args, or -1 with
   err = "error reply (handler_failed): TEXT", or "invalid_reply: ..." saying
   what is wrong with the bytes (not JSON, neither key, a bad workflow_id,
   return_args not an object); env is then empty. */
int envelope_decode_reply (const void *data, size_t len, envelope_t *env, char *err);

/* envelope_decode_reply parsed into `arena` (wire/wire.h), with the same
   checks and words: env->root stays NULL; env->args (an empty object of
   the library's for a null "return_args") and the ids are valid until
   the caller resets the arena. For a caller that keeps only the return
   args (cJSON_Duplicate them). */
int envelope_decode_reply_wire (wire_arena_t *arena, const void *data, size_t len, envelope_t *env, char *err);

/* Frees what env owns and empties it. */
void envelope_clear (envelope_t *env);

/* Encode an envelope. Each returns a fresh NUL-terminated string the caller
   frees with cJSON_free, or NULL on allocation failure. `workflow_id` may be
   NULL (then omitted). The value arguments are borrowed. */
char *envelope_request (const cJSON *args, const char *workflow_id);
char *envelope_reply (const cJSON *return_args, const char *workflow_id);
char *envelope_error (fault_t kind, const char *message, const char *workflow_id);

/* envelope_request's text written into `out` (cleared first), for a
   caller that keeps it across attempts (envelope_add_deadline then adds
   each attempt's deadline and the traceparent). 0, or -1 when out of
   memory. */
int envelope_request_into (wire_buffer_t *out, const cJSON *args, const char *workflow_id);

/* The request envelope as text in a per-thread buffer, for the hot path:
   no allocation once the buffer has grown to fit. It carries the calling
   thread's "traceparent" (trace_parent_text), if any. Returns the text (borrowed;
   valid until the next call on this thread) with its length in *len, or
   NULL on allocation failure. */
const char *envelope_request_text (const cJSON *args, const char *workflow_id, size_t *len);

/* envelope_request_text with args checked against `type` (an argument
   model, types.h) as they are written: one walk instead of type_validate
   and then the writer, the keys written as the model has them. Returns
   the text as envelope_request_text does; or NULL with *invalid and err
   (type_validate's words: "key 'price': expected float, got string") when
   the args do not fit; or NULL with *invalid false when out of memory. */
const char *envelope_request_text_checked (const type_t *type, const cJSON *args, const char *workflow_id,
                                           size_t *len, bool *invalid, char *err);

/* Writes into `out` (cleared first) the envelope `text` (len bytes, an
   object as the encoders above make it) with "deadline_ms": ms added, and
   the calling thread's "traceparent" (trace_parent_text), if any.
   Returns 0, or -1 when out of memory. */
int envelope_add_deadline (wire_buffer_t *out, const char *text, size_t len, int64_t ms);

/* True if the bytes are valid UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool envelope_utf8_valid (const void *data, size_t len);

#endif
