/*  loader.c - dlopen a plugin, check its ABI, find its models and hooks. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"

struct _plugin_t {
    void *handle;               //  dlopen handle
    char *name;                 //  service name
    const char *models;         //  svcfw_models, inside the plugin
    plugin_hooks_t hooks;
};

//  ISO C forbids converting a data pointer (dlsym's void *) to a function
//  pointer; POSIX requires it to work, so convert through a union.
typedef union { void *data; void (*fn) (void); } s_symbol_t;
#define S_HOOK(self, type, name) \
    ((type *) ((s_symbol_t) { .data = dlsym ((self)->handle, name) }).fn)

plugin_t *
plugin_load (const char *path, char *err)
{
    //  dlopen searches the library path for a bare name; a plugin given on the
    //  command line is a file, so make a bare name relative to here.
    char local [4096];
    if (!strchr (path, '/') && strlen (path) + 3 < sizeof local) {
        snprintf (local, sizeof local, "./%s", path);
        path = local;
    }
    plugin_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    dlerror ();
    self->handle = dlopen (path, RTLD_NOW | RTLD_LOCAL);
    if (!self->handle) {
        err_set (err, "%s: cannot load plugin: %s", path, dlerror ());
        free (self);
        return NULL;
    }
    const char *base = strrchr (path, '/');
    self->name = strdup (base? base + 1: path);
    if (self->name) {
        size_t len = strlen (self->name);
        if (len > 3 && strcmp (self->name + len - 3, ".so") == 0)
            self->name [len - 3] = 0;
    }
    const int *abi = dlsym (self->handle, "svcfw_abi_version");
    if (!abi) {
        err_set (err, "%s: plugin does not export svcfw_abi_version (declare it with SVCFW_PLUGIN)", path);
        goto fail;
    }
    if (*abi != SVCFW_ABI_VERSION) {
        err_set (err, "%s: plugin ABI version %d, but this svcfw supports %d (rebuild it against this svcfw.h)",
                 path, *abi, SVCFW_ABI_VERSION);
        goto fail;
    }
    self->models = dlsym (self->handle, "svcfw_models");
    if (!self->models) {
        err_set (err, "%s: plugin does not export svcfw_models (declare it with SVCFW_PLUGIN)", path);
        goto fail;
    }
    if (!self->name)
        goto fail;
    self->hooks.setup_config = S_HOOK (self, svcfw_setup_config_fn, "svcfw_setup_config");
    self->hooks.setup_addresses = S_HOOK (self, svcfw_setup_addresses_fn, "svcfw_setup_addresses");
    self->hooks.setup_connections = S_HOOK (self, svcfw_setup_models_fn, "svcfw_setup_connections");
    self->hooks.setup_states = S_HOOK (self, svcfw_setup_models_fn, "svcfw_setup_states");
    self->hooks.init = S_HOOK (self, svcfw_init_fn, "svcfw_init");
    self->hooks.main = S_HOOK (self, svcfw_main_fn, "svcfw_main");
    self->hooks.sigint = S_HOOK (self, svcfw_sigint_fn, "svcfw_sigint");
    return self;
fail:
    plugin_destroy (&self);
    return NULL;
}

void
plugin_destroy (plugin_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    plugin_t *self = *self_p;
    if (self->handle)
        dlclose (self->handle);
    free (self->name);
    free (self);
    *self_p = NULL;
}

const char *
plugin_name (const plugin_t *self)
{
    return self->name;
}

const char *
plugin_models_text (const plugin_t *self)
{
    return self->models;
}

svcfw_handler_fn *
plugin_handler (const plugin_t *self, const char *name)
{
    return S_HOOK (self, svcfw_handler_fn, name);
}

const plugin_hooks_t *
plugin_hooks (const plugin_t *self)
{
    return &self->hooks;
}

int
plugin_check_models (const plugin_t *self, const models_t *models, bool main_mode, const char *path, char *err)
{
    for (int i = 0; i < models_count (models); i++) {
        const model_t *model = models_at (models, i);
        for (const char *const *key = models_handler_keys; *key; key++) {
            const char *name = model_string (model, *key, NULL);
            if (name && !plugin_handler (self, name))
                return err_set (err, "models: %s: %s names handler \"%s\", which %s does not export",
                                model->where, *key, name, path);
        }
        if (main_mode && model->is_in)
            return err_set (err, "models: %s: main mode (-m) takes no inbound %s (it is a leading edge)",
                            model->where, model->is_state? "states": "connections");
    }
    if (main_mode && !self->hooks.main)
        return err_set (err, "%s: main mode (-m) needs the plugin to export svcfw_main", path);
    return 0;
}
