/*  types.c - the model type language, compiled once, checked per message.

    A compiled type is a small tree. Objects keep their members in
    declaration order, so errors and descriptions follow the model as the
    user wrote it; models are small, so members are found by a linear scan.
    A map {"*": T} is an object that is not closed: keys it does not declare
    take the type `item` instead of being errors.
*/
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include "json.h"
#include "types.h"

//  The largest integer a double (and so a cJSON number) holds exactly.
#define S_INT_LIMIT 9007199254740992.0      //  2^53, the bound of "int64"
//  "int" is what a C int holds, so a handler may read valueint.
#define S_INT_MIN ((double) INT_MIN)
#define S_INT_MAX ((double) INT_MAX)

typedef enum {
    S_STR, S_INT, S_INT64, S_FLOAT, S_BOOL, S_DICT, S_LIST, S_ANY,
    S_OBJECT,                       //  {KEY: TYPE}, {"*": TYPE}, argument models
    S_LIST_OF                       //  [TYPE]
} s_kind_t;

static const struct {
    const char *name;
    s_kind_t kind;
} s_basic [] = {
    { "str", S_STR }, { "int", S_INT }, { "int64", S_INT64 }, { "float", S_FLOAT }, { "bool", S_BOOL },
    { "dict", S_DICT }, { "list", S_LIST }, { "any", S_ANY }
};
#define S_BASIC_COUNT (sizeof s_basic / sizeof s_basic [0])

typedef struct {
    char *name;                     //  the key
    type_t *type;                   //  its type, owned
    bool required;                  //  must be present
    char *key_text;                 //  the key as JSON text with its colon ("\"name\":"), owned
    size_t key_len;
} s_member_t;

struct _type_t {
    s_kind_t kind;
    bool closed;                    //  object: undeclared keys are errors (else they take `item`)
    s_member_t *members;            //  object: declared keys, in declaration order
    size_t member_count;
    type_t *item;                   //  list: every item's type; open object: every other value's type
    size_t required_count;          //  object: how many members are required
};

//  ---------------------------------------------------------------------------
//  Compiling

static type_t *
s_new (s_kind_t kind)
{
    type_t *self = calloc (1, sizeof *self);
    if (self)
        self->kind = kind;
    return self;
}

//  Returns a fresh string made from fmt (free with free), or NULL.
static char * __attribute__ ((format (printf, 1, 2)))
s_format (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    int size = vsnprintf (NULL, 0, fmt, ap);
    va_end (ap);
    char *text = size >= 0 ? malloc ((size_t) size + 1) : NULL;
    if (text) {
        va_start (ap, fmt);
        vsnprintf (text, (size_t) size + 1, fmt, ap);
        va_end (ap);
    }
    return text;
}

static bool
s_streq (const char *a, const char *b)
{
    return a && b && strcmp (a, b) == 0;
}

static const s_member_t *
s_find_member (const type_t *self, const char *name)
{
    for (size_t index = 0; index < self->member_count; index++)
        if (s_streq (self->members [index].name, name))
            return &self->members [index];
    return NULL;
}

static type_t *s_compile (const cJSON *spec, const char *where, char *err);

//  A key as JSON text with its colon, "\"name\":", escaped as RFC 8259
//  says (a quote, a backslash and control bytes; other bytes as they are),
//  for type_validate_each's writers. Returns a fresh string, or NULL when
//  out of memory.
static char *
s_key_text (const char *name, size_t *len)
{
    size_t size = 4;
    for (const char *p = name; *p; p++)
        size += 6;              //  at most \u00XX a byte
    char *text = malloc (size);
    if (!text)
        return NULL;
    char *out = text;
    *out++ = '"';
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        if (*p == '"' || *p == '\\') {
            *out++ = '\\';
            *out++ = (char) *p;
        }
        else
        if (*p < 0x20)
            out += sprintf (out, "\\u%04x", *p);
        else
            *out++ = (char) *p;
    }
    *out++ = '"';
    *out++ = ':';
    *out = 0;
    *len = (size_t) (out - text);
    return text;
}

