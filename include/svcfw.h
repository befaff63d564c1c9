/*  svcfw.h - the one public header of svcfw: what a service plugin exports and may call.

    A plugin is a shared library loaded by the `svcfw` executable. It exports
    `svcfw_abi_version` and `svcfw_models` (see SVCFW_PLUGIN below) and the
    handler functions its models name. Everything else is optional.

    The API symbols declared here are provided by the `svcfw` executable at
    load time; a plugin does not link against any svcfw library. JSON values
    are cJSON trees (Debian package libcjson-dev).

    This header is frozen per SVCFW_ABI_VERSION: calls may be added, but a
    change to an existing name or signature bumps the version.

    Model types and how a handler reads them (args arrive validated, so the
    read is exact; README.md, "Types"):

      type      what passes                               read with
      "str"     a string (never holding a NUL)            item->valuestring
      "int"     a whole number in -2147483648..2147483647 item->valueint
      "int64"   a whole number with |n| <= 2^53           (long long) item->valuedouble
      "float"   a finite number (integers too)            item->valuedouble
      "bool"    true or false                             cJSON_IsTrue (item)
      "dict", "list", nested {KEY: TYPE}, [TYPE], {"*": TYPE}, "any"
                the JSON value                            the cJSON API

    valueint is clamped by cJSON for numbers it cannot hold: read "int64"
    (and "float") only through valuedouble. Inbound JSON is I-JSON (RFC
    7493): no "\u0000" in a string and no repeated key in an object.

    Threads (SPEC §8). Handlers never run on the event loop's thread. By
    default every handler of a service (on_new_request, on_new_message,
    on_update) runs on one handler thread, one at a time, in arrival order
    per connection: a plugin needs no locks. A replyer or subscriber with
    the creation argument "workers": N has its own N threads, so up to N of
    its handlers run at once, beside the default thread (and svcfw_main, on
    its own thread in main mode). Then:
      - each call gets its own ctx: the svcfw_ calls on a ctx are safe;
      - svcfw_to_send is safe from any number of handlers at once: sends to
        one output go one at a time (a requester serves one call at a time,
        so parallel calls to one downstream wait for each other: declare one
        requester per handler that must call in parallel);
      - svcfw_state returns a copy made under the state's lock (valid until
        the handler returns or its next svcfw_state of that state);
      - svcfw_config, svcfw_log, svcfw_sleep are safe anywhere;
      - the plugin's own globals (counters, caches, files) are the plugin's
        to lock (a mutex, or C11 atomics) once it uses "workers".
*/
#ifndef SVCFW_H_INCLUDED
#define SVCFW_H_INCLUDED

#include <stdbool.h>
#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SVCFW_ABI_VERSION 1

/* Log levels, for svcfw_log. */
#define SVCFW_LOG_DEBUG   10
#define SVCFW_LOG_INFO    20
#define SVCFW_LOG_WARNING 30
#define SVCFW_LOG_ERROR   40

/* The runtime's context for one handler or hook call. Opaque: reach the
   runtime only through the functions below. Valid for the duration of the
   call that received it (svcfw_main's ctx: until svcfw_main returns). */
typedef struct _svcfw_ctx svcfw_ctx;

/* A handler, named in the models and resolved by name. `args` are the
   validated inbound args, borrowed for the call. A replyer's handler may set
   *return_args to a fresh cJSON object, which the runtime takes over
   (validates against the return model, sends, frees). Return 0 on success;
   anything else is a failure (use svcfw_fail to say why). */
typedef int (svcfw_handler_fn) (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args);

/* ---- What a handler or hook may call ------------------------------------ */

/* Sends args to the output `output_name` of `output_type` ("connection" or
   "state"), after validating them against its model. The caller keeps
   ownership of `args`. For a requester, pass `reply` to receive the validated
   return args: on success *reply is a fresh object the caller owns and frees
   with cJSON_Delete; on failure *reply is left NULL. For other outputs pass
   NULL. Returns 0, or -1 with the reason in svcfw_error(ctx). */
