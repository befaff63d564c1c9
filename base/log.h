/*  log.h - the process's log: console (stderr) and an optional file.

    Every line: `TIME LEVEL SERVICE [WORKFLOW_ID] message`, time in UTC with
    milliseconds, `[-]` when no workflow id is current. The workflow id of a
    line is the calling thread's current one (log_set_workflow_id), so the
    framework's own lines written while a message is handled carry its id.
    Thread-safe: the loop thread and main mode's thread both write.
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

/* Closes the log file, if any. Lines after this go to the console only. */
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

/* The calling thread's current workflow id, or NULL. Borrowed. */
const char *log_workflow_id (void);

/* Writes one line (no trailing newline in fmt). */
void log_write (int level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void log_vwrite (int level, const char *fmt, va_list args);

#define log_debug(...)   do { if (log_enabled (SVCFW_LOG_DEBUG))   log_write (SVCFW_LOG_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...)    do { if (log_enabled (SVCFW_LOG_INFO))    log_write (SVCFW_LOG_INFO, __VA_ARGS__); } while (0)
#define log_warning(...) log_write (SVCFW_LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_write (SVCFW_LOG_ERROR, __VA_ARGS__)

#endif
