/*  sender.c - the outbox's sender: an actor that delivers stored messages, oldest first.

    @discuss
    Order. One message is in flight at a time and the next is sent only once
    it is acknowledged (or, after an error reply, given up as failed), so the
    downstream sees the outbox's order; a copy sent again after a lost reply
    may arrive twice, which the receiver's inbox (dedupe) absorbs.

    Retrying a silent downstream. A REQ socket whose reply is lost cannot
    send again, so each new copy goes out on a fresh socket, at once, and
    waits timeout_ms plus the backoff delay for its reply. While nothing is
    listening the copy waits in the socket's queue and ZeroMQ reconnects
    every 100 ms, so a downstream that comes back gets it within about that
    time instead of after the rest of the backoff; the backoff still spaces
    out the copies a live but silent downstream receives. An error reply is
    an answer: the next copy waits out the backoff delay first.

    Batches. Up to `batch` pending rows are read at once and the ones
    acknowledged are marked delivered in one transaction when the batch is
    used up (or before any wait, or at a stop). A crash loses at most those
    marks: the rows are sent again, and the inbox answers them.
    @end
*/
#include <czmq.h>
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "sender.h"
#include "backoff.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"
#include "wire.h"

#define S_PRUNE_EVERY 1000      //  delivered rows between prunes of old ones

typedef enum {
    S_ACKED,                    //  a reply that is not an error
    S_ERROR_REPLY,              //  an error reply, or a reply we cannot read
    S_NO_REPLY,                 //  nothing in time, or the socket failed
    S_STOPPED                   //  asked to stop; the row stays pending
} s_result_t;

struct _sender_t {
    sender_config_t config;     //  its strings point at the copies below
    char *name;
    char *endpoint;
    char *outbox_path;
    outbox_t *outbox;           //  the sender's own connection; used on its thread only
    backoff_t *backoff;
    int wake_fd;                //  eventfd: readable when rows were added
    zactor_t *actor;
    //  The actor's state, touched on its thread only.
    zsock_t *pipe;
    zsock_t *sock;              //  the REQ socket; NULL after a lost reply
    bool stopping;
    int64_t grace_end;          //  set once a stop is seen with a send in flight
    bool down;                  //  the last copy got no reply
    int64_t down_since;
    outbox_row_t *rows;         //  the batch being sent
    int count;                  //  rows in it
    int next;                   //  the row being sent
    int64_t last_seq;           //  the newest row read so far
    int64_t *acked;             //  acknowledged, not yet marked
    int acked_count;
    long delivered;             //  marked delivered in this run
    long since_prune;
};

char *
sender_envelope (const char *args, const char *workflow_id, const char *message_id)
{
    wire_buffer_t buffer = { 0 };
    if (wire_append (&buffer, "{\"args\":", 8) || wire_append (&buffer, args, strlen (args))
    ||  wire_append (&buffer, ",\"workflow_id\":", 15) || wire_write_string (&buffer, workflow_id)
    ||  wire_append (&buffer, ",\"message_id\":", 14) || wire_write_string (&buffer, message_id)
    ||  wire_append (&buffer, "}", 1)) {
        wire_buffer_free (&buffer);
        return NULL;
    }
    return buffer.data;         //  malloc'd by the wire buffer
}

//  ---------------------------------------------------------------------------
//  On the actor's thread

//  Marks the acknowledged rows delivered, in one transaction.
static void
s_commit (sender_t *self)
{
    if (self->acked_count == 0)
        return;
    char err [ERR_LEN];
    if (outbox_mark_delivered (self->outbox, self->acked, self->acked_count, err)) {
        //  The rows stay pending: read them again from the first (acked in
        //  seq order), so they are sent again (the inbox answers them)
        //  rather than left behind while later rows go.
        log_error ("%s: cannot mark %d messages delivered (they will be sent again): %s", self->name,
                   self->acked_count, err);
        if (self->acked [0] - 1 < self->last_seq)
            self->last_seq = self->acked [0] - 1;
    }
    else {
        self->delivered += self->acked_count;
        metrics_outbox_add (metrics_conn (self->name, 0), -self->acked_count);
        self->since_prune += self->acked_count;
    }
    self->acked_count = 0;
    if (self->since_prune >= S_PRUNE_EVERY) {
        self->since_prune = 0;
        if (outbox_prune (self->outbox, OUTBOX_KEEP_DELIVERED, err) < 0)
            log_warning ("%s: cannot prune delivered messages: %s", self->name, err);
    }
}

