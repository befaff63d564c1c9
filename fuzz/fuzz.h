/*  fuzz.h - what the libFuzzer harnesses share: splitting one input into
    parts, and an exact comparison of two cJSON trees.

    A harness that needs two inputs (a document and a patch, a type spec and
    a value) splits its bytes at the first 0xFF: that byte never occurs in
    valid UTF-8, so it cannot be part of either JSON text.
*/
#ifndef FUZZ_H_INCLUDED
#define FUZZ_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cjson/cJSON.h>
#include "wire.h"

#define FUZZ_SEPARATOR 0xFF

/* An assert that release builds keep (the harnesses build with NDEBUG):
   prints the failed condition and aborts, which libFuzzer reports as a
   crash with the input that caused it. */
#define FUZZ_CHECK(cond) do { \
        if (!(cond)) { \
            fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            abort (); \
        } \
    } while (0)

/* The harness's one arena, made on first use and reset for each input;
   a failure to make it ends the run like any failed check. */
static inline wire_arena_t *
fuzz_arena (void)
{
    static wire_arena_t *arena;
    if (!arena)
        arena = wire_arena_new ();
    FUZZ_CHECK (arena);
    wire_arena_reset (arena);
    return arena;
}

/* Splits data at the first FUZZ_SEPARATOR into [0, *first_len) and the rest
   after it (*second, *second_len; empty when there is no separator). */
static inline void
fuzz_split (const uint8_t *data, size_t size, size_t *first_len,
            const uint8_t **second, size_t *second_len)
{
    const uint8_t *sep = memchr (data, FUZZ_SEPARATOR, size);
    *first_len = sep? (size_t) (sep - data): size;
    *second = sep? sep + 1: data + size;
    *second_len = sep? size - *first_len - 1: 0;
}

/* A fresh NUL-terminated copy of the bytes (free()), or NULL. */
static inline char *
fuzz_strndup (const uint8_t *data, size_t size)
{
    char *text = malloc (size + 1);
    if (text) {
        memcpy (text, data, size);
        text [size] = 0;
    }
    return text;
}

/* True if the two trees are the same: same types, same keys in the same
   order, equal strings, and numbers equal as doubles (not within an
   epsilon, as cJSON_Compare has it). `nonfinite_is_null` lets a non-finite
   number in `a` match a null in `b` (what a writer prints for it). */
static inline bool
fuzz_same (const cJSON *a, const cJSON *b, bool nonfinite_is_null)
{
    if (!a || !b)
        return a == b;
    if (cJSON_IsNumber (a) && !isfinite (a->valuedouble) && nonfinite_is_null)
        return cJSON_IsNull (b);
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if ((a->string == NULL) != (b->string == NULL)
    ||  (a->string && strcmp (a->string, b->string) != 0))
        return false;
    if (cJSON_IsNumber (a))
        return a->valuedouble == b->valuedouble
            || (isnan (a->valuedouble) && isnan (b->valuedouble));
    if (cJSON_IsString (a))
        return strcmp (a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray (a) || cJSON_IsObject (a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!fuzz_same (x, y, nonfinite_is_null))
                return false;
        return !x && !y;
    }
    return true;
}

/* fuzz_same, but members of an object may come in any order (JSON gives
   their order no meaning; a merge patch that deletes a key and sets it
   again moves it to the end): each member of `a` must match the first
   member of `b` with its name, and both have as many. */
static inline bool
fuzz_same_unordered (const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return a == b;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsObject (a)) {
        if (cJSON_GetArraySize (a) != cJSON_GetArraySize (b))
            return false;
        for (const cJSON *x = a->child; x; x = x->next)
            if (!fuzz_same_unordered (x, cJSON_GetObjectItemCaseSensitive (b, x->string)))
                return false;
        return true;
    }
    if (cJSON_IsArray (a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!fuzz_same_unordered (x, y))
                return false;
        return !x && !y;
    }
    return fuzz_same (a, b, false);
}

#endif
