/*  check.c - svcfw check: every link of a graph, its kinds, models and topics.

    The links are found by comparing every connecting socket with every
    binding one: a graph of 50 services has a few hundred sockets, so the
    quadratic scan is a few ten thousand string compares.
*/
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "types.h"

//  ---------------------------------------------------------------------------
//  Addresses

//  Splits "tcp://HOST:PORT" into host (ENDPOINT_LEN) and port; false if not TCP.
static bool
s_split_tcp (const char *endpoint, char *host, const char **port)
{
    if (strncmp (endpoint, "tcp://", 6))
        return false;
    const char *colon = strrchr (endpoint + 6, ':');
    if (!colon)
        return false;
    size_t len = (size_t) (colon - (endpoint + 6));
    memcpy (host, endpoint + 6, len);
    host [len] = 0;
    if (strcmp (host, "localhost") == 0)
        strcpy (host, "127.0.0.1");
    *port = colon + 1;
    return true;
}

bool
graph_endpoints_meet (const char *binding, const char *connecting)
{
    char bind_host [ENDPOINT_LEN], connect_host [ENDPOINT_LEN];
    const char *bind_port, *connect_port;
    if (!s_split_tcp (binding, bind_host, &bind_port) || !s_split_tcp (connecting, connect_host, &connect_port))
        return strcmp (binding, connecting) == 0;
    if (strcmp (bind_port, connect_port))
        return false;
    return strcmp (bind_host, "*") == 0 || strcmp (bind_host, "0.0.0.0") == 0
        || strcmp (bind_host, connect_host) == 0;
}

//  Whether two binding endpoints claim the same address.
static bool
s_binds_overlap (const char *a, const char *b)
{
    char host_a [ENDPOINT_LEN], host_b [ENDPOINT_LEN];
    const char *port_a, *port_b;
    if (!s_split_tcp (a, host_a, &port_a) || !s_split_tcp (b, host_b, &port_b))
        return strcmp (a, b) == 0;
    return strcmp (port_a, port_b) == 0 && (graph_endpoints_meet (a, b) || graph_endpoints_meet (b, a));
}

int
graph_links (const graph_t *graph, graph_link_t **links_p)
{
    assert (links_p);
    *links_p = NULL;
    int count = 0, size = 0;
    for (int c = 0; c < graph_socket_count (graph); c++) {
        const graph_socket_t *connecting = graph_socket_at (graph, c);
        if (connecting->bind)
            continue;
        for (int b = 0; b < graph_socket_count (graph); b++) {
            const graph_socket_t *binding = graph_socket_at (graph, b);
            if (!binding->bind || !graph_endpoints_meet (binding->endpoint, connecting->endpoint))
                continue;
            if (count == size) {
                size = size? 2 * size: 16;
                graph_link_t *links = realloc (*links_p, (size_t) size * sizeof *links);
                if (!links) {
                    free (*links_p);
                    *links_p = NULL;
                    return -1;
                }
                *links_p = links;
            }
            (*links_p) [count++] = (graph_link_t) { binding, connecting };
        }
    }
    return count;
}

//  ---------------------------------------------------------------------------
//  Ends and kinds

typedef struct {
    const graph_t *graph;
    graph_report_fn *report;
    void *arg;
    int problems;
} s_check_t;

static void __attribute__ ((format (printf, 2, 3)))
s_problem (s_check_t *self, const char *fmt, ...)
{
    char line [2 * ERR_LEN + 512];
    int len = snprintf (line, sizeof line, "%s: ", graph_path (self->graph));
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line + len, sizeof line - (size_t) len, fmt, ap);
    va_end (ap);
    for (char *p = line; *p; p++)
        if ((unsigned char) *p < 0x20)
            *p = '?';
    self->report (line, self->arg);
    self->problems++;
}

//  "SERVICE.NAME (TYPE)" or, for a state's socket, "SERVICE.NAME (TYPE SOCKET)", into out (ERR_LEN).
static const char *
s_end (const graph_t *graph, const graph_socket_t *socket, char *out)
{
    const model_t *model = socket->model;
    if (model->is_state)
        snprintf (out, ERR_LEN, "%s.%s (%s %s)", graph_service_at (graph, socket->service)->name,
                  model->name, models_kind_name (model->kind), socket->socket);
    else
        snprintf (out, ERR_LEN, "%s.%s (%s)", graph_service_at (graph, socket->service)->name,
                  model->name, models_kind_name (model->kind));
    return out;
}

