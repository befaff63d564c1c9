/*  service.c - the life of one service: startup sequence, event loop, dispatch, shutdown.

    @discuss
    Startup checks everything it can before any socket opens: the plugin and
    its ABI, the models as a whole (types, connection types, handler names),
    the config (file, hook, command-line overrides, validation), the
    addresses of every connection. Each failure is one line naming the file,
    entry or key, and exit status 1.

    Threads: the process's main thread runs the event loop (zloop), which owns
    the inbound sockets and the signal fd. In main mode svcfw_main runs on a
    second thread and owns the outbound connections; svcfw_init runs before
    that thread starts and svcfw_sigint after it has ended, so no socket is
    ever used by two threads at once.

    Signals: SIGINT and SIGTERM are blocked in every thread (before ZeroMQ
    starts its I/O threads, which inherit the mask) and read from a signalfd
    in the loop, so a signal is an ordinary loop event.
    @end
*/
#define _GNU_SOURCE                 //  pthread_timedjoin_np
#include <czmq.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "service.h"
#include "addresses.h"
#include "config.h"
#include "json.h"
#include "loader.h"
#include "log.h"
#include "models.h"
#include "types.h"
#include "replyer.h"
#include "requester.h"
#include "publisher.h"
#include "subscriber.h"
#include "state_in.h"
#include "state_out.h"

#define S_MAIN_JOIN_MS 1500     //  how long a stop waits for svcfw_main to return
#define S_WORKFLOW_ID_LEN 256   //  room for an incoming id (≤ 200) and its _n suffix
#define S_MESSAGE_ID_MAX 200    //  the longest message id an envelope may carry

//  One wired connection: its model and the one socket object its kind uses.
typedef struct {
    const model_t *model;       //  borrowed from service->models
    svcfw_handler_fn *handler;  //  inbound: the handler its creation args name
    replyer_t *replyer;
    subscriber_t *subscriber;
    publisher_t *publisher;
    requester_t *requester;
    state_out_t *state_out;
    state_in_t *state_in;
    svcfw_handler_fn *fallback; //  requester: answers when a call fails ("fallback")
    int fallback_streak;        //  calls the fallback answered in a row, for logging
    bool fallback_open;         //  the last fallback answer was for an open circuit
} s_conn_t;

struct _svcfw_ctx {
    service_t *service;
    const char *message_id;                 //  id of the message being handled; NULL at a leading edge
    char message_id_buf [40];               //  an id made for a message that came without one
    int sends;                              //  sends made while handling it
    char send_id [S_WORKFLOW_ID_LEN];       //  the id of the last send
    char error [ERR_LEN];                   //  last error of a call on this ctx
    char fail [ERR_LEN];                    //  svcfw_fail text of the current handler
    bool failed;                            //  svcfw_fail was called
    const char *msg_id_in;                  //  the handled message's "message_id", or NULL; borrowed
    char msg_id_next [S_MESSAGE_ID_MAX + 1];    //  svcfw_set_message_id's id for the next send, or ""
    char msg_id_sent [S_MESSAGE_ID_MAX + 1];    //  the message id of the last send, or ""
};

struct _service_t {
    const cli_opts_t *opts;
    plugin_t *plugin;
    cJSON *models_doc;          //  the models document, after the setup hooks
    models_t *models;
    cJSON *config;
    cJSON *addresses;
    const char *addresses_name; //  the addresses file, for messages
    s_conn_t *conns;
    int conn_count;
    int state_count;
    zloop_t *loop;
    int signal_fd;              //  SIGINT/SIGTERM, read by the loop
    int stop_fd;                //  eventfd, readable once a stop was asked for
    int main_done_fd;           //  eventfd, readable once svcfw_main returned
    atomic_bool stopping;
    svcfw_ctx loop_ctx;         //  handlers on the loop thread
    svcfw_ctx main_ctx;         //  svcfw_init, svcfw_main, svcfw_sigint
    pthread_t main_thread;
    bool main_started;
    int stop_signal;            //  the signal that stopped the loop, 0 if none
};

