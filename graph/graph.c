/*  graph.c - a graph file: read, checked, its plugins found and their models read.

    Reading the file and the files it names is graph_load; opening the
    plugins is graph_load_models, which reuses what a service's startup uses
    (core/loader.c, models/, models/config.c, models/addresses.c) in the
    same order, so what it finds is what each service will find.
*/
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "graph.h"
#include "config.h"
#include "json.h"
#include "loader.h"

typedef struct {
    graph_service_t pub;            //  what graph.h shows
    char *name;
    char *plugin;
    char *plugin_given;             //  "plugin" as the graph file writes it, for messages
    char *addresses_path;
    char *config_path;
    cJSON *addresses;
    cJSON *config;
    cJSON *args;
    cJSON *effective_config;
    char *admin;
    cJSON *allow_unheard;           //  a copy, or NULL
    plugin_t *loaded;               //  the open plugin (graph_load_models)
    cJSON *models_doc;              //  its models document, hooks merged
    models_t *models;
} s_service_t;

struct _graph_t {
    char *path;                     //  as given
    char *dir;                      //  absolute directory of the file
    s_service_t *services;
    int count;
    graph_socket_t *sockets;
    int socket_count;
    bool models_loaded;
};

static const char *const s_service_keys [] = {
    "plugin", "addresses", "config", "main", "args", "restart", "allow_unheard", NULL
};
static const char *const s_restart_names [] = { "on-failure", "always", "never" };

//  ---------------------------------------------------------------------------
//  Paths

//  Joins dir and a relative path into out (PATH_MAX); an absolute `path` is
//  copied. Returns 0 or -1 if too long.
static int
s_join (const char *dir, const char *path, char *out)
{
    int len = path [0] == '/'? snprintf (out, PATH_MAX, "%s", path)
                             : snprintf (out, PATH_MAX, "%s/%s", dir, path);
    return len < 0 || len >= PATH_MAX? -1: 0;
}

static bool
s_is_file (const char *path)
{
    struct stat st;
    return stat (path, &st) == 0 && S_ISREG (st.st_mode);
}

//  Finds the plugin file `plugin` (see graph.h) into out (PATH_MAX).
static int
s_find_plugin (const char *dir, const char *plugin, char *out)
{
    if (s_join (dir, plugin, out) == 0 && s_is_file (out)) {
        char *real = realpath (out, NULL);
        if (real && strlen (real) < PATH_MAX)
            strcpy (out, real);
        free (real);
        return 0;
    }
    if (strchr (plugin, '/'))
        return -1;
    const char *env = getenv ("SVCFW_PLUGIN_PATH");
    if (env && *env) {
        char *copy = strdup (env), *save = NULL;
        for (char *item = copy? strtok_r (copy, ":", &save): NULL; item; item = strtok_r (NULL, ":", &save))
            if (*item && s_join (item, plugin, out) == 0 && s_is_file (out)) {
                char *real = realpath (out, NULL);
                if (real && strlen (real) < PATH_MAX)
                    strcpy (out, real);
                free (real);
                free (copy);
                return 0;
            }
        free (copy);
    }
    char exe [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe [len] = 0;
        char *slash = strrchr (exe, '/');
        if (slash) {
            *slash = 0;
            if (snprintf (out, PATH_MAX, "%s/examples/%s", exe, plugin) < PATH_MAX && s_is_file (out))
                return 0;
        }
    }
    return -1;
}

//  ---------------------------------------------------------------------------
//  Reading the file

//  Loads "addresses" or "config" of a service: a path (relative to the
//  graph) or an inline object. Sets *path_p to the absolute path (fresh) for
//  a file. Returns a fresh object, or NULL with err.
static cJSON *
s_load_part (const graph_t *self, const char *name, const cJSON *value, const char *key,
             char **path_p, char *err)
{
    if (!value)
        return cJSON_CreateObject ();
    if (cJSON_IsObject (value))
        return cJSON_Duplicate (value, true);
    if (!cJSON_IsString (value) || !*value->valuestring) {
        err_set (err, "%s: service \"%s\": \"%s\" must be a file path or an object, got %s",
                 self->path, name, key, json_type_name (value));
        return NULL;
    }
    char full [PATH_MAX];
    if (s_join (self->dir, value->valuestring, full)) {
        err_set (err, "%s: service \"%s\": \"%s\": path too long", self->path, name, key);
        return NULL;
    }
    char why [ERR_LEN];
    cJSON *doc = json_load_file (full, why);
    if (!doc) {
        err_set (err, "%s: service \"%s\": \"%s\": %s", self->path, name, key, why);
        return NULL;
    }
    if (!cJSON_IsObject (doc)) {
        err_set (err, "%s: service \"%s\": \"%s\": %s must hold a JSON object, got %s", self->path, name,
                 key, full, json_type_name (doc));
        cJSON_Delete (doc);
        return NULL;
    }
    *path_p = strdup (full);
    return doc;
}

