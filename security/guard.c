/*  guard.c - CURVE on every socket of a service: keys, allow-list, denials. */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include "curve.h"
#include "guard.h"
#include "metrics.h"
#include "log.h"

#define S_CAUSES 16                 //  distinct causes remembered for "logged once"
//  A client that leaves mid-handshake (_NO_DETAIL) is counted too: a client
//  without CURVE may see the mismatch first and hang up, before the
//  service can (libzmq 4.3 then reports no detail).
#define S_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

struct _guard_t {
    zcert_t *cert;                  //  the service's key pair
    char *allow_dir;                //  allow-list directory, or NULL: any CURVE client
    zhash_t *servers;               //  endpoint -> server public key (Z85, owned strings)
    zactor_t *auth;                 //  CZMQ's zauth, with an allow-list only
    zactor_t *watcher;              //  reads the monitors of binding sockets
    pthread_mutex_t lock;           //  the watcher's pipe, for sockets made in several threads
    atomic_long denied;             //  svcfw_auth_denied_total
    atomic_uint monitors;           //  names of monitor endpoints
    int keys;                       //  keys in the allow-list at startup
};

//  What a handshake failure means, in words a user can act on.
static void
s_cause (int event, uint32_t value, const char *allow_dir, char *out, size_t size)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH && value == 400)
        snprintf (out, size, "its key is not in the allow-list %s", allow_dir? allow_dir: "");
    else
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        snprintf (out, size, "the authenticator answered %u", value);
    else
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        snprintf (out, size, "it hung up during the handshake (no CURVE, or it refused this service's key)");
    else
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH)
        snprintf (out, size, "it does not speak CURVE (security mechanism mismatch)");
    else
    if (value == ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC)
        snprintf (out, size, "its handshake does not decrypt (a wrong server key?)");
    else
        snprintf (out, size, "handshake protocol error 0x%x", value);
}

//  One monitor event: count it and log the first of its cause.
static void
s_on_event (guard_t *self, zsock_t *monitor, metrics_conn_t *metrics, uint64_t causes [S_CAUSES],
            int *cause_count)
{
    zmsg_t *msg = zmsg_recv (monitor);
    zframe_t *head = msg? zmsg_first (msg): NULL;
    if (!head || zframe_size (head) < 6) {
        zmsg_destroy (&msg);
        return;
    }
    uint16_t event;
    uint32_t value;
    memcpy (&event, zframe_data (head), sizeof event);
    memcpy (&value, zframe_data (head) + 2, sizeof value);
    zframe_t *where = zmsg_next (msg);
    char *endpoint = where? zframe_strdup (where): NULL;
    if (event & S_EVENTS) {
        atomic_fetch_add (&self->denied, 1);
        metrics_auth_denied (metrics);
        //  _NO_DETAIL's value is an errno: one cause whatever it is.
        uint64_t key = ((uint64_t) event << 32) | (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL? 0: value);
        bool seen = false;
        for (int i = 0; i < *cause_count; i++)
            seen |= causes [i] == key;
        if (!seen && *cause_count < S_CAUSES) {
            causes [(*cause_count)++] = key;
            char cause [300];
            s_cause (event, value, self->allow_dir, cause, sizeof cause);
            log_warning ("CURVE: denied a client at %s: %s (counted in svcfw_auth_denied_total; "
                         "further denials of this cause are not logged)", endpoint? endpoint: "?", cause);
        }
    }
    free (endpoint);
    zmsg_destroy (&msg);
}

//  A watched socket's monitor, and the connection its denials count for.
typedef struct {
    zsock_t *monitor;
    metrics_conn_t *metrics;    //  NULL: counted in the total only
} s_watched_t;

//  The watcher actor: connects to each monitor it is told of and reads
//  their events until $TERM.
static void
s_watcher (zsock_t *pipe, void *arg)
{
    guard_t *self = arg;
    zpoller_t *poller = zpoller_new (pipe, NULL);
    s_watched_t *watched = NULL;
    int count = 0;
    uint64_t causes [S_CAUSES];
    int cause_count = 0;
    zsock_signal (pipe, 0);
    while (poller) {
        zsock_t *which = zpoller_wait (poller, -1);
        if (!which)
            break;                  //  interrupted
        if (which != pipe) {
            for (int i = 0; i < count; i++)
                if (watched [i].monitor == which)
                    s_on_event (self, which, watched [i].metrics, causes, &cause_count);
            continue;
        }
        char *command = NULL, *endpoint = NULL;
        void *metrics = NULL;
        if (zsock_recv (pipe, "ssp", &command, &endpoint, &metrics) < 0)
            break;
        bool stop = streq (command, "$TERM");
        if (!stop && endpoint) {
            zsock_t *monitor = zsock_new (ZMQ_PAIR);
            s_watched_t *grown = realloc (watched, (size_t) (count + 1) * sizeof *watched);
            if (monitor && grown && zsock_connect (monitor, "%s", endpoint) == 0) {
                watched = grown;
                zsock_set_linger (monitor, 0);
                zpoller_add (poller, monitor);
                watched [count++] = (s_watched_t) { monitor, metrics };
            }
            else {
                if (grown)
                    watched = grown;
                zsock_destroy (&monitor);
            }
            zsock_signal (pipe, 0);
        }
        zstr_free (&command);
        zstr_free (&endpoint);
        if (stop)
            break;
    }
    for (int i = 0; i < count; i++)
        zsock_destroy (&watched [i].monitor);
    free (watched);
    zpoller_destroy (&poller);
}

