/*  pool.h - a pool of handler threads: jobs in, completions back to the loop.

    @discuss
    N threads take jobs (host_job_t, connections/host.h) from one queue in
    the order they came and run each job's work; a finished job goes on a
    completion list, and the pool's eventfd becomes readable, so the loop
    thread (which polls pool_fd) runs each job's done (or, for a job with
    done_anywhere, the pool thread runs it at once and the loop is not
    woken: a subscriber's message needs nothing of the loop). One thread keeps
    arrival order; N threads run up to N jobs at once. The queue and the
    completion list are intrusive (host_job_t.next): the pool allocates
    nothing per job, and one eventfd write wakes the loop for a whole batch.
    A thread that finds the queue empty, when the job it last waited for
    came within the spin time (50 µs; SVCFW_SPIN_US in the environment, 0
    to 1000, read by pool_new), watches the queue that long before it
    sleeps, so a steady stream of jobs costs no futex wake-ups; one thread
    of a pool spins at a time.

    Watches. A connection may give the pool a file descriptor to watch
    (pool_watch: a replyer's ZMQ_FD): one idle thread of the pool, instead
    of sleeping, then waits in epoll_wait for that fd as well as for a job, and
    when the fd is readable calls the watch's function, which takes in what
    came and submits it, as the loop does with the same fd. The thread then
    runs the job itself: a request reaches a waiting handler thread with the
    wake-up a raw REP socket costs, not one wake-up for the loop and another
    for the hand-off. The loop watches the fd too, through an epoll set of
    its own (pool_watch's loop_set), so requests are taken in (and stamped)
    while every thread is busy. Both sets hold the fd EPOLLEXCLUSIVE, the
    pool's first: the kernel wakes the first exclusive entry whose set has
    a thread in epoll_wait and stops there, so what comes while a thread
    watches wakes that thread alone, and what comes while none does marks
    the loop's set (the loop polls it). No epoll_ctl a message, no spurious
    wake of the loop. The connection serializes the two readers. An idle
    thread of a pool with watches does not spin: it could not see them,
    and what came there would wait out the spin.

    Threads: pool_submit, pool_watch, pool_busy, pool_idle and pool_running
    from any thread;
    pool_complete, pool_close and pool_destroy from the loop thread.
    @end
*/
#ifndef POOL_H_INCLUDED
#define POOL_H_INCLUDED

#include <stdbool.h>
#include "err.h"
#include "host.h"

typedef struct _pool_t pool_t;

/* Runs one job on a pool thread, with that thread's data (worker_new's). */
typedef void (pool_run_fn) (host_job_t *job, void *worker);

/* Makes (and frees) the data of pool thread `index`, before it starts
   (after it ended). NULL callbacks: the data is NULL. */
typedef void *(pool_worker_new_fn) (void *arg, int index);
typedef void (pool_worker_destroy_fn) (void *worker);

/* Starts `threads` (≥ 1) threads named after `name` (borrowed for the
   pool's life). `run` runs each job. Returns a fresh pool the caller owns
   (pool_destroy), or NULL with err. */
pool_t *pool_new (const char *name, int threads, pool_run_fn *run, pool_worker_new_fn *worker_new,
                  pool_worker_destroy_fn *worker_destroy, void *arg, char *err);

/* A watch's function: takes in what came on the fd (pool_submit). Runs on
   an idle pool thread, with no lock of the pool held. */
typedef void (pool_watch_fn) (void *arg);

/* Lets an idle pool thread wait for `fd` to be readable and call fn (arg)
   then (see Watches above). `loop_set`: the epoll set the loop polls
   instead of fd, which pool_watch adds fd to (EPOLLIN | EPOLLEXCLUSIVE,
   level-triggered, after the pool's own set, as the order matters: fd
   must not be in it already); or -1 (the loop polls fd itself, or not at
   all). fd, loop_set and arg are borrowed until pool_destroy. Any thread.
   Returns 0, or -1 with errno (out of memory, or epoll_ctl's). */
int pool_watch (pool_t *self, int fd, int loop_set, pool_watch_fn *fn, void *arg);

/* Readable while completions wait for pool_complete. */
int pool_fd (pool_t *self);

/* Queues a job; the pool holds it until its done has run. After pool_close
   the job is cancelled at once (job->cancelled, done without work). */
void pool_submit (pool_t *self, host_job_t *job);

/* Runs done for every finished or cancelled job, in the order they
   finished. Returns how many. Loop thread. */
int pool_complete (pool_t *self);

/* Stops taking jobs: those queued and not started are cancelled; those
   running go on. Idempotent. */
void pool_close (pool_t *self);

/* Jobs queued, running, or finished but not yet completed. */
int pool_busy (pool_t *self);

/* Threads waiting for a job now: asleep, or watching (tests wait for
   this before they check who wakes). */
int pool_idle (pool_t *self);

/* Calls fn with each running job's thread data (under the pool's lock:
   fn must not call the pool). Returns how many jobs run. */
int pool_running (pool_t *self, void (*fn) (void *worker, void *arg), void *arg);

/* Closes the pool, waits up to `wait_ms` for its threads to end, runs the
   remaining dones and frees it. A thread still in a job after that is left
   running and the pool is not freed: returns -1 (the caller should exit the
   process); else 0. Accepts NULL and nulls the caller's pointer on 0. */
int pool_destroy (pool_t **self_p, int wait_ms);

#endif
