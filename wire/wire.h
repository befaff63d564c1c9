/*  wire.h - JSON for the message hot path: a strict parser into an arena, a fast writer.

    cJSON is general and allocates per node; a message on the wire is parsed
    once, read by one handler and dropped. wire_parse builds ordinary cJSON
    nodes (so handlers read them with the cJSON API) inside an arena that is
    reset per message, and checks on the way what cJSON does not: UTF-8,
    raw control characters, \u0000 and repeated keys (I-JSON), the exact
    JSON number grammar, nothing after the value. wire_write prints a cJSON
    tree; numbers take an exact integer path before any printf (the output
    reads back to the same double).
*/
#ifndef WIRE_H_INCLUDED
#define WIRE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "err.h"

/* An arena of memory chunks, reset (not freed) between messages. */
typedef struct _wire_arena_t wire_arena_t;

/* A fresh arena the caller owns (wire_arena_destroy), or NULL. */
wire_arena_t *wire_arena_new (void);

/* Releases every value parsed into the arena (they become invalid) and
   keeps its first chunk for the next message. */
void wire_arena_reset (wire_arena_t *self);

/* Frees the arena; accepts NULL and nulls the caller's pointer. */
void wire_arena_destroy (wire_arena_t **self_p);

/* Parses `len` bytes as one JSON value (RFC 8259: valid UTF-8, no raw
   control characters in strings, nesting ≤ 1000, only white space after),
   as I-JSON (RFC 7493) wants: no "\u0000" in a string, no key twice in an
   object ("duplicate key at byte N", N at the second one). Duplicates are
   found by comparing each key with the earlier ones up to 16 keys, then
   through a hash set in the arena.
   Returns the value, allocated in `arena`: valid until wire_arena_reset and
   NEVER to be passed to cJSON_Delete (cJSON_Duplicate it to keep a part).
   On failure returns NULL with err = "WHAT at byte N". */
const cJSON *wire_parse (wire_arena_t *arena, const void *data, size_t len, char *err);

/* True if the bytes are valid UTF-8 (no overlongs, no surrogates, nothing
   past U+10FFFF): the check wire_parse makes inside strings. */
bool wire_utf8_valid (const void *data, size_t len);

/* wire_parse with the same checks, for a value the caller keeps: parsed in
   a per-thread scratch arena and copied out. Returns a fresh tree the caller
   owns (cJSON_Delete), or NULL with err as wire_parse. */
cJSON *wire_parse_copy (const void *data, size_t len, char *err);

/* A growable output buffer. */
typedef struct {
    char *data;                 //  owned; NUL-terminated after each write
    size_t len;
    size_t size;
} wire_buffer_t;

/* Appends the JSON text of `item` (borrowed) to buffer. Non-finite numbers
   print as null, as cJSON does. Returns 0, or -1 on allocation failure. */
int wire_write (wire_buffer_t *buffer, const cJSON *item);

/* Makes room in buffer for `more` bytes past its length and the NUL after
   them. Returns 0, or -1 on allocation failure (buffer unchanged). */
int wire_buffer_grow (wire_buffer_t *buffer, size_t more);

/* Appends raw bytes (inline: envelopes append a few bytes at a time, a
   constant `len` becomes a move or two). 0, or -1 on allocation failure. */
static inline int
wire_append (wire_buffer_t *buffer, const char *bytes, size_t len)
{
    if (buffer->len + len + 1 > buffer->size && wire_buffer_grow (buffer, len))
        return -1;
    memcpy (buffer->data + buffer->len, bytes, len);
    buffer->len += len;
    buffer->data [buffer->len] = 0;
    return 0;
}

/* Appends a JSON string literal (quoted, escaped). 0 or -1. */
int wire_write_string (wire_buffer_t *buffer, const char *text);

/* Appends an integer's decimal digits ('-' first when negative). 0 or -1. */
int wire_append_int (wire_buffer_t *buffer, int64_t value);

#define WIRE_DIGITS_MAX 20      //  decimal digits of the largest uint64_t

/* Writes value's decimal digits at out (room for WIRE_DIGITS_MAX; no NUL)
   and returns how many: the writer numbers and ids share. */
size_t wire_digits (uint64_t value, char *out);

/* The calling thread's own buffer for writing messages (emptied by the
   caller before use). Borrowed; freed when the thread exits. NULL on
   allocation failure. */
wire_buffer_t *wire_thread_buffer (void);

/* Frees the buffer's memory and empties it. */
void wire_buffer_free (wire_buffer_t *buffer);

#endif
