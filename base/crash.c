/*  crash.c - the crash report: an ERROR line naming the running call, a stack trace, death by the same signal. */
#define _GNU_SOURCE                 //  sigabbrev_np
#include <execinfo.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "crash.h"
#include "log.h"

#define S_FRAMES_MAX 64             //  frames in a trace
#define S_ALT_STACK (64 * 1024)     //  room for the report on a thread whose own stack is gone

//  The call running on a thread, as a crash reads it: the names, which
//  outlive the call, as they are; the workflow id, which a handler's own
//  sends change, in a fixed buffer.
typedef struct {
    bool active;
    const char *connection;
    const char *handler;
    char workflow_id [256];
} s_call_t;

static __thread s_call_t s_call;
static __thread bool s_alt_ready;   //  the thread's alternate stack is set

static const int s_signals [] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
#define S_SIGNAL_COUNT (int) (sizeof s_signals / sizeof s_signals [0])
static struct sigaction s_previous [S_SIGNAL_COUNT];
static volatile sig_atomic_t s_crashing;

//  ---------------------------------------------------------------------------
//  Async-signal-safe line building: no stdio, no locale, no allocation.

typedef struct {
    char text [1024];
    size_t len;
} s_line_t;

//  Puts text, a control character (a peer's workflow id may hold one) as
//  '?', so the report is one line per line, as log.c's escaping keeps it.
static void
s_put (s_line_t *line, const char *text)
{
    for (; text && *text && line->len < sizeof line->text - 1; text++) {
        unsigned char c = (unsigned char) *text;
        line->text [line->len++] = c < 0x20 || c == 0x7F? '?': (char) c;
    }
}

//  Puts `value` with at least `width` digits.
static void
s_put_num (s_line_t *line, uint64_t value, int width)
{
    char digits [24];
    int n = 0;
    do {
        digits [n++] = (char) ('0' + value % 10);
        value /= 10;
    } while (value && n < (int) sizeof digits);
    while (n < width && n < (int) sizeof digits)
        digits [n++] = '0';
    while (n > 0 && line->len < sizeof line->text - 1)
        line->text [line->len++] = digits [--n];
}

//  The time as log.c writes it (UTC, milliseconds), without gmtime_r:
//  days since the epoch to a civil date (H. Hinnant's algorithm).
static void
s_put_time (s_line_t *line)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t secs = now.tv_sec;
    int64_t days = secs / 86400, rest = secs % 86400;
    days += 719468;
    int64_t era = days / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10? mp + 3: mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    s_put_num (line, (uint64_t) year, 4);
    s_put (line, "-");
    s_put_num (line, (uint64_t) month, 2);
    s_put (line, "-");
    s_put_num (line, (uint64_t) day, 2);
    s_put (line, "T");
    s_put_num (line, (uint64_t) (rest / 3600), 2);
    s_put (line, ":");
    s_put_num (line, (uint64_t) (rest / 60 % 60), 2);
    s_put (line, ":");
    s_put_num (line, (uint64_t) (rest % 60), 2);
    s_put (line, ".");
    s_put_num (line, (uint64_t) (now.tv_nsec / 1000000), 3);
    s_put (line, "Z");
}

static void
s_write_all (int fd, const char *data, size_t len)
{
    while (fd >= 0 && len > 0) {
        ssize_t n = write (fd, data, len);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t) n;
    }
}

//  ---------------------------------------------------------------------------

