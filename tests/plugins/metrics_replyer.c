/*  metrics_replyer - test plugin: a quote replyer whose answer depends on the symbol, for e2e_admin.

    "FAIL" fails the handler (handler_failed); "SLOW" answers after 1 s
    (so a requester with a shorter timeout times out); any other symbol is
    answered {"price": 100}.
*/
#include <string.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "quotes": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_quote"},
                "required_arguments": {"symbol": "str"},
                "required_return_arguments": {"price": "int"}
            }
        },
        "out": {}
    }
});

int
on_quote (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const char *symbol = cJSON_GetObjectItem (args, "symbol")->valuestring;
    if (strcmp (symbol, "FAIL") == 0)
        return svcfw_fail (ctx, "no quote for FAIL");
    if (strcmp (symbol, "SLOW") == 0) {
        struct timespec pause = { 1, 0 };
        nanosleep (&pause, NULL);
    }
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "price", 100);
    return 0;
}
