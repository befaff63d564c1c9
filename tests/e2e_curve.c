/*  e2e_curve - CurveZMQ on every socket (SPEC §10), with the real svcfw binary.

    svcfw keygen makes the key pairs; echo_replyer (logs "got order N" per
    call), requester_main, producer, state_pub and state_sub run with
    --curve-cert and --curve-allow; raw CZMQ peers play the strangers (no
    CURVE, a key the allow-list lacks, a wrong server key). A raw TCP proxy
    in the test records the bytes between a client and the service, to show
    what a listener on the wire sees with CURVE on and off.
*/
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "e2e.h"

//  Makes a key pair DIR/NAME, DIR/NAME_secret with svcfw keygen.
static void
s_keygen (const char *dir, const char *name)
{
    e2e_proc_t *proc = e2e_svcfw_run (dir, "keygen", "keygen", name, "-d", dir, NULL);
    if (e2e_exit_code (proc) != 0) {
        e2e_dump (proc);
        fail_msg ("svcfw keygen %s -d %s failed", name, dir);
    }
}

//  Copies a file (a public cert into an allow-list directory).
static void
s_copy (const char *from, const char *dir, const char *name)
{
    char *text = e2e_read_file (from);
    assert_non_null (text);
    assert_non_null (e2e_write_file (dir, name, text));
}

//  A raw socket of `type` connected to `endpoint`; a CURVE client with the
//  pair of `secret` and the server key of the cert `server` when `secret`
//  is not NULL. Linger 0, receive timeout `timeout_ms`. Owned by the caller.
static zsock_t *
s_raw (int type, const char *endpoint, const char *secret, const char *server, int timeout_ms)
{
    zsock_t *sock = zsock_new (type);
    assert_non_null (sock);
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, timeout_ms);
    zsock_set_sndtimeo (sock, timeout_ms);
    if (secret) {
        zcert_t *mine = zcert_load (secret);
        zcert_t *theirs = zcert_load (server);
        assert_non_null (mine);
        assert_non_null (theirs);
        zcert_apply (mine, sock);
        zsock_set_curve_serverkey (sock, zcert_public_txt (theirs));
        zcert_destroy (&mine);
        zcert_destroy (&theirs);
    }
    if (type == ZMQ_SUB)
        zsock_set_subscribe (sock, "");
    assert_int_equal (zsock_connect (sock, "%s", endpoint), 0);
    return sock;
}

//  Sends one order on a raw REQ and returns whether a reply came in time.
static bool
s_raw_order (zsock_t *req, int order_id, const char *note)
{
    char *text = e2e_fmt ("{\"args\": {\"order_id\": %d, \"note\": \"%s\"}}", order_id, note);
    if (zstr_send (req, text) < 0)
        return false;
    char *reply = zstr_recv (req);
    bool ok = reply && strstr (reply, "\"ok\":true");
    zstr_free (&reply);
    return ok;
}

//  A client without CURVE is refused as "does not speak CURVE" when the
//  service sees the mismatch first, or "hung up during the handshake" when
//  the client does (libzmq races the two); either way, counted and logged.
static bool
s_plain_logged (void *arg)
{
    const char *out = e2e_proc_out (arg);
    return e2e_line_count (out, "CURVE: denied a client", "does not speak CURVE")
         + e2e_line_count (out, "CURVE: denied a client", "hung up during the handshake") > 0;
}

static void
s_assert_plain_denied (e2e_proc_t *proc)
{
    if (!e2e_poll (s_plain_logged, proc, E2E_LOG_MS)) {
        e2e_dump (proc);
        fail_msg ("the client without CURVE was not logged as denied");
    }
}

typedef struct {
    const char *dir;                //  test directory
    char *keys;                     //  where the pairs are made
    char *allow;                    //  the replyer's allow-list
    int port;
    int admin;                      //  the replyer's admin port (/metrics)
    e2e_proc_t *rep;                //  echo_replyer with CURVE and the allow-list
} s_graph_t;