static void
s_on_crash (int signum, siginfo_t *info, void *context)
{
    (void) context;
    int index = 0;
    while (index < S_SIGNAL_COUNT - 1 && s_signals [index] != signum)
        index++;
    if (s_crashing++) {
        //  Another thread is writing its report and will end the process.
        for (;;)
            pause ();
    }
    s_line_t line = { .len = 0 };
    s_put_time (&line);
    s_put (&line, " ERROR   ");
    s_put (&line, log_service ());
    s_put (&line, " [");
    s_put (&line, s_call.active && *s_call.workflow_id? s_call.workflow_id: "-");
    s_put (&line, "] crash: SIG");
    const char *abbrev = sigabbrev_np (signum);
    s_put (&line, abbrev? abbrev: "?");
    if (s_call.active) {
        s_put (&line, " in handler ");
        s_put (&line, s_call.handler && *s_call.handler? s_call.handler: "?");
        if (s_call.connection && *s_call.connection) {
            s_put (&line, " of connection ");
            s_put (&line, s_call.connection);
        }
        s_put (&line, ", workflow id ");
        s_put (&line, *s_call.workflow_id? s_call.workflow_id: "-");
    }
    else
        s_put (&line, " outside any handler");
    s_put (&line, "; stack trace follows");
    line.text [line.len++] = '\n';                 //  room kept: s_put stops one short
    int file_fd = log_file_fd ();
    s_write_all (STDERR_FILENO, line.text, line.len);
    s_write_all (file_fd, line.text, line.len);
    void *frames [S_FRAMES_MAX];
    int count = backtrace (frames, S_FRAMES_MAX);
    backtrace_symbols_fd (frames, count, STDERR_FILENO);
    if (file_fd >= 0)
        backtrace_symbols_fd (frames, count, file_fd);
    static const char end [] = "(end of stack trace)\n";
    s_write_all (STDERR_FILENO, end, sizeof end - 1);
    s_write_all (file_fd, end, sizeof end - 1);

    //  Die of the same signal: the previous action back (the default, or a
    //  sanitizer's), then the signal again. A fault an instruction made
    //  (si_code > 0) is made again as this handler returns; a sent or
    //  raised signal is raised, and arrives as this handler returns.
    sigaction (signum, &s_previous [index], NULL);
    if (info->si_code <= 0 || signum == SIGABRT)
        raise (signum);
}

//  Gives the calling thread an alternate signal stack, unless it has one
//  (a sanitizer's) large enough.
static void
s_ready_alt_stack (void)
{
    if (s_alt_ready)
        return;
    s_alt_ready = true;
    stack_t current;
    if (sigaltstack (NULL, &current) == 0 && !(current.ss_flags & SS_DISABLE) && current.ss_size >= S_ALT_STACK / 2)
        return;
    //  mmap, not malloc: a sanitizer unmaps a thread's alternate stack at
    //  thread exit. Not freed otherwise: it serves the thread to its end.
    void *memory = mmap (NULL, S_ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED)
        return;
    stack_t stack = { .ss_sp = memory, .ss_size = S_ALT_STACK, .ss_flags = 0 };
    if (sigaltstack (&stack, NULL))
        munmap (memory, S_ALT_STACK);
}

int
crash_install (void)
{
    //  backtrace loads the unwinder on its first call, which allocates:
    //  do it now, not in a crash.
    void *frames [2];
    backtrace (frames, 2);
    s_ready_alt_stack ();
    struct sigaction action;
    memset (&action, 0, sizeof action);
    action.sa_sigaction = s_on_crash;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset (&action.sa_mask);
    int rc = 0;
    for (int i = 0; i < S_SIGNAL_COUNT; i++)
        if (sigaction (s_signals [i], &action, &s_previous [i]))
            rc = -1;
    return rc;
}

//  Called on every handler call (never in the signal handler): the
//  library's word-at-a-time strnlen and memcpy, not a byte loop.
static void
s_copy (char *to, size_t size, const char *from)
{
    size_t n = from? strnlen (from, size - 1): 0;
    memcpy (to, from? from: "", n);
    to [n] = 0;
}

void
crash_call_begin (const char *connection, const char *handler, const char *workflow_id)
{
    s_ready_alt_stack ();
    s_call.active = false;          //  never half-written while active
    atomic_signal_fence (memory_order_seq_cst);
    s_call.connection = connection;
    s_call.handler = handler;
    s_copy (s_call.workflow_id, sizeof s_call.workflow_id, workflow_id);
    atomic_signal_fence (memory_order_seq_cst);
    s_call.active = true;
}

void
crash_call_end (void)
{
    s_call.active = false;
}
