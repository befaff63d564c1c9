/*  wiring.c - startup: the plugin, its models, the config, the addresses,
    then every connection's and state's sockets.

    @discuss
    Startup checks everything it can before any socket opens: the plugin and
    its ABI, the models as a whole (types, connection types, handler names),
    the config (file, hook, command-line overrides, validation), the
    addresses of every connection. Each failure is one line naming the file,
    entry or key.

    This is the one file of core/ that includes the connection and state
    headers: it creates each object and gives the plugin API its
    entry_ops_t (runtime.h).
    @end
*/
#include <czmq.h>

#include "runtime.h"
#include "addresses.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "sock.h"
#include "types.h"
#include "replyer.h"
#include "requester.h"
#include "publisher.h"
#include "subscriber.h"
#include "state_in.h"
#include "state_out.h"

//  Parses the plugin's models text into the document and compiled models.
static int
s_load_models (service_t *self, char *err)
{
    const char *text = plugin_models_text (self->plugin);
    char name [300];
    snprintf (name, sizeof name, "%s: svcfw_models", self->opts->service_path);
    self->models_doc = json_parse (text, strlen (text), name, err);
    if (!self->models_doc)
        return -1;
    self->models = models_parse (self->models_doc, err);
    return self->models? 0: -1;
}

//  Resolves every handler the models name, and checks main mode's rules.
static int
s_check_handlers (service_t *self, char *err)
{
    if (plugin_check_models (self->plugin, self->models, self->opts->main_mode, self->opts->service_path, err))
        return -1;
    return 0;
}

//  The log levels the config keys svcfw_log_level and svcfw_log_file_level
//  ask for, unless -cl / -f were given; takes the keys out of config.
//  Returns 0, or -1 with err naming the file and key.
static int
s_log_levels (service_t *self, cJSON *config, int *console, int *file, char *err)
{
    const cli_opts_t *opts = self->opts;
    *console = opts->console_level;
    *file = opts->file_level;
    int levels [2] = { 0, 0 };
    const char *keys [2] = { "svcfw_log_level", "svcfw_log_file_level" };
    for (int i = 0; i < 2; i++) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive (config, keys [i]);
        if (!item)
            continue;
        levels [i] = cli_level_parse (cJSON_IsString (item)? item->valuestring: NULL);
        cJSON_Delete (item);
        if (levels [i] < 0)
            return err_set (err, "%s: %s: must be a log level: DEBUG, INFO, WARNING or ERROR",
                            opts->config_path? opts->config_path: "config", keys [i]);
    }
    //  The command line wins over the file, as for every other key.
    if (levels [0] && !opts->console_level_set)
        *console = levels [0];
    if (levels [1] && !opts->file_level_set)
        *file = levels [1];
    else
    if (!opts->file_level_set)
        *file = *console;               //  the file follows the console unless told otherwise
    return 0;
}

//  The steps of a config after the overrides and once svcfw's own keys are
//  out: the log keys, svcfw_setup_config, validation.
static int
s_finish_config (service_t *self, cJSON *config, int *console, int *file, char *err)
{
    if (s_log_levels (self, config, console, file, err))
        return -1;
    svcfw_setup_config_fn *hook = plugin_hooks (self->plugin)->setup_config;
    if (hook) {
        int rc = hook (config);
        if (rc)
            return err_set (err, "%s: svcfw_setup_config failed (returned %d)", self->opts->service_path, rc);
        if (!cJSON_IsObject (config))
            return err_set (err, "%s: svcfw_setup_config left a config that is not an object",
                            self->opts->service_path);
    }
    return config_validate (config, models_config (self->models), self->opts->config_path, err);
}

static const char *const s_curve_keys [] = { "svcfw_curve_cert", "svcfw_curve_allow", NULL };