//  Compiles `spec` as member `name` of object `self`, named "WHERE.NAME" in
//  errors. Returns 0 or -1 with err.
static int
s_add_member (type_t *self, const char *name, const cJSON *spec, bool required,
              const char *where, char *err)
{
    //  cJSON keeps both copies of a key written twice; the model must not.
    if (s_find_member (self, name))
        return err_set (err, "%s: key \"%s\" is declared twice", where, name);
    char *member_where = s_format ("%s.%s", where, name);
    if (!member_where)
        return err_set (err, "%s: out of memory", where);
    type_t *type = s_compile (spec, member_where, err);
    free (member_where);
    if (!type)
        return -1;

    s_member_t *members = realloc (self->members, (self->member_count + 1) * sizeof *members);
    if (members)
        self->members = members;
    char *copy = strdup (name);
    size_t key_len;
    char *key_text = s_key_text (name, &key_len);
    if (!members || !copy || !key_text) {
        free (copy);
        free (key_text);
        type_destroy (&type);
        return err_set (err, "%s: out of memory", where);
    }
    self->members [self->member_count++] = (s_member_t) { copy, type, required, key_text, key_len };
    if (required)
        self->required_count++;
    return 0;
}

//  Compiles {"*": TYPE} or {KEY: TYPE, ...}.
static type_t *
s_compile_object (const cJSON *spec, const char *where, char *err)
{
    type_t *self = s_new (S_OBJECT);
    if (!self) {
        err_set (err, "%s: out of memory", where);
        return NULL;
    }
    self->closed = true;
    const cJSON *star = cJSON_GetObjectItemCaseSensitive (spec, "*");
    if (star) {
        //  A map: any keys, every value of one type. Mixing it with named
        //  keys would be ambiguous (is "a" also checked against "*"?).
        const cJSON *other = spec->child;
        while (other && s_streq (other->string, "*"))
            other = other->next;
        if (other) {
            err_set (err, "%s: key \"%s\" next to \"*\" (a map {\"*\": TYPE} takes no other keys)",
                     where, other->string);
            type_destroy (&self);
            return NULL;
        }
        if (cJSON_GetArraySize (spec) > 1) {
            err_set (err, "%s: key \"*\" is declared twice", where);
            type_destroy (&self);
            return NULL;
        }
        char *item_where = s_format ("%s.*", where);
        self->item = item_where ? s_compile (star, item_where, err) : NULL;
        if (!item_where)
            err_set (err, "%s: out of memory", where);
        free (item_where);
        if (!self->item)
            type_destroy (&self);
        else
            self->closed = false;
        return self;
    }
    const cJSON *member;
    cJSON_ArrayForEach (member, spec) {
        if (s_add_member (self, member->string, member, true, where, err)) {
            type_destroy (&self);
            return NULL;
        }
    }
    return self;
}

static type_t *
s_compile (const cJSON *spec, const char *where, char *err)
{
    if (cJSON_IsString (spec)) {
        for (size_t index = 0; index < S_BASIC_COUNT; index++)
            if (s_streq (spec->valuestring, s_basic [index].name)) {
                type_t *self = s_new (s_basic [index].kind);
                if (!self)
                    err_set (err, "%s: out of memory", where);
                return self;
            }
        err_set (err, "%s: unknown type \"%s\"", where, spec->valuestring);
        return NULL;
    }
    if (cJSON_IsArray (spec)) {
        int size = cJSON_GetArraySize (spec);
        if (size != 1) {
            err_set (err, "%s: a list type [TYPE] needs exactly one item type, got %d", where, size);
            return NULL;
        }
        type_t *self = s_new (S_LIST_OF);
        char *item_where = s_format ("%s[0]", where);
        if (!self || !item_where) {
            free (self);
            free (item_where);
            err_set (err, "%s: out of memory", where);
            return NULL;
        }
        self->item = s_compile (spec->child, item_where, err);
        free (item_where);
        if (!self->item)
            type_destroy (&self);
        return self;
    }
    if (cJSON_IsObject (spec))
        return s_compile_object (spec, where, err);

    err_set (err, "%s: a type must be a type name, {KEY: TYPE} or [TYPE], got %s",
             where, json_type_name (spec));
    return NULL;
}

type_t *
type_compile (const cJSON *spec, const char *where, char *err)
{
    return s_compile (spec, where ? where : "type", err);
}