//  Reads a command from the pipe; $TERM starts the stop.
static void
s_on_pipe (sender_t *self)
{
    char *command = zstr_recv (self->pipe);
    if (!command || streq (command, "$TERM"))
        self->stopping = true;
    zstr_free (&command);
}

static void
s_drain_wake (sender_t *self)
{
    uint64_t count;
    if (read (self->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
        log_error ("%s: cannot read the wake-up fd: %s", self->name, strerror (errno));
}

//  Waits up to `ms` (-1: no limit) for a stop or a wake-up. Returns false
//  once a stop was asked for.
static bool
s_wait (sender_t *self, int ms)
{
    int64_t end = ms < 0? 0: zclock_mono () + ms;
    while (!self->stopping) {
        int64_t left = ms < 0? -1: end - zclock_mono ();
        if (ms >= 0 && left <= 0)
            break;
        zmq_pollitem_t items [] = {
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
            { NULL, self->wake_fd, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, 2, left) < 0 && zmq_errno () != EINTR)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            s_on_pipe (self);
        if (items [1].revents & ZMQ_POLLIN) {
            s_drain_wake (self);
            if (ms < 0)
                break;          //  idle: new rows
        }
    }
    return !self->stopping;
}

//  Reads the reply: acknowledged, or an error reply with its text in why.
static s_result_t
s_read_reply (sender_t *self, char *why)
{
    void *handle = zsock_resolve (self->sock);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, handle, 0) < 0) {
        zmq_msg_close (&msg);
        err_set (why, "cannot receive: %s", zmq_strerror (zmq_errno ()));
        return S_NO_REPLY;
    }
    s_result_t result = S_ACKED;
    if (zmq_msg_more (&msg)) {
        while (zmq_msg_more (&msg)) {
            zmq_msg_close (&msg);
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, handle, 0) < 0)
                break;
        }
        err_set (why, "invalid_reply: more than one frame");
        result = S_ERROR_REPLY;
    }
    else if (zmq_msg_size (&msg) > self->config.max_bytes) {
        err_set (why, "reply of %zu bytes is over max_message_bytes %zu",
                 zmq_msg_size (&msg), self->config.max_bytes);
        result = S_ERROR_REPLY;
    }
    else {
        envelope_t env;
        if (envelope_decode_reply (zmq_msg_data (&msg), zmq_msg_size (&msg), &env, why))
            result = S_ERROR_REPLY;
        else
            envelope_clear (&env);
    }
    zmq_msg_close (&msg);
    return result;
}

