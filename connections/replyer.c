/*  replyer.c - a ROUTER socket that answers every request, even a malformed one.

    @discuss
    The socket is a ROUTER, not a REP: each request's routing envelope is
    read by route_recv and its reply sent back along that route, so REQ
    clients and DEALER clients that send the empty delimiter are served as
    by a REP, and a garbage peer cannot leave REP's envelope state machine
    mid-message and lose the next client's reply. A message without a
    proper envelope cannot be answered (there is no route): it is dropped
    and counted as bad_frames.

    Batches. {"batch": [ENVELOPE, ...]} is answered {"batch": [REPLY, ...]}:
    each envelope is read, validated and handled as if it came alone, in
    order, on the same handler thread (envelope.h says what is refused
    whole).

    Dedupe ("dedupe": true). Each request (one message or a batch) is one
    inbox transaction, opened on the handler thread before the first
    handler and committed before the reply is sent, so any reply a
    requester saw is remembered; one request at a time per replyer (tx_lock).
    A message that carries a "message_id" is looked up first: a repeat gets
    the reply stored for it and the handler is not called. In the service's
    store (--store), the handler's durable sends are written in the same
    transaction (stores/store.h, the thread's transaction), each message's
    work inside a savepoint that a failed handler rolls back: a message is
    wholly handled, mark and sends, or not at all. Effects outside svcfw are
    not in it: a crash before the commit makes the handlers of that request
    see their ids again, so handlers with outside effects check
    svcfw_message_id (docs/resilience.md).
    @end
*/
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "replyer.h"
#include "kick.h"
#include "envelope.h"
#include "uuid.h"
#include "inbox.h"
#include "route.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"
#include "trace.h"
#include "types.h"

struct _replyer_t {
    const host_t *host;         //  for handler calls
    const model_t *model;       //  borrowed
    svcfw_handler_fn *handler;
    zsock_t *sock;
    zloop_t *loop;              //  set while attached
    //  The loop reads requests; the handler thread that answered one sends
    //  its reply at once, so a reply wakes no other thread. A ZeroMQ socket
    //  may pass between threads behind a full memory barrier: this lock is
    //  one, taken around every use of sock once attached. The loop polls
    //  sock's ZMQ_FD (never the socket itself, which would use it
    //  unlocked): that fd is edge-triggered, so whoever leaves a request
    //  unread (a handler thread whose send took in the news of it, the loop
    //  at its batch bound) writes `kick` to bring the loop back.
    //  An idle handler thread reads requests too (host_watch), so that a
    //  request reaches a waiting thread with no hand-off; read_lock makes
    //  reading and submitting one step, so requests reach the queue in the
    //  order they were read, whoever reads. The loop polls ZMQ_FD through
    //  loop_set, an epoll set the handler threads' pool adds it to
    //  (pool_watch) after its own, so the loop does not wake for a request
    //  a waiting thread takes in.
    pthread_mutex_t read_lock;
    pthread_mutex_t sock_lock;  //  guards sock and spare once attached
    int kick;                   //  eventfd the loop polls beside sock's ZMQ_FD; -1 until attached
    int loop_set;               //  epoll set holding sock's ZMQ_FD, polled by the loop; -1 until attached
    size_t max_bytes;           //  larger requests get too_large
    pthread_mutex_t lock;       //  guards faults: several handler threads answer
    pthread_mutex_t tx_lock;    //  the inbox and its transaction: one request at a time
    uint64_t faults [FAULT_COUNT];
    inbox_t *inbox;             //  "dedupe": the ids answered, with their replies
    bool shared_store;          //  the inbox is in the service's store (--store): exactly-once
    uint64_t repeats;           //  requests the inbox answered
    long since_prune;           //  ids recorded since the inbox was last pruned
    metrics_conn_t *metrics;    //  this connection's counts (metrics.h); lives as long as the process
    struct s_job *spare;        //  jobs whose reply went, for the next requests (under sock_lock)
};

