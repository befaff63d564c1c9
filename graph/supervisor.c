/*  supervisor.c - runs a set of processes as one (see supervisor.h).

    @discuss
    One thread, one poll(2) loop over a signalfd (SIGINT, SIGTERM,
    SIGCHLD), the notify socket and each running child's output pipe; the
    timeout is the nearest of the timers (a ready wait, a restart wait, a
    stop deadline). A child that exits is reaped from SIGCHLD, and what is
    left in its pipe is printed before its exit is logged, so its last words
    come before the news of its death.
    @end
*/
#define _GNU_SOURCE
#include <czmq.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "supervisor.h"
#include "backoff.h"

typedef enum {
    CHILD_IDLE,         //  not started yet
    CHILD_RUNNING,      //  has a pid
    CHILD_BACKOFF,      //  exited; starts again at restart_at
    CHILD_DONE,         //  exited for good
} child_state_t;

typedef struct {
    char *name;
    char **argv;                //  owned, NULL-terminated
    char *dir;                  //  owned, or NULL
    supervisor_restart_t restart;
    int stop_timeout_ms;
    bool wait_ready;
    const char *color;          //  the prefix's SGR sequence (static), or ""
    child_state_t state;
    pid_t pid;                  //  while CHILD_RUNNING
    int out;                    //  read end of its output pipe, or -1
    char line [SUPERVISOR_LINE_MAX];
    size_t line_len;            //  bytes of a line not yet printed
    bool ready;                 //  said READY=1 since its last start
    int64_t started_at;         //  monotonic ms of the last start
    int64_t restart_at;         //  CHILD_BACKOFF: when to start again
    int restarts;               //  restarts in a row (reset after a stable run)
    int status;                 //  its last exit, as an exit status (128 + N for signal N)
    bool killed;                //  the stop sent it SIGKILL
} child_t;

struct _supervisor_t {
    child_t *children;
    int count;
    char *exit_with;            //  owned, or NULL
    bool color;
    int width;                  //  of the name column
    int sigfd;
    int notify;                 //  the notify socket
    char notify_dir [PATH_MAX]; //  its directory (mkdtemp), "" if none
    char notify_path [sizeof ((struct sockaddr_un *) 0)->sun_path];
    sigset_t old_mask;          //  restored in every child
    bool mask_set;
    pid_t self_pid;
    backoff_t *backoff;
    //  Progress
    int next_start;             //  the start phase: next child to start (count: done)
    int64_t ready_deadline;     //  of the child started last, while it must say READY=1
    bool stopping;
    int stop_next;              //  the stop phase: the child being stopped (counts down)
    int64_t stop_deadline;      //  for children [stop_next]
    bool stop_signalled;        //  SIGTERM sent to children [stop_next]
    int status;                 //  what supervisor_run returns
};

static const char *s_colors [] = {
    "\033[36m", "\033[33m", "\033[32m", "\033[35m", "\033[34m", "\033[96m", "\033[93m", "\033[92m",
    "\033[95m", "\033[94m",
};

//  Writes all of buf to stdout (one write in the usual case); a closed
//  stdout is ignored (SIGPIPE is ignored while running).
static void
s_write_all (const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write (STDOUT_FILENO, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t) n;
    }
}

//  svcfw's text log line, "[SGR]YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL   SERVICE [ID] TEXT",
//  is shown as "[SGR]HH:MM:SS.mmm LEVEL   [ID] TEXT": the prefix names the
//  service, and the date is the same all day. Returns the new length of
//  the line in `text` (rewritten in place), or len for any other line.
static size_t
s_shorten (char *text, size_t len)
{
    size_t at = 0;
    if (len > 2 && text [0] == '\033' && text [1] == '[') {
        at = 2;
        while (at < len && at < 16 && text [at] != 'm')
            at++;
        at++;
    }
    //  24 characters of time stamp, a space, 8 of level, then the service.
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ ";
    size_t shape_len = strlen (shape);
    if (len < at + shape_len + 8 + 3)
        return len;
    for (size_t i = 0; i < shape_len; i++) {
        char c = text [at + i];
        if (shape [i] == 'd'? !(c >= '0' && c <= '9'): c != shape [i])
            return len;
    }
    size_t level = at + shape_len, service = level + 8;
    if (text [service - 1] != ' ' || text [service] == ' ')
        return len;
    size_t rest = service;
    while (rest < len && text [rest] != ' ')
        rest++;
    if (rest + 1 >= len || text [rest + 1] != '[')
        return len;
    rest++;
    //  [SGR] + time (12) + ' ' + level (8) + "[ID] TEXT"
    memmove (text + at, text + at + 11, 12);
    text [at + 12] = ' ';
    memmove (text + at + 13, text + level, 8);
    memmove (text + at + 21, text + rest, len - rest);
    return at + 21 + (len - rest);
}

