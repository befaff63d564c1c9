/*  gen.c - `svcfw gen systemd|compose|k8s GRAPH [-o DIR]`: deployment files for a graph.

    @discuss
    Every kind starts from the service's own command line (graph_argv), so
    args, main mode and svcfw's own options (--admin, --curve-*) come out
    as `svcfw up` would run them. systemd keeps the machine's absolute
    paths; compose and k8s run in containers of an image holding svcfw
    (on PATH) and the plugins (in --plugin-dir), with the addresses
    rewritten so services find each other by name (gen.h).
    @end
*/
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "gen.h"
#include "json.h"
#include "up.h"
#include "check.h"

typedef enum { GEN_SYSTEMD, GEN_COMPOSE, GEN_K8S } gen_kind_t;

typedef struct {
    gen_kind_t kind;
    const char *graph_path;
    const char *dir;            //  -o; "." by default
    const char *image;          //  compose/k8s
    const char *plugin_dir;     //  compose/k8s: where the image keeps the plugins
    const char *svcfw;          //  systemd: the executable; NULL: this one
} gen_opts_t;

typedef struct {
    const gen_opts_t *opts;
    graph_t *graph;
    char name [64];             //  the graph's name: the file's stem, or its directory's for graph.json
    char scratch [PATH_MAX];    //  graph_argv's inline files, removed at the end
    FILE *listing;              //  stdout: the files written
} gen_t;

//  Host name callback for rewritten addresses: the name of binding socket
//  `bound` as the others reach it.
typedef void (gen_host_fn) (gen_t *self, const graph_socket_t *bound, char *out, size_t size);

//  ---------------------------------------------------------------------------
//  Helpers

void
gen_dns_name (const char *name, char *out)
{
    size_t n = 0;
    if (!isalpha ((unsigned char) name [0]))
        out [n++] = 's';
    for (const char *c = name; *c && n < 63; c++) {
        char ch = (char) tolower ((unsigned char) *c);
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!ok && (n == 0 || out [n - 1] == '-'))
            continue;           //  no leading or double '-'
        out [n++] = ok? ch: '-';
    }
    while (n > 1 && out [n - 1] == '-')
        n--;
    out [n] = 0;
}

//  A YAML key: plain when it is safe, else JSON-quoted.
static void
s_yaml_key (FILE *out, const char *key)
{
    bool plain = *key != 0;
    for (const char *c = key; *c && plain; c++)
        plain = isalnum ((unsigned char) *c) || strchr ("_.-/", *c);
    if (plain)
        fprintf (out, "%s:", key);
    else {
        cJSON *text = cJSON_CreateString (key);
        char *quoted = text? cJSON_PrintUnformatted (text): NULL;
        fprintf (out, "%s:", quoted? quoted: "\"\"");
        cJSON_free (quoted);
        cJSON_Delete (text);
    }
}

static bool
s_yaml_nested (const cJSON *value)
{
    return (cJSON_IsObject (value) || cJSON_IsArray (value)) && value->child;
}

static void
s_yaml_scalar (FILE *out, const cJSON *value)
{
    if (cJSON_IsObject (value))
        fputs ("{}", out);
    else
    if (cJSON_IsArray (value))
        fputs ("[]", out);
    else {
        char *text = cJSON_PrintUnformatted (value);
        fputs (text? text: "null", out);
        cJSON_free (text);
    }
}

//  Writes `value`'s members or items, the first one's line already
//  indented (`first_done`: the caller wrote "- " before it).
static void
s_yaml_body (FILE *out, const cJSON *value, int indent, bool first_done)
{
    const cJSON *item;
    bool first = true;
    cJSON_ArrayForEach (item, value) {
        if (!(first && first_done))
            fprintf (out, "%*s", indent, "");
        first = false;
        if (cJSON_IsObject (value)) {
            s_yaml_key (out, item->string);
            if (s_yaml_nested (item)) {
                fputc ('\n', out);
                s_yaml_body (out, item, cJSON_IsArray (item)? indent: indent + 2, false);
            }
            else {
                fputc (' ', out);
                s_yaml_scalar (out, item);
                fputc ('\n', out);
            }
        }
        else {
            if (cJSON_IsObject (item) && item->child) {
                fputs ("- ", out);
                s_yaml_body (out, item, indent + 2, true);
            }
            else
            if (s_yaml_nested (item)) {
                fputs ("-\n", out);
                s_yaml_body (out, item, indent + 2, false);
            }
            else {
                fputs ("- ", out);
                s_yaml_scalar (out, item);
                fputc ('\n', out);
            }
        }
    }
}

