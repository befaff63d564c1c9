/*  crasher - test plugin: a replyer whose handler crashes the process on request.

    The request's "how" picks the crash: "segv" writes through a bad
    pointer, "abort" calls abort(), "overflow" recurses until the stack is
    gone, "fpe" divides by zero; anything else is answered {"ok": true}.
    Built with the sanitizers, a bad pointer that is not NULL still reaches
    the hardware (ASan's shadow of low memory says it is addressable), so
    the process gets a real SIGSEGV.
*/
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "jobs": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "run_job"},
                "optional_creation_arguments": {},
                "required_arguments": {"how": "str"},
                "optional_arguments": {},
                "required_return_arguments": {"ok": "bool"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

static volatile uintptr_t s_bad_address = 16;
static volatile int s_zero = 0;
static volatile int s_seven = 7;    //  1 / x would be compiled to a compare

//  Each frame keeps a buffer alive past the call, so it cannot be a loop.
static int
s_deep (int depth)
{
    volatile char pad [1024];
    pad [0] = (char) depth;
    if (depth == 0)
        return pad [0];
    return s_deep (depth - 1) + pad [0];
}

int
run_job (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const char *how = cJSON_GetObjectItem (args, "how")->valuestring;
    svcfw_log (ctx, SVCFW_LOG_INFO, "job how=%s", how);
    if (strcmp (how, "segv") == 0)
        *(volatile int *) s_bad_address = 1;
    else if (strcmp (how, "abort") == 0)
        abort ();
    else if (strcmp (how, "overflow") == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "depth %d", s_deep (1 << 30));
    else if (strcmp (how, "fpe") == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "quotient %d", s_seven / s_zero);
    *return_args = cJSON_CreateObject ();
    cJSON_AddBoolToObject (*return_args, "ok", true);
    return 0;
}