//  The --KEY VALUE text of an arg value. Returns a fresh string (free), or NULL.
static char *
s_arg_text (const cJSON *value)
{
    if (cJSON_IsString (value))
        return strdup (value->valuestring);
    char *text = json_print (value);
    char *copy = text? strdup (text): NULL;
    cJSON_free (text);
    return copy;
}

static int
s_read_args (graph_t *self, s_service_t *service, const cJSON *args, char *err)
{
    service->args = args? cJSON_Duplicate (args, true): cJSON_CreateObject ();
    if (!service->args)
        return err_set (err, "%s: out of memory", self->path);
    if (!cJSON_IsObject (args) && args)
        return err_set (err, "%s: service \"%s\": \"args\" must be an object of KEY: VALUE, got %s",
                        self->path, service->name, json_type_name (args));
    cJSON *item;
    cJSON_ArrayForEach (item, service->args) {
        //  Each becomes --KEY VALUE: a KEY svcfw would read as an option is refused.
        if (!item->string [0] || item->string [0] == '-' || strchr (item->string, '='))
            return err_set (err, "%s: service \"%s\": \"args\": \"%s\" is not a config key (no leading '-', "
                            "no '=', not empty)", self->path, service->name, item->string);
        if (cJSON_IsNull (item) || cJSON_IsInvalid (item))
            return err_set (err, "%s: service \"%s\": \"args\".%s: must be a string, number, boolean, "
                            "object or array, got null", self->path, service->name, item->string);
        bool is_path = strcmp (item->string, "svcfw_curve_cert") == 0
                    || strcmp (item->string, "svcfw_curve_allow") == 0;
        if (is_path && !cJSON_IsString (item))
            return err_set (err, "%s: service \"%s\": \"args\".%s: must be a path string, got %s",
                            self->path, service->name, item->string, json_type_name (item));
        char full [PATH_MAX];
        if (is_path && item->valuestring [0] != '/') {
            if (s_join (self->dir, item->valuestring, full))
                return err_set (err, "%s: service \"%s\": \"args\".%s: path too long", self->path,
                                service->name, item->string);
            cJSON_SetValuestring (item, full);
        }
        if (strcmp (item->string, "svcfw_admin") == 0 && !cJSON_IsString (item))
            return err_set (err, "%s: service \"%s\": \"args\".svcfw_admin: must be a string HOST:PORT, got %s",
                            self->path, service->name, json_type_name (item));
    }
    //  The effective config, as JSON values: what the process gets before
    //  type conversion (graph_load_models converts).
    service->effective_config = cJSON_Duplicate (service->config, true);
    cJSON_ArrayForEach (item, service->args) {
        cJSON_DeleteItemFromObjectCaseSensitive (service->effective_config, item->string);
        cJSON_AddItemToObject (service->effective_config, item->string, cJSON_Duplicate (item, true));
    }
    const cJSON *admin = cJSON_GetObjectItemCaseSensitive (service->effective_config, "svcfw_admin");
    if (admin && !cJSON_IsString (admin))
        return err_set (err, "%s: service \"%s\": config: svcfw_admin must be a string HOST:PORT, got %s",
                        self->path, service->name, json_type_name (admin));
    if (admin)
        service->admin = strdup (admin->valuestring);
    return 0;
}

