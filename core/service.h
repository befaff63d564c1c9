/*  service.h - one running service.

    service_run is the whole life of the process after the command line:
    load the plugin, check and compile its models, build the config, resolve
    the addresses, wire the sockets, call the hooks, run the loop, stop on a
    signal (or when main mode's svcfw_main returns) and tear down.
*/
#ifndef SERVICE_H_INCLUDED
#define SERVICE_H_INCLUDED

#include "cli.h"

typedef struct _service_t service_t;

/* Runs the service described by opts. Startup errors are printed as one line
   on stderr. Returns the process exit status (0 clean stop, main's return in
   main mode, 1 startup error). Call once, from the process's main thread. */
int service_run (const cli_opts_t *opts);

#endif
