/*  log.c - console and file log lines with time, level, service and workflow id.

    Two defences against what peers can do to a log:
    - Escaping. Every line is escaped once, here, after formatting: control
      characters (C0, DEL), C1 controls (U+0080..U+009F, among them the
      8-bit CSI) and bytes that are not UTF-8 become visible escapes, so no
      text a peer supplied (workflow ids, error details, topics) can start a
      new line or drive a terminal.
    - Rate limiting. The framework's lines are counted per cause: the call
      site (format string) and level, plus the line's subject, its text up
      to the second ": " ("orders: handler failed"), so different
      connections and fault kinds are counted apart. The first S_BURST lines
      of a cause in a window of S_WINDOW_MS are written; the rest are only
      counted, and one line "suppressed K similar lines ..." follows when
      the window has passed (written with the next line or at log_close).
      Plugin lines (log_vwrite_plugin) are escaped but not limited.

    Formats (log_set_format): text, as above, optionally coloured by level
    on the console; or JSON, one object a line, for console and file:
      {"time": "2026-12-01T11:18:41.329Z", "severity": "INFO",
       "message": "...", "service": "...", "workflow_id": "..." or null,
       "trace_id": "...", "span_id": "..." (only while a traced message is handled)}
    JSON strings are escaped as RFC 8259 asks ("\\", "\"", control
    characters as \n \r \t or \u00XX), and further: C1 controls and DEL
    as \u00XX, bytes that are not UTF-8 as \ufffd, so a line is valid JSON
    (I-JSON) and still safe on a terminal whatever a peer sent.
*/
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "utf8.h"

#define S_BURST       20            //  lines of one cause written per window
#define S_WINDOW_MS   30000         //  the window
#define S_CAUSES      128           //  causes tracked at once (a power of 2)
#define S_SUBJECT_MAX 64            //  bytes of a line that name its subject
#define S_SAMPLE_MAX  200           //  bytes of the last line kept for the summary

typedef struct {
    uint64_t key;                   //  hash of format, level and subject; 0: free
    int level;                      //  the cause's level, for its summary line
    int64_t window_start;           //  ms, monotonic
    int written;                    //  lines written in this window
    uint64_t suppressed;            //  lines counted, not written, in this window
    char sample [S_SAMPLE_MAX + 1]; //  the last written line's message, escaped
} s_cause_t;

static struct {
    pthread_mutex_t lock;         //  one line at a time across threads
    char service [128];           //  service name in every line
    int console_level;            //  lines below this skip stderr
    int file_level;               //  lines below this skip the file
    FILE *file;                   //  -l file, or NULL
    atomic_int min_level;         //  min of the active levels, for log_enabled (read without the lock)
    int burst;                    //  rate limit: lines per cause per window (0: none)
    int window_ms;                //  rate limit: the window
    int64_t next_due;             //  earliest end of a window with suppressed lines (0: none)
    s_cause_t causes [S_CAUSES];  //  open addressing on key
    s_cause_t overflow;           //  every cause that finds the table full
    bool json;                    //  JSON lines (console and file)
    bool color;                   //  text lines on the console coloured by level
} s_log = { PTHREAD_MUTEX_INITIALIZER, "svcfw", SVCFW_LOG_INFO, SVCFW_LOG_INFO, NULL,
            SVCFW_LOG_INFO, S_BURST, S_WINDOW_MS, 0, { { 0 } }, { 0 }, false, false };

static __thread const char *s_workflow_id;
static __thread const char *s_trace_id, *s_span_id;     //  the handled message's trace, or NULL (log_set_trace)
static volatile int s_file_fd = -1;     //  the log file's descriptor, for the crash report (crash.c)

static const char *
s_level_name (int level)
{
    if (level >= SVCFW_LOG_ERROR)   return "ERROR";
    if (level >= SVCFW_LOG_WARNING) return "WARNING";
    if (level >= SVCFW_LOG_INFO)    return "INFO";
    return "DEBUG";
}

static int64_t
s_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

