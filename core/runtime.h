/*  runtime.h - what the files of core/ share: the service's state, the
    wired entries, the handler context, and the calls between them.

    Only core/ includes this header. The files of the runtime:
      service.c   the life of the process: loop, signals, main mode, stop
      wiring.c    startup: plugin, models, config, addresses, sockets; the
                  one place that knows every connection and state type
      dispatch.c  the host_t that connections and states call back
                  through (connections/host.h): the handler threads (one
                  default pool, one per entry with "workers"), handler
                  calls, store paths
      pool.c      a pool of handler threads (pool.h)
      api.c       the plugin API behind svcfw.h (svcfw_to_send and friends)
      observe.c   what the service shows of itself: the admin endpoint,
                  readiness, the span exporter (--otlp), systemd
                  notifications, the stop summary
      reload.c    the config read again on SIGHUP or a change of the -c
                  file, svcfw_reconfigure, the swap (api.c holds configs)

    api.c reaches a wired connection or state only through its entry_ops_t,
    which wiring.c fills in, so no file but wiring.c includes a
    connection's or state's header.
*/
#ifndef RUNTIME_H_INCLUDED
#define RUNTIME_H_INCLUDED

#include <czmq.h>
#include <pthread.h>
#include <stdatomic.h>
#include <cjson/cJSON.h>
#include "cache.h"
#include "cli.h"
#include "host.h"
#include "err.h"
#include "guard.h"
#include "loader.h"
#include "metrics.h"
#include "models.h"
#include "pool.h"
#include "service.h"
#include "svcfw.h"

#define RUNTIME_WORKFLOW_ID_LEN 256    //  room for an incoming id (≤ 200) and its _n suffix
#define RUNTIME_MESSAGE_ID_MAX 200     //  the longest message id an envelope may carry

//  What the plugin API may do with a wired entry; NULL where a kind cannot.
//  `obj` is the entry's connection or state object.
typedef struct {
    //  Sends args (an outbound entry). message_id, deadline (zclock_mono
    //  ms, 0: none) and reply apply to a requester only. Returns 0, or -1
    //  with why. The caller holds the entry's lock.
    int (*send) (void *obj, const cJSON *args, const char *send_id, const char *message_id,
                 int64_t deadline, cJSON **reply, char *why);
    //  send checks args against the model itself, as it writes them (one
    //  walk: a publisher's hot path), with the words svcfw_to_send would use.
    bool send_checks_args;
    //  A copy of a state's current value (in or out), made under the
    //  state's lock: any thread. Fresh (cJSON_Delete), or NULL.
    cJSON *(*copy) (void *obj);
    //  An in-state: whether its value is synced (loop thread).
    bool (*synced) (void *obj);
    //  A durable requester's undelivered messages, or -1 if unreadable.
    long (*pending) (void *obj);
    //  Destroys obj; accepts NULL.
    void (*destroy) (void *obj);
} entry_ops_t;

//  One wired connection or state: its model and its object.
typedef struct _observe_t observe_t;
typedef struct _reload_t reload_t;

typedef struct {
    const model_t *model;       //  borrowed from service->models
    const entry_ops_t *ops;     //  static, from wiring.c
    void *obj;                  //  the connection or state object; owned
    svcfw_handler_fn *handler;  //  inbound: the handler its creation args name
    const char *handler_name;   //  its function name, for the crash report; borrowed from the model
    bool is_requester;          //  sends carry message ids, and may fall back
    bool durable;               //  a requester with an outbox
    svcfw_handler_fn *fallback; //  requester: answers when a call fails ("fallback")
    int fallback_streak;        //  calls the fallback answered in a row, for logging
    bool fallback_open;         //  the last fallback answer was for an open circuit
    cache_t *cache;             //  requester with "cache": its replies (api.c); else NULL
    int cache_wait_ms;          //  how long a caller waits for another's round trip: the call's worst case
    metrics_conn_t *cache_metrics;  //  svcfw_cache_requests_total's record
    pthread_mutex_t lock;       //  outbound: one send at a time (handler threads, svcfw_main)
    pool_t *pool;               //  inbound with "workers": its own handler threads; else NULL (the default pool)
    int watch_fd;               //  the fd its connection asked a handler thread to watch (host.h), or -1:
    void (*watch_fn) (void *);  //  given to the pool when the pools start (they start after wiring)
    int watch_loop_set;         //  the epoll set the loop polls watch_fd in, or -1
    void *watch_arg;
    service_t *service;         //  the service it belongs to
    host_t host;                //  what its connection or state calls (dispatch.c); arg is this entry
} entry_t;

//  api.c. A config and its holds; a ctx's hold on one (svcfw_config).
typedef struct _api_config_t api_config_t;
typedef struct _api_pin_t api_pin_t;