static int
s_read_service (graph_t *self, s_service_t *service, const cJSON *spec, char *err)
{
    const char *name = spec->string;
    service->name = strdup (name);
    if (!service->name)
        return err_set (err, "%s: out of memory", self->path);
    if (!*name || strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != strlen (name))
        return err_set (err, "%s: service \"%s\": a name is letters, digits, '_', '-' and '.'", self->path, name);
    if (!cJSON_IsObject (spec))
        return err_set (err, "%s: service \"%s\": must be an object, got %s", self->path, name,
                        json_type_name (spec));
    const cJSON *item;
    cJSON_ArrayForEach (item, spec) {
        bool known = false;
        for (const char *const *key = s_service_keys; *key; key++)
            known = known || strcmp (*key, item->string) == 0;
        if (!known)
            return err_set (err, "%s: service \"%s\": unknown key \"%s\" (known: plugin, addresses, config, "
                            "main, args, restart, allow_unheard)", self->path, name, item->string);
    }
    //  plugin
    const cJSON *plugin = cJSON_GetObjectItemCaseSensitive (spec, "plugin");
    if (!plugin)
        return err_set (err, "%s: service \"%s\": missing \"plugin\"", self->path, name);
    if (!cJSON_IsString (plugin) || !*plugin->valuestring)
        return err_set (err, "%s: service \"%s\": \"plugin\" must be a path string, got %s", self->path,
                        name, json_type_name (plugin));
    char found [PATH_MAX];
    if (s_find_plugin (self->dir, plugin->valuestring, found)) {
        if (plugin->valuestring [0] == '/')
            return err_set (err, "%s: service \"%s\": \"plugin\": no file %s", self->path, name,
                            plugin->valuestring);
        if (strchr (plugin->valuestring, '/'))
            return err_set (err, "%s: service \"%s\": \"plugin\": no file %s/%s", self->path, name,
                            self->dir, plugin->valuestring);
        return err_set (err, "%s: service \"%s\": \"plugin\": cannot find \"%s\" (looked in %s, "
                        "$SVCFW_PLUGIN_PATH and examples/ beside svcfw)", self->path, name,
                        plugin->valuestring, self->dir);
    }
    service->plugin = strdup (found);
    service->plugin_given = strdup (plugin->valuestring);
    //  main, restart, allow_unheard
    const cJSON *main_mode = cJSON_GetObjectItemCaseSensitive (spec, "main");
    if (main_mode && !cJSON_IsBool (main_mode))
        return err_set (err, "%s: service \"%s\": \"main\" must be true or false, got %s", self->path,
                        name, json_type_name (main_mode));
    service->pub.main = cJSON_IsTrue (main_mode);
    const cJSON *restart = cJSON_GetObjectItemCaseSensitive (spec, "restart");
    service->pub.restart = GRAPH_RESTART_ON_FAILURE;
    if (restart) {
        int found_restart = -1;
        for (int i = 0; i < 3; i++)
            if (cJSON_IsString (restart) && strcmp (restart->valuestring, s_restart_names [i]) == 0)
                found_restart = i;
        if (found_restart < 0) {
            char *text = json_print (restart);
            err_set (err, "%s: service \"%s\": \"restart\" must be one of on-failure, always, never, got %s",
                     self->path, name, text? text: "?");
            cJSON_free (text);
            return -1;
        }
        service->pub.restart = (graph_restart_t) found_restart;
    }
    const cJSON *unheard = cJSON_GetObjectItemCaseSensitive (spec, "allow_unheard");
    if (unheard) {
        bool ok = cJSON_IsArray (unheard);
        cJSON_ArrayForEach (item, unheard)
            ok = ok && cJSON_IsString (item);
        if (!ok)
            return err_set (err, "%s: service \"%s\": \"allow_unheard\" must be a list of out connection names",
                            self->path, name);
    }
    service->allow_unheard = unheard? cJSON_Duplicate (unheard, true): NULL;
    //  addresses, config, args
    service->addresses = s_load_part (self, name, cJSON_GetObjectItemCaseSensitive (spec, "addresses"),
                                      "addresses", &service->addresses_path, err);
    if (!service->addresses)
        return -1;
    char why [ERR_LEN];
    if (addresses_check (service->addresses, service->addresses_path? service->addresses_path: "addresses", why))
        return err_set (err, "%s: service \"%s\": \"addresses\": %s", self->path, name, why);
    service->config = s_load_part (self, name, cJSON_GetObjectItemCaseSensitive (spec, "config"),
                                   "config", &service->config_path, err);
    if (!service->config)
        return -1;
    return s_read_args (self, service, cJSON_GetObjectItemCaseSensitive (spec, "args"), err);
}

