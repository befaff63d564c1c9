/*  raw_pubsub - the raw libzmq PUB→SUB baseline for bench/run, one process per side.

    usage: raw_pubsub COUNT SIZE [SUBSCRIBERS] [json] [curve]
    As svcfw runs a publisher and its subscribers: each in its own process,
    with its own ZeroMQ context and I/O thread. The parent's PUB sends COUNT
    two-frame messages [topic][payload] of about SIZE bytes over loopback
    TCP to SUBSCRIBERS (default 1) SUB sockets, each in a forked child,
    with unlimited high-water marks so nothing is lost. The children are
    forked before any context exists (a context must not cross a fork); the
    endpoint, "ready" and the results travel over pipes. With `json`, the sender builds each payload with cJSON and each
    receiver parses it and reads a field: the least any JSON framework pays.
    With `curve`, every link is CurveZMQ (the PUB a CURVE server, each SUB a
    client with its own key pair; no authenticator): the cost of the
    encryption alone.
    Prints "msgs_per_s=N lost=N" where N is the slowest subscriber's rate
    (first to last message) and lost sums over subscribers.
*/
#include <cjson/cJSON.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#define S_MAX_SUBS 64

static int s_json;
static int s_curve;                 //  CurveZMQ on every link
static char s_server_public [41], s_server_secret [41];

//  Makes `sock` a CURVE server (server) or a client of s_server_public.
static void
s_secure (void *sock, int server)
{
    if (!s_curve)
        return;
    if (server) {
        zmq_setsockopt (sock, ZMQ_CURVE_SERVER, &server, sizeof server);
        zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, s_server_secret, 40);
        return;
    }
    char public_key [41], secret_key [41];
    zmq_curve_keypair (public_key, secret_key);
    zmq_setsockopt (sock, ZMQ_CURVE_SERVERKEY, s_server_public, 40);
    zmq_setsockopt (sock, ZMQ_CURVE_PUBLICKEY, public_key, 40);
    zmq_setsockopt (sock, ZMQ_CURVE_SECRETKEY, secret_key, 40);
}

typedef struct {
    long received;
    double seconds;
} s_result_t;

typedef struct {
    pid_t pid;
    int to_child;               //  the endpoint goes down this pipe
    int from_child;             //  'R' once a probe was heard, then the s_result_t
    bool ready;
    s_result_t result;
} s_sub_t;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

