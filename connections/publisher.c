/*  publisher.c - a publisher that loses nothing by default: [topic][envelope] to its subscribers.

    @discuss
    A plain ZeroMQ PUB drops messages silently for a subscriber whose queue
    is full. Ours is an XPUB with ZMQ_XPUB_NODROP, so a full queue pushes
    back instead:
      on_full "block" (default): svcfw_to_send waits until every subscriber
        has room, at most send_timeout_ms (default 10000), then fails with an
        error saying so; the message is then not sent to anyone. One stalled
        subscriber therefore halts the publisher for all (by design: nothing
        is lost; README "Publishers").
      on_full "drop": a message that every subscriber has room for goes to
        all. A full queue gets send_timeout_ms (default in this mode 100)
        to make room: libzmq tells the sender about room only after a
        subscriber has taken a batch (up to ~9000 messages), so a healthy
        subscriber's queue can look full for a few milliseconds while the
        I/O thread catches up. If a queue is still full after that, the
        message is sent with NODROP switched off for that one send: libzmq's XPUB reads the
        option at send time (xpub.cpp, `_lossy`, 4.3.4) and then skips only
        the full queues, so the healthy subscribers still get it. Such a
        message is counted as dropped (for some subscriber); the first drop
        is logged at WARNING, the total at shutdown. The count is a lower
        bound on what slow subscribers missed: once libzmq finds a queue
        full it sets that subscriber aside and skips it, uncounted and with
        no error, until its queue has drained to half; the next message
        that finds it full again is counted again. So it counts the times a
        subscriber fell behind, each of which cost it at least one message.
    Memory: each subscriber's queue holds at most queue_bytes (default
    32 MiB) of messages. ZeroMQ counts a queue in messages (SNDHWM), so the
    publisher derives SNDHWM from the largest message sent so far:
    queue_bytes / largest, between 1 and 100000, lowered before that message
    is queued (libzmq applies a new SNDHWM to existing queues too). Small
    messages keep the 100000-message queue: a publisher far ahead of its
    subscriber then waits for room ten times less often (libzmq wakes a
    writer once the reader has taken half a queue).
    With no subscriber connected at all, a message goes nowhere, as in
    ZeroMQ. An XPUB also reports subscriptions; they are read and discarded
    now and then so they do not pile up.
    @end
*/
#include <czmq.h>
#include "publisher.h"
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"

#define S_HWM_MAX 100000        //  messages queued per subscriber at most (small messages)
#define S_QUEUE_BYTES (32 << 20) //  default queue_bytes: bytes queued per subscriber at most
#define S_BLOCK_WAIT_MS 10000   //  default send_timeout_ms, on_full "block": then fail
#define S_DROP_WAIT_MS 100      //  default send_timeout_ms, on_full "drop": then drop for the full

struct _publisher_t {
    const model_t *model;       //  borrowed
    zsock_t *sock;              //  XPUB with NODROP
    void *handle;               //  its libzmq socket
    const char *topic;          //  first frame of every message; borrowed from the model
    size_t topic_len;
    bool drop;                  //  on_full "drop"
    int send_timeout_ms;        //  the wait for room in a full queue, before failing or dropping
    size_t queue_bytes;         //  per-subscriber byte budget
    size_t largest;             //  largest message sent so far, topic included
    int hwm;                    //  SNDHWM now: queue_bytes / largest, in [1, S_HWM_MAX]
    int min_subscribers;        //  joins to wait for before main mode starts; 0: none
    int join_timeout_ms;
    int64_t opened_at;          //  zclock_mono when opened: the join wait runs from here
    int joined;                 //  subscriptions seen so far (while waiting for joins)
    uint64_t sent;
    uint64_t dropped;           //  messages that found a subscriber's queue full (on_full "drop")
    metrics_conn_t *metrics;    //  this connection's counts (metrics.h)
};

publisher_t *
publisher_new (const model_t *model, const char *endpoint, int linger_ms, char *err)
{
    publisher_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->model = model;
    self->metrics = metrics_conn (model->name, METRICS_OUT | METRICS_PUBLISHER);
    self->topic = model_string (model, "topic", "");
    self->topic_len = strlen (self->topic);
    self->drop = strcmp (model_string (model, "on_full", "block"), "drop") == 0;
    self->send_timeout_ms = model_int (model, "send_timeout_ms", self->drop? S_DROP_WAIT_MS: S_BLOCK_WAIT_MS);
    self->queue_bytes = (size_t) model_int (model, "queue_bytes", S_QUEUE_BYTES);
    self->hwm = S_HWM_MAX;
    bool connects = model_bool (model, "is_x_pub", false);
    //  A subscriber may lag behind what was sent (its handler's pace): the
    //  queue left at the end gets the stop's time to reach it, not lost
    //  after a second.
    self->sock = sock_new (model, ZMQ_XPUB, linger_ms, SOCK_CONTROL_BYTES, err);
    if (!self->sock) {
        free (self);
        return NULL;
    }
    self->handle = zsock_resolve (self->sock);
    zsock_set_sndhwm (self->sock, self->hwm);
    zsock_set_xpub_nodrop (self->sock, 1);
    zsock_set_sndtimeo (self->sock, self->send_timeout_ms);
    //  Joins are counted from the subscriptions the XPUB reports; verbose,
    //  so a second subscriber to the same topic is reported too.
    self->min_subscribers = model_int (model, "min_subscribers", 0);
    self->join_timeout_ms = model_int (model, "join_timeout_ms", PUBLISHER_JOIN_TIMEOUT_MS);
    if (self->min_subscribers)
        zsock_set_xpub_verbose (self->sock, 1);
    self->opened_at = zclock_mono ();
    if (sock_attach (model, self->sock, endpoint, !connects, err)) {
        publisher_destroy (&self);
        return NULL;
    }
    log_debug ("%s: publisher %s %s, topic \"%s\", on_full %s, queue_bytes %zu", model->name,
               connects? "connected to": "bound at", endpoint, self->topic, self->drop? "drop": "block",
               self->queue_bytes);
    return self;
}