static void
s_publish (s_service_t *service)
{
    graph_service_t *pub = &service->pub;
    pub->name = service->name;
    pub->plugin = service->plugin;
    pub->addresses_path = service->addresses_path;
    pub->config_path = service->config_path;
    pub->addresses = service->addresses;
    pub->config = service->config;
    pub->args = service->args;
    pub->effective_config = service->effective_config;
    pub->admin = service->admin;
    pub->allow_unheard = service->allow_unheard;
    pub->models = service->models;
}

graph_t *
graph_load (const char *path, char *err)
{
    assert (path);
    graph_t *self = calloc (1, sizeof *self);
    if (!self) {
        err_set (err, "%s: out of memory", path);
        return NULL;
    }
    self->path = strdup (path);
    char *copy = strdup (path), *real = NULL;
    if (copy) {
        char *slash = strrchr (copy, '/');
        real = realpath (slash? (slash == copy? "/": (*slash = 0, copy)): ".", NULL);
    }
    free (copy);
    self->dir = real;
    cJSON *doc = NULL;
    if (!self->path || !self->dir) {
        err_set (err, "%s: cannot resolve its directory: %s", path, strerror (errno));
        goto fail;
    }
    doc = json_load_file (path, err);
    if (!doc)
        goto fail;
    if (!cJSON_IsObject (doc)) {
        err_set (err, "%s: a graph file must be a JSON object {\"services\": {...}}, got %s", path,
                 json_type_name (doc));
        goto fail;
    }
    const cJSON *item;
    cJSON_ArrayForEach (item, doc)
        if (strcmp (item->string, "services")) {
            err_set (err, "%s: unknown key \"%s\" (a graph file has \"services\")", path, item->string);
            goto fail;
        }
    const cJSON *services = cJSON_GetObjectItemCaseSensitive (doc, "services");
    if (!cJSON_IsObject (services)) {
        err_set (err, "%s: \"services\" must be an object of NAME: {...}, got %s", path,
                 json_type_name (services));
        goto fail;
    }
    int count = cJSON_GetArraySize (services);
    if (count == 0) {
        err_set (err, "%s: \"services\" is empty", path);
        goto fail;
    }
    self->services = calloc ((size_t) count, sizeof *self->services);
    if (!self->services) {
        err_set (err, "%s: out of memory", path);
        goto fail;
    }
    cJSON_ArrayForEach (item, services) {
        s_service_t *service = &self->services [self->count++];
        if (s_read_service (self, service, item, err))
            goto fail;
        s_publish (service);
    }
    cJSON_Delete (doc);
    return self;
fail:
    cJSON_Delete (doc);
    graph_destroy (&self);
    return NULL;
}

void
graph_destroy (graph_t **self_p)
{
    assert (self_p);
    graph_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < self->count; i++) {
        s_service_t *service = &self->services [i];
        free (service->name);
        free (service->plugin);
        free (service->plugin_given);
        free (service->addresses_path);
        free (service->config_path);
        cJSON_Delete (service->addresses);
        cJSON_Delete (service->config);
        cJSON_Delete (service->args);
        cJSON_Delete (service->effective_config);
        free (service->admin);
        cJSON_Delete (service->allow_unheard);
        models_destroy (&service->models);
        cJSON_Delete (service->models_doc);
        plugin_destroy (&service->loaded);
    }
    free (self->services);
    free (self->sockets);
    free (self->path);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

const char *
graph_path (const graph_t *self)
{
    return self->path;
}

const char *
graph_dir (const graph_t *self)
{
    return self->dir;
}

int
graph_service_count (const graph_t *self)
{
    return self->count;
}

const graph_service_t *
graph_service_at (const graph_t *self, int index)
{
    return index >= 0 && index < self->count? &self->services [index].pub: NULL;
}

const graph_service_t *
graph_service_find (const graph_t *self, const char *name)
{
    for (int i = 0; i < self->count; i++)
        if (strcmp (self->services [i].name, name) == 0)
            return &self->services [i].pub;
    return NULL;
}

