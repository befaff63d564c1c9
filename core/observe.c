/*  observe.c - what the service shows of itself (SPEC §9): the admin
    endpoint and its readiness, systemd's notifications and watchdog, and
    the per-connection summary at stop.

    @discuss
    The admin endpoint (admin/admin.h) answers on a thread of its own; the
    loop ticks it (liveness, and the readiness computed here, s_ready, on
    the loop, which owns the states), so a stuck loop gets /livez 503. The
    watchdog timer runs on the loop, so a stuck loop stops the WATCHDOG=1
    pings and systemd restarts the service. READY=1 goes once the service
    is wired (and svcfw_init returned), STOPPING=1 when a stop is asked for
    (any thread: sd_notify is one datagram). Without NOTIFY_SOCKET, sd_notify
    does nothing. Traces: the exporter (trace/) starts here with --otlp,
    svcfw_otlp or the OTEL_EXPORTER_OTLP_* variables, and stops last.
    @end
*/
#include <czmq.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "runtime.h"
#include "admin.h"
#include "log.h"
#include "metrics.h"
#include "otlp.h"
#include "trace.h"

struct _observe_t {
    char *admin_address;        //  svcfw_admin from the config, or NULL; --admin wins
    char *otlp_endpoint;        //  svcfw_otlp from the config, or NULL; --otlp wins
    admin_t *admin;
    bool wired;                 //  observe_ready was called
    int watchdog_id;            //  the WATCHDOG=1 timer, -1 when none
};

static observe_t *
s_observe (service_t *self)
{
    if (!self->observe && (self->observe = calloc (1, sizeof *self->observe)))
        self->observe->watchdog_id = -1;
    return self->observe;
}

//  Takes the framework's string key `key` out of the config into *out.
static int
s_config_string (service_t *self, const char *key, const char *what, char **out, char *err)
{
    cJSON *item = cJSON_DetachItemFromObjectCaseSensitive (self->config, key);
    if (!item)
        return 0;
    int rc = 0;
    if (!cJSON_IsString (item))
        rc = err_set (err, "%s: config: %s must be a string %s",
                      self->opts->config_path? self->opts->config_path: "config", key, what);
    else if (!(*out = strdup (item->valuestring)))
        rc = err_set (err, "out of memory");
    cJSON_Delete (item);
    return rc;
}

int
observe_config (service_t *self, char *err)
{
    if (!cJSON_IsObject (self->config))
        return 0;               //  config_validate says what is wrong
    observe_t *observe = s_observe (self);
    if (!observe)
        return err_set (err, "out of memory");
    if (s_config_string (self, "svcfw_admin", "HOST:PORT", &observe->admin_address, err)
    ||  s_config_string (self, "svcfw_otlp", "URL", &observe->otlp_endpoint, err))
        return -1;
    return 0;
}

//  Spans go to --otlp, else svcfw_otlp, else the standard environment:
//  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (the whole URL), then
//  OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/traces). None: no span is made.
static int
s_trace_start (service_t *self, char *err)
{
    const char *endpoint = self->opts->otlp_endpoint? self->opts->otlp_endpoint: self->observe->otlp_endpoint;
    bool full = false;
    const char *source = endpoint == self->opts->otlp_endpoint? "--otlp": "svcfw_otlp";
    if (!endpoint && (endpoint = getenv ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) && *endpoint) {
        full = true;
        source = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
    }
    else
    if (!endpoint || !*endpoint) {
        endpoint = getenv ("OTEL_EXPORTER_OTLP_ENDPOINT");
        source = "OTEL_EXPORTER_OTLP_ENDPOINT";
    }
    if (!endpoint || !*endpoint)
        return 0;
    char why [ERR_LEN];
    char *url = otlp_url (endpoint, full, why);
    if (!url)
        return err_set (err, "%s: %s", source, why);
    int rc = trace_export_start (url, log_service (), err);
    free (url);
    return rc;
}

//  /readyz: wired, every in-state synced, and not stopping.
static bool
s_ready (void *arg, char *why, size_t size)
{
    service_t *self = arg;
    if (atomic_load (&self->stopping)) {
        snprintf (why, size, "stopping");
        return false;
    }
    if (!self->observe || !self->observe->wired) {
        snprintf (why, size, "starting: not wired yet");
        return false;
    }
    for (int i = 0; i < self->entry_count; i++) {
        const entry_t *entry = &self->entries [i];
        if (entry->ops && entry->ops->synced && entry->obj && !entry->ops->synced (entry->obj)) {
            //  the name is a model key: printable, but keep the JSON body valid whatever it is
            char name [128];
            size_t n = 0;
            for (const char *c = entry->model->name; *c && n < sizeof name - 1; c++)
                name [n++] = (*c == '"' || *c == '\\' || (unsigned char) *c < 0x20)? '_': *c;
            name [n] = 0;
            snprintf (why, size, "state %s is not synced yet", name);
            return false;
        }
    }
    return true;
}

