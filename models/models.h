/*  models.h - a plugin's models, checked as a whole and compiled once.

    The models document (SPEC §4) is JSON:
      {"config_model": {"required": {…}, "optional": {…}},
       "connection_models": {"in": {NAME: ENTRY}, "out": {NAME: ENTRY}},
       "state_models": {"in": {NAME: ENTRY}, "out": {NAME: ENTRY}}}
    An ENTRY has `connection_type` (or `state_type`) and the argument
    sections `required_/optional_` + `creation_arguments`, `arguments`,
    `return_arguments`. Creation arguments are values (handler names,
    options); the other sections are type specs, compiled with types.h.
    Every fault is reported as "models: connection_models.in.orders: …".
*/
#ifndef MODELS_H_INCLUDED
#define MODELS_H_INCLUDED

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "err.h"
#include "types.h"

#define MODELS_WORKERS_MAX 1024     //  the most handler threads one connection may ask for ("workers")
#define MODELS_OUTBOX_BATCH_MAX 1024 //  the most messages in one durable request ("outbox_batch"; a replyer takes as many)
#define MODELS_IN_FLIGHT_MAX 1000   //  the most durable requests outstanding ("in_flight"; under ZeroMQ's queue of 1000)

typedef enum {
    MODEL_REPLYER,
    MODEL_REQUESTER,
    MODEL_SUBSCRIBER,
    MODEL_PUBLISHER,
    MODEL_DELTA_UPDATE_OUT,
    MODEL_DELTA_UPDATE_IN,
    MODEL_FULL_UPDATE_OUT,
    MODEL_FULL_UPDATE_IN,
} model_kind_t;

typedef struct {
    char *name;                 //  entry name, e.g. "orders"
    char *where;                //  "connection_models.in.orders", for messages
    model_kind_t kind;
    bool is_state;              //  a state_models entry
    bool is_in;                 //  under "in"
    cJSON *creation;            //  merged creation arguments (an object)
    type_t *args;               //  compiled argument model
    bool has_args;              //  the entry declares argument keys (a state without any takes any object)
    type_t *returns;            //  compiled return model
} model_t;

typedef struct _models_t models_t;

/* Checks and compiles the models document `doc` (borrowed; models_parse
   copies what it keeps). Returns a fresh models_t the caller owns
   (models_destroy), or NULL with a one-line err naming the entry and key. */
models_t *models_parse (const cJSON *doc, char *err);

/* Destroys; accepts NULL and nulls the caller's pointer. */
void models_destroy (models_t **self_p);

/* Checks a models .json file without a plugin (svcfw --check-models, run by
   svcfw_add_plugin at build time): its JSON syntax and what models_parse
   checks; handler names are not resolved. Returns 0, or -1 with a one-line
   err naming the file: "PATH:LINE:COL: invalid JSON (WHAT)" or
   "PATH: models: connection_models.in.orders: ...". Any thread. */
int models_check_file (const char *path, char *err);

/* Merges the result of svcfw_setup_connections (is_state false) or
   svcfw_setup_states (true), `{NAME: {SECTION: {KEY: VALUE}}}`, into `doc`,
   key by key into the named entry's sections. Returns 0, or -1 with err
   naming the hook and the name it does not know. */
int models_merge (cJSON *doc, const cJSON *extra, bool is_state, char *err);

/* The compiled config model (NULL when the document has none). Borrowed. */
const type_t *models_config (const models_t *self);

/* Number of entries, and entry i (0 ≤ i < count), in document order:
   connections in, connections out, states in, states out. Borrowed. */
int models_count (const models_t *self);
const model_t *models_at (const models_t *self, int index);

/* The entry of that kind-family and side with that name, or NULL. Borrowed. */
const model_t *models_find (const models_t *self, bool is_state, bool is_in, const char *name);

/* The type name of a kind as in models ("replyer", "delta_update_out", …). */
const char *models_kind_name (model_kind_t kind);

/* The handler names an entry's creation arguments give, by key
   (e.g. "on_new_request"), or NULL. Borrowed from the model. */
const char *model_string (const model_t *model, const char *key, const char *fallback);
int model_int (const model_t *model, const char *key, int fallback);
bool model_bool (const model_t *model, const char *key, bool fallback);

/* The creation-argument keys that name a handler, NULL-terminated. */
extern const char *const models_handler_keys [];

#endif
