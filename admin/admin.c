/*  admin.c - the admin endpoint: HTTP/1.1 over a ZMQ_STREAM socket, on a thread of its own.

    @discuss
    A ZMQ_STREAM socket hands the admin thread [id][bytes] for each chunk a
    client sends, [id][] when one connects or leaves, and closes a
    connection when the thread sends [id][]. Each connection's bytes are
    kept until the end of its request head (CRLF CRLF), then answered and
    closed. The checks that keep a client from hogging the endpoint are in
    admin.h; each wake-up does bounded work (S_BATCH chunks), and the sweep
    that closes slow connections runs between them.

    The service's loop only ticks: a timer on it stamps the time (/livez)
    and asks the readiness callback (/readyz), whose answer the thread
    keeps. So a stuck loop is seen and said (503) rather than leaving the
    probe unanswered, and /metrics still answers meanwhile.
    @end
*/
#include <czmq.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include "admin.h"
#include "metrics.h"
#include "log.h"
#include "trace.h"

#define S_BATCH 256             //  chunks read per loop wake-up, for fairness
#define S_SWEEP_MS 500          //  how often slow connections are looked for
#define S_TICK_MS 250           //  the loop's heartbeat, for /livez and /readyz
#define S_LIVE_MS 2000          //  /livez: the loop turned within this long

typedef struct {
    char key [24];              //  the STREAM id as hex, zhashx's key
    uint8_t id [8];             //  the STREAM id itself
    size_t id_len;
    int64_t opened_at;          //  zclock_mono at connect
    char *data;                 //  what was read, up to ADMIN_MAX_REQUEST; grows as needed
    size_t len;
    bool done;                  //  answered or refused, and closed; kept until libzmq says it left
    int64_t closed_at;          //  zclock_mono when closed
} s_conn_t;

struct _admin_t {
    zsock_t *sock;              //  the admin thread's once it runs
    void *handle;
    int port;
    zloop_t *loop;              //  the service's, for the tick
    int tick_id;
    zhashx_t *conns;            //  key -> s_conn_t *, owned; the admin thread's
    admin_ready_fn *ready;
    void *ready_arg;
    atomic_int_fast64_t tick_at;    //  zclock_mono of the loop's last tick
    uint64_t refused;           //  connections closed because the table was full
    pthread_t thread;
    bool running;               //  the thread was started
    int stop_fd;                //  eventfd: readable once the thread must end
    pthread_mutex_t lock;       //  guards the readiness below
    bool is_ready;              //  the loop's last answer (admin_set_ready, the tick)
    char why [256];             //  ... and why not
};

static void
s_conn_free (void **item)
{
    s_conn_t *conn = *item;
    if (conn) {
        free (conn->data);
        free (conn);
        *item = NULL;
    }
}

