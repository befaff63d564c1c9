/*  dispatch.c - the host side of connections/host.h: what connections and
    states call back (hand a message to a handler thread, call its handler,
    the workflow id being handled, a store file's path, whether a stop
    began), and the handler threads themselves.

    @discuss
    The loop never calls a handler. A connection takes a message in on the
    loop thread and submits it as a job (host_submit); the job runs on a
    pool thread (pool.h): the service's default pool of one thread, so
    handlers run one at a time in arrival order and a plugin needs no locks,
    or the entry's own pool of "workers" threads. Each pool thread has its
    own svcfw_ctx and parse arena (s_worker_t), and records which handler
    it runs for the stop report. A job's done runs on the loop thread, or
    with done_anywhere on the pool thread right after its work (a replyer
    sends its reply there). A pool thread waiting for work also watches
    the sockets its connections gave to host_watch (pool_watch), and takes
    in what comes there itself.
    @end
*/
#include <czmq.h>

#include "runtime.h"
#include "crash.h"
#include "log.h"
#include "uuid.h"

//  A pool thread's own: its ctx, its arena, what it runs now.
typedef struct {
    service_t *service;
    svcfw_ctx ctx;
    wire_arena_t *arena;
    pthread_mutex_t lock;           //  guards the record below (read by the stop report)
    const char *handler_name;       //  the handler running, or NULL; borrowed from the models
    const char *workflow_id;        //  its workflow id while handler_name is set; borrowed from its message
} s_worker_t;

static __thread s_worker_t *s_worker;  //  the calling pool thread's, NULL elsewhere

static int
s_call (void *arg, svcfw_handler_fn *handler, const cJSON *args, const char *workflow_id,
        const char *message_id, int64_t deadline, cJSON **return_args, char *err)
{
    entry_t *entry = arg;
    service_t *self = entry->service;
    s_worker_t *worker = s_worker;
    svcfw_ctx *ctx = worker? &worker->ctx: &self->loop_ctx;
    api_ctx_reset (ctx, NULL);
    if (!workflow_id) {
        uuid_make (ctx->message_id_buf);
        workflow_id = ctx->message_id_buf;
    }
    ctx->message_id = workflow_id;
    ctx->deadline = deadline;
    ctx->msg_id_in = message_id;
    log_set_workflow_id (workflow_id);
    *return_args = NULL;
    const char *handler_name = entry->handler_name;
    if (worker) {
        pthread_mutex_lock (&worker->lock);
        worker->handler_name = handler_name? handler_name: "?";
        worker->workflow_id = workflow_id;
        pthread_mutex_unlock (&worker->lock);
    }
    crash_call_begin (entry->model->name, handler_name, workflow_id);
    int rc = handler (ctx, args, return_args);
    crash_call_end ();
    api_group_end (ctx, handler_name? handler_name: "a handler");
    if (worker) {
        pthread_mutex_lock (&worker->lock);
        worker->handler_name = NULL;
        pthread_mutex_unlock (&worker->lock);
    }
    log_set_workflow_id (workflow_id);      //  sends set it to their own ids
    if (rc != 0) {
        cJSON_Delete (*return_args);
        *return_args = NULL;
        return err_set (err, "%s", ctx->failed? ctx->fail: "handler failed without a reason (use svcfw_fail)");
    }
    return 0;
}

//  ---------------------------------------------------------------------------
//  The handler threads

static void *
s_worker_new (void *arg, int index)
{
    (void) index;
    s_worker_t *worker = calloc (1, sizeof *worker);
    if (!worker)
        return NULL;
    worker->service = arg;
    worker->ctx.service = arg;
    worker->arena = wire_arena_new ();
    if (!worker->arena) {
        free (worker);
        return NULL;
    }
    pthread_mutex_init (&worker->lock, NULL);
    return worker;
}

static void
s_worker_destroy (void *arg)
{
    s_worker_t *worker = arg;
    api_ctx_clear (&worker->ctx);
    wire_arena_destroy (&worker->arena);
    pthread_mutex_destroy (&worker->lock);
    free (worker);
}

//  pool_run_fn: a job on a pool thread, with that thread's ctx and arena.
static void
s_run (host_job_t *job, void *arg)
{
    s_worker = arg;
    job->work (job, s_worker->arena);
}

static void
s_submit (void *arg, host_job_t *job)
{
    entry_t *entry = arg;
    pool_submit (entry->pool? entry->pool: entry->service->pool, job);
}

//  Kept until the pools start (dispatch_pools_start), after every entry
//  attached; one fd an entry.
static int
s_watch (void *arg, int fd, int loop_set, void (*fn) (void *fn_arg), void *fn_arg)
{
    entry_t *entry = arg;
    if (entry->watch_fn)
        return -1;
    entry->watch_fd = fd;
    entry->watch_loop_set = loop_set;
    entry->watch_fn = fn;
    entry->watch_arg = fn_arg;
    return 0;
}

static int
s_on_completions (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    pool_complete (arg);
    return 0;
}

static int
s_pool_start (service_t *self, pool_t **pool_p, const char *name, int threads, char *err)
{
    *pool_p = pool_new (name, threads, s_run, s_worker_new, s_worker_destroy, self, err);
    if (!*pool_p)
        return -1;
    zmq_pollitem_t item = { NULL, pool_fd (*pool_p), ZMQ_POLLIN, 0 };
    if (zloop_poller (self->loop, &item, s_on_completions, *pool_p))
        return err_set (err, "%s: cannot register with the event loop", name);
    return 0;
}

