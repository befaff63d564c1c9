/*  slow_stop_main - test plugin: main mode that takes 1 s to finish after a stop was asked for.

    Logs "main running", idles until the stop, logs "main finishing", then
    takes 1000 ms (its in-flight work) and returns 0.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}}
});

int
svcfw_main (svcfw_ctx *ctx)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "main running");
    while (svcfw_sleep (ctx, 20))
        ;
    svcfw_log (ctx, SVCFW_LOG_INFO, "main finishing");
    struct timespec pause = { 1, 0 };
    nanosleep (&pause, NULL);
    return 0;
}
