/*  requester.c - a REQ client that never hangs: the zguide's Lazy Pirate.

    @discuss
    A REQ socket whose reply does not come is stuck (it cannot send again),
    so on a timeout the socket is closed with no linger, dropping the lost
    request, and a fresh one sends again. `retries` counts those re-sends
    after the first attempt (0: try once; default 2, so 3 attempts). After
    the last attempt the request fails with every attempt's cause, in order.
    A stop (signal) seen while waiting does not abort the request at once:
    the reply gets a short grace period, without further attempts, so a
    shutdown lets in-flight work end but stays bounded.

    Resilience (docs/resilience.md). Between attempts the requester waits a
    full-jitter exponential backoff (`backoff_ms`, `backoff_max_ms`; none by
    default). A circuit breaker (`breaker`) sees every attempt's outcome and,
    once open, stops attempts before they start. A durable requester
    (`durable`) does none of this on the caller's thread: it stores the
    message in its outbox and returns; its sender actor (sender.c) delivers.
    @end
*/
#include <czmq.h>
#include <unistd.h>
#include "requester.h"
#include "backoff.h"
#include "breaker.h"
#include "envelope.h"
#include "frames.h"
#include "link.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"
#include "outbox.h"
#include "sender.h"
#include "trace.h"
#include "types.h"
#include "wire.h"

#define S_STOP_GRACE_MS 1000    //  how long a reply is still awaited after a stop
#define S_QUICK_MS 5            //  the first wait for a reply, on the socket alone

struct _requester_t {
    const host_t *host;
    const model_t *model;       //  borrowed
    char endpoint [256];
    zsock_t *sock;              //  NULL until the first request, and after a timeout
    link_watch_t *link;         //  sock's dropped links and refused handshakes, with sock
    int timeout_ms;
    int attempts;               //  in all: 1 + the model's `retries` (re-sends)
    size_t max_bytes;
    backoff_t *backoff;         //  waits between attempts
    breaker_t *breaker;         //  NULL without "breaker"
    outbox_t *outbox;           //  durable: the caller's connection to the outbox
    int outbox_lock;            //  durable: the outbox's lock (one sending process per file), or -1
    sender_t *sender;           //  durable: delivers what the outbox holds
    wire_buffer_t args_text;    //  durable: the args printed for the outbox
    metrics_conn_t *metrics;    //  this connection's counts (metrics.h)
    metrics_outcome_t outcome;  //  the last request's, for metrics_request
    wire_buffer_t request_text; //  the request being made, without its deadline_ms
    wire_arena_t *arena;        //  a reply is parsed into it; its return args copied out
    wire_buffer_t attempt_text; //  the request of one attempt, with its deadline_ms
};

#define S_DURABLE_BACKOFF_MS 100    //  a durable requester's first backoff ceiling, by default
#define S_BACKOFF_MAX_MS 5000       //  the backoff cap, by default

//  Sets up what the resilience options ask for: the backoff, the breaker,
//  and for a durable requester the outbox and its sender (which then starts
//  delivering whatever the outbox already holds).
//  Closes the socket and its link watch (the watch first).
static void
s_close (requester_t *self)
{
    link_watch_destroy (&self->link);
    zsock_destroy (&self->sock);
}

//  store_commit_fn: a transaction that staged messages in the outbox committed.
static void
s_wake_sender (void *arg)
{
    sender_wake (arg);
}

