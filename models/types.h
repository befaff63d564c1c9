/*  types.h - the model type language, compiled once, checked per message.

    A type spec (SPEC §4) is a JSON value:
      "str" "int" "int64" "float" "bool" "dict" "list" "any"   basic types ("float" accepts
                                                        integers; "int" and "int64" only integral numbers)
      {"KEY": TYPE, ...}     a nested object; every key is required, no other key allowed
      [TYPE]                 a list whose every item is TYPE
      {"*": TYPE}            a map: any keys, every value TYPE
    An *argument model* is the pair of sections
      "required_…": {KEY: TYPE}, "optional_…": {KEY: TYPE}
    compiled into one object type: required keys must be present, optional
    keys may be, and any other key is an error, unless the optional section
    declares "*": TYPE, which lets any other key in with that TYPE.

    "int" means an integral number a C int holds (-2147483648..2147483647,
    so valueint is exact); "int64" an integral number within +-2^53 (what a
    double, valuedouble, holds exactly); "float" any finite number. null
    matches only "any". A number out of range is refused naming the range:
    "key 'order_id': expected int in -2147483648..2147483647, got number -3000000000".

    Compile once at startup (errors name the model entry), then validate each
    message against the compiled form without re-reading the spec.
*/
#ifndef TYPES_H_INCLUDED
#define TYPES_H_INCLUDED

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "err.h"

typedef struct _type_t type_t;

/* Compiles a single type spec. `where` names it in errors, e.g.
   "models: connection_models.in.orders.required_arguments.price".
   Returns a fresh type the caller owns (type_destroy), or NULL with
   err = "WHERE: unknown type \"decimal\"" (or what else is wrong). */
type_t *type_compile (const cJSON *spec, const char *where, char *err);

/* Compiles an argument model from its two sections, either of which may be
   NULL (= empty). Each section must be a JSON object of KEY: TYPE; a key in
   both sections is an error. `where` names the model in errors.
   Returns a fresh type the caller owns (type_destroy), or NULL with err. */
type_t *type_compile_args (const cJSON *required, const cJSON *optional,
                           const char *where, char *err);

/* Destroys a type; accepts NULL and nulls the caller's pointer. */
void type_destroy (type_t **self_p);

/* Checks `value` against the type. Returns 0, or -1 with an err that names
   the path of the first fault from the top, e.g.
     "key 'order.items[2].qty': expected int, got string"
     "missing required key 'price'"
     "unknown key 'colour'"
     "expected object, got array" (at the top level). */
int type_validate (const type_t *self, const cJSON *value, char *err);

/* What type_validate_each gives each member of the object it found valid,
   in the object's order: the member (borrowed) and its key as JSON text with
   the colon, "\"key\":" (escaped, key_len bytes, not terminated where it
   ends; borrowed from the type), or NULL for a key the type does not declare
   (an open object's other keys). Returns 0 to go on, non-zero to stop. */
typedef int (type_each_fn) (void *arg, const cJSON *item, const char *key_text, size_t key_len);

/* type_validate for an object type (an argument model), calling fn for each
   member once it is found valid: one walk that checks the value and lets a
   writer write it, with the keys already written as JSON. fn may have been
   called for members before a fault, so what it made is to be thrown away
   unless this returns 0. Returns 0; -1 with err as type_validate's
   (self not an object type: "expected an object type"); or -2 when fn
   stopped the walk (err untouched). */
int type_validate_each (const type_t *self, const cJSON *value, type_each_fn *fn, void *arg, char *err);

/* Checks an RFC 7386 merge patch against an object type, key by key: every
   key the patch sets must be declared (or fall under a "*" map type) and its
   value fit the declared type, where an object under an object type is again
   a patch; a null (delete) is allowed except on a required key; required
   keys need not be present. Returns 0, or -1 with err as type_validate
   ("key 'bids': a required key cannot be deleted"). */
int type_validate_patch (const type_t *self, const cJSON *patch, char *err);

/* For an object type (nested object or argument model): the type declared
   for `key`, or NULL if the object does not declare it (for a map: its value
   type). Borrowed from self. For other types: NULL. */
const type_t *type_member (const type_t *self, const char *key);

/* For an object type: how many keys it declares, and key `index` in
   declaration order (its name and whether it is required, through the
   optional out-parameters); NULL when there is no such key. For an open
   object or map, type_other is the type of every undeclared key (NULL when
   the object is closed, or not an object). All borrowed from self. */
int type_member_count (const type_t *self);
const type_t *type_member_at (const type_t *self, int index, const char **name, bool *required);
const type_t *type_other (const type_t *self);

/* Whether every value `sender` allows is one `receiver` accepts, as
   type_validate would judge it ("float" takes "int", "dict" any object,
   "any" everything; a required key must be required by the sender too).
   Returns 0, or -1 with err naming the first key where a value could be
   refused:
     "key 'qty': required, but the sender may omit it"
     "key 'price': the receiver accepts float, the sender may send str"
     "key 'colour': the sender may send it, the receiver accepts no such key"
     "the sender may send any key, the receiver accepts only the keys it declares"
   (an item of a list is "items[]"). Any thread. */
int type_accepts (const type_t *receiver, const type_t *sender, char *err);

/* Converts command-line text to a JSON value of the type:
     str → the text as a string; int → integral number (whole text, e.g. "12",
     "-3"; "1.5" or "12x" fail); float → number; bool → true/false from
     "true" "false" "1" "0" "yes" "no" (any case); dict, list, nested objects,
     lists and maps → the text parsed as JSON, then validated;
     any → the text parsed as JSON if it parses, else the text as a string.
   `type` may be NULL: the text as a string. Returns a fresh value the caller
   owns (cJSON_Delete), or NULL with err = "expected int, got \"12x\"". */
cJSON *type_convert_text (const type_t *type, const char *text, char *err);

/* A short human description of the type, e.g. "int", "[str]", "{\"*\": float}",
   "{\"id\": int, \"note\"?: str}" (? marks an optional key).
   Returns a fresh string the caller frees with free(). */
char *type_describe (const type_t *self);

#endif
