/*  state_sub_each - test plugin: the in side of the delta state `book`, with an on_update that counts.

    state_pub's patch i sets "last": i. Each on_update call logs
    "seen last=L"; the calls after the first that sees an update (L > 0,
    the snapshot's) must see every later update once, in order: a call
    whose L is not the previous one's + 1 counts as a gap. Its first two
    such calls sleep 50 ms, so updates come while it waits; with config
    `hold`: true, the first instead waits (polling svcfw_state, at most
    60 s) until the replica itself holds update `count`, and the rest do
    not wait. Logs
    "each calls=N gaps=G" once it has seen L = config `count`.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {"hold": "bool"}},
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {
            "book": {
                "state_type": "delta_update_in",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"on_update": "on_book", "timeout_ms": 500}
            }
        },
        "out": {}
    }
});

static int s_calls, s_gaps, s_last;

int
on_book (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    const cJSON *last = cJSON_GetObjectItem (args, "last");
    if (!cJSON_IsNumber (last))
        return 0;                       //  the empty value before any update
    int seen = last->valueint;
    svcfw_log (ctx, SVCFW_LOG_INFO, "seen last=%d", seen);
    if (s_calls > 0 && seen != s_last + 1)
        s_gaps++;
    s_last = seen;
    int count = cJSON_GetObjectItem (svcfw_config (ctx), "count")->valueint;
    bool hold = cJSON_IsTrue (cJSON_GetObjectItem (svcfw_config (ctx), "hold"));
    struct timespec pause = { 0, (hold? 10: 50) * 1000000L };
    if (++s_calls == 1 && hold)
        for (int i = 0; i < 6000; i++) {        //  the replica goes on while this call waits
            const cJSON *now = cJSON_GetObjectItem (svcfw_state (ctx, "book"), "last");
            if (cJSON_IsNumber (now) && now->valueint == count)
                break;
            nanosleep (&pause, NULL);
        }
    else if (s_calls <= 2 && !hold)
        nanosleep (&pause, NULL);
    if (seen == count)
        svcfw_log (ctx, SVCFW_LOG_INFO, "each calls=%d gaps=%d", s_calls, s_gaps);
    return 0;
}
