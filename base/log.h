/*  log.h - the process's log: console (stderr) and an optional file.

    Every line: `TIME LEVEL SERVICE [WORKFLOW_ID] message`, time in UTC with
    milliseconds, `[-]` when no workflow id is current. The workflow id of a
    line is the calling thread's current one (log_set_workflow_id), so the
    framework's own lines written while a message is handled carry its id.
    Thread-safe: the loop thread and main mode's thread both write.

    Every line is escaped after formatting (log_escape), so text a peer
    supplied cannot forge a line or reach the terminal as a control
    sequence. The framework's own lines (log_write, log_vwrite and the
    macros) are rate-limited per cause: call site, level and subject (the
    text up to the second ": ", e.g. "orders: handler failed"). The first
    20 lines of a cause in 30 s are written, the rest counted, and one line
    "suppressed K similar lines ..." follows when the 30 s have passed (with
    the next line written) or at log_close.
*/
#ifndef LOG_H_INCLUDED
#define LOG_H_INCLUDED

#include <stdarg.h>
#include <stdbool.h>
#include "err.h"
#include "svcfw.h"

/* Sets up the log. `service` is copied. `file_path` may be NULL (no file).
   Returns 0, or -1 with err = "PATH: cannot open log file: REASON". May be
   called before a service name is known (NULL) and again later. */
int log_open (const char *service, int console_level, const char *file_path,
              int file_level, char *err);

/* Sets the rate limit: `burst` lines per cause per `window_ms` (burst 0:
   no limit). Writes the pending summaries first. For tests; the default is
   20 per 30000 ms. Any thread. */
void log_set_rate_limit (int burst, int window_ms);

/* The line format: JSON lines (console and file) if `json`, else text;
   text lines on the console are coloured by level with LOG_COLOR_ALWAYS,
   or LOG_COLOR_AUTO when stderr is a terminal. Any thread. */
#define LOG_COLOR_AUTO   0
#define LOG_COLOR_ALWAYS 1
#define LOG_COLOR_NEVER  2
void log_set_format (bool json, int color);

/* Escapes `len` bytes as the inside of a JSON string into `out` (`size`
   bytes, NUL-terminated; cut short at a whole escape): \" \\ \n \r \t,
   \u00XX for other controls (C0, DEL, C1), \ufffd for a byte that is not
   UTF-8. Returns the length written. Any thread. */
size_t log_json_escape (const char *text, size_t len, char *out, size_t size);

/* Escapes `len` bytes of text for a log line into `out` (`size` bytes,
   NUL-terminated; cut short, at a whole escape, when out is full): \n \r
   \t for those, \xHH for other C0 controls, ESC, DEL and bytes that are
   not UTF-8, \u00HH for C1 controls (U+0080..U+009F, e.g. the 8-bit CSI);
   other UTF-8 is kept. Returns the length written. Any thread. */
size_t log_escape (const char *text, size_t len, char *out, size_t size);

/* Writes the pending summaries, then closes the log file, if
   any. Lines after this go to the console only. */
void log_close (void);

/* True if a line at `level` would be written anywhere: callers test it
   before formatting anything costly. */
bool log_enabled (int level);

/* The log file's descriptor, or -1 without one, and the service name of
   every line (borrowed, valid until the next log_open): for the crash
   report (crash.c), which writes lines itself. Async-signal-safe. */
int log_file_fd (void);
const char *log_service (void);

/* Sets the calling thread's current workflow id (NULL: none). The string is
   borrowed and must stay valid until reset. */
void log_set_workflow_id (const char *workflow_id);

/* Sets the calling thread's current trace: JSON lines then carry
   "trace_id" (32 lowercase hex digits) and "span_id" (16), the span of the
   message being handled (trace/trace.h sets them). Both borrowed, valid
   until reset; NULL, NULL: none. */
void log_set_trace (const char *trace_id, const char *span_id);

/* The calling thread's current workflow id, or NULL. Borrowed. */
const char *log_workflow_id (void);

/* Writes one line (no trailing newline in fmt), escaped and rate-limited.
   `fmt` should be a string literal: its address is part of the cause. */
void log_write (int level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void log_vwrite (int level, const char *fmt, va_list args);

/* A plugin's line (svcfw_log): escaped but not rate-limited, since the
   plugin decides what it logs per message. */
void log_vwrite_plugin (int level, const char *fmt, va_list args);

#define log_debug(...)   do { if (log_enabled (SVCFW_LOG_DEBUG))   log_write (SVCFW_LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)    do { if (log_enabled (SVCFW_LOG_INFO))    log_write (SVCFW_LOG_INFO, __VA_ARGS__); } while (0)
#define log_warning(...) log_write (SVCFW_LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_write (SVCFW_LOG_ERROR, __VA_ARGS__)

#endif