//  The name a section goes by in errors: its key in the model when it has
//  one (e.g. "required_arguments"), else `fallback`.
static const char *
s_section_name (const cJSON *section, const char *fallback)
{
    return section && section->string ? section->string : fallback;
}

//  Adds one section of an argument model to self.
static int
s_add_section (type_t *self, const cJSON *section, bool required, const char *name,
               const char *where, char *err)
{
    char *section_where = s_format ("%s.%s", where, name);
    if (!section_where)
        return err_set (err, "%s: out of memory", where);
    int rc = 0;
    const cJSON *member;
    cJSON_ArrayForEach (member, section) {
        if (!s_streq (member->string, "*")) {
            rc = s_add_member (self, member->string, member, required, section_where, err);
            if (rc)
                break;
            continue;
        }
        //  "*" among optional keys opens the model to any other key of that
        //  type; among required keys it could never be satisfied.
        if (required) {
            rc = err_set (err, "%s: key \"*\" cannot be required "
                          "(declare it optional to allow any other key)", section_where);
            break;
        }
        if (!self->closed) {
            rc = err_set (err, "%s: key \"*\" is declared twice", section_where);
            break;
        }
        char *item_where = s_format ("%s.*", section_where);
        self->item = item_where ? s_compile (member, item_where, err) : NULL;
        if (!item_where)
            err_set (err, "%s: out of memory", where);
        free (item_where);
        if (!self->item) {
            rc = -1;
            break;
        }
        self->closed = false;
    }
    free (section_where);
    return rc;
}

type_t *
type_compile_args (const cJSON *required, const cJSON *optional, const char *where, char *err)
{
    if (!where)
        where = "model";
    const char *required_name = s_section_name (required, "required");
    const char *optional_name = s_section_name (optional, "optional");
    if (required && !cJSON_IsObject (required)) {
        err_set (err, "%s.%s: must be an object of KEY: TYPE, got %s",
                 where, required_name, json_type_name (required));
        return NULL;
    }
    if (optional && !cJSON_IsObject (optional)) {
        err_set (err, "%s.%s: must be an object of KEY: TYPE, got %s",
                 where, optional_name, json_type_name (optional));
        return NULL;
    }
    const cJSON *member;
    cJSON_ArrayForEach (member, optional) {
        if (cJSON_GetObjectItemCaseSensitive (required, member->string)) {
            err_set (err, "%s: key \"%s\" is in both %s and %s",
                     where, member->string, required_name, optional_name);
            return NULL;
        }
    }
    type_t *self = s_new (S_OBJECT);
    if (!self) {
        err_set (err, "%s: out of memory", where);
        return NULL;
    }
    self->closed = true;
    if ((required && s_add_section (self, required, true, required_name, where, err))
    ||  (optional && s_add_section (self, optional, false, optional_name, where, err)))
        type_destroy (&self);
    return self;
}

void
type_destroy (type_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    type_t *self = *self_p;
    for (size_t index = 0; index < self->member_count; index++) {
        free (self->members [index].name);
        free (self->members [index].key_text);
        type_destroy (&self->members [index].type);
    }
    free (self->members);
    type_destroy (&self->item);
    free (self);
    *self_p = NULL;
}

//  ---------------------------------------------------------------------------
//  Validating

//  The path from the top to the value being checked, kept as a stack of
//  frames (a key or a list index) and turned into text ("order.items[2]")
//  only when there is an error to report: validating a good message formats
//  nothing. Frames past S_PATH_MAX deep are counted but not kept, which only
//  shortens a message.
#define S_PATH_MAX 32

typedef struct {
    const char *key [S_PATH_MAX];   //  the key of each frame, or NULL for an index
    int index [S_PATH_MAX];
    int depth;
} s_path_t;

static inline void
s_push_key (s_path_t *path, const char *key)
{
    if (path->depth < S_PATH_MAX)
        path->key [path->depth] = key? key: "";
    path->depth++;
}

static inline void
s_push_index (s_path_t *path, int index)
{
    if (path->depth < S_PATH_MAX) {
        path->key [path->depth] = NULL;
        path->index [path->depth] = index;
    }
    path->depth++;
}

static inline void
s_pop (s_path_t *path)
{
    path->depth--;
}