const char *
graph_restart_name (graph_restart_t restart)
{
    return (unsigned) restart < 3? s_restart_names [restart]: "?";
}

//  ---------------------------------------------------------------------------
//  Models and sockets

//  The args as the command line gives them: {KEY: "TEXT"}. Fresh, or NULL.
static cJSON *
s_overrides (const cJSON *args)
{
    cJSON *overrides = cJSON_CreateObject ();
    const cJSON *item;
    cJSON_ArrayForEach (item, args) {
        char *text = s_arg_text (item);
        if (!overrides || !text) {
            free (text);
            cJSON_Delete (overrides);
            return NULL;
        }
        cJSON_AddStringToObject (overrides, item->string, text);
        free (text);
    }
    return overrides;
}

//  The config a service's startup builds: file, args converted, svcfw's own
//  keys taken out, svcfw_setup_config, validation. Replaces effective_config.
static int
s_build_config (graph_t *self, s_service_t *service, char *err)
{
    const plugin_hooks_t *hooks = plugin_hooks (service->loaded);
    cJSON *config = cJSON_Duplicate (service->config, true);
    cJSON *overrides = s_overrides (service->args);
    char why [ERR_LEN];
    int rc = config && overrides? 0: err_set (why, "out of memory");
    if (!rc)
        rc = config_apply_overrides (config, overrides, models_config (service->models), why);
    cJSON_Delete (overrides);
    cJSON *own = cJSON_CreateObject ();
    for (const char *const *key = (const char *const []) { "svcfw_admin", "svcfw_curve_cert", "svcfw_curve_allow",
         NULL }; *key && !rc && own; key++) {
        cJSON *item = cJSON_DetachItemFromObjectCaseSensitive (config, *key);
        if (item)
            cJSON_AddItemToObject (own, *key, item);
    }
    if (!rc && hooks->setup_config) {
        int hook_rc = hooks->setup_config (config);
        if (hook_rc)
            rc = err_set (why, "svcfw_setup_config failed (returned %d)", hook_rc);
        else
        if (!cJSON_IsObject (config))
            rc = err_set (why, "svcfw_setup_config left a config that is not an object");
    }
    if (!rc)
        rc = config_validate (config, models_config (service->models), service->config_path?
                              service->config_path: service->config->child? "\"config\" object": NULL, why);
    if (rc) {
        cJSON_Delete (config);
        cJSON_Delete (own);
        return err_set (err, "%s: service \"%s\": %s", self->path, service->name, why);
    }
    //  The effective config shows svcfw's own keys too.
    cJSON *item = own? own->child: NULL;
    while (item) {
        cJSON *next = item->next;
        cJSON_AddItemToObject (config, item->string, cJSON_DetachItemViaPointer (own, item));
        item = next;
    }
    cJSON_Delete (own);
    cJSON_Delete (service->effective_config);
    service->effective_config = config;
    return 0;
}

//  Parses the models text, runs the setup hooks and merges what they give.
static int
s_read_models (graph_t *self, s_service_t *service, char *err)
{
    const char *text = plugin_models_text (service->loaded);
    char name [PATH_MAX + 32], why [ERR_LEN];
    snprintf (name, sizeof name, "%s: svcfw_models", service->plugin);
    service->models_doc = json_parse (text, strlen (text), name, why);
    if (!service->models_doc)
        return err_set (err, "%s: service \"%s\": %s", self->path, service->name, why);
    service->models = models_parse (service->models_doc, why);
    if (!service->models)
        return err_set (err, "%s: service \"%s\": %s: %s", self->path, service->name, service->plugin, why);
    if (s_build_config (self, service, err))
        return -1;
    const plugin_hooks_t *hooks = plugin_hooks (service->loaded);
    svcfw_setup_models_fn *fns [2] = { hooks->setup_connections, hooks->setup_states };
    bool merged = false;
    for (int i = 0; i < 2; i++) {
        cJSON *extra = fns [i]? fns [i] (service->effective_config): NULL;
        if (!extra)
            continue;
        int rc = models_merge (service->models_doc, extra, i == 1, why);
        cJSON_Delete (extra);
        if (rc)
            return err_set (err, "%s: service \"%s\": %s: %s", self->path, service->name, service->plugin, why);
        merged = true;
    }
    if (merged) {
        models_destroy (&service->models);
        service->models = models_parse (service->models_doc, why);
        if (!service->models)
            return err_set (err, "%s: service \"%s\": %s: %s", self->path, service->name, service->plugin, why);
    }
    if (hooks->setup_addresses) {
        int rc = hooks->setup_addresses (service->addresses, service->effective_config);
        if (rc)
            return err_set (err, "%s: service \"%s\": %s: svcfw_setup_addresses failed (returned %d)",
                            self->path, service->name, service->plugin, rc);
    }
    return 0;
}