//  Keys srv, good (allowed), bad (valid, not listed), and the replyer.
static void
s_start_replyer (const char *dir, s_graph_t *g)
{
    g->dir = dir;
    g->keys = e2e_fmt ("%s/keys", dir);
    g->allow = e2e_fmt ("%s/allow", dir);
    assert_int_equal (mkdir (g->keys, 0700), 0);
    assert_int_equal (mkdir (g->allow, 0700), 0);
    s_keygen (g->keys, "srv");
    s_keygen (g->keys, "good");
    s_keygen (g->keys, "bad");
    s_copy (e2e_fmt ("%s/good", g->keys), g->allow, "good");
    g->port = e2e_tcp_port ();
    g->admin = e2e_tcp_port ();
    g->rep = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
                        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}",
                                 e2e_addr (g->port)), NULL,
                        "--curve-cert", e2e_fmt ("%s/srv_secret", g->keys), "--curve-allow", g->allow,
                        "--admin", e2e_fmt ("127.0.0.1:%d", g->admin), NULL);
    E2E_ASSERT_READY (g->rep);
}

//  requester_main sending `count` orders to the replyer, with key `key`
//  (NULL: no CURVE). Returns the process, exited.
static e2e_proc_t *
s_run_requester (s_graph_t *g, const char *key, int count)
{
    char *addr = key? e2e_fmt ("{\"endpoint\": \"%s\", \"server_key\": \"%s/srv\"}", e2e_addr (g->port), g->keys)
                    : e2e_fmt ("\"%s\"", e2e_addr (g->port));
    const char *addresses = e2e_fmt ("{\"connections\": {\"out\": {\"orders\": {\"requester\": %s}}}}", addr);
    const char *config = e2e_fmt ("{\"count\": %d, \"note\": \"%s\"}", count, key? key: "plain");
    e2e_proc_t *proc = key
        ? e2e_svcfw (g->dir, e2e_plugin ("requester_main"), addresses, config, "-m",
                     "--curve-cert", e2e_fmt ("%s/%s_secret", g->keys, key), NULL)
        : e2e_svcfw (g->dir, e2e_plugin ("requester_main"), addresses, config, "-m", NULL);
    assert_non_null (proc);
    int status;
    if (!e2e_wait_exit (proc, 15000, &status)) {
        e2e_dump (proc);
        fail_msg ("requester_main (%s) did not finish", key? key: "no CURVE");
    }
    return proc;
}

static void
test_allow_list_keeps_strangers_out (void **state)
{
    s_graph_t g;
    s_start_replyer (*state, &g);
    const char *out = e2e_proc_out (g.rep);

    //  An allowed key: every order answered.
    e2e_proc_t *good = s_run_requester (&g, "good", 3);
    assert_int_equal (e2e_exit_code (good), 0);
    assert_int_equal (e2e_line_count (e2e_proc_out (good), "] reply ", "ok=true"), 3);
    assert_int_equal (e2e_line_count (out, "got order", "note=good"), 3);

    //  A valid key the allow-list lacks, and no CURVE at all: every send
    //  fails, the handler never runs.
    e2e_proc_t *bad = s_run_requester (&g, "bad", 2);
    e2e_proc_t *plain = s_run_requester (&g, NULL, 2);
    assert_int_equal (e2e_exit_code (bad), 3);
    assert_int_equal (e2e_exit_code (plain), 3);
    assert_int_equal (e2e_line_count (e2e_proc_out (bad), "] reply ", NULL), 0);
    assert_int_equal (e2e_line_count (e2e_proc_out (plain), "] reply ", NULL), 0);
    //  The CURVE requester says why: the server refused its handshake. (A
    //  plain one cannot tell: the server just closes the link.)
    assert_true (e2e_line_count (e2e_proc_out (bad), "refused the handshake", NULL) >= 1);

    //  A raw client with a listed key but the wrong server key.
    zsock_t *wrong = s_raw (ZMQ_REQ, e2e_endpoint (g.port), e2e_fmt ("%s/good_secret", g.keys),
                            e2e_fmt ("%s/bad", g.keys), 1500);
    assert_false (s_raw_order (wrong, 99, "wrongserver"));
    zsock_destroy (&wrong);

    //  Each cause counted and logged once.
    E2E_ASSERT_LOG (g.rep, "not in the allow-list", E2E_LOG_MS);
    E2E_ASSERT_LOG (g.rep, "does not decrypt", E2E_LOG_MS);
    s_assert_plain_denied (g.rep);
    assert_int_equal (e2e_line_count (out, "CURVE: denied a client", "not in the allow-list"), 1);
    assert_true (e2e_line_count (out, "CURVE: denied a client", "does not speak CURVE") <= 1);
    assert_true (e2e_line_count (out, "CURVE: denied a client", "hung up during the handshake") <= 1);
    assert_int_equal (e2e_line_count (out, "CURVE: denied a client", "does not decrypt"), 1);
    assert_int_equal (e2e_line_count (out, "got order", NULL), 3);
    //  And counted in the metric of the connection they tried.
    const char *metrics;
    assert_int_equal (e2e_http_get (g.admin, "/metrics", &metrics), 200);
    double denied = e2e_metric_value (metrics, "svcfw_auth_denied_total{connection=\"orders\"}");
    if (denied < 3)
        fail_msg ("svcfw_auth_denied_total{connection=\"orders\"} is %g, expected at least 3", denied);

    //  The total of denials, at stop.
    int status;
    assert_true (e2e_stop (g.rep, SIGTERM, 5000, &status));
    char *total = e2e_grep_re (out, "CURVE: [0-9]+ clients? denied in all");
    if (!total) {
        e2e_dump (g.rep);
        fail_msg ("no denial total at stop");
    }
    assert_true (atoi (strstr (total, "CURVE: ") + 7) >= 3);
}

