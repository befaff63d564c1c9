/*  draw.h - svcfw graph: a graph as Graphviz DOT, and SVG through Graphviz's `dot`.

    Services are boxes (main-mode producers, which start the flow, shaded
    and ranked first), each link an arrow from the side that sends to the
    side that receives, labelled with the connection or state name(s):
    solid for request/reply (labelled "request"), dashed for publish/
    subscribe (with the topic), bold blue for a replicated state. A socket
    that meets nothing in the graph gets a red arrow to or from a grey
    point named by its address. Left to right, so a chain reads as a line.
*/
#ifndef DRAW_H_INCLUDED
#define DRAW_H_INCLUDED

#include <stdio.h>
#include "graph.h"

/* Writes the DOT text of the graph (models loaded: graph_load_models) to
   `out`. Returns 0, or -1 with err when writing or memory failed. */
int graph_draw_dot (const graph_t *graph, FILE *out, char *err);

/* Renders the graph to `path` as SVG by running `dot -Tsvg -o PATH` (from
   PATH). Returns 0, or -1 with err = "svcfw graph: -o FILE.svg needs
   Graphviz's dot program (not found: install graphviz), or write FILE.dot"
   or naming dot's failure. Waits for dot to exit. */
int graph_draw_svg (const graph_t *graph, const char *path, char *err);

#endif
