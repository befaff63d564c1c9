/*  up.h - `svcfw up GRAPH`: runs every service of a graph file, as one.

    svcfw up GRAPH [--exit-with NAME] [--color auto|always|never]

    Reads the graph (graph/graph.h) and its plugins' models, orders the
    services so that each starts after the services it connects to (the
    binding sides first), and runs them under a supervisor
    (graph/supervisor.h): prefixed output, restarts per "restart", a bounded
    stop in reverse order on SIGINT/SIGTERM, no child left behind.
*/
#ifndef UP_H_INCLUDED
#define UP_H_INCLUDED

#include "graph.h"

/* Runs the subcommand; argv [1] is "up". Returns the exit status: 0 after
   SIGINT/SIGTERM, the --exit-with service's status once it exited, 1 for
   a graph that cannot be loaded or run (one line on stderr), 2 for a usage
   error. Main thread of a process with no other threads. */
int up_command (int argc, char **argv);

/* Writes into `order` (graph_service_count entries) the indexes of the
   services in start order: a service after every service that binds an
   endpoint it connects to, otherwise in file order; services in a cycle
   keep file order among themselves. After graph_load_models. Any thread. */
void up_order (const graph_t *graph, int *order);

/* True if service `a` connects to an endpoint that service `b` binds
   (after graph_load_models). Any thread. */
bool up_depends (const graph_t *graph, int a, int b);

#endif