static int
s_resilience_new (requester_t *self, char *err)
{
    const model_t *model = self->model;
    bool durable = model_bool (model, "durable", false);
    int backoff_ms = model_int (model, "backoff_ms", durable? S_DURABLE_BACKOFF_MS: 0);
    int backoff_max_ms = model_int (model, "backoff_max_ms", S_BACKOFF_MAX_MS);
    if (backoff_max_ms < backoff_ms)
        backoff_max_ms = backoff_ms;
    self->backoff = backoff_new (backoff_ms, backoff_max_ms, NULL, NULL);
    if (!self->backoff)
        return err_set (err, "%s: out of memory", model->where);

    breaker_config_t config;
    bool enabled;
    char why [ERR_LEN];
    if (breaker_config_parse (cJSON_GetObjectItemCaseSensitive (model->creation, "breaker"),
                              &config, &enabled, why))
        return err_set (err, "models: %s: creation arguments: %s", model->where, why);
    if (enabled && !(self->breaker = breaker_new (model->name, &config, NULL, NULL)))
        return err_set (err, "%s: out of memory", model->where);
    if (enabled)
        metrics_conn (model->name, METRICS_BREAKER);
    if (!durable)
        return 0;

    char path [HOST_PATH_LEN];
    int shared = host_store_path (self->host, model, "outbox", "outbox", path, sizeof path, err);
    if (shared < 0)
        return -1;
    //  In the service's store, each outbox is a table "outbox:NAME" and
    //  has a lock of its own.
    char table [HOST_PATH_LEN];
    snprintf (table, sizeof table, "outbox:%s", model->name);
    self->outbox_lock = outbox_lock_table (path, shared? table: NULL, err);
    if (self->outbox_lock < 0)
        return -1;
    //  "synchronous": "normal" leaves the fsync to the checkpoints.
    const char *sync = model_string (model, "synchronous", "full");
    self->outbox = outbox_open_table (path, shared? table: NULL, strcmp (sync, "normal") != 0, err);
    if (!self->outbox)
        return -1;
    if (outbox_warning (self->outbox))
        log_warning ("%s: %s", model->name, outbox_warning (self->outbox));
    sender_config_t sender = {
        .name = model->name, .endpoint = self->endpoint, .outbox_path = path,
        .outbox_table = shared? table: NULL,
        .in_flight = model_int (model, "in_flight", REQUESTER_IN_FLIGHT),
        .timeout_ms = self->timeout_ms, .retries = self->attempts - 1,
        .backoff_ms = backoff_ms, .backoff_max_ms = backoff_max_ms,
        .batch = model_int (model, "outbox_batch", REQUESTER_OUTBOX_BATCH),
        .max_bytes = self->max_bytes, .model = model
    };
    self->sender = sender_new (&sender, err);
    if (!self->sender)
        return -1;
    //  Sends staged in a handler's transaction wake the sender once committed.
    outbox_on_commit (self->outbox, s_wake_sender, self->sender);
    //  The sender has its own socket; this one only proved the endpoint.
    s_close (self);
    long pending = requester_pending (self);
    metrics_conn (model->name, METRICS_OUTBOX);
    metrics_outbox_pending (self->metrics, pending);
    log_info ("%s: durable, outbox %s (%ld pending)", model->name, path, pending);
    return 0;
}

requester_t *
requester_new (const host_t *host, const model_t *model, const char *endpoint, char *err)
{
    requester_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->host = host;
    self->model = model;
    self->metrics = metrics_conn (model->name, METRICS_OUT | METRICS_REQUESTER);
    self->outbox_lock = -1;
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = model_int (model, "timeout_ms", 2500);
    self->attempts = 1 + model_int (model, "retries", REQUESTER_RETRIES);
    self->max_bytes = (size_t) model_int (model, "max_message_bytes", 1 << 20);
    self->arena = wire_arena_new ();
    if (!self->arena) {
        err_set (err, "%s: out of memory", model->where);
        requester_destroy (&self);
        return NULL;
    }
    //  Connect now, so the first request does not wait for the handshake
    //  and a bad endpoint is a startup error.
    self->sock = sock_open (model, ZMQ_REQ, endpoint, false, 0, self->max_bytes, err);
    if (!self->sock) {
        requester_destroy (&self);
        return NULL;
    }
    if (s_resilience_new (self, err)) {
        requester_destroy (&self);
        return NULL;
    }
    return self;
}

