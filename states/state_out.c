/*  state_out.c - the owner of a replicated state: value, epoch, seq, publisher, snapshots. */
#include <pthread.h>
#include "state_out.h"
#include "uuid.h"
#include "envelope.h"
#include "route.h"
#include "log.h"
#include "metrics.h"
#include "sock.h"

#define S_SNDHWM 100000         //  updates queued per subscriber before ZeroMQ drops (the in side resyncs)
#define S_PIPE_HWM 10000        //  updates in flight from svcfw_main to the loop
#define S_PIPE_TIMEOUT_MS 1000  //  longest wait for room in that pipe

struct _state_out_t {
    const host_t *host;
    const model_t *model;       //  borrowed
    metrics_state_t *metrics;   //  this state's seq (metrics.h)
    const state_policy_t *policy;
    const type_t *check;        //  the model's arguments, NULL when it declares none
    zsock_t *pub;               //  XPUB: updates out, subscriptions in
    zsock_t *rep;               //  snapshot replyer: a ROUTER (route.h)
    zsock_t *pipe_recv;         //  loop side of the pipe from other threads
    zsock_t *pipe_send;         //  other threads' side
    zloop_t *loop;              //  set while attached
    int timer_id;               //  heartbeat timer, -1 when none
    pthread_t owner;            //  the loop thread
    pthread_mutex_t lock;       //  guards value and seq
    pthread_mutex_t pipe_lock;  //  one sender at a time in pipe_send, in seq order
    cJSON *value;               //  the state; owned
    uint64_t seq;               //  seq of the last update applied to value
    uint64_t published_seq;     //  seq of the last update on the wire (loop thread only)
    char epoch [STATE_EPOCH_LEN];
    const char *topic;          //  borrowed from the model
    size_t topic_len;
    int heartbeat_ms;
    uint64_t faults [FAULT_COUNT];
};

state_out_t *
state_out_new (const host_t *host, const model_t *model, const state_policy_t *policy,
               const char *pub_endpoint, const char *rep_endpoint, char *err)
{
    state_out_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->host = host;
    self->model = model;
    self->metrics = metrics_state (model->name);
    self->policy = policy;
    self->check = model->has_args? model->args: NULL;
    self->timer_id = -1;
    self->owner = pthread_self ();
    pthread_mutex_init (&self->lock, NULL);
    pthread_mutex_init (&self->pipe_lock, NULL);
    self->value = cJSON_CreateObject ();
    uuid_make (self->epoch);
    self->topic = model_string (model, "topic", "");
    self->topic_len = strlen (self->topic);
    self->heartbeat_ms = model_int (model, "heartbeat_ms", 1000);

    bool connects = model_bool (model, "is_x_pub", false);
    if (!self->value) {
        err_set (err, "%s: out of memory", model->where);
        goto fail;
    }
    self->pub = sock_new (model, ZMQ_XPUB, SOCK_LINGER_MS, SOCK_CONTROL_BYTES, err);
    if (!self->pub)
        goto fail;
    zsock_set_sndhwm (self->pub, S_SNDHWM);
    //  Every subscription reaches us, also a second one to the same topic,
    //  so each joining in side gets its heartbeat at once.
    zsock_set_xpub_verbose (self->pub, 1);
    if (sock_attach (model, self->pub, pub_endpoint, !connects, err)
    ||  !(self->rep = sock_open (model, ZMQ_ROUTER, rep_endpoint, true, SOCK_LINGER_MS, SOCK_CONTROL_BYTES, err)))
        goto fail;
    self->pipe_recv = zsock_new (ZMQ_PAIR);
    self->pipe_send = zsock_new (ZMQ_PAIR);
    if (!self->pipe_recv || !self->pipe_send) {
        err_set (err, "%s: cannot create the send pipe", model->where);
        goto fail;
    }
    zsock_set_rcvhwm (self->pipe_recv, S_PIPE_HWM);
    zsock_set_sndhwm (self->pipe_send, S_PIPE_HWM);
    //  A full pipe means the loop is not draining it (it is stopping, or
    //  stuck): svcfw_main's send fails after this long instead of waiting
    //  for ever, so a stop stays bounded.
    zsock_set_sndtimeo (self->pipe_send, S_PIPE_TIMEOUT_MS);
    if (zsock_bind (self->pipe_recv, "inproc://svcfw-state-%p", (void *) self) < 0
    ||  zsock_connect (self->pipe_send, "inproc://svcfw-state-%p", (void *) self) < 0) {
        err_set (err, "%s: cannot connect the send pipe", model->where);
        goto fail;
    }
    log_debug ("%s: state %s epoch %s, publisher %s %s, snapshots at %s", model->name, policy->name,
               self->epoch, connects? "connected to": "bound at", pub_endpoint, rep_endpoint);
    return self;
fail:
    state_out_destroy (&self);
    return NULL;
}

