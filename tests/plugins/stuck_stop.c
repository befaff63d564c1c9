/*  stuck_stop - test plugin: a service whose stop hangs (svcfw_sigint takes 30 s).

    No connections. svcfw_sigint logs "stuck in sigint" and then does not
    return for 30 s, so only a SIGKILL ends the process in time (the graph
    supervisor's stop bound).
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}}
});

void
svcfw_sigint (svcfw_ctx *ctx, int signum)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "stuck in sigint %d", signum);
    //  Stands for a hook that hangs; bounded so nothing outlives the test.
    struct timespec pause = { 30, 0 };
    while (nanosleep (&pause, &pause) != 0)
        ;
}
