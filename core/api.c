/*  api.c - the plugin API behind svcfw.h: svcfw_to_send and the calls a
    handler or hook makes on its ctx.

    A ctx belongs to one thread: each handler thread has its own (dispatch.c),
    the main ctx serves svcfw_init, svcfw_main and svcfw_sigint. Calls that
    reach a shared object lock it: an outbound entry's sends go one at a
    time under the entry's lock (a requester serves one call at a time, a
    publisher's socket one send), and svcfw_state returns a copy made under
    the state's lock, kept by the ctx. A wired entry is reached only through
    its entry_ops_t (runtime.h).
*/
#include <czmq.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>

#include "runtime.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "outbox.h"
#include "trace.h"
#include "types.h"
#include "uuid.h"

static void
s_states_free (svcfw_ctx *ctx)
{
    if (!ctx->states)
        return;
    for (int i = 0; i < ctx->service->entry_count; i++) {
        cJSON_Delete (ctx->states [i]);
        ctx->states [i] = NULL;
    }
}

static void s_pins_free (svcfw_ctx *ctx);

void
api_ctx_clear (svcfw_ctx *ctx)
{
    s_pins_free (ctx);
    s_states_free (ctx);
    free (ctx->states);
    ctx->states = NULL;
}

static void s_pins_drop_stale (svcfw_ctx *ctx);

void
api_ctx_reset (svcfw_ctx *ctx, const char *message_id)
{
    s_pins_drop_stale (ctx);
    s_states_free (ctx);
    ctx->deadline = 0;
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
    if (!ctx->message_id) {
        uuid_make (ctx->send_id);
        return ctx->send_id;
    }
    //  ID_n, as snprintf "%s_%d" would write it (cut to fit), without
    //  its format parsing: a handler that sends per message pays this.
    char digits [WIRE_DIGITS_MAX];
    size_t n = wire_digits ((unsigned) ++ctx->sends, digits);
    size_t len = strnlen (ctx->message_id, sizeof ctx->send_id - 1);
    char *out = ctx->send_id;
    memcpy (out, ctx->message_id, len);
    size_t room = sizeof ctx->send_id - 1 - len;
    if (room > 0) {
        out [len++] = '_';
        room--;
    }
    if (n > room)
        n = room;
    memcpy (out + len, digits, n);
    out [len + n] = 0;
    return ctx->send_id;
}