int
dispatch_pools_start (service_t *self, char *err)
{
    if (s_pool_start (self, &self->pool, "svcfw-handler", 1, err))
        return -1;
    for (int i = 0; i < self->entry_count; i++) {
        entry_t *entry = &self->entries [i];
        int workers = model_int (entry->model, "workers", 0);
        if (workers > 0 && s_pool_start (self, &entry->pool, entry->model->name, workers, err))
            return -1;
        if (workers > 0)
            log_debug ("%s: %d handler threads", entry->model->name, workers);
        if (entry->watch_fn && pool_watch (entry->pool? entry->pool: self->pool, entry->watch_fd,
                                           entry->watch_loop_set, entry->watch_fn, entry->watch_arg))
            return err_set (err, "%s: cannot watch its socket: %s", entry->model->name, strerror (errno));
    }
    return 0;
}

void
dispatch_close (service_t *self)
{
    if (self->pool)
        pool_close (self->pool);
    for (int i = 0; i < self->entry_count; i++)
        if (self->entries [i].pool)
            pool_close (self->entries [i].pool);
}

int
dispatch_busy (service_t *self)
{
    int busy = self->pool? pool_busy (self->pool): 0;
    for (int i = 0; i < self->entry_count; i++)
        if (self->entries [i].pool)
            busy += pool_busy (self->entries [i].pool);
    return busy;
}

static void
s_report_one (void *arg, void *unused)
{
    (void) unused;
    s_worker_t *worker = arg;
    pthread_mutex_lock (&worker->lock);
    if (worker->handler_name)
        log_error ("stop: handler %s still running (workflow %s)", worker->handler_name, worker->workflow_id);
    else
        log_error ("stop: a handler thread is still busy outside a handler");
    pthread_mutex_unlock (&worker->lock);
}

int
dispatch_report_running (service_t *self)
{
    int running = self->pool? pool_running (self->pool, s_report_one, NULL): 0;
    for (int i = 0; i < self->entry_count; i++)
        if (self->entries [i].pool)
            running += pool_running (self->entries [i].pool, s_report_one, NULL);
    return running;
}

static void
s_poller_end (service_t *self, pool_t *pool)
{
    zmq_pollitem_t item = { NULL, pool_fd (pool), ZMQ_POLLIN, 0 };
    if (self->loop)
        zloop_poller_end (self->loop, &item);
}

int
dispatch_pools_stop (service_t *self, int wait_ms)
{
    int rc = 0;
    for (int i = 0; i < self->entry_count; i++)
        if (self->entries [i].pool) {
            s_poller_end (self, self->entries [i].pool);
            if (pool_destroy (&self->entries [i].pool, wait_ms))
                rc = -1;
        }
    if (self->pool) {
        s_poller_end (self, self->pool);
        if (pool_destroy (&self->pool, wait_ms))
            rc = -1;
    }
    return rc;
}

static const char *
s_workflow_id (void *arg)
{
    service_t *self = ((entry_t *) arg)->service;
    return s_worker? s_worker->ctx.message_id: self->loop_ctx.message_id;
}

static bool
s_stopping (void *arg)
{
    service_t *self = ((entry_t *) arg)->service;
    return atomic_load (&self->stopping);
}

static int
s_store_path (void *arg, const model_t *model, const char *key, const char *kind,
              char *path, size_t size, char *err)
{
    service_t *self = ((entry_t *) arg)->service;
    const char *given = model_string (model, key, NULL);
    int len, shared = 0;
    if (given)
        len = snprintf (path, size, "%s", given);
    else if (self->store [0]) {
        len = snprintf (path, size, "%s", self->store);
        shared = 1;
    }
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
    return shared;
}

int
dispatch_config (service_t *self, char *err)
{
    cJSON *store = cJSON_IsObject (self->config)
                 ? cJSON_DetachItemFromObjectCaseSensitive (self->config, "svcfw_store"): NULL;
    const char *config = self->opts->config_path? self->opts->config_path: "config";
    int rc = 0;
    if (store && (!cJSON_IsString (store) || !*store->valuestring))
        rc = err_set (err, "%s: config: svcfw_store must be a file path", config);
    const char *path = self->opts->store_path? self->opts->store_path: store && rc == 0? store->valuestring: "";
    if (rc == 0 && strlen (path) >= sizeof self->store)
        rc = err_set (err, "%s: the store path is longer than %zu bytes", self->opts->store_path? "--store": config,
                      sizeof self->store - 1);
    if (rc == 0)
        snprintf (self->store, sizeof self->store, "%s", path);
    cJSON_Delete (store);
    return rc;
}

void
dispatch_host (service_t *self, entry_t *entry)
{
    entry->service = self;
    entry->host = (host_t) {
        .arg = entry,
        .submit = s_submit,
        .watch = s_watch,
        .call = s_call,
        .workflow_id = s_workflow_id,
        .store_path = s_store_path,
        .stopping = s_stopping,
        .stop_fd = self->stop_fd,
        .signal_fd = self->signal_fd,
    };
}
