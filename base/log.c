/*  log.c - console and file log lines with time, level, service and workflow id. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "log.h"

static struct {
    pthread_mutex_t lock;         //  one line at a time across threads
    char service [128];           //  service name in every line
    int console_level;            //  lines below this skip stderr
    int file_level;               //  lines below this skip the file
    FILE *file;                   //  -l file, or NULL
    int min_level;                //  min of the active levels, for log_enabled
} s_log = { PTHREAD_MUTEX_INITIALIZER, "svcfw", SVCFW_LOG_INFO, SVCFW_LOG_DEBUG, NULL, SVCFW_LOG_INFO };

static __thread const char *s_workflow_id;
static volatile int s_file_fd = -1;     //  the log file's descriptor, for the crash report (crash.c)

static const char *
s_level_name (int level)
{
    if (level >= SVCFW_LOG_ERROR)   return "ERROR";
    if (level >= SVCFW_LOG_WARNING) return "WARNING";
    if (level >= SVCFW_LOG_INFO)    return "INFO";
    return "DEBUG";
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
    s_log.min_level = s_log.console_level;
    if (s_log.file && s_log.file_level < s_log.min_level)
        s_log.min_level = s_log.file_level;
    pthread_mutex_unlock (&s_log.lock);
    return 0;
}

void
log_close (void)
{
    pthread_mutex_lock (&s_log.lock);
    if (s_log.file)
        fclose (s_log.file);
    s_log.file = NULL;
    s_file_fd = -1;
    s_log.min_level = s_log.console_level;
    pthread_mutex_unlock (&s_log.lock);
}

bool
log_enabled (int level)
{
    return level >= s_log.min_level;
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

const char *
log_workflow_id (void)
{
    return s_workflow_id;
}

void
log_vwrite (int level, const char *fmt, va_list args)
{
    if (!log_enabled (level))
        return;
    //  Format once, outside the lock, into a line buffer; a longer message
    //  is cut rather than allocated for.
    char line [4096];
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r (&now.tv_sec, &tm);
    int n = snprintf (line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-7s %s [%s] ",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, now.tv_nsec / 1000000, s_level_name (level), s_log.service,
                      s_workflow_id && *s_workflow_id? s_workflow_id: "-");
    if (n < 0)
        return;
    if ((size_t) n < sizeof line - 2) {
        int m = vsnprintf (line + n, sizeof line - 1 - n, fmt, args);
        if (m > 0)
            n += m < (int) (sizeof line - 1 - n)? m: (int) (sizeof line - 2 - n);
    }
    if ((size_t) n > sizeof line - 2)
        n = sizeof line - 2;
    line [n++] = '\n';
    line [n] = 0;

    pthread_mutex_lock (&s_log.lock);
    if (level >= s_log.console_level)
        fputs (line, stderr);
    if (s_log.file && level >= s_log.file_level) {
        fputs (line, s_log.file);
        fflush (s_log.file);
    }
    pthread_mutex_unlock (&s_log.lock);
}

void
log_write (int level, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    log_vwrite (level, fmt, args);
    va_end (args);
}
