/*  gen.h - `svcfw gen systemd|compose|k8s GRAPH [-o DIR]`: deployment files for a graph.

    @header
    systemd: a unit per service (Type=notify, WatchdogSec, Restart= from
    "restart", ExecStart with absolute paths, After= the services it
    connects to) and a target that starts them all. compose: a Docker
    Compose file, a container per service. k8s: Kubernetes manifests, a
    Deployment per service (a StatefulSet with a volume for a service that
    keeps an outbox, an inbox or an out-state), a Service per binding
    socket, the addresses and config as ConfigMaps, /livez and /readyz
    probes on the admin port, a preStop grace.
    For compose and k8s, addresses are rewritten so services reach each
    other by name: a binding TCP socket binds every interface on its port
    ("tcp://" "*:PORT"); a connecting socket whose endpoint meets a binding
    socket of the graph connects to that socket's host name (compose: the
    binding service's name; k8s: the Service of that socket) on the same
    port. Other endpoints are kept as written. docs/graphs.md has the rules.
    @end
*/
#ifndef GEN_H_INCLUDED
#define GEN_H_INCLUDED

#include <stdio.h>
#include <cjson/cJSON.h>
#include "graph.h"

#define GEN_IMAGE         "svcfw:latest"                  //  compose/k8s: default --image
#define GEN_PLUGIN_DIR    "/usr/local/lib/svcfw/plugins"  //  compose/k8s: default --plugin-dir
#define GEN_WATCHDOG_S    10                              //  systemd WatchdogSec
#define GEN_STOP_S        7                               //  svcfw's stop timeout (5 s) + 2 s
#define GEN_PRESTOP_S     5                               //  k8s: preStop sleep before SIGTERM
#define GEN_GRACE_S       (GEN_PRESTOP_S + GEN_STOP_S + 3) //  k8s terminationGracePeriodSeconds

/* Runs the subcommand; argv [1] is "gen". Writes the files into DIR
   (default: the current directory) and lists them on stdout. Returns 0,
   1 (the graph cannot be loaded, or a file cannot be written: one line on
   stderr), or 2 (usage). Main thread. */
int gen_command (int argc, char **argv);

/* `name` as a DNS label (RFC 1123, as Kubernetes wants): lowercase
   letters, digits and '-', starting with a letter, at most 63 characters;
   anything else becomes '-'. Writes into `out` (64 bytes). */
void gen_dns_name (const char *name, char *out);

/* Writes `value` (borrowed) as a YAML document body at `indent` spaces:
   objects as block mappings, arrays as block sequences, scalars as JSON
   (valid YAML), empty objects and arrays as {} and []. */
void gen_yaml (FILE *out, const cJSON *value, int indent);

#endif
