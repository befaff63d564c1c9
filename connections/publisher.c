/*  publisher.c - a PUB socket sending [topic][envelope] to its subscribers. */
#include <czmq.h>
#include "publisher.h"
#include "envelope.h"
#include "log.h"
#include "service.h"

struct _publisher_t {
    const model_t *model;       //  borrowed
    zsock_t *sock;
    const char *topic;          //  first frame of every message; borrowed from the model
    size_t topic_len;
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
    self->sock = zsock_new (ZMQ_PUB);
    if (!self->sock) {
        free (self);
        err_set (err, "%s: cannot create a socket: %s", model->where, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (self->sock, SERVICE_LINGER_MS);
    bool connects = model_bool (model, "is_x_pub", false);
    int rc = connects? zsock_connect (self->sock, "%s", endpoint): zsock_bind (self->sock, "%s", endpoint);
    if (rc < 0) {
        err_set (err, "%s: cannot %s %s: %s", model->where, connects? "connect": "bind", endpoint,
                 zmq_strerror (zmq_errno ()));
        publisher_destroy (&self);
        return NULL;
    }
    log_debug ("%s: publisher %s %s, topic \"%s\"", model->name, connects? "connected to": "bound at",
               endpoint, self->topic);
    return self;
}

int
publisher_send (publisher_t *self, const cJSON *args, const char *workflow_id, char *err)
{
    char *text = envelope_request (args, workflow_id);
    if (!text)
        return err_set (err, "%s: out of memory", self->model->name);
    void *handle = zsock_resolve (self->sock);
    int rc = 0;
    if (zmq_send (handle, self->topic, self->topic_len, ZMQ_SNDMORE) < 0
    ||  zmq_send (handle, text, strlen (text), 0) < 0)
        rc = err_set (err, "%s: cannot publish: %s", self->model->name, zmq_strerror (zmq_errno ()));
    cJSON_free (text);
    return rc;
}

void
publisher_destroy (publisher_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    publisher_t *self = *self_p;
    zsock_destroy (&self->sock);
    free (self);
    *self_p = NULL;
}
