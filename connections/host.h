/*  host.h - what a connection or state needs from the service that runs it.

    Connections and states never include a header of core/: the service
    hands each one a host_t, a table of calls and the argument to pass them
    (as nng's protocols reach the core only through an ops table), filled
    in by core/dispatch.c. The host outlives every connection and state it
    was given to.

    Threads: a connection takes in a message on the loop thread and hands
    it to a handler thread as a host_job_t (host_submit): the job's work
    runs there (decode, host_call, render the reply), then its done runs on
    the loop thread (free the job), or, with done_anywhere, on the handler
    thread right after the work (a replyer sends its reply there). A
    connection that gave its socket to host_watch also takes messages in
    (and submits them) on an idle handler thread. host_call and
    host_workflow_id are called from the job's work, on its handler thread;
    host_submit and host_stopping from whichever thread takes messages in;
    the other calls on the loop thread. stop_fd and signal_fd may be polled
    from any thread.
*/
#ifndef HOST_H_INCLUDED
#define HOST_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include "models.h"
#include "svcfw.h"
#include "wire.h"

#define HOST_PATH_LEN 4096      //  room for a store file's path

typedef struct _host_job_t host_job_t;

//  A job's work, on a handler thread: `arena` is that thread's, reset by
//  the work before it returns.
typedef void (host_work_fn) (host_job_t *job, wire_arena_t *arena);
//  A job's completion, on the loop thread: after its work, or instead of
//  it when job->cancelled (the service stopped first). May free the job.
typedef void (host_done_fn) (host_job_t *job);

//  One inbound message on its way to a handler. The connection allocates
//  it (usually as the first member of its own struct) and gets it back in
//  done; the host only links it into queues.
struct _host_job_t {
    host_work_fn *work;
    host_done_fn *done;
    int64_t received_at;        //  zclock_mono () when the loop took the message in
    bool done_anywhere;         //  done is thread-safe and needs no loop: it then runs on the
                                //  handler thread right after work, and the loop is not woken
    bool cancelled;             //  set by the host: done without work (then always on the loop)
    host_job_t *next;           //  the host's, while it holds the job
};

typedef struct {
    void *arg;                  //  passed to every call: names the connection or state
                                //  this host_t was made for (each gets its own)

    //  Hands a job to the handler threads of this host's connection or
    //  state (its own pool with "workers", else the service's default
    //  one). The job comes back through its done, on the loop thread,
    //  whatever happens.
    void (*submit) (void *arg, host_job_t *job);

    //  Calls `handler` for an inbound message: sets the message's workflow
    //  id (NULL: a fresh one is made) for the handler's sends and log lines,
    //  and its "message_id" (NULL: none), which the handler reads with
    //  svcfw_message_id and which names its durable sends, and its deadline
    //  (zclock_mono ms; 0: none), which bounds the handler's own requests.
    //  Returns 0 with
    //  *return_args a fresh object or NULL (the caller owns it), or -1 with
    //  the handler's svcfw_fail text (or a default) in err.
    int (*call) (void *arg, svcfw_handler_fn *handler, const cJSON *args, const char *workflow_id,
                 const char *message_id, int64_t deadline, cJSON **return_args, char *err);

    //  Lets an idle handler thread of this connection's pool wait for `fd`
    //  (a socket's ZMQ_FD) beside the loop, and call fn (fn_arg) when it is
    //  readable: fn takes messages in and submits them as the loop does, so
    //  a message reaches a waiting handler thread without a hand-off
    //  (core/pool.h, Watches). fn then runs on a handler thread while the
    //  loop may read the same fd: the connection serializes the two.
    //  `loop_set`: the epoll set the loop polls instead of fd (empty: the
    //  pool adds fd to it, pool_watch), or -1. fd, loop_set and fn_arg
    //  must stay valid until the handler threads have ended. Loop thread, at attach, once per connection.
    //  Returns 0, or -1 (a second fd). A failure to watch when the handler
    //  threads start fails the start.
    int (*watch) (void *arg, int fd, int loop_set, void (*fn) (void *fn_arg), void *fn_arg);

    //  The workflow id of the message the calling thread handles, or NULL.
    //  Borrowed; valid until that thread's next call.
    const char *(*workflow_id) (void *arg);

    //  The path of an entry's store file (kind "outbox" or "inbox"): the
    //  creation argument `key` if given, else the service's store file
    //  (--store), else SERVICE.ENTRY.KIND.db beside the config file (-c),
    //  or in the working directory without one. Writes it into path
    //  (`size` bytes). Returns 0 (a file of the entry's own), 1 (the
    //  service's store, shared by its entries: each keeps a table named
    //  "KIND:ENTRY"), or -1 with err.
    int (*store_path) (void *arg, const model_t *model, const char *key, const char *kind,
                       char *path, size_t size, char *err);

    //  True once a stop was asked for.
    bool (*stopping) (void *arg);

    int stop_fd;                //  readable once a stop was asked for
    int signal_fd;              //  the signalfd of SIGINT/SIGTERM: polled, never read, by a
                                //  wait (a handler's request), to see a stop the loop has not read yet
} host_t;

static inline void
host_submit (const host_t *host, host_job_t *job)
{
    host->submit (host->arg, job);
}

static inline int
host_watch (const host_t *host, int fd, int loop_set, void (*fn) (void *fn_arg), void *fn_arg)
{
    return host->watch (host->arg, fd, loop_set, fn, fn_arg);
}

static inline int
host_call (const host_t *host, svcfw_handler_fn *handler, const cJSON *args, const char *workflow_id,
           const char *message_id, int64_t deadline, cJSON **return_args, char *err)
{
    return host->call (host->arg, handler, args, workflow_id, message_id, deadline, return_args, err);
}

static inline const char *
host_workflow_id (const host_t *host)
{
    return host->workflow_id (host->arg);
}

static inline int
host_store_path (const host_t *host, const model_t *model, const char *key, const char *kind,
                 char *path, size_t size, char *err)
{
    return host->store_path (host->arg, model, key, kind, path, size, err);
}

static inline bool
host_stopping (const host_t *host)
{
    return host->stopping (host->arg);
}

#endif
