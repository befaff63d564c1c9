/*  subscriber.c - a SUB socket that hands each published message to its handler.

    Each message is taken in on the loop and handed to a handler thread
    (host_submit) with its raw bytes; decoding, validation and the handler
    call run there. The messages ready at once go in one job, up to
    S_JOB_MSGS (one per job with "workers" above 1, so they are handled at
    once): one hand-off, one wake-up and one recycling for the lot, which
    the handler thread handles in arrival order. Nothing waits to fill a
    job: the loop hands over what it read as soon as the socket has no more.

    What is handed over and not yet handled is bounded: max_queue_bytes
    (creation argument, default S_QUEUE_BYTES; each message counts its
    size and S_MSG_OVERHEAD). Below it the loop reads all that comes, so
    the link's buffers stay empty (a publisher that exits right after its
    last send loses nothing: its link is reset when it exits, and what the
    kernel still held would go with it). At the bound the loop stops
    reading, so the socket's queue fills and the publisher's flow control
    takes over (it blocks, or drops for this subscriber, by its on_full):
    a slow handler holds the publisher back instead of growing this
    process without end. A handler thread that finishes a job and leaves
    half the bound or less handed over kicks the loop (connections/kick.h:
    an eventfd it polls beside the socket's ZMQ_FD), which reads again.

    The socket's own queue (RCVHWM, counted in messages) holds about
    32 MiB of the largest messages the subscriber takes: 32 MiB /
    max_message_bytes, between libzmq's default 1000 and 100000, fixed
    before the socket links (libzmq's flow control does not survive a
    RCVHWM changed on a live link: tried, it stalled and aborted). A
    subscriber that declares small messages gets a deep queue, so its link
    is rarely held up waiting for the loop to read.
*/
#include <pthread.h>
#include "subscriber.h"
#include "envelope.h"
#include "frames.h"
#include "kick.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"
#include "trace.h"
#include "types.h"

struct _subscriber_t {
    const host_t *host;
    const model_t *model;       //  borrowed
    svcfw_handler_fn *handler;
    zsock_t *sock;
    zsock_t *monitor;           //  sock's dropped links (sock_monitor)
    uint64_t drops;             //  links dropped, the first logged at WARNING
    char *endpoint;             //  connecting: where it links again after a drop; NULL when it binds
    bool linked;                //  connecting: a link is up (the monitor's last word)
    int relink_timer;           //  the check after a drop, -1 when none
    int relink_ms;              //  how long libzmq gets to link again by itself
    zloop_t *loop;              //  set while attached
    size_t max_bytes;
    int kick;                   //  eventfd the loop polls beside sock's ZMQ_FD: read again; -1 before attach
    pthread_mutex_t lock;       //  guards faults, spare and the hand-off's counts and hold
    size_t handed_bytes;        //  message bytes handed to handler threads, not yet handled
    size_t queue_bytes;         //  max_queue_bytes: the bound on handed_bytes
    bool held;                  //  the loop stopped reading at the bound: the handler threads kick it
    uint64_t faults [FAULT_COUNT];
    metrics_conn_t *metrics;    //  this connection's counts (metrics.h); lives as long as the process
    struct s_job *spare;        //  handled jobs, for the next messages
    int job_msgs;               //  messages per job: S_JOB_MSGS, or 1 with "workers" above 1
};

#define S_BATCH 256             //  messages handled per loop wake-up, for fairness
#define S_JOB_MSGS 32           //  messages per job at most
#define S_AHEAD_BYTES 32768     //  a job's messages decoded ahead of their handler calls, at most about
#define S_QUEUE_BYTES (256 << 20)   //  max_queue_bytes's default: bytes handed over and not yet handled
#define S_MSG_OVERHEAD 128      //  what a message held costs beyond its bytes, about
#define S_RELINK_RETRY_MS 100   //  a relink waits this long again while messages wait in the socket
#define S_RCV_BYTES (32 << 20)  //  what the socket's queue may hold, at most about
#define S_RCV_HWM_MIN 1000      //  libzmq's default RCVHWM
#define S_RCV_HWM_MAX 100000

