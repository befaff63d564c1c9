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
#include "cli.h"
#include "host.h"
#include "err.h"
#include "guard.h"
#include "loader.h"
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
    pthread_mutex_t lock;       //  outbound: one send at a time (handler threads, svcfw_main)
    pool_t *pool;               //  inbound with "workers": its own handler threads; else NULL (the default pool)
    service_t *service;         //  the service it belongs to
    host_t host;                //  what its connection or state calls (dispatch.c); arg is this entry
} entry_t;

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
};

struct _service_t {
    const cli_opts_t *opts;
    plugin_t *plugin;
    cJSON *models_doc;          //  the models document, after the setup hooks
    models_t *models;
    cJSON *config;
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

//  api.c. Frees what ctx owns (svcfw_state's copies).
void api_ctx_clear (svcfw_ctx *ctx);

//  service.c. Asks for a stop: sets `stopping` and wakes stop_fd. Any thread.
void runtime_request_stop (service_t *self);

#endif