//  One request on its way: taken in on the loop, answered on a handler
//  thread, which sends the reply along its route.
typedef struct s_job {
    host_job_t job;             //  first: the host hands this pointer back
    replyer_t *replyer;
    zmq_msg_t msg;              //  the request's first body frame
    route_t *route;             //  where the reply goes; owned
    bool multi_frame;           //  the request had more than one body frame
    char *reply;                //  the reply text (cJSON_free), made by the work
    struct s_job *next;         //  in replyer->spare
} s_job_t;

#define S_PRUNE_EVERY 10000     //  recorded ids between prunes of the inbox (a prune walks the kept ones)

#define S_BATCH 64              //  requests served per loop wake-up, for fairness

static int
s_inbox_open (replyer_t *self, char *err)
{
    char path [HOST_PATH_LEN];
    int shared = host_store_path (self->host, self->model, "inbox", "inbox", path, sizeof path, err);
    if (shared < 0)
        return -1;
    //  In the service's store, the inbox's commit also stores the
    //  handlers' durable sends: it reaches the disk before the reply goes.
    char table [HOST_PATH_LEN];
    snprintf (table, sizeof table, "inbox:%s", self->model->name);
    self->shared_store = shared;
    self->inbox = inbox_open_table (path, shared? table: NULL, shared, err);
    if (!self->inbox)
        return -1;
    char why [ERR_LEN];
    log_info ("%s: dedupe, inbox %s%s (%ld ids remembered)", self->model->name, path,
              shared? " (the service's store: exactly-once)": "", inbox_count (self->inbox, why));
    return 0;
}

//  A repeat: the reply stored for message_id, or NULL if it is not one (or
//  the inbox cannot be read: then the handler answers, and that is logged).
static char *
s_inbox_reply (replyer_t *self, const char *message_id, const char *workflow_id)
{
    char *stored = NULL, why [ERR_LEN];
    int found = inbox_lookup (self->inbox, message_id, &stored, why);
    if (found < 0)
        log_error ("%s: cannot read the inbox: %s", self->model->name, why);
    if (found <= 0)
        return NULL;
    cJSON *returned = cJSON_Parse (stored);
    free (stored);
    char *reply = returned? envelope_reply (returned, workflow_id): NULL;
    cJSON_Delete (returned);
    if (reply && self->repeats++ == 0)
        log_info ("%s: answered a repeat of message %s from the inbox (later repeats are logged at DEBUG)",
                  self->model->name, message_id);
    else if (reply)
        log_debug ("%s: answered a repeat of message %s from the inbox (%" PRIu64 " so far)",
                   self->model->name, message_id, self->repeats);
    return reply;
}

//  Records the reply for message_id before it is sent.
static void
s_inbox_record (replyer_t *self, const char *message_id, const cJSON *returned)
{
    char why [ERR_LEN];
    char *text = cJSON_PrintUnformatted (returned);
    if (!text || inbox_record (self->inbox, message_id, text, why))
        //  The reply still goes: the message was handled; only a repeat of
        //  it would reach the handler again.
        log_error ("%s: cannot record message %s in the inbox: %s", self->model->name, message_id,
                   text? why: "out of memory");
    cJSON_free (text);
    if (++self->since_prune >= S_PRUNE_EVERY) {
        self->since_prune = 0;
        if (inbox_prune (self->inbox, INBOX_KEEP, why) < 0)
            log_warning ("%s: cannot prune the inbox: %s", self->model->name, why);
    }
}

replyer_t *
replyer_new (const host_t *host, const model_t *model, const char *endpoint,
             svcfw_handler_fn *handler, char *err)
{
    replyer_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->host = host;
    self->model = model;
    self->handler = handler;
    self->metrics = metrics_conn (model->name, METRICS_IN);
    self->max_bytes = (size_t) model_int (model, "max_message_bytes", 1 << 20);
    self->kick = self->loop_set = -1;
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->tx_lock, NULL);
    pthread_mutex_init (&self->sock_lock, NULL);
    pthread_mutex_init (&self->read_lock, NULL);
    self->sock = sock_open (model, ZMQ_ROUTER, endpoint, true, SOCK_LINGER_MS, self->max_bytes, err);
    if (!self->sock) {
        replyer_destroy (&self);
        return NULL;
    }
    log_debug ("%s: replyer bound at %s", model->name, endpoint);
    if (model_bool (model, "dedupe", false) && s_inbox_open (self, err)) {
        replyer_destroy (&self);
        return NULL;
    }
    return self;
}