static int
s_build_config (service_t *self, char *err)
{
    self->config = config_load (self->opts->config_path, err);
    if (!self->config || observe_config (self, err) || dispatch_config (self, err))
        return -1;
    //  svcfw's own keys (SPEC §10) are not the plugin's: take them out,
    //  after the overrides, so --svcfw_curve_cert works.
    if (config_apply_overrides (self->config, self->opts->overrides, models_config (self->models), err))
        return -1;
    self->security = cJSON_CreateObject ();
    for (const char *const *key = s_curve_keys; *key && self->security; key++) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive (self->config, *key);
        if (item && !cJSON_IsString (item)) {
            cJSON_Delete (item);
            return err_set (err, "%s: %s: must be a path string", self->opts->config_path? self->opts->config_path:
                            "config", *key);
        }
        if (item)
            cJSON_AddItemToObject (self->security, *key, item);
    }
    int console, file;
    if (s_finish_config (self, self->config, &console, &file, err))
        return -1;
    return log_open (NULL, console, NULL, file, err);
}

cJSON *
wiring_config_reload (service_t *self, int *console, int *file, char *err)
{
    cJSON *config = config_load (self->opts->config_path, err);
    if (!config)
        return NULL;
    //  Read at startup only: the admin endpoint and CURVE stay as they are.
    cJSON_Delete (cJSON_DetachItemFromObjectCaseSensitive (config, "svcfw_admin"));
    int rc = config_apply_overrides (config, self->opts->overrides, models_config (self->models), err);
    for (const char *const *key = s_curve_keys; *key && rc == 0; key++)
        cJSON_Delete (cJSON_DetachItemFromObjectCaseSensitive (config, *key));
    if (rc || s_finish_config (self, config, console, file, err)) {
        cJSON_Delete (config);
        return NULL;
    }
    return config;
}

//  Runs svcfw_setup_connections / svcfw_setup_states and recompiles.
static int
s_apply_setup_hooks (service_t *self, char *err)
{
    const plugin_hooks_t *hooks = plugin_hooks (self->plugin);
    svcfw_setup_models_fn *fns [2] = { hooks->setup_connections, hooks->setup_states };
    bool merged = false;
    for (int i = 0; i < 2; i++) {
        if (!fns [i])
            continue;
        cJSON *extra = fns [i] (self->config);
        if (!extra)
            continue;
        char why [ERR_LEN];
        int rc = models_merge (self->models_doc, extra, i == 1, why);
        cJSON_Delete (extra);
        if (rc)
            return err_set (err, "%s: %s", self->opts->service_path, why);
        merged = true;
    }
    if (!merged)
        return 0;
    models_destroy (&self->models);
    self->models = models_parse (self->models_doc, err);
    if (!self->models)
        return -1;
    return s_check_handlers (self, err);
}

static int
s_load_addresses (service_t *self, char *err)
{
    self->addresses_name = self->opts->addresses_path? self->opts->addresses_path: "addresses";
    if (self->opts->addresses_path) {
        self->addresses = json_load_file (self->opts->addresses_path, err);
        if (!self->addresses)
            return -1;
    }
    else
        self->addresses = cJSON_CreateObject ();
    if (addresses_check (self->addresses, self->addresses_name, err))
        return -1;
    svcfw_setup_addresses_fn *hook = plugin_hooks (self->plugin)->setup_addresses;
    if (hook) {
        int rc = hook (self->addresses, self->config);
        if (rc)
            return err_set (err, "%s: svcfw_setup_addresses failed (returned %d)", self->opts->service_path, rc);
        if (addresses_check (self->addresses, "addresses after svcfw_setup_addresses", err))
            return -1;
    }
    return 0;
}

//  The sockets of each kind (SPEC §3), with whether each binds.
typedef struct {
    const char *name;
    bool binds;
} s_socket_t;

