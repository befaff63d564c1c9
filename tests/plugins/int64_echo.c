/*  int64_echo - test plugin: a replyer that reads an "int64" argument and answers
    what it read, as a number and as the decimal text of (long long) valuedouble.
*/
#include <stdio.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "ids": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_id"},
                "required_arguments": {"id": "int64"},
                "required_return_arguments": {"id": "int64", "text": "str"}
            }
        },
        "out": {}
    }
});

int
on_id (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    //  An int64 is exact in valuedouble (|id| <= 2^53): read it there.
    long long id = (long long) cJSON_GetObjectItem (args, "id")->valuedouble;
    char text [32];
    snprintf (text, sizeof text, "%lld", id);
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "id", (double) id);
    cJSON_AddStringToObject (*return_args, "text", text);
    return 0;
}