static void
s_fault (replyer_t *self, fault_t fault, const char *why)
{
    pthread_mutex_lock (&self->lock);
    fault_log (self->model->name, self->faults, fault, why);
    pthread_mutex_unlock (&self->lock);
}

//  The error reply for a message that cannot be handled (fresh, cJSON_free).
static char *
s_refuse (replyer_t *self, fault_t fault, const char *why, const char *workflow_id)
{
    //  A message we cannot read may carry no id: make one, so its log
    //  line and the error reply can be matched.
    char made [40];
    if (!workflow_id) {
        uuid_make (made);
        workflow_id = made;
    }
    log_set_workflow_id (workflow_id);
    s_fault (self, fault, why);
    char *reply = envelope_error (fault, why, workflow_id);
    log_set_workflow_id (NULL);
    return reply;
}

//  Answers one envelope (a whole request, or a batch's member) received at
//  `received_at`; returns the reply text (fresh, cJSON_free). `in_tx`: the
//  inbox's transaction is open on this thread (dedupe): the lookup, the
//  handler's durable sends into the same file and the mark are in it, the
//  handler's work inside a savepoint that a failure rolls back. A handler
//  thread.
static char *
s_answer_one (replyer_t *self, const cJSON *member, bool is_member, int64_t received_at, bool in_tx)
{
    char why [ERR_LEN];
    const char *name = self->model->name;
    envelope_t env = { 0 };
    fault_t fault = is_member? envelope_read_member (member, &env, why): envelope_read (member, &env, why);
    trace_in_begin (name, TRACE_SERVER, env.traceparent, received_at);
    if (fault == FAULT_NONE && type_validate (self->model->args, env.args, why))
        fault = FAULT_INVALID_ARGS;
    //  The deadline is checked when the handler would start (SPEC §8), so
    //  a request its caller gave up on (or retried) is not handled again.
    int64_t deadline = env.deadline_ms? received_at + env.deadline_ms: 0;
    if (fault == FAULT_NONE && deadline && zclock_mono () >= deadline) {
        fault = FAULT_DEADLINE_EXCEEDED;
        snprintf (why, sizeof why, "its deadline_ms %" PRId64 " ran out %" PRId64 " ms after it came in, "
                  "before the handler started; not handled", env.deadline_ms, zclock_mono () - received_at);
    }
    if (fault) {
        char *reply = s_refuse (self, fault, why, env.workflow_id);
        trace_in_end (env.workflow_id, fault_name (fault));
        return reply;
    }

    cJSON *returned = NULL;
    char *reply;
    bool dedupe = in_tx && env.message_id;
    if (dedupe) {
        reply = s_inbox_reply (self, env.message_id, env.workflow_id);
        if (reply) {
            metrics_message (self->metrics, true, METRICS_OK);
            trace_in_end (env.workflow_id, NULL);
            log_set_workflow_id (NULL);
            return reply;
        }
    }
    //  Only a shared store holds the handler's durable sends (a file of
    //  its own holds marks, and a failed handler records none).
    bool savepoint = dedupe && self->shared_store && store_tx_savepoint (why) == 0;
    if (dedupe && self->shared_store && !savepoint)
        log_error ("%s: %s", name, why);
    int64_t started = metrics_handler_begin (self->metrics);
    int failed = host_call (self->host, self->handler, env.args, env.workflow_id, env.message_id, deadline,
                            &returned, why);
    metrics_handler_end (self->metrics, started);
    bool handled = false;
    fault_t outcome = failed? FAULT_HANDLER_FAILED: FAULT_NONE;
    if (failed) {
        pthread_mutex_lock (&self->lock);
        self->faults [FAULT_HANDLER_FAILED]++;
        pthread_mutex_unlock (&self->lock);
        metrics_message (self->metrics, true, METRICS_HANDLER_FAILED);
        log_warning ("%s: handler failed: %s", name, why);
        reply = envelope_error (FAULT_HANDLER_FAILED, why, host_workflow_id (self->host));
    }
    else {
        if (!returned)
            returned = cJSON_CreateObject ();
        char detail [ERR_LEN];
        if (type_validate (self->model->returns, returned, detail)) {
            pthread_mutex_lock (&self->lock);
            self->faults [FAULT_INVALID_RETURN]++;
            pthread_mutex_unlock (&self->lock);
            metrics_message (self->metrics, true, METRICS_INVALID_RETURN);
            snprintf (why, sizeof why, "handler returned invalid return args: %s", detail);
            outcome = FAULT_INVALID_RETURN;
            log_error ("%s: %s", name, why);
            reply = envelope_error (FAULT_INVALID_RETURN, why, host_workflow_id (self->host));
        }
        else {
            handled = true;
            if (dedupe)
                s_inbox_record (self, env.message_id, returned);
            reply = envelope_reply (returned, host_workflow_id (self->host));
            metrics_message (self->metrics, true, METRICS_OK);
            log_debug ("%s: replied", name);
        }
    }
    //  A message not handled leaves nothing behind: its durable sends go
    //  with the savepoint, and a repeat is handled afresh.
    char tx_why [ERR_LEN];
    if (savepoint && (handled? store_tx_release (tx_why): store_tx_undo (tx_why)))
        log_error ("%s: %s", name, tx_why);
    trace_in_end (host_workflow_id (self->host), outcome? fault_name (outcome): NULL);
    cJSON_Delete (returned);
    log_set_workflow_id (NULL);
    return reply;
}

