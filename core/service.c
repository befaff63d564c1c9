/*  service.c - the life of one service: startup, the event loop, signals,
    main mode, shutdown.

    @discuss
    Threads: the process's main thread runs the event loop (zloop), which owns
    the inbound sockets and the signal fd, and never calls a handler: those
    run on handler threads (dispatch.c), and the loop sends their replies.
    In main mode svcfw_main runs on a thread of its own. Outbound
    connections are shared by them under a lock per connection (api.c).

    Stop (SPEC §8): the first SIGINT/SIGTERM stops the taking of messages
    (queued ones are dropped), then the loop goes on serving (heartbeats,
    snapshots, replies of the handlers still running) until every running
    handler and svcfw_main have returned, or --stop-timeout passes: then an
    ERROR line names each handler still running and the process exits 1.
    A second signal exits at once, with status 1.

    Signals: SIGINT, SIGTERM and SIGHUP are blocked in every thread (before
    ZeroMQ starts its I/O threads, which inherit the mask) and read from a
    signalfd in the loop, so a signal is an ordinary loop event. SIGHUP
    reloads the config (reload.c); so does a change of the -c file.
    @end
*/
#define _GNU_SOURCE                 //  pthread_timedjoin_np
#include <czmq.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"
#include "crash.h"
#include "log.h"

#define S_MAIN_JOIN_MS 1500     //  how long teardown waits for a svcfw_main that returned
#define S_STOP_CHECK_MS 5       //  how often a stop looks whether the handlers finished

void
runtime_request_stop (service_t *self)
{
    if (!atomic_exchange (&self->stopping, true)) {
        observe_stopping (self);
        uint64_t one = 1;
        if (write (self->stop_fd, &one, sizeof one) < 0)
            log_error ("cannot signal the stop: %s", strerror (errno));
    }
}

//  ---------------------------------------------------------------------------
//  Startup

static int
s_startup_error (const char *fmt, ...)
{
    char line [ERR_LEN * 2];
    va_list args;
    va_start (args, fmt);
    vsnprintf (line, sizeof line, fmt, args);
    va_end (args);
    fprintf (stderr, "svcfw: error: %s\n", line);
    return -1;
}

//  A plugin written as a leading edge (it exports svcfw_main) started
//  without -m, with nothing inbound, would sit idle with no hint.
static void
s_warn_idle (service_t *self)
{
    if (self->opts->main_mode || !plugin_hooks (self->plugin)->main)
        return;
    for (int i = 0; i < self->entry_count; i++)
        if (self->entries [i].model->is_in)
            return;
    log_warning ("%s exports svcfw_main but has no inbound connection or state, and -m was not given: "
                 "it will do nothing until stopped (start it with -m to run svcfw_main)",
                 self->opts->service_path);
}

//  ---------------------------------------------------------------------------
//  Loop events

static void
s_call_sigint (service_t *self, int signum)
{
    svcfw_sigint_fn *hook = plugin_hooks (self->plugin)->sigint;
    if (hook) {
        api_ctx_reset (&self->main_ctx, NULL);
        log_set_workflow_id (NULL);
        hook (&self->main_ctx, signum);
        log_set_workflow_id (NULL);
    }
}

//  Whether a stop may end the loop: no handler runs or waits, and
//  svcfw_main (if it ran) has returned.
static bool
s_drained (service_t *self)
{
    return dispatch_busy (self) == 0 && (!self->main_started || self->main_done);
}

static int
s_on_stop_check (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    service_t *self = arg;
    return s_drained (self)? -1: 0;
}

static int
s_on_stop_timeout (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    service_t *self = arg;
    self->stop_timed_out = !s_drained (self);
    return -1;
}

