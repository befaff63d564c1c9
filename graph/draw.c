/*  draw.c - svcfw graph: DOT text, and SVG through Graphviz's dot. */
#include <assert.h>
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "draw.h"
#include "check.h"

extern char **environ;

//  Writes `text` as a DOT quoted string (without the quotes).
static void
s_quoted (FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '"' || *p == '\\')
            fputc ('\\', out);
        if ((unsigned char) *p >= 0x20)
            fputc (*p, out);
    }
}

//  The label of a link: "NAME" or "OUT_NAME / IN_NAME", then what flows.
static void
s_edge (FILE *out, const graph_t *graph, const graph_socket_t *sender, const graph_socket_t *receiver)
{
    const model_t *from = sender->model, *to = receiver->model;
    fputs ("    \"", out);
    s_quoted (out, graph_service_at (graph, sender->service)->name);
    fputs ("\" -> \"", out);
    s_quoted (out, graph_service_at (graph, receiver->service)->name);
    fputs ("\" [label=\"", out);
    s_quoted (out, from->name);
    if (strcmp (from->name, to->name)) {
        fputs (" / ", out);
        s_quoted (out, to->name);
    }
    if (from->is_state)
        fprintf (out, "\\n(%s state)\", style=bold, color=\"#1f5fa8\", fontcolor=\"#1f5fa8\"];\n",
                 from->kind == MODEL_DELTA_UPDATE_OUT? "delta": "full");
    else
    if (from->kind == MODEL_PUBLISHER) {
        //  A subscriber hears the topics its own is a prefix of.
        const char *topic = model_string (from, "topic", ""), *heard = model_string (to, "topic", "");
        bool hears = strncmp (topic, heard, strlen (heard)) == 0;
        fputs ("\\n(topic \\\"", out);
        s_quoted (out, topic);
        fputs (hears? "\\\")\", style=dashed];\n": "\\\", not heard)\", style=dotted, color=\"#999999\", "
               "fontcolor=\"#999999\"];\n", out);
    }
    else
        fputs ("\\n(request)\"];\n", out);
}

int
graph_draw_dot (const graph_t *graph, FILE *out, char *err)
{
    assert (graph && out);
    graph_link_t *links = NULL;
    int count = graph_links (graph, &links);
    if (count < 0)
        return err_set (err, "%s: out of memory", graph_path (graph));
    fputs ("digraph \"svcfw\" {\n"
           "    rankdir=LR; nodesep=0.35; ranksep=0.9; newrank=true;\n"
           "    node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", color=\"#5b7db1\", "
           "fontname=\"Helvetica\", fontsize=12];\n"
           "    edge [fontname=\"Helvetica\", fontsize=9, color=\"#444444\"];\n", out);
    fputs ("    { rank=source;", out);
    for (int i = 0; i < graph_service_count (graph); i++)
        if (graph_service_at (graph, i)->main) {
            fputs (" \"", out);
            s_quoted (out, graph_service_at (graph, i)->name);
            fputs ("\";", out);
        }
    fputs (" }\n", out);
    for (int i = 0; i < graph_service_count (graph); i++) {
        const graph_service_t *service = graph_service_at (graph, i);
        const char *file = strrchr (service->plugin, '/');
        fputs ("    \"", out);
        s_quoted (out, service->name);
        fputs ("\" [label=\"", out);
        s_quoted (out, service->name);
        fputs ("\\n", out);
        s_quoted (out, file? file + 1: service->plugin);
        fputs (service->main? " (main)\", fillcolor=\"#fdf1d6\", color=\"#b58a2a\"];\n": "\"];\n", out);
    }
    //  One arrow per link, from sender to receiver; a state's two sockets
    //  make one link, drawn at its update socket.
    for (int i = 0; i < count; i++) {
        const graph_socket_t *a = links [i].connecting, *b = links [i].binding;
        if (a->model->is_state != b->model->is_state)
            continue;                           //  a wrong kind: svcfw check says so
        if (a->model->is_state && strcmp (a->socket, "subscriber") && strcmp (a->socket, "publisher"))
            continue;
        bool a_sends = strcmp (a->socket, "requester") == 0 || strcmp (a->socket, "publisher") == 0;
        s_edge (out, graph, a_sends? a: b, a_sends? b: a);
    }
    //  Sockets that meet nothing: a connecting one whose address no service
    //  binds; a binding publisher nobody subscribes to.
    for (int s = 0; s < graph_socket_count (graph); s++) {
        const graph_socket_t *socket = graph_socket_at (graph, s);
        bool met = false;
        for (int i = 0; i < count && !met; i++)
            met = links [i].connecting == socket || links [i].binding == socket;
        if (met || (socket->bind && socket->model->kind != MODEL_PUBLISHER)
        ||  (socket->model->is_state && strcmp (socket->socket, "subscriber") && strcmp (socket->socket, "publisher")))
            continue;
        fputs ("    \"", out);
        s_quoted (out, socket->endpoint);
        fputs ("\" [shape=point, width=0.12, color=\"#999999\", xlabel=\"", out);
        s_quoted (out, socket->endpoint);
        fputs ("\", fontsize=8];\n    \"", out);
        bool sends = strcmp (socket->socket, "requester") == 0 || strcmp (socket->socket, "publisher") == 0;
        s_quoted (out, sends? graph_service_at (graph, socket->service)->name: socket->endpoint);
        fputs ("\" -> \"", out);
        s_quoted (out, sends? socket->endpoint: graph_service_at (graph, socket->service)->name);
        fputs ("\" [label=\"", out);
        s_quoted (out, socket->model->name);
        fputs ("\\n(meets nothing)\", color=\"#c0392b\", fontcolor=\"#c0392b\"];\n", out);
    }
    fputs ("}\n", out);
    free (links);
    if (fflush (out) || ferror (out))
        return err_set (err, "cannot write the DOT text: %s", strerror (errno));
    return 0;
}

int
graph_draw_svg (const graph_t *graph, const char *path, char *err)
{
    int fds [2];
    if (pipe (fds))
        return err_set (err, "cannot run dot: %s", strerror (errno));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init (&actions);
    posix_spawn_file_actions_adddup2 (&actions, fds [0], STDIN_FILENO);
    posix_spawn_file_actions_addclose (&actions, fds [1]);
    posix_spawn_file_actions_addclose (&actions, fds [0]);
    char *argv [] = { "dot", "-Tsvg", "-o", (char *) path, NULL };
    pid_t pid;
    int rc = posix_spawnp (&pid, "dot", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy (&actions);
    close (fds [0]);
    if (rc) {
        close (fds [1]);
        if (rc == ENOENT)
            return err_set (err, "-o %s needs Graphviz's dot program (not found: install graphviz), "
                            "or write a .dot file", path);
        return err_set (err, "cannot run dot: %s", strerror (rc));
    }
    //  dot may die before reading all: a write error then, not SIGPIPE.
    struct sigaction ignore = { .sa_handler = SIG_IGN }, old;
    sigaction (SIGPIPE, &ignore, &old);
    FILE *out = fdopen (fds [1], "w");
    int written = out? graph_draw_dot (graph, out, err): err_set (err, "cannot run dot: %s", strerror (errno));
    if (out)
        fclose (out);
    else
        close (fds [1]);
    sigaction (SIGPIPE, &old, NULL);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED (status) || WEXITSTATUS (status))
        return err_set (err, "dot -Tsvg -o %s failed (%s %d)", path,
                        WIFEXITED (status)? "exit status": "signal",
                        WIFEXITED (status)? WEXITSTATUS (status): WTERMSIG (status));
    return written;
}
