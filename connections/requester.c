/*  requester.c - a REQ client that never hangs: the zguide's Lazy Pirate.

    @discuss
    A REQ socket whose reply does not come is stuck (it cannot send again),
    so on a timeout the socket is closed with no linger, dropping the lost
    request, and a fresh one sends again. After `retries` attempts in all the
    request fails with every attempt's cause, in order.
    A stop (signal) seen while waiting does not abort the request at once:
    the reply gets a short grace period, without further attempts, so a
    shutdown lets in-flight work end but stays bounded.
    @end
*/
#include <czmq.h>
#include "requester.h"
#include "envelope.h"
#include "log.h"
#include "types.h"

#define S_STOP_GRACE_MS 1000    //  how long a reply is still awaited after a stop

struct _requester_t {
    service_t *service;
    const model_t *model;       //  borrowed
    char endpoint [256];
    zsock_t *sock;              //  NULL until the first request, and after a timeout
    int timeout_ms;
    int retries;                //  attempts in all
    size_t max_bytes;
};

requester_t *
requester_new (service_t *service, const model_t *model, const char *endpoint, char *err)
{
    requester_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->service = service;
    self->model = model;
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    self->timeout_ms = model_int (model, "timeout_ms", 2500);
    self->retries = model_int (model, "retries", 3);
    self->max_bytes = (size_t) model_int (model, "max_message_bytes", 1 << 20);
    //  Connect now, so the first request does not wait for the handshake
    //  and a bad endpoint is a startup error.
    self->sock = zsock_new (ZMQ_REQ);
    if (!self->sock || zsock_connect (self->sock, "%s", endpoint) < 0) {
        err_set (err, "%s: cannot connect %s: %s", model->where, endpoint, zmq_strerror (zmq_errno ()));
        requester_destroy (&self);
        return NULL;
    }
    zsock_set_linger (self->sock, 0);
    return self;
}

//  Receives a whole reply into one message (a multi-frame reply is refused).
static int
s_receive (requester_t *self, cJSON **return_args, char *why)
{
    void *handle = zsock_resolve (self->sock);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    if (zmq_msg_recv (&msg, handle, 0) < 0) {
        zmq_msg_close (&msg);
        return err_set (why, "cannot receive: %s", zmq_strerror (zmq_errno ()));
    }
    int rc = 0;
    if (zmq_msg_more (&msg)) {
        while (zmq_msg_more (&msg)) {
            zmq_msg_close (&msg);
            zmq_msg_init (&msg);
            if (zmq_msg_recv (&msg, handle, 0) < 0)
                break;
        }
        rc = err_set (why, "malformed reply: more than one frame");
    }
    else if (zmq_msg_size (&msg) > self->max_bytes)
        rc = err_set (why, "reply of %zu bytes is over max_message_bytes %zu",
                      zmq_msg_size (&msg), self->max_bytes);
    else {
        envelope_t env;
        rc = envelope_decode_reply (zmq_msg_data (&msg), zmq_msg_size (&msg), &env, why);
        if (rc == 0) {
            char detail [ERR_LEN];
            if (type_validate (self->model->returns, env.args, detail))
                rc = err_set (why, "invalid return args: %s", detail);
            else
                *return_args = cJSON_DetachItemViaPointer (env.root, (cJSON *) env.args);
            envelope_clear (&env);
        }
    }
    zmq_msg_close (&msg);
    return rc;
}

int
requester_request (requester_t *self, const cJSON *args, const char *workflow_id,
                   cJSON **return_args, char *err)
{
    *return_args = NULL;
    const char *name = self->model->name;
    char *text = envelope_request (args, workflow_id);
    if (!text)
        return err_set (err, "%s: out of memory", name);
    size_t len = strlen (text);
    char causes [ERR_LEN] = "";
    size_t used = 0;
    int64_t grace_end = 0;              //  set once a stop is seen
    int attempt = 0;
    int rc = -1;
    bool answered = false;

    while (attempt < self->retries && !answered && !(grace_end && attempt > 0)) {
        attempt++;
        if (!self->sock) {
            self->sock = zsock_new (ZMQ_REQ);
            if (!self->sock || zsock_connect (self->sock, "%s", self->endpoint) < 0) {
                used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: cannot connect",
                                  used? "; ": "", attempt);
                zsock_destroy (&self->sock);
                continue;
            }
            zsock_set_linger (self->sock, 0);
        }
        void *handle = zsock_resolve (self->sock);
        if (zmq_send (handle, text, len, ZMQ_DONTWAIT) < 0) {
            used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: cannot send: %s",
                              used? "; ": "", attempt, zmq_strerror (zmq_errno ()));
            zsock_destroy (&self->sock);
            if (used >= sizeof causes) used = sizeof causes - 1;
            continue;
        }
        int64_t deadline = zclock_mono () + self->timeout_ms;
        bool replied = false;
        while (true) {
            int64_t now = zclock_mono ();
            int64_t end = grace_end && grace_end < deadline? grace_end: deadline;
            if (now >= end)
                break;
            zmq_pollitem_t items [] = {
                { handle, 0, ZMQ_POLLIN, 0 },
                { NULL, service_stop_fd (self->service), ZMQ_POLLIN, 0 },
                { NULL, service_signal_fd (self->service), ZMQ_POLLIN, 0 },
            };
            //  Once the stop is seen, stop polling its (still readable) fds.
            int count = grace_end? 1: 3;
            if (zmq_poll (items, count, end - now) < 0 && zmq_errno () != EINTR)
                break;
            if (items [0].revents & ZMQ_POLLIN) {
                replied = true;
                break;
            }
            if (!grace_end && ((items [1].revents | items [2].revents) & ZMQ_POLLIN)) {
                grace_end = zclock_mono () + S_STOP_GRACE_MS;
                log_info ("%s: stopping; waiting up to %d ms for the reply in flight", name, S_STOP_GRACE_MS);
            }
        }
        if (replied) {
            char why [ERR_LEN];
            answered = true;
            rc = s_receive (self, return_args, why);
            if (rc)
                err_set (err, "%s (%s): %s", name, self->endpoint, why);
            break;
        }
        used += snprintf (causes + used, sizeof causes - used, "%sattempt %d: no reply within %d ms%s",
                          used? "; ": "", attempt, self->timeout_ms, grace_end? " (stopping)": "");
        if (used >= sizeof causes)
            used = sizeof causes - 1;
        log_warning ("%s: no reply from %s within %d ms (attempt %d of %d)", name, self->endpoint,
                     self->timeout_ms, attempt, self->retries);
        zsock_destroy (&self->sock);    //  a REQ that lost its reply cannot send again
    }
    if (!answered)
        err_set (err, "%s (%s): no reply after %d attempt%s: %s", name, self->endpoint,
                 attempt, attempt == 1? "": "s", causes);
    cJSON_free (text);
    return rc;
}

void
requester_destroy (requester_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    requester_t *self = *self_p;
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}