//  ---------------------------------------------------------------------------
//  Workflow ids

//  A version-4 UUID from a per-thread xorshift generator seeded by the
//  kernel: leading edges may make one per message, and a syscall each would
//  cost more than the message.
void
service_uuid (char *out)
{
    static __thread uint64_t state [2];
    if (!state [0] && !state [1]) {
        if (getrandom (state, sizeof state, 0) != sizeof state)
            state [0] = (uint64_t) time (NULL) ^ (uint64_t) (uintptr_t) &state;
        state [1] |= 1;
    }
    unsigned char bytes [16];
    for (int half = 0; half < 2; half++) {
        uint64_t s1 = state [0];
        const uint64_t s0 = state [1];
        state [0] = s0;
        s1 ^= s1 << 23;
        state [1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        uint64_t value = state [1] + s0;
        memcpy (bytes + 8 * half, &value, 8);
    }
    bytes [6] = (bytes [6] & 0x0F) | 0x40;
    bytes [8] = (bytes [8] & 0x3F) | 0x80;
    static const char hex [] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out [o++] = '-';
        out [o++] = hex [bytes [i] >> 4];
        out [o++] = hex [bytes [i] & 15];
    }
    out [o] = 0;
}

static void
s_ctx_reset (svcfw_ctx *ctx, const char *message_id)
{
    ctx->message_id = message_id;
    ctx->sends = 0;
    ctx->send_id [0] = 0;
    ctx->error [0] = 0;
    ctx->fail [0] = 0;
    ctx->failed = false;
    ctx->msg_id_in = NULL;
    ctx->msg_id_next [0] = 0;
    ctx->msg_id_sent [0] = 0;
}

//  The id for the next send on ctx: ID_n under an incoming message, else a
//  fresh id (a new leading edge).
static const char *
s_next_send_id (svcfw_ctx *ctx)
{
    if (ctx->message_id)
        snprintf (ctx->send_id, sizeof ctx->send_id, "%s_%d", ctx->message_id, ++ctx->sends);
    else
        service_uuid (ctx->send_id);
    return ctx->send_id;
}

//  ---------------------------------------------------------------------------
//  What connections call back

int
service_call (service_t *self, svcfw_handler_fn *handler, const cJSON *args,
              const char *workflow_id, cJSON **return_args, char *err)
{
    return service_call_message (self, handler, args, workflow_id, NULL, return_args, err);
}

int
service_call_message (service_t *self, svcfw_handler_fn *handler, const cJSON *args,
                      const char *workflow_id, const char *message_id, cJSON **return_args, char *err)
{
    svcfw_ctx *ctx = &self->loop_ctx;
    if (!workflow_id) {
        service_uuid (ctx->message_id_buf);
        workflow_id = ctx->message_id_buf;
    }
    s_ctx_reset (ctx, workflow_id);
    ctx->msg_id_in = message_id;
    log_set_workflow_id (workflow_id);
    *return_args = NULL;
    int rc = handler (ctx, args, return_args);
    log_set_workflow_id (workflow_id);      //  sends set it to their own ids
    if (rc != 0) {
        cJSON_Delete (*return_args);
        *return_args = NULL;
        return err_set (err, "%s", ctx->failed? ctx->fail: "handler failed without a reason (use svcfw_fail)");
    }
    return 0;
}

const char *
service_workflow_id (service_t *self)
{
    return self->loop_ctx.message_id;
}

void
service_fault (const char *name, uint64_t *counts, fault_t fault, const char *detail)
{
    uint64_t count = ++counts [fault];
    if (count == 1)
        log_warning ("%s: dropped %s: %s (first of its kind; later ones are logged at DEBUG)",
                     name, fault_name (fault), detail);
    else
        log_debug ("%s: dropped %s (%" PRIu64 " so far): %s", name, fault_name (fault), count, detail);
}

