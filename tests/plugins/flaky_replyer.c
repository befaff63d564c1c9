/*  flaky_replyer - test plugin: a quote replyer that fails every request while config "fail" is true.

    Answers {"price": 100, "source": "replyer"}; with "fail": true the
    handler fails (an error reply, handler_failed) instead.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"fail": "bool"}},
    "connection_models": {
        "in": {
            "quotes": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_quote"},
                "optional_creation_arguments": {},
                "required_arguments": {"symbol": "str"},
                "optional_arguments": {},
                "required_return_arguments": {"price": "int", "source": "str"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

int
on_quote (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) args;
    if (cJSON_IsTrue (cJSON_GetObjectItem (svcfw_config (ctx), "fail")))
        return svcfw_fail (ctx, "down for maintenance");
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "price", 100);
    cJSON_AddStringToObject (*return_args, "source", "replyer");
    return 0;
}