//  Reads and discards the subscriptions the XPUB reports.
static void
s_drain_subscriptions (publisher_t *self)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    while (zmq_msg_recv (&msg, self->handle, ZMQ_DONTWAIT) >= 0)
        ;
    zmq_msg_close (&msg);
}

//  Lowers SNDHWM, before a message of `size` bytes is queued, so that no
//  subscriber's queue can hold more than queue_bytes.
static void
s_fit_hwm (publisher_t *self, size_t size)
{
    self->largest = size;
    size_t fit = self->queue_bytes / size;
    int hwm = fit < 1? 1: fit > S_HWM_MAX? S_HWM_MAX: (int) fit;
    if (hwm < self->hwm) {
        self->hwm = hwm;
        zmq_setsockopt (self->handle, ZMQ_SNDHWM, &hwm, sizeof hwm);
        log_debug ("%s: %zu-byte messages: at most %d queued per subscriber (queue_bytes %zu)",
                   self->model->name, size, hwm, self->queue_bytes);
    }
}

//  on_full "drop", some subscriber's queue is full: sends with NODROP off
//  for this one message, so only the full queues miss it.
static int
s_send_lossy (publisher_t *self, const char *text, size_t len, char *err)
{
    int off = 0, on = 1;
    zmq_setsockopt (self->handle, ZMQ_XPUB_NODROP, &off, sizeof off);
    int rc = zmq_send (self->handle, self->topic, self->topic_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
          || zmq_send (self->handle, text, len, ZMQ_DONTWAIT) < 0? -1: 0;
    int errnum = zmq_errno ();
    zmq_setsockopt (self->handle, ZMQ_XPUB_NODROP, &on, sizeof on);
    if (rc)
        return err_set (err, "%s: cannot publish: %s", self->model->name, zmq_strerror (errnum));
    metrics_publisher_dropped (self->metrics);
    metrics_message (self->metrics, false, METRICS_OK);
    if (self->dropped++ == 0)
        log_warning ("%s: a subscriber's queue is full; messages it cannot take are dropped for it "
                     "and counted, the others still get them (on_full: drop; the total is logged "
                     "at shutdown)", self->model->name);
    self->sent++;
    return 0;
}

int
publisher_joined (publisher_t *self, char *err)
{
    if (self->joined >= self->min_subscribers)
        return 1;
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    while (self->joined < self->min_subscribers && zmq_msg_recv (&msg, self->handle, ZMQ_DONTWAIT) >= 0)
        if (zmq_msg_size (&msg) > 0 && *(const unsigned char *) zmq_msg_data (&msg) == 1)
            self->joined++;
    zmq_msg_close (&msg);
    if (self->joined >= self->min_subscribers) {
        log_info ("%s: %d subscriber%s joined", self->model->name, self->joined, self->joined == 1? "": "s");
        return 1;
    }
    if (zclock_mono () - self->opened_at >= self->join_timeout_ms) {
        err_set (err, "%s: %d of min_subscribers %d joined within join_timeout_ms %d; svcfw_main not started",
                 self->model->where, self->joined, self->min_subscribers, self->join_timeout_ms);
        return -1;
    }
    return 0;
}

int
publisher_send (publisher_t *self, const cJSON *args, const char *workflow_id, char *err)
{
    if ((self->sent & 1023) == 0)
        s_drain_subscriptions (self);
    size_t len;
    bool invalid;
    char why [ERR_LEN];
    const char *text = envelope_request_text_checked (self->model->args, args, workflow_id, &len, &invalid, why);
    if (!text)
        return invalid? err_set (err, "%s: invalid args: %s", self->model->name, why)
                      : err_set (err, "%s: out of memory", self->model->name);
    if (len + self->topic_len > self->largest)
        s_fit_hwm (self, len + self->topic_len);
    //  NODROP refuses the first frame when a queue is full; once it is
    //  taken, the rest of the message is too.
    if (zmq_send (self->handle, self->topic, self->topic_len, ZMQ_SNDMORE) < 0) {
        if (zmq_errno () != EAGAIN)
            return err_set (err, "%s: cannot publish: %s", self->model->name, zmq_strerror (zmq_errno ()));
        if (self->drop)
            return s_send_lossy (self, text, len, err);
        return err_set (err, "%s: a subscriber took nothing for %d ms (on_full: block); not sent",
                        self->model->name, self->send_timeout_ms);
    }
    if (zmq_send (self->handle, text, len, 0) < 0)
        return err_set (err, "%s: cannot publish: %s", self->model->name, zmq_strerror (zmq_errno ()));
    self->sent++;
    metrics_message (self->metrics, false, METRICS_OK);
    return 0;
}

void
publisher_destroy (publisher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    publisher_t *self = *self_p;
    if (self->dropped)
        log_warning ("%s: %" PRIu64 " of %" PRIu64 " messages found a subscriber's queue full and were "
                     "dropped for it (a lower bound of what slow subscribers missed: ZeroMQ then skips "
                     "such a subscriber uncounted until its queue has drained; on_full: drop)",
                     self->model->name, self->dropped, self->sent);
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}