//  Sends one copy of `row` and waits up to `wait_ms` for its reply.
static s_result_t
s_deliver (sender_t *self, const outbox_row_t *row, int wait_ms, char *why)
{
    if (!self->sock) {
        self->sock = self->config.model? sock_new (self->config.model, ZMQ_REQ, 0, self->config.max_bytes, why)
                                       : zsock_new (ZMQ_REQ);
        if (self->sock && !self->config.model)
            sock_limit (self->sock, self->config.max_bytes);
        //  sock_attach: with CURVE on, the server key is set before the connect.
        char attach [ERR_LEN] = "";
        if (!self->sock || (self->config.model? sock_attach (self->config.model, self->sock, self->endpoint,
                                                             false, attach)
                                             : zsock_connect (self->sock, "%s", self->endpoint)) < 0) {
            zsock_destroy (&self->sock);
            if (attach [0])
                err_set (why, "%s", attach);
            else
                err_set (why, "cannot connect: %s", zmq_strerror (zmq_errno ()));
            //  As long as a reply would have been awaited: no busy loop.
            return s_wait (self, wait_ms)? S_NO_REPLY: S_STOPPED;
        }
        zsock_set_linger (self->sock, 0);
    }
    char *text = sender_envelope (row->args, row->workflow_id, row->message_id);
    if (!text) {
        err_set (why, "out of memory");
        return S_NO_REPLY;
    }
    void *handle = zsock_resolve (self->sock);
    int rc = zmq_send (handle, text, strlen (text), ZMQ_DONTWAIT);
    free (text);
    if (rc < 0) {
        err_set (why, "cannot send: %s", zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->sock);
        return s_wait (self, wait_ms)? S_NO_REPLY: S_STOPPED;
    }
    int64_t deadline = zclock_mono () + wait_ms;
    while (true) {
        if (self->stopping && !self->grace_end) {
            //  A stop: a live downstream gets a short grace for the reply.
            if (self->down)
                break;
            self->grace_end = zclock_mono () + SENDER_STOP_GRACE_MS;
            log_info ("%s: stopping; waiting up to %d ms for the reply in flight",
                      self->name, SENDER_STOP_GRACE_MS);
        }
        int64_t end = self->grace_end && self->grace_end < deadline? self->grace_end: deadline;
        int64_t left = end - zclock_mono ();
        if (left <= 0)
            break;
        zmq_pollitem_t items [] = {
            { handle, 0, ZMQ_POLLIN, 0 },
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
            { NULL, self->wake_fd, ZMQ_POLLIN, 0 },
        };
        if (zmq_poll (items, 3, left) < 0 && zmq_errno () != EINTR)
            break;
        if (items [0].revents & ZMQ_POLLIN) {
            s_result_t result = s_read_reply (self, why);
            if (result == S_NO_REPLY)
                zsock_destroy (&self->sock);
            return result;
        }
        if (items [1].revents & ZMQ_POLLIN)
            s_on_pipe (self);
        if (items [2].revents & ZMQ_POLLIN)
            s_drain_wake (self);
    }
    zsock_destroy (&self->sock);    //  a REQ that lost its reply cannot send again
    if (self->stopping)
        return S_STOPPED;
    err_set (why, "no reply within %d ms", wait_ms);
    return S_NO_REPLY;
}

//  Reads the next batch of pending rows, after marking the last one.
static int
s_refill (sender_t *self)
{
    s_commit (self);
    outbox_rows_free (self->rows, self->count);
    self->count = self->next = 0;
    char err [ERR_LEN];
    int count = outbox_next (self->outbox, self->last_seq, self->config.batch, self->rows, err);
    if (count < 0) {
        log_error ("%s: cannot read the outbox: %s", self->name, err);
        return -1;
    }
    self->count = count;
    if (count)
        self->last_seq = self->rows [count - 1].seq;
    return count;
}

