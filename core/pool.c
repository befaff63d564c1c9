/*  pool.c - a pool of handler threads: jobs in, completions back to the loop. */
#define _GNU_SOURCE                 //  pthread_timedjoin_np, pthread_setname_np
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"

//  An idle thread looks for the next job for a while (S_SPIN_US by
//  default, SVCFW_SPIN_US in the environment: 0 to S_SPIN_MAX_US) before
//  it sleeps, when the job it last waited for came within that time: a job
//  that comes meanwhile costs no futex wake-up, on either side. One thread
//  of a pool spins at a time; a thread whose jobs come further apart (an
//  idle service, a slow trickle) sleeps at once.
#define S_SPIN_US 50
#define S_SPIN_MAX_US 1000

typedef struct s_watch {
    pool_watch_fn *fn;
    void *arg;
    struct s_watch *next;
} s_watch_t;

#define S_WATCH_EVENTS 8        //  events one epoll_wait of the watching thread takes

typedef struct {
    pool_t *pool;
    pthread_t thread;
    bool started;
    void *data;                 //  worker_new's
    host_job_t *job;            //  the job it runs, or NULL (under the pool's lock)
} s_thread_t;

struct _pool_t {
    const char *name;
    pool_run_fn *run;
    pool_worker_destroy_fn *worker_destroy;
    pthread_mutex_t lock;       //  guards everything below
    //  Idle threads sleep on a futex, not a condition variable: a hand-off
    //  then costs one wake and one wait, where glibc's condvar adds a wake
    //  of its own and marks the mutex contended (one more wake per unlock).
    atomic_uint wake_seq;       //  bumped when a job is queued or the pool ends
    atomic_int sleepers;        //  threads in (or about to be in) the futex wait
    host_job_t *head, *tail;    //  queued jobs, oldest first
    host_job_t *done_head, *done_tail;  //  finished or cancelled, for pool_complete
    int running;                //  jobs in work now
    int queued;
    int finished;               //  on the completion list
    bool closed;
    bool ending;                //  the threads are to end once the queue is empty
    int fd;                     //  eventfd: completions wait
    atomic_int pending;         //  jobs queued (or the pool ending): what a spinning thread watches
    atomic_bool spinning;       //  a thread spins now
    int64_t spin_ns;            //  how long an idle thread spins; 0: never
    s_watch_t *watches;         //  fds an idle thread waits for (pool_watch); owned, never changed once added
    int watch_count;
    bool watching;              //  a thread waits in epoll_wait for them
    int watch_set;              //  epoll set of the watched fds and watch_fd; -1 until the first watch
    int watch_fd;               //  eventfd: a job came (or the pool ends) for the watching thread
    int threads;
    s_thread_t *thread;
};

//  Puts a job on the completion list. Called with the lock held. Returns
//  true if the list was empty: the caller then wakes the loop (s_wake_loop)
//  once it has let go of the lock, so the loop does not wake into a held lock.
static bool
s_finish_locked (pool_t *self, host_job_t *job)
{
    job->next = NULL;
    bool was_empty = !self->done_head;
    if (self->done_tail)
        self->done_tail->next = job;
    else
        self->done_head = job;
    self->done_tail = job;
    self->finished++;
    return was_empty;
}

static void
s_wake_loop (pool_t *self)
{
    uint64_t one = 1;
    ssize_t rc = write (self->fd, &one, sizeof one);
    (void) rc;                  //  only fails when the counter is full: readable anyway
}

//  The pool whose watch functions the calling thread runs now: it takes
//  the queue's head next, so its submit to an empty queue wakes nobody.
static __thread pool_t *s_watcher;

static void
s_wake_watcher (pool_t *self)
{
    uint64_t one = 1;
    ssize_t rc = write (self->watch_fd, &one, sizeof one);
    (void) rc;                  //  only fails when the counter is full: readable anyway
}

static int64_t
s_now_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void
s_pause (void)
{
#if defined (__x86_64__) || defined (__i386__)
    __builtin_ia32_pause ();
#elif defined (__aarch64__)
    __asm__ __volatile__ ("yield");
#endif
}

//  Watches for a job for up to spin_ns, without the lock. True if one
//  came (or the pool is ending).
static bool
s_spin (pool_t *self)
{
    int64_t until = s_now_ns () + self->spin_ns;
    for (int i = 1; ; i++) {
        if (atomic_load_explicit (&self->pending, memory_order_acquire))
            return true;
        s_pause ();
        if ((i & 63) == 0 && s_now_ns () >= until)
            return false;
    }
}

