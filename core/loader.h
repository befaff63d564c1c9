/*  loader.h - load a service plugin: dlopen, ABI check, models text, hooks.

    The plugin is opened with RTLD_NOW so an unresolved symbol fails at load,
    not at the first message; it is closed on every failure path.
*/
#ifndef LOADER_H_INCLUDED
#define LOADER_H_INCLUDED

#include <stdbool.h>
#include "err.h"
#include "models.h"
#include "svcfw.h"

typedef struct _plugin_t plugin_t;

/* Opens the plugin at `path` and checks `svcfw_abi_version` and
   `svcfw_models`. Returns a fresh plugin the caller owns (plugin_destroy),
   or NULL with err = "PATH: cannot load plugin: DLERROR",
   "PATH: plugin ABI version 2, but this svcfw supports 1 (rebuild it against
   this svcfw.h)", or "PATH: plugin does not export svcfw_models". */
plugin_t *plugin_load (const char *path, char *err);

/* Closes the plugin; accepts NULL and nulls the caller's pointer. Every
   pointer into the plugin is invalid afterwards. */
void plugin_destroy (plugin_t **self_p);

/* The service name: the file name without directory and ".so". Borrowed. */
const char *plugin_name (const plugin_t *self);

/* The plugin's models JSON text (NUL-terminated). Borrowed from the plugin. */
const char *plugin_models_text (const plugin_t *self);

/* The handler the plugin exports under `name`, or NULL. */
svcfw_handler_fn *plugin_handler (const plugin_t *self, const char *name);

/* The optional hooks, NULL where not exported. */
typedef struct {
    svcfw_setup_config_fn *setup_config;
    svcfw_setup_addresses_fn *setup_addresses;
    svcfw_setup_models_fn *setup_connections;
    svcfw_setup_models_fn *setup_states;
    svcfw_init_fn *init;
    svcfw_main_fn *main;
    svcfw_sigint_fn *sigint;
} plugin_hooks_t;

/* The hooks. Borrowed; valid until plugin_destroy. */
const plugin_hooks_t *plugin_hooks (const plugin_t *self);

/* What a service's startup checks of the plugin against its models (and
   svcfw check of every service of a graph): every handler the models name
   is exported; in main mode, no inbound connection or state and an
   exported svcfw_main. `path` names the plugin in errors. Returns 0, or -1
   with err = "models: connection_models.in.orders: on_new_request names
   handler \"x\", which PATH does not export", "models:
   connection_models.in.orders: main mode (-m) takes no inbound connections
   (it is a leading edge)" or "PATH: main mode (-m) needs the plugin to
   export svcfw_main". Any thread. */
int plugin_check_models (const plugin_t *self, const models_t *models, bool main_mode, const char *path,
                         char *err);

#endif
