/*  service.h - one running service: service_run, and (dispatch.c) what
    connections and states call back.

    service_run is the whole life of the process after the command line:
    load the plugin, check and compile its models, build the config, resolve
    the addresses, wire the sockets, call the hooks, run the loop, stop on a
    signal (or when main mode's svcfw_main returns) and tear down.

    The connection modules call back into the service to run a handler and
    to count malformed input; nothing else in them knows about the plugin.
*/
#ifndef SERVICE_H_INCLUDED
#define SERVICE_H_INCLUDED

#include <stdint.h>
#include <cjson/cJSON.h>
#include "cli.h"
#include "envelope.h"
#include "models.h"
#include "svcfw.h"

typedef struct _service_t service_t;

/* Runs the service described by opts. Startup errors are printed as one line
   on stderr. Returns the process exit status (0 clean stop, main's return in
   main mode, 1 startup error). */
int service_run (const cli_opts_t *opts);

/* Calls `handler` for an inbound message on the loop thread: sets the
   message's workflow id (NULL: a fresh one is made) for the handler's sends
   and log lines, and collects its return args. Returns 0 with *return_args
   a fresh object or NULL (the caller owns it), or -1 with the handler's
   svcfw_fail text (or a default) in err. */
int service_call (service_t *self, svcfw_handler_fn *handler, const cJSON *args,
                  const char *workflow_id, cJSON **return_args, char *err);

/* service_call for a message that carries a "message_id" (NULL: none),
   which the handler reads with svcfw_message_id and which names its
   durable sends (ID_n). The same contract otherwise. */
int service_call_message (service_t *self, svcfw_handler_fn *handler, const cJSON *args,
                          const char *workflow_id, const char *message_id,
                          cJSON **return_args, char *err);

/* The path of a connection's store file (kind "outbox" or "inbox"): the
   creation argument `key` if given, else SERVICE.CONNECTION.KIND.db beside
   the config file (-c), or in the working directory without one. Writes it
   into path (`size` bytes). Returns 0, or -1 with err if it does not fit. */
int service_store_path (service_t *self, const model_t *model, const char *key, const char *kind,
                        char *path, size_t size, char *err);

#define SERVICE_PATH_LEN 4096

/* Writes a fresh workflow id (a version-4 UUID, 36 lowercase characters
   and a NUL) into out. Thread-safe. */
void service_uuid (char *out);

/* The workflow id of the message being handled on the loop thread, or NULL.
   Borrowed; valid during service_call. */
const char *service_workflow_id (service_t *self);

/* Counts an inbound fault on connection `name` (counts has FAULT_COUNT
   slots) and logs it: the first of each cause at WARNING, the rest at DEBUG. */
void service_fault (const char *name, uint64_t *counts, fault_t fault, const char *detail);

/* A file descriptor that becomes readable once a stop was asked for, for
   waits that must end early (svcfw_sleep, a requester's reply wait). */
int service_stop_fd (service_t *self);

/* The signalfd the loop reads SIGINT/SIGTERM from. A wait on the loop
   thread (a handler's request) polls it, without reading, to see a stop
   that the blocked loop has not processed yet. */
int service_signal_fd (service_t *self);

/* True once a stop was asked for. */
bool service_stopping (service_t *self);

/* Linger on every socket at shutdown, so a stop is bounded. */
#define SERVICE_LINGER_MS 1000

#endif