void
gen_yaml (FILE *out, const cJSON *value, int indent)
{
    if (s_yaml_nested (value))
        s_yaml_body (out, value, indent, false);
    else {
        fprintf (out, "%*s", indent, "");
        s_yaml_scalar (out, value);
        fputc ('\n', out);
    }
}

//  The port of a tcp:// endpoint, or 0.
static int
s_port (const char *endpoint)
{
    if (strncmp (endpoint, "tcp://", 6) != 0)
        return 0;
    const char *colon = strrchr (endpoint, ':');
    return colon? atoi (colon + 1): 0;
}

//  The binding socket of the graph that `conn` (connecting) reaches, or NULL.
static const graph_socket_t *
s_bound_for (const graph_t *graph, const graph_socket_t *conn)
{
    for (int j = 0; j < graph_socket_count (graph); j++) {
        const graph_socket_t *bound = graph_socket_at (graph, j);
        if (bound->bind && bound->service != conn->service && graph_endpoints_meet (bound->endpoint, conn->endpoint))
            return bound;
    }
    return NULL;
}

//  Service `index`'s addresses: only its own sockets' entries, each TCP
//  endpoint rewritten (gen.h). Returns a fresh tree the caller owns
//  (cJSON_Delete), or NULL when out of memory.
static cJSON *
s_rewrite_addresses (gen_t *self, int index, gen_host_fn *host_fn)
{
    const graph_service_t *service = graph_service_at (self->graph, index);
    cJSON *doc = cJSON_CreateObject ();
    for (int i = 0; doc && i < graph_socket_count (self->graph); i++) {
        const graph_socket_t *socket = graph_socket_at (self->graph, i);
        if (socket->service != index)
            continue;
        const char *path [3] = { socket->model->is_state? "states": "connections",
                                 socket->model->is_in? "in": "out", socket->model->name };
        const cJSON *from = service->addresses;
        cJSON *to = doc;
        for (int p = 0; p < 3; p++) {
            from = cJSON_GetObjectItemCaseSensitive (from, path [p]);
            cJSON *next = cJSON_GetObjectItemCaseSensitive (to, path [p]);
            to = next? next: cJSON_AddObjectToObject (to, path [p]);
        }
        const cJSON *given = cJSON_GetObjectItemCaseSensitive (from, socket->socket);
        if (!given || !to)
            continue;
        cJSON *value = cJSON_Duplicate (given, true);
        cJSON_AddItemToObject (to, socket->socket, value);
        int port = s_port (socket->endpoint);
        if (!port)
            continue;           //  not TCP: kept as written
        char endpoint [ENDPOINT_LEN + 64];
        if (socket->bind)
            snprintf (endpoint, sizeof endpoint, "tcp://*:%d", port);
        else {
            const graph_socket_t *bound = s_bound_for (self->graph, socket);
            if (!bound)
                continue;       //  outside the graph: kept as written
            char host [128];
            host_fn (self, bound, host, sizeof host);
            snprintf (endpoint, sizeof endpoint, "tcp://%s:%d", host, port);
        }
        if (cJSON_IsObject (value))
            cJSON_ReplaceItemInObjectCaseSensitive (value, "endpoint", cJSON_CreateString (endpoint));
        else
            cJSON_ReplaceItemInObjectCaseSensitive (to, socket->socket, cJSON_CreateString (endpoint));
    }
    return doc;
}

//  Writes `text` to DIR/NAME (NAME may hold one '/': its directory is made)
//  and lists the file. 0, or -1 with err.
static int
s_write (gen_t *self, const char *name, const char *text, char *err)
{
    char path [PATH_MAX];
    if (snprintf (path, sizeof path, "%s/%s", self->opts->dir, name) >= (int) sizeof path)
        return err_set (err, "%s/%s: path too long", self->opts->dir, name);
    char *slash = strrchr (path, '/');
    if (slash && slash > path + strlen (self->opts->dir)) {
        *slash = 0;
        if (mkdir (path, 0755) && errno != EEXIST)
            return err_set (err, "cannot make %s: %s", path, strerror (errno));
        *slash = '/';
    }
    FILE *file = fopen (path, "w");
    bool ok = file && fputs (text, file) >= 0;
    if (file && fclose (file))
        ok = false;
    if (!ok)
        return err_set (err, "cannot write %s: %s", path, strerror (errno));
    fprintf (self->listing, "%s\n", path);
    return 0;
}

//  A YAML or JSON document as text: fresh, the caller frees it (free).
static char *
s_yaml_text (const cJSON *doc)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    if (!out)
        return NULL;
    gen_yaml (out, doc, 0);
    fclose (out);
    return text;
}

static char *
s_json_text (const cJSON *doc, bool pretty)
{
    char *printed = pretty? cJSON_Print (doc): cJSON_PrintUnformatted (doc);
    char *text = NULL;
    if (printed && asprintf (&text, "%s%s", printed, pretty? "\n": "") < 0)
        text = NULL;
    cJSON_free (printed);
    return text;
}