//  The one escaper behind log_escape (text lines) and log_json_escape (JSON
//  strings): printable ASCII and valid UTF-8 pass; \n \r \t as such; other
//  controls, ESC, DEL and the C1 range (U+0080..U+009F, the 8-bit CSI among
//  them) escaped; a byte that is not UTF-8 as \xHH (text) or U+FFFD (JSON,
//  which also escapes '"' and '\\').
static size_t
s_escape (const char *text, size_t len, char *out, size_t size, bool json)
{
    const unsigned char *p = (const unsigned char *) text, *end = p + len;
    size_t o = 0;
    if (!size)
        return 0;
    while (p < end) {
        char piece [8];
        size_t n;
        const unsigned char *from = p;
        if (json && (*p == '"' || *p == '\\')) {
            piece [0] = '\\';
            piece [1] = (char) *p++;
            n = 2;
        }
        else if (*p >= 0x20 && *p < 0x7F) {
            piece [0] = (char) *p++;
            n = 1;
        }
        else if (*p == '\n' || *p == '\r' || *p == '\t') {
            piece [0] = '\\';
            piece [1] = *p == '\n'? 'n': *p == '\r'? 'r': 't';
            p++;
            n = 2;
        }
        else if (*p < 0x80)                     //  other C0 controls, ESC, DEL
            n = (size_t) snprintf (piece, sizeof piece, json? "\\u%04x": "\\x%02x", *p++);
        else if ((n = utf8_sequence (p, end)) == 0) {
            if (json)
                memcpy (piece, "\\ufffd", n = 6);
            else
                n = (size_t) snprintf (piece, sizeof piece, "\\x%02x", *p);
            p++;
        }
        else if (n == 2 && p [0] == 0xC2 && p [1] < 0xA0) {
            n = (size_t) snprintf (piece, sizeof piece, "\\u%04x", p [1]);
            p += 2;
        }
        else {
            p += n;
            if (o + n >= size)
                break;
            memcpy (out + o, from, n);
            o += n;
            continue;
        }
        if (o + n >= size)
            break;
        memcpy (out + o, piece, n);
        o += n;
    }
    out [o] = 0;
    return o;
}

size_t
log_escape (const char *text, size_t len, char *out, size_t size)
{
    return s_escape (text, len, out, size, false);
}

//  The cause of a line: its format and level, and its subject, the text up
//  to the second ": " (or the first, if there is one; at most
//  S_SUBJECT_MAX bytes). FNV-1a, never 0 (0 marks a free slot).
static uint64_t
s_cause_key (const char *fmt, int level, const char *message)
{
    const char *first = strstr (message, ": ");
    const char *second = first? strstr (first + 2, ": "): NULL;
    size_t len = second? (size_t) (second - message): first? (size_t) (first - message): 0;
    if (len > S_SUBJECT_MAX)
        len = S_SUBJECT_MAX;
    uint64_t hash = 14695981039346656037ULL;
    uint64_t seed = (uint64_t) (uintptr_t) fmt ^ ((uint64_t) level << 56);
    for (int i = 0; i < 8; i++) {
        hash ^= (seed >> (i * 8)) & 0xFF;
        hash *= 1099511628211ULL;
    }
    for (size_t i = 0; i < len; i++) {
        hash ^= (unsigned char) message [i];
        hash *= 1099511628211ULL;
    }
    return hash? hash: 1;
}

//  The slot of a cause. A slot whose window has passed with nothing
//  suppressed is reused; when no slot is free the shared overflow slot
//  counts the cause. Under the lock.
static s_cause_t *
s_cause (uint64_t key, int level, int64_t now)
{
    s_cause_t *reuse = NULL;
    for (size_t probe = 0; probe < S_CAUSES; probe++) {
        s_cause_t *cause = &s_log.causes [(key + probe) & (S_CAUSES - 1)];
        if (cause->key == key)
            return cause;
        if (!reuse && (!cause->key || (!cause->suppressed && now - cause->window_start >= s_log.window_ms)))
            reuse = cause;
        if (!cause->key)
            break;
    }
    if (!reuse) {
        if (!s_log.overflow.key) {
            s_log.overflow.key = 1;
            s_log.overflow.level = level;
            s_log.overflow.window_start = now;
        }
        return &s_log.overflow;
    }
    memset (reuse, 0, sizeof *reuse);
    reuse->key = key;
    reuse->level = level;
    reuse->window_start = now;
    return reuse;
}

//  The time of a line, RFC 3339 in UTC with milliseconds, into out (32 bytes).
static void
s_time (char *out, size_t size)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    snprintf (out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
              tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
}

//  Formats the fixed part of a text line: "TIME LEVEL SERVICE [WF] ".
//  Returns its length.
static size_t
s_header (char *line, size_t size, int level, const char *workflow_id)
{
    char time [40];
    s_time (time, sizeof time);
    char id [256];
    if (workflow_id && *workflow_id)
        log_escape (workflow_id, strlen (workflow_id), id, sizeof id);
    else
        strcpy (id, "-");
    int n = snprintf (line, size, "%s %-7s %s [%s] ", time, s_level_name (level), s_log.service, id);
    return n < 0? 0: (size_t) n < size? (size_t) n: size - 1;
}

