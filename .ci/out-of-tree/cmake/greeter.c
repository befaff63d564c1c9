/*  greeter.c - an out-of-tree plugin built with find_package(svcfw) and svcfw_add_plugin.

    The models live in greeter.json (embedded by svcfw_add_plugin), so this
    file holds only the handler: {"name": N} → {"greeting": "GREETING, N!"},
    GREETING from the config (default "Hello").
*/
#include <stdio.h>
#include "svcfw.h"

int
on_greet (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const cJSON *greeting = cJSON_GetObjectItem (svcfw_config (ctx), "greeting");
    char text [256];
    snprintf (text, sizeof text, "%s, %s!", cJSON_IsString (greeting)? greeting->valuestring: "Hello",
              cJSON_GetObjectItem (args, "name")->valuestring);
    svcfw_log (ctx, SVCFW_LOG_INFO, "greeting: %s", text);
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "greeting", text);
    return 0;
}