//  The service's command line (graph_argv), freshly allocated.
static char **
s_argv (gen_t *self, int index, const char *svcfw, char *err)
{
    return graph_argv (self->graph, index, svcfw, self->scratch, err);
}

//  True if the service keeps an outbox, an inbox or an out-state.
static bool
s_stateful (const graph_service_t *service)
{
    for (int m = 0; m < models_count (service->models); m++) {
        const model_t *model = models_at (service->models, m);
        if (model->kind == MODEL_DELTA_UPDATE_OUT || model->kind == MODEL_FULL_UPDATE_OUT
        ||  model_bool (model, "durable", false) || model_bool (model, "dedupe", false))
            return true;
    }
    return false;
}

static const char *
s_basename (const char *path)
{
    const char *slash = strrchr (path, '/');
    return slash? slash + 1: path;
}

//  The container's command: svcfw with the plugin from --plugin-dir, the
//  addresses at `addresses` and the config at `config` (each NULL: as
//  graph_argv gives it, which is none or a host path), --admin on every
//  interface. Returns a fresh array the caller owns, or NULL with err.
static cJSON *
s_container_command (gen_t *self, int index, const char *addresses, const char *config, int *admin_port,
                     char *err)
{
    char **argv = s_argv (self, index, "svcfw", err);
    if (!argv)
        return NULL;
    cJSON *command = cJSON_CreateArray ();
    bool has_config = false;
    *admin_port = 0;
    for (int i = 0; argv [i]; i++) {
        const char *arg = argv [i];
        char buf [PATH_MAX + 64];
        cJSON_AddItemToArray (command, cJSON_CreateString (arg));
        if (!argv [i + 1])
            continue;
        const char *next = argv [i + 1];
        if (strcmp (arg, "-s") == 0) {
            snprintf (buf, sizeof buf, "%s/%s", self->opts->plugin_dir, s_basename (next));
            next = buf;
        }
        else
        if (strcmp (arg, "-a") == 0 && addresses)
            next = addresses;
        else
        if (strcmp (arg, "-c") == 0) {
            has_config = true;
            if (config)
                next = config;
        }
        else
        if (strcmp (arg, "--admin") == 0) {
            //  The probes come from outside the container.
            const char *colon = strrchr (next, ':');
            *admin_port = colon? atoi (colon + 1): 0;
            snprintf (buf, sizeof buf, "0.0.0.0:%d", *admin_port);
            next = buf;
        }
        else
            continue;
        cJSON_AddItemToArray (command, cJSON_CreateString (next));
        i++;
    }
    if (!has_config && config) {
        cJSON_AddItemToArray (command, cJSON_CreateString ("-c"));
        cJSON_AddItemToArray (command, cJSON_CreateString (config));
    }
    graph_argv_destroy (&argv);
    return command;
}

//  ---------------------------------------------------------------------------
//  systemd

static void
s_exec_quoted (FILE *out, const char *word)
{
    fputc ('"', out);
    for (const char *c = word; *c; c++) {
        if (*c == '\\' || *c == '"')
            fputc ('\\', out);
        if (*c == '%' || *c == '$')
            fputc (*c, out);
        fputc (*c, out);
    }
    fputc ('"', out);
}

//  A word of ExecStart, quoted for systemd: "…" with \ and " escaped,
//  % as %% and $ as $$ (no specifier or variable expansion).
static void
s_exec_word (FILE *out, const char *word)
{
    if (*word && !strpbrk (word, " \t\\\"'%$;"))
        fputs (word, out);      //  nothing to quote
    else
        s_exec_quoted (out, word);
}