//  Socket names per kind, and whether each binds (the connections' and
//  states' own rules: a subscriber binds with is_binder, a publisher
//  connects with is_x_pub).
static int
s_add_sockets (graph_t *self, int index, char *err)
{
    s_service_t *service = &self->services [index];
    for (int m = 0; m < models_count (service->models); m++) {
        const model_t *model = models_at (service->models, m);
        const char *names [2] = { NULL, NULL };
        bool binds [2] = { false, false };
        switch (model->kind) {
            case MODEL_REPLYER:    names [0] = "replyer"; binds [0] = true; break;
            case MODEL_REQUESTER:  names [0] = "requester"; break;
            case MODEL_SUBSCRIBER: names [0] = "subscriber"; binds [0] = model_bool (model, "is_binder", false); break;
            case MODEL_PUBLISHER:  names [0] = "publisher"; binds [0] = !model_bool (model, "is_x_pub", false); break;
            case MODEL_DELTA_UPDATE_OUT:
            case MODEL_FULL_UPDATE_OUT:
                names [0] = "publisher"; binds [0] = !model_bool (model, "is_x_pub", false);
                names [1] = "replyer"; binds [1] = true;
                break;
            case MODEL_DELTA_UPDATE_IN:
            case MODEL_FULL_UPDATE_IN:
                names [0] = "subscriber";
                names [1] = "requester";
                break;
        }
        for (int s = 0; s < 2 && names [s]; s++) {
            graph_socket_t *sockets = realloc (self->sockets, (size_t) (self->socket_count + 1) * sizeof *sockets);
            if (!sockets)
                return err_set (err, "%s: out of memory", self->path);
            self->sockets = sockets;
            graph_socket_t *socket = &sockets [self->socket_count];
            *socket = (graph_socket_t) { .service = index, .model = model, .socket = names [s], .bind = binds [s] };
            char why [ERR_LEN];
            const char *name = service->addresses_path? service->addresses_path:
                               service->addresses->child? "\"addresses\" object": "no \"addresses\"";
            if (addresses_endpoint (service->addresses, name, model, names [s], binds [s], socket->endpoint, why))
                return err_set (err, "%s: service \"%s\": %s", self->path, service->name, why);
            socket->server_key = addresses_server_key (service->addresses, model, names [s]);
            self->socket_count++;
        }
    }
    return 0;
}

int
graph_load_models (graph_t *self, char *err)
{
    assert (self);
    if (self->models_loaded)
        return 0;
    for (int i = 0; i < self->count; i++) {
        s_service_t *service = &self->services [i];
        char why [ERR_LEN];
        service->loaded = plugin_load (service->plugin, why);
        if (!service->loaded)
            return err_set (err, "%s: service \"%s\": %s", self->path, service->name, why);
        if (s_read_models (self, service, err) || s_add_sockets (self, i, err))
            return -1;
        s_publish (service);
    }
    self->models_loaded = true;
    return 0;
}

int
graph_service_check_plugin (const graph_t *self, int index, char *err)
{
    assert (self && index >= 0 && index < self->count);
    const s_service_t *service = &self->services [index];
    char why [ERR_LEN];
    if (!service->loaded)
        return err_set (err, "%s: service \"%s\": its plugin is not loaded", self->path, service->name);
    if (plugin_check_models (service->loaded, service->models, service->pub.main, service->plugin_given, why))
        return err_set (err, "%s: service \"%s\": %s", self->path, service->name, why);
    return 0;
}

int
graph_socket_count (const graph_t *self)
{
    return self->socket_count;
}

const graph_socket_t *
graph_socket_at (const graph_t *self, int index)
{
    return index >= 0 && index < self->socket_count? &self->sockets [index]: NULL;
}

//  ---------------------------------------------------------------------------
//  Command lines