guard_t *
guard_new (const char *secret_path, const char *cert_from, const char *allow_dir,
           const char *allow_from, char *err)
{
    guard_t *self = calloc (1, sizeof *self);
    if (!self) {
        err_set (err, "out of memory");
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    char why [ERR_LEN];
    if (!(self->cert = curve_load_secret (secret_path, why))) {
        guard_destroy (&self);
        err_set (err, "%s %s", cert_from, why);
        return NULL;
    }
    if (allow_dir && curve_check_allow_dir (allow_dir, &self->keys, why)) {
        guard_destroy (&self);
        err_set (err, "%s %s", allow_from, why);
        return NULL;
    }
    self->servers = zhash_new ();
    self->allow_dir = allow_dir? strdup (allow_dir): NULL;
    self->watcher = zactor_new (s_watcher, self);
    if (!self->servers || (allow_dir && !self->allow_dir) || !self->watcher) {
        guard_destroy (&self);
        err_set (err, "out of memory");
        return NULL;
    }
    zhash_autofree (self->servers);
    if (allow_dir) {
        self->auth = zactor_new (zauth, NULL);
        if (!self->auth || zstr_sendx (self->auth, "CURVE", allow_dir, NULL) < 0 || zsock_wait (self->auth) < 0) {
            guard_destroy (&self);
            err_set (err, "%s %s: cannot start the authenticator", allow_from, allow_dir);
            return NULL;
        }
    }
    return self;
}

void
guard_announce (guard_t *self)
{
    if (self->allow_dir)
        log_info ("CURVE on: public key %s; clients allowed: the %d key%s in %s (re-read when it changes)",
                  zcert_public_txt (self->cert), self->keys, self->keys == 1? "": "s", self->allow_dir);
    else
        log_info ("CURVE on: public key %s; any CURVE client allowed (no --curve-allow)",
                  zcert_public_txt (self->cert));
}

void
guard_destroy (guard_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    guard_t *self = *self_p;
    zactor_destroy (&self->auth);
    zactor_destroy (&self->watcher);
    long denied = atomic_load (&self->denied);
    if (denied)
        log_info ("CURVE: %ld client%s denied in all", denied, denied == 1? "": "s");
    zhash_destroy (&self->servers);
    zcert_destroy (&self->cert);
    free (self->allow_dir);
    pthread_mutex_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

int
guard_add_server (guard_t *self, const char *endpoint, const char *server_key_path,
                  const char *where, char *err)
{
    char why [ERR_LEN];
    zcert_t *cert = curve_load_public (server_key_path, why);
    if (!cert)
        return err_set (err, "%s: server_key %s", where, why);
    const char *key = zcert_public_txt (cert);
    const char *known = zhash_lookup (self->servers, endpoint);
    int rc = 0;
    if (known && strcmp (known, key))
        rc = err_set (err, "%s: server_key %s differs from the key another entry gives for %s",
                      where, server_key_path, endpoint);
    else
    if (!known && zhash_insert (self->servers, endpoint, (void *) key))
        rc = err_set (err, "out of memory");
    zcert_destroy (&cert);
    return rc;
}

int
guard_server (guard_t *self, zsock_t *sock, const char *name, char *err)
{
    zcert_apply (self->cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, "global");
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://svcfw-guard-%p-%u", (void *) self,
              atomic_fetch_add (&self->monitors, 1));
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint, S_EVENTS) < 0)
        return err_set (err, "cannot watch the socket for denied clients: %s", zmq_strerror (zmq_errno ()));
    //  Wait until the watcher is connected, so no early denial goes unseen.
    pthread_mutex_lock (&self->lock);
    int rc = zsock_send (self->watcher, "ssp", "WATCH", endpoint, (void *) metrics_conn (name, 0)) < 0
          || zsock_wait (self->watcher) < 0? -1: 0;
    pthread_mutex_unlock (&self->lock);
    if (rc)
        return err_set (err, "cannot watch the socket for denied clients");
    return 0;
}

int
guard_client (guard_t *self, zsock_t *sock, const char *endpoint, char *err)
{
    const char *server_key = zhash_lookup (self->servers, endpoint);
    if (!server_key)
        return err_set (err, "CURVE is on and no server_key is given for %s", endpoint);
    zcert_apply (self->cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
    return 0;
}

long
guard_denied (guard_t *self)
{
    return atomic_load (&self->denied);
}

const char *
guard_public_txt (guard_t *self)
{
    return zcert_public_txt (self->cert);
}
