/*  publisher.c - a publisher that loses nothing by default: [topic][envelope] to its subscribers.

    @discuss
    A plain ZeroMQ PUB drops messages silently for a subscriber whose queue
    is full. Ours is an XPUB with ZMQ_XPUB_NODROP, so a full queue pushes
    back instead:
      on_full "block" (default): svcfw_to_send waits until every subscriber
        has room, at most send_timeout_ms (default 10000), then fails with an
        error saying so; the message is then not sent to anyone.
      on_full "drop": svcfw_to_send never waits; a message that does not fit
        is dropped for everyone and counted (the first drop is logged at
        WARNING, then every 2^k-th, and the total at shutdown).
    With no subscriber connected at all, a message goes nowhere, as in
    ZeroMQ. An XPUB also reports subscriptions; they are read and discarded
    now and then so they do not pile up.
    @end
*/
#include <czmq.h>
#include "publisher.h"
#include "envelope.h"
#include "log.h"
#include "sock.h"
#include "service.h"

#define S_HWM 10000             //  messages queued per subscriber before back-pressure

struct _publisher_t {
    const model_t *model;       //  borrowed
    zsock_t *sock;              //  XPUB with NODROP
    void *handle;               //  its libzmq socket
    const char *topic;          //  first frame of every message; borrowed from the model
    size_t topic_len;
    bool drop;                  //  on_full "drop"
    int send_timeout_ms;
    int min_subscribers;        //  joins to wait for before main mode starts; 0: none
    int join_timeout_ms;
    int64_t opened_at;          //  zclock_mono when opened: the join wait runs from here
    int joined;                 //  subscriptions seen so far (while waiting for joins)
    uint64_t sent;
    uint64_t dropped;
};

publisher_t *
publisher_new (const model_t *model, const char *endpoint, char *err)
{
    publisher_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->model = model;
    self->topic = model_string (model, "topic", "");
    self->topic_len = strlen (self->topic);
    self->drop = strcmp (model_string (model, "on_full", "block"), "drop") == 0;
    self->send_timeout_ms = model_int (model, "send_timeout_ms", 10000);
    bool connects = model_bool (model, "is_x_pub", false);
    self->sock = sock_new (model, ZMQ_XPUB, SERVICE_LINGER_MS, err);
    if (!self->sock) {
        free (self);
        return NULL;
    }
    self->handle = zsock_resolve (self->sock);
    zsock_set_sndhwm (self->sock, S_HWM);
    zsock_set_xpub_nodrop (self->sock, 1);
    zsock_set_sndtimeo (self->sock, self->drop? 0: self->send_timeout_ms);
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
    log_debug ("%s: publisher %s %s, topic \"%s\", on_full %s", model->name, connects? "connected to": "bound at",
               endpoint, self->topic, self->drop? "drop": "block");
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
    const char *text = envelope_request_text (args, workflow_id, &len);
    if (!text)
        return err_set (err, "%s: out of memory", self->model->name);
    //  NODROP refuses the first frame when a queue is full; once it is
    //  taken, the rest of the message is too.
    if (zmq_send (self->handle, self->topic, self->topic_len, ZMQ_SNDMORE) < 0) {
        if (zmq_errno () != EAGAIN)
            return err_set (err, "%s: cannot publish: %s", self->model->name, zmq_strerror (zmq_errno ()));
        if (!self->drop)
            return err_set (err, "%s: a subscriber took nothing for %d ms (on_full: block); not sent",
                            self->model->name, self->send_timeout_ms);
        uint64_t dropped = ++self->dropped;
        if ((dropped & (dropped - 1)) == 0)
            log_warning ("%s: subscribers are full; dropped %" PRIu64 " message%s so far (on_full: drop)",
                         self->model->name, dropped, dropped == 1? "": "s");
        return 0;
    }
    if (zmq_send (self->handle, text, len, 0) < 0)
        return err_set (err, "%s: cannot publish: %s", self->model->name, zmq_strerror (zmq_errno ()));
    self->sent++;
    return 0;
}

void
publisher_destroy (publisher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    publisher_t *self = *self_p;
    if (self->dropped)
        log_warning ("%s: dropped %" PRIu64 " of %" PRIu64 " messages in all (on_full: drop)",
                     self->model->name, self->dropped, self->dropped + self->sent);
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}
