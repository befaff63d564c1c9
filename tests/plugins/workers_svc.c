/*  workers_svc - test plugin: handlers off the loop thread, workers, deadlines, bounded stops (SPEC §8).

    Replyers:
      slow    (workers 1)  sleeps args.ms (ignoring stops), logs "slow_job called tag=TAG deadline=N"
                           on entry; answers {"tag": TAG}
      pool    (workers 4)  the same as pool_job, on four threads
      fast    (default)    answers {"tag": TAG} at once
      nested  (default)    logs its time left, calls requester `inner` (to `probe`), answers
                           {"outer_left": its svcfw_deadline_ms before the call,
                            "inner_seen": what probe's svcfw_deadline_ms was}
      probe   (workers 1)  answers {"seen": svcfw_deadline_ms}
    Out-state `clock` (delta_update_out, heartbeat_ms 100) for heartbeats and snapshots.
    The sleeps use nanosleep, not svcfw_sleep: a stuck handler, as a stop meets it.
*/
#include <string.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "slow": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "slow_job"},
                "optional_creation_arguments": {"workers": 1},
                "required_arguments": {},
                "optional_arguments": {"ms": "int", "tag": "str"},
                "required_return_arguments": {},
                "optional_return_arguments": {"tag": "str", "outer_left": "int", "inner_seen": "int", "seen": "int"}
            },
            "pool": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "pool_job"},
                "optional_creation_arguments": {"workers": 4},
                "required_arguments": {},
                "optional_arguments": {"ms": "int", "tag": "str"},
                "required_return_arguments": {},
                "optional_return_arguments": {"tag": "str", "outer_left": "int", "inner_seen": "int", "seen": "int"}
            },
            "fast": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "fast_job"},
                "optional_creation_arguments": {},
                "required_arguments": {},
                "optional_arguments": {"ms": "int", "tag": "str"},
                "required_return_arguments": {},
                "optional_return_arguments": {"tag": "str", "outer_left": "int", "inner_seen": "int", "seen": "int"}
            },
            "nested": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "nested_job"},
                "optional_creation_arguments": {},
                "required_arguments": {},
                "optional_arguments": {"ms": "int", "tag": "str"},
                "required_return_arguments": {},
                "optional_return_arguments": {"tag": "str", "outer_left": "int", "inner_seen": "int", "seen": "int"}
            },
            "probe": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "probe_job"},
                "optional_creation_arguments": {"workers": 1},
                "required_arguments": {},
                "optional_arguments": {"ms": "int", "tag": "str"},
                "required_return_arguments": {},
                "optional_return_arguments": {"tag": "str", "outer_left": "int", "inner_seen": "int", "seen": "int"}
            }
        },
        "out": {
            "inner": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 4000, "retries": 0},
                "required_arguments": {},
                "optional_arguments": {"ms": "int", "tag": "str"},
                "required_return_arguments": {},
                "optional_return_arguments": {"tag": "str", "outer_left": "int", "inner_seen": "int", "seen": "int"}
            }
        }
    },
    "state_models": {
        "in": {},
        "out": {
            "clock": {
                "state_type": "delta_update_out",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"heartbeat_ms": 100}
            }
        }
    }
});

static const char *
s_tag (const cJSON *args)
{
    const cJSON *tag = cJSON_GetObjectItem (args, "tag");
    return cJSON_IsString (tag)? tag->valuestring: "";
}

static void
s_sleep_ms (const cJSON *args)
{
    const cJSON *ms = cJSON_GetObjectItem (args, "ms");
    if (!cJSON_IsNumber (ms) || ms->valueint <= 0)
        return;
    struct timespec span = { ms->valueint / 1000, (long) (ms->valueint % 1000) * 1000000L };
    while (nanosleep (&span, &span) != 0)
        ;
}

static int
s_sleeper (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args, const char *name)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "%s called tag=%s deadline=%ld", name, s_tag (args), svcfw_deadline_ms (ctx));
    s_sleep_ms (args);
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "tag", s_tag (args));
    return 0;
}

int
slow_job (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    return s_sleeper (ctx, args, return_args, "slow_job");
}

int
pool_job (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    return s_sleeper (ctx, args, return_args, "pool_job");
}

int
fast_job (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "tag", s_tag (args));
    return 0;
}

int
probe_job (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) args;
    long seen = svcfw_deadline_ms (ctx);
    svcfw_log (ctx, SVCFW_LOG_INFO, "probe_job called deadline=%ld", seen);
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "seen", (double) seen);
    return 0;
}

int
nested_job (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    s_sleep_ms (args);                      //  spends some of the budget first
    long left = svcfw_deadline_ms (ctx);
    svcfw_log (ctx, SVCFW_LOG_INFO, "nested_job left=%ld", left);
    cJSON *request = cJSON_CreateObject ();
    cJSON *reply = NULL;
    int rc = svcfw_to_send (ctx, "connection", "inner", request, &reply);
    cJSON_Delete (request);
    if (rc)
        return svcfw_fail (ctx, "inner: %s", svcfw_error (ctx));
    const cJSON *seen = cJSON_GetObjectItem (reply, "seen");
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "outer_left", (double) left);
    cJSON_AddNumberToObject (*return_args, "inner_seen", cJSON_IsNumber (seen)? seen->valuedouble: -2);
    cJSON_Delete (reply);
    return 0;
}