static bool
s_is_delta (model_kind_t kind)
{
    return kind == MODEL_DELTA_UPDATE_IN || kind == MODEL_DELTA_UPDATE_OUT;
}

//  Whether two sockets may meet.
static bool
s_kinds_fit (const graph_socket_t *a, const graph_socket_t *b)
{
    if (a->model->is_state != b->model->is_state)
        return false;
    if (a->model->is_state && (a->model->is_in == b->model->is_in
                               || s_is_delta (a->model->kind) != s_is_delta (b->model->kind)))
        return false;
    const char *x = a->socket, *y = b->socket;
    if (strcmp (x, "requester") == 0) return strcmp (y, "replyer") == 0;
    if (strcmp (x, "replyer") == 0) return strcmp (y, "requester") == 0;
    if (strcmp (x, "publisher") == 0) return strcmp (y, "subscriber") == 0;
    return strcmp (y, "publisher") == 0;
}

//  What a socket needs to meet, for messages: "a replyer", "a delta_update_out's replyer".
static const char *
s_partner (const graph_socket_t *socket, char *out)
{
    const char *socket_partner = strcmp (socket->socket, "requester") == 0? "replyer"
                               : strcmp (socket->socket, "replyer") == 0? "requester"
                               : strcmp (socket->socket, "publisher") == 0? "subscriber": "publisher";
    if (!socket->model->is_state) {
        snprintf (out, ERR_LEN, "a %s", socket_partner);
        return out;
    }
    const char *kind = s_is_delta (socket->model->kind)
                     ? (socket->model->is_in? "delta_update_out": "delta_update_in")
                     : (socket->model->is_in? "full_update_out": "full_update_in");
    snprintf (out, ERR_LEN, "a %s's %s", kind, socket_partner);
    return out;
}

//  ---------------------------------------------------------------------------
//  The rules

//  The model of what `sender` sends, as `receiver` takes it: sender's args
//  into receiver's. A state without argument keys takes any object (and
//  may send one).
static void
s_check_models (s_check_t *self, const graph_socket_t *sender, const graph_socket_t *receiver,
                const type_t *any_object)
{
    char from [ERR_LEN], to [ERR_LEN], why [ERR_LEN];
    const model_t *out = sender->model, *in = receiver->model;
    bool in_any = in->is_state && !in->has_args;
    const type_t *sent = out->is_state && !out->has_args? any_object: out->args;
    if (!in_any && type_accepts (in->args, sent, why))
        s_problem (self, "%s -> %s: args: %s", s_end (self->graph, sender, from), s_end (self->graph, receiver, to), why);
    //  The reply goes the other way.
    if (out->kind == MODEL_REQUESTER && type_accepts (out->returns, in->returns, why))
        s_problem (self, "%s -> %s: return args: %s", s_end (self->graph, receiver, to),
                   s_end (self->graph, sender, from), why);
}

//  Whether a subscriber of topic `heard` receives what is published under `topic`.
static bool
s_hears (const char *heard, const char *topic)
{
    return strncmp (topic, heard, strlen (heard)) == 0;
}

static bool
s_unheard_allowed (const graph_service_t *service, const char *name)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, service->allow_unheard)
        if (strcmp (item->valuestring, name) == 0)
            return true;
    return false;
}

//  A connection publisher's topic, against the subscribers it meets.
static void
s_check_topic (s_check_t *self, const graph_socket_t *publisher, const graph_link_t *links, int count)
{
    const graph_service_t *service = graph_service_at (self->graph, publisher->service);
    if (s_unheard_allowed (service, publisher->model->name))
        return;
    const char *topic = model_string (publisher->model, "topic", "");
    char end [ERR_LEN], other [ERR_LEN], others [ERR_LEN] = "";
    int met = 0;
    for (int i = 0; i < count; i++) {
        const graph_socket_t *peer = links [i].binding == publisher? links [i].connecting
                                   : links [i].connecting == publisher? links [i].binding: NULL;
        if (!peer || peer->model->kind != MODEL_SUBSCRIBER)
            continue;
        const char *heard = model_string (peer->model, "topic", "");
        if (s_hears (heard, topic))
            return;
        size_t used = strlen (others);
        snprintf (others + used, sizeof others - used, "%s%s hears \"%s\"", met? ", ": "",
                  s_end (self->graph, peer, other), heard);
        met++;
    }
    if (met)
        s_problem (self, "%s publishes topic \"%s\", which no subscriber hears: %s",
                   s_end (self->graph, publisher, end), topic, others);
    else
        s_problem (self, "%s publishes topic \"%s\" at %s, where no subscriber of the graph listens",
                   s_end (self->graph, publisher, end), topic, publisher->endpoint);
}