int
service_stop_fd (service_t *self)
{
    return self->stop_fd;
}

int
service_signal_fd (service_t *self)
{
    return self->signal_fd;
}

bool
service_stopping (service_t *self)
{
    return atomic_load (&self->stopping);
}

static void
s_request_stop (service_t *self)
{
    if (!atomic_exchange (&self->stopping, true)) {
        uint64_t one = 1;
        if (write (self->stop_fd, &one, sizeof one) < 0)
            log_error ("cannot signal the stop: %s", strerror (errno));
    }
}

//  ---------------------------------------------------------------------------
//  The plugin API (svcfw.h)

//  The wired entry of that family with that name: an outbound one when
//  `outbound`, else either side.
static s_conn_t *
s_find (service_t *self, bool is_state, bool outbound, const char *name)
{
    for (int i = 0; i < self->conn_count; i++) {
        const model_t *model = self->conns [i].model;
        if (model->is_state == is_state && (!outbound || !model->is_in) && strcmp (model->name, name) == 0)
            return &self->conns [i];
    }
    return NULL;
}

static int
s_ctx_error (svcfw_ctx *ctx, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (ctx->error, sizeof ctx->error, fmt, args);
    va_end (args);
    log_debug ("svcfw_to_send: %s", ctx->error);
    return -1;
}

//  The message id of a requester send: the one svcfw_set_message_id gave
//  (`given`, "" if none); else, under a message that has one, ID_n as for
//  workflow ids (so a handler called again for a repeated message sends the
//  same ids again); else a fresh UUID for a durable requester, and none for
//  another. Writes it into ctx->msg_id_sent; returns it, or NULL for none.
static const char *
s_message_id_for (svcfw_ctx *ctx, const s_conn_t *conn, const char *given)
{
    char *out = ctx->msg_id_sent;
    if (*given)
        snprintf (out, sizeof ctx->msg_id_sent, "%s", given);
    else
    if (ctx->msg_id_in && strlen (ctx->msg_id_in) + 12 <= S_MESSAGE_ID_MAX)
        snprintf (out, sizeof ctx->msg_id_sent, "%s_%d", ctx->msg_id_in, ctx->sends);
    else
    if (requester_durable (conn->requester))
        service_uuid (out);
    return *out? out: NULL;
}

//  Runs the requester's fallback for a call that failed with `cause`: its
//  return args, validated, become the reply. Returns 0, or -1 with why
//  naming the cause and what went wrong with the fallback. The caller's
//  svcfw_fail state is kept: the fallback is not the caller's handler.
static int
s_fallback (svcfw_ctx *ctx, s_conn_t *conn, const cJSON *args, const char *cause,
            cJSON **reply, char *why)
{
    const char *name = conn->model->name;
    char saved_fail [ERR_LEN];
    bool saved_failed = ctx->failed;
    memcpy (saved_fail, ctx->fail, sizeof saved_fail);
    ctx->failed = false;
    ctx->fail [0] = 0;
    cJSON *returned = NULL;
    int rc = conn->fallback (ctx, args, &returned);
    char detail [ERR_LEN];
    if (rc != 0)
        err_set (why, "%s; the fallback failed too: %s", cause,
                 ctx->failed? ctx->fail: "it returned non-zero without a reason");
    else {
        if (!returned)
            returned = cJSON_CreateObject ();
        if (type_validate (conn->model->returns, returned, detail))
            rc = err_set (why, "%s; the fallback returned invalid return args: %s", cause, detail);
    }
    ctx->failed = saved_failed;
    memcpy (ctx->fail, saved_fail, sizeof saved_fail);
    if (rc != 0) {
        cJSON_Delete (returned);
        return -1;
    }
    //  A WARNING when a run of fallback answers starts or its kind of cause
    //  changes (the call failed / the circuit is open); the rest at DEBUG.
    bool open = strstr (cause, ": circuit open") != NULL;
    if (conn->fallback_streak++ == 0 || open != conn->fallback_open)
        log_warning ("%s: the fallback answered: %s", name, cause);
    else
        log_debug ("%s: the fallback answered (%d in a row): %s", name, conn->fallback_streak, cause);
    conn->fallback_open = open;
    if (reply)
        *reply = returned;
    else
        cJSON_Delete (returned);
    return 0;
}

