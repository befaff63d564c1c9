/*  json.c - JSON text and files in, cJSON trees out, with errors that say where.

    cJSON reports a failure as one offset and no reason. This file turns that
    into "NAME:LINE:COL: invalid JSON (WHAT)": it corrects the offset where
    cJSON is known to land one byte late (a key that is not a string, e.g. a
    trailing comma in an object), and names what was found there.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

//  JSON white space (RFC 8259), stricter than cJSON's "any byte <= 32"
static bool
s_is_space (unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

//  True if text starts with a UTF-8 byte order mark, which cJSON skips.
static bool
s_has_bom (const char *text, size_t len)
{
    return len >= 3 && memcmp (text, "\xEF\xBB\xBF", 3) == 0;
}

//  1-based line and column of byte `at`. Columns count characters, not
//  bytes, so they match what an editor shows for UTF-8 text.
static void
s_locate (const char *text, size_t len, size_t at, int *line, int *col)
{
    size_t i = s_has_bom (text, len) ? 3 : 0;
    *line = 1;
    *col = 1;
    for (; i < at && i < len; i++) {
        unsigned char c = (unsigned char) text [i];
        if (c == '\n') {
            (*line)++;
            *col = 1;
        }
        else
        if ((c & 0xC0) != 0x80)     //  not a UTF-8 continuation byte
            (*col)++;
    }
}

//  True if an unescaped '"' occurs in text[from..len).
static bool
s_has_closing_quote (const char *text, size_t len, size_t from)
{
    for (size_t i = from; i < len; i++) {
        if (text [i] == '\\')
            i++;
        else
        if (text [i] == '"')
            return true;
    }
    return false;
}

//  What the scan of text[0..end) saw, outside strings.
typedef struct {
    bool in_string;                 //  end lies inside a string
    char top;                       //  innermost open '{' or '[', or 0
    char last;                      //  last non-space byte outside strings
    size_t depth;                   //  open brackets at end
} s_scan_t;

//  Scans the prefix that cJSON accepted, to know the context of the byte
//  where it failed. Error path only, so a plain forward pass is fine.
//  Returns -1 if the bracket stack cannot be allocated.
static int
s_scan (const char *text, size_t end, s_scan_t *scan)
{
    char *stack = malloc (end + 1);
    if (!stack)
        return -1;
    memset (scan, 0, sizeof *scan);
    bool escaped = false;
    for (size_t i = 0; i < end; i++) {
        char c = text [i];
        if (scan->in_string) {
            if (escaped)
                escaped = false;
            else
            if (c == '\\')
                escaped = true;
            else
            if (c == '"') {
                scan->in_string = false;
                scan->last = '"';
            }
            continue;
        }
        if (c == '"')
            scan->in_string = true;
        else
        if (c == '{' || c == '[')
            stack [scan->depth++] = c;
        else
        if ((c == '}' || c == ']') && scan->depth > 0)
            scan->depth--;
        if (!s_is_space ((unsigned char) c))
            scan->last = c;
    }
    scan->top = scan->depth ? stack [scan->depth - 1] : 0;
    free (stack);
    return 0;
}

//  Bytes that make up one bare word or number, to quote it whole.
static bool
s_is_word (unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        || c == '+' || c == '-' || c == '.' || c == '_';
}

//  Names the text found at `at` for "unexpected ...": a word or number
//  as a whole ("tru"), one UTF-8 character, or a control byte in hex.
static void
s_describe_at (const char *text, size_t len, size_t at, char *what, size_t size)
{
    unsigned char c = (unsigned char) text [at];
    if (c == '\\' && at + 1 < len) {
        snprintf (what, size, "invalid escape '\\%c'", text [at + 1]);
        return;
    }
    if (c < 0x20 || c == 0x7F) {
        snprintf (what, size, "unexpected byte 0x%02x", c);
        return;
    }
    if (c == '\'') {
        snprintf (what, size, "unexpected \"'\"");
        return;
    }
    size_t end = at + 1;
    if (c >= 0x80) {
        while (end < len && end < at + 4 && ((unsigned char) text [end] & 0xC0) == 0x80)
            end++;
    }
    else
    if (s_is_word (c)) {
        while (end < len && end < at + 20 && s_is_word ((unsigned char) text [end]))
            end++;
    }
    snprintf (what, size, "unexpected '%.*s'", (int) (end - at), text + at);
}

//  Finds where and why parsing failed, given cJSON's failure offset `at`.
static void
s_diagnose (const char *text, size_t len, size_t at, size_t *where, char *what, size_t size)
{
    *where = at;
    s_scan_t scan;
    if (at > 0 && s_scan (text, at - 1, &scan) == 0 && !scan.in_string) {
        size_t prev = at - 1;
        //  cJSON refuses an array or object opened at depth 1000 (a guard
        //  against stack exhaustion), failing on its bracket.
        size_t depth = scan.depth + (text [prev] == '[' || text [prev] == '{');
        if (at < len && depth >= CJSON_NESTING_LIMIT && (text [at] == '[' || text [at] == '{')) {
            snprintf (what, size, "nested deeper than %d levels", CJSON_NESTING_LIMIT);
            return;
        }
        //  cJSON's parse_string reports start + 1 both for a string that
        //  never ends and for a key that is not a string at all (which may
        //  be the last byte, so this comes before the end-of-input case).
        if (text [prev] == '"' && !s_has_closing_quote (text, len, at)) {
            *where = prev;
            snprintf (what, size, "unterminated string");
            return;
        }
        if (text [prev] != '"' && !s_is_space ((unsigned char) text [prev])
        &&  scan.top == '{' && (scan.last == '{' || scan.last == ','))
            *where = prev;
    }
    if (*where >= len) {
        snprintf (what, size, "unexpected end of input");
        return;
    }
    s_describe_at (text, len, *where, what, size);
}

static int
s_syntax_error (const char *text, size_t len, size_t at, const char *what,
                const char *name, char *err)
{
    int line, col;
    s_locate (text, len, at, &line, &col);
    return err_set (err, "%s:%d:%d: invalid JSON (%s)", name, line, col, what);
}

//  I-JSON (RFC 7493) on top of cJSON: a "\u0000" escape (cJSON cuts the
//  string there) or a duplicate key (cJSON reads the first, most other
//  readers the last) is refused. Both are found after cJSON accepted the
//  text, so the scans below may rely on it being valid JSON.

//  The offset of the first \u0000 escape inside a string, or len.
static size_t
s_find_nul_escape (const char *text, size_t len)
{
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_string)
            in_string = text [i] == '"';
        else
        if (text [i] == '"')
            in_string = false;
        else
        if (text [i] == '\\') {
            if (i + 5 < len && memcmp (text + i + 1, "u0000", 5) == 0)
                return i;
            i++;
        }
    }
    return len;
}

//  Finds, in text order, the first key that repeats an earlier key of its
//  object: the object's ordinal among all objects (in text order, from 0)
//  and the key's index in it. *ordinal counts objects seen.
static bool
s_find_duplicate (const cJSON *item, size_t *ordinal, size_t *dup_ordinal,
                  size_t *dup_index, const char **dup_key)
{
    bool is_object = cJSON_IsObject (item);
    if (!is_object && !cJSON_IsArray (item))
        return false;
    size_t mine = is_object? (*ordinal)++: 0;
    size_t index = 0;
    for (const cJSON *child = item->child; child; child = child->next, index++) {
        if (is_object)
            for (const cJSON *earlier = item->child; earlier != child; earlier = earlier->next)
                if (strcmp (earlier->string, child->string) == 0) {
                    *dup_ordinal = mine;
                    *dup_index = index;
                    *dup_key = child->string;
                    return true;
                }
        if (s_find_duplicate (child, ordinal, dup_ordinal, dup_index, dup_key))
            return true;
    }
    return false;
}

//  The offset of key `key_index` of object `ordinal` (its opening quote).
static size_t
s_locate_key (const char *text, size_t len, size_t ordinal, size_t key_index)
{
    size_t objects = 0, depth = 0, keys = 0;
    bool inside = false, expect_key = false;
    for (size_t i = 0; i < len; i++) {
        char c = text [i];
        if (c == '"') {
            if (inside && depth == 1 && expect_key) {
                if (keys++ == key_index)
                    return i;
                expect_key = false;
            }
            for (i++; i < len && text [i] != '"'; i++)
                if (text [i] == '\\')
                    i++;
            continue;
        }
        if (c == '{' && !inside && objects++ == ordinal) {
            inside = true;
            expect_key = true;
            depth = 1;
            continue;
        }
        if (!inside)
            continue;
        if (c == '{' || c == '[')
            depth++;
        else
        if (c == '}' || c == ']') {
            if (--depth == 0)
                return len;
        }
        else
        if (c == ',' && depth == 1)
            expect_key = true;
    }
    return len;
}

//  0, or -1 with the error if the parsed text breaks I-JSON.
static int
s_check_ijson (const char *text, size_t len, const cJSON *value, const char *name, char *err)
{
    size_t at = s_find_nul_escape (text, len);
    if (at < len)
        return s_syntax_error (text, len, at, "\\u0000 in a string", name, err);
    size_t ordinal = 0, dup_ordinal = 0, dup_index = 0;
    const char *dup_key = NULL;
    if (s_find_duplicate (value, &ordinal, &dup_ordinal, &dup_index, &dup_key)) {
        char what [96];
        snprintf (what, sizeof what, "duplicate key \"%.60s\"", dup_key);
        return s_syntax_error (text, len, s_locate_key (text, len, dup_ordinal, dup_index),
                               what, name, err);
    }
    return 0;
}

cJSON *
json_parse (const char *text, size_t len, const char *name, char *err)
{
    if (!name)
        name = "<text>";
    if (!text)
        len = 0;

    size_t start = s_has_bom (text, len) ? 3 : 0;
    while (start < len && s_is_space ((unsigned char) text [start]))
        start++;
    if (start == len) {
        s_syntax_error (text, len, len, "empty", name, err);
        return NULL;
    }
    //  Parse a NUL-terminated copy and include the NUL in the length: an
    //  unexpected end of input then fails *at* the NUL, where the user
    //  needs to look, instead of on the last byte. No JSON value contains
    //  a NUL byte, so it cannot change what parses.
    char *copy = malloc (len + 1);
    if (!copy) {
        err_set (err, "%s: out of memory", name);
        return NULL;
    }
    memcpy (copy, text, len);
    copy [len] = '\0';

    const char *end = NULL;
    cJSON *value = cJSON_ParseWithLengthOpts (copy, len + 1, &end, false);
    size_t at = end ? (size_t) (end - copy) : 0;
    free (copy);

    char what [96];
    if (!value) {
        size_t where;
        s_diagnose (text, len, at, &where, what, sizeof what);
        s_syntax_error (text, len, where, what, name, err);
        return NULL;
    }
    //  cJSON stops after the value; anything but white space is garbage.
    while (at < len && s_is_space ((unsigned char) text [at]))
        at++;
    if (at < len) {
        cJSON_Delete (value);
        s_describe_at (text, len, at, what, sizeof what - 20);
        strcat (what, " after the value");
        s_syntax_error (text, len, at, what, name, err);
        return NULL;
    }
    if (s_check_ijson (text, len, value, name, err)) {
        cJSON_Delete (value);
        return NULL;
    }
    return value;
}

cJSON *
json_load_file (const char *path, char *err)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        err_set (err, "%s: cannot read: %s", path, strerror (errno));
        return NULL;
    }
    //  Read in chunks rather than trusting a size from fstat, so pipes and
    //  /proc files work and a directory fails on read with EISDIR.
    size_t size = 0, cap = 4096;
    char *text = malloc (cap);
    int read_errno = 0;
    while (text) {
        if (size == cap) {
            char *bigger = realloc (text, cap * 2);
            if (!bigger) {
                free (text);
                text = NULL;
                break;
            }
            text = bigger;
            cap *= 2;
        }
        errno = 0;
        size_t got = fread (text + size, 1, cap - size, file);
        size += got;
        if (got == 0) {
            if (ferror (file))
                read_errno = errno ? errno : EIO;
            break;
        }
    }
    fclose (file);
    if (!text) {
        err_set (err, "%s: cannot read: %s", path, strerror (ENOMEM));
        return NULL;
    }
    if (read_errno) {
        free (text);
        err_set (err, "%s: cannot read: %s", path, strerror (read_errno));
        return NULL;
    }
    cJSON *value = json_parse (text, size, path, err);
    free (text);
    return value;
}

const char *
json_type_name (const cJSON *value)
{
    if (!value)
        return "nothing";
    switch (value->type & 0xFF) {
        case cJSON_False:
        case cJSON_True:   return "boolean";
        case cJSON_NULL:   return "null";
        case cJSON_Number: return "number";
        case cJSON_String: return "string";
        case cJSON_Array:  return "array";
        case cJSON_Object: return "object";
        case cJSON_Raw:    return "raw JSON";
        default:           return "invalid";
    }
}

char *
json_print (const cJSON *value)
{
    return value ? cJSON_PrintUnformatted (value) : NULL;
}