static int
s_gen_systemd (gen_t *self, char *err)
{
    char svcfw [PATH_MAX];
    if (self->opts->svcfw)
        snprintf (svcfw, sizeof svcfw, "%s", self->opts->svcfw);
    else {
        ssize_t len = readlink ("/proc/self/exe", svcfw, sizeof svcfw - 1);
        if (len <= 0)
            return err_set (err, "cannot find the svcfw executable (/proc/self/exe): %s", strerror (errno));
        svcfw [len] = 0;
    }
    //  Inline addresses and config become files beside the units.
    snprintf (self->scratch, sizeof self->scratch, "%s", self->opts->dir);
    int count = graph_service_count (self->graph);
    char *target_wants = NULL;
    size_t wants_size = 0;
    FILE *wants = open_memstream (&target_wants, &wants_size);
    int rc = 0;
    for (int i = 0; i < count && rc == 0 && wants; i++) {
        const graph_service_t *service = graph_service_at (self->graph, i);
        char **argv = s_argv (self, i, svcfw, err);
        if (!argv) {
            rc = -1;
            break;
        }
        //  The inline files graph_argv just wrote into DIR: list them.
        char real [PATH_MAX];
        size_t real_len = realpath (self->opts->dir, real)? strlen (real): 0;
        for (int a = 0; real_len && argv [a] && argv [a + 1]; a++)
            if ((strcmp (argv [a], "-a") == 0 || strcmp (argv [a], "-c") == 0)
            &&  strncmp (argv [a + 1], real, real_len) == 0 && argv [a + 1][real_len] == '/'
            &&  !strchr (argv [a + 1] + real_len + 1, '/'))
                fprintf (self->listing, "%s\n", argv [a + 1]);
        char *text = NULL;
        size_t size = 0;
        FILE *unit = open_memstream (&text, &size);
        fprintf (unit, "# svcfw gen systemd %s: service %s\n", graph_path (self->graph), service->name);
        fprintf (unit, "[Unit]\nDescription=svcfw service %s of graph %s\nPartOf=svcfw-%s.target\n",
                 service->name, self->name, self->name);
        for (int j = 0; j < count; j++)
            if (j != i && up_depends (self->graph, i, j)) {
                const char *peer = graph_service_at (self->graph, j)->name;
                fprintf (unit, "After=svcfw-%s-%s.service\nWants=svcfw-%s-%s.service\n",
                         self->name, peer, self->name, peer);
            }
        fprintf (unit, "\n[Service]\nType=notify\nNotifyAccess=main\nWatchdogSec=%d\n", GEN_WATCHDOG_S);
        fprintf (unit, "Restart=%s\nRestartSec=1\nTimeoutStopSec=%d\nWorkingDirectory=%s\nExecStart=",
                 service->restart == GRAPH_RESTART_ALWAYS? "always":
                 service->restart == GRAPH_RESTART_NEVER? "no": "on-failure",
                 GEN_STOP_S, graph_dir (self->graph));
        for (int a = 0; argv [a]; a++) {
            if (a)
                fputc (' ', unit);
            s_exec_word (unit, argv [a]);
        }
        fprintf (unit, "\n\n[Install]\nWantedBy=svcfw-%s.target\n", self->name);
        fclose (unit);
        graph_argv_destroy (&argv);
        char name [PATH_MAX];
        snprintf (name, sizeof name, "svcfw-%s-%s.service", self->name, service->name);
        rc = text? s_write (self, name, text, err): err_set (err, "out of memory");
        free (text);
        fprintf (wants, "Wants=svcfw-%s-%s.service\n", self->name, service->name);
    }
    if (wants)
        fclose (wants);
    if (rc == 0) {
        char *text = NULL, name [PATH_MAX];
        if (asprintf (&text, "# svcfw gen systemd %s: every service of the graph\n"
                             "[Unit]\nDescription=svcfw graph %s\n%s\n[Install]\nWantedBy=multi-user.target\n",
                      graph_path (self->graph), self->name, target_wants? target_wants: "") < 0)
            text = NULL;
        snprintf (name, sizeof name, "svcfw-%s.target", self->name);
        rc = text? s_write (self, name, text, err): err_set (err, "out of memory");
        free (text);
    }
    free (target_wants);
    *self->scratch = 0;         //  the inline files stay: the units name them
    return rc;
}

//  ---------------------------------------------------------------------------
//  Docker Compose

static void
s_compose_host (gen_t *self, const graph_socket_t *bound, char *out, size_t size)
{
    snprintf (out, size, "%s", graph_service_at (self->graph, bound->service)->name);
}