int
graph_check (const graph_t *graph, graph_report_fn *report, void *arg, int *links_out)
{
    assert (graph && report);
    s_check_t self = { graph, report, arg, 0 };
    graph_link_t *links = NULL;
    int count = graph_links (graph, &links);
    if (count < 0) {
        s_problem (&self, "out of memory");
        return self.problems;
    }
    cJSON *dict = cJSON_CreateString ("dict");
    type_t *any_object = type_compile (dict, "dict", NULL);
    cJSON_Delete (dict);
    char a [ERR_LEN], b [ERR_LEN], want [ERR_LEN];
    int good = 0;
    for (int i = 0; i < graph_service_count (graph); i++) {
        const graph_service_t *service = graph_service_at (graph, i);
        //  What the service's own startup would refuse.
        char why [ERR_LEN];
        if (graph_service_check_plugin (graph, i, why)) {
            report (why, arg);
            self.problems++;
        }
        //  allow_unheard names publishing connections of its service.
        const cJSON *item;
        cJSON_ArrayForEach (item, service->allow_unheard) {
            const model_t *model = models_find (service->models, false, false, item->valuestring);
            if (!model || model->kind != MODEL_PUBLISHER)
                s_problem (&self, "%s: \"allow_unheard\" names \"%s\", which is not one of its publishing connections",
                           service->name, item->valuestring);
        }
    }
    for (int s = 0; s < graph_socket_count (graph); s++) {
        const graph_socket_t *socket = graph_socket_at (graph, s);
        if (socket->bind) {
            //  An address bound twice: reported once, at the second.
            for (int earlier = 0; earlier < s; earlier++) {
                const graph_socket_t *first = graph_socket_at (graph, earlier);
                if (first->bind && s_binds_overlap (first->endpoint, socket->endpoint))
                    s_problem (&self, "%s and %s both bind %s", s_end (graph, first, a), s_end (graph, socket, b),
                               socket->endpoint);
            }
        }
        else {
            int met = 0;
            for (int i = 0; i < count; i++) {
                if (links [i].connecting != socket)
                    continue;
                met++;
                const graph_socket_t *binding = links [i].binding;
                if (!s_kinds_fit (socket, binding)) {
                    s_problem (&self, "%s connects to %s, where %s binds: it needs %s", s_end (graph, socket, a),
                               socket->endpoint, s_end (graph, binding, b), s_partner (socket, want));
                    continue;
                }
                good++;
                //  Models and topics once per pair: on a state's update socket.
                if (socket->model->is_state && strcmp (socket->socket, "subscriber") && strcmp (socket->socket, "publisher"))
                    continue;
                bool sends = strcmp (socket->socket, "requester") == 0 || strcmp (socket->socket, "publisher") == 0;
                const graph_socket_t *sender = sends? socket: binding, *receiver = sends? binding: socket;
                if (any_object)
                    s_check_models (&self, sender, receiver, any_object);
                if (socket->model->is_state) {
                    const char *heard = model_string (receiver->model, "topic", "");
                    const char *topic = model_string (sender->model, "topic", "");
                    if (strcmp (heard, topic))
                        s_problem (&self, "%s -> %s: the in-state hears topic \"%s\", its out-state publishes \"%s\"",
                                   s_end (graph, sender, a), s_end (graph, receiver, b), heard, topic);
                }
            }
            if (!met) {
                s_problem (&self, "%s connects to %s, where no service of the graph binds (it needs %s)",
                           s_end (graph, socket, a), socket->endpoint, s_partner (socket, want));
                continue;       //  said already; no topic rule for it
            }
        }
        if (socket->model->kind == MODEL_PUBLISHER)
            s_check_topic (&self, socket, links, count);
    }
    type_destroy (&any_object);
    free (links);
    if (links_out)
        *links_out = good;
    return self.problems;
}