//  Waits in epoll_wait for a job (watch_fd) or a watched fd, and runs the
//  functions of those that are readable; the one watching thread of the
//  pool. The loop does not wake meanwhile for what comes on a watched fd
//  (pool_watch: the fd wakes one exclusive waiter, this thread first).
//  Called and returns with the lock held.
static void
s_watch_wait (pool_t *self)
{
    self->watching = true;
    pthread_mutex_unlock (&self->lock);
    struct epoll_event events [S_WATCH_EVENTS];
    int ready = epoll_wait (self->watch_set, events, S_WATCH_EVENTS, -1);
    for (int i = 0; i < ready; i++)
        if (!events [i].data.ptr) {
            uint64_t value;
            ssize_t rc = read (self->watch_fd, &value, sizeof value);
            (void) rc;          //  another thread read it: nothing to do
        }
    pthread_mutex_lock (&self->lock);
    self->watching = false;
    if (ready > 0 && !self->closed) {   //  a closed pool takes nothing more in
        pthread_mutex_unlock (&self->lock);
        s_watcher = self;
        for (int i = 0; i < ready; i++) {
            s_watch_t *watch = events [i].data.ptr;
            if (watch)
                watch->fn (watch->arg);
        }
        s_watcher = NULL;
        pthread_mutex_lock (&self->lock);
    }
}

