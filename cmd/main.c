/*  main.c - the svcfw executable: parse the command line, run the service, return its status. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "cli.h"
#include "curve.h"
#include "describe.h"
#include "draw.h"
#include "gen.h"
#include "models.h"
#include "request.h"
#include "service.h"
#include "up.h"
#include "svcfw.h"

//  svcfw keygen NAME [-d DIR] [--force]: 0, 1 (the pair exists or cannot
//  be written) or 2 (usage).
static int
s_keygen (int argc, char **argv)
{
    const char *name = NULL, *dir = NULL;
    bool force = false;
    for (int i = 2; i < argc; i++) {
        if (strcmp (argv [i], "--force") == 0)
            force = true;
        else
        if (strcmp (argv [i], "-d") == 0 && i + 1 < argc && !dir)
            dir = argv [++i];
        else
        if (argv [i][0] != '-' && !name)
            name = argv [i];
        else {
            fprintf (stderr, "svcfw: usage: keygen NAME [-d DIR] [--force], not \"%s\" (see svcfw --help)\n",
                     argv [i]);
            return 2;
        }
    }
    if (!name) {
        fprintf (stderr, "svcfw: usage: keygen needs a NAME (see svcfw --help)\n");
        return 2;
    }
    char err [ERR_LEN], path [PATH_MAX];
    if (curve_keygen (dir, name, force, path, err)) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        return 1;
    }
    zcert_t *cert = curve_load_public (path, err);
    printf ("%s %s\n%s_secret (mode 0600)\n", path, cert? zcert_public_txt (cert): "", path);
    zcert_destroy (&cert);
    return 0;
}

//  ---------------------------------------------------------------------------
//  The graph tools (graph/, docs/graphs.md): each returns 0, 1 (the graph or
//  plugin is at fault, or check found problems) or 2 (usage).

static int
s_usage (const char *what)
{
    fprintf (stderr, "svcfw: usage: %s (see svcfw --help)\n", what);
    return 2;
}

//  Loads the graph file and its plugins' models; NULL after printing why.
static graph_t *
s_graph_load (const char *path)
{
    char err [ERR_LEN];
    graph_t *graph = graph_load (path, err);
    if (graph && graph_load_models (graph, err))
        graph_destroy (&graph);
    if (!graph)
        fprintf (stderr, "svcfw: error: %s\n", err);
    return graph;
}

static void
s_print_line (const char *line, void *arg)
{
    fprintf ((FILE *) arg, "%s\n", line);
}

//  svcfw check GRAPH
static int
s_check (int argc, char **argv)
{
    if (argc != 3 || argv [2][0] == '-')
        return s_usage ("check GRAPH.json");
    graph_t *graph = s_graph_load (argv [2]);
    if (!graph)
        return 1;
    int links = 0;
    int problems = graph_check (graph, s_print_line, stdout, &links);
    if (!problems)
        printf ("%s: %d service%s, %d link%s: no problem\n", argv [2], graph_service_count (graph),
                graph_service_count (graph) == 1? "": "s", links, links == 1? "": "s");
    graph_destroy (&graph);
    return problems? 1: 0;
}

//  svcfw graph GRAPH [-o FILE.svg|FILE.dot]
static int
s_graph (int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    for (int i = 2; i < argc; i++) {
        if (strcmp (argv [i], "-o") == 0 && i + 1 < argc && !output)
            output = argv [++i];
        else
        if (argv [i][0] != '-' && !path)
            path = argv [i];
        else
            return s_usage ("graph GRAPH.json [-o FILE.svg|FILE.dot]");
    }
    size_t len = output? strlen (output): 0;
    bool svg = len > 4 && strcmp (output + len - 4, ".svg") == 0;
    if (!path || (output && !svg && !(len > 4 && strcmp (output + len - 4, ".dot") == 0)))
        return s_usage ("graph GRAPH.json [-o FILE.svg|FILE.dot]");
    graph_t *graph = s_graph_load (path);
    if (!graph)
        return 1;
    char err [ERR_LEN];
    int rc = 0;
    if (svg)
        rc = graph_draw_svg (graph, output, err);
    else {
        FILE *out = output? fopen (output, "w"): stdout;
        rc = out? graph_draw_dot (graph, out, err): err_set (err, "cannot write %s: %s", output, strerror (errno));
        if (out && out != stdout && fclose (out) && !rc)
            rc = err_set (err, "cannot write %s: %s", output, strerror (errno));
    }
    if (rc)
        fprintf (stderr, "svcfw: error: %s\n", err);
    graph_destroy (&graph);
    return rc? 1: 0;
}

//  svcfw describe PLUGIN.so
static int
s_describe (int argc, char **argv)
{
    if (argc != 3 || argv [2][0] == '-')
        return s_usage ("describe PLUGIN.so");
    char err [ERR_LEN];
    if (graph_describe (argv [2], stdout, err)) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        return 1;
    }
    return 0;
}

//  Subcommands: svcfw NAME ARGS...
static const struct {
    const char *name;
    int (*run) (int argc, char **argv);
} s_subcommands [] = {
    { "keygen", s_keygen },
    { "check", s_check },
    { "graph", s_graph },
    { "describe", s_describe },
    //  graph/up.h, graph/request.h, graph/gen.h: each parses its own arguments.
    { "up", up_command },
    { "request", request_command },
    { "gen", gen_command },
};

int
main (int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof s_subcommands / sizeof s_subcommands [0]; i++)
        if (strcmp (argv [1], s_subcommands [i].name) == 0)
            return s_subcommands [i].run (argc, argv);
    cli_opts_t opts;
    char err [ERR_LEN];
    if (cli_parse (argc, argv, &opts, err)) {
        fprintf (stderr, "svcfw: usage: %s (see svcfw --help)\n", err);
        cli_opts_reset (&opts);
        return 2;
    }
    int status = 0;
    if (opts.help)
        fputs (cli_usage (), stdout);
    else if (opts.version)
        printf ("svcfw %s (plugin ABI %d)\n", SVCFW_VERSION, SVCFW_ABI_VERSION);
    else if (opts.check_models_path) {
        if (models_check_file (opts.check_models_path, err)) {
            fprintf (stderr, "svcfw: error: %s\n", err);
            status = 1;
        }
    }
    else
        status = service_run (&opts);
    cli_opts_reset (&opts);
    return status;
}