int svcfw_to_send (svcfw_ctx *ctx, const char *output_type, const char *output_name,
                   const cJSON *args, cJSON **reply);

/* The validated config in force. A reload (SIGHUP, or a change of the -c
   file) may put a new one in force while handlers run: each call returns
   the one in force at that moment, and every pointer it returned stays
   valid until the handler or hook that got it returns (svcfw_main's: until
   svcfw_main returns), whatever reloads happen meanwhile; read it again in
   each call rather than keeping it. Borrowed. Any thread. */
const cJSON *svcfw_config (svcfw_ctx *ctx);

/* The current value of the in- or out-state `name`, or NULL if there is no
   such state: a copy taken under the state's lock, owned by the ctx.
   Borrowed; valid until the handler returns or calls svcfw_state for the
   same state again on this ctx. */
const cJSON *svcfw_state (svcfw_ctx *ctx, const char *name);

/* The time left, in milliseconds, before the deadline of the request being
   handled (its "deadline_ms", counted from when the replyer received it;
   0 once it has passed), or -1 when it has none (published messages,
   on_update, svcfw_init, svcfw_main). The handler's own requests get at
   most this time. */
long svcfw_deadline_ms (svcfw_ctx *ctx);

/* The workflow id of the message being handled (in svcfw_main/svcfw_init:
   the id of the last send, or "" before any). Borrowed; valid until the call
   returns or the next svcfw_to_send on this ctx. */
const char *svcfw_workflow_id (svcfw_ctx *ctx);

