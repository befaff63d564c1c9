/*  sender.c - the outbox's sender: an actor that delivers stored messages, oldest first.

    @discuss
    The window. Pending rows are read oldest first into a window of up to
    in_flight x batch rows. Requests are cut from its unsent rows in order,
    up to `batch` rows (and max_message_bytes) each, and up to `in_flight`
    go out before a reply comes; each carries a tag frame before the
    delimiter (with in_flight > 1) that its reply brings back, so replies
    may come in any order. Acknowledged rows are marked delivered in one
    transaction once nothing is in flight or enough have gathered, and then
    leave the window. A crash loses at most those marks: the rows are sent
    again, and the receiver's inbox (dedupe) answers them.

    Order. The downstream gets each request's rows in outbox order, and the
    requests in the order sent, over one connection (ZeroMQ keeps a
    connection's order). When no reply comes within timeout_ms (counted from
    the first request out, and again from each reply, so that requests
    queued behind others at a busy downstream are not taken for lost), the
    socket is closed and every unacknowledged row is sent again,
    from the first, on a fresh one: a row lost with the old connection is
    resent before anything after it. With in_flight > 1 the socket does not
    reconnect by itself (ZMQ_RECONNECT_IVL -1): after a link drops nothing
    more goes through it, so a later request cannot slip through a new link
    ahead of an earlier one lost with the old. The first handling of each
    row therefore follows the outbox's order when the downstream handles
    each connection's messages in arrival order (a replyer without
    "workers"). One exception: a row refused with an error reply and sent
    again is handled after the rows that went with or after it (with
    in_flight 1 and batch 1 nothing goes after it before it is settled).

    Retrying a silent downstream. Each new copy goes out at once and waits
    timeout_ms plus the backoff delay for its reply. With in_flight 1 the
    socket reconnects every 100 ms while nothing is listening, so a
    downstream that comes back gets the copy within about that time; with
    in_flight > 1, at the next copy. An error reply is an answer: the next
    copy of that row waits out the backoff delay first.
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

#define S_PRUNE_EVERY 10000     //  delivered rows between prunes of old ones (a prune walks the kept ones)
#define S_MARK_EVERY 1024       //  acknowledged rows that are marked at once
#define S_MARK_MS 20            //  else the oldest acknowledgement waits at most this long for its mark
#define S_WINDOW_MIN 64         //  rows read at once, at least
#define S_WINDOW_MAX 16384      //  rows read at once, at most (1024 x 1000 would be ~60 MB)

typedef enum {
    S_PENDING,                  //  to be sent
    S_SENT,                     //  in a request in flight
    S_ACKED,                    //  acknowledged, not yet marked
    S_SETTLED                   //  marked failed (or delivered): leaves the window
} s_status_t;

typedef struct {
    outbox_row_t row;
    s_status_t status;
    int errors;                 //  error replies so far
} s_slot_t;

typedef struct {
    uint32_t tag;               //  its tag frame
    int count;                  //  rows in it
    int64_t *seqs;              //  their seqs (batch entries)
} s_request_t;

struct _sender_t {
    sender_config_t config;     //  its strings point at the copies below
    char *name;
    char *endpoint;
    char *outbox_path;
    char *outbox_table;
    outbox_t *outbox;           //  the sender's own connection; used on its thread only
    backoff_t *backoff;
    int wake_fd;                //  eventfd: readable when rows were added
    zactor_t *actor;
    //  The actor's state, touched on its thread only.
    zsock_t *pipe;
    zsock_t *sock;              //  the DEALER socket; NULL after a lost reply
    bool stopping;
    int64_t grace_end;          //  set once a stop is seen with requests in flight
    bool down;                  //  the last requests out got no reply in time
    int64_t down_since;
    int failures;               //  lost requests in a row, for the backoff
    int64_t hold_until;         //  no request goes before (an error reply's backoff)
    s_slot_t *slots;            //  the window, oldest first
    int count;                  //  rows in it
    int capacity;
    bool more;                  //  the outbox may hold rows not yet read
    bool read_failed;           //  the last read of the outbox failed (tried again after a wait)
    int64_t last_seq;           //  the newest row read so far
    s_request_t *requests;      //  in flight, oldest first
    int in_flight;
    int64_t quiet_end;          //  with requests in flight: no reply by then, and they count as lost
    uint32_t next_tag;
    int64_t *acked;             //  acknowledged, not yet marked
    int acked_count;
    int64_t acked_since;        //  when the oldest of them was acknowledged
    wire_buffer_t text;         //  the request being written
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

//  The slot of row `seq`, or NULL (the window is in seq order).
static s_slot_t *
s_slot (sender_t *self, int64_t seq)
{
    int low = 0, high = self->count - 1;
    while (low <= high) {
        int mid = (low + high) / 2;
        if (self->slots [mid].row.seq == seq)
            return &self->slots [mid];
        if (self->slots [mid].row.seq < seq)
            low = mid + 1;
        else
            high = mid - 1;
    }
    return NULL;
}

//  Marks the acknowledged rows delivered, in one transaction, and lets
//  settled rows leave the window. A mark that fails is tried again later
//  (the rows wait in the window, acknowledged).
static void
s_commit (sender_t *self)
{
    char err [ERR_LEN];
    if (self->acked_count) {
        if (outbox_mark_delivered (self->outbox, self->acked, self->acked_count, err)) {
            log_error ("%s: cannot mark %d messages delivered (tried again later; sent again after a "
                       "restart): %s", self->name, self->acked_count, err);
            return;
        }
        for (int i = 0; i < self->acked_count; i++) {
            s_slot_t *slot = s_slot (self, self->acked [i]);
            if (slot)
                slot->status = S_SETTLED;
        }
        self->delivered += self->acked_count;
        metrics_outbox_add (metrics_conn (self->name, 0), -self->acked_count);
        self->since_prune += self->acked_count;
        self->acked_count = 0;
    }
    int kept = 0;
    for (int i = 0; i < self->count; i++) {
        if (self->slots [i].status == S_SETTLED)
            outbox_rows_free (&self->slots [i].row, 1);
        else
            self->slots [kept++] = self->slots [i];
    }
    self->count = kept;
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
    self->more = true;
}

//  Reads pending rows into the window's free room.
static int
s_refill (sender_t *self)
{
    if (!self->more || self->count == self->capacity)
        return 0;
    char err [ERR_LEN];
    int room = self->capacity - self->count;
    outbox_row_t rows [S_WINDOW_MIN];
    int added = 0;
    while (room > 0) {
        int want = room < S_WINDOW_MIN? room: S_WINDOW_MIN;
        int count = outbox_next (self->outbox, self->last_seq, want, rows, err);
        if (count < 0) {
            log_error ("%s: cannot read the outbox: %s", self->name, err);
            return -1;
        }
        for (int i = 0; i < count; i++)
            self->slots [self->count++] = (s_slot_t) { .row = rows [i], .status = S_PENDING };
        if (count)
            self->last_seq = rows [count - 1].seq;
        added += count;
        room -= count;
        if (count < want) {
            self->more = false;
            break;
        }
    }
    return added;
}

//  The first slot to send, or -1.
static int
s_first_pending (sender_t *self)
{
    for (int i = 0; i < self->count; i++)
        if (self->slots [i].status == S_PENDING)
            return i;
    return -1;
}

//  A fresh socket, connected. Returns 0 or -1 with why.
static int
s_connect (sender_t *self, char *why)
{
    const model_t *model = self->config.model;
    self->sock = model? sock_new (model, ZMQ_DEALER, 0, self->config.max_bytes, why): zsock_new (ZMQ_DEALER);
    if (self->sock && !model)
        sock_limit (self->sock, self->config.max_bytes);
    //  See @discuss (Order): with several requests out, no silent reconnect.
    if (self->sock && self->config.in_flight > 1)
        zsock_set_reconnect_ivl (self->sock, -1);
    //  sock_attach: with CURVE on, the server key is set before the connect.
    char attach [ERR_LEN] = "";
    if (!self->sock || (model? sock_attach (model, self->sock, self->endpoint, false, attach)
                             : zsock_connect (self->sock, "%s", self->endpoint)) < 0) {
        zsock_destroy (&self->sock);
        if (attach [0])
            err_set (why, "%s", attach);
        else
            err_set (why, "cannot connect: %s", zmq_strerror (zmq_errno ()));
        return -1;
    }
    zsock_set_linger (self->sock, 0);
    return 0;
}

//  Every request in flight is lost: closes the socket and makes their rows
//  pending again, to be sent from the first on a fresh socket.
static void
s_lose_all (sender_t *self, const char *why)
{
    zsock_destroy (&self->sock);
    for (int i = 0; i < self->count; i++)
        if (self->slots [i].status == S_SENT)
            self->slots [i].status = S_PENDING;
    self->in_flight = 0;
    self->failures++;
    //  Whatever waits next, the rows acknowledged so far are marked first.
    s_commit (self);
    int first = s_first_pending (self);
    const char *id = first >= 0? self->slots [first].row.message_id: "?";
    if (!self->down) {
        self->down = true;
        self->down_since = zclock_mono ();
        log_warning ("%s: downstream %s is down (%s); sending from message %s again with backoff "
                     "until it answers", self->name, self->endpoint, why, id);
    }
    else
        log_debug ("%s: still down (%s), attempt %d", self->name, why, self->failures);
}

//  Sends one request of the next pending rows. Returns 1 if sent, 0 if
//  nothing to send, -1 if the socket failed (all in flight lost).
static int
s_send_one (sender_t *self)
{
    int first = s_first_pending (self);
    if (first < 0)
        return 0;
    char why [ERR_LEN];
    if (!self->sock && s_connect (self, why)) {
        s_lose_all (self, why);
        self->hold_until = zclock_mono () + self->config.timeout_ms;     //  no busy loop
        return -1;
    }
    s_request_t *request = &self->requests [self->in_flight];
    request->count = 0;
    wire_buffer_t *text = &self->text;
    text->len = 0;
    bool batch = self->config.batch > 1;
    if (batch && wire_append (text, "{\"batch\":[", 10))
        goto oom;
    for (int i = first; i < self->count && request->count < self->config.batch; i++) {
        s_slot_t *slot = &self->slots [i];
        if (slot->status != S_PENDING)
            continue;
        char *one = sender_envelope (slot->row.args, slot->row.workflow_id, slot->row.message_id);
        if (!one)
            goto oom;
        size_t len = strlen (one);
        //  Within max_message_bytes (a row alone goes whatever its size).
        if (request->count && text->len + len + 3 > self->config.max_bytes) {
            free (one);
            break;
        }
        int rc = (request->count && wire_append (text, ",", 1)) || wire_append (text, one, len);
        free (one);
        if (rc)
            goto oom;
        request->seqs [request->count++] = slot->row.seq;
        slot->status = S_SENT;
    }
    if (batch && request->count == 1) {
        //  One row: a plain envelope, as a replyer that predates batches reads.
        s_slot_t *slot = s_slot (self, request->seqs [0]);
        char *one = sender_envelope (slot->row.args, slot->row.workflow_id, slot->row.message_id);
        if (!one)
            goto oom;
        text->len = 0;
        int rc = wire_append (text, one, strlen (one));
        free (one);
        if (rc)
            goto oom;
        batch = false;
    }
    if (batch && wire_append (text, "]}", 2))
        goto oom;
    request->tag = self->next_tag++;
    void *handle = zsock_resolve (self->sock);
    int rc = 0;
    if (self->config.in_flight > 1)
        rc = zmq_send (handle, &request->tag, sizeof request->tag, ZMQ_DONTWAIT | ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send (handle, "", 0, ZMQ_DONTWAIT | ZMQ_SNDMORE);
    if (rc >= 0)
        rc = zmq_send (handle, text->data, text->len, ZMQ_DONTWAIT);
    if (rc < 0) {
        err_set (why, "cannot send: %s", zmq_strerror (zmq_errno ()));
        for (int i = 0; i < request->count; i++)
            s_slot (self, request->seqs [i])->status = S_PENDING;
        s_lose_all (self, why);
        self->hold_until = zclock_mono () + self->config.timeout_ms;
        return -1;
    }
    //  The clock runs from the first request out, and again from each
    //  reply: requests queued behind others at a busy downstream are not
    //  lost while it keeps answering.
    if (self->in_flight++ == 0) {
        int delay = self->down? backoff_delay (self->backoff, self->failures): 0;
        self->quiet_end = zclock_mono () + self->config.timeout_ms + delay;
    }
    return 1;

oom:
    for (int i = 0; i < request->count; i++)
        s_slot (self, request->seqs [i])->status = S_PENDING;
    log_error ("%s: out of memory for a request; trying again later", self->name);
    self->hold_until = zclock_mono () + self->config.backoff_max_ms;
    return 0;
}

//  A reply (or a member of a batch reply): NULL if it acknowledges, else
//  why not in why (and returns why).
static const char *
s_reply_error (const cJSON *reply, char *why)
{
    if (!cJSON_IsObject (reply)) {
        err_set (why, "invalid_reply: not an object");
        return why;
    }
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (reply, "error");
    if (error) {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive (error, "kind");
        const cJSON *message = cJSON_GetObjectItemCaseSensitive (error, "message");
        err_set (why, "error reply (%s): %s", cJSON_IsString (kind)? kind->valuestring: "?",
                 cJSON_IsString (message)? message->valuestring: "");
        return why;
    }
    const cJSON *returned = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    if (!returned) {
        err_set (why, "invalid_reply: neither 'return_args' nor 'error' in the reply");
        return why;
    }
    if (!cJSON_IsObject (returned) && !cJSON_IsNull (returned)) {
        err_set (why, "invalid_reply: 'return_args' must be an object");
        return why;
    }
    return NULL;
}

//  One row's outcome: acknowledged, or refused (sent again up to
//  `retries` times after a backoff, then marked failed).
static void
s_settle (sender_t *self, int64_t seq, const char *error)
{
    s_slot_t *slot = s_slot (self, seq);
    if (!slot || slot->status != S_SENT)
        return;
    if (!error) {
        slot->status = S_ACKED;
        if (self->acked_count == 0)
            self->acked_since = zclock_mono ();
        self->acked [self->acked_count++] = seq;
        log_debug ("%s: delivered message %s", self->name, slot->row.message_id);
        return;
    }
    log_set_workflow_id (slot->row.workflow_id);
    if (++slot->errors > self->config.retries) {
        char err [ERR_LEN];
        log_error ("%s: message %s failed after %d attempts, kept in the outbox as failed: %s",
                   self->name, slot->row.message_id, slot->errors, error);
        metrics_outbox_add (metrics_conn (self->name, 0), -1);
        if (outbox_mark_failed (self->outbox, seq, error, err))
            log_error ("%s: cannot mark message %s failed: %s", self->name, slot->row.message_id, err);
        slot->status = S_SETTLED;
    }
    else {
        log_warning ("%s: message %s refused (%s); attempt %d of %d", self->name, slot->row.message_id,
                     error, slot->errors, self->config.retries + 1);
        slot->status = S_PENDING;
        int64_t until = zclock_mono () + backoff_delay (self->backoff, slot->errors);
        if (until > self->hold_until)
            self->hold_until = until;
    }
    log_set_workflow_id (NULL);
}

//  Reads one reply and settles its request's rows.
static void
s_on_reply (sender_t *self)
{
    zmsg_t *msg = zmsg_recv_nowait (self->sock);
    if (!msg)
        return;
    uint32_t tag = 0;
    bool tagged = self->config.in_flight > 1;
    zframe_t *first = tagged? zmsg_pop (msg): NULL;
    if (first && zframe_size (first) == sizeof tag)
        memcpy (&tag, zframe_data (first), sizeof tag);
    else if (tagged)
        tag = ~self->next_tag;          //  matches nothing
    zframe_destroy (&first);
    zframe_t *empty = zmsg_pop (msg);
    zframe_t *body = zmsg_pop (msg);
    bool extra = zmsg_size (msg) > 0;
    zmsg_destroy (&msg);
    int index = 0;
    if (tagged)
        for (index = 0; index < self->in_flight && self->requests [index].tag != tag; index++)
            ;
    if (index == self->in_flight || (empty && zframe_size (empty) != 0)) {
        zframe_destroy (&empty);
        zframe_destroy (&body);
        return;                         //  not ours: a stray
    }
    zframe_destroy (&empty);
    self->quiet_end = zclock_mono () + self->config.timeout_ms;
    s_request_t request = self->requests [index];
    memmove (&self->requests [index], &self->requests [index + 1],
             (size_t) (self->in_flight - index - 1) * sizeof *self->requests);
    self->requests [--self->in_flight] = request;      //  keeps its seqs array
    char why [ERR_LEN] = "";
    cJSON *root = NULL;
    if (!body || extra)
        err_set (why, "invalid_reply: more than one frame");
    else if (zframe_size (body) > self->config.max_bytes)
        err_set (why, "reply of %zu bytes is over max_message_bytes %zu", zframe_size (body), self->config.max_bytes);
    else if (!(root = wire_parse_copy (zframe_data (body), zframe_size (body), why))) {
        char parse [ERR_LEN];
        snprintf (parse, sizeof parse, "%s", why);
        err_set (why, "invalid_reply: not JSON (%s)", parse);
    }
    zframe_destroy (&body);
    const cJSON *batch = cJSON_IsObject (root)? cJSON_GetObjectItemCaseSensitive (root, "batch"): NULL;
    if (root && request.count > 1 && cJSON_IsArray (batch) && cJSON_GetArraySize (batch) == request.count) {
        int i = 0;
        for (const cJSON *member = batch->child; member; member = member->next, i++) {
            char member_why [ERR_LEN];
            s_settle (self, request.seqs [i], s_reply_error (member, member_why));
        }
    }
    else {
        //  A plain reply: for a batch, a refusal of the whole (or an
        //  answer that does not fit it, which acknowledges nothing).
        const char *error = why [0]? why: s_reply_error (root, why);
        if (!error && request.count > 1) {
            err_set (why, "invalid_reply: %d messages sent in a batch, and the reply is not a batch of as many",
                     request.count);
            error = why;
        }
        for (int i = 0; i < request.count; i++)
            s_settle (self, request.seqs [i], error);
    }
    cJSON_Delete (root);
    if (self->down) {
        log_info ("%s: downstream %s is back after %" PRId64 " ms; delivering the outbox",
                  self->name, self->endpoint, zclock_mono () - self->down_since);
        self->down = false;
    }
    self->failures = 0;
}

static void
s_actor (zsock_t *pipe, void *arg)
{
    sender_t *self = arg;
    self->pipe = pipe;
    zsock_signal (pipe, 0);
    while (true) {
        int64_t now = zclock_mono ();
        if (self->stopping) {
            if (self->in_flight == 0 || self->down)
                break;
            if (!self->grace_end) {
                self->grace_end = now + SENDER_STOP_GRACE_MS;
                log_info ("%s: stopping; waiting up to %d ms for the replies in flight",
                          self->name, SENDER_STOP_GRACE_MS);
            }
            if (now >= self->grace_end)
                break;
        }
        else {
            //  A read that failed is tried again after backoff_max_ms.
            if (!self->read_failed || now >= self->hold_until) {
                self->read_failed = s_refill (self) < 0;
                if (self->read_failed) {
                    self->hold_until = now + self->config.backoff_max_ms;
                    self->more = true;
                }
            }
            while (now >= self->hold_until && self->in_flight < self->config.in_flight && s_send_one (self) > 0)
                ;
        }
        //  Marks wait a little to gather (each is a write transaction the
        //  producer's enqueues would queue behind), but not when the window
        //  is full: settled rows must leave it to make room.
        if (self->count == self->capacity || (self->acked_count
        &&  (self->acked_count >= S_MARK_EVERY || now - self->acked_since >= S_MARK_MS)))
            s_commit (self);
        //  Wait: for a reply, the quiet limit, a hold, a wake-up or a stop.
        int64_t end = self->in_flight? self->quiet_end: -1;
        if (self->acked_count && (end < 0 || self->acked_since + S_MARK_MS < end))
            end = self->acked_since + S_MARK_MS;
        if (self->hold_until > now && (self->read_failed || s_first_pending (self) >= 0)
        &&  (end < 0 || self->hold_until < end))
            end = self->hold_until;
        if (self->grace_end && (end < 0 || self->grace_end < end))
            end = self->grace_end;
        if (self->in_flight == 0 && self->more && !self->stopping && self->count < self->capacity
        &&  !self->read_failed)
            end = now;              //  more to read at once
        long timeout = end < 0? -1: end - now < 0? 0: (long) (end - now);
        zmq_pollitem_t items [] = {
            { zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0 },
            { NULL, self->wake_fd, ZMQ_POLLIN, 0 },
            { self->sock? zsock_resolve (self->sock): NULL, 0, self->sock? ZMQ_POLLIN: 0, 0 },
        };
        if (zmq_poll (items, self->sock? 3: 2, timeout) < 0 && zmq_errno () != EINTR)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            s_on_pipe (self);
        if (items [1].revents & ZMQ_POLLIN)
            s_drain_wake (self);
        if (self->sock && (items [2].revents & ZMQ_POLLIN)) {
            for (int i = 0; i < 4096 && self->sock && (zsock_events (self->sock) & ZMQ_POLLIN); i++)
                s_on_reply (self);
            if (self->acked_count >= S_MARK_EVERY)
                s_commit (self);
        }
        //  No reply for too long: all in flight are resent.
        if (self->in_flight && zclock_mono () >= self->quiet_end) {
            char why [ERR_LEN];
            err_set (why, "no reply within %d ms", self->config.timeout_ms);
            s_lose_all (self, why);
        }
    }
    s_commit (self);
    for (int i = 0; i < self->count; i++)
        outbox_rows_free (&self->slots [i].row, 1);
    self->count = 0;
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
    if (self->config.in_flight < 1)
        self->config.in_flight = 1;
    self->capacity = self->config.batch * self->config.in_flight;
    if (self->capacity < S_WINDOW_MIN)
        self->capacity = S_WINDOW_MIN;
    if (self->capacity > S_WINDOW_MAX)
        self->capacity = S_WINDOW_MAX;      //  fewer requests go out at once then
    self->more = true;
    self->wake_fd = -1;
    self->name = strdup (config->name);
    self->endpoint = strdup (config->endpoint);
    self->outbox_path = strdup (config->outbox_path);
    self->outbox_table = config->outbox_table? strdup (config->outbox_table): NULL;
    self->slots = calloc ((size_t) self->capacity, sizeof *self->slots);
    self->acked = calloc ((size_t) self->capacity, sizeof *self->acked);
    self->requests = calloc ((size_t) self->config.in_flight, sizeof *self->requests);
    bool seqs = self->requests != NULL;
    for (int i = 0; seqs && i < self->config.in_flight; i++)
        seqs = (self->requests [i].seqs = calloc ((size_t) self->config.batch, sizeof (int64_t))) != NULL;
    self->backoff = backoff_new (config->backoff_ms, config->backoff_max_ms, NULL, NULL);
    if (!self->name || !self->endpoint || !self->outbox_path || !self->slots || !self->acked || !seqs
    ||  !self->backoff || (config->outbox_table && !self->outbox_table)) {
        err_set (err, "%s: out of memory", config->name);
        sender_destroy (&self);
        return NULL;
    }
    self->config.name = self->name;
    self->config.endpoint = self->endpoint;
    self->config.outbox_path = self->outbox_path;
    self->config.outbox_table = self->outbox_table;
    self->wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->wake_fd < 0) {
        err_set (err, "%s: cannot create an eventfd: %s", config->name, strerror (errno));
        sender_destroy (&self);
        return NULL;
    }
    self->outbox = outbox_open_table (config->outbox_path, config->outbox_table, false, err);
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
    if (self->requests)
        for (int i = 0; i < self->config.in_flight; i++)
            free (self->requests [i].seqs);
    free (self->requests);
    free (self->slots);
    free (self->acked);
    free (self->outbox_table);
    wire_buffer_free (&self->text);
    free (self->name);
    free (self->endpoint);
    free (self->outbox_path);
    free (self);
    *self_p = NULL;
}