struct _svcfw_ctx {
    service_t *service;
    const char *message_id;                 //  id of the message being handled; NULL at a leading edge
    char message_id_buf [40];               //  an id made for a message that came without one
    int sends;                              //  sends made while handling it
    char send_id [RUNTIME_WORKFLOW_ID_LEN]; //  the id of the last send
    char error [ERR_LEN];                   //  last error of a call on this ctx
    char fail [ERR_LEN];                    //  svcfw_fail text of the current handler
    bool failed;                            //  svcfw_fail was called
    const char *msg_id_in;                  //  the handled message's "message_id", or NULL; borrowed
    char msg_id_next [RUNTIME_MESSAGE_ID_MAX + 1];  //  svcfw_set_message_id's id for the next send, or ""
    char msg_id_sent [RUNTIME_MESSAGE_ID_MAX + 1];  //  the message id of the last send, or ""
    int64_t deadline;                       //  zclock_mono ms the message's time runs out; 0: none
    cJSON **states;                         //  svcfw_state's copies, per entry (entry_count), until the next reset
    api_pin_t *pins;                        //  the configs svcfw_config handed out, held until the next reset
};

struct _service_t {
    const cli_opts_t *opts;
    plugin_t *plugin;
    cJSON *models_doc;          //  the models document, after the setup hooks
    models_t *models;
    cJSON *config;              //  the config in force; loop thread (others: svcfw_config)
    _Atomic (api_config_t *) config_now;    //  the config in force and its holds (api.c), NULL until startup built it
    pthread_mutex_t config_lock;            //  guards the holds of every api_config_t
    reload_t *reload;           //  watches the -c file (reload.c), or NULL
    cJSON *addresses;
    const char *addresses_name; //  the addresses file, for messages
    cJSON *security;            //  the config's svcfw_curve_* keys, taken out of config (wiring.c)
    guard_t *guard;             //  CURVE on every socket, or NULL (wiring.c)
    entry_t *entries;
    int entry_count;
    int state_count;
    zloop_t *loop;
    int signal_fd;              //  SIGINT/SIGTERM, read by the loop
    int stop_fd;                //  eventfd, readable once a stop was asked for
    int main_done_fd;           //  eventfd, readable once svcfw_main returned
    atomic_bool stopping;
    pool_t *pool;               //  the default handler thread (dispatch.c)
    int stop_timer;             //  the stop's timeout timer, or -1
    bool stop_timed_out;        //  handlers still ran when --stop-timeout passed
    bool main_done;             //  svcfw_main returned
    svcfw_ctx loop_ctx;         //  hooks called on the loop thread
    svcfw_ctx main_ctx;         //  svcfw_init, svcfw_main, svcfw_sigint
    pthread_t main_thread;
    bool main_started;
    int stop_signal;            //  the signal that stopped the loop, 0 if none
    bool join_failed;           //  svcfw_main never started: min_subscribers did not join in time (or no thread)
    observe_t *observe;         //  observe.c's state; NULL until it has some
    char store [4096];          //  the service's store file (--store, else the config's svcfw_store), or ""
};

//  wiring.c. Loads the plugin, opens the log, checks the models, builds
//  the config and reads the addresses: everything that needs no socket.
//  Returns 0, or -1 with err (one line naming the file, entry or key).
int wiring_load (service_t *self, char *err);

//  wiring.c. Opens every connection's and state's sockets and registers
//  them with self->loop; every address is resolved before the first socket
//  opens. Returns 0, or -1 with err.
int wiring_wire (service_t *self, char *err);

//  wiring.c. Whether every publisher has its min_subscribers: 1 yes, 0 not
//  yet, -1 with err (naming the publisher) once one's join_timeout_ms has
//  passed. Loop thread, before main mode starts.
int wiring_joined (service_t *self, char *err);

//  wiring.c. Closes every wired entry; safe after a failed wiring_wire.
void wiring_unwire (service_t *self);

//  dispatch.c. Fills in entry->host, the calls its connection or state
//  makes (connections/host.h), naming the entry, so a handler call knows
//  its connection without a search. After the loop's descriptors exist.
void dispatch_host (service_t *self, entry_t *entry);

//  dispatch.c. Takes the config's svcfw_store key out of self->config (a
//  file path; --store wins) into self->store. Returns 0, or -1 with err.
int dispatch_config (service_t *self, char *err);

//  dispatch.c. Starts the handler threads: the default pool (1 thread) and
//  one pool per inbound entry with "workers"; registers their completions
//  with the loop. After wiring_wire. Returns 0, or -1 with err.
int dispatch_pools_start (service_t *self, char *err);

//  dispatch.c. Stops taking messages: queued ones are dropped, running
//  handlers go on. Loop thread.
void dispatch_close (service_t *self);

