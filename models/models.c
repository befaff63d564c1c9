/*  models.c - parse, check and compile a plugin's models document. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "models.h"
#include "json.h"
#include "breaker.h"
#include "cache.h"

struct _models_t {
    type_t *config;             //  compiled config model, or NULL
    model_t *entries;           //  all entries, document order
    int count;
};

//  What each connection/state type accepts as creation arguments, as a type
//  model (required, optional), and on which side it lives.
typedef struct {
    const char *name;
    model_kind_t kind;
    bool is_state;
    bool is_in;
    const char *required;       //  JSON type spec of required creation args
    const char *optional;       //  JSON type spec of optional creation args
    bool has_returns;           //  return_arguments apply
} s_kind_spec_t;

static const s_kind_spec_t s_kinds [] = {
    { "replyer", MODEL_REPLYER, false, true,
      "{\"on_new_request\": \"str\"}",
      "{\"max_message_bytes\": \"int64\", \"dedupe\": \"bool\", \"inbox\": \"str\", \"workers\": \"int\"}", true },
    { "subscriber", MODEL_SUBSCRIBER, false, true,
      "{\"on_new_message\": \"str\"}",
      "{\"topic\": \"str\", \"is_binder\": \"bool\", \"max_message_bytes\": \"int64\", \"workers\": \"int\","
      " \"max_queue_bytes\": \"int64\"}", false },
    { "requester", MODEL_REQUESTER, false, false,
      "{}", "{\"timeout_ms\": \"int\", \"retries\": \"int\", \"max_message_bytes\": \"int64\","
      " \"backoff_ms\": \"int\", \"backoff_max_ms\": \"int\", \"breaker\": \"any\", \"fallback\": \"str\","
      " \"cache\": \"any\","
      " \"durable\": \"bool\", \"outbox\": \"str\", \"outbox_batch\": \"int\", \"in_flight\": \"int\","
      " \"synchronous\": \"str\"}", true },
    { "publisher", MODEL_PUBLISHER, false, false,
      "{}", "{\"topic\": \"str\", \"is_x_pub\": \"bool\", \"on_full\": \"str\", \"send_timeout_ms\": \"int\","
      " \"queue_bytes\": \"int\", \"min_subscribers\": \"int\", \"join_timeout_ms\": \"int\"}", false },
    { "delta_update_out", MODEL_DELTA_UPDATE_OUT, true, false,
      "{}", "{\"topic\": \"str\", \"is_x_pub\": \"bool\", \"heartbeat_ms\": \"int\"}", false },
    { "delta_update_in", MODEL_DELTA_UPDATE_IN, true, true,
      "{}", "{\"on_update\": \"str\", \"topic\": \"str\", \"timeout_ms\": \"int\", \"max_message_bytes\": \"int64\","
      " \"max_queue_bytes\": \"int64\", \"heartbeat_ms\": \"int\"}", false },
    { "full_update_out", MODEL_FULL_UPDATE_OUT, true, false,
      "{}", "{\"topic\": \"str\", \"is_x_pub\": \"bool\", \"heartbeat_ms\": \"int\"}", false },
    { "full_update_in", MODEL_FULL_UPDATE_IN, true, true,
      "{}", "{\"on_update\": \"str\", \"topic\": \"str\", \"timeout_ms\": \"int\", \"max_message_bytes\": \"int64\","
      " \"max_queue_bytes\": \"int64\", \"heartbeat_ms\": \"int\"}", false },
};
#define S_KIND_COUNT (sizeof s_kinds / sizeof s_kinds [0])

const char *const models_handler_keys [] = { "on_new_request", "on_new_message", "on_update", "fallback", NULL };

//  Options whose value must be at least 1.
static const char *const s_positive_keys [] = { "max_message_bytes", "timeout_ms", "heartbeat_ms",
                                                "send_timeout_ms", "backoff_max_ms", "outbox_batch", "in_flight",
                                                "zmtp_heartbeat_ms", "reconnect_max_ms", "connect_timeout_ms",
                                                "min_subscribers", "join_timeout_ms", "max_queue_bytes", "queue_bytes",
                                                "workers", NULL };

//  Options of every socket's links (wire/sock.c applies them), accepted by
//  every connection and state type.
static const char *const s_link_keys [] = { "zmtp_heartbeat_ms", "reconnect_max_ms", "connect_timeout_ms", NULL };

static const char *const s_entry_keys [] = {
    "connection_type", "state_type",
    "required_creation_arguments", "optional_creation_arguments",
    "required_arguments", "optional_arguments",
    "required_return_arguments", "optional_return_arguments", NULL
};

const char *
models_kind_name (model_kind_t kind)
{
    for (size_t i = 0; i < S_KIND_COUNT; i++)
        if (s_kinds [i].kind == kind)
            return s_kinds [i].name;
    return "?";
}

static bool
s_in_list (const char *const *list, const char *key)
{
    for (; *list; list++)
        if (strcmp (*list, key) == 0)
            return true;
    return false;
}

static int
s_check_section (const cJSON *section, const char *where, const char *key, char *err)
{
    if (section && !cJSON_IsObject (section))
        return err_set (err, "models: %s.%s: must be an object, got %s",
                        where, key, json_type_name (section));
    return 0;
}

//  Merges the two creation sections into one object; a key in both is an error.
static cJSON *
s_merge_creation (const cJSON *entry, const char *where, char *err)
{
    cJSON *merged = cJSON_CreateObject ();
    const char *sections [] = { "required_creation_arguments", "optional_creation_arguments" };
    for (int s = 0; s < 2; s++) {
        const cJSON *section = cJSON_GetObjectItemCaseSensitive (entry, sections [s]);
        if (s_check_section (section, where, sections [s], err)) {
            cJSON_Delete (merged);
            return NULL;
        }
        const cJSON *item;
        cJSON_ArrayForEach (item, section) {
            if (cJSON_GetObjectItemCaseSensitive (merged, item->string)) {
                err_set (err, "models: %s: creation argument '%s' is given twice", where, item->string);
                cJSON_Delete (merged);
                return NULL;
            }
            cJSON_AddItemToObject (merged, item->string, cJSON_Duplicate (item, true));
        }
    }
    return merged;
}

//  The resilience options (docs/resilience.md) beyond their types: the
//  breaker object, ranges, and combinations that cannot work.
static int
s_check_resilience (const cJSON *creation, const char *where, char *err)
{
    const cJSON *backoff = cJSON_GetObjectItemCaseSensitive (creation, "backoff_ms");
    const cJSON *backoff_max = cJSON_GetObjectItemCaseSensitive (creation, "backoff_max_ms");
    //  retries counts the re-sends after the first attempt: 0 is "try once".
    const cJSON *retries = cJSON_GetObjectItemCaseSensitive (creation, "retries");
    if (retries && retries->valuedouble < 0)
        return err_set (err, "%s: 'retries' (re-sends after the first attempt) must be at least 0, got %g",
                        where, retries->valuedouble);
    if (backoff && backoff->valuedouble < 0)
        return err_set (err, "%s: 'backoff_ms' must be at least 0, got %g", where, backoff->valuedouble);
    if (backoff && backoff_max && backoff_max->valuedouble < backoff->valuedouble)
        return err_set (err, "%s: 'backoff_max_ms' (%g) must be at least 'backoff_ms' (%g)",
                        where, backoff_max->valuedouble, backoff->valuedouble);
    breaker_config_t config;
    bool breaker = false;
    char why [ERR_LEN];
    if (breaker_config_parse (cJSON_GetObjectItemCaseSensitive (creation, "breaker"), &config, &breaker, why))
        return err_set (err, "%s: %s", where, why);
    const char *paths [][2] = { { "outbox", "durable" }, { "inbox", "dedupe" } };
    for (int i = 0; i < 2; i++) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive (creation, paths [i][0]);
        if (path && !*path->valuestring)
            return err_set (err, "%s: '%s' must be a file path, got \"\"", where, paths [i][0]);
        if (path && !cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (creation, paths [i][1])))
            return err_set (err, "%s: '%s' needs \"%s\": true", where, paths [i][0], paths [i][1]);
    }
    if (cJSON_GetObjectItemCaseSensitive (creation, "join_timeout_ms")
    &&  !cJSON_GetObjectItemCaseSensitive (creation, "min_subscribers"))
        return err_set (err, "%s: 'join_timeout_ms' needs 'min_subscribers'", where);
    const char *const durable_keys [] = { "outbox_batch", "in_flight", "synchronous" };
    for (int i = 0; i < 3; i++)
        if (cJSON_GetObjectItemCaseSensitive (creation, durable_keys [i])
        &&  !cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (creation, "durable")))
            return err_set (err, "%s: '%s' needs \"durable\": true", where, durable_keys [i]);
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive (creation, "outbox_batch");
    if (cJSON_IsNumber (limit) && limit->valuedouble > MODELS_OUTBOX_BATCH_MAX)
        return err_set (err, "%s: 'outbox_batch' must be at most %d (messages in one request), got %g",
                        where, MODELS_OUTBOX_BATCH_MAX, limit->valuedouble);
    limit = cJSON_GetObjectItemCaseSensitive (creation, "in_flight");
    if (cJSON_IsNumber (limit) && limit->valuedouble > MODELS_IN_FLIGHT_MAX)
        return err_set (err, "%s: 'in_flight' must be at most %d, got %g", where, MODELS_IN_FLIGHT_MAX,
                        limit->valuedouble);
    const cJSON *sync = cJSON_GetObjectItemCaseSensitive (creation, "synchronous");
    if (cJSON_IsString (sync) && strcmp (sync->valuestring, "full") && strcmp (sync->valuestring, "normal"))
        return err_set (err, "%s: 'synchronous' must be \"full\" or \"normal\", got \"%s\"", where,
                        sync->valuestring);
    cache_config_t cache;
    bool cached = false;
    if (cache_config_parse (cJSON_GetObjectItemCaseSensitive (creation, "cache"), &cache, &cached, why))
        return err_set (err, "%s: %s", where, why);
    if (cached && cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (creation, "durable")))
        return err_set (err, "%s: 'cache' does not apply to a durable requester "
                             "(its sends are stored and return no reply)", where);
    //  A durable send never fails once stored: nothing for a breaker to
    //  count or a fallback to answer.
    if (cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (creation, "durable"))) {
        if (breaker)
            return err_set (err, "%s: 'breaker' does not apply to a durable requester "
                                 "(its sends are stored, then retried until delivered)", where);
        if (cJSON_GetObjectItemCaseSensitive (creation, "fallback"))
            return err_set (err, "%s: 'fallback' does not apply to a durable requester "
                                 "(its sends are stored, then retried until delivered)", where);
    }
    return 0;
}

static int
s_parse_entry (model_t *model, const cJSON *entry, bool is_state, bool is_in,
               const char *where, char *err)
{
    if (!cJSON_IsObject (entry))
        return err_set (err, "models: %s: must be an object, got %s", where, json_type_name (entry));
    const cJSON *item;
    cJSON_ArrayForEach (item, entry) {
        if (!s_in_list (s_entry_keys, item->string))
            return err_set (err, "models: %s: unknown key '%s'", where, item->string);
    }
    const char *type_key = is_state? "state_type": "connection_type";
    const char *other_key = is_state? "connection_type": "state_type";
    if (cJSON_GetObjectItemCaseSensitive (entry, other_key))
        return err_set (err, "models: %s: '%s' belongs to %s models", where, other_key,
                        is_state? "connection": "state");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive (entry, type_key);
    if (!type)
        return err_set (err, "models: %s: missing '%s'", where, type_key);
    if (!cJSON_IsString (type))
        return err_set (err, "models: %s.%s: must be a string, got %s", where, type_key, json_type_name (type));

    const s_kind_spec_t *spec = NULL;
    for (size_t i = 0; i < S_KIND_COUNT; i++)
        if (s_kinds [i].is_state == is_state && strcmp (s_kinds [i].name, type->valuestring) == 0)
            spec = &s_kinds [i];
    if (!spec) {
        char known [256] = "";
        for (size_t i = 0; i < S_KIND_COUNT; i++)
            if (s_kinds [i].is_state == is_state) {
                strcat (known, *known? ", ": "");
                strcat (known, s_kinds [i].name);
            }
        return err_set (err, "models: %s.%s: unknown %s type \"%s\" (known: %s)", where, type_key,
                        is_state? "state": "connection", type->valuestring, known);
    }
    if (spec->is_in != is_in)
        return err_set (err, "models: %s: a %s belongs under %s_models.%s", where, spec->name,
                        is_state? "state": "connection", spec->is_in? "in": "out");

    model->kind = spec->kind;
    model->is_state = is_state;
    model->is_in = is_in;

    //  Creation arguments: values, checked against the type's own model.
    model->creation = s_merge_creation (entry, where, err);
    if (!model->creation)
        return -1;
    char sub_where [300];
    snprintf (sub_where, sizeof sub_where, "models: %s: creation arguments", where);
    cJSON *req = cJSON_Parse (spec->required);
    cJSON *opt = cJSON_Parse (spec->optional);
    for (const char *const *key = s_link_keys; opt && *key; key++)
        cJSON_AddStringToObject (opt, *key, "int");
    type_t *creation_model = type_compile_args (req, opt, sub_where, err);
    cJSON_Delete (req);
    cJSON_Delete (opt);
    if (!creation_model)
        return -1;
    char why [ERR_LEN];
    int rc = type_validate (creation_model, model->creation, why);
    type_destroy (&creation_model);
    if (rc)
        return err_set (err, "%s: %s", sub_where, why);
    cJSON_ArrayForEach (item, model->creation) {
        if (s_in_list (s_positive_keys, item->string) && item->valuedouble < 1)
            return err_set (err, "%s: '%s' must be at least 1, got %g", sub_where, item->string, item->valuedouble);
        if (strcmp (item->string, "workers") == 0 && item->valuedouble > MODELS_WORKERS_MAX)
            return err_set (err, "%s: 'workers' must be at most %d (handler threads), got %g", sub_where,
                            MODELS_WORKERS_MAX, item->valuedouble);
        if (strcmp (item->string, "on_full") == 0 && strcmp (item->valuestring, "block")
        &&  strcmp (item->valuestring, "drop"))
            return err_set (err, "%s: 'on_full' must be \"block\" or \"drop\", got \"%s\"", sub_where, item->valuestring);
        if (s_in_list (models_handler_keys, item->string) && !*item->valuestring)
            return err_set (err, "%s: '%s' must name a handler, got \"\"", sub_where, item->string);
    }
    if (s_check_resilience (model->creation, sub_where, err))
        return -1;

    //  Argument and return models: type specs.
    const char *sections [] = { "required_arguments", "optional_arguments",
                                "required_return_arguments", "optional_return_arguments" };
    for (int s = 0; s < 4; s++)
        if (s_check_section (cJSON_GetObjectItemCaseSensitive (entry, sections [s]), where, sections [s], err))
            return -1;
    snprintf (sub_where, sizeof sub_where, "models: %s: arguments", where);
    model->has_args = cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (entry, "required_arguments")) > 0
                   || cJSON_GetArraySize (cJSON_GetObjectItemCaseSensitive (entry, "optional_arguments")) > 0;
    model->args = type_compile_args (cJSON_GetObjectItemCaseSensitive (entry, "required_arguments"),
                                     cJSON_GetObjectItemCaseSensitive (entry, "optional_arguments"),
                                     sub_where, err);
    if (!model->args)
        return -1;
    const cJSON *req_ret = cJSON_GetObjectItemCaseSensitive (entry, "required_return_arguments");
    const cJSON *opt_ret = cJSON_GetObjectItemCaseSensitive (entry, "optional_return_arguments");
    if (!spec->has_returns && (cJSON_GetArraySize (req_ret) > 0 || cJSON_GetArraySize (opt_ret) > 0))
        return err_set (err, "models: %s: a %s sends no reply, so it takes no return arguments",
                        where, spec->name);
    snprintf (sub_where, sizeof sub_where, "models: %s: return arguments", where);
    model->returns = type_compile_args (req_ret, opt_ret, sub_where, err);
    return model->returns? 0: -1;
}

static void
s_model_clear (model_t *model)
{
    free (model->name);
    free (model->where);
    cJSON_Delete (model->creation);
    type_destroy (&model->args);
    type_destroy (&model->returns);
}

models_t *
models_parse (const cJSON *doc, char *err)
{
    if (!cJSON_IsObject (doc)) {
        err_set (err, "models: must be a JSON object, got %s", json_type_name (doc));
        return NULL;
    }
    const cJSON *item;
    cJSON_ArrayForEach (item, doc) {
        if (strcmp (item->string, "config_model") && strcmp (item->string, "connection_models")
        &&  strcmp (item->string, "state_models")) {
            err_set (err, "models: unknown key '%s' (expected config_model, connection_models, state_models)",
                     item->string);
            return NULL;
        }
    }
    models_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;

    const cJSON *config = cJSON_GetObjectItemCaseSensitive (doc, "config_model");
    if (config) {
        if (!cJSON_IsObject (config)) {
            err_set (err, "models: config_model: must be an object, got %s", json_type_name (config));
            goto fail;
        }
        cJSON_ArrayForEach (item, config) {
            if (strcmp (item->string, "required") && strcmp (item->string, "optional")) {
                err_set (err, "models: config_model: unknown key '%s' (expected required, optional)", item->string);
                goto fail;
            }
            if (s_check_section (item, "config_model", item->string, err))
                goto fail;
        }
        self->config = type_compile_args (cJSON_GetObjectItemCaseSensitive (config, "required"),
                                          cJSON_GetObjectItemCaseSensitive (config, "optional"),
                                          "models: config_model", err);
        if (!self->config)
            goto fail;
    }

    //  Count, then fill entries in order: connections in/out, states in/out.
    const char *families [] = { "connection_models", "state_models" };
    const char *sides [] = { "in", "out" };
    int capacity = 0;
    for (int f = 0; f < 2; f++) {
        const cJSON *family = cJSON_GetObjectItemCaseSensitive (doc, families [f]);
        if (!family)
            continue;
        if (!cJSON_IsObject (family)) {
            err_set (err, "models: %s: must be an object, got %s", families [f], json_type_name (family));
            goto fail;
        }
        cJSON_ArrayForEach (item, family) {
            if (strcmp (item->string, "in") && strcmp (item->string, "out")) {
                err_set (err, "models: %s: unknown key '%s' (expected in, out)", families [f], item->string);
                goto fail;
            }
            if (s_check_section (item, families [f], item->string, err))
                goto fail;
            capacity += cJSON_GetArraySize (item);
        }
    }
    self->entries = calloc (capacity? capacity: 1, sizeof (model_t));
    if (!self->entries)
        goto fail;
    for (int f = 0; f < 2; f++) {
        const cJSON *family = cJSON_GetObjectItemCaseSensitive (doc, families [f]);
        for (int s = 0; s < 2; s++) {
            const cJSON *side = cJSON_GetObjectItemCaseSensitive (family, sides [s]);
            const cJSON *entry;
            cJSON_ArrayForEach (entry, side) {
                model_t *model = &self->entries [self->count++];
                model->name = strdup (entry->string);
                size_t len = strlen (families [f]) + strlen (entry->string) + 8;
                model->where = malloc (len);
                if (!model->name || !model->where)
                    goto fail;
                snprintf (model->where, len, "%s.%s.%s", families [f], sides [s], entry->string);
                if (!*entry->string) {
                    err_set (err, "models: %s.%s: an entry name must not be empty", families [f], sides [s]);
                    goto fail;
                }
                if (s_parse_entry (model, entry, f == 1, s == 0, model->where, err))
                    goto fail;
            }
        }
    }
    return self;
fail:
    models_destroy (&self);
    return NULL;
}

void
models_destroy (models_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    models_t *self = *self_p;
    type_destroy (&self->config);
    for (int i = 0; i < self->count; i++)
        s_model_clear (&self->entries [i]);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

int
models_merge (cJSON *doc, const cJSON *extra, bool is_state, char *err)
{
    const char *hook = is_state? "svcfw_setup_states": "svcfw_setup_connections";
    const char *family_key = is_state? "state_models": "connection_models";
    if (!cJSON_IsObject (extra))
        return err_set (err, "%s: must return a JSON object, got %s", hook, json_type_name (extra));
    cJSON *family = cJSON_GetObjectItemCaseSensitive (doc, family_key);
    const cJSON *named;
    cJSON_ArrayForEach (named, extra) {
        cJSON *entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (family, "in"), named->string);
        if (!entry)
            entry = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (family, "out"), named->string);
        if (!entry)
            return err_set (err, "%s: returned arguments for '%s', which %s does not declare",
                            hook, named->string, family_key);
        if (!cJSON_IsObject (named))
            return err_set (err, "%s: '%s' must be an object of sections, got %s",
                            hook, named->string, json_type_name (named));
        const cJSON *section;
        cJSON_ArrayForEach (section, named) {
            if (!s_in_list (s_entry_keys, section->string) || !cJSON_IsObject (section))
                return err_set (err, "%s: '%s.%s' is not an argument section object",
                                hook, named->string, section->string);
            cJSON *target = cJSON_GetObjectItemCaseSensitive (entry, section->string);
            if (!target)
                target = cJSON_AddObjectToObject (entry, section->string);
            const cJSON *value;
            cJSON_ArrayForEach (value, section) {
                cJSON_DeleteItemFromObjectCaseSensitive (target, value->string);
                cJSON_AddItemToObject (target, value->string, cJSON_Duplicate (value, true));
            }
        }
    }
    return 0;
}

const type_t *
models_config (const models_t *self)
{
    return self->config;
}

int
models_count (const models_t *self)
{
    return self->count;
}

const model_t *
models_at (const models_t *self, int index)
{
    return index >= 0 && index < self->count? &self->entries [index]: NULL;
}

const model_t *
models_find (const models_t *self, bool is_state, bool is_in, const char *name)
{
    for (int i = 0; i < self->count; i++) {
        const model_t *model = &self->entries [i];
        if (model->is_state == is_state && model->is_in == is_in && strcmp (model->name, name) == 0)
            return model;
    }
    return NULL;
}

const char *
model_string (const model_t *model, const char *key, const char *fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (model->creation, key);
    return cJSON_IsString (item)? item->valuestring: fallback;
}

int
model_int (const model_t *model, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (model->creation, key);
    if (!cJSON_IsNumber (item))
        return fallback;
    //  Clamped: a model may say 1e12 and a cast out of range is undefined.
    return item->valuedouble > INT_MAX? INT_MAX: item->valuedouble < INT_MIN? INT_MIN: (int) item->valuedouble;
}

bool
model_bool (const model_t *model, const char *key, bool fallback)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (model->creation, key);
    return cJSON_IsBool (item)? cJSON_IsTrue (item): fallback;
}

int
models_check_file (const char *path, char *err)
{
    cJSON *doc = json_load_file (path, err);
    if (!doc)
        return -1;
    char why [ERR_LEN];
    models_t *models = models_parse (doc, why);
    cJSON_Delete (doc);
    if (!models)
        return err_set (err, "%s: %s", path, why);
    models_destroy (&models);
    return 0;
}