static int
s_on_signal (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    service_t *self = arg;
    struct signalfd_siginfo info;
    if (read (item->fd, &info, sizeof info) != sizeof info)
        return 0;
    if (info.ssi_signo == SIGHUP) {
        if (!self->stop_signal)
            reload_run (self, "SIGHUP");
        return 0;
    }
    const char *abbrev = sigabbrev_np ((int) info.ssi_signo);
    if (self->stop_signal) {
        //  A second signal: the operator will not wait.
        log_error ("got SIG%s while stopping: exiting at once", abbrev? abbrev: "?");
        dispatch_report_running (self);
        log_close ();
        _exit (1);
    }
    self->stop_signal = (int) info.ssi_signo;
    int busy = dispatch_busy (self);
    if (busy || (self->main_started && !self->main_done))
        log_info ("got SIG%s, stopping: waiting up to %d ms for %s to finish", abbrev? abbrev: "?",
                  self->opts->stop_timeout_ms, busy? "running handlers": "svcfw_main");
    else
        log_info ("got SIG%s, stopping", abbrev? abbrev: "?");
    runtime_request_stop (self);
    dispatch_close (self);
    if (s_drained (self))
        return -1;
    //  The loop goes on serving until the handlers end, or the time is up.
    if (zloop_timer (loop, S_STOP_CHECK_MS, 0, s_on_stop_check, self) < 0
    ||  zloop_timer (loop, self->opts->stop_timeout_ms > 0? (size_t) self->opts->stop_timeout_ms: 1, 1,
                     s_on_stop_timeout, self) < 0)
        return -1;
    return 0;
}

static int
s_on_main_done (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    (void) loop;
    (void) item;
    service_t *self = arg;
    uint64_t count;
    if (read (self->main_done_fd, &count, sizeof count) < 0)
        return 0;
    self->main_done = true;
    //  svcfw_main returned by itself: main mode is over. During a stop the
    //  stop's own check ends the loop.
    return self->stop_signal? 0: -1;
}

static void *
s_main_thread (void *arg)
{
    service_t *self = arg;
    api_ctx_reset (&self->main_ctx, NULL);
    log_set_workflow_id (NULL);
    crash_call_begin (NULL, "svcfw_main", NULL);
    int rc = plugin_hooks (self->plugin)->main (&self->main_ctx);
    crash_call_end ();
    api_group_end (&self->main_ctx, "svcfw_main");
    log_set_workflow_id (NULL);
    uint64_t one = 1;
    if (write (self->main_done_fd, &one, sizeof one) < 0)
        log_error ("cannot signal the end of svcfw_main: %s", strerror (errno));
    return (void *) (intptr_t) rc;
}

//  Ends main mode's thread: asks it to stop, waits a bounded time. Returns
//  its exit status, or -1 if it did not return in time.
static int
s_stop_main (service_t *self, int signum)
{
    runtime_request_stop (self);
    struct timespec deadline;
    clock_gettime (CLOCK_REALTIME, &deadline);
    deadline.tv_sec += S_MAIN_JOIN_MS / 1000;
    deadline.tv_nsec += (S_MAIN_JOIN_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    observe_linger (self, self->main_done_fd, S_MAIN_JOIN_MS);    //  /readyz says "stopping" meanwhile
    void *result = NULL;
    if (pthread_timedjoin_np (self->main_thread, &result, &deadline) != 0)
        return -1;
    self->main_started = false;
    if (signum)
        s_call_sigint (self, signum);
    return (int) (intptr_t) result;
}

//  Main mode starts once every publisher has its min_subscribers (SPEC §8):
//  checked on the loop, which serves everything else meanwhile.
static int
s_start_main (service_t *self)
{
    char err [ERR_LEN] = "";
    int joined = wiring_joined (self, err);
    if (joined == 0)
        return 0;
    if (joined < 0 || pthread_create (&self->main_thread, NULL, s_main_thread, self)) {
        s_startup_error ("%s", joined < 0? err: "cannot start the main-mode thread");
        self->join_failed = true;
        return -1;
    }
    self->main_started = true;
    return -1;                  //  a timer's "done": the caller ends it
}

static int
s_on_join_check (zloop_t *loop, int timer_id, void *arg)
{
    service_t *self = arg;
    if (s_start_main (self) == 0)
        return 0;
    zloop_timer_end (loop, timer_id);
    return self->join_failed? -1: 0;
}

//  ---------------------------------------------------------------------------
//  The whole run

static int
s_startup (service_t *self, char *err)
{
    if (wiring_load (self, err))
        return -1;
    if (api_config_set (self, self->config))
        return err_set (err, "out of memory");

    //  Signals become loop events; ZeroMQ's threads inherit the mask.
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGHUP);
    self->signal_fd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    self->stop_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->main_done_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->signal_fd < 0 || self->stop_fd < 0 || self->main_done_fd < 0)
        return err_set (err, "cannot create the loop's descriptors: %s", strerror (errno));
    self->loop = zloop_new ();
    if (!self->loop)
        return err_set (err, "cannot create the event loop");
    zmq_pollitem_t signal_item = { NULL, self->signal_fd, ZMQ_POLLIN, 0 };
    zmq_pollitem_t done_item = { NULL, self->main_done_fd, ZMQ_POLLIN, 0 };
    if (zloop_poller (self->loop, &signal_item, s_on_signal, self)
    ||  zloop_poller (self->loop, &done_item, s_on_main_done, self))
        return err_set (err, "cannot register with the event loop");
    if (wiring_wire (self, err) || dispatch_pools_start (self, err) || reload_start (self, err))
        return -1;
    return observe_start (self, err);
}