static int
s_sockets (const model_t *model, s_socket_t sockets [2])
{
    bool x_pub = model_bool (model, "is_x_pub", false);
    switch (model->kind) {
        case MODEL_REPLYER:
            sockets [0] = (s_socket_t) { "replyer", true };
            return 1;
        case MODEL_REQUESTER:
            sockets [0] = (s_socket_t) { "requester", false };
            return 1;
        case MODEL_SUBSCRIBER:
            sockets [0] = (s_socket_t) { "subscriber", model_bool (model, "is_binder", false) };
            return 1;
        case MODEL_PUBLISHER:
            sockets [0] = (s_socket_t) { "publisher", !x_pub };
            return 1;
        case MODEL_DELTA_UPDATE_OUT:
        case MODEL_FULL_UPDATE_OUT:
            sockets [0] = (s_socket_t) { "publisher", !x_pub };
            sockets [1] = (s_socket_t) { "replyer", true };
            return 2;
        case MODEL_DELTA_UPDATE_IN:
        case MODEL_FULL_UPDATE_IN:
            sockets [0] = (s_socket_t) { "subscriber", false };
            sockets [1] = (s_socket_t) { "requester", false };
            return 2;
    }
    return 0;
}

static const state_policy_t *
s_policy (model_kind_t kind)
{
    return kind == MODEL_DELTA_UPDATE_OUT || kind == MODEL_DELTA_UPDATE_IN
         ? &delta_update_policy: &full_update_policy;
}

//  The entry_ops_t of each kind: thin adapters from the plugin API's calls
//  to each module's own.

static int
s_publisher_send (void *obj, const cJSON *args, const char *send_id, const char *message_id,
                  int64_t deadline, cJSON **reply, char *why)
{
    (void) message_id;
    (void) deadline;
    (void) reply;
    return publisher_send (obj, args, send_id, why);
}

static int
s_requester_send (void *obj, const cJSON *args, const char *send_id, const char *message_id,
                  int64_t deadline, cJSON **reply, char *why)
{
    return requester_request (obj, args, send_id, message_id, deadline, reply, why);
}

static long
s_requester_pending (void *obj)
{
    return requester_pending (obj);
}

static int
s_state_out_send (void *obj, const cJSON *args, const char *send_id, const char *message_id,
                  int64_t deadline, cJSON **reply, char *why)
{
    (void) message_id;
    (void) deadline;
    (void) reply;
    return state_out_send (obj, args, send_id, why);
}

static cJSON *
s_state_out_copy (void *obj)
{
    return state_out_copy (obj);
}

static cJSON *
s_state_in_copy (void *obj)
{
    return state_in_copy (obj);
}

static bool
s_state_in_synced (void *obj)
{
    return state_in_synced (obj);
}

#define S_DESTROY(type) \
    static void s_##type##_destroy (void *obj) { type##_t *p = obj; type##_destroy (&p); }
S_DESTROY (replyer)
S_DESTROY (subscriber)
S_DESTROY (publisher)
S_DESTROY (requester)
S_DESTROY (state_out)
S_DESTROY (state_in)

static const entry_ops_t s_replyer_ops    = { .destroy = s_replyer_destroy };
static const entry_ops_t s_subscriber_ops = { .destroy = s_subscriber_destroy };
static const entry_ops_t s_publisher_ops  = { .send = s_publisher_send, .send_checks_args = true,
                                              .destroy = s_publisher_destroy };
static const entry_ops_t s_requester_ops  = { .send = s_requester_send, .pending = s_requester_pending,
                                              .destroy = s_requester_destroy };
static const entry_ops_t s_state_out_ops  = { .send = s_state_out_send, .copy = s_state_out_copy,
                                              .destroy = s_state_out_destroy };
static const entry_ops_t s_state_in_ops   = { .copy = s_state_in_copy, .synced = s_state_in_synced,
                                              .destroy = s_state_in_destroy };

