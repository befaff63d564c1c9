/*  graph.h - a graph file: the services of a graph and how each is started.

    @header
    A graph file is JSON:
      {"services": {
         NAME: {"plugin": "PATH.so",                  required
                "addresses": "PATH" or {…},           optional (a file, or the document inline)
                "config": "PATH" or {…},              optional
                "main": false,                        optional: run in main mode (-m)
                "args": {KEY: VALUE},                 optional: --KEY VALUE config overrides
                "restart": "on-failure",              optional: on-failure (default), always, never
                "allow_unheard": ["CONN", …]}}}       optional: out connections whose topic may
                                                      go unheard (svcfw check)
    NAME is letters, digits, '_', '-' and '.'. Services keep the file's order.
    Paths are relative to the graph file's directory. A "plugin" that is a
    bare file name ("ticker.so", no '/') and is not in that directory is
    looked for in each directory of $SVCFW_PLUGIN_PATH (':'-separated), then
    in `examples/` beside the running svcfw executable (so `build/svcfw`
    finds the example plugins in `build/examples/`).
    `args` values are strings, numbers, booleans, objects or arrays; on the
    command line a string goes as it is, anything else as compact JSON, and
    svcfw converts it to the type the config model declares (as for any
    --key value). svcfw's own config keys go there too: `svcfw_admin`
    (HOST:PORT of the admin endpoint), `svcfw_curve_cert`, `svcfw_curve_allow`;
    a relative path in the two CURVE keys is made absolute against the graph
    file's directory.
    @discuss
    Inline addresses and config are kept in memory; they become files only
    when a command line is built for the service (graph_argv, into a
    directory the caller chooses), since svcfw -a/-c take files.
    graph_load reads and checks the file and every addresses/config file it
    names, but opens no plugin; graph_load_models then opens every plugin
    and reads its models (running only the data hooks, see there), which is
    what the binding sides (graph_socket_*) need.
    Every error is one line naming the graph file, the service and the key:
      "graph.json: service \"pricer\": \"restart\" must be one of on-failure, always, never, got \"sometimes\"".
    Functions are for one thread at a time (the caller's); nothing is shared.
    @end
*/
#ifndef GRAPH_H_INCLUDED
#define GRAPH_H_INCLUDED

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "err.h"
#include "addresses.h"
#include "models.h"

typedef enum {
    GRAPH_RESTART_ON_FAILURE,       //  restart when it exits non-zero or by a signal (default)
    GRAPH_RESTART_ALWAYS,           //  restart whenever it exits
    GRAPH_RESTART_NEVER,
} graph_restart_t;

//  One service of the graph. Every pointer is owned by the graph and valid
//  until graph_destroy.
typedef struct {
    const char *name;               //  the key in "services"
    const char *plugin;             //  absolute path of the plugin file (it exists)
    const char *addresses_path;     //  absolute path of the addresses file; NULL if inline or not given
    const char *config_path;        //  absolute path of the config file; NULL if inline or not given
    const cJSON *addresses;         //  the addresses document, loaded and shape-checked ({} if not given)
    const cJSON *config;            //  the config as the file or inline object gives it ({} if not given)
    const cJSON *args;              //  the args object as written (CURVE paths made absolute); {} if none
    const cJSON *effective_config;  //  config with args applied; after graph_load_models also converted
                                    //  to the declared types and through svcfw_setup_config
    bool main;                      //  main mode (-m)
    graph_restart_t restart;
    const char *admin;              //  svcfw_admin from args, else from config; NULL if none
    const cJSON *allow_unheard;     //  array of out connection names, or NULL
    const models_t *models;         //  NULL until graph_load_models
} graph_service_t;

//  One socket of one service, as the service will open it.
typedef struct {
    int service;                    //  index of the service (graph_service_at)
    const model_t *model;           //  its connection or state (borrowed from the service's models)
    const char *socket;             //  "replyer", "requester", "publisher" or "subscriber"
    bool bind;                      //  binds (a binding side) or connects
    char endpoint [ENDPOINT_LEN];   //  the ZeroMQ endpoint, normalised as svcfw does
    const char *server_key;         //  the CURVE server_key path the address gives, or NULL
} graph_socket_t;

typedef struct _graph_t graph_t;

/* Reads and checks the graph file at `path` and the addresses and config
   files it names; finds every plugin. Opens no plugin. Returns a fresh graph
   the caller owns (graph_destroy), or NULL with a one-line err naming the
   file, the service and the key. */
graph_t *graph_load (const char *path, char *err);

/* Destroys; accepts NULL and nulls the caller's pointer. */
void graph_destroy (graph_t **self_p);

/* The graph file's path as given, and its directory (absolute). Borrowed. */
const char *graph_path (const graph_t *self);
const char *graph_dir (const graph_t *self);

/* Number of services, service i (0 ≤ i < count) in file order, or the
   service with that name (NULL if none). Borrowed. */
int graph_service_count (const graph_t *self);
const graph_service_t *graph_service_at (const graph_t *self, int index);
const graph_service_t *graph_service_find (const graph_t *self, const char *name);

/* The restart policy's name as the file spells it. Static string. */
const char *graph_restart_name (graph_restart_t restart);

/* Opens every service's plugin (dlopen) and reads its models as the
   service's startup would: the config with args converted to the declared
   types, svcfw_setup_config on it, its validation, svcfw_setup_connections
   and svcfw_setup_states merged into the models, svcfw_setup_addresses on a
   copy of the addresses; then every socket's address. These data hooks are
   the only plugin code run; svcfw_init, svcfw_main, svcfw_sigint and no
   handler are ever called. Plugins stay open until graph_destroy. Fills in
   graph_service_t.models and the sockets. Returns 0, or -1 with err naming
   the graph file, the service and what failed (plugin, models, config,
   missing address). Calling it again does nothing. */
int graph_load_models (graph_t *self, char *err);

/* What service `index`'s own startup checks of its plugin (after
   graph_load_models): every handler its models name is exported; with
   "main": true, no inbound connection or state and an exported svcfw_main
   (core/loader.h plugin_check_models). Returns 0, or -1 with err =
   "GRAPH: service \"x\": models: connection_models.in.orders: on_new_request
   names handler \"f\", which PLUGIN does not export" (or the main mode rule). */
int graph_service_check_plugin (const graph_t *self, int index, char *err);

/* The sockets of every service (after graph_load_models; else 0), in
   service order, then each service's models order. Borrowed. */
int graph_socket_count (const graph_t *self);
const graph_socket_t *graph_socket_at (const graph_t *self, int index);

/* The command line that starts service `index`:
     SVCFW -s PLUGIN [-a ADDRESSES] [-c CONFIG] [-m] [--KEY VALUE]...
   with absolute paths, one --KEY VALUE per arg in the file's order (the
   args svcfw_admin, svcfw_curve_cert, svcfw_curve_allow become --admin,
   --curve-cert, --curve-allow). Inline addresses or config are first written to
   DIR/NAME.addresses.json and DIR/NAME.config.json (`dir` is needed only
   then; it must exist). Returns a fresh NULL-terminated array the caller
   owns (graph_argv_destroy), or NULL with err. */
char **graph_argv (const graph_t *self, int index, const char *svcfw, const char *dir, char *err);

/* Frees an array from graph_argv; accepts NULL and nulls the caller's pointer. */
void graph_argv_destroy (char ***argv_p);

/* Removes `dir`, a directory graph_argv wrote inline files into, with the
   files in it (not those whose names start with '.'; then dir stays). */
void graph_scratch_remove (const char *dir);

#endif
