/*  e2e.h - the end-to-end test harness: temp dirs, the real svcfw process, raw ZeroMQ peers.

    An e2e test (tests/e2e_<topic>.c, cmocka) starts the real `svcfw` binary
    with a test plugin from tests/plugins/, talks to it over ZeroMQ and reads
    its output. The harness makes that bounded and leak-free:

    - Every wait has a deadline. Waiting means polling a real condition (a
      line in a file, a process having exited) every few milliseconds until
      the condition holds or the deadline passes; never a bare sleep.
    - Every process a test starts is registered. e2e_teardown (and, as a last
      resort, an atexit hook) stops each one that is still running by its
      PID: SIGTERM, then SIGKILL after a short deadline. Nothing is ever
      killed by name.
    - Ports come from e2e_tcp_port (the kernel picks a free one), so suites
      run in parallel.

    Ownership. Everything the harness hands out (processes, paths, strings,
    sockets, parsed replies) is owned by the harness and stays valid until
    the next e2e_teardown, which frees it all. Tests never free these; they
    may end a socket or process early with e2e_sock_destroy / e2e_stop.

    Typical test:

        static void test_round_trip (void **state)
        {
            const char *dir = *state;                 //  from e2e_setup
            int port = e2e_tcp_port ();
            e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
                e2e_fmt ("{\"connections\": {\"in\": {\"orders\": "
                         "{\"replyer\": \"127.0.0.1:%d\"}}}}", port), NULL, NULL);
            E2E_ASSERT_READY (svc);
            zsock_t *req = e2e_req (e2e_endpoint (port));
            cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 7}}");
            ...
        }
        ... cmocka_unit_test_setup_teardown (test_round_trip, e2e_setup, e2e_teardown)

    Set E2E_VERBOSE=1 to print every process's output at teardown, and
    E2E_KEEP=1 to keep the test directories.
*/
#ifndef E2E_H_INCLUDED
#define E2E_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <sys/types.h>
#include <cmocka.h>
#include <czmq.h>
#include <cjson/cJSON.h>

/* Default deadlines, in milliseconds. */
#define E2E_READY_MS   5000    //  svcfw start-up until " ready: "
#define E2E_EXIT_MS    5000    //  a process expected to exit on its own
#define E2E_REPLY_MS   3000    //  a raw peer waiting for one reply
#define E2E_LOG_MS     5000    //  a line expected in a log

/* ---- Per-test fixture ---------------------------------------------------- */

/* cmocka setup: makes a fresh test directory and sets *state to its path
   (harness-owned, a `const char *`). Returns 0, or -1 if mkdtemp fails. */
int e2e_setup (void **state);

/* cmocka teardown: stops every process still running (SIGTERM, then SIGKILL
   after 2 s), destroys every socket, prints outputs if E2E_VERBOSE is set,
   removes the test directory unless E2E_KEEP is set, and frees everything
   the harness handed out since e2e_setup. Returns 0, or -1 (the test then
   fails) when a process's output holds a sanitizer report (AddressSanitizer,
   LeakSanitizer, UBSan "runtime error:"), which it prints. */
int e2e_teardown (void **state);

/* ---- Strings, files, directories ----------------------------------------- */

