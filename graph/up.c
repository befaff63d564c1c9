/*  up.c - `svcfw up GRAPH`: runs every service of a graph file, as one.

    @discuss
    The graph and its models are read first (graph_load_models opens each
    plugin and runs only its data hooks), so a graph that cannot start
    fails before anything runs, with the loader's one line. Each service's
    command line comes from graph_argv, with inline addresses and config
    written to a directory of its own that lives as long as `up`.
    A service that binds something waits for its READY=1 before the next
    one starts; a connecting socket would reconnect anyway, but a
    requester's first request would then spend its timeout on a replyer
    that is not there yet.
    @end
*/
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "up.h"
#include "check.h"
#include "supervisor.h"

static int
s_usage (const char *fmt, const char *arg)
{
    fprintf (stderr, "svcfw: usage: up: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, " (see svcfw --help)\n");
    return 2;
}

bool
up_depends (const graph_t *graph, int a, int b)
{
    for (int i = 0; i < graph_socket_count (graph); i++) {
        const graph_socket_t *conn = graph_socket_at (graph, i);
        if (conn->service != a || conn->bind)
            continue;
        for (int j = 0; j < graph_socket_count (graph); j++) {
            const graph_socket_t *bound = graph_socket_at (graph, j);
            if (bound->service == b && bound->bind && graph_endpoints_meet (bound->endpoint, conn->endpoint))
                return true;
        }
    }
    return false;
}

void
up_order (const graph_t *graph, int *order)
{
    int count = graph_service_count (graph);
    bool *placed = calloc ((size_t) count, sizeof *placed);
    for (int n = 0; n < count; n++) {
        //  The first service in file order whose binding peers are all
        //  placed; in a cycle, the first not placed.
        int pick = -1, first = -1;
        for (int i = 0; i < count && pick < 0; i++) {
            if (placed && placed [i])
                continue;
            if (first < 0)
                first = i;
            bool ready = true;
            for (int j = 0; j < count && ready; j++)
                if (j != i && !(placed && placed [j]) && up_depends (graph, i, j))
                    ready = false;
            if (ready)
                pick = i;
        }
        if (!placed) {          //  out of memory: file order
            order [n] = n;
            continue;
        }
        if (pick < 0)
            pick = first;
        order [n] = pick;
        placed [pick] = true;
    }
    free (placed);
}

//  True if service `index` binds a socket.
static bool
s_binds (const graph_t *graph, int index)
{
    for (int i = 0; i < graph_socket_count (graph); i++) {
        const graph_socket_t *socket = graph_socket_at (graph, i);
        if (socket->service == index && socket->bind)
            return true;
    }
    return false;
}

static supervisor_restart_t
s_restart (graph_restart_t restart)
{
    return restart == GRAPH_RESTART_ALWAYS? SUPERVISOR_RESTART_ALWAYS:
           restart == GRAPH_RESTART_NEVER?  SUPERVISOR_RESTART_NEVER:
                                            SUPERVISOR_RESTART_ON_FAILURE;
}

//  Adds every service to the supervisor in start order.
static int
s_add_services (const graph_t *graph, supervisor_t *supervisor, const char *svcfw, const char *dir,
                bool color, char *err)
{
    int count = graph_service_count (graph);
    int *order = calloc ((size_t) count, sizeof *order);
    if (!order)
        return err_set (err, "out of memory");
    up_order (graph, order);
    int rc = 0;
    for (int n = 0; n < count && rc == 0; n++) {
        int index = order [n];
        const graph_service_t *service = graph_service_at (graph, index);
        char **argv = graph_argv (graph, index, svcfw, dir, err);
        if (!argv) {
            rc = -1;
            break;
        }
        //  The children write to a pipe: tell them to colour their levels
        //  when `up` colours its prefixes.
        int argc = 0;
        while (argv [argc])
            argc++;
        char **full = calloc ((size_t) argc + 3, sizeof *full);
        if (!full)
            rc = err_set (err, "out of memory");
        else {
            memcpy (full, argv, (size_t) argc * sizeof *full);
            if (color) {
                full [argc] = "--color";
                full [argc + 1] = "always";
            }
            rc = supervisor_add (supervisor, service->name, full, graph_dir (graph),
                                 s_restart (service->restart), 0,
                                 s_binds (graph, index), err);
        }
        free (full);
        graph_argv_destroy (&argv);
    }
    free (order);
    return rc;
}

int
up_command (int argc, char **argv)
{
    const char *path = NULL, *exit_with = NULL, *color_text = "auto";
    for (int i = 2; i < argc; i++) {
        const char *arg = argv [i];
        if (strcmp (arg, "--exit-with") == 0 || strcmp (arg, "--color") == 0) {
            if (i + 1 >= argc)
                return s_usage ("%s needs a value", arg);
            *(arg [2] == 'e'? &exit_with: &color_text) = argv [++i];
        }
        else
        if (strncmp (arg, "--color=", 8) == 0)
            color_text = arg + 8;
        else
        if (arg [0] == '-' && arg [1])
            return s_usage ("unknown option \"%s\" (GRAPH [--exit-with NAME] [--color WHEN])", arg);
        else
        if (!path)
            path = arg;
        else
            return s_usage ("unexpected argument \"%s\" (one GRAPH file)", arg);
    }
    if (!path)
        return s_usage ("needs a GRAPH file%s", "");
    bool color;
    if (strcmp (color_text, "always") == 0)
        color = true;
    else
    if (strcmp (color_text, "never") == 0)
        color = false;
    else
    if (strcmp (color_text, "auto") == 0)
        color = isatty (STDOUT_FILENO);
    else
        return s_usage ("--color \"%s\" must be auto, always or never", color_text);

    char err [ERR_LEN];
    graph_t *graph = graph_load (path, err);
    if (!graph) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        return 1;
    }
    if (exit_with && !graph_service_find (graph, exit_with)) {
        fprintf (stderr, "svcfw: usage: up: --exit-with \"%s\" is not a service of %s (see svcfw --help)\n",
                 exit_with, path);
        graph_destroy (&graph);
        return 2;
    }
    int status = 1;
    char dir [PATH_MAX] = "";
    supervisor_t *supervisor = NULL;
    char svcfw [PATH_MAX];
    ssize_t len = readlink ("/proc/self/exe", svcfw, sizeof svcfw - 1);
    if (len <= 0) {
        fprintf (stderr, "svcfw: error: cannot find the svcfw executable (/proc/self/exe): %s\n",
                 strerror (errno));
        goto done;
    }
    svcfw [len] = 0;
    if (graph_load_models (graph, err)) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        goto done;
    }
    const char *tmp = getenv ("TMPDIR");
    snprintf (dir, sizeof dir, "%s/svcfw-up-files.XXXXXX", tmp && *tmp? tmp: "/tmp");
    if (!mkdtemp (dir)) {
        fprintf (stderr, "svcfw: error: cannot make a directory %s: %s\n", dir, strerror (errno));
        *dir = 0;
        goto done;
    }
    supervisor = supervisor_new (exit_with, color, err);
    if (!supervisor || s_add_services (graph, supervisor, svcfw, dir, color, err)) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        goto done;
    }
    status = supervisor_run (supervisor, err);
done:
    supervisor_destroy (&supervisor);
    graph_destroy (&graph);
    if (*dir)
        graph_scratch_remove (dir);
    return status;
}