size_t
log_json_escape (const char *text, size_t len, char *out, size_t size)
{
    return s_escape (text, len, out, size, true);
}

//  Writes one line of `level` with its message (raw, `len` bytes) to the
//  sinks `level` reaches, in the format set. Under the lock.
static void
s_emit (int level, const char *workflow_id, const char *trace_id, const char *span_id,
        const char *message, size_t len)
{
    char line [8192 + 512];
    size_t n;
    if (s_log.json) {
        char time [40];
        s_time (time, sizeof time);
        n = (size_t) snprintf (line, sizeof line, "{\"time\":\"%s\",\"severity\":\"%s\",\"message\":\"",
                               time, s_level_name (level));
        //  Room kept for the rest of the object: service and id (escaped, cut at 600 bytes).
        n += log_json_escape (message, len, line + n, sizeof line - n - 1400);
        n += (size_t) snprintf (line + n, sizeof line - n, "\",\"service\":\"");
        n += log_json_escape (s_log.service, strlen (s_log.service), line + n, 300);
        if (workflow_id && *workflow_id) {
            n += (size_t) snprintf (line + n, sizeof line - n, "\",\"workflow_id\":\"");
            n += log_json_escape (workflow_id, strlen (workflow_id), line + n, 600);
            n += (size_t) snprintf (line + n, sizeof line - n, "\"");
        }
        else
            n += (size_t) snprintf (line + n, sizeof line - n, "\",\"workflow_id\":null");
        //  The ids are hex made by trace/ (log_set_trace): nothing to escape.
        if (trace_id && span_id)
            n += (size_t) snprintf (line + n, sizeof line - n, ",\"trace_id\":\"%.32s\",\"span_id\":\"%.16s\"",
                                    trace_id, span_id);
        n += (size_t) snprintf (line + n, sizeof line - n, "}\n");
    }
    else {
        n = s_header (line, sizeof line, level, workflow_id);
        n += log_escape (message, len, line + n, sizeof line - 1 - n);
        line [n++] = '\n';
        line [n] = 0;
    }
    if (level >= s_log.console_level) {
        if (s_log.color && !s_log.json) {
            const char *color = level >= SVCFW_LOG_ERROR? "\033[31m": level >= SVCFW_LOG_WARNING? "\033[33m":
                                level >= SVCFW_LOG_INFO? "\033[32m": "\033[2m";
            fprintf (stderr, "%s%.*s\033[0m\n", color, (int) (n - 1), line);
        }
        else
            fputs (line, stderr);
    }
    if (s_log.file && level >= s_log.file_level) {
        fputs (line, s_log.file);
        fflush (s_log.file);
    }
}

void
log_set_format (bool json, int color)
{
    pthread_mutex_lock (&s_log.lock);
    s_log.json = json;
    s_log.color = color == LOG_COLOR_ALWAYS || (color == LOG_COLOR_AUTO && isatty (STDERR_FILENO));
    pthread_mutex_unlock (&s_log.lock);
}

//  Writes the summary of a cause's suppressed lines and starts its next
//  window. Under the lock.
static void
s_summarize (s_cause_t *cause, int64_t now)
{
    if (cause->suppressed) {
        char message [1024];
        int n = snprintf (message, sizeof message,
                          "suppressed %" PRIu64 " similar lines in %.1f s (after %d written), the last "
                          "written: %s", cause->suppressed, (double) (now - cause->window_start) / 1000.0,
                          cause->written, cause->sample);
        if (n > 0)
            s_emit (cause->level, NULL, NULL, NULL, message, (size_t) n < sizeof message? (size_t) n: sizeof message - 1);
    }
    cause->window_start = now;
    cause->written = 0;
    cause->suppressed = 0;
}

//  Summarizes every cause whose window has passed (all, if `all`) and
//  finds the next window end to watch. Under the lock.
static void
s_summarize_due (int64_t now, bool all)
{
    s_log.next_due = 0;
    for (size_t index = 0; index <= S_CAUSES; index++) {
        s_cause_t *cause = index < S_CAUSES? &s_log.causes [index]: &s_log.overflow;
        if (!cause->key || !cause->suppressed)
            continue;
        int64_t due = cause->window_start + s_log.window_ms;
        if (all || now >= due)
            s_summarize (cause, now);
        else if (!s_log.next_due || due < s_log.next_due)
            s_log.next_due = due;
    }
}

