/*  json.h - JSON text and files in, cJSON trees out, with errors that say where.

    Every JSON value in svcfw is a cJSON tree. These helpers add what cJSON
    lacks: a one-line error naming the source with line and column, and a few
    small utilities the rest of the runtime shares.
*/
#ifndef JSON_H_INCLUDED
#define JSON_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "err.h"

/* Parses `len` bytes of `text` (need not be NUL-terminated) as one JSON value
   with nothing but white space after it, and as I-JSON (RFC 7493) wants:
   no "\u0000" in a string, no duplicate key in an object (error
   "NAME:LINE:COL: invalid JSON (duplicate key \"KEY\")", at the second
   occurrence). `name` names the source in errors.
   Returns a fresh tree the caller owns (free with cJSON_Delete), or NULL with
   err = "NAME:LINE:COL: invalid JSON (WHAT)" (line and column 1-based). */
cJSON *json_parse (const char *text, size_t len, const char *name, char *err);

/* Reads and parses the file at `path`. Returns a fresh tree the caller owns,
   or NULL with err = "PATH: cannot read: REASON" or the json_parse error. */
cJSON *json_load_file (const char *path, char *err);

/* The JSON type name of a value for messages: "object", "array", "string",
   "number", "boolean", "null" ("nothing" for a NULL pointer). Static string. */
const char *json_type_name (const cJSON *value);

/* Prints `value` compactly. Returns a fresh string the caller frees with
   cJSON_free (the same allocator cJSON uses), or NULL on allocation failure. */
char *json_print (const cJSON *value);

/* True if the NUL-terminated `key` is `name`: strcmp's equality, inline,
   for the hot paths that match an object's keys (a few bytes each: the
   compare costs less than strcmp's call). */
static inline bool
json_key_is (const char *key, const char *name)
{
    while (*key == *name) {
        if (!*key)
            return true;
        key++;
        name++;
    }
    return false;
}

#endif