//  Renders the path into out (ERR_LEN).
static void
s_path_text (const s_path_t *path, char *out)
{
    size_t used = 0;
    out [0] = '\0';
    int depth = path->depth < S_PATH_MAX? path->depth: S_PATH_MAX;
    for (int i = 0; i < depth && used < ERR_LEN - 1; i++) {
        int n = path->key [i]
              ? snprintf (out + used, ERR_LEN - used, "%s%s", i? ".": "", path->key [i])
              : path->index [i] < 0   //  any item (type_accepts)
              ? snprintf (out + used, ERR_LEN - used, "[]")
              : snprintf (out + used, ERR_LEN - used, "[%d]", path->index [i]);
        if (n < 0)
            break;
        used += (size_t) n < ERR_LEN - used? (size_t) n: ERR_LEN - used - 1;
    }
}

//  What a type is called in "expected X": the model's own words for basic
//  types, "object" and "list" for the structured ones.
static const char *
s_kind_name (const type_t *self)
{
    for (size_t index = 0; index < S_BASIC_COUNT; index++)
        if (s_basic [index].kind == self->kind)
            return s_basic [index].name;
    return self->kind == S_OBJECT ? "object" : "list";
}

static int
s_mismatch (const type_t *self, const cJSON *value, const s_path_t *path, char *err)
{
    char got [64];
    if (cJSON_IsNumber (value)) {
        //  "got number" alone would puzzle whoever sent 1.5 for an int.
        //  Shortest of %.15g and %.17g that reads back the same, as cJSON prints.
        double number = value->valuedouble;
        snprintf (got, sizeof got, "number %.15g", number);
        if (strtod (got + 7, NULL) != number)
            snprintf (got, sizeof got, "number %.17g", number);
    }
    else
        snprintf (got, sizeof got, "%s", json_type_name (value));
    //  A whole number out of range: say which range.
    char expected [64];
    if ((self->kind == S_INT || self->kind == S_INT64) && cJSON_IsNumber (value)
    &&  isfinite (value->valuedouble) && value->valuedouble == floor (value->valuedouble))
        snprintf (expected, sizeof expected, "%s in %s", s_kind_name (self), self->kind == S_INT
                  ? "-2147483648..2147483647": "-9007199254740992..9007199254740992 (2^53)");
    else
        snprintf (expected, sizeof expected, "%s", s_kind_name (self));

    if (path->depth == 0)
        return err_set (err, "expected %s, got %s", expected, got);
    char text [ERR_LEN];
    s_path_text (path, text);
    return err_set (err, "%s '%s': expected %s, got %s",
                    text [0] == '[' ? "item" : "key", text, expected, got);
}

//  An error about the key on top of the path: FMT has one %s for the path.
static int
s_path_error (const s_path_t *path, char *err, const char *fmt)
{
    char text [ERR_LEN];
    s_path_text (path, text);
    return err_set (err, fmt, text);
}

//  cJSON_IsString and the like, inline: they are checked for every value of
//  every message.
static inline bool
s_is (const cJSON *value, int type)
{
    return value && (value->type & 0xFF) == type;
}

//  Inline, with integral numbers told by a conversion (exact within the
//  range, which NaN and the infinities are outside of), not floor.
static inline bool
s_matches_basic (const type_t *self, const cJSON *value)
{
    switch (self->kind) {
        case S_STR:   return s_is (value, cJSON_String) && value->valuestring;
        case S_INT:   return s_is (value, cJSON_Number)
                          && value->valuedouble >= S_INT_MIN && value->valuedouble <= S_INT_MAX
                          && (double) (int) value->valuedouble == value->valuedouble;
        case S_INT64: return s_is (value, cJSON_Number) && fabs (value->valuedouble) <= S_INT_LIMIT
                          && (double) (int64_t) value->valuedouble == value->valuedouble;
        //  An infinity (JSON "1e999") would print back as null; refuse it.
        case S_FLOAT: return s_is (value, cJSON_Number) && isfinite (value->valuedouble);
        case S_BOOL:  return cJSON_IsBool (value);
        case S_DICT:  return s_is (value, cJSON_Object);
        case S_LIST:  return s_is (value, cJSON_Array);
        case S_ANY:   return value != NULL;
        default:      return false;
    }
}