static void
test_key_added_while_running (void **state)
{
    s_graph_t g;
    s_start_replyer (*state, &g);
    //  Not listed yet: refused.
    zsock_t *req = s_raw (ZMQ_REQ, e2e_endpoint (g.port), e2e_fmt ("%s/bad_secret", g.keys),
                          e2e_fmt ("%s/srv", g.keys), 500);
    assert_false (s_raw_order (req, 1, "early"));
    zsock_destroy (&req);
    E2E_ASSERT_LOG (g.rep, "not in the allow-list", E2E_LOG_MS);

    //  Listed: accepted within 2 s, no restart.
    s_copy (e2e_fmt ("%s/bad", g.keys), g.allow, "bad");
    long long added = e2e_now_ms ();
    bool answered = false;
    while (!answered && e2e_now_ms () - added < 2000) {
        req = s_raw (ZMQ_REQ, e2e_endpoint (g.port), e2e_fmt ("%s/bad_secret", g.keys),
                     e2e_fmt ("%s/srv", g.keys), 300);
        answered = s_raw_order (req, 2, "late");
        zsock_destroy (&req);
    }
    if (!answered) {
        e2e_dump (g.rep);
        fail_msg ("a key added to the allow-list was not accepted within 2 s");
    }
    assert_int_equal (e2e_line_count (e2e_proc_out (g.rep), "got order 2", "note=late"), 1);
    assert_int_equal (e2e_line_count (e2e_proc_out (g.rep), "got order 1", NULL), 0);
}

static void
test_publisher_keeps_strangers_deaf (void **state)
{
    const char *dir = *state;
    char *keys = e2e_fmt ("%s/keys", dir);
    assert_int_equal (mkdir (keys, 0700), 0);
    s_keygen (keys, "pub");
    s_keygen (keys, "sub");
    int port = e2e_tcp_port ();
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("producer"),
                                 e2e_fmt ("{\"connections\": {\"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}",
                                          e2e_addr (port)), "{\"period_ms\": 10}", "-m",
                                 "--curve-cert", e2e_fmt ("%s/pub_secret", keys), NULL);
    E2E_ASSERT_READY (pub);
    zsock_t *plain = s_raw (ZMQ_SUB, e2e_endpoint (port), NULL, NULL, 100);
    zsock_t *wrong = s_raw (ZMQ_SUB, e2e_endpoint (port), e2e_fmt ("%s/sub_secret", keys),
                            e2e_fmt ("%s/sub", keys), 100);
    zsock_t *keyed = s_raw (ZMQ_SUB, e2e_endpoint (port), e2e_fmt ("%s/sub_secret", keys),
                            e2e_fmt ("%s/pub", keys), 3000);
    //  The keyed subscriber hears 20 messages; meanwhile the others hear none.
    for (int i = 0; i < 20; i++) {
        zmsg_t *msg = zmsg_recv (keyed);
        if (!msg) {
            e2e_dump (pub);
            fail_msg ("the subscriber with the server key received nothing");
        }
        char *text = zframe_strdup (zmsg_last (msg));
        assert_non_null (strstr (text, "\"src\":\"producer\""));
        zstr_free (&text);
        zmsg_destroy (&msg);
    }
    //  Their receive timeout is 100 ms: anything queued would come at once.
    char *heard = zstr_recv (plain);
    assert_null (heard);
    heard = zstr_recv (wrong);
    assert_null (heard);
    E2E_ASSERT_LOG (pub, "does not decrypt", E2E_LOG_MS);
    s_assert_plain_denied (pub);
    zsock_destroy (&plain);
    zsock_destroy (&wrong);
    zsock_destroy (&keyed);
}