int
service_run (const cli_opts_t *opts)
{
    //  Block the stop signals before any thread exists; CZMQ must not install
    //  its own handlers, the loop reads them from a signalfd.
    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGHUP);
    pthread_sigmask (SIG_BLOCK, &mask, NULL);
    zsys_handler_set (NULL);
    crash_install ();                   //  a crash leaves a report (crash.h)

    service_t service = { .opts = opts, .signal_fd = -1, .stop_fd = -1, .main_done_fd = -1, .stop_timer = -1 };
    service_t *self = &service;
    self->loop_ctx.service = self;
    self->main_ctx.service = self;
    pthread_mutex_init (&self->config_lock, NULL);
    char err [ERR_LEN] = "";
    int status = 0;

    if (s_startup (self, err)) {
        s_startup_error ("%s", *err? err: "startup failed");
        status = 1;
        goto teardown;
    }
    svcfw_init_fn *init = plugin_hooks (self->plugin)->init;
    if (init) {
        api_ctx_reset (&self->main_ctx, NULL);
        int rc = init (&self->main_ctx);
        log_set_workflow_id (NULL);
        if (rc) {
            s_startup_error ("%s: svcfw_init failed (returned %d)%s%s", opts->service_path, rc,
                             self->main_ctx.failed? ": ": "", self->main_ctx.failed? self->main_ctx.fail: "");
            status = 1;
            goto teardown;
        }
    }
    s_warn_idle (self);
    log_info ("ready: %d connections, %d states", self->entry_count - self->state_count, self->state_count);
    observe_ready (self);
    if (opts->main_mode && s_start_main (self) == 0)
        zloop_timer (self->loop, 10, 0, s_on_join_check, self);
    if (!self->join_failed)
        zloop_start (self->loop);
    if (self->join_failed)
        status = 1;
    if (self->stop_timed_out) {
        //  Handlers still run on threads that use the service's sockets and
        //  memory: nothing can be freed safely, so leave now.
        int running = dispatch_report_running (self);
        if (self->main_started && !self->main_done)
            log_error ("stop: svcfw_main still running");
        log_error ("stop: %d handler%s still running after --stop-timeout %d ms; exiting with status 1",
                   running + (self->main_started && !self->main_done), running == 1? "": "s",
                   opts->stop_timeout_ms);
        log_close ();
        _exit (1);
    }
    //  Every handler has returned: end the threads, run the last completions.
    if (dispatch_pools_stop (self, S_MAIN_JOIN_MS)) {
        log_error ("stop: a handler thread did not end; exiting with status 1");
        log_close ();
        _exit (1);
    }
    if (self->stop_signal && !self->main_started)
        s_call_sigint (self, self->stop_signal);

    if (self->main_started) {
        status = s_stop_main (self, self->stop_signal);
        if (status < 0) {
            //  svcfw_main ignores the stop; its sockets are in use on its
            //  thread and cannot be closed safely, so leave now.
            log_error ("svcfw_main did not return within %d ms of the stop; exiting", S_MAIN_JOIN_MS);
            log_close ();
            _exit (0);
        }
    }
    observe_summary (self);
    log_info ("stopped");

teardown:
    observe_stop (self);
    reload_stop (self);
    dispatch_pools_stop (self, S_MAIN_JOIN_MS);     //  after a failed startup: threads that never ran a job
    api_ctx_clear (&self->main_ctx);
    api_ctx_clear (&self->loop_ctx);
    wiring_unwire (self);
    zloop_destroy (&self->loop);
    if (self->signal_fd >= 0)    close (self->signal_fd);
    if (self->stop_fd >= 0)      close (self->stop_fd);
    if (self->main_done_fd >= 0) close (self->main_done_fd);
    cJSON_Delete (self->addresses);
    api_config_end (self);
    models_destroy (&self->models);
    cJSON_Delete (self->models_doc);
    plugin_destroy (&self->plugin);
    log_close ();
    return status;
}