//  Writes `doc` to DIR/NAME.WHAT.json. Returns a fresh path, or NULL with err.
static char *
s_write_inline (const char *dir, const char *name, const char *what, const cJSON *doc, char *err)
{
    if (!dir) {
        err_set (err, "service \"%s\": inline %s need a directory to be written to", name, what);
        return NULL;
    }
    char path [PATH_MAX];
    if (snprintf (path, sizeof path, "%s/%s.%s.json", dir, name, what) >= (int) sizeof path) {
        err_set (err, "service \"%s\": path too long in %s", name, dir);
        return NULL;
    }
    char *text = cJSON_Print (doc);
    FILE *file = text? fopen (path, "w"): NULL;
    bool ok = file && fputs (text, file) >= 0 && fputc ('\n', file) != EOF;
    if (file && fclose (file))
        ok = false;
    cJSON_free (text);
    if (!ok) {
        err_set (err, "service \"%s\": cannot write %s: %s", name, path, strerror (errno));
        return NULL;
    }
    return realpath (path, NULL);
}

char **
graph_argv (const graph_t *self, int index, const char *svcfw, const char *dir, char *err)
{
    assert (self && svcfw);
    if (index < 0 || index >= self->count) {
        err_set (err, "%s: no service %d", self->path, index);
        return NULL;
    }
    const s_service_t *service = &self->services [index];
    int max = 8 + 2 * cJSON_GetArraySize (service->args);
    char **argv = calloc ((size_t) max + 1, sizeof *argv);
    if (!argv) {
        err_set (err, "%s: out of memory", self->path);
        return NULL;
    }
    int argc = 0;
    bool ok = (argv [argc++] = strdup (svcfw)) && (argv [argc++] = strdup ("-s"))
           && (argv [argc++] = strdup (service->plugin));
    const char *what [2] = { "addresses", "config" };
    const char *paths [2] = { service->addresses_path, service->config_path };
    const cJSON *docs [2] = { service->addresses, service->config };
    for (int i = 0; i < 2 && ok; i++) {
        //  Nothing given: no option (an empty inline object is the same).
        if (!paths [i] && !docs [i]->child)
            continue;
        char *file = paths [i]? strdup (paths [i]): s_write_inline (dir, service->name, what [i], docs [i], err);
        if (!file) {
            graph_argv_destroy (&argv);
            return NULL;
        }
        ok = (argv [argc++] = strdup (i == 0? "-a": "-c")) != NULL;
        argv [argc++] = file;
    }
    if (ok && service->pub.main)
        ok = (argv [argc++] = strdup ("-m")) != NULL;
    const cJSON *item;
    cJSON_ArrayForEach (item, service->args) {
        if (!ok)
            break;
        //  svcfw's own keys go as its options (the command line takes
        //  svcfw_admin only as --admin).
        const char *own = strcmp (item->string, "svcfw_admin") == 0? "--admin"
                        : strcmp (item->string, "svcfw_curve_cert") == 0? "--curve-cert"
                        : strcmp (item->string, "svcfw_curve_allow") == 0? "--curve-allow": NULL;
        size_t len = strlen (item->string) + 3;
        char *option = own? strdup (own): malloc (len);
        if (option && !own)
            snprintf (option, len, "--%s", item->string);
        ok = (argv [argc++] = option) && (argv [argc++] = s_arg_text (item));
    }
    if (!ok) {
        err_set (err, "%s: out of memory", self->path);
        graph_argv_destroy (&argv);
    }
    return argv;
}

void
graph_argv_destroy (char ***argv_p)
{
    assert (argv_p);
    char **argv = *argv_p;
    if (!argv)
        return;
    for (char **arg = argv; *arg; arg++)
        free (*arg);
    free (argv);
    *argv_p = NULL;
}

void
graph_scratch_remove (const char *dir)
{
    DIR *handle = opendir (dir);
    struct dirent *entry;
    while (handle && (entry = readdir (handle)))
        if (entry->d_name [0] != '.') {
            char file [PATH_MAX];
            if (snprintf (file, sizeof file, "%s/%s", dir, entry->d_name) < (int) sizeof file)
                unlink (file);
        }
    if (handle)
        closedir (handle);
    rmdir (dir);
}
