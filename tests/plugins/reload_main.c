/*  reload_main - test plugin: main mode reads svcfw_config every 10 ms and
    logs "main sees greeting=G" each time it changes; it returns 0 once the
    greeting is "stop" (or after 30 s: 1), logging "the first config still
    says greeting=G" from the pointer it got first (valid until it returns).
*/
#include <string.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"greeting": "str"}, "optional": {}},
    "connection_models": {"in": {}, "out": {}}
});

int
svcfw_main (svcfw_ctx *ctx)
{
    char last [64] = "";
    const cJSON *first = svcfw_config (ctx);
    for (int turns = 0; turns < 3000 && svcfw_sleep (ctx, 10); turns++) {
        const cJSON *config = svcfw_config (ctx);
        const char *greeting = cJSON_GetObjectItem (config, "greeting")->valuestring;
        if (strcmp (greeting, last) != 0) {
            svcfw_log (ctx, SVCFW_LOG_INFO, "main sees greeting=%s (was %s)", greeting, last);
            strncpy (last, greeting, sizeof last - 1);
        }
        if (strcmp (greeting, "stop") == 0) {
            svcfw_log (ctx, SVCFW_LOG_INFO, "the first config still says greeting=%s",
                       cJSON_GetObjectItem (first, "greeting")->valuestring);
            return 0;
        }
    }
    return 1;
}