//  Messages on their way to the handler, in arrival order.
typedef struct s_job {
    host_job_t job;             //  first: the host hands this pointer back
    subscriber_t *subscriber;
    int count;                  //  bodies held
    size_t bytes;               //  their sizes, summed
    zmq_msg_t body [S_JOB_MSGS];    //  the envelope frames
    struct s_job *next;         //  in subscriber->spare
} s_job_t;

subscriber_t *
subscriber_new (const host_t *host, const model_t *model, const char *endpoint,
                svcfw_handler_fn *handler, char *err)
{
    subscriber_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->host = host;
    self->model = model;
    self->handler = handler;
    self->metrics = metrics_conn (model->name, METRICS_IN);
    self->max_bytes = (size_t) model_int (model, "max_message_bytes", 1 << 20);
    self->job_msgs = model_int (model, "workers", 0) > 1? 1: S_JOB_MSGS;
    self->kick = -1;
    self->queue_bytes = (size_t) model_int (model, "max_queue_bytes", S_QUEUE_BYTES);
    pthread_mutex_init (&self->lock, NULL);
    bool binds = model_bool (model, "is_binder", false);
    //  Linger 0: a SUB only sends subscriptions, there is nothing to flush.
    self->sock = sock_new (model, ZMQ_SUB, 0, self->max_bytes, err);
    if (!self->sock) {
        subscriber_destroy (&self);
        return NULL;
    }
    size_t fit = S_RCV_BYTES / (self->max_bytes? self->max_bytes: 1);
    zsock_set_rcvhwm (self->sock, fit < S_RCV_HWM_MIN? S_RCV_HWM_MIN: fit > S_RCV_HWM_MAX? S_RCV_HWM_MAX: (int) fit);
    zsock_set_subscribe (self->sock, model_string (model, "topic", ""));
    self->relink_timer = -1;
    self->relink_ms = 2 * model_int (model, "reconnect_max_ms", SOCK_RECONNECT_MAX_MS);
    self->monitor = sock_monitor (model, self->sock, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECTED, err);
    if (!self->monitor || sock_attach (model, self->sock, endpoint, binds, err)) {
        subscriber_destroy (&self);
        return NULL;
    }
    if (!binds && !(self->endpoint = strdup (endpoint))) {
        err_set (err, "%s: out of memory", model->where);
        subscriber_destroy (&self);
        return NULL;
    }
    log_debug ("%s: subscriber %s %s, topic \"%s\"", model->name, binds? "bound at": "connected to",
               endpoint, model_string (model, "topic", ""));
    return self;
}

static void
s_fault (subscriber_t *self, fault_t fault, const char *why)
{
    pthread_mutex_lock (&self->lock);
    fault_log (self->model->name, self->faults, fault, why);
    pthread_mutex_unlock (&self->lock);
}

//  Decodes and validates one message into env (its trees in arena, which
//  must stay until the message is handled). Returns 0, or -1 when it is
//  unfit: then counted, logged and its span ended. A handler thread.
static int
s_check (subscriber_t *self, wire_arena_t *arena, const void *data, size_t size, int64_t received_at,
         envelope_t *env)
{
    char why [ERR_LEN];
    fault_t fault = FAULT_NONE;
    memset (env, 0, sizeof *env);
    if (size > self->max_bytes) {
        fault = FAULT_TOO_LARGE;
        snprintf (why, sizeof why, "message of %zu bytes is over max_message_bytes %zu", size, self->max_bytes);
    }
    else
        fault = envelope_decode_wire (arena, data, size, env, why);
    if (fault == FAULT_NONE && type_validate (self->model->args, env->args, why))
        fault = FAULT_INVALID_ARGS;
    if (!fault)
        return 0;
    trace_in_begin (self->model->name, TRACE_CONSUMER, env->traceparent, received_at);
    log_set_workflow_id (env->workflow_id);
    s_fault (self, fault, why);
    trace_in_end (env->workflow_id, fault_name (fault));
    log_set_workflow_id (NULL);
    envelope_clear (env);
    return -1;
}

