/*  e2e.c - the end-to-end test harness (see e2e.h for the contract).

    All state is per test process: a registry of what was handed out since
    e2e_setup (strings, parsed replies, sockets, processes, directories),
    released by e2e_teardown. Processes are also stopped from an atexit hook,
    so a test that aborts half-way still leaves no svcfw behind.
*/
#define _GNU_SOURCE            //  vasprintf, nftw
#include "e2e.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <regex.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#define POLL_MS         3      //  between two looks at a condition
#define TEARDOWN_STOP_MS 2000  //  SIGTERM at teardown, before SIGKILL

struct _e2e_proc_t {
    pid_t pid;
    bool exited;               //  reaped; status is valid
    int status;                //  waitpid status once exited
    char *out_path;            //  stdout (and stderr unless split); owned
    char *err_path;            //  stderr; owned (same text as out_path if not split)
};

typedef struct {
    void *ptr;
    void (*destroy) (void *ptr);
} s_kept_t;

static s_kept_t *s_kept;       //  everything to free at teardown
static size_t s_kept_count, s_kept_cap;
static e2e_proc_t **s_procs;   //  every process started since setup
static size_t s_proc_count, s_proc_cap;
static zsock_t **s_socks;      //  every live raw socket
static size_t s_sock_count, s_sock_cap;
static char **s_dirs;          //  test directories to remove
static size_t s_dir_count, s_dir_cap;
static bool s_initialised;

static int s_ports[4096];      //  ports handed out, never handed twice
static size_t s_port_count;

/* ---- Registries ---------------------------------------------------------- */

//  Out of memory or descriptors: the test process cannot go on (the atexit
//  hook still stops the processes it started).
static void *
s_check (void *ptr)
{
    if (!ptr) {
        fprintf (stderr, "e2e: out of memory\n");
        exit (EXIT_FAILURE);
    }
    return ptr;
}

static void
s_grow (void **array, size_t *cap, size_t count, size_t item_size)
{
    if (count < *cap)
        return;
    size_t new_cap = *cap ? *cap * 2 : 16;
    *array = s_check (realloc (*array, new_cap * item_size));
    *cap = new_cap;
}

static void *
s_keep (void *ptr, void (*destroy) (void *ptr))
{
    if (!ptr)
        return NULL;
    s_grow ((void **) &s_kept, &s_kept_cap, s_kept_count, sizeof (s_kept_t));
    s_kept [s_kept_count++] = (s_kept_t) { ptr, destroy };
    return ptr;
}

static void
s_cjson_delete (void *ptr)
{
    cJSON_Delete (ptr);
}

static char *
s_keep_str (char *text)
{
    return s_keep (text, free);
}

/* ---- Time ---------------------------------------------------------------- */

long long
e2e_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  The pause between two looks at a condition that a deadline bounds.
static void
s_poll_pause (void)
{
    struct timespec ts = { 0, POLL_MS * 1000000L };
    nanosleep (&ts, NULL);
}

/* ---- Strings and files --------------------------------------------------- */

char *
e2e_fmt (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char *text = NULL;
    if (vasprintf (&text, fmt, ap) < 0)
        text = NULL;
    va_end (ap);
    return s_keep_str (s_check (text));
}

//  Reads the whole file into a fresh string (caller frees), or NULL.
static char *
s_slurp (const char *path, size_t *len_p)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    size_t cap = 4096, len = 0;
    char *text = s_check (malloc (cap));
    size_t got;
    while ((got = fread (text + len, 1, cap - len - 1, file)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            cap *= 2;
            text = s_check (realloc (text, cap));
        }
    }
    fclose (file);
    text [len] = 0;
    if (len_p)
        *len_p = len;
    return text;
}

char *
e2e_read_file (const char *path)
{
    return s_keep_str (s_slurp (path, NULL));
}

char *
e2e_write_bytes (const char *dir, const char *name, const void *data, size_t len)
{
    char *path = e2e_fmt ("%s/%s", dir, name);
    FILE *file = fopen (path, "wb");
    if (!file)
        return NULL;
    bool ok = fwrite (data, 1, len, file) == len;
    ok = (fclose (file) == 0) && ok;
    return ok ? path : NULL;
}