//  The index of the member named `name`, or -1. The member at `hint` is
//  looked at first: an object's keys mostly come in the model's order, so
//  a walk that passes the index after the last match finds most at once.
static inline int
s_member_index_at (const type_t *self, const char *name, size_t hint)
{
    if (!name)
        return -1;
    if (hint < self->member_count && json_key_is (name, self->members [hint].name))
        return (int) hint;
    for (size_t index = 0; index < self->member_count; index++)
        if (self->members [index].name [0] == name [0] && json_key_is (name, self->members [index].name))
            return (int) index;
    return -1;
}

static inline int
s_member_index (const type_t *self, const char *name)
{
    return s_member_index_at (self, name, 0);
}

static int s_validate (const type_t *self, const cJSON *value, s_path_t *path, char *err);

//  The canonical report of an object's first fault: declared members in
//  declaration order (a bad value or a missing required key), then any key
//  the object does not declare. Used only once the fast pass found a fault.
static int
s_report_object (const type_t *self, const cJSON *value, s_path_t *path, char *err)
{
    for (size_t index = 0; index < self->member_count; index++) {
        const s_member_t *member = &self->members [index];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive (value, member->name);
        s_push_key (path, member->name);
        int rc = 0;
        if (item)
            rc = s_validate (member->type, item, path, err);
        else
        if (member->required)
            rc = s_path_error (path, err, "missing required key '%s'");
        s_pop (path);
        if (rc)
            return rc;
    }
    const cJSON *item;
    cJSON_ArrayForEach (item, value) {
        int index = s_member_index (self, item->string);
        s_push_key (path, item->string);
        int rc = 0;
        if (index >= 0)
            rc = s_validate (self->members [index].type, item, path, err);
        else
        if (self->closed)
            rc = s_path_error (path, err, "unknown key '%s'");
        else
            rc = s_validate (self->item, item, path, err);
        s_pop (path);
        if (rc)
            return rc;
    }
    return 0;
}

//  The fast pass: one walk over the value's keys, each checked against its
//  member (or the map's value type), ticking off the required members met.
//  Every key is checked, also a repeated one, so a duplicate key cannot
//  smuggle in a value of the wrong type. On any fault, s_report_object
//  walks again to report the first one in model order. With `fn`, each
//  member found valid is given to fn (type_validate_each); fn's non-zero
//  return ends the walk and is returned (S_EACH_FAILED).
#define S_EACH_FAILED (-2)
static int
s_validate_object (const type_t *self, const cJSON *value, s_path_t *path, char *err,
                   type_each_fn *fn, void *arg)
{
    uint64_t met = 0;                   //  required members met, by index (the first 64)
    size_t required_met = 0;
    bool fault = false;
    const cJSON *item;
    size_t hint = 0;                    //  where the next key is looked for first
    cJSON_ArrayForEach (item, value) {
        int index = s_member_index_at (self, item->string, hint);
        const s_member_t *member = NULL;
        if (index >= 0) {
            hint = (size_t) index + 1;
            member = &self->members [index];
            //  A basic type needs no path unless it fails.
            if (member->type->kind >= S_OBJECT || !s_matches_basic (member->type, item)) {
                s_push_key (path, item->string);
                fault = s_validate (member->type, item, path, err) != 0;
                s_pop (path);
            }
            if (member->required && index < 64 && !(met & (1ULL << index))) {
                met |= 1ULL << index;
                required_met++;
            }
        }
        else
        if (self->closed)
            fault = true;
        else {
            s_push_key (path, item->string);
            fault = s_validate (self->item, item, path, err) != 0;
            s_pop (path);
        }
        if (fault)
            break;
        if (fn && fn (arg, item, member? member->key_text: NULL, member? member->key_len: 0))
            return S_EACH_FAILED;
    }
    if (!fault && required_met == self->required_count)
        return 0;
    if (!fault && self->member_count > 64) {
        //  Members past the bitmap were not ticked: look them up.
        fault = false;
        for (size_t index = 0; index < self->member_count && !fault; index++)
            fault = self->members [index].required
                 && !cJSON_GetObjectItemCaseSensitive (value, self->members [index].name);
        if (!fault)
            return 0;
    }
    return s_report_object (self, value, path, err);
}