typedef struct {
    e2e_proc_t *sub;
    const cJSON *expected;
} s_state_wait_t;

//  True once the in side's last "update state=JSON" equals the expected value.
static bool
s_state_reached (void *arg)
{
    s_state_wait_t *wait = arg;
    char *line = e2e_grep_last (e2e_proc_out (wait->sub), " update state=");
    cJSON *value = line? cJSON_Parse (strstr (line, " update state=") + 14): NULL;
    bool same = value && cJSON_Compare (value, wait->expected, true);
    cJSON_Delete (value);
    return same;
}

static void
test_delta_state_converges (void **state)
{
    const char *dir = *state;
    char *keys = e2e_fmt ("%s/keys", dir), *allow = e2e_fmt ("%s/allow", dir);
    assert_int_equal (mkdir (keys, 0700), 0);
    assert_int_equal (mkdir (allow, 0700), 0);
    s_keygen (keys, "owner");
    s_keygen (keys, "mirror");
    s_copy (e2e_fmt ("%s/mirror", keys), allow, "mirror");
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub"),
        e2e_fmt ("{\"states\": {\"in\": {\"book\": {"
                 "\"subscriber\": {\"endpoint\": \"%s\", \"server_key\": \"%s/owner\"}, "
                 "\"requester\": {\"endpoint\": \"%s\", \"server_key\": \"%s/owner\"}}}}}",
                 e2e_addr (pub_port), keys, e2e_addr (rep_port), keys), NULL,
        "--curve-cert", e2e_fmt ("%s/mirror_secret", keys), NULL);
    E2E_ASSERT_READY (sub);
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("state_pub"),
        e2e_fmt ("{\"states\": {\"out\": {\"book\": {\"publisher\": \"%s\", \"replyer\": \"%s\"}}}}",
                 e2e_addr (pub_port), e2e_addr (rep_port)),
        "{\"count\": 30, \"period_ms\": 10}", "-m",
        "--curve-cert", e2e_fmt ("%s/owner_secret", keys), "--curve-allow", allow, NULL);
    E2E_ASSERT_READY (pub);
    E2E_ASSERT_LOG (pub, "published last=30", E2E_LOG_MS);
    char *line = e2e_grep_last (e2e_proc_out (pub), " out state=");
    assert_non_null (line);
    s_state_wait_t wait = { sub, e2e_keep_json (cJSON_Parse (strstr (line, " out state=") + 11)) };
    assert_non_null (wait.expected);
    if (!e2e_poll (s_state_reached, &wait, E2E_LOG_MS)) {
        e2e_dump (pub);
        e2e_dump (sub);
        fail_msg ("the in side never reached the out side's value %s", e2e_json (wait.expected));
    }
}

//  ---- The bytes on the wire ---------------------------------------------

typedef struct {
    int listen_fd;
    int target_port;
    atomic_bool stop;
    char *seen;                     //  every byte copied, both ways
    size_t seen_len;
    pthread_mutex_t lock;
} s_proxy_t;