static int
s_gen_compose (gen_t *self, char *err)
{
    cJSON *doc = cJSON_CreateObject ();
    cJSON_AddStringToObject (doc, "version", "3.8");
    cJSON *services = cJSON_AddObjectToObject (doc, "services");
    int rc = 0;
    for (int i = 0; i < graph_service_count (self->graph) && rc == 0; i++) {
        const graph_service_t *service = graph_service_at (self->graph, i);
        char mount [PATH_MAX], file [PATH_MAX], addresses [PATH_MAX], config [PATH_MAX];
        snprintf (mount, sizeof mount, "/svcfw/%s", service->name);
        snprintf (addresses, sizeof addresses, "%s/addresses.json", mount);
        snprintf (config, sizeof config, "%s/config.json", mount);
        cJSON *rewritten = s_rewrite_addresses (self, i, s_compose_host);
        char *text = rewritten? s_json_text (rewritten, true): NULL;
        snprintf (file, sizeof file, "%s/addresses.json", service->name);
        rc = text? s_write (self, file, text, err): err_set (err, "out of memory");
        free (text);
        cJSON_Delete (rewritten);
        text = rc? NULL: s_json_text (service->config, true);
        snprintf (file, sizeof file, "%s/config.json", service->name);
        if (rc == 0)
            rc = text? s_write (self, file, text, err): err_set (err, "out of memory");
        free (text);
        int admin = 0;
        cJSON *command = rc? NULL: s_container_command (self, i, addresses, config, &admin, err);
        if (!command) {
            rc = -1;
            break;
        }
        cJSON *entry = cJSON_AddObjectToObject (services, service->name);
        cJSON_AddStringToObject (entry, "image", self->opts->image);
        cJSON_AddItemToObject (entry, "command", command);
        cJSON_AddStringToObject (entry, "working_dir", mount);
        cJSON *volumes = cJSON_AddArrayToObject (entry, "volumes");
        char volume [PATH_MAX * 2];
        snprintf (volume, sizeof volume, "./%s:%s", service->name, mount);
        cJSON_AddItemToArray (volumes, cJSON_CreateString (volume));
        cJSON_AddStringToObject (entry, "restart", service->restart == GRAPH_RESTART_ALWAYS? "always":
                                 service->restart == GRAPH_RESTART_NEVER? "no": "on-failure");
        char grace [16];
        snprintf (grace, sizeof grace, "%ds", GEN_STOP_S);
        cJSON_AddStringToObject (entry, "stop_grace_period", grace);
        cJSON *depends = NULL;
        for (int j = 0; j < graph_service_count (self->graph); j++)
            if (j != i && up_depends (self->graph, i, j)) {
                if (!depends)
                    depends = cJSON_AddArrayToObject (entry, "depends_on");
                cJSON_AddItemToArray (depends, cJSON_CreateString (graph_service_at (self->graph, j)->name));
            }
    }
    char *text = rc? NULL: s_yaml_text (doc);
    if (rc == 0) {
        char *full = NULL;
        if (!text || asprintf (&full, "# svcfw gen compose %s\n%s", graph_path (self->graph), text) < 0)
            full = NULL;
        rc = full? s_write (self, "docker-compose.yml", full, err): err_set (err, "out of memory");
        free (full);
    }
    free (text);
    cJSON_Delete (doc);
    return rc;
}

//  ---------------------------------------------------------------------------
//  Kubernetes

//  The Service of a binding socket: SERVICE-ENTRY-SOCKET as a DNS label.
static void
s_k8s_socket_service (gen_t *self, const graph_socket_t *bound, char *out, size_t size)
{
    char raw [512];
    snprintf (raw, sizeof raw, "%s-%s-%s", graph_service_at (self->graph, bound->service)->name,
              bound->model->name, bound->socket);
    char dns [64];
    gen_dns_name (raw, dns);
    snprintf (out, size, "%s", dns);
}

static cJSON *
s_k8s_meta (const char *kind, const char *name, const char *app, const char *graph)
{
    cJSON *doc = cJSON_CreateObject ();
    cJSON_AddStringToObject (doc, "apiVersion", strcmp (kind, "Deployment") == 0
                             || strcmp (kind, "StatefulSet") == 0? "apps/v1": "v1");
    cJSON_AddStringToObject (doc, "kind", kind);
    cJSON *meta = cJSON_AddObjectToObject (doc, "metadata");
    cJSON_AddStringToObject (meta, "name", name);
    cJSON *labels = cJSON_AddObjectToObject (meta, "labels");
    cJSON_AddStringToObject (labels, "app.kubernetes.io/name", app);
    cJSON_AddStringToObject (labels, "app.kubernetes.io/part-of", graph);
    return doc;
}

static cJSON *
s_k8s_labels (const char *app, const char *graph)
{
    cJSON *labels = cJSON_CreateObject ();
    cJSON_AddStringToObject (labels, "app.kubernetes.io/name", app);
    cJSON_AddStringToObject (labels, "app.kubernetes.io/part-of", graph);
    return labels;
}

static cJSON *
s_k8s_probe (const char *path, int port, int period)
{
    cJSON *probe = cJSON_CreateObject ();
    cJSON *get = cJSON_AddObjectToObject (probe, "httpGet");
    cJSON_AddStringToObject (get, "path", path);
    cJSON_AddNumberToObject (get, "port", port);
    cJSON_AddNumberToObject (probe, "periodSeconds", period);
    cJSON_AddNumberToObject (probe, "failureThreshold", 3);
    return probe;
}