//  Calls the handler on one message that passed s_check. Returns the
//  outcome to count. A handler thread.
static metrics_outcome_t
s_call (subscriber_t *self, envelope_t *env, int64_t received_at)
{
    char why [ERR_LEN];
    trace_in_begin (self->model->name, TRACE_CONSUMER, env->traceparent, received_at);
    cJSON *returned = NULL;
    //  A published message has no deadline: no one waits for it.
    int failed = host_call (self->host, self->handler, env->args, env->workflow_id, NULL, 0, &returned, why);
    if (failed) {
        pthread_mutex_lock (&self->lock);
        self->faults [FAULT_HANDLER_FAILED]++;
        pthread_mutex_unlock (&self->lock);
        log_warning ("%s: handler failed: %s", self->model->name, why);
    }
    trace_in_end (host_workflow_id (self->host), failed? fault_name (FAULT_HANDLER_FAILED): NULL);
    cJSON_Delete (returned);        //  a subscriber has no one to reply to
    envelope_clear (env);
    log_set_workflow_id (NULL);
    return failed? METRICS_HANDLER_FAILED: METRICS_OK;
}

//  host_work_fn: handles the job's messages in order, in rounds: the
//  messages of a round (up to S_AHEAD_BYTES of them, one at least) are
//  decoded and checked first (the unfit counted and logged), then the
//  handler is called on each fit one, back to back: one clock read ends a
//  call's time and begins the next's (a call's time so takes in the few
//  hundred nanoseconds of its span's start and the previous one's end),
//  and the counts go in by a tally (metrics.h), not per message. Once a
//  stop began, the messages not started are dropped, as queued ones are.
static void
s_work (host_job_t *host_job, wire_arena_t *arena)
{
    s_job_t *job = (s_job_t *) host_job;
    subscriber_t *self = job->subscriber;
    int64_t received_at = job->job.received_at;
    envelope_t env [S_JOB_MSGS];
    int next = 0;
    while (next < job->count && !(next > 0 && host_stopping (self->host))) {
        int fit = 0;
        size_t bytes = 0;
        while (next < job->count && bytes < S_AHEAD_BYTES) {
            size_t size = zmq_msg_size (&job->body [next]);
            bytes += size + 1;
            if (s_check (self, arena, zmq_msg_data (&job->body [next]), size, received_at, &env [fit]) == 0)
                fit++;
            next++;
        }
        if (fit) {
            metrics_tally_t tally;
            int64_t at = metrics_now ();
            metrics_tally_begin (&tally, self->metrics, at);
            for (int i = 0; i < fit; i++) {
                if (i > 0 && host_stopping (self->host))
                    break;
                metrics_outcome_t outcome = s_call (self, &env [i], received_at);
                int64_t now = metrics_now ();
                metrics_tally_call (&tally, now - at, outcome, now);
                at = now;
            }
            metrics_tally_end (&tally);
        }
        wire_arena_reset (arena);
    }
}

//  Makes the loop read again (the kick eventfd is readable).
static void
s_kick (subscriber_t *self)
{
    kick_send (self->kick);
}

//  host_done_fn, done_anywhere: on the handler thread right after the
//  work (or on the loop for a cancelled job), so no loop wake-up per job.
static void
s_done (host_job_t *host_job)
{
    s_job_t *job = (s_job_t *) host_job;
    subscriber_t *self = job->subscriber;
    for (int i = 0; i < job->count; i++)
        zmq_msg_close (&job->body [i]);
    pthread_mutex_lock (&self->lock);
    self->handed_bytes -= job->bytes;
    bool kick = self->held && self->handed_bytes <= self->queue_bytes / 2;
    if (kick)
        self->held = false;
    job->count = 0;
    job->bytes = 0;
    job->next = self->spare;
    self->spare = job;
    pthread_mutex_unlock (&self->lock);
    if (kick)
        s_kick (self);
}

