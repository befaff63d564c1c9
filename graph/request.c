/*  request.c - `svcfw request`: one request to a replyer from the shell.

    @discuss
    The envelope is made by wire/envelope.c, as a requester's is: the args,
    a fresh workflow id (or --workflow-id), and "deadline_ms" set to the
    whole timeout, so a replyer that took the request too late answers
    deadline_exceeded instead of working for nobody. One attempt on a REQ
    socket with linger 0: nothing is sent again and nothing stays queued at
    exit. The reply is read whole (a reply of several frames is refused)
    and classified by envelope_decode_reply.
    @end
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <czmq.h>
#include "request.h"
#include "addresses.h"
#include "curve.h"
#include "envelope.h"
#include "json.h"
#include "uuid.h"

typedef struct {
    const char *endpoint;       //  as given
    const char *args_text;      //  JSON_ARGS as given
    long timeout_ms;
    const char *workflow_id;    //  NULL: a fresh one
    const char *curve_cert;     //  the client's _secret file, or NULL
    const char *server_key;     //  the server's public cert, or NULL
} request_opts_t;

static int
s_usage (const char *fmt, const char *arg)
{
    fprintf (stderr, "svcfw: usage: request: ");
    fprintf (stderr, fmt, arg);
    fprintf (stderr, " (see svcfw --help)\n");
    return 2;
}

//  Parses argv [2..]; returns 0 or the usage error's status (printed).
static int
s_parse (int argc, char **argv, request_opts_t *opts)
{
    memset (opts, 0, sizeof *opts);
    opts->timeout_ms = REQUEST_TIMEOUT_MS;
    for (int i = 2; i < argc; i++) {
        const char *arg = argv [i];
        const char **value = NULL;
        if (strcmp (arg, "--timeout") == 0) {
            if (i + 1 >= argc)
                return s_usage ("--timeout needs a value in milliseconds%s", "");
            char *end;
            errno = 0;
            long ms = strtol (argv [++i], &end, 10);
            if (errno || *end || end == argv [i] || ms < 1 || ms > ENVELOPE_DEADLINE_MAX)
                return s_usage ("--timeout \"%s\" is not a number of milliseconds (1 to 2147483647)", argv [i]);
            opts->timeout_ms = ms;
            continue;
        }
        if (strcmp (arg, "--workflow-id") == 0)
            value = &opts->workflow_id;
        else
        if (strcmp (arg, "--curve-cert") == 0)
            value = &opts->curve_cert;
        else
        if (strcmp (arg, "--server-key") == 0)
            value = &opts->server_key;
        if (value) {
            if (i + 1 >= argc)
                return s_usage ("%s needs a value", arg);
            *value = argv [++i];
        }
        else
        if (arg [0] == '-' && arg [1] && !opts->endpoint)
            return s_usage ("unknown option \"%s\" (ENDPOINT JSON_ARGS [--timeout MS] ...)", arg);
        else
        if (!opts->endpoint)
            opts->endpoint = arg;
        else
        if (!opts->args_text)
            opts->args_text = arg;
        else
            return s_usage ("unexpected argument \"%s\" (ENDPOINT JSON_ARGS [--timeout MS] ...)", arg);
    }
    if (!opts->endpoint)
        return s_usage ("needs ENDPOINT and JSON_ARGS%s", "");
    if (!opts->args_text)
        return s_usage ("needs JSON_ARGS after ENDPOINT \"%s\"", opts->endpoint);
    if (!opts->curve_cert != !opts->server_key)
        return s_usage ("%s", opts->curve_cert? "--curve-cert needs --server-key (the server's public cert)"
                                              : "--server-key needs --curve-cert (this client's key pair)");
    return 0;
}

//  CURVE client with the pair of opts->curve_cert and the server's key.
static int
s_curve (const request_opts_t *opts, zsock_t *sock, char *err)
{
    zcert_t *pair = curve_load_secret (opts->curve_cert, err);
    if (!pair)
        return -1;
    zcert_t *server = curve_load_public (opts->server_key, err);
    if (!server) {
        zcert_destroy (&pair);
        return -1;
    }
    zcert_apply (pair, sock);
    zsock_set_curve_serverkey (sock, zcert_public_txt (server));
    zcert_destroy (&pair);
    zcert_destroy (&server);
    return 0;
}

//  Prints the reply (len bytes) and returns the exit status.
static int
s_print_reply (const char *endpoint, const char *data, size_t len)
{
    char err [ERR_LEN];
    cJSON *reply = json_parse (data, len, "reply", err);
    if (!reply) {
        printf ("%.*s\n", (int) (len > 4096? 4096: len), data);
        fprintf (stderr, "svcfw: error: %s: %s\n", endpoint, err);
        return 1;
    }
    //  cJSON indents with tabs and puts one after each ':'; a string's own
    //  tabs are escaped ("\t"), so every tab is layout: two spaces to indent,
    //  one after a ':'.
    char *pretty = cJSON_Print (reply);
    for (const char *c = pretty; c && *c; c++)
        if (*c != '\t')
            putchar (*c);
        else
            fputs (c > pretty && c [-1] == ':'? " ": "  ", stdout);
    if (pretty)
        putchar ('\n');
    cJSON_free (pretty);
    cJSON_Delete (reply);
    fflush (stdout);
    envelope_t env = { 0 };
    int rc = envelope_decode_reply (data, len, &env, err);
    envelope_clear (&env);
    if (rc) {
        fprintf (stderr, "svcfw: error: %s: %s\n", endpoint, err);
        return 1;
    }
    return 0;
}

int
request_command (int argc, char **argv)
{
    request_opts_t opts;
    int usage = s_parse (argc, argv, &opts);
    if (usage)
        return usage;

    char err [ERR_LEN], endpoint [ENDPOINT_LEN];
    if (addresses_normalize (opts.endpoint, false, endpoint, err))
        return s_usage ("ENDPOINT: %s", err);
    cJSON *args = json_parse (opts.args_text, strlen (opts.args_text), "JSON_ARGS", err);
    if (!args)
        return s_usage ("%s", err);
    if (!cJSON_IsObject (args)) {
        char what [ERR_LEN];
        snprintf (what, sizeof what, "JSON_ARGS must be a JSON object (the request's args), not %s",
                  json_type_name (args));
        cJSON_Delete (args);
        return s_usage ("%s", what);
    }
    char workflow_id [UUID_LEN + 1];
    if (!opts.workflow_id)
        uuid_make (workflow_id);
    char *text = envelope_request (args, opts.workflow_id? opts.workflow_id: workflow_id);
    cJSON_Delete (args);
    wire_buffer_t request = { 0 };
    if (!text || envelope_add_deadline (&request, text, strlen (text), opts.timeout_ms)) {
        cJSON_free (text);
        wire_buffer_free (&request);
        fprintf (stderr, "svcfw: error: out of memory\n");
        return 1;
    }
    cJSON_free (text);

    int status = 1;
    zsock_t *sock = zsock_new (ZMQ_REQ);
    if (!sock) {
        fprintf (stderr, "svcfw: error: cannot make a socket: %s\n", zmq_strerror (zmq_errno ()));
        goto done;
    }
    zsock_set_linger (sock, 0);
    if (opts.curve_cert && s_curve (&opts, sock, err)) {
        fprintf (stderr, "svcfw: error: %s\n", err);
        goto done;
    }
    if (zsock_connect (sock, "%s", endpoint)) {
        fprintf (stderr, "svcfw: error: cannot connect to %s: %s\n", endpoint, zmq_strerror (zmq_errno ()));
        goto done;
    }
    void *handle = zsock_resolve (sock);
    int64_t deadline = zclock_mono () + opts.timeout_ms;
    //  A REQ socket queues the request until a peer is connected: the send
    //  does not block, and the wait below covers the connect too.
    if (zmq_send (handle, request.data, request.len, ZMQ_DONTWAIT) < 0) {
        fprintf (stderr, "svcfw: error: cannot send to %s: %s\n", endpoint, zmq_strerror (zmq_errno ()));
        goto done;
    }
    zmq_pollitem_t item = { handle, 0, ZMQ_POLLIN, 0 };
    int64_t left;
    while ((left = deadline - zclock_mono ()) > 0) {
        int rc = zmq_poll (&item, 1, (long) left);
        if (rc < 0 && zmq_errno () == EINTR)
            continue;           //  SIGINT/SIGTERM end the process by default
        if (rc <= 0)
            break;
        zmsg_t *msg = zmsg_recv (sock);
        if (!msg)
            break;
        if (zmsg_size (msg) != 1)
            fprintf (stderr, "svcfw: error: %s: a reply of %zu frames (a reply is one)\n",
                     endpoint, zmsg_size (msg));
        else {
            zframe_t *frame = zmsg_first (msg);
            status = s_print_reply (endpoint, (const char *) zframe_data (frame), zframe_size (frame));
        }
        zmsg_destroy (&msg);
        goto done;
    }
    fprintf (stderr, "svcfw: error: no reply from %s within %ld ms\n", endpoint, opts.timeout_ms);
done:
    zsock_destroy (&sock);
    wire_buffer_free (&request);
    return status;
}