static int
s_validate (const type_t *self, const cJSON *value, s_path_t *path, char *err)
{
    if (self->kind == S_OBJECT) {
        if (!s_is (value, cJSON_Object))
            return s_mismatch (self, value, path, err);
        return s_validate_object (self, value, path, err, NULL, NULL);
    }
    if (self->kind == S_LIST_OF) {
        if (!s_is (value, cJSON_Array))
            return s_mismatch (self, value, path, err);
        int index = 0;
        const cJSON *item;
        cJSON_ArrayForEach (item, value) {
            s_push_index (path, index++);
            int rc = s_validate (self->item, item, path, err);
            s_pop (path);
            if (rc)
                return rc;
        }
        return 0;
    }
    return s_matches_basic (self, value) ? 0 : s_mismatch (self, value, path, err);
}

int
type_validate (const type_t *self, const cJSON *value, char *err)
{
    assert (self);
    s_path_t path;
    path.depth = 0;
    return s_validate (self, value, &path, err);
}

//  A merge patch against an object type: each key it sets must be declared
//  (or fall under the map's value type) and fit; an object under an object
//  type is itself a patch; a null deletes, which a required key refuses.
static int
s_validate_patch (const type_t *self, const cJSON *value, s_path_t *path, char *err)
{
    if (self->kind != S_OBJECT)
        return s_validate (self, value, path, err);
    if (!cJSON_IsObject (value))
        return s_mismatch (self, value, path, err);
    const cJSON *item;
    cJSON_ArrayForEach (item, value) {
        int index = s_member_index (self, item->string);
        const s_member_t *member = index >= 0? &self->members [index]: NULL;
        s_push_key (path, item->string);
        const type_t *type = member ? member->type : self->item;
        int rc = 0;
        if (!member && self->closed)
            rc = s_path_error (path, err, "unknown key '%s'");
        else
        if (cJSON_IsNull (item)) {
            if (member && member->required)
                rc = s_path_error (path, err, "key '%s': a required key cannot be deleted");
        }
        else
            rc = s_validate_patch (type, item, path, err);
        s_pop (path);
        if (rc)
            return rc;
    }
    return 0;
}

int
type_validate_each (const type_t *self, const cJSON *value, type_each_fn *fn, void *arg, char *err)
{
    assert (self && fn);
    s_path_t path;
    path.depth = 0;
    if (self->kind != S_OBJECT || !s_is (value, cJSON_Object))
        return s_validate (self, value, &path, err)? -1: err_set (err, "expected an object type");
    int rc = s_validate_object (self, value, &path, err, fn, arg);
    return rc == S_EACH_FAILED? -2: rc? -1: 0;
}

int
type_validate_patch (const type_t *self, const cJSON *patch, char *err)
{
    assert (self);
    s_path_t path;
    path.depth = 0;
    return s_validate_patch (self, patch, &path, err);
}

const type_t *
type_member (const type_t *self, const char *key)
{
    if (!self || self->kind != S_OBJECT || !key)
        return NULL;
    const s_member_t *member = s_find_member (self, key);
    if (member)
        return member->type;
    return self->closed ? NULL : self->item;
}

int
type_member_count (const type_t *self)
{
    return self && self->kind == S_OBJECT? (int) self->member_count: 0;
}

const type_t *
type_member_at (const type_t *self, int index, const char **name, bool *required)
{
    if (index < 0 || index >= type_member_count (self))
        return NULL;
    const s_member_t *member = &self->members [index];
    if (name)
        *name = member->name;
    if (required)
        *required = member->required;
    return member->type;
}

const type_t *
type_other (const type_t *self)
{
    return self && self->kind == S_OBJECT && !self->closed? self->item: NULL;
}

//  ---------------------------------------------------------------------------
//  Comparing two types

static int s_accepts (const type_t *receiver, const type_t *sender, s_path_t *path, char *err);

//  "dict" as the sender: an object with any keys of any type.
static const type_t s_any_type = { .kind = S_ANY };