//  Answers one request of `size` bytes received at `received_at`, a single
//  envelope or a batch; returns the reply text (fresh, cJSON_free). A
//  handler thread.
static char *
s_answer (replyer_t *self, wire_arena_t *arena, const void *data, size_t size, bool multi_frame,
          int64_t received_at)
{
    char why [ERR_LEN];
    fault_t fault = FAULT_NONE;
    const cJSON *root = NULL, *members = NULL;
    if (multi_frame) {
        fault = FAULT_BAD_FRAMES;
        snprintf (why, sizeof why, "a request must be one frame");
    }
    else if (size > self->max_bytes) {
        fault = FAULT_TOO_LARGE;
        snprintf (why, sizeof why, "request of %zu bytes is over max_message_bytes %zu", size, self->max_bytes);
    }
    else if (!(root = wire_parse (arena, data, size, why))) {
        char parse [ERR_LEN];
        snprintf (parse, sizeof parse, "%s", why);
        snprintf (why, sizeof why, "not JSON (%s)", parse);
        fault = FAULT_INVALID_JSON;
    }
    else if (envelope_batch (root, &members, why) < 0)
        fault = FAULT_INVALID_ENVELOPE;
    if (fault) {
        const cJSON *wf = cJSON_IsObject (root)? cJSON_GetObjectItemCaseSensitive (root, "workflow_id"): NULL;
        char *reply = s_refuse (self, fault, why, cJSON_IsString (wf) && *wf->valuestring
                                && strlen (wf->valuestring) <= 200? wf->valuestring: NULL);
        wire_arena_reset (arena);
        return reply;
    }
    //  Dedupe: one inbox transaction for the whole request (a batch's marks
    //  and its handlers' durable sends into the same file commit at once).
    //  One at a time per replyer: SQLite has one writer per file.
    bool in_tx = false;
    if (self->inbox) {
        pthread_mutex_lock (&self->tx_lock);
        in_tx = inbox_begin (self->inbox, why) == 0;
        if (!in_tx) {
            //  Not handled without its inbox: refused, so it comes again.
            pthread_mutex_unlock (&self->tx_lock);
            log_error ("%s: cannot open the inbox's transaction (the request is refused and will come "
                       "again): %s", self->model->name, why);
            char *reply = envelope_error (FAULT_HANDLER_FAILED, "the inbox is not available; not handled", NULL);
            wire_arena_reset (arena);
            return reply;
        }
    }
    int count = members? cJSON_GetArraySize (members): 1;
    char *one = NULL;
    char **replies = members? calloc ((size_t) count, sizeof *replies): &one;
    char *reply = NULL;
    if (replies) {
        int index = 0;
        if (members)
            for (const cJSON *member = members->child; member; member = member->next)
                replies [index++] = s_answer_one (self, member, true, received_at, in_tx);
        else
            one = s_answer_one (self, root, false, received_at, in_tx);
        if (in_tx && store_tx_commit (why)) {
            //  Nothing of it is stored: each message is refused, so that
            //  its sender sends it again.
            log_error ("%s: cannot commit the inbox (the %d message%s will be handled again): %s",
                       self->model->name, count, count == 1? "": "s", why);
            for (int i = 0; i < count; i++) {
                cJSON_free (replies [i]);
                replies [i] = envelope_error (FAULT_HANDLER_FAILED, "the inbox could not be committed", NULL);
            }
        }
        in_tx = false;
        bool complete = true;
        for (int i = 0; i < count; i++)
            complete &= replies [i] != NULL;
        reply = !complete? NULL: members? envelope_batch_reply (replies, count): one;
        if (members)
            for (int i = 0; i < count; i++)
                cJSON_free (replies [i]);
        else if (!complete)
            cJSON_free (one);
        if (members)
            free (replies);
    }
    if (in_tx)
        store_tx_rollback ();
    if (self->inbox)
        pthread_mutex_unlock (&self->tx_lock);
    wire_arena_reset (arena);
    return reply;
}