//  A send to a requester: the request (or, durable, the outbox), then the
//  fallback if it failed and the model names one.
static int
s_request (svcfw_ctx *ctx, s_conn_t *conn, const cJSON *args, const char *send_id,
           const char *given_id, cJSON **reply, char *why)
{
    const char *message_id = s_message_id_for (ctx, conn, given_id);
    cJSON *returned = NULL;
    int rc = requester_request (conn->requester, args, send_id, message_id, &returned, why);
    if (rc == 0) {
        if (conn->fallback_streak) {
            log_info ("%s: the downstream answers again, after %d fallback answers", conn->model->name,
                      conn->fallback_streak);
            conn->fallback_streak = 0;
        }
        if (reply)
            *reply = returned;
        else
            cJSON_Delete (returned);
        return 0;
    }
    if (!conn->fallback)
        return -1;
    char cause [ERR_LEN];
    memcpy (cause, why, sizeof cause);
    return s_fallback (ctx, conn, args, cause, reply, why);
}

int
svcfw_to_send (svcfw_ctx *ctx, const char *output_type, const char *output_name,
               const cJSON *args, cJSON **reply)
{
    if (!ctx)
        return -1;
    service_t *self = ctx->service;
    ctx->error [0] = 0;
    if (reply)
        *reply = NULL;
    //  svcfw_set_message_id's id is for this call, whatever becomes of it.
    char message_id [sizeof ctx->msg_id_next];
    strcpy (message_id, ctx->msg_id_next);         //  same size, always terminated
    ctx->msg_id_next [0] = 0;
    ctx->msg_id_sent [0] = 0;
    if (!output_type || !output_name)
        return s_ctx_error (ctx, "svcfw_to_send needs an output type and name");
    bool is_state = strcmp (output_type, "state") == 0;
    if (!is_state && strcmp (output_type, "connection") != 0)
        return s_ctx_error (ctx, "output type \"%s\" is neither \"connection\" nor \"state\"", output_type);
    s_conn_t *conn = s_find (self, is_state, true, output_name);
    if (!conn)
        return s_ctx_error (ctx, "no outbound %s named '%s' in %s_models.out", output_type, output_name, output_type);
    if (!cJSON_IsObject (args))
        return s_ctx_error (ctx, "%s: args must be a JSON object", output_name);
    char why [ERR_LEN];
    //  A state's policy checks its own sends (a patch is not a whole value).
    if (!is_state && type_validate (conn->model->args, args, why))
        return s_ctx_error (ctx, "%s: invalid args: %s", output_name, why);

    //  The framework's lines about this send carry the send's id; the
    //  handler's own lines go back to its message's id afterwards.
    const char *previous = log_workflow_id ();
    const char *send_id = s_next_send_id (ctx);
    log_set_workflow_id (send_id);
    int rc;
    if (conn->state_out)
        rc = state_out_send (conn->state_out, args, send_id, why);
    else
    if (conn->publisher)
        rc = publisher_send (conn->publisher, args, send_id, why);
    else
        rc = s_request (ctx, conn, args, send_id, message_id, reply, why);
    if (rc)
        s_ctx_error (ctx, "%s", why);
    else
        log_debug ("sent to %s", output_name);
    log_set_workflow_id (ctx->message_id? previous: send_id);
    return rc;
}

const cJSON *
svcfw_config (svcfw_ctx *ctx)
{
    return ctx? ctx->service->config: NULL;
}