static void *
s_thread (void *arg)
{
    s_thread_t *me = arg;
    pool_t *self = me->pool;
    char name [16];
    snprintf (name, sizeof name, "%s", self->name);
    pthread_setname_np (pthread_self (), name);
    //  Whether jobs came close together lately: the gap before the last
    //  job this thread took after finding the queue empty was under spin_ns.
    bool steady = false;
    pthread_mutex_lock (&self->lock);
    while (true) {
        if (!self->head && !self->ending) {
            //  A pool with watches does not spin: a spinning thread would
            //  not see a watched fd, and what came there would wait out
            //  the spin (a replyer's next request, in a quick exchange).
            //  Nor does it read the clock for it.
            bool can_spin = self->spin_ns && !self->watch_count;
            int64_t idle_since = can_spin? s_now_ns (): 0;
            bool spin = steady && can_spin && !atomic_exchange (&self->spinning, true);
            if (spin) {
                pthread_mutex_unlock (&self->lock);
                s_spin (self);
                atomic_store (&self->spinning, false);
                pthread_mutex_lock (&self->lock);
            }
            while (!self->head && !self->ending) {
                if (self->watch_count && !self->watching && !self->closed) {
                    s_watch_wait (self);
                    continue;
                }
                //  Counted and the seq read under the lock, after the queue
                //  was seen empty: a job queued after that bumps the seq
                //  (the wait then returns at once) and sees the sleeper.
                atomic_fetch_add (&self->sleepers, 1);
                unsigned seq = atomic_load (&self->wake_seq);
                pthread_mutex_unlock (&self->lock);
                syscall (SYS_futex, &self->wake_seq, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
                atomic_fetch_sub (&self->sleepers, 1);
                pthread_mutex_lock (&self->lock);
            }
            steady = can_spin && s_now_ns () - idle_since < self->spin_ns;
        }
        if (!self->head)
            break;
        host_job_t *job = self->head;
        self->head = job->next;
        if (!self->head)
            self->tail = NULL;
        self->queued--;
        atomic_fetch_sub_explicit (&self->pending, 1, memory_order_relaxed);
        self->running++;
        me->job = job;
        pthread_mutex_unlock (&self->lock);
        self->run (job, me->data);
        bool done_here = job->done_anywhere;
        if (done_here)
            job->done (job);    //  may free the job: not touched after this
        pthread_mutex_lock (&self->lock);
        me->job = NULL;
        self->running--;
        if (!done_here && s_finish_locked (self, job)) {
            pthread_mutex_unlock (&self->lock);
            s_wake_loop (self);
            pthread_mutex_lock (&self->lock);
        }
    }
    pthread_mutex_unlock (&self->lock);
    return NULL;
}

pool_t *
pool_new (const char *name, int threads, pool_run_fn *run, pool_worker_new_fn *worker_new,
          pool_worker_destroy_fn *worker_destroy, void *arg, char *err)
{
    if (threads < 1)
        threads = 1;
    pool_t *self = calloc (1, sizeof *self);
    if (!self || !(self->thread = calloc ((size_t) threads, sizeof (s_thread_t)))) {
        free (self);
        err_set (err, "%s: out of memory", name);
        return NULL;
    }
    self->name = name;
    self->run = run;
    self->worker_destroy = worker_destroy;
    self->threads = threads;
    self->fd = self->watch_fd = self->watch_set = -1;
    const char *spin_us = getenv ("SVCFW_SPIN_US");
    long us = spin_us? strtol (spin_us, NULL, 10): S_SPIN_US;
    self->spin_ns = (us < 0? 0: us > S_SPIN_MAX_US? S_SPIN_MAX_US: us) * 1000L;
    pthread_mutex_init (&self->lock, NULL);
    self->fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    self->watch_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (self->fd < 0 || self->watch_fd < 0) {
        err_set (err, "%s: cannot create an eventfd: %s", name, strerror (errno));
        pool_destroy (&self, 0);
        return NULL;
    }
    for (int i = 0; i < threads; i++) {
        s_thread_t *thread = &self->thread [i];
        thread->pool = self;
        if (worker_new && !(thread->data = worker_new (arg, i))) {
            err_set (err, "%s: out of memory", name);
            pool_destroy (&self, 0);
            return NULL;
        }
        if (pthread_create (&thread->thread, NULL, s_thread, thread)) {
            err_set (err, "%s: cannot start a handler thread", name);
            pool_destroy (&self, 0);
            return NULL;
        }
        thread->started = true;
    }
    return self;
}

int
pool_watch (pool_t *self, int fd, int loop_set, pool_watch_fn *fn, void *arg)
{
    s_watch_t *watch = malloc (sizeof *watch);
    if (!watch)
        return -1;
    *watch = (s_watch_t) { fn, arg, NULL };
    pthread_mutex_lock (&self->lock);
    int rc = 0;
    if (self->watch_set < 0) {
        struct epoll_event event = { .events = EPOLLIN, .data.ptr = NULL };
        int set = epoll_create1 (EPOLL_CLOEXEC);
        if (set < 0 || epoll_ctl (set, EPOLL_CTL_ADD, self->watch_fd, &event)) {
            int error = errno;
            if (set >= 0)
                close (set);
            errno = error;
            rc = -1;
        }
        else
            self->watch_set = set;
    }
    //  Both entries exclusive, the pool's first: what comes on fd wakes the
    //  first of them whose set has a thread in epoll_wait, else marks both
    //  sets (the loop's poll sees its set). So the loop does not wake for
    //  what a watching thread takes in, and sees what comes while none
    //  watches, with no epoll_ctl a message.
    if (rc == 0) {
        struct epoll_event event = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = watch };
        rc = epoll_ctl (self->watch_set, EPOLL_CTL_ADD, fd, &event);
    }
    if (rc == 0 && loop_set >= 0) {
        struct epoll_event event = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = fd };
        if ((rc = epoll_ctl (loop_set, EPOLL_CTL_ADD, fd, &event))) {
            int error = errno;
            epoll_ctl (self->watch_set, EPOLL_CTL_DEL, fd, NULL);
            errno = error;
        }
    }
    if (rc == 0) {
        watch->next = self->watches;
        self->watches = watch;
        self->watch_count++;
    }
    bool watching = self->watching;
    pthread_mutex_unlock (&self->lock);
    if (rc) {
        int error = errno;
        free (watch);
        errno = error;
        return -1;
    }
    //  A watching thread sees the new fd in its set as it is; else a
    //  sleeping thread wakes to watch it.
    if (!watching) {
        atomic_fetch_add (&self->wake_seq, 1);
        if (atomic_load (&self->sleepers))
            syscall (SYS_futex, &self->wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
    return 0;
}

int
pool_fd (pool_t *self)
{
    return self->fd;
}

void
pool_submit (pool_t *self, host_job_t *job)
{
    job->next = NULL;
    job->cancelled = false;
    bool wake_loop = false, wake_thread = false, wake_watcher = false;
    pthread_mutex_lock (&self->lock);
    if (self->closed) {
        job->cancelled = true;
        wake_loop = s_finish_locked (self, job);
    }
    else {
        if (self->tail)
            self->tail->next = job;
        else
            self->head = job;
        self->tail = job;
        self->queued++;
        atomic_fetch_add_explicit (&self->pending, 1, memory_order_release);
        //  The watching thread takes the queue's head itself next: a job
        //  it submits to an empty queue wakes nobody; the rest wake others.
        wake_thread = s_watcher != self || self->queued > 1;
        wake_watcher = wake_thread && self->watching;
    }
    pthread_mutex_unlock (&self->lock);
    //  Woken after the unlock, so the woken thread does not block on the
    //  lock still held here; no syscall when no thread sleeps (one spins,
    //  or all are busy). A watching thread is woken when no other sleeps.
    if (wake_thread) {
        atomic_fetch_add (&self->wake_seq, 1);
        if (atomic_load (&self->sleepers))
            syscall (SYS_futex, &self->wake_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        else if (wake_watcher)
            s_wake_watcher (self);
    }
    if (wake_loop)
        s_wake_loop (self);
}

int
pool_complete (pool_t *self)
{
    uint64_t count;
    ssize_t rc = read (self->fd, &count, sizeof count);
    (void) rc;                  //  nothing signalled: the list may still hold jobs
    pthread_mutex_lock (&self->lock);
    host_job_t *job = self->done_head;
    self->done_head = self->done_tail = NULL;
    int finished = self->finished;
    self->finished = 0;
    pthread_mutex_unlock (&self->lock);
    while (job) {
        host_job_t *next = job->next;
        job->done (job);            //  may free the job
        job = next;
    }
    return finished;
}

void
pool_close (pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    self->closed = true;
    bool wake_loop = false;
    while (self->head) {
        host_job_t *job = self->head;
        self->head = job->next;
        job->cancelled = true;
        wake_loop |= s_finish_locked (self, job);
    }
    self->tail = NULL;
    atomic_fetch_sub_explicit (&self->pending, self->queued, memory_order_relaxed);
    self->queued = 0;
    bool watching = self->watching;
    pthread_mutex_unlock (&self->lock);
    if (wake_loop)
        s_wake_loop (self);
    if (watching)
        s_wake_watcher (self);  //  a closed pool watches no more
}

int
pool_busy (pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    int busy = self->queued + self->running + self->finished;
    pthread_mutex_unlock (&self->lock);
    return busy;
}

int
pool_idle (pool_t *self)
{
    pthread_mutex_lock (&self->lock);
    int idle = atomic_load (&self->sleepers) + self->watching;
    pthread_mutex_unlock (&self->lock);
    return idle;
}

int
pool_running (pool_t *self, void (*fn) (void *worker, void *arg), void *arg)
{
    pthread_mutex_lock (&self->lock);
    int running = 0;
    for (int i = 0; i < self->threads; i++)
        if (self->thread [i].job) {
            running++;
            if (fn)
                fn (self->thread [i].data, arg);
        }
    pthread_mutex_unlock (&self->lock);
    return running;
}

int
pool_destroy (pool_t **self_p, int wait_ms)
{
    if (!self_p || !*self_p)
        return 0;
    pool_t *self = *self_p;
    pool_close (self);
    pthread_mutex_lock (&self->lock);
    self->ending = true;
    atomic_fetch_add_explicit (&self->pending, 1, memory_order_release);   //  spinners: look now
    pthread_mutex_unlock (&self->lock);
    atomic_fetch_add (&self->wake_seq, 1);
    syscall (SYS_futex, &self->wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    if (self->watch_fd >= 0)
        s_wake_watcher (self);
    struct timespec until;
    clock_gettime (CLOCK_REALTIME, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long) (wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    bool stuck = false;
    for (int i = 0; i < self->threads; i++) {
        s_thread_t *thread = &self->thread [i];
        if (!thread->started)
            continue;
        if (pthread_timedjoin_np (thread->thread, NULL, &until) == 0)
            thread->started = false;
        else
            stuck = true;
    }
    if (stuck)
        return -1;
    pool_complete (self);
    for (int i = 0; i < self->threads; i++)
        if (self->worker_destroy && self->thread [i].data)
            self->worker_destroy (self->thread [i].data);
    if (self->fd >= 0)
        close (self->fd);
    if (self->watch_set >= 0)
        close (self->watch_set);
    if (self->watch_fd >= 0)
        close (self->watch_fd);
    pthread_mutex_destroy (&self->lock);
    while (self->watches) {
        s_watch_t *next = self->watches->next;
        free (self->watches);
        self->watches = next;
    }
    free (self->thread);
    free (self);
    *self_p = NULL;
    return 0;
}