//  Creates the object of one entry and registers its sockets with the
//  loop. Returns 0, or -1 with err.
static int
s_wire_entry (service_t *self, entry_t *entry, const char *first, const char *second, char *err)
{
    const model_t *model = entry->model;
    switch (model->kind) {
        case MODEL_REPLYER: {
            replyer_t *replyer = replyer_new (&entry->host, model, first, entry->handler, err);
            entry->ops = &s_replyer_ops;
            entry->obj = replyer;
            return replyer? replyer_attach (replyer, self->loop): -1;
        }
        case MODEL_SUBSCRIBER: {
            subscriber_t *subscriber = subscriber_new (&entry->host, model, first, entry->handler, err);
            entry->ops = &s_subscriber_ops;
            entry->obj = subscriber;
            return subscriber? subscriber_attach (subscriber, self->loop): -1;
        }
        case MODEL_PUBLISHER:
            entry->ops = &s_publisher_ops;
            entry->obj = publisher_new (model, first, self->opts->stop_timeout_ms, err);
            return entry->obj? 0: -1;
        case MODEL_REQUESTER: {
            requester_t *requester = requester_new (&entry->host, model, first, err);
            entry->ops = &s_requester_ops;
            entry->obj = requester;
            entry->is_requester = true;
            entry->durable = requester && requester_durable (requester);
            return requester? api_cache_start (entry, err): -1;
        }
        case MODEL_DELTA_UPDATE_OUT:
        case MODEL_FULL_UPDATE_OUT: {
            state_out_t *state = state_out_new (&entry->host, model, s_policy (model->kind), first, second, err);
            entry->ops = &s_state_out_ops;
            entry->obj = state;
            self->state_count++;
            return state? state_out_attach (state, self->loop): -1;
        }
        case MODEL_DELTA_UPDATE_IN:
        case MODEL_FULL_UPDATE_IN: {
            state_in_t *state = state_in_new (&entry->host, model, s_policy (model->kind), first, second,
                                              entry->handler, err);
            entry->ops = &s_state_in_ops;
            entry->obj = state;
            self->state_count++;
            return state? state_in_attach (state, self->loop): -1;
        }
    }
    return err_set (err, "%s: unknown kind of entry", model->where);
}

//  The CURVE guard, if --curve-cert (or svcfw_curve_cert) is given.
static int
s_secure (service_t *self, char *err)
{
    const cJSON *cert = cJSON_GetObjectItemCaseSensitive (self->security, "svcfw_curve_cert");
    const cJSON *allow = cJSON_GetObjectItemCaseSensitive (self->security, "svcfw_curve_allow");
    const char *cert_path = self->opts->curve_cert_path? self->opts->curve_cert_path:
                            cJSON_IsString (cert)? cert->valuestring: NULL;
    const char *allow_dir = self->opts->curve_allow_path? self->opts->curve_allow_path:
                            cJSON_IsString (allow)? allow->valuestring: NULL;
    if (allow_dir && !cert_path)
        return err_set (err, "--curve-allow %s needs --curve-cert (the service's own key pair)", allow_dir);
    if (!cert_path)
        return 0;
    self->guard = guard_new (cert_path, self->opts->curve_cert_path? "--curve-cert": "svcfw_curve_cert",
                             allow_dir, self->opts->curve_allow_path? "--curve-allow": "svcfw_curve_allow", err);
    return self->guard? 0: -1;
}

//  A binding endpoint that other hosts can reach: TCP on anything but a
//  loopback address.
static bool
s_exposed (const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6))
        return false;
    const char *host = endpoint + 6;
    return strncmp (host, "127.", 4) && strncmp (host, "localhost:", 10) && strncmp (host, "[::1]", 5)
        && strncmp (host, "::1:", 4);
}

//  With CURVE: the server key of a connecting socket's address. Without:
//  a warning for a binding socket other hosts can reach.
static int
s_secure_address (service_t *self, const model_t *model, const char *socket, bool binds,
                  const char *endpoint, char *err)
{
    const char *family = model->is_state? "states": "connections";
    const char *side = model->is_in? "in": "out";
    if (!self->guard) {
        if (binds && s_exposed (endpoint))
            log_warning ("%s: %s.%s.%s.%s binds %s, which other hosts can reach, without CURVE: anyone "
                         "who reaches it can send and read (see --curve-cert)", self->addresses_name,
                         family, side, model->name, socket, endpoint);
        return 0;
    }
    if (binds)
        return 0;
    char where [300];
    snprintf (where, sizeof where, "%s: %s.%s.%s.%s", self->addresses_name, family, side, model->name, socket);
    const char *key_path = addresses_server_key (self->addresses, model, socket);
    if (!key_path)
        return err_set (err, "%s: CURVE is on and this connecting address has no server_key "
                        "(give {\"endpoint\": \"HOST:PORT\", \"server_key\": \"PUBLIC_CERT\"})", where);
    return guard_add_server (self->guard, endpoint, key_path, where, err);
}