const cJSON *
svcfw_state (svcfw_ctx *ctx, const char *name)
{
    if (!ctx || !name)
        return NULL;
    s_conn_t *conn = s_find (ctx->service, true, false, name);
    if (!conn)
        return NULL;
    return conn->state_out? state_out_value (conn->state_out): state_in_value (conn->state_in);
}

const char *
svcfw_workflow_id (svcfw_ctx *ctx)
{
    if (!ctx)
        return "";
    if (ctx->message_id)
        return ctx->message_id;
    return ctx->send_id;
}

void
svcfw_log (svcfw_ctx *ctx, int level, const char *fmt, ...)
{
    (void) ctx;             //  the thread's current id is the ctx's
    if (!log_enabled (level))
        return;
    va_list args;
    va_start (args, fmt);
    log_vwrite_plugin (level, fmt, args);
    va_end (args);
}

int
svcfw_fail (svcfw_ctx *ctx, const char *fmt, ...)
{
    if (!ctx)
        return -1;
    va_list args;
    va_start (args, fmt);
    vsnprintf (ctx->fail, sizeof ctx->fail, fmt, args);
    va_end (args);
    ctx->failed = true;
    return -1;
}

const char *
svcfw_error (svcfw_ctx *ctx)
{
    return ctx? ctx->error: "";
}

bool
svcfw_sleep (svcfw_ctx *ctx, int ms)
{
    if (!ctx)
        return false;
    service_t *self = ctx->service;
    struct pollfd item = { .fd = self->stop_fd, .events = POLLIN };
    int64_t deadline = zclock_mono () + (ms > 0? ms: 0);
    while (!service_stopping (self)) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return true;
        int rc = poll (&item, 1, (int) left);
        if (rc < 0 && errno != EINTR)
            return !service_stopping (self);
    }
    return false;
}

int
svcfw_set_message_id (svcfw_ctx *ctx, const char *message_id)
{
    if (!ctx)
        return -1;
    ctx->error [0] = 0;
    if (!message_id || !*message_id || strlen (message_id) > S_MESSAGE_ID_MAX) {
        snprintf (ctx->error, sizeof ctx->error,
                  "svcfw_set_message_id: a message id is a non-empty string of at most %d bytes",
                  S_MESSAGE_ID_MAX);
        return -1;
    }
    snprintf (ctx->msg_id_next, sizeof ctx->msg_id_next, "%s", message_id);
    return 0;
}

const char *
svcfw_message_id (svcfw_ctx *ctx)
{
    if (!ctx)
        return "";
    return ctx->msg_id_in? ctx->msg_id_in: ctx->msg_id_sent;
}

long
svcfw_outbox_pending (svcfw_ctx *ctx, const char *connection)
{
    if (!ctx || !connection)
        return -1;
    s_conn_t *conn = s_find (ctx->service, false, true, connection);
    if (!conn || !conn->requester || !requester_durable (conn->requester)) {
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_pending: no durable requester named '%s'",
                  connection);
        return -1;
    }
    long pending = requester_pending (conn->requester);
    if (pending < 0)
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_pending: cannot read the outbox of '%s' "
                  "(the log says why)", connection);
    return pending;
}

int
service_store_path (service_t *self, const model_t *model, const char *key, const char *kind,
                    char *path, size_t size, char *err)
{
    const char *given = model_string (model, key, NULL);
    int len;
    if (given)
        len = snprintf (path, size, "%s", given);
    else {
        //  Beside the config file, else in the working directory.
        const char *config = self->opts->config_path;
        const char *slash = config? strrchr (config, '/'): NULL;
        int dir_len = slash? (int) (slash - config) + 1: 0;
        len = snprintf (path, size, "%.*s%s.%s.%s.db", dir_len, config? config: "",
                        plugin_name (self->plugin), model->name, kind);
    }
    if (len < 0 || (size_t) len >= size)
        return err_set (err, "%s: the %s path is longer than %zu bytes", model->where, kind, size - 1);
    return 0;
}