//  A subscriber process: reads the endpoint from `in`, says 'R' on `out`
//  at the first probe, then its result after "end". Returns the exit code.
static int
s_subscriber (int in, int out)
{
    char endpoint [64];
    if (read (in, endpoint, sizeof endpoint) != sizeof endpoint)
        return 1;
    void *context = zmq_ctx_new ();
    void *sub = zmq_socket (context, ZMQ_SUB);
    int hwm = 0;
    zmq_setsockopt (sub, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt (sub, ZMQ_SUBSCRIBE, "", 0);
    s_secure (sub, 0);
    zmq_connect (sub, endpoint);
    zmq_msg_t topic, body;
    zmq_msg_init (&topic);
    zmq_msg_init (&body);
    bool ready = false;
    double start = 0, end = 0;
    s_result_t result = { 0, 0 };
    while (1) {
        if (zmq_msg_recv (&topic, sub, 0) < 0 || zmq_msg_recv (&body, sub, 0) < 0)
            break;
        size_t size = zmq_msg_size (&body);
        if (size == 5 && memcmp (zmq_msg_data (&body), "probe", 5) == 0) {
            if (!ready) {
                ready = true;
                if (write (out, "R", 1) != 1)
                    return 1;
            }
            continue;
        }
        if (size == 3 && memcmp (zmq_msg_data (&body), "end", 3) == 0)
            break;
        if (result.received++ == 0)
            start = s_now ();
        if (s_json) {
            cJSON *envelope = cJSON_ParseWithLength (zmq_msg_data (&body), size);
            const cJSON *seq = cJSON_GetObjectItem (cJSON_GetObjectItem (envelope, "args"), "seq");
            if (!seq)
                result.received--;
            cJSON_Delete (envelope);
        }
        end = s_now ();
    }
    result.seconds = end - start;
    zmq_msg_close (&topic);
    zmq_msg_close (&body);
    zmq_close (sub);
    zmq_ctx_term (context);
    return write (out, &result, sizeof result) == sizeof result? 0: 1;
}

//  A payload like svcfw's envelope, padded to about `size` bytes.
static char *
s_payload (int i, const char *pad)
{
    if (!s_json) {
        size_t len = strlen (pad) + 200;
        char *buffer = malloc (len);
        snprintf (buffer, len, "{\"args\":{\"symbol\":\"AAPL\",\"price\":%d.25,\"seq\":%d,\"pad\":\"%s\"},"
                  "\"workflow_id\":\"00000000-0000-4000-8000-000000000000\"}", i, i, pad);
        return buffer;
    }
    cJSON *envelope = cJSON_CreateObject ();
    cJSON *args = cJSON_AddObjectToObject (envelope, "args");
    cJSON_AddStringToObject (args, "symbol", "AAPL");
    cJSON_AddNumberToObject (args, "price", i + 0.25);
    cJSON_AddNumberToObject (args, "seq", i);
    cJSON_AddStringToObject (args, "pad", pad);
    cJSON_AddStringToObject (envelope, "workflow_id", "00000000-0000-4000-8000-000000000000");
    char *text = cJSON_PrintUnformatted (envelope);
    cJSON_Delete (envelope);
    return text;
}

static void
s_end_children (s_sub_t *sub, int subs)
{
    for (int i = 0; i < subs; i++)
        if (sub [i].pid > 0) {
            kill (sub [i].pid, SIGKILL);
            waitpid (sub [i].pid, NULL, 0);
        }
}

int
main (int argc, char **argv)
{
    if (argc < 3) {
        fprintf (stderr, "usage: raw_pubsub COUNT SIZE [SUBSCRIBERS] [json]\n");
        return 2;
    }
    int count = atoi (argv [1]);
    int size = atoi (argv [2]);
    int subs = argc > 3? atoi (argv [3]): 1;
    if (subs < 1 || subs > S_MAX_SUBS)
        subs = 1;
    for (int i = 4; i < argc; i++) {
        s_json |= strcmp (argv [i], "json") == 0;
        s_curve |= strcmp (argv [i], "curve") == 0;
    }
    if (s_curve)
        zmq_curve_keypair (s_server_public, s_server_secret);
    s_sub_t *sub = calloc (subs, sizeof *sub);
    for (int i = 0; i < subs; i++) {
        int down [2], up [2];
        if (pipe (down) || pipe (up))
            return 1;
        sub [i].pid = fork ();
        if (sub [i].pid < 0)
            return 1;
        if (sub [i].pid == 0) {
            close (down [1]);
            close (up [0]);
            _exit (s_subscriber (down [0], up [1]));
        }
        close (down [0]);
        close (up [1]);
        sub [i].to_child = down [1];
        sub [i].from_child = up [0];
    }
    void *context = zmq_ctx_new ();
    void *pub = zmq_socket (context, ZMQ_PUB);
    int hwm = 0;
    zmq_setsockopt (pub, ZMQ_SNDHWM, &hwm, sizeof hwm);
    char endpoint [64] = "";
    size_t len = sizeof endpoint;
    s_secure (pub, 1);
    if (zmq_bind (pub, "tcp://127.0.0.1:*")) {
        fprintf (stderr, "cannot bind: %s\n", zmq_strerror (zmq_errno ()));
        s_end_children (sub, subs);
        return 1;
    }
    zmq_getsockopt (pub, ZMQ_LAST_ENDPOINT, endpoint, &len);
    for (int i = 0; i < subs; i++)
        if (write (sub [i].to_child, endpoint, sizeof endpoint) != sizeof endpoint) {
            s_end_children (sub, subs);
            return 1;
        }
    //  Probe until every subscriber's subscription is live (at most 10 s).
    int ready = 0;
    double deadline = s_now () + 10;
    while (ready < subs) {
        if (s_now () > deadline) {
            fprintf (stderr, "raw_pubsub: %d of %d subscribers joined within 10 s\n", ready, subs);
            s_end_children (sub, subs);
            return 1;
        }
        zmq_send (pub, "", 0, ZMQ_SNDMORE);
        zmq_send (pub, "probe", 5, 0);
        for (int i = 0; i < subs; i++) {
            struct pollfd item = { sub [i].from_child, POLLIN, 0 };
            char mark;
            if (!sub [i].ready && poll (&item, 1, 0) == 1 && read (sub [i].from_child, &mark, 1) == 1) {
                sub [i].ready = true;
                ready++;
            }
        }
        struct timespec pause = { 0, 1000000 };
        nanosleep (&pause, NULL);
    }
    int pad_len = size > 110? size - 110: 1;
    char *pad = malloc (pad_len + 1);
    memset (pad, 'x', pad_len);
    pad [pad_len] = 0;
    for (int i = 0; i < count; i++) {
        char *text = s_payload (i, pad);
        zmq_send (pub, "", 0, ZMQ_SNDMORE);
        zmq_send (pub, text, strlen (text), 0);
        free (text);
    }
    zmq_send (pub, "", 0, ZMQ_SNDMORE);
    zmq_send (pub, "end", 3, 0);
    double slowest = -1;
    long lost = 0;
    for (int i = 0; i < subs; i++) {
        s_result_t *result = &sub [i].result;
        if (read (sub [i].from_child, result, sizeof *result) != sizeof *result)
            result->received = 0;
        waitpid (sub [i].pid, NULL, 0);
        sub [i].pid = 0;
        double rate = result->received > 1 && result->seconds > 0? (result->received - 1) / result->seconds: 0;
        if (slowest < 0 || rate < slowest)
            slowest = rate;
        lost += count - result->received;
    }
    printf ("msgs_per_s=%.0f lost=%ld\n", slowest, lost);
    free (pad);
    free (sub);
    zmq_close (pub);
    zmq_ctx_term (context);
    return 0;
}