//  The documents of service `index`, appended to `docs`.
static int
s_k8s_service (gen_t *self, int index, cJSON *docs, char *err)
{
    const graph_service_t *service = graph_service_at (self->graph, index);
    char app [64], graph [64], name [128];
    gen_dns_name (service->name, app);
    gen_dns_name (self->name, graph);
    bool stateful = s_stateful (service);
    bool has_addresses = service->addresses_path || service->addresses->child;

    //  ConfigMap: the rewritten addresses, the config.
    snprintf (name, sizeof name, "%s-config", app);
    cJSON *map = s_k8s_meta ("ConfigMap", name, app, graph);
    cJSON *data = cJSON_AddObjectToObject (map, "data");
    cJSON *rewritten = s_rewrite_addresses (self, index, s_k8s_socket_service);
    char *text = rewritten? s_json_text (rewritten, false): NULL;
    cJSON_Delete (rewritten);
    cJSON_AddStringToObject (data, "addresses.json", text? text: "{}");
    free (text);
    text = s_json_text (service->config, false);
    cJSON_AddStringToObject (data, "config.json", text? text: "{}");
    free (text);
    cJSON_AddItemToArray (docs, map);

    //  A Service per binding TCP socket.
    cJSON *ports = cJSON_CreateArray ();
    for (int i = 0; i < graph_socket_count (self->graph); i++) {
        const graph_socket_t *socket = graph_socket_at (self->graph, i);
        int port = s_port (socket->endpoint);
        if (socket->service != index || !socket->bind || !port)
            continue;
        char svc [64];
        s_k8s_socket_service (self, socket, svc, sizeof svc);
        cJSON *doc = s_k8s_meta ("Service", svc, app, graph);
        cJSON *spec = cJSON_AddObjectToObject (doc, "spec");
        cJSON_AddItemToObject (spec, "selector", s_k8s_labels (app, graph));
        cJSON *list = cJSON_AddArrayToObject (spec, "ports");
        cJSON *entry = cJSON_CreateObject ();
        cJSON_AddStringToObject (entry, "name", socket->socket);
        cJSON_AddNumberToObject (entry, "port", port);
        cJSON_AddNumberToObject (entry, "targetPort", port);
        cJSON_AddStringToObject (entry, "protocol", "TCP");
        cJSON_AddItemToArray (list, entry);
        cJSON_AddItemToArray (docs, doc);
        entry = cJSON_CreateObject ();
        cJSON_AddNumberToObject (entry, "containerPort", port);
        cJSON_AddStringToObject (entry, "protocol", "TCP");
        cJSON_AddItemToArray (ports, entry);
    }
    if (stateful) {
        //  The StatefulSet's governing Service (headless).
        cJSON *doc = s_k8s_meta ("Service", app, app, graph);
        cJSON *spec = cJSON_AddObjectToObject (doc, "spec");
        cJSON_AddStringToObject (spec, "clusterIP", "None");
        cJSON_AddItemToObject (spec, "selector", s_k8s_labels (app, graph));
        cJSON_AddItemToArray (docs, doc);
    }

    //  The workload.
    const char *data_dir = "/var/lib/svcfw", *config_dir = "/etc/svcfw";
    char addresses [PATH_MAX], config [PATH_MAX];
    snprintf (addresses, sizeof addresses, "%s/addresses.json", config_dir);
    snprintf (config, sizeof config, "%s/config.json", stateful? data_dir: config_dir);
    int admin = 0;
    cJSON *command = s_container_command (self, index, has_addresses? addresses: NULL, config, &admin, err);
    if (!command) {
        cJSON_Delete (ports);
        return -1;
    }
    cJSON *doc = s_k8s_meta (stateful? "StatefulSet": "Deployment", app, app, graph);
    cJSON *spec = cJSON_AddObjectToObject (doc, "spec");
    cJSON_AddNumberToObject (spec, "replicas", 1);
    if (stateful)
        cJSON_AddStringToObject (spec, "serviceName", app);
    cJSON *selector = cJSON_AddObjectToObject (spec, "selector");
    cJSON_AddItemToObject (selector, "matchLabels", s_k8s_labels (app, graph));
    cJSON *template = cJSON_AddObjectToObject (spec, "template");
    cJSON *meta = cJSON_AddObjectToObject (template, "metadata");
    cJSON_AddItemToObject (meta, "labels", s_k8s_labels (app, graph));
    cJSON *pod = cJSON_AddObjectToObject (template, "spec");
    cJSON_AddNumberToObject (pod, "terminationGracePeriodSeconds", GEN_GRACE_S);
    cJSON *containers = cJSON_AddArrayToObject (pod, "containers");
    cJSON *container = cJSON_CreateObject ();
    cJSON_AddItemToArray (containers, container);
    cJSON_AddStringToObject (container, "name", app);
    cJSON_AddStringToObject (container, "image", self->opts->image);
    cJSON_AddItemToObject (container, "command", command);
    if (stateful)
        cJSON_AddStringToObject (container, "workingDir", data_dir);
    if (admin) {
        cJSON *entry = cJSON_CreateObject ();
        cJSON_AddStringToObject (entry, "name", "admin");
        cJSON_AddNumberToObject (entry, "containerPort", admin);
        cJSON_AddStringToObject (entry, "protocol", "TCP");
        cJSON_AddItemToArray (ports, entry);
    }
    if (ports->child)
        cJSON_AddItemToObject (container, "ports", ports);
    else
        cJSON_Delete (ports);
    if (admin) {
        cJSON_AddItemToObject (container, "livenessProbe", s_k8s_probe ("/livez", admin, 10));
        cJSON_AddItemToObject (container, "readinessProbe", s_k8s_probe ("/readyz", admin, 5));
    }
    //  The Service stops sending to the pod while it sleeps, then svcfw's
    //  own stop drains what it holds; all within the grace period.
    cJSON *stop = cJSON_AddObjectToObject (cJSON_AddObjectToObject (container, "lifecycle"), "preStop");
    cJSON *exec = cJSON_AddArrayToObject (cJSON_AddObjectToObject (stop, "exec"), "command");
    char seconds [16];
    snprintf (seconds, sizeof seconds, "%d", GEN_PRESTOP_S);
    cJSON_AddItemToArray (exec, cJSON_CreateString ("sleep"));
    cJSON_AddItemToArray (exec, cJSON_CreateString (seconds));
    cJSON *mounts = cJSON_AddArrayToObject (container, "volumeMounts");
    cJSON *mount = cJSON_CreateObject ();
    cJSON_AddStringToObject (mount, "name", "config");
    if (stateful) {
        //  The config file on the volume (subPath), so the outbox and
        //  inbox files svcfw keeps beside it are on the volume too.
        cJSON_AddItemToArray (mounts, mount);
        cJSON_AddStringToObject (mount, "mountPath", addresses);
        cJSON_AddStringToObject (mount, "subPath", "addresses.json");
        cJSON_AddBoolToObject (mount, "readOnly", true);
        mount = cJSON_CreateObject ();
        cJSON_AddStringToObject (mount, "name", "data");
        cJSON_AddStringToObject (mount, "mountPath", data_dir);
        cJSON_AddItemToArray (mounts, mount);
        mount = cJSON_CreateObject ();
        cJSON_AddStringToObject (mount, "name", "config");
        cJSON_AddStringToObject (mount, "mountPath", config);
        cJSON_AddStringToObject (mount, "subPath", "config.json");
    }
    else
        cJSON_AddStringToObject (mount, "mountPath", config_dir);
    cJSON_AddBoolToObject (mount, "readOnly", true);
    cJSON_AddItemToArray (mounts, mount);
    cJSON *volumes = cJSON_AddArrayToObject (pod, "volumes");
    cJSON *volume = cJSON_CreateObject ();
    cJSON_AddStringToObject (volume, "name", "config");
    snprintf (name, sizeof name, "%s-config", app);
    cJSON_AddStringToObject (cJSON_AddObjectToObject (volume, "configMap"), "name", name);
    cJSON_AddItemToArray (volumes, volume);
    if (stateful) {
        cJSON *claims = cJSON_AddArrayToObject (spec, "volumeClaimTemplates");
        cJSON *claim = cJSON_CreateObject ();
        cJSON_AddItemToArray (claims, claim);
        cJSON_AddStringToObject (cJSON_AddObjectToObject (claim, "metadata"), "name", "data");
        cJSON *claim_spec = cJSON_AddObjectToObject (claim, "spec");
        cJSON_AddItemToArray (cJSON_AddArrayToObject (claim_spec, "accessModes"), cJSON_CreateString ("ReadWriteOnce"));
        cJSON_AddStringToObject (cJSON_AddObjectToObject (cJSON_AddObjectToObject (claim_spec, "resources"), "requests"),
                                 "storage", "1Gi");
    }
    cJSON_AddItemToArray (docs, doc);
    return 0;
}

