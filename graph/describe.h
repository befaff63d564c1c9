/*  describe.h - svcfw describe: a plugin's models as Markdown.

    The page: the plugin's name, its config keys, then each connection and
    state (in, then out): its type, its creation options (handlers, topic,
    resilience options, as the models give them), and tables of its args
    and return args (key, type, required or optional; "*" stands for any
    other key). The plugin is opened and its models read; no hook runs.
*/
#ifndef DESCRIBE_H_INCLUDED
#define DESCRIBE_H_INCLUDED

#include <stdio.h>
#include "err.h"

/* Writes the Markdown page of the plugin at `path` to `out`. Returns 0, or
   -1 with err naming the plugin (cannot load, bad models) or a write error. */
int graph_describe (const char *path, FILE *out, char *err);

#endif