char *
e2e_write_file (const char *dir, const char *name, const char *text)
{
    return e2e_write_bytes (dir, name, text, strlen (text));
}

static int
s_remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st; (void) flag; (void) ftw;
    return remove (path);
}

int
e2e_rmtree (const char *path)
{
    return nftw (path, s_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *
e2e_tmpdir (void)
{
    char *path = s_check (strdup ("/tmp/svcfw-e2e-XXXXXX"));
    if (!mkdtemp (path)) {
        free (path);
        return NULL;
    }
    s_grow ((void **) &s_dirs, &s_dir_cap, s_dir_count, sizeof (char *));
    s_dirs [s_dir_count++] = path;
    return path;
}

int
e2e_file_count (const char *path, const char *needle)
{
    char *text = s_slurp (path, NULL);
    if (!text)
        return 0;
    int count = 0;
    size_t step = strlen (needle) ? strlen (needle) : 1;
    for (const char *at = strstr (text, needle); at; at = strstr (at + step, needle))
        count++;
    free (text);
    return count;
}

//  Calls fn on each line of the file (without its newline). With `stop`,
//  returns a fresh copy (caller frees) of the first line fn accepts, else
//  NULL; counts the accepted lines in *matches_p when not NULL.
typedef bool (s_line_fn) (const char *line, const void *arg);

static char *
s_each_line (const char *path, s_line_fn *fn, const void *arg, int *matches_p, bool stop)
{
    char *text = s_slurp (path, NULL);
    if (!text)
        return NULL;
    char *found = NULL;
    int matches = 0;
    char *line = text;
    while (*line) {
        char *end = strchr (line, '\n');
        if (end)
            *end = 0;
        if (fn (line, arg)) {
            matches++;
            if (stop) {
                found = strdup (line);
                break;
            }
        }
        if (!end)
            break;
        line = end + 1;
    }
    free (text);
    if (matches_p)
        *matches_p = matches;
    return found;
}

typedef struct {
    const char *needle;
    const char *also;
} s_needles_t;

static bool
s_line_has (const char *line, const void *arg)
{
    const s_needles_t *needles = arg;
    return strstr (line, needles->needle)
        && (!needles->also || strstr (line, needles->also));
}

static bool
s_line_any (const char *line, const void *arg)
{
    (void) line; (void) arg;
    return true;
}

int
e2e_line_count (const char *path, const char *needle, const char *also)
{
    s_needles_t needles = { needle, also };
    int count = 0;
    s_each_line (path, s_line_has, &needles, &count, false);
    return count;
}

int
e2e_lines (const char *path)
{
    int count = 0;
    s_each_line (path, s_line_any, NULL, &count, false);
    return count;
}

char *
e2e_grep (const char *path, const char *needle)
{
    s_needles_t needles = { needle, NULL };
    return s_keep_str (s_each_line (path, s_line_has, &needles, NULL, true));
}

char *
e2e_grep_last (const char *path, const char *needle)
{
    char *text = s_slurp (path, NULL);
    if (!text)
        return NULL;
    char *found = NULL;
    for (char *line = text; line && *line; ) {
        char *end = strchr (line, '\n');
        if (end)
            *end = 0;
        if (strstr (line, needle))
            found = line;
        line = end ? end + 1 : NULL;
    }
    found = found ? s_check (strdup (found)) : NULL;
    free (text);
    return s_keep_str (found);
}

static bool
s_line_matches (const char *line, const void *arg)
{
    return regexec (arg, line, 0, NULL, 0) == 0;
}

char *
e2e_grep_re (const char *path, const char *regex)
{
    regex_t re;
    if (regcomp (&re, regex, REG_EXTENDED | REG_NOSUB) != 0)
        fail_msg ("bad regex in test: %s", regex);
    char *line = s_each_line (path, s_line_matches, &re, NULL, true);
    regfree (&re);
    return s_keep_str (line);
}

bool
e2e_match (const char *text, const char *regex)
{
    regex_t re;
    if (regcomp (&re, regex, REG_EXTENDED | REG_NOSUB) != 0)
        fail_msg ("bad regex in test: %s", regex);
    bool match = text && regexec (&re, text, 0, NULL, 0) == 0;
    regfree (&re);
    return match;
}

bool
e2e_poll (bool (*cond) (void *arg), void *arg, int timeout_ms)
{
    long long deadline = e2e_now_ms () + timeout_ms;
    while (true) {
        if (cond (arg))
            return true;
        if (e2e_now_ms () >= deadline)
            return false;
        s_poll_pause ();
    }
}

bool
e2e_wait_count (const char *path, const char *needle, int count, int timeout_ms)
{
    long long deadline = e2e_now_ms () + timeout_ms;
    while (true) {
        if (e2e_file_count (path, needle) >= count)
            return true;
        if (e2e_now_ms () >= deadline)
            return false;
        s_poll_pause ();
    }
}

bool
e2e_wait_file_contains (const char *path, const char *needle, int timeout_ms)
{
    return e2e_wait_count (path, needle, 1, timeout_ms);
}

/* ---- Processes ----------------------------------------------------------- */

static int s_stop_all (int signum, int timeout_ms);

static void
s_atexit (void)
{
    s_stop_all (SIGKILL, 1000);
}

static void
s_init (void)
{
    if (s_initialised)
        return;
    s_initialised = true;
    //  The test process handles its own signals; CZMQ must not take them.
    setenv ("ZSYS_SIGHANDLER", "false", 1);
    zsys_handler_set (NULL);
    signal (SIGPIPE, SIG_IGN);
    atexit (s_atexit);
}

e2e_proc_t *
e2e_spawn (char *const argv[], const char *out_path, const char *err_path)
{
    s_init ();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_addopen (&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen (&actions, 1, out_path,
                                      O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err_path)
        posix_spawn_file_actions_addopen (&actions, 2, err_path,
                                          O_WRONLY | O_CREAT | O_TRUNC, 0644);
    else
        posix_spawn_file_actions_adddup2 (&actions, 1, 2);

    //  A test runner started in the background may ignore SIGINT; an
    //  ignored disposition survives exec, so reset it for the child.
    posix_spawnattr_t attr;
    posix_spawnattr_init (&attr);
    sigset_t defaults, mask;
    sigemptyset (&defaults);
    int reset [] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2 };
    for (size_t i = 0; i < sizeof reset / sizeof reset [0]; i++)
        sigaddset (&defaults, reset [i]);
    sigemptyset (&mask);
    posix_spawnattr_setsigdefault (&attr, &defaults);
    posix_spawnattr_setsigmask (&attr, &mask);
    posix_spawnattr_setflags (&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

    pid_t pid;
    int rc = posix_spawn (&pid, argv [0], &actions, &attr, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    posix_spawnattr_destroy (&attr);
    if (rc != 0) {
        print_error ("e2e: cannot spawn %s: %s\n", argv [0], strerror (rc));
        return NULL;
    }
    e2e_proc_t *self = s_check (calloc (1, sizeof (e2e_proc_t)));
    self->pid = pid;
    self->out_path = s_check (strdup (out_path));
    self->err_path = s_check (strdup (err_path ? err_path : out_path));
    s_grow ((void **) &s_procs, &s_proc_cap, s_proc_count, sizeof (e2e_proc_t *));
    s_procs [s_proc_count++] = self;
    return self;
}

long
e2e_peak_rss_kib (pid_t pid)
{
    char *status = e2e_read_file (e2e_fmt ("/proc/%d/status", (int) pid));
    const char *line = status? strstr (status, "VmHWM:"): NULL;
    return line? strtol (line + 6, NULL, 10): -1;
}

void
e2e_small_asan_quarantine (void)
{
#ifdef __SANITIZE_ADDRESS__
    const char *asan = getenv ("ASAN_OPTIONS");
    setenv ("ASAN_OPTIONS", e2e_fmt ("%s%squarantine_size_mb=1", asan? asan: "", asan? ":": ""), 1);
#endif
}

pid_t
e2e_proc_pid (e2e_proc_t *self)
{
    return self->pid;
}

const char *
e2e_proc_out (e2e_proc_t *self)
{
    return self->out_path;
}

const char *
e2e_proc_err (e2e_proc_t *self)
{
    return self->err_path;
}

//  Reaps the process if it has exited. Returns true once it has.
static bool
s_reap (e2e_proc_t *self)
{
    if (self->exited)
        return true;
    int status;
    pid_t rc = waitpid (self->pid, &status, WNOHANG);
    if (rc == self->pid) {
        self->exited = true;
        self->status = status;
    }
    else
    if (rc < 0 && errno == ECHILD) {
        //  Not ours any more (should not happen): treat as gone.
        self->exited = true;
        self->status = 0xff00;
    }
    return self->exited;
}

bool
e2e_alive (e2e_proc_t *self)
{
    return !s_reap (self);
}

bool
e2e_wait_exit (e2e_proc_t *self, int timeout_ms, int *status)
{
    long long deadline = e2e_now_ms () + timeout_ms;
    while (!s_reap (self)) {
        if (e2e_now_ms () >= deadline)
            return false;
        s_poll_pause ();
    }
    if (status)
        *status = self->status;
    return true;
}

bool
e2e_stop (e2e_proc_t *self, int signum, int timeout_ms, int *status)
{
    if (s_reap (self)) {
        if (status)
            *status = self->status;
        return true;
    }
    kill (self->pid, signum);
    if (e2e_wait_exit (self, timeout_ms, status))
        return true;
    kill (self->pid, SIGKILL);
    e2e_wait_exit (self, 10000, status);
    return false;
}

int
e2e_exit_code (e2e_proc_t *self)
{
    if (!s_reap (self) || !WIFEXITED (self->status))
        return -1;
    return WEXITSTATUS (self->status);
}

bool
e2e_wait_log (e2e_proc_t *self, const char *needle, int timeout_ms)
{
    long long deadline = e2e_now_ms () + timeout_ms;
    while (true) {
        if (e2e_file_count (self->out_path, needle) > 0)
            return true;
        //  Exited: its output is complete, so one last look decides.
        if (s_reap (self))
            return e2e_file_count (self->out_path, needle) > 0;
        if (e2e_now_ms () >= deadline)
            return false;
        s_poll_pause ();
    }
}

bool
e2e_wait_ready (e2e_proc_t *self)
{
    return e2e_wait_log (self, " ready: ", E2E_READY_MS);
}

void
e2e_dump (e2e_proc_t *self)
{
    if (!self)
        return;
    char *out = s_slurp (self->out_path, NULL);
    //  fprintf, not cmocka's print_error, which cuts long output (a whole
    //  sanitizer report must survive).
    fprintf (stderr, "---- pid %d, %s%s ----\n%s", (int) self->pid, self->out_path,
             s_reap (self) ? " (exited)" : " (running)", out ? out : "(unreadable)\n");
    free (out);
    if (strcmp (self->err_path, self->out_path) != 0) {
        char *err = s_slurp (self->err_path, NULL);
        fprintf (stderr, "---- %s ----\n%s", self->err_path, err ? err : "(unreadable)\n");
        free (err);
    }
}

//  Signals every running process at once, then waits for all of them until
//  one shared deadline; SIGKILLs what is left. Returns how many had to be
//  killed.
static int
s_stop_all (int signum, int timeout_ms)
{
    for (size_t i = 0; i < s_proc_count; i++)
        if (!s_reap (s_procs [i]))
            kill (s_procs [i]->pid, signum);
    long long deadline = e2e_now_ms () + timeout_ms;
    int killed = 0;
    for (size_t i = 0; i < s_proc_count; i++) {
        long long left = deadline - e2e_now_ms ();
        if (e2e_wait_exit (s_procs [i], left > 0 ? (int) left : 0, NULL))
            continue;
        fprintf (stderr, "e2e: pid %d (%s) did not stop within %d ms of signal %d; killed\n",
                 (int) s_procs [i]->pid, s_procs [i]->out_path, timeout_ms, signum);
        kill (s_procs [i]->pid, SIGKILL);
        e2e_wait_exit (s_procs [i], 10000, NULL);
        killed++;
    }
    return killed;
}

//  True if the process's output holds a sanitizer report.
static bool
s_sanitizer_report (e2e_proc_t *self)
{
    const char *marks [] = { "ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                             "runtime error:", "WARNING: ThreadSanitizer" };
    for (size_t i = 0; i < sizeof marks / sizeof marks [0]; i++)
        if (e2e_file_count (self->out_path, marks [i]) > 0
            || e2e_file_count (self->err_path, marks [i]) > 0)
            return true;
    return false;
}

/* ---- svcfw --------------------------------------------------------------- */

char *
e2e_plugin (const char *name)
{
    return e2e_fmt ("%s/%s.so", TEST_PLUGIN_DIR, name);
}

//  NAME, or NAME-2, NAME-3, ... so that DIR/NAME.out does not exist yet.
static char *
s_unique_name (const char *dir, const char *name)
{
    char *unique = e2e_fmt ("%s", name);
    for (int n = 2; access (e2e_fmt ("%s/%s.out", dir, unique), F_OK) == 0; n++)
        unique = e2e_fmt ("%s-%d", name, n);
    return unique;
}

//  The plugin's file name without directory and ".so".
static char *
s_plugin_name (const char *plugin_path)
{
    const char *slash = strrchr (plugin_path, '/');
    const char *base = slash ? slash + 1 : plugin_path;
    char *name = e2e_fmt ("%s", base);
    size_t len = strlen (name);
    if (len > 3 && strcmp (name + len - 3, ".so") == 0)
        name [len - 3] = 0;
    return name;
}

e2e_proc_t *
e2e_svcfw_argv (const char *dir, const char *plugin_path,
                const char *addresses_json, const char *config_json, const char *const extra[])
{
    char *name = s_unique_name (dir, s_plugin_name (plugin_path));
    const char *argv [64];
    int argc = 0;
    argv [argc++] = SVCFW_BIN;
    argv [argc++] = "-s";
    argv [argc++] = plugin_path;
    if (addresses_json) {
        argv [argc++] = "-a";
        argv [argc++] = e2e_write_file (dir, e2e_fmt ("%s.addresses.json", name),
                                        addresses_json);
        if (!argv [argc - 1])
            return NULL;
    }
    if (config_json) {
        argv [argc++] = "-c";
        argv [argc++] = e2e_write_file (dir, e2e_fmt ("%s.config.json", name), config_json);
        if (!argv [argc - 1])
            return NULL;
    }
    for (int i = 0; extra && extra [i]; i++) {
        if (argc == 63)
            fail_msg ("e2e: too many arguments for svcfw");
        argv [argc++] = extra [i];
    }
    argv [argc] = NULL;
    return e2e_spawn ((char *const *) argv, e2e_fmt ("%s/%s.out", dir, name), NULL);
}

e2e_proc_t *
e2e_svcfw (const char *dir, const char *plugin_path,
           const char *addresses_json, const char *config_json, ...)
{
    const char *extra [64];
    int count = 0;
    va_list ap;
    va_start (ap, config_json);
    const char *arg;
    while ((arg = va_arg (ap, const char *))) {
        if (count == 63)
            fail_msg ("e2e: too many arguments for svcfw");
        extra [count++] = arg;
    }
    va_end (ap);
    extra [count] = NULL;
    return e2e_svcfw_argv (dir, plugin_path, addresses_json, config_json, extra);
}

e2e_proc_t *
e2e_svcfw_run (const char *dir, const char *name, ...)
{
    name = s_unique_name (dir, name);
    const char *argv [64];
    int argc = 0;
    argv [argc++] = SVCFW_BIN;
    va_list ap;
    va_start (ap, name);
    const char *arg;
    while ((arg = va_arg (ap, const char *))) {
        if (argc == 63)
            fail_msg ("e2e: too many arguments for svcfw");
        argv [argc++] = arg;
    }
    va_end (ap);
    argv [argc] = NULL;
    e2e_proc_t *self = e2e_spawn ((char *const *) argv, e2e_fmt ("%s/%s.out", dir, name),
                                  e2e_fmt ("%s/%s.err", dir, name));
    if (self && !e2e_wait_exit (self, E2E_EXIT_MS, NULL)) {
        print_error ("e2e: svcfw %s did not exit within %d ms; killed\n", name, E2E_EXIT_MS);
        e2e_stop (self, SIGKILL, 1000, NULL);
    }
    return self;
}

void
e2e_assert_one_line_at (const char *file, int line, e2e_proc_t *proc, int code,
                        const char *line_re, ...)
{
    if (!proc) {
        print_error ("e2e: svcfw did not start\n");
        _fail (file, line);
    }
    int got = e2e_exit_code (proc);
    const char *err = e2e_read_file (proc->err_path);
    int lines = e2e_lines (proc->err_path);
    if (got != code || !err || lines != 1 || !e2e_match (err, line_re)) {
        e2e_dump (proc);
        print_error ("expected exit %d and one stderr line matching /%s/; got exit %d, "
                     "%d line(s)\n", code, line_re, got, lines);
        _fail (file, line);
    }
    va_list ap;
    va_start (ap, line_re);
    const char *needle;
    while ((needle = va_arg (ap, const char *)))
        if (!strstr (err, needle)) {
            va_end (ap);
            e2e_dump (proc);
            print_error ("stderr line does not name \"%s\": %s", needle, err);
            _fail (file, line);
        }
    va_end (ap);
}

/* ---- Addresses and raw peers --------------------------------------------- */

int
e2e_tcp_port (void)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = socket (AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            fail_msg ("e2e: socket: %s", strerror (errno));
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = 0 };
        addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        int rc = bind (fd, (struct sockaddr *) &addr, sizeof addr);
        if (rc == 0)
            rc = getsockname (fd, (struct sockaddr *) &addr, &len);
        close (fd);
        if (rc != 0)
            continue;
        int port = ntohs (addr.sin_port);
        bool seen = false;
        for (size_t i = 0; i < s_port_count; i++)
            seen = seen || s_ports [i] == port;
        if (seen)
            continue;
        if (s_port_count < sizeof s_ports / sizeof s_ports [0])
            s_ports [s_port_count++] = port;
        return port;
    }
    fail_msg ("e2e: no free TCP port");
    return -1;
}

char *
e2e_endpoint (int port)
{
    return e2e_fmt ("tcp://127.0.0.1:%d", port);
}

char *
e2e_addr (int port)
{
    return e2e_fmt ("127.0.0.1:%d", port);
}

static zsock_t *
s_sock_new (int type, const char *endpoint, bool bind)
{
    s_init ();
    zsock_t *sock = zsock_new (type);
    if (!sock)
        return NULL;
    zsock_set_linger (sock, 0);
    zsock_set_rcvtimeo (sock, E2E_REPLY_MS);
    zsock_set_sndtimeo (sock, E2E_REPLY_MS);
    int rc = bind ? zsock_bind (sock, "%s", endpoint) : zsock_connect (sock, "%s", endpoint);
    if (rc < 0) {
        print_error ("e2e: cannot %s %s: %s\n", bind ? "bind" : "connect", endpoint,
                     zmq_strerror (zmq_errno ()));
        zsock_destroy (&sock);
        return NULL;
    }
    s_grow ((void **) &s_socks, &s_sock_cap, s_sock_count, sizeof (zsock_t *));
    s_socks [s_sock_count++] = sock;
    return sock;
}

zsock_t *
e2e_req (const char *endpoint)
{
    return s_sock_new (ZMQ_REQ, endpoint, false);
}

zsock_t *
e2e_rep (const char *endpoint)
{
    return s_sock_new (ZMQ_REP, endpoint, true);
}

zsock_t *
e2e_dealer (const char *endpoint)
{
    return s_sock_new (ZMQ_DEALER, endpoint, false);
}

zsock_t *
e2e_pub (const char *endpoint)
{
    return s_sock_new (ZMQ_PUB, endpoint, true);
}

zsock_t *
e2e_pub_connect (const char *endpoint)
{
    return s_sock_new (ZMQ_PUB, endpoint, false);
}

zsock_t *
e2e_xpub (const char *endpoint)
{
    return s_sock_new (ZMQ_XPUB, endpoint, true);
}

zsock_t *
e2e_sub (const char *endpoint, const char *topic)
{
    zsock_t *sock = s_sock_new (ZMQ_SUB, endpoint, false);
    if (sock)
        zsock_set_subscribe (sock, topic);
    return sock;
}

zsock_t *
e2e_sub_bind (const char *endpoint, const char *topic)
{
    zsock_t *sock = s_sock_new (ZMQ_SUB, endpoint, true);
    if (sock)
        zsock_set_subscribe (sock, topic);
    return sock;
}

static void
s_zmsg_destroy (void *ptr)
{
    zmsg_t *msg = ptr;
    zmsg_destroy (&msg);
}

zmsg_t *
e2e_recv (zsock_t *sock)
{
    return s_keep (zmsg_recv (sock), s_zmsg_destroy);
}

char *
e2e_frame_text (zmsg_t *msg, size_t index)
{
    if (!msg || index >= zmsg_size (msg))
        return NULL;
    zframe_t *frame = zmsg_first (msg);
    for (size_t i = 0; i < index; i++)
        frame = zmsg_next (msg);
    return s_keep_str (zframe_strdup (frame));
}

void
e2e_sock_destroy (zsock_t **sock_p)
{
    if (!sock_p || !*sock_p)
        return;
    for (size_t i = 0; i < s_sock_count; i++)
        if (s_socks [i] == *sock_p) {
            s_socks [i] = s_socks [--s_sock_count];
            break;
        }
    zsock_destroy (sock_p);
}

int
e2e_send_frames (zsock_t *sock, const char *const frames[], int count)
{
    for (int i = 0; i < count; i++) {
        int more = i + 1 < count ? ZMQ_SNDMORE : 0;
        if (zmq_send (zsock_resolve (sock), frames [i], strlen (frames [i]), more) < 0)
            return -1;
    }
    return 0;
}

//  Receives one reply on a REQ socket and parses it (harness-owned), or NULL.
static cJSON *
s_recv_reply (zsock_t *req)
{
    zmsg_t *msg = zmsg_recv (req);
    if (!msg) {
        print_error ("e2e: no reply within %d ms\n", E2E_REPLY_MS);
        return NULL;
    }
    cJSON *reply = NULL;
    if (zmsg_size (msg) == 1) {
        zframe_t *frame = zmsg_first (msg);
        reply = cJSON_ParseWithLength ((const char *) zframe_data (frame), zframe_size (frame));
        if (!reply)
            print_error ("e2e: reply is not JSON: %.*s\n",
                         (int) zframe_size (frame), (const char *) zframe_data (frame));
    }
    else
        print_error ("e2e: reply has %zu frames\n", zmsg_size (msg));
    zmsg_destroy (&msg);
    return s_keep (reply, s_cjson_delete);
}

cJSON *
e2e_request_bytes (zsock_t *req, const void *data, size_t len)
{
    if (zmq_send (zsock_resolve (req), data, len, 0) < 0) {
        print_error ("e2e: cannot send: %s\n", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    return s_recv_reply (req);
}

cJSON *
e2e_request (zsock_t *req, const char *text)
{
    return e2e_request_bytes (req, text, strlen (text));
}

cJSON *
e2e_request_frames (zsock_t *req, const char *const frames[], int count)
{
    if (e2e_send_frames (req, frames, count) < 0) {
        print_error ("e2e: cannot send: %s\n", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    return s_recv_reply (req);
}

const char *
e2e_reply_kind (const cJSON *reply)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive (reply, "error");
    const cJSON *kind = cJSON_GetObjectItemCaseSensitive (error, "kind");
    return cJSON_IsString (kind) ? kind->valuestring : NULL;
}

const char *
e2e_reply_wf (const cJSON *reply)
{
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive (reply, "workflow_id");
    return cJSON_IsString (wf) ? wf->valuestring : NULL;
}

cJSON *
e2e_keep_json (cJSON *value)
{
    return s_keep (value, s_cjson_delete);
}

char *
e2e_json (const cJSON *value)
{
    if (!value)
        return e2e_fmt ("(null)");
    return s_keep_str (cJSON_PrintUnformatted (value));
}

/* ---- Fixture ------------------------------------------------------------- */

int
e2e_setup (void **state)
{
    s_init ();
    char *dir = e2e_tmpdir ();
    if (!dir)
        return -1;
    *state = dir;
    return 0;
}

int
e2e_teardown (void **state)
{
    s_stop_all (SIGTERM, TEARDOWN_STOP_MS);
    bool verbose = getenv ("E2E_VERBOSE") && *getenv ("E2E_VERBOSE");
    bool keep = getenv ("E2E_KEEP") && *getenv ("E2E_KEEP");
    int rc = 0;
    for (size_t i = 0; i < s_proc_count; i++) {
        //  A sanitizer build of svcfw reports memory errors in its output;
        //  any report fails the test, even if every assertion passed.
        bool report = s_sanitizer_report (s_procs [i]);
        if (verbose || report)
            e2e_dump (s_procs [i]);
        if (report) {
            print_error ("e2e: sanitizer report in the output of pid %d\n", (int) s_procs [i]->pid);
            rc = -1;
        }
        free (s_procs [i]->out_path);
        free (s_procs [i]->err_path);
        free (s_procs [i]);
    }
    s_proc_count = 0;
    for (size_t i = 0; i < s_sock_count; i++)
        zsock_destroy (&s_socks [i]);
    s_sock_count = 0;
    for (size_t i = 0; i < s_dir_count; i++) {
        if (keep)
            print_message ("e2e: kept %s\n", s_dirs [i]);
        else
            e2e_rmtree (s_dirs [i]);
        free (s_dirs [i]);
    }
    s_dir_count = 0;
    //  Last in, first out: later strings may point into nothing earlier.
    while (s_kept_count > 0) {
        s_kept_t *kept = &s_kept [--s_kept_count];
        kept->destroy (kept->ptr);
    }
    *state = NULL;
    return rc;
}

//  ---------------------------------------------------------------------------
//  A raw HTTP client: every call bounded.

int
e2e_tcp_connect (int port)
{
    int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
    addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
    if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0) {
        close (fd);
        return -1;
    }
    return fd;
}

//  Reads until the peer closes or `timeout_ms` passed; returns the bytes
//  read (harness-owned), with their length in *len.
char *
e2e_read_all (int fd, int timeout_ms, size_t *len)
{
    size_t size = 1 << 16, used = 0;
    char *data = malloc (size);
    assert_non_null (data);
    long long end = e2e_now_ms () + timeout_ms;
    while (e2e_now_ms () < end) {
        struct pollfd item = { fd, POLLIN, 0 };
        if (poll (&item, 1, (int) (end - e2e_now_ms ())) <= 0)
            continue;
        if (used + 4096 > size) {
            size *= 2;
            data = realloc (data, size);
            assert_non_null (data);
        }
        ssize_t n = read (fd, data + used, size - used - 1);
        if (n <= 0)
            break;
        used += (size_t) n;
    }
    data [used] = 0;
    *len = used;
    char *kept = e2e_fmt ("%s", data);
    free (data);
    return kept;
}

//  Sends `request` and reads the whole response; returns its status (0 if
//  none) and sets *body (harness-owned) to what follows the head.
int
e2e_http_raw (int port, const char *request, const char **body)
{
    *body = "";
    int fd = e2e_tcp_connect (port);
    if (fd < 0)
        return 0;
    if (write (fd, request, strlen (request)) < 0) {
        close (fd);
        return 0;
    }
    size_t len;
    char *response = e2e_read_all (fd, 3000, &len);
    close (fd);
    int status = 0;
    if (sscanf (response, "HTTP/1.1 %d", &status) != 1)
        return 0;
    char *end = strstr (response, "\r\n\r\n");
    *body = end? end + 4: "";
    return status;
}

int
e2e_http_get (int port, const char *path, const char **body)
{
    return e2e_http_raw (port, e2e_fmt ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path), body);
}

//  The value of the series line that starts with `series` (its name and
//  labels exactly as rendered), or -1 if there is none.
double
e2e_metric_value (const char *text, const char *series)
{
    const char *at = text;
    size_t len = strlen (series);
    while ((at = strstr (at, series))) {
        if ((at == text || at [-1] == '\n') && at [len] == ' ')
            return strtod (at + len + 1, NULL);
        at += len;
    }
    return -1;
}

long
e2e_sql_long (const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    long value = -1;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
        sqlite3_busy_timeout (db, 5000);
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) == SQLITE_OK && sqlite3_step (stmt) == SQLITE_ROW)
            value = (long) sqlite3_column_int64 (stmt, 0);
        sqlite3_finalize (stmt);
    }
    sqlite3_close (db);
    return value;
}