static int
s_gen_k8s (gen_t *self, char *err)
{
    cJSON *docs = cJSON_CreateArray ();
    int rc = 0;
    for (int i = 0; i < graph_service_count (self->graph) && rc == 0; i++)
        rc = s_k8s_service (self, i, docs, err);
    char *text = NULL;
    size_t size = 0;
    FILE *out = rc? NULL: open_memstream (&text, &size);
    if (out) {
        fprintf (out, "# svcfw gen k8s %s\n", graph_path (self->graph));
        const cJSON *doc;
        cJSON_ArrayForEach (doc, docs) {
            fputs ("---\n", out);
            gen_yaml (out, doc, 0);
        }
        fclose (out);
        char name [128];
        snprintf (name, sizeof name, "%s.k8s.yaml", self->name);
        rc = text? s_write (self, name, text, err): err_set (err, "out of memory");
    }
    else
    if (rc == 0)
        rc = err_set (err, "out of memory");
    free (text);
    cJSON_Delete (docs);
    return rc;
}

//  ---------------------------------------------------------------------------

static int
s_usage (const char *fmt, const char *arg)
{
    fprintf (stderr, "svcfw: usage: gen: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, " (see svcfw --help)\n");
    return 2;
}

int
gen_command (int argc, char **argv)
{
    gen_opts_t opts = { .dir = ".", .image = GEN_IMAGE, .plugin_dir = GEN_PLUGIN_DIR };
    const char *kind = NULL;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv [i];
        const char **value = strcmp (arg, "-o") == 0? &opts.dir:
                             strcmp (arg, "--image") == 0? &opts.image:
                             strcmp (arg, "--plugin-dir") == 0? &opts.plugin_dir:
                             strcmp (arg, "--svcfw") == 0? &opts.svcfw: NULL;
        if (value) {
            if (i + 1 >= argc)
                return s_usage ("%s needs a value", arg);
            *value = argv [++i];
        }
        else
        if (arg [0] == '-' && arg [1])
            return s_usage ("unknown option \"%s\" (systemd|compose|k8s GRAPH [-o DIR])", arg);
        else
        if (!kind)
            kind = arg;
        else
        if (!opts.graph_path)
            opts.graph_path = arg;
        else
            return s_usage ("unexpected argument \"%s\" (systemd|compose|k8s GRAPH [-o DIR])", arg);
    }
    if (!kind || !opts.graph_path)
        return s_usage ("needs a kind and a GRAPH file (systemd|compose|k8s GRAPH [-o DIR])%s", "");
    if (strcmp (kind, "systemd") == 0)
        opts.kind = GEN_SYSTEMD;
    else
    if (strcmp (kind, "compose") == 0)
        opts.kind = GEN_COMPOSE;
    else
    if (strcmp (kind, "k8s") == 0 || strcmp (kind, "kubernetes") == 0)
        opts.kind = GEN_K8S;
    else
        return s_usage ("unknown kind \"%s\" (systemd, compose or k8s)", kind);
    if (opts.svcfw && opts.svcfw [0] != '/')
        return s_usage ("--svcfw \"%s\" must be an absolute path (systemd runs it as written)", opts.svcfw);

    char err [ERR_LEN];
    gen_t self = { .opts = &opts, .listing = stdout };
    self.graph = graph_load (opts.graph_path, err);
    if (!self.graph || graph_load_models (self.graph, err)) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        graph_destroy (&self.graph);
        return 1;
    }
    //  The graph's name: the file's stem; for graph.json, its directory's.
    const char *base = s_basename (opts.graph_path);
    char stem [PATH_MAX];
    snprintf (stem, sizeof stem, "%s", base);
    char *dot = strrchr (stem, '.');
    if (dot && dot != stem)
        *dot = 0;
    if (strcmp (stem, "graph") == 0)
        snprintf (stem, sizeof stem, "%s", s_basename (graph_dir (self.graph)));
    gen_dns_name (stem, self.name);

    int rc = 0;
    struct stat st;
    char parents [PATH_MAX];
    snprintf (parents, sizeof parents, "%s", opts.dir);
    for (char *slash = parents + 1; (slash = strchr (slash, '/')); slash++) {
        *slash = 0;             //  mkdir -p
        mkdir (parents, 0755);
        *slash = '/';
    }
    if (mkdir (opts.dir, 0755) && errno != EEXIST)
        rc = err_set (err, "cannot make %s: %s", opts.dir, strerror (errno));
    else
    if (stat (opts.dir, &st) || !S_ISDIR (st.st_mode))
        rc = err_set (err, "-o %s: not a directory", opts.dir);
    if (rc == 0 && opts.kind != GEN_SYSTEMD) {
        const char *tmp = getenv ("TMPDIR");
        snprintf (self.scratch, sizeof self.scratch, "%s/svcfw-gen.XXXXXX", tmp && *tmp? tmp: "/tmp");
        if (!mkdtemp (self.scratch)) {
            rc = err_set (err, "cannot make a directory in %s: %s", tmp && *tmp? tmp: "/tmp", strerror (errno));
            *self.scratch = 0;
        }
    }
    if (rc == 0)
        rc = opts.kind == GEN_SYSTEMD? s_gen_systemd (&self, err):
             opts.kind == GEN_COMPOSE? s_gen_compose (&self, err): s_gen_k8s (&self, err);
    if (*self.scratch)
        graph_scratch_remove (self.scratch);
    if (rc)
        fprintf (stderr, "svcfw: error: %s\n", err);
    graph_destroy (&self.graph);
    return rc? 1: 0;
}