//  Accepts one connection, connects onward and copies both ways, recording
//  everything, until told to stop (each poll bounded, 50 ms).
static void *
s_proxy_run (void *arg)
{
    s_proxy_t *self = arg;
    int client = -1;
    while (client < 0 && !atomic_load (&self->stop)) {
        struct pollfd item = { self->listen_fd, POLLIN, 0 };
        if (poll (&item, 1, 50) > 0)
            client = accept (self->listen_fd, NULL, NULL);
    }
    if (client < 0)
        return NULL;
    int server = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (self->target_port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (server, (struct sockaddr *) &addr, sizeof addr) < 0) {
        close (client);
        close (server);
        return NULL;
    }
    int fds [2] = { client, server };
    while (!atomic_load (&self->stop)) {
        struct pollfd items [2] = { { client, POLLIN, 0 }, { server, POLLIN, 0 } };
        if (poll (items, 2, 50) <= 0)
            continue;
        bool closed = false;
        for (int i = 0; i < 2; i++) {
            if (!(items [i].revents & (POLLIN | POLLHUP)))
                continue;
            char buffer [4096];
            ssize_t got = read (fds [i], buffer, sizeof buffer);
            if (got <= 0) {
                closed = true;
                break;
            }
            pthread_mutex_lock (&self->lock);
            char *more = realloc (self->seen, self->seen_len + got);
            if (more) {
                memcpy (more + self->seen_len, buffer, got);
                self->seen = more;
                self->seen_len += got;
            }
            pthread_mutex_unlock (&self->lock);
            if (write (fds [1 - i], buffer, got) != got)
                closed = true;
        }
        if (closed)
            break;
    }
    close (client);
    close (server);
    return NULL;
}

//  Runs echo_replyer (CURVE on or off) behind a recording proxy, sends one
//  order carrying `marker` through it and returns whether the marker
//  crossed the wire in clear.
static bool
s_marker_in_clear (const char *dir, bool curve, const char *marker)
{
    char *keys = e2e_fmt ("%s/keys%d", dir, curve);
    assert_int_equal (mkdir (keys, 0700), 0);
    s_keygen (keys, "srv");
    s_keygen (keys, "cli");
    int port = e2e_tcp_port ();
    const char *addresses = e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}",
                                     e2e_addr (port));
    e2e_proc_t *rep = curve
        ? e2e_svcfw (dir, e2e_plugin ("echo_replyer"), addresses, NULL,
                     "--curve-cert", e2e_fmt ("%s/srv_secret", keys), NULL)
        : e2e_svcfw (dir, e2e_plugin ("echo_replyer"), addresses, NULL, NULL);
    E2E_ASSERT_READY (rep);

    s_proxy_t proxy = { .target_port = port };
    pthread_mutex_init (&proxy.lock, NULL);
    proxy.listen_fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    assert_int_equal (bind (proxy.listen_fd, (struct sockaddr *) &addr, sizeof addr), 0);
    assert_int_equal (listen (proxy.listen_fd, 4), 0);
    assert_int_equal (getsockname (proxy.listen_fd, (struct sockaddr *) &addr, &len), 0);
    pthread_t thread;
    assert_int_equal (pthread_create (&thread, NULL, s_proxy_run, &proxy), 0);

    const char *via = e2e_fmt ("tcp://127.0.0.1:%d", ntohs (addr.sin_port));
    zsock_t *req = curve? s_raw (ZMQ_REQ, via, e2e_fmt ("%s/cli_secret", keys), e2e_fmt ("%s/srv", keys), 3000)
                        : s_raw (ZMQ_REQ, via, NULL, NULL, 3000);
    bool answered = s_raw_order (req, 4242, marker);
    zsock_destroy (&req);
    atomic_store (&proxy.stop, true);
    pthread_join (thread, NULL);
    close (proxy.listen_fd);
    if (!answered) {
        e2e_dump (rep);
        fail_msg ("no reply through the proxy (CURVE %s)", curve? "on": "off");
    }
    //  The handler saw the marker: it crossed, one way or the other.
    assert_int_equal (e2e_line_count (e2e_proc_out (rep), "got order 4242", marker), 1);
    bool clear = proxy.seen && memmem (proxy.seen, proxy.seen_len, marker, strlen (marker)) != NULL;
    free (proxy.seen);
    pthread_mutex_destroy (&proxy.lock);
    return clear;
}