//  Sends [topic][text] on the XPUB (loop thread only).
static void
s_publish (state_out_t *self, const char *text, size_t len)
{
    void *handle = zsock_resolve (self->pub);
    if (zmq_send (handle, self->topic, self->topic_len, ZMQ_SNDMORE) < 0
    ||  zmq_send (handle, text, len, 0) < 0)
        log_error ("%s: cannot publish: %s", self->model->name, zmq_strerror (zmq_errno ()));
}

static void
s_heartbeat (state_out_t *self)
{
    char *text = state_update_encode (self->epoch, self->published_seq, false, NULL, NULL);
    if (text)
        s_publish (self, text, strlen (text));
    cJSON_free (text);
}

int
state_out_send (state_out_t *self, const cJSON *args, const char *workflow_id, char *err)
{
    char why [ERR_LEN];
    const cJSON *published = NULL;
    bool is_snapshot = false;
    bool on_loop = pthread_equal (pthread_self (), self->owner);
    pthread_mutex_lock (&self->lock);
    if (self->policy->out_apply (self->check, &self->value, args, &published, &is_snapshot, why)) {
        pthread_mutex_unlock (&self->lock);
        return err_set (err, "%s: %s", self->model->name, why);
    }
    uint64_t seq = ++self->seq;
    metrics_state_seq (self->metrics, true, seq);
    char *text = state_update_encode (self->epoch, seq, is_snapshot, published, workflow_id);
    if (text && on_loop) {
        s_publish (self, text, strlen (text));
        self->published_seq = seq;
    }
    //  Off the loop thread the pipe carries it, in seq order: the pipe lock
    //  is taken before the value's lock is let go, so senders on several
    //  threads (handler threads, svcfw_main) enter the pipe in seq order;
    //  the loop never takes the pipe lock, so a full pipe cannot stall it.
    if (!on_loop)
        pthread_mutex_lock (&self->pipe_lock);
    pthread_mutex_unlock (&self->lock);
    int rc = 0;
    if (!on_loop) {
        if (text && zmq_send (zsock_resolve (self->pipe_send), text, strlen (text), 0) < 0)
            rc = err_set (err, "%s: cannot hand the update to the loop: %s", self->model->name,
                          zmq_strerror (zmq_errno ()));
        pthread_mutex_unlock (&self->pipe_lock);
    }
    if (!text)
        return err_set (err, "%s: out of memory", self->model->name);
    cJSON_free (text);
    log_debug ("%s: update seq %" PRIu64 "%s", self->model->name, seq, is_snapshot? " (whole value)": "");
    return rc;
}

const cJSON *
state_out_value (state_out_t *self)
{
    return self->value;
}

cJSON *
state_out_copy (state_out_t *self)
{
    pthread_mutex_lock (&self->lock);
    cJSON *copy = cJSON_Duplicate (self->value, true);
    pthread_mutex_unlock (&self->lock);
    return copy;
}

//  Updates sent from svcfw_main's thread: publish them in order.
static int
s_on_pipe (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    state_out_t *self = arg;
    void *handle = zsock_resolve (reader);
    for (int n = 0; n < 1024; n++) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        s_publish (self, zmq_msg_data (&msg), zmq_msg_size (&msg));
        self->published_seq++;
        zmq_msg_close (&msg);
    }
    return 0;
}