//  ---------------------------------------------------------------------------
//  Startup

static int
s_startup_error (const char *fmt, ...)
{
    char line [ERR_LEN * 2];
    va_list args;
    va_start (args, fmt);
    vsnprintf (line, sizeof line, fmt, args);
    va_end (args);
    fprintf (stderr, "svcfw: error: %s\n", line);
    return -1;
}

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
    for (int i = 0; i < models_count (self->models); i++) {
        const model_t *model = models_at (self->models, i);
        for (const char *const *key = models_handler_keys; *key; key++) {
            const char *name = model_string (model, *key, NULL);
            if (name && !plugin_handler (self->plugin, name))
                return err_set (err, "models: %s: %s names handler \"%s\", which %s does not export",
                                model->where, *key, name, self->opts->service_path);
        }
        if (self->opts->main_mode && model->is_in)
            return err_set (err, "models: %s: main mode (-m) takes no inbound %s (it is a leading edge)",
                            model->where, model->is_state? "states": "connections");
    }
    if (self->opts->main_mode && !plugin_hooks (self->plugin)->main)
        return err_set (err, "%s: main mode (-m) needs the plugin to export svcfw_main",
                        self->opts->service_path);
    return 0;
}

static int
s_build_config (service_t *self, char *err)
{
    self->config = config_load (self->opts->config_path, err);
    if (!self->config)
        return -1;
    if (config_apply_overrides (self->config, self->opts->overrides, models_config (self->models), err))
        return -1;
    svcfw_setup_config_fn *hook = plugin_hooks (self->plugin)->setup_config;
    if (hook) {
        int rc = hook (self->config);
        if (rc)
            return err_set (err, "%s: svcfw_setup_config failed (returned %d)", self->opts->service_path, rc);
        if (!cJSON_IsObject (self->config))
            return err_set (err, "%s: svcfw_setup_config left a config that is not an object",
                            self->opts->service_path);
    }
    return config_validate (self->config, models_config (self->models), err);
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

//  Resolves every address first, so a missing one fails before any socket
//  opens; then opens the sockets.
static int
s_wire (service_t *self, char *err)
{
    int count = models_count (self->models);
    char (*endpoints) [2][ENDPOINT_LEN] = calloc (count? count: 1, sizeof *endpoints);
    self->conns = calloc (count? count: 1, sizeof (s_conn_t));
    if (!endpoints || !self->conns) {
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
                                     sockets [k].name, sockets [k].binds, endpoints [i][k], err);
    }
    for (int i = 0; i < count && rc == 0; i++) {
        const model_t *model = models_at (self->models, i);
        s_conn_t *conn = &self->conns [self->conn_count++];
        conn->model = model;
        const char *handler_key = model->kind == MODEL_REPLYER? "on_new_request":
                                  model->kind == MODEL_SUBSCRIBER? "on_new_message": "on_update";
        const char *handler_name = model_string (model, handler_key, NULL);
        conn->handler = handler_name? plugin_handler (self->plugin, handler_name): NULL;
        const char *fallback_name = model_string (model, "fallback", NULL);
        conn->fallback = fallback_name? plugin_handler (self->plugin, fallback_name): NULL;
        const char *first = endpoints [i][0], *second = endpoints [i][1];
        switch (model->kind) {
            case MODEL_REPLYER:
                conn->replyer = replyer_new (self, model, first, conn->handler, err);
                rc = conn->replyer? replyer_attach (conn->replyer, self->loop): -1;
                break;
            case MODEL_SUBSCRIBER:
                conn->subscriber = subscriber_new (self, model, first, conn->handler, err);
                rc = conn->subscriber? subscriber_attach (conn->subscriber, self->loop): -1;
                break;
            case MODEL_PUBLISHER:
                conn->publisher = publisher_new (model, first, err);
                rc = conn->publisher? 0: -1;
                break;
            case MODEL_REQUESTER:
                conn->requester = requester_new (self, model, first, err);
                rc = conn->requester? 0: -1;
                break;
            case MODEL_DELTA_UPDATE_OUT:
            case MODEL_FULL_UPDATE_OUT:
                conn->state_out = state_out_new (self, model, s_policy (model->kind), first, second, err);
                rc = conn->state_out? state_out_attach (conn->state_out, self->loop): -1;
                self->state_count++;
                break;
            case MODEL_DELTA_UPDATE_IN:
            case MODEL_FULL_UPDATE_IN:
                conn->state_in = state_in_new (self, model, s_policy (model->kind), first, second,
                                               conn->handler, err);
                rc = conn->state_in? state_in_attach (conn->state_in, self->loop): -1;
                self->state_count++;
                break;
        }
        if (rc == -1 && !*err)
            err_set (err, "%s: cannot register with the event loop", model->where);
    }
    free (endpoints);
    return rc;
}