//  Prints one line of `len` bytes under `name`'s prefix.
static void
s_print_line (supervisor_t *self, const char *name, const char *color, const char *text, size_t len,
              bool shorten)
{
    char buf [SUPERVISOR_LINE_MAX + 256];
    int head;
    if (self->color && *color)
        head = snprintf (buf, 256, "%s%-*s |\033[0m ", color, self->width, name);
    else
        head = snprintf (buf, 256, "%-*s | ", self->width, name);
    if (head < 0 || head >= 256)
        head = 0;
    if (len > SUPERVISOR_LINE_MAX)
        len = SUPERVISOR_LINE_MAX;
    memcpy (buf + head, text, len);
    if (shorten)
        len = s_shorten (buf + head, len);
    buf [head + len] = '\n';
    s_write_all (buf, (size_t) head + len + 1);
}

//  The supervisor's own line.
static void
s_say (supervisor_t *self, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void
s_say (supervisor_t *self, const char *fmt, ...)
{
    char text [SUPERVISOR_LINE_MAX];
    va_list ap;
    va_start (ap, fmt);
    int len = vsnprintf (text, sizeof text, fmt, ap);
    va_end (ap);
    if (len < 0)
        return;
    if ((size_t) len >= sizeof text)
        len = sizeof text - 1;
    s_print_line (self, SUPERVISOR_SELF, self->color? "\033[1m": "", text, (size_t) len, false);
}

supervisor_t *
supervisor_new (const char *exit_with, bool color, char *err)
{
    supervisor_t *self = calloc (1, sizeof *self);
    if (!self) {
        err_set (err, "out of memory");
        return NULL;
    }
    self->exit_with = exit_with? strdup (exit_with): NULL;
    self->color = color;
    self->width = (int) strlen (SUPERVISOR_SELF);
    self->sigfd = -1;
    self->notify = -1;
    self->backoff = backoff_new (SUPERVISOR_BACKOFF_MS, SUPERVISOR_BACKOFF_MAX_MS, NULL, NULL);
    if ((exit_with && !self->exit_with) || !self->backoff) {
        supervisor_destroy (&self);
        err_set (err, "out of memory");
    }
    return self;
}

int
supervisor_add (supervisor_t *self, const char *name, char *const argv [], const char *dir,
                supervisor_restart_t restart, int stop_timeout_ms, bool wait_ready, char *err)
{
    for (int i = 0; i < self->count; i++)
        if (strcmp (self->children [i].name, name) == 0)
            return err_set (err, "a second child named \"%s\"", name);
    child_t *children = realloc (self->children, (size_t) (self->count + 1) * sizeof *children);
    if (!children)
        return err_set (err, "out of memory");
    self->children = children;
    child_t *child = &children [self->count];
    memset (child, 0, sizeof *child);
    int argc = 0;
    while (argv [argc])
        argc++;
    child->name = strdup (name);
    child->dir = dir? strdup (dir): NULL;
    child->argv = calloc ((size_t) argc + 1, sizeof (char *));
    bool ok = child->name && child->argv && (!dir || child->dir);
    for (int i = 0; ok && i < argc; i++)
        ok = (child->argv [i] = strdup (argv [i])) != NULL;
    child->restart = restart;
    child->stop_timeout_ms = stop_timeout_ms > 0? stop_timeout_ms: SUPERVISOR_STOP_MS;
    child->wait_ready = wait_ready;
    child->color = s_colors [self->count % (sizeof s_colors / sizeof s_colors [0])];
    child->out = -1;
    self->count++;              //  counted even when a copy failed, so destroy frees it
    if (!ok)
        return err_set (err, "out of memory");
    int len = (int) strlen (name);
    if (len > self->width)
        self->width = len > 40? 40: len;
    return 0;
}

static void
s_child_free (child_t *child)
{
    free (child->name);
    free (child->dir);
    for (int i = 0; child->argv && child->argv [i]; i++)
        free (child->argv [i]);
    free (child->argv);
    if (child->out >= 0)
        close (child->out);
}

void
supervisor_destroy (supervisor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    supervisor_t *self = *self_p;
    for (int i = 0; i < self->count; i++) {
        child_t *child = &self->children [i];
        if (child->state == CHILD_RUNNING && child->pid > 0) {
            //  supervisor_run leaves none; this is the last resort.
            kill (child->pid, SIGKILL);
            waitpid (child->pid, NULL, 0);
        }
        s_child_free (child);
    }
    free (self->children);
    free (self->exit_with);
    if (self->sigfd >= 0)
        close (self->sigfd);
    if (self->notify >= 0)
        close (self->notify);
    if (*self->notify_path)
        unlink (self->notify_path);
    if (*self->notify_dir)
        rmdir (self->notify_dir);
    if (self->mask_set)
        sigprocmask (SIG_SETMASK, &self->old_mask, NULL);
    backoff_destroy (&self->backoff);
    free (self);
    *self_p = NULL;
}

//  ---- Output --------------------------------------------------------------

//  Prints the whole lines in child's buffer; with `all`, the rest too.
static void
s_flush_lines (supervisor_t *self, child_t *child, bool all)
{
    size_t start = 0;
    for (size_t i = 0; i < child->line_len; i++)
        if (child->line [i] == '\n') {
            s_print_line (self, child->name, child->color, child->line + start, i - start, true);
            start = i + 1;
        }
    if (start == 0 && child->line_len == sizeof child->line) {
        //  A line longer than the buffer: print this piece as a line.
        s_print_line (self, child->name, child->color, child->line, child->line_len, true);
        start = child->line_len;
    }
    if (all && start < child->line_len) {
        s_print_line (self, child->name, child->color, child->line + start, child->line_len - start, true);
        start = child->line_len;
    }
    memmove (child->line, child->line + start, child->line_len - start);
    child->line_len -= start;
}

//  Reads what the child's pipe holds; closes it at EOF (after printing the
//  rest). With `drain`, reads until the pipe is empty.
static void
s_read_output (supervisor_t *self, child_t *child, bool drain)
{
    //  Bounded: a pipe holds 64 KiB by default; more is read next turn.
    for (int round = 0; child->out >= 0 && round < 64; round++) {
        ssize_t n = read (child->out, child->line + child->line_len, sizeof child->line - child->line_len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            s_flush_lines (self, child, true);
            close (child->out);
            child->out = -1;
            return;
        }
        child->line_len += (size_t) n;
        s_flush_lines (self, child, false);
        if (!drain)
            return;
    }
}

//  ---- Children ------------------------------------------------------------

//  In the child, after fork: never returns.
static void
s_exec_child (supervisor_t *self, child_t *child, int out_fd)
{
    //  Dies with the supervisor, even a SIGKILLed one. If the supervisor
    //  died before the prctl took effect, the parent is already someone
    //  else, and nothing would ever deliver the signal.
    if (prctl (PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid () != self->self_pid)
        _exit (127);
    setpgid (0, 0);
    int null = open ("/dev/null", O_RDONLY);
    if (null >= 0 && null != STDIN_FILENO) {
        dup2 (null, STDIN_FILENO);
        close (null);
    }
    dup2 (out_fd, STDOUT_FILENO);
    dup2 (out_fd, STDERR_FILENO);
    if (out_fd > STDERR_FILENO)
        close (out_fd);
    //  Stop signals the supervisor's own parent may have set to be
    //  ignored (a shell's background job ignores SIGINT) must reach svcfw.
    signal (SIGPIPE, SIG_DFL);
    signal (SIGINT, SIG_DFL);
    signal (SIGTERM, SIG_DFL);
    signal (SIGHUP, SIG_DFL);
    sigprocmask (SIG_SETMASK, &self->old_mask, NULL);
    setenv ("NOTIFY_SOCKET", self->notify_path, 1);
    unsetenv ("WATCHDOG_USEC");
    unsetenv ("WATCHDOG_PID");
    if (child->dir && chdir (child->dir) != 0) {
        dprintf (STDERR_FILENO, "svcfw up: cannot enter %s: %s\n", child->dir, strerror (errno));
        _exit (127);
    }
    execv (child->argv [0], child->argv);
    dprintf (STDERR_FILENO, "svcfw up: cannot run %s: %s\n", child->argv [0], strerror (errno));
    _exit (127);
}

//  Starts child; 0, or -1 (logged; the child counts as exited with 127).
static int
s_start (supervisor_t *self, child_t *child)
{
    int fds [2];
    if (pipe2 (fds, O_CLOEXEC) != 0) {
        s_say (self, "cannot start %s: pipe: %s", child->name, strerror (errno));
        child->status = 127;
        return -1;
    }
    fflush (stdout);
    pid_t pid = fork ();
    if (pid < 0) {
        s_say (self, "cannot start %s: fork: %s", child->name, strerror (errno));
        close (fds [0]);
        close (fds [1]);
        child->status = 127;
        return -1;
    }
    if (pid == 0)
        s_exec_child (self, child, fds [1]);
    close (fds [1]);
    fcntl (fds [0], F_SETFL, O_NONBLOCK);
    if (child->out >= 0)
        close (child->out);
    child->out = fds [0];
    child->line_len = 0;
    child->pid = pid;
    child->state = CHILD_RUNNING;
    child->ready = false;
    child->killed = false;
    child->started_at = zclock_mono ();
    //  The command line, once: every restart runs the same.
    if (child->restarts == 0 && child->status == 0) {
        char cmd [2048];
        size_t used = 0;
        for (int i = 0; child->argv [i] && used < sizeof cmd; i++)
            used += (size_t) snprintf (cmd + used, sizeof cmd - used, "%s%s", i? " ": "", child->argv [i]);
        s_say (self, "started %s (pid %d): %s", child->name, (int) pid, cmd);
    }
    else
        s_say (self, "started %s (pid %d)", child->name, (int) pid);
    return 0;
}

static child_t *
s_child_of (supervisor_t *self, pid_t pid)
{
    for (int i = 0; i < self->count; i++)
        if (self->children [i].state == CHILD_RUNNING && self->children [i].pid == pid)
            return &self->children [i];
    return NULL;
}

static void s_begin_stop (supervisor_t *self, const char *why);

//  Child has exited with waitpid status `wstatus`.
static void
s_on_exit (supervisor_t *self, child_t *child, int wstatus)
{
    s_read_output (self, child, true);
    if (child->out >= 0) {
        //  Something it left behind still holds the pipe: print what is
        //  there and let go.
        s_flush_lines (self, child, true);
        close (child->out);
        child->out = -1;
    }
    int64_t ran = zclock_mono () - child->started_at;
    char how [64];
    if (WIFSIGNALED (wstatus)) {
        child->status = 128 + WTERMSIG (wstatus);
        const char *sig = sigabbrev_np (WTERMSIG (wstatus));
        snprintf (how, sizeof how, "was killed by SIG%s", sig? sig: "(unknown)");
    }
    else {
        child->status = WEXITSTATUS (wstatus);
        snprintf (how, sizeof how, "exited with status %d", child->status);
    }
    child->state = CHILD_DONE;
    child->pid = 0;
    if (self->stopping) {
        s_say (self, "%s %s%s", child->name, how, child->killed? " (SIGKILL: its stop took too long)": "");
        return;
    }
    s_say (self, "%s %s after %lld ms", child->name, how, (long long) ran);
    if (self->exit_with && strcmp (self->exit_with, child->name) == 0) {
        self->status = child->status;
        char why [256];
        snprintf (why, sizeof why, "%s exited (--exit-with)", child->name);
        s_begin_stop (self, why);
        return;
    }
    bool again = child->restart == SUPERVISOR_RESTART_ALWAYS
              || (child->restart == SUPERVISOR_RESTART_ON_FAILURE && child->status != 0);
    if (!again) {
        s_say (self, "%s is not restarted (restart: %s)", child->name,
               child->restart == SUPERVISOR_RESTART_NEVER? "never": "on-failure, and it exited 0");
        return;
    }
    if (ran >= SUPERVISOR_STABLE_MS)
        child->restarts = 0;
    child->restarts++;
    int wait_ms = backoff_ceiling (self->backoff, child->restarts);
    child->state = CHILD_BACKOFF;
    child->restart_at = zclock_mono () + wait_ms;
    s_say (self, "restarting %s in %d ms (restart %d in a row)", child->name, wait_ms, child->restarts);
}

static void
s_reap (supervisor_t *self)
{
    for (int round = 0; round < 4096; round++) {
        int wstatus;
        pid_t pid = waitpid (-1, &wstatus, WNOHANG);
        if (pid <= 0)
            return;
        child_t *child = s_child_of (self, pid);
        if (child)
            s_on_exit (self, child, wstatus);
    }
}

//  ---- Phases --------------------------------------------------------------

static void
s_begin_stop (supervisor_t *self, const char *why)
{
    if (self->stopping)
        return;
    self->stopping = true;
    self->stop_next = self->count - 1;
    self->stop_signalled = false;
    s_say (self, "%s: stopping every service, last started first", why);
    sd_notify (0, "STOPPING=1");
    for (int i = 0; i < self->count; i++)
        if (self->children [i].state == CHILD_BACKOFF || self->children [i].state == CHILD_IDLE)
            self->children [i].state = CHILD_DONE;
}

//  The stop's next step; true once every child is stopped.
static bool
s_stop_step (supervisor_t *self)
{
    while (self->stop_next >= 0) {
        child_t *child = &self->children [self->stop_next];
        if (child->state != CHILD_RUNNING) {
            self->stop_next--;
            self->stop_signalled = false;
            continue;
        }
        if (!self->stop_signalled) {
            s_say (self, "SIGTERM to %s (pid %d)", child->name, (int) child->pid);
            kill (child->pid, SIGTERM);
            self->stop_signalled = true;
            self->stop_deadline = zclock_mono () + child->stop_timeout_ms + SUPERVISOR_GRACE_MS;
            return false;
        }
        if (!child->killed && zclock_mono () >= self->stop_deadline) {
            s_say (self, "%s (pid %d) did not stop within %d ms: SIGKILL", child->name, (int) child->pid,
                   child->stop_timeout_ms + SUPERVISOR_GRACE_MS);
            kill (child->pid, SIGKILL);
            child->killed = true;
        }
        return false;
    }
    return true;
}

//  Starts what is due: the start phase's next child, restarts.
static void
s_start_step (supervisor_t *self)
{
    int64_t now = zclock_mono ();
    while (self->next_start < self->count) {
        child_t *prev = self->next_start > 0? &self->children [self->next_start - 1]: NULL;
        if (prev && prev->wait_ready && prev->state == CHILD_RUNNING && !prev->ready) {
            if (now < self->ready_deadline)
                break;
            s_say (self, "%s did not say READY=1 within %d ms; starting the rest", prev->name,
                   SUPERVISOR_READY_MS);
        }
        child_t *child = &self->children [self->next_start++];
        if (s_start (self, child) == 0)
            self->ready_deadline = zclock_mono () + SUPERVISOR_READY_MS;
        else
            child->state = CHILD_DONE;
        if (self->next_start == self->count) {
            s_say (self, "all %d service%s started", self->count, self->count == 1? "": "s");
            sd_notify (0, "READY=1");
        }
    }
    for (int i = 0; i < self->count; i++) {
        child_t *child = &self->children [i];
        if (child->state == CHILD_BACKOFF && now >= child->restart_at && s_start (self, child) != 0)
            child->state = CHILD_DONE;
    }
}

//  READY=1 from a child: the kernel says who sent it.
static void
s_on_notify (supervisor_t *self)
{
    for (int round = 0; round < 64; round++) {
        char data [512];
        union {
            struct cmsghdr align;
            char buf [CMSG_SPACE (sizeof (struct ucred))];
        } control;
        struct iovec iov = { data, sizeof data - 1 };
        struct msghdr msg = { 0 };
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof control.buf;
        ssize_t n = recvmsg (self->notify, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0)
            return;
        data [n] = 0;
        pid_t pid = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR (&msg); c; c = CMSG_NXTHDR (&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred cred;
                memcpy (&cred, CMSG_DATA (c), sizeof cred);
                pid = cred.pid;
            }
        child_t *child = pid? s_child_of (self, pid): NULL;
        bool ready = strncmp (data, "READY=1", 7) == 0 || strstr (data, "\nREADY=1");
        if (child && ready && !child->ready) {
            child->ready = true;
            s_say (self, "%s (pid %d) is ready", child->name, (int) child->pid);
        }
    }
}

//  The notify socket and the signalfd.
static int
s_setup (supervisor_t *self, char *err)
{
    self->self_pid = getpid ();
    const char *tmp = getenv ("TMPDIR");
    if (!tmp || !*tmp || strlen (tmp) > 60)
        tmp = "/tmp";
    snprintf (self->notify_dir, sizeof self->notify_dir, "%s/svcfw-up.XXXXXX", tmp);
    if (!mkdtemp (self->notify_dir)) {
        *self->notify_dir = 0;
        return err_set (err, "cannot make a directory in %s: %s", tmp, strerror (errno));
    }
    snprintf (self->notify_path, sizeof self->notify_path, "%s/notify", self->notify_dir);
    self->notify = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    memcpy (addr.sun_path, self->notify_path, sizeof addr.sun_path - 1);
    int on = 1;
    if (self->notify < 0 || bind (self->notify, (struct sockaddr *) &addr, sizeof addr) != 0
    ||  setsockopt (self->notify, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0)
        return err_set (err, "cannot make the notify socket %s: %s", self->notify_path, strerror (errno));

    sigset_t mask;
    sigemptyset (&mask);
    sigaddset (&mask, SIGINT);
    sigaddset (&mask, SIGTERM);
    sigaddset (&mask, SIGHUP);
    sigaddset (&mask, SIGCHLD);
    if (sigprocmask (SIG_BLOCK, &mask, &self->old_mask) != 0)
        return err_set (err, "cannot block signals: %s", strerror (errno));
    self->mask_set = true;
    self->sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    if (self->sigfd < 0)
        return err_set (err, "cannot make a signalfd: %s", strerror (errno));
    signal (SIGPIPE, SIG_IGN);
    return 0;
}

//  A signal: true to go on, false when a second stop signal ends the run.
static bool
s_on_signal (supervisor_t *self)
{
    struct signalfd_siginfo info;
    bool reap = false;
    while (read (self->sigfd, &info, sizeof info) == (ssize_t) sizeof info) {
        if (info.ssi_signo == SIGCHLD) {
            reap = true;
            continue;
        }
        const char *name = info.ssi_signo == SIGINT? "SIGINT": info.ssi_signo == SIGHUP? "SIGHUP": "SIGTERM";
        if (!self->stopping) {
            char why [64];
            snprintf (why, sizeof why, "got %s", name);
            self->status = 0;
            s_begin_stop (self, why);
        }
        else {
            s_say (self, "got %s again: SIGKILL to every service left", name);
            for (int i = 0; i < self->count; i++)
                if (self->children [i].state == CHILD_RUNNING) {
                    kill (self->children [i].pid, SIGKILL);
                    self->children [i].killed = true;
                }
            self->status = 1;
            return false;
        }
    }
    if (reap)
        s_reap (self);
    return true;
}

//  True if nothing runs and nothing will be started again.
static bool
s_all_done (supervisor_t *self)
{
    if (self->next_start < self->count)
        return false;
    for (int i = 0; i < self->count; i++)
        if (self->children [i].state != CHILD_DONE)
            return false;
    return true;
}

int
supervisor_run (supervisor_t *self, char *err)
{
    if (self->count == 0)
        return err_set (err, "nothing to run"), 1;
    if (s_setup (self, err)) {
        s_say (self, "%s", err);
        return 1;
    }
    self->status = 0;
    bool killing = false;               //  a second signal: reap what is left, then leave
    int64_t kill_deadline = 0;
    struct pollfd *fds = calloc ((size_t) self->count + 2, sizeof *fds);
    int *who = calloc ((size_t) self->count + 2, sizeof *who);
    if (!fds || !who) {
        free (fds);
        free (who);
        return err_set (err, "out of memory"), 1;
    }
    while (true) {
        if (!self->stopping && !killing)
            s_start_step (self);
        if (self->stopping && !killing && s_stop_step (self))
            break;
        if (!self->stopping && s_all_done (self)) {
            bool failed = false;
            for (int i = 0; i < self->count; i++)
                failed |= self->children [i].status != 0;
            s_say (self, "every service has exited and none is to be restarted");
            self->status = failed? 1: 0;
            break;
        }
        if (killing) {
            bool left = false;
            for (int i = 0; i < self->count; i++)
                left |= self->children [i].state == CHILD_RUNNING;
            if (!left || zclock_mono () >= kill_deadline)
                break;
        }
        //  The nearest timer.
        int64_t now = zclock_mono (), next = now + 1000;
        if (self->next_start < self->count && self->ready_deadline < next)
            next = self->ready_deadline;
        for (int i = 0; i < self->count; i++)
            if (self->children [i].state == CHILD_BACKOFF && self->children [i].restart_at < next)
                next = self->children [i].restart_at;
        if (self->stopping && self->stop_signalled && self->stop_deadline < next)
            next = self->stop_deadline;
        int nfds = 0;
        fds [nfds] = (struct pollfd) { self->sigfd, POLLIN, 0 };
        who [nfds++] = -1;
        fds [nfds] = (struct pollfd) { self->notify, POLLIN, 0 };
        who [nfds++] = -2;
        for (int i = 0; i < self->count; i++)
            if (self->children [i].out >= 0) {
                fds [nfds] = (struct pollfd) { self->children [i].out, POLLIN, 0 };
                who [nfds++] = i;
            }
        int timeout = next > now? (int) (next - now): 0;
        int rc = poll (fds, (nfds_t) nfds, timeout);
        if (rc < 0 && errno != EINTR) {
            s_say (self, "poll: %s", strerror (errno));
            break;
        }
        for (int i = 0; rc > 0 && i < nfds; i++) {
            if (!fds [i].revents)
                continue;
            if (who [i] >= 0)
                s_read_output (self, &self->children [who [i]], false);
            else
            if (who [i] == -2)
                s_on_notify (self);
        }
        //  Signals last: a child's last lines were read above.
        if (rc > 0 && fds [0].revents && !s_on_signal (self) && !killing) {
            killing = true;
            kill_deadline = zclock_mono () + SUPERVISOR_GRACE_MS;
        }
    }
    free (fds);
    free (who);
    //  Every child is gone but after a second signal or a poll failure:
    //  SIGKILL the rest and reap them (a SIGKILLed process always exits).
    for (int i = 0; i < self->count; i++) {
        child_t *child = &self->children [i];
        if (child->state != CHILD_RUNNING)
            continue;
        kill (child->pid, SIGKILL);
        int wstatus;
        while (waitpid (child->pid, &wstatus, 0) < 0 && errno == EINTR)
            ;
        child->state = CHILD_DONE;
        s_say (self, "%s (pid %d) killed", child->name, (int) child->pid);
    }
    if (self->stopping)
        s_say (self, "stopped; exit status %d", self->status);
    return self->status;
}