//  Delivers one row: again and again while the downstream is silent, up to
//  1 + `retries` attempts for error replies. Returns false on a stop.
static bool
s_deliver_row (sender_t *self, const outbox_row_t *row)
{
    log_set_workflow_id (row->workflow_id);
    int failures = 0;           //  of this row, for the backoff
    int error_replies = 0;
    while (true) {
        char why [ERR_LEN] = "";
        int delay = failures? backoff_delay (self->backoff, failures): 0;
        s_result_t result = s_deliver (self, row, self->config.timeout_ms + delay, why);
        if (result == S_STOPPED) {
            log_set_workflow_id (NULL);
            return false;
        }
        if (result == S_ACKED) {
            if (self->down) {
                log_info ("%s: downstream %s is back after %" PRId64 " ms; delivering the outbox",
                          self->name, self->endpoint, zclock_mono () - self->down_since);
                self->down = false;
            }
            self->acked [self->acked_count++] = row->seq;
            log_debug ("%s: delivered message %s", self->name, row->message_id);
            log_set_workflow_id (NULL);
            return true;
        }
        failures++;
        //  Whatever waits next, the rows acknowledged so far are marked first.
        s_commit (self);
        if (result == S_NO_REPLY) {
            if (!self->down) {
                self->down = true;
                self->down_since = zclock_mono ();
                log_warning ("%s: downstream %s is down (%s); sending message %s again with "
                             "backoff until it answers", self->name, self->endpoint, why, row->message_id);
            }
            else
                log_debug ("%s: still down (%s), attempt %d", self->name, why, failures);
            continue;
        }
        //  An error reply: the downstream is up, the message is refused.
        self->down = false;
        if (++error_replies > self->config.retries) {
            char err [ERR_LEN];
            log_error ("%s: message %s failed after %d attempts, kept in the outbox as failed: %s",
                       self->name, row->message_id, error_replies, why);
            metrics_outbox_add (metrics_conn (self->name, 0), -1);
            if (outbox_mark_failed (self->outbox, row->seq, why, err))
                log_error ("%s: cannot mark message %s failed: %s", self->name, row->message_id, err);
            log_set_workflow_id (NULL);
            return true;
        }
        log_warning ("%s: message %s refused (%s); attempt %d of %d", self->name, row->message_id,
                     why, error_replies, self->config.retries + 1);
        if (!s_wait (self, backoff_delay (self->backoff, failures))) {
            log_set_workflow_id (NULL);
            return false;
        }
    }
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    sender_t *self = arg;
    self->pipe = pipe;
    zsock_signal (pipe, 0);
    while (!self->stopping) {
        if (self->next == self->count) {
            int count = s_refill (self);
            if (count < 0) {
                s_wait (self, self->config.backoff_max_ms);
                continue;
            }
            if (count == 0) {
                s_wait (self, -1);      //  until new rows or a stop
                continue;
            }
        }
        if (!s_deliver_row (self, &self->rows [self->next]))
            break;
        self->next++;
    }
    s_commit (self);
    outbox_rows_free (self->rows, self->count);
    self->count = self->next = 0;
    zsock_destroy (&self->sock);
    log_debug ("%s: sender stopped (%ld delivered in this run)", self->name, self->delivered);
}

//  ---------------------------------------------------------------------------
//  On the caller's thread

sender_t *
sender_new (const sender_config_t *config, char *err)
{
    sender_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->config = *config;
    if (self->config.batch < 1)
        self->config.batch = 1;
    self->wake_fd = -1;
    self->name = strdup (config->name);
    self->endpoint = strdup (config->endpoint);
    self->outbox_path = strdup (config->outbox_path);
    self->rows = calloc ((size_t) self->config.batch, sizeof *self->rows);
    self->acked = calloc ((size_t) self->config.batch, sizeof *self->acked);
    self->backoff = backoff_new (config->backoff_ms, config->backoff_max_ms, NULL, NULL);
    if (!self->name || !self->endpoint || !self->outbox_path || !self->rows || !self->acked || !self->backoff) {
        err_set (err, "%s: out of memory", config->name);
        sender_destroy (&self);
        return NULL;
    }
    self->config.name = self->name;
    self->config.endpoint = self->endpoint;
    self->config.outbox_path = self->outbox_path;
    self->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->wake_fd < 0) {
        err_set (err, "%s: cannot create an eventfd: %s", config->name, strerror (errno));
        sender_destroy (&self);
        return NULL;
    }
    self->outbox = outbox_open (config->outbox_path, false, err);
    if (!self->outbox) {
        sender_destroy (&self);
        return NULL;
    }
    self->actor = zactor_new (s_actor, self);
    if (!self->actor) {
        err_set (err, "%s: cannot start the outbox sender", config->name);
        sender_destroy (&self);
        return NULL;
    }
    return self;
}

void
sender_wake (sender_t *self)
{
    uint64_t one = 1;
    if (write (self->wake_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log_error ("%s: cannot wake the outbox sender: %s", self->name, strerror (errno));
}

void
sender_destroy (sender_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sender_t *self = *self_p;
    zactor_destroy (&self->actor);      //  $TERM, then waits for the actor to end
    outbox_destroy (&self->outbox);
    backoff_destroy (&self->backoff);
    if (self->wake_fd >= 0)
        close (self->wake_fd);
    free (self->rows);
    free (self->acked);
    free (self->name);
    free (self->endpoint);
    free (self->outbox_path);
    free (self);
    *self_p = NULL;
}