//  A job to fill: a spare one, else a fresh one; NULL when out of memory.
static s_job_t *
s_job_take (subscriber_t *self)
{
    pthread_mutex_lock (&self->lock);
    s_job_t *job = self->spare;
    if (job)
        self->spare = job->next;
    pthread_mutex_unlock (&self->lock);
    if (!job && (job = calloc (1, sizeof *job))) {
        job->subscriber = self;
        job->job.work = s_work;
        job->job.done = s_done;
        job->job.done_anywhere = true;
    }
    return job;
}

static void
s_job_submit (subscriber_t *self, s_job_t *job)
{
    pthread_mutex_lock (&self->lock);
    self->handed_bytes += job->bytes;
    pthread_mutex_unlock (&self->lock);
    job->job.received_at = zclock_mono ();
    host_submit (self->host, &job->job);
}

//  How many more bytes the loop may read now (counting what the job being
//  filled holds); 0 at the bound, and then held: the handler thread that
//  brings the hand-off to half the bound or less kicks the loop.
static size_t
s_room (subscriber_t *self, const s_job_t *job)
{
    size_t handed = job? job->bytes: 0;
    pthread_mutex_lock (&self->lock);
    handed += self->handed_bytes;
    size_t room = handed < self->queue_bytes? self->queue_bytes - handed: 0;
    if (!room)
        self->held = true;
    pthread_mutex_unlock (&self->lock);
    return room;
}

static bool
s_held (subscriber_t *self)
{
    pthread_mutex_lock (&self->lock);
    bool held = self->held;
    pthread_mutex_unlock (&self->lock);
    return held;
}

//  Reads up to S_BATCH messages (within the bound) and hands them to the
//  handler threads in jobs. On the loop: the socket's ZMQ_FD or the kick
//  is readable. The fd is edge-triggered: stopped at S_BATCH with
//  messages left, the loop kicks itself to come back after other sockets;
//  held at the bound, it is kicked by a handler thread.
static void
s_take_in (subscriber_t *self)
{
    void *handle = zsock_resolve (self->sock);
    s_job_t *job = NULL;            //  the job being filled
    size_t room = 0;                //  bytes that may still be read
    bool more = false;
    zmq_msg_t topic;                //  each message's first frame, read over
    zmq_msg_init (&topic);
    for (int handled = 0; handled < S_BATCH; handled++) {
        //  The bound is looked at again when the room counted runs out
        //  (the handler threads may have made more meanwhile): it is passed
        //  by one message at most.
        if (room == 0 && !(room = s_room (self, job)))
            break;
        if (!job && !(job = s_job_take (self))) {
            log_error ("%s: out of memory: messages wait in the socket", self->model->name);
            break;
        }
        //  Exactly [topic][envelope], the envelope read into the job's
        //  next slot; every frame is read whatever the count.
        zmq_msg_t *body = &job->body [job->count];
        zmq_msg_init (body);
        int count = frames_recv_pair (handle, &topic, body, ZMQ_DONTWAIT);
        if (count == 2) {
            job->count++;
            size_t size = zmq_msg_size (body) + S_MSG_OVERHEAD;
            job->bytes += size;
            room = size < room? room - size: 0;
        }
        else {
            zmq_msg_close (body);
            if (count > 0) {
                char why [64];
                snprintf (why, sizeof why, "%d frame%s, expected [topic][envelope]", count,
                          count == 1? "": "s");
                s_fault (self, FAULT_BAD_FRAMES, why);
            }
        }
        if (count == 0)
            break;
        if (job->count == self->job_msgs) {
            s_job_submit (self, job);
            job = NULL;
        }
        if (host_stopping (self->host))
            break;
        if (handled == S_BATCH - 1)
            more = zsock_events (self->sock) & ZMQ_POLLIN;
    }
    zmq_msg_close (&topic);
    if (job && job->count)
        s_job_submit (self, job);
    else if (job)
        s_done (&job->job);         //  nothing in it: back to the spares
    if (more)
        s_kick (self);
}

