/*  test_log.c - log: line format, levels per destination, workflow ids per thread, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"

#define MAX_LINES 2048

//  One parsed log line.
typedef struct {
    char level [16];
    char service [128];
    char id [256];
    char message [4096];
    time_t time;                //  the line's time, UTC
} s_line_t;

//  The lines of a file, parsed; fails the test on a line that is not
//  `YYYY-MM-DDTHH:MM:SS.mmmZ LEVEL SERVICE [ID] MESSAGE`.
typedef struct {
    s_line_t lines [MAX_LINES];
    int count;
} s_lines_t;

static s_lines_t s_lines;       //  big: static, not on the stack

static void
s_copy_match (char *out, size_t size, const char *text, const regmatch_t *match)
{
    size_t len = (size_t) (match->rm_eo - match->rm_so);
    if (len >= size)
        len = size - 1;
    memcpy (out, text + match->rm_so, len);
    out [len] = 0;
}

static const s_lines_t *
s_read_lines (const char *path)
{
    regex_t re;
    assert_int_equal (regcomp (&re,
        "^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\\.[0-9]{3}Z"
        " (DEBUG|INFO|WARNING|ERROR) +([^ ]+) \\[([^]]+)\\] (.*)$", REG_EXTENDED), 0);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    memset (&s_lines, 0, sizeof s_lines);
    static char text [16384];
    while (fgets (text, sizeof text, file)) {
        size_t len = strlen (text);
        if (len == 0 || text [len - 1] != '\n')
            fail_msg ("%s: line without a newline: <%s>", path, text);
        text [len - 1] = 0;
        regmatch_t m [11];
        if (regexec (&re, text, 11, m, 0))
            fail_msg ("%s: malformed log line <%s>", path, text);
        assert_true (s_lines.count < MAX_LINES);
        s_line_t *line = &s_lines.lines [s_lines.count++];
        char field [8];
        int parts [6];
        for (int i = 0; i < 6; i++) {
            s_copy_match (field, sizeof field, text, &m [i + 1]);
            parts [i] = atoi (field);
        }
        struct tm tm = { .tm_year = parts [0] - 1900, .tm_mon = parts [1] - 1, .tm_mday = parts [2],
                         .tm_hour = parts [3], .tm_min = parts [4], .tm_sec = parts [5] };
        line->time = timegm (&tm);
        s_copy_match (line->level, sizeof line->level, text, &m [7]);
        s_copy_match (line->service, sizeof line->service, text, &m [8]);
        s_copy_match (line->id, sizeof line->id, text, &m [9]);
        s_copy_match (line->message, sizeof line->message, text, &m [10]);
    }
    fclose (file);
    regfree (&re);
    return &s_lines;
}

static void
s_assert_line (const s_line_t *line, const char *level, const char *service, const char *id,
               const char *message)
{
    assert_string_equal (line->level, level);
    assert_string_equal (line->service, service);
    assert_string_equal (line->id, id);
    assert_string_equal (line->message, message);
    //  UTC, and now.
    time_t now = time (NULL);
    if (line->time < now - 5 || line->time > now + 1)
        fail_msg ("line time %ld is not now (%ld) in UTC", (long) line->time, (long) now);
}

//  A fresh, empty temp file path (free it).
static char *
s_temp_path (void)
{
    char *path = strdup ("/tmp/test_log_XXXXXX");
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    return path;
}

static void
s_remove (char **path_p)
{
    unlink (*path_p);
    free (*path_p);
    *path_p = NULL;
}

//  Sends stderr to a temp file until s_console_end; returns its path.
static int s_saved_stderr = -1;
static char *
s_console_begin (void)
{
    char *path = s_temp_path ();
    fflush (stderr);
    s_saved_stderr = dup (2);
    int fd = open (path, O_WRONLY | O_TRUNC);
    assert_true (fd >= 0 && s_saved_stderr >= 0);
    assert_int_equal (dup2 (fd, 2), 2);
    close (fd);
    return path;
}

static void
s_console_end (void)
{
    fflush (stderr);
    assert_int_equal (dup2 (s_saved_stderr, 2), 2);
    close (s_saved_stderr);
    s_saved_stderr = -1;
}

static void
s_write_all_levels (const char *tag)
{
    log_write (SVCFW_LOG_DEBUG, "%s debug %d", tag, 1);
    log_write (SVCFW_LOG_INFO, "%s info %s", tag, "two");
    log_write (SVCFW_LOG_WARNING, "%s warning", tag);
    log_write (SVCFW_LOG_ERROR, "%s error 100%%", tag);
}

static void
test_lines (void **state)
{
    (void) state;
    char *file_path = s_temp_path ();
    char *console_path = s_console_begin ();
    char err [ERR_LEN] = "(untouched)";
    int rc = log_open ("cancel_order", SVCFW_LOG_WARNING, file_path, SVCFW_LOG_DEBUG, err);

    log_set_workflow_id (NULL);
    assert_null (log_workflow_id ());
    s_write_all_levels ("plain");
    const char *id = "3f2b6a0e-1c1d-4f7e-9a55-0b1c2d3e4f50_2";
    log_set_workflow_id (id);
    assert_ptr_equal (log_workflow_id (), id);
    s_write_all_levels ("in flight");
    log_info ("macro %s", "info");
    log_debug ("macro %s", "debug");
    log_warning ("macro %s", "warning");
    log_error ("macro %s", "error");
    log_set_workflow_id (NULL);
    assert_null (log_workflow_id ());
    log_write (SVCFW_LOG_INFO, "after reset");
    log_close ();
    s_console_end ();
    assert_int_equal (rc, 0);
    assert_string_equal (err, "(untouched)");

    //  The file: every level, in order.
    const s_lines_t *file = s_read_lines (file_path);
    assert_int_equal (file->count, 13);
    s_assert_line (&file->lines [0], "DEBUG", "cancel_order", "-", "plain debug 1");
    s_assert_line (&file->lines [1], "INFO", "cancel_order", "-", "plain info two");
    s_assert_line (&file->lines [2], "WARNING", "cancel_order", "-", "plain warning");
    s_assert_line (&file->lines [3], "ERROR", "cancel_order", "-", "plain error 100%");
    s_assert_line (&file->lines [4], "DEBUG", "cancel_order", id, "in flight debug 1");
    s_assert_line (&file->lines [5], "INFO", "cancel_order", id, "in flight info two");
    s_assert_line (&file->lines [6], "WARNING", "cancel_order", id, "in flight warning");
    s_assert_line (&file->lines [7], "ERROR", "cancel_order", id, "in flight error 100%");
    s_assert_line (&file->lines [8], "INFO", "cancel_order", id, "macro info");
    s_assert_line (&file->lines [9], "DEBUG", "cancel_order", id, "macro debug");
    s_assert_line (&file->lines [10], "WARNING", "cancel_order", id, "macro warning");
    s_assert_line (&file->lines [11], "ERROR", "cancel_order", id, "macro error");
    s_assert_line (&file->lines [12], "INFO", "cancel_order", "-", "after reset");

    //  The console (stderr): the same lines at WARNING and above only.
    const s_lines_t *console = s_read_lines (console_path);
    assert_int_equal (console->count, 6);
    s_assert_line (&console->lines [0], "WARNING", "cancel_order", "-", "plain warning");
    s_assert_line (&console->lines [1], "ERROR", "cancel_order", "-", "plain error 100%");
    s_assert_line (&console->lines [2], "WARNING", "cancel_order", id, "in flight warning");
    s_assert_line (&console->lines [3], "ERROR", "cancel_order", id, "in flight error 100%");
    s_assert_line (&console->lines [4], "WARNING", "cancel_order", id, "macro warning");
    s_assert_line (&console->lines [5], "ERROR", "cancel_order", id, "macro error");

    s_remove (&file_path);
    s_remove (&console_path);
}

static void
test_levels (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    char *console_path = s_console_begin ();

    //  File at WARNING, console at ERROR: nothing below WARNING anywhere.
    int rc = log_open ("svc", SVCFW_LOG_ERROR, file_path, SVCFW_LOG_WARNING, err);
    bool enabled [4] = {
        log_enabled (SVCFW_LOG_DEBUG), log_enabled (SVCFW_LOG_INFO),
        log_enabled (SVCFW_LOG_WARNING), log_enabled (SVCFW_LOG_ERROR)
    };
    s_write_all_levels ("a");
    //  The macros do not even format a disabled line.
    int evaluated = 0;
    log_debug ("%d", ++evaluated);
    log_info ("%d", ++evaluated);

    //  File at DEBUG, console at ERROR: the minimum of the two counts.
    int rc2 = log_open ("svc", SVCFW_LOG_ERROR, file_path, SVCFW_LOG_DEBUG, err);
    bool debug_on_with_file = log_enabled (SVCFW_LOG_DEBUG);
    log_write (SVCFW_LOG_DEBUG, "b debug");

    //  No file: the console level alone decides.
    log_close ();
    bool after_close [4] = {
        log_enabled (SVCFW_LOG_DEBUG), log_enabled (SVCFW_LOG_INFO),
        log_enabled (SVCFW_LOG_WARNING), log_enabled (SVCFW_LOG_ERROR)
    };
    log_write (SVCFW_LOG_WARNING, "c warning, file closed");
    log_write (SVCFW_LOG_ERROR, "c error, file closed");
    int rc3 = log_open ("svc", SVCFW_LOG_DEBUG, NULL, SVCFW_LOG_ERROR, err);
    bool debug_on_console = log_enabled (SVCFW_LOG_DEBUG);
    log_write (SVCFW_LOG_DEBUG, "d debug");
    log_open ("svc", SVCFW_LOG_INFO, NULL, SVCFW_LOG_DEBUG, err);
    s_console_end ();

    assert_int_equal (rc, 0);
    assert_int_equal (rc2, 0);
    assert_int_equal (rc3, 0);
    assert_false (enabled [0]);
    assert_false (enabled [1]);
    assert_true (enabled [2]);
    assert_true (enabled [3]);
    assert_int_equal (evaluated, 0);
    assert_true (debug_on_with_file);
    assert_false (after_close [0]);
    assert_false (after_close [1]);
    assert_false (after_close [2]);
    assert_true (after_close [3]);
    assert_true (debug_on_console);

    const s_lines_t *file = s_read_lines (file_path);
    assert_int_equal (file->count, 3);
    s_assert_line (&file->lines [0], "WARNING", "svc", "-", "a warning");
    s_assert_line (&file->lines [1], "ERROR", "svc", "-", "a error 100%");
    s_assert_line (&file->lines [2], "DEBUG", "svc", "-", "b debug");

    const s_lines_t *console = s_read_lines (console_path);
    assert_int_equal (console->count, 3);
    s_assert_line (&console->lines [0], "ERROR", "svc", "-", "a error 100%");
    s_assert_line (&console->lines [1], "ERROR", "svc", "-", "c error, file closed");
    s_assert_line (&console->lines [2], "DEBUG", "svc", "-", "d debug");

    s_remove (&file_path);
    s_remove (&console_path);
}

//  log_open before the service name is known keeps the name it had; a later
//  call sets it; a reopen appends rather than truncates.
static void
test_service_name_and_append (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("first", SVCFW_LOG_ERROR, file_path, SVCFW_LOG_INFO, err), 0);
    log_write (SVCFW_LOG_INFO, "one");
    assert_int_equal (log_open (NULL, SVCFW_LOG_ERROR, file_path, SVCFW_LOG_INFO, err), 0);
    log_write (SVCFW_LOG_INFO, "two");
    char long_name [300];
    memset (long_name, 'n', sizeof long_name - 1);
    long_name [sizeof long_name - 1] = 0;
    assert_int_equal (log_open ("second.svc", SVCFW_LOG_ERROR, file_path, SVCFW_LOG_INFO, err), 0);
    log_write (SVCFW_LOG_INFO, "three");
    assert_int_equal (log_open (long_name, SVCFW_LOG_ERROR, file_path, SVCFW_LOG_INFO, err), 0);
    log_write (SVCFW_LOG_INFO, "four");
    log_close ();

    const s_lines_t *file = s_read_lines (file_path);
    assert_int_equal (file->count, 4);
    s_assert_line (&file->lines [0], "INFO", "first", "-", "one");
    s_assert_line (&file->lines [1], "INFO", "first", "-", "two");
    s_assert_line (&file->lines [2], "INFO", "second.svc", "-", "three");
    //  a very long name may be cut, but the line keeps its shape
    assert_int_equal (strncmp (file->lines [3].service, long_name, 64), 0);
    assert_string_equal (file->lines [3].message, "four");
    s_remove (&file_path);
}

static void
test_long_message (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR + 1, file_path, SVCFW_LOG_DEBUG, err), 0);
    char *big = malloc (20001);
    memset (big, 'x', 20000);
    big [20000] = 0;
    log_set_workflow_id ("wf");
    log_write (SVCFW_LOG_INFO, "%s", big);
    log_write (SVCFW_LOG_INFO, "after");
    log_set_workflow_id (NULL);
    log_close ();
    free (big);

    //  Cut, but still one whole line, followed by the next one.
    const s_lines_t *file = s_read_lines (file_path);
    assert_int_equal (file->count, 2);
    assert_string_equal (file->lines [0].id, "wf");
    assert_true (strlen (file->lines [0].message) > 1000);
    assert_int_equal (strspn (file->lines [0].message, "x"), strlen (file->lines [0].message));
    s_assert_line (&file->lines [1], "INFO", "svc", "wf", "after");
    s_remove (&file_path);
}

static void
test_open_errors (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    assert_int_equal (log_open ("svc", SVCFW_LOG_INFO, "/nonexistent-dir/svc.log", SVCFW_LOG_DEBUG, err), -1);
    assert_string_equal (err, "/nonexistent-dir/svc.log: cannot open log file: No such file or directory");
    strcpy (err, "");
    assert_int_equal (log_open ("svc", SVCFW_LOG_INFO, "/tmp", SVCFW_LOG_DEBUG, err), -1);
    assert_non_null (strstr (err, "/tmp: cannot open log file: "));
    assert_null (strchr (err, '\n'));
}

//  After a failed log_open, log_enabled still says whether a line would be
//  written anywhere (whatever settings the log keeps).
static void
test_enabled_after_failed_open (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR, file_path, SVCFW_LOG_DEBUG, err), 0);
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR, "/nonexistent-dir/svc.log", SVCFW_LOG_ERROR, err), -1);
    bool enabled = log_enabled (SVCFW_LOG_DEBUG);
    log_write (SVCFW_LOG_DEBUG, "debug after failed open");
    log_close ();
    const s_lines_t *file = s_read_lines (file_path);
    int written = file->count;
    s_remove (&file_path);
    log_open ("svc", SVCFW_LOG_INFO, NULL, SVCFW_LOG_DEBUG, err);
    if (enabled != (written == 1))
        fail_msg ("log_enabled (DEBUG) is %s, but the debug line was %swritten",
                  enabled? "true": "false", written? "": "not ");
}

//  The workflow id belongs to the calling thread; lines from many threads
//  never interleave.
static void *
s_thread (void *arg)
{
    int n = (int) (intptr_t) arg;
    log_write (SVCFW_LOG_INFO, "thread %d before", n);      //  no id of its own yet
    char id [32];
    snprintf (id, sizeof id, "t%d", n);
    log_set_workflow_id (id);
    for (int i = 0; i < 200; i++)
        log_write (SVCFW_LOG_INFO, "thread %d line %d %s", n, i,
                   "padding padding padding padding padding padding padding padding padding");
    log_set_workflow_id (NULL);
    return NULL;
}

static void
test_threads (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR, file_path, SVCFW_LOG_DEBUG, err), 0);
    log_set_rate_limit (0, 0);          //  every line counts here
    log_set_workflow_id ("main-wf");
    pthread_t threads [4];
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads [i], NULL, s_thread, (void *) (intptr_t) i), 0);
    log_write (SVCFW_LOG_INFO, "main");
    for (int i = 0; i < 4; i++)
        pthread_join (threads [i], NULL);
    assert_string_equal (log_workflow_id (), "main-wf");
    log_set_workflow_id (NULL);
    log_close ();

    const s_lines_t *file = s_read_lines (file_path);       //  every line well formed
    assert_int_equal (file->count, 4 * 201 + 1);
    int per_thread [4] = { 0 };
    for (int i = 0; i < file->count; i++) {
        const s_line_t *line = &file->lines [i];
        int n, k;
        if (strcmp (line->message, "main") == 0)
            assert_string_equal (line->id, "main-wf");
        else if (sscanf (line->message, "thread %d line %d", &n, &k) == 2) {
            char id [32];
            snprintf (id, sizeof id, "t%d", n);
            assert_string_equal (line->id, id);
            assert_int_equal (k, per_thread [n]++);         //  in order per thread
        }
        else {
            assert_int_equal (sscanf (line->message, "thread %d before", &n), 1);
            assert_string_equal (line->id, "-");
        }
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal (per_thread [i], 200);
    log_set_rate_limit (20, 30000);
    s_remove (&file_path);
}

//  s_plugin_write: a plugin's line, through the va_list entry.
static void
s_plugin_write (int level, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    log_vwrite_plugin (level, fmt, args);
    va_end (args);
}

//  Text a peer supplied cannot forge a line or reach a terminal raw: a
//  workflow id with a newline and an ANSI escape, a message quoting peer
//  text with C0, DEL, ESC, 8-bit CSI (U+009B) and a byte that is not UTF-8.
static void
test_escapes (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR + 1, file_path, SVCFW_LOG_DEBUG, err), 0);
    log_set_workflow_id ("a\n2026-01-01T00:00:00.000Z ERROR   svc - FAKE LOG LINE\x1b[31m");
    log_write (SVCFW_LOG_WARNING, "orders: handler failed: %s",
               "bad\r\nFAKE\x1b[2J\x7f\x01\xc2\x9b""31m\xff caf\xc3\xa9");
    s_plugin_write (SVCFW_LOG_INFO, "plugin %s", "x\ny\x1b");
    log_set_workflow_id (NULL);
    log_close ();

    char *text = NULL;
    FILE *file = fopen (file_path, "r");
    assert_non_null (file);
    char buffer [8192];
    size_t len = fread (buffer, 1, sizeof buffer - 1, file);
    fclose (file);
    buffer [len] = 0;
    text = buffer;
    assert_null (memchr (text, 0x1b, len));
    assert_null (strstr (text, "\xc2\x9b"));
    const s_lines_t *lines = s_read_lines (file_path);
    assert_int_equal (lines->count, 2);
    assert_string_equal (lines->lines [0].id,
                         "a\\n2026-01-01T00:00:00.000Z ERROR   svc - FAKE LOG LINE\\x1b[31m");
    assert_string_equal (lines->lines [0].message,
                         "orders: handler failed: bad\\r\\nFAKE\\x1b[2J\\x7f\\x01\\u009b31m\\xff caf\xc3\xa9");
    assert_string_equal (lines->lines [1].message, "plugin x\\ny\\x1b");
    s_remove (&file_path);
}

//  A flood of one cause: the first `burst` lines, then one summary line
//  with the count of the rest; other causes and plugin lines unaffected.
static void
test_rate_limit (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR + 1, file_path, SVCFW_LOG_DEBUG, err), 0);
    log_set_rate_limit (20, 30000);
    for (int i = 0; i < 100000; i++)
        log_write (SVCFW_LOG_WARNING, "%s: handler failed: refused %d", "orders", i);
    //  Same call site, another subject: counted apart.
    for (int i = 0; i < 30; i++)
        log_write (SVCFW_LOG_WARNING, "%s: handler failed: refused %d", "prices", i);
    for (int i = 0; i < 50; i++)
        s_plugin_write (SVCFW_LOG_INFO, "plugin line %d", i);
    log_close ();                       //  the summaries are written at close

    const s_lines_t *lines = s_read_lines (file_path);
    int orders = 0, prices = 0, plugin = 0;
    const char *orders_summary = NULL, *prices_summary = NULL;
    for (int i = 0; i < lines->count; i++) {
        const char *message = lines->lines [i].message;
        if (strncmp (message, "orders: handler failed", 22) == 0) orders++;
        if (strncmp (message, "prices: handler failed", 22) == 0) prices++;
        if (strncmp (message, "plugin line", 11) == 0) plugin++;
        if (strncmp (message, "suppressed ", 11) == 0) {
            if (strstr (message, "orders: handler failed: refused 19"))
                orders_summary = message;
            if (strstr (message, "prices: handler failed: refused 19"))
                prices_summary = message;
        }
    }
    assert_int_equal (orders, 20);
    assert_int_equal (prices, 20);
    assert_int_equal (plugin, 50);
    assert_int_equal (lines->count, 20 + 20 + 50 + 2);
    assert_non_null (orders_summary);
    assert_non_null (prices_summary);
    assert_non_null (strstr (orders_summary, "suppressed 99980 similar lines"));
    assert_non_null (strstr (prices_summary, "suppressed 10 similar lines"));
    s_remove (&file_path);
}

//  When a window ends, its summary comes with the next line written, and
//  the cause may write again.
static void
test_rate_limit_window (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *file_path = s_temp_path ();
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR + 1, file_path, SVCFW_LOG_DEBUG, err), 0);
    log_set_rate_limit (3, 100);
    for (int i = 0; i < 10; i++)
        log_write (SVCFW_LOG_WARNING, "a: flood: %d", i);
    //  Poll: another line every 10 ms until the summary is in (bounded).
    struct timespec step = { 0, 10 * 1000000L };
    bool summarized = false;
    for (int tries = 0; tries < 500 && !summarized; tries++) {
        log_write (SVCFW_LOG_INFO, "b: tick");
        FILE *file = fopen (file_path, "r");
        char buffer [65536];
        size_t len = file? fread (buffer, 1, sizeof buffer - 1, file): 0;
        if (file)
            fclose (file);
        buffer [len] = 0;
        summarized = strstr (buffer, "suppressed 7 similar lines") != NULL;
        if (!summarized)
            nanosleep (&step, NULL);
    }
    assert_true (summarized);
    log_write (SVCFW_LOG_WARNING, "a: flood: %d", 10);       //  a new window
    log_set_rate_limit (20, 30000);
    log_close ();
    const s_lines_t *lines = s_read_lines (file_path);
    int flood = 0;
    for (int i = 0; i < lines->count; i++)
        if (strncmp (lines->lines [i].message, "a: flood: ", 10) == 0)
            flood++;
    assert_int_equal (flood, 4);
    s_remove (&file_path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_lines),
        cmocka_unit_test (test_levels),
        cmocka_unit_test (test_service_name_and_append),
        cmocka_unit_test (test_long_message),
        cmocka_unit_test (test_open_errors),
        cmocka_unit_test (test_enabled_after_failed_open),
        cmocka_unit_test (test_threads),
        cmocka_unit_test (test_escapes),
        cmocka_unit_test (test_rate_limit),
        cmocka_unit_test (test_rate_limit_window),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