static void
s_unwire (service_t *self)
{
    for (int i = 0; i < self->conn_count; i++) {
        s_conn_t *conn = &self->conns [i];
        replyer_destroy (&conn->replyer);
        subscriber_destroy (&conn->subscriber);
        publisher_destroy (&conn->publisher);
        requester_destroy (&conn->requester);
        state_out_destroy (&conn->state_out);
        state_in_destroy (&conn->state_in);
    }
    free (self->conns);
    self->conns = NULL;
    self->conn_count = 0;
}

//  ---------------------------------------------------------------------------
//  Loop events

static void
s_call_sigint (service_t *self, int signum)
{
    svcfw_sigint_fn *hook = plugin_hooks (self->plugin)->sigint;
    if (hook) {
        s_ctx_reset (&self->main_ctx, NULL);
        log_set_workflow_id (NULL);
        hook (&self->main_ctx, signum);
        log_set_workflow_id (NULL);
    }
}

static int
s_on_signal (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    service_t *self = arg;
    struct signalfd_siginfo info;
    if (read (item->fd, &info, sizeof info) != sizeof info)
        return 0;
    const char *abbrev = sigabbrev_np ((int) info.ssi_signo);
    log_info ("got SIG%s, stopping", abbrev? abbrev: "?");
    //  Outside main mode the loop thread owns every socket, so the hook can
    //  run now; in main mode it runs once svcfw_main has returned.
    self->stop_signal = (int) info.ssi_signo;
    if (!self->main_started)
        s_call_sigint (self, self->stop_signal);
    s_request_stop (self);
    return -1;
}

static int
s_on_main_done (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    (void) arg;
    return -1;
}

static void *
s_main_thread (void *arg)
{
    service_t *self = arg;
    s_ctx_reset (&self->main_ctx, NULL);
    log_set_workflow_id (NULL);
    int rc = plugin_hooks (self->plugin)->main (&self->main_ctx);
    log_set_workflow_id (NULL);
    uint64_t one = 1;
    if (write (self->main_done_fd, &one, sizeof one) < 0)
        log_error ("cannot signal the end of svcfw_main: %s", strerror (errno));
    return (void *) (intptr_t) rc;
}

