/*  check.h - svcfw check: a graph's services checked against each other, before any runs.

    @header
    The rules, each problem one line that starts with the graph file and
    names both ends as SERVICE.NAME (TYPE):
    - what each service's startup would refuse of its plugin: a handler the
      models name that the plugin does not export; in main mode, an inbound
      connection or state, or no svcfw_main;
    - every connecting socket meets a socket that binds its address, and of
      the right kind: requester and replyer, publisher and subscriber, an
      in-state's subscriber and requester and an out-state of the same
      update type (delta or full);
    - no address is bound twice;
    - what a sender's model lets it send, its receiver's model accepts (the
      args of requester → replyer, publisher → subscriber, out-state →
      in-state; models/types.h type_accepts): a key the receiver requires
      that the sender may omit, a type the receiver does not take, a key the
      receiver does not know; and what a replyer may return, its requester's
      return model accepts;
    - every publishing connection's topic is heard by a subscriber it meets
      (a subscriber hears the topics its topic is a prefix of), unless the
      service lists the connection in "allow_unheard" (which must name its
      publishing connections); an in-state's topic is its out-state's.
    Two TCP addresses meet when their ports are equal and the binding host is
    `*` (or 0.0.0.0) or the same host (localhost is 127.0.0.1); other
    endpoints (ipc://, inproc://) when they are equal.
    @end
*/
#ifndef CHECK_H_INCLUDED
#define CHECK_H_INCLUDED

#include "graph.h"

/* Two sockets that meet: `binding` binds the address `connecting` connects
   to. Both borrowed from the graph. */
typedef struct {
    const graph_socket_t *binding;
    const graph_socket_t *connecting;
} graph_link_t;

/* Every pair of sockets whose addresses meet (kinds not checked), in the
   order of the connecting sockets. Returns the number of links and sets
   *links_p to a fresh array the caller frees with free() (NULL when there
   are none), or returns -1 when out of memory. */
int graph_links (const graph_t *graph, graph_link_t **links_p);

/* Called once per problem with its line (no newline; borrowed for the call). */
typedef void (graph_report_fn) (const char *line, void *arg);

/* Checks the graph, whose models are loaded (graph_load_models). Calls
   `report` for each problem, in the order of the services and their models.
   Returns the number of problems; *links (if not NULL) gets the number of
   socket pairs that meet. Loads nothing, runs no plugin code. */
int graph_check (const graph_t *graph, graph_report_fn *report, void *arg, int *links);

/* Whether a connecting endpoint meets a binding one (the rule above). */
bool graph_endpoints_meet (const char *binding, const char *connecting);

#endif