//  An error at the path: "key 'a.b': WHAT" (or just WHAT at the top).
static int
s_accepts_error (const s_path_t *path, char *err, const char *what)
{
    if (path->depth == 0)
        return err_set (err, "%s", what);
    char text [ERR_LEN];
    s_path_text (path, text);
    return err_set (err, "%s '%s': %s", text [0] == '[' ? "item" : "key", text, what);
}

static int
s_accepts_object (const type_t *receiver, const type_t *sender, s_path_t *path, char *err)
{
    bool sender_open = sender->kind == S_DICT || !sender->closed;
    const type_t *sender_item = sender->kind == S_DICT? &s_any_type: sender->item;
    for (size_t index = 0; index < receiver->member_count; index++) {
        const s_member_t *member = &receiver->members [index];
        const s_member_t *sent = sender->kind == S_OBJECT? s_find_member (sender, member->name): NULL;
        s_push_key (path, member->name);
        int rc = 0;
        if (member->required && !(sent && sent->required))
            rc = s_accepts_error (path, err, "required, but the sender may omit it");
        else
        if (sent || sender_open)
            rc = s_accepts (member->type, sent? sent->type: sender_item, path, err);
        s_pop (path);
        if (rc)
            return -1;
    }
    for (size_t index = 0; sender->kind == S_OBJECT && index < sender->member_count; index++) {
        const s_member_t *sent = &sender->members [index];
        if (s_find_member (receiver, sent->name))
            continue;
        s_push_key (path, sent->name);
        int rc = receiver->closed? s_accepts_error (path, err, "the sender may send it, the receiver accepts no such key")
                                 : s_accepts (receiver->item, sent->type, path, err);
        s_pop (path);
        if (rc)
            return -1;
    }
    if (sender_open) {
        if (receiver->closed)
            return s_accepts_error (path, err, "the sender may send any key, the receiver accepts only the keys it declares");
        return s_accepts (receiver->item, sender_item, path, err);
    }
    return 0;
}

static int
s_accepts (const type_t *receiver, const type_t *sender, s_path_t *path, char *err)
{
    s_kind_t r = receiver->kind, s = sender->kind;
    if (r == S_ANY || (r == S_DICT && (s == S_DICT || s == S_OBJECT))
    ||  (r == S_LIST && (s == S_LIST || s == S_LIST_OF)) || (r == S_LIST_OF && s == S_LIST && receiver->item->kind == S_ANY))
        return 0;
    if (r == S_LIST_OF && s == S_LIST_OF) {
        s_push_index (path, -1);
        int rc = s_accepts (receiver->item, sender->item, path, err);
        s_pop (path);
        return rc;
    }
    if (r == S_OBJECT && (s == S_OBJECT || s == S_DICT))
        return s_accepts_object (receiver, sender, path, err);
    bool basic = r != S_OBJECT && r != S_LIST_OF && s != S_OBJECT && s != S_LIST_OF;
    if (basic && (r == s || (r == S_FLOAT && (s == S_INT || s == S_INT64)) || (r == S_INT64 && s == S_INT)))
        return 0;
    char *want = type_describe (receiver), *have = type_describe (sender);
    char what [ERR_LEN];
    snprintf (what, sizeof what, "the receiver accepts %.200s, the sender may send %.200s",
              want? want: "?", have? have: "?");
    free (want);
    free (have);
    return s_accepts_error (path, err, what);
}

int
type_accepts (const type_t *receiver, const type_t *sender, char *err)
{
    assert (receiver && sender);
    s_path_t path;
    path.depth = 0;
    return s_accepts (receiver, sender, &path, err);
}

//  ---------------------------------------------------------------------------
//  Converting command-line text

//  Quotes text for an error message: escaped, so the message stays one
//  line, and cut after 60 characters.
static void
s_quote (const char *text, char *out, size_t size)
{
    size_t len = 0;
    out [len++] = '"';
    for (const char *at = text; *at && len + 8 < size; at++) {
        unsigned char c = (unsigned char) *at;
        if (at - text == 60) {
            len += (size_t) snprintf (out + len, size - len, "...");
            break;
        }
        if (c == '"' || c == '\\')
            len += (size_t) snprintf (out + len, size - len, "\\%c", c);
        else
        if (c < 0x20 || c == 0x7F)
            len += (size_t) snprintf (out + len, size - len, "\\x%02x", c);
        else
            out [len++] = (char) c;
    }
    out [len++] = '"';
    out [len] = '\0';
}