//  host_work_fn: answers the request on a handler thread.
static void
s_work (host_job_t *host_job, wire_arena_t *arena)
{
    s_job_t *job = (s_job_t *) host_job;
    replyer_t *self = job->replyer;
    job->reply = s_answer (self, arena, zmq_msg_data (&job->msg), zmq_msg_size (&job->msg), job->multi_frame,
                           job->job.received_at);
    if (!job->reply)
        job->reply = envelope_error (FAULT_HANDLER_FAILED, "out of memory", NULL);
}

static void
s_kick (replyer_t *self)
{
    kick_send (self->kick);
}

//  host_done_fn, done_anywhere: sends the reply along its route, on the
//  handler thread that made it, right after its work; keeps the job for a
//  later request. A cancelled job (the service stopped before its handler
//  started; its done then runs on the loop) goes unanswered, as a request
//  to a stopped service.
static void
s_done (host_job_t *host_job)
{
    s_job_t *job = (s_job_t *) host_job;
    replyer_t *self = job->replyer;
    bool answer = !job->job.cancelled;
    char *reply = job->reply;
    job->reply = NULL;
    zmq_msg_close (&job->msg);
    int rc = 0, events = 0;
    pthread_mutex_lock (&self->sock_lock);
    if (answer && reply && self->sock) {
        rc = route_send (zsock_resolve (self->sock), &job->route, reply, strlen (reply));
        //  The send may have taken in the news of a request (ZMQ_FD then
        //  says nothing more): look, and wake the loop to read it.
        events = zsock_events (self->sock);
    }
    route_destroy (&job->route);
    job->next = self->spare;        //  the loop may take it again once the lock is let go
    self->spare = job;
    pthread_mutex_unlock (&self->sock_lock);
    if (answer && (rc < 0 || !reply))
        log_error ("%s: cannot send the reply: %s", self->model->name,
                   reply? zmq_strerror (zmq_errno ()): "out of memory");
    cJSON_free (reply);
    if (events & ZMQ_POLLIN)
        s_kick (self);
}