//  The wired entry of that family with that name: an outbound one when
//  `outbound`, else either side.
static entry_t *
s_find (service_t *self, bool is_state, bool outbound, const char *name)
{
    for (int i = 0; i < self->entry_count; i++) {
        const model_t *model = self->entries [i].model;
        if (model->is_state == is_state && (!outbound || !model->is_in) && json_key_is (name, model->name))
            return &self->entries [i];
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
s_message_id_for (svcfw_ctx *ctx, const entry_t *conn, const char *given)
{
    char *out = ctx->msg_id_sent;
    if (*given)
        snprintf (out, sizeof ctx->msg_id_sent, "%s", given);
    else
    if (ctx->msg_id_in && strlen (ctx->msg_id_in) + 12 <= RUNTIME_MESSAGE_ID_MAX)
        snprintf (out, sizeof ctx->msg_id_sent, "%s_%d", ctx->msg_id_in, ctx->sends);
    else
    if (conn->durable)
        uuid_make (out);
    return *out? out: NULL;
}

//  Runs the requester's fallback for a call that failed with `cause`: its
//  return args, validated, become the reply. Returns 0, or -1 with why
//  naming the cause and what went wrong with the fallback. The caller's
//  svcfw_fail state is kept: the fallback is not the caller's handler.
static int
s_fallback (svcfw_ctx *ctx, entry_t *conn, const cJSON *args, const char *cause,
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

//  The handled message's time is gone (SPEC §8): no attempt is made. A
//  durable send is stored all the same (it carries no deadline).
static bool
s_expired (svcfw_ctx *ctx, const entry_t *conn)
{
    return ctx->deadline && zclock_mono () >= ctx->deadline && !conn->durable;
}

//  A requester's round trip alone (or, durable, the outbox), without the
//  fallback: *returned the reply (fresh) on success. Under the entry's lock.
static int
s_round_trip (svcfw_ctx *ctx, entry_t *conn, const cJSON *args, const char *send_id,
              const char *given_id, cJSON **returned, char *why)
{
    const char *message_id = s_message_id_for (ctx, conn, given_id);
    *returned = NULL;
    int rc;
    if (s_expired (ctx, conn)) {
        rc = err_set (why, "%s: deadline_exceeded: the handled message's deadline has passed", conn->model->name);
        trace_out_error ("deadline_exceeded");
    }
    else
        rc = conn->ops->send (conn->obj, args, send_id, message_id, ctx->deadline, returned, why);
    if (rc == 0 && conn->fallback_streak) {
        log_info ("%s: the downstream answers again, after %d fallback answers", conn->model->name,
                  conn->fallback_streak);
        conn->fallback_streak = 0;
    }
    return rc;
}

//  Hands `returned` (taken) to the caller's *reply, or frees it.
static void
s_give (cJSON *returned, cJSON **reply)
{
    if (reply)
        *reply = returned;
    else
        cJSON_Delete (returned);
}

//  A send to a requester: the request (or, durable, the outbox), then the
//  fallback if it failed and the model names one.
static int
s_request (svcfw_ctx *ctx, entry_t *conn, const cJSON *args, const char *send_id,
           const char *given_id, cJSON **reply, char *why)
{
    cJSON *returned = NULL;
    if (s_round_trip (ctx, conn, args, send_id, given_id, &returned, why) == 0) {
        s_give (returned, reply);
        return 0;
    }
    if (!conn->fallback)
        return -1;
    char cause [ERR_LEN];
    memcpy (cause, why, sizeof cause);
    return s_fallback (ctx, conn, args, cause, reply, why);
}

//  A send to a requester with a reply cache (resilience/cache.h). A hit
//  takes no lock and makes no round trip, so concurrent callers are served
//  while one refreshes. The one caller that owns a key's round trip makes
//  it under the entry's lock; only a good reply is kept (an error reply,
//  a timeout or a fallback's answer never is, but the callers waiting on
//  that round trip share its error). An early refresh that fails serves
//  the still-valid reply it was refreshing.
static int
s_cached_request (svcfw_ctx *ctx, entry_t *conn, const cJSON *args, const char *send_id,
                  const char *given_id, cJSON **reply, char *why)
{
    const char *name = conn->model->name;
    if (s_expired (ctx, conn)) {
        pthread_mutex_lock (&conn->lock);
        int rc = s_request (ctx, conn, args, send_id, given_id, reply, why);
        pthread_mutex_unlock (&conn->lock);
        return rc;
    }
    int wait_ms = conn->cache_wait_ms;
    if (ctx->deadline && ctx->deadline - zclock_mono () < wait_ms)
        wait_ms = (int) (ctx->deadline - zclock_mono ());
    char *key = cache_key (args);
    cJSON *kept = NULL;
    cache_outcome_t outcome = key? cache_lookup (conn->cache, key, wait_ms, &kept, why): CACHE_BYPASS;
    metrics_cache (conn->cache_metrics, outcome == CACHE_HIT? METRICS_CACHE_HIT:
                                        outcome == CACHE_REFRESH? METRICS_CACHE_REFRESH: METRICS_CACHE_MISS);
    if (outcome == CACHE_HIT) {
        log_debug ("%s: answered from the cache", name);
        free (key);
        s_give (kept, reply);
        return 0;
    }
    int rc;
    pthread_mutex_lock (&conn->lock);
    if (outcome == CACHE_SHARED_ERROR) {
        char cause [ERR_LEN];
        memcpy (cause, why, sizeof cause);
        rc = conn->fallback? s_fallback (ctx, conn, args, cause, reply, why): -1;
    }
    else
    if (outcome == CACHE_BYPASS)
        rc = s_request (ctx, conn, args, send_id, given_id, reply, why);
    else {
        cJSON *returned = NULL;
        rc = s_round_trip (ctx, conn, args, send_id, given_id, &returned, why);
        cache_done (conn->cache, key, rc == 0? returned: NULL, why);
        if (rc == 0) {
            s_give (returned, reply);
            cJSON_Delete (kept);
        }
        else
        if (kept) {
            log_debug ("%s: an early refresh failed (%s); answered from the cache", name, why);
            s_give (kept, reply);
            rc = 0;
        }
        else
        if (conn->fallback) {
            char cause [ERR_LEN];
            memcpy (cause, why, sizeof cause);
            rc = s_fallback (ctx, conn, args, cause, reply, why);
        }
    }
    pthread_mutex_unlock (&conn->lock);
    free (key);
    return rc;
}

int
api_cache_start (entry_t *entry, char *err)
{
    const model_t *model = entry->model;
    cache_config_t config;
    bool enabled;
    char why [ERR_LEN];
    if (cache_config_parse (cJSON_GetObjectItemCaseSensitive (model->creation, "cache"), &config, &enabled, why))
        return err_set (err, "models: %s: creation arguments: %s", model->where, why);
    if (!enabled)
        return 0;
    if (entry->durable)
        return err_set (err, "models: %s: creation arguments: 'cache' does not apply to a durable requester",
                        model->where);
    entry->cache = cache_new (&config, NULL, NULL, NULL);
    if (!entry->cache)
        return err_set (err, "%s: out of memory", model->where);
    //  A caller waits for another's round trip at most as long as a call
    //  of its own could take: every attempt and the backoffs between them.
    int retries = model_int (model, "retries", 2);
    int64_t worst = (int64_t) model_int (model, "timeout_ms", 2500) * (retries + 1)
                  + (int64_t) model_int (model, "backoff_max_ms", 5000) * retries + 1000;
    entry->cache_wait_ms = worst > 600000? 600000: (int) worst;
    entry->cache_metrics = metrics_conn (model->name, METRICS_CACHE);
    log_debug ("%s: reply cache: ttl_ms %d, beta %g, max_entries %d", model->name, config.ttl_ms,
               config.beta, config.max_entries);
    return 0;
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
    message_id [0] = 0;
    if (ctx->msg_id_next [0])
        strcpy (message_id, ctx->msg_id_next);     //  same size, always terminated
    ctx->msg_id_next [0] = 0;
    ctx->msg_id_sent [0] = 0;
    if (!output_type || !output_name)
        return s_ctx_error (ctx, "svcfw_to_send needs an output type and name");
    bool is_state = json_key_is (output_type, "state");
    if (!is_state && !json_key_is (output_type, "connection"))
        return s_ctx_error (ctx, "output type \"%s\" is neither \"connection\" nor \"state\"", output_type);
    entry_t *conn = s_find (self, is_state, true, output_name);
    if (!conn)
        return s_ctx_error (ctx, "no outbound %s named '%s' in %s_models.out", output_type, output_name, output_type);
    if (!cJSON_IsObject (args))
        return s_ctx_error (ctx, "%s: args must be a JSON object", output_name);
    char why [ERR_LEN];
    //  A state's policy checks its own sends (a patch is not a whole value).
    if (!is_state && !conn->ops->send_checks_args && type_validate (conn->model->args, args, why))
        return s_ctx_error (ctx, "%s: invalid args: %s", output_name, why);

    //  The framework's lines about this send carry the send's id; the
    //  handler's own lines go back to its message's id afterwards.
    const char *previous = log_workflow_id ();
    const char *send_id = s_next_send_id (ctx);
    log_set_workflow_id (send_id);
    int rc;
    //  One send at a time per entry: concurrent handlers and svcfw_main
    //  share the entry's socket (a requester's call waits for the one before).
    //  A request is a CLIENT span; a published message or a durable send
    //  (answered by no one now) a PRODUCER span. State updates are none. A
    //  cached requester's call is a CLIENT span whether or not it went out.
    if (!is_state)
        trace_out_begin (output_name, conn->is_requester && !conn->durable? TRACE_CLIENT: TRACE_PRODUCER, send_id);
    if (conn->cache)
        rc = s_cached_request (ctx, conn, args, send_id, message_id, reply, why);
    else {
        pthread_mutex_lock (&conn->lock);
        if (conn->is_requester)
            rc = s_request (ctx, conn, args, send_id, message_id, reply, why);
        else
            rc = conn->ops->send (conn->obj, args, send_id, NULL, 0, NULL, why);
        pthread_mutex_unlock (&conn->lock);
    }
    if (!is_state)
        trace_out_end (rc != 0);
    if (rc)
        s_ctx_error (ctx, "%s", why);
    else
        log_debug ("sent to %s", output_name);
    log_set_workflow_id (ctx->message_id? previous: send_id);
    return rc;
}

//  ---------------------------------------------------------------------------
//  The config in force, swapped by a reload (reload.c) while handlers run

//  One config and who holds it: the service (while it is the one in force)
//  and each ctx that was handed it (until that ctx's next call begins, if
//  it is no longer the one in force).
struct _api_config_t {
    cJSON *config;              //  owned; freed with the last hold
    int holds;                  //  under service->config_lock
};

//  A ctx's hold on a config it handed out; a list, newest first.
struct _api_pin_t {
    api_config_t *config;
    api_pin_t *next;
};

static void
s_config_release (service_t *self, api_config_t *config)
{
    pthread_mutex_lock (&self->config_lock);
    bool last = --config->holds == 0;
    pthread_mutex_unlock (&self->config_lock);
    if (last) {
        cJSON_Delete (config->config);
        free (config);
    }
}

static void
s_pins_free (svcfw_ctx *ctx)
{
    while (ctx->pins) {
        api_pin_t *pin = ctx->pins;
        ctx->pins = pin->next;
        s_config_release (ctx->service, pin->config);
        free (pin);
    }
}

//  Between calls: lets go of every config ctx holds but the one in force,
//  which it keeps, so a handler's svcfw_config needs no allocation or lock
//  while no reload comes (the hold ends at the first call after a reload).
static void
s_pins_drop_stale (svcfw_ctx *ctx)
{
    api_pin_t *head = ctx->pins;
    if (!head)
        return;
    if (head->config != atomic_load (&ctx->service->config_now)) {
        s_pins_free (ctx);
        return;
    }
    ctx->pins = head->next;
    s_pins_free (ctx);
    head->next = NULL;
    ctx->pins = head;
}

int
api_config_set (service_t *self, cJSON *config)
{
    api_config_t *fresh = calloc (1, sizeof *fresh);
    if (!fresh)
        return -1;
    fresh->config = config;
    fresh->holds = 1;                   //  the service's
    pthread_mutex_lock (&self->config_lock);
    api_config_t *old = atomic_load (&self->config_now);
    atomic_store (&self->config_now, fresh);
    pthread_mutex_unlock (&self->config_lock);
    self->config = config;
    if (old)
        s_config_release (self, old);
    return 0;
}

void
api_config_end (service_t *self)
{
    api_config_t *old = atomic_exchange (&self->config_now, NULL);
    if (old)
        s_config_release (self, old);
    else
        cJSON_Delete (self->config);    //  startup failed before the config was in force
    self->config = NULL;
}

const cJSON *
svcfw_config (svcfw_ctx *ctx)
{
    if (!ctx)
        return NULL;
    service_t *self = ctx->service;
    api_config_t *now = atomic_load (&self->config_now);
    if (!now)
        return self->config;            //  startup's hooks, before the config is in force
    if (ctx->pins && ctx->pins->config == now)
        return now->config;
    //  A config this ctx has not handed out yet: hold it until the ctx's
    //  next call, so a reload meanwhile cannot free it under the caller.
    api_pin_t *pin = calloc (1, sizeof *pin);
    if (!pin)
        return NULL;
    pthread_mutex_lock (&self->config_lock);
    now = atomic_load (&self->config_now);
    now->holds++;
    pthread_mutex_unlock (&self->config_lock);
    pin->config = now;
    pin->next = ctx->pins;
    ctx->pins = pin;
    return now->config;
}

const cJSON *
svcfw_state (svcfw_ctx *ctx, const char *name)
{
    if (!ctx || !name)
        return NULL;
    service_t *self = ctx->service;
    entry_t *conn = s_find (self, true, false, name);
    if (!conn || !conn->ops->copy)
        return NULL;
    if (!ctx->states && !(ctx->states = calloc ((size_t) self->entry_count, sizeof (cJSON *))))
        return NULL;
    //  A copy, so the loop may apply updates meanwhile; it replaces this
    //  ctx's earlier copy of the same state.
    int index = (int) (conn - self->entries);
    cJSON_Delete (ctx->states [index]);
    ctx->states [index] = conn->ops->copy (conn->obj);
    return ctx->states [index];
}

long
svcfw_deadline_ms (svcfw_ctx *ctx)
{
    if (!ctx || !ctx->deadline)
        return -1;
    int64_t left = ctx->deadline - zclock_mono ();
    return left > 0? (long) left: 0;
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
    while (!atomic_load (&self->stopping)) {
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            return true;
        int rc = poll (&item, 1, (int) left);
        if (rc < 0 && errno != EINTR)
            return !atomic_load (&self->stopping);
    }
    return false;
}

int
svcfw_set_message_id (svcfw_ctx *ctx, const char *message_id)
{
    if (!ctx)
        return -1;
    ctx->error [0] = 0;
    if (!message_id || !*message_id || strlen (message_id) > RUNTIME_MESSAGE_ID_MAX) {
        snprintf (ctx->error, sizeof ctx->error,
                  "svcfw_set_message_id: a message id is a non-empty string of at most %d bytes",
                  RUNTIME_MESSAGE_ID_MAX);
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
    entry_t *conn = s_find (ctx->service, false, true, connection);
    if (!conn || !conn->durable || !conn->ops->pending) {
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_pending: no durable requester named '%s'",
                  connection);
        return -1;
    }
    long pending = conn->ops->pending (conn->obj);
    if (pending < 0)
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_pending: cannot read the outbox of '%s' "
                  "(the log says why)", connection);
    return pending;
}


int
svcfw_outbox_begin (svcfw_ctx *ctx)
{
    if (!ctx)
        return -1;
    if (outbox_group_on ()) {
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_begin: a group is already open on this thread "
                  "(end it with svcfw_outbox_commit)");
        return -1;
    }
    outbox_group_begin ();
    return 0;
}

int
svcfw_outbox_commit (svcfw_ctx *ctx)
{
    if (!ctx)
        return -1;
    if (!outbox_group_on ()) {
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_commit: no group is open on this thread "
                  "(svcfw_outbox_begin)");
        return -1;
    }
    char err [ERR_LEN];
    if (outbox_group_commit (err)) {
        snprintf (ctx->error, sizeof ctx->error, "svcfw_outbox_commit: %s", err);
        return -1;
    }
    return 0;
}

void
api_group_end (svcfw_ctx *ctx, const char *who)
{
    (void) ctx;
    if (!outbox_group_on ())
        return;
    char err [ERR_LEN];
    log_warning ("%s returned with a group of durable sends open (svcfw_outbox_begin without "
                 "svcfw_outbox_commit); committed now", who);
    if (outbox_group_commit (err))
        log_error ("%s: its group of durable sends could not be committed (not stored): %s", who, err);
}