//  Receives a whole reply into one message (a multi-frame reply is refused),
//  waiting up to `wait_ms` for it. Returns 0, -1 with why, or 1 when none
//  came within wait_ms.
static int
s_receive (requester_t *self, int wait_ms, cJSON **return_args, char *why)
{
    void *handle = zsock_resolve (self->sock);
    zmq_setsockopt (handle, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    int frames = frames_recv (handle, &msg, 1, 0);
    if (frames == 0) {
        int errnum = zmq_errno ();
        zmq_msg_close (&msg);
        if (errnum == EAGAIN)
            return 1;
        return err_set (why, "cannot receive: %s", zmq_strerror (errnum));
    }
    int rc = 0;
    if (frames > 1)
        rc = err_set (why, "invalid_reply: %d frames, expected one", frames);
    else if (zmq_msg_size (&msg) > self->max_bytes)
        rc = err_set (why, "reply of %zu bytes is over max_message_bytes %zu",
                      zmq_msg_size (&msg), self->max_bytes);
    else {
        //  Parsed into the arena (one request at a time: the caller holds
        //  the entry's lock); only the return args are copied out.
        envelope_t env;
        rc = envelope_decode_reply_wire (self->arena, zmq_msg_data (&msg), zmq_msg_size (&msg), &env, why);
        if (rc == 0) {
            char detail [ERR_LEN];
            if (type_validate (self->model->returns, env.args, detail))
                rc = err_set (why, "invalid return args: %s", detail);
            else if (!(*return_args = cJSON_Duplicate (env.args, true)))
                rc = err_set (why, "out of memory for the reply");
        }
        wire_arena_reset (self->arena);
    }
    zmq_msg_close (&msg);
    return rc;
}

//  Stores the message in the outbox (one transaction) and wakes the sender.
static int
s_enqueue (requester_t *self, const cJSON *args, const char *workflow_id, const char *message_id,
           char *err)
{
    const char *name = self->model->name;
    self->args_text.len = 0;
    if (wire_write (&self->args_text, args))
        return err_set (err, "%s: out of memory", name);
    char why [ERR_LEN];
    int rc = outbox_enqueue (self->outbox, message_id, workflow_id, self->args_text.data, why);
    if (rc < 0)
        return err_set (err, "%s: cannot store the message in the outbox: %s", name, why);
    if (rc == 1) {
        metrics_outbox_add (self->metrics, 1);
        sender_wake (self->sender);
        log_debug ("%s: stored message %s in the outbox", name, message_id);
    }
    else if (rc == 2) {
        //  In the handled message's transaction, or the thread's group
        //  (svcfw_outbox_begin): stored, and sent, once it commits.
        metrics_outbox_add (self->metrics, 1);
        log_debug ("%s: staged message %s in the outbox, stored when its transaction commits", name,
                   message_id);
    }
    else
        log_debug ("%s: message %s is already in the outbox; not stored again", name, message_id);
    return 0;
}

//  Waits the backoff after failed attempt `attempt`, unless a stop comes
//  first (then sets *grace_end, and no further attempt is made).
static void
s_backoff_wait (requester_t *self, int attempt, int64_t *grace_end)
{
    int delay = backoff_delay (self->backoff, attempt);
    int64_t end = zclock_mono () + delay;
    while (delay > 0 && !*grace_end) {
        int64_t left = end - zclock_mono ();
        if (left <= 0)
            break;
        zmq_pollitem_t items [] = {
            { NULL, self->host->stop_fd, ZMQ_POLLIN, 0 },
            { NULL, self->host->signal_fd, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, 2, left) < 0 && zmq_errno () != EINTR)
            break;
        if ((items [0].revents | items [1].revents) & ZMQ_POLLIN)
            *grace_end = zclock_mono ();
    }
}

static int
s_request (requester_t *self, const cJSON *args, const char *workflow_id,
           const char *message_id, int64_t deadline, cJSON **return_args, char *err)
{
    *return_args = NULL;
    const char *name = self->model->name;
    self->outcome = METRICS_ERROR;
    if (self->outbox) {
        int rc = s_enqueue (self, args, workflow_id, message_id, err);
        self->outcome = rc? METRICS_ERROR: METRICS_OK;
        return rc;
    }
    //  The request without its deadline, kept for every attempt (each
    //  adds the time it waits).
    int written = -1;
    if (message_id) {
        self->args_text.len = 0;
        char *with_id = wire_write (&self->args_text, args) == 0?
                        sender_envelope (self->args_text.data, workflow_id, message_id): NULL;
        self->request_text.len = 0;
        written = with_id? wire_append (&self->request_text, with_id, strlen (with_id)): -1;
        cJSON_free (with_id);
    }
    else
        written = envelope_request_into (&self->request_text, args, workflow_id);
    if (written)
        return err_set (err, "%s: out of memory", name);
    const char *text = self->request_text.data;
    size_t len = self->request_text.len;
    char causes [ERR_LEN] = "";
    size_t used = 0;
    int64_t grace_end = 0;              //  set once a stop is seen
    int attempt = 0;
    int rc = -1;
    bool answered = false;
    char open_why [ERR_LEN] = "";       //  the breaker's reason, once it refuses
    bool expired = false;               //  the caller's deadline passed before an attempt

    while (attempt < self->attempts && !answered && !(grace_end && attempt > 0)) {
        if (attempt > 0)
            s_backoff_wait (self, attempt, &grace_end);
        if (grace_end && attempt > 0)
            break;
        int wait_ms = self->timeout_ms;
        if (deadline) {
            int64_t left = deadline - zclock_mono ();
            if (left <= 0) {
                expired = true;
                break;
            }
            if (left < wait_ms)
                wait_ms = (int) left;
        }
        if (self->breaker && !breaker_allow (self->breaker, open_why))
            break;
        attempt++;
        if (!self->sock) {
            char why [ERR_LEN];
            self->sock = sock_open (self->model, ZMQ_REQ, self->endpoint, false, 0, self->max_bytes, why);
            if (!self->sock) {
                used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: cannot connect",
                                  used? "; ": "", attempt);
                if (self->breaker)
                    breaker_record (self->breaker, false);
                continue;
            }
        }
        //  A link that drops during the attempt took the request or its
        //  reply with it: as when libzmq refuses a reply frame over the
        //  cap, which it says to nobody but a socket monitor. The watch's
        //  counts now are the drops before this attempt.
        char why [ERR_LEN];
        if (!self->link && !(self->link = link_watch_new (self->model, self->sock, why)))
            log_warning ("%s", why);
        uint64_t drops_before = self->link? link_watch_drops (self->link): 0;
        uint64_t refusals_before = self->link? link_watch_refusals (self->link): 0;
        void *handle = zsock_resolve (self->sock);
        //  The socket's pending commands taken in before the send (ZMQ_EVENTS
        //  does; zmq_send looks only once a millisecond). Measured, one core,
        //  against a svcfw replyer: without it the replyer's handler thread
        //  is preempted in half the round trips instead of one in six, and a
        //  round trip takes ~2.5 us longer (docs/benchmarks.md, the eighth
        //  round); it costs one poll(0).
        zsock_events (self->sock);
        if (envelope_add_deadline (&self->attempt_text, text, len, wait_ms)) {
            used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: out of memory",
                              used? "; ": "", attempt);
            if (used >= sizeof causes) used = sizeof causes - 1;
            continue;
        }
        if (zmq_send (handle, self->attempt_text.data, self->attempt_text.len, ZMQ_DONTWAIT) < 0) {
            used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: cannot send: %s",
                              used? "; ": "", attempt, zmq_strerror (zmq_errno ()));
            s_close (self);
            if (used >= sizeof causes) used = sizeof causes - 1;
            if (self->breaker)
                breaker_record (self->breaker, false);
            continue;
        }
        int64_t wait_end = zclock_mono () + wait_ms;
        bool replied = false, dropped = false, refused = false;
        //  The quick wait: the socket alone, by a blocking receive of up to
        //  S_QUICK_MS, which costs the few system calls a raw REQ's wait
        //  does (the poll below, with the link watch and the stop,
        //  costs several more each time round); most replies come within
        //  it. A stop or a drop in that time is seen by the poll after it.
        int quick = s_receive (self, wait_ms < S_QUICK_MS? wait_ms: S_QUICK_MS, return_args, why);
        if (quick <= 0) {
            replied = true;
            rc = quick;
        }
        while (!replied) {
            int64_t now = zclock_mono ();
            int64_t end = grace_end && grace_end < wait_end? grace_end: wait_end;
            if (now >= end)
                break;
            zmq_pollitem_t items [] = {
                { handle, 0, ZMQ_POLLIN, 0 },
                { NULL, self->link? link_watch_fd (self->link): -1, self->link? ZMQ_POLLIN: 0, 0 },
                { NULL, self->host->stop_fd, ZMQ_POLLIN, 0 },
                { NULL, self->host->signal_fd, ZMQ_POLLIN, 0 },
            };
            //  Once the stop is seen, stop polling its (still readable) fds.
            int count = grace_end? 2: 4;
            if (zmq_poll (items, count, end - now) < 0 && zmq_errno () != EINTR)
                break;
            if (items [0].revents & ZMQ_POLLIN) {
                replied = true;
                break;
            }
            if (items [1].revents & ZMQ_POLLIN) {
                //  What the watch counted since the send (it counts a
                //  refused handshake before the drop that ends it).
                link_watch_take (self->link);
                refused |= link_watch_refusals (self->link) != refusals_before;
                if (link_watch_drops (self->link) != drops_before) {
                    dropped = true;
                    break;
                }
            }
            if (!grace_end && ((items [2].revents | items [3].revents) & ZMQ_POLLIN)) {
                grace_end = zclock_mono () + S_STOP_GRACE_MS;
                log_info ("%s: stopping; waiting up to %d ms for the reply in flight", name, S_STOP_GRACE_MS);
            }
        }
        if (replied) {
            answered = true;
            if (quick == 1 && (rc = s_receive (self, 0, return_args, why)) == 1)
                rc = err_set (why, "cannot receive: the reply the poll saw is not there");
            if (rc)
                err_set (err, "%s (%s): %s", name, self->endpoint, why);
            self->outcome = rc == 0? METRICS_OK:
                            strncmp (why, "error reply", 11) == 0? METRICS_ERROR_REPLY: METRICS_INVALID_REPLY;
            if (self->breaker)
                breaker_record (self->breaker, rc == 0);
            break;
        }
        if (dropped && refused) {
            used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: the server refused the "
                              "handshake (CURVE: this service's key not in its allow-list, a wrong server_key, "
                              "or CURVE on one side only)", used? "; ": "", attempt);
            log_warning ("%s: %s refused the handshake (attempt %d of %d; CURVE: this service's key not in its "
                         "allow-list, a wrong server_key, or CURVE on one side only)", name, self->endpoint,
                         attempt, self->attempts);
        }
        else
        if (dropped) {
            size_t cap = sock_frame_cap (self->max_bytes);
            used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: the link dropped before "
                              "the reply (a reply frame over %zu bytes, the cap for max_message_bytes %zu, "
                              "drops it)", used? "; ": "", attempt, cap, self->max_bytes);
            log_warning ("%s: the link to %s dropped before the reply (attempt %d of %d; a reply frame "
                         "over %zu bytes, the cap for max_message_bytes %zu, drops it)", name, self->endpoint,
                         attempt, self->attempts, cap, self->max_bytes);
        }
        else {
            used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: no reply within %d ms%s%s",
                              used? "; ": "", attempt, wait_ms, wait_ms < self->timeout_ms? " (the deadline's rest)": "",
                              grace_end? " (stopping)": "");
            log_warning ("%s: no reply from %s within %d ms (attempt %d of %d)", name, self->endpoint,
                         wait_ms, attempt, self->attempts);
        }
        if (used >= sizeof causes)
            used = sizeof causes - 1;
        s_close (self);                 //  a REQ that lost its reply cannot send again
        if (self->breaker)
            breaker_record (self->breaker, false);
    }
    if (!answered)
        self->outcome = expired? METRICS_DEADLINE_EXCEEDED: *open_why? METRICS_CIRCUIT_OPEN: METRICS_TIMEOUT;
    if (!answered && expired)
        err_set (err, "%s (%s): deadline_exceeded: the message's deadline passed after %d attempt%s%s%s", name,
                 self->endpoint, attempt, attempt == 1? "": "s", used? ": ": "", causes);
    else if (!answered && *open_why && attempt == 0)
        err_set (err, "%s (%s): %s", name, self->endpoint, open_why);
    else if (!answered && *open_why)
        err_set (err, "%s (%s): no reply after %d attempt%s of %d (retries %d): %s; attempt %d: not made: %s",
                 name, self->endpoint, attempt, attempt == 1? "": "s", self->attempts, self->attempts - 1,
                 causes, attempt + 1, open_why);
    else if (!answered)
        err_set (err, "%s (%s): no reply after %d attempt%s of %d (retries %d): %s", name, self->endpoint,
                 attempt, attempt == 1? "": "s", self->attempts, self->attempts - 1, causes);
    return rc;
}