//  dispatch.c. Messages queued, in a handler, or awaiting their completion.
int dispatch_busy (service_t *self);

//  dispatch.c. Logs an ERROR line for each handler still running (its
//  function name and workflow id). Returns how many.
int dispatch_report_running (service_t *self);

//  dispatch.c. Ends the handler threads (waiting up to wait_ms), runs the
//  last completions. Returns -1 if a thread is still in a handler (the
//  process must then exit without freeing what it uses), else 0.
int dispatch_pools_stop (service_t *self, int wait_ms);

//  api.c. Readies ctx for a new handler or hook call under message_id
//  (NULL: a leading edge): no deadline, svcfw_state's copies freed.
void api_ctx_reset (svcfw_ctx *ctx, const char *message_id);

//  observe.c. Takes the config keys svcfw_admin and svcfw_otlp out of
//  self->config (they are the framework's, not the plugin's). Returns 0, or
//  -1 with err. Loop thread.
int observe_config (service_t *self, char *err);

//  observe.c. After wiring: binds the admin endpoint (--admin, else
//  svcfw_admin) and starts its thread, ticked by self->loop; starts the
//  span exporter (--otlp, else svcfw_otlp, else OTEL_EXPORTER_OTLP_*);
//  starts the systemd watchdog timer if WATCHDOG_USEC asks. Returns 0, or
//  -1 with err naming the address or URL.
int observe_start (service_t *self, char *err);

//  observe.c. The service is wired and svcfw_init returned: /readyz may
//  pass; READY=1 to systemd. Loop thread.
void observe_ready (service_t *self);

//  observe.c. A stop was asked for: STOPPING=1 to systemd. Any thread.
void observe_stopping (service_t *self);

//  observe.c. Waits until fd is readable or timeout_ms passed, for a stop
//  phase the loop no longer turns in, stamping the admin endpoint's
//  liveness meanwhile (its /readyz says "stopping"). Loop thread.
void observe_linger (service_t *self, int fd, int timeout_ms);

//  observe.c. Logs the summary of every connection at INFO: messages
//  handled, and faults by kind.
void observe_summary (service_t *self);

//  observe.c. Closes the admin endpoint, sends the last spans (bounded)
//  and ends the exporter, and frees observe's state.
void observe_stop (service_t *self);

//  api.c. Gives a requester entry the reply cache its "cache" creation
//  argument asks for (none without one). After the requester is made.
//  Returns 0, or -1 with err naming the entry.
int api_cache_start (entry_t *entry, char *err);

//  api.c. Makes `config` (taken) the config in force: svcfw_config hands
//  it out from now on; the one before is freed once no ctx holds it (each
//  ctx's hold ends when its next call begins). Sets self->config. Loop
//  thread. Returns 0, or -1 when out of memory (config not taken).
int api_config_set (service_t *self, cJSON *config);

//  api.c. At teardown: drops the service's hold on the config in force (or
//  frees self->config if none was set).
void api_config_end (service_t *self);

//  reload.c. Watches the -c file (inotify on its directory, so a rename
//  over it counts; else, or with SVCFW_RELOAD_POLL_MS, polling its stat)
//  from self->loop. Without -c nothing is watched. Returns 0, or -1 with err.
int reload_start (service_t *self, char *err);

//  reload.c. Reads the -c file again, as startup does, and if it is valid
//  and svcfw_reconfigure (if exported) accepts it, makes it the config in
//  force and applies its log levels; else logs why and keeps the old one.
//  `why` says what asked ("SIGHUP", "file changed"). Loop thread.
void reload_run (service_t *self, const char *why);

//  reload.c. Stops watching; frees what reload_start made. Accepts a
//  service that never started watching.
void reload_stop (service_t *self);

//  wiring.c. Builds a config as startup does: the -c file, svcfw's own keys
//  taken out (svcfw_admin and svcfw_curve_*, read at startup only, are
//  dropped), the command-line overrides, svcfw_setup_config, validation.
//  Sets *console and *file to the log levels it asks for (the command
//  line's -cl and -f win). Returns a fresh config (cJSON_Delete), or NULL
//  with err naming the file and key or line. Loop thread.
cJSON *wiring_config_reload (service_t *self, int *console, int *file, char *err);

//  api.c. Frees what ctx owns (svcfw_state's copies).
void api_ctx_clear (svcfw_ctx *ctx);

//  api.c. Ends a group of durable sends (svcfw_outbox_begin) that a handler
//  or svcfw_main left open when it returned: commits it, with a WARNING
//  naming `who`. The thread that ran it.
void api_group_end (svcfw_ctx *ctx, const char *who);

//  service.c. Asks for a stop: sets `stopping` and wakes stop_fd. Any thread.
void runtime_request_stop (service_t *self);

#endif