/* printf into a fresh string. Harness-owned. */
char *e2e_fmt (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* A fresh directory under /tmp (mkdtemp), removed at teardown (unless
   E2E_KEEP). Harness-owned path, or NULL if mkdtemp fails. e2e_setup
   already makes one per test; call this only for more. */
char *e2e_tmpdir (void);

/* Writes `text` to DIR/NAME (truncating). Returns the path (harness-owned),
   or NULL if the file cannot be written. */
char *e2e_write_file (const char *dir, const char *name, const char *text);

/* Writes `len` bytes to DIR/NAME. Returns the path (harness-owned) or NULL. */
char *e2e_write_bytes (const char *dir, const char *name, const void *data, size_t len);

/* Removes `path` and everything below it. Returns 0 or -1. */
int e2e_rmtree (const char *path);

/* The whole file as a NUL-terminated string (harness-owned), or NULL if it
   cannot be read. A missing file reads as NULL. */
char *e2e_read_file (const char *path);

/* Occurrences of `needle` in the file (0 if the file cannot be read). */
int e2e_file_count (const char *path, const char *needle);

/* Lines of the file that contain `needle` and, when `also` is not NULL, also
   contain `also`. */
int e2e_line_count (const char *path, const char *needle, const char *also);

/* Lines of the file. */
int e2e_lines (const char *path);

/* The first line of the file containing `needle` (without its newline), or
   NULL. Harness-owned. */
char *e2e_grep (const char *path, const char *needle);

/* The last line of the file containing `needle` (without its newline), or
   NULL. Harness-owned. */
char *e2e_grep_last (const char *path, const char *needle);

/* One integer from an SQL query on an SQLite file (a store, outbox or
   inbox), read-write with a 5 s busy timeout so a running service's
   writes do not make it fail; -1 if it cannot be read. */
long e2e_sql_long (const char *path, const char *sql);

/* The first line of the file matching the POSIX extended regex `regex`, or
   NULL. Harness-owned. */
char *e2e_grep_re (const char *path, const char *regex);

/* True if `text` matches the POSIX extended regex `regex`. */
bool e2e_match (const char *text, const char *regex);

/* Polls `cond (arg)` every few milliseconds until it returns true (then
   true) or the deadline passes (then false). */
bool e2e_poll (bool (*cond) (void *arg), void *arg, int timeout_ms);

/* Polls until the file contains `needle`; false at the deadline. */
bool e2e_wait_file_contains (const char *path, const char *needle, int timeout_ms);

/* Polls until the file contains `needle` at least `count` times; false at
   the deadline. */
bool e2e_wait_count (const char *path, const char *needle, int count, int timeout_ms);

/* ---- Processes ----------------------------------------------------------- */

typedef struct _e2e_proc_t e2e_proc_t;

/* Starts argv[0] (a path) with argv, stdin from /dev/null, stdout to
   `out_path` and stderr to `err_path` (NULL: also to out_path), both
   truncated first. The child gets default dispositions for the usual signals
   and an empty signal mask. Returns the registered process (harness-owned),
   or NULL if it cannot be spawned. */
e2e_proc_t *e2e_spawn (char *const argv[], const char *out_path, const char *err_path);

/* The process's PID. */
pid_t e2e_proc_pid (e2e_proc_t *self);

/* The peak resident set of process `pid` (VmHWM in /proc/PID/status), in
   KiB; -1 if unreadable. */
long e2e_peak_rss_kib (pid_t pid);

/* Under AddressSanitizer, makes the processes started from now on keep
   1 MB of freed memory in quarantine, not 256 MB, so their RSS measures
   their own memory (ASAN_OPTIONS gets quarantine_size_mb=1). A no-op in
   other builds. */
void e2e_small_asan_quarantine (void);

/* Path of its stdout (+ stderr, unless split) and of its stderr. Borrowed
   from the process. */
const char *e2e_proc_out (e2e_proc_t *self);
const char *e2e_proc_err (e2e_proc_t *self);

/* True if the process has not exited yet (reaps it if it has). */
bool e2e_alive (e2e_proc_t *self);

/* Waits until the process exits. Returns true and sets *status (if not
   NULL) to its waitpid status; false at the deadline (still running). */
bool e2e_wait_exit (e2e_proc_t *self, int timeout_ms, int *status);

/* Sends `signum` to the process's PID and waits up to timeout_ms. Returns
   true if it exited in time (*status = its waitpid status). Otherwise sends
   SIGKILL, reaps it, sets *status to that status and returns false. A
   process that had already exited returns true with its status. */
bool e2e_stop (e2e_proc_t *self, int signum, int timeout_ms, int *status);

/* Waits until the process's output contains `needle`. Returns false at the
   deadline, or as soon as the process has exited without writing it. */
bool e2e_wait_log (e2e_proc_t *self, const char *needle, int timeout_ms);

/* e2e_wait_log (self, " ready: ", E2E_READY_MS). */
bool e2e_wait_ready (e2e_proc_t *self);

/* Prints the process's output to stderr (for failing assertions). */
void e2e_dump (e2e_proc_t *self);

/* ---- svcfw --------------------------------------------------------------- */

/* Path of the test plugin tests/plugins/NAME.c as built. Harness-owned. */
char *e2e_plugin (const char *name);

/* Writes `addresses_json` (NULL: no -a) and `config_json` (NULL: no -c) into
   dir as NAME.addresses.json / NAME.config.json, where NAME is the plugin's
   file name without .so (made unique in dir), and starts
     SVCFW_BIN -s PLUGIN [-a ...] [-c ...] EXTRA...
   with the extra arguments (a NULL-terminated list of strings) and all
   output to dir/NAME.out. Returns the process (harness-owned) or NULL. */
e2e_proc_t *e2e_svcfw (const char *dir, const char *plugin_path,
                       const char *addresses_json, const char *config_json, ...)
    __attribute__ ((sentinel));

/* e2e_svcfw with the extra arguments as a NULL-terminated array. */
e2e_proc_t *e2e_svcfw_argv (const char *dir, const char *plugin_path,
                            const char *addresses_json, const char *config_json,
                            const char *const extra[]);

/* Runs SVCFW_BIN with the NULL-terminated arguments, stdout to dir/NAME.out
   and stderr to dir/NAME.err (NAME made unique), and waits for it to exit
   (E2E_EXIT_MS, then SIGKILL). Returns the process, exited, with its status
   available through e2e_exit_code. */
e2e_proc_t *e2e_svcfw_run (const char *dir, const char *name, ...)
    __attribute__ ((sentinel));

/* The exit code of an exited process; -1 if it is still running or was
   ended by a signal. */
int e2e_exit_code (e2e_proc_t *self);

/* Asserts that the exited process `proc` ended with exit code `code` and
   wrote exactly one line to stderr, matching the POSIX extended regex
   `line_re` and containing every needle of the NULL-terminated list.
   Dumps the output and fails the test (at the caller's line) otherwise.
   For e2e_svcfw_run. */
#define e2e_assert_one_line(...) e2e_assert_one_line_at (__FILE__, __LINE__, __VA_ARGS__)
void e2e_assert_one_line_at (const char *file, int line, e2e_proc_t *proc, int code,
                             const char *line_re, ...)
    __attribute__ ((sentinel));

/* The contract's start-up error and usage error lines. */
#define E2E_ERROR_RE "^svcfw: error: [^\n]+\n?$"
#define E2E_USAGE_RE "^svcfw: usage: [^\n]+ \\(see svcfw --help\\)\n?$"

/* Asserts the process is ready, dumping its output first if not. */
#define E2E_ASSERT_READY(proc)                                                  \
    do {                                                                        \
        e2e_proc_t *e2e_p_ = (proc);                                            \
        assert_non_null (e2e_p_);                                               \
        if (!e2e_wait_ready (e2e_p_)) {                                         \
            e2e_dump (e2e_p_);                                                  \
            fail_msg ("svcfw did not log ' ready: ' within %d ms", E2E_READY_MS); \
        }                                                                       \
    } while (0)

/* Asserts the process logs `needle` within `ms`, dumping its output if not. */
#define E2E_ASSERT_LOG(proc, needle, ms)                                        \
    do {                                                                        \
        e2e_proc_t *e2e_p_ = (proc);                                            \
        const char *e2e_n_ = (needle);                                          \
        if (!e2e_wait_log (e2e_p_, e2e_n_, (ms))) {                             \
            e2e_dump (e2e_p_);                                                  \
            fail_msg ("expected \"%s\" in %s within %d ms", e2e_n_,             \
                      e2e_proc_out (e2e_p_), (int) (ms));                       \
        }                                                                       \
    } while (0)

/* ---- Addresses and raw ZeroMQ peers --------------------------------------- */

/* A TCP port on 127.0.0.1 that was free a moment ago (bind port 0,
   getsockname, close), never one handed out before in this process. */
int e2e_tcp_port (void);

/* "tcp://127.0.0.1:PORT" and "127.0.0.1:PORT". Harness-owned. */
char *e2e_endpoint (int port);
char *e2e_addr (int port);

/* Raw peers: REQ, DEALER and SUB connect to `endpoint`; e2e_rep and e2e_pub bind it,
   e2e_pub_connect connects to it; e2e_xpub and e2e_sub_bind bind (an XPUB
   receives each subscription as a frame "\x01TOPIC", so a test knows when
   a subscriber is there). Each has linger 0 and send/receive
   timeouts of E2E_REPLY_MS, so nothing hangs. SUB subscribes to `topic`.
   Harness-owned; NULL on failure. */
zsock_t *e2e_req (const char *endpoint);
zsock_t *e2e_rep (const char *endpoint);
zsock_t *e2e_dealer (const char *endpoint);
zsock_t *e2e_pub (const char *endpoint);
zsock_t *e2e_pub_connect (const char *endpoint);
zsock_t *e2e_xpub (const char *endpoint);
zsock_t *e2e_sub (const char *endpoint, const char *topic);
zsock_t *e2e_sub_bind (const char *endpoint, const char *topic);

/* Receives one message on a raw socket within E2E_REPLY_MS. Returns it
   (harness-owned; do not destroy) or NULL on timeout. */
zmsg_t *e2e_recv (zsock_t *sock);

/* The text of frame `index` of msg (harness-owned), or NULL if there is no
   such frame. */
char *e2e_frame_text (zmsg_t *msg, size_t index);

/* Destroys a harness socket early; accepts NULL and nulls the pointer. */
void e2e_sock_destroy (zsock_t **sock_p);

/* Sends one frame of `len` bytes on a REQ socket and waits for a
   one-frame reply. Returns the reply parsed as JSON (harness-owned), or NULL
   on timeout, a multi-frame reply or a reply that is not JSON. */
cJSON *e2e_request_bytes (zsock_t *req, const void *data, size_t len);

/* e2e_request_bytes with a NUL-terminated text. */
cJSON *e2e_request (zsock_t *req, const char *text);

/* Sends a multi-frame message (`count` frames of text) on a REQ socket and
   waits for a reply as e2e_request does. */
cJSON *e2e_request_frames (zsock_t *req, const char *const frames[], int count);

/* For a reply: error.kind, or NULL if the reply is not an error reply.
   Borrowed from the reply. */
const char *e2e_reply_kind (const cJSON *reply);

/* For a reply: its workflow_id string, or NULL. Borrowed from the reply. */
const char *e2e_reply_wf (const cJSON *reply);

/* Sends frames of text on a PUB socket (or any socket). Returns 0 or -1. */
int e2e_send_frames (zsock_t *sock, const char *const frames[], int count);

/* Takes `value` (may be NULL) into the harness, which frees it at
   teardown. Returns it. */
cJSON *e2e_keep_json (cJSON *value);

/* Prints a cJSON value compactly. Harness-owned. */
char *e2e_json (const cJSON *value);

/* Regex for a fresh workflow id: 36 chars, lowercase UUID. */
#define E2E_UUID_RE "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"

/* Milliseconds on a monotonic clock. */
long long e2e_now_ms (void);

/* ---- A raw HTTP client (the admin endpoint), every call bounded -------- */

/* A TCP connection to 127.0.0.1:port; the fd (the caller closes it), or -1. */
int e2e_tcp_connect (int port);

/* Reads from fd until the peer closes or timeout_ms passed; returns the
   bytes (harness-owned, NUL-terminated), their length in *len. */
char *e2e_read_all (int fd, int timeout_ms, size_t *len);

/* Sends `request` to 127.0.0.1:port and reads the whole response; returns
   its HTTP status (0 if none) and sets *body (harness-owned) to what
   follows the head. */
int e2e_http_raw (int port, const char *request, const char **body);

/* GET path: e2e_http_raw with a minimal request. */
int e2e_http_get (int port, const char *path, const char **body);

/* The value of the Prometheus series line that starts with `series` (its
   name and labels exactly as rendered), or -1 if there is none. */
double e2e_metric_value (const char *text, const char *series);

#endif
