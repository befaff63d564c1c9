/*  partial_writer - test plugin: main mode, writes lines to stdout in pieces.

    Five times: "half " then, 50 ms later, "whole\n", each piece flushed on
    its own (so a reader sees the halves apart); then one line of 20000
    'x' in one write; then "tail-without-newline" with no newline, and
    leaves at once with _exit (0), so nothing svcfw would log at its stop
    follows the tail on the same stream. For svcfw up's whole-line output.
*/
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}}
});

int
svcfw_main (svcfw_ctx *ctx)
{
    for (int i = 0; i < 5; i++) {
        fputs ("half ", stdout);
        fflush (stdout);
        svcfw_sleep (ctx, 50);
        fputs ("whole\n", stdout);
        fflush (stdout);
    }
    static char line [20002];
    memset (line, 'x', 20000);
    line [20000] = '\n';
    fputs (line, stdout);
    fputs ("tail-without-newline", stdout);
    fflush (stdout);
    _exit (0);
}