static cJSON *
s_convert_fail (const type_t *self, const char *text, char *err)
{
    char quoted [96];
    s_quote (text, quoted, sizeof quoted);
    err_set (err, "expected %s, got %s", s_kind_name (self), quoted);
    return NULL;
}

//  An integer written in full: optional sign, decimal digits, nothing else.
static bool
s_parse_int (const char *text, long long low, long long high, double *number)
{
    const char *digits = (*text == '-' || *text == '+') ? text + 1 : text;
    if (!*digits)
        return false;
    for (const char *at = digits; *at; at++)
        if (!isdigit ((unsigned char) *at))
            return false;
    errno = 0;
    long long parsed = strtoll (text, NULL, 10);
    if (errno == ERANGE || parsed > high || parsed < low)
        return false;
    *number = (double) parsed;
    return true;
}

//  A decimal number as strtod reads it, refusing what JSON cannot hold
//  (nan, inf) and hex floats, which nobody means on a command line.
static bool
s_parse_float (const char *text, double *number)
{
    if (!*text || isspace ((unsigned char) *text) || strpbrk (text, "xX"))
        return false;
    char *end;
    *number = strtod (text, &end);
    return *end == '\0' && isfinite (*number);
}

static bool
s_parse_bool (const char *text, bool *flag)
{
    static const char *truths [] = { "true", "1", "yes" };
    static const char *falsehoods [] = { "false", "0", "no" };
    for (size_t index = 0; index < 3; index++) {
        if (strcasecmp (text, truths [index]) == 0) {
            *flag = true;
            return true;
        }
        if (strcasecmp (text, falsehoods [index]) == 0) {
            *flag = false;
            return true;
        }
    }
    return false;
}

cJSON *
type_convert_text (const type_t *self, const char *text, char *err)
{
    if (!text)
        text = "";
    if (!self || self->kind == S_STR)
        return cJSON_CreateString (text);

    double number;
    bool flag;
    switch (self->kind) {
        case S_INT:
        case S_INT64:
            return s_parse_int (text, self->kind == S_INT? INT_MIN: -(1LL << 53),
                                self->kind == S_INT? INT_MAX: 1LL << 53, &number)
                 ? cJSON_CreateNumber (number) : s_convert_fail (self, text, err);
        case S_FLOAT:
            return s_parse_float (text, &number)
                 ? cJSON_CreateNumber (number) : s_convert_fail (self, text, err);
        case S_BOOL:
            return s_parse_bool (text, &flag)
                 ? cJSON_CreateBool (flag) : s_convert_fail (self, text, err);
        default:
            break;
    }
    //  Everything else is written as JSON on the command line.
    cJSON *value = json_parse (text, strlen (text), "text", NULL);
    if (self->kind == S_ANY)
        return value ? value : cJSON_CreateString (text);
    if (!value)
        return s_convert_fail (self, text, err);
    if (type_validate (self, value, err)) {
        cJSON_Delete (value);
        return NULL;
    }
    return value;
}

//  ---------------------------------------------------------------------------
//  Describing

static void
s_describe (const type_t *self, FILE *out)
{
    if (self->kind == S_LIST_OF) {
        fputc ('[', out);
        s_describe (self->item, out);
        fputc (']', out);
        return;
    }
    if (self->kind != S_OBJECT) {
        fputs (s_kind_name (self), out);
        return;
    }
    fputc ('{', out);
    for (size_t index = 0; index < self->member_count; index++) {
        const s_member_t *member = &self->members [index];
        //  A trailing ? marks an optional key, as in TypeScript.
        fprintf (out, "%s\"%s\"%s: ", index ? ", " : "", member->name,
                 member->required ? "" : "?");
        s_describe (member->type, out);
    }
    if (!self->closed) {
        fprintf (out, "%s\"*\": ", self->member_count ? ", " : "");
        s_describe (self->item, out);
    }
    fputc ('}', out);
}

char *
type_describe (const type_t *self)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    if (self)
        s_describe (self, out);
    if (fclose (out)) {
        free (text);
        return NULL;
    }
    return text;
}