/* Writes a log line at `level` that carries the current workflow id. */
void svcfw_log (svcfw_ctx *ctx, int level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Records why a handler failed; returns -1 so a handler can
   `return svcfw_fail (ctx, "...")`. A replyer sends the text back to the
   requester as {"error": {"kind": "handler_failed", "message": TEXT}}. */
int svcfw_fail (svcfw_ctx *ctx, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* The last error of a call on this ctx, or "" when there was none. Borrowed;
   valid until the next svcfw_ call on this ctx. */
const char *svcfw_error (svcfw_ctx *ctx);

/* For main-mode loops: sleeps up to `ms` milliseconds; returns false as soon
   as a stop was asked for (SIGINT/SIGTERM), true after a full sleep. */
bool svcfw_sleep (svcfw_ctx *ctx, int ms);

/* ---- Durable delivery and dedupe (docs/resilience.md) -------------------- */

/* Sets the message id of the next svcfw_to_send on this ctx (that call
   takes it, whatever output it goes to and whether or not it succeeds;
   requesters put it in the envelope as "message_id", other outputs ignore it). `message_id` is copied; it must be a
   non-empty string of at most 200 bytes. A durable requester's outbox
   keeps each id once: sending an id it already holds (pending or
   delivered) stores nothing and returns 0, so a producer restarted after a
   crash may send its ids again from the start. A dedupe replyer answers a
   repeated id from its inbox. Without this call a send gets, under a
   message with a message id M, "M_n" for the handler's n-th send; else, to
   a durable requester, a fresh UUID; else no message id.
   Returns 0, or -1 with the reason in svcfw_error(ctx). */
int svcfw_set_message_id (svcfw_ctx *ctx, const char *message_id);

/* In a handler: the "message_id" of the message being handled, or "" if it
   has none. Elsewhere (svcfw_init, svcfw_main): the message id of the last
   svcfw_to_send on this ctx, or "". A handler with effects outside the
   service (a file, a payment) should make them idempotent per message id:
   the dedupe inbox answers a repeat without calling the handler, but a
   crash between the handler's effect and the inbox's commit makes the
   handler see that id again. Borrowed; valid until the call returns or the
   next svcfw_to_send on this ctx. */
const char *svcfw_message_id (svcfw_ctx *ctx);

/* The messages a durable requester named `connection` holds, not yet
   delivered (acknowledged rows are marked in batches, so this can lag the
   deliveries by up to a batch). Valid from svcfw_init on: the outbox is
   opened, and its sender started, before svcfw_init. Returns the count,
   or -1 with the reason in svcfw_error(ctx) (no such durable requester,
   or the outbox cannot be read). */
long svcfw_outbox_pending (svcfw_ctx *ctx, const char *connection);

/* Group commit of durable sends (docs/resilience.md). After
   svcfw_outbox_begin, this thread's svcfw_to_send calls to durable
   requesters store their messages in one open transaction per outbox
   file, and return before anything reaches the disk; svcfw_outbox_commit
   commits them all (one commit, one fsync with "synchronous": "full",
   instead of one per message) and wakes their senders. Nothing of a
   group is sent before its commit, and a crash before it loses the whole
   group (a restarted producer sends its ids again). When
   svcfw_outbox_commit returns 0, every durable send of the group is
   stored as that requester's "synchronous" setting promises. Keep groups
   short (a few hundred to a few thousand sends): the sender cannot mark
   deliveries in that file while a group is open. Inside a dedupe
   replyer's handler with a --store file, durable sends are already part
   of the message's transaction; a group there adds nothing. A group left
   open when a handler or svcfw_main returns is committed then, with a
   WARNING. Returns 0, or -1 with the reason in svcfw_error(ctx) (begin: a
   group is already open; commit: none is open, or the commit failed, and
   then the group's messages are not stored). */
int svcfw_outbox_begin (svcfw_ctx *ctx);
int svcfw_outbox_commit (svcfw_ctx *ctx);

/* ---- What a plugin exports ---------------------------------------------- */

/* Required:
     const int  svcfw_abi_version = SVCFW_ABI_VERSION;
     const char svcfw_models[]    = "{ ...models JSON... }";
   SVCFW_PLUGIN (JSON) writes both, with the models written as bare JSON:
     SVCFW_PLUGIN ({"connection_models": {"in": {...}, "out": {}}})
   (the CMake helper svcfw_add_plugin writes them from a .json file instead). */
#define SVCFW_PLUGIN(...)                                               \
    __attribute__ ((visibility ("default"))) const int svcfw_abi_version = SVCFW_ABI_VERSION; \
    __attribute__ ((visibility ("default"))) const char svcfw_models[] = #__VA_ARGS__

/* Optional hooks, called at their moment when exported:
     int    svcfw_setup_config (cJSON *config);            before config validation; may edit
     int    svcfw_setup_addresses (cJSON *addresses, const cJSON *config);   before wiring
     cJSON *svcfw_setup_connections (const cJSON *config); {NAME: {section: {...}}} merged
                                                           into the connection models (fresh; taken)
     cJSON *svcfw_setup_states (const cJSON *config);      the same for state models
     int    svcfw_init (svcfw_ctx *ctx);                   once, after wiring
     int    svcfw_main (svcfw_ctx *ctx);                   main mode (-m): exit status
     void   svcfw_sigint (svcfw_ctx *ctx, int signum);     on SIGINT/SIGTERM
     int    svcfw_reconfigure (svcfw_ctx *ctx, const cJSON *config);
                                                           a reloaded config (SIGHUP or the
                                                           -c file changed), validated, before
                                                           it is put in force; non-zero refuses
                                                           it (the old one stays, logged)
   Hooks returning int: 0 = success; anything else stops startup (exit 1).
   svcfw_reconfigure runs on the loop thread while handlers may run on
   theirs: what it changes that handlers read, it must guard; and the loop
   serves nothing while it runs, so it should be quick (no requests). `config` is
   borrowed for the call (svcfw_config returns it from then on). */
typedef int    (svcfw_setup_config_fn) (cJSON *config);
typedef int    (svcfw_setup_addresses_fn) (cJSON *addresses, const cJSON *config);
typedef cJSON *(svcfw_setup_models_fn) (const cJSON *config);
typedef int    (svcfw_init_fn) (svcfw_ctx *ctx);
typedef int    (svcfw_main_fn) (svcfw_ctx *ctx);
typedef void   (svcfw_sigint_fn) (svcfw_ctx *ctx, int signum);
typedef int    (svcfw_reconfigure_fn) (svcfw_ctx *ctx, const cJSON *config);

#ifdef __cplusplus
}
#endif

#endif