//  Ends main mode's thread: asks it to stop, waits a bounded time. Returns
//  its exit status, or -1 if it did not return in time.
static int
s_stop_main (service_t *self, int signum)
{
    s_request_stop (self);
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += S_MAIN_JOIN_MS / 1000;
    deadline.tv_nsec += (S_MAIN_JOIN_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    void *result = NULL;
    if (pthread_timedjoin_np (self->main_thread, &result, &deadline) != 0)
        return -1;
    self->main_started = false;
    if (signum)
        s_call_sigint (self, signum);
    return (int) (intptr_t) result;
}

//  ---------------------------------------------------------------------------
//  The whole run

static int
s_startup (service_t *self, char *err)
{
    self->plugin = plugin_load (self->opts->service_path, err);
    if (!self->plugin)
        return -1;
    if (log_open (plugin_name (self->plugin), self->opts->console_level, self->opts->log_path,
                  self->opts->file_level, err))
        return -1;
    if (s_load_models (self, err) || s_check_handlers (self, err)
    ||  s_build_config (self, err) || s_apply_setup_hooks (self, err)
    ||  s_load_addresses (self, err))
        return -1;

    //  Signals become loop events; ZeroMQ's threads inherit the mask.
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    self->signal_fd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    self->stop_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->main_done_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->signal_fd < 0 || self->stop_fd < 0 || self->main_done_fd < 0)
        return err_set (err, "cannot create the loop's descriptors: %s", strerror (errno));
    self->loop = zloop_new ();
    if (!self->loop)
        return err_set (err, "cannot create the event loop");
    zmq_pollitem_t signal_item = { NULL, self->signal_fd, ZMQ_POLLIN, 0 };
    zmq_pollitem_t done_item = { NULL, self->main_done_fd, ZMQ_POLLIN, 0 };
    if (zloop_poller (self->loop, &signal_item, s_on_signal, self)
    ||  zloop_poller (self->loop, &done_item, s_on_main_done, self))
        return err_set (err, "cannot register with the event loop");
    return s_wire (self, err);
}

int
service_run (const cli_opts_t *opts)
{
    //  Block the stop signals before any thread exists; CZMQ must not install
    //  its own handlers, the loop reads them from a signalfd.
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &mask, NULL);
    zsys_handler_set (NULL);

    service_t service = { .opts = opts, .signal_fd = -1, .stop_fd = -1, .main_done_fd = -1 };
    service_t *self = &service;
    self->loop_ctx.service = self;
    self->main_ctx.service = self;
    char err [ERR_LEN] = "";
    int status = 0;

    if (s_startup (self, err)) {
        s_startup_error ("%s", *err? err: "startup failed");
        status = 1;
        goto teardown;
    }
    svcfw_init_fn *init = plugin_hooks (self->plugin)->init;
    if (init) {
        s_ctx_reset (&self->main_ctx, NULL);
        int rc = init (&self->main_ctx);
        log_set_workflow_id (NULL);
        if (rc) {
            s_startup_error ("%s: svcfw_init failed (returned %d)%s%s", opts->service_path, rc,
                             self->main_ctx.failed? ": ": "", self->main_ctx.failed? self->main_ctx.fail: "");
            status = 1;
            goto teardown;
        }
    }
    log_info ("ready: %d connections, %d states", self->conn_count - self->state_count, self->state_count);
    if (opts->main_mode) {
        if (pthread_create (&self->main_thread, NULL, s_main_thread, self)) {
            s_startup_error ("cannot start the main-mode thread");
            status = 1;
            goto teardown;
        }
        self->main_started = true;
    }

    zloop_start (self->loop);

    if (self->main_started) {
        status = s_stop_main (self, self->stop_signal);
        if (status < 0) {
            //  svcfw_main ignores the stop; its sockets are in use on its
            //  thread and cannot be closed safely, so leave now.
            log_error ("svcfw_main did not return within %d ms of the stop; exiting", S_MAIN_JOIN_MS);
            log_close ();
            _exit (0);
        }
    }
    log_info ("stopped");

teardown:
    s_unwire (self);
    zloop_destroy (&self->loop);
    if (self->signal_fd >= 0)    close (self->signal_fd);
    if (self->stop_fd >= 0)      close (self->stop_fd);
    if (self->main_done_fd >= 0) close (self->main_done_fd);
    cJSON_Delete (self->addresses);
    cJSON_Delete (self->config);
    models_destroy (&self->models);
    cJSON_Delete (self->models_doc);
    plugin_destroy (&self->plugin);
    log_close ();
    return status;
}