static void
test_wire_bytes (void **state)
{
    const char *marker = "MARKER-5f1c7e-plaintext";
    assert_true (s_marker_in_clear (*state, false, marker));
    assert_false (s_marker_in_clear (*state, true, marker));
}

//  ---- Keys and startup errors ---------------------------------------------

static void
test_keygen_files (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "keygen", "keygen", "node", "-d", dir, NULL);
    assert_int_equal (e2e_exit_code (proc), 0);
    struct stat st;
    assert_int_equal (stat (e2e_fmt ("%s/node_secret", dir), &st), 0);
    assert_int_equal (st.st_mode & 0777, 0600);
    //  Both load in CZMQ, with the same public key and a secret key.
    zcert_t *public_cert = zcert_load (e2e_fmt ("%s/node", dir));
    zcert_t *secret_cert = zcert_load (e2e_fmt ("%s/node_secret", dir));
    assert_non_null (public_cert);
    assert_non_null (secret_cert);
    assert_string_equal (zcert_public_txt (public_cert), zcert_public_txt (secret_cert));
    assert_string_not_equal (zcert_secret_txt (secret_cert), "0000000000000000000000000000000000000000");
    char derived [41];
    assert_int_equal (zmq_curve_public (derived, zcert_secret_txt (secret_cert)), 0);
    assert_string_equal (derived, zcert_public_txt (secret_cert));
    //  Its output names the public file and key.
    assert_non_null (strstr (e2e_read_file (e2e_proc_out (proc)), zcert_public_txt (public_cert)));

    //  An existing pair is kept without --force, replaced with it.
    proc = e2e_svcfw_run (dir, "again", "keygen", "node", "-d", dir, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "node", "--force", NULL);
    zcert_t *kept = zcert_load (e2e_fmt ("%s/node", dir));
    assert_string_equal (zcert_public_txt (kept), zcert_public_txt (public_cert));
    proc = e2e_svcfw_run (dir, "forced", "keygen", "node", "-d", dir, "--force", NULL);
    assert_int_equal (e2e_exit_code (proc), 0);
    zcert_t *fresh = zcert_load (e2e_fmt ("%s/node", dir));
    assert_string_not_equal (zcert_public_txt (fresh), zcert_public_txt (public_cert));
    zcert_destroy (&public_cert);
    zcert_destroy (&secret_cert);
    zcert_destroy (&kept);
    zcert_destroy (&fresh);

    //  keygen is in --help (and so in the man page).
    proc = e2e_svcfw_run (dir, "help", "--help", NULL);
    char *help = e2e_read_file (e2e_proc_out (proc));
    assert_non_null (strstr (help, "svcfw keygen NAME [-d DIR] [--force]"));
    assert_non_null (strstr (help, "NAME_secret"));
    assert_non_null (strstr (help, "--curve-cert"));
    assert_non_null (strstr (help, "--curve-allow"));
}

//  Runs echo_replyer (requester_main for an addresses file named req*) with
//  CURVE and asserts one startup error line holding both needles.
static void
s_assert_refused (const char *dir, const char *addresses, const char *cert, const char *allow,
                  const char *needle, const char *needle2)
{
    bool requester = strstr (addresses, "req") != NULL;
    const char *plugin = e2e_plugin (requester? "requester_main": "echo_replyer");
    e2e_proc_t *proc = requester
        ? e2e_svcfw_run (dir, "refused", "-s", plugin, "-a", addresses, "--curve-cert", cert,
                         "-m", "--count", "1", NULL)
        : allow
        ? e2e_svcfw_run (dir, "refused", "-s", plugin, "-a", addresses, "--curve-cert", cert,
                         "--curve-allow", allow, NULL)
        : e2e_svcfw_run (dir, "refused", "-s", plugin, "-a", addresses, "--curve-cert", cert, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, needle, needle2, NULL);
}

