/*  request.h - `svcfw request`: one request to a replyer from the shell.

    svcfw request ENDPOINT JSON_ARGS [--timeout MS] [--workflow-id ID]
                  [--curve-cert FILE_secret --server-key FILE]

    Sends {"args": JSON_ARGS, "workflow_id": …, "deadline_ms": MS} as a
    svcfw requester would (wire/envelope.h), over a REQ socket, waits up to
    MS (default 5000) in all for the reply and prints the whole reply
    envelope, pretty-printed, on stdout.
*/
#ifndef REQUEST_H_INCLUDED
#define REQUEST_H_INCLUDED

#define REQUEST_TIMEOUT_MS 5000     //  the default --timeout

/* Runs the subcommand; argv [1] is "request". Returns the exit status: 0 a
   reply, 1 an error reply, a reply that is not an envelope, no reply within
   the timeout or a bad key file (one line on stderr), 2 a usage error (one
   line naming the argument). Main thread. */
int request_command (int argc, char **argv);

#endif
