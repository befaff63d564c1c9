/*  my_service.c - an out-of-tree plugin built with one `cc` line (SPEC §5).

        cc -shared -fPIC $(pkg-config --cflags svcfw) my_service.c -o my_service.so

    A replyer `shout` that answers {"text": T} with {"shout": upper-case T,
    "length": N}. It calls both svcfw_* and cJSON_* functions, which the
    svcfw executable provides when it loads the plugin: nothing is linked.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "shout": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_shout"},
                "required_arguments": {"text": "str"},
                "required_return_arguments": {"shout": "str", "length": "int"}
            }
        },
        "out": {}
    }
});

int
on_shout (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const char *text = cJSON_GetObjectItem (args, "text")->valuestring;
    char *loud = strdup (text);
    if (!loud)
        return svcfw_fail (ctx, "out of memory");
    for (char *c = loud; *c; c++)
        *c = (char) toupper ((unsigned char) *c);
    svcfw_log (ctx, SVCFW_LOG_INFO, "shouting \"%s\"", loud);
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "shout", loud);
    cJSON_AddNumberToObject (*return_args, "length", (double) strlen (loud));
    free (loud);
    return 0;
}