int
log_open (const char *service, int console_level, const char *file_path,
          int file_level, char *err)
{
    //  Open first: a failure changes nothing.
    FILE *file = NULL;
    if (file_path) {
        file = fopen (file_path, "a");
        if (!file)
            return err_set (err, "%s: cannot open log file: %s", file_path, strerror (errno));
    }
    pthread_mutex_lock (&s_log.lock);
    if (service)
        snprintf (s_log.service, sizeof s_log.service, "%s", service);
    s_log.console_level = console_level;
    s_log.file_level = file_level;
    if (file) {
        if (s_log.file)
            fclose (s_log.file);
        s_log.file = file;
        s_file_fd = fileno (file);
    }
    int min_level = s_log.console_level;
    if (s_log.file && s_log.file_level < min_level)
        min_level = s_log.file_level;
    atomic_store_explicit (&s_log.min_level, min_level, memory_order_relaxed);
    pthread_mutex_unlock (&s_log.lock);
    return 0;
}

void
log_set_rate_limit (int burst, int window_ms)
{
    pthread_mutex_lock (&s_log.lock);
    s_summarize_due (s_now_ms (), true);
    s_log.burst = burst > 0? burst: 0;
    s_log.window_ms = window_ms > 0? window_ms: S_WINDOW_MS;
    memset (s_log.causes, 0, sizeof s_log.causes);
    memset (&s_log.overflow, 0, sizeof s_log.overflow);
    pthread_mutex_unlock (&s_log.lock);
}

void
log_close (void)
{
    pthread_mutex_lock (&s_log.lock);
    s_summarize_due (s_now_ms (), true);
    if (s_log.file)
        fclose (s_log.file);
    s_log.file = NULL;
    s_file_fd = -1;
    atomic_store_explicit (&s_log.min_level, s_log.console_level, memory_order_relaxed);
    pthread_mutex_unlock (&s_log.lock);
}

bool
log_enabled (int level)
{
    return level >= atomic_load_explicit (&s_log.min_level, memory_order_relaxed);
}

int
log_file_fd (void)
{
    return s_file_fd;
}

const char *
log_service (void)
{
    return s_log.service;
}

void
log_set_workflow_id (const char *workflow_id)
{
    s_workflow_id = workflow_id;
}

void
log_set_trace (const char *trace_id, const char *span_id)
{
    s_trace_id = trace_id;
    s_span_id = span_id;
}

const char *
log_workflow_id (void)
{
    return s_workflow_id;
}

static void
s_vwrite (int level, bool limited, const char *fmt, va_list args)
{
    if (!log_enabled (level))
        return;
    //  A longer message is cut rather than allocated for.
    char message [4096];
    int m = vsnprintf (message, sizeof message, fmt, args);
    if (m < 0)
        return;
    size_t message_len = (size_t) m < sizeof message? (size_t) m: sizeof message - 1;

    pthread_mutex_lock (&s_log.lock);
    int64_t now = s_now_ms ();
    if (s_log.next_due && now >= s_log.next_due)
        s_summarize_due (now, false);
    s_cause_t *cause = NULL;
    if (limited && s_log.burst) {
        cause = s_cause (s_cause_key (fmt, level, message), level, now);
        if (now - cause->window_start >= s_log.window_ms)
            s_summarize (cause, now);
        if (cause->written >= s_log.burst) {
            if (!cause->suppressed++) {
                int64_t due = cause->window_start + s_log.window_ms;
                if (!s_log.next_due || due < s_log.next_due)
                    s_log.next_due = due;
            }
            pthread_mutex_unlock (&s_log.lock);
            return;
        }
        cause->written++;
    }
    if (cause)
        log_escape (message, message_len < S_SAMPLE_MAX? message_len: S_SAMPLE_MAX,
                    cause->sample, sizeof cause->sample);
    s_emit (level, s_workflow_id, s_trace_id, s_span_id, message, message_len);
    pthread_mutex_unlock (&s_log.lock);
}

void
log_vwrite (int level, const char *fmt, va_list args)
{
    s_vwrite (level, true, fmt, args);
}

void
log_vwrite_plugin (int level, const char *fmt, va_list args)
{
    s_vwrite (level, false, fmt, args);
}

void
log_write (int level, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    s_vwrite (level, true, fmt, args);
    va_end (args);
}
