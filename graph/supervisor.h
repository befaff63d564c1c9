/*  supervisor.h - runs a set of processes as one: start in order, prefixed
    output, restarts with backoff, a bounded stop in reverse order.

    @header
    The engine behind `svcfw up` (graph/up.h), in the spirit of foreman and
    honcho: each child is added with its command line and restart policy,
    then supervisor_run starts them one after another, prints their output,
    restarts those that die, and stops them all when asked. It knows nothing
    of graphs; up.c turns a graph into children.
    @discuss
    Start. Children start in the order they were added. A child added with
    `wait_ready` must say READY=1 (systemd's notify protocol: svcfw does so
    once it is wired) before the next one starts, or exit, or let
    SUPERVISOR_READY_MS pass (logged; the rest start anyway). Each child
    gets NOTIFY_SOCKET pointing at the supervisor's own datagram socket,
    which reads the sender's PID from the kernel (SO_PASSCRED).

    No orphans. Each child is forked with PR_SET_PDEATHSIG = SIGKILL (then
    checks that its parent did not die before that took effect), so it dies
    with the supervisor even when the supervisor is SIGKILLed; the orderly
    stop below is what SIGINT and SIGTERM get. Each child runs in a process
    group of its own, so a terminal's Ctrl-C reaches only the supervisor,
    which then stops the children in its own order. Every child is signalled
    by its PID, never by name or group.

    Output. A child's stdout and stderr are one pipe, so its lines keep the
    order it wrote them in; the supervisor prints each whole line, prefixed
    with the child's name padded to the longest name and a '|', with one
    write(2) per line: lines of different children never mix within a line.
    A line longer than SUPERVISOR_LINE_MAX is cut into pieces of that size;
    a last line without a newline is printed when the child's pipe closes.
    Lines of different children are printed in the order the supervisor
    reads them. The prefix is coloured (a colour per child) when `color`
    says so. The supervisor's own lines have the prefix SUPERVISOR_SELF.

    Restarts. A child that exits is started again per its policy:
    on-failure (exit status not 0, or a signal), always, or never, after
    an exponential wait: SUPERVISOR_BACKOFF_MS, doubling per restart in a
    row up to SUPERVISOR_BACKOFF_MAX_MS; a child that ran
    SUPERVISOR_STABLE_MS before it exited starts again from the first
    wait. Each exit and restart is logged with the status and the wait.
    Once no child runs and none will be restarted, supervisor_run returns
    (0 if every child's last exit was 0, else 1).

    Stop. On SIGINT, SIGTERM or SIGHUP (or once the `exit_with` child exits) the
    children are stopped one at a time in reverse start order: SIGTERM,
    then, if it has not exited within its stop timeout plus
    SUPERVISOR_GRACE_MS, SIGKILL. A second SIGINT or SIGTERM during the
    stop SIGKILLs every child left at once (status 1).
    @end
*/
#ifndef SUPERVISOR_H_INCLUDED
#define SUPERVISOR_H_INCLUDED

#include <stdbool.h>
#include "err.h"

#define SUPERVISOR_READY_MS        10000   //  wait for a child's READY=1 before starting the next
#define SUPERVISOR_GRACE_MS        2000    //  added to a child's stop timeout before SIGKILL
#define SUPERVISOR_STOP_MS         5000    //  a child's stop timeout when none is given (svcfw's default)
#define SUPERVISOR_BACKOFF_MS      250     //  the first restart's wait
#define SUPERVISOR_BACKOFF_MAX_MS  30000   //  the longest restart wait
#define SUPERVISOR_STABLE_MS       10000   //  a run this long resets the restart waits
#define SUPERVISOR_LINE_MAX        16384   //  a longer output line is printed in pieces
#define SUPERVISOR_SELF            "up"    //  the prefix of the supervisor's own lines

typedef enum {
    SUPERVISOR_RESTART_ON_FAILURE,  //  restart on a non-zero exit or a signal
    SUPERVISOR_RESTART_ALWAYS,
    SUPERVISOR_RESTART_NEVER,
} supervisor_restart_t;

typedef struct _supervisor_t supervisor_t;

/* A supervisor that prints to stdout, with coloured prefixes if `color`,
   and stops every child once the child named `exit_with` (borrowed; NULL:
   none) exits, returning its status. Returns a fresh supervisor the caller
   owns (supervisor_destroy), or NULL with err. */
supervisor_t *supervisor_new (const char *exit_with, bool color, char *err);

/* Adds a child: `name` (copied) for its prefix, `argv` (copied;
   NULL-terminated; argv [0] an executable's path) run in directory `dir`
   (copied; NULL: the supervisor's), its restart policy, its stop timeout in
   ms (before SUPERVISOR_GRACE_MS and SIGKILL; 0: SUPERVISOR_STOP_MS), and
   whether the next child waits for its READY=1. Before supervisor_run.
   Returns 0, or -1 with err (a second child of the same name, no memory). */
int supervisor_add (supervisor_t *self, const char *name, char *const argv [], const char *dir,
                    supervisor_restart_t restart, int stop_timeout_ms, bool wait_ready, char *err);

/* Runs the children until a signal, the `exit_with` child's exit, or none
   is left to run. Blocks SIGINT, SIGTERM, SIGHUP and SIGCHLD in the calling
   thread and reads them from a signalfd; call it from the main thread of
   a process with no other threads (PR_SET_PDEATHSIG follows the thread
   that forked). Returns the exit status: 0 after SIGINT/SIGTERM with every
   child stopped, the `exit_with` child's status (128 + N for signal N),
   1 if the supervisor could not start (err says why, also printed) or a
   second signal cut the stop short; 0 or 1 when every child exited by
   itself (see above). */
int supervisor_run (supervisor_t *self, char *err);

/* Destroys; accepts NULL and nulls the caller's pointer. After
   supervisor_run, no child is left running. */
void supervisor_destroy (supervisor_t **self_p);

#endif