static int
s_on_watchdog (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    sd_notify (0, "WATCHDOG=1");
    return 0;
}

//  The test hook SVCFW_TEST_STALL_FILE (docs/observability.md): while the
//  file it names exists, the loop is stuck here, as in a callback that
//  never returns (at most S_STALL_MAX_MS at a time). Never set in production.
#define S_STALL_MAX_MS 60000

static int
s_on_stall_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    (void) arg;
    const char *path = getenv ("SVCFW_TEST_STALL_FILE");
    if (!path || access (path, F_OK) != 0)
        return 0;
    log_warning ("test hook: the event loop stalls while %s exists", path);
    int64_t end = zclock_mono () + S_STALL_MAX_MS;
    while (access (path, F_OK) == 0 && zclock_mono () < end)
        zclock_sleep (20);      //  the stall itself: it stands for a stuck callback
    log_warning ("test hook: the event loop turns again");
    return 0;
}

int
observe_start (service_t *self, char *err)
{
    observe_t *observe = s_observe (self);
    if (!observe)
        return err_set (err, "out of memory");
    const char *address = self->opts->admin_address? self->opts->admin_address: observe->admin_address;
    if (address) {
        observe->admin = admin_new (address, s_ready, self, err);
        if (!observe->admin)
            return -1;
        if (admin_attach (observe->admin, self->loop))
            return err_set (err, "--admin %s: cannot register with the event loop", address);
    }
    if (s_trace_start (self, err))
        return -1;
    const char *stall = getenv ("SVCFW_TEST_STALL_FILE");
    if (stall && *stall && zloop_timer (self->loop, 100, 0, s_on_stall_check, self) < 0)
        return err_set (err, "cannot register with the event loop");
    uint64_t usec = 0;
    if (sd_watchdog_enabled (0, &usec) > 0 && usec > 0) {
        size_t period_ms = (size_t) (usec / 2000);
        observe->watchdog_id = zloop_timer (self->loop, period_ms? period_ms: 1, 0, s_on_watchdog, self);
        log_info ("systemd watchdog: WATCHDOG=1 every %zu ms", period_ms? period_ms: 1);
    }
    return 0;
}

void
observe_ready (service_t *self)
{
    if (self->observe)
        self->observe->wired = true;
    if (self->observe && self->observe->admin) {
        char why [256] = "";
        bool ready = s_ready (self, why, sizeof why);
        admin_set_ready (self->observe->admin, ready, why);
    }
    sd_notify (0, "READY=1");
}

void
observe_stopping (service_t *self)
{
    if (self->observe && self->observe->admin)
        admin_set_ready (self->observe->admin, false, "stopping");
    sd_notify (0, "STOPPING=1");
}

void
observe_linger (service_t *self, int fd, int timeout_ms)
{
    //  The process is alive and stopping: say so to /livez, which the loop
    //  no longer stamps.
    admin_t *admin = self->observe? self->observe->admin: NULL;
    int64_t end = zclock_mono () + timeout_ms;
    while (true) {
        if (admin)
            admin_tick (admin);
        int64_t left = end - zclock_mono ();
        if (left <= 0)
            break;
        zmq_pollitem_t item = { NULL, fd, ZMQ_POLLIN, 0 };
        if (zmq_poll (&item, 1, left < 250? left: 250) < 0 && zmq_errno () != EINTR)
            break;
        if (item.revents & ZMQ_POLLIN)
            break;
    }
}

static void
s_summary_line (const char *text, void *arg)
{
    (void) arg;
    log_info ("%s", text);
}

void
observe_summary (service_t *self)
{
    (void) self;
    metrics_summary (s_summary_line, NULL);
}

void
observe_stop (service_t *self)
{
    observe_t *observe = self->observe;
    if (!observe)
        return;
    if (observe->watchdog_id >= 0 && self->loop)
        zloop_timer_end (self->loop, observe->watchdog_id);
    admin_destroy (&observe->admin);
    trace_export_stop ();       //  the handler threads have ended: the last spans go now (bounded)
    free (observe->admin_address);
    free (observe->otlp_endpoint);
    free (observe);
    self->observe = NULL;
}
