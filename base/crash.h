/*  crash.h - the crash report: what a fatal signal leaves in the log.

    A handler that crashes the process (SIGSEGV, SIGBUS, SIGFPE, SIGILL,
    SIGABRT) leaves one ERROR line naming the call that was running on the
    crashing thread (connection, handler, workflow id; or "outside any
    handler"), then a stack trace, on the console and in the log file; then
    the process dies of that same signal, so a supervisor sees it.

    @discuss
    The report is written from the signal handler with async-signal-safe
    calls only: write(2), clock_gettime, backtrace_symbols_fd (backtrace is
    called once at install, so its lazy loading of the unwinder is done
    before any crash). The current call is a per-thread record (the
    names it points to, the workflow id in a fixed-size buffer), set by
    whoever calls a handler (crash_call_begin)
    and cleared after (crash_call_end), so no crash-time lookup is needed.
    The handler runs on an alternate signal stack, set for each thread that
    calls handlers, so a stack overflow is reported too. After the report
    the signal's previous action is restored (the default, or a sanitizer's
    handler, which then reports as well) and the signal raised again; a
    fault made by an instruction is simply made again.
    @end
*/
#ifndef CRASH_H_INCLUDED
#define CRASH_H_INCLUDED

/* Installs the crash handlers for the whole process and readies the
   calling thread's alternate stack. Call once, early, from the thread that
   will call handlers. Returns 0, or -1 if a handler cannot be installed
   (the process then keeps the default actions). */
int crash_install (void);

/* Records, for the calling thread, the call about to run: the connection,
   the handler's function name, the workflow id (each may be NULL). The
   two names are borrowed and must outlive the call (the models' strings);
   the workflow id is copied, cut to its buffer. Readies the thread's
   alternate stack the first time. Any thread. */
void crash_call_begin (const char *connection, const char *handler, const char *workflow_id);

/* Clears the calling thread's record: a crash now is outside any handler. */
void crash_call_end (void);

#endif