static void
test_startup_errors (void **state)
{
    const char *dir = *state;
    s_keygen (dir, "srv");
    char *rep = e2e_write_file (dir, "rep.json", e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())));
    char *req = e2e_write_file (dir, "req.json", e2e_fmt (
        "{\"connections\": {\"out\": {\"orders\": {\"requester\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())));
    char *secret = e2e_fmt ("%s/srv_secret", dir);

    s_assert_refused (dir, rep, e2e_fmt ("%s/none_secret", dir), NULL, "none_secret", "No such file");
    char *junk = e2e_write_file (dir, "junk_secret", "curve\n    public-key = \"short\"\n");
    chmod (junk, 0600);
    s_assert_refused (dir, rep, junk, NULL, "junk_secret", "not 40 characters");
    chmod (secret, 0640);
    s_assert_refused (dir, rep, secret, NULL, "srv_secret", "readable by group or others");
    chmod (secret, 0600);
    s_assert_refused (dir, rep, secret, e2e_fmt ("%s/no_dir", dir), "--curve-allow", "no_dir");
    s_assert_refused (dir, req, secret, NULL, "connections.out.orders.requester", "no server_key");
    char *req_key = e2e_write_file (dir, "req_key.json", e2e_fmt (
        "{\"connections\": {\"out\": {\"orders\": {\"requester\": {\"endpoint\": \"%s\", "
        "\"server_key\": \"%s/missing\"}}}}}", e2e_addr (e2e_tcp_port ()), dir));
    s_assert_refused (dir, req_key, secret, NULL, "connections.out.orders.requester", "missing");

    //  The config keys work as the options do.
    e2e_proc_t *proc = e2e_svcfw_run (dir, "config", "-s", e2e_plugin ("echo_replyer"), "-a", rep,
                                      "-c", e2e_write_file (dir, "c.json", e2e_fmt (
                                          "{\"svcfw_curve_cert\": \"%s/none_secret\"}", dir)), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "svcfw_curve_cert", "none_secret", NULL);
}

static void
test_exposed_bind_warns (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *open = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"0.0.0.0:%d\"}}}}", port), NULL, NULL);
    E2E_ASSERT_READY (open);
    assert_int_equal (e2e_line_count (e2e_proc_out (open), " WARNING ", "without CURVE"), 1);
    int status;
    e2e_stop (open, SIGTERM, 5000, &status);
    e2e_proc_t *local = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (local);
    assert_int_equal (e2e_line_count (e2e_proc_out (local), "without CURVE", NULL), 0);
}

//  A durable requester delivers from its sender thread, on a socket of its
//  own: CURVE covers that one too.
static void
test_durable_over_curve (void **state)
{
    const char *dir = *state;
    char *keys = e2e_fmt ("%s/keys", dir), *allow = e2e_fmt ("%s/allow", dir);
    assert_int_equal (mkdir (keys, 0700), 0);
    assert_int_equal (mkdir (allow, 0700), 0);
    s_keygen (keys, "sink");
    s_keygen (keys, "source");
    s_copy (e2e_fmt ("%s/source", keys), allow, "source");
    int port = e2e_tcp_port ();
    char *ids = e2e_fmt ("%s/ids.txt", dir);
    e2e_proc_t *sink = e2e_svcfw (dir, e2e_plugin ("durable_sink"),
        e2e_fmt ("{\"connections\": {\"in\": {\"events\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
        e2e_fmt ("{\"out_file\": \"%s\"}", ids),
        "--curve-cert", e2e_fmt ("%s/sink_secret", keys), "--curve-allow", allow, NULL);
    E2E_ASSERT_READY (sink);
    e2e_proc_t *source = e2e_svcfw (dir, e2e_plugin ("durable_source"),
        e2e_fmt ("{\"connections\": {\"out\": {\"events\": {\"requester\": "
                 "{\"endpoint\": \"%s\", \"server_key\": \"%s/sink\"}}}}}", e2e_addr (port), keys),
        "{\"count\": 50}", "-m", "--curve-cert", e2e_fmt ("%s/source_secret", keys), NULL);
    E2E_ASSERT_READY (source);
    E2E_ASSERT_LOG (source, "all delivered", 20000);
    assert_int_equal (e2e_lines (ids), 50);
    assert_int_equal (e2e_line_count (e2e_proc_out (sink), "CURVE: denied", NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_keygen_files, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_startup_errors, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_exposed_bind_warns, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_allow_list_keeps_strangers_out, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_key_added_while_running, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_publisher_keeps_strangers_deaf, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_delta_state_converges, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_wire_bytes, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_durable_over_curve, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