//  Subscriptions: greet each new subscriber with a heartbeat.
static int
s_on_subscription (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    state_out_t *self = arg;
    void *handle = zsock_resolve (reader);
    bool joined = false;
    while (true) {
        zmq_msg_t msg;
        zmq_msg_init (&msg);
        if (zmq_msg_recv (&msg, handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&msg);
            break;
        }
        if (zmq_msg_size (&msg) > 0 && ((const unsigned char *) zmq_msg_data (&msg)) [0] == 1)
            joined = true;
        zmq_msg_close (&msg);
    }
    if (joined) {
        log_debug ("%s: a subscriber joined", self->model->name);
        s_heartbeat (self);
    }
    return 0;
}

static int
s_on_snapshot_request (zloop_t *loop, zsock_t *reader, void *arg)
{
    (void) loop;
    state_out_t *self = arg;
    void *handle = zsock_resolve (reader);
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    route_t *route;
    char why [ERR_LEN];
    int frames = route_recv (handle, &route, &msg, 1, ZMQ_DONTWAIT, why);
    if (frames <= 0) {
        //  Nothing, or no route to answer along: counted and dropped.
        zmq_msg_close (&msg);
        if (frames < 0)
            fault_log (self->model->name, self->faults, FAULT_BAD_FRAMES, why);
        return 0;
    }
    bool multi_frame = frames > 1;
    envelope_t env = { 0 };
    size_t size = zmq_msg_size (&msg);
    fault_t fault = multi_frame? FAULT_BAD_FRAMES: size > SOCK_CONTROL_BYTES? FAULT_TOO_LARGE:
                    envelope_decode (zmq_msg_data (&msg), size, &env, why);
    if (multi_frame)
        snprintf (why, sizeof why, "a snapshot request must be one frame");
    else if (fault == FAULT_TOO_LARGE)
        snprintf (why, sizeof why, "snapshot request of %zu bytes is over %d", size, SOCK_CONTROL_BYTES);
    zmq_msg_close (&msg);
    char *reply;
    if (fault) {
        fault_log (self->model->name, self->faults, fault, why);
        reply = envelope_error (fault, why, env.workflow_id);
    }
    else {
        pthread_mutex_lock (&self->lock);
        reply = state_update_encode_snapshot (self->epoch, self->seq, self->value);
        uint64_t seq = self->seq;
        pthread_mutex_unlock (&self->lock);
        log_debug ("%s: served a snapshot at seq %" PRIu64, self->model->name, seq);
    }
    envelope_clear (&env);
    if (!reply || route_send (handle, &route, reply, strlen (reply)) < 0)
        log_error ("%s: cannot send the snapshot: %s", self->model->name,
                   reply? zmq_strerror (zmq_errno ()): "out of memory");
    route_destroy (&route);
    cJSON_free (reply);
    return 0;
}

static int
s_on_heartbeat (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    s_heartbeat (arg);
    return 0;
}

int
state_out_attach (state_out_t *self, zloop_t *loop)
{
    if (zloop_reader (loop, self->pub, s_on_subscription, self)
    ||  zloop_reader (loop, self->rep, s_on_snapshot_request, self)
    ||  zloop_reader (loop, self->pipe_recv, s_on_pipe, self))
        return -1;
    self->loop = loop;
    self->timer_id = zloop_timer (loop, self->heartbeat_ms, 0, s_on_heartbeat, self);
    return self->timer_id < 0? -1: 0;
}

void
state_out_destroy (state_out_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    state_out_t *self = *self_p;
    if (self->loop) {
        //  Publish what svcfw_main handed over before the pipe closes.
        s_on_pipe (self->loop, self->pipe_recv, self);
        zloop_reader_end (self->loop, self->pub);
        zloop_reader_end (self->loop, self->rep);
        zloop_reader_end (self->loop, self->pipe_recv);
        if (self->timer_id >= 0)
            zloop_timer_end (self->loop, self->timer_id);
    }
    zsock_destroy (&self->pipe_send);
    zsock_destroy (&self->pipe_recv);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->rep);
    cJSON_Delete (self->value);
    pthread_mutex_destroy (&self->lock);
    pthread_mutex_destroy (&self->pipe_lock);
    free (self);
    *self_p = NULL;
}