//  Reads up to S_BATCH requests and hands each to a handler thread; on
//  the loop (sock's ZMQ_FD or the kick is readable) or on an idle handler
//  thread that watched the same fd. The socket's lock is held only while a
//  request is read, not while it is handed over, so a handler thread that
//  sends a reply meanwhile does not wait for it.
static void
s_take_in (replyer_t *self)
{
    void *handle = zsock_resolve (self->sock);
    int served = 0;
    bool more = false;
    pthread_mutex_lock (&self->read_lock);
    for (; served < S_BATCH; served++) {
        //  Every request with a route is answered once, whatever its frames.
        pthread_mutex_lock (&self->sock_lock);
        s_job_t *job = self->spare;
        if (job)
            self->spare = job->next;
        else if (!(job = calloc (1, sizeof *job))) {
            pthread_mutex_unlock (&self->sock_lock);
            log_error ("%s: out of memory for a request; it waits in the socket", self->model->name);
            break;
        }
        zmq_msg_init (&job->msg);
        char why [ERR_LEN];
        int frames = route_recv (handle, &job->route, &job->msg, 1, ZMQ_DONTWAIT, why);
        if (frames <= 0) {
            zmq_msg_close (&job->msg);
            job->next = self->spare;
            self->spare = job;
        }
        //  Stopped at the bound with requests left: the edge-triggered fd
        //  will not say so again, so come back through the kick after
        //  other sockets.
        if (frames != 0 && served == S_BATCH - 1)
            more = zsock_events (self->sock) & ZMQ_POLLIN;
        pthread_mutex_unlock (&self->sock_lock);
        if (frames == 0)
            break;
        if (frames < 0) {
            s_fault (self, FAULT_BAD_FRAMES, why);
            continue;
        }
        job->replyer = self;
        job->multi_frame = frames > 1;
        job->job.work = s_work;
        job->job.done = s_done;
        job->job.done_anywhere = true;
        job->job.received_at = zclock_mono ();
        host_submit (self->host, &job->job);
        if (host_stopping (self->host))
            break;
    }
    pthread_mutex_unlock (&self->read_lock);
    if (more)
        s_kick (self);
}

//  zloop_fn: sock's ZMQ_FD or the kick is readable.
static int
s_on_readable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    replyer_t *self = arg;
    kick_take (self->kick, item);
    s_take_in (self);
    return 0;
}

//  host_watch's fn: an idle handler thread saw sock's ZMQ_FD readable.
static void
s_on_watched (void *arg)
{
    s_take_in (arg);
}

int
replyer_attach (replyer_t *self, zloop_t *loop)
{
    if ((self->kick = kick_new ()) < 0 || (self->loop_set = epoll_create1 (EPOLL_CLOEXEC)) < 0)
        return -1;
    self->loop = loop;              //  destroy ends what kick_attach began, whatever failed
    if (kick_attach_fd (loop, self->loop_set, self->kick, s_on_readable, self))
        return -1;
    //  Requests that came before the loop polls the fd may have used up
    //  its edge: read them on the loop's first turn.
    s_kick (self);
    //  The loop reads too: requests are stamped as they come, however busy
    //  the threads are. The pool puts ZMQ_FD in loop_set when its threads
    //  start, before the loop's first turn.
    host_watch (self->host, zsock_fd (self->sock), self->loop_set, s_on_watched, self);
    return 0;
}

void
replyer_destroy (replyer_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    replyer_t *self = *self_p;
    //  The host has run every job's done before (its threads ended first).
    if (self->loop)
        kick_detach_fd (self->loop, self->loop_set, self->kick);
    if (self->kick >= 0)
        close (self->kick);
    if (self->loop_set >= 0)
        close (self->loop_set);
    zsock_destroy (&self->sock);
    while (self->spare) {
        s_job_t *next = self->spare->next;
        free (self->spare);
        self->spare = next;
    }
    pthread_mutex_destroy (&self->lock);
    pthread_mutex_destroy (&self->tx_lock);
    pthread_mutex_destroy (&self->sock_lock);
    pthread_mutex_destroy (&self->read_lock);
    if (self->inbox && self->repeats)
        log_info ("%s: the inbox answered %" PRIu64 " repeats in this run", self->model->name, self->repeats);
    inbox_destroy (&self->inbox);
    free (self);
    *self_p = NULL;
}