int
wiring_wire (service_t *self, char *err)
{
    if (s_secure (self, err))
        return -1;
    //  Every address first, so a missing one fails before any socket opens.
    int count = models_count (self->models);
    char (*endpoints) [2][ENDPOINT_LEN] = calloc (count? count: 1, sizeof *endpoints);
    self->entries = calloc (count? count: 1, sizeof (entry_t));
    if (!endpoints || !self->entries) {
        free (endpoints);
        return err_set (err, "out of memory");
    }
    int rc = 0;
    for (int i = 0; i < count && rc == 0; i++) {
        const model_t *model = models_at (self->models, i);
        s_socket_t sockets [2];
        int socket_count = s_sockets (model, sockets);
        for (int k = 0; k < socket_count && rc == 0; k++)
            rc = addresses_endpoint (self->addresses, self->addresses_name, model,
                                     sockets [k].name, sockets [k].binds, endpoints [i][k], err)
              || s_secure_address (self, model, sockets [k].name, sockets [k].binds, endpoints [i][k], err)
               ? -1: 0;
    }
    sock_use_guard (self->guard);
    for (int i = 0; i < count && rc == 0; i++) {
        const model_t *model = models_at (self->models, i);
        entry_t *entry = &self->entries [self->entry_count++];
        entry->model = model;
        pthread_mutex_init (&entry->lock, NULL);
        const char *handler_key = model->kind == MODEL_REPLYER? "on_new_request":
                                  model->kind == MODEL_SUBSCRIBER? "on_new_message": "on_update";
        const char *handler_name = model_string (model, handler_key, NULL);
        entry->handler = handler_name? plugin_handler (self->plugin, handler_name): NULL;
        entry->handler_name = handler_name;
        const char *fallback_name = model_string (model, "fallback", NULL);
        entry->fallback = fallback_name? plugin_handler (self->plugin, fallback_name): NULL;
        dispatch_host (self, entry);
        rc = s_wire_entry (self, entry, endpoints [i][0], endpoints [i][1], err);
        if (rc == -1 && !*err)
            err_set (err, "%s: cannot register with the event loop", model->where);
    }
    if (rc == 0 && self->guard)
        guard_announce (self->guard);
    free (endpoints);
    return rc;
}

int
wiring_joined (service_t *self, char *err)
{
    int rc = 1;
    for (int i = 0; i < self->entry_count && rc >= 0; i++) {
        entry_t *entry = &self->entries [i];
        if (entry->model->kind == MODEL_PUBLISHER && entry->obj) {
            int joined = publisher_joined (entry->obj, err);
            if (joined < rc)
                rc = joined;
        }
    }
    return rc;
}

void
wiring_unwire (service_t *self)
{
    for (int i = 0; i < self->entry_count; i++) {
        entry_t *entry = &self->entries [i];
        if (entry->ops)
            entry->ops->destroy (entry->obj);
        entry->obj = NULL;
        cache_destroy (&entry->cache);
        pthread_mutex_destroy (&entry->lock);
    }
    free (self->entries);
    self->entries = NULL;
    self->entry_count = 0;
    //  After every socket it secured is closed.
    sock_use_guard (NULL);
    guard_destroy (&self->guard);
    cJSON_Delete (self->security);
    self->security = NULL;
}

int
wiring_load (service_t *self, char *err)
{
    self->plugin = plugin_load (self->opts->service_path, err);
    if (!self->plugin)
        return -1;
    log_set_format (self->opts->log_json, self->opts->color);
    if (log_open (plugin_name (self->plugin), self->opts->console_level, self->opts->log_path,
                  self->opts->file_level, err))
        return -1;
    return s_load_models (self, err) || s_check_handlers (self, err)
        || s_build_config (self, err) || s_apply_setup_hooks (self, err)
        || s_load_addresses (self, err)? -1: 0;
}