admin_t *
admin_new (const char *address, admin_ready_fn *ready, void *arg, char *err)
{
    char endpoint [300];
    if (strstr (address, "://"))
        snprintf (endpoint, sizeof endpoint, "%s", address);
    else
        snprintf (endpoint, sizeof endpoint, "tcp://%s", address);
    admin_t *self = calloc (1, sizeof *self);
    if (!self) {
        err_set (err, "--admin %s: out of memory", address);
        return NULL;
    }
    self->ready = ready;
    self->ready_arg = arg;
    self->tick_id = -1;
    atomic_store (&self->tick_at, zclock_mono ());
    pthread_mutex_init (&self->lock, NULL);
    snprintf (self->why, sizeof self->why, "starting: not wired yet");
    self->stop_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->conns = zhashx_new ();
    self->sock = zsock_new (ZMQ_STREAM);
    if (!self->conns || !self->sock || self->stop_fd < 0) {
        err_set (err, "--admin %s: cannot make the socket", address);
        admin_destroy (&self);
        return NULL;
    }
    zhashx_set_destructor (self->conns, s_conn_free);
    zsock_set_linger (self->sock, 0);
    self->handle = zsock_resolve (self->sock);
    //  1,000 idle clients need 1,000 descriptors: take what the hard limit allows.
    struct rlimit limit;
    if (getrlimit (RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit (RLIMIT_NOFILE, &limit);
    }
    int port = zsock_bind (self->sock, "%s", endpoint);
    if (port < 0) {
        err_set (err, "--admin %s: cannot bind %s: %s", address, endpoint, zmq_strerror (zmq_errno ()));
        admin_destroy (&self);
        return NULL;
    }
    self->port = port;
    log_info ("admin endpoint on %s (/metrics, /livez, /readyz)", endpoint);
    return self;
}

int
admin_port (const admin_t *self)
{
    return self->port;
}

//  Sends [id][bytes]; then [id][] closes the connection. A client whose
//  queue is full loses its answer (it is not read anyway).
static void
s_send (admin_t *self, s_conn_t *conn, const void *data, size_t len)
{
    if (zmq_send (self->handle, conn->id, conn->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send (self->handle, data, len, ZMQ_DONTWAIT);
}

//  Closes the connection. Its entry stays (done) until libzmq reports it
//  gone, or a sweep later, so that report is not taken for a new client.
static void
s_close (admin_t *self, s_conn_t *conn)
{
    if (zmq_send (self->handle, conn->id, conn->id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
        zmq_send (self->handle, "", 0, ZMQ_DONTWAIT);
    conn->done = true;
    conn->closed_at = zclock_mono ();
    free (conn->data);
    conn->data = NULL;
    conn->len = 0;
}

static void
s_respond (admin_t *self, s_conn_t *conn, int status, const char *content_type, const char *body)
{
    const char *reason = status == 200? "OK": status == 400? "Bad Request": status == 404? "Not Found":
                         status == 405? "Method Not Allowed": status == 503? "Service Unavailable":
                         "Internal Server Error";
    size_t body_len = strlen (body);
    char head [256];
    int head_len = snprintf (head, sizeof head, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                             "Connection: close\r\n\r\n", status, reason, content_type, body_len);
    char *whole = malloc ((size_t) head_len + body_len);
    if (whole) {
        memcpy (whole, head, (size_t) head_len);
        memcpy (whole + head_len, body, body_len);
        s_send (self, conn, whole, (size_t) head_len + body_len);
        free (whole);
    }
    s_close (self, conn);
}

#define S_TEXT "text/plain; charset=utf-8"
#define S_JSON "application/json"

//  Answers the request head in conn->data (complete: it ends with CRLF CRLF).
static void
s_answer (admin_t *self, s_conn_t *conn)
{
    //  The request line: METHOD SP TARGET SP HTTP/1.x
    char method [16], target [1024], version [16];
    char *eol = strstr (conn->data, "\r\n");
    if (!eol || eol - conn->data >= 1100
    ||  sscanf (conn->data, "%15[A-Z] %1023[^ \r\n] %15[^ \r\n]", method, target, version) != 3
    ||  (strcmp (version, "HTTP/1.1") != 0 && strcmp (version, "HTTP/1.0") != 0)
    ||  target [0] != '/') {
        s_respond (self, conn, 400, S_TEXT, "bad request\n");
        return;
    }
    char *query = strchr (target, '?');
    if (query)
        *query = 0;
    bool get = strcmp (method, "GET") == 0;
    if (strcmp (target, "/metrics") == 0 && get) {
        char *text = metrics_render ();
        if (text)
            s_respond (self, conn, 200, "text/plain; version=0.0.4; charset=utf-8", text);
        else
            s_respond (self, conn, 500, S_TEXT, "out of memory\n");
        free (text);
    }
    else
    if (strcmp (target, "/livez") == 0 && get) {
        int64_t quiet = zclock_mono () - atomic_load (&self->tick_at);
        if (quiet <= S_LIVE_MS)
            s_respond (self, conn, 200, S_TEXT, "ok\n");
        else {
            char body [128];
            snprintf (body, sizeof body, "the event loop has not turned for %" PRId64 " ms\n", quiet);
            s_respond (self, conn, 503, S_TEXT, body);
        }
    }
    else
    if (strcmp (target, "/readyz") == 0 && get) {
        char why [256] = "";
        pthread_mutex_lock (&self->lock);
        bool ready = self->is_ready;
        snprintf (why, sizeof why, "%s", self->why);
        pthread_mutex_unlock (&self->lock);
        int64_t quiet = zclock_mono () - atomic_load (&self->tick_at);
        if (ready && quiet > S_LIVE_MS) {
            ready = false;          //  what the loop said last is stale
            snprintf (why, sizeof why, "the event loop has not turned for %" PRId64 " ms", quiet);
        }
        if (ready)
            s_respond (self, conn, 200, S_JSON, "{\"ready\":true}\n");
        else {
            char body [400];
            snprintf (body, sizeof body, "{\"ready\":false,\"reason\":\"%s\"}\n", why);
            s_respond (self, conn, 503, S_JSON, body);
        }
    }
    else
    if (strcmp (target, "/metrics") == 0 || strcmp (target, "/livez") == 0 || strcmp (target, "/readyz") == 0)
        s_respond (self, conn, 405, S_TEXT, "only GET\n");
    else
        s_respond (self, conn, 404, S_TEXT, "not found: try /metrics, /livez or /readyz\n");
}

//  One [id][bytes] from the socket.
static void
s_on_chunk (admin_t *self, const uint8_t *id, size_t id_len, const char *data, size_t len)
{
    if (id_len == 0 || id_len > sizeof ((s_conn_t *) 0)->id)
        return;
    char key [24];
    trace_hex (id, (int) id_len, key);     //  the connection id as a hash key
    s_conn_t *conn = zhashx_lookup (self->conns, key);
    if (len == 0) {
        //  A connect, or a disconnect of a known connection.
        if (conn) {
            zhashx_delete (self->conns, key);
            return;
        }
        s_conn_t fresh = { .id_len = id_len, .opened_at = zclock_mono () };
        memcpy (fresh.id, id, id_len);
        memcpy (fresh.key, key, sizeof key);
        if (zhashx_size (self->conns) >= ADMIN_MAX_CONNS) {
            if (self->refused++ == 0)
                log_warning ("admin: %d connections open; closing new ones until some end", ADMIN_MAX_CONNS);
            if (zmq_send (self->handle, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0)
                zmq_send (self->handle, "", 0, ZMQ_DONTWAIT);
            return;
        }
        s_conn_t *made = malloc (sizeof *made);
        if (!made)
            return;             //  the sweep cannot see it: libzmq keeps it until the client leaves
        *made = fresh;
        if (zhashx_insert (self->conns, key, made))
            free (made);
        return;
    }
    if (!conn || conn->done)
        return;                 //  bytes after the answer, or from a connection it closed
    if (conn->len + len > ADMIN_MAX_REQUEST) {
        s_respond (self, conn, 400, S_TEXT, "request over 8192 bytes\n");
        return;
    }
    char *grown = realloc (conn->data, conn->len + len + 1);
    if (!grown) {
        s_close (self, conn);
        return;
    }
    conn->data = grown;
    memcpy (conn->data + conn->len, data, len);
    conn->len += len;
    conn->data [conn->len] = 0;
    if (memchr (conn->data, 0, conn->len)) {
        s_respond (self, conn, 400, S_TEXT, "bad request\n");
        return;
    }
    if (strstr (conn->data, "\r\n\r\n"))
        s_answer (self, conn);
}

//  Reads up to S_BATCH chunks.
static void
s_read (admin_t *self)
{
    for (int i = 0; i < S_BATCH; i++) {
        zmq_msg_t id, data;
        zmq_msg_init (&id);
        zmq_msg_init (&data);
        if (zmq_msg_recv (&id, self->handle, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close (&id);
            zmq_msg_close (&data);
            break;
        }
        bool whole = zmq_msg_more (&id) && zmq_msg_recv (&data, self->handle, ZMQ_DONTWAIT) >= 0;
        while (zmq_msg_more (&data)) {          //  a STREAM message is two frames; skip anything else
            zmq_msg_t rest;
            zmq_msg_init (&rest);
            int rc = zmq_msg_recv (&rest, self->handle, ZMQ_DONTWAIT);
            bool more = rc >= 0 && zmq_msg_more (&rest);
            zmq_msg_close (&rest);
            if (!more)
                break;
        }
        if (whole)
            s_on_chunk (self, zmq_msg_data (&id), zmq_msg_size (&id), zmq_msg_data (&data), zmq_msg_size (&data));
        zmq_msg_close (&id);
        zmq_msg_close (&data);
    }
}

//  Closes connections that have not sent a whole request in time.
static void
s_sweep (admin_t *self)
{
    int64_t now = zclock_mono ();
    zlistx_t *late = zlistx_new ();
    if (!late)
        return;
    for (s_conn_t *conn = zhashx_first (self->conns); conn; conn = zhashx_next (self->conns))
        if (conn->done? now - conn->closed_at >= ADMIN_REQUEST_MS: now - conn->opened_at >= ADMIN_REQUEST_MS)
            zlistx_add_end (late, conn);
    for (s_conn_t *conn = zlistx_first (late); conn; conn = zlistx_next (late))
        if (conn->done)
            zhashx_delete (self->conns, conn->key);
        else
            s_close (self, conn);
    zlistx_destroy (&late);
}

void
admin_set_ready (admin_t *self, bool ready, const char *why)
{
    pthread_mutex_lock (&self->lock);
    self->is_ready = ready;
    snprintf (self->why, sizeof self->why, "%s", ready || !why? "": why);
    pthread_mutex_unlock (&self->lock);
}

void
admin_tick (admin_t *self)
{
    atomic_store (&self->tick_at, zclock_mono ());
}

//  The loop turned: stamp it, and keep its readiness for /readyz.
static int
s_on_tick (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    admin_t *self = arg;
    admin_tick (self);
    char why [256] = "";
    bool ready = self->ready (self->ready_arg, why, sizeof why);
    admin_set_ready (self, ready, why);
    return 0;
}

//  The admin thread: serves until stop_fd is readable.
static void *
s_serve (void *arg)
{
    admin_t *self = arg;
    int64_t last_sweep = zclock_mono ();
    while (true) {
        zmq_pollitem_t items [] = { { self->handle, 0, ZMQ_POLLIN, 0 }, { NULL, self->stop_fd, ZMQ_POLLIN, 0 } };
        if (zmq_poll (items, 2, S_SWEEP_MS) < 0 && zmq_errno () != EINTR)
            break;
        if (items [1].revents & ZMQ_POLLIN)
            break;
        if (items [0].revents & ZMQ_POLLIN)
            s_read (self);
        if (zclock_mono () - last_sweep >= S_SWEEP_MS) {
            s_sweep (self);
            last_sweep = zclock_mono ();
        }
    }
    return NULL;
}

int
admin_attach (admin_t *self, zloop_t *loop)
{
    self->loop = loop;
    self->tick_id = zloop_timer (loop, S_TICK_MS, 0, s_on_tick, self);
    if (self->tick_id < 0)
        return -1;
    admin_tick (self);
    //  The socket is the thread's from here (pthread_create is a full barrier).
    if (pthread_create (&self->thread, NULL, s_serve, self))
        return -1;
    self->running = true;
    return 0;
}

void
admin_destroy (admin_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    admin_t *self = *self_p;
    if (self->running) {
        uint64_t one = 1;
        if (write (self->stop_fd, &one, sizeof one) != sizeof one)
            log_error ("admin: cannot stop the admin thread: %s", strerror (errno));
        pthread_join (self->thread, NULL);
    }
    if (self->loop && self->tick_id >= 0)
        zloop_timer_end (self->loop, self->tick_id);
    zsock_destroy (&self->sock);
    zhashx_destroy (&self->conns);
    if (self->stop_fd >= 0)
        close (self->stop_fd);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}