int
requester_request (requester_t *self, const cJSON *args, const char *workflow_id,
                   const char *message_id, int64_t deadline, cJSON **return_args, char *err)
{
    int64_t started = metrics_now ();
    int rc = s_request (self, args, workflow_id, message_id, deadline, return_args, err);
    metrics_request (self->metrics, self->outcome, started);
    if (self->outcome != METRICS_OK)
        trace_out_error (metrics_outcome_name (self->outcome));     //  the caller's CLIENT span says how it failed
    if (self->breaker)
        metrics_circuit (self->metrics, (int) breaker_state (self->breaker));
    return rc;
}

void
requester_destroy (requester_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    requester_t *self = *self_p;
    s_close (self);
    sender_destroy (&self->sender);     //  ends the send in flight (bounded), marks what was acknowledged
    outbox_destroy (&self->outbox);
    if (self->outbox_lock >= 0)
        close (self->outbox_lock);
    backoff_destroy (&self->backoff);
    breaker_destroy (&self->breaker);
    wire_buffer_free (&self->args_text);
    wire_buffer_free (&self->request_text);
    wire_arena_destroy (&self->arena);
    wire_buffer_free (&self->attempt_text);
    free (self);
    *self_p = NULL;
}

long
requester_pending (requester_t *self)
{
    if (!self->outbox)
        return -1;
    long pending = -1;
    char err [ERR_LEN];
    if (outbox_counts (self->outbox, &pending, NULL, NULL, err))
        log_error ("%s: %s", self->model->name, err);
    return pending;
}

bool
requester_durable (const requester_t *self)
{
    return self->outbox != NULL;
}