//  zloop_fn: sock's ZMQ_FD or the kick is readable.
static int
s_on_readable (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    subscriber_t *self = arg;
    kick_take (self->kick, item);
    s_take_in (self);
    return 0;
}

//  After a link drops, libzmq links again by itself, except after a
//  protocol error (a frame over the cap), which ends the session for good.
//  If no link is up relink_ms after the drop, link again on a fresh
//  session. Not at once: a fresh session throws away what the old one had
//  received and the handler has not read yet (a publisher that sent its
//  last messages and left), so first everything queued is handled.
static int
s_on_relink_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) timer_id;
    subscriber_t *self = arg;
    self->relink_timer = -1;
    if (self->linked)
        return 0;
    for (int i = 0; i < 1000 && !s_held (self) && (zsock_events (self->sock) & ZMQ_POLLIN); i++)
        s_take_in (self);
    //  Messages still wait in the socket (the handler threads have not made
    //  room for them yet): a fresh session would throw them away. Look again
    //  later.
    if (s_held (self) || (zsock_events (self->sock) & ZMQ_POLLIN)) {
        self->relink_timer = zloop_timer (loop, S_RELINK_RETRY_MS, 1, s_on_relink_check, self);
        return 0;
    }
    char err [ERR_LEN];
    if (sock_relink (self->model, self->sock, self->endpoint, err))
        log_error ("%s", err);
    else
        log_debug ("%s: linked again to %s", self->model->name, self->endpoint);
    return 0;
}

//  libzmq drops a link whose frame is over the cap, and the frame with it,
//  telling only the monitor: say so, once at WARNING, the rest at DEBUG.
static int
s_on_monitor (zloop_t *loop, zsock_t *reader, void *arg)
{
    subscriber_t *self = arg;
    char peer [256];
    int event;
    while ((event = sock_monitor_event (reader, peer, sizeof peer))) {
        if (event == ZMQ_EVENT_CONNECTED) {
            self->linked = true;
            continue;
        }
        if (event != ZMQ_EVENT_DISCONNECTED)
            continue;
        self->linked = false;
        self->drops++;
        char why [ERR_LEN];
        snprintf (why, sizeof why, "%s: dropped the link from %s (%" PRIu64 " so far): the publisher left, or "
                  "sent a frame over %zu bytes (the cap for max_message_bytes %zu), which is dropped unread "
                  "with its link", self->model->name, peer, self->drops, sock_frame_cap (self->max_bytes),
                  self->max_bytes);
        if (self->drops == 1)
            log_warning ("%s (later drops at DEBUG)", why);
        else
            log_debug ("%s", why);
        if (self->endpoint && self->relink_timer == -1)
            self->relink_timer = zloop_timer (loop, self->relink_ms, 1, s_on_relink_check, self);
    }
    return 0;
}

int
subscriber_attach (subscriber_t *self, zloop_t *loop)
{
    if ((self->kick = kick_new ()) < 0)
        return -1;
    self->loop = loop;              //  destroy ends what kick_attach began, whatever failed
    if (kick_attach (loop, self->sock, self->kick, s_on_readable, self)
    ||  zloop_reader (loop, self->monitor, s_on_monitor, self))
        return -1;
    //  Messages that came before the loop polls the fd may have used up
    //  its edge: read them on the loop's first turn.
    s_kick (self);
    return 0;
}

void
subscriber_destroy (subscriber_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    subscriber_t *self = *self_p;
    if (self->loop) {
        if (self->relink_timer != -1)
            zloop_timer_end (self->loop, self->relink_timer);
        kick_detach (self->loop, self->sock, self->kick);
        zloop_reader_end (self->loop, self->monitor);
    }
    if (self->kick >= 0)
        close (self->kick);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->sock);
    free (self->endpoint);
    while (self->spare) {
        s_job_t *next = self->spare->next;
        free (self->spare);
        self->spare = next;
    }
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
