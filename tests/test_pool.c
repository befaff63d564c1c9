/*  test_pool - the handler threads: arrival order on one thread, every job
    completed on the caller's (loop) thread, N jobs at once on N threads,
    queued jobs cancelled by a close, a bounded shutdown that reports a
    stuck thread, a bounded spin of idle threads, an idle thread that
    watches a connection's fd and runs what came itself, and the loop's
    epoll set that wakes for the fd only while no thread watches it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <czmq.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "err.h"
#include "pool.h"

#define S_JOBS 200
#define S_WAIT_MS 5000          //  bound of every wait here

typedef struct {
    host_job_t job;             //  first
    int index;
    pthread_t done_on;          //  the thread that ran done
    bool done;
    bool worked;
} s_job_t;

//  Shared by the jobs of one test.
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t s_changed = PTHREAD_COND_INITIALIZER;
static int s_order [S_JOBS];    //  indexes in the order the work ran
static int s_worked;
static int s_done_order [S_JOBS];
static int s_done;
static int s_now, s_most;       //  jobs in work now, and at most
static int s_gate_want;         //  blocking jobs wait until s_now reaches this, or s_release
static bool s_release;

static void
s_reset (void)
{
    s_worked = s_done = s_now = s_most = s_gate_want = 0;
    s_release = false;
}

static void
s_run (host_job_t *job, void *worker)
{
    (void) worker;
    job->work (job, NULL);
}

static void
s_work_record (host_job_t *host_job, wire_arena_t *arena)
{
    (void) arena;
    s_job_t *job = (s_job_t *) host_job;
    pthread_mutex_lock (&s_lock);
    s_order [s_worked++] = job->index;
    job->worked = true;
    pthread_mutex_unlock (&s_lock);
}

//  Waits (bounded) until s_gate_want jobs have been in work at once, or released.
static void
s_work_gate (host_job_t *host_job, wire_arena_t *arena)
{
    (void) arena;
    s_job_t *job = (s_job_t *) host_job;
    pthread_mutex_lock (&s_lock);
    job->worked = true;
    s_now++;
    if (s_now > s_most)
        s_most = s_now;
    pthread_cond_broadcast (&s_changed);
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (!s_release && s_most < s_gate_want && zclock_mono () < end) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_nsec += 10 * 1000000L;
        if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
        pthread_cond_timedwait (&s_changed, &s_lock, &until);
    }
    s_now--;
    pthread_mutex_unlock (&s_lock);
}

static void
s_done_fn (host_job_t *host_job)
{
    s_job_t *job = (s_job_t *) host_job;
    job->done = true;
    job->done_on = pthread_self ();
    s_done_order [s_done++] = job->index;
}

//  Runs completions until `count` jobs are done, or S_WAIT_MS passes.
static void
s_complete_until (pool_t *pool, int count)
{
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (s_done < count && zclock_mono () < end) {
        struct pollfd item = { .fd = pool_fd (pool), .events = POLLIN };
        poll (&item, 1, 50);
        pool_complete (pool);
    }
}

static void
test_one_thread_keeps_order (void **state)
{
    (void) state;
    s_reset ();
    char err [ERR_LEN];
    pool_t *pool = pool_new ("test-pool", 1, s_run, NULL, NULL, NULL, err);
    assert_non_null (pool);
    static s_job_t jobs [S_JOBS];
    memset (jobs, 0, sizeof jobs);
    for (int i = 0; i < S_JOBS; i++) {
        jobs [i].index = i;
        jobs [i].job.work = s_work_record;
        jobs [i].job.done = s_done_fn;
        pool_submit (pool, &jobs [i].job);
    }
    s_complete_until (pool, S_JOBS);
    assert_int_equal (s_done, S_JOBS);
    pthread_mutex_lock (&s_lock);
    for (int i = 0; i < S_JOBS; i++) {
        assert_int_equal (s_order [i], i);          //  work in arrival order
        assert_int_equal (s_done_order [i], i);     //  completions in the order work finished
        assert_true (jobs [i].worked && !jobs [i].job.cancelled);
        //  done runs on the thread that calls pool_complete (the loop's)
        assert_true (pthread_equal (jobs [i].done_on, pthread_self ()));
    }
    pthread_mutex_unlock (&s_lock);
    assert_int_equal (pool_busy (pool), 0);
    assert_int_equal (pool_destroy (&pool, 1000), 0);
    assert_null (pool);
}

static double
s_cpu_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

//  Jobs that come close together find an idle thread spinning for them
//  (SVCFW_SPIN_US, here its ceiling of 1 ms): every one still runs once, in
//  order, and once they stop coming the threads go to sleep: the process
//  uses next to no CPU while idle.
static void
test_spinning_runs_every_job_and_ends (void **state)
{
    (void) state;
    s_reset ();
    setenv ("SVCFW_SPIN_US", "5000", 1);    //  over the ceiling: held to 1 ms
    char err [ERR_LEN];
    pool_t *pool = pool_new ("test-pool", 2, s_run, NULL, NULL, NULL, err);
    unsetenv ("SVCFW_SPIN_US");
    assert_non_null (pool);
    static s_job_t jobs [S_JOBS];
    memset (jobs, 0, sizeof jobs);
    //  One at a time, each submitted as the last completes: a steady stream.
    for (int i = 0; i < S_JOBS; i++) {
        jobs [i].index = i;
        jobs [i].job.work = s_work_record;
        jobs [i].job.done = s_done_fn;
        pool_submit (pool, &jobs [i].job);
        s_complete_until (pool, i + 1);
        assert_int_equal (s_done, i + 1);
    }
    pthread_mutex_lock (&s_lock);
    for (int i = 0; i < S_JOBS; i++)
        assert_int_equal (s_order [i], i);
    pthread_mutex_unlock (&s_lock);
    //  Idle: the spin ends within its 1 ms; 300 ms of idling may cost a few
    //  ms of CPU (a loaded machine), never the 300 ms a spin without end would.
    zclock_sleep (20);
    double before = s_cpu_ms ();
    zclock_sleep (300);
    double used = s_cpu_ms () - before;
    if (used > 100)
        fail_msg ("idle handler threads used %.1f ms of CPU in 300 ms", used);
    assert_int_equal (pool_destroy (&pool, 1000), 0);
}

//  A job with done_anywhere completes on its handler thread: nothing for
//  the loop to run, no wake-up.
static void
s_done_locked (host_job_t *host_job)
{
    pthread_mutex_lock (&s_lock);
    s_done_fn (host_job);
    pthread_cond_broadcast (&s_changed);
    pthread_mutex_unlock (&s_lock);
}

static void
test_done_anywhere_runs_on_the_handler_thread (void **state)
{
    (void) state;
    s_reset ();
    char err [ERR_LEN];
    pool_t *pool = pool_new ("test-pool", 1, s_run, NULL, NULL, NULL, err);
    assert_non_null (pool);
    s_job_t job = { .index = 1, .job = { .work = s_work_record, .done = s_done_locked, .done_anywhere = true } };
    pool_submit (pool, &job.job);
    int64_t end = zclock_mono () + S_WAIT_MS;
    pthread_mutex_lock (&s_lock);
    while (!job.done && zclock_mono () < end) {
        pthread_mutex_unlock (&s_lock);
        zclock_sleep (5);
        pthread_mutex_lock (&s_lock);
    }
    pthread_mutex_unlock (&s_lock);
    assert_true (job.done && job.worked);
    assert_false (pthread_equal (job.done_on, pthread_self ()));
    struct pollfd item = { .fd = pool_fd (pool), .events = POLLIN };
    assert_int_equal (poll (&item, 1, 0), 0);           //  the loop was not woken
    assert_int_equal (pool_complete (pool), 0);
    //  The thread counts the job done just after its done returned.
    end = zclock_mono () + S_WAIT_MS;
    while (pool_busy (pool) && zclock_mono () < end)
        zclock_sleep (1);
    assert_int_equal (pool_busy (pool), 0);
    assert_int_equal (pool_destroy (&pool, 1000), 0);
}

static void
test_n_threads_run_n_at_once (void **state)
{
    (void) state;
    s_reset ();
    s_gate_want = 4;
    char err [ERR_LEN];
    pool_t *pool = pool_new ("test-pool", 4, s_run, NULL, NULL, NULL, err);
    assert_non_null (pool);
    s_job_t jobs [8] = { 0 };
    for (int i = 0; i < 8; i++) {
        jobs [i].index = i;
        jobs [i].job.work = s_work_gate;
        jobs [i].job.done = s_done_fn;
        pool_submit (pool, &jobs [i].job);
    }
    s_complete_until (pool, 8);
    assert_int_equal (s_done, 8);
    assert_int_equal (s_most, 4);                   //  four at once, never more
    assert_int_equal (pool_destroy (&pool, 1000), 0);
}

static void
test_close_cancels_queued_and_shutdown_is_bounded (void **state)
{
    (void) state;
    s_reset ();
    s_gate_want = 1000;                             //  the first job blocks until released
    char err [ERR_LEN];
    pool_t *pool = pool_new ("test-pool", 1, s_run, NULL, NULL, NULL, err);
    assert_non_null (pool);
    s_job_t jobs [4] = { 0 };
    for (int i = 0; i < 4; i++) {
        jobs [i].index = i;
        jobs [i].job.work = s_work_gate;
        jobs [i].job.done = s_done_fn;
    }
    pool_submit (pool, &jobs [0].job);
    pthread_mutex_lock (&s_lock);
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (s_now == 0 && zclock_mono () < end) {
        pthread_mutex_unlock (&s_lock);
        zclock_sleep (5);
        pthread_mutex_lock (&s_lock);
    }
    assert_int_equal (s_now, 1);
    pthread_mutex_unlock (&s_lock);
    for (int i = 1; i < 4; i++)
        pool_submit (pool, &jobs [i].job);
    assert_int_equal (pool_busy (pool), 4);
    assert_int_equal (pool_running (pool, NULL, NULL), 1);

    //  A close cancels the queued jobs (done without work); the running one goes on.
    pool_close (pool);
    s_complete_until (pool, 3);
    assert_int_equal (s_done, 3);
    for (int i = 1; i < 4; i++)
        assert_true (jobs [i].done && jobs [i].job.cancelled && !jobs [i].worked);
    assert_false (jobs [0].done);
    //  A job submitted after the close is cancelled at once.
    s_job_t late = { .index = 9, .job = { .work = s_work_record, .done = s_done_fn } };
    pool_submit (pool, &late.job);
    s_complete_until (pool, 4);
    assert_true (late.done && late.job.cancelled && !late.worked);

    //  The stuck job outlasts a bounded shutdown: -1, in about the bound.
    int64_t start = zclock_mono ();
    assert_int_equal (pool_destroy (&pool, 200), -1);
    int64_t took = zclock_mono () - start;
    assert_non_null (pool);
    assert_true (took >= 150 && took < 2000);
    //  Released, it ends, and the pool is freed with its last completion.
    pthread_mutex_lock (&s_lock);
    s_release = true;
    pthread_cond_broadcast (&s_changed);
    pthread_mutex_unlock (&s_lock);
    assert_int_equal (pool_destroy (&pool, S_WAIT_MS), 0);
    assert_null (pool);
    assert_true (jobs [0].done && !jobs [0].job.cancelled);
}

//  A watched fd: an eventfd standing for a socket; its function takes one
//  "message" in (reads the counter) and submits a job for it, as a
//  replyer's does.
typedef struct {
    pool_t *pool;
    int fd;
    s_job_t jobs [S_JOBS];
    int taken;                  //  jobs submitted by the watch function
    pthread_t taken_on;         //  the thread that ran the watch function last
} s_watched_t;

//  Reads the watched eventfd: false when nothing came (the counter was
//  read already), as a connection finds its socket empty.
static bool
s_came (s_watched_t *watched)
{
    uint64_t count;
    return read (watched->fd, &count, sizeof count) == sizeof count;
}

static void
s_take_in (void *arg)
{
    s_watched_t *watched = arg;
    if (!s_came (watched))
        return;
    pthread_mutex_lock (&s_lock);
    s_job_t *job = &watched->jobs [watched->taken];
    *job = (s_job_t) { .index = watched->taken, .job = { .work = s_work_record, .done = s_done_fn } };
    watched->taken++;
    watched->taken_on = pthread_self ();
    pthread_mutex_unlock (&s_lock);
    pool_submit (watched->pool, &job->job);
}

//  A pool of `threads` watching a fresh eventfd with fn.
static pool_t *
s_watched_pool (s_watched_t *watched, int threads, pool_watch_fn *fn)
{
    char err [ERR_LEN];
    memset (watched, 0, sizeof *watched);
    watched->fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    assert_true (watched->fd >= 0);
    pool_t *pool = pool_new ("test-watch", threads, s_run, NULL, NULL, NULL, err);
    assert_non_null (pool);
    watched->pool = pool;
    assert_int_equal (pool_watch (pool, watched->fd, -1, fn, watched), 0);
    return pool;
}

//  A message on a watched fd wakes the idle thread itself, which takes it
//  in and runs it, one after another; a job submitted from elsewhere
//  meanwhile wakes the watching thread too; a destroy ends it at once.
static void
test_idle_thread_watches_an_fd (void **state)
{
    (void) state;
    s_reset ();
    static s_watched_t watched;
    pool_t *pool = s_watched_pool (&watched, 1, s_take_in);

    //  One message at a time, each after the last was handled: no one but
    //  the pool's thread reads the fd here, so each must be its doing.
    const int count = 50;
    uint64_t one = 1;
    for (int i = 0; i < count; i++) {
        assert_int_equal (write (watched.fd, &one, sizeof one), sizeof one);
        s_complete_until (pool, i + 1);
        assert_int_equal (s_done, i + 1);
    }
    assert_int_equal (watched.taken, count);
    assert_false (pthread_equal (watched.taken_on, pthread_self ()));
    for (int i = 0; i < count; i++)
        assert_int_equal (s_order [i], i);

    //  A job from the loop while the thread watches: it wakes and runs it.
    s_job_t other = { .index = 1000, .job = { .work = s_work_record, .done = s_done_fn } };
    pool_submit (pool, &other.job);
    s_complete_until (pool, count + 1);
    assert_true (other.worked && other.done);

    int64_t start = zclock_mono ();
    assert_int_equal (pool_destroy (&pool, S_WAIT_MS), 0);
    assert_true (zclock_mono () - start < 1000);
    close (watched.fd);
}

//  Takes in four "messages" at once, as a replyer reads what is ready.
static void
s_take_in_four (void *arg)
{
    s_watched_t *watched = arg;
    if (!s_came (watched))
        return;
    for (int i = 0; i < 4; i++) {
        s_job_t *job = &watched->jobs [watched->taken];
        *job = (s_job_t) { .index = watched->taken, .job = { .work = s_work_gate, .done = s_done_fn } };
        watched->taken++;
        pool_submit (watched->pool, &job->job);
    }
}

//  With four threads, what the watching thread takes in at once runs on
//  four threads at once: it keeps one job and wakes the others for the rest.
static void
test_watching_thread_shares_what_it_takes_in (void **state)
{
    (void) state;
    s_reset ();
    s_gate_want = 4;
    static s_watched_t watched;
    pool_t *pool = s_watched_pool (&watched, 4, s_take_in_four);
    //  Every thread waits first (one watching, three asleep), so the
    //  others run only if the watching thread wakes them.
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (pool_idle (pool) < 4 && zclock_mono () < end) {
        struct pollfd none = { .fd = -1 };
        poll (&none, 1, 1);
    }
    assert_int_equal (pool_idle (pool), 4);
    uint64_t one = 1;
    assert_int_equal (write (watched.fd, &one, sizeof one), sizeof one);
    s_complete_until (pool, 4);
    assert_int_equal (s_done, 4);
    assert_int_equal (s_most, 4);
    assert_int_equal (pool_destroy (&pool, S_WAIT_MS), 0);
    close (watched.fd);
}

//  Takes in one "message" as a job that blocks until released (s_work_gate).
static void
s_take_in_gated (void *arg)
{
    s_watched_t *watched = arg;
    if (!s_came (watched))
        return;
    s_job_t *job = &watched->jobs [watched->taken];
    *job = (s_job_t) { .index = watched->taken, .job = { .work = s_work_gate, .done = s_done_fn } };
    watched->taken++;
    pool_submit (watched->pool, &job->job);
}

//  Whether the loop, polling `set`, would wake within `wait_ms`.
static bool
s_loop_wakes (int set, int wait_ms)
{
    struct pollfd item = { .fd = set, .events = POLLIN };
    return poll (&item, 1, wait_ms) == 1;
}

//  The loop polls the fd through an epoll set: it does not wake for what
//  the watching thread takes in (every message here is the thread's), and
//  it does see what comes while the thread is in a job.
static void
test_loop_sees_the_fd_only_while_no_thread_watches (void **state)
{
    (void) state;
    s_reset ();
    char err [ERR_LEN];
    static s_watched_t watched;
    memset (&watched, 0, sizeof watched);
    watched.fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
    int set = epoll_create1 (EPOLL_CLOEXEC);     //  empty: pool_watch adds the fd
    assert_true (watched.fd >= 0 && set >= 0);
    pool_t *pool = pool_new ("test-loop-set", 1, s_run, NULL, NULL, NULL, err);
    assert_non_null (pool);
    watched.pool = pool;
    assert_int_equal (pool_watch (pool, watched.fd, set, s_take_in_gated, &watched), 0);

    //  Messages one at a time, each to the watching thread: the set is
    //  never readable, before or after the thread took the message in.
    s_release = true;               //  the gated jobs return at once here
    const int count = 50;
    uint64_t one = 1;
    for (int i = 0; i < count; i++) {
        int64_t end = zclock_mono () + S_WAIT_MS;
        while (pool_idle (pool) < 1 && zclock_mono () < end)
            s_loop_wakes (-1, 1);
        assert_int_equal (pool_idle (pool), 1);
        assert_int_equal (write (watched.fd, &one, sizeof one), sizeof one);
        assert_false (s_loop_wakes (set, 0));
        s_complete_until (pool, i + 1);
        assert_int_equal (s_done, i + 1);
        assert_false (s_loop_wakes (set, 0));
    }
    assert_int_equal (watched.taken, count);

    //  The thread in a job: what comes now wakes the loop, which reads it
    //  (as a replyer's loop would, stamping the request).
    pthread_mutex_lock (&s_lock);
    s_release = false;
    s_gate_want = 2;                //  never reached with one thread: held until released
    pthread_mutex_unlock (&s_lock);
    assert_int_equal (write (watched.fd, &one, sizeof one), sizeof one);
    pthread_mutex_lock (&s_lock);
    int64_t end = zclock_mono () + S_WAIT_MS;
    while (s_now < 1 && zclock_mono () < end) {
        pthread_mutex_unlock (&s_lock);
        s_loop_wakes (-1, 1);
        pthread_mutex_lock (&s_lock);
    }
    int in_work = s_now;
    pthread_mutex_unlock (&s_lock);
    assert_int_equal (in_work, 1);
    assert_int_equal (write (watched.fd, &one, sizeof one), sizeof one);
    assert_true (s_loop_wakes (set, S_WAIT_MS));
    uint64_t value;
    assert_int_equal (read (watched.fd, &value, sizeof value), sizeof value);
    assert_false (s_loop_wakes (set, 0));

    pthread_mutex_lock (&s_lock);
    s_release = true;
    pthread_cond_broadcast (&s_changed);
    pthread_mutex_unlock (&s_lock);
    s_complete_until (pool, count + 1);
    assert_int_equal (s_done, count + 1);
    assert_int_equal (pool_destroy (&pool, S_WAIT_MS), 0);
    close (set);
    close (watched.fd);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_one_thread_keeps_order),
        cmocka_unit_test (test_done_anywhere_runs_on_the_handler_thread),
        cmocka_unit_test (test_n_threads_run_n_at_once),
        cmocka_unit_test (test_spinning_runs_every_job_and_ends),
        cmocka_unit_test (test_close_cancels_queued_and_shutdown_is_bounded),
        cmocka_unit_test (test_idle_thread_watches_an_fd),
        cmocka_unit_test (test_watching_thread_shares_what_it_takes_in),
        cmocka_unit_test (test_loop_sees_the_fd_only_while_no_thread_watches),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
