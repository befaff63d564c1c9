/*  main.c - the svcfw executable: parse the command line, run the service, return its status. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "curve.h"
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

int
main (int argc, char **argv)
{
    if (argc > 1 && strcmp (argv [1], "keygen") == 0)
        return s_keygen (argc, argv);
    //  The graph tools (graph/) parse their own arguments.
    if (argc > 1 && strcmp (argv [1], "request") == 0)
        return request_command (argc, argv);
    if (argc > 1 && strcmp (argv [1], "up") == 0)
        return up_command (argc, argv);
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
