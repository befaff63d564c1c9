/*  main.c - the svcfw executable: parse the command line, run the service, return its status. */
#include <stdio.h>
#include "cli.h"
#include "models.h"
#include "service.h"
#include "svcfw.h"

int
main (int argc, char **argv)
{
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
